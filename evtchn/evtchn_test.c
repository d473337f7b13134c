// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvio_evtchn: the guest side of event channels. Two domUs
 * bind an interdomain channel through pvio-evtchn; events reach the
 * handler through the upcall and are counted on the port's Dynamic-irq
 * line; masked delivery, affinity, late-EOI spurious backoff and a
 * threaded late-EOI handler (the port masked until the thread's EOI).
 *
 * KUnit suite pvio_evtchn_faults: the same binding while allocations fail
 * at random (include/pvio/fault_inject.h). Both create their two domains
 * with pvio_test_create_pair() (include/pvio/kunit_pair.h).
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <pvio/evtchn.h>
#include <pvio/fault_inject.h>
#include <pvio/kunit_pair.h>

struct evt_side {
	atomic_t calls;
	unsigned long last_jiffies;
	int irq;
};

struct evt_test {
	struct pvio_domain *a, *b;
	domid_t a_id, b_id;
	evtchn_port_t pa;
	struct evt_side sa, sb;
};

static irqreturn_t evt_handler(int irq, void *dev_id)
{
	struct evt_side *s = dev_id;

	WRITE_ONCE(s->last_jiffies, jiffies);
	atomic_inc(&s->calls);
	return IRQ_HANDLED;
}

/* Wait up to 3 s for @count to reach @n. */
static bool evt_wait_count(atomic_t *count, int n)
{
	unsigned long end = jiffies + 3 * HZ;

	while (atomic_read(count) < n) {
		if (time_after(jiffies, end))
			return false;
		usleep_range(200, 500);
	}
	return true;
}

static bool evt_wait(struct evt_side *s, int n)
{
	return evt_wait_count(&s->calls, n);
}

/* The Dynamic-irq line's count, summed over CPUs (/proc/interrupts). */
static unsigned int evt_irq_count(unsigned int irq, int only_cpu)
{
	struct irq_data *data = irq_get_irq_data(irq);
	struct irq_desc *desc;
	unsigned int sum = 0;
	int cpu;

	if (!data)
		return 0;
	desc = irq_data_to_desc(data);
	for_each_possible_cpu(cpu)
		if (only_cpu < 0 || cpu == only_cpu)
			sum += *per_cpu_ptr(desc->kstat_irqs, cpu);
	return sum;
}

static int evt_init(struct kunit *test)
{
	struct evt_test *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_EQ(test, pvio_test_create_pair(test, false,
						    "kunit-evt-a", 1,
						    "kunit-evt-b", 2,
						    &t->a, &t->b), 0);
	t->a_id = pvio_domain_id(t->a);
	t->b_id = pvio_domain_id(t->b);
	test->priv = t;
	return 0;
}

static void evt_exit(struct kunit *test)
{
	struct evt_test *t = test->priv;

	if (!t)
		return;
	if (t->sb.irq > 0)
		pvio_unbind_from_irqhandler(t->sb.irq, &t->sb);
	if (t->sa.irq > 0)
		pvio_unbind_from_irqhandler(t->sa.irq, &t->sa);
	KUNIT_EXPECT_EQ(test, pvio_domain_destroy(t->b_id), 0);
	KUNIT_EXPECT_EQ(test, pvio_domain_destroy(t->a_id), 0);
}

static int evt_bind_b(struct evt_test *t, bool lateeoi)
{
	const char *name = "kunit-evt-b";

	if (lateeoi)
		return pvio_bind_interdomain_evtchn_to_irqhandler_lateeoi(t->b,
			t->a_id, t->pa, evt_handler, 0, name, &t->sb);
	return pvio_bind_interdomain_evtchn_to_irqhandler(t->b, t->a_id, t->pa,
							  evt_handler, 0, name,
							  &t->sb);
}

/* a: unbound port bound to an IRQ; b: interdomain bind (plain or late EOI). */
static void evt_connect(struct kunit *test, bool lateeoi)
{
	struct evt_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, pvio_alloc_unbound_evtchn(t->a, t->b_id, &t->pa),
			0);
	t->sa.irq = pvio_bind_evtchn_to_irqhandler(t->a, t->pa, evt_handler, 0,
						   "kunit-evt-a", &t->sa);
	KUNIT_ASSERT_GT(test, t->sa.irq, 0);
	t->sb.irq = evt_bind_b(t, lateeoi);
	KUNIT_ASSERT_GT(test, t->sb.irq, 0);
	/* bind_interdomain starts pending: the handler runs once. */
	KUNIT_ASSERT_TRUE(test, evt_wait(&t->sb, 1));
}

