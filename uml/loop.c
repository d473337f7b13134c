// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-uml-loop.ko: events through dom0 and back, inside a User-Mode Linux
 * domU (tests/scenarios/uml.sh). Attached to the domain (pvio-uml), it
 * allocates an unbound port for itself, binds it (pvio-uml-loop-rx) and
 * binds an interdomain loopback channel to it (pvio-uml-loop-tx), then
 * sends @events events one after the other, each waited for: every one is
 * a hypercall ioctl to dom0, a pending bit set by dom0 in this kernel's
 * shared_info (its physmem file), a SIGIO, a UML interrupt on the
 * pvio-hv line and a Dynamic-irq interrupt on the pvio-uml-loop-rx line.
 * Parameters: events (sent at attach), received (handled so far).
 */
#define pr_fmt(fmt) "pvio-uml-loop: " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/interrupt.h>
#include <linux/wait.h>
#include <linux/atomic.h>
#include <pvio/hypervisor.h>
#include <pvio/guest.h>
#include <pvio/evtchn.h>

static unsigned int events = 10;
module_param(events, uint, 0444);
MODULE_PARM_DESC(events, "events sent through dom0 at load, one at a time");

static atomic_t loop_received = ATOMIC_INIT(0);
static int received_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&loop_received));
}

static const struct kernel_param_ops received_ops = { .get = received_get };
module_param_cb(received, &received_ops, NULL, 0444);
MODULE_PARM_DESC(received, "events handled on pvio-uml-loop-rx");

static DECLARE_WAIT_QUEUE_HEAD(loop_wq);
static int loop_rx_irq, loop_tx_irq;

static irqreturn_t loop_rx(int irq, void *dev_id)
{
	atomic_inc(&loop_received);
	wake_up(&loop_wq);
	return IRQ_HANDLED;
}

static irqreturn_t loop_tx(int irq, void *dev_id)
{
	return IRQ_HANDLED;
}

static int loop_attach(struct pvio_domain *d)
{
	evtchn_port_t port;
	unsigned int i;
	int rc;

	rc = pvio_alloc_unbound_evtchn(d, pvio_domain_id(d), &port);
	if (rc)
		return rc;
	rc = pvio_bind_evtchn_to_irqhandler(d, port, loop_rx, 0,
					    "pvio-uml-loop-rx", NULL);
	if (rc < 0) {
		pvio_close_evtchn(d, port);
		return rc;
	}
	loop_rx_irq = rc;
	rc = pvio_bind_interdomain_evtchn_to_irqhandler(d, pvio_domain_id(d),
							port, loop_tx, 0,
							"pvio-uml-loop-tx",
							NULL);
	if (rc < 0) {
		pvio_unbind_from_irqhandler(loop_rx_irq, NULL);
		loop_rx_irq = 0;
		return rc;
	}
	loop_tx_irq = rc;
	for (i = 0; i < events; i++) {
		pvio_notify_remote_via_irq(loop_tx_irq);
		if (!wait_event_timeout(loop_wq,
					atomic_read(&loop_received) > i, HZ)) {
			pr_warn("event %u of %u not received\n", i + 1, events);
			break;
		}
	}
	pr_info("d%u: %d of %u events received on IRQ %d\n",
		pvio_domain_id(d), atomic_read(&loop_received), events,
		loop_rx_irq);
	return 0;
}

static void loop_detach(struct pvio_domain *d)
{
	if (loop_tx_irq > 0)
		pvio_unbind_from_irqhandler(loop_tx_irq, NULL);
	if (loop_rx_irq > 0)
		pvio_unbind_from_irqhandler(loop_rx_irq, NULL);
	loop_tx_irq = 0;
	loop_rx_irq = 0;
}

static struct pvio_guest_ops loop_ops = {
	.name = "pvio-uml-loop",
	.attach = loop_attach,
	.detach = loop_detach,
};

static int __init loop_init(void)
{
	return pvio_guest_register(&loop_ops);
}

static void __exit loop_exit(void)
{
	pvio_guest_unregister(&loop_ops);
}

module_init(loop_init);
module_exit(loop_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvio: events through dom0 and back in a User-Mode Linux domU");
