//! Link-layer sockets of transitive probing (AF_PACKET, SOCK_RAW).
//!
//! Members probed transitively have no IP address of their own: each
//! sends a small frame of the IEEE 802 local experimental ethertype to
//! the prober's hardware address, and the prober's socket thread answers
//! at once, to the sender's hardware address. A round trip proves that
//! the member can send to the LAN and hear from it (through the switch,
//! to the prober's port and back). The receive rule of ipmp.ko leaves such
//! frames to packet sockets bound to the member whatever its state
//! (inactive, failed, offline), and a socket bound to one protocol on one
//! device sees that protocol only: data traffic never reaches it.
//!
//! The prober's own probes leave as whole Ethernet frames too (see
//! [`ipv4_echo_frame`]): sent through the IP stack from its member
//! device, they would need address resolution on the member, whose ARP
//! replies ipmp.ko hands to the IPMP interface.
//!
//! Everything here goes through safe APIs: the socket is bound with the
//! member's own link-layer address as `getifaddrs()` reports it, and sent
//! on with `send()`, the device being the bound one.

use crate::shell::icmp;
use nix::sys::socket::{bind, LinkAddr};
use socket2::{Domain, Protocol, Socket, Type};
use std::io::{self, Read};
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// IEEE 802 "local experimental ethertype 1" (IEEE Std 802): for
/// protocols that never leave a site, as transitive probes never leave the
/// LAN.
pub const ETH_P_TRANSITIVE: u16 = 0x88b5;
const ETH_P_IP: u16 = 0x0800;
const ETH_HLEN: usize = 14;
/// Marks a transitive probe (after the Ethernet header).
const MAGIC: &[u8; 6] = b"IPMPtp";
const KIND_REQUEST: u8 = 1;
const KIND_REPLY: u8 = 2;
/// Magic, kind, identifier, sequence number.
const PROBE_LEN: usize = MAGIC.len() + 1 + 2 + 2;

/// A packet socket bound to one device and protocol (0: send only).
pub struct LinkSocket {
    sock: Socket,
    mac: [u8; 6],
}

/// The device's link-layer address as `getifaddrs()` reports it.
fn link_addr(ifname: &str) -> io::Result<LinkAddr> {
    let addrs = nix::ifaddrs::getifaddrs().map_err(io::Error::from)?;
    addrs
        .filter(|a| a.interface_name == ifname)
        .find_map(|a| a.address.and_then(|s| s.as_link_addr().copied()))
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{ifname}: no link address"),
            )
        })
}

impl LinkSocket {
    /// A socket on `ifname` receiving `protocol` frames (0: none).
    pub fn open(ifname: &str, protocol: u16) -> io::Result<Self> {
        let sock = Socket::new(
            Domain::PACKET,
            Type::RAW,
            Some(Protocol::from(i32::from(protocol.to_be()))),
        )?;
        let addr = link_addr(ifname)?;
        let mac = addr.addr().unwrap_or_default();
        // The address carries protocol 0: the socket's own stays.
        bind(sock.as_raw_fd(), &addr).map_err(io::Error::from)?;
        Ok(Self { sock, mac })
    }

    /// The device's hardware address.
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    /// Sends `payload` to `dst` as an Ethernet frame of `ethertype`.
    pub fn send(&self, dst: [u8; 6], ethertype: u16, payload: &[u8]) -> io::Result<()> {
        let mut frame = Vec::with_capacity(ETH_HLEN + payload.len());
        frame.extend_from_slice(&dst);
        frame.extend_from_slice(&self.mac);
        frame.extend_from_slice(&ethertype.to_be_bytes());
        frame.extend_from_slice(payload);
        self.sock.send(&frame).map(drop)
    }
}

/// A transitive probe or its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitiveProbe {
    /// An answer (else a request).
    pub reply: bool,
    /// The daemon's identifier.
    pub ident: u16,
    /// Sequence number.
    pub seq: u16,
}

