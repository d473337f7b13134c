// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-uml.ko: the hypervisor interface of a User-Mode Linux domU, the
 * transport layer under pvio's guest-side modules when they are built for
 * ARCH=um (docs/uml-domu.md). It implements include/pvio/hypervisor.h and
 * include/pvio/guest.h, the API that pvio-hypervisor.ko implements for an
 * in-kernel domain, for the one domain this kernel is, on top of dom0's
 * /dev/pvio-hv (include/uapi/pvio/hv.h):
 *
 *  - hypercall = ioctl(IOCTL_PRIVCMD_HYPERCALL) through os_ioctl_generic():
 *    UML kernel addresses are addresses of the UML process, which dom0
 *    copies arguments from and results to;
 *  - frame number = offset in the physmem file / 4 KiB (phys_mapping()),
 *    the frame pinned in dom0 the first time it is handed out (in chunks);
 *  - upcall = a UML interrupt from the device's fd (um_request_irq(): the
 *    host's SIGIO), calling the events core's upcall in hard-IRQ context;
 *  - shared_info and the grant table frames are pages of this kernel
 *    placed with XENMEM_add_to_physmap (as an HVM guest of Xen does).
 *
 * Only pvio's guest-side modules use it: dom0's side (the store, the
 * backends) is never built for ARCH=um.
 */
#define pr_fmt(fmt) "pvio-uml: " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/bitmap.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/interrupt.h>
#include <linux/rcupdate.h>
#include <linux/err.h>
#include <linux/utsname.h>
#include <linux/timer.h>
#include <linux/jiffies.h>
#include <pvio/hypervisor.h>
#include <pvio/guest.h>
#include <xen/interface/memory.h>
#include <xen/privcmd.h>
#include <uapi/pvio/hv.h>
#include <os.h>
#include <irq_kern.h>
#include <mem.h>

/* Grant and ring pages are 4 KiB, as UML's pages. */
static_assert(PAGE_SIZE == 4096);

/* The upcall backstop's period (pvio_uml_backstop()). */
#define PVIO_UML_BACKSTOP	HZ

/* Frames pinned in dom0 per PVIO_HV_IOC_PIN, when one is first used. */
#define PVIO_UML_PIN_CHUNK	64
#define PVIO_UML_GFN_NONE	((xen_pfn_t)~0UL)

struct pvio_domain {
	domid_t domid;
	char name[PVIO_HV_NAME_LEN];
	int fd;				/* host fd of /dev/pvio-hv */
	int mem_fd;			/* host fd of the physmem file */
	int irq;			/* the upcall's UML IRQ */
	u64 nr_frames;
	unsigned long *pinned;		/* chunks pinned in dom0 */
	spinlock_t pin_lock;
	struct shared_info *shared_info;
	pvio_upcall_fn upcall;		/* READ_ONCE + RCU */
	/* the upcall backstop: SIGIO-driven upcalls, lost ones rescued */
	struct timer_list backstop;
	unsigned long upcalls;		/* IRQs off (UML's one vCPU) */
	unsigned long upcalls_seen;	/* at the backstop's last tick */
	bool pending_seen;		/* upcall_pending at its last tick */
	unsigned long rescued;
	void *priv[PVIO_NR_SLOTS];
	xen_pfn_t store_gfn;
	evtchn_port_t store_port;
	/* shared_info and grant frames: freed once dom0 has let go */
	struct page *placed[1 + 64];
	unsigned int nr_placed;
};

static struct pvio_domain pvio_uml_dom = { .fd = -1, .irq = -1 };
static DEFINE_MUTEX(pvio_uml_guests_lock);
static LIST_HEAD(pvio_uml_guests);

/* ---- hypercalls --------------------------------------------------------- */

static long pvio_uml_ioctl(struct pvio_domain *d, unsigned int cmd, void *arg)
{
	return os_ioctl_generic(d->fd, cmd, (unsigned long)arg);
}

