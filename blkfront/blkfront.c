// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-blkfront: the data path (Linux's xen-blkfront request and
 * completion code).
 *
 * queue_rq takes a free id (the shadow array's free list), copies a
 * write's data into the id's own bounce pages, grants each page
 * (read-only for a write), builds the request in private memory and
 * copies it into the ring. The event handler copies each response out,
 * checks the producer index, the id, that the id is waiting and that the
 * op matches (check.h), ends the grants (a page is reused only when
 * end-access succeeded), copies a read's data out and completes the
 * request: in hard IRQ one batch at most and no zero-copy request, the
 * rest in the port's IRQ thread (pvio_blkfront_interrupt()). A backend
 * that breaks any rule puts the disk into an error state: every request
 * in flight and every later one fails with -EIO, the device is reported
 * fatal (Closing) and the ring is not read again.
 */
#define pr_fmt(fmt) "pvio-blkfront: " fmt

#include <linux/blk-mq.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <pvio/evtchn.h>
#include <pvio/grant.h>
#include <pvio/ring.h>
#include "common.h"

/*
 * A free id: for a large request (more than 11 segments) one of the
 * ring's first nr_big ids, which have the bounce pages for it; for any
 * other a small id first. Caller holds info->lock.
 * Return: the id, or rinfo->nr_shadow if none is free.
 */
static unsigned int pvio_blkfront_get_id(struct pvio_blkfront_ring *rinfo,
					 bool big)
{
	unsigned int id = big ? rinfo->nr_shadow : rinfo->free_small;

	if (id < rinfo->nr_shadow) {
		rinfo->free_small = rinfo->shadow[id].next_free;
		return id;
	}
	id = rinfo->free_big;
	if (id < rinfo->nr_shadow)
		rinfo->free_big = rinfo->shadow[id].next_free;
	return id;
}

/* Caller holds info->lock. */
static void pvio_blkfront_put_id(struct pvio_blkfront_ring *rinfo,
				 unsigned int id)
{
	struct pvio_blkfront_shadow *s = &rinfo->shadow[id];
	unsigned int *head = id < rinfo->nr_big ? &rinfo->free_big :
			     &rinfo->free_small;

	s->rq = NULL;
	s->waiting = false;
	s->next_free = *head;
	*head = id;
}

/*
 * Bounce pages and indirect pages of an id: see pvio_blkfront_big_ids().
 * With zero-copy every id has 11 bounce pages and the indirect pages of
 * the negotiated segments (a large request grants its own pages).
 */
static unsigned int pvio_blkfront_id_segs(struct pvio_blkfront *info,
					  struct pvio_blkfront_ring *rinfo,
					  unsigned int id)
{
	return id < rinfo->nr_big && !info->zero_copy ? info->max_segs :
	       min(info->max_segs, PVIO_BLK_MAX_SEGS);
}

static unsigned int pvio_blkfront_id_ind(struct pvio_blkfront *info,
					 struct pvio_blkfront_ring *rinfo,
					 unsigned int id)
{
	unsigned int segs = info->zero_copy ? info->max_segs :
			    pvio_blkfront_id_segs(info, rinfo, id);

	return segs > PVIO_BLK_MAX_SEGS ? PVIO_BLK_INDIRECT_PAGES(segs) : 0;
}

/**
 * pvio_blkfront_init_shadows() - every id of a ring free
 * @rinfo: the ring, not connected; @rinfo->nr_big set: ids below it on
 *	the free list of large requests, the others on that of small ones
 *
 * Context: process context, no request in flight on @rinfo.
 */
void pvio_blkfront_init_shadows(struct pvio_blkfront_ring *rinfo)
{
	unsigned int i;

	for (i = 0; i < rinfo->nr_shadow; i++) {
		rinfo->shadow[i].rq = NULL;
		rinfo->shadow[i].waiting = false;
		rinfo->shadow[i].zc = false;
		rinfo->shadow[i].zc_segs = 0;
		rinfo->shadow[i].nr_segs = 0;
		rinfo->shadow[i].nr_ind = 0;
		rinfo->shadow[i].next_free = i + 1;
	}
	if (rinfo->nr_big && rinfo->nr_big < rinfo->nr_shadow)
		rinfo->shadow[rinfo->nr_big - 1].next_free = rinfo->nr_shadow;
	rinfo->free_big = rinfo->nr_big ? 0 : rinfo->nr_shadow;
	rinfo->free_small = rinfo->nr_big < rinfo->nr_shadow ?
			    rinfo->nr_big : rinfo->nr_shadow;
	rinfo->inflight = 0;
}

/*
 * Walk every shadow of every ring: (*@r, *@i) moves on to the next
 * existing one. Return: that shadow, or NULL after the last.
 */
static struct pvio_blkfront_shadow *
pvio_blkfront_shadow_iter(struct pvio_blkfront *info, unsigned int *r,
			  unsigned int *i)
{
	while (*r < info->nr_rings && *i >= info->rings[*r].nr_shadow) {
		(*r)++;
		*i = 0;
	}
	return *r < info->nr_rings ? &info->rings[*r].shadow[*i] : NULL;
}

/*
 * End the grants of a shadow entry's indirect pages (persistent grants or
 * per-request ones): a page the backend still holds goes to the grant
 * layer's deferred list and is never reused here. Caller holds info->lock.
 * Return: false if the backend still held one of them.
 */
static bool pvio_blkfront_end_ind(struct pvio_blkfront *info,
				  struct pvio_blkfront_shadow *s)
{
	bool ok = true;
	unsigned int i;

	for (i = 0; i < s->nr_ind; i++) {
		if (pvio_gnttab_end_foreign_access_ref(info->d,
						       s->ind_gref[i])) {
			pvio_gnttab_free_grant_reference(info->d,
							 s->ind_gref[i]);
			continue;
		}
		pvio_gnttab_end_foreign_access(info->d, s->ind_gref[i],
					       s->ind_page[i]);
		s->ind_page[i] = NULL;
		ok = false;
	}
	s->nr_ind = 0;
	return ok;
}

/*
 * First half of ending a shadow entry's zero-copy grants (its @zc_segs
 * refs claimed from the disk's reservation, the first @nr_segs granted):
 * end each grant; one the backend still holds goes to the grant layer's
 * deferred list without a page (the bio's page is not ours to free) and
 * leaves the reservation. The refs to give back are moved to the front of
 * @gref, their number in @zc_keep. Needs no lock: the IRQ thread runs it
 * after dropping info->lock, on an id nobody else touches (no longer
 * waiting, not yet free), so 256 grant ends per 1 MiB request (each may
 * free a frame the hypervisor evicts) run neither under the disk's lock
 * with interrupts off nor in hard IRQ.
 * Return: false if the backend still held one of them.
 */
static bool pvio_blkfront_end_zc_grants(struct pvio_blkfront *info,
					struct pvio_blkfront_shadow *s)
{
	unsigned int i, keep = 0, n = min(s->nr_segs, s->zc_segs);
	bool ended[ARRAY_SIZE(s->gref)];	/* zc_segs indexes gref too */
	bool ok = true;

	/* One p2m lock per 64 frames released, not one per page. */
	pvio_gnttab_end_foreign_access_refs(info->d, s->gref, n, ended);
	for (i = 0; i < s->zc_segs; i++) {
		if (i < n && !ended[i]) {
			pvio_gnttab_end_foreign_access(info->d, s->gref[i],
						       NULL);
			ok = false;
			continue;
		}
		s->gref[keep++] = s->gref[i];
	}
	s->zc_keep = keep;
	s->nr_segs = 0;
	return ok;
}

/*
 * Second half: the ended refs go back to the reservation, the indirect
 * pages' grants (persistent or per-request) end. Caller holds info->lock.
 * Return: false if the backend still held an indirect page.
 */
static bool pvio_blkfront_put_zc_refs(struct pvio_blkfront *info,
				      struct pvio_blkfront_shadow *s)
{
	unsigned int i;

	for (i = 0; i < s->zc_keep; i++)
		if (!WARN_ON_ONCE(info->zc_nfree >= info->zc_grants))
			info->zc_refs[info->zc_nfree++] = s->gref[i];
	s->zc_keep = 0;
	/* Claimed again by the next zero-copy request of this id. */
	info->zc_inflight -= s->zc_segs;
	s->zc_segs = 0;
	return pvio_blkfront_end_ind(info, s);
}

/*
 * End the zero-copy grants of a shadow entry, both halves at once: each
 * ref goes back to the reservation but one the backend still holds.
 * Caller holds info->lock.
 * Return: false if the backend still held one of them.
 */
static bool pvio_blkfront_end_zc(struct pvio_blkfront *info,
				 struct pvio_blkfront_shadow *s)
{
	bool ok = pvio_blkfront_end_zc_grants(info, s);

	return pvio_blkfront_put_zc_refs(info, s) && ok;
}

/**
 * pvio_blkfront_zc_pool_alloc() - reserve the refs of zero-copy grants
 * @info: the disk, not connected
 * @count: refs to reserve (pvio_blkfront_zc_grants()), 1 to 65535
 *
 * @count refs from the domain's free pool, as Linux's xen-blkfront reserves
 * its grant refs with gnttab_alloc_grant_references() (the table may grow
 * here, in process context, never in queue_rq), taken off the chain at
 * once onto the disk's own stack, so that queue_rq and the completion take
 * and give back each ref under the disk's lock only. Kept while the disk
 * stays connected; idempotent.
 *
 * Context: process context.
 * Return: 0, -EINVAL for a @count of 0 or above 65535, -ENOMEM, or
 * -ENOSPC/-ENODEV from pvio-grant.
 */
int pvio_blkfront_zc_pool_alloc(struct pvio_blkfront *info,
				unsigned int count)
{
	grant_ref_t head;
	grant_ref_t *refs;
	unsigned int i;
	int err, ref;

	if (info->zc_pool)
		return 0;
	if (!count || count > U16_MAX)
		return -EINVAL;
	refs = kvmalloc_array(count, sizeof(*refs), GFP_KERNEL);
	if (!refs)
		return -ENOMEM;
	err = pvio_gnttab_alloc_grant_references(info->d, count, &head);
	if (err) {
		kvfree(refs);
		return err;
	}
	for (i = 0; i < count; i++) {
		ref = pvio_gnttab_claim_grant_reference(info->d, &head);
		if (WARN_ON_ONCE(ref < 0))
			break;
		refs[i] = ref;
	}
	spin_lock_irq(&info->lock);
	info->zc_refs = refs;
	info->zc_grants = i;
	info->zc_nfree = i;
	info->zc_pool = true;
	spin_unlock_irq(&info->lock);
	return 0;
}

/**
 * pvio_blkfront_zc_pool_free() - give the zero-copy refs back
 * @info: the disk, no request in flight (pvio_blkfront_fail_all() done)
 *
 * The refs on the stack go back to the domain's free pool; a ref whose
 * grant the backend still held left the reservation for the grant layer's
 * deferred list when its request ended.
 *
 * Context: process context.
 */
void pvio_blkfront_zc_pool_free(struct pvio_blkfront *info)
{
	grant_ref_t head = PVIO_GNTTAB_LIST_END;
	grant_ref_t *refs;
	unsigned int i, n;

	spin_lock_irq(&info->lock);
	if (!info->zc_pool) {
		spin_unlock_irq(&info->lock);
		return;
	}
	refs = info->zc_refs;
	n = info->zc_nfree;
	info->zc_refs = NULL;
	info->zc_grants = 0;
	info->zc_nfree = 0;
	info->zc_pool = false;
	info->zero_copy = false;
	spin_unlock_irq(&info->lock);
	for (i = 0; i < n; i++)
		pvio_gnttab_release_grant_reference(info->d, &head, refs[i]);
	if (n)
		pvio_gnttab_free_grant_references(info->d, head);
	kvfree(refs);
}

/*
 * End the grants of a shadow entry. A page whose grant the backend still
 * holds goes to the grant layer's deferred list and is never reused here;
 * a zero-copy grant (of a bio's page, not ours to free) goes there without
 * its page: the grant layer ends it once the backend lets go.
 * Return: false if the backend still held one of them.
 */
static bool pvio_blkfront_end_grants(struct pvio_blkfront *info,
				     struct pvio_blkfront_shadow *s)
{
	bool ok = true;
	unsigned int i;

	if (s->zc_segs)
		return pvio_blkfront_end_zc(info, s);
	for (i = 0; i < s->nr_segs; i++) {
		if (pvio_gnttab_end_foreign_access_ref(info->d, s->gref[i])) {
			pvio_gnttab_free_grant_reference(info->d, s->gref[i]);
			continue;
		}
		pvio_gnttab_end_foreign_access(info->d, s->gref[i],
					       s->page[i]);
		s->page[i] = NULL;
		ok = false;
	}
	if (!pvio_blkfront_end_ind(info, s))
		ok = false;
	s->nr_segs = 0;
	return ok;
}

/**
 * pvio_blkfront_alloc_pages() - allocate every id's bounce pages, zeroed
 * @info: the disk, not connected
 *
 * queue_rq runs under RCU and must not sleep: the pages are allocated
 * here, before the disk connects (XSA-403: zeroed before any grant):
 * info->max_segs bounce pages and, when that is above 11, the indirect
 * pages for each large-request id of every ring, 11 bounce pages for the
 * other ids (pvio_blkfront_big_ids()). Pages already there are kept.
 *
 * Context: process context.
 * Return: 0 or -ENOMEM (what was allocated stays for
 * pvio_blkfront_free_pages()).
 */
int pvio_blkfront_alloc_pages(struct pvio_blkfront *info)
{
	unsigned int nseg, nind, r, i, j;
	struct pvio_blkfront_shadow *s;

	for (r = 0, i = 0; (s = pvio_blkfront_shadow_iter(info, &r, &i)); i++) {
		nseg = pvio_blkfront_id_segs(info, &info->rings[r], i);
		nind = pvio_blkfront_id_ind(info, &info->rings[r], i);
		for (j = 0; j < nseg; j++) {
			if (s->page[j])
				continue;
			s->page[j] = alloc_page(GFP_KERNEL | __GFP_ZERO);
			if (!s->page[j])
				return -ENOMEM;
		}
		for (j = 0; j < nind; j++) {
			if (s->ind_page[j])
				continue;
			s->ind_page[j] = alloc_page(GFP_KERNEL | __GFP_ZERO);
			if (!s->ind_page[j])
				return -ENOMEM;
		}
	}
	return 0;
}

/**
 * pvio_blkfront_free_pages() - free the bounce pages
 * @info: the disk, every grant ended (pvio_blkfront_fail_all())
 *
 * Context: process context.
 */
void pvio_blkfront_free_pages(struct pvio_blkfront *info)
{
	unsigned int r, i, j;
	struct pvio_blkfront_shadow *s;

	for (r = 0, i = 0; (s = pvio_blkfront_shadow_iter(info, &r, &i)); i++) {
		for (j = 0; j < PVIO_BLK_MAX_INDIRECT_SEGS; j++) {
			if (s->page[j])
				__free_page(s->page[j]);
			s->page[j] = NULL;
		}
		for (j = 0; j < PVIO_BLK_MAX_INDIRECT_PAGES; j++) {
			if (s->ind_page[j])
				__free_page(s->ind_page[j]);
			s->ind_page[j] = NULL;
		}
	}
}

/**
 * pvio_blkfront_grant_persistent() - grant every page for good
 * @info: the disk, pages allocated (pvio_blkfront_alloc_pages()), not
 *	connected
 *
 * feature-persistent (xen-blkfront's persistent grants): each id's bounce
 * pages and indirect pages are granted read-write once; requests name
 * these grants and nothing is granted or ended per request. Only pages
 * that hold this disk's data (zeroed when allocated) are ever shared.
 *
 * Context: process context.
 * Return: 0, or the grant error (the grants made so far stay for
 * pvio_blkfront_end_persistent()).
 */
int pvio_blkfront_grant_persistent(struct pvio_blkfront *info)
{
	unsigned int nseg, nind, r, i, j;
	struct pvio_blkfront_shadow *s;
	int ref;

	for (r = 0, i = 0; (s = pvio_blkfront_shadow_iter(info, &r, &i)); i++) {
		nseg = pvio_blkfront_id_segs(info, &info->rings[r], i);
		nind = pvio_blkfront_id_ind(info, &info->rings[r], i);
		for (j = s->nr_pgrants; j < nseg + nind; j++) {
			struct page *page = j < nseg ? s->page[j] :
					    s->ind_page[j - nseg];

			if (!page)
				return -ENOMEM;
			ref = pvio_gnttab_grant_foreign_access(info->d,
							       info->dev->otherend_id,
							       pvio_page_to_gfn(info->d,
										page),
							       false);
			if (ref < 0)
				return ref;
			s->pgref[j] = ref;
			s->nr_pgrants = j + 1;
		}
	}
	return 0;
}

/**
 * pvio_blkfront_grow_grants() - make room for per-request grants
 * @info: the disk, pages allocated, not connected, without persistent
 *	grants
 *
 * Per-request grants are taken in ->queue_rq, inside blk-mq's RCU
 * read-side section, where pvio-grant cannot grow its table; so the table
 * grows here, in process context, to hold a grant for every page of every
 * id at once (a chain of that many refs taken and given back). When the
 * table cannot grow that far, requests wait for refs (BLK_STS_RESOURCE)
 * instead.
 *
 * Context: process context.
 * Return: 0, or -ENOSPC when the table's maximum is smaller than needed.
 */
int pvio_blkfront_grow_grants(struct pvio_blkfront *info)
{
	unsigned int need = 0, r, i;
	grant_ref_t head;
	int err;

	for (r = 0, i = 0; pvio_blkfront_shadow_iter(info, &r, &i); i++)
		need += pvio_blkfront_id_segs(info, &info->rings[r], i) +
			pvio_blkfront_id_ind(info, &info->rings[r], i);
	need = min_t(unsigned int, need, U16_MAX);
	if (!need)
		return 0;
	err = pvio_gnttab_alloc_grant_references(info->d, need, &head);
	if (!err)
		pvio_gnttab_free_grant_references(info->d, head);
	return err;
}

/**
 * pvio_blkfront_end_persistent() - end the persistent grants
 * @info: the disk, no request in flight (pvio_blkfront_fail_all() done)
 *
 * A page the backend still maps goes to the grant layer's deferred list
 * (freed when the backend lets go) and is not freed here.
 *
 * Context: process context.
 */
void pvio_blkfront_end_persistent(struct pvio_blkfront *info)
{
	unsigned int r, i, j;
	struct pvio_blkfront_shadow *s;

	for (r = 0, i = 0; (s = pvio_blkfront_shadow_iter(info, &r, &i)); i++) {
		/* pgref[] follows the layout of the grant loop above. */
		unsigned int nseg = pvio_blkfront_id_segs(info,
							  &info->rings[r], i);

		for (j = 0; j < s->nr_pgrants; j++) {
			struct page **pp = j < nseg ? &s->page[j] :
					   &s->ind_page[j - nseg];

			if (pvio_gnttab_end_foreign_access_ref(info->d,
							       s->pgref[j])) {
				pvio_gnttab_free_grant_reference(info->d,
								 s->pgref[j]);
				continue;
			}
			pvio_gnttab_end_foreign_access(info->d, s->pgref[j],
						       *pp);
			*pp = NULL;
		}
		s->nr_pgrants = 0;
	}
	info->persistent = false;
}

/* Copy a request's data between its bios and the bounce pages. */
static void pvio_blkfront_copy(struct pvio_blkfront *info, struct request *rq,
			       struct pvio_blkfront_shadow *s, bool to_pages)
{
	struct req_iterator iter;
	struct bio_vec bv;
	size_t off = 0;

	rq_for_each_segment(bv, rq, iter) {
		size_t done = 0;

		while (done < bv.bv_len) {
			unsigned int seg = off / PVIO_BLK_PAGE_SIZE;
			unsigned int soff = off % PVIO_BLK_PAGE_SIZE;
			size_t n = min_t(size_t, bv.bv_len - done,
					 PVIO_BLK_PAGE_SIZE - soff);
			void *p = page_address(s->page[seg]) + soff;

			if (to_pages)
				memcpy_from_page(p, bv.bv_page,
						 bv.bv_offset + done, n);
			else
				memcpy_to_page(bv.bv_page, bv.bv_offset + done,
					       p, n);
			done += n;
			off += n;
		}
	}
	atomic_long_add(off, &info->copied);
}

/* Put the disk into the error state; caller holds info->lock. */
static void pvio_blkfront_broken(struct pvio_blkfront *info, const char *why)
{
	if (info->state == PVIO_BLKFRONT_BROKEN)
		return;
	info->state = PVIO_BLKFRONT_BROKEN;
	dev_err(&info->dev->dev, "backend misbehaved (%s): disk in error state\n",
		why);
	schedule_work(&info->fatal_work);
}

/**
 * pvio_blkfront_fail_all() - fail every request waiting for a response
 * @info: the disk, with no response processing any more (error state or
 *	IRQ unbound)
 *
 * Ends the grants (deferring pages the backend still maps) and completes
 * each request with BLK_STS_IOERR.
 *
 * Context: any; takes info->lock.
 */
void pvio_blkfront_fail_all(struct pvio_blkfront *info)
{
	struct pvio_blkfront_shadow *s;
	struct request *rq, *tmp;
	unsigned int r, i, n = 0;
	unsigned long flags;
	LIST_HEAD(rqs);

	spin_lock_irqsave(&info->lock, flags);
	for (r = 0, i = 0; (s = pvio_blkfront_shadow_iter(info, &r, &i)); i++) {
		if (!s->waiting)
			continue;
		pvio_blkfront_end_grants(info, s);
		list_add_tail(&s->rq->queuelist, &rqs);
		n++;
		pvio_blkfront_put_id(&info->rings[r], i);
		info->rings[r].inflight--;
	}
	spin_unlock_irqrestore(&info->lock, flags);
	list_for_each_entry_safe(rq, tmp, &rqs, queuelist) {
		list_del_init(&rq->queuelist);
		blk_mq_end_request(rq, BLK_STS_IOERR);
	}
	wake_up(&info->drain);
	if (n && info->gd)
		blk_mq_start_stopped_hw_queues(info->gd->queue, true);
}

/*
 * Take the bios back from a request so they can be submitted again (to a
 * new ring, or split to new limits), and complete the emptied request, as
 * Linux's blkfront_resume() does with blk_steal_bios(). A request without
 * bios (flush, discard) or a FUA write is kept whole for a requeue.
 * Caller holds info->lock.
 */
static bool pvio_blkfront_has_bios(struct request *rq)
{
	return (req_op(rq) == REQ_OP_READ || req_op(rq) == REQ_OP_WRITE) &&
	       !(rq->cmd_flags & REQ_FUA) && rq->bio;
}

static bool pvio_blkfront_take_bios(struct pvio_blkfront *info,
				    struct request *rq)
{
	if (!pvio_blkfront_has_bios(rq)) {
		list_add_tail(&rq->queuelist, &info->held_rqs);
		return false;
	}
	blk_steal_bios(&info->held_bios, rq);
	return true;
}

/**
 * pvio_blkfront_hold_inflight() - take back every request the old ring held
 * @info: the disk, SUSPENDED, its blk-mq queue quiesced and its port
 *	unbound (no response is processed any more)
 *
 * The backend went away without answering these (Linux's
 * blkfront_resume() and blkif_recover()): each request's grants are ended
 * (a page the old backend still maps goes to the grant layer's deferred
 * list), its id is freed, and its bios wait in @info->held_bios (or the
 * whole request in @info->held_rqs) until a backend connects again.
 *
 * Context: process context; takes info->lock.
 * Return: the number of requests held.
 */
unsigned int pvio_blkfront_hold_inflight(struct pvio_blkfront *info)
{
	struct pvio_blkfront_shadow *s;
	struct request *rq, *tmp;
	unsigned int r, i, n = 0;
	LIST_HEAD(rqs);

	spin_lock_irq(&info->lock);
	for (r = 0, i = 0; (s = pvio_blkfront_shadow_iter(info, &r, &i)); i++) {
		if (!s->waiting)
			continue;
		pvio_blkfront_end_grants(info, s);
		if (pvio_blkfront_take_bios(info, s->rq))
			list_add_tail(&s->rq->queuelist, &rqs);
		pvio_blkfront_put_id(&info->rings[r], i);
		info->rings[r].inflight--;
		n++;
	}
	spin_unlock_irq(&info->lock);
	/* Emptied: completing them ends nothing of the bios. */
	list_for_each_entry_safe(rq, tmp, &rqs, queuelist) {
		list_del_init(&rq->queuelist);
		blk_mq_end_request(rq, BLK_STS_OK);
	}
	wake_up(&info->drain);
	return n;
}

/**
 * pvio_blkfront_resubmit() - submit the held bios again
 * @work: &pvio_blkfront.resubmit_work
 *
 * submit_bio() splits each bio to the queue's current limits, so a bio of
 * a request that no longer fits the new backend (fewer segments) reaches
 * it in pieces that do.
 *
 * Context: process context (system workqueue).
 */
void pvio_blkfront_resubmit(struct work_struct *work)
{
	struct pvio_blkfront *info = container_of(work, struct pvio_blkfront,
						  resubmit_work);
	struct bio_list bios;
	struct bio *bio;

	spin_lock_irq(&info->lock);
	bios = info->held_bios;
	bio_list_init(&info->held_bios);
	spin_unlock_irq(&info->lock);
	while ((bio = bio_list_pop(&bios)))
		submit_bio(bio);
}

/* Responses completed per hold of the lock (their requests on the stack). */
#define PVIO_BLKFRONT_RSP_BATCH	PVIO_BLK_RING_SIZE

/*
 * Who reaps a ring (pvio_blkfront_reap()):
 * HARDIRQ: the port's interrupt: one batch at most, and never a zero-copy
 *	response (ending its grants is per page: up to 256 grant ends, each
 *	of which may free a frame the hypervisor evicts from its idle list);
 *	whatever it leaves goes to the IRQ thread;
 * THREAD: the port's IRQ thread: batch after batch, with cond_resched()
 *	between them, until the ring is empty and rsp_event re-armed;
 * POLL: blk-mq's ->poll on a poll ring: until the ring is empty, without
 *	moving rsp_event (its backend sends no event).
 */
enum pvio_blkfront_reaper {
	PVIO_BLKFRONT_REAP_HARDIRQ,
	PVIO_BLKFRONT_REAP_THREAD,
	PVIO_BLKFRONT_REAP_POLL,
};

/*
 * One batch of ring @idx's responses (Linux's blkif_interrupt() body): at
 * most PVIO_BLKFRONT_RSP_BATCH, each copied out of the ring before it is
 * checked, taken under one hold of the disk's lock and completed after
 * it. An interrupt-driven ring re-arms rsp_event
 * (RING_FINAL_CHECK_FOR_RESPONSES) once it has taken every response it
 * saw; a poll ring never does. The ring is looked up under the lock each
 * time (->poll runs unsynchronised with a reconnect). @eoi loses
 * PVIO_EOI_FLAG_SPURIOUS when a response is taken. *@more: responses are
 * left that this batch did not take (it was full, or it is @who HARDIRQ
 * and the next one is zero-copy, left in the ring unconsumed); false: the
 * ring was empty (and, interrupt-driven, re-armed).
 * Return: responses completed, -ENODEV when the disk takes none (not
 * connected), -EIO when it broke (its I/O failed, no EOI).
 */
static int pvio_blkfront_reap_batch(struct pvio_blkfront *info,
				    unsigned int idx,
				    enum pvio_blkfront_reaper who,
				    unsigned int *eoi, bool *more)
{
	bool from_poll = who == PVIO_BLKFRONT_REAP_POLL;
	struct request *rqs[PVIO_BLKFRONT_RSP_BATCH];
	blk_status_t sts[PVIO_BLKFRONT_RSP_BATCH];
	/* zero-copy responses whose grants end after the unlock */
	u16 zc_id[PVIO_BLKFRONT_RSP_BATCH], zc_rq[PVIO_BLKFRONT_RSP_BATCH];
	struct pvio_blkfront_ring *rinfo;
	unsigned int n = 0, nzc = 0, i;
	struct blkif_response rsp;
	unsigned long flags;
	bool broken;
	int avail, id;

	*more = false;
	spin_lock_irqsave(&info->lock, flags);
	if ((info->state != PVIO_BLKFRONT_CONNECTED &&
	     info->state != PVIO_BLKFRONT_CLOSING) || !info->nr_rings) {
		broken = info->state == PVIO_BLKFRONT_BROKEN;
		spin_unlock_irqrestore(&info->lock, flags);
		return broken ? -EIO : -ENODEV;
	}
	rinfo = &info->rings[idx % info->nr_rings];
	avail = PVIO_RING_RESPONSES_AVAIL(&rinfo->ring);
	for (;;) {
		if (avail < 0) {
			pvio_blkfront_broken(info, "impossible rsp_prod");
			break;
		}
		while (avail > 0 && n < PVIO_BLKFRONT_RSP_BATCH) {
			struct pvio_blkfront_shadow *s;
			blk_status_t st;

			PVIO_RING_COPY_RESPONSE(&rinfo->ring,
						rinfo->ring.rsp_cons, &rsp);
			id = pvio_blkfront_check_rsp(&rsp, rinfo->shadow,
						     rinfo->nr_shadow);
			if (id < 0) {
				pvio_blkfront_broken(info,
						     "bad response id or op");
				break;
			}
			s = &rinfo->shadow[id];
			/*
			 * Not in hard IRQ: left in the ring for the IRQ
			 * thread, which copies it out and checks it again.
			 */
			if (s->zc_segs && who == PVIO_BLKFRONT_REAP_HARDIRQ)
				break;
			avail--;
			rinfo->ring.rsp_cons++;
			*eoi = 0;
			st = pvio_blkfront_rsp_status(rsp.status);
			if (st == BLK_STS_NOTSUPP)
				dev_warn_ratelimited(&info->dev->dev,
						     "op %u not supported by the backend\n",
						     s->op);
			/*
			 * The IRQ thread's zero-copy grants end after the
			 * unlock: the id is no longer waiting (so fail_all()
			 * leaves it alone) and is freed after. Its ring
			 * cannot go meanwhile: teardown unbinds the IRQ
			 * first, and free_irq() waits for the thread. A
			 * poll ring's ->poll is not synchronised with a
			 * reconnect: its grants end here.
			 */
			if (s->zc_segs && !from_poll) {
				s->waiting = false;
				zc_id[nzc] = id;
				zc_rq[nzc++] = n;
				rqs[n] = s->rq;
				sts[n++] = st;
				continue;
			}
			if (!pvio_blkfront_end_grants(info, s)) {
				pvio_blkfront_broken(info,
						     "grant still in use after response");
				st = BLK_STS_IOERR;
			}
			if (st == BLK_STS_OK && s->op == BLKIF_OP_READ &&
			    !s->zc)
				pvio_blkfront_copy(info, s->rq, s, false);
			rqs[n] = s->rq;
			sts[n++] = st;
			pvio_blkfront_put_id(rinfo, id);
			rinfo->inflight--;
			if (from_poll)
				rinfo->polled++;
		}
		if (info->state == PVIO_BLKFRONT_BROKEN)
			break;
		if (avail > 0) {
			/* A full batch, or a zero-copy one in hard IRQ. */
			*more = true;
			if (who == PVIO_BLKFRONT_REAP_HARDIRQ)
				rinfo->irq_threaded++;
			break;
		}
		/* A poll ring asks for no event: ->poll comes back. */
		avail = rinfo->poll ? PVIO_RING_RESPONSES_AVAIL(&rinfo->ring) :
			PVIO_RING_FINAL_CHECK_FOR_RESPONSES(&rinfo->ring);
		if (!avail)
			break;
	}
	broken = info->state == PVIO_BLKFRONT_BROKEN;
	spin_unlock_irqrestore(&info->lock, flags);

	if (nzc) {
		bool ok[PVIO_BLKFRONT_RSP_BATCH];

		/* Only the IRQ thread gets here: it may sleep. */
		for (i = 0; i < nzc; i++) {
			ok[i] = pvio_blkfront_end_zc_grants(info,
							    &rinfo->shadow[zc_id[i]]);
			cond_resched();
		}
		spin_lock_irqsave(&info->lock, flags);
		for (i = 0; i < nzc; i++) {
			struct pvio_blkfront_shadow *s = &rinfo->shadow[zc_id[i]];

			if (!pvio_blkfront_put_zc_refs(info, s) || !ok[i]) {
				pvio_blkfront_broken(info,
						     "grant still in use after response");
				sts[zc_rq[i]] = BLK_STS_IOERR;
			}
			pvio_blkfront_put_id(rinfo, zc_id[i]);
			rinfo->inflight--;
		}
		broken = info->state == PVIO_BLKFRONT_BROKEN;
		spin_unlock_irqrestore(&info->lock, flags);
	}

	for (i = 0; i < n; i++)
		blk_mq_end_request(rqs[i], sts[i]);
	if (broken) {
		*more = false;
		pvio_blkfront_fail_all(info);
		return -EIO;
	}
	return n;
}

/*
 * Complete the responses of ring @idx batch by batch, as @who may (see
 * enum pvio_blkfront_reaper): after each batch the requests waiting for an
 * id or for zero-copy refs may go (the drain waiters are woken, the
 * stopped hardware queues restarted). @eoi and *@more: as
 * pvio_blkfront_reap_batch() leaves them after the last batch; *@more is
 * only ever true after HARDIRQ. Return: responses completed, or
 * -ENODEV / -EIO as pvio_blkfront_reap_batch().
 */
static int pvio_blkfront_reap(struct pvio_blkfront *info, unsigned int idx,
			      enum pvio_blkfront_reaper who, unsigned int *eoi,
			      bool *more)
{
	int n, total = 0;

	for (;;) {
		n = pvio_blkfront_reap_batch(info, idx, who, eoi, more);
		if (n > 0) {
			total += n;
			wake_up(&info->drain);
			if (info->gd)
				blk_mq_start_stopped_hw_queues(info->gd->queue,
							       true);
		}
		if (n < 0 || !*more || who == PVIO_BLKFRONT_REAP_HARDIRQ)
			break;
		if (who == PVIO_BLKFRONT_REAP_THREAD)
			cond_resched();
	}
	return n < 0 ? n : total;
}

/**
 * pvio_blkfront_interrupt() - a ring's event, hard-IRQ half
 * @irq: the ring's Dynamic-irq (bound with late EOI)
 * @data: the ring (&struct pvio_blkfront_ring)
 *
 * Completes at most one batch of the ring's responses
 * (PVIO_BLKFRONT_RSP_BATCH, 32), and no zero-copy one. If responses are
 * left, hands the ring to pvio_blkfront_interrupt_thread() with the port
 * still masked (no EOI here); otherwise the ring was emptied and rsp_event
 * re-armed, and the late EOI follows, spurious only if no response was
 * taken. A QD1 request of up to 11 pages thus completes here, as before,
 * without a thread wake-up. A poll ring's only event (rsp_event starts at
 * 1) is EOIed at once: its responses are its poller's to complete, in
 * task context (a polled bio from the per-CPU cache must not be freed in
 * an interrupt). A disk put into its error state gets no EOI: the port
 * stays masked.
 *
 * Context: hard IRQ, on the CPU the port is bound to; takes the disk's
 * lock.
 * Return: IRQ_WAKE_THREAD when responses are left, IRQ_HANDLED otherwise.
 */
irqreturn_t pvio_blkfront_interrupt(int irq, void *data)
{
	struct pvio_blkfront_ring *rinfo = data;
	unsigned int eoi = PVIO_EOI_FLAG_SPURIOUS;
	bool more;

	if (rinfo->poll) {
		pvio_irq_lateeoi(irq, 0);
		return IRQ_HANDLED;
	}
	if (pvio_blkfront_reap(rinfo->info, rinfo->idx,
			       PVIO_BLKFRONT_REAP_HARDIRQ, &eoi, &more) == -EIO)
		return IRQ_HANDLED;
	if (more) {
		/* Read by the thread before its EOI unmasks the port. */
		rinfo->thread_eoi = eoi;
		return IRQ_WAKE_THREAD;
	}
	pvio_irq_lateeoi(irq, eoi);
	return IRQ_HANDLED;
}

/**
 * pvio_blkfront_interrupt_thread() - a ring's event, the rest of it
 * @irq: the ring's Dynamic-irq
 * @data: the ring (&struct pvio_blkfront_ring)
 *
 * Runs when pvio_blkfront_interrupt() left responses: completes them batch
 * by batch (cond_resched() between batches), zero-copy ones included
 * (their grants end outside the disk's lock), until the ring is empty and
 * rsp_event re-armed; only then the late EOI, so the port stays masked
 * while the thread works and no interrupt runs meanwhile. The EOI is
 * spurious only if neither half took a response. A disk put into its
 * error state gets no EOI.
 *
 * Context: process context (the IRQ's thread, task irq/N-pvio-blk: a
 * task name keeps 15 characters); takes the disk's lock per batch.
 * Return: IRQ_HANDLED.
 */
irqreturn_t pvio_blkfront_interrupt_thread(int irq, void *data)
{
	struct pvio_blkfront_ring *rinfo = data;
	unsigned int eoi = rinfo->thread_eoi;
	bool more;

	if (pvio_blkfront_reap(rinfo->info, rinfo->idx,
			       PVIO_BLKFRONT_REAP_THREAD, &eoi, &more) != -EIO)
		pvio_irq_lateeoi(irq, eoi);
	return IRQ_HANDLED;
}

/*
 * blk-mq's ->poll for an HCTX_TYPE_POLL queue (io_uring's IOPOLL, a
 * polled O_DIRECT read or write): reap its ring's responses without an
 * interrupt, as virtio-blk's virtblk_poll() does.
 */
static int pvio_blkfront_poll(struct blk_mq_hw_ctx *hctx,
			      struct io_comp_batch *iob)
{
	unsigned int eoi = 0;
	bool more;
	int n;

	n = pvio_blkfront_reap(hctx->queue->queuedata, hctx->queue_num,
			       PVIO_BLKFRONT_REAP_POLL, &eoi, &more);
	return max(n, 0);
}

/* Tests: break the next indirect request the way the fault asks. */
static void pvio_blkfront_inject(struct pvio_blkfront *info,
				 struct blkif_request *req,
				 struct blkif_request_segment *segs,
				 unsigned int nseg)
{
	switch (atomic_xchg(&info->inject, PVIO_BLKFRONT_INJECT_NONE)) {
	case PVIO_BLKFRONT_INJECT_IND_NSEG_BIG:
		req->u.indirect.nr_segments = PVIO_BLK_MAX_INDIRECT_SEGS + 1;
		break;
	case PVIO_BLKFRONT_INJECT_IND_NSEG_ZERO:
		req->u.indirect.nr_segments = 0;
		break;
	case PVIO_BLKFRONT_INJECT_IND_BAD_GREF:
		segs[nseg / 2].gref = 0x7ffffff0;	/* never granted */
		break;
	case PVIO_BLKFRONT_INJECT_IND_BAD_SECT:
		segs[nseg - 1].last_sect = PVIO_BLK_PAGE_SIZE >> 9;
		break;
	case PVIO_BLKFRONT_INJECT_IND_BAD_PAGE:
		req->u.indirect.indirect_grefs[0] = 0x7ffffff0;
		break;
	}
}

/*
 * Tests: a hostile frontend names a frame of dom0's in a grant (the first
 * segment of this read or write). The hypervisor must refuse it: @victim
 * is not in this domain's frame space. Its frame number is chosen so that
 * this domain owns no frame of that number either.
 */
static void pvio_blkfront_inject_dom0_frame(struct pvio_blkfront *info,
					    struct blkif_request_segment *seg)
{
	int ref;

	if (atomic_cmpxchg(&info->inject, PVIO_BLKFRONT_INJECT_DOM0_FRAME,
			   PVIO_BLKFRONT_INJECT_NONE) !=
	    PVIO_BLKFRONT_INJECT_DOM0_FRAME || !info->victim || info->victim_ref)
		return;
	ref = pvio_gnttab_grant_foreign_access(info->d, info->dev->otherend_id,
					       page_to_pfn(info->victim),
					       false);
	if (ref < 0)
		return;
	info->victim_ref = ref;
	seg->gref = ref;
}

/**
 * pvio_blkfront_end_victim() - end the grant of dom0's page (tests)
 * @info: the disk
 *
 * Context: process context.
 */
void pvio_blkfront_end_victim(struct pvio_blkfront *info)
{
	if (!info->victim_ref)
		return;
	if (pvio_gnttab_end_foreign_access_ref(info->d, info->victim_ref)) {
		pvio_gnttab_free_grant_reference(info->d, info->victim_ref);
	} else {
		/* Never freed: the hypervisor let the peer map it. */
		pvio_gnttab_end_foreign_access(info->d, info->victim_ref,
					       info->victim);
		info->victim = NULL;
	}
	info->victim_ref = 0;
}

/*
 * The grant a request names for @page: its persistent grant @pgref, or a
 * new grant to @be for this request only (ended at completion).
 * Return: the grant ref, or -ENOSPC/-ENODEV from pvio-grant.
 */
static int pvio_blkfront_grant(struct pvio_blkfront *info, domid_t be,
			       struct page *page, bool readonly,
			       grant_ref_t pgref)
{
	if (info->persistent)
		return pgref;
	return pvio_gnttab_grant_foreign_access(info->d, be,
						pvio_page_to_gfn(info->d, page),
						readonly);
}

/* Where segment @k of a request goes: in the request, or an indirect page. */
static struct blkif_request_segment *
pvio_blkfront_seg(struct pvio_blkfront_shadow *s, struct blkif_request *req,
		  bool indirect, unsigned int k)
{
	struct blkif_request_segment *segs;

	if (!indirect)
		return &req->u.rw.seg[k];
	segs = page_address(s->ind_page[k / PVIO_BLK_SEGS_PER_INDIRECT_PAGE]);
	return &segs[k % PVIO_BLK_SEGS_PER_INDIRECT_PAGE];
}

/* Segments whose pages get their frames under one p2m lock hold. */
#define PVIO_BLKFRONT_ZC_BATCH	16

/*
 * A zero-copy walk over a request's pages (pvio_blkfront_zc_segs()): the
 * last @nb segments counted in @n wait in @page, @off, @len for their
 * frames and grants (pvio_blkfront_zc_flush()).
 */
struct pvio_blkfront_zc {
	struct pvio_blkfront *info;
	struct pvio_blkfront_shadow *s;
	struct blkif_request *req;
	bool indirect;
	bool write;
	unsigned int max;
	unsigned int n;
	unsigned int nb;
	struct page *page[PVIO_BLKFRONT_ZC_BATCH];
	u16 off[PVIO_BLKFRONT_ZC_BATCH];
	u16 len[PVIO_BLKFRONT_ZC_BATCH];
};

/*
 * Grant the waiting segments for this request only, each on the ref
 * claimed for it in queue_rq (@s->gref), and describe them; @s->nr_segs
 * counts the granted ones (ended by the caller's error path). A page
 * without a frame fails the request with -ENOMEM; the frames taken for
 * the segments after it are given back.
 */
static int pvio_blkfront_zc_flush(struct pvio_blkfront_zc *zc)
{
	struct pvio_domain *d = zc->info->d;
	unsigned int first = zc->n - zc->nb, i, k;
	xen_pfn_t gfn[PVIO_BLKFRONT_ZC_BATCH];
	struct blkif_request_segment *seg;
	int err = 0;

	pvio_page_to_gfn_batch(d, zc->page, zc->nb, gfn);
	for (i = 0; i < zc->nb; i++) {
		if (err || gfn[i] == PVIO_GFN_INVALID) {
			err = -ENOMEM;
			pvio_gfn_release(d, gfn[i]);
			continue;
		}
		k = first + i;
		pvio_gnttab_grant_foreign_access_ref(d, zc->s->gref[k],
						     zc->info->dev->otherend_id,
						     gfn[i], zc->write);
		zc->s->nr_segs = k + 1;
		seg = pvio_blkfront_seg(zc->s, zc->req, zc->indirect, k);
		seg->gref = zc->s->gref[k];
		seg->first_sect = zc->off[i] >> 9;
		seg->last_sect = ((zc->off[i] + zc->len[i]) >> 9) - 1;
	}
	zc->nb = 0;
	return err;
}

/* One segment: count it, or queue it for its grant. */
static int pvio_blkfront_zc_emit(struct pvio_blkfront_zc *zc,
				 struct page *page, unsigned int off,
				 unsigned int len)
{
	int err;

	if (zc->n >= zc->max)
		return -E2BIG;
	if (zc->req) {
		if (zc->nb == PVIO_BLKFRONT_ZC_BATCH) {
			err = pvio_blkfront_zc_flush(zc);
			if (err)
				return err;
		}
		zc->page[zc->nb] = page;
		zc->off[zc->nb] = off;
		zc->len[zc->nb] = len;
		zc->nb++;
	}
	zc->n++;
	return 0;
}

/*
 * The segments of a request's own pages (zero-copy): each bio_vec (within
 * one page: the queue's segment boundary) is a segment, or extends the
 * previous one where it continues it in the same page, as blk_rq_map_sg()
 * merges them. With @req NULL they are only counted; otherwise each is
 * granted for this request (read-only for a write) into @s->gref and
 * described in @req or the id's indirect pages.
 * Return: the segments, -EINVAL for data not in whole 512-byte sectors,
 * -E2BIG for more than @max, or a grant error (-ENOSPC, -ENOMEM).
 */
static int pvio_blkfront_zc_segs(struct pvio_blkfront *info,
				 struct pvio_blkfront_shadow *s,
				 struct request *rq, struct blkif_request *req,
				 bool indirect, unsigned int max)
{
	struct pvio_blkfront_zc zc = {
		.info = info, .s = s, .req = req, .indirect = indirect,
		.write = rq_data_dir(rq) == WRITE, .max = max,
	};
	unsigned int off = 0, len = 0;
	struct page *page = NULL;
	struct req_iterator iter;
	struct bio_vec bv;
	int err;

	rq_for_each_segment(bv, rq, iter) {
		if ((bv.bv_offset | bv.bv_len) & 511)
			return -EINVAL;
		if (page == bv.bv_page && off + len == bv.bv_offset) {
			len += bv.bv_len;
			continue;
		}
		if (page) {
			err = pvio_blkfront_zc_emit(&zc, page, off, len);
			if (err)
				return err;
		}
		page = bv.bv_page;
		off = bv.bv_offset;
		len = bv.bv_len;
	}
	if (page) {
		err = pvio_blkfront_zc_emit(&zc, page, off, len);
		if (err)
			return err;
	}
	if (zc.nb) {
		err = pvio_blkfront_zc_flush(&zc);
		if (err)
			return err;
	}
	return zc.n;
}

/*
 * Tests: end the grant of one zero-copy segment before the request is
 * pushed, as a frontend that takes a grant back while the I/O is on its
 * way; the ref stays allocated (and is ended again, harmlessly, with the
 * others at the response).
 */
static void pvio_blkfront_inject_zc_end(struct pvio_blkfront *info,
					struct pvio_blkfront_shadow *s)
{
	if (!s->nr_segs ||
	    atomic_cmpxchg(&info->inject, PVIO_BLKFRONT_INJECT_ZC_END,
			   PVIO_BLKFRONT_INJECT_NONE) !=
	    PVIO_BLKFRONT_INJECT_ZC_END)
		return;
	pvio_gnttab_end_foreign_access_ref(info->d, s->gref[s->nr_segs / 2]);
}

/*
 * A read or write. Bounced: grant the id's bounce pages (persistent
 * grants: named, never granted here), copy a write's data in. Zero-copy
 * (@zc_segs segments, pvio_blkfront_zero_copy()): grant the request's own
 * pages for this request, no copy; with persistent grants always as a
 * BLKIF_OP_INDIRECT request, whose data grants a feature-zero-copy
 * backend never keeps. Up to 11 segments go in the request itself; more
 * (when the backend offered feature-max-indirect-segments) in the id's
 * indirect page(s), granted read-only, as a BLKIF_OP_INDIRECT request
 * (xen-blkfront's blkif_queue_rw_req()).
 */
static blk_status_t pvio_blkfront_prepare_rw(struct pvio_blkfront *info,
					     struct pvio_blkfront_ring *rinfo,
					     unsigned int id,
					     struct request *rq,
					     struct blkif_request *req,
					     unsigned int zc_segs)
{
	struct pvio_blkfront_shadow *s = &rinfo->shadow[id];
	unsigned int id_segs = pvio_blkfront_id_segs(info, rinfo, id);
	bool write = rq_data_dir(rq) == WRITE, zc = zc_segs > 0;
	unsigned int bytes = blk_rq_bytes(rq), nseg, nind = 0, i;
	domid_t be = info->dev->otherend_id;
	int ref;

	nseg = zc ? zc_segs : DIV_ROUND_UP(bytes, PVIO_BLK_PAGE_SIZE);
	/* The queue limits make these impossible; never trust that blindly. */
	if (!nseg || nseg > (zc ? info->max_segs : id_segs) || bytes % 512)
		return BLK_STS_IOERR;
	if (nseg > PVIO_BLK_MAX_SEGS || (zc && info->persistent)) {
		/* Only a plain read or write can be indirect. */
		if (req->operation != BLKIF_OP_READ &&
		    req->operation != BLKIF_OP_WRITE)
			return BLK_STS_IOERR;
		nind = PVIO_BLK_INDIRECT_PAGES(nseg);
	}
	for (i = zc ? nseg : 0; i < nseg + nind; i++) {
		struct page **pp = i < nseg ? &s->page[i] :
				   &s->ind_page[i - nseg];

		if (*pp)
			continue;
		/* Lost to a deferred end-access: replace it (atomic). */
		*pp = alloc_page(GFP_ATOMIC | __GFP_ZERO | __GFP_NOWARN);
		if (!*pp)
			return BLK_STS_RESOURCE;
	}
	s->zc = zc;
	if (zc) {
		if (pvio_blkfront_zc_segs(info, s, rq, req, nind, nseg) !=
		    nseg)
			return BLK_STS_RESOURCE;
		if (unlikely(atomic_read(&info->inject) ==
			     PVIO_BLKFRONT_INJECT_ZC_END))
			pvio_blkfront_inject_zc_end(info, s);
		atomic_long_inc(&info->zc_reqs);
	} else {
		if (write)
			pvio_blkfront_copy(info, rq, s, true);
		atomic_long_inc(&info->bounce_reqs);
	}
	for (i = 0; !zc && i < nseg; i++) {
		unsigned int len = min(bytes - i * PVIO_BLK_PAGE_SIZE,
				       PVIO_BLK_PAGE_SIZE);
		struct blkif_request_segment *seg;

		ref = pvio_blkfront_grant(info, be, s->page[i], write,
					  s->pgref[i]);
		if (ref < 0)
			return BLK_STS_RESOURCE;
		if (!info->persistent) {
			s->gref[i] = ref;
			s->nr_segs = i + 1;
		}
		seg = pvio_blkfront_seg(s, req, nind, i);
		seg->gref = ref;
		seg->first_sect = 0;
		seg->last_sect = (len >> 9) - 1;
	}
	if (unlikely(atomic_read(&info->inject) ==
		     PVIO_BLKFRONT_INJECT_DOM0_FRAME))
		pvio_blkfront_inject_dom0_frame(info,
						pvio_blkfront_seg(s, req, nind,
								  0));
	if (!nind) {
		req->u.rw.nr_segments = nseg;
		req->u.rw.handle = info->vdevice;
		req->u.rw.sector_number = blk_rq_pos(rq);
		return BLK_STS_OK;
	}

	for (i = 0; i < nind; i++) {
		/* The id's persistent grants: its bounce pages', then these. */
		ref = pvio_blkfront_grant(info, be, s->ind_page[i], true,
					  s->pgref[id_segs + i]);
		if (ref < 0)
			return BLK_STS_RESOURCE;
		if (!info->persistent) {
			s->ind_gref[i] = ref;
			s->nr_ind = i + 1;
		}
		req->u.indirect.indirect_grefs[i] = ref;
	}
	req->u.indirect.indirect_op = req->operation;
	req->operation = BLKIF_OP_INDIRECT;
	req->u.indirect.nr_segments = nseg;
	req->u.indirect.handle = info->vdevice;
	req->u.indirect.sector_number = blk_rq_pos(rq);
	if (unlikely(atomic_read(&info->inject)))
		pvio_blkfront_inject(info, req, page_address(s->ind_page[0]),
				     nseg);
	return BLK_STS_OK;
}

/* Publish the queued requests; notify if blkback asked for it. Lock held. */
static void pvio_blkfront_push(struct pvio_blkfront_ring *rinfo)
{
	lockdep_assert_held(&rinfo->info->lock);
	if (PVIO_RING_PUSH_REQUESTS(&rinfo->ring))
		pvio_notify_remote_via_irq(rinfo->irq);
}

/*
 * The ring of a hardware queue: queue N on ring N; when a reconnect gave
 * fewer rings than the disk has hardware queues, the queues fold onto
 * them. Caller holds info->lock, the disk connected (nr_rings > 0).
 */
static struct pvio_blkfront_ring *
pvio_blkfront_hctx_ring(struct pvio_blkfront *info, struct blk_mq_hw_ctx *hctx)
{
	return &info->rings[hctx->queue_num % info->nr_rings];
}

static blk_status_t pvio_blkfront_queue_rq(struct blk_mq_hw_ctx *hctx,
					   const struct blk_mq_queue_data *bd)
{
	struct pvio_blkfront *info = hctx->queue->queuedata;
	struct pvio_blkfront_ring *rinfo;
	struct request *rq = bd->rq;
	struct pvio_blkfront_shadow *s;
	struct blkif_request req, *slot;
	blk_status_t st = BLK_STS_OK;
	unsigned int id, pages, zc_segs;
	unsigned long flags;
	int n;

	blk_mq_start_request(rq);
	pages = DIV_ROUND_UP(blk_rq_bytes(rq), PVIO_BLK_PAGE_SIZE);
	spin_lock_irqsave(&info->lock, flags);
	if (info->state == PVIO_BLKFRONT_SUSPENDED) {
		spin_unlock_irqrestore(&info->lock, flags);
		return BLK_STS_RESOURCE;	/* held until reconnect */
	}
	if (info->state != PVIO_BLKFRONT_CONNECTED) {
		spin_unlock_irqrestore(&info->lock, flags);
		return BLK_STS_IOERR;
	}
	/*
	 * Built for a backend that took more segments than this one: send
	 * its bios again, split to the new limits (never a malformed
	 * request).
	 */
	if (pvio_blkfront_has_bios(rq) &&
	    DIV_ROUND_UP(blk_rq_bytes(rq), PVIO_BLK_PAGE_SIZE) >
	    info->max_segs) {
		blk_steal_bios(&info->held_bios, rq);
		spin_unlock_irqrestore(&info->lock, flags);
		blk_mq_end_request(rq, BLK_STS_OK);
		schedule_work(&info->resubmit_work);
		return BLK_STS_OK;
	}
	/*
	 * Zero-copy (pvio_blkfront_zero_copy()): the request's own pages,
	 * counted as segments here (no grant yet); data not in whole sectors
	 * is bounced when it fits an id's bounce pages.
	 */
	zc_segs = 0;
	if ((req_op(rq) == REQ_OP_READ || req_op(rq) == REQ_OP_WRITE) &&
	    info->zero_copy &&
	    pvio_blkfront_zero_copy(blk_rq_bytes(rq), pages, info->zc_threshold,
				    min(info->max_segs, PVIO_BLK_MAX_SEGS))) {
		n = pvio_blkfront_zc_segs(info, NULL, rq, NULL, false,
					  info->max_segs);
		if (n > 0)
			zc_segs = n;
		else if (pages > PVIO_BLK_MAX_SEGS)
			zc_segs = info->max_segs + 1;	/* refused below */
	}
	rinfo = pvio_blkfront_hctx_ring(info, hctx);
	/* The disk's reservation holds them, or a response gives some back. */
	if (zc_segs && info->zc_inflight &&
	    min(zc_segs, info->max_segs) > info->zc_nfree) {
		id = rinfo->nr_shadow;
		info->zc_waits++;
	} else {
		id = pvio_blkfront_get_id(rinfo, (req_op(rq) == REQ_OP_READ ||
						  req_op(rq) == REQ_OP_WRITE) &&
					  !zc_segs && pages > PVIO_BLK_MAX_SEGS);
		if (id >= rinfo->nr_shadow)
			info->id_waits++;
	}
	if (id >= rinfo->nr_shadow) {
		/* A response frees an id or zero-copy grants: restarted. */
		blk_mq_stop_hw_queue(hctx);
		spin_unlock_irqrestore(&info->lock, flags);
		return BLK_STS_DEV_RESOURCE;
	}
	s = &rinfo->shadow[id];
	s->zc = false;
	s->nr_segs = 0;
	s->zc_segs = 0;
	/* The refs of its grants, from the disk's reservation. */
	while (s->zc_segs < min(zc_segs, info->max_segs) && info->zc_nfree)
		s->gref[s->zc_segs++] = info->zc_refs[--info->zc_nfree];
	info->zc_inflight += s->zc_segs;
	if (info->zc_inflight > info->zc_inflight_max)
		info->zc_inflight_max = info->zc_inflight;
	if (s->zc_segs != min(zc_segs, info->max_segs)) {
		/* Impossible within the budget; never trust that blindly. */
		pvio_blkfront_end_zc(info, s);
		pvio_blkfront_put_id(rinfo, id);
		spin_unlock_irqrestore(&info->lock, flags);
		/* What it gave back may be what a stopped queue waits for. */
		blk_mq_start_stopped_hw_queues(rq->q, true);
		return BLK_STS_RESOURCE;
	}
	spin_unlock_irqrestore(&info->lock, flags);

	/* The id is ours: build the request privately, zeroed (XSA-216). */
	memset(&req, 0, sizeof(req));
	req.u.rw.id = id;
	switch (req_op(rq)) {
	case REQ_OP_FLUSH:
		if (!info->flush_op) {
			st = BLK_STS_NOTSUPP;
			break;
		}
		req.operation = info->flush_op;
		req.u.rw.handle = info->vdevice;
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_SECURE_ERASE:
		if (!info->discard) {
			st = BLK_STS_NOTSUPP;
			break;
		}
		req.operation = BLKIF_OP_DISCARD;
		req.u.discard.flag = req_op(rq) == REQ_OP_SECURE_ERASE ?
				     BLKIF_DISCARD_SECURE : 0;
		req.u.discard.sector_number = blk_rq_pos(rq);
		req.u.discard.nr_sectors = blk_rq_sectors(rq);
		break;
	case REQ_OP_READ:
		req.operation = BLKIF_OP_READ;
		st = pvio_blkfront_prepare_rw(info, rinfo, id, rq, &req,
					      zc_segs);
		break;
	case REQ_OP_WRITE:
		req.operation = (rq->cmd_flags & REQ_FUA) && info->fua ?
				BLKIF_OP_WRITE_BARRIER : BLKIF_OP_WRITE;
		st = pvio_blkfront_prepare_rw(info, rinfo, id, rq, &req,
					      zc_segs);
		break;
	default:
		st = BLK_STS_NOTSUPP;
		break;
	}

	spin_lock_irqsave(&info->lock, flags);
	if (st == BLK_STS_OK && info->state == PVIO_BLKFRONT_SUSPENDED)
		st = BLK_STS_RESOURCE;	/* the backend left meanwhile */
	else if (st == BLK_STS_OK && info->state != PVIO_BLKFRONT_CONNECTED)
		st = BLK_STS_IOERR;
	if (st == BLK_STS_OK) {
		slot = PVIO_RING_NEXT_REQUEST(&rinfo->ring);
		if (WARN_ON_ONCE(!slot))
			st = BLK_STS_IOERR;
	}
	if (st != BLK_STS_OK) {
		pvio_blkfront_end_grants(info, s);
		pvio_blkfront_put_id(rinfo, id);
		spin_unlock_irqrestore(&info->lock, flags);
		/*
		 * Another hardware queue may have stopped for the id or the
		 * zero-copy grants given back here (a response would restart
		 * it, but this request never gets one).
		 */
		blk_mq_start_stopped_hw_queues(rq->q, true);
		return st;	/* BLK_STS_RESOURCE: blk-mq retries later */
	}
	memcpy(slot, &req, sizeof(req));
	s->rq = rq;
	s->op = req.operation == BLKIF_OP_INDIRECT ?
		req.u.indirect.indirect_op : req.operation;
	s->waiting = true;
	rinfo->inflight++;
	/* One push and at most one event per blk-mq batch (Linux: bd->last). */
	if (bd->last)
		pvio_blkfront_push(rinfo);
	spin_unlock_irqrestore(&info->lock, flags);
	return BLK_STS_OK;
}

/*
 * blk-mq stopped a batch before its last request (a busy ring, an error):
 * publish what was queued, as virtio-blk's virtio_commit_rqs().
 */
static void pvio_blkfront_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct pvio_blkfront *info = hctx->queue->queuedata;
	unsigned long flags;

	spin_lock_irqsave(&info->lock, flags);
	if (info->state == PVIO_BLKFRONT_CONNECTED)
		pvio_blkfront_push(pvio_blkfront_hctx_ring(info, hctx));
	spin_unlock_irqrestore(&info->lock, flags);
}

