// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-netback control path (after xen-netback's xenbus code): the
 * "vif" backend driver. Probe advertises the features and creates
 * vif<domid>.<handle>; the frontend's state drives connect (read its
 * keys, map the rings, bind the port) and disconnect (bus/state.c's
 * reactions). The link follows the frontend.
 *
 * A backend probed while its frontend is still Initialised or Connected
 * (this module reloaded, the directory re-created, before the frontend
 * saw the old backend go) does not take over that frontend's rings: it
 * switches to Closed instead of InitWait, the frontend lets go of the
 * old backend and comes back through Initialising, which Closed answers
 * with InitWait (bus/state.c).
 */
#define pr_fmt(fmt) "pvio-netback: " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/rtnetlink.h>
#include "common.h"

struct pvio_nb_backend {
	struct pvio_xenbus_device *dev;
	struct pvio_nb_vif *vif;
	struct pvio_xs_watch rate_watch;	/* <backend>/rate */
	bool rate_error;		/* our "error" node is about the rate */
};

/*
 * The backend's "rate" node changed (xen-netback's xen_net_rate_changed()):
 * "<credit_bytes>,<credit_usec>" as libxl writes it, absent = unlimited.
 * A value we cannot parse leaves guest TX unlimited and says why in the
 * backend's "error" node (Linux only logs it); the vif stays connected.
 * A valid or absent rate afterwards removes that error again.
 */
static void pvio_nb_rate_changed(struct pvio_xs_watch *w, const char *path,
				 const char *token)
{
	struct pvio_nb_backend *be = container_of(w, struct pvio_nb_backend,
						  rate_watch);
	struct pvio_xenbus_device *dev = be->dev;
	u64 bytes = 0, usec = 0;
	char *s;

	s = pvio_xs_read(dev->xs, PVIO_XBT_NIL, dev->nodename, "rate", NULL);
	if (!IS_ERR(s) && pvio_netback_parse_rate(s, &bytes, &usec)) {
		dev_warn(&dev->dev,
			 "bad rate '%.40s' (want credit_bytes,credit_usec): guest TX unlimited\n",
			 s);
		pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename, "error",
			       "%d bad rate '%.40s' (want credit_bytes,credit_usec): guest TX unlimited",
			       EINVAL, s);
		be->rate_error = true;
	} else if (be->rate_error) {
		pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename, "error");
		be->rate_error = false;
	}
	if (!IS_ERR(s))
		kfree(s);
	if (bytes)
		dev_info(&dev->dev, "guest TX rate: %llu bytes per %llu us\n",
			 bytes, usec);
	pvio_nb_set_rate(be->vif, bytes, usec);
}

/* On by default, as Xen's netback offers it (separate_tx_rx_irq). */
static bool split_event_channels = true;
module_param(split_event_channels, bool, 0644);
MODULE_PARM_DESC(split_event_channels,
		 "Offer feature-split-event-channels to frontends probed from now on (default on)");

/*
 * Queues offered to frontends probed from now on (multi-queue-max-queues);
 * 0 at load (the default) means one per online CPU, at most
 * PVIO_NB_QUEUES_LIMIT, as xen-netback's xenvif_max_queues.
 */
static unsigned int max_queues;
module_param(max_queues, uint, 0644);
MODULE_PARM_DESC(max_queues,
		 "Maximum queues (ring pairs) per vif offered to frontends probed from now on (default 0 at load: online CPUs, at most 64)");

static int pvio_nb_read_key(void *ctx, const char *dir, const char *node,
			    unsigned int *val)
{
	return pvio_xs_scanf(ctx, PVIO_XBT_NIL, dir, node, "%u", val) == 1 ?
	       0 : -ENOENT;
}

/*
 * The frontend's queues (pvio_netback_read_queue_keys(): flat keys for
 * one queue, queue-N/ for several; event-channel-tx and -rx, else
 * event-channel) and features. A frontend asking for more queues than
 * offered, or missing a key, gets the reason in our "error" node and the
 * backend goes Closing (pvio_xenbus_dev_fatal()), as xen-netback's
 * connect().
 */
static int pvio_nb_read_frontend(struct pvio_xenbus_device *dev,
				 struct pvio_nb_vif *vif,
				 struct pvio_nb_queue_keys *keys)
{
	const char *fe = dev->otherend;
	char why[160];
	int err;

