#!/usr/bin/env bash
# Steps 05 to 08 against real ping in both socket modes, at every size that
# matters up to the largest IPv4 datagram and with data patterns, under a
# flood, and byte for byte against the Linux kernel's own replies to the
# same requests.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

work=$(mktemp -d)
trap 'stop_step 2>/dev/null; rm -rf "$work"' EXIT

clean_replies() {   # what, ping output: two clean replies
    local what=$1 out=$2
    check_contains "$what: both replies" "2 received" "$out"
    for bad in "wrong data" "truncated" "BAD CHECKSUM" "DUP!"; do
        check_lacks "$what: no '$bad'" "$bad" "$out"
    done
}

icmp_fields() {
    tshark -r "$1" -T fields -e icmp.type -e icmp.code -e icmp.checksum -e icmp.ident \
        -e icmp.seq -e data.data 2>/dev/null
}

exercise() {
    local step=$1 out
    start_step "$step"
    ip link set tun0 mtu 65535          # room for the largest datagram, unfragmented
    dumpcap -q -i tun0 -f icmp -w "$work/tun0.pcap" 2>/dev/null &
    local dump_pid=$!
    for _ in $(seq 100); do [ -s "$work/tun0.pcap" ] && break; sleep 0.05; done
    sleep 0.5                           # dumpcap writes its header before it listens

    for kind in raw datagram; do
        for size in 0 1 57 1000 1472 8000 65507; do
            out=$(ping_with $kind -c 2 -i 0.2 -W 2 -s $size 192.0.2.2)
            clean_replies "$step: $kind ping -s $size" "$out"
        done
        for pattern in 00 ff a5 0123456789abcdef ff00ff00ff00ff00ff00ff00ff00ff00; do
            out=$(ping_with $kind -c 2 -i 0.2 -W 2 -s 57 -p $pattern 192.0.2.2)
            clean_replies "$step: $kind ping -s 57 -p $pattern" "$out"
        done
    done
    sleep 0.5
    kill -INT $dump_pid; wait $dump_pid 2>/dev/null

    # A flood: ping sends the next request as soon as a reply comes back.
    for kind in raw datagram; do
        out=$(ping_with $kind -f -c 10000 -W 2 192.0.2.2)
        check_contains "$step: $kind ping -f -c 10000 loses nothing" \
            "10000 packets transmitted, 10000 received" "$out"
    done
    stop_step
    check_equal "$step: SIGTERM ends it with status 0" 0 "$step_status"

    # The kernel oracle: every request the pings above sent, asked again of
    # the kernel on a second tun (GUIDE.md section 3). Its replies and the
    # step's carry the same ICMP message: type, code, checksum, id, sequence
    # and data.
    tshark -r "$work/tun0.pcap" -Y 'icmp.type == 8' -w "$work/requests.pcap" -F pcap 2>/dev/null
    tshark -r "$work/tun0.pcap" -Y 'icmp.type == 0' -w "$work/step-replies.pcap" -F pcap 2>/dev/null
    "$root/build/tools/kernel-oracle" -i tun1 "$work/requests.pcap" "$work/kernel-replies.pcap" \
        2>"$work/oracle.err"
    check "$step: the kernel answered every request ($(tail -n 1 "$work/oracle.err"))" \
        grep -q 'kernel-oracle: \([0-9]*\) requests, \1 kernel replies' "$work/oracle.err"
    icmp_fields "$work/step-replies.pcap" >"$work/step.txt"
    icmp_fields "$work/kernel-replies.pcap" >"$work/kernel.txt"
    local count
    count=$(wc -l <"$work/step.txt")
    check "$step: all 48 requests captured, and as many replies from the kernel and the step" \
        test "$(icmp_fields "$work/requests.pcap" | wc -l) $count $(wc -l <"$work/kernel.txt")" = "48 48 48"
    if diff -q "$work/step.txt" "$work/kernel.txt" >/dev/null; then
        ok "$step: the ICMP bytes of all $count replies equal the kernel's"
    else
        not_ok "$step: the ICMP bytes of all $count replies equal the kernel's" \
            "$(diff "$work/step.txt" "$work/kernel.txt" | cut -c1-160 | head -n 20)"
    fi
}

# The oracle's tun: the kernel answers for its own address, 198.51.100.1.
ip tuntap add mode tun name tun1
ip addr add 198.51.100.1/24 dev tun1
ip link set tun1 mtu 65535 up

exercise 05-checksum
exercise 06-host-checks
exercise 07-ip-options
exercise 08-least-privilege
finish
