// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-blkback: the data path (after Linux's xen-blkback request code).
 *
 * One kthread per ring, woken by the event channel (bound with late EOI)
 * and by bio completions. Each round it
 *  - collects the requests whose bios completed,
 *  - copies up to PVIO_BLKBACK_BATCH new requests out of the ring and
 *    validates the copies (check.h); invalid ones are answered at once,
 *  - maps the grants of the new requests and unmaps those of the completed
 *    ones in one multicall (pvio_gnttab_batch_mixed()),
 *  - answers the completed requests in place in the ring, builds bios on
 *    the mapped pages (zero copy) and submits them under one plug,
 *  - pushes the responses, notifying only when the frontend asked for it.
 * An impossible req_prod halts the ring: it is never read or written
 * again; the requests in flight are unmapped without answers.
 */
#define pr_fmt(fmt) "pvio-blkback: " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/interrupt.h>
#include <linux/kthread.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <pvio/evtchn.h>
#include <pvio/grant.h>
#include <pvio/ring.h>
#include "common.h"

#define PVIO_BLKBACK_WORK	0

irqreturn_t pvio_blkback_interrupt(int irq, void *data)
{
	struct pvio_blkback_ring *ring = data;

	set_bit(PVIO_BLKBACK_WORK, &ring->work);
	wake_up(&ring->wq);
	return IRQ_HANDLED;
}

static bool pvio_blkback_done_pending(struct pvio_blkback_ring *ring)
{
	bool ret;

	spin_lock_irq(&ring->done_lock);
	ret = !list_empty(&ring->done);
	spin_unlock_irq(&ring->done_lock);
	return ret;
}

/* A request's I/O is over (successfully or not): unmap and answer it. */
static void pvio_blkback_req_done(struct pvio_blkback_req *req)
{
	struct pvio_blkback_ring *ring = req->ring;
	unsigned long flags;

	spin_lock_irqsave(&ring->done_lock, flags);
	list_add_tail(&req->list, &ring->done);
	spin_unlock_irqrestore(&ring->done_lock, flags);
	wake_up(&ring->wq);
}

static void pvio_blkback_put_req(struct pvio_blkback_req *req)
{
	struct pvio_blkback_ring *ring = req->ring;

	if (atomic_dec_and_test(&req->bios)) {
		atomic_dec(&ring->busy);
		pvio_blkback_req_done(req);
	}
}

static void pvio_blkback_end_io(struct bio *bio)
{
	struct pvio_blkback_req *req = bio->bi_private;

	if (bio->bi_status) {
		int err = blk_status_to_errno(bio->bi_status);

		if (bio->bi_status == BLK_STS_NOTSUPP &&
		    (req->io.op == BLKIF_OP_WRITE_BARRIER ||
		     req->io.op == BLKIF_OP_FLUSH_DISKCACHE))
			err = -EOPNOTSUPP;
		cmpxchg(&req->err, 0, err);
	}
	bio_put(bio);
	pvio_blkback_put_req(req);
}

/* Write one response in place (XSA-216: no struct copy of a temporary). */
static void pvio_blkback_respond(struct pvio_blkback_ring *ring, u64 id, u8 op,
				 int err)
{
	struct blkif_response *rsp;

	if (ring->halted)
		return;
	rsp = PVIO_RING_NEXT_RESPONSE(&ring->ring);
	if (WARN_ON_ONCE(!rsp))
		return;
	rsp->id = id;
	rsp->operation = op;
	rsp->status = pvio_blkback_rsp_status(err);
	if (unlikely(atomic_read(&ring->blkif->inject))) {
		switch (atomic_xchg(&ring->blkif->inject, 0)) {
		case PVIO_BLKBACK_INJECT_BAD_ID:
			rsp->id = id + 1000 * ring->nr_reqs;
			break;
		case PVIO_BLKBACK_INJECT_BAD_OP:
			rsp->operation = op ^ 1;
			break;
		}
	}
	if (err)
		ring->stats.err_req++;
}

static void pvio_blkback_halt(struct pvio_blkback_ring *ring)
{
	if (ring->halted)
		return;
	ring->halted = true;
	ring->stats.halted++;
	dev_err(&ring->blkif->dev->dev,
		"frontend %u published an impossible req_prod (%u, cons %u, rsp %u): ring halted\n",
		ring->blkif->dev->otherend_id, READ_ONCE(ring->ring.sring->req_prod),
		ring->ring.req_cons, ring->ring.rsp_prod_pvt);
}

static void pvio_blkback_count(struct pvio_blkback_ring *ring,
			       const struct pvio_blkback_io *io)
{
	struct pvio_blkback_stats *st = &ring->stats;

	switch (io->op) {
	case BLKIF_OP_READ:
		st->rd_req++;
		st->rd_sect += io->nr_sects;
		break;
	case BLKIF_OP_WRITE:
		st->wr_req++;
		st->wr_sect += io->nr_sects;
		break;
	case BLKIF_OP_WRITE_BARRIER:
		st->b_req++;
		st->wr_sect += io->nr_sects;
		break;
	case BLKIF_OP_FLUSH_DISKCACHE:
		st->f_req++;
		st->wr_sect += io->nr_sects;
		break;
	case BLKIF_OP_DISCARD:
		st->ds_req++;
		break;
	}
}

