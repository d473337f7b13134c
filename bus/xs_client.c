// SPDX-License-Identifier: GPL-2.0
/*
 * pvio store client: a domain's side of its xenstore ring, after Linux's
 * drivers/xen/xenbus/xenbus_{comms,xs}.c. Requests go one at a time on the
 * req ring; a reader work item takes replies and watch events off the rsp
 * ring (bounded, copied out before use: the server is checked too); watch
 * callbacks run from a separate work item so they can issue requests.
 */

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/uio.h>
#include <pvio/store.h>
#include "bus.h"

#define XS_REPLY_TIMEOUT	(30 * HZ)

struct xs_pending_event {
	struct list_head list;
	char *path;
	char *token;
};

struct pvio_xs {
	struct xenstore_domain_interface *intf;
	void (*notify)(void *data);
	void *notify_data;

	struct mutex req_mutex;		/* one request at a time */
	spinlock_t lock;		/* reply state, events, broken */
	wait_queue_head_t wq;
	u32 next_req_id;
	u32 want_req_id;
	bool waiting;
	bool reply_ready;
	bool broken;
	XENSTORE_RING_IDX req_prod;	/* private copies of our indexes */
	XENSTORE_RING_IDX rsp_cons;

	struct work_struct rx_work;
	unsigned int rx_got;

	struct mutex watch_mutex;	/* watches; held around callbacks */
	struct list_head watches;
	struct list_head events;	/* under lock */
	struct work_struct watch_work;
	u32 next_token;

	u8 rx[PVIO_XS_MSG_MAX];
	u8 reply[PVIO_XS_MSG_MAX];
};

static struct workqueue_struct *xs_wq;

static void xs_set_broken(struct pvio_xs *xs)
{
	unsigned long flags;

	spin_lock_irqsave(&xs->lock, flags);
	xs->broken = true;
	spin_unlock_irqrestore(&xs->lock, flags);
	wake_up_all(&xs->wq);
}

static void xs_deliver(struct pvio_xs *xs)
{
	struct xsd_sockmsg hdr;
	struct xs_pending_event *e;
	const char *p = (const char *)xs->rx + sizeof(hdr);
	const char *nul;

	memcpy(&hdr, xs->rx, sizeof(hdr));
	if (hdr.type != XS_WATCH_EVENT) {
		spin_lock_irq(&xs->lock);
		if (xs->waiting && !xs->reply_ready &&
		    hdr.req_id == xs->want_req_id) {
			memcpy(xs->reply, xs->rx, sizeof(hdr) + hdr.len);
			xs->reply_ready = true;
		}
		spin_unlock_irq(&xs->lock);
		wake_up_all(&xs->wq);
		return;
	}

	/* "path\0token\0" */
	nul = memchr(p, 0, hdr.len);
	if (!nul || !memchr(nul + 1, 0, hdr.len - (nul + 1 - p)))
		return;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return;
	e->path = kstrdup(p, GFP_KERNEL);
	e->token = kstrdup(nul + 1, GFP_KERNEL);
	if (!e->path || !e->token) {
		kfree(e->path);
		kfree(e->token);
		kfree(e);
		return;
	}
	spin_lock_irq(&xs->lock);
	list_add_tail(&e->list, &xs->events);
	spin_unlock_irq(&xs->lock);
	queue_work(xs_wq, &xs->watch_work);
}