/**
 * pvio_blkfront_inject_req_prod() - publish an impossible req_prod (tests)
 * @info: the disk
 *
 * Fault injection for the hostile-frontend test: req_prod of the first
 * ring jumps twice its RING_SIZE + 1 past what the backend answered, and
 * the backend is notified. The backend must halt this ring; the requests
 * in flight then complete only when the disk is detached (with -EIO).
 *
 * Context: process context.
 */
void pvio_blkfront_inject_req_prod(struct pvio_blkfront *info)
{
	struct pvio_blkfront_ring *rinfo;

	spin_lock_irq(&info->lock);
	rinfo = info->nr_rings ? &info->rings[0] : NULL;
	if (rinfo && rinfo->ring_page && rinfo->irq > 0) {
		WRITE_ONCE(rinfo->ring.sring->req_prod,
			   rinfo->ring.rsp_cons + 2 * rinfo->nr_shadow + 1);
		pvio_notify_remote_via_irq(rinfo->irq);
	}
	spin_unlock_irq(&info->lock);
}

/*
 * blk-mq's map of CPUs to hardware queues: the interrupt-driven queues
 * first (HCTX_TYPE_DEFAULT, reads too), then the poll queues
 * (HCTX_TYPE_POLL), as virtio-blk's virtblk_map_queues().
 */
static void pvio_blkfront_map_queues(struct blk_mq_tag_set *set)
{
	struct pvio_blkfront *info = set->driver_data;
	unsigned int nr[HCTX_MAX_TYPES] = {
		[HCTX_TYPE_DEFAULT] = set->nr_hw_queues - info->tag_poll,
		[HCTX_TYPE_POLL] = info->tag_poll,
	};
	unsigned int i, off = 0;

	for (i = 0; i < set->nr_maps; i++) {
		set->map[i].nr_queues = nr[i];
		set->map[i].queue_offset = off;
		off += nr[i];
		if (nr[i])
			blk_mq_map_queues(&set->map[i]);
	}
}

const struct blk_mq_ops pvio_blkfront_mq_ops = {
	.queue_rq = pvio_blkfront_queue_rq,
	.commit_rqs = pvio_blkfront_commit_rqs,
	.map_queues = pvio_blkfront_map_queues,
	.poll = pvio_blkfront_poll,
};
