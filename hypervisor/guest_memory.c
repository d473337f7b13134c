// SPDX-License-Identifier: GPL-2.0
/*
 * pvio hypervisor: guest memory access and each domain's frame space.
 *
 * Every in-kernel domain lives in this kernel, so a domain's "guest
 * address" (a hypercall argument) is a kernel virtual address. Machine
 * frames are pfns (4 KiB pages: XEN_PAGE_SIZE == PAGE_SIZE on x86_64).
 *
 * Frame numbers are per domain, as Xen's guest frames are. Dom0 owns the
 * machine: its frame numbers are pfns. A domU owns only the pages it was
 * given a frame number for: pvio_page_to_gfn() hands out the next free
 * frame number of that domain (from 1) and counts references to it;
 * pvio_gfn_release() drops one. A frame whose last reference is dropped
 * stays the domain's, idle, so that granting the same page again (bio
 * and page cache pages recur) costs one lookup: up to gfn_cache_frames
 * (module parameter) idle frames per domain, the least recently released
 * leaving the domain's table first when there are more, and all of them
 * with the domain or pvio_gfn_cache_flush(). The hypervisor translates
 * every frame a domain names (grant entries, gmfn copy operands,
 * start_info) through that domain's table only: a frame it was not given
 * (another domain's, dom0's kernel, one that left its table) is refused
 * as Xen refuses a frame the domain does not own.
 *
 * A domain that is a process of dom0 (/dev/pvio-hv, hvdev.c) has the
 * other kind of memory: its guest addresses are addresses in that process
 * (copied with copy_from_user()/copy_to_user() from its own ioctl), and
 * its frame n is page n of its memory file, a frame only while pinned
 * (the ranges it registered): its p2m holds those pages.
 */

#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/list.h>
#include <linux/xarray.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/overflow.h>
#include <linux/build_bug.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include "internal.h"

static_assert(PAGE_SIZE == PVIO_PAGE_SIZE);

/* grant_entry_v1.frame is 32 bits wide. */
#define PVIO_HV_MAX_GFN		U32_MAX
/* References to one frame at most (a page granted that often is a bug). */
#define PVIO_HV_FRAME_MAX_REFS	((1U << 20) - 1)

/*
 * Idle frames kept per domain: 8192 (32 MiB of pages held allocated):
 * a disk's 4096 zero-copy grants in flight twice over.
 */
static unsigned int pvio_hv_gfn_cache = 8192;
module_param_named(gfn_cache_frames, pvio_hv_gfn_cache, uint, 0644);
MODULE_PARM_DESC(gfn_cache_frames,
		 "frames a domU keeps after their last reference, per domain (default 8192; 0: a frame leaves with its last reference)");

/* A domU's frame: m2p's value for its page's pfn. */
struct pvio_hv_frame {
	struct page *page;
	u32 gfn;
	u32 refs;		/* 0: on the domain's idle list */
	struct list_head idle;
};

void pvio_hv_p2m_init(struct pvio_domain *d)
{
	spin_lock_init(&d->p2m_lock);
	xa_init_flags(&d->p2m, XA_FLAGS_ALLOC1);
	xa_init(&d->m2p);
	INIT_LIST_HEAD(&d->gfn_idle);
	d->nr_gfn_idle = 0;
}

/* The domain is freed: nothing can name its frames any more. */
void pvio_hv_p2m_destroy(struct pvio_domain *d)
{
	struct pvio_hv_frame *f;
	struct page *page;
	unsigned long i;

	xa_for_each(&d->p2m, i, page)
		put_page(page);
	if (!d->fdom)
		xa_for_each(&d->m2p, i, f)
			kfree(f);
	xa_destroy(&d->p2m);
	xa_destroy(&d->m2p);
}

/*
 * Take idle frames out of @d's table (the least recently released first)
 * until at most @keep are idle; onto @out. Under p2m_lock.
 */
