#!/usr/bin/env bash
# Every step in the lab against real ping (both socket modes) and tshark:
# the result must be the one measured for each stage of the original post
# (the table below, from GUIDE.md), and the normalized output must equal the
# transcript recorded from a real run in tests/transcripts/.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
    echo "$e2e_name: skipped: the lab needs namespaces and tun devices; run 'make test' as root (CI does)"
    exit 0
fi

declare -A expected_row=(
    [01-open-tun]="01-open-tun|no reply (100% loss)|no reply (100% loss)|no reply to check"
    [02-parse-ipv4]="02-parse-ipv4|no reply (100% loss)|no reply (100% loss)|no reply to check"
    [03-naive-reply]="03-naive-reply|replies, wrong data byte #16, time since 1970|no reply (100% loss)|ICMP checksum incorrect"
    [04-echo-payload]="04-echo-payload|replies (2 of 2)|no reply (100% loss)|ICMP checksum incorrect"
    [05-checksum]="05-checksum|replies (2 of 2)|replies (2 of 2)|ICMP checksum correct"
    [06-host-requirements]="06-host-requirements|replies (2 of 2)|replies (2 of 2)|ICMP checksum correct"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for dir in "$root"/steps/[0-9][0-9]-*/; do
    step=$(basename "$dir")
    LAB_DIR=$work PING="" "$root/scripts/lab.sh" "${step%%-*}" \
        --transcript "$work/$step.txt" --summary "$work/$step.row" >"$work/$step.out" 2>&1
    check_equal "$step: ping and Wireshark as measured for this stage" \
        "${expected_row[$step]:-a row in this test}" "$(cat "$work/$step.row" 2>/dev/null)"
    if diff -u "$root/tests/transcripts/$step.txt" "$work/$step.txt" >"$work/$step.diff"; then
        ok "$step: output matches tests/transcripts/$step.txt"
    else
        not_ok "$step: output matches tests/transcripts/$step.txt" "$(cat "$work/$step.diff")"
    fi
done
finish
