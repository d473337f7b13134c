// SPDX-License-Identifier: GPL-2.0
/*
 * pvio hypervisor: physdev_op and physical IRQs (PIRQs).
 *
 * Follows Xen's xen/arch/x86/irq.c and physdev.c for PV guests. The
 * control domain maps a real Linux IRQ of this machine as a PIRQ of a
 * domain (PHYSDEVOP_map_pirq, MAP_PIRQ_TYPE_GSI with index = the Linux IRQ
 * number); the hypervisor request_irq()s the line, disabled. When the
 * domain binds an event channel to the PIRQ (EVTCHNOP_bind_pirq) the line
 * is enabled. Each interrupt disables the line (disable_irq_nosync()),
 * counts it in flight and sets the bound port pending; the guest's
 * PHYSDEVOP_eoi re-enables the line when nothing is in flight any more,
 * and a 1 ms timer force-EOIs a guest that is too slow (Xen's
 * irq_guest_eoi_timer_fn()).
 *
 * Locking: pirq_mutex serialises map/unmap/bind/unbind and domain
 * teardown (process context). pirq_lock (spinlock, IRQ-safe) guards the
 * per-domain tables against the any-context readers (EOI, status query,
 * the event code's PIRQ -> port lookup). Each PIRQ's lock guards its
 * in-flight state; order pirq->lock -> the IRQ descriptor, and no IRQ
 * descriptor lock is taken under pirq_lock (a guest EOIs under its own).
 */
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "internal.h"
#include "event_channel.h"

/* PIRQs below this are left to legacy ISA numbering, as Xen's GSIs. */
#define PVIO_FIRST_FREE_PIRQ	16
#define PVIO_PIRQ_EOI_TIMEOUT_NS	NSEC_PER_MSEC

struct pvio_hv_pirq {
	struct pvio_domain *d;
	unsigned int pirq;
	unsigned int irq;		/* Linux IRQ number */
	spinlock_t lock;
	evtchn_port_t port;		/* bound event channel, 0 if none */
	bool in_flight;			/* line disabled, awaiting EOI */
	bool eoi_requested;		/* PHYSDEVOP_eoi seen (timer ends it) */
	u64 delivered;
	u64 forced_eois;
	struct hrtimer eoi_timer;
	char name[32];
};

struct pvio_hv_pirq_domain {
	struct pvio_hv_pirq *pirqs[PVIO_NR_PIRQS];
	DECLARE_BITMAP(reserved, PVIO_NR_PIRQS);	/* get_free_pirq */
};

static DEFINE_MUTEX(pirq_mutex);
static DEFINE_SPINLOCK(pirq_lock);
/* Indexed by domid (0..PVIO_MAX_DOMID). */
static struct pvio_hv_pirq_domain *pirq_doms[PVIO_MAX_DOMID + 1];

static struct pvio_hv_pirq_domain *pirq_dom(struct pvio_domain *d)
{
	return d->domid <= PVIO_MAX_DOMID ? pirq_doms[d->domid] : NULL;
}

/* Caller holds pirq_lock or pirq_mutex. */
static struct pvio_hv_pirq *pirq_get(struct pvio_domain *d, unsigned int pirq)
{
	struct pvio_hv_pirq_domain *pd = pirq_dom(d);

	if (!pd || pirq >= PVIO_NR_PIRQS)
		return NULL;
	return pd->pirqs[pirq];
}

/* Re-enable the line if an interrupt is in flight. Caller holds p->lock. */
static bool pirq_end(struct pvio_hv_pirq *p)
{
	if (!p->in_flight)
		return false;
	p->in_flight = false;
	enable_irq(p->irq);
	return true;
}

static enum hrtimer_restart pirq_eoi_timer_fn(struct hrtimer *t)
{
	struct pvio_hv_pirq *p = container_of(t, struct pvio_hv_pirq, eoi_timer);
	unsigned long flags;

	spin_lock_irqsave(&p->lock, flags);
	if (pirq_end(p) && !READ_ONCE(p->eoi_requested))
		p->forced_eois++;
	WRITE_ONCE(p->eoi_requested, false);
	spin_unlock_irqrestore(&p->lock, flags);
	return HRTIMER_NORESTART;
}

