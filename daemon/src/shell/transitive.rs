//! The sockets of transitive probing: each member's link-layer probe
//! socket, the prober's sender of ICMP frames from its data address, and
//! a receiver on the IPMP interface for their answers (ipmp.ko hands
//! traffic for data addresses to the IPMP interface, whichever member it
//! arrived on; the data address is bound to the prober, so answers
//! arrive on it).

use super::icmp::{ProbeSocket, Reply};
use super::link::{self, LinkSocket, TransitiveReply, TransitiveSocket};
use super::system;
use crate::instance::Family;
use socket2::{Domain, SockAddr, Socket, Type};
use std::collections::hash_map::{Entry, HashMap};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Where the answers of a prober's probes are heard.
struct Receiver {
    sock: ProbeSocket,
    /// The member whose probes they answer.
    member: u32,
}

/// Transitive probing's sockets, opened when first needed.
#[derive(Default)]
pub struct TransitiveIo {
    /// Per member: its link-layer probe socket.
    links: HashMap<u32, TransitiveSocket>,
    /// Per prober: its sender of ICMP frames.
    senders: HashMap<u32, LinkSocket>,
    /// Per IPMP interface: the receiver of its prober's answers.
    receivers: HashMap<u32, Receiver>,
}

impl TransitiveIo {
    /// Forgets member `ifindex`'s sockets (it left, or its part changed).
    pub fn close(&mut self, ifindex: u32) {
        self.links.remove(&ifindex);
        self.senders.remove(&ifindex);
        self.receivers.retain(|_, r| r.member != ifindex);
    }

    /// The member whose probe an answer heard on `ifindex` (an IPMP
    /// interface) belongs to; `None` if `ifindex` is no receiver's.
    pub fn prober_of(&self, ifindex: u32) -> Option<u32> {
        self.receivers.get(&ifindex).map(|r| r.member)
    }

    fn link(
        &mut self,
        ifindex: u32,
        name: &str,
        ident: u16,
        deliver: &(impl Fn(TransitiveReply) -> bool + Clone + Send + 'static),
    ) -> io::Result<&TransitiveSocket> {
        if let Entry::Vacant(e) = self.links.entry(ifindex) {
            e.insert(TransitiveSocket::open(
                name,
                ifindex,
                ident,
                deliver.clone(),
            )?);
        }
        self.links
            .get(&ifindex)
            .ok_or_else(|| io::Error::other("socket gone"))
    }

    /// Sends transitive probe `seq` from member `from` to member `to`
    /// (whose socket must be open to answer it).
    #[allow(clippy::too_many_arguments)]
    pub fn probe(
        &mut self,
        from: (u32, &str),
        to: (u32, &str),
        to_hwaddr: [u8; 6],
        seq: u16,
        ident: u16,
        deliver: impl Fn(TransitiveReply) -> bool + Clone + Send + 'static,
    ) -> io::Result<()> {
        self.link(to.0, to.1, ident, &deliver)?;
        self.link(from.0, from.1, ident, &deliver)?
            .probe(to_hwaddr, seq)
    }

    /// Sends the prober's echo request `seq` from data address `src` on
    /// member `member` to `dst`; answers are heard on IPMP interface
    /// `group` and handed to `deliver` with the group's index.
    #[allow(clippy::too_many_arguments)]
    pub fn data_probe(
        &mut self,
        member: (u32, &str),
        group: (u32, &str),
        src: Ipv4Addr,
        dst: Ipv4Addr,
        seq: u16,
        ident: u16,
        deliver: impl Fn(Reply) -> bool + Send + 'static,
    ) -> io::Result<()> {
        let stale = self
            .receivers
            .get(&group.0)
            .is_some_and(|r| r.member != member.0 || r.sock.src() != IpAddr::V4(src));
        if stale {
            self.receivers.remove(&group.0);
        }
        if let Entry::Vacant(e) = self.receivers.entry(group.0) {
            let sock = ProbeSocket::open(
                group.1,
                group.0,
                Family::V4,
                IpAddr::V4(src),
                ident,
                deliver,
            )?;
            e.insert(Receiver {
                sock,
                member: member.0,
            });
        }
        if let Entry::Vacant(e) = self.senders.entry(member.0) {
            e.insert(link::ip_sender(member.1)?);
        }
        let sender = self
            .senders
            .get(&member.0)
            .ok_or_else(|| io::Error::other("socket gone"))?;
        let dst_mac = if dst.is_multicast() {
            link::ipv4_multicast_mac(dst)
        } else {
            match system::arp_entry(group.1, dst) {
                Some(mac) => mac,
                None => {
                    // Not resolved on the IPMP interface yet: have the
                    // kernel resolve it there; this probe goes unsent and
                    // counts as lost (the quiet period of a start covers it).
                    resolve_through(group.1, dst);
                    return Err(io::Error::other(format!(
                        "{dst} not resolved on {} yet",
                        group.1
                    )));
                }
            }
        };
        let packet = link::ipv4_echo_frame(src, dst, ident, seq);
        link::send_ipv4(sender, dst_mac, &packet)
    }
}

/// Makes the kernel resolve `dst` on the IPMP interface: an empty UDP
/// datagram to the discard port through it.
fn resolve_through(group: &str, dst: Ipv4Addr) {
    let Ok(sock) = Socket::new(Domain::IPV4, Type::DGRAM, None) else {
        return;
    };
    if sock.bind_device(Some(group.as_bytes())).is_ok() {
        let to = SockAddr::from(SocketAddr::new(IpAddr::V4(dst), 9));
        let _ = sock.send_to(&[], &to);
    }
}
