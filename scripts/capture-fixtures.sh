#!/usr/bin/env bash
# Records the packets the step tests compare against, from real tools:
#
#   tests/fixtures/requests/NAME.pcap        what iputils ping sent to tun0
#   tests/fixtures/kernel-replies/NAME.pcap  the Linux kernel's own reply to it
#
#   scripts/capture-fixtures.sh              record them all again
#   scripts/capture-fixtures.sh NAME...      record only these
#
# Run it as root when a fixture must be recorded again, and update what the
# tests read from it (they quote tshark's reading of each file). Everything
# happens inside a private network namespace that vanishes with the script.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${ICMP_STEPS_IN_NS:-}" ]; then
    exec unshare --net --pid --mount-proc --kill-child env ICMP_STEPS_IN_NS=1 "$0" "$@"
fi

# name and the ping arguments that make it; all-zero is made by hand.
declare -A PING_ARGS=(
    [default]=""
    [s0]="-s 0"
    [s1]="-s 1"
    [s57]="-s 57"
    [s1472]="-s 1472"
    [pattern]="-p ff00"
    [record-route]="-R"
    [timestamp]="-T tsonly"
    [timestamp-addresses]="-T tsandaddr"
    [tos]="-Q 0xb8"
)
ORDER=(default s0 s1 s57 s1472 pattern record-route timestamp timestamp-addresses tos)
# Requests ping cannot send, written by hand in requests/NAME.txt (options
# of every shape the unit tests compare with the kernel).
CRAFTED=(all-zero ts-overflow ts-overflow-14 ts-one-slot ts-unknown-flag ts-then-rr
         ts-prespecified ts-prespecified-full router-alert)
# Step 09's requests that get an error, a timestamp reply or a reset rather
# than an echo reply (made by tests/fixtures/craft-09.py): asked with
# kernel-oracle --all, in a namespace whose rate limits are off.
CRAFTED_09=(udp-closed udp-large udp-short-length protocol-unknown bad-option-pointer
            bad-option-length timestamp-request timestamp-long timestamp-short
            record-route-error tos-error tcp-syn tcp-syn-tos tcp-ack-data tcp-syn-fin-data
            tcp-record-route udplite-closed rr-then-bad-option cipso-error
            lsrr-then-bad-option)
# Step 10's time exceeded (11/1): a sequence of
# tests/fixtures/fragments/sequences.txt whose first fragment times out in a
# namespace where net.ipv4.ipfrag_time is 1, kept as fragments/NAME.request.pcap
# (that first fragment) and fragments/NAME.kernel.pcap (the kernel's error,
# from 192.0.2.2, its own address there, to 192.0.2.1). Not in requests/:
# no step answers a lone fragment.
declare -A FRAGMENT_SEQUENCES=(
    [fragment-timeout]=timeout-first            # 512 bytes: quoted whole
    [fragment-timeout-cut]=timeout-first-cut    # 13 bytes: 8 of them quoted
)
# Step 11's IPv6 fixtures, all named ipv6-* and kept in tests/fixtures/ipv6/
# (requests/, kernel-replies/): echo requests from ping -6
# (tun0 carries 2001:db8::1/64, the host is 2001:db8::2), and the requests
# of tests/fixtures/craft-11.py (ipv6/requests/ipv6-NAME.txt). The kernel is
# asked on a tun of its own that owns 2001:db8:1::1/64 and fe80::1/64
# (kernel-oracle --all --or-silence): ipv6/kernel-replies/ipv6-NAME.pcap
# holds its answer, or no packet when it said nothing, and
# ipv6/kernel-replies/ipv6-kernel.txt one line per request, tshark's reading of
# the answer and the kernel's counters (nstat) that moved.
declare -A PING6_ARGS=(
    [ipv6-default]="2001:db8::2"
    [ipv6-s0]="-s 0 2001:db8::2"
    [ipv6-s1]="-s 1 2001:db8::2"
    [ipv6-s1232]="-s 1232 2001:db8::2"      # 1280 bytes: the minimum MTU
    [ipv6-tclass]="-Q 0xb8 2001:db8::2"     # DSCP 46 (expedited forwarding)
    [ipv6-tclass-ecn]="-Q 0xbb 2001:db8::2" # and ECN CE
    [ipv6-multicast]="-I 2001:db8::1 ff02::1%tun0"
)
ORDER6=(ipv6-default ipv6-s0 ipv6-s1 ipv6-s1232 ipv6-tclass ipv6-tclass-ecn ipv6-multicast)
CRAFTED_11=($(python3 "$root/tests/fixtures/craft-11.py" /dev/null --names))
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${ORDER[@]}" "${CRAFTED[@]}" "${CRAFTED_09[@]}" ipv6-router-solicitation
                                 "${!FRAGMENT_SEQUENCES[@]}" "${ORDER6[@]}" "${CRAFTED_11[@]}")

