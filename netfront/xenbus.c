// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-netfront control path (after xen-netfront's talk_to_netback() and
 * netback_changed()): the "vif" frontend driver. Probe reads the MAC and
 * creates eth<N>; the backend's InitWait makes us read its features, set
 * up the rings and the port and publish them with our own features in one
 * transaction (Initialised); its Connected brings the link up; its
 * Closing/Closed tears everything down (bus/state.c's reactions).
 *
 * Unless the backend is only restarting (pvio-netback reloaded, its store
 * directory re-created: pvio_xenbus_backend_restarting()): then eth<N>
 * stays registered and configured, its link down, its rings and buffers
 * released, and the frontend goes back to Initialising, where the new
 * backend's InitWait finds it; that backend's Connected brings the link
 * back up. One that does not come within recovery_timeout seconds is
 * given up as if it had closed.
 */
#define pr_fmt(fmt) "pvio-netfront: " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/etherdevice.h>
#include "netfront.h"

static unsigned int recovery_timeout = 60;
module_param(recovery_timeout, uint, 0644);
MODULE_PARM_DESC(recovery_timeout,
		 "Seconds a vif keeps its device while its backend restarts (module reloaded, store directory re-created) before tearing it down; 0 tears down at once (default 60)");

static bool split_event_channels = true;
module_param(split_event_channels, bool, 0644);
MODULE_PARM_DESC(split_event_channels,
		 "Use split event channels (one port per direction) when the backend offers feature-split-event-channels; read at each connect (default on)");

/* Longest wait honoured: a day. */
#define PVIO_NF_RECOVERY_MAX	(24 * 3600U)

static int pvio_nf_read_mac(struct pvio_xenbus_device *dev, u8 *mac)
{
	char *s = pvio_xs_read(dev->xs, PVIO_XBT_NIL, dev->nodename, "mac",
			       NULL);
	int err = 0;

	if (IS_ERR(s))
		return PTR_ERR(s);
	if (strlen(s) != 17 || !mac_pton(s, mac) ||
	    !is_valid_ether_addr(mac))
		err = -ENOENT;
	kfree(s);
	return err;
}

static int pvio_nf_connect(struct pvio_xenbus_device *dev)
{
	struct pvio_nf *nf = dev_get_drvdata(&dev->dev);
	struct pvio_xenbus_kv kv[] = {
		{ .key = "tx-ring-ref", .fmt = "%lu" },
		{ .key = "rx-ring-ref", .fmt = "%lu" },
		{ .key = "event-channel", .fmt = "%lu" },
		{ .key = "request-rx-copy", .fmt = "%lu", .val = 1 },
		{ .key = "feature-rx-notify", .fmt = "%lu", .val = 1 },
		{ .key = "feature-sg", .fmt = "%lu", .val = 1 },
		{ .key = "feature-gso-tcpv4", .fmt = "%lu", .val = 1 },
		{ .key = "feature-gso-tcpv6", .fmt = "%lu", .val = 1 },
		{ .key = "feature-ipv6-csum-offload", .fmt = "%lu", .val = 1 },
		/* last: written only with split event channels */
		{ .key = "event-channel-rx", .fmt = "%lu" },
	};
	int err;

	if (!pvio_xenbus_read_otherend_feature(dev, "feature-rx-copy", 0)) {
		pvio_xenbus_dev_fatal(dev, -EOPNOTSUPP,
				      "backend does not support rx-copy");
		return -EOPNOTSUPP;
	}
	nf->sg = pvio_xenbus_read_otherend_feature(dev, "feature-sg", 0);
	nf->gso_v4 = pvio_xenbus_read_otherend_feature(dev,
						       "feature-gso-tcpv4", 0);
	nf->gso_v6 = pvio_xenbus_read_otherend_feature(dev,
						       "feature-gso-tcpv6", 0);
	nf->ipv6_csum = pvio_xenbus_read_otherend_feature(dev,
							  "feature-ipv6-csum-offload",
							  0);
	nf->split = READ_ONCE(split_event_channels) &&
		    pvio_xenbus_read_otherend_feature(dev,
						      "feature-split-event-channels",
						      0);
	err = pvio_nf_setup_rings(nf);
	if (err) {
		pvio_xenbus_dev_fatal(dev, err, "setting up the rings");
		return err;
	}
	kv[0].val = nf->tx_ring_ref;
	kv[1].val = nf->rx_ring_ref;
	kv[2].val = nf->port;
	kv[ARRAY_SIZE(kv) - 1].val = nf->rx_port;
	/*
	 * event-channel, or event-channel-tx and -rx; a previous connect's
	 * keys of the other kind go, so the backend reads only this one's.
	 */
	if (nf->split)
		kv[2].key = "event-channel-tx";
	pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename,
		   nf->split ? "event-channel" : "event-channel-tx");
	if (!nf->split)
		pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename,
			   "event-channel-rx");
	err = pvio_xenbus_write_keys(dev, kv, ARRAY_SIZE(kv) - !nf->split,
				     XenbusStateInitialised);
	if (err) {
		pvio_xenbus_dev_fatal(dev, err, "writing tx-ring-ref");
		pvio_nf_teardown(nf);
	}
	return err;
}

/* Stop waiting for a backend; ctl_lock held. */
static void pvio_nf_unhold(struct pvio_nf *nf)
{
	if (!nf->held)
		return;
	nf->held = false;
	/* the work takes ctl_lock and finds nothing held */
	cancel_delayed_work(&nf->hold_work);
}

