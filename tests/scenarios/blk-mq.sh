# SPDX-License-Identifier: GPL-2.0
# pvio-check: test
# Multi-queue and multi-page rings, and every fallback: with both ends'
# defaults a disk of a 2-vCPU domain has two queues (queue-N/ring-ref0..7:
# 512 ring slots per disk with zero-copy,
# queue-N/event-channel, one blk-mq hardware queue and one backend kthread
# each) and carries fio verify on both, and fio's batched submissions
# with well below one event per I/O; a backend without the keys
# (max_queues=1, max_ring_page_order=0) and a frontend that asks for less
# (max_queues=1, max_ring_page_order=0) each fall back, with the store
# keys Xen's drivers would write, and pass a short fio verify. A frontend
# asking for what was not offered (multi-queue-num-queues 0 or above the
# max, ring-page-order above the max, a queue-N key missing, a ring-ref
# that does not map) is refused with the reason in the backend's error
# node, nothing stays mapped, and the same vbd then connects correctly.
# Poll queues (poll_queues=1): a blk-mq HCTX_TYPE_POLL queue whose
# responses fio's io_uring --hipri reaps without events, the backend's
# poll window (feature-poll-window-us, queue-N/poll), and its fallbacks.
. /pvio/lib.sh

XVDA=51712
FP=/sys/module/pvio_blkfront/parameters
BP=/sys/module/pvio_blkback/parameters
FDBG=/sys/kernel/debug/pvio-blkfront

