# SPDX-License-Identifier: GPL-2.0
# pvio-check: stock test
# Backend restarts driven by the toolstack (issue #12): pvctl block-migrate
# moves a live vbd from /dev/ram0 to /dev/ram1 under fio, after refusing
# bad targets with the disk untouched; pvctl suspend / resume (the device
# half of Xen's save/restore) with fio verifying across it and a vif
# whose domU side sits in a network namespace, the domain listed as
# suspended in between, the backend directories saved and re-created,
# and the refusals in the wrong state. The fio runs across a backend
# restart need a frontend that holds its I/O while its backend is gone
# (blkfront's recovery), the ping after resume a netfront that keeps its
# interface (netfront's recovery); without them those fail and the rest
# still runs.
. /pvio/lib.sh

XVDA=51712	# 202 << 8
IP=/usr/sbin/ip
NS=migdom
MAC=00:16:3e:00:77:01
FE_IP=10.98.0.2
BE_IP=10.98.0.1
FIO_COMMON="--filename=/dev/xvda --direct=1 --ioengine=libaio --rw=randwrite \
--bsrange=4k-1m --iodepth=32 --verify=crc32c --verify_fatal=1 \
--allow_file_create=0"
# Two jobs across each backend restart: "busy" keeps 32 requests in flight
# on the first 32 MiB and verifies what it wrote as it goes; "fill"
# writes the last 32 MiB at 4 MB/s, then verifies them (and again with
# --verify_only after the migration, from the new backing).
FIO_BUSY="--name=busy --offset=0 --size=32M --time_based --runtime=15 \
--verify_backlog=32"
FIO_FILL="--name=fill --offset=32M --size=32M"

