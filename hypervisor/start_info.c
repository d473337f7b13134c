// SPDX-License-Identifier: GPL-2.0
/*
 * pvio hypervisor: the part of Xen's start_info a pvio domain needs, the
 * store ring's frame and event channel (start_info.store_mfn and
 * store_evtchn). The domain's guest side records them when it sets its
 * store ring up; dom0's store server reads them to map the ring and bind
 * the port, as xenstored does with what XS_INTRODUCE names.
 */

#include <linux/spinlock.h>
#include "internal.h"

static DEFINE_SPINLOCK(pvio_hv_start_info_lock);
static struct {
	xen_pfn_t store_gfn;
	evtchn_port_t store_port;
	bool valid;
} pvio_hv_start_info[PVIO_MAX_DOMID + 1];

/**
 * pvio_domain_set_store() - record a domain's store ring (start_info)
 * @d: the domain (the caller's own)
 * @gfn: frame of its 4 KiB store ring page (struct
 *	xenstore_domain_interface), in @d's memory model; 0 clears the entry
 * @port: its end of the store event channel, an unbound port dom0 may bind
 *
 * Xen fills start_info.store_mfn/store_evtchn when it builds the domain;
 * in pvio the domain's guest side allocates both and records them here
 * before its first store request.
 *
 * Context: any; takes a spinlock.
 * Return: 0, -EINVAL if @gfn is not a valid frame of @d.
 */
int pvio_domain_set_store(struct pvio_domain *d, xen_pfn_t gfn,
			  evtchn_port_t port)
{
	unsigned long mfn;

	if (gfn && !pvio_hv_gfn_to_mfn(d, gfn, &mfn))
		return -EINVAL;
	spin_lock(&pvio_hv_start_info_lock);
	pvio_hv_start_info[d->domid].store_gfn = gfn;
	pvio_hv_start_info[d->domid].store_port = gfn ? port : 0;
	pvio_hv_start_info[d->domid].valid = gfn != 0;
	spin_unlock(&pvio_hv_start_info_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(pvio_domain_set_store);

/**
 * pvio_domain_get_store() - a domain's store ring, as start_info says
 * @d: the domain (any; dom0's store server asks about domUs)
 * @gfn: out: the ring page's frame in @d's memory model
 * @port: out: @d's port of the store event channel
 *
 * Context: any; takes a spinlock.
 * Return: 0, -ENOENT if @d has not recorded a store ring.
 */
int pvio_domain_get_store(const struct pvio_domain *d, xen_pfn_t *gfn,
			  evtchn_port_t *port)
{
	int ret = -ENOENT;

	spin_lock(&pvio_hv_start_info_lock);
	if (pvio_hv_start_info[d->domid].valid) {
		*gfn = pvio_hv_start_info[d->domid].store_gfn;
		*port = pvio_hv_start_info[d->domid].store_port;
		ret = 0;
	}
	spin_unlock(&pvio_hv_start_info_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(pvio_domain_get_store);
