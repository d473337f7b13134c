// SPDX-License-Identifier: GPL-2.0
/*
 * pvio hypervisor: event channels, 2-level ABI.
 *
 * Follows Xen's xen/common/event_channel.c and event_2l.c. Each domain has
 * up to PVIO_EVTCHN_NR_PORTS ports, allocated in buckets of
 * PVIO_EVTCHN_PER_BUCKET that are never freed before the domain is
 * destroyed, so a port structure found under RCU stays valid while the
 * domain's table exists. Port 0 is reserved, as in Xen.
 *
 * Locking:
 *  - evtchn_ctl_mutex serialises the control operations (allocation,
 *    binds, closes, reset, domain teardown). It plays the part of Xen's
 *    per-domain event_lock; control operations run in process context.
 *  - each port has a spinlock (Xen's per-channel lock) that guards its
 *    state against the data path: send, unmask, status and bind_vcpu take
 *    only this lock and may run in any context (hard IRQ included). When
 *    two ports are locked at once (bind_interdomain, close of an
 *    interdomain port), they are taken in (domid, port) order.
 *  - a domain's virq_lock guards virq_to_port against a concurrent
 *    hypervisor-raised VIRQ (Xen's v->virq_lock); it nests outside the
 *    port lock.
 *  - a send on an interdomain port holds the local port's lock while it
 *    marks the remote port pending. Closing either end needs both locks,
 *    and destroying a domain closes all its ports first, so the remote
 *    domain's table cannot go away under a sender (XSA-331-like safety).
 *  - d->evtchn is cleared, and freed after an RCU grace period, when the
 *    domain is destroyed; the data path reads it under rcu_read_lock().
 */
#include <linux/bitops.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "internal.h"
#include "event_channel.h"

#define PVIO_EVTCHN_PER_BUCKET	64
#define PVIO_EVTCHN_NR_BUCKETS	(PVIO_EVTCHN_NR_PORTS / PVIO_EVTCHN_PER_BUCKET)
#define BITS_PER_EVTCHN_WORD	(sizeof(xen_ulong_t) * 8)

enum pvio_hv_evtchn_state {
	ECS_FREE,
	ECS_RESERVED,
	ECS_UNBOUND,
	ECS_INTERDOMAIN,
	ECS_PIRQ,
	ECS_VIRQ,
	ECS_IPI,
};

struct pvio_evtchn {
	spinlock_t lock;		/* guards state, u (notify_vcpu writes) */
	u8 state;			/* enum pvio_hv_evtchn_state */
	u32 notify_vcpu;		/* READ_ONCE() outside the lock */
	union {
		struct {
			domid_t remote_domid;
		} unbound;
		struct {
			struct pvio_domain *remote_dom;
			evtchn_port_t remote_port;
		} interdomain;
		u32 pirq;
		u32 virq;
	} u;
};

struct pvio_hv_evtchn_domain {
	struct pvio_domain *d;
	bool dying;			/* under evtchn_ctl_mutex */
	unsigned int free_hint;		/* no free port below it (ctl mutex) */
	atomic_t nr_pollers;		/* vCPUs in SCHEDOP_poll */
	spinlock_t virq_lock;
	u16 virq_to_port[PVIO_MAX_VCPUS][NR_VIRQS];
	struct pvio_evtchn *buckets[PVIO_EVTCHN_NR_BUCKETS];
};

static DEFINE_MUTEX(evtchn_ctl_mutex);

static unsigned long *evtchn_bitmap(xen_ulong_t *words)
{
	BUILD_BUG_ON(sizeof(xen_ulong_t) != sizeof(unsigned long));
	return (unsigned long *)words;
}

/* Port lookup: NULL if @port is out of range or its bucket not allocated. */
static struct pvio_evtchn *evtchn_port(struct pvio_hv_evtchn_domain *e,
				       evtchn_port_t port)
{
	struct pvio_evtchn *bucket;

	if (port >= PVIO_EVTCHN_NR_PORTS)
		return NULL;
	/* Pairs with smp_store_release() in get_free_port(). */
	bucket = smp_load_acquire(&e->buckets[port / PVIO_EVTCHN_PER_BUCKET]);
	if (!bucket)
		return NULL;
	return &bucket[port % PVIO_EVTCHN_PER_BUCKET];
}

static bool virq_is_global(u32 virq)
{
	switch (virq) {
	case VIRQ_TIMER:
	case VIRQ_DEBUG:
	case VIRQ_XENOPROF:
	case VIRQ_XENPMU:
		return false;
	default:
		return true;
	}
}

/*
 * Xen's vcpu_mark_events_pending() + evtchn_check_pollers(): raise the
 * upcall when evtchn_upcall_pending goes 0 -> 1 and the upcall is not
 * masked; wake a vCPU sleeping in SCHEDOP_block.
 */
