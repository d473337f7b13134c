# SPDX-License-Identifier: GPL-2.0
# pvio-check: test
# Hostile block peers, injected through the drivers' debugfs fault hooks:
# a frontend granting a frame of dom0's (refused: each domain has its own
# frame space), a frontend publishing an impossible req_prod (the backend
# halts that ring), a backend answering with an id out of range or the wrong op (the
# frontend puts that disk into an error state: -EIO, disk removed). Every
# other disk and domain keeps working; nothing is left afterwards.
. /pvio/lib.sh

FDBG=/sys/kernel/debug/pvio-blkfront
BDBG=/sys/kernel/debug/pvio-blkback
XVDA=51712
XVDB=51728
XVDC=51744

verify() {
	fio --name=v --filename="$1" --direct=1 --ioengine=libaio --rw=randwrite \
	    --bs=16k --iodepth=16 --size=2M --verify=crc32c --verify_fatal=1 \
	    --do_verify=1 --allow_file_create=0 >/tmp/fio.out 2>&1
}
attach() {	# DOM BACKING VDEV
	pvctl block-attach "$1" "$2" "$3" && wait_for 10 test -b /dev/"$3"
}

t_load brd rd_nr=3 rd_size=16384
wait_for 5 pvctl store ls /local/domain/0
res_snapshot
a=$(pvctl create hostile-a)
b=$(pvctl create hostile-b)
attach $a /dev/ram0 xvda && attach $a /dev/ram1 xvdb && attach $b /dev/ram2 xvdc &&
	t_ok "xvda, xvdb (domain $a) and xvdc (domain $b) attached" ||
	{ t_fail "attach three disks" "$(dmesg | tail -5)"; t_done; exit; }

# ---- a frontend sends malformed indirect requests -----------------------
# Each is answered BLKIF_RSP_ERROR (the read fails), the disk goes on.
for f in ind_nseg_big ind_nseg_zero ind_bad_gref ind_bad_sect ind_bad_page; do
	e0=$(bstat $a $XVDB err_req)
	echo $f >$FDBG/d$a-vbd-$XVDB
	if dd if=/dev/xvdb of=/dev/null bs=1M count=1 iflag=direct 2>/dev/null; then
		t_fail "indirect $f: the read fails"
	else
		e1=$(bstat $a $XVDB err_req)
		[ "$e1" -gt "$e0" ] && t_ok "indirect $f: the backend answers an error ($e0 -> $e1)" ||
			t_fail "indirect $f: the backend answers an error" "err_req $e0 -> $e1"
	fi
done
verify /dev/xvdb && t_ok "xvdb still verifies after the bad indirect requests" ||
	t_fail "xvdb still verifies after the bad indirect requests" "$(tail -3 /tmp/fio.out)"
[ "$(bstat $a $XVDB halted)" = 0 ] && [ -b /dev/xvdb ] &&
	t_ok "bad indirect requests: ring not halted, disk still there" ||
	t_fail "bad indirect requests: ring not halted, disk still there"

# ---- a frontend grants a frame of dom0's -------------------------------
# The finding of issue #12: a grant entry naming dom0's frame let a READ
# write disk data over dom0's page and a WRITE put dom0's bytes on disk.
# Each domain has its own frame space now: the map is refused, the request
# fails (BLKIF_RSP_ERROR), dom0's page is untouched, and every other disk
# goes on; xvdc of the other domain verifies all along.
loop_verify() {	# DEV N: N verify runs, the status of the first failure
	i=0
	while [ $i -lt "$2" ]; do
		fio --name=bv --filename="$1" --direct=1 --ioengine=libaio --rw=randwrite \
		    --bs=16k --iodepth=16 --size=2M --verify=crc32c --verify_fatal=1 \
		    --do_verify=1 --allow_file_create=0 >/tmp/bv.out 2>&1 || return 1
		i=$((i + 1))
	done
}
loop_verify /dev/xvdc 4 &
bv=$!
dd if=/dev/xvdb of=/tmp/blk0 bs=1M count=1 iflag=direct 2>/dev/null
# 4 KiB: through a bounce page; 1 MiB: zero-copy (the bio's own pages).
for bs in 4k 1M; do
	for rw in read write; do
		e0=$(bstat $a $XVDB err_req)
		echo dom0_frame >$FDBG/d$a-vbd-$XVDB
		if [ $rw = read ]; then
			dd if=/dev/xvdb of=/dev/null bs=$bs count=1 iflag=direct 2>/dev/null
		else
			dd if=/dev/zero of=/dev/xvdb bs=$bs count=1 oflag=direct 2>/dev/null
		fi && st=ok || st=failed
		e1=$(bstat $a $XVDB err_req)
		v=$(cat $FDBG/d$a-vbd-$XVDB)
		[ $st = failed ] && [ "$e1" -gt "$e0" ] && [ "$v" = intact ] &&
			t_ok "a $bs $rw naming dom0's frame is refused: the $rw fails, dom0's page $v" ||
			t_fail "a $bs $rw naming dom0's frame is refused" "$rw $st, err_req $e0 -> $e1, dom0's page $v"
	done
done
dd if=/dev/xvdb of=/tmp/blk1 bs=1M count=1 iflag=direct 2>/dev/null
cmp -s /tmp/blk0 /tmp/blk1 && t_ok "no byte of dom0's page reached the disk" ||
	t_fail "no byte of dom0's page reached the disk"
