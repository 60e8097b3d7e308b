#!/usr/bin/env bash
# Step 11's IPv6 echo replies at the MTUs that bound them, beside Linux (a
# tun of its own, the same requests: tests/e2e/ipv6_mtu_reply.py).
#   - MTU 1280, the least IPv6 allows (RFC 8200 5), and the largest echo
#     request there is: an ICMPv6 message of 65535 bytes (the payload
#     length's limit), come in 54 fragments. Linux answers it in 54
#     fragments, 68127 bytes: so the bound of Linux's ICMP send buffer,
#     which steps 10 and 11 keep for IPv4 (test_tiny_mtu.sh, MTU 68),
#     never bites for IPv6: 54 buffers of 2304 bytes are 124 416 bytes,
#     under the 528 896 its socket allows, and a larger MTU means fewer
#     fragments. The step must send what Linux sends, and survive it: its
#     reply is 40 + 65535 bytes, longer than any packet a tun can read
#     (the step once wrote it past the end of a 65535-byte buffer).
#   - MTU 1500 and 9000: the same, in fewer fragments.
#   - MTU 1000, under what IPv6 allows: Linux turns IPv6 off on the tun
#     and answers nothing; nor may the step (it once answered a 65535-byte
#     request in 69 fragments), and it says why.
# Run with the sanitizers (build/asan/bin) unless STEP_BIN_DIR says otherwise.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

step=${STEP:-11-ipv6}
STEP_BIN_DIR=${STEP_BIN_DIR:-build/asan/bin}
if [ ! -x "$root/$STEP_BIN_DIR/$step" ]; then
    echo "$e2e_name: skipped: $STEP_BIN_DIR/$step is not built"
    exit 0
fi

start_step "$step"
n=0
for mtu in 1280 1500 9000 1000; do
    counts=$(python3 "$root/tests/e2e/ipv6_mtu_reply.py" tun0 oracle$n $mtu 1232 4000 65535)
    echo "$counts" | sed "s/^/    MTU $mtu: /"
    while read -r size _ packets _ bytes _ _ linux_packets _ linux_bytes _; do
        check_equal "MTU $mtu, a ${size%:}-byte ICMPv6 echo request: as many reply packets and bytes as Linux" \
            "$linux_packets $linux_bytes" "$packets $bytes"
    done <<<"$counts"
    [ $mtu = 1280 ] && at_1280=$counts
    n=$((n + 1))
done
# 65535 bytes in fragments of 1232 (1280 - 40 - 8): 53 full and one of
# 239, each under 48 bytes of headers: 65535 + 54 * 48 = 68127 bytes.
check_contains "Linux answers the largest echo request at MTU 1280, in 54 fragments: its send buffer does not refuse it" \
    "Linux 54 packets 68127 bytes" "$(grep '^65535:' <<<"$at_1280")"
check_contains "at MTU 1000 the step says why it is silent" \
    "ignored: IPv6 needs a link MTU of 1280 bytes, and the tun's is 1000" "$(cat "$step_log")"
stop_step
check_equal "the step exits cleanly after answering them (no sanitizer report)" 0 "$step_status"
check_lacks "nothing in its log from the sanitizers" "ERROR: AddressSanitizer" "$(cat "$step_log")"
finish
