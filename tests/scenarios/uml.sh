# SPDX-License-Identifier: GPL-2.0
# pvio-check: stock
# pvio-uml: yes
# pvio-timeout: 1500
# A User-Mode Linux domU (docs/uml-domu.md) next to an in-kernel domU
# with a disk of its own. dom0 loads pvio (/dev/pvio-hv), then
# pvctl create --kernel uml starts UML (scripts/uml-kernel, its initramfs
# from scripts/uml-initramfs) as a process of the VM: its /init insmods
# pvio-uml-hello (which counts the free IRQ descriptors) and pvio's guest
# modules built for ARCH=um: pvio-uml (its domain in dom0, named by
# pvctl, hypercalls as ioctls, upcalls as a UML IRQ), pvio-evtchn,
# pvio-grant and pvio-uml-loop (10 events through dom0 and back on a
# Dynamic-irq line). pvctl's monitor introduces the domain to dom0's
# store once UML's pvio-bus has recorded its ring; pvctl block-attach
# gives it a disk and pvctl network-attach a vif (dom0's end with an
# address; tests/lib.sh's uml_start, which make run uses too). Inside UML:
# lsmod, /proc/interrupts, insmod pvio-bus and pvio-blkfront, dd of
# /dev/xvda's first block, fio verify on /dev/xvda, mkfs.ext4 + mount +
# write + umount + fsck + mount + compare, insmod pvio-netfront, its eth0
# up with an address, ping to dom0 through the vif, iperf3 TCP both ways
# (Mbit/s in the check), the vif's Dynamic-irq lines, lsmod listing both
# frontends, rmmod; then an fio on /dev/xvda that runs until dom0 kills
# the UML process (kill -9) while the in-kernel domU runs an fio verify on
# its own disk: dom0 cleans up by itself (the domain destroyed, the store
# released, UML's vbd and vif closed and removed, dom0's ports and maps
# back) and the in-kernel domU's fio passes. Then a second UML domU, u2,
# with its vbd and vif connected, is removed by pvctl destroy: its process
# group killed, the monitor done, its domain, vbd, vif and store
# directories gone, dom0's ports and maps back. Its console is shown as
# "# uml: " lines. Without a UML kernel (it did not build, or cannot run
# here) the scenario is skipped with the reason.
. /pvio/lib.sh

UML_TIMEOUT=${PVIO_UML_TIMEOUT:-600}
out=/tmp/u1.out
XVDA=51712
# UML's vif: its MAC and address, dom0's end's address.
MAC=00:16:3e:00:98:01
FE_IP=10.98.0.2
BE_IP=10.98.0.1

if [ -e /pvio/uml/unavailable ]; then
	t_ok "UML domU kernel # SKIP $(cat /pvio/uml/unavailable)"
	t_done; exit
fi
# dom0's side: /dev/pvio-hv, where UML's pvio-uml creates its domain.
if pvio_load && [ -c /dev/pvio-hv ] && kmod_load brd rd_nr=1 rd_size=32768; then
	t_ok "dom0: load the pvio modules (/dev/pvio-hv) and brd"
else
	t_fail "dom0: load the pvio modules (/dev/pvio-hv) and brd"
	t_done; exit
fi
wait_for 5 pvctl store ls /local/domain/0
# UML is still running (its pid file is there until the monitor is done).
uml_alive() { [ -e /run/pvio/u1.pid ]; }

# The in-kernel domU, with a ramdisk of its own: it keeps doing I/O while
# the UML domU is killed.
kdom=$(pvctl create kdom)
if [ -n "$kdom" ] && pvctl block-attach "$kdom" /dev/ram0 xvda &&
   wait_for 20 test -b /dev/xvda; then
	t_ok "in-kernel domU kdom (d$kdom) with /dev/xvda on /dev/ram0"
else
	t_fail "in-kernel domU kdom with /dev/xvda" "$(pvctl list 2>&1)"
fi
# dom0's open ports with kdom connected, before UML.
ports0=$(dom0_res | awk '{ print $2 }')
ports_back() { [ "$(dom0_res | awk '{ print $2 }')" = "$ports0" ]; }

