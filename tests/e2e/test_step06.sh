#!/usr/bin/env bash
# Step 06 is a host with an address of its own: it answers ping to its own
# addresses only (not another host's, not the subnet's broadcast), refuses
# each kind of bad packet on its own rung and counts it, survives random
# input, and, reading no IP options yet, answers `ping -R` and `ping -Q` as
# step 05 does: no route, TOS 0 (step 07 returns them).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

inject="$root/build/tools/inject"
request="$root/tests/fixtures/requests/default.pcap"
work=$(mktemp -d)
trap 'stop_step 2>/dev/null; rm -rf "$work"' EXIT

# counter NAME: the step's count for one verdict, from its last report.
counter() {
    sed -n "s/^  $1 *\([0-9]*\)$/\1/p" "$step_log" | tail -n 1
}
# report_now N: SIGUSR1, and wait for the report after the N already printed.
report_now() {
    kill -USR1 "$step_pid"
    for _ in $(seq 100); do
        [ "$(grep -c 'packets by verdict' "$step_log")" -gt "$1" ] && return
        sleep 0.02
    done
}
# log_says WHAT LINE: the step printed LINE.
log_says() {
    check "$1" grep -qF -- "$2" "$step_log"
}

STEP_BIN_DIR=build/asan/bin start_step 06-host-checks
sysctl -qw net.ipv6.conf.tun0.disable_ipv6=1

# Its own address, the default (192.0.2.2/24, the lab's): answered.
out=$(ping_with raw -c 2 -i 0.2 -W 1 192.0.2.2)
check_contains "ping 192.0.2.2, its default address: answered" "2 received" "$out"
# Another host's: before step 06 every address routed to tun0 was answered.
out=$(ping_with raw -c 1 -W 1 192.0.2.77)
check_contains "ping 192.0.2.77, another host's address: no reply" " 0 received" "$out"
log_says "and it says why" "ignored: destination 192.0.2.77 is not one of our addresses"
# The subnet's broadcast: Linux ignores echo to broadcast by default
# (icmp_echo_ignore_broadcasts), and a reply from 192.0.2.255 would come
# from an address no host may send from (RFC 1122 3.2.1.3).
out=$(ping_with raw -c 1 -W 1 -b 192.0.2.255)
check_contains "ping -b 192.0.2.255, the subnet's broadcast: no reply" " 0 received" "$out"
log_says "and it says why" \
    "ignored: destination 192.0.2.255 is a broadcast or multicast address, not answered"

# The ladder: one packet per rung, each counted on its own rung. Step 06
# reads no options: the malformed one and the source route are answered,
# as step 05 answers them. (The kernel's own chatter may already have been
# counted, so we compare the counters before and after.)
rungs=(too-short not-ipv4 header-length-below-20 header-past-end total-length-past-end
       total-length-below-header bad-header-checksum fragment bad-source martian-source
       to-broadcast not-ours not-icmp icmp-too-short bad-icmp-checksum not-echo-request)
declare -A before
report_now 0
for rung in "${rungs[@]}" answered; do before[$rung]=$(counter "$rung"); done
out=$("$inject" -i tun0 --ladder "$request")
check_equal "the ladder's 18 packets: the two with options answered, no other" "sent 18, replies 2" "$out"
report_now 1
for rung in "${rungs[@]}"; do
    check_equal "counted once on its own rung: $rung" 1 $(( $(counter "$rung") - ${before[$rung]} ))
done
check_equal "the two with options counted as answered" 2 $(( $(counter answered) - ${before[answered]} ))
check_lacks "no rung for options yet (step 07's)" "bad-options" "$(cat "$step_log")"
log_says "the martian says why" \
    "ignored: source 192.0.2.2 is our own address, which a packet from outside cannot come from"
log_says "the bad header checksum says why" "does not verify"

# ping -R: answered, but the reply carries no option, so ping shows no
# route (step 07 returns it as the kernel does).
for kind in raw datagram; do
    out=$(ping_with $kind -c 1 -W 1 -R 192.0.2.2)
    check_contains "$kind ping -R: answered" "1 received" "$out"
    check_lacks "$kind ping -R: without a route" "RR:" "$out"
done

# ping -Q 0xb8: the reply's TOS is 0, as step 05 writes it (step 07 copies
# the request's).
dumpcap -q -i tun0 -f icmp -w "$work/tos.pcap" 2>/dev/null &
dump_pid=$!
for _ in $(seq 100); do [ -s "$work/tos.pcap" ] && break; sleep 0.05; done
sleep 0.5
ping_with raw -c 1 -W 1 -Q 0xb8 192.0.2.2 >/dev/null
sleep 0.3
kill -INT $dump_pid; wait $dump_pid 2>/dev/null
check_equal "ping -Q 0xb8: request 0xb8, reply 0x00, as tshark reads them" "0xb8 0x00" \
    "$(tshark -r "$work/tos.pcap" -T fields -e ip.dsfield 2>/dev/null | paste -sd' ')"

# Random input, then still answering.
out=$("$inject" -i tun0 --random 5000 --seed 6)
check_contains "5000 random packets sent" "sent 5000" "$out"
check "still running after them" kill -0 "$step_pid"
report_now 2
answered=$(counter answered)
out=$(ping_with raw -c 3 -i 0.2 -W 1 192.0.2.2)
check_contains "still answers ping" "3 received" "$out"
report_now 3
check_equal "the three pings counted as answered" 3 $(( $(counter answered) - answered ))

stop_step
check_equal "SIGTERM ends it with status 0, no sanitizer report" 0 "$step_status"
check_contains "and prints its counters when it stops" "06-host-checks: packets by verdict" \
    "$(tail -n 20 "$step_log")"

# Addresses of its own choosing: both answered, from themselves; the
# default is then not one of them.
STEP_BIN_DIR=build/asan/bin start_step 06-host-checks --address 192.0.2.9/24 --address 192.0.2.10/24
for address in 192.0.2.9 192.0.2.10; do
    out=$(ping_with raw -c 1 -W 1 $address)
    check_contains "--address $address/24: ping $address answered, from $address" \
        "bytes from $address: icmp_seq=1" "$out"
done
out=$(ping_with raw -c 1 -W 1 192.0.2.2)
check_contains "and ping 192.0.2.2 is not" " 0 received" "$out"
log_says "which is not ours now" "ignored: destination 192.0.2.2 is not one of our addresses"
stop_step
check_equal "SIGTERM ends it with status 0" 0 "$step_status"
finish
