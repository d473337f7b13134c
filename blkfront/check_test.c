// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvio_blkfront_check: blkfront's response checks (check.h) and
 * the ring's rsp_prod checks on a blkif front ring, fed the hostile
 * responses of a malicious backend (bad ids, answers twice, bad status,
 * rsp_prod jumps; the cases Linux fixed in its 2021 blkfront hardening,
 * XSA-376); Xen's virtual-device numbering; and what a disk asks its
 * backend for (queues, ring-page-order, segments within the bounce
 * budget).
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <pvio/ring.h>
#include "check.h"

#define N	PVIO_BLK_RING_SIZE

static void rsp(struct blkif_response *r, u64 id, u8 op, s16 status)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->operation = op;
	r->status = status;
}

static struct pvio_blkfront_shadow *shadows(struct kunit *test)
{
	struct pvio_blkfront_shadow *s;

	s = kunit_kcalloc(test, N, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	s[3].waiting = true;
	s[3].op = BLKIF_OP_WRITE;
	s[31].waiting = true;
	s[31].op = BLKIF_OP_READ;
	return s;
}

static void blkfront_rsp_valid(struct kunit *test)
{
	struct pvio_blkfront_shadow *s = shadows(test);
	struct blkif_response r;

	rsp(&r, 3, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_check_rsp(&r, s, N), 3);
	rsp(&r, 31, BLKIF_OP_READ, BLKIF_RSP_ERROR);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_check_rsp(&r, s, N), 31);
}

static void blkfront_rsp_id_range(struct kunit *test)
{
	static const u64 ids[] = { 32, 33, 255, 0x100000000ULL, U64_MAX,
				   (u64)-1 << 32 | 3 };
	struct pvio_blkfront_shadow *s = shadows(test);
	struct blkif_response r;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		rsp(&r, ids[i], BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
		KUNIT_EXPECT_EQ_MSG(test, pvio_blkfront_check_rsp(&r, s, N),
				    -EPROTO, "id %#llx", ids[i]);
	}
}

static void blkfront_rsp_not_waiting(struct kunit *test)
{
	struct pvio_blkfront_shadow *s = shadows(test);
	struct blkif_response r;

	/* An id never issued. */
	rsp(&r, 0, BLKIF_OP_READ, BLKIF_RSP_OKAY);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_check_rsp(&r, s, N), -EPROTO);
	/* A duplicate: the first answer freed the id. */
	rsp(&r, 3, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_check_rsp(&r, s, N), 3);
	s[3].waiting = false;
	KUNIT_EXPECT_EQ(test, pvio_blkfront_check_rsp(&r, s, N), -EPROTO);
}

static void blkfront_rsp_op_mismatch(struct kunit *test)
{
	struct pvio_blkfront_shadow *s = shadows(test);
	struct blkif_response r;
	unsigned int op;

	for (op = 0; op < 256; op++) {
		rsp(&r, 3, op, BLKIF_RSP_OKAY);
		KUNIT_EXPECT_EQ_MSG(test, pvio_blkfront_check_rsp(&r, s, N),
				    op == BLKIF_OP_WRITE ? 3 : -EPROTO,
				    "op %u", op);
	}
}

static void blkfront_rsp_status(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, pvio_blkfront_rsp_status(BLKIF_RSP_OKAY),
			BLK_STS_OK);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_rsp_status(BLKIF_RSP_ERROR),
			BLK_STS_IOERR);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_rsp_status(BLKIF_RSP_EOPNOTSUPP),
			BLK_STS_NOTSUPP);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_rsp_status(1), BLK_STS_IOERR);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_rsp_status(-32768),
			BLK_STS_IOERR);
}

