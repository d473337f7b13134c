/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio-blkback: the block backend (dom0), after Linux's xen-blkback.
 *
 * xenbus.c is the control path (probe, the state machine, opening the
 * backing device, mapping the ring, the keys); blkback.c the data path
 * (one kthread per ring, woken by the event channel); fileio.c the data
 * path for a regular file opened directly.
 */
#ifndef PVIO_BLKBACK_COMMON_H
#define PVIO_BLKBACK_COMMON_H

#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <pvio/hypervisor.h>
#include <pvio/xenbus.h>
#include "check.h"

/*
 * Persistent grants kept mapped per ring (default of the module parameter
 * max_persistent_grants): Linux's xen-blkback default, 1056 (32 requests
 * of 11 segments x 3); the unused ones beyond it are purged, least
 * recently used first (pvio_blkback_purge_lru()).
 */
#define PVIO_BLKBACK_MAX_PGRANTS	1056
/* xen-blkback's LRU_INTERVAL (ms) and LRU_PERCENT_CLEAN */
#define PVIO_BLKBACK_LRU_INTERVAL	100
#define PVIO_BLKBACK_LRU_PERCENT_CLEAN	5
/* xen-blkback's persistent_grant_unused_seconds default */
#define PVIO_BLKBACK_PGRANT_TIMEOUT	60

/**
 * struct pvio_blkback_pgrant - a grant mapped for good (feature-persistent)
 * @ref: its grant ref, the key in &pvio_blkback_ring.pgrants
 * @handle: the mapping's handle
 * @page: the mapped page
 * @active: segments of requests in flight using it (kthread only)
 * @last_used: jiffies when the last of them completed
 * @lru: in &pvio_blkback_ring.pgrant_lru, least recently used first
 */
struct pvio_blkback_pgrant {
	grant_ref_t ref;
	grant_handle_t handle;
	struct page *page;
	unsigned int active;
	unsigned long last_used;
	struct list_head lru;
};

/* Requests whose grants are mapped with one multicall. */
#define PVIO_BLKBACK_BATCH	8

struct pvio_blkback_ring;

/* One request taken off the ring: its grants, its bios. */
struct pvio_blkback_req {
	struct pvio_blkback_ring *ring;
	struct list_head list;		/* free list or done list */
	struct pvio_blkback_io io;
	int err;			/* first error, -errno */
	bool once;			/* grants mapped for this request only */
	atomic_t bios;			/* bios in flight + 1 while submitting */
	unsigned int nr_mapped;
	grant_handle_t handle[PVIO_BLK_MAX_INDIRECT_SEGS];
	struct page *page[PVIO_BLK_MAX_INDIRECT_SEGS];
};

struct pvio_blkback_stats {
	u64 rd_req, wr_req, f_req, b_req, ds_req, oo_req, err_req, rd_sect,
	    wr_sect, bad_req, halted;
	u64 map_calls, map_reqs, max_batch;	/* multicalls that mapped */
	u64 ind_req;				/* BLKIF_OP_INDIRECT */
	u64 spurious_eoi;			/* EOIs flagged spurious */
	u64 pgrants;				/* persistent grants mapped */
	u64 pgrants_purged;			/* unmapped by the LRU purge */
	u64 map_refused;			/* GNTST_no_space: quota */
	u64 poll_hits;		/* requests found by the poll window */
	u64 poll_misses;	/* windows that ended with none */
	u64 map_ns;		/* time in the map/unmap multicalls */
	u64 unmap_ops;		/* grants unmapped (per-request maps) */
	u64 colo_on;		/* moved onto its submitting CPU (colocate) */
	u64 colo_spread;	/* spread again (colocate=2) */
};

/*
 * Completed requests answered per round: their unmaps fit one multicall
 * of @unmap_ops whatever the ring size.
 */
#define PVIO_BLKBACK_DONE_BATCH		PVIO_BLK_RING_SIZE

