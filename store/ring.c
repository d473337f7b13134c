// SPDX-License-Identifier: GPL-2.0
/*
 * pvio store server transport: one xenstore ring page per domain
 * (struct xenstore_domain_interface), served by one kthread in dom0, as
 * xenstored serves domains (xenstored_domain.c readchn/writechn).
 *
 * The page is shared with the guest and hostile: the server keeps its own
 * copies of the indexes it owns (req_cons, rsp_prod) and never reads them
 * back, checks the guest's indexes for impossible jumps, copies bytes out
 * once into private memory before looking at them, and bounds every
 * message. A ring that misbehaves is marked broken (the page's error field
 * says why, as in Xen) and is never touched again; other rings go on.
 */

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/kthread.h>
#include <linux/wait.h>
#include "store.h"

struct pvio_store_ring {
	struct list_head list;		/* xs_srv.rings */
	struct pvio_store_conn *conn;
	struct xenstore_domain_interface *intf;
	void (*notify)(void *data);	/* kick the guest */
	void *notify_data;

	XENSTORE_RING_IDX req_cons;	/* private copies of our indexes */
	XENSTORE_RING_IDX rsp_prod;
	unsigned int in_got;		/* bytes of @in received */
	unsigned int out_len, out_off;	/* message in @out being sent */
	bool broken;
	bool kicked;
	u8 in[PVIO_XS_MSG_MAX];
	u8 out[PVIO_XS_MSG_MAX];
};

static struct {
	struct mutex lock;		/* rings list, thread lifetime */
	struct list_head rings;
	struct task_struct *thread;
	wait_queue_head_t wq;
	spinlock_t kick_lock;		/* ring->kicked */
	bool kicked;
} xs_srv = {
	.lock = __MUTEX_INITIALIZER(xs_srv.lock),
	.rings = LIST_HEAD_INIT(xs_srv.rings),
	.wq = __WAIT_QUEUE_HEAD_INITIALIZER(xs_srv.wq),
	.kick_lock = __SPIN_LOCK_UNLOCKED(xs_srv.kick_lock),
};

static void xs_ring_fail(struct pvio_store_ring *r, u32 err)
{
	if (r->broken)
		return;
	WRITE_ONCE(r->broken, true);
	WRITE_ONCE(r->intf->error, err);
	pr_warn_ratelimited("pvio-store: domain %u ring error %u, not served any more\n",
			    r->conn->domid, err);
}

/* Receive what is available of the next request; true when complete. */
static bool xs_ring_recv(struct pvio_store_ring *r, bool *moved)
{
	struct xenstore_domain_interface *intf = r->intf;
	struct xsd_sockmsg hdr;
	XENSTORE_RING_IDX prod;
	unsigned int want, n, off;

	for (;;) {
		if (r->in_got < sizeof(hdr)) {
			want = sizeof(hdr) - r->in_got;
		} else {
			memcpy(&hdr, r->in, sizeof(hdr));
			if (hdr.len > XENSTORE_PAYLOAD_MAX) {
				xs_ring_fail(r, XENSTORE_ERROR_PROTO);
				return false;
			}
			want = sizeof(hdr) + hdr.len - r->in_got;
			if (!want)
				return true;
		}
		prod = READ_ONCE(intf->req_prod);
		if (prod - r->req_cons > XENSTORE_RING_SIZE) {
			xs_ring_fail(r, XENSTORE_ERROR_RINGIDX);
			return false;
		}
		if (prod == r->req_cons)
			return false;
		virt_rmb();	/* read req_prod before the bytes */
		off = MASK_XENSTORE_IDX(r->req_cons);
		n = min3(want, prod - r->req_cons, XENSTORE_RING_SIZE - off);
		memcpy(r->in + r->in_got, intf->req + off, n);
		r->in_got += n;
		r->req_cons += n;
		virt_mb();	/* bytes copied before the slots are freed */
		WRITE_ONCE(intf->req_cons, r->req_cons);
		*moved = true;
	}
}

/* Send what fits of the pending message; true when it is all out. */
static bool xs_ring_send(struct pvio_store_ring *r, bool *moved)
{
	struct xenstore_domain_interface *intf = r->intf;
	XENSTORE_RING_IDX cons;
	unsigned int n, off;

	while (r->out_off < r->out_len) {
		cons = READ_ONCE(intf->rsp_cons);
		if (r->rsp_prod - cons > XENSTORE_RING_SIZE) {
			xs_ring_fail(r, XENSTORE_ERROR_RINGIDX);
			return false;
		}
		if (r->rsp_prod - cons == XENSTORE_RING_SIZE)
			return false;
		virt_mb();	/* read rsp_cons before reusing the slots */
		off = MASK_XENSTORE_IDX(r->rsp_prod);
		n = min3(r->out_len - r->out_off,
			 XENSTORE_RING_SIZE - (r->rsp_prod - cons),
			 XENSTORE_RING_SIZE - off);
		memcpy(intf->rsp + off, r->out + r->out_off, n);
		r->out_off += n;
		r->rsp_prod += n;
		virt_wmb();	/* bytes before the index */
		WRITE_ONCE(intf->rsp_prod, r->rsp_prod);
		*moved = true;
	}
	r->out_len = 0;
	r->out_off = 0;
	return true;
}

/*
 * Do the work a ring has (a bounded number of requests); kick the guest if
 * anything moved. A header announcing more than XENSTORE_PAYLOAD_MAX means
 * the stream cannot be followed: the ring is shut, as in xenstored.
 */
