#!/usr/bin/env python3
"""on_terminal: runs a command the way a person does, in the foreground of
an interactive shell on a terminal of its own (a new pseudo-terminal), and
reports what the kernel says of it once it prints WAIT_FOR:

    on_terminal.py WAIT_FOR COMMAND...

prints "uid U", "tty_nr N" (its controlling terminal, /proc/PID/stat field
7: 0 for none), "fd F terminal MODE" for each of 0, 1 and 2 that is a
terminal (MODE: read-write, read-only or write-only, from /proc/PID/fdinfo),
then types Ctrl-C on the terminal and prints "stopped by ctrl-c yes" or "no".

Why these: Linux lets a process push bytes into a terminal's input, as if
typed (ioctl TIOCSTI), when it is that process's controlling terminal; and
whoever holds a terminal open for reading reads what is typed there.
"""
import os
import pty
import select
import sys
import time


def read_for(fd, seconds, until=None):
    out = b""
    end = time.time() + seconds
    while time.time() < end and not (until and until in out):
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
    return out


def main():
    wait_for = sys.argv[1].encode()
    command = " ".join("'" + a.replace("'", "'\\''") + "'" for a in sys.argv[2:])
    shell, terminal = pty.fork()
    if shell == 0:
        os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])
    read_for(terminal, 1)
    os.write(terminal, command.encode() + b"\n")
    if wait_for not in read_for(terminal, 10, wait_for):
        print("never printed", sys.argv[1])
        os.kill(shell, 9)
        return 1
    pid = os.tcgetpgrp(terminal)    # the foreground job: the command
    uid = open(f"/proc/{pid}/status").read().split("Uid:")[1].split()[0]
    print("uid", uid)
    print("tty_nr", open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[4])
    modes = {os.O_RDWR: "read-write", os.O_RDONLY: "read-only", os.O_WRONLY: "write-only"}
    for fd in range(3):
        target = os.readlink(f"/proc/{pid}/fd/{fd}")
        if target.startswith("/dev/pts/") or target.startswith("/dev/tty"):
            flags = int(open(f"/proc/{pid}/fdinfo/{fd}").read().split("flags:")[1].split()[0], 8)
            print("fd", fd, "terminal", modes[flags & os.O_ACCMODE])
    os.write(terminal, b"\x03")
    for _ in range(100):
        if not os.path.exists(f"/proc/{pid}"):
            break
        time.sleep(0.05)
    print("stopped by ctrl-c", "no" if os.path.exists(f"/proc/{pid}") else "yes")
    os.kill(shell, 9)
    return 0


if __name__ == "__main__":
    sys.exit(main())
