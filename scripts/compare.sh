#!/usr/bin/env bash
# compare.sh "STEPS" [CAPTURE]: the body of `make compare` (see the
# Makefile). Runs build/tools/compare on the recorded requests in
# tests/fixtures/requests, or on CAPTURE, then draws its diagrams with dot.
#
# As root, the kernel answers live: this script re-runs itself in a private
# network namespace, where a tun carries 198.51.100.1/24 (the kernel's own
# address there) and vanishes with the namespace. Otherwise the kernel's
# replies are the ones scripts/capture-fixtures.sh recorded.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

steps=${1:-03 04 05 06}
capture=${2:-}
out=build/compare
oracle=oracle0

if [ -n "$capture" ]; then
    if [ ! -r "$capture" ] || [ -d "$capture" ]; then
        echo "make compare: cannot read CAPTURE=$capture: give a pcap file, for example CAPTURE=tests/fixtures/mixed.pcap." >&2
        exit 2
    fi
    captures=("$capture")
else
    captures=(tests/fixtures/requests/*.pcap)
fi

kernel=(--recorded tests/fixtures)
if [ "$(id -u)" = 0 ]; then
    if [ -z "${ICMP_STEPS_COMPARE_NS:-}" ]; then
        if unshare --net true 2>/dev/null; then
            exec unshare --net env ICMP_STEPS_COMPARE_NS=1 "$0" "$@"
        fi
        echo "kernel: no private network namespace here (unshare --net failed): recorded replies"
    else
        # The oracle: nothing here touches the machine's own network.
        ip link set lo up
        ip tuntap add mode tun name "$oracle"
        ip addr add 198.51.100.1/24 dev "$oracle"
        ip link set "$oracle" up
        sysctl -qw net.ipv6.conf."$oracle".disable_ipv6=1
        sysctl -qw net.ipv4.icmp_ratelimit=0      # errors one by one, none held back
        kernel=(--kernel-tun "$oracle")
    fi
fi

mkdir -p "$out"
rm -f "$out"/*.dot "$out"/*.svg
build/tools/compare --steps "$steps" --bin bin --dot "$out" "${kernel[@]}" "${captures[@]}"
for dot in "$out"/*.dot; do
    dot -Tsvg "$dot" -o "${dot%.dot}.svg"
    echo "drawn: ${dot%.dot}.svg"
done
