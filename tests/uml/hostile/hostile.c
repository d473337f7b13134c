// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-uml-hostile: a hostile block frontend inside a User-Mode Linux
 * domU (tests/scenarios/uml-hostile.sh). Built for ARCH=um only, by
 * make modules-uml; the UML initramfs puts it in /pvio/extra.
 *
 * It binds the "vbd" devices of its domain in place of pvio-blkfront and
 * talks to dom0's unchanged blkback with a ring of its own, which it
 * fills by hand: garbage grant entries (frames outside its memory file,
 * flags of an unknown or refused type, an entry rewritten while dom0 maps
 * it), a ring-ref naming a frame outside its memory, malformed requests,
 * and ring indices that jump or go backwards;
 * and binds "vif" devices to publish a TX req_prod beyond the ring.
 * Each act is written to debugfs pvio-uml-hostile/ctl as "DEVID ACT" and
 * prints one line "PVIO-HOSTILE: ok|not ok DEVID ACT - what happened"
 * on the console, judged against Xen's behaviour; what dom0 did is
 * checked by the scenario in dom0.
 */

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <pvio/blkif.h>
#include <xen/interface/io/netif.h>
#include <pvio/evtchn.h>
#include <pvio/grant.h>
#include <pvio/hypervisor.h>
#include <pvio/ring.h>
#include <pvio/xenbus.h>

#define HOSTILE_PER_FRAME	(PAGE_SIZE / sizeof(struct grant_entry_v1))
#define HOSTILE_WAIT_MS		5000
#define HOSTILE_RING_SIZE	__CONST_RING_SIZE(blkif, PAGE_SIZE)

struct hostile_vbd {
	struct list_head list;
	struct pvio_xenbus_device *dev;
	struct blkif_sring *sring;
	struct page *ring_page;
	grant_ref_t ring_ref;
	evtchn_port_t port;
	RING_IDX req_prod_pvt;
	RING_IDX rsp_cons;
	u64 next_id;
	u64 sectors;
	bool connected;
	/* The flip act's pages and grant. */
	struct page *p1, *p2;
	int flip_ref;
	/* A vif: its TX ring (v->ring_page: RX) and its grant. */
	bool vif;
	struct page *tx_page;
	grant_ref_t tx_ref;
};

static LIST_HEAD(hostile_vbds);
static DEFINE_MUTEX(hostile_lock);
static struct dentry *hostile_dbg;

/* One line per act on the console: the scenario reads them. */
static __printf(4, 5) void hostile_result(struct hostile_vbd *v, bool ok,
					  const char *act, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_info("PVIO-HOSTILE: %s %s %u %s - %pV\n", ok ? "ok" : "not ok",
		v->dev->devicetype, v->dev->devid, act, &vaf);
	va_end(args);
}

static struct hostile_vbd *hostile_find(const char *type, unsigned int devid)
{
	struct hostile_vbd *v;

	list_for_each_entry(v, &hostile_vbds, list)
		if (v->dev->devid == devid && !strcmp(v->dev->devicetype, type))
			return v;
	return NULL;
}

/* The shared entry of @ref in this domain's own table (its own memory). */
static struct grant_entry_v1 *hostile_entry(struct pvio_domain *d,
					    grant_ref_t ref)
{
	unsigned int nr = ref / HOSTILE_PER_FRAME + 1;
	struct gnttab_setup_table setup = {};
	struct grant_entry_v1 *e = NULL;
	xen_pfn_t *gfns;
	struct page *page;

	gfns = kcalloc(nr, sizeof(*gfns), GFP_KERNEL);
	if (!gfns)
		return NULL;
	setup.dom = DOMID_SELF;
	setup.nr_frames = nr;
	set_xen_guest_handle(setup.frame_list, gfns);
	if (!pvio_grant_table_op(d, GNTTABOP_setup_table, &setup, 1) &&
	    setup.status == GNTST_okay) {
		page = pvio_gfn_to_page(d, gfns[nr - 1]);
		if (page)
			e = (struct grant_entry_v1 *)page_address(page) +
			    ref % HOSTILE_PER_FRAME;
	}
	kfree(gfns);
	return e;
}

static enum xenbus_state hostile_be_state(struct hostile_vbd *v)
{
	return pvio_xs_read_unsigned(v->dev->xs, v->dev->otherend, "state",
				     XenbusStateUnknown);
}

