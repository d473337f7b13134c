// SPDX-License-Identifier: GPL-2.0
/*
 * pvio hypervisor: /dev/pvio-hv, the interface of a domain that is a
 * process of dom0 (a User-Mode Linux kernel, docs/uml-domu.md). The ABI
 * is include/uapi/pvio/hv.h.
 *
 * The process opens the device and creates its domain (one per open
 * file, one vCPU). Its memory is a shmem file it names: frame n is page n
 * of the file, and only the ranges it pins are frames the hypervisor
 * accepts (guest_memory.c: the domain's p2m holds the pinned pages). Its
 * hypercalls go through one ioctl (Xen's privcmd_hypercall) into the same
 * dispatcher as every domain's, with its pointer arguments copied from
 * and to the process (copy_from_user()/copy_to_user()). Its shared_info
 * and grant table frames start as hypervisor pages and move into its
 * memory with XENMEM_add_to_physmap, as an HVM guest of Xen places them.
 * Its upcall, raised when vcpu_info[0].evtchn_upcall_pending goes 0 -> 1,
 * is the device's poll wake-up and SIGIO (kill_fasync()), from any
 * context. The last close of the file (the process exiting, whichever
 * way) destroys the domain as pvctl destroy does; so does the exit of the
 * process that created it, while other processes still hold the file:
 * UML's userspace processes share its file table (clone(CLONE_FILES)),
 * so after a kill -9 of the UML kernel's process its stopped children
 * keep the file open. The creator's exit is seen on its struct pid's
 * pidfd wait queue, as a pidfd's poll sees it.
 *
 * Lifetime: the open file holds a reference on the domain; the domain
 * owns its struct pvio_hv_fdom (freed with the struct), which points back
 * to the open file's struct pvio_hv_dev until release() has destroyed the
 * domain (the upcall is unregistered then, and synchronised).
 */

#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/capability.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/bits.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/pid.h>
#include <linux/workqueue.h>
#include <linux/shmem_fs.h>
#include <xen/privcmd.h>
#include <xen/interface/memory.h>
#include <uapi/pvio/hv.h>
#include "internal.h"

static_assert(sizeof(struct pvio_hv_create) == 72);
static_assert(sizeof(struct pvio_hv_memory) == 16);
static_assert(sizeof(struct pvio_hv_pin) == 16);
static_assert(sizeof(struct pvio_hv_store) == 16);
static_assert(sizeof(struct privcmd_hypercall) == 48);

/* grant_entry_v1.frame is 32 bits wide: frames 0 .. 2^32 - 1. */
#define PVIO_HV_FDOM_MAX_FRAMES		BIT_ULL(32)

struct pvio_hv_dev {
	struct mutex lock;		/* creation */
	struct pvio_domain *d;		/* referenced; set once */
	wait_queue_head_t wq;		/* poll */
	struct fasync_struct *fasync;	/* SIGIO */
	struct pid *creator;		/* its thread group; set once */
	struct wait_queue_entry exit_wait;	/* on creator->wait_pidfd */
	struct work_struct exit_work;	/* destroys d */
};

/* ---- the memory model's lifetime (domain.c calls these) --------------- */

void pvio_hv_fdom_destroy(struct pvio_hv_fdom *f)
{
	if (f->mem)
		fput(f->mem);
	if (f->mm)
		mmdrop(f->mm);
	kfree(f);
}

/*
 * The domain struct is freed (process context, nothing names it): its
 * shared_info goes back to the hypervisor's page, which domain.c frees;
 * the pinned pages are the p2m's, which domain.c drops next.
 */
void pvio_hv_fdom_free(struct pvio_domain *d)
{
	struct pvio_hv_fdom *f = d->fdom;

	if (f->shared_info_page) {
		d->shared_info = f->own_shared_info;
		put_page(f->shared_info_page);
	}
	d->fdom = NULL;
	pvio_hv_fdom_destroy(f);
}

/* ---- XENMEM_add_to_physmap -------------------------------------------- */

static long pvio_hv_place_shared_info(struct pvio_domain *d, struct page *page)
{
	struct pvio_hv_fdom *f = d->fdom;
	long rc = 0;

	mutex_lock(&f->lock);
	if (f->shared_info_page) {
		rc = f->shared_info_page == page ? 0 : -EBUSY;
	} else {
		get_page(page);
		/* Bits set so far go with it (the domain has no ports yet). */
		memcpy(page_address(page), f->own_shared_info, PVIO_PAGE_SIZE);
		f->shared_info_page = page;
		/* The old page stays allocated for a reader still using it. */
		WRITE_ONCE(d->shared_info, page_address(page));
	}
	mutex_unlock(&f->lock);
	return rc;
}

