// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: event channels. STUB; the event channel engineer replaces this
 * file.
 */