static irqreturn_t pirq_interrupt(int irq, void *dev_id)
{
	struct pvio_hv_pirq *p = dev_id;
	unsigned long flags;
	bool send = false;

	spin_lock_irqsave(&p->lock, flags);
	if (p->port && !p->in_flight) {
		/* Xen: mask (ack) the line, count it in flight, arm the timer. */
		disable_irq_nosync(irq);
		p->in_flight = true;
		p->delivered++;
		hrtimer_start(&p->eoi_timer, ns_to_ktime(PVIO_PIRQ_EOI_TIMEOUT_NS),
			      HRTIMER_MODE_REL);
		send = true;
	}
	spin_unlock_irqrestore(&p->lock, flags);

	/* An unbind waits for this handler (synchronize_irq()). */
	if (send)
		pvio_hv_send_guest_pirq(p->d, p->pirq);
	return send ? IRQ_HANDLED : IRQ_NONE;
}

/* ---- called by event_channel.c ---------------------------------------- */

bool pvio_hv_pirq_is_mapped(struct pvio_domain *d, unsigned int pirq)
{
	unsigned long flags;
	bool mapped;

	spin_lock_irqsave(&pirq_lock, flags);
	mapped = pirq_get(d, pirq);
	spin_unlock_irqrestore(&pirq_lock, flags);
	return mapped;
}

evtchn_port_t pvio_hv_pirq_evtchn(struct pvio_domain *d, unsigned int pirq)
{
	struct pvio_hv_pirq *p;
	evtchn_port_t port = 0;
	unsigned long flags;

	spin_lock_irqsave(&pirq_lock, flags);
	p = pirq_get(d, pirq);
	if (p)
		port = READ_ONCE(p->port);
	spin_unlock_irqrestore(&pirq_lock, flags);
	return port;
}

/* Xen's pirq_guest_bind(): deliver the line to @port from now on. */
int pvio_hv_pirq_bind(struct pvio_domain *d, unsigned int pirq,
		      evtchn_port_t port)
{
	struct pvio_hv_pirq *p;
	unsigned long flags;
	int rc = 0;

	mutex_lock(&pirq_mutex);
	p = pirq_get(d, pirq);
	if (!p) {
		rc = -EPERM;
	} else if (p->port) {
		rc = -EEXIST;
	} else {
		spin_lock_irqsave(&p->lock, flags);
		WRITE_ONCE(p->port, port);
		p->in_flight = false;
		enable_irq(p->irq);
		spin_unlock_irqrestore(&p->lock, flags);
	}
	mutex_unlock(&pirq_mutex);
	return rc;
}

/* Caller holds pirq_mutex. Leaves the line disabled and quiesced. */
static void pirq_unbind_locked(struct pvio_hv_pirq *p)
{
	unsigned long flags;

	spin_lock_irqsave(&p->lock, flags);
	if (!p->port) {
		spin_unlock_irqrestore(&p->lock, flags);
		return;
	}
	WRITE_ONCE(p->port, 0);
	if (p->in_flight)
		p->in_flight = false;	/* already disabled */
	else
		disable_irq_nosync(p->irq);
	spin_unlock_irqrestore(&p->lock, flags);
	hrtimer_cancel(&p->eoi_timer);
	synchronize_irq(p->irq);
}

/* Xen's pirq_guest_unbind(), when @port (bound to @pirq) is closed. */
void pvio_hv_pirq_unbind(struct pvio_domain *d, unsigned int pirq,
			 evtchn_port_t port)
{
	struct pvio_hv_pirq *p;

	mutex_lock(&pirq_mutex);
	p = pirq_get(d, pirq);
	if (p && READ_ONCE(p->port) == port)
		pirq_unbind_locked(p);
	mutex_unlock(&pirq_mutex);
}

/* ---- physdev ops ------------------------------------------------------ */

static int pirq_find_free(struct pvio_hv_pirq_domain *pd)
{
	unsigned int pirq;

	for (pirq = PVIO_FIRST_FREE_PIRQ; pirq < PVIO_NR_PIRQS; pirq++)
		if (!pd->pirqs[pirq] && !test_bit(pirq, pd->reserved))
			return pirq;
	return -ENOSPC;
}

/*
 * PHYSDEVOP_map_pirq, validation of the caller and of the IRQ: dom0 only,
 * an existing target domain, a GSI naming a Linux IRQ of this machine.
 * Returns 0 with a reference on the target in *@dp, or -errno.
 */
