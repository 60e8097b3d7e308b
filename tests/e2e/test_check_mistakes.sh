#!/usr/bin/env bash
# make check bites, and never hangs: each typical mistake of a learner,
# made in a copy of the solution, fails with a sentence that leads to the
# fix; an endless loop and a program that ignores SIGTERM end within the
# stated time limits; Ctrl-C ends everything; BIN= is what is checked.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_root "the live checks"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CHECK_UNIT_SECONDS=5 CHECK_LAB_SECONDS=40   # a Part 2 lab runs ~35 s here: the IPv4 and IPv6 tools, twice

# mistake NAME STEP SED-SCRIPT FILE [RUNNER...]: a solution copy of STEP with
# one edit, checked (through RUNNER, if given); the output in $work/NAME.out,
# the status in $work/NAME.status.
mistake() {
    local name=$1 n=$2 script=$3 file=$4 started=$SECONDS
    local runner=("${@:5}")
    python3 "$root/tools/workshop.py" solution "$n" --dir "$work/$name" >/dev/null
    local copy
    copy=$(echo "$work/$name"/*/)
    sed -i "$script" "$copy$file"
    if cmp -s "$copy$file" <(python3 "$root/tools/workshop.py" solution "$n" --dir "$work/$name.orig" >/dev/null; cat "$work/$name.orig"/*/"$file"); then
        not_ok "$name: the edit '$script' changed $file" "the solution no longer has the line it edits"
    fi
    WORKSHOP_DIR=$work/$name "${runner[@]}" "$root/scripts/check.sh" "$n" >"$work/$name.out" 2>&1
    echo $? >"$work/$name.status"
    echo $((SECONDS - started)) >"$work/$name.seconds"
}
fails_with() {    # NAME SENTENCE
    check_equal "$1: make check fails" 1 "$(cat "$work/$1.status")"
    check_contains "$1: and says: $2" "$2" "$(cat "$work/$1.out")"
}

mistake no-pi 01 's/IFF_TUN | IFF_NO_PI/IFF_TUN/' main.c
fails_with no-pi "FAIL  tun0 is WRONG: a TUN device with packet information: IFF_NO_PI is missing"
mistake tap 01 's/IFF_TUN | IFF_NO_PI/IFF_TAP | IFF_NO_PI/' main.c
fails_with tap "FAIL  tun0 is WRONG: a TAP device (IFF_TAP)"

mistake unswapped 03 's/memcpy(header.src, ip->dst, 4)/memcpy(header.src, ip->src, 4)/; s/memcpy(header.dst, ip->src, 4)/memcpy(header.dst, ip->dst, 4)/' main.c
fails_with unswapped "bytes 12-15 IPv4 Source"
fails_with unswapped "192.0.2.1 192.0.2.2 84 Echo (ping) reply"
fails_with unswapped "hint: your replies go from 192.0.2.1 to 192.0.2.2, the way the request went: swap source and destination"

fails_with unswapped "bytes 12-15 IPv4 Source: expected 0xc0000202, got 0xc0000201 (expected 192.0.2.2, got 192.0.2.1)"

mistake swapped-bytes 05 's/write_be16(icmp + 4, request->identifier);/memcpy(icmp + 4, \&request->identifier, 2);/' main.c
fails_with swapped-bytes "the two bytes are swapped: fields are big-endian on the wire"

mistake one-too-long 04 's/return IPV4_MIN_HEADER_LEN + icmp_len;/return IPV4_MIN_HEADER_LEN + icmp_len + 1;/' main.c
fails_with one-too-long "reply length: expected 84, got 85"

mistake crash 03 's/^\(\s*\)ipv4_write_header(reply, &header);/\1ipv4_write_header(reply, \&header); *(volatile char *)0 = 0;/' main.c
fails_with crash "ran to the end: it crashed in"
fails_with crash "FAIL  your program runs until it is stopped: 03-naive-reply did not end cleanly"

