// SPDX-License-Identifier: GPL-2.0
/*
 * pvio hypervisor: domains, their lifetime, vCPUs, shared_info and the
 * upcall. The guest-side components attached to each domain: guest.c.
 *
 * A domain lives from pvio_domain_create() to pvio_domain_destroy(); its
 * struct lives until the last reference (struct kref) is dropped, which may
 * happen in any context, so the final free runs from a work item. Lookups
 * by domid go through an RCU-protected table and kref_get_unless_zero(),
 * so hypercalls can resolve domids in hard IRQ and softirq context.
 *
 * Lock order: pvio_hv_guests_lock (guest.c; domain create/destroy and component
 * (un)registration, held across attach/detach callbacks) ->
 * pvio_hv_domains_lock (leaf: the list and the domid table).
 */

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/bitmap.h>
#include <linux/string.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include "internal.h"

/* The domain list and domid table writes; a leaf lock. */
DEFINE_MUTEX(pvio_hv_domains_lock);
LIST_HEAD(pvio_hv_domain_list);

static struct pvio_domain __rcu *pvio_hv_domid_table[PVIO_MAX_DOMID + 1];
/* domids in use, from creation until the struct is freed (no early reuse) */
static DECLARE_BITMAP(pvio_hv_domid_used, PVIO_MAX_DOMID + 1);
static domid_t pvio_hv_domid_next = 1;

static struct pvio_domain *pvio_hv_dom0_domain;
static struct workqueue_struct *pvio_hv_domain_wq;

static void pvio_hv_vcpu_sync(struct pvio_hv_vcpu *v);

/* ---- lifetime --------------------------------------------------------- */

static void pvio_hv_domain_free_work(struct work_struct *work)
{
	struct pvio_domain *d = container_of(work, struct pvio_domain,
					     free_work);
	unsigned int i;

	for (i = 0; i < d->nr_vcpus; i++)
		pvio_hv_vcpu_sync(&d->vcpus[i]);

	mutex_lock(&pvio_hv_domains_lock);
	clear_bit(d->domid, pvio_hv_domid_used);
	mutex_unlock(&pvio_hv_domains_lock);

	pvio_hv_gnttab_domain_free(d);
	if (d->fdom)
		pvio_hv_fdom_free(d);
	pvio_hv_p2m_destroy(d);
	if (d->shared_info)
		free_page((unsigned long)d->shared_info);
	/* Lock-free lookups may still be looking at the struct. */
	kfree_rcu(d, rcu);
}

static void pvio_hv_domain_release(struct kref *ref)
{
	struct pvio_domain *d = container_of(ref, struct pvio_domain, ref);

	/* Any context: irq_work_sync() and the mutex need a sleepable one. */
	queue_work(pvio_hv_domain_wq, &d->free_work);
}

/**
 * pvio_hv_domain_put() - drop a reference taken by a lookup
 * @d: the domain, or NULL
 *
 * Context: any. The last reference frees the domain from a work item.
 */
void pvio_hv_domain_put(struct pvio_domain *d)
{
	if (d)
		kref_put(&d->ref, pvio_hv_domain_release);
}

/**
 * pvio_hv_domain_get_by_id() - find a live domain by domid and take a ref
 * @domid: 0..PVIO_MAX_DOMID (DOMID_SELF is not resolved here)
 *
 * Context: any (RCU lookup).
 * Return: the domain with a reference, or NULL if there is none (or it is
 * being destroyed).
 */
struct pvio_domain *pvio_hv_domain_get_by_id(domid_t domid)
{
	struct pvio_domain *d;

	if (domid > PVIO_MAX_DOMID)
		return NULL;
	rcu_read_lock();
	d = rcu_dereference(pvio_hv_domid_table[domid]);
	if (d && !kref_get_unless_zero(&d->ref))
		d = NULL;
	rcu_read_unlock();
	return d;
}

/**
 * pvio_hv_domain_lookup() - resolve a domid named in a hypercall
 * @caller: the calling domain
 * @domid: DOMID_SELF (-> @caller) or a domid
 *
 * Context: any.
 * Return: the domain with a reference (drop with pvio_hv_domain_put()), or
 * NULL.
 */
