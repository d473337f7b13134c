// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-netfront data path: the eth<N> net_device.
 *
 * TX: every piece of an skb (linear part and fragments, split at 4 KiB)
 * is granted read-only to the backend and described by one request; a
 * GSO skb gets an extra-info slot. The queue stops below 18 + 1 free
 * slots and wakes as responses come back; each response's id is checked.
 * RX: the ring is kept full of page_pool pages (zeroed when new to the
 * pool, XSA-403) granted to the backend; NAPI turns more_data chains into
 * one skb of page fragments.
 * Every grant is ended before its page is reused or freed; a page whose
 * grant cannot be ended is never reused (deferred to pvio-grant).
 */
#define pr_fmt(fmt) "pvio-netfront: " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/rtnetlink.h>
#include <linux/interrupt.h>
#include <net/page_pool.h>
#include <net/tcp.h>
#include <pvio/evtchn.h>
#include "netfront.h"

/* Bytes pulled into the linear area of a received skb. */
#define PVIO_NF_RX_PULL		128

/*
 * RX buffers come from a page_pool where the kernel has one
 * (CONFIG_PAGE_POOL, selected by drivers: Debian's kernel has it, the
 * trimmed test kernel does not); otherwise from the page allocator.
 */
#ifdef CONFIG_PAGE_POOL
static int pvio_nf_pool_create(struct pvio_nf *nf)
{
	struct page_pool_params pp = {
		.order = 0,
		.pool_size = PVIO_NF_RING,
		.nid = NUMA_NO_NODE,
	};

	nf->pool = page_pool_create(&pp);
	if (IS_ERR(nf->pool)) {
		int err = PTR_ERR(nf->pool);

		nf->pool = NULL;
		return err;
	}
	return 0;
}

static void pvio_nf_pool_destroy(struct pvio_nf *nf)
{
	if (nf->pool)
		page_pool_destroy(nf->pool);
	nf->pool = NULL;
}

/*
 * XSA-403 as Linux's xennet_alloc_one_rx_buffer(): __GFP_ZERO zeroes pages
 * new to the pool; a recycled page has only held what the backend wrote
 * into it for this domain.
 */
static struct page *pvio_nf_page_alloc(struct pvio_nf *nf)
{
	return page_pool_alloc_pages(nf->pool,
				     GFP_ATOMIC | __GFP_NOWARN | __GFP_ZERO);
}

static void pvio_nf_page_put(struct pvio_nf *nf, struct page *page)
{
	page_pool_put_full_page(nf->pool, page, false);
}

/* The page leaves the pool for good (its grant could not be ended). */
static void pvio_nf_page_unpool(struct pvio_nf *nf, struct page *page)
{
	page_pool_release_page(nf->pool, page);
}

static void pvio_nf_skb_recycle(struct sk_buff *skb)
{
	skb_mark_for_recycle(skb);
}
#else
static int pvio_nf_pool_create(struct pvio_nf *nf)
{
	return 0;
}

static void pvio_nf_pool_destroy(struct pvio_nf *nf)
{
}

static struct page *pvio_nf_page_alloc(struct pvio_nf *nf)
{
	return alloc_page(GFP_ATOMIC | __GFP_NOWARN | __GFP_ZERO);
}

static void pvio_nf_page_put(struct pvio_nf *nf, struct page *page)
{
	put_page(page);
}

static void pvio_nf_page_unpool(struct pvio_nf *nf, struct page *page)
{
}

static void pvio_nf_skb_recycle(struct sk_buff *skb)
{
}
#endif

static void pvio_nf_broken(struct pvio_nf *nf, const char *why)
{
	if (nf->broken)
		return;
	WRITE_ONCE(nf->broken, true);
	net_err_ratelimited("%s: backend d%u: %s; device broken\n",
			    nf->dev->name, nf->beid, why);
	netif_carrier_off(nf->dev);
	netif_tx_stop_all_queues(nf->dev);
}

/*
 * End the grant on @page. On failure the backend still has access: the
 * page is handed to pvio-grant's deferred list (which puts our reference
 * once the grant really ends) and never reused; the device is broken.
 */