impl TransitiveProbe {
    /// The payload after the Ethernet header.
    pub fn encode(&self) -> Vec<u8> {
        let mut p = Vec::with_capacity(PROBE_LEN);
        p.extend_from_slice(MAGIC);
        p.push(if self.reply { KIND_REPLY } else { KIND_REQUEST });
        p.extend_from_slice(&self.ident.to_be_bytes());
        p.extend_from_slice(&self.seq.to_be_bytes());
        p
    }

    /// Parses a payload (trailing padding allowed).
    pub fn decode(p: &[u8]) -> Option<Self> {
        if p.get(..MAGIC.len())? != MAGIC {
            return None;
        }
        let reply = match *p.get(MAGIC.len())? {
            KIND_REQUEST => false,
            KIND_REPLY => true,
            _ => return None,
        };
        let at = MAGIC.len() + 1;
        let ident = u16::from_be_bytes([*p.get(at)?, *p.get(at + 1)?]);
        let seq = u16::from_be_bytes([*p.get(at + 2)?, *p.get(at + 3)?]);
        Some(Self { reply, ident, seq })
    }
}

/// A transitive probe's answer, heard by the member that sent the probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitiveReply {
    /// The member.
    pub ifindex: u32,
    /// Sequence number.
    pub seq: u16,
    /// When it arrived.
    pub at: Instant,
}

/// One member's transitive probe socket: sends its probes, hears their
/// answers, and answers the probes of others (when it is the prober).
pub struct TransitiveSocket {
    sock: Arc<LinkSocket>,
    ident: u16,
    stop: Arc<AtomicBool>,
}

impl Drop for TransitiveSocket {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl TransitiveSocket {
    /// Opens member `ifname`'s socket and starts its thread.
    pub fn open(
        ifname: &str,
        ifindex: u32,
        ident: u16,
        deliver: impl Fn(TransitiveReply) -> bool + Send + 'static,
    ) -> io::Result<Self> {
        let sock = LinkSocket::open(ifname, ETH_P_TRANSITIVE)?;
        sock.sock
            .set_read_timeout(Some(Duration::from_millis(250)))?;
        let sock = Arc::new(sock);
        let stop = Arc::new(AtomicBool::new(false));
        let (rsock, rstop) = (Arc::clone(&sock), Arc::clone(&stop));
        std::thread::Builder::new()
            .name(format!("transitive-{ifname}"))
            .spawn(move || serve(&rsock, &rstop, ifindex, ident, &deliver))?;
        Ok(Self { sock, ident, stop })
    }

    /// Sends probe `seq` to the member with hardware address `to`.
    pub fn probe(&self, to: [u8; 6], seq: u16) -> io::Result<()> {
        let p = TransitiveProbe {
            reply: false,
            ident: self.ident,
            seq,
        };
        self.sock.send(to, ETH_P_TRANSITIVE, &p.encode())
    }
}

fn serve(
    sock: &LinkSocket,
    stop: &AtomicBool,
    ifindex: u32,
    ident: u16,
    deliver: &dyn Fn(TransitiveReply) -> bool,
) {
    let mut buf = [0u8; 256];
    while !stop.load(Ordering::Relaxed) {
        let n = match (&sock.sock).read(&mut buf) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            Err(_) => {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let at = Instant::now();
        let frame = &buf[..n.min(buf.len())];
        let Some(probe) = frame.get(ETH_HLEN..).and_then(TransitiveProbe::decode) else {
            continue;
        };
        // Only this daemon's probes: another host's frames of the same
        // ethertype are not answered.
        if probe.ident != ident {
            continue;
        }
        if probe.reply {
            let reply = TransitiveReply {
                ifindex,
                seq: probe.seq,
                at,
            };
            if !deliver(reply) {
                return;
            }
        } else {
            let mut src = [0u8; 6];
            src.copy_from_slice(&frame[6..12]);
            let answer = TransitiveProbe {
                reply: true,
                ..probe
            };
            let _ = sock.send(src, ETH_P_TRANSITIVE, &answer.encode());
        }
    }
}

/// An IPv4 ICMP echo request from `src` to `dst` in a frame to `dst_mac`
/// (hop limit 1, as every probe): the prober's probe from its data
/// address.
pub fn ipv4_echo_frame(src: Ipv4Addr, dst: Ipv4Addr, ident: u16, seq: u16) -> Vec<u8> {
    let icmp = icmp::echo_request(crate::instance::Family::V4, ident, seq);
    let total = (20 + icmp.len()) as u16;
    let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 1, 1, 0, 0];
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip[4..6].copy_from_slice(&seq.to_be_bytes());
    ip.extend_from_slice(&src.octets());
    ip.extend_from_slice(&dst.octets());
    let sum = icmp::checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    ip.extend_from_slice(&icmp);
    ip
}

/// The Ethernet address of an IPv4 multicast group (RFC 1112).
pub fn ipv4_multicast_mac(group: Ipv4Addr) -> [u8; 6] {
    let o = group.octets();
    [0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]]
}

