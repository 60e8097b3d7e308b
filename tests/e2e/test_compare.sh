#!/usr/bin/env bash
# make compare: the table marks exactly the fields in which a step's reply
# really differs from the kernel's, as root (the kernel answers live) and as
# a normal user (the recorded replies); its diagrams render; its output fits
# 80 columns; mistakes get one sentence.
#
# What "really differs" is worked out here on its own, from the bytes: each
# step's reply to each recorded request (its --replay output) beside the
# kernel's recorded reply (tests/fixtures/kernel-replies), field by field,
# with what make compare says it normalises left out: the identification,
# the header checksum unless one verifies and the other does not, and the
# kernel's addresses mapped back from 198.51.100.x. The lessons' own facts
# are checked too: step 03 sends ICMP checksum 0 and zeros, step 05 the
# kernel's checksum, and both set DF where Linux does not.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

# The user's checkout: what make compare needs, built, the user's to write.
mkdir "$work/project"
tar -C "$root" -cf - Makefile bin build/common build/tools common steps scripts tools \
    tests/fixtures | tar -C "$work/project" -xf -
chown -R nobody:nogroup "$work/project"
as_user() {
    (cd "$work/project" && setpriv --reuid=nobody --regid=nogroup --clear-groups \
        env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp "$@")
}

(cd "$root" && make -s compare STEPS="03 05") >"$work/root.txt" 2>&1
check_equal "make compare STEPS=\"03 05\" as root exits 0" 0 $?
as_user make -s compare STEPS="03 05" >"$work/user.txt" 2>&1
check_equal "make compare STEPS=\"03 05\" as nobody exits 0" 0 $?

check_contains "as root, the kernel answers live" "kernel: Linux's own replies, live" "$(cat "$work/root.txt")"
check_equal "as nobody, one line says the recorded replies stand in" \
    "kernel: the replies recorded in tests/fixtures/kernel-replies (live needs root)" \
    "$(grep '^kernel:' "$work/user.txt")"

