#!/usr/bin/env bash
# The lab: run one step in a private network namespace and show what real
# ping (both socket modes) and Wireshark's tshark make of it.
#
#   scripts/lab.sh NN                  run step NN, ping it, show the verdicts
#   scripts/lab.sh NN --shell          a shell in the namespace, step running
#   scripts/lab.sh NN --transcript F   also write the normalized transcript
#   scripts/lab.sh NN --summary F      also write one table row (make demo)
#   scripts/lab.sh NN --tools-summary F   and, from step 06 on, the row of
#                                      Part 2's table (make demo)
#
# PING='-s 57 -c 5' adds ping arguments; LAB_MTU=9000 sets tun0's MTU (a
# ping larger than the MTU reaches the step as IPv4 fragments). LAB_DIR
# (default ./lab) keeps each run's captures and the step's log. LAB_BIN=path
# runs that program in the step's place (make check: a learner's copy, or
# with LAB_FOREIGN=1 any program that creates tun0 itself, run with no
# arguments). make check adds LAB_PINGS (more raw pings, one set of arguments
# a line), LAB_PROBE_LADDER=1 and LAB_STATUS=1 (see below). From step 06 on
# the lab also runs the tools a host must satisfy (ping -R, traceroute,
# tracepath, nc, ping -s 4000 for fragments) against the step and against
# Linux itself (a namespace of its own behind a veth pair, 198.51.100.2),
# side by side, and ping -6, traceroute -6, tracepath -6 (2001:db8::2;
# LAB_TOOLS6=0 leaves those out); LAB_TOOLS=0
# leaves them all out. LAB_TARGET=2001:db8::2 makes the lab's own pings
# ping -6 (step 11 on). `make lab STEP=NN` and `make demo` call this script.
#
# Nothing leaks out: the namespace has only lo and tun0 (and, from step 06
# on, ref0 to Linux's namespace), with documentation addresses (tun0
# 192.0.2.1/24, ping target 192.0.2.2; 198.51.100.0/24), and it lives in its
# own PID namespace, so when the lab ends, crashes or is killed, the kernel
# ends every process in it, and the namespace and tun0 vanish with them.
# Nothing hangs either: every stage has a time limit, and says so when it
# runs out.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
usage() { sed -n '2,/call this script\./s/^# \{0,1\}//p' "$0"; }
# A normal user's PATH on Debian has no /usr/sbin: look there too.
PATH=$PATH:/usr/sbin:/sbin
source "$root/scripts/give-back.sh"

step_arg=${1:-}
[ -n "$step_arg" ] && [ "$step_arg" != -h ] && [ "$step_arg" != --help ] || { usage; exit 2; }
shift
[[ $step_arg =~ ^[0-9]$ ]] && step_arg=0$step_arg      # STEP=4 means 04
mode=run transcript="" summary="" tools_summary=""
while [ $# -gt 0 ]; do
    case $1 in
        --shell) mode=shell ;;
        --transcript) transcript=$(realpath -m "$2"); shift ;;
        --summary) summary=$(realpath -m "$2"); shift ;;
        --tools-summary) tools_summary=$(realpath -m "$2"); shift ;;
        *) echo "lab: unknown argument '$1': run 'scripts/lab.sh -h' for usage." >&2; exit 2 ;;
    esac
    shift
done

step=$(cd "$root/steps" && ls -d "${step_arg}"* 2>/dev/null | head -n 1 || true)
if [ -z "$step" ]; then
    echo "lab: there is no step '$step_arg': choose one of $(cd "$root/steps" && echo [0-9]*)." >&2
    exit 2
fi
step_bin=${LAB_BIN:-$root/bin/$step}
lab_dir=$(realpath -m "${LAB_DIR:-$root/lab}")
if [ -n "${LAB_MTU:-}" ] && ! [[ $LAB_MTU =~ ^[0-9]+$ && $LAB_MTU -ge 68 && $LAB_MTU -le 65535 ]]; then
    echo "lab: MTU '$LAB_MTU' is not one a tun takes: give a number from 68 to 65535, for example MTU=9000." >&2
    exit 2
fi

# ---- outside: enter a private network namespace --------------------------

