#!/usr/bin/env bash
# Step 09 against the real tools, beside Linux: traceroute ends at hop 1,
# tracepath reaches it, a connected UDP socket is refused, nc -z (TCP) is
# refused, each as they do against Linux itself in the same lab (a namespace
# behind a veth pair, the kernel's defaults); every error's quoted datagram,
# as tshark decodes it, is the datagram that was sent, and as long as
# Linux's. Then what it must never answer (an error about an ICMP error, a
# datagram to a broadcast or multicast address, a non-initial fragment, a
# source that is not one host, a reset), each beside a control that is
# answered, with its rate limits off so that silence cannot be a limit.
# And it still does what step 08 does.
# (tests/e2e/test_icmp_errors.sh: the kernel's own sockets and the rate
# limits; tests/e2e/test_differential.sh: byte for byte against the kernel.)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

work=$(mktemp -d)
trap 'stop_step 2>/dev/null; rm -rf "$work"' EXIT

# ---- the tools, in the lab, against the step and against Linux ------------
LAB_DIR=$work/lab "$root/scripts/lab.sh" 09 --tools-summary "$work/row" >"$work/lab.out" 2>&1
step_row=$(grep '^09-icmp-errors|' "$work/row")
linux_row=$(grep '^Linux|' "$work/row")
check_equal "the lab measured Linux too (the step's name and 11 tools)" 12 \
    "$(awk -F'|' '{print NF}' <<<"$linux_row")"
check_equal "every tool gets from step 09 what it gets from Linux" "$(cut -d'|' -f2-8 <<<"$linux_row")" \
    "$(cut -d'|' -f2-8 <<<"$step_row")"
# But for fragments: step 09 drops them (step 10 puts them together).
check_equal "ping -s 4000: Linux answers, step 09 does not" "replies (2 of 2)|no reply (100% loss)" \
    "$(cut -d'|' -f9 <<<"$linux_row")|$(cut -d'|' -f9 <<<"$step_row")"
# And IPv6: step 09 speaks none (step 11 does).
check_equal "ping -6, traceroute -6, tracepath -6: Linux answers, step 09 does not" \
    "replies (2 of 2)|ends at hop 1|reached at hop 1 / no reply (100% loss)|* * * (3 hops, no answer)|no reply" \
    "$(cut -d'|' -f10-12 <<<"$linux_row") / $(cut -d'|' -f10-12 <<<"$step_row")"
lab=$(cat "$work/lab.out")
check_contains "traceroute ends at hop 1" "$(printf 'hops max, 60 byte packets\n 1  192.0.2.2  ')" "$lab"
check_lacks "and never tries hop 2" "$(printf '\n 2  ')" \
    "$(sed -n '/^\$ traceroute .* 192.0.2.2 /,/^\$ tracepath/p' "$work/lab.out")"
check "tracepath says reached" grep -qE '^ 1:  192\.0\.2\.2 +[0-9.]+ms reached$' "$work/lab.out"
check_contains "a connected UDP socket: the second send is refused" \
    "$(printf 'tools/udp-client.py 192.0.2.2 7')" "$lab"
check_contains "  (its lines)" "$(printf 'send 1: 11 bytes sent\nsend 2: Connection refused')" "$lab"
check_contains "nc -z (TCP): refused by a reset" "nc: connect to 192.0.2.2 port 80 (tcp) failed: Connection refused" "$lab"

# Every error, as tshark decodes it: the quoted IP header and UDP header
# (every field) and the quoted data must be the datagram sent with the same
# ports and identification (nc sends several from one port), and each error
# as long as Linux's for the same probe.
fields=(-T fields -E separator='|' -e ip.version -e ip.hdr_len -e ip.dsfield -e ip.len -e ip.id
        -e ip.flags -e ip.frag_offset -e ip.ttl -e ip.proto -e ip.checksum -e ip.src -e ip.dst
        -e udp.srcport -e udp.dstport -e udp.length -e udp.checksum -e data.data)
