#!/usr/bin/env python3
"""ctrl-c.py DELAY LIMIT OUT COMMAND...: runs COMMAND on a terminal of its
own, as a learner would, types Ctrl-C after DELAY seconds, and waits LIMIT
seconds more for it to end. Writes what the terminal showed to OUT; prints
"status N after S s", or "still running after LIMIT s" (and then kills it).
The terminal, not a signal sent by hand, turns Ctrl-C into SIGINT for the
whole foreground process group: exactly what happens in a room."""
import os
import pty
import select
import signal
import sys
import time

delay, limit, out = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
pid, fd = pty.fork()
if pid == 0:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.execvp(sys.argv[4], sys.argv[4:])

shown = bytearray()


def drain(until):
    """Shows what the terminal gets until `until`; the exit status once the
    command has ended, or None."""
    open_ = True
    while time.monotonic() < until:
        if open_:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    chunk = b""
                open_ = bool(chunk)
                shown.extend(chunk)
        else:
            time.sleep(0.1)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            while open_ and select.select([fd], [], [], 0.1)[0]:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    chunk = b""
                open_ = bool(chunk)
                shown.extend(chunk)
            return status
    return None


drain(time.monotonic() + delay)
os.write(fd, b"\x03")
typed = time.monotonic()
status = drain(typed + limit)
with open(out, "wb") as f:
    f.write(bytes(shown))
if status is None:
    os.killpg(pid, signal.SIGKILL)
    print("still running after %g s" % limit)
else:
    print("status %d after %d s" % (os.waitstatus_to_exitcode(status), round(time.monotonic() - typed)))
