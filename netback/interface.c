// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-netback: the vif<domid>.<handle> net_device, its ethtool
 * statistics, and connecting/disconnecting its rings (called by the
 * control path in xenbus.c).
 */
#define pr_fmt(fmt) "pvio-netback: " fmt

#include <linux/kernel.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_vlan.h>
#include <linux/rtnetlink.h>
#include <linux/interrupt.h>
#include <linux/sched.h>
#include <pvio/evtchn.h>
#include "common.h"

static const struct {
	const char *name;
	size_t off;
} pvio_nb_stat_names[] = {
#define S(f) { #f, offsetof(struct pvio_nb_stats, f) }
	S(rx_packets), S(rx_bytes), S(rx_dropped), S(rx_errors),
	S(tx_packets), S(tx_bytes), S(tx_dropped), S(tx_errors),
	S(tx_zerocopy), S(tx_zerocopy_done), S(tx_copied), S(tx_frag_copy),
	S(tx_bad), S(tx_gso), S(tx_csum_partial), S(tx_gro_merged),
	S(tx_rate_limited),
	S(rx_gso), S(rx_copy_ops), S(rx_batches), S(rx_stalls),
	S(rx_csum_partial), S(tx_spurious), S(rx_spurious),
	S(tx_zerocopy_copied), S(tx_zerocopy_timeout), S(tx_map_ops),
	S(tx_copy_ops), S(tx_pending_full), S(tx_drop_nomem),
	S(rx_drop_down), S(rx_drop_oversize), S(rx_drop_queue_full),
	S(rx_wake_timeout),
#undef S
};

/* Per-queue counters in ethtool -S, after the vif's totals. */
static const struct {
	const char *name;
	size_t off;
} pvio_nb_queue_stat_names[] = {
#define S(f) { #f, offsetof(struct pvio_nb_stats, f) }
	S(tx_packets), S(tx_bytes), S(rx_packets), S(rx_bytes),
	S(tx_copy_ops), S(tx_map_ops), S(tx_zerocopy), S(tx_zerocopy_done),
	S(tx_zerocopy_copied), S(tx_zerocopy_timeout), S(tx_pending_full),
	S(tx_dropped), S(tx_bad), S(rx_copy_ops), S(rx_stalls), S(rx_dropped),
	S(rx_drop_down), S(rx_drop_oversize), S(rx_drop_queue_full),
	S(rx_wake_timeout),
#undef S
};

static void pvio_nb_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	struct pvio_nb_vif *vif = netdev_priv(dev);
	unsigned int i, q;

	if (sset != ETH_SS_STATS)
		return;
	for (i = 0; i < ARRAY_SIZE(pvio_nb_stat_names); i++)
		ethtool_sprintf(&data, "guest_%s", pvio_nb_stat_names[i].name);
	for (q = 0; q < vif->max_queues; q++)
		for (i = 0; i < ARRAY_SIZE(pvio_nb_queue_stat_names); i++)
			ethtool_sprintf(&data, "q%u_guest_%s", q,
					pvio_nb_queue_stat_names[i].name);
}

static int pvio_nb_get_sset_count(struct net_device *dev, int sset)
{
	struct pvio_nb_vif *vif = netdev_priv(dev);

	return sset == ETH_SS_STATS ? ARRAY_SIZE(pvio_nb_stat_names) +
	       vif->max_queues * ARRAY_SIZE(pvio_nb_queue_stat_names) :
	       -EOPNOTSUPP;
}

static u64 pvio_nb_stat(const struct pvio_nb_queue *queue, size_t off)
{
	return READ_ONCE(*(u64 *)((char *)&queue->stats + off));
}

/* A counter summed over every queue (they keep counting across connects). */
static u64 pvio_nb_stat_sum(const struct pvio_nb_vif *vif, size_t off)
{
	unsigned int q;
	u64 sum = 0;

	for (q = 0; q < vif->max_queues; q++)
		sum += pvio_nb_stat(&vif->queues[q], off);
	return sum;
}

static void pvio_nb_get_ethtool_stats(struct net_device *dev,
				      struct ethtool_stats *st, u64 *data)
{
	struct pvio_nb_vif *vif = netdev_priv(dev);
	unsigned int i, q;

	for (i = 0; i < ARRAY_SIZE(pvio_nb_stat_names); i++)
		*data++ = pvio_nb_stat_sum(vif, pvio_nb_stat_names[i].off);
	for (q = 0; q < vif->max_queues; q++)
		for (i = 0; i < ARRAY_SIZE(pvio_nb_queue_stat_names); i++)
			*data++ = pvio_nb_stat(&vif->queues[q],
					       pvio_nb_queue_stat_names[i].off);
}

