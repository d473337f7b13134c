// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-evtchn: the guest side of event channels, for every domain.
 *
 * Written after Linux's drivers/xen/events/events_base.c and events_2l.c:
 * each domain gets an irq_domain of PVIO_EVTCHN_NR_PORTS hwirqs (hwirq =
 * port) whose chips are named "Dynamic-irq". The hypervisor calls
 * pvio_evtchn_upcall() in hard-IRQ context on the vCPU's CPU; it scans
 * evtchn_pending_sel, then evtchn_pending & ~evtchn_mask of the ports bound
 * to that vCPU, and runs the flow handler of each port's IRQ.
 *
 * Masking: a port's mask bit in shared_info is set while any reason holds
 * it (the IRQ is disabled, a late EOI is pending, a rebind is in progress)
 * and cleared with EVTCHNOP_unmask when none is left, which redelivers an
 * event that arrived while masked.
 *
 * Teardown (XSA-331): an IRQ is unmapped before its port is closed, the
 * upcall resolves port -> descriptor under RCU, and per-IRQ state is freed
 * after a grace period, so an upcall racing with an unbind finds either
 * nothing or a still-valid descriptor.
 *
 * Storms (XSA-332/391): drivers bind with late EOI and report interrupts
 * that found no work with PVIO_EOI_FLAG_SPURIOUS; the next EOI is then
 * delayed exponentially, up to one second. The upcall handles a bounded
 * number of rounds and defers the rest to an irq_work. debugfs
 * pvio-evtchn/dN counts, per IRQ, the spurious EOIs and the delays they
 * cost.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/irq_work.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <asm/sync_bitops.h>
#include <pvio/guest.h>
#include <pvio/evtchn.h>

#define NR_PORTS		EVTCHN_2L_NR_CHANNELS
#define BITS_PER_EVTCHN_WORD	(sizeof(xen_ulong_t) * 8)
#define NR_WORDS		(NR_PORTS / BITS_PER_EVTCHN_WORD)
/* Upcall rounds before the rest is deferred to an irq_work. */
#define UPCALL_MAX_ROUNDS	16

enum evt_mask_reason {
	EVT_MASK_EXPLICIT = BIT(0),	/* IRQ masked/disabled */
	EVT_MASK_EOI_PENDING = BIT(1),	/* late EOI outstanding */
	EVT_MASK_TEMPORARY = BIT(2),	/* rebind / retrigger */
};

enum evtchn_irq_type {
	IRQT_EVTCHN,
	IRQT_VIRQ,
	IRQT_PIRQ,
};

struct pvio_evtchn_dom;

struct pvio_evtchn_vcpu {
	struct pvio_evtchn_dom *ed;
	unsigned int id;
	struct irq_work again;		/* upcall rounds left over */
	DECLARE_BITMAP(ports, NR_PORTS);	/* ports bound to this vCPU */
};

struct pvio_evtchn_dom {
	struct pvio_domain *d;
	struct dentry *dbg;		/* debugfs pvio-evtchn/dN */
	struct shared_info *si;
	struct fwnode_handle *fwnode;
	struct irq_domain *irqd;
	struct mutex lock;		/* binds and unbinds */
	struct list_head irqs;
	unsigned int nr_vcpus;
	struct pvio_evtchn_vcpu vcpus[];
};

struct pvio_evtchn_irq {
	struct pvio_evtchn_dom *ed;
	struct list_head list;		/* ed->irqs, under ed->lock */
	unsigned int irq;
	evtchn_port_t port;
	enum evtchn_irq_type type;
	unsigned int vcpu;		/* notify vCPU (bind_vcpu) */
	unsigned int pirq;
	bool lateeoi;
	void *dev_id;
	raw_spinlock_t mask_lock;
	u8 mask_reason;
	u8 spurious_cnt;
	/* Late-EOI statistics (debugfs pvio-evtchn/dN): plain counters. */
	unsigned long eoi_spurious;	/* EOIs flagged spurious */
	unsigned long eoi_delayed;	/* of those, unmasked only later */
	unsigned long eoi_delay_jiffies;	/* the sum of those delays */
	struct delayed_work eoi_work;
	struct rcu_head rcu;
};

static struct irq_chip dynamic_chip;
static struct irq_chip lateeoi_chip;
static struct irq_chip pirq_chip;

static unsigned long *bm(xen_ulong_t *w)
{
	return (unsigned long *)w;
}

static struct pvio_evtchn_dom *ed_of(struct pvio_domain *d)
{
	return pvio_guest_priv(d, PVIO_SLOT_EVTCHN);
}

/* The per-IRQ state of one of our IRQs, or NULL. */
static struct pvio_evtchn_irq *info_of(unsigned int irq)
{
	struct irq_data *data = irq_get_irq_data(irq);
	struct irq_chip *chip = data ? irq_data_get_irq_chip(data) : NULL;

	if (chip != &dynamic_chip && chip != &lateeoi_chip &&
	    chip != &pirq_chip)
		return NULL;
	return irq_data_get_irq_chip_data(data);
}

/* ---- masking -------------------------------------------------------- */

/*
 * As Linux's evtchn_2l_unmask() for an HVM guest: clear the mask bit in
 * shared_info; only if an event came while the port was masked, mask it
 * again and have the hypervisor redeliver it (EVTCHNOP_unmask), so a
 * late EOI with nothing pending costs no hypercall. The hypervisor sets
 * the pending bit, then tests the mask; here the mask is cleared, then the
 * pending bit tested, with a full barrier between: one of the two sides
 * sees the other's write (a duplicate delivery is harmless, the upcall
 * tests the pending bit).
 */
