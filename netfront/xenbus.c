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

/*
 * Offloads of the frontend's receive path, advertised at each connect:
 * with offload off (or eth<N>'s checksumming or TSO turned off with
 * ethtool -K before the connect) the keys say the frontend wants full
 * checksums and no GSO (feature-no-csum-offload), and eth<N> sends none.
 */
static bool offload = true;
module_param(offload, bool, 0644);
MODULE_PARM_DESC(offload,
		 "Advertise checksum offload and GSO to the backend (else feature-no-csum-offload=1, no feature-gso-*, no feature-ipv6-csum-offload) and use them on eth<N>; read at each connect (default on)");

static bool split_event_channels = true;
module_param(split_event_channels, bool, 0644);
MODULE_PARM_DESC(split_event_channels,
		 "Use split event channels (one port per direction) when the backend offers feature-split-event-channels; read at each connect (default on)");

/*
 * The most queues a vif uses; 0 at load means one per online CPU, as
 * xen-netfront's xennet_max_queues.
 */
static unsigned int max_queues;
module_param(max_queues, uint, 0644);
MODULE_PARM_DESC(max_queues,
		 "Maximum queues (ring pairs) per vif, read at each connect; devices created from now on allow at most this many (default: online CPUs at load, at most 64)");

/* Queues a frontend's keys may describe (as pvio-netback's limit). */
#define PVIO_NF_QUEUES_LIMIT	64

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

/*
 * The keys of queue @q (xen-netfront's write_queue_xenstore_keys()): flat
 * in the frontend's directory with one queue, in queue-N/ with several.
 * Returns the entries written at @kv; the key names are allocated in
 * @names (PVIO_NF_QUEUE_KEYS per queue).
 */
#define PVIO_NF_QUEUE_KEYS	4
static unsigned int pvio_nf_queue_kv(struct pvio_nf *nf, unsigned int q,
				     struct pvio_xenbus_kv *kv,
				     char (*names)[32])
{
	static const char *const single[] = {
		"tx-ring-ref", "rx-ring-ref", "event-channel",
	};
	static const char *const split[] = {
		"tx-ring-ref", "rx-ring-ref", "event-channel-tx",
		"event-channel-rx",
	};
	const struct pvio_nf_queue *queue = &nf->queues[q];
	const char *const *keys = nf->split ? split : single;
	unsigned int n = nf->split ? 4 : 3, i;
	unsigned long vals[4] = {
		queue->tx_ring_ref, queue->rx_ring_ref, queue->port,
		queue->rx_port,
	};

	for (i = 0; i < n; i++) {
		if (nf->nr_queues > 1)
			snprintf(names[i], sizeof(names[i]), "queue-%u/%s", q,
				 keys[i]);
		else
			snprintf(names[i], sizeof(names[i]), "%s", keys[i]);
		kv[i].key = names[i];
		kv[i].fmt = "%lu";
		kv[i].val = vals[i];
		kv[i].str = NULL;
	}
	return n;
}

/*
 * Keys of an earlier connect that this one does not write: the other
 * kind of event channel keys, the flat keys when there are queue-N
 * directories now, queue-N directories when the keys are flat, so the
 * backend only ever sees this connect's.
 */
static void pvio_nf_rm_stale(struct pvio_xenbus_device *dev, struct pvio_nf *nf,
			     bool offered)
{
	static const char *const flat[] = {
		"tx-ring-ref", "rx-ring-ref", "event-channel",
		"event-channel-tx", "event-channel-rx",
	};
	char name[32];
	unsigned int i;

	if (nf->nr_queues > 1) {
		for (i = 0; i < ARRAY_SIZE(flat); i++)
			pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename,
				   flat[i]);
	} else {
		pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename,
			   nf->split ? "event-channel" : "event-channel-tx");
		if (!nf->split)
			pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename,
				   "event-channel-rx");
	}
	for (i = nf->nr_queues > 1 ? nf->nr_queues : 0;
	     i < PVIO_NF_QUEUES_LIMIT; i++) {
		snprintf(name, sizeof(name), "queue-%u", i);
		if (!pvio_xs_exists(dev->xs, PVIO_XBT_NIL, dev->nodename,
				    name))
			break;
		pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename, name);
	}
	if (!offered)
		pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename,
			   "multi-queue-num-queues");
}