static void vcpu_mark_events_pending(struct pvio_domain *d, unsigned int vcpu)
{
	struct vcpu_info *vi = &d->shared_info->vcpu_info[vcpu];

	if (xchg(&vi->evtchn_upcall_pending, 1))
		return;
	if (!READ_ONCE(vi->evtchn_upcall_mask))
		pvio_hv_vcpu_kick(d, vcpu);	/* also wakes block_wq */
	else if (wq_has_sleeper(&d->vcpus[vcpu].block_wq))
		wake_up(&d->vcpus[vcpu].block_wq);
}

static void evtchn_check_pollers(struct pvio_domain *d,
				 struct pvio_hv_evtchn_domain *e)
{
	unsigned int v;

	if (!atomic_read(&e->nr_pollers))
		return;
	for (v = 0; v < d->nr_vcpus; v++)
		wake_up(&d->vcpus[v].block_wq);
}

/*
 * evtchn_2l_set_pending(): test_and_set the pending bit (already set:
 * nothing more to do); if the port is not masked and the selector bit of
 * its word goes 0 -> 1 in the notified vCPU, mark events pending there.
 * Any context; the caller holds the port's lock.
 */
static void evtchn_set_pending(struct pvio_domain *d,
			       struct pvio_hv_evtchn_domain *e,
			       unsigned int vcpu, evtchn_port_t port)
{
	struct shared_info *s = d->shared_info;
	struct vcpu_info *vi;

	if (test_and_set_bit(port, evtchn_bitmap(s->evtchn_pending)))
		return;

	pvio_hv_count(d, events_delivered);
	if (vcpu >= d->nr_vcpus)
		vcpu = 0;
	vi = &s->vcpu_info[vcpu];
	if (!test_bit(port, evtchn_bitmap(s->evtchn_mask)) &&
	    !test_and_set_bit(port / BITS_PER_EVTCHN_WORD,
			      evtchn_bitmap(&vi->evtchn_pending_sel)))
		vcpu_mark_events_pending(d, vcpu);

	evtchn_check_pollers(d, e);
}

/* evtchn_2l_unmask(). Caller holds the port's lock. */
static void evtchn_unmask_port(struct pvio_domain *d, struct pvio_evtchn *chn,
			       evtchn_port_t port)
{
	struct shared_info *s = d->shared_info;
	unsigned int vcpu = READ_ONCE(chn->notify_vcpu);
	struct vcpu_info *vi;

	if (vcpu >= d->nr_vcpus)
		vcpu = 0;
	vi = &s->vcpu_info[vcpu];
	if (test_and_clear_bit(port, evtchn_bitmap(s->evtchn_mask)) &&
	    test_bit(port, evtchn_bitmap(s->evtchn_pending)) &&
	    !test_and_set_bit(port / BITS_PER_EVTCHN_WORD,
			      evtchn_bitmap(&vi->evtchn_pending_sel)))
		vcpu_mark_events_pending(d, vcpu);
}

/* Xen's free_evtchn(). Caller holds the port's lock. */
static void evtchn_free(struct pvio_domain *d, struct pvio_evtchn *chn,
			evtchn_port_t port)
{
	/* Clear a pending event to avoid unexpected behaviour on re-bind. */
	clear_bit(port, evtchn_bitmap(d->shared_info->evtchn_pending));
	chn->state = ECS_FREE;
	WRITE_ONCE(chn->notify_vcpu, 0);
	/* Frees happen under evtchn_ctl_mutex, with d->evtchn set. */
	if (port < d->evtchn->free_hint)
		d->evtchn->free_hint = port;
	memset(&chn->u, 0, sizeof(chn->u));
}

static struct pvio_evtchn *alloc_bucket(void)
{
	struct pvio_evtchn *bucket;
	unsigned int i;

	bucket = kcalloc(PVIO_EVTCHN_PER_BUCKET, sizeof(*bucket), GFP_KERNEL);
	if (!bucket)
		return NULL;
	for (i = 0; i < PVIO_EVTCHN_PER_BUCKET; i++)
		spin_lock_init(&bucket[i].lock);
	return bucket;
}

/*
 * Xen's get_free_port(): the lowest free port, allocating a bucket when
 * all existing ones are full. Caller holds evtchn_ctl_mutex (a port leaves
 * ECS_FREE only under it). Returns the port or -errno.
 */
static int get_free_port(struct pvio_hv_evtchn_domain *e)
{
	struct pvio_evtchn *bucket;
	unsigned int b, i;

	lockdep_assert_held(&evtchn_ctl_mutex);
	if (e->dying)
		return -EINVAL;

	for (b = e->free_hint / PVIO_EVTCHN_PER_BUCKET;
	     b < PVIO_EVTCHN_NR_BUCKETS; b++) {
		bucket = e->buckets[b];
		if (!bucket) {
			bucket = alloc_bucket();
			if (!bucket)
				return -ENOMEM;
			/* Publish initialised locks to lock-free lookups. */
			smp_store_release(&e->buckets[b], bucket);
		}
		for (i = 0; i < PVIO_EVTCHN_PER_BUCKET; i++) {
			if (READ_ONCE(bucket[i].state) == ECS_FREE) {
				e->free_hint = b * PVIO_EVTCHN_PER_BUCKET + i;
				return e->free_hint;
			}
		}
	}
	e->free_hint = PVIO_EVTCHN_NR_PORTS;
	return -ENOSPC;
}

