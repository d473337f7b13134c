// SPDX-License-Identifier: GPL-2.0
/*
 * pvio hypervisor: physdev_op and PIRQs. STUB so the module builds; the
 * event channel engineer replaces this file.
 */

#include "internal.h"

int pvio_pirq_domain_init(struct pvio_domain *d)
{
	return 0;
}

void pvio_pirq_domain_destroy(struct pvio_domain *d)
{
}

long pvio_do_physdev_op(struct pvio_domain *caller, int cmd, unsigned long arg)
{
	return -XEN_ENOSYS;
}