if [ -z "${ICMP_STEPS_LAB_INSIDE:-}" ]; then
    require_writable "$lab_dir" || exit 1
    if [ -z "${LAB_BIN:-}" ] && [ ! -x "$step_bin" ]; then
        require_writable "$root/bin" "$root/build" || exit 1
        make -C "$root" -s "bin/$step"
    fi
    give_back "$root/bin" "$root/build"
    if [ ! -x "$step_bin" ]; then
        echo "lab: $step_bin is not a program I can run: check the path." >&2
        exit 1
    fi
    step_bin=$(realpath "$step_bin")
    mkdir -p "$lab_dir"
    give_back "$lab_dir"
    tools="ping tshark dumpcap ip unshare timeout"
    # From step 06 on: the tools a host must satisfy, and nsenter for Linux's side.
    [ "${LAB_TOOLS:-1}" = 0 ] || [ "$((10#${step%%-*}))" -lt 6 ] || tools+=" traceroute tracepath nc nsenter python3"
    for tool in $tools; do
        command -v "$tool" >/dev/null || {
            echo "lab: '$tool' is missing: run 'make deps' (as root) to install what the lab needs." >&2
            exit 1
        }
    done
    args=("$step_arg" --${mode})
    [ "$mode" = run ] && args=("$step_arg")
    [ -n "$transcript" ] && args+=(--transcript "$transcript")
    [ -n "$summary" ] && args+=(--summary "$summary")
    [ -n "$tools_summary" ] && args+=(--tools-summary "$tools_summary")
    export ICMP_STEPS_LAB_INSIDE=1 LAB_DIR="$lab_dir" LAB_BIN="$step_bin"
    if [ "$(id -u)" = 0 ]; then
        exec unshare --net --pid --mount-proc --kill-child "$0" "${args[@]}"
    fi
    # As a normal user: a user namespace of our own gives us root's powers
    # over a network namespace of our own, and over nothing else.
    if ! unshare --user --map-root-user --net true 2>/dev/null; then
        echo "lab: this system does not let normal users create namespaces (on Ubuntu," \
             "AppArmor restricts them): run 'sudo make lab STEP=$step_arg' instead." >&2
        exit 1
    fi
    export LAB_USERNS=1
    exec unshare --user --map-root-user --net --pid --mount-proc --kill-child "$0" "${args[@]}"
fi

# ---- inside: the namespace is ours ---------------------------------------

run=$step-$(date +%Y%m%d-%H%M%S)
step_log=$lab_dir/$run.log
step_pcap=$lab_dir/$run.step.pcap
tun_pcap=$lab_dir/$run.tun0.pcap
work=$(mktemp -d)
step_pid="" dump_pid="" step_ended="" step_status=0

# Is this process still running (not gone, not a zombie)?
running() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# stop_step: SIGTERM, then SIGKILL if the step is still there 2 s later. Sets
# step_status, and step_ended to how it ended when that was not our doing.
stop_step() {
    [ -n "$step_pid" ] || return 0
    if ! running "$step_pid"; then
        step_ended="by itself, during the run"
    else
        kill -TERM "$step_pid" 2>/dev/null || true
        for _ in $(seq 40); do running "$step_pid" || break; sleep 0.05; done
        if running "$step_pid"; then
            kill -KILL "$step_pid" 2>/dev/null || true
            step_ended="killed: it ignored SIGTERM for 2 s"
        fi
    fi
    step_status=0
    wait "$step_pid" 2>/dev/null || step_status=$?
    step_pid=""
    # A program stopped by our SIGTERM may die of it: that is a clean end.
    [ -n "$step_ended" ] || [ "$step_status" != 143 ] || step_status=0
}

cleanup() {
    if [ -n "$dump_pid" ]; then kill -INT "$dump_pid" 2>/dev/null; wait "$dump_pid" 2>/dev/null; fi
    [ -z "${ref_pid:-}" ] || kill "$ref_pid" 2>/dev/null || true
    stop_step
    rm -rf "$work"
    give_back "$lab_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# out_of_time STAGE SECONDS MEANING: the one line a stage says when its time ran out.
out_of_time() {
    echo "lab: $1 ran out of time ($2 s): $3" >&2
}

ip link set lo up
if [ -n "${LAB_FOREIGN:-}" ]; then
    "$step_bin" >"$step_log" 2>&1 &        # someone else's program: no options
else
    "$step_bin" -i tun0 --pcap "$step_pcap" >"$step_log" 2>&1 &
fi
step_pid=$!
for _ in $(seq 100); do
    ip link show tun0 >/dev/null 2>&1 && break
    running "$step_pid" || break
    sleep 0.05
done
if ! ip link show tun0 >/dev/null 2>&1; then
    others=$(ip -o link show type tun 2>/dev/null | awk -F': ' '{print $2}' | tr '\n' ' ')
    if [ -n "$others" ]; then
        echo "lab: $step created ${others% } instead of tun0: give TUNSETIFF the name tun0 (ifr_name)." >&2
    elif running "$step_pid"; then
        out_of_time "waiting for $step to create tun0" 5 "it runs but made no tun device: is TUNSETIFF called?"
    else
        echo "lab: $step ended before tun0 could be seen (a tun goes with the program that made it)." >&2
    fi
    echo "lab: it said:" >&2
    tail -n 20 "$step_log" >&2
    exit 1
fi

# What kind of device the step made: a TUN without packet information
# (IFF_TUN | IFF_NO_PI) is what every step and ping here expect.
tun_kind() {
    local details
    details=$(ip -d -o link show tun0 2>/dev/null)
    case $details in
        *"tun type tun pi off"*) echo "a TUN device without packet information (IFF_TUN | IFF_NO_PI): right" ;;
        *"tun type tun pi on"*) echo "WRONG: a TUN device with packet information: IFF_NO_PI is missing, so every read starts with 4 extra bytes (flags, protocol) and every write must too" ;;
        *"tun type tap"*) echo "WRONG: a TAP device (IFF_TAP): it carries Ethernet frames, not IP packets; ask for IFF_TUN | IFF_NO_PI" ;;
        *) echo "unknown: ip -d link show says: $details" ;;
    esac
}
tun_kind >"$work/kind"