static int pvio_blkback_discard(struct pvio_blkback_ring *ring,
				const struct pvio_blkback_io *io)
{
	if (!io->nr_sects)
		return 0;
	if (ring->blkif->file)
		return pvio_blkback_file_discard(ring->blkif, io->sector,
						 io->nr_sects);
	if (io->secure)
		return blkdev_issue_secure_erase(ring->blkif->bdev, io->sector,
						 io->nr_sects, GFP_KERNEL);
	return blkdev_issue_discard(ring->blkif->bdev, io->sector, io->nr_sects,
				    GFP_KERNEL);
}

/*
 * Take up to PVIO_BLKBACK_BATCH requests off the ring into @batch; for an
 * indirect one, prepare the map ops of its indirect pages. A barrier
 * drains the I/O in flight and goes alone; a discard (synchronous) is
 * done only with an empty batch.
 * Return: requests taken (answered or batched).
 */
static unsigned int pvio_blkback_fetch(struct pvio_blkback_ring *ring,
				       struct list_head *batch,
				       unsigned int *nr_ind)
{
	unsigned int taken = 0, batched = 0;
	struct blkif_request req;
	struct pvio_blkback_req *r;
	int avail, err;

	if (ring->halted)
		return 0;
	avail = PVIO_RING_REQUESTS_AVAIL(&ring->ring);
	while (batched < PVIO_BLKBACK_BATCH && !list_empty(&ring->free)) {
		struct pvio_blkback_limits lim = ring->blkif->lim;
		unsigned int i;

		/* A polled ring asks for no event (pvio_blkback_poll()). */
		if (avail == 0 && !ring->poll_ns)
			avail = PVIO_RING_FINAL_CHECK_FOR_REQUESTS(&ring->ring);
		if (avail < 0) {
			pvio_blkback_halt(ring);
			break;
		}
		if (avail == 0)
			break;

		/* Peek at the op in our copy; consume only if it fits. */
		PVIO_RING_COPY_REQUEST(&ring->ring, ring->ring.req_cons,
				       &req);
		if ((req.operation == BLKIF_OP_WRITE_BARRIER ||
		     req.operation == BLKIF_OP_DISCARD) && batched)
			break;
		ring->ring.req_cons++;
		avail--;
		taken++;
		/* The event that announced it, if any, was not spurious. */
		ring->eoi_flags &= ~PVIO_EOI_FLAG_SPURIOUS;

		r = list_first_entry(&ring->free, struct pvio_blkback_req,
				     list);
		lim.sectors = READ_ONCE(ring->blkif->lim.sectors);
		err = pvio_blkback_parse_req(&req, &lim, &r->io);
		if (err) {
			ring->stats.bad_req++;
			if (err != -EOPNOTSUPP && err != -EROFS)
				dev_warn_ratelimited(&ring->blkif->dev->dev,
						     "bad request op %u nseg %u sector %llu: %d\n",
						     req.operation,
						     req.operation == BLKIF_OP_INDIRECT ?
						     req.u.indirect.nr_segments :
						     req.u.rw.nr_segments,
						     req.u.rw.sector_number, err);
			pvio_blkback_respond(ring, r->io.id, r->io.op, err);
			continue;
		}
		if (!r->io.indirect)
			pvio_blkback_count(ring, &r->io);
		if (r->io.op == BLKIF_OP_DISCARD) {
			err = pvio_blkback_discard(ring, &r->io);
			pvio_blkback_respond(ring, r->io.id, r->io.op, err);
			continue;
		}
		if (r->io.op == BLKIF_OP_WRITE_BARRIER) {
			/* Everything before the barrier completes first. */
			wait_event(ring->wq, !atomic_read(&ring->busy));
		}
		list_move_tail(&r->list, batch);
		atomic_inc(&ring->inflight);
		r->err = 0;
		r->nr_mapped = 0;
		/* The indirect pages are the frontend's, granted read-only. */
		for (i = 0; r->io.indirect && i < r->io.nr_ind; i++)
			pvio_gnttab_set_map_op(&ring->ind_map_ops[(*nr_ind)++],
					       GNTMAP_readonly,
					       r->io.ind_gref[i],
					       ring->blkif->dev->otherend_id);
		batched++;
		if (r->io.op == BLKIF_OP_WRITE_BARRIER)
			break;
	}
	return taken;
}

/*
 * Copy an indirect request's segment descriptors out of its mapped
 * indirect pages (@ops: its r->io.nr_ind map ops) into ring->ind_segs and
 * queue the unmap of those pages into the round's multicall.
 * Return: 0, -ENOSPC if an indirect page was refused for the frontend
 * domain's quota of live maps (GNTST_no_space), or -EINVAL if one could
 * not be mapped otherwise.
 */
