// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvio_blkback_check: blkback's request validation
 * (check.h) and the ring's producer checks on a blkif back ring, fed
 * the hostile entries a malicious frontend can write (bad operations,
 * segment counts, sector ranges, first/last sect, grant refs, req_prod
 * jumps); suite pvio_blkback_negotiate: the frontend's ring keys
 * (multi-queue-num-queues, ring-page-order, queue-N/ring-ref...), read
 * through the same function blkback's connect uses, from a table; suite
 * pvio_blkback_zero_copy: which data grants are mapped per request, and
 * a batched map of zero-copy grants with a ref that does not map, through
 * the hypervisor between two domains (the request fails, every map that
 * succeeded is unmapped, none is left).
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <pvio/grant.h>
#include <pvio/hypervisor.h>
#include <pvio/kunit_keys.h>
#include <pvio/kunit_pair.h>
#include <pvio/ring.h>
#include "check.h"

#define CAP	2048ULL		/* a 1 MiB vbd */

static const struct pvio_blkback_limits rw_lim = {
	.sectors = CAP, .discard = true,
};

/* Too big for a test's stack frame (256 segments). */
static struct pvio_blkback_io *new_io(struct kunit *test)
{
	struct pvio_blkback_io *io = kunit_kzalloc(test, sizeof(*io),
						   GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, io);
	return io;
}

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
	struct pvio_blkback_io *io = new_io(test);

	make_rw(&req, BLKIF_OP_READ, 0, 11);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io), 0);
	KUNIT_EXPECT_EQ(test, io->nr_segs, 11);
	KUNIT_EXPECT_EQ(test, io->nr_sects, 88ULL);
	KUNIT_EXPECT_EQ(test, io->id, 0x1234ULL);
	KUNIT_EXPECT_EQ(test, io->seg[10].gref, 110U);
	KUNIT_EXPECT_FALSE(test, io->write);

	make_rw(&req, BLKIF_OP_WRITE, CAP - 8, 1);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io), 0);
	KUNIT_EXPECT_TRUE(test, io->write);

	/* Partial segment: sectors 3..5 of the page. */
	make_rw(&req, BLKIF_OP_WRITE, 10, 1);
	req.u.rw.seg[0].first_sect = 3;
	req.u.rw.seg[0].last_sect = 5;
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io), 0);
	KUNIT_EXPECT_EQ(test, io->nr_sects, 3ULL);
}

static void blkback_nr_segments(struct kunit *test)
{
	static const u8 bad[] = { 0, 12, 255 };
	struct blkif_request req;
	struct pvio_blkback_io *io = new_io(test);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		make_rw(&req, BLKIF_OP_READ, 0, bad[i]);
		KUNIT_EXPECT_EQ_MSG(test,
				    pvio_blkback_parse_req(&req, &rw_lim, io),
				    -EINVAL, "read nseg %u", bad[i]);
		make_rw(&req, BLKIF_OP_WRITE, 0, bad[i]);
		KUNIT_EXPECT_EQ_MSG(test,
				    pvio_blkback_parse_req(&req, &rw_lim, io),
				    -EINVAL, "write nseg %u", bad[i]);
	}
	/* 0 only for a flush (and a barrier), never more than 11. */
	make_rw(&req, BLKIF_OP_FLUSH_DISKCACHE, 0, 0);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io), 0);
	make_rw(&req, BLKIF_OP_WRITE_BARRIER, 0, 0);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io), 0);
	make_rw(&req, BLKIF_OP_FLUSH_DISKCACHE, 0, 12);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io),
			-EINVAL);
	/* A flush without data ignores its (meaningless) sector. */
	make_rw(&req, BLKIF_OP_FLUSH_DISKCACHE, U64_MAX, 0);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io), 0);
}

static void blkback_sect_range(struct kunit *test)
{
	struct blkif_request req;
	struct pvio_blkback_io *io = new_io(test);

	make_rw(&req, BLKIF_OP_READ, 0, 3);
	req.u.rw.seg[1].first_sect = 5;
	req.u.rw.seg[1].last_sect = 4;		/* first > last */
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io),
			-EINVAL);

	make_rw(&req, BLKIF_OP_READ, 0, 3);
	req.u.rw.seg[2].last_sect = 8;		/* past the page */
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io),
			-EINVAL);

	make_rw(&req, BLKIF_OP_WRITE, 0, 1);
	req.u.rw.seg[0].first_sect = 255;
	req.u.rw.seg[0].last_sect = 255;
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io),
			-EINVAL);

	make_rw(&req, BLKIF_OP_WRITE, 0, 1);
	req.u.rw.seg[0].first_sect = 7;
	req.u.rw.seg[0].last_sect = 7;		/* one sector: fine */
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io), 0);
}

