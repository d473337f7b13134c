/* SPDX-License-Identifier: GPL-2.0 */
/* pvio-bus internals: shared by the files of pvio-bus.ko only. */
#ifndef PVIO_BUS_INTERNAL_H
#define PVIO_BUS_INTERNAL_H

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

#endif /* PVIO_BUS_INTERNAL_H */
