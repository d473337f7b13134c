// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites pvio_multicall and pvio_hv_hypercall: the multicall semantics
 * of Xen's common/multicall.c and hypercall argument validation.
 */

#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/limits.h>
#include "hv_test.h"
#include <xen/interface/version.h>

static void mc_set(struct multicall_entry *mc, unsigned long op,
		   unsigned long a0, unsigned long a1, unsigned long a2)
{
	memset(mc, 0, sizeof(*mc));
	mc->op = op;
	mc->args[0] = a0;
	mc->args[1] = a1;
	mc->args[2] = a2;
	mc->result = 12345;	/* must be overwritten */
}

/* Entries run in order: a later entry sees an earlier one's effect. */
static void mc_order_and_results(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 6 };
	struct gnttab_query_size qs1 = { .dom = DOMID_SELF };
	struct gnttab_query_size qs2 = { .dom = DOMID_SELF };
	struct pvio_domain_stats *s0 = pvio_test_stats(test);
	struct pvio_domain_stats *s1 = pvio_test_stats(test);
	struct multicall_entry mc[4];
	xen_pfn_t gfns[6];

	set_xen_guest_handle(st.frame_list, gfns);
	mc_set(&mc[0], __HYPERVISOR_grant_table_op, GNTTABOP_query_size,
	       (unsigned long)&qs1, 1);
	mc_set(&mc[1], __HYPERVISOR_grant_table_op, GNTTABOP_setup_table,
	       (unsigned long)&st, 1);
	mc_set(&mc[2], __HYPERVISOR_grant_table_op, GNTTABOP_query_size,
	       (unsigned long)&qs2, 1);
	mc_set(&mc[3], __HYPERVISOR_xen_version, XENVER_version, 0, 0);

	pvio_domain_get_stats(t->a, s0);
	KUNIT_ASSERT_EQ(test, pvio_multicall(t->a, mc, 4), 0);
	KUNIT_EXPECT_EQ(test, mc[0].result, 0L);
	KUNIT_EXPECT_EQ(test, mc[1].result, 0L);
	KUNIT_EXPECT_EQ(test, mc[2].result, 0L);
	KUNIT_EXPECT_EQ(test, mc[3].result, (long)((4 << 16) | 17));
	KUNIT_EXPECT_EQ(test, qs1.nr_frames, 4U);
	KUNIT_EXPECT_EQ(test, st.status, GNTST_okay);
	KUNIT_EXPECT_EQ(test, qs2.nr_frames, 6U);

	pvio_domain_get_stats(t->a, s1);
	KUNIT_EXPECT_EQ(test, s1->multicall_entries - s0->multicall_entries,
			4ULL);
	KUNIT_EXPECT_EQ(test, s1->hypercalls[__HYPERVISOR_multicall] -
			s0->hypercalls[__HYPERVISOR_multicall], 1ULL);
	KUNIT_EXPECT_EQ(test, s1->hypercalls[__HYPERVISOR_grant_table_op] -
			s0->hypercalls[__HYPERVISOR_grant_table_op], 3ULL);
}

/* A failing middle entry does not stop the others. */
static void mc_failing_middle(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct gnttab_query_size qs = { .dom = DOMID_SELF };
	struct gnttab_map_grant_ref map;
	struct multicall_entry mc[5];

	pvio_test_map_op(&map, t->a_id, 1 << 20, true);
	mc_set(&mc[0], __HYPERVISOR_xen_version, XENVER_pagesize, 0, 0);
	mc_set(&mc[1], 63, 0, 0, 0);			/* unknown op */
	mc_set(&mc[2], __HYPERVISOR_grant_table_op, 77, 0, 1);	/* bad cmd */
	mc_set(&mc[3], __HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref,
	       (unsigned long)&map, 1);		/* runs, op fails */
	mc_set(&mc[4], __HYPERVISOR_grant_table_op, GNTTABOP_query_size,
	       (unsigned long)&qs, 1);

	KUNIT_ASSERT_EQ(test, pvio_multicall(t->b, mc, 5), 0);
	KUNIT_EXPECT_EQ(test, mc[0].result, 4096L);
	KUNIT_EXPECT_EQ(test, mc[1].result, (long)-XEN_ENOSYS);
	KUNIT_EXPECT_EQ(test, mc[2].result, (long)-XEN_ENOSYS);
	KUNIT_EXPECT_EQ(test, mc[3].result, 0L);
	KUNIT_EXPECT_EQ(test, map.status, GNTST_bad_gntref);
	KUNIT_EXPECT_EQ(test, mc[4].result, 0L);
	KUNIT_EXPECT_EQ(test, qs.status, GNTST_okay);
}

