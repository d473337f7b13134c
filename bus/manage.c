// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-bus: a domU's answer to the toolstack's control/shutdown requests
 * (Linux's drivers/xen/manage.c, shutdown_handler()).
 *
 * Every domU watches /local/domain/<domid>/control/shutdown from its
 * attach to its detach (the bus's per-domain lifetime) and announces
 * control/feature-suspend = 1, as Linux's setup_shutdown_watcher() does.
 * A non-empty value is read and acknowledged in one transaction (the node
 * is written back empty, retried on EAGAIN): the toolstack sees the request
 * taken. "suspend" then issues SCHEDOP_shutdown with SHUTDOWN_suspend
 * through the domain's own hypercall path: the domain is shut down with
 * that reason, dom0 gets VIRQ_DOM_EXC, and the hypercall returns at once
 * (the domain's vCPUs are contexts of this kernel; nothing is frozen).
 * The frontends hold their I/O by themselves when the toolstack removes
 * their backends, and reconnect when the backends come back
 * (pvio_xenbus_backend_restarting()); the toolstack's resume
 * (PVIO_IOC_RESUME, Xen's XEN_DOMCTL_resumedomain) makes the domain run
 * again. Other values (poweroff, reboot, halt, ...) are logged and
 * acknowledged: an in-kernel domain has no init to hand them to.
 */
#define pr_fmt(fmt) "pvio-bus: " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/err.h>
#include <pvio/hypervisor.h>
#include "bus.h"

/* Transaction conflicts retried before a request is dropped. */
#define PVIO_MANAGE_TRIES	20

/* SCHEDOP_shutdown(SHUTDOWN_suspend): the domain suspends itself. */
static void pvio_manage_suspend(struct pvio_bus_manage *m)
{
	struct sched_shutdown sd = { .reason = SHUTDOWN_suspend };
	int rc;

	rc = pvio_sched_op(m->d, SCHEDOP_shutdown, &sd);
	if (rc)
		pr_warn("d%u: SCHEDOP_shutdown(suspend) failed: %d\n",
			m->domid, rc);
	else
		pr_info("d%u: suspended (shutdown reason suspend)\n", m->domid);
}

/*
 * Read a request and write it back empty in one transaction. Returns the
 * request (kfree() it), NULL if there is none (node absent or empty) or it
 * could not be acknowledged.
 */
static char *pvio_manage_take(struct pvio_bus_manage *m)
{
	unsigned int tries = 0;
	char *str;
	u32 xbt;
	int err;

	do {
		err = pvio_xs_transaction_start(m->xs, &xbt);
		if (err)
			return NULL;
		str = pvio_xs_read(m->xs, xbt, m->node, "", NULL);
		if (IS_ERR(str) || !*str) {
			pvio_xs_transaction_end(m->xs, xbt, true);
			if (!IS_ERR(str))
				kfree(str);
			return NULL;
		}
		err = pvio_xs_write(m->xs, xbt, m->node, "", "");
		if (err) {
			pvio_xs_transaction_end(m->xs, xbt, true);
			kfree(str);
			pr_warn("d%u: cannot acknowledge control/shutdown: %d\n",
				m->domid, err);
			return NULL;
		}
		err = pvio_xs_transaction_end(m->xs, xbt, false);
		if (!err)
			return str;
		kfree(str);
	} while (err == -EAGAIN && ++tries < PVIO_MANAGE_TRIES);
	pr_warn("d%u: control/shutdown not taken: %d\n", m->domid, err);
	return NULL;
}

static void pvio_manage_shutdown_cb(struct pvio_xs_watch *watch,
				    const char *path, const char *token)
{
	struct pvio_bus_manage *m = container_of(watch, struct pvio_bus_manage,
						 watch);
	char *req = pvio_manage_take(m);

	if (!req)
		return;
	if (!strcmp(req, "suspend"))
		pvio_manage_suspend(m);
	else
		pr_info("d%u: control/shutdown '%s' acknowledged, not handled\n",
			m->domid, req);
	kfree(req);
}

/**
 * pvio_bus_manage_start() - watch a domU's control/shutdown
 * @m: the handler's state, kept by the caller until pvio_bus_manage_stop()
 * @d: the domU
 * @xs: @d's store client
 *
 * Linux's setup_shutdown_watcher(): writes control/feature-suspend = 1
 * (a failure is only logged) and registers the watch; its first event
 * takes a request already pending.
 *
 * Context: process context, may sleep; not from a watch callback.
 * Return: 0, or the -errno of the watch registration.
 */
int pvio_bus_manage_start(struct pvio_bus_manage *m, struct pvio_domain *d,
			  struct pvio_xs *xs)
{
	char dir[40];

	m->d = d;
	m->xs = xs;
	m->domid = pvio_domain_id(d);
	snprintf(dir, sizeof(dir), "/local/domain/%u/control", m->domid);
	snprintf(m->node, sizeof(m->node), "%s/shutdown", dir);
	if (pvio_xs_write(xs, PVIO_XBT_NIL, dir, "feature-suspend", "1"))
		pr_warn("d%u: cannot write control/feature-suspend\n",
			m->domid);
	m->watch.node = m->node;
	m->watch.callback = pvio_manage_shutdown_cb;
	return pvio_xs_watch(xs, &m->watch);
}

/**
 * pvio_bus_manage_stop() - stop watching control/shutdown
 * @m: a handler pvio_bus_manage_start() started
 *
 * After the return no callback runs for @m.
 *
 * Context: process context, may sleep; not from a watch callback.
 */
void pvio_bus_manage_stop(struct pvio_bus_manage *m)
{
	pvio_xs_unwatch(m->xs, &m->watch);
}
