# SPDX-License-Identifier: GPL-2.0
# pvio-nic: tap
# The benchmark (make bench) and the main job's measurements (make run, via
# run.sh with PVIO_BENCH_MODE=run): every workload on the split-driver path
# (/dev/xvda through pvio-blkfront/blkback, the vif pair through
# pvio-netfront/netback) and on its native twin (the backing device itself,
# a veth pair), interleaved A B A B in this one boot. Block workloads also
# run on the peers a user could pick instead of a split driver, each over
# its own ramdisk of the same size: dm-linear (a stacked block device),
# NVMe over TCP on loopback (nvmet + nvmet-tcp exporting the ramdisk
# through configfs, nvme-tcp connected with nvme-cli) and NBD (nbd-server
# exporting the ramdisk on loopback, the kernel's nbd client through
# nbd-client). A peer that cannot be set up is "n/a (reason)"; BENCH_PEERS
# (default "dmlinear nvmetcp nbd", "none": no peer) picks them.
#
# The guest only measures. Each run prints a block on the console:
#   PVIO-BENCH-RUN wl=W path=native|pvio rep=N
#   @win <uptime> <cpu line of /proc/stat> | <pvio counters> | <dev ios> | <dyn irqs>
#   @win ... (the same, at the end of the measuring window)
#   @json
#   ...fio or iperf3 JSON, raw...
#   PVIO-BENCH-END rc=N [reason]
# bench/report.py on the host parses the console log into the table, the
# JSON, the chart. A path that is not available prints
#   PVIO-BENCH-NA path=pvio kind=blk|net reason...
# and its rows read "n/a (not available: reason)".
#
# Environment (tools/vm --env): PVIO_BENCH_MODE run|bench, BENCH_PEERS, BENCH_REPS,
# BENCH_RUNTIME (s), BENCH_RAMP (s), NET_TIME (s), DISK_MIB, PVIO_DISK (a
# guest block device to use instead of a ramdisk), IPERF_PORT,
# BENCH_PROFILE (perf record -a over each run's window, perf report after),
# PVIO_BENCH_FAULT (tests of the failure paths: port, midway).
. /pvio/lib.sh
. /pvio/env
# iproute2's ip, not busybox's applet (which the shell may prefer).
ip() { /usr/sbin/ip "$@"; }
mkdir -p /var/run/netns

MODE=${PVIO_BENCH_MODE:-bench}
if [ "$MODE" = run ]; then
	REPS=${BENCH_REPS:-1}
	RT=${BENCH_RUNTIME:-5}; RAMP=${BENCH_RAMP:-1}
	NET_T=${NET_TIME:-10}; NET_O=${NET_OMIT:-1}
	BLK_WL="rr4k sr1m"; NET_WL="tcp1"
else
	REPS=${BENCH_REPS:-5}
	RT=${BENCH_RUNTIME:-10}; RAMP=${BENCH_RAMP:-2}
	NET_T=${NET_TIME:-$RT}; NET_O=${NET_OMIT:-$RAMP}
	BLK_WL=${BENCH_BLK:-"rr4k rr4k2 rw4k lat latpoll sr1m sw1m"}
	NET_WL=${BENCH_NET:-"tcp1 tcp4 tcpR tcp4R udp64 udp64r tcprate tcpnic"}
fi
[ "$BLK_WL" = none ] && BLK_WL=
[ "$NET_WL" = none ] && NET_WL=
PEERS=${BENCH_PEERS:-"dmlinear nvmetcp nbd"}
[ "$PEERS" = none ] && PEERS=
[ -z "$BLK_WL" ] && PEERS=
DISK_MIB=${DISK_MIB:-256}
PORT=${IPERF_PORT:-5201}
# udp64r's offered rate, datagrams of 64 bytes per second (iperf3 -b counts
# payload bits): below what either path drops at, so the row measures
# delivery, not the receiver's overflow (udp64 sends as fast as it can).
UDP_PPS=${BENCH_UDP_PPS:-5000}
# tcprate's limit in Mbit/s (issue #15 item 5): pvio's vif gets Xen's vif
# rate as pvctl network-attach rate=<N>Mb/s writes it (credit_bytes per
# 50000 us in the backend's "rate" node, which netback watches), the veth
# twin Linux's own token bucket (tc tbf, the same bytes per 50 ms as its
# burst) on the sender's device; the row's goal is pvio's goodput within
# 5% of the limit.
RATE_MBIT=${BENCH_RATE_MBIT:-100}
# tcpnic: TCP 1 stream from each path's a side out of a NIC (tools/vm's
# "pvio-nic: tap": virtio-net with scatter-gather, checksum offload and
# TSO, on a tap of the machine running QEMU), as Xen's dom0 bridges a vif
# with a NIC: in netns nicb, bridge br0 holds the NIC, a second vif of the
# domain (pvio) and a veth (native); the server is the iperf3 on that
# machine (PVIO_NIC_HOST, port 5201). The one row whose guest TX is not
# copied by dom0's stack (a socket in dom0 copies a zero-copy skb's
# fragments; a NIC sends them as they are): its profile is the TX path's.
NIC_PORT=5201
RATE_CREDIT=$((RATE_MBIT * 1000000 / 8 / 20))
DOM=
BLK_NA=
NET_NA=
NATIVE_BLK_NA=
NATIVE_NET_NA=
POLL_NA=
XVDA=51712

say() { echo "bench: $*"; }
state_of() { pvctl store read "$1/state" 2>/dev/null || echo "-"; }
one_line() { tr '\n' ' ' | sed 's/  */ /g; s/ $//' | cut -c1-200; }

