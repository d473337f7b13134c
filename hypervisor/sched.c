// SPDX-License-Identifier: GPL-2.0
/*
 * pvio hypervisor: sched_op. STUB so the module builds; the event channel
 * engineer replaces this file.
 */

#include "internal.h"

long pvio_do_sched_op(struct pvio_domain *caller, int cmd, unsigned long arg)
{
	return -XEN_ENOSYS;
}
