# SPDX-License-Identifier: GPL-2.0
# pvio-check: test
# Split event channels (issue #15 item 3, Xen's netif.h): the backend
# offers feature-split-event-channels, the frontend then writes
# event-channel-tx and event-channel-rx instead of event-channel, and
# each direction has its own port and interrupt on both ends. Tested
# both ways with the fallback to one port: both ends willing; a frontend
# that does not use them (pvio-netfront.split_event_channels=0); a backend
# that does not offer them (pvio-netback.split_event_channels=0). Each
# time: the store keys, the interrupts (vifD.0-tx/-rx, ethN-tx/-rx or one
# each), ping and iperf3 TCP both ways, detach. Then a frontend asking
# for more queues than the backend offers (multi-queue-max-queues 1) is
# refused with Xen's message in the error node, so is one whose ring refs
# were never granted (both rings mapped in one batch: "mapping ring-ref
# 8"), and a new vif works after them; then everything unloads. One queue throughout (max_queues=1 at
# both ends, written before any vif exists): multi-queue with and without
# split event channels is net-mq.sh's.
. /pvio/lib.sh

DOM=nets1
FE_IP=10.95.0.2
BE_IP=10.95.0.1
MAC=00:16:3e:00:95:01
NBP=/sys/module/pvio_netback/parameters/split_event_channels
NFP=/sys/module/pvio_netfront/parameters/split_event_channels

has() { pvctl store read "$1" >/dev/null 2>&1; }
irqline() { grep -c "Dynamic-irq.* $1\$" /proc/interrupts; }

# round NAME BACKEND-OFFERS FRONTEND-USES: one attach, checks, detach.
round() {
	name=$1; echo "$2" >$NBP; echo "$3" >$NFP
	split=0; [ "$2" = Y ] && [ "$3" = Y ] && split=1
	if net_attach $domid mac=$MAC && wait_for 20 state_is $BE 4; then
		t_ok "$name: $VIF and $ETH connected"
	else
		t_fail "$name: $VIF and the frontend connected" "$(pvctl network-list $domid)"
		return
	fi
	offer=$(pvctl store read $BE/feature-split-event-channels 2>/dev/null)
	if [ $split = 1 ]; then
		has $FE/event-channel-tx && has $FE/event-channel-rx && ! has $FE/event-channel &&
			t_ok "$name: frontend wrote event-channel-tx $(pvctl store read $FE/event-channel-tx), -rx $(pvctl store read $FE/event-channel-rx)" ||
			t_fail "$name: event-channel-tx and -rx only" "$(pvctl store ls $FE)"
		[ "$(irqline $VIF-tx)" = 1 ] && [ "$(irqline $VIF-rx)" = 1 ] &&
		[ "$(irqline $ETH-tx)" = 1 ] && [ "$(irqline $ETH-rx)" = 1 ] &&
			t_ok "$name: two interrupts on each end" ||
			t_fail "$name: two interrupts on each end" "$(grep -E "$VIF|$ETH" /proc/interrupts)"
	else
		has $FE/event-channel && ! has $FE/event-channel-tx && ! has $FE/event-channel-rx &&
			t_ok "$name (offer '$offer'): frontend wrote event-channel $(pvctl store read $FE/event-channel) only" ||
			t_fail "$name: event-channel only" "$(pvctl store ls $FE)"
		[ "$(irqline $VIF)" = 1 ] && [ "$(irqline $ETH)" = 1 ] &&
		[ "$(irqline $VIF-tx)" = 0 ] && [ "$(irqline $ETH-rx)" = 0 ] &&
			t_ok "$name: one interrupt on each end" ||
			t_fail "$name: one interrupt on each end" "$(grep -E "$VIF|$ETH" /proc/interrupts)"
	fi
	net_ns_up
	[ "$(ethtool -l $VIF | awk '/Combined:/ { print $2 }' | paste -sd/)" = 1/1 ] &&
	[ "$(ns ethtool -l $ETH | awk '/Combined:/ { print $2 }' | paste -sd/)" = 1/1 ] &&
		t_ok "$name: ethtool -l: one combined channel on each end" ||
		t_fail "$name: ethtool -l: one combined channel" "$(ethtool -l $VIF 2>&1; ns ethtool -l $ETH 2>&1)"
	wait_for 20 ping -c 1 -W 1 $FE_IP >/dev/null
	t_check "$name: ping dom0 -> domU" ping -c 3 -W 5 -s 1400 $FE_IP
	t_check "$name: ping domU -> dom0" ns ping -c 3 -W 5 -s 4000 $BE_IP
	ns iperf3 -s -D -1 -p 5204 >/dev/null 2>&1; sleep 0.5
	out=$(iperf3 -c $FE_IP -p 5204 -t 2 2>&1) &&
		t_ok "$name: iperf3 dom0 -> domU $(echo "$out" | iperf_mbps) Mbit/s" ||
		t_fail "$name: iperf3 dom0 -> domU" "$(echo "$out" | tail -n 3)"
	ns iperf3 -s -D -1 -p 5204 >/dev/null 2>&1; sleep 0.5
	out=$(iperf3 -c $FE_IP -p 5204 -t 2 -R 2>&1) &&
		t_ok "$name: iperf3 domU -> dom0 $(echo "$out" | iperf_mbps) Mbit/s" ||
		t_fail "$name: iperf3 domU -> dom0" "$(echo "$out" | tail -n 3)"
	t_check "$name: pvctl network-detach" pvctl network-detach $domid $devid
	wait_for 10 sh -c "! test -e /sys/class/net/$VIF" >/dev/null
	wait_for 10 sh -c "! $IP netns exec $DOM test -e /sys/class/net/$ETH" >/dev/null
	[ "$(irqline $VIF)$(irqline $VIF-tx)$(irqline $VIF-rx)" = 000 ] &&
		t_ok "$name: interrupts gone" ||
		t_fail "$name: interrupts gone" "$(grep -E "vif|eth" /proc/interrupts)"
	$IP netns del $DOM
	$IP netns add $DOM
}

