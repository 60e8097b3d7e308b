#!/usr/bin/env bash
# Every step in the lab against real ping (both socket modes) and tshark:
# the result must be the one measured for each stage of the original post
# (tests/transcripts/results.txt), and the normalized output must equal the
# transcript recorded from a real run in tests/transcripts/.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_root "the lab"

# The expected row of each step: tests/transcripts/results.txt, GUIDE.md's
# table of what real ping and tshark make of each stage.
declare -A expected_row=()
while IFS= read -r row; do
    expected_row[${row%%|*}]=$row
done < <(tail -n +2 "$root/tests/transcripts/results.txt")

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
