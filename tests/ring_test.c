// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for include/pvio/ring.h, the hostile-safe shared-ring layer.
 *
 * A test ring type (16-byte request and response, 128 slots in a 4 KiB
 * page) is declared with Xen's DEFINE_RING_TYPES(); one kzalloc'd page is
 * used as the shared ring, with a front and a back ring attached to it in
 * the same kernel, so each case can play both peers (or a hostile one).
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <pvio/ring.h>

#define RT_PAGE		4096
#define RT_SIZE		128U	/* (4096 - 64) / 16 rounded down to 2^n */

struct pvio_rt_req {
	u32 id;
	u32 op;
	u64 val;
};

struct pvio_rt_rsp {
	u32 id;
	s32 status;
	u64 val;
};

DEFINE_RING_TYPES(pvio_rt, struct pvio_rt_req, struct pvio_rt_rsp);

static_assert(__CONST_RING_SIZE(pvio_rt, RT_PAGE) == RT_SIZE);

struct rt_ctx {
	struct pvio_rt_sring *s;
	struct pvio_rt_front_ring front;
	struct pvio_rt_back_ring back;
};

/* Reproducible pseudo-random numbers: Knuth's MMIX LCG, top 31 bits. */
static u32 rt_rand(u64 *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (u32)(*state >> 33);
}

/* Value carried by the request with sequence number @seq. */
static u64 rt_val(u64 seq)
{
	return (seq + 1) * 0x9E3779B97F4A7C15ULL;
}

static int rt_init(struct kunit *test)
{
	struct rt_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c);
	c->s = kunit_kzalloc(test, RT_PAGE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c->s);
	XEN_FRONT_RING_INIT(&c->front, c->s, RT_PAGE);
	BACK_RING_INIT(&c->back, c->s, RT_PAGE);
	test->priv = c;
	return 0;
}

/*
 * Put an empty ring at free-running index @start, as if @start entries had
 * gone through it: shared indices at @start, events at @start + 1 (what
 * SHARED_RING_INIT gives for @start = 0), both private halves attached.
 */
static void rt_attach(struct rt_ctx *c, RING_IDX start)
{
	c->s->req_prod = start;
	c->s->rsp_prod = start;
	c->s->req_event = start + 1;
	c->s->rsp_event = start + 1;
	FRONT_RING_ATTACH(&c->front, c->s, start, RT_PAGE);
	BACK_RING_ATTACH(&c->back, c->s, start, RT_PAGE);
}

/* Front: produce @n requests with sequence numbers from @seq, then push. */
static bool rt_produce(struct kunit *test, struct rt_ctx *c, unsigned int n,
		       u64 seq)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		RING_IDX idx = c->front.req_prod_pvt;
		struct pvio_rt_req *req = PVIO_RING_NEXT_REQUEST(&c->front);

		KUNIT_ASSERT_PTR_EQ(test, req,
				    &c->s->ring[pvio_ring_slot(idx, RT_SIZE)].req);
		req->id = (u32)(seq + i);
		req->op = 1;
		req->val = rt_val(seq + i);
	}
	return PVIO_RING_PUSH_REQUESTS(&c->front);
}

/* Back: consume @n requests (checking them from @seq on), answer, push. */
static bool rt_serve(struct kunit *test, struct rt_ctx *c, unsigned int n,
		     u64 seq)
{
	struct pvio_rt_req req;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct pvio_rt_rsp *rsp;

		PVIO_RING_COPY_REQUEST(&c->back, c->back.req_cons++, &req);
		KUNIT_ASSERT_EQ(test, req.id, (u32)(seq + i));
		KUNIT_ASSERT_EQ(test, req.val, rt_val(seq + i));
		rsp = PVIO_RING_NEXT_RESPONSE(&c->back);
		KUNIT_ASSERT_NOT_NULL(test, rsp);
		rsp->id = req.id;
		rsp->status = 0;
		rsp->val = ~req.val;
	}
	return PVIO_RING_PUSH_RESPONSES(&c->back);
}

/* Front: consume @n responses, checking them from @seq on. */
static void rt_reap(struct kunit *test, struct rt_ctx *c, unsigned int n,
		    u64 seq)
{
	struct pvio_rt_rsp rsp;
	unsigned int i;

	for (i = 0; i < n; i++) {
		PVIO_RING_COPY_RESPONSE(&c->front, c->front.rsp_cons++, &rsp);
		KUNIT_ASSERT_EQ(test, rsp.id, (u32)(seq + i));
		KUNIT_ASSERT_EQ(test, rsp.val, ~rt_val(seq + i));
	}
}

/* ---------------------------------------------------------------------- */

static void ring_test_index_math(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, pvio_ring_slot(0, RT_SIZE), 0U);
	KUNIT_EXPECT_EQ(test, pvio_ring_slot(RT_SIZE + 3, RT_SIZE), 3U);
	KUNIT_EXPECT_EQ(test, pvio_ring_slot(0xFFFFFFFF, RT_SIZE), RT_SIZE - 1);
	KUNIT_EXPECT_EQ(test, pvio_ring_unconsumed(5, 5), 0U);
	KUNIT_EXPECT_EQ(test, pvio_ring_unconsumed(0x5, 0xFFFFFFFB), 10U);
	KUNIT_EXPECT_EQ(test, pvio_ring_unconsumed(0, 0xFFFFFFFF), 1U);
	KUNIT_EXPECT_EQ(test, pvio_ring_free_slots(0x10, 0xFFFFFFF0, RT_SIZE),
			RT_SIZE - 0x20);
	KUNIT_EXPECT_EQ(test, pvio_ring_free_slots(0x40, 0xFFFFFFC0, RT_SIZE),
			0U);
	KUNIT_EXPECT_EQ(test, pvio_ring_check_prod(0x3, 0xFFFFFFFE,
						   0xFFFFFFFC, RT_SIZE), 5);
	KUNIT_EXPECT_EQ(test, pvio_ring_check_prod(0xFFFFFFFD, 0xFFFFFFFE,
						   0xFFFFFFFC, RT_SIZE),
			-EPROTO);
}