t_load
echo 1 >/sys/module/pvio_netback/parameters/max_queues
echo 1 >/sys/module/pvio_netfront/parameters/max_queues
[ "$(cat $NBP)" = Y ] && [ "$(cat $NFP)" = Y ] &&
	t_ok "split event channels on by default at both ends" ||
	t_fail "split event channels on by default" "netback $(cat $NBP) netfront $(cat $NFP)"
t_create $DOM
$IP netns add $DOM
round "split both ends" Y Y
round "frontend without split" Y N
round "backend without split" N Y
echo Y >$NBP; echo Y >$NFP

# More queues than offered: the backend offers multi-queue-max-queues 1
# (max_queues=1); a frontend asking for 4 is refused as Xen does (error
# node, Closing), and the backend driver stays usable: a new vif connects
# and carries traffic. pvio-netfront asks for no more than offered, so
# the frontend is played by this script: pvio-netfront is unloaded, the
# vif attached (the backend waits in InitWait), and its keys and
# Initialised written to the store by hand.
# refused NAME PATTERN KEY=VALUE...: a vif whose frontend (this script)
# writes the keys and Initialised is refused, its backend's error node
# matching PATTERN, and goes Closing/Closed; then it is detached.
refused() {
	name=$1 pat=$2; shift 2
	devid=$(pvctl network-attach $domid mac=$MAC)
	BE=/local/domain/0/backend/vif/$domid/$devid
	FE=/local/domain/$domid/device/vif/$devid
	if wait_for 20 state_is $BE 2; then
		t_ok "$name: backend in InitWait, offers multi-queue-max-queues $(pvctl store read $BE/multi-queue-max-queues)"
	else
		t_fail "$name: backend in InitWait" "$(pvctl network-list $domid)"
	fi
	for kv in "$@" state=3; do
		pvctl store write $FE/${kv%%=*} ${kv#*=}
	done
	if wait_for 30 sh -c "pvctl store read $BE/error 2>/dev/null | grep -q '$pat'"; then
		t_ok "$name -> error: $(pvctl store read $BE/error)"
	else
		t_fail "$name -> error node" "$(pvctl store read $BE/error 2>&1); state $(pvctl store read $BE/state 2>&1)"
	fi
	st=$(pvctl store read $BE/state 2>/dev/null)
	[ "$st" = 5 ] || [ "$st" = 6 ] && t_ok "that backend is Closing/Closed ($st)" ||
		t_fail "that backend is Closing/Closed" "state $st"
	pvctl store write $FE/state 6
	t_check "$name: pvctl network-detach" pvctl network-detach $domid $devid
	wait_for 10 sh -c "! test -e /sys/class/net/vif$domid.$devid" >/dev/null
}
rmmod pvio-netfront
refused "frontend asking for 4 queues" "requested 4 queues" \
	multi-queue-num-queues=4 request-rx-copy=1 feature-rx-notify=1 \
	queue-0/tx-ring-ref=8 queue-0/rx-ring-ref=9 queue-0/event-channel=5
# Ring refs the frontend never granted: both rings are mapped in one
# batch (pvio_xenbus_map_ring_refs()), refused naming the first bad ref,
# none left mapped; the backend driver stays usable (the round below).
refused "ring refs never granted" "mapping ring-ref 8 " \
	request-rx-copy=1 feature-rx-notify=1 tx-ring-ref=8 rx-ring-ref=9 event-channel=5
insmod /pvio/modules/pvio-netfront.ko max_queues=1
round "after the refused vif" Y Y
$IP netns del $DOM
t_check "pvctl destroy $DOM" pvctl destroy $domid
t_check "every pvio module unloads" pvio_unload
t_done
