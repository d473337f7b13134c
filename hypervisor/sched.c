// SPDX-License-Identifier: GPL-2.0
/*
 * pvio hypervisor: sched_op (Xen's do_sched_op in xen/common/sched/core.c).
 *
 * A "vCPU" of a domain is a context of this kernel: the vCPU a block or
 * poll applies to is the one whose Linux CPU is the current CPU, or vCPU 0
 * when none is. Blocking sleeps on that vCPU's block_wq, which the event
 * code wakes when it marks events pending (pvio_hv_vcpu_kick()).
 */
#include <linux/hrtimer.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "internal.h"
#include "event_channel.h"

/* Xen's limit on SCHEDOP_poll's port list. */
#define PVIO_POLL_MAX_PORTS	128

static unsigned int current_vcpu(struct pvio_domain *d)
{
	unsigned int cpu = raw_smp_processor_id(), v;

	for (v = 0; v < d->nr_vcpus; v++)
		if (d->vcpus[v].cpu == cpu)
			return v;
	return 0;
}

static bool domain_running(struct pvio_domain *d)
{
	return READ_ONCE(d->state) == PVIO_DOMAIN_RUNNING;
}

/*
 * SCHEDOP_block: atomically re-enable event delivery and sleep until an
 * event is pending for the vCPU (Xen's vcpu_block_enable_events()).
 */
static long sched_block(struct pvio_domain *d)
{
	unsigned int v = current_vcpu(d);
	struct vcpu_info *vi = &d->shared_info->vcpu_info[v];
	int rc;

	WRITE_ONCE(vi->evtchn_upcall_mask, 0);
	/* Check for events after re-enabling: no lost wake-up. */
	smp_mb();
	if (READ_ONCE(vi->evtchn_upcall_pending)) {
		/* Raised while the upcall was masked: deliver it now. */
		pvio_hv_vcpu_kick(d, v);
		return 0;
	}
	rc = wait_event_interruptible(d->vcpus[v].block_wq,
				      READ_ONCE(vi->evtchn_upcall_pending) ||
				      !domain_running(d));
	return rc ? -EINTR : 0;
}

static bool any_port_pending(struct pvio_domain *d, const u32 *ports,
			     unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (pvio_hv_evtchn_is_pending(d, ports[i]))
			return true;
	return false;
}

/*
 * SCHEDOP_poll (Xen's do_poll()): return when one of the ports is pending
 * or at the timeout, an absolute system time in ns (ktime_get(), Xen's
 * NOW()); 0 means none.
 */
static long sched_poll(struct pvio_domain *caller, unsigned long arg)
{
	struct sched_poll poll;
	unsigned int i, v;
	ktime_t timeout;
	u32 *ports;
	long rc;

	if (pvio_hv_copy_from_guest(caller, &poll, arg, sizeof(poll)))
		return -EFAULT;
	if (poll.nr_ports > PVIO_POLL_MAX_PORTS)
		return -EINVAL;

	ports = kcalloc(poll.nr_ports ?: 1, sizeof(*ports), GFP_KERNEL);
	if (!ports)
		return -ENOMEM;
	if (poll.nr_ports &&
	    pvio_hv_copy_from_guest(caller, ports,
				    (unsigned long)poll.ports,
				    poll.nr_ports * sizeof(*ports))) {
		rc = -EFAULT;
		goto out;
	}
	for (i = 0; i < poll.nr_ports; i++) {
		if (ports[i] >= PVIO_EVTCHN_NR_PORTS) {
			rc = -EINVAL;
			goto out;
		}
	}

	v = current_vcpu(caller);
	pvio_hv_evtchn_poll_enter(caller);
	if (any_port_pending(caller, ports, poll.nr_ports)) {
		rc = 0;
	} else if (!poll.timeout) {
		rc = wait_event_interruptible(caller->vcpus[v].block_wq,
					      any_port_pending(caller, ports,
							       poll.nr_ports) ||
					      !domain_running(caller));
	} else {
		timeout = ktime_sub(ns_to_ktime(poll.timeout), ktime_get());
		if (ktime_to_ns(timeout) <= 0)
			rc = 0;
		else
			rc = wait_event_interruptible_hrtimeout(caller->vcpus[v].block_wq,
								any_port_pending(caller, ports,
										 poll.nr_ports) ||
								!domain_running(caller),
								timeout);
		if (rc == -ETIME)
			rc = 0;
	}
	pvio_hv_evtchn_poll_exit(caller);
	if (rc == -ERESTARTSYS)
		rc = -EINTR;
out:
	kfree(ports);
	return rc;
}