static long pvio_uml_raw_hypercall(struct pvio_domain *d, unsigned long op,
				   unsigned long a1, unsigned long a2,
				   unsigned long a3, unsigned long a4,
				   unsigned long a5)
{
	struct privcmd_hypercall h = {
		.op = op, .arg = { a1, a2, a3, a4, a5 },
	};

	return pvio_uml_ioctl(d, IOCTL_PRIVCMD_HYPERCALL, &h);
}

static long pvio_uml_place(struct pvio_domain *d, unsigned int space,
			   unsigned long idx, xen_pfn_t gfn)
{
	struct xen_add_to_physmap x = {
		.domid = DOMID_SELF, .space = space, .idx = idx, .gpfn = gfn,
	};

	return pvio_uml_raw_hypercall(d, __HYPERVISOR_memory_op,
				      XENMEM_add_to_physmap, (unsigned long)&x,
				      0, 0, 0);
}

/*
 * GNTTABOP_setup_table: the frames dom0 reports as not placed (~0) become
 * pages of this kernel placed with XENMAPSPACE_grant_table, so that the
 * grant API finds its table with pvio_gfn_to_page() as in dom0's kernel.
 * Process context (setup_table needs it anyway).
 */
static long pvio_uml_setup_table(struct pvio_domain *d, unsigned long uop,
				 unsigned long count)
{
	struct gnttab_setup_table *op = (void *)uop;
	xen_pfn_t *frames;
	struct page *page;
	unsigned int i;
	long rc;

	rc = pvio_uml_raw_hypercall(d, __HYPERVISOR_grant_table_op,
				    GNTTABOP_setup_table, uop, count, 0, 0);
	if (rc || count != 1 || op->status != GNTST_okay)
		return rc;
	frames = op->frame_list;
	for (i = 0; i < op->nr_frames; i++) {
		if (frames[i] != PVIO_UML_GFN_NONE)
			continue;
		page = alloc_page(GFP_KERNEL | __GFP_ZERO);
		frames[i] = page ? pvio_page_to_gfn(d, page) : PVIO_GFN_INVALID;
		if (frames[i] == PVIO_GFN_INVALID ||
		    pvio_uml_place(d, XENMAPSPACE_grant_table, i, frames[i])) {
			if (page)
				__free_page(page);	/* never placed */
			op->status = GNTST_general_error;
			return 0;
		}
		/* The table's frame now, for the domain's life. */
		if (d->nr_placed < ARRAY_SIZE(d->placed))
			d->placed[d->nr_placed++] = page;
	}
	return 0;
}

/**
 * pvio_hv_hypercall() - the hypercall entry of this UML domain
 * @caller: the domain (this kernel's one)
 * @op: __HYPERVISOR_* number
 * @a1: first argument, as Xen's for @op
 * @a2: second argument
 * @a3: third argument
 * @a4: fourth argument
 * @a5: fifth argument
 *
 * One ioctl(IOCTL_PRIVCMD_HYPERCALL) on dom0's /dev/pvio-hv: dom0 runs the
 * same dispatcher as for an in-kernel domain and copies pointer arguments
 * from and to this process (this kernel's addresses are the process's).
 * GNTTABOP_setup_table also places the table's new frames in this
 * kernel's memory (XENMEM_add_to_physmap).
 *
 * Context: any (a host system call; it does not sleep in this kernel).
 * Return: as Xen: 0 or a positive value, -errno from dom0 (-ENOSYS for an
 * unknown op, -EFAULT for a bad address), -ESRCH before the domain exists.
 */
long pvio_hv_hypercall(struct pvio_domain *caller, unsigned long op,
		       unsigned long a1, unsigned long a2, unsigned long a3,
		       unsigned long a4, unsigned long a5)
{
	if (unlikely(!caller || caller->fd < 0))
		return -ESRCH;
	if (op == __HYPERVISOR_grant_table_op && a1 == GNTTABOP_setup_table)
		return pvio_uml_setup_table(caller, a2, a3);
	return pvio_uml_raw_hypercall(caller, op, a1, a2, a3, a4, a5);
}
EXPORT_SYMBOL_GPL(pvio_hv_hypercall);

