#!/usr/bin/env bash
# make check STEP=NN [BIN=path]: does a learner's step work, and if not,
# which byte is wrong?
#
# Without BIN, it builds the learner's copy (workshop/NN-name, made by
# `make exercise STEP=NN`) against the same CMocka tests as the solution,
# then, where this machine allows namespaces, runs it in the lab against
# real ping (both socket modes) and tshark. With BIN, it runs only the live
# checks, against any program that creates tun0 itself: a learner writing
# in Rust, Go or Python can check their work too.
#
# WORKSHOP_DIR (default ./workshop) says where the learner's copies are.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
number=${1:-}
bin=${2:-}
[ -n "$number" ] || { echo "check: say which step, for example 'make check STEP=04'." >&2; exit 2; }
step=$(cd "$root/steps" && ls -d "$number"-* 2>/dev/null | head -n 1)
[ -n "$step" ] || { echo "check: there is no step '$number': choose one of $(cd "$root/steps" && echo [0-9]*)." >&2; exit 2; }
number=${step%%-*}
workshop=$(realpath -m "${WORKSHOP_DIR:-$root/workshop}")
learner=$workshop/$step
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS  $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; [ $# -lt 2 ] || printf '%s\n' "$2" | sed 's/^/        /'; }

echo "=== make check STEP=$number: $step${bin:+ (program: $bin)}"

# ---- the same unit tests as the solution's --------------------------------
if [ -z "$bin" ]; then
    if [ ! -d "$learner" ]; then
        echo "check: there is no copy of $step to check yet: run 'make exercise STEP=$number' first." >&2
        exit 2
    fi
    # The learner's files replace the solution's; the rest of common/ stays.
    sources=()
    for c in "$root"/common/*.c; do
        if [ -f "$learner/$(basename "$c")" ]; then sources+=("$learner/$(basename "$c")"); else sources+=("$c"); fi
    done
    flags=(-std=gnu11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -I"$root/common")
    mkdir -p "$learner/build"
    if cc "${flags[@]}" -o "$learner/build/$step" "$learner/main.c" "${sources[@]}" -lpcap 2>"$work/cc.err"; then
        pass "your copy compiles: $learner/build/$step"
    else
        fail "your copy compiles" "$(head -n 30 "$work/cc.err")"
        echo; echo "$passed passed, $failed failed"; exit 1
    fi
    [ -s "$work/cc.err" ] && echo "      (with warnings: $(grep -c 'warning:' "$work/cc.err"); see 'make check' above them)"

    # The step's tests, and those of every common/ module the learner wrote.
    tests=("$root"/tests/steps/test_${number}_*.c)
    for c in "$learner"/*.c; do
        t=$root/tests/unit/test_$(basename "$c")
        [ -f "$t" ] && tests+=("$t")
    done
    for t in "${tests[@]}"; do
        name=$(basename "$t" .c)
        if ! cc "${flags[@]}" -I"$workshop" -I"$root/steps" -I"$root/tests" -DPROJECT_ROOT="\"$root\"" \
                -fsanitize=address,undefined -fno-sanitize-recover=all \
                -o "$work/$name" "$t" "${sources[@]}" -lcmocka -lpcap 2>"$work/$name.err"; then
            fail "$name builds against your copy" "$(head -n 20 "$work/$name.err")"
            continue
        fi
        "$work/$name" >"$work/$name.out" 2>&1
        # One line per test case, with what CMocka said about a failure.
        awk -v suite="$name" '
            /^\[ RUN      \] / { test = $4; detail = ""; next }
            /^\[       OK \] / && test != "" { print "PASS  " suite ": " test; test = ""; next }
            /^\[  FAILED  \] / && test != "" { print "FAIL  " suite ": " test; printf "%s", detail; test = ""; next }
            test != "" { sub(/^\[  ERROR   \] --- /, ""); sub(/^\[   LINE   \] --- /, "at ");
                         detail = detail "        " $0 "\n" }
        ' "$work/$name.out" >"$work/$name.report"
        cat "$work/$name.report"
        passed=$((passed + $(grep -c '^PASS' "$work/$name.report")))
        failed=$((failed + $(grep -c '^FAIL' "$work/$name.report")))
        if ! grep -q '^\[  PASSED  \]\|^\[  FAILED  \]' "$work/$name.out"; then
            fail "$name ran to the end" "$(tail -n 20 "$work/$name.out")"
        fi
    done
    program=$learner/build/$step
    foreign=""
else
    program=$(realpath "$bin")
    foreign=1
fi

# ---- real ping and tshark --------------------------------------------------
can_live=""
if [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then can_live=1
elif unshare --user --map-root-user --net true 2>/dev/null; then can_live=1; fi
if [ -z "$can_live" ]; then
    echo "SKIP  the live checks: this machine lets no one here create a network namespace (try sudo)"
else
    expected=$(grep "^$step|" "$root/tests/transcripts/results.txt")
    IFS='|' read -r _ want_raw want_dgram want_wireshark <<<"$expected"
    LAB_DIR=$work/lab LAB_BIN=$program LAB_FOREIGN=$foreign PING="" \
        "$root/scripts/lab.sh" "$number" --summary "$work/row" >"$work/lab.out" 2>&1
    if [ ! -s "$work/row" ]; then
        fail "it runs in the lab and creates tun0" "$(tail -n 15 "$work/lab.out")"
    else
        IFS='|' read -r _ got_raw got_dgram got_wireshark <"$work/row"
        live() {
            if [ "$2" = "$3" ]; then pass "$1: $3"
            else fail "$1: expected '$2', got '$3'" "$(sed -n "/^--- $4/,/^---/p" "$work/lab.out" | sed '1d;$d' | head -n 12)"; fi
        }
        live "ping with a raw socket" "$want_raw" "$got_raw" "ping 192.0.2.2 with a raw"
        live "ping with a datagram socket" "$want_dgram" "$got_dgram" "ping 192.0.2.2 with a datagram"
        live "Wireshark on the reply" "$want_wireshark" "$got_wireshark" "tshark on the first reply"
        if [ "$number" -ge 5 ]; then
            # An odd size: where a checksum that forgets the last byte shows.
            LAB_DIR=$work/lab LAB_BIN=$program LAB_FOREIGN=$foreign PING="-s 57" \
                "$root/scripts/lab.sh" "$number" --summary "$work/row57" >"$work/lab57.out" 2>&1
            IFS='|' read -r _ got_raw got_dgram got_wireshark <"$work/row57" 2>/dev/null || true
            live "ping -s 57, datagram socket" "replies (2 of 2)" "${got_dgram:-nothing}" "ping 192.0.2.2 with a datagram"
            live "ping -s 57, Wireshark on the reply" "ICMP checksum correct" "${got_wireshark:-nothing}" "tshark on the first reply"
        fi
    fi
fi

echo
echo "$step: $passed passed, $failed failed"
[ "$failed" = 0 ]
