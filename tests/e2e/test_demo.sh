#!/usr/bin/env bash
# make demo says whether its tables are the README's, and when they are
# not, which rows differ and why they might. Its Part 2 table is measured:
# each step's row beside Linux's, measured in the same labs.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_root "the demo"

out=$(cd "$root" && PING="-c 1" scripts/demo.sh 2>&1)
check_contains "with PING='-c 1': it says the table differs" "This table differs from README.md's" "$out"
check_contains "and shows the row as here" "  here:   05-checksum|replies (1 of 1)|replies (1 of 1)|ICMP checksum correct" "$out"
check_contains "beside the README's" "  README: 05-checksum|replies (2 of 2)|replies (2 of 2)|ICMP checksum correct" "$out"
for step in 06-host-checks 07-ip-options 08-least-privilege 09-icmp-errors 10-fragments 11-ipv6; do
    check_contains "$step: its row as here" "  here:   $step|replies (1 of 1)|replies (1 of 1)|ICMP checksum correct" "$out"
    check_contains "$step: beside the README's" "  README: $step|replies (2 of 2)|replies (2 of 2)|ICMP checksum correct" "$out"
done
check_contains "and why it might" "Why it might: PING='-c 1' changes what ping sends" "$out"

# Part 2's table: the tools run as they are, whatever PING says, so it is
# the README's (tests/transcripts/tools.txt), Linux's row included.
check_contains "Part 2's table is printed" "=== Part 2: what each step gets from the tools" "$out"
check_contains "and is the README's" \
    "This is the table in README.md (tests/transcripts/tools.txt): every step behaves here as it was measured." "$out"
table=$(sed -n '/^=== Part 2/,/^$/p' <<<"$out")
for step in 06-host-checks 07-ip-options 08-least-privilege 09-icmp-errors 10-fragments 11-ipv6 Linux; do
    check "it has a row for $step" grep -q "^$step " <<<"$table"
done
check_contains "a learner sees which step first satisfies traceroute" \
    "traceroute: 09-icmp-errors is the first step of Part 2 that gets what Linux gets (ends at hop 1)" "$out"
check_contains "and ping -R" \
    "ping -R: 07-ip-options is the first step of Part 2 that gets what Linux gets (replies, RR: 4 addresses)" "$out"
check_contains "and a connected UDP socket" \
    "connected UDP socket: 09-icmp-errors is the first step of Part 2 that gets what Linux gets (2nd send: Connection refused)" "$out"
check_contains "and ping -s 4000, whose request and reply are fragments" \
    "ping -s 4000: 10-fragments is the first step of Part 2 that gets what Linux gets (replies (2 of 2))" "$out"
check_contains "and ping -6, traceroute -6 and tracepath -6, IPv6" \
    "ping -6: 11-ipv6 is the first step of Part 2 that gets what Linux gets (replies (2 of 2))" "$out"
check_contains "  traceroute -6" \
    "traceroute -6: 11-ipv6 is the first step of Part 2 that gets what Linux gets (ends at hop 1)" "$out"
check_contains "  tracepath -6" \
    "tracepath -6: 11-ipv6 is the first step of Part 2 that gets what Linux gets (reached at hop 1)" "$out"
finish
