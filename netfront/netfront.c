// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-netfront data path: the eth<N> net_device.
 *
 * TX: every piece of an skb (linear part and fragments, split at 4 KiB)
 * is granted read-only to the backend and described by one request; a
 * GSO skb gets an extra-info slot. The queue stops below 18 + 1 free
 * slots and wakes as responses come back; each response's id is checked.
 * RX: the ring is kept full of page_pool pages (zeroed when new to the
 * pool, XSA-403) granted to the backend; NAPI turns more_data chains into
 * one skb of page fragments.
 * Every grant is ended before its page is reused or freed; a page whose
 * grant cannot be ended is never reused (deferred to pvio-grant).
 */
#define pr_fmt(fmt) "pvio-netfront: " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/rtnetlink.h>
#include <linux/interrupt.h>
#include <linux/error-injection.h>
#include <net/page_pool.h>
#include <net/tcp.h>
#include <pvio/evtchn.h>
#include "netfront.h"

/* Bytes pulled into the linear area of a received skb. */
#define PVIO_NF_RX_PULL		128

/*
 * RX buffers come from a page_pool where the kernel has one
 * (CONFIG_PAGE_POOL, selected by drivers: Debian's kernel has it, the
 * trimmed test kernel does not); otherwise from the page allocator.
 */
#ifdef CONFIG_PAGE_POOL
static int pvio_nf_pool_create(struct pvio_nf_queue *queue)
{
	struct page_pool_params pp = {
		.order = 0,
		.pool_size = PVIO_NF_RING,
		.nid = NUMA_NO_NODE,
	};

	queue->pool = page_pool_create(&pp);
	if (IS_ERR(queue->pool)) {
		int err = PTR_ERR(queue->pool);

		queue->pool = NULL;
		return err;
	}
	return 0;
}

static void pvio_nf_pool_destroy(struct pvio_nf_queue *queue)
{
	if (queue->pool)
		page_pool_destroy(queue->pool);
	queue->pool = NULL;
}

/*
 * XSA-403 as Linux's xennet_alloc_one_rx_buffer(): __GFP_ZERO zeroes pages
 * new to the pool; a recycled page has only held what the backend wrote
 * into it for this domain.
 */
static noinline struct page *pvio_nf_page_alloc(struct pvio_nf_queue *queue)
{
	return page_pool_alloc_pages(queue->pool,
				     GFP_ATOMIC | __GFP_NOWARN | __GFP_ZERO);
}

/* Tests make RX buffers short with fail_function (net scenario). */
ALLOW_ERROR_INJECTION(pvio_nf_page_alloc, NULL);

static void pvio_nf_page_put(struct pvio_nf_queue *queue, struct page *page)
{
	page_pool_put_full_page(queue->pool, page, false);
}

/* The page leaves the pool for good (its grant could not be ended). */
static void pvio_nf_page_unpool(struct pvio_nf_queue *queue, struct page *page)
{
	page_pool_release_page(queue->pool, page);
}

static void pvio_nf_skb_recycle(struct sk_buff *skb)
{
	skb_mark_for_recycle(skb);
}
#else
static int pvio_nf_pool_create(struct pvio_nf_queue *queue)
{
	return 0;
}

static void pvio_nf_pool_destroy(struct pvio_nf_queue *queue)
{
}

static noinline struct page *pvio_nf_page_alloc(struct pvio_nf_queue *queue)
{
	return alloc_page(GFP_ATOMIC | __GFP_NOWARN | __GFP_ZERO);
}

ALLOW_ERROR_INJECTION(pvio_nf_page_alloc, NULL);

static void pvio_nf_page_put(struct pvio_nf_queue *queue, struct page *page)
{
	put_page(page);
}

static void pvio_nf_page_unpool(struct pvio_nf_queue *queue, struct page *page)
{
}

static void pvio_nf_skb_recycle(struct sk_buff *skb)
{
}
#endif

static void pvio_nf_broken(struct pvio_nf *nf, const char *why)
{
	if (nf->broken)
		return;
	WRITE_ONCE(nf->broken, true);
	net_err_ratelimited("%s: backend d%u: %s; device broken\n",
			    nf->dev->name, nf->beid, why);
	netif_carrier_off(nf->dev);
	netif_tx_stop_all_queues(nf->dev);
}

/* The netdev TX queue that feeds @queue's TX ring. */
static struct netdev_queue *pvio_nf_txq(struct pvio_nf_queue *queue)
{
	return netdev_get_tx_queue(queue->nf->dev, queue->id);
}

/* Return what is left of a grant ref reserve; it is empty afterwards. */
static void pvio_nf_reserve_free(struct pvio_nf_queue *queue, grant_ref_t *head)
{
	pvio_gnttab_free_grant_references(queue->nf->d, *head);
	*head = PVIO_GNTTAB_LIST_END;
}

/* ---- TX --------------------------------------------------------------- */

/*
 * End a TX slot's grant; its ref goes back to the queue's reserve. On
 * failure the backend still has access: the page is handed to
 * pvio-grant's deferred list (which puts our reference once the grant
 * really ends, and frees the ref to the domain's list), never reused, and
 * the device is broken.
 */
static void pvio_nf_tx_ended(struct pvio_nf_queue *queue, grant_ref_t ref,
			     struct page *page, bool ended)
{
	if (ended) {
		pvio_gnttab_release_grant_reference(queue->nf->d,
						    &queue->gref_tx_head, ref);
		return;
	}
	queue->stats.end_access_failed++;
	pvio_nf_broken(queue->nf, "backend kept access to a page");
	get_page(page);
	pvio_gnttab_end_foreign_access(queue->nf->d, ref, page);
}

static void pvio_nf_tx_end_access(struct pvio_nf_queue *queue,
				  grant_ref_t ref, struct page *page)
{
	pvio_nf_tx_ended(queue, ref, page,
			 pvio_gnttab_end_foreign_access_ref(queue->nf->d, ref));
}

/* A packet's slots: each a page of 4 KiB, an offset and a length in it. */
struct pvio_nf_pieces {
	struct page *page[PVIO_NF_MAX_SLOTS];
	unsigned int off[PVIO_NF_MAX_SLOTS], len[PVIO_NF_MAX_SLOTS];
};

