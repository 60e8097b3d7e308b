#!/usr/bin/env python3
"""kernel_fragments6: what Linux does with each IPv6 fragment sequence of
tests/fixtures/fragments/sequences6.txt, measured (IPv6's twin of
kernel_fragments.py). tests/unit/test_reassembly.c holds reassembly_add6()
to the same file.

    kernel_fragments6.py            every sequence, each in a network
                                    namespace of its own (root; run by
                                    test_kernel_fragments.sh)
    kernel_fragments6.py NAME...    only these

In its namespace the kernel owns 2001:db8::2/64 on a tun; fragments come
from 2001:db8::1. After each fragment it reads the kernel's counters
(/proc/net/snmp6) and the memory its reassembly holds (FRAG6 in
/proc/net/sockstat6), and tells from them what happened; what the kernel
writes back into the tun is its echo replies and ICMPv6 errors (parameter
problem, time exceeded), checked type, code and pointer.
"""
import fcntl
import os
import select
import struct
import subprocess
import sys
import time

TUNSETIFF, IFF_TUN, IFF_NO_PI = 0x400454CA, 0x0001, 0x1000
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "fragments", "sequences6.txt")
PEER = bytes.fromhex("20010db8000000000000000000000001")
ME = bytes.fromhex("20010db8000000000000000000000002")
TIME_S = 1          # net.ipv6.ip6frag_time in the namespace of a sequence that waits
# `dst`: the fragmentable part starts with a destination options header of
# 8 bytes (next header ICMPv6, PadN of 4), before the ICMPv6 message.
DSTOPTS = bytes([58, 0, 1, 4, 0, 0, 0, 0])


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


# ---- the fixture (test_reassembly.c parses the same lines) -----------------

def parse(path):
    """[(name, size, dst, [steps])]; a step is a dict with its "kind"."""
    sequences = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            kind, args = words[0], words[1:]
            if kind == "sequence":
                sequences.append((args[0], int(args[1]), "dst" in args[2:], []))
                continue
            step = {"kind": kind, "line": number}
            if kind == "frag":
                step.update(offset=int(args[0]), len=int(args[1]), mf=False, tc=0, id=1,
                            outcome="?")
                for word in args[2:]:
                    if word == "mf":
                        step["mf"] = True
                    elif "=" in word:
                        key, value = word.split("=")
                        step[key] = int(value, 0)
                    else:
                        step["outcome"] = word
            elif kind in ("replies", "errors"):
                step["count"] = int(args[0])
                for word in args[1:]:
                    step["quote"] = int(word.split("=")[1])
            elif kind != "wait":
                raise SystemExit("%s:%d: unknown line %r" % (path, number, line))
            sequences[-1][3].append(step)
    return sequences


def fragmentable(size, ident, dst):
    """The echo request's fragmentable part: [DSTOPTS,] then an ICMPv6 echo
    request of `size` bytes (identifier `ident`, sequence 1, data i % 256),
    its checksum over the pseudo-header of the whole (RFC 8200 8.1)."""
    body = bytearray(size)
    for i in range(8, size):
        body[i] = i % 256
    body[0], body[4:8] = 128, struct.pack("!HH", ident & 0xFFFF, 1)
    pseudo = PEER + ME + struct.pack("!IxxxB", size, 58)
    struct.pack_into("!H", body, 2, checksum(pseudo + bytes(body)))
    return (DSTOPTS if dst else b"") + bytes(body)


def fragment(size, dst, step):
    """One fragment: IPv6 header, Fragment header, then LEN bytes of the
    fragmentable part from OFFSET (bytes past its end go on with i % 256)."""
    whole = fragmentable(size, step["id"], dst)
    data = bytes(whole[i] if i < len(whole) else i % 256
                 for i in range(step["offset"], step["offset"] + step["len"]))
    first = (60 if dst else 58)
    frag = struct.pack("!BBHI", first, 0, step["offset"] | (1 if step["mf"] else 0), step["id"])
    head = struct.pack("!IHBB", 6 << 28 | step["tc"] << 20, 8 + len(data), 44, 64)
    return head + PEER + ME + frag + data


# ---- the kernel's view -----------------------------------------------------

def counters():
    values = {}
    with open("/proc/net/snmp6") as f:
        for line in f:
            name, value = line.split()
            values[name] = int(value)
    with open("/proc/net/sockstat6") as f:
        for line in f:
            if line.startswith("FRAG6:"):
                values["memory"] = int(line.split()[-1])
    return values


def observed(before, after):
    """What the counters say happened to one fragment, in the fixture's words."""
    grew = lambda name: after[name] - before[name]
    if grew("Ip6ReasmOKs"):
        # An atomic fragment is counted as reassembled, but nothing was held.
        return "reassembled" if after["memory"] < before["memory"] else "atomic"
    if grew("Ip6InHdrErrors"):
        return "fragment-parameter-problem"
    if grew("Ip6ReasmFails"):
        # Linux 6.18 has no IPv6 overlap counter in snmp6: an overlap and an
        # inconsistent fragment both free the datagram.
        return "dropped"
    return "fragment-held" if after["memory"] > before["memory"] else "fragment-duplicate"


def expected_observation(outcome):
    if outcome in ("fragments-inconsistent", "fragments-overlap", "datagram-too-long",
                   "reassembly-memory-full"):
        return "dropped"
    return outcome


def sysctl(name, value):
    with open("/proc/sys/" + name.replace(".", "/"), "w") as f:
        f.write(str(value))


