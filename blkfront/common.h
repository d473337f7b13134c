/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio-blkfront: the block frontend (domU), after Linux's xen-blkfront.
 *
 * xenbus.c is the control path (probe, the state machine, the ring and
 * port, the disk and its limits); blkfront.c the data path (blk-mq
 * queue_rq, the event handler, completion, the error state).
 */
#ifndef PVIO_BLKFRONT_COMMON_H
#define PVIO_BLKFRONT_COMMON_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/interrupt.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <pvio/hypervisor.h>
#include <pvio/xenbus.h>
#include "check.h"

enum pvio_blkfront_state {
	PVIO_BLKFRONT_DISCONNECTED,
	PVIO_BLKFRONT_CONNECTED,
	PVIO_BLKFRONT_CLOSING,		/* draining before teardown */
	PVIO_BLKFRONT_BROKEN,		/* the backend misbehaved: -EIO */
	PVIO_BLKFRONT_SUSPENDED,	/* backend restarting: I/O held */
};

struct pvio_blkfront;

/**
 * struct pvio_blkfront_ring - one ring (one queue of multi-queue)
 * @info: the disk
 * @idx: the queue number (its "queue-N" directory when there are several)
 * @ring: the front ring (private indices) on @ring_page
 * @order: ring-page-order: the ring is 1 << @order pages
 * @ring_page: the first of those pages (physically contiguous, split into
 *	order-0 pages so that each can be freed on its own after its
 *	grant ended)
 * @ring_ref: their grant references ("ring-ref", or "ring-ref0..N-1")
 * @nr_refs: pages granted
 * @port: the event channel to the backend ("event-channel")
 * @irq: the Dynamic-irq bound to @port
 * @cpu: the CPU @irq is bound to (EVTCHNOP_bind_vcpu), or -1
 * @nr_shadow: ids of the ring: its size
 * @shadow: one per ring slot, ids are indices
 * @nr_big: ids 0..@nr_big - 1 have the bounce pages of a large request
 *	(pvio_blkfront_big_ids()), the others those of a plain one
 * @free_big: first free id below @nr_big, @nr_shadow if none
 * @free_small: first free id from @nr_big on, @nr_shadow if none
 * @inflight: ids waiting for a response
 * @poll: a poll ring (HCTX_TYPE_POLL): responses are reaped by blk-mq's
 *	->poll and never ask for an event (rsp_event is not moved)
 * @polled: responses reaped by ->poll
 * @irq_threaded: events whose interrupt left responses to the IRQ thread
 *	(pvio_blkfront_interrupt() returned IRQ_WAKE_THREAD)
 * @thread_eoi: the EOI flags the interrupt hands to the IRQ thread:
 *	written by the interrupt, read by the thread, not under the lock
 *	(the port stays masked from one to the other's late EOI)
 * @irq_name: the IRQ's name, pvio-blkfront or pvio-blkfront-<queue>
 *
 * Everything else here is under the disk's lock (&pvio_blkfront.lock).
 */
struct pvio_blkfront_ring {
	struct pvio_blkfront *info;
	unsigned int idx;
	struct blkif_front_ring ring;
	unsigned int order;
	struct page *ring_page;
	grant_ref_t ring_ref[PVIO_BLKFRONT_MAX_RING_PAGES];
	unsigned int nr_refs;
	evtchn_port_t port;
	int irq;
	int cpu;
	unsigned int nr_shadow;
	struct pvio_blkfront_shadow *shadow;
	unsigned int nr_big;
	unsigned int free_big;
	unsigned int free_small;
	unsigned int inflight;
	bool poll;
	unsigned long polled;
	unsigned long irq_threaded;
	unsigned int thread_eoi;
	char irq_name[24];
};

