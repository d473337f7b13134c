# SPDX-License-Identifier: GPL-2.0
# pvio-check: test
# pvio-timeout: 1200
# The network split driver end to end: pvctl network-attach gives a domU
# an eth<N> (netfront) and dom0 a vif<domid>.0 (netback). The frontend is
# moved to a network namespace named after the domain, the vif stays in
# dom0's, each with an address: the two talk through the split driver
# only. Ping both ways at several sizes, iperf3 TCP both ways (IPv4 and
# IPv6, GSO both ways) and UDP, a 64 MiB transfer checked by sha256, MTU
# 9000, link down and up, the same iperf3 through a veth pair for
# comparison, then detach while iperf3 runs: the vif disappears, nothing
# hangs, everything unloads.
. /pvio/lib.sh

DOM=net1
FE_IP=10.99.0.2
BE_IP=10.99.0.1
MAC=00:16:3e:00:99:01

# xfer PORT LISTEN-PREFIX CONNECT-PREFIX HOST: /tmp/send to /tmp/recv
# with busybox nc (the client retries until the listener is up). The
# listener's stdin is a FIFO held open: busybox nc would otherwise send
# EOF back at once and the client would stop reading and writing early.
xfer() {
	rm -f /tmp/fifo; mkfifo /tmp/fifo
	($2 nc -l -p $1 </tmp/fifo >/tmp/recv) & srv=$!
	exec 3>/tmp/fifo
	i=0
	while [ $i -lt 20 ]; do
		$3 nc $4 $1 </tmp/send 2>/dev/null && break
		sleep 0.5; i=$((i + 1))
	done
	[ $i -lt 20 ] || kill $srv 2>/dev/null
	wait $srv
	exec 3>&-
	rm -f /tmp/fifo
}
# veth is built into the test kernel, a module in Debian's.
kmod_load veth 2>/dev/null
t_load
t_create $DOM
t_net_attach $domid mac=$MAC
pvctl network-list $domid | sed 's/^/# /'
case "$ETH" in eth[0-9]*) t_ok "frontend is named $ETH" ;; *) t_fail "frontend is named eth<N>" "$ETH" ;; esac

net_ns_up
if wait_for 20 sh -c "grep -q 1 /sys/class/net/$VIF/carrier" &&
   wait_for 20 sh -c "$IP netns exec $DOM cat /sys/class/net/$ETH/carrier | grep -q 1"; then
	t_ok "link up on both ends"
else
	t_fail "link up on both ends" "$(pvctl network-list $domid)"
fi
ns $IP -br addr | sed 's/^/# ns: /'

for s in 56 1400 1472 4000 9000 30000; do
	t_check "ping dom0 -> domU, $s bytes" ping -c 3 -W 5 -s $s $FE_IP
	t_check "ping domU -> dom0, $s bytes" ns ping -c 3 -W 5 -s $s $BE_IP
done

ns iperf3 -s -D -1 -p 5201 >/dev/null 2>&1; sleep 0.5
out=$(iperf3 -c $FE_IP -p 5201 -t 3 2>&1); rc=$?
TX1=$(echo "$out" | iperf_mbps)
[ $rc = 0 ] && t_ok "iperf3 TCP dom0 -> domU: $TX1 Mbit/s" || t_fail "iperf3 TCP dom0 -> domU" "$(echo "$out" | tail -n 3)"
ns iperf3 -s -D -1 -p 5201 >/dev/null 2>&1; sleep 0.5
out=$(iperf3 -c $FE_IP -p 5201 -t 3 -R 2>&1); rc=$?
RX1=$(echo "$out" | iperf_mbps)
[ $rc = 0 ] && t_ok "iperf3 TCP domU -> dom0 (-R): $RX1 Mbit/s" || t_fail "iperf3 TCP -R" "$(echo "$out" | tail -n 3)"
# GRO on the vif: a guest without TSO/GSO sends MTU-sized segments;
# netback grant-copies them (gro_copy_len) and hands them to
# napi_gro_receive(), which merges them.
gro0=$(ethtool -S $VIF | awk '$1 == "guest_tx_gro_merged:" { print $2 }')
ns ethtool -K "$ETH" tso off gso off >/dev/null 2>&1
ns iperf3 -s -D -1 -p 5201 >/dev/null 2>&1; sleep 0.5
out=$(iperf3 -c $FE_IP -p 5201 -t 2 -R 2>&1); rc=$?
gro1=$(ethtool -S $VIF | awk '$1 == "guest_tx_gro_merged:" { print $2 }')
ns ethtool -K "$ETH" tso on gso on >/dev/null 2>&1
if [ $rc = 0 ] && [ "${gro1:-0}" -gt "${gro0:-0}" ]; then
	t_ok "GRO merges guest TX without TSO: $(echo "$out" | iperf_mbps) Mbit/s, $((gro1 - gro0)) merged"
