/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * pvio: the /dev/pvio control interface (toolstack <-> pvio-hypervisor.ko).
 *
 * Usable from userspace C: include with -I<pvio>/include/uapi as
 * <pvio/pvio.h> (the kernel side includes <uapi/pvio/pvio.h>).
 *
 * Every ioctl needs CAP_SYS_ADMIN (-EPERM otherwise). Structures have
 * fixed-size fields and explicit padding (same layout for 32/64-bit);
 * reserved and padding fields must be zero on input (-EINVAL otherwise)
 * and are zero on output.
 */
#ifndef _UAPI_PVIO_PVIO_H
#define _UAPI_PVIO_PVIO_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define PVIO_CTL_DEVICE		"/dev/pvio"
#define PVIO_CTL_VERSION	3	/* 2: PVIO_IOC_RESUME, 3: GET_STORE */
#define PVIO_CTL_NAME_LEN	64

/* pvio_ctl_domain.state */
#define PVIO_CTL_STATE_RUNNING	0
#define PVIO_CTL_STATE_SHUTDOWN	1	/* shutdown_reason: SHUTDOWN_* */
#define PVIO_CTL_STATE_DYING	2

/* pvio_ctl_domain.flags */
#define PVIO_CTL_DOMF_PRIVILEGED	(1U << 0)	/* dom0 */
#define PVIO_CTL_DOMF_PROCESS		(1U << 1)	/* a process (/dev/pvio-hv) */

/* PVIO_IOC_CREATE: create a domU. */
struct pvio_ctl_create {
	char name[PVIO_CTL_NAME_LEN];	/* IN: NUL-terminated */
	__u32 nr_vcpus;			/* IN: 1..32 */
	__u32 domid;			/* OUT */
};

/* PVIO_IOC_DESTROY: destroy a domU (dom0: -EPERM, unknown: -ESRCH). */
struct pvio_ctl_destroy {
	__u32 domid;			/* IN */
	__u32 pad;
};

/* One domain, as listed by PVIO_IOC_LIST. */
struct pvio_ctl_domain {
	__u32 domid;
	__u32 nr_vcpus;
	__u32 state;			/* PVIO_CTL_STATE_* */
	__u32 shutdown_reason;		/* SHUTDOWN_* if state is SHUTDOWN */
	__u32 flags;			/* PVIO_CTL_DOMF_* */
	__u32 pad;
	char name[PVIO_CTL_NAME_LEN];
};

/*
 * PVIO_IOC_LIST: list domains by increasing domid. The kernel fills at
 * most @nr entries of the array at @domains and sets @nr to the number of
 * domains that exist (which may be larger: call again with more room).
 * @domains may be 0 with @nr 0 to ask for the count.
 */
struct pvio_ctl_list {
	__u32 nr;			/* IN: room; OUT: domains existing */
	__u32 pad;
	__u64 domains;			/* IN: struct pvio_ctl_domain * */
};

/* PVIO_IOC_STATS: a domain's counters (since creation). */
struct pvio_ctl_stats {
	__u32 domid;			/* IN */
	__u32 pad;
	__u64 hypercalls[64];		/* by __HYPERVISOR_* number */
	__u64 multicall_entries;
	__u64 grant_maps;
	__u64 grant_unmaps;
	__u64 grant_copies;
	__u64 grant_copy_bytes;
	__u64 events_sent;
	__u64 events_delivered;
	__u64 reserved[9];		/* OUT: zero */
};

/*
 * PVIO_IOC_RESUME: Xen's XEN_DOMCTL_resumedomain. A domain shut down with
 * reason SHUTDOWN_suspend (the guest's answer to control/shutdown =
 * "suspend") runs again, its shutdown reason cleared. -EINVAL if it is not
 * suspended (running, dom0, shut down for another reason, dying); -ESRCH
 * for an unknown domid.
 */
struct pvio_ctl_resume {
	__u32 domid;			/* IN */
	__u32 pad;
};

/*
 * PVIO_IOC_GET_STORE: a domain's start_info store_mfn/store_evtchn, what
 * the toolstack introduces to the store (XS_INTRODUCE). -ESRCH: no such
 * domain; -ENOENT: it recorded none yet.
 */
struct pvio_ctl_store {
	__u32 domid;			/* IN */
	__u32 port;			/* OUT */
	__u64 gfn;			/* OUT */
};

#define PVIO_IOC_MAGIC		0xE7

/* Returns PVIO_CTL_VERSION (no argument). */
#define PVIO_IOC_VERSION	_IO(PVIO_IOC_MAGIC, 0)
#define PVIO_IOC_CREATE		_IOWR(PVIO_IOC_MAGIC, 1, struct pvio_ctl_create)
#define PVIO_IOC_DESTROY	_IOW(PVIO_IOC_MAGIC, 2, struct pvio_ctl_destroy)
#define PVIO_IOC_LIST		_IOWR(PVIO_IOC_MAGIC, 3, struct pvio_ctl_list)
#define PVIO_IOC_STATS		_IOWR(PVIO_IOC_MAGIC, 4, struct pvio_ctl_stats)
#define PVIO_IOC_RESUME		_IOW(PVIO_IOC_MAGIC, 5, struct pvio_ctl_resume)
#define PVIO_IOC_GET_STORE	_IOWR(PVIO_IOC_MAGIC, 6, struct pvio_ctl_store)

#endif /* _UAPI_PVIO_PVIO_H */