static unsigned int pvio_nf_split(struct pvio_nf_pieces *p, unsigned int max,
				  unsigned int n, struct page *page,
				  unsigned int off, unsigned int len)
{
	unsigned int c;

	page += off >> PAGE_SHIFT;
	off &= ~PAGE_MASK;
	while (len) {
		c = min_t(unsigned int, len, PAGE_SIZE - off);
		if (n < max) {
			p->page[n] = page;
			p->off[n] = off;
			p->len[n] = c;
		}
		n++;
		len -= c;
		page++;
		off = 0;
	}
	return n;
}

static unsigned int pvio_nf_pieces(struct sk_buff *skb,
				   struct pvio_nf_pieces *p, unsigned int max)
{
	unsigned int i, n = 0;

	n = pvio_nf_split(p, max, n, virt_to_page(skb->data),
			  offset_in_page(skb->data), skb_headlen(skb));
	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *f = &skb_shinfo(skb)->frags[i];

		n = pvio_nf_split(p, max, n, skb_frag_page(f), skb_frag_off(f),
				  skb_frag_size(f));
	}
	return n;
}

static unsigned int pvio_nf_tx_free_slots(struct pvio_nf_queue *queue)
{
	return min(pvio_ring_free_slots(queue->tx.req_prod_pvt, queue->tx.rsp_cons,
					PVIO_NF_RING), queue->nr_tx_free);
}

static netdev_tx_t pvio_nf_start_xmit(struct sk_buff *skb,
				      struct net_device *dev)
{
	struct pvio_nf *nf = netdev_priv(dev);
	unsigned int q = skb_get_queue_mapping(skb);
	struct pvio_nf_queue *queue;
	struct pvio_nf_pieces p;
	unsigned int n, i, need;
	grant_ref_t refs[PVIO_NF_MAX_SLOTS];
	xen_pfn_t gfn[PVIO_NF_MAX_SLOTS];
	struct xen_netif_tx_request *req;
	u16 id, flags = 0;
	bool gso = skb_is_gso(skb);

	if (q >= READ_ONCE(nf->nr_queues))
		q = 0;
	queue = &nf->queues[q];
	if (!READ_ONCE(nf->connected) || nf->broken)
		goto drop;
	n = pvio_nf_pieces(skb, &p, PVIO_NF_MAX_SLOTS);
	if (n > PVIO_NF_MAX_SLOTS) {
		if (skb_linearize(skb))
			goto drop;
		queue->stats.tx_linearized++;
		n = pvio_nf_pieces(skb, &p, PVIO_NF_MAX_SLOTS);
		if (n > PVIO_NF_MAX_SLOTS)
			goto drop;
	}
	if (skb->len > XEN_NETIF_MAX_TX_SIZE)
		goto drop;
	need = n + gso;

