#!/usr/bin/env bash
# make check STEP=NN [BIN=program]: does a learner's step work, and if not,
# which byte is wrong?
#
# Without BIN, it builds the learner's copy (workshop/NN-name, made by
# `make exercise STEP=NN`) against the same CMocka tests as the solution,
# with AddressSanitizer and UndefinedBehaviorSanitizer, then, where this
# machine allows namespaces, runs that sanitized copy in the lab against
# real ping (both socket modes) and tshark. With BIN, it runs only the live
# checks, against any program that creates tun0 itself: a learner writing
# in Rust, Go or Python can check their work too (docs/bring-your-own.md
# says how BIN is started and stopped). BIN may be a command with
# arguments: BIN="python3 responder.py".
#
# From step 06 on, the live checks also ask what a host must refuse (another
# host's address, the subnet's broadcast, one packet for each rung of the
# ladder); from 07, ping -R; for 08, who the program is while it runs, read
# from /proc/PID/status, never from what it says; from 09, traceroute,
# tracepath, nc and a connected UDP socket, each beside what it gets from
# Linux in the same run, and every error's quote as tshark decodes it; from
# 10, ping -s 4000 (fragments both ways) beside Linux too; from 11, ping -6
# 2001:db8::2 in both socket modes and Wireshark's ICMPv6 checksum verdict.
#
# Nothing here runs unbounded: every stage has a time limit (below), says
# which stage ran out of time and what that usually means, and Ctrl-C ends
# everything. A run that checked nothing never passes.
#
# WORKSHOP_DIR (default ./workshop) says where the learner's copies are;
# failed checks keep their logs and captures in WORKSHOP_DIR/NN-name/check/.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
PATH=$PATH:/usr/sbin:/sbin             # ip, for a normal user on Debian
source "$root/scripts/give-back.sh"
number=${1:-}
bin=${2:-}

# The time limits, in seconds (the environment may shorten them for tests).
compile_seconds=${CHECK_COMPILE_SECONDS:-20}
unit_seconds=${CHECK_UNIT_SECONDS:-20}
lab_seconds=${CHECK_LAB_SECONDS:-40}

[ -n "$number" ] || { echo "check: say which step, for example 'make check STEP=04'." >&2; exit 2; }
[[ $number =~ ^[0-9]$ ]] && number=0$number           # STEP=4 means 04
step=$(cd "$root/steps" && ls -d "$number"-* 2>/dev/null | head -n 1)
[ -n "$step" ] || { echo "check: there is no step '$number': choose one of $(cd "$root/steps" && echo [0-9]*)." >&2; exit 2; }
number=${step%%-*}
workshop=$(realpath -m "${WORKSHOP_DIR:-$root/workshop}")
learner=$workshop/$step
work=$(mktemp -d)