# quotes PCAP ADDRESS: per error "dstport|error length|same|different: why".
quotes() {
    {
        tshark -r "$1" -Y "udp && !icmp && ip.dst == $2" "${fields[@]}" 2>/dev/null | sed 's/^/sent|/'
        tshark -r "$1" -Y "icmp.type == 3 && ip.src == $2" "${fields[@]}" 2>/dev/null | sed 's/^/error|/'
    } | awk -F'|' '
        $1 == "sent" { key = $14 "/" $15 "/" $6; data[key] = $18; $18 = ""; head[key] = $0; next }
        {
            # Two IP headers: the error'"'"'s (first) and the quote'"'"'s (second).
            for (i = 2; i <= 13; i++) { n = split($i, v, ","); outer[i] = v[1]; $i = v[n] }
            key = $14 "/" $15 "/" $6; quoted = $18; $18 = ""; $1 = "sent"
            if (!(key in head)) verdict = "different: no datagram sent with these ports and identification " key
            else if (head[key] != $0) verdict = "different: quote " $0 " sent " head[key]
            else if (quoted != "" && index(data[key], quoted) != 1) verdict = "different: data " quoted " is not the start of " data[key]
            else verdict = "same"
            print $15 "|" outer[5] "|" verdict
        }'
}
step_pcap=$(ls "$work"/lab/*.tools.pcap)
linux_pcap=$(ls "$work"/lab/*.linux.pcap)
step_quotes=$(quotes "$step_pcap" 192.0.2.2)
linux_quotes=$(quotes "$linux_pcap" 198.51.100.2)
check "the step sent errors for the tools to decode" test -n "$step_quotes"
check_equal "each error quotes the datagram sent, field by field (tshark)" "" \
    "$(grep -v '|same$' <<<"$step_quotes")"
check_equal "Linux's do too (the comparison is sound)" "" "$(grep -v '|same$' <<<"$linux_quotes")"
# (How many datagrams nc -u -z gets out before the error stops it depends
# on how soon the error comes back: the kinds are compared, not the count.)
kinds() { cut -d'|' -f1,2 | sed 's/^4444[45]|/tracepath|/;s/^3343[0-9]|/traceroute|/' | sort -u; }
check_equal "the same errors as Linux's, about the same ports, of the same lengths" \
    "$(kinds <<<"$linux_quotes")" "$(kinds <<<"$step_quotes")"
check_contains "tracepath's 1500-byte probe: an error of 576 bytes (RFC 1812 4.3.2.3)" "44444|576|same" "$step_quotes"
check_contains "the lab prints each quote as tshark decodes it" \
    "Destination unreachable (Port unreachable) quoting: IPv4 192.0.2.1 > 192.0.2.2 ttl 1" "$lab"
check_lacks "and finds none that differs" "the datagram sent was:" "$lab"

# ---- what it never answers, each beside a control ------------------------
STEP_BIN_DIR=build/asan/bin start_step 09-icmp-errors --icmp-ratelimit 0 --icmp-msgs-per-sec 0
sysctl -qw net.ipv6.conf.tun0.disable_ipv6=1
# One packet for each case, written into the step's read() (an AF_PACKET
# socket on tun0), and what the step writes back within 0.5 s.
cat >"$work/cases.py" <<'PY'
import socket, struct, sys, time

def checksum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ip(src, dst, proto, payload, options=b"", frag=0, ident=0x1234):
    ihl = 5 + len(options) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), ident, frag, 64,
                    proto, 0, socket.inet_aton(src), socket.inet_aton(dst)) + options
    return h[:10] + struct.pack("!H", checksum(h)) + h[12:] + payload

def udp(src, dst, sport, dport, data=b"probe"):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, len(u))
    return u[:6] + struct.pack("!H", checksum(pseudo + u) or 0xffff) + u[8:]

def udp_ip(src, dst, **kw):
    return ip(src, dst, 17, udp(src, dst, 40000, 7), **kw)

def icmp(type_, code, body):
    m = struct.pack("!BBH4x", type_, code, 0) + body
    return m[:2] + struct.pack("!H", checksum(m)) + m[4:]

def tcp_rst(src, dst):
    t = struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 5 << 4, 0x04, 0, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(t))
    return t[:16] + struct.pack("!H", checksum(pseudo + t)) + t[18:]

US, IT = "192.0.2.1", "192.0.2.2"
BAD_TIMESTAMP = bytes([0x44, 3, 5, 0])     # Timestamp, length 3: below its 4
cases = [
    ("control: UDP to a closed port", udp_ip(US, IT)),
    ("UDP to the subnet's broadcast 192.0.2.255", udp_ip(US, "192.0.2.255")),
    ("UDP to 255.255.255.255", udp_ip(US, "255.255.255.255")),
    ("UDP to the multicast 224.0.0.1", udp_ip(US, "224.0.0.1")),
    ("UDP, a non-initial fragment (offset 1480, the last)", udp_ip(US, IT, frag=185)),
    ("UDP from 0.0.0.0", udp_ip("0.0.0.0", IT)),
    ("UDP from the broadcast 192.0.2.255", udp_ip("192.0.2.255", IT)),
    ("UDP from the multicast 224.0.0.5", udp_ip("224.0.0.5", IT)),
    ("control: UDP with a malformed option", udp_ip(US, IT, options=BAD_TIMESTAMP)),
    ("an ICMP error (port unreachable) with a malformed option",
     ip(US, IT, 1, icmp(3, 3, udp_ip(IT, US)[:28]), options=BAD_TIMESTAMP)),
    ("an ICMP error (time exceeded) with a malformed option",
     ip(US, IT, 1, icmp(11, 0, udp_ip(IT, US)[:28]), options=BAD_TIMESTAMP)),
    ("control: protocol 253", ip(US, IT, 253, b"x" * 8)),
    ("a TCP reset to a closed port", ip(US, IT, 6, tcp_rst(US, IT))),
]
send = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
send.bind(("tun0", 0x0800))
listen = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0003))
listen.bind(("tun0", 0))
listen.settimeout(0.1)
for name, packet in cases:
    time.sleep(0.05)
    while True:                                  # forget what came before
        try: listen.recv(65535)
        except socket.timeout: break
    send.sendto(packet, ("tun0", 0x0800))
    answers, end = [], time.time() + 0.5
    while time.time() < end:
        try: data, addr = listen.recvfrom(65535)
        except socket.timeout: continue
        if addr[2] == socket.PACKET_HOST and data[:1] == b"\x45" and data[12:16] == socket.inet_aton(IT):
            proto = data[9]
            what = "ICMP %d/%d" % (data[20], data[21]) if proto == 1 else "protocol %d" % proto
            if proto == 6: what = "TCP flags 0x%02x" % data[33]
            answers.append(what)
    print("%s: %s" % (name, ", ".join(answers) or "silence"))
PY
out=$(timeout 30 python3 "$work/cases.py" 2>&1)
check_contains "control: UDP to a closed port gets its port unreachable" "control: UDP to a closed port: ICMP 3/3" "$out"
check_contains "control: UDP with a malformed option gets a parameter problem" \
    "control: UDP with a malformed option: ICMP 12/0" "$out"
check_contains "control: protocol 253 gets a protocol unreachable" "control: protocol 253: ICMP 3/2" "$out"
for silent in "UDP to the subnet's broadcast 192.0.2.255" "UDP to 255.255.255.255" "UDP to the multicast 224.0.0.1" \
              "UDP, a non-initial fragment (offset 1480, the last)" "UDP from 0.0.0.0" \
              "UDP from the broadcast 192.0.2.255" "UDP from the multicast 224.0.0.5" \
              "an ICMP error (port unreachable) with a malformed option" \
              "an ICMP error (time exceeded) with a malformed option" \
              "a TCP reset to a closed port"; do
    check_contains "never answered: $silent" "$silent: silence" "$out"
done

# ---- and everything step 08 does ------------------------------------------
status=$(cat "/proc/$step_pid/status")
check_contains "started as root, runs as nobody" "$(printf 'Uid:\t65534\t65534\t65534\t65534')" "$status"
check_contains "with no effective capability" "$(printf 'CapEff:\t0000000000000000')" "$status"
out=$(ping_with raw -c 2 -i 0.2 -W 1 192.0.2.2)
check_contains "answers ping 192.0.2.2 (raw socket)" "2 received" "$out"
out=$(ping_with raw -c 1 -W 1 192.0.2.77)
check_contains "not ping 192.0.2.77, another host's" " 0 received" "$out"
out=$(ping_with raw -c 1 -W 1 -R 192.0.2.2)
check_contains "ping -R, the route there and back" \
    "$(printf 'RR: \t192.0.2.1\n\t192.0.2.2\n\t192.0.2.2\n\t192.0.2.1')" "$out"
out=$(ping_with datagram -c 2 -i 0.2 -W 1 192.0.2.2)
check_contains "answers ping 192.0.2.2 (datagram socket)" "2 received" "$out"
out=$("$root/build/tools/inject" -i tun0 --random 3000 --seed 9)
check_contains "3000 random packets sent" "sent 3000" "$out"
check "still running after them" kill -0 "$step_pid"
stop_step
check_equal "SIGTERM ends it with status 0, no sanitizer report" 0 "$step_status"
log=$(cat "$step_log")
for rung in about-an-error to-broadcast fragment bad-source martian-source tcp-reset-received \
            port-unreachable parameter-problem protocol-unreachable; do
    check "the counter of '$rung' counted what was sent" grep -qE "^  $rung +[1-9]" <<<"$log"
done
finish
