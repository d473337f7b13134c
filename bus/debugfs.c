// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-bus: debugfs pvio-bus/resources, what each domain holds right now,
 * as the domain itself sees it (for tests checking that nothing is left):
 *
 *   domid ports_open grant_refs_free grant_maps_live
 *
 * ports_open counts the domain's ports that are not closed
 * (EVTCHNOP_status on each port, as the domain); grant_maps_live is
 * GNTTABOP_map_grant_ref successes minus unmaps made by the domain.
 */
#define pr_fmt(fmt) "pvio-bus: " fmt

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <pvio/grant.h>
#include <pvio/xenbus.h>
#include "bus.h"

static struct dentry *pvio_bus_debugfs;

static unsigned int pvio_bus_ports_open(struct pvio_domain *d)
{
	struct evtchn_status st;
	unsigned int port, n = 0;

	for (port = 1; port < EVTCHN_2L_NR_CHANNELS; port++) {
		memset(&st, 0, sizeof(st));
		st.dom = DOMID_SELF;
		st.port = port;
		if (pvio_event_channel_op(d, EVTCHNOP_status, &st))
			break;
		if (st.status != EVTCHNSTAT_closed)
			n++;
	}
	return n;
}

struct pvio_bus_res {
	struct seq_file *m;
	struct pvio_domain_stats st;
};

static void pvio_bus_resources_one(struct pvio_domain *d, void *arg)
{
	struct pvio_bus_res *r = arg;

	pvio_domain_get_stats(d, &r->st);
	seq_printf(r->m, "%u %u %u %lld\n", pvio_domain_id(d),
		   pvio_bus_ports_open(d), pvio_gnttab_free_count(d),
		   (long long)(r->st.grant_maps - r->st.grant_unmaps));
}

static int pvio_bus_resources_show(struct seq_file *m, void *v)
{
	struct pvio_bus_res *r = kmalloc(sizeof(*r), GFP_KERNEL);

	if (!r)
		return -ENOMEM;
	r->m = m;
	seq_puts(m, "domid ports_open grant_refs_free grant_maps_live\n");
	pvio_bus_walk_domains(pvio_bus_resources_one, r);
	kfree(r);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvio_bus_resources);

void pvio_bus_debugfs_init(void)
{
	pvio_bus_debugfs = debugfs_create_dir("pvio-bus", NULL);
	debugfs_create_file("resources", 0444, pvio_bus_debugfs, NULL,
			    &pvio_bus_resources_fops);
}

void pvio_bus_debugfs_exit(void)
{
	debugfs_remove_recursive(pvio_bus_debugfs);
	pvio_bus_debugfs = NULL;
}
