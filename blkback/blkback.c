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
#include <linux/kthread.h>
#include <linux/slab.h>
#include <pvio/evtchn.h>
#include <pvio/grant.h>
#include <pvio/ring.h>
#include "common.h"

#define PVIO_BLKBACK_WORK	0

irqreturn_t pvio_blkback_interrupt(int irq, void *data)
{
	struct pvio_blkif *blkif = data;

	set_bit(PVIO_BLKBACK_WORK, &blkif->work);
	wake_up(&blkif->wq);
	return IRQ_HANDLED;
}

static bool pvio_blkback_done_pending(struct pvio_blkif *blkif)
{
	bool ret;

	spin_lock_irq(&blkif->done_lock);
	ret = !list_empty(&blkif->done);
	spin_unlock_irq(&blkif->done_lock);
	return ret;
}

/* A request's I/O is over (successfully or not): unmap and answer it. */
static void pvio_blkback_req_done(struct pvio_blkback_req *req)
{
	struct pvio_blkif *blkif = req->blkif;
	unsigned long flags;

	spin_lock_irqsave(&blkif->done_lock, flags);
	list_add_tail(&req->list, &blkif->done);
	spin_unlock_irqrestore(&blkif->done_lock, flags);
	wake_up(&blkif->wq);
}

static void pvio_blkback_put_req(struct pvio_blkback_req *req)
{
	struct pvio_blkif *blkif = req->blkif;

	if (atomic_dec_and_test(&req->bios)) {
		atomic_dec(&blkif->busy);
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
static void pvio_blkback_respond(struct pvio_blkif *blkif, u64 id, u8 op,
				 int err)
{
	struct blkif_response *rsp;

	if (blkif->halted)
		return;
	rsp = PVIO_RING_NEXT_RESPONSE(&blkif->ring);
	if (WARN_ON_ONCE(!rsp))
		return;
	rsp->id = id;
	rsp->operation = op;
	rsp->status = pvio_blkback_rsp_status(err);
	if (unlikely(atomic_read(&blkif->inject))) {
		switch (atomic_xchg(&blkif->inject, 0)) {
		case PVIO_BLKBACK_INJECT_BAD_ID:
			rsp->id = id + 1000 * PVIO_BLK_RING_SIZE;
			break;
		case PVIO_BLKBACK_INJECT_BAD_OP:
			rsp->operation = op ^ 1;
			break;
		}
	}
	if (err)
		blkif->stats.err_req++;
}

static void pvio_blkback_halt(struct pvio_blkif *blkif)
{
	if (blkif->halted)
		return;
	blkif->halted = true;
	blkif->stats.halted++;
	dev_err(&blkif->dev->dev,
		"frontend %u published an impossible req_prod (%u, cons %u, rsp %u): ring halted\n",
		blkif->dev->otherend_id, READ_ONCE(blkif->ring.sring->req_prod),
		blkif->ring.req_cons, blkif->ring.rsp_prod_pvt);
}

static void pvio_blkback_count(struct pvio_blkif *blkif,
			       const struct pvio_blkback_io *io)
{
	struct pvio_blkback_stats *st = &blkif->stats;

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

static int pvio_blkback_discard(struct pvio_blkif *blkif,
				const struct pvio_blkback_io *io)
{
	if (!io->nr_sects)
		return 0;
	if (blkif->file)
		return pvio_blkback_file_discard(blkif, io->sector,
						 io->nr_sects);
	if (io->secure)
		return blkdev_issue_secure_erase(blkif->bdev, io->sector,
						 io->nr_sects, GFP_KERNEL);
	return blkdev_issue_discard(blkif->bdev, io->sector, io->nr_sects,
				    GFP_KERNEL);
}

/*
 * Take up to PVIO_BLKBACK_BATCH requests off the ring into @batch; for an
 * indirect one, prepare the map ops of its indirect pages. A barrier
 * drains the I/O in flight and goes alone; a discard (synchronous) is
 * done only with an empty batch.
 * Return: requests taken (answered or batched).
 */
static unsigned int pvio_blkback_fetch(struct pvio_blkif *blkif,
				       struct list_head *batch,
				       unsigned int *nr_ind)
{
	unsigned int taken = 0, batched = 0;
	struct blkif_request req;
	struct pvio_blkback_req *r;
	int avail, err;

	if (blkif->halted)
		return 0;
	avail = PVIO_RING_REQUESTS_AVAIL(&blkif->ring);
	while (batched < PVIO_BLKBACK_BATCH && !list_empty(&blkif->free)) {
		struct pvio_blkback_limits lim = blkif->lim;
		unsigned int i;

		if (avail == 0)
			avail = PVIO_RING_FINAL_CHECK_FOR_REQUESTS(&blkif->ring);
		if (avail < 0) {
			pvio_blkback_halt(blkif);
			break;
		}
		if (avail == 0)
			break;

		/* Peek at the op in our copy; consume only if it fits. */
		PVIO_RING_COPY_REQUEST(&blkif->ring, blkif->ring.req_cons,
				       &req);
		if ((req.operation == BLKIF_OP_WRITE_BARRIER ||
		     req.operation == BLKIF_OP_DISCARD) && batched)
			break;
		blkif->ring.req_cons++;
		avail--;
		taken++;
		/* The event that announced it, if any, was not spurious. */
		blkif->eoi_flags &= ~PVIO_EOI_FLAG_SPURIOUS;

		r = list_first_entry(&blkif->free, struct pvio_blkback_req,
				     list);
		lim.sectors = READ_ONCE(blkif->lim.sectors);
		err = pvio_blkback_parse_req(&req, &lim, &r->io);
		if (err) {
			blkif->stats.bad_req++;
			if (err != -EOPNOTSUPP && err != -EROFS)
				dev_warn_ratelimited(&blkif->dev->dev,
						     "bad request op %u nseg %u sector %llu: %d\n",
						     req.operation,
						     req.operation == BLKIF_OP_INDIRECT ?
						     req.u.indirect.nr_segments :
						     req.u.rw.nr_segments,
						     req.u.rw.sector_number, err);
			pvio_blkback_respond(blkif, r->io.id, r->io.op, err);
			continue;
		}
		if (!r->io.indirect)
			pvio_blkback_count(blkif, &r->io);
		if (r->io.op == BLKIF_OP_DISCARD) {
			err = pvio_blkback_discard(blkif, &r->io);
			pvio_blkback_respond(blkif, r->io.id, r->io.op, err);
			continue;
		}
		if (r->io.op == BLKIF_OP_WRITE_BARRIER) {
			/* Everything before the barrier completes first. */
			wait_event(blkif->wq, !atomic_read(&blkif->busy));
		}
		list_move_tail(&r->list, batch);
		atomic_inc(&blkif->inflight);
		r->err = 0;
		r->nr_mapped = 0;
		/* The indirect pages are the frontend's, granted read-only. */
		for (i = 0; r->io.indirect && i < r->io.nr_ind; i++)
			pvio_gnttab_set_map_op(&blkif->ind_map_ops[(*nr_ind)++],
					       GNTMAP_readonly,
					       r->io.ind_gref[i],
					       blkif->dev->otherend_id);
		batched++;
		if (r->io.op == BLKIF_OP_WRITE_BARRIER)
			break;
	}
	return taken;
}

/*
 * Copy an indirect request's segment descriptors out of its mapped
 * indirect pages (@ops: its r->io.nr_ind map ops) into blkif->ind_segs and
 * queue the unmap of those pages into the round's multicall.
 * Return: 0, -ENOSPC if an indirect page was refused for the frontend
 * domain's quota of live maps (GNTST_no_space), or -EINVAL if one could
 * not be mapped otherwise.
 */
static int pvio_blkback_copy_indirect(struct pvio_blkif *blkif,
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
			pvio_gnttab_set_unmap_op(&blkif->unmap_ops[(*nr_unmap)++],
						 ops[i].handle);
			page = pvio_gnttab_map_op_page(blkif->d, &ops[i]);
		}
		if (!page) {
			if (!err)
				err = ops[i].status == GNTST_no_space ?
				      -ENOSPC : -EINVAL;
			continue;
		}
		if (!err)
			memcpy(&blkif->ind_segs[i * PVIO_BLK_SEGS_PER_INDIRECT_PAGE],
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
static void pvio_blkback_prepare(struct pvio_blkif *blkif,
				 struct list_head *batch, unsigned int nr_ind,
				 unsigned int *nr_map, unsigned int *nr_unmap,
				 bool *refused)
{
	struct pvio_blkback_req *r, *tmp;
	unsigned int k = 0, i;
	int err;

	if (nr_ind) {
		err = pvio_gnttab_map_refs(blkif->d, blkif->ind_map_ops, NULL,
					   nr_ind);
		if (err && err != -EIO)
			for (i = 0; i < nr_ind; i++)
				blkif->ind_map_ops[i].status =
					GNTST_general_error;
	}
	list_for_each_entry_safe(r, tmp, batch, list) {
		if (r->io.indirect) {
			struct pvio_blkback_limits lim = blkif->lim;

			lim.sectors = READ_ONCE(blkif->lim.sectors);
			err = pvio_blkback_copy_indirect(blkif, r,
							 &blkif->ind_map_ops[k],
							 nr_unmap);
			k += r->io.nr_ind;
			if (!err)
				err = pvio_blkback_parse_indirect(blkif->ind_segs,
								  &lim, &r->io);
			if (err == -ENOSPC) {
				blkif->stats.map_refused++;
				*refused = true;
			} else if (err) {
				blkif->stats.bad_req++;
				dev_warn_ratelimited(&blkif->dev->dev,
						     "bad indirect request %llu (%u segments): %d\n",
						     r->io.id, r->io.nr_segs,
						     err);
			}
			if (err) {
				pvio_blkback_respond(blkif, r->io.id, r->io.op,
						     err);
				r->io.nr_segs = 0;
				list_move(&r->list, &blkif->free);
				atomic_dec(&blkif->inflight);
				continue;
			}
			blkif->stats.ind_req++;
			pvio_blkback_count(blkif, &r->io);
		}
		for (i = 0; i < r->io.nr_segs; i++) {
			struct pvio_blkback_pgrant *pg = NULL;

			r->handle[i] = PVIO_GRANT_INVALID_HANDLE;
			if (blkif->persistent)
				pg = xa_load(&blkif->pgrants,
					     r->io.seg[i].gref);
			r->page[i] = pg ? pg->page : NULL;
			if (pg) {
				pg->active++;
				continue;
			}
			/* A persistent grant may serve reads later: rw. */
			pvio_gnttab_set_map_op(&blkif->map_ops[(*nr_map)++],
					       r->io.write && !blkif->persistent ?
					       GNTMAP_readonly : 0,
					       r->io.seg[i].gref,
					       blkif->dev->otherend_id);
		}
	}
}

/*
 * Keep a new mapping for good (feature-persistent), in use by the segment
 * that mapped it, up to blkif->max_pgrants per ring; a ref mapped twice in
 * one round, or past the limit, stays an ordinary mapping, unmapped when
 * done (past the limit, the next LRU purge makes room: xen-blkback's
 * overflow_max_grants).
 * Return: true if the mapping is now persistent.
 */
static bool pvio_blkback_keep(struct pvio_blkif *blkif, grant_ref_t ref,
			      grant_handle_t handle, struct page *page)
{
	struct pvio_blkback_pgrant *pg;

	if (!blkif->persistent)
		return false;
	if (blkif->stats.pgrants >= blkif->max_pgrants) {
		blkif->pgrant_overflow = true;
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
	if (xa_insert(&blkif->pgrants, ref, pg, GFP_NOIO)) {
		kfree(pg);
		return false;
	}
	list_add_tail(&pg->lru, &blkif->pgrant_lru);
	blkif->stats.pgrants++;
	return true;
}

/* A segment using persistent grant @ref is done: most recently used. */
static void pvio_blkback_put_pgrant(struct pvio_blkif *blkif, grant_ref_t ref)
{
	struct pvio_blkback_pgrant *pg = xa_load(&blkif->pgrants, ref);

	if (!pg || !pg->active)
		return;
	pg->active--;
	pg->last_used = jiffies;
	list_move_tail(&pg->lru, &blkif->pgrant_lru);
}

/* Unmap the @n persistent grants queued in blkif->unmap_ops. */
static void pvio_blkback_unmap_pgrants(struct pvio_blkif *blkif,
				       unsigned int n)
{
	unsigned int i;

	if (!n || !pvio_gnttab_unmap_refs(blkif->d, blkif->unmap_ops, NULL, n))
		return;
	for (i = 0; i < n; i++)
		if (blkif->unmap_ops[i].status != GNTST_okay)
			dev_warn_ratelimited(&blkif->dev->dev,
					     "unmap of persistent handle %u failed: %d\n",
					     blkif->unmap_ops[i].handle,
					     blkif->unmap_ops[i].status);
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
 * The kthread, between rounds (blkif->unmap_ops is free).
 */
static void pvio_blkback_purge_lru(struct pvio_blkif *blkif, bool all)
{
	unsigned int count = blkif->stats.pgrants, max = blkif->max_pgrants;
	unsigned long timeout = PVIO_BLKBACK_PGRANT_TIMEOUT * HZ;
	unsigned int num_clean = 0, total = 0, n = 0;
	struct pvio_blkback_pgrant *pg, *tmp;

	if (all)
		num_clean = count;
	else if (count > max || (count == max && blkif->pgrant_overflow))
		num_clean = min(count, count - max +
				(max / 100) * PVIO_BLKBACK_LRU_PERCENT_CLEAN);
	else if (blkif->pgrant_squeeze)
		num_clean = min(count, (max / 100) *
				PVIO_BLKBACK_LRU_PERCENT_CLEAN);
	blkif->pgrant_squeeze = false;
	list_for_each_entry_safe(pg, tmp, &blkif->pgrant_lru, lru) {
		if (pg->active && !all)
			continue;
		/* Oldest first: the rest were used later still. */
		if (total >= num_clean &&
		    time_before(jiffies, pg->last_used + timeout))
			break;
		pvio_gnttab_set_unmap_op(&blkif->unmap_ops[n++], pg->handle);
		xa_erase(&blkif->pgrants, pg->ref);
		list_del(&pg->lru);
		kfree(pg);
		total++;
		if (n == ARRAY_SIZE(blkif->unmap_ops)) {
			pvio_blkback_unmap_pgrants(blkif, n);
			n = 0;
		}
	}
	pvio_blkback_unmap_pgrants(blkif, n);
	blkif->stats.pgrants -= total;
	if (total) {
		blkif->pgrant_overflow = false;
		if (!all)
			blkif->stats.pgrants_purged += total;
	}
}

/*
 * A map was refused for the frontend domain's quota of live grant maps:
 * that request failed (BLKIF_RSP_ERROR); say why once per connection, in
 * the device's store error node, and go on.
 */
static void pvio_blkback_report_quota(struct pvio_blkif *blkif)
{
	struct pvio_xenbus_device *dev = blkif->dev;

	if (blkif->quota_reported)
		return;
	blkif->quota_reported = true;
	dev_warn(&dev->dev,
		 "frontend domain %u is over its quota of live grant maps (pvio-hypervisor max_maps_per_domain): its requests fail\n",
		 dev->otherend_id);
	pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename, "error",
		       "%d grant map refused: domain %u over its quota of live grant maps",
		       ENOSPC, dev->otherend_id);
}

/*
 * Record the map results of a batch; a request with a failed map ends.
 * Return: true if a map was refused for the frontend domain's quota.
 */
static bool pvio_blkback_mapped(struct pvio_blkif *blkif,
				struct list_head *batch)
{
	struct pvio_blkback_req *r, *tmp;
	unsigned int k = 0, i;
	bool refused = false;

	list_for_each_entry_safe(r, tmp, batch, list) {
		for (i = 0; i < r->io.nr_segs; i++) {
			struct gnttab_map_grant_ref *op;

			if (r->page[i])		/* a persistent grant */
				continue;
			op = &blkif->map_ops[k++];
			if (op->status != GNTST_okay) {
				if (op->status == GNTST_no_space) {
					blkif->stats.map_refused++;
					refused = true;
				}
				r->err = -EIO;
				continue;
			}
			r->handle[i] = op->handle;
			r->nr_mapped++;
			r->page[i] = pvio_gnttab_map_op_page(blkif->d, op);
			if (!r->page[i])
				r->err = -EIO;
			else if (pvio_blkback_keep(blkif, op->ref, op->handle,
						   r->page[i]))
				r->handle[i] = PVIO_GRANT_INVALID_HANDLE;
		}
		if (r->err) {
			dev_warn_ratelimited(&blkif->dev->dev,
					     "request %llu: grant map failed\n",
					     r->io.id);
			list_del(&r->list);
			pvio_blkback_req_done(r);
		}
	}
	return refused;
}

static void pvio_blkback_submit(struct pvio_blkif *blkif,
				struct pvio_blkback_req *r)
{
	blk_opf_t opf;
	struct bio *bio = NULL;
	sector_t sector = r->io.sector;
	unsigned int i;

	if (blkif->file) {
		if (r->io.nr_segs)
			r->err = pvio_blkback_file_rw(blkif, r);
		if (!r->err && r->io.op != BLKIF_OP_READ &&
		    r->io.op != BLKIF_OP_WRITE)
			r->err = pvio_blkback_file_flush(blkif);
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

	atomic_inc(&blkif->busy);
	atomic_set(&r->bios, 1);	/* dropped once everything is submitted */
	if (!r->io.nr_segs) {
		bio = bio_alloc(blkif->bdev, 0, opf, GFP_NOIO);
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
			bio = bio_alloc(blkif->bdev, r->io.nr_segs - i, opf,
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

/* One round; returns true if anything was done. */
static bool pvio_blkback_round(struct pvio_blkif *blkif)
{
	struct pvio_blkback_req *r, *tmp;
	unsigned int nr_map = 0, nr_unmap = 0, nr_ind = 0, taken, i;
	LIST_HEAD(done);
	LIST_HEAD(batch);
	struct blk_plug plug;
	bool refused = false;
	int err;

	spin_lock_irq(&blkif->done_lock);
	list_splice_init(&blkif->done, &done);
	spin_unlock_irq(&blkif->done_lock);

	/* Unmap exactly the grants that were mapped; release persistent ones. */
	list_for_each_entry(r, &done, list) {
		for (i = 0; i < r->io.nr_segs; i++) {
			if (r->handle[i] == PVIO_GRANT_INVALID_HANDLE) {
				if (r->page[i])
					pvio_blkback_put_pgrant(blkif,
								r->io.seg[i].gref);
				continue;
			}
			pvio_gnttab_set_unmap_op(&blkif->unmap_ops[nr_unmap++],
						 r->handle[i]);
		}
	}

	taken = pvio_blkback_fetch(blkif, &batch, &nr_ind);
	if (!taken && list_empty(&done))
		return false;
	pvio_blkback_prepare(blkif, &batch, nr_ind, &nr_map, &nr_unmap,
			     &refused);

	if (nr_map) {
		unsigned int n = 0;

		list_for_each_entry(r, &batch, list)
			n++;
		blkif->stats.map_calls++;
		blkif->stats.map_reqs += n;
		if (n > blkif->stats.max_batch)
			blkif->stats.max_batch = n;
	}
	if (nr_map || nr_unmap) {
		err = pvio_gnttab_batch_mixed(blkif->d, blkif->map_ops, nr_map,
					      NULL, 0, blkif->unmap_ops,
					      nr_unmap);
		if (err && err != -EIO) {
			/* The multicall itself failed: nothing was mapped. */
			for (i = 0; i < nr_map; i++)
				blkif->map_ops[i].status = GNTST_general_error;
		}
		for (i = 0; i < nr_unmap; i++)
			if (err && err != -EIO ? true :
			    blkif->unmap_ops[i].status != GNTST_okay)
				dev_warn_ratelimited(&blkif->dev->dev,
						     "unmap of handle %u failed: %d\n",
						     blkif->unmap_ops[i].handle,
						     blkif->unmap_ops[i].status);
	}

	list_for_each_entry_safe(r, tmp, &done, list) {
		for (i = 0; i < r->io.nr_segs; i++) {
			r->handle[i] = PVIO_GRANT_INVALID_HANDLE;
			r->page[i] = NULL;
		}
		r->nr_mapped = 0;
		pvio_blkback_respond(blkif, r->io.id, r->io.op, r->err);
		list_move(&r->list, &blkif->free);
		atomic_dec(&blkif->inflight);
	}

	if (pvio_blkback_mapped(blkif, &batch))
		refused = true;
	blk_start_plug(&plug);
	list_for_each_entry_safe(r, tmp, &batch, list) {
		list_del(&r->list);
		pvio_blkback_submit(blkif, r);
	}
	blk_finish_plug(&plug);

	if (!blkif->halted && PVIO_RING_PUSH_RESPONSES(&blkif->ring))
		pvio_notify_remote_via_irq(blkif->irq);
	/* Wake a barrier waiting for the ring to drain. */
	wake_up(&blkif->wq);
	if (refused) {
		blkif->pgrant_squeeze = true;
		pvio_blkback_report_quota(blkif);
	}
	return true;
}

static bool pvio_blkback_has_work(struct pvio_blkif *blkif)
{
	return kthread_should_stop() ||
	       test_bit(PVIO_BLKBACK_WORK, &blkif->work) ||
	       pvio_blkback_done_pending(blkif);
}

static int pvio_blkback_thread(void *data)
{
	struct pvio_blkif *blkif = data;

	/*
	 * xen-blkback's eoi_flags: an EOI is spurious only if no request at
	 * all was taken off the ring since the previous EOI. A round woken by
	 * a bio completion may take the requests an event announced before
	 * that event's own round runs; that event was not spurious, and
	 * calling it so would have the late-EOI back-off keep the port masked
	 * for whole jiffies (pvio_irq_lateeoi()).
	 */
	blkif->eoi_flags = PVIO_EOI_FLAG_SPURIOUS;
	while (!kthread_should_stop()) {
		/* With persistent grants, wake for the LRU purge too. */
		long timeout = blkif->persistent ?
			msecs_to_jiffies(PVIO_BLKBACK_LRU_INTERVAL) :
			MAX_SCHEDULE_TIMEOUT;
		bool eoi;

		wait_event_interruptible_timeout(blkif->wq,
						 pvio_blkback_has_work(blkif),
						 timeout);
		if (kthread_should_stop())
			break;
		eoi = test_and_clear_bit(PVIO_BLKBACK_WORK, &blkif->work);
		if (blkif->bdev &&
		    bdev_nr_sectors(blkif->bdev) != blkif->lim.sectors) {
			WRITE_ONCE(blkif->lim.sectors,
				   bdev_nr_sectors(blkif->bdev));
			pvio_blkback_resize(blkif);
		}
		while (pvio_blkback_round(blkif))
			;
		if (eoi) {
			if (blkif->eoi_flags & PVIO_EOI_FLAG_SPURIOUS)
				blkif->stats.spurious_eoi++;
			pvio_irq_lateeoi(blkif->irq, blkif->eoi_flags);
			blkif->eoi_flags = PVIO_EOI_FLAG_SPURIOUS;
		}
		if (blkif->persistent && time_after_eq(jiffies, blkif->next_lru)) {
			pvio_blkback_purge_lru(blkif, false);
			blkif->next_lru = jiffies +
				msecs_to_jiffies(PVIO_BLKBACK_LRU_INTERVAL);
		}
		cond_resched();
	}

	/* Drain: every bio completes; unmap and answer what is left. */
	wait_event(blkif->wq, !atomic_read(&blkif->inflight) ||
		   pvio_blkback_done_pending(blkif));
	while (atomic_read(&blkif->inflight)) {
		pvio_blkback_round(blkif);
		wait_event(blkif->wq, !atomic_read(&blkif->inflight) ||
			   pvio_blkback_done_pending(blkif));
	}
	pvio_blkback_purge_lru(blkif, true);
	return 0;
}

/**
 * pvio_blkback_start() - start the ring's kthread
 * @blkif: the vbd, ring mapped and IRQ bound
 *
 * Context: process context.
 * Return: 0 or the kthread_run() error.
 */
int pvio_blkback_start(struct pvio_blkif *blkif)
{
	struct task_struct *task;
	unsigned int i;

	INIT_LIST_HEAD(&blkif->free);
	INIT_LIST_HEAD(&blkif->done);
	for (i = 0; i < PVIO_BLK_RING_SIZE; i++) {
		blkif->reqs[i].blkif = blkif;
		list_add_tail(&blkif->reqs[i].list, &blkif->free);
	}
	atomic_set(&blkif->inflight, 0);
	atomic_set(&blkif->busy, 0);
	blkif->halted = false;
	blkif->work = 0;
	blkif->pgrant_overflow = false;
	blkif->pgrant_squeeze = false;
	blkif->quota_reported = false;
	blkif->next_lru = jiffies + msecs_to_jiffies(PVIO_BLKBACK_LRU_INTERVAL);
	task = kthread_run(pvio_blkback_thread, blkif, "pvio-blkback.%u.%u",
			   blkif->dev->otherend_id, blkif->dev->devid);
	if (IS_ERR(task))
		return PTR_ERR(task);
	blkif->task = task;
	return 0;
}

/**
 * pvio_blkback_stop() - stop the ring's kthread after draining its I/O
 * @blkif: the vbd
 *
 * Idempotent (XSA-350: the task pointer is cleared).
 *
 * Context: process context, sleeps until the I/O in flight completed.
 */
void pvio_blkback_stop(struct pvio_blkif *blkif)
{
	if (!blkif->task)
		return;
	kthread_stop(blkif->task);
	blkif->task = NULL;
}
