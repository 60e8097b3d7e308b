#!/usr/bin/env bash
# What a reply costs in system calls, counted by strace -c on each answering
# step while one request at a time is in flight (tools/echo-load.c, the
# window where nothing is batched): one read() and one write() a packet, as
# in the bare loop of tools/bare-loop.c (step 02's lesson, "How the loop
# waits"). A count, not a time: strace slows the step down, not its count.
# The only calls allowed on top are the log's: standard output is a file
# here, so one write() for each of the first LIVE_LOG_BURST (100) packets'
# lines, then LIVE_LOG_PER_SECOND (10) a second.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace
if ! command -v strace >/dev/null; then
    echo "$e2e_name: skipped: strace is missing (scripts/install-deps.sh installs it)"
    exit 0
fi
cd "$root" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# count_calls PROGRAM...: runs it on tun0, counts its system calls for one
# second of echo requests one at a time; prints "reads writes others".
count_calls() {
    "$@" >"$work/log" 2>&1 &
    local pid=$!
    for _ in $(seq 100); do ip link show tun0 >/dev/null 2>&1 && break; sleep 0.05; done
    ip addr add 192.0.2.1/24 dev tun0
    ip link set tun0 up
    wait_for_link tun0
    strace -c -f -p "$pid" -o "$work/calls" 2>/dev/null &
    local tracer=$!
    sleep 0.5                        # strace has attached
    build/tools/echo-load -w 1 -s 56 -t 1 192.0.2.2 >"$work/load" 2>&1
    kill -INT "$tracer"
    wait "$tracer" 2>/dev/null
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    # strace -c: "% time seconds usecs/call calls [errors] syscall"
    awk '$NF == "read" { r = $4 } $NF == "write" { w = $4 }
         $1 ~ /^[0-9.]+$/ && $NF != "read" && $NF != "write" && $NF != "total" { o += $4 }
         END { print r + 0, w + 0, o + 0 }' "$work/calls"
}

ip link set lo up
read -r reads writes others <<<"$(count_calls build/tools/bare-loop tun0)"
check "the bare loop: strace counted its reads (got $reads)" test "$reads" -ge 500
check_equal "the bare loop: one write a read, nothing else" "$reads 0" "$writes $others"

for dir in steps/[0-9][0-9]-*/; do
    step=$(basename "$dir") bin=bin/$(basename "$dir")
    [ "$((10#${step%%-*}))" -ge 3 ] || continue          # 01 and 02 answer nothing
    read -r reads writes others <<<"$(count_calls "$bin" -i tun0)"
    check "$step: strace counted its reads (got $reads)" test "$reads" -ge 500
    # One write to the tun a read, plus the log's: 100 lines at once, 10 a
    # second after that, one line saying how many were not shown.
    extra=$((writes - reads))
    if [ "$extra" -ge 0 ] && [ "$extra" -le 125 ] && [ "$others" -le 10 ]; then
        ok "$step: one read() and one write() a reply, as the bare loop ($reads reads, $writes writes of which $extra log lines, $others other calls)"
    else
        not_ok "$step: one read() and one write() a reply, as the bare loop" \
            "$reads reads, $writes writes, $others other calls: $(grep -vE '^ *(-|%|$)' "$work/calls" | awk '{print $NF "=" $4}' | paste -sd' ')"
    fi
done
finish
