// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvio_blkback_validate: blkback's request validation
 * (validate.h) and the ring's producer checks on a blkif back ring, fed
 * the hostile entries of hardening.md's block cases.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <pvio/ring.h>
#include "validate.h"

#define CAP	2048ULL		/* a 1 MiB vbd */

static const struct pvio_blkback_limits rw_lim = {
	.sectors = CAP, .discard = true,
};

static void make_rw(struct blkif_request *req, u8 op, u64 sector,
		    unsigned int nseg)
{
	unsigned int i;

	memset(req, 0, sizeof(*req));
	req->operation = op;
	req->u.rw.id = 0x1234;
	req->u.rw.nr_segments = nseg;
	req->u.rw.sector_number = sector;
	for (i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) {
		req->u.rw.seg[i].gref = 100 + i;
		req->u.rw.seg[i].first_sect = 0;
		req->u.rw.seg[i].last_sect = 7;
	}
}

static void blkback_valid_rw(struct kunit *test)
{
	struct blkif_request req;
	struct pvio_blkback_io io;

	make_rw(&req, BLKIF_OP_READ, 0, 11);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io), 0);
	KUNIT_EXPECT_EQ(test, io.nr_segs, 11);
	KUNIT_EXPECT_EQ(test, io.nr_sects, 88ULL);
	KUNIT_EXPECT_EQ(test, io.id, 0x1234ULL);
	KUNIT_EXPECT_EQ(test, io.seg[10].gref, 110U);
	KUNIT_EXPECT_FALSE(test, io.write);

	make_rw(&req, BLKIF_OP_WRITE, CAP - 8, 1);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io), 0);
	KUNIT_EXPECT_TRUE(test, io.write);

	/* Partial segment: sectors 3..5 of the page. */
	make_rw(&req, BLKIF_OP_WRITE, 10, 1);
	req.u.rw.seg[0].first_sect = 3;
	req.u.rw.seg[0].last_sect = 5;
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io), 0);
	KUNIT_EXPECT_EQ(test, io.nr_sects, 3ULL);
}

static void blkback_nr_segments(struct kunit *test)
{
	static const u8 bad[] = { 0, 12, 255 };
	struct blkif_request req;
	struct pvio_blkback_io io;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		make_rw(&req, BLKIF_OP_READ, 0, bad[i]);
		KUNIT_EXPECT_EQ_MSG(test,
				    pvio_blkback_parse_req(&req, &rw_lim, &io),
				    -EINVAL, "read nseg %u", bad[i]);
		make_rw(&req, BLKIF_OP_WRITE, 0, bad[i]);
		KUNIT_EXPECT_EQ_MSG(test,
				    pvio_blkback_parse_req(&req, &rw_lim, &io),
				    -EINVAL, "write nseg %u", bad[i]);
	}
	/* 0 only for a flush (and a barrier), never more than 11. */
	make_rw(&req, BLKIF_OP_FLUSH_DISKCACHE, 0, 0);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io), 0);
	make_rw(&req, BLKIF_OP_WRITE_BARRIER, 0, 0);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io), 0);
	make_rw(&req, BLKIF_OP_FLUSH_DISKCACHE, 0, 12);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io),
			-EINVAL);
	/* A flush without data ignores its (meaningless) sector. */
	make_rw(&req, BLKIF_OP_FLUSH_DISKCACHE, U64_MAX, 0);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io), 0);
}

static void blkback_sect_range(struct kunit *test)
{
	struct blkif_request req;
	struct pvio_blkback_io io;

	make_rw(&req, BLKIF_OP_READ, 0, 3);
	req.u.rw.seg[1].first_sect = 5;
	req.u.rw.seg[1].last_sect = 4;		/* first > last */
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io),
			-EINVAL);

	make_rw(&req, BLKIF_OP_READ, 0, 3);
	req.u.rw.seg[2].last_sect = 8;		/* past the page */
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io),
			-EINVAL);

	make_rw(&req, BLKIF_OP_WRITE, 0, 1);
	req.u.rw.seg[0].first_sect = 255;
	req.u.rw.seg[0].last_sect = 255;
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io),
			-EINVAL);

	make_rw(&req, BLKIF_OP_WRITE, 0, 1);
	req.u.rw.seg[0].first_sect = 7;
	req.u.rw.seg[0].last_sect = 7;		/* one sector: fine */
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io), 0);
}