/* Xen: "Multicall reentry is disallowed." */
static void mc_nested_rejected(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct multicall_entry inner, mc[3];

	mc_set(&inner, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
	mc_set(&mc[0], __HYPERVISOR_xen_version, XENVER_version, 0, 0);
	mc_set(&mc[1], __HYPERVISOR_multicall, (unsigned long)&inner, 1, 0);
	mc_set(&mc[2], __HYPERVISOR_xen_version, XENVER_version, 0, 0);
	KUNIT_ASSERT_EQ(test, pvio_multicall(t->a, mc, 3), 0);
	KUNIT_EXPECT_EQ(test, mc[0].result, (long)((4 << 16) | 17));
	KUNIT_EXPECT_EQ(test, mc[1].result, (long)-EINVAL);
	KUNIT_EXPECT_EQ(test, inner.result, 12345L);	/* never ran */
	KUNIT_EXPECT_EQ(test, mc[2].result, (long)((4 << 16) | 17));
}

static void mc_bad_lists(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct multicall_entry mc;

	mc_set(&mc, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
	KUNIT_EXPECT_EQ(test, pvio_multicall(t->a, &mc, 0), 0);
	KUNIT_EXPECT_EQ(test, mc.result, 12345L);
	KUNIT_EXPECT_EQ(test, pvio_multicall(t->a, NULL, 1), -EFAULT);
	/* a list that would wrap the address space */
	KUNIT_EXPECT_EQ(test, pvio_hv_hypercall(t->a, __HYPERVISOR_multicall,
						ULONG_MAX - 63, 2, 0, 0, 0),
			(long)-EFAULT);
	KUNIT_EXPECT_EQ(test, pvio_hv_hypercall(t->a, __HYPERVISOR_multicall,
						(unsigned long)&mc, 1UL << 40, 0,
						0, 0), (long)-EINVAL);
}

/* Grant copies in a multicall from IRQ-off context: nothing sleeps. */
static void mc_atomic(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct page *src = alloc_page(GFP_KERNEL | __GFP_ZERO);
	struct page *dst = alloc_page(GFP_KERNEL | __GFP_ZERO);
	struct grant_entry_v1 *e = pvio_test_entry(test, t->a, 4, 200);
	struct gnttab_copy c[2];
	struct multicall_entry mc[2];
	unsigned long flags;

	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	KUNIT_ASSERT_NOT_NULL(test, e);
	memset(page_address(src), 0x3c, PAGE_SIZE);
	pvio_test_grant(e, t->b_id, pvio_page_to_gfn(t->a, src),
			GTF_permit_access | GTF_readonly);
	memset(c, 0, sizeof(c));
	c[0].source.u.ref = 200;
	c[0].source.domid = t->a_id;
	c[0].dest.u.gmfn = pvio_page_to_gfn(t->b, dst);
	c[0].dest.domid = DOMID_SELF;
	c[0].len = 2048;
	c[0].flags = GNTCOPY_source_gref;
	c[1] = c[0];
	c[1].source.offset = 2048;
	c[1].dest.offset = 2048;
	mc_set(&mc[0], __HYPERVISOR_grant_table_op, GNTTABOP_copy,
	       (unsigned long)&c[0], 1);
	mc_set(&mc[1], __HYPERVISOR_grant_table_op, GNTTABOP_copy,
	       (unsigned long)&c[1], 1);
	local_irq_save(flags);
	KUNIT_EXPECT_EQ(test, pvio_multicall(t->b, mc, 2), 0);
	local_irq_restore(flags);
	KUNIT_EXPECT_EQ(test, mc[0].result, 0L);
	KUNIT_EXPECT_EQ(test, mc[1].result, 0L);
	KUNIT_EXPECT_EQ(test, c[0].status, GNTST_okay);
	KUNIT_EXPECT_EQ(test, c[1].status, GNTST_okay);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(page_address(dst), 0x3c,
					    PAGE_SIZE));
	KUNIT_EXPECT_TRUE(test, pvio_test_end_access(e));
	__free_page(src);
	__free_page(dst);
}

static struct kunit_case pvio_hv_multicall_cases[] = {
	KUNIT_CASE(mc_order_and_results),
	KUNIT_CASE(mc_failing_middle),
	KUNIT_CASE(mc_nested_rejected),
	KUNIT_CASE(mc_bad_lists),
	KUNIT_CASE(mc_atomic),
	{}
};

static struct kunit_suite pvio_hv_multicall_suite = {
	.name = "pvio_hv_multicall",
	.init = pvio_test_doms_init,
	.exit = pvio_test_doms_exit,
	.test_cases = pvio_hv_multicall_cases,
};

/* ---- pvio_hv_hypercall --------------------------------------------------- */

static void hc_unknown(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct pvio_domain_stats *s0 = pvio_test_stats(test);
	struct pvio_domain_stats *s1 = pvio_test_stats(test);

	pvio_domain_get_stats(t->a, s0);
	KUNIT_EXPECT_EQ(test, pvio_hv_hypercall(t->a, __HYPERVISOR_memory_op,
						0, 0, 0, 0, 0),
			(long)-XEN_ENOSYS);
	KUNIT_EXPECT_EQ(test, pvio_hv_hypercall(t->a, 63, 0, 0, 0, 0, 0),
			(long)-XEN_ENOSYS);
	KUNIT_EXPECT_EQ(test, pvio_hv_hypercall(t->a, 64, 0, 0, 0, 0, 0),
			(long)-XEN_ENOSYS);
	KUNIT_EXPECT_EQ(test, pvio_hv_hypercall(t->a, ULONG_MAX, 0, 0, 0, 0, 0),
			(long)-XEN_ENOSYS);
	KUNIT_EXPECT_EQ(test, pvio_hv_hypercall(NULL, __HYPERVISOR_xen_version,
						0, 0, 0, 0, 0), (long)-ESRCH);
	pvio_domain_get_stats(t->a, s1);
	KUNIT_EXPECT_EQ(test, s1->hypercalls[__HYPERVISOR_memory_op] -
			s0->hypercalls[__HYPERVISOR_memory_op], 1ULL);
	KUNIT_EXPECT_EQ(test, s1->hypercalls[63] - s0->hypercalls[63], 1ULL);
}

static void hc_xen_version(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct xen_extraversion ev = {};
	struct xen_feature_info fi = { .submap_idx = 0, .submap = ~0U };

	KUNIT_EXPECT_EQ(test, pvio_hv_hypercall(t->a, __HYPERVISOR_xen_version,
						XENVER_version, 0, 0, 0, 0),
			(long)((4 << 16) | 17));
	KUNIT_EXPECT_EQ(test, pvio_hv_hypercall(t->a, __HYPERVISOR_xen_version,
						XENVER_extraversion,
						(unsigned long)&ev, 0, 0, 0),
			0L);
	KUNIT_EXPECT_STREQ(test, ev.extraversion, ".0-pvio");
	KUNIT_EXPECT_EQ(test, pvio_hv_hypercall(t->a, __HYPERVISOR_xen_version,
						XENVER_get_features,
						(unsigned long)&fi, 0, 0, 0),
			0L);
	KUNIT_EXPECT_EQ(test, fi.submap, 0U);
	fi.submap_idx = 1;
	KUNIT_EXPECT_EQ(test, pvio_hv_hypercall(t->a, __HYPERVISOR_xen_version,
						XENVER_get_features,
						(unsigned long)&fi, 0, 0, 0),
			(long)-EINVAL);
	KUNIT_EXPECT_EQ(test, pvio_hv_hypercall(t->a, __HYPERVISOR_xen_version,
						XENVER_extraversion, 0, 0, 0, 0),
			(long)-EFAULT);
	KUNIT_EXPECT_EQ(test, pvio_hv_hypercall(t->a, __HYPERVISOR_xen_version,
						XENVER_commandline, 0, 0, 0, 0),
			(long)-XEN_ENOSYS);
}

static void hc_grant_table_args(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct gnttab_query_size qs[2] = { { .dom = DOMID_SELF } };
	struct gnttab_map_grant_ref map;
	struct gnttab_set_version sv = { .version = 2 };
	struct gnttab_get_version gv = { .dom = DOMID_SELF };

	/* unknown / unimplemented commands */
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, 99, qs, 1), -XEN_ENOSYS);
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_transfer,
						  qs, 1), -XEN_ENOSYS);
	KUNIT_EXPECT_EQ(test, pvio_hv_hypercall(t->a, __HYPERVISOR_grant_table_op,
						1UL << 32, (unsigned long)qs,
						1, 0, 0), (long)-XEN_ENOSYS);

	/* counts: negative (as int), more than one for a single-op command */
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_map_grant_ref,
						  &map, UINT_MAX), -EINVAL);
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_copy,
						  &map, 0x80000000U), -EINVAL);
	KUNIT_EXPECT_EQ(test, pvio_hv_hypercall(t->a, __HYPERVISOR_grant_table_op,
						GNTTABOP_map_grant_ref,
						(unsigned long)&map, 1UL << 32,
						0, 0), (long)-EINVAL);
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_query_size,
						  qs, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_query_size,
						  qs, 0), -EINVAL);
	/* zero ops: nothing to do */
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_map_grant_ref,
						  &map, 0), 0);

	/* bad addresses: NULL, user, wrapping */
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_query_size,
						  NULL, 1), -EFAULT);
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_map_grant_ref,
						  (void *)0x1000, 1), -EFAULT);
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_map_grant_ref,
						  (void *)(ULONG_MAX - 32), 2),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_copy,
						  (void *)(ULONG_MAX & PAGE_MASK),
						  0x7fffffff), -EFAULT);

	/* domids */
	qs[0].dom = NO_DOMID;
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_query_size,
						  qs, 1), 0);
	KUNIT_EXPECT_EQ(test, qs[0].status, GNTST_bad_domain);
	qs[0].dom = DOMID_IO;
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_query_size,
						  qs, 1), 0);
	KUNIT_EXPECT_EQ(test, qs[0].status, GNTST_bad_domain);
	qs[0].dom = t->b_id;
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_query_size,
						  qs, 1), 0);
	KUNIT_EXPECT_EQ(test, qs[0].status, GNTST_permission_denied);

	/* versions: only v1 */
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_set_version,
						  &sv, 1), -XEN_ENOSYS);
	KUNIT_EXPECT_EQ(test, sv.version, 1U);
	sv.version = 3;
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_set_version,
						  &sv, 1), -EINVAL);
	sv.version = 1;
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_set_version,
						  &sv, 1), 0);
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_get_version,
						  &gv, 1), 0);
	KUNIT_EXPECT_EQ(test, gv.version, 1U);
	gv.dom = NO_DOMID;
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(t->a, GNTTABOP_get_version,
						  &gv, 1), -ESRCH);
}

