//! `genl-fuzz COUNT [SEED]`: sends COUNT generic netlink messages to the
//! `ipmp` family, half random (random command, flags, version and
//! attributes of random types and shapes), half valid requests of every
//! command (with the machine's real interface indexes) mutated: bytes
//! flipped, attribute lengths corrupted, streams truncated or repeated,
//! the nested bit set. Each asks for an acknowledgement; replies are read
//! without waiting (the kernel drops some mangled messages silently).
//! Prints "sent N, errors E, acks A, refused by the socket R". The kernel
//! must stay up with a clean log (the VM harness checks). Native code, so
//! that 100 000 messages take seconds under emulation, not minutes.

use libipmp::uapi::*;
use nix::sys::socket::{
    bind, recv, send, setsockopt, socket, sockopt, AddressFamily, MsgFlags, NetlinkAddr, SockFlag,
    SockProtocol, SockType,
};
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::ExitCode;

const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;
const NLMSG_ERROR: u16 = 2;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;
const NLM_F_DUMP: u16 = 0x300;

/// xorshift64*: reproducible from the seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

fn attr(kind: u16, payload: &[u8]) -> Vec<u8> {
    let len = 4 + payload.len();
    let mut out = Vec::with_capacity(len + 3);
    out.extend_from_slice(&(len as u16).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(payload);
    out.resize(len.div_ceil(4) * 4, 0);
    out
}

fn u32_attr(kind: u16, v: u32) -> Vec<u8> {
    attr(kind, &v.to_ne_bytes())
}

fn message(family: u16, flags: u16, seq: u32, cmd: u8, version: u8, body: &[u8]) -> Vec<u8> {
    let len = 16 + 4 + body.len();
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&(len as u32).to_ne_bytes());
    out.extend_from_slice(&family.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.extend_from_slice(&[cmd, version, 0, 0]);
    out.extend_from_slice(body);
    out
}

fn random_body(rng: &mut Rng, ifindexes: &[u32]) -> Vec<u8> {
    let mut body = Vec::new();
    for _ in 0..rng.below(6) {
        let kind = match rng.below(3) {
            0 => rng.below(40) as u16,
            1 => 1 + rng.below(17) as u16,
            _ => 0x8000 | (1 + rng.below(17) as u16),
        };
        let payload = match rng.below(5) {
            0 => rng.pick(ifindexes).to_ne_bytes().to_vec(),
            1 => (rng.next() as u32).to_ne_bytes().to_vec(),
            2 => vec![rng.byte()],
            3 => {
                let n = rng.below(48);
                rng.bytes(n)
            }
            _ => {
                let (k, n) = (rng.below(20) as u16, rng.below(8));
                let inner = rng.bytes(n);
                attr(k, &inner)
            }
        };
        body.extend(attr(kind, &payload));
    }
    body
}

/// A well-formed request of a random command: (command, extra flags, body).
fn valid_request(rng: &mut Rng, ifindexes: &[u32]) -> (u8, u16, Vec<u8>) {
    let ifindex = rng.pick(ifindexes);
    let dump_or = |rng: &mut Rng, body: Vec<u8>| {
        if rng.below(2) == 0 {
            (NLM_F_DUMP, body)
        } else {
            (0, u32_attr(A_IFINDEX, ifindex))
        }
    };
    let cmd = rng.pick(&[
        CMD_GROUP_GET,
        CMD_GROUP_SET,
        CMD_MEMBER_GET,
        CMD_MEMBER_SET,
        CMD_EVENT,
        CMD_BINDING_GET,
    ]);
    let (flags, body) = match cmd {
        CMD_GROUP_GET => dump_or(rng, Vec::new()),
        CMD_GROUP_SET => {
            let mut b = u32_attr(A_IFINDEX, ifindex);
            b.extend(match rng.below(4) {
                0 => attr(A_GROUP_NAME, b"fuzz\0"),
                1 => attr(A_POLICY, &[rng.below(3) as u8]),
                2 => u32_attr(A_ANNOUNCE_COUNT, rng.below(10) as u32),
                _ => u32_attr(A_ANNOUNCE_INTERVAL, rng.below(5000) as u32),
            });
            (0, b)
        }
        CMD_MEMBER_GET => {
            let b = u32_attr(A_GROUP_IFINDEX, ifindex);
            dump_or(rng, b)
        }
        CMD_MEMBER_SET => {
            let mut b = u32_attr(A_IFINDEX, ifindex);
            b.extend(u32_attr(A_FLAGS, rng.below(16) as u32));
            b.extend(u32_attr(A_FLAGS_MASK, rng.below(16) as u32));
            (0, b)
        }
        CMD_EVENT => {
            let mut b = u32_attr(A_IFINDEX, ifindex);
            b.extend(attr(A_EVENT, &[rng.below(8) as u8]));
            (0, b)
        }
        _ => (NLM_F_DUMP, u32_attr(A_GROUP_IFINDEX, ifindex)),
    };
    (cmd, flags, body)
}

fn mutate(rng: &mut Rng, mut body: Vec<u8>) -> Vec<u8> {
    for _ in 0..1 + rng.below(3) {
        match rng.below(5) {
            0 if !body.is_empty() => {
                for _ in 0..1 + rng.below(3) {
                    let i = rng.below(body.len());
                    body[i] = rng.byte();
                }
            }
            1 if body.len() >= 4 => {
                let any = rng.below(64) as u16;
                let len = rng.pick(&[0u16, 1, 3, 4, 5, 0xffff, any]);
                body[..2].copy_from_slice(&len.to_ne_bytes());
            }
            2 => {
                let keep = rng.below(body.len() + 1);
                body.truncate(keep);
            }
            3 => {
                let copy = body.clone();
                body.extend(copy);
            }
            _ if body.len() >= 4 => body[3] ^= 0x80,
            _ => {}
        }
    }
    body
}

/// Reads the replies waiting (or, with `block`, until none comes for
/// 1 s): (errors, acks).
fn drain(sock: &OwnedFd, block: bool) -> (u64, u64) {
    let (mut errors, mut acks) = (0, 0);
    let mut buf = vec![0u8; 65536];
    let flags = if block {
        MsgFlags::empty()
    } else {
        MsgFlags::MSG_DONTWAIT
    };
    loop {
        let n = match recv(sock.as_raw_fd(), &mut buf, flags) {
            Ok(n) => n,
            Err(nix::errno::Errno::ENOBUFS) => continue, // replies dropped; go on
            Err(_) => return (errors, acks),
        };
        let mut off = 0;
        while off + 20 <= n {
            let len =
                u32::from_ne_bytes([buf[off], buf[off + 1], buf[off + 2], buf[off + 3]]) as usize;
            let kind = u16::from_ne_bytes([buf[off + 4], buf[off + 5]]);
            if kind == NLMSG_ERROR {
                let code = i32::from_ne_bytes([
                    buf[off + 16],
                    buf[off + 17],
                    buf[off + 18],
                    buf[off + 19],
                ]);
                if code == 0 {
                    acks += 1;
                } else {
                    errors += 1;
                }
            }
            if len < 16 {
                break;
            }
            off += len.div_ceil(4) * 4;
        }
    }
}

fn family_id(sock: &OwnedFd) -> Result<u16, String> {
    let msg = message(
        GENL_ID_CTRL,
        NLM_F_REQUEST,
        1,
        CTRL_CMD_GETFAMILY,
        1,
        &attr(CTRL_ATTR_FAMILY_NAME, b"ipmp\0"),
    );
    send(sock.as_raw_fd(), &msg, MsgFlags::empty()).map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 65536];
    let n = recv(sock.as_raw_fd(), &mut buf, MsgFlags::empty()).map_err(|e| e.to_string())?;
    let mut off = 20;
    while off + 4 <= n {
        let len = u16::from_ne_bytes([buf[off], buf[off + 1]]) as usize;
        let kind = u16::from_ne_bytes([buf[off + 2], buf[off + 3]]);
        if kind == CTRL_ATTR_FAMILY_ID && off + 6 <= n {
            return Ok(u16::from_ne_bytes([buf[off + 4], buf[off + 5]]));
        }
        if len < 4 {
            break;
        }
        off += len.div_ceil(4) * 4;
    }
    Err("the ipmp generic netlink family is not registered (load ipmp.ko)".into())
}