static long physdev_map_pirq_check(struct pvio_domain *caller,
				   const struct physdev_map_pirq *map,
				   struct pvio_domain **dp)
{
	struct pvio_domain *d;

	if (!caller->privileged)
		return -EPERM;
	d = pvio_hv_domain_lookup(caller, map->domid);
	if (!d)
		return -ESRCH;
	if (map->type != MAP_PIRQ_TYPE_GSI ||
	    map->index <= 0 || !irq_get_irq_data(map->index)) {
		pvio_hv_domain_put(d);
		return -EINVAL;
	}
	*dp = d;
	return 0;
}

/*
 * PHYSDEVOP_map_pirq, validation of the PIRQ asked for (map->pirq < 0:
 * any free one). Caller holds pirq_mutex. Returns the PIRQ to map the IRQ
 * to, with *@mapped set if the IRQ already is mapped to it, or -errno.
 */
static int pirq_map_choose(struct pvio_hv_pirq_domain *pd,
			   const struct physdev_map_pirq *map, bool *mapped)
{
	struct pvio_hv_pirq *p;
	unsigned int i;

	/* Already mapped in this domain: the same PIRQ again, or -EBUSY. */
	for (i = 0; i < PVIO_NR_PIRQS; i++) {
		p = pd->pirqs[i];
		if (!p || p->irq != map->index)
			continue;
		if (map->pirq >= 0 && map->pirq != i)
			return -EBUSY;
		*mapped = true;
		return i;
	}
	if (map->pirq < 0)
		return pirq_find_free(pd);
	if (map->pirq >= PVIO_NR_PIRQS)
		return -EINVAL;
	if (pd->pirqs[map->pirq])
		return -EEXIST;
	return map->pirq;
}

/*
 * PHYSDEVOP_map_pirq, allocation and binding: take Linux IRQ @irq
 * exclusively, disabled until an event channel is bound, and install it
 * as PIRQ @pirq of @d. Caller holds pirq_mutex. Returns 0 or -errno
 * (-ENOMEM, or request_irq()'s: -EBUSY if another driver has the line).
 */