# UML's command: each step's output between markers, then its status
# (s NAME COMMAND...). fio without its clock reads per I/O
# (--gtod_reduce=1: each is a syscall, a ptrace round trip) and without
# its progress line. No double quotes (the kernel's command line).
run=$UML_S
run=$run' s lsmod lsmod;'
run=$run' s interrupts cat /proc/interrupts;'
run=$run' s loop cat /sys/module/pvio_uml_loop/parameters/received;'
run=$run' s bus insmod /pvio/extra/pvio-bus.ko;'
run=$run' s bus-lsmod lsmod;'
run=$run' s bus-resources cat /sys/kernel/debug/pvio-bus/resources;'
run=$run' s blkfront insmod /pvio/extra/pvio-blkfront.ko;'
run=$run' s xvda '\''i=0; while [ ! -b /dev/xvda ] && [ $i -lt 120 ]; do sleep 1; i=$((i + 1)); done; dd if=/dev/xvda bs=4096 count=1 2>/dev/null | head -c 16; echo'\'';'
run=$run' s fio-xvda fio --name=x --filename=/dev/xvda --rw=randwrite --bs=4k --size=4M --direct=1 --verify=crc32c --verify_fatal=1 --gtod_reduce=1 --eta=never;'
run=$run' s ext4 '\''if grep -qw ext4 /proc/filesystems; then mkdir -p /mnt && /sbin/mke2fs -t ext4 -q -F /dev/xvda && mount -t ext4 /dev/xvda /mnt && dd if=/dev/urandom of=/mnt/f bs=64k count=32 2>/dev/null && md5sum /mnt/f >/tmp/m && umount /mnt && /sbin/e2fsck -f -n /dev/xvda && mount -t ext4 /dev/xvda /mnt && md5sum -c /tmp/m && umount /mnt; else echo no ext4 in this kernel; fi'\'';'
run=$run$(uml_net_steps $MAC $FE_IP $BE_IP)
run=$run" s iperf3 iperf3 -c $BE_IP -t 5 -f m;"
run=$run" s iperf3-R iperf3 -c $BE_IP -t 5 -f m -R;"
run=$run' s net-interrupts cat /proc/interrupts;'
run=$run' s net-lsmod lsmod;'
run=$run' s rmmod rmmod pvio-uml-hello;'
run=$run' s rmmod-loop rmmod pvio-uml-loop;'
run=$run' echo PVIO-UML-KILLME; fio --name=k --filename=/dev/xvda --rw=randrw --bs=4k --size=8M --direct=1 --time_based --runtime=900 --gtod_reduce=1 --eta=never'
echo "# uml: pvio.run is ${#run} bytes"

# The disk for UML's blkfront: a known first block.
{ printf 'PVIO-UML-DISK-1\n'; head -c 8388592 /dev/zero; } >/tmp/uml-disk.img

# UML's start (tests/lib.sh, also make run's): pvctl create, the store
# introduction by pvctl's monitor, block-attach, network-attach and dom0's
# end of the vif. Each part is a check below.
echo "# uml: pvctl create --kernel uml u1 --mem 256 (timeout ${UML_TIMEOUT}s)"
start=$(date +%s)
uml_start u1 "$run" /tmp/uml-disk.img $MAC $BE_IP
ok=$?
dom=$UDOM
umlpid=$UPID
blk_ok=$UML_BLK_OK
[ -n "$dom" ] && t_ok "dom0: pvctl create --kernel uml u1: domain d$dom (${UML_T}s)" ||
	t_fail "dom0: pvctl create --kernel uml u1" "$UML_WHY"
line=$(pvctl list | awk -v d="$dom" '$1 == d')
echo "$line" | grep -q ' u1 .* uml$' && t_ok "pvctl list: $(echo $line | tr -s ' ')" ||
	t_fail "pvctl list shows u1 with kind uml" "$(pvctl list 2>&1)"
