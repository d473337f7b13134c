/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * pvio: /dev/pvio-hv, the hypervisor interface of a domain that is a
 * process of dom0 (a User-Mode Linux kernel; docs/uml-domu.md).
 *
 * Usable from userspace C: include with -I<pvio>/include/uapi as
 * <pvio/hv.h> (the kernel side includes <uapi/pvio/hv.h>).
 *
 * One open file is at most one domain, with one vCPU:
 *  1. PVIO_HV_IOC_CREATE creates it; the process that does so is the
 *     domain (only its own address space may issue the calls below:
 *     -EPERM from another one).
 *  2. PVIO_HV_IOC_SET_MEMORY names its memory: a shmem file (memfd, a
 *     file on tmpfs or /dev/shm) opened read-write whose page n is the
 *     domain's frame n; PVIO_HV_IOC_PIN makes ranges of it frames the
 *     hypervisor may use (pinned until the domain is gone). Any other
 *     frame is refused wherever the domain names one.
 *  3. IOCTL_PRIVCMD_HYPERCALL (<xen/privcmd.h>, struct privcmd_hypercall)
 *     issues a hypercall: Xen's numbers and argument structures, pointer
 *     arguments being addresses of the calling process. The ioctl returns
 *     the hypercall's result (errno = -result when it is negative; ENOSYS
 *     for an unknown hypercall, EFAULT for an address outside the
 *     process's memory). XENMEM_add_to_physmap places the shared_info
 *     page (XENMAPSPACE_shared_info) and grant table frames
 *     (XENMAPSPACE_grant_table) at pinned frames of the file, as an HVM
 *     guest of Xen does.
 *  4. An event upcall (vcpu_info[0].evtchn_upcall_pending going 0 -> 1,
 *     upcall not masked) wakes poll() and sends SIGIO to the owner set
 *     with F_SETOWN when O_ASYNC is set (fcntl F_SETFL). poll() reports
 *     POLLIN while evtchn_upcall_pending is set, POLLHUP once the domain
 *     is gone.
 *  5. close() of the last reference (the process's exit, however it
 *     exits) destroys the domain: its ports are closed, its maps
 *     released, dom0 gets VIRQ_DOM_EXC.
 *
 * Every ioctl needs CAP_SYS_ADMIN (open() fails with -EPERM otherwise).
 * Padding fields must be zero (-EINVAL otherwise).
 */
#ifndef _UAPI_PVIO_HV_H
#define _UAPI_PVIO_HV_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define PVIO_HV_DEVICE		"/dev/pvio-hv"
#define PVIO_HV_VERSION		1
#define PVIO_HV_NAME_LEN	64

/*
 * PVIO_HV_IOC_CREATE: create the domain (-EBUSY if this file has one).
 * nr_vcpus must be 1 (-EINVAL otherwise).
 */
struct pvio_hv_create {
	char name[PVIO_HV_NAME_LEN];	/* IN: NUL-terminated */
	__u32 nr_vcpus;			/* IN: 1 */
	__u32 domid;			/* OUT */
};

/*
 * PVIO_HV_IOC_SET_MEMORY: the domain's memory, once (-EBUSY after).
 * -EBADF: @fd is not an open file, or not opened read-write; -EINVAL: not
 * a shmem file, @nr_frames 0 or above 2^32, or the file is smaller than
 * @nr_frames pages.
 */
struct pvio_hv_memory {
	__s32 fd;			/* IN: the memory file */
	__u32 pad;
	__u64 nr_frames;		/* IN: declared memory, 4 KiB frames */
};

/*
 * PVIO_HV_IOC_PIN: frames [first, first + nr) become usable, pinned
 * until the domain is freed (already pinned ones stay as they are).
 * -EINVAL: no memory yet, an empty range or one beyond nr_frames;
 * -EINTR: a fatal signal (the frames pinned so far stay pinned).
 */
struct pvio_hv_pin {
	__u64 first;
	__u64 nr;
};

/*
 * PVIO_HV_IOC_SET_STORE: the domain's start_info store_mfn/store_evtchn
 * (what the domain builder writes in Xen): the store ring's frame (a
 * pinned frame; -EINVAL otherwise) and the domain's unbound port for it.
 */
struct pvio_hv_store {
	__u64 gfn;
	__u32 port;
	__u32 pad;
};

#define PVIO_HV_IOC_MAGIC	0xE8

#define PVIO_HV_IOC_VERSION	_IO(PVIO_HV_IOC_MAGIC, 0)
#define PVIO_HV_IOC_CREATE	_IOWR(PVIO_HV_IOC_MAGIC, 1, struct pvio_hv_create)
#define PVIO_HV_IOC_SET_MEMORY	_IOW(PVIO_HV_IOC_MAGIC, 2, struct pvio_hv_memory)
#define PVIO_HV_IOC_PIN		_IOW(PVIO_HV_IOC_MAGIC, 3, struct pvio_hv_pin)
#define PVIO_HV_IOC_SET_STORE	_IOW(PVIO_HV_IOC_MAGIC, 4, struct pvio_hv_store)

#endif /* _UAPI_PVIO_HV_H */
