// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-bus: helpers for frontend and backend drivers (Linux's
 * xenbus_client.c): switching state, reading the other end, writing keys
 * in one transaction, granting and mapping rings, event channels.
 */
#define pr_fmt(fmt) "pvio-bus: " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <pvio/evtchn.h>
#include <pvio/grant.h>
#include <pvio/xenbus.h>

/* Transactions that keep failing with EAGAIN give up after this many. */
#define PVIO_XB_TX_RETRIES	32

/**
 * pvio_xenbus_switch_state() - write this end's "state" node
 * @dev: the device
 * @state: the new state
 *
 * Like Linux's xenbus_switch_state(): nothing is written if @state is
 * already the device's state; in a transaction (retried on EAGAIN), the
 * node is written only if it still exists, so a device whose directory the
 * toolstack removed is not brought back. @dev->state follows.
 *
 * Context: process context, sleeps (store requests). Callers serialise
 * their own state changes (otherend_changed() runs one at a time).
 * Return: 0, or the store's -errno (the device is then marked with
 * pvio_xenbus_dev_fatal()).
 */
int pvio_xenbus_switch_state(struct pvio_xenbus_device *dev,
			     enum xenbus_state state)
{
	unsigned int cur, tries = 0;
	u32 xbt;
	int err;

	if (state == dev->state)
		return 0;
again:
	err = pvio_xs_transaction_start(dev->xs, &xbt);
	if (err)
		goto fail;
	if (pvio_xs_scanf(dev->xs, xbt, dev->nodename, "state", "%u",
			  &cur) != 1) {
		/* The toolstack removed the device: leave it removed. */
		pvio_xs_transaction_end(dev->xs, xbt, true);
		dev->state = state;
		return 0;
	}
	err = pvio_xs_printf(dev->xs, xbt, dev->nodename, "state", "%d",
			     state);
	if (err) {
		pvio_xs_transaction_end(dev->xs, xbt, true);
		goto fail;
	}
	err = pvio_xs_transaction_end(dev->xs, xbt, false);
	if (err == -EAGAIN && ++tries < PVIO_XB_TX_RETRIES)
		goto again;
	if (err)
		goto fail;
	dev_dbg(&dev->dev, "%s -> %s\n", pvio_xenbus_strstate(dev->state),
		pvio_xenbus_strstate(state));
	dev->state = state;
	return 0;
fail:
	if (err != -ENOENT)
		pvio_xenbus_dev_fatal(dev, err, "writing new state %s",
				      pvio_xenbus_strstate(state));
	return err;
}
EXPORT_SYMBOL_GPL(pvio_xenbus_switch_state);

/**
 * pvio_xenbus_read_driver_state() - read the "state" node of a directory
 * @dev: the device whose store client reads
 * @path: the directory (e.g. @dev->otherend)
 *
 * Context: process context, sleeps.
 * Return: the state; XenbusStateUnknown if absent, unreadable or not a
 * valid state (Linux's xenbus_read_driver_state()).
 */
enum xenbus_state pvio_xenbus_read_driver_state(struct pvio_xenbus_device *dev,
						const char *path)
{
	enum xenbus_state st;
	char *v;

	v = pvio_xs_read(dev->xs, PVIO_XBT_NIL, path, "state", NULL);
	if (IS_ERR(v))
		return XenbusStateUnknown;
	st = pvio_xenbus_parse_state(v);
	kfree(v);
	return st;
}
EXPORT_SYMBOL_GPL(pvio_xenbus_read_driver_state);

/**
 * pvio_xenbus_frontend_closed() - a frontend is done with its backend
 * @dev: the frontend device
 *
 * Switches to Closed and wakes anyone waiting for the frontend to go down
 * (Linux's xenbus_frontend_closed()).
 *
 * Context: process context, sleeps.
 */
void pvio_xenbus_frontend_closed(struct pvio_xenbus_device *dev)
{
	pvio_xenbus_switch_state(dev, XenbusStateClosed);
	complete(&dev->down);
}
EXPORT_SYMBOL_GPL(pvio_xenbus_frontend_closed);

/**
 * pvio_xenbus_dev_fatal() - report a device error
 * @dev: the device
 * @err: the -errno (or errno) that failed
 * @fmt: what was being done
 *
 * Logs the error and writes "<errno> <message>" to the device's "error"
 * node, as Linux's xenbus_dev_fatal() writes error/<nodename>/error, then
 * switches the device to Closing: a misbehaving peer puts the device in
 * an error state, never the kernel.
 *
 * Context: process context, sleeps.
 */