static void blkback_capacity(struct kunit *test)
{
	struct blkif_request req;
	struct pvio_blkback_io *io = new_io(test);

	make_rw(&req, BLKIF_OP_READ, CAP - 8, 1);	/* last 4 KiB */
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io), 0);
	make_rw(&req, BLKIF_OP_READ, CAP - 7, 1);	/* one past */
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io),
			-EINVAL);
	make_rw(&req, BLKIF_OP_READ, CAP, 1);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io),
			-EINVAL);
	/* u64 wrap: sector + nr_sects overflows to a small number. */
	make_rw(&req, BLKIF_OP_WRITE, U64_MAX - 3, 1);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io),
			-EINVAL);
	make_rw(&req, BLKIF_OP_WRITE, U64_MAX, 11);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io),
			-EINVAL);

	memset(&req, 0, sizeof(req));
	req.operation = BLKIF_OP_DISCARD;
	req.u.discard.sector_number = 8;
	req.u.discard.nr_sectors = U64_MAX - 4;		/* wraps */
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io),
			-EINVAL);
	req.u.discard.nr_sectors = CAP - 8;
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io), 0);
	req.u.discard.nr_sectors = CAP - 7;
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io),
			-EINVAL);
	KUNIT_EXPECT_FALSE(test, pvio_blkback_range_ok(1, U64_MAX, U64_MAX));
	KUNIT_EXPECT_TRUE(test, pvio_blkback_range_ok(0, U64_MAX, U64_MAX));
}

static void blkback_readonly(struct kunit *test)
{
	struct pvio_blkback_limits ro = rw_lim;
	struct blkif_request req;
	struct pvio_blkback_io *io = new_io(test);

	ro.readonly = true;
	make_rw(&req, BLKIF_OP_READ, 0, 2);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &ro, io), 0);
	make_rw(&req, BLKIF_OP_WRITE, 0, 2);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &ro, io), -EROFS);
	make_rw(&req, BLKIF_OP_WRITE_BARRIER, 0, 2);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &ro, io), -EROFS);
	make_rw(&req, BLKIF_OP_FLUSH_DISKCACHE, 0, 0);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &ro, io), -EROFS);
	memset(&req, 0, sizeof(req));
	req.operation = BLKIF_OP_DISCARD;
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &ro, io), -EROFS);
	KUNIT_EXPECT_EQ(test, pvio_blkback_rsp_status(-EROFS),
			BLKIF_RSP_ERROR);
}

static void blkback_ops(struct kunit *test)
{
	struct pvio_blkback_limits nodisc = rw_lim;
	struct blkif_request req;
	struct pvio_blkback_io *io = new_io(test);
	unsigned int op;

	for (op = 0; op < 256; op++) {
		int err;

		make_rw(&req, op, 0, 1);
		err = pvio_blkback_parse_req(&req, &rw_lim, io);
		KUNIT_EXPECT_EQ(test, io->op, op);
		KUNIT_EXPECT_EQ(test, io->id, 0x1234ULL);
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
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &nodisc, io),
			-EOPNOTSUPP);
	req.u.discard.flag = BLKIF_DISCARD_SECURE;
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io),
			-EOPNOTSUPP);
	nodisc = rw_lim;
	nodisc.secure = true;
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &nodisc, io), 0);
	KUNIT_EXPECT_TRUE(test, io->secure);
}

static const struct pvio_blkback_limits ind_lim = {
	.sectors = CAP, .max_indirect = PVIO_BLK_MAX_INDIRECT_SEGS,
};

static void make_ind(struct blkif_request *req, u8 op, u64 sector,
		     unsigned int nseg)
{
	unsigned int i;

	memset(req, 0, sizeof(*req));
	req->operation = BLKIF_OP_INDIRECT;
	req->u.indirect.indirect_op = op;
	req->u.indirect.id = 0x4321;
	req->u.indirect.nr_segments = nseg;
	req->u.indirect.sector_number = sector;
	for (i = 0; i < BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST; i++)
		req->u.indirect.indirect_grefs[i] = 500 + i;
}

