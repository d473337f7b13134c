// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-netback guest TX (frontend -> dom0), in NAPI context: copy the
 * requests out, validate them (check.c), grant-copy the first 128 bytes
 * into the linear area and map the remaining slots read-only as page
 * fragments. The frontend's pages stay mapped until the stack releases
 * the skb (ubuf_info zero-copy callback); they are then unmapped in
 * batches and answered. Packets whose fragments do not fit an skb, or
 * when no pending slot is free, are grant-copied whole into our pages.
 *
 * Delivery: every skb enters dom0's stack from the queue's NAPI poll through
 * napi_gro_receive(), flushed when the poll completes, as a NIC driver's
 * (and veth's NAPI mode). GRO never merges an skb holding zero-copy
 * fragments (skb_gro_receive() refuses skb_zcopy()), so a non-GSO packet
 * of at most gro_copy_len bytes is grant-copied whole: a stream of
 * MTU-sized segments (a guest without TSO) then reaches TCP as a few large
 * skbs. GSO packets, already large, stay zero-copy.
 */
#define pr_fmt(fmt) "pvio-netback: " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/tcp.h>
#include <net/tcp.h>
#include <pvio/evtchn.h>
#include "common.h"

/* Packets built per hypercall round. */
#define PVIO_NB_TX_BATCH	16
/* Copy ops per packet, worst case: header and fragments split in two. */
#define PVIO_NB_TX_PKT_OPS	(4 * PVIO_NB_MAX_SLOTS)

static unsigned int gro_copy_len = ETH_FRAME_LEN;
module_param(gro_copy_len, uint, 0644);
MODULE_PARM_DESC(gro_copy_len,
		 "guest TX: non-GSO packets up to this many bytes are grant-copied, so GRO can merge them (0: map every fragment)");

/* xen-netback's rx_drain_timeout_msecs: how long a disconnect waits. */
static unsigned int tx_drain_ms = 10000;
module_param(tx_drain_ms, uint, 0644);
MODULE_PARM_DESC(tx_drain_ms,
		 "disconnect: milliseconds to wait for dom0's stack to release mapped guest TX slots before unmapping them anyway (default 10000)");

/*
 * The most mapped guest TX slots dom0's stack may hold per queue. A held
 * slot's request stays unanswered, so the pending pool (as big as the
 * frontend's 256-slot ring) never runs out before the ring: without a
 * bound below the ring's size, a stack that holds packets (a slow qdisc
 * on a bridge port) would fill the ring and stop the frontend's TX. Past
 * it, packets are copied and answered at once, and guest TX keeps
 * flowing.
 */
static unsigned int tx_hold_max = PVIO_NB_PENDING / 2;
module_param(tx_hold_max, uint, 0644);
MODULE_PARM_DESC(tx_hold_max,
		 "guest TX: most mapped slots dom0's stack may hold per queue before packets are copied instead (1-256, default 128)");

/* Per-packet bookkeeping between building and the hypercall's results. */
struct pvio_nb_txbuild {
	struct sk_buff *skb;
	u16 copy_first, nr_copy;
	u16 map_first, nr_map;
	u16 ids[PVIO_NB_SCAN];
	u32 extra_mask;			/* request index i is an extra slot */
	u32 mapped_mask;		/* request index i is answered later */
	u16 pend[PVIO_NB_MAX_SLOTS];	/* pending idx of each map op */
	u16 frag_off[PVIO_NB_MAX_SLOTS], frag_len[PVIO_NB_MAX_SLOTS];
	u8 nr_reqs;
};

static void pvio_nb_tx_respond(struct pvio_nb_queue *queue, u16 id, s16 status)
{
	struct xen_netif_tx_response *rsp = PVIO_RING_NEXT_RESPONSE(&queue->tx);

	if (WARN_ON_ONCE(!rsp))
		return;
	rsp->id = id;
	rsp->status = status;
}

static void pvio_nb_tx_push(struct pvio_nb_queue *queue)
{
	if (PVIO_RING_PUSH_RESPONSES(&queue->tx))
		pvio_nb_notify(queue, false);
}

/*
 * Zero-copy state orphaned by a drain that timed out (pvio_nb_tx_orphan())
 * and not yet released by dom0's stack: each such skb's completion is this
 * module's code, so the module stays (a module reference while it is live,
 * pvio_nb_tx_wait_orphans() in its exit otherwise).
 */
static atomic_t pvio_nb_zc_orphans = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(pvio_nb_zc_orphans_wq);

/*
 * Drop a reference; the last frees. Called by the queue (process context)
 * and by a completion, which runs it inside rcu_read_lock(): the module
 * reference an orphaned zc held is put there, and free_module()'s
 * synchronize_rcu() then waits for the completion to return.
 */
static void pvio_nb_zc_put(struct pvio_nb_zc *zc)
{
	bool orphaned;

	if (!refcount_dec_and_test(&zc->ref))
		return;
	orphaned = zc->orphaned;
	/* kvfree_rcu(): a vmalloc'd zc may not be vfree'd under a spinlock */
	kvfree_rcu(zc, rcu);
	if (!orphaned)
		return;
	if (atomic_dec_and_test(&pvio_nb_zc_orphans))
		wake_up_all(&pvio_nb_zc_orphans_wq);
	module_put(THIS_MODULE);
}

/*
 * The stack released a zero-copy skb (freed it, or copied its fragments
 * first: skb_copy_ubufs(), @success false). Its slots go to the dealloc
 * list for NAPI to unmap and answer; once the queue gave up waiting
 * (pvio_nb_tx_drain()) they are already unmapped and nothing is left to
 * do but drop the skb's reference.
 */
static void pvio_nb_zerocopy_cb(struct sk_buff *skb, struct ubuf_info *ubuf,
				bool success)
{
	struct pvio_nb_pending *head = container_of(ubuf, struct pvio_nb_pending,
						    ubuf);
	struct pvio_nb_zc *zc = container_of(head - head->idx,
					     struct pvio_nb_zc, pending[0]);
	struct pvio_nb_queue *queue;
	unsigned long flags;
	unsigned int i;

	rcu_read_lock();	/* ends after the last use of this module */
	spin_lock_irqsave(&zc->lock, flags);
	queue = zc->queue;
	if (queue) {
		zc->dealloc[zc->nr_dealloc++] = head->idx;
		for (i = 0; i < head->nr_chain; i++)
			zc->dealloc[zc->nr_dealloc++] = head->chain[i];
		if (success)
			queue->stats.tx_zerocopy_done++;
		else
			queue->stats.tx_zerocopy_copied++;
		/* with IRQs off: raises NET_RX, run below or by ksoftirqd */
		napi_schedule(&queue->napi);
	}
	atomic_dec(&zc->inflight);
	spin_unlock_irqrestore(&zc->lock, flags);
	if (queue && !in_interrupt() && !irqs_disabled()) {
		local_bh_disable();
		local_bh_enable();
	}
	pvio_nb_zc_put(zc);
	rcu_read_unlock();
}

/* Unmap the released slots in one batch, then answer them. */
static void pvio_nb_dealloc(struct pvio_nb_queue *queue)
{
	struct pvio_nb_zc *zc = queue->zc;
	u16 idx[PVIO_NB_PENDING];
	unsigned long flags;
	unsigned int i, n;
	int err;

	spin_lock_irqsave(&zc->lock, flags);
	n = zc->nr_dealloc;
	memcpy(idx, zc->dealloc, n * sizeof(idx[0]));
	zc->nr_dealloc = 0;
	spin_unlock_irqrestore(&zc->lock, flags);
	if (!n)
		return;
	for (i = 0; i < n; i++)
		pvio_gnttab_set_unmap_op(&queue->tx_unmap[i],
					 zc->pending[idx[i]].handle);
	err = pvio_gnttab_unmap_refs(queue->vif->d, queue->tx_unmap, NULL, n);
	if (err)
		netdev_warn_once(queue->vif->dev, "unmapping TX slots: %d\n", err);
	for (i = 0; i < n; i++) {
		struct pvio_nb_pending *p = &zc->pending[idx[i]];

		if (!queue->vif->disabled)
			pvio_nb_tx_respond(queue, p->req_id, XEN_NETIF_RSP_OKAY);
		p->handle = PVIO_GRANT_INVALID_HANDLE;
		p->page = NULL;
		p->nr_chain = 0;
		zc->pending_free[zc->nr_pending_free++] = idx[i];
	}
	if (!queue->vif->disabled)
		pvio_nb_tx_push(queue);
}

/* Answer a whole packet at once (dropped, or nothing left mapped). */
static void pvio_nb_tx_answer(struct pvio_nb_queue *queue,
			      const struct pvio_nb_txbuild *b, s16 status)
{
	unsigned int i;

	for (i = 0; i < b->nr_reqs; i++) {
		if (b->extra_mask & BIT(i))
			pvio_nb_tx_respond(queue, 0, XEN_NETIF_RSP_NULL);
		else if (!(b->mapped_mask & BIT(i)))
			pvio_nb_tx_respond(queue, b->ids[i], status);
	}
}

static void pvio_nb_copy_op(struct gnttab_copy *op, struct pvio_nb_queue *queue,
			    const struct xen_netif_tx_request *req,
			    unsigned int src_off, void *dst, unsigned int len)
{
	op->source.u.ref = req->gref;
	op->source.domid = queue->vif->domid;
	op->source.offset = src_off;
	op->dest.u.gmfn = pvio_page_to_gfn(queue->vif->d, virt_to_page(dst));
	op->dest.domid = DOMID_SELF;
	op->dest.offset = offset_in_page(dst);
	op->len = len;
	op->flags = GNTCOPY_source_gref;
	op->status = GNTST_general_error;
}

/*
 * Grant copies of @len bytes at @src_off of @req to @dst, split where
 * @dst crosses a page. Returns the number of ops written.
 */
static unsigned int pvio_nb_copy_ops(struct gnttab_copy *op,
				     struct pvio_nb_queue *queue,
				     const struct xen_netif_tx_request *req,
				     unsigned int src_off, void *dst,
				     unsigned int len)
{
	unsigned int n = 0, c;

	while (len) {
		c = min_t(unsigned int, len,
			  PAGE_SIZE - offset_in_page(dst));
		pvio_nb_copy_op(&op[n++], queue, req, src_off, dst, c);
		src_off += c;
		dst += c;
		len -= c;
	}
	return n;
}

static void pvio_nb_set_gso(struct sk_buff *skb,
			    const struct pvio_nb_txpkt *pkt)
{
	if (pkt->gso.type != XEN_NETIF_EXTRA_TYPE_GSO)
		return;
	skb_shinfo(skb)->gso_size = pkt->gso.u.gso.size;
	skb_shinfo(skb)->gso_type =
		(pkt->gso.u.gso.type == XEN_NETIF_GSO_TYPE_TCPV4 ?
		 SKB_GSO_TCPV4 : SKB_GSO_TCPV6) | SKB_GSO_DODGY;
	skb_shinfo(skb)->gso_segs = 0;
}

enum hrtimer_restart pvio_nb_credit_timer(struct hrtimer *t)
{
	struct pvio_nb_queue *queue = container_of(t, struct pvio_nb_queue,
					       credit_timer);

	WRITE_ONCE(queue->credit_fired, true);
	napi_schedule(&queue->napi);
	return HRTIMER_NORESTART;
}

/*
 * Is guest TX waiting for its credit timer? Then NAPI neither EOIs the
 * event nor re-arms the frontend's notification: the timer schedules it.
 */
static bool pvio_nb_tx_throttled(struct pvio_nb_queue *queue)
{
	return READ_ONCE(queue->credit_armed) && !READ_ONCE(queue->credit_fired);
}

/* A new "rate" from the store (pvio_nb_set_rate()), applied by NAPI. */
static void pvio_nb_rate_apply(struct pvio_nb_queue *queue)
{
	u64 bytes, usec;

	spin_lock_bh(&queue->vif->rate_lock);
	bytes = queue->vif->rate_bytes;
	usec = queue->vif->rate_usec;
	WRITE_ONCE(queue->rate_new, false);
	spin_unlock_bh(&queue->vif->rate_lock);
	pvio_netback_credit_set(&queue->credit, bytes, usec, ktime_get_ns());
	/* unlimited now: do not wait out the old interval */
	if (!bytes && queue->credit_armed &&
	    hrtimer_try_to_cancel(&queue->credit_timer) >= 0) {
		WRITE_ONCE(queue->credit_armed, false);
		WRITE_ONCE(queue->credit_fired, false);
	}
}

/*
 * Credit-based scheduling (xen-netback's tx_credit_exceeded()): take
 * @size bytes of credit, or arm the credit timer and return false.
 */
static bool pvio_nb_tx_credit(struct pvio_nb_queue *queue, unsigned int size)
{
	u64 wake;

	if (READ_ONCE(queue->rate_new))
		pvio_nb_rate_apply(queue);
	if (queue->credit_armed) {
		if (!READ_ONCE(queue->credit_fired))
			return false;
		WRITE_ONCE(queue->credit_armed, false);
		WRITE_ONCE(queue->credit_fired, false);
		pvio_netback_credit_add(&queue->credit);
	}
	/* An unlimited vif reads no clock (HPET in a TCG guest: an MMIO exit). */
	if (!queue->credit.bytes ||
	    pvio_netback_credit_take(&queue->credit, size, ktime_get_ns(),
				     &wake))
		return true;
	WRITE_ONCE(queue->credit_armed, true);
	queue->stats.tx_rate_limited++;
	hrtimer_start(&queue->credit_timer, ns_to_ktime(wake), HRTIMER_MODE_ABS);
	return false;
}

/*
 * Copy the next packet's requests out of the ring and parse them into
 * queue->pkt; consume them and start @b for it (ids, extra slots, the first
 * op of each kind). Returns the slots used, 0 if the ring is empty, or
 * -EPROTO (the queue is disabled).
 */
static int pvio_nb_tx_next(struct pvio_nb_queue *queue, struct pvio_nb_txbuild *b,
			   unsigned int nr_copy, unsigned int nr_map)
{
	struct xen_netif_tx_request reqs[PVIO_NB_SCAN];
	struct pvio_nb_txpkt *pkt = &queue->pkt;
	unsigned int i, n, cons = queue->tx.req_cons;
	int avail, used;

	avail = PVIO_RING_REQUESTS_AVAIL(&queue->tx);
	if (avail < 0) {
		pvio_nb_fatal(queue->vif, "impossible tx req_prod");
		return -EPROTO;
	}
	if (!avail)
		return 0;
	n = min_t(unsigned int, avail, PVIO_NB_SCAN);
	for (i = 0; i < n; i++)
		PVIO_RING_COPY_REQUEST(&queue->tx, cons + i, &reqs[i]);
	used = pvio_netback_tx_parse(reqs, n, pkt);
	if (used < 0) {
		pvio_nb_fatal(queue->vif, "malformed tx packet");
		return -EPROTO;
	}
	/* out of credit: the packet stays on the ring until the timer */
	if (!pvio_nb_tx_credit(queue, reqs[0].size))
		return 0;
	queue->tx.req_cons += used;

	memset(b, 0, offsetof(struct pvio_nb_txbuild, pend));
	b->nr_reqs = used;
	b->extra_mask = pkt->req_is_extra;
	for (i = 0; i < used; i++)
		b->ids[i] = reqs[i].id;
	b->copy_first = nr_copy;
	b->map_first = nr_map;
	return used;
}

/* Grant copies of the packet's first hdr_len bytes into @skb's data. */
static void pvio_nb_tx_copy_header(struct pvio_nb_queue *queue,
				   const struct pvio_nb_txpkt *pkt,
				   struct sk_buff *skb, unsigned int *nr_copy)
{
	unsigned int i, n = 0;

	for (i = 0; i < pkt->nr_copy; i++) {
		const struct pvio_nb_seg *seg = &pkt->copy[i];

		*nr_copy += pvio_nb_copy_ops(&queue->tx_copy[*nr_copy], queue,
					     &pkt->data[seg->slot], seg->offset,
					     skb->data + n, seg->len);
		n += seg->len;
	}
}

/*
 * The map stage: one read-only map op per fragment, each on a pending
 * slot (the caller checked there are enough); the slot's request is
 * answered when the stack releases the skb (@b->mapped_mask).
 */
static void pvio_nb_tx_map_frags(struct pvio_nb_queue *queue,
				 const struct pvio_nb_txpkt *pkt,
				 struct pvio_nb_txbuild *b,
				 unsigned int *nr_map)
{
	struct pvio_nb_zc *zc = queue->zc;
	unsigned int i;

	for (i = 0; i < pkt->nr_frags; i++) {
		const struct pvio_nb_seg *seg = &pkt->frags[i];
		const struct xen_netif_tx_request *req = &pkt->data[seg->slot];
		u16 p = zc->pending_free[--zc->nr_pending_free];

		b->mapped_mask |= BIT(seg->req);
		zc->pending[p].req_id = req->id;
		zc->pending[p].nr_chain = 0;
		pvio_gnttab_set_map_op(&queue->tx_map[*nr_map], GNTMAP_readonly,
				       req->gref, queue->vif->domid);
		b->pend[b->nr_map] = p;
		b->frag_off[b->nr_map] = seg->offset;
		b->frag_len[b->nr_map] = seg->len;
		b->nr_map++;
		(*nr_map)++;
	}
	queue->stats.tx_map_ops += pkt->nr_frags;
}

/*
 * The copy stage: the fragments grant-copied into pages of our own,
 * attached to @skb as they are allocated. Returns 0, or -ENOMEM (the
 * pages attached so far go with the skb; the ops written are abandoned).
 */
static int pvio_nb_tx_copy_frags(struct pvio_nb_queue *queue,
				 const struct pvio_nb_txpkt *pkt,
				 struct sk_buff *skb, unsigned int *nr_copy)
{
	unsigned int left = pkt->len - pkt->hdr_len, f = 0;
	unsigned int poff = PAGE_SIZE;
	struct page *page = NULL;
	unsigned int i;

	for (i = 0; i < pkt->nr_frags; i++) {
		const struct pvio_nb_seg *seg = &pkt->frags[i];
		unsigned int done = 0;

		while (done < seg->len) {
			unsigned int c;

			if (poff == PAGE_SIZE) {
				page = alloc_page(GFP_ATOMIC);
				if (!page) {
					queue->stats.tx_drop_nomem++;
					return -ENOMEM;
				}
				skb_add_rx_frag(skb, f++, page, 0,
						min_t(unsigned int, left,
						      PAGE_SIZE),
						PAGE_SIZE);
				left -= min_t(unsigned int, left, PAGE_SIZE);
				poff = 0;
			}
			c = min_t(unsigned int, seg->len - done,
				  PAGE_SIZE - poff);
			pvio_nb_copy_op(&queue->tx_copy[(*nr_copy)++], queue,
					&pkt->data[seg->slot],
					seg->offset + done,
					page_address(page) + poff, c);
			poff += c;
			done += c;
		}
	}
	return 0;
}

/*
 * Build the next packet's skb and its ops, mapping its fragments if it
 * fits an skb and the stack holds fewer than tx_hold_max slots with them
 * mapped, copying them otherwise.
 * A packet dropped here is answered at once (@b->skb stays NULL).
 * Returns 1 if a packet was consumed, 0 if the ring is empty, or -EPROTO
 * (the queue is disabled).
 */
static int pvio_nb_tx_build(struct pvio_nb_queue *queue,
			    struct pvio_nb_txbuild *b,
			    unsigned int *nr_copy, unsigned int *nr_map)
{
	struct pvio_nb_txpkt *pkt = &queue->pkt;
	unsigned int hold;
	struct sk_buff *skb;
	bool room;
	int used;

	used = pvio_nb_tx_next(queue, b, *nr_copy, *nr_map);
	if (used <= 0)
		return used;

	if (pkt->drop) {
		queue->stats.tx_bad++;
		queue->stats.tx_errors++;
		pvio_nb_tx_answer(queue, b, XEN_NETIF_RSP_ERROR);
		return 1;
	}
	skb = napi_alloc_skb(&queue->napi, PVIO_NB_TX_COPY_LEN);
	if (!skb) {
		queue->stats.tx_drop_nomem++;
		goto drop;
	}
	skb_put(skb, pkt->hdr_len);
	pvio_nb_tx_copy_header(queue, pkt, skb, nr_copy);

	hold = clamp_val(READ_ONCE(tx_hold_max), 1, PVIO_NB_PENDING);
	room = queue->zc->nr_pending_free >= pkt->nr_frags + PVIO_NB_PENDING - hold;
	if (pkt->nr_frags <= MAX_SKB_FRAGS && room &&
	    (pkt->gso.type == XEN_NETIF_EXTRA_TYPE_GSO ||
	     pkt->len > READ_ONCE(gro_copy_len))) {
		pvio_nb_tx_map_frags(queue, pkt, b, nr_map);
	} else if (pkt->nr_frags) {
		/* the stack holds tx_hold_max slots: copy, do not wait */
		if (!room)
			queue->stats.tx_pending_full++;
		queue->stats.tx_frag_copy++;
		if (pvio_nb_tx_copy_frags(queue, pkt, skb, nr_copy))
			goto free;
	}
	b->nr_copy = *nr_copy - b->copy_first;
	queue->stats.tx_copy_ops += b->nr_copy;

	if (pkt->flags & XEN_NETTXF_csum_blank)
		skb->ip_summed = CHECKSUM_PARTIAL;
	else if (pkt->flags & XEN_NETTXF_data_validated)
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	pvio_nb_set_gso(skb, pkt);
	b->skb = skb;
	return 1;
free:
	/* no pending slot was taken: copy mode */
	kfree_skb(skb);
	*nr_copy = b->copy_first;
drop:
	queue->stats.tx_dropped++;
	pvio_nb_tx_answer(queue, b, XEN_NETIF_RSP_DROPPED);
	return 1;
}

static int pvio_nb_checksum_setup(struct sk_buff *skb)
{
	bool recalc = false;

	if (skb->ip_summed != CHECKSUM_PARTIAL && skb_is_gso(skb)) {
		recalc = true;
		skb->ip_summed = CHECKSUM_PARTIAL;
	}
	if (skb->ip_summed != CHECKSUM_PARTIAL)
		return 0;
	return skb_checksum_setup(skb, recalc);
}

/* After the hypercall: attach the mapped pages, hand the skb up. */
static void pvio_nb_tx_finish(struct pvio_nb_queue *queue,
			      struct pvio_nb_txbuild *b)
{
	struct sk_buff *skb = b->skb;
	struct pvio_nb_pending *head = NULL;
	bool failed = false;
	unsigned int i;

	for (i = 0; i < b->nr_copy; i++)
		if (queue->tx_copy[b->copy_first + i].status != GNTST_okay)
			failed = true;
	for (i = 0; i < b->nr_map; i++) {
		struct gnttab_map_grant_ref *op = &queue->tx_map[b->map_first + i];
		struct pvio_nb_pending *p = &queue->zc->pending[b->pend[i]];
		struct page *page = op->status == GNTST_okay ?
				    pvio_gnttab_map_op_page(queue->vif->d, op) : NULL;

		if (!page) {
			/* never mapped: answer it now, slot back */
			failed = true;
			pvio_nb_tx_respond(queue, p->req_id, XEN_NETIF_RSP_ERROR);
			queue->zc->pending_free[queue->zc->nr_pending_free++] =
				b->pend[i];
			continue;
		}
		p->handle = op->handle;
		p->page = page;
		get_page(page);	/* the skb's frag reference */
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page,
				b->frag_off[i], b->frag_len[i], PAGE_SIZE);
		if (!head)
			head = p;
		else
			head->chain[head->nr_chain++] = b->pend[i];
	}
	/* answer the copied slots (and the extras) now */
	pvio_nb_tx_answer(queue, b, failed ? XEN_NETIF_RSP_ERROR :
			  XEN_NETIF_RSP_OKAY);
	if (head) {
		/* the skb's reference on this connect's slots */
		refcount_inc(&queue->zc->ref);
		atomic_inc(&queue->zc->inflight);
		skb_zcopy_init(skb, &head->ubuf);
		queue->stats.tx_zerocopy++;
	} else {
		queue->stats.tx_copied++;
	}
	if (failed) {
		queue->stats.tx_errors++;
		kfree_skb(skb);
		return;
	}
	skb->dev = queue->vif->dev;
	skb->protocol = eth_type_trans(skb, queue->vif->dev);
	skb_reset_network_header(skb);
	skb_record_rx_queue(skb, queue->id);
	if (pvio_nb_checksum_setup(skb)) {
		queue->stats.tx_errors++;
		kfree_skb(skb);
		return;
	}
	skb_probe_transport_header(skb);
	if (skb_is_gso(skb)) {
		unsigned int hdrlen = skb_transport_offset(skb) +
				      tcp_hdrlen(skb);

		if (skb->len <= hdrlen) {
			queue->stats.tx_errors++;
			kfree_skb(skb);
			return;
		}
		skb_shinfo(skb)->gso_segs =
			DIV_ROUND_UP(skb->len - hdrlen,
				     skb_shinfo(skb)->gso_size);
		queue->stats.tx_gso++;
	}
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		queue->stats.tx_csum_partial++;
	queue->stats.tx_packets++;
	queue->stats.tx_bytes += skb->len;
	switch (napi_gro_receive(&queue->napi, skb)) {
	case GRO_MERGED:
	case GRO_MERGED_FREE:
		queue->stats.tx_gro_merged++;
		break;
	default:
		break;
	}
}