static int pvio_blkback_copy_indirect(struct pvio_blkback_ring *ring,
				      struct pvio_blkback_req *r,
				      struct gnttab_map_grant_ref *ops,
				      unsigned int *nr_unmap)
{
	unsigned int i, left = r->io.nr_segs;
	int err = 0;

	for (i = 0; i < r->io.nr_ind; i++) {
		unsigned int n = min_t(unsigned int, left,
				       PVIO_BLK_SEGS_PER_INDIRECT_PAGE);
		struct page *page = NULL;

		if (ops[i].status == GNTST_okay) {
			pvio_gnttab_set_unmap_op(&ring->unmap_ops[(*nr_unmap)++],
						 ops[i].handle);
			page = pvio_gnttab_map_op_page(ring->blkif->d, &ops[i]);
		}
		if (!page) {
			if (!err)
				err = ops[i].status == GNTST_no_space ?
				      -ENOSPC : -EINVAL;
			continue;
		}
		if (!err)
			memcpy(&ring->ind_segs[i * PVIO_BLK_SEGS_PER_INDIRECT_PAGE],
			       page_address(page),
			       n * sizeof(struct blkif_request_segment));
		left -= n;
	}
	return err;
}

/*
 * Map the round's indirect pages (one hypercall), copy out and validate
 * each indirect request's segments (a bad one is answered with an error
 * and leaves the batch), then prepare the map ops of every segment of the
 * batch; a segment whose grant is persistent is marked in use. @refused is
 * set if an indirect page was refused for the frontend domain's quota.
 */
static void pvio_blkback_prepare(struct pvio_blkback_ring *ring,
				 struct list_head *batch, unsigned int nr_ind,
				 unsigned int *nr_map, unsigned int *nr_unmap,
				 bool *refused)
{
	struct pvio_blkback_req *r, *tmp;
	unsigned int k = 0, i;
	int err;

	if (nr_ind) {
		/*
		 * Each op has its own status, even one a hypercall fault
		 * never ran: the copy stage checks each.
		 */
		pvio_gnttab_map_refs(ring->blkif->d, ring->ind_map_ops, NULL,
				     nr_ind);
	}
	list_for_each_entry_safe(r, tmp, batch, list) {
		/*
		 * feature-zero-copy: an indirect request's data grants are
		 * the frontend's bio pages, mapped for this request only
		 * (io.indirect is cleared once its segments are parsed).
		 */
		r->once = pvio_blkback_map_once(ring->blkif->persistent,
						ring->blkif->zero_copy,
						r->io.indirect);
		if (r->io.indirect) {
			struct pvio_blkback_limits lim = ring->blkif->lim;

			lim.sectors = READ_ONCE(ring->blkif->lim.sectors);
			err = pvio_blkback_copy_indirect(ring, r,
							 &ring->ind_map_ops[k],
							 nr_unmap);
			k += r->io.nr_ind;
			if (!err)
				err = pvio_blkback_parse_indirect(ring->ind_segs,
								  &lim, &r->io);
			if (err == -ENOSPC) {
				ring->stats.map_refused++;
				*refused = true;
			} else if (err) {
				ring->stats.bad_req++;
				dev_warn_ratelimited(&ring->blkif->dev->dev,
						     "bad indirect request %llu (%u segments): %d\n",
						     r->io.id, r->io.nr_segs,
						     err);
			}
			if (err) {
				pvio_blkback_respond(ring, r->io.id, r->io.op,
						     err);
				r->io.nr_segs = 0;
				list_move(&r->list, &ring->free);
				atomic_dec(&ring->inflight);
				continue;
			}
			ring->stats.ind_req++;
			pvio_blkback_count(ring, &r->io);
		}
		for (i = 0; i < r->io.nr_segs; i++) {
			struct pvio_blkback_pgrant *pg = NULL;

			r->handle[i] = PVIO_GRANT_INVALID_HANDLE;
			if (!r->once)
				pg = xa_load(&ring->pgrants,
					     r->io.seg[i].gref);
			r->page[i] = pg ? pg->page : NULL;
			if (pg) {
				pg->active++;
				continue;
			}
			/* A persistent grant may serve reads later: rw. */
			pvio_gnttab_set_map_op(&ring->map_ops[(*nr_map)++],
					       r->io.write && r->once ?
					       GNTMAP_readonly : 0,
					       r->io.seg[i].gref,
					       ring->blkif->dev->otherend_id);
		}
	}
}

/*
 * Keep a new mapping for good (feature-persistent), in use by the segment
 * that mapped it, up to ring->blkif->max_pgrants per ring; a ref mapped twice in
 * one round, or past the limit, stays an ordinary mapping, unmapped when
 * done (past the limit, the next LRU purge makes room: xen-blkback's
 * overflow_max_grants).
 * Return: true if the mapping is now persistent.
 */
static bool pvio_blkback_keep(struct pvio_blkback_ring *ring, grant_ref_t ref,
			      grant_handle_t handle, struct page *page)
{
	struct pvio_blkback_pgrant *pg;

	if (!ring->blkif->persistent)
		return false;
	if (ring->stats.pgrants >= ring->blkif->max_pgrants) {
		ring->pgrant_overflow = true;
		return false;
	}
	pg = kmalloc(sizeof(*pg), GFP_NOIO);
	if (!pg)
		return false;
	pg->ref = ref;
	pg->handle = handle;
	pg->page = page;
	pg->active = 1;
	pg->last_used = jiffies;
	if (xa_insert(&ring->pgrants, ref, pg, GFP_NOIO)) {
		kfree(pg);
		return false;
	}
	list_add_tail(&pg->lru, &ring->pgrant_lru);
	ring->stats.pgrants++;
	return true;
}

