# SPDX-License-Identifier: GPL-2.0
# pvio-check: test stock
# Xen's vif rate limit (issue #15 item 5): pvctl network-attach rejects a
# malformed rate= in one line and attaches nothing; rate=100Mb/s writes
# the backend's "rate" node as libxl does (625000 bytes per 50000 us). A
# malformed rate written at run time (Xen watches "rate") leaves the vif
# unlimited and usable with the reason in the backend's "error" node;
# iperf3 TCP from the domU measures that unlimited rate U. A valid rate
# of U/4 (at most 25 Mbit/s: well below what this kernel sends) removes
# the error, and iperf3 through the throttled vif holds it within 5%
# (goodput, and the bytes netback passed) where U >= 50 Mbit/s (the
# stock kernel; on the KASAN test kernel 50% .. 105%), with no packet
# dropped on either end (the limit holds requests on the ring, TCP is
# paced by it).
# Where U > 150 Mbit/s, 100 Mbit/s is measured and never exceeded. Then
# detach, destroy, everything unloads. Each iperf3 run prints the guest
# TX bytes each queue carried and the spurious event counts (which queue
# a stream used, docs/network.md "Multi-queue"). NB_MAX_QUEUES (tools/vm
# --env NB_MAX_QUEUES=N) sets pvio-netback's max_queues before the
# attach; unset, the module's default.
. /pvio/lib.sh

DOM=netq1
FE_IP=10.96.0.2
BE_IP=10.96.0.1
MAC=00:16:3e:00:96:01

# within X LO HI: LO <= X <= HI (decimals).
within() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }
vstat() { ethtool -S $VIF | awk -v k="guest_$1:" '$1 == k { print $2 }'; }
# qbytes: "q0=<guest TX bytes> q1=..." of every queue of the vif.
qbytes() { ethtool -S $VIF | awk '/^ *q[0-9]+_guest_tx_bytes:/ {
	sub(/_guest_tx_bytes:/, "", $1); printf "%s=%s ", $1, $2 }'; }
# qdelta BEFORE AFTER: the growth of each queue's counter between two
# qbytes outputs.
qdelta() { echo "$1 $2" | awk '{ n = NF / 2; for (i = 1; i <= n; i++) {
	split($i, a, "="); split($(i + n), b, "="); printf "%s +%d ", a[1], b[2] - a[2] } }'; }
# iperf_mbps3: lib.sh's iperf_mbps to 1 kbit/s: at the slow kernel's
# rates (R of 175 kbit/s on a loaded host) its 0.1 Mbit/s rounding made
# 165 kbit/s read 0.2 Mbit/s, above 105% of the rate.
iperf_mbps3() { awk '/receiver/ { r = $7; u = $8 } END {
	if (u == "Gbits/sec") r *= 1000; else if (u == "Kbits/sec") r /= 1000
	printf "%.3f\n", r + 0 }'; }
# guest_tx SECONDS: iperf3 TCP from the domU to dom0 for SECONDS; sets
# OUT, RC, MBPS (its goodput) and WIRE (Mbit/s of frames netback handed
# to dom0's stack, counted on the vif from 2 s in to 1 s before the end).
guest_tx() {
	qb0=$(qbytes)
	iperf3 -s -D -1 -p 5203 >/dev/null 2>&1; sleep 0.5
	ns iperf3 -c $BE_IP -p 5203 -t $1 >/tmp/iperf.out 2>&1 &
	ip3=$!
	sleep 2
	b0=$(cat /sys/class/net/$VIF/statistics/rx_bytes); t0=$(cut -d" " -f1 /proc/uptime)
	sleep $(($1 - 3))
	b1=$(cat /sys/class/net/$VIF/statistics/rx_bytes); t1=$(cut -d" " -f1 /proc/uptime)
	wait $ip3; RC=$?
	OUT=$(cat /tmp/iperf.out)
	MBPS=$(echo "$OUT" | iperf_mbps3)
	WIRE=$(awk -v b="$((b1 - b0))" -v t0="$t0" -v t1="$t1" \
		'BEGIN { printf "%.3f\n", b * 8 / (t1 - t0) / 1e6 }')
	echo "#   guest TX bytes per queue: $(qdelta "$qb0" "$(qbytes)"); spurious events: tx $(vstat tx_spurious), rx $(vstat rx_spurious)"
}

