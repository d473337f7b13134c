# SPDX-License-Identifier: GPL-2.0
# pvio-check: stock
# pvio-uml: yes
# pvio-timeout: 1500
# A hostile User-Mode Linux domU (docs/uml-domu.md, "A hostile UML
# guest"): inside UML, pvio-uml-hostile (tests/uml/hostile) binds four
# vbds and a vif in place of pvio-blkfront and pvio-netfront and talks to
# dom0's unchanged blkback and netback with rings it fills by hand.
# xvda (persistent grants): grants of frames outside UML's memory file
# (just beyond it, 0xfffffff0), entries whose flags are garbage
# (accept_transfer, transitive, sub_page, invalid, read-only for a read,
# another domid, unknown high bits), an entry whose frame and flags UML
# rewrites while dom0's blkback maps it, then a close. xvdb: malformed
# requests (segment counts 0/12/255, a huge and a free gref, sector
# ranges reversed/past the page/past the disk/huge, an unknown op), a
# valid read, then req_prod going backwards. xvdc: req_prod jumping beyond
# the ring. xvdd: a ring-ref naming a frame outside UML's memory (the
# connect refused, the error node). The vif: its TX req_prod beyond the ring. UML prints one
# "PVIO-HOSTILE: ok|not ok" line per act; dom0 checks, meanwhile an
# in-kernel domU (kdom, its own brd disk) runs fio verify: the rings
# halted only where UML broke them, the vif disabled, what the backends
# logged, no kernel report in dom0, a marker file and the refused writes'
# sectors untouched; after pvctl destroy of the UML domain every map and
# port is back, and pvio unloads.
. /pvio/lib.sh

UML_TIMEOUT=${PVIO_UML_TIMEOUT:-600}
out=/tmp/uml-hostile.out
XVDA=51712
XVDB=51728
XVDC=51744
XVDD=51760

if [ -e /pvio/uml/unavailable ]; then
	t_ok "hostile UML domU # SKIP $(cat /pvio/uml/unavailable)"
	t_done; exit
fi
if pvio_load && [ -c /dev/pvio-hv ] && kmod_load brd rd_nr=1 rd_size=32768; then
	t_ok "dom0: load the pvio modules (/dev/pvio-hv) and brd"
else
	t_fail "dom0: load the pvio modules (/dev/pvio-hv) and brd"
	t_done; exit
fi
wait_for 5 pvctl store ls /local/domain/0
uml_alive() { [ -e /run/pvio/h1.pid ]; }
dmesg_bad() { dmesg | grep -E 'BUG:|WARNING:|Oops|general protection|KASAN|Call Trace' | head -n 5; }

# A marker in dom0's memory (tmpfs) that nothing may change.
head -c 1048576 /dev/urandom >/tmp/marker
marker=$(md5sum </tmp/marker)

# The in-kernel domU: fio verify on its own disk for as long as UML runs.
kdom=$(pvctl create kdom)
if [ -n "$kdom" ] && pvctl block-attach "$kdom" /dev/ram0 xvda &&
   wait_for 20 test -b /dev/xvda; then
	t_ok "in-kernel domU kdom (d$kdom) with /dev/xvda on /dev/ram0"
else
	t_fail "in-kernel domU kdom with /dev/xvda" "$(pvctl list 2>&1)"
fi
ports0=$(dom0_res | awk '{ print $2 }')
rm -f /tmp/kdom.stop /tmp/kdom.fail
(
	n=0
	while [ ! -e /tmp/kdom.stop ]; do
		fio --name=kdom --filename=/dev/xvda --direct=1 --ioengine=libaio \
			--rw=randwrite --bs=4k --iodepth=16 --size=8M --verify=crc32c \
			--verify_fatal=1 --do_verify=1 --allow_file_create=0 \
			--output-format=terse >/tmp/kdom.fio 2>&1 ||
			{ cp /tmp/kdom.fio /tmp/kdom.fail; break; }
		n=$((n + 1))
	done
	echo $n >/tmp/kdom.runs
) &
kfio=$!