/* One round: build up to a batch, one multicall, finish. */
static int pvio_nb_tx_round(struct pvio_nb_queue *queue, int budget)
{
	unsigned int nr_copy = 0, nr_map = 0, nb = 0, i;
	int r, done = 0;

	while (nb < PVIO_NB_TX_BATCH && done < budget && !queue->vif->disabled) {
		r = pvio_nb_tx_build(queue, &queue->tx_build[nb], &nr_copy,
				     &nr_map);
		if (r <= 0)
			break;
		done++;
		if (queue->tx_build[nb].skb)
			nb++;
	}
	if (nr_copy || nr_map)
		pvio_gnttab_batch_mixed(queue->vif->d, queue->tx_map, nr_map,
					queue->tx_copy, nr_copy, NULL, 0);
	for (i = 0; i < nb; i++)
		pvio_nb_tx_finish(queue, &queue->tx_build[i]);
	if (!queue->vif->disabled)
		pvio_nb_tx_push(queue);
	return done;
}

/**
 * pvio_nb_poll() - NAPI poll: release dealloc'd slots, then guest TX
 * @napi: the queue's NAPI context
 * @budget: packets we may hand up
 *
 * Return: packets processed.
 */
int pvio_nb_poll(struct napi_struct *napi, int budget)
{
	struct pvio_nb_queue *queue = container_of(napi, struct pvio_nb_queue, napi);
	bool throttled;
	int done = 0, r;

	pvio_nb_dealloc(queue);
	while (done < budget && !queue->vif->disabled) {
		r = pvio_nb_tx_round(queue, budget - done);
		if (!r)
			break;
		done += r;
	}
	/*
	 * Waiting for credit (xen-netback's rate_limited): the event stays
	 * un-EOI'd and the frontend's notification un-armed until the
	 * credit timer schedules NAPI again; an EOI here would let every
	 * notification of the waiting frontend in as a spurious event.
	 */
	throttled = pvio_nb_tx_throttled(queue);
	/*
	 * One port for both directions: unmask after work, so RX events are
	 * not held behind a long poll. A TX port of its own (split event
	 * channels) stays masked until NAPI is idle, as xen-netback's: a
	 * kick let in while this poll consumes the ring finds nothing to do,
	 * and each such spurious event raises the late-EOI back-off (up to a
	 * second per event).
	 */
	if (done && !throttled && queue->rx_irq <= 0)
		pvio_nb_eoi(queue, false);
	if (done < budget && napi_complete_done(napi, done)) {
		r = queue->vif->disabled || throttled ? 0 :
		    PVIO_RING_FINAL_CHECK_FOR_REQUESTS(&queue->tx);
		if (r < 0)
			pvio_nb_fatal(queue->vif, "impossible tx req_prod");
		if (r > 0 || READ_ONCE(queue->zc->nr_dealloc))
			napi_schedule(napi);
		else if (!throttled)
			pvio_nb_eoi(queue, false);
	}
	return done;
}