/**
 * struct pvio_blkback_ring - one ring of a vbd (one queue of multi-queue)
 * @blkif: the vbd
 * @idx: the queue number (its "queue-N" directory when there are several)
 * @ring: the back ring (private indices) on the mapped ring pages
 * @nr_pages: ring pages (1 << ring-page-order)
 * @pages: the frontend's ring pages, mapped by grant
 * @handles: the grant handles of those mappings (for the unmap)
 * @vaddr: the ring pages mapped contiguously (vmap() once at connect
 *	when there are several, as Linux's xenbus_map_ring_valloc())
 * @irq: the Dynamic-irq bound to the queue's event channel
 * @task: the ring's kthread
 * @halted: the frontend broke the ring; never touched again
 * @wq: the kthread waits here for events and completions
 * @work: set by the IRQ handler
 * @eoi_flags: PVIO_EOI_FLAG_SPURIOUS until a request is taken off the
 *	ring; the flags of the next late EOI (kthread only)
 * @done_lock: protects @done
 * @done: requests whose bios completed (bio end_io), to unmap and answer
 * @free: free requests (kthread only)
 * @inflight: requests taken off the ring and not answered yet
 * @busy: requests whose bios are in flight (a barrier waits for 0)
 * @nr_reqs: entries of @reqs: the ring's size
 * @reqs: one request per ring slot: the frontend can never have more
 *	pending
 * @map_ops: one round's grant map ops (one multicall)
 * @unmap_ops: grant unmap ops, one multicall's worth (a round's
 *	completions, at most PVIO_BLKBACK_DONE_BATCH requests, or a batch of
 *	persistent grants when the kthread stops)
 * @ind_map_ops: one round's indirect pages, mapped before @map_ops
 * @ind_segs: an indirect request's segment descriptors, copied out of its
 *	mapped indirect pages before validation
 * @file_bv: bvecs of a file-backed request (kthread only)
 * @pgrants: the persistent grants, by grant ref (kthread only; unmapped
 *	when it stops)
 * @pgrant_lru: the same, least recently used first (kthread only)
 * @pgrant_overflow: a grant was not kept because max_pgrants were
 *	(xen-blkback's overflow_max_grants): the next purge makes room
 * @pgrant_squeeze: a map was refused for the frontend domain's quota: the
 *	next purge frees some unused grants even below max_pgrants
 * @next_lru: jiffies of the next LRU purge (kthread only)
 * @quota_reported: the store's error node told of a map refused for the
 *	frontend domain's quota since the connect (kthread only)
 * @poll_ns: the poll window of a ring the frontend asked to be polled
 *	(pvio's queue-N/poll, docs/block.md), in ns; 0: sleep at once
 * @colo_cpu: the CPU this ring is colocated on (its kthread and port), or
 *	-1 while it is spread (set at start for colocate=1, by the kthread
 *	for colocate=2)
 * @colo_peak: the most requests the frontend had outstanding at a round
 *	since @colo_next (pvio_blkback_colo_sample(); kthread only)
 * @colo_light: spread: light windows in a row; colocated: windows since
 *	it was colocated (kthread only)
 * @colo_next: jiffies of colocate=2's next placement decision (kthread)
 * @stats: counters (kthread writes, sysfs reads the sum of the rings)
 */
struct pvio_blkback_ring {
	struct pvio_blkif *blkif;
	unsigned int idx;

	struct blkif_back_ring ring;
	unsigned int nr_pages;
	struct page *pages[PVIO_BLKBACK_MAX_RING_PAGES];
	grant_handle_t handles[PVIO_BLKBACK_MAX_RING_PAGES];
	void *vaddr;
	int irq;
	struct task_struct *task;
	bool halted;
	unsigned int eoi_flags;

	wait_queue_head_t wq;
	unsigned long work;		/* bit 0: event */
	spinlock_t done_lock;
	struct list_head done;
	struct list_head free;
	atomic_t inflight;
	atomic_t busy;			/* requests with bios in flight */

	unsigned int nr_reqs;
	struct pvio_blkback_req *reqs;
	struct gnttab_map_grant_ref map_ops[PVIO_BLKBACK_BATCH *
					    PVIO_BLK_MAX_INDIRECT_SEGS];
	struct gnttab_unmap_grant_ref unmap_ops[PVIO_BLKBACK_DONE_BATCH *
						PVIO_BLK_MAX_INDIRECT_SEGS +
						PVIO_BLKBACK_BATCH *
						PVIO_BLK_MAX_INDIRECT_PAGES];
	struct gnttab_map_grant_ref ind_map_ops[PVIO_BLKBACK_BATCH *
						PVIO_BLK_MAX_INDIRECT_PAGES];
	struct blkif_request_segment ind_segs[PVIO_BLK_MAX_INDIRECT_SEGS];
	struct bio_vec file_bv[PVIO_BLK_MAX_INDIRECT_SEGS];
	struct xarray pgrants;
	struct list_head pgrant_lru;
	bool pgrant_overflow;
	bool pgrant_squeeze;
	unsigned long next_lru;
	bool quota_reported;
	u64 poll_ns;
	int colo_cpu;
	unsigned int colo_peak;
	unsigned int colo_light;
	unsigned long colo_next;