static void blkback_capacity(struct kunit *test)
{
	struct blkif_request req;
	struct pvio_blkback_io io;

	make_rw(&req, BLKIF_OP_READ, CAP - 8, 1);	/* last 4 KiB */
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io), 0);
	make_rw(&req, BLKIF_OP_READ, CAP - 7, 1);	/* one past */
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io),
			-EINVAL);
	make_rw(&req, BLKIF_OP_READ, CAP, 1);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io),
			-EINVAL);
	/* u64 wrap: sector + nr_sects overflows to a small number. */
	make_rw(&req, BLKIF_OP_WRITE, U64_MAX - 3, 1);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io),
			-EINVAL);
	make_rw(&req, BLKIF_OP_WRITE, U64_MAX, 11);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io),
			-EINVAL);

	memset(&req, 0, sizeof(req));
	req.operation = BLKIF_OP_DISCARD;
	req.u.discard.sector_number = 8;
	req.u.discard.nr_sectors = U64_MAX - 4;		/* wraps */
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io),
			-EINVAL);
	req.u.discard.nr_sectors = CAP - 8;
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io), 0);
	req.u.discard.nr_sectors = CAP - 7;
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io),
			-EINVAL);
	KUNIT_EXPECT_FALSE(test, pvio_blkback_range_ok(1, U64_MAX, U64_MAX));
	KUNIT_EXPECT_TRUE(test, pvio_blkback_range_ok(0, U64_MAX, U64_MAX));
}

static void blkback_readonly(struct kunit *test)
{
	struct pvio_blkback_limits ro = rw_lim;
	struct blkif_request req;
	struct pvio_blkback_io io;

	ro.readonly = true;
	make_rw(&req, BLKIF_OP_READ, 0, 2);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &ro, &io), 0);
	make_rw(&req, BLKIF_OP_WRITE, 0, 2);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &ro, &io), -EROFS);
	make_rw(&req, BLKIF_OP_WRITE_BARRIER, 0, 2);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &ro, &io), -EROFS);
	make_rw(&req, BLKIF_OP_FLUSH_DISKCACHE, 0, 0);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &ro, &io), -EROFS);
	memset(&req, 0, sizeof(req));
	req.operation = BLKIF_OP_DISCARD;
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &ro, &io), -EROFS);
	KUNIT_EXPECT_EQ(test, pvio_blkback_rsp_status(-EROFS),
			BLKIF_RSP_ERROR);
}

static void blkback_ops(struct kunit *test)
{
	struct pvio_blkback_limits nodisc = rw_lim;
	struct blkif_request req;
	struct pvio_blkback_io io;
	unsigned int op;

	for (op = 0; op < 256; op++) {
		int err;

		make_rw(&req, op, 0, 1);
		err = pvio_blkback_parse_req(&req, &rw_lim, &io);
		KUNIT_EXPECT_EQ(test, io.op, op);
		KUNIT_EXPECT_EQ(test, io.id, 0x1234ULL);
		if (op == BLKIF_OP_DISCARD)	/* flag 1 is secure: refused */
			KUNIT_EXPECT_EQ(test, err, -EOPNOTSUPP);
		else if (op <= BLKIF_OP_FLUSH_DISKCACHE)
			KUNIT_EXPECT_EQ_MSG(test, err, 0, "op %u", op);
		else
			KUNIT_EXPECT_EQ_MSG(test, err, -EOPNOTSUPP, "op %u",
					    op);
	}
	KUNIT_EXPECT_EQ(test, pvio_blkback_rsp_status(-EOPNOTSUPP),
			BLKIF_RSP_EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, pvio_blkback_rsp_status(-EINVAL),
			BLKIF_RSP_ERROR);
	KUNIT_EXPECT_EQ(test, pvio_blkback_rsp_status(0), BLKIF_RSP_OKAY);

	nodisc.discard = false;
	memset(&req, 0, sizeof(req));
	req.operation = BLKIF_OP_DISCARD;
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &nodisc, &io),
			-EOPNOTSUPP);
	req.u.discard.flag = BLKIF_DISCARD_SECURE;
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io),
			-EOPNOTSUPP);
	nodisc = rw_lim;
	nodisc.secure = true;
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &nodisc, &io), 0);
	KUNIT_EXPECT_TRUE(test, io.secure);
}