/* ethtool -l: the queues (a TX and RX ring pair, one NAPI each), combined. */
static void pvio_nb_get_channels(struct net_device *dev,
				 struct ethtool_channels *ch)
{
	ch->max_combined = dev->num_tx_queues;
	ch->combined_count = dev->real_num_tx_queues;
}

static const struct ethtool_ops pvio_nb_ethtool_ops = {
	.get_link = ethtool_op_get_link,
	.get_channels = pvio_nb_get_channels,
	.get_strings = pvio_nb_get_strings,
	.get_sset_count = pvio_nb_get_sset_count,
	.get_ethtool_stats = pvio_nb_get_ethtool_stats,
};

#define PVIO_NB_SUM(vif, f) \
	pvio_nb_stat_sum(vif, offsetof(struct pvio_nb_stats, f))

/* dom0's view: what the guest transmits, we receive. */
static void pvio_nb_get_stats64(struct net_device *dev,
				struct rtnl_link_stats64 *s)
{
	struct pvio_nb_vif *vif = netdev_priv(dev);

	s->rx_packets = PVIO_NB_SUM(vif, tx_packets);
	s->rx_bytes = PVIO_NB_SUM(vif, tx_bytes);
	s->rx_errors = PVIO_NB_SUM(vif, tx_errors);
	s->rx_dropped = PVIO_NB_SUM(vif, tx_dropped);
	s->tx_packets = PVIO_NB_SUM(vif, rx_packets);
	s->tx_bytes = PVIO_NB_SUM(vif, rx_bytes);
	s->tx_errors = PVIO_NB_SUM(vif, rx_errors);
	s->tx_dropped = PVIO_NB_SUM(vif, rx_dropped);
}

static netdev_features_t pvio_nb_fix_features(struct net_device *dev,
					      netdev_features_t features)
{
	struct pvio_nb_vif *vif = netdev_priv(dev);

	if (!vif->can_sg)
		features &= ~NETIF_F_SG;
	if (!vif->gso_v4)
		features &= ~NETIF_F_TSO;
	if (!vif->gso_v6)
		features &= ~NETIF_F_TSO6;
	if (!vif->ipv6_csum)
		features &= ~NETIF_F_IPV6_CSUM;
	if (!vif->ip_csum)
		features &= ~NETIF_F_IP_CSUM;
	return features;
}

static int pvio_nb_change_mtu(struct net_device *dev, int mtu)
{
	struct pvio_nb_vif *vif = netdev_priv(dev);

	if (mtu > ETH_DATA_LEN && !vif->can_sg)
		return -EINVAL;
	dev->mtu = mtu;
	return 0;
}

static int pvio_nb_open(struct net_device *dev)
{
	netif_tx_start_all_queues(dev);
	return 0;
}

static int pvio_nb_close(struct net_device *dev)
{
	netif_tx_disable(dev);
	return 0;
}