/// The prober's send-only socket for its ICMP probes.
pub fn ip_sender(ifname: &str) -> io::Result<LinkSocket> {
    LinkSocket::open(ifname, 0)
}

/// Sends an IPv4 packet as a frame to `dst_mac`.
pub fn send_ipv4(sock: &LinkSocket, dst_mac: [u8; 6], packet: &[u8]) -> io::Result<()> {
    sock.send(dst_mac, ETH_P_IP, packet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_round_trip_and_reject_other_frames() {
        let p = TransitiveProbe {
            reply: false,
            ident: 0x1234,
            seq: 7,
        };
        let mut bytes = p.encode();
        assert_eq!(bytes.len(), PROBE_LEN);
        assert_eq!(TransitiveProbe::decode(&bytes), Some(p));
        // Ethernet pads short frames to 60 bytes.
        bytes.resize(46, 0);
        assert_eq!(TransitiveProbe::decode(&bytes), Some(p));
        let answer = TransitiveProbe { reply: true, ..p };
        assert_eq!(TransitiveProbe::decode(&answer.encode()), Some(answer));
        assert_eq!(TransitiveProbe::decode(b"IPMPtp\x03\x12\x34\x00\x07"), None);
        assert_eq!(TransitiveProbe::decode(b"IPMPxx\x01\x12\x34\x00\x07"), None);
        assert_eq!(TransitiveProbe::decode(b"IPMPtp\x01\x12"), None);
    }

    #[test]
    fn the_echo_packet_has_a_valid_ipv4_header() {
        let pkt = ipv4_echo_frame(
            Ipv4Addr::new(192, 168, 10, 5),
            Ipv4Addr::new(192, 168, 10, 1),
            0x4242,
            9,
        );
        assert_eq!(pkt[0], 0x45);
        assert_eq!(usize::from(u16::from_be_bytes([pkt[2], pkt[3]])), pkt.len());
        assert_eq!(pkt[8], 1, "hop limit 1");
        assert_eq!(pkt[9], 1, "ICMP");
        assert_eq!(icmp::checksum(&pkt[..20]), 0);
        assert_eq!(&pkt[12..16], &[192, 168, 10, 5]);
        assert_eq!(&pkt[16..20], &[192, 168, 10, 1]);
        assert_eq!(pkt[20], 8, "echo request");
        assert_eq!(icmp::checksum(&pkt[20..]), 0);
    }

    #[test]
    fn multicast_macs_follow_rfc_1112() {
        assert_eq!(
            ipv4_multicast_mac(Ipv4Addr::new(224, 0, 0, 1)),
            [1, 0, 0x5e, 0, 0, 1]
        );
        assert_eq!(
            ipv4_multicast_mac(Ipv4Addr::new(239, 255, 1, 2)),
            [1, 0, 0x5e, 0x7f, 1, 2]
        );
    }
}
