# SPDX-License-Identifier: GPL-2.0
# pvio-check: test
# pvio-nic: tap
# pvio-timeout: 900
# Guest TX zero-copy out to the wire (issue #15 item 1), as Xen's dom0
# is set up: the vif bridged with a NIC. The NIC is a virtio-net device
# on a tap of the machine running QEMU (tools/vm "# pvio-nic: tap"),
# with scatter-gather, checksum offload and TSO, as a real NIC has; the
# receiver is an iperf3 server on that machine. A TCP stream from the
# domU crosses netback (mapped fragments), dom0's bridge and the NIC's
# driver without a copy: every mapped packet's zerocopy completion
# reports success (tx_zerocopy_done grows with tx_zerocopy), none was
# copied by the stack (tx_zerocopy_copied stays 0), nothing waited for
# the drain (tx_zerocopy_timeout 0), and the NIC sent at least the bytes
# the server received. Then the other way (iperf3 -R: the NIC to the domU,
# grant-copied by netback as Xen's guest RX is), detach, unload. A
# machine that cannot make a tap skips it with the reason.
. /pvio/lib.sh

DOM=netnic1
MAC=00:16:3e:00:98:01

vstat() { ethtool -S $VIF | awk -v k="guest_$1:" '$1 == k { print $2 }'; }
nic_tx_bytes() { cat /sys/class/net/$NIC/statistics/tx_bytes; }
# received JSON: the bytes the machine's iperf3 server received
# (end.sum_received of the client's JSON).
received() { awk '/"sum_received"/ { s = 1 } s && /"bytes"/ { gsub(/[^0-9]/, ""); print; exit }' "$1"; }
# feature NAME: NIC's ethtool -k state of NAME ("on" or "off").
feature() { ethtool -k $NIC | awk -v k="$1:" '$1 == k { print $2 }'; }

# A machine that cannot make a tap (no /dev/net/tun, no CAP_NET_ADMIN)
# skips the scenario with the reason, as uml.sh does without UML.
if [ -n "${PVIO_NIC_WHY:-}" ]; then
	t_ok "a NIC on a tap (tools/vm '# pvio-nic: tap') # SKIP $PVIO_NIC_WHY"
	t_done; exit
fi
HOST=$PVIO_NIC_HOST
BE_IP=$PVIO_NIC_PREFIX.2
FE_IP=$PVIO_NIC_PREFIX.3

t_load bridge
kmod_load virtio_pci >/dev/null 2>&1; kmod_load virtio_net >/dev/null 2>&1
NIC=
wait_for 20 by_mac $PVIO_NIC_MAC && NIC=$(by_mac $PVIO_NIC_MAC)
if [ -n "$NIC" ]; then
	t_ok "the virtio-net NIC $NIC ($PVIO_NIC_MAC) is there"
else
	t_fail "the virtio-net NIC ($PVIO_NIC_MAC)" "$(ls /sys/class/net)"
	t_done; exit
fi
f="sg $(feature scatter-gather) csum $(feature tx-checksumming) tso $(feature tcp-segmentation-offload)"
case "$f" in
"sg on csum on tso on") t_ok "$NIC offers what a real NIC does: $f" ;;
*) t_fail "$NIC offers scatter-gather, checksum offload and TSO" "$f" ;;
esac

t_create $DOM
t_net_attach $domid mac=$MAC
net_fe_up
br_up $VIF $NIC
wait_for 30 ns ping -c 1 -W 1 $HOST >/dev/null
t_check "ping domU -> the machine running QEMU, through dom0's bridge and $NIC" \
	ns ping -c 3 -W 5 -s 1400 $HOST
ethtool -S $VIF | grep -q guest_tx_zerocopy_copied &&
	t_ok "$VIF counts zerocopy completions (ethtool -S)" ||
	t_fail "$VIF counts zerocopy completions (ethtool -S)" "$(ethtool -S $VIF | head -n 20)"

# The domU's TCP stream out of the NIC.
z0=$(vstat tx_zerocopy); d0=$(vstat tx_zerocopy_done)
c0=$(vstat tx_zerocopy_copied); w0=$(vstat tx_zerocopy_timeout)
n0=$(nic_tx_bytes)
if ns iperf3 -c $HOST -t 5 -J >/tmp/tx.json 2>&1; then
	b=$(received /tmp/tx.json)
	t_ok "iperf3 TCP domU -> $HOST through $NIC: $((b / 1048576)) MiB"
else
	b=0
	t_fail "iperf3 TCP domU -> $HOST through $NIC" "$(tail -n 5 /tmp/tx.json)"
fi
# Completions come when the NIC's driver frees what it sent.
wait_for 10 sh -c "[ \$(ethtool -S $VIF | awk '\$1 == \"guest_tx_zerocopy_done:\" { print \$2 }') \
	-ge $((d0 + $(vstat tx_zerocopy) - z0)) ]"
z1=$(vstat tx_zerocopy); d1=$(vstat tx_zerocopy_done)
c1=$(vstat tx_zerocopy_copied); w1=$(vstat tx_zerocopy_timeout)
n1=$(nic_tx_bytes)
echo "# tx_zerocopy +$((z1 - z0)) tx_zerocopy_done +$((d1 - d0)) tx_zerocopy_copied +$((c1 - c0)) tx_zerocopy_timeout +$((w1 - w0)); $NIC tx_bytes +$((n1 - n0)), the server received $b"
# A mapped packet carries at most 64 KiB (GSO): the stream went out mapped
# only if the mapped packets can hold at least 90% of what was received,
# whatever rate this machine managed.
need=$((b * 9 / 10 / 65536))
[ "$b" -ge 16777216 ] && [ $((z1 - z0)) -ge "$need" ] &&
	t_ok "the stream's packets were mapped, not copied: tx_zerocopy +$((z1 - z0)) (>= $need for $((b / 1048576)) MiB)" ||
	t_fail "the stream's packets mapped (tx_zerocopy >= 90% of the stream in 64 KiB packets, stream >= 16 MiB)" \
		"+$((z1 - z0)) for $b bytes (need $need)"
[ $((d1 - d0)) = $((z1 - z0)) ] &&
	t_ok "every mapped packet completed as sent from its own pages: tx_zerocopy_done +$((d1 - d0))" ||
	t_fail "tx_zerocopy_done grew as tx_zerocopy" "+$((d1 - d0)) for +$((z1 - z0))"
[ $((c1 - c0)) = 0 ] && [ $((w1 - w0)) = 0 ] &&
	t_ok "no fragment copied by dom0's stack on the way: tx_zerocopy_copied +0, tx_zerocopy_timeout +0" ||
	t_fail "no copy on the way out" "tx_zerocopy_copied +$((c1 - c0)) tx_zerocopy_timeout +$((w1 - w0))"
[ "$b" -gt 0 ] && [ $((n1 - n0)) -ge "$b" ] &&
	t_ok "$NIC sent what the server received: tx_bytes +$((n1 - n0)) >= $b" ||
	t_fail "$NIC's tx_bytes grew by what the server received" "+$((n1 - n0)) for $b"

# The other way: the NIC to the domU.
t_check "iperf3 -R TCP $HOST -> domU through $NIC" ns iperf3 -c $HOST -t 3 -R

pvctl network-detach $domid $devid
wait_for 20 sh -c "! test -e /sys/class/net/$VIF" &&
	t_ok "network-detach: $VIF gone" || t_fail "network-detach: $VIF gone"
$IP netns del $DOM
$IP link set $NIC nomaster
$IP link del br0
t_check "pvctl destroy $DOM" pvctl destroy $domid
t_check "every pvio module unloads" pvio_unload
t_done
