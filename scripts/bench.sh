#!/usr/bin/env bash
# make bench: what answering costs, step by step. Prints, for each step that
# replies, the time and the instructions its packet function takes per
# packet, and the round trips per second real ping gets through it.
#
# Time is noisy on a shared machine; compare the steps' ratios within one
# run. Instruction counts (valgrind's callgrind) do not depend on the load.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
steps=("$@")
requests=(default s1472)

echo "== the packet function alone, log line included ($(nproc) cores, $(date -u +%Y-%m-%d))"
printf '%-22s %-9s %14s %22s\n' step request "ns/packet" "instructions/packet"
for step in "${steps[@]}"; do
    for r in "${requests[@]}"; do
        pcap=tests/fixtures/requests/$r.pcap
        ns=$(build/bench/"$step" "$pcap" 2000000 | sed 's/ ns per packet.*//')
        instructions=""
        if command -v valgrind >/dev/null; then
            # The difference between 2000 and 1000 calls: startup cancels out.
            count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null \
                          build/bench/"$step" "$pcap" "$1" 2>&1 | sed -n 's/.*Collected : //p'; }
            instructions=$(( ($(count 2000) - $(count 1000)) / 1000 ))
        fi
        printf '%-22s %-9s %14s %22s\n' "$step" "$r" "$ns" "${instructions:-(no valgrind)}"
    done
done

if [ "$(id -u)" != 0 ]; then
    echo "== ping -f: skipped, it needs root for a namespace and a flood"
    exit 0
fi
echo
echo "== ping -f -c 20000 through tun0, steps that both pings accept (closed loop: one request in flight)"
unshare --net --pid --mount-proc --kill-child bash -c '
    cd "$0"
    flood() {   # label: round trips per second, from ping'"'"'s own time
        out=$(ping -q -f -c 20000 -W 2 192.0.2.${2:-2} 2>&1)
        ms=$(echo "$out" | sed -n "s/.* received.*, time \([0-9]*\)ms$/\1/p")
        got=$(echo "$out" | sed -n "s/.*, \([0-9]*\) received.*/\1/p")
        printf "%-40s %8s round trips/s  (%s of 20000 answered)\n" "$1" \
            "$(( ${got:-0} * 1000 / (${ms:-1} > 0 ? ${ms:-1} : 1) ))" "${got:-0}"
    }
    ip link set lo up
    for step in "$@"; do
        bin/$step >/dev/null 2>&1 &
        pid=$!
        for _ in $(seq 100); do ip link show tun0 >/dev/null 2>&1 && break; sleep 0.05; done
        ip addr add 192.0.2.1/24 dev tun0; ip link set tun0 up
        scripts/link-ready.sh tun0
        sysctl -qw net.ipv4.ping_group_range="1 0"; flood "$step, raw socket"
        sysctl -qw net.ipv4.ping_group_range="0 2147483647"; flood "$step, datagram socket"
        kill $pid; wait $pid 2>/dev/null
    done
    bin/01-open-tun >/dev/null 2>&1 & pid=$!
    for _ in $(seq 100); do ip link show tun0 >/dev/null 2>&1 && break; sleep 0.05; done
    ip addr add 192.0.2.1/24 dev tun0; ip link set tun0 up
    scripts/link-ready.sh tun0
    sysctl -qw net.ipv4.ping_group_range="1 0"
    flood "the kernel, its own address (for scale)" 1
    kill $pid; wait $pid 2>/dev/null
' "$root" $(printf "%s\n" "${steps[@]}" | grep -E "^0[5-9]|^[1-9]")
