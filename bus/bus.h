/* SPDX-License-Identifier: GPL-2.0 */
/* pvio-bus internals: shared by the files of pvio-bus.ko only. */
#ifndef PVIO_BUS_INTERNAL_H
#define PVIO_BUS_INTERNAL_H

#include <pvio/store.h>

int pvio_xs_binding_init(void);
void pvio_xs_binding_exit(void);
int pvio_bus_core_init(void);
void pvio_bus_core_exit(void);
int pvio_xs_client_init(void);
void pvio_xs_client_exit(void);
void pvio_bus_debugfs_init(void);
void pvio_bus_debugfs_exit(void);
struct pvio_domain;
typedef void (*pvio_bus_domain_fn_t)(struct pvio_domain *d, void *arg);
/* Calls @fn for every domain with a store connection, by domid. */
void pvio_bus_walk_domains(pvio_bus_domain_fn_t fn, void *arg);

/*
 * manage.c: a domU's control/shutdown handler (Linux's drivers/xen/
 * manage.c), started and stopped with the domain's bus.
 */
struct pvio_bus_manage {
	struct pvio_domain *d;
	struct pvio_xs *xs;
	domid_t domid;
	char node[48];			/* /local/domain/<domid>/control/shutdown */
	struct pvio_xs_watch watch;
};

int pvio_bus_manage_start(struct pvio_bus_manage *m, struct pvio_domain *d,
			  struct pvio_xs *xs);
void pvio_bus_manage_stop(struct pvio_bus_manage *m);

#endif /* PVIO_BUS_INTERNAL_H */
