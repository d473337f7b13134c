// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvio_hv_grant_table: v1 grant tables through the hypercall API,
 * as two domUs see them (a grants, b maps and copies).
 */

#include <kunit/test.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/string.h>
#include <linux/bottom_half.h>
#include <linux/kthread.h>
#include "hv_test.h"

#define REF0		100	/* test refs: well clear of reserved 0..7 */
#define BAD_PFN		BIT(40)		/* a gmfn (64-bit) that is no page */
#define BAD_FRAME	0xfffffff0U	/* a v1 entry frame (32-bit) likewise */

static struct page *alloc_test_page(struct kunit *test, u8 fill)
{
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	memset(page_address(page), fill, PAGE_SIZE);
	return page;
}

static void gt_setup_table_growth(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct gnttab_query_size qs = { .dom = DOMID_SELF };
	struct gnttab_setup_table st = { .dom = DOMID_SELF };
	xen_pfn_t before[4], after[8];
	unsigned int i;

	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_query_size,
						  &qs, 1), 0);
	KUNIT_EXPECT_EQ(test, qs.status, GNTST_okay);
	KUNIT_EXPECT_EQ(test, qs.nr_frames, 4U);
	KUNIT_EXPECT_EQ(test, qs.max_nr_frames, 64U);

	st.nr_frames = 4;
	set_xen_guest_handle(st.frame_list, before);
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_setup_table,
						  &st, 1), 0);
	KUNIT_EXPECT_EQ(test, st.status, GNTST_okay);

	st.nr_frames = 8;
	set_xen_guest_handle(st.frame_list, after);
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_setup_table,
						  &st, 1), 0);
	KUNIT_EXPECT_EQ(test, st.status, GNTST_okay);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, before[i], after[i]);
	for (i = 0; i < 8; i++) {
		struct page *p = pvio_gfn_to_page(t->a, after[i]);

		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_TRUE(test, !memchr_inv(page_address(p), 0,
						    PAGE_SIZE));
	}
	qs.status = 1;
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_query_size,
						  &qs, 1), 0);
	KUNIT_EXPECT_EQ(test, qs.nr_frames, 8U);

	/* Beyond the maximum: general_error, the table is unchanged. */
	st.nr_frames = 65;
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_setup_table,
						  &st, 1), 0);
	KUNIT_EXPECT_EQ(test, st.status, GNTST_general_error);

	/* A domU cannot set up another domU's table; dom0 can query it. */
	st.nr_frames = 1;
	st.dom = t->b_id;
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_setup_table,
						  &st, 1), 0);
	KUNIT_EXPECT_EQ(test, st.status, GNTST_permission_denied);
	qs.dom = t->a_id;
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(pvio_dom0(),
						  GNTTABOP_query_size, &qs, 1),
			0);
	KUNIT_EXPECT_EQ(test, qs.status, GNTST_okay);
	KUNIT_EXPECT_EQ(test, qs.nr_frames, 8U);

	/* A ref in the grown part is valid now. */
	KUNIT_EXPECT_NOT_NULL(test, pvio_test_entry(test, t->a, 8, 8 * 512 - 1));
}

static void gt_map_unmap_pins(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *page = alloc_test_page(test, 0x5a);
	struct grant_entry_v1 *e = pvio_test_entry(test, t->a, 4, REF0);
	struct pvio_domain_stats *st0 = pvio_test_stats(test);
	struct pvio_domain_stats *st = pvio_test_stats(test);
	grant_handle_t h1, h2;
	u64 bus1, bus2;

	KUNIT_ASSERT_NOT_NULL(test, e);
	pvio_domain_get_stats(t->b, st0);
	pvio_test_grant(e, t->b_id, pvio_page_to_gfn(t->a, page),
			GTF_permit_access);

	KUNIT_ASSERT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, false, &h1, &bus1),
			GNTST_okay);
	KUNIT_EXPECT_PTR_EQ(test, pvio_machine_addr_to_page(t->b, bus1), page);
	KUNIT_EXPECT_EQ(test, READ_ONCE(e->flags) & (GTF_reading | GTF_writing),
			GTF_reading | GTF_writing);
	/* The mapped page is the granted one: no copy. */
	*(u8 *)page_address(pvio_machine_addr_to_page(t->b, bus1)) = 0xa5;
	KUNIT_EXPECT_EQ(test, *(u8 *)page_address(page), 0xa5);

	KUNIT_ASSERT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, true, &h2, &bus2),
			GNTST_okay);
	KUNIT_EXPECT_NE(test, h1, h2);
	KUNIT_EXPECT_EQ(test, bus1, bus2);

	/* Revoking while mapped fails, the grant stays intact. */
	KUNIT_EXPECT_FALSE(test, pvio_test_end_access(e));

	/* Last writable mapping gone: GTF_writing cleared, reading stays. */
	KUNIT_EXPECT_EQ(test, pvio_test_unmap1(t->b, h1), GNTST_okay);
	KUNIT_EXPECT_EQ(test, READ_ONCE(e->flags) & (GTF_reading | GTF_writing),
			GTF_reading);

	/* Pins back to zero: both bits clear, end of access works. */
	KUNIT_EXPECT_EQ(test, pvio_test_unmap1(t->b, h2), GNTST_okay);
	KUNIT_EXPECT_EQ(test, READ_ONCE(e->flags), GTF_permit_access);
	KUNIT_EXPECT_TRUE(test, pvio_test_end_access(e));
	KUNIT_EXPECT_EQ(test, READ_ONCE(e->flags), 0);

	/* Map after revocation is refused. */
	KUNIT_EXPECT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, true, NULL, NULL),
			GNTST_general_error);

	pvio_domain_get_stats(t->b, st);
	KUNIT_EXPECT_EQ(test, st->grant_maps - st0->grant_maps, 2ULL);
	KUNIT_EXPECT_EQ(test, st->grant_unmaps - st0->grant_unmaps, 2ULL);
	KUNIT_EXPECT_EQ(test, st->hypercalls[__HYPERVISOR_grant_table_op] -
			st0->hypercalls[__HYPERVISOR_grant_table_op], 5ULL);
	__free_page(page);
}