/* Take two ports' locks in (domid, port) order. */
static void lock_two_ports(struct pvio_domain *d1, struct pvio_evtchn *c1,
			   evtchn_port_t p1, struct pvio_domain *d2,
			   struct pvio_evtchn *c2, evtchn_port_t p2,
			   unsigned long *flags)
	__acquires(&c1->lock) __acquires(&c2->lock)
{
	bool first_is_1 = d1->domid < d2->domid ||
			  (d1->domid == d2->domid && p1 <= p2);

	if (c1 == c2) {
		spin_lock_irqsave(&c1->lock, *flags);
		__acquire(&c2->lock);	/* one lock, counted twice for sparse */
		return;
	}
	if (first_is_1) {
		spin_lock_irqsave(&c1->lock, *flags);
		spin_lock_nested(&c2->lock, SINGLE_DEPTH_NESTING);
	} else {
		spin_lock_irqsave(&c2->lock, *flags);
		spin_lock_nested(&c1->lock, SINGLE_DEPTH_NESTING);
	}
}

static void unlock_two_ports(struct pvio_evtchn *c1, struct pvio_evtchn *c2,
			     unsigned long flags)
	__releases(&c1->lock) __releases(&c2->lock)
{
	if (c1 != c2)
		spin_unlock(&c2->lock);
	else
		__release(&c2->lock);
	spin_unlock_irqrestore(&c1->lock, flags);
}

/* The caller's own table, for control operations (evtchn_ctl_mutex held). */
static struct pvio_hv_evtchn_domain *ctl_table(struct pvio_domain *d)
{
	lockdep_assert_held(&evtchn_ctl_mutex);
	return d->evtchn;
}

/* ---- control operations ---------------------------------------------- */

static long evtchn_alloc_unbound(struct pvio_domain *caller,
				 struct evtchn_alloc_unbound *alloc)
{
	struct pvio_hv_evtchn_domain *e;
	struct pvio_evtchn *chn;
	struct pvio_domain *d;
	unsigned long flags;
	long rc;
	int port;

	d = pvio_hv_domain_lookup(caller, alloc->dom);
	if (!d)
		return -ESRCH;
	if (d != caller && !caller->privileged) {
		rc = -EPERM;
		goto out_put;
	}

	mutex_lock(&evtchn_ctl_mutex);
	e = ctl_table(d);
	rc = e ? get_free_port(e) : -EINVAL;
	if (rc < 0)
		goto out_unlock;
	port = rc;
	chn = evtchn_port(e, port);

	spin_lock_irqsave(&chn->lock, flags);
	chn->state = ECS_UNBOUND;
	chn->u.unbound.remote_domid = alloc->remote_dom == DOMID_SELF ?
				      caller->domid : alloc->remote_dom;
	spin_unlock_irqrestore(&chn->lock, flags);

	alloc->port = port;
	rc = 0;
out_unlock:
	mutex_unlock(&evtchn_ctl_mutex);
out_put:
	pvio_hv_domain_put(d);
	return rc;
}

static long evtchn_bind_interdomain(struct pvio_domain *ld,
				    struct evtchn_bind_interdomain *bind)
{
	struct pvio_hv_evtchn_domain *le, *re;
	struct pvio_evtchn *lchn, *rchn;
	evtchn_port_t rport = bind->remote_port;
	struct pvio_domain *rd;
	unsigned long flags;
	int lport;
	long rc;

	rd = pvio_hv_domain_lookup(ld, bind->remote_dom);
	if (!rd)
		return -ESRCH;

	mutex_lock(&evtchn_ctl_mutex);
	le = ctl_table(ld);
	re = ctl_table(rd);
	if (!le || !re || re->dying) {
		rc = -EINVAL;
		goto out;
	}
	lport = get_free_port(le);
	if (lport < 0) {
		rc = lport;
		goto out;
	}
	lchn = evtchn_port(le, lport);
	rchn = evtchn_port(re, rport);
	if (!rchn) {
		rc = -EINVAL;
		goto out;
	}

	lock_two_ports(ld, lchn, lport, rd, rchn, rport, &flags);
	if (rchn->state != ECS_UNBOUND ||
	    rchn->u.unbound.remote_domid != ld->domid) {
		unlock_two_ports(lchn, rchn, flags);
		rc = -EINVAL;
		goto out;
	}

