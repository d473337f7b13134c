# SPDX-License-Identifier: GPL-2.0
# pvio-check: test
# pvio-timeout: 1500
# Multi-queue (issue #15 item 3, Xen's netif.h): the backend offers
# multi-queue-max-queues (pvio-netback.max_queues, default the online
# CPUs), the frontend asks for min(offer, its max_queues, online CPUs)
# with multi-queue-num-queues and writes each queue's ring refs and ports
# under queue-N/; one NAPI context per queue at each end. Rounds: 2
# queues with split event channels, 2 queues with one port per queue,
# a frontend loaded with max_queues=1 against a 2-queue backend, a backend
# loaded with max_queues=1 against a 2-queue frontend. Each time: the
# store keys, ethtool -l on both ends, the interrupts of each queue's
# ports (and the CPU each frontend queue is bound to), iperf3 -P 4 both
# ways, per-queue counters at both ends, detach. In the first round,
# pvio-netfront.xps=1: UDP sent from CPU N leaves on queue N.
. /pvio/lib.sh

DOM=netmq1
FE_IP=10.96.0.2
BE_IP=10.96.0.1
MAC=00:16:3e:00:96:01
PAR=/sys/module/pvio_%s/parameters
NCPU=$(grep -c ^processor /proc/cpuinfo)

has() { pvctl store read "$1" >/dev/null 2>&1; }
irqline() { grep -c "Dynamic-irq.* $1\$" /proc/interrupts; }
irqnum() { grep "Dynamic-irq.* $1\$" /proc/interrupts | awk -F: '{ gsub(/ /, "", $1); print $1 }'; }
chans() { awk '/Combined:/ { print $2 }' | paste -sd/; }

setp() { echo "$3" >"$(printf $PAR $1)/$2"; }
# reload MODULE [PARAM=VALUE]: the module unloaded and loaded again with
# the parameter at load.
reload() { rmmod pvio-$1 && insmod /pvio/modules/pvio-$1.ko $2; }
vq() { ethtool -S $VIF | awk -v k="q$1_guest_$2:" '$1 == k { print $2 }'; }
fq() { ns ethtool -S "$ETH" | awk -v k="q$1_$2:" '$1 == k { print $2 }'; }
# sum_mbps: the receiver's [SUM] line of iperf3 -P, in Mbit/s.
sum_mbps() { awk '/SUM.*receiver/ { r = $6; u = $7 } END {
	if (u == "Gbits/sec") r *= 1000; else if (u == "Kbits/sec") r /= 1000
	printf "%.1f\n", r + 0 }'; }
pos() { [ -n "$1" ] && [ "$1" -gt 0 ] 2>/dev/null; }

# xps_check NAME: pvio-netfront.xps=1 (the XPS map picks the TX queue):
# iperf3 UDP from the domU pinned to CPU C leaves on $ETH's queue C (at
# least 95% of the packets of the run; queue C's ports are bound to CPU C,
# checked above); then xps=0 again.
xps_check() {
	setp netfront xps 1
	for c in 0 1; do
		a0=$(fq 0 tx_packets); a1=$(fq 1 tx_packets)
		iperf3 -s -D -1 -p 5206 >/dev/null 2>&1; sleep 0.5
		out=$(taskset -c $c $IP netns exec $DOM iperf3 -c $BE_IP -p 5206 -u -b 5M -t 2 2>&1); rc=$?
		d0=$(($(fq 0 tx_packets) - a0)); d1=$(($(fq 1 tx_packets) - a1))
		eval "mine=\$d$c"
		[ $rc = 0 ] && [ $((mine * 100)) -ge $(((d0 + d1) * 95)) ] && [ $mine -gt 100 ] &&
			t_ok "$1: xps=1, UDP sent on CPU $c leaves on $ETH queue $c (q0 +$d0, q1 +$d1)" ||
			t_fail "$1: xps=1, UDP sent on CPU $c on queue $c" "rc $rc, q0 +$d0, q1 +$d1: $(echo "$out" | tail -n 2)"
	done
	setp netfront xps 0
}