/* rsp_prod jumps from a malicious backend. */
static void blkfront_rsp_prod_jump(struct kunit *test)
{
	static const RING_IDX jumps[] = { 5, 33, 0xFFFFFFFF, 0x80000000 };
	struct blkif_front_ring ring;
	struct blkif_sring *sring;
	unsigned int i;
	RING_IDX prod;

	sring = kunit_kzalloc(test, PVIO_BLK_PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sring);
	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&ring, sring, PVIO_BLK_PAGE_SIZE);
	ring.req_prod_pvt = 4;			/* four requests issued */
	sring->rsp_prod = 4;
	KUNIT_EXPECT_EQ(test, PVIO_RING_RESPONSES_AVAIL(&ring), 4);
	for (i = 0; i < ARRAY_SIZE(jumps); i++) {
		sring->rsp_prod = jumps[i];	/* more than was asked */
		KUNIT_EXPECT_EQ_MSG(test, PVIO_RING_RESPONSES_AVAIL(&ring),
				    -EPROTO, "rsp_prod %#x", jumps[i]);
		prod = sring->rsp_prod;
		KUNIT_EXPECT_TRUE(test, PVIO_RING_RSP_PROD_OVERFLOW(&ring, prod));
		KUNIT_EXPECT_EQ(test,
				PVIO_RING_FINAL_CHECK_FOR_RESPONSES(&ring),
				-EPROTO);
	}
	/* Nothing outstanding: any response is one too many. */
	ring.rsp_cons = 4;
	sring->rsp_prod = 5;
	KUNIT_EXPECT_EQ(test, PVIO_RING_RESPONSES_AVAIL(&ring), -EPROTO);
	sring->rsp_prod = 4;
	KUNIT_EXPECT_EQ(test, PVIO_RING_FINAL_CHECK_FOR_RESPONSES(&ring), 0);
	KUNIT_EXPECT_EQ(test, sring->rsp_event, 5U);
}

static void blkfront_vdev(struct kunit *test)
{
	unsigned int index, minor, parts;
	char name[32];

	KUNIT_EXPECT_EQ(test, pvio_blkfront_translate_vdev(202 << 8, &index,
							   &minor, &parts), 0);
	KUNIT_EXPECT_EQ(test, index, 0U);
	KUNIT_EXPECT_EQ(test, minor, 0U);
	KUNIT_EXPECT_EQ(test, parts, 16U);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_translate_vdev(51728, &index,
							   &minor, &parts), 0);
	KUNIT_EXPECT_EQ(test, index, 1U);			/* xvdb */
	KUNIT_EXPECT_EQ(test, minor, 16U);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_translate_vdev((202 << 8) | 0x21,
							   &index, &minor,
							   &parts), 0);
	KUNIT_EXPECT_EQ(test, index, 2U);			/* xvdc1 */
	KUNIT_EXPECT_EQ(test, minor, 33U);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_translate_vdev(3 << 8, &index,
							   &minor, &parts), 0);
	KUNIT_EXPECT_EQ(test, index, 0U);			/* hda */
	KUNIT_EXPECT_EQ(test, pvio_blkfront_translate_vdev(22 << 8 | 64,
							   &index, &minor,
							   &parts), 0);
	KUNIT_EXPECT_EQ(test, index, 3U);			/* hdd */
	KUNIT_EXPECT_EQ(test, pvio_blkfront_translate_vdev(8 << 8 | 16,
							   &index, &minor,
							   &parts), 0);
	KUNIT_EXPECT_EQ(test, index, 1U);			/* sdb */
	KUNIT_EXPECT_EQ(test, pvio_blkfront_translate_vdev(1 << 28 | 27 << 8,
							   &index, &minor,
							   &parts), 0);
	KUNIT_EXPECT_EQ(test, index, 27U);			/* xvdab */
	KUNIT_EXPECT_EQ(test, parts, 256U);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_translate_vdev(1 << 29, &index,
							   &minor, &parts),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_translate_vdev(7 << 8, &index,
							   &minor, &parts),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_translate_vdev(0x10000, &index,
							   &minor, &parts),
			-ENODEV);

	pvio_blkfront_disk_name(name, sizeof(name), 0, 0);
	KUNIT_EXPECT_STREQ(test, name, "xvda");
	pvio_blkfront_disk_name(name, sizeof(name), 25, 0);
	KUNIT_EXPECT_STREQ(test, name, "xvdz");
	pvio_blkfront_disk_name(name, sizeof(name), 26, 0);
	KUNIT_EXPECT_STREQ(test, name, "xvdaa");
	pvio_blkfront_disk_name(name, sizeof(name), 27, 3);
	KUNIT_EXPECT_STREQ(test, name, "xvdab3");
	pvio_blkfront_disk_name(name, sizeof(name), 26 + 26 * 26, 0);
	KUNIT_EXPECT_STREQ(test, name, "xvdaaa");
}