static void gt_map_errors(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *page = alloc_test_page(test, 0);
	struct grant_entry_v1 *e = pvio_test_entry(test, t->a, 4, REF0);
	xen_pfn_t gfn = pvio_page_to_gfn(t->a, page);
	struct gnttab_map_grant_ref op;
	grant_handle_t h;

	KUNIT_ASSERT_NOT_NULL(test, e);

	/* ref >= number of entries */
	KUNIT_EXPECT_EQ(test, pvio_test_map1(t->b, t->a_id, 4 * 512, true, NULL, NULL),
			GNTST_bad_gntref);
	KUNIT_EXPECT_EQ(test, pvio_test_map1(t->b, t->a_id, ~0U, true, NULL, NULL),
			GNTST_bad_gntref);

	/* no such domain; DOMID_SELF is not accepted by map (as Xen) */
	KUNIT_EXPECT_EQ(test,
			pvio_test_map1(t->b, NO_DOMID, REF0, true, NULL, NULL),
			GNTST_bad_domain);
	KUNIT_EXPECT_EQ(test, pvio_test_map1(t->b, DOMID_SELF, REF0, true, NULL, NULL),
			GNTST_bad_domain);

	/* neither host_map nor device_map */
	pvio_test_map_op(&op, t->a_id, REF0, true);
	op.flags = GNTMAP_readonly;
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->b, GNTTABOP_map_grant_ref,
						  &op, 1), 0);
	KUNIT_EXPECT_EQ(test, op.status, GNTST_bad_gntref);

	/* not GTF_permit_access (Xen's _set_status_v1: general_error) */
	pvio_test_grant(e, t->b_id, gfn, GTF_invalid);
	KUNIT_EXPECT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, true, NULL, NULL),
			GNTST_general_error);
	pvio_test_grant(e, t->b_id, gfn, GTF_accept_transfer);
	KUNIT_EXPECT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, true, NULL, NULL),
			GNTST_general_error);

	/* granted to another domain */
	pvio_test_grant(e, t->a_id, gfn, GTF_permit_access);
	KUNIT_EXPECT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, true, NULL, NULL),
			GNTST_general_error);
	KUNIT_EXPECT_EQ(test, READ_ONCE(e->flags), GTF_permit_access);

	/* read-only grant mapped writable; read-only map works */
	pvio_test_grant(e, t->b_id, gfn, GTF_permit_access | GTF_readonly);
	KUNIT_EXPECT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, false, NULL, NULL),
			GNTST_general_error);
	KUNIT_EXPECT_EQ(test, READ_ONCE(e->flags),
			GTF_permit_access | GTF_readonly);
	KUNIT_ASSERT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, true, &h, NULL),
			GNTST_okay);
	/* ... and cannot be upgraded to writable while pinned */
	KUNIT_EXPECT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, false, NULL, NULL),
			GNTST_general_error);
	/* a third domain cannot pin it while b has it pinned */
	KUNIT_EXPECT_EQ(test, pvio_test_map1(pvio_dom0(), t->a_id, REF0, true,
					     NULL, NULL), GNTST_general_error);
	KUNIT_EXPECT_EQ(test, pvio_test_unmap1(t->b, h), GNTST_okay);
	KUNIT_EXPECT_EQ(test, READ_ONCE(e->flags),
			GTF_permit_access | GTF_readonly);

	/* frame that is not a page */
	pvio_test_grant(e, t->b_id, BAD_FRAME, GTF_permit_access);
	KUNIT_EXPECT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, true, NULL, NULL),
			GNTST_bad_page);
	KUNIT_EXPECT_EQ(test, READ_ONCE(e->flags), GTF_permit_access);

	/* bad handles: never issued, already unmapped, huge */
	KUNIT_EXPECT_EQ(test, pvio_test_unmap1(t->b, 0), GNTST_bad_handle);
	KUNIT_EXPECT_EQ(test, pvio_test_unmap1(t->b, h), GNTST_bad_handle);
	KUNIT_EXPECT_EQ(test, pvio_test_unmap1(t->b, ~0U), GNTST_bad_handle);
	/* a's handle space is not b's */
	pvio_test_grant(e, t->b_id, gfn, GTF_permit_access);
	KUNIT_ASSERT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, true, &h, NULL),
			GNTST_okay);
	KUNIT_EXPECT_EQ(test, pvio_test_unmap1(t->a, h), GNTST_bad_handle);

	/* unmap with a wrong bus address leaves the mapping */
	{
		struct gnttab_unmap_grant_ref u;

		pvio_test_unmap_op(&u, h);
		u.dev_bus_addr = 4096;
		KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->b,
							  GNTTABOP_unmap_grant_ref,
							  &u, 1), 0);
		KUNIT_EXPECT_EQ(test, u.status, GNTST_bad_dev_addr);
	}
	KUNIT_EXPECT_EQ(test, pvio_test_unmap1(t->b, h), GNTST_okay);
	KUNIT_EXPECT_TRUE(test, pvio_test_end_access(e));
	__free_page(page);
}