struct pvio_domain *pvio_hv_domain_lookup(struct pvio_domain *caller,
					  domid_t domid)
{
	if (domid == DOMID_SELF || domid == caller->domid) {
		kref_get(&caller->ref);
		return caller;
	}
	return pvio_hv_domain_get_by_id(domid);
}

/* ---- vCPUs and the upcall --------------------------------------------- */

static void pvio_hv_vcpu_upcall(struct pvio_hv_vcpu *v)
{
	struct pvio_domain *d = v->domain;
	pvio_upcall_fn fn;

	rcu_read_lock();
	fn = READ_ONCE(d->upcall);
	if (fn)
		fn(d, v->id);
	rcu_read_unlock();
}

static void pvio_hv_vcpu_upcall_work(struct irq_work *work)
{
	pvio_hv_vcpu_upcall(container_of(work, struct pvio_hv_vcpu, upcall_work));
}

/* IPI handler on the vCPU's CPU (hard IRQ); the csd is already unlocked. */
static void pvio_hv_vcpu_upcall_ipi(void *info)
{
	struct pvio_hv_vcpu *v = info;

	clear_bit(0, &v->csd_busy);
	/* A kick from now on sends a new IPI: order it before the upcall. */
	smp_mb__after_atomic();
	pvio_hv_vcpu_upcall(v);
}

static void pvio_hv_vcpu_sync(struct pvio_hv_vcpu *v)
{
	irq_work_sync(&v->upcall_work);
	while (test_bit(0, &v->csd_busy))
		cond_resched();
}

/**
 * pvio_hv_vcpu_kick() - raise a vCPU's upcall
 * @d: the domain
 * @vcpu: the vCPU index (< nr_vcpus; others are ignored)
 *
 * Like Xen's vcpu_kick(): sets nothing in shared_info itself (the caller
 * has set evtchn_upcall_pending), wakes the vCPU if it is blocked in
 * SCHEDOP_block/poll and has its Linux CPU call the domain's registered
 * upcall in hard-IRQ context (irq_work locally, an async IPI remotely). A kick already
 * queued is not queued twice; a process domain's upcall (/dev/pvio-hv's
 * SIGIO) is called right here. Nothing happens once the domain is dying.
 *
 * Context: any (hard IRQ included).
 */
void pvio_hv_vcpu_kick(struct pvio_domain *d, unsigned int vcpu)
{
	struct pvio_hv_vcpu *v;
	int cpu;

	if (vcpu >= d->nr_vcpus || READ_ONCE(d->state) == PVIO_DOMAIN_DYING)
		return;
	v = &d->vcpus[vcpu];
	if (wq_has_sleeper(&v->block_wq))
		wake_up_all(&v->block_wq);
	if (!READ_ONCE(d->upcall))
		return;
	/*
	 * A process domain's vCPU is its process, wherever it runs: its
	 * upcall (poll wake-up and SIGIO, safe in any context) is raised
	 * here, without an IPI to a CPU that has nothing to do with it.
	 */
	if (d->fdom) {
		pvio_hv_vcpu_upcall(v);
		return;
	}
	cpu = get_cpu();
	if (cpu == v->cpu || !cpu_online(v->cpu)) {
		irq_work_queue(&v->upcall_work);
	} else if (!test_and_set_bit(0, &v->csd_busy)) {
		if (smp_call_function_single_async(v->cpu, &v->upcall_csd)) {
			clear_bit(0, &v->csd_busy);
			irq_work_queue(&v->upcall_work);
		}
	}
	put_cpu();
}

/**
 * pvio_domain_set_upcall() - register the guest's event upcall handler
 * @d: the domain (the caller's own)
 * @fn: handler called in hard-IRQ context on the vCPU's CPU; NULL removes
 *
 * A handler registered is raised at once on each vCPU whose
 * evtchn_upcall_pending is set and not masked: an event that came while
 * no handler was registered set it and kicked nobody, and later events
 * do not kick while it stays set (Xen's vcpu_mark_events_pending()).
 *
 * Context: process context when @fn is NULL (waits for an upcall that is
 * running to finish, via synchronize_rcu()); any otherwise.
 */
