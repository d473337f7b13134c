/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the KUnit suites of pvio-hypervisor-test.ko. They use
 * only the exported API (include/pvio/hypervisor.h): each test is a guest
 * of its own domUs.
 */
#ifndef PVIO_HV_TEST_H
#define PVIO_HV_TEST_H

#include <kunit/test.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/cpumask.h>
#include <pvio/hypervisor.h>
#include <pvio/kunit_pair.h>

#define PVIO_TEST_PER_FRAME	512
/* A domid no domain has (beyond PVIO_MAX_DOMID, not DOMID_SELF). */
#define NO_DOMID		1000
/* Xen's public/errno.h value for an unknown hypercall (Linux's too) */
#define XEN_ENOSYS		38

struct pvio_test_doms {
	struct pvio_domain *a;		/* granter */
	struct pvio_domain *b;		/* mapper */
	domid_t a_id;
	domid_t b_id;
	bool a_gone;			/* destroyed by the test itself */
	bool b_gone;
};

/* Counters are big: keep them off the stack. */
static inline struct pvio_domain_stats *pvio_test_stats(struct kunit *test)
{
	struct pvio_domain_stats *st = kunit_kzalloc(test, sizeof(*st),
						     GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, st);
	return st;
}

static inline int pvio_test_doms_init(struct kunit *test)
{
	struct pvio_test_doms *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_EQ(test, pvio_test_create_pair(test, false, "kunit-a", 1,
						    "kunit-b", 2, &t->a, &t->b),
			0);
	t->a_id = pvio_domain_id(t->a);
	t->b_id = pvio_domain_id(t->b);
	test->priv = t;
	return 0;
}

static inline void pvio_test_doms_exit(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;

	if (!t)
		return;
	if (!t->b_gone)
		KUNIT_EXPECT_EQ(test, pvio_domain_destroy(t->b_id), 0);
	if (!t->a_gone)
		KUNIT_EXPECT_EQ(test, pvio_domain_destroy(t->a_id), 0);
}

/*
 * Grow @d's table to @nr frames (as the domain itself) and return the
 * kernel address of its entry @ref, or NULL.
 */
static inline struct grant_entry_v1 *
pvio_test_entry(struct kunit *test, struct pvio_domain *d, unsigned int nr,
		grant_ref_t ref)
{
	struct gnttab_setup_table setup = { .dom = DOMID_SELF, .nr_frames = nr };
	xen_pfn_t *gfns;
	struct page *page;

	gfns = kunit_kcalloc(test, nr, sizeof(*gfns), GFP_KERNEL);
	if (!gfns || ref / PVIO_TEST_PER_FRAME >= nr)
		return NULL;
	set_xen_guest_handle(setup.frame_list, gfns);
	if (pvio_grant_table_op(d, GNTTABOP_setup_table, &setup, 1) ||
	    setup.status != GNTST_okay)
		return NULL;
	page = pvio_gfn_to_page(d, gfns[ref / PVIO_TEST_PER_FRAME]);
	if (!page)
		return NULL;
	return (struct grant_entry_v1 *)page_address(page) +
	       ref % PVIO_TEST_PER_FRAME;
}

/* The granter's side of Linux's v1 protocol. */
static inline void pvio_test_grant(struct grant_entry_v1 *e, domid_t domid,
				   xen_pfn_t gfn, u16 flags)
{
	WRITE_ONCE(e->domid, domid);
	WRITE_ONCE(e->frame, gfn);
	/* domid and frame before the flags, as Linux */
	wmb();
	WRITE_ONCE(e->flags, flags);
}

/* gnttab_end_foreign_access_ref_v1() */
static inline bool pvio_test_end_access(struct grant_entry_v1 *e)
{
	u16 flags = READ_ONCE(e->flags);

	do {
		if (flags & (GTF_reading | GTF_writing))
			return false;
	} while (!try_cmpxchg(&e->flags, &flags, 0));
	return true;
}

static inline void pvio_test_map_op(struct gnttab_map_grant_ref *op,
				    domid_t dom, grant_ref_t ref, bool ro)
{
	memset(op, 0, sizeof(*op));
	op->flags = GNTMAP_host_map | (ro ? GNTMAP_readonly : 0);
	op->ref = ref;
	op->dom = dom;
	op->status = 1;		/* not a GNTST_* value: must be overwritten */
}

static inline void pvio_test_unmap_op(struct gnttab_unmap_grant_ref *op,
				      grant_handle_t handle)
{
	memset(op, 0, sizeof(*op));
	op->handle = handle;
	op->status = 1;
}

/*
 * One map of (@dom, @ref) by @d: the op's status (99: the hypercall
 * failed); the handle and dev_bus_addr if asked for.
 */
static inline s16 pvio_test_map1(struct pvio_domain *d, domid_t dom,
				 grant_ref_t ref, bool ro,
				 grant_handle_t *handle, u64 *bus)
{
	struct gnttab_map_grant_ref op;

	pvio_test_map_op(&op, dom, ref, ro);
	if (pvio_grant_table_op(d, GNTTABOP_map_grant_ref, &op, 1))
		return 99;
	if (handle)
		*handle = op.handle;
	if (bus)
		*bus = op.dev_bus_addr;
	return op.status;
}

static inline s16 pvio_test_unmap1(struct pvio_domain *d,
				   grant_handle_t handle)
{
	struct gnttab_unmap_grant_ref op;

	pvio_test_unmap_op(&op, handle);
	if (pvio_grant_table_op(d, GNTTABOP_unmap_grant_ref, &op, 1))
		return 99;
	return op.status;
}

#endif /* PVIO_HV_TEST_H */