static bool hostile_wait_be(struct hostile_vbd *v, enum xenbus_state s,
			    unsigned int ms)
{
	unsigned int t;

	for (t = 0; t < ms; t += 100) {
		if (hostile_be_state(v) == s)
			return true;
		msleep(100);
	}
	return hostile_be_state(v) == s;
}

/*
 * @bad_ring: the ring-ref names a frame outside this domain's memory:
 * blkback's ring map must fail, the device go Closing with the reason
 * in its error node (Xen's xenbus_dev_fatal()).
 */
static int hostile_connect(struct hostile_vbd *v, bool persistent,
			   bool bad_ring)
{
	struct pvio_xenbus_device *dev = v->dev;
	struct pvio_domain *d = dev->domain;
	int ref, err;

	if (v->connected)
		return 0;
	if (!hostile_wait_be(v, XenbusStateInitWait, 60000))
		return -ETIMEDOUT;
	v->ring_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!v->ring_page)
		return -ENOMEM;
	v->sring = page_address(v->ring_page);
	SHARED_RING_INIT(v->sring);
	ref = pvio_gnttab_grant_foreign_access(d, dev->otherend_id,
					       bad_ring ? 0xfffffff0 :
					       pvio_page_to_gfn(d, v->ring_page),
					       false);
	if (ref < 0)
		return ref;
	v->ring_ref = ref;
	err = pvio_alloc_unbound_evtchn(d, dev->otherend_id, &v->port);
	if (err)
		return err;
	err = pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename, "ring-ref",
			     "%u", v->ring_ref) ?:
	      pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename,
			     "event-channel", "%u", v->port) ?:
	      pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename, "protocol",
			     "%s", XEN_IO_PROTO_ABI_X86_64) ?:
	      pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename,
			     "feature-persistent", "%u", persistent);
	if (err)
		return err;
	err = pvio_xenbus_switch_state(dev, XenbusStateConnected);
	if (err)
		return err;
	if (bad_ring)
		return hostile_wait_be(v, XenbusStateClosing, 30000) ?
		       0 : -ETIMEDOUT;
	if (!hostile_wait_be(v, XenbusStateConnected, 60000))
		return -ETIMEDOUT;
	/* Xen's blkback writes the size when it connects. */
	v->sectors = pvio_xs_read_unsigned(dev->xs, dev->otherend, "sectors", 0);
	v->connected = true;
	return 0;
}

/* A vif: a TX and an RX ring, one event channel, rx-copy (Xen's keys). */
static int hostile_connect_vif(struct hostile_vbd *v)
{
	struct pvio_xenbus_device *dev = v->dev;
	struct pvio_domain *d = dev->domain;
	int ref, err;

	if (v->connected)
		return 0;
	if (!hostile_wait_be(v, XenbusStateInitWait, 60000))
		return -ETIMEDOUT;
	v->ring_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	v->tx_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!v->ring_page || !v->tx_page)
		return -ENOMEM;
	SHARED_RING_INIT((struct xen_netif_tx_sring *)page_address(v->tx_page));
	SHARED_RING_INIT((struct xen_netif_rx_sring *)page_address(v->ring_page));
	ref = pvio_gnttab_grant_foreign_access(d, dev->otherend_id,
					       pvio_page_to_gfn(d, v->tx_page),
					       false);
	if (ref < 0)
		return ref;
	v->tx_ref = ref;
	ref = pvio_gnttab_grant_foreign_access(d, dev->otherend_id,
					       pvio_page_to_gfn(d, v->ring_page),
					       false);
	if (ref < 0)
		return ref;
	v->ring_ref = ref;
	err = pvio_alloc_unbound_evtchn(d, dev->otherend_id, &v->port);
	if (err)
		return err;
	err = pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename,
			     "tx-ring-ref", "%u", v->tx_ref) ?:
	      pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename,
			     "rx-ring-ref", "%u", v->ring_ref) ?:
	      pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename,
			     "event-channel", "%u", v->port) ?:
	      pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename,
			     "request-rx-copy", "1") ?:
	      pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename,
			     "feature-rx-notify", "1");
	if (err)
		return err;
	err = pvio_xenbus_switch_state(dev, XenbusStateConnected);
	if (err)
		return err;
	if (!hostile_wait_be(v, XenbusStateConnected, 60000))
		return -ETIMEDOUT;
	v->connected = true;
	return 0;
}

