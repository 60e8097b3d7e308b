#!/usr/bin/env python3
"""compare-reply: TUN.pcap STEP-PROGRAM

make check BIN=...: the first reply a learner's program wrote, field by
field, against what the step's own program answers to the same request.

TUN.pcap is the lab's capture of tun0 (pcap, raw IPv4), requests and
replies in the order they crossed. The first echo request to 192.0.2.2 is
replayed through STEP-PROGRAM (`--replay`, no privileges needed); the
first packet after that request in TUN.pcap that is not itself a request
is taken for the learner's reply. Prints one line per field that differs,
as "bytes 2-3 IPv4 Total Length: expected 0x0054, got 0x0055", and exits 1;
exits 0 when they agree. The IPv4 Identification is the sender's choice,
and the header checksum covers it: neither is compared (Wireshark's
verdict judges the checksum); nor is Don't Fragment, which a reply may set
or not (Linux sets it), but More Fragments and the offset must be 0.
Exits 2 when there is nothing to compare.
"""
import os
import struct
import subprocess
import sys
import tempfile

IPV4 = [(0, 1, "Version and IHL"), (1, 1, "Type of Service"), (2, 2, "Total Length"),
        (8, 1, "TTL"), (9, 1, "Protocol"),
        (12, 4, "Source"), (16, 4, "Destination")]
ICMP = [(0, 1, "Type"), (1, 1, "Code"), (2, 2, "Checksum"), (4, 2, "Identifier"),
        (6, 2, "Sequence Number")]


def packets(path):
    """The packets of a pcap file (either byte order), as bytes."""
    with open(path, "rb") as f:
        data = f.read()
    order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    offset = 24
    while offset + 16 <= len(data):
        length = struct.unpack(order + "I", data[offset + 8:offset + 12])[0]
        yield data[offset + 16:offset + 16 + length]
        offset += 16 + length


def is_request(p):
    return len(p) >= 28 and p[0] >> 4 == 4 and p[9] == 1 and p[(p[0] & 15) * 4] == 8


def write_pcap(path, packet):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        f.write(struct.pack("<IIII", 0, 0, len(packet), len(packet)) + packet)


def expected_reply(program, request):
    with tempfile.TemporaryDirectory() as work:
        write_pcap(os.path.join(work, "request.pcap"), request)
        subprocess.run([program, "--replay", os.path.join(work, "request.pcap"),
                        "--pcap", os.path.join(work, "out.pcap")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10, check=False)
        out = list(packets(os.path.join(work, "out.pcap")))
    return next((p for p in out if p != request), None)


def hexa(b):
    return "0x" + b.hex()


def compare(expected, got):
    lines = []
    if len(expected) != len(got):
        lines.append("reply length: expected %d, got %d" % (len(expected), len(got)))
    if len(got) < 20:
        return lines + ["the reply is too short to be an IPv4 packet"]
    ihl, got_ihl = (expected[0] & 15) * 4, (got[0] & 15) * 4
    for offset, size, name in IPV4:
        e, g = expected[offset:offset + size], got[offset:offset + size]
        if e != g:
            line = "bytes %d-%d IPv4 %s: expected %s, got %s" % (offset, offset + size - 1, name, hexa(e), hexa(g))
            if size == 1:
                line = "byte %d IPv4 %s: expected %s, got %s" % (offset, name, hexa(e), hexa(g))
            if size == 4:
                line += " (expected %s, got %s)" % (".".join(map(str, e)), ".".join(map(str, g)))
            if size == 2 and e == g[::-1]:
                line += ": the two bytes are swapped (fields are big-endian on the wire)"
            lines.append(line)
    flags = struct.unpack("!H", got[6:8])[0]
    if flags & 0x3FFF:
        lines.append("bytes 6-7 IPv4 Flags and Fragment Offset: expected 0x4000 or 0x0000 (a whole "
                     "packet), got 0x%04x" % flags)
    for offset, size, name in ICMP:
        e, g = expected[ihl + offset:ihl + offset + size], got[got_ihl + offset:got_ihl + offset + size]
        if e != g:
            first = ihl + offset
            where = "byte %d" % first if size == 1 else "bytes %d-%d" % (first, first + size - 1)
            line = "%s ICMP %s: expected %s, got %s" % (where, name, hexa(e), hexa(g))
            if size == 2 and e == g[::-1]:
                line += ": the two bytes are swapped (fields are big-endian on the wire)"
            lines.append(line)
    e, g = expected[ihl + 8:], got[got_ihl + 8:]
    for i, (a, b) in enumerate(zip(e, g)):
        if a != b:
            lines.append("ICMP Data: first difference at data byte #%d, expected 0x%02x, got 0x%02x" % (i, a, b))
            break
    return lines


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__.strip())
    captured = list(packets(argv[0]))
    first = next((i for i, p in enumerate(captured) if is_request(p) and p[16:20] == bytes([192, 0, 2, 2])), None)
    if first is None:
        print("no echo request to 192.0.2.2 in the capture")
        return 2
    got = next((p for p in captured[first + 1:] if not is_request(p)), None)
    if got is None:
        print("your program wrote nothing after the first request")
        return 2
    expected = expected_reply(argv[1], captured[first])
    if expected is None:
        print("the step's own program gave no reply to compare with")
        return 2
    lines = compare(expected, got)
    print("\n".join(lines) if lines else "the same, field by field")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
