// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvio_netfront_check: the response checks fed a hostile
 * backend's entries: TX ids out of range, never issued or answered twice;
 * RX ids of the wrong slot, offset + status beyond the page, negative
 * status, incomplete chains, too many slots; an rsp_prod jump.
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include "netfront.h"

static void nf_tx_ids(struct kunit *test)
{
	DECLARE_BITMAP(busy, PVIO_NF_RING);
	struct xen_netif_tx_response r = { .id = 5,
					   .status = XEN_NETIF_RSP_OKAY };

	bitmap_zero(busy, PVIO_NF_RING);
	__set_bit(5, busy);
	KUNIT_EXPECT_EQ(test, pvio_netfront_tx_rsp_check(&r, busy,
							 PVIO_NF_RING), 0);
	r.status = XEN_NETIF_RSP_ERROR;
	KUNIT_EXPECT_EQ(test, pvio_netfront_tx_rsp_check(&r, busy,
							 PVIO_NF_RING), 0);
	/* never issued */
	r.id = 6;
	KUNIT_EXPECT_EQ(test, pvio_netfront_tx_rsp_check(&r, busy,
							 PVIO_NF_RING), -EPROTO);
	/* out of range */
	r.id = PVIO_NF_RING;
	KUNIT_EXPECT_EQ(test, pvio_netfront_tx_rsp_check(&r, busy,
							 PVIO_NF_RING), -EPROTO);
	r.id = 0xffff;
	KUNIT_EXPECT_EQ(test, pvio_netfront_tx_rsp_check(&r, busy,
							 PVIO_NF_RING), -EPROTO);
	/* answered twice: the first answer freed it */
	r.id = 5;
	__clear_bit(5, busy);
	KUNIT_EXPECT_EQ(test, pvio_netfront_tx_rsp_check(&r, busy,
							 PVIO_NF_RING), -EPROTO);
	/* NULL answers an extra slot, no id */
	r.status = XEN_NETIF_RSP_NULL;
	r.id = 0xffff;
	KUNIT_EXPECT_EQ(test, pvio_netfront_tx_rsp_check(&r, busy,
							 PVIO_NF_RING), 1);
}

#define RSP(_id, _off, _flags, _st) \
	((struct xen_netif_rx_response){ .id = (_id), .offset = (_off), \
					 .flags = (_flags), .status = (_st) })

static void nf_rx_single(struct kunit *test)
{
	struct xen_netif_rx_response r[2] = { RSP(7, 0, 0, 60) };
	struct pvio_nf_rxpkt p;

	KUNIT_EXPECT_EQ(test, pvio_netfront_rx_parse(r, 1, 7, &p), 1);
	KUNIT_EXPECT_FALSE(test, p.drop);
	KUNIT_EXPECT_EQ(test, p.len, 60U);
	/* the id of ring index 256 + 7 is 7 too */
	KUNIT_EXPECT_EQ(test, pvio_netfront_rx_parse(r, 1, 263, &p), 1);
	/* wrong slot */
	KUNIT_EXPECT_EQ(test, pvio_netfront_rx_parse(r, 1, 8, &p), -EPROTO);
	r[0].id = 300;
	KUNIT_EXPECT_EQ(test, pvio_netfront_rx_parse(r, 1, 300, &p), -EPROTO);
	KUNIT_EXPECT_EQ(test, pvio_netfront_rx_parse(r, 0, 7, &p), 0);
}

