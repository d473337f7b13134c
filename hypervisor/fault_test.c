// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvio_hv_faults: the hypervisor's allocations fail at
 * random while domains are created and destroyed, grant tables grown,
 * grants mapped and copied and ports allocated, bound, signalled and
 * closed. failslab and fail_page_alloc are armed by
 * tests/scenarios/kunit.sh in task-filter mode, so only this test's own
 * thread sees failures, and only while it sets current->make_it_fail
 * around a hypercall.
 *
 * Each call must succeed or fail with Xen's answer for an allocation that
 * failed (-ENOMEM, GNTST_general_error for a table that could not grow,
 * GNTST_no_space for a maptrack that could not grow), leave what it had
 * done consistent, and leak nothing: a clean round afterwards must work in
 * full, every pin must be back to zero, every domain destroyable. KASAN,
 * lockdep and kmemleak (scanned at the end of the VM run) watch the rest.
 * Loaded without the fault attributes armed, the suite skips.
 */

#include <kunit/test.h>
#include <linux/gfp.h>
#include <pvio/fault_inject.h>
#include "hv_test.h"
#include <xen/interface/version.h>

#define FT_ROUNDS	200
#define FT_PORTS	150	/* three 64-port buckets of a's ports */
#define FT_BIND		8	/* ports of those b binds and signals */
#define FT_FRAMES	16	/* a's grant table grows from 4 to this */
#define FT_REF		100
#define FT_COPY		4	/* grant copy ops in one multicall */
#define FT_MAPS		600	/* maps of one ref: 4 maptrack chunks */

/* What a call that can fail does. */
enum ft_kind { FT_CREATE, FT_GROW, FT_MAP, FT_PORT, FT_NR_KINDS };

struct ft_stats {
	unsigned int calls;
	unsigned int failed;	/* calls that failed as an allocation does */
	unsigned int failed_kind[FT_NR_KINDS];
};

static void ft_count(struct ft_stats *fs, enum ft_kind kind, bool failed)
{
	fs->calls++;
	if (failed) {
		fs->failed++;
		fs->failed_kind[kind]++;
	}
}

static int ft_evtchn(struct pvio_domain *d, unsigned int cmd, void *arg,
		     bool inject)
{
	int rc;

	pvio_test_inject(inject);
	rc = pvio_event_channel_op(d, cmd, arg);
	pvio_test_inject(false);
	return rc;
}

/* a grows its table; returns the entry of FT_REF (granted by the test). */
static struct grant_entry_v1 *ft_grow(struct kunit *test, struct ft_stats *fs,
				      struct pvio_domain *a, bool inject)
{
	struct gnttab_setup_table st = { .dom = DOMID_SELF };
	struct gnttab_query_size qs = { .dom = DOMID_SELF };
	xen_pfn_t *gfns;
	int rc;

	gfns = kunit_kcalloc(test, FT_FRAMES, sizeof(*gfns), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, gfns);
	st.nr_frames = FT_FRAMES;
	set_xen_guest_handle(st.frame_list, gfns);
	pvio_test_inject(inject);
	rc = pvio_grant_table_op(a, GNTTABOP_setup_table, &st, 1);
	pvio_test_inject(false);
	KUNIT_EXPECT_EQ(test, rc, 0);
	ft_count(fs, FT_GROW, st.status != GNTST_okay);
	if (st.status != GNTST_okay)
		KUNIT_EXPECT_EQ(test, st.status, GNTST_general_error);

	/* Whatever grew stays; nothing beyond the request. */
	KUNIT_EXPECT_EQ(test, pvio_grant_table_op(a, GNTTABOP_query_size,
						  &qs, 1), 0);
	KUNIT_EXPECT_EQ(test, qs.status, GNTST_okay);
	KUNIT_EXPECT_GE(test, qs.nr_frames, 4U);
	KUNIT_EXPECT_LE(test, qs.nr_frames, (u32)FT_FRAMES);
	if (st.status == GNTST_okay)
		KUNIT_EXPECT_EQ(test, qs.nr_frames, (u32)FT_FRAMES);
	return pvio_test_entry(test, a, 1, FT_REF);
}

/*
 * b maps a's FT_REF FT_MAPS times in one hypercall (its maptrack grows by
 * a few chunks), copies from it in one multicall, and unmaps what it got.
 */
static void ft_map_copy(struct kunit *test, struct ft_stats *fs,
			struct pvio_domain *a, struct pvio_domain *b,
			struct page *dst, bool inject)
{
	struct gnttab_map_grant_ref *map;
	struct gnttab_unmap_grant_ref *unmap;
	struct gnttab_copy copy[FT_COPY];
	struct multicall_entry mc[2];
	unsigned int i, mapped = 0;
	int rc;

