// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-blkfront: the control path (Linux's xen-blkfront probe, connect
 * and closing code).
 *
 * probe: read virtual-device, reserve the disk's name (Xen's numbering).
 * backend InitWait: allocate and grant the ring, allocate and bind the
 * port (late EOI), write ring-ref, event-channel, protocol "x86_64-abi"
 * and Initialised in one transaction.
 * backend Connected: read sectors, info, sector-size,
 * physical-sector-size, the flush/barrier/discard features and
 * feature-max-indirect-segments, set the queue limits (and allocate the
 * bounce and indirect pages of indirect requests), add /dev/xvdX,
 * Connected. A repeated Connected re-reads
 * sectors (resize).
 * backend Closing/Closed, detached (its "online" = 0) or failed (its
 * "error" node): stop taking requests, wait (bounded) for the ones in
 * flight, fail what is left with -EIO, unbind, remove the disk, end the
 * grants, Closed. The backend going to Initialising again reconnects.
 * backend Closing/Closed or gone otherwise (restarting: the module
 * reloaded, the directory re-created, a block-migrate, a suspend): keep
 * the disk and hold its I/O (Linux's blkfront_resume()): quiesce the
 * queue, unbind, take back the requests in flight, end the grants, back to
 * Initialising. The next backend's InitWait connects a new ring with the
 * features it offers; on its Connected the held requests are issued again
 * (blkif_recover()), split to the new limits. No backend within
 * recovery_timeout seconds: the held I/O fails with -EIO and the disk goes.
 */
#define pr_fmt(fmt) "pvio-blkfront: " fmt

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <pvio/evtchn.h>
#include <pvio/grant.h>
#include <pvio/ring.h>
#include "common.h"

/* How long a detach waits for the requests in flight. */
#define PVIO_BLKFRONT_DRAIN_TIMEOUT	(10 * HZ)

/*
 * Linux's xen-blkfront max_indirect_segments: the most segments per
 * request this frontend uses when the backend offers indirect requests
 * (256: one 1 MiB request; its bounce pages, 1 MiB per ring slot, are
 * allocated when the disk connects). Below 12: no indirect requests.
 */
static unsigned int pvio_blkfront_max_indirect = PVIO_BLK_MAX_INDIRECT_SEGS;
module_param_named(max_indirect_segments, pvio_blkfront_max_indirect, uint,
		   0644);
MODULE_PARM_DESC(max_indirect_segments,
		 "most segments per indirect request (0: none, at most 256)");

/* xen-blkfront's feature_persistent: offer persistent grants. */
static bool pvio_blkfront_persistent = true;
module_param_named(feature_persistent, pvio_blkfront_persistent, bool, 0644);
MODULE_PARM_DESC(feature_persistent, "offer persistent grants");

/*
 * How long a disk whose backend went away without a detach holds its I/O
 * for a backend to come back (seconds; 0: never, fail at once as before).
 */
static unsigned int pvio_blkfront_recovery_timeout = 60;
module_param_named(recovery_timeout, pvio_blkfront_recovery_timeout, uint,
		   0644);
MODULE_PARM_DESC(recovery_timeout,
		 "seconds a disk holds its I/O for a restarting backend (0: none)");

/*
 * Linux's xen-blkfront max_ring_page_order: the largest ring asked for
 * (ring-page-order, at most 4: 16 pages, 512 requests), when the backend
 * offers max-ring-page-order; 0: a one-page ring ("ring-ref"). A disk's
 * rings together stay within 512 slots (smaller orders with more queues).
 */
static unsigned int pvio_blkfront_max_ring_order = PVIO_BLKFRONT_MAX_RING_ORDER;
module_param_named(max_ring_page_order, pvio_blkfront_max_ring_order, uint,
		   0644);
MODULE_PARM_DESC(max_ring_page_order,
		 "largest ring-page-order asked for (0: one page, at most 4)");

/*
 * Linux's xen-blkfront max_queues (default 4): the most queues asked for
 * when the backend offers multi-queue-max-queues, also capped by the
 * online CPUs; 1: one queue with flat keys.
 */
static unsigned int pvio_blkfront_max_queues = 4;
module_param_named(max_queues, pvio_blkfront_max_queues, uint, 0644);
MODULE_PARM_DESC(max_queues,
		 "most queues (rings) per disk asked for (1: one queue)");

/*
 * Poll queues (docs/block.md; as virtio-blk's poll_queues): rings beyond
 * the interrupt-driven ones, as blk-mq HCTX_TYPE_POLL queues whose
 * responses are reaped by ->poll (io_uring IOPOLL, fio --hipri) and never
 * ask for an event. They need a backend offering multi-queue-max-queues
 * of at least 2 (one interrupt-driven queue stays); read when the rings
 * are set up.
 */
static unsigned int pvio_blkfront_poll_queues;
module_param_named(poll_queues, pvio_blkfront_poll_queues, uint, 0644);
MODULE_PARM_DESC(poll_queues,
		 "blk-mq poll queues per disk, beside the interrupt-driven ones (default 0)");

/*
 * Ring slots of one disk, all queues together (ring-page-order is lowered
 * to stay within them): each slot has 11 bounce pages (persistent grants
 * with feature-persistent); without zero-copy the 32 MiB of large-request
 * pages come on top. 0 (default): 512 when the ring offers zero-copy
 * (PVIO_BLKFRONT_MAX_SLOTS_ZC), else 128.
 */
static unsigned int pvio_blkfront_max_slots;
module_param_named(max_ring_slots, pvio_blkfront_max_slots, uint, 0644);
MODULE_PARM_DESC(max_ring_slots,
		 "ring slots per disk, all queues together (0: 512 with zero-copy, else 128; at most 1024)");

/*
 * Zero-copy large I/O (docs/block.md): a read or write of at least this
 * many bytes, or larger than an id's 11 bounce pages, grants its own
 * pages for its lifetime instead of going through the bounce pages and
 * their persistent grants. 0: never (every request bounced).
 */
static unsigned int pvio_blkfront_zc_threshold = PVIO_BLKFRONT_ZC_THRESHOLD;
module_param_named(zerocopy_threshold, pvio_blkfront_zc_threshold, uint,
		   0644);
MODULE_PARM_DESC(zerocopy_threshold,
		 "bytes from which a request grants its own pages (0: never; default 65536)");

static int pvio_blkfront_major;
/* Disk indexes in use (every domU's disks live in this one kernel). */
static DEFINE_XARRAY(pvio_blkfront_indexes);

static const struct block_device_operations pvio_blkfront_fops = {
	.owner = THIS_MODULE,
};

/* ---- fault injection (tests): debugfs pvio-blkfront/<device> --------- */

static struct dentry *pvio_blkfront_dbg_root;

/*
 * A page of dom0's filled with 0xa5, whose frame number this domain does
 * not own as one of its own frames either (tests).
 */
static int pvio_blkfront_alloc_victim(struct pvio_blkfront *info)
{
	struct page *tried[16];
	unsigned int n = 0;
	int err = -EBUSY;

	if (info->victim) {
		memset(page_address(info->victim), 0xa5, PAGE_SIZE);
		return 0;
	}
	while (n < ARRAY_SIZE(tried)) {
		struct page *p = alloc_page(GFP_KERNEL);

		if (!p) {
			err = -ENOMEM;
			break;
		}
		if (!pvio_gfn_to_page(info->d, page_to_pfn(p))) {
			memset(page_address(p), 0xa5, PAGE_SIZE);
			info->victim = p;
			err = 0;
			break;
		}
		tried[n++] = p;
	}
	while (n)
		__free_page(tried[--n]);
	return err;
}

/* Reading the file: is dom0's page still all 0xa5 ("intact")? */
static ssize_t pvio_blkfront_inject_read(struct file *file, char __user *ubuf,
					 size_t len, loff_t *ppos)
{
	struct pvio_blkfront *info = file->private_data;
	const char *v = "none\n";

	mutex_lock(&info->ctl_mutex);
	pvio_blkfront_end_victim(info);
	if (info->victim)
		v = memchr_inv(page_address(info->victim), 0xa5, PAGE_SIZE) ?
		    "overwritten\n" : "intact\n";
	mutex_unlock(&info->ctl_mutex);
	return simple_read_from_buffer(ubuf, len, ppos, v, strlen(v));
}

static ssize_t pvio_blkfront_inject_write(struct file *file,
					  const char __user *ubuf, size_t len,
					  loff_t *ppos)
{
	struct pvio_blkfront *info = file->private_data;
	char buf[16] = "";
	int err;

	if (simple_write_to_buffer(buf, sizeof(buf) - 1, ppos, ubuf, len) < 0)
		return -EFAULT;
	if (sysfs_streq(buf, "req_prod")) {
		dev_warn(&info->dev->dev,
			 "injecting an impossible req_prod\n");
		pvio_blkfront_inject_req_prod(info);
		return len;
	}
	if (sysfs_streq(buf, "dom0_frame")) {
		mutex_lock(&info->ctl_mutex);
		pvio_blkfront_end_victim(info);
		err = pvio_blkfront_alloc_victim(info);
		mutex_unlock(&info->ctl_mutex);
		if (err)
			return err;
		atomic_set(&info->inject, PVIO_BLKFRONT_INJECT_DOM0_FRAME);
		dev_warn(&info->dev->dev,
			 "injecting dom0's frame %#lx into the next read or write\n",
			 page_to_pfn(info->victim));
		return len;
	}
	if (sysfs_streq(buf, "nq_zero") || sysfs_streq(buf, "nq_big") ||
	    sysfs_streq(buf, "order_big") || sysfs_streq(buf, "no_queue_key") ||
	    sysfs_streq(buf, "bad_ring_ref")) {
		atomic_set(&info->inject_connect,
			   sysfs_streq(buf, "nq_zero") ? PVIO_BLKFRONT_NEG_NQ_ZERO :
			   sysfs_streq(buf, "nq_big") ? PVIO_BLKFRONT_NEG_NQ_BIG :
			   sysfs_streq(buf, "order_big") ?
			   PVIO_BLKFRONT_NEG_ORDER_BIG :
			   sysfs_streq(buf, "no_queue_key") ?
			   PVIO_BLKFRONT_NEG_NO_KEY : PVIO_BLKFRONT_NEG_BAD_REF);
		dev_warn(&info->dev->dev, "injecting %s into the next connect\n",
			 buf);
		return len;
	}
	if (sysfs_streq(buf, "ind_nseg_big"))
		atomic_set(&info->inject, PVIO_BLKFRONT_INJECT_IND_NSEG_BIG);
	else if (sysfs_streq(buf, "ind_nseg_zero"))
		atomic_set(&info->inject, PVIO_BLKFRONT_INJECT_IND_NSEG_ZERO);
	else if (sysfs_streq(buf, "ind_bad_gref"))
		atomic_set(&info->inject, PVIO_BLKFRONT_INJECT_IND_BAD_GREF);
	else if (sysfs_streq(buf, "ind_bad_sect"))
		atomic_set(&info->inject, PVIO_BLKFRONT_INJECT_IND_BAD_SECT);
	else if (sysfs_streq(buf, "ind_bad_page"))
		atomic_set(&info->inject, PVIO_BLKFRONT_INJECT_IND_BAD_PAGE);
	else if (sysfs_streq(buf, "zc_end"))
		atomic_set(&info->inject, PVIO_BLKFRONT_INJECT_ZC_END);
	else
		return -EINVAL;
	dev_warn(&info->dev->dev, "injecting %s into the next indirect request\n",
		 buf);
	return len;
}

static const struct file_operations pvio_blkfront_inject_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = pvio_blkfront_inject_read,
	.write = pvio_blkfront_inject_write,
	.llseek = no_llseek,
};