/* A vif's TX req_prod beyond the ring: netback must disable that vif. */
static void hostile_tx_jump(struct hostile_vbd *v)
{
	struct xen_netif_tx_sring *tx = page_address(v->tx_page);
	RING_IDX prod = __CONST_RING_SIZE(xen_netif_tx, PAGE_SIZE) + 7;

	WRITE_ONCE(tx->req_prod, prod);
	/* the bogus index before the event */
	virt_mb();
	pvio_notify_remote_via_evtchn(v->dev->domain, v->port);
	msleep(1000);
	hostile_result(v, READ_ONCE(tx->rsp_prod) == 0, "tx_prod_jump",
		       "tx req_prod %u on an empty ring: %u responses", prod,
		       READ_ONCE(tx->rsp_prod));
}

/* Publish @req at the next slot, as a frontend does, and notify. */
static void hostile_push(struct hostile_vbd *v, struct blkif_request *req)
{
	struct blkif_request *slot;

	req->u.rw.id = v->next_id++;
	slot = &v->sring->ring[v->req_prod_pvt % HOSTILE_RING_SIZE].req;
	memcpy(slot, req, sizeof(*req));
	v->req_prod_pvt++;
	/* the request before the index that publishes it */
	virt_wmb();
	WRITE_ONCE(v->sring->req_prod, v->req_prod_pvt);
	/* the index before the event */
	virt_mb();
	pvio_notify_remote_via_evtchn(v->dev->domain, v->port);
}

/* The status of the next response, or -ETIMEDOUT without one. */
static int hostile_response(struct hostile_vbd *v, unsigned int ms)
{
	struct blkif_response rsp;
	unsigned int t;

	for (t = 0; t <= ms; t += 20) {
		if (READ_ONCE(v->sring->rsp_prod) != v->rsp_cons) {
			/* the response after its index */
			virt_rmb();
			memcpy(&rsp, &v->sring->ring[v->rsp_cons %
				HOSTILE_RING_SIZE].rsp, sizeof(rsp));
			v->rsp_cons++;
			WRITE_ONCE(v->sring->rsp_event, v->rsp_cons + 1);
			return rsp.status;
		}
		msleep(20);
	}
	return -ETIMEDOUT;
}

/* One read or write of a page's 8 sectors at @sector through @gref. */
static int hostile_rw(struct hostile_vbd *v, u8 op, u32 gref, u64 sector)
{
	struct blkif_request req = {
		.operation = op,
		.u.rw.nr_segments = 1,
		.u.rw.sector_number = sector,
		.u.rw.seg[0] = { .gref = gref, .first_sect = 0, .last_sect = 7 },
	};

	hostile_push(v, &req);
	return hostile_response(v, HOSTILE_WAIT_MS);
}

static const char *hostile_status(int st)
{
	switch (st) {
	case BLKIF_RSP_OKAY: return "BLKIF_RSP_OKAY";
	case BLKIF_RSP_ERROR: return "BLKIF_RSP_ERROR";
	case BLKIF_RSP_EOPNOTSUPP: return "BLKIF_RSP_EOPNOTSUPP";
	case -ETIMEDOUT: return "no response";
	default: return "an unknown status";
	}
}

/* A grant of a frame outside this domain's memory: refused, the I/O fails. */
static void hostile_bad_frame(struct hostile_vbd *v, const char *act,
			      xen_pfn_t frame)
{
	struct pvio_domain *d = v->dev->domain;
	int ref = pvio_gnttab_grant_foreign_access(d, v->dev->otherend_id,
						   frame, false);
	int r, w;

	if (ref < 0) {
		hostile_result(v, false, act, "no grant ref (%d)", ref);
		return;
	}
	r = hostile_rw(v, BLKIF_OP_READ, ref, 0);
	w = hostile_rw(v, BLKIF_OP_WRITE, ref, 8);
	hostile_result(v, r == BLKIF_RSP_ERROR && w == BLKIF_RSP_ERROR, act,
		       "frame %#llx: read %s, write %s", (u64)frame,
		       hostile_status(r), hostile_status(w));
	if (pvio_gnttab_end_foreign_access_ref(d, ref))
		pvio_gnttab_free_grant_reference(d, ref);
}

/*
 * A grant of a page of ours whose entry then gets @flags (and @domid) by
 * hand. @expect: the status Xen gives a read through it.
 */
