// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvio_netback_check: pvio_netback_tx_parse() and the ring's
 * producer check fed the hostile guest TX entries Linux's xen-netback
 * guards against (XSA-39, XSA-90 and later): more than 18 slots,
 * zero-length fragments, headers split across slots, offset + size > 4096,
 * a req_prod jump; and the request index it records for every slot.
 * Suite pvio_netback_rate: the vif "rate" parser and the credit
 * arithmetic of the guest TX rate limit (xen-netback's tx_add_credit(),
 * tx_credit_exceeded()).
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <pvio/kunit_keys.h>
#include "common.h"

#define REQ(_off, _size, _flags) \
	((struct xen_netif_tx_request){ .gref = 8, .offset = (_off), \
					.size = (_size), .flags = (_flags), \
					.id = 1 })

static struct pvio_nb_txpkt *pkt_alloc(struct kunit *test)
{
	struct pvio_nb_txpkt *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	return p;
}

static void nb_one_slot(struct kunit *test)
{
	struct xen_netif_tx_request r[1] = { REQ(100, 60, 0) };
	struct pvio_nb_txpkt *p = pkt_alloc(test);

	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 1, p), 1);
	KUNIT_EXPECT_FALSE(test, p->drop);
	KUNIT_EXPECT_EQ(test, p->len, 60U);
	KUNIT_EXPECT_EQ(test, p->hdr_len, 60U);
	KUNIT_EXPECT_EQ(test, p->nr_copy, 1U);
	KUNIT_EXPECT_EQ(test, p->copy[0].offset, 100);
	KUNIT_EXPECT_EQ(test, p->nr_frags, 0U);
	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 0, p), 0);
}

static void nb_two_slots(struct kunit *test)
{
	struct xen_netif_tx_request r[3] = {
		REQ(0, 3000, XEN_NETTXF_more_data | XEN_NETTXF_csum_blank),
		REQ(0, 1000, 0),
		REQ(0, 60, 0),		/* next packet: not consumed */
	};
	struct pvio_nb_txpkt *p = pkt_alloc(test);

	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 3, p), 2);
	KUNIT_EXPECT_EQ(test, p->len, 3000U);
	KUNIT_EXPECT_EQ(test, p->data[0].size, 2000);
	KUNIT_EXPECT_EQ(test, p->nr_copy, 1U);
	KUNIT_EXPECT_EQ(test, p->copy[0].len, PVIO_NB_TX_COPY_LEN);
	KUNIT_ASSERT_EQ(test, p->nr_frags, 2U);
	KUNIT_EXPECT_EQ(test, p->frags[0].slot, 0);
	KUNIT_EXPECT_EQ(test, p->frags[0].offset, 128);
	KUNIT_EXPECT_EQ(test, p->frags[0].len, 1872);
	KUNIT_EXPECT_EQ(test, p->frags[1].slot, 1);
	KUNIT_EXPECT_EQ(test, p->frags[1].len, 1000);
	KUNIT_EXPECT_TRUE(test, p->flags & XEN_NETTXF_csum_blank);
}

static void nb_slot_limit(struct kunit *test)
{
	struct xen_netif_tx_request r[PVIO_NB_SCAN];
	struct pvio_nb_txpkt *p = pkt_alloc(test);
	unsigned int i;

	/* exactly 18 slots: fine */
	for (i = 0; i < PVIO_NB_MAX_SLOTS; i++)
		r[i] = REQ(0, 100, i + 1 < PVIO_NB_MAX_SLOTS ?
			   XEN_NETTXF_more_data : 0);
	r[0].size = 100 * PVIO_NB_MAX_SLOTS;
	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, PVIO_NB_MAX_SLOTS, p),
			PVIO_NB_MAX_SLOTS);
	KUNIT_EXPECT_FALSE(test, p->drop);
	/* 19 slots: fatal */
	for (i = 0; i < PVIO_NB_SCAN; i++)
		r[i] = REQ(0, 100, XEN_NETTXF_more_data);
	r[0].size = 100 * PVIO_NB_SCAN;
	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, PVIO_NB_SCAN, p),
			-EPROTO);
	/* the frontend did not push the whole packet: fatal */
	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 3, p), -EPROTO);
}

