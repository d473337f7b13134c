// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-store.ko: the store (xenstored) served by dom0: the node tree
 * (store.c), the per-domain ring server (ring.c), the domains it serves
 * (domain.c: XS_INTRODUCE, XS_RELEASE) and the toolstack's
 * /dev/pvio-store (xs_dev.c).
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
	err = pvio_store_domains_init(pvio_store_main);
	if (err)
		goto out_store;
	err = pvio_store_dev_init();
	if (err)
		goto out_domains;
	err = pvio_store_server_start();
	if (err)
		goto out_dev;
	return 0;

out_dev:
	pvio_store_dev_exit();
out_domains:
	pvio_store_domains_exit(pvio_store_main);
out_store:
	pvio_store_destroy(pvio_store_main);
	return err;
}

static void __exit pvio_store_exit(void)
{
	pvio_store_server_stop();
	pvio_store_dev_exit();
	pvio_store_domains_exit(pvio_store_main);
	pvio_store_destroy(pvio_store_main);
}

module_init(pvio_store_init);
module_exit(pvio_store_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvio store: xenstore served by dom0");
