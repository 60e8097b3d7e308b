#!/usr/bin/env bash
# Writes the seed corpus for the fuzz targets (tests/fuzz/corpus), from the
# recorded fixtures and from every malformed shape tools/inject.c makes:
#
#   packets/  whole IP packets: for the IPv4 parser and every step, with one
#             of 70000 bytes (more than a tun read, as --replay can deliver)
#   options/  the option bytes of the recorded requests that carry options
#   pcap/     captures for --replay, one with a record of 70000 bytes
#   cli/      command lines, the arguments separated by NUL bytes
#
# `make test` replays the committed corpus as a regression test; `make fuzz`
# starts from it. Run this again when fixtures or inject's shapes change.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=$root/tests/fuzz/corpus
make -C "$root" -s build/tools/inject
rm -rf "$corpus"
mkdir -p "$corpus/packets" "$corpus/options" "$corpus/pcap" "$corpus/cli"

# One packet per capture: tshark prints its bytes, xxd turns them back.
packet_bytes() { tshark -r "$1" -x 2>/dev/null | cut -c7-53 | xxd -r -p; }
# One seed a capture; a capture of several packets (step 10's fragments)
# gives one seed a packet, NAME-1, NAME-2, ..., which the replay reads in
# order, so that a datagram is put back together.
seeds_of() {
    local count
    count=$(tshark -r "$1" 2>/dev/null | grep -c '')
    if [ "$count" -le 1 ]; then
        packet_bytes "$1" >"$2"
        return
    fi
    # tshark -x would add the datagram it reassembled: the records as read.
    python3 - "$1" "$2" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
at, n = 24, 0
while at + 16 <= len(data):
    length = struct.unpack('<I', data[at + 8:at + 12])[0]
    n += 1
    open('%s-%d' % (sys.argv[2], n), 'wb').write(data[at + 16:at + 16 + length])
    at += 16 + length
PY
}
for f in "$root"/tests/fixtures/requests/*.pcap "$root"/tests/fixtures/kernel-replies/*.pcap \
         "$root"/tests/fixtures/fragments/*.pcap; do
    kind=$(basename "$(dirname "$f")")
    seeds_of "$f" "$corpus/packets/$kind-$(basename "$f" .pcap)"
done
# Step 11's IPv6 requests and the kernel's answers (their names begin ipv6-).
for f in "$root"/tests/fixtures/ipv6/requests/*.pcap "$root"/tests/fixtures/ipv6/kernel-replies/*.pcap; do
    [ -s "$f" ] && [ "$(stat -c %s "$f")" -gt 24 ] || continue     # the kernel's silence
    kind=$(basename "$(dirname "$f")")
    seeds_of "$f" "$corpus/packets/$kind-$(basename "$f" .pcap)"
done
# Step 11's reassembly and fragmentation: an ICMPv6 echo request of 3000
# bytes of data to the fuzz targets' 2001:db8::2, in three fragments
# (1448, 1448, 112 bytes of its message), whose reply the MTU cuts.
python3 - "$corpus" <<'PY'
import struct, sys
def checksum(b):
    s = sum(struct.unpack('!%dH' % ((len(b) + 1) // 2), b + b'\0' * (len(b) % 2)))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
src = bytes.fromhex('20010db8000000000000000000000001')
dst = bytes.fromhex('20010db8000000000000000000000002')
icmp = bytearray([128, 0, 0, 0, 0, 1, 0, 1]) + bytes(i & 0xff for i in range(3000))
pseudo = src + dst + struct.pack('!I', len(icmp)) + bytes([0, 0, 0, 58])
struct.pack_into('!H', icmp, 2, checksum(pseudo + bytes(icmp)))
for n, at in enumerate(range(0, len(icmp), 1448), 1):
    data = bytes(icmp[at:at + 1448])
    more = 1 if at + 1448 < len(icmp) else 0
    frag = struct.pack('!BBHI', 58, 0, at | more, 0x2a)
    header = struct.pack('!IHBB', 0x60000000, len(frag) + len(data), 44, 64) + src + dst
    open('%s/packets/ipv6-fragments-echo-3000-%d' % (sys.argv[1], n), 'wb').write(header + frag + data)
PY
request=$root/tests/fixtures/requests/default.pcap
"$root/build/tools/inject" --to-dir "$corpus/packets" --malformed "$request" >/dev/null
mkdir -p "$corpus/ladder"
"$root/build/tools/inject" --to-dir "$corpus/ladder" --ladder "$request" >/dev/null
for f in "$corpus"/ladder/*; do mv "$f" "$corpus/packets/ladder-$(basename "$f")"; done
rmdir "$corpus/ladder"

for f in "$corpus"/packets/requests-*; do
    first=$(od -An -tu1 -N1 "$f")
    [ $(( first >> 4 )) -eq 4 ] || continue        # IPv6 has no options there
    ihl=$(( first & 15 ))
    [ "$ihl" -gt 5 ] || continue
    tail -c +21 "$f" | head -c $(( ihl * 4 - 20 )) >"$corpus/options/${f##*/requests-}"
