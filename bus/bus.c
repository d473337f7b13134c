// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-bus: the frontend and backend buses (Linux's xenbus_probe.c,
 * xenbus_probe_frontend.c, xenbus_probe_backend.c).
 *
 * Every domU watches device/ in its home and gets a frontend device for
 * each device/<type>/<devid> whose state is Initialising; dom0 watches
 * backend/ in its home and gets a backend device for each
 * backend/<type>/<frontid>/<devid>. A device whose directory disappears
 * is unregistered. Watch callbacks only queue a rescan: devices are added
 * and removed from a work item, which may unregister watches.
 *
 * A bound device watches its other end's "state" node and hands every
 * change to its driver's otherend_changed().
 */
#define pr_fmt(fmt) "pvio-bus: " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <pvio/guest.h>
#include <pvio/xenbus.h>
#include "bus.h"

struct pvio_bus_dom {
	struct pvio_domain *d;
	domid_t domid;
	struct pvio_xs *xs;
	bool frontend;
	char root[40];			/* .../device or .../backend */
	struct pvio_xs_watch watch;
	struct pvio_bus_manage manage;	/* domU: control/shutdown */
	bool managed;
	struct work_struct rescan;
	struct mutex lock;		/* devices, dying */
	struct list_head devices;
	bool dying;
};

static struct workqueue_struct *pvio_bus_wq;

static const struct pvio_xenbus_device_id *
pvio_xenbus_match_id(const struct pvio_xenbus_device_id *ids,
		     const struct pvio_xenbus_device *dev)
{
	for (; ids && ids->devicetype[0]; ids++)
		if (!strcmp(ids->devicetype, dev->devicetype))
			return ids;
	return NULL;
}

static int pvio_xenbus_match(struct device *_dev, struct device_driver *_drv)
{
	struct pvio_xenbus_driver *drv = to_pvio_xenbus_driver(_drv);

	return !!pvio_xenbus_match_id(drv->ids, to_pvio_xenbus_device(_dev));
}

static void pvio_xenbus_otherend_cb(struct pvio_xs_watch *watch,
				    const char *path, const char *token)
{
	struct pvio_xenbus_device *dev =
		container_of(watch, struct pvio_xenbus_device, otherend_watch);
	struct pvio_xenbus_driver *drv;
	enum xenbus_state state;

	if (strcmp(path, watch->node))
		return;
	state = pvio_xenbus_read_driver_state(dev, dev->otherend);
	dev_dbg(&dev->dev, "other end %s is %s, we are %s\n", dev->otherend,
		pvio_xenbus_strstate(state), pvio_xenbus_strstate(dev->state));
	drv = to_pvio_xenbus_driver(dev->dev.driver);
	if (drv->otherend_changed)
		drv->otherend_changed(dev, state);
}

/* Read the other end's path and domain (Linux's talk_to_otherend()). */
static int pvio_xenbus_read_otherend(struct pvio_xenbus_device *dev)
{
	const char *pnode = dev->frontend ? "backend" : "frontend";
	const char *inode = dev->frontend ? "backend-id" : "frontend-id";
	unsigned int id;
	char *path;
	int err;

	kfree(dev->otherend);
	dev->otherend = NULL;
	err = pvio_xs_scanf(dev->xs, PVIO_XBT_NIL, dev->nodename, inode, "%u",
			    &id);
	if (err != 1 || id > PVIO_MAX_DOMID) {
		dev_warn(&dev->dev, "no valid %s\n", inode);
		return -ENODEV;
	}
	path = pvio_xs_read(dev->xs, PVIO_XBT_NIL, dev->nodename, pnode, NULL);
	if (IS_ERR(path)) {
		dev_warn(&dev->dev, "no %s node\n", pnode);
		return -ENODEV;
	}
	if (path[0] != '/' || strlen(path) > 200) {
		kfree(path);
		return -ENODEV;
	}
	dev->otherend = path;
	dev->otherend_id = id;
	return 0;
}

static int pvio_xenbus_probe(struct device *_dev)
{
	struct pvio_xenbus_device *dev = to_pvio_xenbus_device(_dev);
	struct pvio_xenbus_driver *drv = to_pvio_xenbus_driver(_dev->driver);
	const struct pvio_xenbus_device_id *id;
	int err;

	id = pvio_xenbus_match_id(drv->ids, dev);
	if (!id)
		return -ENODEV;
	err = pvio_xenbus_read_otherend(dev);
	if (err)
		return err;
	reinit_completion(&dev->down);
	err = drv->probe(dev, id);
	if (err)
		return err;
	dev->otherend_watch.node = kasprintf(GFP_KERNEL, "%s/state",
					     dev->otherend);
	dev->otherend_watch.callback = pvio_xenbus_otherend_cb;
	err = dev->otherend_watch.node ?
		pvio_xs_watch(dev->xs, &dev->otherend_watch) : -ENOMEM;
	if (err) {
		kfree(dev->otherend_watch.node);
		dev->otherend_watch.node = NULL;
		if (drv->remove)
			drv->remove(dev);
		pvio_xenbus_switch_state(dev, XenbusStateClosed);
		return err;
	}
	return 0;
}

