/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio-evtchn: the guest side of event channels (in the spirit of Linux's
 * drivers/xen/events and <xen/events.h>). Every domain gets its own
 * irq_domain; each bound port is a Linux IRQ of the "Dynamic-irq" chip,
 * visible in /proc/interrupts with the handler's name.
 *
 * All functions take the handle of the domain the caller runs in.
 */
#ifndef PVIO_EVTCHN_H
#define PVIO_EVTCHN_H

#include <linux/interrupt.h>
#include <pvio/hypervisor.h>

/* pvio_irq_lateeoi() flags (Linux's XEN_EOI_FLAG_SPURIOUS). */
#define PVIO_EOI_FLAG_SPURIOUS	0x00000001

int pvio_alloc_unbound_evtchn(struct pvio_domain *d, domid_t remote_domid,
			      evtchn_port_t *port);
int pvio_close_evtchn(struct pvio_domain *d, evtchn_port_t port);

int pvio_bind_evtchn_to_irqhandler(struct pvio_domain *d, evtchn_port_t port,
				   irq_handler_t handler, unsigned long flags,
				   const char *name, void *dev_id);
int pvio_bind_evtchn_to_irqhandler_lateeoi(struct pvio_domain *d,
					   evtchn_port_t port,
					   irq_handler_t handler,
					   unsigned long flags,
					   const char *name, void *dev_id);
int pvio_bind_evtchn_to_threaded_irqhandler_lateeoi(struct pvio_domain *d,
						    evtchn_port_t port,
						    irq_handler_t handler,
						    irq_handler_t thread_fn,
						    unsigned long flags,
						    const char *name,
						    void *dev_id);
int pvio_bind_interdomain_evtchn_to_irqhandler(struct pvio_domain *d,
					       domid_t remote_domid,
					       evtchn_port_t remote_port,
					       irq_handler_t handler,
					       unsigned long flags,
					       const char *name, void *dev_id);
int pvio_bind_interdomain_evtchn_to_irqhandler_lateeoi(struct pvio_domain *d,
						       domid_t remote_domid,
						       evtchn_port_t remote_port,
						       irq_handler_t handler,
						       unsigned long flags,
						       const char *name,
						       void *dev_id);
int pvio_bind_virq_to_irqhandler(struct pvio_domain *d, unsigned int virq,
				 unsigned int vcpu, irq_handler_t handler,
				 unsigned long flags, const char *name,
				 void *dev_id);
int pvio_bind_pirq_to_irqhandler(struct pvio_domain *d, unsigned int pirq,
				 irq_handler_t handler, unsigned long flags,
				 const char *name, void *dev_id);
void pvio_unbind_from_irqhandler(unsigned int irq, void *dev_id);

void pvio_irq_lateeoi(unsigned int irq, unsigned int eoi_flags);

int pvio_notify_remote_via_evtchn(struct pvio_domain *d, evtchn_port_t port);
void pvio_notify_remote_via_irq(unsigned int irq);

evtchn_port_t pvio_evtchn_from_irq(unsigned int irq);

#endif /* PVIO_EVTCHN_H */
