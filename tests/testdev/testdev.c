// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-testdev.ko: the "pviotest" device type, a frontend and a backend
 * that do nothing but Xen's handshake, for the control scenario:
 *
 *   backend probe: InitWait
 *   frontend sees InitWait: allocates a page, grants it, allocates a port,
 *	writes ring-ref and event-channel and Initialised in one transaction
 *   backend sees Initialised: maps the grant (checks the frontend's magic),
 *	binds the port, Connected, notifies
 *   frontend sees Connected: Connected
 *
 * and the way down when the toolstack closes the backend or removes the
 * nodes. Both follow bus/state.c's reactions.
 */
#define pr_fmt(fmt) "pvio-testdev: " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/interrupt.h>
#include <pvio/evtchn.h>
#include <pvio/grant.h>
#include <pvio/hypervisor.h>
#include <pvio/xenbus.h>

#define PVIOTEST_MAGIC	"pviotest ring"

/*
 * A hostile frontend (tests): the ring's grant names the page by dom0's
 * frame number, not one of this domain's frames. The backend's map must
 * be refused (the domain does not own that frame).
 */
static bool pviotest_hostile_ring;
module_param_named(hostile_ring, pviotest_hostile_ring, bool, 0644);
MODULE_PARM_DESC(hostile_ring,
		 "grant the ring by dom0's frame number (must be refused)");

struct pviotest_front {
	struct page *page;
	grant_ref_t ref;
	evtchn_port_t port;
	int irq;
	atomic_t events;
};

struct pviotest_back {
	struct page *page;		/* mapped frontend page */
	grant_handle_t handle;
	int irq;
	atomic_t events;
};

static irqreturn_t pviotest_front_irq(int irq, void *data)
{
	struct pviotest_front *f = data;

	atomic_inc(&f->events);
	return IRQ_HANDLED;
}

static irqreturn_t pviotest_back_irq(int irq, void *data)
{
	struct pviotest_back *b = data;

	atomic_inc(&b->events);
	return IRQ_HANDLED;
}

static void pviotest_front_disconnect(struct pvio_xenbus_device *dev)
{
	struct pviotest_front *f = dev_get_drvdata(&dev->dev);

	if (f->irq > 0)
		pvio_unbind_from_irqhandler(f->irq, f);
	else if (f->port)
		pvio_xenbus_free_evtchn(dev, f->port);
	f->irq = 0;
	f->port = 0;
	if (f->page)
		pvio_xenbus_end_ring(dev, f->ref, f->page);
	f->page = NULL;
}

static int pviotest_front_connect(struct pvio_xenbus_device *dev)
{
	struct pviotest_front *f = dev_get_drvdata(&dev->dev);
	struct pvio_xenbus_kv kv[2] = {
		{ .key = "ring-ref", .fmt = "%lu" },
		{ .key = "event-channel", .fmt = "%lu" },
	};
	int err;

	pviotest_front_disconnect(dev);
	f->page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!f->page)
		return -ENOMEM;
	strscpy(page_address(f->page), PVIOTEST_MAGIC, PAGE_SIZE);
	if (READ_ONCE(pviotest_hostile_ring) &&
	    !pvio_gfn_to_page(dev->domain, page_to_pfn(f->page))) {
		err = pvio_gnttab_grant_foreign_access(dev->domain,
						       dev->otherend_id,
						       page_to_pfn(f->page),
						       false);
		f->ref = err;
		err = min(err, 0);
	} else {
		err = pvio_xenbus_grant_ring(dev, f->page, &f->ref);
	}
	if (err) {
		__free_page(f->page);
		f->page = NULL;
		return err;
	}
	err = pvio_xenbus_alloc_evtchn(dev, &f->port);
	if (err)
		goto fail;
	err = pvio_bind_evtchn_to_irqhandler(dev->domain, f->port,
					     pviotest_front_irq, 0,
					     "pviotest-front", f);
	if (err < 0) {
		f->port = 0;	/* closed on failure */
		goto fail;
	}
	f->irq = err;
	kv[0].val = f->ref;
	kv[1].val = f->port;
	err = pvio_xenbus_write_keys(dev, kv, ARRAY_SIZE(kv),
				     XenbusStateInitialised);
	if (err) {
		pvio_xenbus_dev_fatal(dev, err, "writing ring-ref");
		goto fail;
	}
	return 0;
fail:
	pviotest_front_disconnect(dev);
	return err;
}

static void pviotest_front_changed(struct pvio_xenbus_device *dev,
				   enum xenbus_state backend)
{
	struct pvio_xenbus_step s = pvio_xenbus_frontend_step(dev->state,
							      backend);

	if (s.actions & PVIO_XB_ACT_DISCONNECT) {
		pviotest_front_disconnect(dev);
		if (s.next == XenbusStateClosed) {
			pvio_xenbus_frontend_closed(dev);
			return;
		}
	}
	if ((s.actions & PVIO_XB_ACT_CONNECT) && pviotest_front_connect(dev))
		return;
	pvio_xenbus_switch_state(dev, s.next);
	if (s.next == XenbusStateConnected) {
		struct pviotest_front *f = dev_get_drvdata(&dev->dev);

		if (f->irq > 0)
			pvio_notify_remote_via_irq(f->irq);
	}
}

static int pviotest_front_probe(struct pvio_xenbus_device *dev,
				const struct pvio_xenbus_device_id *id)
{
	struct pviotest_front *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	dev_set_drvdata(&dev->dev, f);
	return 0;
}