static void hostile_bad_flags(struct hostile_vbd *v, const char *act,
			      u16 flags, domid_t domid, int expect)
{
	struct pvio_domain *d = v->dev->domain;
	struct grant_entry_v1 *e;
	struct page *page;
	u16 after;
	int ref, st;

	page = alloc_page(GFP_KERNEL);
	if (!page) {
		hostile_result(v, false, act, "no page");
		return;
	}
	memset(page_address(page), 0x5a, PAGE_SIZE);
	ref = pvio_gnttab_grant_foreign_access(d, v->dev->otherend_id,
					       pvio_page_to_gfn(d, page), false);
	e = ref < 0 ? NULL : hostile_entry(d, ref);
	if (!e) {
		hostile_result(v, false, act, "no grant entry (%d)", ref);
		__free_page(page);
		return;
	}
	WRITE_ONCE(e->domid, domid);
	/* the domid before the flags that make the entry live */
	virt_wmb();
	WRITE_ONCE(e->flags, flags);
	/* the entry before the request that names it */
	virt_mb();
	st = hostile_rw(v, BLKIF_OP_READ, ref, 0);
	after = READ_ONCE(e->flags);
	/* Refused: no bit of dom0's left; mapped: it may keep its map. */
	if (st == BLKIF_RSP_OKAY)
		after &= ~(GTF_reading | GTF_writing);
	hostile_result(v, st == expect && after == flags, act,
		       "flags %#x domid %u: read %s (Xen: %s), flags after %#x%s, page %s",
		       flags, domid, hostile_status(st), hostile_status(expect),
		       after, st == BLKIF_RSP_OKAY ?
		       " but for dom0's GTF_reading/GTF_writing" : "",
		       memchr_inv(page_address(page), 0x5a, PAGE_SIZE) ?
		       "written" : "untouched");
	if (st == BLKIF_RSP_OKAY)
		return;	/* may be kept mapped (persistent): leave it */
	WRITE_ONCE(e->flags, GTF_permit_access);
	if (pvio_gnttab_end_foreign_access_ref(d, ref)) {
		pvio_gnttab_free_grant_reference(d, ref);
		__free_page(page);
	}
}

/*
 * Rewrite an entry while dom0's blkback maps it (persistent grants): the
 * frame to another page, the flags read-only. dom0 keeps to the page it
 * mapped, never the new frame.
 */
static void hostile_flip(struct hostile_vbd *v)
{
	struct pvio_domain *d = v->dev->domain;
	struct grant_entry_v1 *e;
	u16 flags;
	int st;
	bool p1a, p2b;

	v->p1 = alloc_page(GFP_KERNEL);
	v->p2 = alloc_page(GFP_KERNEL);
	if (!v->p1 || !v->p2) {
		hostile_result(v, false, "flip", "no pages");
		return;
	}
	memset(page_address(v->p1), 'A', PAGE_SIZE);
	memset(page_address(v->p2), 'B', PAGE_SIZE);
	v->flip_ref = pvio_gnttab_grant_foreign_access(d, v->dev->otherend_id,
						       pvio_page_to_gfn(d, v->p1),
						       false);
	e = v->flip_ref < 0 ? NULL : hostile_entry(d, v->flip_ref);
	if (!e) {
		hostile_result(v, false, "flip", "no grant (%d)", v->flip_ref);
		return;
	}
	st = hostile_rw(v, BLKIF_OP_WRITE, v->flip_ref, 16);
	flags = READ_ONCE(e->flags);
	hostile_result(v, st == BLKIF_RSP_OKAY, "flip-write",
		       "write of page A through ref %d: %s, entry flags %#x (GTF_reading: %s)",
		       v->flip_ref, hostile_status(st), flags,
		       flags & GTF_reading ? "mapped" : "not mapped");
	/* Under dom0's map: another frame, read-only, garbage on top. */
	WRITE_ONCE(e->frame, pvio_page_to_gfn(d, v->p2));
	/* the new frame before the new flags */
	virt_wmb();
	WRITE_ONCE(e->flags, GTF_permit_access | GTF_readonly | 0xf000);
	/* the entry before the next request */
	virt_mb();
	memset(page_address(v->p1), 'X', PAGE_SIZE);
	st = hostile_rw(v, BLKIF_OP_READ, v->flip_ref, 16);
	p1a = !memchr_inv(page_address(v->p1), 'A', PAGE_SIZE);
	p2b = !memchr_inv(page_address(v->p2), 'B', PAGE_SIZE);
	hostile_result(v, (st == BLKIF_RSP_OKAY && p1a && p2b) ||
		       (st == BLKIF_RSP_ERROR && p2b), "flip-read",
		       "read after the flip: %s, the mapped page %s, the new frame's page %s",
		       hostile_status(st),
		       p1a ? "got the data" : "did not get it",
		       p2b ? "untouched" : "WRITTEN");
}