/**
 * pvio_nb_tx_work() - does guest TX have anything for NAPI?
 * @queue: the queue
 *
 * Return: true if requests or released slots are waiting.
 */
bool pvio_nb_tx_work(struct pvio_nb_queue *queue)
{
	if (queue->vif->disabled || !READ_ONCE(queue->vif->connected))
		return false;
	return READ_ONCE(queue->tx.sring->req_prod) != queue->tx.req_cons ||
	       READ_ONCE(queue->zc->nr_dealloc);
}

/*
 * Give up waiting: the skbs still in dom0's stack keep their fragments'
 * pages (each holds a page reference, so the memory stays valid), but
 * their grants are unmapped now, so the frontend's end of access
 * completes and no map outlives the connect. Their completions find the
 * zc orphaned and only drop their reference.
 */
static void pvio_nb_tx_orphan(struct pvio_nb_queue *queue)
{
	struct pvio_nb_zc *zc = queue->zc;
	unsigned int i, n = 0, held;
	int err;

	spin_lock_irq(&zc->lock);
	zc->queue = NULL;
	zc->nr_dealloc = 0;
	held = atomic_read(&zc->inflight);
	/*
	 * The held skbs' completions will run this module's code: keep it
	 * (the queue's own reference still holds zc, so no completion can
	 * free it before the flag is set). During the module's exit no
	 * reference can be taken: pvio_nb_tx_wait_orphans() waits instead.
	 */
	if (held) {
		zc->orphaned = true;
		atomic_inc(&pvio_nb_zc_orphans);
		__module_get(THIS_MODULE);
	}
	spin_unlock_irq(&zc->lock);
	for (i = 0; i < PVIO_NB_PENDING; i++) {
		struct pvio_nb_pending *p = &zc->pending[i];

		if (p->handle == PVIO_GRANT_INVALID_HANDLE)
			continue;
		pvio_gnttab_set_unmap_op(&queue->tx_unmap[n++], p->handle);
		p->handle = PVIO_GRANT_INVALID_HANDLE;
	}
	err = n ? pvio_gnttab_unmap_refs(queue->vif->d, queue->tx_unmap,
					 NULL, n) : 0;
	queue->stats.tx_zerocopy_timeout += held;
	netdev_warn(queue->vif->dev,
		    "%u TX skbs still held by the stack after %u ms: %u slots unmapped (%d)\n",
		    held, READ_ONCE(tx_drain_ms), n, err);
}

