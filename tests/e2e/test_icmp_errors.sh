#!/usr/bin/env bash
# Step 09 against real peers: the kernel's own sockets on the other side of
# tun0 take its errors and resets for what they are (a UDP socket gets
# ECONNREFUSED, a TCP connect is refused, a timestamp request is
# answered), Wireshark finds every checksum right, and the rate limits hold
# live: 6 errors at once to one destination with Linux's defaults, all of
# them with --icmp-ratelimit 0; and Linux's own burst, measured.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

work=$(mktemp -d)
trap 'stop_step 2>/dev/null; kill "$dump_pid" 2>/dev/null; rm -rf "$work"' EXIT
dump_pid=

# peer SCRIPT: a few lines of Python on the kernel's side of tun0.
peer() {
    timeout 10 python3 -c "$1" 2>&1
}

STEP_BIN_DIR=build/asan/bin start_step 09-icmp-errors
sysctl -qw net.ipv6.conf.tun0.disable_ipv6=1
dumpcap -q -i tun0 -w "$work/tun0.pcap" 2>/dev/null &
dump_pid=$!
for _ in $(seq 100); do [ -s "$work/tun0.pcap" ] && break; sleep 0.05; done

# A connected UDP socket hears of a port unreachable as ECONNREFUSED: the
# kernel matched our error to it by the quoted addresses and ports.
out=$(peer '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(("192.0.2.2", 9))
s.send(b"hello")
try:
    s.recv(100)
    print("an answer")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("silence")
')
check_equal "UDP to a closed port: the kernel's socket gets ECONNREFUSED" refused "$out"

out=$(peer '
import socket
try:
    socket.create_connection(("192.0.2.2", 80), timeout=2)
    print("connected")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("silence")
')
check_equal "TCP to a closed port: connect() is refused by our reset" refused "$out"

# A timestamp request (raw socket): the reply's originate time is ours.
out=$(peer '
import socket, struct
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(2)
m = struct.pack("!BBHHHIII", 13, 0, 0, 0x4242, 7, 0x01020304, 0, 0)
m = m[:2] + struct.pack("!H", csum(m)) + m[4:]
s.sendto(m, ("192.0.2.2", 0))
while True:
    p = s.recv(200)
    icmp = p[(p[0] & 15) * 4:]
    if icmp[0] == 14:
        t, c, k, i, q, o, r, x = struct.unpack("!BBHHHIII", icmp[:20])
        print("timestamp reply", i == 0x4242 and q == 7 and o == 0x01020304 and r == x < 86400000,
              len(icmp))
        break
')
check_equal "a timestamp request is answered: id, sequence, originate time, receive = transmit" \
    "timestamp reply True 20" "$out"

# A protocol nobody speaks (253): protocol unreachable, seen by a raw socket.
out=$(peer '
import socket
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
r.settimeout(2)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 253)
s.sendto(b"experiment", ("192.0.2.2", 0))
while True:
    p = r.recv(200)
    icmp = p[(p[0] & 15) * 4:]
    if icmp[0] == 3:
        print("unreachable", icmp[1])
        break
')
check_equal "protocol 253: protocol unreachable (3/2)" "unreachable 2" "$out"

# Ten datagrams at once to a closed port: with Linux's defaults, six errors
# (the per-destination burst). The two errors above took 2000 of the 6000
# tokens (ms), so two seconds first, for the bucket to be full again.
sleep 2.2
peer '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(10):
    s.sendto(b"x", ("192.0.2.2", 7))
' >/dev/null
sleep 0.5
kill -INT "$dump_pid"; wait "$dump_pid" 2>/dev/null; dump_pid=
stop_step
check_equal "it exits 0 on SIGTERM: no crash, no sanitizer report" 0 "$step_status"
errors=$(tshark -r "$work/tun0.pcap" -Y 'icmp.type == 3 && icmp.code == 3 && udp.dstport == 7' \
    2>/dev/null | wc -l)
check_equal "10 datagrams at once: 6 port unreachables (Linux's burst), the rest rate-limited" \
    6 "$errors"
check_contains "and counted as such" "rate-limited               4" "$(cat "$step_log")"

# Wireshark's verdict on everything the step sent: no checksum it finds
# wrong (status 0), the quoted ones included, and no ICMP message it warns
# about (a reset is a warning by nature).
bad=$(tshark -r "$work/tun0.pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
    -o udp.check_checksum:TRUE -Y 'ip.src == 192.0.2.2 && (ip.checksum.status == 0 || icmp.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0 || (icmp && _ws.expert.severity >= warning))' \
    -T fields -e frame.number -e _ws.col.Info 2>/dev/null)
sent=$(tshark -r "$work/tun0.pcap" -Y 'ip.src == 192.0.2.2' 2>/dev/null | wc -l)
check_equal "Wireshark: all $sent packets the step sent have right checksums and no warning" "" "$bad"

# Linux itself, asked the same on a second tun (its own address
# 198.51.100.1, the datagrams written into the tun as from 198.51.100.2):
# 6 of 10 at once, then one a second. Its global limit (50 at once, 1000
# a second) takes 0, 1 or 2 credits an error at random, so its count
# there is not exact (measured: 53 to 56 of 100, to 100 destinations):
# not compared here.
out=$(peer '
import fcntl, os, select, struct, subprocess, time
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"tun1", 0x1001))
for c in ("ip addr add 198.51.100.1/24 dev tun1", "ip link set tun1 up",
          "sysctl -qw net.ipv6.conf.tun1.disable_ipv6=1"):
    subprocess.run(c.split(), check=True)
time.sleep(1.5)
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def burst(n):
    for i in range(n):
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, i, 0, 64, 17, 0,
                        bytes([198, 51, 100, 2]), bytes([198, 51, 100, 1]))
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
        os.write(fd, h + struct.pack("!HHHH", 40000, 7, 8, 0))
    got, end = 0, time.time() + 0.5
    while time.time() < end:
        if select.select([fd], [], [], 0.1)[0]:
            p = os.read(fd, 65535)
            got += p[0] >> 4 == 4 and p[9] == 1 and p[20] == 3
    return got
first = burst(10)
time.sleep(1.0)
print(first, burst(3))
')
check_equal "Linux itself: 6 of 10 at once, 1 of 3 a second later" "6 1" "$out"

# The same ten with the per-destination limit off (and the global one:
# Linux's 50 at once would allow them anyway).
start_step 09-icmp-errors --icmp-ratelimit 0 --icmp-msgs-per-sec 0
dumpcap -q -i tun0 -w "$work/off.pcap" 2>/dev/null &
dump_pid=$!
for _ in $(seq 100); do [ -s "$work/off.pcap" ] && break; sleep 0.05; done
peer '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(10):
    s.sendto(b"x", ("192.0.2.2", 7))
' >/dev/null
sleep 0.5
kill -INT "$dump_pid"; wait "$dump_pid" 2>/dev/null; dump_pid=
stop_step
errors=$(tshark -r "$work/off.pcap" -Y 'icmp.type == 3 && icmp.code == 3' 2>/dev/null | wc -l)
check_equal "--icmp-ratelimit 0 --icmp-msgs-per-sec 0: all 10 get their error" 10 "$errors"
finish