static void hc_domains(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct pvio_domain *d;

	KUNIT_EXPECT_NE(test, t->a_id, 0);
	KUNIT_EXPECT_NE(test, t->a_id, t->b_id);
	KUNIT_EXPECT_LE(test, t->a_id, PVIO_MAX_DOMID);
	KUNIT_EXPECT_STREQ(test, pvio_domain_name(t->a), "kunit-a");
	KUNIT_EXPECT_EQ(test, pvio_domain_nr_vcpus(t->b), 2U);
	KUNIT_EXPECT_TRUE(test, cpu_online(pvio_vcpu_cpu(t->b, 1)));
	KUNIT_EXPECT_NOT_NULL(test, pvio_domain_shared_info(t->a));
	KUNIT_EXPECT_EQ(test, pvio_domain_id(pvio_dom0()), 0);
	KUNIT_EXPECT_EQ(test, pvio_domain_destroy(0), -EPERM);
	KUNIT_EXPECT_EQ(test, pvio_domain_destroy(PVIO_MAX_DOMID + 1), -ESRCH);
	d = pvio_domain_create("bad", 0);
	KUNIT_EXPECT_TRUE(test, IS_ERR(d) && PTR_ERR(d) == -EINVAL);
	d = pvio_domain_create("bad", PVIO_MAX_VCPUS + 1);
	KUNIT_EXPECT_TRUE(test, IS_ERR(d) && PTR_ERR(d) == -EINVAL);
}

static struct kunit_case pvio_hv_hypercall_cases[] = {
	KUNIT_CASE(hc_unknown),
	KUNIT_CASE(hc_xen_version),
	KUNIT_CASE(hc_grant_table_args),
	KUNIT_CASE(hc_domains),
	{}
};

static struct kunit_suite pvio_hv_hypercall_suite = {
	.name = "pvio_hv_hypercall",
	.init = pvio_test_doms_init,
	.exit = pvio_test_doms_exit,
	.test_cases = pvio_hv_hypercall_cases,
};

kunit_test_suites(&pvio_hv_multicall_suite, &pvio_hv_hypercall_suite);
