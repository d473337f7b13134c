# SPDX-License-Identifier: GPL-2.0
# pvio-check: test
# pvio-timeout: 1200
# The block split driver end to end: pvctl attaches a ramdisk to a domU,
# /dev/xvda appears (pvio-blkfront in the domU, pvio-blkback in dom0) and
# carries fio verify runs, an ext4 file system, flushes; a file-backed vbd
# takes discards; a read-only vbd refuses writes; detach with I/O in
# flight, re-attach with the data intact; nothing is left afterwards.
. /pvio/lib.sh

XVDA=51712	# 202 << 8
XVDB=51728
XVDC=51744
FDBG=/sys/kernel/debug/pvio-blkfront
# fstat DEV COUNTER: a frontend statistic (debugfs pvio-blkfront/<dev>-stats)
fstat() { awk -v k="$2" '$1 == k { print $2 }' $FDBG/d$domid-vbd-$1-stats 2>/dev/null; }

# fio_verify NAME DEV BS [SIZE]: random writes, then verify every block.
fio_verify() {
	fio --name="$1" --filename="$2" --direct=1 --ioengine=libaio \
	    --rw=randwrite --bs="$3" --iodepth=64 --size="${4:-8M}" \
	    --verify=crc32c --verify_fatal=1 --do_verify=1 --allow_file_create=0 \
	    --output-format=terse >/tmp/fio.out 2>&1
}
# fio_rate DEV: IOPS and MB/s of a short 4 KiB random read run.
fio_rate() {
	fio --name=rate --filename="$1" --direct=1 --ioengine=libaio \
	    --rw=randread --bs=4k --iodepth=32 --size=16M --runtime=3 \
	    --time_based --allow_file_create=0 --output-format=terse 2>/dev/null |
		awk -F';' '{ printf "%d IOPS, %.1f MB/s\n", $8, $7 * 1024 / 1e6 }'
}

kmod_load ext4 2>/dev/null	# a module in the stock kernel
t_load brd rd_nr=2 rd_size=65536
wait_for 5 pvctl store ls /local/domain/0
res_snapshot

t_create blkdom vcpus=2

# Bad input: one line, nothing created.
bad() {
	want=$1; shift
	out=$(pvctl "$@" 2>&1); rc=$?
	if [ $rc = "$want" ] && [ "$(echo "$out" | wc -l)" = 1 ]; then
		t_ok "pvctl $* -> exit $want, one line"
	else
		t_fail "pvctl $* -> exit $want, one line" "exit $rc: $out"
	fi
}
bad 3 block-attach $domid /dev/nosuchdisk xvda
[ -z "$(pvctl store ls /local/domain/$domid/device 2>/dev/null)" ] &&
	t_ok "nothing created" || t_fail "nothing created" "$(pvctl store ls /local/domain/$domid)"

# ---- attach a ramdisk ---------------------------------------------------
t_check "pvctl block-attach $domid /dev/ram0 xvda" pvctl block-attach $domid /dev/ram0 xvda
fe=/local/domain/$domid/device/vbd/$XVDA
be=/local/domain/0/backend/vbd/$domid/$XVDA
if wait_for 10 state_is $fe 4 && wait_for 10 state_is $be 4 && wait_for 5 test -b /dev/xvda; then
	t_ok "/dev/xvda appears, both ends Connected"
else
	t_fail "/dev/xvda appears, both ends Connected" "fe $(pvctl store read $fe/state) be $(pvctl store read $be/state)"
	dmesg | tail -20 | sed 's/^/# /'
	t_done; exit
fi
pvctl store ls $be | sed 's/^/#   /'
[ "$(cat /sys/block/xvda/size)" = "$(cat /sys/block/ram0/size)" ] &&
	t_ok "xvda has ram0's size ($(cat /sys/block/xvda/size) sectors)" ||
	t_fail "xvda has ram0's size" "$(cat /sys/block/xvda/size) vs $(cat /sys/block/ram0/size)"
