// SPDX-License-Identifier: GPL-2.0
//! Reading and rewriting the few frame fields the fast path cares about.
//!
//! Transmit side: which way a frame sent by the group leaves (per flow, by
//! a broadcast/multicast nominee, or as ARP/neighbour discovery that must
//! carry a member's hardware address), and the rewrites of those
//! addresses. Receive side: which addresses of a frame may belong to the
//! member itself (its test addresses), and where the frame goes.
//!
//! Pure functions on byte slices (no kernel types): compiled into ipmp.ko
//! and unit-tested in userspace by `crates/libipmp`.

use super::binding::Addr;

/// Ethernet header length.
pub const ETH_HLEN: usize = 14;
/// Ethertype of IPv4.
pub const ETH_P_IP: u16 = 0x0800;
/// Ethertype of ARP.
pub const ETH_P_ARP: u16 = 0x0806;
/// Ethertype of IPv6.
pub const ETH_P_IPV6: u16 = 0x86dd;

const IPPROTO_ICMPV6: u8 = 58;
const ND_ROUTER_SOLICIT: u8 = 133;
const ND_ROUTER_ADVERT: u8 = 134;
const ND_NEIGHBOUR_SOLICIT: u8 = 135;
const ND_NEIGHBOUR_ADVERT: u8 = 136;
const ND_OPT_SOURCE_LL_ADDR: u8 = 1;
const ND_OPT_TARGET_LL_ADDR: u8 = 2;

/// Length of an ARP packet for IPv4 over Ethernet.
pub const ARP_LEN: usize = 28;
/// Length of an IPv6 header.
pub const IPV6_HLEN: usize = 40;

/// Broadcast and multicast roles; one active member holds each.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    /// IPv4 multicast (`ipmpstat` flag `m`).
    V4Multicast = 0,
    /// IPv4 broadcast (`b`); also sends the group's ARP for now.
    V4Broadcast = 1,
    /// IPv6 multicast (`M`); also sends the group's neighbour discovery.
    V6Multicast = 2,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::V4Multicast, Role::V4Broadcast, Role::V6Multicast];
}

/// How a frame sent by the group leaves.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TxPath {
    /// A unicast frame of some flow: spread per flow over active members.
    Flow,
    /// A broadcast or multicast frame: by the nominee of the role.
    Nominee(Role),
    /// ARP (request or reply) from the group: its sender hardware address
    /// must become the sending member's; `sender` is its IPv4 address.
    Arp {
        /// Sender protocol address.
        sender: [u8; 4],
    },
    /// Neighbour or router discovery from the group: its link-layer
    /// address options must become the sending member's. `addr` is the
    /// address it speaks for: the target of an advertisement, else the
    /// source (none for duplicate address detection, sent from `::`).
    Ndisc {
        /// The group address concerned.
        addr: Option<[u8; 16]>,
    },
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn array<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at + N)?.try_into().ok()
}

/// Whether a MAC address is a group (broadcast or multicast) address.
pub fn is_group_mac(mac: &[u8]) -> bool {
    mac.first().is_some_and(|b| b & 1 != 0)
}

/// Classifies a frame the group transmits; `frame` starts at the Ethernet
/// header and holds at least its linear part.
pub fn tx_path(frame: &[u8]) -> TxPath {
    let Some(ethertype) = be16(frame, 12) else {
        return TxPath::Flow;
    };
    if ethertype == ETH_P_ARP {
        if let Some(sender) = arp_ipv4_sender(frame.get(ETH_HLEN..).unwrap_or(&[])) {
            return TxPath::Arp { sender };
        }
    }
    let ip6 = frame.get(ETH_HLEN..).unwrap_or(&[]);
    if ethertype == ETH_P_IPV6 {
        if let Some(kind) = ndisc_type(ip6) {
            let addr = match kind {
                ND_NEIGHBOUR_ADVERT => array(ip6, IPV6_HLEN + 8),
                _ => array(ip6, 8).filter(|src| *src != [0; 16]),
            };
            return TxPath::Ndisc { addr };
        }
    }
    let Some(dst) = frame.get(..6) else {
        return TxPath::Flow;
    };
    if !is_group_mac(dst) {
        return TxPath::Flow;
    }
    TxPath::Nominee(match ethertype {
        ETH_P_IPV6 => Role::V6Multicast,
        ETH_P_IP if dst != [0xff; 6] => Role::V4Multicast,
        _ => Role::V4Broadcast,
    })
}

/// The sender IPv4 address of an Ethernet/IPv4 ARP packet.
fn arp_ipv4_sender(arp: &[u8]) -> Option<[u8; 4]> {
    let ok =
        be16(arp, 0)? == 1 && be16(arp, 2)? == ETH_P_IP && *arp.get(4)? == 6 && *arp.get(5)? == 4;
    if !ok || arp.len() < ARP_LEN {
        return None;
    }
    array(arp, 14)
}

