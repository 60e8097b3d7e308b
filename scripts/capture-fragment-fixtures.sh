#!/usr/bin/env bash
# Records step 10's fixtures of replies cut into fragments, from real tools,
# as scripts/capture-fixtures.sh records the others (and, with
# tests/docs/kernel_fragments.py, fragments/fragment-timeout*):
#
#   tests/fixtures/fragments/NAME.request.pcap
#       the fragments the kernel cut ping's (or a UDP socket's) datagram
#       into, on its way out of a tun of MTU 1500
#   tests/fixtures/fragments/NAME-mtuN.kernel.pcap (NAME.kernel.pcap: an error)
#       every packet the Linux kernel sent back, through an oracle tun of
#       MTU N (1500 and 576): its reply cut into fragments its own way
#
#   scripts/capture-fragment-fixtures.sh     record them all again (as root)
#
# They live apart from the one-request, one-reply fixtures of requests/ and
# kernel-replies/, which tests replay and compare one by one. Everything
# happens inside a private network namespace that vanishes with the script.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${ICMP_STEPS_IN_NS:-}" ]; then
    exec unshare --net --pid --mount-proc --kill-child env ICMP_STEPS_IN_NS=1 "$0" "$@"
fi

# name, what sends it to 192.0.2.2 through tun0, and the oracle's MTUs.
declare -A SEND=(
    [echo-4000]="ping -c 1 -W 0.3 -s 4000 192.0.2.2"
    [echo-4000-rr]="ping -c 1 -W 0.3 -R -s 4000 192.0.2.2"
    [udp-3000]="python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(bytes(range(256))*11 + bytes(184), (\"192.0.2.2\", 9))'"
)
declare -A MTUS=([echo-4000]="1500 576" [echo-4000-rr]="1500 576" [udp-3000]="1500")
ORDER=(echo-4000 echo-4000-rr udp-3000)

fragments=$root/tests/fixtures/fragments
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
    editcap -F pcap "$work/$name.pcapng" "$fragments/$name.request.pcap"
    count=$(tshark -r "$fragments/$name.request.pcap" 2>/dev/null | grep -c '')
    [ "$count" -gt 1 ] || { echo "$name: expected fragments, captured $count packets" >&2; exit 1; }
done

# The oracle: a second tun whose own address the kernel answers for, once
# per MTU (kernel-oracle --every: all it sends back). No rate limit holds
# an error back.
sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=100000 net.ipv4.icmp_msgs_burst=10000
ip tuntap add mode tun name tun1
ip addr add 198.51.100.1/24 dev tun1
sysctl -qw net.ipv6.conf.tun1.disable_ipv6=1
for name in "${ORDER[@]}"; do
    for mtu in ${MTUS[$name]}; do
        ip link set tun1 mtu "$mtu" up
        out=$fragments/$name-mtu$mtu.kernel.pcap
        [ "${MTUS[$name]}" = 1500 ] && out=$fragments/$name.kernel.pcap
        "$root/build/tools/kernel-oracle" --every -i tun1 "$fragments/$name.request.pcap" "$out"
    done
done
ip tuntap del mode tun name tun1
echo "recorded: ${ORDER[*]}"
