// SPDX-License-Identifier: GPL-2.0
//! Transmit path (`ndo_start_xmit`).
//!
//! Reads the RCU-published member table and decides, per frame:
//! - unicast: the member the flow table gives the flow (see `flowtab`);
//! - broadcast/multicast: the nominee of the family;
//! - ARP and neighbour discovery from the group: the member that answers
//!   for the group's addresses, with the hardware addresses inside the
//!   packet rewritten to that member's (peers must learn a member's MAC,
//!   which is where frames for the group arrive).
//!
//! Then it rewrites the source MAC to the member's own and queues the
//! frame there. No usable member: the frame is dropped and counted.

use crate::binding::Addr;
use crate::frames::{self, Role, TxPath, ETH_HLEN};
use crate::ipmpdev::IpmpDev;
use crate::rcu::{self, RcuGuard};
use crate::skb::SkBuff;
use crate::table::Member;
use kernel::prelude::*;

/// Sends `skb` out of one member of `ipmp`, or drops it.
pub(crate) fn transmit(ipmp: &IpmpDev, mut skb: SkBuff, rcu: &RcuGuard) {
    let len = skb.len();
    let group_dev = ipmp.netdev();
    match route(ipmp, rcu, &mut skb) {
        Ok(member) if skb.transmit_via(member.dev()) => group_dev.count_tx(len),
        _ => group_dev.count_tx_dropped(),
    }
}

/// Picks the member for `skb` and rewrites the frame for it.
fn route<'a>(ipmp: &'a IpmpDev, rcu: &'a RcuGuard, skb: &mut SkBuff) -> Result<&'a Member> {
    let group = ipmp.group();
    let table = group.table(rcu).ok_or(ENODEV)?;
    let path = frames::tx_path(skb.head());
    let member = match path {
        TxPath::Flow => {
            let flows = group.flows(rcu).ok_or(ENODEV)?;
            let id = flows
                .pick(skb.flow_hash(), rcu::now_secs(), table.active_ids())
                .ok_or(ENODEV)?;
            table.member(id)
        }
        TxPath::Nominee(role) => table.nominee(role),
        // The group answers ARP only for its own (data) addresses and
        // those of VLANs on it: with Linux's weak host model it would
        // otherwise also answer for the members' test addresses, which
        // only their member may claim.
        TxPath::Arp { sender }
            if sender != [0; 4]
                && !ipmp.netdev().has_ipv4_addr(sender)
                && !ipmp.netdev().vlan_has_ipv4_addr(sender, rcu) =>
        {
            return Err(EINVAL);
        }
        // The member an address is bound to answers for it; unbound
        // (probes from 0.0.0.0, duplicate address detection, addresses
        // beyond the binding table) the nominee does.
        TxPath::Arp { sender } => table
            .bound_member(Addr::V4(sender))
            .or_else(|| table.nominee(Role::V4Broadcast)),
        TxPath::Ndisc { addr } => addr
            .and_then(|a| table.bound_member(Addr::V6(a)))
            .or_else(|| table.nominee(Role::V6Multicast)),
    }
    .ok_or(ENODEV)?;
    let mac = member.dev().hw_addr();
    match path {
        TxPath::Arp { .. } => {
            let frame = skb.writable((ETH_HLEN + frames::ARP_LEN) as u32)?;
            if !frames::rewrite_arp_sender(frame, &mac) {
                return Err(EINVAL);
            }
        }
        TxPath::Ndisc { .. } => {
            let len = skb.len();
            let frame = skb.writable(len)?;
            if !frames::rewrite_ndisc_lladdr(frame, &mac) {
                return Err(EINVAL);
            }
        }
        TxPath::Flow | TxPath::Nominee(_) => {}
    }
    skb.set_eth_source(&mac)?;
    Ok(member)
}
