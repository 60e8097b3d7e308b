#!/usr/bin/env bash
# Runs every test binary given on the command line, then the end-to-end
# suites, and ends with one line: "N passed, N failed". Exits non-zero if
# anything failed.
set -u

passed=0 failed=0
for bin in "$@"; do
    echo "== $bin"
    out=$("$bin" 2>&1); status=$?
    printf '%s\n' "$out"
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' | tail -n 1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' | tail -n 1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    # A crash (a sanitizer report, say) counts as a failure even when CMocka
    # never got to print its summary.
    if [ "$status" != 0 ] && [ -z "$f" ]; then failed=$((failed + 1)); fi
done

echo
echo "unit tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