/* debugfs pvio-blkfront/<device>-stats: the copy and zero-copy counters. */
static int pvio_blkfront_stats_show(struct seq_file *m, void *v)
{
	struct pvio_blkfront *info = m->private;

	unsigned long polled = 0, threaded = 0;
	unsigned int i;

	seq_printf(m, "zero_copy %d\nzerocopy_threshold %u\ncopied_bytes %ld\nzc_reqs %ld\nbounce_reqs %ld\n",
		   READ_ONCE(info->zero_copy), READ_ONCE(info->zc_threshold),
		   atomic_long_read(&info->copied),
		   atomic_long_read(&info->zc_reqs),
		   atomic_long_read(&info->bounce_reqs));
	spin_lock_irq(&info->lock);
	for (i = 0; i < info->nr_rings; i++) {
		polled += info->rings[i].polled;
		threaded += info->rings[i].irq_threaded;
	}
	seq_printf(m, "poll_queues %u\npoll_window_us %u\npolled %lu\n",
		   info->nr_poll, info->nr_poll ? info->be_poll_us : 0, polled);
	seq_printf(m, "irq_threaded %lu\n", threaded);
	seq_printf(m, "zc_waits %lu\nid_waits %lu\nzc_inflight_max %u\nzc_grants %u\n",
		   info->zc_waits, info->id_waits, info->zc_inflight_max,
		   info->zc_grants);
	spin_unlock_irq(&info->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvio_blkfront_stats);

static void pvio_blkfront_fatal_work(struct work_struct *work)
{
	struct pvio_blkfront *info = container_of(work, struct pvio_blkfront,
						  fatal_work);

	pvio_xenbus_dev_fatal(info->dev, -EPROTO,
			      "backend misbehaved, disk in error state");
}

/* Unbind the ports: no response is processed after this. */
static void pvio_blkfront_unbind(struct pvio_blkfront *info)
{
	unsigned int i;

	for (i = 0; i < info->nr_rings; i++) {
		struct pvio_blkfront_ring *rinfo = &info->rings[i];

		if (rinfo->irq > 0)
			pvio_unbind_from_irqhandler(rinfo->irq, rinfo);
		rinfo->irq = 0;
		rinfo->port = 0;
	}
}

/* End the ring grants, free the ports, the shadows and the rings. */
static void pvio_blkfront_release_ring(struct pvio_blkfront *info)
{
	unsigned int i, j;

	pvio_blkfront_unbind(info);
	pvio_blkfront_free_pages(info);
	for (i = 0; i < info->nr_rings; i++) {
		struct pvio_blkfront_ring *rinfo = &info->rings[i];

		if (rinfo->port)
			pvio_xenbus_free_evtchn(info->dev, rinfo->port);
		rinfo->port = 0;
		for (j = 0; j < rinfo->nr_refs; j++)
			pvio_xenbus_end_ring(info->dev, rinfo->ring_ref[j],
					     rinfo->ring_page + j);
		/* Pages never granted (a failed setup) are ours to free. */
		for (j = rinfo->nr_refs; rinfo->ring_page &&
		     j < (1U << rinfo->order); j++)
			__free_page(rinfo->ring_page + j);
		rinfo->ring_page = NULL;
		rinfo->nr_refs = 0;
		kvfree(rinfo->shadow);
		rinfo->shadow = NULL;
		rinfo->nr_shadow = 0;
	}
	spin_lock_irq(&info->lock);
	kvfree(info->rings);
	info->rings = NULL;
	info->nr_rings = 0;
	spin_unlock_irq(&info->lock);
}

static bool pvio_blkfront_drained(struct pvio_blkfront *info)
{
	unsigned int i;
	bool ret = true;

	spin_lock_irq(&info->lock);
	for (i = 0; i < info->nr_rings; i++)
		if (info->rings[i].inflight)
			ret = false;
	spin_unlock_irq(&info->lock);
	return ret;
}

/* The held I/O fails: no backend came back (or the disk goes). */
static void pvio_blkfront_fail_held(struct pvio_blkfront *info)
{
	struct request *rq, *n;
	struct bio_list bios;
	LIST_HEAD(rqs);
	struct bio *bio;

	spin_lock_irq(&info->lock);
	bios = info->held_bios;
	bio_list_init(&info->held_bios);
	list_splice_init(&info->held_rqs, &rqs);
	spin_unlock_irq(&info->lock);
	while ((bio = bio_list_pop(&bios)))
		bio_io_error(bio);
	list_for_each_entry_safe(rq, n, &rqs, queuelist) {
		list_del_init(&rq->queuelist);
		blk_mq_end_request(rq, BLK_STS_IOERR);
	}
}

/* Tear the connection and the disk down; idempotent. */
static void pvio_blkfront_disconnect(struct pvio_blkfront *info)
{
	bool held;

	spin_lock_irq(&info->lock);
	if (info->state == PVIO_BLKFRONT_CONNECTED)
		info->state = PVIO_BLKFRONT_CLOSING;
	spin_unlock_irq(&info->lock);

	/* Requests in flight complete normally if the backend answers. */
	if (info->state == PVIO_BLKFRONT_CLOSING &&
	    !wait_event_timeout(info->drain, pvio_blkfront_drained(info),
				PVIO_BLKFRONT_DRAIN_TIMEOUT))
		dev_warn(&info->dev->dev,
			 "requests still in flight after %d s: failing them\n",
			 PVIO_BLKFRONT_DRAIN_TIMEOUT / HZ);

	/* No response is processed after this. */
	pvio_blkfront_unbind(info);
	spin_lock_irq(&info->lock);
	held = info->state == PVIO_BLKFRONT_SUSPENDED;
	info->state = PVIO_BLKFRONT_DISCONNECTED;
	spin_unlock_irq(&info->lock);
	pvio_blkfront_fail_all(info);
	if (held) {
		/* Not _sync: the work takes ctl_mutex, held by our caller. */
		cancel_delayed_work(&info->recover_work);
		pvio_blkfront_fail_held(info);
		blk_mq_unquiesce_queue(info->gd->queue);
	}

	if (info->gd) {
		blk_mark_disk_dead(info->gd);
		del_gendisk(info->gd);
		put_disk(info->gd);
		blk_mq_free_tag_set(&info->tag_set);
		info->gd = NULL;
	}
	pvio_blkfront_end_persistent(info);
	pvio_blkfront_zc_pool_free(info);
	pvio_blkfront_free_pages(info);
	pvio_blkfront_release_ring(info);
}

/*
 * The backend is restarting: keep the disk, hold its I/O, and wait for a
 * backend in Initialising (Linux's blkfront_resume() up to talk_to_blkback()).
 * Caller holds ctl_mutex; the disk is CONNECTED.
 */
static void pvio_blkfront_suspend(struct pvio_blkfront *info)
{
	unsigned int n;

	spin_lock_irq(&info->lock);
	info->state = PVIO_BLKFRONT_SUSPENDED;
	spin_unlock_irq(&info->lock);
	/* No queue_rq runs after this; new requests wait in blk-mq. */
	blk_mq_quiesce_queue(info->gd->queue);
	pvio_blkfront_unbind(info);
	n = pvio_blkfront_hold_inflight(info);
	pvio_blkfront_end_persistent(info);
	pvio_blkfront_zc_pool_free(info);
	pvio_blkfront_release_ring(info);
	dev_info(&info->dev->dev,
		 "%s: backend went away, holding I/O (%u in flight) for %u s\n",
		 info->gd->disk_name, n, info->recovery_timeout);
	/*
	 * mod_: a timer left armed by an earlier hold that ended in a
	 * disconnect (a refused reconnect) would otherwise keep its own,
	 * earlier expiry and fail this hold early.
	 */
	info->hold_deadline = jiffies + info->recovery_timeout * HZ;
	mod_delayed_work(system_wq, &info->recover_work,
			 info->recovery_timeout * HZ);
	pvio_xenbus_switch_state(info->dev, XenbusStateInitialising);
}

/* No backend came back in time: what today's disconnect does. */
static void pvio_blkfront_recover_timeout(struct work_struct *work)
{
	struct pvio_blkfront *info = container_of(to_delayed_work(work),
						  struct pvio_blkfront,
						  recover_work);

	mutex_lock(&info->ctl_mutex);
	/* A run of an older hold's timer, queued before this hold began. */
	if (info->state == PVIO_BLKFRONT_SUSPENDED &&
	    time_after_eq(jiffies, info->hold_deadline)) {
		dev_warn(&info->dev->dev,
			 "no backend within %u s: failing the held I/O\n",
			 info->recovery_timeout);
		pvio_blkfront_disconnect(info);
		pvio_xenbus_frontend_closed(info->dev);
	}
	mutex_unlock(&info->ctl_mutex);
}

/*
 * Issue the held I/O on the new ring (Linux's blkif_recover()): the
 * requests kept whole are requeued, the bios submitted again (split to
 * the new limits by submit_bio()).
 */
static void pvio_blkfront_replay(struct pvio_blkfront *info)
{
	struct request_queue *q = info->gd->queue;
	struct request *rq, *n;
	unsigned int nr = 0;
	LIST_HEAD(rqs);
	struct bio *bio;

	spin_lock_irq(&info->lock);
	list_splice_init(&info->held_rqs, &rqs);
	bio_list_for_each(bio, &info->held_bios)
		nr++;
	spin_unlock_irq(&info->lock);
	list_for_each_entry_safe(rq, n, &rqs, queuelist) {
		list_del_init(&rq->queuelist);
		blk_mq_requeue_request(rq, false);
		nr++;
	}
	info->replayed += nr;
	blk_mq_unquiesce_queue(q);
	blk_mq_start_stopped_hw_queues(q, true);
	blk_mq_kick_requeue_list(q);
	schedule_work(&info->resubmit_work);
	dev_info(&info->dev->dev, "%s: reconnected, %u held bios and requests issued again\n",
		 info->gd->disk_name, nr);
}

/*
 * Remove the ring keys a previous connect wrote that this one may not
 * (fewer queues, flat keys, no ring-page-order): the backend reads
 * whatever is there.
 */
static void pvio_blkfront_rm_ring_keys(struct pvio_blkfront *info)
{
	struct pvio_xenbus_device *dev = info->dev;
	unsigned int i;
	char node[24];

	pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename,
		   "multi-queue-num-queues");
	pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename, "ring-page-order");
	pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename, "feature-zero-copy");
	for (i = 0; i < info->published_queues; i++) {
		snprintf(node, sizeof(node), "queue-%u", i);
		pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename, node);
	}
	for (i = 0; i < info->published_refs; i++) {
		snprintf(node, sizeof(node), "ring-ref%u", i);
		pvio_xs_rm(dev->xs, PVIO_XBT_NIL, dev->nodename, node);
	}
	info->published_queues = 0;
	info->published_refs = 0;
}