static void pvio_hv_gfn_trim(struct pvio_domain *d, unsigned int keep,
			     struct list_head *out)
{
	struct pvio_hv_frame *f;

	while (d->nr_gfn_idle > keep) {
		f = list_first_entry(&d->gfn_idle, struct pvio_hv_frame, idle);
		list_move_tail(&f->idle, out);
		d->nr_gfn_idle--;
		xa_erase(&d->m2p, page_to_pfn(f->page));
		xa_erase(&d->p2m, f->gfn);
	}
}

/* One reference of @gfn dropped; an unused frame goes idle. Under p2m_lock. */
static void pvio_hv_gfn_put(struct pvio_domain *d, xen_pfn_t gfn)
{
	struct pvio_hv_frame *f = NULL;
	struct page *page;

	page = xa_load(&d->p2m, gfn);
	if (page)
		f = xa_load(&d->m2p, page_to_pfn(page));
	if (f && f->refs && !--f->refs) {
		list_add_tail(&f->idle, &d->gfn_idle);
		d->nr_gfn_idle++;
	}
}

/* Drop the pages and frames pvio_hv_gfn_trim() took out. Any context. */
static void pvio_hv_gfn_free(struct list_head *out)
{
	struct pvio_hv_frame *f, *tmp;

	list_for_each_entry_safe(f, tmp, out, idle) {
		put_page(f->page);
		kfree(f);
	}
}

/* A guest buffer must be a kernel address range that does not wrap. */
static bool pvio_hv_guest_range_ok(unsigned long gaddr, size_t len)
{
	unsigned long end;

	if (!len)
		return true;
	if (gaddr < PAGE_OFFSET)	/* NULL, user addresses */
		return false;
	if (check_add_overflow(gaddr, (unsigned long)len - 1, &end))
		return false;
	return true;
}

/**
 * pvio_hv_copy_from_guest() - copy a hypercall argument in
 * @d: the calling domain (its memory model)
 * @dst: hypervisor buffer
 * @gaddr: guest address in @d's model
 * @len: bytes
 *
 * A domain that is a process: @gaddr is an address of that process,
 * read with copy_from_user() from its own hypercall ioctl.
 *
 * Context: any for a domain in this kernel; process context in the
 * domain's own process (it may fault pages in) for a process domain.
 * Return: 0 or -EFAULT for a NULL, user or wrapping address range (a
 * process domain: an address outside its memory, or another process).
 */
int pvio_hv_copy_from_guest(struct pvio_domain *d, void *dst,
			    unsigned long gaddr, size_t len)
{
	if (d->fdom) {
		if (current->mm != d->fdom->mm)
			return -EFAULT;
		return copy_from_user(dst, (const void __user *)gaddr, len) ?
			-EFAULT : 0;
	}
	if (!pvio_hv_guest_range_ok(gaddr, len))
		return -EFAULT;
	memcpy(dst, (const void *)gaddr, len);
	return 0;
}

/**
 * pvio_hv_copy_to_guest() - copy a hypercall result out
 * @d: the calling domain (its memory model)
 * @gaddr: guest address in @d's model
 * @src: hypervisor buffer
 * @len: bytes
 *
 * A domain that is a process: @gaddr is an address of that process,
 * written with copy_to_user() from its own hypercall ioctl.
 *
 * Context: as pvio_hv_copy_from_guest().
 * Return: 0 or -EFAULT, as pvio_hv_copy_from_guest().
 */
int pvio_hv_copy_to_guest(struct pvio_domain *d, unsigned long gaddr,
			  const void *src, size_t len)
{
	if (d->fdom) {
		if (current->mm != d->fdom->mm)
			return -EFAULT;
		return copy_to_user((void __user *)gaddr, src, len) ?
			-EFAULT : 0;
	}
	if (!pvio_hv_guest_range_ok(gaddr, len))
		return -EFAULT;
	memcpy((void *)gaddr, src, len);
	return 0;
}