static void pvio_xenbus_remove(struct device *_dev)
{
	struct pvio_xenbus_device *dev = to_pvio_xenbus_device(_dev);
	struct pvio_xenbus_driver *drv = to_pvio_xenbus_driver(_dev->driver);

	if (dev->otherend_watch.node) {
		pvio_xs_unwatch(dev->xs, &dev->otherend_watch);
		kfree(dev->otherend_watch.node);
		dev->otherend_watch.node = NULL;
	}
	if (drv->remove)
		drv->remove(dev);
	/* Only if the node is still there: never re-create it. */
	pvio_xenbus_switch_state(dev, XenbusStateClosed);
}

static struct bus_type pvio_frontend_bus = {
	.name = "pvio-frontend",
	.match = pvio_xenbus_match,
	.probe = pvio_xenbus_probe,
	.remove = pvio_xenbus_remove,
};

static struct bus_type pvio_backend_bus = {
	.name = "pvio-backend",
	.match = pvio_xenbus_match,
	.probe = pvio_xenbus_probe,
	.remove = pvio_xenbus_remove,
};

static int pvio_xenbus_register(struct pvio_xenbus_driver *drv,
				struct bus_type *bus, struct module *owner,
				const char *mod_name)
{
	if (!drv->probe || !drv->ids)
		return -EINVAL;
	drv->driver.name = drv->name ? drv->name : drv->driver.name;
	drv->driver.bus = bus;
	drv->driver.owner = owner;
	drv->driver.mod_name = mod_name;
	return driver_register(&drv->driver);
}

/**
 * pvio_xenbus_register_frontend() - register a frontend driver
 * @drv: the driver (name, ids, probe, otherend_changed, remove)
 * @owner: THIS_MODULE
 * @mod_name: KBUILD_MODNAME
 *
 * Like Linux's xenbus_register_frontend(): the driver is bound to every
 * existing and future frontend device (any domU) of one of its types.
 * probe() runs with the device's other end read; otherend_changed() then
 * follows the backend's state.
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL without probe or ids, or driver_register()'s error.
 */
int pvio_xenbus_register_frontend(struct pvio_xenbus_driver *drv,
				  struct module *owner, const char *mod_name)
{
	return pvio_xenbus_register(drv, &pvio_frontend_bus, owner, mod_name);
}
EXPORT_SYMBOL_GPL(pvio_xenbus_register_frontend);

/**
 * pvio_xenbus_register_backend() - register a backend driver
 * @drv: the driver
 * @owner: THIS_MODULE
 * @mod_name: KBUILD_MODNAME
 *
 * Like Linux's xenbus_register_backend(), for dom0's backend devices.
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL without probe or ids, or driver_register()'s error.
 */
int pvio_xenbus_register_backend(struct pvio_xenbus_driver *drv,
				 struct module *owner, const char *mod_name)
{
	return pvio_xenbus_register(drv, &pvio_backend_bus, owner, mod_name);
}
EXPORT_SYMBOL_GPL(pvio_xenbus_register_backend);

/**
 * pvio_xenbus_unregister_driver() - unregister a frontend or backend driver
 * @drv: the driver
 *
 * remove() runs for every bound device first (its other-end watch is
 * gone by then) and each device is switched to Closed if its node still
 * exists, as Linux's xenbus_dev_remove() does.
 *
 * Context: process context, may sleep; not from a watch callback.
 */
void pvio_xenbus_unregister_driver(struct pvio_xenbus_driver *drv)
{
	driver_unregister(&drv->driver);
}
EXPORT_SYMBOL_GPL(pvio_xenbus_unregister_driver);

/* ---- devices --------------------------------------------------------- */

static void pvio_xenbus_dev_release(struct device *_dev)
{
	struct pvio_xenbus_device *dev = to_pvio_xenbus_device(_dev);

	kfree(dev->otherend);
	kfree(dev->nodename);
	kfree(dev);
}

static ssize_t nodename_show(struct device *_dev, struct device_attribute *a,
			     char *buf)
{
	return sysfs_emit(buf, "%s\n", to_pvio_xenbus_device(_dev)->nodename);
}
static DEVICE_ATTR_RO(nodename);

