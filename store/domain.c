// SPDX-License-Identifier: GPL-2.0
/*
 * pvio store: serving a domain's ring, as xenstored's introduce_domain()
 * and domain_cleanup() do (xenstored_domain.c).
 *
 * XS_INTRODUCE (domid, frame, port) from the toolstack makes the store map
 * the domain's ring page through the grant the domain put at
 * GNTTAB_RESERVED_XENSTORE (a dom0 grant map like any backend's: no
 * translation of the domain's frame numbers here; the frame in the
 * request is the domain's own and only informational, as for a modern
 * xenstored), bind the domain's store port and serve the ring. XS_RELEASE
 * undoes that. Both hooks run with the store's mutex held, possibly in the
 * ring server's thread, which neither the ring attach nor its detach may
 * wait for: the map and the bind (which can fail, and then fail the
 * request) happen at once, the ring is attached and later detached,
 * unbound and unmapped from an ordered work item.
 * pvio_store_sync() waits for that work.
 *
 * A domain destroyed while introduced (a process domain whose process
 * died: nobody sent XS_RELEASE) is released as xenstored's
 * domain_cleanup() does on VIRQ_DOM_EXC: dom0's store binds that VIRQ and,
 * on each, asks the hypervisor which introduced domains are gone
 * (GNTTABOP_query_size answers GNTST_bad_domain for those) and releases
 * them (@releaseDomain fires, the ring is unmapped and its port closed).
 */
#define pr_fmt(fmt) "pvio-store: " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/interrupt.h>
#include <linux/workqueue.h>
#include <pvio/grant.h>
#include <pvio/evtchn.h>
#include "store.h"

struct xs_domain {
	domid_t domid;
	grant_handle_t handle;
	struct page *page;			/* the ring, mapped */
	int irq;				/* dom0's end of the port */
	struct pvio_store_ring *ring;		/* NULL until attached */
	struct work_struct attach_work;
	struct work_struct detach_work;
};

static struct workqueue_struct *xs_domain_wq;
/* Under the store's mutex (the hooks) and the attach work's ordering. */
static struct xs_domain *xs_domains[PVIO_MAX_DOMID + 1];
/* VIRQ_DOM_EXC: look for introduced domains that are gone. */
static int xs_dom_exc_irq = -1;
static struct work_struct xs_dom_exc_work;

/* domU -> dom0: the domain notified its ring. */
static irqreturn_t xs_domain_irq(int irq, void *data)
{
	struct xs_domain *xd = data;
	struct pvio_store_ring *r = READ_ONCE(xd->ring);

	if (r)
		pvio_store_ring_kick(r);
	return IRQ_HANDLED;
}

/* dom0 -> domU: replies or events are on the ring (server thread). */
static void xs_domain_notify(void *data)
{
	struct xs_domain *xd = data;

	pvio_notify_remote_via_irq(xd->irq);
}

static void xs_domain_unmap(struct xs_domain *xd)
{
	struct gnttab_unmap_grant_ref op;
	struct page *pages[1] = { xd->page };

	pvio_gnttab_set_unmap_op(&op, xd->handle);
	if (pvio_gnttab_unmap_refs(pvio_dom0(), &op, pages, 1) ||
	    op.status != GNTST_okay)
		pr_warn("d%u: unmapping the store ring: status %d\n",
			xd->domid, op.status);
}

static void xs_domain_attach_work(struct work_struct *work)
{
	struct xs_domain *xd = container_of(work, struct xs_domain,
					    attach_work);
	struct pvio_store_ring *r;

	r = pvio_store_ring_attach(pvio_store_get_main(), xd->domid,
				   page_address(xd->page), xs_domain_notify,
				   xd);
	if (IS_ERR(r)) {
		pr_warn("d%u: cannot serve the store ring: %ld\n", xd->domid,
			PTR_ERR(r));
		return;
	}
	WRITE_ONCE(xd->ring, r);
	/*
	 * The attach's own kick may have found the ring empty before the
	 * domain's first request, and the domain's notification of that
	 * request may have come while xd->ring was still NULL (the handler
	 * drops it): look at the ring once more now that the handler can
	 * see it.
	 */
	pvio_store_ring_kick(r);
}

static void xs_domain_detach_work(struct work_struct *work)
{
	struct xs_domain *xd = container_of(work, struct xs_domain,
					    detach_work);
	struct pvio_store_ring *r = xd->ring;

	/* No handler kicks the ring any more, then the server leaves it. */
	WRITE_ONCE(xd->ring, NULL);
	synchronize_irq(xd->irq);
	pvio_store_ring_detach(r);
	pvio_unbind_from_irqhandler(xd->irq, xd);
	xs_domain_unmap(xd);
	kfree(xd);
}

