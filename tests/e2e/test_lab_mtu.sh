#!/usr/bin/env bash
# The lab takes an MTU: `ping -s 8000` at the default 1500 reaches the step
# as IPv4 fragments, which no step before reassembly answers; with MTU=9000
# it arrives whole and is answered. A bad MTU gets one sentence.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_root "the lab"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
LAB_DIR=$work PING="-s 8000 -c 1" "$root/scripts/lab.sh" 05 --summary "$work/1500.row" >"$work/1500.out" 2>&1
check_equal "ping -s 8000 at MTU 1500: fragments, no reply" "no reply (100% loss)" \
    "$(cut -d'|' -f2 "$work/1500.row" 2>/dev/null)"
check_contains "and the step says they came as fragments" "this step does not reassemble" "$(cat "$work/1500.out")"
LAB_DIR=$work LAB_MTU=9000 PING="-s 8000 -c 1" "$root/scripts/lab.sh" 5 --summary "$work/9000.row" >"$work/9000.out" 2>&1
check_equal "make lab STEP=5 MTU=9000 PING='-s 8000': answered" "replies (1 of 1)" \
    "$(cut -d'|' -f2 "$work/9000.row" 2>/dev/null)"
out=$(cd "$root" && make -s lab STEP=05 MTU=big 2>&1)
check_contains "MTU=big: one sentence" "lab: MTU 'big' is not one a tun takes: give a number from 68 to 65535" "$out"
finish
