// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-netfront: response checks as pure functions over private copies
 * of the ring slots (KUnit: pvio_netfront_check).
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/bitops.h>
#include <linux/if_ether.h>
#include <linux/netdev_features.h>
#include "netfront.h"

/**
 * pvio_netfront_tx_rsp_check() - check one TX response from the backend
 * @rsp: private copy of the response
 * @busy: bitmap of TX ids with a request outstanding
 * @nr: ids in @busy (the ring size)
 *
 * The 2021 netfront hardening: the id must be in range and name a request
 * still waiting for its response (not free, not answered twice).
 * XEN_NETIF_RSP_NULL answers an extra-info slot and carries no id.
 *
 * Context: any (pure function).
 * Return: 0 for a valid response, 1 for a NULL response to skip,
 * -EPROTO for a bad id (the device must be marked broken).
 */
int pvio_netfront_tx_rsp_check(const struct xen_netif_tx_response *rsp,
			       const unsigned long *busy, unsigned int nr)
{
	if (rsp->status == XEN_NETIF_RSP_NULL)
		return 1;
	if (rsp->id >= nr || !test_bit(rsp->id, busy))
		return -EPROTO;
	return 0;
}
EXPORT_SYMBOL_GPL(pvio_netfront_tx_rsp_check);

static bool pvio_nf_rsp_bad(const struct xen_netif_rx_response *r)
{
	return r->status < 0 || r->offset >= PVIO_NF_PAGE ||
	       r->offset + r->status > PVIO_NF_PAGE;
}

/**
 * pvio_netfront_rx_parse() - parse and check one RX packet's responses
 * @rsps: private copies of the unconsumed responses from rsp_cons on
 * @avail: entries in @rsps
 * @cons: the ring index of @rsps[0] (rsp_cons)
 * @pkt: out: the packet
 *
 * Our RX requests carry id == ring index & 255, and a backend answers
 * each request in the slot it came in, so every data response must carry
 * the id of its own slot (extra-info slots carry none). A packet is its
 * first response, the extra slots it announces (XEN_NETRXF_extra_info,
 * chained by XEN_NETIF_EXTRA_FLAG_MORE), then one slot per
 * XEN_NETRXF_more_data; the backend pushes whole packets.
 *
 * Fatal (-EPROTO): a wrong id; a packet not completely on the ring; more
 * than 18 data slots; more extra slots than types.
 * Dropped (@pkt->drop): a negative status (the backend's error), offset +
 * status beyond the 4 KiB page, an unknown extra type, a GSO extra with
 * size 0 or an unknown type, fewer than ETH_HLEN bytes in all.
 *
 * Context: any (pure function).
 * Return: response slots used (>= 1), 0 if @avail is 0, or -EPROTO.
 */
int pvio_netfront_rx_parse(const struct xen_netif_rx_response *rsps,
			   unsigned int avail, RING_IDX cons,
			   struct pvio_nf_rxpkt *pkt)
{
	struct xen_netif_extra_info extra;
	unsigned int i = 1, nextra = 0;
	u16 last;

	memset(pkt, 0, sizeof(*pkt));
	if (!avail)
		return 0;
	if (rsps[0].id != (u16)(cons & (PVIO_NF_RING - 1)))
		return -EPROTO;
	pkt->flags = rsps[0].flags;
	pkt->nr_data = 1;
	if (pvio_nf_rsp_bad(&rsps[0]))
		pkt->drop = true;
	else
		pkt->len = rsps[0].status;
	if (pkt->flags & XEN_NETRXF_extra_info) {
		do {
			if (i >= avail || ++nextra > PVIO_NF_MAX_EXTRAS)
				return -EPROTO;
			BUILD_BUG_ON(sizeof(extra) != sizeof(rsps[0]));
			memcpy(&extra, &rsps[i], sizeof(extra));
			pkt->extra_mask |= BIT(i);
			i++;
			if (extra.type == XEN_NETIF_EXTRA_TYPE_NONE ||
			    extra.type >= XEN_NETIF_EXTRA_TYPE_MAX)
				pkt->drop = true;
			else if (extra.type == XEN_NETIF_EXTRA_TYPE_GSO)
				pkt->gso = extra;
		} while (extra.flags & XEN_NETIF_EXTRA_FLAG_MORE);
	}
	last = pkt->flags;
	while (last & XEN_NETRXF_more_data) {
		const struct xen_netif_rx_response *r = &rsps[i];

		if (pkt->nr_data >= PVIO_NF_MAX_SLOTS || i >= avail ||
		    r->id != (u16)((cons + i) & (PVIO_NF_RING - 1)))
			return -EPROTO;
		pkt->data_pos[pkt->nr_data++] = i;
		if (pvio_nf_rsp_bad(r))
			pkt->drop = true;
		else
			pkt->len += r->status;
		last = r->flags;
		i++;
	}
	pkt->nr_rsps = i;
	if (pkt->gso.type == XEN_NETIF_EXTRA_TYPE_GSO &&
	    (!pkt->gso.u.gso.size ||
	     (pkt->gso.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
	      pkt->gso.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6)))
		pkt->drop = true;
	if (pkt->len < ETH_HLEN)
		pkt->drop = true;
	return i;
}
EXPORT_SYMBOL_GPL(pvio_netfront_rx_parse);

/**
 * pvio_netfront_offload_keys() - the offload keys a frontend writes
 * @want: eth<N>'s wanted features (what ethtool -K left on)
 * @offload: pvio-netfront.offload at this connect
 * @k: out: the keys' values
 *
 * Xen's netif.h keys describe what the frontend can receive. xen-netfront
 * always advertises everything; here a frontend whose checksumming is off
 * (the parameter, or ethtool -K tx off before the connect) asks for full
 * checksums with feature-no-csum-offload=1, as xen-netback reads it
 * (read_xenbus_vif_flags()). GSO needs the checksum of its family (a GSO
 * packet is checksum-partial), so no checksum means no GSO key either.
 *
 * Context: any (pure function).
 */
void pvio_netfront_offload_keys(netdev_features_t want, bool offload,
				struct pvio_nf_offload_keys *k)
{
	bool csum4 = offload && (want & NETIF_F_IP_CSUM);
	bool csum6 = offload && (want & NETIF_F_IPV6_CSUM);

	k->no_csum = !csum4;
	k->ipv6_csum = csum6;
	k->gso_v4 = csum4 && (want & NETIF_F_TSO);
	k->gso_v6 = csum6 && (want & NETIF_F_TSO6);
}
EXPORT_SYMBOL_GPL(pvio_netfront_offload_keys);
