# SPDX-License-Identifier: GPL-2.0
# pvio-check: test
# A domain that is a process of dom0 (/dev/pvio-hv, the hypervisor side of
# a User-Mode Linux domU; docs/uml-domu.md), without UML: pvio-hvdom
# (tests/hvdom) plays such domains with memfds as their memory and checks
# creation, memory registration, hypercalls, grant copy and map between
# two of them, events with SIGIO upcalls, multicall, the store ring mapped
# by dom0 through the domain's file, every bad input, and the domain's end
# however its process ends (kill -9 included). Its own KTAP lines are
# passed on. The test kernel's KASAN, lockdep and kmemleak watch dom0.
. /pvio/lib.sh

if pvio_load; then
	t_ok "load the pvio modules"
else
	t_fail "load the pvio modules"
	pvio_unload; t_done; exit
fi
[ -c /dev/pvio-hv ] && t_ok "/dev/pvio-hv exists" || t_fail "/dev/pvio-hv exists"

# pvio-hvdom's results, renumbered into this scenario's.
out=/tmp/hvdom.out
pvio-hvdom >$out 2>&1
rc=$?
while IFS= read -r line; do
	case "$line" in
	"ok "*" - "*) t_ok "hvdom: ${line#* - }" ;;
	"not ok "*" - "*) t_fail "hvdom: ${line#* - }" ;;
	"1.."*) ;;
	*) echo "$line" ;;
	esac
done <$out
[ $rc = 0 ] && t_ok "pvio-hvdom exited 0" || t_fail "pvio-hvdom exited 0" "exit $rc"

# dom0 and its in-kernel domUs were not disturbed: only dom0 is left.
n=$(pvctl list 2>/dev/null | grep -c '^ *[0-9]')
[ "$n" = 1 ] && t_ok "only dom0 is left" || t_fail "only dom0 is left" "$(pvctl list 2>&1)"
t_check "unload the pvio modules" pvio_unload
dmesg | grep -q 'domains still referenced at unload' &&
	t_fail "no domain referenced at unload" ||
	t_ok "no domain referenced at unload"
t_done
