//! Probe sockets: one raw ICMP (or ICMPv6) socket per member and family,
//! bound to the member device and its test address, hop limit 1, so that
//! a probe can only leave through that member and only reach the link.
//! A thread per socket waits for echo replies and hands them to the main
//! loop with their arrival time.
//!
//! A raw ICMP socket receives every ICMP message for its address. A
//! classic BPF socket filter lets through only echo replies carrying this
//! daemon's identifier, so that other ICMP traffic (other pings, errors,
//! neighbour discovery) never wakes the receiver thread. It does what
//! `ICMP_FILTER`/`ICMP6_FILTER` do (pass echo replies only) and checks the
//! identifier too; the parser still checks everything.

use crate::instance::Family;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io;
use std::net::{IpAddr, SocketAddr, SocketAddrV6};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ECHO_REQUEST_V4: u8 = 8;
const ECHO_REPLY_V4: u8 = 0;
const ECHO_REQUEST_V6: u8 = 128;
const ECHO_REPLY_V6: u8 = 129;
/// Marks our probes' payload, so that other pings with a colliding
/// identifier are not taken for replies.
const MAGIC: &[u8; 8] = b"in.mpthd";

/// An echo reply to one of our probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    /// The member it arrived on.
    pub ifindex: u32,
    /// Family.
    pub family: Family,
    /// Sequence number.
    pub seq: u16,
    /// Who answered.
    pub from: IpAddr,
    /// When it arrived.
    pub at: Instant,
}

/// One member's probe socket in one family.
pub struct ProbeSocket {
    sock: Arc<Socket>,
    src: IpAddr,
    family: Family,
    ident: u16,
    stop: Arc<AtomicBool>,
}