static void gt_partial_batch(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *pages[3];
	struct gnttab_map_grant_ref map[3];
	struct gnttab_unmap_grant_ref unmap[3];
	struct grant_entry_v1 *e = pvio_test_entry(test, t->a, 4, REF0);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, e);
	for (i = 0; i < 3; i++) {
		pages[i] = alloc_test_page(test, i);
		pvio_test_grant(e + i, t->b_id,
				pvio_page_to_gfn(t->a, pages[i]),
				GTF_permit_access);
		pvio_test_map_op(&map[i], t->a_id, REF0 + i, false);
	}
	map[1].ref = 1 << 20;		/* op 1 is bad */
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->b, GNTTABOP_map_grant_ref,
						  map, 3), 0);
	KUNIT_EXPECT_EQ(test, map[0].status, GNTST_okay);
	KUNIT_EXPECT_EQ(test, map[1].status, GNTST_bad_gntref);
	KUNIT_EXPECT_EQ(test, map[2].status, GNTST_okay);
	for (i = 0; i < 3; i += 2)
		KUNIT_EXPECT_PTR_EQ(test,
				    pvio_machine_addr_to_page(t->b,
							      map[i].dev_bus_addr),
				    pages[i]);
	KUNIT_EXPECT_EQ(test, READ_ONCE(e[1].flags), GTF_permit_access);

	/* Unmap batch with the failed op's garbage handle in the middle. */
	pvio_test_unmap_op(&unmap[0], map[0].handle);
	pvio_test_unmap_op(&unmap[1], 0xdead);
	pvio_test_unmap_op(&unmap[2], map[2].handle);
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->b,
						  GNTTABOP_unmap_grant_ref,
						  unmap, 3), 0);
	KUNIT_EXPECT_EQ(test, unmap[0].status, GNTST_okay);
	KUNIT_EXPECT_EQ(test, unmap[1].status, GNTST_bad_handle);
	KUNIT_EXPECT_EQ(test, unmap[2].status, GNTST_okay);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, READ_ONCE(e[i].flags), GTF_permit_access);
		KUNIT_EXPECT_TRUE(test, pvio_test_end_access(e + i));
		__free_page(pages[i]);
	}
}

/*
 * A batch longer than the hypervisor's lock chunk (16 ops): ops that fail
 * in between (bad flags, a domain that does not exist, a bad ref) do not
 * disturb the others, each op gets its own handle, the counters count
 * the ops that succeeded; an unmap batch naming a handle twice unmaps it
 * once.
 */