/* Allocate, grant and bind one ring of 1 << @order pages. */
static int pvio_blkfront_alloc_ring(struct pvio_blkfront *info,
				    struct pvio_blkfront_ring *rinfo,
				    unsigned int order)
{
	struct pvio_xenbus_device *dev = info->dev;
	struct blkif_sring *sring;
	unsigned int i;
	int err;

	rinfo->nr_shadow = __CONST_RING_SIZE(blkif, PVIO_BLK_PAGE_SIZE << order);
	rinfo->shadow = kvcalloc(rinfo->nr_shadow, sizeof(*rinfo->shadow),
				 GFP_KERNEL);
	if (!rinfo->shadow)
		return -ENOMEM;
	/* 11 segments per id until the backend's features are known. */
	rinfo->nr_big = rinfo->nr_shadow;
	pvio_blkfront_init_shadows(rinfo);
	rinfo->ring_page = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
	if (!rinfo->ring_page)
		return -ENOMEM;
	rinfo->order = order;
	/* Each page is granted, and freed after its grant ended, alone. */
	if (order)
		split_page(rinfo->ring_page, order);
	sring = page_address(rinfo->ring_page);
	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&rinfo->ring, sring, PVIO_BLK_PAGE_SIZE << order);
	for (i = 0; i < (1U << order); i++) {
		err = pvio_xenbus_grant_ring(dev, rinfo->ring_page + i,
					     &rinfo->ring_ref[i]);
		if (err)
			return err;
		rinfo->nr_refs = i + 1;
	}
	err = pvio_xenbus_alloc_evtchn(dev, &rinfo->port);
	if (err)
		return err;
	if (info->nr_rings > 1)
		snprintf(rinfo->irq_name, sizeof(rinfo->irq_name),
			 "pvio-blkfront-%u", rinfo->idx);
	else
		snprintf(rinfo->irq_name, sizeof(rinfo->irq_name),
			 "pvio-blkfront");
	/*
	 * Threaded: the interrupt completes one batch at most and leaves the
	 * rest of the ring to the thread (pvio_blkfront_interrupt()).
	 */
	err = pvio_bind_evtchn_to_threaded_irqhandler_lateeoi(dev->domain,
							      rinfo->port,
							      pvio_blkfront_interrupt,
							      pvio_blkfront_interrupt_thread,
							      0, rinfo->irq_name,
							      rinfo);
	if (err < 0) {
		rinfo->port = 0;		/* closed on failure */
		pvio_xenbus_dev_fatal(dev, err, "binding event channel");
		return err;
	}
	rinfo->irq = err;
	rinfo->cpu = -1;
	return 0;
}

