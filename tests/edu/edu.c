// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-edu: a driver for QEMU's educational PCI device (-device edu,
 * 1234:11e8; QEMU docs/specs/edu.rst) whose interrupt is owned by the
 * hypervisor and delivered to dom0 as a PIRQ event: PHYSDEVOP_map_pirq of
 * the device's Linux IRQ (MSI if available), then pvio-evtchn's
 * pvio_bind_pirq_to_irqhandler(), so each device interrupt is counted on
 * dom0's "pvio-edu" Dynamic-irq line of /proc/interrupts.
 *
 * Parameters (/sys/module/pvio_edu/parameters/):
 *   trigger  write N: raise N device interrupts (register 0x60), one at a
 *            time, each waited for (1 s) before the next
 *   events   read: device interrupts handled so far
 *   loop     write N: send N events over a dom0 loopback interdomain
 *            channel, counted on the "pvio-evtloop-rx" line (no device
 *            needed)
 *   loop_events  read: loopback events handled so far
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/wait.h>
#include <pvio/evtchn.h>

#define EDU_REG_ID		0x00
#define EDU_REG_INTR_STATUS	0x24
#define EDU_REG_INTR_RAISE	0x60
#define EDU_REG_INTR_ACK	0x64
#define EDU_TRIGGER_MAX		10000

struct pvio_edu {
	struct pci_dev *pdev;
	void __iomem *bar;
	int pirq;
	int irq;			/* dom0's Dynamic-irq */
};

static DEFINE_MUTEX(edu_lock);		/* edu_dev, loopback setup, triggers */
static struct pvio_edu *edu_dev;
static atomic_t edu_events = ATOMIC_INIT(0);
static atomic_t loop_events = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(edu_wq);
static int loop_rx_irq, loop_tx_irq;

/* dom0's event handler (hard IRQ): ack the device, count, wake. */
static irqreturn_t edu_event(int irq, void *dev_id)
{
	struct pvio_edu *edu = dev_id;
	u32 status = ioread32(edu->bar + EDU_REG_INTR_STATUS);

	if (!status)
		return IRQ_NONE;
	iowrite32(status, edu->bar + EDU_REG_INTR_ACK);
	atomic_inc(&edu_events);
	wake_up(&edu_wq);
	return IRQ_HANDLED;
}

static irqreturn_t loop_rx(int irq, void *dev_id)
{
	atomic_inc(&loop_events);
	wake_up(&edu_wq);
	return IRQ_HANDLED;
}

static irqreturn_t loop_tx(int irq, void *dev_id)
{
	return IRQ_HANDLED;	/* the initial pending event of the bind */
}

static int edu_trigger(const char *val, const struct kernel_param *kp)
{
	unsigned int n, i;
	int target, rc;

	rc = kstrtouint(val, 0, &n);
	if (rc)
		return rc;
	if (n > EDU_TRIGGER_MAX)
		return -EINVAL;
	mutex_lock(&edu_lock);
	if (!edu_dev) {
		rc = -ENODEV;
		goto out;
	}
	for (i = 0; i < n; i++) {
		target = atomic_read(&edu_events) + 1;
		iowrite32(1, edu_dev->bar + EDU_REG_INTR_RAISE);
		if (!wait_event_timeout(edu_wq,
					atomic_read(&edu_events) >= target,
					HZ)) {
			rc = -ETIMEDOUT;
			break;
		}
	}
out:
	mutex_unlock(&edu_lock);
	return rc;
}

static int loop_setup(struct pvio_domain *dom0)
{
	evtchn_port_t port;
	int rc;

	if (loop_rx_irq > 0)
		return 0;
	rc = pvio_alloc_unbound_evtchn(dom0, DOMID_SELF, &port);
	if (rc)
		return rc;
	rc = pvio_bind_evtchn_to_irqhandler(dom0, port, loop_rx, 0,
					    "pvio-evtloop-rx", NULL);
	if (rc < 0)
		return rc;
	loop_rx_irq = rc;
	rc = pvio_bind_interdomain_evtchn_to_irqhandler(dom0, 0, port, loop_tx,
							0, "pvio-evtloop-tx",
							NULL);
	if (rc < 0) {
		pvio_unbind_from_irqhandler(loop_rx_irq, NULL);
		loop_rx_irq = 0;
		return rc;
	}
	loop_tx_irq = rc;
	return 0;
}

static int edu_loop(const char *val, const struct kernel_param *kp)
{
	struct pvio_domain *dom0 = pvio_dom0();
	unsigned int n, i;
	int target, rc;

	rc = kstrtouint(val, 0, &n);
	if (rc)
		return rc;
	if (n > EDU_TRIGGER_MAX)
		return -EINVAL;
	if (!dom0)
		return -ENODEV;
	mutex_lock(&edu_lock);
	rc = loop_setup(dom0);
	for (i = 0; !rc && i < n; i++) {
		target = atomic_read(&loop_events) + 1;
		pvio_notify_remote_via_irq(loop_tx_irq);
		if (!wait_event_timeout(edu_wq,
					atomic_read(&loop_events) >= target,
					HZ))
			rc = -ETIMEDOUT;
	}
	mutex_unlock(&edu_lock);
	return rc;
}