/* Xen's domain_shutdown(): the first reason wins; dom0 gets VIRQ_DOM_EXC. */
static long domain_shutdown(struct pvio_domain *d, unsigned int reason)
{
	bool changed = false;
	unsigned int v;

	if (reason > SHUTDOWN_MAX)
		return -EINVAL;

	mutex_lock(&pvio_hv_domains_lock);
	if (d->state == PVIO_DOMAIN_RUNNING) {
		d->shutdown_reason = reason;
		WRITE_ONCE(d->state, PVIO_DOMAIN_SHUTDOWN);
		changed = true;
	}
	mutex_unlock(&pvio_hv_domains_lock);

	if (changed) {
		for (v = 0; v < d->nr_vcpus; v++)
			wake_up_all(&d->vcpus[v].block_wq);
		pvio_hv_send_guest_virq(pvio_dom0(), VIRQ_DOM_EXC);
	}
	return 0;
}

/**
 * pvio_hv_domain_resume() - resume a domain that suspended itself
 * @d: the domain (the caller holds a reference)
 *
 * Xen's domain_resume() behind XEN_DOMCTL_resumedomain: a domain shut down
 * with reason SHUTDOWN_suspend (its SCHEDOP_shutdown returned at once, as
 * pvio's vCPUs are contexts of this kernel) is running again, its shutdown
 * reason cleared. Any other state is refused, dom0's included (dom0 never
 * shuts down here): a domain that is running, shut down for another reason
 * or dying.
 *
 * Context: process context; takes pvio_hv_domains_lock.
 * Return: 0, or -EINVAL if @d is not shut down with reason
 * SHUTDOWN_suspend.
 */
long pvio_hv_domain_resume(struct pvio_domain *d)
{
	long rc = -EINVAL;

	mutex_lock(&pvio_hv_domains_lock);
	if (d->state == PVIO_DOMAIN_SHUTDOWN &&
	    d->shutdown_reason == SHUTDOWN_suspend) {
		d->shutdown_reason = 0;
		WRITE_ONCE(d->state, PVIO_DOMAIN_RUNNING);
		rc = 0;
	}
	mutex_unlock(&pvio_hv_domains_lock);
	return rc;
}

/**
 * pvio_hv_do_sched_op() - __HYPERVISOR_sched_op
 * @caller: the calling domain
 * @cmd: SCHEDOP_*
 * @arg: guest address of the op's argument structure
 *
 * SCHEDOP_yield: cond_resched(), returns 0.
 * SCHEDOP_block: clears the vCPU's evtchn_upcall_mask, then sleeps until
 * its evtchn_upcall_pending is set (or the domain stops running); if it is
 * already set, raises the upcall and returns at once.
 * SCHEDOP_poll: struct sched_poll; at most 128 ports (-EINVAL), each
 * < 4096 (-EINVAL); returns 0 when one is pending or at the timeout
 * (absolute ktime_get() ns; 0 = none).
 * SCHEDOP_shutdown: struct sched_shutdown; reason <= SHUTDOWN_MAX
 * (-EINVAL otherwise); the domain goes to the shutdown state (the first
 * reason is kept) and dom0 gets VIRQ_DOM_EXC.
 * SCHEDOP_remote_shutdown: dom0 only (-EPERM), struct sched_remote_shutdown
 * (-ESRCH for an unknown domain).
 * Others: -ENOSYS.
 *
 * Context: process context; block and poll sleep (interruptibly: -EINTR).
 * Return: 0 or -errno as above; -EFAULT for a bad argument address.
 */
long pvio_hv_do_sched_op(struct pvio_domain *caller, int cmd, unsigned long arg)
{
	struct sched_remote_shutdown rs;
	struct sched_shutdown sd;
	struct pvio_domain *d;
	long rc;

	switch (cmd) {
	case SCHEDOP_yield:
		cond_resched();
		return 0;
	case SCHEDOP_block:
		return sched_block(caller);
	case SCHEDOP_poll:
		return sched_poll(caller, arg);
	case SCHEDOP_shutdown:
		if (pvio_hv_copy_from_guest(caller, &sd, arg, sizeof(sd)))
			return -EFAULT;
		return domain_shutdown(caller, sd.reason);
	case SCHEDOP_remote_shutdown:
		if (!caller->privileged)
			return -EPERM;
		if (pvio_hv_copy_from_guest(caller, &rs, arg, sizeof(rs)))
			return -EFAULT;
		d = pvio_hv_domain_lookup(caller, rs.domain_id);
		if (!d)
			return -ESRCH;
		rc = domain_shutdown(d, rs.reason);
		pvio_hv_domain_put(d);
		return rc;
	default:
		return -XEN_ENOSYS;
	}
}