static void nb_zero_length_frag(struct kunit *test)
{
	struct xen_netif_tx_request r[3] = {
		REQ(0, 300, XEN_NETTXF_more_data),
		REQ(0, 0, XEN_NETTXF_more_data),
		REQ(0, 100, 0),
	};
	struct pvio_nb_txpkt *p = pkt_alloc(test);
	unsigned int i;

	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 3, p), 3);
	KUNIT_EXPECT_FALSE(test, p->drop);
	KUNIT_ASSERT_EQ(test, p->nr_frags, 2U);
	for (i = 0; i < p->nr_frags; i++) {
		KUNIT_EXPECT_GT(test, p->frags[i].len, 0);
		KUNIT_EXPECT_NE(test, p->frags[i].slot, 1);
	}
	/* a zero-length first slot: the header comes from the next ones */
	r[0] = REQ(0, 300, XEN_NETTXF_more_data);
	r[1] = REQ(0, 200, XEN_NETTXF_more_data);
	r[2] = REQ(0, 100, 0);
	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 3, p), 3);
	KUNIT_EXPECT_EQ(test, p->data[0].size, 0);
	KUNIT_EXPECT_EQ(test, p->copy[0].slot, 1);
	KUNIT_EXPECT_EQ(test, p->hdr_len, PVIO_NB_TX_COPY_LEN);
}

static void nb_headers_split(struct kunit *test)
{
	struct xen_netif_tx_request r[3] = {
		REQ(4000, 200, XEN_NETTXF_more_data),	/* 20 bytes here */
		REQ(0, 50, XEN_NETTXF_more_data),
		REQ(0, 130, 0),
	};
	struct pvio_nb_txpkt *p = pkt_alloc(test);
	unsigned int i, copied = 0;

	r[0].size = 20 + 50 + 130;
	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 3, p), 3);
	KUNIT_EXPECT_FALSE(test, p->drop);
	KUNIT_ASSERT_EQ(test, p->nr_copy, 3U);
	for (i = 0; i < p->nr_copy; i++)
		copied += p->copy[i].len;
	KUNIT_EXPECT_EQ(test, copied, PVIO_NB_TX_COPY_LEN);
	KUNIT_EXPECT_EQ(test, p->copy[0].offset, 4000);
	KUNIT_EXPECT_EQ(test, p->copy[0].len, 20);
	KUNIT_EXPECT_EQ(test, p->copy[1].len, 50);
	KUNIT_EXPECT_EQ(test, p->copy[2].slot, 2);
	KUNIT_EXPECT_EQ(test, p->copy[2].len, 58);
	KUNIT_ASSERT_EQ(test, p->nr_frags, 1U);
	KUNIT_EXPECT_EQ(test, p->frags[0].offset, 58);
	KUNIT_EXPECT_EQ(test, p->frags[0].len, 72);
}

static void nb_cross_page(struct kunit *test)
{
	struct xen_netif_tx_request r[2] = {
		REQ(4000, 200, 0),
	};
	struct pvio_nb_txpkt *p = pkt_alloc(test);

	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 1, p), -EPROTO);
	r[0] = REQ(4096, 60, 0);
	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 1, p), -EPROTO);
	r[0] = REQ(0, 200, XEN_NETTXF_more_data);
	r[1] = REQ(4000, 100, 0);
	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 2, p), -EPROTO);
	r[1] = REQ(3996, 100, 0);
	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 2, p), 2);
}

static void nb_drops(struct kunit *test)
{
	struct xen_netif_tx_request r[2] = { REQ(0, ETH_HLEN - 1, 0) };
	struct pvio_nb_txpkt *p = pkt_alloc(test);

	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 1, p), 1);
	KUNIT_EXPECT_TRUE(test, p->drop);
	/* fragments larger than the packet */
	r[0] = REQ(0, 100, XEN_NETTXF_more_data);
	r[1] = REQ(0, 200, 0);
	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 2, p), 2);
	KUNIT_EXPECT_TRUE(test, p->drop);
}