static void pviotest_front_remove(struct pvio_xenbus_device *dev)
{
	struct pviotest_front *f = dev_get_drvdata(&dev->dev);

	pviotest_front_disconnect(dev);
	kfree(f);
	dev_set_drvdata(&dev->dev, NULL);
}

static void pviotest_back_disconnect(struct pvio_xenbus_device *dev)
{
	struct pviotest_back *b = dev_get_drvdata(&dev->dev);

	if (b->irq > 0)
		pvio_unbind_from_irqhandler(b->irq, b);
	b->irq = 0;
	if (b->page)
		pvio_xenbus_unmap_ring(dev, b->handle, b->page);
	b->page = NULL;
}

static int pviotest_back_connect(struct pvio_xenbus_device *dev)
{
	struct pviotest_back *b = dev_get_drvdata(&dev->dev);
	unsigned int ref, port;
	char magic[sizeof(PVIOTEST_MAGIC)];
	int err;

	pviotest_back_disconnect(dev);
	if (pvio_xs_gather(dev->xs, PVIO_XBT_NIL, dev->otherend,
			   "ring-ref", "%u", &ref, "event-channel", "%u",
			   &port, NULL)) {
		pvio_xenbus_dev_fatal(dev, -EINVAL,
				      "reading %s/ring-ref and event-channel",
				      dev->otherend);
		return -EINVAL;
	}
	b->page = pvio_xenbus_map_ring(dev, ref, &b->handle);
	if (IS_ERR(b->page)) {
		err = PTR_ERR(b->page);
		b->page = NULL;
		return err;
	}
	/* Shared memory is hostile: copy out, then look. */
	memcpy(magic, page_address(b->page), sizeof(magic));
	if (memcmp(magic, PVIOTEST_MAGIC, sizeof(magic))) {
		pvio_xenbus_dev_fatal(dev, -EPROTO, "bad ring magic");
		pviotest_back_disconnect(dev);
		return -EPROTO;
	}
	err = pvio_bind_interdomain_evtchn_to_irqhandler(dev->domain,
							 dev->otherend_id,
							 port,
							 pviotest_back_irq, 0,
							 "pviotest-back", b);
	if (err < 0) {
		pvio_xenbus_dev_fatal(dev, err, "binding event channel %u",
				      port);
		pviotest_back_disconnect(dev);
		return err;
	}
	b->irq = err;
	return 0;
}

static void pviotest_back_changed(struct pvio_xenbus_device *dev,
				  enum xenbus_state frontend)
{
	struct pviotest_back *b = dev_get_drvdata(&dev->dev);
	struct pvio_xenbus_step s = pvio_xenbus_backend_step(dev->state,
							     frontend);

	if (s.actions & PVIO_XB_ACT_DISCONNECT)
		pviotest_back_disconnect(dev);
	if ((s.actions & PVIO_XB_ACT_CONNECT) && pviotest_back_connect(dev))
		return;
	pvio_xenbus_switch_state(dev, s.next);
	if ((s.actions & PVIO_XB_ACT_CONNECT) && b->irq > 0)
		pvio_notify_remote_via_irq(b->irq);
}

static int pviotest_back_probe(struct pvio_xenbus_device *dev,
			       const struct pvio_xenbus_device_id *id)
{
	struct pviotest_back *b = kzalloc(sizeof(*b), GFP_KERNEL);
	int err;

	if (!b)
		return -ENOMEM;
	dev_set_drvdata(&dev->dev, b);
	err = pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename,
			     "feature-pviotest", "%u", 1);
	if (!err)
		err = pvio_xenbus_switch_state(dev, XenbusStateInitWait);
	if (err) {
		kfree(b);
		dev_set_drvdata(&dev->dev, NULL);
	}
	return err;
}

static void pviotest_back_remove(struct pvio_xenbus_device *dev)
{
	struct pviotest_back *b = dev_get_drvdata(&dev->dev);

	pviotest_back_disconnect(dev);
	kfree(b);
	dev_set_drvdata(&dev->dev, NULL);
}

static const struct pvio_xenbus_device_id pviotest_ids[] = {
	{ "pviotest" },
	{ "" }
};

static struct pvio_xenbus_driver pviotest_front_driver = {
	.name = "pviotest-front",
	.ids = pviotest_ids,
	.probe = pviotest_front_probe,
	.otherend_changed = pviotest_front_changed,
	.remove = pviotest_front_remove,
};

static struct pvio_xenbus_driver pviotest_back_driver = {
	.name = "pviotest-back",
	.ids = pviotest_ids,
	.probe = pviotest_back_probe,
	.otherend_changed = pviotest_back_changed,
	.remove = pviotest_back_remove,
};

static int __init pviotest_init(void)
{
	int err;

	err = pvio_xenbus_register_backend(&pviotest_back_driver, THIS_MODULE,
					   KBUILD_MODNAME);
	if (err)
		return err;
	err = pvio_xenbus_register_frontend(&pviotest_front_driver,
					    THIS_MODULE, KBUILD_MODNAME);
	if (err)
		pvio_xenbus_unregister_driver(&pviotest_back_driver);
	return err;
}

static void __exit pviotest_exit(void)
{
	pvio_xenbus_unregister_driver(&pviotest_front_driver);
	pvio_xenbus_unregister_driver(&pviotest_back_driver);
}

module_init(pviotest_init);
module_exit(pviotest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvio test device type \"pviotest\": handshake only");
