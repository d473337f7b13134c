# SPDX-License-Identifier: GPL-2.0
# pvio-check: test
# netfront across a backend that goes away and comes back (issue #12):
# 1. pvio-netback reloaded (rmmod, insmod) under an iperf3 TCP run from
#    the domU: the frontend holds (Initialising), keeps eth<N> (same
#    ifindex, MAC, address), reconnects to the new backend; dom0's side of
#    the vif is configured again as a hotplug script does on vif creation;
#    iperf3 ends well with bytes flowing after the reload; then a reload
#    with no pause between rmmod and insmod.
# 2. The backend's store directory removed and re-created with the keys
#    pvctl network-attach wrote: the same, ping and TCP work after.
#    A new backend that finds the frontend still Connected (its state node
#    forged here) waits in Closed instead of taking over its rings.
# 3. A backend that does not come back within recovery_timeout (3 s
#    here): the frontend tears down and is Closed; then the vif is
#    detached, netback loaded again and the vif re-attached, which works.
# 4. Detached while held (netback unloaded): eth<N> goes at once.
# Then detach, destroy, dom0's resources as before, everything unloads.
. /pvio/lib.sh

DOM=netr1
FE_IP=10.97.0.2
BE_IP=10.97.0.1
MAC=00:16:3e:00:97:01
NB=/pvio/modules/pvio-netback.ko
TMO=/sys/module/pvio_netfront/parameters/recovery_timeout

carrier() { [ "$(ns cat /sys/class/net/$ETH/carrier 2>/dev/null)" = "$1" ]; }
connected() { state_is $FE 4 && state_is $BE 4; }
# vif_config: dom0's side of the vif, what a hotplug script does when
# netback creates it (here: address and link up).
vif_config() {
	$IP addr add $BE_IP/24 dev $VIF 2>/dev/null
	$IP link set $VIF up
}
# vif_back WHAT: the new vif exists, configured, both ends Connected,
# link up in the domU: one result.
vif_back() {
	if wait_for 30 test -e /sys/class/net/$VIF; then
		vif_config
		if wait_for 30 connected && wait_for 10 carrier 1; then
			t_ok "$1: $VIF back, both ends Connected, $ETH carrier on"
			return 0
		fi
	fi
	t_fail "$1: $VIF back and Connected" \
		"fe $(pvctl store read $FE/state) be $(pvctl store read $BE/state 2>&1); $(ls /sys/class/net)"
	return 1
}
# xs_raw TYPE ARG...: one store request as dom0 through /dev/pvio-store
# (struct xsd_sockmsg, then the NUL-terminated ARGs; pvctl store has no
# mkdir or set-perms): succeeds if the reply says OK.
xs_raw() {
	t=$1; shift
	len=0
	for a in "$@"; do len=$((len + ${#a} + 1)); done
	[ $len -lt 256 ] || return 1
	fmt="\\$(printf %03o "$t")\\000\\000\\000\\000\\000\\000\\000"
	fmt="$fmt\\000\\000\\000\\000\\$(printf %03o $len)\\000\\000\\000"
	for a in "$@"; do fmt="$fmt%s\\000"; done
	exec 5<>/dev/pvio-store
	# shellcheck disable=SC2059
	printf "$fmt" "$@" >&5
	r=$(dd bs=4096 count=1 <&5 2>/dev/null | tr -d '\000')
	exec 5>&-
	case "$r" in *OK) return 0 ;; *) return 1 ;; esac
}
XS_MKDIR=12
XS_SET_PERMS=14
# iperf3 text output: the bytes field of each interval line ("[  5]
# 3.00-4.00 sec 11.2 MBytes ...", not the sender/receiver summaries).
intervals() {
	awk '/ sec / && !/sender|receiver/ {
		for (i = 1; i < NF; i++) if ($i == "sec") { print $(i + 1); break } }' "$1"
}

t_load
[ -w $TMO ] && [ "$(cat $TMO)" = 60 ] && t_ok "netfront's recovery_timeout is 60 s by default" ||
	t_fail "netfront's recovery_timeout parameter" "$(cat $TMO 2>&1)"
res_snapshot
t_create $DOM
t_net_attach $domid mac=$MAC
net_fe_up
vif_config
if wait_for 20 connected && wait_for 20 carrier 1; then
	t_ok "both ends Connected, link up"
else
	t_fail "both ends Connected, link up" "$(pvctl network-list $domid)"
fi
t_check "ping domU -> dom0" ns ping -c 3 -W 5 $BE_IP
IFX=$(ns cat /sys/class/net/$ETH/ifindex)

# ---- 1. netback reloaded under iperf3 (domU -> dom0) --------------------
iperf3 -s -D -1 -p 5203 >/dev/null 2>&1; sleep 0.5
ns iperf3 -c $BE_IP -p 5203 -t 25 -i 1 >/tmp/ip3.out 2>&1 & ip3=$!
sleep 6
t_check "rmmod pvio-netback while iperf3 runs" rmmod pvio-netback
if wait_for 15 state_is $FE 1; then
	t_ok "frontend held in Initialising after its backend went"