static void nb_extras(struct kunit *test)
{
	struct xen_netif_tx_request r[4] = {
		REQ(0, 2000, XEN_NETTXF_extra_info | XEN_NETTXF_more_data),
		{ 0 },
		REQ(0, 1000, 0),
	};
	struct xen_netif_extra_info *e = (void *)&r[1];
	struct pvio_nb_txpkt *p = pkt_alloc(test);

	e->type = XEN_NETIF_EXTRA_TYPE_GSO;
	e->u.gso.size = 1448;
	e->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 3, p), 3);
	KUNIT_EXPECT_EQ(test, p->nr_data, 2U);
	KUNIT_EXPECT_EQ(test, p->req_is_extra, (u32)BIT(1));
	KUNIT_EXPECT_EQ(test, p->gso.u.gso.size, 1448);
	e->u.gso.size = 0;
	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 3, p), -EPROTO);
	e->u.gso.size = 1448;
	e->u.gso.type = 7;
	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 3, p), -EPROTO);
	e->type = XEN_NETIF_EXTRA_TYPE_NONE;
	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 3, p), -EPROTO);
	e->type = XEN_NETIF_EXTRA_TYPE_MAX;
	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 3, p), -EPROTO);
	/* extra slot announced but missing */
	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 1, p), -EPROTO);
}

/*
 * The parser records each data slot's request index (extra slots counted)
 * and every piece carries it: two extra slots, a zero-length slot, and a
 * header split over the first two data slots.
 */
static void nb_ring_indexes(struct kunit *test)
{
	static const u8 want_data[] = { 0, 3, 4, 5, 6 };
	static const struct { u8 slot, req; u16 offset, len; } want_frags[] = {
		{ 1, 3, 28, 972 }, { 3, 5, 0, 600 }, { 4, 6, 0, 400 },
	};
	struct xen_netif_tx_request r[8] = {
		REQ(0, 2100, XEN_NETTXF_extra_info | XEN_NETTXF_more_data),
		{ 0 },
		{ 0 },
		REQ(0, 1000, XEN_NETTXF_more_data),
		REQ(0, 0, XEN_NETTXF_more_data),
		REQ(0, 600, XEN_NETTXF_more_data),
		REQ(0, 400, 0),
		REQ(0, 60, 0),		/* next packet: not consumed */
	};
	struct xen_netif_extra_info *gso = (void *)&r[1];
	struct xen_netif_extra_info *mcast = (void *)&r[2];
	struct pvio_nb_txpkt *p = pkt_alloc(test);
	unsigned int i;

	gso->type = XEN_NETIF_EXTRA_TYPE_GSO;
	gso->flags = XEN_NETIF_EXTRA_FLAG_MORE;
	gso->u.gso.size = 1448;
	gso->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
	mcast->type = XEN_NETIF_EXTRA_TYPE_MCAST_ADD;
	/* the first slot's own bytes: 2100 - (1000 + 0 + 600 + 400) */
	KUNIT_EXPECT_EQ(test, pvio_netback_tx_parse(r, 8, p), 7);
	KUNIT_EXPECT_FALSE(test, p->drop);
	KUNIT_EXPECT_EQ(test, p->req_is_extra, (u32)(BIT(1) | BIT(2)));
	KUNIT_EXPECT_EQ(test, p->data[0].size, 100);
	KUNIT_ASSERT_EQ(test, p->nr_data, (unsigned int)ARRAY_SIZE(want_data));
	for (i = 0; i < p->nr_data; i++)
		KUNIT_EXPECT_EQ(test, p->data_req[i], want_data[i]);
	/* the header: all of slot 0 (request 0), 28 bytes of slot 1 (3) */
	KUNIT_ASSERT_EQ(test, p->nr_copy, 2U);
	KUNIT_EXPECT_EQ(test, p->copy[0].slot, 0);
	KUNIT_EXPECT_EQ(test, p->copy[0].req, 0);
	KUNIT_EXPECT_EQ(test, p->copy[0].len, 100);
	KUNIT_EXPECT_EQ(test, p->copy[1].slot, 1);
	KUNIT_EXPECT_EQ(test, p->copy[1].req, 3);
	KUNIT_EXPECT_EQ(test, p->copy[1].len, 28);
	/* the fragments: never the zero-length slot 2 (request 4) */
	KUNIT_ASSERT_EQ(test, p->nr_frags,
			(unsigned int)ARRAY_SIZE(want_frags));
	for (i = 0; i < p->nr_frags; i++) {
		KUNIT_EXPECT_EQ(test, p->frags[i].slot, want_frags[i].slot);
		KUNIT_EXPECT_EQ(test, p->frags[i].req, want_frags[i].req);
		KUNIT_EXPECT_EQ(test, p->frags[i].offset, want_frags[i].offset);
		KUNIT_EXPECT_EQ(test, p->frags[i].len, want_frags[i].len);
		KUNIT_EXPECT_FALSE(test, p->req_is_extra & BIT(p->frags[i].req));
	}
}