# A frontend that ends one of a zero-copy request's grants before the
# backend maps it: that request fails, the disk goes on, no map is left.
for rw in read write; do
	e0=$(bstat $a $XVDB err_req)
	echo zc_end >$FDBG/d$a-vbd-$XVDB
	if [ $rw = read ]; then
		dd if=/dev/xvdb of=/dev/null bs=1M count=1 iflag=direct 2>/dev/null
	else
		dd if=/tmp/blk0 of=/dev/xvdb bs=1M count=1 oflag=direct 2>/dev/null
	fi && st=ok || st=failed
	e1=$(bstat $a $XVDB err_req)
	[ $st = failed ] && [ "$e1" -gt "$e0" ] && [ -b /dev/xvdb ] &&
		t_ok "a 1 MiB $rw whose zero-copy grant ended early fails (err_req $e0 -> $e1), xvdb stays" ||
		t_fail "a 1 MiB $rw whose zero-copy grant ended early fails" "$rw $st, err_req $e0 -> $e1"
done
dd if=/dev/xvdb of=/tmp/blk1 bs=1M count=1 iflag=direct 2>/dev/null
cmp -s /tmp/blk0 /tmp/blk1 && t_ok "the failed zero-copy write changed nothing on the disk" ||
	t_fail "the failed zero-copy write changed nothing on the disk"
verify /dev/xvdb && [ "$(bstat $a $XVDB halted)" = 0 ] &&
	t_ok "xvdb goes on after the refused grants" ||
	t_fail "xvdb goes on after the refused grants" "$(tail -3 /tmp/fio.out)"
wait $bv && t_ok "the other domain's xvdc verified throughout (4 runs)" ||
	t_fail "the other domain's xvdc verified throughout" "$(tail -3 /tmp/bv.out)"

# ---- a frontend publishes an impossible req_prod ------------------------
echo req_prod >$FDBG/d$a-vbd-$XVDA
if wait_for 5 eval '[ "$(bstat $a $XVDA halted)" = 1 ]'; then
	t_ok "req_prod jump: the backend halts that ring"
else
	t_fail "req_prod jump: the backend halts that ring" "halted=$(bstat $a $XVDA halted)"
fi
# A bad queue halts that queue only: xvda's other ring (queue 1, which
# blk-mq maps CPU 1 to) still answers.
taskset -c 1 dd if=/dev/xvda of=/dev/null bs=4k count=64 iflag=direct 2>/dev/null &
q1=$!
if wait_for 20 eval '! kill -0 $q1 2>/dev/null' && wait $q1; then
	t_ok "xvda's other ring still answers (64 reads from CPU 1)"
else
	t_fail "xvda's other ring still answers" "halted=$(bstat $a $XVDA halted), $(ls /sys/block/xvda/mq | wc -l) queues"
fi
# From CPU 0, so that it goes to queue 0, the halted ring (xvda has one
# ring per CPU: from CPU 1 it would be answered by the other ring).
taskset -c 0 dd if=/dev/xvda of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null &
ddpid=$!
verify /dev/xvdb && t_ok "xvdb (same domain) still verifies" ||
	t_fail "xvdb (same domain) still verifies" "$(tail -3 /tmp/fio.out)"
verify /dev/xvdc && t_ok "xvdc (other domain) still verifies" ||
	t_fail "xvdc (other domain) still verifies" "$(tail -3 /tmp/fio.out)"
t_check "detach the halted xvda" pvctl block-detach $a xvda
if wait $ddpid; then t_fail "the request stuck on the halted ring fails"; else
	t_ok "the request stuck on the halted ring fails (-EIO)"; fi
wait_for 5 vbd_gone $a $XVDA && t_ok "xvda gone" || t_fail "xvda gone"

# ---- a backend answers with a bad id ------------------------------------
echo bad_id >$BDBG/vbd-$a-$XVDB
if dd if=/dev/xvdb of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null; then
	t_fail "bad response id: the read fails"
else
	t_ok "bad response id: the read fails"
fi
wait_for 10 [ ! -e /sys/block/xvdb ] && t_ok "bad response id: the disk goes into error and away" ||
	t_fail "bad response id: the disk goes into error and away"
pvctl store read /local/domain/$a/device/vbd/$XVDB/error | sed 's/^/# error node: /'
verify /dev/xvdc && t_ok "xvdc (other domain) still verifies" ||
	t_fail "xvdc (other domain) still verifies" "$(tail -3 /tmp/fio.out)"
t_check "detach the broken xvdb" pvctl block-detach $a xvdb
wait_for 5 vbd_gone $a $XVDB && t_ok "xvdb gone" || t_fail "xvdb gone"

# ---- a backend answers with the wrong op --------------------------------
echo bad_op >$BDBG/vbd-$b-$XVDC
if dd if=/dev/xvdc of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null; then
	t_fail "response op mismatch: the read fails"
else
	t_ok "response op mismatch: the read fails"
fi
wait_for 10 [ ! -e /sys/block/xvdc ] && t_ok "op mismatch: the disk goes into error and away" ||
	t_fail "op mismatch: the disk goes into error and away"
t_check "detach the broken xvdc" pvctl block-detach $b xvdc

# ---- the same backing devices work again --------------------------------
attach $a /dev/ram0 xvda && verify /dev/xvda && t_ok "re-attached xvda verifies" ||
	t_fail "re-attached xvda verifies" "$(tail -3 /tmp/fio.out)"
attach $b /dev/ram2 xvdc && verify /dev/xvdc && t_ok "re-attached xvdc verifies" ||
	t_fail "re-attached xvdc verifies" "$(tail -3 /tmp/fio.out)"
t_check "detach xvda" pvctl block-detach $a xvda
t_check "detach xvdc" pvctl block-detach $b xvdc

t_check "destroy both domains" sh -c "pvctl destroy hostile-a && pvctl destroy hostile-b"
t_res_back
t_irqs_back
if pvio_unload; then t_ok "unload every module"; else t_fail "unload every module"; fi
t_done