static void evt_interdomain_delivery(struct kunit *test)
{
	struct evt_test *t = test->priv;
	struct irq_data *data;
	unsigned int before;
	int i, n;

	evt_connect(test, false);
	data = irq_get_irq_data(t->sb.irq);
	KUNIT_ASSERT_NOT_NULL(test, data);
	KUNIT_EXPECT_STREQ(test, irq_data_get_irq_chip(data)->name,
			   "Dynamic-irq");
	KUNIT_EXPECT_EQ(test, pvio_evtchn_from_irq(t->sa.irq), t->pa);

	n = atomic_read(&t->sb.calls);
	before = evt_irq_count(t->sb.irq, -1);
	for (i = 1; i <= 10; i++) {
		KUNIT_ASSERT_EQ(test, pvio_notify_remote_via_evtchn(t->a, t->pa),
				0);
		KUNIT_ASSERT_TRUE(test, evt_wait(&t->sb, n + i));
	}
	KUNIT_EXPECT_EQ(test, evt_irq_count(t->sb.irq, -1) - before, 10U);

	/* The other way, by IRQ. */
	n = atomic_read(&t->sa.calls);
	pvio_notify_remote_via_irq(t->sb.irq);
	KUNIT_EXPECT_TRUE(test, evt_wait(&t->sa, n + 1));
}

/* An event sent while the IRQ is disabled is delivered when enabled. */
static void evt_masked_delivery(struct kunit *test)
{
	struct evt_test *t = test->priv;
	int n;

	evt_connect(test, false);
	n = atomic_read(&t->sb.calls);
	disable_irq(t->sb.irq);
	KUNIT_ASSERT_EQ(test, pvio_notify_remote_via_evtchn(t->a, t->pa), 0);
	msleep(50);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->sb.calls), n);
	enable_irq(t->sb.irq);
	KUNIT_EXPECT_TRUE(test, evt_wait(&t->sb, n + 1));
}

/* Domain @d's EVTCHNOP hypercalls so far (pvio/domains' counters). */
static u64 evt_hypercalls(struct pvio_domain *d)
{
	struct pvio_domain_stats st;

	pvio_domain_get_stats(d, &st);
	return st.hypercalls[__HYPERVISOR_event_channel_op];
}

/*
 * Unmasking a port with nothing pending is a write to shared_info, no
 * hypercall (Linux's evtchn_2l_unmask()); with an event pending it is
 * EVTCHNOP_unmask, which redelivers it. disable_irq() masks the port at
 * once (IRQ_DISABLE_UNLAZY): a lazy disable would leave it unmasked, and
 * whether the upcall (on whichever CPU runs vCPU 0) then took the event
 * before enable_irq() or after would decide which path unmasks it.
 */
static void evt_unmask_hypercall(struct kunit *test)
{
	struct evt_test *t = test->priv;
	u64 before;
	int n;

	evt_connect(test, false);
	irq_set_status_flags(t->sb.irq, IRQ_DISABLE_UNLAZY);
	n = atomic_read(&t->sb.calls);
	disable_irq(t->sb.irq);
	before = evt_hypercalls(t->b);
	enable_irq(t->sb.irq);
	KUNIT_EXPECT_EQ(test, evt_hypercalls(t->b), before);

	disable_irq(t->sb.irq);
	KUNIT_ASSERT_EQ(test, pvio_notify_remote_via_evtchn(t->a, t->pa), 0);
	before = evt_hypercalls(t->b);
	enable_irq(t->sb.irq);
	KUNIT_EXPECT_EQ(test, evt_hypercalls(t->b), before + 1);
	KUNIT_EXPECT_TRUE(test, evt_wait(&t->sb, n + 1));
	irq_clear_status_flags(t->sb.irq, IRQ_DISABLE_UNLAZY);
}