void pvio_xenbus_dev_fatal(struct pvio_xenbus_device *dev, int err,
			   const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = kvasprintf(GFP_KERNEL, fmt, ap);
	va_end(ap);
	dev_err(&dev->dev, "%d %s\n", err, msg ? msg : fmt);
	if (pvio_xs_exists(dev->xs, PVIO_XBT_NIL, dev->nodename, "state"))
		pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename, "error",
			       "%d %s", abs(err), msg ? msg : fmt);
	kfree(msg);
	if (dev->state != XenbusStateClosing &&
	    dev->state != XenbusStateClosed &&
	    pvio_xs_exists(dev->xs, PVIO_XBT_NIL, dev->nodename, "state") &&
	    !pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename, "state",
			    "%d", XenbusStateClosing))
		dev->state = XenbusStateClosing;
}
EXPORT_SYMBOL_GPL(pvio_xenbus_dev_fatal);

/**
 * pvio_xenbus_backend_restarting() - is a backend that went down coming back?
 * @dev: the frontend device, whose backend just went Closing, Closed or
 *	away
 *
 * A backend leaves for one of three reasons. The toolstack detaches the
 * device: it writes the backend's "online" = 0 before Closing (libxl's
 * device removal), and the frontend must let go. The backend failed: it
 * wrote its "error" node (pvio_xenbus_dev_fatal(), Linux's
 * xenbus_dev_fatal()). Otherwise the backend is restarting (its module
 * reloaded, its directory re-created, a block-migrate, the domain's
 * suspend): the frontend keeps its device, holds its I/O and reconnects
 * when a backend appears again, as Linux's frontends do on resume.
 *
 * Context: process context, sleeps (store reads).
 * Return: true if neither "online" = 0 nor an "error" node is in the
 * backend's directory (a directory that is gone counts as restarting).
 */
bool pvio_xenbus_backend_restarting(struct pvio_xenbus_device *dev)
{
	if (pvio_xs_read_unsigned(dev->xs, dev->otherend, "online", 1) == 0)
		return false;
	return !pvio_xs_exists(dev->xs, PVIO_XBT_NIL, dev->otherend, "error");
}
EXPORT_SYMBOL_GPL(pvio_xenbus_backend_restarting);

/**
 * pvio_xenbus_read_otherend_feature() - read a feature the other end offers
 * @dev: the device
 * @node: e.g. "feature-persistent"
 * @default_val: returned when the node is absent or not an unsigned decimal
 *
 * Linux's xenbus_read_unsigned(dev->otherend, node, default_val).
 *
 * Context: process context, sleeps.
 * Return: the value or @default_val.
 */
unsigned int pvio_xenbus_read_otherend_feature(struct pvio_xenbus_device *dev,
					       const char *node,
					       unsigned int default_val)
{
	return pvio_xs_read_unsigned(dev->xs, dev->otherend, node,
				     default_val);
}
EXPORT_SYMBOL_GPL(pvio_xenbus_read_otherend_feature);

/**
 * pvio_xenbus_write_keys() - write keys and switch state in one transaction
 * @dev: the device
 * @kv: the keys, written below @dev->nodename
 * @nr: entries in @kv
 * @state: the state to switch to in the same transaction, or
 *	XenbusStateUnknown to leave it
 *
 * What a frontend does to publish its ring (ring-ref, event-channel,
 * protocol, then Initialised): all keys appear at once to the other end.
 * The transaction is retried on EAGAIN, as Linux's drivers do.
 *
 * Context: process context, sleeps.
 * Return: 0; -ENOENT if the device's directory (its "state" node) is
 * gone, so that a device the toolstack removed is not re-created;
 * -EINVAL for a bad entry; the store's -errno (-EAGAIN after too many
 * retries).
 */
int pvio_xenbus_write_keys(struct pvio_xenbus_device *dev,
			   const struct pvio_xenbus_kv *kv, unsigned int nr,
			   enum xenbus_state state)
{
	unsigned int i, tries = 0;
	u32 xbt;
	int err;

again:
	err = pvio_xs_transaction_start(dev->xs, &xbt);
	if (err)
		return err;
	/* The toolstack removed the device: never bring its directory back. */
	if (!pvio_xs_exists(dev->xs, xbt, dev->nodename, "state"))
		err = -ENOENT;
	for (i = 0; i < nr && !err; i++) {
		if (!kv[i].key || !kv[i].fmt)
			err = -EINVAL;
		else if (kv[i].str)
			err = pvio_xs_printf(dev->xs, xbt, dev->nodename,
					     kv[i].key, "%s", kv[i].str);
		else
			err = pvio_xs_printf(dev->xs, xbt, dev->nodename,
					     kv[i].key, "%lu", kv[i].val);
	}
	if (!err && state != XenbusStateUnknown)
		err = pvio_xs_printf(dev->xs, xbt, dev->nodename, "state",
				     "%d", state);
	if (err) {
		pvio_xs_transaction_end(dev->xs, xbt, true);
		return err;
	}
	err = pvio_xs_transaction_end(dev->xs, xbt, false);
	if (err == -EAGAIN && ++tries < PVIO_XB_TX_RETRIES)
		goto again;
	if (!err && state != XenbusStateUnknown)
		dev->state = state;
	return err;
}
EXPORT_SYMBOL_GPL(pvio_xenbus_write_keys);

