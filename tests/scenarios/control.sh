# SPDX-License-Identifier: GPL-2.0
# pvio-check: test stock
# The control plane end to end: pvctl creates a domain, attaches a
# "pviotest" device whose frontend (in the domU) and backend (in dom0)
# complete Xen's handshake to Connected, detaches it, destroys the domain;
# then nothing is left in the store, the grant tables or the port tables.
# Also: bad input gets one line and a non-zero exit, creating nothing.
. /pvio/lib.sh

if pvio_load && insmod /pvio/modules/pvio-testdev.ko 2>/dev/null ||
		[ -d /sys/module/pvio_testdev ]; then
	t_ok "load the pvio modules and pvio-testdev"
else
	t_fail "load the pvio modules and pvio-testdev"
	t_done; exit
fi
t_check "pvctl --help" pvctl --help
for c in create destroy list block-attach block-detach block-list \
	 network-attach network-detach network-list store top; do
	pvctl $c --help >/dev/null || { t_fail "pvctl $c --help"; continue; }
done
t_ok "every command has --help"

wait_for 5 pvctl store ls /local/domain/0
store0=$(pvctl store ls /)
res_snapshot
echo "# store before:"; echo "$store0" | sed 's/^/#   /'
echo "# dom0 resources before: $res0"

# Bad input: one line, non-zero, nothing created.
bad() {
	want=$1; shift
	out=$(pvctl "$@" 2>&1); rc=$?
	lines=$(echo "$out" | wc -l)
	if [ $rc = "$want" ] && [ "$lines" = 1 ]; then
		t_ok "pvctl $* -> exit $want, one line"
	else
		t_fail "pvctl $* -> exit $want, one line" "exit $rc: $out"
	fi
}
bad 3 destroy nosuchdom
bad 3 device-attach 77 pviotest 0
bad 2 create
bad 2 create 9bad
bad 2 create ok vcpus=0
bad 2 create ok colour=red
bad 2 frobnicate
bad 3 store read /no/such/path
bad 2 store read relative
bad 2 list --bogus
bad 2 block-attach 0 /dev/null xvda
[ "$(pvctl list | wc -l)" = 2 ] && t_ok "bad input created no domain" ||
	t_fail "bad input created no domain" "$(pvctl list)"

# Malformed xs_wire messages on /dev/pvio-store: an XS_ERROR reply naming
# the Xen errno, and the store goes on serving.
xs_raw() {	# xs_raw OCTAL-BYTES: one message, prints the reply's text
	exec 3<>/dev/pvio-store
	printf "$1" >&3 2>/dev/null
	dd bs=8192 count=1 <&3 2>/dev/null | tr -c 'A-Z0-9\n' ' '
	exec 3>&-
}
# XS_READ, req 7, payload "ab" without its NUL
r=$(xs_raw '\002\000\000\000\007\000\000\000\000\000\000\000\002\000\000\000ab')
case "$r" in *EINVAL*) t_ok "missing NUL -> XS_ERROR EINVAL" ;; *) t_fail "missing NUL -> XS_ERROR EINVAL" "$r" ;; esac
# XS_READ announcing 5000 bytes (> XENSTORE_PAYLOAD_MAX)
r=$(xs_raw '\002\000\000\000\010\000\000\000\000\000\000\000\210\023\000\000')
case "$r" in *E2BIG*) t_ok "oversized payload -> XS_ERROR E2BIG" ;; *) t_fail "oversized payload -> XS_ERROR E2BIG" "$r" ;; esac
# type 999
r=$(xs_raw '\347\003\000\000\011\000\000\000\000\000\000\000\000\000\000\000')
case "$r" in *EINVAL*) t_ok "unknown type -> XS_ERROR EINVAL" ;; *) t_fail "unknown type -> XS_ERROR EINVAL" "$r" ;; esac
t_check "the store still serves" pvctl store read /local/domain/0/name
t_check "pvctl store watch fires" sh -c "pvctl store watch /local/domain/0/name -n 1 | grep -qx /local/domain/0/name"

# A domain.
domid=$(pvctl create ctltest vcpus=2)
if [ -n "$domid" ]; then t_ok "pvctl create ctltest (domid $domid)"; else t_fail "pvctl create"; fi
pvctl list | sed 's/^/# /'
pvctl list | grep -q "^$domid  *ctltest  *running  *2 " && t_ok "pvctl list shows it" ||
	t_fail "pvctl list shows it" "$(pvctl list)"
bad 1 create ctltest
t_check "its store home exists" pvctl store read /local/domain/$domid/name
bad 3 device-detach ctltest pviotest 0
bad 3 block-detach ctltest xvda
bad 3 block-attach ctltest /no/such/file xvda
bad 2 block-attach ctltest /dev/null xvdq
bad 2 network-attach ctltest mac=01:00:00:00:00:00

# The handshake.
t_check "pvctl device-attach ctltest pviotest 0" pvctl device-attach ctltest pviotest 0
fe=/local/domain/$domid/device/pviotest/0
be=/local/domain/0/backend/pviotest/$domid/0
if wait_for 10 state_is $fe 4 && wait_for 10 state_is $be 4; then
	t_ok "frontend and backend Connected"
else
	t_fail "frontend and backend Connected" "fe $(pvctl store read $fe/state) be $(pvctl store read $be/state)"
