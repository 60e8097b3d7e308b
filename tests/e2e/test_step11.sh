#!/usr/bin/env bash
# Step 11 against the real IPv6 tools, beside Linux in the same run (a
# namespace of its own behind a veth pair, 2001:db8:1::2, its MTU 1500 like
# tun0's). tun0 gets 2001:db8::1/64 and the step answers 2001:db8::2.
#   - iputils ping -6 in both socket modes: raw as root, an ICMPv6 datagram
#     socket as nobody (net.ipv4.ping_group_range governs ICMPv6 datagram
#     sockets too: checked below with strace), at -s 0, 1, 57, 1232 (the
#     1280-byte minimum MTU), 1452 (just fits 1500), 4000 and 65000 (these
#     two come as fragments and go back as fragments: step 11's reassembly
#     and fragmentation). Every reply whole; tshark says every reply's
#     checksum is good and reassembles the fragmented ones, and the step's
#     replies are cut into the fragments Linux cuts its own into.
#   - ping -6 ff02::1%tun0: answered from a unicast address, as Linux
#     answers from its link-local one.
#   - traceroute -6 -n and tracepath -6 -n reach the responder in one hop,
#     as they reach Linux (port unreachable, 1/4).
#   - the router solicitations the kernel sends on the fresh tun: the step
#     says it ignores them, and counts them.
#   - --pcap of this live run opens in tshark with the IPv6 replies, and
#     --replay of the IPv6 requests it recorded gives the same replies.
# STEP=NAME runs it against another step (a learner's, or an earlier one,
# which answers none of it).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

step=${STEP:-11-ipv6}
if [ ! -x "$root/${STEP_BIN_DIR:-bin}/$step" ]; then
    echo "$e2e_name: skipped: ${STEP_BIN_DIR:-bin}/$step is not built (steps/11-ipv6 not in this tree yet?)"
    exit 0
fi

work=$(mktemp -d)
chmod 755 "$work"
[ -z "${KEEP:-}" ] || echo "# KEEP=1: the captures stay in $work"
peer_pid=
trap 'stop_step 2>/dev/null; [ -z "$peer_pid" ] || kill $peer_pid 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