	spin_lock_bh(&queue->tx_lock);
	/* pvio_nf_teardown() clears connected under tx_lock */
	if (!queue->nf->connected || queue->nf->broken ||
	    pvio_nf_tx_free_slots(queue) < need) {
		spin_unlock_bh(&queue->tx_lock);
		goto drop;
	}
	/*
	 * The refs come from the queue's own reserve (xen-netfront's
	 * gref_tx_head): one per TX slot, so a free slot always has one. The
	 * domain's free list is not enough: here the table cannot grow, and
	 * other devices' grants may have taken every free entry.
	 */
	for (i = 0; i < n; i++) {
		int r = pvio_gnttab_claim_grant_reference(queue->nf->d,
							  &queue->gref_tx_head);

		if (r < 0) {
			while (i--)
				pvio_gnttab_release_grant_reference(queue->nf->d,
								    &queue->gref_tx_head,
								    refs[i]);
			queue->stats.tx_drop_nogrant++;
			spin_unlock_bh(&queue->tx_lock);
			goto drop;
		}
		refs[i] = r;
	}
	/*
	 * The slots' frames under one hold of the domain's p2m lock (a
	 * page without one, PVIO_GFN_INVALID, is refused by the backend's
	 * copy or map: an error response, the packet lost).
	 */
	pvio_page_to_gfn_batch(queue->nf->d, p.page, n, gfn);
	for (i = 0; i < n; i++)
		pvio_gnttab_grant_foreign_access_ref(queue->nf->d, refs[i],
						     queue->nf->beid, gfn[i],
						     true);
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		flags |= XEN_NETTXF_csum_blank | XEN_NETTXF_data_validated;
	else if (skb->ip_summed == CHECKSUM_UNNECESSARY)
		flags |= XEN_NETTXF_data_validated;
	for (i = 0; i < n; i++) {
		id = queue->tx_free[--queue->nr_tx_free];
		queue->tx_slots[id].skb = i ? skb_get(skb) : skb;
		queue->tx_slots[id].page = p.page[i];
		queue->tx_slots[id].ref = refs[i];
		__set_bit(id, queue->tx_busy);
		req = RING_GET_REQUEST(&queue->tx, queue->tx.req_prod_pvt++);
		req->gref = refs[i];
		req->offset = p.off[i];
		req->id = id;
		req->size = i ? p.len[i] : skb->len;
		req->flags = (i ? 0 : flags) |
			     (i + 1 < n ? XEN_NETTXF_more_data : 0) |
			     (!i && gso ? XEN_NETTXF_extra_info : 0);
		if (!i && gso) {
			struct xen_netif_extra_info *extra = (void *)
				RING_GET_REQUEST(&queue->tx, queue->tx.req_prod_pvt++);

			memset(extra, 0, sizeof(struct xen_netif_tx_request));
			extra->type = XEN_NETIF_EXTRA_TYPE_GSO;
			extra->u.gso.size = skb_shinfo(skb)->gso_size;
			extra->u.gso.type =
				skb_shinfo(skb)->gso_type & SKB_GSO_TCPV6 ?
				XEN_NETIF_GSO_TYPE_TCPV6 :
				XEN_NETIF_GSO_TYPE_TCPV4;
			queue->stats.tx_gso++;
		}
	}
	queue->stats.tx_packets++;
	queue->stats.tx_bytes += skb->len;
	skb_tx_timestamp(skb);
	if (PVIO_RING_PUSH_REQUESTS(&queue->tx))
		pvio_notify_remote_via_irq(queue->irq);
	if (pvio_nf_tx_free_slots(queue) < PVIO_NF_TX_MIN_FREE) {
		queue->stats.tx_stops++;
		netif_tx_stop_queue(pvio_nf_txq(queue));
	}
	spin_unlock_bh(&queue->tx_lock);
	return NETDEV_TX_OK;
drop:
	queue->stats.tx_dropped++;
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

/* TX slots ended per pvio_gnttab_end_foreign_access_refs() call. */
#define PVIO_NF_GC_BATCH	32

/*
 * Complete @k answered TX slots: their grants ended in one call (the
 * frames released under one hold of the p2m lock, not one per slot), the
 * refs back to the reserve, the skbs freed, the ids free again.
 */
static void pvio_nf_tx_complete(struct pvio_nf_queue *queue, const u16 *ids,
				unsigned int k)
{
	grant_ref_t refs[PVIO_NF_GC_BATCH];
	bool ended[PVIO_NF_GC_BATCH];
	struct pvio_nf_txslot *s;
	unsigned int i;

	for (i = 0; i < k; i++)
		refs[i] = queue->tx_slots[ids[i]].ref;
	pvio_gnttab_end_foreign_access_refs(queue->nf->d, refs, k, ended);
	for (i = 0; i < k; i++) {
		s = &queue->tx_slots[ids[i]];
		pvio_nf_tx_ended(queue, s->ref, s->page, ended[i]);
		dev_kfree_skb_any(s->skb);
		s->skb = NULL;
		s->page = NULL;
		queue->tx_free[queue->nr_tx_free++] = ids[i];
	}
}

/*
 * Collect TX responses; tx_lock held. An id leaves tx_busy as its
 * response is read, so a second response for it in the same batch is
 * refused as any answered twice.
 */
static void pvio_nf_tx_gc(struct pvio_nf_queue *queue)
{
	struct xen_netif_tx_response rsp;
	u16 ids[PVIO_NF_GC_BATCH];
	unsigned int k = 0;
	int n, r;

	do {
		n = PVIO_RING_RESPONSES_AVAIL(&queue->tx);
		if (n < 0)
			break;
		while (n--) {
			PVIO_RING_COPY_RESPONSE(&queue->tx, queue->tx.rsp_cons, &rsp);
			r = pvio_netfront_tx_rsp_check(&rsp, queue->tx_busy,
						       PVIO_NF_RING);
			if (r < 0) {
				pvio_nf_tx_complete(queue, ids, k);
				pvio_nf_broken(queue->nf, "bad tx response id");
				return;
			}
			queue->tx.rsp_cons++;
			if (r > 0)
				continue;
			if (rsp.status != XEN_NETIF_RSP_OKAY)
				queue->stats.tx_errors++;
			__clear_bit(rsp.id, queue->tx_busy);
			ids[k++] = rsp.id;
			if (k == PVIO_NF_GC_BATCH) {
				pvio_nf_tx_complete(queue, ids, k);
				k = 0;
			}
		}
		n = PVIO_RING_FINAL_CHECK_FOR_RESPONSES(&queue->tx);
	} while (n > 0);
	pvio_nf_tx_complete(queue, ids, k);
	if (n < 0) {
		pvio_nf_broken(queue->nf, "impossible tx rsp_prod");
		return;
	}
	if (netif_tx_queue_stopped(pvio_nf_txq(queue)) &&
	    READ_ONCE(queue->nf->connected) &&
	    pvio_nf_tx_free_slots(queue) >= PVIO_NF_TX_MIN_FREE)
		netif_tx_wake_queue(pvio_nf_txq(queue));
}

/* ---- RX --------------------------------------------------------------- */

/* RX buffers given their frames per pvio_page_to_gfn_batch() call. */
#define PVIO_NF_REFILL_BATCH	16

static void pvio_nf_rx_refill(struct pvio_nf_queue *queue)
{
	struct page *pages[PVIO_NF_REFILL_BATCH];
	xen_pfn_t gfn[PVIO_NF_REFILL_BATCH];
	struct xen_netif_rx_request *req;
	unsigned int posted, idx, i, k;
	bool short_of = false;
	int ref;

	if (queue->nf->broken || !READ_ONCE(queue->nf->connected))
		return;
	while (!short_of &&
	       queue->rx.req_prod_pvt - queue->rx.rsp_cons < PVIO_NF_RING) {
		/*
		 * A batch of pages, each with a ref of the queue's RX
		 * reserve (one per ring slot), for the free slots from
		 * req_prod_pvt on; then their frames under one hold of the
		 * domain's p2m lock.
		 */
		for (k = 0; k < PVIO_NF_REFILL_BATCH &&
		     queue->rx.req_prod_pvt + k - queue->rx.rsp_cons < PVIO_NF_RING;
		     k++) {
			pages[k] = pvio_nf_page_alloc(queue);
			if (!pages[k]) {
				short_of = true;
				break;
			}
			ref = pvio_gnttab_claim_grant_reference(queue->nf->d,
								&queue->gref_rx_head);
			if (ref < 0) {
				pvio_nf_page_put(queue, pages[k]);
				short_of = true;
				break;
			}
			idx = (queue->rx.req_prod_pvt + k) & (PVIO_NF_RING - 1);
			queue->rx_refs[idx] = ref;
		}
		pvio_page_to_gfn_batch(queue->nf->d, pages, k, gfn);
		for (i = 0; i < k; i++) {
			idx = queue->rx.req_prod_pvt & (PVIO_NF_RING - 1);
			pvio_gnttab_grant_foreign_access_ref(queue->nf->d,
							     queue->rx_refs[idx],
							     queue->nf->beid,
							     gfn[i], false);
			queue->rx_pages[idx] = pages[i];
			req = RING_GET_REQUEST(&queue->rx, queue->rx.req_prod_pvt++);
			req->id = idx;
			req->gref = queue->rx_refs[idx];
		}
	}
	/* Try again later when short, as xennet_alloc_rx_buffers() does. */
	posted = queue->rx.req_prod_pvt - queue->rx.rsp_cons;
	if (posted < PVIO_NF_RX_MIN || short_of)
		mod_timer(&queue->refill_timer, jiffies + HZ / 10);
	if (PVIO_RING_PUSH_REQUESTS(&queue->rx))
		pvio_notify_remote_via_irq(queue->nf->split ? queue->rx_irq : queue->irq);
}

static void pvio_nf_refill_timer(struct timer_list *t)
{
	struct pvio_nf_queue *queue = from_timer(queue, t, refill_timer);

	napi_schedule(&queue->napi);
}

/* Take the buffer of ring index @i back from the backend. */
static struct page *pvio_nf_rx_take(struct pvio_nf_queue *queue, RING_IDX i)
{
	unsigned int idx = i & (PVIO_NF_RING - 1);
	struct page *page = queue->rx_pages[idx];

