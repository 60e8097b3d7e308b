#!/usr/bin/env bash
# The Linux kernel as a differential oracle: the same structured random
# packets go to each step from 06 on and to the kernel, and every
# difference in what comes back must be a row of docs/differences.md (see
# tools/difftest.c). Seeded, so `make test` runs the same cases every time:
#
#   DIFF_SEED=N DIFF_COUNT=N bash tests/e2e/test_differential.sh
#
# Besides the DIFF_COUNT single-packet cases, DIFF_FRAGMENTS (a tenth of
# them by default) datagrams cut into fragment sequences, with both tuns at
# MTU DIFF_MTU (1500); DIFF_STEPS="09 10" runs only those steps. DIFF_IPV6
# IPv6 cases (a quarter of DIFF_COUNT by default) follow, at MTU 1280 or
# more: every step is asked (steps 06 to 10 ignore IPv6, one row each).
#
# .ci/run adds a longer run with a fresh seed, which it prints.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

seed=${DIFF_SEED:-20261130}
count=${DIFF_COUNT:-20000}
strict=--strict-table
[ -n "${DIFF_SEED:-}" ] && strict=""    # a fresh seed may miss a rare row
repro=${DIFF_REPRO:-$(mktemp -d)}
trap 'stop_step 2>/dev/null; [ "$failed" != 0 ] || [ -n "${DIFF_REPRO:-}" ] || rm -rf "$repro"' EXIT

# The kernel's side: a second tun with 198.51.100.1/24 that it answers for,
# a default route through it (the step answers any source, so should the
# kernel be able to), and no ICMP rate limit so errors can be compared one
# by one.
ip link set lo up
ip tuntap add mode tun name tun1
ip addr add 198.51.100.1/24 dev tun1
ip addr add 198.51.100.7/24 dev tun1    # the image of the step's second address
# IPv6 (tools/difftest.c maps 2001:db8::/64 to 2001:db8:1::/64): no
# link-local address and no duplicate address detection, so that the
# kernel owns 2001:db8:1::1 at once and sends as little of its own as it
# can (its addresses are given in run_pass: an MTU below 1280 takes
# them away); no ICMPv6 rate limit either.
ip link set tun1 addrgenmode none
# No router advertisements either: one from a link-local source with hop
# limit 255 (difftest makes one now and then, on purpose) would set the
# kernel's hop limit for every reply after it, while the step, as the
# lesson says, learns nothing from a router on a tun.
sysctl -qw net.ipv6.conf.tun1.accept_ra=0
ip link set tun1 up
sysctl -qw net.ipv6.icmp.ratelimit=0
sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=1000000 \
    net.ipv4.icmp_msgs_burst=1000000
# A datagram a piece of which never comes is freed after ipfrag_time
# seconds (30 by default), with a "reassembly time exceeded" if its first
# fragment had come: 3 s on both sides, so that the run ends by comparing
# those errors too (difftest --ipfrag-time). Not 1 s: the kernel takes
# each fragment as it is written, the step when it gets the CPU, and on a
# loaded machine a step once paused over a second between two pieces of one
# sequence, so that the datagram timed out on its side and not on the
# kernel's. A longer time costs the run 2 s at each pairing of timeouts.
ipfrag_time=3
sysctl -qw net.ipv4.ipfrag_time=$ipfrag_time
# Step 11's --ipfrag-time sets IPv6's time too: the kernel's IPv6 the same.
sysctl -qw net.ipv6.ip6frag_time=$ipfrag_time
# Datagrams held for that second may pass Linux's 4 MB (ipfrag_high_thresh),
# which each side counts its own way (the kernel: each fragment's skb
# truesize), after which new fragments are refused: the run compares
# reassembly, not that limit, so both get 64 MB.
ipfrag_high_thresh=67108864
sysctl -qw net.ipv4.ipfrag_high_thresh=$ipfrag_high_thresh
sysctl -qw net.ipv6.ip6frag_high_thresh=$ipfrag_high_thresh    # step 11: both, as time
# The kernel cuts its replies to its route's MTU, the step to its tun's:
# both tuns get the same. From step 10 on, a second, shorter pass runs at
# MTU 1006, whose 986 bytes of room after a header are not a multiple of 8
# (the last fragment may fill them, the others may not), unless DIFF_MTU
# asks for one MTU.
mtu=${DIFF_MTU:-1500}
fragments=${DIFF_FRAGMENTS:-$((count / 10))}
ipv6=${DIFF_IPV6:-$((count / 4))}

