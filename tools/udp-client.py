#!/usr/bin/env python3
"""A connected UDP socket, the kind `nc -u` opens: send, wait, send again,
and say what each send got.

    tools/udp-client.py ADDRESS PORT

UDP itself never answers. When nobody listens on the port, the host says so
with an ICMP port unreachable (type 3, code 3) about the first datagram;
Linux hands that error to the connected socket it belongs to (the quote
inside the error names the ports), and the next send reports it:
"Connection refused" (ECONNREFUSED). From a silent host, every send "works".
The lab (scripts/lab.sh) runs this from step 06 on.
"""
import socket
import sys
import time

SENDS = 2
PAUSE = 0.5          # seconds: long enough for the error to come back


def main():
    if len(sys.argv) != 3 or not sys.argv[2].isdigit() or not 0 < int(sys.argv[2]) < 65536:
        print("usage: udp-client.py ADDRESS PORT (a port from 1 to 65535)", file=sys.stderr)
        return 2
    address, port = sys.argv[1], int(sys.argv[2])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect((address, port))
        except OSError as e:
            print(f"udp-client: cannot connect a UDP socket to {address} port {port}: {e.strerror}")
            return 1
        for n in range(1, SENDS + 1):
            data = f"datagram {n}\n".encode()
            try:
                sock.send(data)
                print(f"send {n}: {len(data)} bytes sent")
            except OSError as e:
                print(f"send {n}: {e.strerror}")
            time.sleep(PAUSE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