	queue->rx_pages[idx] = NULL;
	if (!page)
		return NULL;
	if (!pvio_gnttab_end_foreign_access_ref(queue->nf->d, queue->rx_refs[idx])) {
		/* never reuse it: out of the pool, freed when access ends */
		queue->stats.end_access_failed++;
		pvio_nf_broken(queue->nf, "backend kept access to an rx buffer");
		pvio_nf_page_unpool(queue, page);
		pvio_gnttab_end_foreign_access(queue->nf->d, queue->rx_refs[idx], page);
		return NULL;
	}
	pvio_gnttab_release_grant_reference(queue->nf->d, &queue->gref_rx_head,
					    queue->rx_refs[idx]);
	return page;
}

static int pvio_nf_checksum_setup(struct sk_buff *skb)
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

/* One packet at rsp_cons. Returns 1 if consumed, 0 if none, <0 broken. */
static int pvio_nf_rx_one(struct pvio_nf_queue *queue)
{
	struct xen_netif_rx_response rsps[PVIO_NF_RX_SCAN];
	struct pvio_nf_rxpkt pkt;
	RING_IDX cons = queue->rx.rsp_cons;
	struct sk_buff *skb = NULL;
	unsigned int i, n;
	int avail, used;

	avail = PVIO_RING_RESPONSES_AVAIL(&queue->rx);
	if (avail < 0) {
		pvio_nf_broken(queue->nf, "impossible rx rsp_prod");
		return -EPROTO;
	}
	if (!avail)
		return 0;
	n = min_t(unsigned int, avail, PVIO_NF_RX_SCAN);
	for (i = 0; i < n; i++)
		PVIO_RING_COPY_RESPONSE(&queue->rx, cons + i, &rsps[i]);
	used = pvio_netfront_rx_parse(rsps, n, cons, &pkt);
	if (used < 0) {
		pvio_nf_broken(queue->nf, "bad rx response");
		return -EPROTO;
	}
	queue->rx.rsp_cons += used;
	if (!pkt.drop)
		skb = napi_alloc_skb(&queue->napi, PVIO_NF_RX_PULL);
	for (i = 0; i < used; i++) {
		struct page *page = pvio_nf_rx_take(queue, cons + i);
		const struct xen_netif_rx_response *r = &rsps[i];

		if (!page)
			continue;
		if (!skb || (pkt.extra_mask & BIT(i)) || r->status <= 0 ||
		    skb_shinfo(skb)->nr_frags >= MAX_SKB_FRAGS) {
			pvio_nf_page_put(queue, page);
			continue;
		}
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page,
				r->offset, r->status, PAGE_SIZE);
	}
	if (!skb || skb->len != pkt.len || queue->nf->broken) {
		queue->stats.rx_errors++;
		if (skb)
			kfree_skb(skb);
		return 1;
	}
	pvio_nf_skb_recycle(skb);
	if (!__pskb_pull_tail(skb, min_t(unsigned int, skb->len,
					 PVIO_NF_RX_PULL)))
		goto drop;
	if (pkt.flags & XEN_NETRXF_csum_blank)
		skb->ip_summed = CHECKSUM_PARTIAL;
	else if (pkt.flags & XEN_NETRXF_data_validated)
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	if (pkt.gso.type == XEN_NETIF_EXTRA_TYPE_GSO) {
		skb_shinfo(skb)->gso_size = pkt.gso.u.gso.size;
		skb_shinfo(skb)->gso_type =
			(pkt.gso.u.gso.type == XEN_NETIF_GSO_TYPE_TCPV4 ?
			 SKB_GSO_TCPV4 : SKB_GSO_TCPV6) | SKB_GSO_DODGY;
		skb_shinfo(skb)->gso_segs = 0;
		queue->stats.rx_gso++;
	}
	skb->protocol = eth_type_trans(skb, queue->nf->dev);
	skb_reset_network_header(skb);
	skb_record_rx_queue(skb, queue->id);
	if (pvio_nf_checksum_setup(skb))
		goto drop;
	queue->stats.rx_packets++;
	queue->stats.rx_bytes += skb->len;
	napi_gro_receive(&queue->napi, skb);
	return 1;
drop:
	queue->stats.rx_errors++;
	kfree_skb(skb);
	return 1;
}

static int pvio_nf_poll(struct napi_struct *napi, int budget)
{
	struct pvio_nf_queue *queue = container_of(napi, struct pvio_nf_queue, napi);
	int done = 0, r;

	spin_lock_bh(&queue->tx_lock);
	if (!queue->nf->broken)
		pvio_nf_tx_gc(queue);
	spin_unlock_bh(&queue->tx_lock);
	while (done < budget && !queue->nf->broken) {
		r = pvio_nf_rx_one(queue);
		if (r <= 0)
			break;
		done++;
	}
	pvio_nf_rx_refill(queue);
	if (done < budget && napi_complete_done(napi, done) && !queue->nf->broken) {
		r = PVIO_RING_FINAL_CHECK_FOR_RESPONSES(&queue->rx);
		if (r < 0)
			pvio_nf_broken(queue->nf, "impossible rx rsp_prod");
		else if (r > 0 || READ_ONCE(queue->tx.sring->rsp_prod) !=
			 queue->tx.rsp_cons)
			napi_schedule(napi);
	}
	return done;
}