/**
 * pvio_hv_gfn_to_mfn() - translate a domain's frame to a machine frame
 * @d: the domain owning the frame
 * @gfn: its frame number
 * @mfn: the machine frame, on success
 *
 * Through @d's own table: dom0's frames are pfns; a domU's are only those
 * it was given by pvio_page_to_gfn() and has not released; a process
 * domain's are the pinned pages of its memory file (frame 0 included).
 *
 * Context: any (the table is read under RCU).
 * Return: true if @d owns @gfn.
 */
bool pvio_hv_gfn_to_mfn(struct pvio_domain *d, xen_pfn_t gfn,
			unsigned long *mfn)
{
	struct page *page;

	if (d->privileged) {
		if (!pfn_valid(gfn))
			return false;
		*mfn = gfn;
		return true;
	}
	if (d->fdom) {
		page = gfn <= PVIO_HV_MAX_GFN ? xa_load(&d->p2m, gfn) : NULL;
		if (!page)
			return false;
		*mfn = page_to_pfn(page);
		return true;
	}
	if (!gfn || gfn > PVIO_HV_MAX_GFN)
		return false;
	page = xa_load(&d->p2m, gfn);
	if (!page)
		return false;
	*mfn = page_to_pfn(page);
	return true;
}

/* pvio_page_to_gfn() of a domU's page, under @d's p2m lock. */
static xen_pfn_t pvio_hv_gfn_get(struct pvio_domain *d, struct page *page)
{
	unsigned long pfn = page_to_pfn(page);
	struct pvio_hv_frame *f;
	u32 id;

	lockdep_assert_held(&d->p2m_lock);
	f = xa_load(&d->m2p, pfn);
	if (f) {
		if (!f->refs) {
			list_del(&f->idle);
			d->nr_gfn_idle--;
		}
		if (f->refs >= PVIO_HV_FRAME_MAX_REFS)
			return PVIO_GFN_INVALID;
		f->refs++;
		return f->gfn;
	}
	f = kmalloc(sizeof(*f), GFP_ATOMIC);
	if (!f)
		return PVIO_GFN_INVALID;
	if (xa_alloc(&d->p2m, &id, page, XA_LIMIT(1, PVIO_HV_MAX_GFN),
		     GFP_ATOMIC)) {
		kfree(f);
		return PVIO_GFN_INVALID;
	}
	f->page = page;
	f->gfn = id;
	f->refs = 1;
	if (xa_is_err(xa_store(&d->m2p, pfn, f, GFP_ATOMIC))) {
		xa_erase(&d->p2m, id);
		kfree(f);
		return PVIO_GFN_INVALID;
	}
	/* The page stays the domain's while it has a frame. */
	get_page(page);
	return id;
}

/**
 * pvio_page_to_gfn() - give one of a domain's pages a frame number
 * @d: the domain (the caller's own)
 * @page: a 4 KiB page it owns
 *
 * What a guest writes into a grant entry's frame or a gmfn copy operand,
 * as Linux's xen_page_to_gfn(). Dom0's frame numbers are pfns. A domU's
 * page gets a frame number of that domain the first time (from 1, at
 * most 32 bits wide, as grant_entry_v1.frame) and keeps it while it has
 * references: each call takes one, pvio_gfn_release() drops one (the
 * grant API does so when access to a grant ends). After the last one the
 * frame stays the domain's, idle, until gfn_cache_frames other frames
 * went idle after it (or pvio_gfn_cache_flush(), or the domain goes): a
 * page granted again meanwhile gets the same number back for one lookup
 * under @d's p2m lock, with no table insert. Only pages given a frame
 * number this way can be granted or copied by the domain: the hypervisor
 * refuses every other frame. The table holds a page reference while the
 * frame is in it, so a page freed by the guest with its frame still given
 * (referenced or idle) is not reused (as a Xen domain's page stays
 * allocated until it leaves the domain); the frames left at domain
 * destruction are dropped then.
 *
 * Context: any; does not sleep (GFP_ATOMIC).
 * Return: the frame number, or PVIO_GFN_INVALID (no memory for the table,
 * 2^20 - 1 references to one page, no frame number left, or @d is a
 * process domain, whose frames are its memory file's pages): every use
 * of it is refused.
 */
