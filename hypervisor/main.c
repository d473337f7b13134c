// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-hypervisor.ko: the hypervisor of the pvio split-driver I/O stack.
 * At load it creates dom0 and registers /dev/pvio, /dev/pvio-hv and
 * debugfs pvio/; at unload it destroys every domain.
 */

#include <linux/module.h>
#include <linux/init.h>
#include "internal.h"

static int __init pvio_hv_init(void)
{
	int err;

	err = pvio_hv_domains_init();
	if (err)
		return err;
	err = pvio_hv_ctl_init();
	if (err) {
		pvio_hv_domains_exit();
		return err;
	}
	err = pvio_hv_dev_init();
	if (err) {
		pvio_hv_ctl_exit();
		pvio_hv_domains_exit();
		return err;
	}
	pvio_hv_debugfs_init();
	pr_info("pvio: hypervisor loaded, dom0 has %u vCPUs\n",
		pvio_domain_nr_vcpus(pvio_dom0()));
	return 0;
}

static void __exit pvio_hv_exit(void)
{
	pvio_hv_debugfs_exit();
	pvio_hv_dev_exit();
	pvio_hv_ctl_exit();
	pvio_hv_domains_exit();
}

module_init(pvio_hv_init);
module_exit(pvio_hv_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvio hypervisor: domains, grant tables, event channels, hypercalls");
