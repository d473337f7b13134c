// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-blkback: the control path (after Linux's xen-blkback control code).
 *
 * probe: open the backing device named by "params" (exclusively; a
 * regular file is opened for direct file I/O), offer
 * multi-queue-max-queues and max-ring-page-order, InitWait.
 * frontend Initialised/Connected: read multi-queue-num-queues,
 * ring-page-order, each queue's ring-ref (or ring-ref0..N-1) and
 * event-channel (flat for one queue, in queue-N for several) and
 * protocol ("x86_64-abi"); a request above the offer or a missing key is
 * refused (error node, Closing; a later correct connect works). Map each
 * ring (vmap() once for several pages), bind each port (late EOI), start
 * one kthread per ring, then write sectors, info, sector-size,
 * physical-sector-size, the flush/barrier/discard features,
 * feature-persistent, feature-max-indirect-segments and Connected in one
 * transaction.
 * frontend Closing/Closed: stop the kthreads (drain the I/O), unbind,
 * unmap. A resize is announced by rewriting sectors and state.
 */
#define pr_fmt(fmt) "pvio-blkback: " fmt

#include <linux/blkdev.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <pvio/evtchn.h>
#include <pvio/grant.h>
#include <pvio/ring.h>
#include "common.h"

/*
 * feature-max-indirect-segments (Linux's MAX_INDIRECT_SEGMENTS); 0: the
 * key is not written and BLKIF_OP_INDIRECT is refused as unknown.
 */
static unsigned int pvio_blkback_max_indirect = PVIO_BLK_MAX_INDIRECT_SEGS;
module_param_named(max_indirect_segments, pvio_blkback_max_indirect, uint,
		   0644);
MODULE_PARM_DESC(max_indirect_segments,
		 "segments per indirect request advertised (0: none, at most 256)");

/* xen-blkback's feature_persistent: offer persistent grants. */
static bool pvio_blkback_persistent = true;
module_param_named(feature_persistent, pvio_blkback_persistent, bool, 0644);
MODULE_PARM_DESC(feature_persistent, "offer persistent grants");

/*
 * pvio's feature-zero-copy (docs/block.md): offered with the other offers;
 * when the frontend writes it too, the data grants of its
 * BLKIF_OP_INDIRECT requests are mapped for that request only, never kept
 * persistent (they are the frontend's bio pages, ended at the response).
 */
static bool pvio_blkback_zero_copy = true;
module_param_named(feature_zero_copy, pvio_blkback_zero_copy, bool, 0644);
MODULE_PARM_DESC(feature_zero_copy,
		 "offer feature-zero-copy: indirect requests' data grants never persistent");

/*
 * pvio's poll window (docs/block.md): offered as feature-poll-window-us
 * with multi-queue; a ring whose frontend writes queue-N/poll = 1 (a
 * blk-mq poll queue) is polled this long after its last request before
 * its kthread sleeps, without asking for an event (req_event). 0: not
 * offered.
 */
#define PVIO_BLKBACK_MAX_POLL_US	1000
static unsigned int pvio_blkback_poll_us = 50;
module_param_named(poll_window_us, pvio_blkback_poll_us, uint, 0644);
MODULE_PARM_DESC(poll_window_us,
		 "microseconds a polled ring is polled before its thread sleeps (0: not offered; at most 1000)");

/*
 * xen-blkback's max_persistent_grants (default 1056): each ring keeps up
 * to this many grants mapped for good; unused ones beyond it are purged,
 * least recently used first, every 100 ms, and any unused for 60 s.
 */
static unsigned int pvio_blkback_max_pgrants = PVIO_BLKBACK_MAX_PGRANTS;
module_param_named(max_persistent_grants, pvio_blkback_max_pgrants, uint,
		   0644);
MODULE_PARM_DESC(max_persistent_grants,
		 "persistent grants kept mapped per ring (default 1056, LRU purge of unused ones)");

/*
 * xen-blkback's max_ring_page_order: max-ring-page-order offered (at most
 * 4: 16 pages, 512 requests per ring); 0: the key is not written and
 * only a one-page ring (ring-ref) is accepted, Xen's behaviour.
 */
static unsigned int pvio_blkback_max_ring_order = PVIO_BLKBACK_MAX_RING_ORDER;
module_param_named(max_ring_page_order, pvio_blkback_max_ring_order, uint,
		   0644);