/* Take everything the server wrote off the rsp ring. */
static void xs_rx_work(struct work_struct *work)
{
	struct pvio_xs *xs = container_of(work, struct pvio_xs, rx_work);
	struct xenstore_domain_interface *intf = xs->intf;
	struct xsd_sockmsg hdr;
	XENSTORE_RING_IDX prod;
	unsigned int want, n, off;
	bool moved = false;

	while (!READ_ONCE(xs->broken)) {
		if (xs->rx_got < sizeof(hdr)) {
			want = sizeof(hdr) - xs->rx_got;
		} else {
			memcpy(&hdr, xs->rx, sizeof(hdr));
			if (hdr.len > XENSTORE_PAYLOAD_MAX) {
				xs_set_broken(xs);
				break;
			}
			want = sizeof(hdr) + hdr.len - xs->rx_got;
			if (!want) {
				xs_deliver(xs);
				xs->rx_got = 0;
				continue;
			}
		}
		prod = READ_ONCE(intf->rsp_prod);
		if (prod - xs->rsp_cons > XENSTORE_RING_SIZE) {
			xs_set_broken(xs);
			break;
		}
		if (prod == xs->rsp_cons)
			break;
		virt_rmb();	/* rsp_prod before the bytes */
		off = MASK_XENSTORE_IDX(xs->rsp_cons);
		n = min3(want, prod - xs->rsp_cons, XENSTORE_RING_SIZE - off);
		memcpy(xs->rx + xs->rx_got, intf->rsp + off, n);
		xs->rx_got += n;
		xs->rsp_cons += n;
		virt_mb();	/* bytes copied before freeing the slots */
		WRITE_ONCE(intf->rsp_cons, xs->rsp_cons);
		moved = true;
	}
	if (moved && xs->notify)
		xs->notify(xs->notify_data);
}

static void xs_watch_work(struct work_struct *work)
{
	struct pvio_xs *xs = container_of(work, struct pvio_xs, watch_work);
	struct xs_pending_event *e;
	struct pvio_xs_watch *w;

	for (;;) {
		spin_lock_irq(&xs->lock);
		e = list_first_entry_or_null(&xs->events,
					     struct xs_pending_event, list);
		if (e)
			list_del(&e->list);
		spin_unlock_irq(&xs->lock);
		if (!e)
			return;
		mutex_lock(&xs->watch_mutex);
		list_for_each_entry(w, &xs->watches, list)
			if (!strcmp(w->token, e->token)) {
				w->callback(w, e->path, e->token);
				break;
			}
		mutex_unlock(&xs->watch_mutex);
		kfree(e->path);
		kfree(e->token);
		kfree(e);
	}
}

/**
 * pvio_xs_kick() - the server notified the ring
 * @xs: the client
 *
 * Called from the store event channel's handler: reads replies and events
 * and wakes a request waiting for ring space.
 *
 * Context: any, hard IRQ included.
 */
void pvio_xs_kick(struct pvio_xs *xs)
{
	queue_work(xs_wq, &xs->rx_work);
	wake_up_all(&xs->wq);
}
EXPORT_SYMBOL_GPL(pvio_xs_kick);

static bool xs_space(struct pvio_xs *xs, unsigned int *space)
{
	XENSTORE_RING_IDX cons = READ_ONCE(xs->intf->req_cons);

	if (xs->req_prod - cons > XENSTORE_RING_SIZE) {
		WRITE_ONCE(xs->broken, true);	/* no wake-ups in a condition */
		return true;
	}
	*space = XENSTORE_RING_SIZE - (xs->req_prod - cons);
	return *space || READ_ONCE(xs->broken);
}

static int xs_send(struct pvio_xs *xs, const void *data, unsigned int len)
{
	struct xenstore_domain_interface *intf = xs->intf;
	unsigned int space = 0, n, off;

	while (len) {
		if (!wait_event_timeout(xs->wq, xs_space(xs, &space),
					XS_REPLY_TIMEOUT))
			return -ETIMEDOUT;
		if (READ_ONCE(xs->broken))
			return -EIO;
		virt_mb();	/* req_cons read before reusing slots */
		off = MASK_XENSTORE_IDX(xs->req_prod);
		n = min3(len, space, XENSTORE_RING_SIZE - off);
		memcpy(intf->req + off, data, n);
		data += n;
		len -= n;
		xs->req_prod += n;
		virt_wmb();	/* bytes before the index */
		WRITE_ONCE(intf->req_prod, xs->req_prod);
		if (xs->notify)
			xs->notify(xs->notify_data);
	}
	return 0;
}

static bool xs_reply_done(struct pvio_xs *xs)
{
	bool done;

	spin_lock_irq(&xs->lock);
	done = xs->reply_ready || xs->broken;
	spin_unlock_irq(&xs->lock);
	return done;
}