# UML's disks: known contents (sector n of block b: "HOSTILE-b-n").
mkimg() {
	i=0
	while [ $i -lt 16 ]; do
		printf 'HOSTILE-%s-%02d\n' "$1" $i; head -c 499 /dev/zero; i=$((i + 1))
	done >$2
	head -c $((8388608 - 8192)) /dev/zero >>$2
}
mkimg a /tmp/h-a.img; mkimg b /tmp/h-b.img; mkimg c /tmp/h-c.img; mkimg d /tmp/h-d.img
sum_a8=$(dd if=/tmp/h-a.img bs=512 skip=8 count=8 2>/dev/null | md5sum)

# UML's command: each act through pvio-uml-hostile's debugfs file.
run='c() { echo $* >/sys/kernel/debug/pvio-uml-hostile/ctl || echo PVIO-HOSTILE-CTL-FAILED: $*; };'
run=$run' w() { i=0; until echo $* >/sys/kernel/debug/pvio-uml-hostile/ctl 2>/dev/null; do i=$((i + 1)); [ $i -lt 180 ] || { echo PVIO-HOSTILE-CTL-FAILED: $*; return 1; }; sleep 1; done; };'
run=$run' insmod /pvio/extra/pvio-bus.ko && insmod /pvio/extra/pvio-uml-hostile.ko && echo PVIO-HOSTILE-LOADED;'
run=$run" w $XVDA connect-persistent; w $XVDB connect; w $XVDC connect; w $XVDD connect-badring;"
run=$run" for a in frame_beyond frame_huge flags_transfer flags_transitive flags_subpage flags_invalid flags_readonly flags_domid flags_unknown good flip; do c $XVDA \$a; done;"
run=$run" for a in nseg0 nseg12 nseg255 gref_huge gref_free sect_order sect_big sector_end sector_huge op_bad good prod_back halted; do c $XVDB \$a; done;"
run=$run" c $XVDC good; c $XVDC prod_jump; c $XVDC halted; c $XVDA close;"
run=$run' w vif 0 connect; c vif 0 tx_prod_jump;'
run=$run' echo PVIO-HOSTILE-DONE; sleep 3600'
echo "# uml: pvio.run is ${#run} bytes"

start=$(date +%s)
dom=$(TMPDIR=/tmp pvctl create --kernel uml h1 --mem 256 --console $out.raw \
	--run "$run" 2>/tmp/uml-hostile.create)
rc=$?
if [ $rc = 0 ] && [ -n "$dom" ]; then
	t_ok "dom0: pvctl create --kernel uml h1: domain d$dom ($(($(date +%s) - start))s)"
else
	t_fail "dom0: pvctl create --kernel uml h1" "exit $rc: $(cat /tmp/uml-hostile.create)"
fi
if [ -n "$dom" ] && until_ok "$UML_TIMEOUT" pvctl store read /local/domain/$dom/name; then
	ok=1
	for v in a:xvda b:xvdb c:xvdc d:xvdd; do
		pvctl block-attach "$dom" /tmp/h-${v%%:*}.img ${v#*:} >/dev/null 2>&1 || ok=0
	done
	[ $ok = 1 ] && t_ok "dom0: four disks attached to the UML domain d$dom" ||
		t_fail "dom0: four disks attached to the UML domain d$dom"
	vifid=$(pvctl network-attach "$dom" 2>/tmp/uml-hostile.net)
	[ "$vifid" = 0 ] && t_ok "dom0: a vif attached to the UML domain (vif$dom.0)" ||
		t_fail "dom0: a vif attached to the UML domain" "$vifid $(cat /tmp/uml-hostile.net)"
else
	t_fail "dom0: the monitor introduced d$dom to the store"
fi

done_() { grep -q '^PVIO-HOSTILE-DONE' $out.raw || ! uml_alive; }
until_ok "$UML_TIMEOUT" done_ || { read -r hpid _m </run/pvio/h1.pid; uml_diag "$hpid"; } 2>/dev/null
tr -d '\r' <$out.raw >$out
if ! grep -q '^PVIO-HOSTILE-DONE' $out; then
	t_fail "UML ran every hostile act" "$(tail -n 5 $out)"
fi

# What UML saw of each act (its own judgement against Xen's behaviour).
n=0
grep -o 'PVIO-HOSTILE: \(not \)\{0,1\}ok .*' $out >/tmp/acts
while read -r line; do
	n=$((n + 1))
	case "$line" in
	"PVIO-HOSTILE: ok "*) t_ok "UML: ${line#PVIO-HOSTILE: ok }" ;;
	*) t_fail "UML: ${line#PVIO-HOSTILE: not ok }" ;;
	esac