MODULE_PARM_DESC(max_ring_page_order,
		 "max-ring-page-order offered (0: key absent, one page; at most 4)");

/*
 * xen-blkback's max_queues: multi-queue-max-queues offered; 0 (the
 * default): the number of online CPUs; 1: the key is not written and
 * only one flat ring is accepted, Xen's behaviour without multi-queue.
 */
static unsigned int pvio_blkback_max_queues;
module_param_named(max_queues, pvio_blkback_max_queues, uint, 0644);
MODULE_PARM_DESC(max_queues,
		 "multi-queue-max-queues offered (0: online CPUs; 1: key absent)");

#define PVIO_BLKBACK_MODE(blkif) \
	(FMODE_READ | ((blkif)->lim.readonly ? 0 : FMODE_WRITE) | FMODE_EXCL)

/* ---- statistics (Linux's xen-blkback statistics/ group) ------------- */

#define PVIO_BLKBACK_STAT(attr_name, field)				\
static ssize_t attr_name##_show(struct device *_dev,			\
				struct device_attribute *attr, char *buf) \
{									\
	struct pvio_blkif *blkif = dev_get_drvdata(_dev);		\
									\
	u64 sum = 0;							\
	unsigned int i;							\
									\
	if (!blkif)							\
		return sysfs_emit(buf, "0\n");				\
	mutex_lock(&blkif->rings_lock);					\
	for (i = 0; blkif->rings && i < blkif->nr_rings; i++)		\
		sum += READ_ONCE(blkif->rings[i].stats.field);		\
	mutex_unlock(&blkif->rings_lock);				\
	return sysfs_emit(buf, "%llu\n", sum);				\
}									\
static DEVICE_ATTR_RO(attr_name)

PVIO_BLKBACK_STAT(rd_req, rd_req);
PVIO_BLKBACK_STAT(wr_req, wr_req);
PVIO_BLKBACK_STAT(f_req, f_req);
PVIO_BLKBACK_STAT(b_req, b_req);
PVIO_BLKBACK_STAT(ds_req, ds_req);
PVIO_BLKBACK_STAT(oo_req, oo_req);
PVIO_BLKBACK_STAT(err_req, err_req);
PVIO_BLKBACK_STAT(bad_req, bad_req);
PVIO_BLKBACK_STAT(rd_sect, rd_sect);
PVIO_BLKBACK_STAT(wr_sect, wr_sect);
PVIO_BLKBACK_STAT(halted, halted);
PVIO_BLKBACK_STAT(map_calls, map_calls);
PVIO_BLKBACK_STAT(map_reqs, map_reqs);
PVIO_BLKBACK_STAT(max_batch, max_batch);
PVIO_BLKBACK_STAT(ind_req, ind_req);
PVIO_BLKBACK_STAT(spurious_eoi, spurious_eoi);
PVIO_BLKBACK_STAT(pgrants, pgrants);
PVIO_BLKBACK_STAT(pgrants_purged, pgrants_purged);
PVIO_BLKBACK_STAT(map_refused, map_refused);
PVIO_BLKBACK_STAT(poll_hits, poll_hits);
PVIO_BLKBACK_STAT(poll_misses, poll_misses);
PVIO_BLKBACK_STAT(map_ns, map_ns);
PVIO_BLKBACK_STAT(colo_on, colo_on);
PVIO_BLKBACK_STAT(colo_spread, colo_spread);
PVIO_BLKBACK_STAT(unmap_ops, unmap_ops);

static struct attribute *pvio_blkback_stat_attrs[] = {
	&dev_attr_rd_req.attr,
	&dev_attr_wr_req.attr,
	&dev_attr_f_req.attr,
	&dev_attr_b_req.attr,
	&dev_attr_ds_req.attr,
	&dev_attr_oo_req.attr,
	&dev_attr_err_req.attr,
	&dev_attr_bad_req.attr,
	&dev_attr_rd_sect.attr,
	&dev_attr_wr_sect.attr,
	&dev_attr_halted.attr,
	&dev_attr_map_calls.attr,
	&dev_attr_map_reqs.attr,
	&dev_attr_max_batch.attr,
	&dev_attr_ind_req.attr,
	&dev_attr_spurious_eoi.attr,
	&dev_attr_pgrants.attr,
	&dev_attr_pgrants_purged.attr,
	&dev_attr_map_refused.attr,
	&dev_attr_poll_hits.attr,
	&dev_attr_poll_misses.attr,
	&dev_attr_map_ns.attr,
	&dev_attr_colo_on.attr,
	&dev_attr_colo_spread.attr,
	&dev_attr_unmap_ops.attr,
	NULL
};