/* req_prod past rsp_prod_pvt + 256, one step back, half the index space */
static const u32 nb_bad_prod[] = { 257, 0xffffffffU, 0x80000000U };

static void nb_prod_jump(struct kunit *test)
{
	struct xen_netif_tx_back_ring ring;
	struct xen_netif_tx_sring *s;
	unsigned int i;

	s = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	SHARED_RING_INIT(s);
	BACK_RING_INIT(&ring, s, PVIO_NB_PAGE);
	KUNIT_EXPECT_EQ(test, RING_SIZE(&ring), 256U);
	WRITE_ONCE(s->req_prod, 256);
	KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&ring), 256);
	for (i = 0; i < ARRAY_SIZE(nb_bad_prod); i++) {
		WRITE_ONCE(s->req_prod, nb_bad_prod[i]);
		KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&ring), -EPROTO);
	}
}

static void nb_rate_parse(struct kunit *test)
{
	static const char *const bad[] = {
		"", ",", "100", "100,", ",100", "0,50000", "625000,0",
		"-1,50000", "625000,-5", "+5,50000", "625000,+5", "1x,50000",
		"625000,50000x", "625000,50000,1", " 625000,50000",
		"625000, 50000", "625000,4294967296", "99999999999999999999,1",
		"0x10,50000", "abc",
	};
	u64 b = 7, u = 7;
	unsigned int i;

	KUNIT_EXPECT_EQ(test, pvio_netback_parse_rate("625000,50000", &b, &u),
			0);
	KUNIT_EXPECT_EQ(test, b, 625000ULL);
	KUNIT_EXPECT_EQ(test, u, 50000ULL);
	KUNIT_EXPECT_EQ(test,
			pvio_netback_parse_rate("1,4294967295\n", &b, &u), 0);
	KUNIT_EXPECT_EQ(test, b, 1ULL);
	KUNIT_EXPECT_EQ(test, u, 4294967295ULL);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		b = 7;
		u = 7;
		KUNIT_EXPECT_EQ_MSG(test, pvio_netback_parse_rate(bad[i], &b,
								  &u),
				    -EINVAL, "rate '%s'", bad[i]);
		KUNIT_EXPECT_EQ(test, b, 7ULL);
		KUNIT_EXPECT_EQ(test, u, 7ULL);
	}
}

#define MS(x) ((u64)(x) * NSEC_PER_MSEC)

static void nb_credit_unlimited(struct kunit *test)
{
	struct pvio_nb_credit c = {};
	u64 wake = 0;

	pvio_netback_credit_set(&c, 0, 50000, MS(1));
	KUNIT_EXPECT_TRUE(test, pvio_netback_credit_take(&c, 65535, MS(1),
							 &wake));
	KUNIT_EXPECT_EQ(test, wake, 0ULL);
}

/* 100 Mbit/s as libxl writes it: 625000 bytes every 50 ms. */
static void nb_credit_window(struct kunit *test)
{
	struct pvio_nb_credit c = {};
	u64 wake = 0, t = MS(1000);
	unsigned int sent = 0;

	pvio_netback_credit_set(&c, 625000, 50000, t);
	KUNIT_EXPECT_EQ(test, c.remaining, 625000ULL);
	/* 9 x 65535 = 589815 fit, the 10th does not */
	while (pvio_netback_credit_take(&c, 65535, t, &wake))
		sent += 65535;
	KUNIT_EXPECT_EQ(test, sent, 9U * 65535);
	KUNIT_EXPECT_EQ(test, c.remaining, 625000ULL - sent);
	KUNIT_EXPECT_EQ(test, wake, t + MS(50));
	/* the timer: one interval's credit, the 35185 left carried over */
	pvio_netback_credit_add(&c);
	KUNIT_EXPECT_EQ(test, c.remaining, 625000ULL + 625000 - sent);
	KUNIT_EXPECT_TRUE(test, pvio_netback_credit_take(&c, 65535,
							 wake + MS(2), &wake));
	/* later refusals are due one interval after the previous one */
	while (pvio_netback_credit_take(&c, 65535, t + MS(60), &wake))
		;
	KUNIT_EXPECT_EQ(test, wake, t + MS(100));
}