done </tmp/acts
[ "$n" = 36 ] && t_ok "UML reported all 36 results of its hostile acts" ||
	t_fail "UML reported every hostile act" "$n lines; $(grep -m3 -E 'CTL-FAILED|pvio-uml-hostile' $out)"

# dom0's side, while UML still holds xvdb and xvdc on their halted rings.
[ "$(bstat $dom $XVDB halted)" = 1 ] && [ "$(bstat $dom $XVDC halted)" = 1 ] &&
	t_ok "dom0: blkback halted xvdb's ring (req_prod backwards) and xvdc's (req_prod beyond the ring)" ||
	t_fail "dom0: blkback halted xvdb's and xvdc's rings" "halted $(bstat $dom $XVDB halted) $(bstat $dom $XVDC halted)"
[ "$(bstat $dom $XVDA halted)" = 0 ] &&
	t_ok "dom0: xvda's ring (garbage grants, no garbage index) was never halted" ||
	t_fail "dom0: xvda's ring was never halted" "halted $(bstat $dom $XVDA halted)"
bad=$(bstat $dom $XVDB bad_req)
[ "$bad" -ge 8 ] && t_ok "dom0: blkback answered xvdb's malformed requests with errors (bad_req $bad)" ||
	t_fail "dom0: blkback counted xvdb's malformed requests" "bad_req $bad"
c=$(dmesg | grep -c "frontend $dom published an impossible req_prod")
[ "$c" = 2 ] && t_ok "dom0's log says why, once per halted ring ($c lines)" ||
	t_fail "dom0's log says why each ring halted" "$c lines"
dmesg | grep -E "frontend $dom published|bad request op" | head -n 4 | sed 's/^/# dom0: /'
e=$(pvctl store read /local/domain/0/backend/vbd/$dom/$XVDD/error 2>/dev/null)
[ -n "$e" ] && t_ok "dom0: xvdd's ring-ref outside UML's memory refused, the error node says why: $e" ||
	t_fail "dom0: xvdd's error node says why its ring was refused" "state $(pvctl store read /local/domain/0/backend/vbd/$dom/$XVDD/state 2>/dev/null)"
for v in $XVDA $XVDB $XVDC; do
	e=$(pvctl store read /local/domain/0/backend/vbd/$dom/$v/error 2>/dev/null)
	echo "# store: backend/vbd/$dom/$v/error: ${e:-(none)}"
done
e=$(pvctl store read /local/domain/0/backend/vif/$dom/0/error 2>/dev/null)
echo "# store: backend/vif/$dom/0/error: ${e:-(none)}"
for v in $XVDB $XVDC; do
	[ "$(pvctl store read /local/domain/0/backend/vbd/$dom/$v/state 2>/dev/null)" = 4 ] ||
		echo "# vbd $v backend state $(pvctl store read /local/domain/0/backend/vbd/$dom/$v/state 2>/dev/null)"
done
c=$(dmesg | grep -c "vif$dom.0: frontend d$dom: impossible tx req_prod; vif disabled")
[ "$c" = 1 ] && t_ok "dom0: netback disabled vif$dom.0 (TX req_prod beyond the ring), and says so once" ||
	t_fail "dom0: netback disabled vif$dom.0 for its TX req_prod" "$c lines; $(dmesg | grep "vif$dom" | tail -n 2)"
[ "$(cat /sys/class/net/vif$dom.0/carrier 2>/dev/null)" != 1 ] &&
	t_ok "dom0: vif$dom.0's carrier is off" || t_fail "dom0: vif$dom.0's carrier is off"
s8=$(dd if=/tmp/h-a.img bs=512 skip=8 count=8 2>/dev/null | md5sum)
[ "$s8" = "$sum_a8" ] && t_ok "xvda's sectors 8-15 unchanged: the writes through refused grants wrote nothing" ||
	t_fail "xvda's sectors 8-15 unchanged by the writes through refused grants"
s16=$(dd if=/tmp/h-a.img bs=512 skip=16 count=8 2>/dev/null | tr -d A | wc -c)
[ "$s16" = 0 ] && t_ok "xvda's sectors 16-23 hold page A: dom0 wrote from the page it mapped" ||
	t_fail "xvda's sectors 16-23 hold page A" "$(dd if=/tmp/h-a.img bs=512 skip=16 count=1 2>/dev/null | head -c 16)"
