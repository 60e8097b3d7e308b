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
    step 10: a tun takes a write longer than its MTU (a 4028-byte echo
        request on a tun of MTU 1500), and the kernel answers it, its own
        reply cut to the MTU: a step's fragments are its choice, as a
        host's, not something the tun demands;
    step 06: Linux answers an echo request to its own address from another
        host; not one from its own address (a martian); one from its
        subnet's broadcast address only while reverse-path filtering is off
        (rp_filter 0, a new namespace's default; with 1 or 2 it is a
        martian); not one to its subnet's broadcast address while
        net.ipv4.icmp_echo_ignore_broadcasts is 1 (the default); and with
        it 0, answers that one from its own address, never from the
        broadcast address; and an address with a /31 or /32 prefix adds no
        broadcast route to the local table.
"""
import fcntl
import os
import select
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


def request(src, dst):
    """An echo request (identifier 7, sequence 1, no data)."""
    icmp = bytearray(struct.pack("!BBHHH", 8, 0, 0, 7, 1))
    struct.pack_into("!H", icmp, 2, checksum(bytes(icmp)))
    header = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0x4000, 64, 1, 0,
                                   bytes(src), bytes(dst)))
    struct.pack_into("!H", header, 10, checksum(bytes(header)))
    return bytes(header + icmp)


def echo_replies(fd, seconds=0.3):
    """The sources of the IPv4 echo replies the kernel writes into the tun
    within `seconds` (anything else it sends, IPv6 included, is skipped)."""
    sources, end = [], time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return sources
        packet = os.read(fd, 65535)
        if len(packet) >= 28 and packet[0] >> 4 == 4 and packet[9] == 1 and packet[20] == 0:
            sources.append(".".join(str(b) for b in packet[12:16]))


def host_claims(fd):
    """Step 06's claims about what Linux answers, as (what, expected
    sources of replies, got)."""
    me, peer, broadcast = [192, 0, 2, 1], [192, 0, 2, 2], [192, 0, 2, 255]
    results = []
    for what, src, dst, ignore, rp_filter, expected in [
            ("an echo request to its own address", peer, me, "1", "0", ["192.0.2.1"]),
            ("an echo request from its own address (a martian)", me, me, "1", "0", []),
            ("an echo request from its subnet's broadcast address, rp_filter 0",
             broadcast, me, "1", "0", ["192.0.2.1"]),
            ("an echo request from its subnet's broadcast address, rp_filter 2 (a martian)",
             broadcast, me, "1", "2", []),
            ("an echo request to its subnet's broadcast address, icmp_echo_ignore_broadcasts 1",
             peer, broadcast, "1", "0", []),
            ("an echo request to its subnet's broadcast address, icmp_echo_ignore_broadcasts 0",
             peer, broadcast, "0", "0", ["192.0.2.1"])]:
        with open("/proc/sys/net/ipv4/icmp_echo_ignore_broadcasts", "w") as f:
            f.write(ignore)
        with open("/proc/sys/net/ipv4/conf/all/rp_filter", "w") as f:
            f.write(rp_filter)
        echo_replies(fd, 0.05)          # whatever came before
        os.write(fd, request(src, dst))
        results.append((what, expected, echo_replies(fd)))
    with open("/proc/sys/net/ipv4/icmp_echo_ignore_broadcasts", "w") as f:
        f.write("1")
    return results


def long_write_claim(fd):
    """Writes a 4028-byte echo request (ping -s 4000's size) into the tun,
    whose MTU is 1500: (bytes the write took, lengths of the IPv4 packets
    the kernel sends back within 0.3 s)."""
    data = bytes(i & 0xFF for i in range(4000))
    icmp = bytearray(struct.pack("!BBHHH", 8, 0, 0, 7, 1) + data)
    struct.pack_into("!H", icmp, 2, checksum(bytes(icmp)))
    header = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0x1234, 0, 64, 1, 0,
                                   bytes([192, 0, 2, 2]), bytes([192, 0, 2, 1])))
    struct.pack_into("!H", header, 10, checksum(bytes(header)))
    took = os.write(fd, bytes(header + icmp))
    sent, end = [], time.monotonic() + 0.3
    while True:
        left = end - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return took, sent
        packet = os.read(fd, 65535)
        if packet[0] >> 4 == 4:
            sent.append(len(packet))


def reply6(src, dst, identifier, pseudo_header=True):
    """An ICMPv6 echo reply (sequence 1, 8 bytes of data), its checksum
    summed with the pseudo-header or, as a starter does, without it."""
    icmp = bytearray(struct.pack("!BBHHH8s", 129, 0, 0, identifier, 1, b"lesson11"))
    pseudo = src + dst + struct.pack("!IxxxB", len(icmp), 58)
    struct.pack_into("!H", icmp, 2, checksum((pseudo if pseudo_header else b"") + bytes(icmp)))
    header = struct.pack("!IHBB16s16s", 6 << 28, len(icmp), 58, 64, src, dst)
    return header + bytes(icmp)


def ipv6_claims(fd):
    """Step 11's claims, as (what, good, how it went)."""
    me, peer = socket.inet_pton(socket.AF_INET6, "2001:db8::1"), socket.inet_pton(socket.AF_INET6, "2001:db8::2")
    results = []
    with open("/proc/sys/net/ipv4/ping_group_range", "w") as f:
        f.write("1\t0")
    try:
        socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_ICMPV6).close()
        opened = "opened"
    except PermissionError:
        opened = "refused"
    results.append(("with net.ipv4.ping_group_range 1 0, even root may not open an ICMPv6 datagram socket",
                    opened == "refused", opened))
    with open("/proc/sys/net/ipv4/ping_group_range", "w") as f:
        f.write("0\t2147483647")
    dgram = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_ICMPV6)
    dgram.setblocking(False)
    dgram.sendto(struct.pack("!BBHHH", 128, 0, 0, 0, 1), ("2001:db8::2", 0))
    identifier = dgram.getsockname()[1]     # the kernel's: the socket's "port"
    raw = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    raw.setblocking(False)
    time.sleep(0.1)
    for pseudo_header in (False, True):
        before = counters()
        os.write(fd, reply6(peer, me, identifier, pseudo_header))
        time.sleep(0.2)
        after = counters()
        got = {}
        for name, sock in (("raw", raw), ("datagram", dgram)):
            got[name] = False
            try:
                while True:
                    got[name] |= sock.recv(65535)[:1] == b"\x81"
            except BlockingIOError:
                pass
        what = "an ICMPv6 echo reply summed %s the pseudo-header" % ("with" if pseudo_header else "without")
        for name in ("raw", "datagram"):
            results.append(("%s: a %s ICMPv6 socket %s it" % (what, name, "gets" if pseudo_header else "never sees"),
                            got[name] == pseudo_header, "got it" if got[name] else "saw nothing"))
        for name in ("Icmp6InCsumErrors", "Icmp6InErrors"):
            grew = after[name] - before[name]
            results.append(("%s: the kernel counts it in %s" % (what, name) if not pseudo_header else
                            "%s: the kernel does not count it in %s" % (what, name),
                            grew == (0 if pseudo_header else 1), "by %d" % grew))
    with open("/proc/sys/net/ipv4/ping_group_range", "w") as f:
        f.write("1\t0")
    return results