static const struct attribute_group pvio_blkback_stat_group = {
	.name = "statistics",
	.attrs = pvio_blkback_stat_attrs,
};

/* ---- fault injection (tests): debugfs pvio-blkback/<device> ---------- */

static struct dentry *pvio_blkback_dbg_root;

static ssize_t pvio_blkback_inject_write(struct file *file,
					 const char __user *ubuf, size_t len,
					 loff_t *ppos)
{
	struct pvio_blkif *blkif = file->private_data;
	char buf[16] = "";

	if (simple_write_to_buffer(buf, sizeof(buf) - 1, ppos, ubuf, len) < 0)
		return -EFAULT;
	if (sysfs_streq(buf, "bad_id"))
		atomic_set(&blkif->inject, PVIO_BLKBACK_INJECT_BAD_ID);
	else if (sysfs_streq(buf, "bad_op"))
		atomic_set(&blkif->inject, PVIO_BLKBACK_INJECT_BAD_OP);
	else
		return -EINVAL;
	dev_warn(&blkif->dev->dev, "injecting %s into the next response\n",
		 buf);
	return len;
}

static const struct file_operations pvio_blkback_inject_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = pvio_blkback_inject_write,
	.llseek = no_llseek,
};

/* ---- the backing device --------------------------------------------- */

static void pvio_blkback_close_backing(struct pvio_blkif *blkif)
{
	if (blkif->bdev)
		blkdev_put(blkif->bdev, PVIO_BLKBACK_MODE(blkif));
	blkif->bdev = NULL;
	if (blkif->file)
		fput(blkif->file);
	blkif->file = NULL;
}

static int pvio_blkback_open_file(struct pvio_blkif *blkif)
{
	struct file *file;
	struct inode *inode;

	file = filp_open(blkif->params, (blkif->lim.readonly ? O_RDONLY :
					 O_RDWR) | O_LARGEFILE, 0);
	if (IS_ERR(file))
		return PTR_ERR(file);
	inode = file_inode(file);
	if (S_ISBLK(inode->i_mode)) {
		/* A block device named as a file: use it as one. */
		fput(file);
		return -EISDIR;
	}
	if (!S_ISREG(inode->i_mode)) {
		fput(file);
		return -EINVAL;
	}
	blkif->file = file;
	blkif->lim.sectors = i_size_read(inode) >> 9;
	blkif->sector_size = 512;
	blkif->physical_sector_size = 512;
	blkif->flush = true;
	blkif->lim.discard = !!file->f_op->fallocate;
	blkif->discard_granularity = inode->i_sb->s_blocksize;
	blkif->discard_alignment = 0;
	return 0;
}

static int pvio_blkback_open_bdev(struct pvio_blkif *blkif)
{
	struct block_device *bdev;

	bdev = blkdev_get_by_path(blkif->params, PVIO_BLKBACK_MODE(blkif),
				  blkif);
	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	blkif->bdev = bdev;
	blkif->lim.sectors = bdev_nr_sectors(bdev);
	blkif->sector_size = bdev_logical_block_size(bdev);
	blkif->physical_sector_size = bdev_physical_block_size(bdev);
	/*
	 * A flush of a device without a volatile cache completes at once;
	 * advertising it always lets the frontend order its writes.
	 */
	blkif->flush = true;
	blkif->lim.discard = bdev_max_discard_sectors(bdev) > 0;
	blkif->lim.secure = bdev_max_secure_erase_sectors(bdev) > 0;
	blkif->discard_granularity = bdev_discard_granularity(bdev);
	blkif->discard_alignment = bdev_discard_alignment(bdev);
	return 0;
}