verify() {	# DEV [NUMJOBS] [SIZE]
	fio --name=v --filename="$1" --direct=1 --ioengine=libaio \
	    --rw=randwrite --bsrange=4k-1m --iodepth=32 --numjobs="${2:-1}" \
	    --size="${3:-8M}" --offset_increment="${3:-8M}" \
	    --verify=crc32c --verify_fatal=1 --do_verify=1 \
	    --allow_file_create=0 >/tmp/fio.out 2>&1
}
rd() { pvctl store read "$1" 2>/dev/null; }
has() { pvctl store read "$1" >/dev/null 2>&1; }
nqueues() { ls -d /sys/block/xvda/mq/* 2>/dev/null | wc -l; }
connected() { state_is $fe 4 && state_is $be 4 && test -b /dev/xvda; }

t_load brd rd_nr=1 rd_size=65536
wait_for 5 pvctl store ls /local/domain/0
res_snapshot
t_create mqdom vcpus=2
fe=/local/domain/$domid/device/vbd/$XVDA
be=/local/domain/0/backend/vbd/$domid/$XVDA

attach() {
	pvctl block-attach $domid /dev/ram0 xvda >/dev/null &&
		wait_for 20 connected
}
detach() {
	pvctl block-detach $domid xvda >/dev/null && wait_for 20 vbd_gone $domid $XVDA
}

# ---- both ends' defaults: 2 queues of 8-page rings (512 slots a disk) -----
if attach; then
	t_ok "xvda attached with the defaults"
else
	t_fail "xvda attached with the defaults" "$(dmesg | tail -5)"; t_done; exit
fi
[ "$(rd $be/multi-queue-max-queues)" = 2 ] && [ "$(rd $be/max-ring-page-order)" = 4 ] &&
	t_ok "backend offers multi-queue-max-queues 2 (online CPUs), max-ring-page-order 4" ||
	t_fail "backend offers" "$(rd $be/multi-queue-max-queues) $(rd $be/max-ring-page-order)"
# With zero-copy (both ends' default) a disk has 512 ring slots: 2 x 256.
if [ "$(rd $fe/multi-queue-num-queues)" = 2 ] && [ "$(rd $fe/ring-page-order)" = 3 ] &&
   has $fe/queue-0/ring-ref7 && has $fe/queue-1/ring-ref0 && has $fe/queue-1/event-channel &&
   ! has $fe/ring-ref && ! has $fe/event-channel && ! has $fe/queue-0/ring-ref8 &&
   [ "$(rd $fe/feature-zero-copy)" = 1 ] && [ "$(rd $be/feature-zero-copy)" = 1 ]; then
	t_ok "frontend: multi-queue-num-queues 2, ring-page-order 3, queue-N/ring-ref0..7 and event-channel, feature-zero-copy"
else
	t_fail "frontend ring keys" "$(pvctl store ls $fe | tr '\n' ' ')"
fi
[ "$(nqueues)" = 2 ] && [ "$(cat /sys/block/xvda/queue/nr_requests)" = 256 ] &&
	t_ok "xvda has 2 blk-mq hardware queues of 256 requests" ||
	t_fail "xvda has 2 blk-mq hardware queues of 256" "$(nqueues) $(cat /sys/block/xvda/queue/nr_requests)"
[ "$(cat /sys/block/xvda/queue/max_hw_sectors_kb)" = 1024 ] &&
	t_ok "xvda still takes 1 MiB requests" ||
	t_fail "xvda takes 1 MiB requests" "$(cat /sys/block/xvda/queue/max_hw_sectors_kb)"
# pvio-blkback.<domid>.<devid>-<queue>, cut to 15 characters as comm.
nthr=$(ps | grep -c "\[pvio-blkback\.$domid\.")
[ "$nthr" = 2 ] && t_ok "two backend kthreads (pvio-blkback.$domid.$XVDA-0, -1)" ||
	t_fail "two backend kthreads" "$(ps | grep pvio-blkback)"
i0=$(dynirq_count 'pvio-blkfront-0$'); i1=$(dynirq_count 'pvio-blkfront-1$')
if verify /dev/xvda 2 16M; then
	t_ok "fio randwrite 4k-1M QD32 x 2 jobs + verify on 2 queues with 2-page rings"
else
	t_fail "fio verify on 2 queues" "$(grep -i err /tmp/fio.out | head -3)
$(dmesg | grep -E 'refused|maptrack|grant map' | tail -n 3)
$(sed -n 1p /sys/kernel/debug/pvio/domains; grep "^ *$domid " /sys/kernel/debug/pvio/domains)"
fi
i0=$(($(dynirq_count 'pvio-blkfront-0$') - i0)); i1=$(($(dynirq_count 'pvio-blkfront-1$') - i1))
[ "$i0" -gt 0 ] && [ "$i1" -gt 0 ] && t_ok "both queues' event channels answered ($i0, $i1 events)" ||
	t_fail "both queues' event channels answered" "$i0 $i1"
# Batched notification (issue #14, item 4): fio hands blk-mq 16 requests
# per io_submit (one plug, bd->last on the 16th). blkfront pushes them and
# notifies once per batch; blkback drains its ring and re-checks it before
# it sleeps, and pushes a round's responses together. So blkback's ports
# see at most one event per 16 requests and both directions together stay
# well below one event per I/O (fio's default of one I/O per io_submit
# gives 0.9-1.5 per I/O in make bench: each request is its own batch).
ios() { awk '{ print $1 + $5 }' /sys/block/xvda/stat; }
n0=$(ios); b0=$(dynirq_count 'pvio-blkif$'); f0=$(dynirq_count 'pvio-blkfront-[0-9]+$')
fio --name=b --filename=/dev/xvda --direct=1 --ioengine=libaio --rw=randread \
    --bs=4k --iodepth=32 --iodepth_batch_submit=16 --iodepth_batch_complete_min=16 \
    --size=16M --io_size=48M >/tmp/fio.out 2>&1
n=$(($(ios) - n0)); b=$(($(dynirq_count 'pvio-blkif$') - b0))
f=$(($(dynirq_count 'pvio-blkfront-[0-9]+$') - f0))
echo "# batched submission: $n I/Os, $b events to blkback, $f to blkfront"
[ "$n" -ge 8192 ] && [ $((b * 8)) -le "$n" ] && [ $(((b + f) * 2)) -lt "$n" ] &&
	t_ok "16 requests per io_submit at QD32: $b request events and $f response events for $n I/Os" ||
	t_fail "batched notification: at most 1/8 request event and 1/2 event per I/O" \
		"$n I/Os, $b request events, $f response events; $(tail -n 3 /tmp/fio.out)"
for q in 0 1; do
	irq=$(awk '/pvio-blkfront-'$q'$/ { sub(":", "", $1); print $1 }' /proc/interrupts)
	echo "# queue $q: irq $irq on CPU $(cat /proc/irq/$irq/effective_affinity_list 2>/dev/null)"
done
irq=$(awk '/pvio-blkfront-1$/ { sub(":", "", $1); print $1 }' /proc/interrupts)
[ "$(cat /proc/irq/$irq/effective_affinity_list 2>/dev/null)" = 1 ] &&
	t_ok "queue 1's event channel bound to CPU 1 (EVTCHNOP_bind_vcpu)" ||
	t_fail "queue 1's event channel bound to CPU 1" "$(cat /proc/irq/$irq/effective_affinity_list)"
t_check "detach" detach

# ---- colocate=1: ring N's kthread and backend port on CPU N ---------------
kcpus() {	# the CPUs each of the domain's ring kthreads may run on
	for p in $(ps | awk '/\[pvio-blkback\.'$domid'\./ { print $1 }'); do
		awk '/^Cpus_allowed_list/ { print $2 }' /proc/$p/status; done | sort | xargs
}
echo 1 >$BP/colocate
# an out-of-range value is refused and changes nothing
if ! echo 3 >$BP/colocate 2>/dev/null && [ "$(cat $BP/colocate)" = 1 ]; then
	t_ok "colocate=3 refused (EINVAL), colocate stays 1"
else
	t_fail "colocate=3 refused" "now '$(cat $BP/colocate)'"
fi
if attach; then
	cpus=$(kcpus)
	birq=$(for i in $(awk '/pvio-blkif$/ { sub(":", "", $1); print $1 }' /proc/interrupts); do
		cat /proc/irq/$i/effective_affinity_list; done | sort | xargs)
	echo "# colocate: kthreads on CPUs '$cpus', backend ports on CPUs '$birq'"
	[ "$cpus" = "0 1" ] && [ "$birq" = "0 1" ] &&
		t_ok "colocate=1: ring 0's and ring 1's kthread and port on CPU 0 and CPU 1" ||
		t_fail "colocate=1: each ring's kthread and port on its own CPU" "kthreads '$cpus' ports '$birq'"
	verify /dev/xvda 2 16M && t_ok "colocate=1: fio verify on 2 queues" ||
		t_fail "colocate=1: fio verify on 2 queues" "$(grep -i err /tmp/fio.out | head -3)"
	t_check "colocate=1: detach" detach
else
	t_fail "colocate=1: attach" "$(dmesg | tail -5)"
fi

# ---- colocate=2 (the default): colocated while light, spread when busy --
# fio pinned to CPU 1 submits on queue 1 (blk-mq's CPU -> queue map):
# QD1 keeps ring 1 light, so it is colocated (counted: the partition
# scan's reads at attach may have colocated it already, and then the 1 s
# probe spreads it and QD1 colocates it again within a 3 s run; where its
# kthread is at the end depends on the probe's phase, so it is printed,
# not asserted); 4k randread QD32 x 2 jobs then makes both rings busy, so
# they are spread again (counted, likewise).
echo 2 >$BP/colocate
# colo_load STAT NAME FIO-ARGS...: a 4k randread fio with FIO-ARGS on
# xvda; NAME passes if the vbd's statistic STAT grew during it.
colo_load() {
	_st=$1 _name=$2; shift 2
	_n0=$(bstat $domid $XVDA $_st)
	fio --name=colo --filename=/dev/xvda --direct=1 --ioengine=libaio --rw=randread \
	    --bs=4k --time_based "$@" >/tmp/colo.out 2>&1
	_n=$(($(bstat $domid $XVDA $_st) - _n0)); _c=$(kcpus)
	echo "# $_name: the kthreads on CPUs '$_c', $_st +$_n"
	[ "$_n" -ge 1 ] && t_ok "$_name ($_st +$_n)" ||
		t_fail "$_name" "kthreads on '$_c', $_st +$_n"
}
if attach; then
	echo "# colocate=2 after attach: the kthreads on CPUs '$(kcpus)'," \
	     "colo_on $(bstat $domid $XVDA colo_on) colo_spread $(bstat $domid $XVDA colo_spread)"
	colo_load colo_on "colocate=2: QD1 on CPU 1 colocates ring 1" \
		--iodepth=1 --cpus_allowed=1 --runtime=3
	colo_load colo_spread "colocate=2: QD32 x 2 jobs spreads the rings again" \
		--iodepth=32 --numjobs=2 --runtime=2
	verify /dev/xvda 2 16M && t_ok "colocate=2: fio verify QD32 x 2 jobs" ||
		t_fail "colocate=2: fio verify QD32 x 2 jobs" "$(grep -i err /tmp/fio.out | head -3)"
	t_check "colocate=2: detach" detach
else
	t_fail "colocate=2: attach" "$(dmesg | tail -5)"
fi

# ---- fallbacks: each combination, its keys and a short fio verify ----------
# combo NAME BE_QUEUES BE_ORDER FE_QUEUES FE_ORDER QUEUES ORDER_KEY [SLOTS]
combo() {
	echo "$2" >$BP/max_queues; echo "$3" >$BP/max_ring_page_order
	echo "$4" >$FP/max_queues; echo "$5" >$FP/max_ring_page_order
	echo "${8:-128}" >$FP/max_ring_slots
	if ! attach; then
		t_fail "$1: attach" "$(dmesg | tail -5)"; return
	fi
	ok=1; why=
	if [ "$6" = 1 ]; then
		has $fe/multi-queue-num-queues && { ok=0; why="num-queues written"; }
		dir=$fe
	else
		[ "$(rd $fe/multi-queue-num-queues)" = "$6" ] || { ok=0; why="num-queues"; }
		has $fe/event-channel && { ok=0; why="flat event-channel"; }
		dir=$fe/queue-$(($6 - 1))
	fi
	if [ "$7" = - ]; then
		has $fe/ring-page-order && { ok=0; why="$why ring-page-order written"; }
		has $dir/ring-ref || { ok=0; why="$why no ring-ref"; }
	else
		[ "$(rd $fe/ring-page-order)" = "$7" ] || { ok=0; why="$why ring-page-order"; }
		has $dir/ring-ref0 || { ok=0; why="$why no ring-ref0"; }
		has $dir/ring-ref$(((1 << $7) - 1)) || { ok=0; why="$why no last ring-ref"; }
	fi
	has $dir/event-channel || { ok=0; why="$why no event-channel"; }
	[ "$(nqueues)" = "$6" ] || { ok=0; why="$why $(nqueues) hw queues"; }
	[ "$2" = 1 ] && has $be/multi-queue-max-queues && { ok=0; why="$why be max-queues"; }
	[ "$3" = 0 ] && has $be/max-ring-page-order && { ok=0; why="$why be max-order"; }
	[ $ok = 1 ] && t_ok "$1: $6 queue(s), ring-page-order ${7}, Xen's keys" ||
		t_fail "$1: keys" "$why: $(pvctl store ls $fe | tr '\n' ' ')"
	if verify /dev/xvda 1 4M; then
		t_ok "$1: fio verify"
	else
		t_fail "$1: fio verify" "$(grep -i err /tmp/fio.out | head -3)"
	fi
	detach || t_fail "$1: detach"
}
combo "backend without the keys (max_queues=1 max_ring_page_order=0)" 1 0 4 4 1 -
combo "backend max_queues=1 (no multi-queue key), order 4 (512 slots)" 1 4 4 4 1 4 512
combo "backend max_ring_page_order=0 (no order key), 2 queues" 0 0 4 4 2 -
combo "frontend max_queues=1" 0 4 1 4 1 2
combo "frontend max_ring_page_order=0" 0 4 4 0 2 -
combo "frontend max_queues=1 max_ring_page_order=0 (Xen's one ring)" 0 4 1 0 1 -
combo "frontend max_ring_page_order=2, backend max 1" 0 1 4 2 2 1
echo 0 >$BP/max_queues; echo 4 >$BP/max_ring_page_order
echo 4 >$FP/max_queues; echo 4 >$FP/max_ring_page_order; echo 0 >$FP/max_ring_slots

# ---- poll queues: blk-mq HCTX_TYPE_POLL, reaped by ->poll ----------------------
# qd1 ENGINE [HIPRI]: 4 KiB random reads at QD1 for 3 s, "p50 p99" in us.
qd1() {
	fio --name=qd1 --filename=/dev/xvda --direct=1 --ioengine=$1 $2 \
	    --rw=randread --bs=4k --iodepth=1 --size=16M --runtime=3 --time_based \
	    --allow_file_create=0 --output-format=terse 2>/dev/null |
	awk -F';' '{ split($24, a, "="); split($30, b, "="); print a[2], b[2] }'
}
pverify() {	# fio randwrite 4k-64k QD8 + verify through io_uring polled I/O
	fio --name=p --filename=/dev/xvda --direct=1 --ioengine=io_uring --hipri \
	    --rw=randwrite --bsrange=4k-64k --iodepth=8 --size=8M \
	    --verify=crc32c --verify_fatal=1 --do_verify=1 \
	    --allow_file_create=0 >/tmp/fio.out 2>&1
}
fstat() { awk -v k="$1" '$1 == k { print $2 }' $FDBG/d$domid-vbd-$XVDA-stats; }
echo 1 >$FP/poll_queues
if attach; then
	t_ok "poll_queues=1: xvda attached"
	if [ "$(rd $fe/multi-queue-num-queues)" = 2 ] && [ "$(rd $fe/queue-1/poll)" = 1 ] &&
	   ! has $fe/queue-0/poll && [ "$(rd $be/feature-poll-window-us)" = 50 ]; then
		t_ok "keys: feature-poll-window-us 50 offered, queue-1/poll = 1 asked (queue 0 not)"
	else
		t_fail "poll keys" "$(pvctl store ls $fe | tr '\n' ' ') be $(rd $be/feature-poll-window-us)"
	fi
	[ "$(cat /sys/block/xvda/queue/io_poll)" = 1 ] && [ "$(nqueues)" = 2 ] &&
		t_ok "xvda: io_poll 1, 2 hardware queues (1 interrupt-driven, 1 polled)" ||
		t_fail "xvda io_poll" "io_poll $(cat /sys/block/xvda/queue/io_poll), $(nqueues) queues"
	e0=$(dynirq_count 'pvio-blkfront-1$'); p0=$(fstat polled); h0=$(bstat $domid $XVDA poll_hits)
	if pverify; then
		t_ok "fio io_uring --hipri randwrite 4k-64k QD8 + verify on the poll queue"
	else
		t_fail "fio --hipri verify" "$(grep -i err /tmp/fio.out | head -3)"
	fi
	e=$(($(dynirq_count 'pvio-blkfront-1$') - e0)); p=$(($(fstat polled) - p0))
	h=$(($(bstat $domid $XVDA poll_hits) - h0))
	[ "$p" -gt 0 ] && [ "$e" -le 1 ] &&
		t_ok "the poll queue: $p responses reaped by ->poll, $e events (at most the first)" ||
		t_fail "poll queue without events" "$p polled, $e events"
	[ "$h" -gt 0 ] && t_ok "blkback's poll window took $h requests without an event" ||
		t_fail "blkback poll window" "poll_hits $h misses $(bstat $domid $XVDA poll_misses)"
	lp=$(qd1 io_uring --hipri); li=$(qd1 libaio)
	echo "# QD1 4 KiB randread clat p50 p99 (us): polled $lp; interrupts $li"
	t_check "detach" detach
else
	t_fail "poll_queues=1: attach" "$(dmesg | tail -5)"
fi
# Fallbacks: a backend without the window (sleeps at once), one without
# multi-queue (no poll queue: --hipri completes by interrupt).
echo 0 >$BP/poll_window_us
if attach; then
	! has $be/feature-poll-window-us && ! has $fe/queue-1/poll &&
	[ "$(cat /sys/block/xvda/queue/io_poll)" = 1 ] &&
		t_ok "backend poll_window_us=0: no window key, no queue-1/poll, still a poll queue" ||
		t_fail "no window key" "$(pvctl store ls $fe | tr '\n' ' ')"
	pverify && t_ok "backend without the window: fio --hipri verify" ||
		t_fail "backend without the window: fio --hipri verify" "$(grep -i err /tmp/fio.out | head -3)"
	t_check "detach" detach
else
	t_fail "poll_window_us=0: attach" "$(dmesg | tail -5)"
fi
echo 50 >$BP/poll_window_us; echo 1 >$BP/max_queues
if attach; then
	[ "$(cat /sys/block/xvda/queue/io_poll)" = 0 ] && [ "$(nqueues)" = 1 ] &&
	! has $be/feature-poll-window-us &&
		t_ok "backend max_queues=1: one queue, no poll queue, no window key" ||
		t_fail "backend max_queues=1 with poll_queues" "io_poll $(cat /sys/block/xvda/queue/io_poll), $(nqueues) queues"
	pverify && t_ok "no poll queue: fio --hipri verify completes by interrupt" ||
		t_fail "no poll queue: fio --hipri verify" "$(grep -i err /tmp/fio.out | head -3)"
	t_check "detach" detach
else
	t_fail "max_queues=1 with poll_queues: attach" "$(dmesg | tail -5)"
fi
echo 0 >$BP/max_queues; echo 0 >$FP/poll_queues

# ---- a frontend asking for what was not offered -----------------------------
# hostile FAULT TEXT: inject FAULT into the frontend's next connect, make it
# reconnect (blkback reloaded), expect TEXT in the backend's error node and
# the frontend Closed; then the same vbd connects again correctly.
attach || { t_fail "attach before the hostile connects"; t_done; exit; }
hostile() {
	echo "$1" >$FDBG/d$domid-vbd-$XVDA
	rmmod pvio-blkback && sleep 1 && insmod /pvio/modules/pvio-blkback.ko
	if wait_for 20 state_is $fe 6 && wait_for 5 has $be/error; then
		err=$(rd $be/error)
		case "$err" in
		*"$2"*) t_ok "$1: refused, error node: $err" ;;
		*) t_fail "$1: refused with '$2'" "error node: $err" ;;
		esac
	else
		t_fail "$1: refused" "fe $(rd $fe/state) be $(rd $be/state) error $(rd $be/error)"
	fi
	[ ! -e /dev/xvda ] && ! ps | grep -q "\[pvio-blkback\.$domid\." &&
		t_ok "$1: no disk, no backend kthread left" ||
		t_fail "$1: no disk, no backend kthread left" "$(ps | grep pvio-blkback)"
	# The frontend comes back through Initialising: a correct connect.
	pvctl store write $fe/state 1
	if wait_for 20 connected && ! has $be/error; then
		t_ok "$1: the same vbd then connects correctly, error node gone"
	else
		t_fail "$1: reconnect" "fe $(rd $fe/state) be $(rd $be/state) $(dmesg | tail -3)"
	fi
}
hostile nq_zero "multi-queue-num-queues 0"
hostile nq_big "multi-queue-num-queues 3: 1 to 2 queues offered"
hostile order_big "ring-page-order 8 above the max-ring-page-order 4"
hostile no_queue_key "reading $fe/queue-1/event-channel"
hostile bad_ring_ref "mapping ring-ref"
if verify /dev/xvda 2 8M; then
	t_ok "fio verify on 2 queues after the refused connects"
else
	t_fail "fio verify after the refused connects" "$(grep -i err /tmp/fio.out | head -3)"
fi

t_check "detach" detach
t_check "pvctl destroy $domid" pvctl destroy $domid
t_res_back
t_irqs_back
t_done