/* A segment using persistent grant @ref is done: most recently used. */
static void pvio_blkback_put_pgrant(struct pvio_blkback_ring *ring, grant_ref_t ref)
{
	struct pvio_blkback_pgrant *pg = xa_load(&ring->pgrants, ref);

	if (!pg || !pg->active)
		return;
	pg->active--;
	pg->last_used = jiffies;
	list_move_tail(&pg->lru, &ring->pgrant_lru);
}

/* Unmap the @n persistent grants queued in ring->unmap_ops. */
static void pvio_blkback_unmap_pgrants(struct pvio_blkback_ring *ring,
				       unsigned int n)
{
	unsigned int i;

	if (!n || !pvio_gnttab_unmap_refs(ring->blkif->d, ring->unmap_ops, NULL, n))
		return;
	for (i = 0; i < n; i++)
		if (ring->unmap_ops[i].status != GNTST_okay)
			dev_warn_ratelimited(&ring->blkif->dev->dev,
					     "unmap of persistent handle %u failed: %d\n",
					     ring->unmap_ops[i].handle,
					     ring->unmap_ops[i].status);
}

/*
 * Unmap persistent grants not in use, least recently used first: all when
 * @all (the kthread stops, nothing in flight), else as xen-blkback's
 * purge_persistent_gnt() every PVIO_BLKBACK_LRU_INTERVAL ms: those unused
 * for PVIO_BLKBACK_PGRANT_TIMEOUT seconds and, when the ring holds more
 * than max_pgrants or as many and could not keep another, enough to be
 * PVIO_BLKBACK_LRU_PERCENT_CLEAN percent below it; after a map refused for
 * the frontend domain's quota, that percentage of max_pgrants (so that a
 * domain whose persistent grants hold its quota gets room back).
 * The kthread, between rounds (ring->unmap_ops is free).
 */
static void pvio_blkback_purge_lru(struct pvio_blkback_ring *ring, bool all)
{
	unsigned int count = ring->stats.pgrants, max = ring->blkif->max_pgrants;
	unsigned long timeout = PVIO_BLKBACK_PGRANT_TIMEOUT * HZ;
	unsigned int num_clean = 0, total = 0, n = 0;
	struct pvio_blkback_pgrant *pg, *tmp;

	if (all)
		num_clean = count;
	else if (count > max || (count == max && ring->pgrant_overflow))
		num_clean = min(count, count - max +
				(max / 100) * PVIO_BLKBACK_LRU_PERCENT_CLEAN);
	else if (ring->pgrant_squeeze)
		num_clean = min(count, (max / 100) *
				PVIO_BLKBACK_LRU_PERCENT_CLEAN);
	ring->pgrant_squeeze = false;
	list_for_each_entry_safe(pg, tmp, &ring->pgrant_lru, lru) {
		if (pg->active && !all)
			continue;
		/* Oldest first: the rest were used later still. */
		if (total >= num_clean &&
		    time_before(jiffies, pg->last_used + timeout))
			break;
		pvio_gnttab_set_unmap_op(&ring->unmap_ops[n++], pg->handle);
		xa_erase(&ring->pgrants, pg->ref);
		list_del(&pg->lru);
		kfree(pg);
		total++;
		if (n == ARRAY_SIZE(ring->unmap_ops)) {
			pvio_blkback_unmap_pgrants(ring, n);
			n = 0;
		}
	}
	pvio_blkback_unmap_pgrants(ring, n);
	ring->stats.pgrants -= total;
	if (total) {
		ring->pgrant_overflow = false;
		if (!all)
			ring->stats.pgrants_purged += total;
	}
}

/*
 * A map was refused for the frontend domain's quota of live grant maps:
 * that request failed (BLKIF_RSP_ERROR); say why once per connection, in
 * the device's store error node, and go on.
 */
static void pvio_blkback_report_quota(struct pvio_blkback_ring *ring)
{
	struct pvio_xenbus_device *dev = ring->blkif->dev;

	if (ring->quota_reported)
		return;
	ring->quota_reported = true;
	dev_warn(&dev->dev,
		 "a grant map of frontend domain %u refused for space (GNTST_no_space: its quota of live grant maps, pvio-hypervisor max_maps_per_domain, or dom0's maptrack; the hypervisor's line says which): its requests fail\n",
		 dev->otherend_id);
	pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename, "error",
		       "%d grant map refused: domain %u over its quota of live grant maps",
		       ENOSPC, dev->otherend_id);
}

/*
 * Record the map results of a batch; a request with a failed map ends.
 * Return: true if a map was refused for the frontend domain's quota.
 */
static bool pvio_blkback_mapped(struct pvio_blkback_ring *ring,
				struct list_head *batch, unsigned int nr_map)
{
	struct pvio_blkback_req *r, *tmp;
	unsigned int k = 0, i;
	bool refused = false;