static void unmask_port(struct pvio_evtchn_dom *ed, evtchn_port_t port)
{
	struct shared_info *s = ed->si;
	struct evtchn_unmask unmask = { .port = port };

	sync_clear_bit(port, bm(s->evtchn_mask));
	virt_mb();	/* dom0 on another CPU, even in a uniprocessor UML */
	if (!sync_test_bit(port, bm(s->evtchn_pending)))
		return;
	sync_set_bit(port, bm(s->evtchn_mask));
	pvio_event_channel_op(ed->d, EVTCHNOP_unmask, &unmask);
}

static void do_mask(struct pvio_evtchn_irq *info, u8 reason)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&info->mask_lock, flags);
	if (!info->mask_reason)
		sync_set_bit(info->port, bm(info->ed->si->evtchn_mask));
	info->mask_reason |= reason;
	raw_spin_unlock_irqrestore(&info->mask_lock, flags);
}

static void do_unmask(struct pvio_evtchn_irq *info, u8 reason)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&info->mask_lock, flags);
	if (info->mask_reason & reason) {
		info->mask_reason &= ~reason;
		if (!info->mask_reason)
			unmask_port(info->ed, info->port);
	}
	raw_spin_unlock_irqrestore(&info->mask_lock, flags);
}

static void clear_pending(struct pvio_evtchn_irq *info)
{
	sync_clear_bit(info->port, bm(info->ed->si->evtchn_pending));
}

/* ---- irq_chip callbacks ----------------------------------------------- */

static void chip_mask(struct irq_data *data)
{
	do_mask(irq_data_get_irq_chip_data(data), EVT_MASK_EXPLICIT);
}

static void chip_unmask(struct irq_data *data)
{
	do_unmask(irq_data_get_irq_chip_data(data), EVT_MASK_EXPLICIT);
}

static void chip_ack(struct irq_data *data)
{
	clear_pending(irq_data_get_irq_chip_data(data));
}

static void chip_mask_ack(struct irq_data *data)
{
	struct pvio_evtchn_irq *info = irq_data_get_irq_chip_data(data);

	do_mask(info, EVT_MASK_EXPLICIT);
	clear_pending(info);
}

/* Late EOI: keep the port masked until pvio_irq_lateeoi(). */
static void lateeoi_ack(struct irq_data *data)
{
	struct pvio_evtchn_irq *info = irq_data_get_irq_chip_data(data);

	do_mask(info, EVT_MASK_EOI_PENDING);
	clear_pending(info);
}

/* PIRQ: the hypervisor re-enables the line on PHYSDEVOP_eoi. */
static void pirq_eoi(struct irq_data *data)
{
	struct pvio_evtchn_irq *info = irq_data_get_irq_chip_data(data);
	struct physdev_eoi eoi = { .irq = info->pirq };

	clear_pending(info);
	pvio_physdev_op(info->ed->d, PHYSDEVOP_eoi, &eoi);
}

static int chip_retrigger(struct irq_data *data)
{
	struct pvio_evtchn_irq *info = irq_data_get_irq_chip_data(data);

	do_mask(info, EVT_MASK_TEMPORARY);
	sync_set_bit(info->port, bm(info->ed->si->evtchn_pending));
	do_unmask(info, EVT_MASK_TEMPORARY);
	return 1;
}

/*
 * Affinity follows EVTCHNOP_bind_vcpu (Linux's xen_rebind_evtchn_to_cpu):
 * keep the current vCPU if its CPU is allowed, else take the first vCPU
 * whose CPU is; mask while rebinding, then unmask, which redelivers a
 * pending event on the new vCPU.
 */
static int chip_set_affinity(struct irq_data *data, const struct cpumask *dest,
			     bool force)
{
	struct pvio_evtchn_irq *info = irq_data_get_irq_chip_data(data);
	struct pvio_evtchn_dom *ed = info->ed;
	unsigned int v, new = info->vcpu, cpu;
	struct evtchn_bind_vcpu bind;
	int rc;

	cpu = pvio_vcpu_cpu(ed->d, info->vcpu);
	if (!cpumask_test_cpu(cpu, dest)) {
		for (v = 0; v < ed->nr_vcpus; v++) {
			cpu = pvio_vcpu_cpu(ed->d, v);
			if (cpumask_test_cpu(cpu, dest) && cpu_online(cpu))
				break;
		}
		if (v == ed->nr_vcpus)
			return -EINVAL;
		new = v;
	}

	if (new != info->vcpu) {
		if (info->type == IRQT_VIRQ)
			return -EINVAL;
		do_mask(info, EVT_MASK_TEMPORARY);
		bind.port = info->port;
		bind.vcpu = new;
		rc = pvio_event_channel_op(ed->d, EVTCHNOP_bind_vcpu, &bind);
		if (!rc) {
			clear_bit(info->port, ed->vcpus[info->vcpu].ports);
			set_bit(info->port, ed->vcpus[new].ports);
			WRITE_ONCE(info->vcpu, new);
		}
		do_unmask(info, EVT_MASK_TEMPORARY);
		if (rc)
			return rc;
	}
	irq_data_update_effective_affinity(data, cpumask_of(cpu));
	return IRQ_SET_MASK_OK;
}