/**
 * struct pvio_blkfront - one virtual disk
 * @dev: the frontend device
 * @d: the domain's handle
 * @lock: every ring (indices, shadows, free lists), @state, the held I/O
 *	(IRQ-safe)
 * @state: see enum pvio_blkfront_state
 * @nr_rings: rings connected (multi-queue-num-queues), 0 when none
 * @rings: @nr_rings rings
 * @drain: woken when a ring's inflight drops
 * @gd: the disk, present while connected
 * @tag_set: its blk-mq tag set, present while connected
 * @minor_reserved: not used (the disk index is reserved in an xarray)
 * @vdevice: the "virtual-device" key (xen-vbd-interface.7)
 * @index: the disk index it names (0 is xvda)
 * @minor: the disk's first minor
 * @parts: minors per disk (16, or 256 in the extended scheme)
 * @sectors: capacity, in 512-byte sectors (backend's "sectors")
 * @sector_size: logical block size, in bytes (backend's "sector-size",
 *	512 if absent or invalid)
 * @physical_sector_size: physical block size, in bytes (backend's
 *	"physical-sector-size", @sector_size if absent or invalid)
 * @info: the backend's "info" key (VDISK_READONLY, VDISK_CDROM, ...)
 * @flush_op: BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_WRITE_BARRIER or 0
 * @fua: FUA writes go as WRITE_BARRIER
 * @max_segs: segments per request: 11, or the indirect segments
 *	negotiated (feature-max-indirect-segments and the module parameter)
 * @offer_persistent: feature-persistent written with the ring
 * @persistent: feature-persistent on both ends: every bounce and indirect
 *	page stays granted from connect to disconnect (shadow.pgref)
 * @inject: a fault to inject into the next indirect request (tests)
 * @inject_connect: a fault to inject into the next connect's ring keys
 *	(PVIO_BLKFRONT_NEG_*, tests)
 * @be_max_queues: the backend's multi-queue-max-queues (0: absent)
 * @be_max_order: the backend's max-ring-page-order (0: absent)
 * @published_queues: queue-N directories the last connect wrote
 * @published_refs: ring-refN keys the last connect wrote (flat)
 * @discard: the backend's "feature-discard"
 * @secure: the backend's "discard-secure" (only with @discard)
 * @discard_granularity: the backend's "discard-granularity", in bytes
 * @discard_alignment: the backend's "discard-alignment", in bytes
 * @fatal_work: reports the error state to the store (process context)
 * @dbg: debugfs fault injection file
 * @ctl_mutex: serialises the control path (otherend_changed() and
 *	@recover_work) around the recovery
 * @held_bios: bios taken back from requests that were in flight when the
 *	backend went away, or that no longer fit the new backend's limits;
 *	submitted again on reconnect (under @lock)
 * @held_rqs: requests without bios (flush, discard) or FUA writes held
 *	for a requeue on reconnect, as Linux's blkfront_resume() keeps them
 * @recover_work: fails the held I/O if no backend comes back in time
 * @resubmit_work: submits @held_bios again (process context)
 * @recovery_timeout: seconds to hold I/O, read when the backend left
 * @hold_deadline: jiffies after which the current hold fails its I/O (a
 *	stale run of @recover_work from an earlier hold does nothing)
 * @replayed: held bios and requests issued again after reconnects
 * @victim: a page of dom0's whose frame number the next read or write
 *	names in a grant (PVIO_BLKFRONT_INJECT_DOM0_FRAME, tests), filled
 *	with 0xa5
 * @victim_ref: that grant, or 0
 * @zc_threshold: zerocopy_threshold when the rings were set up, in bytes
 * @offer_zero_copy: feature-zero-copy written with the ring (the backend
 *	offered it, @zc_threshold is not 0)
 * @zero_copy: large requests grant their own pages
 *	(pvio_blkfront_zero_copy_on(), set on Connected)
 * @zc_inflight: zero-copy grants of the requests in flight (at most
 *	@zc_grants; under @lock)
 * @copied: bytes copied through bounce pages (debugfs <device>-stats)
 * @zc_reqs: requests sent zero-copy
 * @bounce_reqs: reads and writes sent through bounce pages
 * @zc_waits: times queue_rq stopped its queue because the zero-copy
 *	reservation could not hold the request's grants (under @lock)
 * @id_waits: times queue_rq stopped its queue for want of a free id
 *	(under @lock)
 * @zc_inflight_max: the most zero-copy grants in flight at once (under
 *	@lock)
 * @dbg_stats: debugfs statistics file
 * @zc_refs: the zero-copy reservation's free refs, a stack (@zc_nfree of
 *	them; popped and pushed under @lock, no grant-layer lock per ref)
 * @zc_grants: refs reserved at connect (pvio_blkfront_zc_grants())
 * @zc_nfree: refs on @zc_refs
 * @zc_pool: the reservation is held
 * @nr_poll: poll rings of this connection (the last @nr_poll rings; 0
 *	when a reconnect could not keep the disk's poll queues)
 * @tag_poll: HCTX_TYPE_POLL hardware queues of the disk's tag set (the
 *	last @tag_poll of tag_set.nr_hw_queues)
 * @be_poll_us: the backend's feature-poll-window-us (0: absent)
 */
struct pvio_blkfront {
	struct pvio_xenbus_device *dev;
	struct pvio_domain *d;
	spinlock_t lock;		/* ring, shadows, state */
	enum pvio_blkfront_state state;

	unsigned int nr_rings;
	struct pvio_blkfront_ring *rings;
	wait_queue_head_t drain;

	struct gendisk *gd;
	struct blk_mq_tag_set tag_set;
	bool minor_reserved;