# pvctl's monitor introduces it once its bus has recorded the store ring.
[ -n "$dom" ] && pvctl store read /local/domain/$dom/name >/dev/null 2>&1 &&
	t_ok "dom0: the monitor introduced d$dom to the store (name $(pvctl store read /local/domain/$dom/name))" ||
	t_fail "dom0: the monitor introduced d$dom to the store" "$UML_WHY"
[ $ok = 0 ] && t_ok "dom0: pvctl network-attach d$dom mac=$MAC: devid $UML_NET, $UVIF with $BE_IP/24" ||
	t_fail "dom0: block-attach and network-attach to UML's domain, $UVIF up" "$UML_WHY"
# dom0's iperf3 server for UML's iperf3 through its vif (both runs), on
# the vif's address (there now).
iperf3 -s -D -B $BE_IP -p 5201 -I /tmp/uml-iperf3.pid >/tmp/uml-iperf3.log 2>&1 ||
	echo "# dom0's iperf3 -s did not start: $(cat /tmp/uml-iperf3.log)"

# Until UML's last step: an fio on its /dev/xvda that dom0 kills.
killme() { grep -q '^PVIO-UML-KILLME' $out.raw || ! uml_alive; }
until_ok "$UML_TIMEOUT" killme || uml_diag "$umlpid"
tr -d '\r' <$out.raw >$out
if grep -q '^PVIO-UML-KILLME' $out; then
	# fio takes a while to start in UML (60 libraries): until it writes.
	w0=$(bstat "$dom" $XVDA wr_req)
	writing() { [ "$(bstat "$dom" $XVDA wr_req)" -gt "$w0" ]; }
	until_ok 120 writing
	( fio --name=kdom --filename=/dev/xvda --direct=1 --ioengine=libaio \
		--rw=randwrite --bs=4k --iodepth=16 --size=16M --verify=crc32c \
		--verify_fatal=1 --do_verify=1 --allow_file_create=0 \
		--output-format=terse >/tmp/kdom.fio 2>&1; echo $? >/tmp/kdom.rc ) &
	fiopid=$!
	sleep 3
	w1=$(bstat "$dom" $XVDA wr_req)
	kill -9 "$umlpid"
	t_ok "kill -9 of the UML process $umlpid mid-fio (UML's vbd writes $w0 -> $w1)"
	if until_ok 60 test ! -e /run/pvio/u1.pid; then
		t_ok "dom0: pvctl's monitor cleaned up after the UML process"
	else
		t_fail "dom0: pvctl's monitor cleaned up after the UML process" "$(ps | grep -v grep | grep -E 'linux|pvctl')"
	fi
	pvctl list | awk -v d="$dom" '$1 == d' | grep -q . &&
		t_fail "dom0: d$dom destroyed" "$(pvctl list)" ||
		t_ok "dom0: d$dom destroyed (not in pvctl list)"
	dmesg | grep -E "pvio: d$dom: its process exited|pvio-store: d$dom: destroyed while introduced" | sed 's/^/# /'
	until_ok 10 vbd_gone "$dom" $XVDA && t_ok "dom0: UML's vbd closed and removed" ||
		t_fail "dom0: UML's vbd closed and removed" "$(ls /sys/bus/pvio-backend/devices/)"
	until_ok 10 vif_gone "$dom" && t_ok "dom0: UML's vif closed and removed ($UVIF gone)" ||
		t_fail "dom0: UML's vif closed and removed" "$(ls /sys/class/net /sys/bus/pvio-backend/devices/)"
	pvctl store ls /local/domain/$dom >/dev/null 2>&1 &&
		t_fail "dom0's store: /local/domain/$dom removed" "$(pvctl store ls /local/domain/$dom)" ||
		t_ok "dom0's store: /local/domain/$dom removed"
	left=$(grep -l 'pvio/uml/linu[x]' /proc/[0-9]*/cmdline 2>/dev/null)
	[ -z "$left" ] && t_ok "no UML process left (its userspace processes included)" ||
		t_fail "no UML process left" "$left"
	wait $fiopid
	[ "$(cat /tmp/kdom.rc)" = 0 ] && t_ok "in-kernel domU's fio verify during the kill passed" ||
		t_fail "in-kernel domU's fio verify during the kill" "$(tail -n 3 /tmp/kdom.fio)"
	until_ok 10 ports_back
	ports=$(dom0_res | awk '{ print $2 }')
	[ "$ports" = "$ports0" ] && t_ok "dom0's open ports back to $ports0" ||
		t_fail "dom0's open ports back to $ports0" "now $ports"
	held=$(awk '$1 == 0 { print $13 }' /sys/kernel/debug/pvio/domains)
	kgr=$(awk -v d="$kdom" '$1 == d { print $14 }' /sys/kernel/debug/pvio/domains)
	[ "$held" = "$kgr" ] && t_ok "dom0 (blkback, netback) holds maps of kdom's grants only ($held), none of d$dom's" ||
		t_fail "dom0 holds maps of kdom's grants only" "dom0 holds $held, kdom's granted $kgr"
