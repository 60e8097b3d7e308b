#!/usr/bin/env bash
# --pcap records what a step reads and writes, in a file tshark reads;
# --replay runs a step over a capture with no device and no privileges, and
# gives the same replies as the live run.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

work=$(mktemp -d)
mkdir "$work/nobody"
chmod 755 "$work"
chown 65534:65534 "$work/nobody"           # where the unprivileged replay writes
trap 'rm -rf "$work"' EXIT

# A live run of step 05 with --pcap, and dumpcap beside it as the witness.
start_step 05-checksum --pcap "$work/step.pcap"
sysctl -qw net.ipv6.conf.tun0.disable_ipv6=1
dumpcap -q -i tun0 -f icmp -w "$work/dumpcap.pcap" 2>/dev/null &
dump_pid=$!
for _ in $(seq 100); do [ -s "$work/dumpcap.pcap" ] && break; sleep 0.05; done
ping_with raw -c 3 -i 0.2 -W 1 -s 57 192.0.2.2 >/dev/null
ping_with datagram -c 3 -i 0.2 -W 1 192.0.2.2 >/dev/null
sleep 0.2
kill -INT $dump_pid; wait $dump_pid 2>/dev/null
stop_step

fields() {  # one line per ICMP packet: what tshark reads in it
    tshark -r "$1" ${2:+-Y "$2"} -T fields -e ip.src -e ip.dst -e ip.len -e ip.checksum.status \
        -e icmp.type -e icmp.checksum -e icmp.checksum.status -e icmp.ident -e icmp.seq \
        -e data.data -o ip.check_checksum:TRUE 2>/dev/null
}
encapsulation=$(capinfos -T -E -m "$work/step.pcap" 2>/dev/null | tail -n 1 | cut -d, -f2)
check_equal "--pcap writes raw IP (LINKTYPE_RAW)" "rawip" "$encapsulation"
check_equal "--pcap holds 6 requests and 6 replies, as tshark reads it" "6 6" \
    "$(fields "$work/step.pcap" 'icmp.type == 8' | wc -l) $(fields "$work/step.pcap" 'icmp.type == 0' | wc -l)"
if diff <(fields "$work/step.pcap" icmp) <(fields "$work/dumpcap.pcap" icmp) >"$work/diff"; then
    ok "--pcap saw the same packets as dumpcap on tun0"
else
    not_ok "--pcap saw the same packets as dumpcap on tun0" "$(head -n 20 "$work/diff")"
fi
check_equal "tshark finds every reply checksum good" "" \
    "$(fields "$work/step.pcap" 'icmp.type == 0 && icmp.checksum.status != 1')"

# Replay the live requests as an unprivileged user: the same replies as
# live. Then the whole live capture: its replies are ignored, one line each.
tshark -r "$work/step.pcap" -Y 'icmp.type == 8' -w "$work/requests.pcap" -F pcap 2>/dev/null
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
as_nobody "$root/bin/05-checksum" --replay "$work/requests.pcap" --pcap "$work/nobody/replayed.pcap" \
    >"$work/replay.log" 2>"$work/replay.err"
check_equal "--replay runs as nobody and exits 0" 0 $?
check_equal "--replay: the same replies as the live run" \
    "$(fields "$work/step.pcap" 'icmp.type == 0')" "$(fields "$work/nobody/replayed.pcap" 'icmp.type == 0')"
check_contains "--replay says what it did" "replayed 6 packets from $work/requests.pcap, 6 replies" \
    "$(cat "$work/replay.err")"
as_nobody "$root/bin/05-checksum" --replay "$work/step.pcap" >"$work/replay-all.log" 2>/dev/null
check_equal "--replay of requests and replies: the six replies ignored, one line each" 6 \
    "$(grep -c '^ignored: ICMP echo reply (type 0) from 192.0.2.2, we answer echo requests only$' "$work/replay-all.log")"

# Every step from 02 on (step 01, the plain loop, has no --replay) replays
# the recorded fixtures; from 03 on, every echo request among them is
# answered, but from 07 on the one with a malformed option
# (bad-option-length); step 09 answers every one of them (replies, errors,
# resets) but the IPv6 router solicitation.
fixtures=$(ls "$root"/tests/fixtures/requests/*.pcap | wc -l)
echo_requests=0
for f in "$root"/tests/fixtures/requests/*.pcap; do
    tshark -r "$f" -Y 'icmp.type == 8' 2>/dev/null | grep -q . && echo_requests=$((echo_requests + 1))
done
for dir in "$root"/steps/[0-9][0-9]-*/; do
    step=$(basename "$dir")
    [ "$step" = 01-open-tun ] && continue
    : >"$work/$step.err"
    for f in "$root"/tests/fixtures/requests/*.pcap; do
        "$root/bin/$step" --replay "$f" >/dev/null 2>>"$work/$step.err" || echo "failed on $f" >>"$work/$step.err"
    done
    replies=$(sed -n 's/.*packets from .*, \([0-9]*\) replies$/\1/p' "$work/$step.err" | awk '{ n += $1 } END { print n + 0 }')
    case $step in
        02-*) want=0 ;;
        0[3-6]-*) want=$echo_requests ;;
        0[78]-*) want=$((echo_requests - 1)) ;;
        *) want=$((fixtures - 1)) ;;
    esac
    check_equal "$step --replay of the $fixtures fixtures: $want replies" "$want" "$replies"
done

out=$("$root/bin/05-checksum" --replay "$work/missing.pcap" 2>&1); status=$?
check_equal "--replay of a missing file: one line, exit 1" \
    "1 1" "$status $(printf '%s\n' "$out" | wc -l)"
check_contains "--replay of a missing file says which" "cannot read the capture $work/missing.pcap" "$out"
finish
