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