	map = kunit_kcalloc(test, FT_MAPS, sizeof(*map), GFP_KERNEL);
	unmap = kunit_kcalloc(test, FT_MAPS, sizeof(*unmap), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, map);
	KUNIT_ASSERT_NOT_NULL(test, unmap);
	for (i = 0; i < FT_MAPS; i++)
		pvio_test_map_op(&map[i], pvio_domain_id(a), FT_REF, true);
	pvio_test_inject(inject);
	rc = pvio_grant_table_op(b, GNTTABOP_map_grant_ref, map, FT_MAPS);
	pvio_test_inject(false);
	KUNIT_EXPECT_EQ(test, rc, 0);
	for (i = 0; i < FT_MAPS; i++) {
		if (map[i].status == GNTST_okay) {
			pvio_test_unmap_op(&unmap[mapped++], map[i].handle);
			continue;
		}
		/* Only a maptrack that could not grow fails a map here. */
		KUNIT_EXPECT_EQ(test, map[i].status, GNTST_no_space);
	}
	ft_count(fs, FT_MAP, mapped < FT_MAPS);

	memset(copy, 0, sizeof(copy));
	for (i = 0; i < FT_COPY; i++) {
		copy[i].source.u.ref = FT_REF;
		copy[i].source.domid = pvio_domain_id(a);
		copy[i].source.offset = i * 512;
		copy[i].dest.u.gmfn = pvio_page_to_gfn(b, dst);
		copy[i].dest.domid = DOMID_SELF;
		copy[i].dest.offset = i * 512;
		copy[i].len = 512;
		copy[i].flags = GNTCOPY_source_gref;
		copy[i].status = 1;
	}
	memset(mc, 0, sizeof(mc));
	mc[0].op = __HYPERVISOR_grant_table_op;
	mc[0].args[0] = GNTTABOP_copy;
	mc[0].args[1] = (unsigned long)copy;
	mc[0].args[2] = FT_COPY;
	mc[1].op = __HYPERVISOR_xen_version;
	mc[1].args[0] = XENVER_version;
	pvio_test_inject(inject);
	rc = pvio_multicall(b, mc, ARRAY_SIZE(mc));
	pvio_test_inject(false);
	KUNIT_EXPECT_EQ(test, rc, 0);
	KUNIT_EXPECT_EQ(test, mc[0].result, 0L);
	for (i = 0; i < FT_COPY; i++)
		KUNIT_EXPECT_EQ(test, copy[i].status, GNTST_okay);
	KUNIT_EXPECT_EQ(test, *(u8 *)page_address(dst), 0x5a);

	if (mapped) {
		pvio_test_inject(inject);
		rc = pvio_grant_table_op(b, GNTTABOP_unmap_grant_ref, unmap,
					 mapped);
		pvio_test_inject(false);
		KUNIT_EXPECT_EQ(test, rc, 0);
		for (i = 0; i < mapped; i++)
			KUNIT_EXPECT_EQ(test, unmap[i].status, GNTST_okay);
	}
}

/* a offers FT_PORTS ports to b; b binds FT_BIND of them and signals. */
static void ft_ports(struct kunit *test, struct ft_stats *fs,
		     struct pvio_domain *a, struct pvio_domain *b, bool inject)
{
	evtchn_port_t *ports, lport;
	unsigned int i, nr = 0, bound = 0;
	int rc;

	ports = kunit_kcalloc(test, FT_PORTS, sizeof(*ports), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ports);
	for (i = 0; i < FT_PORTS; i++) {
		struct evtchn_alloc_unbound au = {
			.dom = DOMID_SELF, .remote_dom = pvio_domain_id(b),
		};

		rc = ft_evtchn(a, EVTCHNOP_alloc_unbound, &au, inject);
		ft_count(fs, FT_PORT, rc);
		if (rc) {
			KUNIT_EXPECT_EQ(test, rc, -ENOMEM);
			continue;
		}
		ports[nr++] = au.port;
	}
	for (i = 0; i < nr && bound < FT_BIND; i++) {
		struct evtchn_bind_interdomain bi = {
			.remote_dom = pvio_domain_id(a),
			.remote_port = ports[i],
		};
		struct evtchn_send send;

		rc = ft_evtchn(b, EVTCHNOP_bind_interdomain, &bi, inject);
		ft_count(fs, FT_PORT, rc);
		if (rc) {
			KUNIT_EXPECT_EQ(test, rc, -ENOMEM);
			continue;
		}
		lport = bi.local_port;
		bound++;
		send.port = lport;
		KUNIT_EXPECT_EQ(test, ft_evtchn(b, EVTCHNOP_send, &send,
						inject), 0);
		send.port = ports[i];
		KUNIT_EXPECT_EQ(test, ft_evtchn(a, EVTCHNOP_send, &send,
						inject), 0);
		/* Every other binding closed from b's side, its peer unbound. */
		if (bound % 2) {
			struct evtchn_close cl = { .port = lport };
			struct evtchn_status es = {
				.dom = DOMID_SELF, .port = ports[i],
			};

			KUNIT_EXPECT_EQ(test, ft_evtchn(b, EVTCHNOP_close, &cl,
							inject), 0);
			KUNIT_EXPECT_EQ(test, ft_evtchn(a, EVTCHNOP_status,
							&es, inject), 0);
			KUNIT_EXPECT_EQ(test, es.status,
					(u32)EVTCHNSTAT_unbound);
		}
	}
	/* Close half of a's ports; the domain's destruction closes the rest. */
	for (i = 0; i < nr; i += 2) {
		struct evtchn_close cl = { .port = ports[i] };

		KUNIT_EXPECT_EQ(test, ft_evtchn(a, EVTCHNOP_close, &cl, inject),
				0);
	}
	if (!inject)
		KUNIT_EXPECT_EQ(test, bound, (unsigned int)FT_BIND);
}

