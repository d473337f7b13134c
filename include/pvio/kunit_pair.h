/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The two-domain fixture of the KUnit suites: every suite that needs a
 * pair of domUs (a grants or binds, b maps or binds to a) creates them
 * here, with or without allocation failures injected
 * (include/pvio/fault_inject.h), and reads their grant maps here.
 */
#ifndef PVIO_KUNIT_PAIR_H
#define PVIO_KUNIT_PAIR_H

#include <kunit/test.h>
#include <linux/err.h>
#include <pvio/fault_inject.h>
#include <pvio/hypervisor.h>

/*
 * Create domain @name_a (@vcpus_a vCPUs), then @name_b (@vcpus_b vCPUs),
 * with allocation failures injected (@inject) or not. A creation may fail
 * only with -ENOMEM (expected here); a, if created, is then destroyed
 * again. Returns 0 with *@a and *@b set, or 1 (one creation failed). A
 * fixture that must have both asserts the 0.
 */
static inline unsigned int pvio_test_create_pair(struct kunit *test,
						 bool inject,
						 const char *name_a,
						 unsigned int vcpus_a,
						 const char *name_b,
						 unsigned int vcpus_b,
						 struct pvio_domain **a,
						 struct pvio_domain **b)
{
	pvio_test_inject(inject);
	*a = pvio_domain_create(name_a, vcpus_a);
	pvio_test_inject(false);
	if (IS_ERR(*a)) {
		KUNIT_EXPECT_EQ(test, PTR_ERR(*a), -ENOMEM);
		return 1;
	}
	pvio_test_inject(inject);
	*b = pvio_domain_create(name_b, vcpus_b);
	pvio_test_inject(false);
	if (IS_ERR(*b)) {
		KUNIT_EXPECT_EQ(test, PTR_ERR(*b), -ENOMEM);
		KUNIT_EXPECT_EQ(test, pvio_domain_destroy(pvio_domain_id(*a)),
				0);
		return 1;
	}
	return 0;
}

/* The live maps of @d's grants by other domains now (its stats). */
static inline u64 pvio_test_grant_maps_of(const struct pvio_domain *d)
{
	struct pvio_domain_stats st;

	pvio_domain_get_stats(d, &st);
	return st.grant_maps_granted;
}

#endif /* PVIO_KUNIT_PAIR_H */