/* ---- frames --------------------------------------------------------------- */

/**
 * pvio_page_to_gfn() - the frame number of one of this kernel's pages
 * @d: the domain (this kernel's)
 * @page: a page of this kernel's memory
 *
 * Its offset in the physmem file / 4 KiB (phys_mapping()), the frame dom0
 * reads through that file; the first use of a frame pins its chunk of
 * PVIO_UML_PIN_CHUNK frames in dom0 (PVIO_HV_IOC_PIN).
 *
 * Context: any.
 * Return: the frame, or PVIO_GFN_INVALID for a page outside the physmem
 * file or one dom0 would not pin (every use of it is refused).
 */
xen_pfn_t pvio_page_to_gfn(struct pvio_domain *d, struct page *page)
{
	unsigned long long off;
	struct pvio_hv_pin pin;
	unsigned long chunk, flags;
	xen_pfn_t gfn;
	int fd;

	fd = phys_mapping(page_to_phys(page), &off);
	if (fd != d->mem_fd)
		return PVIO_GFN_INVALID;
	gfn = off >> PAGE_SHIFT;
	if (gfn >= d->nr_frames)
		return PVIO_GFN_INVALID;
	chunk = gfn / PVIO_UML_PIN_CHUNK;
	if (test_bit(chunk, d->pinned))
		return gfn;
	spin_lock_irqsave(&d->pin_lock, flags);
	if (!test_bit(chunk, d->pinned)) {
		pin.first = (u64)chunk * PVIO_UML_PIN_CHUNK;
		pin.nr = min_t(u64, PVIO_UML_PIN_CHUNK, d->nr_frames - pin.first);
		if (!pvio_uml_ioctl(d, PVIO_HV_IOC_PIN, &pin))
			set_bit(chunk, d->pinned);
	}
	spin_unlock_irqrestore(&d->pin_lock, flags);
	return test_bit(chunk, d->pinned) ? gfn : PVIO_GFN_INVALID;
}
EXPORT_SYMBOL_GPL(pvio_page_to_gfn);

/**
 * pvio_page_to_gfn_batch() - the frame numbers of several of this kernel's pages
 * @d: the domain (this kernel's)
 * @pages: @n pages of this kernel's memory
 * @n: how many (0 is allowed)
 * @gfns: the @n frames, in the order of @pages
 *
 * pvio_page_to_gfn() of each (a frame here takes no reference).
 *
 * Context: any.
 * Return: how many of @gfns are PVIO_GFN_INVALID; 0 when all are frames.
 */
unsigned int pvio_page_to_gfn_batch(struct pvio_domain *d,
				    struct page *const *pages, unsigned int n,
				    xen_pfn_t *gfns)
{
	unsigned int i, bad = 0;

	for (i = 0; i < n; i++) {
		gfns[i] = pvio_page_to_gfn(d, pages[i]);
		bad += gfns[i] == PVIO_GFN_INVALID;
	}
	return bad;
}
EXPORT_SYMBOL_GPL(pvio_page_to_gfn_batch);

/**
 * pvio_gfn_release() - drop a frame number pvio_page_to_gfn() gave
 * @d: the domain
 * @gfn: the frame
 *
 * Nothing to do: a UML domain's frames are its physmem file's pages,
 * pinned in dom0 for the domain's life.
 *
 * Context: any.
 */
void pvio_gfn_release(struct pvio_domain *d, xen_pfn_t gfn)
{
}
EXPORT_SYMBOL_GPL(pvio_gfn_release);

/**
 * pvio_gfn_release_batch() - drop frame numbers pvio_page_to_gfn() gave
 * @d: the domain
 * @gfns: the frames
 * @n: how many
 *
 * Nothing to do, as pvio_gfn_release().
 *
 * Context: any.
 */