static void ring_test_wraparound(struct kunit *test)
{
	struct rt_ctx *c = test->priv;
	const RING_IDX start = 0xFFFFFFF0;
	struct pvio_rt_req req;
	u64 seq = 0;
	int round;

	rt_attach(c, start);
	KUNIT_ASSERT_EQ(test, RING_SIZE(&c->front), RT_SIZE);
	KUNIT_ASSERT_EQ(test, RING_SIZE(&c->back), RT_SIZE);

	/* 5 batches of 13 from 2^32 - 16: the third batch straddles 0. */
	for (round = 0; round < 5; round++) {
		RING_IDX before = c->back.req_cons;

		rt_produce(test, c, 13, seq);
		KUNIT_EXPECT_EQ(test, c->s->req_prod, (RING_IDX)(before + 13));
		KUNIT_ASSERT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&c->back), 13);
		KUNIT_EXPECT_EQ(test, XEN_RING_NR_UNCONSUMED_REQUESTS(&c->back),
				13U);
		rt_serve(test, c, 13, seq);
		KUNIT_ASSERT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&c->back), 0);
		KUNIT_ASSERT_EQ(test, PVIO_RING_RESPONSES_AVAIL(&c->front), 13);
		rt_reap(test, c, 13, seq);
		KUNIT_ASSERT_EQ(test, PVIO_RING_RESPONSES_AVAIL(&c->front), 0);
		KUNIT_EXPECT_EQ(test, RING_FREE_REQUESTS(&c->front), RT_SIZE);
		seq += 13;
	}
	KUNIT_EXPECT_EQ(test, c->front.req_prod_pvt, (RING_IDX)0x31);
	KUNIT_EXPECT_EQ(test, c->front.rsp_cons, (RING_IDX)0x31);
	KUNIT_EXPECT_EQ(test, c->back.req_cons, (RING_IDX)0x31);
	KUNIT_EXPECT_EQ(test, c->back.rsp_prod_pvt, (RING_IDX)0x31);
	KUNIT_EXPECT_EQ(test, c->s->req_prod, (RING_IDX)0x31);
	KUNIT_EXPECT_EQ(test, c->s->rsp_prod, (RING_IDX)0x31);

	/* A completely full ring whose contents straddle the wrap. */
	rt_attach(c, 0xFFFFFFC0);
	rt_produce(test, c, RT_SIZE, 1000);
	KUNIT_EXPECT_TRUE(test, RING_FULL(&c->front));
	KUNIT_EXPECT_EQ(test, c->s->req_prod, (RING_IDX)0x40);
	KUNIT_ASSERT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&c->back), (int)RT_SIZE);

	/* The copy is private: rewriting the slot afterwards changes nothing */
	PVIO_RING_COPY_REQUEST(&c->back, 0xFFFFFFFF, &req);
	KUNIT_EXPECT_EQ(test, req.id, 1000U + 0x3F);
	RING_GET_REQUEST(&c->back, 0xFFFFFFFF)->id = 0xBAD;
	RING_GET_REQUEST(&c->back, 0xFFFFFFFF)->val = 0xBAD;
	KUNIT_EXPECT_EQ(test, req.id, 1000U + 0x3F);
	KUNIT_EXPECT_EQ(test, req.val, rt_val(1000 + 0x3F));
	PVIO_RING_COPY_REQUEST(&c->back, 0, &req);
	KUNIT_EXPECT_EQ(test, req.val, rt_val(1000 + 0x40));
	KUNIT_EXPECT_PTR_EQ(test, RING_GET_REQUEST(&c->back, 0),
			    &c->s->ring[0].req);
}

static void ring_test_full_empty_at(struct kunit *test, RING_IDX start)
{
	struct rt_ctx *c = test->priv;
	unsigned int k;

	rt_attach(c, start);
	/* Empty. */
	KUNIT_EXPECT_EQ(test, RING_FREE_REQUESTS(&c->front), RT_SIZE);
	KUNIT_EXPECT_EQ(test, pvio_ring_free_slots(c->front.req_prod_pvt,
						   c->front.rsp_cons, RT_SIZE),
			RT_SIZE);
	KUNIT_EXPECT_FALSE(test, RING_FULL(&c->front));
	KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&c->back), 0);
	KUNIT_EXPECT_EQ(test, PVIO_RING_RESPONSES_AVAIL(&c->front), 0);
	KUNIT_EXPECT_NULL(test, PVIO_RING_NEXT_RESPONSE(&c->back));
	KUNIT_EXPECT_EQ(test, c->back.rsp_prod_pvt, start);

	/* Fill one slot at a time. */
	for (k = 1; k <= RT_SIZE; k++) {
		struct pvio_rt_req *req = PVIO_RING_NEXT_REQUEST(&c->front);

		KUNIT_ASSERT_NOT_NULL(test, req);
		req->id = k - 1;
		req->val = rt_val(k - 1);
		KUNIT_ASSERT_EQ(test, RING_FREE_REQUESTS(&c->front),
				RT_SIZE - k);
		KUNIT_ASSERT_EQ(test, pvio_ring_free_slots(c->front.req_prod_pvt,
							   c->front.rsp_cons,
							   RT_SIZE),
				RT_SIZE - k);
		KUNIT_ASSERT_EQ(test, (bool)RING_FULL(&c->front),
				k == RT_SIZE);
	}
	/* Full: no slot, and the private index must not move. */
	KUNIT_EXPECT_NULL(test, PVIO_RING_NEXT_REQUEST(&c->front));
	KUNIT_EXPECT_EQ(test, c->front.req_prod_pvt, (RING_IDX)(start + RT_SIZE));
	/* Nothing visible until the push. */
	KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&c->back), 0);
	KUNIT_EXPECT_TRUE(test, PVIO_RING_PUSH_REQUESTS(&c->front));
	KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&c->back), (int)RT_SIZE);
	KUNIT_EXPECT_FALSE(test, PVIO_RING_REQ_PROD_OVERFLOW(&c->back,
							     c->s->req_prod));

	/* Backend takes everything: the front stays full until responses. */
	rt_serve(test, c, RT_SIZE, 0);
	KUNIT_EXPECT_NULL(test, PVIO_RING_NEXT_RESPONSE(&c->back));
	KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&c->back), 0);
	KUNIT_EXPECT_TRUE(test, RING_FULL(&c->front));
	KUNIT_EXPECT_EQ(test, PVIO_RING_RESPONSES_AVAIL(&c->front),
			(int)RT_SIZE);

	rt_reap(test, c, RT_SIZE / 2, 0);
	KUNIT_EXPECT_EQ(test, RING_FREE_REQUESTS(&c->front), RT_SIZE / 2);
	KUNIT_EXPECT_EQ(test, PVIO_RING_RESPONSES_AVAIL(&c->front),
			(int)RT_SIZE / 2);
	rt_reap(test, c, RT_SIZE / 2, RT_SIZE / 2);
	KUNIT_EXPECT_EQ(test, RING_FREE_REQUESTS(&c->front), RT_SIZE);
	KUNIT_EXPECT_EQ(test, PVIO_RING_RESPONSES_AVAIL(&c->front), 0);
	KUNIT_EXPECT_FALSE(test, RING_FULL(&c->front));
	KUNIT_EXPECT_EQ(test, c->front.rsp_cons, (RING_IDX)(start + RT_SIZE));
}

