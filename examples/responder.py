#!/usr/bin/env python3
"""A whole step 05 in Python, standard library only: what a learner writing
in another language needs to answer ping through a TUN device. It follows
the contract of `make check BIN=...` (docs/bring-your-own.md):

    make check STEP=05 BIN="python3 examples/responder.py"

It creates tun0 itself (IFF_TUN | IFF_NO_PI: every read() is one IP packet,
with no 4-byte header in front), leaves addresses and routes to whoever
runs it, answers IPv4 echo requests with one write() each, says in one line
what it ignored, and ends cleanly on SIGTERM or Ctrl-C.
"""
import fcntl
import os
import signal
import struct
import sys

TUNSETIFF = 0x400454CA          # _IOW('T', 202, int), from <linux/if_tun.h>
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000


def open_tun(name):
    """The device, as an fd: struct ifreq is the name in 16 bytes, then the
    flags as a short, padded to 40 bytes."""
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def checksum(data):
    """RFC 1071: the one's complement of the one's complement sum of 16-bit
    big-endian words; an odd last byte is the high half of a final word."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def reply_to(packet):
    """The echo reply to `packet`, or (None, why it was ignored)."""
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None, "not an IPv4 packet"
    ihl = (packet[0] & 0x0F) * 4
    total = struct.unpack("!H", packet[2:4])[0]
    if ihl < 20 or total < ihl or total > len(packet) or checksum(packet[:ihl]) != 0:
        return None, "a broken IPv4 header"
    if packet[9] != 1:
        return None, "not ICMP"
    icmp = packet[ihl:total]
    if len(icmp) < 8 or icmp[0] != 8 or icmp[1] != 0:
        return None, "not an ICMP echo request"
    if checksum(icmp) != 0:
        return None, "an echo request with a bad ICMP checksum"
    body = b"\0\0\0\0" + icmp[4:]                    # type 0, code 0, checksum 0 for now
    body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
    header = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, packet[1], 20 + len(body), 0, 0, 64, 1, 0,
                                   packet[16:20], packet[12:16]))   # addresses swapped
    header[10:12] = struct.pack("!H", checksum(bytes(header)))
    return bytes(header) + body, None


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        fd = open_tun("tun0")
    except OSError as error:
        sys.exit("responder: cannot create tun0 (%s): run it as root, or in the lab" % error.strerror)
    print("responder: reading tun0", flush=True)
    try:
        while True:
            packet = os.read(fd, 65535)
            reply, why = reply_to(packet)
            if reply is None:
                print("ignored: %s (%d bytes)" % (why, len(packet)), flush=True)
                continue
            os.write(fd, reply)
            print("replied to an echo request from %s" % ".".join(map(str, packet[12:16])), flush=True)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
