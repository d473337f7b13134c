# SPDX-License-Identifier: GPL-2.0
# pvio-check: stock test
# Load every pvio module, show what loaded and the taint state, unload them;
# the kernel log may gain nothing but the modules' own lines.
. /pvio/lib.sh

dmesg -c >/dev/null
mods=$(pvio_modules)
if [ -z "$mods" ]; then
	t_fail "there are pvio modules to load"
	t_done; exit
fi
if pvio_load; then t_ok "insmod $(echo $mods | tr '\n' ' ')"; else t_fail "insmod every module"; fi
echo "# loaded:"
lsmod | grep '^pvio' | sed 's/^/#   /'
echo "# taint: $(cat /proc/sys/kernel/tainted) (out-of-tree modules set O, unsigned ones E)"
if pvio_unload; then t_ok "rmmod every module"; else t_fail "rmmod every module"; fi
left=$(lsmod | grep -c '^pvio')
[ "$left" = 0 ] && t_ok "no pvio module left loaded" || t_fail "no pvio module left loaded" "$left left"
# The kernel's own notes about loading an out-of-tree, unsigned module are
# expected once, and so is TCG's slowness noticed by the timer code
# (hrtimer: interrupt took N ns); anything else is a report from the
# modules or the kernel.
other=$(dmesg | grep -v -E '^\[[ 0-9.]+\] pvio|loading out-of-tree module taints kernel|module verification failed: signature|hrtimer: interrupt took [0-9]+ ns' || true)
if [ -z "$other" ]; then
	t_ok "dmesg holds only the modules' own lines"
else
	t_fail "dmesg holds only the modules' own lines" "$other"
fi
echo "# dmesg:"; dmesg | sed 's/^/#   /'
t_done
