// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-store.ko: the store (xenstored) served by dom0.
 */

#include <linux/module.h>
#include "store.h"

static struct pvio_store *pvio_store_main;

/**
 * pvio_store_get_main() - the system's store
 *
 * Context: any; the store lives as long as pvio-store.ko.
 * Return: the store the transport serves every domain from.
 */
struct pvio_store *pvio_store_get_main(void)
{
	return pvio_store_main;
}
EXPORT_SYMBOL_GPL(pvio_store_get_main);

static int __init pvio_store_init(void)
{
	int err;

	pvio_store_main = pvio_store_create();
	if (!pvio_store_main)
		return -ENOMEM;
	err = pvio_xs_client_init();
	if (err)
		goto out_store;
	err = pvio_store_server_start();
	if (err)
		goto out_client;
	return 0;

out_client:
	pvio_xs_client_exit();
out_store:
	pvio_store_destroy(pvio_store_main);
	return err;
}

static void __exit pvio_store_exit(void)
{
	pvio_store_server_stop();
	pvio_xs_client_exit();
	pvio_store_destroy(pvio_store_main);
}

module_init(pvio_store_init);
module_exit(pvio_store_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvio store: xenstore served by dom0");
