#!/usr/bin/env python3
"""kernel_fragments: what Linux does with each fragment sequence of
tests/fixtures/fragments/sequences.txt, measured. tests/unit/test_reassembly.c holds
common/reassembly.c to the same file, so a claim there that "Linux does X"
fails here if the kernel does not.

    kernel_fragments.py                 every sequence, each in a network
                                        namespace of its own (root; run by
                                        test_kernel_fragments.sh)
    kernel_fragments.py NAME...         only these
    kernel_fragments.py --record NAME REQUEST.pcap REPLY.pcap
                                        NAME's first fragment and the
                                        kernel's first time exceeded (11/1),
                                        as fixtures (scripts/capture-fixtures.sh)
    kernel_fragments.py --generate SEED COUNT
                                        COUNT random sequences, printed with
                                        the kernel's outcome for each
                                        fragment (sequences.txt's random ones)
    --fixture FILE                      another file of sequences

In its namespace the kernel owns 192.0.2.2 on a tun; fragments come from
192.0.2.1. After each fragment it reads the kernel's counters (/proc/net/snmp
and /proc/net/netstat, nstat's names) and the memory its reassembly holds
(FRAG in /proc/net/sockstat), and tells from them what happened to the
fragment. A raw ICMP socket gets each whole datagram as the kernel
reassembled it, header and all; what the kernel writes back into the tun
is its echo replies and time exceeded errors.
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
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "fragments", "sequences.txt")
PEER, ME = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])
TIME_S = 1          # net.ipv4.ipfrag_time in the namespace of a sequence that waits


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


# ---- the fixture (test_reassembly.c parses the same lines) -----------------

def parse(path):
    """[(name, size, [steps])]; a step is a dict with its "kind"."""
    sequences = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            kind, args = words[0], words[1:]
            if kind == "sequence":
                sequences.append((args[0], int(args[1]), []))
                continue
            step = {"kind": kind, "line": number}
            if kind == "frag":
                step.update(offset=int(args[0]), len=int(args[1]), mf=False, df=False,
                            tos=0, id=1, restart=False, opt=False, outcome="?")
                for word in args[2:]:
                    if word in ("mf", "df", "restart", "opt"):
                        step[word] = True
                    elif "=" in word:
                        key, value = word.split("=")
                        step[key] = int(value, 0)
                    else:
                        step["outcome"] = word
                if step["offset"] == 0 and not step["mf"]:
                    raise SystemExit("%s:%d: offset 0 without mf is no fragment" % (path, number))
            elif kind in ("others", "replies"):
                step["count"] = int(args[0])
            elif kind == "errors":
                step["count"] = int(args[0])
                for word in args[1:]:
                    step["quote"] = int(word.split("=")[1])
            elif kind == "datagram":
                step.update(id=1, opt=0)
                for word in args:
                    key, value = word.split("=")
                    step[key] = int(value, 0)
            elif kind not in ("limit", "wait"):
                raise SystemExit("%s:%d: unknown line %r" % (path, number, line))
            sequences[-1][2].append(step)
    return sequences


def message(size, ident):
    """The ICMP echo request that the fragments are cut from: identifier
    `ident`, sequence 1, data bytes i % 256 after the 8-byte header."""
    body = bytearray(size)
    for i in range(8, size):
        body[i] = i % 256
    body[0], body[4:8] = 8, struct.pack("!HH", ident, 1)
    struct.pack_into("!H", body, 2, checksum(bytes(body[:min(size, 65515)])))
    return bytes(body)


OPTIONS = bytes([1, 1, 1, 0])   # `opt`: three No Operation options and an End of List


def header(total, ident, tos, flags_offset, options=b"", src=PEER, dst=ME):
    h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45 + len(options) // 4, tos, total, ident,
                              flags_offset, 64, 1, 0, src, dst) + options)
    struct.pack_into("!H", h, 10, checksum(bytes(h)))
    return bytes(h)


def fragment(size, step):
    """One fragment's bytes."""
    whole = message(size, step["id"])
    data = bytes(whole[i] if i < size else i % 256
                 for i in range(step["offset"], step["offset"] + step["len"]))
    flags = (0x2000 if step["mf"] else 0) | (0x4000 if step["df"] else 0) | step["offset"] // 8
    options = OPTIONS if step.get("opt") else b""
    return header(20 + len(options) + len(data), step["id"], step["tos"], flags, options) + data


def expected_datagram(size, sequence_steps, step):
    """What the kernel delivers: the first fragment's header with total
    length, TOS and DF as the `datagram` line says; then the message."""
    options = OPTIONS if step["opt"] else b""
    return header(20 + len(options) + size, step["id"], step["tos"],
                  0x4000 if step["df"] else 0, options) + message(size, step["id"])


# ---- the kernel's view -----------------------------------------------------