static struct blkif_request_segment *make_segs(struct kunit *test,
					       unsigned int nseg)
{
	struct blkif_request_segment *segs;
	unsigned int i;

	segs = kunit_kcalloc(test, nseg, sizeof(*segs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, segs);
	for (i = 0; i < nseg; i++) {
		segs[i].gref = 1000 + i;
		segs[i].first_sect = 0;
		segs[i].last_sect = 7;
	}
	return segs;
}

/* BLKIF_OP_INDIRECT: the request, then its copied-out segments. */
static void blkback_indirect_valid(struct kunit *test)
{
	struct blkif_request_segment *segs = make_segs(test, 256);
	struct blkif_request req;
	struct pvio_blkback_io *io = new_io(test);

	KUNIT_EXPECT_EQ(test, PVIO_BLK_INDIRECT_PAGES(1), 1U);
	KUNIT_EXPECT_EQ(test, PVIO_BLK_INDIRECT_PAGES(512), 1U);
	KUNIT_EXPECT_EQ(test, PVIO_BLK_INDIRECT_PAGES(513), 2U);

	make_ind(&req, BLKIF_OP_READ, 0, 256);		/* 1 MiB: all of CAP */
	KUNIT_ASSERT_EQ(test, pvio_blkback_parse_req(&req, &ind_lim, io), 0);
	KUNIT_EXPECT_TRUE(test, io->indirect);
	KUNIT_EXPECT_EQ(test, io->op, BLKIF_OP_READ);	/* the response's op */
	KUNIT_EXPECT_EQ(test, io->id, 0x4321ULL);
	KUNIT_EXPECT_EQ(test, io->nr_segs, 256);
	KUNIT_EXPECT_EQ(test, io->nr_ind, 1);
	KUNIT_EXPECT_EQ(test, io->ind_gref[0], 500U);
	KUNIT_EXPECT_FALSE(test, io->write);
	KUNIT_ASSERT_EQ(test, pvio_blkback_parse_indirect(segs, &ind_lim, io),
			0);
	KUNIT_EXPECT_FALSE(test, io->indirect);
	KUNIT_EXPECT_EQ(test, io->nr_sects, 2048ULL);
	KUNIT_EXPECT_EQ(test, io->seg[255].gref, 1255U);
	/* Parsed once: a second pass over the same io is refused. */
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_indirect(segs, &ind_lim, io),
			-EINVAL);

	/* Few segments in an indirect request are fine too. */
	make_ind(&req, BLKIF_OP_WRITE, 8, 1);
	KUNIT_ASSERT_EQ(test, pvio_blkback_parse_req(&req, &ind_lim, io), 0);
	KUNIT_EXPECT_TRUE(test, io->write);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_indirect(segs, &ind_lim, io),
			0);
	KUNIT_EXPECT_EQ(test, io->nr_sects, 8ULL);
}

static void blkback_indirect_bad(struct kunit *test)
{
	static const u8 bad_ops[] = { BLKIF_OP_WRITE_BARRIER,
				      BLKIF_OP_FLUSH_DISKCACHE,
				      BLKIF_OP_DISCARD, BLKIF_OP_INDIRECT,
				      7, 255 };
	struct pvio_blkback_limits lim = ind_lim;
	struct blkif_request_segment *segs = make_segs(test, 256);
	struct blkif_request req;
	struct pvio_blkback_io *io = new_io(test);
	unsigned int i;

	/* nr_segments 0, above the advertised maximum, far above. */
	make_ind(&req, BLKIF_OP_READ, 0, 0);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &ind_lim, io),
			-EINVAL);
	make_ind(&req, BLKIF_OP_READ, 0, 257);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &ind_lim, io),
			-EINVAL);
	make_ind(&req, BLKIF_OP_READ, 0, 0xffff);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &ind_lim, io),
			-EINVAL);
	lim.max_indirect = 32;
	make_ind(&req, BLKIF_OP_READ, 0, 33);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &lim, io),
			-EINVAL);
	make_ind(&req, BLKIF_OP_READ, 0, 32);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &lim, io), 0);

	/* Only READ and WRITE can be indirect (xen-blkback). */
	for (i = 0; i < ARRAY_SIZE(bad_ops); i++) {
		make_ind(&req, bad_ops[i], 0, 16);
		KUNIT_EXPECT_EQ_MSG(test,
				    pvio_blkback_parse_req(&req, &ind_lim, io),
				    -EINVAL, "indirect_op %u", bad_ops[i]);
	}

	/* Not advertised: an unknown op, answered as such. */
	make_ind(&req, BLKIF_OP_READ, 0, 16);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, io->op, BLKIF_OP_INDIRECT);

	/* Read-only vbd. */
	lim = ind_lim;
	lim.readonly = true;
	make_ind(&req, BLKIF_OP_WRITE, 0, 16);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &lim, io), -EROFS);
	make_ind(&req, BLKIF_OP_READ, 0, 16);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &lim, io), 0);

	/* Bad segments in the indirect page. */
	make_ind(&req, BLKIF_OP_READ, 0, 256);
	KUNIT_ASSERT_EQ(test, pvio_blkback_parse_req(&req, &ind_lim, io), 0);
	segs[200].last_sect = 8;
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_indirect(segs, &ind_lim, io),
			-EINVAL);
	segs[200].last_sect = 7;
	segs[255].first_sect = 6;
	segs[255].last_sect = 5;
	KUNIT_ASSERT_EQ(test, pvio_blkback_parse_req(&req, &ind_lim, io), 0);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_indirect(segs, &ind_lim, io),
			-EINVAL);
	segs[255].first_sect = 0;
	segs[255].last_sect = 7;

	/* Past the end of the device, and a u64 wrap. */
	make_ind(&req, BLKIF_OP_READ, 8, 256);
	KUNIT_ASSERT_EQ(test, pvio_blkback_parse_req(&req, &ind_lim, io), 0);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_indirect(segs, &ind_lim, io),
			-EINVAL);
	make_ind(&req, BLKIF_OP_WRITE, U64_MAX - 100, 256);
	KUNIT_ASSERT_EQ(test, pvio_blkback_parse_req(&req, &ind_lim, io), 0);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_indirect(segs, &ind_lim, io),
			-EINVAL);

	/* An io that is not an indirect one is never parsed as such. */
	make_rw(&req, BLKIF_OP_READ, 0, 2);
	KUNIT_ASSERT_EQ(test, pvio_blkback_parse_req(&req, &ind_lim, io), 0);
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_indirect(segs, &ind_lim, io),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, io->nr_segs, 2);
}

