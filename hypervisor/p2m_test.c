// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvio_hv_p2m: each domain's own frame space. A domU may name
 * in a grant entry, a gmfn copy operand or its start_info only the frames
 * it was given (pvio_page_to_gfn()) and that is still in its table
 * (referenced, or idle after its last release until evicted or flushed);
 * a frame of dom0's kernel, of another domain, a flushed one or one
 * never given is refused as Xen refuses a frame the domain does not own (GNTST_bad_page,
 * -EINVAL), and the refusal changes nothing.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <pvio/hypervisor.h>
#include "hv_test.h"

#define REF0		100	/* well clear of the reserved entries */

static struct page *p2m_page(struct kunit *test, u8 fill)
{
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	memset(page_address(page), fill, PAGE_SIZE);
	return page;
}

/*
 * a grants @gfn to b at REF0; b maps it: the status, unmapped again; the
 * page b got in *@mapped if not NULL.
 */
static s16 p2m_grant_map_page(struct kunit *test, xen_pfn_t gfn,
			      struct page **mapped)
{
	struct pvio_test_doms *t = test->priv;
	struct grant_entry_v1 *e = pvio_test_entry(test, t->a, 1, REF0);
	struct page *page = NULL;
	grant_handle_t h = 0;
	u64 bus = 0;
	s16 st;

	KUNIT_ASSERT_NOT_NULL(test, e);
	pvio_test_grant(e, t->b_id, gfn, GTF_permit_access);
	st = pvio_test_map1(t->b, t->a_id, REF0, false, &h, &bus);
	if (st == GNTST_okay)
		page = pvio_machine_addr_to_page(t->b, bus);
	if (mapped)
		*mapped = page;
	if (st == GNTST_okay)
		KUNIT_EXPECT_EQ(test, pvio_test_unmap1(t->b, h), GNTST_okay);
	else	/* a refused map leaves the entry as it was */
		KUNIT_EXPECT_EQ(test, READ_ONCE(e->flags), GTF_permit_access);
	KUNIT_EXPECT_TRUE(test, pvio_test_end_access(e));
	return st;
}

static s16 p2m_grant_and_map(struct kunit *test, xen_pfn_t gfn)
{
	return p2m_grant_map_page(test, gfn, NULL);
}

/* A frame the domain was given maps; the numbers are the domain's own. */
static void p2m_owned_frame_maps(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *page = p2m_page(test, 0x11);
	xen_pfn_t gfn = pvio_page_to_gfn(t->a, page);

	KUNIT_EXPECT_NE(test, gfn, PVIO_GFN_INVALID);
	/* A domU's frame numbers are not machine frames. */
	KUNIT_EXPECT_NE(test, gfn, (xen_pfn_t)page_to_pfn(page));
	KUNIT_EXPECT_PTR_EQ(test, pvio_gfn_to_page(t->a, gfn), page);
	/* The same page keeps its number while referenced. */
	KUNIT_EXPECT_EQ(test, pvio_page_to_gfn(t->a, page), gfn);
	KUNIT_EXPECT_EQ(test, p2m_grant_and_map(test, gfn), GNTST_okay);
	pvio_gfn_release(t->a, gfn);
	KUNIT_EXPECT_PTR_EQ(test, pvio_gfn_to_page(t->a, gfn), page);
	pvio_gfn_release(t->a, gfn);
	KUNIT_EXPECT_EQ(test, pvio_gfn_cache_flush(t->a), 1U);
	__free_page(page);
}

/*
 * After its last release a frame stays the domain's, idle: the same page
 * gets the same number back, it still maps, the table keeps the page;
 * flushed, it is refused and the page is the guest's alone again.
 */
static void p2m_idle_frame_kept(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *page = p2m_page(test, 0x66);
	xen_pfn_t gfn = pvio_page_to_gfn(t->a, page);

	KUNIT_ASSERT_NE(test, gfn, PVIO_GFN_INVALID);
	pvio_gfn_release(t->a, gfn);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 2);
	KUNIT_EXPECT_PTR_EQ(test, pvio_gfn_to_page(t->a, gfn), page);
	KUNIT_EXPECT_EQ(test, p2m_grant_and_map(test, gfn), GNTST_okay);
	/* An idle frame's extra release changes nothing. */
	pvio_gfn_release(t->a, gfn);
	KUNIT_EXPECT_EQ(test, pvio_page_to_gfn(t->a, page), gfn);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 2);
	/* Referenced frames are not flushed. */
	KUNIT_EXPECT_EQ(test, pvio_gfn_cache_flush(t->a), 0U);
	KUNIT_EXPECT_PTR_EQ(test, pvio_gfn_to_page(t->a, gfn), page);
	pvio_gfn_release(t->a, gfn);
	KUNIT_EXPECT_EQ(test, pvio_gfn_cache_flush(t->a), 1U);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);
	KUNIT_EXPECT_NULL(test, pvio_gfn_to_page(t->a, gfn));
	KUNIT_EXPECT_EQ(test, p2m_grant_and_map(test, gfn), GNTST_bad_page);
	__free_page(page);
}