static irqreturn_t pvio_nf_interrupt(int irq, void *data)
{
	struct pvio_nf_queue *queue = data;

	if (READ_ONCE(queue->napi_on) && !queue->nf->broken)
		napi_schedule(&queue->napi);
	return IRQ_HANDLED;
}

/* ---- net_device --------------------------------------------------------- */

static int pvio_nf_open(struct net_device *dev)
{
	struct pvio_nf *nf = netdev_priv(dev);
	unsigned int q;

	if (READ_ONCE(nf->connected) && !nf->broken) {
		netif_tx_start_all_queues(dev);
		for (q = 0; q < nf->nr_queues; q++)
			napi_schedule(&nf->queues[q].napi);
	}
	return 0;
}

static int pvio_nf_close(struct net_device *dev)
{
	netif_tx_stop_all_queues(dev);
	return 0;
}

/*
 * How a packet's TX queue is chosen with several queues: by default
 * xen-netfront's xennet_select_queue(), the flow hash modulo the queues,
 * so that the flows of one sending CPU spread over every queue; with xps
 * set, the stack's own netdev_pick_tx(), which follows the XPS map set at
 * connect (queue N for the CPU its ports are bound to, as virtio-net
 * does), so a packet leaves on the queue whose completions interrupt the
 * CPU that sent it, and a socket keeps its queue while it has packets in
 * flight.
 */
static bool xps;
module_param(xps, bool, 0644);
MODULE_PARM_DESC(xps,
		 "Pick a packet's TX queue with the XPS map (the sending CPU's queue, as virtio-net) instead of the flow hash (xen-netfront); read per packet (default off)");

static u16 pvio_nf_select_queue(struct net_device *dev, struct sk_buff *skb,
				struct net_device *sb_dev)
{
	unsigned int n = dev->real_num_tx_queues;

	if (n <= 1)
		return 0;
	if (READ_ONCE(xps))
		return netdev_pick_tx(dev, skb, sb_dev);
	return skb_get_hash(skb) % n;
}

static u64 pvio_nf_stat(const struct pvio_nf_stats *st, size_t off)
{
	return READ_ONCE(*(u64 *)((char *)st + off));
}

/* The device's counters: its own and every queue's (kept across connects). */
static u64 pvio_nf_stat_sum(const struct pvio_nf *nf, size_t off)
{
	u64 sum = pvio_nf_stat(&nf->stats, off);
	unsigned int q;

	for (q = 0; q < nf->max_queues; q++)
		sum += pvio_nf_stat(&nf->queues[q].stats, off);
	return sum;
}

#define PVIO_NF_SUM(nf, f) \
	pvio_nf_stat_sum(nf, offsetof(struct pvio_nf_stats, f))

static void pvio_nf_get_stats64(struct net_device *dev,
				struct rtnl_link_stats64 *s)
{
	struct pvio_nf *nf = netdev_priv(dev);

	s->rx_packets = PVIO_NF_SUM(nf, rx_packets);
	s->rx_bytes = PVIO_NF_SUM(nf, rx_bytes);
	s->rx_errors = PVIO_NF_SUM(nf, rx_errors);
	s->rx_dropped = PVIO_NF_SUM(nf, rx_dropped);
	s->tx_packets = PVIO_NF_SUM(nf, tx_packets);
	s->tx_bytes = PVIO_NF_SUM(nf, tx_bytes);
	s->tx_errors = PVIO_NF_SUM(nf, tx_errors);
	s->tx_dropped = PVIO_NF_SUM(nf, tx_dropped);
}

static netdev_features_t pvio_nf_fix_features(struct net_device *dev,
					      netdev_features_t features)
{
	struct pvio_nf *nf = netdev_priv(dev);

	if (!nf->sg)
		features &= ~NETIF_F_SG;
	if (!nf->gso_v4)
		features &= ~NETIF_F_TSO;
	if (!nf->gso_v6)
		features &= ~NETIF_F_TSO6;
	if (!nf->ipv6_csum)
		features &= ~NETIF_F_IPV6_CSUM;
	/* offload=0: the guest computes its checksums, segments itself */
	if (nf->no_offload)
		features &= ~(NETIF_F_CSUM_MASK | NETIF_F_TSO | NETIF_F_TSO6);
	return features;
}

static int pvio_nf_change_mtu(struct net_device *dev, int mtu)
{
	struct pvio_nf *nf = netdev_priv(dev);

	if (mtu > ETH_DATA_LEN && !nf->sg)
		return -EINVAL;
	dev->mtu = mtu;
	return 0;
}

static const struct net_device_ops pvio_nf_netdev_ops = {
	.ndo_open = pvio_nf_open,
	.ndo_stop = pvio_nf_close,
	.ndo_start_xmit = pvio_nf_start_xmit,
	.ndo_select_queue = pvio_nf_select_queue,
	.ndo_get_stats64 = pvio_nf_get_stats64,
	.ndo_fix_features = pvio_nf_fix_features,
	.ndo_change_mtu = pvio_nf_change_mtu,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

static const struct {
	const char *name;
	size_t off;
} pvio_nf_stat_names[] = {
#define S(f) { #f, offsetof(struct pvio_nf_stats, f) }
	S(rx_packets), S(rx_bytes), S(rx_errors), S(rx_dropped),
	S(tx_packets), S(tx_bytes), S(tx_errors), S(tx_dropped),
	S(tx_gso), S(tx_linearized), S(rx_gso), S(tx_stops),
	S(end_access_failed), S(backend_restarts), S(reconnects),
	S(recovery_timeouts),
#undef S
};

/* Per-queue counters in ethtool -S, after the device's totals. */
static const struct {
	const char *name;
	size_t off;
} pvio_nf_queue_stat_names[] = {
#define S(f) { #f, offsetof(struct pvio_nf_stats, f) }
	S(tx_packets), S(tx_bytes), S(rx_packets), S(rx_bytes),
	S(tx_gso), S(rx_gso), S(tx_linearized), S(tx_stops),
	S(tx_errors), S(tx_dropped), S(rx_errors), S(rx_dropped),
	S(tx_drop_nogrant),
#undef S
};

static void pvio_nf_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	struct pvio_nf *nf = netdev_priv(dev);
	unsigned int i, q;

	if (sset != ETH_SS_STATS)
		return;
	for (i = 0; i < ARRAY_SIZE(pvio_nf_stat_names); i++)
		ethtool_sprintf(&data, "%s", pvio_nf_stat_names[i].name);
	for (q = 0; q < nf->max_queues; q++)
		for (i = 0; i < ARRAY_SIZE(pvio_nf_queue_stat_names); i++)
			ethtool_sprintf(&data, "q%u_%s", q,
					pvio_nf_queue_stat_names[i].name);
}

