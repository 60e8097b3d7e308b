#!/usr/bin/env python3
"""pcap_build: test captures written byte by byte from the pcap format
(https://www.tcpdump.org/manpages/pcap-savefile.5.html) and the link-layer
headers of https://www.tcpdump.org/linktypes.html, not by our own writer, so
that a test of the reader does not trust the code under test.

    pcap_build.py links OUT.pcap REQUEST.pcap     Ethernet frames: ARP, IPv4, VLAN
    pcap_build.py cooked OUT.pcap REQUEST.pcap    Linux cooked (SLL) frames
    pcap_build.py big OUT.pcap                    one 70000-byte raw IP record
    pcap_build.py many OUT.pcap REQUEST.pcap N    N copies of the request, raw IP
    pcap_build.py records FILE.pcap               "snaplen S" then "caplen len" per record

REQUEST.pcap is a recorded capture (tests/fixtures/requests/): its first
packet, a real ping's echo request, is what the frames carry.
"""
import struct
import sys

LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL = 1, 101, 113


def write(path, linktype, records, snaplen=65535):
    with open(path, "wb") as out:
        # magic, version 2.4, thiszone, sigfigs, snaplen, link type
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        for i, data in enumerate(records):
            out.write(struct.pack("<IIII", 1700000000 + i, 0, len(data), len(data)))
            out.write(data)


def records(path):
    """(header, [(caplen, len, data)]) of a little- or big-endian capture."""
    with open(path, "rb") as f:
        blob = f.read()
    endian = "<" if blob[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    snaplen, linktype = struct.unpack(endian + "II", blob[16:24])
    found, at = [], 24
    while at + 16 <= len(blob):
        _, _, caplen, length = struct.unpack(endian + "IIII", blob[at:at + 16])
        found.append((caplen, length, blob[at + 16:at + 16 + caplen]))
        at += 16 + caplen
    return (snaplen, linktype), found


def first_packet(path):
    return records(path)[1][0][2]


MAC_TUN, MAC_PEER = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")


def ethernet(ethertype, payload, tags=()):
    """Destination, source, then each VLAN tag (TPID, TCI), then the EtherType."""
    header = MAC_TUN + MAC_PEER
    for tpid, vid in tags:
        header += struct.pack(">HH", tpid, vid)
    return header + struct.pack(">H", ethertype) + payload


def cooked(protocol, payload):
    """Linux SLL: packet type 0 (to us), ARPHRD_ETHER, address length 6, the
    address padded to 8 bytes, then the protocol (an EtherType)."""
    return struct.pack(">HHH", 0, 1, 6) + MAC_PEER + b"\0\0" + struct.pack(">H", protocol) + payload


def main(argv):
    command = argv[1]
    if command == "links":
        request = first_packet(argv[3])
        write(argv[2], LINKTYPE_ETHERNET, [
            ethernet(0x0806, request),                          # ARP, IPv4-looking bytes
            ethernet(0x0800, request),                          # IPv4: answered
            ethernet(0x0800, request, [(0x8100, 7)]),           # 802.1Q VLAN 7
            ethernet(0x0800, request, [(0x88A8, 1), (0x8100, 7)]),  # 802.1ad + 802.1Q
        ])
    elif command == "cooked":
        request = first_packet(argv[3])
        write(argv[2], LINKTYPE_LINUX_SLL, [
            cooked(0x86DD, request),                            # says IPv6, holds IPv4
            cooked(0x0800, request),                            # IPv4: answered
        ])
    elif command == "big":
        header = bytearray(20)
        header[0], header[8], header[9] = 0x45, 64, 1           # v4, IHL 5, TTL, ICMP
        struct.pack_into(">H", header, 2, 65535)
        header[12:20] = bytes([192, 0, 2, 1, 192, 0, 2, 2])
        write(argv[2], LINKTYPE_RAW, [bytes(header) + bytes(70000 - 20)], snaplen=262144)
    elif command == "many":
        write(argv[2], LINKTYPE_RAW, [first_packet(argv[3])] * int(argv[4]))
    elif command == "records":
        (snaplen, _), found = records(argv[2])
        print("snaplen", snaplen)
        for caplen, length, _ in found:
            print(caplen, length)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