requests=$root/tests/fixtures/requests
replies=$root/tests/fixtures/kernel-replies
requests6=$root/tests/fixtures/ipv6/requests     # step 11's, apart: the IPv4
replies6=$root/tests/fixtures/ipv6/kernel-replies # tests read every file above
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
# nodad: usable at once (no duplicate address detection on a tun alone).
ip addr add 2001:db8::1/64 dev tun0 nodad
ip link set tun0 up
dumpcap -q -i tun0 -w "$work/all.pcap" 2>/dev/null &
dumper=$!
for _ in $(seq 100); do [ -s "$work/all.pcap" ] && break; sleep 0.05; done
sleep 0.5

# One request per name, in this order.
pinged=()
for name in "${names[@]}"; do
    [ -n "${PING_ARGS[$name]+set}" ] || continue
    # shellcheck disable=SC2086
    ping -c 1 -W 0.3 ${PING_ARGS[$name]} 192.0.2.2 >/dev/null || true
    pinged+=("$name")
done
pinged6=()
for name in "${names[@]}"; do
    [ -n "${PING6_ARGS[$name]+set}" ] || continue
    # shellcheck disable=SC2086
    ping -6 -c 1 -W 0.3 ${PING6_ARGS[$name]} >/dev/null || true
    pinged6+=("$name")
done
if [[ " ${names[*]} " == *" ipv6-router-solicitation "* ]]; then
    # The kernel sends a router solicitation on a new link within seconds.
    for _ in $(seq 100); do
        tshark -r "$work/all.pcap" -Y 'icmpv6.type == 133' 2>/dev/null | grep -q . && break
        sleep 0.1
    done
