#!/usr/bin/env python3
"""Slow clients for the HTTP benchmark (bench/http/run.sh): COUNT connections
to a loopback server, each sending a request's headers one byte a second and
never finishing them; a connection the server cuts off is opened again, so
the pressure lasts the whole run. Bounded: loopback only, at most 500
connections, at most 600 seconds. Prints how many connections the server
cut off (a 408 or a close) at the end.

  slowloris.py PORT [COUNT] [SECONDS]
"""
import selectors
import socket
import sys
import time

HOST = "127.0.0.1"  # never anything but loopback


def main() -> int:
    port = int(sys.argv[1])
    count = min(int(sys.argv[2]) if len(sys.argv) > 2 else 70, 500)
    seconds = min(float(sys.argv[3]) if len(sys.argv) > 3 else 30.0, 600.0)
    trickle = b"GET /api/v1/health HTTP/1.1\r\nHost: slow\r\nX-Slow: " + b"z" * 4096
    sel = selectors.DefaultSelector()
    conns = {}  # socket -> bytes sent
    cut = 0

    def open_one():
        s = socket.create_connection((HOST, port), timeout=5)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        conns[s] = 0

    def drop(s):
        sel.unregister(s)
        del conns[s]
        s.close()

    for _ in range(count):
        open_one()
    end = time.monotonic() + seconds
    next_tick = time.monotonic()
    while time.monotonic() < end:
        timeout = max(0.0, min(next_tick, end) - time.monotonic())
        for key, _ in sel.select(timeout):
            # The server answered (408) or closed: this slow client was cut off.
            try:
                data = key.fileobj.recv(65536)
            except OSError:
                data = b""
            if not data:
                cut += 1
                drop(key.fileobj)
                open_one()
        if time.monotonic() >= next_tick:
            next_tick += 1.0
            for s in list(conns):
                i = conns[s] % len(trickle)
                try:
                    s.send(trickle[i:i + 1])
                    conns[s] += 1
                except OSError:
                    cut += 1
                    drop(s)
                    open_one()
    for s in list(conns):
        drop(s)
    print(f"slow clients: {count} held open for {seconds:.0f} s, {cut} cut off by the server")
    return 0


if __name__ == "__main__":
    sys.exit(main())
