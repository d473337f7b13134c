// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvio_hv_event_channel: event channels (2-level ABI), sched_op
 * and PIRQ argument checks, through the hypercall API only, with Xen's
 * semantics (xen/common/event_channel.c, event_2l.c, sched/core.c).
 *
 * The test domains are guests of the test itself: it installs its own
 * upcall (counting calls) and sets the mask bits it needs, whether or not
 * pvio-evtchn is attached to them too.
 */

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include "hv_test.h"

#define EVT_BITS	(sizeof(xen_ulong_t) * 8)

static struct {
	struct pvio_domain *d;
	atomic_t calls[2];
} ec_upcalls[2];

static void ec_upcall(struct pvio_domain *d, unsigned int vcpu)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ec_upcalls); i++)
		if (READ_ONCE(ec_upcalls[i].d) == d && vcpu < 2)
			atomic_inc(&ec_upcalls[i].calls[vcpu]);
}

static int ec_init(struct kunit *test)
{
	struct pvio_test_doms *t;
	int rc;

	rc = pvio_test_doms_init(test);
	if (rc)
		return rc;
	t = test->priv;
	memset(ec_upcalls, 0, sizeof(ec_upcalls));
	WRITE_ONCE(ec_upcalls[0].d, t->a);
	WRITE_ONCE(ec_upcalls[1].d, t->b);
	pvio_domain_set_upcall(t->a, ec_upcall);
	pvio_domain_set_upcall(t->b, ec_upcall);
	return 0;
}

static void ec_exit(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;

	if (t && !t->a_gone)
		pvio_domain_set_upcall(t->a, NULL);
	if (t && !t->b_gone)
		pvio_domain_set_upcall(t->b, NULL);
	pvio_test_doms_exit(test);
}

static unsigned long *bm(xen_ulong_t *w)
{
	return (unsigned long *)w;
}

static bool ec_pending(struct pvio_domain *d, evtchn_port_t port)
{
	return test_bit(port, bm(pvio_domain_shared_info(d)->evtchn_pending));
}

static void ec_mask(struct pvio_domain *d, evtchn_port_t port, bool masked)
{
	struct shared_info *s = pvio_domain_shared_info(d);

	if (masked)
		set_bit(port, bm(s->evtchn_mask));
	else
		clear_bit(port, bm(s->evtchn_mask));
}

/* Forget every upcall/selector state of @d's vCPUs, as a guest would. */
static void ec_quiesce(struct pvio_domain *d)
{
	struct shared_info *s = pvio_domain_shared_info(d);
	unsigned int v;

	for (v = 0; v < pvio_domain_nr_vcpus(d); v++) {
		WRITE_ONCE(s->vcpu_info[v].evtchn_upcall_pending, 0);
		WRITE_ONCE(s->vcpu_info[v].evtchn_pending_sel, 0);
	}
}

/* Wait up to 2 s for @idx's vCPU @vcpu upcall count to reach @n. */
static bool ec_wait_calls(unsigned int idx, unsigned int vcpu, int n)
{
	unsigned long end = jiffies + 2 * HZ;

	while (atomic_read(&ec_upcalls[idx].calls[vcpu]) < n) {
		if (time_after(jiffies, end))
			return false;
		usleep_range(500, 1000);
	}
	return true;
}

static int ec_alloc(struct pvio_domain *d, domid_t remote, evtchn_port_t *port)
{
	struct evtchn_alloc_unbound a = { .dom = DOMID_SELF,
					  .remote_dom = remote };
	int rc = pvio_event_channel_op(d, EVTCHNOP_alloc_unbound, &a);

	*port = a.port;
	return rc;
}

static int ec_bind(struct pvio_domain *d, domid_t rdom, evtchn_port_t rport,
		   evtchn_port_t *lport)
{
	struct evtchn_bind_interdomain b = { .remote_dom = rdom,
					     .remote_port = rport };
	int rc = pvio_event_channel_op(d, EVTCHNOP_bind_interdomain, &b);

	*lport = b.local_port;
	return rc;
}

static int ec_send(struct pvio_domain *d, evtchn_port_t port)
{
	struct evtchn_send s = { .port = port };

	return pvio_event_channel_op(d, EVTCHNOP_send, &s);
}

