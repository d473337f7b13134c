/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio-blkback: request validation as pure functions, so that KUnit
 * (validate_test.c) can feed them hostile ring entries.
 *
 * The wire format is Xen's blkif (<xen/interface/io/blkif.h>), x86_64 ABI:
 * 112-byte requests, 16-byte responses, 11 segments, 32 slots per 4 KiB
 * ring page. Asserted below at compile time.
 */
#ifndef PVIO_BLKBACK_VALIDATE_H
#define PVIO_BLKBACK_VALIDATE_H

#include <linux/types.h>
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/overflow.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <xen/interface/io/blkif.h>
#include <xen/interface/io/protocols.h>

#define PVIO_BLK_PAGE_SIZE	4096U
#define PVIO_BLK_RING_SIZE	__CONST_RING_SIZE(blkif, PVIO_BLK_PAGE_SIZE)
#define PVIO_BLK_MAX_SEGS	BLKIF_MAX_SEGMENTS_PER_REQUEST
/* 512-byte sectors in one 4 KiB segment: last_sect <= 7. */
#define PVIO_BLK_SECTS_PER_SEG	(PVIO_BLK_PAGE_SIZE >> 9)

static_assert(sizeof(struct blkif_request) == 112);
static_assert(sizeof(struct blkif_response) == 16);
static_assert(sizeof(struct blkif_request_segment) == 8);
static_assert(offsetof(struct blkif_request, u.rw.id) == 8);
static_assert(offsetof(struct blkif_request, u.discard.id) == 8);
static_assert(offsetof(struct blkif_request, u.other.id) == 8);
static_assert(offsetof(struct blkif_request, u.rw.sector_number) == 16);
static_assert(offsetof(struct blkif_request, u.rw.seg) == 24);
static_assert(offsetof(struct blkif_response, status) == 10);
static_assert(BLKIF_MAX_SEGMENTS_PER_REQUEST == 11);
static_assert(PVIO_BLK_RING_SIZE == 32);

/**
 * struct pvio_blkback_io - a validated request, in the backend's memory
 * @id: the frontend's id, echoed in the response
 * @op: BLKIF_OP_*
 * @nr_segs: segments (0 for a flush or a discard)
 * @secure: discard with BLKIF_DISCARD_SECURE
 * @write: the request writes to the device
 * @sector: first sector (512 B)
 * @nr_sects: length in sectors (512 B)
 * @seg: the segments: grant ref and inclusive sector range in the page
 */
struct pvio_blkback_io {
	u64 id;
	u8 op;
	u8 nr_segs;
	bool secure;
	bool write;
	u64 sector;
	u64 nr_sects;
	struct {
		grant_ref_t gref;
		u8 first_sect;
		u8 last_sect;
	} seg[PVIO_BLK_MAX_SEGS];
};

/**
 * struct pvio_blkback_limits - what the vbd accepts
 * @sectors: capacity in 512-byte sectors
 * @readonly: the vbd is read-only ("mode" r)
 * @discard: feature-discard was advertised
 * @secure: discard-secure was advertised
 */
struct pvio_blkback_limits {
	u64 sectors;
	bool readonly;
	bool discard;
	bool secure;
};

/**
 * pvio_blkback_range_ok() - does [@sector, @sector + @nr) fit the device?
 * @sector: first sector (untrusted)
 * @nr: sectors (untrusted)
 * @capacity: device size in sectors
 *
 * Overflow-safe: a u64 wrap of @sector + @nr is out of range.
 *
 * Return: true if the range lies within the device.
 */
static inline bool pvio_blkback_range_ok(u64 sector, u64 nr, u64 capacity)
{
	u64 end;

	if (check_add_overflow(sector, nr, &end))
		return false;
	return end <= capacity;
}

