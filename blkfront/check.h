/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio-blkfront: response checking and Xen's virtual-device numbering as
 * pure functions, so that KUnit (check_test.c) can feed them hostile
 * responses and odd device numbers.
 */
#ifndef PVIO_BLKFRONT_CHECK_H
#define PVIO_BLKFRONT_CHECK_H

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/blk_types.h>
#include <pvio/blkif.h>

struct request;
struct page;

/**
 * struct pvio_blkfront_shadow - the frontend's copy of a request in flight
 * @rq: the block request
 * @waiting: a request with this id is on the ring, its response not seen
 * @op: BLKIF_OP_* the response must carry: the op sent, or the
 *	indirect_op of a BLKIF_OP_INDIRECT request
 * @nr_segs: segments granted
 * @nr_ind: indirect pages granted
 * @next_free: free-id list link
 * @gref: the segments' grants
 * @page: the segments' bounce pages (the frontend's own, zeroed when
 *	allocated; reused only after end-access succeeded)
 * @ind_gref: the indirect pages' grants (read-only)
 * @ind_page: the indirect pages (struct blkif_request_segment arrays)
 * @nr_pgrants: with feature-persistent, pages of @page then @ind_page
 *	granted once for good (read-write) when the disk connected
 * @pgref: those persistent grants, @page's first, then @ind_page's
 * @zc: zero-copy: @gref are grants of the request's own (bio) pages, not
 *	of @page
 * @zc_segs: those grants, counted in the disk's zero-copy budget until
 *	the id is free again
 * @zc_keep: of those, ended and to go back to the reservation (the
 *	first @zc_keep of @gref), between the two halves of ending them
 */
struct pvio_blkfront_shadow {
	struct request *rq;
	bool waiting;
	bool zc;
	u16 zc_segs;
	u16 zc_keep;
	u8 op;
	u16 nr_segs;
	u8 nr_ind;
	unsigned int next_free;
	grant_ref_t gref[PVIO_BLK_MAX_INDIRECT_SEGS];
	struct page *page[PVIO_BLK_MAX_INDIRECT_SEGS];
	grant_ref_t ind_gref[PVIO_BLK_MAX_INDIRECT_PAGES];
	struct page *ind_page[PVIO_BLK_MAX_INDIRECT_PAGES];
	unsigned int nr_pgrants;
	grant_ref_t pgref[PVIO_BLK_MAX_INDIRECT_SEGS +
			  PVIO_BLK_MAX_INDIRECT_PAGES];
};

/* The largest ring asked for: Xen's XENBUS_MAX_RING_GRANT_ORDER. */
#define PVIO_BLKFRONT_MAX_RING_ORDER	4
#define PVIO_BLKFRONT_MAX_RING_PAGES	BIT(PVIO_BLKFRONT_MAX_RING_ORDER)
/* The most queues asked for (and the backend's cap). */
#define PVIO_BLKFRONT_MAX_QUEUES	64
/*
 * Bounce pages of a disk's large-request ids (those with more than 11
 * segments), all rings together: what one 32-slot ring of 256 segments
 * had (32 MiB). Every other id has the 11 pages of a plain request.
 */
#define PVIO_BLKFRONT_BOUNCE_PAGES	(PVIO_BLK_RING_SIZE * \
					 PVIO_BLK_MAX_INDIRECT_SEGS)
/*
 * Default of max_ring_slots: ring slots of one disk, all queues together
 * (each with its 11 bounce pages, persistent grants with
 * feature-persistent: three such disks and the 32 MiB above stay within a
 * domain's 32768 grant entries).
 */
#define PVIO_BLKFRONT_MAX_SLOTS		128
#define PVIO_BLKFRONT_MAX_SLOTS_LIMIT	1024
/*
 * With feature-zero-copy no id has the 32 MiB of large-request pages: each
 * has its 11 bounce pages and one indirect page (12 persistent grants), and
 * a large request grants its own pages for its lifetime, on refs of the
 * disk's zero-copy reservation (pvio_blkfront_zc_grants()). A disk's grants
 * together stay within PVIO_BLKFRONT_ZC_BUDGET: 512 slots x 12 + 4096 =
 * 10240, three disks 30720 of a domain's 32768 entries (a vif's rings and
 * slots, about 520, and the store's fit beside).
 */
