#!/usr/bin/env python3
"""doc_commands: runs every command the lessons tell a learner to type, and
checks the output they show.

A command to type is a fenced block marked `sh`. Each line runs as the
learner would type it: a line that starts with `sudo ` as root (without the
word sudo), every other line as a normal user (nobody, with Debian's PATH
for normal users, which has no /usr/sbin, and $USER set to nobody). Lines
of one block share nothing but the machine, as in two terminals.

The line just before a block may say how to run it:

    <!-- not run: REASON -->       never run; listed with its reason
    <!-- background -->            runs while the later blocks run, and is
                                   stopped with Ctrl-C (SIGINT) at the next
                                   line <!-- stop the background --> of the
                                   document, or at its end

A fenced block marked `text` right after an `sh` block is what that block
prints (stdout and stderr); its exit status is then not checked, since the
output says more (ping exits 1 on 100% loss, which a lesson may expect).
A block without one must exit 0. It must match line for line, except that
`<...>` or a name in angle brackets (`<T>`, `<rtt>`, `<since 1970>`)
stands for any text, and a line
`...` stands for any number of lines.

    doc_commands.py list FILE.md...      every block and how it is run
    doc_commands.py run DIR FILE.md...   run them from DIR (a copy of the
                                         project the normal user may write);
                                         prints "ok - ..." / "not ok - ..."
"""
import os
import re
import signal
import subprocess
import sys
import time

FENCE = re.compile(r"^```(\w*)\s*$")
MARK = re.compile(r"^<!-- (not run: .*|background) -->\s*$")
STOP = "<!-- stop the background -->"
# <...>, or a name such as <T>, <id>, <rtt>, <since 1970>; not a flag list
# such as <NO-CARRIER,UP>, which is real output.
PLACEHOLDER = re.compile(r"<(?:\.\.\.|[A-Za-z][a-z0-9 ]*)>")
USER_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "USER": "nobody", "LOGNAME": "nobody",
            "HOME": "/tmp", "LANG": "C.UTF-8", "TERM": "dumb"}
AS_USER = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def blocks(path):
    """(line number, kind, mark, text, expected output or None) per sh block."""
    lines = open(path, encoding="utf-8").read().splitlines()
    found, i = [], 0
    while i < len(lines):
        if lines[i].strip() == STOP:
            found.append((i + 1, "stop", "stop", [], None))
            i += 1
            continue
        m = FENCE.match(lines[i])
        if not m or not m.group(1):
            if m:                       # an unmarked block: skip past its end
                i += 1
                while i < len(lines) and not FENCE.match(lines[i]):
                    i += 1
            i += 1
            continue
        kind, start = m.group(1), i
        j = i + 1
        while not FENCE.match(lines[j]):
            j += 1
        body = lines[i + 1:j]
        i = j + 1
        if kind != "sh":
            continue
        prev = next((lines[k] for k in range(start - 1, -1, -1) if lines[k].strip()), "")
        mark = MARK.match(prev)
        expected = None
        k = i
        while k < len(lines) and not lines[k].strip():
            k += 1
        if k < len(lines) and lines[k].startswith("```text"):
            e = k + 1
            while not FENCE.match(lines[e]):
                e += 1
            expected = lines[k + 1:e]
            i = e + 1
        found.append((start + 1, kind, mark.group(1) if mark else "run", body, expected))
    return found


def pattern(line):
    parts = PLACEHOLDER.split(line)
    return re.compile("^" + ".*?".join(re.escape(p) for p in parts) + "$")


def matches(expected, got):
    """Line for line; `...` takes any number of lines."""
    if not expected:
        return not got
    if expected[0] == "...":
        return any(matches(expected[1:], got[n:]) for n in range(len(got) + 1))
    return bool(got) and bool(pattern(expected[0]).match(got[0])) and matches(expected[1:], got[1:])


def command_for(line):
    line = line.strip()
    if line.startswith("sudo "):
        return ["env", "USER=nobody", "bash", "-c", line[5:]], "root"
    return AS_USER + ["env", "-i"] + ["%s=%s" % kv for kv in USER_ENV.items()] + ["bash", "-c", line], "user"


def runnable(body):
    """The commands of a block: one a line, a line ending in \\ continued."""
    commands, pending = [], ""
    for line in body:
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.strip() and not line.strip().startswith("#"):
            commands.append(line)
    return commands


def stop(background, report):
    """Ctrl-C to every block running in the background; check what it said."""
    time.sleep(1)
    for name, body, expected, proc in background:
        if proc.poll() is not None:
            report(False, "%s: %s runs until Ctrl-C" % (name, body[0].strip()),
                   "it ended by itself, status %d:\n%s" % (proc.returncode, proc.communicate()[0][-1500:]))
            continue
        os.killpg(proc.pid, signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
        report(True, "%s: %s ran in the background until Ctrl-C" % (name, body[0].strip()), "")
        if expected is not None:
            report(matches(expected, out.splitlines()), "%s: prints what the lesson shows" % name,
                   "expected:\n%s\ngot:\n%s" % ("\n".join(expected), out[-2500:]))
    background.clear()


def run_file(path, where, report):
    background = []
    for number, kind, mark, body, expected in blocks(path):
        name = "%s:%d" % (os.path.relpath(path), number)
        if kind == "stop":
            stop(background, report)
            continue
        if mark.startswith("not run"):
            continue
        if mark == "background":
            argv, _ = command_for(runnable(body)[0])
            proc = subprocess.Popen(argv, cwd=where, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, start_new_session=True)
            background.append((name, body, expected, proc))
            time.sleep(0.5)
            continue
        out, status = "", 0
        for line in runnable(body):
            argv, who = command_for(line)
            r = subprocess.run(argv, cwd=where, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=300)
            out += r.stdout
            # Where the lesson shows the output, the output is the check
            # (ping's 100% loss exits 1, and is what the lesson expects).
            if r.returncode != 0 and expected is None:
                status = r.returncode
                report(False, "%s: '%s' (as %s) exits 0" % (name, line.strip(), who),
                       "exit %d:\n%s" % (r.returncode, r.stdout[-1500:]))
        if status == 0:
            report(True, "%s: %s" % (name, "; ".join(l.strip() for l in runnable(body))[:150]), "")
        if expected is not None:
            got = out.splitlines()
            report(matches(expected, got), "%s: prints what the lesson shows" % name,
                   "expected:\n%s\ngot:\n%s" % ("\n".join(expected), out[-2500:]))
    stop(background, report)


def main(argv):
    if argv[:1] == ["list"]:
        for path in argv[1:]:
            for number, kind, mark, body, expected in blocks(path):
                if kind == "stop":
                    continue
                print("%s:%d: %s: %s%s" % (path, number, mark, " ; ".join(runnable(body)),
                                           " (output checked)" if expected is not None else ""))
        return 0
    if argv[:1] != ["run"] or len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    failed = 0

    def report(good, what, detail):
        nonlocal failed
        print(("ok - " if good else "not ok - ") + what)
        if not good:
            failed += 1
            print("\n".join("    " + l for l in detail.splitlines()))
        sys.stdout.flush()
    for path in argv[2:]:
        run_file(os.path.abspath(path), argv[1], report)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