/* req_prod jumps seen through a blkif back ring (a frontend overflowing it). */
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
	struct pvio_blkback_io *io = new_io(test);

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
	KUNIT_EXPECT_EQ(test, pvio_blkback_parse_req(&req, &rw_lim, io), 0);
	KUNIT_EXPECT_EQ(test, io->nr_segs, 2);
	KUNIT_EXPECT_EQ(test, io->op, BLKIF_OP_READ);
}

/* ---- ring negotiation: the frontend's keys in a table ----------------- */

static struct pvio_blkback_ring_keys *new_keys(struct kunit *test)
{
	struct pvio_blkback_ring_keys *k = kunit_kzalloc(test, sizeof(*k),
							 GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, k);
	return k;
}

static int nego(const struct pvio_kunit_key *keys, unsigned int n,
		unsigned int max_queues, unsigned int max_order,
		struct pvio_blkback_ring_keys *out, char *why)
{
	struct pvio_kunit_keys fs = { keys, n };

	return pvio_blkback_read_ring_keys(pvio_kunit_keys_read, &fs, "fe",
					   max_queues, max_order, out, why, 128);
}

/* Xen's one-page ring: ring-ref and event-channel, flat. */
static void nego_flat(struct kunit *test)
{
	static const struct pvio_kunit_key keys[] = {
		{ "", "ring-ref", 8 }, { "", "event-channel", 5 },
	};
	struct pvio_blkback_ring_keys *k = new_keys(test);
	char why[128] = "";

	KUNIT_EXPECT_EQ(test, nego(keys, ARRAY_SIZE(keys), 4, 4, k, why), 0);
	KUNIT_EXPECT_EQ(test, k->nr_rings, 1);
	KUNIT_EXPECT_FALSE(test, k->has_order);
	KUNIT_EXPECT_EQ(test, k->order, 0);
	KUNIT_EXPECT_EQ(test, k->ref[0][0], 8);
	KUNIT_EXPECT_EQ(test, k->port[0], 5);
	/* The same keys to a backend that offered nothing. */
	KUNIT_EXPECT_EQ(test, nego(keys, ARRAY_SIZE(keys), 1, 0, k, why), 0);
	KUNIT_EXPECT_EQ(test, k->nr_rings, 1);
}

/* Two queues of four pages: queue-N/ring-ref0..3, queue-N/event-channel. */
static void nego_multi(struct kunit *test)
{
	static const struct pvio_kunit_key keys[] = {
		{ "", "multi-queue-num-queues", 2 },
		{ "", "ring-page-order", 2 },
		{ "queue-0", "ring-ref0", 10 }, { "queue-0", "ring-ref1", 11 },
		{ "queue-0", "ring-ref2", 12 }, { "queue-0", "ring-ref3", 13 },
		{ "queue-0", "event-channel", 7 },
		{ "queue-1", "ring-ref0", 20 }, { "queue-1", "ring-ref1", 21 },
		{ "queue-1", "ring-ref2", 22 }, { "queue-1", "ring-ref3", 23 },
		{ "queue-1", "event-channel", 9 },
	};
	struct pvio_blkback_ring_keys *k = new_keys(test);
	char why[128] = "";

	KUNIT_EXPECT_EQ(test, nego(keys, ARRAY_SIZE(keys), 2, 4, k, why), 0);
	KUNIT_EXPECT_EQ(test, k->nr_rings, 2);
	KUNIT_EXPECT_TRUE(test, k->has_order);
	KUNIT_EXPECT_EQ(test, k->order, 2);
	KUNIT_EXPECT_EQ(test, k->ref[0][3], 13);
	KUNIT_EXPECT_EQ(test, k->ref[1][0], 20);
	KUNIT_EXPECT_EQ(test, k->port[1], 9);
	/* Order 4: 16 pages, 512 requests (Xen's largest blkif ring). */
	KUNIT_EXPECT_EQ(test, __CONST_RING_SIZE(blkif, PVIO_BLK_PAGE_SIZE <<
					      PVIO_BLKBACK_MAX_RING_ORDER),
			512);
}