/* The errno an XS_ERROR reply names (Linux's get_error()). */
static int xs_error(const char *s, unsigned int len)
{
	unsigned int i;

	if (!len || s[len - 1])
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(xsd_errors); i++)
		if (!strcmp(s, xsd_errors[i].errstring))
			return -xsd_errors[i].errnum;
	if (!strcmp(s, "EPERM"))
		return -EPERM;
	return -EINVAL;
}

/*
 * One request, one reply. On success returns a kmalloc'd copy of the reply
 * payload with a NUL appended (its length in *@outlen), else an ERR_PTR.
 */
static void *xs_talk(struct pvio_xs *xs, u32 type, u32 xbt,
		     const struct kvec *vec, unsigned int nvec,
		     unsigned int *outlen)
{
	struct xsd_sockmsg hdr = { .type = type, .tx_id = xbt };
	struct xsd_sockmsg *rh = (struct xsd_sockmsg *)xs->reply;
	unsigned int i;
	void *ret;
	int err;

	for (i = 0; i < nvec; i++)
		hdr.len += vec[i].iov_len;
	if (hdr.len > XENSTORE_PAYLOAD_MAX)
		return ERR_PTR(-E2BIG);

	mutex_lock(&xs->req_mutex);
	hdr.req_id = ++xs->next_req_id;
	spin_lock_irq(&xs->lock);
	xs->want_req_id = hdr.req_id;
	xs->waiting = true;
	xs->reply_ready = false;
	spin_unlock_irq(&xs->lock);

	err = xs_send(xs, &hdr, sizeof(hdr));
	for (i = 0; !err && i < nvec; i++)
		err = xs_send(xs, vec[i].iov_base, vec[i].iov_len);
	if (!err && !wait_event_timeout(xs->wq, xs_reply_done(xs),
					XS_REPLY_TIMEOUT))
		err = -ETIMEDOUT;
	if (!err && READ_ONCE(xs->broken))
		err = -EIO;

	spin_lock_irq(&xs->lock);
	xs->waiting = false;
	spin_unlock_irq(&xs->lock);
	if (err) {
		ret = ERR_PTR(err);
	} else if (rh->type == XS_ERROR) {
		ret = ERR_PTR(xs_error((char *)(rh + 1), rh->len));
	} else if (rh->type != type) {
		ret = ERR_PTR(-EINVAL);
	} else {
		ret = kmalloc(rh->len + 1, GFP_KERNEL);
		if (ret) {
			memcpy(ret, rh + 1, rh->len);
			((char *)ret)[rh->len] = 0;
			if (outlen)
				*outlen = rh->len;
		} else {
			ret = ERR_PTR(-ENOMEM);
		}
	}
	mutex_unlock(&xs->req_mutex);
	return ret;
}

static void *xs_talk_str(struct pvio_xs *xs, u32 type, u32 xbt,
			 const char *str, unsigned int *outlen)
{
	struct kvec v = { .iov_base = (void *)str, .iov_len = strlen(str) + 1 };

	return xs_talk(xs, type, xbt, &v, 1, outlen);
}

static int xs_talk_ack(struct pvio_xs *xs, u32 type, u32 xbt,
		       const struct kvec *vec, unsigned int nvec)
{
	void *r = xs_talk(xs, type, xbt, vec, nvec, NULL);

	if (IS_ERR(r))
		return PTR_ERR(r);
	kfree(r);
	return 0;
}

/* dir/node, or dir when node is "" (Linux's join()). */
static char *xs_join(const char *dir, const char *node)
{
	if (!node || !node[0])
		return kstrdup(dir, GFP_KERNEL);
	return kasprintf(GFP_KERNEL, "%s/%s", dir, node);
}

/**
 * pvio_xs_read() - read a node's value
 * @xs: the domain's client
 * @xbt: transaction, or PVIO_XBT_NIL
 * @dir: path
 * @node: name below @dir, or ""
 * @len: if not NULL, gets the value's length in bytes
 *
 * Context: process context, sleeps until the store answers.
 * Return: the value, kmalloc'd with a NUL appended (kfree() it), or an
 * ERR_PTR: -ENOENT, -EACCES, -EINVAL (bad path), -E2BIG, -ENOMEM, -EIO
 * (ring broken), -ETIMEDOUT.
 */
