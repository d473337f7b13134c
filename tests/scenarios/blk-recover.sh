# SPDX-License-Identifier: GPL-2.0
# pvio-check: test
# I/O that survives a backend restart (Xen's blkfront_resume() and
# blkif_recover(), made first-class): while fio writes and verifies on
# xvda, pvio-blkback is unloaded and loaded again; blkfront keeps the disk,
# holds the requests in flight and the new ones, and issues them again on
# the new ring. A new backend with other features (no indirect segments,
# no persistent grants) gets the held 1 MiB requests split to its limits.
# A backend that does not come back within recovery_timeout fails the held
# I/O with EIO and the disk goes, as before. A detach still detaches.
. /pvio/lib.sh

XVDA=51712
TMO=/sys/module/pvio_blkfront/parameters/recovery_timeout

# verify_loop N NAME: N fio runs one after the other on xvda (random
# writes of 4 KiB to 1 MiB at QD32, each block verified), stops at the
# first error; the status says whether every run passed.
verify_loop() {
	i=0
	while [ $i -lt "$1" ]; do
		fio --name="$2$i" --filename=/dev/xvda --direct=1 --ioengine=libaio \
		    --rw=randwrite --bsrange=4k-1m --iodepth=32 --size=16M \
		    --verify=crc32c --verify_fatal=1 --do_verify=1 \
		    --allow_file_create=0 >/tmp/$2.out 2>&1 || return 1
		i=$((i + 1))
	done
}
# reload [PARAMS]: unload pvio-blkback, wait, load it with PARAMS.
reload() {
	rmmod pvio-blkback && sleep 1 && insmod /pvio/modules/pvio-blkback.ko "$@"
}
be_connected() { state_is /local/domain/0/backend/vbd/$domid/$XVDA 4; }
replays() { dmesg | grep -c 'reconnected, .* held'; }

t_load brd rd_nr=1 rd_size=65536
wait_for 5 pvctl store ls /local/domain/0
res_snapshot
domid=$(pvctl create guest)
pvctl block-attach $domid /dev/ram0 xvda && wait_for 10 test -b /dev/xvda &&
	t_ok "xvda attached" || { t_fail "xvda attached" "$(dmesg | tail -5)"; t_done; exit; }
[ "$(cat $TMO)" = 60 ] && t_ok "recovery_timeout defaults to 60 s" ||
	t_fail "recovery_timeout defaults to 60 s" "$(cat $TMO)"
ino=$(stat -c %i /dev/xvda)

# ---- reload blkback under fio verify ------------------------------------
r0=$(replays)
verify_loop 6 a &
fio_pid=$!
sleep 3
t_check "rmmod and insmod pvio-blkback while fio writes" reload
wait_for 20 be_connected && t_ok "the new backend connects" ||
	t_fail "the new backend connects" "$(dmesg | tail -5)"
if wait $fio_pid; then
	t_ok "fio randwrite 4k-1M QD32 + verify across the reload: no error, no lost write"
else
	t_fail "fio verify across the reload" "$(tail -5 /tmp/a.out)"
fi
[ "$(replays)" -gt "$r0" ] && t_ok "blkfront held and replayed the I/O ($(dmesg | grep 'reconnected,' | tail -1 | sed 's/.*reconnected, //'))" ||
	t_fail "blkfront held and replayed the I/O" "$(dmesg | grep -i blkfront | tail -5)"
[ -b /dev/xvda ] && [ "$(stat -c %i /dev/xvda)" = "$ino" ] &&
	t_ok "xvda is the same disk throughout" || t_fail "xvda is the same disk throughout"

# ---- a new backend with other features: the held requests are split ------
verify_loop 4 b &
fio_pid=$!
sleep 3
fe=/local/domain/$domid/device/vbd/$XVDA
nq0=$(pvctl store read $fe/multi-queue-num-queues 2>/dev/null || echo 1)
t_check "reload pvio-blkback without indirect segments, persistent grants, multi-queue or multi-page rings" \
	reload max_indirect_segments=0 feature_persistent=0 max_queues=1 max_ring_page_order=0
wait_for 20 be_connected || true
if wait $fio_pid; then
	t_ok "fio verify across a backend with fewer segments: requests split, no error"