/* min(backend's offer, ours, CPUs); absent keys: one queue. */
static void blkfront_nr_queues(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, pvio_blkfront_nr_queues(0, 4, 2, 0), 1);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_nr_queues(8, 4, 2, 0), 2);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_nr_queues(8, 4, 16, 0), 4);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_nr_queues(3, 4, 16, 0), 3);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_nr_queues(8, 1, 16, 0), 1);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_nr_queues(8, 0, 16, 0), 1);
	/* A reconnect never asks for more rings than hardware queues. */
	KUNIT_EXPECT_EQ(test, pvio_blkfront_nr_queues(8, 4, 16, 2), 2);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_nr_queues(1, 4, 16, 2), 1);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_nr_queues(1000, 1000, 1000, 0),
			PVIO_BLKFRONT_MAX_QUEUES);
}

/* min(offer, ours, 4), and the disk's slots within max_ring_slots. */
static void blkfront_ring_order(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, pvio_blkfront_ring_order(0, 4, 1, 512), 0);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_ring_order(4, 0, 1, 512), 0);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_ring_order(4, 4, 1, 512), 4);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_ring_order(2, 4, 1, 512), 2);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_ring_order(9, 9, 1, 1024), 4);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_ring_order(4, 4, 2, 512), 3);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_ring_order(4, 4, 4, 512), 2);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_ring_order(4, 4, 16, 512), 0);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_ring_order(4, 4, 64, 512), 0);
	/* The default of 128 slots. */
	KUNIT_EXPECT_EQ(test, pvio_blkfront_ring_order(4, 4, 1,
						       PVIO_BLKFRONT_MAX_SLOTS),
			2);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_ring_order(4, 4, 2,
						       PVIO_BLKFRONT_MAX_SLOTS),
			1);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_ring_order(4, 4, 4,
						       PVIO_BLKFRONT_MAX_SLOTS),
			0);
}

/* Large-request ids: 32 MiB of bounce pages per disk, one per ring. */
static void blkfront_big_ids(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, pvio_blkfront_big_ids(256, 1, 32), 32);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_big_ids(256, 1, 128), 32);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_big_ids(256, 2, 64), 16);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_big_ids(64, 2, 64), 64);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_big_ids(128, 1, 512), 64);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_big_ids(11, 2, 64), 64);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_big_ids(256, 64, 32), 1);
}

/*
 * Zero-copy: on without persistent grants (Xen's per-request grants), with
 * them only after feature-zero-copy on both ends and with indirect
 * requests; never with a threshold of 0.
 */
static void blkfront_zero_copy_on(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, pvio_blkfront_zero_copy_on(0, false, true, 256));
	KUNIT_EXPECT_FALSE(test, pvio_blkfront_zero_copy_on(0, true, true, 256));
	KUNIT_EXPECT_TRUE(test, pvio_blkfront_zero_copy_on(65536, false, false, 11));
	KUNIT_EXPECT_TRUE(test, pvio_blkfront_zero_copy_on(65536, false, false, 256));
	KUNIT_EXPECT_TRUE(test, pvio_blkfront_zero_copy_on(65536, true, true, 256));
	KUNIT_EXPECT_TRUE(test, pvio_blkfront_zero_copy_on(1, true, true, 12));
	/* A backend that would keep the grant persistent: never. */
	KUNIT_EXPECT_FALSE(test, pvio_blkfront_zero_copy_on(65536, true, false, 256));
	/* No indirect request to carry it: never with persistent grants. */
	KUNIT_EXPECT_FALSE(test, pvio_blkfront_zero_copy_on(65536, true, true, 11));
}

/* At or above the threshold, or more pages than an id's bounce pages. */
static void blkfront_zero_copy(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, pvio_blkfront_zero_copy(4096, 1, 65536, 11));
	KUNIT_EXPECT_FALSE(test, pvio_blkfront_zero_copy(65535, 16, 65536, 16));
	KUNIT_EXPECT_TRUE(test, pvio_blkfront_zero_copy(65536, 16, 65536, 11));
	KUNIT_EXPECT_TRUE(test, pvio_blkfront_zero_copy(1 << 20, 256, 65536, 11));
	KUNIT_EXPECT_FALSE(test, pvio_blkfront_zero_copy(45056, 11, 65536, 11));
	/* 48 KiB: past the pool of 11 pages although below the threshold. */
	KUNIT_EXPECT_TRUE(test, pvio_blkfront_zero_copy(49152, 12, 65536, 11));
	KUNIT_EXPECT_TRUE(test, pvio_blkfront_zero_copy(512, 1, 512, 11));
	KUNIT_EXPECT_TRUE(test, pvio_blkfront_zero_copy(4096, 1, 1, 11));
	/* 0: never, whatever the size. */
	KUNIT_EXPECT_FALSE(test, pvio_blkfront_zero_copy(1 << 20, 256, 0, 11));
}

