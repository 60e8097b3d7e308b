#!/usr/bin/env bash
# Records step 10's fixtures from real tools, as scripts/capture-fixtures.sh
# records the others:
#
#   tests/fixtures/fragments/requests/NAME.pcap
#                                        the fragments the kernel cut ping's
#                                        (or a UDP socket's) datagram into,
#                                        on its way out of a tun of MTU 1500
#   tests/fixtures/fragments/kernel-replies/NAME-mtuN.pcap
#                                        every packet the Linux kernel sent
#                                        back, through an oracle tun of MTU N
#                                        (1500 and 576): its reply cut into
#                                        fragments its own way
#
#   tests/fixtures/fragments/kernel-replies/frag-first-only-timeout.pcap
#                                        the time exceeded (11/1) the kernel
#                                        sent when the first fragment of
#                                        frag-s4000 stayed alone for its
#                                        ipfrag_time (made 1 s)
#
#   scripts/capture-fragment-fixtures.sh     record them all again (as root)
#
# They live apart from the one-request, one-reply fixtures of
# scripts/capture-fixtures.sh, which tests replay and compare one by one.
# Everything happens inside a private network namespace that vanishes with
# the script.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${ICMP_STEPS_IN_NS:-}" ]; then
    exec unshare --net --pid --mount-proc --kill-child env ICMP_STEPS_IN_NS=1 "$0" "$@"
fi

# name and what sends it to 192.0.2.2 through tun0.
declare -A SEND=(
    [frag-s4000]="ping -c 1 -W 0.3 -s 4000 192.0.2.2"
    [frag-rr-s4000]="ping -c 1 -W 0.3 -R -s 4000 192.0.2.2"
    [frag-udp-3000]="python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(bytes(range(256))*11 + bytes(184), (\"192.0.2.2\", 9))'"
)
ORDER=(frag-s4000 frag-rr-s4000 frag-udp-3000)
MTUS=(1500 576)

requests=$root/tests/fixtures/fragments/requests
replies=$root/tests/fixtures/fragments/kernel-replies
work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

make -C "$root" -s bin/01-open-tun build/tools/kernel-oracle
ip link set lo up
sysctl -qw net.ipv4.ping_group_range="1 0"      # root's ping: a raw socket

# tun0 is the responder's side, held by step 01 (which answers nothing).
"$root/bin/01-open-tun" -i tun0 >/dev/null 2>&1 &
for _ in $(seq 100); do ip link show tun0 >/dev/null 2>&1 && break; sleep 0.05; done
ip addr add 192.0.2.1/24 dev tun0
ip link set tun0 mtu 1500 up
sleep 1

for name in "${ORDER[@]}"; do
    dumpcap -q -i tun0 -f "ip and dst host 192.0.2.2" -w "$work/$name.pcapng" 2>/dev/null &
    dumper=$!
    for _ in $(seq 100); do [ -s "$work/$name.pcapng" ] && break; sleep 0.05; done
    sleep 0.3
    bash -c "${SEND[$name]}" >/dev/null || true
    sleep 0.3
    kill -INT $dumper; wait $dumper || true
    editcap -F pcap "$work/$name.pcapng" "$requests/$name.pcap"
    count=$(tshark -r "$requests/$name.pcap" 2>/dev/null | grep -c '')
    [ "$count" -gt 1 ] || { echo "$name: expected fragments, captured $count packets" >&2; exit 1; }
done

# The oracle: a second tun whose own address the kernel answers for, once
# per MTU. No rate limit holds an error back.
sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=100000 net.ipv4.icmp_msgs_burst=10000
ip tuntap add mode tun name tun1
ip addr add 198.51.100.1/24 dev tun1
sysctl -qw net.ipv6.conf.tun1.disable_ipv6=1
for mtu in "${MTUS[@]}"; do
    ip link set tun1 mtu "$mtu" up
    for name in "${ORDER[@]}"; do
        "$root/build/tools/kernel-oracle" --every -i tun1 "$requests/$name.pcap" \
            "$replies/$name-mtu$mtu.pcap"
    done
done
# A first fragment alone, and what the kernel sends when its datagram is
# not whole in time: time exceeded, fragment reassembly (11/1). The
# kernel's timeout made 1 s (net.ipv4.ipfrag_time), the oracle waits 2.5.
editcap -F pcap -r "$requests/frag-s4000.pcap" "$requests/frag-first-only.pcap" 1
sysctl -qw net.ipv4.ipfrag_time=1
ip link set tun1 mtu 1500
KERNEL_ORACLE_QUIET_MS=2500 "$root/build/tools/kernel-oracle" --every -i tun1 \
    "$requests/frag-first-only.pcap" "$replies/frag-first-only-timeout.pcap"
ip tuntap del mode tun name tun1
echo "recorded: ${ORDER[*]} (replies through MTU ${MTUS[*]})"