	lchn->u.interdomain.remote_dom = rd;
	lchn->u.interdomain.remote_port = rport;
	lchn->state = ECS_INTERDOMAIN;

	rchn->u.interdomain.remote_dom = ld;
	rchn->u.interdomain.remote_port = lport;
	rchn->state = ECS_INTERDOMAIN;

	/*
	 * We may have lost notifications on the remote unbound port: as Xen
	 * does, conservatively always set the new local port pending.
	 */
	evtchn_set_pending(ld, le, READ_ONCE(lchn->notify_vcpu), lport);
	unlock_two_ports(lchn, rchn, flags);

	bind->local_port = lport;
	rc = 0;
out:
	mutex_unlock(&evtchn_ctl_mutex);
	pvio_hv_domain_put(rd);
	return rc;
}

static long evtchn_bind_virq(struct pvio_domain *d,
			     struct evtchn_bind_virq *bind)
{
	u32 virq = bind->virq, vcpu = bind->vcpu;
	struct pvio_hv_evtchn_domain *e;
	struct pvio_evtchn *chn;
	unsigned long flags;
	long rc;
	int port;

	if (virq >= NR_VIRQS)
		return -EINVAL;
	if (virq_is_global(virq) && vcpu != 0)
		return -EINVAL;
	if (vcpu >= d->nr_vcpus)
		return -ENOENT;
	/* Global VIRQs go to the control domain only (Xen: -EBUSY). */
	if (virq_is_global(virq) && !d->privileged)
		return -EBUSY;

	mutex_lock(&evtchn_ctl_mutex);
	e = ctl_table(d);
	if (!e) {
		rc = -EINVAL;
		goto out;
	}
	if (e->virq_to_port[vcpu][virq]) {
		rc = -EEXIST;
		goto out;
	}
	rc = get_free_port(e);
	if (rc < 0)
		goto out;
	port = rc;
	chn = evtchn_port(e, port);

	spin_lock_irqsave(&e->virq_lock, flags);
	spin_lock(&chn->lock);
	chn->state = ECS_VIRQ;
	WRITE_ONCE(chn->notify_vcpu, vcpu);
	chn->u.virq = virq;
	spin_unlock(&chn->lock);
	e->virq_to_port[vcpu][virq] = port;
	spin_unlock_irqrestore(&e->virq_lock, flags);

	bind->port = port;
	rc = 0;
out:
	mutex_unlock(&evtchn_ctl_mutex);
	return rc;
}

static long evtchn_bind_ipi(struct pvio_domain *d, struct evtchn_bind_ipi *bind)
{
	struct pvio_hv_evtchn_domain *e;
	struct pvio_evtchn *chn;
	unsigned long flags;
	long rc;

	if (bind->vcpu >= d->nr_vcpus)
		return -ENOENT;

	mutex_lock(&evtchn_ctl_mutex);
	e = ctl_table(d);
	rc = e ? get_free_port(e) : -EINVAL;
	if (rc >= 0) {
		chn = evtchn_port(e, rc);
		spin_lock_irqsave(&chn->lock, flags);
		chn->state = ECS_IPI;
		WRITE_ONCE(chn->notify_vcpu, bind->vcpu);
		spin_unlock_irqrestore(&chn->lock, flags);
		bind->port = rc;
		rc = 0;
	}
	mutex_unlock(&evtchn_ctl_mutex);
	return rc;
}

static long evtchn_bind_pirq(struct pvio_domain *d,
			     struct evtchn_bind_pirq *bind)
{
	struct pvio_hv_evtchn_domain *e;
	struct pvio_evtchn *chn;
	unsigned long flags;
	int port;
	long rc;

	if (bind->pirq >= PVIO_NR_PIRQS)
		return -EINVAL;

	mutex_lock(&evtchn_ctl_mutex);
	e = ctl_table(d);
	if (!e) {
		rc = -EINVAL;
		goto out;
	}
	/* Xen's pirq_access_permitted(): the PIRQ must be mapped to us. */
	if (!pvio_hv_pirq_is_mapped(d, bind->pirq)) {
		rc = -EPERM;
		goto out;
	}
	if (pvio_hv_pirq_evtchn(d, bind->pirq)) {
		rc = -EEXIST;
		goto out;
	}
	rc = get_free_port(e);
	if (rc < 0)
		goto out;
	port = rc;
	chn = evtchn_port(e, port);

	spin_lock_irqsave(&chn->lock, flags);
	chn->state = ECS_PIRQ;
	chn->u.pirq = bind->pirq;
	spin_unlock_irqrestore(&chn->lock, flags);

	/* Xen's pirq_guest_bind(): from now on the line is delivered. */
	rc = pvio_hv_pirq_bind(d, bind->pirq, port);
	if (rc) {
		spin_lock_irqsave(&chn->lock, flags);
		evtchn_free(d, chn, port);
		spin_unlock_irqrestore(&chn->lock, flags);
		goto out;
	}
	bind->port = port;
out:
	mutex_unlock(&evtchn_ctl_mutex);
	return rc;
}