static bool pvio_nf_end_access(struct pvio_nf *nf, grant_ref_t ref,
			       struct page *page)
{
	if (pvio_gnttab_end_foreign_access_ref(nf->d, ref)) {
		pvio_gnttab_free_grant_reference(nf->d, ref);
		return true;
	}
	nf->stats.end_access_failed++;
	pvio_nf_broken(nf, "backend kept access to a page");
	get_page(page);
	pvio_gnttab_end_foreign_access(nf->d, ref, page);
	return false;
}

/* ---- TX --------------------------------------------------------------- */

struct pvio_nf_piece {
	struct page *page;
	unsigned int off, len;
};

static unsigned int pvio_nf_split(struct pvio_nf_piece *p, unsigned int max,
				  unsigned int n, struct page *page,
				  unsigned int off, unsigned int len)
{
	unsigned int c;

	page += off >> PAGE_SHIFT;
	off &= ~PAGE_MASK;
	while (len) {
		c = min_t(unsigned int, len, PAGE_SIZE - off);
		if (n < max)
			p[n] = (struct pvio_nf_piece){ page, off, c };
		n++;
		len -= c;
		page++;
		off = 0;
	}
	return n;
}

static unsigned int pvio_nf_pieces(struct sk_buff *skb,
				   struct pvio_nf_piece *p, unsigned int max)
{
	unsigned int i, n = 0;

	n = pvio_nf_split(p, max, n, virt_to_page(skb->data),
			  offset_in_page(skb->data), skb_headlen(skb));
	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *f = &skb_shinfo(skb)->frags[i];

		n = pvio_nf_split(p, max, n, skb_frag_page(f), skb_frag_off(f),
				  skb_frag_size(f));
	}
	return n;
}

static unsigned int pvio_nf_tx_free_slots(struct pvio_nf *nf)
{
	return min(pvio_ring_free_slots(nf->tx.req_prod_pvt, nf->tx.rsp_cons,
					PVIO_NF_RING), nf->nr_tx_free);
}

static netdev_tx_t pvio_nf_start_xmit(struct sk_buff *skb,
				      struct net_device *dev)
{
	struct pvio_nf *nf = netdev_priv(dev);
	struct pvio_nf_piece p[PVIO_NF_MAX_SLOTS];
	unsigned int n, i, need;
	grant_ref_t refs[PVIO_NF_MAX_SLOTS];
	struct xen_netif_tx_request *req;
	u16 id, flags = 0;
	bool gso = skb_is_gso(skb);

	if (!READ_ONCE(nf->connected) || nf->broken)
		goto drop;
	n = pvio_nf_pieces(skb, p, PVIO_NF_MAX_SLOTS);
	if (n > PVIO_NF_MAX_SLOTS) {
		if (skb_linearize(skb))
			goto drop;
		nf->stats.tx_linearized++;
		n = pvio_nf_pieces(skb, p, PVIO_NF_MAX_SLOTS);
		if (n > PVIO_NF_MAX_SLOTS)
			goto drop;
	}
	if (skb->len > XEN_NETIF_MAX_TX_SIZE)
		goto drop;
	for (i = 0; i < n; i++) {
		int r = pvio_gnttab_grant_foreign_access(nf->d, nf->beid,
							 pvio_page_to_gfn(nf->d,
									  p[i].page),
							 true);

		if (r < 0) {
			while (i--)
				pvio_nf_end_access(nf, refs[i], p[i].page);
			goto drop;
		}
		refs[i] = r;
	}
	need = n + gso;