/*
 * The keys of the rings, in one transaction with Initialised: Linux's
 * talk_to_blkback() and write_per_ring_nodes(). One queue: ring-ref (or
 * ring-ref0..N-1 with ring-page-order) and event-channel in the device's
 * directory; several: multi-queue-num-queues and the same keys in
 * queue-0..queue-N-1.
 */
static int pvio_blkfront_write_rings(struct pvio_blkfront *info,
				     bool has_order, unsigned int neg)
{
	unsigned int nrefs = 1U << info->rings[0].order, q, i, n = 0;
	struct pvio_xenbus_device *dev = info->dev;
	struct pvio_xenbus_kv *kv;
	char (*keys)[32];
	int err;

	/* + protocol, feature-persistent, feature-zero-copy, the order, queues */
	kv = kcalloc(info->nr_rings * (nrefs + 2) + 5, sizeof(*kv),
		     GFP_KERNEL);
	keys = kcalloc(info->nr_rings * (nrefs + 2), sizeof(*keys),
		       GFP_KERNEL);
	if (!kv || !keys) {
		err = -ENOMEM;
		goto out;
	}
	for (q = 0; q < info->nr_rings; q++) {
		struct pvio_blkfront_ring *rinfo = &info->rings[q];
		char dir[16] = "";

		if (info->nr_rings > 1)
			snprintf(dir, sizeof(dir), "queue-%u/", q);
		for (i = 0; i < nrefs; i++) {
			if (has_order)
				snprintf(keys[n], sizeof(keys[n]),
					 "%sring-ref%u", dir, i);
			else
				snprintf(keys[n], sizeof(keys[n]),
					 "%sring-ref", dir);
			kv[n].key = keys[n];
			kv[n].fmt = "%lu";
			kv[n].val = rinfo->ring_ref[i];
			/* Tests: a ref that is not a grant of ours. */
			if (neg == PVIO_BLKFRONT_NEG_BAD_REF &&
			    q == info->nr_rings - 1 && i == nrefs - 1)
				kv[n].val = 0x7ffffff0;
			n++;
		}
		/* Tests: the last queue's event-channel missing. */
		if (neg == PVIO_BLKFRONT_NEG_NO_KEY && q == info->nr_rings - 1)
			continue;
		snprintf(keys[n], sizeof(keys[n]), "%sevent-channel", dir);
		kv[n].key = keys[n];
		kv[n].fmt = "%lu";
		kv[n].val = rinfo->port;
		n++;
		/* pvio's poll window: asked for only where it was offered. */
		if (rinfo->poll && info->be_poll_us) {
			snprintf(keys[n], sizeof(keys[n]), "%spoll", dir);
			kv[n].key = keys[n];
			kv[n].fmt = "%lu";
			kv[n].val = 1;
			n++;
		}
	}
	kv[n++] = (struct pvio_xenbus_kv){ .key = "protocol", .fmt = "%s",
					   .str = XEN_IO_PROTO_ABI_X86_64 };
	kv[n++] = (struct pvio_xenbus_kv){ .key = "feature-persistent",
					   .fmt = "%lu",
					   .val = info->offer_persistent };
	if (info->offer_zero_copy)
		kv[n++] = (struct pvio_xenbus_kv){ .key = "feature-zero-copy",
						   .fmt = "%lu", .val = 1 };
	if (has_order)
		kv[n++] = (struct pvio_xenbus_kv){
			.key = "ring-page-order", .fmt = "%lu",
			.val = info->rings[0].order +
			       (neg == PVIO_BLKFRONT_NEG_ORDER_BIG ?
				info->be_max_order + 1 : 0) };
	if (info->nr_rings > 1 || neg == PVIO_BLKFRONT_NEG_NQ_ZERO ||
	    neg == PVIO_BLKFRONT_NEG_NQ_BIG)
		kv[n++] = (struct pvio_xenbus_kv){
			.key = "multi-queue-num-queues", .fmt = "%lu",
			.val = neg == PVIO_BLKFRONT_NEG_NQ_ZERO ? 0 :
			       neg == PVIO_BLKFRONT_NEG_NQ_BIG ?
			       max(info->be_max_queues, 1U) + 1 :
			       info->nr_rings };
	info->published_queues = info->nr_rings > 1 ? info->nr_rings : 0;
	info->published_refs = has_order ? nrefs : 0;
	err = pvio_xenbus_write_keys(dev, kv, n, XenbusStateInitialised);
out:
	kfree(keys);
	kfree(kv);
	return err;
}

