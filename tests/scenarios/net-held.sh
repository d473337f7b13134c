# SPDX-License-Identifier: GPL-2.0
# pvio-check: stock
# Guest TX fragments that dom0's stack holds (issue #15 item 1: the
# bounded wait and the copy fallback of zero-copy guest TX). dom0
# bridges the vif with a veth whose other end is in a netns and whose
# qdisc is netem with a long delay, so each echo request the domU sends
# to that netns sits in the qdisc with its mapped fragment
# (pvio-netback.gro_copy_len=0: every packet beyond its 128-byte head is
# mapped, as a large one is). Bridged, not routed: IP's delivery in
# dom0 (forwarding too) copies a zero-copy skb's fragments at once
# (skb_orphan_frags_rx() in __netif_receive_skb_core()), a bridge port's
# rx_handler does not. Checks: the held packets take tx_hold_max (128)
# mapped slots of their queue, after which guest TX falls back to grant
# copies (tx_pending_full, tx_frag_copy), answered at once, so the ring
# never fills with held requests and TX still flows (more packets held
# than that, and pings to dom0 itself answered meanwhile);
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
FAR_IP=10.96.0.3
MAC=00:16:3e:00:97:01
NBP=/sys/module/pvio_netback/parameters
DRAIN_MS=3000

vstat() { ethtool -S $VIF | awk -v k="guest_$1:" '$1 == k { print $2 }'; }
# held: packets in hv0's qdisc now ("backlog 574000b 400p").
held() { /usr/sbin/tc -s qdisc show dev hv0 | awk '/backlog/ {
	for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+p$/) { sub(/p$/, "", $i); print $i; exit } }'; }

t_load
if kmod_load sch_netem && kmod_load veth && kmod_load bridge; then
	t_ok "sch_netem, veth and bridge loaded"
else
	t_fail "sch_netem, veth and bridge loaded" "they are in the stock kernel's modules"
	t_done; exit
fi
echo 0 >$NBP/gro_copy_len
echo $DRAIN_MS >$NBP/tx_drain_ms
# One queue: every held packet takes a slot of the same pending pool.
echo 1 >$NBP/max_queues
t_create $DOM
t_net_attach $domid mac=$MAC
# dom0's address goes on the bridge br0 of the vif and hv0.
net_fe_up
$IP netns add $FAR
$IP link add hv0 type veth peer name hv1
$IP link set hv1 netns $FAR
$IP -n $FAR addr add $FAR_IP/24 dev hv1
$IP -n $FAR link set hv1 up
$IP -n $FAR link set lo up
br_up $VIF hv0
wait_for 20 ping -c 1 -W 1 $FE_IP >/dev/null
t_check "ping domU -> the far netns through dom0's bridge" \
	ns ping -c 3 -W 5 -s 1400 $FAR_IP

# Hold: every forwarded packet waits 60 s in hv0's qdisc.
z0=$(vstat tx_zerocopy); p0=$(vstat tx_pending_full); c0=$(vstat tx_frag_copy)
/usr/sbin/tc qdisc add dev hv0 root netem delay 60s limit 10000 &&
	t_ok "netem delay 60s on hv0" || t_fail "netem delay 60s on hv0"
# Four senders at once: one busybox ping sends about 20 a second here.
for i in 1 2 3 4; do
	ns ping -q -c 100 -i 0.01 -s 1400 -w 15 $FAR_IP >/dev/null 2>&1 &
done
wait
h=$(held)
z1=$(vstat tx_zerocopy); p1=$(vstat tx_pending_full); c1=$(vstat tx_frag_copy)
echo "# held in hv0's qdisc: $h packets; tx_zerocopy +$((z1 - z0)) tx_pending_full +$((p1 - p0)) tx_frag_copy +$((c1 - c0))"
hm=$(cat $NBP/tx_hold_max)
[ -n "$h" ] && [ "$h" -ge $((hm + 50)) ] &&
	t_ok "4 x 100 pings to the far netns: $h held in the qdisc, more than tx_hold_max ($hm)" ||
	t_fail "pings held in the qdisc (>= tx_hold_max + 50)" "held '$h', tx_hold_max $hm"
[ $((z1 - z0)) = "$hm" ] &&
	t_ok "zero-copy stopped at tx_hold_max mapped slots held: tx_zerocopy +$((z1 - z0))" ||
	t_fail "tx_zerocopy grew by tx_hold_max ($hm)" "+$((z1 - z0))"
[ $((p1 - p0)) -gt 0 ] && [ $((c1 - c0)) -gt 0 ] &&
	t_ok "then copies, answered at once: tx_pending_full +$((p1 - p0)), tx_frag_copy +$((c1 - c0))" ||
	t_fail "copy fallback past tx_hold_max" "tx_pending_full +$((p1 - p0)) tx_frag_copy +$((c1 - c0))"
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
$IP link del br0
t_check "pvctl destroy $DOM" pvctl destroy $domid
if wait_for 20 sh -c "rmmod pvio-netback 2>/dev/null || ! test -d /sys/module/pvio_netback"; then
	t_ok "pvio-netback unloads once the stack let the packets go"
else
	t_fail "pvio-netback unloads after the release" "refcnt $(cat /sys/module/pvio_netback/refcnt 2>&1)"
fi
t_check "every pvio module unloads" pvio_unload
t_done