static ssize_t devtype_show(struct device *_dev, struct device_attribute *a,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", to_pvio_xenbus_device(_dev)->devicetype);
}
static DEVICE_ATTR_RO(devtype);

static ssize_t state_show(struct device *_dev, struct device_attribute *a,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  pvio_xenbus_strstate(to_pvio_xenbus_device(_dev)->state));
}
static DEVICE_ATTR_RO(state);

static struct attribute *pvio_xenbus_dev_attrs[] = {
	&dev_attr_nodename.attr,
	&dev_attr_devtype.attr,
	&dev_attr_state.attr,
	NULL
};
ATTRIBUTE_GROUPS(pvio_xenbus_dev);

static struct pvio_xenbus_device *pvio_bus_find(struct pvio_bus_dom *bd,
						const char *nodename)
{
	struct pvio_xenbus_device *dev;

	list_for_each_entry(dev, &bd->devices, list)
		if (!strcmp(dev->nodename, nodename))
			return dev;
	return NULL;
}

/* A new device directory (Linux's xenbus_probe_node()); bd->lock held. */
static void pvio_bus_probe_node(struct pvio_bus_dom *bd, const char *type,
				const char *nodename, unsigned int frontid,
				const char *devid)
{
	struct pvio_xenbus_device *dev;
	unsigned int id;
	int err;

	if (pvio_bus_find(bd, nodename) || kstrtouint(devid, 10, &id) ||
	    strlen(type) >= PVIO_XENBUS_TYPE_LEN)
		return;
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return;
	dev->nodename = kstrdup(nodename, GFP_KERNEL);
	if (!dev->nodename) {
		kfree(dev);
		return;
	}
	strscpy(dev->devicetype, type, sizeof(dev->devicetype));
	dev->devid = id;
	dev->frontend = bd->frontend;
	dev->domain = bd->d;
	dev->xs = bd->xs;
	dev->state = XenbusStateInitialising;
	init_completion(&dev->down);
	dev->dev.bus = bd->frontend ? &pvio_frontend_bus : &pvio_backend_bus;
	dev->dev.groups = pvio_xenbus_dev_groups;
	dev->dev.release = pvio_xenbus_dev_release;
	device_initialize(&dev->dev);
	if (bd->frontend)
		err = dev_set_name(&dev->dev, "d%u-%s-%u", bd->domid, type, id);
	else
		err = dev_set_name(&dev->dev, "%s-%u-%u", type, frontid, id);
	if (!err)
		err = device_add(&dev->dev);
	if (err) {
		pr_warn("%s: cannot add device: %d\n", nodename, err);
		put_device(&dev->dev);
		return;
	}
	list_add_tail(&dev->list, &bd->devices);
}

static void pvio_bus_scan_dir(struct pvio_bus_dom *bd, const char *dir,
			      const char *type, unsigned int frontid)
{
	unsigned int i, n;
	char **ids, *path;

	ids = pvio_xs_directory(bd->xs, PVIO_XBT_NIL, dir, "", &n);
	if (IS_ERR(ids))
		return;
	for (i = 0; i < n; i++) {
		path = kasprintf(GFP_KERNEL, "%s/%s", dir, ids[i]);
		if (!path)
			break;
		/* Only fresh devices (xenbus_probe_node()). */
		if (pvio_xs_read_unsigned(bd->xs, path, "state",
					  XenbusStateUnknown) ==
		    XenbusStateInitialising)
			pvio_bus_probe_node(bd, type, path, frontid, ids[i]);
		kfree(path);
	}
	kfree(ids);
}

static void pvio_bus_rescan(struct work_struct *work)
{
	struct pvio_bus_dom *bd = container_of(work, struct pvio_bus_dom,
					       rescan);
	struct pvio_xenbus_device *dev, *tmp;
	unsigned int i, j, nt, nf, fid;
	char **types, **fes, *dir, *dir2;
	LIST_HEAD(gone);

	mutex_lock(&bd->lock);
	if (bd->dying)
		goto out;
	types = pvio_xs_directory(bd->xs, PVIO_XBT_NIL, bd->root, "", &nt);
	for (i = 0; !IS_ERR(types) && i < nt; i++) {
		dir = kasprintf(GFP_KERNEL, "%s/%s", bd->root, types[i]);
		if (!dir)
			break;
		if (bd->frontend) {
			pvio_bus_scan_dir(bd, dir, types[i], bd->domid);
			kfree(dir);
			continue;
		}
		fes = pvio_xs_directory(bd->xs, PVIO_XBT_NIL, dir, "", &nf);
		for (j = 0; !IS_ERR(fes) && j < nf; j++) {
			if (kstrtouint(fes[j], 10, &fid) ||
			    fid > PVIO_MAX_DOMID)
				continue;
			dir2 = kasprintf(GFP_KERNEL, "%s/%s", dir, fes[j]);
			if (!dir2)
				break;
			pvio_bus_scan_dir(bd, dir2, types[i], fid);
			kfree(dir2);
		}
		if (!IS_ERR(fes))
			kfree(fes);
		kfree(dir);
	}
	if (!IS_ERR(types))
		kfree(types);

	/* Devices whose directory went away. */
	list_for_each_entry_safe(dev, tmp, &bd->devices, list)
		if (!pvio_xs_exists(bd->xs, PVIO_XBT_NIL, dev->nodename, ""))
			list_move_tail(&dev->list, &gone);
out:
	mutex_unlock(&bd->lock);
	list_for_each_entry_safe(dev, tmp, &gone, list) {
		list_del(&dev->list);
		device_unregister(&dev->dev);
	}
}

