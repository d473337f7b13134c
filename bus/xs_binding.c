// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-bus: every domain's connection to the store (Linux's
 * xenbus_comms.c/xenbus_probe.c xenstored_local_init()), and the
 * toolstack's introduce and release of a domain (libxl's
 * xs_introduce_domain() / xs_release_domain()).
 *
 * A domU's guest side allocates its ring page (struct
 * xenstore_domain_interface) and an unbound event channel port for dom0,
 * grants the page to dom0 at GNTTAB_RESERVED_XENSTORE, records frame and
 * port in its start_info (pvio_domain_set_store(), as the domain builder
 * does) and opens its client on the page. The toolstack's step, in dom0,
 * then creates /local/domain/<domid> owned by the domain and sends
 * XS_INTRODUCE with the start_info's frame and port through dom0's own
 * client: the store (store/domain.c) maps the page through the grant,
 * binds the port and serves the ring. Dom0's own client is served through
 * a page in dom0's memory, kicked directly (no event channel, like a local
 * xenstored socket).
 *
 * On destruction the order reverses: XS_RELEASE (its watches and
 * transactions go, @releaseDomain fires), pvio_store_sync() until dom0 has
 * unmapped the page and closed its end of the port,
 * /local/domain/<domid> is removed, the client closed, the grant revoked,
 * the port closed and the page freed.
 */
#define pr_fmt(fmt) "pvio-bus: " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/interrupt.h>
#include <pvio/guest.h>
#include <pvio/evtchn.h>
#include <pvio/grant.h>
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
	bool granted;			/* GNTTAB_RESERVED_XENSTORE (domU) */
	bool introduced;		/* by the toolstack (domU) */
	struct pvio_store_ring *ring;	/* dom0's local server (dom0) */
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

/* The server wrote replies or events (domU: through the port). */
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

/* Dom0's local server wrote replies or events. */
static void pvio_xs_notify_client(void *data)
{
	struct pvio_xs_dom *x = data;
	struct pvio_xs *xs = READ_ONCE(x->xs);

	if (xs)
		pvio_xs_kick(xs);
}

/*
 * The toolstack's step (dom0): the domain's home in the store, then
 * XS_INTRODUCE with what the domain builder put in start_info. In a
 * kernel that is not dom0's (UML: pvio_dom0() is NULL) dom0's toolstack
 * does it (pvctl introduce, PVIO_IOC_GET_STORE): the client's requests
 * wait on the ring until then.
 */
static int pvio_xs_introduce(struct pvio_xs_dom *x)
{
	struct pvio_xs *xs0;
	char path[32], perm[8];
	const char *perms[1] = { perm };
	evtchn_port_t port;
	xen_pfn_t gfn;
	int err;

	if (!pvio_dom0())
		return 0;
	xs0 = pvio_xs_of(pvio_dom0());
	if (!xs0)
		return -ENODEV;
	err = pvio_domain_get_store(x->d, &gfn, &port);
	if (err)
		return err;
	snprintf(path, sizeof(path), "/local/domain/%u", x->domid);
	snprintf(perm, sizeof(perm), "n%u", x->domid);
	err = pvio_xs_mkdir(xs0, PVIO_XBT_NIL, path, "");
	if (!err)
		err = pvio_xs_set_perms(xs0, PVIO_XBT_NIL, path, "", perms, 1);
	if (!err)
		err = pvio_xs_introduce_domain(xs0, x->domid, gfn, port);
	if (err)
		return err;
	x->introduced = true;
	return 0;
}

/* The toolstack's step at destruction (dom0); undoes pvio_xs_introduce(). */
static void pvio_xs_release(struct pvio_xs_dom *x)
{
	struct pvio_xs *xs0 = pvio_dom0() ? pvio_xs_of(pvio_dom0()) : NULL;
	char path[32];

	if (!xs0)
		return;
	if (x->introduced && pvio_xs_release_domain(xs0, x->domid))
		pr_warn("d%u: XS_RELEASE failed\n", x->domid);
	x->introduced = false;
	/* Dom0 has unmapped the page and closed its end of the port. */
	pvio_store_sync();
	snprintf(path, sizeof(path), "/local/domain/%u", x->domid);
	pvio_xs_rm(xs0, PVIO_XBT_NIL, path, "");
}

/* Dom0's own client: served from dom0's memory, kicked directly. */
static int pvio_xs_serve_local(struct pvio_xs_dom *x)
{
	struct pvio_store_ring *r;

	r = pvio_store_ring_attach(pvio_store_get_main(), 0,
				   page_address(x->page),
				   pvio_xs_notify_client, x);
	if (IS_ERR(r))
		return PTR_ERR(r);
	WRITE_ONCE(x->ring, r);
	/* A request notified while x->ring was NULL is seen now. */
	pvio_store_ring_kick(r);
	return 0;
}

static void pvio_xs_free(struct pvio_xs_dom *x)
{
	if (x->irq > 0)
		pvio_unbind_from_irqhandler(x->irq, x);
	else if (x->port)
		pvio_close_evtchn(x->d, x->port);
	if (x->domid)
		pvio_domain_set_store(x->d, 0, 0);
	if (x->granted &&
	    !pvio_gnttab_end_foreign_access_ref(x->d,
						GNTTAB_RESERVED_XENSTORE)) {
		/* Still mapped: leak the page rather than reuse it. */
		pr_warn("d%u: store page still mapped, leaked\n", x->domid);
		x->page = NULL;
	}
	if (x->page)
		__free_page(x->page);
	kfree(x);
}

/* The domain builder's and the guest's part of a domU's store connection. */
static int pvio_xs_guest_setup(struct pvio_xs_dom *x)
{
	struct pvio_domain *d = x->d;
	xen_pfn_t gfn = pvio_page_to_gfn(d, x->page);
	int err;

	err = pvio_alloc_unbound_evtchn(d, 0, &x->port);
	if (err)
		return err;
	err = pvio_bind_evtchn_to_irqhandler(d, x->port, pvio_xs_client_irq, 0,
					     "pvio-xs", x);
	if (err < 0) {
		x->port = 0;	/* closed on failure */
		return err;
	}
	x->irq = err;
	pvio_gnttab_grant_foreign_access_ref(d, GNTTAB_RESERVED_XENSTORE, 0,
					     gfn, false);
	x->granted = true;
	return pvio_domain_set_store(d, gfn, x->port);
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
	if (x->domid) {
		err = pvio_xs_guest_setup(x);
		if (err)
			goto fail;
	}
	err = -ENOMEM;
	x->xs = pvio_xs_create(page_address(x->page), pvio_xs_notify_server,
			       x);
	if (!x->xs)
		goto fail;

	err = x->domid ? pvio_xs_introduce(x) : pvio_xs_serve_local(x);
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
	if (x->domid)
		pvio_xs_release(x);
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
	struct pvio_xs *xs;

	if (!x)
		return;
	mutex_lock(&pvio_xs_doms_lock);
	list_del(&x->list);
	mutex_unlock(&pvio_xs_doms_lock);
	pvio_guest_set_priv(d, PVIO_SLOT_STORE, NULL);

	/* The server side first: the toolstack's release, or dom0's own. */
	if (x->domid) {
		pvio_xs_release(x);
	} else {
		pvio_store_ring_detach(x->ring);
		WRITE_ONCE(x->ring, NULL);
	}
	/* Then the client: no handler kicks it, then it is closed. */
	xs = x->xs;
	WRITE_ONCE(x->xs, NULL);
	if (x->irq > 0)
		synchronize_irq(x->irq);
	pvio_xs_destroy(xs);
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
