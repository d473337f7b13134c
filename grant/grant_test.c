// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvio_grant: the guest-side grant API of pvio-grant.ko, with
 * two domUs (a grants, b maps).
 *
 * KUnit suite pvio_grant_faults: the same while allocations fail at random
 * (include/pvio/fault_inject.h). Both create their two domains with
 * pvio_test_create_pair() (include/pvio/kunit_pair.h).
 */

#include <kunit/test.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/err.h>
#include <linux/delay.h>
#include <linux/string.h>
#include <pvio/hypervisor.h>
#include <pvio/grant.h>
#include <pvio/fault_inject.h>
#include <pvio/kunit_pair.h>

struct gt {
	struct pvio_domain *a, *b;
	domid_t a_id, b_id;
};

static int grant_test_init(struct kunit *test)
{
	struct gt *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_EQ(test, pvio_test_create_pair(test, false,
						    "kunit-grant-a", 1,
						    "kunit-grant-b", 1,
						    &t->a, &t->b), 0);
	t->a_id = pvio_domain_id(t->a);
	t->b_id = pvio_domain_id(t->b);
	test->priv = t;
	return 0;
}

static void grant_test_exit(struct kunit *test)
{
	struct gt *t = test->priv;

	if (!t)
		return;
	KUNIT_EXPECT_EQ(test, pvio_domain_destroy(t->b_id), 0);
	KUNIT_EXPECT_EQ(test, pvio_domain_destroy(t->a_id), 0);
}

static void grant_map_end_access(struct kunit *test)
{
	struct gt *t = test->priv;
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	struct gnttab_map_grant_ref map[3];
	struct gnttab_unmap_grant_ref unmap[2];
	struct page *pages[3];
	unsigned int free0, i;
	int ref;

	KUNIT_ASSERT_NOT_NULL(test, page);
	free0 = pvio_gnttab_free_count(t->a);
	KUNIT_EXPECT_GT(test, free0, 2000U);
	ref = pvio_gnttab_grant_foreign_access(t->a, t->b_id,
					       pvio_page_to_gfn(t->a, page),
					       false);
	KUNIT_ASSERT_GE(test, ref, 8);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_free_count(t->a), free0 - 1);

	/* ops 0 and 2 fine, op 1 a bad ref */
	pvio_gnttab_set_map_op(&map[0], 0, ref, t->a_id);
	pvio_gnttab_set_map_op(&map[1], 0, 1 << 24, t->a_id);
	pvio_gnttab_set_map_op(&map[2], GNTMAP_readonly, ref, t->a_id);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_map_refs(t->b, map, pages, 3), -EIO);
	KUNIT_EXPECT_EQ(test, map[0].status, GNTST_okay);
	KUNIT_EXPECT_EQ(test, map[1].status, GNTST_bad_gntref);
	KUNIT_EXPECT_EQ(test, map[2].status, GNTST_okay);
	KUNIT_EXPECT_PTR_EQ(test, pages[0], page);
	KUNIT_EXPECT_NULL(test, pages[1]);
	KUNIT_EXPECT_EQ(test, map[1].handle, PVIO_GRANT_INVALID_HANDLE);
	KUNIT_EXPECT_PTR_EQ(test, pvio_gnttab_map_op_page(t->b, &map[2]), page);

	/* Written through b's mapping, seen in a's page: no copy. */
	memset(page_address(pages[0]), 0xab, 16);
	KUNIT_EXPECT_EQ(test, ((u8 *)page_address(page))[15], 0xab);

	KUNIT_EXPECT_TRUE(test, pvio_gnttab_query_foreign_access(t->a, ref));
	KUNIT_EXPECT_FALSE(test, pvio_gnttab_end_foreign_access_ref(t->a, ref));

	/* Revoke with the page: deferred, neither reused nor freed. */
	get_page(page);		/* the test keeps looking at it */
	pvio_gnttab_end_foreign_access(t->a, ref, page);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_deferred_count(t->a), 1U);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_free_count(t->a), free0 - 1);

	pvio_gnttab_set_unmap_op(&unmap[0], map[0].handle);
	pvio_gnttab_set_unmap_op(&unmap[1], map[2].handle);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_unmap_refs(t->b, unmap, pages, 2),
			0);
	KUNIT_EXPECT_NULL(test, pages[0]);

	/*
	 * The deferred work ends the grant (every 100 ms); up to 10 s, as
	 * a loaded TCG host can hold a work item back for seconds.
	 */
	for (i = 0; i < 200 && pvio_gnttab_deferred_count(t->a); i++)
		msleep(50);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_deferred_count(t->a), 0U);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_free_count(t->a), free0);
	put_page(page);
}

