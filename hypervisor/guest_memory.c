// SPDX-License-Identifier: GPL-2.0
/*
 * pvio hypervisor: the memory model.
 *
 * Every domain lives in this kernel, so a domain's "guest address" is a
 * kernel virtual address and its "guest frame" of a page is the page's
 * pfn (4 KiB pages: XEN_PAGE_SIZE == PAGE_SIZE on x86_64). Machine frames
 * are pfns as well. All translation goes through these helpers so that a
 * different model (per-domain p2m) only has to change this file.
 */

#include <linux/mm.h>
#include <linux/string.h>
#include <linux/overflow.h>
#include <linux/build_bug.h>
#include "internal.h"

static_assert(PAGE_SIZE == PVIO_PAGE_SIZE);

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
 * Context: any.
 * Return: 0 or -EFAULT for a NULL, user or wrapping address range.
 */
int pvio_hv_copy_from_guest(struct pvio_domain *d, void *dst,
			    unsigned long gaddr, size_t len)
{
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
 * Context: any.
 * Return: 0 or -EFAULT for a NULL, user or wrapping address range.
 */
int pvio_hv_copy_to_guest(struct pvio_domain *d, unsigned long gaddr,
			  const void *src, size_t len)
{
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
 * Context: any.
 * Return: true if @gfn names a valid page frame.
 */
bool pvio_hv_gfn_to_mfn(const struct pvio_domain *d, xen_pfn_t gfn,
			unsigned long *mfn)
{
	if (!pfn_valid(gfn))
		return false;
	*mfn = gfn;
	return true;
}

/**
 * pvio_page_to_gfn() - the frame number a domain uses for one of its pages
 * @d: the domain (the caller's own)
 * @page: a 4 KiB page it owns
 *
 * What a guest writes into a grant entry's frame or a gmfn copy operand,
 * like Linux's xen_page_to_gfn().
 *
 * Context: any.
 * Return: the frame number.
 */
xen_pfn_t pvio_page_to_gfn(const struct pvio_domain *d, struct page *page)
{
	return page_to_pfn(page);
}
EXPORT_SYMBOL_GPL(pvio_page_to_gfn);

/**
 * pvio_gfn_to_page() - a domain's page from its frame number
 * @d: the domain (the caller's own)
 * @gfn: a frame number in @d's model, e.g. from GNTTABOP_setup_table
 *
 * Context: any.
 * Return: the page, or NULL if @gfn is not a valid frame.
 */
struct page *pvio_gfn_to_page(const struct pvio_domain *d, xen_pfn_t gfn)
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
