// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-report-test: raise one kernel report on purpose, so that the test
 * of tools/vm's report detection (tests/scenarios/report.sh, run by
 * scripts/check) can show that each kind of report fails the run.
 *
 * Parameter trigger= (read at load):
 *   none     nothing; loads and unloads quietly
 *   warn     WARN(): "WARNING: CPU: N PID: N at ..."
 *   lockdep  takes two mutexes in one order, then in the other: lockdep's
 *            "possible circular locking dependency detected"
 *            (CONFIG_PROVE_LOCKING)
 *   kasan    reads one byte past a 13-byte kmalloc() object: "BUG: KASAN:
 *            slab-out-of-bounds" (CONFIG_KASAN)
 *   hung     a kthread sleeps uninterruptibly until the module is removed:
 *            "INFO: task ... blocked for more than N seconds" once
 *            /proc/sys/kernel/hung_task_timeout_secs have passed
 *            (CONFIG_DETECT_HUNG_TASK)
 * A trigger the running kernel cannot raise fails the load with
 * -EOPNOTSUPP. Nothing here is for a production kernel.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/compiler.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *trigger = "none";
module_param(trigger, charp, 0444);
MODULE_PARM_DESC(trigger, "report to raise at load: none, warn, lockdep, kasan or hung");

static DEFINE_MUTEX(report_lock_a);
static DEFINE_MUTEX(report_lock_b);
static DECLARE_COMPLETION(report_release);
static struct task_struct *report_hung_task;

static void report_lockdep(void)
{
	/* A then B, B then A: never a deadlock here, one thread does both. */
	mutex_lock(&report_lock_a);
	mutex_lock(&report_lock_b);
	mutex_unlock(&report_lock_b);
	mutex_unlock(&report_lock_a);

	mutex_lock(&report_lock_b);
	mutex_lock(&report_lock_a);
	mutex_unlock(&report_lock_a);
	mutex_unlock(&report_lock_b);
}

static int report_kasan(void)
{
	size_t size = 13, i;
	char *p;

	p = kmalloc(size, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	/* One byte past the object (in its slot, poisoned), hidden from the compiler. */
	i = size;
	OPTIMIZER_HIDE_VAR(i);
	pr_info("read past the object: %d\n", READ_ONCE(p[i]));
	kfree(p);
	return 0;
}

static int report_hung_fn(void *unused)
{
	/* TASK_UNINTERRUPTIBLE until the module is removed. */
	wait_for_completion(&report_release);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

static int __init report_init(void)
{
	int ret = 0;

	pr_info("trigger=%s\n", trigger);
	if (sysfs_streq(trigger, "none")) {
		/* nothing */
	} else if (sysfs_streq(trigger, "warn")) {
		WARN(1, "%s: the warning asked for (trigger=warn)\n", KBUILD_MODNAME);
	} else if (sysfs_streq(trigger, "lockdep")) {
		if (!IS_ENABLED(CONFIG_PROVE_LOCKING))
			return -EOPNOTSUPP;
		report_lockdep();
	} else if (sysfs_streq(trigger, "kasan")) {
		if (!IS_ENABLED(CONFIG_KASAN))
			return -EOPNOTSUPP;
		ret = report_kasan();
	} else if (sysfs_streq(trigger, "hung")) {
		if (!IS_ENABLED(CONFIG_DETECT_HUNG_TASK))
			return -EOPNOTSUPP;
		report_hung_task = kthread_run(report_hung_fn, NULL, "pvio-report-hung");
		if (IS_ERR(report_hung_task)) {
			ret = PTR_ERR(report_hung_task);
			report_hung_task = NULL;
		}
	} else {
		pr_err("unknown trigger '%s'\n", trigger);
		ret = -EINVAL;
	}
	return ret;
}

static void __exit report_exit(void)
{
	if (report_hung_task) {
		complete(&report_release);
		kthread_stop(report_hung_task);
	}
}

module_init(report_init);
module_exit(report_exit);
MODULE_DESCRIPTION("pvio: raise a kernel report on purpose (test of tools/vm)");
MODULE_LICENSE("GPL");
