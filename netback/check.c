// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-netback: guest TX request validation as a pure function over
 * private copies of the ring slots, and the arithmetic of the guest TX
 * rate limit (KUnit: pvio_netback_check).
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/kstrtox.h>
#include <linux/time64.h>
#include <linux/math64.h>
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

/**
 * pvio_netback_check_queues() - the frontend's multi-queue-num-queues
 * @requested: the value it wrote (1 if absent, as xenbus_read_unsigned()
 *	gives for an absent or non-numeric node)
 * @max: what the backend offers in multi-queue-max-queues
 *
 * xen-netback's connect(): a guest asking for no queue or for more than
 * offered is buggy or malicious; the caller refuses the connection with
 * Xen's message (the device's "error" node, Closing), nothing else.
 *
 * Context: any (pure function).
 * Return: 0 if 1 <= @requested <= @max, else -EINVAL.
 */
int pvio_netback_check_queues(unsigned int requested, unsigned int max)
{
	return requested && requested <= max ? 0 : -EINVAL;
}
EXPORT_SYMBOL_GPL(pvio_netback_check_queues);

/**
 * pvio_netback_read_queue_keys() - read and check a frontend's queue keys
 * @read: reads one key (pvio_nb_read_fn)
 * @ctx: @read's context
 * @otherend: the frontend's directory
 * @max_queues: the multi-queue-max-queues this backend offered
 * @keys: out: what the frontend published
 * @why: out: on failure, what is wrong (for the store's "error" node)
 * @len: size of @why, in bytes
 *
 * Linux's xen-netback connect() and connect_data_rings():
 * multi-queue-num-queues, absent = 1, must be 1..@max_queues (Xen's
 * message otherwise); with one queue the keys are flat in @otherend,
 * with several in @otherend/queue-N (N = 0..num-queues - 1); each
 * queue has tx-ring-ref and rx-ring-ref, and event-channel-tx with
 * event-channel-rx (split event channels) or event-channel. Queues may
 * not mix the two kinds (Linux does not check; a frontend has no reason
 * to). Keys of queue directories beyond num-queues are never read.
 * Nothing is mapped or bound here.
 *
 * Context: whatever @read needs (the store: process context, sleeps).
 * Return: 0; -EINVAL (num-queues 0, above @max_queues or above
 * PVIO_NB_QUEUES_LIMIT; queues mixing split and single ports) or
 * -ENOENT (a ring ref or event channel key missing), with @why set.
 */