/* After the disconnect: dom0's unmap left our garbage entry alone but for its bits. */
static void hostile_flip_check(struct hostile_vbd *v)
{
	struct pvio_domain *d = v->dev->domain;
	struct grant_entry_v1 *e;
	u16 flags;

	if (v->flip_ref <= 0)
		return;
	e = hostile_entry(d, v->flip_ref);
	if (!e)
		return;
	flags = READ_ONCE(e->flags);
	hostile_result(v, flags == (GTF_permit_access | GTF_readonly | 0xf000) &&
		       READ_ONCE(e->frame) == pvio_page_to_gfn(d, v->p2),
		       "flip-unmap",
		       "after the backend closed: entry flags %#x (no GTF_reading/GTF_writing: %s), frame still the flipped one",
		       flags, flags & (GTF_reading | GTF_writing) ? "no" : "yes");
	WRITE_ONCE(e->flags, GTF_permit_access);
	if (pvio_gnttab_end_foreign_access_ref(d, v->flip_ref))
		pvio_gnttab_free_grant_reference(d, v->flip_ref);
	v->flip_ref = 0;
}

/* A malformed request: Xen's blkback answers BLKIF_RSP_ERROR and goes on. */
static void hostile_bad_req(struct hostile_vbd *v, const char *act)
{
	struct pvio_domain *d = v->dev->domain;
	struct blkif_request req = {
		.operation = BLKIF_OP_READ,
		.u.rw.nr_segments = 1,
		.u.rw.seg[0] = { .first_sect = 0, .last_sect = 7 },
	};
	struct page *page = alloc_page(GFP_KERNEL);
	int ref = -ENOMEM, st;

	if (page)
		ref = pvio_gnttab_grant_foreign_access(d, v->dev->otherend_id,
						       pvio_page_to_gfn(d, page),
						       false);
	if (ref < 0) {
		hostile_result(v, false, act, "no grant (%d)", ref);
		if (page)
			__free_page(page);
		return;
	}
	req.u.rw.seg[0].gref = ref;
	if (!strcmp(act, "nseg0")) {
		req.u.rw.nr_segments = 0;
	} else if (!strcmp(act, "nseg12")) {
		req.u.rw.nr_segments = BLKIF_MAX_SEGMENTS_PER_REQUEST + 1;
	} else if (!strcmp(act, "nseg255")) {
		req.u.rw.nr_segments = 255;
	} else if (!strcmp(act, "gref_huge")) {
		req.u.rw.seg[0].gref = 0x7ffffff0;
	} else if (!strcmp(act, "gref_free")) {
		req.u.rw.seg[0].gref = 32000;	/* inside the table, never granted */
	} else if (!strcmp(act, "sect_order")) {
		req.u.rw.seg[0].first_sect = 5;
		req.u.rw.seg[0].last_sect = 2;
	} else if (!strcmp(act, "sect_big")) {
		req.u.rw.seg[0].last_sect = 8;
	} else if (!strcmp(act, "sector_end")) {
		req.u.rw.sector_number = v->sectors - 4;
	} else if (!strcmp(act, "sector_huge")) {
		req.u.rw.sector_number = ~0ULL - 3;
	} else if (!strcmp(act, "op_bad")) {
		req.operation = 99;
	}
	hostile_push(v, &req);
	st = hostile_response(v, HOSTILE_WAIT_MS);
	hostile_result(v, st == BLKIF_RSP_ERROR || st == BLKIF_RSP_EOPNOTSUPP,
		       act, "%s", hostile_status(st));
	if (pvio_gnttab_end_foreign_access_ref(d, ref)) {
		pvio_gnttab_free_grant_reference(d, ref);
		__free_page(page);
	}
}