static int pvio_nf_connect(struct pvio_xenbus_device *dev)
{
	struct pvio_nf *nf = dev_get_drvdata(&dev->dev);
	bool off = !READ_ONCE(offload);
	struct pvio_nf_offload_keys ok;
	struct pvio_xenbus_kv features[] = {
		{ .key = "request-rx-copy", .fmt = "%lu", .val = 1 },
		{ .key = "feature-rx-notify", .fmt = "%lu", .val = 1 },
		{ .key = "feature-sg", .fmt = "%lu", .val = 1 },
		{ .key = "feature-gso-tcpv4", .fmt = "%lu" },
		{ .key = "feature-gso-tcpv6", .fmt = "%lu" },
		{ .key = "feature-ipv6-csum-offload", .fmt = "%lu" },
		{ .key = "feature-no-csum-offload", .fmt = "%lu" },
	};
	struct pvio_xenbus_kv *kv;
	char (*names)[32];
	unsigned int be_max, nq, n, q;
	bool offered;
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
	nf->no_offload = off;
	pvio_netfront_offload_keys(READ_ONCE(nf->dev->wanted_features), !off,
				   &ok);
	features[3].val = ok.gso_v4;
	features[4].val = ok.gso_v6;
	features[5].val = ok.ipv6_csum;
	features[6].val = ok.no_csum;
	nf->split = READ_ONCE(split_event_channels) &&
		    pvio_xenbus_read_otherend_feature(dev,
						      "feature-split-event-channels",
						      0);
	/*
	 * xen-netfront's talk_to_netback(): min(the backend's offer (absent:
	 * 1), max_queues, online CPUs), capped by the netdev's queues.
	 */
	be_max = pvio_xenbus_read_otherend_feature(dev,
						   "multi-queue-max-queues", 0);
	offered = be_max > 0;
	nq = min3(max(be_max, 1U), READ_ONCE(max_queues), num_online_cpus());
	nq = clamp(nq, 1U, nf->max_queues);
	err = pvio_nf_setup_rings(nf, nq);
	if (err) {
		pvio_xenbus_dev_fatal(dev, err, "setting up the rings");
		return err;
	}
	kv = kcalloc(ARRAY_SIZE(features) + 1 + nq * PVIO_NF_QUEUE_KEYS,
		     sizeof(*kv), GFP_KERNEL);
	names = kcalloc(nq * PVIO_NF_QUEUE_KEYS, sizeof(*names), GFP_KERNEL);
	if (!kv || !names) {
		err = -ENOMEM;
		goto fail;
	}
	n = 0;
	for (q = 0; q < nq; q++)
		n += pvio_nf_queue_kv(nf, q, &kv[n],
				      &names[q * PVIO_NF_QUEUE_KEYS]);
	memcpy(&kv[n], features, sizeof(features));
	n += ARRAY_SIZE(features);
	/* as xen-netfront: whenever the backend offers multi-queue */
	if (offered)
		kv[n++] = (struct pvio_xenbus_kv){
			.key = "multi-queue-num-queues", .fmt = "%lu",
			.val = nq,
		};
	pvio_nf_rm_stale(dev, nf, offered);
	err = pvio_xenbus_write_keys(dev, kv, n, XenbusStateInitialised);
	if (err)
		goto fail;
	if (nq > 1)
		netdev_info(nf->dev, "%u queues%s\n", nq,
			    nf->split ? ", split event channels" : "");
	kfree(kv);
	kfree(names);
	return 0;
fail:
	kfree(kv);
	kfree(names);
	pvio_xenbus_dev_fatal(dev, err, "writing tx-ring-ref");
	pvio_nf_teardown(nf);
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
	nf = pvio_nf_create(dev, mac,
			    clamp(READ_ONCE(max_queues), 1U,
				  (unsigned int)PVIO_NF_QUEUES_LIMIT));
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
	if (!max_queues)
		max_queues = min_t(unsigned int, num_online_cpus(),
				   PVIO_NF_QUEUES_LIMIT);
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