/*
 * Xen's __evtchn_close(). Caller holds evtchn_ctl_mutex, so neither end of
 * an interdomain channel can change state or go away meanwhile.
 */
static long evtchn_close_locked(struct pvio_domain *d1, evtchn_port_t port1)
{
	struct pvio_hv_evtchn_domain *e1 = ctl_table(d1), *e2;
	struct pvio_evtchn *chn1, *chn2;
	struct pvio_domain *d2;
	evtchn_port_t port2;
	unsigned long flags;
	u32 vcpu, virq;

	chn1 = e1 ? evtchn_port(e1, port1) : NULL;
	if (!chn1)
		return -EINVAL;

	switch (READ_ONCE(chn1->state)) {
	case ECS_FREE:
	case ECS_RESERVED:
		return -EINVAL;

	case ECS_UNBOUND:
	case ECS_IPI:
		break;

	case ECS_PIRQ:
		/* Xen's pirq_guest_unbind(): mask the line, wait for it. */
		pvio_hv_pirq_unbind(d1, chn1->u.pirq, port1);
		break;

	case ECS_VIRQ:
		virq = chn1->u.virq;
		spin_lock_irqsave(&e1->virq_lock, flags);
		for (vcpu = 0; vcpu < d1->nr_vcpus; vcpu++)
			if (e1->virq_to_port[vcpu][virq] == port1)
				e1->virq_to_port[vcpu][virq] = 0;
		spin_unlock_irqrestore(&e1->virq_lock, flags);
		break;

	case ECS_INTERDOMAIN:
		d2 = chn1->u.interdomain.remote_dom;
		port2 = chn1->u.interdomain.remote_port;
		e2 = ctl_table(d2);
		chn2 = e2 ? evtchn_port(e2, port2) : NULL;
		if (WARN_ON_ONCE(!chn2))
			break;
		lock_two_ports(d1, chn1, port1, d2, chn2, port2, &flags);
		WARN_ON_ONCE(chn2->state != ECS_INTERDOMAIN ||
			     chn2->u.interdomain.remote_dom != d1);
		/* The peer returns to unbound, accepting d1 again. */
		chn2->state = ECS_UNBOUND;
		memset(&chn2->u, 0, sizeof(chn2->u));
		chn2->u.unbound.remote_domid = d1->domid;
		evtchn_free(d1, chn1, port1);
		unlock_two_ports(chn1, chn2, flags);
		return 0;
	}

	spin_lock_irqsave(&chn1->lock, flags);
	evtchn_free(d1, chn1, port1);
	spin_unlock_irqrestore(&chn1->lock, flags);
	return 0;
}

static long evtchn_close(struct pvio_domain *d, evtchn_port_t port)
{
	long rc;

	mutex_lock(&evtchn_ctl_mutex);
	rc = evtchn_close_locked(d, port);
	mutex_unlock(&evtchn_ctl_mutex);
	return rc;
}

static void evtchn_close_all_locked(struct pvio_domain *d)
{
	struct pvio_hv_evtchn_domain *e = ctl_table(d);
	evtchn_port_t port;

	if (!e)
		return;
	for (port = 1; port < PVIO_EVTCHN_NR_PORTS; port++) {
		if (!evtchn_port(e, port))
			break;
		evtchn_close_locked(d, port);
	}
}

static long evtchn_reset(struct pvio_domain *caller, struct evtchn_reset *r)
{
	struct pvio_domain *d;
	long rc = 0;

	d = pvio_hv_domain_lookup(caller, r->dom);
	if (!d)
		return -ESRCH;
	if (d != caller && !caller->privileged) {
		rc = -EPERM;
		goto out;
	}
	mutex_lock(&evtchn_ctl_mutex);
	evtchn_close_all_locked(d);
	mutex_unlock(&evtchn_ctl_mutex);
out:
	pvio_hv_domain_put(d);
	return rc;
}

/* ---- data-path operations (any context) -------------------------------- */

static long evtchn_send(struct pvio_domain *ld, evtchn_port_t lport)
{
	struct pvio_hv_evtchn_domain *le, *re;
	struct pvio_evtchn *lchn, *rchn;
	evtchn_port_t rport;
	struct pvio_domain *rd;
	unsigned long flags;
	long rc = 0;

	rcu_read_lock();
	le = READ_ONCE(ld->evtchn);
	lchn = le ? evtchn_port(le, lport) : NULL;
	if (!lchn) {
		rc = -EINVAL;
		goto out;
	}

	spin_lock_irqsave(&lchn->lock, flags);
	switch (lchn->state) {
	case ECS_INTERDOMAIN:
		rd = lchn->u.interdomain.remote_dom;
		rport = lchn->u.interdomain.remote_port;
		/* rd cannot close rport, nor be destroyed, while we hold lchn. */
		re = READ_ONCE(rd->evtchn);
		rchn = re ? evtchn_port(re, rport) : NULL;
		if (!WARN_ON_ONCE(!rchn))
			evtchn_set_pending(rd, re, READ_ONCE(rchn->notify_vcpu),
					   rport);
		pvio_hv_count(ld, events_sent);
		break;
	case ECS_IPI:
		evtchn_set_pending(ld, le, READ_ONCE(lchn->notify_vcpu), lport);
		pvio_hv_count(ld, events_sent);
		break;
	case ECS_UNBOUND:
		/* Silently drop the notification. */
		break;
	default:
		rc = -EINVAL;
		break;
	}
	spin_unlock_irqrestore(&lchn->lock, flags);
out:
	rcu_read_unlock();
	return rc;
}