/* A good read: is the ring still served? @expect_rsp: should it be? */
static void hostile_good(struct hostile_vbd *v, const char *act, bool expect_rsp)
{
	struct pvio_domain *d = v->dev->domain;
	struct page *page = alloc_page(GFP_KERNEL);
	int ref = -ENOMEM, st;

	if (page)
		ref = pvio_gnttab_grant_foreign_access(d, v->dev->otherend_id,
						       pvio_page_to_gfn(d, page),
						       false);
	if (ref < 0) {
		hostile_result(v, false, act, "no grant (%d)", ref);
		return;
	}
	st = hostile_rw(v, BLKIF_OP_READ, ref, 0);
	hostile_result(v, expect_rsp ? st == BLKIF_RSP_OKAY : st == -ETIMEDOUT,
		       act, "a valid read: %s", hostile_status(st));
	/* Unanswered: the backend may still map it one day; never free. */
	if (st != -ETIMEDOUT && pvio_gnttab_end_foreign_access_ref(d, ref)) {
		pvio_gnttab_free_grant_reference(d, ref);
		__free_page(page);
	}
}

/* Garbage ring indices: the backend must stop reading this ring. */
static void hostile_prod(struct hostile_vbd *v, const char *act, s32 delta)
{
	WRITE_ONCE(v->sring->req_prod, v->req_prod_pvt + delta);
	/* the bogus index before the event */
	virt_mb();
	pvio_notify_remote_via_evtchn(v->dev->domain, v->port);
	msleep(1000);
	hostile_result(v, READ_ONCE(v->sring->rsp_prod) == v->rsp_cons, act,
		       "req_prod %u (cons %u): %u new responses",
		       v->req_prod_pvt + delta, v->req_prod_pvt,
		       READ_ONCE(v->sring->rsp_prod) - v->rsp_cons);
	/* Later requests go on from the bogus index, as a broken guest would. */
	v->req_prod_pvt += delta;
}

static void hostile_close(struct hostile_vbd *v)
{
	pvio_xenbus_switch_state(v->dev, XenbusStateClosing);
	hostile_wait_be(v, XenbusStateClosing, 10000);
	pvio_xenbus_switch_state(v->dev, XenbusStateClosed);
	hostile_result(v, hostile_wait_be(v, XenbusStateClosed, 10000), "close",
		       "backend state %d", hostile_be_state(v));
	v->connected = false;
	hostile_flip_check(v);
}

static int hostile_act(struct hostile_vbd *v, const char *act)
{
	int err;

	if (v->vif && !strcmp(act, "connect")) {
		err = hostile_connect_vif(v);
		hostile_result(v, !err, act, "tx-ring-ref %u rx-ring-ref %u port %u: %d",
			       v->tx_ref, v->ring_ref, v->port, err);
		return err;
	}
	if (v->vif) {
		if (!v->connected || strcmp(act, "tx_prod_jump"))
			return -EINVAL;
		hostile_tx_jump(v);
		return 0;
	}
	if (!strcmp(act, "connect-badring")) {
		err = hostile_connect(v, false, true);
		hostile_result(v, !err, act,
			       "ring-ref %u naming frame 0xfffffff0: backend state %d (Closing: %d)",
			       v->ring_ref, hostile_be_state(v), err);
		return err;
	}
	if (!strcmp(act, "connect") || !strcmp(act, "connect-persistent")) {
		err = hostile_connect(v, !strcmp(act, "connect-persistent"), false);
		hostile_result(v, !err, act, "ring-ref %u port %u, %llu sectors: %d",
			       v->ring_ref, v->port, v->sectors, err);
		return err;
	}
	if (!v->connected && strcmp(act, "flip-check"))
		return -ENOTCONN;
	if (!strcmp(act, "frame_beyond"))
		hostile_bad_frame(v, act, PFN_DOWN(__pa(high_memory)) + 16);
	else if (!strcmp(act, "frame_huge"))
		hostile_bad_frame(v, act, 0xfffffff0);
	else if (!strcmp(act, "flags_transfer"))
		hostile_bad_flags(v, act, GTF_accept_transfer, 0, BLKIF_RSP_ERROR);
	else if (!strcmp(act, "flags_transitive"))
		hostile_bad_flags(v, act, GTF_transitive, 0, BLKIF_RSP_ERROR);
	else if (!strcmp(act, "flags_subpage"))
		hostile_bad_flags(v, act, GTF_permit_access | GTF_sub_page, 0,
				  BLKIF_RSP_ERROR);
	else if (!strcmp(act, "flags_invalid"))
		hostile_bad_flags(v, act, GTF_invalid, 0, BLKIF_RSP_ERROR);
	else if (!strcmp(act, "flags_readonly"))
		/* a read writes into the page: refused for a read-only grant */
		hostile_bad_flags(v, act, GTF_permit_access | GTF_readonly, 0,
				  BLKIF_RSP_ERROR);
	else if (!strcmp(act, "flags_domid"))
		hostile_bad_flags(v, act, GTF_permit_access, 7, BLKIF_RSP_ERROR);
	else if (!strcmp(act, "flags_unknown"))
		/* Xen ignores the bits it does not know: the map works */
		hostile_bad_flags(v, act, GTF_permit_access | 0xf000, 0,
				  BLKIF_RSP_OKAY);
	else if (!strcmp(act, "flip"))
		hostile_flip(v);
	else if (!strcmp(act, "good"))
		hostile_good(v, act, true);
	else if (!strcmp(act, "halted"))
		hostile_good(v, act, false);
	else if (!strcmp(act, "prod_jump"))
		hostile_prod(v, act, HOSTILE_RING_SIZE + 7);
	else if (!strcmp(act, "prod_back"))
		hostile_prod(v, act, -5);
	else if (!strcmp(act, "close"))
		hostile_close(v);
	else if (!strcmp(act, "flip-check"))
		hostile_flip_check(v);
	else
		hostile_bad_req(v, act);
	return 0;
}

