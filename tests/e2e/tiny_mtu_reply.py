#!/usr/bin/env python3
"""How many packets one echo request brings back over a link of MTU 68,
from a step (on TUN, 192.0.2.2) and from Linux (a tun of its own, ORACLE,
198.51.100.1/24, written to directly: the kernel's replies come back on
its fd), the same bytes to each:

    tiny_mtu_reply.py TUN ORACLE_TUN ICMP_BYTES...

Each request is an echo request of that many ICMP bytes, its first fragment
carrying 8 of them under a full Record Route option (a 60-byte header, so
that every fragment of the reply, which echoes the option, has room for 8
bytes of data), the rest in fragments of 48 bytes (what MTU 68 carries).
One line a size: "BYTES: step N packets, Linux N packets". Root only.
"""
import fcntl, os, select, socket, struct, sys, time

MF = 0x2000

def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def fragment(src, dst, ident, offset, data, more, options=b""):
    hl = 20 + len(options)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | hl // 4, 0, hl + len(data), ident,
                    offset // 8 | (MF if more else 0), 64, 1, 0,
                    socket.inet_aton(src), socket.inet_aton(dst)) + options
    return h[:10] + struct.pack("!H", checksum(h)) + h[12:] + data

def request(src, dst, ident, size):
    m = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + bytes(i % 256 for i in range(size - 8))
    m = m[:2] + struct.pack("!H", checksum(m)) + m[4:]
    record_route = bytes([7, 39, 4]) + bytes(36) + b"\0"
    packets = [fragment(src, dst, ident, 0, m[:8], True, record_route)]
    for o in range(8, len(m), 48):
        packets.append(fragment(src, dst, ident, o, m[o:o + 48], o + 48 < len(m)))
    return packets

def drain(fd_or_sock, read, quiet=0.7):
    count = 0
    while select.select([fd_or_sock], [], [], quiet)[0]:
        count += read()
    return count

def main():
    tun, oracle_name, sizes = sys.argv[1], sys.argv[2], [int(a) for a in sys.argv[3:]]
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
    tx.bind((tun, 0x0800))
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0003))
    rx.bind((tun, 0x0003))
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    def step_read():
        data, address = rx.recvfrom(65535)
        return int(address[2] == socket.PACKET_HOST and data[0] >> 4 == 4)
    oracle = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(oracle, 0x400454ca, struct.pack("16sH", oracle_name.encode(), 0x1001))
    os.system(f"ip addr add 198.51.100.1/24 dev {oracle_name} && ip link set {oracle_name} mtu 68 up")
    os.system("sysctl -qw net.ipv4.icmp_ratelimit=0")
    time.sleep(0.5)
    drain(oracle, lambda: 0 * len(os.read(oracle, 65535)), 0.2)
    drain(rx, step_read, 0.2)
    def oracle_read():
        return int(os.read(oracle, 65535)[0] >> 4 == 4)
    for n, size in enumerate(sizes):
        counts = []
        for send, read, sock, src, dst in ((tx.send, step_read, rx, "192.0.2.1", "192.0.2.2"),
                                          (lambda p: os.write(oracle, p), oracle_read, oracle,
                                           "198.51.100.2", "198.51.100.1")):
            for i, p in enumerate(request(src, dst, 0x6800 + n, size)):
                send(p)
                if i % 32 == 31:
                    time.sleep(0.002)       # a tun's queue holds 500
            counts.append(drain(sock, read))
        print("%d: step %d packets, Linux %d packets" % (size, counts[0], counts[1]))

main()
