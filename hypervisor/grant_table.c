// SPDX-License-Identifier: GPL-2.0
/* pvio hypervisor: grant tables (temporary stub). */

#include "internal.h"

int pvio_gnttab_domain_init(struct pvio_domain *d)
{
	return 0;
}

void pvio_gnttab_domain_destroy(struct pvio_domain *d)
{
}

long pvio_do_grant_table_op(struct pvio_domain *caller, unsigned int cmd,
			    unsigned long uop, unsigned int count)
{
	return -ENOSYS;
}
