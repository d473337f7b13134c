/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio store: the server side of xenstore (dom0's xenstored), shared by the
 * files of pvio-store.ko and its KUnit module. Guest-side users (the bus,
 * the drivers) use the pvio_xs_* client API instead.
 *
 * A store holds the node tree, the per-domain accounting and the
 * connections. A connection is one client (a domain's ring, or an in-kernel
 * dom0 user): it owns its watches, its pending watch events and its
 * transactions. Everything is serialised by the store's mutex: requests are
 * handled one at a time in process context, like xenstored's main loop.
 * Nothing in store/ runs in a guest: the store is a dom0 service.
 */
#ifndef PVIO_STORE_INTERNAL_H
#define PVIO_STORE_INTERNAL_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/bitmap.h>
#include <xen/interface/io/xs_wire.h>
#include <pvio/hypervisor.h>
#include <pvio/store.h>
#include <pvio/xenstored.h>

#define PVIO_XS_HASH_BITS	10
#define PVIO_XS_TX_HASH_BITS	5

/* Per-domain limits for unprivileged domains (xenstored's hard quotas). */
struct pvio_store_quota {
	unsigned int nodes;		/* nodes owned by the domain */
	unsigned int watches;		/* watches per connection */
	unsigned int events;		/* pending watch events (XSA-349) */
	unsigned int transactions;	/* open transactions per connection */
	unsigned int node_size;		/* perms + value + children, bytes */
	unsigned int perms;		/* entries in one node's ACL */
	unsigned int tx_nodes;		/* nodes one transaction may touch */
	unsigned int path_len;		/* below /local/domain/<id>/ */
};

/*
 * Hooks into the transport, called with the store mutex held: they must
 * not call back into the store (queue work instead).
 * @introduce: XS_INTRODUCE from dom0 for @domid with the ring frame and
 *	event channel port; a negative errno fails the request.
 * @release: XS_RELEASE for @domid (or pvio_store_release_domain()).
 */
struct pvio_store_ops {
	int (*introduce)(void *priv, domid_t domid, u64 gfn, u32 port);
	void (*release)(void *priv, domid_t domid);
};

struct pvio_store {
	struct mutex lock;			/* everything below and in conns */
	struct hlist_head nodes[1 << PVIO_XS_HASH_BITS];
	u64 gen;				/* last generation handed out */
	unsigned int nr_nodes;
	unsigned int entries[PVIO_MAX_DOMID + 1];	/* nodes per owner */
	DECLARE_BITMAP(introduced, PVIO_MAX_DOMID + 1);
	struct list_head conns;
	struct pvio_store_quota quota;
	const struct pvio_store_ops *ops;
	void *ops_priv;
};

struct pvio_store_conn;
typedef void (*pvio_store_notify_fn)(struct pvio_store_conn *conn, void *data);

struct pvio_store_conn {
	struct pvio_store *store;
	struct list_head list;			/* store->conns */
	domid_t domid;
	bool privileged;
	char implicit[24];			/* "/local/domain/<id>" */

	struct list_head watches;
	unsigned int nr_watches;

	struct list_head txs;
	unsigned int nr_txs;
	u32 next_tx_id;

	struct list_head events;		/* queued XS_WATCH_EVENTs */
	unsigned int nr_events;
	u64 events_dropped;

	pvio_store_notify_fn notify;		/* events queued (lock held) */
	void *notify_data;
};

struct pvio_store *pvio_store_create(void);
void pvio_store_destroy(struct pvio_store *s);
void pvio_store_set_ops(struct pvio_store *s, const struct pvio_store_ops *ops,
			void *priv);

struct pvio_store_conn *pvio_store_conn_open(struct pvio_store *s,
					     domid_t domid,
					     pvio_store_notify_fn notify,
					     void *data);
void pvio_store_conn_close(struct pvio_store_conn *conn);

int pvio_store_process(struct pvio_store_conn *conn, const void *req,
		       size_t req_len, void *rsp, size_t rsp_size);
int pvio_store_pop_event(struct pvio_store_conn *conn, void *buf, size_t size);
unsigned int pvio_store_pending_events(struct pvio_store_conn *conn);
u64 pvio_store_dropped_events(struct pvio_store_conn *conn);
unsigned int pvio_store_domain_entries(struct pvio_store *s, domid_t domid);

int pvio_store_server_start(void);
void pvio_store_server_stop(void);
int pvio_store_domains_init(struct pvio_store *s);
void pvio_store_domains_exit(struct pvio_store *s);
int pvio_store_dev_init(void);
void pvio_store_dev_exit(void);

#endif /* PVIO_STORE_INTERNAL_H */