	spin_lock_bh(&nf->tx_lock);
	/* pvio_nf_teardown() clears connected under tx_lock */
	if (!nf->connected || nf->broken ||
	    pvio_nf_tx_free_slots(nf) < need) {
		spin_unlock_bh(&nf->tx_lock);
		for (i = 0; i < n; i++)
			pvio_nf_end_access(nf, refs[i], p[i].page);
		goto drop;
	}
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		flags |= XEN_NETTXF_csum_blank | XEN_NETTXF_data_validated;
	else if (skb->ip_summed == CHECKSUM_UNNECESSARY)
		flags |= XEN_NETTXF_data_validated;
	for (i = 0; i < n; i++) {
		id = nf->tx_free[--nf->nr_tx_free];
		nf->tx_slots[id].skb = i ? skb_get(skb) : skb;
		nf->tx_slots[id].page = p[i].page;
		nf->tx_slots[id].ref = refs[i];
		__set_bit(id, nf->tx_busy);
		req = RING_GET_REQUEST(&nf->tx, nf->tx.req_prod_pvt++);
		req->gref = refs[i];
		req->offset = p[i].off;
		req->id = id;
		req->size = i ? p[i].len : skb->len;
		req->flags = (i ? 0 : flags) |
			     (i + 1 < n ? XEN_NETTXF_more_data : 0) |
			     (!i && gso ? XEN_NETTXF_extra_info : 0);
		if (!i && gso) {
			struct xen_netif_extra_info *extra = (void *)
				RING_GET_REQUEST(&nf->tx, nf->tx.req_prod_pvt++);

			memset(extra, 0, sizeof(struct xen_netif_tx_request));
			extra->type = XEN_NETIF_EXTRA_TYPE_GSO;
			extra->u.gso.size = skb_shinfo(skb)->gso_size;
			extra->u.gso.type =
				skb_shinfo(skb)->gso_type & SKB_GSO_TCPV6 ?
				XEN_NETIF_GSO_TYPE_TCPV6 :
				XEN_NETIF_GSO_TYPE_TCPV4;
			nf->stats.tx_gso++;
		}
	}
	nf->stats.tx_packets++;
	nf->stats.tx_bytes += skb->len;
	skb_tx_timestamp(skb);
	if (PVIO_RING_PUSH_REQUESTS(&nf->tx))
		pvio_notify_remote_via_irq(nf->irq);
	if (pvio_nf_tx_free_slots(nf) < PVIO_NF_TX_MIN_FREE) {
		nf->stats.tx_stops++;
		netif_stop_queue(dev);
	}
	spin_unlock_bh(&nf->tx_lock);
	return NETDEV_TX_OK;
drop:
	nf->stats.tx_dropped++;
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

/* Collect TX responses; tx_lock held. */
static void pvio_nf_tx_gc(struct pvio_nf *nf)
{
	struct xen_netif_tx_response rsp;
	int n, r;

	do {
		n = PVIO_RING_RESPONSES_AVAIL(&nf->tx);
		if (n < 0) {
			pvio_nf_broken(nf, "impossible tx rsp_prod");
			return;
		}
		while (n--) {
			struct pvio_nf_txslot *s;

			PVIO_RING_COPY_RESPONSE(&nf->tx, nf->tx.rsp_cons, &rsp);
			r = pvio_netfront_tx_rsp_check(&rsp, nf->tx_busy,
						       PVIO_NF_RING);
			if (r < 0) {
				pvio_nf_broken(nf, "bad tx response id");
				return;
			}
			nf->tx.rsp_cons++;
			if (r > 0)
				continue;
			s = &nf->tx_slots[rsp.id];
			if (rsp.status != XEN_NETIF_RSP_OKAY)
				nf->stats.tx_errors++;
			pvio_nf_end_access(nf, s->ref, s->page);
			dev_kfree_skb_any(s->skb);
			s->skb = NULL;
			s->page = NULL;
			__clear_bit(rsp.id, nf->tx_busy);
			nf->tx_free[nf->nr_tx_free++] = rsp.id;
		}
		n = PVIO_RING_FINAL_CHECK_FOR_RESPONSES(&nf->tx);
	} while (n > 0);
	if (n < 0) {
		pvio_nf_broken(nf, "impossible tx rsp_prod");
		return;
	}
	if (netif_queue_stopped(nf->dev) && READ_ONCE(nf->connected) &&
	    pvio_nf_tx_free_slots(nf) >= PVIO_NF_TX_MIN_FREE)
		netif_wake_queue(nf->dev);
}

/* ---- RX --------------------------------------------------------------- */

static void pvio_nf_rx_refill(struct pvio_nf *nf)
{
	unsigned int posted;
	struct page *page;
	int ref;

	if (nf->broken || !READ_ONCE(nf->connected))
		return;
	while (nf->rx.req_prod_pvt - nf->rx.rsp_cons < PVIO_NF_RING) {
		unsigned int idx = nf->rx.req_prod_pvt & (PVIO_NF_RING - 1);
		struct xen_netif_rx_request *req;

		page = pvio_nf_page_alloc(nf);
		if (!page)
			break;
		ref = pvio_gnttab_grant_foreign_access(nf->d, nf->beid,
						       pvio_page_to_gfn(nf->d,
									page),
						       false);
		if (ref < 0) {
			pvio_nf_page_put(nf, page);
			break;
		}
		nf->rx_pages[idx] = page;
		nf->rx_refs[idx] = ref;
		req = RING_GET_REQUEST(&nf->rx, nf->rx.req_prod_pvt++);
		req->id = idx;
		req->gref = ref;
	}
	posted = nf->rx.req_prod_pvt - nf->rx.rsp_cons;
	if (posted < PVIO_NF_RX_MIN)
		mod_timer(&nf->refill_timer, jiffies + HZ / 10);
	if (PVIO_RING_PUSH_REQUESTS(&nf->rx))
		pvio_notify_remote_via_irq(nf->split ? nf->rx_irq : nf->irq);
}

static void pvio_nf_refill_timer(struct timer_list *t)
{
	struct pvio_nf *nf = from_timer(nf, t, refill_timer);

	napi_schedule(&nf->napi);
}

/* Take the buffer of ring index @i back from the backend. */
static struct page *pvio_nf_rx_take(struct pvio_nf *nf, RING_IDX i)
{
	unsigned int idx = i & (PVIO_NF_RING - 1);
	struct page *page = nf->rx_pages[idx];