done

for f in mixed.pcap requests/record-route.pcap requests/s1472.pcap requests/ts-then-rr.pcap \
         requests/ipv6-router-solicitation.pcap; do
    cp "$root/tests/fixtures/$f" "$corpus/pcap/"
done
# Ethernet (ARP, IPv4, VLAN) and Linux cooked frames, written byte by byte.
python3 "$root/tests/e2e/pcap_build.py" links "$corpus/pcap/ethernet.pcap" "$root/tests/fixtures/requests/default.pcap"
python3 "$root/tests/e2e/pcap_build.py" cooked "$corpus/pcap/cooked.pcap" "$root/tests/fixtures/requests/default.pcap"
# An echo request of 65535 bytes with 4465 bytes of padding after it, as a
# packet and as the one record of a raw-IP capture.
python3 - "$corpus" <<'PY'
import struct, sys
def checksum(b):
    s = sum(struct.unpack('!%dH' % ((len(b) + 1) // 2), b + b'\0' * (len(b) % 2)))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
icmp = bytearray([8, 0, 0, 0, 0, 1, 0, 1]) + bytes((0x10 + i) & 0xff for i in range(65535 - 28))
struct.pack_into('!H', icmp, 2, checksum(bytes(icmp)))
ip = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 65535, 0, 0x4000, 64, 1, 0,
                           bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])))
struct.pack_into('!H', ip, 10, checksum(bytes(ip)))
packet = bytes(ip) + bytes(icmp) + bytes(70000 - 65535)
open(sys.argv[1] + '/packets/over-65535', 'wb').write(packet)
header = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, 101)
record = struct.pack('<IIII', 1, 0, len(packet), len(packet))
open(sys.argv[1] + '/pcap/record-over-65535.pcap', 'wb').write(header + record + packet)
PY

# The default request sent to each kind of address the steps from 06 on
# tell apart (the fuzz targets give a step 192.0.2.2/24 and 198.51.100.7/24):
# its own addresses, another host, the subnet's number and broadcast, the
# limited broadcast, multicast, and from our own or a broadcast address.
python3 - "$corpus" "$corpus/packets/requests-default" <<'PY'
import struct, sys
def checksum(b):
    s = sum(struct.unpack('!%dH' % ((len(b) + 1) // 2), b + b'\0' * (len(b) % 2)))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
request = open(sys.argv[2], 'rb').read()
cases = {
    'to-second-address': (None, '198.51.100.7'), 'to-other-host': (None, '192.0.2.77'),
    'to-subnet-number': (None, '192.0.2.0'), 'to-subnet-broadcast': (None, '192.0.2.255'),
    'to-second-broadcast': (None, '198.51.100.255'),
    'to-limited-broadcast': (None, '255.255.255.255'), 'to-multicast': (None, '224.0.0.1'),
    'from-ourselves': ('192.0.2.2', None), 'from-subnet-broadcast': ('192.0.2.255', None),
    'from-second-address': ('198.51.100.7', None),
}
for name, (src, dst) in cases.items():
    p = bytearray(request)
    if src:
        p[12:16] = bytes(int(x) for x in src.split('.'))
    if dst:
        p[16:20] = bytes(int(x) for x in dst.split('.'))
    struct.pack_into('!H', p, 10, 0)
    struct.pack_into('!H', p, 10, checksum(bytes(p[:20])))
    open(sys.argv[1] + '/packets/address-' + name, 'wb').write(bytes(p))
PY

printf -- '-i\0tun0' >"$corpus/cli/interface"
printf -- '--replay\0in.pcap\0--pcap\0out.pcap' >"$corpus/cli/replay"
printf -- '-v\0--user\0nobody' >"$corpus/cli/verbose-user"
printf -- '-hi' >"$corpus/cli/clustered"
printf -- '--what\0-x' >"$corpus/cli/unknown"
# (the addresses as arguments: '\0192' in a format would be octal \01 and "92")
printf -- '--address\0%s\0--address\0%s\0--address\0%s' 192.0.2.2/24 198.51.100.7/24 192.0.2.02 \
    >"$corpus/cli/addresses"
echo "seeds: $(ls "$corpus/packets" | wc -l) packets, $(ls "$corpus/options" | wc -l) option sets," \
     "$(ls "$corpus/pcap" | wc -l) captures, $(ls "$corpus/cli" | wc -l) command lines"