def counters():
    values = {}
    for path in ("/proc/net/snmp", "/proc/net/netstat"):
        with open(path) as f:
            lines = f.read().splitlines()
        for names, numbers in zip(lines[0::2], lines[1::2]):
            prefix, names = names.split(":", 1)
            for name, number in zip(names.split(), numbers.split(":", 1)[1].split()):
                values[prefix + name] = int(number)
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("FRAG:"):
                values["memory"] = int(line.split()[-1])
    return values


def observed(before, after, high_thresh):
    """What the counters say happened to one fragment, in the fixture's words."""
    grew = lambda name: after[name] - before[name]
    memory = after["memory"] - before["memory"]
    if grew("IpReasmOKs"):
        return "reassembled"
    if grew("IpExtReasmOverlaps"):
        return "fragments-overlap"
    if grew("IpReasmFails"):
        if before["memory"] > high_thresh:      # inet_frag_find() refused it
            return "reassembly-memory-full"
        if memory > 0:                          # what it held went, the fragment stayed
            return "fragment-held restart"
        # Its datagram went (or, for a first fragment, came and went).
        return "dropped (fragments-inconsistent or datagram-too-long)"
    return "fragment-held" if memory > 0 else "fragment-duplicate"


def expected_observation(step):
    outcome = step["outcome"]
    if step["restart"]:
        return "fragment-held restart"
    if outcome in ("fragments-inconsistent", "datagram-too-long"):
        return "dropped (fragments-inconsistent or datagram-too-long)"
    return outcome


def sysctl(name, value):
    with open("/proc/sys/" + name.replace(".", "/"), "w") as f:
        f.write(str(value))


def open_tun():
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", b"tun0", IFF_TUN | IFF_NO_PI))
    subprocess.run("ip link set lo up; ip addr add 192.0.2.2/24 dev tun0; ip link set tun0 up",
                   shell=True, check=True)
    sysctl("net.ipv6.conf.tun0.disable_ipv6", 1)
    # Every error is seen, none held back by the rate limits.
    sysctl("net.ipv4.icmp_ratelimit", 0)
    sysctl("net.ipv4.icmp_msgs_per_sec", 100000)
    return fd


def drain(fd, seconds):
    """The IPv4 packets the kernel writes into the tun within `seconds`."""
    packets, end = [], time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return packets
        packet = os.read(fd, 65535)
        if packet and packet[0] >> 4 == 4:
            packets.append(packet)


def settle(before, fragments=1):
    """Waits until the kernel has taken the fragments just written: each
    counts in IpReasmReqds as ip_defrag() begins (a second at most)."""
    end = time.monotonic() + 1.0
    while counters()["IpReasmReqds"] < before["IpReasmReqds"] + fragments:
        if time.monotonic() > end:
            break
        time.sleep(0.002)
    time.sleep(0.005)


def run_sequence(name, size, steps, record=None):
    """Runs one sequence in this (fresh) namespace; prints ok / not ok lines
    and returns the number of failures."""
    fd = open_tun()
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    raw.setblocking(False)
    waits = any(s["kind"] == "wait" for s in steps)
    sysctl("net.ipv4.ipfrag_time", TIME_S if waits else 30)
    time.sleep(0.2)
    drain(fd, 0.05)
    sent, delivered, failed, firsts = [], [], 0, []

    def check(good, what):
        nonlocal failed
        failed += not good
        print("%s - %s: %s" % ("ok" if good else "not ok", name, what))

    for step in steps:
        kind = step["kind"]
        if kind == "frag":
            packet = fragment(size, step)
            if step["offset"] == 0:
                firsts.append(packet)
            before = counters()
            os.write(fd, packet)
            settle(before)
            with open("/proc/sys/net/ipv4/ipfrag_high_thresh") as f:
                high_thresh = int(f.read())
            got, want = observed(before, counters(), high_thresh), expected_observation(step)
            check(got == want, "line %d, fragment %d+%d%s: %s (got %s)" % (
                step["line"], step["offset"], step["len"], " MF" if step["mf"] else "",
                want, got))
        elif kind == "others":
            before = counters()
            for i in range(step["count"]):
                os.write(fd, fragment(size, {"offset": 0, "len": 8, "mf": True, "df": False,
                                             "tos": 0, "id": 1000 + i}))
            settle(before, step["count"])
        elif kind == "limit":
            held = counters()["memory"]
            sysctl("net.ipv4.ipfrag_low_thresh", 0)
            sysctl("net.ipv4.ipfrag_high_thresh", held)
        elif kind == "wait":
            sent += drain(fd, TIME_S + 1.0)
        elif kind == "datagram":
            want = expected_datagram(size, steps, step)
            while True:
                try:
                    delivered.append(raw.recv(65535))
                except BlockingIOError:
                    break
            check(want in delivered, "line %d: the whole datagram (id %d) as delivered, header "
                  "%s (got headers %s)" % (step["line"], step["id"], want[:want[0] % 16 * 4].hex(),
                                           ", ".join(g[:g[0] % 16 * 4].hex() for g in delivered)
                                           or "none"))
        elif kind in ("replies", "errors"):
            sent += drain(fd, 0.3)
            if kind == "replies":
                # A reply longer than the tun's MTU comes in fragments: count
                # first fragments.
                n = sum(1 for p in sent if p[9] == 1 and p[20] == 0 and
                        struct.unpack("!H", p[6:8])[0] & 0x1FFF == 0)
                check(n == step["count"], "line %d: %d echo replies (got %d)" % (
                    step["line"], step["count"], n))
            else:
                errors = [p for p in sent if p[9] == 1 and p[20] == 11 and p[21] == 1]
                check(len(errors) == step["count"], "line %d: %d time exceeded, fragment "
                      "reassembly (got %d)" % (step["line"], step["count"], len(errors)))
                if "quote" in step:
                    quotes = sorted(set(len(p) - 28 for p in errors))
                    check(quotes == [step["quote"]] if errors else True,
                          "line %d: each quotes %d bytes of the first fragment (got %s)" % (
                              step["line"], step["quote"], quotes))
                    for p in errors:
                        check(any(p[28:] == f[:len(p) - 28] for f in firsts),
                              "line %d: the quote is a first fragment as it came" % step["line"])
                if record and errors:
                    write_pcap(record[0], firsts[:1])
                    write_pcap(record[1], errors[:1])
    return failed


