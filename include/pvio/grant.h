/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio-grant.ko: the guest-side grant table API of every domain, in the
 * spirit of Linux's drivers/xen/grant-table.c (v1 only) but per domain:
 * every function takes the caller's own domain handle.
 */
#ifndef PVIO_GRANT_H
#define PVIO_GRANT_H

#include <linux/types.h>
#include <pvio/hypervisor.h>

#define PVIO_GNTTAB_LIST_END		0xffffffffU
#define PVIO_GRANT_INVALID_HANDLE	((grant_handle_t)~0U)

/* Granting */
int pvio_gnttab_grant_foreign_access(struct pvio_domain *d, domid_t domid,
				     xen_pfn_t gfn, bool readonly);
void pvio_gnttab_grant_foreign_access_ref(struct pvio_domain *d,
					  grant_ref_t ref, domid_t domid,
					  xen_pfn_t gfn, bool readonly);
bool pvio_gnttab_end_foreign_access_ref(struct pvio_domain *d,
					grant_ref_t ref);
unsigned int pvio_gnttab_end_foreign_access_refs(struct pvio_domain *d,
						 const grant_ref_t *refs,
						 unsigned int n, bool *ended);
void pvio_gnttab_end_foreign_access(struct pvio_domain *d, grant_ref_t ref,
				    struct page *page);
bool pvio_gnttab_query_foreign_access(struct pvio_domain *d,
				      grant_ref_t ref);
unsigned int pvio_gnttab_deferred_count(struct pvio_domain *d);

/* Reference allocation */
int pvio_gnttab_alloc_grant_references(struct pvio_domain *d, u16 count,
				       grant_ref_t *head);
int pvio_gnttab_claim_grant_reference(struct pvio_domain *d,
				      grant_ref_t *head);
void pvio_gnttab_release_grant_reference(struct pvio_domain *d,
					 grant_ref_t *head, grant_ref_t ref);
void pvio_gnttab_free_grant_reference(struct pvio_domain *d, grant_ref_t ref);
void pvio_gnttab_free_grant_references(struct pvio_domain *d,
				       grant_ref_t head);
static inline bool pvio_gnttab_empty_grant_references(const grant_ref_t *head)
{
	return *head == PVIO_GNTTAB_LIST_END;
}

unsigned int pvio_gnttab_free_count(struct pvio_domain *d);

/* Mapping and copying (the peer side) */
static inline void pvio_gnttab_set_map_op(struct gnttab_map_grant_ref *op,
					  u32 flags, grant_ref_t ref,
					  domid_t domid)
{
	op->host_addr = 0;
	op->flags = flags | GNTMAP_host_map;
	op->ref = ref;
	op->dom = domid;
	op->status = GNTST_general_error;
	op->handle = PVIO_GRANT_INVALID_HANDLE;
	op->dev_bus_addr = 0;
}

static inline void pvio_gnttab_set_unmap_op(struct gnttab_unmap_grant_ref *op,
					    grant_handle_t handle)
{
	op->host_addr = 0;
	op->dev_bus_addr = 0;
	op->handle = handle;
	op->status = GNTST_general_error;
}

struct page *pvio_gnttab_map_op_page(struct pvio_domain *d,
				     const struct gnttab_map_grant_ref *op);
int pvio_gnttab_map_refs(struct pvio_domain *d,
			 struct gnttab_map_grant_ref *ops,
			 struct page **pages, unsigned int count);
int pvio_gnttab_unmap_refs(struct pvio_domain *d,
			   struct gnttab_unmap_grant_ref *ops,
			   struct page **pages, unsigned int count);

/* The most pages of one ring: Linux's XENBUS_MAX_RING_GRANTS. */
#define PVIO_GNTTAB_MAX_RING_REFS	16
int pvio_gnttab_map_ring_refs(struct pvio_domain *d, domid_t otherend,
			      const grant_ref_t *refs, unsigned int n,
			      struct page **pages, grant_handle_t *handles,
			      unsigned int *bad, s16 *status);
int pvio_gnttab_unmap_ring_refs(struct pvio_domain *d,
				const grant_handle_t *handles,
				struct page **pages, unsigned int n);
int pvio_gnttab_batch_copy(struct pvio_domain *d, struct gnttab_copy *ops,
			   unsigned int count);
int pvio_gnttab_batch_mixed(struct pvio_domain *d,
			    struct gnttab_map_grant_ref *map,
			    unsigned int nr_map,
			    struct gnttab_copy *copy, unsigned int nr_copy,
			    struct gnttab_unmap_grant_ref *unmap,
			    unsigned int nr_unmap);

#endif /* PVIO_GRANT_H */
