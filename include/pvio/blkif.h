/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The block protocol both ends of pvio's vbd speak: Xen's blkif
 * (<xen/interface/io/blkif.h>), x86_64 ABI: 112-byte requests, 16-byte
 * responses, 11 segments, 32 slots per 4 KiB ring page; BLKIF_OP_INDIRECT
 * with at most 256 segments (Linux's MAX_INDIRECT_SEGMENTS, 1 MiB), 512
 * struct blkif_request_segment per granted indirect page. Constants only,
 * asserted here at compile time; each end keeps its own code.
 */
#ifndef PVIO_BLKIF_H
#define PVIO_BLKIF_H

#include <linux/build_bug.h>
#include <linux/math.h>
#include <linux/stddef.h>
#include <xen/interface/io/blkif.h>
#include <xen/interface/io/protocols.h>

#define PVIO_BLK_PAGE_SIZE	4096U
#define PVIO_BLK_RING_SIZE	__CONST_RING_SIZE(blkif, PVIO_BLK_PAGE_SIZE)
#define PVIO_BLK_MAX_SEGS	BLKIF_MAX_SEGMENTS_PER_REQUEST
#define PVIO_BLK_MAX_INDIRECT_SEGS	256U
#define PVIO_BLK_SEGS_PER_INDIRECT_PAGE \
	(PVIO_BLK_PAGE_SIZE / sizeof(struct blkif_request_segment))
#define PVIO_BLK_INDIRECT_PAGES(segs) \
	DIV_ROUND_UP(segs, PVIO_BLK_SEGS_PER_INDIRECT_PAGE)
#define PVIO_BLK_MAX_INDIRECT_PAGES \
	PVIO_BLK_INDIRECT_PAGES(PVIO_BLK_MAX_INDIRECT_SEGS)
/* 512-byte sectors in one 4 KiB segment: last_sect <= 7. */
#define PVIO_BLK_SECTS_PER_SEG	(PVIO_BLK_PAGE_SIZE >> 9)

static_assert(sizeof(struct blkif_request) == 112);
static_assert(sizeof(struct blkif_response) == 16);
static_assert(sizeof(struct blkif_request_segment) == 8);
static_assert(offsetof(struct blkif_request, u.rw.id) == 8);
static_assert(offsetof(struct blkif_request, u.discard.id) == 8);
static_assert(offsetof(struct blkif_request, u.other.id) == 8);
static_assert(offsetof(struct blkif_request, u.rw.sector_number) == 16);
static_assert(offsetof(struct blkif_request, u.rw.seg) == 24);
static_assert(offsetof(struct blkif_response, status) == 10);
static_assert(BLKIF_MAX_SEGMENTS_PER_REQUEST == 11);
static_assert(PVIO_BLK_RING_SIZE == 32);
static_assert(offsetof(struct blkif_request, u.indirect.nr_segments) == 2);
static_assert(offsetof(struct blkif_request, u.indirect.id) == 8);
static_assert(offsetof(struct blkif_request, u.indirect.sector_number) == 16);
static_assert(offsetof(struct blkif_request, u.indirect.indirect_grefs) == 28);
static_assert(PVIO_BLK_SEGS_PER_INDIRECT_PAGE == 512);
static_assert(PVIO_BLK_MAX_INDIRECT_PAGES <=
	      BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST);

#endif /* PVIO_BLKIF_H */
