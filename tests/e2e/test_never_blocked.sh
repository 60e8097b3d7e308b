#!/usr/bin/env bash
# The runner (common/runner.c) never lets its log stop the answering: a
# standard output nobody reads, a flood, descriptors closed at start, and a
# --replay whose reader stops reading or goes away. Real tun, real ping.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

work=$(mktemp -d)
holder=""
trap 'stop_step 2>/dev/null; [ -z "$holder" ] || kill $holder 2>/dev/null; rm -rf "$work"' EXIT
ms_now() { echo $(( $(date +%s%N) / 1000000 )); }

# wait_gone PID MS: until PID has exited, at most MS milliseconds; prints
# how long it took.
wait_gone() {
    local start; start=$(ms_now)
    while kill -0 "$1" 2>/dev/null && [ $(( $(ms_now) - start )) -lt "$2" ]; do sleep 0.01; done
    echo $(( $(ms_now) - start ))
}

tun_up() {
    for _ in $(seq 100); do ip link show tun0 >/dev/null 2>&1 && break; sleep 0.05; done
    ip addr add 192.0.2.1/24 dev tun0
    ip link set tun0 up
    wait_for_link tun0
}

# 1. Standard output is a pipe nobody reads (as `step | sleep 100` or a
#    stopped pager): the step answers a flood all the same, and SIGTERM ends
#    it at once, even under a flood that saturates it.
ip link set lo up
for step in 05-checksum 08-least-privilege; do
    mkfifo "$work/stalled"
    sleep 1000 <"$work/stalled" &       # holds the pipe open, reads nothing
    holder=$!
    "$root/${STEP_BIN_DIR:-bin}/$step" -i tun0 -v >"$work/stalled" 2>"$work/stderr" &
    step_pid=$!
    tun_up
    out=$(ping_with raw -q -f -c 10000 -W 2 -w 10 192.0.2.2)
    check_contains "$step, stdout stalled (-v): ping -f -c 10000 is answered in full" \
        "10000 packets transmitted, 10000 received" "$out"
    # A flood that keeps the tun never empty: 2 x 32 requests in flight, and
    # random packets sent as fast as they go (open loop).
    floods=()
    for _ in 1 2; do
        "$root/build/tools/echo-load" -w 32 -t 4 192.0.2.2 >/dev/null 2>&1 &
        floods+=($!)
    done
    "$root/build/tools/inject" -i tun0 --random 100000000 --seed 3 >/dev/null 2>&1 &
    floods+=($!)
    sleep 1
    kill -TERM "$step_pid"
    took=$(wait_gone "$step_pid" 3000)
    check "$step, stdout stalled, under a flood: SIGTERM ends it within 1 s (took $took ms)" \
        test "$took" -lt 1000
    kill -KILL "$step_pid" 2>/dev/null     # only if it did not stop
    wait "$step_pid"; status=$?
    check_equal "$step: and it exits with status 0" 0 "$status"
    check "$step: it says how many log lines it could not write" \
        grep -Eq "^$step: log: [1-9][0-9]* lines dropped because standard output was not taking them; " "$work/stderr"
    kill $holder 2>/dev/null; wait $holder 2>/dev/null; holder=""
    kill "${floods[@]}" 2>/dev/null; wait "${floods[@]}" 2>/dev/null
    rm -f "$work/stalled"
done

# 2. A flood's log is bounded: a burst, then a rate, and a line saying how
#    many packets were not logged once the flood is over.
start_step 05-checksum
sleep 0.3
ping_with raw -q -f -c 5000 -W 2 192.0.2.2 >/dev/null
lines=$(grep -c '^echo request ' "$step_log")
check "ping -f -c 5000: at most 100 + 10 a second of the reply lines are written (got $lines)" \
    test "$lines" -le 200
sleep 0.5
ping_with raw -c 1 -W 1 192.0.2.2 >/dev/null
sleep 0.2
check "once the flood is over, the log says how many packets it did not log" \
    grep -Eq '^log: [0-9]+ packets not logged \(more than 100 at once, then 10 a second\)$' "$step_log"