/**
 * pvio_nb_tx_drain() - wait for the stack to release every mapped slot
 * @queue: the queue, NAPI disabled, its port unbound
 *
 * Waits up to tx_drain_ms for dom0's stack to free the zero-copy skbs
 * (their slots are unmapped as they come back); past it, the slots of the
 * skbs still held are unmapped anyway (pvio_nb_tx_orphan()). Linux's
 * xen-netback waits for ever (xenvif_wait_unmap_timeout() only logs), so
 * a packet parked in a qdisc or another vif's queue would hang the
 * disconnect; here the frontend's pages stay referenced, never mapped,
 * until the skb goes.
 *
 * Context: process context, sleeps (at most about tx_drain_ms).
 */
void pvio_nb_tx_drain(struct pvio_nb_queue *queue)
{
	unsigned long end = jiffies + msecs_to_jiffies(READ_ONCE(tx_drain_ms));
	struct pvio_nb_zc *zc = queue->zc;

	for (;;) {
		local_bh_disable();
		pvio_nb_dealloc(queue);
		local_bh_enable();
		if (!atomic_read(&zc->inflight) && !READ_ONCE(zc->nr_dealloc))
			break;
		if (time_after(jiffies, end)) {
			pvio_nb_tx_orphan(queue);
			break;
		}
		usleep_range(10000, 20000);
	}
}