/// The ICMPv6 type of an IPv6 packet carrying router or neighbour
/// discovery directly (no extension headers), if it is one.
fn ndisc_type(ip6: &[u8]) -> Option<u8> {
    if *ip6.get(6)? != IPPROTO_ICMPV6 {
        return None;
    }
    let t = *ip6.get(IPV6_HLEN)?;
    (ND_ROUTER_SOLICIT..=ND_NEIGHBOUR_ADVERT)
        .contains(&t)
        .then_some(t)
}

/// Rewrites the sender hardware address of the ARP packet in `frame`
/// (Ethernet header included) to `mac`.
pub fn rewrite_arp_sender(frame: &mut [u8], mac: &[u8; 6]) -> bool {
    match frame.get_mut(ETH_HLEN + 8..ETH_HLEN + 14) {
        Some(sha) => {
            sha.copy_from_slice(mac);
            true
        }
        None => false,
    }
}

/// Rewrites the source/target link-layer address options of the router
/// or neighbour discovery packet in `frame` (Ethernet header included, the
/// whole packet linear) to `mac`, keeping the ICMPv6 checksum right.
/// Returns false if the packet is malformed (then it is left as it was up
/// to the first bad option).
pub fn rewrite_ndisc_lladdr(frame: &mut [u8], mac: &[u8; 6]) -> bool {
    let Some(ip6) = frame.get_mut(ETH_HLEN..) else {
        return false;
    };
    let Some(kind) = ndisc_type(ip6) else {
        return false;
    };
    let Some(payload_len) = be16(ip6, 4) else {
        return false;
    };
    let Some(icmp) = ip6.get_mut(IPV6_HLEN..IPV6_HLEN + usize::from(payload_len)) else {
        return false;
    };
    let mut at = match kind {
        ND_ROUTER_SOLICIT => 8,
        ND_ROUTER_ADVERT => 16,
        _ => 24,
    };
    let Some(mut csum) = be16(icmp, 2) else {
        return false;
    };
    while at < icmp.len() {
        let (Some(&opt), Some(&units)) = (icmp.get(at), icmp.get(at + 1)) else {
            return false;
        };
        let len = usize::from(units) * 8;
        if len == 0 {
            return false;
        }
        if (opt == ND_OPT_SOURCE_LL_ADDR || opt == ND_OPT_TARGET_LL_ADDR) && len == 8 {
            let Some(lladdr) = icmp.get_mut(at + 2..at + 8) else {
                return false;
            };
            csum = checksum_replace(csum, lladdr, mac);
            lladdr.copy_from_slice(mac);
        }
        at += len;
    }
    if let Some(c) = icmp.get_mut(2..4) {
        c.copy_from_slice(&csum.to_be_bytes());
    }
    true
}