fn run(count: u32, seed: u64) -> Result<String, String> {
    let sock = socket(
        AddressFamily::Netlink,
        SockType::Raw,
        SockFlag::empty(),
        SockProtocol::NetlinkGeneric,
    )
    .map_err(|e| format!("netlink socket: {e}"))?;
    bind(sock.as_raw_fd(), &NetlinkAddr::new(0, 0)).map_err(|e| format!("bind: {e}"))?;
    let _ = setsockopt(&sock, sockopt::RcvBuf, &(1 << 20));
    let family = family_id(&sock)?;
    let ifindexes: Vec<u32> = std::fs::read_dir("/sys/class/net")
        .map_err(|e| e.to_string())?
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("ifindex")).ok())
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let (mut errors, mut acks, mut refused) = (0, 0, 0);
    for seq in 2..count + 2 {
        let msg = if seq % 2 == 1 {
            let (cmd, kind, body) = valid_request(&mut rng, &ifindexes);
            let body = mutate(&mut rng, body);
            message(family, NLM_F_REQUEST | NLM_F_ACK | kind, seq, cmd, 1, &body)
        } else {
            let cmd = if rng.below(2) == 0 {
                rng.below(8) as u8
            } else {
                rng.byte()
            };
            let any = rng.next() as u16;
            let flags = NLM_F_REQUEST | NLM_F_ACK | rng.pick(&[0, NLM_F_DUMP, any]);
            let version = rng.below(3) as u8;
            let body = random_body(&mut rng, &ifindexes);
            let mut msg = message(family, flags, seq, cmd, version, &body);
            if rng.below(10) == 0 {
                // Mangle the header: truncate, then a true or false length.
                let cut = rng.below(msg.len()).max(16);
                msg.truncate(cut);
                let len = if rng.below(2) == 0 {
                    msg.len()
                } else {
                    16 + rng.below(184)
                } as u32;
                msg[..4].copy_from_slice(&len.to_ne_bytes());
            }
            msg
        };
        if send(sock.as_raw_fd(), &msg, MsgFlags::empty()).is_err() {
            refused += 1;
        }
        let (e, a) = drain(&sock, false);
        errors += e;
        acks += a;
    }
    // The last replies: wait until none comes for a second.
    let second = nix::sys::time::TimeVal::new(1, 0);
    setsockopt(&sock, sockopt::ReceiveTimeout, &second).map_err(|e| e.to_string())?;
    let (e, a) = drain(&sock, true);
    Ok(format!(
        "sent {count}, errors {}, acks {}, refused by the socket {refused}",
        errors + e,
        acks + a
    ))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count = args.first().and_then(|c| c.parse().ok());
    let seed = args.get(1).map_or(Some(1), |s| s.parse().ok());
    let (Some(count), Some(seed)) = (count, seed) else {
        eprintln!("usage: genl-fuzz COUNT [SEED]");
        return ExitCode::from(2);
    };
    match run(count, seed) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("genl-fuzz: {e}");
            ExitCode::FAILURE
        }
    }
}