void pvio_domain_set_upcall(struct pvio_domain *d, pvio_upcall_fn fn)
{
	struct vcpu_info *vi;
	unsigned int i;

	WRITE_ONCE(d->upcall, fn);
	if (!fn) {
		synchronize_rcu();
		return;
	}
	/*
	 * An event marked pending while no handler was registered kicked
	 * nobody, and later ones do not kick while evtchn_upcall_pending
	 * stays set: deliver it now.
	 */
	smp_mb(); /* the handler published before the pending flags are read */
	for (i = 0; i < d->nr_vcpus; i++) {
		vi = &d->shared_info->vcpu_info[i];
		if (READ_ONCE(vi->evtchn_upcall_pending) &&
		    !READ_ONCE(vi->evtchn_upcall_mask))
			pvio_hv_vcpu_kick(d, i);
	}
}
EXPORT_SYMBOL_GPL(pvio_domain_set_upcall);

/**
 * pvio_domain_shared_info() - the domain's shared_info page
 * @d: the domain
 *
 * One zeroed 4 KiB page allocated at creation: every event channel starts
 * unmasked and not pending, as in Xen.
 *
 * Context: any.
 * Return: the kernel address of the page (valid for the domain's life).
 */
struct shared_info *pvio_domain_shared_info(struct pvio_domain *d)
{
	return d->shared_info;
}
EXPORT_SYMBOL_GPL(pvio_domain_shared_info);

static unsigned int pvio_hv_nth_online_cpu(unsigned int n)
{
	unsigned int cpu, i = 0;

	n %= num_online_cpus();
	for_each_online_cpu(cpu)
		if (i++ == n)
			return cpu;
	return cpumask_first(cpu_online_mask);
}

/* ---- accessors -------------------------------------------------------- */

/**
 * pvio_domain_id() - a domain's domid
 * @d: the domain
 *
 * Context: any.
 * Return: the domid (0 for dom0, 1..PVIO_MAX_DOMID for domUs).
 */
domid_t pvio_domain_id(const struct pvio_domain *d)
{
	return d->domid;
}
EXPORT_SYMBOL_GPL(pvio_domain_id);

/**
 * pvio_domain_name() - a domain's name
 * @d: the domain
 *
 * Context: any.
 * Return: the NUL-terminated name given at creation ("Domain-0" for dom0).
 */
const char *pvio_domain_name(const struct pvio_domain *d)
{
	return d->name;
}
EXPORT_SYMBOL_GPL(pvio_domain_name);

/**
 * pvio_domain_nr_vcpus() - number of vCPUs of a domain
 * @d: the domain
 *
 * Context: any.
 * Return: 1..PVIO_MAX_VCPUS.
 */
unsigned int pvio_domain_nr_vcpus(const struct pvio_domain *d)
{
	return d->nr_vcpus;
}
EXPORT_SYMBOL_GPL(pvio_domain_nr_vcpus);

/**
 * pvio_vcpu_cpu() - the Linux CPU a vCPU runs on
 * @d: the domain
 * @vcpu: vCPU index
 *
 * vCPU i runs on the (i mod nr_online)-th CPU online at domain creation.
 *
 * Context: any.
 * Return: the CPU number; for @vcpu out of range, the CPU of vCPU 0.
 */
unsigned int pvio_vcpu_cpu(const struct pvio_domain *d, unsigned int vcpu)
{
	if (vcpu >= d->nr_vcpus)
		vcpu = 0;
	return d->vcpus[vcpu].cpu;
}
EXPORT_SYMBOL_GPL(pvio_vcpu_cpu);

/**
 * pvio_dom0() - the control domain
 *
 * Context: any, while pvio-hypervisor.ko is loaded (dom0 exists from load
 * to unload).
 * Return: dom0's handle.
 */
struct pvio_domain *pvio_dom0(void)
{
	return pvio_hv_dom0_domain;
}
EXPORT_SYMBOL_GPL(pvio_dom0);

