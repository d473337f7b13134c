// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-netback guest RX (dom0 -> frontend): start_xmit queues skbs (up to
 * a bound, then drops and counts rx_dropped); one kthread per queue
 * grant-copies them into the buffers the frontend posted, split at 4 KiB
 * slots, in multicalls of up to 256 copy ops, writes the responses (with
 * a GSO extra-info slot) and notifies once per batch. With no buffers
 * posted it stops the queue and sleeps until the frontend posts some.
 */
#define pr_fmt(fmt) "pvio-netback: " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <pvio/evtchn.h>
#include "common.h"

/* Worst case copy ops one skb needs (bounded before it is queued). */
#define PVIO_NB_RX_SKB_OPS	(2 * (MAX_SKB_FRAGS + 20))

/* What the response pass needs of each skb of a batch (in skb->cb). */
struct pvio_nb_rxcb {
	u16 ids[PVIO_NB_MAX_SLOTS];
	u16 op_first;
	u8 nr_ops;
	u8 nr_slots;			/* data slots */
	u8 gso;				/* a GSO extra slot follows slot 0 */
};

static struct pvio_nb_rxcb *pvio_nb_rxcb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct pvio_nb_rxcb) > sizeof(skb->cb));
	return (struct pvio_nb_rxcb *)skb->cb;
}

static unsigned int pvio_nb_rx_slots(const struct sk_buff *skb)
{
	return DIV_ROUND_UP(skb->len, PVIO_NB_PAGE) +
	       (skb_is_gso(skb) ? 1 : 0);
}

/* Enough posted buffers for @needed slots? Arms req_event if not. */
static bool pvio_nb_rx_slots_ok(struct pvio_nb_queue *queue, unsigned int needed)
{
	int n;

	for (;;) {
		n = PVIO_RING_REQUESTS_AVAIL(&queue->rx);
		if (n < 0) {
			pvio_nb_fatal(queue->vif, "impossible rx req_prod");
			return false;
		}
		if (n >= needed)
			return true;
		/* wake us when the frontend posts anything new */
		WRITE_ONCE(queue->rx_seen_prod, queue->rx.req_cons + n);
		WRITE_ONCE(queue->rx.sring->req_event, queue->rx.req_cons + n + 1);
		virt_mb(); /* req_event visible before req_prod is re-read */
		if (PVIO_RING_REQUESTS_AVAIL(&queue->rx) == n)
			return false;
	}
}

/* skbs wait for the guest on a vif that is up: what both looks start from. */
static bool pvio_nb_rx_pending(struct pvio_nb_queue *queue)
{
	return !queue->vif->disabled && READ_ONCE(queue->vif->connected) &&
	       !skb_queue_empty_lockless(&queue->rx_queue);
}

/**
 * pvio_nb_rx_work() - is there guest RX work the kthread can do now?
 * @queue: the queue
 *
 * The interrupt's look: it only reads the ring. The kthread's own look
 * before it sleeps also arms req_event (pvio_nb_rx_wait_work()).
 *
 * Context: any, hard IRQ included.
 *
 * Return: true if an skb is queued and the frontend has posted at least
 * the buffers the head skb waits for (or the ring must be halted).
 */
bool pvio_nb_rx_work(struct pvio_nb_queue *queue)
{
	RING_IDX n;

	if (!pvio_nb_rx_pending(queue))
		return false;
	n = READ_ONCE(queue->rx.sring->req_prod) - queue->rx.req_cons;
	return n >= max(1U, READ_ONCE(queue->rx_needed));
}

/*
 * The kthread's look before it sleeps (after prepare_to_wait()): work as
 * pvio_nb_rx_work() sees it, but with req_event armed for one more
 * buffer when the head skb still waits for some, as xen-netback's
 * xenvif_have_rx_work() arms it on every look. A wake-up for too few
 * buffers would otherwise leave req_event behind req_prod, and the
 * frontend's later posts would not notify: the queue would wait for
 * good once dom0's queue is stopped. Only the kthread writes req_event.
 */
static bool pvio_nb_rx_wait_work(struct pvio_nb_queue *queue)
{
	if (!pvio_nb_rx_pending(queue))
		return false;
	return pvio_nb_rx_slots_ok(queue, max(1U, READ_ONCE(queue->rx_needed))) ||
	       queue->vif->disabled;
}

/* How long the kthread sleeps without an event: a second with skbs waiting. */
static long pvio_nb_rx_idle_timeout(struct pvio_nb_queue *queue)
{
	if (queue->vif->disabled || skb_queue_empty_lockless(&queue->rx_queue))
		return MAX_SCHEDULE_TIMEOUT;
	return HZ;
}

