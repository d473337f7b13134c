/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mapping a block ring's pages, shared by blkback's control path
 * (xenbus.c) and its KUnit suite (check_test.c).
 */
#ifndef PVIO_BLKBACK_RING_MAP_H
#define PVIO_BLKBACK_RING_MAP_H

#include <linux/errno.h>
#include <linux/mm_types.h>
#include <pvio/grant.h>
#include "check.h"

/**
 * pvio_blkback_map_ring_refs() - map every page of a ring, or none
 * @d: the backend's (mapping) domain
 * @otherend: the frontend's domid, the granting domain
 * @refs: the ring's @n grant refs as the frontend published them
 *	(hostile: any value)
 * @n: the ring's pages of 4 KiB (1 << ring-page-order), 1 to
 *	PVIO_BLKBACK_MAX_RING_PAGES
 * @pages: out: the @n mapped pages
 * @handles: out: their handles, for pvio_gnttab_unmap_refs()
 * @bad: out, when a ref is refused: the index in @refs of the first one
 * @status: out, likewise: that op's GNTST_* status
 *
 * All @n refs go to the hypervisor in one GNTTABOP_map_grant_ref batch,
 * read-write, each checked by the frontend's frame-space rules. If any
 * op fails, those that succeeded are unmapped again before the return,
 * so a ring-ref that does not map leaves no map of the frontend's pages
 * behind and the device can be torn down or connected again cleanly
 * (xen-blkback's xen_blkif_map() gets the same from
 * xenbus_map_ring_valloc(), which unmaps a partial ring itself).
 *
 * Context: process context.
 * Return: 0 with @pages and @handles set; -EINVAL if @n is out of range
 * or a ref was refused (@bad and @status name it; @pages and @handles
 * untouched);
 * the hypercall's own error otherwise (nothing stays mapped either).
 */
static inline int pvio_blkback_map_ring_refs(struct pvio_domain *d,
					     domid_t otherend,
					     const grant_ref_t *refs,
					     unsigned int n,
					     struct page **pages,
					     grant_handle_t *handles,
					     unsigned int *bad, s16 *status)
{
	struct gnttab_map_grant_ref map[PVIO_BLKBACK_MAX_RING_PAGES];
	struct gnttab_unmap_grant_ref unmap[PVIO_BLKBACK_MAX_RING_PAGES];
	struct page *got[PVIO_BLKBACK_MAX_RING_PAGES];
	unsigned int i, nu = 0;
	int err;

	if (!n || n > PVIO_BLKBACK_MAX_RING_PAGES)
		return -EINVAL;
	for (i = 0; i < n; i++)
		pvio_gnttab_set_map_op(&map[i], 0, refs[i], otherend);
	err = pvio_gnttab_map_refs(d, map, got, n);
	if (!err) {
		for (i = 0; i < n; i++) {
			pages[i] = got[i];
			handles[i] = map[i].handle;
		}
		return 0;
	}
	*bad = n;
	for (i = 0; i < n; i++) {
		if (map[i].status == GNTST_okay) {
			pvio_gnttab_set_unmap_op(&unmap[nu++], map[i].handle);
		} else if (*bad == n) {
			*bad = i;
			*status = map[i].status;
		}
	}
	if (nu)
		pvio_gnttab_unmap_refs(d, unmap, NULL, nu);
	return err == -EIO ? -EINVAL : err;
}

#endif /* PVIO_BLKBACK_RING_MAP_H */
