#!/usr/bin/env bash
# What tests/fixtures/fragments/sequences.txt claims Linux does with each fragment
# sequence, measured on this kernel: see tests/docs/kernel_fragments.py; and
# sequences6.txt for IPv6, tests/docs/kernel_fragments6.py.
# tests/unit/test_reassembly.c holds common/reassembly.c to the same file.
set -uo pipefail
source "$(dirname "$0")/../e2e/lib.sh"
require_root "writing fragments into a tun"
out=$(python3 "$root/tests/docs/kernel_fragments.py" 2>&1
      python3 "$root/tests/docs/kernel_fragments6.py" 2>&1)
printf '%s\n' "$out"
passed=$((passed + $(printf '%s\n' "$out" | grep -c '^ok - ')))
failed=$((failed + $(printf '%s\n' "$out" | grep -c '^not ok - ')))
[ "$passed" -gt 0 ] || not_ok "kernel_fragments.py ran" "$out"
finish
