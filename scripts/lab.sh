#!/usr/bin/env bash
# The lab: run one step in a private network namespace and show what real
# ping (both socket modes) and Wireshark's tshark make of it.
#
#   scripts/lab.sh NN                  run step NN, ping it, show the verdicts
#   scripts/lab.sh NN --shell          a shell in the namespace, step running
#   scripts/lab.sh NN --transcript F   also write the normalized transcript
#   scripts/lab.sh NN --summary F      also write one table row (make demo)
#
# PING='-s 57 -c 5' adds ping arguments. LAB_DIR (default ./lab) keeps each
# run's captures and the step's log. LAB_BIN=path runs that program in the
# step's place (make check: a learner's copy, or with LAB_FOREIGN=1 any
# program that creates tun0 itself, run with no arguments).
# `make lab STEP=NN` and `make demo` call this script; see README.md.
#
# Nothing leaks out: the namespace has only lo and tun0, with documentation
# addresses (tun0 192.0.2.1/24, ping target 192.0.2.2), and it lives in its
# own PID namespace, so when the lab ends, crashes or is killed, the kernel
# ends every process in it, and the namespace and tun0 vanish with them.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
usage() { sed -n '2,14s/^# \{0,1\}//p' "$0"; }

step_arg=${1:-}
[ -n "$step_arg" ] && [ "$step_arg" != -h ] && [ "$step_arg" != --help ] || { usage; exit 2; }
shift
mode=run transcript="" summary=""
while [ $# -gt 0 ]; do
    case $1 in
        --shell) mode=shell ;;
        --transcript) transcript=$(realpath -m "$2"); shift ;;
        --summary) summary=$(realpath -m "$2"); shift ;;
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

# ---- outside: enter a private network namespace --------------------------

if [ -z "${ICMP_STEPS_LAB_INSIDE:-}" ]; then
    [ -n "${LAB_BIN:-}" ] || [ -x "$step_bin" ] || make -C "$root" -s "bin/$step"
    if [ ! -x "$step_bin" ]; then
        echo "lab: $step_bin is not a program I can run: check the path." >&2
        exit 1
    fi
    step_bin=$(realpath "$step_bin")
    mkdir -p "$lab_dir"
    for tool in ping tshark dumpcap ip unshare; do
        command -v "$tool" >/dev/null || {
            echo "lab: '$tool' is missing: run 'make deps' (as root) to install what the lab needs." >&2
            exit 1
        }
    done
    args=("$step_arg" --${mode})
    [ "$mode" = run ] && args=("$step_arg")
    [ -n "$transcript" ] && args+=(--transcript "$transcript")
    [ -n "$summary" ] && args+=(--summary "$summary")
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
    exec unshare --user --map-root-user --net --pid --mount-proc --kill-child "$0" "${args[@]}"
fi

# ---- inside: the namespace is ours ---------------------------------------

run=$step-$(date +%Y%m%d-%H%M%S)
step_log=$lab_dir/$run.log
step_pcap=$lab_dir/$run.step.pcap
tun_pcap=$lab_dir/$run.tun0.pcap
work=$(mktemp -d)
step_pid="" dump_pid=""

