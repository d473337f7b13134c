/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Allocation fault injection for the KUnit suites. tests/scenarios/kunit.sh
 * arms failslab and fail_page_alloc in task-filter mode (5% of the
 * allocations of a task whose make_it_fail is set, sleeping ones
 * included); a suite sets make_it_fail on its own thread around the calls
 * under test only, never around KUnit's own allocations. The two-domain
 * fixture, injected or not: include/pvio/kunit_pair.h.
 */
#ifndef PVIO_FAULT_INJECT_H
#define PVIO_FAULT_INJECT_H

#include <linux/bits.h>
#include <linux/sched.h>
#include <linux/slab.h>

/* Let (or stop letting) the current task's allocations fail. */
static inline void pvio_test_inject(bool on)
{
#ifdef CONFIG_FAULT_INJECTION
	current->make_it_fail = on;
#endif
}

/*
 * Are failures armed for this task? 200 tries at 5% miss with a chance
 * of 4 in 100000.
 */
static inline bool pvio_test_faults_armed(void)
{
	unsigned int i, failed = 0;
	void *p;

	if (!IS_ENABLED(CONFIG_FAULT_INJECTION))
		return false;
	for (i = 0; i < 200; i++) {
		pvio_test_inject(true);
		p = kmalloc(64, GFP_KERNEL);
		pvio_test_inject(false);
		if (!p)
			failed++;
		kfree(p);
	}
	return failed;
}

/*
 * Which steps of round @round may fail, as a mask of BIT(step) over
 * @nr_steps steps: each step alone in turn, then all of them, and again.
 */
static inline unsigned int pvio_test_inject_steps(unsigned int round,
						  unsigned int nr_steps)
{
	unsigned int k = round % (nr_steps + 1);

	return k == nr_steps ? BIT(nr_steps) - 1 : BIT(k);
}

#endif /* PVIO_FAULT_INJECT_H */