/* Held to the rate over 2 s of a sender that never stops. */
static void nb_credit_rate(struct kunit *test)
{
	struct pvio_nb_credit c = {};
	u64 t = 0, wake = 0, sent = 0;

	pvio_netback_credit_set(&c, 625000, 50000, 0);
	while (t < MS(2000)) {
		if (pvio_netback_credit_take(&c, 1514, t, &wake)) {
			sent += 1514;
			continue;
		}
		KUNIT_ASSERT_GT(test, wake, t);
		t = wake + 20000;	/* the timer fires 20 us late */
		pvio_netback_credit_add(&c);
	}
	/*
	 * 40 intervals of 625000 bytes (the first one's credit given at
	 * once), less what is left of the last one (under one packet): the
	 * credit left at the end of an interval is carried over, not lost.
	 */
	KUNIT_EXPECT_LE(test, sent, 40ULL * 625000);
	KUNIT_EXPECT_GT(test, sent, 40ULL * 625000 - 1514);
}

static void nb_credit_burst(struct kunit *test)
{
	struct pvio_nb_credit c = {};
	u64 wake = 0;

	/* a small credit still lets a 64 KiB GSO packet through */
	pvio_netback_credit_set(&c, 1000, 1000, 0);
	KUNIT_EXPECT_FALSE(test, pvio_netback_credit_take(&c, 65535, 0,
							  &wake));
	KUNIT_EXPECT_EQ(test, wake, (u64)NSEC_PER_MSEC);
	pvio_netback_credit_add(&c);
	KUNIT_EXPECT_EQ(test, c.remaining, 2000ULL);
	/* an idle vif collects at most max(128 KiB, credit_bytes) */
	c.remaining = 0;
	for (wake = 0; wake < 1000; wake++)
		pvio_netback_credit_add(&c);
	KUNIT_EXPECT_EQ(test, c.remaining, PVIO_NB_CREDIT_MIN_BURST);
	KUNIT_EXPECT_TRUE(test, pvio_netback_credit_take(&c, 65535, MS(10001),
							 &wake));
	/* no wrap when credit_bytes is huge */
	c.bytes = U64_MAX;
	c.remaining = U64_MAX - 5;
	pvio_netback_credit_add(&c);
	KUNIT_EXPECT_EQ(test, c.remaining, U64_MAX);
	/* a lower rate caps the credit left */
	pvio_netback_credit_set(&c, 5000, 1000, MS(1));
	KUNIT_EXPECT_EQ(test, c.remaining, 5000ULL);
	/* the cap: two intervals' credit, at least 128 KiB */
	c.remaining = 0;
	pvio_netback_credit_set(&c, 1000000, 1000, MS(1));
	pvio_netback_credit_add(&c);
	pvio_netback_credit_add(&c);
	pvio_netback_credit_add(&c);
	KUNIT_EXPECT_EQ(test, c.remaining, 2000000ULL);
	/* unlimited again */
	pvio_netback_credit_set(&c, 0, 0, MS(1));
	KUNIT_EXPECT_TRUE(test, pvio_netback_credit_take(&c, 65535, MS(1),
							 &wake));
}

/* Intervals stay on their grid; idle ones add credit up to the cap. */
static void nb_credit_grid(struct kunit *test)
{
	struct pvio_nb_credit c = {};
	u64 wake = 0;

	pvio_netback_credit_set(&c, 100000, 1000, 0);
	KUNIT_EXPECT_TRUE(test, pvio_netback_credit_take(&c, 100000, 0,
							 &wake));
	/* 3.5 intervals later: three passed, two intervals' credit (cap) */
	KUNIT_EXPECT_TRUE(test, pvio_netback_credit_take(&c, 1000, 3500000,
							 &wake));
	KUNIT_EXPECT_EQ(test, c.remaining, 199000ULL);
	KUNIT_EXPECT_EQ(test, c.window_start, 3000000ULL);
	/* too big now: wait for the end of the interval on the grid */
	KUNIT_EXPECT_FALSE(test, pvio_netback_credit_take(&c, 65535 * 4,
							  3600000, &wake));
	KUNIT_EXPECT_EQ(test, wake, 4000000ULL);
	/* an interval half used: its rest carries into the next one */
	c.remaining = 50000;
	pvio_netback_credit_add(&c);
	KUNIT_EXPECT_EQ(test, c.remaining, 150000ULL);
}