void *pvio_xs_read(struct pvio_xs *xs, u32 xbt, const char *dir,
		   const char *node, unsigned int *len)
{
	char *path = xs_join(dir, node);
	void *ret;

	if (!path)
		return ERR_PTR(-ENOMEM);
	ret = xs_talk_str(xs, XS_READ, xbt, path, len);
	kfree(path);
	return ret;
}
EXPORT_SYMBOL_GPL(pvio_xs_read);

/**
 * pvio_xs_write() - write a node, creating it and missing parents
 * @xs: the domain's client
 * @xbt: transaction, or PVIO_XBT_NIL
 * @dir: path
 * @node: name below @dir, or ""
 * @string: the value (without its NUL)
 *
 * New nodes inherit their parent's permissions, owned by the writer.
 * Context: process context, sleeps.
 * Return: 0, or -EACCES, -EINVAL, -ENOSPC (quota), -E2BIG, -ENOENT (bad
 * transaction), -ENOMEM, -EIO, -ETIMEDOUT.
 */
int pvio_xs_write(struct pvio_xs *xs, u32 xbt, const char *dir,
		  const char *node, const char *string)
{
	char *path = xs_join(dir, node);
	struct kvec v[2];
	int err;

	if (!path)
		return -ENOMEM;
	v[0].iov_base = path;
	v[0].iov_len = strlen(path) + 1;
	v[1].iov_base = (void *)string;
	v[1].iov_len = strlen(string);
	err = xs_talk_ack(xs, XS_WRITE, xbt, v, 2);
	kfree(path);
	return err;
}
EXPORT_SYMBOL_GPL(pvio_xs_write);

static int xs_path_op(struct pvio_xs *xs, u32 type, u32 xbt, const char *dir,
		      const char *node)
{
	char *path = xs_join(dir, node);
	void *r;

	if (!path)
		return -ENOMEM;
	r = xs_talk_str(xs, type, xbt, path, NULL);
	kfree(path);
	if (IS_ERR(r))
		return PTR_ERR(r);
	kfree(r);
	return 0;
}

/**
 * pvio_xs_mkdir() - create a node (and parents) with an empty value
 * @xs: the domain's client
 * @xbt: transaction, or PVIO_XBT_NIL
 * @dir: path
 * @node: name below @dir, or ""
 *
 * An existing node is left alone (xenstored).
 * Context: process context, sleeps.
 * Return: 0, or as pvio_xs_write().
 */
int pvio_xs_mkdir(struct pvio_xs *xs, u32 xbt, const char *dir,
		  const char *node)
{
	return xs_path_op(xs, XS_MKDIR, xbt, dir, node);
}
EXPORT_SYMBOL_GPL(pvio_xs_mkdir);

/**
 * pvio_xs_rm() - remove a node and everything below it
 * @xs: the domain's client
 * @xbt: transaction, or PVIO_XBT_NIL
 * @dir: path
 * @node: name below @dir, or ""
 *
 * Removing a node that does not exist succeeds if its parent exists.
 * Context: process context, sleeps.
 * Return: 0, or -ENOENT (no parent), -EACCES, -EINVAL, -ENOMEM, -EIO,
 * -ETIMEDOUT.
 */
int pvio_xs_rm(struct pvio_xs *xs, u32 xbt, const char *dir,
	       const char *node)
{
	return xs_path_op(xs, XS_RM, xbt, dir, node);
}
EXPORT_SYMBOL_GPL(pvio_xs_rm);

/**
 * pvio_xs_directory() - list a node's children
 * @xs: the domain's client
 * @xbt: transaction, or PVIO_XBT_NIL
 * @dir: path
 * @node: name below @dir, or ""
 * @num: gets the number of children
 *
 * Context: process context, sleeps.
 * Return: an array of @num names in one allocation (kfree() the array
 * only), or an ERR_PTR as pvio_xs_read().
 */
