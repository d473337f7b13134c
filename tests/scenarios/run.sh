# SPDX-License-Identifier: GPL-2.0
# pvio-uml: yes
# The main job (make run), in the stock kernel: the module load/unload
# check (load.sh: lsmod, the taint state, a clean unload), then the short
# measurement of bench.sh: fio 4k randread QD32 and 1M sequential read on
# /dev/xvda and on its backing device, iperf3 TCP through the vif and
# through a veth pair, then the same from a User-Mode Linux domU that
# insmods pvio-blkfront and pvio-netfront itself, after mke2fs and an fio
# verify on its /dev/xvda (scripts/run prints the table from the console;
# without a UML kernel its rows are n/a with the reason).
. /pvio/lib.sh
sh /pvio/scenarios/load.sh
rc=$?
PVIO_BENCH_MODE=run sh /pvio/scenarios/bench.sh || rc=1
exit $rc