static void grant_references(struct kunit *test)
{
	struct gt *t = test->priv;
	unsigned int free0 = pvio_gnttab_free_count(t->a);
	grant_ref_t head, head2;
	int refs[3], i;

	KUNIT_ASSERT_EQ(test, pvio_gnttab_alloc_grant_references(t->a, 3,
								 &head), 0);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_free_count(t->a), free0 - 3);
	for (i = 0; i < 3; i++) {
		refs[i] = pvio_gnttab_claim_grant_reference(t->a, &head);
		KUNIT_EXPECT_GE(test, refs[i], 8);
	}
	KUNIT_EXPECT_TRUE(test, pvio_gnttab_empty_grant_references(&head));
	KUNIT_EXPECT_EQ(test, pvio_gnttab_claim_grant_reference(t->a, &head),
			-ENOSPC);
	pvio_gnttab_release_grant_reference(t->a, &head, refs[1]);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_claim_grant_reference(t->a, &head),
			refs[1]);
	pvio_gnttab_free_grant_reference(t->a, refs[0]);
	pvio_gnttab_free_grant_reference(t->a, refs[1]);
	pvio_gnttab_free_grant_reference(t->a, refs[2]);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_free_count(t->a), free0);

	/* More than the initial table: it grows by setup_table. */
	KUNIT_ASSERT_EQ(test, pvio_gnttab_alloc_grant_references(t->a,
								 free0 + 100,
								 &head2), 0);
	KUNIT_EXPECT_GT(test, pvio_gnttab_free_count(t->a), 0U);
	pvio_gnttab_free_grant_references(t->a, head2);
	KUNIT_EXPECT_GE(test, pvio_gnttab_free_count(t->a), free0 + 100);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_alloc_grant_references(t->a, 0,
								 &head), -EINVAL);
}

static void grant_copy_and_mixed(struct kunit *test)
{
	struct gt *t = test->priv;
	struct page *src = alloc_page(GFP_KERNEL);
	struct page *dst = alloc_page(GFP_KERNEL | __GFP_ZERO);
	struct gnttab_map_grant_ref map;
	struct gnttab_unmap_grant_ref unmap;
	struct gnttab_copy copy = {};
	int ref;

	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	memset(page_address(src), 0x42, PAGE_SIZE);
	ref = pvio_gnttab_grant_foreign_access(t->a, t->b_id,
					       pvio_page_to_gfn(t->a, src),
					       true);
	KUNIT_ASSERT_GE(test, ref, 8);

	copy.source.u.ref = ref;
	copy.source.domid = t->a_id;
	copy.dest.u.gmfn = pvio_page_to_gfn(t->b, dst);
	copy.dest.domid = DOMID_SELF;
	copy.len = 512;
	copy.flags = GNTCOPY_source_gref;
	KUNIT_EXPECT_EQ(test, pvio_gnttab_batch_copy(t->b, &copy, 1), 0);
	KUNIT_EXPECT_EQ(test, ((u8 *)page_address(dst))[511], 0x42);
	KUNIT_EXPECT_EQ(test, ((u8 *)page_address(dst))[512], 0);

	/* map + copy in one multicall, then copy + unmap in another */
	pvio_gnttab_set_map_op(&map, GNTMAP_readonly, ref, t->a_id);
	copy.dest.offset = 512;
	KUNIT_EXPECT_EQ(test, pvio_gnttab_batch_mixed(t->b, &map, 1, &copy, 1,
						      NULL, 0), 0);
	KUNIT_EXPECT_EQ(test, map.status, GNTST_okay);
	KUNIT_EXPECT_EQ(test, ((u8 *)page_address(dst))[1023], 0x42);
	pvio_gnttab_set_unmap_op(&unmap, map.handle);
	copy.dest.offset = 4000;	/* crosses the page: bad_copy_arg */
	KUNIT_EXPECT_EQ(test, pvio_gnttab_batch_mixed(t->b, NULL, 0, &copy, 1,
						      &unmap, 1), -EIO);
	KUNIT_EXPECT_EQ(test, copy.status, GNTST_bad_copy_arg);
	KUNIT_EXPECT_EQ(test, unmap.status, GNTST_okay);

	KUNIT_EXPECT_TRUE(test, pvio_gnttab_end_foreign_access_ref(t->a, ref));
	pvio_gnttab_free_grant_reference(t->a, ref);
	__free_page(src);
	__free_page(dst);
}