def open_tun():
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", b"tun0", IFF_TUN | IFF_NO_PI))
    subprocess.run("ip link set lo up; ip link set tun0 addrgenmode none; "
                   "ip addr add 2001:db8::2/64 dev tun0 nodad; ip link set tun0 up",
                   shell=True, check=True)
    # Every error is seen, none held back by the rate limits.
    sysctl("net.ipv6.icmp.ratelimit", 0)
    sysctl("net.ipv4.icmp_msgs_per_sec", 100000)
    return fd


def drain(fd, seconds):
    """The IPv6 packets the kernel writes into the tun within `seconds`,
    router solicitations left out."""
    packets, end = [], time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return packets
        packet = os.read(fd, 65535)
        if packet and packet[0] >> 4 == 6 and not (packet[6] == 58 and packet[40] == 133):
            packets.append(packet)


def settle(before):
    end = time.monotonic() + 1.0
    while counters()["Ip6ReasmReqds"] < before["Ip6ReasmReqds"] + 1:
        if time.monotonic() > end:
            break
        time.sleep(0.002)
    time.sleep(0.005)


def icmpv6(packets, icmp_type, code=None):
    """The ICMPv6 messages of this type (code) among packets whose ICMPv6
    header follows the IPv6 header directly (errors, whole replies) or a
    first fragment's Fragment header (fragmented replies)."""
    found = []
    for p in packets:
        at = 40
        if p[6] == 44:
            if struct.unpack("!H", p[42:44])[0] & 0xFFF8:
                continue
            at = 48
        elif p[6] != 58:
            continue
        if p[at] == icmp_type and (code is None or p[at + 1] == code):
            found.append((p, at))
    return found


def run_sequence(name, size, dst, steps):
    fd = open_tun()
    waits = any(s["kind"] == "wait" for s in steps)
    sysctl("net.ipv6.ip6frag_time", TIME_S if waits else 60)
    time.sleep(0.2)
    drain(fd, 0.05)
    sent, failed, firsts = [], 0, []

    def check(good, what):
        nonlocal failed
        failed += not good
        print("%s - %s: %s" % ("ok" if good else "not ok", name, what))

    for step in steps:
        kind = step["kind"]
        if kind == "frag":
            packet = fragment(size, dst, step)
            if step["offset"] == 0:
                firsts.append(packet)
            before = counters()
            os.write(fd, packet)
            settle(before)
            got, want = observed(before, counters()), expected_observation(step["outcome"])
            check(got == want, "line %d, fragment %d+%d%s: %s (got %s)" % (
                step["line"], step["offset"], step["len"], " M" if step["mf"] else "", want, got))
            if want == "fragment-parameter-problem":
                now = drain(fd, 0.1)
                sent += now
                problems = [(p[41], struct.unpack("!I", p[44:48])[0], p[48:])
                            for p, _ in icmpv6(now, 4)]
                check([(c, ptr) for c, ptr, _ in problems] == [(step["code"], step["ptr"])],
                      "line %d: parameter problem code %d pointer %d (got %s)" % (
                          step["line"], step["code"], step["ptr"],
                          ", ".join("code %d pointer %d" % (c, ptr) for c, ptr, _ in problems)
                          or "none"))
                check(all(q == packet[:len(q)] for _, _, q in problems),
                      "line %d: the parameter problem quotes the fragment" % step["line"])
        elif kind == "wait":
            sent += drain(fd, TIME_S + 1.0)
        elif kind == "replies":
            sent += drain(fd, 0.3)
            n = len(icmpv6(sent, 129))
            check(n == step["count"], "line %d: %d echo replies (got %d)" % (
                step["line"], step["count"], n))
        elif kind == "errors":
            sent += drain(fd, 0.3)
            errors = [p for p, _ in icmpv6(sent, 3, 1)]
            check(len(errors) == step["count"], "line %d: %d time exceeded, fragment "
                  "reassembly time exceeded (3/1) (got %d)" % (step["line"], step["count"],
                                                               len(errors)))
            if "quote" in step:
                quotes = sorted(set(len(p) - 48 for p in errors))
                check(quotes == [step["quote"]] if errors else True,
                      "line %d: each quotes %d bytes of the first fragment (got %s)" % (
                          step["line"], step["quote"], quotes))
                for p in errors:
                    check(any(p[48:] == f[:len(p) - 48] for f in firsts),
                          "line %d: the quote is a first fragment as it came" % step["line"])
    return failed


def main(argv):
    global FIXTURE
    if "--fixture" in argv:
        at = argv.index("--fixture")
        FIXTURE = argv[at + 1]
        del argv[at:at + 2]
    sequences = parse(FIXTURE)
    if argv[:1] == ["--inside"]:
        for name, size, dst, steps in sequences:
            if name == argv[1]:
                return 1 if run_sequence(name, size, dst, steps) else 0
        raise SystemExit("no sequence %s in %s" % (argv[1], FIXTURE))
    names = argv or [name for name, _, _, _ in sequences]
    failed = 0
    for name in names:
        child = subprocess.run(["unshare", "--net", sys.executable, __file__, "--inside", name,
                                "--fixture", FIXTURE],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print(child.stdout, end="", flush=True)
        if child.returncode != 0:
            failed += 1
            if "not ok - " not in child.stdout:
                print("not ok - %s: ran to its end (exit status %d)" % (name, child.returncode))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
