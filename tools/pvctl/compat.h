/* SPDX-License-Identifier: GPL-2.0 */
/* pvctl: the kernel's spellings of a few compiler helpers, for userspace. */
#ifndef PVCTL_COMPAT_H
#define PVCTL_COMPAT_H

#define __noreturn	__attribute__((noreturn))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#endif /* PVCTL_COMPAT_H */