else
	t_fail "GRO merges guest TX without TSO" "rc $rc, merged ${gro0:-?} -> ${gro1:-?}"
fi
ns iperf3 -s -D -1 -p 5201 >/dev/null 2>&1; sleep 0.5
out=$(iperf3 -c $FE_IP -p 5201 -t 3 -u -b 20M 2>&1); rc=$?
[ $rc = 0 ] && t_ok "iperf3 UDP 20M dom0 -> domU: $(echo "$out" | iperf_mbps) Mbit/s received" ||
	t_fail "iperf3 UDP" "$(echo "$out" | tail -n 3)"

# IPv6 (feature-gso-tcpv6, feature-ipv6-csum-offload, both ends' default):
# TCP over IPv6 both ways carries checksum-partial GSO packets across
# the rings in each direction (the vif's guest_tx_gso / guest_rx_gso).
# vif_stat NAME: the vif's ethtool counter guest_NAME (0 if absent).
vif_stat() { ethtool -S $VIF | awk -v k="guest_$1:" '$1 == k { v = $2 } END { print v + 0 }'; }
$IP addr add fd00:99::1/64 dev $VIF nodad
ns $IP addr add fd00:99::2/64 dev "$ETH" nodad
tg=$(vif_stat tx_gso); rg=$(vif_stat rx_gso)
ns iperf3 -s -D -1 -p 5201 >/dev/null 2>&1; sleep 0.5
o6=$(iperf3 -6 -c fd00:99::2 -p 5201 -t 2 2>&1); r6=$?
ns iperf3 -s -D -1 -p 5201 >/dev/null 2>&1; sleep 0.5
o6r=$(iperf3 -6 -c fd00:99::2 -p 5201 -t 2 -R 2>&1); r6r=$?
tg=$(($(vif_stat tx_gso) - tg)); rg=$(($(vif_stat rx_gso) - rg))
[ $r6 = 0 ] && [ $r6r = 0 ] && [ "$tg" -gt 0 ] && [ "$rg" -gt 0 ] &&
	t_ok "iperf3 TCP over IPv6 both ways: $(echo "$o6" | iperf_mbps) and $(echo "$o6r" | iperf_mbps) Mbit/s, GSO packets guest RX $rg, guest TX $tg" ||
	t_fail "iperf3 TCP over IPv6 with GSO both ways" "rc $r6/$r6r, gso rx $rg tx $tg; $(echo "$o6 $o6r" | tail -n 3)"
$IP addr del fd00:99::1/64 dev $VIF
ns $IP addr del fd00:99::2/64 dev "$ETH"

# 64 MiB, checksummed on arrival, each way.
dd if=/dev/urandom of=/tmp/send bs=1M count=64 2>/dev/null
want=$(sha256sum </tmp/send | cut -d' ' -f1)
xfer 5001 ns "" $FE_IP
got=$(sha256sum </tmp/recv | cut -d' ' -f1)
[ "$got" = "$want" ] && t_ok "64 MiB dom0 -> domU, sha256 matches" ||
	t_fail "64 MiB dom0 -> domU, sha256 matches" "size $(wc -c </tmp/recv)"
rm -f /tmp/recv
xfer 5002 "" ns $BE_IP
got=$(sha256sum </tmp/recv | cut -d' ' -f1)
[ "$got" = "$want" ] && t_ok "64 MiB domU -> dom0, sha256 matches" ||
	t_fail "64 MiB domU -> dom0, sha256 matches" "size $(wc -c </tmp/recv)"

