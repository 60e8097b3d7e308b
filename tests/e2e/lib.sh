# Sourced by every end-to-end test: checks that count, a private network
# namespace, and a step running on tun0 inside it.
#
# A test prints "ok - ..." or "not ok - ..." per check and ends with
# "NAME: N passed, N failed" (tests/run-tests.sh adds these up), or with
# "NAME: skipped: why" where this machine cannot create namespaces.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
e2e_name=$(basename "$0" .sh)
passed=0 failed=0

ok()     { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; [ $# -lt 2 ] || printf '%s\n' "$2" | sed 's/^/    /'; }

# check "what" command...: ok when the command succeeds.
check() {
    local what=$1; shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# check_equal "what" expected actual
check_equal() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected: $2
got:      $3"; fi
}

# check_contains "what" needle haystack
check_contains() {
    case $3 in *"$2"*) ok "$1" ;; *) not_ok "$1" "expected to find: $2
in: $3" ;; esac
}

# check_lacks "what" needle haystack
check_lacks() {
    case $3 in *"$2"*) not_ok "$1" "found: $2" ;; *) ok "$1" ;; esac
}

finish() {
    echo "$e2e_name: $passed passed, $failed failed"
    [ "$failed" = 0 ]
}

# require_root WHAT: skips the test, saying why, unless we are root.
require_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "$e2e_name: skipped: $1 needs namespaces and tun devices; run 'make test' as root (CI does)"
        exit 0
    fi
}

# Runs the rest of the test inside its own network and PID namespaces (as
# root), so that whatever happens, nothing outlives it. Elsewhere it says
# why it is skipped.
enter_namespace() {
    [ -n "${ICMP_STEPS_E2E_INSIDE:-}" ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "$e2e_name: skipped: end-to-end tests create network namespaces and tun devices; run 'make test' as root (CI does)"
        exit 0
    fi
    if ! unshare --net true 2>/dev/null; then
        echo "$e2e_name: skipped: this machine does not allow network namespaces (unshare --net failed)"
        exit 0
    fi
    ICMP_STEPS_E2E_INSIDE=1 exec unshare --net --pid --mount-proc --kill-child "$0" "$@"
}

# start_step BIN [ARGS...]: runs a step on tun0 (192.0.2.1/24, up), with its
# standard output in $step_log; sets $step_pid. STEP_BIN_DIR=build/asan/bin
# runs the build with sanitizers instead of bin/.
start_step() {
    local bin=$1; shift
    step_log=$(mktemp)
    ip link set lo up
    "$root/${STEP_BIN_DIR:-bin}/$bin" -i tun0 "$@" >"$step_log" 2>&1 &
    step_pid=$!
    for _ in $(seq 100); do ip link show tun0 >/dev/null 2>&1 && break; sleep 0.05; done
    ip addr add 192.0.2.1/24 dev tun0
    ip link set tun0 up
    wait_for_link tun0
}

# wait_for_link IFNAME: until the kernel sends through it (see
# scripts/link-ready.sh).
wait_for_link() {
    "$root/scripts/link-ready.sh" "$1"
}

# stop_step: SIGTERM, and the step's exit status in $step_status.
stop_step() {
    kill -TERM "$step_pid" 2>/dev/null
    step_status=0
    wait "$step_pid" || step_status=$?
}
# ping_with raw|datagram ARGS...: iputils ping with that kind of socket.
ping_with() {
    local kind=$1; shift
    if [ "$kind" = raw ]; then
        sysctl -qw net.ipv4.ping_group_range="1 0"
    else
        sysctl -qw net.ipv4.ping_group_range="0 2147483647"
    fi
    ping "$@" 2>&1 || true
}