static struct irq_chip dynamic_chip = {
	.name			= "Dynamic-irq",
	.irq_mask		= chip_mask,
	.irq_unmask		= chip_unmask,
	.irq_ack		= chip_ack,
	.irq_mask_ack		= chip_mask_ack,
	.irq_set_affinity	= chip_set_affinity,
	.irq_retrigger		= chip_retrigger,
};

static struct irq_chip lateeoi_chip = {
	.name			= "Dynamic-irq",
	.irq_mask		= chip_mask,
	.irq_unmask		= chip_unmask,
	.irq_ack		= lateeoi_ack,
	.irq_mask_ack		= chip_mask_ack,
	.irq_set_affinity	= chip_set_affinity,
	.irq_retrigger		= chip_retrigger,
};

static struct irq_chip pirq_chip = {
	.name			= "Dynamic-irq",
	.irq_mask		= chip_mask,
	.irq_unmask		= chip_unmask,
	.irq_eoi		= pirq_eoi,
	.irq_set_affinity	= chip_set_affinity,
	.irq_retrigger		= chip_retrigger,
};

/* ---- the upcall ------------------------------------------------------- */

/* One scan of the vCPU's selector. Hard IRQ (or IRQs off), RCU held. */
static void upcall_round(struct pvio_evtchn_dom *ed, struct pvio_evtchn_vcpu *v,
			 struct vcpu_info *vi)
{
	struct shared_info *si = ed->si;
	unsigned long sel, bits;
	unsigned int w, b;
	struct irq_desc *desc;

	sel = xchg(&vi->evtchn_pending_sel, 0);
	while (sel) {
		w = __ffs(sel);
		sel &= ~BIT(w);
		if (w >= NR_WORDS)
			continue;
		bits = READ_ONCE(si->evtchn_pending[w]) &
		       ~READ_ONCE(si->evtchn_mask[w]) & v->ports[w];
		while (bits) {
			b = __ffs(bits);
			bits &= ~BIT(b);
			desc = irq_resolve_mapping(ed->irqd,
						   w * BITS_PER_EVTCHN_WORD + b);
			if (desc)
				generic_handle_irq_desc(desc);
		}
	}
}

static void upcall_vcpu(struct pvio_evtchn_dom *ed, unsigned int vcpu)
{
	struct vcpu_info *vi = &ed->si->vcpu_info[vcpu];
	struct pvio_evtchn_vcpu *v = &ed->vcpus[vcpu];
	unsigned int rounds = 0;

	rcu_read_lock();
	do {
		if (++rounds > UPCALL_MAX_ROUNDS) {
			/* Let other interrupts in; come back soon. */
			irq_work_queue(&v->again);
			break;
		}
		WRITE_ONCE(vi->evtchn_upcall_pending, 0);
		/*
		 * Clear upcall_pending before reading the selector. virt_mb():
		 * the writer is dom0 on another CPU even in a uniprocessor
		 * guest (UML), where smp_mb() is only a compiler barrier.
		 */
		virt_mb();
		upcall_round(ed, v, vi);
		virt_rmb();	/* dom0 may have raised it again: re-read */
	} while (READ_ONCE(vi->evtchn_upcall_pending));
	rcu_read_unlock();
}

static void pvio_evtchn_upcall(struct pvio_domain *d, unsigned int vcpu)
{
	struct pvio_evtchn_dom *ed = ed_of(d);

	if (ed && vcpu < ed->nr_vcpus)
		upcall_vcpu(ed, vcpu);
}

static void upcall_again(struct irq_work *work)
{
	struct pvio_evtchn_vcpu *v = container_of(work, struct pvio_evtchn_vcpu,
						  again);

	upcall_vcpu(v->ed, v->id);
}

/* ---- late EOI --------------------------------------------------------- */

static void lateeoi_work(struct work_struct *work)
{
	struct pvio_evtchn_irq *info = container_of(to_delayed_work(work),
						    struct pvio_evtchn_irq,
						    eoi_work);

	do_unmask(info, EVT_MASK_EOI_PENDING);
}

/**
 * pvio_irq_lateeoi() - end handling of an event bound with late EOI
 * @irq: the IRQ returned by a *_lateeoi bind
 * @eoi_flags: 0, or PVIO_EOI_FLAG_SPURIOUS if the interrupt found no work
 *
 * As Linux's xen_irq_lateeoi(): unmasks the port so the next event can be
 * delivered. A spurious EOI raises a counter; past the first one, the
 * unmask is delayed by 2^(count - 2) jiffies, capped at one second, so an
 * event storm without work cannot monopolise a CPU (XSA-332/391). A
 * non-spurious EOI resets the counter. Ignored for an IRQ not bound with
 * late EOI or not ours.
 *
 * Context: any (hard IRQ included); does not sleep.
 */