# round NAME QUEUES SPLIT VIF-CHANNELS ETH-CHANNELS: one attach, checks,
# detach. QUEUES is what must be negotiated.
round() {
	name=$1; nq=$2; split=$3
	if net_attach $domid mac=$MAC && wait_for 20 state_is $BE 4; then
		t_ok "$name: $VIF and $ETH connected"
	else
		t_fail "$name: $VIF and $ETH connected" "$(pvctl network-list $domid; pvctl store ls $FE 2>&1)"
		return
	fi
	offer=$(pvctl store read $BE/multi-queue-max-queues 2>/dev/null)
	asked=$(pvctl store read $FE/multi-queue-num-queues 2>/dev/null)
	if [ $nq -gt 1 ]; then
		ok=1
		for q in 0 1; do
			has $FE/queue-$q/tx-ring-ref && has $FE/queue-$q/rx-ring-ref || ok=0
			if [ $split = 1 ]; then
				has $FE/queue-$q/event-channel-tx && has $FE/queue-$q/event-channel-rx || ok=0
			else
				has $FE/queue-$q/event-channel && ! has $FE/queue-$q/event-channel-tx || ok=0
			fi
		done
		has $FE/tx-ring-ref && ok=0
		has $FE/event-channel && ok=0
		[ "$asked" = $nq ] && [ $ok = 1 ] &&
			t_ok "$name: offer $offer, frontend asked $asked, keys in queue-0/ and queue-1/" ||
			t_fail "$name: queue-N keys" "offer $offer asked $asked; $(pvctl store ls $FE)"
	else
		[ "$asked" = 1 ] && has $FE/tx-ring-ref && ! has $FE/queue-0/tx-ring-ref &&
			t_ok "$name: offer $offer, frontend asked 1 queue, flat keys" ||
			t_fail "$name: one queue, flat keys" "offer $offer asked '$asked'; $(pvctl store ls $FE)"
	fi
	net_ns_up
	vc=$(ethtool -l $VIF | chans); ec=$(ns ethtool -l $ETH | chans)
	[ "$vc" = "$4" ] && [ "$ec" = "$5" ] &&
		t_ok "$name: ethtool -l combined (max/current): $VIF $vc, $ETH $ec" ||
		t_fail "$name: ethtool -l $VIF $4, $ETH $5" "$VIF $vc, $ETH $ec"
	grep -E "$VIF|$ETH" /proc/interrupts | sed 's/^/# /'
	if [ $nq -gt 1 ]; then
		sfx="-q0 -q1"; [ $split = 1 ] && sfx="-q0-tx -q0-rx -q1-tx -q1-rx"
		n=0; want=0
		for s in $sfx; do
			want=$((want + 2))
			n=$((n + $(irqline $VIF$s) + $(irqline $ETH$s)))
		done
		[ $n = $want ] && t_ok "$name: $want interrupts, one per queue and port on each end" ||
			t_fail "$name: $want interrupts" "$(grep -E "$VIF|$ETH" /proc/interrupts)"
		cpus=""; ok=1
		for s in $sfx; do
			q=${s#-q}; q=${q%%-*}
			a=$(cat /proc/irq/$(irqnum $ETH$s)/smp_affinity_list 2>/dev/null)
			cpus="$cpus $ETH$s:$a"
			[ "$a" = $q ] || ok=0
		done
		[ $ok = 1 ] && t_ok "$name: $ETH queue N's ports bound to CPU N:$cpus" ||
			t_fail "$name: $ETH queue N's ports on CPU N" "$cpus"
	else
		[ $(($(irqline $VIF) + $(irqline $VIF-tx) + $(irqline $VIF-rx))) -ge 1 ] &&
		[ "$(irqline $VIF-q1)$(irqline $VIF-q1-tx)$(irqline $ETH-q1)$(irqline $ETH-q1-tx)" = 0000 ] &&
			t_ok "$name: one queue's interrupts on each end" ||
			t_fail "$name: one queue's interrupts" "$(grep -E "$VIF|$ETH" /proc/interrupts)"
	fi
	wait_for 20 ping -c 1 -W 1 $FE_IP >/dev/null
	t_check "$name: ping domU -> dom0" ns ping -c 3 -W 5 -s 4000 $BE_IP
	ns iperf3 -s -D -1 -p 5205 >/dev/null 2>&1; sleep 0.5
	out=$(iperf3 -c $FE_IP -p 5205 -t 2 -P 4 2>&1) &&
		t_ok "$name: iperf3 -P 4 dom0 -> domU $(echo "$out" | sum_mbps) Mbit/s" ||
		t_fail "$name: iperf3 -P 4 dom0 -> domU" "$(echo "$out" | tail -n 3)"
	ns iperf3 -s -D -1 -p 5205 >/dev/null 2>&1; sleep 0.5
	out=$(iperf3 -c $FE_IP -p 5205 -t 2 -P 4 -R 2>&1) &&
		t_ok "$name: iperf3 -P 4 domU -> dom0 $(echo "$out" | sum_mbps) Mbit/s" ||
		t_fail "$name: iperf3 -P 4 domU -> dom0" "$(echo "$out" | tail -n 3)"
	ethtool -S $VIF | grep -E ' q[0-9]+_' | sed 's/^/# vif /'
	ns ethtool -S $ETH | grep -E ' q[0-9]+_' | sed 's/^/# eth /'
	if [ $nq -gt 1 ]; then
		pos "$(vq 0 tx_packets)" && pos "$(vq 1 tx_packets)" &&
		pos "$(vq 0 rx_packets)" && pos "$(vq 1 rx_packets)" &&
			t_ok "$name: $VIF: both queues carried both directions (q0 tx $(vq 0 tx_packets) rx $(vq 0 rx_packets), q1 tx $(vq 1 tx_packets) rx $(vq 1 rx_packets))" ||
			t_fail "$name: $VIF: both queues carried traffic" "$(ethtool -S $VIF | grep ' q')"
		pos "$(fq 0 tx_packets)" && pos "$(fq 1 tx_packets)" &&
		pos "$(fq 0 rx_packets)" && pos "$(fq 1 rx_packets)" &&
			t_ok "$name: $ETH: both queues carried both directions (q0 tx $(fq 0 tx_packets) rx $(fq 0 rx_packets), q1 tx $(fq 1 tx_packets) rx $(fq 1 rx_packets))" ||
			t_fail "$name: $ETH: both queues carried traffic" "$(ns ethtool -S $ETH | grep ' q')"
	else
		pos "$(vq 0 tx_packets)" && pos "$(vq 0 rx_packets)" &&
		[ "$(vq 1 tx_packets)$(vq 1 rx_packets)" = "" -o "$(vq 1 tx_packets)$(vq 1 rx_packets)" = 00 ] &&
		pos "$(fq 0 tx_packets)" && [ "$(fq 1 tx_packets)" = "" -o "$(fq 1 tx_packets)" = 0 ] &&
			t_ok "$name: all traffic on queue 0 at both ends" ||
			t_fail "$name: all traffic on queue 0" "$(ethtool -S $VIF | grep ' q'; ns ethtool -S $ETH | grep ' q')"
	fi
	[ -n "${XPS_ROUND:-}" ] && xps_check "$name"
	t_check "$name: pvctl network-detach" pvctl network-detach $domid $devid
	wait_for 10 sh -c "! test -e /sys/class/net/$VIF" >/dev/null
	wait_for 10 sh -c "! $IP netns exec $DOM test -e /sys/class/net/$ETH" >/dev/null
	[ "$(grep -cE "$VIF|$ETH" /proc/interrupts)" = 0 ] &&
		t_ok "$name: interrupts gone" ||
		t_fail "$name: interrupts gone" "$(grep -E "vif|eth" /proc/interrupts)"
	$IP netns del $DOM
	$IP netns add $DOM
}

t_load
nb=$(cat $(printf $PAR netback)/max_queues); nf=$(cat $(printf $PAR netfront)/max_queues)
[ "$nb" = $NCPU ] && [ "$nf" = $NCPU ] &&
	t_ok "max_queues defaults: the online CPUs ($NCPU) at both ends" ||
	t_fail "max_queues defaults: $NCPU at both ends" "netback $nb netfront $nf"
t_create $DOM vcpus=2
$IP netns add $DOM
setp netback max_queues 2; setp netfront max_queues 2
XPS_ROUND=1 round "2 queues, split event channels" 2 1 2/2 2/2
setp netfront split_event_channels N
round "2 queues, one port each" 2 0 2/2 2/2
setp netfront split_event_channels Y
reload netfront max_queues=1 &&
	t_ok "pvio-netfront reloaded with max_queues=1" || t_fail "reload pvio-netfront max_queues=1"
setp netback max_queues 2
round "frontend max_queues=1, backend offers 2" 1 1 2/1 1/1
reload netfront max_queues=2 && reload netback max_queues=1 &&
	t_ok "pvio-netfront max_queues=2, pvio-netback reloaded with max_queues=1" ||
	t_fail "reload pvio-netback max_queues=1"
round "backend max_queues=1, frontend 2" 1 1 1/1 2/1
$IP netns del $DOM
t_check "pvctl destroy $DOM" pvctl destroy $domid
t_check "every pvio module unloads" pvio_unload
t_done