# bad WANT ARGS...: pvctl ARGS exits WANT with one line on stderr.
bad() {
	want=$1; shift
	out=$(pvctl "$@" 2>&1); rc=$?
	if [ $rc = "$want" ] && [ "$(echo "$out" | wc -l)" = 1 ]; then
		t_ok "pvctl $* -> exit $want, one line"
		echo "#   $out"
	else
		t_fail "pvctl $* -> exit $want, one line" "exit $rc: $out"
	fi
}
# sum DEV: checksum of DEV's contents, read past the page cache.
sum() {
	sync; echo 3 >/proc/sys/vm/drop_caches
	md5sum <"$1" | cut -d' ' -f1
}
# fio_ok LOG: fio's log shows a run with no error.
fio_ok() { grep -q 'err= 0' "$1" && ! grep -qE 'err= *[1-9]|verify: bad|EIO' "$1"; }
ns() { $IP netns exec $NS "$@"; }
by_mac() {
	for a in /sys/class/net/*/address; do
		[ "$(cat $a)" = "$1" ] && basename "$(dirname $a)" && return 0
	done
	return 1
}
# t_fio_across PID OUT WHAT: one result, the fio run PID (output in OUT)
# ended without error across WHAT (needs blkfront's recovery: I/O held
# while the backend is gone); blkfront's log lines after it.
t_fio_across() {
	wait "$1"; frc=$?
	if [ $frc = 0 ] && fio_ok "$2"; then
		t_ok "fio randwrite+verify across $3: no error"
		dmesg | grep -E 'holding|recover|replay' | tail -3 | sed 's/^/#   /'
	else
		t_fail "fio randwrite+verify across $3: no error" "exit $frc: $(grep -E 'err=|verify|error' "$2" | head -4)"
	fi
}
# dom_state: the state column of pvctl list for the domain.
dom_state() { pvctl list | awk -v d="$domid" '$1 == d { print $3 }'; }
state_now() { [ "$(dom_state)" = "$1" ]; }

t_load brd rd_nr=3 rd_size=65536
# The copy of 64 MiB while the frontend holds its I/O took 84 s on a
# loaded host with the KASAN kernel: hold for up to 5 minutes here.
echo 300 >/sys/module/pvio_blkfront/parameters/recovery_timeout
wait_for 5 pvctl store ls /local/domain/0
res_snapshot

t_create migdom vcpus=2
fe=/local/domain/$domid/device/vbd/$XVDA
be=/local/domain/0/backend/vbd/$domid/$XVDA
t_check "pvctl block-attach $domid /dev/ram0 xvda" pvctl block-attach $domid /dev/ram0 xvda
if wait_for 10 state_is $fe 4 && wait_for 10 state_is $be 4 && wait_for 5 test -b /dev/xvda; then
	t_ok "/dev/xvda on ram0, both ends Connected"
else
	t_fail "/dev/xvda on ram0, both ends Connected" "fe $(pvctl store read $fe/state) be $(pvctl store read $be/state)"
	t_done; exit
fi
[ "$(pvctl store read /local/domain/$domid/control/feature-suspend)" = 1 ] &&
	t_ok "the domU announces control/feature-suspend" ||
	t_fail "the domU announces control/feature-suspend"

# ---- block-migrate: refusals, the disk untouched ----------------------
dd if=/dev/urandom of=/dev/xvda bs=1M count=8 oflag=direct 2>/dev/null ||
	dd if=/dev/urandom of=/dev/xvda bs=1M count=8 2>/dev/null
sum0=$(sum /dev/xvda)
dd if=/dev/zero of=/tmp/small.img bs=1M count=1 2>/dev/null
t_check "block-attach ram2 as xvdb (a busy target)" pvctl block-attach $domid /dev/ram2 xvdb
wait_for 10 state_is /local/domain/0/backend/vbd/$domid/51728 4
bad 3 block-migrate $domid xvda /dev/nosuchdisk
bad 1 block-migrate $domid xvda /tmp/small.img
bad 1 block-migrate $domid xvda /dev/ram2
bad 1 block-migrate $domid xvda /dev/ram0
bad 2 block-migrate $domid xvda /dev/null
bad 3 block-migrate $domid xvdc /dev/ram1
bad 2 block-migrate $domid xvda
t_check "block-detach xvdb" pvctl block-detach $domid xvdb
[ "$(pvctl store read $be/params)" = /dev/ram0 ] && state_is $be 4 &&
	t_ok "after the refusals: still on ram0, Connected" ||
	t_fail "after the refusals: still on ram0, Connected" "$(pvctl store read $be/params) state $(pvctl store read $be/state)"
[ "$(sum /dev/xvda)" = "$sum0" ] && t_ok "after the refusals: xvda's checksum unchanged" ||
	t_fail "after the refusals: xvda's checksum unchanged"

# ---- block-migrate ram0 -> ram1 under fio --------------------------------
dd if=/dev/zero of=/dev/ram1 bs=1M count=64 2>/dev/null
fio $FIO_COMMON $FIO_BUSY $FIO_FILL --rate=4m --do_verify=1 >/tmp/fio-mig.out 2>&1 &
fpid=$!
sleep 3
if out=$(pvctl block-migrate $domid xvda /dev/ram1 2>&1); then
	t_ok "pvctl block-migrate $domid xvda /dev/ram1"
	echo "#   $out"
else
	t_fail "pvctl block-migrate $domid xvda /dev/ram1" "$out"
fi
[ "$(pvctl store read $be/params)" = /dev/ram1 ] && [ "$(pvctl store read $be/physical-device)" = 1:1 ] &&
	t_ok "blkback's params: /dev/ram1 (physical-device 1:1)" ||
	t_fail "blkback's params: /dev/ram1" "$(pvctl store ls $be)"
wait_for 10 state_is $be 4 && wait_for 10 state_is $fe 4 &&
	t_ok "both ends Connected again" ||
	t_fail "both ends Connected again" "fe $(pvctl store read $fe/state) be $(pvctl store read $be/state)"
t_fio_across $fpid /tmp/fio-mig.out "the migration"
wait_for 5 test -b /dev/xvda
if fio $FIO_COMMON $FIO_FILL --verify_only >/tmp/fio-v.out 2>&1 && fio_ok /tmp/fio-v.out; then
	t_ok "fio verify_only pass on ram1: no error"
else
	t_fail "fio verify_only pass on ram1: no error" "$(grep -E 'err=|verify|error' /tmp/fio-v.out | head -4)"
fi
[ "$(sum /dev/xvda)" = "$(sum /dev/ram1)" ] && t_ok "xvda reads what ram1 holds" ||
	t_fail "xvda reads what ram1 holds"
bad 3 block-migrate $domid xvda /dev/nosuchdisk

# ---- suspend / resume ------------------------------------------------
vif=$(pvctl network-attach $domid mac=$MAC)
vbe=/local/domain/0/backend/vif/$domid/$vif
VIF=vif$domid.$vif
if wait_for 10 state_is $vbe 4 && wait_for 20 test -e /sys/class/net/$VIF && wait_for 20 by_mac $MAC; then
	t_ok "a vif too (devid $vif), Connected"
	ETH=$(by_mac $MAC)
	$IP netns add $NS
	$IP link set "$ETH" netns $NS
	ns $IP link set lo up
	ns $IP addr add $FE_IP/24 dev "$ETH"
	ns $IP link set "$ETH" up
	$IP addr add $BE_IP/24 dev $VIF
	$IP link set $VIF up
	t_check "ping domU -> dom0 through the vif" ns ping -c 2 -W 5 $BE_IP
else
	t_fail "a vif too, Connected" "be $(pvctl store read $vbe/state)"
fi
bad 1 resume $domid
bad 2 suspend 0
bad 3 suspend nosuchdom
saved=/local/domain/0/pvctl-saved/$domid
# An open TCP connection from the domU to dom0 across the suspend/resume:
# the domU keeps its interface (netfront holds it), dom0's vif goes and
# comes back, TCP retransmits meanwhile (45 s: room for its back-off).
iperf3 -s -D -p 5202 -I /tmp/iperf3-sr.pid >/dev/null 2>&1
ns iperf3 -c $BE_IP -p 5202 -t 45 -i 1 --forceflush >/tmp/iperf-sr.out 2>&1 &
ipid=$!
sleep 2
fio $FIO_COMMON $FIO_BUSY $FIO_FILL --rate=4m --do_verify=1 >/tmp/fio-sr.out 2>&1 &
fpid=$!
sleep 3
if out=$(pvctl suspend $domid 2>&1); then
	t_ok "pvctl suspend $domid"
	echo "#   $out"
else
	t_fail "pvctl suspend $domid" "$out"
fi
pvctl list | sed 's/^/#   /'
state_now suspended && t_ok "pvctl list: suspended" || t_fail "pvctl list: suspended" "$(pvctl list)"
[ -z "$(pvctl store read /local/domain/$domid/control/shutdown)" ] &&
	t_ok "the guest acknowledged control/shutdown (empty)" ||
	t_fail "the guest acknowledged control/shutdown"
! pvctl store read $be >/dev/null 2>&1 && ! pvctl store read $vbe >/dev/null 2>&1 &&
	t_ok "both backend directories removed" || t_fail "both backend directories removed"
[ "$(pvctl store read $saved/vbd/$XVDA/params)" = /dev/ram1 ] &&
	[ "$(pvctl store read $saved/vif/$vif/mac)" = "$(pvctl store read /local/domain/$domid/device/vif/$vif/mac)" ] &&
	t_ok "saved: vbd params and vif mac in $saved" ||
	t_fail "saved: vbd params and vif mac" "$(pvctl store ls $saved 2>&1)"
pvctl store ls $saved | sed 's/^/#   /'
[ ! -e /sys/bus/pvio-backend/devices/vbd-$domid-$XVDA ] && t_ok "blkback let go of the vbd" ||
	t_fail "blkback let go of the vbd"
bad 1 suspend $domid
sleep 1
if out=$(pvctl resume $domid 2>&1); then
	t_ok "pvctl resume $domid"
	echo "#   $out"
else
	t_fail "pvctl resume $domid" "$out"
fi
state_now running && t_ok "pvctl list: running" || t_fail "pvctl list: running" "$(pvctl list)"
! pvctl store read $saved >/dev/null 2>&1 && t_ok "the saved copy is gone" ||
	t_fail "the saved copy is gone" "$(pvctl store ls $saved)"
state_is $be 4 && state_is $vbe 4 && [ "$(pvctl store read $be/params)" = /dev/ram1 ] &&
	t_ok "vbd (on ram1) and vif backends Connected again" ||
	t_fail "vbd and vif backends Connected again" "vbd $(pvctl store read $be/state) vif $(pvctl store read $vbe/state)"
wait_for 10 state_is $fe 4 && t_ok "the vbd frontend Connected again" ||
	t_fail "the vbd frontend Connected again" "fe $(pvctl store read $fe/state)"
bad 1 resume $domid
# The backend's vif is a new netdev: its address is the hotplug script's
# job, done here by hand.
if wait_for 20 test -e /sys/class/net/$VIF; then
	$IP addr add $BE_IP/24 dev $VIF 2>/dev/null
	$IP link set $VIF up
fi
# needs netfront's recovery: the domU keeps its interface and address
if wait_for 20 ns ping -c 1 -W 1 $BE_IP; then
	t_ok "after resume: ping domU -> dom0 from the same interface"
else
	t_fail "after resume: ping domU -> dom0 from the same interface" "$(ns $IP -br addr 2>&1 | tr '\n' ' ')"
fi
# Kept = iperf3 ends without error and, after its first empty interval
# (the outage), some interval carries bytes again. Not "the last seconds
# all carry bytes": TCP's retransmit back-off after an outage of 10-20 s
# on a loaded host can itself idle a few seconds.
iperf_recovered() {
	grep -E '^\[ *[0-9]+\] +[0-9.]+-[0-9.]+ +sec' /tmp/iperf-sr.out |
		grep -v -e sender -e receiver |
		awk '/ 0\.00 Bytes/ { gap = 1; next } gap { back = 1 }
		     END { exit !(back || !gap) }'
}
if wait $ipid && iperf_recovered; then
	t_ok "iperf3 TCP across suspend/resume: the connection kept, bytes flowing after the outage"
else
	t_fail "iperf3 TCP across suspend/resume: the connection kept" "$(tail -n 12 /tmp/iperf-sr.out)"
fi
grep -E 'sender|receiver' /tmp/iperf-sr.out | sed 's/^/#   /'
[ -s /tmp/iperf3-sr.pid ] && kill "$(cat /tmp/iperf3-sr.pid)" 2>/dev/null
t_fio_across $fpid /tmp/fio-sr.out "suspend/resume"

# A second cycle: a vbd detached while the domain is suspended stays gone.
t_check "pvctl suspend $domid again" pvctl suspend $domid
t_check "block-detach xvda while suspended" pvctl block-detach $domid xvda
if out=$(pvctl resume $domid 2>&1) && ! pvctl store read $be >/dev/null 2>&1 &&
	state_is $vbe 4 && state_now running; then
	t_ok "resume: the vif back and Connected, the detached vbd not re-created"
	echo "#   $out"
else
	t_fail "resume: the vif back, the detached vbd not re-created" "$out; vif fe $(pvctl store read /local/domain/$domid/device/vif/$vif/state) be $(pvctl store read $vbe/state); backend bus: $(ls /sys/bus/pvio-backend/devices | tr '\n' ' ')"
fi
wait_for 10 vbd_gone $domid $XVDA && t_ok "no vbd left on either bus" ||
	t_fail "no vbd left on either bus"

# ---- the end: nothing left ---------------------------------------------
t_check "pvctl destroy $domid" pvctl destroy $domid
$IP netns del $NS 2>/dev/null
! pvctl store read /local/domain/$domid >/dev/null 2>&1 &&
	! pvctl store read /local/domain/0/pvctl-saved >/dev/null 2>&1 &&
	t_ok "its store home and no saved copy left" || t_fail "its store home and no saved copy left"
t_res_back
t_irqs_back
t_check "unload every module" pvio_unload
t_done