#define GT_BATCH	40
static void gt_chunked_batch(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct grant_entry_v1 *e = pvio_test_entry(test, t->a, 4, REF0);
	struct pvio_domain_stats *st0 = pvio_test_stats(test);
	struct pvio_domain_stats *st = pvio_test_stats(test);
	struct gnttab_unmap_grant_ref *unmap;
	struct gnttab_map_grant_ref *map;
	struct page **pages;
	unsigned int i, j;

	KUNIT_ASSERT_NOT_NULL(test, e);
	map = kunit_kcalloc(test, GT_BATCH, sizeof(*map), GFP_KERNEL);
	unmap = kunit_kcalloc(test, GT_BATCH + 1, sizeof(*unmap), GFP_KERNEL);
	pages = kunit_kcalloc(test, GT_BATCH, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, map);
	KUNIT_ASSERT_NOT_NULL(test, unmap);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (i = 0; i < GT_BATCH; i++) {
		pages[i] = alloc_test_page(test, i);
		pvio_test_grant(e + i, t->b_id,
				pvio_page_to_gfn(t->a, pages[i]),
				GTF_permit_access);
		pvio_test_map_op(&map[i], t->a_id, REF0 + i, i & 1);
	}
	map[5].flags = 0;		/* neither host nor device map */
	map[17].dom = NO_DOMID;		/* then back to a at 18 */
	map[31].ref = 1 << 20;		/* beyond the table */
	pvio_domain_get_stats(t->b, st0);
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->b, GNTTABOP_map_grant_ref,
						  map, GT_BATCH), 0);
	pvio_domain_get_stats(t->b, st);
	KUNIT_EXPECT_EQ(test, st->grant_maps - st0->grant_maps,
			(u64)GT_BATCH - 3);
	KUNIT_EXPECT_EQ(test, map[5].status, GNTST_bad_gntref);
	KUNIT_EXPECT_EQ(test, map[17].status, GNTST_bad_domain);
	KUNIT_EXPECT_EQ(test, map[31].status, GNTST_bad_gntref);
	for (i = 0; i < GT_BATCH; i++) {
		if (i == 5 || i == 17 || i == 31) {
			KUNIT_EXPECT_EQ(test, READ_ONCE(e[i].flags),
					GTF_permit_access);
			continue;
		}
		KUNIT_EXPECT_EQ(test, map[i].status, GNTST_okay);
		KUNIT_EXPECT_PTR_EQ(test,
				    pvio_machine_addr_to_page(t->b,
							      map[i].dev_bus_addr),
				    pages[i]);
		KUNIT_EXPECT_EQ(test, READ_ONCE(e[i].flags),
				GTF_permit_access | GTF_reading |
				(i & 1 ? 0 : GTF_writing));
		for (j = 0; j < i; j++)
			if (map[j].status == GNTST_okay)
				KUNIT_EXPECT_NE(test, map[j].handle,
						map[i].handle);
	}

	/* Unmap all in reverse, map[0]'s handle twice in one chunk. */
	for (i = 0; i < GT_BATCH; i++)
		pvio_test_unmap_op(&unmap[i], map[GT_BATCH - 1 - i].status ==
				   GNTST_okay ? map[GT_BATCH - 1 - i].handle :
				   0xdead);
	pvio_test_unmap_op(&unmap[GT_BATCH], map[0].handle);
	pvio_domain_get_stats(t->b, st0);
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->b,
						  GNTTABOP_unmap_grant_ref,
						  unmap, GT_BATCH + 1), 0);
	pvio_domain_get_stats(t->b, st);
	KUNIT_EXPECT_EQ(test, st->grant_unmaps - st0->grant_unmaps,
			(u64)GT_BATCH - 3);
	for (i = 0; i < GT_BATCH; i++) {
		j = GT_BATCH - 1 - i;
		KUNIT_EXPECT_EQ(test, unmap[i].status,
				j == 5 || j == 17 || j == 31 ?
				GNTST_bad_handle : GNTST_okay);
	}
	KUNIT_EXPECT_EQ(test, unmap[GT_BATCH].status, GNTST_bad_handle);
	for (i = 0; i < GT_BATCH; i++) {
		KUNIT_EXPECT_EQ(test, READ_ONCE(e[i].flags), GTF_permit_access);
		KUNIT_EXPECT_TRUE(test, pvio_test_end_access(e + i));
		__free_page(pages[i]);
	}
}