# (A step that crashes at its first packet takes tun0 with it: the report
# below says so; these commands must not end the lab first.)
ip addr add 192.0.2.1/24 dev tun0 || true
# Part 2 (step 06 on): tun0 has 2001:db8::1/64 too, so that ping -6
# 2001:db8::2 and the IPv6 tools ask every host step (step 11 on answers).
# nodad: no duplicate address detection to wait for (a tun is NOARP, so the
# kernel skips it anyway; saying so keeps the address usable at once).
[ "$((10#${step%%-*}))" -lt 6 ] || ip -6 addr add 2001:db8::1/64 dev tun0 nodad || true
[ -z "${LAB_MTU:-}" ] || ip link set tun0 mtu "$LAB_MTU"
ip link set tun0 up || true
"$root/scripts/link-ready.sh" tun0 || ! running "$step_pid" ||
    out_of_time "waiting for tun0 to carry packets" 3 "the kernel has not started sending on it; the first pings may be lost"

# Which socket ping uses is net.ipv4.ping_group_range: groups in the range
# may open datagram sockets, and ping prefers one when it may; outside the
# range, root's ping (or a ping with cap_net_raw) uses a raw socket. We are
# gid 0 here. In a user namespace (the lab as a normal user) only gid 0
# exists, so the kernel refuses ranges with other gids: there "1 0", a new
# namespace's default, is already in force for the raw run, and "0 0"
# allows the datagram run. /proc/sys is written directly: sysctl(8) is in
# /usr/sbin, which a normal user's PATH may lack.
ping_range=/proc/sys/net/ipv4/ping_group_range
set_ping_range() {
    local lo hi
    case $1 in
        raw) echo "1 0" >"$ping_range" 2>/dev/null || true ;;
        datagram) echo "0 2147483647" >"$ping_range" 2>/dev/null || echo "0 0" >"$ping_range" 2>/dev/null || true ;;
    esac
    read -r lo hi <"$ping_range"
    case $1 in
        raw) [ "$lo" -gt 0 ] || [ "$hi" -lt 0 ] || [ "$lo" -gt "$hi" ] ;;
        datagram) [ "$lo" -le 0 ] && [ "$hi" -ge 0 ] ;;
    esac || {
        echo "lab: could not make ping use a $1 socket: net.ipv4.ping_group_range is '$lo $hi' and may not be changed here" >&2
        return 1
    }
}

if [ "$mode" = shell ]; then
    if [ -n "${LAB_USERNS:-}" ]; then
        back="(as a normal user there is no way back to \"1 0\" in this shell: 'exit' and start it again)"
    else
        back="(and 'echo \"1 0\" >$ping_range' for the raw kind again)"
    fi
    cat <<TXT