# Guest RX buffers posted in small steps: every fourth of netfront's RX
# page allocations fails (fail_function), so each refill posts at most
# three buffers (the rest come with the next poll or its refill timer).
# netback must re-arm req_event each time it looks and finds too few
# buffers; otherwise the later posts do not notify, dom0's queue to the
# vif stays stopped and guest RX stops for good (what CI once saw on a
# slow host). The transfer must have met such stalls (rx_stalls), or the
# case was not exercised. The kthread's one-second re-check would hide a
# lost event: it counts them (rx_wake_timeout).
FF=/sys/kernel/debug/fail_function
if echo pvio_nf_page_alloc >$FF/inject 2>/dev/null; then
	echo 100 >$FF/probability; echo 4 >$FF/interval; echo -1 >$FF/times
	echo 0 >$FF/verbose
	lost0=$(vif_stat rx_wake_timeout); st0=$(vif_stat rx_stalls)
	dd if=/tmp/send of=/tmp/send32 bs=1M count=32 2>/dev/null; mv /tmp/send32 /tmp/send
	want=$(sha256sum </tmp/send | cut -d' ' -f1)
	xfer 5003 ns "" $FE_IP
	echo '!pvio_nf_page_alloc' >$FF/inject
	got=$(sha256sum </tmp/recv | cut -d' ' -f1)
	lost=$(( $(vif_stat rx_wake_timeout) - lost0 ))
	stalls=$(( $(vif_stat rx_stalls) - st0 ))
	echo "# RX buffers short: $stalls stalls for buffers, $lost found by the re-check"
	[ "$got" = "$want" ] && [ "$stalls" -gt 0 ] &&
		t_ok "32 MiB dom0 -> domU through $stalls stalls for RX buffers, sha256 matches" ||
		t_fail "32 MiB dom0 -> domU with RX buffer allocations failing, sha256 matches, stalls met" "size $(wc -c </tmp/recv), $stalls stalls"
	[ "$lost" = 0 ] && t_ok "no RX event lost (none found by the one-second re-check)" ||
		t_fail "no RX event lost" "$lost found by the one-second re-check"
else
	# The test kernel has CONFIG_FAIL_FUNCTION (tests/kernel.config).
	t_fail "fail_function injects into netfront's RX page allocation" \
		"$(ls $FF 2>&1 | head -n 1)"
fi
rm -f /tmp/recv /tmp/send

# MTU 9000 (the backend offers feature-sg).
if ns $IP link set "$ETH" mtu 9000 && $IP link set $VIF mtu 9000; then
	t_ok "MTU 9000 on both ends"
	t_check "ping 8972 bytes at MTU 9000 (one frame)" ping -c 3 -W 5 -s 8972 $FE_IP
	t_check "ping 8972 bytes back at MTU 9000" ns ping -c 3 -W 5 -s 8972 $BE_IP
	ns iperf3 -s -D -1 -p 5201 >/dev/null 2>&1; sleep 0.5
	out=$(iperf3 -c $FE_IP -p 5201 -t 2 -R 2>&1) && t_ok "iperf3 -R at MTU 9000: $(echo "$out" | iperf_mbps) Mbit/s" ||
		t_fail "iperf3 -R at MTU 9000" "$(echo "$out" | tail -n 3)"
	ns $IP link set "$ETH" mtu 1500; $IP link set $VIF mtu 1500
else
	t_fail "MTU 9000 on both ends"
fi

# Link down and up.
ns $IP link set "$ETH" down
if ! ping -c 2 -W 2 $FE_IP >/dev/null 2>&1; then t_ok "no ping while $ETH is down"; else t_fail "no ping while $ETH is down"; fi
ns $IP link set "$ETH" up
wait_for 10 ping -c 1 -W 1 $FE_IP >/dev/null
t_check "ping after $ETH is up again" ping -c 3 -W 5 $FE_IP
$IP link set $VIF down; $IP link set $VIF up
$IP addr add $BE_IP/24 dev $VIF 2>/dev/null
wait_for 10 ping -c 1 -W 1 $FE_IP >/dev/null
t_check "ping after $VIF down and up" ns ping -c 3 -W 5 $BE_IP