/*
 * How many rings to ask for, and how many of them (the last ones) are
 * poll rings: interrupt-driven queues as Linux's negotiate_mq(), plus
 * poll_queues when the backend offers room for them beside one
 * interrupt-driven queue. A reconnect keeps the disk's hardware queues:
 * its poll rings only if the new backend takes them all, else none (the
 * poll queues then fold onto interrupt-driven rings, which ->poll reaps
 * as well).
 */
static unsigned int pvio_blkfront_queues(struct pvio_blkfront *info,
					 unsigned int *nr_poll)
{
	unsigned int be_max = info->be_max_queues, param, npoll = 0, nr;

	param = READ_ONCE(pvio_blkfront_max_queues);
	if (info->gd) {
		nr = info->tag_set.nr_hw_queues;
		if (info->tag_poll && be_max >= nr) {
			*nr_poll = info->tag_poll;
			return nr;
		}
		*nr_poll = 0;
		return pvio_blkfront_nr_queues(be_max, param,
					       num_online_cpus(), nr);
	}
	if (be_max >= 2)
		npoll = min3(READ_ONCE(pvio_blkfront_poll_queues), be_max - 1,
			     PVIO_BLKFRONT_MAX_QUEUES - 1);
	nr = min(pvio_blkfront_nr_queues(be_max - npoll, param,
					 num_online_cpus(), 0),
		 PVIO_BLKFRONT_MAX_QUEUES - npoll);
	*nr_poll = npoll;
	return nr + npoll;
}

static int pvio_blkfront_setup_ring(struct pvio_blkfront *info)
{
	struct pvio_xenbus_device *dev = info->dev;
	unsigned int nr, order, i, neg, slots;
	bool has_order;
	int err;

	/* A held disk keeps its disk and I/O: its old ring is gone already. */
	if (info->state != PVIO_BLKFRONT_SUSPENDED)
		pvio_blkfront_disconnect(info);
	pvio_blkfront_rm_ring_keys(info);
	neg = atomic_xchg(&info->inject_connect, PVIO_BLKFRONT_NEG_NONE);

	/* What the backend offers (absent: one queue, one page). */
	info->be_max_queues = pvio_xenbus_read_otherend_feature(dev,
								"multi-queue-max-queues",
								0);
	info->be_max_order = pvio_xenbus_read_otherend_feature(dev,
							       "max-ring-page-order",
							       0);
	/* pvio's feature-zero-copy: offered by the backend, taken if used. */
	info->zc_threshold = READ_ONCE(pvio_blkfront_zc_threshold);
	info->offer_zero_copy = info->zc_threshold &&
		pvio_xenbus_read_otherend_feature(dev, "feature-zero-copy", 0);
	slots = READ_ONCE(pvio_blkfront_max_slots);
	if (!slots)
		slots = info->offer_zero_copy ? PVIO_BLKFRONT_MAX_SLOTS_ZC :
			PVIO_BLKFRONT_MAX_SLOTS;
	info->be_poll_us = pvio_xenbus_read_otherend_feature(dev,
							     "feature-poll-window-us",
							     0);
	nr = pvio_blkfront_queues(info, &info->nr_poll);
	order = pvio_blkfront_ring_order(info->be_max_order,
					 READ_ONCE(pvio_blkfront_max_ring_order),
					 nr,
					 min(slots,
					     PVIO_BLKFRONT_MAX_SLOTS_LIMIT));
	/* Linux: ring-page-order and ring-ref0..N-1 only for several pages. */
	has_order = order > 0 || neg == PVIO_BLKFRONT_NEG_ORDER_BIG;

	info->rings = kvcalloc(nr, sizeof(*info->rings), GFP_KERNEL);
	if (!info->rings)
		return -ENOMEM;
	info->nr_rings = nr;
	for (i = 0; i < nr; i++) {
		info->rings[i].info = info;
		info->rings[i].idx = i;
		info->rings[i].poll = i >= nr - info->nr_poll;
	}
	for (i = 0; i < nr; i++) {
		err = pvio_blkfront_alloc_ring(info, &info->rings[i], order);
		if (err)
			goto fail;
	}
	/* The indirect pages come when the backend's features are known. */
	info->max_segs = PVIO_BLK_MAX_SEGS;
	err = pvio_blkfront_alloc_pages(info);
	if (err)
		goto fail;
	info->offer_persistent = READ_ONCE(pvio_blkfront_persistent);
	err = pvio_blkfront_write_rings(info, has_order, neg);
	if (err) {
		pvio_xenbus_dev_fatal(dev, err, "writing ring-ref");
		goto fail;
	}
	dev_info(&dev->dev, "%u queue%s (%u polled), rings of %u page%s (%u requests)\n",
		 nr, nr > 1 ? "s" : "", info->nr_poll, 1U << order,
		 order ? "s" : "", info->rings[0].nr_shadow);
	return 0;
fail:
	pvio_blkfront_free_pages(info);
	pvio_blkfront_release_ring(info);
	return err;
}