void pvio_irq_lateeoi(unsigned int irq, unsigned int eoi_flags)
{
	struct pvio_evtchn_irq *info = info_of(irq);
	unsigned long delay;

	if (!info || !info->lateeoi)
		return;
	if (eoi_flags & PVIO_EOI_FLAG_SPURIOUS) {
		info->eoi_spurious++;
		if ((1UL << info->spurious_cnt) < (HZ << 2) &&
		    info->spurious_cnt != 0xff)
			info->spurious_cnt++;
		if (info->spurious_cnt > 1) {
			delay = min_t(unsigned long,
				      1UL << (info->spurious_cnt - 2), HZ);
			info->eoi_delayed++;
			info->eoi_delay_jiffies += delay;
			mod_delayed_work(system_wq, &info->eoi_work, delay);
			return;
		}
	} else {
		info->spurious_cnt = 0;
	}
	do_unmask(info, EVT_MASK_EOI_PENDING);
}
EXPORT_SYMBOL_GPL(pvio_irq_lateeoi);

/* ---- binding ---------------------------------------------------------- */

static int close_port(struct pvio_domain *d, evtchn_port_t port)
{
	struct evtchn_close close = { .port = port };

	return pvio_event_channel_op(d, EVTCHNOP_close, &close);
}

/* Map @port to a new IRQ of @ed's irq_domain. Returns the IRQ or -errno. */
static int map_port(struct pvio_evtchn_dom *ed, evtchn_port_t port,
		    enum evtchn_irq_type type, bool lateeoi, unsigned int vcpu,
		    unsigned int pirq)
{
	struct pvio_evtchn_irq *info;
	struct irq_chip *chip;
	irq_flow_handler_t flow;
	const char *flow_name;
	unsigned int irq;
	int rc;

	if (port == 0 || port >= NR_PORTS || vcpu >= ed->nr_vcpus)
		return -EINVAL;
	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	info->ed = ed;
	info->port = port;
	info->type = type;
	info->vcpu = vcpu;
	info->pirq = pirq;
	info->lateeoi = lateeoi;
	raw_spin_lock_init(&info->mask_lock);
	INIT_DELAYED_WORK(&info->eoi_work, lateeoi_work);
	/* Masked until the IRQ is started (request_irq()). */
	info->mask_reason = EVT_MASK_EXPLICIT;
	sync_set_bit(port, bm(ed->si->evtchn_mask));

	if (type == IRQT_PIRQ) {
		chip = &pirq_chip;
		flow = handle_fasteoi_irq;
		flow_name = "pirq";
	} else {
		chip = lateeoi ? &lateeoi_chip : &dynamic_chip;
		flow = handle_edge_irq;
		flow_name = type == IRQT_VIRQ ? "virq" : "event";
	}

	mutex_lock(&ed->lock);
	if (irq_find_mapping(ed->irqd, port)) {
		rc = -EBUSY;
		goto err;
	}
	irq = irq_create_mapping(ed->irqd, port);
	if (!irq) {
		rc = -ENOMEM;
		goto err;
	}
	info->irq = irq;
	irq_set_chip_data(irq, info);
	irq_set_chip_and_handler_name(irq, chip, flow, flow_name);
	/* Affinity changes apply at once (no APIC move on next ack). */
	irq_set_status_flags(irq, IRQ_MOVE_PCNTXT);
	if (type == IRQT_VIRQ)
		irq_set_status_flags(irq, IRQ_NO_BALANCING);
	irq_data_update_effective_affinity(irq_get_irq_data(irq),
					   cpumask_of(pvio_vcpu_cpu(ed->d, vcpu)));
	set_bit(port, ed->vcpus[vcpu].ports);
	list_add(&info->list, &ed->irqs);
	mutex_unlock(&ed->lock);
	return irq;
err:
	mutex_unlock(&ed->lock);
	kfree(info);
	return rc;
}

/* Undo map_port() and close the port. Process context. */
static void unmap_irq(struct pvio_evtchn_irq *info)
{
	struct pvio_evtchn_dom *ed = info->ed;

	cancel_delayed_work_sync(&info->eoi_work);
	mutex_lock(&ed->lock);
	sync_set_bit(info->port, bm(ed->si->evtchn_mask));
	clear_bit(info->port, ed->vcpus[info->vcpu].ports);
	list_del(&info->list);
	/* Unmap before closing: the port number may be reused at once. */
	irq_dispose_mapping(info->irq);
	close_port(ed->d, info->port);
	mutex_unlock(&ed->lock);
	/* A racing upcall may still look at it (RCU). */
	kfree_rcu(info, rcu);
}

static int bind_and_request(struct pvio_domain *d, evtchn_port_t port,
			    enum evtchn_irq_type type, bool lateeoi,
			    unsigned int vcpu, unsigned int pirq,
			    irq_handler_t handler, irq_handler_t thread_fn,
			    unsigned long flags, const char *name, void *dev_id)
{
	struct pvio_evtchn_dom *ed = ed_of(d);
	struct pvio_evtchn_irq *info;
	int irq, rc;

	if (!ed) {
		close_port(d, port);
		return -ENODEV;
	}
	irq = map_port(ed, port, type, lateeoi, vcpu, pirq);
	if (irq < 0) {
		close_port(d, port);
		return irq;
	}
	info = irq_get_chip_data(irq);
	info->dev_id = dev_id;
	rc = request_threaded_irq(irq, handler, thread_fn, flags, name, dev_id);
	if (rc) {
		unmap_irq(info);
		return rc;
	}
	return irq;
}

