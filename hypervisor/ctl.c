// SPDX-License-Identifier: GPL-2.0
/*
 * pvio hypervisor: /dev/pvio, the toolstack's control device. The ABI is
 * include/uapi/pvio/pvio.h.
 */

#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/capability.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/err.h>
#include <uapi/pvio/pvio.h>
#include "internal.h"

static_assert(sizeof(struct pvio_ctl_domain) == 88);
static_assert(sizeof(struct pvio_ctl_list) == 16);
static_assert(sizeof(struct pvio_ctl_resume) == 8);
static_assert(sizeof(struct pvio_ctl_stats) == 8 + 8 * 80);

static long pvio_ctl_create(void __user *arg)
{
	struct pvio_ctl_create c;
	struct pvio_domain *d;

	if (copy_from_user(&c, arg, sizeof(c)))
		return -EFAULT;
	if (strnlen(c.name, sizeof(c.name)) == sizeof(c.name))
		return -EINVAL;
	d = pvio_domain_create(c.name, c.nr_vcpus);
	if (IS_ERR(d))
		return PTR_ERR(d);
	c.domid = pvio_domain_id(d);
	if (put_user(c.domid, &((struct pvio_ctl_create __user *)arg)->domid))
		return -EFAULT;	/* the domain exists; pvctl list shows it */
	return 0;
}

static long pvio_ctl_destroy(void __user *arg)
{
	struct pvio_ctl_destroy c;

	if (copy_from_user(&c, arg, sizeof(c)))
		return -EFAULT;
	if (c.pad)
		return -EINVAL;
	if (c.domid > PVIO_MAX_DOMID)
		return -ESRCH;
	return pvio_domain_destroy(c.domid);
}

/* XEN_DOMCTL_resumedomain: a domain shut down with reason suspend runs. */
static long pvio_ctl_resume(void __user *arg)
{
	struct pvio_ctl_resume c;
	struct pvio_domain *d;
	long rc;

	if (copy_from_user(&c, arg, sizeof(c)))
		return -EFAULT;
	if (c.pad)
		return -EINVAL;
	d = pvio_hv_domain_get_by_id(c.domid);
	if (!d)
		return -ESRCH;
	rc = pvio_hv_domain_resume(d);
	pvio_hv_domain_put(d);
	return rc;
}

static void pvio_hv_ctl_fill(struct pvio_ctl_domain *e, struct pvio_domain *d)
{
	memset(e, 0, sizeof(*e));
	e->domid = d->domid;
	e->nr_vcpus = d->nr_vcpus;
	switch (READ_ONCE(d->state)) {
	case PVIO_DOMAIN_RUNNING:
		e->state = PVIO_CTL_STATE_RUNNING;
		break;
	case PVIO_DOMAIN_SHUTDOWN:
		e->state = PVIO_CTL_STATE_SHUTDOWN;
		e->shutdown_reason = READ_ONCE(d->shutdown_reason);
		break;
	default:
		e->state = PVIO_CTL_STATE_DYING;
		break;
	}
	e->flags = d->privileged ? PVIO_CTL_DOMF_PRIVILEGED : 0;
	if (d->fdom)
		e->flags |= PVIO_CTL_DOMF_PROCESS;
	strscpy(e->name, d->name, sizeof(e->name));
}

static long pvio_ctl_get_store(void __user *arg)
{
	struct pvio_ctl_store c;
	struct pvio_domain *d;
	evtchn_port_t port;
	xen_pfn_t gfn;
	long rc;

	if (copy_from_user(&c, arg, sizeof(c)))
		return -EFAULT;
	d = pvio_hv_domain_get_by_id(c.domid);
	if (!d)
		return -ESRCH;
	rc = pvio_domain_get_store(d, &gfn, &port);
	pvio_hv_domain_put(d);
	if (rc)
		return rc;
	c.gfn = gfn;
	c.port = port;
	return copy_to_user(arg, &c, sizeof(c)) ? -EFAULT : 0;
}

static long pvio_ctl_list(void __user *arg)
{
	struct pvio_ctl_list l;
	struct pvio_ctl_domain *buf;
	struct pvio_domain *d;
	unsigned int n = 0, total = 0, id;
	long ret = 0;

	if (copy_from_user(&l, arg, sizeof(l)))
		return -EFAULT;
	if (l.pad)
		return -EINVAL;
	buf = kcalloc(PVIO_MAX_DOMID + 1, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (id = 0; id <= PVIO_MAX_DOMID; id++) {
		d = pvio_hv_domain_get_by_id(id);
		if (!d)
			continue;
		total++;
		if (n < l.nr)
			pvio_hv_ctl_fill(&buf[n++], d);
		pvio_hv_domain_put(d);
	}
	if (n && copy_to_user(u64_to_user_ptr(l.domains), buf,
			      n * sizeof(*buf)))
		ret = -EFAULT;
	else if (put_user(total, &((struct pvio_ctl_list __user *)arg)->nr))
		ret = -EFAULT;
	kfree(buf);
	return ret;
}

static long pvio_ctl_stats(void __user *arg)
{
	struct pvio_domain_stats st;
	struct pvio_ctl_stats *c;
	struct pvio_domain *d;
	unsigned int i;
	long ret = 0;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	if (copy_from_user(&c->domid, arg, sizeof(c->domid) + sizeof(c->pad))) {
		ret = -EFAULT;
		goto out;
	}
	if (c->pad) {
		ret = -EINVAL;
		goto out;
	}
	d = c->domid <= PVIO_MAX_DOMID ? pvio_hv_domain_get_by_id(c->domid) : NULL;
	if (!d) {
		ret = -ESRCH;
		goto out;
	}
	pvio_domain_get_stats(d, &st);
	pvio_hv_domain_put(d);
	for (i = 0; i < ARRAY_SIZE(c->hypercalls); i++)
		c->hypercalls[i] = st.hypercalls[i];
	c->multicall_entries = st.multicall_entries;
	c->grant_maps = st.grant_maps;
	c->grant_unmaps = st.grant_unmaps;
	c->grant_copies = st.grant_copies;
	c->grant_copy_bytes = st.grant_copy_bytes;
	c->events_sent = st.events_sent;
	c->events_delivered = st.events_delivered;
	if (copy_to_user(arg, c, sizeof(*c)))
		ret = -EFAULT;
out:
	kfree(c);
	return ret;
}

static long pvio_hv_ctl_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	switch (cmd) {
	case PVIO_IOC_VERSION:
		return PVIO_CTL_VERSION;
	case PVIO_IOC_CREATE:
		return pvio_ctl_create(uarg);
	case PVIO_IOC_DESTROY:
		return pvio_ctl_destroy(uarg);
	case PVIO_IOC_LIST:
		return pvio_ctl_list(uarg);
	case PVIO_IOC_STATS:
		return pvio_ctl_stats(uarg);
	case PVIO_IOC_GET_STORE:
		return pvio_ctl_get_store(uarg);
	case PVIO_IOC_RESUME:
		return pvio_ctl_resume(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations pvio_hv_ctl_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = pvio_hv_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice pvio_hv_ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "pvio",
	.fops = &pvio_hv_ctl_fops,
	.mode = 0600,
};

int pvio_hv_ctl_init(void)
{
	return misc_register(&pvio_hv_ctl_dev);
}

void pvio_hv_ctl_exit(void)
{
	misc_deregister(&pvio_hv_ctl_dev);
}