static void pvio_blkfront_read_features(struct pvio_blkfront *info)
{
	struct pvio_xenbus_device *dev = info->dev;
	unsigned int ss, pss;

	ss = pvio_xenbus_read_otherend_feature(dev, "sector-size", 512);
	if (ss < 512 || ss > PVIO_BLK_PAGE_SIZE || !is_power_of_2(ss))
		ss = 512;
	pss = pvio_xenbus_read_otherend_feature(dev, "physical-sector-size",
						ss);
	if (pss < ss || pss > 65536 || !is_power_of_2(pss))
		pss = ss;
	info->sector_size = ss;
	info->physical_sector_size = pss;
	info->info = pvio_xenbus_read_otherend_feature(dev, "info", 0);
	info->flush_op = 0;
	info->fua = false;
	if (pvio_xenbus_read_otherend_feature(dev, "feature-barrier", 0)) {
		info->flush_op = BLKIF_OP_WRITE_BARRIER;
		info->fua = true;
	}
	if (pvio_xenbus_read_otherend_feature(dev, "feature-flush-cache", 0)) {
		info->flush_op = BLKIF_OP_FLUSH_DISKCACHE;
		info->fua = false;
	}
	info->discard = pvio_xenbus_read_otherend_feature(dev,
							  "feature-discard",
							  0);
	info->discard_granularity =
		pvio_xenbus_read_otherend_feature(dev, "discard-granularity",
						  0);
	info->discard_alignment =
		pvio_xenbus_read_otherend_feature(dev, "discard-alignment", 0);
	info->secure = info->discard &&
		pvio_xenbus_read_otherend_feature(dev, "discard-secure", 0);
	/*
	 * xen-blkfront: the smaller of the backend's offer and ours; a FUA
	 * write (WRITE_BARRIER, barrier-only backends) cannot be indirect.
	 */
	info->max_segs = min3(pvio_xenbus_read_otherend_feature(dev,
								"feature-max-indirect-segments",
								0),
			      READ_ONCE(pvio_blkfront_max_indirect),
			      PVIO_BLK_MAX_INDIRECT_SEGS);
	if (info->max_segs <= PVIO_BLK_MAX_SEGS || info->fua)
		info->max_segs = PVIO_BLK_MAX_SEGS;
}

static int pvio_blkfront_read_sectors(struct pvio_blkfront *info, u64 *sect)
{
	unsigned long long v;

	if (pvio_xs_scanf(info->dev->xs, PVIO_XBT_NIL, info->dev->otherend,
			  "sectors", "%llu", &v) != 1)
		return -EINVAL;
	*sect = v;
	return 0;
}

static void pvio_blkfront_set_limits(struct pvio_blkfront *info,
				     struct request_queue *q)
{
	blk_queue_logical_block_size(q, info->sector_size);
	blk_queue_physical_block_size(q, info->physical_sector_size);
	/* Each segment one page: max_segs pages per request. */
	blk_queue_max_hw_sectors(q, info->max_segs *
				 (PVIO_BLK_PAGE_SIZE >> 9));
	blk_queue_max_segments(q, info->max_segs);
	blk_queue_segment_boundary(q, PVIO_BLK_PAGE_SIZE - 1);
	blk_queue_max_segment_size(q, PVIO_BLK_PAGE_SIZE);
	blk_queue_dma_alignment(q, 511);
	blk_queue_write_cache(q, info->flush_op != 0, info->fua);
	if (info->discard) {
		blk_queue_max_discard_sectors(q, UINT_MAX >> 9);
		if (info->discard_granularity)
			q->limits.discard_granularity =
				info->discard_granularity;
		q->limits.discard_alignment = info->discard_alignment;
		if (info->secure)
			blk_queue_max_secure_erase_sectors(q, UINT_MAX >> 9);
	}
}

/*
 * The disk (Linux's xlvbd_alloc_gendisk() and its device_add_disk()):
 * one blk-mq hardware queue per ring, as deep as the ring, the queue
 * limits of what was
 * negotiated, /dev/xvdX with its minors, the capacity and read-only
 * flag; the frontend takes requests (CONNECTED) from the moment the disk
 * is added. On failure nothing is left allocated and info->gd is NULL.
 * Returns 0 or a -errno of the allocations or of device_add_disk().
 */
static int pvio_blkfront_alloc_gendisk(struct pvio_blkfront *info)
{
	struct gendisk *gd;
	int err;

	memset(&info->tag_set, 0, sizeof(info->tag_set));
	info->tag_set.ops = &pvio_blkfront_mq_ops;
	info->tag_set.nr_hw_queues = info->nr_rings;
	info->tag_poll = info->nr_poll;
	info->tag_set.nr_maps = info->nr_poll ? HCTX_MAX_TYPES : 1;
	info->tag_set.queue_depth = info->rings[0].nr_shadow;
	info->tag_set.numa_node = NUMA_NO_NODE;
	info->tag_set.flags = BLK_MQ_F_SHOULD_MERGE;
	info->tag_set.driver_data = info;
	err = blk_mq_alloc_tag_set(&info->tag_set);
	if (err)
		return err;
	gd = blk_mq_alloc_disk(&info->tag_set, info);
	if (IS_ERR(gd)) {
		err = PTR_ERR(gd);
		goto free_tag_set;
	}
	gd->major = pvio_blkfront_major;
	gd->first_minor = info->minor;
	gd->minors = info->minor % info->parts ? 1 : info->parts;
	gd->fops = &pvio_blkfront_fops;
	gd->private_data = info;
	pvio_blkfront_disk_name(gd->disk_name, sizeof(gd->disk_name),
				info->index, info->minor % info->parts);
	pvio_blkfront_set_limits(info, gd->queue);
	set_capacity(gd, info->sectors);
	if (info->info & (VDISK_READONLY | VDISK_CDROM))
		set_disk_ro(gd, true);

	spin_lock_irq(&info->lock);
	info->state = PVIO_BLKFRONT_CONNECTED;
	spin_unlock_irq(&info->lock);
	info->gd = gd;
	err = device_add_disk(&info->dev->dev, gd, NULL);
	if (err) {
		spin_lock_irq(&info->lock);
		info->state = PVIO_BLKFRONT_DISCONNECTED;
		spin_unlock_irq(&info->lock);
		info->gd = NULL;
		put_disk(gd);
		goto free_tag_set;
	}
	return 0;
free_tag_set:
	blk_mq_free_tag_set(&info->tag_set);
	return err;
}

/*
 * Bind each ring's event channel to the CPU whose requests it carries
 * (blk-mq's map of CPUs to hardware queues): the response interrupt
 * lands where the request came from. irq_set_affinity() reaches
 * EVTCHNOP_bind_vcpu through the event channel's irq_chip (Linux's
 * xen_rebind_evtchn_to_cpu()); a CPU that is not one of the domain's
 * vCPUs keeps the port where it is.
 */
static void pvio_blkfront_bind_cpus(struct pvio_blkfront *info)
{
	const struct blk_mq_queue_map *map =
		&info->tag_set.map[HCTX_TYPE_DEFAULT];
	unsigned int i, cpu;

	for (i = 0; i < info->nr_rings; i++) {
		struct pvio_blkfront_ring *rinfo = &info->rings[i];

		rinfo->cpu = -1;
		if (info->nr_rings != info->tag_set.nr_hw_queues ||
		    info->nr_rings == 1 || rinfo->irq <= 0)
			continue;
		for_each_online_cpu(cpu) {
			if (map->mq_map[cpu] != i)
				continue;
			if (!irq_set_affinity(rinfo->irq, cpumask_of(cpu)))
				rinfo->cpu = cpu;
			break;
		}
		dev_dbg(&info->dev->dev, "queue %u: event channel %u on CPU %d\n",
			i, rinfo->port, rinfo->cpu);
	}
}

