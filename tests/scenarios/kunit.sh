# SPDX-License-Identifier: GPL-2.0
# Run every KUnit test module of the project, each with only the modules it
# depends on loaded (its suites run at load), and print every suite's KTAP
# from debugfs as one KTAP document between PVIO-KTAP-BEGIN and
# PVIO-KTAP-END for kunit.py parse.
. /pvio/lib.sh

d=/sys/kernel/debug/kunit

# Every slab cache but proc_dir_entry may fail (failslab's cache filter,
# marked at boot): /proc/irq/<irq>/ entries that failed to be created are
# skipped by register_irq_proc() but still removed by
# unregister_irq_proc(), whose remove_proc_entry() WARNs about them, a
# kernel report about the kernel's own bookkeeping, not about pvio.
# pvio-append: slub_debug=A;-,proc_dir_entry

# Arm failslab and fail_page_alloc for the suites that inject allocation
# failures (pvio_hv_faults): task-filter mode, so only a thread that
# sets its make_it_fail sees them; 5% of its allocations, sleeping ones
# included, order 0 up, quietly (a stack dump per failure floods the
# console).
for f in failslab fail_page_alloc; do
	fa=/sys/kernel/debug/$f
	[ -d $fa ] || continue
	echo Y >$fa/task-filter
	echo 5 >$fa/probability
	echo 1 >$fa/interval
	echo -1 >$fa/times
	echo 0 >$fa/space
	echo 0 >$fa/verbose
	echo N >$fa/ignore-gfp-wait
done
[ -e /sys/kernel/debug/failslab/cache-filter ] &&
	echo Y >/sys/kernel/debug/failslab/cache-filter
[ -d /sys/kernel/debug/fail_page_alloc ] &&
	echo 0 >/sys/kernel/debug/fail_page_alloc/min-order
out=/tmp/ktap
mkdir -p $out
i=0
for t in $(pvio_modules all); do
	case "$t" in *-test) ;; *) continue ;; esac
	pvio_unload
	echo "# running $t"
	ok=1
	for m in $(cat /pvio/modules/deps/$t); do
		insmod /pvio/modules/$m.ko || { ok=0; break; }
	done
	if [ $ok = 0 ]; then
		t_fail "insmod $t and its dependencies"
		continue
	fi
	for s in $(ls $d 2>/dev/null); do
		i=$((i + 1))
		# Drop the per-file header; renumber the suite's own result line.
		sed -e '1,2d' -e '$s/^\(not ok\|ok\) 1 /\1 '$i' /' $d/$s/results >$out/$i
	done
done
[ "$i" -gt 0 ] || t_fail "KUnit suites ran" "no pvio-*-test module in the initramfs, or none registered a suite"
pvio_unload || t_fail "unload every module after the suites"
echo "PVIO-KTAP-BEGIN"
echo "KTAP version 1"
echo "1..$i"
n=0
while [ $n -lt $i ]; do
	n=$((n + 1))
	cat $out/$n
done
echo "PVIO-KTAP-END"
exit 0