/* multi-queue-num-queues: 0 or more than offered is refused. */
static void nb_queues(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, pvio_netback_check_queues(1, 1), 0);
	KUNIT_EXPECT_EQ(test, pvio_netback_check_queues(0, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, pvio_netback_check_queues(2, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, pvio_netback_check_queues(2, 2), 0);
	KUNIT_EXPECT_EQ(test, pvio_netback_check_queues(3, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, pvio_netback_check_queues(UINT_MAX, 8), -EINVAL);
	KUNIT_EXPECT_EQ(test, pvio_netback_check_queues(8, 8), 0);
}

/* pvio_netback_read_queue_keys() on the frontend directory "fe" of @keys. */
static int nbq(struct kunit *test, const struct pvio_kunit_key *keys,
	       unsigned int n, unsigned int max,
	       struct pvio_nb_queue_keys **out, char *why)
{
	struct pvio_kunit_keys fs = { keys, n };

	*out = kunit_kzalloc(test, sizeof(**out), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, *out);
	why[0] = 0;
	return pvio_netback_read_queue_keys(pvio_kunit_keys_read, &fs, "fe",
					    max, *out, why, 160);
}

/* One queue: flat keys, one port or split; num-queues 1 written or not. */
static void nb_qkeys_flat(struct kunit *test)
{
	static const struct pvio_kunit_key one[] = {
		{ "", "tx-ring-ref", 8 }, { "", "rx-ring-ref", 9 },
		{ "", "event-channel", 5 },
	};
	static const struct pvio_kunit_key split[] = {
		{ "", "multi-queue-num-queues", 1 },
		{ "", "tx-ring-ref", 8 }, { "", "rx-ring-ref", 9 },
		{ "", "event-channel-tx", 5 }, { "", "event-channel-rx", 6 },
		/* a stale single port from an earlier connect: not read */
		{ "", "event-channel", 4 },
	};
	struct pvio_nb_queue_keys *k;
	char why[160];

	KUNIT_EXPECT_EQ(test, nbq(test, one, ARRAY_SIZE(one), 1, &k, why), 0);
	KUNIT_EXPECT_EQ(test, k->nr_queues, 1);
	KUNIT_EXPECT_FALSE(test, k->split);
	KUNIT_EXPECT_EQ(test, k->q[0].tx_ref, 8);
	KUNIT_EXPECT_EQ(test, k->q[0].rx_ref, 9);
	KUNIT_EXPECT_EQ(test, k->q[0].tx_port, 5);
	KUNIT_EXPECT_EQ(test, k->q[0].rx_port, 5);
	KUNIT_EXPECT_EQ(test, nbq(test, split, ARRAY_SIZE(split), 4, &k, why),
			0);
	KUNIT_EXPECT_TRUE(test, k->split);
	KUNIT_EXPECT_EQ(test, k->q[0].tx_port, 5);
	KUNIT_EXPECT_EQ(test, k->q[0].rx_port, 6);
}

/* Two queues: queue-N/ keys; keys of a queue-2 not asked for are ignored. */
static void nb_qkeys_multi(struct kunit *test)
{
	static const struct pvio_kunit_key keys[] = {
		{ "", "multi-queue-num-queues", 2 },
		{ "queue-0", "tx-ring-ref", 10 }, { "queue-0", "rx-ring-ref", 11 },
		{ "queue-0", "event-channel-tx", 3 },
		{ "queue-0", "event-channel-rx", 4 },
		{ "queue-1", "tx-ring-ref", 20 }, { "queue-1", "rx-ring-ref", 21 },
		{ "queue-1", "event-channel-tx", 5 },
		{ "queue-1", "event-channel-rx", 6 },
		{ "queue-2", "tx-ring-ref", 30 },
	};
	struct pvio_nb_queue_keys *k;
	char why[160];

	KUNIT_EXPECT_EQ(test, nbq(test, keys, ARRAY_SIZE(keys), 2, &k, why),
			0);
	KUNIT_EXPECT_EQ(test, k->nr_queues, 2);
	KUNIT_EXPECT_TRUE(test, k->split);
	KUNIT_EXPECT_EQ(test, k->q[0].tx_ref, 10);
	KUNIT_EXPECT_EQ(test, k->q[1].rx_ref, 21);
	KUNIT_EXPECT_EQ(test, k->q[1].tx_port, 5);
	KUNIT_EXPECT_EQ(test, k->q[1].rx_port, 6);
}

/* More queues than offered, none, or a queue index beyond any offer. */
static void nb_qkeys_too_many(struct kunit *test)
{
	static const struct pvio_kunit_key four[] = {
		{ "", "multi-queue-num-queues", 4 },
	};
	static const struct pvio_kunit_key zero[] = {
		{ "", "multi-queue-num-queues", 0 },
		{ "", "tx-ring-ref", 8 }, { "", "rx-ring-ref", 9 },
		{ "", "event-channel", 5 },
	};
	static const struct pvio_kunit_key huge[] = {
		{ "", "multi-queue-num-queues", 0xffffffff },
	};
	struct pvio_nb_queue_keys *k;
	char why[160];

	KUNIT_EXPECT_EQ(test, nbq(test, four, ARRAY_SIZE(four), 2, &k, why),
			-EINVAL);
	KUNIT_EXPECT_STREQ(test, why,
			   "guest requested 4 queues, but valid range is 1 - 2.");
	KUNIT_EXPECT_EQ(test, nbq(test, zero, ARRAY_SIZE(zero), 2, &k, why),
			-EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "requested 0 queues"));
	/* a backend offering more than the keys can describe */
	KUNIT_EXPECT_EQ(test, nbq(test, huge, ARRAY_SIZE(huge), UINT_MAX, &k,
				  why), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "valid range is 1 - 64."));
}

