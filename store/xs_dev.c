// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-store: /dev/pvio-store, the toolstack's connection to the store
 * (Linux's /dev/xen/xenbus, xenbus_dev_frontend.c, seen from dom0).
 *
 * Each open file is one privileged (dom0) store connection. write() takes
 * xs_wire messages (struct xsd_sockmsg + payload, possibly split over
 * several writes or several in one); each complete request is processed
 * at once and its reply queued. read() returns queued replies and watch
 * events (XS_WATCH_EVENT), whole messages only, oldest first; it blocks
 * unless O_NONBLOCK (-EAGAIN); poll() reports POLLIN when a message is
 * waiting. A header announcing more than XENSTORE_PAYLOAD_MAX bytes gets
 * an XS_ERROR "E2BIG" reply, fails the write with -E2BIG and resets the
 * file's input; other malformed requests get the store's XS_ERROR reply. Needs CAP_SYS_ADMIN.
 * Closing the file drops its watches and aborts its transactions.
 */
#define pr_fmt(fmt) "pvio-store: " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/capability.h>
#include "store.h"

struct pvio_store_dev_msg {
	struct list_head list;
	unsigned int len;
	u8 data[];
};

struct pvio_store_dev_file {
	struct pvio_store_conn *conn;
	struct mutex lock;		/* in, replies */
	wait_queue_head_t wq;
	struct list_head replies;
	unsigned int in_got;
	u8 in[PVIO_XS_MSG_MAX];
	u8 out[PVIO_XS_MSG_MAX];
};

static void pvio_store_dev_file_event(struct pvio_store_conn *conn, void *data)
{
	struct pvio_store_dev_file *f = data;

	wake_up_interruptible(&f->wq);
}

static int pvio_store_dev_open(struct inode *inode, struct file *file)
{
	struct pvio_store_dev_file *f;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	f = kvzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	init_waitqueue_head(&f->wq);
	INIT_LIST_HEAD(&f->replies);
	f->conn = pvio_store_conn_open(pvio_store_get_main(), 0,
				       pvio_store_dev_file_event, f);
	if (!f->conn) {
		kvfree(f);
		return -ENOMEM;
	}
	file->private_data = f;
	return stream_open(inode, file);
}

static int pvio_store_dev_release(struct inode *inode, struct file *file)
{
	struct pvio_store_dev_file *f = file->private_data;
	struct pvio_store_dev_msg *m, *tmp;

	pvio_store_conn_close(f->conn);
	list_for_each_entry_safe(m, tmp, &f->replies, list)
		kfree(m);
	kvfree(f);
	return 0;
}

/* Queue a complete request's reply; f->lock held. */
static int pvio_store_dev_handle(struct pvio_store_dev_file *f)
{
	struct pvio_store_dev_msg *m;
	int len;

	len = pvio_store_process(f->conn, f->in, f->in_got, f->out,
				 sizeof(f->out));
	f->in_got = 0;
	if (len < 0)
		return len;
	m = kmalloc(struct_size(m, data, len), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->len = len;
	memcpy(m->data, f->out, len);
	list_add_tail(&m->list, &f->replies);
	wake_up_interruptible(&f->wq);
	return 0;
}

static ssize_t pvio_store_dev_write(struct file *file, const char __user *buf,
				    size_t len, loff_t *ppos)
{
	struct pvio_store_dev_file *f = file->private_data;
	struct xsd_sockmsg hdr;
	size_t done = 0, want, n;
	int err = 0;

	mutex_lock(&f->lock);
	while (done < len) {
		if (f->in_got < sizeof(hdr)) {
			want = sizeof(hdr) - f->in_got;
		} else {
			memcpy(&hdr, f->in, sizeof(hdr));
			want = sizeof(hdr) + hdr.len - f->in_got;
		}
		n = min(want, len - done);
		if (copy_from_user(f->in + f->in_got, buf + done, n)) {
			err = -EFAULT;
			break;
		}
		f->in_got += n;
		done += n;
		if (f->in_got < sizeof(hdr))
			continue;
		memcpy(&hdr, f->in, sizeof(hdr));
		if (hdr.len > XENSTORE_PAYLOAD_MAX) {
			/* Reply XS_ERROR "E2BIG", drop the input. */
			f->in_got = sizeof(hdr);
			err = pvio_store_dev_handle(f);
			err = err ?: -E2BIG;
			break;
		}
		if (f->in_got == sizeof(hdr) + hdr.len) {
			err = pvio_store_dev_handle(f);
			if (err)
				break;
		}
	}
	/* A header-only request (len 0) completes above too. */
	mutex_unlock(&f->lock);
	return err ? err : done;
}

/* The next message to read, moved to f->out; f->lock held. */
static int pvio_store_dev_next(struct pvio_store_dev_file *f)
{
	struct pvio_store_dev_msg *m;
	int len;

	m = list_first_entry_or_null(&f->replies, struct pvio_store_dev_msg, list);
	if (m) {
		list_del(&m->list);
		len = m->len;
		memcpy(f->out, m->data, len);
		kfree(m);
		return len;
	}
	len = pvio_store_pop_event(f->conn, f->out, sizeof(f->out));
	return len > 0 ? len : 0;
}

static bool pvio_store_dev_readable(struct pvio_store_dev_file *f)
{
	return !list_empty_careful(&f->replies) ||
	       pvio_store_pending_events(f->conn);
}

static ssize_t pvio_store_dev_read(struct file *file, char __user *buf,
				   size_t len, loff_t *ppos)
{
	struct pvio_store_dev_file *f = file->private_data;
	struct pvio_store_dev_msg *m;
	int n, err;

	for (;;) {
		mutex_lock(&f->lock);
		m = list_first_entry_or_null(&f->replies, struct pvio_store_dev_msg,
					     list);
		if (m && m->len > len) {
			mutex_unlock(&f->lock);
			return -EINVAL;
		}
		if (!m && len < PVIO_XS_MSG_MAX &&
		    pvio_store_pending_events(f->conn)) {
			mutex_unlock(&f->lock);
			return -EINVAL;	/* events need a full-size buffer */
		}
		n = pvio_store_dev_next(f);
		if (n) {
			err = copy_to_user(buf, f->out, n) ? -EFAULT : n;
			mutex_unlock(&f->lock);
			return err;
		}
		mutex_unlock(&f->lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(f->wq, pvio_store_dev_readable(f)))
			return -ERESTARTSYS;
	}
}

static __poll_t pvio_store_dev_poll(struct file *file, poll_table *wait)
{
	struct pvio_store_dev_file *f = file->private_data;

	poll_wait(file, &f->wq, wait);
	return (pvio_store_dev_readable(f) ? EPOLLIN | EPOLLRDNORM : 0) |
	       EPOLLOUT | EPOLLWRNORM;
}

static const struct file_operations pvio_store_dev_fops = {
	.owner = THIS_MODULE,
	.open = pvio_store_dev_open,
	.release = pvio_store_dev_release,
	.read = pvio_store_dev_read,
	.write = pvio_store_dev_write,
	.poll = pvio_store_dev_poll,
	.llseek = no_llseek,
};

static struct miscdevice pvio_store_dev_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "pvio-store",
	.fops = &pvio_store_dev_fops,
	.mode = 0600,
};

int pvio_store_dev_init(void)
{
	return misc_register(&pvio_store_dev_misc);
}

void pvio_store_dev_exit(void)
{
	misc_deregister(&pvio_store_dev_misc);
}