/* Affinity follows EVTCHNOP_bind_vcpu; counts land on the new CPU. */
static void evt_affinity(struct kunit *test)
{
	struct evt_test *t = test->priv;
	struct evtchn_status st;
	unsigned int cpu1, before;
	int n;

	cpu1 = pvio_vcpu_cpu(t->b, 1);
	if (cpu1 == pvio_vcpu_cpu(t->b, 0) || !cpu_online(cpu1))
		kunit_skip(test, "vCPUs 0 and 1 share a CPU");
	evt_connect(test, false);
	KUNIT_ASSERT_EQ(test, irq_set_affinity(t->sb.irq, cpumask_of(cpu1)), 0);
	st.dom = DOMID_SELF;
	st.port = pvio_evtchn_from_irq(t->sb.irq);
	KUNIT_ASSERT_EQ(test, pvio_event_channel_op(t->b, EVTCHNOP_status, &st),
			0);
	KUNIT_EXPECT_EQ(test, st.vcpu, 1U);

	n = atomic_read(&t->sb.calls);
	before = evt_irq_count(t->sb.irq, cpu1);
	KUNIT_ASSERT_EQ(test, pvio_notify_remote_via_evtchn(t->a, t->pa), 0);
	KUNIT_ASSERT_TRUE(test, evt_wait(&t->sb, n + 1));
	KUNIT_EXPECT_EQ(test, evt_irq_count(t->sb.irq, cpu1) - before, 1U);
}

/*
 * Late EOI: the port stays masked until pvio_irq_lateeoi(); spurious EOIs
 * delay the next delivery exponentially; a real EOI resets the backoff.
 */
static void evt_lateeoi_backoff(struct kunit *test)
{
	struct evt_test *t = test->priv;
	unsigned long t0, delay = 0;
	int i, n;

	evt_connect(test, true);

	/* Masked until EOI: a second event waits. */
	n = atomic_read(&t->sb.calls);
	KUNIT_ASSERT_EQ(test, pvio_notify_remote_via_evtchn(t->a, t->pa), 0);
	msleep(30);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->sb.calls), n);
	pvio_irq_lateeoi(t->sb.irq, 0);
	KUNIT_ASSERT_TRUE(test, evt_wait(&t->sb, n + 1));

	/* Spurious EOIs n = 1..7: delays 0, 1, 2, 4, 8, 16, 32 jiffies. */
	for (i = 1; i <= 7; i++) {
		n = atomic_read(&t->sb.calls);
		KUNIT_ASSERT_EQ(test,
				pvio_notify_remote_via_evtchn(t->a, t->pa), 0);
		t0 = jiffies;
		pvio_irq_lateeoi(t->sb.irq, PVIO_EOI_FLAG_SPURIOUS);
		KUNIT_ASSERT_TRUE(test, evt_wait(&t->sb, n + 1));
		delay = READ_ONCE(t->sb.last_jiffies) - t0;
	}
	KUNIT_EXPECT_GE(test, delay, 31UL);

	/* A real EOI resets the backoff. */
	n = atomic_read(&t->sb.calls);
	KUNIT_ASSERT_EQ(test, pvio_notify_remote_via_evtchn(t->a, t->pa), 0);
	t0 = jiffies;
	pvio_irq_lateeoi(t->sb.irq, 0);
	KUNIT_ASSERT_TRUE(test, evt_wait(&t->sb, n + 1));
	KUNIT_EXPECT_LT(test, READ_ONCE(t->sb.last_jiffies) - t0, 16UL);
	pvio_irq_lateeoi(t->sb.irq, 0);
}

/*
 * Threaded late EOI: the hard half wakes the thread; the thread runs in
 * process context (it sleeps here), and the port stays masked until its
 * EOI, so an event sent meanwhile waits and no hard half runs for it.
 */
struct evt_threaded {
	struct evt_side side;
	atomic_t threads;
	bool thread_in_task;
	struct completion release;
};

static irqreturn_t evt_threaded_hard(int irq, void *dev_id)
{
	struct evt_threaded *th = dev_id;

	atomic_inc(&th->side.calls);
	return IRQ_WAKE_THREAD;
}

static irqreturn_t evt_threaded_fn(int irq, void *dev_id)
{
	struct evt_threaded *th = dev_id;

	WRITE_ONCE(th->thread_in_task, in_task());
	atomic_inc(&th->threads);
	/* Bounded: a failed test must not leave free_irq() waiting. */
	wait_for_completion_timeout(&th->release, 3 * HZ);
	pvio_irq_lateeoi(irq, 0);
	return IRQ_HANDLED;
}

