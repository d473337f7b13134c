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
#undef S
};

static void pvio_nb_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	unsigned int i;

	if (sset != ETH_SS_STATS)
		return;
	for (i = 0; i < ARRAY_SIZE(pvio_nb_stat_names); i++)
		ethtool_sprintf(&data, "guest_%s", pvio_nb_stat_names[i].name);
}

static int pvio_nb_get_sset_count(struct net_device *dev, int sset)
{
	return sset == ETH_SS_STATS ? ARRAY_SIZE(pvio_nb_stat_names) :
	       -EOPNOTSUPP;
}

static void pvio_nb_get_ethtool_stats(struct net_device *dev,
				      struct ethtool_stats *st, u64 *data)
{
	struct pvio_nb_vif *vif = netdev_priv(dev);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pvio_nb_stat_names); i++)
		data[i] = READ_ONCE(*(u64 *)((char *)&vif->stats +
					     pvio_nb_stat_names[i].off));
}

/* ethtool -l: one queue (a TX and RX ring pair, one NAPI), as combined. */
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

/* dom0's view: what the guest transmits, we receive. */
static void pvio_nb_get_stats64(struct net_device *dev,
				struct rtnl_link_stats64 *s)
{
	struct pvio_nb_vif *vif = netdev_priv(dev);