/* Read params, mode and type; open the backing device or file. */
static int pvio_blkback_open_backing(struct pvio_blkif *blkif)
{
	struct pvio_xenbus_device *dev = blkif->dev;
	char *mode, *type;
	int err;

	blkif->params = pvio_xs_read(dev->xs, PVIO_XBT_NIL, dev->nodename,
				     "params", NULL);
	if (IS_ERR(blkif->params)) {
		err = PTR_ERR(blkif->params);
		blkif->params = NULL;
		pvio_xenbus_dev_fatal(dev, err, "reading params");
		return err;
	}
	mode = pvio_xs_read(dev->xs, PVIO_XBT_NIL, dev->nodename, "mode",
			    NULL);
	blkif->lim.readonly = IS_ERR(mode) || !strchr(mode, 'w');
	if (!IS_ERR(mode))
		kfree(mode);
	type = pvio_xs_read(dev->xs, PVIO_XBT_NIL, dev->nodename, "type",
			    NULL);
	blkif->file_backed = !IS_ERR(type) && !strcmp(type, "file");
	if (!IS_ERR(type))
		kfree(type);

	err = -EISDIR;
	if (blkif->file_backed)
		err = pvio_blkback_open_file(blkif);
	if (err == -EISDIR)
		err = pvio_blkback_open_bdev(blkif);
	if (err) {
		pvio_xenbus_dev_fatal(dev, err, "opening backing %s",
				      blkif->params);
		return err;
	}
	dev_info(&dev->dev, "%s: %llu sectors, %s%s%s\n", blkif->params,
		 blkif->lim.sectors, blkif->lim.readonly ? "ro" : "rw",
		 blkif->file ? ", file I/O" : "",
		 blkif->lim.discard ? ", discard" : "");
	return 0;
}

/* ---- connection ------------------------------------------------------ */

/* The max-queues and max-order this backend offers (0: key absent). */
static unsigned int pvio_blkback_offer_queues(void)
{
	unsigned int n = READ_ONCE(pvio_blkback_max_queues);

	if (!n)
		n = num_online_cpus();
	return min(n, PVIO_BLKBACK_MAX_QUEUES);
}

static unsigned int pvio_blkback_offer_order(void)
{
	return min(READ_ONCE(pvio_blkback_max_ring_order),
		   PVIO_BLKBACK_MAX_RING_ORDER);
}

/*
 * Offer multi-queue and multi-page rings (Linux's xen-blkback writes both
 * keys in its probe); a key whose parameter says "absent" is removed, in
 * case a backend before us (reloaded module) wrote it.
 */
static void pvio_blkback_write_offers(struct pvio_blkif *blkif)
{
	struct pvio_xenbus_device *dev = blkif->dev;
	unsigned int queues = pvio_blkback_offer_queues();
	unsigned int order = pvio_blkback_offer_order();

	if (queues > 1)
		pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename,
			       "multi-queue-max-queues", "%u", queues);
	else
		pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename,
			   "multi-queue-max-queues");
	if (order)
		pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename,
			       "max-ring-page-order", "%u", order);
	else
		pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename,
			   "max-ring-page-order");
	blkif->offer_poll_us = min(READ_ONCE(pvio_blkback_poll_us),
				   PVIO_BLKBACK_MAX_POLL_US);
	if (blkif->offer_poll_us && queues > 1)
		pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename,
			       "feature-poll-window-us", "%u",
			       blkif->offer_poll_us);
	else
		pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename,
			   "feature-poll-window-us");
	blkif->offer_zero_copy = READ_ONCE(pvio_blkback_zero_copy);
	if (blkif->offer_zero_copy)
		pvio_xs_printf(dev->xs, PVIO_XBT_NIL, dev->nodename,
			       "feature-zero-copy", "%u", 1);
	else
		pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename,
			   "feature-zero-copy");
}

static void pvio_blkback_unmap_ring(struct pvio_blkback_ring *ring)
{
	unsigned int i;

	if (ring->vaddr && ring->nr_pages > 1)
		vunmap(ring->vaddr);
	ring->vaddr = NULL;
	/* all or none mapped (pvio_xenbus_map_ring_refs()): one batch */
	if (ring->nr_pages)
		pvio_xenbus_unmap_ring_refs(ring->blkif->dev, ring->handles,
					    NULL, ring->nr_pages);
	for (i = 0; i < ring->nr_pages; i++)
		ring->pages[i] = NULL;
	ring->nr_pages = 0;
}