static int ec_close(struct pvio_domain *d, evtchn_port_t port)
{
	struct evtchn_close c = { .port = port };

	return pvio_event_channel_op(d, EVTCHNOP_close, &c);
}

static int ec_unmask(struct pvio_domain *d, evtchn_port_t port)
{
	struct evtchn_unmask u = { .port = port };

	return pvio_event_channel_op(d, EVTCHNOP_unmask, &u);
}

static int ec_status(struct pvio_domain *d, domid_t dom, evtchn_port_t port,
		     struct evtchn_status *st)
{
	memset(st, 0, sizeof(*st));
	st->dom = dom;
	st->port = port;
	return pvio_event_channel_op(d, EVTCHNOP_status, st);
}

/* A pair: a's unbound port @pa, b's bound port @pb. */
static void ec_pair(struct kunit *test, evtchn_port_t *pa, evtchn_port_t *pb)
{
	struct pvio_test_doms *t = test->priv;

	KUNIT_ASSERT_EQ(test, ec_alloc(t->a, t->b_id, pa), 0);
	KUNIT_ASSERT_EQ(test, ec_bind(t->b, t->a_id, *pa, pb), 0);
}

/* alloc_unbound -> bind_interdomain -> close -> peer unbound -> re-bind */
static void ec_state_transitions(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct evtchn_status st;
	evtchn_port_t pa, pb, pb2;

	KUNIT_ASSERT_EQ(test, ec_alloc(t->a, t->b_id, &pa), 0);
	KUNIT_EXPECT_NE(test, pa, 0U);	/* port 0 is reserved */
	KUNIT_ASSERT_EQ(test, ec_status(t->a, DOMID_SELF, pa, &st), 0);
	KUNIT_EXPECT_EQ(test, st.status, (u32)EVTCHNSTAT_unbound);
	KUNIT_EXPECT_EQ(test, st.u.unbound.dom, t->b_id);
	KUNIT_EXPECT_EQ(test, st.vcpu, 0U);

	KUNIT_ASSERT_EQ(test, ec_bind(t->b, t->a_id, pa, &pb), 0);
	KUNIT_ASSERT_EQ(test, ec_status(t->a, DOMID_SELF, pa, &st), 0);
	KUNIT_EXPECT_EQ(test, st.status, (u32)EVTCHNSTAT_interdomain);
	KUNIT_EXPECT_EQ(test, st.u.interdomain.dom, t->b_id);
	KUNIT_EXPECT_EQ(test, st.u.interdomain.port, pb);
	KUNIT_ASSERT_EQ(test, ec_status(t->b, t->b_id, pb, &st), 0);
	KUNIT_EXPECT_EQ(test, st.status, (u32)EVTCHNSTAT_interdomain);
	KUNIT_EXPECT_EQ(test, st.u.interdomain.dom, t->a_id);
	KUNIT_EXPECT_EQ(test, st.u.interdomain.port, pa);

	/* A second bind to a connected port fails. */
	KUNIT_EXPECT_EQ(test, ec_bind(t->b, t->a_id, pa, &pb2), -EINVAL);

	/* Close b's end: a's port is unbound again, accepting b. */
	KUNIT_ASSERT_EQ(test, ec_close(t->b, pb), 0);
	KUNIT_ASSERT_EQ(test, ec_status(t->b, DOMID_SELF, pb, &st), 0);
	KUNIT_EXPECT_EQ(test, st.status, (u32)EVTCHNSTAT_closed);
	KUNIT_ASSERT_EQ(test, ec_status(t->a, DOMID_SELF, pa, &st), 0);
	KUNIT_EXPECT_EQ(test, st.status, (u32)EVTCHNSTAT_unbound);
	KUNIT_EXPECT_EQ(test, st.u.unbound.dom, t->b_id);
	KUNIT_EXPECT_EQ(test, ec_close(t->b, pb), -EINVAL);

	/* Re-bind works and reuses the lowest free port. */
	KUNIT_ASSERT_EQ(test, ec_bind(t->b, t->a_id, pa, &pb2), 0);
	KUNIT_EXPECT_EQ(test, pb2, pb);

	/* Close a's end: b's port goes unbound, accepting a. */
	KUNIT_ASSERT_EQ(test, ec_close(t->a, pa), 0);
	KUNIT_ASSERT_EQ(test, ec_status(t->b, DOMID_SELF, pb2, &st), 0);
	KUNIT_EXPECT_EQ(test, st.status, (u32)EVTCHNSTAT_unbound);
	KUNIT_EXPECT_EQ(test, st.u.unbound.dom, t->a_id);
}

