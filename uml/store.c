// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-uml.ko: dom0's store does not run in a User-Mode Linux domU. The
 * bus (bus/xs_binding.c) serves dom0's own client from dom0's store and,
 * as dom0's toolstack, introduces domUs to it; in a domU neither happens
 * (this kernel is no dom0: pvio_dom0() is NULL), and these entry points
 * say so. The domU's own client talks to dom0's store over its ring
 * (start_info: pvio_domain_set_store()).
 */
#include <linux/module.h>
#include <linux/err.h>
#include <pvio/hypervisor.h>
#include <pvio/xenstored.h>

/**
 * pvio_store_get_main() - dom0's store, in dom0's kernel only
 *
 * Description: there is none in a UML domU.
 *
 * Context: any.
 * Return: NULL.
 */
struct pvio_store *pvio_store_get_main(void)
{
	return NULL;
}
EXPORT_SYMBOL_GPL(pvio_store_get_main);

/**
 * pvio_store_sync() - wait until introduced and released rings settle
 *
 * Description: nothing to wait for in a UML domU.
 *
 * Context: process context.
 */
void pvio_store_sync(void)
{
}
EXPORT_SYMBOL_GPL(pvio_store_sync);

/**
 * pvio_store_ring_attach() - serve dom0's own client's ring
 * @s: dom0's store
 * @domid: the client's domain
 * @intf: its ring page
 * @notify: how to kick it
 * @data: for @notify
 *
 * Context: process context.
 * Return: ERR_PTR(-ENODEV): no store runs here.
 */
struct pvio_store_ring *pvio_store_ring_attach(struct pvio_store *s,
					       domid_t domid,
					       struct xenstore_domain_interface *intf,
					       void (*notify)(void *data),
					       void *data)
{
	return ERR_PTR(-ENODEV);
}
EXPORT_SYMBOL_GPL(pvio_store_ring_attach);

/**
 * pvio_store_ring_detach() - stop serving a ring
 * @r: never attached here
 *
 * Context: process context.
 */
void pvio_store_ring_detach(struct pvio_store_ring *r)
{
}
EXPORT_SYMBOL_GPL(pvio_store_ring_detach);

/**
 * pvio_store_ring_kick() - a served ring has requests
 * @r: never attached here
 *
 * Context: any.
 */
void pvio_store_ring_kick(struct pvio_store_ring *r)
{
}
EXPORT_SYMBOL_GPL(pvio_store_ring_kick);
