# SPDX-License-Identifier: GPL-2.0
# Sourced by scripts/run and bench/run (bash, on the host): checks the
# user's settings before anything boots and turns them into tools/vm
# arguments in the array vm_args.
#
#   DISK=PATH        an image file or block device to use as the backing
#                    device instead of a ramdisk (passed read-only to the
#                    guest as a virtio disk, /dev/vda; snapshot=on, so the
#                    write workloads never change it); >= 64 MiB
#   DISK_MIB=N       ramdisk size in MiB (default 256)
#   IPERF_PORT=N     iperf3's port in the guest's namespaces (default 5201)
#   BENCH_REPS, BENCH_RUNTIME, BENCH_RAMP, NET_TIME: rounds and seconds
#   BENCH_PEERS      the block peers run beside native and pvio (default
#                    "dmlinear nvmetcp nbd"; "none": no peer)
#   BENCH_PARAMS     pvio module parameters set after loading, for
#                    experiments: "pvio_netfront.tx_orphan=1 ..." (each
#                    MODULE.PARAM=VALUE is written to
#                    /sys/module/MODULE/parameters/PARAM; the run's
#                    META line and the report name them)

vm_args=()

bench_die() { echo "${bench_me:-${0##*/}}: $*" >&2; exit 2; }

int_in() {	# NAME VALUE MIN MAX
	[[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ] ||
		bench_die "$1='$2' must be a whole number from $3 to $4"
}

bench_settings() {
	local size min=$((64 << 20))
	if [ -n "${DISK:-}" ]; then
		[ -e "$DISK" ] || bench_die "DISK=$DISK: no such file or block device"
		if [ -b "$DISK" ]; then
			size=$(blockdev --getsize64 "$DISK" 2>/dev/null) ||
				bench_die "DISK=$DISK: cannot read its size (need root?)"
		elif [ -f "$DISK" ]; then
			size=$(stat -L -c %s "$DISK")
		else
			bench_die "DISK=$DISK is neither a regular file nor a block device"
		fi
		[ -r "$DISK" ] || bench_die "DISK=$DISK is not readable"
		[ "$size" -ge "$min" ] ||
			bench_die "DISK=$DISK holds $((size >> 20)) MiB ($size bytes); the benchmark needs at least $((min >> 20)) MiB"
		case "$DISK" in *,*) bench_die "DISK=$DISK: a path with a comma cannot be handed to QEMU" ;; esac
		vm_args+=(--qemu-arg -drive --qemu-arg "file=$DISK,if=virtio,format=raw,snapshot=on"
			  --env PVIO_DISK=/dev/vda)
		echo "${bench_me:-${0##*/}}: backing device: DISK=$DISK ($((size >> 20)) MiB, as /dev/vda in the guest, snapshot=on: never written)"
	fi
	if [ -n "${DISK_MIB:-}" ]; then
		int_in DISK_MIB "$DISK_MIB" 64 1024
		vm_args+=(--env "DISK_MIB=$DISK_MIB")
	fi
	if [ -n "${IPERF_PORT:-}" ]; then
		int_in IPERF_PORT "$IPERF_PORT" 1 65535
		vm_args+=(--env "IPERF_PORT=$IPERF_PORT")
	fi
	[ -z "${BENCH_REPS:-}" ] || { int_in BENCH_REPS "$BENCH_REPS" 1 100; vm_args+=(--env "BENCH_REPS=$BENCH_REPS"); }
	[ -z "${BENCH_RUNTIME:-}" ] || { int_in BENCH_RUNTIME "$BENCH_RUNTIME" 2 600; vm_args+=(--env "BENCH_RUNTIME=$BENCH_RUNTIME"); }
	[ -z "${BENCH_RAMP:-}" ] || { int_in BENCH_RAMP "$BENCH_RAMP" 0 60; vm_args+=(--env "BENCH_RAMP=$BENCH_RAMP"); }
	[ -z "${NET_TIME:-}" ] || { int_in NET_TIME "$NET_TIME" 2 600; vm_args+=(--env "NET_TIME=$NET_TIME"); }
	[ -z "${BENCH_UDP_PPS:-}" ] || { int_in BENCH_UDP_PPS "$BENCH_UDP_PPS" 100 1000000; vm_args+=(--env "BENCH_UDP_PPS=$BENCH_UDP_PPS"); }
	# The UML domU's rows too: tools/vm ships its kernel (built on first use).
	if [ -n "${BENCH_UML:-}" ]; then
		vm_args+=(--env BENCH_UML=1)
		export PVIO_VM_UML=yes
	fi
	[ -z "${BENCH_BLK:-}" ] || vm_args+=(--env "BENCH_BLK=$BENCH_BLK")
	[ -z "${BENCH_NET:-}" ] || vm_args+=(--env "BENCH_NET=$BENCH_NET")
	[ -z "${BENCH_PEERS:-}" ] || vm_args+=(--env "BENCH_PEERS=$BENCH_PEERS")
	if [ -n "${BENCH_PARAMS:-}" ]; then
		local p
		for p in $BENCH_PARAMS; do
			[[ "$p" =~ ^pvio_[a-z0-9_]+\.[a-z0-9_]+=[A-Za-z0-9_,.-]+$ ]] ||
				bench_die "BENCH_PARAMS: '$p' is not pvio_MODULE.PARAM=VALUE"
		done
		vm_args+=(--env "BENCH_PARAMS=$BENCH_PARAMS")
	fi
	# The ramdisks (the backing device and one per block peer) and the rest.
	vm_args+=(--mem $((2048 + 4 * ${DISK_MIB:-256})))
	[ -z "${PVIO_BENCH_FAULT:-}" ] || vm_args+=(--env "PVIO_BENCH_FAULT=$PVIO_BENCH_FAULT")
	if [ -n "${BENCH_PROFILE:-}" ]; then
		command -v perf >/dev/null || bench_die "BENCH_PROFILE needs perf on this machine: apt-get install linux-perf"
		case "$BENCH_PROFILE" in
		graph) vm_args+=(--env BENCH_PROFILE=graph) ;;
		*) vm_args+=(--env BENCH_PROFILE=1) ;;
		esac
		export VM_EXTRA_BINS="${VM_EXTRA_BINS:-} $(command -v perf)"
	fi
	return 0
}