	u32 vdevice;
	unsigned int index;
	unsigned int minor;
	unsigned int parts;

	u64 sectors;
	unsigned int sector_size;
	unsigned int physical_sector_size;
	unsigned int info;
	u8 flush_op;
	bool fua;
	unsigned int max_segs;
	bool offer_persistent;
	bool persistent;
	atomic_t inject;
	atomic_t inject_connect;
	unsigned int be_max_queues;
	unsigned int be_max_order;
	unsigned int published_queues;
	unsigned int published_refs;
	bool discard;
	bool secure;
	unsigned int discard_granularity;
	unsigned int discard_alignment;

	struct work_struct fatal_work;
	struct dentry *dbg;

	struct mutex ctl_mutex;		/* control path vs recover_work */
	struct bio_list held_bios;
	struct list_head held_rqs;
	struct delayed_work recover_work;
	struct work_struct resubmit_work;
	unsigned int recovery_timeout;
	unsigned long hold_deadline;
	unsigned long replayed;
	struct page *victim;
	grant_ref_t victim_ref;
	unsigned int zc_threshold;
	bool offer_zero_copy;
	bool zero_copy;
	unsigned int zc_inflight;
	atomic_long_t copied;
	atomic_long_t zc_reqs;
	atomic_long_t bounce_reqs;
	unsigned long zc_waits;
	unsigned long id_waits;
	unsigned int zc_inflight_max;
	struct dentry *dbg_stats;
	grant_ref_t *zc_refs;
	unsigned int zc_grants;
	unsigned int zc_nfree;
	bool zc_pool;
	unsigned int nr_poll;
	unsigned int tag_poll;
	unsigned int be_poll_us;
};

/* Faults a test can inject through debugfs (pvio-blkfront/<device>). */
enum {
	PVIO_BLKFRONT_INJECT_NONE,
	PVIO_BLKFRONT_INJECT_IND_NSEG_BIG,	/* nr_segments above the max */
	PVIO_BLKFRONT_INJECT_IND_NSEG_ZERO,	/* nr_segments 0 */
	PVIO_BLKFRONT_INJECT_IND_BAD_GREF,	/* a segment's gref not granted */
	PVIO_BLKFRONT_INJECT_IND_BAD_SECT,	/* a segment's last_sect 8 */
	PVIO_BLKFRONT_INJECT_IND_BAD_PAGE,	/* indirect_grefs[0] not granted */
	PVIO_BLKFRONT_INJECT_DOM0_FRAME,	/* segment 0 granted on a dom0 frame */
	PVIO_BLKFRONT_INJECT_ZC_END,		/* a zero-copy grant ended early */
};

/* Faults of the ring keys a test can inject into the next connect. */
enum {
	PVIO_BLKFRONT_NEG_NONE,
	PVIO_BLKFRONT_NEG_NQ_ZERO,	/* multi-queue-num-queues 0 */
	PVIO_BLKFRONT_NEG_NQ_BIG,	/* one queue more than offered */
	PVIO_BLKFRONT_NEG_ORDER_BIG,	/* ring-page-order above the offer */
	PVIO_BLKFRONT_NEG_NO_KEY,	/* last queue's event-channel missing */
	PVIO_BLKFRONT_NEG_BAD_REF,	/* last ring-ref not a grant of ours */
};

extern const struct blk_mq_ops pvio_blkfront_mq_ops;

/* blkfront.c: the data path */
irqreturn_t pvio_blkfront_interrupt(int irq, void *data);
irqreturn_t pvio_blkfront_interrupt_thread(int irq, void *data);
void pvio_blkfront_init_shadows(struct pvio_blkfront_ring *rinfo);
void pvio_blkfront_fail_all(struct pvio_blkfront *info);
int pvio_blkfront_alloc_pages(struct pvio_blkfront *info);
void pvio_blkfront_free_pages(struct pvio_blkfront *info);
int pvio_blkfront_grant_persistent(struct pvio_blkfront *info);
int pvio_blkfront_grow_grants(struct pvio_blkfront *info);
void pvio_blkfront_end_persistent(struct pvio_blkfront *info);
void pvio_blkfront_inject_req_prod(struct pvio_blkfront *info);
unsigned int pvio_blkfront_hold_inflight(struct pvio_blkfront *info);
void pvio_blkfront_resubmit(struct work_struct *work);
void pvio_blkfront_end_victim(struct pvio_blkfront *info);
int pvio_blkfront_zc_pool_alloc(struct pvio_blkfront *info,
				unsigned int count);
void pvio_blkfront_zc_pool_free(struct pvio_blkfront *info);

#endif /* PVIO_BLKFRONT_COMMON_H */