/* The granter is destroyed with a grant still mapped and deferred. */
static void grant_teardown_while_mapped(struct kunit *test)
{
	struct gt *t = test->priv;
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	struct gnttab_map_grant_ref map;
	struct gnttab_unmap_grant_ref unmap;
	struct page *mapped;
	int ref;

	KUNIT_ASSERT_NOT_NULL(test, page);
	ref = pvio_gnttab_grant_foreign_access(t->a, t->b_id,
					       pvio_page_to_gfn(t->a, page),
					       false);
	KUNIT_ASSERT_GE(test, ref, 8);
	pvio_gnttab_set_map_op(&map, 0, ref, t->a_id);
	KUNIT_ASSERT_EQ(test, pvio_gnttab_map_refs(t->b, &map, &mapped, 1), 0);
	pvio_gnttab_end_foreign_access(t->a, ref, page);	/* deferred */
	KUNIT_EXPECT_EQ(test, pvio_gnttab_deferred_count(t->a), 1U);

	/* a goes away (its grant driver detaches); b's page stays valid */
	KUNIT_ASSERT_EQ(test, pvio_domain_destroy(t->a_id), 0);
	memset(page_address(mapped), 0x99, PAGE_SIZE);
	pvio_gnttab_set_unmap_op(&unmap, map.handle);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_unmap_refs(t->b, &unmap, NULL, 1), 0);
	/* recreate a so that exit has two domains to destroy */
	t->a = pvio_domain_create("kunit-grant-a2", 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->a));
	t->a_id = pvio_domain_id(t->a);
}

/*
 * Ending three grants at once, the second still mapped by b: two end and
 * drop their frames' references under one p2m lock (two idle frames to
 * flush), the mapped one is left alone and ends after its unmap.
 */
static void grant_end_batch(struct kunit *test)
{
	struct gt *t = test->priv;
	struct gnttab_map_grant_ref map;
	struct gnttab_unmap_grant_ref unmap;
	struct page *page[3], *mapped;
	grant_handle_t handle;
	grant_ref_t refs[3];
	bool ended[3];
	unsigned int i;
	int ref;

	for (i = 0; i < 3; i++) {
		page[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, page[i]);
	}
	pvio_gfn_cache_flush(t->a);
	for (i = 0; i < 3; i++) {
		ref = pvio_gnttab_grant_foreign_access(t->a, t->b_id,
						       pvio_page_to_gfn(t->a, page[i]),
						       true);
		KUNIT_ASSERT_GE(test, ref, 8);
		refs[i] = ref;
	}
	pvio_gnttab_set_map_op(&map, GNTMAP_readonly, refs[1], t->a_id);
	KUNIT_ASSERT_EQ(test, pvio_gnttab_map_refs(t->b, &map, &mapped, 1), 0);
	KUNIT_ASSERT_EQ(test, map.status, GNTST_okay);
	handle = map.handle;

	KUNIT_EXPECT_EQ(test, pvio_gnttab_end_foreign_access_refs(t->a, refs, 3,
								  ended), 2U);
	KUNIT_EXPECT_TRUE(test, ended[0]);
	KUNIT_EXPECT_FALSE(test, ended[1]);
	KUNIT_EXPECT_TRUE(test, ended[2]);
	/* the ended ones' frames are idle now; the mapped one's is not */
	KUNIT_EXPECT_EQ(test, pvio_gfn_cache_flush(t->a), 2U);
	/* an ended grant cannot be mapped any more */
	pvio_gnttab_set_map_op(&map, GNTMAP_readonly, refs[0], t->a_id);
	pvio_gnttab_map_refs(t->b, &map, NULL, 1);
	KUNIT_EXPECT_NE(test, map.status, GNTST_okay);

	KUNIT_EXPECT_FALSE(test, pvio_gnttab_end_foreign_access_ref(t->a, refs[1]));
	pvio_gnttab_set_unmap_op(&unmap, handle);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_unmap_refs(t->b, &unmap, NULL, 1), 0);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_end_foreign_access_refs(t->a, &refs[1],
								  1, ended), 1U);
	KUNIT_EXPECT_TRUE(test, ended[0]);
	for (i = 0; i < 3; i++)
		pvio_gnttab_free_grant_reference(t->a, refs[i]);
	for (i = 0; i < 3; i++)
		__free_page(page[i]);
}