cleanup() {
    if [ -n "$dump_pid" ]; then kill -INT "$dump_pid" 2>/dev/null; wait "$dump_pid" 2>/dev/null; fi
    if [ -n "$step_pid" ]; then kill -TERM "$step_pid" 2>/dev/null; wait "$step_pid" 2>/dev/null; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip link set lo up
if [ -n "${LAB_FOREIGN:-}" ]; then
    "$step_bin" >"$step_log" 2>&1 &        # someone else's program: no options
else
    "$step_bin" -i tun0 --pcap "$step_pcap" >"$step_log" 2>&1 &
fi
step_pid=$!
for _ in $(seq 100); do ip link show tun0 >/dev/null 2>&1 && break; sleep 0.05; done
if ! ip link show tun0 >/dev/null 2>&1; then
    echo "lab: $step did not create tun0; it said:" >&2
    cat "$step_log" >&2
    exit 1
fi
ip addr add 192.0.2.1/24 dev tun0
ip link set tun0 up
"$root/scripts/link-ready.sh" tun0

if [ "$mode" = shell ]; then
    sysctl -qw net.ipv4.ping_group_range="0 2147483647" 2>/dev/null ||
        sysctl -qw net.ipv4.ping_group_range="0 0"
    cat <<TXT
You are in the lab: a private network namespace where $step is running on
tun0 (192.0.2.1/24). Try:
    ping 192.0.2.2                  (unprivileged: a datagram socket)
    sysctl -w net.ipv4.ping_group_range="1 0"; ping 192.0.2.2   (raw socket)
    tshark -i tun0 -V               (Wireshark's view)
    cat $step_log                   (what the step printed)
Type 'exit' to leave; the namespace and everything in it go away.
TXT
    PS1="[lab $step] \w# " bash --norc -i || true
    exit 0
fi

dumpcap -q -i tun0 -w "$tun_pcap" 2>/dev/null &
dump_pid=$!
for _ in $(seq 100); do [ -s "$tun_pcap" ] && break; sleep 0.05; done
sleep 0.3                   # dumpcap writes its file header before it listens

# Which socket ping uses is net.ipv4.ping_group_range: groups in the range
# may open datagram sockets, and ping prefers one when it may. In a user
# namespace (the lab as a normal user) only gid 0 exists, so the kernel
# refuses ranges with other gids: there "1 0", a new namespace's default,
# is already in force for the raw run, and "0 0" allows the datagram run.
set_ping_range() {
    sysctl -qw net.ipv4.ping_group_range="$1" 2>/dev/null && return 0
    case $1 in
        "1 0") return 0 ;;  # the default of the namespace we just made
        *) sysctl -qw net.ipv4.ping_group_range="0 0" ;;
    esac
}

# shellcheck disable=SC2086 # PING is split into arguments on purpose
run_ping() {
    set_ping_range "$1" || echo "lab: could not set net.ipv4.ping_group_range to '$1'"
    ping -c 2 -i 0.2 -W 1 ${PING:-} 192.0.2.2 2>&1 || true
}
run_ping "1 0" >"$work/raw"
run_ping "0 2147483647" >"$work/dgram"
sleep 1                     # let dumpcap take the last packets before it stops
kill -INT "$dump_pid" 2>/dev/null || true; wait "$dump_pid" 2>/dev/null || true; dump_pid=""
# The step may be gone already (a crash): that is news for the report.
kill -TERM "$step_pid" 2>/dev/null || true
step_status=0
wait "$step_pid" 2>/dev/null || step_status=$?
step_pid=""

tshark_lines() {
    tshark -r "$tun_pcap" -Y icmp -T fields -E separator=' ' \
        -e ip.src -e ip.dst -e frame.len -e _ws.col.Info 2>/dev/null
}
verdict() {
    local v
    v=$(tshark -r "$tun_pcap" -o ip.check_checksum:TRUE -V -Y 'icmp.type == 0' 2>/dev/null |
        { grep -E '^    (Header )?Checksum:' || true; } | head -n 2 |
        sed -e 's/^    Header Checksum:/IPv4 header checksum:/' -e 's/^    Checksum:/ICMP checksum:/')
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
    echo "--- ping 192.0.2.2 with a raw socket (ping_group_range \"1 0\", as root) ---"
    cat "$work/raw"
    echo "--- ping 192.0.2.2 with a datagram socket (ping_group_range \"0 2147483647\") ---"
    cat "$work/dgram"
    echo "--- tshark on tun0: the ICMP packets ---"
    cat "$work/tshark"
    echo "--- tshark on the first reply ---"
    cat "$work/verdict"
}

echo "=== $step ==="
report
echo "--- what $step printed ---"
cat "$step_log"
if [ "$step_status" != 0 ]; then
    how="status $step_status"
    [ "$step_status" -gt 128 ] && how="signal $((step_status - 128)) ($(kill -l $((step_status - 128))))"
    echo "--- $step did not end cleanly: it exited with $how"
fi
echo "--- kept: $step_log, $step_pcap (the step's --pcap), $tun_pcap (dumpcap)"

[ -n "$transcript" ] && report | normalize >"$transcript"

# One row of the demo's table.
ping_result() {
    local out=$1 sent received notes=""
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
wireshark_result() {
    if grep -q 'no echo reply' "$work/verdict"; then echo "no reply to check"
    elif grep -q '^ICMP checksum: .*incorrect' "$work/verdict"; then echo "ICMP checksum incorrect"
    elif grep -q '^ICMP checksum: .*correct' "$work/verdict"; then echo "ICMP checksum correct"
    else echo "?"
    fi
}
[ -n "$summary" ] && printf '%s|%s|%s|%s\n' "$step" "$(ping_result "$work/raw")" \
    "$(ping_result "$work/dgram")" "$(wireshark_result)" >"$summary"
exit 0