/* multi-queue-num-queues 0 and above the offer: refused, with a reason. */
static void nego_num_queues(struct kunit *test)
{
	static const struct pvio_kunit_key zero[] = {
		{ "", "multi-queue-num-queues", 0 },
		{ "", "ring-ref", 8 }, { "", "event-channel", 5 },
	};
	static const struct pvio_kunit_key five[] = {
		{ "", "multi-queue-num-queues", 5 },
	};
	static const struct pvio_kunit_key two[] = {
		{ "", "multi-queue-num-queues", 2 },
	};
	static const struct pvio_kunit_key huge[] = {
		{ "", "multi-queue-num-queues", 0xffffffff },
	};
	static const struct pvio_kunit_key one[] = {
		{ "", "multi-queue-num-queues", 1 },
		{ "", "ring-ref", 8 }, { "", "event-channel", 5 },
	};
	struct pvio_blkback_ring_keys *k = new_keys(test);
	char why[128] = "";

	KUNIT_EXPECT_EQ(test, nego(zero, ARRAY_SIZE(zero), 4, 4, k, why), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "multi-queue-num-queues 0"));
	KUNIT_EXPECT_EQ(test, nego(five, ARRAY_SIZE(five), 4, 4, k, why), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "1 to 4 queues"));
	/* A backend without multi-queue-max-queues offers one. */
	KUNIT_EXPECT_EQ(test, nego(two, ARRAY_SIZE(two), 1, 4, k, why), -EINVAL);
	KUNIT_EXPECT_EQ(test, nego(huge, ARRAY_SIZE(huge), PVIO_BLKBACK_MAX_QUEUES + 100, 4, k,
				   why), -EINVAL);
	/* One queue asked for explicitly: flat keys. */
	KUNIT_EXPECT_EQ(test, nego(one, ARRAY_SIZE(one), 1, 0, k, why), 0);
	KUNIT_EXPECT_EQ(test, k->nr_rings, 1);
}

/* ring-page-order above the offer (or without one): refused. */
static void nego_order(struct kunit *test)
{
	static const struct pvio_kunit_key five[] = {
		{ "", "ring-page-order", 5 },
		{ "", "ring-ref0", 8 }, { "", "event-channel", 5 },
	};
	static const struct pvio_kunit_key one[] = {
		{ "", "ring-page-order", 1 },
		{ "", "ring-ref0", 8 }, { "", "ring-ref1", 9 },
		{ "", "event-channel", 5 },
	};
	static const struct pvio_kunit_key zero[] = {
		{ "", "ring-page-order", 0 },
		{ "", "ring-ref0", 8 }, { "", "event-channel", 5 },
	};
	struct pvio_blkback_ring_keys *k = new_keys(test);
	char why[128] = "";

	KUNIT_EXPECT_EQ(test, nego(five, ARRAY_SIZE(five), 4, 4, k, why), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "ring-page-order 5"));
	KUNIT_EXPECT_EQ(test, nego(one, ARRAY_SIZE(one), 4, 0, k, why), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(why, "max-ring-page-order 0"));
	KUNIT_EXPECT_EQ(test, nego(one, ARRAY_SIZE(one), 4, 1, k, why), 0);
	KUNIT_EXPECT_EQ(test, k->ref[0][1], 9);
	/* Order 0 written: ring-ref0, not ring-ref. */
	KUNIT_EXPECT_EQ(test, nego(zero, ARRAY_SIZE(zero), 1, 0, k, why), 0);
	KUNIT_EXPECT_TRUE(test, k->has_order);
	KUNIT_EXPECT_EQ(test, k->ref[0][0], 8);
}