/* A ring ref or port missing in one queue; a queue-0 for a single queue. */
static void nb_qkeys_missing(struct kunit *test)
{
	static const struct pvio_kunit_key no_rx[] = {
		{ "", "multi-queue-num-queues", 2 },
		{ "queue-0", "tx-ring-ref", 10 }, { "queue-0", "rx-ring-ref", 11 },
		{ "queue-0", "event-channel", 3 },
		{ "queue-1", "tx-ring-ref", 20 },
		{ "queue-1", "event-channel", 5 },
	};
	static const struct pvio_kunit_key no_port[] = {
		{ "", "multi-queue-num-queues", 2 },
		{ "queue-0", "tx-ring-ref", 10 }, { "queue-0", "rx-ring-ref", 11 },
		{ "queue-0", "event-channel", 3 },
		{ "queue-1", "tx-ring-ref", 20 }, { "queue-1", "rx-ring-ref", 21 },
		/* half a split pair is no port */
		{ "queue-1", "event-channel-tx", 5 },
	};
	static const struct pvio_kunit_key nested_one[] = {
		{ "", "multi-queue-num-queues", 1 },
		{ "queue-0", "tx-ring-ref", 10 }, { "queue-0", "rx-ring-ref", 11 },
		{ "queue-0", "event-channel", 3 },
	};
	struct pvio_nb_queue_keys *k;
	char why[160];

	KUNIT_EXPECT_EQ(test, nbq(test, no_rx, ARRAY_SIZE(no_rx), 2, &k, why),
			-ENOENT);
	KUNIT_EXPECT_STREQ(test, why, "reading fe/queue-1/rx-ring-ref");
	KUNIT_EXPECT_EQ(test, nbq(test, no_port, ARRAY_SIZE(no_port), 2, &k,
				  why), -ENOENT);
	KUNIT_EXPECT_NOT_NULL(test,
			      strstr(why, "fe/queue-1/event-channel or"));
	KUNIT_EXPECT_EQ(test, nbq(test, nested_one, ARRAY_SIZE(nested_one), 2,
				  &k, why), -ENOENT);
	KUNIT_EXPECT_STREQ(test, why, "reading fe/tx-ring-ref");
}

/*
 * Bad queue indexes: directories numbered from 1 (a queue-N of N =
 * num-queues is never read, queue-0 is missing), or one skipped.
 */
