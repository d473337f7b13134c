# SPDX-License-Identifier: GPL-2.0
# pvio-check: test
# pvio-timeout: 1500
# Fair mapping resources: pvio-hypervisor's max_maps_per_domain caps the
# live grant maps of one domain's grants. A domain with three vbds under
# 1 MiB load goes over a (lowered) quota: its own requests fail
# (BLKIF_RSP_ERROR, map_refused, the store error node) and its live maps
# never pass the quota, while a normal domain's fio verify beside it is
# unaffected and a new disk of the normal domain attaches. When the domain
# is destroyed every map of its grants is released: dom0's live maps are
# exactly the other domains' again, and at the end dom0's baseline.
. /pvio/lib.sh

DOMS=/sys/kernel/debug/pvio/domains
QPARAM=/sys/module/pvio_hypervisor/parameters/max_maps_per_domain
# Two 1 MiB requests' data maps (2 x 256): a third in flight at once is
# refused. The quota was 3000 until the grant map cost was cut (chunked
# maps, blkfront's IRQ thread): since then the three disks' load keeps
# at most about 700 maps live (sampled every 0.2 s), never near 3000.
QUOTA=512
XVDA=51712
XVDB=51728
XVDC=51744
XVDD=51760
XVDE=51776

verify() {	# DEV
	fio --name=v --filename="$1" --direct=1 --ioengine=libaio --rw=randwrite \
	    --bs=16k --iodepth=16 --size=4M --verify=crc32c --verify_fatal=1 \
	    --do_verify=1 --allow_file_create=0 >/tmp/fio.out 2>&1
}
attach() {	# DOM BACKING VDEV
	pvctl block-attach "$1" "$2" "$3" && wait_for 10 test -b /dev/"$3"
}
# granted DOMID: live maps of DOMID's grants (pvio/domains' 14th column);
# granted_peak DOMID: the most of them at once (the hypervisor's
# high-water mark, its 15th)
granted_peak() { awk -v d="$1" '$1 == d && NF >= 15 { print $15 }' $DOMS; }
granted() { awk -v d="$1" '$1 == d && NF >= 14 { print $14 }' $DOMS; }
live0() { dom0_res | awk '{ print $4 }'; }

t_load brd rd_nr=4 rd_size=32768
wait_for 5 pvctl store ls /local/domain/0
res_snapshot
echo "# dom0 live grant maps at the start: $(live0)"
q0=$(cat $QPARAM)
[ "$q0" = 32768 ] && t_ok "max_maps_per_domain defaults to 32768" ||
	t_fail "max_maps_per_domain defaults to 32768" "$q0"
echo $QUOTA >$QPARAM

ND=$(pvctl create normal)
HD=$(pvctl create hostile)
attach $ND /dev/ram0 xvda && attach $HD /dev/ram1 xvdb && attach $HD /dev/ram2 xvdc &&
	attach $HD /dev/ram3 xvdd &&
	t_ok "xvda (domain $ND), xvdb xvdc xvdd (domain $HD) attached" ||
	{ t_fail "attach four disks" "$(dmesg | tail -5)"; t_done; exit; }
verify /dev/xvda && t_ok "xvda verifies" || t_fail "xvda verifies" "$(tail -3 /tmp/fio.out)"

# ---- the hostile domain's three disks under 1 MiB load ------------------
# The load runs until the normal domain's checks beside it are done and
# it is killed: its runtime only bounds a scenario that has gone wrong
# (600 s ran out before the checks on a slow CI host, whose console was
# busy with the refused requests' messages). It is on once the
# hypervisor's high-water mark of the domain's live maps has climbed by
# one 1 MiB request's 256: the live count itself stays that high only for
# moments, and polling it took 280 s to catch one. The live maps are also
# sampled until the load stops, and must reach the quota: else the domain
# was never pushed to it and the assertions on the refusal below prove
# nothing.
p0=$(granted_peak $HD)
hpids=
for d in xvdb xvdc xvdd; do
	fio --name=h$d --filename=/dev/$d --direct=1 --ioengine=libaio --rw=randread \
	    --bs=1M --iodepth=32 --time_based --runtime=3600 --continue_on_error=all \
	    --allow_file_create=0 >/tmp/h$d.out 2>&1 &
	hpids="$hpids $!"
done
h_alive() { for p in $hpids; do kill -0 $p 2>/dev/null && return 0; done; return 1; }
# (a function: wait_for's arguments are expanded once, by the caller)
h_loaded() { [ "$(granted_peak $HD)" -gt $((${p0:-0} + 256)) ]; }
if wait_for 120 h_loaded; then
	echo "# domain $HD's load is on: peak $(granted_peak $HD) live maps of its grants (from $p0)"
else
	echo "# domain $HD's live maps never climbed: peak $(granted_peak $HD) (from $p0)"
fi
rm -f /tmp/peak
(peak=0
while h_alive; do
	g=$(granted $HD); [ "${g:-0}" -gt $peak ] && peak=$g
	echo $peak >/tmp/peak
	sleep 0.2
done) &
sampler=$!
ok=1; r=0
while [ $r -lt 3 ]; do
	verify /dev/xvda || { ok=0; break; }
	r=$((r + 1))
done
[ $ok = 1 ] && t_ok "the normal domain's fio verify runs unaffected (3 runs beside the load)" ||
	t_fail "the normal domain's fio verify runs unaffected" "$(tail -3 /tmp/fio.out)"
dd if=/dev/zero of=/tmp/new.img bs=1M count=16 2>/dev/null
attach $ND /tmp/new.img xvde && verify /dev/xvde &&
	t_ok "a new disk of the normal domain attaches and verifies meanwhile" ||
	t_fail "a new disk of the normal domain attaches and verifies meanwhile" "$(dmesg | tail -5)"