char **pvio_xs_directory(struct pvio_xs *xs, u32 xbt, const char *dir,
			 const char *node, unsigned int *num)
{
	char *path = xs_join(dir, node), *s, **ret, *p;
	unsigned int len, i, n = 0;

	if (!path)
		return ERR_PTR(-ENOMEM);
	s = xs_talk_str(xs, XS_DIRECTORY, xbt, path, &len);
	kfree(path);
	if (IS_ERR(s))
		return (char **)s;
	for (i = 0; i < len; i++)
		n += !s[i];
	ret = kmalloc(n * sizeof(char *) + len + 1, GFP_KERNEL);
	if (!ret) {
		kfree(s);
		return ERR_PTR(-ENOMEM);
	}
	p = (char *)(ret + n);
	memcpy(p, s, len + 1);
	kfree(s);
	for (i = 0; i < n; i++) {
		ret[i] = p;
		p += strlen(p) + 1;
	}
	*num = n;
	return ret;
}
EXPORT_SYMBOL_GPL(pvio_xs_directory);

/**
 * pvio_xs_exists() - does a node exist (and may the caller see it)?
 * @xs: the domain's client
 * @xbt: transaction, or PVIO_XBT_NIL
 * @dir: path
 * @node: name below @dir, or ""
 *
 * Context: process context, sleeps.
 * Return: true if the node can be listed.
 */
bool pvio_xs_exists(struct pvio_xs *xs, u32 xbt, const char *dir,
		    const char *node)
{
	unsigned int n;
	char **d = pvio_xs_directory(xs, xbt, dir, node, &n);

	if (IS_ERR(d))
		return false;
	kfree(d);
	return true;
}
EXPORT_SYMBOL_GPL(pvio_xs_exists);

/**
 * pvio_xs_set_perms() - set a node's permissions
 * @xs: the domain's client
 * @xbt: transaction, or PVIO_XBT_NIL
 * @dir: path
 * @node: name below @dir, or ""
 * @perms: Xen permission strings ("n0", "r1", "w2", "b3"): the first names
 *	the owner and everyone's default, the others per domain
 * @num: entries in @perms (at least 1)
 *
 * Only the owner (or dom0) may; a domU may not change the owner.
 * Context: process context, sleeps.
 * Return: 0, or -EACCES, -EPERM, -EINVAL, -ENOSPC, -ENOENT, -E2BIG,
 * -ENOMEM, -EIO, -ETIMEDOUT.
 */
int pvio_xs_set_perms(struct pvio_xs *xs, u32 xbt, const char *dir,
		      const char *node, const char * const *perms,
		      unsigned int num)
{
	struct kvec v[8];
	char *path;
	unsigned int i;
	int err;

	if (!num || num >= ARRAY_SIZE(v))
		return -EINVAL;
	path = xs_join(dir, node);
	if (!path)
		return -ENOMEM;
	v[0].iov_base = path;
	v[0].iov_len = strlen(path) + 1;
	for (i = 0; i < num; i++) {
		v[i + 1].iov_base = (void *)perms[i];
		v[i + 1].iov_len = strlen(perms[i]) + 1;
	}
	err = xs_talk_ack(xs, XS_SET_PERMS, xbt, v, num + 1);
	kfree(path);
	return err;
}
EXPORT_SYMBOL_GPL(pvio_xs_set_perms);

/**
 * pvio_xs_introduce_domain() - ask the store to serve a domain (XS_INTRODUCE)
 * @xs: dom0's client (only dom0 may introduce)
 * @domid: the new domain (1..PVIO_MAX_DOMID)
 * @gfn: the domain's store ring frame, in the domain's own frame space
 *	(its start_info's store_mfn)
 * @port: the domain's unbound event channel port for the store
 *	(store_evtchn)
 *
 * As libxenstore's xs_introduce_domain(), the toolstack's last step of
 * building a domain: the store maps the ring through the grant the domain
 * put at GNTTAB_RESERVED_XENSTORE, binds @port and starts serving it;
 * @introduceDomain fires. Introducing an introduced domain is a no-op.
 *
 * Context: process context, sleeps.
 * Return: 0, or the store's error: -EACCES (not dom0), -EINVAL (bad
 * domid, a grant the store could not map, a port it could not bind),
 * -ENOMEM, -EIO, -ETIMEDOUT.
 */