/**
 * pvio_alloc_unbound_evtchn() - allocate a port another domain may bind to
 * @d: the calling domain
 * @remote_domid: the domain allowed to bind (EVTCHNOP_bind_interdomain)
 * @port: out: the new local port
 *
 * EVTCHNOP_alloc_unbound with dom = DOMID_SELF (Linux's
 * xenbus_alloc_evtchn()). The port is masked until an IRQ is bound to it
 * with pvio_bind_evtchn_to_irqhandler().
 *
 * Context: process context, may sleep.
 * Return: 0, or the hypercall's -errno (-ENOSPC when all 4096 ports are
 * used).
 */
int pvio_alloc_unbound_evtchn(struct pvio_domain *d, domid_t remote_domid,
			      evtchn_port_t *port)
{
	struct evtchn_alloc_unbound alloc = {
		.dom = DOMID_SELF,
		.remote_dom = remote_domid,
	};
	int rc;

	rc = pvio_event_channel_op(d, EVTCHNOP_alloc_unbound, &alloc);
	if (!rc)
		*port = alloc.port;
	return rc;
}
EXPORT_SYMBOL_GPL(pvio_alloc_unbound_evtchn);

/**
 * pvio_close_evtchn() - close a port that has no IRQ bound
 * @d: the calling domain
 * @port: the port (e.g. from pvio_alloc_unbound_evtchn())
 *
 * EVTCHNOP_close (Linux's xenbus_free_evtchn()). For a port bound with a
 * pvio_bind_* function, use pvio_unbind_from_irqhandler() instead.
 *
 * Context: process context, may sleep.
 * Return: 0, or -EINVAL for a port that is not open.
 */
int pvio_close_evtchn(struct pvio_domain *d, evtchn_port_t port)
{
	return close_port(d, port);
}
EXPORT_SYMBOL_GPL(pvio_close_evtchn);

/**
 * pvio_bind_evtchn_to_irqhandler() - bind an IRQ handler to a local port
 * @d: the calling domain
 * @port: a port of @d (unbound or already connected), now owned by the IRQ
 * @handler: the handler, run in hard-IRQ context on the port's vCPU's CPU
 * @flags: request_irq() flags
 * @name: name shown in /proc/interrupts on the "Dynamic-irq" line
 * @dev_id: request_irq() cookie
 *
 * Like Linux's bind_evtchn_to_irqhandler(): the port is mapped to a new
 * IRQ (edge flow; the pending bit is cleared before the handler runs) and
 * unmasked; an event already pending is delivered at once. On failure the
 * port is closed.
 *
 * Context: process context, may sleep.
 * Return: the Linux IRQ number (> 0), or -errno (-ENODEV if pvio-evtchn is
 * not attached to @d, -EBUSY if the port already has an IRQ, request_irq()
 * errors).
 */
int pvio_bind_evtchn_to_irqhandler(struct pvio_domain *d, evtchn_port_t port,
				   irq_handler_t handler, unsigned long flags,
				   const char *name, void *dev_id)
{
	return bind_and_request(d, port, IRQT_EVTCHN, false, 0, 0, handler,
				NULL, flags, name, dev_id);
}
EXPORT_SYMBOL_GPL(pvio_bind_evtchn_to_irqhandler);

/**
 * pvio_bind_evtchn_to_irqhandler_lateeoi() - late-EOI variant
 * @d: the calling domain
 * @port: a port of @d, now owned by the IRQ
 * @handler: the handler (hard IRQ); pvio_irq_lateeoi() must follow each run
 * @flags: request_irq() flags
 * @name: name shown in /proc/interrupts
 * @dev_id: request_irq() cookie
 *
 * As pvio_bind_evtchn_to_irqhandler(), but the port stays masked after
 * each event until the driver calls pvio_irq_lateeoi() (Linux's
 * bind_evtchn_to_irqhandler_lateeoi(), XSA-332).
 *
 * Context: process context, may sleep.
 * Return: the IRQ number, or -errno as pvio_bind_evtchn_to_irqhandler().
 */
int pvio_bind_evtchn_to_irqhandler_lateeoi(struct pvio_domain *d,
					   evtchn_port_t port,
					   irq_handler_t handler,
					   unsigned long flags,
					   const char *name, void *dev_id)
{
	return bind_and_request(d, port, IRQT_EVTCHN, true, 0, 0, handler,
				NULL, flags, name, dev_id);
}
EXPORT_SYMBOL_GPL(pvio_bind_evtchn_to_irqhandler_lateeoi);

/**
 * pvio_bind_evtchn_to_threaded_irqhandler_lateeoi() - late EOI, threaded
 * @d: the calling domain
 * @port: a port of @d, now owned by the IRQ
 * @handler: the primary handler, run in hard-IRQ context on the port's
 *	vCPU's CPU; it returns IRQ_WAKE_THREAD to have @thread_fn run
 * @thread_fn: the IRQ thread's function (process context, may sleep), or
 *	NULL for none
 * @flags: request_threaded_irq() flags
 * @name: name shown in /proc/interrupts; the IRQ thread is irq/N-@name
 *	(its task name cut at 15 characters)
 * @dev_id: request_threaded_irq() cookie, passed to both functions
 *
 * As pvio_bind_evtchn_to_irqhandler_lateeoi(), with request_threaded_irq()
 * instead of request_irq(): a driver can do a bounded part of an event's
 * work in @handler and hand the rest to @thread_fn. The port stays masked
 * until pvio_irq_lateeoi(), which must follow each event exactly once,
 * from @handler when it returns IRQ_HANDLED or from @thread_fn after it
 * returned IRQ_WAKE_THREAD: the port then stays masked while the thread
 * works, and no further @handler runs for this port until that EOI.
 * Linux binds a port with bind_evtchn_to_irq_lateeoi() and calls
 * request_threaded_irq() itself (xen-scsiback); pvio keeps the port and
 * IRQ mapping to itself, hence this variant. The same under User-Mode
 * Linux (uml/), whose interrupts are Linux's generic IRQ layer too.
 *
 * Context: process context, may sleep.
 * Return: the IRQ number, or -errno as pvio_bind_evtchn_to_irqhandler()
 * (-EINVAL also for a NULL @handler without IRQF_ONESHOT, as
 * request_threaded_irq()).
 */