/**
 * pvio_nb_tx_wait_orphans() - wait for the orphaned zero-copy TX skbs
 *
 * Description: called by the module's exit once every vif is gone: waits
 * for dom0's stack to release every zero-copy skb whose queue gave up
 * waiting for it (pvio_nb_tx_orphan()). A drain that timed out while the
 * module was live took a module reference, so an unload is refused
 * (-EBUSY) until those skbs go; one that timed out during the exit itself
 * could not, and this waits for them, as xen-netback's disconnect waits
 * for every mapped skb, logging every 10 s. Their completions return before the module's
 * memory is freed (free_module()'s synchronize_rcu(); pvio_nb_zc_put()).
 *
 * Context: process context; sleeps while dom0's stack holds such a skb.
 */
void pvio_nb_tx_wait_orphans(void)
{
	while (!wait_event_timeout(pvio_nb_zc_orphans_wq,
				   !atomic_read(&pvio_nb_zc_orphans), 10 * HZ))
		pr_warn("unload waits for %d queue(s) of TX skbs still held by the stack\n",
			atomic_read(&pvio_nb_zc_orphans));
}

/**
 * pvio_nb_tx_init() - allocate the guest TX state of a queue
 * @queue: the queue
 *
 * Return: 0 or -ENOMEM.
 */
