// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-blkback: a vbd backed by a regular file, with direct file I/O on
 * the mapped pages (what loop does, without a loop device): reads and
 * writes through vfs_iter_read()/vfs_iter_write() on a bvec iterator,
 * flush through vfs_fsync(), discard through a punched hole.
 */
#define pr_fmt(fmt) "pvio-blkback: " fmt

#include <linux/bvec.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/uio.h>
#include "common.h"

/**
 * pvio_blkback_file_rw() - a validated read or write on the backing file
 * @ring: the ring (its file_bv) of a file-backed vbd
 * @req: the request, grants mapped
 *
 * Context: the ring's kthread; sleeps.
 * Return: 0, or -EIO for a short transfer or the file system's error.
 */
int pvio_blkback_file_rw(struct pvio_blkback_ring *ring,
			 struct pvio_blkback_req *req)
{
	struct bio_vec *bv = ring->file_bv;
	struct pvio_blkif *blkif = ring->blkif;
	bool write = req->io.op != BLKIF_OP_READ;
	loff_t pos = req->io.sector << 9;
	struct iov_iter iter;
	size_t len = 0;
	unsigned int i;
	ssize_t ret;

	for (i = 0; i < req->io.nr_segs; i++) {
		bv[i].bv_page = req->page[i];
		bv[i].bv_offset = req->io.seg[i].first_sect << 9;
		bv[i].bv_len = (req->io.seg[i].last_sect -
				req->io.seg[i].first_sect + 1) << 9;
		len += bv[i].bv_len;
	}
	iov_iter_bvec(&iter, write ? ITER_SOURCE : ITER_DEST, bv,
		      req->io.nr_segs, len);
	if (write)
		ret = vfs_iter_write(blkif->file, &iter, &pos, 0);
	else
		ret = vfs_iter_read(blkif->file, &iter, &pos, 0);
	if (ret < 0)
		return ret;
	return (size_t)ret == len ? 0 : -EIO;
}

/**
 * pvio_blkback_file_flush() - FLUSH_DISKCACHE / WRITE_BARRIER on a file
 * @blkif: the vbd (file-backed)
 *
 * Context: the ring's kthread; sleeps.
 * Return: vfs_fsync()'s result.
 */
int pvio_blkback_file_flush(struct pvio_blkif *blkif)
{
	return vfs_fsync(blkif->file, 0);
}

/**
 * pvio_blkback_file_discard() - DISCARD on a file: punch a hole
 * @blkif: the vbd (file-backed)
 * @sector: first sector (512 B), validated
 * @nr_sects: sectors, validated
 *
 * Context: the ring's kthread; sleeps.
 * Return: vfs_fallocate()'s result (-EOPNOTSUPP if the file system cannot
 * punch holes).
 */
int pvio_blkback_file_discard(struct pvio_blkif *blkif, u64 sector,
			      u64 nr_sects)
{
	return vfs_fallocate(blkif->file,
			     FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			     sector << 9, nr_sects << 9);
}