static void gt_copy(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *src = alloc_test_page(test, 0);
	struct page *dst = alloc_test_page(test, 0);
	struct page *mine = alloc_test_page(test, 0);
	struct grant_entry_v1 *e = pvio_test_entry(test, t->a, 4, REF0);
	struct gnttab_copy op[3];
	struct pvio_domain_stats *st0 = pvio_test_stats(test);
	struct pvio_domain_stats *st = pvio_test_stats(test);
	u8 *s = page_address(src), *dd = page_address(dst);
	u8 *m = page_address(mine);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, e);
	for (i = 0; i < PAGE_SIZE; i++)
		s[i] = i * 7;
	pvio_test_grant(&e[0], t->b_id, pvio_page_to_gfn(t->a, src),
			GTF_permit_access | GTF_readonly);
	pvio_test_grant(&e[1], t->b_id, pvio_page_to_gfn(t->a, dst),
			GTF_permit_access);

	/* gref -> own gmfn, own gmfn -> gref, gref -> gref */
	memset(op, 0, sizeof(op));
	op[0].source.u.ref = REF0;
	op[0].source.domid = t->a_id;
	op[0].source.offset = 100;
	op[0].dest.u.gmfn = pvio_page_to_gfn(t->b, mine);
	op[0].dest.domid = DOMID_SELF;
	op[0].dest.offset = 200;
	op[0].len = 1000;
	op[0].flags = GNTCOPY_source_gref;

	op[1].source.u.gmfn = pvio_page_to_gfn(t->b, mine);
	op[1].source.domid = DOMID_SELF;
	op[1].source.offset = 200;
	op[1].dest.u.ref = REF0 + 1;
	op[1].dest.domid = t->a_id;
	op[1].dest.offset = 3000;
	op[1].len = 1000;
	op[1].flags = GNTCOPY_dest_gref;

	op[2].source.u.ref = REF0;
	op[2].source.domid = t->a_id;
	op[2].source.offset = 0;
	op[2].dest.u.ref = REF0 + 1;
	op[2].dest.domid = t->a_id;
	op[2].dest.offset = 0;
	op[2].len = 16;
	op[2].flags = GNTCOPY_source_gref | GNTCOPY_dest_gref;
	for (i = 0; i < 3; i++)
		op[i].status = 1;

	pvio_domain_get_stats(t->b, st0);
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->b, GNTTABOP_copy, op, 3),
			0);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, op[i].status, GNTST_okay);
	KUNIT_EXPECT_EQ(test, memcmp(m + 200, s + 100, 1000), 0);
	KUNIT_EXPECT_EQ(test, memcmp(dd + 3000, s + 100, 1000), 0);
	KUNIT_EXPECT_EQ(test, memcmp(dd, s, 16), 0);
	KUNIT_EXPECT_EQ(test, dd[16], 0);
	KUNIT_EXPECT_EQ(test, dd[2999], 0);
	/* Copies leave no pins behind. */
	KUNIT_EXPECT_EQ(test, READ_ONCE(e[0].flags),
			GTF_permit_access | GTF_readonly);
	KUNIT_EXPECT_EQ(test, READ_ONCE(e[1].flags), GTF_permit_access);
	pvio_domain_get_stats(t->b, st);
	KUNIT_EXPECT_EQ(test, st->grant_copies - st0->grant_copies, 3ULL);
	KUNIT_EXPECT_EQ(test, st->grant_copy_bytes - st0->grant_copy_bytes,
			2016ULL);

	/* crossing the end of a 4 KiB page: source, then destination */
	op[0].source.offset = 4000;
	op[0].len = 97;
	op[0].status = 1;
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->b, GNTTABOP_copy, op, 1),
			0);
	KUNIT_EXPECT_EQ(test, op[0].status, GNTST_bad_copy_arg);
	op[0].source.offset = 0;
	op[0].dest.offset = 4095;
	op[0].len = 2;
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->b, GNTTABOP_copy, op, 1),
			0);
	KUNIT_EXPECT_EQ(test, op[0].status, GNTST_bad_copy_arg);
	/* exactly to the end is fine */
	op[0].dest.offset = 4094;
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->b, GNTTABOP_copy, op, 1),
			0);
	KUNIT_EXPECT_EQ(test, op[0].status, GNTST_okay);

	/* gmfn of another domain: only DOMID_SELF may name frames */
	op[1].source.domid = t->a_id;
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->b, GNTTABOP_copy,
						  &op[1], 1), 0);
	KUNIT_EXPECT_EQ(test, op[1].status, GNTST_permission_denied);
	op[1].source.domid = DOMID_SELF;

	/* no such domain */
	op[1].dest.domid = NO_DOMID;
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->b, GNTTABOP_copy,
						  &op[1], 1), 0);
	KUNIT_EXPECT_EQ(test, op[1].status, GNTST_bad_domain);
	op[1].dest.domid = t->a_id;

	/* bad gref; writing into a read-only grant; bad own frame */
	op[1].dest.u.ref = 4 * 512;
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->b, GNTTABOP_copy,
						  &op[1], 1), 0);
	KUNIT_EXPECT_EQ(test, op[1].status, GNTST_bad_gntref);
	op[1].dest.u.ref = REF0;
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->b, GNTTABOP_copy,
						  &op[1], 1), 0);
	KUNIT_EXPECT_EQ(test, op[1].status, GNTST_general_error);
	KUNIT_EXPECT_EQ(test, READ_ONCE(e[0].flags),
			GTF_permit_access | GTF_readonly);
	op[1].dest.u.ref = REF0 + 1;
	op[1].source.u.gmfn = BAD_PFN;
	KUNIT_ASSERT_EQ(test, pvio_grant_table_op(t->b, GNTTABOP_copy,
						  &op[1], 1), 0);
	KUNIT_EXPECT_EQ(test, op[1].status, GNTST_bad_page);
	KUNIT_EXPECT_EQ(test, READ_ONCE(e[1].flags), GTF_permit_access);

	KUNIT_EXPECT_TRUE(test, pvio_test_end_access(&e[0]));
	KUNIT_EXPECT_TRUE(test, pvio_test_end_access(&e[1]));
	__free_page(src);
	__free_page(dst);
	__free_page(mine);
}

#define NR_ATOMIC	300

