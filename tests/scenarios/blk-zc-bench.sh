# SPDX-License-Identifier: GPL-2.0
# pvio-timeout: 1500
# Zero-copy large I/O against bounce pages, in one boot (not in make check:
# no pvio-check line; a measurement, never a timed test). Three ramdisks
# of the same size: /dev/ram0 measured natively, /dev/xvda over ram1 with
# zerocopy_threshold 0 (every request bounced), /dev/xvdb over ram2 with
# the default threshold (zero-copy). Each workload (ZC_WL, default 1M read
# QD8, 1M write QD8, 4k randread QD32) runs on the three paths interleaved,
# ZC_REPS rounds (default 3); each run prints its IOPS, the frontend's
# waits (zc_waits: the zero-copy reservation full; id_waits: no free id),
# the backend's multicall time and unmaps, events and CPU per I/O; then
# the ratios to native, per round and their median. ZC_PERF=1 (with
# VM_EXTRA_BINS=/usr/bin/perf): a flat perf profile of 1M read on each
# pvio path after the rounds.
. /pvio/lib.sh
. /pvio/env

REPS=${ZC_REPS:-3}
RT=${ZC_RUNTIME:-8}
RAMP=${ZC_RAMP:-2}
WL=${ZC_WL:-"sr1m sw1m rr4k"}
MIB=${DISK_MIB:-256}
XVDA=51712
XVDB=51728
FEP=/sys/module/pvio_blkfront/parameters/zerocopy_threshold

job() {
	case "$1" in
	sr1m) echo "--rw=read --bs=1M --iodepth=8" ;;
	sw1m) echo "--rw=write --bs=1M --iodepth=8" ;;
	rr4k) echo "--rw=randread --bs=4k --iodepth=32" ;;
	rw4k) echo "--rw=randwrite --bs=4k --iodepth=32" ;;
	esac
}
cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $6 + $7 + $8 }' /proc/stat; }
fstat() {	# DISK KEY: a counter of the frontend's debugfs stats
	awk -v k="$2" '$1 == k { print $2 }' \
		/sys/kernel/debug/pvio-blkfront/d$DOM-vbd-$1-stats 2>/dev/null
}
# run WL PATH DEV [VBD]: one fio run, one "# run" line, its IOPS in $iops.
run() {
	wl=$1; path=$2; dev=$3; vbd=$4
	if [ -n "$vbd" ]; then
		z0=$(fstat "$vbd" zc_waits); i0=$(fstat "$vbd" id_waits)
		m0=$(bstat "$DOM" "$vbd" map_ns); u0=$(bstat "$DOM" "$vbd" unmap_ops)
		c0=$(bstat "$DOM" "$vbd" map_calls)
	fi
	e0=$(dynirq_count .); t0=$(cpu_ticks)
	# shellcheck disable=SC2046
	fio --name="$wl" --filename="$dev" --direct=1 --ioengine=libaio \
	    --time_based --runtime="$RT" --ramp_time="$RAMP" --group_reporting \
	    $(job "$wl") --output-format=terse --terse-version=3 \
	    >/tmp/fio.out 2>/tmp/fio.err
	e1=$(dynirq_count .); t1=$(cpu_ticks)
	iops=$(awk -F';' 'NR == 1 { printf "%.0f", $8 + $49 }' /tmp/fio.out)
	[ -n "$iops" ] || iops=0
	ios=$((iops * (RT + RAMP)))
	[ "$ios" -gt 0 ] || ios=1
	extra=
	if [ -n "$vbd" ]; then
		extra=" zc_waits=$(($(fstat "$vbd" zc_waits) - z0))"
		extra="$extra id_waits=$(($(fstat "$vbd" id_waits) - i0))"
		mc=$(($(bstat "$DOM" "$vbd" map_calls) - c0))
		extra="$extra map_calls=$mc map_ms=$((($(bstat "$DOM" "$vbd" map_ns) - m0) / 1000000))"
		extra="$extra unmaps=$(($(bstat "$DOM" "$vbd" unmap_ops) - u0))"
		extra="$extra zc_inflight_max=$(fstat "$vbd" zc_inflight_max)"
	fi
	echo "# run $wl $path rep=$rep iops=$iops ev/io=$(awk -v e=$((e1 - e0)) -v n=$ios 'BEGIN { printf "%.2f", e / n }') cpu_us/io=$(awk -v t=$((t1 - t0)) -v n=$ios 'BEGIN { printf "%.0f", t * 10000 / n }')$extra"
	[ "$iops" -gt 0 ] || { echo "# fio: $(tail -n 3 /tmp/fio.err)"; return 1; }
}