impl Drop for ProbeSocket {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The Internet checksum (RFC 1071).
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for chunk in data.chunks(2) {
        let word = u16::from_be_bytes([chunk[0], *chunk.get(1).unwrap_or(&0)]);
        sum += u32::from(word);
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An echo request: type, code, checksum, identifier, sequence, payload.
pub fn echo_request(family: Family, ident: u16, seq: u16) -> Vec<u8> {
    let kind = match family {
        Family::V4 => ECHO_REQUEST_V4,
        Family::V6 => ECHO_REQUEST_V6,
    };
    let mut p = vec![kind, 0, 0, 0];
    p.extend_from_slice(&ident.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(MAGIC);
    if family == Family::V4 {
        // ICMPv6 checksums are filled in by the kernel (they cover a
        // pseudo-header the socket knows); ICMP's are ours.
        let c = checksum(&p);
        p[2..4].copy_from_slice(&c.to_be_bytes());
    }
    p
}

/// The sequence number of an echo reply to `ident`, given the ICMP
/// message (for IPv4, the raw socket's datagram with its IP header).
pub fn parse_reply(family: Family, datagram: &[u8], ident: u16) -> Option<u16> {
    let icmp = match family {
        Family::V4 => {
            let ihl = usize::from(datagram.first()? & 0x0f) * 4;
            datagram.get(ihl..)?
        }
        Family::V6 => datagram,
    };
    let reply = match family {
        Family::V4 => ECHO_REPLY_V4,
        Family::V6 => ECHO_REPLY_V6,
    };
    if icmp.len() < 8 + MAGIC.len() || icmp[0] != reply || icmp[1] != 0 {
        return None;
    }
    if u16::from_be_bytes([icmp[4], icmp[5]]) != ident || &icmp[8..16] != MAGIC {
        return None;
    }
    Some(u16::from_be_bytes([icmp[6], icmp[7]]))
}

/// The socket filter: accept an echo reply (type `reply`, code 0) whose
/// identifier is `ident`, drop everything else. For IPv4 the raw socket
/// sees the IP header first (its length from the IHL field); for IPv6 it
/// sees the ICMPv6 header.
pub fn reply_filter(family: Family, ident: u16) -> Vec<libc::sock_filter> {
    use libc::{
        BPF_ABS, BPF_B, BPF_H, BPF_IND, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_LDX, BPF_MSH, BPF_RET,
    };
    let op = |code: u32, jt: u8, jf: u8, k: u32| libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    };
    const ACCEPT: u32 = 0xffff;
    let (ty, base) = match family {
        Family::V4 => (ECHO_REPLY_V4, BPF_IND),
        Family::V6 => (ECHO_REPLY_V6, BPF_ABS),
    };
    let mut prog = Vec::new();
    if family == Family::V4 {
        // X = 4 * (IP header length field)
        prog.push(op(BPF_LDX | BPF_B | BPF_MSH, 0, 0, 0));
    }
    prog.extend([
        op(BPF_LD | BPF_B | base, 0, 0, 0), // type
        op(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, u32::from(ty)),
        op(BPF_LD | BPF_B | base, 0, 0, 1), // code
        op(BPF_JMP | BPF_JEQ | BPF_K, 0, 3, 0),
        op(BPF_LD | BPF_H | base, 0, 0, 4), // identifier
        op(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, u32::from(ident)),
        op(BPF_RET | BPF_K, 0, 0, ACCEPT),
        op(BPF_RET | BPF_K, 0, 0, 0),
    ]);
    prog
}

impl ProbeSocket {
    /// Opens the socket of member `ifname` (`ifindex`) for `family`, bound
    /// to test address `src`, and starts its receiver thread.
    pub fn open(
        ifname: &str,
        ifindex: u32,
        family: Family,
        src: IpAddr,
        ident: u16,
        deliver: impl Fn(Reply) -> bool + Send + 'static,
    ) -> io::Result<Self> {
        let sock = match family {
            Family::V4 => Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4))?,
            Family::V6 => Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6))?,
        };
        sock.bind_device(Some(ifname.as_bytes()))?;
        match src {
            IpAddr::V4(a) => {
                sock.bind(&SockAddr::from(SocketAddr::new(src, 0)))?;
                sock.set_ttl(1)?;
                sock.set_multicast_ttl_v4(1)?;
                sock.set_multicast_loop_v4(false)?;
                sock.set_multicast_if_v4(&a)?;
            }
            IpAddr::V6(a) => {
                sock.bind(&SockAddr::from(SocketAddrV6::new(a, 0, 0, ifindex)))?;
                sock.set_unicast_hops_v6(1)?;
                sock.set_multicast_hops_v6(1)?;
                sock.set_multicast_loop_v6(false)?;
                sock.set_multicast_if_v6(ifindex)?;
            }
        }
        sock.attach_filter(&reply_filter(family, ident))?;
        sock.set_read_timeout(Some(Duration::from_millis(250)))?;
        let sock = Arc::new(sock);
        let stop = Arc::new(AtomicBool::new(false));
        let (rsock, rstop) = (Arc::clone(&sock), Arc::clone(&stop));
        std::thread::Builder::new()
            .name(format!("probe-{ifname}-{}", family.name()))
            .spawn(move || receive(&rsock, &rstop, ifindex, family, ident, &deliver))?;
        Ok(Self {
            sock,
            src,
            family,
            ident,
            stop,
        })
    }

    /// The test address it is bound to.
    pub fn src(&self) -> IpAddr {
        self.src
    }

    /// Sends echo request `seq` to `dst`.
    pub fn send(&self, dst: IpAddr, seq: u16, ifindex: u32) -> io::Result<()> {
        let packet = echo_request(self.family, self.ident, seq);
        let to = match dst {
            IpAddr::V4(_) => SockAddr::from(SocketAddr::new(dst, 0)),
            // Link-local and multicast destinations need the scope.
            IpAddr::V6(a) => SockAddr::from(SocketAddrV6::new(a, 0, 0, ifindex)),
        };
        self.sock.send_to(&packet, &to).map(drop)
    }
}