/*
 * Zero-copy or not, the ids of each ring that take large requests (all of
 * them without indirect segments or with zero-copy), and the free lists
 * again: nothing is in flight.
 */
static void pvio_blkfront_set_big(struct pvio_blkfront *info)
{
	unsigned int i;

	bool persistent = info->offer_persistent &&
		pvio_xenbus_read_otherend_feature(info->dev,
						  "feature-persistent", 0);
	bool zc = pvio_blkfront_zero_copy_on(info->zc_threshold, persistent,
					     info->offer_zero_copy,
					     info->max_segs);
	unsigned int slots = 0;

	for (i = 0; i < info->nr_rings; i++)
		slots += info->rings[i].nr_shadow;
	/* The zero-copy grants' refs, reserved here (queue_rq cannot grow
	 * the grant table), sized from the rings: without them, no zero-copy.
	 */
	if (zc && pvio_blkfront_zc_pool_alloc(info,
					      pvio_blkfront_zc_grants(slots,
								      info->max_segs)))
		zc = false;
	spin_lock_irq(&info->lock);
	info->zero_copy = zc;
	info->zc_inflight = 0;
	for (i = 0; i < info->nr_rings; i++) {
		struct pvio_blkfront_ring *rinfo = &info->rings[i];

		/* With zero-copy every id has the same pages. */
		rinfo->nr_big = info->zero_copy ? rinfo->nr_shadow :
				pvio_blkfront_big_ids(info->max_segs,
						      info->nr_rings,
						      rinfo->nr_shadow);
		pvio_blkfront_init_shadows(rinfo);
	}
	spin_unlock_irq(&info->lock);
}

/*
 * Both ends agreed on feature-persistent: the backend keeps every grant
 * it sees mapped, so per-request grants are no longer an option. When
 * the grant table cannot hold a persistent grant for every page, retry
 * with 11 segments per request (far fewer pages); failing that, the
 * device goes into an error state (xenbus_dev_fatal), as a connect that
 * cannot honour what was negotiated must.
 */
static int pvio_blkfront_connect_persistent(struct pvio_blkfront *info)
{
	struct pvio_xenbus_device *dev = info->dev;
	int err;

	err = pvio_blkfront_grant_persistent(info);
	if (err && info->max_segs > PVIO_BLK_MAX_SEGS) {
		dev_warn(&dev->dev,
			 "persistent grants for %u segments failed (%d): 11\n",
			 info->max_segs, err);
		pvio_blkfront_end_persistent(info);
		info->max_segs = PVIO_BLK_MAX_SEGS;
		pvio_blkfront_set_big(info);
		err = pvio_blkfront_grant_persistent(info);
	}
	info->persistent = !err;
	if (err) {
		pvio_blkfront_end_persistent(info);
		pvio_xenbus_dev_fatal(dev, err, "granting persistent grants");
	}
	return err;
}

static int pvio_blkfront_connect_disk(struct pvio_blkfront *info)
{
	struct pvio_xenbus_device *dev = info->dev;
	struct gendisk *gd;
	int err;

	if (info->gd && info->state != PVIO_BLKFRONT_SUSPENDED)
		return 0;
	if (!info->nr_rings)
		return -ENODEV;
	err = pvio_blkfront_read_sectors(info, &info->sectors);
	if (err) {
		pvio_xenbus_dev_fatal(dev, err, "reading %s/sectors",
				      dev->otherend);
		return err;
	}
	pvio_blkfront_read_features(info);
	pvio_blkfront_set_big(info);
	if (info->max_segs > PVIO_BLK_MAX_SEGS &&
	    pvio_blkfront_alloc_pages(info)) {
		dev_warn(&dev->dev,
			 "no memory for %u segments per request: 11 only\n",
			 info->max_segs);
		info->max_segs = PVIO_BLK_MAX_SEGS;
		pvio_blkfront_set_big(info);
	}
	if (info->offer_persistent &&
	    pvio_xenbus_read_otherend_feature(dev, "feature-persistent", 0)) {
		err = pvio_blkfront_connect_persistent(info);
		if (err)
			return err;
	} else if (pvio_blkfront_grow_grants(info)) {
		dev_info(&dev->dev, "grant table too small for every page\n");
	}

	if (info->gd) {
		/* Reconnected: the new backend's limits, then the held I/O. */
		gd = info->gd;
		pvio_blkfront_set_limits(info, gd->queue);
		/*
		 * Poll queues folded onto interrupt-driven rings: polled bios
		 * become ordinary ones (submit_bio clears REQ_POLLED) until
		 * a reconnect brings the poll rings back.
		 */
		if (info->tag_poll && info->nr_poll)
			blk_queue_flag_set(QUEUE_FLAG_POLL, gd->queue);
		else if (info->tag_poll)
			blk_queue_flag_clear(QUEUE_FLAG_POLL, gd->queue);
		set_disk_ro(gd, info->info & (VDISK_READONLY | VDISK_CDROM));
		if (get_capacity(gd) != info->sectors)
			set_capacity_and_notify(gd, info->sectors);
		cancel_delayed_work(&info->recover_work);
		spin_lock_irq(&info->lock);
		info->state = PVIO_BLKFRONT_CONNECTED;
		spin_unlock_irq(&info->lock);
		pvio_blkfront_replay(info);
	} else {
		err = pvio_blkfront_alloc_gendisk(info);
		if (err) {
			pvio_xenbus_dev_fatal(dev, err, "adding the disk");
			return err;
		}
		gd = info->gd;
	}
	pvio_blkfront_bind_cpus(info);
	dev_info(&dev->dev, "%s: %llu sectors of %u B%s%s%s, %u segments%s%s%s, %u queue%s of %u (%u for large requests)\n",
		 gd->disk_name, info->sectors, info->sector_size,
		 get_disk_ro(gd) ? ", read-only" : "",
		 info->flush_op ? ", flush" : "",
		 info->discard ? ", discard" : "", info->max_segs,
		 info->max_segs > PVIO_BLK_MAX_SEGS ? " (indirect)" : "",
		 info->persistent ? ", persistent grants" : "",
		 info->zero_copy ? ", zero-copy" : "",
		 info->nr_rings, info->nr_rings > 1 ? "s" : "",
		 info->rings[0].nr_shadow, info->rings[0].nr_big);
	return 0;
}

/* A repeated Connected: the backend announces a new size. */
static void pvio_blkfront_resize(struct pvio_blkfront *info)
{
	u64 sectors;

	if (!info->gd || pvio_blkfront_read_sectors(info, &sectors) ||
	    sectors == info->sectors)
		return;
	info->sectors = sectors;
	dev_info(&info->dev->dev, "%s resized to %llu sectors\n",
		 info->gd->disk_name, sectors);
	set_capacity_and_notify(info->gd, sectors);
}

