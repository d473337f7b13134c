# SPDX-License-Identifier: GPL-2.0
# Run every KUnit test module of the project, each with only the modules it
# depends on loaded (its suites run at load), and print every suite's KTAP
# from debugfs as one KTAP document between PVIO-KTAP-BEGIN and
# PVIO-KTAP-END for kunit.py parse.
. /pvio/lib.sh

d=/sys/kernel/debug/kunit
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