/* bind_interdomain sets the new local port pending: an early send is kept. */
static void ec_early_send_not_lost(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	evtchn_port_t pa, pb;

	KUNIT_ASSERT_EQ(test, ec_alloc(t->a, t->b_id, &pa), 0);
	/* a sends before b is there: dropped, nothing pending anywhere. */
	KUNIT_EXPECT_EQ(test, ec_send(t->a, pa), 0);
	KUNIT_EXPECT_FALSE(test, ec_pending(t->a, pa));

	KUNIT_ASSERT_EQ(test, ec_bind(t->b, t->a_id, pa, &pb), 0);
	KUNIT_EXPECT_TRUE(test, ec_pending(t->b, pb));
	KUNIT_EXPECT_FALSE(test, ec_pending(t->a, pa));
}

/* An event sent while masked is kept and delivered on unmask. */
static void ec_masked_then_unmask(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct shared_info *sb = pvio_domain_shared_info(t->b);
	struct vcpu_info *vi = &sb->vcpu_info[0];
	evtchn_port_t pa, pb;
	int calls;

	calls = atomic_read(&ec_upcalls[1].calls[0]);
	ec_pair(test, &pa, &pb);
	/*
	 * bind_interdomain left pb pending and raised b's upcall: let it
	 * land (an IPI or irq_work, later on a busy machine) before counting.
	 */
	KUNIT_EXPECT_TRUE(test, ec_wait_calls(1, 0, calls + 1));
	ec_mask(t->b, pb, true);
	clear_bit(pb, bm(sb->evtchn_pending));
	ec_quiesce(t->b);
	calls = atomic_read(&ec_upcalls[1].calls[0]);

	KUNIT_ASSERT_EQ(test, ec_send(t->a, pa), 0);
	KUNIT_EXPECT_TRUE(test, ec_pending(t->b, pb));
	KUNIT_EXPECT_EQ(test, READ_ONCE(vi->evtchn_pending_sel), 0UL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(vi->evtchn_upcall_pending), 0);
	msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_read(&ec_upcalls[1].calls[0]), calls);

	/* A second send while pending changes nothing. */
	KUNIT_ASSERT_EQ(test, ec_send(t->a, pa), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(vi->evtchn_pending_sel), 0UL);

	KUNIT_ASSERT_EQ(test, ec_unmask(t->b, pb), 0);
	KUNIT_EXPECT_FALSE(test, test_bit(pb, bm(sb->evtchn_mask)));
	KUNIT_EXPECT_TRUE(test, test_bit(pb / EVT_BITS,
					 bm(&vi->evtchn_pending_sel)));
	KUNIT_EXPECT_EQ(test, READ_ONCE(vi->evtchn_upcall_pending), 1);
	KUNIT_EXPECT_TRUE(test, ec_wait_calls(1, 0, calls + 1));

	/* Unmasked and not pending: a send raises the upcall directly. */
	clear_bit(pb, bm(sb->evtchn_pending));
	ec_quiesce(t->b);
	calls = atomic_read(&ec_upcalls[1].calls[0]);
	KUNIT_ASSERT_EQ(test, ec_send(t->a, pa), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(vi->evtchn_upcall_pending), 1);
	KUNIT_EXPECT_TRUE(test, ec_wait_calls(1, 0, calls + 1));

	/* Upcall masked: pending and selector set, no upcall. */
	clear_bit(pb, bm(sb->evtchn_pending));
	ec_quiesce(t->b);
	WRITE_ONCE(vi->evtchn_upcall_mask, 1);
	calls = atomic_read(&ec_upcalls[1].calls[0]);
	KUNIT_ASSERT_EQ(test, ec_send(t->a, pa), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(vi->evtchn_upcall_pending), 1);
	msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_read(&ec_upcalls[1].calls[0]), calls);
	WRITE_ONCE(vi->evtchn_upcall_mask, 0);
}

