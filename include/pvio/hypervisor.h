/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio hypervisor: the interface between pvio-hypervisor.ko and the
 * guest-side code of every domain (grant/, evtchn/, the bus, the drivers).
 *
 * One Linux kernel hosts dom0 and the domUs. Each domain is a context,
 * represented by an opaque struct pvio_domain handle. Guest-side code only
 * ever holds the handle of the domain it runs in: it is the "context the
 * hypercall is made in", and the hypervisor derives the caller's domid from
 * it (DOMID_SELF resolves to it). Guest code never dereferences another
 * domain's handle and never calls into another domain's code: frontends
 * and backends share only granted pages, event channels, hypercalls and the
 * store.
 *
 * Hypercall arguments follow Xen's conventions (xen.h, grant_table.h,
 * event_channel.h, sched.h, physdev.h): "guest addresses" are addresses in
 * the caller's memory model, which is the identity (kernel virtual
 * addresses) while every domain lives in this kernel. The hypervisor copies
 * argument structures in and results out through the caller's memory model
 * and never trusts them in place.
 */
#ifndef PVIO_HYPERVISOR_H
#define PVIO_HYPERVISOR_H

#include <linux/types.h>
#include <linux/mm_types.h>
#include <xen/interface/xen.h>
#include <xen/interface/grant_table.h>
#include <xen/interface/event_channel.h>
#include <xen/interface/sched.h>
#include <xen/interface/physdev.h>

struct pvio_domain;

/* Maximum vCPUs of a domain: the legacy shared_info vcpu_info array. */
#define PVIO_MAX_VCPUS		MAX_VIRT_CPUS
/* Largest domid pvio hands out to a domU. */
#define PVIO_MAX_DOMID		255

/* ---- domains ---------------------------------------------------------- */

struct pvio_domain *pvio_domain_create(const char *name, unsigned int nr_vcpus);
int pvio_domain_destroy(domid_t domid);
domid_t pvio_domain_id(const struct pvio_domain *d);
const char *pvio_domain_name(const struct pvio_domain *d);
unsigned int pvio_domain_nr_vcpus(const struct pvio_domain *d);
unsigned int pvio_vcpu_cpu(const struct pvio_domain *d, unsigned int vcpu);
struct pvio_domain *pvio_dom0(void);

/* ---- memory model ----------------------------------------------------- */

/*
 * Guest side: the frame number a domain writes into a grant entry or a
 * gmfn copy operand for one of its own 4 KiB pages, and back. Each domain
 * has its own frame space: dom0's frames are pfns; a domU's page gets a
 * frame number of that domain from pvio_page_to_gfn() (a reference, which
 * pvio_gfn_release() drops; ending access to a grant does it; the frame
 * then stays the domain's, idle, until evicted or flushed), and the
 * hypervisor refuses any frame the domain was not given.
 */
#define PVIO_GFN_INVALID	((xen_pfn_t)0)
xen_pfn_t pvio_page_to_gfn(struct pvio_domain *d, struct page *page);
unsigned int pvio_page_to_gfn_batch(struct pvio_domain *d,
				    struct page *const *pages, unsigned int n,
				    xen_pfn_t *gfns);
void pvio_gfn_release(struct pvio_domain *d, xen_pfn_t gfn);
void pvio_gfn_release_batch(struct pvio_domain *d, const xen_pfn_t *gfns,
			    unsigned int n);
unsigned int pvio_gfn_cache_flush(struct pvio_domain *d);
struct page *pvio_gfn_to_page(struct pvio_domain *d, xen_pfn_t gfn);

/*
 * The page a successful GNTTABOP_map_grant_ref yields: the op's
 * dev_bus_addr holds the machine address of the granted frame; the mapping
 * domain turns it into its own struct page (no vmap, no copy).
 */
struct page *pvio_machine_addr_to_page(const struct pvio_domain *d,
				       u64 dev_bus_addr);

/* ---- shared_info and the upcall --------------------------------------- */

/* The domain's own shared_info page (evtchn_pending/mask, vcpu_info). */
struct shared_info *pvio_domain_shared_info(struct pvio_domain *d);