def write_pcap(path, packets):
    """A capture of raw IPv4 packets (link type 101, as the fixtures are)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        for p in packets:
            f.write(struct.pack("<IIII", 0, 0, len(p), len(p)) + p)


def random_sequence(rng, number):
    """A random sequence: a datagram cut in pieces of 8-byte units, sent
    shuffled, some twice, some cut short, shifted or grown, some empty."""
    size = rng.choice([64, 200, 512, 1400])
    cuts = sorted(set([0, size] + [8 * rng.randrange(1, (size - 1) // 8 + 1)
                                   for _ in range(rng.randrange(1, 5))]))
    pieces = [(a, b - a, b != size) for a, b in zip(cuts, cuts[1:])]
    frags = list(pieces)
    for _ in range(rng.randrange(0, 4)):
        offset, length, mf = rng.choice(pieces)
        change = rng.randrange(6)
        if change == 0:
            frags.append((offset, length, mf))                  # again
        elif change == 1:
            frags.append((offset, max(0, length - rng.randrange(1, 12)), mf))   # shorter
        elif change == 2:
            frags.append((offset + 8, length, mf))              # shifted
        elif change == 3:
            frags.append((offset, length + 8 * rng.randrange(1, 3), mf))       # longer
        elif change == 4:
            frags.append((offset, length, not mf))              # the other MF
        else:
            frags.append((max(0, offset - 8), 8 if rng.randrange(2) else 0, True))
    # Offset 0 without More Fragments is no fragment: a whole datagram,
    # which never meets reassembly.
    frags = [(o, n, mf or o == 0) for o, n, mf in frags]
    rng.shuffle(frags)
    lines = ["sequence random-%d %d" % (number, size)]
    lines += ["frag %d %d%s" % (o, n, " mf" if mf else "") for o, n, mf in frags]
    return lines


def generate(seed, count):
    """Prints `count` random sequences with what the kernel did with each
    fragment (run in namespaces of their own), in sequences.txt's words."""
    import random
    import tempfile
    rng = random.Random(seed)
    for number in range(1, count + 1):
        lines = random_sequence(rng, number)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("\n".join(lines + ["replies 0"]) + "\n")
        out = subprocess.run(["unshare", "--net", sys.executable, __file__, "--inside",
                              lines[0].split()[1], "--fixture", f.name],
                             capture_output=True, text=True).stdout
        os.unlink(f.name)
        got = [l.split("(got ", 1)[1][:-1] for l in out.splitlines() if ", fragment " in l]
        replies = [l.split("(got ", 1)[1][:-1] for l in out.splitlines() if "echo replies" in l]
        print(lines[0])
        for line, outcome in zip(lines[1:], got):
            outcome = outcome.replace("dropped (fragments-inconsistent or datagram-too-long)",
                                      "fragments-inconsistent")
            print("%s %s" % (line, outcome))
        print("replies %s" % replies[0])
        print()


def main(argv):
    global FIXTURE
    if "--fixture" in argv:
        at = argv.index("--fixture")
        FIXTURE = argv[at + 1]
        del argv[at:at + 2]
    if argv[:1] == ["--generate"]:
        generate(int(argv[1]), int(argv[2]))
        return 0
    sequences = parse(FIXTURE)
    if argv[:1] == ["--inside"]:
        record = argv[2:4] if len(argv) >= 4 else None
        for name, size, steps in sequences:
            if name == argv[1]:
                return 1 if run_sequence(name, size, steps, record) else 0
        raise SystemExit("no sequence %s in %s" % (argv[1], FIXTURE))
    if argv[:1] == ["--record"]:
        return subprocess.run(["unshare", "--net", sys.executable, __file__, "--inside"]
                              + argv[1:4]).returncode
    names = argv or [name for name, _, _ in sequences]
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