int pvio_nb_tx_init(struct pvio_nb_queue *queue)
{
	struct pvio_nb_zc *zc;
	unsigned int i;

	queue->tx_copy = kvcalloc(PVIO_NB_TX_BATCH * PVIO_NB_TX_PKT_OPS,
				  sizeof(*queue->tx_copy), GFP_KERNEL);
	queue->tx_map = kvcalloc(PVIO_NB_TX_BATCH * PVIO_NB_MAX_SLOTS,
				 sizeof(*queue->tx_map), GFP_KERNEL);
	queue->tx_unmap = kvcalloc(PVIO_NB_PENDING, sizeof(*queue->tx_unmap),
				   GFP_KERNEL);
	queue->tx_build = kvcalloc(PVIO_NB_TX_BATCH, sizeof(*queue->tx_build),
				   GFP_KERNEL);
	zc = kvzalloc(sizeof(*zc), GFP_KERNEL);
	if (zc)
		refcount_set(&zc->ref, 1);
	queue->zc = zc;
	if (!queue->tx_copy || !queue->tx_map || !queue->tx_unmap ||
	    !queue->tx_build || !zc) {
		pvio_nb_tx_free(queue);
		return -ENOMEM;
	}
	spin_lock_init(&zc->lock);
	zc->queue = queue;
	atomic_set(&zc->inflight, 0);
	/* a fresh interval's credit at each connect, as xen-netback */
	memset(&queue->credit, 0, sizeof(queue->credit));
	queue->credit_armed = false;
	queue->credit_fired = false;
	WRITE_ONCE(queue->rate_new, true);
	zc->nr_pending_free = PVIO_NB_PENDING;
	for (i = 0; i < PVIO_NB_PENDING; i++) {
		struct pvio_nb_pending *p = &zc->pending[i];

		p->idx = i;
		p->ubuf.callback = pvio_nb_zerocopy_cb;
		p->ubuf.flags = SKBFL_ZEROCOPY_FRAG;
		refcount_set(&p->ubuf.refcnt, 1);
		p->handle = PVIO_GRANT_INVALID_HANDLE;
		zc->pending_free[i] = PVIO_NB_PENDING - 1 - i;
	}
	return 0;
}