static void evt_lateeoi_threaded(struct kunit *test)
{
	struct evt_test *t = test->priv;
	struct evt_threaded *th;
	int irq, n;

	th = kunit_kzalloc(test, sizeof(*th), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, th);
	init_completion(&th->release);
	KUNIT_ASSERT_EQ(test, pvio_alloc_unbound_evtchn(t->a, t->b_id, &t->pa),
			0);
	irq = pvio_bind_evtchn_to_threaded_irqhandler_lateeoi(t->a, t->pa,
							      evt_threaded_hard,
							      evt_threaded_fn,
							      0, "kunit-evt-thr",
							      th);
	KUNIT_ASSERT_GT(test, irq, 0);
	t->sb.irq = pvio_bind_interdomain_evtchn_to_irqhandler(t->b, t->a_id,
							       t->pa,
							       evt_handler, 0,
							       "kunit-evt-b",
							       &t->sb);
	if (t->sb.irq <= 0) {
		complete_all(&th->release);
		pvio_unbind_from_irqhandler(irq, th);
		KUNIT_FAIL(test, "interdomain bind: %d", t->sb.irq);
		t->sb.irq = 0;
		return;
	}

	pvio_notify_remote_via_irq(t->sb.irq);
	KUNIT_EXPECT_TRUE(test, evt_wait(&th->side, 1));
	KUNIT_EXPECT_TRUE(test, evt_wait_count(&th->threads, 1));
	KUNIT_EXPECT_TRUE(test, READ_ONCE(th->thread_in_task));

	/* The thread holds its EOI: a second event waits, masked. */
	n = atomic_read(&th->side.calls);
	pvio_notify_remote_via_irq(t->sb.irq);
	msleep(30);
	KUNIT_EXPECT_EQ(test, atomic_read(&th->side.calls), n);
	KUNIT_EXPECT_EQ(test, atomic_read(&th->threads), 1);

	/* Its EOI unmasks: the event waiting is delivered, hard half first. */
	complete_all(&th->release);
	KUNIT_EXPECT_TRUE(test, evt_wait(&th->side, n + 1));
	KUNIT_EXPECT_TRUE(test, evt_wait_count(&th->threads, 2));

	pvio_unbind_from_irqhandler(irq, th);
}

/* Unbinding closes the port: the peer's port returns to unbound. */
static void evt_unbind_closes(struct kunit *test)
{
	struct evt_test *t = test->priv;
	struct evtchn_status st = { .dom = DOMID_SELF };

	evt_connect(test, false);
	pvio_unbind_from_irqhandler(t->sb.irq, &t->sb);
	t->sb.irq = 0;
	st.port = t->pa;
	KUNIT_ASSERT_EQ(test, pvio_event_channel_op(t->a, EVTCHNOP_status, &st),
			0);
	KUNIT_EXPECT_EQ(test, st.status, (u32)EVTCHNSTAT_unbound);
	KUNIT_EXPECT_EQ(test, pvio_notify_remote_via_evtchn(t->a, t->pa), 0);

	/* And the same remote port can be bound again. */
	t->sb.irq = evt_bind_b(t, false);
	KUNIT_EXPECT_GT(test, t->sb.irq, 0);
	if (t->sb.irq < 0)
		t->sb.irq = 0;
}

static struct kunit_case pvio_evtchn_cases[] = {
	KUNIT_CASE(evt_interdomain_delivery),
	KUNIT_CASE(evt_masked_delivery),
	KUNIT_CASE(evt_unmask_hypercall),
	KUNIT_CASE(evt_affinity),
	KUNIT_CASE(evt_lateeoi_backoff),
	KUNIT_CASE(evt_lateeoi_threaded),
	KUNIT_CASE(evt_unbind_closes),
	{}
};

static struct kunit_suite pvio_evtchn_suite = {
	.name = "pvio_evtchn",
	.init = evt_init,
	.exit = evt_exit,
	.test_cases = pvio_evtchn_cases,
};

/* ---- pvio_evtchn_faults ------------------------------------------------ */

#define EVTF_ROUNDS	100

static u32 evtf_port_status(struct pvio_domain *d, evtchn_port_t port)
{
	struct evtchn_status st = { .dom = DOMID_SELF, .port = port };

	if (pvio_event_channel_op(d, EVTCHNOP_status, &st))
		return U32_MAX;
	return st.status;
}

/*
 * One round: two domains with pvio-evtchn attached, a's port and b's
 * interdomain binding each on a Dynamic-irq line, an event each way,
 * unbind and destroy. @inject: a mask of BIT(enum evtf_step), the steps
 * whose allocations may fail: a step then returns -ENOMEM and leaves no
 * IRQ and no port of its own behind. Returns how many steps failed.
 */
enum evtf_step { EVTF_CREATE, EVTF_ALLOC, EVTF_BIND_A, EVTF_BIND_B,
		 EVTF_NR_STEPS };