/**
 * pvio_xenbus_grant_ring() - grant a ring page to the other end
 * @dev: the (frontend) device
 * @page: a 4 KiB page of @dev->domain
 * @ref: out: the grant reference to publish (e.g. as "ring-ref")
 *
 * Linux's xenbus_grant_ring() for one page, read-write to
 * @dev->otherend_id.
 *
 * Context: process context: a failure marks the device fatal
 * (pvio_xenbus_dev_fatal() sleeps).
 * Return: 0; -ENOSPC with no free reference, -ENODEV if the domain has no
 * grant state (the device is marked fatal either way).
 */
int pvio_xenbus_grant_ring(struct pvio_xenbus_device *dev, struct page *page,
			   grant_ref_t *ref)
{
	int r = pvio_gnttab_grant_foreign_access(dev->domain, dev->otherend_id,
						 pvio_page_to_gfn(dev->domain,
								  page),
						 false);

	if (r < 0) {
		pvio_xenbus_dev_fatal(dev, r, "granting access to ring page");
		return r;
	}
	*ref = r;
	return 0;
}
EXPORT_SYMBOL_GPL(pvio_xenbus_grant_ring);

/**
 * pvio_xenbus_end_ring() - revoke a ring grant and free its page
 * @dev: the (frontend) device
 * @ref: the grant from pvio_xenbus_grant_ring()
 * @page: the page, put once the other end no longer maps it
 *
 * pvio_gnttab_end_foreign_access(): deferred while the backend still maps
 * the page, never reused before.
 *
 * Context: any.
 */
void pvio_xenbus_end_ring(struct pvio_xenbus_device *dev, grant_ref_t ref,
			  struct page *page)
{
	pvio_gnttab_end_foreign_access(dev->domain, ref, page);
}
EXPORT_SYMBOL_GPL(pvio_xenbus_end_ring);

/**
 * pvio_xenbus_map_ring_refs() - map the other end's ring grants, all or
 *	none
 * @dev: the (backend) device
 * @refs: the @nr_refs grant refs the frontend published, in the ring's
 *	page order (hostile: any value)
 * @nr_refs: the ring's pages of 4 KiB, 1 to %PVIO_GNTTAB_MAX_RING_REFS
 *	(16)
 * @pages: out: the @nr_refs mapped pages
 * @handles: out: their handles, for pvio_xenbus_unmap_ring_refs()
 *
 * Linux's xenbus_map_ring_valloc() without the vmap (a caller that
 * wants the pages contiguous vmaps them once, at connect): one
 * GNTTABOP_map_grant_ref batch of (@dev->otherend_id, @refs[i]),
 * read-write, through pvio_gnttab_map_ring_refs(). If any ref is
 * refused none stays mapped, and the device is marked fatal with the
 * first refused ref in its store "error" node ("mapping ring-ref R
 * (status S)").
 *
 * Context: process context (the fatal path writes the store).
 * Return: 0 with @pages and @handles set; -EINVAL (a ref refused, or
 * @nr_refs out of range) or the hypercall's error, the device marked
 * fatal and nothing mapped.
 */
int pvio_xenbus_map_ring_refs(struct pvio_xenbus_device *dev,
			      const grant_ref_t *refs, unsigned int nr_refs,
			      struct page **pages, grant_handle_t *handles)
{
	unsigned int bad = nr_refs;
	s16 status = GNTST_okay;
	int err;

	err = pvio_gnttab_map_ring_refs(dev->domain, dev->otherend_id, refs,
					nr_refs, pages, handles, &bad,
					&status);
	if (!err)
		return 0;
	if (bad < nr_refs)
		pvio_xenbus_dev_fatal(dev, err,
				      "mapping ring-ref %u (status %d)",
				      refs[bad], status);
	else
		pvio_xenbus_dev_fatal(dev, err, "mapping a ring of %u pages",
				      nr_refs);
	return err;
}
EXPORT_SYMBOL_GPL(pvio_xenbus_map_ring_refs);