/*
 * A ring whose refs do not all map (a ref never granted, a read-only
 * grant, which a ring needs writable, the wrong granting domain, a page
 * count out of range): pvio_gnttab_map_ring_refs() refuses it naming the
 * first bad ref, and none of the ring's maps stays, so a device in its
 * error state holds nothing of the frontend's; a ring of good refs maps
 * afterwards and unmaps in one batch.
 */
static void grant_map_ring_refs(struct kunit *test)
{
	struct gt *t = test->priv;
	struct page *page[3], *pages[PVIO_GNTTAB_MAX_RING_REFS + 1] = {};
	grant_handle_t handles[PVIO_GNTTAB_MAX_RING_REFS + 1];
	grant_ref_t ref[3];
	unsigned int bad = 99, i;
	s16 status = GNTST_okay;
	u64 maps0;

	for (i = 0; i < 3; i++) {
		page[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, page[i]);
		/* 0, 1: writable; 2: read-only */
		ref[i] = pvio_gnttab_grant_foreign_access(t->a, t->b_id,
							  pvio_page_to_gfn(t->a, page[i]),
							  i == 2);
		KUNIT_ASSERT_GE(test, ref[i], 8);
	}
	maps0 = pvio_test_grant_maps_of(t->a);
	{
		const grant_ref_t bad_last[3] = { ref[0], ref[1], 0x7ffffff0 };
		const grant_ref_t read_only[2] = { ref[0], ref[2] };
		const grant_ref_t good[2] = { ref[0], ref[1] };

		KUNIT_EXPECT_EQ(test, pvio_gnttab_map_ring_refs(t->b, t->a_id, bad_last, 3,
								pages, handles, &bad,
								&status), -EINVAL);
		KUNIT_EXPECT_EQ(test, bad, 2U);
		KUNIT_EXPECT_NE(test, status, GNTST_okay);
		KUNIT_EXPECT_NULL(test, pages[0]);
		KUNIT_EXPECT_EQ(test, pvio_test_grant_maps_of(t->a), maps0);

		status = GNTST_okay;
		KUNIT_EXPECT_EQ(test, pvio_gnttab_map_ring_refs(t->b, t->a_id, read_only, 2,
								pages, handles, &bad,
								&status), -EINVAL);
		KUNIT_EXPECT_EQ(test, bad, 1U);
		KUNIT_EXPECT_NE(test, status, GNTST_okay);
		KUNIT_EXPECT_EQ(test, pvio_test_grant_maps_of(t->a), maps0);

		/* The wrong granting domain: b's own id. */
		KUNIT_EXPECT_EQ(test, pvio_gnttab_map_ring_refs(t->b, t->b_id, good, 2,
								pages, handles, &bad,
								&status), -EINVAL);
		KUNIT_EXPECT_EQ(test, bad, 0U);
		KUNIT_EXPECT_EQ(test, pvio_gnttab_map_ring_refs(t->b, t->a_id, good, 0,
								pages, handles, &bad,
								&status), -EINVAL);
		KUNIT_EXPECT_EQ(test, pvio_gnttab_map_ring_refs(t->b, t->a_id, good,
								PVIO_GNTTAB_MAX_RING_REFS + 1,
								pages, handles, &bad,
								&status), -EINVAL);
		KUNIT_EXPECT_EQ(test, pvio_test_grant_maps_of(t->a), maps0);

		/* Refused before: a good ring maps, then unmaps to nothing. */
		KUNIT_ASSERT_EQ(test, pvio_gnttab_map_ring_refs(t->b, t->a_id, good, 2,
								pages, handles, &bad,
								&status), 0);
	}
	KUNIT_EXPECT_PTR_EQ(test, pages[0], page[0]);
	KUNIT_EXPECT_PTR_EQ(test, pages[1], page[1]);
	KUNIT_EXPECT_EQ(test, pvio_test_grant_maps_of(t->a), maps0 + 2);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_unmap_ring_refs(t->b, handles, pages, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_unmap_ring_refs(t->b, handles, pages, 2), 0);
	KUNIT_EXPECT_NULL(test, pages[0]);
	KUNIT_EXPECT_NULL(test, pages[1]);
	KUNIT_EXPECT_EQ(test, pvio_test_grant_maps_of(t->a), maps0);
	/* the same handles again: refused, nothing else touched */
	KUNIT_EXPECT_EQ(test, pvio_gnttab_unmap_ring_refs(t->b, handles, NULL, 2), -EIO);
	for (i = 0; i < 3; i++)
		pvio_gnttab_end_foreign_access(t->a, ref[i], page[i]);
}