# run_pass STEP MTU COUNT FRAGMENTS IPV6 [--strict-table]: one difftest run
# against STEP: COUNT single-packet cases, FRAGMENTS fragment sequences and
# IPV6 IPv6 cases.
run_pass() {
    local name=$1 pass_mtu=$2 pass_count=$3 pass_fragments=$4 pass_ipv6=$5 pass_strict=${6:-} limits=()
    # Two addresses of its own (tools/difftest.c maps 192.0.2.7 to the
    # kernel's 198.51.100.7), as the lab's default plus one.
    # From step 09 on the step has ICMP rate limits as the kernel does: off
    # here too, so that every error can be compared (test_ratelimit.sh
    # compares the limits themselves).
    [[ $name < 09 ]] || limits=(--icmp-ratelimit 0 --icmp-msgs-per-sec 0)
    [[ $name < 10 ]] || limits+=(--ipfrag-time "$ipfrag_time" --ipfrag-high-thresh "$ipfrag_high_thresh")
    # From step 11 on, its IPv6 addresses too (the kernel's images:
    # 2001:db8:1::1 and 2001:db8:1::7).
    [[ $name < 11 ]] || limits+=(--address 2001:db8::2/64 --address 2001:db8::7/64)
    ip link set tun1 mtu "$pass_mtu"
    if [ "$pass_mtu" -ge 1280 ]; then
        # An MTU below 1280 (a pass before this one) took IPv6 away from
        # tun1, settings and all: back at 1280 it starts afresh, taking
        # router advertisements again. Say no again.
        sysctl -qw net.ipv6.conf.tun1.accept_ra=0
        ip addr replace 2001:db8:1::1/64 dev tun1 nodad
        ip addr replace 2001:db8:1::7/64 dev tun1 nodad    # the image of the step's second
    fi
    STEP_BIN_DIR=build/asan/bin start_step "$name" --address 192.0.2.2/24 --address 192.0.2.7/24 \
        "${limits[@]}"
    sysctl -qw net.ipv6.conf.tun0.disable_ipv6=1
    ip route replace default dev tun1
    [ "$pass_mtu" -lt 1280 ] || ip -6 route replace default dev tun1
    if [ "$pass_mtu" != 1500 ]; then
        ip link set tun0 mtu "$pass_mtu"
        sleep 1.2                       # the step reads its tun's MTU once a second
    fi
    local out status summary again what="$name"
    [ "$pass_mtu" = "$mtu" ] || what="$name at MTU $pass_mtu"
    out=$("$root/build/tools/difftest" -i tun0 -k tun1 --table "$root/docs/differences.md" \
              --step "$name" --seed "$seed" --count "$pass_count" --fragments "$pass_fragments" \
              --ipfrag-time "$ipfrag_time" --ipv6 "$pass_ipv6" --repro "$repro" $pass_strict 2>&1)
    status=$?
    printf '%s\n' "$out" | sed 's/^/    /'
    summary=$(printf '%s\n' "$out" | grep '^difftest: [0-9]* cases (' | tail -n 1)
    again="again: DIFF_SEED=$seed DIFF_COUNT=$pass_count DIFF_FRAGMENTS=$pass_fragments DIFF_IPV6=$pass_ipv6 DIFF_MTU=$pass_mtu DIFF_STEPS=${name%%-*} bash tests/e2e/test_differential.sh"
    if [ $status = 0 ]; then
        ok "$what: every difference from the kernel is in docs/differences.md (${summary#difftest: })"
    elif grep -q '^UNEXPLAINED' <<<"$out"; then
        not_ok "$what: differences from the kernel that docs/differences.md does not explain (reproducers above, captures in $repro; $again)"
    elif grep -q 'rows explained nothing' <<<"$out"; then
        not_ok "$what: rows of docs/differences.md that no case needs any more: remove them ($again)"
    else
        not_ok "$what: the comparison could not run (see above)"
    fi
    stop_step
    check_equal "$what: survives the run and stops cleanly" 0 "$step_status"
}

# Two single-packet cases that send fragments never share an identification
# in one run (FRAGMENT_IDS in tools/difftest.c): a datagram one of them
# leaves held is found by the other if it is still there, and when the
# other came about ipfrag_time later, whether the time exceeded was sent
# depended on whose clock ran out first (the default seed's cases 254 and
# 10338: now and then one 11/1 without a partner); one comes back only
# after 16384 such cases, long after its datagram timed out. A lone tail
# ("frag/tail", identifications of their own) holds no first fragment, so
# it never times out with an error.
reused=$("$root/build/tools/difftest" --list-fragments --seed "$seed" --count "$count" |
         awk '$2 != "frag/tail" {
                  if (($3 in at) && k - at[$3] < 16384)
                      print "case " $1 " (" $2 ") has the identification 0x" $3 " of case " case_of[$3]
                  at[$3] = k++; case_of[$3] = $1 }')
check_equal "seed $seed: no two single-packet fragment cases within 16384 of each other share an identification" "" "$reused"

# The steps there are (not whatever an older build left in build/asan/bin).
for dir in "$root"/steps/[0-9][0-9]-*/; do
    name=$(basename "$dir")
    [[ $name < 06 ]] && continue
    if [ -n "${DIFF_STEPS:-}" ] && ! grep -qw "${name%%-*}" <<<"$DIFF_STEPS"; then
        continue
    fi
    run_pass "$name" "$mtu" "$count" "$fragments" "$ipv6" $strict
    if [[ ! $name < 10 ]] && [ -z "${DIFF_MTU:-}" ]; then
        run_pass "$name" 1006 $((count / 10)) "$fragments" 0
    fi
done
finish