	list_for_each_entry_safe(r, tmp, batch, list) {
		unsigned int first = k, first0 = k;
		bool quota = false;

		r->err = pvio_blkback_map_status(ring->map_ops, nr_map, &k,
						 r->io.nr_segs, r->page,
						 r->handle, &quota);
		if (quota) {
			ring->stats.map_refused++;
			refused = true;
		}
		for (i = 0; i < r->io.nr_segs && first < k; i++) {
			struct gnttab_map_grant_ref *op;

			if (r->page[i])		/* a persistent grant */
				continue;
			op = &ring->map_ops[first++];
			if (r->handle[i] == PVIO_GRANT_INVALID_HANDLE)
				continue;
			/* Mapped: unmapped when done, even if it fails. */
			r->nr_mapped++;
			r->page[i] = pvio_gnttab_map_op_page(ring->blkif->d, op);
			if (!r->page[i])
				r->err = -EIO;
			else if (!r->once &&
				 pvio_blkback_keep(ring, op->ref, op->handle,
						   r->page[i]))
				r->handle[i] = PVIO_GRANT_INVALID_HANDLE;
		}
		if (r->err) {
			s16 st = GNTST_okay;

			while (first0 < k && st == GNTST_okay)
				st = ring->map_ops[first0++].status;
			dev_warn_ratelimited(&ring->blkif->dev->dev,
					     "request %llu: grant map failed (status %d)\n",
					     r->io.id, st);
			list_del(&r->list);
			pvio_blkback_req_done(r);
		}
	}
	return refused;
}

static void pvio_blkback_submit(struct pvio_blkback_ring *ring,
				struct pvio_blkback_req *r)
{
	blk_opf_t opf;
	struct bio *bio = NULL;
	sector_t sector = r->io.sector;
	unsigned int i;

	if (ring->blkif->file) {
		if (r->io.nr_segs)
			r->err = pvio_blkback_file_rw(ring, r);
		if (!r->err && r->io.op != BLKIF_OP_READ &&
		    r->io.op != BLKIF_OP_WRITE)
			r->err = pvio_blkback_file_flush(ring->blkif);
		pvio_blkback_req_done(r);
		return;
	}

	switch (r->io.op) {
	case BLKIF_OP_READ:
		opf = REQ_OP_READ;
		break;
	case BLKIF_OP_WRITE:
		opf = REQ_OP_WRITE | REQ_SYNC | REQ_IDLE;
		break;
	case BLKIF_OP_WRITE_BARRIER:
		opf = REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH | REQ_FUA;
		break;
	default: /* BLKIF_OP_FLUSH_DISKCACHE */
		opf = REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH;
		break;
	}

	atomic_inc(&ring->busy);
	atomic_set(&r->bios, 1);	/* dropped once everything is submitted */
	if (!r->io.nr_segs) {
		bio = bio_alloc(ring->blkif->bdev, 0, opf, GFP_NOIO);
		bio->bi_private = r;
		bio->bi_end_io = pvio_blkback_end_io;
		atomic_inc(&r->bios);
		submit_bio(bio);
		pvio_blkback_put_req(r);
		return;
	}
	for (i = 0; i < r->io.nr_segs; ) {
		unsigned int off = r->io.seg[i].first_sect << 9;
		unsigned int len = (r->io.seg[i].last_sect -
				    r->io.seg[i].first_sect + 1) << 9;

		if (!bio) {
			bio = bio_alloc(ring->blkif->bdev, r->io.nr_segs - i, opf,
					GFP_NOIO);
			bio->bi_iter.bi_sector = sector;
			bio->bi_private = r;
			bio->bi_end_io = pvio_blkback_end_io;
			atomic_inc(&r->bios);
		}
		if (bio_add_page(bio, r->page[i], len, off) != len) {
			submit_bio(bio);
			bio = NULL;
			continue;
		}
		sector += len >> 9;
		i++;
	}
	submit_bio(bio);
	pvio_blkback_put_req(r);
}

/*
 * colocate=1: ring N of several runs on dom0's Nth online CPU, its
 * port's events and its kthread, where an in-kernel domU's blkfront
 * submits queue N's requests (its port bound to that CPU): a request and
 * its response never wake the other vCPU. Under TCG that hop is most of
 * a QD1 request's time (docs/block.md); it also keeps a queue's work off
 * the other vCPU, so one queue's throughput is about halved.
 * colocate=2: the same while the ring is lightly loaded (at most
 * PVIO_BLKBACK_COLO_LIGHT requests outstanding in each of
 * PVIO_BLKBACK_COLO_SETTLE windows of PVIO_BLKBACK_COLO_MS in a row while
 * spread), spread as with 0 after a busier window (at least
 * PVIO_BLKBACK_COLO_BUSY) and, to probe, after PVIO_BLKBACK_COLO_PROBE
 * colocated windows; decided by the ring's kthread once per window.
 * Applies to rings started after the change. 0: the scheduler places the
 * kthread, the port stays on vCPU 0, as xen-blkback.
 */
#define PVIO_BLKBACK_COLO_MS	20
#define PVIO_BLKBACK_COLO_LIGHT	1
#define PVIO_BLKBACK_COLO_BUSY	4
#define PVIO_BLKBACK_COLO_SETTLE	3
#define PVIO_BLKBACK_COLO_PROBE		50
static unsigned int pvio_blkback_colo = 2;

/* colocate= takes 0, 1 or 2; anything else is -EINVAL (as null_blk checks). */
static int pvio_blkback_colo_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, 2);
}