static void pvio_blkback_free_rings(struct pvio_blkif *blkif)
{
	unsigned int i;

	mutex_lock(&blkif->rings_lock);
	for (i = 0; blkif->rings && i < blkif->nr_rings; i++)
		kvfree(blkif->rings[i].reqs);
	kvfree(blkif->rings);
	blkif->rings = NULL;
	blkif->nr_rings = 0;
	mutex_unlock(&blkif->rings_lock);
}

static void pvio_blkback_disconnect(struct pvio_blkif *blkif)
{
	unsigned int i;

	/* Every kthread first: they drain, then nothing touches a ring. */
	for (i = 0; blkif->rings && i < blkif->nr_rings; i++)
		pvio_blkback_stop(&blkif->rings[i]);
	for (i = 0; blkif->rings && i < blkif->nr_rings; i++) {
		struct pvio_blkback_ring *ring = &blkif->rings[i];

		if (ring->irq > 0)
			pvio_unbind_from_irqhandler(ring->irq, ring);
		ring->irq = 0;
		pvio_blkback_unmap_ring(ring);
	}
	pvio_blkback_free_rings(blkif);
}

static int pvio_blkback_read_key(void *ctx, const char *dir,
				 const char *node, unsigned int *val)
{
	return pvio_xs_scanf(ctx, PVIO_XBT_NIL, dir, node, "%u", val) == 1 ?
	       0 : -ENOENT;
}