int pvio_xs_introduce_domain(struct pvio_xs *xs, domid_t domid, u64 gfn,
			     evtchn_port_t port)
{
	char a[3][24];
	struct kvec v[3];
	unsigned int i;

	snprintf(a[0], sizeof(a[0]), "%u", domid);
	snprintf(a[1], sizeof(a[1]), "%llu", gfn);
	snprintf(a[2], sizeof(a[2]), "%u", port);
	for (i = 0; i < ARRAY_SIZE(v); i++) {
		v[i].iov_base = a[i];
		v[i].iov_len = strlen(a[i]) + 1;
	}
	return xs_talk_ack(xs, XS_INTRODUCE, PVIO_XBT_NIL, v, ARRAY_SIZE(v));
}
EXPORT_SYMBOL_GPL(pvio_xs_introduce_domain);

/**
 * pvio_xs_release_domain() - the store stops serving a domain (XS_RELEASE)
 * @xs: dom0's client
 * @domid: an introduced domain
 *
 * As libxenstore's xs_release_domain(), what a toolstack does when it
 * destroys a domain: the domain's watches and transactions go, its ring
 * is no longer served (the store unmaps it and closes its port on its
 * own time), @releaseDomain fires.
 *
 * Context: process context, sleeps.
 * Return: 0, or -ENOENT (not introduced), -EACCES, -EINVAL, -ENOMEM, -EIO,
 * -ETIMEDOUT.
 */
int pvio_xs_release_domain(struct pvio_xs *xs, domid_t domid)
{
	char a[8];
	struct kvec v = { .iov_base = a };

	v.iov_len = snprintf(a, sizeof(a), "%u", domid) + 1;
	return xs_talk_ack(xs, XS_RELEASE, PVIO_XBT_NIL, &v, 1);
}
EXPORT_SYMBOL_GPL(pvio_xs_release_domain);

/**
 * pvio_xs_transaction_start() - start a transaction
 * @xs: the domain's client
 * @xbt: gets the transaction id
 *
 * Context: process context, sleeps.
 * Return: 0, or -ENOSPC (too many open), -EINVAL (the reply is not a
 * transaction id), -ENOMEM, -EIO, -ETIMEDOUT.
 */
int pvio_xs_transaction_start(struct pvio_xs *xs, u32 *xbt)
{
	char *id = xs_talk_str(xs, XS_TRANSACTION_START, PVIO_XBT_NIL, "",
			       NULL);
	int err;

	if (IS_ERR(id))
		return PTR_ERR(id);
	err = kstrtou32(id, 10, xbt);
	kfree(id);
	return err ? -EINVAL : 0;
}
EXPORT_SYMBOL_GPL(pvio_xs_transaction_start);

/**
 * pvio_xs_transaction_end() - commit or abort a transaction
 * @xs: the domain's client
 * @xbt: the transaction
 * @abort: discard instead of committing
 *
 * Context: process context, sleeps.
 * Return: 0; -EAGAIN if a node it used changed meanwhile (nothing was
 * applied: start again), -ENOENT (no such transaction), -ENOSPC, -EIO,
 * -ETIMEDOUT.
 */
int pvio_xs_transaction_end(struct pvio_xs *xs, u32 xbt, bool abort)
{
	void *r = xs_talk_str(xs, XS_TRANSACTION_END, xbt, abort ? "F" : "T",
			      NULL);

	if (IS_ERR(r))
		return PTR_ERR(r);
	kfree(r);
	return 0;
}
EXPORT_SYMBOL_GPL(pvio_xs_transaction_end);

/**
 * pvio_xs_printf() - write a formatted value (xenbus_printf())
 * @xs: the domain's client
 * @xbt: transaction, or PVIO_XBT_NIL
 * @dir: path
 * @node: name below @dir, or ""
 * @fmt: printf format of the value
 *
 * Context: process context, sleeps.
 * Return: as pvio_xs_write().
 */
int pvio_xs_printf(struct pvio_xs *xs, u32 xbt, const char *dir,
		   const char *node, const char *fmt, ...)
{
	va_list ap;
	char *buf;
	int err;

	va_start(ap, fmt);
	buf = kvasprintf(GFP_KERNEL, fmt, ap);
	va_end(ap);
	if (!buf)
		return -ENOMEM;
	err = pvio_xs_write(xs, xbt, dir, node, buf);
	kfree(buf);
	return err;
}
EXPORT_SYMBOL_GPL(pvio_xs_printf);