static void xs_ring_service(struct pvio_store_ring *r)
{
	unsigned int done = 0;
	bool moved = false;
	int len;

	while (!r->broken) {
		if (r->out_len && !xs_ring_send(r, &moved))
			break;
		/* Replies first, then events, then the next request. */
		len = pvio_store_pop_event(r->conn, r->out, sizeof(r->out));
		if (len > 0) {
			r->out_len = len;
			continue;
		}
		if (!xs_ring_recv(r, &moved))
			break;
		len = pvio_store_process(r->conn, r->in, r->in_got, r->out,
					 sizeof(r->out));
		r->in_got = 0;
		if (len < 0) {
			xs_ring_fail(r, XENSTORE_ERROR_COMM);
			break;
		}
		r->out_len = len;
		/* Fairness: let other rings in, come back later. */
		if (++done >= 16) {
			pvio_store_ring_kick(r);
			break;
		}
	}
	if (moved && r->notify)
		r->notify(r->notify_data);
}

static int xs_srv_thread(void *unused)
{
	struct pvio_store_ring *r;

	while (!kthread_should_stop()) {
		wait_event_interruptible(xs_srv.wq, READ_ONCE(xs_srv.kicked) ||
					 kthread_should_stop());
		WRITE_ONCE(xs_srv.kicked, false);
		mutex_lock(&xs_srv.lock);
		list_for_each_entry(r, &xs_srv.rings, list) {
			bool kicked;

			spin_lock_irq(&xs_srv.kick_lock);
			kicked = r->kicked;
			r->kicked = false;
			spin_unlock_irq(&xs_srv.kick_lock);
			if (kicked)
				xs_ring_service(r);
		}
		mutex_unlock(&xs_srv.lock);
		cond_resched();
	}
	return 0;
}

/**
 * pvio_store_ring_kick() - the guest notified its store ring
 * @r: the ring
 *
 * Schedules the server thread to read requests and write replies and
 * events. Called from the ring's event channel handler.
 *
 * Context: any, hard IRQ included; does not sleep.
 */
void pvio_store_ring_kick(struct pvio_store_ring *r)
{
	unsigned long flags;

	spin_lock_irqsave(&xs_srv.kick_lock, flags);
	r->kicked = true;
	spin_unlock_irqrestore(&xs_srv.kick_lock, flags);
	WRITE_ONCE(xs_srv.kicked, true);
	wake_up(&xs_srv.wq);
}
EXPORT_SYMBOL_GPL(pvio_store_ring_kick);

static void xs_ring_event_queued(struct pvio_store_conn *conn, void *data)
{
	pvio_store_ring_kick(data);
}

/**
 * pvio_store_ring_attach() - serve a domain through a ring page
 * @s: the store
 * @domid: the domain the ring belongs to (the requests' caller)
 * @intf: the ring page, mapped in dom0; the guest initialised it (the
 *	server trusts none of its contents)
 * @notify: kicks the guest (sends on the store event channel); called from
 *	the server thread
 * @data: for @notify
 *
 * Starts serving: pending bytes on the ring are read at once. Indexes are
 * taken from the page once, as xenstored does on introduce.
 *
 * Context: process context, may sleep.
 * Return: the ring, or an ERR_PTR: -ENOMEM.
 */
struct pvio_store_ring *pvio_store_ring_attach(struct pvio_store *s,
					       domid_t domid,
					       struct xenstore_domain_interface *intf,
					       void (*notify)(void *data),
					       void *data)
{
	struct pvio_store_ring *r = kvzalloc(sizeof(*r), GFP_KERNEL);

	if (!r)
		return ERR_PTR(-ENOMEM);
	r->intf = intf;
	r->notify = notify;
	r->notify_data = data;
	r->req_cons = READ_ONCE(intf->req_cons);
	r->rsp_prod = READ_ONCE(intf->rsp_prod);
	WRITE_ONCE(intf->server_features, XENSTORE_SERVER_FEATURE_ERROR);
	r->conn = pvio_store_conn_open(s, domid, xs_ring_event_queued, r);
	if (!r->conn) {
		kvfree(r);
		return ERR_PTR(-ENOMEM);
	}
	mutex_lock(&xs_srv.lock);
	list_add_tail(&r->list, &xs_srv.rings);
	mutex_unlock(&xs_srv.lock);
	pvio_store_ring_kick(r);
	return r;
}
EXPORT_SYMBOL_GPL(pvio_store_ring_attach);

/**
 * pvio_store_ring_detach() - stop serving a ring
 * @r: the ring (NULL is a no-op)
 *
 * Waits for the server thread to leave it, closes the connection (its
 * watches and transactions go) and frees it. The page is not touched
 * afterwards; unmapping it is the caller's business.
 *
 * Context: process context, may sleep.
 */
void pvio_store_ring_detach(struct pvio_store_ring *r)
{
	if (!r)
		return;
	mutex_lock(&xs_srv.lock);
	list_del(&r->list);
	mutex_unlock(&xs_srv.lock);
	pvio_store_conn_close(r->conn);
	kvfree(r);
}
EXPORT_SYMBOL_GPL(pvio_store_ring_detach);

/**
 * pvio_store_ring_broken() - has the ring been shut for misbehaving?
 * @r: the ring
 *
 * Context: any.
 * Return: true after an impossible index or an over-long message.
 */
bool pvio_store_ring_broken(struct pvio_store_ring *r)
{
	return READ_ONCE(r->broken);
}
EXPORT_SYMBOL_GPL(pvio_store_ring_broken);

int pvio_store_server_start(void)
{
	struct task_struct *t = kthread_run(xs_srv_thread, NULL, "pvio-store");

	if (IS_ERR(t))
		return PTR_ERR(t);
	xs_srv.thread = t;
	return 0;
}

void pvio_store_server_stop(void)
{
	if (xs_srv.thread) {
		kthread_stop(xs_srv.thread);
		xs_srv.thread = NULL;	/* XSA-350: stop once */
	}
}
