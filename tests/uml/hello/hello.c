// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-uml-hello: the smallest out-of-tree module, built against the
 * User-Mode Linux domU kernel (ARCH=um) by scripts/uml-initramfs, to show
 * that insmod and rmmod work inside UML (tests/scenarios/uml.sh).
 *
 * It also counts the interrupt descriptors still free, the way the event
 * channel code will meet them: UML has no SPARSE_IRQ, so every Dynamic-irq
 * needs one of the NR_IRQS static descriptors that nobody has allocated
 * (irq_alloc_descs(), as irq_create_mapping() does).
 */

#include <linux/bitmap.h>
#include <linux/init.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/slab.h>
#include <linux/utsname.h>

/* Allocate descriptors one by one until none is left, then free them. */
static int pvio_uml_hello_free_irqs(void)
{
	unsigned long *taken;
	int irq, n = 0;

	taken = bitmap_zalloc(nr_irqs, GFP_KERNEL);
	if (!taken)
		return -ENOMEM;
	for (;;) {
		irq = irq_alloc_descs(-1, 1, 1, NUMA_NO_NODE);
		if (irq < 0)
			break;
		if (WARN_ON_ONCE(irq >= nr_irqs)) {
			irq_free_descs(irq, 1);
			break;
		}
		__set_bit(irq, taken);
		n++;
	}
	for_each_set_bit(irq, taken, nr_irqs)
		irq_free_descs(irq, 1);
	bitmap_free(taken);
	return n;
}

static int __init pvio_uml_hello_init(void)
{
	pr_info("pvio-uml-hello: loaded in %s %s\n", utsname()->machine,
		utsname()->release);
	pr_info("pvio-uml-hello: nr_irqs %d, %d irq descriptors free\n",
		nr_irqs, pvio_uml_hello_free_irqs());
	return 0;
}

static void __exit pvio_uml_hello_exit(void)
{
	pr_info("pvio-uml-hello: unloaded\n");
}

module_init(pvio_uml_hello_init);
module_exit(pvio_uml_hello_exit);

MODULE_DESCRIPTION("pvio: insmod test module for the UML domU kernel");
MODULE_LICENSE("GPL");
