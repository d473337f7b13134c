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
	struct pvio_nb_vif *vif;
};

static int pvio_nb_read_frontend(struct pvio_xenbus_device *dev,
				 struct pvio_nb_vif *vif, unsigned int *tx_ref,
				 unsigned int *rx_ref, unsigned int *port)
{
	const char *fe = dev->otherend;

	if (pvio_xs_gather(dev->xs, PVIO_XBT_NIL, fe, "tx-ring-ref", "%u",
			   tx_ref, "rx-ring-ref", "%u", rx_ref, NULL)) {
		pvio_xenbus_dev_fatal(dev, -EINVAL,
				      "reading %s/tx-ring-ref and rx-ring-ref",
				      fe);
		return -EINVAL;
	}
	if (pvio_xs_scanf(dev->xs, PVIO_XBT_NIL, fe, "event-channel", "%u",
			  port) != 1) {
		/* split channels are not offered */
		pvio_xenbus_dev_fatal(dev, -EINVAL, "reading %s/event-channel",
				      fe);
		return -EINVAL;
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
	return 0;
}

static int pvio_nb_be_connect(struct pvio_xenbus_device *dev)
{
	struct pvio_nb_backend *be = dev_get_drvdata(&dev->dev);
	unsigned int tx_ref, rx_ref, port;
	int err;

	pvio_nb_disconnect(be->vif);
	err = pvio_nb_read_frontend(dev, be->vif, &tx_ref, &rx_ref, &port);
	if (err)
		return err;
	err = pvio_nb_connect(be->vif, tx_ref, rx_ref, port);
	if (err && dev->state != XenbusStateClosing)
		pvio_xenbus_dev_fatal(dev, err, "connecting the rings");
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
	static const struct pvio_xenbus_kv kv[] = {
		{ .key = "feature-sg", .fmt = "%lu", .val = 1 },
		{ .key = "feature-gso-tcpv4", .fmt = "%lu", .val = 1 },
		{ .key = "feature-gso-tcpv6", .fmt = "%lu", .val = 1 },
		{ .key = "feature-ipv6-csum-offload", .fmt = "%lu", .val = 1 },
		{ .key = "feature-rx-copy", .fmt = "%lu", .val = 1 },
		{ .key = "feature-rx-flip", .fmt = "%lu", .val = 0 },
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
	be->vif = pvio_nb_vif_create(dev, handle, NULL);
	if (IS_ERR(be->vif)) {
		err = PTR_ERR(be->vif);
		kfree(be);
		pvio_xenbus_dev_fatal(dev, err, "creating vif%u.%u",
				      dev->otherend_id, handle);
		return err;
	}
	dev_set_drvdata(&dev->dev, be);
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
	return pvio_xenbus_register_backend(&pvio_nb_driver, THIS_MODULE,
					    KBUILD_MODNAME);
}
module_init(pvio_netback_init);

static void __exit pvio_netback_exit(void)
{
	pvio_xenbus_unregister_driver(&pvio_nb_driver);
}
module_exit(pvio_netback_exit);

MODULE_DESCRIPTION("pvio network backend (vif<domid>.<handle>)");
MODULE_LICENSE("GPL");