/* A queue-N key missing: refused, naming the key. */
static void nego_missing(struct kunit *test)
{
	static const struct pvio_kunit_key no_port[] = {
		{ "", "multi-queue-num-queues", 2 },
		{ "queue-0", "ring-ref", 10 },
		{ "queue-0", "event-channel", 7 },
		{ "queue-1", "ring-ref", 20 },
	};
	static const struct pvio_kunit_key no_ref[] = {
		{ "", "multi-queue-num-queues", 2 },
		{ "", "ring-page-order", 1 },
		{ "queue-0", "ring-ref0", 10 }, { "queue-0", "ring-ref1", 11 },
		{ "queue-0", "event-channel", 7 },
		{ "queue-1", "ring-ref0", 20 },
		{ "queue-1", "event-channel", 9 },
	};
	static const struct pvio_kunit_key flat[] = {
		{ "", "multi-queue-num-queues", 2 },
		{ "", "ring-ref", 8 }, { "", "event-channel", 5 },
	};
	static const struct pvio_kunit_key none[] = {
		{ "", "protocol", 0 },
	};
	struct pvio_blkback_ring_keys *k = new_keys(test);
	char why[128] = "";

	KUNIT_EXPECT_EQ(test, nego(no_port, ARRAY_SIZE(no_port), 2, 4, k, why), -ENOENT);
	KUNIT_EXPECT_STREQ(test, why, "reading fe/queue-1/event-channel");
	KUNIT_EXPECT_EQ(test, nego(no_ref, ARRAY_SIZE(no_ref), 2, 4, k, why), -ENOENT);
	KUNIT_EXPECT_STREQ(test, why, "reading fe/queue-1/ring-ref1");
	KUNIT_EXPECT_EQ(test, nego(flat, ARRAY_SIZE(flat), 2, 4, k, why), -ENOENT);
	KUNIT_EXPECT_STREQ(test, why, "reading fe/queue-0/ring-ref");
	KUNIT_EXPECT_EQ(test, nego(none, ARRAY_SIZE(none), 2, 4, k, why), -ENOENT);
	KUNIT_EXPECT_STREQ(test, why, "reading fe/ring-ref");
	/* Refused once, a correct set of keys is taken afterwards. */
	KUNIT_EXPECT_EQ(test, nego(flat, ARRAY_SIZE(flat), 1, 4, k, why), -EINVAL);
	KUNIT_EXPECT_EQ(test, nego(no_ref, ARRAY_SIZE(no_ref), 2, 0, k, why), -EINVAL);
	KUNIT_EXPECT_EQ(test, nego(no_port, ARRAY_SIZE(no_port), 4, 0, k, why), -ENOENT);
	{
		static const struct pvio_kunit_key good[] = {
			{ "", "multi-queue-num-queues", 2 },
			{ "queue-0", "ring-ref", 10 },
			{ "queue-0", "event-channel", 7 },
			{ "queue-1", "ring-ref", 20 },
			{ "queue-1", "event-channel", 9 },
		};

		KUNIT_EXPECT_EQ(test, nego(good, ARRAY_SIZE(good), 2, 4, k, why), 0);
		KUNIT_EXPECT_EQ(test, k->nr_rings, 2);
		KUNIT_EXPECT_EQ(test, k->ref[1][0], 20);
	}
}

static struct kunit_case pvio_blkback_negotiate_cases[] = {
	KUNIT_CASE(nego_flat),
	KUNIT_CASE(nego_multi),
	KUNIT_CASE(nego_num_queues),
	KUNIT_CASE(nego_order),
	KUNIT_CASE(nego_missing),
	{}
};

static struct kunit_suite pvio_blkback_negotiate_suite = {
	.name = "pvio_blkback_negotiate",
	.test_cases = pvio_blkback_negotiate_cases,
};

static struct kunit_case pvio_blkback_validate_cases[] = {
	KUNIT_CASE(blkback_valid_rw),
	KUNIT_CASE(blkback_nr_segments),
	KUNIT_CASE(blkback_sect_range),
	KUNIT_CASE(blkback_capacity),
	KUNIT_CASE(blkback_readonly),
	KUNIT_CASE(blkback_ops),
	KUNIT_CASE(blkback_prod_jump),
	KUNIT_CASE(blkback_copy_out),
	KUNIT_CASE(blkback_indirect_valid),
	KUNIT_CASE(blkback_indirect_bad),
	{}
};

static struct kunit_suite pvio_blkback_check_suite = {
	.name = "pvio_blkback_check",
	.test_cases = pvio_blkback_validate_cases,
};

/* ---- zero-copy: per-request maps, batched ------------------------------ */

struct zc {
	struct pvio_domain *a, *b;	/* a grants (frontend), b maps */
	domid_t a_id, b_id;
	struct page *page[4];
	int ref[4];
};