	err = pvio_netback_read_queue_keys(pvio_nb_read_key, dev->xs, fe,
					   vif->max_queues, keys, why,
					   sizeof(why));
	if (err) {
		pvio_xenbus_dev_fatal(dev, err, "%s", why);
		return err;
	}
	if (pvio_xs_read_unsigned(dev->xs, fe, "request-rx-copy", 0) != 1) {
		pvio_xenbus_dev_fatal(dev, -EOPNOTSUPP,
				      "frontend does not request rx-copy");
		return -EOPNOTSUPP;
	}
	if (!pvio_xs_read_unsigned(dev->xs, fe, "feature-rx-notify", 0)) {
		pvio_xenbus_dev_fatal(dev, -EOPNOTSUPP,
				      "frontend lacks feature-rx-notify");
		return -EOPNOTSUPP;
	}
	vif->can_sg = !!pvio_xs_read_unsigned(dev->xs, fe, "feature-sg", 0);
	vif->gso_v4 = !!pvio_xs_read_unsigned(dev->xs, fe,
					      "feature-gso-tcpv4", 0);
	vif->gso_v6 = !!pvio_xs_read_unsigned(dev->xs, fe,
					      "feature-gso-tcpv6", 0);
	vif->ipv6_csum = !!pvio_xs_read_unsigned(dev->xs, fe,
						 "feature-ipv6-csum-offload",
						 0);
	/* xen-netback's read_xenbus_vif_flags(): absent = IPv4 offload on */
	vif->ip_csum = !pvio_xs_read_unsigned(dev->xs, fe,
					      "feature-no-csum-offload", 0);
	return 0;
}

static int pvio_nb_be_connect(struct pvio_xenbus_device *dev)
{
	struct pvio_nb_backend *be = dev_get_drvdata(&dev->dev);
	struct pvio_nb_queue_keys *keys;
	int err;

	pvio_nb_disconnect(be->vif);
	keys = kmalloc(sizeof(*keys), GFP_KERNEL);
	if (!keys) {
		pvio_xenbus_dev_fatal(dev, -ENOMEM, "reading the queue keys");
		return -ENOMEM;
	}
	err = pvio_nb_read_frontend(dev, be->vif, keys);
	if (err)
		goto out;
	if (keys->split)
		dev_info(&dev->dev, "split event channels: tx %u, rx %u\n",
			 keys->q[0].tx_port, keys->q[0].rx_port);
	if (keys->nr_queues > 1)
		dev_info(&dev->dev, "%u queues\n", keys->nr_queues);
	err = pvio_nb_connect(be->vif, keys);
	if (err && dev->state != XenbusStateClosing)
		pvio_xenbus_dev_fatal(dev, err, "connecting the rings");
out:
	kfree(keys);
	return err;
}

static void pvio_nb_be_changed(struct pvio_xenbus_device *dev,
			       enum xenbus_state frontend)
{
	struct pvio_nb_backend *be = dev_get_drvdata(&dev->dev);
	struct pvio_xenbus_step s = pvio_xenbus_backend_step(dev->state,
							     frontend);

	if (s.actions & PVIO_XB_ACT_DISCONNECT)
		pvio_nb_disconnect(be->vif);
	if ((s.actions & PVIO_XB_ACT_CONNECT) && pvio_nb_be_connect(dev))
		return;
	pvio_xenbus_switch_state(dev, s.next);
}

