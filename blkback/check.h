/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio-blkback: request validation as pure functions, so that KUnit
 * (check_test.c) can feed them hostile ring entries.
 *
 * The wire format and its compile-time checks: <pvio/blkif.h>.
 */
#ifndef PVIO_BLKBACK_CHECK_H
#define PVIO_BLKBACK_CHECK_H

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/math.h>
#include <linux/overflow.h>
#include <linux/stddef.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <pvio/blkif.h>
#include <xen/interface/event_channel.h>
#include <xen/interface/grant_table.h>

/**
 * struct pvio_blkback_io - a validated request, in the backend's memory
 * @id: the frontend's id, echoed in the response
 * @op: BLKIF_OP_* (for BLKIF_OP_INDIRECT, its indirect_op: READ or WRITE,
 *	the op of the response, as Linux's blkback)
 * @indirect: a BLKIF_OP_INDIRECT request: its segments are in the
 *	@nr_ind pages @ind_gref until pvio_blkback_parse_indirect() filled
 *	@seg
 * @nr_segs: segments (0 for a flush or a discard)
 * @nr_ind: indirect pages (PVIO_BLK_INDIRECT_PAGES(@nr_segs))
 * @ind_gref: the grant refs of the indirect pages (untrusted)
 * @secure: discard with BLKIF_DISCARD_SECURE
 * @write: the request writes to the device
 * @sector: first sector (512 B)
 * @nr_sects: length in sectors (512 B)
 * @seg: the segments: grant ref and inclusive sector range in the page
 */
struct pvio_blkback_io {
	u64 id;
	u8 op;
	bool indirect;
	u16 nr_segs;
	u8 nr_ind;
	bool secure;
	bool write;
	u64 sector;
	u64 nr_sects;
	grant_ref_t ind_gref[PVIO_BLK_MAX_INDIRECT_PAGES];
	struct {
		grant_ref_t gref;
		u8 first_sect;
		u8 last_sect;
	} seg[PVIO_BLK_MAX_INDIRECT_SEGS];
};

/**
 * struct pvio_blkback_limits - what the vbd accepts
 * @sectors: capacity in 512-byte sectors
 * @readonly: the vbd is read-only ("mode" r)
 * @discard: feature-discard was advertised
 * @secure: discard-secure was advertised
 * @max_indirect: feature-max-indirect-segments advertised (0: none, then
 *	BLKIF_OP_INDIRECT is an unknown op), at most
 *	PVIO_BLK_MAX_INDIRECT_SEGS
 */
struct pvio_blkback_limits {
	u64 sectors;
	bool readonly;
	bool discard;
	bool secure;
	unsigned int max_indirect;
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

/* BLKIF_OP_INDIRECT, first half: the request itself (see below). */
static inline int
pvio_blkback_parse_indirect_req(const struct blkif_request *req,
				const struct pvio_blkback_limits *lim,
				struct pvio_blkback_io *io)
{
	unsigned int nseg = req->u.indirect.nr_segments, i;

	io->op = req->u.indirect.indirect_op;
	if (io->op != BLKIF_OP_READ && io->op != BLKIF_OP_WRITE)
		return -EINVAL;
	io->write = io->op == BLKIF_OP_WRITE;
	if (!nseg || nseg > lim->max_indirect ||
	    nseg > PVIO_BLK_MAX_INDIRECT_SEGS)
		return -EINVAL;
	if (io->write && lim->readonly)
		return -EROFS;
	io->indirect = true;
	io->nr_segs = nseg;
	io->nr_ind = PVIO_BLK_INDIRECT_PAGES(nseg);
	io->sector = req->u.indirect.sector_number;
	for (i = 0; i < io->nr_ind; i++)
		io->ind_gref[i] = req->u.indirect.indirect_grefs[i];
	return 0;
}

/**
 * pvio_blkback_parse_indirect() - validate an indirect request's segments
 * @segs: the io->nr_segs segment descriptors, already copied out of the
 *	indirect pages into private memory (never the granted pages)
 * @lim: the vbd's limits
 * @io: the request as pvio_blkback_parse_req() left it (io->indirect set)
 *
 * xen-blkback's xen_blkbk_parse_indirect(): every segment first_sect <=
 * last_sect <= 7, then the whole sector range within the device without
 * u64 wrap. Fills io->seg[] and io->nr_sects; clears io->indirect.
 *
 * Context: any (pure function).
 * Return: 0 if valid; -EINVAL (BLKIF_RSP_ERROR) otherwise.
 */
static inline int
pvio_blkback_parse_indirect(const struct blkif_request_segment *segs,
			    const struct pvio_blkback_limits *lim,
			    struct pvio_blkback_io *io)
{
	unsigned int i;

