#!/usr/bin/env bash
# Step 10 against the real tools, beside Linux in the same run (a namespace
# of its own behind a veth pair, 198.51.100.2, its MTU 1500 like tun0's):
# iputils ping in both socket modes (raw as root, a datagram socket as
# nobody) with -s 4000, 65507, 1473 (just over the MTU) and 1472 (just
# fits): every reply comes back whole, and each reply is cut into the
# fragments Linux cuts its own into, as tshark reassembles them ("Reassembled
# in" for requests and replies), none longer than the MTU. With -M do the
# kernel itself refuses to send, with the line ping prints. The MTU is
# followed: tun0 set to 576 while the step runs, its replies' fragments are
# then 576 bytes at most, as Linux's are. And what fragments alone bring
# (tests/e2e/fragments.py, the same bytes to both): a first fragment alone
# gets time exceeded, fragment reassembly (11/1) after the timeout (the
# step's --ipfrag-time 2, Linux's net.ipv4.ipfrag_time=2); a non-first
# fragment alone, overlapping fragments and a datagram past 65535 bytes get
# nothing, from either.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

work=$(mktemp -d)
[ -z "${KEEP:-}" ] || echo "# KEEP=1: the captures stay in $work"
peer_pid=
trap 'stop_step 2>/dev/null; [ -z "$peer_pid" ] || kill $peer_pid 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