static void ring_test_full_empty(struct kunit *test)
{
	ring_test_full_empty_at(test, 0);
	ring_test_full_empty_at(test, 0xFFFFFF80);	/* full exactly at 2^32 */
	ring_test_full_empty_at(test, 0xFFFFFFFF);
	ring_test_full_empty_at(test, 0x7FFFFFC0);
}

/*
 * Reference notify model on an unwrapped number line: positions are small
 * integers, the ring sees them as base + pos * gap modulo 2^32. A forward
 * push notifies iff old < event <= new; a push whose new index is behind
 * the old one (only possible if the old one was corrupted) covers the
 * window (old, new] the long way round the 2^32 circle.
 */
static bool rt_model_notify(int o, int n, int e)
{
	if (o <= n)
		return o < e && e <= n;
	return e <= n || e > o;
}

static int rt_cmp(int a, int b)
{
	return (a > b) - (a < b);
}

static void ring_test_notify_orderings(struct kunit *test)
{
	static const RING_IDX bases[] = {
		0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFE,
		0xFFFFFFFF,
	};
	static const RING_IDX gaps[] = { 1, 2, 1000, 0x3FFFFFFF };
	struct rt_ctx *c = test->priv;
	unsigned long seen = 0;
	unsigned int b, g, t;

	/* Hand-picked cases first, to document the semantics. */
	KUNIT_EXPECT_FALSE(test, pvio_ring_need_notify(7, 7, 7));
	KUNIT_EXPECT_FALSE(test, pvio_ring_need_notify(7, 7, 8));
	KUNIT_EXPECT_TRUE(test, pvio_ring_need_notify(5, 10, 6));
	KUNIT_EXPECT_TRUE(test, pvio_ring_need_notify(5, 10, 10));
	KUNIT_EXPECT_FALSE(test, pvio_ring_need_notify(5, 10, 5));
	KUNIT_EXPECT_FALSE(test, pvio_ring_need_notify(5, 10, 11));
	KUNIT_EXPECT_FALSE(test, pvio_ring_need_notify(5, 10, 1));
	KUNIT_EXPECT_TRUE(test, pvio_ring_need_notify(0xFFFFFFFE, 2, 0));
	KUNIT_EXPECT_TRUE(test, pvio_ring_need_notify(0xFFFFFFFE, 2, 0xFFFFFFFF));
	KUNIT_EXPECT_TRUE(test, pvio_ring_need_notify(0xFFFFFFFE, 2, 2));
	KUNIT_EXPECT_FALSE(test, pvio_ring_need_notify(0xFFFFFFFE, 2, 3));
	KUNIT_EXPECT_FALSE(test, pvio_ring_need_notify(0xFFFFFFFE, 2, 0xFFFFFFFE));

	/*
	 * Every triple of positions in {0,1,2}^3 covers all 13 weak orderings
	 * of (old, new, event), equal values included; each at several bases
	 * (crossing 2^32 and 2^31) and spacings.
	 */
	for (b = 0; b < ARRAY_SIZE(bases); b++) {
		for (g = 0; g < ARRAY_SIZE(gaps); g++) {
			for (t = 0; t < 27; t++) {
				int po = t / 9, pn = (t / 3) % 3, pe = t % 3;
				RING_IDX old = bases[b] + po * gaps[g];
				RING_IDX new = bases[b] + pn * gaps[g];
				RING_IDX ev = bases[b] + pe * gaps[g];
				bool want = rt_model_notify(po, pn, pe);
				bool xen;

				seen |= 1UL << ((rt_cmp(po, pn) + 1) * 9 +
						(rt_cmp(po, pe) + 1) * 3 +
						(rt_cmp(pn, pe) + 1));
				KUNIT_ASSERT_EQ_MSG(test,
						    pvio_ring_need_notify(old, new, ev),
						    want,
						    "old=%#x new=%#x event=%#x",
						    old, new, ev);

				/* The ring macro decides the same way... */
				c->s->req_prod = old;
				c->s->req_event = ev;
				c->front.req_prod_pvt = new;
				KUNIT_ASSERT_EQ(test,
						PVIO_RING_PUSH_REQUESTS(&c->front),
						want);
				KUNIT_ASSERT_EQ(test, c->s->req_prod, new);

				/* ...and so does Xen's own macro. */
				c->s->rsp_prod = old;
				c->s->rsp_event = ev;
				c->back.rsp_prod_pvt = new;
				RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&c->back, xen);
				KUNIT_ASSERT_EQ(test, xen, want);
				c->s->rsp_prod = old;
				KUNIT_ASSERT_EQ(test,
						PVIO_RING_PUSH_RESPONSES(&c->back),
						want);
			}
		}
	}
	KUNIT_EXPECT_EQ(test, hweight_long(seen), 13);
}