/*
 * Let dom0's stack send to the vif again once the kthread has caught up.
 * Also looked at before the kthread sleeps: pvio_nb_start_xmit() may stop
 * the queue after the kthread's last look (it stops, then wakes us).
 */
static void pvio_nb_rx_wake_txq(struct pvio_nb_queue *queue)
{
	if (netif_tx_queue_stopped(pvio_nb_txq(queue)) && !queue->vif->disabled &&
	    skb_queue_len(&queue->rx_queue) < PVIO_NB_RX_QUEUE_MAX / 2 &&
	    !READ_ONCE(queue->rx_needed))
		netif_tx_wake_queue(pvio_nb_txq(queue));
}

static void pvio_nb_rx_op(struct gnttab_copy *op, struct pvio_nb_queue *queue,
			  struct page *page, unsigned int off, grant_ref_t ref,
			  unsigned int dst_off, unsigned int len)
{
	op->source.u.gmfn = pvio_page_to_gfn(queue->vif->d, page);
	op->source.domid = DOMID_SELF;
	op->source.offset = off;
	op->dest.u.ref = ref;
	op->dest.domid = queue->vif->domid;
	op->dest.offset = dst_off;
	op->len = len;
	op->flags = GNTCOPY_dest_gref;
	op->status = GNTST_general_error;
}

struct pvio_nb_rxpos {
	const grant_ref_t *refs;
	unsigned int slot, off, nops;
};

/* Copy ops for @len bytes at @page + @off, split at pages and slots. */
static void pvio_nb_rx_chunk(struct pvio_nb_queue *queue, struct pvio_nb_rxpos *pos,
			     struct gnttab_copy *ops, struct page *page,
			     unsigned int off, unsigned int len)
{
	unsigned int c;

	page += off >> PAGE_SHIFT;
	off &= ~PAGE_MASK;
	while (len) {
		if (pos->off == PVIO_NB_PAGE) {
			pos->slot++;
			pos->off = 0;
		}
		c = min3(len, (unsigned int)(PAGE_SIZE - off),
			 PVIO_NB_PAGE - pos->off);
		pvio_nb_rx_op(&ops[pos->nops++], queue, page, off,
			      pos->refs[pos->slot], pos->off, c);
		pos->off += c;
		off += c;
		len -= c;
		if (off == PAGE_SIZE) {
			page++;
			off = 0;
		}
	}
}

/* Consume the buffers for @skb and write its copy ops at @ops. */
static unsigned int pvio_nb_rx_build(struct pvio_nb_queue *queue,
				     struct sk_buff *skb,
				     struct gnttab_copy *ops)
{
	struct pvio_nb_rxcb *cb = pvio_nb_rxcb(skb);
	grant_ref_t refs[PVIO_NB_MAX_SLOTS];
	struct xen_netif_rx_request req;
	struct pvio_nb_rxpos pos = { .refs = refs };
	unsigned int i, nr = DIV_ROUND_UP(skb->len, PVIO_NB_PAGE);
	unsigned int headlen = skb_headlen(skb);

	cb->nr_slots = nr;
	cb->gso = skb_is_gso(skb);
	for (i = 0; i < nr + cb->gso; i++) {
		PVIO_RING_COPY_REQUEST(&queue->rx, queue->rx.req_cons++, &req);
		/* ring order: data 0, the GSO extra slot, data 1.. */
		if (cb->gso && i == 1)
			continue;
		refs[i - (cb->gso && i > 1)] = req.gref;
		cb->ids[i - (cb->gso && i > 1)] = req.id;
	}
	if (headlen)
		pvio_nb_rx_chunk(queue, &pos, ops, virt_to_page(skb->data),
				 offset_in_page(skb->data), headlen);
	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *f = &skb_shinfo(skb)->frags[i];

		pvio_nb_rx_chunk(queue, &pos, ops, skb_frag_page(f),
				 skb_frag_off(f), skb_frag_size(f));
	}
	cb->nr_ops = pos.nops;
	return pos.nops;
}