static void nf_rx_bounds(struct kunit *test)
{
	struct xen_netif_rx_response r[2];
	struct pvio_nf_rxpkt p;

	r[0] = RSP(0, 4000, 0, 97);	/* 4097 */
	KUNIT_EXPECT_EQ(test, pvio_netfront_rx_parse(r, 1, 0, &p), 1);
	KUNIT_EXPECT_TRUE(test, p.drop);
	r[0] = RSP(0, 4000, 0, 96);	/* exactly the page */
	KUNIT_EXPECT_EQ(test, pvio_netfront_rx_parse(r, 1, 0, &p), 1);
	KUNIT_EXPECT_FALSE(test, p.drop);
	r[0] = RSP(0, 4096, 0, 0);
	KUNIT_EXPECT_EQ(test, pvio_netfront_rx_parse(r, 1, 0, &p), 1);
	KUNIT_EXPECT_TRUE(test, p.drop);
	r[0] = RSP(0, 0xffff, 0, 0x7fff);
	KUNIT_EXPECT_EQ(test, pvio_netfront_rx_parse(r, 1, 0, &p), 1);
	KUNIT_EXPECT_TRUE(test, p.drop);
	r[0] = RSP(0, 0, 0, XEN_NETIF_RSP_ERROR);
	KUNIT_EXPECT_EQ(test, pvio_netfront_rx_parse(r, 1, 0, &p), 1);
	KUNIT_EXPECT_TRUE(test, p.drop);
	/* too short for Ethernet */
	r[0] = RSP(0, 0, 0, 10);
	KUNIT_EXPECT_EQ(test, pvio_netfront_rx_parse(r, 1, 0, &p), 1);
	KUNIT_EXPECT_TRUE(test, p.drop);
	/* a bad second slot drops the whole packet */
	r[0] = RSP(0, 0, XEN_NETRXF_more_data, 4096);
	r[1] = RSP(1, 100, 0, 4000);
	KUNIT_EXPECT_EQ(test, pvio_netfront_rx_parse(r, 2, 0, &p), 2);
	KUNIT_EXPECT_TRUE(test, p.drop);
}

static void nf_rx_chain(struct kunit *test)
{
	struct xen_netif_rx_response r[PVIO_NF_RX_SCAN];
	struct xen_netif_extra_info *e = (void *)&r[1];
	struct pvio_nf_rxpkt p;
	unsigned int i;

	r[0] = RSP(250, 0, XEN_NETRXF_more_data | XEN_NETRXF_extra_info |
		   XEN_NETRXF_csum_blank, 4096);
	memset(e, 0, sizeof(*e));
	e->type = XEN_NETIF_EXTRA_TYPE_GSO;
	e->u.gso.size = 1448;
	e->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV6;
	r[2] = RSP(252, 0, XEN_NETRXF_more_data, 4096);
	r[3] = RSP(253, 0, 0, 100);
	KUNIT_EXPECT_EQ(test, pvio_netfront_rx_parse(r, 4, 250, &p), 4);
	KUNIT_EXPECT_FALSE(test, p.drop);
	KUNIT_EXPECT_EQ(test, p.len, 8292U);
	KUNIT_EXPECT_EQ(test, p.nr_data, 3U);
	KUNIT_EXPECT_EQ(test, p.extra_mask, (u32)BIT(1));
	KUNIT_EXPECT_EQ(test, p.gso.u.gso.size, 1448);
	/* incomplete chain */
	KUNIT_EXPECT_EQ(test, pvio_netfront_rx_parse(r, 3, 250, &p), -EPROTO);
	/* wrong id inside the chain */
	r[3].id = 0;
	KUNIT_EXPECT_EQ(test, pvio_netfront_rx_parse(r, 4, 250, &p), -EPROTO);
	r[3].id = 253;
	/* GSO size 0: dropped, not fatal */
	e->u.gso.size = 0;
	KUNIT_EXPECT_EQ(test, pvio_netfront_rx_parse(r, 4, 250, &p), 4);
	KUNIT_EXPECT_TRUE(test, p.drop);
	/* more than 18 data slots */
	for (i = 0; i < PVIO_NF_RX_SCAN; i++)
		r[i] = RSP(i, 0, XEN_NETRXF_more_data, 100);
	KUNIT_EXPECT_EQ(test, pvio_netfront_rx_parse(r, PVIO_NF_RX_SCAN, 0,
						     &p), -EPROTO);
}