	struct pvio_blkback_stats stats;
};

/**
 * struct pvio_blkif - one vbd backend
 * @dev: the backend device
 * @d: dom0's handle (the caller of every hypercall)
 * @params: the toolstack's "params" key: the path of the backing device
 *	or file (its "mode" key sets @lim.readonly, its "type" key
 *	@file_backed)
 * @file_backed: "type" is "file": @params is a regular file, opened for
 *	direct I/O, not a block device
 * @bdev: the backing block device (opened exclusively), or NULL
 * @file: the backing regular file (direct file I/O), or NULL
 * @lim: capacity, read-only, discard features (capacity read locklessly by
 *	the kthreads, written by ring 0's on a resize)
 * @sector_size: the backing device's logical block size, in bytes (512
 *	for a file)
 * @physical_sector_size: its physical block size, in bytes (512 for a
 *	file)
 * @discard_granularity: its discard granularity, in bytes (a file: the
 *	file system's block size)
 * @discard_alignment: its discard alignment, in bytes (0 for a file)
 * @flush: feature-flush-cache advertised
 * @rings_lock: held while @rings is allocated or freed, and by the
 *	statistics' readers
 * @nr_rings: rings connected (multi-queue-num-queues), 0 when
 *	disconnected
 * @rings: @nr_rings rings
 * @offer_persistent: feature-persistent written at connect
 * @persistent: feature-persistent on both ends (set before the kthreads)
 * @max_pgrants: the most persistent grants kept per ring (set before the
 *	kthreads)
 * @offer_zero_copy: feature-zero-copy written with the offers
 * @offer_poll_us: feature-poll-window-us written with the offers, in
 *	microseconds (0: not offered)
 * @zero_copy: feature-zero-copy on both ends: the data grants of
 *	BLKIF_OP_INDIRECT requests are never kept persistent (set before the
 *	kthreads)
 * @inject: a fault to inject into the next response (tests)
 * @dbg: debugfs file
 */
struct pvio_blkif {
	struct pvio_xenbus_device *dev;
	struct pvio_domain *d;
	char *params;
	bool file_backed;
	struct block_device *bdev;
	struct file *file;
	struct pvio_blkback_limits lim;
	unsigned int sector_size;
	unsigned int physical_sector_size;
	unsigned int discard_granularity;
	unsigned int discard_alignment;
	bool flush;

	struct mutex rings_lock;	/* @rings vs the statistics */
	unsigned int nr_rings;
	struct pvio_blkback_ring *rings;
	bool offer_persistent;
	bool persistent;
	unsigned int max_pgrants;
	bool offer_zero_copy;
	unsigned int offer_poll_us;
	bool zero_copy;

	atomic_t inject;		/* debugfs fault injection */
	struct dentry *dbg;
};

/* Faults a test can inject through debugfs (pvio-blkback/<device>). */
enum {
	PVIO_BLKBACK_INJECT_NONE,
	PVIO_BLKBACK_INJECT_BAD_ID,	/* next response: id out of range */
	PVIO_BLKBACK_INJECT_BAD_OP,	/* next response: wrong op */
};

/* blkback.c: the data path */
int pvio_blkback_start(struct pvio_blkback_ring *ring);
void pvio_blkback_stop(struct pvio_blkback_ring *ring);
irqreturn_t pvio_blkback_interrupt(int irq, void *data);
void pvio_blkback_resize(struct pvio_blkif *blkif);

/* fileio.c: requests on a regular file */
int pvio_blkback_file_rw(struct pvio_blkback_ring *ring,
			 struct pvio_blkback_req *req);
int pvio_blkback_file_flush(struct pvio_blkif *blkif);
int pvio_blkback_file_discard(struct pvio_blkif *blkif, u64 sector,
			      u64 nr_sects);

#endif /* PVIO_BLKBACK_COMMON_H */