kill -USR1 "$step_pid"; sleep 0.2
check "SIGUSR1: the packets so far and the lines not shown, one line each" \
    grep -Eq '^05-checksum: so far [0-9]+ packets, [0-9]+ replies$' "$step_log"
stop_step
check "at exit too: how many packets the rate limit kept out of the log" \
    grep -Eq '^05-checksum: log: 0 lines dropped .*; [1-9][0-9]* packets not logged because of the rate limit \(100 at once, then 10 a second\)$' "$step_log"

# 3. Started with standard output closed: the log must not go into the tun
#    (or into the capture) as packets.
for with in "" "--pcap"; do
    "$root/${STEP_BIN_DIR:-bin}/05-checksum" -i tun0 ${with:+--pcap "$work/closed.pcap"} 1>&- 2>"$work/stderr" &
    step_pid=$!
    tun_up
    sysctl -qw net.ipv6.conf.tun0.disable_ipv6=1
    read_stats() { ip -j -s link show tun0 | jq -r '.[0].stats64.rx | "\(.packets) \(.dropped) \(.errors)"'; }
    before=$(read_stats)
    out=$(ping_with raw -c 3 -i 0.2 -W 1 192.0.2.2)
    check_contains "1>&- ${with:-(no capture)}: ping is answered" "3 received" "$out"
    sleep 0.2
    after=$(read_stats)
    set -- $before; b_packets=$1 b_dropped=$2 b_errors=$3
    set -- $after
    check_equal "1>&- ${with:-(no capture)}: the tun got the 3 replies and nothing else (packets, dropped, errors)" \
        "3 0 0" "$(( $1 - b_packets )) $(( $2 - b_dropped )) $(( $3 - b_errors ))"
    stop_step
    if [ -n "$with" ]; then
        check_equal "1>&- --pcap: the capture holds the 6 ICMP packets, as tshark reads it" "6" \
            "$(tshark -r "$work/closed.pcap" -Y icmp 2>/dev/null | wc -l)"
        check_equal "1>&- --pcap: and tshark has nothing to complain about" "" \
            "$(tshark -r "$work/closed.pcap" 2>&1 >/dev/null | grep -v '^Running as user')"
    fi
done

# 4. --replay: a capture of 3000 requests (the fixture's one, 3000 times).
python3 - "$root/tests/fixtures/requests/default.pcap" "$work/many.pcap" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
open(sys.argv[2], 'wb').write(data[:24] + data[24:] * 3000)
PY
mkfifo "$work/slow"
"$root/${STEP_BIN_DIR:-bin}/05-checksum" --replay "$work/many.pcap" >"$work/slow" 2>"$work/stderr" &
step_pid=$!
exec 3<"$work/slow"                     # a reader that does not read yet
sleep 0.5
kill -USR1 "$step_pid"
sleep 0.3
check "--replay: SIGUSR1 does not kill it" kill -0 "$step_pid"
cat <&3 >/dev/null; exec 3<&-
wait "$step_pid"; status=$?
check_equal "--replay: it then replays to the end, status 0" 0 "$status"
check "--replay: SIGUSR1 printed what it had done so far" \
    grep -Eq '^05-checksum: so far [0-9]+ packets, [0-9]+ replies$' "$work/stderr"
check "--replay: all 3000 replayed" grep -q 'replayed 3000 packets' "$work/stderr"

"$root/${STEP_BIN_DIR:-bin}/05-checksum" --replay "$work/many.pcap" 2>"$work/stderr" | head -n 1 >/dev/null
statuses="${PIPESTATUS[0]}"
check_equal "--replay | head -n 1: the step ends with status 0, not killed by SIGPIPE" 0 "$statuses"
check "--replay | head -n 1: and says why it stopped" \
    grep -q '^05-checksum: standard output was closed (its reader went away): stopping.$' "$work/stderr"
finish