# ---- Linux: a host at the other end of a veth pair --------------------------
# nodad everywhere: without it a new address stays "tentative" while
# duplicate address detection asks the link whether anyone else has it
# (about a second on the veth: pings sent meanwhile leave from no address
# and fail). On tun0 the kernel skips DAD anyway (a tun is NOARP), so nodad
# there only says the same thing out loud.
unshare --net sleep 600 &
peer_pid=$!
for _ in $(seq 100); do [ "$(readlink /proc/$peer_pid/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.02; done
ip link add ref0 type veth peer name ref1 netns $peer_pid
ip -6 addr add 2001:db8:1::1/64 dev ref0 nodad
ip link set ref0 up
nsenter -t $peer_pid -n sh -c 'ip link set lo up && ip -6 addr add 2001:db8:1::2/64 dev ref1 nodad && ip link set ref1 up'
wait_for_link ref0
linux_says() { nsenter -t $peer_pid -n "$@"; }
for _ in $(seq 100); do   # the link-local addresses of the veth do DAD: wait for them
    ip -6 addr show dev ref0 | grep -q tentative || linux_says ip -6 addr show dev ref1 | grep -q tentative || break
    sleep 0.1
done

# ---- the step on tun0, recording itself -------------------------------------
STEP_BIN_DIR=${STEP_BIN_DIR:-build/asan/bin}
[ -x "$root/$STEP_BIN_DIR/$step" ] || STEP_BIN_DIR=bin
start_step "$step" --pcap "$work/self.pcap"
ip -6 addr add 2001:db8::1/64 dev tun0 nodad
mtu() { grep -o ' mtu [0-9]*' | tr -d '\n'; }
check_equal "tun0's MTU is 1500, like Linux's link" " mtu 1500 mtu 1500" \
    "$(ip -o link show tun0 | mtu)$(linux_says ip -o link show ref1 | mtu)"

# ping_as KIND ARGS...: iputils ping -6, raw as root ("1 0" leaves gid 0 out
# of ping_group_range) or an ICMPv6 datagram socket as nobody.
ping_as() {
    local kind=$1; shift
    if [ "$kind" = raw ]; then
        sysctl -qw net.ipv4.ping_group_range="1 0"
        ping -6 "$@" 2>&1
    else
        sysctl -qw net.ipv4.ping_group_range="0 2147483647"
        setpriv --reuid=65534 --regid=65534 --clear-groups ping -6 "$@" 2>&1
    fi
}
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

# ---- which socket each mode opens (IPv6 is governed by the IPv4 sysctl) -----
if command -v strace >/dev/null; then
    sockets() {
        sysctl -qw net.ipv4.ping_group_range="$1"
        setpriv --reuid=65534 --regid=65534 --clear-groups strace -e trace=socket \
            ping -6 -c 1 -W 1 2001:db8:1::2 2>&1 | grep -o '^socket(AF_INET6, SOCK_[A-Z]*, IPPROTO_ICMPV6) = [-0-9]*' | head -n 1
    }
    check_equal "net.ipv4.ping_group_range \"1 0\": nobody may not open an ICMPv6 datagram socket" \
        "socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6) = -1" "$(sockets "1 0")"
    check_contains "  \"0 2147483647\": it may, and ping -6 uses it" \
        "socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6) = " "$(sockets "0 2147483647")"
    check_contains "  and root's ping -6 with \"1 0\" opens a raw one" "socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6) = " \
        "$(sysctl -qw net.ipv4.ping_group_range="1 0"; strace -e trace=socket ping -6 -c 1 -W 1 2001:db8:1::2 2>&1)"
fi

# ---- ping -6, both socket modes, both hosts ----------------------------------
sizes="0 1 57 1232 1452 4000 65000"
capture tun0 "$work/step.pcap"
capture ref0 "$work/linux.pcap"
for kind in raw datagram; do
    for size in $sizes; do
        what="$kind ping -6 -s $size"
        [ "$size" -le 1452 ] || what="$what (fragments both ways: step 11's IPv6 reassembly and fragmentation)"
        step_out=$(ping_as "$kind" -c 2 -i 0.2 -W 3 -s "$size" 2001:db8::2)
        linux_out=$(ping_as "$kind" -c 2 -i 0.2 -W 3 -s "$size" 2001:db8:1::2)
        check_contains "Linux answers $what" "2 packets transmitted, 2 received" "$linux_out"
        check_contains "$step answers $what" "2 packets transmitted, 2 received" "$step_out"
        check_contains "  each reply whole: $((size + 8)) bytes" "$((size + 8)) bytes from 2001:db8::2: icmp_seq=2" "$step_out"
        check_lacks "  no wrong data byte" "wrong data byte" "$step_out"
        check_lacks "  no bad checksum" "BAD CHECKSUM" "$step_out"
        check_lacks "  no duplicate" "DUP!" "$step_out"
    done
done
stop_captures

# What Wireshark makes of it. verdicts PCAP ADDRESS: how many echo replies
# from ADDRESS tshark reads (reassembled ones once), how many with a good
# checksum, how many were put together from fragments, and how many
# fragments say "Reassembled in" another frame.
verdicts() {
    tshark -2 -r "$1" -Y "ipv6.src == $2 && icmpv6.type == 129" -T fields -E separator='|' \
        -e icmpv6.checksum.status -e ipv6.fragment.count 2>/dev/null |
        awk -F'|' '{ replies++ } $1 == "1" { good++ } $2 > 1 { reassembled++ }
            END { printf "%d replies, %d with a good checksum, %d reassembled", replies, good, reassembled }'
    printf '; %s fragments "Reassembled in" another frame\n' \
        "$(tshark -2 -r "$1" -Y "ipv6.src == $2 && ipv6.reassembled.in" -T fields -e frame.number 2>/dev/null | wc -l)"
}
# 7 sizes x 2 replies x 2 modes = 28 replies; 4000 and 65000 (8 replies)
# arrive as fragments: 3 and 45 a reply (1448 bytes of data in each but the
# last), all but the last "Reassembled in": 2 x 2 x (2 + 44) = 184.
step_verdicts=$(verdicts "$work/step.pcap" 2001:db8::2)
check_equal "tshark: every reply of the step with a good checksum, the fragmented ones reassembled, as Linux's" \
    "$(verdicts "$work/linux.pcap" 2001:db8:1::2)" "$step_verdicts"
check_equal "  all of them" \
    '28 replies, 28 with a good checksum, 8 reassembled; 184 fragments "Reassembled in" another frame' "$step_verdicts"
check_contains "tshark -V on a reply fragment: Reassembled IPv6 in frame" "[Reassembled IPv6 in frame: " \
    "$(tshark -2 -r "$work/step.pcap" -Y 'ipv6.src == 2001:db8::2 && ipv6.reassembled.in' -V 2>/dev/null | head -n 40)"
# layouts PCAP SOURCE: one line for each datagram SOURCE sent, the payload
# lengths of its packets, sorted (a datagram's fragments start at offset 0).
layouts() {
    tshark -r "$1" -Y "ipv6.src == $2" -T fields -e ipv6.fraghdr.offset -e ipv6.plen 2>/dev/null |
        awk -F'\t' '$1 == "" { print $2; next }
             $1 == 0 && line != "" { print line; line = "" }
             { line = line (line == "" ? "" : ",") $2 }
             END { if (line != "") print line }' | sort
}
step_layouts=$(layouts "$work/step.pcap" 2001:db8::2)
check_equal "every reply cut into the fragments Linux cuts its own into" \
    "$(layouts "$work/linux.pcap" 2001:db8:1::2)" "$step_layouts"
check_contains "  -s 4000: payloads 1456, 1456, 1120 (8 of them the Fragment header)" "1456,1456,1120" "$step_layouts"
check "  -s 1452: one packet of 1460 bytes of payload, 1500 in all" grep -qx 1460 <<<"$step_layouts"

# ---- echo to all nodes ---------------------------------------------------------
# The request leaves from the sender's link-local address; Linux answers from
# its own link-local one (source address selection picks the same scope);
# either host answers from an address of its own, never from ff02::1. The
# kernel answers too, from tun0's and ref0's own address (multicast loops back):
# one reply each (DUP!).
from_lines() { grep -o 'bytes from [0-9a-f:]*' | sed 's/:$//' | sort -u; }
sysctl -qw net.ipv4.ping_group_range="1 0"
own_tun=$(ip -6 -o addr show dev tun0 scope link | awk '{ print $4 }' | cut -d/ -f1)
own_ref=$(ip -6 -o addr show dev ref0 scope link | awk '{ print $4 }' | cut -d/ -f1)
peer_ll=$(linux_says ip -6 -o addr show dev ref1 scope link | awk '{ print $4 }' | cut -d/ -f1)
step_mc=$(ping -6 -c 2 -i 0.3 -W 2 ff02::1%tun0 2>&1 | from_lines | grep -vx "bytes from $own_tun")
linux_mc=$(ping -6 -c 2 -i 0.3 -W 2 ff02::1%ref0 2>&1 | from_lines | grep -vx "bytes from $own_ref")
check_equal "ping -6 ff02::1%ref0: Linux answers from its link-local address" "bytes from $peer_ll" "$linux_mc"
check "ping -6 ff02::1%tun0: the step answers from a unicast address of its own (got: ${step_mc:-nothing})" \
    grep -Eqx 'bytes from (2001:db8::2|fe80:[0-9a-f:]*)' <<<"$step_mc"
# Linux picks the source by RFC 6724 (rule 2: the scope of the destination,
# link-local here). A step with no link-local address of its own can only
# answer from its global one: said, not checked.
echo "# ping -6 ff02::1: Linux answers from ${linux_mc#bytes from } (link-local), $step from ${step_mc#bytes from }"

# ---- traceroute -6 and tracepath -6 ------------------------------------------
# One hop: the step is the destination, so the first probe already brings
# port unreachable (1/4), as from Linux. Both limit these errors (6 at
# once, then one each 250 ms to a /64): each tool meets a full bucket on
# both hosts (1.5 s refills it).
hops() { sed -E 's/[0-9]+\.[0-9]+ ?ms/T ms/g; s/2001:db8:1::2/RESPONDER/g; s/2001:db8::2/RESPONDER/g' | tr -s ' '; }
sleep 1.6
step_tr=$(traceroute -6 -n -q 3 -w 2 2001:db8::2 2>&1)
linux_tr=$(traceroute -6 -n -q 3 -w 2 2001:db8:1::2 2>&1)
echo "# $step traceroute: $(tail -n 1 <<<"$step_tr")"
echo "# Linux traceroute: $(tail -n 1 <<<"$linux_tr")"
check_contains "traceroute -6 -n reaches Linux in one hop" " 1  2001:db8:1::2  " "$linux_tr"
check_equal "traceroute -6 -n reaches $step as it reaches Linux" "$(hops <<<"$linux_tr" | tail -n +2)" \
    "$(hops <<<"$step_tr" | tail -n +2)"
sleep 1.6
step_tp=$(tracepath -6 -n 2001:db8::2 2>&1)
linux_tp=$(tracepath -6 -n 2001:db8:1::2 2>&1)
echo "# $step tracepath: $(grep -E 'reached|Resume' <<<"$step_tp" | tr -s ' ' | tr '\n' ' ')"
check_contains "tracepath -6 -n reaches Linux" "reached" "$linux_tp"
check_contains "tracepath -6 -n reaches $step" "reached" "$step_tp"
check_equal "  as it reaches Linux" "$(grep -E 'reached|Resume' <<<"$linux_tp" | hops)" \
    "$(grep -E 'reached|Resume' <<<"$step_tp" | hops)"

# ---- router solicitations ----------------------------------------------------
# The kernel sends them on a fresh tun with IPv6 (one within a second of
# "up", then every 4 s and slower), to ff02::2, all routers. The step says
# it ignores each, naming it (the design: types 133-137 never answered,
# counted by name), and its counters at exit account for every one.
sent=$(tshark -r "$work/self.pcap" -Y 'icmpv6.type == 133' 2>/dev/null | wc -l)
check "the kernel sent router solicitations on tun0 (--pcap holds $sent)" test "$sent" -ge 1
stop_step
check_equal "$step exits 0 on SIGTERM" 0 "$step_status"
rs_lines=$(grep -i '^ignored: .*router solicitation' "$step_log")
check_equal "  the step says it ignores each of them, as router solicitations (got: $(grep -m1 'ff02::2' "$step_log"))" \
    "$sent" "$(grep -c . <<<"$rs_lines")"
check "  and counts them: a counter at exit of at least $sent (ND's)" \
    awk -v n="$sent" '/^ +(neighbor-discovery|router-solicitation)/ && $NF >= n { found = 1 } END { exit !found }' "$step_log"

# ---- --pcap and --replay carry IPv6 ---------------------------------------------
check_equal "--pcap of the live run: tshark reads the step's 28 echo replies to 2001:db8::1" 28 \
    "$(tshark -2 -r "$work/self.pcap" -Y 'ipv6.src == 2001:db8::2 && ipv6.dst == 2001:db8::1 && icmpv6.type == 129 && icmpv6.checksum.status == 1' \
        -T fields -e frame.number 2>/dev/null | wc -l)"
# Replay the unfragmented requests it recorded (nobody, no device): the same replies.
tshark -r "$work/self.pcap" -Y 'icmpv6.type == 128 && ipv6.dst == 2001:db8::2 && !ipv6.fraghdr' -w "$work/requests.pcap" -F pcap 2>/dev/null
mkdir "$work/nobody" && chown 65534:65534 "$work/nobody"
setpriv --reuid=65534 --regid=65534 --clear-groups "$root/bin/$step" --replay "$work/requests.pcap" \
    --pcap "$work/nobody/replayed.pcap" >"$work/replay.log" 2>&1
check_equal "--replay of the IPv6 requests runs as nobody and exits 0" 0 $?
replies() {   # one line a reply, its data as a digest
    tshark -r "$1" -Y 'icmpv6.type == 129 && ipv6.dst == 2001:db8::1 && !ipv6.fraghdr' -T fields -e ipv6.src \
        -e ipv6.plen -e icmpv6.checksum -e icmpv6.checksum.status -e icmpv6.echo.identifier \
        -e icmpv6.echo.sequence_number -e data.data 2>/dev/null |
        while IFS=$'\t' read -r a b c d e f g; do echo "$a $b $c $d $e $f $(md5sum <<<"$g" | cut -c1-8)"; done
}
check_equal "  the same replies as live (20 unfragmented)" "$(replies "$work/self.pcap")" "$(replies "$work/nobody/replayed.pcap")"
check_equal "  20 of them" 20 "$(replies "$work/nobody/replayed.pcap" | wc -l)"
finish