mistake overread 04 's/request->data, request->data_len)/request->data, request->data_len + 8)/' main.c
fails_with overread "heap-buffer-overflow"

mistake endless 04 's/^\(\s*\)memcpy(icmp + ICMP_ECHO_HEADER_LEN, request->data, request->data_len);.*/\1for (uint8_t i = 0; i < request->data_len; i++) icmp[ICMP_ECHO_HEADER_LEN + i] = request->data[i];/' main.c
fails_with endless "ran out of time (5 s) in"
fails_with endless "usually an endless loop"
check "endless: make check ends within its limits (took $(cat "$work/endless.seconds") s)" \
    test "$(cat "$work/endless.seconds")" -le 60

mistake checksum-0 05 's/write_be16(icmp + 2, inet_checksum(icmp, icmp_len));/write_be16(icmp + 2, 0);/' main.c
fails_with checksum-0 "FAIL  ping with a datagram socket: expected 'replies (2 of 2)', got 'no reply (100% loss)'"
fails_with checksum-0 "bytes 22-23 ICMP Checksum: expected 0x"

mistake odd-byte 05 '/^    if (i < len)$/,+1d' checksum.c
fails_with odd-byte "FAIL  ping -s 57, datagram socket: expected 'replies (2 of 2)', got 'no reply (100% loss)'"
check_contains "odd-byte: the -s 57 failure shows the -s 57 run's own ping" "PING 192.0.2.2 (192.0.2.2) 57(85) bytes of data." \
    "$(cat "$work/odd-byte.out")"
check_lacks "odd-byte: and not the default run's" "56(84) bytes of data" \
    "$(sed -n '/^FAIL  ping -s 57/,/^[A-Z]/p' "$work/odd-byte.out")"

# The header checksum is judged too: a reply with a wrong one vanishes.
mistake header-checksum 05 's/write_be16(icmp + 2, inet_checksum(icmp, icmp_len));/&\n    reply[10] ^= 0xff;/' main.c
fails_with header-checksum "FAIL  Wireshark on the reply: expected 'ICMP checksum correct', got 'IPv4 header checksum incorrect'"

# Part 2: a host's own mistakes.
mistake answers-any-address 06 's/^\(\s*\)if (destination != HOST_OWN)$/\1if (0)/' main.c
fails_with answers-any-address "FAIL  ping 192.0.2.77, another host's address: it was answered"
fails_with answers-any-address "a host answers its own addresses only"
fails_with answers-any-address "echo request 192.0.2.1 -> 192.0.2.77 id 3198 seq 1, 56 data bytes: replied"

mistake no-route 07 's/^\(\s*\)case OPTIONS_OK:$/&\n\1    *options_len = 0;/' main.c
fails_with no-route "FAIL  ping -R: expected the route 192.0.2.1, 192.0.2.2, 192.0.2.2, 192.0.2.1"

# The uid before the gid: root is gone, and with it the right to change gids.
mistake uid-before-gid 08 's/^\(\s*\)else if (setresgid(gid, gid, gid) < 0)$/\1else if (setresuid(uid, uid, uid) < 0 || setresgid(gid, gid, gid) < 0)/' privileges.c
fails_with uid-before-gid "cannot give up root: setresgid() was refused (Operation not permitted)"
fails_with uid-before-gid "FAIL  it runs in the lab and creates tun0"
# No setgroups(): started by a root that is in group 4 (adm), it keeps it.
mistake keeps-groups 08 's/^\(\s*\)if (setgroups(0, NULL) < 0)$/\1if (0)/' privileges.c setpriv --groups 4
fails_with keeps-groups "after giving up privileges the kernel still shows supplementary groups: not running."
# Step 09: the right error with the wrong code. Linux hands a protocol
# unreachable to the UDP socket as ENOPROTOOPT, and the tools say so.
mistake protocol-for-port 09 's/^\(\s*\)d->error.code = ICMP_UNREACHABLE_PORT;/\1d->error.code = ICMP_UNREACHABLE_PROTOCOL;/' main.c
fails_with protocol-for-port "FAIL  traceroute: against Linux 'ends at hop 1', against yours 'ends at hop 1, !P'"
fails_with protocol-for-port "FAIL  connected UDP socket: against Linux '2nd send: Connection refused', against yours '2nd send: Protocol not available'"
fails_with protocol-for-port "hint: UDP to a port nobody listens on gets a port unreachable (type 3, code 3)"