# The same through a veth pair, same boot.
$IP netns add vethns
$IP link add pvv0 type veth peer name pvv1
$IP link set pvv1 netns vethns
$IP addr add 10.98.0.1/24 dev pvv0; $IP link set pvv0 up
$IP -n vethns link set lo up
$IP -n vethns addr add 10.98.0.2/24 dev pvv1; $IP -n vethns link set pvv1 up
wait_for 10 ping -c 1 -W 1 10.98.0.2 >/dev/null
$IP netns exec vethns iperf3 -s -D -1 -p 5202 >/dev/null 2>&1; sleep 0.5
VE=$(iperf3 -c 10.98.0.2 -p 5202 -t 3 2>&1 | iperf_mbps)
$IP netns exec vethns iperf3 -s -D -1 -p 5202 >/dev/null 2>&1; sleep 0.5
VER=$(iperf3 -c 10.98.0.2 -p 5202 -t 3 -R 2>&1 | iperf_mbps)
echo "# throughput (TCP, 3 s, ${PVIO_ACCEL:-?}): vif dom0->domU $TX1 Mbit/s, domU->dom0 $RX1 Mbit/s; veth $VE / $VER Mbit/s"
awk -v a="$TX1" -v b="$VE" -v c="$RX1" -v d="$VER" 'BEGIN {
	if (b > 0 && d > 0) printf "# vif/veth ratio: %.2f (to domU), %.2f (from domU)\n", a / b, c / d }'
[ -n "$VE" ] && t_ok "throughput printed (veth $VE Mbit/s)" || t_fail "iperf3 through veth"
$IP link del pvv0 2>/dev/null
$IP netns del vethns

# ethtool statistics, both ends.
ethtool -S $VIF | grep -E 'guest_(rx|tx)_(packets|bytes)|zerocopy|copy_ops|batches' | sed 's/^/# /'
st=$(ethtool -S $VIF)
echo "$st" | grep -q 'guest_tx_packets: [1-9]' && echo "$st" | grep -q 'guest_rx_packets: [1-9]' &&
	t_ok "ethtool -S $VIF counts both directions" || t_fail "ethtool -S $VIF" "$st"
# Zero-copy guest TX: every mapped skb came back (freed, or its fragments
# copied by dom0's stack: local delivery copies them, skb_orphan_frags_rx())
# and none was given up on; per-queue counters are there.
vs() { ethtool -S $VIF | awk -v k="$1:" '$1 == k { print $2 }'; }
zc_idle() { [ $(($(vs guest_tx_zerocopy) - $(vs guest_tx_zerocopy_done) - $(vs guest_tx_zerocopy_copied))) = 0 ]; }
wait_for 10 zc_idle
zc=$(vs guest_tx_zerocopy); zd=$(vs guest_tx_zerocopy_done); zcp=$(vs guest_tx_zerocopy_copied)
if [ "${zc:-0}" -gt 0 ] && [ $((zc - zd - zcp)) = 0 ] && [ "$(vs guest_tx_zerocopy_timeout)" = 0 ]; then
	t_ok "zero-copy guest TX: $zc skbs mapped, all released ($zd freed, $zcp copied by the stack), none timed out"
else
	t_fail "zero-copy guest TX: every mapped skb released" "zerocopy $zc done $zd copied $zcp timeout $(vs guest_tx_zerocopy_timeout)"
fi
miss=""
for k in q0_guest_tx_packets q0_guest_tx_bytes q0_guest_tx_copy_ops q0_guest_tx_map_ops \
	q0_guest_tx_zerocopy_done q0_guest_tx_zerocopy_copied q0_guest_tx_zerocopy_timeout \
	q0_guest_tx_pending_full q0_guest_rx_stalls q0_guest_rx_copy_ops q0_guest_rx_drop_queue_full; do
	[ -n "$(vs $k)" ] || miss="$miss $k"