void pvio_gfn_release_batch(struct pvio_domain *d, const xen_pfn_t *gfns,
			    unsigned int n)
{
}
EXPORT_SYMBOL_GPL(pvio_gfn_release_batch);

/**
 * pvio_gfn_cache_flush() - take a domain's idle frames out of its table
 * @d: the domain
 *
 * Nothing to do: a UML domain keeps no idle frames (its frames are its
 * physmem file's pages, pinned in dom0 for the domain's life).
 *
 * Context: any.
 * Return: 0.
 */
unsigned int pvio_gfn_cache_flush(struct pvio_domain *d)
{
	return 0;
}
EXPORT_SYMBOL_GPL(pvio_gfn_cache_flush);

/**
 * pvio_gfn_to_page() - this kernel's page of a frame
 * @d: the domain
 * @gfn: a frame of its memory (e.g. from GNTTABOP_setup_table)
 *
 * Context: any.
 * Return: the page, or NULL beyond this kernel's memory.
 */
struct page *pvio_gfn_to_page(struct pvio_domain *d, xen_pfn_t gfn)
{
	if (gfn >= d->nr_frames || !pfn_valid(gfn))
		return NULL;
	return pfn_to_page(gfn);
}
EXPORT_SYMBOL_GPL(pvio_gfn_to_page);

/**
 * pvio_machine_addr_to_page() - the page a grant map yields
 * @d: the mapping domain
 * @dev_bus_addr: gnttab_map_grant_ref.dev_bus_addr
 *
 * A UML domain has no machine frames of dom0's to map: a backend does not
 * run here.
 *
 * Context: any.
 * Return: NULL.
 */
struct page *pvio_machine_addr_to_page(const struct pvio_domain *d,
				       u64 dev_bus_addr)
{
	return NULL;
}
EXPORT_SYMBOL_GPL(pvio_machine_addr_to_page);

/* ---- the domain ----------------------------------------------------------- */

/**
 * pvio_domain_id() - this domain's domid, given by dom0
 * @d: the domain
 *
 * Context: any.
 * Return: the domid.
 */
domid_t pvio_domain_id(const struct pvio_domain *d)
{
	return d->domid;
}
EXPORT_SYMBOL_GPL(pvio_domain_id);

/**
 * pvio_domain_name() - this domain's name
 * @d: the domain
 *
 * Context: any.
 * Return: the name it was created with.
 */
const char *pvio_domain_name(const struct pvio_domain *d)
{
	return d->name;
}
EXPORT_SYMBOL_GPL(pvio_domain_name);

/**
 * pvio_domain_nr_vcpus() - vCPUs of this domain
 * @d: the domain
 *
 * Context: any.
 * Return: 1 (UML is uniprocessor).
 */
unsigned int pvio_domain_nr_vcpus(const struct pvio_domain *d)
{
	return 1;
}
EXPORT_SYMBOL_GPL(pvio_domain_nr_vcpus);

/**
 * pvio_vcpu_cpu() - the CPU a vCPU runs on
 * @d: the domain
 * @vcpu: vCPU index
 *
 * Context: any.
 * Return: 0, UML's only CPU.
 */
unsigned int pvio_vcpu_cpu(const struct pvio_domain *d, unsigned int vcpu)
{
	return 0;
}
EXPORT_SYMBOL_GPL(pvio_vcpu_cpu);

/**
 * pvio_dom0() - the control domain, if it runs in this kernel
 *
 * Description: dom0 is another kernel: code that would act as dom0's
 * toolstack (the bus's introduce step) finds none here.
 *
 * Context: any.
 * Return: NULL.
 */
struct pvio_domain *pvio_dom0(void)
{
	return NULL;
}
EXPORT_SYMBOL_GPL(pvio_dom0);

