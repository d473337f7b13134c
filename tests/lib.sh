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
	[ -n "${2:-}" ] && echo "$2" | sed 's/^/# /'
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

# t_load [MODULE [PARAM=VALUE...]]: load every pvio module, and MODULE
# (kmod_load) when given: one result; the scenario ends if one fails.
t_load() {
	what="load the pvio modules"; [ $# -gt 0 ] && what="$what and $1"
	if pvio_load && { [ $# = 0 ] || kmod_load "$@"; }; then
		t_ok "$what"
	else
		t_fail "$what"; t_done; exit
	fi
}

# t_create NAME [KEY=VALUE...]: pvctl create, the new domid in $domid: one
# result; the scenario ends if no domain was created.
t_create() {
	domid=$(pvctl create "$@")
	[ -n "$domid" ] && { t_ok "pvctl create $* (domid $domid)"; return 0; }
	t_fail "pvctl create $*"; t_done; exit
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

# ---- network -----------------------------------------------------------
# A scenario sets DOM (the domU's name, also its network namespace's), MAC
# (the vif's), FE_IP and BE_IP (the frontend's and dom0's vif's addresses).
# iproute2's ip: busybox's applet runs first in PATH and has no netns.
IP=/usr/sbin/ip
# ns COMMAND...: COMMAND in the domU's network namespace.
ns() { $IP netns exec $DOM "$@"; }
# by_mac MAC: the name of dom0's interface with address MAC.
by_mac() {
	for a in /sys/class/net/*/address; do
		[ "$(cat $a)" = "$1" ] && basename "$(dirname $a)" && return 0
	done
	return 1
}
# iperf_mbps: iperf3's receiver bitrate in Mbit/s, from its text output
# on stdin.
iperf_mbps() { awk '/receiver/ { r = $7; u = $8 } END {
	if (u == "Gbits/sec") r *= 1000; else if (u == "Kbits/sec") r /= 1000
	printf "%.1f\n", r + 0 }'; }
# fe_stat NAME: counter NAME of the frontend's ethtool -S ($ETH, in the
# namespace).
fe_stat() { ns ethtool -S "$ETH" | awk -v k="$1:" '$1 == k { print $2 }'; }
# net_attach DOMID [KEY=VALUE...]: pvctl network-attach DOMID KEY=VALUE...;
# sets devid, VIF (dom0's vif<domid>.<devid>), FE and BE (the frontend's
# and backend's store directories) and ETH (the frontend, found by $MAC).
# Returns 0 when both interfaces exist within 20 s, 1 otherwise.
net_attach() {
	devid=$(pvctl network-attach "$@") || return 1
	VIF=vif$1.$devid
	FE=/local/domain/$1/device/vif/$devid
	BE=/local/domain/0/backend/vif/$1/$devid
	wait_for 20 test -e /sys/class/net/$VIF && wait_for 20 by_mac $MAC || return 1
	ETH=$(by_mac $MAC)
}
# t_net_attach DOMID [KEY=VALUE...]: net_attach as the domain's first vif
# (devid 0): one result; the scenario ends if it fails.
t_net_attach() {
	if net_attach "$@" && [ "$devid" = 0 ]; then
		t_ok "pvctl network-attach $*: devid 0, $VIF (dom0) and $ETH (d$1) exist"
		return 0
	fi
	t_fail "pvctl network-attach $*: devid 0, $VIF and the frontend exist" \
		"devid '$devid'; $(ls /sys/class/net; pvctl network-list $1)"
	t_done; exit
}
# net_fe_up: ETH moved into the namespace (created if it is not there)
# with FE_IP/24, its link up.
net_fe_up() {
	$IP netns list | grep -qw "^$DOM" || $IP netns add $DOM
	$IP link set "$ETH" netns $DOM
	ns $IP link set lo up
	ns $IP addr add $FE_IP/24 dev "$ETH"
	ns $IP link set "$ETH" up
}
# br_up PORT...: dom0's bridge br0 (no STP, no forwarding delay) with
# the PORTs, all links up, BE_IP/24 on br0: a vif bridged as Xen's dom0
# does it.
br_up() {
	$IP link add br0 type bridge
	$IP link set br0 type bridge stp_state 0 forward_delay 0
	for _p in "$@"; do
		$IP link set "$_p" master br0
		$IP link set "$_p" up
	done
	$IP addr add $BE_IP/24 dev br0
	$IP link set br0 up
}
# net_ns_up: net_fe_up, and VIF in dom0's with BE_IP/24, its link up.
net_ns_up() {
	net_fe_up
	$IP addr add $BE_IP/24 dev $VIF
	$IP link set $VIF up
}

# ---- the User-Mode Linux domU (docs/uml-domu.md) -------------------------
# until_ok SECONDS COMMAND...: COMMAND succeeds within SECONDS of the clock
# (wait_for counts sleeps, which take far longer under TCG).
until_ok() {
	_end=$(($(date +%s) + $1)); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 1
	done
}
# UML_S: the start of a UML domU's pvio.run: s NAME COMMAND... runs
# COMMAND between "PVIO-UML-STEP: NAME" and "PVIO-UML-STATUS: <status>" on
# its console (uml_step and uml_step_ok read them back). No double quotes
# anywhere in pvio.run (it is on UML's kernel command line).
UML_S='s() { echo PVIO-UML-STEP: $1; shift; eval $*; echo PVIO-UML-STATUS: $?; };'
# uml_net_steps MAC FE_IP BE_IP: UML's steps for its vif: insmod
# pvio-netfront (step netfront), wait up to 120 s for the interface with
# MAC, give it FE_IP/24 and bring it up (step eth: prints its name; no
# glob: eval $* would expand it too early), then
# wait up to 120 s for the first answer from BE_IP (dom0's end of the vif)
# and ping it 3 times (step ping).
uml_net_steps() {
	printf '%s' ' s netfront insmod /pvio/extra/pvio-netfront.ko;'
	printf '%s' " s eth 'i=0; e=; while [ x\$e = x ] && [ \$i -lt 120 ]; do for d in \$(ls /sys/class/net); do grep -qs $1 /sys/class/net/\$d/address && e=\$d; done; [ x\$e != x ] || sleep 1; i=\$((i + 1)); done; echo \$e; ip link set lo up; ip addr add $2/24 dev \$e && ip link set \$e up';"
	printf '%s' " s ping 'i=0; until ping -c 1 -W 2 $3 >/dev/null 2>&1 || [ \$i -ge 60 ]; do sleep 1; i=\$((i + 1)); done; ping -c 3 -W 5 $3';"
}
# uml_start NAME RUN DISK MAC BE_IP: start a UML domU: pvctl create
# --kernel uml NAME --mem 256, its console in /tmp/NAME.out.raw, RUN its
# pvio.run (timeout PVIO_UML_TIMEOUT, 600 s). Once pvctl's monitor has
# introduced it to dom0's store (its pvio-bus recorded the store ring),
# DISK becomes its xvda (pvctl block-attach) and, if MAC is not empty, it
# gets a vif with MAC (pvctl network-attach) whose dom0 end is UVIF; if
# BE_IP is not empty, UVIF gets BE_IP/24 and goes up. Sets UDOM (its
# domid), UPID (the UML process), UVIF, UML_T (seconds from create to
# domid), UML_BLK and UML_NET (block-attach's and network-attach's
# output), UML_BLK_OK (1 once block-attach succeeded) and UML_WHY (the
# first step that failed, one line). Returns 0 when every step was done.
uml_start() {
	UDOM= UPID= UVIF= UML_BLK= UML_NET= UML_WHY= UML_BLK_OK=
	_t0=$(date +%s)
	UDOM=$(TMPDIR=/tmp pvctl create --kernel uml "$1" --mem 256 \
		--console /tmp/$1.out.raw --run "$2" 2>/tmp/$1.create)
	_rc=$?
	UML_T=$(($(date +%s) - _t0))
	read -r UPID _mon </run/pvio/$1.pid 2>/dev/null
	if [ $_rc != 0 ] || [ -z "$UDOM" ]; then
		UML_WHY="pvctl create --kernel uml $1: exit $_rc: $(head -n 1 /tmp/$1.create)"
		UDOM=; return 1
	fi
	if ! until_ok "${PVIO_UML_TIMEOUT:-600}" pvctl store read /local/domain/$UDOM/name; then
		UML_WHY="pvctl's monitor did not introduce d$UDOM to the store"
		uml_diag "$UPID"
		return 1
	fi
	if ! UML_BLK=$(pvctl block-attach "$UDOM" "$3" xvda 2>&1); then
		UML_WHY="pvctl block-attach $UDOM $3 xvda: $UML_BLK"
		return 1
	fi
	UML_BLK_OK=1
	[ -n "$4" ] || return 0
	if ! UML_NET=$(pvctl network-attach "$UDOM" mac=$4 2>&1); then
		UML_WHY="pvctl network-attach $UDOM mac=$4: $UML_NET"
		return 1
	fi
	UVIF=vif$UDOM.$UML_NET
	if ! until_ok 60 test -e /sys/class/net/$UVIF; then
		UML_WHY="dom0's $UVIF did not appear"
		return 1
	fi
	[ -n "$5" ] || return 0
	$IP addr add $5/24 dev $UVIF && $IP link set $UVIF up || {
		UML_WHY="ip addr add $5/24 dev $UVIF failed"; return 1; }
}
# uml_diag PID: where each host process of the UML domU whose kernel is
# PID (its process group) is, as '# uml-diag:' lines: state, wchan, the
# system call it is in and its dom0 kernel stack; for a UML that stopped.
uml_diag() {
	local f p pg
	[ -n "$1" ] || return 0
	for f in /proc/[0-9]*/stat; do
		p=${f#/proc/}; p=${p%/stat}
		pg=$(sed 's/.*) //' "$f" 2>/dev/null | cut -d' ' -f3)
		[ "$pg" = "$1" ] || continue
		echo "# uml-diag: pid $p $(tr -d '\0' </proc/$p/comm 2>/dev/null)" \
			"$(grep -E '^State' /proc/$p/status 2>/dev/null | tr -s '\t ' ' ')" \
			"wchan $(cat /proc/$p/wchan 2>/dev/null) syscall $(cut -d' ' -f1-3 /proc/$p/syscall 2>/dev/null)"
		sed 's/^/# uml-diag:   /' /proc/$p/stack 2>/dev/null | head -n 12
		# A running one: where in its code (UML's kernel is an ELF
		# program with symbols), when the VM has perf.
		grep -q '^State:.R' /proc/$p/status 2>/dev/null &&
			command -v perf >/dev/null || continue
		grep -E '^Sig(Pnd|Blk|Cgt)|^ShdPnd' /proc/$p/status 2>/dev/null |
			tr -s '\t ' ' ' | sed 's/^/# uml-diag:   /'
		perf record -q -o /tmp/uml-diag.data -p "$p" -- sleep 2 >/dev/null 2>&1 &&
			perf report -q -i /tmp/uml-diag.data --stdio --sort dso,sym 2>/dev/null |
			grep -v '^$' | head -n 30 | sed 's/^/# uml-diag:   perf /'
		# A signal storm (the first caught stop's profile was signal
		# delivery): which signals, sent by whom, in 1 s.
		perf record -q -o /tmp/uml-sig.data -e signal:signal_generate -a \
			-- sleep 1 >/dev/null 2>&1 &&
			perf script -i /tmp/uml-sig.data 2>/dev/null |
			sed -n 's/^ *\([^ ]*\) .*signal_generate: sig=\([0-9]*\) errno=[0-9-]* code=\([0-9-]*\) comm=\([^ ]*\) pid=\([0-9]*\).*/sig \2 code \3 from \1 to \4 \5/p' |
			sort | uniq -c | sort -rn | head -n 8 | sed 's/^/# uml-diag:   1 s of /'
		# A fault loop (the second caught stop: SIGSEGV, SEGV_MAPERR,
		# 12000 a second): where, and at which address.
		perf record -q -o /tmp/uml-pf.data -e exceptions:page_fault_user \
			-p "$p" -- sleep 0.3 >/dev/null 2>&1 &&
			perf script -i /tmp/uml-pf.data -F ip,sym,trace 2>/dev/null |
			sort | uniq -c | sort -rn | head -n 4 | sed 's/^/# uml-diag:   fault /'
	done
}
# uml_step FILE NAME: the output of UML's step NAME in its console FILE
# (\r removed); uml_step_ok FILE NAME: that step exited 0.
uml_step() { sed -n "/^PVIO-UML-STEP: $2\$/,/^PVIO-UML-STATUS: /p" $1 | sed '1d;$d'; }
uml_step_ok() {
	sed -n "/^PVIO-UML-STEP: $2\$/,/^PVIO-UML-STATUS: /p" $1 | tail -n 1 |
		grep -qx 'PVIO-UML-STATUS: 0'
}
# vif_gone DOMID: no vif of DOMID in dom0 (neither its netdev nor its
# backend device).
vif_gone() {
	! ls /sys/class/net/ /sys/bus/pvio-backend/devices/ 2>/dev/null |
		grep -qE "^vif(-$1-|$1\\.)"
}