/* XS_INTRODUCE; the store's mutex is held. */
static int xs_domain_introduce(void *priv, domid_t domid, u64 gfn, u32 port)
{
	struct gnttab_map_grant_ref op;
	struct xs_domain *xd;
	int err;

	if (!domid || domid > PVIO_MAX_DOMID)
		return -EINVAL;
	if (xs_domains[domid])
		return -EEXIST;
	xd = kzalloc(sizeof(*xd), GFP_KERNEL);
	if (!xd)
		return -ENOMEM;
	xd->domid = domid;
	INIT_WORK(&xd->attach_work, xs_domain_attach_work);
	INIT_WORK(&xd->detach_work, xs_domain_detach_work);

	pvio_gnttab_set_map_op(&op, 0, GNTTAB_RESERVED_XENSTORE, domid);
	err = pvio_gnttab_map_refs(pvio_dom0(), &op, &xd->page, 1);
	if (err || !xd->page) {
		pr_warn("d%u: cannot map the store ring grant: %d/%d\n",
			domid, err, op.status);
		if (!err) {
			xd->handle = op.handle;
			xs_domain_unmap(xd);
		}
		kfree(xd);
		return -EINVAL;
	}
	xd->handle = op.handle;
	err = pvio_bind_interdomain_evtchn_to_irqhandler(pvio_dom0(), domid,
							 port, xs_domain_irq,
							 0, "pvio-xs-srv", xd);
	if (err < 0) {
		pr_warn("d%u: cannot bind store port %u: %d\n", domid, port,
			err);
		xs_domain_unmap(xd);
		kfree(xd);
		return -EINVAL;
	}
	xd->irq = err;
	xs_domains[domid] = xd;
	queue_work(xs_domain_wq, &xd->attach_work);
	return 0;
}

/* XS_RELEASE (or pvio_store_release_domain()); the store's mutex is held. */
static void xs_domain_release(void *priv, domid_t domid)
{
	struct xs_domain *xd = domid <= PVIO_MAX_DOMID ? xs_domains[domid] :
			       NULL;

	if (!xd)
		return;
	xs_domains[domid] = NULL;
	queue_work(xs_domain_wq, &xd->detach_work);
}

/* Does @domid still exist? dom0 may query any domain's table. */
static bool xs_domain_alive(domid_t domid)
{
	struct gnttab_query_size qs = { .dom = domid };

	if (pvio_grant_table_op(pvio_dom0(), GNTTABOP_query_size, &qs, 1))
		return true;	/* cannot tell: keep it */
	return qs.status != GNTST_bad_domain;
}

/* xenstored's domain_cleanup(): release the introduced domains gone. */
static void xs_dom_exc_work_fn(struct work_struct *work)
{
	struct pvio_store *s = pvio_store_get_main();
	unsigned int i;

	for (i = 1; i <= PVIO_MAX_DOMID; i++) {
		/* A racy look: the release rechecks under the store's mutex. */
		if (!READ_ONCE(xs_domains[i]) || xs_domain_alive(i))
			continue;
		pr_info("d%u: destroyed while introduced: released\n", i);
		pvio_store_release_domain(s, i);
	}
}

static irqreturn_t xs_dom_exc_irq_fn(int irq, void *data)
{
	/* Not on xs_domain_wq: the release queues its detach work there. */
	schedule_work(&xs_dom_exc_work);
	return IRQ_HANDLED;
}

static const struct pvio_store_ops xs_domain_ops = {
	.introduce = xs_domain_introduce,
	.release = xs_domain_release,
};

/**
 * pvio_store_sync() - wait until introduced and released rings are settled
 *
 * Description: XS_INTRODUCE and XS_RELEASE are acknowledged before the
 * ring is served or before it is unmapped. After this returns, every
 * domain introduced so far is being served and every domain released so
 * far has its ring unmapped and its port closed in dom0, so the domain
 * may revoke the grant and free the page. A toolstack calls it after
 * XS_RELEASE, before it tears the domain down.
 *
 * Context: process context, may sleep; not from a store hook or the ring
 * server's thread.
 */
void pvio_store_sync(void)
{
	flush_workqueue(xs_domain_wq);
}
EXPORT_SYMBOL_GPL(pvio_store_sync);

int pvio_store_domains_init(struct pvio_store *s)
{
	xs_domain_wq = alloc_ordered_workqueue("pvio-store-dom", 0);
	if (!xs_domain_wq)
		return -ENOMEM;
	pvio_store_set_ops(s, &xs_domain_ops, NULL);
	INIT_WORK(&xs_dom_exc_work, xs_dom_exc_work_fn);
	xs_dom_exc_irq = pvio_bind_virq_to_irqhandler(pvio_dom0(), VIRQ_DOM_EXC,
						      0, xs_dom_exc_irq_fn, 0,
						      "pvio-xs-dom-exc", NULL);
	if (xs_dom_exc_irq < 0)
		pr_warn("cannot bind VIRQ_DOM_EXC (%d): destroyed domains stay introduced until XS_RELEASE\n",
			xs_dom_exc_irq);
	return 0;
}

/* Module exit: the ring server is stopped; release what is left. */
void pvio_store_domains_exit(struct pvio_store *s)
{
	unsigned int i;

	if (xs_dom_exc_irq >= 0)
		pvio_unbind_from_irqhandler(xs_dom_exc_irq, NULL);
	xs_dom_exc_irq = -1;
	cancel_work_sync(&xs_dom_exc_work);
	pvio_store_set_ops(s, NULL, NULL);
	for (i = 1; i <= PVIO_MAX_DOMID; i++) {
		if (!xs_domains[i])
			continue;
		pr_warn("d%u: still introduced at unload\n", i);
		queue_work(xs_domain_wq, &xs_domains[i]->detach_work);
		xs_domains[i] = NULL;
	}
	destroy_workqueue(xs_domain_wq);
}
