#!/usr/bin/env bash
# Records step 11's fixtures of IPv6 replies cut into fragments by the
# Linux kernel itself (IPv6's twin of capture-fragment-fixtures.sh):
#
#   tests/fixtures/fragments/echo6-SIZE.request.pcap
#       an ICMPv6 echo request from 2001:db8:1::2 to 2001:db8:1::1 whose
#       ICMPv6 message is 8 + SIZE bytes (`ping -6 -s SIZE`'s: data bytes
#       i % 256), whole (a tun takes a packet bigger than its MTU), or for
#       65000 cut in fragments of 1448 bytes, as a sender with MTU 1500 cuts
#   tests/fixtures/fragments/echo6-SIZE-mtuN.kernel.pcap
#       every packet the kernel sent back through the oracle tun (tun2,
#       2001:db8:1::1/64) of MTU N: its echo reply cut its own way
#
#   scripts/capture-fragment-fixtures6.sh     record them all again (as root)
#
# Everything happens inside a private network namespace that vanishes with
# the script.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${ICMP_STEPS_IN_NS:-}" ]; then
    exec unshare --net --pid --mount-proc --kill-child env ICMP_STEPS_IN_NS=1 "$0" "$@"
fi
fragments=$root/tests/fixtures/fragments
make -C "$root" -s build/tools/kernel-oracle
ip link set lo up
sysctl -qw net.ipv6.icmp.ratelimit=0
ip tuntap add mode tun name tun2
ip link set tun2 addrgenmode none
ip addr add 2001:db8:1::1/64 dev tun2 nodad

for size in 1452 4000 65000; do
    python3 - "$size" "$fragments/echo6-$size.request.pcap" <<'PY'
import struct, sys
size, path = int(sys.argv[1]), sys.argv[2]
src = bytes.fromhex("20010db8000100000000000000000002")
dst = bytes.fromhex("20010db8000100000000000000000001")
def checksum(data):
    data += b"\0" * (len(data) % 2)
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
message = bytearray(struct.pack("!BBHHH", 128, 0, 0, 0x6a6a, 1) + bytes(i % 256 for i in range(size)))
struct.pack_into("!H", message, 2, checksum(src + dst + struct.pack("!IxxxB", len(message), 58) + bytes(message)))
def header(next_header, payload_len):
    return struct.pack("!IHBB", 6 << 28, payload_len, next_header, 64) + src + dst
if len(message) + 40 <= 65535 and size != 65000:
    packets = [header(58, len(message)) + message]
else:
    packets, step = [], 1448
    for at in range(0, len(message), step):
        data = message[at:at + step]
        more = at + step < len(message)
        frag = struct.pack("!BBHI", 58, 0, at | more, 0x11223344)
        packets.append(header(44, 8 + len(data)) + frag + data)
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
    for p in packets:
        f.write(struct.pack("<IIII", 0, 0, len(p), len(p)) + p)
PY
    for mtu in 1500 1280; do
        ip link set tun2 mtu "$mtu" up
        "$root/build/tools/kernel-oracle" --every -i tun2 "$fragments/echo6-$size.request.pcap" \
            "$fragments/echo6-$size-mtu$mtu.kernel.pcap"
    done
done
ip tuntap del mode tun name tun2
echo "recorded: echo6-1452 echo6-4000 echo6-65000, MTU 1500 and 1280"
