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

# What the tests create, to check at the end that it is gone. Other programs
# on this machine may make and remove namespaces and tuns meanwhile, so only
# what is the project's counts: a network namespace that one of the
# project's programs (its bin/, build/, scripts/ or tests/) holds, and a tun
# in this namespace with a name the tests use (tun0 ... tun9).
project_namespaces() {
    local pid
    for pid in $(pgrep -f "$root/(bin|build|scripts|tests)/"); do
        [ "$pid" = $$ ] || readlink "/proc/$pid/ns/net" 2>/dev/null
    done | sort -u
}
project_tuns() {
    ip -o link show type tun 2>/dev/null | sed -n 's/^[0-9]*: \(tun[0-9]\)[:@].*/\1/p' | sort
}
namespaces_before=$(project_namespaces)
tuns_before=$(project_tuns)

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
new=$(comm -13 <(echo "$namespaces_before") <(project_namespaces) | grep -v "^$(readlink /proc/$$/ns/net)$" | tr '\n' ' ')
[ -n "$new" ] && left="$left network namespaces held by the project's programs ($new);"
new=$(comm -13 <(echo "$tuns_before") <(project_tuns) | tr '\n' ' ')
[ -n "$new" ] && left="$left tun devices ($new);"
if [ -z "$left" ]; then echo "ok - no step process, namespace or tun device outlives the tests"; add 1 0
else echo "not ok - left behind:$left"; add 0 1; fi

echo
[ "$skipped" = 0 ] || echo "($skipped end-to-end suites skipped: see above why)"
echo "total: $passed passed, $failed failed"
[ "$failed" = 0 ]
