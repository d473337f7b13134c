// SPDX-License-Identifier: GPL-2.0
/*
 * pvio hypervisor: __HYPERVISOR_multicall, as Xen's common/multicall.c.
 */

#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include "internal.h"

/*
 * Run @nr entries of struct multicall_entry at guest address @entries, in
 * order. Each entry is copied in, dispatched (a nested multicall gets
 * -EINVAL, unknown ops -ENOSYS) and its result written back; a failing
 * entry does not stop the others. Between entries, cond_resched() when
 * the caller is preemptible (Xen preempts long lists with a continuation).
 * Returns 0, or -EFAULT if the list cannot be read or written (entries
 * before the bad one have run).
 */
long pvio_hv_do_multicall(struct pvio_domain *caller, unsigned long entries,
			  unsigned int nr)
{
	struct multicall_entry mc;
	unsigned long addr, size;
	unsigned int i;

	if (check_mul_overflow((unsigned long)nr, sizeof(mc), &size) ||
	    check_add_overflow(entries, size, &addr))
		return -EFAULT;

	for (i = 0; i < nr; i++) {
		addr = entries + (unsigned long)i * sizeof(mc);
		if (pvio_hv_copy_from_guest(caller, &mc, addr, sizeof(mc)))
			return -EFAULT;
		pvio_hv_count(caller, multicall_entries);
		mc.result = pvio_hv_do_hypercall(caller, mc.op, mc.args[0],
						 mc.args[1], mc.args[2],
						 mc.args[3], mc.args[4], true);
		if (pvio_hv_copy_to_guest(caller,
					  addr + offsetof(struct multicall_entry,
						       result),
					  &mc.result, sizeof(mc.result)))
			return -EFAULT;
		if (preemptible())
			cond_resched();
	}
	return 0;
}