done
# The flow hash picks the queue: the maps may all be on queue 1.
qmaps=$(ethtool -S $VIF | awk '$1 ~ /^q[0-9]+_guest_tx_map_ops:$/ { s += $2 } END { print s + 0 }')
[ "$qmaps" -gt 0 ] && [ -z "$miss" ] &&
	t_ok "ethtool -S $VIF per queue: packets, bytes, copies, maps ($qmaps), zero-copy, ring full, drops" ||
	t_fail "ethtool -S $VIF per-queue counters" "missing:$miss; maps over the queues $qmaps"
ns ethtool -S "$ETH" | sed 's/^/# fe /' | head -n 14
ns ethtool -S "$ETH" | grep -q 'tx_packets: [1-9]' && t_ok "ethtool -S $ETH" || t_fail "ethtool -S $ETH"

# Offloads as negotiated (Xen's keys): both ends on by default.
# kfeat DEV-PREFIX... FEATURE: "on" or "off" from ethtool -k.
kfeat() { k=$1; shift; "$@" | awk -v k="$k:" '$1 == k { print $2 }'; }
offl() { echo "sg $(kfeat scatter-gather "$@") tx-csum $(kfeat tx-checksumming "$@") tso $(kfeat tcp-segmentation-offload "$@")"; }
[ "$(offl ethtool -k $VIF)" = "sg on tx-csum on tso on" ] &&
	t_ok "ethtool -k $VIF: sg, tx-checksumming, tso on (negotiated)" ||
	t_fail "ethtool -k $VIF: sg, tx-checksumming, tso on" "$(offl ethtool -k $VIF)"
[ "$(offl ns ethtool -k $ETH)" = "sg on tx-csum on tso on" ] &&
	t_ok "ethtool -k $ETH: sg, tx-checksumming, tso on (negotiated)" ||
	t_fail "ethtool -k $ETH: sg, tx-checksumming, tso on" "$(offl ns ethtool -k $ETH)"
[ "$(vs guest_tx_csum_partial)" -gt 0 ] 2>/dev/null && [ "$(vs guest_rx_csum_partial)" -gt 0 ] &&
	[ "$(vs guest_tx_gso)" -gt 0 ] && [ "$(vs guest_rx_gso)" -gt 0 ] &&
	t_ok "checksum-partial and GSO packets both ways: tx $(vs guest_tx_csum_partial)/$(vs guest_tx_gso), rx $(vs guest_rx_csum_partial)/$(vs guest_rx_gso)" ||
	t_fail "checksum-partial and GSO packets both ways" "tx $(vs guest_tx_csum_partial)/$(vs guest_tx_gso), rx $(vs guest_rx_csum_partial)/$(vs guest_rx_gso)"
[ "$(pvctl store read $FE/feature-no-csum-offload 2>/dev/null)" = 0 ] &&
	[ "$(pvctl store read $FE/feature-gso-tcpv4 2>/dev/null)" = 1 ] &&
	t_ok "frontend keys: feature-no-csum-offload 0, feature-gso-tcpv4 1" ||
	t_fail "frontend keys with offload on" "$(pvctl store ls $FE 2>&1 | grep feature)"

# Detach while iperf3 runs: the vif goes, nothing hangs.
ns iperf3 -s -D -1 -p 5201 >/dev/null 2>&1; sleep 0.5
iperf3 -c $FE_IP -p 5201 -t 20 >/dev/null 2>&1 & ip3=$!
sleep 2
# pvctl top: a line per vif with the guest's rates (here guest RX).
# (iperf3 may take a few seconds to get going under TCG: up to 10 tries)
top_rx() { echo "$top" | awk -v v=$VIF -v d=$domid '$1 == v && $2 == d && $4 > 0 { ok = 1 } END { exit !ok }'; }
i=0
while [ $i -lt 10 ]; do
	top=$(pvctl top -b 2>&1)
	top_rx && break
	i=$((i + 1))
done
echo "$top" | grep -E "^(vif|$VIF) " | sed 's/^/# /'
top_rx && t_ok "pvctl top: $VIF with its guest RX rate (try $((i + 1)))" ||
	t_fail "pvctl top: $VIF with its rates" "$top"