static long evtchn_unmask(struct pvio_domain *d, evtchn_port_t port)
{
	struct pvio_hv_evtchn_domain *e;
	struct pvio_evtchn *chn;
	unsigned long flags;
	long rc = 0;

	rcu_read_lock();
	e = READ_ONCE(d->evtchn);
	chn = e ? evtchn_port(e, port) : NULL;
	if (chn) {
		spin_lock_irqsave(&chn->lock, flags);
		evtchn_unmask_port(d, chn, port);
		spin_unlock_irqrestore(&chn->lock, flags);
	} else {
		rc = -EINVAL;
	}
	rcu_read_unlock();
	return rc;
}

static long evtchn_status_of(struct pvio_domain *d,
			     struct evtchn_status *status)
{
	struct pvio_hv_evtchn_domain *e;
	struct pvio_evtchn *chn;
	unsigned long flags;
	long rc = 0;

	rcu_read_lock();
	e = READ_ONCE(d->evtchn);
	chn = e ? evtchn_port(e, status->port) : NULL;
	if (!chn) {
		rc = -EINVAL;
		goto out;
	}
	spin_lock_irqsave(&chn->lock, flags);
	memset(&status->u, 0, sizeof(status->u));
	switch (chn->state) {
	case ECS_FREE:
	case ECS_RESERVED:
		status->status = EVTCHNSTAT_closed;
		break;
	case ECS_UNBOUND:
		status->status = EVTCHNSTAT_unbound;
		status->u.unbound.dom = chn->u.unbound.remote_domid;
		break;
	case ECS_INTERDOMAIN:
		status->status = EVTCHNSTAT_interdomain;
		status->u.interdomain.dom =
			chn->u.interdomain.remote_dom->domid;
		status->u.interdomain.port = chn->u.interdomain.remote_port;
		break;
	case ECS_PIRQ:
		status->status = EVTCHNSTAT_pirq;
		status->u.pirq = chn->u.pirq;
		break;
	case ECS_VIRQ:
		status->status = EVTCHNSTAT_virq;
		status->u.virq = chn->u.virq;
		break;
	case ECS_IPI:
		status->status = EVTCHNSTAT_ipi;
		break;
	}
	status->vcpu = chn->notify_vcpu;
	spin_unlock_irqrestore(&chn->lock, flags);
out:
	rcu_read_unlock();
	return rc;
}

static long evtchn_status(struct pvio_domain *caller,
			  struct evtchn_status *status)
{
	struct pvio_domain *d;
	long rc;

	/* Own ports: no domain lookup, so any context. */
	if (status->dom == DOMID_SELF || status->dom == caller->domid)
		return evtchn_status_of(caller, status);

	d = pvio_hv_domain_lookup(caller, status->dom);
	if (!d)
		return -ESRCH;
	rc = caller->privileged ? evtchn_status_of(d, status) : -EPERM;
	pvio_hv_domain_put(d);
	return rc;
}