xen_pfn_t pvio_page_to_gfn(struct pvio_domain *d, struct page *page)
{
	unsigned long flags;
	xen_pfn_t gfn;

	if (d->privileged)
		return page_to_pfn(page);
	if (d->fdom)	/* its frames are its file's pages */
		return PVIO_GFN_INVALID;
	spin_lock_irqsave(&d->p2m_lock, flags);
	gfn = pvio_hv_gfn_get(d, page);
	spin_unlock_irqrestore(&d->p2m_lock, flags);
	return gfn;
}
EXPORT_SYMBOL_GPL(pvio_page_to_gfn);

/**
 * pvio_page_to_gfn_batch() - give several of a domain's pages frame numbers
 * @d: the domain (the caller's own)
 * @pages: @n pages of 4 KiB it owns
 * @n: how many (0 is allowed)
 * @gfns: the @n frame numbers, written in the order of @pages
 *
 * pvio_page_to_gfn() of each, under one hold of @d's p2m lock instead of
 * @n (a 1 MiB zero-copy request grants 256 pages at once): each frame is
 * one reference, which pvio_gfn_release() or pvio_gfn_release_batch()
 * drops (ending access to its grant does it).
 *
 * Context: any; does not sleep (GFP_ATOMIC).
 * Return: how many of @gfns are PVIO_GFN_INVALID (for the reasons
 * pvio_page_to_gfn() gives; each of those took no reference, the others
 * did): 0 when every page got its frame.
 */
unsigned int pvio_page_to_gfn_batch(struct pvio_domain *d,
				    struct page *const *pages, unsigned int n,
				    xen_pfn_t *gfns)
{
	unsigned int i, bad = 0;
	unsigned long flags;

	if (d->privileged || d->fdom) {
		for (i = 0; i < n; i++) {
			gfns[i] = pvio_page_to_gfn(d, pages[i]);
			bad += gfns[i] == PVIO_GFN_INVALID;
		}
		return bad;
	}
	spin_lock_irqsave(&d->p2m_lock, flags);
	for (i = 0; i < n; i++) {
		gfns[i] = pvio_hv_gfn_get(d, pages[i]);
		bad += gfns[i] == PVIO_GFN_INVALID;
	}
	spin_unlock_irqrestore(&d->p2m_lock, flags);
	return bad;
}
EXPORT_SYMBOL_GPL(pvio_page_to_gfn_batch);

/**
 * pvio_gfn_release() - drop a reference pvio_page_to_gfn() took
 * @d: the domain (the caller's own)
 * @gfn: a frame number of @d
 *
 * After the last reference the frame stays in @d's table, idle (the
 * hypervisor still accepts it, and the page stays allocated), until more
 * than gfn_cache_frames of @d's frames are idle: then the least recently
 * released leaves the table (and its page reference is dropped), is
 * refused from then on, and its number may be given to another page.
 * Dom0's frames, frames @d does not have and idle ones are ignored.
 *
 * Context: any; does not sleep.
 */
void pvio_gfn_release(struct pvio_domain *d, xen_pfn_t gfn)
{
	if (gfn && gfn <= PVIO_HV_MAX_GFN)
		pvio_gfn_release_batch(d, &gfn, 1);
}
EXPORT_SYMBOL_GPL(pvio_gfn_release);