/*
 * The backend went away but is restarting: release everything it knew of
 * (pvio_nf_teardown(): link down, queues stopped, port unbound, grants
 * ended, unanswered TX and posted RX buffers freed), keep eth<N>, and go
 * back to Initialising (not Closed: a new backend's probe answers a Closed
 * frontend by closing). The first time, start the timeout. A repeated
 * Closing, Closed or vanished backend while held changes nothing.
 * ctl_lock held.
 */
static void pvio_nf_hold(struct pvio_nf *nf, unsigned int timeout)
{
	pvio_nf_teardown(nf);
	if (!nf->held) {
		nf->held = true;
		nf->stats.backend_restarts++;
		netdev_info(nf->dev,
			    "backend d%u went away: keeping %s for %us while it restarts\n",
			    nf->beid, nf->dev->name, timeout);
		queue_delayed_work(system_wq, &nf->hold_work,
				   msecs_to_jiffies(timeout * 1000U));
	}
	pvio_xenbus_switch_state(nf->xdev, XenbusStateInitialising);
}

/* recovery_timeout passed without a backend: tear down as on Closed. */
static void pvio_nf_hold_expired(struct work_struct *work)
{
	struct pvio_nf *nf = container_of(to_delayed_work(work),
					  struct pvio_nf, hold_work);

	mutex_lock(&nf->ctl_lock);
	if (nf->held) {
		nf->held = false;
		nf->stats.recovery_timeouts++;
		netdev_info(nf->dev,
			    "backend d%u did not come back: tearing down\n",
			    nf->beid);
		pvio_nf_teardown(nf);
		pvio_xenbus_frontend_closed(nf->xdev);
	}
	mutex_unlock(&nf->ctl_lock);
}

static void pvio_nf_step(struct pvio_xenbus_device *dev, struct pvio_nf *nf,
			 enum xenbus_state backend)
{
	struct pvio_xenbus_step s = pvio_xenbus_frontend_step(dev->state,
							      backend);
	unsigned int timeout = min(READ_ONCE(recovery_timeout),
				   PVIO_NF_RECOVERY_MAX);

	if (s.actions & PVIO_XB_ACT_DISCONNECT) {
		if ((nf->held || dev->state == XenbusStateConnected) &&
		    timeout && pvio_xenbus_backend_restarting(dev)) {
			pvio_nf_hold(nf, timeout);
			return;
		}
		pvio_nf_unhold(nf);
		pvio_nf_teardown(nf);
		if (s.next == XenbusStateClosed) {
			pvio_xenbus_frontend_closed(dev);
			return;
		}
	}
	if ((s.actions & PVIO_XB_ACT_CONNECT) && pvio_nf_connect(dev)) {
		/* an error state now (pvio_xenbus_dev_fatal()) */
		pvio_nf_unhold(nf);
		return;
	}
	pvio_xenbus_switch_state(dev, s.next);
	if (s.next != XenbusStateConnected)
		return;
	pvio_nf_start(nf);
	if (nf->held) {
		pvio_nf_unhold(nf);
		nf->stats.reconnects++;
		netdev_info(nf->dev, "reconnected to backend d%u\n", nf->beid);
	}
}

static void pvio_nf_changed(struct pvio_xenbus_device *dev,
			    enum xenbus_state backend)
{
	struct pvio_nf *nf = dev_get_drvdata(&dev->dev);

	mutex_lock(&nf->ctl_lock);
	pvio_nf_step(dev, nf, backend);
	mutex_unlock(&nf->ctl_lock);
}

static int pvio_nf_probe(struct pvio_xenbus_device *dev,
			 const struct pvio_xenbus_device_id *id)
{
	struct pvio_nf *nf;
	u8 mac[ETH_ALEN];
	int err;

	err = pvio_nf_read_mac(dev, mac);
	if (err) {
		pvio_xenbus_dev_fatal(dev, err, "reading %s/mac",
				      dev->nodename);
		return err;
	}
	nf = pvio_nf_create(dev, mac);
	if (IS_ERR(nf)) {
		pvio_xenbus_dev_fatal(dev, PTR_ERR(nf), "creating eth device");
		return PTR_ERR(nf);
	}
	INIT_DELAYED_WORK(&nf->hold_work, pvio_nf_hold_expired);
	dev_set_drvdata(&dev->dev, nf);
	return 0;
}

static void pvio_nf_remove(struct pvio_xenbus_device *dev)
{
	struct pvio_nf *nf = dev_get_drvdata(&dev->dev);

	if (!nf)
		return;
	/* no more otherend_changed(): the bus removed the watch */
	mutex_lock(&nf->ctl_lock);
	nf->held = false;
	mutex_unlock(&nf->ctl_lock);
	cancel_delayed_work_sync(&nf->hold_work);
	pvio_nf_destroy(nf);
	dev_set_drvdata(&dev->dev, NULL);
}

static const struct pvio_xenbus_device_id pvio_nf_ids[] = {
	{ "vif" },
	{ "" }
};

static struct pvio_xenbus_driver pvio_nf_driver = {
	.name = "pvio-netfront",
	.ids = pvio_nf_ids,
	.probe = pvio_nf_probe,
	.otherend_changed = pvio_nf_changed,
	.remove = pvio_nf_remove,
};

static int __init pvio_netfront_init(void)
{
	return pvio_xenbus_register_frontend(&pvio_nf_driver, THIS_MODULE,
					     KBUILD_MODNAME);
}
module_init(pvio_netfront_init);

static void __exit pvio_netfront_exit(void)
{
	pvio_xenbus_unregister_driver(&pvio_nf_driver);
}
module_exit(pvio_netfront_exit);

MODULE_DESCRIPTION("pvio network frontend (eth<N>)");
MODULE_LICENSE("GPL");