#define PVIO_BLKFRONT_MAX_SLOTS_ZC	512
#define PVIO_BLKFRONT_ZC_BUDGET		10240

/**
 * pvio_blkfront_zc_grants() - size of a disk's zero-copy reservation
 * @slots: ring slots of the disk, all rings together
 * @max_segs: the negotiated segments per request (1 to 256)
 *
 * Enough refs for every slot to carry a request of @max_segs pages, as
 * far as the disk's grant budget allows: PVIO_BLKFRONT_ZC_BUDGET minus the
 * slots' persistent grants (11 bounce pages and one indirect page each),
 * in whole requests of @max_segs, and always at least one such request.
 * (Linux's xen-blkfront grants on demand, from a table that can grow; here
 * queue_rq cannot grow it, so the refs are reserved at connect.)
 *
 * Context: any (pure function).
 * Return: the refs to reserve, @max_segs to PVIO_BLKFRONT_ZC_BUDGET.
 */
static inline unsigned int pvio_blkfront_zc_grants(unsigned int slots,
						   unsigned int max_segs)
{
	unsigned int fixed = slots * (PVIO_BLK_MAX_SEGS + 1), room;

	max_segs = clamp(max_segs, 1U, PVIO_BLK_MAX_INDIRECT_SEGS);
	room = fixed < PVIO_BLKFRONT_ZC_BUDGET ?
	       PVIO_BLKFRONT_ZC_BUDGET - fixed : 0;
	room = min(room, slots * max_segs);
	room -= room % max_segs;
	return max(room, max_segs);
}

/*
 * Default of zerocopy_threshold, in bytes: from 64 KiB on a request grants
 * its own pages (docs/block.md: the measurement).
 */
#define PVIO_BLKFRONT_ZC_THRESHOLD	65536

/**
 * pvio_blkfront_nr_queues() - how many queues to ask the backend for
 * @be_max: the backend's multi-queue-max-queues (0 when absent)
 * @param: the max_queues module parameter (0 counts as 1)
 * @cpus: online CPUs
 * @hw_queues: hardware queues of the disk already there (a reconnect:
 *	never more rings than it has), or 0
 *
 * Linux's xen-blkfront negotiate_mq(): min(backend's offer, ours, online
 * CPUs); a backend without the key gets one queue (flat keys, no
 * multi-queue-num-queues).
 *
 * Context: any (pure function).
 * Return: 1 to PVIO_BLKFRONT_MAX_QUEUES.
 */
static inline unsigned int pvio_blkfront_nr_queues(unsigned int be_max,
						   unsigned int param,
						   unsigned int cpus,
						   unsigned int hw_queues)
{
	unsigned int n = min3(be_max, param, cpus);

	if (hw_queues)
		n = min(n, hw_queues);
	return clamp(n, 1U, PVIO_BLKFRONT_MAX_QUEUES);
}

/**
 * pvio_blkfront_ring_order() - the ring-page-order to ask for
 * @be_max: the backend's max-ring-page-order (0 when absent)
 * @param: the max_ring_page_order module parameter
 * @nr_queues: queues asked for
 * @max_slots: the max_ring_slots module parameter: ring slots of the
 *	disk, all queues together
 *
 * Xen's blkif.h: at most the backend's offer and ours, at most 4 (16
 * pages, 512 slots); smaller still while the disk's slots, all queues
 * together, would pass @max_slots (each slot has its bounce pages). 0: a
 * one-page ring, written as "ring-ref" without "ring-page-order" when the
 * backend offered nothing.
 *
 * Context: any (pure function).
 * Return: 0 to PVIO_BLKFRONT_MAX_RING_ORDER.
 */
static inline unsigned int pvio_blkfront_ring_order(unsigned int be_max,
						    unsigned int param,
						    unsigned int nr_queues,
						    unsigned int max_slots)
{
	unsigned int order = min3(be_max, param, PVIO_BLKFRONT_MAX_RING_ORDER);

	while (order &&
	       (nr_queues * PVIO_BLK_RING_SIZE << order) > max_slots)
		order--;
	return order;
}