else
	t_fail "UML reached its last step (an fio on /dev/xvda)" "$(tail -n 5 $out)"
	uml_alive && pvctl destroy u1
fi
secs=$(($(date +%s) - start))
sed 's/^/# uml: /' $out

if ! grep -q '^PVIO-UML-BEGIN' $out; then
	why=$(grep -v '^ *$' $out | tail -n 1)
	t_ok "UML domU kernel # SKIP it did not reach its /init (exit $rc): ${why:-no output}"
	t_done; exit
fi
# UML's printk clock starts with the process: its time to run /init.
boot=$(sed -n 's/^\[ *\([0-9]*\)\.[0-9]*\] Run \/init as init process.*/\1/p' $out)
t_ok "UML domU kernel booted to its /init (after ${boot:-?}s)"

# step NAME: the output of step NAME; step_ok NAME: it exited 0.
step() { uml_step $out "$1"; }
step_ok() { uml_step_ok $out "$1"; }

grep -qx 'PVIO-UML-INSMOD: pvio-uml-hello' $out && step lsmod | grep -q '^pvio_uml_hello ' &&
	t_ok "insmod pvio-uml-hello inside UML (lsmod lists it)" ||
	t_fail "insmod pvio-uml-hello inside UML" "$(grep -E 'PVIO-UML-INSMOD|pvio-uml-hello' $out)"

free=$(sed -n 's/.*pvio-uml-hello: nr_irqs \([0-9]*\), \([0-9]*\) irq descriptors free.*/\1 \2/p' $out)
nr=${free% *}; free=${free#* }
used=$(step interrupts | grep -cE '^ *[0-9]+:')
if [ -n "$free" ] && [ "$free" -gt 0 ]; then
	t_ok "free IRQs inside UML: $free of nr_irqs $nr ($used in /proc/interrupts)"
else
	t_fail "free IRQs inside UML" "nr_irqs ${nr:-?}, free ${free:-?}"
fi

# pvio's guest modules inside UML, over dom0's /dev/pvio-hv.
for m in pvio-uml pvio-evtchn pvio-grant pvio-uml-loop; do
	n=$(echo $m | tr - _)
	grep -qx "PVIO-UML-INSMOD: $m" $out && step lsmod | grep -q "^$n " &&
		t_ok "insmod $m inside UML (lsmod lists it)" ||
		t_fail "insmod $m inside UML" "$(grep -E "PVIO-UML-INSMOD.*$m|$m" $out | head -n 5)"
done
dom=$(sed -n 's/.*pvio-uml: domain \([0-9]*\) .*/\1/p' $out | head -n 1)
[ -n "$dom" ] && t_ok "UML's domain in dom0: d$dom ($(grep -m1 'pvio-uml: domain' $out | sed 's/.*pvio-uml: //'))" ||
	t_fail "UML created its domain through /dev/pvio-hv" "$(grep -m3 'pvio-uml' $out)"
rx=$(step interrupts | awk '/pvio-uml-loop-rx/ { s = 0; for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) { s = $i; break }; print s, $0; exit }')
case "$rx" in
"10 "*Dynamic-irq*) t_ok "UML's /proc/interrupts: Dynamic-irq pvio-uml-loop-rx counted 10 events through dom0" ;;
*) t_fail "UML's /proc/interrupts: Dynamic-irq pvio-uml-loop-rx counted 10 events" "${rx:-no such line}" ;;
esac
step interrupts | grep -q 'pvio-hv' &&
	t_ok "UML's /proc/interrupts: the pvio-hv upcall line ($(step interrupts | grep pvio-hv | tr -s ' '))" ||
	t_fail "UML's /proc/interrupts: the pvio-hv upcall line"