/**
 * pvio_gfn_release_batch() - drop references pvio_page_to_gfn() took, at once
 * @d: the domain (the caller's own)
 * @gfns: @n frame numbers of @d, each one reference
 * @n: how many (0 is allowed)
 *
 * pvio_gfn_release() of each, under one hold of @d's p2m lock instead of
 * @n (a 1 MiB zero-copy request ends 256 grants at once), the excess
 * idle frames trimmed once at the end. Entries that are 0, beyond 32
 * bits, idle or not @d's are ignored, as pvio_gfn_release() ignores
 * them; nothing for dom0 or a process domain.
 *
 * Context: any; does not sleep.
 */
void pvio_gfn_release_batch(struct pvio_domain *d, const xen_pfn_t *gfns,
			    unsigned int n)
{
	unsigned long flags;
	unsigned int i;
	LIST_HEAD(out);

	if (d->privileged || d->fdom || !n)
		return;
	spin_lock_irqsave(&d->p2m_lock, flags);
	for (i = 0; i < n; i++)
		if (gfns[i] && gfns[i] <= PVIO_HV_MAX_GFN)
			pvio_hv_gfn_put(d, gfns[i]);
	pvio_hv_gfn_trim(d, READ_ONCE(pvio_hv_gfn_cache), &out);
	spin_unlock_irqrestore(&d->p2m_lock, flags);
	pvio_hv_gfn_free(&out);
}
EXPORT_SYMBOL_GPL(pvio_gfn_release_batch);

/**
 * pvio_gfn_cache_flush() - take a domain's idle frames out of its table
 * @d: the domain (the caller's own)
 *
 * Every frame of @d without references (kept by pvio_gfn_release()) leaves
 * @d's table and drops its page reference: the hypervisor refuses them
 * from then on, as a frame @d never had. Frames with references stay.
 * For a guest that frees memory it granted and wants it back now, and
 * for tests of the refusal. Dom0 and process domains have none.
 *
 * Context: any; does not sleep.
 * Return: the number of frames taken out.
 */
unsigned int pvio_gfn_cache_flush(struct pvio_domain *d)
{
	unsigned long flags;
	unsigned int n;
	LIST_HEAD(out);

	if (d->privileged || d->fdom)
		return 0;
	spin_lock_irqsave(&d->p2m_lock, flags);
	n = d->nr_gfn_idle;
	pvio_hv_gfn_trim(d, 0, &out);
	spin_unlock_irqrestore(&d->p2m_lock, flags);
	pvio_hv_gfn_free(&out);
	return n;
}
EXPORT_SYMBOL_GPL(pvio_gfn_cache_flush);

/**
 * pvio_gfn_to_page() - a domain's page from its frame number
 * @d: the domain (the caller's own)
 * @gfn: a frame number of @d, e.g. from GNTTABOP_setup_table
 *
 * Context: any.
 * Return: the page, or NULL if @d does not own @gfn.
 */
struct page *pvio_gfn_to_page(struct pvio_domain *d, xen_pfn_t gfn)
{
	unsigned long mfn;

	if (!pvio_hv_gfn_to_mfn(d, gfn, &mfn))
		return NULL;
	return pfn_to_page(mfn);
}
EXPORT_SYMBOL_GPL(pvio_gfn_to_page);

/**
 * pvio_machine_addr_to_page() - the page a grant map yields
 * @d: the mapping domain (the caller's own)
 * @dev_bus_addr: gnttab_map_grant_ref.dev_bus_addr of a successful map
 *		  (a machine address in bytes; the page offset is ignored)
 *
 * Context: any.
 * Return: the granted page (valid until the mapping is unmapped), or NULL
 * if the address is not a valid frame.
 */
struct page *pvio_machine_addr_to_page(const struct pvio_domain *d,
				       u64 dev_bus_addr)
{
	unsigned long pfn = dev_bus_addr >> PVIO_PAGE_SHIFT;

	if (!pfn_valid(pfn))
		return NULL;
	return pfn_to_page(pfn);
}
EXPORT_SYMBOL_GPL(pvio_machine_addr_to_page);
