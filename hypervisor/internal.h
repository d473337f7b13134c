/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio hypervisor internals: shared by the files of pvio-hypervisor.ko
 * only. Guest-side code uses include/pvio/hypervisor.h.
 */
#ifndef PVIO_HV_INTERNAL_H
#define PVIO_HV_INTERNAL_H

#include <linux/bits.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/irq_work.h>
#include <linux/smp.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/rcupdate.h>
#include <linux/xarray.h>
#include <pvio/hypervisor.h>
#include <pvio/guest.h>

/*
 * Xen's "function not implemented" (public/errno.h: XEN_ENOSYS 38, the
 * same value as Linux's): what an unknown hypercall or sub-command returns.
 */
#define XEN_ENOSYS		38

/* Grant and ring pages are always 4 KiB (XEN_PAGE_SHIFT). */
#define PVIO_PAGE_SHIFT		12
#define PVIO_PAGE_SIZE		BIT(PVIO_PAGE_SHIFT)

struct pvio_hv_grant_table;	/* grant_table.c */
struct pvio_hv_maptrack;		/* grant_table.c */
struct pvio_hv_evtchn_domain;	/* event_channel.c */
struct pvio_hv_dev;		/* hvdev.c: an open /dev/pvio-hv */

/*
 * A domain that is a process of dom0 (/dev/pvio-hv, hvdev.c): its memory
 * is a shmem file (frame n = page n), its hypercall arguments are
 * addresses in that process, its upcall is the device's poll + SIGIO.
 */
struct pvio_hv_fdom {
	struct mm_struct *mm;		/* the process's (mmgrab): arguments */
	struct pvio_hv_dev *dev;	/* the open device; NULL once closed */
	struct mutex lock;		/* everything below */
	struct file *mem;		/* the shmem file, NULL until registered */
	u64 nr_frames;			/* declared memory, 4 KiB frames */
	u64 nr_pinned;			/* frames in the domain's p2m */
	struct shared_info *own_shared_info;	/* the hypervisor's page */
	struct page *shared_info_page;	/* a frame placed as shared_info */
};

enum pvio_hv_domain_state {
	PVIO_DOMAIN_RUNNING,
	PVIO_DOMAIN_SHUTDOWN,		/* shutdown_reason holds SHUTDOWN_* */
	PVIO_DOMAIN_DYING,
};

struct pvio_hv_vcpu {
	struct pvio_domain *domain;
	unsigned int id;
	unsigned int cpu;		/* Linux CPU this vCPU runs on */
	/*
	 * The upcall runs in hard IRQ on @cpu: a kick from @cpu queues
	 * @upcall_work (self-IPI); from another CPU it sends @upcall_csd
	 * (irq_work_queue_on() is not exported by Linux 6.1), at most one
	 * in flight (bit 0 of @csd_busy).
	 */
	struct irq_work upcall_work;
	call_single_data_t upcall_csd;
	unsigned long csd_busy;
	wait_queue_head_t block_wq;	/* SCHEDOP_block / SCHEDOP_poll */
};

/* Per-domain counters: updated with atomic64 ops, read by get_stats. */
struct pvio_hv_domain_counters {
	atomic64_t hypercalls[64];
	atomic64_t multicall_entries;
	atomic64_t grant_maps;
	atomic64_t grant_unmaps;
	atomic64_t grant_copies;
	atomic64_t grant_copy_bytes;
	atomic64_t events_sent;
	atomic64_t events_delivered;
};

struct pvio_domain {
	domid_t domid;
	char name[64];
	bool privileged;		/* dom0 */
	enum pvio_hv_domain_state state;
	unsigned int shutdown_reason;
	struct kref ref;
	struct list_head list;		/* pvio_hv_domain_list, pvio_hv_domains_lock */
	struct work_struct free_work;	/* last kref_put -> freed here */
	struct rcu_head rcu;		/* lock-free lookups end */

	unsigned int nr_vcpus;
	struct pvio_hv_vcpu vcpus[PVIO_MAX_VCPUS];

	struct shared_info *shared_info;	/* one zeroed 4 KiB page */
	pvio_upcall_fn upcall;	/* guest side; READ_ONCE + RCU (sync on NULL) */

	struct pvio_hv_grant_table *grant_table;
	struct pvio_hv_maptrack *maptrack;
	struct pvio_hv_evtchn_domain *evtchn;

	void *priv[PVIO_NR_SLOTS];		/* guest-side components */

	/*
	 * NULL for a domain in this kernel; else the domain is a process
	 * (hvdev.c) and its frame space below is its memory file's pinned
	 * pages: p2m maps frame n to page n of the file (with a reference),
	 * m2p is unused.
	 */
	struct pvio_hv_fdom *fdom;

	/*
	 * The domain's frame space (guest_memory.c; dom0's is the identity):
	 * p2m maps each frame number the domain was given to its page, m2p
	 * the page's pfn back to its struct pvio_hv_frame (number and
	 * references). A frame whose references are all gone stays given,
	 * on the idle list (least recently released first), until more than
	 * gfn_cache_frames are idle or the domain goes. Changed under
	 * p2m_lock (irqsave); p2m read locklessly.
	 */
	spinlock_t p2m_lock;
	struct xarray p2m;
	struct xarray m2p;
	struct list_head gfn_idle;
	unsigned int nr_gfn_idle;

	struct pvio_hv_domain_counters stats;
};