static struct kunit_case pvio_grant_cases[] = {
	KUNIT_CASE(grant_map_end_access),
	KUNIT_CASE(grant_map_ring_refs),
	KUNIT_CASE(grant_end_batch),
	KUNIT_CASE(grant_references),
	KUNIT_CASE(grant_copy_and_mixed),
	KUNIT_CASE(grant_teardown_while_mapped),
	{}
};

static struct kunit_suite pvio_grant_suite = {
	.name = "pvio_grant",
	.init = grant_test_init,
	.exit = grant_test_exit,
	.test_cases = pvio_grant_cases,
};

/* ---- pvio_grant_faults ------------------------------------------------- */

#define GRF_ROUNDS	100

enum grf_step { GRF_CREATE, GRF_GROW, GRF_GRANT, GRF_REVOKE, GRF_NR_STEPS };

/*
 * One round: two domains with pvio-grant attached; a claims more
 * references than its initial table holds (the table grows), grants a page
 * to b, b maps it, a revokes it while mapped (deferred), b unmaps and the
 * deferred end of access completes. @inject: a mask of BIT(enum
 * grf_step), the steps whose allocations may fail. A failed step returns
 * an error and leaves the free count where it was; a revoke whose deferral
 * cannot be recorded leaks the grant and the page (as Linux) but never
 * frees what b still maps. Returns how many steps failed.
 */