static const struct kernel_param_ops pvio_blkback_colo_ops = {
	.set = pvio_blkback_colo_set,
	.get = param_get_uint,
};
module_param_cb(colocate, &pvio_blkback_colo_ops, &pvio_blkback_colo, 0644);
MODULE_PARM_DESC(colocate,
		 "ring N of several (its kthread and its event channel) on the Nth online CPU: 0 never, 1 always (lowest QD1 latency, half a queue's throughput), 2 while the ring is lightly loaded (default)");

/* Colocate @ring on its CPU (@on) or spread it again. Process context. */
static void pvio_blkback_place(struct pvio_blkback_ring *ring, bool on)
{
	unsigned int cpu;

	if (!on) {
		if (ring->colo_cpu < 0)
			return;
		irq_set_affinity(ring->irq,
				 cpumask_of(cpumask_first(cpu_online_mask)));
		set_cpus_allowed_ptr(ring->task, cpu_possible_mask);
		ring->colo_cpu = -1;
		ring->stats.colo_spread++;
		return;
	}
	cpu = cpumask_nth(ring->idx % num_online_cpus(), cpu_online_mask);
	if (cpu >= nr_cpu_ids || ring->colo_cpu == cpu)
		return;
	irq_set_affinity(ring->irq, cpumask_of(cpu));
	set_cpus_allowed_ptr(ring->task, cpumask_of(cpu));
	ring->colo_cpu = cpu;
	ring->stats.colo_on++;
}

/*
 * colocate=2's load: the requests the frontend has outstanding, pushed
 * and not yet consumed as responses (req_prod - (rsp_event - 1): a
 * frontend that goes idle asks for an event at its consumer index + 1).
 * Not the backend's own backlog, which stays at one whether the ring is
 * spread (the kthread keeps up) or colocated (it preempts the submitter
 * at each request). Only a placement hint: a frontend writing nonsense
 * there moves its own ring's kthread, clamped to the ring's size.
 */
static void pvio_blkback_colo_sample(struct pvio_blkback_ring *ring)
{
	struct blkif_sring *s = ring->ring.sring;
	unsigned int n;

	n = READ_ONCE(s->req_prod) - READ_ONCE(s->rsp_event) + 1;
	n = min(n, ring->nr_reqs);
	if (n > ring->colo_peak)
		ring->colo_peak = n;
}

static void pvio_blkback_colocate(struct pvio_blkback_ring *ring)
{
	ring->colo_cpu = -1;
	ring->colo_peak = 0;
	ring->colo_light = 0;
	ring->colo_next = jiffies + msecs_to_jiffies(PVIO_BLKBACK_COLO_MS);
	if (READ_ONCE(pvio_blkback_colo) == 1 && ring->blkif->nr_rings > 1)
		pvio_blkback_place(ring, true);
}

/*
 * colocate=2, once per window (the ring's kthread): a spread ring is
 * colocated after PVIO_BLKBACK_COLO_SETTLE light windows in a row; a
 * colocated one is spread after a busy window or PVIO_BLKBACK_COLO_PROBE
 * windows. A polled ring (poll_ns) is never colocated: its kthread's poll
 * window and the frontend's poller would spin on the same CPU in turns.
 */
static void pvio_blkback_colo_adapt(struct pvio_blkback_ring *ring)
{
	if (READ_ONCE(pvio_blkback_colo) != 2 || ring->blkif->nr_rings < 2 ||
	    ring->poll_ns || time_before(jiffies, ring->colo_next))
		return;
	if (ring->colo_cpu >= 0) {
		/*
		 * Colocated, a ring cannot look busy: its kthread preempts
		 * the submitter at each request, so even a QD32 frontend has
		 * one outstanding. Spread it every PVIO_BLKBACK_COLO_PROBE
		 * windows to see what its frontend asks for when it can.
		 */
		if (ring->colo_peak >= PVIO_BLKBACK_COLO_BUSY ||
		    ++ring->colo_light >= PVIO_BLKBACK_COLO_PROBE) {
			pvio_blkback_place(ring, false);
			ring->colo_light = 0;
		}
	} else if (ring->colo_peak > PVIO_BLKBACK_COLO_LIGHT) {
		ring->colo_light = 0;
	} else if (++ring->colo_light >= PVIO_BLKBACK_COLO_SETTLE) {
		pvio_blkback_place(ring, true);
		ring->colo_light = 0;
	}
	ring->colo_peak = 0;
	ring->colo_next = jiffies + msecs_to_jiffies(PVIO_BLKBACK_COLO_MS);
}