static void ring_test_overflow_at(struct kunit *test, RING_IDX b)
{
	static const RING_IDX bad[] = {
		RT_SIZE + 1, 0x80000000, 0xFFFFFFFF, RT_SIZE + 2, 0x7FFFFFFF,
		0x80000001, 0xFFFFFFFF - RT_SIZE,
	};
	static const RING_IDX good[] = { 0, 1, RT_SIZE - 1, RT_SIZE };
	struct rt_ctx *c = test->priv;
	unsigned int i;

	rt_attach(c, b);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		RING_IDX prod = b + bad[i];

		/* Hostile frontend: req_prod jump. */
		KUNIT_EXPECT_TRUE(test, pvio_ring_prod_overflow(prod, b, RT_SIZE));
		KUNIT_EXPECT_TRUE(test, PVIO_RING_REQ_PROD_OVERFLOW(&c->back, prod));
		KUNIT_EXPECT_TRUE(test, RING_REQUEST_PROD_OVERFLOW(&c->back, prod));
		c->s->req_prod = prod;
		KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&c->back), -EPROTO);
		KUNIT_EXPECT_EQ(test, PVIO_RING_FINAL_CHECK_FOR_REQUESTS(&c->back),
				-EPROTO);
		KUNIT_EXPECT_EQ(test, c->s->req_event, (RING_IDX)(b + 1));
		KUNIT_EXPECT_EQ(test, c->back.req_cons, b);

		/* Hostile backend: rsp_prod jump with every slot outstanding */
		c->front.req_prod_pvt = b + RT_SIZE;
		KUNIT_EXPECT_TRUE(test, PVIO_RING_RSP_PROD_OVERFLOW(&c->front, prod));
		KUNIT_EXPECT_TRUE(test, RING_RESPONSE_PROD_OVERFLOW(&c->front, prod));
		c->s->rsp_prod = prod;
		KUNIT_EXPECT_EQ(test, PVIO_RING_RESPONSES_AVAIL(&c->front), -EPROTO);
		KUNIT_EXPECT_EQ(test,
				PVIO_RING_FINAL_CHECK_FOR_RESPONSES(&c->front),
				-EPROTO);
		KUNIT_EXPECT_EQ(test, c->s->rsp_event, (RING_IDX)(b + 1));
		KUNIT_EXPECT_EQ(test, c->front.rsp_cons, b);
		c->front.req_prod_pvt = b;
	}

	/* No false positive up to and including exactly RING_SIZE. */
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		RING_IDX prod = b + good[i];

		KUNIT_EXPECT_FALSE(test, pvio_ring_prod_overflow(prod, b, RT_SIZE));
		KUNIT_EXPECT_FALSE(test, PVIO_RING_REQ_PROD_OVERFLOW(&c->back, prod));
		c->s->req_prod = prod;
		KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&c->back),
				(int)good[i]);
		c->front.req_prod_pvt = b + RT_SIZE;
		KUNIT_EXPECT_FALSE(test, PVIO_RING_RSP_PROD_OVERFLOW(&c->front, prod));
		c->s->rsp_prod = prod;
		KUNIT_EXPECT_EQ(test, PVIO_RING_RESPONSES_AVAIL(&c->front),
				(int)good[i]);
	}

	/*
	 * Backend with 10 requests consumed but not yet answered: the frontend
	 * may have RING_SIZE - 10 more; more, or req_prod moving backwards
	 * behind req_cons (which Xen's macro alone lets through), is bogus.
	 */
	c->back.req_cons = b + 10;
	c->s->req_prod = b + RT_SIZE;
	KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&c->back),
			(int)RT_SIZE - 10);
	c->s->req_prod = b + RT_SIZE + 1;
	KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&c->back), -EPROTO);
	c->s->req_prod = b + 5;
	KUNIT_EXPECT_FALSE(test, RING_REQUEST_PROD_OVERFLOW(&c->back, b + 5));
	KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&c->back), -EPROTO);
	c->s->req_prod = b + 10;
	KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&c->back), 0);

	/*
	 * Frontend with 3 requests outstanding: a 4th response answers a
	 * request never made (Xen's RING_SIZE bound would accept it).
	 */
	c->front.req_prod_pvt = b + 3;
	c->s->rsp_prod = b + 4;
	KUNIT_EXPECT_FALSE(test, RING_RESPONSE_PROD_OVERFLOW(&c->front, b + 4));
	KUNIT_EXPECT_TRUE(test, PVIO_RING_RSP_PROD_OVERFLOW(&c->front, b + 4));
	KUNIT_EXPECT_EQ(test, PVIO_RING_RESPONSES_AVAIL(&c->front), -EPROTO);
	c->s->rsp_prod = b + 3;
	KUNIT_EXPECT_EQ(test, PVIO_RING_RESPONSES_AVAIL(&c->front), 3);
}