static int pvio_nf_get_sset_count(struct net_device *dev, int sset)
{
	struct pvio_nf *nf = netdev_priv(dev);

	return sset == ETH_SS_STATS ? ARRAY_SIZE(pvio_nf_stat_names) +
	       nf->max_queues * ARRAY_SIZE(pvio_nf_queue_stat_names) :
	       -EOPNOTSUPP;
}

static void pvio_nf_get_ethtool_stats(struct net_device *dev,
				      struct ethtool_stats *st, u64 *data)
{
	struct pvio_nf *nf = netdev_priv(dev);
	unsigned int i, q;

	for (i = 0; i < ARRAY_SIZE(pvio_nf_stat_names); i++)
		*data++ = pvio_nf_stat_sum(nf, pvio_nf_stat_names[i].off);
	for (q = 0; q < nf->max_queues; q++)
		for (i = 0; i < ARRAY_SIZE(pvio_nf_queue_stat_names); i++)
			*data++ = pvio_nf_stat(&nf->queues[q].stats,
					       pvio_nf_queue_stat_names[i].off);
}

/* ethtool -l: the queues (a TX and RX ring pair, one NAPI each), combined. */
static void pvio_nf_get_channels(struct net_device *dev,
				 struct ethtool_channels *ch)
{
	ch->max_combined = dev->num_tx_queues;
	ch->combined_count = dev->real_num_tx_queues;
}

static const struct ethtool_ops pvio_nf_ethtool_ops = {
	.get_link = ethtool_op_get_link,
	.get_strings = pvio_nf_get_strings,
	.get_sset_count = pvio_nf_get_sset_count,
	.get_ethtool_stats = pvio_nf_get_ethtool_stats,
	.get_channels = pvio_nf_get_channels,
};

/* ---- set-up and teardown (called by the control path) ----------------- */

static void pvio_nf_free_ring(struct pvio_nf_queue *queue, struct page **page,
			      grant_ref_t ref)
{
	if (*page)
		pvio_xenbus_end_ring(queue->nf->xdev, ref, *page);
	*page = NULL;
}

static void pvio_nf_unbind(struct pvio_nf_queue *queue)
{
	struct pvio_xenbus_device *xdev = queue->nf->xdev;

	if (queue->rx_irq > 0)
		pvio_unbind_from_irqhandler(queue->rx_irq, queue);
	else if (queue->rx_port)
		pvio_xenbus_free_evtchn(xdev, queue->rx_port);
	if (queue->irq > 0)
		pvio_unbind_from_irqhandler(queue->irq, queue);
	else if (queue->port)
		pvio_xenbus_free_evtchn(xdev, queue->port);
	queue->irq = 0;
	queue->port = 0;
	queue->rx_irq = 0;
	queue->rx_port = 0;
	queue->cpu = -1;
}

/*
 * One port, or with split event channels two (xen-netfront's
 * setup_netfront_split()): event-channel-tx for TX requests and
 * completions, event-channel-rx for RX. Both interrupts only schedule
 * the queue's NAPI. Names as before with one queue (<eth>, or <eth>-tx
 * and <eth>-rx), with several as xen-netfront's (<eth>-q<N>, -q<N>-tx,
 * -q<N>-rx).
 */
static int pvio_nf_bind(struct pvio_nf_queue *queue)
{
	struct pvio_nf *nf = queue->nf;
	char base[IFNAMSIZ + 8];
	int err;

	if (nf->nr_queues > 1)
		snprintf(base, sizeof(base), "%s-q%u", nf->dev->name,
			 queue->id);
	else
		snprintf(base, sizeof(base), "%s", nf->dev->name);
	snprintf(queue->tx_irq_name, sizeof(queue->tx_irq_name), "%s%s",
		 base, nf->split ? "-tx" : "");
	err = pvio_xenbus_alloc_evtchn(nf->xdev, &queue->port);
	if (err)
		return err;
	err = pvio_bind_evtchn_to_irqhandler(nf->d, queue->port,
					     pvio_nf_interrupt, 0,
					     queue->tx_irq_name, queue);
	if (err < 0)
		goto fail;
	queue->irq = err;
	if (!nf->split)
		return 0;
	snprintf(queue->rx_irq_name, sizeof(queue->rx_irq_name), "%s-rx",
		 base);
	err = pvio_xenbus_alloc_evtchn(nf->xdev, &queue->rx_port);
	if (err)
		goto fail;
	err = pvio_bind_evtchn_to_irqhandler(nf->d, queue->rx_port,
					     pvio_nf_interrupt, 0,
					     queue->rx_irq_name, queue);
	if (err < 0)
		goto fail;
	queue->rx_irq = err;
	return 0;
fail:
	pvio_nf_unbind(queue);
	return err;
}

/*
 * With several queues, queue N's port(s) go to the N-th online CPU and
 * its XPS map names that CPU: irq_set_affinity() reaches
 * EVTCHNOP_bind_vcpu through the event channel's irq_chip (as blkfront's
 * queues, Linux's xen_rebind_evtchn_to_cpu()); a port that cannot move
 * stays where it is.
 */
static void pvio_nf_bind_cpu(struct pvio_nf_queue *queue)
{
	unsigned int cpu;

	queue->cpu = -1;
	if (queue->nf->nr_queues <= 1)
		return;
	cpu = cpumask_local_spread(queue->id, NUMA_NO_NODE);
	if (irq_set_affinity(queue->irq, cpumask_of(cpu)))
		return;
	if (queue->rx_irq > 0 &&
	    irq_set_affinity(queue->rx_irq, cpumask_of(cpu)))
		return;
	queue->cpu = cpu;
	netif_set_xps_queue(queue->nf->dev, cpumask_of(cpu), queue->id);
}