/* Data-path ops never sleep: run them with BHs and then IRQs off. */
static void gt_atomic_context(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *page = alloc_test_page(test, 0x11);
	struct grant_entry_v1 *e = pvio_test_entry(test, t->a, 4, REF0);
	struct gnttab_map_grant_ref *map;
	struct gnttab_unmap_grant_ref *unmap;
	struct gnttab_query_size qs = { .dom = DOMID_SELF };
	unsigned long flags;
	unsigned int i;
	u8 buf[32];
	struct gnttab_copy c = {
		.source.domid = t->a_id,
		.source.u.ref = REF0,
		.dest.domid = DOMID_SELF,
		.len = sizeof(buf),
		.flags = GNTCOPY_source_gref,
	};

	KUNIT_ASSERT_NOT_NULL(test, e);
	map = kunit_kcalloc(test, NR_ATOMIC, sizeof(*map), GFP_KERNEL);
	unmap = kunit_kcalloc(test, NR_ATOMIC, sizeof(*unmap), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, map);
	KUNIT_ASSERT_NOT_NULL(test, unmap);
	pvio_test_grant(e, t->b_id, pvio_page_to_gfn(t->a, page),
			GTF_permit_access);
	/* 300 maps of one ref: grows b's maptrack in atomic context too */
	for (i = 0; i < NR_ATOMIC; i++)
		pvio_test_map_op(&map[i], t->a_id, REF0, i & 1);

	local_bh_disable();
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->b, GNTTABOP_map_grant_ref,
						  map, NR_ATOMIC), 0);
	local_bh_enable();
	for (i = 0; i < NR_ATOMIC; i++) {
		KUNIT_EXPECT_EQ(test, map[i].status, GNTST_okay);
		pvio_test_unmap_op(&unmap[i], map[i].handle);
	}

	local_irq_save(flags);
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->b, GNTTABOP_query_size,
						  &qs, 1), 0);
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->b,
						  GNTTABOP_unmap_grant_ref,
						  unmap, NR_ATOMIC), 0);
	local_irq_restore(flags);
	for (i = 0; i < NR_ATOMIC; i++)
		KUNIT_EXPECT_EQ(test, unmap[i].status, GNTST_okay);
	KUNIT_EXPECT_EQ(test, READ_ONCE(e->flags), GTF_permit_access);

	/* copy into a page of b's from IRQ-off context */
	{
		struct page *mine = alloc_test_page(test, 0);

		c.dest.u.gmfn = pvio_page_to_gfn(t->b, mine);
		local_irq_save(flags);
		KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->b, GNTTABOP_copy,
							  &c, 1), 0);
		local_irq_restore(flags);
		KUNIT_EXPECT_EQ(test, c.status, GNTST_okay);
		KUNIT_EXPECT_EQ(test, *(u8 *)page_address(mine), 0x11);
		__free_page(mine);
	}
	KUNIT_EXPECT_TRUE(test, pvio_test_end_access(e));
	__free_page(page);
}

/*
 * The granter is destroyed while b maps its page: the mapping stays valid
 * (the hypervisor holds the page and the dead table), unmap works, and
 * nothing leaks (kmemleak/KASAN in the test kernel).
 */
static void gt_destroy_granter_while_mapped(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *page = alloc_test_page(test, 0x77);
	struct grant_entry_v1 *e = pvio_test_entry(test, t->a, 4, REF0);
	struct page *mapped;
	grant_handle_t h;
	u64 bus;

	KUNIT_ASSERT_NOT_NULL(test, e);
	pvio_test_grant(e, t->b_id, pvio_page_to_gfn(t->a, page),
			GTF_permit_access);
	KUNIT_ASSERT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, false, &h, &bus),
			GNTST_okay);
	mapped = pvio_machine_addr_to_page(t->b, bus);
	KUNIT_ASSERT_PTR_EQ(test, mapped, page);

	/* The granter's guest frees its page, then the domain dies. */
	put_page(page);
	KUNIT_ASSERT_EQ(test, pvio_domain_destroy(t->a_id), 0);
	t->a_gone = true;
	KUNIT_EXPECT_EQ(test, pvio_domain_destroy(t->a_id), -ESRCH);

	/* Still b's to use (KASAN would flag a freed page). */
	KUNIT_EXPECT_EQ(test, *(u8 *)page_address(mapped), 0x77);
	memset(page_address(mapped), 0x88, PAGE_SIZE);

	/* No new maps of the dead domain's grants. */
	KUNIT_EXPECT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, false, NULL, NULL),
			GNTST_bad_domain);

	KUNIT_EXPECT_EQ(test, pvio_test_unmap1(t->b, h), GNTST_okay);
	KUNIT_EXPECT_EQ(test, pvio_test_unmap1(t->b, h), GNTST_bad_handle);
}

/* The mapper dies holding mappings: they are released (flags cleared). */
static void gt_destroy_mapper_while_mapped(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *page = alloc_test_page(test, 0);
	struct grant_entry_v1 *e = pvio_test_entry(test, t->a, 4, REF0);

	KUNIT_ASSERT_NOT_NULL(test, e);
	pvio_test_grant(e, t->b_id, pvio_page_to_gfn(t->a, page),
			GTF_permit_access);
	KUNIT_ASSERT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, false, NULL, NULL),
			GNTST_okay);
	KUNIT_ASSERT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, true, NULL, NULL),
			GNTST_okay);
	KUNIT_EXPECT_FALSE(test, pvio_test_end_access(e));
	KUNIT_ASSERT_EQ(test, pvio_domain_destroy(t->b_id), 0);
	t->b_gone = true;
	KUNIT_EXPECT_EQ(test, READ_ONCE(e->flags), GTF_permit_access);
	KUNIT_EXPECT_TRUE(test, pvio_test_end_access(e));
	__free_page(page);
}

/*
 * A granter rewriting its entry while a peer maps it: every map either
 * works or gets general_error (bounded retries), none hangs, and the
 * pins balance.
 */