static long evtchn_bind_vcpu(struct pvio_domain *d, evtchn_port_t port,
			     u32 vcpu)
{
	struct pvio_hv_evtchn_domain *e;
	struct pvio_evtchn *chn;
	unsigned long flags;
	long rc = 0;

	if (vcpu >= d->nr_vcpus)
		return -ENOENT;

	rcu_read_lock();
	e = READ_ONCE(d->evtchn);
	chn = e ? evtchn_port(e, port) : NULL;
	if (!chn) {
		rc = -EINVAL;
		goto out;
	}
	spin_lock_irqsave(&chn->lock, flags);
	switch (chn->state) {
	case ECS_VIRQ:
		if (virq_is_global(chn->u.virq))
			WRITE_ONCE(chn->notify_vcpu, vcpu);
		else
			rc = -EINVAL;
		break;
	case ECS_UNBOUND:
	case ECS_INTERDOMAIN:
	case ECS_PIRQ:
		WRITE_ONCE(chn->notify_vcpu, vcpu);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	spin_unlock_irqrestore(&chn->lock, flags);
out:
	rcu_read_unlock();
	return rc;
}

/* ---- hypervisor-raised events ------------------------------------------ */

/**
 * pvio_hv_send_guest_virq() - raise a virtual IRQ in a domain
 * @d: the domain; may be NULL (nothing happens)
 * @virq: VIRQ_* number (< NR_VIRQS); global VIRQs such as VIRQ_DOM_EXC go
 *	to the port bound on vCPU 0, per-vCPU ones to vCPU 0's binding
 *
 * Follows Xen's send_guest_global_virq()/send_guest_vcpu_virq(): if the
 * domain has bound @virq, its port is set pending (and the upcall raised
 * per the 2-level rules); otherwise the VIRQ is dropped.
 *
 * Context: any (hard IRQ included); takes the domain's virq_lock and the
 * port's lock with interrupts disabled.
 */
void pvio_hv_send_guest_virq(struct pvio_domain *d, unsigned int virq)
{
	struct pvio_hv_evtchn_domain *e;
	struct pvio_evtchn *chn;
	unsigned long flags;
	u16 port;

	if (!d || virq >= NR_VIRQS)
		return;
	rcu_read_lock();
	e = READ_ONCE(d->evtchn);
	if (!e)
		goto out;
	spin_lock_irqsave(&e->virq_lock, flags);
	port = e->virq_to_port[0][virq];
	chn = port ? evtchn_port(e, port) : NULL;
	if (chn) {
		spin_lock(&chn->lock);
		if (chn->state == ECS_VIRQ && chn->u.virq == virq)
			evtchn_set_pending(d, e, READ_ONCE(chn->notify_vcpu),
					   port);
		spin_unlock(&chn->lock);
	}
	spin_unlock_irqrestore(&e->virq_lock, flags);
out:
	rcu_read_unlock();
}

/**
 * pvio_hv_send_guest_pirq() - deliver a physical IRQ to the domain it is bound to
 * @d: the domain the PIRQ is mapped to
 * @pirq: the PIRQ number (< PVIO_NR_PIRQS)
 *
 * Follows Xen's send_guest_pirq(): the event channel bound to @pirq (by
 * EVTCHNOP_bind_pirq) is set pending. Nothing happens if the PIRQ is not
 * bound. Called by physdev.c's interrupt handler after it has masked the
 * line; the guest's PHYSDEVOP_eoi unmasks it.
 *
 * Context: any (hard IRQ included); takes the port's lock.
 */
void pvio_hv_send_guest_pirq(struct pvio_domain *d, unsigned int pirq)
{
	struct pvio_hv_evtchn_domain *e;
	struct pvio_evtchn *chn;
	evtchn_port_t port;
	unsigned long flags;

	port = pvio_hv_pirq_evtchn(d, pirq);
	if (!port)
		return;
	rcu_read_lock();
	e = READ_ONCE(d->evtchn);
	chn = e ? evtchn_port(e, port) : NULL;
	if (chn) {
		spin_lock_irqsave(&chn->lock, flags);
		/* The port may have been closed and reused meanwhile. */
		if (chn->state == ECS_PIRQ && chn->u.pirq == pirq)
			evtchn_set_pending(d, e, READ_ONCE(chn->notify_vcpu),
					   port);
		spin_unlock_irqrestore(&chn->lock, flags);
	}
	rcu_read_unlock();
}

/* For SCHEDOP_poll: is @port pending in @d's shared_info? */
bool pvio_hv_evtchn_is_pending(struct pvio_domain *d, evtchn_port_t port)
{
	return port < PVIO_EVTCHN_NR_PORTS &&
	       test_bit(port, evtchn_bitmap(d->shared_info->evtchn_pending));
}

void pvio_hv_evtchn_poll_enter(struct pvio_domain *d)
{
	struct pvio_hv_evtchn_domain *e;

	rcu_read_lock();
	e = READ_ONCE(d->evtchn);
	if (e)
		atomic_inc(&e->nr_pollers);
	rcu_read_unlock();
	/* Order the counter before the poller's check of the ports. */
	smp_mb__after_atomic();
}

void pvio_hv_evtchn_poll_exit(struct pvio_domain *d)
{
	struct pvio_hv_evtchn_domain *e;

	rcu_read_lock();
	e = READ_ONCE(d->evtchn);
	if (e)
		atomic_dec(&e->nr_pollers);
	rcu_read_unlock();
}

/* ---- per-domain setup ----------------------------------------------- */

int pvio_hv_evtchn_domain_init(struct pvio_domain *d)
{
	struct pvio_hv_evtchn_domain *e;

	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->d = d;
	spin_lock_init(&e->virq_lock);
	e->buckets[0] = alloc_bucket();
	if (!e->buckets[0]) {
		kfree(e);
		return -ENOMEM;
	}
	e->buckets[0][0].state = ECS_RESERVED;

	mutex_lock(&evtchn_ctl_mutex);
	WRITE_ONCE(d->evtchn, e);
	mutex_unlock(&evtchn_ctl_mutex);
	return 0;
}

void pvio_hv_evtchn_domain_destroy(struct pvio_domain *d)
{
	struct pvio_hv_evtchn_domain *e;
	unsigned int b;

	mutex_lock(&evtchn_ctl_mutex);
	e = d->evtchn;
	if (!e) {
		mutex_unlock(&evtchn_ctl_mutex);
		return;
	}
	e->dying = true;
	/* Peers return to unbound, PIRQs are unbound and quiesced. */
	evtchn_close_all_locked(d);
	WRITE_ONCE(d->evtchn, NULL);
	mutex_unlock(&evtchn_ctl_mutex);

	/* Data-path users hold rcu_read_lock() while they use the table. */
	synchronize_rcu();
	for (b = 0; b < PVIO_EVTCHN_NR_BUCKETS; b++)
		kfree(e->buckets[b]);
	kfree(e);
}

/* ---- hypercall entry -------------------------------------------------- */

#define COPY_IN(arg, op)						\
	(pvio_hv_copy_from_guest(caller, &(op), (arg), sizeof(op)) ? -EFAULT : 0)
#define COPY_OUT(arg, op)						\
	(pvio_hv_copy_to_guest(caller, (arg), &(op), sizeof(op)) ? -EFAULT : 0)

long pvio_hv_do_event_channel_op(struct pvio_domain *caller, unsigned int cmd,
				 unsigned long arg)
{
	union {
		struct evtchn_alloc_unbound alloc_unbound;
		struct evtchn_bind_interdomain bind_interdomain;
		struct evtchn_bind_virq bind_virq;
		struct evtchn_bind_pirq bind_pirq;
		struct evtchn_bind_ipi bind_ipi;
		struct evtchn_close close;
		struct evtchn_send send;
		struct evtchn_status status;
		struct evtchn_bind_vcpu bind_vcpu;
		struct evtchn_unmask unmask;
		struct evtchn_reset reset;
	} op;
	long rc;

	switch (cmd) {
	case EVTCHNOP_alloc_unbound:
		rc = COPY_IN(arg, op.alloc_unbound);
		if (!rc)
			rc = evtchn_alloc_unbound(caller, &op.alloc_unbound);
		if (!rc)
			rc = COPY_OUT(arg, op.alloc_unbound);
		break;
	case EVTCHNOP_bind_interdomain:
		rc = COPY_IN(arg, op.bind_interdomain);
		if (!rc)
			rc = evtchn_bind_interdomain(caller,
						     &op.bind_interdomain);
		if (!rc)
			rc = COPY_OUT(arg, op.bind_interdomain);
		break;
	case EVTCHNOP_bind_virq:
		rc = COPY_IN(arg, op.bind_virq);
		if (!rc)
			rc = evtchn_bind_virq(caller, &op.bind_virq);
		if (!rc)
			rc = COPY_OUT(arg, op.bind_virq);
		break;
	case EVTCHNOP_bind_pirq:
		rc = COPY_IN(arg, op.bind_pirq);
		if (!rc)
			rc = evtchn_bind_pirq(caller, &op.bind_pirq);
		if (!rc)
			rc = COPY_OUT(arg, op.bind_pirq);
		break;
	case EVTCHNOP_bind_ipi:
		rc = COPY_IN(arg, op.bind_ipi);
		if (!rc)
			rc = evtchn_bind_ipi(caller, &op.bind_ipi);
		if (!rc)
			rc = COPY_OUT(arg, op.bind_ipi);
		break;
	case EVTCHNOP_close:
		rc = COPY_IN(arg, op.close);
		if (!rc)
			rc = evtchn_close(caller, op.close.port);
		break;
	case EVTCHNOP_send:
		rc = COPY_IN(arg, op.send);
		if (!rc)
			rc = evtchn_send(caller, op.send.port);
		break;
	case EVTCHNOP_status:
		rc = COPY_IN(arg, op.status);
		if (!rc)
			rc = evtchn_status(caller, &op.status);
		if (!rc)
			rc = COPY_OUT(arg, op.status);
		break;
	case EVTCHNOP_bind_vcpu:
		rc = COPY_IN(arg, op.bind_vcpu);
		if (!rc)
			rc = evtchn_bind_vcpu(caller, op.bind_vcpu.port,
					      op.bind_vcpu.vcpu);
		break;
	case EVTCHNOP_unmask:
		rc = COPY_IN(arg, op.unmask);
		if (!rc)
			rc = evtchn_unmask(caller, op.unmask.port);
		break;
	case EVTCHNOP_reset:
		rc = COPY_IN(arg, op.reset);
		if (!rc)
			rc = evtchn_reset(caller, &op.reset);
		break;
	default:
		/* FIFO ABI (init_control, expand_array, set_priority): 2l only. */
		rc = -XEN_ENOSYS;
		break;
	}
	return rc;
}