	nf->rx_pages[idx] = NULL;
	if (!page)
		return NULL;
	if (!pvio_gnttab_end_foreign_access_ref(nf->d, nf->rx_refs[idx])) {
		/* never reuse it: out of the pool, freed when access ends */
		nf->stats.end_access_failed++;
		pvio_nf_broken(nf, "backend kept access to an rx buffer");
		pvio_nf_page_unpool(nf, page);
		pvio_gnttab_end_foreign_access(nf->d, nf->rx_refs[idx], page);
		return NULL;
	}
	pvio_gnttab_free_grant_reference(nf->d, nf->rx_refs[idx]);
	return page;
}

static int pvio_nf_checksum_setup(struct sk_buff *skb)
{
	bool recalc = false;

	if (skb->ip_summed != CHECKSUM_PARTIAL && skb_is_gso(skb)) {
		recalc = true;
		skb->ip_summed = CHECKSUM_PARTIAL;
	}
	if (skb->ip_summed != CHECKSUM_PARTIAL)
		return 0;
	return skb_checksum_setup(skb, recalc);
}

/* One packet at rsp_cons. Returns 1 if consumed, 0 if none, <0 broken. */
static int pvio_nf_rx_one(struct pvio_nf *nf)
{
	struct xen_netif_rx_response rsps[PVIO_NF_RX_SCAN];
	struct pvio_nf_rxpkt pkt;
	RING_IDX cons = nf->rx.rsp_cons;
	struct sk_buff *skb = NULL;
	unsigned int i, n;
	int avail, used;

	avail = PVIO_RING_RESPONSES_AVAIL(&nf->rx);
	if (avail < 0) {
		pvio_nf_broken(nf, "impossible rx rsp_prod");
		return -EPROTO;
	}
	if (!avail)
		return 0;
	n = min_t(unsigned int, avail, PVIO_NF_RX_SCAN);
	for (i = 0; i < n; i++)
		PVIO_RING_COPY_RESPONSE(&nf->rx, cons + i, &rsps[i]);
	used = pvio_netfront_rx_parse(rsps, n, cons, &pkt);
	if (used < 0) {
		pvio_nf_broken(nf, "bad rx response");
		return -EPROTO;
	}
	nf->rx.rsp_cons += used;
	if (!pkt.drop)
		skb = napi_alloc_skb(&nf->napi, PVIO_NF_RX_PULL);
	for (i = 0; i < used; i++) {
		struct page *page = pvio_nf_rx_take(nf, cons + i);
		const struct xen_netif_rx_response *r = &rsps[i];

		if (!page)
			continue;
		if (!skb || (pkt.extra_mask & BIT(i)) || r->status <= 0 ||
		    skb_shinfo(skb)->nr_frags >= MAX_SKB_FRAGS) {
			pvio_nf_page_put(nf, page);
			continue;
		}
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page,
				r->offset, r->status, PAGE_SIZE);
	}
	if (!skb || skb->len != pkt.len || nf->broken) {
		nf->stats.rx_errors++;
		if (skb)
			kfree_skb(skb);
		return 1;
	}
	pvio_nf_skb_recycle(skb);
	if (!__pskb_pull_tail(skb, min_t(unsigned int, skb->len,
					 PVIO_NF_RX_PULL)))
		goto drop;
	if (pkt.flags & XEN_NETRXF_csum_blank)
		skb->ip_summed = CHECKSUM_PARTIAL;
	else if (pkt.flags & XEN_NETRXF_data_validated)
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	if (pkt.gso.type == XEN_NETIF_EXTRA_TYPE_GSO) {
		skb_shinfo(skb)->gso_size = pkt.gso.u.gso.size;
		skb_shinfo(skb)->gso_type =
			(pkt.gso.u.gso.type == XEN_NETIF_GSO_TYPE_TCPV4 ?
			 SKB_GSO_TCPV4 : SKB_GSO_TCPV6) | SKB_GSO_DODGY;
		skb_shinfo(skb)->gso_segs = 0;
		nf->stats.rx_gso++;
	}
	skb->protocol = eth_type_trans(skb, nf->dev);
	skb_reset_network_header(skb);
	if (pvio_nf_checksum_setup(skb))
		goto drop;
	nf->stats.rx_packets++;
	nf->stats.rx_bytes += skb->len;
	napi_gro_receive(&nf->napi, skb);
	return 1;
drop:
	nf->stats.rx_errors++;
	kfree_skb(skb);
	return 1;
}

