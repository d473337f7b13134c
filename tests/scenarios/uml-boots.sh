# SPDX-License-Identifier: GPL-2.0
# pvio-uml: yes
# pvio-timeout: 1500
# Not in make check: a hunt for the UML domU's rare stop at boot
# (docs/uml-domu.md, "Known limits"). Boots a UML domU UML_BOOTS times
# (default 20), each until its /init has loaded every module (the last,
# pvio-uml-loop, sends 10 events through dom0) and then insmod-ed
# pvio-bus (the second place the stop was seen, in make check's uml), and
# destroys it. A boot that does not get there in 90 s prints the UML
# processes' host state (uml_diag) and its console's tail, and the hunt
# stops there. UML_BOOTS_LOAD=N keeps N busy loops running in the VM
# meanwhile (the stop was seen more often on a loaded machine).
. /pvio/lib.sh

N=${UML_BOOTS:-20}
for _l in $(seq 1 "${UML_BOOTS_LOAD:-0}"); do
	sh -c 'while :; do :; done' &
done
if [ -e /pvio/uml/unavailable ]; then
	t_ok "UML domU kernel # SKIP $(cat /pvio/uml/unavailable)"; t_done; exit
fi
t_load
wait_for 5 pvctl store ls /local/domain/0
booted() { tr -d '\r' </tmp/ub.out 2>/dev/null | grep -q '^PVIO-UML-BUS-UP$'; }
i=1; ok=0
while [ $i -le $N ]; do
	rm -f /tmp/ub.out
	t0=$(date +%s)
	d=$(TMPDIR=/tmp pvctl create --kernel uml ub$i --mem 256 --console /tmp/ub.out \
		--run 'insmod /pvio/extra/pvio-bus.ko && echo PVIO-UML-BUS-UP; sleep 900' 2>/tmp/ub.err)
	read -r upid _m </run/pvio/ub$i.pid 2>/dev/null
	if [ -z "$d" ] || ! wait_for 90 booted; then
		echo "# boot $i: not up after $(($(date +%s) - t0)) s (domid '$d')"
		uml_diag "$upid"
		tr -d '\r' </tmp/ub.out 2>/dev/null | tail -n 8 | sed 's/^/# uml: /'
		pvctl destroy ub$i >/dev/null 2>&1
		break
	fi
	echo "# boot $i: up in $(($(date +%s) - t0)) s"
	pvctl destroy ub$i >/dev/null 2>&1
	ok=$((ok + 1))
	i=$((i + 1))
done
[ $ok = $N ] && t_ok "$N UML boots, each up to its last module" ||
	t_fail "$N UML boots, each up to its last module" "boot $i stopped"
jobs -p | xargs -r kill 2>/dev/null
t_done
