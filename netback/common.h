/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio-netback: the network backend (after Linux's xen-netback).
 *
 * Control path (xenbus.c): the backend device's state machine, the store
 * keys, mapping the rings and binding the event channel.
 * Data path (tx.c, rx.c): guest TX through NAPI (header grant copy,
 * zero-copy mapped fragments), guest RX through a kthread (grant copy).
 * interface.c: the vif<domid>.<handle> net_device and its ethtool stats.
 * check.c: pure request validation, fed hostile entries by KUnit.
 */
#ifndef PVIO_NETBACK_COMMON_H
#define PVIO_NETBACK_COMMON_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/kthread.h>
#include <linux/wait.h>
#include <linux/build_bug.h>
#include <linux/hrtimer.h>
#include <xen/interface/io/netif.h>
#include <pvio/ring.h>
#include <pvio/grant.h>
#include <pvio/xenbus.h>

#define PVIO_NB_RING_SIZE	256
/* Xen's page: slots and grant copies never cross 4 KiB. */
#define PVIO_NB_PAGE		4096U
static_assert(PAGE_SIZE == PVIO_NB_PAGE);
/* Xen's netif wire format, exactly. */
static_assert(sizeof(struct xen_netif_tx_request) == 12);
static_assert(sizeof(struct xen_netif_tx_response) == 4);
static_assert(sizeof(struct xen_netif_rx_request) == 8);
static_assert(sizeof(struct xen_netif_rx_response) == 8);
static_assert(sizeof(struct xen_netif_extra_info) == 8);
static_assert(__CONST_RING_SIZE(xen_netif_tx, PVIO_NB_PAGE) ==
	      PVIO_NB_RING_SIZE);
static_assert(__CONST_RING_SIZE(xen_netif_rx, PVIO_NB_PAGE) ==
	      PVIO_NB_RING_SIZE);

/* Bytes of every guest TX packet grant-copied into the linear area. */
#define PVIO_NB_TX_COPY_LEN	128
/* Data slots a packet may use (XEN_NETIF_NR_SLOTS_MIN). */
#define PVIO_NB_MAX_SLOTS	XEN_NETIF_NR_SLOTS_MIN
#define PVIO_NB_MAX_EXTRAS	(XEN_NETIF_EXTRA_TYPE_MAX - 1)
/* Requests worth looking at for one packet: enough to see slot 19. */
#define PVIO_NB_SCAN		(PVIO_NB_MAX_SLOTS + 1 + PVIO_NB_MAX_EXTRAS)
/* Mapped TX slots outstanding per vif (Linux's MAX_PENDING_REQS). */
#define PVIO_NB_PENDING		256
/* Guest RX: skbs queued for the frontend before dropping. */
#define PVIO_NB_RX_QUEUE_MAX	512
/* Guest RX: room for copy ops per multicall (at least 64 are issued). */
#define PVIO_NB_RX_BATCH_OPS	1024

/*
 * A piece of a packet: @len bytes at @offset of data slot @slot, which is
 * request @req of the packet (ring order, counting the extra slots).
 */
struct pvio_nb_seg {
	u8 slot;
	u8 req;
	u16 offset;
	u16 len;
};

/**
 * struct pvio_nb_txpkt - one guest TX packet, parsed from private copies
 * @nr_reqs: ring slots the packet used (data and extra-info slots)
 * @nr_data: data slots in @data
 * @data: the data requests in ring order; data[0].size is the first
 *	slot's own byte count (the wire value is the packet's length)
 * @data_req: for each data slot, the index of its request from the
 *	packet's first one (ring order, extra slots counted), recorded as
 *	the requests are parsed
 * @req_is_extra: bit i set if request i (ring order) was an extra slot
 * @len: packet length in bytes
 * @flags: the first request's XEN_NETTXF_* flags
 * @gso: the GSO extra info, valid if gso.type is XEN_NETIF_EXTRA_TYPE_GSO
 * @drop: a malformed but harmless packet: answer XEN_NETIF_RSP_ERROR
 * @nr_copy: header pieces in @copy, @hdr_len bytes in all
 * @hdr_len: bytes copied into the linear area (min(@len, 128))
 * @copy: header pieces to grant-copy, in order (each with its request
 *	index)
 * @nr_frags: remaining pieces in @frags (never zero-length)
 * @frags: the rest of the packet, one piece per slot, each with the
 *	index of its request (seg.req: the slot's @data_req)
 */
struct pvio_nb_txpkt {
	unsigned int nr_reqs;
	unsigned int nr_data;
	struct xen_netif_tx_request data[PVIO_NB_MAX_SLOTS];
	u8 data_req[PVIO_NB_MAX_SLOTS];
	u32 req_is_extra;
	unsigned int len;
	u16 flags;
	struct xen_netif_extra_info gso;
	bool drop;
	unsigned int nr_copy;
	unsigned int hdr_len;
	struct pvio_nb_seg copy[PVIO_NB_MAX_SLOTS];
	unsigned int nr_frags;
	struct pvio_nb_seg frags[PVIO_NB_MAX_SLOTS];
};

int pvio_netback_tx_parse(const struct xen_netif_tx_request *reqs,
			  unsigned int avail, struct pvio_nb_txpkt *pkt);

/* A refill never leaves less than this (xen-netback's 128 KiB burst). */
#define PVIO_NB_CREDIT_MIN_BURST	131072ULL

/**
 * struct pvio_nb_credit - guest TX rate limit (Xen's vif "rate")
 * @bytes: credit_bytes, added every @usec; 0: unlimited
 * @usec: credit_usec, the credit interval in microseconds
 * @remaining: remaining_credit, bytes the guest may still send
 * @window_start: start of the current interval, ns (ktime_get_ns())
 */
struct pvio_nb_credit {
	u64 bytes;
	u64 usec;
	u64 remaining;
	u64 window_start;
};

/* The most queues a frontend's keys may describe (Linux's netback: no cap). */
#define PVIO_NB_QUEUES_LIMIT	64

/**
 * typedef pvio_nb_read_fn - read an unsigned key of the frontend
 * @ctx: the reader's context (the store client, or a test's table)
 * @dir: the directory (the frontend's, or its "queue-N")
 * @node: the key
 * @val: out: the value
 *
 * Return: 0, or -ENOENT if the key is absent or not an unsigned decimal.
 */
typedef int (*pvio_nb_read_fn)(void *ctx, const char *dir, const char *node,
			       unsigned int *val);

/**
 * struct pvio_nb_queue_keys - the queues a frontend published
 * @nr_queues: multi-queue-num-queues (1 when absent)
 * @split: every queue has event-channel-tx and -rx
 * @q: per queue, its ring refs and ports (untrusted: mapped and bound by
 *	the hypervisor's rules); rx_port == tx_port without split
 */
struct pvio_nb_queue_keys {
	unsigned int nr_queues;
	bool split;
	struct {
		grant_ref_t tx_ref, rx_ref;
		evtchn_port_t tx_port, rx_port;
	} q[PVIO_NB_QUEUES_LIMIT];
};

int pvio_netback_check_queues(unsigned int requested, unsigned int max);
int pvio_netback_read_queue_keys(pvio_nb_read_fn read, void *ctx,
				 const char *otherend, unsigned int max_queues,
				 struct pvio_nb_queue_keys *keys, char *why,
				 size_t len);
int pvio_netback_parse_rate(const char *s, u64 *bytes, u64 *usec);
void pvio_netback_credit_set(struct pvio_nb_credit *c, u64 bytes, u64 usec,
			     u64 now);
void pvio_netback_credit_add(struct pvio_nb_credit *c);
bool pvio_netback_credit_take(struct pvio_nb_credit *c, unsigned int size,
			      u64 now, u64 *wake);

struct pvio_nb_txbuild;

/* A mapped TX slot, until the stack releases the skb holding it. */
struct pvio_nb_pending {
	struct ubuf_info ubuf;		/* head slot of an skb only */
	u16 idx;			/* our index in vif->pending */
	u16 req_id;
	grant_handle_t handle;
	struct page *page;
	u8 nr_chain;			/* head: other slots of the skb */
	u16 chain[MAX_SKB_FRAGS];
};

/*
 * struct pvio_nb_zc - a queue's mapped TX slots, for one connect
 *
 * Allocated at each connect and referenced by the queue and by every
 * zero-copy skb in dom0's stack (their ubuf_info is in @pending), so a
 * completion that comes after the queue gave up waiting (its @queue then
 * NULL) or after the vif is gone never touches freed memory.
 */
struct pvio_nb_zc {
	refcount_t ref;			/* the queue's, one per skb in flight */
	struct rcu_head rcu;		/* the last put may be in any context */
	spinlock_t lock;		/* queue, dealloc, nr_dealloc */
	struct pvio_nb_queue *queue;	/* NULL once orphaned */
	atomic_t inflight;		/* zero-copy skbs not yet released */
	bool orphaned;			/* counted in pvio_nb_zc_orphans */
	unsigned int nr_dealloc;
	u16 dealloc[PVIO_NB_PENDING];
	u16 pending_free[PVIO_NB_PENDING];	/* NAPI's */
	unsigned int nr_pending_free;
	struct pvio_nb_pending pending[PVIO_NB_PENDING];
};

struct pvio_nb_stats {
	u64 rx_packets, rx_bytes, rx_dropped, rx_errors;
	u64 tx_packets, tx_bytes, tx_dropped, tx_errors;
	u64 tx_zerocopy, tx_zerocopy_done, tx_copied, tx_frag_copy;
	u64 tx_bad, tx_gso, tx_csum_partial, tx_gro_merged, tx_rate_limited;
	u64 rx_gso, rx_copy_ops, rx_batches, rx_stalls, rx_csum_partial;
	u64 tx_spurious, rx_spurious;
	u64 tx_zerocopy_copied, tx_zerocopy_timeout, tx_map_ops, tx_copy_ops;
	u64 tx_pending_full, tx_drop_nomem;
	u64 rx_drop_down, rx_drop_oversize, rx_drop_queue_full;
	u64 rx_wake_timeout;
};

/*
 * struct pvio_nb_queue - one ring pair of a vif (netif.h's queue-N)
 *
 * Everything a queue's data path touches: its rings and ports, its NAPI
 * context (guest TX), its RX kthread (guest RX), its credit (each queue
 * has the vif's rate, as xen-netback's queues) and its counters. Only the
 * vif's control fields (@vif) are shared between queues.
 */
struct pvio_nb_queue {
	struct pvio_nb_vif *vif;
	unsigned int id;		/* N of queue-N, the netdev queue */

	/* rings */
	struct xen_netif_tx_back_ring tx;
	struct xen_netif_rx_back_ring rx;
	struct page *tx_page, *rx_page;
	grant_handle_t tx_handle, rx_handle;
	int irq;			/* its irq: TX (and RX if not split) */
	int rx_irq;			/* event-channel-rx's, 0 if not split */
	char tx_irq_name[IFNAMSIZ + 12];
	char rx_irq_name[IFNAMSIZ + 12];
	/* events being handled: bit 0 on irq, bit 1 on rx_irq */
	atomic_t eoi_pending;

	/* guest TX (NAPI) */
	struct napi_struct napi;
	struct pvio_nb_txpkt pkt;
	struct pvio_nb_zc *zc;		/* mapped slots, this connect's */
	struct gnttab_copy *tx_copy;
	struct gnttab_map_grant_ref *tx_map;
	struct gnttab_unmap_grant_ref *tx_unmap;
	struct pvio_nb_txbuild *tx_build;
	/* guest TX rate limit: credit and armed are NAPI's */
	struct pvio_nb_credit credit;
	bool credit_armed;		/* credit_timer started, not consumed */
	bool credit_fired;		/* set by credit_timer */
	struct hrtimer credit_timer;
	bool rate_new;			/* NAPI has not applied the vif's rate */

	/* guest RX (kthread) */
	struct task_struct *rx_task;
	wait_queue_head_t rx_wq;
	struct sk_buff_head rx_queue;
	struct gnttab_copy *rx_copy;
	struct sk_buff_head rx_done;
	unsigned int rx_needed;		/* slots the head skb waits for */
	bool rx_active;			/* the kthread is not idle */
	RING_IDX rx_seen_prod;		/* req_prod when req_event was armed */

	struct pvio_nb_stats stats;
};

struct pvio_nb_vif {
	/* control */
	struct pvio_xenbus_device *xdev;
	struct net_device *dev;
	struct pvio_domain *d;		/* dom0: the caller of our hypercalls */
	domid_t domid;			/* the frontend */
	unsigned int handle;
	bool connected;
	bool can_sg, gso_v4, gso_v6, ipv6_csum;
	bool ip_csum;			/* no feature-no-csum-offload */
	bool disabled;			/* hostile frontend: rings halted */

	/* queues: max_queues allocated, nr_queues connected */
	unsigned int max_queues;	/* multi-queue-max-queues offered */
	unsigned int nr_queues;
	struct pvio_nb_queue *queues;

	spinlock_t rate_lock;		/* rate_bytes, rate_usec */
	u64 rate_bytes, rate_usec;	/* from the store's "rate" */
};

/* The netdev TX queue (dom0 -> guest) that feeds @queue's RX ring. */
static inline struct netdev_queue *pvio_nb_txq(struct pvio_nb_queue *queue)
{
	return netdev_get_tx_queue(queue->vif->dev, queue->id);
}

/* interface.c */
void pvio_nb_eoi(struct pvio_nb_queue *queue, bool rx);
void pvio_nb_notify(struct pvio_nb_queue *queue, bool rx);
struct pvio_nb_vif *pvio_nb_vif_create(struct pvio_xenbus_device *xdev,
				       unsigned int handle,
				       unsigned int max_queues);
void pvio_nb_vif_destroy(struct pvio_nb_vif *vif);
int pvio_nb_connect(struct pvio_nb_vif *vif,
		    const struct pvio_nb_queue_keys *keys);
void pvio_nb_disconnect(struct pvio_nb_vif *vif);
void pvio_nb_fatal(struct pvio_nb_vif *vif, const char *why);

void pvio_nb_set_rate(struct pvio_nb_vif *vif, u64 bytes, u64 usec);

/* tx.c */
int pvio_nb_tx_init(struct pvio_nb_queue *queue);
void pvio_nb_tx_free(struct pvio_nb_queue *queue);
void pvio_nb_tx_wait_orphans(void);
int pvio_nb_poll(struct napi_struct *napi, int budget);
enum hrtimer_restart pvio_nb_credit_timer(struct hrtimer *t);
bool pvio_nb_tx_work(struct pvio_nb_queue *queue);
void pvio_nb_tx_drain(struct pvio_nb_queue *queue);

/* rx.c */
int pvio_nb_rx_init(struct pvio_nb_queue *queue);
void pvio_nb_rx_free(struct pvio_nb_queue *queue);
int pvio_nb_rx_thread(void *data);
bool pvio_nb_rx_work(struct pvio_nb_queue *queue);
netdev_tx_t pvio_nb_start_xmit(struct sk_buff *skb, struct net_device *dev);

#endif /* PVIO_NETBACK_COMMON_H */
