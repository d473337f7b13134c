// SPDX-License-Identifier: GPL-2.0
/*
 * pvio hypervisor: the registry of guest-side components, what boots in
 * an in-kernel domain (include/pvio/guest.h). The events core, the grant
 * API and the bus register here; each is attached to every domain, dom0
 * first, and to every domain created later, and keeps its per-domain
 * state in the domain's slot.
 *
 * pvio_hv_guests_lock serialises (un)registration with domain creation
 * and destruction (domain.c), and is held across attach and detach.
 */

#include <linux/module.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include "internal.h"

/* Registration vs domain creation/destruction; held across attach/detach. */
DEFINE_MUTEX(pvio_hv_guests_lock);
/* The registered components, in registration order (pvio_hv_guests_lock). */
static LIST_HEAD(pvio_guests);

/**
 * pvio_guest_set_priv() - store a guest component's per-domain state
 * @d: the domain
 * @slot: the component's slot
 * @priv: its state (NULL clears)
 *
 * Context: any. An out-of-range slot is ignored (WARN).
 */
void pvio_guest_set_priv(struct pvio_domain *d, enum pvio_guest_slot slot,
			 void *priv)
{
	if (WARN_ON_ONCE((unsigned int)slot >= PVIO_NR_SLOTS))
		return;
	/* Publish @priv after the state it points to is initialised. */
	smp_store_release(&d->priv[slot], priv);
}
EXPORT_SYMBOL_GPL(pvio_guest_set_priv);

/**
 * pvio_guest_priv() - a guest component's per-domain state
 * @d: the domain
 * @slot: the component's slot
 *
 * Context: any.
 * Return: what pvio_guest_set_priv() stored, or NULL.
 */
void *pvio_guest_priv(const struct pvio_domain *d, enum pvio_guest_slot slot)
{
	if (WARN_ON_ONCE((unsigned int)slot >= PVIO_NR_SLOTS))
		return NULL;
	/* Pairs with smp_store_release() in pvio_guest_set_priv(). */
	return smp_load_acquire(&d->priv[slot]);
}
EXPORT_SYMBOL_GPL(pvio_guest_priv);

static void pvio_hv_guests_detach_from(struct pvio_domain *d, struct pvio_guest_ops *last)
{
	struct pvio_guest_ops *ops;

	lockdep_assert_held(&pvio_hv_guests_lock);
	/* Reverse registration order, starting at @last (inclusive). */
	ops = last;
	list_for_each_entry_from_reverse(ops, &pvio_guests, list)
		if (ops->detach)
			ops->detach(d);
}

/* Is any component still registered? */
bool pvio_hv_guests_registered(void)
{
	lockdep_assert_held(&pvio_hv_guests_lock);
	return !list_empty(&pvio_guests);
}

/* Detach every component from @d, newest first. */
void pvio_hv_guests_detach(struct pvio_domain *d)
{
	lockdep_assert_held(&pvio_hv_guests_lock);
	if (!list_empty(&pvio_guests))
		pvio_hv_guests_detach_from(d, list_last_entry(&pvio_guests,
							      struct pvio_guest_ops,
							      list));
}

/* Attach every component to the new domain @d, oldest first. */
int pvio_hv_guests_attach(struct pvio_domain *d)
{
	struct pvio_guest_ops *ops;
	int err;

	lockdep_assert_held(&pvio_hv_guests_lock);
	list_for_each_entry(ops, &pvio_guests, list) {
		err = ops->attach ? ops->attach(d) : 0;
		if (err) {
			pr_warn("pvio: %s attach to domain %u failed: %d\n",
				ops->name, d->domid, err);
			if (!list_is_first(&ops->list, &pvio_guests))
				pvio_hv_guests_detach_from(d, list_prev_entry(ops, list));
			return err;
		}
	}
	return 0;
}

/**
 * pvio_guest_register() - register a guest-side component
 * @ops: name, attach and detach; @ops->list is the hypervisor's
 *
 * attach() is called for every existing domain now (dom0 first, then by
 * creation) and for every domain created later, after the components
 * registered earlier; detach() in reverse order at domain destruction and
 * at pvio_guest_unregister(). attach() and detach() run in process context
 * with the registry lock held: they may sleep and issue hypercalls, but
 * must not create or destroy domains or (un)register components.
 *
 * Context: process context, may sleep.
 * Return: 0, or the first attach() error (the component is then not
 * registered and was detached from the domains it had attached to).
 */
int pvio_guest_register(struct pvio_guest_ops *ops)
{
	struct pvio_domain *d;
	int err = 0;

	mutex_lock(&pvio_hv_guests_lock);
	list_add_tail(&ops->list, &pvio_guests);
	/* The domain list cannot change: create/destroy hold guests_lock. */
	list_for_each_entry(d, &pvio_hv_domain_list, list) {
		err = ops->attach ? ops->attach(d) : 0;
		if (err) {
			pr_warn("pvio: %s attach to domain %u failed: %d\n",
				ops->name, d->domid, err);
			list_for_each_entry_continue_reverse(d,
							     &pvio_hv_domain_list,
							     list)
				if (ops->detach)
					ops->detach(d);
			list_del(&ops->list);
			break;
		}
	}
	mutex_unlock(&pvio_hv_guests_lock);
	return err;
}
EXPORT_SYMBOL_GPL(pvio_guest_register);

/**
 * pvio_guest_unregister() - unregister a guest-side component
 * @ops: as registered
 *
 * Calls detach() for every domain (newest first), then forgets @ops.
 *
 * Context: process context, may sleep.
 */
void pvio_guest_unregister(struct pvio_guest_ops *ops)
{
	struct pvio_domain *d;

	mutex_lock(&pvio_hv_guests_lock);
	list_for_each_entry_reverse(d, &pvio_hv_domain_list, list)
		if (ops->detach)
			ops->detach(d);
	list_del(&ops->list);
	mutex_unlock(&pvio_hv_guests_lock);
}
EXPORT_SYMBOL_GPL(pvio_guest_unregister);