[ "$(step loop)" = 10 ] && t_ok "pvio-uml-loop received 10 of 10 events" ||
	t_fail "pvio-uml-loop received 10 of 10 events" "received: $(step loop)"
step_ok rmmod-loop && t_ok "rmmod pvio-uml-loop inside UML" ||
	t_fail "rmmod pvio-uml-loop inside UML" "$(step rmmod-loop)"

step_ok rmmod && grep -q 'pvio-uml-hello: unloaded' $out &&
	t_ok "rmmod pvio-uml-hello inside UML" ||
	t_fail "rmmod pvio-uml-hello inside UML" "$(step rmmod)"

# The store connection of UML's pvio-bus, introduced by pvctl's monitor.
step_ok bus && step bus-lsmod | grep -q '^pvio_bus ' &&
	t_ok "insmod pvio-bus inside UML: its XS_WATCH answered by dom0's store (lsmod lists it)" ||
	t_fail "insmod pvio-bus inside UML" "$(step bus; grep -E 'pvio-bus|xs' $out | head -n 5)"
res=$(step bus-resources | awk -v d="$dom" '$1 == d')
[ -n "$res" ] && t_ok "UML's pvio-bus serves its domain (debugfs resources: $res)" ||
	t_fail "UML's pvio-bus resources line for d$dom" "$(step bus-resources)"

# Its disk, through dom0's unchanged blkback.
[ "$blk_ok" = 1 ] &&
	t_ok "dom0: pvctl block-attach d$dom /tmp/uml-disk.img xvda $UML_BLK" ||
	t_fail "dom0: pvctl block-attach to UML's domain" "$UML_WHY"
step_ok blkfront && t_ok "insmod pvio-blkfront inside UML" ||
	t_fail "insmod pvio-blkfront inside UML" "$(step blkfront; grep -E 'blkfront|xvda' $out | head -n 5)"
xvda=$(grep -m1 'pvio-blkfront .*: xvda: [0-9]* sectors' $out | sed 's/.*: xvda: //')
[ -n "$xvda" ] && t_ok "UML's blkfront connected to dom0's blkback: xvda, $xvda" ||
	t_fail "UML's blkfront connected: xvda" "$(grep -E 'blkfront|xvda' $out | head -n 5)"
# (UML's kernel lines interleave with the step's output on its console.)
step xvda | grep -qx PVIO-UML-DISK-1 &&
	t_ok "dd of UML's /dev/xvda reads dom0's disk (first block: PVIO-UML-DISK-1)" ||
	t_fail "dd of UML's /dev/xvda reads dom0's disk" "$(step xvda | head -n 2; grep -m2 -E 'misbehaved|persistent grants' $out)"
step_ok fio-xvda && step fio-xvda | grep -q 'err= 0' &&
	t_ok "fio randwrite --verify=crc32c on UML's /dev/xvda" ||
	t_fail "fio randwrite --verify=crc32c on UML's /dev/xvda" "$(step fio-xvda | tail -n 5; grep -m2 -E 'misbehaved|persistent grants' $out)"
step_ok ext4 && step ext4 | grep -q '/mnt/f: OK' &&
	t_ok "ext4 on UML's /dev/xvda: mke2fs -t ext4, mount, write, umount, e2fsck -f, mount, md5sum -c" ||
	t_fail "ext4 on UML's /dev/xvda" "$(step ext4 | tail -n 4 | tr '\n' ' ')"

# Its vif, through dom0's unchanged netback.
step_ok netfront && t_ok "insmod pvio-netfront inside UML" ||
	t_fail "insmod pvio-netfront inside UML" "$(step netfront; grep -E 'netfront|vif' $out | head -n 5)"