static void ec_send_unbound_dropped(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct pvio_domain_stats *st;
	evtchn_port_t pa;

	st = kunit_kcalloc(test, 2, sizeof(*st), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st);
	KUNIT_ASSERT_EQ(test, ec_alloc(t->a, t->b_id, &pa), 0);
	pvio_domain_get_stats(t->a, &st[0]);
	KUNIT_EXPECT_EQ(test, ec_send(t->a, pa), 0);
	pvio_domain_get_stats(t->a, &st[1]);
	KUNIT_EXPECT_FALSE(test, ec_pending(t->a, pa));
	KUNIT_EXPECT_EQ(test, st[1].events_sent, st[0].events_sent);
}

static void ec_errors(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct evtchn_alloc_unbound au = { .dom = t->b_id,
					   .remote_dom = DOMID_SELF };
	struct evtchn_bind_vcpu bv = { .port = 1, .vcpu = 5 };
	struct evtchn_bind_pirq bp = { .pirq = 20 };
	struct physdev_map_pirq map = { .domid = DOMID_SELF,
					.type = MAP_PIRQ_TYPE_GSI,
					.index = 1, .pirq = -1 };
	struct evtchn_reset reset = { .dom = t->b_id };
	struct evtchn_status st;
	evtchn_port_t pa, pb, p;
	unsigned int cmd;

	/* Bad ports */
	KUNIT_EXPECT_EQ(test, ec_send(t->a, 4095), -EINVAL);
	KUNIT_EXPECT_EQ(test, ec_send(t->a, 5000), -EINVAL);
	KUNIT_EXPECT_EQ(test, ec_send(t->a, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, ec_send(t->a, 7), -EINVAL);	/* free */
	KUNIT_EXPECT_EQ(test, ec_close(t->a, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, ec_close(t->a, 7), -EINVAL);
	KUNIT_EXPECT_EQ(test, ec_close(t->a, 100000), -EINVAL);
	KUNIT_EXPECT_EQ(test, ec_unmask(t->a, 4096), -EINVAL);
	KUNIT_EXPECT_EQ(test, ec_status(t->a, DOMID_SELF, 4096, &st), -EINVAL);
	KUNIT_ASSERT_EQ(test, ec_status(t->a, DOMID_SELF, 0, &st), 0);
	KUNIT_EXPECT_EQ(test, st.status, (u32)EVTCHNSTAT_closed);

	/* Bad domains */
	KUNIT_EXPECT_EQ(test, ec_alloc(t->a, NO_DOMID, &p), 0);
	au.dom = NO_DOMID;
	KUNIT_EXPECT_EQ(test, pvio_event_channel_op(t->a, EVTCHNOP_alloc_unbound,
						    &au), -ESRCH);
	KUNIT_EXPECT_EQ(test, ec_bind(t->a, NO_DOMID, 1, &p), -ESRCH);
	KUNIT_EXPECT_EQ(test, ec_status(t->a, NO_DOMID, 1, &st), -ESRCH);

	/* Unprivileged: no ops on another domain's ports. */
	au.dom = t->b_id;
	KUNIT_EXPECT_EQ(test, pvio_event_channel_op(t->a, EVTCHNOP_alloc_unbound,
						    &au), -EPERM);
	KUNIT_EXPECT_EQ(test, ec_status(t->a, t->b_id, 1, &st), -EPERM);
	KUNIT_EXPECT_EQ(test, pvio_event_channel_op(t->a, EVTCHNOP_reset,
						    &reset), -EPERM);
	KUNIT_EXPECT_EQ(test, pvio_physdev_op(t->a, PHYSDEVOP_map_pirq, &map),
			-EPERM);

	/* A port offered to someone else cannot be bound. */
	KUNIT_ASSERT_EQ(test, ec_alloc(t->a, t->a_id, &pa), 0);
	KUNIT_EXPECT_EQ(test, ec_bind(t->b, t->a_id, pa, &pb), -EINVAL);
	KUNIT_EXPECT_EQ(test, ec_bind(t->b, t->a_id, 4000, &pb), -EINVAL);

	/* bind_vcpu: a has one vCPU */
	KUNIT_EXPECT_EQ(test, pvio_event_channel_op(t->a, EVTCHNOP_bind_vcpu,
						    &bv), -ENOENT);
	bv.vcpu = 0;
	bv.port = 300;
	KUNIT_EXPECT_EQ(test, pvio_event_channel_op(t->a, EVTCHNOP_bind_vcpu,
						    &bv), -EINVAL);

	/* PIRQs not mapped to us, out of range */
	KUNIT_EXPECT_EQ(test, pvio_event_channel_op(t->a, EVTCHNOP_bind_pirq,
						    &bp), -EPERM);
	bp.pirq = 100000;
	KUNIT_EXPECT_EQ(test, pvio_event_channel_op(t->a, EVTCHNOP_bind_pirq,
						    &bp), -EINVAL);

	/* FIFO ABI and unknown commands */
	for (cmd = EVTCHNOP_init_control; cmd <= EVTCHNOP_set_priority; cmd++)
		KUNIT_EXPECT_EQ(test, pvio_event_channel_op(t->a, cmd, &st),
				-XEN_ENOSYS);
	KUNIT_EXPECT_EQ(test, pvio_event_channel_op(t->a, 99, &st), -XEN_ENOSYS);
	KUNIT_EXPECT_EQ(test, pvio_sched_op(t->a, 99, NULL), -XEN_ENOSYS);
	KUNIT_EXPECT_EQ(test, pvio_physdev_op(t->a, 99, NULL), -XEN_ENOSYS);
}

static void ec_virq(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct evtchn_bind_virq bv = { .virq = VIRQ_DEBUG, .vcpu = 0 };
	struct evtchn_bind_vcpu bvc;
	struct evtchn_status st;
	evtchn_port_t port;

	KUNIT_ASSERT_EQ(test, pvio_event_channel_op(t->b, EVTCHNOP_bind_virq,
						    &bv), 0);
	port = bv.port;
	KUNIT_EXPECT_EQ(test, pvio_event_channel_op(t->b, EVTCHNOP_bind_virq,
						    &bv), -EEXIST);
	KUNIT_ASSERT_EQ(test, ec_status(t->b, DOMID_SELF, port, &st), 0);
	KUNIT_EXPECT_EQ(test, st.status, (u32)EVTCHNSTAT_virq);
	KUNIT_EXPECT_EQ(test, st.u.virq, (u32)VIRQ_DEBUG);

	/* Per-vCPU VIRQ: bound separately on vCPU 1, not movable. */
	bv.vcpu = 1;
	KUNIT_ASSERT_EQ(test, pvio_event_channel_op(t->b, EVTCHNOP_bind_virq,
						    &bv), 0);
	KUNIT_ASSERT_EQ(test, ec_status(t->b, DOMID_SELF, bv.port, &st), 0);
	KUNIT_EXPECT_EQ(test, st.vcpu, 1U);
	bvc.port = bv.port;
	bvc.vcpu = 0;
	KUNIT_EXPECT_EQ(test, pvio_event_channel_op(t->b, EVTCHNOP_bind_vcpu,
						    &bvc), -EINVAL);

	bv.vcpu = 2;
	KUNIT_EXPECT_EQ(test, pvio_event_channel_op(t->b, EVTCHNOP_bind_virq,
						    &bv), -ENOENT);
	bv.virq = NR_VIRQS;
	bv.vcpu = 0;
	KUNIT_EXPECT_EQ(test, pvio_event_channel_op(t->b, EVTCHNOP_bind_virq,
						    &bv), -EINVAL);
	/* Global VIRQs: vCPU 0 only, and only for the control domain. */
	bv.virq = VIRQ_DOM_EXC;
	bv.vcpu = 1;
	KUNIT_EXPECT_EQ(test, pvio_event_channel_op(t->b, EVTCHNOP_bind_virq,
						    &bv), -EINVAL);
	bv.vcpu = 0;
	KUNIT_EXPECT_EQ(test, pvio_event_channel_op(t->b, EVTCHNOP_bind_virq,
						    &bv), -EBUSY);

	/* Close and re-bind */
	KUNIT_ASSERT_EQ(test, ec_close(t->b, port), 0);
	bv.virq = VIRQ_DEBUG;
	KUNIT_EXPECT_EQ(test, pvio_event_channel_op(t->b, EVTCHNOP_bind_virq,
						    &bv), 0);
	KUNIT_EXPECT_EQ(test, bv.port, port);
	/* A VIRQ port cannot be used to send. */
	KUNIT_EXPECT_EQ(test, ec_send(t->b, port), -EINVAL);
}

static void ec_ipi(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct evtchn_bind_ipi bi = { .vcpu = 1 };
	struct evtchn_bind_vcpu bvc;
	struct evtchn_status st;

	KUNIT_ASSERT_EQ(test, pvio_event_channel_op(t->b, EVTCHNOP_bind_ipi,
						    &bi), 0);
	KUNIT_ASSERT_EQ(test, ec_status(t->b, DOMID_SELF, bi.port, &st), 0);
	KUNIT_EXPECT_EQ(test, st.status, (u32)EVTCHNSTAT_ipi);
	KUNIT_EXPECT_EQ(test, st.vcpu, 1U);
	ec_mask(t->b, bi.port, false);
	ec_quiesce(t->b);
	KUNIT_EXPECT_EQ(test, ec_send(t->b, bi.port), 0);
	KUNIT_EXPECT_TRUE(test, ec_pending(t->b, bi.port));
	KUNIT_EXPECT_TRUE(test, ec_wait_calls(1, 1, 1));
	bvc.port = bi.port;
	bvc.vcpu = 0;
	KUNIT_EXPECT_EQ(test, pvio_event_channel_op(t->b, EVTCHNOP_bind_vcpu,
						    &bvc), -EINVAL);
	bi.vcpu = 2;
	KUNIT_EXPECT_EQ(test, pvio_event_channel_op(t->b, EVTCHNOP_bind_ipi,
						    &bi), -ENOENT);
}

/* bind_vcpu moves delivery to the other vCPU's selector and upcall. */
static void ec_bind_vcpu(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct shared_info *sb = pvio_domain_shared_info(t->b);
	struct evtchn_bind_vcpu bvc;
	struct evtchn_status st;
	evtchn_port_t pa, pb;

	ec_pair(test, &pa, &pb);
	bvc.port = pb;
	bvc.vcpu = 1;
	KUNIT_ASSERT_EQ(test, pvio_event_channel_op(t->b, EVTCHNOP_bind_vcpu,
						    &bvc), 0);
	KUNIT_ASSERT_EQ(test, ec_status(t->b, DOMID_SELF, pb, &st), 0);
	KUNIT_EXPECT_EQ(test, st.vcpu, 1U);

	ec_mask(t->b, pb, false);
	clear_bit(pb, bm(sb->evtchn_pending));
	ec_quiesce(t->b);
	KUNIT_ASSERT_EQ(test, ec_send(t->a, pa), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sb->vcpu_info[0].evtchn_pending_sel),
			0UL);
	KUNIT_EXPECT_TRUE(test, test_bit(pb / EVT_BITS,
					 bm(&sb->vcpu_info[1].evtchn_pending_sel)));
	KUNIT_EXPECT_TRUE(test, ec_wait_calls(1, 1, 1));
}

/* reset closes every port of the domain; peers go back to unbound. */
static void ec_reset(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct evtchn_reset reset = { .dom = DOMID_SELF };
	struct evtchn_bind_ipi bi = { .vcpu = 0 };
	struct evtchn_status st;
	evtchn_port_t pa, pb, pb2;

	ec_pair(test, &pa, &pb);
	KUNIT_ASSERT_EQ(test, ec_alloc(t->b, t->a_id, &pb2), 0);
	KUNIT_ASSERT_EQ(test, pvio_event_channel_op(t->b, EVTCHNOP_bind_ipi,
						    &bi), 0);
	KUNIT_ASSERT_EQ(test, pvio_event_channel_op(t->b, EVTCHNOP_reset,
						    &reset), 0);
	KUNIT_ASSERT_EQ(test, ec_status(t->b, DOMID_SELF, pb, &st), 0);
	KUNIT_EXPECT_EQ(test, st.status, (u32)EVTCHNSTAT_closed);
	KUNIT_ASSERT_EQ(test, ec_status(t->b, DOMID_SELF, pb2, &st), 0);
	KUNIT_EXPECT_EQ(test, st.status, (u32)EVTCHNSTAT_closed);
	KUNIT_ASSERT_EQ(test, ec_status(t->b, DOMID_SELF, bi.port, &st), 0);
	KUNIT_EXPECT_EQ(test, st.status, (u32)EVTCHNSTAT_closed);
	KUNIT_ASSERT_EQ(test, ec_status(t->a, DOMID_SELF, pa, &st), 0);
	KUNIT_EXPECT_EQ(test, st.status, (u32)EVTCHNSTAT_unbound);
	KUNIT_EXPECT_EQ(test, st.u.unbound.dom, t->b_id);
	/* dom0 may reset and inspect a domU */
	reset.dom = t->a_id;
	KUNIT_EXPECT_EQ(test, pvio_event_channel_op(pvio_dom0(), EVTCHNOP_reset,
						    &reset), 0);
	KUNIT_ASSERT_EQ(test, ec_status(pvio_dom0(), t->a_id, pa, &st), 0);
	KUNIT_EXPECT_EQ(test, st.status, (u32)EVTCHNSTAT_closed);
}

/* events_sent on the sender, events_delivered on the receiver. */
static void ec_counters(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct pvio_domain_stats *st;
	evtchn_port_t pa, pb;
	int i;

	st = kunit_kcalloc(test, 4, sizeof(*st), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st);
	ec_pair(test, &pa, &pb);
	pvio_domain_get_stats(t->a, &st[0]);
	pvio_domain_get_stats(t->b, &st[1]);
	for (i = 0; i < 5; i++) {
		clear_bit(pb, bm(pvio_domain_shared_info(t->b)->evtchn_pending));
		KUNIT_ASSERT_EQ(test, ec_send(t->a, pa), 0);
	}
	pvio_domain_get_stats(t->a, &st[2]);
	pvio_domain_get_stats(t->b, &st[3]);
	KUNIT_EXPECT_EQ(test, st[2].events_sent - st[0].events_sent, 5ULL);
	KUNIT_EXPECT_EQ(test, st[3].events_delivered - st[1].events_delivered,
			5ULL);
}

/* Destroying a peer returns our end to unbound (and the send is dropped). */
static void ec_peer_destroyed(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct evtchn_status st;
	evtchn_port_t pa, pb;

	ec_pair(test, &pa, &pb);
	pvio_domain_set_upcall(t->b, NULL);
	KUNIT_ASSERT_EQ(test, pvio_domain_destroy(t->b_id), 0);
	t->b_gone = true;
	KUNIT_ASSERT_EQ(test, ec_status(t->a, DOMID_SELF, pa, &st), 0);
	KUNIT_EXPECT_EQ(test, st.status, (u32)EVTCHNSTAT_unbound);
	KUNIT_EXPECT_EQ(test, ec_send(t->a, pa), 0);
}

/* Ports fill up to 4095 (port 0 reserved), then -ENOSPC. */
static void ec_port_exhaustion(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	evtchn_port_t p;
	int i, rc = 0;

	for (i = 1; i < EVTCHN_2L_NR_CHANNELS; i++) {
		rc = ec_alloc(t->a, t->b_id, &p);
		if (rc)
			break;
	}
	KUNIT_EXPECT_EQ(test, rc, 0);
	KUNIT_EXPECT_EQ(test, p, EVTCHN_2L_NR_CHANNELS - 1);
	KUNIT_EXPECT_EQ(test, ec_alloc(t->a, t->b_id, &p), -ENOSPC);
	KUNIT_EXPECT_EQ(test, ec_send(t->a, 4095), 0);	/* unbound: dropped */
}

static void ec_sched_poll(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct sched_poll poll = { .nr_ports = 1 };
	evtchn_port_t pa, pb, ports[1];
	ktime_t start;
	s64 ms;

	ec_pair(test, &pa, &pb);
	ports[0] = pb;
	set_xen_guest_handle(poll.ports, ports);

	/* Pending (bind set it): returns at once. */
	KUNIT_EXPECT_TRUE(test, ec_pending(t->b, pb));
	poll.timeout = 0;
	KUNIT_EXPECT_EQ(test, pvio_sched_op(t->b, SCHEDOP_poll, &poll), 0);

	/* Not pending: the timeout (absolute ns) ends it. */
	clear_bit(pb, bm(pvio_domain_shared_info(t->b)->evtchn_pending));
	start = ktime_get();
	poll.timeout = ktime_to_ns(start) + 50 * NSEC_PER_MSEC;
	KUNIT_EXPECT_EQ(test, pvio_sched_op(t->b, SCHEDOP_poll, &poll), 0);
	ms = ktime_ms_delta(ktime_get(), start);
	KUNIT_EXPECT_GE(test, ms, 49LL);

	/* Bad arguments */
	ports[0] = 4096;
	KUNIT_EXPECT_EQ(test, pvio_sched_op(t->b, SCHEDOP_poll, &poll), -EINVAL);
	poll.nr_ports = 129;
	KUNIT_EXPECT_EQ(test, pvio_sched_op(t->b, SCHEDOP_poll, &poll), -EINVAL);
}

/* block returns at once when an event is already pending for the vCPU. */
static void ec_sched_block_pending(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct shared_info *sa = pvio_domain_shared_info(t->a);

	WRITE_ONCE(sa->vcpu_info[0].evtchn_upcall_mask, 1);
	WRITE_ONCE(sa->vcpu_info[0].evtchn_upcall_pending, 1);
	KUNIT_EXPECT_EQ(test, pvio_sched_op(t->a, SCHEDOP_block, NULL), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sa->vcpu_info[0].evtchn_upcall_mask), 0);
	KUNIT_EXPECT_EQ(test, pvio_sched_op(t->a, SCHEDOP_yield, NULL), 0);
}