t_load
[ -n "$NB_MAX_QUEUES" ] && echo "$NB_MAX_QUEUES" >/sys/module/pvio_netback/parameters/max_queues
echo "# pvio-netback max_queues $(cat /sys/module/pvio_netback/parameters/max_queues)"
t_create $DOM
BE=/local/domain/0/backend/vif/$domid/0

for r in 100Mbit/s 100Mb 0Mb/s 100Mb/s@ 100Mb/s@20 4294967296B/s; do
	out=$(pvctl network-attach $domid mac=$MAC rate=$r 2>&1); rc=$?
	if [ $rc = 2 ] && [ "$(echo "$out" | wc -l)" = 1 ]; then
		t_ok "pvctl network-attach rate=$r -> exit 2, one line"
	else
		t_fail "pvctl network-attach rate=$r -> exit 2, one line" "exit $rc: $out"
	fi
done
echo "#   $out"
! pvctl store read $BE/state >/dev/null 2>&1 &&
	t_ok "a rejected rate attached nothing" || t_fail "a rejected rate attached nothing" "$(pvctl network-list $domid)"

t_net_attach $domid mac=$MAC rate=100Mb/s
r=$(pvctl store read $BE/rate)
[ "$r" = "625000,50000" ] && t_ok "backend rate node: $r (libxl's bytes,usec)" ||
	t_fail "backend rate node 625000,50000" "'$r'"
net_ns_up
if wait_for 20 sh -c "grep -q 1 /sys/class/net/$VIF/carrier" &&
   wait_for 20 sh -c "$IP netns exec $DOM cat /sys/class/net/$ETH/carrier | grep -q 1" &&
   wait_for 20 ping -c 1 -W 1 $FE_IP >/dev/null; then
	t_ok "link up on both ends"
else
	t_fail "link up on both ends" "$(pvctl network-list $domid)"
fi

# A malformed rate written at run time: error node, unlimited, usable;
# its unlimited throughput U sets the rate tested below.
pvctl store write $BE/rate "fast,please"
if wait_for 10 sh -c "pvctl store read $BE/error 2>/dev/null | grep -q 'bad rate'"; then
	t_ok "bad rate in the store -> error node: $(pvctl store read $BE/error)"
else
	t_fail "bad rate in the store -> error node" "$(pvctl store read $BE/error 2>&1)"
fi
state_is $BE 4 && t_ok "backend still Connected" || t_fail "backend still Connected" "$(pvctl store read $BE/state)"
t_check "ping domU -> dom0 with the bad rate" ns ping -c 3 -W 5 $BE_IP
guest_tx 5
U=$MBPS
echo "# bad rate (unlimited): goodput $U Mbit/s"
[ $RC = 0 ] && awk -v x="$U" 'BEGIN { exit !(x > 0) }' &&
	t_ok "iperf3 domU -> dom0 unlimited: $U Mbit/s" ||
	t_fail "iperf3 domU -> dom0 unlimited" "rc $RC: $(echo "$OUT" | tail -n 3)"

# The rate: a quarter of U (well below what this kernel sends
# unthrottled), at most 25 Mbit/s, in xl's terms R Kb/s per 50 ms.
R=$(awk -v u="$U" 'BEGIN { r = int(u * 1000 / 4); if (r > 25000) r = 25000
	if (r < 100) r = 100; print r }')
B=$((R * 1000 / 8 * 50000 / 1000000))
pvctl store write $BE/rate "$B,50000"
if wait_for 10 sh -c "! pvctl store read $BE/error >/dev/null 2>&1"; then
	t_ok "valid rate $B,50000 (${R}Kb/s) -> error node removed"
else
	t_fail "valid rate -> error node removed" "$(pvctl store read $BE/error 2>&1)"
