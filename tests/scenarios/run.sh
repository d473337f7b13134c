# SPDX-License-Identifier: GPL-2.0
# The main job (make run), in the stock kernel: the module load/unload
# check (load.sh: lsmod, the taint state, a clean unload), then the short
# measurement of bench.sh: fio 4k randread QD32 and 1M sequential read on
# /dev/xvda and on its backing device, iperf3 TCP through the vif and
# through a veth pair (scripts/run prints the table from the console).
. /pvio/lib.sh
sh /pvio/scenarios/load.sh
rc=$?
PVIO_BENCH_MODE=run sh /pvio/scenarios/bench.sh || rc=1
exit $rc