static int pvio_nf_poll(struct napi_struct *napi, int budget)
{
	struct pvio_nf *nf = container_of(napi, struct pvio_nf, napi);
	int done = 0, r;

	spin_lock_bh(&nf->tx_lock);
	if (!nf->broken)
		pvio_nf_tx_gc(nf);
	spin_unlock_bh(&nf->tx_lock);
	while (done < budget && !nf->broken) {
		r = pvio_nf_rx_one(nf);
		if (r <= 0)
			break;
		done++;
	}
	pvio_nf_rx_refill(nf);
	if (done < budget && napi_complete_done(napi, done) && !nf->broken) {
		r = PVIO_RING_FINAL_CHECK_FOR_RESPONSES(&nf->rx);
		if (r < 0)
			pvio_nf_broken(nf, "impossible rx rsp_prod");
		else if (r > 0 || READ_ONCE(nf->tx.sring->rsp_prod) !=
			 nf->tx.rsp_cons)
			napi_schedule(napi);
	}
	return done;
}

static irqreturn_t pvio_nf_interrupt(int irq, void *data)
{
	struct pvio_nf *nf = data;

	if (READ_ONCE(nf->napi_on) && !nf->broken)
		napi_schedule(&nf->napi);
	return IRQ_HANDLED;
}

/* ---- net_device --------------------------------------------------------- */

static int pvio_nf_open(struct net_device *dev)
{
	struct pvio_nf *nf = netdev_priv(dev);

	if (READ_ONCE(nf->connected) && !nf->broken) {
		netif_start_queue(dev);
		napi_schedule(&nf->napi);
	}
	return 0;
}

static int pvio_nf_close(struct net_device *dev)
{
	netif_tx_stop_all_queues(dev);
	return 0;
}

static void pvio_nf_get_stats64(struct net_device *dev,
				struct rtnl_link_stats64 *s)
{
	struct pvio_nf *nf = netdev_priv(dev);

	s->rx_packets = READ_ONCE(nf->stats.rx_packets);
	s->rx_bytes = READ_ONCE(nf->stats.rx_bytes);
	s->rx_errors = READ_ONCE(nf->stats.rx_errors);
	s->rx_dropped = READ_ONCE(nf->stats.rx_dropped);
	s->tx_packets = READ_ONCE(nf->stats.tx_packets);
	s->tx_bytes = READ_ONCE(nf->stats.tx_bytes);
	s->tx_errors = READ_ONCE(nf->stats.tx_errors);
	s->tx_dropped = READ_ONCE(nf->stats.tx_dropped);
}

static netdev_features_t pvio_nf_fix_features(struct net_device *dev,
					      netdev_features_t features)
{
	struct pvio_nf *nf = netdev_priv(dev);

	if (!nf->sg)
		features &= ~NETIF_F_SG;
	if (!nf->gso_v4)
		features &= ~NETIF_F_TSO;
	if (!nf->gso_v6)
		features &= ~NETIF_F_TSO6;
	if (!nf->ipv6_csum)
		features &= ~NETIF_F_IPV6_CSUM;
	return features;
}

static int pvio_nf_change_mtu(struct net_device *dev, int mtu)
{
	struct pvio_nf *nf = netdev_priv(dev);

	if (mtu > ETH_DATA_LEN && !nf->sg)
		return -EINVAL;
	dev->mtu = mtu;
	return 0;
}