/**
 * pvio_hv_do_memory_op() - __HYPERVISOR_memory_op
 * @caller: calling domain
 * @cmd: XENMEM_*
 * @arg: guest address of the command's argument
 *
 * Only XENMEM_add_to_physmap, for a domain that is a process (its memory
 * is a file): XENMAPSPACE_shared_info (idx 0; once: a second, different
 * frame gets -EBUSY) and XENMAPSPACE_grant_table (idx < 64 frames; the
 * table grows to idx + 1 frames) become the pinned frame gpfn of its
 * memory, with their contents so far; as Xen does for an HVM guest.
 *
 * Context: process context (the caller's own ioctl), may sleep.
 * Return: 0; -XEN_ENOSYS for any other command or a domain in this
 * kernel; -EFAULT for a bad @arg; -EPERM for another domain than the
 * caller; -EINVAL for an unknown space, a bad idx or a gpfn that is not a
 * pinned frame; -ENOMEM; -ESRCH once the domain is dying.
 */
long pvio_hv_do_memory_op(struct pvio_domain *caller, unsigned long cmd,
			  unsigned long arg)
{
	struct xen_add_to_physmap xatp;
	struct page *page;

	if (!caller->fdom || cmd != XENMEM_add_to_physmap)
		return -XEN_ENOSYS;
	if (pvio_hv_copy_from_guest(caller, &xatp, arg, sizeof(xatp)))
		return -EFAULT;
	if (xatp.domid != DOMID_SELF && xatp.domid != caller->domid)
		return -EPERM;
	might_sleep();
	/* Pinned frames stay in the p2m until the domain is freed. */
	page = xatp.gpfn < PVIO_HV_FDOM_MAX_FRAMES ?
	       xa_load(&caller->p2m, xatp.gpfn) : NULL;
	if (!page)
		return -EINVAL;
	switch (xatp.space) {
	case XENMAPSPACE_shared_info:
		if (xatp.idx)
			return -EINVAL;
		return pvio_hv_place_shared_info(caller, page);
	case XENMAPSPACE_grant_table:
		if (xatp.idx > UINT_MAX)
			return -EINVAL;
		return pvio_hv_gnttab_place_frame(caller, xatp.idx, page,
						  xatp.gpfn);
	default:
		return -EINVAL;
	}
}

/* ---- the upcall ------------------------------------------------------- */

/* Any context (hard IRQ: the vCPU's irq_work); under rcu_read_lock(). */
static void pvio_hv_dev_upcall(struct pvio_domain *d, unsigned int vcpu)
{
	struct pvio_hv_dev *dev = READ_ONCE(d->fdom->dev);

	if (!dev)
		return;
	wake_up_interruptible_poll(&dev->wq, EPOLLIN | EPOLLRDNORM);
	kill_fasync(&dev->fasync, SIGIO, POLL_IN);
}

/* ---- ioctls ----------------------------------------------------------- */

static long pvio_hv_dev_create(struct pvio_hv_dev *dev, void __user *arg)
{
	struct pvio_hv_create c;
	struct pvio_hv_fdom *f;
	struct pvio_domain *d;

	if (copy_from_user(&c, arg, sizeof(c)))
		return -EFAULT;
	if (strnlen(c.name, sizeof(c.name)) == sizeof(c.name) ||
	    c.nr_vcpus != 1)
		return -EINVAL;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	f->dev = dev;

	mutex_lock(&dev->lock);
	if (dev->d) {
		mutex_unlock(&dev->lock);
		kfree(f);
		return -EBUSY;
	}
	mmgrab(current->mm);
	f->mm = current->mm;
	d = pvio_hv_domain_create_fdom(c.name, f);	/* owns @f */
	if (IS_ERR(d)) {
		mutex_unlock(&dev->lock);
		return PTR_ERR(d);
	}
	pvio_domain_set_upcall(d, pvio_hv_dev_upcall);
	kref_get(&d->ref);
	/* Pairs with smp_load_acquire() in pvio_hv_dev_domain() and poll. */
	smp_store_release(&dev->d, d);
	/* The creator's exit destroys the domain (exit_work). */
	dev->creator = get_task_pid(current, PIDTYPE_TGID);
	add_wait_queue(&dev->creator->wait_pidfd, &dev->exit_wait);
	mutex_unlock(&dev->lock);
	if (put_user(pvio_domain_id(d),
		     &((struct pvio_hv_create __user *)arg)->domid))
		return -EFAULT;	/* the domain exists until close */
	return 0;
}

