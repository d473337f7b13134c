// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvio_grant: the guest-side grant API of pvio-grant.ko, with
 * two domUs (a grants, b maps).
 */

#include <kunit/test.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/err.h>
#include <linux/delay.h>
#include <linux/string.h>
#include <pvio/hypervisor.h>
#include <pvio/grant.h>

struct gt {
	struct pvio_domain *a, *b;
	domid_t a_id, b_id;
};

static int grant_test_init(struct kunit *test)
{
	struct gt *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->a = pvio_domain_create("kunit-grant-a", 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->a));
	t->b = pvio_domain_create("kunit-grant-b", 1);
	if (IS_ERR(t->b))
		pvio_domain_destroy(pvio_domain_id(t->a));
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->b));
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

	/* The deferred work ends the grant (every 100 ms). */
	for (i = 0; i < 50 && pvio_gnttab_deferred_count(t->a); i++)
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

static struct kunit_case pvio_grant_cases[] = {
	KUNIT_CASE(grant_map_end_access),
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

kunit_test_suite(pvio_grant_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of pvio-grant");