int pvio_bind_evtchn_to_threaded_irqhandler_lateeoi(struct pvio_domain *d,
						    evtchn_port_t port,
						    irq_handler_t handler,
						    irq_handler_t thread_fn,
						    unsigned long flags,
						    const char *name,
						    void *dev_id)
{
	return bind_and_request(d, port, IRQT_EVTCHN, true, 0, 0, handler,
				thread_fn, flags, name, dev_id);
}
EXPORT_SYMBOL_GPL(pvio_bind_evtchn_to_threaded_irqhandler_lateeoi);

static int bind_interdomain(struct pvio_domain *d, domid_t remote_domid,
			    evtchn_port_t remote_port, bool lateeoi,
			    irq_handler_t handler, unsigned long flags,
			    const char *name, void *dev_id)
{
	struct evtchn_bind_interdomain bind = {
		.remote_dom = remote_domid,
		.remote_port = remote_port,
	};
	int rc;

	rc = pvio_event_channel_op(d, EVTCHNOP_bind_interdomain, &bind);
	if (rc)
		return rc;
	return bind_and_request(d, bind.local_port, IRQT_EVTCHN, lateeoi, 0, 0,
				handler, NULL, flags, name, dev_id);
}

/**
 * pvio_bind_interdomain_evtchn_to_irqhandler() - connect to a remote port
 * @d: the calling domain
 * @remote_domid: the domain that allocated @remote_port
 * @remote_port: a port of @remote_domid, unbound and accepting @d
 * @handler: the handler, run in hard-IRQ context
 * @flags: request_irq() flags
 * @name: name shown in /proc/interrupts
 * @dev_id: request_irq() cookie
 *
 * EVTCHNOP_bind_interdomain, then as pvio_bind_evtchn_to_irqhandler() on
 * the new local port. As in Xen the new port starts pending, so the
 * handler runs once right after binding (a possibly lost early event).
 *
 * Context: process context, may sleep.
 * Return: the IRQ number, or -errno (-ESRCH unknown domain, -EINVAL
 * remote port not unbound for @d, and the errors of
 * pvio_bind_evtchn_to_irqhandler()).
 */
int pvio_bind_interdomain_evtchn_to_irqhandler(struct pvio_domain *d,
					       domid_t remote_domid,
					       evtchn_port_t remote_port,
					       irq_handler_t handler,
					       unsigned long flags,
					       const char *name, void *dev_id)
{
	return bind_interdomain(d, remote_domid, remote_port, false, handler,
				flags, name, dev_id);
}
EXPORT_SYMBOL_GPL(pvio_bind_interdomain_evtchn_to_irqhandler);

/**
 * pvio_bind_interdomain_evtchn_to_irqhandler_lateeoi() - late-EOI variant
 * @d: the calling domain
 * @remote_domid: the domain that allocated @remote_port
 * @remote_port: a port of @remote_domid, unbound and accepting @d
 * @handler: the handler (hard IRQ); pvio_irq_lateeoi() must follow each run
 * @flags: request_irq() flags
 * @name: name shown in /proc/interrupts
 * @dev_id: request_irq() cookie
 *
 * As pvio_bind_interdomain_evtchn_to_irqhandler() with late EOI (Linux's
 * bind_interdomain_evtchn_to_irqhandler_lateeoi(), what backends use).
 *
 * Context: process context, may sleep.
 * Return: the IRQ number, or -errno.
 */
int pvio_bind_interdomain_evtchn_to_irqhandler_lateeoi(struct pvio_domain *d,
						       domid_t remote_domid,
						       evtchn_port_t remote_port,
						       irq_handler_t handler,
						       unsigned long flags,
						       const char *name,
						       void *dev_id)
{
	return bind_interdomain(d, remote_domid, remote_port, true, handler,
				flags, name, dev_id);
}
EXPORT_SYMBOL_GPL(pvio_bind_interdomain_evtchn_to_irqhandler_lateeoi);

/**
 * pvio_bind_virq_to_irqhandler() - bind an IRQ handler to a virtual IRQ
 * @d: the calling domain
 * @virq: VIRQ_* (e.g. VIRQ_DOM_EXC, dom0 only)
 * @vcpu: the vCPU (0 for global VIRQs)
 * @handler: the handler, run in hard-IRQ context
 * @flags: request_irq() flags
 * @name: name shown in /proc/interrupts
 * @dev_id: request_irq() cookie
 *
 * EVTCHNOP_bind_virq, then the port is mapped as by
 * pvio_bind_evtchn_to_irqhandler() (Linux's bind_virq_to_irqhandler());
 * the IRQ does not follow affinity changes.
 *
 * Context: process context, may sleep.
 * Return: the IRQ number, or -errno (-EEXIST already bound, -EINVAL bad
 * VIRQ, -ENOENT bad vCPU, -EBUSY global VIRQ in a domU).
 */