static bool pvio_blkfront_backend_down(enum xenbus_state backend)
{
	return backend == XenbusStateClosing || backend == XenbusStateClosed ||
	       backend == XenbusStateUnknown;
}

static void pvio_blkfront_changed_locked(struct pvio_xenbus_device *dev,
					 enum xenbus_state backend)
{
	struct pvio_blkfront *info = dev_get_drvdata(&dev->dev);
	struct pvio_xenbus_step s;

	if (backend == XenbusStateConnected &&
	    dev->state == XenbusStateConnected) {
		pvio_blkfront_resize(info);
		return;
	}
	if (pvio_blkfront_backend_down(backend)) {
		/* Held: the old backend finishing, or a new one failing. */
		if (info->state == PVIO_BLKFRONT_SUSPENDED) {
			if (!info->nr_rings)
				return;
			if (!pvio_xenbus_backend_restarting(dev)) {
				pvio_blkfront_disconnect(info);
				pvio_xenbus_frontend_closed(dev);
				return;
			}
			/* Went away again before connecting: wait on. */
			pvio_blkfront_release_ring(info);
			pvio_xenbus_switch_state(dev, XenbusStateInitialising);
			return;
		}
		info->recovery_timeout =
			READ_ONCE(pvio_blkfront_recovery_timeout);
		if (info->state == PVIO_BLKFRONT_CONNECTED && info->gd &&
		    info->recovery_timeout &&
		    pvio_xenbus_backend_restarting(dev)) {
			pvio_blkfront_suspend(info);
			return;
		}
	}
	s = pvio_xenbus_frontend_step(dev->state, backend);
	if (s.actions & PVIO_XB_ACT_DISCONNECT) {
		pvio_blkfront_disconnect(info);
		if (s.next == XenbusStateClosed) {
			pvio_xenbus_frontend_closed(dev);
			return;
		}
	}
	if ((s.actions & PVIO_XB_ACT_CONNECT) &&
	    pvio_blkfront_setup_ring(info))
		return;
	if (s.next == XenbusStateConnected &&
	    pvio_blkfront_connect_disk(info))
		return;
	pvio_xenbus_switch_state(dev, s.next);
}

static void pvio_blkfront_changed(struct pvio_xenbus_device *dev,
				  enum xenbus_state backend)
{
	struct pvio_blkfront *info = dev_get_drvdata(&dev->dev);

	mutex_lock(&info->ctl_mutex);
	pvio_blkfront_changed_locked(dev, backend);
	mutex_unlock(&info->ctl_mutex);
}

static int pvio_blkfront_probe(struct pvio_xenbus_device *dev,
			       const struct pvio_xenbus_device_id *id)
{
	struct pvio_blkfront *info;
	char name[64];
	int err;

	info = kvzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	info->dev = dev;
	info->d = dev->domain;
	spin_lock_init(&info->lock);
	init_waitqueue_head(&info->drain);
	INIT_WORK(&info->fatal_work, pvio_blkfront_fatal_work);
	mutex_init(&info->ctl_mutex);
	bio_list_init(&info->held_bios);
	INIT_LIST_HEAD(&info->held_rqs);
	INIT_DELAYED_WORK(&info->recover_work, pvio_blkfront_recover_timeout);
	INIT_WORK(&info->resubmit_work, pvio_blkfront_resubmit);
	info->vdevice = pvio_xs_read_unsigned(dev->xs, dev->nodename,
					      "virtual-device", dev->devid);
	err = pvio_blkfront_translate_vdev(info->vdevice, &info->index,
					   &info->minor, &info->parts);
	if (err) {
		pvio_xenbus_dev_fatal(dev, err, "bad virtual-device %#x",
				      info->vdevice);
		kvfree(info);
		return err;
	}
	err = xa_insert(&pvio_blkfront_indexes, info->index, info,
			GFP_KERNEL);
	if (err) {
		pvio_xenbus_dev_fatal(dev, err == -EBUSY ? -EEXIST : err,
				      "disk index %u is in use", info->index);
		kvfree(info);
		return err;
	}
	dev_set_drvdata(&dev->dev, info);
	info->dbg = debugfs_create_file(dev_name(&dev->dev), 0600,
					pvio_blkfront_dbg_root, info,
					&pvio_blkfront_inject_fops);
	snprintf(name, sizeof(name), "%s-stats", dev_name(&dev->dev));
	info->dbg_stats = debugfs_create_file(name, 0400,
					      pvio_blkfront_dbg_root, info,
					      &pvio_blkfront_stats_fops);
	return 0;
}

static void pvio_blkfront_remove(struct pvio_xenbus_device *dev)
{
	struct pvio_blkfront *info = dev_get_drvdata(&dev->dev);

	debugfs_remove(info->dbg);
	debugfs_remove(info->dbg_stats);
	cancel_delayed_work_sync(&info->recover_work);
	/* Unbinds the port first: nothing can queue fatal_work afterwards. */
	mutex_lock(&info->ctl_mutex);
	pvio_blkfront_disconnect(info);
	mutex_unlock(&info->ctl_mutex);
	cancel_work_sync(&info->fatal_work);
	cancel_work_sync(&info->resubmit_work);
	pvio_blkfront_end_victim(info);
	if (info->victim)
		__free_page(info->victim);
	xa_erase(&pvio_blkfront_indexes, info->index);
	dev_set_drvdata(&dev->dev, NULL);
	kvfree(info);
}

static const struct pvio_xenbus_device_id pvio_blkfront_ids[] = {
	{ "vbd" },
	{ "" }
};

static struct pvio_xenbus_driver pvio_blkfront_driver = {
	.name = "pvio-blkfront",
	.ids = pvio_blkfront_ids,
	.probe = pvio_blkfront_probe,
	.otherend_changed = pvio_blkfront_changed,
	.remove = pvio_blkfront_remove,
};

static int __init pvio_blkfront_init(void)
{
	int err;

	pvio_blkfront_major = register_blkdev(0, "xvd");
	if (pvio_blkfront_major < 0)
		return pvio_blkfront_major;
	pvio_blkfront_dbg_root = debugfs_create_dir("pvio-blkfront", NULL);
	err = pvio_xenbus_register_frontend(&pvio_blkfront_driver,
					    THIS_MODULE, KBUILD_MODNAME);
	if (err) {
		debugfs_remove(pvio_blkfront_dbg_root);
		unregister_blkdev(pvio_blkfront_major, "xvd");
	}
	return err;
}

static void __exit pvio_blkfront_exit(void)
{
	pvio_xenbus_unregister_driver(&pvio_blkfront_driver);
	debugfs_remove(pvio_blkfront_dbg_root);
	unregister_blkdev(pvio_blkfront_major, "xvd");
}

module_init(pvio_blkfront_init);
module_exit(pvio_blkfront_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvio block frontend (Xen blkif)");
