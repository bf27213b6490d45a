#!/usr/bin/env python3
"""A hostile local user against in.mpathd's control socket.

    ctlhog.py SOCKET N SECONDS

Keeps N connections open for SECONDS: the even ones subscribe to the probe
stream and never read, the odd ones send a request one byte a second. A
connection the daemon closes (refused at its limit, or cut off) is opened
again at once, so the pressure never lets up. Prints "ready" once the first
N connects were made, and at the end one line of counts:

    connects C refused R (too many connections) cut K
"""
import socket
import sys
import time

path, n, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
SUBSCRIBE = b'{"op":"probes"}\n'
TRICKLE = b'{"op":"snapshot"}\n'

connects = refused = cut = 0


def open_one(i):
    global connects
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(path)
    except BlockingIOError:
        pass
    except OSError:
        s.close()
        return None
    connects += 1
    try:
        s.send(SUBSCRIBE if i % 2 == 0 else TRICKLE[:1])
    except OSError:
        pass
    return [s, 1]


def closed(conn):
    """Whether the daemon closed it; counts why. Never consumes what a
    subscriber was sent (MSG_PEEK): it never reads."""
    global refused, cut
    s = conn[0]
    try:
        data = s.recv(4096, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return False
    except OSError:
        cut += 1
        return True
    if b"too many connections" in data:
        refused += 1
        return True
    if data == b"":
        cut += 1
        return True
    return False


conns = [open_one(i) for i in range(n)]
print("ready", flush=True)
end = time.monotonic() + seconds
next_byte = time.monotonic() + 1
while time.monotonic() < end:
    for i, c in enumerate(conns):
        if c is None or closed(c):
            if c is not None:
                c[0].close()
            conns[i] = open_one(i)
    if time.monotonic() >= next_byte:
        next_byte += 1
        for i, c in enumerate(conns):
            if c is not None and i % 2 == 1 and c[1] < len(TRICKLE):
                try:
                    c[0].send(TRICKLE[c[1]:c[1] + 1])
                    c[1] += 1
                except OSError:
                    pass
    time.sleep(0.05)
print(f"connects {connects} refused {refused} cut {cut}", flush=True)