/**
 * pvio_xenbus_unmap_ring_refs() - unmap a ring mapped with
 *	pvio_xenbus_map_ring_refs(), in one batch
 * @dev: the (backend) device
 * @handles: the ring's @nr_refs handles
 * @pages: if not NULL, its @nr_refs pages; each one unmapped is set to
 *	NULL
 * @nr_refs: the ring's pages of 4 KiB, as mapped
 *
 * Linux's xenbus_unmap_ring_vfree(): one GNTTABOP_unmap_grant_ref batch.
 *
 * Context: process context.
 * Return: 0, or -EINVAL if the hypervisor refused a handle (logged; the
 * others are unmapped all the same) or @nr_refs is out of range.
 */
int pvio_xenbus_unmap_ring_refs(struct pvio_xenbus_device *dev,
				const grant_handle_t *handles,
				struct page **pages, unsigned int nr_refs)
{
	int err;

	err = pvio_gnttab_unmap_ring_refs(dev->domain, handles, pages,
					  nr_refs);
	if (err) {
		dev_warn(&dev->dev, "unmapping a ring of %u pages (handle %u first): %d\n",
			 nr_refs, nr_refs ? handles[0] : 0, err);
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(pvio_xenbus_unmap_ring_refs);

/**
 * pvio_xenbus_map_ring() - map the other end's one-page ring grant
 * @dev: the (backend) device
 * @ref: the grant reference the frontend published (hostile: any value)
 * @handle: out: the mapping's handle for pvio_xenbus_unmap_ring()
 *
 * pvio_xenbus_map_ring_refs() of one ref.
 *
 * Context: process context.
 * Return: the mapped page, or an ERR_PTR: -EINVAL (the grant was refused:
 * bad ref, not granted to us...) or the hypercall's error; the device is
 * marked fatal.
 */
struct page *pvio_xenbus_map_ring(struct pvio_xenbus_device *dev,
				  grant_ref_t ref, grant_handle_t *handle)
{
	struct page *page;
	int err;

	err = pvio_xenbus_map_ring_refs(dev, &ref, 1, &page, handle);
	return err ? ERR_PTR(err) : page;
}
EXPORT_SYMBOL_GPL(pvio_xenbus_map_ring);

/**
 * pvio_xenbus_unmap_ring() - unmap a ring mapped with pvio_xenbus_map_ring()
 * @dev: the (backend) device
 * @handle: the mapping's handle
 * @page: the page pvio_xenbus_map_ring() returned (or NULL)
 *
 * pvio_xenbus_unmap_ring_refs() of one handle.
 *
 * Context: process context.
 * Return: 0, or -EINVAL if the hypervisor refused the handle.
 */
int pvio_xenbus_unmap_ring(struct pvio_xenbus_device *dev,
			   grant_handle_t handle, struct page *page)
{
	struct page *pages[1] = { page };

	return pvio_xenbus_unmap_ring_refs(dev, &handle, page ? pages : NULL,
					   1);
}
EXPORT_SYMBOL_GPL(pvio_xenbus_unmap_ring);

/**
 * pvio_xenbus_alloc_evtchn() - an unbound port for the other end
 * @dev: the (frontend) device
 * @port: out: the port to publish (e.g. as "event-channel")
 *
 * Linux's xenbus_alloc_evtchn(): EVTCHNOP_alloc_unbound with the other
 * end's domain as remote; bind it with pvio_bind_evtchn_to_irqhandler().
 *
 * Context: process context.
 * Return: 0, or the hypercall's -errno (the device is marked fatal).
 */
int pvio_xenbus_alloc_evtchn(struct pvio_xenbus_device *dev,
			     evtchn_port_t *port)
{
	int err = pvio_alloc_unbound_evtchn(dev->domain, dev->otherend_id,
					    port);

	if (err)
		pvio_xenbus_dev_fatal(dev, err, "allocating event channel");
	return err;
}
EXPORT_SYMBOL_GPL(pvio_xenbus_alloc_evtchn);

/**
 * pvio_xenbus_free_evtchn() - close a port no IRQ is bound to
 * @dev: the device
 * @port: the port
 *
 * Linux's xenbus_free_evtchn(); a bound port is closed by
 * pvio_unbind_from_irqhandler() instead.
 *
 * Context: process context.
 * Return: 0, or -EINVAL if the port is not open.
 */
int pvio_xenbus_free_evtchn(struct pvio_xenbus_device *dev,
			    evtchn_port_t port)
{
	return pvio_close_evtchn(dev->domain, port);
}
EXPORT_SYMBOL_GPL(pvio_xenbus_free_evtchn);