static void nb_qkeys_bad_index(struct kunit *test)
{
	static const struct pvio_kunit_key from_one[] = {
		{ "", "multi-queue-num-queues", 2 },
		{ "queue-1", "tx-ring-ref", 10 }, { "queue-1", "rx-ring-ref", 11 },
		{ "queue-1", "event-channel", 3 },
		{ "queue-2", "tx-ring-ref", 20 }, { "queue-2", "rx-ring-ref", 21 },
		{ "queue-2", "event-channel", 5 },
	};
	static const struct pvio_kunit_key skipped[] = {
		{ "", "multi-queue-num-queues", 2 },
		{ "queue-0", "tx-ring-ref", 10 }, { "queue-0", "rx-ring-ref", 11 },
		{ "queue-0", "event-channel", 3 },
		{ "queue-2", "tx-ring-ref", 20 }, { "queue-2", "rx-ring-ref", 21 },
		{ "queue-2", "event-channel", 5 },
	};
	static const struct pvio_kunit_key flat_for_two[] = {
		{ "", "multi-queue-num-queues", 2 },
		{ "", "tx-ring-ref", 10 }, { "", "rx-ring-ref", 11 },
		{ "", "event-channel", 3 },
	};
	struct pvio_nb_queue_keys *k;
	char why[160];

	KUNIT_EXPECT_EQ(test, nbq(test, from_one, ARRAY_SIZE(from_one), 2, &k,
				  why), -ENOENT);
	KUNIT_EXPECT_STREQ(test, why, "reading fe/queue-0/tx-ring-ref");
	KUNIT_EXPECT_EQ(test, nbq(test, skipped, ARRAY_SIZE(skipped), 2, &k,
				  why), -ENOENT);
	KUNIT_EXPECT_STREQ(test, why, "reading fe/queue-1/tx-ring-ref");
	KUNIT_EXPECT_EQ(test, nbq(test, flat_for_two, ARRAY_SIZE(flat_for_two),
				  2, &k, why), -ENOENT);
	KUNIT_EXPECT_STREQ(test, why, "reading fe/queue-0/tx-ring-ref");
}

/* Queues mixing split and single ports. */
static void nb_qkeys_mixed(struct kunit *test)
{
	static const struct pvio_kunit_key keys[] = {
		{ "", "multi-queue-num-queues", 2 },
		{ "queue-0", "tx-ring-ref", 10 }, { "queue-0", "rx-ring-ref", 11 },
		{ "queue-0", "event-channel-tx", 3 },
		{ "queue-0", "event-channel-rx", 4 },
		{ "queue-1", "tx-ring-ref", 20 }, { "queue-1", "rx-ring-ref", 21 },
		{ "queue-1", "event-channel", 5 },
	};
	struct pvio_nb_queue_keys *k;
	char why[160];

	KUNIT_EXPECT_EQ(test, nbq(test, keys, ARRAY_SIZE(keys), 2, &k, why),
			-EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "queue-1: split event"));
}

static struct kunit_case pvio_nb_rate_cases[] = {
	KUNIT_CASE(nb_credit_grid),
	KUNIT_CASE(nb_rate_parse),
	KUNIT_CASE(nb_credit_unlimited),
	KUNIT_CASE(nb_credit_window),
	KUNIT_CASE(nb_credit_rate),
	KUNIT_CASE(nb_credit_burst),
	{}
};

static struct kunit_suite pvio_netback_rate_suite = {
	.name = "pvio_netback_rate",
	.test_cases = pvio_nb_rate_cases,
};

static struct kunit_case pvio_nb_tx_cases[] = {
	KUNIT_CASE(nb_queues),
	KUNIT_CASE(nb_qkeys_flat),
	KUNIT_CASE(nb_qkeys_multi),
	KUNIT_CASE(nb_qkeys_too_many),
	KUNIT_CASE(nb_qkeys_missing),
	KUNIT_CASE(nb_qkeys_mixed),
	KUNIT_CASE(nb_qkeys_bad_index),
	KUNIT_CASE(nb_one_slot),
	KUNIT_CASE(nb_two_slots),
	KUNIT_CASE(nb_slot_limit),
	KUNIT_CASE(nb_zero_length_frag),
	KUNIT_CASE(nb_headers_split),
	KUNIT_CASE(nb_cross_page),
	KUNIT_CASE(nb_drops),
	KUNIT_CASE(nb_extras),
	KUNIT_CASE(nb_ring_indexes),
	KUNIT_CASE(nb_prod_jump),
	{}
};

static struct kunit_suite pvio_netback_check_suite = {
	.name = "pvio_netback_check",
	.test_cases = pvio_nb_tx_cases,
};

kunit_test_suites(&pvio_netback_check_suite, &pvio_netback_rate_suite);

MODULE_DESCRIPTION("KUnit: pvio-netback guest TX validation");
MODULE_LICENSE("GPL");