fi
echo "# the handshake in the store:"
pvctl store ls /local/domain/$domid | sed 's/^/#   /'
pvctl store ls /local/domain/0/backend | sed 's/^/#   /'
t_check "ring-ref and event-channel published" pvctl store read $fe/ring-ref
pvctl device-list ctltest | sed 's/^/# /'
[ -e /sys/bus/pvio-frontend/devices/d$domid-pviotest-0 ] &&
	[ -e /sys/bus/pvio-backend/devices/pviotest-$domid-0 ] &&
	t_ok "both devices on their buses" || t_fail "both devices on their buses" "$(ls /sys/bus/pvio-*/devices/)"
grep pviotest /proc/interrupts | sed 's/^/# /'
[ "$(pvctl list | awk -v d=$domid '$1 == d { print $5 }')" = 1 ] &&
	t_ok "pvctl list counts the device" || t_fail "pvctl list counts the device"
pvctl top -b | sed 's/^/# /'

# Closing/Closed and a reconnect from Closed: the toolstack closes the
# backend, both ends reach Closed, the frontend starts over from
# Initialising and both are Connected again (new grant, new port).
ref1=$(pvctl store read $fe/ring-ref)
pvctl store write $be/state 5
if wait_for 10 state_is $fe 6 && wait_for 10 state_is $be 6; then
	t_ok "backend Closing -> both Closed"
else
	t_fail "backend Closing -> both Closed" "fe $(pvctl store read $fe/state) be $(pvctl store read $be/state)"
fi
pvctl store write $fe/state 1
if wait_for 10 state_is $be 4 && wait_for 10 state_is $fe 4; then
	t_ok "reconnect from Closed: both Connected again (ring-ref $ref1 -> $(pvctl store read $fe/ring-ref))"
else
	t_fail "reconnect from Closed: both Connected again" "fe $(pvctl store read $fe/state) be $(pvctl store read $be/state)"
fi

# Block and network nodes (no drivers yet: only the nodes).
dd if=/dev/zero of=/tmp/disk.img bs=1k count=64 2>/dev/null
t_check "block-attach a file" pvctl block-attach ctltest /tmp/disk.img xvda
t_check "block-list" sh -c "pvctl block-list ctltest | grep -q /tmp/disk.img"
bad 1 block-attach ctltest /tmp/disk.img xvda
t_check "block-detach" pvctl block-detach ctltest xvda
vif=$(pvctl network-attach ctltest mac=00:16:3e:00:00:01)
t_check "network-attach (devid $vif)" pvctl store read /local/domain/$domid/device/vif/$vif/mac
t_check "network-list" sh -c "pvctl network-list ctltest | grep -q 00:16:3e:00:00:01"
t_check "network-detach" pvctl network-detach ctltest $vif

# Detach: both sides go down, the devices go away.
t_check "pvctl device-detach ctltest pviotest 0" pvctl device-detach ctltest pviotest 0
gone() { [ ! -e /sys/bus/pvio-frontend/devices/d$domid-pviotest-0 ] &&
	 [ ! -e /sys/bus/pvio-backend/devices/pviotest-$domid-0 ]; }
wait_for 5 gone && t_ok "devices removed from both buses" ||
	t_fail "devices removed from both buses" "$(ls /sys/bus/pvio-*/devices/)"

# A hostile frontend: its ring-ref names a frame of dom0's. The backend's
# map is refused (the domain owns no such frame): that device is in an
# error state with the reason in its error node; the next device works.
echo 1 >/sys/module/pvio_testdev/parameters/hostile_ring
t_check "attach a device whose frontend grants dom0's frame" pvctl device-attach ctltest pviotest 2
hb=/local/domain/0/backend/pviotest/$domid/2
wait_for 10 state_is $hb 5 && err=$(pvctl store read $hb/error) &&
	t_ok "its backend refuses the ring (Closing, error: $err)" ||
	t_fail "its backend refuses the ring" "state $(pvctl store read $hb/state) error $(pvctl store read $hb/error 2>&1)"
echo 0 >/sys/module/pvio_testdev/parameters/hostile_ring
t_check "detach it" pvctl device-detach ctltest pviotest 2

# A second handshake, then destroy with the device attached.
t_check "attach again" pvctl device-attach ctltest pviotest 1
wait_for 10 state_is /local/domain/0/backend/pviotest/$domid/1 4 &&
	t_ok "Connected again" || t_fail "Connected again"
t_check "pvctl destroy ctltest" pvctl destroy ctltest
pvctl list | grep -q ctltest && t_fail "domain gone from pvctl list" || t_ok "domain gone from pvctl list"

# Nothing left.
same_store() { [ "$(pvctl store ls /)" = "$store0" ]; }
if wait_for 5 same_store; then t_ok "store back to what it was"; else
	t_fail "store back to what it was" "$(pvctl store ls / | diff - /dev/null)"
	pvctl store ls / | sed 's/^/#   /'
fi
if wait_for 5 same_res; then t_ok "dom0 ports and grant mappings back to what they were ($res0)"; else
	t_fail "dom0 ports and grant mappings back to what they were" "before: $res0 after: $(dom0_res)"
fi
[ "$(grep -c "^$domid " $PVIO_RES)" = 0 ] && t_ok "no port or grant table of the domain left" ||
	t_fail "no port or grant table of the domain left" "$(cat $PVIO_RES)"
t_irqs_back

rmmod pvio-testdev
if pvio_unload; then t_ok "unload every module"; else t_fail "unload every module"; fi
t_done