static void ring_test_overflow(struct kunit *test)
{
	ring_test_overflow_at(test, 0);
	ring_test_overflow_at(test, 100);
	ring_test_overflow_at(test, 0x7FFFFFFF);
	ring_test_overflow_at(test, 0xFFFFFF80);
	ring_test_overflow_at(test, 0xFFFFFFFF);
}

static void ring_test_final_check(struct kunit *test)
{
	struct rt_ctx *c = test->priv;
	RING_IDX ev;

	rt_attach(c, 0xFFFFFFFD);
	/* Some traffic first, so the event index is stale. */
	KUNIT_EXPECT_TRUE(test, rt_produce(test, c, 3, 0));
	KUNIT_ASSERT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&c->back), 3);
	rt_serve(test, c, 3, 0);
	KUNIT_EXPECT_EQ(test, c->s->req_event, (RING_IDX)0xFFFFFFFE);

	/* While the backend is awake (event stale), pushes do not notify. */
	KUNIT_EXPECT_FALSE(test, rt_produce(test, c, 2, 3));
	KUNIT_EXPECT_EQ(test, PVIO_RING_FINAL_CHECK_FOR_REQUESTS(&c->back), 2);
	KUNIT_EXPECT_EQ(test, c->s->req_event, (RING_IDX)0xFFFFFFFE);
	rt_serve(test, c, 2, 3);

	/* No work: the final check arms req_event = req_cons + 1. */
	KUNIT_EXPECT_EQ(test, PVIO_RING_FINAL_CHECK_FOR_REQUESTS(&c->back), 0);
	KUNIT_EXPECT_EQ(test, c->s->req_event, (RING_IDX)(c->back.req_cons + 1));
	KUNIT_EXPECT_EQ(test, c->back.req_cons, (RING_IDX)2);
	/* ...so the next request wakes it, and is found. */
	KUNIT_EXPECT_TRUE(test, rt_produce(test, c, 1, 5));
	KUNIT_EXPECT_EQ(test, PVIO_RING_FINAL_CHECK_FOR_REQUESTS(&c->back), 1);
	rt_serve(test, c, 1, 5);

	/*
	 * The race the re-check closes, step by step with the primitives
	 * ring_test_final_check() is made of: the backend looks (nothing),
	 * the frontend publishes against the stale event (no notify), the
	 * backend arms its event and looks again: the request is there.
	 */
	ev = c->s->req_event;
	KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&c->back), 0);
	KUNIT_EXPECT_FALSE(test, rt_produce(test, c, 1, 6));
	KUNIT_EXPECT_EQ(test, c->s->req_event, ev);
	pvio_ring_arm_event(&c->s->req_event, c->back.req_cons);
	KUNIT_EXPECT_EQ(test, c->s->req_event, (RING_IDX)(c->back.req_cons + 1));
	KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&c->back), 1);
	KUNIT_EXPECT_EQ(test, PVIO_RING_FINAL_CHECK_FOR_REQUESTS(&c->back), 1);
	rt_serve(test, c, 1, 6);
	KUNIT_EXPECT_EQ(test, PVIO_RING_FINAL_CHECK_FOR_REQUESTS(&c->back), 0);

	/* Same for responses on the frontend side. */
	KUNIT_EXPECT_EQ(test, PVIO_RING_FINAL_CHECK_FOR_RESPONSES(&c->front), 7);
	rt_reap(test, c, 7, 0);
	KUNIT_EXPECT_EQ(test, PVIO_RING_FINAL_CHECK_FOR_RESPONSES(&c->front), 0);
	KUNIT_EXPECT_EQ(test, c->s->rsp_event, (RING_IDX)(c->front.rsp_cons + 1));
	KUNIT_EXPECT_TRUE(test, rt_produce(test, c, 2, 7));	/* req_event armed */
	KUNIT_ASSERT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&c->back), 2);
	KUNIT_EXPECT_TRUE(test, rt_serve(test, c, 2, 7));
	KUNIT_EXPECT_EQ(test, PVIO_RING_FINAL_CHECK_FOR_RESPONSES(&c->front), 2);
	rt_reap(test, c, 2, 7);
	KUNIT_EXPECT_EQ(test, RING_FREE_REQUESTS(&c->front), RT_SIZE);
}

/* ---------------------------------------------------------------------- */
/* Random fill/drain against a reference model                             */
/* ---------------------------------------------------------------------- */

#define RT_QCAP		300	/* > RT_SIZE, deliberately not a power of 2 */
#define RT_STEPS	20000
#define RT_START	((RING_IDX)(0U - 1000U))

/* Plain array FIFO of values: the reference for what each side must see. */
struct rt_queue {
	u64 v[RT_QCAP];
	unsigned int head, len;
};

static void rt_q_push(struct kunit *test, struct rt_queue *q, u64 v)
{
	KUNIT_ASSERT_LT(test, q->len, (unsigned int)RT_QCAP);
	q->v[(q->head + q->len) % RT_QCAP] = v;
	q->len++;
}

static u64 rt_q_pop(struct kunit *test, struct rt_queue *q)
{
	u64 v;

	KUNIT_ASSERT_GT(test, q->len, 0U);
	v = q->v[q->head];
	q->head = (q->head + 1) % RT_QCAP;
	q->len--;
	return v;
}

struct rt_model {
	u64 rng;
	/* Unwrapped 64-bit versions of the four ring indices and events. */
	u64 req_prod, req_cons, rsp_prod, rsp_cons, req_event, rsp_event;
	struct rt_queue reqs;	/* published, not consumed by the backend */
	struct rt_queue pend;	/* consumed, not answered */
	struct rt_queue rsps;	/* answered, not consumed by the frontend */
	bool back_asleep, back_kicked, front_asleep, front_kicked;
	unsigned long req_pushes, req_notifies, rsp_pushes, rsp_notifies;
	unsigned long back_sleeps, front_sleeps;
};

static bool rt_window(u64 old, u64 new, u64 event)
{
	return old < event && event <= new;
}

