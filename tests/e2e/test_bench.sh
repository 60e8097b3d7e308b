#!/usr/bin/env bash
# `make bench` runs and prints its whole table: a benchmark, not a timed
# test, so nothing here depends on how fast anything is, only that every
# row is there with a figure and that no step lost a packet; part 4 (a UDP
# flood, the kernel beside steps 09 and 10) prints every count; part 5 (a
# flood of fragments, the kernel beside step 10) every count, and that no
# one's memory grew past its limit. Tiny counts
# (BENCH_RUNS=1, 0.2 s) keep it short.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_root "the benchmark"
if ! unshare --net true 2>/dev/null; then
    echo "$e2e_name: skipped: this machine does not allow network namespaces (unshare --net failed)"
    exit 0
fi

steps=(03-naive-reply 04-echo-payload 05-checksum 08-least-privilege 09-icmp-errors 10-fragments
       11-ipv6)
out=$(cd "$root" && BENCH_RUNS=1 BENCH_SECONDS=0.2 BENCH_CALLS=1000 BENCH_CALLGRIND=0 \
      timeout 300 scripts/bench.sh "${steps[@]}" 2>&1)
status=$?
check_equal "scripts/bench.sh ends with status 0" 0 "$status"

number='[0-9]+(\.[0-9]+)?'
for step in "${steps[@]}"; do
    for r in default s1472; do
        check "part 1: $step, $r: nanoseconds per packet" \
            grep -Eq "^$step +$r +[0-9]+ " <<<"$out"
    done
done
for payload in 56 1400; do
    for window in 1 32; do
        for responder in "the kernel (veth)" "bare loop (tools/)" "bare loop, again" "${steps[@]}"; do
            row=$(grep -F "$responder" <<<"$out" | grep -E "^.{22} +$payload +$window " | head -n 1)
            what="part 2: $responder, payload $payload, window $window"
            if grep -Eq " [1-9][0-9]* +$number +$number +[0-9]+ +[0-9]+ +($number|-)$" <<<"$row"; then
                ok "$what: replies a second, both ratios, CPU time a reply"
            else
                not_ok "$what: replies a second, both ratios, CPU time a reply" "row: ${row:-(none)}"
            fi
        done
        # Answering steps and yardsticks lose nothing (03 and 04 answer
        # wrongly on purpose: their replies count as bad, not lost).
        for responder in "the kernel (veth)" "bare loop (tools/)" "bare loop, again" 05-checksum 08-least-privilege 09-icmp-errors 10-fragments; do
            row=$(grep -F "$responder" <<<"$out" | grep -E "^.{22} +$payload +$window " | head -n 1)
            check "part 2: $responder, payload $payload, window $window: no loss, no bad reply" \
                grep -Eq " 0 +0 +[^ ]+$" <<<"$row"
        done
    done
done
for step in "${steps[@]}"; do
    check "part 3: $step: how long SIGTERM took, idle, under a flood, with stdout stalled" \
        grep -Eq "^$step +idle: +median +$number ms, worst +$number ms$" <<<"$out"
    below=$(grep -A2 -E "^$step +idle:" <<<"$out")
    for wait in flood stalled; do
        check "part 3: $step: how long SIGTERM took, $wait" \
            grep -Eq "^ +$wait: +median +$number ms, worst +$number ms$" <<<"$below"
    done
done
# Part 4, for the steps that send errors: the kernel and step 09, from one
# source and from 200, each with every count (not how many: that is
# tests/e2e/test_ratelimit.sh's).
check "part 4: its heading" grep -q "^== 4. a flood of UDP to closed ports" <<<"$out"
for responder in "the kernel (veth)" 09-icmp-errors 10-fragments; do
    for sources in 1 200; do
        check "part 4: $responder, $sources source(s): sent/s, received, errors sent, rate-limited, errors/s, errors a datagram" \
            grep -Eq "^$(sed 's/[()]/\\&/g' <<<"$responder") +$sources +[1-9][0-9]* +[1-9][0-9]* +[0-9]+ +[0-9]+ +[0-9]+ +$number$" <<<"$out"
    done
done
check_lacks "part 4: not for steps that send no errors" "08-least-privilege            1 " \
    "$(sed -n '/^== 4/,$p' <<<"$out")"
# Part 5, for the steps that reassemble: the kernel and steps 10 and 11
# under a flood of first fragments, with the default limit and a small
# one; then IPv6's, the kernel's and step 11's. The small one is reached
# even in 0.2 s (some fragments refused), and none grows past a limit (the
# verdict: scripts/bench.sh allows 128 kB for the last fragment and the
# pages).
check "part 5: its heading" grep -q "^== 5. a flood of incomplete datagrams" <<<"$out"
for responder in "the kernel (veth)" 10-fragments 11-ipv6 "the kernel, IPv6" "11-ipv6, IPv6"; do
    for limit in 4096 256; do
        refused='[0-9]+'
        [ "$limit" = 4096 ] || refused='[1-9][0-9]*'
        check "part 5: $responder, limit $limit kB: sent/s, held, refused, lost, memory before and after, growth, x limit: held to the limit" \
            grep -Eq "^$(sed 's/[()]/\\&/g' <<<"$responder") +$limit kB +[1-9][0-9]* +[1-9][0-9]* +$refused +[0-9]+ +[0-9]+ kB +[0-9]+ kB +-?[0-9]+ kB +$number +held to the limit$" <<<"$out"
    done
done
check_lacks "part 5: not for steps that do not reassemble" "09-icmp-errors   " "$(sed -n '/^== 5/,$p' <<<"$out")"
check_lacks "part 5: IPv6 only for the steps that speak it" "10-fragments, IPv6" "$(sed -n '/^== 5/,$p' <<<"$out")"
[ "$failed" = 0 ] || printf '%s\n' "$out" | sed 's/^/    | /'
finish
