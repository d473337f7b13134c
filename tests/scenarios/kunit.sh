# SPDX-License-Identifier: GPL-2.0
# Load the pvio modules, then each KUnit test module (its suites run at
# load), and print every suite's KTAP from debugfs as one KTAP document
# between PVIO-KTAP-BEGIN and PVIO-KTAP-END for kunit.py parse.
. /pvio/lib.sh

pvio_load || echo "# some pvio module failed to load"
for m in $(pvio_modules all); do
	case "$m" in *-test) ;; *) continue ;; esac
	echo "# running $m"
	insmod /pvio/modules/$m.ko || echo "# insmod $m failed"
done
d=/sys/kernel/debug/kunit
n=$(ls $d 2>/dev/null | wc -l)
echo "PVIO-KTAP-BEGIN"
echo "KTAP version 1"
echo "1..$n"
i=0
for s in $(ls $d 2>/dev/null); do
	i=$((i + 1))
	# Drop the per-file header; renumber the suite's own result line.
	sed -e '1,2d' -e '$s/^\(not ok\|ok\) 1 /\1 '$i' /' $d/$s/results
done
echo "PVIO-KTAP-END"
pvio_unload
exit 0