static const struct net_device_ops pvio_nb_netdev_ops = {
	.ndo_open = pvio_nb_open,
	.ndo_stop = pvio_nb_close,
	.ndo_start_xmit = pvio_nb_start_xmit,
	.ndo_get_stats64 = pvio_nb_get_stats64,
	.ndo_fix_features = pvio_nb_fix_features,
	.ndo_change_mtu = pvio_nb_change_mtu,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

/**
 * pvio_nb_fatal() - the frontend broke the protocol: halt this vif
 * @vif: the vif
 * @why: what it did
 *
 * One rate-limited line; the rings are never touched again; the link goes
 * down. Every other vif and domain keeps working.
 *
 * Context: any.
 */
void pvio_nb_fatal(struct pvio_nb_vif *vif, const char *why)
{
	if (vif->disabled)
		return;
	WRITE_ONCE(vif->disabled, true);
	net_err_ratelimited("%s: frontend d%u: %s; vif disabled\n",
			    vif->dev->name, vif->domid, why);
	netif_carrier_off(vif->dev);
}

/**
 * pvio_nb_eoi() - one direction went idle: end its pending event
 * @queue: the queue
 * @rx: true from the RX kthread, false from NAPI (guest TX)
 *
 * Late EOI (XSA-332): a port stays masked from its interrupt until NAPI or
 * the RX kthread has done the work it announced. With one port for both
 * directions, whichever goes idle first issues the EOI; with split event
 * channels each direction ends its own port's event, as xen-netback's
 * xenvif_tx_interrupt() and xenvif_rx_interrupt().
 *
 * Context: any.
 */
void pvio_nb_eoi(struct pvio_nb_queue *queue, bool rx)
{
	bool split_rx = rx && queue->rx_irq > 0;
	int bit = split_rx ? 2 : 1;
	int irq = split_rx ? queue->rx_irq : queue->irq;

	if ((atomic_fetch_andnot(bit, &queue->eoi_pending) & bit) && irq > 0)
		pvio_irq_lateeoi(irq, 0);
}

/**
 * pvio_nb_notify() - notify the frontend of new responses
 * @queue: the queue
 * @rx: RX responses (event-channel-rx if split) or TX ones
 *
 * Context: any.
 */
void pvio_nb_notify(struct pvio_nb_queue *queue, bool rx)
{
	int irq = rx && queue->rx_irq > 0 ? queue->rx_irq : queue->irq;

	if (irq > 0)
		pvio_notify_remote_via_irq(irq);
}

/*
 * Does a TX event have a poller? Requests or released slots waiting, or
 * NAPI already scheduled: a poll started by a zero-copy completion (or
 * the credit timer) may have taken the requests this event announced
 * before the handler looked. Such an event is not spurious: NAPI is
 * scheduled again (NAPI_STATE_MISSED) and its idle end issues the EOI.
 * Counting it as spurious raised the late-EOI back-off to a second per
 * event under load (a split queue crawled, issue #15 item 3). The caller
 * set its EOI bit with a fully ordered atomic first: NAPI's idle end
 * clears NAPI_STATE_SCHED before it takes that bit, so one of the two
 * sees the other.
 */
static bool pvio_nb_tx_irq_work(struct pvio_nb_queue *queue)
{
	if (queue->vif->disabled || !READ_ONCE(queue->vif->connected))
		return false;
	return pvio_nb_tx_work(queue) ||
	       test_bit(NAPI_STATE_SCHED, &queue->napi.state);
}

/*
 * Does an RX event have a taker? The kthread running (it may have taken
 * the buffers this event announced; it issues the EOI when it goes
 * idle), or skbs waiting and buffers posted since the kthread last
 * looked (it armed req_event for one more buffer, but the head skb may
 * need several: it looks again and re-arms before it sleeps,
 * pvio_nb_rx_wait_work(), as xen-netback's xenvif_have_rx_work() does).
 */
static bool pvio_nb_rx_irq_work(struct pvio_nb_queue *queue)
{
	if (queue->vif->disabled || !READ_ONCE(queue->vif->connected))
		return false;
	if (READ_ONCE(queue->rx_active) || pvio_nb_rx_work(queue))
		return true;
	return !skb_queue_empty_lockless(&queue->rx_queue) &&
	       READ_ONCE(queue->rx.sring->req_prod) != READ_ONCE(queue->rx_seen_prod);
}

/* One port for both directions (no split event channels). */
static irqreturn_t pvio_nb_interrupt(int irq, void *data)
{
	struct pvio_nb_queue *queue = data;
	bool work = false;

	atomic_fetch_or(1, &queue->eoi_pending);
	if (pvio_nb_tx_irq_work(queue)) {
		napi_schedule(&queue->napi);
		work = true;
	}
	if (pvio_nb_rx_irq_work(queue)) {
		wake_up(&queue->rx_wq);
		work = true;
	}
	if (!work) {
		queue->stats.tx_spurious++;
		atomic_andnot(1, &queue->eoi_pending);
		pvio_irq_lateeoi(irq, PVIO_EOI_FLAG_SPURIOUS);
	}
	return IRQ_HANDLED;
}

/* event-channel-tx: the frontend queued TX requests. */
static irqreturn_t pvio_nb_tx_interrupt(int irq, void *data)
{
	struct pvio_nb_queue *queue = data;

	atomic_fetch_or(1, &queue->eoi_pending);
	if (pvio_nb_tx_irq_work(queue)) {
		napi_schedule(&queue->napi);
	} else {
		queue->stats.tx_spurious++;
		atomic_andnot(1, &queue->eoi_pending);
		pvio_irq_lateeoi(irq, PVIO_EOI_FLAG_SPURIOUS);
	}
	return IRQ_HANDLED;
}

/* event-channel-rx: the frontend posted RX buffers. */
static irqreturn_t pvio_nb_rx_interrupt(int irq, void *data)
{
	struct pvio_nb_queue *queue = data;

	atomic_fetch_or(2, &queue->eoi_pending);
	if (pvio_nb_rx_irq_work(queue)) {
		wake_up(&queue->rx_wq);
	} else {
		queue->stats.rx_spurious++;
		atomic_andnot(2, &queue->eoi_pending);
		pvio_irq_lateeoi(irq, PVIO_EOI_FLAG_SPURIOUS);
	}
	return IRQ_HANDLED;
}

/*
 * Bind the frontend's port(s) of @queue; the caller unbinds on failure.
 * Interrupt names as today with one queue (<vif>, or <vif>-tx and
 * <vif>-rx), with several as xen-netback's (<vif>-q<N>, or -q<N>-tx and
 * -q<N>-rx).
 */
static int pvio_nb_bind(struct pvio_nb_queue *queue, evtchn_port_t tx_port,
			evtchn_port_t rx_port)
{
	struct pvio_nb_vif *vif = queue->vif;
	bool split = tx_port != rx_port;
	irq_handler_t handler;
	char base[IFNAMSIZ + 8];
	int err;

	if (vif->nr_queues > 1)
		snprintf(base, sizeof(base), "%s-q%u", vif->dev->name,
			 queue->id);
	else
		snprintf(base, sizeof(base), "%s", vif->dev->name);
	snprintf(queue->tx_irq_name, sizeof(queue->tx_irq_name), "%s%s",
		 base, split ? "-tx" : "");
	handler = split ? pvio_nb_tx_interrupt : pvio_nb_interrupt;
	err = pvio_bind_interdomain_evtchn_to_irqhandler_lateeoi(vif->d,
								 vif->domid,
								 tx_port,
								 handler, 0,
								 queue->tx_irq_name,
								 queue);
	if (err < 0) {
		pvio_xenbus_dev_fatal(vif->xdev, err,
				      "binding event channel %u", tx_port);
		return err;
	}
	queue->irq = err;
	if (!split)
		return 0;
	snprintf(queue->rx_irq_name, sizeof(queue->rx_irq_name), "%s-rx",
		 base);
	err = pvio_bind_interdomain_evtchn_to_irqhandler_lateeoi(vif->d,
								 vif->domid,
								 rx_port,
								 pvio_nb_rx_interrupt,
								 0,
								 queue->rx_irq_name,
								 queue);
	if (err < 0) {
		pvio_xenbus_dev_fatal(vif->xdev, err,
				      "binding event channel %u", rx_port);
		return err;
	}
	queue->rx_irq = err;
	return 0;
}

static void pvio_nb_unbind(struct pvio_nb_queue *queue)
{
	if (queue->rx_irq > 0)
		pvio_unbind_from_irqhandler(queue->rx_irq, queue);
	if (queue->irq > 0)
		pvio_unbind_from_irqhandler(queue->irq, queue);
	queue->rx_irq = 0;
	queue->irq = 0;
}

/* Unmap one queue's TX and RX rings in one batch. */
static void pvio_nb_unmap_rings(struct pvio_nb_queue *queue)
{
	const grant_handle_t handles[2] = { queue->tx_handle,
					    queue->rx_handle };
	struct page *pages[2] = { queue->tx_page, queue->rx_page };

	if (!queue->tx_page)
		return;
	pvio_xenbus_unmap_ring_refs(queue->vif->xdev, handles, pages, 2);
	queue->tx_page = NULL;
	queue->rx_page = NULL;
}

/* Map one queue's rings, bind its port(s), start its NAPI and kthread. */
static int pvio_nb_queue_connect(struct pvio_nb_queue *queue,
				 grant_ref_t tx_ref, grant_ref_t rx_ref,
				 evtchn_port_t tx_port, evtchn_port_t rx_port)
{
	struct pvio_nb_vif *vif = queue->vif;
	struct pvio_xenbus_device *xdev = vif->xdev;
	const grant_ref_t refs[2] = { tx_ref, rx_ref };
	struct page *pages[2];
	grant_handle_t handles[2];
	int err;

	/* Both rings in one batch, or neither (the device marked fatal). */
	err = pvio_xenbus_map_ring_refs(xdev, refs, 2, pages, handles);
	if (err)
		return err;
	queue->tx_page = pages[0];
	queue->tx_handle = handles[0];
	queue->rx_page = pages[1];
	queue->rx_handle = handles[1];
	BACK_RING_INIT(&queue->tx,
		       (struct xen_netif_tx_sring *)page_address(pages[0]),
		       PVIO_NB_PAGE);
	BACK_RING_INIT(&queue->rx,
		       (struct xen_netif_rx_sring *)page_address(pages[1]),
		       PVIO_NB_PAGE);
	err = pvio_nb_tx_init(queue);
	if (err)
		goto unmap;
	err = pvio_nb_rx_init(queue);
	if (err)
		goto free_tx;
	napi_enable(&queue->napi);
	if (vif->nr_queues > 1)
		queue->rx_task = kthread_run(pvio_nb_rx_thread, queue,
					     "%s-q%u-rx", vif->dev->name,
					     queue->id);
	else
		queue->rx_task = kthread_run(pvio_nb_rx_thread, queue,
					     "%s-rx", vif->dev->name);
	if (IS_ERR(queue->rx_task)) {
		err = PTR_ERR(queue->rx_task);
		queue->rx_task = NULL;
		goto napi_off;
	}
	/* woken per packet by start_xmit: let it preempt the sender */
	set_user_nice(queue->rx_task, MIN_NICE);
	atomic_set(&queue->eoi_pending, 0);
	err = pvio_nb_bind(queue, tx_port, rx_port);
	if (err)
		goto stop_thread;
	return 0;

stop_thread:
	pvio_nb_unbind(queue);
	kthread_stop(queue->rx_task);
	queue->rx_task = NULL;
napi_off:
	napi_disable(&queue->napi);
	pvio_nb_rx_free(queue);
free_tx:
	pvio_nb_tx_free(queue);
unmap:
	pvio_nb_unmap_rings(queue);
	return err;
}

/* Undo pvio_nb_queue_connect(); the vif's connected is clear. */
static void pvio_nb_queue_disconnect(struct pvio_nb_queue *queue)
{
	if (queue->rx_task)
		kthread_stop(queue->rx_task);
	queue->rx_task = NULL;
	napi_disable(&queue->napi);
	pvio_nb_unbind(queue);
	pvio_nb_tx_drain(queue);
	pvio_nb_rx_free(queue);
	pvio_nb_tx_free(queue);
	pvio_nb_unmap_rings(queue);
}

/**
 * pvio_nb_connect() - map every queue's rings, bind its ports, start it
 * @vif: the vif (not connected)
 * @keys: the frontend's queues (pvio_netback_read_queue_keys(): at most
 *	@vif->max_queues; refs and ports untrusted)
 *
 * Each queue, as xen-netback's connect_data_rings(): its two rings mapped,
 * its event channel(s) bound (one per direction with split event
 * channels), its NAPI context (guest TX) and RX kthread started. The
 * netdev gets as many TX and RX queues. A ring that does not map or a
 * port that does not bind undoes every queue.
 *
 * Context: process context (the control path), takes the RTNL.
 * Return: 0, -EINVAL (more queues than offered), or -errno from mapping
 * or binding with everything undone.
 */
int pvio_nb_connect(struct pvio_nb_vif *vif,
		    const struct pvio_nb_queue_keys *keys)
{
	unsigned int n = keys->nr_queues, q;
	int err;

	if (!n || n > vif->max_queues)
		return -EINVAL;
	rtnl_lock();
	err = netif_set_real_num_tx_queues(vif->dev, n);
	if (!err)
		err = netif_set_real_num_rx_queues(vif->dev, n);
	rtnl_unlock();
	if (err)
		return err;
	vif->disabled = false;
	vif->nr_queues = n;
	for (q = 0; q < n; q++) {
		err = pvio_nb_queue_connect(&vif->queues[q], keys->q[q].tx_ref,
					    keys->q[q].rx_ref,
					    keys->q[q].tx_port,
					    keys->q[q].rx_port);
		if (err)
			goto undo;
	}
	WRITE_ONCE(vif->connected, true);
	rtnl_lock();
	netdev_update_features(vif->dev);
	rtnl_unlock();
	netif_carrier_on(vif->dev);
	if (netif_running(vif->dev))
		netif_tx_wake_all_queues(vif->dev);
	for (q = 0; q < n; q++) {
		local_bh_disable();
		napi_schedule(&vif->queues[q].napi);
		local_bh_enable();
		wake_up(&vif->queues[q].rx_wq);
	}
	return 0;

undo:
	while (q--)
		pvio_nb_queue_disconnect(&vif->queues[q]);
	return err;
}

/**
 * pvio_nb_disconnect() - stop every queue, unbind, unmap
 * @vif: the vif; harmless if not connected
 *
 * Waits for the stack to release every zero-copy skb before the rings go.
 *
 * Context: process context.
 */
void pvio_nb_disconnect(struct pvio_nb_vif *vif)
{
	unsigned int q;

	if (!vif->connected)
		return;
	WRITE_ONCE(vif->connected, false);
	netif_carrier_off(vif->dev);
	netif_tx_disable(vif->dev);
	for (q = 0; q < vif->nr_queues; q++)
		pvio_nb_queue_disconnect(&vif->queues[q]);
}

/**
 * pvio_nb_vif_create() - allocate and register vif<domid>.<handle>
 * @xdev: the backend device
 * @handle: the vif's handle
 * @max_queues: the queues it offers (multi-queue-max-queues), 1 or more
 *
 * The net_device has @max_queues TX and RX queues, one in use until a
 * frontend connects more; each queue's NAPI context is added here.
 *
 * Context: process context.
 * Return: the vif or an ERR_PTR.
 */
struct pvio_nb_vif *pvio_nb_vif_create(struct pvio_xenbus_device *xdev,
				       unsigned int handle,
				       unsigned int max_queues)
{
	static const u8 dummy[ETH_ALEN] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct net_device *dev;
	struct pvio_nb_vif *vif;
	char name[IFNAMSIZ];
	unsigned int q;
	int err;

	snprintf(name, sizeof(name), "vif%u.%u", xdev->otherend_id, handle);
	dev = alloc_netdev_mq(sizeof(*vif), name, NET_NAME_PREDICTABLE,
			      ether_setup, max_queues);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	vif = netdev_priv(dev);
	vif->queues = kvcalloc(max_queues, sizeof(*vif->queues), GFP_KERNEL);
	if (!vif->queues) {
		free_netdev(dev);
		return ERR_PTR(-ENOMEM);
	}
	vif->xdev = xdev;
	vif->dev = dev;
	vif->d = xdev->domain;
	vif->domid = xdev->otherend_id;
	vif->handle = handle;
	vif->max_queues = max_queues;
	vif->nr_queues = 1;
	spin_lock_init(&vif->rate_lock);
	for (q = 0; q < max_queues; q++) {
		struct pvio_nb_queue *queue = &vif->queues[q];

		queue->vif = vif;
		queue->id = q;
		init_waitqueue_head(&queue->rx_wq);
		hrtimer_init(&queue->credit_timer, CLOCK_MONOTONIC,
			     HRTIMER_MODE_ABS);
		queue->credit_timer.function = pvio_nb_credit_timer;
		skb_queue_head_init(&queue->rx_queue);
		skb_queue_head_init(&queue->rx_done);
		netif_napi_add(dev, &queue->napi, pvio_nb_poll);
	}
	SET_NETDEV_DEV(dev, &xdev->dev);
	dev->netdev_ops = &pvio_nb_netdev_ops;
	dev->ethtool_ops = &pvio_nb_ethtool_ops;
	dev->hw_features = NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_IPV6_CSUM |
			   NETIF_F_TSO | NETIF_F_TSO6;
	dev->features = dev->hw_features | NETIF_F_RXCSUM;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_MAX_MTU - VLAN_ETH_HLEN;
	dev->tx_queue_len = 1000;
	eth_hw_addr_set(dev, dummy);
	netif_carrier_off(dev);
	err = netif_set_real_num_tx_queues(dev, 1);
	if (!err)
		err = netif_set_real_num_rx_queues(dev, 1);
	if (!err)
		err = register_netdev(dev);
	if (err) {
		for (q = 0; q < max_queues; q++)
			netif_napi_del(&vif->queues[q].napi);
		kvfree(vif->queues);
		free_netdev(dev);
		return ERR_PTR(err);
	}
	return vif;
}

/**
 * pvio_nb_vif_destroy() - disconnect, unregister and free a vif
 * @vif: the vif
 *
 * Context: process context.
 */
void pvio_nb_vif_destroy(struct pvio_nb_vif *vif)
{
	struct net_device *dev = vif->dev;
	struct pvio_nb_queue *queues = vif->queues;
	unsigned int q;

	pvio_nb_disconnect(vif);
	unregister_netdev(dev);
	for (q = 0; q < vif->max_queues; q++)
		netif_napi_del(&queues[q].napi);
	free_netdev(dev);
	kvfree(queues);
}
