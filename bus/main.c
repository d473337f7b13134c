// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-bus.ko: the control plane every domain's guest side uses: its
 * store client (xs_client.c) and connection (xs_binding.c), the frontend
 * and backend buses (bus.c) and the driver helpers (client.c, state.c).
 */
#define pr_fmt(fmt) "pvio-bus: " fmt

#include <linux/module.h>
#include <linux/init.h>
#include "bus.h"

static int __init pvio_bus_init(void)
{
	int err;

	err = pvio_xs_client_init();
	if (err)
		return err;
	err = pvio_xs_binding_init();
	if (err)
		goto out_client;
	err = pvio_bus_core_init();
	if (err)
		goto out_xs;
	pvio_bus_debugfs_init();
	return 0;

out_xs:
	pvio_xs_binding_exit();
out_client:
	pvio_xs_client_exit();
	return err;
}

static void __exit pvio_bus_exit(void)
{
	pvio_bus_debugfs_exit();
	pvio_bus_core_exit();
	pvio_xs_binding_exit();
	pvio_xs_client_exit();
}

module_init(pvio_bus_init);
module_exit(pvio_bus_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvio bus: store connections, frontend and backend buses");