eth=$(step eth | grep -m1 -E '^[a-z]+[0-9]+$')
step_ok eth && [ -n "$eth" ] &&
	t_ok "UML's netfront connected to dom0's netback: $eth with $MAC, $FE_IP/24 up" ||
	t_fail "UML's netfront: an interface with $MAC, $FE_IP/24 up" "$(step eth | tail -n 3; grep -E 'netfront|vif' $out | head -n 5)"
step_ok ping && rtt=$(step ping | sed -n 's/.* = \([0-9.]*\)\/\([0-9.]*\)\/.*/\2/p') &&
	t_ok "ping from UML to dom0 through the vif ($BE_IP, 3 of 3, avg ${rtt:-?} ms)" ||
	t_fail "ping from UML to dom0 through the vif" "$(step ping | tail -n 3)"
tx=$(step iperf3 | iperf_mbps)
step_ok iperf3 && step iperf3 | grep -q receiver &&
	t_ok "iperf3 TCP from UML to dom0 through the vif: $tx Mbit/s" ||
	t_fail "iperf3 TCP from UML to dom0 through the vif" "$(step iperf3 | tail -n 3)"
rx=$(step iperf3-R | iperf_mbps)
step_ok iperf3-R && step iperf3-R | grep -q receiver &&
	t_ok "iperf3 TCP from dom0 to UML through the vif (-R): $rx Mbit/s" ||
	t_fail "iperf3 TCP from dom0 to UML through the vif (-R)" "$(step iperf3-R | tail -n 3)"
dyn=$(step net-interrupts | grep Dynamic-irq | grep -v pvio-uml-loop)
ndyn=$(echo "$dyn" | grep -c "$eth")
[ -n "$eth" ] && [ "$ndyn" -gt 0 ] &&
	t_ok "UML's /proc/interrupts: $ndyn Dynamic-irq line(s) for $eth's event channels" ||
	t_fail "UML's /proc/interrupts: Dynamic-irq lines for the vif" "$(step net-interrupts | grep -E 'Dynamic|eth' | head -n 5)"
echo "$dyn" | tr -s ' ' | sed 's/^/# uml interrupts: /'
step net-lsmod | grep -q '^pvio_blkfront ' && step net-lsmod | grep -q '^pvio_netfront ' &&
	t_ok "UML's lsmod lists pvio_blkfront and pvio_netfront" ||
	t_fail "UML's lsmod lists pvio_blkfront and pvio_netfront" "$(step net-lsmod)"
grep -q 'persistent grants failed' $out &&
	t_fail "UML's blkfront: persistent grants" "$(grep -m1 'persistent grants failed' $out)" ||
	t_ok "UML's blkfront: no persistent grant failure"
grep -q 'backend misbehaved' $out &&
	t_fail "UML's blkfront: no backend misbehaviour" "$(grep -m1 'backend misbehaved' $out)" ||
	t_ok "UML's blkfront: no backend misbehaviour"

echo "# uml: ${secs}s from pvctl create to the end of the UML domain"