/**
 * pvio_domain_shared_info() - this domain's shared_info
 * @d: the domain
 *
 * A page of this kernel placed with XENMAPSPACE_shared_info at load:
 * dom0 sets its pending bits through the physmem file.
 *
 * Context: any.
 * Return: its address.
 */
struct shared_info *pvio_domain_shared_info(struct pvio_domain *d)
{
	return d->shared_info;
}
EXPORT_SYMBOL_GPL(pvio_domain_shared_info);

/**
 * pvio_domain_set_upcall() - register the events core's upcall
 * @d: the domain
 * @fn: called in hard-IRQ context from the device's UML interrupt; NULL
 *	removes it (and waits for a running call)
 *
 * Context: process context when @fn is NULL; any otherwise.
 */
void pvio_domain_set_upcall(struct pvio_domain *d, pvio_upcall_fn fn)
{
	WRITE_ONCE(d->upcall, fn);
	if (!fn)
		synchronize_rcu();
}
EXPORT_SYMBOL_GPL(pvio_domain_set_upcall);

/**
 * pvio_domain_set_store() - record the store ring in start_info
 * @d: the domain
 * @gfn: its ring page's frame (0 clears)
 * @port: its unbound port for dom0
 *
 * PVIO_HV_IOC_SET_STORE: dom0's toolstack reads it for XS_INTRODUCE.
 *
 * Context: any.
 * Return: 0, or -errno from dom0 (-EINVAL for a frame it refuses).
 */
int pvio_domain_set_store(struct pvio_domain *d, xen_pfn_t gfn,
			  evtchn_port_t port)
{
	struct pvio_hv_store s = { .gfn = gfn, .port = port };
	long rc = 0;

	if (gfn)
		rc = pvio_uml_ioctl(d, PVIO_HV_IOC_SET_STORE, &s);
	if (!rc) {
		d->store_gfn = gfn;
		d->store_port = gfn ? port : 0;
	}
	return rc;
}
EXPORT_SYMBOL_GPL(pvio_domain_set_store);

/**
 * pvio_domain_get_store() - the store ring this domain recorded
 * @d: the domain
 * @gfn: out: the ring's frame
 * @port: out: the port
 *
 * Context: any.
 * Return: 0, -ENOENT if none is recorded.
 */
int pvio_domain_get_store(const struct pvio_domain *d, xen_pfn_t *gfn,
			  evtchn_port_t *port)
{
	if (!d->store_gfn)
		return -ENOENT;
	*gfn = d->store_gfn;
	*port = d->store_port;
	return 0;
}
EXPORT_SYMBOL_GPL(pvio_domain_get_store);

/**
 * pvio_domain_get_stats() - the domain's counters
 * @d: the domain
 * @st: zeroed: dom0 keeps the counters (pvctl top there)
 *
 * Context: any.
 */
void pvio_domain_get_stats(const struct pvio_domain *d,
			   struct pvio_domain_stats *st)
{
	memset(st, 0, sizeof(*st));
}
EXPORT_SYMBOL_GPL(pvio_domain_get_stats);

/* ---- guest components ------------------------------------------------------ */

/**
 * pvio_guest_set_priv() - store a component's state for the domain
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
 * pvio_guest_priv() - a component's state for the domain
 * @d: the domain; NULL (pvio_dom0() here) has none
 * @slot: the component's slot
 *
 * Context: any.
 * Return: what pvio_guest_set_priv() stored, or NULL.
 */
void *pvio_guest_priv(const struct pvio_domain *d, enum pvio_guest_slot slot)
{
	if (!d || WARN_ON_ONCE((unsigned int)slot >= PVIO_NR_SLOTS))
		return NULL;
	/* Pairs with smp_store_release() in pvio_guest_set_priv(). */
	return smp_load_acquire(&d->priv[slot]);
}
EXPORT_SYMBOL_GPL(pvio_guest_priv);

/**
 * pvio_guest_register() - register a guest-side component
 * @ops: name, attach and detach
 *
 * This kernel is one domain: attach() is called for it now.
 *
 * Context: process context, may sleep.
 * Return: 0, or attach()'s error (the component is then not registered).
 */