	s->rx_packets = READ_ONCE(vif->stats.tx_packets);
	s->rx_bytes = READ_ONCE(vif->stats.tx_bytes);
	s->rx_errors = READ_ONCE(vif->stats.tx_errors);
	s->rx_dropped = READ_ONCE(vif->stats.tx_dropped);
	s->tx_packets = READ_ONCE(vif->stats.rx_packets);
	s->tx_bytes = READ_ONCE(vif->stats.rx_bytes);
	s->tx_errors = READ_ONCE(vif->stats.rx_errors);
	s->tx_dropped = READ_ONCE(vif->stats.rx_dropped);
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
	netif_start_queue(dev);
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
 * @vif: the vif
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
void pvio_nb_eoi(struct pvio_nb_vif *vif, bool rx)
{
	bool split_rx = rx && vif->rx_irq > 0;
	int bit = split_rx ? 2 : 1;
	int irq = split_rx ? vif->rx_irq : vif->irq;

	if ((atomic_fetch_andnot(bit, &vif->eoi_pending) & bit) && irq > 0)
		pvio_irq_lateeoi(irq, 0);
}

/**
 * pvio_nb_notify() - notify the frontend of new responses
 * @vif: the vif
 * @rx: RX responses (event-channel-rx if split) or TX ones
 *
 * Context: any.
 */
void pvio_nb_notify(struct pvio_nb_vif *vif, bool rx)
{
	int irq = rx && vif->rx_irq > 0 ? vif->rx_irq : vif->irq;

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
 * event under load (a split vif crawled, issue #15 item 3). The caller
 * set its EOI bit with a fully ordered atomic first: NAPI's idle end
 * clears NAPI_STATE_SCHED before it takes that bit, so one of the two
 * sees the other.
 */
static bool pvio_nb_tx_irq_work(struct pvio_nb_vif *vif)
{
	if (vif->disabled || !READ_ONCE(vif->connected))
		return false;
	return pvio_nb_tx_work(vif) ||
	       test_bit(NAPI_STATE_SCHED, &vif->napi.state);
}

/*
 * Does an RX event have a taker? The kthread running (it may have taken
 * the buffers this event announced; it issues the EOI when it goes
 * idle), or skbs waiting and buffers posted since the kthread last
 * looked (it armed req_event for one more buffer, but the head skb may
 * need several: it looks again and re-arms, as xen-netback's
 * xenvif_rx_ring_slots_available() does from the interrupt).
 */
static bool pvio_nb_rx_irq_work(struct pvio_nb_vif *vif)
{
	if (vif->disabled || !READ_ONCE(vif->connected))
		return false;
	if (READ_ONCE(vif->rx_active) || pvio_nb_rx_work(vif))
		return true;
	return !skb_queue_empty_lockless(&vif->rx_queue) &&
	       READ_ONCE(vif->rx.sring->req_prod) != READ_ONCE(vif->rx_seen_prod);
}

/* One port for both directions (no split event channels). */
static irqreturn_t pvio_nb_interrupt(int irq, void *data)
{
	struct pvio_nb_vif *vif = data;
	bool work = false;

	atomic_fetch_or(1, &vif->eoi_pending);
	if (pvio_nb_tx_irq_work(vif)) {
		napi_schedule(&vif->napi);
		work = true;
	}
	if (pvio_nb_rx_irq_work(vif)) {
		wake_up(&vif->rx_wq);
		work = true;
	}
	if (!work) {
		vif->stats.tx_spurious++;
		atomic_andnot(1, &vif->eoi_pending);
		pvio_irq_lateeoi(irq, PVIO_EOI_FLAG_SPURIOUS);
	}
	return IRQ_HANDLED;
}

/* event-channel-tx: the frontend queued TX requests. */
static irqreturn_t pvio_nb_tx_interrupt(int irq, void *data)
{
	struct pvio_nb_vif *vif = data;

	atomic_fetch_or(1, &vif->eoi_pending);
	if (pvio_nb_tx_irq_work(vif)) {
		napi_schedule(&vif->napi);
	} else {
		vif->stats.tx_spurious++;
		atomic_andnot(1, &vif->eoi_pending);
		pvio_irq_lateeoi(irq, PVIO_EOI_FLAG_SPURIOUS);
	}
	return IRQ_HANDLED;
}

/* event-channel-rx: the frontend posted RX buffers. */
static irqreturn_t pvio_nb_rx_interrupt(int irq, void *data)
{
	struct pvio_nb_vif *vif = data;

	atomic_fetch_or(2, &vif->eoi_pending);
	if (pvio_nb_rx_irq_work(vif)) {
		wake_up(&vif->rx_wq);
	} else {
		vif->stats.rx_spurious++;
		atomic_andnot(2, &vif->eoi_pending);
		pvio_irq_lateeoi(irq, PVIO_EOI_FLAG_SPURIOUS);
	}
	return IRQ_HANDLED;
}

/* Bind the frontend's port(s); the caller unbinds on failure. */
static int pvio_nb_bind(struct pvio_nb_vif *vif, evtchn_port_t tx_port,
			evtchn_port_t rx_port)
{
	bool split = tx_port != rx_port;
	irq_handler_t handler;
	int err;

	snprintf(vif->tx_irq_name, sizeof(vif->tx_irq_name), "%s%s",
		 vif->dev->name, split ? "-tx" : "");
	handler = split ? pvio_nb_tx_interrupt : pvio_nb_interrupt;
	err = pvio_bind_interdomain_evtchn_to_irqhandler_lateeoi(vif->d,
								 vif->domid,
								 tx_port,
								 handler, 0,
								 vif->tx_irq_name,
								 vif);
	if (err < 0) {
		pvio_xenbus_dev_fatal(vif->xdev, err,
				      "binding event channel %u", tx_port);
		return err;
	}
	vif->irq = err;
	if (!split)
		return 0;
	snprintf(vif->rx_irq_name, sizeof(vif->rx_irq_name), "%s-rx",
		 vif->dev->name);
	err = pvio_bind_interdomain_evtchn_to_irqhandler_lateeoi(vif->d,
								 vif->domid,
								 rx_port,
								 pvio_nb_rx_interrupt,
								 0,
								 vif->rx_irq_name,
								 vif);
	if (err < 0) {
		pvio_xenbus_dev_fatal(vif->xdev, err,
				      "binding event channel %u", rx_port);
		return err;
	}
	vif->rx_irq = err;
	return 0;
}

static void pvio_nb_unbind(struct pvio_nb_vif *vif)
{
	if (vif->rx_irq > 0)
		pvio_unbind_from_irqhandler(vif->rx_irq, vif);
	if (vif->irq > 0)
		pvio_unbind_from_irqhandler(vif->irq, vif);
	vif->rx_irq = 0;
	vif->irq = 0;
}

/**
 * pvio_nb_connect() - map the rings, bind the port(s), start both directions
 * @vif: the vif (not connected)
 * @tx_ref: the frontend's tx-ring-ref (untrusted)
 * @rx_ref: its rx-ring-ref (untrusted)
 * @tx_port: its event-channel, or event-channel-tx (untrusted)
 * @rx_port: @tx_port, or event-channel-rx with split event channels
 *	(untrusted)
 *
 * Context: process context (the control path).
 * Return: 0, or -errno with everything undone.
 */
int pvio_nb_connect(struct pvio_nb_vif *vif, grant_ref_t tx_ref,
		    grant_ref_t rx_ref, evtchn_port_t tx_port,
		    evtchn_port_t rx_port)
{
	struct pvio_xenbus_device *xdev = vif->xdev;
	struct page *page;
	int err;

	page = pvio_xenbus_map_ring(xdev, tx_ref, &vif->tx_handle);
	if (IS_ERR(page))
		return PTR_ERR(page);
	vif->tx_page = page;
	BACK_RING_INIT(&vif->tx, (struct xen_netif_tx_sring *)page_address(page),
		       PVIO_NB_PAGE);
	page = pvio_xenbus_map_ring(xdev, rx_ref, &vif->rx_handle);
	if (IS_ERR(page)) {
		err = PTR_ERR(page);
		goto unmap_tx;
	}
	vif->rx_page = page;
	BACK_RING_INIT(&vif->rx, (struct xen_netif_rx_sring *)page_address(page),
		       PVIO_NB_PAGE);
	vif->disabled = false;
	err = pvio_nb_tx_init(vif);
	if (err)
		goto unmap_rx;
	err = pvio_nb_rx_init(vif);
	if (err)
		goto free_tx;
	napi_enable(&vif->napi);
	vif->rx_task = kthread_run(pvio_nb_rx_thread, vif, "%s-rx",
				   vif->dev->name);
	if (IS_ERR(vif->rx_task)) {
		err = PTR_ERR(vif->rx_task);
		vif->rx_task = NULL;
		goto napi_off;
	}
	/* woken per packet by start_xmit: let it preempt the sender */
	set_user_nice(vif->rx_task, MIN_NICE);
	atomic_set(&vif->eoi_pending, 0);
	err = pvio_nb_bind(vif, tx_port, rx_port);
	if (err)
		goto stop_thread;
	WRITE_ONCE(vif->connected, true);
	rtnl_lock();
	netdev_update_features(vif->dev);
	rtnl_unlock();
	netif_carrier_on(vif->dev);
	if (netif_running(vif->dev))
		netif_wake_queue(vif->dev);
	local_bh_disable();
	napi_schedule(&vif->napi);
	local_bh_enable();
	wake_up(&vif->rx_wq);
	return 0;

stop_thread:
	pvio_nb_unbind(vif);
	kthread_stop(vif->rx_task);
	vif->rx_task = NULL;
napi_off:
	napi_disable(&vif->napi);
	pvio_nb_rx_free(vif);
free_tx:
	pvio_nb_tx_free(vif);
unmap_rx:
	pvio_xenbus_unmap_ring(xdev, vif->rx_handle, vif->rx_page);
	vif->rx_page = NULL;
unmap_tx:
	pvio_xenbus_unmap_ring(xdev, vif->tx_handle, vif->tx_page);
	vif->tx_page = NULL;
	return err;
}

/**
 * pvio_nb_disconnect() - stop both directions, unbind, unmap
 * @vif: the vif; harmless if not connected
 *
 * Waits for the stack to release every zero-copy skb before the rings go.
 *
 * Context: process context.
 */
void pvio_nb_disconnect(struct pvio_nb_vif *vif)
{
	if (!vif->connected)
		return;
	WRITE_ONCE(vif->connected, false);
	netif_carrier_off(vif->dev);
	netif_tx_disable(vif->dev);
	if (vif->rx_task)
		kthread_stop(vif->rx_task);
	vif->rx_task = NULL;
	napi_disable(&vif->napi);
	pvio_nb_unbind(vif);
	pvio_nb_tx_drain(vif);
	pvio_nb_rx_free(vif);
	pvio_nb_tx_free(vif);
	pvio_xenbus_unmap_ring(vif->xdev, vif->rx_handle, vif->rx_page);
	pvio_xenbus_unmap_ring(vif->xdev, vif->tx_handle, vif->tx_page);
	vif->rx_page = NULL;
	vif->tx_page = NULL;
}

/**
 * pvio_nb_vif_create() - allocate and register vif<domid>.<handle>
 * @xdev: the backend device
 * @handle: the vif's handle
 * @mac: unused by the vif itself (the frontend's MAC); may be NULL
 *
 * Context: process context.
 * Return: the vif or an ERR_PTR.
 */
struct pvio_nb_vif *pvio_nb_vif_create(struct pvio_xenbus_device *xdev,
				       unsigned int handle, const u8 *mac)
{
	static const u8 dummy[ETH_ALEN] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct net_device *dev;
	struct pvio_nb_vif *vif;
	char name[IFNAMSIZ];
	int err;

	snprintf(name, sizeof(name), "vif%u.%u", xdev->otherend_id, handle);
	dev = alloc_netdev(sizeof(*vif), name, NET_NAME_PREDICTABLE,
			   ether_setup);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	vif = netdev_priv(dev);
	vif->xdev = xdev;
	vif->dev = dev;
	vif->d = xdev->domain;
	vif->domid = xdev->otherend_id;
	vif->handle = handle;
	init_waitqueue_head(&vif->rx_wq);
	spin_lock_init(&vif->rate_lock);
	hrtimer_init(&vif->credit_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	vif->credit_timer.function = pvio_nb_credit_timer;
	skb_queue_head_init(&vif->rx_queue);
	skb_queue_head_init(&vif->rx_done);
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
	netif_napi_add(dev, &vif->napi, pvio_nb_poll);
	netif_carrier_off(dev);
	err = register_netdev(dev);
	if (err) {
		netif_napi_del(&vif->napi);
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

	pvio_nb_disconnect(vif);
	unregister_netdev(dev);
	netif_napi_del(&vif->napi);
	free_netdev(dev);
}
