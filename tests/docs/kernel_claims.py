#!/usr/bin/env python3
"""kernel_claims: what the lessons say the kernel does with a bad reply,
measured. Run as root inside a fresh network namespace (test_claims.sh
does): it makes a tun, writes replies into it the way a step does, and
reads the kernel's counters (the ones `nstat` shows) before and after.

    step 03 and README.md: a reply with a wrong IPv4 header checksum is
        dropped, and counted in IpInHdrErrors and IpExtInCsumErrors;
    step 04: a reply with a wrong ICMP checksum is counted in
        IcmpInCsumErrors (and IcmpInErrors);
    step 04: a raw socket gets a copy of a reply with a wrong ICMP
        checksum (raw delivery comes before icmp_rcv's check), but none of
        one with a wrong header checksum (ip_rcv drops it first);
    docs/answers.md and the journey diagram: a reply whose addresses were
        not swapped is for 192.0.2.2, which a host does not forward:
        counted in IpInAddrErrors.
"""
import fcntl
import os
import socket
import struct
import subprocess
import sys
import time

TUNSETIFF, IFF_TUN, IFF_NO_PI = 0x400454CA, 0x0001, 0x1000


def checksum(data):
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def reply(src, dst, header_ok=True, icmp_ok=True):
    """An echo reply (identifier 1, sequence 1, no data), as a step writes it."""
    icmp = bytearray(struct.pack("!BBHHH", 0, 0, 0, 1, 1))
    struct.pack_into("!H", icmp, 2, checksum(bytes(icmp)) if icmp_ok else 0x1234)
    header = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0x4000, 64, 1, 0,
                                   bytes(src), bytes(dst)))
    struct.pack_into("!H", header, 10, checksum(bytes(header)) if header_ok else 0)
    return bytes(header + icmp)


def counters():
    """Every counter of /proc/net/snmp and /proc/net/netstat, by nstat's name."""
    values = {}
    for path in ("/proc/net/snmp", "/proc/net/netstat"):
        with open(path) as f:
            lines = f.read().splitlines()
        for names, numbers in zip(lines[0::2], lines[1::2]):
            prefix, names = names.split(":", 1)
            for name, number in zip(names.split(), numbers.split(":", 1)[1].split()):
                values[prefix + name] = int(number)
    return values


def main():
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", b"tun0", IFF_TUN | IFF_NO_PI))
    subprocess.run("ip link set lo up; ip addr add 192.0.2.1/24 dev tun0; ip link set tun0 up",
                   shell=True, check=True)
    time.sleep(0.3)
    me, peer = [192, 0, 2, 1], [192, 0, 2, 2]
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    raw.setblocking(False)
    cases = [   # what, the packet, the counters it raises, does a raw socket get it
        ("a reply with a wrong IPv4 header checksum",
         reply(peer, me, header_ok=False), ["IpInHdrErrors", "IpExtInCsumErrors"], False),
        ("a reply with a wrong ICMP checksum",
         reply(peer, me, icmp_ok=False), ["IcmpInCsumErrors", "IcmpInErrors"], True),
        ("a reply with its addresses not swapped",
         reply(me, peer), ["IpInAddrErrors"], False),
    ]
    failed = 0
    for what, packet, names, raw_sees_it in cases:
        before = counters()
        os.write(fd, packet)
        time.sleep(0.2)
        after = counters()
        try:
            got = raw.recv(65535) == packet
        except BlockingIOError:
            got = False
        good = got == raw_sees_it
        failed += not good
        print("%s - %s: a raw ICMP socket %s it" % ("ok" if good else "not ok", what,
                                                  "gets" if raw_sees_it else "never sees"))
        for name in names:
            grew = after[name] - before[name]
            good = grew == 1
            failed += not good
            print("%s - %s: the kernel counts it in %s (by %d)" % ("ok" if good else "not ok", what, name, grew))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