fn receive(
    sock: &Socket,
    stop: &AtomicBool,
    ifindex: u32,
    family: Family,
    ident: u16,
    deliver: &dyn Fn(Reply) -> bool,
) {
    use nix::errno::Errno;
    use nix::sys::socket::{recvfrom, SockaddrStorage};
    use std::os::fd::AsRawFd;
    let mut buf = [0u8; 2048];
    while !stop.load(Ordering::Relaxed) {
        let (n, from) = match recvfrom::<SockaddrStorage>(sock.as_raw_fd(), &mut buf) {
            Ok(r) => r,
            Err(Errno::EAGAIN | Errno::EINTR) => continue,
            // A pending socket error (an ICMP error for an earlier probe,
            // say) is reported once; the socket stays usable.
            Err(_) => {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let at = Instant::now();
        let Some(seq) = parse_reply(family, &buf[..n], ident) else {
            continue;
        };
        let from = from.and_then(|a| {
            a.as_sockaddr_in()
                .map(|s| IpAddr::V4(s.ip()))
                .or_else(|| a.as_sockaddr_in6().map(|s| IpAddr::V6(s.ip())))
        });
        let Some(from) = from else {
            continue;
        };
        let reply = Reply {
            ifindex,
            family,
            seq,
            from,
            at,
        };
        if !deliver(reply) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a classic BPF program the way the kernel does, for the few
    /// instructions [`reply_filter`] uses; `None` when it reads out of
    /// bounds (the kernel then drops the packet).
    fn run_filter(prog: &[libc::sock_filter], pkt: &[u8]) -> Option<u32> {
        let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
        loop {
            let i = prog.get(pc)?;
            let code = u32::from(i.code);
            pc += 1;
            match code {
                c if c == libc::BPF_LDX | libc::BPF_B | libc::BPF_MSH => {
                    x = u32::from(*pkt.get(i.k as usize)? & 0xf) * 4;
                }
                c if c & 0x07 == libc::BPF_LD => {
                    let off = i.k as usize
                        + if c & 0xe0 == libc::BPF_IND {
                            x as usize
                        } else {
                            0
                        };
                    a = if c & 0x18 == libc::BPF_H {
                        u32::from(u16::from_be_bytes([*pkt.get(off)?, *pkt.get(off + 1)?]))
                    } else {
                        u32::from(*pkt.get(off)?)
                    };
                }
                c if c == libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K => {
                    pc += usize::from(if a == i.k { i.jt } else { i.jf });
                }
                c if c == libc::BPF_RET | libc::BPF_K => return Some(i.k),
                _ => return None,
            }
        }
    }

    fn accepted(family: Family, ident: u16, pkt: &[u8]) -> bool {
        run_filter(&reply_filter(family, ident), pkt).unwrap_or(0) > 0
    }

    #[test]
    fn the_socket_filter_passes_only_our_echo_replies() {
        let mut v6 = echo_request(Family::V6, 0x1234, 9);
        assert!(!accepted(Family::V6, 0x1234, &v6), "a request");
        v6[0] = ECHO_REPLY_V6;
        assert!(accepted(Family::V6, 0x1234, &v6));
        assert!(!accepted(Family::V6, 0x4321, &v6), "someone else's ping");
        assert!(
            !accepted(Family::V6, 0x1234, &[135, 0, 0, 0]),
            "a solicitation"
        );
        for ihl in [5u8, 6] {
            let mut v4 = vec![0x40 | ihl];
            v4.resize(usize::from(ihl) * 4, 0);
            let mut icmp = echo_request(Family::V4, 0x1234, 2);
            icmp[0] = ECHO_REPLY_V4;
            v4.extend_from_slice(&icmp);
            assert!(accepted(Family::V4, 0x1234, &v4), "IHL {ihl}");
            assert!(!accepted(Family::V4, 0x1235, &v4));
            let at = usize::from(ihl) * 4;
            v4[at] = 3; // destination unreachable
            assert!(!accepted(Family::V4, 0x1234, &v4));
        }
        assert!(!accepted(Family::V4, 0x1234, &[0x45, 0, 0]), "truncated");
    }

    #[test]
    fn the_checksum_of_a_packet_with_its_checksum_is_zero() {
        let p = echo_request(Family::V4, 0x1234, 7);
        assert_eq!(checksum(&p), 0);
        assert_eq!(&p[..2], &[8, 0]);
        assert_eq!(&p[4..8], &[0x12, 0x34, 0, 7]);
    }

    #[test]
    fn replies_are_matched_by_type_identifier_and_payload() {
        let mut reply = echo_request(Family::V6, 0x1234, 9);
        reply[0] = ECHO_REPLY_V6;
        assert_eq!(parse_reply(Family::V6, &reply, 0x1234), Some(9));
        assert_eq!(
            parse_reply(Family::V6, &reply, 0x4321),
            None,
            "someone else's ping"
        );
        let request = echo_request(Family::V6, 0x1234, 9);
        assert_eq!(parse_reply(Family::V6, &request, 0x1234), None, "a request");
        let mut v4 = vec![0x45u8; 1];
        v4.extend_from_slice(&[0; 19]);
        let mut icmp = echo_request(Family::V4, 1, 2);
        icmp[0] = ECHO_REPLY_V4;
        v4.extend_from_slice(&icmp);
        assert_eq!(
            parse_reply(Family::V4, &v4, 1),
            Some(2),
            "after the IP header"
        );
        assert_eq!(parse_reply(Family::V4, &v4[..24], 1), None, "truncated");
    }
}