/**
 * pvio_nb_set_rate() - a new guest TX rate limit for a vif
 * @vif: the vif
 * @bytes: credit_bytes, 0 for unlimited
 * @usec: credit_usec
 *
 * Recorded for every queue's NAPI poll, which applies it before its next
 * packet (and at every connect); each queue has the whole rate, as
 * xen-netback's. NAPI is scheduled so a queue waiting for its credit
 * timer sees an unlimited rate at once.
 *
 * Context: process context (the store's watch thread).
 */
void pvio_nb_set_rate(struct pvio_nb_vif *vif, u64 bytes, u64 usec)
{
	unsigned int i;

	spin_lock_bh(&vif->rate_lock);
	vif->rate_bytes = bytes;
	vif->rate_usec = usec;
	for (i = 0; i < vif->max_queues; i++)
		WRITE_ONCE(vif->queues[i].rate_new, true);
	spin_unlock_bh(&vif->rate_lock);
	if (READ_ONCE(vif->connected)) {
		local_bh_disable();
		for (i = 0; i < READ_ONCE(vif->nr_queues); i++)
			napi_schedule(&vif->queues[i].napi);
		local_bh_enable();
	}
}

/**
 * pvio_nb_tx_free() - free what pvio_nb_tx_init() allocated
 * @queue: the queue, drained
 */
void pvio_nb_tx_free(struct pvio_nb_queue *queue)
{
	hrtimer_cancel(&queue->credit_timer);
	kvfree(queue->tx_copy);
	kvfree(queue->tx_map);
	kvfree(queue->tx_unmap);
	kvfree(queue->tx_build);
	/* skbs still holding slots (orphaned) keep the zc until released */
	if (queue->zc)
		pvio_nb_zc_put(queue->zc);
	queue->zc = NULL;
	queue->tx_copy = NULL;
	queue->tx_map = NULL;
	queue->tx_unmap = NULL;
	queue->tx_build = NULL;
}