b=$(dmesg_bad)
[ -z "$b" ] && t_ok "dom0's log: no kernel report (bug, warning, oops)" || t_fail "dom0's log: no kernel report (bug, warning, oops)" "$b"

# The UML domain's end: pvctl destroy while it holds halted rings.
pvctl destroy h1 >/tmp/h1.destroy 2>&1 && t_ok "pvctl destroy h1" ||
	t_fail "pvctl destroy h1" "$(cat /tmp/h1.destroy)"
until_ok 60 test ! -e /run/pvio/h1.pid
pvctl list | awk -v d="$dom" '$1 == d' | grep -q . &&
	t_fail "dom0: d$dom destroyed" "$(pvctl list)" || t_ok "dom0: d$dom destroyed (not in pvctl list)"
gone() { vbd_gone "$dom" $XVDA && vbd_gone "$dom" $XVDB && vbd_gone "$dom" $XVDC &&
	vbd_gone "$dom" $XVDD &&
	[ ! -e /sys/class/net/vif$dom.0 ]; }
until_ok 20 gone && t_ok "dom0: the four vbds and the vif closed and removed" ||
	t_fail "dom0: the four vbds and the vif closed and removed" "$(ls /sys/bus/pvio-backend/devices/ /sys/class/net)"
left=$(grep -l 'pvio/uml/linu[x]' /proc/[0-9]*/cmdline 2>/dev/null)
[ -z "$left" ] && t_ok "no UML process left" || t_fail "no UML process left" "$left"
secs=$(($(date +%s) - start))

touch /tmp/kdom.stop
# fio's run ends within a minute; one stuck on kdom's disk is named.
if ! until_ok 300 sh -c "! kill -0 $kfio"; then
	echo "fio stuck: $(tail -n 3 /tmp/kdom.fio)" >/tmp/kdom.fail
	for p in $(ps -o pid,args | awk '/[f]io --name=kdom/ { print $1 }'); do
		echo "# fio pid $p: $(grep '^State' /proc/$p/status 2>/dev/null)"
		sed 's/^/#   /' /proc/$p/stack 2>/dev/null | head -n 8
	done
	kill $kfio 2>/dev/null
fi
wait $kfio
[ ! -e /tmp/kdom.fail ] && t_ok "in-kernel domU's fio verify passed throughout ($(cat /tmp/kdom.runs) runs)" ||
	t_fail "in-kernel domU's fio verify throughout" "$(tail -n 3 /tmp/kdom.fail)"
ports_back() { [ "$(dom0_res | awk '{ print $2 }')" = "$ports0" ]; }
until_ok 10 ports_back
ports=$(dom0_res | awk '{ print $2 }')
[ "$ports" = "$ports0" ] && t_ok "dom0's open ports back to $ports0" ||
	t_fail "dom0's open ports back to $ports0" "now $ports"
held=$(awk '$1 == 0 { print $13 }' /sys/kernel/debug/pvio/domains)
kgr=$(awk -v d="$kdom" '$1 == d { print $14 }' /sys/kernel/debug/pvio/domains)
[ "$held" = "$kgr" ] && t_ok "dom0 holds maps of kdom's grants only ($held)" ||
	t_fail "dom0 holds maps of kdom's grants only" "dom0 holds $held, kdom's granted $kgr"
[ "$(md5sum </tmp/marker)" = "$marker" ] && t_ok "dom0's marker (1 MiB in tmpfs) unchanged" ||
	t_fail "dom0's marker unchanged"
b=$(dmesg_bad)
[ -z "$b" ] && t_ok "dom0's log after the destroy: no kernel report (bug, warning, oops)" ||
	t_fail "dom0's log after the destroy: no kernel report (bug, warning, oops)" "$b"

sed 's/^/# uml: /' $out | grep -vE 'PVIO-HOSTILE: (not )?ok' | tail -n 60
echo "# uml-hostile: ${secs}s from pvctl create to the UML domain's end"
pvctl destroy kdom && t_ok "pvctl destroy kdom" || t_fail "pvctl destroy kdom"
n=$(pvctl list 2>/dev/null | grep -c '^ *[0-9]')
[ "$n" = 1 ] && t_ok "dom0: only dom0 is left" || t_fail "dom0: only dom0 is left" "$(pvctl list 2>&1)"
t_check "dom0: unload the pvio modules" pvio_unload
t_done
