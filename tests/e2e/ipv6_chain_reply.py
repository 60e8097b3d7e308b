#!/usr/bin/env python3
"""Long IPv6 extension header chains, to step 11 (on TUN, 2001:db8::2,
through an AF_PACKET socket) and to Linux (a tun of its own, ORACLE,
2001:db8:1::1/64, written to directly), the same chain to each:

    ipv6_chain_reply.py TUN ORACLE_TUN

Each case is an echo request of 16 bytes of data behind a chain: N
destination options headers (PadN of 4, 8 bytes each; 4000 of them are
32,000 bytes of headers), N atomic Fragment headers, hop-by-hop then 50
destination options, hop-by-hop twice, 100 routing headers of type 0 with
no segments left. A host walks every header (RFC 8200 4); a chain long or
odd must cost it a walk, never a crash, and get what Linux gives: an echo
reply, or a parameter problem with its code and pointer. Both tuns get
MTU 65535, so that the longest chain goes whole. One line a case:
"NAME: step REPLY | Linux REPLY", a reply as "type/code/pointer LENGTH".
Root only.
"""
import fcntl, os, select, socket, struct, time

ETH_P_IPV6, ETH_P_ALL = 0x86DD, 0x0003


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def echo(src, dst):
    m = bytearray(struct.pack("!BBHHH", 128, 0, 0, 0x4242, 1) + bytes(range(16)))
    pseudo = src + dst + struct.pack("!IxxxB", len(m), 58)
    struct.pack_into("!H", m, 2, checksum(pseudo + bytes(m)))
    return bytes(m)


def options(next_header):
    """8 bytes of hop-by-hop or destination options: PadN of 4 zeros."""
    return bytes([next_header, 0, 1, 4, 0, 0, 0, 0])


def chain(headers, upper):
    """headers: [(number, bytes_for(next_header))], first to last."""
    body, next_header = upper, 58
    for number, make in reversed(headers):
        body, next_header = make(next_header) + body, number
    return next_header, body


def cases(src, dst):
    e = echo(src, dst)
    atomic = lambda n: lambda nh: struct.pack("!BBHI", nh, 0, 0, n)
    routing0 = lambda nh: bytes([nh, 0, 0, 0, 0, 0, 0, 0])
    chains = {}
    for n in (1, 8, 100, 500, 4000):
        chains["dstopts x%d" % n] = [(60, options)] * n
    for n in (2, 3, 50):
        chains["atomic fragment x%d" % n] = [(44, atomic(i + 1)) for i in range(n)]
    chains["hop-by-hop, dstopts x50"] = [(0, options)] + [(60, options)] * 50
    chains["hop-by-hop twice"] = [(0, options)] * 2
    chains["routing type 0 x100"] = [(43, routing0)] * 100
    for name, headers in chains.items():
        first, body = chain(headers, e)
        yield name, struct.pack("!IHBB", 6 << 28, len(body), first, 64) + src + dst + body


def said(packets):
    words = []
    for p in packets:
        if p[6] != 58:
            words.append("next header %d, %d bytes" % (p[6], len(p)))
        elif p[40] == 129:
            words.append("echo reply %d" % len(p))
        else:
            words.append("%d/%d/%d %d" % (p[40], p[41], struct.unpack("!I", p[44:48])[0], len(p)))
    return ", ".join(words) or "silence"


def main():
    import sys
    tun, oracle_name = sys.argv[1], sys.argv[2]
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IPV6))
    tx.bind((tun, ETH_P_IPV6))
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
    rx.bind((tun, ETH_P_ALL))
    oracle = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(oracle, 0x400454ca, struct.pack("16sH", oracle_name.encode(), 0x1001))
    os.system(f"ip link set {oracle_name} addrgenmode none && "
              f"ip -6 addr add 2001:db8:1::1/64 dev {oracle_name} nodad && "
              f"ip link set {oracle_name} up mtu 65535 && ip link set {tun} mtu 65535 && "
              f"sysctl -qw net.ipv6.icmp.ratelimit=0")
    time.sleep(1.5)                     # the step reads the MTU again after a second

    def step_read():
        data, address = rx.recvfrom(70000)
        return data if address[2] == socket.PACKET_HOST and data[0] >> 4 == 6 else None

    def oracle_read():
        p = os.read(oracle, 70000)
        return p if p[0] >> 4 == 6 and not (p[6] == 58 and p[40] == 133) else None

    def drain(sock, read, quiet=0.4):
        packets = []
        while select.select([sock], [], [], quiet)[0]:
            p = read()
            if p:
                packets.append(p)
        return packets
    drain(oracle, oracle_read, 0.2)
    drain(rx, step_read, 0.2)
    a = lambda text: socket.inet_pton(socket.AF_INET6, text)
    linux = dict(cases(a("2001:db8:1::2"), a("2001:db8:1::1")))
    for name, packet in cases(a("2001:db8::1"), a("2001:db8::2")):
        tx.send(packet)
        step = said(drain(rx, step_read))
        os.write(oracle, linux[name])
        print("%s: step %s | Linux %s" % (name, step, said(drain(oracle, oracle_read))))


main()