static int zc_init(struct kunit *test)
{
	struct zc *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_EQ(test, pvio_test_create_pair(test, false,
						    "kunit-blkzc-a", 1,
						    "kunit-blkzc-b", 1,
						    &t->a, &t->b), 0);
	t->a_id = pvio_domain_id(t->a);
	t->b_id = pvio_domain_id(t->b);
	test->priv = t;
	for (i = 0; i < ARRAY_SIZE(t->page); i++) {
		t->page[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, t->page[i]);
		/* 0, 1: a write's pages (read-only); 2, 3: a read's */
		t->ref[i] = pvio_gnttab_grant_foreign_access(t->a, t->b_id,
							     pvio_page_to_gfn(t->a,
									      t->page[i]),
							     i < 2);
		KUNIT_ASSERT_GE(test, t->ref[i], 8);
	}
	return 0;
}

static void zc_exit(struct kunit *test)
{
	struct zc *t = test->priv;
	unsigned int i;

	if (!t)
		return;
	for (i = 0; i < ARRAY_SIZE(t->page); i++) {
		if (t->ref[i] < 8)
			continue;
		/* Nothing maps them any more: every end succeeds. */
		KUNIT_EXPECT_TRUE(test, pvio_gnttab_end_foreign_access_ref(t->a,
									   t->ref[i]));
		pvio_gnttab_free_grant_reference(t->a, t->ref[i]);
		__free_page(t->page[i]);
	}
	KUNIT_EXPECT_EQ(test, pvio_domain_destroy(t->b_id), 0);
	KUNIT_EXPECT_EQ(test, pvio_domain_destroy(t->a_id), 0);
}

/* Without persistent grants every map is per request; with them only a
 * feature-zero-copy indirect request's.
 */
static void zc_map_once(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, pvio_blkback_map_once(false, false, false));
	KUNIT_EXPECT_TRUE(test, pvio_blkback_map_once(false, true, true));
	KUNIT_EXPECT_FALSE(test, pvio_blkback_map_once(true, false, true));
	KUNIT_EXPECT_FALSE(test, pvio_blkback_map_once(true, true, false));
	KUNIT_EXPECT_TRUE(test, pvio_blkback_map_once(true, true, true));
}

/*
 * Two requests in one batched map (a write of 2 pages, a read of 3 whose
 * middle ref was never granted) and a third with a persistent grant held:
 * the write maps, the read fails with its two good maps recorded, and one
 * batched unmap leaves no map of a's grants.
 */
static void zc_map_batch_bad_ref(struct kunit *test)
{
	struct zc *t = test->priv;
	struct gnttab_map_grant_ref map[6];
	struct gnttab_unmap_grant_ref unmap[6];
	struct page *held[3] = { NULL, NULL, NULL };
	grant_handle_t wh[2], rh[3], ch[2];
	unsigned int k = 0, n = 0, i;
	u64 maps0 = pvio_test_grant_maps_of(t->a);
	bool refused = false;

	pvio_gnttab_set_map_op(&map[0], GNTMAP_readonly, t->ref[0], t->a_id);
	pvio_gnttab_set_map_op(&map[1], GNTMAP_readonly, t->ref[1], t->a_id);
	pvio_gnttab_set_map_op(&map[2], 0, t->ref[2], t->a_id);
	pvio_gnttab_set_map_op(&map[3], 0, 0x7ffffff0, t->a_id);
	pvio_gnttab_set_map_op(&map[4], 0, t->ref[3], t->a_id);
	/* a read-only grant mapped writable: refused too */
	pvio_gnttab_set_map_op(&map[5], 0, t->ref[0], t->a_id);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_batch_mixed(t->b, map, 6, NULL, 0,
						      NULL, 0), -EIO);
	KUNIT_EXPECT_EQ(test, pvio_test_grant_maps_of(t->a), maps0 + 4);

	KUNIT_EXPECT_EQ(test, pvio_blkback_map_status(map, 6, &k, 2, held, wh,
						      &refused), 0);
	KUNIT_EXPECT_EQ(test, k, 2U);
	KUNIT_EXPECT_EQ(test, pvio_blkback_map_status(map, 6, &k, 3, held, rh,
						      &refused), -EIO);
	KUNIT_EXPECT_EQ(test, k, 5U);
	KUNIT_EXPECT_NE(test, rh[0], PVIO_GRANT_INVALID_HANDLE);
	KUNIT_EXPECT_EQ(test, rh[1], PVIO_GRANT_INVALID_HANDLE);
	KUNIT_EXPECT_NE(test, rh[2], PVIO_GRANT_INVALID_HANDLE);
	/* segment 0 already held (persistent): no op; segment 1 refused */
	held[0] = t->page[2];
	ch[0] = 1234;
	KUNIT_EXPECT_EQ(test, pvio_blkback_map_status(map, 6, &k, 2, held, ch,
						      &refused), -EIO);
	KUNIT_EXPECT_EQ(test, k, 6U);
	KUNIT_EXPECT_EQ(test, ch[0], 1234);
	KUNIT_EXPECT_EQ(test, ch[1], PVIO_GRANT_INVALID_HANDLE);
	KUNIT_EXPECT_FALSE(test, refused);

	/* Mapped: a cannot take its pages back (the response check). */
	KUNIT_EXPECT_FALSE(test, pvio_gnttab_end_foreign_access_ref(t->a,
								    t->ref[2]));

	/* Every recorded handle, in one batched unmap. */
	for (i = 0; i < 2; i++)
		pvio_gnttab_set_unmap_op(&unmap[n++], wh[i]);
	for (i = 0; i < 3; i++)
		if (rh[i] != PVIO_GRANT_INVALID_HANDLE)
			pvio_gnttab_set_unmap_op(&unmap[n++], rh[i]);
	KUNIT_EXPECT_EQ(test, n, 4U);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_batch_mixed(t->b, NULL, 0, NULL, 0,
						      unmap, n), 0);
	KUNIT_EXPECT_EQ(test, pvio_test_grant_maps_of(t->a), maps0);
}

