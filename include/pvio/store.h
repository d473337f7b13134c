/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio store client: how in-kernel users of a domain (the bus, the
 * drivers) talk to the store, the way Linux's xenbus_xs.c talks to
 * xenstored. Every call names the domain's client; paths
 * are dir + "/" + node (node "" means dir itself); relative paths resolve
 * under /local/domain/<domid>/. Errors are the store's, as -errno.
 */
#ifndef PVIO_STORE_H
#define PVIO_STORE_H

#include <linux/types.h>
#include <linux/list.h>
#include <xen/interface/xen.h>
#include <xen/interface/event_channel.h>
#include <xen/interface/io/xs_wire.h>

struct pvio_domain;
struct pvio_xs;

/* An xs_wire message: header plus the largest payload. */
#define PVIO_XS_MSG_MAX		(sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX)

/* "No transaction". */
#define PVIO_XBT_NIL	0U

/**
 * struct pvio_xs_watch - a watch on a path and everything below it
 * @node: the path watched (kept by the caller while registered)
 * @callback: called once after registration and then for every change of
 *	@node or a node below it, with the changed path, in process context
 *	from the domain's watch thread, one at a time; it may issue store
 *	requests but must not unregister watches.
 * @list: private
 * @token: private
 */
struct pvio_xs_watch {
	const char *node;
	void (*callback)(struct pvio_xs_watch *watch, const char *path,
			 const char *token);
	struct list_head list;
	char token[16];
};

/* A domain's client: pvio_xs_of(d) comes with the event channel binding. */

void *pvio_xs_read(struct pvio_xs *xs, u32 xbt, const char *dir,
		   const char *node, unsigned int *len);
int pvio_xs_write(struct pvio_xs *xs, u32 xbt, const char *dir,
		  const char *node, const char *string);
int pvio_xs_mkdir(struct pvio_xs *xs, u32 xbt, const char *dir,
		  const char *node);
int pvio_xs_rm(struct pvio_xs *xs, u32 xbt, const char *dir,
	       const char *node);
char **pvio_xs_directory(struct pvio_xs *xs, u32 xbt, const char *dir,
			 const char *node, unsigned int *num);
bool pvio_xs_exists(struct pvio_xs *xs, u32 xbt, const char *dir,
		    const char *node);
int pvio_xs_set_perms(struct pvio_xs *xs, u32 xbt, const char *dir,
		      const char *node, const char * const *perms,
		      unsigned int num);
int pvio_xs_transaction_start(struct pvio_xs *xs, u32 *xbt);
int pvio_xs_transaction_end(struct pvio_xs *xs, u32 xbt, bool abort);

__printf(5, 6)
int pvio_xs_printf(struct pvio_xs *xs, u32 xbt, const char *dir,
		   const char *node, const char *fmt, ...);
__scanf(5, 6)
int pvio_xs_scanf(struct pvio_xs *xs, u32 xbt, const char *dir,
		  const char *node, const char *fmt, ...);
int pvio_xs_gather(struct pvio_xs *xs, u32 xbt, const char *dir, ...);
unsigned int pvio_xs_read_unsigned(struct pvio_xs *xs, const char *dir,
				   const char *node, unsigned int default_val);

/* The toolstack's calls (dom0's client only). */
int pvio_xs_introduce_domain(struct pvio_xs *xs, domid_t domid, u64 gfn,
			     evtchn_port_t port);
int pvio_xs_release_domain(struct pvio_xs *xs, domid_t domid);

int pvio_xs_watch(struct pvio_xs *xs, struct pvio_xs_watch *watch);
void pvio_xs_unwatch(struct pvio_xs *xs, struct pvio_xs_watch *watch);

/*
 * The client on a ring page (struct xenstore_domain_interface): @notify
 * kicks the server side; pvio_xs_kick() is called when the server kicked
 * back. pvio-bus creates one per domain (pvio_xs_of()).
 */
struct pvio_xs *pvio_xs_create(struct xenstore_domain_interface *intf,
			       void (*notify)(void *data), void *data);
void pvio_xs_destroy(struct pvio_xs *xs);
void pvio_xs_kick(struct pvio_xs *xs);

#endif /* PVIO_STORE_H */