[ "$(pvctl store read $fe/protocol)" = x86_64-abi ] && t_ok "protocol x86_64-abi" ||
	t_fail "protocol x86_64-abi"
bad 1 block-attach $domid /dev/ram0 xvdd	# busy: blkback holds it
[ ! -e /sys/bus/pvio-backend/devices/vbd-$domid-51760 ] && t_ok "busy backing: no vbd created" ||
	t_fail "busy backing: no vbd created"
cat /sys/block/xvda/queue/max_segments /sys/block/xvda/queue/max_hw_sectors_kb |
	tr '\n' ' ' | sed 's/^/# max_segments, max_hw_sectors_kb: /'; echo

# ---- data integrity -----------------------------------------------------
# hc OP: dom0's hypercalls of one op (13 multicall, 20 grant_table_op).
hc() {
	awk -v op="$1" '/^0 / { f = 1; next }
		f && /hypercalls-by-op/ { for (i = 2; i <= NF; i++) { split($i, a, "=");
			if (a[1] == op) n = a[2] } exit }
		END { print n + 0 }' /sys/kernel/debug/pvio/domains
}
mc0=$(hc 13); gt0=$(hc 20); rq0=$(($(bstat $domid $XVDA rd_req) + $(bstat $domid $XVDA wr_req)))
# Across the zero-copy threshold (64 KiB): bounced, zero-copy, mixed.
for bs in 4k 64k 128k 1M 4k/40:64k/30:1M/30; do
	case $bs in */*) b="--bssplit=$bs"; n=mixed ;; *) b="--bs=$bs"; n=$bs ;; esac
	if fio --name=v$n --filename=/dev/xvda --direct=1 --ioengine=libaio \
	    --rw=randwrite $b --iodepth=64 --size=4M --verify=crc32c \
	    --verify_fatal=1 --do_verify=1 --allow_file_create=0 \
	    --output-format=terse >/tmp/fio.out 2>&1; then
		t_ok "fio randwrite+verify crc32c bs=$bs iodepth=64 on xvda"
	else
		t_fail "fio randwrite+verify crc32c bs=$bs iodepth=64 on xvda" "$(tail -5 /tmp/fio.out)"
	fi
done
echo "# backend: rd_req $(bstat $domid $XVDA rd_req) wr_req $(bstat $domid $XVDA wr_req) bad_req $(bstat $domid $XVDA bad_req)"
mc=$(($(hc 13) - mc0)); gt=$(($(hc 20) - gt0))
rq=$(($(bstat $domid $XVDA rd_req) + $(bstat $domid $XVDA wr_req) - rq0))
# Waiting requests have their grants mapped together, in one multicall.
mx=$(bstat $domid $XVDA max_batch)
if [ "$rq" -gt 0 ] && [ "$mx" -gt 1 ]; then
	t_ok "grants mapped in batches: up to $mx requests per multicall"
else
	t_fail "grants mapped in batches" "max batch $mx"
fi
echo "# $rq requests: $(bstat $domid $XVDA map_reqs) mapped in $(bstat $domid $XVDA map_calls) multicalls; dom0 made $mc multicalls, $gt grant_table_ops"

# ---- indirect requests --------------------------------------------------
# maxrq DEV: the largest request the disk takes, in KiB.
maxrq() { cat /sys/block/$1/queue/max_hw_sectors_kb; }
# reads_per_mib DEV VDEV: backend read requests for one 1 MiB direct read.
reads_per_mib() {
	r0=$(bstat $domid $2 rd_req)
	dd if=/dev/$1 of=/dev/null bs=1M count=1 skip=3 iflag=direct 2>/dev/null || { echo fail; return; }
	echo $(($(bstat $domid $2 rd_req) - r0))
}
ms=$(pvctl store read $be/feature-max-indirect-segments 2>/dev/null)
[ "$ms" = 256 ] && t_ok "backend offers feature-max-indirect-segments 256" ||
	t_fail "backend offers feature-max-indirect-segments 256" "got '$ms'"
[ "$(maxrq xvda)" = 1024 ] && t_ok "xvda takes 1 MiB requests (256 segments)" ||
	t_fail "xvda takes 1 MiB requests" "max_hw_sectors_kb $(maxrq xvda)"
i0=$(bstat $domid $XVDA ind_req)
n=$(reads_per_mib xvda $XVDA)
i1=$(bstat $domid $XVDA ind_req)
[ "$n" = 1 ] && [ $((i1 - i0)) = 1 ] &&
	t_ok "a 1 MiB direct read is one indirect request on the ring" ||
	t_fail "a 1 MiB direct read is one indirect request" "$n requests, $((i1 - i0)) indirect"

# ---- zero-copy large I/O -------------------------------------------------
fz=$(pvctl store read $fe/feature-zero-copy 2>/dev/null)
bz=$(pvctl store read $be/feature-zero-copy 2>/dev/null)
[ "$fz$bz" = 11 ] && [ "$(fstat $XVDA zero_copy)" = 1 ] &&
	t_ok "both ends write feature-zero-copy, xvda zero-copy (threshold $(fstat $XVDA zerocopy_threshold))" ||
	t_fail "both ends write feature-zero-copy" "frontend '$fz' backend '$bz' zero_copy '$(fstat $XVDA zero_copy)'"
# copies DD-ARGS: bytes the frontend copied through bounce pages, zero-copy
# requests sent, grants dom0 mapped, events handed from the interrupt to
# the IRQ thread, for one dd.
copies() {
	c0=$(fstat $XVDA copied_bytes); z0=$(fstat $XVDA zc_reqs); g0=$(gmaps)
	t0=$(fstat $XVDA irq_threaded)
	dd "$@" 2>/dev/null
	echo "$(($(fstat $XVDA copied_bytes) - c0)) $(($(fstat $XVDA zc_reqs) - z0)) $(($(gmaps) - g0)) $(($(fstat $XVDA irq_threaded) - t0))"
}
# gmaps: dom0's grant maps so far (debugfs pvio/domains)
gmaps() { awk '$1 == 0 && NF >= 14 { print $7; exit }' /sys/kernel/debug/pvio/domains; }
set -- $(copies if=/dev/xvda of=/dev/null bs=1M count=1 skip=2 iflag=direct)
[ "$1" = 0 ] && [ "$2" = 1 ] && t_ok "a 1 MiB read: zero-copy, nothing copied ($3 grants mapped)" ||
	t_fail "a 1 MiB read: zero-copy, nothing copied" "copied $1, zero-copy requests $2, maps $3"
thr_read=${4:-0}
dd if=/dev/xvda of=/tmp/mib bs=1M count=1 skip=2 iflag=direct 2>/dev/null
set -- $(copies if=/tmp/mib of=/dev/xvda bs=1M count=1 seek=2 oflag=direct)
[ "$1" = 0 ] && [ "$2" = 1 ] && t_ok "a 1 MiB write: zero-copy, nothing copied ($3 grants mapped)" ||
	t_fail "a 1 MiB write: zero-copy, nothing copied" "copied $1, zero-copy requests $2, maps $3"
[ "$thr_read" -ge 1 ] && [ "${4:-0}" -ge 1 ] &&
	t_ok "zero-copy responses complete in the IRQ thread, not in hard IRQ" ||
	t_fail "zero-copy responses complete in the IRQ thread" "irq_threaded +$thr_read (read), +${4:-?} (write)"
set -- $(copies if=/dev/xvda of=/dev/null bs=4k count=1 skip=2 iflag=direct)
[ "$1" = 4096 ] && [ "$2" = 0 ] && t_ok "a 4 KiB read: bounced (4096 bytes copied)" ||
	t_fail "a 4 KiB read: bounced" "copied $1, zero-copy requests $2"
[ "$4" = 0 ] && t_ok "a 4 KiB read completes in hard IRQ (no IRQ thread)" ||
	t_fail "a 4 KiB read completes in hard IRQ" "irq_threaded +$4"
echo "# dom0's grant maps so far: $(gmaps)"

# ---- persistent grants --------------------------------------------------
fp=$(pvctl store read $fe/feature-persistent 2>/dev/null)
bp=$(pvctl store read $be/feature-persistent 2>/dev/null)
[ "$fp$bp" = 11 ] && t_ok "both ends offer feature-persistent" ||
	t_fail "both ends offer feature-persistent" "frontend '$fp' backend '$bp'"
# The same id serves reads in a row: once its pages are persistent, a read
# maps nothing. The fio runs above filled the 1056 persistent grants; the
# LRU purge (every 100 ms) makes room for the pages in use now. A 32 KiB
# read (below the zero-copy threshold) goes through them.
k=0
while [ $k -lt 30 ]; do
	r0=$(bstat $domid $XVDA rd_req)
	m0=$(bstat $domid $XVDA map_calls)
	dd if=/dev/xvda of=/dev/null bs=32k count=1 skip=3 iflag=direct 2>/dev/null
	m1=$(bstat $domid $XVDA map_calls)
	n=$(($(bstat $domid $XVDA rd_req) - r0))
	[ "$m1" = "$m0" ] && break
	sleep 0.2; k=$((k + 1))
done
pg=$(bstat $domid $XVDA pgrants)
echo "# persistent: a read mapped nothing after $k reads; $pg kept, $(bstat $domid $XVDA pgrants_purged) purged"
[ "$n" = 1 ] && [ "$pg" -gt 0 ] && [ "$m1" = "$m0" ] &&
	t_ok "persistent grants: $pg kept mapped, a repeated 32 KiB read maps no grant" ||
	t_fail "persistent grants: a repeated 32 KiB read maps no grant" "$n requests, pgrants $pg, map_calls $m0 -> $m1"

# ---- throughput ---------------------------------------------------------
echo "# throughput, 4 KiB random reads, iodepth 32, 3 s:"
echo "#   xvda: $(fio_rate /dev/xvda)"
echo "#   ram0: $(fio_rate /dev/ram0)"
# QD1: a late EOI is flagged spurious only when no request came since the
# previous one (a wrongly spurious EOI masks the port for jiffies).
s0=$(bstat $domid $XVDA spurious_eoi); q0=$(bstat $domid $XVDA rd_req)
lat=$(fio --name=qd1 --filename=/dev/xvda --direct=1 --ioengine=libaio \
	--rw=randread --bs=4k --iodepth=1 --size=16M --runtime=3 --time_based \
	--allow_file_create=0 --output-format=terse 2>/dev/null |
	awk -F';' '{ split($24, a, "="); split($30, b, "=");
		print "clat p50 " a[2] " us, p99 " b[2] " us" }')
echo "# 4 KiB random reads, QD1, 3 s: $lat; $(($(bstat $domid $XVDA rd_req) - q0)) requests, $(($(bstat $domid $XVDA spurious_eoi) - s0)) spurious EOIs"

# ---- ext4 ---------------------------------------------------------------
mkdir -p /mnt/x
find /pvio /usr/bin -type f 2>/dev/null | head -n 200 >/tmp/files
if mkfs.ext4 -q -F /dev/xvda >/tmp/mkfs.out 2>&1 && mount -t ext4 /dev/xvda /mnt/x; then
	t_ok "mkfs.ext4 and mount xvda"
	while read -r f; do
		mkdir -p "/mnt/x/tree$(dirname "$f")" && cp "$f" "/mnt/x/tree$f"
	done </tmp/files
	(cd /mnt/x/tree && find . -type f | sort | xargs sha256sum) >/tmp/sum1
	f0=$(bstat $domid $XVDA f_req)
	sync
	dd if=/dev/urandom of=/mnt/x/synced bs=4k count=4 conv=fsync 2>/dev/null
	f1=$(bstat $domid $XVDA f_req)
	[ "$f1" -gt "$f0" ] && t_ok "fsync reaches the backend as flushes ($f0 -> $f1)" ||
		t_fail "fsync reaches the backend as flushes" "$f0 -> $f1"
	umount /mnt/x
	t_check "e2fsck clean" e2fsck -fn /dev/xvda
	mount -t ext4 /dev/xvda /mnt/x
	(cd /mnt/x/tree && find . -type f | sort | xargs sha256sum) >/tmp/sum2
	n=$(wc -l </tmp/sum1)
	cmp -s /tmp/sum1 /tmp/sum2 && [ "$n" -gt 10 ] &&
		t_ok "remount: $n files, same checksums" || t_fail "remount: same checksums" "$(diff /tmp/sum1 /tmp/sum2 | head)"
	umount /mnt/x
else
	t_fail "mkfs.ext4 and mount xvda" "$(cat /tmp/mkfs.out)"
fi

# ---- a file-backed vbd with discard -------------------------------------
dd if=/dev/zero of=/tmp/vbd.img bs=1M count=32 2>/dev/null
t_check "block-attach a file as xvdb" pvctl block-attach $domid /tmp/vbd.img xvdb
if wait_for 10 test -b /dev/xvdb; then
	t_ok "/dev/xvdb appears"
	fio_verify fv /dev/xvdb 64k 4M && t_ok "fio verify on the file-backed xvdb" ||
		t_fail "fio verify on the file-backed xvdb" "$(tail -5 /tmp/fio.out)"
	d0=$(bstat $domid $XVDB ds_req)
	u0=$(du -k /tmp/vbd.img | cut -f1)
	t_check "blkdiscard /dev/xvdb" blkdiscard /dev/xvdb
	d1=$(bstat $domid $XVDB ds_req)
	u1=$(du -k /tmp/vbd.img | cut -f1)
	[ "$d1" -gt "$d0" ] && t_ok "discards counted by the backend ($d0 -> $d1), file $u0 -> $u1 KiB" ||
		t_fail "discards counted by the backend" "$d0 -> $d1"
else
	t_fail "/dev/xvdb appears"
fi
t_check "block-detach xvdb" pvctl block-detach $domid xvdb
wait_for 5 vbd_gone $domid $XVDB && t_ok "xvdb gone" || t_fail "xvdb gone"

# ---- resize: a loop device grows, the frontend follows -------------------
kmod_load loop 2>/dev/null
dd if=/dev/zero of=/tmp/rs.img bs=1M count=8 2>/dev/null
XVDE=51776
if lo=$(/usr/sbin/losetup -f --show /tmp/rs.img 2>/tmp/lo.err) &&
		pvctl block-attach $domid $lo xvde 2>>/tmp/lo.err &&
		wait_for 10 test -b /dev/xvde; then
	s0=$(cat /sys/block/xvde/size)
	dd if=/dev/zero of=/tmp/rs.img bs=1M count=1 seek=15 conv=notrunc 2>/dev/null
	/usr/sbin/losetup -c $lo
	dd if=/dev/xvde of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null
	if wait_for 20 eval '[ "$(cat /sys/block/xvde/size)" = 32768 ]'; then
		t_ok "resize of the backing device reaches xvde ($s0 -> 32768 sectors)"
	else
		t_fail "resize reaches xvde" "$s0 -> $(cat /sys/block/xvde/size)"
	fi
	pvctl block-detach $domid xvde
	wait_for 5 vbd_gone $domid $XVDE
	/usr/sbin/losetup -d $lo
else
	t_fail "attach a loop device as xvde" "$(cat /tmp/lo.err)"
fi

# ---- zerocopy_threshold: 0 (never, every request bounced), 4096 (always) -
zpar=/sys/module/pvio_blkfront/parameters/zerocopy_threshold
for zt in 0 4096; do
	echo $zt >$zpar
	if pvctl block-attach $domid /dev/ram1 xvdc && wait_for 10 test -b /dev/xvdc; then
		fz=$(pvctl store read /local/domain/$domid/device/vbd/$XVDC/feature-zero-copy 2>/dev/null)
		if [ $zt = 0 ]; then want=""; else want=1; fi
		c0=$(fstat $XVDC copied_bytes)
		fio_verify zt$zt /dev/xvdc 4k 2M && fio_verify zt$zt /dev/xvdc 1M 4M &&
			ok=1 || ok=0
		c=$(($(fstat $XVDC copied_bytes) - c0))
		z=$(fstat $XVDC zc_reqs); b=$(fstat $XVDC bounce_reqs)
		if [ $zt = 0 ]; then
			[ $ok = 1 ] && [ "$fz" = "" ] && [ "$z" = 0 ] && [ "$c" -gt 0 ] &&
				t_ok "zerocopy_threshold 0: no feature-zero-copy, every request bounced ($c bytes copied), fio verify 4k, 1M" ||
				t_fail "zerocopy_threshold 0: every request bounced" "verify $ok, key '$fz', zc $z, copied $c"
		else
			[ $ok = 1 ] && [ "$fz" = 1 ] && [ "$b" = 0 ] && [ "$c" = 0 ] && [ "$z" -gt 0 ] &&
				t_ok "zerocopy_threshold 4096: every read and write zero-copy ($z), nothing copied, fio verify 4k, 1M" ||
				t_fail "zerocopy_threshold 4096: every request zero-copy" "verify $ok, key '$fz', zc $z, bounced $b, copied $c"
		fi
	else
		t_fail "attach ram1 as xvdc with zerocopy_threshold $zt"
	fi
	pvctl block-detach $domid xvdc
	wait_for 5 vbd_gone $domid $XVDC
done
echo 65536 >$zpar

# ---- without indirect requests: a backend or a frontend that has none ---
for side in blkback blkfront; do
	par=/sys/module/pvio_$side/parameters/max_indirect_segments
	old=$(cat $par)
	echo 0 >$par
	# The backend without either feature: what an old backend offers;
	# then one that keeps only 100 persistent grants (the rest per request).
	bpar=/sys/module/pvio_blkback/parameters
	[ $side = blkback ] && echo N >$bpar/feature_persistent
	[ $side = blkfront ] && echo 100 >$bpar/max_persistent_grants
	if pvctl block-attach $domid /dev/ram1 xvdc && wait_for 10 test -b /dev/xvdc; then
		ms=$(pvctl store read /local/domain/0/backend/vbd/$domid/$XVDC/feature-max-indirect-segments 2>/dev/null)
		if [ $side = blkback ]; then want=""; else want=256; fi
		[ "$ms" = "$want" ] && [ "$(maxrq xvdc)" = 44 ] &&
			t_ok "no indirect in $side: 11 segments (44 KiB) per request" ||
			t_fail "no indirect in $side: 11 segments per request" "key '$ms', max_hw_sectors_kb $(maxrq xvdc)"
		n=$(reads_per_mib xvdc $XVDC)
		[ "$n" = 24 ] && [ "$(bstat $domid $XVDC ind_req)" = 0 ] &&
			t_ok "no indirect in $side: a 1 MiB read is 24 plain requests" ||
			t_fail "no indirect in $side: a 1 MiB read is 24 plain requests" "$n, $(bstat $domid $XVDC ind_req) indirect"
		fio_verify ni$side /dev/xvdc 1M 4M && t_ok "no indirect in $side: fio verify bs=1M" ||
			t_fail "no indirect in $side: fio verify bs=1M" "$(tail -5 /tmp/fio.out)"
		pg=$(bstat $domid $XVDC pgrants)
		if [ $side = blkback ]; then
			[ "$pg" = 0 ] && t_ok "no persistent grants in blkback: none kept" ||
				t_fail "no persistent grants in blkback: none kept" "pgrants $pg"
		else
			pp=$(bstat $domid $XVDC pgrants_purged)
			# max_persistent_grants is per ring (one per queue).
			nq=$(ls -d /sys/block/xvdc/mq/* | wc -l)
			[ "$pg" -le $((100 * nq)) ] && [ "$pg" -ge 90 ] && [ "$pp" -gt 0 ] &&
				t_ok "persistent grants without indirect: at most 100 per ring ($nq) kept, the least recently used purged ($pg kept, $pp purged)" ||
				t_fail "persistent grants without indirect: at most 100 kept, LRU purge" "pgrants $pg purged $pp"
		fi
	else
		t_fail "attach ram1 as xvdc without indirect in $side"
	fi
	pvctl block-detach $domid xvdc
	wait_for 5 vbd_gone $domid $XVDC
	echo $old >$par
	echo Y >$bpar/feature_persistent
	echo 1056 >$bpar/max_persistent_grants
done

# ---- read-only ----------------------------------------------------------
dd if=/dev/urandom of=/dev/ram1 bs=64k count=16 2>/dev/null
t_check "block-attach ram1 read-only as xvdc" pvctl block-attach $domid /dev/ram1 xvdc ro
if wait_for 10 test -b /dev/xvdc; then
	[ "$(cat /sys/block/xvdc/ro)" = 1 ] && t_ok "xvdc is read-only" || t_fail "xvdc is read-only"
	if dd if=/dev/zero of=/dev/xvdc bs=4k count=1 oflag=direct 2>/dev/null; then
		t_fail "a write to the read-only xvdc fails"
	else
		t_ok "a write to the read-only xvdc fails"
	fi
	a=$(dd if=/dev/xvdc bs=64k count=16 2>/dev/null | sha256sum)
	b=$(dd if=/dev/ram1 bs=64k count=16 2>/dev/null | sha256sum)
	[ "$a" = "$b" ] && t_ok "reads of xvdc match ram1" || t_fail "reads of xvdc match ram1"
else
	t_fail "/dev/xvdc appears"
fi
t_check "block-detach xvdc" pvctl block-detach $domid xvdc
wait_for 5 vbd_gone $domid $XVDC && t_ok "xvdc gone" || t_fail "xvdc gone"

# ---- detach with I/O in flight, re-attach -------------------------------
dd if=/dev/urandom of=/dev/xvda bs=64k count=64 oflag=direct 2>/dev/null
s1=$(dd if=/dev/xvda bs=64k count=64 iflag=direct 2>/dev/null | sha256sum)
fio --name=busy --filename=/dev/xvda --direct=1 --ioengine=libaio --rw=randread \
    --bs=4k --iodepth=64 --size=32M --runtime=30 --time_based --allow_file_create=0 >/dev/null 2>&1 &
fpid=$!
sleep 2
t_check "block-detach xvda with fio running" pvctl block-detach $domid xvda
wait $fpid
wait_for 5 vbd_gone $domid $XVDA && [ ! -e /dev/xvda ] && t_ok "xvda gone, fio ended" ||
	t_fail "xvda gone" "$(ls /sys/bus/pvio-*/devices/)"