struct flipper {
	struct grant_entry_v1 *e;
	domid_t good, bad;
};

static int gt_flip_thread(void *arg)
{
	struct flipper *f = arg;
	u32 *word = (u32 *)&f->e->flags;
	unsigned int i = 0;

	while (!kthread_should_stop()) {
		u32 v = READ_ONCE(*word);
		u32 dom = (i++ & 1) ? f->good : f->bad;

		cmpxchg(word, v, (v & 0xffff) | (dom << 16));
		cond_resched();
	}
	return 0;
}

static void gt_unstable_entry(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *page = alloc_test_page(test, 0);
	struct grant_entry_v1 *e = pvio_test_entry(test, t->a, 4, REF0);
	struct flipper f;
	struct task_struct *task;
	unsigned int i, ok = 0, err = 0;
	grant_handle_t h;
	s16 rc;

	KUNIT_ASSERT_NOT_NULL(test, e);
	pvio_test_grant(e, t->b_id, pvio_page_to_gfn(t->a, page),
			GTF_permit_access);
	f.e = e;
	f.good = t->b_id;
	f.bad = t->a_id;
	task = kthread_run(gt_flip_thread, &f, "pvio-kunit-flip");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	for (i = 0; i < 2000; i++) {
		rc = pvio_test_map1(t->b, t->a_id, REF0, i & 1, &h, NULL);
		if (rc == GNTST_okay) {
			ok++;
			KUNIT_EXPECT_EQ(test, pvio_test_unmap1(t->b, h), GNTST_okay);
		} else {
			err++;
			KUNIT_EXPECT_EQ(test, rc, GNTST_general_error);
		}
		if (!(i % 64))
			cond_resched();
	}
	kthread_stop(task);
	kunit_info(test, "maps: %u ok, %u refused\n", ok, err);
	KUNIT_EXPECT_EQ(test, READ_ONCE(e->flags), GTF_permit_access);
	KUNIT_EXPECT_TRUE(test, pvio_test_end_access(e));
	__free_page(page);
}

/* pvio-hypervisor's max_maps_per_domain default (grant_table.c) */
#define QUOTA		32768
#define QUOTA_BATCH	512

/* b maps a's REF0 @n times in batches; returns the maps that worked. */
static unsigned int map_many(struct kunit *test, struct pvio_domain *b,
			     domid_t a, unsigned int n, s16 *last)
{
	struct gnttab_map_grant_ref *ops;
	unsigned int done = 0, i, k;

	ops = kunit_kcalloc(test, QUOTA_BATCH, sizeof(*ops), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ops);
	*last = GNTST_okay;
	while (done < n) {
		k = min_t(unsigned int, n - done, QUOTA_BATCH);
		for (i = 0; i < k; i++)
			pvio_test_map_op(&ops[i], a, REF0, true);
		KUNIT_ASSERT_EQ(test, pvio_grant_table_op(b,
							  GNTTABOP_map_grant_ref,
							  ops, k), 0);
		for (i = 0; i < k; i++) {
			if (ops[i].status != GNTST_okay) {
				*last = ops[i].status;
				return done;
			}
			done++;
		}
		cond_resched();
	}
	return done;
}

/*
 * Fair mapping resources: b may hold at most QUOTA live maps of a's
 * grants; the next is refused with GNTST_no_space (Xen's status for a full
 * maptrack) while c's grants still map, an unmap makes room for exactly
 * one more, and destroying the mapper releases every map (a's count of
 * live maps back to 0, the entry's flags clear).
 */