/* Undo pvio_nf_queue_setup(); NAPI disabled, the port(s) unbound. */
static void pvio_nf_queue_release(struct pvio_nf_queue *queue)
{
	unsigned int i;

	for (i = 0; i < PVIO_NF_RING; i++) {
		struct pvio_nf_txslot *s = &queue->tx_slots[i];

		if (!test_bit(i, queue->tx_busy))
			continue;
		pvio_nf_tx_end_access(queue, s->ref, s->page);
		dev_kfree_skb_any(s->skb);
		s->skb = NULL;
		__clear_bit(i, queue->tx_busy);
	}
	pvio_nf_reserve_free(queue, &queue->gref_tx_head);
	for (i = 0; i < PVIO_NF_RING; i++) {
		struct page *page = pvio_nf_rx_take(queue, i);

		if (page)
			pvio_nf_page_put(queue, page);
	}
	pvio_nf_reserve_free(queue, &queue->gref_rx_head);
	pvio_nf_pool_destroy(queue);
	pvio_nf_free_ring(queue, &queue->tx_page, queue->tx_ring_ref);
	pvio_nf_free_ring(queue, &queue->rx_page, queue->rx_ring_ref);
}

/* One queue's rings granted, its pool, its port(s) bound. */
static int pvio_nf_queue_setup(struct pvio_nf_queue *queue)
{
	struct pvio_xenbus_device *xdev = queue->nf->xdev;
	struct xen_netif_tx_sring *txs;
	struct xen_netif_rx_sring *rxs;
	unsigned int i;
	int err;

	queue->tx_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	queue->rx_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!queue->tx_page || !queue->rx_page) {
		err = -ENOMEM;
		goto free_pages;
	}
	txs = page_address(queue->tx_page);
	rxs = page_address(queue->rx_page);
	SHARED_RING_INIT(txs);
	SHARED_RING_INIT(rxs);
	FRONT_RING_INIT(&queue->tx, txs, PVIO_NF_PAGE);
	FRONT_RING_INIT(&queue->rx, rxs, PVIO_NF_PAGE);
	err = pvio_xenbus_grant_ring(xdev, queue->tx_page, &queue->tx_ring_ref);
	if (err)
		goto free_pages;
	err = pvio_xenbus_grant_ring(xdev, queue->rx_page, &queue->rx_ring_ref);
	if (err) {
		pvio_nf_free_ring(queue, &queue->tx_page, queue->tx_ring_ref);
		goto free_pages;
	}
	err = pvio_nf_pool_create(queue);
	if (err)
		goto end_rings;
	/* process context: the table may grow for them */
	err = pvio_gnttab_alloc_grant_references(queue->nf->d, PVIO_NF_RING,
						 &queue->gref_tx_head);
	if (err)
		goto destroy_pool;
	err = pvio_gnttab_alloc_grant_references(queue->nf->d, PVIO_NF_RING,
						 &queue->gref_rx_head);
	if (err)
		goto free_refs;
	err = pvio_nf_bind(queue);
	if (err)
		goto free_refs;
	pvio_nf_bind_cpu(queue);
	queue->nr_tx_free = PVIO_NF_RING;
	for (i = 0; i < PVIO_NF_RING; i++)
		queue->tx_free[i] = PVIO_NF_RING - 1 - i;
	bitmap_zero(queue->tx_busy, PVIO_NF_RING);
	return 0;

free_refs:
	pvio_nf_reserve_free(queue, &queue->gref_rx_head);
	pvio_nf_reserve_free(queue, &queue->gref_tx_head);
destroy_pool:
	pvio_nf_pool_destroy(queue);
end_rings:
	pvio_nf_free_ring(queue, &queue->tx_page, queue->tx_ring_ref);
	pvio_nf_free_ring(queue, &queue->rx_page, queue->rx_ring_ref);
free_pages:
	if (queue->tx_page)
		__free_page(queue->tx_page);
	if (queue->rx_page)
		__free_page(queue->rx_page);
	queue->tx_page = NULL;
	queue->rx_page = NULL;
	return err;
}

/**
 * pvio_nf_setup_rings() - allocate and grant every queue's rings, bind ports
 * @nf: the device
 * @nr_queues: queues to set up (1 .. @nf->max_queues; the caller took the
 *	minimum of its own, the backend's and the online CPUs)
 *
 * As xen-netfront's xennet_create_queues() and setup_netfront(): per
 * queue, two granted rings and one port (two with @nf->split), bound to
 * a CPU of its own when there are several (and that CPU in the queue's
 * XPS map); the netdev's real TX and RX queues follow.
 *
 * Context: process context (the control path), takes the RTNL.
 * Return: 0, -EINVAL (@nr_queues out of range) or -errno with everything
 * undone.
 */
int pvio_nf_setup_rings(struct pvio_nf *nf, unsigned int nr_queues)
{
	unsigned int q;
	int err;

	pvio_nf_teardown(nf);
	if (!nr_queues || nr_queues > nf->max_queues)
		return -EINVAL;
	nf->broken = false;
	rtnl_lock();
	err = netif_set_real_num_tx_queues(nf->dev, nr_queues);
	if (!err)
		err = netif_set_real_num_rx_queues(nf->dev, nr_queues);
	rtnl_unlock();
	if (err)
		return err;
	nf->nr_queues = nr_queues;
	for (q = 0; q < nr_queues; q++) {
		err = pvio_nf_queue_setup(&nf->queues[q]);
		if (err)
			goto undo;
	}
	nf->rings = true;
	return 0;
undo:
	while (q--) {
		pvio_nf_unbind(&nf->queues[q]);
		pvio_nf_queue_release(&nf->queues[q]);
	}
	return err;
}

/**
 * pvio_nf_start() - the backend is Connected: link up, post RX buffers
 * @nf: the device, rings set up
 *
 * Context: process context.
 */