/* Allocate @nr rings, their requests sized for @order. */
static int pvio_blkback_alloc_rings(struct pvio_blkif *blkif,
				    unsigned int nr, unsigned int order)
{
	struct pvio_blkback_ring *rings;
	unsigned int i;

	rings = kvcalloc(nr, sizeof(*rings), GFP_KERNEL);
	if (!rings)
		return -ENOMEM;
	mutex_lock(&blkif->rings_lock);
	blkif->rings = rings;
	blkif->nr_rings = nr;
	mutex_unlock(&blkif->rings_lock);
	for (i = 0; i < nr; i++) {
		struct pvio_blkback_ring *ring = &blkif->rings[i];

		ring->blkif = blkif;
		ring->idx = i;
		init_waitqueue_head(&ring->wq);
		spin_lock_init(&ring->done_lock);
		INIT_LIST_HEAD(&ring->done);
		INIT_LIST_HEAD(&ring->free);
		xa_init(&ring->pgrants);
		INIT_LIST_HEAD(&ring->pgrant_lru);
		ring->nr_reqs = __CONST_RING_SIZE(blkif, PVIO_BLK_PAGE_SIZE <<
						  order);
		ring->reqs = kvcalloc(ring->nr_reqs, sizeof(*ring->reqs),
				      GFP_KERNEL);
		if (!ring->reqs)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Map one ring's 1 << order pages in one batch (each by the hypervisor's
 * frame-space rules: a ref that is not the frontend's grant is refused,
 * and then none stays mapped) and, for several, vmap() them once (Linux's
 * xenbus_map_ring_valloc()).
 */
static int pvio_blkback_map_ring(struct pvio_blkback_ring *ring,
				 const grant_ref_t *refs, unsigned int order)
{
	unsigned int n = 1U << order;
	int err;

	static_assert(PVIO_BLKBACK_MAX_RING_PAGES <= PVIO_GNTTAB_MAX_RING_REFS);
	err = pvio_xenbus_map_ring_refs(ring->blkif->dev, refs, n, ring->pages,
					ring->handles);
	if (err)
		return err;
	ring->nr_pages = n;
	if (n == 1) {
		ring->vaddr = page_address(ring->pages[0]);
	} else {
		ring->vaddr = vmap(ring->pages, n, VM_MAP, PAGE_KERNEL);
		if (!ring->vaddr) {
			pvio_xenbus_dev_fatal(ring->blkif->dev, -ENOMEM,
					      "mapping a ring of %u pages", n);
			return -ENOMEM;
		}
	}
	BACK_RING_INIT(&ring->ring, (struct blkif_sring *)ring->vaddr,
		       PVIO_BLK_PAGE_SIZE << order);
	return 0;
}

static int pvio_blkback_write_connected(struct pvio_blkif *blkif)
{
	struct pvio_xenbus_kv kv[] = {
		{ "sectors", "%lu", blkif->lim.sectors },
		{ "info", "%lu", blkif->lim.readonly ? VDISK_READONLY : 0 },
		{ "sector-size", "%lu", blkif->sector_size },
		{ "physical-sector-size", "%lu", blkif->physical_sector_size },
		{ "feature-flush-cache", "%lu",
		  blkif->flush && !blkif->lim.readonly },
		{ "feature-barrier", "%lu", blkif->flush && !blkif->lim.readonly },
		{ "feature-discard", "%lu",
		  blkif->lim.discard && !blkif->lim.readonly },
		{ "discard-granularity", "%lu", blkif->discard_granularity },
		{ "discard-alignment", "%lu", blkif->discard_alignment },
		{ "discard-secure", "%lu", blkif->lim.secure },
		{ "feature-persistent", "%lu", blkif->offer_persistent },
		/* Last: left out when indirect requests are off. */
		{ "feature-max-indirect-segments", "%lu",
		  blkif->lim.max_indirect },
	};

	return pvio_xenbus_write_keys(blkif->dev, kv,
				      ARRAY_SIZE(kv) - !blkif->lim.max_indirect,
				      XenbusStateConnected);
}

/*
 * pvio's poll window: each ring of several whose frontend wrote
 * queue-N/poll = 1, when we offered feature-poll-window-us (absent:
 * Xen's behaviour, the kthread sleeps as soon as the ring is empty).
 */
static void pvio_blkback_read_poll(struct pvio_blkif *blkif)
{
	struct pvio_xenbus_device *dev = blkif->dev;
	unsigned int i, polled = 0;
	char key[24];

	for (i = 0; i < blkif->nr_rings; i++) {
		struct pvio_blkback_ring *ring = &blkif->rings[i];

		ring->poll_ns = 0;
		if (!blkif->offer_poll_us || blkif->nr_rings < 2)
			continue;
		snprintf(key, sizeof(key), "queue-%u/poll", i);
		if (pvio_xs_read_unsigned(dev->xs, dev->otherend, key, 0) != 1)
			continue;
		ring->poll_ns = (u64)blkif->offer_poll_us * NSEC_PER_USEC;
		polled++;
	}
	if (polled)
		dev_info(&dev->dev, "%u ring%s polled for %u us\n", polled,
			 polled > 1 ? "s" : "", blkif->offer_poll_us);
}

static int pvio_blkback_connect(struct pvio_blkif *blkif)
{
	struct pvio_xenbus_device *dev = blkif->dev;
	struct pvio_blkback_ring_keys *keys;
	unsigned int i;
	char why[160];
	char *proto;
	int err;

	pvio_blkback_disconnect(blkif);
	if (!blkif->bdev && !blkif->file)
		return -ENODEV;
	keys = kzalloc(sizeof(*keys), GFP_KERNEL);
	if (!keys)
		return -ENOMEM;
	err = pvio_blkback_read_ring_keys(pvio_blkback_read_key, dev->xs,
					  dev->otherend,
					  pvio_blkback_offer_queues(),
					  pvio_blkback_offer_order(), keys,
					  why, sizeof(why));
	if (err) {
		pvio_xenbus_dev_fatal(dev, err, "%s", why);
		kfree(keys);
		return err;
	}
	proto = pvio_xs_read(dev->xs, PVIO_XBT_NIL, dev->otherend, "protocol",
			     NULL);
	/* Linux's blkback: a missing protocol means the native one. */
	if (!IS_ERR(proto) && strcmp(proto, XEN_IO_PROTO_ABI_X86_64)) {
		pvio_xenbus_dev_fatal(dev, -EPROTONOSUPPORT,
				      "unsupported protocol %.32s",
				      proto);
		kfree(proto);
		kfree(keys);
		return -EPROTONOSUPPORT;
	}
	if (!IS_ERR(proto))
		kfree(proto);

	blkif->lim.max_indirect = min(READ_ONCE(pvio_blkback_max_indirect),
				      PVIO_BLK_MAX_INDIRECT_SEGS);
	/* Both ends must offer it (the frontend wrote its key already). */
	blkif->offer_persistent = READ_ONCE(pvio_blkback_persistent);
	blkif->max_pgrants = READ_ONCE(pvio_blkback_max_pgrants);
	blkif->persistent = blkif->offer_persistent &&
		pvio_xs_read_unsigned(dev->xs, dev->otherend,
				      "feature-persistent", 0);
	/* What we offered at probe, and the frontend took. */
	blkif->zero_copy = blkif->offer_zero_copy &&
		pvio_xs_read_unsigned(dev->xs, dev->otherend,
				      "feature-zero-copy", 0);
	err = pvio_blkback_alloc_rings(blkif, keys->nr_rings, keys->order);
	if (err) {
		pvio_xenbus_dev_fatal(dev, err, "allocating %u rings",
				      keys->nr_rings);
		goto fail;
	}
	pvio_blkback_read_poll(blkif);
	for (i = 0; i < blkif->nr_rings; i++) {
		struct pvio_blkback_ring *ring = &blkif->rings[i];

		err = pvio_blkback_map_ring(ring, keys->ref[i], keys->order);
		if (err)
			goto fail;
		err = pvio_bind_interdomain_evtchn_to_irqhandler_lateeoi(dev->domain,
									 dev->otherend_id,
									 keys->port[i],
									 pvio_blkback_interrupt,
									 0,
									 "pvio-blkif",
									 ring);
		if (err < 0) {
			pvio_xenbus_dev_fatal(dev, err,
					      "binding event channel %u",
					      keys->port[i]);
			goto fail;
		}
		ring->irq = err;
	}
	for (i = 0; i < blkif->nr_rings; i++) {
		err = pvio_blkback_start(&blkif->rings[i]);
		if (err) {
			pvio_xenbus_dev_fatal(dev, err,
					      "starting the ring thread");
			goto fail;
		}
	}
	dev_info(&dev->dev, "%u ring%s of %u page%s (%u requests each)%s%s\n",
		 blkif->nr_rings, blkif->nr_rings > 1 ? "s" : "",
		 1U << keys->order, keys->order ? "s" : "",
		 blkif->rings[0].nr_reqs,
		 blkif->persistent ? ", persistent grants" : "",
		 blkif->zero_copy ? ", zero-copy" : "");
	/* A backend before us (reloaded module) may have offered more. */
	if (!blkif->lim.max_indirect)
		pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename,
			   "feature-max-indirect-segments");
	err = pvio_blkback_write_connected(blkif);
	if (err) {
		pvio_xenbus_dev_fatal(dev, err, "writing connect keys");
		goto fail;
	}
	kfree(keys);
	return 0;
fail:
	pvio_blkback_disconnect(blkif);
	kfree(keys);
	return err;
}