/* domain.c */
/*
 * pvio_hv_domains_lock protects pvio_hv_domain_list (every domain from creation
 * to destruction, dom0 first) and the domid table writes. It is a leaf
 * lock: never held across guest-component callbacks or hypercalls.
 * Lookups by domid are RCU-based and work in any context.
 */
extern struct mutex pvio_hv_domains_lock;
extern struct list_head pvio_hv_domain_list;

/* guest.c: the guest-side components, under pvio_hv_guests_lock */
extern struct mutex pvio_hv_guests_lock;
int pvio_hv_guests_attach(struct pvio_domain *d);
void pvio_hv_guests_detach(struct pvio_domain *d);
bool pvio_hv_guests_registered(void);
int pvio_hv_domains_init(void);		/* module init: creates dom0 */
void pvio_hv_domains_exit(void);		/* module exit: destroys all */
struct pvio_domain *pvio_hv_domain_get_by_id(domid_t domid); /* takes a ref */
void pvio_hv_domain_put(struct pvio_domain *d);
/* Resolve a domid an op names (DOMID_SELF -> caller); takes a ref. */
struct pvio_domain *pvio_hv_domain_lookup(struct pvio_domain *caller, domid_t domid);
/* Raise @vcpu's upcall on its CPU and wake its blockers (any context). */
void pvio_hv_vcpu_kick(struct pvio_domain *d, unsigned int vcpu);

/* A domain that is a process (hvdev.c): no guest components attach. */
struct pvio_domain *pvio_hv_domain_create_fdom(const char *name,
					       struct pvio_hv_fdom *fdom);
/* hvdev.c: the domain struct is freed; drop its file and shared_info. */
void pvio_hv_fdom_free(struct pvio_domain *d);
/* hvdev.c: free a process domain's memory model (no domain uses it). */
void pvio_hv_fdom_destroy(struct pvio_hv_fdom *fdom);
long pvio_hv_do_memory_op(struct pvio_domain *caller, unsigned long cmd,
			  unsigned long arg);
int pvio_hv_dev_init(void);
void pvio_hv_dev_exit(void);

/* hypercall.c: dispatch without the DOMID/atomic checks of the entry. */
long pvio_hv_do_hypercall(struct pvio_domain *caller, unsigned long op,
			  unsigned long a1, unsigned long a2, unsigned long a3,
			  unsigned long a4, unsigned long a5, bool in_multicall);

/* ctl.c, debugfs.c */
int pvio_hv_ctl_init(void);
void pvio_hv_ctl_exit(void);
void pvio_hv_debugfs_init(void);
void pvio_hv_debugfs_exit(void);

/* memory model (guest_memory.c): caller's "guest addresses" and frames */
int pvio_hv_copy_from_guest(struct pvio_domain *d, void *dst,
			    unsigned long gaddr, size_t len);
int pvio_hv_copy_to_guest(struct pvio_domain *d, unsigned long gaddr,
			  const void *src, size_t len);
/* Granting domain's frame -> machine frame; false if @d does not own it. */
bool pvio_hv_gfn_to_mfn(struct pvio_domain *d, xen_pfn_t gfn,
			unsigned long *mfn);
void pvio_hv_p2m_init(struct pvio_domain *d);
void pvio_hv_p2m_destroy(struct pvio_domain *d);

/* grant_table.c */
int pvio_hv_gnttab_domain_init(struct pvio_domain *d);
void pvio_hv_gnttab_domain_destroy(struct pvio_domain *d);
/* The domain struct is freed (free_work): drop its table and maptrack. */
void pvio_hv_gnttab_domain_free(struct pvio_domain *d);
/* XENMAPSPACE_grant_table: frame @idx of @d's table becomes @page (@gfn). */
int pvio_hv_gnttab_place_frame(struct pvio_domain *d, unsigned int idx,
			       struct page *page, xen_pfn_t gfn);
/* Live maps @d holds, of @d's grants now and at most. Any context. */
void pvio_hv_gnttab_live_maps(const struct pvio_domain *d, u64 *held,
			      u64 *granted, u64 *peak);
long pvio_hv_do_grant_table_op(struct pvio_domain *caller, unsigned int cmd,
			       unsigned long uop, unsigned int count);

/* event_channel.c */
int pvio_hv_evtchn_domain_init(struct pvio_domain *d);
void pvio_hv_evtchn_domain_destroy(struct pvio_domain *d);
long pvio_hv_do_event_channel_op(struct pvio_domain *caller, unsigned int cmd,
				 unsigned long arg);
/* Hypervisor-internal senders (VIRQ_DOM_EXC, PIRQs). */
void pvio_hv_send_guest_virq(struct pvio_domain *d, unsigned int virq);
void pvio_hv_send_guest_pirq(struct pvio_domain *d, unsigned int pirq);

/* sched.c */
long pvio_hv_do_sched_op(struct pvio_domain *caller, int cmd, unsigned long arg);
long pvio_hv_domain_resume(struct pvio_domain *d);

/* physdev.c (PIRQs) */
int pvio_hv_pirq_domain_init(struct pvio_domain *d);
void pvio_hv_pirq_domain_destroy(struct pvio_domain *d);
long pvio_hv_do_physdev_op(struct pvio_domain *caller, int cmd, unsigned long arg);

/* multicall.c */
long pvio_hv_do_multicall(struct pvio_domain *caller, unsigned long entries,
			  unsigned int nr);

#define pvio_hv_count(d, field)		atomic64_inc(&(d)->stats.field)
#define pvio_hv_count_add(d, field, n)	atomic64_add((n), &(d)->stats.field)

#endif /* PVIO_HV_INTERNAL_H */
