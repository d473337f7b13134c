# SPDX-License-Identifier: GPL-2.0
# pvio-check: stock
# Guest TX fragments that dom0's stack holds (issue #15 item 1: the
# bounded wait and the copy fallback of zero-copy guest TX). dom0
# forwards the domU's pings to a netns behind a veth whose qdisc is netem
# with a long delay, so each forwarded echo request sits in the qdisc
# with its mapped fragment (pvio-netback.gro_copy_len=0: every packet
# beyond its 128-byte head is mapped, as a large one is). Checks: the
# held packets take every pending slot of their queue, after which guest
# TX falls back to grant copies (tx_pending_full, tx_frag_copy) and still
# flows (pings to dom0 itself are answered while the others are held);
# a detach while they are held gives up after tx_drain_ms, unmaps their
# grants (tx_zerocopy_timeout and the kernel's warning) and completes;
# pvio-netback cannot be unloaded while those orphaned packets still
# hold it; once the qdisc lets them go (tc qdisc del frees them), it
# unloads. Stock kernel: the test kernel has no netem (sch_netem).
. /pvio/lib.sh

DOM=nethold1
FE_IP=10.96.0.2
BE_IP=10.96.0.1
FAR=nethold_far
FAR_IP=10.97.0.2
HOP_IP=10.97.0.1
MAC=00:16:3e:00:97:01
NBP=/sys/module/pvio_netback/parameters
DRAIN_MS=3000

vstat() { ethtool -S $VIF | awk -v k="guest_$1:" '$1 == k { print $2 }'; }
# held: packets in hv0's qdisc now ("backlog 574000b 400p").
held() { /usr/sbin/tc -s qdisc show dev hv0 | awk '/backlog/ {
	for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+p$/) { sub(/p$/, "", $i); print $i; exit } }'; }

t_load
if kmod_load sch_netem && kmod_load veth; then
	t_ok "sch_netem and veth loaded"
else
	t_fail "sch_netem and veth loaded" "netem is in the stock kernel's modules"
	t_done; exit
fi
echo 0 >$NBP/gro_copy_len
echo $DRAIN_MS >$NBP/tx_drain_ms
# One queue: every held packet takes a slot of the same pending pool.
echo 1 >$NBP/max_queues
t_create $DOM
t_net_attach $domid mac=$MAC
net_ns_up
$IP netns add $FAR
$IP link add hv0 type veth peer name hv1
$IP link set hv1 netns $FAR
$IP addr add $HOP_IP/24 dev hv0
$IP link set hv0 up
$IP -n $FAR addr add $FAR_IP/24 dev hv1
$IP -n $FAR link set hv1 up
$IP -n $FAR link set lo up
$IP -n $FAR route add 10.96.0.0/24 via $HOP_IP
ns $IP route add 10.97.0.0/24 via $BE_IP
echo 1 >/proc/sys/net/ipv4/ip_forward
wait_for 20 ping -c 1 -W 1 $FE_IP >/dev/null
t_check "ping domU -> the far netns through dom0's forwarding" \
	ns ping -c 3 -W 5 -s 1400 $FAR_IP

# Hold: every forwarded packet waits 60 s in hv0's qdisc.
z0=$(vstat tx_zerocopy); p0=$(vstat tx_pending_full); c0=$(vstat tx_frag_copy)
/usr/sbin/tc qdisc add dev hv0 root netem delay 60s limit 10000 &&
	t_ok "netem delay 60s on hv0" || t_fail "netem delay 60s on hv0"
ns ping -q -c 400 -i 0.01 -s 1400 -w 10 $FAR_IP >/dev/null 2>&1
h=$(held)
z1=$(vstat tx_zerocopy); p1=$(vstat tx_pending_full); c1=$(vstat tx_frag_copy)
echo "# held in hv0's qdisc: $h packets; tx_zerocopy +$((z1 - z0)) tx_pending_full +$((p1 - p0)) tx_frag_copy +$((c1 - c0))"
[ -n "$h" ] && [ "$h" -ge 300 ] &&
	t_ok "400 pings to the far netns: $h held in the qdisc" ||
	t_fail "pings held in the qdisc (>= 300)" "held '$h'"
[ $((z1 - z0)) -ge 256 ] && [ $((z1 - z0)) -le 300 ] &&
	t_ok "zero-copy took the queue's 256 pending slots: tx_zerocopy +$((z1 - z0))" ||
	t_fail "tx_zerocopy grew by the 256 pending slots" "+$((z1 - z0))"
[ $((p1 - p0)) -gt 0 ] && [ $((c1 - c0)) -gt 0 ] &&
	t_ok "then copies: tx_pending_full +$((p1 - p0)), tx_frag_copy +$((c1 - c0))" ||
	t_fail "copy fallback with every slot held" "tx_pending_full +$((p1 - p0)) tx_frag_copy +$((c1 - c0))"
# Guest TX still flows, by copy, while every slot is held.
c0=$(vstat tx_frag_copy)
t_check "ping domU -> dom0 (1400 bytes) answered while the slots are held" \
	ns ping -c 5 -W 5 -s 1400 $BE_IP
c1=$(vstat tx_frag_copy)
[ $((c1 - c0)) -ge 5 ] && t_ok "those pings were copied: tx_frag_copy +$((c1 - c0))" ||
	t_fail "pings while held copied" "tx_frag_copy +$((c1 - c0))"

# Detach while held: the drain gives up after tx_drain_ms.
dmesg -c >/dev/null
t0=$(cut -d" " -f1 /proc/uptime)
pvctl network-detach $domid $devid
if wait_for 40 sh -c "! test -e /sys/class/net/$VIF"; then
	t1=$(cut -d" " -f1 /proc/uptime)
	t_ok "network-detach with packets held: $VIF gone after $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.1f", b - a }') s (tx_drain_ms $DRAIN_MS, the packets' delay 60 s)"
else
	t_fail "network-detach with packets held: $VIF gone" "$(pvctl network-list $domid)"
fi
w=$(dmesg | grep "TX skbs still held by the stack after $DRAIN_MS ms")
echo "# $w"
[ -n "$w" ] && t_ok "the drain gave up and unmapped: $(echo "$w" | sed 's/.*: //')" ||
	t_fail "the drain's warning" "$(dmesg | tail -n 5)"
! rmmod pvio-netback 2>/dev/null &&
	t_ok "pvio-netback not unloaded while orphaned packets hold it" ||
	t_fail "pvio-netback refused while packets are held" "it unloaded"

# Released: the qdisc frees them; the module's reference goes with the last.
/usr/sbin/tc qdisc del dev hv0 root
$IP netns del $DOM
$IP netns del $FAR
$IP link del hv0 2>/dev/null
t_check "pvctl destroy $DOM" pvctl destroy $domid
if wait_for 20 sh -c "rmmod pvio-netback 2>/dev/null || ! test -d /sys/module/pvio_netback"; then
	t_ok "pvio-netback unloads once the stack let the packets go"
else
	t_fail "pvio-netback unloads after the release" "refcnt $(cat /sys/module/pvio_netback/refcnt 2>&1)"
fi
t_check "every pvio module unloads" pvio_unload
t_done