	if (!io->indirect || !io->nr_segs ||
	    io->nr_segs > PVIO_BLK_MAX_INDIRECT_SEGS)
		return -EINVAL;
	io->nr_sects = 0;
	for (i = 0; i < io->nr_segs; i++) {
		u8 first = segs[i].first_sect;
		u8 last = segs[i].last_sect;

		if (last >= PVIO_BLK_SECTS_PER_SEG || first > last)
			return -EINVAL;
		io->seg[i].gref = segs[i].gref;
		io->seg[i].first_sect = first;
		io->seg[i].last_sect = last;
		io->nr_sects += last - first + 1;
	}
	if (!pvio_blkback_range_ok(io->sector, io->nr_sects, lim->sectors))
		return -EINVAL;
	io->indirect = false;
	return 0;
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
 * BLKIF_OP_INDIRECT (only when @lim->max_indirect is set; else an unknown
 * op): indirect_op READ or WRITE, nr_segments 1..@lim->max_indirect (as
 * xen-blkback's dispatch_rw_block_io()); the grant refs of the
 * PVIO_BLK_INDIRECT_PAGES(nr_segments) indirect pages are copied into
 * @io, and @io->indirect is set: the caller copies the segment
 * descriptors out of those pages and validates them with
 * pvio_blkback_parse_indirect() before mapping anything else.
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

	/* seg[] is written for every segment counted in nr_segs. */
	memset(io, 0, offsetof(struct pvio_blkback_io, seg));
	io->op = req->operation;
	io->id = req->u.other.id;

	switch (req->operation) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
	case BLKIF_OP_WRITE_BARRIER:
	case BLKIF_OP_FLUSH_DISKCACHE:
		break;
	case BLKIF_OP_INDIRECT:
		if (!lim->max_indirect)
			return -EOPNOTSUPP;
		return pvio_blkback_parse_indirect_req(req, lim, io);
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

/*
 * The largest ring a frontend may ask for: Xen's
 * XENBUS_MAX_RING_GRANT_ORDER (order 4, 16 pages, 512 blkif requests).
 */
#define PVIO_BLKBACK_MAX_RING_ORDER	4
#define PVIO_BLKBACK_MAX_RING_PAGES	BIT(PVIO_BLKBACK_MAX_RING_ORDER)
/* The most queues a frontend may ask for (Linux's blkback: no cap). */
#define PVIO_BLKBACK_MAX_QUEUES		64

/**
 * typedef pvio_blkback_read_fn - read an unsigned key of the frontend
 * @ctx: the reader's context (the store client, or a test's table)
 * @dir: the directory (the frontend's, or its "queue-N")
 * @node: the key
 * @val: out: the value
 *
 * Return: 0, or -ENOENT if the key is absent or not an unsigned decimal.
 */
typedef int (*pvio_blkback_read_fn)(void *ctx, const char *dir,
				    const char *node, unsigned int *val);

/**
 * struct pvio_blkback_ring_keys - the rings a frontend published
 * @nr_rings: multi-queue-num-queues (1 when absent)
 * @has_order: the frontend wrote ring-page-order (then its refs are
 *	ring-ref0..N-1, else the one ring-ref)
 * @order: ring-page-order (0 when absent)
 * @ref: per ring, its 1 << @order grant refs (untrusted: mapped by the
 *	hypervisor's rules)
 * @port: per ring, its event channel (untrusted: bound by the
 *	hypervisor's rules)
 */
struct pvio_blkback_ring_keys {
	unsigned int nr_rings;
	bool has_order;
	unsigned int order;
	grant_ref_t ref[PVIO_BLKBACK_MAX_QUEUES][PVIO_BLKBACK_MAX_RING_PAGES];
	evtchn_port_t port[PVIO_BLKBACK_MAX_QUEUES];
};

/**
 * pvio_blkback_read_ring_keys() - read and check the frontend's ring keys
 * @read: reads one key (pvio_blkback_read_fn)
 * @ctx: @read's context
 * @otherend: the frontend's directory
 * @max_queues: the multi-queue-max-queues this backend offered (1 when it
 *	wrote no key)
 * @max_order: the max-ring-page-order this backend offered (0 when it
 *	wrote no key)
 * @keys: out: what the frontend asked for
 * @why: out: on failure, what is wrong (for the store's "error" node)
 * @len: size of @why, in bytes
 *
 * Linux's xen-blkback connect_ring() and read_per_ring_refs():
 * multi-queue-num-queues, absent = 1, must be 1..@max_queues; with one
 * queue the keys are flat in @otherend, with several in
 * @otherend/queue-N (N = 0..num-queues - 1); ring-page-order, absent =
 * 0, must be at most @max_order; with it the refs are ring-ref0..N-1
 * (N = 1 << order), without it the one ring-ref; every queue has its
 * event-channel. Nothing is mapped or bound here.
 *
 * Context: whatever @read needs (the store: process context, sleeps).
 * Return: 0; -EINVAL (num-queues 0 or above @max_queues, ring-page-order
 * above @max_order) or -ENOENT (a ring-ref or event-channel key missing),
 * with @why set.
 */
static inline int pvio_blkback_read_ring_keys(pvio_blkback_read_fn read,
					      void *ctx, const char *otherend,
					      unsigned int max_queues,
					      unsigned int max_order,
					      struct pvio_blkback_ring_keys *keys,
					      char *why, size_t len)
{
	unsigned int q, i, v;
	char dir[128], node[16];

	keys->nr_rings = 1;
	if (!read(ctx, otherend, "multi-queue-num-queues", &v))
		keys->nr_rings = v;
	if (!keys->nr_rings || keys->nr_rings > max_queues ||
	    keys->nr_rings > PVIO_BLKBACK_MAX_QUEUES) {
		snprintf(why, len,
			 "%s/multi-queue-num-queues %u: 1 to %u queues offered",
			 otherend, keys->nr_rings, max_queues);
		return -EINVAL;
	}
	keys->has_order = !read(ctx, otherend, "ring-page-order",
				&keys->order);
	if (!keys->has_order)
		keys->order = 0;
	if (keys->order > max_order ||
	    keys->order > PVIO_BLKBACK_MAX_RING_ORDER) {
		snprintf(why, len,
			 "%s/ring-page-order %u above the max-ring-page-order %u offered",
			 otherend, keys->order, max_order);
		return -EINVAL;
	}
	for (q = 0; q < keys->nr_rings; q++) {
		if (keys->nr_rings == 1)
			snprintf(dir, sizeof(dir), "%s", otherend);
		else
			snprintf(dir, sizeof(dir), "%s/queue-%u", otherend, q);
		for (i = 0; i < (1U << keys->order); i++) {
			if (keys->has_order)
				snprintf(node, sizeof(node), "ring-ref%u", i);
			else
				snprintf(node, sizeof(node), "ring-ref");
			if (read(ctx, dir, node, &v)) {
				snprintf(why, len, "reading %s/%s", dir, node);
				return -ENOENT;
			}
			keys->ref[q][i] = v;
		}
		if (read(ctx, dir, "event-channel", &v)) {
			snprintf(why, len, "reading %s/event-channel", dir);
			return -ENOENT;
		}
		keys->port[q] = v;
	}
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

/**
 * pvio_blkback_map_once() - are a request's data grants mapped for it only?
 * @persistent: feature-persistent on both ends
 * @zero_copy: feature-zero-copy on both ends (pvio's extension)
 * @indirect: a BLKIF_OP_INDIRECT request
 *
 * Without persistent grants every grant is mapped for its request (and
 * read-only for a write). With them a new grant is kept for good (up to
 * max_persistent_grants), except an indirect request's data grants once
 * both ends agreed to feature-zero-copy: those are the frontend's bio
 * pages, which it ends at the response.
 *
 * Context: any (pure function).
 * Return: true if the grants are mapped and unmapped with this request.
 */
static inline bool pvio_blkback_map_once(bool persistent, bool zero_copy,
					 bool indirect)
{
	return !persistent || (zero_copy && indirect);
}

/**
 * pvio_blkback_map_status() - one request's share of a batched map
 * @ops: the round's GNTTABOP_map_grant_ref ops (all requests, in order)
 * @nr_ops: entries of @ops
 * @k: in: the request's first op in @ops; out: the next request's
 * @nr_segs: the request's segments
 * @held: per segment: not NULL if it needed no op (the page of a
 *	persistent grant already mapped); its @handle is left alone
 * @handle: out, per other segment: the handle to unmap when the request is
 *	done, or (grant_handle_t)~0 where the map failed
 * @refused: set if a map was refused for the granting domain's quota
 *	(GNTST_no_space)
 *
 * Every map that succeeded keeps its handle, also in a request that
 * fails, so that the unmap after it leaves no map behind (xen-blkback's
 * xen_blkbk_map() records each handle before it looks at the next).
 *
 * Context: any (pure function).
 * Return: 0; -EIO if a segment did not map (or @ops ran out): the request
 * is answered BLKIF_RSP_ERROR without any I/O.
 */
static inline int pvio_blkback_map_status(const struct gnttab_map_grant_ref *ops,
					  unsigned int nr_ops, unsigned int *k,
					  unsigned int nr_segs,
					  struct page * const *held,
					  grant_handle_t *handle, bool *refused)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < nr_segs; i++) {
		if (held[i])
			continue;
		handle[i] = (grant_handle_t)~0U;
		if (*k >= nr_ops) {
			err = -EIO;
			continue;
		}
		if (ops[*k].status != GNTST_okay) {
			if (ops[*k].status == GNTST_no_space)
				*refused = true;
			err = -EIO;
		} else {
			handle[i] = ops[*k].handle;
		}
		(*k)++;
	}
	return err;
}

#endif /* PVIO_BLKBACK_CHECK_H */