# The fields that differ, per request and step, worked out from the bytes.
for step in 03-naive-reply 05-checksum; do
    for request in "$root"/tests/fixtures/requests/*.pcap; do
        name=$(basename "$request" .pcap)
        [ -f "$root/tests/fixtures/kernel-replies/$name.pcap" ] || continue
        "$root/bin/$step" --replay "$request" --pcap "$work/$name.${step%%-*}.pcap" >/dev/null 2>&1
    done
done
python3 - "$root/tests/fixtures" "$work" >"$work/expected.txt" <<'EOF'
import os, struct, sys
fixtures, work = sys.argv[1:3]

def packets(path):
    data = open(path, "rb").read()
    order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    at, out = 24, []
    while at + 16 <= len(data):
        n = struct.unpack(order + "I", data[at + 8:at + 12])[0]
        out.append(data[at + 16:at + 16 + n])
        at += 16 + n
    return out

def verifies(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b[:len(b) // 2 * 2])) + (b[-1] << 8 if len(b) % 2 else 0)
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s == 0xffff

def unmap(a):   # the kernel answered as 198.51.100.1 to 198.51.100.2
    return {bytes([198, 51, 100, 1]): bytes([192, 0, 2, 2]),
            bytes([198, 51, 100, 2]): bytes([192, 0, 2, 1])}.get(a, a)

def fields(p, request, kernel):
    h = (p[0] & 15) * 4
    icmp, asked = p[h:], request[(request[0] & 15) * 4:]
    return {
        "Version": p[0] >> 4, "IHL": p[0] & 15, "TOS": p[1], "Total Length": p[2:4],
        "Flags": p[6] >> 5, "Fragment Offset": struct.unpack("!H", p[6:8])[0] & 0x1fff,
        "TTL": p[8], "Protocol": p[9], "Header Checksum": verifies(p[:h]),
        "Source": unmap(p[12:16]) if kernel else p[12:16],
        "Destination": unmap(p[16:20]) if kernel else p[16:20],
        "Options": p[20:h] != b"" and p[20] or None,
        "Type": icmp[0], "Code": icmp[1], "Checksum": icmp[2:4], "Identifier": icmp[4:6],
        "Sequence Number": icmp[6:8], "Data Length": len(icmp) - 8, "Data": icmp[8:] == asked[8:],
    }

def kind(p):    # what the answer is: the protocol, and the ICMP type
    return p[9], p[(p[0] & 15) * 4]

for name in sorted(os.listdir(os.path.join(fixtures, "kernel-replies"))):
    request = packets(os.path.join(fixtures, "requests", name))[0]
    answer = packets(os.path.join(fixtures, "kernel-replies", name))[0]
    kernel = fields(answer, request, True)
    if kind(answer) != (1, 0):
        continue                    # step 09's fixtures: errors, resets, timestamp
                                    # replies (tests/steps/test_09_icmp_errors.c)
    for step in ("03", "05"):
        reply = packets(os.path.join(work, name[:-5] + "." + step + ".pcap"))[1]
        mine = fields(reply, request, False)
        print(name, step, " ".join(sorted(f.replace(" ", "_") for f in mine if mine[f] != kernel[f])))
EOF

# The fields make compare marked: the columns are 12 wide after an
# 18-wide label, the kernel first.
marked() {
    python3 - "$1" <<'EOF'
import sys
request, columns = None, []
marks = {}
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("== request "):
        request = line.split(": ", 1)[1]
    elif line.startswith(" " * 18 + "kernel"):
        columns = line[18:].split()[1:]
    elif request and line.startswith("  ") and len(line) > 18 and not line.startswith("   "):
        label = line[2:18].strip()
        for i, step in enumerate(columns):
            last = i == len(columns) - 1    # a 12-wide value pushes its * out
            cell = line[18 + 12 * (i + 1):None if last else 18 + 12 * (i + 2)]
            marks.setdefault((request, step), set())
            if cell.rstrip().endswith(" *"):
                marks[(request, step)].add(label.replace(" ", "_"))
for (request, step), fields in sorted(marks.items()):
    print(request, step, " ".join(sorted(fields)))
EOF
}
# Only the requests the kernel answered with an echo reply: the others
# are step 09's, which steps 03 and 05 do not answer.
echo_requests() { awk 'NR == FNR { keep[$1]; next } $1 in keep' "$work/expected.txt" -; }
marked "$work/root.txt" | echo_requests >"$work/marked-root.txt"
marked "$work/user.txt" | echo_requests >"$work/marked-user.txt"
echo_replies=0
for f in "$root"/tests/fixtures/kernel-replies/*.pcap; do
    tshark -r "$f" -Y 'icmp.type == 0' 2>/dev/null | grep -q . && echo_replies=$((echo_replies + 1))
done
check_equal "the expected differences cover every request the kernel answered with an echo reply, twice" \
    "$echo_replies" "$(($(wc -l <"$work/expected.txt") / 2))"
if diff "$work/expected.txt" "$work/marked-user.txt" >"$work/diff"; then
    ok "as nobody, the marked fields are exactly those that differ from the recorded replies"
else
    not_ok "as nobody, the marked fields are exactly those that differ from the recorded replies" \
        "$(head -n 20 "$work/diff")"
fi
if diff "$work/expected.txt" "$work/marked-root.txt" >"$work/diff"; then
    ok "as root, the live kernel differs from steps 03 and 05 in the same fields"
else
    not_ok "as root, the live kernel differs from steps 03 and 05 in the same fields" \
        "$(head -n 20 "$work/diff")"
fi

# The lessons' facts, on the plain ping request and the all-zero one.
check_equal "default: 03 differs in DF, its ICMP checksum (0) and its data (zeros)" \
    "default.pcap 03 Checksum Data Flags" "$(grep '^default.pcap 03' "$work/marked-user.txt")"
check_equal "default: 05 differs in DF only" \
    "default.pcap 05 Flags" "$(grep '^default.pcap 05' "$work/marked-user.txt")"
check_equal "all-zero: 05 writes 0xffff where Linux writes 0x0000" \
    "all-zero.pcap 05 Checksum Flags" "$(grep '^all-zero.pcap 05' "$work/marked-user.txt")"
block=$(sed -n '/^== request .*: default.pcap$/,/^$/p' "$work/user.txt")
check_contains "default: the ICMP checksums, kernel 0xfae0, 03 0x0000, 05 0xfae0" \
    "  Checksum        0xfae0      0x0000 *    0xfae0" "$block"
check_contains "default: the reason for 03's checksum, from lesson 03" \
    "* 03 Checksum: step 03 sends no checksum: the post's first reply" "$block"
check_contains "default: one reason for DF, for both steps" \
    "* 03, 05 Flags: the steps set DF; Linux's ICMP socket clears it" "$block"
check_lacks "the identification is never marked" "Identification  0x" \
    "$(grep 'Identification' "$work/user.txt" "$work/root.txt" | grep ' \*')"

long=$(awk 'length > 80' "$work/root.txt" "$work/user.txt")
check_equal "every line fits 80 columns" "" "$long"

# The diagrams: one per step, rendered, the differing cells in red.
check_equal "one diagram per step, each listed" \
    "drawn: build/compare/03-naive-reply.svg
drawn: build/compare/05-checksum.svg" "$(grep '^drawn:' "$work/user.txt")"
for step in 03-naive-reply 05-checksum; do
    svg="$work/project/build/compare/$step.svg"
    check "build/compare/$step.svg is an SVG picture" grep -q '<svg' "$svg"
    check "dot renders build/compare/$step.dot again without a word" \
        test -z "$(dot -Tsvg "$work/project/build/compare/$step.dot" 2>&1 >/dev/null)"
done
red() {  # the red cells of one request's node: their field names
    sed -n "/\"><B>$2.pcap: /,/TABLE>>/p" "$work/project/build/compare/$1.dot" |
        grep -o 'BGCOLOR="#f4c7c3">[A-Za-z ]*' | sed 's/.*>//' | sort | tr '\n' ' '
}
check_equal "03's diagram of the default request: Flags, Checksum, Data in red" \
    "Checksum Data Flags " "$(red 03-naive-reply default)"
check_equal "05's diagram of the default request: Flags in red" "Flags " "$(red 05-checksum default)"

# Step 09 answers with errors, resets and timestamp replies too: each of
# its answers beside the kernel's recorded one, worked out from the bytes.
# The kernel's error is mapped back on its own terms: its quote is the
# request as it arrived at Linux, so mapped back it holds the request's
# own addresses, header and UDP/TCP checksums, and 192.0.2.2 in the option
# slots Linux stamped; its ICMP checksum is recomputed (RFC 1071).
(cd "$root" && make -s compare STEPS=09) >"$work/root09.txt" 2>&1
check_equal "make compare STEPS=09 as root exits 0" 0 $?
as_user make -s compare STEPS=09 >"$work/user09.txt" 2>&1
check_equal "make compare STEPS=09 as nobody exits 0" 0 $?
for request in "$root"/tests/fixtures/requests/*.pcap; do
    name=$(basename "$request" .pcap)
    [ -f "$root/tests/fixtures/kernel-replies/$name.pcap" ] || continue
    "$root/bin/09-icmp-errors" --replay "$request" --pcap "$work/$name.09.pcap" >/dev/null 2>&1
done
python3 - "$root/tests/fixtures" "$work" >"$work/expected09.txt" 2>"$work/errors09.txt" <<'EOF09'
import os, struct, sys
fixtures, work = sys.argv[1:3]

def packets(path):
    data = open(path, "rb").read()
    order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    at, out = 24, []
    while at + 16 <= len(data):
        n = struct.unpack(order + "I", data[at + 8:at + 12])[0]
        out.append(data[at + 16:at + 16 + n])
        at += 16 + n
    return out

def fold(b):
    b = bytes(b) + b"\0" * (len(b) % 2)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s

def unmap(a):   # the kernel answered as 198.51.100.1 to 198.51.100.2
    return {bytes([198, 51, 100, 1]): bytes([192, 0, 2, 2]),
            bytes([198, 51, 100, 2]): bytes([192, 0, 2, 1])}.get(bytes(a), bytes(a))

def slots(o):   # where the addresses of RR, LSRR, SSRR and TS (flag 1, 3) sit
    at = 0
    while at + 1 < len(o) and o[at] != 0:
        if o[at] == 1:
            at += 1
            continue
        n = o[at + 1]
        if n < 2 or at + n > len(o):
            return
        if o[at] in (7, 131, 137):
            yield from range(at + 3, at + n - 3, 4)
        if o[at] == 68 and n >= 4 and o[at + 3] & 15 in (1, 3):
            yield from range(at + 4, at + n - 3, 8)
        at += n

def unmap_options(o, request):  # the slots Linux wrote, not the request's
    o = bytearray(o)
    for w in slots(o):
        if o[w:w + 4] != request[20 + w:24 + w]:
            o[w:w + 4] = unmap(o[w:w + 4])
    return o

def kernel_error(answer, request):
    h = (answer[0] & 15) * 4
    q = bytearray(answer[h + 8:])
    qh, rh = (q[0] & 15) * 4, (request[0] & 15) * 4
    q[10:20] = request[10:20]           # the header checksum it arrived with
    q[20:qh] = unmap_options(q[20:qh], request)
    at = {6: 16, 17: 6, 136: 6}.get(q[9])
    if at is not None and qh + at + 2 <= len(q):
        q[qh + at:qh + at + 2] = request[rh + at:rh + at + 2]
    icmp = bytearray(answer[h:h + 4]) + answer[h + 4:h + 8] + q
    icmp[2:4] = b"\0\0"
    icmp[2:4] = struct.pack("!H", ~fold(icmp) & 0xffff)
    return bytes(answer[:h] + icmp)

def fields(p, request, kernel):
    h = (p[0] & 15) * 4
    icmp, asked = p[h:], request[(request[0] & 15) * 4:]
    o = unmap_options(p[20:h], request) if kernel else bytearray(p[20:h])
    at = 0
    while at + 3 < len(o) and o[at] != 0:   # Timestamp's times: each side's clock
        if o[at] == 1:
            at += 1
            continue
        if o[at] == 68:
            flag = o[at + 3] & 15
            for w in range(at + (4 if flag == 0 else 8), at + o[at + 1] - 3,
                           4 if flag == 0 else 8):
                o[w:w + 4] = b"\0" * 4
        at += max(o[at + 1], 2)
    f = {
        "Version": p[0] >> 4, "IHL": p[0] & 15, "TOS": p[1], "Total Length": p[2:4],
        "Flags": p[6] >> 5, "Fragment Offset": struct.unpack("!H", p[6:8])[0] & 0x1fff,
        "TTL": p[8], "Protocol": p[9], "Header Checksum": fold(p[:h]) == 0xffff,
        "Source": unmap(p[12:16]) if kernel else p[12:16],
        "Destination": unmap(p[16:20]) if kernel else p[16:20], "Options": bytes(o),
    }
    if p[9] == 1:
        f.update({"Type": icmp[0], "Code": icmp[1], "Checksum": icmp[2:4],
                  "Identifier": icmp[4:6], "Sequence Number": icmp[6:8],
                  "Data Length": len(icmp) - 8,
                  "Data": "request's" if request[9] == 1 and icmp[8:] == asked[8:]
                          else "zeros" if not any(icmp[8:]) else "other"})
    return f

for name in sorted(os.listdir(os.path.join(fixtures, "kernel-replies"))):
    request = packets(os.path.join(fixtures, "requests", name))[0]
    answer = packets(os.path.join(fixtures, "kernel-replies", name))[0]
    mine = packets(os.path.join(work, name[:-5] + ".09.pcap"))
    if len(mine) < 2:
        print(name, "09 Answer")
        continue
    mine = mine[1]
    if answer[9] == 1 and answer[(answer[0] & 15) * 4] in (3, 12):
        answer = kernel_error(answer, request)
        if mine[(mine[0] & 15) * 4:] != answer[(answer[0] & 15) * 4:]:
            print(name, "step 09's error is not the kernel's, mapped back", file=sys.stderr)
    kernel, step = fields(answer, request, True), fields(mine, request, False)
    print(name, "09", " ".join(sorted(f.replace(" ", "_") for f in step
                                         if f in kernel and step[f] != kernel[f])))
EOF09
marked "$work/user09.txt" | grep -v '^[^ ]* kernel' >"$work/marked09-user.txt"
marked "$work/root09.txt" | grep -v '^[^ ]* kernel' >"$work/marked09-root.txt"
check_equal "step 09: every request the kernel answered is worked out" \
    "$(ls "$root"/tests/fixtures/kernel-replies | wc -l)" "$(wc -l <"$work/expected09.txt")"
if diff "$work/expected09.txt" "$work/marked09-user.txt" >"$work/diff"; then
    ok "step 09, as nobody: the marked fields are exactly those that differ"
else
    not_ok "step 09, as nobody: the marked fields are exactly those that differ" \
        "$(head -n 20 "$work/diff")"
fi
if diff "$work/expected09.txt" "$work/marked09-root.txt" >"$work/diff"; then
    ok "step 09, as root: the live kernel differs in the same fields"
else
    not_ok "step 09, as root: the live kernel differs in the same fields" \
        "$(head -n 20 "$work/diff")"
fi
# docs/differences.md lists no field in which step 09's errors differ from
# Linux's: their ICMP messages are the same bytes. One fixture's route
# names 198.51.100.2, Linux's own peer, as a hop: mapped back, Linux's
# error goes to 192.0.2.1 (and names it in its route), the step's to the hop.
check_equal "step 09's errors are the kernel's, mapped back, byte for byte" \
    "" "$(cat "$work/errors09.txt")"
errors=$(for f in "$root"/tests/fixtures/kernel-replies/*.pcap; do
    tshark -r "$f" -Y 'icmp.type == 3 || icmp.type == 12' 2>/dev/null | grep -q . &&
        basename "$f"; done)
check_equal "12 of the recorded replies are errors" 12 "$(echo "$errors" | wc -l)"
check_equal "step 09's errors: no field differs but lsrr-then-bad-option's" \
    "lsrr-then-bad-option.pcap 09 Destination Options" \
    "$(grep -F "$errors" "$work/expected09.txt" | grep -v ' 09 *$')"
check_contains "step 09: DF has its reason" \
    "* 09 Flags: the steps set DF; Linux's ICMP socket clears it" "$(cat "$work/user09.txt")"
check_lacks "step 09: every difference has its reason" "not in the lessons" \
    "$(cat "$work/user09.txt" "$work/root09.txt")"
block=$(sed -n '/^== request .*: udplite-closed.pcap$/,/^$/p' "$work/root09.txt")
check_contains "as root, UDP-Lite to a closed port: Linux's port unreachable" \
    "  Answer          unreachable unreachable" "$block"
check_contains "as root, UDP-Lite to a closed port: code 3" "  Code            3" "$block"
long=$(awk 'length > 80' "$work/root09.txt" "$work/user09.txt")
check_equal "step 09: every line fits 80 columns" "" "$long"

# A capture of the user's own, as nobody: what was not recorded needs root.
as_user make -s compare STEPS=05 CAPTURE=tests/fixtures/mixed.pcap >"$work/mixed.txt" 2>&1
check_contains "a request that was never recorded: the kernel column needs root" \
    "kernel: 1 request is not recorded; the kernel column (?) needs root: sudo make compare" \
    "$(cat "$work/mixed.txt")"
check_contains "the IPv6 packet of the capture is ignored, in one line" \
    "ignored 1 packet: not IPv4" "$(cat "$work/mixed.txt")"

# Live, the kernel answers more than echo: UDP to a closed port gets its
# port unreachable (GUIDE 3), once the UDP checksum follows the mapped
# addresses; no step before 09 sends errors.
python3 - "$work/udp.pcap" <<'EOF_UDP'
import struct, sys
def checksum(b):
    b += b"\0" * (len(b) % 2)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
src, dst = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])
udp = struct.pack("!HHHH", 40000, 33434, 13, 0) + b"hello"
udp = udp[:6] + struct.pack("!H", checksum(src + dst + struct.pack("!BBH", 0, 17, 13) + udp)) + udp[8:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 33, 1, 0, 64, 17, 0, src, dst)
p = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:] + udp
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
    f.write(struct.pack("<IIII", 0, 0, len(p), len(p)) + p)
EOF_UDP
out=$(cd "$root" && make -s compare STEPS="05 06" CAPTURE="$work/udp.pcap" 2>&1)
check_contains "as root, UDP to a closed port: the kernel's port unreachable, no step answers" \
    "  Answer          unreachable none *      none *" "$out"
check_contains "as root, UDP to a closed port: type 3, code 3" "  Code            3" "$out"
check_contains "step 06 says why it was silent" "- 06 said: ignored: UDP (17) from 192.0.2.1, not ICMP" "$out"

# Mistakes: one sentence each, and a non-zero exit.
out=$(as_user make -s compare CAPTURE=no-such.pcap 2>&1); status=$?
check "a missing capture fails" test "$status" != 0
check_contains "a missing capture: one sentence saying what to give" \
    "make compare: cannot read CAPTURE=no-such.pcap: give a pcap file" "$out"
out=$(as_user make -s compare STEPS=99 2>&1); status=$?
check "a step that does not exist fails" test "$status" != 0
check_contains "a step that does not exist: one sentence" "compare: there is no step '99' in bin" "$out"
out=$(as_user make -s compare CAPTURE=Makefile 2>&1); status=$?
check "a file that is no capture fails" test "$status" != 0
check_contains "a file that is no capture: one sentence" "compare: cannot read the capture Makefile" "$out"
finish