int pvio_guest_register(struct pvio_guest_ops *ops)
{
	int err;

	mutex_lock(&pvio_uml_guests_lock);
	err = ops->attach ? ops->attach(&pvio_uml_dom) : 0;
	if (err)
		pr_warn("%s attach to domain %u failed: %d\n", ops->name,
			pvio_uml_dom.domid, err);
	else
		list_add_tail(&ops->list, &pvio_uml_guests);
	mutex_unlock(&pvio_uml_guests_lock);
	return err;
}
EXPORT_SYMBOL_GPL(pvio_guest_register);

/**
 * pvio_guest_unregister() - unregister a guest-side component
 * @ops: as registered
 *
 * Calls detach() for the domain, then forgets @ops.
 *
 * Context: process context, may sleep.
 */
void pvio_guest_unregister(struct pvio_guest_ops *ops)
{
	mutex_lock(&pvio_uml_guests_lock);
	if (ops->detach)
		ops->detach(&pvio_uml_dom);
	list_del(&ops->list);
	mutex_unlock(&pvio_uml_guests_lock);
}
EXPORT_SYMBOL_GPL(pvio_guest_unregister);

/* ---- the upcall ------------------------------------------------------------- */

/* UML's IRQ from the device's fd: dom0 raised evtchn_upcall_pending. */
static irqreturn_t pvio_uml_upcall_irq(int irq, void *data)
{
	struct pvio_domain *d = data;
	pvio_upcall_fn fn;

	d->upcalls++;
	rcu_read_lock();
	fn = READ_ONCE(d->upcall);
	if (fn)
		fn(d, 0);
	rcu_read_unlock();
	return IRQ_HANDLED;
}

/*
 * The upcall's backstop (not in Xen, whose vCPU kick cannot be lost):
 * dom0 raises the upcall only when evtchn_upcall_pending goes 0 -> 1, so
 * one SIGIO this kernel never acts on would leave the flag set and every
 * later event unannounced. Once a period, a flag found set at two ticks
 * in a row with no upcall in between is taken as such a loss: the upcall
 * runs from here (IRQs off, as from the SIGIO path) and the loss is
 * logged, so that a domU that stops can be told from one whose events
 * were lost. Timer (softirq) context.
 */
static void pvio_uml_backstop(struct timer_list *t)
{
	struct pvio_domain *d = from_timer(d, t, backstop);
	struct vcpu_info *vi = &d->shared_info->vcpu_info[0];
	unsigned long flags;
	bool pending;

	local_irq_save(flags);
	pending = READ_ONCE(vi->evtchn_upcall_pending);
	if (pending && d->pending_seen && d->upcalls == d->upcalls_seen &&
	    READ_ONCE(d->upcall)) {
		d->rescued++;
		pr_warn_ratelimited("domain %u: upcall pending for %u ms without an upcall (selector %#lx): run from the backstop (%lu so far)\n",
				    d->domid, jiffies_to_msecs(PVIO_UML_BACKSTOP),
				    READ_ONCE(vi->evtchn_pending_sel), d->rescued);
		pvio_uml_upcall_irq(d->irq, d);
		pending = READ_ONCE(vi->evtchn_upcall_pending);
	}
	d->pending_seen = pending;
	d->upcalls_seen = d->upcalls;
	local_irq_restore(flags);
	mod_timer(&d->backstop, jiffies + PVIO_UML_BACKSTOP);
}

/* ---- load and unload -------------------------------------------------------- */

static char *dev_path = PVIO_HV_DEVICE;
module_param(dev_path, charp, 0444);
MODULE_PARM_DESC(dev_path, "dom0's /dev/pvio-hv, as the host sees it");

static char *name;
module_param(name, charp, 0444);
MODULE_PARM_DESC(name, "the domain's name in dom0 (pvctl create --kernel uml gives it; default: the host name)");