/* req_prod jumps seen through a blkif back ring (hardening.md case 1). */
static void blkback_prod_jump(struct kunit *test)
{
	static const RING_IDX jumps[] = { 33, 0xFFFFFFFF, 0x80000000 };
	struct blkif_back_ring ring;
	struct blkif_sring *sring;
	unsigned int i;
	RING_IDX prod;

	sring = kunit_kzalloc(test, PVIO_BLK_PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sring);
	SHARED_RING_INIT(sring);
	BACK_RING_INIT(&ring, sring, PVIO_BLK_PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, RING_SIZE(&ring), 32U);

	sring->req_prod = 32;				/* a full ring */
	KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&ring), 32);
	for (i = 0; i < ARRAY_SIZE(jumps); i++) {
		sring->req_prod = ring.rsp_prod_pvt + jumps[i];
		KUNIT_EXPECT_EQ_MSG(test, PVIO_RING_REQUESTS_AVAIL(&ring),
				    -EPROTO, "jump %#x", jumps[i]);
		prod = sring->req_prod;
		KUNIT_EXPECT_TRUE(test, PVIO_RING_REQ_PROD_OVERFLOW(&ring, prod));
		KUNIT_EXPECT_EQ(test,
				PVIO_RING_FINAL_CHECK_FOR_REQUESTS(&ring),
				-EPROTO);
	}
	/* Near the 2^32 wrap: still exact. */
	ring.req_cons = 0xFFFFFFF0;
	ring.rsp_prod_pvt = 0xFFFFFFF0;
	sring->req_prod = 0x10;
	KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&ring), 32);
	sring->req_prod = 0x11;
	KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&ring), -EPROTO);
	/* Backwards, behind what we consumed. */
	ring.req_cons = 0x5;
	ring.rsp_prod_pvt = 0xFFFFFFF0;
	sring->req_prod = 0x4;
	KUNIT_EXPECT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&ring), -EPROTO);
}

/* The copy is what gets validated: rewriting the slot changes nothing. */
static void blkback_copy_out(struct kunit *test)
{
	struct blkif_back_ring ring;
	struct blkif_sring *sring;
	struct blkif_request req, *slot;
	struct pvio_blkback_io io;

	sring = kunit_kzalloc(test, PVIO_BLK_PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sring);
	SHARED_RING_INIT(sring);
	BACK_RING_INIT(&ring, sring, PVIO_BLK_PAGE_SIZE);
	slot = RING_GET_REQUEST(&ring, 0);
	make_rw(slot, BLKIF_OP_READ, 0, 2);
	sring->req_prod = 1;
	KUNIT_ASSERT_EQ(test, PVIO_RING_REQUESTS_AVAIL(&ring), 1);
	PVIO_RING_COPY_REQUEST(&ring, ring.req_cons, &req);
	slot->u.rw.nr_segments = 255;		/* the flipper */
	slot->operation = BLKIF_OP_WRITE;
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, &io), 0);
	KUNIT_EXPECT_EQ(test, io.nr_segs, 2);
	KUNIT_EXPECT_EQ(test, io.op, BLKIF_OP_READ);
}

static struct kunit_case pvio_blkback_validate_cases[] = {
	KUNIT_CASE(blkback_valid_rw),
	KUNIT_CASE(blkback_nr_segments),
	KUNIT_CASE(blkback_sect_range),
	KUNIT_CASE(blkback_capacity),
	KUNIT_CASE(blkback_readonly),
	KUNIT_CASE(blkback_ops),
	KUNIT_CASE(blkback_prod_jump),
	KUNIT_CASE(blkback_copy_out),
	{}
};

static struct kunit_suite pvio_blkback_validate_suite = {
	.name = "pvio_blkback_validate",
	.test_cases = pvio_blkback_validate_cases,
};

kunit_test_suite(pvio_blkback_validate_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit: pvio-blkback request validation");
