// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-bus: every domain's connection to the store (Linux's
 * xenbus_comms.c/xenbus_probe.c xenstored_local_init() and xenstored's
 * introduce_domain()).
 *
 * A domU's guest side allocates its ring page (struct
 * xenstore_domain_interface) and an unbound event channel port for dom0,
 * records both in its start_info (pvio_domain_set_store()) and opens its
 * client on the page. Dom0's side then does what xenstored does on
 * XS_INTRODUCE: reads start_info, maps the page (a privileged foreign
 * mapping), binds the interdomain port and serves the ring
 * (pvio_store_ring_attach()); it also creates /local/domain/<domid>.
 * Dom0 talks to its local store through a ring page too, kicked directly
 * (no event channel, like a local xenstored socket).
 *
 * On destruction the order reverses: the ring is no longer served, the
 * domain is released (its watches and transactions go, @releaseDomain
 * fires), /local/domain/<domid> is removed, the ports closed and the page
 * freed.
 */
#define pr_fmt(fmt) "pvio-bus: " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/interrupt.h>
#include <pvio/guest.h>
#include <pvio/evtchn.h>
#include <pvio/xenbus.h>
#include <pvio/store.h>
#include <pvio/xenstored.h>
#include "bus.h"

struct pvio_xs_dom {
	struct pvio_domain *d;
	domid_t domid;
	struct page *page;		/* the ring, owned by the domain */
	struct pvio_xs *xs;		/* the domain's client */
	evtchn_port_t port;		/* the domain's port (domU) */
	int irq;			/* the domain's IRQ on it (domU) */
	int srv_irq;			/* dom0's IRQ on the other end (domU) */
	struct pvio_store_ring *ring;	/* dom0's server on the page */
	struct list_head list;		/* pvio_xs_doms */
};

static DEFINE_MUTEX(pvio_xs_doms_lock);
static LIST_HEAD(pvio_xs_doms);

/**
 * pvio_xs_of() - a domain's store client
 * @d: the domain (the caller's own)
 *
 * The client every pvio_xs_* call of code running in @d names, set up
 * when pvio-bus attached to @d and gone when @d is destroyed.
 *
 * Context: any.
 * Return: the client, or NULL if pvio-bus is not attached to @d.
 */
struct pvio_xs *pvio_xs_of(struct pvio_domain *d)
{
	struct pvio_xs_dom *x = pvio_guest_priv(d, PVIO_SLOT_STORE);

	return x ? x->xs : NULL;
}
EXPORT_SYMBOL_GPL(pvio_xs_of);

/*
 * Domains are attached in domid order; holding the lock keeps each one
 * from being detached (and so destroyed) while @fn runs.
 */
void pvio_bus_walk_domains(pvio_bus_domain_fn_t fn, void *arg)
{
	struct pvio_xs_dom *x;

	mutex_lock(&pvio_xs_doms_lock);
	list_for_each_entry(x, &pvio_xs_doms, list)
		fn(x->d, arg);
	mutex_unlock(&pvio_xs_doms_lock);
}

/* domU -> dom0: the guest notified its ring. */
static irqreturn_t pvio_xs_srv_irq(int irq, void *data)
{
	struct pvio_xs_dom *x = data;
	struct pvio_store_ring *r = READ_ONCE(x->ring);

	if (r)
		pvio_store_ring_kick(r);
	return IRQ_HANDLED;
}

/* dom0 -> domU: the server wrote replies or events. */
static irqreturn_t pvio_xs_client_irq(int irq, void *data)
{
	struct pvio_xs_dom *x = data;
	struct pvio_xs *xs = READ_ONCE(x->xs);

	if (xs)
		pvio_xs_kick(xs);
	return IRQ_HANDLED;
}

static void pvio_xs_notify_server(void *data)
{
	struct pvio_xs_dom *x = data;

	struct pvio_store_ring *r = READ_ONCE(x->ring);

	if (!x->domid) {
		if (r)
			pvio_store_ring_kick(r);
	} else if (x->irq > 0) {
		pvio_notify_remote_via_irq(x->irq);
	}
}

static void pvio_xs_notify_client(void *data)
{
	struct pvio_xs_dom *x = data;

	struct pvio_xs *xs = READ_ONCE(x->xs);

	if (!x->domid) {
		if (xs)
			pvio_xs_kick(xs);
	} else if (x->srv_irq > 0) {
		pvio_notify_remote_via_irq(x->srv_irq);
	}
}

/* Dom0's side of introducing @x's domain (xenstored introduce_domain()). */
static int pvio_xs_introduce(struct pvio_xs_dom *x)
{
	struct pvio_store *s = pvio_store_get_main();
	struct pvio_store_ring *r;
	struct page *page = x->page;
	evtchn_port_t port;
	xen_pfn_t gfn;
	int err;

	if (x->domid) {
		err = pvio_domain_get_store(x->d, &gfn, &port);
		if (err)
			return err;
		page = pvio_gfn_to_page(x->d, gfn);
		if (!page)
			return -EINVAL;
		err = pvio_store_domain_setup(s, x->domid);
		if (err)
			return err;
		err = pvio_bind_interdomain_evtchn_to_irqhandler(pvio_dom0(),
								 x->domid, port,
								 pvio_xs_srv_irq,
								 0, "pvio-xs-srv",
								 x);
		if (err < 0)
			return err;
		x->srv_irq = err;
	}
	r = pvio_store_ring_attach(s, x->domid, page_address(page),
				   pvio_xs_notify_client, x);
	if (IS_ERR(r)) {
		if (x->srv_irq > 0)
			pvio_unbind_from_irqhandler(x->srv_irq, x);
		x->srv_irq = 0;
		return PTR_ERR(r);
	}
	WRITE_ONCE(x->ring, r);
	return 0;
}