# ---- Linux: a host at the other end of a veth pair, its reassembly timeout 2 s
unshare --net sleep 600 &
peer_pid=$!
for _ in $(seq 100); do [ "$(readlink /proc/$peer_pid/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.02; done
ip link add ref0 type veth peer name ref1 netns $peer_pid
ip addr add 198.51.100.1/24 dev ref0
ip link set ref0 up
nsenter -t $peer_pid -n sh -c 'ip link set lo up && ip addr add 198.51.100.2/24 dev ref1 && ip link set ref1 up &&
    sysctl -qw net.ipv4.ipfrag_time=2'
wait_for_link ref0
linux_says() { nsenter -t $peer_pid -n "$@"; }

STEP_BIN_DIR=build/asan/bin start_step 10-fragments --ipfrag-time 2
sysctl -qw net.ipv6.conf.tun0.disable_ipv6=1
mtu() { grep -o ' mtu [0-9]*' | tr -d '\n'; }
check_equal "tun0's MTU is 1500, like Linux's link" " mtu 1500 mtu 1500" \
    "$(ip -o link show tun0 | mtu)$(linux_says ip -o link show ref1 | mtu)"

# ping_as KIND ARGS...: iputils ping, raw as root ("1 0" leaves gid 0 out of
# ping_group_range) or a datagram socket as nobody (the range lets all in).
ping_as() {
    local kind=$1; shift
    if [ "$kind" = raw ]; then
        sysctl -qw net.ipv4.ping_group_range="1 0"
        ping "$@" 2>&1
    else
        sysctl -qw net.ipv4.ping_group_range="0 2147483647"
        setpriv --reuid=65534 --regid=65534 --clear-groups ping "$@" 2>&1
    fi
}
# capture IFNAME FILE / stop_capture: dumpcap on one link.
capture() {
    dumpcap -q -i "$1" -w "$2" 2>/dev/null &
    capture_pids+=($!)
    for _ in $(seq 100); do [ -s "$2" ] && break; sleep 0.05; done
    sleep 0.3                       # dumpcap writes its header before it listens
}
stop_captures() {
    sleep 0.5
    kill -INT "${capture_pids[@]}" 2>/dev/null
    wait "${capture_pids[@]}" 2>/dev/null
    capture_pids=()
}
capture_pids=()
# layouts PCAP SOURCE: one line for each datagram SOURCE sent, the lengths
# of its fragments (the IP total length of each) as they went, sorted. Both
# send a datagram's fragments in order, so each starts at offset 0 (an
# identification may come again: the step's replies with DF all carry 0).
layouts() {
    tshark -r "$1" -Y "ip.src == $2" -T fields -e ip.frag_offset -e ip.len 2>/dev/null |
        awk '$1 == 0 && line != "" { print line; line = "" }
             { line = line (line == "" ? "" : ",") $2 }
             END { if (line != "") print line }' | sort
}

# ---- ping, both socket modes, both hosts ----------------------------------
capture tun0 "$work/step.pcap"
capture ref0 "$work/linux.pcap"
for kind in raw datagram; do
    for size in 4000 65507 1473 1472; do
        step_out=$(ping_as "$kind" -c 2 -i 0.2 -W 3 -s "$size" 192.0.2.2)
        linux_out=$(ping_as "$kind" -c 2 -i 0.2 -W 3 -s "$size" 198.51.100.2)
        check_contains "Linux answers $kind ping -s $size" "2 packets transmitted, 2 received" "$linux_out"
        check_contains "step 10 answers $kind ping -s $size" "2 packets transmitted, 2 received" "$step_out"
        check_contains "  each reply whole: $((size + 8)) bytes" "$((size + 8)) bytes from 192.0.2.2: icmp_seq=2" "$step_out"
        check_lacks "  no wrong data byte" "wrong data byte" "$step_out"
        check_lacks "  no duplicate" "DUP!" "$step_out"
    done
    # DF set: the kernel refuses to send a datagram bigger than the MTU.
    step_out=$(ping_as "$kind" -M do -c 2 -i 0.2 -W 1 -s 4000 192.0.2.2)
    linux_out=$(ping_as "$kind" -M do -c 2 -i 0.2 -W 1 -s 4000 198.51.100.2)
    check_contains "$kind ping -M do -s 4000: the kernel refuses to send, and ping says" \
        "$(printf 'ping: local error: message too long, mtu=1500\nping: local error: message too long, mtu=1500')" "$step_out"
    check_contains "  and counts it an error, not a loss" "2 packets transmitted, 0 received, +2 errors, 100% packet loss" "$step_out"
    check_equal "  the same against Linux" "$(sed 's/198\.51\.100\.2/192.0.2.2/g; s/time [0-9]*ms/time Tms/' <<<"$linux_out")" \
        "$(sed 's/time [0-9]*ms/time Tms/' <<<"$step_out")"
done
stop_captures

# What Wireshark makes of it: requests and replies put back together.
# dissect PCAP ADDRESS: the reassembled echo requests to it and replies
# from it, and the fragments tshark says were reassembled in another frame.
dissect() {
    tshark -2 -r "$1" -T fields -E separator='|' -e ip.src -e icmp.type -e ip.fragment.count \
        -e ip.reassembled_in 2>/dev/null | awk -F'|' -v t="$2" '
        $2 == "8" && $3 > 1 && $1 != t { requests++ }
        $2 == "0" && $3 > 1 && $1 == t { replies++ }
        $4 != "" && $1 == t { reply_fragments++ }
        $4 != "" && $1 != t { request_fragments++ }
        END { printf "%d requests and %d replies reassembled; %d request and %d reply fragments \"Reassembled in\" another frame\n",
              requests, replies, request_fragments, reply_fragments }'
}
step_dissect=$(dissect "$work/step.pcap" 192.0.2.2)
linux_dissect=$(dissect "$work/linux.pcap" 198.51.100.2)
# 4000, 65507 and 1473, two of each, both kinds: 12 of each way;
# 3 + 45 + 2 fragments a datagram, all but the last "Reassembled in" it:
# 4 x (2 + 44 + 1) = 188.
check_equal "tshark reassembles the step's as Linux's" "$linux_dissect" "$step_dissect"
check_equal "  all of them" \
    '12 requests and 12 replies reassembled; 188 request and 188 reply fragments "Reassembled in" another frame' "$step_dissect"
check_contains "tshark -V on a reply fragment: Reassembled IPv4 in frame" "[Reassembled IPv4 in frame: " \
    "$(tshark -2 -r "$work/step.pcap" -Y 'ip.src == 192.0.2.2 && ip.reassembled_in' -V 2>/dev/null | head -n 40)"
step_layouts=$(layouts "$work/step.pcap" 192.0.2.2)
check_equal "every reply cut into the fragments Linux cuts its own into" \
    "$(layouts "$work/linux.pcap" 198.51.100.2)" "$step_layouts"
check_contains "  -s 4000: 1500, 1500, 1068" "1500,1500,1068" "$step_layouts"
check_contains "  -s 1473: 1500, 21" "1500,21" "$step_layouts"
check "  -s 1472: one packet of 1500" grep -qx 1500 <<<"$step_layouts"
check_equal "  none longer than the MTU" "" "$(tr ',' '\n' <<<"$step_layouts" | awk '$1 > 1500')"

# ---- the MTU followed ------------------------------------------------------
ip link set tun0 mtu 576
ip link set ref0 mtu 576
linux_says ip link set ref1 mtu 576
sleep 1.5                           # the step reads the MTU again at most once a second
capture tun0 "$work/step576.pcap"
capture ref0 "$work/linux576.pcap"
step_out=$(ping_as raw -c 2 -i 0.2 -W 3 -s 4000 192.0.2.2)
linux_out=$(ping_as raw -c 2 -i 0.2 -W 3 -s 4000 198.51.100.2)
stop_captures
check_contains "MTU 576: Linux answers ping -s 4000" "2 packets transmitted, 2 received" "$linux_out"
check_contains "MTU 576: step 10 answers ping -s 4000" "2 packets transmitted, 2 received" "$step_out"
step_layouts=$(layouts "$work/step576.pcap" 192.0.2.2)
check_equal "  its replies cut as Linux cuts its own" "$(layouts "$work/linux576.pcap" 198.51.100.2)" "$step_layouts"
check_equal "  no fragment longer than 576" "" "$(tr ',' '\n' <<<"$step_layouts" | awk '$1 > 576')"
check_contains "  (572 bytes each, the last 164)" "572,572,572,572,572,572,572,164" "$step_layouts"
ip link set tun0 mtu 1500
ip link set ref0 mtu 1500
linux_says ip link set ref1 mtu 1500

# ---- fragments alone, overlapping, too long; the timeout --------------------
capture tun0 "$work/step-cases.pcap"
capture ref0 "$work/linux-cases.pcap"
python3 "$root/tests/e2e/fragments.py" 192.0.2.1 192.0.2.2 4 >"$work/step.cases" 2>&1 &
python3 "$root/tests/e2e/fragments.py" 198.51.100.1 198.51.100.2 4 >"$work/linux.cases" 2>&1
wait $!
stop_captures
cat "$work/linux.cases" | sed 's/^/    Linux: /'
cat "$work/step.cases" | sed 's/^/    step:  /'
# The times are compared apart: the rest must be Linux's, case by case.
untimed() { sed -E 's/ after [0-9.]+ s//g' "$1"; }
check_equal "every case gets from the step what it gets from Linux" "$(untimed "$work/linux.cases")" \
    "$(untimed "$work/step.cases")"
step_cases=$(cat "$work/step.cases")
check_contains "control: an echo request in three fragments is answered" \
    "control: an echo request in three fragments: ICMP 0/0 (3020 bytes)" "$step_cases"
check_contains "control: and in reverse order" "control: the same, last fragment first: ICMP 0/0 (3020 bytes)" "$step_cases"
check_contains "a later fragment's options that leave no room for a reply are not the reply's: answered" \
    "a last fragment whose Record Route leaves part of a slot for a reply: ICMP 0/0 (220 bytes)" "$step_cases"
check_contains "a first fragment alone: time exceeded, fragment reassembly, 576 bytes" \
    "a first fragment alone: ICMP 11/1 (576 bytes) after " "$step_cases"
check_contains "  quoting that fragment as it was sent, as much as fits in 576 bytes" \
    "quoting the first fragment as sent (its header and 528 bytes)" "$step_cases"   # 576 - 20 - 8 - 20
after=$(sed -n 's/^a first fragment alone: ICMP 11\/1 .* after \([0-9.]*\) s, .*$/\1/p' <<<"$step_cases")
check "  after the 2 s of --ipfrag-time (${after:-never} s)" awk -v a="${after:-0}" 'BEGIN { exit !(a >= 1.8 && a <= 3.5) }'
for silent in "a non-first fragment alone (the last)" "two overlapping fragments (bytes 0-23, then 8-31)" \
              "a datagram whose last fragment ends at byte 65552 (ping of death)" \
              "a datagram of 65528 bytes after its 20-byte header (65548 in all)"; do
    check_contains "never answered, not even by a timeout: $silent" "$silent: silence" "$step_cases"
done
# Wireshark's words for 11/1, on both links.
for pcap in step-cases linux-cases; do
    check_equal "tshark on $pcap: one time exceeded, in its words" \
        "Time-to-live exceeded (Fragment reassembly time exceeded)" \
        "$(tshark -r "$work/$pcap.pcap" -Y 'icmp.type == 11' -T fields -e _ws.col.Info 2>/dev/null | sed 's/ *$//')"
    check_contains "  and with -V" "$(printf '    Type: 11 (Time-to-live exceeded)\n    Code: 1 (Fragment reassembly time exceeded)')" \
        "$(tshark -r "$work/$pcap.pcap" -Y 'icmp.type == 11' -V 2>/dev/null)"
done

stop_step
check_equal "SIGTERM ends it with status 0, no sanitizer report" 0 "$step_status"
log=$(cat "$step_log")
for rung in reassembled fragment-held fragments-overlap datagram-too-long reassembly-timeout; do
    check "the counter of '$rung' counted" grep -qE "^  $rung +[1-9]" <<<"$log"
done
finish