static unsigned int grf_round(struct kunit *test, struct page *page,
			      unsigned int inject)
{
	struct gnttab_map_grant_ref map;
	struct gnttab_unmap_grant_ref unmap;
	struct page *mapped;
	struct gt *t;
	unsigned int free0, failed = 0, i;
	grant_ref_t head;
	xen_pfn_t gfn;
	int rc, ref;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	if (pvio_test_create_pair(test, inject & BIT(GRF_CREATE),
				  "kunit-grf-a", 1, "kunit-grf-b", 1, &t->a,
				  &t->b))
		return 1;
	t->a_id = pvio_domain_id(t->a);
	t->b_id = pvio_domain_id(t->b);

	free0 = pvio_gnttab_free_count(t->a);
	pvio_test_inject(inject & BIT(GRF_GROW));
	rc = pvio_gnttab_alloc_grant_references(t->a, free0 + 600, &head);
	pvio_test_inject(false);
	if (rc) {
		/* The table could not grow: -ENOMEM here, -ENOSPC from Xen's
		 * GNTST_general_error; nothing was taken.
		 */
		KUNIT_EXPECT_TRUE(test, rc == -ENOMEM || rc == -ENOSPC);
		KUNIT_EXPECT_GE(test, pvio_gnttab_free_count(t->a), free0);
		failed++;
	} else {
		pvio_gnttab_free_grant_references(t->a, head);
	}
	free0 = pvio_gnttab_free_count(t->a);

	/*
	 * The page's frame number first, outside the injected window: a
	 * frame that could not be given (PVIO_GFN_INVALID) would be granted
	 * and its map refused, which is not what this step tests.
	 */
	gfn = pvio_page_to_gfn(t->a, page);
	if (gfn == PVIO_GFN_INVALID) {
		KUNIT_FAIL(test, "no frame number for the page");
		goto out_b;
	}
	pvio_test_inject(inject & BIT(GRF_GRANT));
	ref = pvio_gnttab_grant_foreign_access(t->a, t->b_id, gfn, false);
	pvio_test_inject(false);
	if (ref < 0) {
		KUNIT_EXPECT_TRUE(test, ref == -ENOMEM || ref == -ENOSPC);
		failed++;
		goto out_b;
	}
	pvio_gnttab_set_map_op(&map, 0, ref, t->a_id);
	mapped = NULL;
	KUNIT_EXPECT_EQ(test, pvio_gnttab_map_refs(t->b, &map, &mapped, 1), 0);
	KUNIT_EXPECT_PTR_EQ(test, mapped, page);
	if (mapped != page)
		goto out_b;	/* the domains' destruction ends the rest */

	get_page(page);		/* the round's reference, given to the revoke */
	pvio_test_inject(inject & BIT(GRF_REVOKE));
	pvio_gnttab_end_foreign_access(t->a, ref, page);
	pvio_test_inject(false);
	if (!pvio_gnttab_deferred_count(t->a)) {
		/* Leaked, as Linux does: the page is still b's to use. */
		failed++;
		KUNIT_EXPECT_EQ(test, pvio_gnttab_free_count(t->a), free0 - 1);
	}
	/* Still mapped and still intact either way. */
	memset(page_address(mapped), 0x3c, 8);
	KUNIT_EXPECT_EQ(test, ((u8 *)page_address(page))[7], 0x3c);
	pvio_gnttab_set_unmap_op(&unmap, map.handle);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_unmap_refs(t->b, &unmap, &mapped, 1),
			0);
	for (i = 0; i < 200 && pvio_gnttab_deferred_count(t->a); i++)
		msleep(50);
	KUNIT_EXPECT_EQ(test, pvio_gnttab_deferred_count(t->a), 0U);
out_b:
	KUNIT_EXPECT_EQ(test, pvio_domain_destroy(t->b_id), 0);
	KUNIT_EXPECT_EQ(test, pvio_domain_destroy(t->a_id), 0);
	return failed;
}

static void grf_allocations_fail(struct kunit *test)
{
	unsigned int i, failed = 0;
	struct page *page;

	if (!pvio_test_faults_armed())
		kunit_skip(test, "failslab/fail_page_alloc not armed for this task");
	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, page);
	for (i = 0; i < GRF_ROUNDS; i++)
		failed += grf_round(test, page,
				    pvio_test_inject_steps(i, GRF_NR_STEPS));
	kunit_info(test, "%u rounds: %u steps failed as allocations do",
		   GRF_ROUNDS, failed);
	KUNIT_EXPECT_GT(test, failed, 0U);
	KUNIT_EXPECT_EQ(test, grf_round(test, page, 0), 0U);
	/* A leaked revoke keeps its page reference for good, as in Linux. */
	put_page(page);
}

static struct kunit_case pvio_grant_faults_cases[] = {
	KUNIT_CASE(grf_allocations_fail),
	{}
};

static struct kunit_suite pvio_grant_faults_suite = {
	.name = "pvio_grant_faults",
	.test_cases = pvio_grant_faults_cases,
};

kunit_test_suites(&pvio_grant_suite, &pvio_grant_faults_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of pvio-grant");
