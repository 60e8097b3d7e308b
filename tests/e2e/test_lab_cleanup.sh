#!/usr/bin/env bash
# The lab leaves nothing behind, however it ends: Ctrl-C, a crash of the
# step, or the lab itself killed outright. "Nothing" is no step process, not
# the lab's network namespace, and no tun device left on the machine.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_root "the lab"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Only the lab's tun counts (tun0): other programs on this machine may make
# and remove tuns meanwhile.
tuns() { ip -o link show type tun 2>/dev/null | grep -c '^[0-9]*: tun0[:@]'; }
steps_running() { pgrep -f "$root/bin/05-checksum" | wc -l; }
before_tuns=$(tuns)

# start_lab: the lab on step 05 with a long ping, in its own session as a
# terminal would run it; sets lab_pid and waits until the step runs.
start_lab() {
    LAB_DIR=$work/lab PING="-c 100 -i 0.2" setsid "$root/scripts/lab.sh" 05 >"$work/lab.out" 2>&1 &
    lab_pid=$!
    for _ in $(seq 100); do [ "$(steps_running)" -gt 0 ] && break; sleep 0.05; done
    # The lab's own network namespace, by inode: other jobs on the machine
    # may make and drop namespaces meanwhile, so counting them all would lie.
    lab_ns=$(readlink "/proc/$(pgrep -f "$root/bin/05-checksum" | head -n 1)/ns/net" 2>/dev/null | tr -dc 0-9)
    sleep 0.5
}
lab_ns_left() { [ -n "$lab_ns" ] && lsns -t net -n -o NS 2>/dev/null | grep -qx "$lab_ns" && echo 1 || echo 0; }
left_behind() {    # what: nothing may be left
    for _ in $(seq 50); do
        [ "$(steps_running)" = 0 ] && [ "$(lab_ns_left)" = 0 ] && break
        sleep 0.1
    done
    check_equal "$1: no step process left" 0 "$(steps_running)"
    check_equal "$1: the lab's network namespace is gone" 0 "$(lab_ns_left)"
    check_equal "$1: no tun device left" "$before_tuns" "$(tuns)"
}

start_lab
check "the lab's step is running" test "$(steps_running)" -gt 0
check "and its network namespace is found" test -n "$lab_ns"
kill -INT -- -"$lab_pid"                 # Ctrl-C: SIGINT to the whole group
started=$SECONDS
wait "$lab_pid"
check "Ctrl-C ends the lab at once (its pings had 20 s to go)" test $((SECONDS - started)) -le 5
left_behind "after Ctrl-C"

start_lab
kill -SEGV "$(pgrep -f "$root/bin/05-checksum" | head -n 1)"    # the step crashes
wait "$lab_pid"
check_contains "after the step crashed, the lab still finishes its report" "=== 05-checksum ===" \
    "$(cat "$work/lab.out")"
check_contains "and says how the step ended" "05-checksum did not end cleanly: it exited with signal 11 (SEGV)" \
    "$(cat "$work/lab.out")"
left_behind "after the step crashed"

start_lab
kill -KILL "$lab_pid"                    # the lab itself, without a chance to clean up
wait "$lab_pid" 2>/dev/null
left_behind "after the lab was killed with SIGKILL"
finish