void pvio_nf_start(struct pvio_nf *nf)
{
	unsigned int q;

	if (!nf->rings || nf->connected)
		return;
	WRITE_ONCE(nf->connected, true);
	rtnl_lock();
	netdev_update_features(nf->dev);
	/* a new backend may lack feature-sg (xennet_set_features()) */
	if (!nf->sg && nf->dev->mtu > ETH_DATA_LEN) {
		netdev_info(nf->dev, "backend lacks feature-sg: MTU %d\n",
			    ETH_DATA_LEN);
		dev_set_mtu(nf->dev, ETH_DATA_LEN);
	}
	rtnl_unlock();
	for (q = 0; q < nf->nr_queues; q++) {
		napi_enable(&nf->queues[q].napi);
		WRITE_ONCE(nf->queues[q].napi_on, true);
	}
	netif_carrier_on(nf->dev);
	if (netif_running(nf->dev))
		netif_tx_wake_all_queues(nf->dev);
	local_bh_disable();
	for (q = 0; q < nf->nr_queues; q++)
		napi_schedule(&nf->queues[q].napi);
	local_bh_enable();
}

/**
 * pvio_nf_teardown() - stop, end every grant, free the rings
 * @nf: the device; harmless if nothing is set up
 *
 * The quiesce of xen-netfront's xennet_disconnect_backend(): the link
 * goes down and no transmit touches a ring once @nf->connected is clear
 * (start_xmit checks it under the queue's tx_lock), the TX queues stop,
 * every queue's NAPI is disabled (the interrupt handlers then schedule
 * nothing and no poll notifies) and the ports are unbound before any
 * grant is ended. Unanswered TX skbs are freed (TCP retransmits, as after
 * xennet_release_tx_bufs()) with the posted RX buffers; a page the
 * backend still maps goes to pvio-grant's deferred end of access. The
 * net_device stays registered.
 *
 * Context: process context, sleeps (napi_disable()).
 */
void pvio_nf_teardown(struct pvio_nf *nf)
{
	unsigned int q;

	netif_carrier_off(nf->dev);
	for (q = 0; q < nf->max_queues; q++) {
		spin_lock_bh(&nf->queues[q].tx_lock);
		WRITE_ONCE(nf->connected, false);
		spin_unlock_bh(&nf->queues[q].tx_lock);
	}
	netif_tx_disable(nf->dev);
	for (q = 0; q < nf->max_queues; q++) {
		struct pvio_nf_queue *queue = &nf->queues[q];

		if (queue->napi_on) {
			WRITE_ONCE(queue->napi_on, false);
			napi_disable(&queue->napi);
		}
		del_timer_sync(&queue->refill_timer);
		pvio_nf_unbind(queue);
	}
	if (!nf->rings)
		return;
	for (q = 0; q < nf->nr_queues; q++)
		pvio_nf_queue_release(&nf->queues[q]);
	nf->rings = false;
}

/**
 * pvio_nf_create() - allocate and register eth<N>
 * @xdev: the frontend device
 * @mac: its MAC address (from the store)
 * @max_queues: the most queues it will ever use (1 or more)
 *
 * The net_device has @max_queues TX and RX queues, one in use until a
 * connect sets up more; each queue's NAPI context is added here.
 *
 * Context: process context.
 * Return: the device or an ERR_PTR.
 */
struct pvio_nf *pvio_nf_create(struct pvio_xenbus_device *xdev,
			       const u8 *mac, unsigned int max_queues)
{
	struct net_device *dev;
	struct pvio_nf *nf;
	unsigned int q;
	int err;

	dev = alloc_etherdev_mq(sizeof(*nf), max_queues);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	nf = netdev_priv(dev);
	nf->queues = kvcalloc(max_queues, sizeof(*nf->queues), GFP_KERNEL);
	if (!nf->queues) {
		free_netdev(dev);
		return ERR_PTR(-ENOMEM);
	}
	nf->xdev = xdev;
	nf->dev = dev;
	nf->d = xdev->domain;
	nf->beid = xdev->otherend_id;
	nf->max_queues = max_queues;
	nf->nr_queues = 1;
	mutex_init(&nf->ctl_lock);
	for (q = 0; q < max_queues; q++) {
		struct pvio_nf_queue *queue = &nf->queues[q];

		queue->nf = nf;
		queue->id = q;
		queue->cpu = -1;
		spin_lock_init(&queue->tx_lock);
		queue->gref_tx_head = PVIO_GNTTAB_LIST_END;
		queue->gref_rx_head = PVIO_GNTTAB_LIST_END;
		timer_setup(&queue->refill_timer, pvio_nf_refill_timer, 0);
		netif_napi_add(dev, &queue->napi, pvio_nf_poll);
	}
	SET_NETDEV_DEV(dev, &xdev->dev);
	dev->netdev_ops = &pvio_nf_netdev_ops;
	dev->ethtool_ops = &pvio_nf_ethtool_ops;
	dev->hw_features = NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_IPV6_CSUM |
			   NETIF_F_TSO | NETIF_F_TSO6;
	dev->features = dev->hw_features | NETIF_F_RXCSUM;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = XEN_NETIF_MAX_TX_SIZE - ETH_HLEN;
	/* a GSO packet and its headers fit the 16-bit size of a request */
	netif_set_tso_max_size(dev, XEN_NETIF_MAX_TX_SIZE - MAX_TCP_HEADER);
	eth_hw_addr_set(dev, mac);
	netif_carrier_off(dev);
	err = netif_set_real_num_tx_queues(dev, 1);
	if (!err)
		err = netif_set_real_num_rx_queues(dev, 1);
	if (!err)
		err = register_netdev(dev);
	if (err) {
		for (q = 0; q < max_queues; q++)
			netif_napi_del(&nf->queues[q].napi);
		kvfree(nf->queues);
		free_netdev(dev);
		return ERR_PTR(err);
	}
	return nf;
}

/**
 * pvio_nf_destroy() - tear down, unregister and free
 * @nf: the device
 *
 * Context: process context.
 */
void pvio_nf_destroy(struct pvio_nf *nf)
{
	struct net_device *dev = nf->dev;
	struct pvio_nf_queue *queues = nf->queues;
	unsigned int q;

	pvio_nf_teardown(nf);
	unregister_netdev(dev);
	for (q = 0; q < nf->max_queues; q++)
		netif_napi_del(&queues[q].napi);
	free_netdev(dev);
	kvfree(queues);
}
