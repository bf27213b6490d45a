// SPDX-License-Identifier: GPL-2.0
//! Transmit path (`ndo_start_xmit`).
//!
//! Reads the RCU-published member table, picks a member that is up with
//! carrier by the packet's flow hash (so one connection stays on one
//! member), rewrites the source MAC to the member's own and queues the
//! packet there. With no usable member the packet is dropped and counted.

use crate::group::{IpmpDev, Member};
use crate::rcu::RcuGuard;
use crate::skb::SkBuff;
use kernel::sync::Arc;

/// Sends `skb` out of one member of `ipmp`, or drops it.
pub(crate) fn transmit(ipmp: &IpmpDev, mut skb: SkBuff) {
    let rcu = RcuGuard::new();
    let len = skb.len();
    let hash = skb.flow_hash();
    let Some(member) = pick_member(ipmp, &rcu, hash) else {
        ipmp.netdev().count_tx_dropped();
        return; // `skb` is freed on drop.
    };
    let dev = member.dev();
    if skb.set_eth_source(&dev.hw_addr()).is_err() {
        ipmp.netdev().count_tx_dropped();
        return;
    }
    if skb.transmit_via(dev) {
        ipmp.netdev().count_tx(len);
    } else {
        ipmp.netdev().count_tx_dropped();
    }
}

/// The member for a flow hash: the `hash % n`-th of the `n` usable members.
fn pick_member<'a>(ipmp: &'a IpmpDev, rcu: &'a RcuGuard, hash: u32) -> Option<&'a Arc<Member>> {
    let group = ipmp.group();
    let usable = group.members(rcu).filter(|m| m.dev().is_usable()).count();
    let n = u32::try_from(usable).ok().filter(|&n| n > 0)?;
    let index = (hash % n) as usize;
    // A member may lose carrier between the two passes; then take the last
    // usable one rather than dropping the packet.
    let mut chosen = None;
    for m in group
        .members(rcu)
        .filter(|m| m.dev().is_usable())
        .take(index + 1)
    {
        chosen = Some(m);
    }
    chosen
}