fi
# dumpcap writes what it saw a moment later: wait for the last request.
for _ in $(seq 50); do
    [ "$(tshark -r "$work/all.pcap" -Y 'icmpv6.type == 128' 2>/dev/null | wc -l)" -ge ${#pinged6[@]} ] && break
    sleep 0.1
done
kill -INT $dumper; wait $dumper || true

frames=($(tshark -r "$work/all.pcap" -Y 'icmp.type == 8' -T fields -e frame.number 2>/dev/null))
[ ${#frames[@]} = ${#pinged[@]} ] || { echo "expected ${#pinged[@]} requests, captured ${#frames[@]}" >&2; exit 1; }
for i in "${!pinged[@]}"; do
    editcap -F pcap -r "$work/all.pcap" "$requests/${pinged[$i]}.pcap" "${frames[$i]}"
done
frames6=($(tshark -r "$work/all.pcap" -Y 'icmpv6.type == 128' -T fields -e frame.number 2>/dev/null))
[ ${#frames6[@]} = ${#pinged6[@]} ] || { echo "expected ${#pinged6[@]} IPv6 requests, captured ${#frames6[@]}" >&2; exit 1; }
for i in "${!pinged6[@]}"; do
    editcap -F pcap -r "$work/all.pcap" "$requests6/${pinged6[$i]}.pcap" "${frames6[$i]}"
done
if [[ " ${names[*]} " == *" ipv6-router-solicitation "* ]]; then
    rs=$(tshark -r "$work/all.pcap" -Y 'icmpv6.type == 133' -T fields -e frame.number 2>/dev/null | head -n 1)
    [ -n "$rs" ] || { echo "no IPv6 router solicitation was captured" >&2; exit 1; }
    editcap -F pcap -r "$work/all.pcap" "$requests/ipv6-router-solicitation.pcap" "$rs"
fi
for name in "${CRAFTED[@]}" "${CRAFTED_09[@]}"; do
    [[ " ${names[*]} " == *" $name "* ]] || continue
    text2pcap -q -F pcap -l 101 "$requests/$name.txt" "$requests/$name.pcap"
    pinged+=("$name")
done

for name in "${names[@]}"; do
    [ -n "${FRAGMENT_SEQUENCES[$name]+set}" ] || continue
    python3 "$root/tests/docs/kernel_fragments.py" --record "${FRAGMENT_SEQUENCES[$name]}" \
        "$root/tests/fixtures/fragments/$name.request.pcap" \
        "$root/tests/fixtures/fragments/$name.kernel.pcap" >/dev/null
    [ -s "$root/tests/fixtures/fragments/$name.kernel.pcap" ] ||
        { echo "no time exceeded for $name" >&2; exit 1; }
done

# The oracle: a second tun whose own address the kernel answers for.
ip tuntap add mode tun name tun1
ip addr add 198.51.100.1/24 dev tun1
ip link set tun1 up
sysctl -qw net.ipv6.conf.tun1.disable_ipv6=1
# Every error is recorded, none held back by Linux's rate limits (steps
# 09's own test compares those separately).
sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=100000 net.ipv4.icmp_msgs_burst=10000
for name in "${pinged[@]}"; do
    all=()
    [[ " ${CRAFTED_09[*]} " == *" $name "* ]] && all=(--all)
    "$root/build/tools/kernel-oracle" "${all[@]}" -i tun1 "$requests/$name.pcap" "$replies/$name.pcap"
done
ip tuntap del mode tun name tun1

# The IPv6 oracle: tun2 owns 2001:db8:1::1/64 and fe80::1/64, nodad (usable
# at once). addrgenmode none: no link-local address of the kernel's own
# making, so no router solicitation or MLD report of its own to skip, and
# the same fe80::1 every time.
asked6=()
for name in "${names[@]}"; do
    [[ $name == ipv6-* && $name != ipv6-router-solicitation ]] || continue
    if [[ " ${CRAFTED_11[*]} " == *" $name "* ]]; then
        python3 "$root/tests/fixtures/craft-11.py" "$requests6" >/dev/null
        text2pcap -q -F pcap -l 101 "$requests6/$name.txt" "$requests6/$name.pcap"
    fi
    asked6+=("$name")
done
if [ ${#asked6[@]} -gt 0 ]; then
    ip tuntap add mode tun name tun2
    ip link set tun2 addrgenmode none
    sysctl -qw net.ipv6.conf.tun2.accept_dad=0
    ip link set tun2 up
    ip addr add 2001:db8:1::1/64 dev tun2 nodad
    ip addr add fe80::1/64 dev tun2 nodad
    sysctl -qw net.ipv6.icmp.ratelimit=0
    summary=$replies6/ipv6-kernel.txt
    [ $# -gt 0 ] && [ -f "$summary" ] || printf '%s\n' \
        "# What Linux $(uname -r | cut -d. -f1,2) did with each IPv6 request (scripts/capture-fixtures.sh):" \
        "# NAME: its answer as tshark reads it, or silence; the counters (nstat) that moved" \
        "# (namespace-wide: a router solicitation tun0 sent meanwhile shows among them)." > "$summary"
    for name in "${asked6[@]}"; do
        nstat -n
        "$root/build/tools/kernel-oracle" --all --or-silence -i tun2 "$requests6/$name.pcap" \
            "$replies6/$name.pcap" 2>/dev/null
        counters=$(nstat 2>/dev/null | awk '/^(Ip6|Icmp6|Udp6|Tcp)/ {printf "%s %s ", $1, $2}')
        answer=$(tshark -r "$replies6/$name.pcap" -T fields -e _ws.col.Info 2>/dev/null | head -n 1)
        sed -i "/^$name:/d" "$summary"
        echo "$name: ${answer:-silence} | $counters" >> "$summary"
    done
    { grep '^#' "$summary"; grep -v '^#' "$summary" | LC_ALL=C sort; } > "$work/summary"
    cp "$work/summary" "$summary"
    ip tuntap del mode tun name tun2
fi

if [ $# -eq 0 ]; then
    # One capture of every kind, in the order a lesson walks through them.
    mergecap -a -F pcap -w "$root/tests/fixtures/mixed.pcap" "$requests/ipv6-router-solicitation.pcap" \
        "$requests/default.pcap" "$requests/s57.pcap" "$replies/default.pcap" "$requests/all-zero.pcap"
fi
echo "recorded: ${names[*]}"
