#!/usr/bin/env bash
# Step 10 on a link of MTU 68 (the least IPv4 allows), beside Linux: an echo
# request with a full Record Route option makes a reply whose every fragment
# carries a 60-byte header and 8 bytes of data. Linux builds a reply's
# fragments in its ICMP socket's send buffer, and when they do not fit
# sends none (measured: up to 318 fragments, so a 2400-byte request
# is answered in 300, a 65475-byte one not at all). The step must not send
# more for one request than Linux does: one request of 1365 small
# fragments must not bring 8185 packets back to its (perhaps forged) source.
# 2544 and 2552 bytes are the edge: 318 reply fragments go out, 319 do not.
# (tests/e2e/tiny_mtu_reply.py sends the same bytes to each.)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

# Step 11 is step 10 for IPv4, whole: the same bound.
n=0
for step in 10-fragments 11-ipv6; do
    [[ -x "$root/bin/$step" ]] || continue
    start_step "$step"
    ip link set tun0 mtu 68
    sysctl -qw net.ipv6.conf.tun0.disable_ipv6=1 2>/dev/null
    sleep 1.2                           # the step reads the MTU again after a second
    counts=$(python3 "$root/tests/e2e/tiny_mtu_reply.py" tun0 oracle$n 1000 2400 2544 2552 65475)
    echo "$counts" | sed 's/^/    /'
    while read -r size _ got _ _ linux _; do
        check_equal "$step: a ${size%:}-byte request at MTU 68: as many reply packets as Linux sends" \
            "$linux" "$got"
    done <<<"$counts"
    stop_step
    n=$((n + 1))
done
finish