static void pvio_nb_rx_respond(struct pvio_nb_queue *queue, struct sk_buff *skb,
			       bool failed)
{
	struct pvio_nb_rxcb *cb = pvio_nb_rxcb(skb);
	unsigned int i, left = skb->len;

	for (i = 0; i < cb->nr_slots; i++) {
		struct xen_netif_rx_response *rsp =
			PVIO_RING_NEXT_RESPONSE(&queue->rx);
		unsigned int c = min_t(unsigned int, left, PVIO_NB_PAGE);
		u16 flags = 0;

		if (WARN_ON_ONCE(!rsp))
			return;
		if (i + 1 < cb->nr_slots)
			flags |= XEN_NETRXF_more_data;
		if (i == 0) {
			if (skb->ip_summed == CHECKSUM_PARTIAL)
				flags |= XEN_NETRXF_csum_blank |
					 XEN_NETRXF_data_validated;
			else if (skb->ip_summed == CHECKSUM_UNNECESSARY)
				flags |= XEN_NETRXF_data_validated;
			if (cb->gso)
				flags |= XEN_NETRXF_extra_info;
		}
		rsp->id = cb->ids[i];
		rsp->offset = 0;
		rsp->flags = flags;
		rsp->status = failed ? XEN_NETIF_RSP_ERROR : c;
		left -= c;
		if (i == 0 && cb->gso) {
			struct xen_netif_extra_info *extra =
				(void *)PVIO_RING_NEXT_RESPONSE(&queue->rx);

			if (WARN_ON_ONCE(!extra))
				return;
			extra->type = XEN_NETIF_EXTRA_TYPE_GSO;
			extra->flags = 0;
			extra->u.gso.size = skb_shinfo(skb)->gso_size;
			extra->u.gso.type =
				skb_shinfo(skb)->gso_type & SKB_GSO_TCPV6 ?
				XEN_NETIF_GSO_TYPE_TCPV6 :
				XEN_NETIF_GSO_TYPE_TCPV4;
			extra->u.gso.pad = 0;
			extra->u.gso.features = 0;
		}
	}
}

/* One batch: as many skbs as buffers and the op array allow. */
static void pvio_nb_rx_action(struct pvio_nb_queue *queue)
{
	struct sk_buff_head *done = &queue->rx_done;
	struct sk_buff *skb;
	unsigned int nops = 0, needed;
	bool notify;
	int err;

	while (nops + PVIO_NB_RX_SKB_OPS <= PVIO_NB_RX_BATCH_OPS &&
	       !queue->vif->disabled) {
		skb = skb_peek(&queue->rx_queue);
		if (!skb)
			break;
		needed = pvio_nb_rx_slots(skb);
		if (!pvio_nb_rx_slots_ok(queue, needed)) {
			WRITE_ONCE(queue->rx_needed, needed);
			if (!netif_tx_queue_stopped(pvio_nb_txq(queue))) {
				queue->stats.rx_stalls++;
				netif_tx_stop_queue(pvio_nb_txq(queue));
			}
			break;
		}
		WRITE_ONCE(queue->rx_needed, 0);
		skb = skb_dequeue(&queue->rx_queue);
		pvio_nb_rxcb(skb)->op_first = nops;
		nops += pvio_nb_rx_build(queue, skb, &queue->rx_copy[nops]);
		__skb_queue_tail(done, skb);
	}
	if (skb_queue_empty(done))
		goto out;

	err = pvio_gnttab_batch_mixed(queue->vif->d, NULL, 0, queue->rx_copy, nops,
				      NULL, 0);
	queue->stats.rx_batches++;
	queue->stats.rx_copy_ops += nops;
	while ((skb = __skb_dequeue(done))) {
		struct pvio_nb_rxcb *cb = pvio_nb_rxcb(skb);
		bool failed = false;
		unsigned int i;

		for (i = 0; err && i < cb->nr_ops; i++)
			if (queue->rx_copy[cb->op_first + i].status != GNTST_okay)
				failed = true;
		if (!queue->vif->disabled)
			pvio_nb_rx_respond(queue, skb, failed);
		if (failed) {
			queue->stats.rx_errors++;
			kfree_skb(skb);
			continue;
		}
		queue->stats.rx_packets++;
		queue->stats.rx_bytes += skb->len;
		if (skb_is_gso(skb))
			queue->stats.rx_gso++;
		if (skb->ip_summed == CHECKSUM_PARTIAL)
			queue->stats.rx_csum_partial++;
		consume_skb(skb);
	}
	if (!queue->vif->disabled) {
		notify = PVIO_RING_PUSH_RESPONSES(&queue->rx);
		if (notify)
			pvio_nb_notify(queue, true);
	}
	/*
	 * The event that woke us is handled: let the next one in. An RX
	 * port of its own (split event channels) stays masked until the
	 * thread is idle instead: a kick let in mid-batch finds its buffers
	 * taken, and spurious events raise the late-EOI back-off.
	 */
	if (queue->rx_irq <= 0)
		pvio_nb_eoi(queue, true);
out:
	pvio_nb_rx_wake_txq(queue);
}