static const struct net_device_ops pvio_nf_netdev_ops = {
	.ndo_open = pvio_nf_open,
	.ndo_stop = pvio_nf_close,
	.ndo_start_xmit = pvio_nf_start_xmit,
	.ndo_get_stats64 = pvio_nf_get_stats64,
	.ndo_fix_features = pvio_nf_fix_features,
	.ndo_change_mtu = pvio_nf_change_mtu,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

static const struct {
	const char *name;
	size_t off;
} pvio_nf_stat_names[] = {
#define S(f) { #f, offsetof(struct pvio_nf_stats, f) }
	S(rx_packets), S(rx_bytes), S(rx_errors), S(rx_dropped),
	S(tx_packets), S(tx_bytes), S(tx_errors), S(tx_dropped),
	S(tx_gso), S(tx_linearized), S(rx_gso), S(tx_stops),
	S(end_access_failed), S(backend_restarts), S(reconnects),
	S(recovery_timeouts),
#undef S
};

static void pvio_nf_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	unsigned int i;

	if (sset != ETH_SS_STATS)
		return;
	for (i = 0; i < ARRAY_SIZE(pvio_nf_stat_names); i++)
		ethtool_sprintf(&data, "%s", pvio_nf_stat_names[i].name);
}

static int pvio_nf_get_sset_count(struct net_device *dev, int sset)
{
	return sset == ETH_SS_STATS ? ARRAY_SIZE(pvio_nf_stat_names) :
	       -EOPNOTSUPP;
}

static void pvio_nf_get_ethtool_stats(struct net_device *dev,
				      struct ethtool_stats *st, u64 *data)
{
	struct pvio_nf *nf = netdev_priv(dev);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pvio_nf_stat_names); i++)
		data[i] = READ_ONCE(*(u64 *)((char *)&nf->stats +
					     pvio_nf_stat_names[i].off));
}

/* ethtool -l: one queue (a TX and RX ring pair, one NAPI), as combined. */
static void pvio_nf_get_channels(struct net_device *dev,
				 struct ethtool_channels *ch)
{
	ch->max_combined = dev->num_tx_queues;
	ch->combined_count = dev->real_num_tx_queues;
}

static const struct ethtool_ops pvio_nf_ethtool_ops = {
	.get_link = ethtool_op_get_link,
	.get_strings = pvio_nf_get_strings,
	.get_sset_count = pvio_nf_get_sset_count,
	.get_ethtool_stats = pvio_nf_get_ethtool_stats,
	.get_channels = pvio_nf_get_channels,
};

/* ---- set-up and teardown (called by the control path) ----------------- */

static void pvio_nf_free_ring(struct pvio_nf *nf, struct page **page,
			      grant_ref_t ref)
{
	if (*page)
		pvio_xenbus_end_ring(nf->xdev, ref, *page);
	*page = NULL;
}

static void pvio_nf_unbind(struct pvio_nf *nf)
{
	if (nf->rx_irq > 0)
		pvio_unbind_from_irqhandler(nf->rx_irq, nf);
	else if (nf->rx_port)
		pvio_xenbus_free_evtchn(nf->xdev, nf->rx_port);
	if (nf->irq > 0)
		pvio_unbind_from_irqhandler(nf->irq, nf);
	else if (nf->port)
		pvio_xenbus_free_evtchn(nf->xdev, nf->port);
	nf->irq = 0;
	nf->port = 0;
	nf->rx_irq = 0;
	nf->rx_port = 0;
}

/*
 * One port, or with @nf->split two (xen-netfront's setup_netfront_split()):
 * event-channel-tx for TX requests and completions, event-channel-rx for
 * RX. Both interrupts only schedule NAPI.
 */
