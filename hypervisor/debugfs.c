// SPDX-License-Identifier: GPL-2.0
/*
 * pvio hypervisor: debugfs pvio/domains, one line of counters per domain
 * (read-only); the last two are the live grant maps the domain holds and
 * the live maps of its grants (capped by max_maps_per_domain).
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include "internal.h"

static struct dentry *pvio_hv_debugfs_dir;

static const char * const pvio_hv_state_names[] = {
	[PVIO_DOMAIN_RUNNING] = "running",
	[PVIO_DOMAIN_SHUTDOWN] = "shutdown",
	[PVIO_DOMAIN_DYING] = "dying",
};

static int pvio_hv_domains_show(struct seq_file *m, void *v)
{
	struct pvio_domain_stats *st;
	struct pvio_domain *d;
	unsigned int id, i;
	u64 total;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	seq_puts(m, "domid name vcpus state hypercalls multicall_entries grant_maps grant_unmaps grant_copies grant_copy_bytes events_sent events_delivered maps_held maps_granted maps_granted_peak\n");
	for (id = 0; id <= PVIO_MAX_DOMID; id++) {
		d = pvio_hv_domain_get_by_id(id);
		if (!d)
			continue;
		pvio_domain_get_stats(d, st);
		for (total = 0, i = 0; i < ARRAY_SIZE(st->hypercalls); i++)
			total += st->hypercalls[i];
		seq_printf(m, "%u %s %u %s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n",
			   d->domid, d->name[0] ? d->name : "-", d->nr_vcpus,
			   pvio_hv_state_names[READ_ONCE(d->state)], total,
			   st->multicall_entries, st->grant_maps,
			   st->grant_unmaps, st->grant_copies,
			   st->grant_copy_bytes, st->events_sent,
			   st->events_delivered, st->grant_maps_held,
			   st->grant_maps_granted,
			   st->grant_maps_granted_peak);
		seq_puts(m, "  hypercalls-by-op:");
		for (i = 0; i < ARRAY_SIZE(st->hypercalls); i++)
			if (st->hypercalls[i])
				seq_printf(m, " %u=%llu", i, st->hypercalls[i]);
		seq_putc(m, '\n');
		pvio_hv_domain_put(d);
	}
	kfree(st);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvio_hv_domains);

void pvio_hv_debugfs_init(void)
{
	pvio_hv_debugfs_dir = debugfs_create_dir("pvio", NULL);
	debugfs_create_file("domains", 0444, pvio_hv_debugfs_dir, NULL,
			    &pvio_hv_domains_fops);
}

void pvio_hv_debugfs_exit(void)
{
	debugfs_remove_recursive(pvio_hv_debugfs_dir);
	pvio_hv_debugfs_dir = NULL;
}
