#!/usr/bin/env bash
# Records the packets the step tests compare against, from real tools:
#
#   tests/fixtures/requests/NAME.pcap        what iputils ping sent to tun0
#   tests/fixtures/kernel-replies/NAME.pcap  the Linux kernel's own reply to it
#
# Run it as root (or in `unshare -Urn`) when a fixture must be recorded
# again; the tests only read what it wrote. Everything happens inside a
# private network namespace that this script makes and that vanishes with it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
if [ "${ICMP_STEPS_NAMESPACE:-}" != "$$" ] && [ -z "${ICMP_STEPS_IN_NS:-}" ]; then
    exec unshare -n env ICMP_STEPS_IN_NS=1 "$0" "$@"
fi

requests=$root/tests/fixtures/requests
replies=$root/tests/fixtures/kernel-replies
work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

make -C "$root" -s bin/01-open-tun build/tools/kernel-oracle
ip link set lo up
sysctl -qw net.ipv4.ping_group_range="1 0"      # root's ping: a raw socket

# tun0 is the responder's side. A tun is only "up" while a program holds it
# open, so step 01 holds it (and answers nothing); dumpcap records.
"$root/bin/01-open-tun" -i tun0 >/dev/null 2>&1 &
for _ in $(seq 100); do ip link show tun0 >/dev/null 2>&1 && break; sleep 0.05; done
ip addr add 192.0.2.1/24 dev tun0
ip link set tun0 up
dumpcap -q -i tun0 -w "$work/all.pcap" 2>/dev/null &
dumper=$!
for _ in $(seq 100); do [ -s "$work/all.pcap" ] && break; sleep 0.05; done
sleep 0.5

# Each ping sends one request; the order here is the order of the names.
names=(default s0 s1 s57 s1472 pattern)
ping -c 1 -W 0.3 192.0.2.2 >/dev/null || true
ping -c 1 -W 0.3 -s 0 192.0.2.2 >/dev/null || true
ping -c 1 -W 0.3 -s 1 192.0.2.2 >/dev/null || true
ping -c 1 -W 0.3 -s 57 192.0.2.2 >/dev/null || true
ping -c 1 -W 0.3 -s 1472 192.0.2.2 >/dev/null || true
ping -c 1 -W 0.3 -p ff00 192.0.2.2 >/dev/null || true
# The kernel sends a router solicitation on a new link within seconds.
for _ in $(seq 100); do
    tshark -r "$work/all.pcap" -Y 'icmpv6.type == 133' 2>/dev/null | grep -q . && break
    sleep 0.1
done
kill -INT $dumper; wait $dumper || true

frames=($(tshark -r "$work/all.pcap" -Y 'icmp.type == 8' -T fields -e frame.number 2>/dev/null))
[ ${#frames[@]} = ${#names[@]} ] || { echo "expected ${#names[@]} requests, captured ${#frames[@]}" >&2; exit 1; }
for i in "${!names[@]}"; do
    editcap -F pcap -r "$work/all.pcap" "$requests/${names[$i]}.pcap" "${frames[$i]}"
done
rs=$(tshark -r "$work/all.pcap" -Y 'icmpv6.type == 133' -T fields -e frame.number 2>/dev/null | head -n 1)
[ -n "$rs" ] || { echo "no IPv6 router solicitation was captured" >&2; exit 1; }
editcap -F pcap -r "$work/all.pcap" "$requests/ipv6-router-solicitation.pcap" "$rs"
text2pcap -q -F pcap -l 101 "$requests/all-zero.txt" "$requests/all-zero.pcap"

# The oracle: a second tun whose own address the kernel answers for.
ip tuntap add mode tun name tun1
ip addr add 198.51.100.1/24 dev tun1
ip link set tun1 up
sysctl -qw net.ipv6.conf.tun1.disable_ipv6=1
for name in "${names[@]}" all-zero; do
    "$root/build/tools/kernel-oracle" -i tun1 "$requests/$name.pcap" "$replies/$name.pcap"
done
ip tuntap del mode tun name tun1

# One capture of every kind, in the order a lesson walks through them.
mergecap -a -F pcap -w "$root/tests/fixtures/mixed.pcap" "$requests/ipv6-router-solicitation.pcap" \
    "$requests/default.pcap" "$requests/s57.pcap" "$replies/default.pcap" "$requests/all-zero.pcap"

echo "recorded: ${names[*]} all-zero ipv6-router-solicitation, and mixed.pcap"