fi
LO=$(awk -v r="$R" 'BEGIN { print r * 0.95 / 1000 }')
HI=$(awk -v r="$R" 'BEGIN { print r * 1.05 / 1000 }')
d0=$(vstat tx_dropped); e0=$(vstat tx_errors); f0=$(fe_stat tx_dropped)
l0=$(vstat tx_rate_limited)
guest_tx 10
d1=$(vstat tx_dropped); e1=$(vstat tx_errors); f1=$(fe_stat tx_dropped)
l1=$(vstat tx_rate_limited)
echo "$OUT" | grep -E 'sender|receiver' | sed 's/^/# /'
echo "# rate=${R}Kb/s: goodput $MBPS Mbit/s, frames $WIRE Mbit/s, credit timer armed $((l1 - l0)) times"
if awk -v x="$U" 'BEGIN { exit !(x >= 50) }'; then
	[ $RC = 0 ] && within "$MBPS" $LO $HI &&
		t_ok "iperf3 TCP domU -> dom0 at rate=${R}Kb/s: $MBPS Mbit/s (within 5%)" ||
		t_fail "iperf3 TCP domU -> dom0 at rate=${R}Kb/s within 5%" "rc $RC, $MBPS Mbit/s: $(echo "$OUT" | tail -n 3)"
	within "$WIRE" $LO $HI && t_ok "netback passed $WIRE Mbit/s (within 5%)" ||
		t_fail "netback passed ${R} Kbit/s within 5%" "$WIRE Mbit/s"
else
	# A kernel this slow (the KASAN test kernel: U ~ 15 Mbit/s) leaves a
	# throttled TCP sender sender-limited (docs/network.md): the limit
	# is checked from above, and the sender must get half of it.
	LO=$(awk -v r="$R" 'BEGIN { print r * 0.5 / 1000 }')
	[ $RC = 0 ] && within "$MBPS" $LO $HI &&
		t_ok "iperf3 TCP domU -> dom0 at rate=${R}Kb/s: $MBPS Mbit/s (slow kernel: 50% .. 105%)" ||
		t_fail "iperf3 TCP domU -> dom0 at rate=${R}Kb/s: 50% .. 105%" "rc $RC, $MBPS Mbit/s: $(echo "$OUT" | tail -n 3)"
	within "$WIRE" $LO $HI && t_ok "netback passed $WIRE Mbit/s (50% .. 105%)" ||
		t_fail "netback passed ${R} Kbit/s, 50% .. 105%" "$WIRE Mbit/s"
fi
[ "$((l1 - l0))" -gt 0 ] && t_ok "the credit ran out and the timer refilled it" ||
	t_fail "the credit ran out" "guest_tx_rate_limited $l0 -> $l1"
[ "$d1" = "$d0" ] && [ "$e1" = "$e0" ] && [ "$f1" = "$f0" ] &&
	t_ok "no packet dropped: netback tx_dropped $d1, tx_errors $e1, netfront tx_dropped $f1" ||
	t_fail "no packet dropped" "netback dropped $d0 -> $d1, errors $e0 -> $e1, netfront $f0 -> $f1"

# 100 Mbit/s (the rate pvctl wrote), where this kernel sends more than
# 150 Mbit/s unthrottled: measured and printed, asserted never above.
if awk -v x="$U" 'BEGIN { exit !(x > 150) }'; then
	pvctl store write $BE/rate "625000,50000"
	guest_tx 8
	echo "# rate=100Mb/s (measured): goodput $MBPS Mbit/s, frames $WIRE Mbit/s"
	[ $RC = 0 ] && awk -v x="$MBPS" 'BEGIN { exit !(x <= 105) }' &&
		t_ok "iperf3 TCP at rate=100Mb/s: $MBPS Mbit/s, not above the rate" ||
		t_fail "iperf3 TCP at rate=100Mb/s, not above the rate" "rc $RC, $MBPS Mbit/s"
fi

t_check "pvctl network-detach $domid 0" pvctl network-detach $domid 0
if wait_for 10 sh -c "! test -e /sys/class/net/$VIF"; then t_ok "$VIF is gone"; else t_fail "$VIF is gone"; fi
$IP netns del $DOM
t_check "pvctl destroy $DOM" pvctl destroy $domid
t_check "every pvio module unloads" pvio_unload
t_done