/**
 * pvio_blkfront_big_ids() - ids of a ring that take large requests
 * @segs: the segments per request negotiated
 * @nr_rings: rings of the disk
 * @ring_size: ids of each ring
 *
 * Each of these ids has @segs bounce pages and its indirect pages; the
 * others have 11 (a plain request). All rings together stay within
 * PVIO_BLKFRONT_BOUNCE_PAGES of them, and each ring has at least one.
 *
 * Context: any (pure function).
 * Return: 1 to @ring_size (@ring_size when @segs is at most 11).
 */
static inline unsigned int pvio_blkfront_big_ids(unsigned int segs,
						 unsigned int nr_rings,
						 unsigned int ring_size)
{
	if (segs <= PVIO_BLK_MAX_SEGS)
		return ring_size;
	return clamp(PVIO_BLKFRONT_BOUNCE_PAGES / (max(nr_rings, 1U) * segs),
		     1U, ring_size);
}

/**
 * pvio_blkfront_zero_copy_on() - may a disk grant its requests' own pages?
 * @threshold: the zerocopy_threshold module parameter, in bytes (0: never)
 * @persistent: feature-persistent on both ends
 * @negotiated: feature-zero-copy on both ends (pvio's extension: the
 *	backend never keeps the data grants of an indirect request persistent)
 * @max_segs: the segments per request negotiated (above 11: indirect
 *	requests)
 *
 * Without persistent grants every grant is per request anyway, and
 * granting the bio's pages is what Linux's xen-blkfront does. With them,
 * only a backend that agreed to feature-zero-copy can be given a grant it
 * must not keep, and only in a BLKIF_OP_INDIRECT request.
 *
 * Context: any (pure function).
 * Return: true if requests chosen by pvio_blkfront_zero_copy() go
 * zero-copy.
 */
static inline bool pvio_blkfront_zero_copy_on(unsigned int threshold,
					      bool persistent, bool negotiated,
					      unsigned int max_segs)
{
	if (!threshold)
		return false;
	return !persistent || (negotiated && max_segs > PVIO_BLK_MAX_SEGS);
}

/**
 * pvio_blkfront_zero_copy() - grant this request's own pages?
 * @bytes: the request's data, in bytes
 * @pages: its 4 KiB pages (segments of a bounced request)
 * @threshold: the zerocopy_threshold module parameter, in bytes (0: never)
 * @pool_segs: bounce pages of an id: the most the persistent pool holds
 *	for one request
 *
 * Context: any (pure function); only for a disk where
 * pvio_blkfront_zero_copy_on() holds.
 * Return: true for at least @threshold bytes, or more pages than the pool
 * holds (Linux grants the bio's pages past its persistent grants).
 */
static inline bool pvio_blkfront_zero_copy(unsigned int bytes,
					   unsigned int pages,
					   unsigned int threshold,
					   unsigned int pool_segs)
{
	if (!threshold)
		return false;
	return bytes >= threshold || pages > pool_segs;
}

/**
 * pvio_blkfront_check_rsp() - is a response (copied out) acceptable?
 * @rsp: the response, in private memory
 * @shadow: the shadow array
 * @nr: entries in @shadow (the ring size)
 *
 * The 2021 hardening of Linux's blkif_interrupt(): the id must be below
 * the ring size, its shadow entry must be waiting for a response (no
 * duplicate, no id never issued) and the op must be the one sent.
 *
 * Context: any (pure function); the caller holds the shadow's lock.
 * Return: the id (>= 0) or -EPROTO: the backend is broken.
 */
static inline int pvio_blkfront_check_rsp(const struct blkif_response *rsp,
					  const struct pvio_blkfront_shadow *shadow,
					  unsigned int nr)
{
	u64 id = rsp->id;

	if (id >= nr)
		return -EPROTO;
	if (!shadow[id].waiting)
		return -EPROTO;
	if (shadow[id].op != rsp->operation)
		return -EPROTO;
	return (int)id;
}

/**
 * pvio_blkfront_rsp_status() - block status of a response's status field
 * @status: BLKIF_RSP_* (any s16 value from the backend)
 *
 * Context: any (pure function).
 * Return: BLK_STS_OK, BLK_STS_NOTSUPP, or BLK_STS_IOERR for an error and
 * for any unknown value.
 */
static inline blk_status_t pvio_blkfront_rsp_status(s16 status)
{
	switch (status) {
	case BLKIF_RSP_OKAY:
		return BLK_STS_OK;
	case BLKIF_RSP_EOPNOTSUPP:
		return BLK_STS_NOTSUPP;
	default:
		return BLK_STS_IOERR;
	}
}