def counters():
    """Every counter of /proc/net/snmp and /proc/net/netstat, by nstat's name."""
    values = {}
    with open("/proc/net/snmp6") as f:
        for line in f:
            name, number = line.split()
            values[name] = int(number)
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
    subprocess.run("ip link set lo up; ip addr add 192.0.2.1/24 dev tun0; "
                   "ip addr add 2001:db8::1/64 dev tun0 nodad; ip link set tun0 up",
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
    for what, expected, got in host_claims(fd):
        good = got == expected
        failed += not good
        print("%s - %s: the kernel answers %s (got %s)" % (
            "ok" if good else "not ok", what,
            "from " + ", ".join(expected) if expected else "nothing", ", ".join(got) or "nothing"))
    took, sent = long_write_claim(fd)
    good = took == 4028 and sent == [1500, 1500, 1068]
    failed += not good
    print("%s - step 10: a tun of MTU 1500 takes a 4028-byte write (took %d), and the kernel's "
          "reply goes back in fragments of the MTU (%s)" % ("ok" if good else "not ok", took,
                                                           ", ".join(map(str, sent)) or "nothing"))
    for what, good, how in ipv6_claims(fd):
        failed += not good
        print("%s - %s (%s)" % ("ok" if good else "not ok", what, how))
    # Last: these addresses are the tun's from here on.
    subprocess.run("ip addr add 198.51.100.0/31 dev tun0; ip addr add 203.0.113.5/32 dev tun0",
                   shell=True, check=True)
    table = subprocess.run("ip route show table local dev tun0", shell=True, check=True,
                           capture_output=True, text=True).stdout
    for prefix, address, other in (("/31", "198.51.100.0", "198.51.100.1"),
                                   ("/32", "203.0.113.5", "203.0.113.5")):
        good = ("local %s " % address) in table and ("broadcast %s " % other) not in table
        failed += not good
        print("%s - an address with a %s prefix: the local table has it, and no broadcast "
              "address for it" % ("ok" if good else "not ok", prefix))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
