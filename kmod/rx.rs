// SPDX-License-Identifier: GPL-2.0
//! Receive path: where each frame a member receives goes (the C-ABI
//! rx_handler that calls this is `rxhandler`).
//!
//! For each frame a member receives (rules in `frames::rx_verdict`):
//! - traffic for the member's own addresses (its test addresses, its IPv6
//!   link-local; ARP and neighbour discovery for them) goes up the
//!   member's own stack, so that in.mpathd can probe through it whatever
//!   the member's state;
//! - an inactive, failed or offline member delivers nothing else;
//! - an active member hands unicast frames to the group device, and
//!   broadcast/multicast frames only if it is the family's nominee, so
//!   that the group sees each of them once, and only if the group did not
//!   send them itself (a switch floods the group's broadcasts back to its
//!   other members).
//!
//! Runs in softirq context under `rcu_read_lock()`.

use crate::frames::{self, Arrival, OwnCandidates, OwnKinds, RxVerdict};
use crate::ipmpdev::IpmpDev;
use crate::netdev::NetDev;
use crate::rcu::RcuGuard;
use crate::skb::{RxSkb, PACKET_BROADCAST, PACKET_HOST, PACKET_MULTICAST};
use crate::table::{Member, MemberTable};

/// Where a frame received by `member` goes (see the module comment).
pub(crate) fn deliver(member: &Member, skb: &mut RxSkb<'_>, rcu: &RcuGuard) -> RxVerdict {
    let group = member.group();
    let Some(table) = group.group().table(rcu) else {
        return RxVerdict::Exact;
    };
    let protocol = skb.protocol();
    let for_member = is_for_member(member.dev(), member.own_kinds(), skb, protocol);
    let (mut arrival, broadcast) = match skb.pkt_type() {
        PACKET_HOST => (Arrival::ToMember, false),
        PACKET_BROADCAST => (Arrival::Multi, true),
        PACKET_MULTICAST => (Arrival::Multi, false),
        _ => (Arrival::ToOther, false),
    };
    if arrival == Arrival::Multi && sent_by_group(group, table, skb.eth_src()) {
        arrival = Arrival::Reflected;
    }
    let nominee = arrival == Arrival::Multi
        && table
            .nominee(frames::rx_role(protocol, broadcast))
            .is_some_and(|n| n.id() == member.id());
    let to_group_mac = arrival == Arrival::ToOther && skb.eth_dst() == group.netdev().hw_addr();
    let verdict = frames::rx_verdict(
        for_member,
        table.is_active(member.id()),
        arrival,
        nominee,
        to_group_mac,
    );
    if verdict == RxVerdict::Group && to_group_mac {
        skb.set_pkt_type_host();
    }
    verdict
}

/// Whether a frame with source MAC `src` was sent by the group: from its
/// own MAC or one of its members' (a member's MAC can change, so it is
/// read from the device, not cached).
fn sent_by_group(group: &IpmpDev, table: &MemberTable, src: [u8; 6]) -> bool {
    src == group.netdev().hw_addr() || table.iter().any(|m| m.dev().hw_addr() == src)
}

/// Whether the packet is addressed to one of `dev`'s own addresses (of
/// the kinds `own` it has).
fn is_for_member(dev: &NetDev, own: OwnKinds, skb: &mut RxSkb<'_>, protocol: u16) -> bool {
    let need = frames::own_candidates_len(protocol, own);
    if need == 0 {
        return false;
    }
    // IPv6 packets shorter than the neighbour discovery part are fine:
    // fall back to the fixed header.
    let net = match skb.network_head(need) {
        Some(net) => net,
        None if protocol == frames::ETH_P_IPV6 => match skb.network_head(frames::IPV6_HLEN) {
            Some(net) => net,
            None => return false,
        },
        None => return false,
    };
    match frames::own_candidates(protocol, net, own) {
        OwnCandidates::None => false,
        OwnCandidates::V4(addr) => dev.has_ipv4_addr(addr),
        OwnCandidates::V6(dst, target) => {
            dst.is_some_and(|d| dev.has_ipv6_addr(&d))
                || target.is_some_and(|t| dev.has_ipv6_addr(&t))
        }
    }
}