static void nf_rsp_prod_jump(struct kunit *test)
{
	struct xen_netif_rx_front_ring ring;
	struct xen_netif_rx_sring *s;

	s = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	SHARED_RING_INIT(s);
	FRONT_RING_INIT(&ring, s, PVIO_NF_PAGE);
	KUNIT_EXPECT_EQ(test, RING_SIZE(&ring), 256U);
	ring.req_prod_pvt = 10;
	WRITE_ONCE(s->rsp_prod, 10);
	KUNIT_EXPECT_EQ(test, PVIO_RING_RESPONSES_AVAIL(&ring), 10);
	/* answers to requests never made */
	WRITE_ONCE(s->rsp_prod, 11);
	KUNIT_EXPECT_EQ(test, PVIO_RING_RESPONSES_AVAIL(&ring), -EPROTO);
	WRITE_ONCE(s->rsp_prod, 0x80000000U);
	KUNIT_EXPECT_EQ(test, PVIO_RING_RESPONSES_AVAIL(&ring), -EPROTO);
	WRITE_ONCE(s->rsp_prod, 0xffffffffU);
	KUNIT_EXPECT_EQ(test, PVIO_RING_RESPONSES_AVAIL(&ring), -EPROTO);
}

/* The offload keys from eth<N>'s wanted features and offload=. */
static void nf_offload_keys(struct kunit *test)
{
	const netdev_features_t all = NETIF_F_SG | NETIF_F_IP_CSUM |
				      NETIF_F_IPV6_CSUM | NETIF_F_TSO |
				      NETIF_F_TSO6;
	struct pvio_nf_offload_keys k;

	pvio_netfront_offload_keys(all, true, &k);
	KUNIT_EXPECT_FALSE(test, k.no_csum);
	KUNIT_EXPECT_TRUE(test, k.ipv6_csum);
	KUNIT_EXPECT_TRUE(test, k.gso_v4);
	KUNIT_EXPECT_TRUE(test, k.gso_v6);
	/* offload=0: nothing, whatever eth<N> wants */
	pvio_netfront_offload_keys(all, false, &k);
	KUNIT_EXPECT_TRUE(test, k.no_csum);
	KUNIT_EXPECT_FALSE(test, k.ipv6_csum);
	KUNIT_EXPECT_FALSE(test, k.gso_v4);
	KUNIT_EXPECT_FALSE(test, k.gso_v6);
	/* ethtool -K tx off: no checksum, so no GSO, though tso is wanted */
	pvio_netfront_offload_keys(all & ~(NETIF_F_IP_CSUM | NETIF_F_IPV6_CSUM),
				   true, &k);
	KUNIT_EXPECT_TRUE(test, k.no_csum);
	KUNIT_EXPECT_FALSE(test, k.ipv6_csum);
	KUNIT_EXPECT_FALSE(test, k.gso_v4);
	KUNIT_EXPECT_FALSE(test, k.gso_v6);
	/* tso off, checksums on; IPv6 checksum alone off */
	pvio_netfront_offload_keys(all & ~(NETIF_F_TSO | NETIF_F_IPV6_CSUM),
				   true, &k);
	KUNIT_EXPECT_FALSE(test, k.no_csum);
	KUNIT_EXPECT_FALSE(test, k.ipv6_csum);
	KUNIT_EXPECT_FALSE(test, k.gso_v4);
	KUNIT_EXPECT_FALSE(test, k.gso_v6);
}

static struct kunit_case pvio_nf_rsp_cases[] = {
	KUNIT_CASE(nf_offload_keys),
	KUNIT_CASE(nf_tx_ids),
	KUNIT_CASE(nf_rx_single),
	KUNIT_CASE(nf_rx_bounds),
	KUNIT_CASE(nf_rx_chain),
	KUNIT_CASE(nf_rsp_prod_jump),
	{}
};

static struct kunit_suite pvio_netfront_check_suite = {
	.name = "pvio_netfront_check",
	.test_cases = pvio_nf_rsp_cases,
};

kunit_test_suite(pvio_netfront_check_suite);

MODULE_DESCRIPTION("KUnit: pvio-netfront response checks");
MODULE_LICENSE("GPL");