/* Dom0's kernel: its pfns are not frames of a domU. */
static void p2m_dom0_frame_refused(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *zero = ZERO_PAGE(0);
	struct page *mine = p2m_page(test, 0);
	xen_pfn_t kernel_pfn = page_to_pfn(zero);

	/* The identity of a page the domU never got, and dom0's data. */
	KUNIT_EXPECT_EQ(test, p2m_grant_and_map(test, page_to_pfn(mine)),
			GNTST_bad_page);
	KUNIT_EXPECT_EQ(test, p2m_grant_and_map(test, kernel_pfn),
			GNTST_bad_page);
	KUNIT_EXPECT_NULL(test, pvio_gfn_to_page(t->a, kernel_pfn));
	/* Dom0 owns the machine: its frames are pfns. */
	KUNIT_EXPECT_EQ(test, pvio_page_to_gfn(pvio_dom0(), zero),
			(xen_pfn_t)page_to_pfn(zero));
	__free_page(mine);
}

/* Another domain's frame, a released one, one never given. */
static void p2m_foreign_and_released_refused(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *bp = p2m_page(test, 0x22), *ap = p2m_page(test, 0x33);
	xen_pfn_t bgfn = pvio_page_to_gfn(t->b, bp);
	xen_pfn_t agfn = pvio_page_to_gfn(t->a, ap);
	xen_pfn_t never = max(agfn, bgfn) + 1000;
	struct page *got = NULL;
	s16 st;

	KUNIT_ASSERT_NE(test, bgfn, PVIO_GFN_INVALID);
	KUNIT_ASSERT_NE(test, agfn, PVIO_GFN_INVALID);
	/*
	 * b's frame number, written by a, names a's frame of that number if
	 * a has one, never b's page; b's machine frame is not a's either.
	 */
	st = p2m_grant_map_page(test, bgfn, &got);
	if (st == GNTST_okay)
		KUNIT_EXPECT_PTR_EQ(test, got, pvio_gfn_to_page(t->a, bgfn));
	else
		KUNIT_EXPECT_EQ(test, st, GNTST_bad_page);
	KUNIT_EXPECT_PTR_NE(test, got, bp);
	KUNIT_EXPECT_EQ(test, p2m_grant_and_map(test, page_to_pfn(bp)),
			GNTST_bad_page);
	KUNIT_EXPECT_NULL(test, pvio_gfn_to_page(t->a, never));
	KUNIT_EXPECT_EQ(test, p2m_grant_and_map(test, never), GNTST_bad_page);
	KUNIT_EXPECT_EQ(test, p2m_grant_and_map(test, 0), GNTST_bad_page);

	KUNIT_EXPECT_EQ(test, p2m_grant_and_map(test, agfn), GNTST_okay);
	pvio_gfn_release(t->a, agfn);
	KUNIT_EXPECT_EQ(test, pvio_gfn_cache_flush(t->a), 1U);
	KUNIT_EXPECT_NULL(test, pvio_gfn_to_page(t->a, agfn));
	KUNIT_EXPECT_EQ(test, p2m_grant_and_map(test, agfn), GNTST_bad_page);
	/* Releasing what a domain does not have changes nothing. */
	pvio_gfn_release(t->a, never);
	pvio_gfn_release(t->b, bgfn);
	pvio_gfn_cache_flush(t->b);
	__free_page(ap);
	__free_page(bp);
}

/* GNTTABOP_copy: a gmfn operand must be the caller's own frame. */
static void p2m_copy_gmfn_refused(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *src = p2m_page(test, 0x44), *dst = p2m_page(test, 0);
	struct grant_entry_v1 *e = pvio_test_entry(test, t->a, 1, REF0);
	xen_pfn_t sgfn = pvio_page_to_gfn(t->a, src);
	struct gnttab_copy op = {};

	KUNIT_ASSERT_NOT_NULL(test, e);
	pvio_test_grant(e, t->b_id, sgfn, GTF_permit_access);
	op.source.u.ref = REF0;
	op.source.domid = t->a_id;
	op.dest.domid = DOMID_SELF;
	op.len = 64;
	op.flags = GNTCOPY_source_gref;

	/* Into b's page that b was never given a frame for. */
	op.dest.u.gmfn = page_to_pfn(dst);
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->b, GNTTABOP_copy, &op, 1),
			0);
	KUNIT_EXPECT_EQ(test, op.status, GNTST_bad_page);
	KUNIT_EXPECT_EQ(test, *(u8 *)page_address(dst), 0);

	/* Given: the copy goes through. */
	op.dest.u.gmfn = pvio_page_to_gfn(t->b, dst);
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->b, GNTTABOP_copy, &op, 1),
			0);
	KUNIT_EXPECT_EQ(test, op.status, GNTST_okay);
	KUNIT_EXPECT_EQ(test, *(u8 *)page_address(dst), 0x44);
	pvio_gfn_release(t->b, op.dest.u.gmfn);
	KUNIT_EXPECT_TRUE(test, pvio_test_end_access(e));
	pvio_gfn_release(t->a, sgfn);
	__free_page(src);
	__free_page(dst);
}

