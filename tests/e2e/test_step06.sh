#!/usr/bin/env bash
# Step 06 as a responder you could leave running: it gives up root, refuses
# each kind of bad packet on its own rung and counts it, survives random
# input, returns Record Route and Timestamp as the kernel does, keeps the
# TOS, and runs without root on a tun made for a user.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

inject="$root/build/tools/inject"
request="$root/tests/fixtures/requests/default.pcap"
work=$(mktemp -d)
trap 'stop_step 2>/dev/null; rm -rf "$work"' EXIT

# counter NAME: the step's count for one verdict, from its SIGUSR1 report.
counter() {
    sed -n "s/^  $1 *\([0-9]*\)$/\1/p" "$step_log" | tail -n 1
}
report_now() {
    kill -USR1 "$step_pid"
    for _ in $(seq 100); do
        [ "$(grep -c 'packets by verdict' "$step_log")" -gt "${1:-0}" ] && return
        sleep 0.02
    done
}

STEP_BIN_DIR=build/asan/bin start_step 08-least-privilege
sysctl -qw net.ipv6.conf.tun0.disable_ipv6=1

# Least privilege: started as root, it is now nobody, with no capabilities.
status=$(cat "/proc/$step_pid/status")
check_contains "started as root, runs as nobody" "$(printf 'Uid:\t65534\t65534\t65534\t65534')" "$status"
check_contains "with nobody's group" "$(printf 'Gid:\t65534\t65534\t65534\t65534')" "$status"
check_contains "with no effective capability" "$(printf 'CapEff:\t0000000000000000')" "$status"
check_contains "with no permitted capability" "$(printf 'CapPrm:\t0000000000000000')" "$status"
check_contains "and no way to gain any (no_new_privs)" "$(printf 'NoNewPrivs:\t1')" "$status"
check_contains "it says so" "now running as nobody (uid 65534, gid 65534), with no capabilities" \
    "$(cat "$step_log")"

# The ladder: one packet per rung, each counted on its own rung, none
# answered. (The kernel's own IPv6 chatter may already have been counted, so
# we compare the counters before and after.)
rungs=(too-short not-ipv4 header-length-below-20 header-past-end total-length-past-end
       total-length-below-header bad-header-checksum fragment bad-source bad-destination
       bad-options source-routed not-icmp icmp-too-short bad-icmp-checksum not-echo-request
       answered)
declare -A before
report_now 0
for rung in "${rungs[@]}"; do before[$rung]=$(counter "$rung"); done
out=$("$inject" -i tun0 --ladder "$request")
check_equal "no reply to any of the 16 refusals" "sent 16, replies 0" "$out"
report_now 1
for rung in "${rungs[@]}"; do
    want=1; [ "$rung" = answered ] && want=0
    check_equal "counted $want on its own rung: $rung" $want $(( $(counter "$rung") - ${before[$rung]} ))
done

# Random input, then still answering.
out=$("$inject" -i tun0 --random 5000 --seed 6)
check_contains "5000 random packets sent" "sent 5000" "$out"
check "still running after them" kill -0 "$step_pid"
out=$(ping_with raw -c 3 -i 0.2 -W 1 192.0.2.2)
check_contains "still answers ping" "3 received" "$out"
report_now 2
check_equal "the three pings counted as answered" 3 "$(counter answered)"

# Options, as the kernel answers them (measured with iputils ping across a
# veth pair between two namespaces: RR and TS list the responder twice).
for kind in raw datagram; do
    out=$(ping_with $kind -c 1 -W 1 -R 192.0.2.2)
    check_contains "$kind ping -R: the route there and back" \
        "$(printf 'RR: \t192.0.2.1\n\t192.0.2.2\n\t192.0.2.2\n\t192.0.2.1')" "$out"
done
out=$(ping_with raw -c 1 -W 1 -T tsandaddr 192.0.2.2)
check "ping -T tsandaddr: the responder stamped twice" \
    grep -qzP 'TS: \t192\.0\.2\.1\t[0-9]+ absolute\n\t192\.0\.2\.2\t-?[0-9]+\n\t192\.0\.2\.2\t-?[0-9]+\n\t192\.0\.2\.1\t-?[0-9]+' <<<"$out"
out=$(ping_with raw -c 1 -W 1 -T tsonly 192.0.2.2)
check "ping -T tsonly: four times, as against the kernel" \
    grep -qzP 'TS: \t[0-9]+ absolute\n\t-?[0-9]+\n\t-?[0-9]+\n\t-?[0-9]+\n' <<<"$out"
# One prespecified slot, ours: stamped as the request arrives, and no slot
# left for the reply is no overflow (Linux adds nothing; RFC 791 counts
# hosts that could not stamp, and this one did).
out=$(ping_with raw -c 1 -W 1 -T tsprespec 192.0.2.2 192.0.2.2)
check "ping -T tsprespec: our slot stamped" grep -qP 'TS: \t192\.0\.2\.2\t[0-9]+ absolute' <<<"$out"
check_lacks "ping -T tsprespec: no unrecorded hop, as against the kernel" "Unrecorded hops" "$out"

# TOS: the reply keeps the request's (RFC 1812 4.3.2.5).
dumpcap -q -i tun0 -f icmp -w "$work/tos.pcap" 2>/dev/null &
dump_pid=$!
for _ in $(seq 100); do [ -s "$work/tos.pcap" ] && break; sleep 0.05; done
sleep 0.5
ping_with raw -c 1 -W 1 -Q 0xb8 192.0.2.2 >/dev/null
sleep 0.3
kill -INT $dump_pid; wait $dump_pid 2>/dev/null
check_equal "ping -Q 0xb8: the reply's TOS is 0xb8 too, as tshark reads it" "0xb8 0xb8" \
    "$(tshark -r "$work/tos.pcap" -T fields -e ip.dsfield 2>/dev/null | paste -sd' ')"

stop_step
check_equal "SIGTERM ends it with status 0, no sanitizer report" 0 "$step_status"
check_contains "and prints its counters when it stops" "packets by verdict" "$(tail -n 20 "$step_log")"

# Without root: a tun made for the user "nobody", and /dev/net/tun open to
# all as Debian and Ubuntu ship it (here only inside this test's own mount
# namespace).
mknod -m 0666 "$work/tun" c 10 200
mount --bind "$work/tun" /dev/net/tun
ip tuntap add mode tun user nobody name tun7
ip addr add 192.0.2.1/24 dev tun7
ip link set tun7 up
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    "$root/bin/08-least-privilege" -i tun7 >"$work/nobody.log" 2>&1 &
nobody_pid=$!
wait_for_link tun7
out=$(ping_with datagram -c 2 -i 0.2 -W 1 192.0.2.2)
check_contains "as nobody, on a tun made for nobody: answers ping" "2 received" "$out"
check_contains "and says it had nothing to give up" "not root (uid 65534): nothing to give up" \
    "$(cat "$work/nobody.log")"
kill -TERM $nobody_pid; wait $nobody_pid
check_equal "as nobody: SIGTERM ends it with status 0" 0 $?
ip tuntap del mode tun name tun7
umount /dev/net/tun
finish