/**
 * pvio_domain_get_stats() - snapshot a domain's counters
 * @d: the domain
 * @st: filled with the counters
 *
 * The live map counts (grant_maps_held: the maps @d holds now, its
 * maptrack's handles in use; grant_maps_granted: the maps of @d's grants
 * any domain holds now, what pvio-hypervisor's max_maps_per_domain caps;
 * grant_maps_granted_peak: the most of those at once since @d was created)
 * are read under the maptrack's and the table's locks.
 *
 * Context: any. Counters are read one by one (not an atomic snapshot).
 */
void pvio_domain_get_stats(const struct pvio_domain *d,
			   struct pvio_domain_stats *st)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(st->hypercalls); i++)
		st->hypercalls[i] = atomic64_read(&d->stats.hypercalls[i]);
	st->multicall_entries = atomic64_read(&d->stats.multicall_entries);
	st->grant_maps = atomic64_read(&d->stats.grant_maps);
	st->grant_unmaps = atomic64_read(&d->stats.grant_unmaps);
	st->grant_copies = atomic64_read(&d->stats.grant_copies);
	st->grant_copy_bytes = atomic64_read(&d->stats.grant_copy_bytes);
	st->events_sent = atomic64_read(&d->stats.events_sent);
	st->events_delivered = atomic64_read(&d->stats.events_delivered);
	pvio_hv_gnttab_live_maps(d, &st->grant_maps_held,
				 &st->grant_maps_granted,
				 &st->grant_maps_granted_peak);
}
EXPORT_SYMBOL_GPL(pvio_domain_get_stats);

/* ---- create / destroy ------------------------------------------------- */

static struct pvio_domain *pvio_hv_domain_alloc(const char *name,
						unsigned int nr_vcpus)
{
	struct pvio_domain *d;
	struct page *page;
	unsigned int i;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return NULL;
	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!page) {
		kfree(d);
		return NULL;
	}
	d->shared_info = page_address(page);
	pvio_hv_p2m_init(d);
	strscpy(d->name, name ? name : "", sizeof(d->name));
	kref_init(&d->ref);
	INIT_LIST_HEAD(&d->list);
	INIT_WORK(&d->free_work, pvio_hv_domain_free_work);
	d->state = PVIO_DOMAIN_RUNNING;
	d->nr_vcpus = nr_vcpus;
	cpus_read_lock();
	for (i = 0; i < nr_vcpus; i++) {
		struct pvio_hv_vcpu *v = &d->vcpus[i];

		v->domain = d;
		v->id = i;
		v->cpu = pvio_hv_nth_online_cpu(i);
		v->upcall_work = IRQ_WORK_INIT_HARD(pvio_hv_vcpu_upcall_work);
		INIT_CSD(&v->upcall_csd, pvio_hv_vcpu_upcall_ipi, v);
		init_waitqueue_head(&v->block_wq);
	}
	cpus_read_unlock();
	return d;
}

static int pvio_hv_domid_alloc(struct pvio_domain *d, bool dom0)
{
	unsigned long id;

	lockdep_assert_held(&pvio_hv_domains_lock);
	if (dom0) {
		if (test_and_set_bit(0, pvio_hv_domid_used))
			return -EEXIST;
		d->domid = 0;
		return 0;
	}
	/* Round robin, like Xen: a domid is not reused right away. */
	id = find_next_zero_bit(pvio_hv_domid_used, PVIO_MAX_DOMID + 1,
				pvio_hv_domid_next);
	if (id > PVIO_MAX_DOMID)
		id = find_next_zero_bit(pvio_hv_domid_used, PVIO_MAX_DOMID + 1, 1);
	if (id > PVIO_MAX_DOMID)
		return -ENOSPC;
	set_bit(id, pvio_hv_domid_used);
	d->domid = id;
	pvio_hv_domid_next = id + 1;
	return 0;
}

static void pvio_hv_domain_teardown(struct pvio_domain *d)
{
	pvio_hv_pirq_domain_destroy(d);
	pvio_hv_evtchn_domain_destroy(d);
	pvio_hv_gnttab_domain_destroy(d);
}

static struct pvio_domain *__pvio_domain_create(const char *name,
						unsigned int nr_vcpus,
						bool dom0,
						struct pvio_hv_fdom *fdom)
{
	struct pvio_domain *d;
	int err;