# pvctl destroy of a UML domain: a second one, u2, with a vbd and a vif
# connected (its frontends insmod-ed, a ping through the vif), then
# destroyed from dom0: pvctl kills its process group, the monitor ends,
# its domain, vbd, vif and store directory go, dom0's ports come back.
run2=$UML_S' s bus insmod /pvio/extra/pvio-bus.ko;'
run2=$run2' s blkfront insmod /pvio/extra/pvio-blkfront.ko;'
run2=$run2$(uml_net_steps 00:16:3e:00:98:02 10.98.1.2 10.98.1.1)
run2=$run2' echo PVIO-UML-DESTROYME; sleep 900'
head -c 1048576 /dev/zero >/tmp/uml-disk2.img
start=$(date +%s)
if uml_start u2 "$run2" /tmp/uml-disk2.img 00:16:3e:00:98:02 10.98.1.1 &&
   until_ok "$UML_TIMEOUT" grep -q '^PVIO-UML-DESTROYME' /tmp/u2.out.raw; then
	d2=$UDOM
	tr -d '\r' </tmp/u2.out.raw >/tmp/u2.out
	uml_step_ok /tmp/u2.out ping && vbd=$(state_is /local/domain/$d2/device/vbd/$XVDA 4 && echo connected) &&
		t_ok "u2 (d$d2): its vbd $vbd, its vif answers ping ($(($(date +%s) - start))s)" ||
		t_fail "u2 (d$d2): vbd connected, vif answers ping" "$(grep -E 'PVIO-UML-ST|blkfront|netfront' /tmp/u2.out | tail -n 6)"
	if pvctl destroy u2; then
		t_ok "pvctl destroy u2 (d$d2)"
	else
		t_fail "pvctl destroy u2 (d$d2)" "exit $?"
	fi
	until_ok 30 test ! -e /run/pvio/u2.pid && t_ok "u2: pvctl's monitor finished" ||
		t_fail "u2: pvctl's monitor finished" "$(cat /run/pvio/u2.pid)"
	pvctl list | awk -v d="$d2" '$1 == d' | grep -q . &&
		t_fail "u2: d$d2 destroyed" "$(pvctl list)" || t_ok "u2: d$d2 destroyed (not in pvctl list)"
	until_ok 10 vbd_gone "$d2" $XVDA && until_ok 10 vif_gone "$d2" &&
		t_ok "u2: its vbd and vif ($UVIF) removed in dom0" ||
		t_fail "u2: its vbd and vif removed in dom0" "$(ls /sys/class/net /sys/bus/pvio-backend/devices/)"
	pvctl store ls /local/domain/$d2 >/dev/null 2>&1 ||
		pvctl store ls /local/domain/0/backend/vif/$d2 >/dev/null 2>&1 &&
		t_fail "u2: its store directories removed" "$(pvctl store ls /local/domain/$d2 2>&1 | head -n 3)" ||
		t_ok "u2: its store directories removed (/local/domain/$d2, its backends')"
	left=$(grep -l 'pvio/uml/linu[x]' /proc/[0-9]*/cmdline 2>/dev/null)
	[ -z "$left" ] && t_ok "u2: no UML process left" || t_fail "u2: no UML process left" "$left"
	until_ok 10 ports_back
	ports=$(dom0_res | awk '{ print $2 }')
	[ "$ports" = "$ports0" ] && t_ok "u2: dom0's open ports back to $ports0" ||
		t_fail "u2: dom0's open ports back to $ports0" "now $ports"
	held=$(awk '$1 == 0 { print $13 }' /sys/kernel/debug/pvio/domains)
	kgr=$(awk -v d="$kdom" '$1 == d { print $14 }' /sys/kernel/debug/pvio/domains)
	[ "$held" = "$kgr" ] && t_ok "u2: dom0 holds maps of kdom's grants only ($held)" ||
		t_fail "u2: dom0 holds maps of kdom's grants only" "dom0 holds $held, kdom's granted $kgr"
else
	[ -n "$UML_WHY" ] || uml_diag "$UPID"
	t_fail "u2: a second UML domain to destroy" "${UML_WHY:-no PVIO-UML-DESTROYME}: $(tail -n 3 /tmp/u2.out.raw 2>/dev/null | tr -d '\r')"
	[ -e /run/pvio/u2.pid ] && pvctl destroy u2
fi
[ -e /tmp/uml-iperf3.pid ] && kill "$(cat /tmp/uml-iperf3.pid)" 2>/dev/null
pvctl destroy kdom && t_ok "pvctl destroy kdom" || t_fail "pvctl destroy kdom"
n=$(pvctl list 2>/dev/null | grep -c '^ *[0-9]')
[ "$n" = 1 ] && t_ok "dom0: only dom0 is left" ||
	t_fail "dom0: only dom0 is left" "$(pvctl list 2>&1)"
t_check "dom0: unload the pvio modules" pvio_unload
dmesg | grep -q 'pvio-store: d[0-9]*: still introduced at unload' &&
	t_fail "dom0's store: no domain still introduced at unload" "$(dmesg | grep 'still introduced')" ||
	t_ok "dom0's store: no domain still introduced at unload"
t_done
