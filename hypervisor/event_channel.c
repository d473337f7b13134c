// SPDX-License-Identifier: GPL-2.0
/*
 * pvio hypervisor: event channels. STUB so the module builds; the event
 * channel engineer replaces this file.
 */

#include "internal.h"

int pvio_evtchn_domain_init(struct pvio_domain *d)
{
	return 0;
}

void pvio_evtchn_domain_destroy(struct pvio_domain *d)
{
}

long pvio_do_event_channel_op(struct pvio_domain *caller, unsigned int cmd,
			      unsigned long arg)
{
	return -XEN_ENOSYS;
}

void pvio_send_guest_virq(struct pvio_domain *d, unsigned int virq)
{
}

void pvio_send_guest_pirq(struct pvio_domain *d, unsigned int pirq)
{
}