g=$(granted $HD)
h_alive && t_ok "the hostile load ran through the normal domain's checks" ||
	t_fail "the hostile load ran through the normal domain's checks" "$(tail -3 /tmp/hxvdb.out)"
echo "# live maps of domain $HD's grants under load: $g (quota $QUOTA); dom0 live maps $(live0)"
[ "${g:-0}" -le $QUOTA ] && t_ok "domain $HD's live maps within the quota ($g <= $QUOTA)" ||
	t_fail "domain $HD's live maps within the quota" "$g > $QUOTA"
kill $hpids 2>/dev/null
wait $sampler
wait
# The hypervisor's high-water mark is exact; the 0.2 s samples only
# corroborate it (they can miss a short peak).
peak=$(granted_peak $HD)
echo "# peak of domain $HD's live maps while loaded: ${peak:-?} (sampled every 0.2 s: $(cat /tmp/peak 2>/dev/null || echo 0))"
[ "${peak:-$((QUOTA + 1))}" -le $QUOTA ] &&
	t_ok "domain $HD's live maps never pass the quota (peak $peak)" ||
	t_fail "domain $HD's live maps never pass the quota" "peak ${peak:-none}"
[ "${peak:-0}" -eq $QUOTA ] &&
	t_ok "the load pushed domain $HD to its quota (peak $peak = $QUOTA)" ||
	t_fail "the load pushed domain $HD to its quota" "peak ${peak:-none} < $QUOTA"

refused=0; errs=0
for v in $XVDB $XVDC $XVDD; do
	refused=$((refused + $(bstat $HD $v map_refused)))
	errs=$((errs + $(bstat $HD $v err_req)))
done
echo "# domain $HD: map_refused $refused err_req $errs pgrants $(bstat $HD $XVDB pgrants) $(bstat $HD $XVDC pgrants) $(bstat $HD $XVDD pgrants) purged $(bstat $HD $XVDB pgrants_purged)"
[ $refused -gt 0 ] && [ $errs -gt 0 ] &&
	t_ok "domain $HD over its quota: its maps refused, its requests answered with errors" ||
	t_fail "domain $HD over its quota: its maps refused, its requests answered with errors" "refused $refused err_req $errs"
e=$(for v in $XVDB $XVDC $XVDD; do pvctl store read /local/domain/0/backend/vbd/$HD/$v/error 2>/dev/null; done | head -1)
echo "# error node: $e"
case "$e" in 28\ *quota*) t_ok "the store error node says why" ;;
	*) t_fail "the store error node says why" "$e" ;; esac
[ "$(bstat $ND $XVDA map_refused)" = 0 ] && [ "$(bstat $ND $XVDA err_req)" = 0 ] &&
	[ "$(bstat $ND $XVDE err_req)" = 0 ] &&
	t_ok "the normal domain saw no refused map and no error" ||
	t_fail "the normal domain saw no refused map and no error" \
		"map_refused $(bstat $ND $XVDA map_refused) err_req $(bstat $ND $XVDA err_req)"
pb=0
nr=0	# rings: one per queue of each vbd
for v in $XVDB $XVDC $XVDD; do
	pb=$((pb + $(bstat $HD $v pgrants)))
	q=$(pvctl store read /local/domain/$HD/device/vbd/$v/multi-queue-num-queues 2>/dev/null || echo 1)
	nr=$((nr + q))
done
[ $pb -le $((nr * 1056)) ] && t_ok "persistent grants capped at 1056 per ring ($pb on $nr rings)" ||
	t_fail "persistent grants capped at 1056 per ring" "$pb on $nr rings"

# ---- after the load, the hostile disks go on -----------------------------
wait_for 10 dd if=/dev/xvdb of=/dev/null bs=4k count=1 iflag=direct &&
	[ "$(bstat $HD $XVDB halted)" = 0 ] &&
	t_ok "the hostile domain's disk works again once under its quota" ||
	t_fail "the hostile domain's disk works again once under its quota"

# ---- destroy the hostile domain: every map of its grants released --------
t_check "destroy domain $HD" pvctl destroy hostile
# held_granted: dom0's live maps and the live maps of every domain's
# grants, from one read of pvio/domains (the normal domain's blkback may
# purge persistent grants between two reads)
held_granted() {
	awk '$1 == 0 && NF >= 14 { h = $13 }
	     NF >= 14 && $1 ~ /^[0-9]+$/ { s += $14 }
	     END { print h + 0, s + 0 }' $DOMS
}
maps_back() { held_granted | awk '{ exit $1 != $2 }'; }
wait_for 10 maps_back; back=$?
hg=$(held_granted)
echo "# after destroying $HD: dom0 holds ${hg% *} live maps, the live domains' grants ${hg#* }, dom0 live maps $(live0)"
[ $back = 0 ] &&
	t_ok "no map of the destroyed domain's grants left in dom0" ||
	t_fail "no map of the destroyed domain's grants left in dom0" "held ${hg% *} vs granted ${hg#* }"
verify /dev/xvda && t_ok "xvda still verifies" || t_fail "xvda still verifies" "$(tail -3 /tmp/fio.out)"

echo $q0 >$QPARAM
t_check "detach xvda" pvctl block-detach $ND xvda
t_check "detach xvde" pvctl block-detach $ND xvde
t_check "destroy the normal domain" pvctl destroy normal
echo "# dom0 live grant maps at the end: $(live0)"
t_res_back
t_irqs_back
if pvio_unload; then t_ok "unload every module"; else t_fail "unload every module"; fi
t_done