/**
 * pvio_xs_scanf() - read and parse a value (xenbus_scanf())
 * @xs: the domain's client
 * @xbt: transaction, or PVIO_XBT_NIL
 * @dir: path
 * @node: name below @dir, or ""
 * @fmt: scanf format
 *
 * Context: process context, sleeps.
 * Return: the number of items converted (> 0), -ERANGE if none was, or an
 * error of pvio_xs_read().
 */
int pvio_xs_scanf(struct pvio_xs *xs, u32 xbt, const char *dir,
		  const char *node, const char *fmt, ...)
{
	va_list ap;
	char *val;
	int ret;

	val = pvio_xs_read(xs, xbt, dir, node, NULL);
	if (IS_ERR(val))
		return PTR_ERR(val);
	va_start(ap, fmt);
	ret = vsscanf(val, fmt, ap);
	va_end(ap);
	kfree(val);
	return ret ? ret : -ERANGE;
}
EXPORT_SYMBOL_GPL(pvio_xs_scanf);

/**
 * pvio_xs_gather() - read several values (xenbus_gather())
 * @xs: the domain's client
 * @xbt: transaction, or PVIO_XBT_NIL
 * @dir: path
 *
 * Followed by (name, scanf format, pointer) triples ending with NULL; a
 * NULL format stores the kmalloc'd string itself through the pointer (a
 * char **). Stops at the first failure.
 *
 * Context: process context, sleeps.
 * Return: 0, -EINVAL if a value did not parse, or an error of
 * pvio_xs_read().
 */
int pvio_xs_gather(struct pvio_xs *xs, u32 xbt, const char *dir, ...)
{
	const char *name, *fmt;
	va_list ap;
	void *result;
	char *val;
	int ret = 0;

	va_start(ap, dir);
	while (!ret && (name = va_arg(ap, char *)) != NULL) {
		fmt = va_arg(ap, char *);
		result = va_arg(ap, void *);
		val = pvio_xs_read(xs, xbt, dir, name, NULL);
		if (IS_ERR(val)) {
			ret = PTR_ERR(val);
			break;
		}
		if (fmt) {
			if (sscanf(val, fmt, result) == 0)
				ret = -EINVAL;
			kfree(val);
		} else {
			*(char **)result = val;
		}
	}
	va_end(ap);
	return ret;
}
EXPORT_SYMBOL_GPL(pvio_xs_gather);

/**
 * pvio_xs_read_unsigned() - read an unsigned decimal, with a default
 * @xs: the domain's client
 * @dir: path
 * @node: name below @dir, or ""
 * @default_val: returned if the node is missing or not a number
 *
 * Context: process context, sleeps.
 * Return: the value or @default_val.
 */
unsigned int pvio_xs_read_unsigned(struct pvio_xs *xs, const char *dir,
				   const char *node, unsigned int default_val)
{
	unsigned int v;

	if (pvio_xs_scanf(xs, PVIO_XBT_NIL, dir, node, "%u", &v) != 1)
		return default_val;
	return v;
}
EXPORT_SYMBOL_GPL(pvio_xs_read_unsigned);

/**
 * pvio_xs_watch() - register a watch
 * @xs: the domain's client
 * @watch: @node and @callback filled in; the rest is set here
 *
 * The callback runs once soon after (xenstored fires every new watch) and
 * for every later change of @node or below it that the domain may read.
 * Context: process context, sleeps.
 * Return: 0, or -EEXIST, -E2BIG (watch quota), -EINVAL, -ENOMEM, -EIO,
 * -ETIMEDOUT.
 */
int pvio_xs_watch(struct pvio_xs *xs, struct pvio_xs_watch *watch)
{
	struct kvec v[2];
	int err;

	mutex_lock(&xs->watch_mutex);
	snprintf(watch->token, sizeof(watch->token), "%x", ++xs->next_token);
	list_add_tail(&watch->list, &xs->watches);
	mutex_unlock(&xs->watch_mutex);

	v[0].iov_base = (void *)watch->node;
	v[0].iov_len = strlen(watch->node) + 1;
	v[1].iov_base = watch->token;
	v[1].iov_len = strlen(watch->token) + 1;
	err = xs_talk_ack(xs, XS_WATCH, PVIO_XBT_NIL, v, 2);
	if (err) {
		mutex_lock(&xs->watch_mutex);
		list_del(&watch->list);
		mutex_unlock(&xs->watch_mutex);
	}
	return err;
}
EXPORT_SYMBOL_GPL(pvio_xs_watch);