/// Incremental Internet checksum update (RFC 1624, eqn. 3) for replacing
/// the 16-bit-aligned bytes `old` by `new` (same even length).
pub fn checksum_replace(csum: u16, old: &[u8], new: &[u8]) -> u16 {
    let mut sum = u32::from(!csum);
    for (o, n) in old.chunks(2).zip(new.chunks(2)) {
        let o = u16::from_be_bytes([o[0], *o.get(1).unwrap_or(&0)]);
        let n = u16::from_be_bytes([n[0], *n.get(1).unwrap_or(&0)]);
        sum += u32::from(!o) + u32::from(n);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The kinds of address a member owns, as far as the receive path cares.
///
/// A packet's addresses are looked up among the member's own only where
/// the member could own them: an IPv4 address if it has any IPv4 address,
/// an IPv6 address of wider than link scope if it has one. A member
/// without test addresses (the usual case) then costs data packets no
/// lookup; IPv6 link-local destinations and targets are always looked up
/// (every member has its own).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct OwnKinds(u8);

impl OwnKinds {
    const V4: u8 = 1;
    const V6: u8 = 2;
    /// No address of either kind.
    pub const NONE: Self = Self(0);
    /// Both kinds: what a member is taken to own while its addresses are
    /// not known.
    pub const ALL: Self = Self(Self::V4 | Self::V6);

    /// From [`OwnKinds::bits`].
    pub fn from_bits(bits: u8) -> Self {
        Self(bits & Self::ALL.0)
    }

    /// As a byte, for an atomic.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// These kinds and that of `addr` (an IPv6 link-local address adds
    /// nothing: link-local addresses are always looked up).
    pub fn with(self, addr: &Addr) -> Self {
        match addr {
            Addr::V4(_) => Self(self.0 | Self::V4),
            Addr::V6(a) if is_ipv6_link_local(a) => self,
            Addr::V6(_) => Self(self.0 | Self::V6),
        }
    }

    /// The kinds of `addrs`.
    pub fn of(addrs: &[Addr]) -> Self {
        addrs.iter().fold(Self::NONE, |kinds, a| kinds.with(a))
    }

    fn v4(self) -> bool {
        self.0 & Self::V4 != 0
    }

    /// Whether an IPv6 `addr` could be one of the member's.
    fn may_own_v6(self, addr: &[u8; 16]) -> bool {
        is_ipv6_link_local(addr) || (self.0 & Self::V6 != 0 && addr[0] != 0xff)
    }
}

/// fe80::/10.
fn is_ipv6_link_local(addr: &[u8; 16]) -> bool {
    addr[0] == 0xfe && addr[1] & 0xc0 == 0x80
}

/// Addresses of a received packet that may be the member's own (test)
/// addresses: the ARP target, the IPv4 destination, the IPv6 destination
/// and, for neighbour discovery, its target; only those the member could
/// own ([`OwnKinds`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum OwnCandidates {
    /// Nothing to check (not ARP/IPv4/IPv6, too short, or of a kind the
    /// member owns none of).
    None,
    /// An IPv4 address.
    V4([u8; 4]),
    /// An IPv6 destination and a neighbour discovery target, either of
    /// which may be absent (but not both).
    V6(Option<[u8; 16]>, Option<[u8; 16]>),
}

/// Bytes of the network header needed by [`own_candidates`] for
/// `protocol` (the receive path pulls that many before calling it; 0:
/// nothing to look up).
pub fn own_candidates_len(protocol: u16, own: OwnKinds) -> usize {
    match protocol {
        ETH_P_ARP if own.v4() => ARP_LEN,
        ETH_P_IP if own.v4() => 20,
        ETH_P_IPV6 => IPV6_HLEN + 24,
        _ => 0,
    }
}

/// See [`OwnCandidates`]; `net` starts at the network header.
pub fn own_candidates(protocol: u16, net: &[u8], own: OwnKinds) -> OwnCandidates {
    let found = match protocol {
        ETH_P_ARP if own.v4() => array(net, 24).map(OwnCandidates::V4),
        ETH_P_IP if own.v4() => array(net, 16).map(OwnCandidates::V4),
        ETH_P_IPV6 => array(net, 24).and_then(|dst: [u8; 16]| {
            let target = match ndisc_type(net) {
                Some(ND_NEIGHBOUR_SOLICIT | ND_NEIGHBOUR_ADVERT) => array(net, IPV6_HLEN + 8),
                _ => None,
            };
            let dst = Some(dst).filter(|d| own.may_own_v6(d));
            let target = target.filter(|t| own.may_own_v6(t));
            (dst.is_some() || target.is_some()).then_some(OwnCandidates::V6(dst, target))
        }),
        _ => None,
    };
    found.unwrap_or(OwnCandidates::None)
}

/// How a frame arrived, from the member's point of view (`skb->pkt_type`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Arrival {
    /// Unicast to the member's MAC.
    ToMember,
    /// Broadcast or multicast.
    Multi,
    /// Unicast to another MAC.
    ToOther,
    /// Broadcast or multicast that the group itself sent (its source MAC
    /// is a member's or the group's), flooded back by the switch to
    /// another member. The group must not hear its own announcements: an
    /// unsolicited neighbour advertisement coming back would be taken for
    /// another host claiming the address (a DAD failure while tentative).
    Reflected,
}

/// Where a received frame goes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RxVerdict {
    /// Up the member's own stack (test traffic).
    Member,
    /// Up the group device's stack (data traffic).
    Group,
    /// Nowhere but packet sockets bound to the member (`RX_HANDLER_EXACT`).
    Exact,
}

/// The receive rule: traffic for the member's own addresses goes to the
/// member whatever its state; an inactive member delivers nothing else;
/// an active one delivers unicast for the group, and broadcast/multicast
/// only if it is the family's nominee (so the group sees it once) and the
/// group did not send it itself.
pub fn rx_verdict(
    for_member: bool,
    active: bool,
    arrival: Arrival,
    nominee: bool,
    to_group_mac: bool,
) -> RxVerdict {
    if for_member {
        return RxVerdict::Member;
    }
    if !active {
        return RxVerdict::Exact;
    }
    match arrival {
        Arrival::ToMember => RxVerdict::Group,
        Arrival::Multi if nominee => RxVerdict::Group,
        Arrival::Multi => RxVerdict::Exact,
        Arrival::ToOther if to_group_mac => RxVerdict::Group,
        Arrival::ToOther => RxVerdict::Member,
        Arrival::Reflected => RxVerdict::Exact,
    }
}

/// The nominee role responsible for a broadcast/multicast frame received
/// with `protocol`.
pub fn rx_role(protocol: u16, broadcast: bool) -> Role {
    match protocol {
        ETH_P_IPV6 => Role::V6Multicast,
        ETH_P_IP if !broadcast => Role::V4Multicast,
        _ => Role::V4Broadcast,
    }
}
