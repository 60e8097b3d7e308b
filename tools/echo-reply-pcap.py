#!/usr/bin/env python3
"""echo-reply-pcap: REQUEST.pcap OUT.pcap

Writes OUT.pcap with one packet: the first packet of REQUEST.pcap (an IPv4
echo request, recorded from real ping) turned into an echo reply, type 0,
with its ICMP checksum computed afresh (RFC 1071). make check sends it to a
learner's step, which must stay silent: a host answers echo requests, never
echo replies (RFC 792), or two hosts would ping-pong forever.
"""
import struct
import sys


def rfc1071(data):
    if len(data) % 2:
        data += b"\0"               # the odd byte is the high half of a last word
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__.strip())
    with open(argv[0], "rb") as f:
        capture = f.read()
    header, record = capture[:24], capture[24:40]
    length = struct.unpack("<I", record[8:12])[0] if header[:4] == b"\xd4\xc3\xb2\xa1" \
        else struct.unpack(">I", record[8:12])[0]
    packet = bytearray(capture[40:40 + length])
    ihl = (packet[0] & 0x0F) * 4
    if packet[0] >> 4 != 4 or packet[9] != 1 or packet[ihl] != 8:
        sys.exit("echo-reply-pcap: the first packet of %s is not an IPv4 echo request" % argv[0])
    packet[ihl] = 0                               # echo reply
    packet[ihl + 2:ihl + 4] = b"\0\0"
    packet[ihl + 2:ihl + 4] = struct.pack("!H", rfc1071(bytes(packet[ihl:])))
    with open(argv[1], "wb") as f:
        f.write(header + record + bytes(packet))


if __name__ == "__main__":
    main(sys.argv[1:])
