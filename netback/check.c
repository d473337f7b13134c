// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-netback: guest TX request validation as a pure function over
 * private copies of the ring slots (KUnit: pvio_netback_check).
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/if_ether.h>
#include "common.h"

static void pvio_nb_plan(struct pvio_nb_txpkt *pkt)
{
	unsigned int s, left = min_t(unsigned int, pkt->len,
				     PVIO_NB_TX_COPY_LEN);

	pkt->hdr_len = left;
	for (s = 0; s < pkt->nr_data; s++) {
		unsigned int off = pkt->data[s].offset;
		unsigned int sz = pkt->data[s].size;
		unsigned int c = min(sz, left);

		if (c) {
			pkt->copy[pkt->nr_copy++] = (struct pvio_nb_seg){
				.slot = s, .req = pkt->data_req[s],
				.offset = off, .len = c };
			left -= c;
		}
		if (sz > c)
			pkt->frags[pkt->nr_frags++] = (struct pvio_nb_seg){
				.slot = s, .req = pkt->data_req[s],
				.offset = off + c, .len = sz - c };
	}
}

/**
 * pvio_netback_tx_parse() - parse and validate one guest TX packet
 * @reqs: private copies of the unconsumed requests, from req_cons on
 *	(already copied out of the shared ring: no slot is read twice)
 * @avail: entries in @reqs (the caller may cap it at PVIO_NB_SCAN)
 * @pkt: out: the packet, its header copy plan and its fragments
 *
 * The rules of Linux's xen-netback (xenvif_count_requests(),
 * xenvif_get_extras(), xenvif_tx_build_gops()) for netif requests:
 * a packet is its first request, the extra-info slots the first one
 * announces (XEN_NETTXF_extra_info, chained by XEN_NETIF_EXTRA_FLAG_MORE),
 * then one request per XEN_NETTXF_more_data. The first request's size is
 * the packet's length; each slot's data must lie within its 4 KiB page.
 *
 * Fatal for the vif (-EPROTO): more than XEN_NETIF_NR_SLOTS_MIN (18) data
 * slots; a packet not completely on the ring (frontends push whole
 * packets); offset + size > 4096 in any slot; an extra slot of unknown
 * type or more extra slots than types; a GSO extra with size 0 or an
 * unknown GSO type.
 * Dropped (@pkt->drop, answered with XEN_NETIF_RSP_ERROR): a packet
 * shorter than ETH_HLEN; fragments adding up to more than the packet.
 * Zero-length slots are answered but never become fragments (XSA-448).
 * The first min(len, 128) bytes are planned as grant copies into the
 * linear area even when they span slots (XSA-423), the rest as one
 * fragment per slot. Each data slot's request index (from @reqs[0], extra
 * slots counted) is recorded in @pkt->data_req and in every piece planned
 * from it, so the caller can answer a slot without searching the request
 * list for it.
 *
 * Context: any (pure function).
 * Return: the number of ring slots the packet used (>= 1), 0 if @avail is
 * 0, or -EPROTO if the frontend is broken or hostile.
 */
int pvio_netback_tx_parse(const struct xen_netif_tx_request *reqs,
			  unsigned int avail, struct pvio_nb_txpkt *pkt)
{
	struct xen_netif_extra_info extra;
	unsigned int i = 1, s, nextra = 0, rest = 0;
	u16 last;

	memset(pkt, 0, sizeof(*pkt));
	if (!avail)
		return 0;
	pkt->data[0] = reqs[0];
	pkt->nr_data = 1;
	pkt->flags = reqs[0].flags;
	if (pkt->flags & XEN_NETTXF_extra_info) {
		do {
			if (i >= avail || ++nextra > PVIO_NB_MAX_EXTRAS ||
			    i >= 32)
				return -EPROTO;
			BUILD_BUG_ON(sizeof(extra) > sizeof(reqs[0]));
			memcpy(&extra, &reqs[i], sizeof(extra));
			pkt->req_is_extra |= BIT(i);
			i++;
			if (extra.type == XEN_NETIF_EXTRA_TYPE_NONE ||
			    extra.type >= XEN_NETIF_EXTRA_TYPE_MAX)
				return -EPROTO;
			if (extra.type == XEN_NETIF_EXTRA_TYPE_GSO)
				pkt->gso = extra;
		} while (extra.flags & XEN_NETIF_EXTRA_FLAG_MORE);
	}
	last = pkt->flags;
	while (last & XEN_NETTXF_more_data) {
		if (pkt->nr_data >= PVIO_NB_MAX_SLOTS || i >= avail)
			return -EPROTO;
		pkt->data_req[pkt->nr_data] = i;
		pkt->data[pkt->nr_data++] = reqs[i];
		last = reqs[i++].flags;
	}
	pkt->nr_reqs = i;

	for (s = 1; s < pkt->nr_data; s++)
		rest += pkt->data[s].size;
	pkt->len = pkt->data[0].size;
	if (rest > pkt->len) {
		pkt->drop = true;
		pkt->data[0].size = 0;
	} else {
		pkt->data[0].size -= rest;
	}
	for (s = 0; s < pkt->nr_data; s++)
		if (pkt->data[s].offset + pkt->data[s].size > PVIO_NB_PAGE)
			return -EPROTO;
	if (pkt->gso.type == XEN_NETIF_EXTRA_TYPE_GSO &&
	    (!pkt->gso.u.gso.size ||
	     (pkt->gso.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
	      pkt->gso.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6)))
		return -EPROTO;
	if (pkt->len < ETH_HLEN)
		pkt->drop = true;
	if (!pkt->drop)
		pvio_nb_plan(pkt);
	return i;
}
EXPORT_SYMBOL_GPL(pvio_netback_tx_parse);