static void pvio_bus_watch_cb(struct pvio_xs_watch *watch, const char *path,
			      const char *token)
{
	struct pvio_bus_dom *bd = container_of(watch, struct pvio_bus_dom,
					       watch);

	queue_work(pvio_bus_wq, &bd->rescan);
}

static int pvio_bus_attach(struct pvio_domain *d)
{
	struct pvio_bus_dom *bd;
	int err;

	bd = kzalloc(sizeof(*bd), GFP_KERNEL);
	if (!bd)
		return -ENOMEM;
	bd->d = d;
	bd->domid = pvio_domain_id(d);
	bd->xs = pvio_xs_of(d);
	bd->frontend = bd->domid != 0;
	if (!bd->xs) {
		kfree(bd);
		return -ENODEV;
	}
	snprintf(bd->root, sizeof(bd->root), "/local/domain/%u/%s", bd->domid,
		 bd->frontend ? "device" : "backend");
	mutex_init(&bd->lock);
	INIT_LIST_HEAD(&bd->devices);
	INIT_WORK(&bd->rescan, pvio_bus_rescan);
	bd->watch.node = bd->root;
	bd->watch.callback = pvio_bus_watch_cb;
	pvio_guest_set_priv(d, PVIO_SLOT_BUS, bd);
	err = pvio_xs_watch(bd->xs, &bd->watch);
	if (err) {
		pvio_guest_set_priv(d, PVIO_SLOT_BUS, NULL);
		kfree(bd);
		return err;
	}
	if (bd->frontend) {
		err = pvio_bus_manage_start(&bd->manage, d, bd->xs);
		if (err)
			pr_warn("d%u: no control/shutdown watch: %d\n",
				bd->domid, err);
		bd->managed = !err;
	}
	return 0;
}

static void pvio_bus_detach(struct pvio_domain *d)
{
	struct pvio_bus_dom *bd = pvio_guest_priv(d, PVIO_SLOT_BUS);
	struct pvio_xenbus_device *dev, *tmp;
	LIST_HEAD(gone);

	if (!bd)
		return;
	if (bd->managed)
		pvio_bus_manage_stop(&bd->manage);
	pvio_xs_unwatch(bd->xs, &bd->watch);
	mutex_lock(&bd->lock);
	bd->dying = true;
	list_splice_init(&bd->devices, &gone);
	mutex_unlock(&bd->lock);
	cancel_work_sync(&bd->rescan);
	list_for_each_entry_safe_reverse(dev, tmp, &gone, list) {
		list_del(&dev->list);
		device_unregister(&dev->dev);
	}
	pvio_guest_set_priv(d, PVIO_SLOT_BUS, NULL);
	kfree(bd);
}

static struct pvio_guest_ops pvio_bus_guest_ops = {
	.name = "pvio-bus",
	.attach = pvio_bus_attach,
	.detach = pvio_bus_detach,
};

int pvio_bus_core_init(void)
{
	int err;

	pvio_bus_wq = alloc_ordered_workqueue("pvio-bus", 0);
	if (!pvio_bus_wq)
		return -ENOMEM;
	err = bus_register(&pvio_frontend_bus);
	if (err)
		goto out_wq;
	err = bus_register(&pvio_backend_bus);
	if (err)
		goto out_fe;
	err = pvio_guest_register(&pvio_bus_guest_ops);
	if (err)
		goto out_be;
	return 0;

out_be:
	bus_unregister(&pvio_backend_bus);
out_fe:
	bus_unregister(&pvio_frontend_bus);
out_wq:
	destroy_workqueue(pvio_bus_wq);
	return err;
}

void pvio_bus_core_exit(void)
{
	pvio_guest_unregister(&pvio_bus_guest_ops);
	bus_unregister(&pvio_backend_bus);
	bus_unregister(&pvio_frontend_bus);
	destroy_workqueue(pvio_bus_wq);
}