/**
 * pvio_xs_unwatch() - unregister a watch
 * @xs: the domain's client
 * @watch: a registered watch
 *
 * When this returns the callback is not running and will not run again.
 * Context: process context, sleeps; not from a watch callback.
 */
void pvio_xs_unwatch(struct pvio_xs *xs, struct pvio_xs_watch *watch)
{
	struct xs_pending_event *e, *tmp;
	struct kvec v[2];
	LIST_HEAD(drop);

	v[0].iov_base = (void *)watch->node;
	v[0].iov_len = strlen(watch->node) + 1;
	v[1].iov_base = watch->token;
	v[1].iov_len = strlen(watch->token) + 1;
	xs_talk_ack(xs, XS_UNWATCH, PVIO_XBT_NIL, v, 2);

	mutex_lock(&xs->watch_mutex);
	list_del(&watch->list);
	spin_lock_irq(&xs->lock);
	list_for_each_entry_safe(e, tmp, &xs->events, list)
		if (!strcmp(e->token, watch->token))
			list_move(&e->list, &drop);
	spin_unlock_irq(&xs->lock);
	mutex_unlock(&xs->watch_mutex);
	list_for_each_entry_safe(e, tmp, &drop, list) {
		kfree(e->path);
		kfree(e->token);
		kfree(e);
	}
}
EXPORT_SYMBOL_GPL(pvio_xs_unwatch);

/**
 * pvio_xs_create() - a client on a ring page
 * @intf: the ring page (zeroed by the caller, shared with the server)
 * @notify: kicks the server (sends on the store event channel)
 * @data: for @notify
 *
 * Context: process context.
 * Return: the client, or NULL if out of memory.
 */
struct pvio_xs *pvio_xs_create(struct xenstore_domain_interface *intf,
			       void (*notify)(void *data), void *data)
{
	struct pvio_xs *xs = kvzalloc(sizeof(*xs), GFP_KERNEL);

	if (!xs)
		return NULL;
	xs->intf = intf;
	xs->notify = notify;
	xs->notify_data = data;
	xs->req_prod = READ_ONCE(intf->req_prod);
	xs->rsp_cons = READ_ONCE(intf->rsp_cons);
	mutex_init(&xs->req_mutex);
	mutex_init(&xs->watch_mutex);
	spin_lock_init(&xs->lock);
	init_waitqueue_head(&xs->wq);
	INIT_LIST_HEAD(&xs->watches);
	INIT_LIST_HEAD(&xs->events);
	INIT_WORK(&xs->rx_work, xs_rx_work);
	INIT_WORK(&xs->watch_work, xs_watch_work);
	return xs;
}
EXPORT_SYMBOL_GPL(pvio_xs_create);

/**
 * pvio_xs_destroy() - free a client
 * @xs: the client (NULL is a no-op); no request may be in flight and its
 *	notifications must be stopped (no further pvio_xs_kick())
 *
 * Context: process context, sleeps.
 */
void pvio_xs_destroy(struct pvio_xs *xs)
{
	struct xs_pending_event *e, *tmp;

	if (!xs)
		return;
	xs_set_broken(xs);
	cancel_work_sync(&xs->rx_work);
	cancel_work_sync(&xs->watch_work);
	list_for_each_entry_safe(e, tmp, &xs->events, list) {
		kfree(e->path);
		kfree(e->token);
		kfree(e);
	}
	kvfree(xs);
}
EXPORT_SYMBOL_GPL(pvio_xs_destroy);

int pvio_xs_client_init(void)
{
	xs_wq = alloc_workqueue("pvio-xs", WQ_UNBOUND, 0);
	return xs_wq ? 0 : -ENOMEM;
}

void pvio_xs_client_exit(void)
{
	destroy_workqueue(xs_wq);
}