static int pvio_nf_bind(struct pvio_nf *nf)
{
	int err;

	snprintf(nf->tx_irq_name, sizeof(nf->tx_irq_name), "%s%s",
		 nf->dev->name, nf->split ? "-tx" : "");
	err = pvio_xenbus_alloc_evtchn(nf->xdev, &nf->port);
	if (err)
		return err;
	err = pvio_bind_evtchn_to_irqhandler(nf->d, nf->port, pvio_nf_interrupt,
					     0, nf->tx_irq_name, nf);
	if (err < 0)
		goto fail;
	nf->irq = err;
	if (!nf->split)
		return 0;
	snprintf(nf->rx_irq_name, sizeof(nf->rx_irq_name), "%s-rx",
		 nf->dev->name);
	err = pvio_xenbus_alloc_evtchn(nf->xdev, &nf->rx_port);
	if (err)
		goto fail;
	err = pvio_bind_evtchn_to_irqhandler(nf->d, nf->rx_port,
					     pvio_nf_interrupt, 0,
					     nf->rx_irq_name, nf);
	if (err < 0)
		goto fail;
	nf->rx_irq = err;
	return 0;
fail:
	pvio_nf_unbind(nf);
	return err;
}

/**
 * pvio_nf_setup_rings() - allocate and grant both rings, bind the port(s)
 * @nf: the device
 *
 * Context: process context (the control path).
 * Return: 0 or -errno with everything undone.
 */
int pvio_nf_setup_rings(struct pvio_nf *nf)
{
	struct xen_netif_tx_sring *txs;
	struct xen_netif_rx_sring *rxs;
	unsigned int i;
	int err;

	pvio_nf_teardown(nf);
	nf->broken = false;
	nf->tx_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	nf->rx_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!nf->tx_page || !nf->rx_page) {
		err = -ENOMEM;
		goto free_pages;
	}
	txs = page_address(nf->tx_page);
	rxs = page_address(nf->rx_page);
	SHARED_RING_INIT(txs);
	SHARED_RING_INIT(rxs);
	FRONT_RING_INIT(&nf->tx, txs, PVIO_NF_PAGE);
	FRONT_RING_INIT(&nf->rx, rxs, PVIO_NF_PAGE);
	err = pvio_xenbus_grant_ring(nf->xdev, nf->tx_page, &nf->tx_ring_ref);
	if (err)
		goto free_pages;
	err = pvio_xenbus_grant_ring(nf->xdev, nf->rx_page, &nf->rx_ring_ref);
	if (err) {
		pvio_nf_free_ring(nf, &nf->tx_page, nf->tx_ring_ref);
		goto free_pages;
	}
	err = pvio_nf_pool_create(nf);
	if (err)
		goto end_rings;
	err = pvio_nf_bind(nf);
	if (err)
		goto destroy_pool;
	nf->nr_tx_free = PVIO_NF_RING;
	for (i = 0; i < PVIO_NF_RING; i++)
		nf->tx_free[i] = PVIO_NF_RING - 1 - i;
	bitmap_zero(nf->tx_busy, PVIO_NF_RING);
	nf->rings = true;
	return 0;

destroy_pool:
	pvio_nf_pool_destroy(nf);
end_rings:
	pvio_nf_free_ring(nf, &nf->tx_page, nf->tx_ring_ref);
	pvio_nf_free_ring(nf, &nf->rx_page, nf->rx_ring_ref);
free_pages:
	if (nf->tx_page)
		__free_page(nf->tx_page);
	if (nf->rx_page)
		__free_page(nf->rx_page);
	nf->tx_page = NULL;
	nf->rx_page = NULL;
	return err;
}

/**
 * pvio_nf_start() - the backend is Connected: link up, post RX buffers
 * @nf: the device, rings set up
 *
 * Context: process context.
 */
void pvio_nf_start(struct pvio_nf *nf)
{
	if (!nf->rings || nf->connected)
		return;
	WRITE_ONCE(nf->connected, true);
	rtnl_lock();
	netdev_update_features(nf->dev);
	/* a new backend may lack feature-sg (xennet_set_features()) */
	if (!nf->sg && nf->dev->mtu > ETH_DATA_LEN) {
		netdev_info(nf->dev, "backend lacks feature-sg: MTU %d\n",
			    ETH_DATA_LEN);
		dev_set_mtu(nf->dev, ETH_DATA_LEN);
	}
	rtnl_unlock();
	napi_enable(&nf->napi);
	WRITE_ONCE(nf->napi_on, true);
	netif_carrier_on(nf->dev);
	if (netif_running(nf->dev))
		netif_wake_queue(nf->dev);
	local_bh_disable();
	napi_schedule(&nf->napi);
	local_bh_enable();
}

