#!/usr/bin/env python3
"""Many UDP flows from one socket, and which member carried each.

    udpflows.py send N ROUNDS SEED PORT0 DST...
        N flows (destination address DST[i % len(DST)], destination port
        PORT0 + i // len(DST)), one datagram each per round, ROUNDS rounds,
        each round in a different order (shuffled with SEED + round).
    udpflows.py tally OUT MEMBER=PCAP...
        reads tcpdump captures (classic pcap, Ethernet) of the members'
        traffic and writes OUT, a JSON object: for each flow "ADDR:PORT"
        the members that carried it, plus "packets" per member.

One socket is enough: the flow hash the kernel computes for each datagram
covers its addresses and ports, so distinct destination ports are distinct
flows to ipmp.ko. The socket's source port is fixed (9000), so that each
run sends the same flows.
"""
import json
import random
import socket
import struct
import sys

SPORT = 9000


def flows(n, port0, dsts):
    return [(dsts[i % len(dsts)], port0 + i // len(dsts)) for i in range(n)]


def send(n, rounds, seed, port0, dsts):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    # A fixed source port: the same flows in every run (the flow hash
    # covers it), so runs can be compared flow by flow.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", SPORT))
    all_flows = flows(n, port0, dsts)
    payload = b"ipmp-flow"
    for r in range(rounds):
        order = list(all_flows)
        random.Random(seed + r).shuffle(order)
        for dst in order:
            while True:
                try:
                    s.sendto(payload, dst)
                    break
                except (BlockingIOError, OSError) as e:
                    # ENOBUFS under a burst: the qdisc is full; retry.
                    if getattr(e, "errno", None) not in (105, 11):
                        raise


def read_pcap(path):
    """(destination address, destination port) of each IPv4/UDP frame."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off : off + 16])
        frame = data[off + 16 : off + 16 + incl]
        off += 16 + incl
        if len(frame) < 14 + 20 + 4 or frame[12:14] != b"\x08\x00":
            continue
        ihl = (frame[14] & 0x0F) * 4
        if frame[14 + 9] != 17:
            continue
        dst = socket.inet_ntoa(frame[14 + 16 : 14 + 20])
        (dport,) = struct.unpack("!H", frame[14 + ihl + 2 : 14 + ihl + 4])
        yield dst, dport


def tally(out, pairs):
    seen = {}
    packets = {}
    for pair in pairs:
        member, path = pair.split("=", 1)
        packets[member] = 0
        for dst, port in read_pcap(path):
            packets[member] += 1
            seen.setdefault(f"{dst}:{port}", set()).add(member)
    result = {"flows": {k: sorted(v) for k, v in seen.items()}, "packets": packets}
    with open(out, "w") as f:
        json.dump(result, f)


def main():
    if len(sys.argv) >= 7 and sys.argv[1] == "send":
        n, rounds, seed, port0 = (int(a) for a in sys.argv[2:6])
        send(n, rounds, seed, port0, sys.argv[6:])
    elif len(sys.argv) >= 4 and sys.argv[1] == "tally":
        tally(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
