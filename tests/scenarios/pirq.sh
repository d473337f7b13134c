# SPDX-License-Identifier: GPL-2.0
# pvio-check: test
# pvio-qemu: -device edu
# Events and PIRQs reach dom0 on its Dynamic-irq lines.
# Needs QEMU's edu device for the PIRQ part:
#   tools/vm --kernel test --scenario pirq --qemu-arg -device --qemu-arg edu
# Without it the PIRQ checks are reported as skipped.
. /pvio/lib.sh

p=/sys/module/pvio_edu/parameters
if pvio_load && [ -d $p ]; then
	t_ok "load the pvio modules (pvio-edu included)"
else
	t_fail "load the pvio modules (pvio-edu included)"
	pvio_unload; t_done; exit
fi

# Interdomain events (dom0 loopback), no device needed.
before=$(dynirq_count pvio-evtloop-rx)
t_check "send 10 events over a dom0 loopback channel" sh -c "echo 10 >$p/loop"
after=$(dynirq_count pvio-evtloop-rx)
[ $((after - before)) = 10 ] && t_ok "pvio-evtloop-rx Dynamic-irq line rose by 10" ||
	t_fail "pvio-evtloop-rx Dynamic-irq line rose by 10" "before $before after $after"
[ "$(cat $p/loop_events)" = 10 ] && t_ok "the loopback handler ran 10 times" ||
	t_fail "the loopback handler ran 10 times" "loop_events $(cat $p/loop_events)"

# PIRQ: the edu device's interrupt, owned by the hypervisor, as a dom0 event.
edu=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor)" = 0x1234 ] && [ "$(cat $d/device)" = 0x11e8 ] && edu=$d
done
if [ -z "$edu" ]; then
	for what in "edu bound to a dom0 PIRQ" "10 edu interrupts delivered" \
		    "pvio-edu Dynamic-irq line rose by 10"; do
		T_N=$((T_N + 1)); echo "ok $T_N - $what # SKIP no edu device (-device edu)"
	done
else
	grep -q 'Dynamic-irq.*pvio-edu' /proc/interrupts &&
		t_ok "edu bound to a dom0 PIRQ" ||
		t_fail "edu bound to a dom0 PIRQ" "$(dmesg | grep -i edu | tail -n 3)"
	before=$(dynirq_count pvio-edu)
	t_check "10 edu interrupts delivered" sh -c "echo 10 >$p/trigger"
	after=$(dynirq_count pvio-edu)
	[ $((after - before)) = 10 ] && t_ok "pvio-edu Dynamic-irq line rose by 10" ||
		t_fail "pvio-edu Dynamic-irq line rose by 10" "before $before after $after"
fi
echo "# /proc/interrupts:"
grep -E 'CPU|Dynamic-irq|pvio' /proc/interrupts | sed 's/^/#   /'

t_check "unload the pvio modules" pvio_unload
t_done
