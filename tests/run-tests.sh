#!/usr/bin/env bash
# Runs the CMocka binaries given on the command line, then every end-to-end
# suite in tests/e2e, then checks that nothing was left behind. Ends with one
# line, "total: N passed, N failed", and a non-zero exit if anything failed.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

passed=0 failed=0 skipped=0
add() { passed=$((passed + $1)); failed=$((failed + $2)); }

for bin in "$@"; do
    echo "== $bin"
    out=$("$bin" 2>&1); status=$?
    printf '%s\n' "$out"
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' | tail -n 1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' | tail -n 1)
    add "${p:-0}" "${f:-0}"
    # A crash or a sanitizer report counts as a failure even when CMocka did
    # not get to print its summary.
    if [ "$status" != 0 ] && [ -z "$f" ]; then add 0 1; fi
done

namespaces_before=$(lsns -t net -n 2>/dev/null | wc -l)
tuns_before=$(ip -o link show type tun 2>/dev/null | wc -l)

for suite in tests/docs/test_*.sh tests/fuzz/test_*.sh tests/e2e/test_*.sh; do
    echo "== $suite"
    out=$(bash "$suite" 2>&1); status=$?
    printf '%s\n' "$out"
    last=$(printf '%s\n' "$out" | tail -n 1)
    case $last in
        *": skipped: "*) skipped=$((skipped + 1)) ;;
        *" passed, "*" failed")
            counts=${last##*: }
            add "${counts%% passed*}" "$(echo "$counts" | sed 's/.*, \([0-9]*\) failed/\1/')"
            if [ "$status" != 0 ] && [ "${counts#*, }" = "0 failed" ]; then add 0 1; fi ;;
        *) echo "not ok - $suite ended without its summary line (exit status $status)"; add 0 1 ;;
    esac
done

echo "== nothing left behind"
left=""
pgrep -f "$root/(bin|build/asan/bin)/[0-9]" >/dev/null && left="$left step processes;"
[ "$(lsns -t net -n 2>/dev/null | wc -l)" -gt "$namespaces_before" ] && left="$left network namespaces;"
[ "$(ip -o link show type tun 2>/dev/null | wc -l)" -gt "$tuns_before" ] && left="$left tun devices;"
if [ -z "$left" ]; then echo "ok - no step process, namespace or tun device outlives the tests"; add 1 0
else echo "not ok - left behind:$left"; add 0 1; fi

echo
[ "$skipped" = 0 ] || echo "($skipped end-to-end suites skipped: see above why)"
echo "total: $passed passed, $failed failed"
[ "$failed" = 0 ]