t_check "pvctl network-detach $domid 0 while iperf3 runs" pvctl network-detach $domid 0
if wait_for 10 sh -c "! test -e /sys/class/net/$VIF"; then t_ok "$VIF is gone"; else t_fail "$VIF is gone"; fi
if wait_for 10 sh -c "! $IP netns exec $DOM test -e /sys/class/net/$ETH"; then t_ok "$ETH is gone"; else t_fail "$ETH is gone"; fi
kill $ip3 2>/dev/null; wait $ip3 2>/dev/null
$IP netns del $DOM

# A frontend that switches its offloads off (pvio-netfront.offload=0,
# read at connect): feature-no-csum-offload=1 and no GSO keys, so the vif
# drops tx-checksumming and TSO (its stack checksums what it sends to the
# guest), eth<N> has none either; TCP still flows both ways.
echo 0 >/sys/module/pvio_netfront/parameters/offload
MAC=00:16:3e:00:99:02
if net_attach $domid mac=$MAC; then
	net_ns_up
	wait_for 20 sh -c "grep -q 1 /sys/class/net/$VIF/carrier"
	[ "$(pvctl store read $FE/feature-no-csum-offload 2>/dev/null)" = 1 ] &&
		[ "$(pvctl store read $FE/feature-gso-tcpv4 2>/dev/null)" = 0 ] &&
		[ "$(pvctl store read $FE/feature-ipv6-csum-offload 2>/dev/null)" = 0 ] &&
		t_ok "offload=0: feature-no-csum-offload 1, no gso-tcpv4, no ipv6-csum-offload" ||
		t_fail "offload=0: frontend keys" "$(pvctl store ls $FE 2>&1 | grep feature)"
	o=$(offl ethtool -k $VIF)
	case "$o" in *"tx-csum off tso off") t_ok "ethtool -k $VIF follows: $o" ;;
		*) t_fail "ethtool -k $VIF: tx-checksumming and tso off" "$o" ;; esac
	o=$(offl ns ethtool -k $ETH)
	case "$o" in *"tx-csum off tso off") t_ok "ethtool -k $ETH follows: $o" ;;
		*) t_fail "ethtool -k $ETH: tx-checksumming and tso off" "$o" ;; esac
	wait_for 10 ping -c 1 -W 1 $FE_IP >/dev/null
	ns iperf3 -s -D -1 -p 5201 >/dev/null 2>&1; sleep 0.5
	out=$(iperf3 -c $FE_IP -p 5201 -t 2 2>&1) && t_ok "offload=0: iperf3 dom0 -> domU $(echo "$out" | iperf_mbps) Mbit/s" ||
		t_fail "offload=0: iperf3 dom0 -> domU" "$(echo "$out" | tail -n 3)"
	ns iperf3 -s -D -1 -p 5201 >/dev/null 2>&1; sleep 0.5
	out=$(iperf3 -c $FE_IP -p 5201 -t 2 -R 2>&1) && t_ok "offload=0: iperf3 domU -> dom0 $(echo "$out" | iperf_mbps) Mbit/s" ||
		t_fail "offload=0: iperf3 domU -> dom0" "$(echo "$out" | tail -n 3)"
	[ "$(vs guest_rx_csum_partial)" = 0 ] && [ "$(vs guest_tx_csum_partial)" = 0 ] &&
		t_ok "offload=0: no checksum-partial packet either way" ||
		t_fail "offload=0: no checksum-partial packet" "rx $(vs guest_rx_csum_partial) tx $(vs guest_tx_csum_partial)"
	t_check "pvctl network-detach $domid $devid (offload=0)" pvctl network-detach $domid $devid
	wait_for 10 sh -c "! test -e /sys/class/net/$VIF"
	$IP netns del $DOM
else
	t_fail "offload=0: attach" "$(pvctl network-list $domid)"
fi
echo 1 >/sys/module/pvio_netfront/parameters/offload
t_check "pvctl destroy $DOM" pvctl destroy $domid
t_check "every pvio module unloads" pvio_unload
t_done
