#!/usr/bin/env python3
"""Send random and mutated generic netlink messages to the `ipmp` family.

  genl_fuzz.py COUNT [SEED]

Half the messages are random (random command, flags, version and
attributes of random types and shapes), half are valid requests of every
command (with real interface indexes) mutated: bytes flipped, attributes
dropped, duplicated or truncated, lengths corrupted. Every message gets a
reply or none (dumps may end early); the kernel must stay up and its log
clean (the harness checks). Prints how many messages were sent, how many
replies were errors and how many acknowledged.
"""
import os
import random
import socket
import struct
import sys

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * ((4 - length % 4) % 4)


def message(family, flags, seq, cmd, version, body):
    payload = struct.pack("=BBH", cmd, version, 0) + body
    return struct.pack("=IHHII", 16 + len(payload), family, flags, seq, 0) + payload


def family_id(sock):
    sock.send(message(GENL_ID_CTRL, NLM_F_REQUEST, 1, CTRL_CMD_GETFAMILY, 1,
                      attr(CTRL_ATTR_FAMILY_NAME, b"ipmp\0")))
    data = sock.recv(65536)
    off = 20
    while off < len(data):
        length, kind = struct.unpack_from("=HH", data, off)
        if kind == CTRL_ATTR_FAMILY_ID:
            return struct.unpack_from("=H", data, off + 4)[0]
        off += (length + 3) & ~3
    sys.exit("ipmp family not found")


def random_body(rng, ifindexes):
    body = b""
    for _ in range(rng.randrange(0, 6)):
        kind = rng.choice([rng.randrange(0, 40), rng.randrange(1, 18), 0x8000 | rng.randrange(1, 18)])
        shape = rng.randrange(5)
        if shape == 0:
            payload = struct.pack("=I", rng.choice(ifindexes))
        elif shape == 1:
            payload = struct.pack("=I", rng.getrandbits(32))
        elif shape == 2:
            payload = bytes([rng.randrange(256)])
        elif shape == 3:
            payload = rng.randbytes(rng.randrange(0, 48))
        else:
            payload = attr(rng.randrange(0, 20), rng.randbytes(rng.randrange(0, 8)))
        body += attr(kind, payload)
    return body


def u32(kind, value):
    return attr(kind, struct.pack("=I", value))


def u8(kind, value):
    return attr(kind, struct.pack("=B", value))


def valid_request(rng, ifindexes):
    """A well-formed request of a random command: (cmd, flags, body)."""
    ifindex = rng.choice(ifindexes)
    cmd = rng.randrange(1, 7)
    if cmd == 1:  # GROUP_GET, do or dump
        if rng.randrange(2):
            return cmd, NLM_F_DUMP, b""
        return cmd, 0, u32(1, ifindex)
    if cmd == 2:  # GROUP_SET
        body = u32(1, ifindex)
        body += rng.choice([attr(4, b"fuzz\0"), u8(6, rng.randrange(3)), u32(7, rng.randrange(10)),
                            u32(8, rng.randrange(5000))])
        return cmd, 0, body
    if cmd == 3:  # MEMBER_GET
        if rng.randrange(2):
            return cmd, NLM_F_DUMP, u32(3, ifindex) if rng.randrange(2) else b""
        return cmd, 0, u32(1, ifindex)
    if cmd == 4:  # MEMBER_SET
        return cmd, 0, u32(1, ifindex) + u32(10, rng.randrange(16)) + u32(11, rng.randrange(16))
    if cmd == 5:  # EVENT (kernel to user only)
        return cmd, 0, u32(1, ifindex) + u8(15, rng.randrange(8))
    return cmd, NLM_F_DUMP, u32(3, ifindex) if rng.randrange(2) else b""  # BINDING_GET


def mutate(rng, body):
    """Damages a valid attribute stream a few times."""
    body = bytearray(body)
    for _ in range(rng.randrange(1, 4)):
        how = rng.randrange(5)
        if how == 0 and body:  # flip bytes
            for _ in range(rng.randrange(1, 4)):
                body[rng.randrange(len(body))] = rng.randrange(256)
        elif how == 1 and len(body) >= 4:  # corrupt an attribute length
            struct.pack_into("=H", body, 0, rng.choice([0, 1, 3, 4, 5, 0xffff, rng.randrange(64)]))
        elif how == 2:  # truncate
            del body[rng.randrange(len(body) + 1):]
        elif how == 3:  # duplicate the stream (repeated attributes)
            body.extend(bytes(body))
        else:  # set the nested flag on the first attribute type
            if len(body) >= 4:
                body[3] ^= 0x80
    return bytes(body)


def drain(sock, block):
    """Reads replies until none is waiting (or, blocking, for 1 s)."""
    errors = acks = 0
    sock.settimeout(1 if block else 0)
    while True:
        try:
            data = sock.recv(65536)
        except (BlockingIOError, socket.timeout):
            return errors, acks
        except OSError:  # ENOBUFS: replies were dropped; go on
            continue
        off = 0
        while off + 16 <= len(data):
            length, kind = struct.unpack_from("=IH", data, off)
            if kind == NLMSG_ERROR:
                code = struct.unpack_from("=i", data, off + 16)[0]
                errors += code != 0
                acks += code == 0
            if length < 16:
                break
            off += (length + 3) & ~3


def main():
    count = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    fam = family_id(sock)
    ifindexes = [int(open(f"/sys/class/net/{d}/ifindex").read()) for d in os.listdir("/sys/class/net")]
    errors = acks = send_errors = 0
    for seq in range(2, count + 2):
        # Always ask for an acknowledgement, so that every message gets a
        # reply (an error, an ACK, or a dump ending in DONE).
        if seq % 2:
            cmd, kind, body = valid_request(rng, ifindexes)
            flags = NLM_F_REQUEST | NLM_F_ACK | kind
            msg = message(fam, flags, seq, cmd, 1, mutate(rng, body))
        else:
            cmd = rng.choice([rng.randrange(0, 8), rng.randrange(256)])
            flags = NLM_F_REQUEST | NLM_F_ACK | rng.choice([0, NLM_F_DUMP, rng.getrandbits(16)])
            msg = message(fam, flags, seq, cmd, rng.randrange(3), random_body(rng, ifindexes))
        if rng.randrange(10) == 0:  # mangle: truncate or corrupt the lengths
            cut = rng.randrange(len(msg))
            msg = bytearray(msg[:max(cut, 16)])
            struct.pack_into("=I", msg, 0, len(msg) if rng.randrange(2) else rng.randrange(16, 200))
            msg = bytes(msg)
        try:
            sock.send(msg)
        except OSError:
            send_errors += 1
        # Read whatever replies are there without waiting for them: the
        # kernel silently drops some mangled messages, and waiting for a
        # reply that never comes would make the run crawl.
        e, a = drain(sock, block=False)
        errors += e
        acks += a
    e, a = drain(sock, block=True)
    errors += e
    acks += a
    print(f"sent {count}, errors {errors}, acks {acks}, refused by the socket {send_errors}")


if __name__ == "__main__":
    main()
