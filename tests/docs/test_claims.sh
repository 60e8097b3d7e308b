#!/usr/bin/env bash
# What the lessons claim the kernel does with a bad reply, measured: see
# tests/docs/kernel_claims.py. Claims about commands' output are checked by
# test_commands.sh, which runs the commands.
set -uo pipefail
source "$(dirname "$0")/../e2e/lib.sh"
require_root "writing replies into a tun"
out=$(unshare --net python3 "$root/tests/docs/kernel_claims.py" 2>&1)
printf '%s\n' "$out"
passed=$(printf '%s\n' "$out" | grep -c '^ok - ')
failed=$(printf '%s\n' "$out" | grep -c '^not ok - ')
[ "$passed" -gt 0 ] || not_ok "kernel_claims.py ran" "$out"
finish
