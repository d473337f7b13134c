/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio guest registry: what boots in an in-kernel domain. The guest-side
 * modules (the events core, the grant API, the bus) register a component
 * with the hypervisor (hypervisor/guest.c), which attaches it to every
 * domain; the component keeps its per-domain state in the domain's slot.
 * This stands in for a guest kernel's boot: a separate kernel would run
 * the same code on its own.
 */
#ifndef PVIO_GUEST_H
#define PVIO_GUEST_H

#include <linux/list.h>

struct pvio_domain;

/*
 * Guest-side components ("the guest kernel" of each domain). A component
 * registers once; attach() is called for every domain that exists and for
 * every domain created later, in registration order; detach() is called in
 * reverse order when a domain is destroyed or the component unregisters.
 * Each component keeps its per-domain state in a fixed slot.
 */
enum pvio_guest_slot {
	PVIO_SLOT_EVTCHN,
	PVIO_SLOT_GRANT,
	PVIO_SLOT_STORE,
	PVIO_SLOT_BUS,
	PVIO_SLOT_TEST,
	PVIO_NR_SLOTS
};

struct pvio_guest_ops {
	const char *name;
	int (*attach)(struct pvio_domain *d);
	void (*detach)(struct pvio_domain *d);
	struct list_head list;		/* hypervisor private */
};

int pvio_guest_register(struct pvio_guest_ops *ops);
void pvio_guest_unregister(struct pvio_guest_ops *ops);
void pvio_guest_set_priv(struct pvio_domain *d, enum pvio_guest_slot slot,
			 void *priv);
void *pvio_guest_priv(const struct pvio_domain *d, enum pvio_guest_slot slot);

#endif /* PVIO_GUEST_H */