/*
 * Guest side: the handler the hypervisor calls, in hard-IRQ context on the
 * vCPU's Linux CPU (through irq_work), when the vCPU's
 * evtchn_upcall_pending goes from 0 to 1 and its upcall is not masked.
 * NULL unregisters (and waits for a running upcall to finish).
 */
typedef void (*pvio_upcall_fn)(struct pvio_domain *d, unsigned int vcpu);
void pvio_domain_set_upcall(struct pvio_domain *d, pvio_upcall_fn fn);

/* ---- hypercalls ------------------------------------------------------- */

/*
 * The single hypercall entry. @caller is the calling domain's handle; op
 * is a __HYPERVISOR_* number; the arguments are Xen's for that op.
 * Returns what Xen returns: 0 or a positive value on success, -errno
 * (Xen's errno values, which are Linux's) on failure, -ENOSYS for an op
 * pvio does not implement.
 *
 * Context: the data-path ops never sleep and may be issued from any
 * context, hard IRQ and softirq included, as Linux's drivers issue them:
 * grant_table_op map_grant_ref/unmap_grant_ref/copy/query_size,
 * event_channel_op send/unmask/status/bind_vcpu, physdev_op eoi and
 * irq_status_query (issued from irq_chip callbacks with the descriptor
 * lock held), and a multicall made only of those.
 * Everything else (domain and table setup, binds and closes, sched_op
 * block/poll, physdev map_pirq) needs process context and may sleep.
 */
long pvio_hv_hypercall(struct pvio_domain *caller, unsigned long op,
		       unsigned long a1, unsigned long a2, unsigned long a3,
		       unsigned long a4, unsigned long a5);

static inline int pvio_grant_table_op(struct pvio_domain *d, unsigned int cmd,
				      void *uop, unsigned int count)
{
	return pvio_hv_hypercall(d, __HYPERVISOR_grant_table_op, cmd,
			      (unsigned long)uop, count, 0, 0);
}

static inline int pvio_event_channel_op(struct pvio_domain *d,
					unsigned int cmd, void *arg)
{
	return pvio_hv_hypercall(d, __HYPERVISOR_event_channel_op, cmd,
			      (unsigned long)arg, 0, 0, 0);
}

static inline int pvio_multicall(struct pvio_domain *d,
				 struct multicall_entry *calls,
				 unsigned int nr)
{
	return pvio_hv_hypercall(d, __HYPERVISOR_multicall, (unsigned long)calls,
			      nr, 0, 0, 0);
}

static inline int pvio_sched_op(struct pvio_domain *d, int cmd, void *arg)
{
	return pvio_hv_hypercall(d, __HYPERVISOR_sched_op, cmd,
			      (unsigned long)arg, 0, 0, 0);
}

static inline int pvio_physdev_op(struct pvio_domain *d, int cmd, void *arg)
{
	return pvio_hv_hypercall(d, __HYPERVISOR_physdev_op, cmd,
			      (unsigned long)arg, 0, 0, 0);
}

/* ---- start_info: the store ring (Xen's store_mfn / store_evtchn) ------ */

int pvio_domain_set_store(struct pvio_domain *d, xen_pfn_t gfn,
			  evtchn_port_t port);
int pvio_domain_get_store(const struct pvio_domain *d, xen_pfn_t *gfn,
			  evtchn_port_t *port);

/* ---- counters (read by pvctl top; also in debugfs pvio/domains) ------- */

struct pvio_domain_stats {
	u64 hypercalls[64];		/* by __HYPERVISOR_* number (< 64) */
	u64 multicall_entries;
	u64 grant_maps;
	u64 grant_unmaps;
	u64 grant_copies;
	u64 grant_copy_bytes;
	u64 events_sent;
	u64 events_delivered;
	u64 grant_maps_held;		/* live maps the domain holds now */
	u64 grant_maps_granted;		/* live maps of its grants now */
	u64 grant_maps_granted_peak;	/* the most of them at once */
};

void pvio_domain_get_stats(const struct pvio_domain *d,
			   struct pvio_domain_stats *st);

#endif /* PVIO_HYPERVISOR_H */