else
	t_fail "frontend held in Initialising" "fe state $(pvctl store read $FE/state)"
fi
ns test -e /sys/class/net/$ETH && carrier 0 && t_ok "$ETH kept, carrier off while held" ||
	t_fail "$ETH kept, carrier off while held" "$(ns $IP -br link)"
t_check "insmod pvio-netback" insmod $NB
vif_back "netback reloaded"
wait $ip3; rc=$?
grep -E 'sec|error' /tmp/ip3.out | sed 's/^/# /'
[ $rc = 0 ] && t_ok "iperf3 TCP across the reload exits 0 (connection kept)" ||
	t_fail "iperf3 TCP across the reload exits 0" "$(tail -n 3 /tmp/ip3.out)"
n=$(intervals /tmp/ip3.out | wc -l)
zero=$(intervals /tmp/ip3.out | tail -n 5 | grep -c '^0\.*0*$')
[ "$n" -ge 20 ] && [ "$zero" = 0 ] && t_ok "bytes flowing after the reload ($n intervals, the last 5 non-empty)" ||
	t_fail "bytes flowing after the reload" "$n intervals; last: $(intervals /tmp/ip3.out | tail -n 5 | paste -sd' ')"
[ "$(ns cat /sys/class/net/$ETH/ifindex)" = "$IFX" ] &&
	[ "$(ns cat /sys/class/net/$ETH/address)" = "$MAC" ] &&
	ns $IP -br addr show dev "$ETH" | grep -q "$FE_IP/24" &&
	t_ok "$ETH kept its ifindex $IFX, MAC and address" ||
	t_fail "$ETH kept its ifindex, MAC and address" "$(ns $IP -br addr)"
t_check "ping dom0 -> domU after the reload" ping -c 3 -W 5 $FE_IP
[ "$(fe_stat reconnects)" = 1 ] && [ "$(fe_stat backend_restarts)" = 1 ] &&
	t_ok "ethtool -S $ETH: backend_restarts 1, reconnects 1" ||
	t_fail "ethtool -S $ETH reconnects" "$(ns ethtool -S $ETH | grep -E 'restart|reconn|recovery')"

# ---- 1b. reloaded at once: the new backend may find the frontend still
# Connected to the old one; it then waits in Closed for the frontend to
# come back through Initialising instead of taking over its rings.
if rmmod pvio-netback && insmod $NB; then t_ok "rmmod and insmod pvio-netback back to back"; else t_fail "rmmod and insmod pvio-netback"; fi
vif_back "netback reloaded at once"
t_check "ping domU -> dom0 after the quick reload" ns ping -c 3 -W 5 $BE_IP
dmesg | grep -q 'with a previous backend' && echo "# the new backend found the frontend still connected"

# ---- 2. the backend directory removed and re-created ---------------------
keys="frontend frontend-id online handle mac"
ok=1
for k in $keys; do
	v=$(pvctl store read $BE/$k) || ok=0
	eval "val_$(echo $k | tr - _)=\$v"
done
[ $ok = 1 ] && t_ok "read the backend's keys ($keys)" || t_fail "read the backend's keys"
t_check "pvctl store rm $BE" pvctl store rm $BE
if wait_for 15 sh -c "! test -e /sys/class/net/$VIF" && wait_for 15 state_is $FE 1; then
	t_ok "$VIF gone, frontend held in Initialising"
else
	t_fail "$VIF gone, frontend held" "fe state $(pvctl store read $FE/state)"
fi
ns test -e /sys/class/net/$ETH && t_ok "$ETH kept while the directory is gone" || t_fail "$ETH kept"
# As the toolstack: the directory readable by the domain, the keys, the
# state (Initialising) last, which makes the bus probe it.
ok=1
xs_raw $XS_MKDIR $BE && xs_raw $XS_SET_PERMS $BE n0 r$domid || ok=0
for k in $keys; do
	eval "v=\$val_$(echo $k | tr - _)"
	pvctl store write $BE/$k "$v" || ok=0
done
pvctl store write $BE/state 1 || ok=0
[ $ok = 1 ] && t_ok "re-create $BE (n0 r$domid, the same keys, state 1)" ||
	t_fail "re-create $BE"
vif_back "backend directory re-created"
t_check "ping domU -> dom0 after the re-creation" ns ping -c 3 -W 5 $BE_IP
iperf3 -s -D -1 -p 5203 >/dev/null 2>&1; sleep 0.5
out=$(ns iperf3 -c $BE_IP -p 5203 -t 3 2>&1) && t_ok "iperf3 TCP after the re-creation" ||
	t_fail "iperf3 TCP after the re-creation" "$(echo "$out" | tail -n 3)"