/* The zero-copy budget and slots fit a domain's 32768 grant entries. */
static void blkfront_zero_copy_budget(struct kunit *test)
{
	unsigned int per_disk = PVIO_BLKFRONT_MAX_SLOTS_ZC *
				(PVIO_BLK_MAX_SEGS + 1) +
				pvio_blkfront_zc_grants(PVIO_BLKFRONT_MAX_SLOTS_ZC,
							PVIO_BLK_MAX_INDIRECT_SEGS);

	KUNIT_EXPECT_LE(test, per_disk, PVIO_BLKFRONT_ZC_BUDGET);
	KUNIT_EXPECT_LE(test, 3 * PVIO_BLKFRONT_ZC_BUDGET + 1024, 32768U);
	KUNIT_EXPECT_LE(test, PVIO_BLKFRONT_MAX_SLOTS_ZC,
			PVIO_BLKFRONT_MAX_SLOTS_LIMIT);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_ring_order(4, 4, 1,
						       PVIO_BLKFRONT_MAX_SLOTS_ZC),
			4);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_ring_order(4, 4, 2,
						       PVIO_BLKFRONT_MAX_SLOTS_ZC),
			3);
}

/*
 * The reservation: what the slots can carry, within the budget, in whole
 * requests, never less than one.
 */
static void blkfront_zc_grants(struct kunit *test)
{
	/* The default: 512 slots, 16 requests of 1 MiB. */
	KUNIT_EXPECT_EQ(test, pvio_blkfront_zc_grants(512, 256), 4096U);
	/* 256 slots: 28 of 1 MiB (7168 of the 10240). */
	KUNIT_EXPECT_EQ(test, pvio_blkfront_zc_grants(256, 256), 7168U);
	/* Fewer slots than the budget could feed: one request per slot. */
	KUNIT_EXPECT_EQ(test, pvio_blkfront_zc_grants(32, 256), 8192U);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_zc_grants(32, 64), 2048U);
	/* Whole requests of an odd size. */
	KUNIT_EXPECT_EQ(test, pvio_blkfront_zc_grants(512, 100) % 100, 0U);
	/* Slots past the budget (1024 x 12): still one request. */
	KUNIT_EXPECT_EQ(test, pvio_blkfront_zc_grants(1024, 256), 256U);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_zc_grants(1024, 0), 1U);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_zc_grants(0, 256), 256U);
	KUNIT_EXPECT_EQ(test, pvio_blkfront_zc_grants(512, 1000), 4096U);
}

static struct kunit_case pvio_blkfront_rsp_cases[] = {
	KUNIT_CASE(blkfront_rsp_valid),
	KUNIT_CASE(blkfront_rsp_id_range),
	KUNIT_CASE(blkfront_rsp_not_waiting),
	KUNIT_CASE(blkfront_rsp_op_mismatch),
	KUNIT_CASE(blkfront_rsp_status),
	KUNIT_CASE(blkfront_rsp_prod_jump),
	KUNIT_CASE(blkfront_vdev),
	KUNIT_CASE(blkfront_nr_queues),
	KUNIT_CASE(blkfront_ring_order),
	KUNIT_CASE(blkfront_big_ids),
	KUNIT_CASE(blkfront_zero_copy_on),
	KUNIT_CASE(blkfront_zero_copy),
	KUNIT_CASE(blkfront_zero_copy_budget),
	KUNIT_CASE(blkfront_zc_grants),
	{}
};

static struct kunit_suite pvio_blkfront_check_suite = {
	.name = "pvio_blkfront_check",
	.test_cases = pvio_blkfront_rsp_cases,
};

kunit_test_suite(pvio_blkfront_check_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit: pvio-blkfront response checks");