/* A quota refusal is reported; ops that ran out fail the request. */
static void zc_map_refused(struct kunit *test)
{
	struct gnttab_map_grant_ref map[2] = {};
	struct page *held[3] = { NULL, NULL, NULL };
	grant_handle_t h[3];
	unsigned int k = 0;
	bool refused = false;

	map[0].status = GNTST_okay;
	map[0].handle = 7;
	map[1].status = GNTST_no_space;
	KUNIT_EXPECT_EQ(test, pvio_blkback_map_status(map, 2, &k, 3, held, h,
						      &refused), -EIO);
	KUNIT_EXPECT_TRUE(test, refused);
	KUNIT_EXPECT_EQ(test, h[0], 7);
	KUNIT_EXPECT_EQ(test, h[1], PVIO_GRANT_INVALID_HANDLE);
	KUNIT_EXPECT_EQ(test, h[2], PVIO_GRANT_INVALID_HANDLE);
	KUNIT_EXPECT_EQ(test, k, 2U);
}

/*
 * A frontend that ends a zero-copy grant before the backend maps it: the
 * map fails, the request with it, and nothing stays mapped.
 */
static void zc_map_ended_grant(struct kunit *test)
{
	struct zc *t = test->priv;
	struct gnttab_map_grant_ref map[2];
	struct gnttab_unmap_grant_ref unmap;
	struct page *held[2] = { NULL, NULL };
	u64 maps0 = pvio_test_grant_maps_of(t->a);
	grant_handle_t h[2];
	unsigned int k = 0;
	bool refused = false;

	KUNIT_EXPECT_TRUE(test, pvio_gnttab_end_foreign_access_ref(t->a,
								   t->ref[3]));
	pvio_gnttab_set_map_op(&map[0], 0, t->ref[2], t->a_id);
	pvio_gnttab_set_map_op(&map[1], 0, t->ref[3], t->a_id);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_batch_mixed(t->b, map, 2, NULL, 0,
						      NULL, 0), -EIO);
	KUNIT_EXPECT_EQ(test, pvio_blkback_map_status(map, 2, &k, 2, held, h,
						      &refused), -EIO);
	KUNIT_EXPECT_NE(test, h[0], PVIO_GRANT_INVALID_HANDLE);
	KUNIT_EXPECT_EQ(test, h[1], PVIO_GRANT_INVALID_HANDLE);
	KUNIT_EXPECT_EQ(test, pvio_test_grant_maps_of(t->a), maps0 + 1);
	pvio_gnttab_set_unmap_op(&unmap, h[0]);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_batch_mixed(t->b, NULL, 0, NULL, 0,
						      &unmap, 1), 0);
	KUNIT_EXPECT_EQ(test, pvio_test_grant_maps_of(t->a), maps0);
}

static struct kunit_case pvio_blkback_zero_copy_cases[] = {
	KUNIT_CASE(zc_map_once),
	KUNIT_CASE(zc_map_batch_bad_ref),
	KUNIT_CASE(zc_map_refused),
	KUNIT_CASE(zc_map_ended_grant),
	{}
};

static struct kunit_suite pvio_blkback_zero_copy_suite = {
	.name = "pvio_blkback_zero_copy",
	.init = zc_init,
	.exit = zc_exit,
	.test_cases = pvio_blkback_zero_copy_cases,
};

kunit_test_suites(&pvio_blkback_check_suite, &pvio_blkback_negotiate_suite,
		  &pvio_blkback_zero_copy_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit: pvio-blkback request validation");