/**
 * pvio_nf_teardown() - stop, end every grant, free the rings
 * @nf: the device; harmless if nothing is set up
 *
 * The quiesce of xen-netfront's xennet_disconnect_backend(): the link
 * goes down and no transmit touches the ring once @nf->connected is
 * clear (start_xmit checks it under tx_lock), the TX queues stop, NAPI
 * is disabled (the interrupt handler then schedules nothing and no poll
 * notifies) and the port is unbound before any grant is ended. Unanswered
 * TX skbs are freed (TCP retransmits, as after xennet_release_tx_bufs())
 * with the posted RX buffers; a page the backend still maps goes to
 * pvio-grant's deferred end of access. The net_device stays registered.
 *
 * Context: process context, sleeps (napi_disable()).
 */
void pvio_nf_teardown(struct pvio_nf *nf)
{
	unsigned int i;

	netif_carrier_off(nf->dev);
	spin_lock_bh(&nf->tx_lock);
	WRITE_ONCE(nf->connected, false);
	spin_unlock_bh(&nf->tx_lock);
	netif_tx_disable(nf->dev);
	if (nf->napi_on) {
		WRITE_ONCE(nf->napi_on, false);
		napi_disable(&nf->napi);
	}
	del_timer_sync(&nf->refill_timer);
	pvio_nf_unbind(nf);
	if (!nf->rings)
		return;
	for (i = 0; i < PVIO_NF_RING; i++) {
		struct pvio_nf_txslot *s = &nf->tx_slots[i];

		if (!test_bit(i, nf->tx_busy))
			continue;
		pvio_nf_end_access(nf, s->ref, s->page);
		dev_kfree_skb_any(s->skb);
		s->skb = NULL;
		__clear_bit(i, nf->tx_busy);
	}
	for (i = 0; i < PVIO_NF_RING; i++) {
		struct page *page = pvio_nf_rx_take(nf, i);

		if (page)
			pvio_nf_page_put(nf, page);
	}
	pvio_nf_pool_destroy(nf);
	pvio_nf_free_ring(nf, &nf->tx_page, nf->tx_ring_ref);
	pvio_nf_free_ring(nf, &nf->rx_page, nf->rx_ring_ref);
	nf->rings = false;
}

/**
 * pvio_nf_create() - allocate and register eth<N>
 * @xdev: the frontend device
 * @mac: its MAC address (from the store)
 *
 * Context: process context.
 * Return: the device or an ERR_PTR.
 */
struct pvio_nf *pvio_nf_create(struct pvio_xenbus_device *xdev,
			       const u8 *mac)
{
	struct net_device *dev;
	struct pvio_nf *nf;
	int err;

	dev = alloc_etherdev(sizeof(*nf));
	if (!dev)
		return ERR_PTR(-ENOMEM);
	nf = netdev_priv(dev);
	nf->xdev = xdev;
	nf->dev = dev;
	nf->d = xdev->domain;
	nf->beid = xdev->otherend_id;
	spin_lock_init(&nf->tx_lock);
	mutex_init(&nf->ctl_lock);
	timer_setup(&nf->refill_timer, pvio_nf_refill_timer, 0);
	SET_NETDEV_DEV(dev, &xdev->dev);
	dev->netdev_ops = &pvio_nf_netdev_ops;
	dev->ethtool_ops = &pvio_nf_ethtool_ops;
	dev->hw_features = NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_IPV6_CSUM |
			   NETIF_F_TSO | NETIF_F_TSO6;
	dev->features = dev->hw_features | NETIF_F_RXCSUM;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = XEN_NETIF_MAX_TX_SIZE - ETH_HLEN;
	/* a GSO packet and its headers fit the 16-bit size of a request */
	netif_set_tso_max_size(dev, XEN_NETIF_MAX_TX_SIZE - MAX_TCP_HEADER);
	eth_hw_addr_set(dev, mac);
	netif_napi_add(dev, &nf->napi, pvio_nf_poll);
	netif_carrier_off(dev);
	err = register_netdev(dev);
	if (err) {
		netif_napi_del(&nf->napi);
		free_netdev(dev);
		return ERR_PTR(err);
	}
	return nf;
}

/**
 * pvio_nf_destroy() - tear down, unregister and free
 * @nf: the device
 *
 * Context: process context.
 */
void pvio_nf_destroy(struct pvio_nf *nf)
{
	struct net_device *dev = nf->dev;

	pvio_nf_teardown(nf);
	unregister_netdev(dev);
	netif_napi_del(&nf->napi);
	free_netdev(dev);
}