int pvio_bind_virq_to_irqhandler(struct pvio_domain *d, unsigned int virq,
				 unsigned int vcpu, irq_handler_t handler,
				 unsigned long flags, const char *name,
				 void *dev_id)
{
	struct evtchn_bind_virq bind = { .virq = virq, .vcpu = vcpu };
	int rc;

	rc = pvio_event_channel_op(d, EVTCHNOP_bind_virq, &bind);
	if (rc)
		return rc;
	return bind_and_request(d, bind.port, IRQT_VIRQ, false, vcpu, 0,
				handler, NULL, flags, name, dev_id);
}
EXPORT_SYMBOL_GPL(pvio_bind_virq_to_irqhandler);

/**
 * pvio_bind_pirq_to_irqhandler() - bind an IRQ handler to a physical IRQ
 * @d: the calling domain (the PIRQ must be mapped to it: PHYSDEVOP_map_pirq)
 * @pirq: the PIRQ number
 * @handler: the handler, run in hard-IRQ context; it must quiesce the device
 * @flags: request_irq() flags
 * @name: name shown in /proc/interrupts
 * @dev_id: request_irq() cookie
 *
 * EVTCHNOP_bind_pirq, then the port is mapped to an IRQ with the fasteoi
 * flow: after the handler, the pending bit is cleared and PHYSDEVOP_eoi
 * lets the hypervisor re-enable the physical line (Linux's PIRQ chip).
 *
 * Context: process context, may sleep.
 * Return: the IRQ number, or -errno (-EPERM PIRQ not mapped to @d, -EEXIST
 * already bound, -EINVAL out of range).
 */
int pvio_bind_pirq_to_irqhandler(struct pvio_domain *d, unsigned int pirq,
				 irq_handler_t handler, unsigned long flags,
				 const char *name, void *dev_id)
{
	struct evtchn_bind_pirq bind = { .pirq = pirq };
	int rc;

	rc = pvio_event_channel_op(d, EVTCHNOP_bind_pirq, &bind);
	if (rc)
		return rc;
	return bind_and_request(d, bind.port, IRQT_PIRQ, false, 0, pirq,
				handler, NULL, flags, name, dev_id);
}
EXPORT_SYMBOL_GPL(pvio_bind_pirq_to_irqhandler);

/**
 * pvio_unbind_from_irqhandler() - undo a pvio_bind_* call
 * @irq: the IRQ it returned
 * @dev_id: the cookie given to it
 *
 * free_irq() (waits for a running handler), masks the port, removes the
 * IRQ mapping, then closes the port (an interdomain peer's port returns to
 * unbound; a PIRQ's line is disabled). Linux's unbind_from_irqhandler().
 *
 * Context: process context, may sleep.
 */
void pvio_unbind_from_irqhandler(unsigned int irq, void *dev_id)
{
	struct pvio_evtchn_irq *info = info_of(irq);

	if (WARN_ON(!info))
		return;
	free_irq(irq, dev_id);
	unmap_irq(info);
}
EXPORT_SYMBOL_GPL(pvio_unbind_from_irqhandler);

/**
 * pvio_notify_remote_via_evtchn() - send an event on a port
 * @d: the calling domain
 * @port: a local port (interdomain: the peer is notified; IPI: ourselves)
 *
 * EVTCHNOP_send (Linux's notify_remote_via_evtchn()). A send on an
 * unbound port is dropped.
 *
 * Context: any (hard IRQ, softirq, spinlocks held); does not sleep.
 * Return: 0, or -EINVAL for a port that is not open.
 */
int pvio_notify_remote_via_evtchn(struct pvio_domain *d, evtchn_port_t port)
{
	struct evtchn_send send = { .port = port };

	return pvio_event_channel_op(d, EVTCHNOP_send, &send);
}
EXPORT_SYMBOL_GPL(pvio_notify_remote_via_evtchn);

/**
 * pvio_notify_remote_via_irq() - send an event on the port of an IRQ
 * @irq: an IRQ returned by a pvio_bind_* call
 *
 * Linux's notify_remote_via_irq(); ignored for an IRQ that is not ours.
 *
 * Context: any; does not sleep.
 */
void pvio_notify_remote_via_irq(unsigned int irq)
{
	struct pvio_evtchn_irq *info = info_of(irq);

	if (info)
		pvio_notify_remote_via_evtchn(info->ed->d, info->port);
}
EXPORT_SYMBOL_GPL(pvio_notify_remote_via_irq);

/**
 * pvio_evtchn_from_irq() - the port an IRQ is bound to
 * @irq: an IRQ returned by a pvio_bind_* call
 *
 * Context: any.
 * Return: the port, or 0 if @irq is not a pvio-evtchn IRQ.
 */
evtchn_port_t pvio_evtchn_from_irq(unsigned int irq)
{
	struct pvio_evtchn_irq *info = info_of(irq);

	return info ? info->port : 0;
}
EXPORT_SYMBOL_GPL(pvio_evtchn_from_irq);

/* ---- per-domain attach/detach ---------------------------------------- */

static const struct irq_domain_ops pvio_evtchn_domain_ops = {
	.xlate = irq_domain_xlate_onecell,
};

/* ---- debugfs ---------------------------------------------------------- */