static ssize_t hostile_ctl_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	char buf[64] = "", act[32];
	const char *type = "vbd";
	struct hostile_vbd *v;
	unsigned int devid;
	int err;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	if (!strncmp(buf, "vif ", 4))
		type = "vif";
	if (sscanf(buf + (*type == 'v' && type[2] == 'f' ? 4 : 0), "%u %31s",
		   &devid, act) != 2)
		return -EINVAL;
	mutex_lock(&hostile_lock);
	v = hostile_find(type, devid);
	err = v ? hostile_act(v, act) : -ENODEV;
	mutex_unlock(&hostile_lock);
	return err ? err : len;
}

static const struct file_operations hostile_ctl_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = hostile_ctl_write,
	.llseek = no_llseek,
};

static int hostile_probe(struct pvio_xenbus_device *dev,
			 const struct pvio_xenbus_device_id *id)
{
	struct hostile_vbd *v = kzalloc(sizeof(*v), GFP_KERNEL);

	if (!v)
		return -ENOMEM;
	v->dev = dev;
	v->vif = !strcmp(dev->devicetype, "vif");
	dev_set_drvdata(&dev->dev, v);
	mutex_lock(&hostile_lock);
	list_add_tail(&v->list, &hostile_vbds);
	mutex_unlock(&hostile_lock);
	pr_info("PVIO-HOSTILE: %s %u bound (backend %s)\n", dev->devicetype,
		dev->devid, dev->otherend);
	return 0;
}

static void hostile_changed(struct pvio_xenbus_device *dev,
			    enum xenbus_state state)
{
}

/* The domain goes away with its process: what dom0 maps stays with it. */
static void hostile_remove(struct pvio_xenbus_device *dev)
{
	struct hostile_vbd *v = dev_get_drvdata(&dev->dev);

	mutex_lock(&hostile_lock);
	list_del(&v->list);
	mutex_unlock(&hostile_lock);
	kfree(v);
}

static const struct pvio_xenbus_device_id hostile_ids[] = {
	{ "vbd" },
	{ "vif" },
	{ "" }
};

static struct pvio_xenbus_driver hostile_driver = {
	.name = "pvio-uml-hostile",
	.ids = hostile_ids,
	.probe = hostile_probe,
	.otherend_changed = hostile_changed,
	.remove = hostile_remove,
};

static int __init hostile_init(void)
{
	hostile_dbg = debugfs_create_dir("pvio-uml-hostile", NULL);
	debugfs_create_file("ctl", 0200, hostile_dbg, NULL, &hostile_ctl_fops);
	return pvio_xenbus_register_frontend(&hostile_driver, THIS_MODULE,
					     KBUILD_MODNAME);
}

static void __exit hostile_exit(void)
{
	pvio_xenbus_unregister_driver(&hostile_driver);
	debugfs_remove_recursive(hostile_dbg);
}

module_init(hostile_init);
module_exit(hostile_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvio: a hostile block frontend inside a UML domU (tests)");
