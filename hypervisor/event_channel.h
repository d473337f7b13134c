/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio hypervisor: declarations shared by event_channel.c, sched.c and
 * physdev.c only (the rest of the hypervisor uses internal.h).
 */
#ifndef PVIO_HV_EVENT_CHANNEL_H
#define PVIO_HV_EVENT_CHANNEL_H

#include "internal.h"

/* 2-level ABI: 64 x 64 ports on 64-bit. */
#define PVIO_EVTCHN_NR_PORTS	EVTCHN_2L_NR_CHANNELS
/* PIRQs a domain may have mapped. */
#define PVIO_NR_PIRQS		256

/* event_channel.c */
bool pvio_hv_evtchn_is_pending(struct pvio_domain *d, evtchn_port_t port);
void pvio_hv_evtchn_poll_enter(struct pvio_domain *d);
void pvio_hv_evtchn_poll_exit(struct pvio_domain *d);

/* physdev.c, called by event_channel.c under its control mutex */
bool pvio_hv_pirq_is_mapped(struct pvio_domain *d, unsigned int pirq);
evtchn_port_t pvio_hv_pirq_evtchn(struct pvio_domain *d, unsigned int pirq);
int pvio_hv_pirq_bind(struct pvio_domain *d, unsigned int pirq,
		      evtchn_port_t port);
void pvio_hv_pirq_unbind(struct pvio_domain *d, unsigned int pirq,
			 evtchn_port_t port);

#endif /* PVIO_HV_EVENT_CHANNEL_H */