static int pirq_map_irq(struct pvio_domain *d, struct pvio_hv_pirq_domain *pd,
			unsigned int pirq, unsigned int irq)
{
	struct pvio_hv_pirq *p;
	unsigned long flags;
	int rc;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->d = d;
	p->pirq = pirq;
	p->irq = irq;
	spin_lock_init(&p->lock);
	hrtimer_init(&p->eoi_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	p->eoi_timer.function = pirq_eoi_timer_fn;
	snprintf(p->name, sizeof(p->name), "pvio-pirq%u-d%u", pirq, d->domid);

	/* Exclusive: the line is masked while a guest handles it. */
	rc = request_irq(p->irq, pirq_interrupt, IRQF_NO_AUTOEN, p->name, p);
	if (rc) {
		kfree(p);
		return rc;
	}

	spin_lock_irqsave(&pirq_lock, flags);
	pd->pirqs[pirq] = p;
	clear_bit(pirq, pd->reserved);
	spin_unlock_irqrestore(&pirq_lock, flags);
	return 0;
}

/*
 * PHYSDEVOP_map_pirq: validate, map (unless already mapped), and reply
 * with the PIRQ in @map->pirq (the dispatcher copies it out on success).
 */
static long physdev_map_pirq(struct pvio_domain *caller,
			     struct physdev_map_pirq *map)
{
	struct pvio_hv_pirq_domain *pd;
	struct pvio_domain *d;
	bool mapped = false;
	int pirq;
	long rc;

	rc = physdev_map_pirq_check(caller, map, &d);
	if (rc)
		return rc;

	mutex_lock(&pirq_mutex);
	pd = pirq_dom(d);
	pirq = pd ? pirq_map_choose(pd, map, &mapped) : -EINVAL;
	if (pirq < 0)
		rc = pirq;
	else if (!mapped)
		rc = pirq_map_irq(d, pd, pirq, map->index);
	mutex_unlock(&pirq_mutex);
	pvio_hv_domain_put(d);

	/* The reply. */
	if (!rc)
		map->pirq = pirq;
	return rc;
}

/* Caller holds pirq_mutex. */
static void pirq_unmap_locked(struct pvio_hv_pirq_domain *pd, unsigned int pirq)
{
	struct pvio_hv_pirq *p = pd->pirqs[pirq];
	unsigned long flags;

	/* Xen: a bound PIRQ is force-unbound; its port stays ECS_PIRQ. */
	pirq_unbind_locked(p);
	spin_lock_irqsave(&pirq_lock, flags);
	pd->pirqs[pirq] = NULL;
	spin_unlock_irqrestore(&pirq_lock, flags);
	free_irq(p->irq, p);
	hrtimer_cancel(&p->eoi_timer);
	kfree(p);
}

static long physdev_unmap_pirq(struct pvio_domain *caller,
			       struct physdev_unmap_pirq *unmap)
{
	struct pvio_hv_pirq_domain *pd;
	struct pvio_domain *d;
	long rc = 0;

	if (!caller->privileged)
		return -EPERM;
	d = pvio_hv_domain_lookup(caller, unmap->domid);
	if (!d)
		return -ESRCH;
	mutex_lock(&pirq_mutex);
	pd = pirq_dom(d);
	if (!pd || unmap->pirq < 0 || unmap->pirq >= PVIO_NR_PIRQS)
		rc = -EINVAL;
	else if (!pd->pirqs[unmap->pirq])
		rc = test_and_clear_bit(unmap->pirq, pd->reserved) ? 0 : -EINVAL;
	else
		pirq_unmap_locked(pd, unmap->pirq);
	mutex_unlock(&pirq_mutex);
	pvio_hv_domain_put(d);
	return rc;
}

static long physdev_eoi(struct pvio_domain *d, u32 pirq)
{
	struct pvio_hv_pirq *p;
	unsigned long flags;
	long rc = 0;

	if (pirq >= PVIO_NR_PIRQS)
		return -EINVAL;
	/*
	 * The guest EOIs from its IRQ chip with its own descriptor lock held:
	 * re-enabling the physical line here would nest two IRQ descriptor
	 * locks. Expire the EOI timer now instead; its handler re-enables.
	 */
	spin_lock_irqsave(&pirq_lock, flags);
	p = pirq_get(d, pirq);
	if (p) {
		WRITE_ONCE(p->eoi_requested, true);
		hrtimer_start(&p->eoi_timer, 0, HRTIMER_MODE_REL);
	} else {
		rc = -EINVAL;
	}
	spin_unlock_irqrestore(&pirq_lock, flags);
	return rc;
}

static long physdev_get_free_pirq(struct pvio_domain *d,
				  struct physdev_get_free_pirq *gfp)
{
	struct pvio_hv_pirq_domain *pd;
	long rc;

	if (gfp->type != MAP_PIRQ_TYPE_GSI && gfp->type != MAP_PIRQ_TYPE_MSI)
		return -EINVAL;
	mutex_lock(&pirq_mutex);
	pd = pirq_dom(d);
	rc = pd ? pirq_find_free(pd) : -EINVAL;
	if (rc >= 0) {
		set_bit(rc, pd->reserved);
		gfp->pirq = rc;
		rc = 0;
	}
	mutex_unlock(&pirq_mutex);
	return rc;
}

/**
 * pvio_hv_do_physdev_op() - __HYPERVISOR_physdev_op
 * @caller: the calling domain
 * @cmd: PHYSDEVOP_*
 * @arg: guest address of the op's argument structure
 *
 * PHYSDEVOP_map_pirq: dom0 only (-EPERM); domid may name another domain
 * (-ESRCH if unknown); type MAP_PIRQ_TYPE_GSI only (-EINVAL), index = a
 * Linux IRQ number of this machine (-EINVAL if none); pirq < 0 picks a free
 * PIRQ (-ENOSPC), else that PIRQ (-EINVAL out of range, -EEXIST if taken).
 * Mapping an IRQ already mapped returns its PIRQ (-EBUSY if another PIRQ
 * was asked for). The hypervisor request_irq()s the line exclusively
 * (-EBUSY if another driver has it) and keeps it disabled until bound.
 * PHYSDEVOP_unmap_pirq: dom0 only; frees the line (a bound port is
 * force-unbound and stays in the pirq state until closed, as in Xen).
 * PHYSDEVOP_eoi: re-enables the line (from the EOI timer, expired at once)
 * if an interrupt is in flight; -EINVAL for an unmapped PIRQ.
 * PHYSDEVOP_irq_status_query: flags XENIRQSTAT_needs_eoi for a mapped
 * PIRQ, 0 otherwise; -EINVAL out of range.
 * PHYSDEVOP_get_free_pirq: reserves and returns a free PIRQ of the caller.
 * Others: -ENOSYS.
 *
 * Context: eoi and irq_status_query: any context (spinlocks only); the
 * others: process context, may sleep.
 * Return: 0 or -errno as above; -EFAULT for a bad argument address.
 */
long pvio_hv_do_physdev_op(struct pvio_domain *caller, int cmd, unsigned long arg)
{
	union {
		struct physdev_map_pirq map;
		struct physdev_unmap_pirq unmap;
		struct physdev_eoi eoi;
		struct physdev_irq_status_query query;
		struct physdev_get_free_pirq get_free;
	} op;
	unsigned long flags;
	long rc;

	switch (cmd) {
	case PHYSDEVOP_map_pirq:
		if (pvio_hv_copy_from_guest(caller, &op.map, arg, sizeof(op.map)))
			return -EFAULT;
		rc = physdev_map_pirq(caller, &op.map);
		if (!rc && pvio_hv_copy_to_guest(caller, arg, &op.map,
						 sizeof(op.map)))
			rc = -EFAULT;
		return rc;
	case PHYSDEVOP_unmap_pirq:
		if (pvio_hv_copy_from_guest(caller, &op.unmap, arg,
					    sizeof(op.unmap)))
			return -EFAULT;
		return physdev_unmap_pirq(caller, &op.unmap);
	case PHYSDEVOP_eoi:
		if (pvio_hv_copy_from_guest(caller, &op.eoi, arg, sizeof(op.eoi)))
			return -EFAULT;
		return physdev_eoi(caller, op.eoi.irq);
	case PHYSDEVOP_irq_status_query:
		if (pvio_hv_copy_from_guest(caller, &op.query, arg,
					    sizeof(op.query)))
			return -EFAULT;
		if (op.query.irq >= PVIO_NR_PIRQS)
			return -EINVAL;
		spin_lock_irqsave(&pirq_lock, flags);
		op.query.flags = pirq_get(caller, op.query.irq) ?
				 XENIRQSTAT_needs_eoi : 0;
		spin_unlock_irqrestore(&pirq_lock, flags);
		return pvio_hv_copy_to_guest(caller, arg, &op.query,
					  sizeof(op.query)) ? -EFAULT : 0;
	case PHYSDEVOP_get_free_pirq:
		if (pvio_hv_copy_from_guest(caller, &op.get_free, arg,
					    sizeof(op.get_free)))
			return -EFAULT;
		rc = physdev_get_free_pirq(caller, &op.get_free);
		if (!rc && pvio_hv_copy_to_guest(caller, arg, &op.get_free,
						 sizeof(op.get_free)))
			rc = -EFAULT;
		return rc;
	default:
		return -XEN_ENOSYS;
	}
}

int pvio_hv_pirq_domain_init(struct pvio_domain *d)
{
	struct pvio_hv_pirq_domain *pd;
	unsigned long flags;

	if (d->domid > PVIO_MAX_DOMID)
		return -EINVAL;
	pd = kzalloc(sizeof(*pd), GFP_KERNEL);
	if (!pd)
		return -ENOMEM;
	mutex_lock(&pirq_mutex);
	spin_lock_irqsave(&pirq_lock, flags);
	WARN_ON(pirq_doms[d->domid]);
	pirq_doms[d->domid] = pd;
	spin_unlock_irqrestore(&pirq_lock, flags);
	mutex_unlock(&pirq_mutex);
	return 0;
}

void pvio_hv_pirq_domain_destroy(struct pvio_domain *d)
{
	struct pvio_hv_pirq_domain *pd;
	unsigned long flags;
	unsigned int pirq;

	if (d->domid > PVIO_MAX_DOMID)
		return;
	mutex_lock(&pirq_mutex);
	pd = pirq_doms[d->domid];
	if (pd) {
		for (pirq = 0; pirq < PVIO_NR_PIRQS; pirq++)
			if (pd->pirqs[pirq])
				pirq_unmap_locked(pd, pirq);
		spin_lock_irqsave(&pirq_lock, flags);
		pirq_doms[d->domid] = NULL;
		spin_unlock_irqrestore(&pirq_lock, flags);
	}
	mutex_unlock(&pirq_mutex);
	kfree(pd);
}