/**
 * pvio_nb_rx_thread() - the guest RX kthread of a queue
 * @data: the queue
 *
 * Return: 0 when stopped.
 */
int pvio_nb_rx_thread(void *data)
{
	struct pvio_nb_queue *queue = data;
	bool timed_out = false;

	DEFINE_WAIT(wait);

	while (!kthread_should_stop()) {
		for (;;) {
			prepare_to_wait(&queue->rx_wq, &wait, TASK_INTERRUPTIBLE);
			if (kthread_should_stop())
				break;
			if (pvio_nb_rx_wait_work(queue)) {
				/* found by the re-check, not by an event */
				if (timed_out)
					queue->stats.rx_wake_timeout++;
				break;
			}
			pvio_nb_rx_wake_txq(queue);
			/*
			 * Idle: let events in. rx_active is clear before
			 * the EOI bit is taken (pairs with the interrupt's
			 * fetch_or before it reads rx_active): an event
			 * that saw us active leaves its bit for this EOI.
			 */
			WRITE_ONCE(queue->rx_active, false);
			smp_mb(); /* rx_active clear before the EOI bit is read */
			pvio_nb_eoi(queue, true);
			/*
			 * With skbs waiting, look again after a second even
			 * without an event (xen-netback's
			 * xenvif_rx_queue_timeout()): a lost event costs a
			 * second, never the queue.
			 */
			timed_out = !schedule_timeout(pvio_nb_rx_idle_timeout(queue));
		}
		finish_wait(&queue->rx_wq, &wait);
		timed_out = false;
		WRITE_ONCE(queue->rx_active, true);
		if (kthread_should_stop())
			break;
		pvio_nb_rx_action(queue);
		cond_resched();
	}
	return 0;
}

/**
 * pvio_nb_start_xmit() - dom0 sends a packet to the frontend
 * @skb: the packet
 * @dev: the vif
 *
 * The queue is the one the stack picked (skb_get_queue_mapping(): the
 * flow hash over the connected queues, as xen-netback's default).
 *
 * Context: softirq (the qdisc), BHs off.
 * Return: NETDEV_TX_OK (the skb is queued or dropped).
 */
netdev_tx_t pvio_nb_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct pvio_nb_vif *vif = netdev_priv(dev);
	unsigned int q = skb_get_queue_mapping(skb);
	struct pvio_nb_queue *queue;

	if (q >= READ_ONCE(vif->nr_queues))
		q = 0;
	queue = &vif->queues[q];
	if (!READ_ONCE(vif->connected) || vif->disabled) {
		queue->stats.rx_drop_down++;
		goto drop;
	}
	if (pvio_nb_rx_slots(skb) > PVIO_NB_MAX_SLOTS ||
	    skb_shinfo(skb)->nr_frags > MAX_SKB_FRAGS) {
		queue->stats.rx_drop_oversize++;
		goto drop;
	}
	if (skb_queue_len(&queue->rx_queue) >= PVIO_NB_RX_QUEUE_MAX) {
		queue->stats.rx_drop_queue_full++;
		goto drop;
	}
	skb_orphan(skb);
	skb_queue_tail(&queue->rx_queue, skb);
	if (skb_queue_len(&queue->rx_queue) >= PVIO_NB_RX_QUEUE_MAX)
		netif_tx_stop_queue(pvio_nb_txq(queue));
	wake_up(&queue->rx_wq);
	return NETDEV_TX_OK;
drop:
	queue->stats.rx_dropped++;
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

/**
 * pvio_nb_rx_init() - allocate the guest RX state
 * @queue: the queue
 *
 * Return: 0 or -ENOMEM.
 */
int pvio_nb_rx_init(struct pvio_nb_queue *queue)
{
	queue->rx_copy = kvcalloc(PVIO_NB_RX_BATCH_OPS,
				  sizeof(*queue->rx_copy), GFP_KERNEL);
	if (!queue->rx_copy)
		return -ENOMEM;
	skb_queue_head_init(&queue->rx_done);
	queue->rx_needed = 0;
	queue->rx_active = false;
	queue->rx_seen_prod = 0;
	return 0;
}

/**
 * pvio_nb_rx_free() - drop queued skbs, free the RX state
 * @queue: the queue, its kthread stopped
 */
void pvio_nb_rx_free(struct pvio_nb_queue *queue)
{
	skb_queue_purge(&queue->rx_queue);
	skb_queue_purge(&queue->rx_done);
	kvfree(queue->rx_copy);
	queue->rx_copy = NULL;
}