static unsigned int evtf_round(struct kunit *test, unsigned int inject)
{
	struct evt_test *t;
	unsigned int failed = 0;
	int rc;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	if (pvio_test_create_pair(test, inject & BIT(EVTF_CREATE),
				  "kunit-evtf-a", 1, "kunit-evtf-b", 2, &t->a,
				  &t->b))
		return 1;
	t->a_id = pvio_domain_id(t->a);
	t->b_id = pvio_domain_id(t->b);

	pvio_test_inject(inject & BIT(EVTF_ALLOC));
	rc = pvio_alloc_unbound_evtchn(t->a, t->b_id, &t->pa);
	pvio_test_inject(false);
	if (rc) {
		KUNIT_EXPECT_EQ(test, rc, -ENOMEM);
		failed++;
		goto out_b;
	}
	pvio_test_inject(inject & BIT(EVTF_BIND_A));
	t->sa.irq = pvio_bind_evtchn_to_irqhandler(t->a, t->pa, evt_handler, 0,
						   "kunit-evtf-a", &t->sa);
	pvio_test_inject(false);
	if (t->sa.irq < 0) {
		KUNIT_EXPECT_EQ(test, t->sa.irq, -ENOMEM);
		/* As documented: the port went with the failed bind. */
		KUNIT_EXPECT_EQ(test, evtf_port_status(t->a, t->pa),
				(u32)EVTCHNSTAT_closed);
		failed++;
		goto out_b;
	}
	pvio_test_inject(inject & BIT(EVTF_BIND_B));
	t->sb.irq = evt_bind_b(t, true);
	pvio_test_inject(false);
	if (t->sb.irq < 0) {
		KUNIT_EXPECT_EQ(test, t->sb.irq, -ENOMEM);
		/* b's half is gone: a's port is offered again. */
		KUNIT_EXPECT_EQ(test, evtf_port_status(t->a, t->pa),
				(u32)EVTCHNSTAT_unbound);
		failed++;
		goto out_irq_a;
	}
	/* Bound: events flow both ways whatever failed before. */
	KUNIT_EXPECT_TRUE(test, evt_wait(&t->sb, 1));
	pvio_irq_lateeoi(t->sb.irq, 0);
	KUNIT_EXPECT_EQ(test, pvio_notify_remote_via_evtchn(t->a, t->pa), 0);
	KUNIT_EXPECT_TRUE(test, evt_wait(&t->sb, 2));
	pvio_irq_lateeoi(t->sb.irq, 0);
	pvio_notify_remote_via_irq(t->sb.irq);
	KUNIT_EXPECT_TRUE(test, evt_wait(&t->sa, 1));
	pvio_unbind_from_irqhandler(t->sb.irq, &t->sb);
out_irq_a:
	pvio_unbind_from_irqhandler(t->sa.irq, &t->sa);
out_b:
	KUNIT_EXPECT_EQ(test, pvio_domain_destroy(t->b_id), 0);
	KUNIT_EXPECT_EQ(test, pvio_domain_destroy(t->a_id), 0);
	return failed;
}

static void evtf_bind_allocations_fail(struct kunit *test)
{
	unsigned int i, failed = 0;

	if (!pvio_test_faults_armed())
		kunit_skip(test, "failslab/fail_page_alloc not armed for this task");
	for (i = 0; i < EVTF_ROUNDS; i++)
		failed += evtf_round(test,
				     pvio_test_inject_steps(i, EVTF_NR_STEPS));
	kunit_info(test, "%u rounds: %u failed as allocations do", EVTF_ROUNDS,
		   failed);
	KUNIT_EXPECT_GT(test, failed, 0U);
	KUNIT_EXPECT_LT(test, failed, (unsigned int)EVTF_ROUNDS);
	/* Nothing the failures left stops a clean round. */
	KUNIT_EXPECT_EQ(test, evtf_round(test, 0), 0U);
}

static struct kunit_case pvio_evtchn_faults_cases[] = {
	KUNIT_CASE(evtf_bind_allocations_fail),
	{}
};

static struct kunit_suite pvio_evtchn_faults_suite = {
	.name = "pvio_evtchn_faults",
	.test_cases = pvio_evtchn_faults_cases,
};

kunit_test_suites(&pvio_evtchn_suite, &pvio_evtchn_faults_suite);

MODULE_DESCRIPTION("KUnit tests of pvio-evtchn");
MODULE_LICENSE("GPL");
