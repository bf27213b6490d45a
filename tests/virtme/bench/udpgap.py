#!/usr/bin/env python3
"""Sequence-numbered UDP stream for failover gaps (scripts/bench).

  udpgap.py recv PORT SECONDS        prints JSON: received, lost, and every
                                     gap over 3 ms as [start, length_ms]
                                     (start in time.time() seconds)
  udpgap.py send HOST PORT SECONDS   one packet per millisecond
"""
import json
import socket
import struct
import sys
import time


def recv(port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    s.settimeout(0.2)
    end = time.time() + seconds
    last = None
    top = -1
    received = 0
    gaps = []
    while time.time() < end:
        try:
            data = s.recv(64)
        except socket.timeout:
            continue
        now = time.time()
        seq = struct.unpack("!Q", data[:8])[0]
        received += 1
        top = max(top, seq)
        if last is not None and now - last > 0.003:
            gaps.append([last, round((now - last) * 1000, 2)])
        last = now
    print(json.dumps({"received": received, "lost": top + 1 - received, "gaps": gaps}))


def send(host, port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    seq = 0
    start = time.time()
    nxt = start
    while time.time() - start < seconds:
        try:
            s.sendto(struct.pack("!Q", seq) + b"x" * 24, (host, port))
        except OSError:
            pass  # no route for a moment: that is a gap too
        seq += 1
        nxt += 0.001
        delay = nxt - time.time()
        if delay > 0:
            time.sleep(delay)


if __name__ == "__main__":
    if sys.argv[1] == "recv":
        recv(int(sys.argv[2]), float(sys.argv[3]))
    else:
        send(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