/* start_info's store frame is the domain's too. */
static void p2m_start_info_refused(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *page = p2m_page(test, 0);
	xen_pfn_t gfn, got;
	evtchn_port_t port;

	KUNIT_EXPECT_EQ(test, pvio_domain_set_store(t->a, page_to_pfn(page), 5),
			-EINVAL);
	gfn = pvio_page_to_gfn(t->a, page);
	KUNIT_EXPECT_EQ(test, pvio_domain_set_store(t->a, gfn, 5), 0);
	KUNIT_EXPECT_EQ(test, pvio_domain_get_store(t->a, &got, &port), 0);
	KUNIT_EXPECT_EQ(test, got, gfn);
	KUNIT_EXPECT_EQ(test, pvio_domain_set_store(t->a, 0, 0), 0);
	pvio_gfn_release(t->a, gfn);
	__free_page(page);
}

/*
 * A page freed by the guest while its frame is still given stays
 * allocated (the table holds a reference) until the frame is released.
 */
static void p2m_page_held_while_given(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *page = p2m_page(test, 0x55);
	xen_pfn_t gfn = pvio_page_to_gfn(t->a, page);

	KUNIT_ASSERT_NE(test, gfn, PVIO_GFN_INVALID);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 2);
	__free_page(page);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);
	KUNIT_EXPECT_EQ(test, p2m_grant_and_map(test, gfn), GNTST_okay);
	KUNIT_EXPECT_EQ(test, *(u8 *)page_address(page), 0x55);
	pvio_gfn_release(t->a, gfn);	/* idle: still held */
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);
	KUNIT_EXPECT_EQ(test, pvio_gfn_cache_flush(t->a), 1U); /* freed here */
}

/*
 * pvio_page_to_gfn_batch() gives each page what pvio_page_to_gfn() would:
 * a page twice in one batch keeps one number with two references, a
 * page already given keeps its number, and every frame maps; the batch
 * release drops them all (flushed: refused again).
 */
static void p2m_batch_frames(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *p[4];
	xen_pfn_t gfn[4], old;
	unsigned int i;

	for (i = 0; i < 3; i++)
		p[i] = p2m_page(test, 0x70 + i);
	p[3] = p[1];
	old = pvio_page_to_gfn(t->a, p[2]);
	KUNIT_ASSERT_NE(test, old, PVIO_GFN_INVALID);
	KUNIT_EXPECT_EQ(test, pvio_page_to_gfn_batch(t->a, p, 4, gfn), 0U);
	KUNIT_EXPECT_EQ(test, gfn[2], old);
	KUNIT_EXPECT_EQ(test, gfn[3], gfn[1]);
	KUNIT_EXPECT_NE(test, gfn[0], gfn[1]);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_NE(test, gfn[i], PVIO_GFN_INVALID);
		KUNIT_EXPECT_PTR_EQ(test, pvio_gfn_to_page(t->a, gfn[i]), p[i]);
		KUNIT_EXPECT_EQ(test, p2m_grant_and_map(test, gfn[i]),
				GNTST_okay);
	}
	/* Dom0's frames are its pfns, batched too. */
	KUNIT_EXPECT_EQ(test, pvio_page_to_gfn_batch(pvio_dom0(), p, 1, &old),
			0U);
	KUNIT_EXPECT_EQ(test, old, (xen_pfn_t)page_to_pfn(p[0]));
	/* Still referenced (p[1] twice, p[2] twice): nothing to flush. */
	pvio_gfn_release_batch(t->a, gfn, 3);
	KUNIT_EXPECT_EQ(test, pvio_gfn_cache_flush(t->a), 1U);
	KUNIT_EXPECT_EQ(test, p2m_grant_and_map(test, gfn[0]), GNTST_bad_page);
	pvio_gfn_release(t->a, gfn[3]);
	pvio_gfn_release(t->a, gfn[2]);
	KUNIT_EXPECT_EQ(test, pvio_gfn_cache_flush(t->a), 2U);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_NULL(test, pvio_gfn_to_page(t->a, gfn[i]));
		__free_page(p[i]);
	}
}

static struct kunit_case pvio_hv_p2m_cases[] = {
	KUNIT_CASE(p2m_owned_frame_maps),
	KUNIT_CASE(p2m_idle_frame_kept),
	KUNIT_CASE(p2m_dom0_frame_refused),
	KUNIT_CASE(p2m_foreign_and_released_refused),
	KUNIT_CASE(p2m_copy_gmfn_refused),
	KUNIT_CASE(p2m_start_info_refused),
	KUNIT_CASE(p2m_page_held_while_given),
	KUNIT_CASE(p2m_batch_frames),
	{}
};

static struct kunit_suite pvio_hv_p2m_suite = {
	.name = "pvio_hv_p2m",
	.init = pvio_test_doms_init,
	.exit = pvio_test_doms_exit,
	.test_cases = pvio_hv_p2m_cases,
};

kunit_test_suite(pvio_hv_p2m_suite);
