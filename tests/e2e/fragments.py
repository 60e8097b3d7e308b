#!/usr/bin/env python3
"""Fragment sequences a host must handle, sent to one address at once,
and what comes back within a few seconds: used by tests/e2e/test_step10.sh
against a step (on tun0) and against Linux (behind a veth pair), the same
bytes to each.

    fragments.py SOURCE DESTINATION [SECONDS]

Each case goes out through a raw socket with IP_HDRINCL, which sends the
header it is given as it is (only the header checksum is filled in), from
SOURCE; a raw ICMP socket sees every ICMP message that comes back. Each
case has an IP identification of its own and its echo requests an ICMP
identifier of its own, so that an answer is told apart: an echo reply by
its identifier, an ICMP error by the identification of the datagram it
quotes. One line a case:

    NAME: ICMP 11/1 (576 bytes) after 2.0 s, quoting the first fragment as sent (its header and 528 bytes)
    NAME: silence

Root (CAP_NET_RAW) only.
"""
import socket, struct, sys, time

MF = 0x2000

def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def echo(ident, data):
    m = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + data
    return m[:2] + struct.pack("!H", checksum(m)) + m[4:]

def fragment(src, dst, ident, offset, data, more, options=b""):
    """One fragment: `data` at byte `offset` of the datagram (a multiple of 8),
    after `options` (a multiple of 4 bytes) if any."""
    h = struct.pack("!BBHHHBBH4s4s", 0x45 + len(options) // 4, 0, 20 + len(options) + len(data),
                    ident, (offset // 8) | (MF if more else 0), 64, 1, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h + options + data

def cut(src, dst, ident, datagram, size):
    """`datagram` (ICMP and on) in fragments of `size` bytes, in order."""
    return [fragment(src, dst, ident, o, datagram[o:o + size], o + size < len(datagram))
            for o in range(0, len(datagram), size)]

def cases(src, dst):
    pattern = bytes(range(256)) * 256
    request = echo(0x1001, pattern[:2992])          # 3000 bytes of ICMP: 1480 + 1480 + 40
    past_end = echo(0x1005, pattern[:65552 - 8])    # a "datagram" of 65552 bytes after its header
    near_end = echo(0x1006, pattern[:65528 - 8])    # 65528 after a 20-byte header: 65548 in all
    overlap = echo(0x1003, pattern[:24])
    later_options = echo(0x1008, pattern[:192])
    # Record Route, length 9, pointer 4: the receiver records itself in the
    # one whole slot, and a reply would find only part of one (the pointer
    # at 8, 8 + 3 > 9). Only the first fragment's options are answered.
    partial_route = bytes([7, 9, 4]) + bytes(6) + bytes(3)
    return [
        ("control: an echo request in three fragments", 0x5001, 0x1001, cut(src, dst, 0x5001, request, 1480)),
        ("control: the same, last fragment first", 0x5007, 0x1007,
         cut(src, dst, 0x5007, echo(0x1007, pattern[:2992]), 1480)[::-1]),
        ("a first fragment alone", 0x5002, 0x1002, cut(src, dst, 0x5002, request, 1480)[:1]),
        ("a non-first fragment alone (the last)", 0x5004, 0x1004, cut(src, dst, 0x5004, request, 1480)[2:]),
        # Teardrop-like: the second fragment starts inside the first and ends
        # past it, so neither duplicates the other.
        ("two overlapping fragments (bytes 0-23, then 8-31)", 0x5003, 0x1003,
         [fragment(src, dst, 0x5003, 0, overlap[:24], True),
          fragment(src, dst, 0x5003, 8, overlap[:24], False)]),
        # Linux answers: a later fragment's options go with it into the
        # reassembly queue and are never echoed.
        ("a last fragment whose Record Route leaves part of a slot for a reply", 0x5008, 0x1008,
         [fragment(src, dst, 0x5008, 0, later_options[:104], True),
          fragment(src, dst, 0x5008, 104, later_options[104:], False, partial_route)]),
        ("a datagram whose last fragment ends at byte 65552 (ping of death)", 0x5005, 0x1005,
         cut(src, dst, 0x5005, past_end, 1480)),
        ("a datagram of 65528 bytes after its 20-byte header (65548 in all)", 0x5006, 0x1006,
         cut(src, dst, 0x5006, near_end, 1480)),
    ]

def quoting(quote, first):
    """Whether an error quotes the case's first fragment as it was sent: its
    header (but the checksum, which the kernel filled in) and the start of
    what it carried."""
    if not first:
        return "quoting a first fragment that was never sent"
    if quote[:10] + quote[12:20] != first[:10] + first[12:20]:
        return "quoting another header than the first fragment's"
    if not first[20:].startswith(quote[20:]):
        return "quoting other bytes than the first fragment's"
    return "quoting the first fragment as sent (its header and %d bytes)" % (len(quote) - 20)

def main():
    src, dst = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 4
    send = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    listen = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    listen.settimeout(0.1)
    all_cases = cases(src, dst)
    answers = {name: [] for name, _, _, _ in all_cases}
    by_ip_id = {ip_id: name for name, ip_id, _, _ in all_cases}
    by_echo_id = {echo_id: name for name, _, echo_id, _ in all_cases}
    first_fragment = {name: next((p for p in packets if struct.unpack("!H", p[6:8])[0] & 0x1fff == 0), b"")
                      for name, _, _, packets in all_cases}
    start = time.time()
    for name, _, _, packets in all_cases:
        for p in packets:
            send.sendto(p, (dst, 0))
    while time.time() < start + seconds:
        try:
            data = listen.recv(65535)
        except socket.timeout:
            continue
        if data[12:16] != socket.inet_aton(dst):
            continue
        hl = (data[0] & 15) * 4
        icmp = data[hl:]
        what = "ICMP %d/%d (%d bytes) after %.1f s" % (icmp[0], icmp[1], len(data), time.time() - start)
        if icmp[0] == 0 and len(icmp) >= 8:
            name = by_echo_id.get(struct.unpack("!H", icmp[4:6])[0])
        elif icmp[0] in (3, 11, 12) and len(icmp) >= 8 + 20:
            name = by_ip_id.get(struct.unpack("!H", icmp[8 + 4:8 + 6])[0])
            if name:
                what += ", " + quoting(icmp[8:], first_fragment[name])
        else:
            name = None
        if name:
            answers[name].append(what)
    for name, _, _, _ in all_cases:
        print("%s: %s" % (name, ", ".join(answers[name]) or "silence"))

main()