static void rt_m_produce(struct kunit *test, struct rt_ctx *c,
			 struct rt_model *m)
{
	unsigned int free = RT_SIZE - (unsigned int)(m->req_prod - m->rsp_cons);
	unsigned int k = rt_rand(&m->rng) % (free + 1), i;
	bool notify, want;

	KUNIT_ASSERT_EQ(test, RING_FREE_REQUESTS(&c->front), free);
	for (i = 0; i < k; i++) {
		struct pvio_rt_req *req = PVIO_RING_NEXT_REQUEST(&c->front);
		u64 v = ((u64)rt_rand(&m->rng) << 32) | rt_rand(&m->rng);

		KUNIT_ASSERT_NOT_NULL(test, req);
		req->id = (u32)(m->req_prod + i);
		req->op = 0;
		req->val = v;
		rt_q_push(test, &m->reqs, v);
	}
	if (k == free)
		KUNIT_ASSERT_NULL(test, PVIO_RING_NEXT_REQUEST(&c->front));
	notify = PVIO_RING_PUSH_REQUESTS(&c->front);
	want = rt_window(m->req_prod, m->req_prod + k, m->req_event);
	KUNIT_ASSERT_EQ(test, notify, want);
	m->req_prod += k;
	m->req_pushes++;
	if (notify) {
		m->req_notifies++;
		m->back_kicked = true;
	}
	KUNIT_ASSERT_EQ(test, c->s->req_prod, (RING_IDX)m->req_prod);
}

static void rt_m_consume(struct kunit *test, struct rt_ctx *c,
			 struct rt_model *m)
{
	unsigned int n, k, i;
	struct pvio_rt_req req;
	int avail;

	if (m->back_asleep && !m->back_kicked)
		return;
	m->back_asleep = false;
	m->back_kicked = false;
	avail = PVIO_RING_REQUESTS_AVAIL(&c->back);
	n = (unsigned int)(m->req_prod - m->req_cons);
	KUNIT_ASSERT_EQ(test, avail, (int)n);
	k = rt_rand(&m->rng) % (n + 1);
	for (i = 0; i < k; i++) {
		u64 want = rt_q_pop(test, &m->reqs);

		PVIO_RING_COPY_REQUEST(&c->back, c->back.req_cons++, &req);
		KUNIT_ASSERT_EQ(test, req.val, want);
		KUNIT_ASSERT_EQ(test, req.id, (u32)m->req_cons);
		rt_q_push(test, &m->pend, want);
		m->req_cons++;
	}
	if (k < n)
		return;
	/* Drained what it saw: final check, then sleep. */
	KUNIT_ASSERT_EQ(test, PVIO_RING_FINAL_CHECK_FOR_REQUESTS(&c->back), 0);
	m->req_event = m->req_cons + 1;
	KUNIT_ASSERT_EQ(test, c->s->req_event, (RING_IDX)m->req_event);
	m->back_asleep = true;
	m->back_sleeps++;
}

static void rt_m_respond(struct kunit *test, struct rt_ctx *c,
			 struct rt_model *m)
{
	unsigned int n = (unsigned int)(m->req_cons - m->rsp_prod);
	unsigned int k = rt_rand(&m->rng) % (n + 1), i;
	bool notify, want;

	for (i = 0; i < k; i++) {
		struct pvio_rt_rsp *rsp = PVIO_RING_NEXT_RESPONSE(&c->back);
		u64 v = rt_q_pop(test, &m->pend);

		KUNIT_ASSERT_NOT_NULL(test, rsp);
		rsp->id = (u32)(m->rsp_prod + i);
		rsp->status = 0;
		rsp->val = ~v;
		rt_q_push(test, &m->rsps, ~v);
	}
	if (k == n)
		KUNIT_ASSERT_NULL(test, PVIO_RING_NEXT_RESPONSE(&c->back));
	notify = PVIO_RING_PUSH_RESPONSES(&c->back);
	want = rt_window(m->rsp_prod, m->rsp_prod + k, m->rsp_event);
	KUNIT_ASSERT_EQ(test, notify, want);
	m->rsp_prod += k;
	m->rsp_pushes++;
	if (notify) {
		m->rsp_notifies++;
		m->front_kicked = true;
	}
	KUNIT_ASSERT_EQ(test, c->s->rsp_prod, (RING_IDX)m->rsp_prod);
}

static void rt_m_reap(struct kunit *test, struct rt_ctx *c, struct rt_model *m)
{
	unsigned int n, k, i;
	struct pvio_rt_rsp rsp;
	int avail;

	if (m->front_asleep && !m->front_kicked)
		return;
	m->front_asleep = false;
	m->front_kicked = false;
	avail = PVIO_RING_RESPONSES_AVAIL(&c->front);
	n = (unsigned int)(m->rsp_prod - m->rsp_cons);
	KUNIT_ASSERT_EQ(test, avail, (int)n);
	k = rt_rand(&m->rng) % (n + 1);
	for (i = 0; i < k; i++) {
		u64 want = rt_q_pop(test, &m->rsps);

		PVIO_RING_COPY_RESPONSE(&c->front, c->front.rsp_cons++, &rsp);
		KUNIT_ASSERT_EQ(test, rsp.val, want);
		KUNIT_ASSERT_EQ(test, rsp.id, (u32)m->rsp_cons);
		m->rsp_cons++;
	}
	if (k < n)
		return;
	KUNIT_ASSERT_EQ(test, PVIO_RING_FINAL_CHECK_FOR_RESPONSES(&c->front), 0);
	m->rsp_event = m->rsp_cons + 1;
	KUNIT_ASSERT_EQ(test, c->s->rsp_event, (RING_IDX)m->rsp_event);
	m->front_asleep = true;
	m->front_sleeps++;
}