static struct dentry *pvio_evtchn_dbg_root;

/*
 * pvio-evtchn/dN: one line per bound IRQ: "irq port lateeoi eoi_spurious
 * eoi_delayed delay_ms": the late-EOI back-off at work (a spurious EOI
 * past the first in a row unmasks only after 2^(n-2) jiffies, up to HZ).
 */
static int pvio_evtchn_dbg_show(struct seq_file *m, void *v)
{
	struct pvio_evtchn_dom *ed = m->private;
	struct pvio_evtchn_irq *info;

	seq_puts(m, "irq port lateeoi eoi_spurious eoi_delayed delay_ms\n");
	mutex_lock(&ed->lock);
	list_for_each_entry(info, &ed->irqs, list)
		seq_printf(m, "%u %u %u %lu %lu %u\n", info->irq, info->port,
			   info->lateeoi, READ_ONCE(info->eoi_spurious),
			   READ_ONCE(info->eoi_delayed),
			   jiffies_to_msecs(READ_ONCE(info->eoi_delay_jiffies)));
	mutex_unlock(&ed->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvio_evtchn_dbg);

static int pvio_evtchn_attach(struct pvio_domain *d)
{
	unsigned int nr = pvio_domain_nr_vcpus(d), v;
	struct pvio_evtchn_dom *ed;
	char name[32];

	ed = kzalloc(struct_size(ed, vcpus, nr), GFP_KERNEL);
	if (!ed)
		return -ENOMEM;
	ed->d = d;
	ed->si = pvio_domain_shared_info(d);
	ed->nr_vcpus = nr;
	mutex_init(&ed->lock);
	INIT_LIST_HEAD(&ed->irqs);
	for (v = 0; v < nr; v++) {
		ed->vcpus[v].ed = ed;
		ed->vcpus[v].id = v;
		ed->vcpus[v].again = IRQ_WORK_INIT_HARD(upcall_again);
	}

	/* The fwnode keeps its own copy of the name. */
	snprintf(name, sizeof(name), "pvio-evtchn-d%u", pvio_domain_id(d));
	ed->fwnode = irq_domain_alloc_named_fwnode(name);
	if (!ed->fwnode)
		goto err;
	ed->irqd = irq_domain_create_linear(ed->fwnode, NR_PORTS,
					    &pvio_evtchn_domain_ops, ed);
	if (!ed->irqd)
		goto err_fwnode;

	/*
	 * Unlike Linux's xen_evtchn_mask_all(), ports are masked one by one
	 * when an IRQ is bound (map_port()): other users of the domain's
	 * shared_info (raw hypercall users, tests) see Xen's initial state.
	 * A pending port without an IRQ is skipped by the upcall.
	 */
	snprintf(name, sizeof(name), "d%u", pvio_domain_id(d));
	ed->dbg = debugfs_create_file(name, 0400, pvio_evtchn_dbg_root, ed,
				      &pvio_evtchn_dbg_fops);
	pvio_guest_set_priv(d, PVIO_SLOT_EVTCHN, ed);
	pvio_domain_set_upcall(d, pvio_evtchn_upcall);
	return 0;

err_fwnode:
	irq_domain_free_fwnode(ed->fwnode);
err:
	kfree(ed);
	return -ENOMEM;
}

static void pvio_evtchn_detach(struct pvio_domain *d)
{
	struct pvio_evtchn_dom *ed = ed_of(d);
	struct pvio_evtchn_irq *info;
	unsigned int v;

	if (!ed)
		return;
	debugfs_remove(ed->dbg);
	pvio_domain_set_upcall(d, NULL);
	for (v = 0; v < ed->nr_vcpus; v++)
		irq_work_sync(&ed->vcpus[v].again);

	/* Drivers should have unbound already: do it for them. */
	while ((info = list_first_entry_or_null(&ed->irqs,
						struct pvio_evtchn_irq,
						list))) {
		pr_warn("domain %u: IRQ %u (port %u) still bound at detach\n",
			pvio_domain_id(d), info->irq, info->port);
		free_irq(info->irq, info->dev_id);
		unmap_irq(info);
	}
	pvio_guest_set_priv(d, PVIO_SLOT_EVTCHN, NULL);
	irq_domain_remove(ed->irqd);
	irq_domain_free_fwnode(ed->fwnode);
	/* kfree_rcu()'d per-IRQ state points at @ed. */
	rcu_barrier();
	kfree(ed);
}

static struct pvio_guest_ops pvio_evtchn_ops = {
	.name = "evtchn",
	.attach = pvio_evtchn_attach,
	.detach = pvio_evtchn_detach,
};

static int __init pvio_evtchn_init(void)
{
	int rc;

	pvio_evtchn_dbg_root = debugfs_create_dir("pvio-evtchn", NULL);
	rc = pvio_guest_register(&pvio_evtchn_ops);
	if (rc)
		debugfs_remove_recursive(pvio_evtchn_dbg_root);
	return rc;
}
module_init(pvio_evtchn_init);

static void __exit pvio_evtchn_exit(void)
{
	pvio_guest_unregister(&pvio_evtchn_ops);
	debugfs_remove_recursive(pvio_evtchn_dbg_root);
}
module_exit(pvio_evtchn_exit);

MODULE_DESCRIPTION("pvio: guest-side event channels (Dynamic-irq)");
MODULE_LICENSE("GPL");