[ "$(ns cat /sys/class/net/$ETH/ifindex)" = "$IFX" ] && [ "$(fe_stat reconnects)" = 3 ] &&
	t_ok "$ETH kept its ifindex, reconnects 3" ||
	t_fail "$ETH kept its ifindex, reconnects 3" "ifindex $(ns cat /sys/class/net/$ETH/ifindex) reconnects $(fe_stat reconnects)"

# ---- 2b. a backend probed while the frontend still reads Connected (as if
# it had not seen the old one go yet): netback does not take over its
# rings but stays Closed until the frontend is back in Initialising.
t_check "rmmod pvio-netback" rmmod pvio-netback
wait_for 15 state_is $FE 1 && t_ok "frontend held" || t_fail "frontend held" "fe state $(pvctl store read $FE/state)"
pvctl store write $FE/state 4
t_check "insmod pvio-netback, the frontend's state node reading Connected" insmod $NB
wait_for 15 test -e /sys/class/net/$VIF && sleep 1
state_is $BE 6 && dmesg | grep -q 'with a previous backend' &&
	t_ok "the new backend stays Closed" || t_fail "the new backend stays Closed" "be state $(pvctl store read $BE/state)"
pvctl store write $FE/state 1
vif_back "frontend state Initialising again"
t_check "ping domU -> dom0 after that" ns ping -c 3 -W 5 $BE_IP

# ---- 3. a backend that does not come back --------------------------------
echo 3 >$TMO
t_check "rmmod pvio-netback (timeout 3 s)" rmmod pvio-netback
wait_for 15 state_is $FE 1 && t_ok "frontend held" || t_fail "frontend held" "fe state $(pvctl store read $FE/state)"
if wait_for 15 state_is $FE 6; then
	t_ok "frontend Closed after the timeout"
else
	t_fail "frontend Closed after the timeout" "fe state $(pvctl store read $FE/state)"
fi
carrier 0 && [ "$(fe_stat recovery_timeouts)" = 1 ] &&
	t_ok "$ETH torn down: carrier off, recovery_timeouts 1" ||
	t_fail "$ETH torn down" "$(ns ethtool -S $ETH | grep -E 'restart|reconn|recovery')"
echo 60 >$TMO
# Detached before netback is back: a backend probed now would find the
# frontend Closed and close itself, and a detach racing with that could
# meet the frontend re-connecting.
t_check "pvctl network-detach $domid 0" pvctl network-detach $domid 0
wait_for 15 sh -c "! $IP netns exec $DOM test -e /sys/class/net/$ETH" && wait_for 15 sh -c "! test -e /sys/class/net/$VIF" &&
	t_ok "$ETH and $VIF gone" || t_fail "$ETH and $VIF gone" "$(ls /sys/class/net; ns ls /sys/class/net)"
t_check "insmod pvio-netback" insmod $NB
devid=$(pvctl network-attach $domid mac=$MAC)
if [ "$devid" = 0 ] && wait_for 20 test -e /sys/class/net/$VIF && wait_for 20 by_mac $MAC; then
	ETH=$(by_mac $MAC)
	$IP link set "$ETH" netns $DOM
	ns $IP addr add $FE_IP/24 dev "$ETH"
	ns $IP link set "$ETH" up
	vif_config
	wait_for 20 connected && wait_for 20 carrier 1 &&
		t_ok "re-attached: $ETH and $VIF, Connected" || t_fail "re-attached and Connected"
	t_check "ping domU -> dom0 after the re-attach" ns ping -c 3 -W 5 $BE_IP
else
	t_fail "re-attach" "devid '$devid'; $(ls /sys/class/net)"
fi

# ---- 4. detached while held: torn down at once, not after the timeout ---
t_check "rmmod pvio-netback (timeout 60 s)" rmmod pvio-netback
wait_for 15 state_is $FE 1 && t_ok "frontend held" || t_fail "frontend held" "fe state $(pvctl store read $FE/state)"
t_check "pvctl network-detach $domid 0 while held" pvctl network-detach $domid 0
wait_for 10 sh -c "! $IP netns exec $DOM test -e /sys/class/net/$ETH" &&
	t_ok "$ETH gone at once (online 0: no hold)" || t_fail "$ETH gone at once" "$(ns ls /sys/class/net)"
t_check "insmod pvio-netback" insmod $NB
$IP netns del $DOM
t_check "pvctl destroy $DOM" pvctl destroy $domid
t_res_back
dmesg | grep -E 'WARNING:|BUG:|Oops|still held by the stack' | sed 's/^/# /'
dmesg | grep -qE 'WARNING:|BUG:|Oops' && t_fail "no kernel report" || t_ok "no kernel report"
t_check "every pvio module unloads" pvio_unload
t_done