/* The file's domain, for a call from the domain's own process. */
static struct pvio_domain *pvio_hv_dev_domain(struct pvio_hv_dev *dev)
{
	/* Pairs with smp_store_release() in pvio_hv_dev_create(). */
	struct pvio_domain *d = smp_load_acquire(&dev->d);

	if (!d)
		return ERR_PTR(-ESRCH);
	if (current->mm != d->fdom->mm)
		return ERR_PTR(-EPERM);
	return d;
}

static long pvio_hv_dev_set_memory(struct pvio_domain *d, void __user *arg)
{
	struct pvio_hv_fdom *f = d->fdom;
	struct pvio_hv_memory m;
	struct file *file;
	long rc = 0;

	if (copy_from_user(&m, arg, sizeof(m)))
		return -EFAULT;
	if (m.pad)
		return -EINVAL;
	file = fget(m.fd);
	if (!file)
		return -EBADF;
	/* dom0 writes into these pages (grant copies, rings): read-write. */
	if ((file->f_mode & (FMODE_READ | FMODE_WRITE)) !=
	    (FMODE_READ | FMODE_WRITE))
		rc = -EBADF;
	else if (!shmem_mapping(file->f_mapping))
		rc = -EINVAL;	/* shmem_read_mapping_page() needs one */
	else if (!m.nr_frames || m.nr_frames > PVIO_HV_FDOM_MAX_FRAMES ||
		 (u64)i_size_read(file_inode(file)) >> PVIO_PAGE_SHIFT <
		 m.nr_frames)
		rc = -EINVAL;
	if (rc) {
		fput(file);
		return rc;
	}
	mutex_lock(&f->lock);
	if (f->mem) {
		rc = -EBUSY;
	} else {
		f->mem = file;
		f->nr_frames = m.nr_frames;
		file = NULL;
	}
	mutex_unlock(&f->lock);
	if (file)
		fput(file);
	return rc;
}

static long pvio_hv_dev_pin(struct pvio_domain *d, void __user *arg)
{
	struct pvio_hv_fdom *f = d->fdom;
	struct pvio_hv_pin p;
	struct page *page;
	u64 gfn;
	long rc = 0;

	if (copy_from_user(&p, arg, sizeof(p)))
		return -EFAULT;
	mutex_lock(&f->lock);
	if (!f->mem || !p.nr || p.first >= f->nr_frames ||
	    p.nr > f->nr_frames - p.first) {
		rc = -EINVAL;
		goto out;
	}
	for (gfn = p.first; gfn < p.first + p.nr; gfn++) {
		if (xa_load(&d->p2m, gfn))
			continue;
		if (fatal_signal_pending(current)) {
			rc = -EINTR;
			break;
		}
		/* The file may have shrunk since: -EINVAL beyond its end. */
		page = shmem_read_mapping_page(f->mem->f_mapping, gfn);
		if (IS_ERR(page)) {
			rc = PTR_ERR(page);
			break;
		}
		rc = xa_insert(&d->p2m, gfn, page, GFP_KERNEL);
		if (rc) {
			put_page(page);
			break;
		}
		f->nr_pinned++;
		cond_resched();
	}
out:
	mutex_unlock(&f->lock);
	return rc;
}

static long pvio_hv_dev_set_store(struct pvio_domain *d, void __user *arg)
{
	struct pvio_hv_store s;

	if (copy_from_user(&s, arg, sizeof(s)))
		return -EFAULT;
	if (s.pad || !s.gfn)
		return -EINVAL;
	return pvio_domain_set_store(d, s.gfn, s.port);
}

static long pvio_hv_dev_hypercall(struct pvio_domain *d, void __user *arg)
{
	struct privcmd_hypercall h;

	if (copy_from_user(&h, arg, sizeof(h)))
		return -EFAULT;
	if (READ_ONCE(d->state) == PVIO_DOMAIN_DYING)
		return -ESRCH;
	return pvio_hv_hypercall(d, h.op, h.arg[0], h.arg[1], h.arg[2],
				 h.arg[3], h.arg[4]);
}

static long pvio_hv_dev_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct pvio_hv_dev *dev = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct pvio_domain *d;

	switch (cmd) {
	case PVIO_HV_IOC_VERSION:
		return PVIO_HV_VERSION;
	case PVIO_HV_IOC_CREATE:
		return pvio_hv_dev_create(dev, uarg);
	case PVIO_HV_IOC_SET_MEMORY:
	case PVIO_HV_IOC_PIN:
	case PVIO_HV_IOC_SET_STORE:
	case IOCTL_PRIVCMD_HYPERCALL:
		break;
	default:
		return -ENOTTY;
	}
	d = pvio_hv_dev_domain(dev);
	if (IS_ERR(d))
		return PTR_ERR(d);
	switch (cmd) {
	case PVIO_HV_IOC_SET_MEMORY:
		return pvio_hv_dev_set_memory(d, uarg);
	case PVIO_HV_IOC_PIN:
		return pvio_hv_dev_pin(d, uarg);
	case PVIO_HV_IOC_SET_STORE:
		return pvio_hv_dev_set_store(d, uarg);
	default:
		return pvio_hv_dev_hypercall(d, uarg);
	}
}