# Step 10: the exercise's starter drops fragments, as step 09 did; beside
# Linux in the same lab, ping -s 4000 says so in one line, with a hint.
python3 "$root/tools/workshop.py" exercise 10 --dir "$work/starter-10" >/dev/null
WORKSHOP_DIR=$work/starter-10 "$root/scripts/check.sh" 10 >"$work/starter-10.out" 2>&1
echo $? >"$work/starter-10.status"
fails_with starter-10 "FAIL  ping -s 4000: against Linux 'replies (2 of 2)', against yours 'no reply (100% loss)'"
fails_with starter-10 "hint: 4028 bytes do not fit tun0's MTU of 1500, so the request arrives as three fragments"

# Step 11: the exercise's starter sums the echo reply without the
# pseudo-header. ping -6 sees nothing in either socket mode (the kernel
# drops the reply: Icmp6InCsumErrors), so the line that helps is tshark's.
python3 "$root/tools/workshop.py" exercise 11 --dir "$work/starter-11" >/dev/null
WORKSHOP_DIR=$work/starter-11 "$root/scripts/check.sh" 11 >"$work/starter-11.out" 2>&1
echo $? >"$work/starter-11.status"
fails_with starter-11 "FAIL  ping -6 2001:db8::2, raw socket: expected 'replies (2 of 2)', got 'no reply (100% loss)'"
fails_with starter-11 "FAIL  ping -6 2001:db8::2, datagram socket: expected 'replies (2 of 2)', got 'no reply (100% loss)'"
fails_with starter-11 "FAIL  ping -6, Wireshark on the reply: expected 'ICMPv6 checksum correct', got 'ICMPv6 checksum incorrect'"
fails_with starter-11 "hint: tshark says the ICMPv6 checksum is incorrect: ICMPv6 sums a pseudo-header first"
check_contains "starter-11: IPv4 (step 10's, whole) still passes" "PASS  ping with a datagram socket: replies (2 of 2)" \
    "$(cat "$work/starter-11.out")"

# ---- BIN: what is named is what is checked ---------------------------------
bin_check() {    # NAME STEP BIN: make check STEP BIN=..., timed
    local started=$SECONDS
    "$root/scripts/check.sh" "$2" "$3" >"$work/$1.out" 2>&1
    echo $? >"$work/$1.status"
    echo $((SECONDS - started)) >"$work/$1.seconds"
}
bin_check bin-missing 05 /nonexistent/prog
fails_with bin-missing "FAIL  BIN=/nonexistent/prog: there is no program '/nonexistent/prog'"
check_lacks "bin-missing: it checks nothing else" "PASS" "$(cat "$work/bin-missing.out")"
cp "$root/examples/responder.py" "$work/responder.py"
chmod -x "$work/responder.py"
bin_check bin-not-executable 05 "$work/responder.py"
fails_with bin-not-executable "is not executable: run 'chmod +x $work/responder.py' and start it with a '#!' line"
bin_check bin-dir 05 "$work"
fails_with bin-dir "is a directory"

# A command with arguments is started as given.
bin_check bin-python 05 "python3 $work/responder.py"
check_equal "BIN=\"python3 responder.py\" (examples/responder.py) passes step 05" 0 "$(cat "$work/bin-python.status")"