static int pvio_nb_be_probe(struct pvio_xenbus_device *dev,
			    const struct pvio_xenbus_device_id *id)
{
	unsigned int nq = clamp(READ_ONCE(max_queues), 1U,
				(unsigned int)PVIO_NB_QUEUES_LIMIT);
	const struct pvio_xenbus_kv kv[] = {
		{ .key = "feature-sg", .fmt = "%lu", .val = 1 },
		{ .key = "feature-gso-tcpv4", .fmt = "%lu", .val = 1 },
		{ .key = "feature-gso-tcpv6", .fmt = "%lu", .val = 1 },
		{ .key = "feature-ipv6-csum-offload", .fmt = "%lu", .val = 1 },
		{ .key = "feature-rx-copy", .fmt = "%lu", .val = 1 },
		{ .key = "feature-rx-flip", .fmt = "%lu", .val = 0 },
		{ .key = "feature-split-event-channels", .fmt = "%lu",
		  .val = READ_ONCE(split_event_channels) },
		{ .key = "multi-queue-max-queues", .fmt = "%lu",
		  .val = nq },
	};
	struct pvio_nb_backend *be;
	enum xenbus_state fe;
	unsigned int handle;
	bool stale;
	int err;

	if (pvio_xs_scanf(dev->xs, PVIO_XBT_NIL, dev->nodename, "handle", "%u",
			  &handle) != 1)
		handle = dev->devid;
	be = kzalloc(sizeof(*be), GFP_KERNEL);
	if (!be)
		return -ENOMEM;
	be->vif = pvio_nb_vif_create(dev, handle, nq);
	if (IS_ERR(be->vif)) {
		err = PTR_ERR(be->vif);
		kfree(be);
		pvio_xenbus_dev_fatal(dev, err, "creating vif%u.%u",
				      dev->otherend_id, handle);
		return err;
	}
	dev_set_drvdata(&dev->dev, be);
	be->dev = dev;
	be->rate_watch.node = kasprintf(GFP_KERNEL, "%s/rate", dev->nodename);
	be->rate_watch.callback = pvio_nb_rate_changed;
	err = be->rate_watch.node ?
	      pvio_xs_watch(dev->xs, &be->rate_watch) : -ENOMEM;
	if (err) {
		pvio_xenbus_dev_fatal(dev, err, "watching %s/rate",
				      dev->nodename);
		kfree(be->rate_watch.node);
		pvio_nb_vif_destroy(be->vif);
		kfree(be);
		dev_set_drvdata(&dev->dev, NULL);
		return err;
	}
	fe = pvio_xenbus_read_driver_state(dev, dev->otherend);
	stale = fe == XenbusStateInitialised || fe == XenbusStateConnected;
	err = pvio_xenbus_write_keys(dev, kv, ARRAY_SIZE(kv),
				     stale ? XenbusStateUnknown :
				     XenbusStateInitWait);
	if (!err && stale) {
		dev_info(&dev->dev,
			 "frontend still %s with a previous backend: Closed until it reconnects\n",
			 pvio_xenbus_strstate(fe));
		err = pvio_xenbus_switch_state(dev, XenbusStateClosed);
	}
	if (err) {
		pvio_xenbus_dev_fatal(dev, err, "writing features");
		pvio_xs_unwatch(dev->xs, &be->rate_watch);
		kfree(be->rate_watch.node);
		pvio_nb_vif_destroy(be->vif);
		kfree(be);
		dev_set_drvdata(&dev->dev, NULL);
		return err;
	}
	return 0;
}

static void pvio_nb_be_remove(struct pvio_xenbus_device *dev)
{
	struct pvio_nb_backend *be = dev_get_drvdata(&dev->dev);

	if (!be)
		return;
	pvio_xs_unwatch(dev->xs, &be->rate_watch);
	kfree(be->rate_watch.node);
	pvio_nb_vif_destroy(be->vif);
	kfree(be);
	dev_set_drvdata(&dev->dev, NULL);
}

static const struct pvio_xenbus_device_id pvio_nb_ids[] = {
	{ "vif" },
	{ "" }
};

static struct pvio_xenbus_driver pvio_nb_driver = {
	.name = "pvio-netback",
	.ids = pvio_nb_ids,
	.probe = pvio_nb_be_probe,
	.otherend_changed = pvio_nb_be_changed,
	.remove = pvio_nb_be_remove,
};

static int __init pvio_netback_init(void)
{
	if (!max_queues)
		max_queues = min_t(unsigned int, num_online_cpus(),
				   PVIO_NB_QUEUES_LIMIT);
	return pvio_xenbus_register_backend(&pvio_nb_driver, THIS_MODULE,
					    KBUILD_MODNAME);
}
module_init(pvio_netback_init);

static void __exit pvio_netback_exit(void)
{
	pvio_xenbus_unregister_driver(&pvio_nb_driver);
	pvio_nb_tx_wait_orphans();
}
module_exit(pvio_netback_exit);

MODULE_DESCRIPTION("pvio network backend (vif<domid>.<handle>)");
MODULE_LICENSE("GPL");