static void gt_map_quota(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *page = alloc_test_page(test, 0x31);
	struct page *cpage = alloc_test_page(test, 0x32);
	struct grant_entry_v1 *e = pvio_test_entry(test, t->a, 4, REF0);
	struct pvio_domain_stats *st = pvio_test_stats(test);
	struct grant_entry_v1 *ce;
	struct pvio_domain *c;
	grant_handle_t h, hc;
	unsigned int n;
	s16 last;

	KUNIT_ASSERT_NOT_NULL(test, e);
	c = pvio_domain_create("kunit-c", 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	ce = pvio_test_entry(test, c, 4, REF0);
	KUNIT_ASSERT_NOT_NULL(test, ce);
	pvio_test_grant(e, t->b_id, pvio_page_to_gfn(t->a, page),
			GTF_permit_access | GTF_readonly);
	pvio_test_grant(ce, t->b_id, pvio_page_to_gfn(c, cpage),
			GTF_permit_access | GTF_readonly);

	KUNIT_ASSERT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, true, &h, NULL),
			GNTST_okay);
	n = map_many(test, t->b, t->a_id, QUOTA, &last);
	KUNIT_EXPECT_EQ(test, n + 1, QUOTA);
	KUNIT_EXPECT_EQ(test, last, GNTST_no_space);
	KUNIT_EXPECT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, true, NULL, NULL),
			GNTST_no_space);
	pvio_domain_get_stats(t->a, st);
	KUNIT_EXPECT_EQ(test, st->grant_maps_granted, (u64)QUOTA);
	pvio_domain_get_stats(t->b, st);
	KUNIT_EXPECT_EQ(test, st->grant_maps_held, (u64)QUOTA);

	/* Another granting domain is not affected. */
	KUNIT_EXPECT_EQ(test, pvio_test_map1(t->b, pvio_domain_id(c), REF0,
					     true, &hc, NULL), GNTST_okay);
	pvio_domain_get_stats(c, st);
	KUNIT_EXPECT_EQ(test, st->grant_maps_granted, 1ULL);
	KUNIT_EXPECT_EQ(test, pvio_test_unmap1(t->b, hc), GNTST_okay);
	pvio_domain_get_stats(c, st);
	KUNIT_EXPECT_EQ(test, st->grant_maps_granted, 0ULL);

	/* One unmap, room for one map. */
	KUNIT_EXPECT_EQ(test, pvio_test_unmap1(t->b, h), GNTST_okay);
	KUNIT_EXPECT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, true, NULL, NULL),
			GNTST_okay);
	KUNIT_EXPECT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, true, NULL, NULL),
			GNTST_no_space);

	/* The mapper dies: every one of its maps is released. */
	KUNIT_ASSERT_EQ(test, pvio_domain_destroy(t->b_id), 0);
	t->b_gone = true;
	pvio_domain_get_stats(t->a, st);
	KUNIT_EXPECT_EQ(test, st->grant_maps_granted, 0ULL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(e->flags),
			GTF_permit_access | GTF_readonly);
	KUNIT_EXPECT_TRUE(test, pvio_test_end_access(e));
	KUNIT_EXPECT_TRUE(test, pvio_test_end_access(ce));
	KUNIT_EXPECT_EQ(test, pvio_domain_destroy(pvio_domain_id(c)), 0);
	__free_page(cpage);
	__free_page(page);
}

/*
 * The granter dies while b maps its grants (a backend whose frontend's
 * domain is destroyed): b's live maps stay until b unmaps them, then are
 * back exactly at b's baseline; the dead domain's grants no longer map.
 */
static void gt_live_maps_baseline(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *page = alloc_test_page(test, 0x41);
	struct grant_entry_v1 *e = pvio_test_entry(test, t->a, 4, REF0);
	struct pvio_domain_stats *st = pvio_test_stats(test);
	grant_handle_t h[8];
	unsigned int i;
	u64 held0;

	KUNIT_ASSERT_NOT_NULL(test, e);
	pvio_domain_get_stats(t->b, st);
	held0 = st->grant_maps_held;
	pvio_test_grant(e, t->b_id, pvio_page_to_gfn(t->a, page),
			GTF_permit_access);
	for (i = 0; i < ARRAY_SIZE(h); i++)
		KUNIT_ASSERT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, i & 1,
						     &h[i], NULL), GNTST_okay);
	pvio_domain_get_stats(t->a, st);
	KUNIT_EXPECT_EQ(test, st->grant_maps_granted, (u64)ARRAY_SIZE(h));
	pvio_domain_get_stats(t->b, st);
	KUNIT_EXPECT_EQ(test, st->grant_maps_held, held0 + ARRAY_SIZE(h));

	put_page(page);		/* the granter's guest lets go of it */
	KUNIT_ASSERT_EQ(test, pvio_domain_destroy(t->a_id), 0);
	t->a_gone = true;
	pvio_domain_get_stats(t->b, st);
	KUNIT_EXPECT_EQ(test, st->grant_maps_held, held0 + ARRAY_SIZE(h));
	KUNIT_EXPECT_EQ(test, pvio_test_map1(t->b, t->a_id, REF0, true, NULL, NULL),
			GNTST_bad_domain);
	for (i = 0; i < ARRAY_SIZE(h); i++)
		KUNIT_EXPECT_EQ(test, pvio_test_unmap1(t->b, h[i]), GNTST_okay);
	pvio_domain_get_stats(t->b, st);
	KUNIT_EXPECT_EQ(test, st->grant_maps_held, held0);
}

static struct kunit_case pvio_hv_grant_table_cases[] = {
	KUNIT_CASE(gt_setup_table_growth),
	KUNIT_CASE(gt_map_unmap_pins),
	KUNIT_CASE(gt_map_errors),
	KUNIT_CASE(gt_partial_batch),
	KUNIT_CASE(gt_chunked_batch),
	KUNIT_CASE(gt_copy),
	KUNIT_CASE(gt_atomic_context),
	KUNIT_CASE(gt_destroy_granter_while_mapped),
	KUNIT_CASE(gt_destroy_mapper_while_mapped),
	KUNIT_CASE(gt_unstable_entry),
	KUNIT_CASE(gt_map_quota),
	KUNIT_CASE(gt_live_maps_baseline),
	{}
};

static struct kunit_suite pvio_hv_grant_table_suite = {
	.name = "pvio_hv_grant_table",
	.init = pvio_test_doms_init,
	.exit = pvio_test_doms_exit,
	.test_cases = pvio_hv_grant_table_cases,
};

kunit_test_suite(pvio_hv_grant_table_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of the pvio hypervisor");