int pvio_netback_read_queue_keys(pvio_nb_read_fn read, void *ctx,
				 const char *otherend, unsigned int max_queues,
				 struct pvio_nb_queue_keys *keys, char *why,
				 size_t len)
{
	unsigned int q, v, tx, rx;
	char dir[128];
	bool split;

	keys->nr_queues = 1;
	if (!read(ctx, otherend, "multi-queue-num-queues", &v))
		keys->nr_queues = v;
	if (pvio_netback_check_queues(keys->nr_queues, max_queues) ||
	    keys->nr_queues > PVIO_NB_QUEUES_LIMIT) {
		/* xen-netback's words: buggy or malicious guest */
		snprintf(why, len,
			 "guest requested %u queues, but valid range is 1 - %u.",
			 keys->nr_queues,
			 min_t(unsigned int, max_queues, PVIO_NB_QUEUES_LIMIT));
		return -EINVAL;
	}
	keys->split = false;
	for (q = 0; q < keys->nr_queues; q++) {
		if (keys->nr_queues == 1)
			snprintf(dir, sizeof(dir), "%s", otherend);
		else
			snprintf(dir, sizeof(dir), "%s/queue-%u", otherend, q);
		if (read(ctx, dir, "tx-ring-ref", &v)) {
			snprintf(why, len, "reading %s/tx-ring-ref", dir);
			return -ENOENT;
		}
		keys->q[q].tx_ref = v;
		if (read(ctx, dir, "rx-ring-ref", &v)) {
			snprintf(why, len, "reading %s/rx-ring-ref", dir);
			return -ENOENT;
		}
		keys->q[q].rx_ref = v;
		split = !read(ctx, dir, "event-channel-tx", &tx) &&
			!read(ctx, dir, "event-channel-rx", &rx);
		if (!split) {
			if (read(ctx, dir, "event-channel", &tx)) {
				snprintf(why, len,
					 "reading %s/event-channel or event-channel-tx and -rx",
					 dir);
				return -ENOENT;
			}
			rx = tx;
		}
		if (q && split != keys->split) {
			snprintf(why, len,
				 "%s: split event channels in some queues only",
				 dir);
			return -EINVAL;
		}
		keys->split = split;
		keys->q[q].tx_port = tx;
		keys->q[q].rx_port = rx;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(pvio_netback_read_queue_keys);

/**
 * pvio_netback_parse_rate() - parse a vif's "rate" store node
 * @s: the node's value, NUL-terminated (untrusted: the toolstack's or
 *	anyone's who could write the backend directory)
 * @bytes: out: credit_bytes, bytes per interval (>= 1)
 * @usec: out: credit_usec, the interval in microseconds (1 .. 2^32 - 1)
 *
 * The format libxl writes and xen-netback's xen_net_read_rate() reads:
 * "<credit_bytes>,<credit_usec>", both unsigned decimal. Unlike Linux,
 * which takes whatever simple_strtoul() makes of it, anything else is an
 * error: an empty or signed number, a zero, an interval beyond libxl's
 * uint32_t, characters after the second number (one trailing newline is
 * allowed).
 *
 * Context: any (pure function).
 * Return: 0 with *@bytes and *@usec set, or -EINVAL (both left alone).
 */
int pvio_netback_parse_rate(const char *s, u64 *bytes, u64 *usec)
{
	const char *comma = strchr(s, ',');
	char num[24];
	u64 b, u;
	size_t n;

	if (!comma)
		return -EINVAL;
	n = comma - s;
	if (!n || n >= sizeof(num) || s[0] == '+' || comma[1] == '+')
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = 0;
	if (kstrtou64(num, 10, &b) || kstrtou64(comma + 1, 10, &u))
		return -EINVAL;
	if (!b || !u || u > U32_MAX)
		return -EINVAL;
	*bytes = b;
	*usec = u;
	return 0;
}
EXPORT_SYMBOL_GPL(pvio_netback_parse_rate);

/**
 * pvio_netback_credit_set() - apply a new rate to a vif's credit
 * @c: the credit (its owner's context: the vif's NAPI poll)
 * @bytes: credit_bytes, 0 for unlimited
 * @usec: credit_usec (ignored when @bytes is 0)
 * @now: the current time, ns (ktime_get_ns())
 *
 * From unlimited, a full interval's credit starting @now (xen-netback's
 * connect); otherwise the credit left is capped at the new @bytes, as
 * xen-netback's xen_net_rate_changed().
 *
 * Context: any (pure function).
 */
void pvio_netback_credit_set(struct pvio_nb_credit *c, u64 bytes, u64 usec,
			     u64 now)
{
	bool was_limited = c->bytes;

	c->bytes = bytes;
	c->usec = bytes ? usec : 0;
	if (!bytes)
		return;
	if (!was_limited) {
		c->remaining = bytes;
		c->window_start = now;
	} else {
		c->remaining = min(c->remaining, bytes);
	}
}
EXPORT_SYMBOL_GPL(pvio_netback_credit_set);

/* The most credit a vif holds: two intervals' (at least 128 KiB). */
static u64 pvio_nb_credit_cap(const struct pvio_nb_credit *c)
{
	if (c->bytes > U64_MAX / 2)
		return U64_MAX;
	return max(PVIO_NB_CREDIT_MIN_BURST, 2 * c->bytes);
}

/**
 * pvio_netback_credit_add() - one interval's credit (the credit timer)
 * @c: the credit
 *
 * xen-netback's tx_add_credit(): @c->bytes more, saturating instead of
 * wrapping, and never more than a burst: at least 128 KiB, so a 64 KiB
 * GSO packet always fits one refill. Xen caps the burst at credit_bytes,
 * which throws away whatever a sender did not use of an interval (up to
 * one packet when it is saturated: about 5-10% of 100 Mbit/s in 64 KiB
 * GSO packets; more when it stalls now and then); here the cap is two
 * intervals' credit, so that credit carries into the next interval: a
 * vif still never sends more than credit_bytes per credit_usec over time,
 * and after idling at most two intervals' worth at once.
 *
 * Context: any (pure function).
 */
void pvio_netback_credit_add(struct pvio_nb_credit *c)
{
	u64 credit = c->remaining + c->bytes;

	if (credit < c->remaining)
		credit = U64_MAX;
	c->remaining = min(credit, pvio_nb_credit_cap(c));
}
EXPORT_SYMBOL_GPL(pvio_netback_credit_add);

/**
 * pvio_netback_credit_take() - may a packet of @size bytes go now?
 * @c: the credit
 * @size: the packet's length in bytes (the first request's size)
 * @now: the current time, ns (ktime_get_ns())
 * @wake: out, when false is returned: the time (ns) at which the caller's
 *	credit timer must call pvio_netback_credit_add() and retry
 *
 * xen-netback's test in xenvif_tx_build_gops() and tx_credit_exceeded():
 * a packet within the credit left takes it; otherwise, if intervals have
 * passed since the current one started, the credit of those intervals is
 * added (two at most: the cap) and the interval moves on by whole
 * intervals; if the credit is still too little, the next interval starts
 * where this one ends (@wake). Xen counts in jiffies (50 ms is 13 ticks
 * of 4 ms at HZ=250) and restarts the interval when the packet comes,
 * so intervals drift later whenever the sender was not waiting; here
 * time is in nanoseconds and the intervals stay on their grid.
 *
 * Context: any (pure function).
 * Return: true (credit taken, or unlimited) or false (wait for @wake).
 */
bool pvio_netback_credit_take(struct pvio_nb_credit *c, unsigned int size,
			      u64 now, u64 *wake)
{
	u64 iv, next, n;

	if (!c->bytes)
		return true;
	if (size > c->remaining) {
		iv = c->usec * NSEC_PER_USEC;
		next = c->window_start + iv;
		if ((s64)(now - next) >= 0) {
			n = div64_u64(now - c->window_start, iv);
			c->window_start += n * iv;
			pvio_netback_credit_add(c);
			if (n > 1)
				pvio_netback_credit_add(c);
			next = c->window_start + iv;
		}
		if (size > c->remaining) {
			c->window_start = next;
			*wake = next;
			return false;
		}
	}
	c->remaining -= size;
	return true;
}
EXPORT_SYMBOL_GPL(pvio_netback_credit_take);