/* One round; returns true if anything was done. */
static bool pvio_blkback_round(struct pvio_blkback_ring *ring)
{
	struct pvio_blkback_req *r, *tmp;
	unsigned int nr_map = 0, nr_unmap = 0, nr_ind = 0, taken, i;
	LIST_HEAD(done);
	LIST_HEAD(batch);
	struct blk_plug plug;
	bool refused = false;
	int err;

	/* At most PVIO_BLKBACK_DONE_BATCH: their unmaps fit @unmap_ops. */
	spin_lock_irq(&ring->done_lock);
	for (i = 0; i < PVIO_BLKBACK_DONE_BATCH && !list_empty(&ring->done);
	     i++)
		list_move_tail(ring->done.next, &done);
	spin_unlock_irq(&ring->done_lock);

	/* Unmap exactly the grants that were mapped; release persistent ones. */
	list_for_each_entry(r, &done, list) {
		for (i = 0; i < r->io.nr_segs; i++) {
			if (r->handle[i] == PVIO_GRANT_INVALID_HANDLE) {
				if (r->page[i])
					pvio_blkback_put_pgrant(ring,
								r->io.seg[i].gref);
				continue;
			}
			pvio_gnttab_set_unmap_op(&ring->unmap_ops[nr_unmap++],
						 r->handle[i]);
		}
	}

	taken = pvio_blkback_fetch(ring, &batch, &nr_ind);
	if (!taken && list_empty(&done))
		return false;
	pvio_blkback_prepare(ring, &batch, nr_ind, &nr_map, &nr_unmap,
			     &refused);

	if (nr_map) {
		unsigned int n = 0;

		list_for_each_entry(r, &batch, list)
			n++;
		ring->stats.map_calls++;
		ring->stats.map_reqs += n;
		if (n > ring->stats.max_batch)
			ring->stats.max_batch = n;
	}
	if (nr_map || nr_unmap) {
		/* local_clock(): no clocksource read (an MMIO exit with HPET). */
		u64 t0 = local_clock();
		s64 dt;

		err = pvio_gnttab_batch_mixed(ring->blkif->d, ring->map_ops, nr_map,
					      NULL, 0, ring->unmap_ops,
					      nr_unmap);
		/* Another CPU's clock may be a little behind. */
		dt = local_clock() - t0;
		if (dt > 0)
			ring->stats.map_ns += dt;
		ring->stats.unmap_ops += nr_unmap;
		if (err && err != -EIO) {
			/* The multicall itself failed: nothing was mapped. */
			for (i = 0; i < nr_map; i++)
				ring->map_ops[i].status = GNTST_general_error;
		}
		for (i = 0; i < nr_unmap; i++)
			if (err && err != -EIO ? true :
			    ring->unmap_ops[i].status != GNTST_okay)
				dev_warn_ratelimited(&ring->blkif->dev->dev,
						     "unmap of handle %u failed: %d\n",
						     ring->unmap_ops[i].handle,
						     ring->unmap_ops[i].status);
	}

	list_for_each_entry_safe(r, tmp, &done, list) {
		for (i = 0; i < r->io.nr_segs; i++) {
			r->handle[i] = PVIO_GRANT_INVALID_HANDLE;
			r->page[i] = NULL;
		}
		r->nr_mapped = 0;
		pvio_blkback_respond(ring, r->io.id, r->io.op, r->err);
		list_move(&r->list, &ring->free);
		atomic_dec(&ring->inflight);
	}

	if (pvio_blkback_mapped(ring, &batch, nr_map))
		refused = true;
	blk_start_plug(&plug);
	list_for_each_entry_safe(r, tmp, &batch, list) {
		list_del(&r->list);
		pvio_blkback_submit(ring, r);
	}
	blk_finish_plug(&plug);
	pvio_blkback_colo_sample(ring);

	if (!ring->halted && PVIO_RING_PUSH_RESPONSES(&ring->ring))
		pvio_notify_remote_via_irq(ring->irq);
	/* Wake a barrier waiting for the ring to drain. */
	wake_up(&ring->wq);
	if (refused) {
		ring->pgrant_squeeze = true;
		pvio_blkback_report_quota(ring);
	}
	return true;
}

static bool pvio_blkback_has_work(struct pvio_blkback_ring *ring)
{
	return kthread_should_stop() ||
	       test_bit(PVIO_BLKBACK_WORK, &ring->work) ||
	       pvio_blkback_done_pending(ring);
}

/*
 * pvio's poll window (the frontend's poll queue, docs/block.md): after
 * the ring ran dry, watch it for ring->poll_ns without asking for an
 * event, so a request that comes within the window is taken without an
 * event or a wake-up; then ask for one (RING_FINAL_CHECK_FOR_REQUESTS)
 * and look a last time before sleeping. The window is timed with
 * local_clock() (the TSC where there is one), not ktime_get_ns(): with
 * HPET as the clocksource (a TCG guest's) every ktime read is an MMIO
 * exit that takes QEMU's global lock, which the poller on the other vCPU
 * (fio's clock_gettime()) then waits for. Return: there is work.
 */
static bool pvio_blkback_poll(struct pvio_blkback_ring *ring)
{
	u64 end = local_clock() + ring->poll_ns;

	if (ring->halted)
		return false;
	do {
		if (PVIO_RING_REQUESTS_AVAIL(&ring->ring) ||
		    pvio_blkback_done_pending(ring)) {
			ring->stats.poll_hits++;
			return true;
		}
		if (kthread_should_stop() ||
		    test_bit(PVIO_BLKBACK_WORK, &ring->work))
			break;
		cond_resched();
		cpu_relax();
	} while (local_clock() < end);
	ring->stats.poll_misses++;
	return PVIO_RING_FINAL_CHECK_FOR_REQUESTS(&ring->ring) != 0 ||
	       pvio_blkback_done_pending(ring);
}