#define PVIO_XENVBD_MAJOR	202
#define PVIO_BLK_PARTS		16
#define PVIO_BLK_EXT_PARTS	256
#define PVIO_BLK_EXT_SHIFT	8

/**
 * pvio_blkfront_translate_vdev() - disk index and minor of a virtual-device
 * @vdevice: the "virtual-device" value (xen-vbd-interface.7)
 * @index: out: disk index (0 is xvda)
 * @minor: out: first minor (16 per disk, 256 for the extended scheme)
 * @parts: out: minors per disk (16 or 256)
 *
 * Linux's xen_translate_vdev() and xlvbd_alloc_gendisk(): xvd (major
 * 202), hd (3, 22) and sd (8, 65..71, 128..135) numbers, and the extended
 * form (1 << 28) | (disk << 8) | partition.
 *
 * Context: any (pure function).
 * Return: 0, or -ENODEV for a number that names no disk.
 */
static inline int pvio_blkfront_translate_vdev(u32 vdevice,
					       unsigned int *index,
					       unsigned int *minor,
					       unsigned int *parts)
{
	unsigned int major, m;

	*parts = PVIO_BLK_PARTS;
	if (vdevice & (1U << 28)) {
		if (vdevice >> 29)
			return -ENODEV;
		m = vdevice & ((1U << 28) - 1);
		*parts = PVIO_BLK_EXT_PARTS;
		*index = m >> PVIO_BLK_EXT_SHIFT;
		*minor = m;
		return *minor >> 20 ? -ENODEV : 0;
	}
	major = (vdevice >> 8) & 0xff;
	m = vdevice & 0xff;
	if (vdevice >> 16)
		return -ENODEV;
	switch (major) {
	case XEN_IDE0_MAJOR:
		*index = m / 64;
		*minor = *index * PVIO_BLK_PARTS;
		break;
	case XEN_IDE1_MAJOR:
		*index = m / 64 + 2;
		*minor = *index * PVIO_BLK_PARTS;
		break;
	case XEN_SCSI_DISK0_MAJOR:
		*index = m / PVIO_BLK_PARTS;
		*minor = m;
		break;
	case XEN_SCSI_DISK1_MAJOR ... XEN_SCSI_DISK7_MAJOR:
		*index = m / PVIO_BLK_PARTS +
			 (major - XEN_SCSI_DISK1_MAJOR + 1) * 16;
		*minor = m + (major - XEN_SCSI_DISK1_MAJOR + 1) * 16 *
			 PVIO_BLK_PARTS;
		break;
	case XEN_SCSI_DISK8_MAJOR ... XEN_SCSI_DISK15_MAJOR:
		*index = m / PVIO_BLK_PARTS +
			 (major - XEN_SCSI_DISK8_MAJOR + 8) * 16;
		*minor = m + (major - XEN_SCSI_DISK8_MAJOR + 8) * 16 *
			 PVIO_BLK_PARTS;
		break;
	case PVIO_XENVBD_MAJOR:
		*index = m / PVIO_BLK_PARTS;
		*minor = m;
		break;
	default:
		return -ENODEV;
	}
	return 0;
}

/**
 * pvio_blkfront_disk_name() - "xvd" name of a disk index and partition
 * @buf: out, at least 32 bytes
 * @len: size of @buf
 * @index: disk index (0: xvda, 25: xvdz, 26: xvdaa)
 * @part: partition (0: the whole disk)
 *
 * Linux's encode_disk_name().
 *
 * Context: any (pure function).
 */
static inline void pvio_blkfront_disk_name(char *buf, size_t len,
					   unsigned int index,
					   unsigned int part)
{
	char letters[8];
	unsigned int n = 0, i;

	do {
		letters[n++] = 'a' + index % 26;
		index = index / 26;
	} while (index-- && n < sizeof(letters));
	i = snprintf(buf, len, "xvd");
	while (n && i < len - 1)
		buf[i++] = letters[--n];
	buf[i] = 0;
	if (part && i < len)
		snprintf(buf + i, len - i, "%u", part);
}

#endif /* PVIO_BLKFRONT_CHECK_H */
