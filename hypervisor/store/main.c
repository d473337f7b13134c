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
	pvio_store_main = pvio_store_create();
	return pvio_store_main ? 0 : -ENOMEM;
}

static void __exit pvio_store_exit(void)
{
	pvio_store_destroy(pvio_store_main);
}

module_init(pvio_store_init);
module_exit(pvio_store_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvio store: xenstore served by dom0");
