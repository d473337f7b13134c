/* SPDX-License-Identifier: GPL-2.0 */
/* pvio-hvdom: xen/interface/memory.h includes it; nothing is needed. */
