#!/usr/bin/env python3
"""Connections for the source address rotation scenario.

    conns.py serve PORT BYTES         accept TCP connections (IPv4 and IPv6) on
                                      PORT forever, send BYTES to each, close;
                                      print each one's remote address
    conns.py connect DST PORT COUNT [BIND]
                                      COUNT TCP connections to DST (or to each
                                      of DST,DST,... in turn), one at a time,
                                      each read to its end; print each one's
                                      local (source) address; BIND: bind that
                                      address first
    conns.py time DST PORT COUNT      COUNT connections to DST: print the
                                      median time connect() took, in µs
    conns.py udp DST PORT [PKTINFO]   one connected UDP socket's source; with
                                      PKTINFO: an unconnected socket sending
                                      with IP_PKTINFO/IPV6_PKTINFO naming it
                                      (prints it back after the send)
    conns.py loop DST PORT SECONDS    TCP connections one after another for
                                      SECONDS: print "TIME SOURCE ok|error"
                                      (a failed one's source: the address it
                                      had been bound to)
"""
import ipaddress
import socket
import struct
import sys
import time


# <linux/in.h>; Python's socket module lacks it.
IP_PKTINFO = 8


def family(addr):
    return socket.AF_INET6 if ipaddress.ip_address(addr).version == 6 else socket.AF_INET


def serve(port, nbytes):
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.bind(("::", port))
    srv.listen(256)
    payload = b"x" * nbytes
    while True:
        conn, addr = srv.accept()
        host = addr[0]
        if host.startswith("::ffff:"):
            host = host[len("::ffff:"):]
        print(host, flush=True)
        try:
            conn.sendall(payload)
        except OSError:
            pass
        conn.close()


class Failed(OSError):
    """A connection that failed, with the source it had been given."""

    def __init__(self, src, error):
        super().__init__(str(error))
        self.src = src


def one(dst, port, bind=None):
    s = socket.socket(family(dst), socket.SOCK_STREAM)
    try:
        if bind:
            s.bind((bind, 0))
        s.settimeout(5)
        try:
            s.connect((dst, port))
            src = s.getsockname()[0]
            while s.recv(65536):
                pass
        except OSError as e:
            # The source bound before the failure, if any ("0.0.0.0"/"::"
            # when none was).
            raise Failed(s.getsockname()[0], e) from e
        return src
    finally:
        s.close()


def connect(dsts, port, count, bind=None):
    dsts = dsts.split(",")
    for i in range(count):
        print(one(dsts[i % len(dsts)], port, bind), flush=True)


def timed(dst, port, count):
    took = []
    for _ in range(count):
        s = socket.socket(family(dst), socket.SOCK_STREAM)
        t = time.perf_counter()
        s.connect((dst, port))
        took.append(time.perf_counter() - t)
        s.close()
    took.sort()
    print(f"{took[len(took) // 2] * 1e6:.1f}")


def udp(dst, port, pktinfo=None):
    fam = family(dst)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if not pktinfo:
        s.connect((dst, port))
        print(s.getsockname()[0])
        return
    if fam == socket.AF_INET:
        # struct in_pktinfo: ifindex, spec_dst, addr
        info = struct.pack("i4s4s", 0, socket.inet_aton(pktinfo), b"\0" * 4)
        cmsg = [(socket.IPPROTO_IP, IP_PKTINFO, info)]
    else:
        # struct in6_pktinfo: addr, ifindex
        info = socket.inet_pton(socket.AF_INET6, pktinfo) + struct.pack("I", 0)
        cmsg = [(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, info)]
    s.sendmsg([b"pktinfo"], cmsg, 0, (dst, port))
    print(pktinfo)


def loop(dst, port, seconds):
    end = time.time() + seconds
    while time.time() < end:
        t = time.time()
        try:
            print(f"{t:.6f} {one(dst, port)} ok", flush=True)
        except Failed as e:
            print(f"{t:.6f} {e.src} error {e}", flush=True)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "serve":
        serve(int(args[0]), int(args[1]))
    elif cmd == "connect":
        connect(args[0], int(args[1]), int(args[2]), args[3] if len(args) > 3 else None)
    elif cmd == "time":
        timed(args[0], int(args[1]), int(args[2]))
    elif cmd == "udp":
        udp(args[0], int(args[1]), args[2] if len(args) > 2 else None)
    elif cmd == "loop":
        loop(args[0], int(args[1]), float(args[2]))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