/* A sleeping side that was not notified must have nothing to do. */
static void rt_m_invariants(struct kunit *test, struct rt_ctx *c,
			    struct rt_model *m)
{
	if (m->back_asleep && !m->back_kicked)
		KUNIT_ASSERT_EQ_MSG(test, m->req_prod, m->req_cons,
				    "lost wake-up: backend asleep with requests");
	if (m->front_asleep && !m->front_kicked)
		KUNIT_ASSERT_EQ_MSG(test, m->rsp_prod, m->rsp_cons,
				    "lost wake-up: frontend asleep with responses");
	KUNIT_ASSERT_EQ(test, c->front.req_prod_pvt, (RING_IDX)m->req_prod);
	KUNIT_ASSERT_EQ(test, c->front.rsp_cons, (RING_IDX)m->rsp_cons);
	KUNIT_ASSERT_EQ(test, c->back.req_cons, (RING_IDX)m->req_cons);
	KUNIT_ASSERT_EQ(test, c->back.rsp_prod_pvt, (RING_IDX)m->rsp_prod);
	KUNIT_ASSERT_EQ(test, m->reqs.len, (unsigned int)(m->req_prod - m->req_cons));
	KUNIT_ASSERT_EQ(test, m->pend.len, (unsigned int)(m->req_cons - m->rsp_prod));
	KUNIT_ASSERT_EQ(test, m->rsps.len, (unsigned int)(m->rsp_prod - m->rsp_cons));
}

static void ring_test_random_model(struct kunit *test)
{
	struct rt_ctx *c = test->priv;
	struct rt_model *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	unsigned int step;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, m);
	m->rng = 0x5EED0F1E1D0ULL;
	rt_attach(c, RT_START);
	m->req_prod = RT_START;
	m->req_cons = RT_START;
	m->rsp_prod = RT_START;
	m->rsp_cons = RT_START;
	m->req_event = (u64)RT_START + 1;
	m->rsp_event = (u64)RT_START + 1;

	for (step = 0; step < RT_STEPS; step++) {
		switch (rt_rand(&m->rng) % 4) {
		case 0:
			rt_m_produce(test, c, m);
			break;
		case 1:
			rt_m_consume(test, c, m);
			break;
		case 2:
			rt_m_respond(test, c, m);
			break;
		default:
			rt_m_reap(test, c, m);
			break;
		}
		rt_m_invariants(test, c, m);
	}

	/* Drain: wake both sides and empty the ring completely. */
	while (m->rsp_cons != m->req_prod) {
		m->back_kicked = true;
		m->front_kicked = true;
		rt_m_consume(test, c, m);
		rt_m_respond(test, c, m);
		rt_m_reap(test, c, m);
		rt_m_invariants(test, c, m);
	}
	KUNIT_EXPECT_EQ(test, RING_FREE_REQUESTS(&c->front), RT_SIZE);
	KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&c->back), 0);
	KUNIT_EXPECT_EQ(test, PVIO_RING_RESPONSES_AVAIL(&c->front), 0);

	/* Enough traffic to wrap 2^32 many times over the ring's slots. */
	KUNIT_EXPECT_GT(test, m->req_prod - RT_START, 100ULL * RT_SIZE);
	KUNIT_EXPECT_GT(test, m->req_prod, 0x100000000ULL);
	/* Notification suppression happened, and so did wake-ups. */
	KUNIT_EXPECT_GT(test, m->req_notifies, 100UL);
	KUNIT_EXPECT_LT(test, m->req_notifies, m->req_pushes);
	KUNIT_EXPECT_GT(test, m->rsp_notifies, 100UL);
	KUNIT_EXPECT_LT(test, m->rsp_notifies, m->rsp_pushes);
	KUNIT_EXPECT_GT(test, m->back_sleeps, 100UL);
	KUNIT_EXPECT_GT(test, m->front_sleeps, 100UL);
	kunit_info(test,
		   "%llu entries; req %lu/%lu notified, rsp %lu/%lu notified; sleeps %lu/%lu\n",
		   m->req_prod - RT_START, m->req_notifies, m->req_pushes,
		   m->rsp_notifies, m->rsp_pushes, m->back_sleeps,
		   m->front_sleeps);
}

/* ---------------------------------------------------------------------- */
/* Two threads: the final check must never lose a wake-up                  */
/* ---------------------------------------------------------------------- */

#define RT_CONC_TOTAL	50000U
#define RT_CONC_WAIT	(10 * HZ)

struct rt_conc {
	struct rt_ctx *c;
	struct work_struct work;	/* the frontend */
	wait_queue_head_t req_wq, rsp_wq;
	atomic_t req_kick, rsp_kick;
	bool stop;
	/* Frontend results, read after flush_work(). */
	u32 reaped;
	int front_err;
	unsigned long req_notifies, front_sleeps;
};