/**
 * pvio_blkback_resize() - announce a new capacity to the frontend
 * @blkif: the vbd, whose lim.sectors was just updated
 *
 * As Linux's xen_vbd_resize(): "sectors" and "state" (unchanged,
 * Connected) are rewritten in one transaction; the frontend sees a
 * repeated Connected and re-reads sectors.
 *
 * Context: the ring's kthread; sleeps (store requests).
 */
void pvio_blkback_resize(struct pvio_blkif *blkif)
{
	struct pvio_xenbus_kv kv[] = {
		{ "sectors", "%lu", blkif->lim.sectors },
	};
	int err;

	dev_info(&blkif->dev->dev, "%s resized to %llu sectors\n",
		 blkif->params, blkif->lim.sectors);
	err = pvio_xenbus_write_keys(blkif->dev, kv, ARRAY_SIZE(kv),
				     XenbusStateConnected);
	if (err)
		dev_warn(&blkif->dev->dev, "announcing the resize: %d\n", err);
}

static void pvio_blkback_changed(struct pvio_xenbus_device *dev,
				 enum xenbus_state frontend)
{
	struct pvio_blkif *blkif = dev_get_drvdata(&dev->dev);
	struct pvio_xenbus_step s = pvio_xenbus_backend_step(dev->state,
							     frontend);