static void pvio_uml_close(struct pvio_domain *d)
{
	timer_shutdown_sync(&d->backstop);
	if (d->rescued)
		pr_info("domain %u: %lu upcall(s) run from the backstop\n",
			d->domid, d->rescued);
	if (d->irq >= 0)
		um_free_irq(d->irq, d);
	d->irq = -1;
	/* Closing the file destroys the domain in dom0. */
	if (d->fd >= 0)
		os_close_file(d->fd);
	d->fd = -1;
	bitmap_free(d->pinned);
	d->pinned = NULL;
	/* dom0 has let go of the placed frames with the domain. */
	while (d->nr_placed)
		__free_page(d->placed[--d->nr_placed]);
}

static int __init pvio_uml_init(void)
{
	struct pvio_domain *d = &pvio_uml_dom;
	struct pvio_hv_create c = { .nr_vcpus = 1 };
	struct pvio_hv_memory m = {};
	unsigned long long off;
	struct page *si;
	xen_pfn_t gfn;
	long rc;

	spin_lock_init(&d->pin_lock);
	timer_setup(&d->backstop, pvio_uml_backstop, 0);
	d->fd = os_open_file(dev_path, of_read(of_write(OPENFLAGS())), 0);
	if (d->fd < 0) {
		pr_err("cannot open %s on the host: %d\n", dev_path, d->fd);
		return d->fd;
	}
	strscpy(c.name, name && *name ? name : init_utsname()->nodename,
		sizeof(c.name));
	rc = pvio_uml_ioctl(d, PVIO_HV_IOC_CREATE, &c);
	if (rc)
		goto fail;
	d->domid = c.domid;
	strscpy(d->name, c.name, sizeof(d->name));

	/* Frame n = page n of the physmem file: this kernel's memory. */
	d->mem_fd = phys_mapping(0, &off);
	d->nr_frames = PFN_DOWN(__pa(high_memory));
	d->pinned = bitmap_zalloc(DIV_ROUND_UP(d->nr_frames, PVIO_UML_PIN_CHUNK),
				  GFP_KERNEL);
	rc = -ENOMEM;
	if (!d->pinned)
		goto fail;
	m.fd = d->mem_fd;
	m.nr_frames = d->nr_frames;
	rc = pvio_uml_ioctl(d, PVIO_HV_IOC_SET_MEMORY, &m);
	if (rc)
		goto fail;

	/* shared_info: a page of ours, placed before any port exists. */
	rc = -ENOMEM;
	si = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!si)
		goto fail;
	gfn = pvio_page_to_gfn(d, si);
	rc = gfn == PVIO_GFN_INVALID ? -EINVAL :
	     pvio_uml_place(d, XENMAPSPACE_shared_info, 0, gfn);
	if (rc) {
		__free_page(si);
		goto fail;
	}
	d->shared_info = page_address(si);
	d->placed[d->nr_placed++] = si;

	rc = um_request_irq(UM_IRQ_ALLOC, d->fd, IRQ_READ, pvio_uml_upcall_irq,
			    0, "pvio-hv", d);
	if (rc < 0)
		goto fail;
	d->irq = rc;
	mod_timer(&d->backstop, jiffies + PVIO_UML_BACKSTOP);
	pr_info("domain %u (%s): %llu frames, shared_info at frame %lu, upcall on IRQ %d\n",
		d->domid, d->name, d->nr_frames, (unsigned long)gfn, d->irq);
	return 0;
fail:
	pr_err("cannot set the domain up: %ld\n", rc);
	pvio_uml_close(d);
	return rc;
}

static void __exit pvio_uml_exit(void)
{
	WARN_ON(!list_empty(&pvio_uml_guests));
	pvio_uml_close(&pvio_uml_dom);
}

module_init(pvio_uml_init);
module_exit(pvio_uml_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvio: the hypervisor interface of a User-Mode Linux domU (dom0's /dev/pvio-hv)");