static void pvio_xs_free(struct pvio_xs_dom *x)
{
	if (x->irq > 0)
		pvio_unbind_from_irqhandler(x->irq, x);
	else if (x->port)
		pvio_close_evtchn(x->d, x->port);
	if (x->page) {
		if (x->domid)
			pvio_domain_set_store(x->d, 0, 0);
		__free_page(x->page);
	}
	kfree(x);
}

static int pvio_xs_attach(struct pvio_domain *d)
{
	struct pvio_xs_dom *x = kzalloc(sizeof(*x), GFP_KERNEL);
	int err = -ENOMEM;

	if (!x)
		return -ENOMEM;
	x->d = d;
	x->domid = pvio_domain_id(d);
	x->page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!x->page)
		goto fail;

	/* The guest's part: its page, its port, its start_info. */
	if (x->domid) {
		err = pvio_alloc_unbound_evtchn(d, 0, &x->port);
		if (err)
			goto fail;
		err = pvio_bind_evtchn_to_irqhandler(d, x->port,
						     pvio_xs_client_irq, 0,
						     "pvio-xs", x);
		if (err < 0) {
			x->port = 0;	/* closed on failure */
			goto fail;
		}
		x->irq = err;
		err = pvio_domain_set_store(d, pvio_page_to_gfn(d, x->page),
					    x->port);
		if (err)
			goto fail;
	}
	err = -ENOMEM;
	x->xs = pvio_xs_create(page_address(x->page), pvio_xs_notify_server,
			       x);
	if (!x->xs)
		goto fail;

	/* Dom0's part: introduce the domain to the store. */
	err = pvio_xs_introduce(x);
	if (err)
		goto fail_xs;
	pvio_guest_set_priv(d, PVIO_SLOT_STORE, x);
	/* Dom0's home, as xen-init-dom0 writes it at boot. */
	if (!x->domid &&
	    (pvio_xs_write(x->xs, PVIO_XBT_NIL, "/local/domain/0", "name",
			   "Domain-0") ||
	     pvio_xs_write(x->xs, PVIO_XBT_NIL, "/local/domain/0", "domid",
			   "0")))
		pr_warn("cannot write /local/domain/0\n");
	mutex_lock(&pvio_xs_doms_lock);
	list_add_tail(&x->list, &pvio_xs_doms);
	mutex_unlock(&pvio_xs_doms_lock);
	return 0;

fail_xs:
	pvio_xs_destroy(x->xs);
	x->xs = NULL;
fail:
	pr_warn("d%u: store connection failed: %d\n", x->domid, err);
	pvio_xs_free(x);
	return err;
}

static void pvio_xs_detach(struct pvio_domain *d)
{
	struct pvio_xs_dom *x = pvio_guest_priv(d, PVIO_SLOT_STORE);
	struct pvio_store *s = pvio_store_get_main();
	struct pvio_store_ring *r;
	struct pvio_xs *xs, *xs0;
	char path[32];

	if (!x)
		return;
	mutex_lock(&pvio_xs_doms_lock);
	list_del(&x->list);
	mutex_unlock(&pvio_xs_doms_lock);
	pvio_guest_set_priv(d, PVIO_SLOT_STORE, NULL);

	/*
	 * The server first (no handler kicks it, then it stops calling
	 * notify), then the client the same way.
	 */
	r = x->ring;
	WRITE_ONCE(x->ring, NULL);
	if (x->srv_irq > 0)
		synchronize_irq(x->srv_irq);
	pvio_store_ring_detach(r);
	if (x->srv_irq > 0)
		pvio_unbind_from_irqhandler(x->srv_irq, x);
	x->srv_irq = 0;
	xs = x->xs;
	WRITE_ONCE(x->xs, NULL);
	if (x->irq > 0)
		synchronize_irq(x->irq);
	pvio_xs_destroy(xs);
	if (x->irq > 0)
		pvio_unbind_from_irqhandler(x->irq, x);
	x->irq = 0;
	x->port = 0;
	if (x->domid) {
		pvio_store_release_domain(s, x->domid);
		/* What a toolstack's destroy leaves to be removed. */
		xs0 = pvio_xs_of(pvio_dom0());
		snprintf(path, sizeof(path), "/local/domain/%u", x->domid);
		if (xs0)
			pvio_xs_rm(xs0, PVIO_XBT_NIL, path, "");
	}
	pvio_xs_free(x);
}

static struct pvio_guest_ops pvio_xs_guest_ops = {
	.name = "pvio-bus-store",
	.attach = pvio_xs_attach,
	.detach = pvio_xs_detach,
};

int pvio_xs_binding_init(void)
{
	return pvio_guest_register(&pvio_xs_guest_ops);
}

void pvio_xs_binding_exit(void)
{
	pvio_guest_unregister(&pvio_xs_guest_ops);
}