static int pvio_blkback_thread(void *data)
{
	struct pvio_blkback_ring *ring = data;

	/*
	 * xen-blkback's eoi_flags: an EOI is spurious only if no request at
	 * all was taken off the ring since the previous EOI. A round woken by
	 * a bio completion may take the requests an event announced before
	 * that event's own round runs; that event was not spurious, and
	 * calling it so would have the late-EOI back-off keep the port masked
	 * for whole jiffies (pvio_irq_lateeoi()).
	 */
	ring->eoi_flags = PVIO_EOI_FLAG_SPURIOUS;
	while (!kthread_should_stop()) {
		/* With persistent grants, wake for the LRU purge too. */
		long timeout = ring->blkif->persistent ?
			msecs_to_jiffies(PVIO_BLKBACK_LRU_INTERVAL) :
			MAX_SCHEDULE_TIMEOUT;
		bool eoi;

		wait_event_interruptible_timeout(ring->wq,
						 pvio_blkback_has_work(ring),
						 timeout);
		if (kthread_should_stop())
			break;
		eoi = test_and_clear_bit(PVIO_BLKBACK_WORK, &ring->work);
		/* Ring 0 watches the capacity for the whole vbd. */
		if (!ring->idx && ring->blkif->bdev &&
		    bdev_nr_sectors(ring->blkif->bdev) !=
		    ring->blkif->lim.sectors) {
			WRITE_ONCE(ring->blkif->lim.sectors,
				   bdev_nr_sectors(ring->blkif->bdev));
			pvio_blkback_resize(ring->blkif);
		}
		do {
			while (pvio_blkback_round(ring))
				;
		} while (ring->poll_ns && pvio_blkback_poll(ring));
		pvio_blkback_colo_adapt(ring);
		if (eoi) {
			if (ring->eoi_flags & PVIO_EOI_FLAG_SPURIOUS)
				ring->stats.spurious_eoi++;
			pvio_irq_lateeoi(ring->irq, ring->eoi_flags);
			ring->eoi_flags = PVIO_EOI_FLAG_SPURIOUS;
		}
		if (ring->blkif->persistent &&
		    time_after_eq(jiffies, ring->next_lru)) {
			pvio_blkback_purge_lru(ring, false);
			ring->next_lru = jiffies +
				msecs_to_jiffies(PVIO_BLKBACK_LRU_INTERVAL);
		}
		cond_resched();
	}

	/* Drain: every bio completes; unmap and answer what is left. */
	wait_event(ring->wq, !atomic_read(&ring->inflight) ||
		   pvio_blkback_done_pending(ring));
	while (atomic_read(&ring->inflight)) {
		pvio_blkback_round(ring);
		wait_event(ring->wq, !atomic_read(&ring->inflight) ||
			   pvio_blkback_done_pending(ring));
	}
	pvio_blkback_purge_lru(ring, true);
	return 0;
}

/**
 * pvio_blkback_start() - start a ring's kthread
 * @ring: the ring, mapped, its IRQ bound, @ring->nr_reqs requests
 *	allocated
 *
 * One kthread per ring (xen-blkback's xen_blkif_schedule() per
 * xen_blkif_ring), named pvio-blkback.<domid>.<devid> for a single ring
 * and pvio-blkback.<domid>.<devid>-<queue> for each of several.
 *
 * Context: process context.
 * Return: 0 or the kthread_run() error.
 */
int pvio_blkback_start(struct pvio_blkback_ring *ring)
{
	struct task_struct *task;
	unsigned int i;

	INIT_LIST_HEAD(&ring->free);
	INIT_LIST_HEAD(&ring->done);
	for (i = 0; i < ring->nr_reqs; i++) {
		ring->reqs[i].ring = ring;
		list_add_tail(&ring->reqs[i].list, &ring->free);
	}
	atomic_set(&ring->inflight, 0);
	atomic_set(&ring->busy, 0);
	ring->halted = false;
	ring->work = 0;
	ring->pgrant_overflow = false;
	ring->pgrant_squeeze = false;
	ring->quota_reported = false;
	ring->next_lru = jiffies + msecs_to_jiffies(PVIO_BLKBACK_LRU_INTERVAL);
	if (ring->blkif->nr_rings > 1)
		task = kthread_run(pvio_blkback_thread, ring,
				   "pvio-blkback.%u.%u-%u",
				   ring->blkif->dev->otherend_id,
				   ring->blkif->dev->devid, ring->idx);
	else
		task = kthread_run(pvio_blkback_thread, ring,
				   "pvio-blkback.%u.%u",
				   ring->blkif->dev->otherend_id,
				   ring->blkif->dev->devid);
	if (IS_ERR(task))
		return PTR_ERR(task);
	ring->task = task;
	pvio_blkback_colocate(ring);
	return 0;
}

/**
 * pvio_blkback_stop() - stop a ring's kthread after draining its I/O
 * @ring: the ring
 *
 * Idempotent (XSA-350: the task pointer is cleared).
 *
 * Context: process context, sleeps until the I/O in flight completed.
 */
void pvio_blkback_stop(struct pvio_blkback_ring *ring)
{
	if (!ring->task)
		return;
	kthread_stop(ring->task);
	ring->task = NULL;
}
