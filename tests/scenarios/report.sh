# SPDX-License-Identifier: GPL-2.0
# Raise kernel reports on purpose (tests/report: pvio-report-test.ko), for
# the test of tools/vm's report detection: scripts/check boots this on the
# test kernel once with nothing raised (tools/vm must pass it) and once
# with every trigger (tools/vm must fail it with the report status, 5,
# naming each kind). Not an ordinary check scenario: its own results pass
# either way.
#
#   tools/vm --kernel test --scenario report --env PVIO_REPORT_TRIGGER=warn
#
# PVIO_REPORT_TRIGGER: none (default), or one or more of lockdep, warn,
# hung, kasan, comma-separated, raised in that order (a KASAN report turns
# lockdep off: keep it last).
. /pvio/lib.sh
. /pvio/env

ko=/pvio/report/pvio-report-test.ko
hung=/proc/sys/kernel/hung_task_timeout_secs

if [ ! -e $ko ]; then
	t_fail "pvio-report-test.ko is in the initramfs"
	t_done; exit
fi
for trig in $(echo "${PVIO_REPORT_TRIGGER:-none}" | tr , ' '); do
	# The hung-task detector reports a task blocked for longer than this.
	if [ "$trig" = hung ] && [ -e $hung ]; then
		old=$(cat $hung)
		echo 2 >$hung
	fi
	if ! insmod $ko trigger="$trig"; then
		t_fail "insmod pvio-report-test trigger=$trig"
		continue
	fi
	t_ok "insmod pvio-report-test trigger=$trig"
	if [ "$trig" = hung ]; then
		# Two checks of khungtaskd apart; at most 30 s.
		n=300
		while [ $n -gt 0 ] && ! dmesg | grep -q 'blocked for more than'; do
			sleep 0.1; n=$((n - 1))
		done
		[ $n -gt 0 ] && t_ok "the hung-task detector saw the blocked kthread" ||
			t_fail "the hung-task detector saw the blocked kthread"
	fi
	t_check "rmmod pvio-report-test (trigger=$trig)" rmmod pvio-report-test
	[ "$trig" = hung ] && [ -e $hung ] && echo "$old" >$hung
done
t_done