You are in the lab: a private network namespace where $step is running on
tun0 (192.0.2.1/24). Try:
    ping -c 3 192.0.2.2             (a raw socket: ping_group_range "1 0" leaves gid 0 out)
    cat $ping_range   (which groups may use the unprivileged kind)
    echo "0 0" >$ping_range; ping -c 3 192.0.2.2
                                    (the unprivileged kind, a datagram socket)
                                    $back
    traceroute -n 192.0.2.2; tracepath -n 192.0.2.2; nc -u 192.0.2.2 7
                                    (from step 09 on, these get their answer)
    ping -c 2 -s 4000 192.0.2.2     (4028 bytes: three fragments over tun0's MTU of 1500;
                                    from step 10 on, answered)
    ping -6 -c 3 2001:db8::2        (IPv6: from step 06 on tun0 has 2001:db8::1/64; from
                                    step 11 on, answered, both socket kinds as above:
                                    ping_group_range governs ICMPv6 datagram sockets too)
    ping -6 -c 2 ff02::1%tun0       (all nodes: the kernel answers too, from tun0's own address)
    traceroute -6 -n 2001:db8::2; tracepath -6 -n 2001:db8::2
    tshark -i tun0 -o ip.check_checksum:TRUE -V    (Wireshark's view; without -o it
                                    does not check the IPv4 header checksum)
    nstat -az IpInHdrErrors IpExtInCsumErrors IcmpInCsumErrors IpInAddrErrors
                                    (why the kernel dropped a reply)
    cat $step_log
                                    (what the step printed)
Type 'exit' to leave; the namespace and everything in it go away.
TXT
    PS1="[lab $step] \w# " bash --norc -i || true
    exit 0
fi

# ---- the tools a host must satisfy (step 06 on) ----------------------------
# ping -R, traceroute, tracepath, nc, a connected UDP socket, ping -s 4000
# (a datagram bigger than the MTU: fragments, step 10 on) and ping -6,
# traceroute -6, tracepath -6 (IPv6: 2001:db8::2, there 2001:db8:1::2;
# step 11 on), each against
# the step (192.0.2.2) and against Linux itself: a namespace of its own
# behind a veth pair (here ref0, 198.51.100.1; there 198.51.100.2, the
# kernel's defaults, rate limits included), one after the other, so that
# both see the same probes. Each tool has a time limit (traceroute: 3 hops,
# one probe each, 1 s for an answer; tracepath: hop 1 only), so a silent
# step costs seconds, not minutes. It runs before the lab's own pings: a
# user namespace can never go back to raw pings once it allowed datagram
# ones, and ping -R is a raw ping. Its own capture keeps the transcripts'
# tshark lines the pings' alone.
tools_pcap=$lab_dir/$run.tools.pcap
ref_pid="" tools_ran=""
step_number=$((10#${step%%-*}))

# start_reference: Linux, behind ref0. Says why in one line when it cannot.
start_reference() {
    unshare --net sleep 600 &
    ref_pid=$!
    local ours
    ours=$(readlink /proc/self/ns/net)
    for _ in $(seq 100); do
        [ "$(readlink "/proc/$ref_pid/ns/net" 2>/dev/null)" != "$ours" ] && break
        sleep 0.02
    done
    ip link add ref0 type veth peer name ref1 netns "$ref_pid" &&
        ip addr add 198.51.100.1/24 dev ref0 && ip -6 addr add 2001:db8:1::1/64 dev ref0 nodad && ip link set ref0 up &&
        nsenter -t "$ref_pid" -n sh -c 'ip link set lo up && ip addr add 198.51.100.2/24 dev ref1 &&
            ip -6 addr add 2001:db8:1::2/64 dev ref1 nodad && ip link set ref1 up' &&
        "$root/scripts/link-ready.sh" ref0 || {
            echo "lab: Linux's side of the comparison could not be set up (a veth pair to a namespace of its own)"
            return 1
        }
}

# run_tools TARGET TARGET6: each tool once, its output as it printed it.
run_tools() {
    local t=$1 t6=$2
    echo "\$ ping -c 2 -i 0.2 -W 1 $t   (raw socket)"
    timeout --foreground -s INT -k 2 5 ping -c 2 -i 0.2 -W 1 "$t" 2>&1 || true
    echo "\$ ping -R -c 1 -W 1 $t   (raw socket: Record Route)"
    timeout --foreground -s INT -k 2 5 ping -R -c 1 -W 1 "$t" 2>&1 || true
    echo "\$ traceroute -n -m 3 -w 1 -q 1 -N 1 $t   (UDP probes; 3 hops at most, one probe each, 1 s for an answer)"
    timeout -k 1 10 traceroute -n -m 3 -w 1 -q 1 -N 1 "$t" 2>&1 || true
    echo "\$ tracepath -n -m 1 $t   (hop 1 only)"
    timeout -s INT -k 1 8 tracepath -n -m 1 "$t" 2>&1 || true
    echo "\$ nc -u -z -v -w 1 $t 7   (UDP: does anything say no?)"
    local status=0
    timeout -k 1 5 nc -u -z -v -w 1 "$t" 7 </dev/null 2>&1 || status=$?
    echo "(nc exit status $status)"
    echo "\$ tools/udp-client.py $t 7   (a connected UDP socket, as nc -u opens: two sends)"
    timeout -k 1 5 python3 "$root/tools/udp-client.py" "$t" 7 2>&1 || true
    echo "\$ nc -z -v -w 1 $t 80   (TCP: a closed port)"
    timeout -k 1 5 nc -z -v -w 1 "$t" 80 </dev/null 2>&1 || true
    echo "\$ ping -s 4000 -c 2 -i 0.2 -W 1 $t   (raw socket: 4028 bytes, three fragments each way over an MTU of 1500)"
    timeout --foreground -s INT -k 2 5 ping -s 4000 -c 2 -i 0.2 -W 1 "$t" 2>&1 || true
    # LAB_TOOLS6=0 (make check before step 11) leaves out the IPv6 ones.
    [ "${LAB_TOOLS6:-1}" != 0 ] || return 0
    echo "\$ ping -6 -c 2 -i 0.2 -W 1 $t6   (raw socket: ICMPv6)"
    timeout --foreground -s INT -k 2 5 ping -6 -c 2 -i 0.2 -W 1 "$t6" 2>&1 || true
    echo "\$ traceroute -6 -n -m 3 -w 1 -q 1 -N 1 $t6   (UDP over IPv6, as above)"
    timeout -k 1 10 traceroute -6 -n -m 3 -w 1 -q 1 -N 1 "$t6" 2>&1 || true
    echo "\$ tracepath -6 -n -m 1 $t6   (hop 1 only)"
    timeout -s INT -k 1 8 tracepath -6 -n -m 1 "$t6" 2>&1 || true
}

# quotes PCAP: one line for each ICMP error as tshark decodes it, with the
# datagram inside it, and whether that is the datagram sent (the UDP
# datagram on the wire with the same ports and identification; field by
# field, as tshark reads both). Then the TCP resets.
quotes() {
    local fields=(-T fields -E separator='|' -e ip.src -e ip.dst -e ip.ttl -e ip.id -e ip.len
                  -e ip.checksum -e udp.srcport -e udp.dstport -e udp.length -e udp.checksum)
    {
        timeout -k 1 30 tshark -r "$1" -Y 'udp && !icmp' "${fields[@]}" 2>/dev/null | sed 's/^/sent|/'
        timeout -k 1 30 tshark -r "$1" -Y 'icmp.type == 3 || icmp.type == 11 || icmp.type == 12' \
            "${fields[@]}" -e _ws.col.Info 2>/dev/null | sed 's/^/error|/'
    } | awk -F'|' '
        function quote(src, dst, ttl, id, len, sum, sp, dp, ul, us) {
            return sprintf("IPv4 %s > %s ttl %s id %s len %s checksum %s, UDP %s > %s length %s checksum %s",
                           src, dst, ttl, id, len, sum, sp, dp, ul, us)
        }
        # The datagram sent: the one with the same ports and identification
        # (nc sends several from one port).
        $1 == "sent" { sent[$8 "/" $9 "/" $5] = quote($2, $3, $4, $5, $6, $7, $8, $9, $10, $11); next }
        {
            split($2, src, ","); split($3, dst, ","); split($4, ttl, ","); split($5, id, ",")
            split($6, len, ","); split($7, sum, ",")
            info = $12; sub(/ *\(.*$/, "", info)
            q = quote(src[2], dst[2], ttl[2], id[2], len[2], sum[2], $8, $9, $10, $11)
            kind = $12; sub(/^[^(]*\(/, "", kind); sub(/\).*$/, "", kind)
            print "tshark: " src[1] " > " dst[1] " " info " (" kind ") quoting: " q
            key = $8 "/" $9 "/" id[2]
            if (!(key in sent)) print "        no UDP datagram with these ports and this identification was seen on the way out"
            else if (sent[key] == q) print "        = the datagram sent, field by field"
            else print "        the datagram sent was: " sent[key]
        }'
    timeout -k 1 30 tshark -r "$1" -Y 'tcp.flags.reset == 1' -T fields -E separator=' ' \
        -e ip.src -e ip.dst -e _ws.col.Info 2>/dev/null | sed 's/^/tshark: a TCP reset: /'
}

: >"$work/tools.step"
: >"$work/tools.linux"
if [ "$step_number" -ge 6 ] && [ "${LAB_TOOLS:-1}" != 0 ] && running "$step_pid" &&
    set_ping_range raw >/dev/null 2>&1; then
    dumpcap -q -i tun0 -w "$tools_pcap" 2>/dev/null &
    dump_pid=$!
    for _ in $(seq 100); do [ -s "$tools_pcap" ] && break; sleep 0.05; done
    sleep 0.3
    run_tools 192.0.2.2 2001:db8::2 >"$work/tools.step"
    kill -INT "$dump_pid" 2>/dev/null || true; wait "$dump_pid" 2>/dev/null || true; dump_pid=""
    quotes "$tools_pcap" >>"$work/tools.step"
    tools_ran=1
    if start_reference >"$work/tools.linux" 2>&1; then
        ref_pcap=$lab_dir/$run.linux.pcap
        dumpcap -q -i ref0 -w "$ref_pcap" 2>/dev/null &
        dump_pid=$!
        for _ in $(seq 100); do [ -s "$ref_pcap" ] && break; sleep 0.05; done
        sleep 0.3
        run_tools 198.51.100.2 2001:db8:1::2 >>"$work/tools.linux"
        kill -INT "$dump_pid" 2>/dev/null || true; wait "$dump_pid" 2>/dev/null || true; dump_pid=""
        quotes "$ref_pcap" >>"$work/tools.linux"
    fi
    [ -z "$ref_pid" ] || { kill "$ref_pid" 2>/dev/null; wait "$ref_pid" 2>/dev/null || true; ref_pid=""; }
fi

dumpcap -q -i tun0 -w "$tun_pcap" 2>/dev/null &
dump_pid=$!
for _ in $(seq 100); do [ -s "$tun_pcap" ] && break; running "$step_pid" || break; sleep 0.05; done
[ -s "$tun_pcap" ] || ! running "$step_pid" ||
    out_of_time "starting dumpcap on tun0" 5 "no capture: the Wireshark verdicts below will be empty"
sleep 0.3                   # dumpcap writes its file header before it listens

# Each ping has a deadline: a reply whose timestamp is wrong makes ping wait
# twice the "round trip" (decades, for a zero timestamp) for the rest.
ping_seconds=${LAB_PING_SECONDS:-$([ -n "${PING:-}" ] && echo 60 || echo 8)}
# LAB_TARGET=2001:db8::2 (step 11 on): the pings, the tshark lines and the
# verdict are about ICMPv6 instead (make check STEP=11 runs it so).
target=${LAB_TARGET:-192.0.2.2}
# shellcheck disable=SC2086 # PING is split into arguments on purpose
run_ping() {
    if ! running "$step_pid"; then
        echo "lab: this ping was not run: $step had ended, and tun0 with it"
        return 0
    fi
    set_ping_range "$1" 2>&1 || { echo "lab: this ping was not run"; return 0; }
    local status=0
    timeout --foreground -s INT -k 2 "$ping_seconds" ping -c 2 -i 0.2 -W 1 ${PING:-} "$target" 2>&1 || status=$?
    if [ "$status" = 124 ] || [ "$status" = 137 ]; then
        out_of_time "ping with a $1 socket" "$ping_seconds" \
            "ping was still waiting for replies; a reply with a zero or wrong timestamp makes it wait for decades" 2>&1
    fi
}
run_ping raw >"$work/raw"
# make check, from step 06 on: what a host answers and refuses beyond the
# plain ping. LAB_PINGS holds one set of ping arguments a line (for example
# "-b 192.0.2.255"); each is one raw ping of its own, with a deadline, run
# before the datagram run (a user namespace cannot go back to "1 0").
: >"$work/pings"
if [ -n "${LAB_PINGS:-}" ] && set_ping_range raw >/dev/null 2>&1; then
    while IFS= read -r ping_args; do
        [ -n "$ping_args" ] || continue
        echo "--- ping -c 1 -W 1 $ping_args (raw socket) ---"
        if running "$step_pid"; then
            # shellcheck disable=SC2086 # one line, split into arguments on purpose
            timeout --foreground -s INT -k 2 5 ping -c 1 -W 1 $ping_args 2>&1 || true
        else
            echo "lab: this ping was not run: $step had ended, and tun0 with it"
        fi
    done <<<"$LAB_PINGS" >"$work/pings"
fi
run_ping datagram >"$work/dgram"
sleep 1                     # let dumpcap take the last packets before it stops
kill -INT "$dump_pid" 2>/dev/null || true; wait "$dump_pid" 2>/dev/null || true; dump_pid=""

# make check: a responder answers echo requests, never echo replies (RFC 792;
# answering replies would let two hosts ping-pong forever). One echo reply,
# from 192.0.2.1 to 192.0.2.2, goes straight into the step's read().
if [ -n "${LAB_PROBE_REPLY:-}" ] && running "$step_pid"; then
    python3 "$root/tools/echo-reply-pcap.py" "$root/tests/fixtures/requests/default.pcap" "$work/reply.pcap"
    timeout -k 1 5 "$root/build/tools/inject" -i tun0 "$work/reply.pcap" >"$work/probe" 2>&1 ||
        echo "lab: the echo-reply probe did not finish in 5 s" >>"$work/probe"
fi

# make check: one packet for each rung of a host's ladder (tools/inject.c
# --ladder), each wrong in one way only, straight into the step's read().
if [ -n "${LAB_PROBE_LADDER:-}" ] && running "$step_pid"; then
    timeout -k 1 5 "$root/build/tools/inject" -i tun0 --ladder "$root/tests/fixtures/requests/default.pcap" \
        >"$work/ladder" 2>&1 || echo "lab: the ladder probe did not finish in 5 s" >>"$work/ladder"
fi

# make check, step 08: who the step is, as the kernel says (not as the step
# says), read while it runs.
if [ -n "${LAB_STATUS:-}" ] && running "$step_pid"; then
    grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapAmb|NoNewPrivs):' "/proc/$step_pid/status" \
        >"$work/status" 2>/dev/null || true
fi

# The step may be gone already (a crash): that is news for the report.
stop_step

case $target in
    *:*) echo_filter='icmpv6.type == 128 || icmpv6.type == 129' reply_filter='icmpv6.type == 129' icmp_name=ICMPv6 ip_field=ipv6 ;;
    *) echo_filter=icmp reply_filter='icmp.type == 0' icmp_name=ICMP ip_field=ip ;;
esac
tshark_lines() {
    timeout -k 1 30 tshark -r "$tun_pcap" -Y "$echo_filter" -T fields -E separator=' ' \
        -e "$ip_field.src" -e "$ip_field.dst" -e frame.len -e _ws.col.Info 2>/dev/null || true
}
verdict() {
    local v
    v=$(timeout -k 1 30 tshark -r "$tun_pcap" -o ip.check_checksum:TRUE -V -Y "$reply_filter" 2>/dev/null |
        { grep -E '^    (Header )?Checksum:' || true; } | head -n 2 |
        sed -e 's/^    Header Checksum:/IPv4 header checksum:/' -e "s/^    Checksum:/$icmp_name checksum:/") || true
    if [ -z "$v" ]; then echo "no echo reply on tun0"; else echo "$v"; fi
}
tshark_lines >"$work/tshark"
verdict >"$work/verdict"

# What varies from run to run (times, identifiers, checksums that cover
# them) is replaced by a name, so that two runs give the same text.
normalize() {
    sed -E -e 's/time=[0-9]{10,}(\.[0-9]+)? ms/time=<since 1970> ms/' \
           -e 's/time=[0-9.]+ ms/time=<rtt> ms/' \
           -e 's/, time [0-9]+ms$/, time <T>ms/' \
           -e 's|^rtt min/avg/max/mdev = .*|rtt min/avg/max/mdev = <rtt>|' \
           -e 's/id=0x[0-9a-f]{4}/id=0x<id>/' \
           -e 's/\((request|reply) in [0-9]+\)/(\1 in N)/' \
           -e 's/should be 0x[0-9a-f]{4}/should be 0x<sum>/' \
           -e 's/^ICMP checksum: 0x[0-9a-f]{4} \[correct\]/ICMP checksum: 0x<sum> [correct]/'
}

report() {
    echo "--- ping $target with a raw socket (ping_group_range \"1 0\", as root) ---"
    cat "$work/raw"
    echo "--- ping $target with a datagram socket (ping_group_range \"0 2147483647\") ---"
    cat "$work/dgram"
    echo "--- tshark on tun0: the $icmp_name packets ---"
    cat "$work/tshark"
    echo "--- tshark on the first reply ---"
    cat "$work/verdict"
}

echo "=== $step ==="
report
echo "--- tun0 as $step made it: $(cat "$work/kind")"
if [ -s "$work/probe" ]; then
    echo "--- an echo reply (type 0) sent to $step: $(tail -n 1 "$work/probe")"
fi
cat "$work/pings"
if [ -s "$work/ladder" ]; then
    echo "--- one packet for each refusal of a host's ladder, sent to $step: $(tail -n 1 "$work/ladder")"
fi
if [ -s "$work/status" ]; then
    echo "--- /proc/PID/status of $step while it ran${LAB_USERNS:+ (in a user namespace of our own: uid 0 here is you outside)} ---"
    cat "$work/status"
fi
if [ -s "$work/tools.step" ]; then
    echo "=== the tools a host must satisfy, against $step (192.0.2.2) ==="
    cat "$work/tools.step"
    echo "=== the same tools against Linux $(uname -r) (198.51.100.2, a namespace behind a veth pair) ==="
    cat "$work/tools.linux"
fi
echo "--- what $step printed ---"
cat "$step_log"
if [ "$step_status" != 0 ] || [ -n "$step_ended" ]; then
    how="status $step_status"
    [ "$step_status" -gt 128 ] && how="signal $((step_status - 128)) ($(kill -l $((step_status - 128))))"
    echo "--- $step did not end cleanly: it exited with $how${step_ended:+, $step_ended}"
fi
echo "--- kept: $step_log, $step_pcap (the step's --pcap), $tun_pcap (dumpcap)${tools_ran:+, $tools_pcap and $lab_dir/$run.linux.pcap (the tools, against $step and Linux)}"

[ -n "$transcript" ] && report | normalize >"$transcript"

# One row of the demo's table.
ping_result() {
    local out=$1 sent received notes=""
    if grep -q '^lab: this ping was not run: .* had ended' "$out"; then echo "not run: the program had ended"; return; fi
    if grep -q '^lab: this ping was not run' "$out"; then echo "not run: the lab could not set the socket kind"; return; fi
    sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$out")
    received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$out")
    if [ "${received:-0}" = 0 ]; then echo "no reply (100% loss)"; return; fi
    if grep -q 'wrong data byte' "$out"; then
        notes+=", $(grep -o -m 1 'wrong data byte #[0-9]*' "$out")"
    fi
    grep -q 'time=[0-9]\{10,\}' "$out" && notes+=", time since 1970"
    grep -q 'BAD CHECKSUM' "$out" && notes+=", BAD CHECKSUM"
    grep -q '(truncated)' "$out" && notes+=", truncated"
    grep -q '(DUP!)' "$out" && notes+=", DUP!"
    if [ -n "$notes" ]; then echo "replies$notes"; else echo "replies ($received of $sent)"; fi
}
# The IPv4 header checksum first: with it wrong, the kernel drops the reply
# before ICMP is looked at.
wireshark_result() {
    if grep -q 'no echo reply' "$work/verdict"; then echo "no reply to check"
    elif grep -q '^IPv4 header checksum: .*incorrect' "$work/verdict"; then echo "IPv4 header checksum incorrect"
    elif grep -q "^$icmp_name checksum: .*incorrect" "$work/verdict"; then echo "$icmp_name checksum incorrect"
    elif grep -q "^$icmp_name checksum: .*correct" "$work/verdict"; then echo "$icmp_name checksum correct"
    else echo "?"
    fi
}
[ -n "$summary" ] && printf '%s|%s|%s|%s\n' "$step" "$(ping_result "$work/raw")" \
    "$(ping_result "$work/dgram")" "$(wireshark_result)" >"$summary"

# One row of Part 2's table: what each tool made of the host, in a few
# words, from what the tool printed (the step's row, then Linux's).
section() {         # section FILE TOOL: what TOOL printed in FILE
    awk -v tool="\$ $2 " 'index($0, tool) == 1 { on = 1; next } /^(\$|tshark:) / { on = 0 } on' "$1"
}
ping_rr_result() {
    local out
    out=$(section "$1" "ping -R")
    if ! grep -q ' received' <<<"$out" || grep -q ' 0 received' <<<"$out"; then echo "no reply"
    elif grep -q '^RR:' <<<"$out"; then echo "replies, RR: $(grep -c '^[[:space:]]*[0-9]' <<<"$(sed -n '/^RR:/,/^$/p' <<<"$out" | sed 's/^RR://')") addresses"
    else echo "replies, no RR"
    fi
}
traceroute_result() {
    local out hops
    out=$(section "$1" "${2:-traceroute -n}")
    hops=$(grep -c '^ *[0-9]\{1,2\} ' <<<"$out")
    if grep -qE '^ *[0-9]+ +[0-9a-f.:]+ ' <<<"$out"; then
        # traceroute marks an unreachable other than the port's: !P, !H, !N...
        local last
        last=$(grep -E '^ *[0-9]+ +[0-9a-f.:]+ ' <<<"$out" | tail -n 1)
        echo "ends at hop $(awk '{print $1}' <<<"$last")$(grep -o ' ![A-Z0-9<>]*' <<<"$last" | head -n 1 | sed 's/^ /, /')"
    elif [ "$hops" -gt 0 ] && ! grep -qvE '^ *[0-9]+ +\*$|^traceroute to ' <<<"$out"; then echo "* * * ($hops hops, no answer)"
    else echo "? ($(tail -n 1 <<<"$out"))"
    fi
}
tracepath_result() {
    local out
    out=$(section "$1" "${2:-tracepath -n}")
    if grep -q 'reached' <<<"$out"; then echo "reached at hop $(grep -m 1 'reached' <<<"$out" | awk '{print $1}' | tr -d ':')"
    elif grep -q 'NET ERROR' <<<"$out"; then echo "error: $(grep -m 1 -o 'NET ERROR: .*' <<<"$out" | sed 's/^NET ERROR: //')"
    elif grep -q 'no reply' <<<"$out"; then echo "no reply"
    else echo "? ($(tail -n 1 <<<"$out"))"
    fi
}
nc_udp_result() {
    local out
    out=$(section "$1" "nc -u")
    if grep -q 'succeeded' <<<"$out"; then echo "\"succeeded\" (nothing said no)"
    elif grep -q '(nc exit status 1)' <<<"$out"; then echo "fails (exit 1)"
    else echo "? ($(tail -n 1 <<<"$out"))"
    fi
}
udp_socket_result() {
    local second
    second=$(section "$1" "tools/udp-client.py" | sed -n 's/^send 2: //p')
    case $second in
        *"bytes sent") echo "both sends go" ;;
        "") echo "? (no second send)" ;;
        *) echo "2nd send: $second" ;;
    esac
}
nc_tcp_result() {
    local out
    out=$(section "$1" "nc -z")
    case $out in
        *"Connection refused"*) echo "Connection refused" ;;
        *"timed out"*) echo "timed out" ;;
        *succeeded*) echo "connected" ;;
        *) echo "? ($(tail -n 1 <<<"$out"))" ;;
    esac
}
tools_row() {       # tools_row NAME FILE
    section "$2" "ping -c" >"$work/ping.section"
    section "$2" "ping -s 4000" >"$work/ping4000.section"
    section "$2" "ping -6" >"$work/ping6.section"
    printf '%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$1" "$(ping_result "$work/ping.section")" "$(ping_rr_result "$2")" "$(traceroute_result "$2")" \
        "$(tracepath_result "$2")" "$(nc_udp_result "$2")" "$(udp_socket_result "$2")" "$(nc_tcp_result "$2")" \
        "$(ping_result "$work/ping4000.section")" "$(ping_result "$work/ping6.section")" \
        "$(traceroute_result "$2" "traceroute -6")" "$(tracepath_result "$2" "tracepath -6")"
}
if [ -n "$tools_summary" ]; then
    if [ -s "$work/tools.step" ]; then
        tools_row "$step" "$work/tools.step"
        if grep -q '^\$ ping -R' "$work/tools.linux"; then
            tools_row "Linux" "$work/tools.linux"
        fi
    fi >"$tools_summary"
fi
exit 0
