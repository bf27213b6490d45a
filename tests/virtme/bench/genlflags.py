#!/usr/bin/env python3
"""Sets an ipmp member's flags COUNT times over generic netlink, one request
and its acknowledgement at a time, and prints the seconds it took.

    genlflags.py IFNAME COUNT MODE

MODE toggle: alternately sets and clears `offline` (each change moves the
member out of the active set or back). MODE same: sets the flags the
member already has (no change at all).
"""
import socket
import struct
import sys
import time

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLMSG_ERROR = 2
# kmod/uapi.rs
CMD_MEMBER_SET = 4
A_IFINDEX = 1
A_FLAGS = 10
A_FLAGS_MASK = 11
MEMBER_F_OFFLINE = 1 << 3


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack("HH", length, kind) + payload + b"\0" * ((4 - length % 4) % 4)


def request(sock, family, cmd, attrs, seq):
    body = struct.pack("BBH", cmd, 1, 0) + b"".join(attrs)
    msg = struct.pack("IHHII", 16 + len(body), family, NLM_F_REQUEST | NLM_F_ACK, seq, 0) + body
    sock.send(msg)
    while True:
        data = sock.recv(65536)
        off = 0
        while off < len(data):
            length, kind, _, rseq, _ = struct.unpack("IHHII", data[off : off + 16])
            if kind == NLMSG_ERROR and rseq == seq:
                (err,) = struct.unpack("i", data[off + 16 : off + 20])
                if err != 0:
                    raise OSError(-err, f"request {cmd} refused")
                return data
            off += (length + 3) & ~3


def resolve(name):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    s.bind((0, 0))
    body = struct.pack("BBH", CTRL_CMD_GETFAMILY, 1, 0) + attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0")
    s.send(struct.pack("IHHII", 16 + len(body), GENL_ID_CTRL, NLM_F_REQUEST, 1, 0) + body)
    data = s.recv(65536)
    off = 20
    while off + 4 <= len(data):
        length, kind = struct.unpack("HH", data[off : off + 4])
        if kind == CTRL_ATTR_FAMILY_ID:
            return s, struct.unpack("H", data[off + 4 : off + 6])[0]
        off += (length + 3) & ~3
    raise RuntimeError(f"no generic netlink family {name}")


def main():
    ifname, count, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ifindex = socket.if_nametoindex(ifname)
    sock, family = resolve("ipmp")
    u32 = lambda v: struct.pack("I", v)
    start = time.monotonic()
    for i in range(count):
        if mode == "toggle":
            flags = MEMBER_F_OFFLINE if i % 2 == 0 else 0
        else:
            flags = 0
        request(sock, family, CMD_MEMBER_SET,
                [attr(A_IFINDEX, u32(ifindex)), attr(A_FLAGS, u32(flags)),
                 attr(A_FLAGS_MASK, u32(MEMBER_F_OFFLINE))], 100 + i)
    print(f"{time.monotonic() - start:.6f}")


if __name__ == "__main__":
    main()