t_load brd rd_nr=3 rd_size=$((MIB * 1024))
for r in 0 1 2; do
	dd if=/dev/zero of=/dev/ram$r bs=1M count="$MIB" 2>/dev/null
done
t_create zcdom vcpus=2
DOM=$domid
echo 0 >$FEP
t_check "xvda over ram1, zerocopy_threshold 0" eval \
	'pvctl block-attach $DOM /dev/ram1 xvda && wait_for 15 test -b /dev/xvda'
echo 65536 >$FEP
t_check "xvdb over ram2, zerocopy_threshold 65536" eval \
	'pvctl block-attach $DOM /dev/ram2 xvdb && wait_for 15 test -b /dev/xvdb'
t_check "xvda bounces, xvdb zero-copy" eval \
	'[ "$(fstat $XVDA zero_copy)" = 0 ] && [ "$(fstat $XVDB zero_copy)" = 1 ]'
echo "# xvda: $(tr '\n' ' ' </sys/kernel/debug/pvio-blkfront/d$DOM-vbd-$XVDA-stats)"
echo "# xvdb: $(tr '\n' ' ' </sys/kernel/debug/pvio-blkfront/d$DOM-vbd-$XVDB-stats)"
echo "# queues: xvda $(ls /sys/block/xvda/mq | wc -l), xvdb $(ls /sys/block/xvdb/mq | wc -l); nr_requests $(cat /sys/block/xvdb/queue/nr_requests); max_sectors_kb $(cat /sys/block/xvdb/queue/max_sectors_kb)"

fails=0
rep=1
while [ $rep -le "$REPS" ]; do
	for wl in $WL; do
		run "$wl" native /dev/ram0 || fails=$((fails + 1)); n=$iops
		run "$wl" bounce /dev/xvda $XVDA || fails=$((fails + 1)); b=$iops
		run "$wl" zc /dev/xvdb $XVDB || fails=$((fails + 1)); z=$iops
		echo "# ratio $wl rep=$rep bounce=$(awk -v a=$b -v n=$n 'BEGIN { printf "%.3f", n ? a / n : 0 }') zc=$(awk -v a=$z -v n=$n 'BEGIN { printf "%.3f", n ? a / n : 0 }')" |
			tee -a /tmp/ratios
	done
	rep=$((rep + 1))
done
[ $fails = 0 ] && t_ok "every run measured" || t_fail "every run measured" "$fails runs without a result"

# Medians over the rounds.
for wl in $WL; do
	for p in bounce zc; do
		m=$(grep "^# ratio $wl " /tmp/ratios | sed "s/.* $p=\([0-9.]*\).*/\1/" | sort -n |
			awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }')
		echo "# median $wl $p $m"
	done
done

if [ -n "${ZC_PERF:-}" ] && command -v perf >/dev/null; then
	for d in xvda xvdb; do
		fio --name=p --filename=/dev/$d --direct=1 --ioengine=libaio \
		    --time_based --runtime=$((RT + 4)) $(job sr1m) >/dev/null 2>&1 &
		sleep 2
		perf record -a -e cpu-clock -F 999 -o /tmp/perf.data -- sleep 6 >/dev/null 2>&1
		wait
		echo "# perf sr1m $d"
		perf report -i /tmp/perf.data --stdio --sort dso,sym --percent-limit 1 2>/dev/null |
			grep -v '^#' | grep -v '^$' | head -n 30 | sed 's/^/#   /'
	done
fi

pvctl block-detach "$DOM" xvda >/dev/null 2>&1
pvctl block-detach "$DOM" xvdb >/dev/null 2>&1
t_check "pvctl destroy $DOM" pvctl destroy "$DOM"
t_done