/* shutdown: reason checked; dom0's VIRQ_DOM_EXC port goes pending. */
static void ec_sched_shutdown(struct kunit *test)
{
	struct pvio_test_doms *t = test->priv;
	struct evtchn_bind_virq bv = { .virq = VIRQ_DOM_EXC, .vcpu = 0 };
	struct sched_shutdown sd = { .reason = SHUTDOWN_MAX + 1 };
	struct pvio_domain *dom0 = pvio_dom0();
	bool have_port;
	int rc;

	KUNIT_EXPECT_EQ(test, pvio_sched_op(t->a, SCHEDOP_shutdown, &sd),
			-EINVAL);
	rc = pvio_event_channel_op(dom0, EVTCHNOP_bind_virq, &bv);
	have_port = rc == 0;
	if (!have_port)
		KUNIT_EXPECT_EQ(test, rc, -EEXIST);	/* someone else's */
	else
		clear_bit(bv.port,
			  bm(pvio_domain_shared_info(dom0)->evtchn_pending));

	sd.reason = SHUTDOWN_poweroff;
	KUNIT_EXPECT_EQ(test, pvio_sched_op(t->a, SCHEDOP_shutdown, &sd), 0);
	if (have_port) {
		KUNIT_EXPECT_TRUE(test, ec_pending(dom0, bv.port));
		KUNIT_EXPECT_EQ(test, ec_close(dom0, bv.port), 0);
	}
}

static struct kunit_case pvio_hv_event_channel_cases[] = {
	KUNIT_CASE(ec_state_transitions),
	KUNIT_CASE(ec_early_send_not_lost),
	KUNIT_CASE(ec_masked_then_unmask),
	KUNIT_CASE(ec_send_unbound_dropped),
	KUNIT_CASE(ec_errors),
	KUNIT_CASE(ec_virq),
	KUNIT_CASE(ec_ipi),
	KUNIT_CASE(ec_bind_vcpu),
	KUNIT_CASE(ec_reset),
	KUNIT_CASE(ec_counters),
	KUNIT_CASE(ec_peer_destroyed),
	KUNIT_CASE(ec_port_exhaustion),
	KUNIT_CASE(ec_sched_poll),
	KUNIT_CASE(ec_sched_block_pending),
	KUNIT_CASE(ec_sched_shutdown),
	{}
};

static struct kunit_suite pvio_hv_event_channel_suite = {
	.name = "pvio_hv_event_channel",
	.init = ec_init,
	.exit = ec_exit,
	.test_cases = pvio_hv_event_channel_cases,
};

kunit_test_suite(pvio_hv_event_channel_suite);
