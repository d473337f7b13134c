/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio-netfront: the network frontend (after Linux's xen-netfront).
 *
 * Control path (xenbus.c): the "vif" frontend driver, features, ring and
 * event-channel set-up, the state machine.
 * Data path (netfront.c): the eth<N> net_device, TX with one read-only
 * grant per fragment, RX from pre-posted page_pool buffers under NAPI.
 * check.c: pure response checks, fed hostile entries by KUnit.
 */
#ifndef PVIO_NETFRONT_H
#define PVIO_NETFRONT_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/timer.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/build_bug.h>
#include <xen/interface/io/netif.h>
#include <pvio/ring.h>
#include <pvio/grant.h>
#include <pvio/xenbus.h>

#define PVIO_NF_RING		256
#define PVIO_NF_PAGE		4096U
static_assert(PAGE_SIZE == PVIO_NF_PAGE);
static_assert(sizeof(struct xen_netif_tx_request) == 12);
static_assert(sizeof(struct xen_netif_tx_response) == 4);
static_assert(sizeof(struct xen_netif_rx_request) == 8);
static_assert(sizeof(struct xen_netif_rx_response) == 8);
static_assert(sizeof(struct xen_netif_extra_info) == 8);
static_assert(__CONST_RING_SIZE(xen_netif_tx, PVIO_NF_PAGE) == PVIO_NF_RING);
static_assert(__CONST_RING_SIZE(xen_netif_rx, PVIO_NF_PAGE) == PVIO_NF_RING);

/* Data slots of one packet (XEN_NETIF_NR_SLOTS_MIN). */
#define PVIO_NF_MAX_SLOTS	XEN_NETIF_NR_SLOTS_MIN
/* Stop TX below this many free slots; refill RX below this many posted. */
#define PVIO_NF_TX_MIN_FREE	(PVIO_NF_MAX_SLOTS + 1)
#define PVIO_NF_RX_MIN		(PVIO_NF_MAX_SLOTS + 1)
#define PVIO_NF_MAX_EXTRAS	(XEN_NETIF_EXTRA_TYPE_MAX - 1)
/* Responses worth looking at for one RX packet. */
#define PVIO_NF_RX_SCAN		(PVIO_NF_MAX_SLOTS + PVIO_NF_MAX_EXTRAS + 1)

/**
 * struct pvio_nf_rxpkt - one RX packet parsed from private response copies
 * @nr_rsps: response slots used (data and extra)
 * @nr_data: data slots (their ring positions in @data_pos)
 * @data_pos: position of each data slot among the responses
 * @extra_mask: bit i set if response i is an extra-info slot
 * @flags: the first response's XEN_NETRXF_* flags
 * @len: total bytes
 * @gso: the GSO extra info if gso.type is XEN_NETIF_EXTRA_TYPE_GSO
 * @drop: malformed but harmless: consume and drop
 */
struct pvio_nf_rxpkt {
	unsigned int nr_rsps;
	unsigned int nr_data;
	u8 data_pos[PVIO_NF_RX_SCAN];
	u32 extra_mask;
	u16 flags;
	unsigned int len;
	struct xen_netif_extra_info gso;
	bool drop;
};

int pvio_netfront_tx_rsp_check(const struct xen_netif_tx_response *rsp,
			       const unsigned long *busy, unsigned int nr);
int pvio_netfront_rx_parse(const struct xen_netif_rx_response *rsps,
			   unsigned int avail, RING_IDX cons,
			   struct pvio_nf_rxpkt *pkt);

/**
 * struct pvio_nf_offload_keys - the receive offloads a frontend advertises
 * @gso_v4: feature-gso-tcpv4
 * @gso_v6: feature-gso-tcpv6
 * @ipv6_csum: feature-ipv6-csum-offload
 * @no_csum: feature-no-csum-offload
 */
struct pvio_nf_offload_keys {
	bool gso_v4, gso_v6, ipv6_csum, no_csum;
};

void pvio_netfront_offload_keys(netdev_features_t want, bool offload,
				struct pvio_nf_offload_keys *k);

struct pvio_nf_txslot {
	struct sk_buff *skb;
	struct page *page;
	grant_ref_t ref;
};

struct pvio_nf_stats {
	u64 rx_packets, rx_bytes, rx_errors, rx_dropped;
	u64 tx_packets, tx_bytes, tx_errors, tx_dropped;
	u64 tx_gso, tx_linearized, rx_gso, tx_stops;
	u64 tx_drop_nogrant;		/* the TX reserve was empty */
	u64 end_access_failed;
	u64 backend_restarts, reconnects, recovery_timeouts;
};

struct pvio_nf;

/*
 * struct pvio_nf_queue - one ring pair of eth<N> (netif.h's queue-N)
 *
 * Its rings, port(s) (bound to one CPU when there are several queues),
 * TX slots under @tx_lock, its NAPI context (RX and TX completions), its
 * RX buffers and pool, its counters.
 */
struct pvio_nf_queue {
	struct pvio_nf *nf;
	unsigned int id;		/* N of queue-N, the netdev queue */
	int cpu;			/* its ports' CPU, or -1 */

	struct xen_netif_tx_front_ring tx;
	struct xen_netif_rx_front_ring rx;
	struct page *tx_page, *rx_page;
	grant_ref_t tx_ring_ref, rx_ring_ref;
	evtchn_port_t port;		/* event-channel or event-channel-tx */
	int irq;
	evtchn_port_t rx_port;		/* event-channel-rx if split, else 0 */
	int rx_irq;
	char tx_irq_name[IFNAMSIZ + 12];
	char rx_irq_name[IFNAMSIZ + 12];

	/* TX */
	spinlock_t tx_lock;
	struct pvio_nf_txslot tx_slots[PVIO_NF_RING];
	DECLARE_BITMAP(tx_busy, PVIO_NF_RING);
	u16 tx_free[PVIO_NF_RING];
	unsigned int nr_tx_free;
	grant_ref_t gref_tx_head;	/* reserved TX refs, one per slot */

	/* RX */
	struct napi_struct napi;
	bool napi_on;
	struct page_pool *pool;
	struct page *rx_pages[PVIO_NF_RING];
	grant_ref_t rx_refs[PVIO_NF_RING];
	grant_ref_t gref_rx_head;	/* reserved RX refs, one per slot */
	struct timer_list refill_timer;

	struct pvio_nf_stats stats;
};

struct pvio_nf {
	/* control */
	struct pvio_xenbus_device *xdev;
	struct net_device *dev;
	struct pvio_domain *d;
	domid_t beid;
	bool sg, gso_v4, gso_v6, ipv6_csum;	/* the backend offers */
	bool no_offload;		/* offload=0 at this connect */
	bool rings;				/* set up */
	bool connected;
	bool broken;				/* hostile backend */
	bool split;			/* split event channels, this connect */

	/*
	 * Backend recovery (xenbus.c): while @held, the backend went away
	 * without being detached and the device waits for a new one;
	 * @hold_work gives up after recovery_timeout seconds. @ctl_lock
	 * serialises the state steps, the timeout and remove().
	 */
	struct mutex ctl_lock;
	bool held;
	struct delayed_work hold_work;

	/* queues: max_queues allocated, nr_queues set up */
	unsigned int max_queues;
	unsigned int nr_queues;
	struct pvio_nf_queue *queues;

	struct pvio_nf_stats stats;	/* the device's: restarts */
};

/* netfront.c */
struct pvio_nf *pvio_nf_create(struct pvio_xenbus_device *xdev,
			       const u8 *mac, unsigned int max_queues);
void pvio_nf_destroy(struct pvio_nf *nf);
int pvio_nf_setup_rings(struct pvio_nf *nf, unsigned int nr_queues);
void pvio_nf_teardown(struct pvio_nf *nf);
void pvio_nf_start(struct pvio_nf *nf);

#endif /* PVIO_NETFRONT_H */
