/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio-hvdom: the kernel's type names that the Xen interface headers of
 * the kernel tree (xen/interface/, asm/xen/interface.h) use, for userspace.
 */
#ifndef PVIO_HVDOM_KERNEL_TYPES_H
#define PVIO_HVDOM_KERNEL_TYPES_H

#include <stdint.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __s8 s8;
typedef __u16 u16;
typedef __s16 s16;
typedef __u32 u32;
typedef __s32 s32;
typedef __u64 u64;
typedef __s64 s64;

#endif /* PVIO_HVDOM_KERNEL_TYPES_H */
