#!/usr/bin/env bash
# Honest exercises: for every step, the starter that `make exercise` makes
# builds, runs, does the previous step's job, and fails that step's checks;
# the solution passes them. And `make check BIN=...` judges any program.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_root "the live checks"

work=$(mktemp -d)
summary() { sed -n 's/^[0-9][0-9]-[a-z0-9-]*: \([0-9]* passed, [0-9]* failed.*\)/\1/p' "$1"; }
trap 'rm -rf "$work"' EXIT
previous=""
for dir in "$root"/steps/[0-9][0-9]-*/; do
    step=$(basename "$dir")
    n=${step%%-*}
    python3 "$root/tools/workshop.py" exercise "$n" --dir "$work/starter" >/dev/null
    python3 "$root/tools/workshop.py" solution "$n" --dir "$work/solution" >/dev/null

    WORKSHOP_DIR=$work/starter "$root/scripts/check.sh" "$n" >"$work/$n-starter.out" 2>&1
    status=$?
    check "$step: the starter builds" grep -q '^PASS  your copy compiles' "$work/$n-starter.out"
    if [ $status != 0 ] && grep -q '^FAIL' "$work/$n-starter.out"; then
        ok "$step: the starter fails make check ($(summary "$work/$n-starter.out"))"
    else
        not_ok "$step: the starter fails make check: an exercise must check something" \
            "$(tail -n 20 "$work/$n-starter.out")"
    fi
    WORKSHOP_DIR=$work/solution "$root/scripts/check.sh" "$n" >"$work/$n-solution.out" 2>&1
    if [ $? = 0 ]; then
        ok "$step: the solution passes make check ($(summary "$work/$n-solution.out"))"
    else
        not_ok "$step: the solution passes make check" "$(grep -A6 '^FAIL' "$work/$n-solution.out" | head -n 30)"
    fi

    # The starter does at least what the previous step did, to real ping.
    if [ -n "$previous" ]; then
        LAB_DIR=$work/lab LAB_BIN=$work/starter/$step/build/$step \
            "$root/scripts/lab.sh" "$n" --summary "$work/$n.row" --tools-summary "$work/$n.tools" >/dev/null 2>&1
        want=$(grep "^$previous|" "$root/tests/transcripts/results.txt" | cut -d'|' -f2-)
        check_equal "$step: the starter does step ${previous%%-*}'s job" "$want" \
            "$(cut -d'|' -f2- "$work/$n.row" 2>/dev/null)"
        # And, in Part 2, gets from each real tool what step NN-1 gets, or
        # what Linux gets (the starter may already do more than the exercise
        # asks: step 09's sends TCP resets).
        if [ "$((10#$n))" -ge 7 ]; then
            want=$(grep "^$previous|" "$root/tests/transcripts/tools.txt" | cut -d'|' -f2-)
            linux=$(grep '^Linux|' "$work/$n.tools" 2>/dev/null | cut -d'|' -f2-)
            got=$(grep -v '^Linux|' "$work/$n.tools" 2>/dev/null | cut -d'|' -f2-)
            worse=$(paste -d'\n' <(tr '|' '\n' <<<"$want") <(tr '|' '\n' <<<"$linux") <(tr '|' '\n' <<<"$got") |
                    paste - - - | awk -F'\t' '$3 != $1 && $3 != $2 { print "  " $3 " (step before: " $1 ", Linux: " $2 ")" }')
            if [ -n "$got" ] && [ -n "$linux" ] && [ -z "$worse" ]; then
                ok "$step: the starter gets from traceroute, tracepath, nc what step ${previous%%-*} or Linux gets"
            else
                not_ok "$step: the starter gets from traceroute, tracepath, nc what step ${previous%%-*} or Linux gets" \
                    "${worse:-no row: $(cat "$work/$n.tools" 2>/dev/null)}"
            fi
        fi
    fi
    previous=$step
done

# Bring your own program: anything that creates tun0 and answers.
"$root/scripts/check.sh" 05 "$root/bin/05-checksum" >"$work/bin-good.out" 2>&1
if [ $? = 0 ]; then ok "make check STEP=05 BIN=bin/05-checksum passes"
else not_ok "make check STEP=05 BIN=bin/05-checksum passes" "$(cat "$work/bin-good.out")"; fi
"$root/scripts/check.sh" 05 "$root/bin/04-echo-payload" >"$work/bin-bad.out" 2>&1
check_equal "make check STEP=05 BIN=bin/04-echo-payload fails" 1 $?
check_contains "and says what is wrong" \
    "FAIL  ping with a datagram socket: expected 'replies (2 of 2)', got 'no reply (100% loss)'" \
    "$(cat "$work/bin-bad.out")"
finish