	if (!nr_vcpus || nr_vcpus > PVIO_MAX_VCPUS)
		return ERR_PTR(-EINVAL);
	d = pvio_hv_domain_alloc(name, nr_vcpus);
	if (!d) {
		if (fdom)
			pvio_hv_fdom_destroy(fdom);
		return ERR_PTR(-ENOMEM);
	}
	d->privileged = dom0;
	d->fdom = fdom;
	if (fdom)
		fdom->own_shared_info = d->shared_info;

	mutex_lock(&pvio_hv_guests_lock);
	mutex_lock(&pvio_hv_domains_lock);
	err = pvio_hv_domid_alloc(d, dom0);
	mutex_unlock(&pvio_hv_domains_lock);
	if (err)
		goto err_free;

	err = pvio_hv_gnttab_domain_init(d);
	if (err)
		goto err_id;
	err = pvio_hv_evtchn_domain_init(d);
	if (err)
		goto err_gnttab;
	err = pvio_hv_pirq_domain_init(d);
	if (err)
		goto err_evtchn;

	mutex_lock(&pvio_hv_domains_lock);
	list_add_tail(&d->list, &pvio_hv_domain_list);
	rcu_assign_pointer(pvio_hv_domid_table[d->domid], d);
	if (dom0)
		pvio_hv_dom0_domain = d;
	mutex_unlock(&pvio_hv_domains_lock);

	/* A process domain runs its own kernel: nothing of dom0's attaches. */
	err = fdom ? 0 : pvio_hv_guests_attach(d);
	if (err) {
		mutex_lock(&pvio_hv_domains_lock);
		d->state = PVIO_DOMAIN_DYING;
		list_del_init(&d->list);
		RCU_INIT_POINTER(pvio_hv_domid_table[d->domid], NULL);
		if (dom0)
			pvio_hv_dom0_domain = NULL;
		mutex_unlock(&pvio_hv_domains_lock);
		pvio_hv_domain_teardown(d);
		mutex_unlock(&pvio_hv_guests_lock);
		pvio_hv_domain_put(d);
		return ERR_PTR(err);
	}
	mutex_unlock(&pvio_hv_guests_lock);
	pr_debug("pvio: created domain %u (%s, %u vCPUs)\n", d->domid,
		 d->name, nr_vcpus);
	return d;

err_evtchn:
	pvio_hv_evtchn_domain_destroy(d);
err_gnttab:
	pvio_hv_gnttab_domain_destroy(d);
err_id:
	/* The domid is freed with the struct. */
	mutex_unlock(&pvio_hv_guests_lock);
	pvio_hv_domain_put(d);
	return ERR_PTR(err);
err_free:
	mutex_unlock(&pvio_hv_guests_lock);
	if (fdom)
		pvio_hv_fdom_destroy(fdom);
	free_page((unsigned long)d->shared_info);
	kfree(d);
	return ERR_PTR(err);
}

/**
 * pvio_domain_create() - create an unprivileged domain (domU)
 * @name: its name (truncated to 63 characters; may be NULL)
 * @nr_vcpus: 1..PVIO_MAX_VCPUS
 *
 * Allocates the next free domid (1..PVIO_MAX_DOMID, round robin as Xen),
 * a zeroed shared_info page, the grant table, event channels and PIRQ
 * state, makes the domain visible to lookups and calls every registered
 * component's attach() in registration order.
 *
 * Context: process context, may sleep. Not from an attach/detach callback.
 * Return: the domain's handle, valid until pvio_domain_destroy() of its
 * domid; ERR_PTR(-EINVAL) for a bad @nr_vcpus, -ENOSPC if every domid is
 * taken, -ENOMEM, or an attach() error.
 */
struct pvio_domain *pvio_domain_create(const char *name, unsigned int nr_vcpus)
{
	return __pvio_domain_create(name, nr_vcpus, false, NULL);
}
EXPORT_SYMBOL_GPL(pvio_domain_create);

/*
 * A domain that is a process of dom0 (hvdev.c): one vCPU, its memory
 * model @fdom (owned by the domain from here: freed with it, also when
 * the creation fails), no guest component attached.
 */