/**
 * pvio_blkback_parse_req() - validate a request copied out of the ring
 * @req: the request, already in private memory (never the ring slot)
 * @lim: the vbd's limits
 * @io: out: the validated request (id and op are set even on failure so
 *	that the caller can respond)
 *
 * The checks of Linux's dispatch_rw_block_io() and dispatch_discard_io(),
 * all before any grant is mapped or bio built: op known; nr_segments
 * 1..11 (0 only for FLUSH_DISKCACHE and WRITE_BARRIER); every segment
 * first_sect <= last_sect <= 7; the sector range within the device
 * without u64 wrap; no write, barrier, flush or discard on a read-only
 * vbd; discard only when advertised (secure discard only when
 * discard-secure was advertised).
 *
 * Context: any (pure function).
 * Return: 0 if valid; -EOPNOTSUPP for an unknown or unadvertised op
 * (BLKIF_RSP_EOPNOTSUPP); -EROFS for a write to a read-only vbd and
 * -EINVAL for a malformed request (both BLKIF_RSP_ERROR).
 */
static inline int pvio_blkback_parse_req(const struct blkif_request *req,
					 const struct pvio_blkback_limits *lim,
					 struct pvio_blkback_io *io)
{
	unsigned int i, nseg;

	memset(io, 0, sizeof(*io));
	io->op = req->operation;
	io->id = req->u.other.id;

	switch (req->operation) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
	case BLKIF_OP_WRITE_BARRIER:
	case BLKIF_OP_FLUSH_DISKCACHE:
		break;
	case BLKIF_OP_DISCARD:
		if (!lim->discard)
			return -EOPNOTSUPP;
		io->write = true;
		io->secure = req->u.discard.flag & BLKIF_DISCARD_SECURE;
		if (io->secure && !lim->secure)
			return -EOPNOTSUPP;
		if (lim->readonly)
			return -EROFS;
		io->sector = req->u.discard.sector_number;
		io->nr_sects = req->u.discard.nr_sectors;
		if (!pvio_blkback_range_ok(io->sector, io->nr_sects,
					   lim->sectors))
			return -EINVAL;
		return 0;
	default:
		return -EOPNOTSUPP;
	}

	io->write = req->operation != BLKIF_OP_READ;
	nseg = req->u.rw.nr_segments;
	if (nseg > PVIO_BLK_MAX_SEGS)
		return -EINVAL;
	if (!nseg && (req->operation == BLKIF_OP_READ ||
		      req->operation == BLKIF_OP_WRITE))
		return -EINVAL;
	if (io->write && lim->readonly)
		return -EROFS;
	io->nr_segs = nseg;
	io->sector = req->u.rw.sector_number;
	for (i = 0; i < nseg; i++) {
		u8 first = req->u.rw.seg[i].first_sect;
		u8 last = req->u.rw.seg[i].last_sect;

		if (last >= PVIO_BLK_SECTS_PER_SEG || first > last)
			return -EINVAL;
		io->seg[i].gref = req->u.rw.seg[i].gref;
		io->seg[i].first_sect = first;
		io->seg[i].last_sect = last;
		io->nr_sects += last - first + 1;
	}
	/* A flush without data addresses no sector. */
	if (nseg && !pvio_blkback_range_ok(io->sector, io->nr_sects,
					   lim->sectors))
		return -EINVAL;
	return 0;
}

/**
 * pvio_blkback_rsp_status() - the response status for a validation result
 * @err: pvio_blkback_parse_req()'s return value or an I/O error
 *
 * Context: any (pure function).
 * Return: BLKIF_RSP_OKAY, BLKIF_RSP_EOPNOTSUPP or BLKIF_RSP_ERROR.
 */
static inline s16 pvio_blkback_rsp_status(int err)
{
	if (!err)
		return BLKIF_RSP_OKAY;
	if (err == -EOPNOTSUPP)
		return BLKIF_RSP_EOPNOTSUPP;
	return BLKIF_RSP_ERROR;
}

#endif /* PVIO_BLKBACK_VALIDATE_H */
