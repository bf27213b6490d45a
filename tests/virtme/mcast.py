#!/usr/bin/env python3
"""Multicast datagrams through one interface, counted.

    mcast.py recv IFNAME GROUP PORT SECONDS
        joins GROUP (IPv4 or IPv6) on IFNAME, prints "joined", then counts
        the datagrams that arrive on PORT until SECONDS have passed or a
        line arrives on stdin (an empty stdin is not a line); prints
        "received N".
    mcast.py send IFNAME GROUP PORT N
        sends N datagrams to GROUP:PORT (a multicast group, or a broadcast
        address) out of IFNAME, 0.2 s apart.
"""
import ipaddress
import select
import socket
import struct
import sys
import time


def family_of(group):
    return socket.AF_INET6 if ipaddress.ip_address(group).version == 6 else socket.AF_INET


def recv(ifname, group, port, seconds):
    fam = family_of(group)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
    if fam == socket.AF_INET6:
        s.bind(("::", port))
        mreq = socket.inet_pton(fam, group) + struct.pack("@I", socket.if_nametoindex(ifname))
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
    else:
        s.bind(("0.0.0.0", port))
        # struct ip_mreqn: multiaddr, address (any), ifindex
        mreq = socket.inet_aton(group) + socket.inet_aton("0.0.0.0") + struct.pack(
            "@i", socket.if_nametoindex(ifname))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    print("joined", flush=True)
    count = 0
    deadline = time.monotonic() + seconds
    watch = [s, sys.stdin]
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select(watch, [], [], left)
        if s in ready:
            s.recv(2048)
            count += 1
        if sys.stdin in ready:
            if sys.stdin.readline():
                break
            watch = [s]  # stdin closed (or /dev/null): run until SECONDS
    print("received", count, flush=True)


def send(ifname, group, port, n):
    fam = family_of(group)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)  # also broadcasts
    index = socket.if_nametoindex(ifname)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
    else:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                     socket.inet_aton("0.0.0.0") + socket.inet_aton("0.0.0.0") + struct.pack("@i", index))
    for i in range(n):
        s.sendto(b"datagram %d" % i, (group, port))
        time.sleep(0.2)


def main():
    mode, ifname, group, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if mode == "recv":
        recv(ifname, group, port, float(sys.argv[5]))
    elif mode == "send":
        send(ifname, group, port, int(sys.argv[5]))
    else:
        sys.exit(f"mcast.py: unknown mode {mode}")


if __name__ == "__main__":
    main()
