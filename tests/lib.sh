# SPDX-License-Identifier: GPL-2.0
# Helpers for scenario scripts (sourced by tests/scenarios/*.sh inside the
# VM, busybox sh). Results are KTAP-style lines, "ok N - what" or
# "not ok N - what", counted by scripts/check.

T_N=0
T_FAILED=0

# t_ok DESCRIPTION / t_fail DESCRIPTION [DETAIL]
t_ok() { T_N=$((T_N + 1)); echo "ok $T_N - $1"; }
t_fail() {
	T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_N - $1"
	[ -n "${2:-}" ] && echo "# $2"
	return 0
}
# t_check DESCRIPTION COMMAND...: one result from a command's status.
t_check() {
	d=$1; shift
	if out=$("$@" 2>&1); then t_ok "$d"; else t_fail "$d" "$(echo "$out" | tail -n 5)"; fi
}
# t_done: print the plan and return the scenario's status.
t_done() {
	echo "1..$T_N"
	[ "$T_FAILED" = 0 ]
}

# kmod_load NAME [PARAMS]: load a kernel module shipped in the initramfs,
# its dependencies first (modules that are built in are skipped).
kmod_load() {
	m=$1; shift
	[ -s /pvio/kmod/$m ] || { [ -d /sys/module/$m ] && return 0; echo "no module $m" >&2; return 1; }
	n=$(wc -l </pvio/kmod/$m); i=0
	while read -r ko; do
		i=$((i + 1))
		name=$(basename "$ko" .ko | tr - _)
		[ -d /sys/module/$name ] && continue
		if [ $i = $n ]; then insmod "$ko" "$@" || return 1; else insmod "$ko" || return 1; fi
	done </pvio/kmod/$m
}

# pvio_modules [all|notest]: the project's modules in load order.
pvio_modules() {
	while read -r m; do
		case "$m" in *-test) [ "${1:-notest}" = all ] || continue ;; esac
		[ -e /pvio/modules/$m.ko ] && echo "$m"
	done </pvio/modules/order
}

# pvio_load: insmod every non-test module of the project, in order.
pvio_load() {
	for m in $(pvio_modules); do
		insmod /pvio/modules/$m.ko || { echo "insmod $m failed" >&2; return 1; }
	done
}

# pvio_unload: rmmod every loaded pvio module, in reverse order.
pvio_unload() {
	rc=0
	for m in $(pvio_modules all | sed -n '1!G;h;$p'); do
		[ -d /sys/module/$(echo $m | tr - _) ] || continue
		rmmod $m || rc=1
	done
	return $rc
}

# dynirq_count PATTERN: sum of the per-CPU counts of the Dynamic-irq lines
# of /proc/interrupts whose name matches PATTERN.
dynirq_count() {
	awk -v pat="$1" -v ncpu="$(grep -c '^processor' /proc/cpuinfo)" '
		/Dynamic-irq/ && $0 ~ pat { for (i = 2; i <= ncpu + 1; i++) s += $i }
		END { print s + 0 }' /proc/interrupts
}

# wait_for SECONDS COMMAND...: run COMMAND every 0.1 s, its output
# discarded, until it succeeds; after SECONDS one last try with its output
# shown. Returns the status of COMMAND's last run. COMMAND's words are
# expanded once, by the caller: a value to be read again on every try goes
# in quotes through eval (wait_for 5 eval '[ "$(cat F)" = 1 ]') or in a
# function.
wait_for() {
	n=$(($1 * 10)); shift
	while [ $n -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1; n=$((n - 1))
	done
	"$@"
}

# state_is PATH STATE: the store node PATH/state reads STATE.
state_is() { [ "$(pvctl store read "$1/state" 2>/dev/null)" = "$2" ]; }

# ---- dom0's resources -------------------------------------------------
# The bus's resource counters (event channel ports, grant table frames,
# grant mappings), one line per domain, its domid first.
PVIO_RES=/sys/kernel/debug/pvio-bus/resources
# dom0_res: dom0's line of them.
dom0_res() { grep '^0 ' $PVIO_RES 2>/dev/null; }
# res_snapshot: remember dom0's resources (res0) and the number of
# Dynamic-irq lines (irq0), for same_res and t_irqs_back at the end.
res_snapshot() {
	res0=$(dom0_res)
	irq0=$(grep -c Dynamic-irq /proc/interrupts)
}
# same_res: dom0's resources are what res_snapshot saw.
same_res() { [ "$(dom0_res)" = "$res0" ]; }
# t_res_back: one result, dom0's resources back to res0 within 5 s.
t_res_back() {
	wait_for 5 same_res && t_ok "dom0 ports and grant mappings back to what they were" ||
		t_fail "dom0 ports and grant mappings back" "before: $res0 after: $(dom0_res)"
}
# t_irqs_back: one result, as many Dynamic-irq lines as res_snapshot saw.
t_irqs_back() {
	[ "$(grep -c Dynamic-irq /proc/interrupts)" = "$irq0" ] && t_ok "no event channel IRQ left" ||
		t_fail "no event channel IRQ left" "$(grep Dynamic-irq /proc/interrupts)"
}

# ---- block devices ----------------------------------------------------
# bstat DOMID VDEV NAME: counter NAME of blkback's vbd-DOMID-VDEV
# (statistics/ in sysfs), 0 when there is none.
bstat() { cat /sys/bus/pvio-backend/devices/vbd-$1-$2/statistics/$3 2>/dev/null || echo 0; }
# vbd_gone DOMID VDEV: neither end of vbd VDEV of DOMID is on its bus.
vbd_gone() {
	[ ! -e /sys/bus/pvio-frontend/devices/d$1-vbd-$2 ] &&
		[ ! -e /sys/bus/pvio-backend/devices/vbd-$1-$2 ]
}