struct pvio_domain *pvio_hv_domain_create_fdom(const char *name,
					       struct pvio_hv_fdom *fdom)
{
	return __pvio_domain_create(name, 1, false, fdom);
}

static void __pvio_domain_destroy(struct pvio_domain *d)
{
	unsigned int i;

	lockdep_assert_held(&pvio_hv_guests_lock);
	/* The guest kernel goes first, its domain still fully working. */
	if (!d->fdom)
		pvio_hv_guests_detach(d);

	mutex_lock(&pvio_hv_domains_lock);
	WRITE_ONCE(d->state, PVIO_DOMAIN_DYING);
	list_del_init(&d->list);
	RCU_INIT_POINTER(pvio_hv_domid_table[d->domid], NULL);
	if (d == pvio_hv_dom0_domain)
		pvio_hv_dom0_domain = NULL;
	mutex_unlock(&pvio_hv_domains_lock);

	pvio_hv_domain_teardown(d);

	WRITE_ONCE(d->upcall, NULL);
	synchronize_rcu();
	for (i = 0; i < d->nr_vcpus; i++) {
		pvio_hv_vcpu_sync(&d->vcpus[i]);
		wake_up_all(&d->vcpus[i].block_wq);
	}
	pr_debug("pvio: destroyed domain %u (%s)\n", d->domid, d->name);
	if (pvio_hv_dom0_domain)
		pvio_hv_send_guest_virq(pvio_hv_dom0_domain, VIRQ_DOM_EXC);
	pvio_hv_domain_put(d);
}

/**
 * pvio_domain_destroy() - destroy a domU
 * @domid: its domid
 *
 * Calls every component's detach() (reverse registration order), removes
 * the domain from lookups, tears down its event channels, PIRQs and grant
 * table (mappings it holds of other domains' grants are unmapped, as Xen's
 * gnttab_release_mappings(); pages it granted that others still map stay
 * valid until they unmap them) and sends VIRQ_DOM_EXC to dom0. The struct
 * is freed when the last reference goes.
 *
 * Context: process context, may sleep. Not from an attach/detach callback.
 * Return: 0; -EPERM for dom0; -ESRCH if there is no such domain.
 */
int pvio_domain_destroy(domid_t domid)
{
	struct pvio_domain *d;

	if (domid == 0)
		return -EPERM;
	mutex_lock(&pvio_hv_guests_lock);
	d = pvio_hv_domain_get_by_id(domid);
	if (!d) {
		mutex_unlock(&pvio_hv_guests_lock);
		return -ESRCH;
	}
	__pvio_domain_destroy(d);
	mutex_unlock(&pvio_hv_guests_lock);
	pvio_hv_domain_put(d);
	return 0;
}
EXPORT_SYMBOL_GPL(pvio_domain_destroy);

int pvio_hv_domains_init(void)
{
	struct pvio_domain *d;

	pvio_hv_domain_wq = alloc_workqueue("pvio_domain", 0, 0);
	if (!pvio_hv_domain_wq)
		return -ENOMEM;
	d = __pvio_domain_create("Domain-0", num_online_cpus() < PVIO_MAX_VCPUS ?
				 num_online_cpus() : PVIO_MAX_VCPUS, true, NULL);
	if (IS_ERR(d)) {
		destroy_workqueue(pvio_hv_domain_wq);
		return PTR_ERR(d);
	}
	return 0;
}

void pvio_hv_domains_exit(void)
{
	struct pvio_domain *d;

	mutex_lock(&pvio_hv_guests_lock);
	WARN_ON(pvio_hv_guests_registered());
	/* domUs newest first, dom0 (the first) last */
	while (!list_empty(&pvio_hv_domain_list)) {
		d = list_last_entry(&pvio_hv_domain_list, struct pvio_domain, list);
		kref_get(&d->ref);
		__pvio_domain_destroy(d);
		pvio_hv_domain_put(d);
	}
	mutex_unlock(&pvio_hv_guests_lock);
	/* Frees every struct whose last reference is gone. */
	destroy_workqueue(pvio_hv_domain_wq);
	if (!bitmap_empty(pvio_hv_domid_used, PVIO_MAX_DOMID + 1))
		pr_err("pvio: domains still referenced at unload\n");
}
