# SPDX-License-Identifier: GPL-2.0
# Raise one kernel report on purpose (tests/report: pvio-report-test.ko),
# for the test of tools/vm's report detection: scripts/check boots this
# once per trigger on the test kernel and expects tools/vm to fail every
# run but the "none" one with the report status (5), naming the kind.
# Not an ordinary check scenario: its own results pass either way.
#
#   tools/vm --kernel test --scenario report --env PVIO_REPORT_TRIGGER=warn
#
# PVIO_REPORT_TRIGGER: none (default), warn, lockdep, kasan or hung.
. /pvio/lib.sh
. /pvio/env

trig=${PVIO_REPORT_TRIGGER:-none}
ko=/pvio/report/pvio-report-test.ko
hung=/proc/sys/kernel/hung_task_timeout_secs

if [ ! -e $ko ]; then
	t_fail "pvio-report-test.ko is in the initramfs"
	t_done; exit
fi
# The hung-task detector reports a task blocked for longer than this.
[ "$trig" = hung ] && [ -e $hung ] && echo 2 >$hung
if insmod $ko trigger="$trig"; then
	t_ok "insmod pvio-report-test trigger=$trig"
else
	t_fail "insmod pvio-report-test trigger=$trig"
	t_done; exit
fi
if [ "$trig" = hung ]; then
	# Two checks of khungtaskd apart, at most 30 s.
	n=300
	while [ $n -gt 0 ] && ! dmesg | grep -q 'blocked for more than'; do
		sleep 0.1; n=$((n - 1))
	done
	[ $n -gt 0 ] && t_ok "the hung-task detector saw the blocked kthread" ||
		t_fail "the hung-task detector saw the blocked kthread"
fi
t_check "rmmod pvio-report-test" rmmod pvio-report-test
t_done
