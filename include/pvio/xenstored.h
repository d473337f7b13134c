/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio store service (dom0): what dom0's own code calls in pvio-store.ko,
 * the way a toolstack and dom0's kernel talk to a local xenstored. Domains
 * other than dom0 reach the store only through their ring and event
 * channel (XS_INTRODUCE makes dom0 serve one); nothing here is for them.
 */
#ifndef PVIO_XENSTORED_H
#define PVIO_XENSTORED_H

#include <linux/types.h>
#include <xen/interface/xen.h>
#include <xen/interface/io/xs_wire.h>

struct pvio_store;

int pvio_store_domain_setup(struct pvio_store *s, domid_t domid);
void pvio_store_release_domain(struct pvio_store *s, domid_t domid);
struct pvio_store *pvio_store_get_main(void);
/* After XS_INTRODUCE or XS_RELEASE: wait until the ring is (un)served. */
void pvio_store_sync(void);

/* Serving a ring page: dom0's own client's (a local connection). */
struct pvio_store_ring;
struct pvio_store_ring *pvio_store_ring_attach(struct pvio_store *s,
					       domid_t domid,
					       struct xenstore_domain_interface *intf,
					       void (*notify)(void *data),
					       void *data);
void pvio_store_ring_detach(struct pvio_store_ring *r);
void pvio_store_ring_kick(struct pvio_store_ring *r);
bool pvio_store_ring_broken(struct pvio_store_ring *r);

#endif /* PVIO_XENSTORED_H */