static int get_atomic(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(kp->arg));
}

static const struct kernel_param_ops trigger_ops = { .set = edu_trigger };
static const struct kernel_param_ops loop_ops = { .set = edu_loop };
static const struct kernel_param_ops count_ops = { .get = get_atomic };

module_param_cb(trigger, &trigger_ops, NULL, 0200);
MODULE_PARM_DESC(trigger, "write N: raise N edu interrupts, one at a time");
module_param_cb(events, &count_ops, &edu_events, 0444);
MODULE_PARM_DESC(events, "edu interrupts dom0 handled");
module_param_cb(loop, &loop_ops, NULL, 0200);
MODULE_PARM_DESC(loop, "write N: send N dom0 loopback events");
module_param_cb(loop_events, &count_ops, &loop_events, 0444);
MODULE_PARM_DESC(loop_events, "dom0 loopback events handled");

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct pvio_domain *dom0 = pvio_dom0();
	struct physdev_map_pirq map = {
		.domid = DOMID_SELF,
		.type = MAP_PIRQ_TYPE_GSI,
		.pirq = -1,
	};
	struct physdev_unmap_pirq unmap = { .domid = DOMID_SELF };
	struct pvio_edu *edu;
	int rc;

	if (!dom0)
		return -ENODEV;
	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	rc = pcim_enable_device(pdev);
	if (rc)
		return rc;
	rc = pcim_iomap_regions(pdev, BIT(0), KBUILD_MODNAME);
	if (rc)
		return rc;
	edu->bar = pcim_iomap_table(pdev)[0];
	pci_set_master(pdev);
	dev_info(&pdev->dev, "edu id %#x\n", ioread32(edu->bar + EDU_REG_ID));

	rc = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI | PCI_IRQ_LEGACY);
	if (rc < 0)
		return rc;

	/* The hypervisor takes the line; dom0 gets it back as a PIRQ. */
	map.index = pci_irq_vector(pdev, 0);
	rc = pvio_physdev_op(dom0, PHYSDEVOP_map_pirq, &map);
	if (rc)
		goto err_vectors;
	edu->pirq = map.pirq;
	rc = pvio_bind_pirq_to_irqhandler(dom0, edu->pirq, edu_event, 0,
					  "pvio-edu", edu);
	if (rc < 0)
		goto err_unmap;
	edu->irq = rc;
	dev_info(&pdev->dev, "Linux IRQ %d (%s) -> dom0 PIRQ %d -> IRQ %d\n",
		 map.index, pdev->msi_enabled ? "MSI" : "INTx", edu->pirq,
		 edu->irq);

	pci_set_drvdata(pdev, edu);
	mutex_lock(&edu_lock);
	edu_dev = edu;
	mutex_unlock(&edu_lock);
	return 0;

err_unmap:
	unmap.pirq = edu->pirq;
	pvio_physdev_op(dom0, PHYSDEVOP_unmap_pirq, &unmap);
err_vectors:
	pci_free_irq_vectors(pdev);
	return rc;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct pvio_edu *edu = pci_get_drvdata(pdev);
	struct physdev_unmap_pirq unmap = {
		.domid = DOMID_SELF,
		.pirq = edu->pirq,
	};

	mutex_lock(&edu_lock);
	edu_dev = NULL;
	mutex_unlock(&edu_lock);
	pvio_unbind_from_irqhandler(edu->irq, edu);
	pvio_physdev_op(pvio_dom0(), PHYSDEVOP_unmap_pirq, &unmap);
	pci_free_irq_vectors(pdev);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name = "pvio-edu",
	.id_table = edu_ids,
	.probe = edu_probe,
	.remove = edu_remove,
};

static int __init edu_init(void)
{
	return pci_register_driver(&edu_driver);
}
module_init(edu_init);

static void __exit edu_exit(void)
{
	pci_unregister_driver(&edu_driver);
	mutex_lock(&edu_lock);
	if (loop_tx_irq > 0)
		pvio_unbind_from_irqhandler(loop_tx_irq, NULL);
	if (loop_rx_irq > 0)
		pvio_unbind_from_irqhandler(loop_rx_irq, NULL);
	loop_tx_irq = 0;
	loop_rx_irq = 0;
	mutex_unlock(&edu_lock);
}
module_exit(edu_exit);

MODULE_DESCRIPTION("pvio: QEMU edu device with its interrupt as a dom0 PIRQ");
MODULE_LICENSE("GPL");