	if (s.actions & PVIO_XB_ACT_DISCONNECT)
		pvio_blkback_disconnect(blkif);
	if (s.actions & PVIO_XB_ACT_CONNECT) {
		unsigned int i;

		if (pvio_blkback_connect(blkif))
			return;
		/* Events sent before the bind are pending: start now. */
		for (i = 0; i < blkif->nr_rings; i++)
			pvio_blkback_interrupt(blkif->rings[i].irq,
					       &blkif->rings[i]);
		return;
	}
	/*
	 * A frontend coming back after a refused connect: the reason stays
	 * in the error node until then, not into the next connection.
	 */
	if (s.next == XenbusStateInitWait && dev->state == XenbusStateClosed) {
		pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename, "error");
		pvio_blkback_write_offers(blkif);
	}
	pvio_xenbus_switch_state(dev, s.next);
}

static int pvio_blkback_probe(struct pvio_xenbus_device *dev,
			      const struct pvio_xenbus_device_id *id)
{
	struct pvio_blkif *blkif;
	enum xenbus_state fe;
	int err;

	blkif = kvzalloc(sizeof(*blkif), GFP_KERNEL);
	if (!blkif)
		return -ENOMEM;
	blkif->dev = dev;
	blkif->d = dev->domain;
	mutex_init(&blkif->rings_lock);
	dev_set_drvdata(&dev->dev, blkif);
	err = sysfs_create_group(&dev->dev.kobj, &pvio_blkback_stat_group);
	if (err)
		goto fail;
	blkif->dbg = debugfs_create_file(dev_name(&dev->dev), 0200,
					 pvio_blkback_dbg_root, blkif,
					 &pvio_blkback_inject_fops);
	/* A backing that cannot be opened leaves the device Closing. */
	if (pvio_blkback_open_backing(blkif))
		return 0;
	pvio_blkback_write_offers(blkif);
	/*
	 * A frontend still Initialised or Connected talks to a previous
	 * backend (this module reloaded, the directory re-created before the
	 * frontend saw the old one go): never take over its ring. Closed
	 * until it comes back through Initialising (then InitWait).
	 */
	fe = pvio_xenbus_read_driver_state(dev, dev->otherend);
	if (fe == XenbusStateInitialised || fe == XenbusStateConnected) {
		dev_info(&dev->dev,
			 "frontend still %s with a previous backend: Closed until it reconnects\n",
			 pvio_xenbus_strstate(fe));
		err = pvio_xenbus_switch_state(dev, XenbusStateClosed);
	} else {
		err = pvio_xenbus_switch_state(dev, XenbusStateInitWait);
	}
	if (err) {
		debugfs_remove(blkif->dbg);
		sysfs_remove_group(&dev->dev.kobj, &pvio_blkback_stat_group);
		goto fail;
	}
	return 0;
fail:
	pvio_blkback_close_backing(blkif);
	kfree(blkif->params);
	dev_set_drvdata(&dev->dev, NULL);
	kvfree(blkif);
	return err;
}

static void pvio_blkback_remove(struct pvio_xenbus_device *dev)
{
	struct pvio_blkif *blkif = dev_get_drvdata(&dev->dev);

	if (!blkif)
		return;
	debugfs_remove(blkif->dbg);
	pvio_blkback_disconnect(blkif);
	sysfs_remove_group(&dev->dev.kobj, &pvio_blkback_stat_group);
	pvio_blkback_close_backing(blkif);
	kfree(blkif->params);
	dev_set_drvdata(&dev->dev, NULL);
	kvfree(blkif);
}

static const struct pvio_xenbus_device_id pvio_blkback_ids[] = {
	{ "vbd" },
	{ "" }
};

static struct pvio_xenbus_driver pvio_blkback_driver = {
	.name = "pvio-blkback",
	.ids = pvio_blkback_ids,
	.probe = pvio_blkback_probe,
	.otherend_changed = pvio_blkback_changed,
	.remove = pvio_blkback_remove,
};

static int __init pvio_blkback_init(void)
{
	int err;

	pvio_blkback_dbg_root = debugfs_create_dir("pvio-blkback", NULL);
	err = pvio_xenbus_register_backend(&pvio_blkback_driver, THIS_MODULE,
					   KBUILD_MODNAME);
	if (err)
		debugfs_remove(pvio_blkback_dbg_root);
	return err;
}

static void __exit pvio_blkback_exit(void)
{
	pvio_xenbus_unregister_driver(&pvio_blkback_driver);
	debugfs_remove(pvio_blkback_dbg_root);
}

module_init(pvio_blkback_init);
module_exit(pvio_blkback_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvio block backend (Xen blkif)");
