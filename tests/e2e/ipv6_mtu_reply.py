#!/usr/bin/env python3
"""How many packets (and bytes) one ICMPv6 echo request brings back over a
link of a given MTU, from step 11 (on TUN, 2001:db8::2, reached through an
AF_PACKET socket) and from Linux (a tun of its own, ORACLE, 2001:db8:1::1/64,
written to directly: the kernel's replies come back on its fd), the same
request to each:

    ipv6_mtu_reply.py TUN ORACLE_TUN MTU ICMP_BYTES...

Each request is an ICMPv6 echo request of that many bytes (8 of header,
the rest data i % 256), cut into fragments of at most MTU bytes, as a
sender on that link cuts it (RFC 8200 4.5: every fragment but the last
carries a multiple of 8 bytes). Both tuns get the MTU first. One line a
size: "BYTES: step N packets M bytes, Linux N packets M bytes". Root only.
"""
import fcntl, os, select, socket, struct, sys, time

ETH_P_IPV6, ETH_P_ALL = 0x86DD, 0x0003


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def request(src, dst, ident, size, mtu):
    """The fragments of an echo request of `size` ICMPv6 bytes from src to dst."""
    src, dst = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    m = bytearray(struct.pack("!BBHHH", 128, 0, 0, ident, 1) + bytes(i % 256 for i in range(size - 8)))
    pseudo = src + dst + struct.pack("!IxxxB", len(m), 58)
    struct.pack_into("!H", m, 2, checksum(pseudo + bytes(m)))
    if 40 + len(m) <= mtu:
        return [struct.pack("!IHBB", 6 << 28, len(m), 58, 64) + src + dst + bytes(m)]
    room = (mtu - 48) & ~7
    packets = []
    for o in range(0, len(m), room):
        data, more = m[o:o + room], o + room < len(m)
        frag = struct.pack("!BBHI", 58, 0, o | more, 0x5b000000 + ident)
        packets.append(struct.pack("!IHBB", 6 << 28, 8 + len(data), 44, 64) + src + dst + frag + data)
    return packets


def drain(sock, read, quiet=0.7):
    packets = octets = 0
    while select.select([sock], [], [], quiet)[0]:
        n = read()
        if n:
            packets, octets = packets + 1, octets + n
    return packets, octets


def main():
    tun, oracle_name, mtu = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sizes = [int(a) for a in sys.argv[4:]]
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IPV6))
    tx.bind((tun, ETH_P_IPV6))
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
    rx.bind((tun, ETH_P_ALL))
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)

    def step_read():
        data, address = rx.recvfrom(65535)
        # what the step wrote, not router solicitations of the kernel's own
        return len(data) if address[2] == socket.PACKET_HOST and data[0] >> 4 == 6 else 0
    oracle = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(oracle, 0x400454ca, struct.pack("16sH", oracle_name.encode(), 0x1001))
    os.system(f"ip link set {oracle_name} addrgenmode none && "
              f"ip -6 addr add 2001:db8:1::1/64 dev {oracle_name} nodad && "
              f"ip link set {oracle_name} up && ip link set {oracle_name} mtu {mtu} && "
              f"ip link set {tun} mtu {mtu} && sysctl -qw net.ipv6.icmp.ratelimit=0")
    time.sleep(1.5)                     # the step reads the MTU again after a second

    def oracle_read():
        p = os.read(oracle, 65535)
        return len(p) if p[0] >> 4 == 6 and not (p[6] == 58 and p[40] == 133) else 0
    drain(oracle, oracle_read, 0.2)
    drain(rx, step_read, 0.2)
    for n, size in enumerate(sizes):
        counts = []
        for send, read, sock, src, dst in ((tx.send, step_read, rx, "2001:db8::1", "2001:db8::2"),
                                          (lambda p: os.write(oracle, p), oracle_read, oracle,
                                           "2001:db8:1::2", "2001:db8:1::1")):
            for i, p in enumerate(request(src, dst, 0x6800 + n, size, mtu)):
                send(p)
                if i % 32 == 31:
                    time.sleep(0.002)       # a tun's queue holds 500
            counts.extend(drain(sock, read))
        print("%d: step %d packets %d bytes, Linux %d packets %d bytes" % (size, *counts))


main()