passed=0 failed=0 skipped=0
pass() { passed=$((passed + 1)); echo "PASS  $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; [ $# -lt 2 ] || printf '%s\n' "$2" | sed 's/^/        /'; }
skip() { skipped=$((skipped + 1)); echo "SKIP  $1"; }
# keep: where the learner can open a failed check's logs and captures.
keep=""
finish() {
    trap - EXIT
    if [ "$failed" != 0 ] && [ -n "$keep" ]; then
        mkdir -p "$keep" && cp -r "$work"/. "$keep"/ 2>/dev/null &&
            echo "(logs and captures of this check: $keep/)"
        give_back "$keep"
    fi
    rm -rf "$work"
    # Under sudo: make all's bin/ and build/, and the learner's build, are theirs.
    give_back "$root/bin" "$root/build"
    [ -n "$bin" ] || give_back "$learner"
    echo
    echo "$step: $passed passed, $failed failed${skipped:+, $skipped skipped}" | sed 's/, 0 skipped$//'
    if [ "$passed" = 0 ] && [ "$failed" = 0 ]; then
        echo "check: nothing was checked: fix what the SKIP lines say, then run it again."
        exit 3
    fi
    [ "$failed" = 0 ] || exit 1
    if [ "$skipped" = 0 ]; then
        local next
        next=$(printf %02d $((10#$number + 1)))
        if ls -d "$root/steps/$next"-* >/dev/null 2>&1; then
            echo "All of step $number works. Next: the lesson's 'Try this', then 'make exercise STEP=$next'."
        else
            echo "All of step $number works, and it is the last step: try its lesson's 'Try this'."
        fi
    fi
    exit 0
}
trap 'rm -rf "$work"' EXIT
# The trap may run while a stage's output is redirected: say it on the
# terminal (fd 3, our own standard output), not into that stage's log.
exec 3>&1
trap 'echo >&3; echo "check: interrupted (Ctrl-C): everything it started has been stopped." >&3; rm -rf "$work"; exit 130' INT TERM

# limited SECONDS COMMAND...: runs COMMAND, killed when its time is up
# (status 124, or 137 if it ignored SIGTERM). --foreground keeps it in the
# terminal's process group, so that Ctrl-C reaches it at once.
limited() {
    local seconds=$1; shift
    timeout --foreground -k 3 "$seconds" "$@"
}
timed_out() { [ "$1" = 124 ] || [ "$1" = 137 ]; }

echo "=== make check STEP=$number: $step${bin:+ (program: $bin)}"

# ---- BIN: the program to check, exactly as given ---------------------------
# program: what the lab runs. For BIN, a small launcher that starts the
# command from the directory make check was run in.
foreign=""
if [ -n "$bin" ]; then
    read -r -a words <<<"$bin"
    first=${words[0]}
    if [[ $first == */* ]] || [ -e "$first" ]; then path=$first; else path=$(command -v "$first" || true); fi
    if [ -z "$path" ] || [ ! -e "$path" ]; then
        fail "BIN=$bin: there is no program '$first': give the path to your program, for example BIN=./responder, or a command, BIN=\"python3 responder.py\"."
        finish
    elif [ -d "$path" ]; then
        fail "BIN=$bin: '$first' is a directory: give the path to your program inside it."
        finish
    elif [ ! -x "$path" ]; then
        fail "BIN=$bin: '$first' is not executable: run 'chmod +x $first' and start it with a '#!' line (for example '#!/usr/bin/env python3'), or name its interpreter: BIN=\"python3 $first\"."
        finish
    fi
    {
        echo '#!/bin/sh'
        printf 'cd %q || exit 1\n' "$PWD"
        printf 'exec %q' "$(realpath "$path")"
        [ ${#words[@]} -lt 2 ] || printf ' %q' "${words[@]:1}"
        echo
    } >"$work/program"
    chmod +x "$work/program"
    program=$work/program
    foreign=1
fi

# ---- the same unit tests as the solution's --------------------------------
if [ -z "$bin" ]; then
    if [ ! -d "$learner" ]; then
        echo "check: there is no copy of $step to check yet: run 'make exercise STEP=$number' first." >&2
        exit 2
    fi
    require_writable "$learner" || exit 1
    keep=$learner/check
    rm -rf "$keep"
    # The learner's files replace the solution's; the rest of common/ stays.
    sources=()
    for c in "$root"/common/*.c; do
        if [ -f "$learner/$(basename "$c")" ]; then sources+=("$learner/$(basename "$c")"); else sources+=("$c"); fi
    done
    flags=(-std=gnu11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -I"$root/common")
    sanitize=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
    mkdir -p "$learner/build"
    limited "$compile_seconds" cc "${flags[@]}" -o "$learner/build/$step" "$learner/main.c" "${sources[@]}" -lpcap 2>"$work/cc.err"
    status=$?
    if [ $status = 0 ]; then
        pass "your copy compiles: $learner/build/$step"
    elif timed_out $status; then
        fail "your copy compiles: the compiler ran out of time ($compile_seconds s); the machine may be overloaded"
        finish
    else
        fail "your copy compiles" "$(head -n 30 "$work/cc.err")"
        finish
    fi
    if grep -q 'warning:' "$work/cc.err"; then
        echo "      with $(grep -c 'warning:' "$work/cc.err") compiler warning(s); a warning is often the bug:"
        grep -A3 'warning:' "$work/cc.err" | head -n 20 | sed 's/^/        /'
    fi
    # The copy that goes into the lab: the same, with the sanitizers, so that
    # reading past a packet ends the run with a report instead of a reply.
    limited "$compile_seconds" cc "${flags[@]}" "${sanitize[@]}" -o "$work/$step.asan" \
        "$learner/main.c" "${sources[@]}" -lpcap 2>/dev/null
    program=$work/$step.asan

    # The step's tests, and those of every common/ module the learner wrote.
    # (A step whose unit tests are still being written has none yet.)
    tests=()
    for t in "$root"/tests/steps/test_${number}_*.c; do [ -f "$t" ] && tests+=("$t"); done
    for c in "$learner"/*.c; do
        t=$root/tests/unit/test_$(basename "$c")
        [ -f "$t" ] && tests+=("$t")
    done
    for t in "${tests[@]}"; do
        name=$(basename "$t" .c)
        if ! limited "$compile_seconds" cc "${flags[@]}" -I"$workshop" -I"$root/steps" -I"$root/tests" \
                -DPROJECT_ROOT="\"$root\"" "${sanitize[@]}" \
                -o "$work/$name" "$t" "${sources[@]}" -lcmocka -lpcap 2>"$work/$name.err"; then
            fail "$name builds against your copy" "$(head -n 20 "$work/$name.err")"
            continue
        fi
        ASAN_OPTIONS=detect_leaks=0 limited "$unit_seconds" "$work/$name" >"$work/$name.out" 2>&1
        status=$?
        # One line per test case, with what CMocka said about a failure.
        awk -v suite="$name" '
            /^\[ RUN      \] / { test = $4; detail = ""; next }
            /^\[       OK \] / && test != "" { print "PASS  " suite ": " test; test = ""; next }
            /^\[  FAILED  \] / && test != "" { print "FAIL  " suite ": " test; printf "%s", detail; test = ""; next }
            test != "" { sub(/^\[  ERROR   \] --- /, ""); sub(/^\[   LINE   \] --- /, "at ");
                         detail = detail "        " $0 "\n" }
        ' "$work/$name.out" >"$work/$name.report"
        cat "$work/$name.report"
        passed=$((passed + $(grep -c '^PASS' "$work/$name.report")))
        failed=$((failed + $(grep -c '^FAIL' "$work/$name.report")))
        running=$(sed -n 's/^\[ RUN      \] //p' "$work/$name.out" | tail -n 1)
        if timed_out $status; then
            fail "$name ran out of time ($unit_seconds s) in ${running:-its first test}: that is usually an endless loop, such as a uint8_t counter that can never reach a length above 255, or a loop whose index is not advanced"
        elif ! grep -q '^\[  PASSED  \]\|^\[  FAILED  \]' "$work/$name.out"; then
            fail "$name ran to the end: it crashed in ${running:-its first test}" "$(grep -v '^\[' "$work/$name.out" | grep -m 1 -A12 'ERROR\|runtime error\|Segmentation\|Abort' || tail -n 12 "$work/$name.out")"
        fi
    done
fi

# ---- real ping and tshark --------------------------------------------------
# live_setup: empty when the lab can run here; otherwise why not and the fix.
live_setup() {
    local tool
    for tool in ping tshark dumpcap ip unshare; do
        command -v "$tool" >/dev/null || { echo "'$tool' is missing: run 'sudo make deps'"; return; }
    done
    if [ "$(id -u)" = 0 ]; then
        unshare --net true 2>/dev/null || echo "this machine lets no one here create a network namespace (a container without CAP_SYS_ADMIN?): run it on the machine itself or in a VM"
        return
    fi
    unshare --user --map-root-user --net true 2>/dev/null || {
        echo "this system does not let normal users create namespaces (Ubuntu 23.10+: AppArmor): run 'sudo make check STEP=$number${bin:+ BIN=...}', or ask for 'sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0'"
        return
    }
    if [ ! -c /dev/net/tun ]; then
        echo "/dev/net/tun does not exist: 'sudo modprobe tun' creates it"
    elif [ ! -r /dev/net/tun ] || [ ! -w /dev/net/tun ]; then
        echo "you may not open /dev/net/tun (mode $(stat -c %a /dev/net/tun)): run 'sudo make check STEP=$number${bin:+ BIN=...}', or 'sudo chmod 0666 /dev/net/tun' as Debian and Ubuntu ship it"
    fi
}
why_not=$(live_setup)

# What a host must answer and refuse beyond the plain ping (steps 06 on):
# pings of other addresses and with options, one packet for each rung of
# the ladder, and, for step 08, who the step is while it runs. Only the
# default run asks for them.
host_pings=""
if [ "$number" -ge 6 ]; then
    host_pings="192.0.2.77
-b 192.0.2.255"
fi
[ "$number" -lt 7 ] || host_pings+=$'\n-R 192.0.2.2'
# lab NAME [PING ARGUMENTS]: one run of the lab, with its time limit; its
# output in $work/NAME.out, its row in $work/NAME.row.
lab() {
    local name=$1 status host=""
    [ "$name" != default ] || host=$host_pings
    # The real tools (traceroute, tracepath, nc) only where they have
    # something to find: step 09 on, in the default run.
    # The IPv6 tools only where they are checked (step 11 on): each costs
    # seconds against a step that stays silent.
    LAB_TOOLS6=$([ "$number" -ge 11 ] && echo 1 || echo 0) \
    LAB_TOOLS=$([ "$number" -ge 9 ] && [ "$name" = default ] && echo 1 || echo 0) \
    LAB_PINGS=$host LAB_PROBE_LADDER=${host:+1} LAB_STATUS=$([ "$number" -ge 8 ] && echo 1) \
    LAB_DIR=$work/lab LAB_BIN=$program LAB_FOREIGN=$foreign PING=${2:-} LAB_PROBE_REPLY=1 \
        ASAN_OPTIONS=detect_leaks=0 limited "$lab_seconds" "$root/scripts/lab.sh" "$number" \
        --summary "$work/$name.row" --tools-summary "$work/$name.tools" >"$work/$name.out" 2>&1
    status=$?
    if timed_out $status; then
        echo "lab: the whole run ran out of time ($lab_seconds s) and was stopped" >>"$work/$name.out"
    fi
}
# evidence FILE SECTION: that section of a lab run's output.
evidence() {
    sed -n "/^--- $2/,/^---/p" "$1" | sed '1d;$d' | head -n 14
}
# what_it_wrote FILE: the packets on tun0 and what the program printed, last.
what_it_wrote() {
    echo "on tun0 (source, destination, length, what tshark sees):"
    evidence "$1" "tshark on tun0" | head -n 4 | sed 's/^/  /'
    echo "your program printed (last lines):"
    sed -n '/^--- what .* printed ---/,/^--- /p' "$1" | sed '1d;$d' | tail -n 5 | sed 's/^/  /'
    if evidence "$1" "tshark on tun0" | grep -q '^192\.0\.2\.1 192\.0\.2\.2 .* reply'; then
        echo "hint: your replies go from 192.0.2.1 to 192.0.2.2, the way the request went: swap source and destination"
    fi
}

# printed LINE: did the program print LINE (a fixed string) in the default run?
# (grep reads it all: with -q it may leave before sed has written the rest,
# and under pipefail sed's SIGPIPE would read as "not printed".)
printed() {
    sed -n '/^--- what .* printed ---/,/^--- /p' "$work/default.out" | grep -F -- "$1" >/dev/null
}
# extra_ping ARGS: the output of that extra ping in the default run.
extra_ping() {
    awk -v head="--- ping -c 1 -W 1 $1 (raw socket) ---" '
        $0 == head { inside = 1; next }
        inside && /^--- / && !/ ping statistics ---$/ { exit }
        inside' "$work/default.out"
}
# refused WHAT PING-ARGS LINE WHY: no reply to that ping, and the line that says why.
refused() {
    local out
    out=$(extra_ping "$2")
    if [ -z "$out" ]; then
        fail "$1: the ping was not run" "$(grep '^lab: ' "$work/default.out" | tail -n 5)"
    elif ! grep -q ' 0 received' <<<"$out"; then
        fail "$1: it was answered" "$(printf '%s\n%s' "$out" "$4")"
    elif ! printed "$3"; then
        fail "$1: no reply, but your program did not print '$3...'" \
            "the tests compare that line: say what you ignored and why"
    else
        pass "$1: no reply, and it says '$3...'"
    fi
}

# host_checks: the checks of steps 06 on, from the default run.
host_checks() {
    refused "ping 192.0.2.77, another host's address" "192.0.2.77" \
        "ignored: destination 192.0.2.77 is not one of our addresses" \
        "a host answers its own addresses only (RFC 1122 3.2.1.3): ours is 192.0.2.2/24"
    refused "ping -b 192.0.2.255, the subnet's broadcast address" "-b 192.0.2.255" \
        "ignored: destination 192.0.2.255 is a broadcast or multicast address, not answered" \
        "192.0.2.255 is the broadcast address of 192.0.2.2/24: Linux ignores echo to broadcast (icmp_echo_ignore_broadcasts), and a reply from it would come from a broadcast address (RFC 1122 3.2.1.3)"
    # Step 06 reads no options: it answers the two requests with options
    # (malformed, source-routed) as step 05 would. From 07 on, none; from
    # 09 on, the malformed one gets a parameter problem, as from Linux.
    local want=0 got
    [ "$number" != 06 ] || want=2
    [ "$number" -lt 9 ] || want=1
    got=$(sed -n 's/^--- one packet for each refusal of a host.s ladder, sent to [^:]*: //p' "$work/default.out")
    if [ "$got" = "sent 18, replies $want" ]; then
        pass "one packet for each rung of the ladder: $got"
    else
        fail "one packet for each rung of the ladder (tools/inject.c --ladder): expected 'sent 18, replies $want', got '${got:-no probe}'" \
            "each packet is a good request but for one thing; what your program printed for them:
$(sed -n '/^--- what .* printed ---/,/^--- /p' "$work/default.out" | sed '1d;$d' |
  grep -v '^  \|packets by verdict\|stopped after' | tail -n 20)"
    fi
    if printed "ignored: IPv4 header checksum 0x"; then
        pass "a header whose checksum does not verify: it says 'ignored: IPv4 header checksum 0x... does not verify'"
    else
        fail "a header whose checksum does not verify is not refused with 'ignored: IPv4 header checksum 0x... does not verify'" \
            "RFC 1122 3.2.1.2: a host MUST verify the header checksum, and silently discard a packet whose checksum is wrong"
    fi
    [ "$number" -lt 7 ] || options_checks
    [ "$number" -lt 8 ] || privilege_checks
    [ "$number" -lt 9 ] || tool_checks
}

# tool_checks: step 09 on, the tools a host must satisfy (traceroute,
# tracepath, nc, a connected UDP socket; from 10, ping -s 4000), each
# beside what the same tool got from Linux in the same run (scripts/lab.sh:
# a namespace behind a veth pair), and every error's quote against the
# datagram sent (tshark).
tool_checks() {
    local yours linux names c name got want
    yours=$(grep -v '^Linux|' "$work/default.tools" 2>/dev/null)
    linux=$(grep '^Linux|' "$work/default.tools" 2>/dev/null)
    if [ -z "$yours" ] || [ -z "$linux" ]; then
        fail "the real tools (traceroute, tracepath, nc): the lab could not run them beside Linux" \
            "$(grep '^lab: ' "$work/default.out" | tail -n 5)"
        return
    fi
    IFS='|' read -r -a names <<<"$(head -n 1 "$root/tests/transcripts/tools.txt")"
    IFS='|' read -r -a got <<<"$yours"
    IFS='|' read -r -a want <<<"$linux"
    # traceroute .. nc -z (TCP); ping and ping -R are checked above. From
    # step 10 on, ping -s 4000 too: a request cut into fragments.
    local columns=(3 4 5 6 7)
    [ "$number" -lt 10 ] || columns+=(8)
    [ "$number" -lt 11 ] || columns+=(9 10 11)
    for c in "${columns[@]}"; do
        name=${names[$c]}
        if [ "${got[$c]}" = "${want[$c]}" ]; then
            pass "$name: ${got[$c]}, as against Linux"
        else
            fail "$name: against Linux '${want[$c]}', against yours '${got[$c]}'" \
                "$(tools_section | awk -v t="\$ $(tool_command "$name") " '
                       index($0, t) == 1 { on = 1; print; next } /^(\$|===|tshark:) / { on = 0 } on' | head -n 8)
$(tool_hint "$name")"
        fi
    done
    local quotes differ
    quotes=$(tools_section | grep -c '^tshark: .* quoting: ')
    differ=$(tools_section | grep -A1 '^tshark: .* quoting: ' |
             grep -v '^tshark: \|^--$\|= the datagram sent, field by field')
    if [ "$quotes" -gt 0 ] && [ -z "$differ" ]; then
        pass "each of your $quotes errors quotes the datagram sent, field by field (tshark)"
    elif [ "$quotes" -gt 0 ]; then
        fail "your errors quote the datagram sent, field by field (tshark)" \
            "$(printf '%s\n%s' "$differ" "quote the offending datagram as it arrived: its IP header and the first bytes after it")"
    fi
}
# tools_section: what the tools printed against the learner's program.
tools_section() {
    sed -n '/^=== the tools a host must satisfy/,/^=== the same tools/p' "$work/default.out"
}
# tool_command NAME: how the lab runs the tool of that column.
tool_command() {
    case $1 in
        "nc -u -z") echo "nc -u" ;;
        "connected UDP socket") echo "tools/udp-client.py" ;;
        "nc -z (TCP)") echo "nc -z" ;;
        traceroute|tracepath) echo "$1 -n" ;;
        *) echo "$1" ;;
    esac
}
# tool_hint NAME: what usually makes that tool go without its answer.
tool_hint() {
    case $1 in
        traceroute|tracepath|"nc -u -z"|"connected UDP socket")
            echo "hint: UDP to a port nobody listens on gets a port unreachable (type 3, code 3) quoting the datagram, cut to its UDP length (RFC 1122 3.2.2.1): without it, $1 hears nothing" ;;
        "nc -z (TCP)")
            echo "hint: TCP to a closed port gets a reset (RFC 793, Reset Generation), not ICMP" ;;
        "ping -6"|"traceroute -6"|"tracepath -6")
            echo "hint: IPv6 to 2001:db8::2 (tun0 has 2001:db8::1/64): echo request 128 gets echo reply 129, its checksum over the pseudo-header (RFC 8200 8.1); UDP to a closed port gets port unreachable (1/4)" ;;
        "ping -s 4000")
            echo "hint: 4028 bytes do not fit tun0's MTU of 1500, so the request arrives as three fragments: put them back together (same source, destination, protocol and identification; RFC 791, RFC 815), answer the whole datagram, and cut the reply to the MTU" ;;
    esac
}

# ipv6_checks: step 11 on, ping -6 2001:db8::2 in both socket modes (tun0
# has 2001:db8::1/64), as Linux answers it (tests/e2e/test_step11.sh
# measures Linux beside the step: both kinds reply), and Wireshark's
# verdict. A checksum summed without the pseudo-header is the mistake to
# name: the kernel drops such replies in both socket modes (nstat:
# Icmp6InCsumErrors), so ping shows nothing, and only tshark says why.
ipv6_checks() {
    local got_raw got_dgram got_wireshark hint
    LAB_TARGET=2001:db8::2 lab v6
    IFS='|' read -r _ got_raw got_dgram got_wireshark <"$work/v6.row" 2>/dev/null || true
    hint=""
    [ "${got_wireshark:-}" != "ICMPv6 checksum incorrect" ] ||
        hint="hint: tshark says the ICMPv6 checksum is incorrect: ICMPv6 sums a pseudo-header first (source and destination address, the ICMPv6 length, next header 58; RFC 8200 8.1), and the kernel drops a reply without it in both socket modes"
    live "ping -6 2001:db8::2, raw socket" "replies (2 of 2)" "${got_raw:-nothing}" v6 "ping 2001:db8::2 with a raw"
    live "ping -6 2001:db8::2, datagram socket" "replies (2 of 2)" "${got_dgram:-nothing}" v6 "ping 2001:db8::2 with a datagram"
    live "ping -6, Wireshark on the reply" "ICMPv6 checksum correct" "${got_wireshark:-nothing}" v6 "tshark on the first reply"
    [ -z "$hint" ] || echo "$hint"
}

# options_checks: step 07's Record Route, and its refusals.
options_checks() {
    local out
    out=$(extra_ping "-R 192.0.2.2")
    # What ping prints against the kernel (tests/e2e/test_step07.sh measures
    # it across a veth pair): the route there and back, the host twice.
    if grep -qzP 'RR: \t192\.0\.2\.1\n\t192\.0\.2\.2\n\t192\.0\.2\.2\n\t192\.0\.2\.1\n' <<<"$out"; then
        pass "ping -R: the route there and back, as the kernel returns it"
    else
        fail "ping -R: expected the route 192.0.2.1, 192.0.2.2, 192.0.2.2, 192.0.2.1, as the kernel returns it" \
            "$(printf '%s\n%s' "$out" "copy the request's Record Route into the reply with this host's address added (ipv4_options_echo)")"
    fi
    if printed "source route option: not answered"; then
        pass "a source-routed request: refused, and it says why"
    else
        fail "a source-routed request (tools/inject.c --ladder) is not refused with a line saying so" \
            "Linux refuses source routes (accept_source_route=0): refuse OPTIONS_SOURCE_ROUTED with refuse(log, SOURCE_ROUTED, \"%s\", why)"
    fi
}

# privilege_checks: step 08, from the kernel's /proc/PID/status, never from
# what the program says about itself.
privilege_checks() {
    local status ids
    status=$(sed -n '/^--- \/proc\/PID\/status of /,/^---/p' "$work/default.out" | sed '1d' | grep -v '^---')
    if [ -z "$status" ]; then
        fail "who it runs as: the lab could not read /proc/PID/status: it was not running"
        return
    fi
    field() { sed -n "s/^$1:[[:space:]]*//p" <<<"$status" | tr -s '\t ' ' ' | sed 's/ $//'; }
    if [ "$(id -u)" != 0 ]; then
        # In a user namespace of our own, uid 0 is the user who ran make check.
        ids="uid 0 here, which is you outside"
    elif grep -qw 0 <<<"$(field Uid) $(field Gid)"; then
        fail "it gives up root: the kernel shows Uid: $(field Uid), Gid: $(field Gid) while it runs" \
            "$(said=$(grep -o -m 1 'now running as .*' "$work/default.out"); [ -z "$said" ] || echo "it said '$said': the kernel says otherwise.")
become --user (nobody) once the tun is open: setgroups, then setresgid, then setresuid; then read /proc/self/status back, and refuse to run if an id 0 is left"
        ids=""
    else
        ids="uid $(field Uid | cut -d' ' -f1), gid $(field Gid | cut -d' ' -f1)"
    fi
    if [ -n "$ids" ] && [ "$(id -u)" = 0 ] && [ -n "$(field Groups)" ]; then
        fail "it gives up root's groups: the kernel shows Groups: $(field Groups) while it runs" \
            "empty them with setgroups(0, NULL) while still root"
    elif [ -n "$ids" ]; then
        pass "it runs as $ids, with no supplementary group (/proc/PID/status)"
    fi
    if [ "$(field CapEff)$(field CapPrm)" = 00000000000000000000000000000000 ] && [ "$(field NoNewPrivs)" = 1 ]; then
        pass "with no capability, and no way to gain one (NoNewPrivs: 1)"
    else
        fail "with no capability: the kernel shows CapEff: $(field CapEff), CapPrm: $(field CapPrm), NoNewPrivs: $(field NoNewPrivs)"
    fi
}

if [ -n "$why_not" ]; then
    skip "the live checks: $why_not."
else
    IFS='|' read -r _ want_raw want_dgram want_wireshark <<<"$(grep "^$step|" "$root/tests/transcripts/results.txt")"
    lab default
    if [ ! -s "$work/default.row" ]; then
        fail "it runs in the lab and creates tun0" "$(grep -v '^lab: it said:' "$work/default.out" | tail -n 15)"
    else
        # live WHAT EXPECTED GOT RUN SECTION: one verdict, with its own run's evidence.
        live() {
            if [ "$2" = "$3" ]; then
                case $3 in
                    *"no reply"*|*incorrect*|*"wrong data"*) pass "$1: $3 (expected at this step)" ;;
                    *) pass "$1: $3" ;;
                esac
                return
            fi
            case $3 in
                "no reply"*) fail "$1: expected '$2', got '$3'" "$(evidence "$work/$4.out" "$5"; what_it_wrote "$work/$4.out")" ;;
                *) fail "$1: expected '$2', got '$3'" "$(evidence "$work/$4.out" "$5")" ;;
            esac
        }
        kind=$(sed -n 's/^--- tun0 as [^ ]* made it: //p' "$work/default.out")
        case $kind in
            *": right") pass "tun0 is $kind" ;;
            *) fail "tun0 is $kind" ;;
        esac
        ended=$(grep -m 1 "^--- .* did not end cleanly" "$work/default.out" | sed 's/^--- //')
        if [ -n "$ended" ]; then
            fail "your program runs until it is stopped: $ended" \
                "$(sed -n '/^--- what .* printed ---/,/^--- /p' "$work/default.out" | sed '1d;$d' | tail -n 15)"
        fi
        case $ended in *"by itself"*)
            finish ;;               # what ping saw after that says nothing more
        esac
        IFS='|' read -r _ got_raw got_dgram got_wireshark <"$work/default.row"
        live "ping with a raw socket" "$want_raw" "$got_raw" default "ping 192.0.2.2 with a raw"
        live "ping with a datagram socket" "$want_dgram" "$got_dgram" default "ping 192.0.2.2 with a datagram"
        live "Wireshark on the reply" "$want_wireshark" "$got_wireshark" default "tshark on the first reply"
        if [ -n "$foreign" ] && [ "$number" -ge 3 ]; then
            # The same byte-by-byte comparison the unit tests give a C copy.
            capture=$(sed -n 's/^--- kept: .*, \(.*\) (dumpcap)$/\1/p' "$work/default.out")
            if [ -s "$capture" ] && tshark -r "$capture" -F pcap -w "$work/tun0.pcap" 2>/dev/null; then
                python3 "$root/tools/compare-reply.py" "$work/tun0.pcap" "$root/bin/$step" >"$work/compare" 2>&1
                case $? in
                    0) pass "your first reply, field by field, is what $step answers to the same request" ;;
                    1) fail "your first reply, field by field, against what $step answers to the same request" \
                            "$(cat "$work/compare")" ;;
                esac
            fi
        fi
        if [ "$number" -ge 3 ]; then
            probe=$(sed -n 's/^--- an echo reply (type 0) sent to [^:]*: //p' "$work/default.out")
            case $probe in
                *"replies 0") pass "an echo reply (type 0) sent to it gets no answer" ;;
                *) fail "an echo reply (type 0) sent to it gets no answer: got '${probe:-no probe}'" \
                    "answer echo requests (type 8) only: a host that answers replies can ping-pong forever with another (RFC 792)" ;;
            esac
        fi
        [ "$number" -lt 6 ] || host_checks
        if [ "$number" -ge 5 ]; then
            # An odd size: where a checksum that forgets the last byte shows.
            lab s57 "-s 57"
            IFS='|' read -r _ got_raw got_dgram got_wireshark <"$work/s57.row" 2>/dev/null || true
            live "ping -s 57, datagram socket" "replies (2 of 2)" "${got_dgram:-nothing}" s57 "ping 192.0.2.2 with a datagram"
            live "ping -s 57, Wireshark on the reply" "ICMP checksum correct" "${got_wireshark:-nothing}" s57 "tshark on the first reply"
        fi
        [ "$number" -lt 11 ] || ipv6_checks
    fi
    grep -h '^lab: .* ran out of time' "$work"/*.out 2>/dev/null | sort -u | sed 's/^lab: /      (time limit: /; s/$/)/'
fi
finish