static void rt_conc_front(struct work_struct *work)
{
	struct rt_conc *t = container_of(work, struct rt_conc, work);
	struct pvio_rt_front_ring *f = &t->c->front;
	u64 rng = 0xF00DULL;
	u32 produced = 0;

	while (t->reaped < RT_CONC_TOTAL && !READ_ONCE(t->stop)) {
		unsigned int k = rt_rand(&rng) % 32 + 1, i;
		struct pvio_rt_rsp rsp;
		int n;

		k = min3(k, RING_FREE_REQUESTS(f), RT_CONC_TOTAL - produced);
		for (i = 0; i < k; i++) {
			struct pvio_rt_req *req = PVIO_RING_NEXT_REQUEST(f);

			req->id = produced;
			req->op = 0;
			req->val = rt_val(produced);
			produced++;
		}
		if (k && PVIO_RING_PUSH_REQUESTS(f)) {
			t->req_notifies++;
			atomic_set(&t->req_kick, 1);
			wake_up(&t->req_wq);
		}
		/* Now and then let the backend run dry and go to sleep. */
		if (rt_rand(&rng) % 8 == 0)
			usleep_range(20, 50);

		n = PVIO_RING_RESPONSES_AVAIL(f);
		if (n < 0) {
			t->front_err = n;
			break;
		}
		while (n-- && !t->front_err) {
			PVIO_RING_COPY_RESPONSE(f, f->rsp_cons++, &rsp);
			if (rsp.id != t->reaped || rsp.val != ~rt_val(t->reaped))
				t->front_err = -EBADMSG;
			else
				t->reaped++;
		}
		if (t->front_err)
			break;
		cond_resched();
		if (RING_FREE_REQUESTS(f) && produced < RT_CONC_TOTAL)
			continue;
		/* Nothing to send: sleep until responses arrive. */
		n = PVIO_RING_FINAL_CHECK_FOR_RESPONSES(f);
		if (n < 0) {
			t->front_err = n;
			break;
		}
		if (n > 0 || t->reaped == RT_CONC_TOTAL)
			continue;
		t->front_sleeps++;
		if (!wait_event_timeout(t->rsp_wq,
					atomic_xchg(&t->rsp_kick, 0) ||
					READ_ONCE(t->stop), RT_CONC_WAIT)) {
			t->front_err = -ETIMEDOUT;
			break;
		}
	}
}

static void ring_test_final_check_concurrent(struct kunit *test)
{
	struct rt_ctx *c = test->priv;
	struct rt_conc *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct pvio_rt_back_ring *b = &c->back;
	unsigned long sleeps = 0, notifies = 0, lost = 0;
	u64 rng = 0xBEEFULL;
	u32 consumed = 0;
	int err = 0;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	rt_attach(c, 0xFFFFF000);
	t->c = c;
	init_waitqueue_head(&t->req_wq);
	init_waitqueue_head(&t->rsp_wq);
	INIT_WORK(&t->work, rt_conc_front);
	queue_work(system_unbound_wq, &t->work);

	/* This thread is the backend. */
	while (consumed < RT_CONC_TOTAL) {
		struct pvio_rt_req req;
		unsigned int k;
		int n = PVIO_RING_REQUESTS_AVAIL(b);

		if (n < 0) {
			err = n;
			break;
		}
		k = min_t(unsigned int, n, rt_rand(&rng) % 48 + 1);
		while (k--) {
			struct pvio_rt_rsp *rsp;

			PVIO_RING_COPY_REQUEST(b, b->req_cons++, &req);
			if (req.id != consumed || req.val != rt_val(consumed)) {
				err = -EBADMSG;
				break;
			}
			consumed++;
			rsp = PVIO_RING_NEXT_RESPONSE(b);
			rsp->id = req.id;
			rsp->status = 0;
			rsp->val = ~req.val;
		}
		if (err)
			break;
		if (PVIO_RING_PUSH_RESPONSES(b)) {
			notifies++;
			atomic_set(&t->rsp_kick, 1);
			wake_up(&t->rsp_wq);
		}
		/* Now and then let the frontend fill the ring and sleep. */
		if (rt_rand(&rng) % 8 == 0)
			usleep_range(20, 50);
		else
			cond_resched();
		if (n)
			continue;
		n = PVIO_RING_FINAL_CHECK_FOR_REQUESTS(b);
		if (n < 0) {
			err = n;
			break;
		}
		if (n > 0 || consumed == RT_CONC_TOTAL)
			continue;
		sleeps++;
		if (!wait_event_timeout(t->req_wq, atomic_xchg(&t->req_kick, 0),
					RT_CONC_WAIT)) {
			/* Work there but no event: a lost wake-up. */
			if (PVIO_RING_REQUESTS_AVAIL(b) > 0)
				lost++;
			err = -ETIMEDOUT;
			break;
		}
	}

	/* On success the frontend finishes reaping by itself. */
	if (err) {
		WRITE_ONCE(t->stop, true);
		wake_up(&t->rsp_wq);
	}
	flush_work(&t->work);

	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, lost, 0UL);
	KUNIT_EXPECT_EQ(test, t->front_err, 0);
	KUNIT_EXPECT_EQ(test, consumed, RT_CONC_TOTAL);
	KUNIT_EXPECT_EQ(test, t->reaped, RT_CONC_TOTAL);
	KUNIT_EXPECT_EQ(test, RING_FREE_REQUESTS(&c->front), RT_SIZE);
	KUNIT_EXPECT_EQ(test, c->s->req_prod, (RING_IDX)(0xFFFFF000 + RT_CONC_TOTAL));
	/* Both sides really went to sleep and were woken by events. */
	KUNIT_EXPECT_GT(test, sleeps, 10UL);
	KUNIT_EXPECT_GT(test, t->front_sleeps, 10UL);
	kunit_info(test,
		   "backend slept %lu times, sent %lu events; frontend slept %lu times, sent %lu events\n",
		   sleeps, notifies, t->front_sleeps, t->req_notifies);
}

static struct kunit_case pvio_ring_cases[] = {
	KUNIT_CASE(ring_test_index_math),
	KUNIT_CASE(ring_test_wraparound),
	KUNIT_CASE(ring_test_full_empty),
	KUNIT_CASE(ring_test_notify_orderings),
	KUNIT_CASE(ring_test_overflow),
	KUNIT_CASE(ring_test_final_check),
	KUNIT_CASE(ring_test_random_model),
	KUNIT_CASE(ring_test_final_check_concurrent),
	{}
};

static struct kunit_suite pvio_ring_suite = {
	.name = "pvio_ring",
	.init = rt_init,
	.test_cases = pvio_ring_cases,
};

kunit_test_suite(pvio_ring_suite);

MODULE_DESCRIPTION("KUnit tests for the pvio shared-ring helpers");
MODULE_LICENSE("GPL");