t_check "block-attach ram0 again" pvctl block-attach $domid /dev/ram0 xvda
if wait_for 10 test -b /dev/xvda; then
	s2=$(dd if=/dev/xvda bs=64k count=64 iflag=direct 2>/dev/null | sha256sum)
	if [ "$s1" = "$s2" ]; then
		t_ok "re-attached xvda: data intact"
	else
		# Which read differs: the one before the detach, the one after,
		# or both (the backing ramdisk is the reference).
		s0=$(dd if=/dev/ram0 bs=64k count=64 2>/dev/null | sha256sum)
		s3=$(dd if=/dev/xvda bs=64k count=64 iflag=direct 2>/dev/null | sha256sum)
		t_fail "re-attached xvda: data intact" \
			"before ${s1%% *} after ${s2%% *} again ${s3%% *} ram0 ${s0%% *} ($(dd if=/dev/xvda bs=64k count=64 iflag=direct 2>&1 >/dev/null | tail -n 1))"
	fi
else
	t_fail "xvda re-appears"
fi
t_check "block-detach xvda" pvctl block-detach $domid xvda
wait_for 5 vbd_gone $domid $XVDA && t_ok "xvda gone" || t_fail "xvda gone"

# ---- nothing left -------------------------------------------------------
t_check "pvctl destroy blkdom" pvctl destroy blkdom
t_res_back
t_irqs_back
if pvio_unload; then t_ok "unload every module"; else t_fail "unload every module"; fi
t_done