/* ---- file operations -------------------------------------------------- */

static __poll_t pvio_hv_dev_poll(struct file *file, poll_table *wait)
{
	struct pvio_hv_dev *dev = file->private_data;
	/* Pairs with smp_store_release() in pvio_hv_dev_create(). */
	struct pvio_domain *d = smp_load_acquire(&dev->d);
	struct shared_info *s;

	poll_wait(file, &dev->wq, wait);
	if (!d)
		return 0;
	if (READ_ONCE(d->state) == PVIO_DOMAIN_DYING)
		return EPOLLHUP;
	/* The domain's own memory: a byte read, whatever it holds. */
	s = READ_ONCE(d->shared_info);
	if (READ_ONCE(s->vcpu_info[0].evtchn_upcall_pending))
		return EPOLLIN | EPOLLRDNORM;
	return 0;
}

static int pvio_hv_dev_fasync(int fd, struct file *file, int on)
{
	struct pvio_hv_dev *dev = file->private_data;

	return fasync_helper(fd, file, on, &dev->fasync);
}

/*
 * The creator's thread group exited while the file is still open (other
 * processes share it): destroy the domain now, as release() would.
 */
static void pvio_hv_dev_exit_work(struct work_struct *work)
{
	struct pvio_hv_dev *dev = container_of(work, struct pvio_hv_dev,
					       exit_work);
	struct pvio_domain *d = dev->d;

	if (READ_ONCE(d->state) != PVIO_DOMAIN_DYING)
		pr_info("pvio: d%u: its process exited: destroyed\n",
			pvio_domain_id(d));
	pvio_domain_destroy(pvio_domain_id(d));
	wake_up_all(&dev->wq);		/* poll: EPOLLHUP */
}

/* do_notify_pidfd(), any context: the creator's pidfd became readable. */
static int pvio_hv_dev_exit_wake(struct wait_queue_entry *wait,
				 unsigned int mode, int sync, void *key)
{
	struct pvio_hv_dev *dev = container_of(wait, struct pvio_hv_dev,
					       exit_wait);

	if (thread_group_exited(dev->creator))
		schedule_work(&dev->exit_work);
	return 0;
}

static int pvio_hv_dev_open(struct inode *inode, struct file *file)
{
	struct pvio_hv_dev *dev;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	mutex_init(&dev->lock);
	init_waitqueue_head(&dev->wq);
	init_waitqueue_func_entry(&dev->exit_wait, pvio_hv_dev_exit_wake);
	INIT_WORK(&dev->exit_work, pvio_hv_dev_exit_work);
	file->private_data = dev;
	return stream_open(inode, file);
}

/*
 * The last close, also at the process's exit (whatever killed it): the
 * domain is destroyed as pvctl destroy does (unless that was done
 * already), its upcall unregistered and synchronised on the way.
 */
static int pvio_hv_dev_release(struct inode *inode, struct file *file)
{
	struct pvio_hv_dev *dev = file->private_data;
	struct pvio_domain *d = dev->d;

	if (d) {
		remove_wait_queue(&dev->creator->wait_pidfd, &dev->exit_wait);
		cancel_work_sync(&dev->exit_work);
		put_pid(dev->creator);
		/* Its domid is not reused while we hold the reference. */
		pvio_domain_destroy(pvio_domain_id(d));
		pvio_domain_set_upcall(d, NULL);
		WRITE_ONCE(d->fdom->dev, NULL);
		pvio_hv_domain_put(d);
	}
	kfree(dev);
	return 0;
}

static const struct file_operations pvio_hv_dev_fops = {
	.owner = THIS_MODULE,
	.open = pvio_hv_dev_open,
	.release = pvio_hv_dev_release,
	.unlocked_ioctl = pvio_hv_dev_ioctl,
	.poll = pvio_hv_dev_poll,
	.fasync = pvio_hv_dev_fasync,
	.llseek = no_llseek,
};

static struct miscdevice pvio_hv_dev_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "pvio-hv",
	.fops = &pvio_hv_dev_fops,
	.mode = 0600,
};

int pvio_hv_dev_init(void)
{
	return misc_register(&pvio_hv_dev_misc);
}

void pvio_hv_dev_exit(void)
{
	misc_deregister(&pvio_hv_dev_misc);
}
