// SPDX-License-Identifier: GPL-2.0
//! The group's receive filter, carried to its members.
//!
//! Frames for the group arrive on its members, so every member's receive
//! filter must let through what the group device asked for:
//! - its multicast memberships (IPv6 solicited-node groups of its data
//!   addresses, IGMP/MLD joins) and secondary unicast addresses, copied
//!   into each member's lists with `dev_{uc,mc}_sync_multiple()` from the
//!   group's `ndo_set_rx_mode`;
//! - its promiscuous and all-multicast state (`tcpdump -i itops0`),
//!   passed on as one count per member from `ndo_change_rx_flags`;
//! - the ids of the VLANs on it (`ndo_vlan_rx_add_vid`), added to each
//!   member's VLAN filter: a NIC that filters VLANs drops tagged frames
//!   of ids it was not given.
//!
//! A member that joins gets the current state; one that leaves gives back
//! exactly what it was given (its `Member::rx_flags` records the counts it
//! holds), so its lists and flags are again its own. On a filtering NIC
//! (virtio-net, real hardware) without this, neighbour solicitations for
//! the group's IPv6 data addresses never reach the stack.

use crate::bindings::raw;
use crate::ipmpdev::IpmpDev;
use crate::netdev::{AddrListsLocked, NetDev};
use crate::rcu::RcuGuard;
use crate::rtnl::Rtnl;
use crate::table::Member;
use kernel::prelude::*;

/// The interface flags a group passes on to its members.
const PASSED_ON: [u32; 2] = [
    raw::net_device_flags_IFF_PROMISC,
    raw::net_device_flags_IFF_ALLMULTI,
];

/// Makes the counts `member` holds for the group match `wanted`
/// (`IFF_PROMISC`/`IFF_ALLMULTI` bits). Stops at the first error, with
/// `member.rx_flags()` telling what is held.
fn hold_flags(member: &Member, wanted: u32, rtnl: &Rtnl<'_>) -> Result {
    let dev = member.dev();
    for bit in PASSED_ON {
        let held = member.rx_flags();
        let inc = match (wanted & bit != 0, held & bit != 0) {
            (true, false) => 1,
            (false, true) => -1,
            _ => continue,
        };
        if bit == raw::net_device_flags_IFF_PROMISC {
            dev.change_promiscuity(inc, rtnl)?;
        } else {
            dev.change_allmulti(inc, rtnl)?;
        }
        member.set_rx_flags(held ^ bit);
    }
    Ok(())
}

/// The flags of the group device that its members must follow.
fn wanted_flags(group_dev: &NetDev) -> u32 {
    group_dev.flags() & PASSED_ON.iter().fold(0, |acc, bit| acc | bit)
}

/// A new member takes the group's promiscuous/all-multicast state and
/// VLAN ids; on an error it holds none of them.
pub(crate) fn join_flags(ipmp: &IpmpDev, member: &Member, rtnl: &Rtnl<'_>) -> Result {
    let dev = member.dev();
    let result = hold_flags(member, wanted_flags(ipmp.netdev()), rtnl)
        .and_then(|()| dev.vlan_vids_add_from(ipmp.netdev(), rtnl));
    if result.is_err() {
        let _ = hold_flags(member, 0, rtnl);
    }
    result
}

/// A new member, already published in the table, gets the group's address
/// lists. Taken under the group's lock after publication, so that no
/// address added meanwhile is missed (`ndo_set_rx_mode` sees the member
/// from then on).
pub(crate) fn join_lists(ipmp: &IpmpDev, member: &Member) {
    let group_dev = ipmp.netdev();
    let result =
        group_dev.with_addr_lists_locked(|locked| member.dev().sync_addr_lists_from(locked));
    if let Err(e) = result {
        pr_warn!(
            "{}: cannot pass its addresses on to {}: {:?}\n",
            group_dev.name(),
            member.dev().name(),
            e
        );
    }
}

/// A leaving member (already out of the published table) gives back the
/// group's addresses and flags.
pub(crate) fn leave(ipmp: &IpmpDev, member: &Member, rtnl: &Rtnl<'_>) {
    member.dev().unsync_addr_lists_from(ipmp.netdev());
    member.dev().vlan_vids_del_from(ipmp.netdev(), rtnl);
    if let Err(e) = hold_flags(member, 0, rtnl) {
        pr_warn!(
            "{}: cannot give back its flags on {}: {:?}\n",
            ipmp.netdev().name(),
            member.dev().name(),
            e
        );
    }
}

/// `ndo_set_rx_mode`: the group's address lists changed; every member
/// follows. Runs with the group's address-list lock held, possibly
/// without RTNL, so it reads the member table under RCU.
pub(crate) fn set_rx_mode(ipmp: &IpmpDev, locked: &AddrListsLocked<'_>) {
    let rcu = RcuGuard::new();
    let Some(table) = ipmp.group().table(&rcu) else {
        return;
    };
    for member in table.iter() {
        // Only out of memory fails here; the next change retries.
        let _ = member.dev().sync_addr_lists_from(locked);
    }
}

/// `ndo_change_rx_flags`: the group became (or stopped being)
/// promiscuous or all-multicast; every member follows.
pub(crate) fn change_rx_flags(ipmp: &IpmpDev, rtnl: &Rtnl<'_>) {
    let group_dev = ipmp.netdev();
    let wanted = wanted_flags(group_dev);
    let Some(table) = ipmp.group().members_rtnl(rtnl) else {
        return;
    };
    for member in table.iter() {
        if let Err(e) = hold_flags(member, wanted, rtnl) {
            pr_warn!(
                "{}: {} cannot follow its promiscuous/all-multicast state: {:?}\n",
                group_dev.name(),
                member.dev().name(),
                e
            );
        }
    }
}

/// The group device is being unregistered: the core empties its address
/// lists next, after which the members' copies could no longer be told
/// apart from their own. Take them back now.
pub(crate) fn group_unregistering(ipmp: &IpmpDev, rtnl: &Rtnl<'_>) {
    let Some(table) = ipmp.group().members_rtnl(rtnl) else {
        return;
    };
    for member in table.iter() {
        member.dev().unsync_addr_lists_from(ipmp.netdev());
    }
}

/// `ndo_vlan_rx_add_vid`: a VLAN was added on the group; every member's
/// filter takes its id, or none does.
pub(crate) fn add_vid(ipmp: &IpmpDev, proto: u16, vid: u16, rtnl: &Rtnl<'_>) -> Result {
    let Some(table) = ipmp.group().members_rtnl(rtnl) else {
        return Ok(());
    };
    for (done, member) in table.iter().enumerate() {
        if let Err(e) = member.dev().vlan_vid_add(proto, vid, rtnl) {
            for undo in table.iter().take(done) {
                undo.dev().vlan_vid_del(proto, vid, rtnl);
            }
            return Err(e);
        }
    }
    Ok(())
}

/// `ndo_vlan_rx_kill_vid`: a VLAN left the group; its id leaves every
/// member's filter.
pub(crate) fn kill_vid(ipmp: &IpmpDev, proto: u16, vid: u16, rtnl: &Rtnl<'_>) {
    if let Some(table) = ipmp.group().members_rtnl(rtnl) {
        for member in table.iter() {
            member.dev().vlan_vid_del(proto, vid, rtnl);
        }
    }
}
