#!/usr/bin/env bash
# Step 07 returns IP options and the TOS as Linux does. The reference is the
# kernel itself, measured here: a veth pair to a second network namespace
# (198.51.100.1 here, 198.51.100.2 there), pinged with the same options;
# ping's output for the kernel and for the step must agree once the two
# addresses are named. It refuses malformed options and source routes, each
# on its own rung, and still keeps root (giving it up is step 08).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

inject="$root/build/tools/inject"
request="$root/tests/fixtures/requests/default.pcap"
work=$(mktemp -d)
peer_pid=
trap 'stop_step 2>/dev/null; [ -z "$peer_pid" ] || kill $peer_pid 2>/dev/null; rm -rf "$work"' EXIT

# ---- the kernel: a host at the other end of a veth pair --------------------
unshare --net sleep 600 &
peer_pid=$!
for _ in $(seq 100); do [ "$(readlink /proc/$peer_pid/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.02; done
ip link add e2va type veth peer name e2vb netns $peer_pid
ip addr add 198.51.100.1/24 dev e2va
ip link set e2va up
nsenter -t $peer_pid -n ip link set lo up
nsenter -t $peer_pid -n ip addr add 198.51.100.2/24 dev e2vb
nsenter -t $peer_pid -n ip link set e2vb up
for _ in $(seq 100); do ping -c 1 -W 1 198.51.100.2 >/dev/null 2>&1 && break; sleep 0.05; done

# named OUTPUT ME THEM: ping's lines with the two addresses named, times
# and stamps left out, so that the kernel's and the step's can be compared.
named() {
    sed -E -e "s/$2/ME/g" -e "s/$3/THEM/g" -e 's/time=[0-9.]+ ms/time=T ms/' <<<"$1" |
        sed -n '/^RR:\|^TS:\|^\t/p' | sed -E 's/\t-?[0-9]+( absolute)?$/\tSTAMP/; s/^TS: \t-?[0-9]+ absolute$/TS: \tSTAMP/'
}
# both KIND ARGS...: ping the kernel and the step alike; their option
# lines in $kernel and $step, ping's whole output for the step in $out.
both() {
    local kind=$1; shift
    kernel=$(named "$(ping_with "$kind" -c 1 -W 1 "$@" 198.51.100.2)" '198\.51\.100\.1' '198\.51\.100\.2')
    out=$(ping_with "$kind" -c 1 -W 1 "$@" 192.0.2.2)
    step=$(named "$out" '192\.0\.2\.1' '192\.0\.2\.2')
}

STEP_BIN_DIR=build/asan/bin start_step 07-ip-options
sysctl -qw net.ipv6.conf.tun0.disable_ipv6=1

# Record Route, both kinds of socket: the route there and back.
for kind in raw datagram; do
    both $kind -R
    check_contains "$kind ping -R: the kernel returns a route" "RR:" "$kernel"
    check_equal "$kind ping -R: the step's route is the kernel's" "$kernel" "$step"
done
check_contains "ping -R: the route, in full" \
    "$(printf 'RR: \t192.0.2.1\n\t192.0.2.2\n\t192.0.2.2\n\t192.0.2.1')" "$out"
# Timestamps: where each host stamped, not the times.
for flavour in tsonly tsandaddr; do
    both raw -T $flavour
    check_contains "ping -T $flavour: the kernel returns stamps" "TS:" "$kernel"
    check_equal "ping -T $flavour: stamped where the kernel stamps" "$kernel" "$step"
done
# One prespecified slot, the responder's: stamped as the request arrives.
kernel=$(ping_with raw -c 1 -W 1 -T tsprespec 198.51.100.2 198.51.100.2)
out=$(ping_with raw -c 1 -W 1 -T tsprespec 192.0.2.2 192.0.2.2)
check_equal "ping -T tsprespec: the step stamps its slot as the kernel does" \
    "$(named "$kernel" '198\.51\.100\.1' '198\.51\.100\.2')" "$(named "$out" '192\.0\.2\.1' '192\.0\.2\.2')"
check "ping -T tsprespec: our slot stamped" grep -qP 'TS: \t192\.0\.2\.2\t[0-9]+ absolute' <<<"$out"
check_lacks "ping -T tsprespec: no unrecorded hop" "Unrecorded hops" "$out"

# TOS: the reply keeps the request's (RFC 1349 5.1), as the kernel's does.
# tos_of IFNAME TARGET: the TOS of the request and of the reply, by tshark.
tos_of() {
    dumpcap -q -i "$1" -f icmp -w "$work/tos-$1.pcap" 2>/dev/null &
    local dump=$!
    for _ in $(seq 100); do [ -s "$work/tos-$1.pcap" ] && break; sleep 0.05; done
    sleep 0.5
    ping_with raw -c 1 -W 1 -Q 0xb8 "$2" >/dev/null
    sleep 0.3
    kill -INT $dump; wait $dump 2>/dev/null
    tshark -r "$work/tos-$1.pcap" -T fields -e ip.dsfield 2>/dev/null | paste -sd' '
}
kernel_tos=$(tos_of e2va 198.51.100.2)
check_equal "ping -Q 0xb8: the kernel's reply keeps it" "0xb8 0xb8" "$kernel_tos"
check_equal "ping -Q 0xb8: so does the step's" "$kernel_tos" "$(tos_of tun0 192.0.2.2)"

# The ladder: every packet refused, each once on its own rung, the options
# too. (The kernel's own chatter may already have been counted.)
counter() { sed -n "s/^  $1 *\([0-9]*\)$/\1/p" "$step_log" | tail -n 1; }
report_now() {
    kill -USR1 "$step_pid"
    for _ in $(seq 100); do
        [ "$(grep -c 'packets by verdict' "$step_log")" -gt "$1" ] && return
        sleep 0.02
    done
}
rungs=(too-short not-ipv4 header-length-below-20 header-past-end total-length-past-end
       total-length-below-header bad-header-checksum fragment bad-source martian-source
       to-broadcast not-ours bad-options source-routed not-icmp icmp-too-short
       bad-icmp-checksum not-echo-request)
declare -A before
report_now 0
for rung in "${rungs[@]}" answered; do before[$rung]=$(counter "$rung"); done
out=$("$inject" -i tun0 --ladder "$request")
check_equal "no reply to any of the ladder's 18 packets" "sent 18, replies 0" "$out"
report_now 1
for rung in "${rungs[@]}" answered; do
    want=1; [ "$rung" = answered ] && want=0
    check_equal "counted $want on its own rung: $rung" $want $(( $(counter "$rung") - ${before[$rung]} ))
done
check "the source route says why" grep -q '^ignored: .*source route option: not answered' "$step_log"
check "the malformed option says why" grep -q '^ignored: malformed ' "$step_log"

# Still root: giving it up is step 08's lesson.
check_contains "it keeps root (step 08 gives it up)" "$(printf 'Uid:\t0\t0\t0\t0')" \
    "$(cat "/proc/$step_pid/status")"
stop_step
check_equal "SIGTERM ends it with status 0, no sanitizer report" 0 "$step_status"
check_contains "and prints its counters when it stops" "07-ip-options: packets by verdict" \
    "$(tail -n 22 "$step_log")"
finish