/*
 * One round; @inject: a mask of BIT(enum ft_kind), the steps whose
 * allocations may fail (destruction too when any is set).
 */
static void ft_round(struct kunit *test, struct ft_stats *fs,
		     struct page *src, struct page *dst, unsigned int inject)
{
	struct pvio_domain *a, *b;
	struct grant_entry_v1 *e;
	domid_t a_id, b_id;
	int rc;

	rc = pvio_test_create_pair(test, inject & BIT(FT_CREATE), "kfault-a", 2,
				   "kfault-b", 1, &a, &b);
	/* b is tried only once a exists */
	ft_count(fs, FT_CREATE, IS_ERR(a));
	if (!IS_ERR(a))
		ft_count(fs, FT_CREATE, IS_ERR(b));
	if (rc)
		return;
	a_id = pvio_domain_id(a);
	b_id = pvio_domain_id(b);

	e = ft_grow(test, fs, a, inject & BIT(FT_GROW));
	KUNIT_EXPECT_NOT_NULL(test, e);
	if (e) {
		pvio_test_grant(e, b_id, pvio_page_to_gfn(a, src),
				GTF_permit_access | GTF_readonly);
		memset(page_address(dst), 0, PAGE_SIZE);
		ft_map_copy(test, fs, a, b, dst,
			    inject & BIT(FT_MAP));
		/* Every pin is gone: a can end its grant. */
		KUNIT_EXPECT_TRUE(test, pvio_test_end_access(e));
	}
	ft_ports(test, fs, a, b, inject & BIT(FT_PORT));

	/* Destruction allocates nothing that can fail it. */
	pvio_test_inject(inject);
	rc = pvio_domain_destroy(b_id);
	pvio_test_inject(false);
	KUNIT_EXPECT_EQ(test, rc, 0);
	pvio_test_inject(inject);
	rc = pvio_domain_destroy(a_id);
	pvio_test_inject(false);
	KUNIT_EXPECT_EQ(test, rc, 0);
	KUNIT_EXPECT_EQ(test, pvio_domain_destroy(a_id), -ESRCH);
	KUNIT_EXPECT_EQ(test, pvio_domain_destroy(b_id), -ESRCH);
}

static void ft_allocations_fail(struct kunit *test)
{
	struct ft_stats clean = {}, faulty = {};
	struct page *src, *dst;
	unsigned int i;

	if (!pvio_test_faults_armed())
		kunit_skip(test, "failslab/fail_page_alloc not armed for this task");

	src = alloc_page(GFP_KERNEL);
	dst = alloc_page(GFP_KERNEL);
	if (!src || !dst) {
		__free_page(src);
		__free_page(dst);
		KUNIT_FAIL(test, "no test pages");
		return;
	}
	memset(page_address(src), 0x5a, PAGE_SIZE);

	for (i = 0; i < FT_ROUNDS; i++)
		ft_round(test, &faulty, src, dst,
			 pvio_test_inject_steps(i, FT_NR_KINDS));
	/* The failures left nothing behind that stops a clean round. */
	ft_round(test, &clean, src, dst, 0);

	kunit_info(test, "%u rounds: %u of %u calls failed as allocations do (create %u, grow %u, map %u, port %u)",
		   FT_ROUNDS, faulty.failed, faulty.calls,
		   faulty.failed_kind[FT_CREATE], faulty.failed_kind[FT_GROW],
		   faulty.failed_kind[FT_MAP], faulty.failed_kind[FT_PORT]);
	KUNIT_EXPECT_GT(test, faulty.failed, 0U);
	KUNIT_EXPECT_LT(test, faulty.failed, faulty.calls);
	KUNIT_EXPECT_EQ(test, clean.failed, 0U);
	KUNIT_EXPECT_GT(test, clean.calls, 0U);
	__free_page(src);
	__free_page(dst);
}

static struct kunit_case pvio_hv_faults_cases[] = {
	KUNIT_CASE(ft_allocations_fail),
	{}
};

static struct kunit_suite pvio_hv_faults_suite = {
	.name = "pvio_hv_faults",
	.test_cases = pvio_hv_faults_cases,
};

kunit_test_suite(pvio_hv_faults_suite);