# BIN programs get the byte-by-byte comparison of their first reply too.
sed 's/packet\[16:20\], packet\[12:16\])/packet[12:16], packet[16:20])/' "$root/examples/responder.py" >"$work/unswapped.py"
bin_check bin-unswapped 05 "python3 $work/unswapped.py"
fails_with bin-unswapped "bytes 12-15 IPv4 Source: expected 0xc0000202, got 0xc0000201 (expected 192.0.2.2, got 192.0.2.1)"
check_contains "bin-python: its first reply is compared, and agrees" \
    "PASS  your first reply, field by field, is what 05-checksum answers to the same request" "$(cat "$work/bin-python.out")"

# A responder that answers echo replies too.
sed 's/icmp\[0\] != 8/icmp[0] not in (0, 8)/' "$root/examples/responder.py" >"$work/pingpong.py"
bin_check bin-answers-replies 05 "python3 $work/pingpong.py"
fails_with bin-answers-replies "FAIL  an echo reply (type 0) sent to it gets no answer: got 'sent 1, replies 1'"

# A Python traceback is shown, not reported as "no reply".
sed 's/^\( *\)packet = os.read(fd, 65535)/&\n\1raise RuntimeError("a learner'"'"'s bug")/' "$root/examples/responder.py" >"$work/traceback.py"
bin_check bin-traceback 05 "python3 $work/traceback.py"
fails_with bin-traceback "did not end cleanly: it exited with status 1, by itself, during the run"
fails_with bin-traceback "RuntimeError: a learner's bug"

# Step 03's reply (zeros for data, so a timestamp of 1970), but only to the
# first request: ping waits twice that "round trip" for the second, that is
# decades, unless the lab's deadline stops it.
sed -e 's/^    body = b"\\0\\0\\0\\0" + icmp\[4:\] .*/    body = b"\\0\\0\\0\\0" + icmp[4:8] + bytes(len(icmp) - 8)/' \
    -e 's/^\( *\)os.write(fd, reply)/\1if not answered:\n\1    os.write(fd, reply)\n\1answered = True/' \
    -e 's/^    signal.signal(signal.SIGTERM.*/&\n    answered = False/' "$root/examples/responder.py" >"$work/once.py"
bin_check bin-lost-reply 03 "python3 $work/once.py"
check_contains "bin-lost-reply: ping's deadline stops the wait, and says so" \
    "ping with a raw socket ran out of time (8 s): ping was still waiting for replies" "$(cat "$work/bin-lost-reply.out")"
check "bin-lost-reply: make check ends (took $(cat "$work/bin-lost-reply.seconds") s)" \
    test "$(cat "$work/bin-lost-reply.seconds")" -le 40

# A program that ignores SIGTERM is killed, and the check says so.
cat >"$work/stubborn" <<SH
#!/bin/bash
trap '' TERM
"$root/bin/05-checksum" &
while :; do wait; done
SH
chmod +x "$work/stubborn"
bin_check bin-stubborn 05 "$work/stubborn"
fails_with bin-stubborn "killed: it ignored SIGTERM for 2 s"
check "bin-stubborn: make check still ends (took $(cat "$work/bin-stubborn.seconds") s)" \
    test "$(cat "$work/bin-stubborn.seconds")" -le 30

# Ctrl-C, typed on a terminal, ends make check and everything it started
# at once, even that program.
result=$(python3 "$root/tests/e2e/ctrl-c.py" 4 8 "$work/ctrl-c.out" "$root/scripts/check.sh" 05 "$work/stubborn")
check_contains "Ctrl-C: make check ends with status 130 within 5 s ($result)" "status 130 after" "$result"
seconds=$(echo "$result" | sed -n 's/^status .* after \([0-9]*\) s$/\1/p')
check "Ctrl-C: within 5 s (took ${seconds:-more than 8} s)" test "${seconds:-99}" -le 5
check_contains "Ctrl-C: and says so" "check: interrupted (Ctrl-C)" "$(cat "$work/ctrl-c.out")"
for _ in $(seq 30); do pgrep -f "$work/stubborn|$root/bin/05-checksum" >/dev/null || break; sleep 0.1; done
check_equal "Ctrl-C: nothing it started is left running" "" "$(pgrep -af "$work/stubborn|$root/bin/05-checksum")"

finish
