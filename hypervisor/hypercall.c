// SPDX-License-Identifier: GPL-2.0
/*
 * pvio hypervisor: the hypercall entry and dispatch, with Xen's numbers.
 */

#include <linux/kernel.h>
#include <linux/string.h>
#include "internal.h"
#include <xen/interface/version.h>

/* Xen 4.17: what XENVER_version reports (major << 16 | minor). */
#define PVIO_XEN_MAJOR		4
#define PVIO_XEN_MINOR		17

static long pvio_hv_do_xen_version(struct pvio_domain *caller, unsigned long cmd,
				   unsigned long arg)
{
	switch (cmd) {
	case XENVER_version:
		return (PVIO_XEN_MAJOR << 16) | PVIO_XEN_MINOR;
	case XENVER_extraversion: {
		struct xen_extraversion ev = { .extraversion = ".0-pvio" };

		return pvio_hv_copy_to_guest(caller, arg, &ev, sizeof(ev));
	}
	case XENVER_changeset: {
		struct xen_changeset_info ci = { .info = "pvio" };

		return pvio_hv_copy_to_guest(caller, arg, &ci, sizeof(ci));
	}
	case XENVER_get_features: {
		struct xen_feature_info fi;

		if (pvio_hv_copy_from_guest(caller, &fi, arg, sizeof(fi)))
			return -EFAULT;
		if (fi.submap_idx >= XENFEAT_NR_SUBMAPS)
			return -EINVAL;
		fi.submap = 0;	/* no optional PV features */
		return pvio_hv_copy_to_guest(caller, arg, &fi, sizeof(fi));
	}
	case XENVER_pagesize:
		return PVIO_PAGE_SIZE;
	default:
		return -XEN_ENOSYS;
	}
}

long pvio_hv_do_hypercall(struct pvio_domain *caller, unsigned long op,
			  unsigned long a1, unsigned long a2, unsigned long a3,
			  unsigned long a4, unsigned long a5, bool in_multicall)
{
	if (op < ARRAY_SIZE(caller->stats.hypercalls))
		pvio_hv_count(caller, hypercalls[op]);

	switch (op) {
	case __HYPERVISOR_grant_table_op:
		if (a1 > UINT_MAX)
			return -XEN_ENOSYS;
		if (a3 > UINT_MAX)
			return -EINVAL;
		return pvio_hv_do_grant_table_op(caller, a1, a2, a3);
	case __HYPERVISOR_event_channel_op:
		if (a1 > UINT_MAX)
			return -XEN_ENOSYS;
		return pvio_hv_do_event_channel_op(caller, a1, a2);
	case __HYPERVISOR_multicall:
		/* Xen: "Multicall reentry is disallowed." */
		if (in_multicall)
			return -EINVAL;
		if (a2 > UINT_MAX)
			return -EINVAL;
		return pvio_hv_do_multicall(caller, a1, a2);
	case __HYPERVISOR_sched_op:
		if (a1 > INT_MAX)
			return -XEN_ENOSYS;
		return pvio_hv_do_sched_op(caller, a1, a2);
	case __HYPERVISOR_physdev_op:
		if (a1 > INT_MAX)
			return -XEN_ENOSYS;
		return pvio_hv_do_physdev_op(caller, a1, a2);
	case __HYPERVISOR_xen_version:
		return pvio_hv_do_xen_version(caller, a1, a2);
	case __HYPERVISOR_memory_op:
		return pvio_hv_do_memory_op(caller, a1, a2);
	default:
		return -XEN_ENOSYS;
	}
}

/**
 * pvio_hv_hypercall() - the hypercall entry of every domain
 * @caller: the calling domain's own handle
 * @op: __HYPERVISOR_* number
 * @a1: first argument, as Xen's for @op
 * @a2: second argument
 * @a3: third argument
 * @a4: fourth argument
 * @a5: fifth argument
 *
 * Implemented: grant_table_op (v1: map/unmap/copy/setup_table/query_size/
 * get_version/set_version 1), event_channel_op, multicall, sched_op,
 * physdev_op, xen_version (version 4.17, extraversion, changeset,
 * get_features, pagesize) and, for a domain that is a process
 * (/dev/pvio-hv), memory_op XENMEM_add_to_physmap (shared_info and
 * grant table frames). Every call is counted per @op in the caller's
 * stats. Arguments are copied in and results out through the caller's
 * memory model.
 *
 * Context: see include/pvio/hypervisor.h: the data-path grant and event
 * ops never sleep and may be issued from any context; setup ops need
 * process context.
 * Return: as Xen: 0 or a positive value on success; -ENOSYS for an
 * unimplemented op or sub-command, -EINVAL for bad arguments (negative
 * batch counts, nested multicall), -EFAULT for bad argument addresses,
 * -ESRCH for a NULL @caller; op-specific errors otherwise.
 */
long pvio_hv_hypercall(struct pvio_domain *caller, unsigned long op,
		       unsigned long a1, unsigned long a2, unsigned long a3,
		       unsigned long a4, unsigned long a5)
{
	if (unlikely(!caller))
		return -ESRCH;
	return pvio_hv_do_hypercall(caller, op, a1, a2, a3, a4, a5, false);
}
EXPORT_SYMBOL_GPL(pvio_hv_hypercall);