else
	t_fail "fio verify across a backend with fewer segments" "$(tail -5 /tmp/b.out)"
fi
mhs=$(cat /sys/block/xvda/queue/max_hw_sectors_kb)
[ "$mhs" = 44 ] && t_ok "xvda's limits follow the new backend (44 KiB per request)" ||
	t_fail "xvda's limits follow the new backend" "max_hw_sectors_kb $mhs"
! pvctl store read $fe/multi-queue-num-queues >/dev/null 2>&1 &&
	! pvctl store read $fe/ring-page-order >/dev/null 2>&1 &&
	pvctl store read $fe/ring-ref >/dev/null 2>&1 &&
	t_ok "one flat one-page ring now (was $nq0 queues): the held I/O replayed onto it" ||
	t_fail "one flat one-page ring now" "$(pvctl store ls $fe | tr '\n' ' ')"
verify_loop 2 c &
fio_pid=$!
sleep 2
t_check "reload pvio-blkback with its defaults again" reload
wait_for 20 be_connected || true
wait $fio_pid && t_ok "fio verify across the way back to indirect and persistent grants" ||
	t_fail "fio verify across the way back" "$(tail -5 /tmp/c.out)"
mhs=$(cat /sys/block/xvda/queue/max_hw_sectors_kb)
[ "$mhs" = 1024 ] && t_ok "xvda takes 1 MiB requests again" ||
	t_fail "xvda takes 1 MiB requests again" "max_hw_sectors_kb $mhs"
nq=$(pvctl store read $fe/multi-queue-num-queues 2>/dev/null || echo 1)
[ "$nq" = "$nq0" ] && t_ok "back to $nq0 queue(s)" || t_fail "back to $nq0 queues" "$nq"

# ---- no backend within the timeout: EIO, the disk goes ------------------
echo 3 >$TMO
fio --name=held --filename=/dev/xvda --direct=1 --ioengine=libaio --rw=write \
    --bs=64k --iodepth=4 --time_based --runtime=60 --allow_file_create=0 \
    >/tmp/held.out 2>&1 &
held_pid=$!
sleep 2
rmmod pvio-blkback
sleep 1
[ -b /dev/xvda ] && kill -0 $held_pid 2>/dev/null &&
	t_ok "while held, the disk stays and the writer waits" ||
	t_fail "while held, the disk stays and the writer waits" "$(tail -3 /tmp/held.out)"
wait_for 10 [ ! -e /dev/xvda ] && t_ok "after recovery_timeout the disk goes" ||
	t_fail "after recovery_timeout the disk goes" "$(ls -l /dev/xvda; dmesg | tail -5)"
if wait $held_pid; then t_fail "the held writes fail (EIO)" "fio succeeded"
else t_ok "the held writes fail ($(grep -o 'error=[^,]*' /tmp/held.out | head -1))"; fi
state_is /local/domain/$domid/device/vbd/$XVDA 6 && t_ok "the frontend is Closed" ||
	t_fail "the frontend is Closed" "$(pvctl store read /local/domain/$domid/device/vbd/$XVDA/state)"
echo 60 >$TMO
insmod /pvio/modules/pvio-blkback.ko
t_check "block-detach xvda" pvctl block-detach $domid xvda
wait_for 10 vbd_gone $domid $XVDA && t_ok "both ends of xvda gone" || t_fail "both ends of xvda gone"

# ---- a detach while I/O runs still detaches at once ---------------------
pvctl block-attach $domid /dev/ram0 xvda && wait_for 10 test -b /dev/xvda
fio --name=busy --filename=/dev/xvda --direct=1 --ioengine=libaio --rw=randread \
    --bs=4k --iodepth=16 --time_based --runtime=30 >/dev/null 2>&1 &
fio_pid=$!
sleep 1
t_check "block-detach xvda with fio running" pvctl block-detach $domid xvda
wait_for 5 [ ! -e /dev/xvda ] && t_ok "a detach is not held: xvda gone at once" ||
	t_fail "a detach is not held: xvda gone at once" "$(ls -l /dev/xvda; dmesg | tail -5)"
wait $fio_pid 2>/dev/null

t_check "destroy the domain" pvctl destroy guest
t_res_back
t_irqs_back
if pvio_unload; then t_ok "unload every module"; else t_fail "unload every module"; fi
t_done