# ---- measuring window ---------------------------------------------------
# span_of RUNTIME: the CPU window's length inside a run of RUNTIME seconds
# that began its measuring (after the ramp) 1 s ago: to 0.5 s before its end.
span_of() { awk -v r="$1" 'BEGIN { print (r > 2 ? r - 1.5 : r / 2) }'; }
# profile_span SECONDS FILE: wait SECONDS; with BENCH_PROFILE, under a
# system-wide profile into FILE (software clock: TCG has no PMU). It
# costs CPU, so profiled runs are not results.
profile_span() {
	if [ -n "${BENCH_PROFILE:-}" ]; then
		# BENCH_PROFILE=graph: with call chains (heavier still).
		perf record -a $([ "$BENCH_PROFILE" = graph ] && echo -g) -e cpu-clock -F 999 -o "$2" -- sleep "$1" >"$2.err" 2>&1
	else
		sleep "$1"
	fi
}
# profile_text TAG FILE: with BENCH_PROFILE, FILE's report as the text
# block profile:TAG. With cpu-clock, time spent with interrupts off lands
# where they are turned back on (_raw_spin_unlock_irqrestore...). First
# who ran (each thread's share: fio, iperf3, blkback's and netback's
# kthreads, softirqs, idle, a UML domU's processes), then where, then
# (BENCH_PROFILE=graph only: call chains distort a run under TCG) from
# where.
profile_text() {
	[ -n "${BENCH_PROFILE:-}" ] || return 0
	echo "PVIO-BENCH-TEXT profile:$1"
	echo "by thread:"
	perf report -i "$2" --stdio --sort comm --percent-limit 1 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n 12
	echo "by symbol:"
	perf report -i "$2" --stdio --no-children --sort dso,sym --percent-limit 0.5 -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n 40
	if [ "$BENCH_PROFILE" = graph ]; then
		# Each symbol of 2% or more with its call chains, folded
		# (caller;...;symbol), each cut to its last 7 frames.
		echo "call chains (the last 7 frames, folded):"
		perf report -i "$2" --stdio --no-children --sort sym -g folded,0.5,caller --percent-limit 2 2>/dev/null |
			grep -v '^#' | grep -v '^$' |
			awk '/^[0-9.]+% / { n = split($2, a, ";"); c = a[n > 7 ? n - 6 : 1];
				for (i = (n > 7 ? n - 5 : 2); i <= n; i++) c = c ";" a[i];
				print "  " $1 " " c; next } { print }' | head -n 80
	fi
	[ -s "$2" ] || tail -n 3 "$2.err"
	echo "PVIO-BENCH-TEXT end"
}
# win DEVSTAT: one "@win" line: uptime, the aggregate cpu line of
# /proc/stat, the pvio counters summed over domains (hypercalls,
# multicall entries, grant maps, grant copies, events sent, events
# delivered), the I/O count and bytes of DEVSTAT (requests and bytes of a
# /sys/block/X/stat, or packets and bytes both ways of net:NETNS:DEV) and
# the Dynamic-irq interrupts.
win() {
	up=$(cut -d' ' -f1 /proc/uptime)
	cpu=$(grep '^cpu ' /proc/stat)
	ctr=$(pvctl top -b 2>/dev/null | awk 'NR > 1 { for (i = 5; i <= 10; i++) s[i] += $i }
		END { printf "%d %d %d %d %d %d", s[5], s[6], s[7], s[8], s[9], s[10] }')
	case "$1" in
	/sys/block/*) ios=$(awk '{ printf "%.0f %.0f", $1 + $5, ($3 + $7) * 512 }' "$1" 2>/dev/null) ;;
	net:*)	# net:NS:DEV, packets and bytes both ways
		set -- $(echo "$1" | tr : ' ')
		ios=$(ip netns exec "$2" sh -c \
			"cd /sys/class/net/$3/statistics && cat rx_packets tx_packets rx_bytes tx_bytes" 2>/dev/null |
			awk '{ v[NR] = $1 } END { printf "%.0f %.0f", v[1] + v[2], v[3] + v[4] }') ;;
	*) ios="0 0" ;;
	esac
	echo "@win $up | $cpu | ${ctr:-0 0 0 0 0 0} | ${ios:-0 0} | $(dynirq_count .)"
}

# measure WL PATH REP DEVSTAT RAMP RUNTIME OUT -- COMMAND...: run COMMAND
# (which writes its JSON to OUT) in the background, take the window from
# RAMP+1 s to RAMP+RUNTIME-0.5 s, print the block.
RUN_N=0
measure() {
	wl=$1; path=$2; rep=$3; dstat=$4; ramp=$5; rt=$6; out=$7; shift 8
	RUN_N=$((RUN_N + 1))
	echo "PVIO-BENCH-RUN wl=$wl path=$path rep=$rep n=$RUN_N"
	rm -f "$out" /tmp/run.err
	"$@" >/tmp/run.err 2>&1 &
	pid=$!
	sleep $((ramp + 1))
	w0=$(win "$dstat")
	profile_span "$(span_of "$rt")" /tmp/perf.data
	w1=$(win "$dstat")
	# A run still going 30 s after its end is killed (a hung path).
	n=$((rt + 30)); killed=
	while kill -0 $pid 2>/dev/null; do
		[ $n -le 0 ] && { kill -9 $pid 2>/dev/null; killed=1; break; }
		sleep 1; n=$((n - 1))
	done
	# A process stuck in the kernel (a device that never completes its
	# I/O) outlives kill -9: never wait for it, and drop its path.
	n=30
	while [ -n "$killed" ] && kill -0 $pid 2>/dev/null && [ $n -gt 0 ]; do
		sleep 1; n=$((n - 1))
	done
	if [ -n "$killed" ] && kill -0 $pid 2>/dev/null; then
		rc=137; HUNG=1
		echo "hung: still there 30 s after kill -9 (stuck in the kernel); its path is not run again" >>/tmp/run.err
	else
		wait $pid
		rc=$?
	fi
	[ -n "$killed" ] && echo "killed: still running $((rt + 30)) s after the end of its run" >>/tmp/run.err
	echo "$w0"
	echo "$w1"
	echo "@json"
	[ -s "$out" ] && cat "$out"
	echo
	if [ $rc = 0 ] && [ -s "$out" ]; then
		echo "PVIO-BENCH-END rc=0"
	else
		echo "PVIO-BENCH-END rc=$rc $(one_line </tmp/run.err)"
		[ $rc = 0 ] && rc=1
	fi
	profile_text "$wl:$path:$rep" /tmp/perf.data
	if [ "${PVIO_BENCH_FAULT:-}" = midway ] && [ $RUN_N = 3 ]; then
		say "PVIO_BENCH_FAULT=midway: the guest stops here, as a crash would"
		poweroff -f
	fi
	return $rc
}

# ---- block --------------------------------------------------------------
fio_job() {
	case "$1" in
	rr4k) echo "--rw=randread --bs=4k --iodepth=32" ;;
	rr4k2) echo "--rw=randread --bs=4k --iodepth=32 --numjobs=2" ;;
	rw4k) echo "--rw=randwrite --bs=4k --iodepth=32" ;;
	lat) echo "--rw=randread --bs=4k --iodepth=1" ;;
	# polled: io_uring --hipri (after run_fio's --ioengine: the last wins)
	latpoll) echo "--rw=randread --bs=4k --iodepth=1 --ioengine=io_uring --hipri" ;;
	sr1m) echo "--rw=read --bs=1M --iodepth=8" ;;
	sw1m) echo "--rw=write --bs=1M --iodepth=8" ;;
	esac
}
run_fio() {
	wl=$1; path=$2; rep=$3; dev=$4
	bdev=$(basename "$(readlink -f "$dev")")	# /dev/mapper/x -> dm-N
	# shellcheck disable=SC2046
	measure "$wl" "$path" "$rep" "/sys/block/$bdev/stat" "$RAMP" "$RT" /tmp/fio.json -- \
		fio --name="$wl" --filename="$dev" --direct=1 --ioengine=libaio --thread \
		    --time_based --runtime="$RT" --ramp_time="$RAMP" --group_reporting \
		    $(fio_job "$wl") --output-format=json --output=/tmp/fio.json
}

# ---- network ------------------------------------------------------------
# Two netns per path: a (the frontend's side, the iperf3 client) and b
# (the backend's side, the server).
net_pair() {	# NAME DEV_A DEV_B NET
	ip netns add "$1a" && ip netns add "$1b" &&
	ip link set "$2" netns "$1a" && ip link set "$3" netns "$1b" &&
	ip -n "$1a" link set lo up && ip -n "$1b" link set lo up &&
	ip -n "$1a" addr add "$4.2/24" dev "$2" && ip -n "$1b" addr add "$4.1/24" dev "$3" &&
	ip -n "$1a" link set "$2" up && ip -n "$1b" link set "$3" up
}
# reach NS ADDR: NS reaches ADDR (ping, 3 tries).
reach() { ip netns exec "$1" ping -c 3 -W 2 -w 6 "$2" 2>&1 | grep -q ' [1-9][0-9]* packets received'; }
iperf_args() {
	case "$1" in
	tcp1) echo "-P 1" ;;
	tcp4) echo "-P 4" ;;
	tcpR) echo "-P 1 -R" ;;
	tcp4R) echo "-P 4 -R" ;;
	udp64) echo "-u -b 0 -l 64" ;;
	udp64r) echo "-u -b $((UDP_PPS * 64 * 8)) -l 64" ;;
	tcprate|tcpnic) echo "-P 1" ;;
	esac
}
# rate_limit PATH on|off: tcprate's limit on PATH's sending side, set
# before its run and removed after it (native: tbf on veth bva; pvio: the
# vif's "rate" node, then a second for netback's watch to take it, before
# iperf3's first, omitted, second).
rate_limit() {
	case "$1.$2" in
	native.on) ip netns exec vetha /usr/sbin/tc qdisc replace dev bva root tbf \
		rate ${RATE_MBIT}mbit burst $RATE_CREDIT latency 50ms ;;
	native.off) ip netns exec vetha /usr/sbin/tc qdisc del dev bva root 2>/dev/null; true ;;
	pvio.on) pvctl store write /local/domain/0/backend/vif/$DOM/$VIFID/rate "$RATE_CREDIT,50000" && sleep 1 ;;
	pvio.off) pvctl store rm /local/domain/0/backend/vif/$DOM/$VIFID/rate && sleep 1 ;;
	esac
}
port_busy() { ip netns exec "$1" netstat -ltnu 2>/dev/null | awk '{ print $4 }' | grep -q ":$PORT\$"; }
# server NS: start iperf3 -s in NS; a clear reason on failure.
server() {
	if port_busy "$1"; then
		echo "port $PORT is already in use in netns $1 (set IPERF_PORT to another port)"
		return 1
	fi
	ip netns exec "$1" iperf3 -s -p "$PORT" -D -I /tmp/iperf3-$1.pid >/tmp/iperf3-$1.log 2>&1
	wait_for 5 port_busy "$1" || { echo "iperf3 -s -p $PORT in netns $1 did not start: $(one_line </tmp/iperf3-$1.log)"; return 1; }
}
server_stop() { [ -s /tmp/iperf3-$1.pid ] && kill "$(cat /tmp/iperf3-$1.pid)" 2>/dev/null; rm -f /tmp/iperf3-$1.pid; }
# drops NS_A DEV_A NS_B DEV_B: where datagrams can be dropped, as
# "name value" pairs: the sender's qdisc and device, its UDP SndbufErrors,
# the receiver's device and UDP RcvbufErrors/InErrors.
drops() {
	qd=$(ip netns exec "$1" /usr/sbin/tc -s qdisc show dev "$2" 2>/dev/null | awk '/dropped/ { gsub(",", ""); for (i = 1; i <= NF; i++) if ($i == "dropped") n += $(i + 1) } END { print n + 0 }')
	tx=$(ip netns exec "$1" cat /sys/class/net/"$2"/statistics/tx_dropped)
	rx=$(ip netns exec "$3" cat /sys/class/net/"$4"/statistics/rx_dropped)
	snd=$(ip netns exec "$1" awk '/^Udp: [0-9]/ { print $7 }' /proc/net/snmp)
	rcv=$(ip netns exec "$3" awk '/^Udp: [0-9]/ { print $4 " " $6 }' /proc/net/snmp)
	echo "qdisc_dropped $qd tx_dropped $tx SndbufErrors $snd rx_dropped $rx InErrors ${rcv% *} RcvbufErrors ${rcv#* }"
}
# run_iperf WL PATH REP NS PEER net:NS_B:DEV_B DEV_A [PORT]: the client
# in NS (sending through DEV_A) against the server at PEER (on PORT, else
# $PORT) on DEV_B in NS_B.
run_iperf() {
	wl=$1; path=$2; rep=$3; ns=$4; peer=$5; dstat=$6; dev_a=$7; port=${8:-$PORT}
	b=${dstat#net:}; nsb=${b%%:*}; dev_b=${b#*:}
	udp=; case $wl in udp*) udp=1; d0=$(drops "$ns" "$dev_a" "$nsb" "$dev_b") ;; esac
	# shellcheck disable=SC2046
	measure "$wl" "$path" "$rep" "$dstat" "$NET_O" "$NET_T" /tmp/iperf.json -- \
		/usr/sbin/ip netns exec "$ns" iperf3 -c "$peer" -p "$port" -t "$NET_T" -O "$NET_O" \
		    $(iperf_args "$wl") -J --logfile /tmp/iperf.json
	rc=$?
	if [ -n "$udp" ]; then
		d1=$(drops "$ns" "$dev_a" "$nsb" "$dev_b")
		# One comment line: each counter's increase over the run.
		echo "# $wl $path round $rep drops:$(echo "$d0 $d1" | awk '{ n = NF / 2; for (i = 1; i < n; i += 2) printf " %s %d", $i, $(n + i + 1) - $(i + 1) }')"
	fi
	return $rc
}
# offloads DEV NS: the -K settings of DEV's main offloads, "sg on tso off ..."
offloads() {
	ip netns exec "$2" ethtool -k "$1" 2>/dev/null | awk '
		/^scatter-gather:/ { o = o " sg " $2 }
		/^tcp-segmentation-offload:/ { o = o " tso " $2 }
		/^generic-segmentation-offload:/ { o = o " gso " $2 }
		/^generic-receive-offload:/ { o = o " gro " $2 }
		/^tx-checksumming:/ { o = o " tx " $2 }
		/^rx-checksumming:/ { o = o " rx " $2 }
		END { print o }'
}

# The UML domU's workloads (make run; BENCH_UML=1 in make bench): not
# latpoll, UML's xvda has no poll queue, nor tcprate and tcpnic, set up
# on the in-kernel domU's vifs. PVIO-BENCH-META's uml_wl.
UML_RUNS=
if [ "$MODE" = run ] || [ -n "${BENCH_UML:-}" ]; then
	UML_RUNS=$(for w in $BLK_WL $NET_WL; do case $w in latpoll|tcprate|tcpnic) ;; *) echo "$w" ;; esac; done | tr '\n' ' ')
fi

# ---- set-up ---------------------------------------------------------------
echo "PVIO-BENCH-META mode=$MODE profile=${BENCH_PROFILE:-} reps=$REPS runtime=$RT ramp=$RAMP net_time=$NET_T net_omit=$NET_O kernel=$(uname -r) accel=$PVIO_ACCEL vcpus=$(nproc) mem_kib=$(awk '/MemTotal/ { print $2 }' /proc/meminfo) cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //; s/ /_/g') blk_wl=$(echo $BLK_WL | tr ' ' ,) net_wl=$(echo $NET_WL | tr ' ' ,) peers=$(echo $PEERS | tr ' ' ,) port=$PORT udp_pps=$UDP_PPS rate_mbit=$RATE_MBIT uml=$([ -n "$UML_RUNS" ] && echo 1 || echo 0) uml_wl=$(echo $UML_RUNS | tr ' ' ,) params=$(echo ${BENCH_PARAMS:-none} | tr ' ' ,)"

# No transparent huge pages, on every path alike: with fio's buffers in
# THPs, the stock 6.1 kernel's nvmet-tcp target (the NVMe/TCP peer) hit
# "usercopy: Kernel memory exposure attempt detected from page alloc"
# (kernel BUG at mm/usercopy.c:101, in tcp_recvmsg from
# nvmet_tcp_io_work) on a 1M write: a received fragment ran past the
# end of a 2 MiB page, and the guest's I/O on that device hung.
[ -w /sys/kernel/mm/transparent_hugepage/enabled ] &&
	echo never >/sys/kernel/mm/transparent_hugepage/enabled
if [ -n "${BENCH_PROFILE:-}" ]; then
	echo 0 >/proc/sys/kernel/kptr_restrict
	echo -1 >/proc/sys/kernel/perf_event_paranoid
	command -v perf >/dev/null || { say "BENCH_PROFILE: no perf in the guest (apt-get install linux-perf)"; BENCH_PROFILE=; }
fi
dmesg -c >/dev/null
if pvio_load; then t_ok "insmod every pvio module"; else t_fail "insmod every pvio module"; fi
# BENCH_PARAMS: module parameters for an experiment (bench/host.sh)
for p in ${BENCH_PARAMS:-}; do
	f=/sys/module/${p%%.*}/parameters/${p#*.}; f=${f%%=*}
	if echo "${p#*=}" >"$f" 2>/dev/null; then
		echo "# parameter ${p%%=*} = $(cat "$f")"
	else
		t_fail "set the parameter $p" "no writable $f"
	fi
done
echo "# loaded:"
lsmod | grep '^pvio' | sed 's/^/#   /'
echo "# taint: $(cat /proc/sys/kernel/tainted) (out-of-tree modules set O, unsigned ones E)"

# The backing device: a ramdisk, or the disk the host passed (DISK=).
if [ -n "${PVIO_DISK:-}" ]; then
	kmod_load virtio_pci 2>/dev/null
	kmod_load virtio_blk 2>/dev/null
	if wait_for 10 test -b "$PVIO_DISK"; then
		BACK=$PVIO_DISK
		mib=$(( $(cat /sys/block/${BACK#/dev/}/size) / 2048 ))
		t_ok "backing device $BACK (the host's DISK, $mib MiB)"
	else
		NATIVE_BLK_NA="the host's DISK did not appear as $PVIO_DISK"
		t_fail "backing device $PVIO_DISK" "$NATIVE_BLK_NA"
	fi
else
	BACK=/dev/ram0
	if kmod_load brd rd_nr=5 rd_size=$((DISK_MIB * 1024)) && wait_for 5 test -b $BACK &&
	   dd if=/dev/zero of=$BACK bs=1M count="$DISK_MIB" 2>/dev/null; then
		t_ok "backing device $BACK (brd, $DISK_MIB MiB, filled)"
	else
		NATIVE_BLK_NA="brd ramdisk of $DISK_MIB MiB could not be set up"
		t_fail "backing device $BACK" "$NATIVE_BLK_NA"
	fi
fi
[ -n "$NATIVE_BLK_NA" ] && BLK_NA="no backing device"

# ---- the block peers, each on a ramdisk of its own ----------------------
[ -n "${PVIO_DISK:-}" ] && [ -n "$PEERS" ] && PEER_NA_ALL="the host's DISK is the backing device: the peers need ramdisks of their own"
NQN=nqn.2026-11.org.pvio:bench
peer_disk() {	# N: /dev/ramN filled (brd was loaded with enough devices)
	[ -b /dev/ram$1 ] && dd if=/dev/zero of=/dev/ram$1 bs=1M count="$DISK_MIB" 2>/dev/null
}
# The device of a peer, once set up (PEER_DEV_x), or its reason (PEER_NA_x).
setup_dmlinear() {
	peer_disk 1 || { echo "no ramdisk /dev/ram1"; return 1; }
	kmod_load dm_mod >/dev/null 2>&1
	command -v dmsetup >/dev/null || { echo "no dmsetup (make deps installs it)"; return 1; }
	# No udev in the guest: dmsetup makes the node itself.
	out=$(dmsetup create --noudevsync pviobench \
		--table "0 $((DISK_MIB * 2048)) linear /dev/ram1 0" 2>&1) ||
		{ echo "dmsetup create: $(echo "$out" | one_line)"; return 1; }
	dm=$(dmsetup info -c --noheadings -o blkdevname pviobench 2>/dev/null)
	wait_for 5 test -b /dev/$dm || { echo "no /dev/$dm after dmsetup create"; return 1; }
	echo /dev/$dm
}
setup_nvmetcp() {
	peer_disk 2 || { echo "no ramdisk /dev/ram2"; return 1; }
	command -v nvme >/dev/null || { echo "no nvme (nvme-cli; make deps installs it)"; return 1; }
	for m in nvmet nvmet_tcp nvme_tcp; do
		kmod_load $m >/dev/null 2>&1 || { echo "module $m could not be loaded"; return 1; }
	done
	mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
	c=/sys/kernel/config/nvmet
	[ -d $c ] || { echo "no nvmet configfs"; return 1; }
	mkdir $c/subsystems/$NQN && echo 1 >$c/subsystems/$NQN/attr_allow_any_host &&
	mkdir $c/subsystems/$NQN/namespaces/1 &&
	echo -n /dev/ram2 >$c/subsystems/$NQN/namespaces/1/device_path &&
	echo 1 >$c/subsystems/$NQN/namespaces/1/enable &&
	mkdir $c/ports/1 && echo tcp >$c/ports/1/addr_trtype && echo ipv4 >$c/ports/1/addr_adrfam &&
	echo 127.0.0.1 >$c/ports/1/addr_traddr && echo 4420 >$c/ports/1/addr_trsvcid &&
	ln -s $c/subsystems/$NQN $c/ports/1/subsystems/$NQN ||
		{ echo "configuring the nvmet target failed"; return 1; }
	# The namespace's disk (nvmeXnY), not its hidden paths (nvmeXcYnZ).
	nvme_disks() { ls /sys/block | grep -E '^nvme[0-9]+n[0-9]+$'; }
	before=$(nvme_disks | tr '\n' ' ')
	out=$(nvme connect -t tcp -a 127.0.0.1 -s 4420 -n $NQN \
		--hostnqn=nqn.2014-08.org.nvmexpress:uuid:$(cat /proc/sys/kernel/random/uuid) 2>&1) ||
		{ echo "nvme connect: $(echo "$out" | one_line)"; return 1; }
	newnvme() { for d in $(nvme_disks); do case " $before " in *" $d "*) ;; *) echo $d ;; esac; done | head -n 1; }
	has_newnvme() { [ -n "$(newnvme)" ]; }
	wait_for 10 has_newnvme || { echo "no nvme namespace appeared after nvme connect"; return 1; }
	echo /dev/$(newnvme)
}
setup_nbd() {
	peer_disk 3 || { echo "no ramdisk /dev/ram3"; return 1; }
	command -v nbd-server >/dev/null && command -v nbd-client >/dev/null ||
		{ echo "no nbd-server/nbd-client (make deps installs them)"; return 1; }
	kmod_load nbd nbds_max=2 >/dev/null 2>&1 || { echo "module nbd could not be loaded"; return 1; }
	printf '[generic]\nuser = root\ngroup = root\npidfile = /tmp/nbd.pid\n[pviobench]\nexportname = /dev/ram3\n' >/tmp/nbd.conf
	out=$(nbd-server -C /tmp/nbd.conf 2>&1) || { echo "nbd-server: $(echo "$out" | one_line)"; return 1; }
	sleep 1
	out=$(nbd-client 127.0.0.1 10809 /dev/nbd0 -N pviobench -b 4096 2>&1) ||
		{ echo "nbd-client: $(echo "$out" | one_line)"; return 1; }
	wait_for 5 eval '[ "$(cat /sys/block/nbd0/size 2>/dev/null || echo 0)" -gt 0 ]' ||
		{ echo "/dev/nbd0 has no size after nbd-client"; return 1; }
	echo /dev/nbd0
}
for p in $PEERS; do
	if [ -n "${PEER_NA_ALL:-}" ]; then r=$PEER_NA_ALL; ok=
	elif [ -n "$NATIVE_BLK_NA" ]; then r="no ramdisk"; ok=
	elif r=$(setup_$p 2>&1 | tail -n 1) && [ -b "$r" ]; then ok=1
	else ok=; fi
	if [ -n "$ok" ]; then
		eval "PEER_DEV_$p=\$r"
		t_ok "peer $p: $r over its own $DISK_MIB MiB ramdisk"
	else
		eval "PEER_NA_$p=\$r"
		echo "PVIO-BENCH-NA path=$p kind=blk ${r:-set-up failed}"
		echo "ok $((T_N += 1)) - peer $p # SKIP not available: ${r:-set-up failed}"
	fi
done

if kmod_load veth && ip link add bva type veth peer name bvb && net_pair veth bva bvb 10.90.1 &&
   reach vetha 10.90.1.1; then
	t_ok "veth pair between netns vetha and vethb"
else
	NATIVE_NET_NA="veth pair could not be set up"
	t_fail "veth pair" "$NATIVE_NET_NA"
fi

# tcprate's native twin: Linux's token bucket on the veth.
RATE_NATIVE_NA=
if [ -z "$NATIVE_NET_NA" ] && case " $NET_WL " in *" tcprate "*) true ;; *) false ;; esac; then
	if ! kmod_load sch_tbf >/dev/null 2>&1 && [ ! -d /sys/module/sch_tbf ]; then
		RATE_NATIVE_NA="no sch_tbf module (tc tbf)"
	elif ! out=$(rate_limit native on 2>&1); then
		RATE_NATIVE_NA="tc qdisc tbf on bva: $(echo "$out" | one_line)"
	fi
	rate_limit native off
	[ -n "$RATE_NATIVE_NA" ] && echo "PVIO-BENCH-NA path=native kind=net:tcprate $RATE_NATIVE_NA"
fi

# The domain and its devices.
wait_for 5 pvctl store ls /local/domain/0 >/dev/null 2>&1
DOM=$(pvctl create benchdom vcpus=2 2>/tmp/create.err)
if [ -n "$DOM" ]; then
	t_ok "pvctl create benchdom (domid $DOM)"
else
	t_fail "pvctl create benchdom" "$(one_line </tmp/create.err)"
	BLK_NA=${BLK_NA:-"pvctl create failed: $(one_line </tmp/create.err)"}
	NET_NA="pvctl create failed: $(one_line </tmp/create.err)"
fi

if [ -z "$BLK_NA" ]; then
	if [ ! -e /pvio/modules/pvio-blkfront.ko ] || [ ! -e /pvio/modules/pvio-blkback.ko ]; then
		BLK_NA="pvio-blkfront/pvio-blkback are not built yet"
	elif ! out=$(pvctl block-attach "$DOM" "$BACK" xvda 2>&1); then
		BLK_NA="pvctl block-attach $DOM $BACK xvda: $(echo "$out" | one_line)"
	elif ! wait_for 15 test -b /dev/xvda; then
		BLK_NA="/dev/xvda did not appear within 15 s (frontend state $(state_of /local/domain/$DOM/device/vbd/$XVDA), backend $(state_of /local/domain/0/backend/vbd/$DOM/$XVDA))"
	fi
	if [ -z "$BLK_NA" ]; then
		t_ok "pvctl block-attach $DOM $BACK xvda: /dev/xvda"
	else
		echo "ok $((T_N += 1)) - /dev/xvda # SKIP not available: $BLK_NA"
	fi
fi
# The polled QD1 row (latpoll) runs pvio on a second disk, xvdb on
# /dev/ram4, connected with one poll queue (poll_queues=1 while it
# attaches: xvda keeps its interrupt-driven queues for every other row).
POLL_DEV=
if [ -z "$BLK_NA" ] && case " $BLK_WL " in *" latpoll "*) true ;; *) false ;; esac; then
	fp=/sys/module/pvio_blkfront/parameters/poll_queues
	if ! peer_disk 4; then
		POLL_NA="no ramdisk /dev/ram4"
	elif [ ! -w $fp ]; then
		POLL_NA="pvio-blkfront has no poll_queues parameter"
	else
		echo 1 >$fp
		if ! out=$(pvctl block-attach "$DOM" /dev/ram4 xvdb 2>&1); then
			POLL_NA="pvctl block-attach $DOM /dev/ram4 xvdb: $(echo "$out" | one_line)"
		elif ! wait_for 15 test -b /dev/xvdb; then
			POLL_NA="/dev/xvdb did not appear within 15 s"
		elif [ "$(cat /sys/block/xvdb/queue/io_poll 2>/dev/null)" != 1 ]; then
			POLL_NA="xvdb got no poll queue (the backend offers $(pvctl store read /local/domain/0/backend/vbd/$DOM/51728/multi-queue-max-queues 2>/dev/null || echo '?') queues)"
		else
			POLL_DEV=/dev/xvdb
		fi
		echo 0 >$fp
	fi
	if [ -n "$POLL_DEV" ]; then
		t_ok "pvctl block-attach $DOM /dev/ram4 xvdb with a poll queue"
	else
		echo "ok $((T_N += 1)) - /dev/xvdb # SKIP not available: $POLL_NA"
		echo "PVIO-BENCH-NA path=pvio kind=blk:latpoll $POLL_NA"
	fi
fi

if [ -z "$NET_NA" ]; then
	before=$(ls /sys/class/net | tr '\n' ' ')
	newdev() { for d in $(ls /sys/class/net); do case " $before " in *" $d "*) ;; *) case $d in vif*) ;; *) echo $d ;; esac ;; esac; done | head -n 1; }
	has_newdev() { [ -n "$(newdev)" ]; }
	if [ ! -e /pvio/modules/pvio-netfront.ko ] || [ ! -e /pvio/modules/pvio-netback.ko ]; then
		NET_NA="pvio-netfront/pvio-netback are not built yet"
	elif ! VIFID=$(pvctl network-attach "$DOM" 2>/tmp/na.err); then
		NET_NA="pvctl network-attach $DOM: $(one_line </tmp/na.err)"
	elif ! wait_for 15 test -e /sys/class/net/vif$DOM.$VIFID; then
		NET_NA="vif$DOM.$VIFID did not appear within 15 s (frontend state $(state_of /local/domain/$DOM/device/vif/$VIFID), backend $(state_of /local/domain/0/backend/vif/$DOM/$VIFID))"
	elif ! wait_for 15 has_newdev; then
		NET_NA="the domU's netfront device did not appear within 15 s (frontend state $(state_of /local/domain/$DOM/device/vif/$VIFID))"
	else
		FE=$(newdev); VIF=vif$DOM.$VIFID
		if ! net_pair vif "$FE" "$VIF" 10.90.2; then
			NET_NA="could not put $FE and $VIF into netns vifa/vifb"
		fi
	fi
	if [ -z "$NET_NA" ] && ! reach vifa 10.90.2.1; then
		NET_NA="no traffic through the vif pair: ping $FE -> $VIF (10.90.2.1) failed"
	fi
	if [ -z "$NET_NA" ]; then
		t_ok "pvctl network-attach $DOM: $VIF (dom0) and $FE (domU) in netns vifb/vifa"
		# The native twin gets the vif pair's MTU and offloads.
		if [ -z "$NATIVE_NET_NA" ]; then
			ip -n vetha link set bva mtu "$(ip netns exec vifa cat /sys/class/net/$FE/mtu)"
			ip -n vethb link set bvb mtu "$(ip netns exec vifb cat /sys/class/net/$VIF/mtu)"
			ip netns exec vetha ethtool -K bva $(offloads "$FE" vifa) >/dev/null 2>&1
			ip netns exec vethb ethtool -K bvb $(offloads "$VIF" vifb) >/dev/null 2>&1
		fi
	else
		echo "ok $((T_N += 1)) - vif # SKIP not available: $NET_NA"
	fi
fi
# tcpnic's bridge (see NIC_PORT): nic_up sets NIC, VIF2, FE2, or
# prints why not.
NIC_NA=
nic_up() {
	[ -z "${PVIO_NIC_WHY:-}" ] || { echo "no NIC: $PVIO_NIC_WHY"; return 1; }
	[ -n "${PVIO_NIC_HOST:-}" ] || { echo "no NIC (tools/vm gives one with PVIO_VM_NIC=tap)"; return 1; }
	[ -z "$NET_NA" ] && [ -z "$NATIVE_NET_NA" ] || { echo "no vif or no veth pair"; return 1; }
	kmod_load bridge >/dev/null 2>&1 || { echo "module bridge could not be loaded"; return 1; }
	kmod_load virtio_pci >/dev/null 2>&1; kmod_load virtio_net >/dev/null 2>&1
	wait_for 10 by_mac "$PVIO_NIC_MAC" || { echo "no device with the NIC's MAC $PVIO_NIC_MAC"; return 1; }
	NIC=$(by_mac "$PVIO_NIC_MAC")
	# try CMD...: CMD, or why it failed.
	try() { "$@" 2>/tmp/try.err || { echo "$*: $(one_line </tmp/try.err)"; return 1; }; }
	try ip netns add nicb && try ip -n nicb link set lo up && try ip link set "$NIC" netns nicb &&
	try ip -n nicb link add br0 type bridge && try ip -n nicb link set br0 type bridge stp_state 0 forward_delay 0 &&
	try ip -n nicb link set "$NIC" master br0 && try ip -n nicb link set "$NIC" up &&
	try ip -n nicb addr add "$PVIO_NIC_PREFIX.2/24" dev br0 && try ip -n nicb link set br0 up || return 1
	before=$(ls /sys/class/net | tr '\n' ' ')
	VIF2ID=$(pvctl network-attach "$DOM" mac=00:16:3e:00:90:04 2>/tmp/na2.err) ||
		{ echo "pvctl network-attach $DOM (a second vif): $(one_line </tmp/na2.err)"; return 1; }
	VIF2=vif$DOM.$VIF2ID
	wait_for 15 test -e /sys/class/net/$VIF2 && wait_for 15 has_newdev ||
		{ echo "the second vif's devices did not appear within 15 s"; return 1; }
	# Renamed: the name netfront gave it may be taken in netns vifa.
	try ip link set "$(newdev)" name nicfe || return 1
	FE2=nicfe
	try ip link set "$VIF2" netns nicb && try ip -n nicb link set "$VIF2" master br0 &&
	try ip -n nicb link set "$VIF2" up && try ip link set "$FE2" netns vifa &&
	try ip -n vifa addr add "$PVIO_NIC_PREFIX.3/24" dev "$FE2" && try ip -n vifa link set "$FE2" up &&
	try ip link add bna type veth peer name bnb && try ip link set bna netns vetha &&
	try ip link set bnb netns nicb && try ip -n nicb link set bnb master br0 && try ip -n nicb link set bnb up &&
	try ip -n vetha addr add "$PVIO_NIC_PREFIX.4/24" dev bna && try ip -n vetha link set bna up || return 1
	ip -n vetha link set bna mtu "$(ip netns exec vifa cat /sys/class/net/$FE2/mtu)"
	ip netns exec vetha ethtool -K bna $(offloads "$FE2" vifa) >/dev/null 2>&1
	reach vifa "$PVIO_NIC_HOST" || { echo "no traffic from $FE2 to $PVIO_NIC_HOST through $NIC"; return 1; }
	reach vetha "$PVIO_NIC_HOST" || { echo "no traffic from bna to $PVIO_NIC_HOST through $NIC"; return 1; }
}
if case " $NET_WL " in *" tcpnic "*) true ;; *) false ;; esac; then
	nic_up >/tmp/nic.why 2>&1 || NIC_NA="$(tail -n 1 /tmp/nic.why)"
	if [ -z "$NIC_NA" ]; then
		t_ok "tcpnic: $NIC, $VIF2 and veth bnb bridged in netns nicb; $FE2 and bna reach $PVIO_NIC_HOST"
		echo "PVIO-BENCH-NETDEV path=nic nic=$NIC$(offloads $NIC nicb | tr ' ' _) vif=$VIF2 fe=$FE2$(offloads $FE2 vifa | tr ' ' _)"
	else
		echo "ok $((T_N += 1)) - tcpnic # SKIP not available: $NIC_NA"
		echo "PVIO-BENCH-NA path=native kind=net:tcpnic $NIC_NA"
		echo "PVIO-BENCH-NA path=pvio kind=net:tcpnic $NIC_NA"
	fi
fi
[ -n "$BLK_NA" ] && echo "PVIO-BENCH-NA path=pvio kind=blk $BLK_NA"
[ -n "$NET_NA" ] && echo "PVIO-BENCH-NA path=pvio kind=net $NET_NA"
[ -n "$NATIVE_BLK_NA" ] && echo "PVIO-BENCH-NA path=native kind=blk $NATIVE_BLK_NA"
[ -n "$NATIVE_NET_NA" ] && echo "PVIO-BENCH-NA path=native kind=net $NATIVE_NET_NA"
for p in veth vif; do
	ip netns list 2>/dev/null | grep -q "^${p}a" || continue
	d=$(ip netns exec ${p}a ls /sys/class/net | grep -v '^lo$' | head -n 1)
	e=$(ip netns exec ${p}b ls /sys/class/net | grep -v '^lo$' | head -n 1)
	echo "PVIO-BENCH-NETDEV path=$p a=$d mtu=$(ip netns exec ${p}a cat /sys/class/net/$d/mtu)$(offloads $d ${p}a | tr ' ' _) b=$e mtu=$(ip netns exec ${p}b cat /sys/class/net/$e/mtu)$(offloads $e ${p}b | tr ' ' _)"
done

# iperf3 servers (PVIO_BENCH_FAULT=port occupies the port first).
if [ "${PVIO_BENCH_FAULT:-}" = port ] && [ -z "$NATIVE_NET_NA" ]; then
	ip netns exec vethb nc -l -p "$PORT" >/dev/null 2>&1 &
	NC_PID=$!
	sleep 1
fi
if [ -z "$NATIVE_NET_NA" ] && ! msg=$(server vethb); then
	NATIVE_NET_NA=$msg
	say "$msg"
	echo "PVIO-BENCH-NA path=native kind=net $msg"
	t_fail "iperf3 server in netns vethb" "$msg"
fi
if [ -z "$NET_NA" ] && ! msg=$(server vifb); then
	NET_NA=$msg
	say "$msg"
	echo "PVIO-BENCH-NA path=pvio kind=net $msg"
	t_fail "iperf3 server in netns vifb" "$msg"
fi

# ---- the runs, interleaved: native, pvio, native, pvio... ----------------
nb=0; nn=0
for w in $BLK_WL; do nb=$((nb + 1)); done
for w in $NET_WL; do nn=$((nn + 1)); done
say "$REPS round(s) of $nb block and $nn network workload(s), native then pvio, fio ${RT}s (+${RAMP}s ramp), iperf3 ${NET_T}s (+${NET_O}s omitted)"
FAILED=0
# A path that fails 3 runs in a row is not run again (a hung driver would
# otherwise cost 30 s per run); its rows show the failures.
# ok KEY / fail KEY: count consecutive failures of KEY (native_blk, ...).
ok() { eval "F_$1=0"; }
fail() {
	FAILED=$((FAILED + 1))
	eval "F_$1=\$((\${F_$1:-0} + 1))"
	# A hung run (measure): its path has a device stuck for good.
	[ -n "${HUNG:-}" ] && { HUNG=; eval "F_$1=3"; }
	eval "[ \$F_$1 = 3 ]" && say "$1: 3 failures in a row, not run again"
	return 0
}
usable() { eval "[ \${F_$1:-0} -lt 3 ]"; }
rep=1
while [ $rep -le "$REPS" ]; do
	for w in $BLK_WL; do
		[ -z "$NATIVE_BLK_NA" ] && usable native_blk && { run_fio "$w" native $rep "$BACK" && ok native_blk || fail native_blk; }
		pdev=/dev/xvda
		[ "$w" = latpoll ] && pdev=$POLL_DEV
		[ -z "$BLK_NA" ] && [ -n "$pdev" ] && usable pvio_blk && { run_fio "$w" pvio $rep $pdev && ok pvio_blk || fail pvio_blk; }
		for p in $PEERS; do
			eval "d=\${PEER_DEV_$p:-}"
			[ -n "$d" ] && usable $p && { run_fio "$w" $p $rep "$d" && ok $p || fail $p; }
		done
	done
	for w in $NET_WL; do
		if [ "$w" = tcpnic ]; then
			[ -z "$NIC_NA" ] || continue
			usable native_net && { run_iperf "$w" native $rep vetha "$PVIO_NIC_HOST" net:nicb:bnb bna $NIC_PORT && ok native_net || fail native_net; }
			usable pvio_net && { run_iperf "$w" pvio $rep vifa "$PVIO_NIC_HOST" "net:nicb:$VIF2" "$FE2" $NIC_PORT && ok pvio_net || fail pvio_net; }
			continue
		fi
		lim=; [ "$w" = tcprate ] && lim=1
		[ -z "$NATIVE_NET_NA" ] && usable native_net && { [ -z "$lim" ] || [ -z "$RATE_NATIVE_NA" ]; } && {
			[ -z "$lim" ] || rate_limit native on
			run_iperf "$w" native $rep vetha 10.90.1.1 net:vethb:bvb bva && ok native_net || fail native_net
			[ -z "$lim" ] || rate_limit native off; }
		[ -z "$NET_NA" ] && usable pvio_net && {
			[ -z "$lim" ] || rate_limit pvio on || say "tcprate: could not write the vif's rate node"
			run_iperf "$w" pvio $rep vifa 10.90.2.1 "net:vifb:$VIF" "$FE" && ok pvio_net || fail pvio_net
			[ -z "$lim" ] || rate_limit pvio off; }
	done
	rep=$((rep + 1))
done

# ---- the UML domU (make run; BENCH_UML=1 in make bench) -------------------
# A second kind of domU (docs/uml-domu.md): a User-Mode Linux kernel, a
# process of this kernel, that insmods pvio-bus, pvio-blkfront and
# pvio-netfront itself and runs the same fio and iperf3 workloads on its
# own /dev/xvda (a file on /tmp, tmpfs) and vif, after mke2fs and an fio
# verify on that disk. Its runs are path=uml blocks like the others: the
# window is taken by dom0 (its CPU and pvio counters) once UML's
# workload moves data (UML's fio and iperf3 take tens of seconds to start
# under TCG); the JSON comes from UML's console. Without a UML kernel
# (/pvio/uml/unavailable) its rows are n/a with the reason, in one line.
UML_NA=
if [ -n "$UML_RUNS" ]; then
	if [ ! -e /pvio/uml/linux ] || [ -e /pvio/uml/unavailable ]; then
		UML_NA="no UML domU kernel: $(cat /pvio/uml/unavailable 2>/dev/null || echo 'not shipped (# pvio-uml: yes)')"
	fi
fi
# uml_wl WL: UML's command for workload WL, its JSON to the console.
uml_wl() {
	case "$1" in
	tcp*|udp*)
		echo "iperf3 -c 10.90.3.1 -p $PORT -t $NET_T -O $NET_O $(iperf_args $1) -J --logfile /tmp/$1.json; r=\$?; cat /tmp/$1.json; [ \$r = 0 ]" ;;
	*)	# fio's clock reads per I/O are UML system calls: gtod_reduce,
		# but not for lat, whose result is the latency.
		echo "fio --name=$1 --filename=/dev/xvda --direct=1 --ioengine=libaio --thread --time_based --runtime=$RT --ramp_time=$RAMP $([ "$1" = lat ] || echo --gtod_reduce=1) --eta=never $(fio_job $1) --output-format=json --output=/tmp/$1.json; r=\$?; cat /tmp/$1.json; [ \$r = 0 ]" ;;
	esac
}
# moved DEVSTAT: KiB UML's workload moved so far (its vif's bytes both
# ways, or its vbd's sectors read and written).
moved() {
	case "$1" in
	net:*) b=${1#net:}; ip netns exec "${b%%:*}" cat /sys/class/net/${b#*:}/statistics/rx_bytes /sys/class/net/${b#*:}/statistics/tx_bytes 2>/dev/null | awk '{ s += $1 } END { print int(s / 1024) }' ;;
	*) echo $((($(bstat "$UDOM" $XVDA rd_sect) + $(bstat "$UDOM" $XVDA wr_sect)) / 2)) ;;
	esac
}
if [ -n "$UML_RUNS" ] && [ -z "$UML_NA" ]; then
	run=$UML_S' s bus insmod /pvio/extra/pvio-bus.ko;'
	run=$run' s blkfront insmod /pvio/extra/pvio-blkfront.ko;'
	run=$run$(uml_net_steps 00:16:3e:00:90:03 10.90.3.2 10.90.3.1)
	run=$run' s xvda '\''i=0; while [ ! -b /dev/xvda ] && [ $i -lt 120 ]; do sleep 1; i=$((i + 1)); done; test -b /dev/xvda'\'';'
	run=$run' s mkfs /sbin/mke2fs -t ext4 -q -F /dev/xvda;'
	run=$run' s verify fio --name=v --filename=/dev/xvda --rw=randwrite --bs=4k --size=16M --direct=1 --verify=crc32c --verify_fatal=1 --gtod_reduce=1 --eta=never;'
	for w in $UML_RUNS; do
		run=$run" s $w '$(uml_wl $w)';"
	done
	run=$run' s lsmod lsmod; s interrupts cat /proc/interrupts; s eoi cat /sys/kernel/debug/pvio-evtchn/d*'
	head -c $((64 << 20)) /dev/zero >/tmp/uml-xvda.img
	ip netns add umlb
	if ! uml_start umlrun "$run" /tmp/uml-xvda.img 00:16:3e:00:90:03 ""; then
		UML_NA=$UML_WHY
	elif ! ip link set "$UVIF" netns umlb || ! ip -n umlb addr add 10.90.3.1/24 dev "$UVIF" ||
	     ! ip -n umlb link set "$UVIF" up || ! ip -n umlb link set lo up; then
		UML_NA="could not put $UVIF into netns umlb"
	elif ! msg=$(server umlb); then
		UML_NA=$msg
	fi
fi
if [ -n "$UML_RUNS" ] && [ -z "$UML_NA" ]; then
	say "UML domU d$UDOM (process $UPID, pvctl create in ${UML_T}s): its xvda and vif attached, $UVIF in netns umlb"
	con=/tmp/umlrun.out.raw
	# The steps' markers, as UML reaches them.
	reached() { tr -d '\r' <$con | grep -q "^PVIO-UML-STEP: $1\$" || [ ! -e /run/pvio/umlrun.pid ]; }
	ended() { tr -d '\r' <$con | sed -n "/^PVIO-UML-STEP: $1\$/,\$p" | grep -q '^PVIO-UML-STATUS: ' || [ ! -e /run/pvio/umlrun.pid ]; }
	for w in $UML_RUNS; do
		case $w in tcp*|udp*) d=net:umlb:$UVIF; ramp=$NET_O; rt=$NET_T ;;
		*) d=none; ramp=$RAMP; rt=$RT ;; esac
		until_ok 900 reached $w || uml_diag "$UPID"
		m0=$(moved $d)
		# Moving data: its run's ramp has begun.
		going() { [ "$(moved $d)" -gt $((m0 + 1024)) ] || ended $w; }
		until_ok 300 going
		sleep $((ramp + 1))
		eval "UW0_$w=\$(win $d)"
		profile_span "$(span_of "$rt")" /tmp/perf-uml-$w.data
		eval "UW1_$w=\$(win $d)"
		until_ok 300 ended $w || uml_diag "$UPID"
	done
	until_ok 600 test ! -e /run/pvio/umlrun.pid
	tr -d '\r' <$con >/tmp/umlrun.out
	for w in $UML_RUNS; do
		RUN_N=$((RUN_N + 1))
		echo "PVIO-BENCH-RUN wl=$w path=uml rep=1 n=$RUN_N"
		eval "echo \"\$UW0_$w\"; echo \"\$UW1_$w\""
		echo "@json"
		uml_step /tmp/umlrun.out $w | grep -v '^\[ *[0-9]*\.[0-9]*\]'
		echo
		if uml_step_ok /tmp/umlrun.out $w; then
			echo "PVIO-BENCH-END rc=0"
		else
			echo "PVIO-BENCH-END rc=1 UML's $w: $(uml_step /tmp/umlrun.out $w | tail -n 2 | one_line)"
			FAILED=$((FAILED + 1))
		fi
		profile_text "$w:uml:1" /tmp/perf-uml-$w.data
	done
	for st in netfront eth ping mkfs verify; do
		uml_step_ok /tmp/umlrun.out $st && t_ok "UML domU: $st" ||
			t_fail "UML domU: $st" "$(uml_step /tmp/umlrun.out $st | tail -n 3 | one_line)"
	done
	uml_step /tmp/umlrun.out verify | grep -q 'err= 0' && t_ok "UML domU: fio --verify=crc32c on its /dev/xvda: err= 0" ||
		t_fail "UML domU: fio verify on its /dev/xvda" "$(uml_step /tmp/umlrun.out verify | tail -n 3 | one_line)"
	echo "PVIO-BENCH-TEXT uml-lsmod"
	uml_step /tmp/umlrun.out lsmod
	echo "PVIO-BENCH-TEXT uml-interrupts"
	uml_step /tmp/umlrun.out interrupts | head -n 1
	uml_step /tmp/umlrun.out interrupts | grep -E 'Dynamic-irq|pvio-hv'
	echo "PVIO-BENCH-TEXT uml-eoi"
	uml_step /tmp/umlrun.out eoi
	echo "PVIO-BENCH-TEXT end"
	server_stop umlb
	[ -e /run/pvio/umlrun.pid ] && pvctl destroy umlrun
elif [ -n "$UML_RUNS" ]; then
	say "UML domU: not available: $UML_NA"
	[ -s /tmp/umlrun.out.raw ] && tail -n 15 /tmp/umlrun.out.raw | tr -d '\r' | sed 's/^/# uml: /'
	echo "PVIO-BENCH-NA path=uml kind=blk $UML_NA"
	echo "PVIO-BENCH-NA path=uml kind=net $UML_NA"
	[ -e /run/pvio/umlrun.pid ] && pvctl destroy umlrun
fi
ip netns del umlb 2>/dev/null
[ $FAILED = 0 ] && t_ok "every benchmark run completed" || t_fail "every benchmark run completed" "$FAILED run(s) failed"

echo "PVIO-BENCH-TEXT interrupts"
head -n 1 /proc/interrupts
grep Dynamic-irq /proc/interrupts
echo "PVIO-BENCH-TEXT eoi"
for f in /sys/kernel/debug/pvio-evtchn/d*; do
	[ -e "$f" ] && sed "s|^|${f##*/} |" "$f"
done
echo "PVIO-BENCH-TEXT top"
pvctl top -b
echo "PVIO-BENCH-DONE failed=$FAILED"

# ---- tear-down ------------------------------------------------------------
server_stop vethb; server_stop vifb
[ -n "${NC_PID:-}" ] && kill "$NC_PID" 2>/dev/null
for ns in vetha vethb vifa vifb nicb; do ip netns del $ns 2>/dev/null; done
if [ -n "$DOM" ]; then
	[ -z "$BLK_NA" ] && { pvctl block-detach "$DOM" xvda || t_fail "pvctl block-detach $DOM xvda"; }
	[ -z "$NET_NA" ] && { pvctl network-detach "$DOM" "$VIFID" || t_fail "pvctl network-detach $DOM $VIFID"; }
	[ -n "${VIF2ID:-}" ] && { pvctl network-detach "$DOM" "$VIF2ID" || t_fail "pvctl network-detach $DOM $VIF2ID"; }
	t_check "pvctl destroy $DOM" pvctl destroy "$DOM"
fi
[ -n "${PEER_DEV_nbd:-}" ] && { nbd-client -d /dev/nbd0 >/dev/null 2>&1; [ -s /tmp/nbd.pid ] && kill "$(cat /tmp/nbd.pid)"; }
[ -n "${PEER_DEV_nvmetcp:-}" ] && nvme disconnect -n $NQN >/dev/null 2>&1
if [ -d /sys/kernel/config/nvmet/subsystems/$NQN ]; then
	c=/sys/kernel/config/nvmet
	rm -f $c/ports/1/subsystems/$NQN; rmdir $c/ports/1
	echo 0 >$c/subsystems/$NQN/namespaces/1/enable
	rmdir $c/subsystems/$NQN/namespaces/1 $c/subsystems/$NQN
fi
[ -n "${PEER_DEV_dmlinear:-}" ] && dmsetup remove --noudevsync pviobench
gone() { [ -z "$(pvctl list 2>/dev/null | awk 'NR > 1 && $1 != 0')" ]; }
wait_for 5 gone
if pvio_unload; then t_ok "rmmod every pvio module"; else t_fail "rmmod every pvio module"; fi
left=$(lsmod | grep -c '^pvio')
[ "$left" = 0 ] && t_ok "no pvio module left loaded" || t_fail "no pvio module left loaded" "$left left"
[ -d /sys/module/brd ] && rmmod brd
echo "# taint: $(cat /proc/sys/kernel/tainted)"
t_done
