// SPDX-License-Identifier: GPL-2.0
//! Membership and what follows from it: adding and removing members,
//! member flags and policy, the group's addresses, and what the group
//! device derives from its members (carrier, MTU, TSO limits, room,
//! speed). Every function runs under RTNL and takes an [`Rtnl`] token;
//! the state they change is `group`'s.

use crate::binding::{Addr, MAX_ADDRS};
use crate::frames::OwnKinds;
use crate::genl_msgs;
use crate::ipmpdev::IpmpDev;
use crate::netdev::{self, ExtAck, LinkSpeed, NetDev};
use crate::policy::MAX_MEMBERS;
use crate::rtnl::Rtnl;
use crate::rxfilter;
use crate::rxhandler;
use crate::table::Member;
use crate::uapi;
use kernel::prelude::*;

/// Default MTU ceiling of a group without members.
const MAX_MTU_NO_MEMBERS: u32 = 65535;

/// `ip link set DEV master GROUP`: makes `dev` a member of `ipmp`.
///
/// Refusals leave everything as it was and say why in `extack`.
pub(crate) fn add_member(
    ipmp: &IpmpDev,
    dev: &NetDev,
    extack: &mut ExtAck,
    rtnl: &mut Rtnl<'_>,
) -> Result {
    let group_dev = ipmp.netdev();
    if dev == group_dev {
        extack.set(format_args!("{} cannot be a member of itself", dev.name()));
        return Err(EINVAL);
    }
    if IpmpDev::from_netdev(dev).is_some() {
        extack.set(format_args!(
            "{} is an IPMP interface: IPMP groups cannot be nested",
            dev.name()
        ));
        return Err(EINVAL);
    }
    if dev.is_loopback() {
        extack.set(format_args!(
            "{} is a loopback device: IPMP members must be Ethernet",
            dev.name()
        ));
        return Err(EINVAL);
    }
    if !dev.is_ethernet() {
        extack.set(format_args!(
            "{} is not Ethernet (link type {}): IPMP members must be Ethernet",
            dev.name(),
            dev.link_type()
        ));
        return Err(EINVAL);
    }
    if let Some(master) = dev.master(rtnl) {
        if IpmpDev::from_netdev(master).is_some() {
            extack.set(format_args!(
                "{} is already a member of IPMP group {}",
                dev.name(),
                master.name()
            ));
        } else {
            extack.set(format_args!(
                "{} is already enslaved to {}",
                dev.name(),
                master.name()
            ));
        }
        return Err(EBUSY);
    }
    if dev.rx_handler_busy(rtnl) {
        extack.set(format_args!(
            "{} is in use by another rx handler (e.g. macvlan)",
            dev.name()
        ));
        return Err(EBUSY);
    }
    let table = ipmp.group().members_rtnl(rtnl).ok_or(ENODEV)?;
    let Some(id) = table.free_id().filter(|_| table.len() < MAX_MEMBERS) else {
        extack.set(format_args!(
            "{} is full ({} members)",
            group_dev.name(),
            MAX_MEMBERS
        ));
        return Err(ENOSPC);
    };

    let member = rxhandler::attach_member(dev, ipmp, id, rtnl).inspect_err(|_| {
        extack.set(format_args!(
            "{}: cannot register the receive handler",
            dev.name()
        ));
    })?;
    refresh_member_own_kinds(&member, rtnl);
    if let Err(e) = dev.link_master(group_dev, extack, rtnl) {
        rxhandler::detach_member(dev, rtnl);
        return Err(e);
    }
    if let Err(e) = rxfilter::join_flags(ipmp, &member, rtnl) {
        extack.set(format_args!(
            "{}: cannot take {}'s promiscuous/all-multicast state",
            dev.name(),
            group_dev.name()
        ));
        dev.unlink_master(group_dev, rtnl);
        rxhandler::detach_member(dev, rtnl);
        return Err(e);
    }
    let added = member.clone();
    let changed = match ipmp.group().update(rtnl, |t| t.push(member)) {
        Ok(changed) => changed,
        Err(e) => {
            rxfilter::leave(ipmp, &added, rtnl);
            dev.unlink_master(group_dev, rtnl);
            rxhandler::detach_member(dev, rtnl);
            return Err(e);
        }
    };
    rxfilter::join_lists(ipmp, &added);
    if netdev::net_ratelimit() {
        pr_info!("{}: {} joined the group\n", group_dev.name(), dev.name());
    }
    refresh_link_state(ipmp, rtnl);
    genl_msgs::notify_member(&added, uapi::EVENT_MEMBER_ADDED, rtnl);
    notify_changed(ipmp, changed & !(1 << id), rtnl);
    Ok(())
}

/// Removes `dev` from `ipmp` (`nomaster`, member unregistration) and
/// updates the group's carrier and MTU. `ENOENT` if `dev` is not a member.
pub(crate) fn remove_member(ipmp: &IpmpDev, dev: &NetDev, rtnl: &mut Rtnl<'_>) -> Result {
    detach_member(ipmp, dev, rtnl)?;
    refresh_link_state(ipmp, rtnl);
    Ok(())
}

/// Takes `dev` out of the group. Cannot fail for a member: the spare table
/// exists (no allocation) and only shrinks.
fn detach_member(ipmp: &IpmpDev, dev: &NetDev, rtnl: &mut Rtnl<'_>) -> Result {
    let group = ipmp.group();
    if group.members_rtnl(rtnl).and_then(|t| t.find(dev)).is_none() {
        return Err(ENOENT);
    }
    if rxhandler::member_of(dev, rtnl).is_none() {
        return Err(ENOENT);
    }
    // Unpublish first, so that no reader picks the member while it is
    // being detached.
    let leaving = group.members_rtnl(rtnl).and_then(|t| t.find(dev)).cloned();
    let mut id = None;
    let changed = group.update(rtnl, |t| {
        id = t.remove(dev);
        Ok(())
    })?;
    if let Some(m) = &leaving {
        genl_msgs::notify_member(m, uapi::EVENT_MEMBER_REMOVED, rtnl);
    }
    notify_changed(ipmp, changed, rtnl);
    if let Some(m) = &leaving {
        rxfilter::leave(ipmp, m, rtnl);
    }
    dev.unlink_master(ipmp.netdev(), rtnl);
    rxhandler::detach_member(dev, rtnl);
    // Its id may be reused by the next member, which must start without
    // this one's flows. Readers that still saw the old id went away with
    // the grace period of `update`.
    if let (Some(id), Some(flows)) = (id, group.flows_rtnl(rtnl)) {
        flows.forget_member(id);
    }
    if netdev::net_ratelimit() {
        pr_info!("{}: {} left the group\n", ipmp.netdev().name(), dev.name());
    }
    Ok(())
}

/// Removes every member (the group device is going away: its carrier and
/// MTU no longer matter, and changing them would notify about a device
/// that is being unregistered).
pub(crate) fn remove_all_members(ipmp: &IpmpDev, rtnl: &mut Rtnl<'_>) {
    loop {
        // A reference of our own: the table it comes from is replaced by
        // the detaching.
        let first = ipmp
            .group()
            .members_rtnl(rtnl)
            .and_then(|t| t.iter().next())
            .cloned();
        let Some(member) = first else { break };
        if detach_member(ipmp, member.dev(), rtnl).is_err() {
            break;
        }
    }
}

/// Sets a member's flags (`uapi::MEMBER_F_*` in `mask` to their values in
/// `flags`) and applies the consequences.
pub(crate) fn set_member_flags(
    ipmp: &IpmpDev,
    member: &Member,
    flags: u32,
    mask: u32,
    rtnl: &mut Rtnl<'_>,
) -> Result {
    member.set_flags(flags, mask);
    refresh_active_set(ipmp, Some(member), rtnl)
}

/// Replaces the group's data addresses (from the address sync work).
pub(crate) fn set_addresses(ipmp: &IpmpDev, addrs: &[Addr], rtnl: &mut Rtnl<'_>) {
    let result = ipmp.group().update(rtnl, |t| {
        t.set_addresses(addrs);
        Ok(())
    });
    match result {
        Ok(changed) => notify_changed(ipmp, changed, rtnl),
        Err(e) => pr_warn!("{}: cannot bind addresses: {:?}\n", ipmp.netdev().name(), e),
    }
}

/// Rereads which kinds of address every member owns (after address
/// events on members: an added address was already recorded by the
/// notifier; a removed one is forgotten here).
pub(crate) fn refresh_own_kinds(ipmp: &IpmpDev, rtnl: &Rtnl<'_>) {
    if let Some(table) = ipmp.group().members_rtnl(rtnl) {
        for member in table.iter() {
            refresh_member_own_kinds(member, rtnl);
        }
    }
}

/// Reads which kinds of address `member` owns from its address lists; a
/// member with more addresses than are read is taken to own both kinds.
fn refresh_member_own_kinds(member: &Member, rtnl: &Rtnl<'_>) {
    let mut addrs = [Addr::default(); MAX_ADDRS];
    let n = member.dev().ip_addresses(&mut addrs, rtnl);
    let kinds = match addrs.get(..n) {
        Some(read) if n < MAX_ADDRS => OwnKinds::of(read),
        _ => OwnKinds::ALL,
    };
    member.set_own_kinds(kinds);
}

/// Sets who applies the standby rule (`uapi::POLICY_*`).
pub(crate) fn set_policy(ipmp: &IpmpDev, policy: u8, rtnl: &mut Rtnl<'_>) -> Result {
    ipmp.group().set_policy(policy, rtnl);
    refresh_active_set(ipmp, None, rtnl)
}

/// Recomputes the active set and nominees after a member's state changed
/// (`member`'s carrier or flags, or the policy), then the group's carrier
/// and MTU, and tells listeners what changed.
pub(crate) fn refresh_active_set(
    ipmp: &IpmpDev,
    member: Option<&Member>,
    rtnl: &mut Rtnl<'_>,
) -> Result {
    let mut changed = ipmp.group().update(rtnl, |_| Ok(()))?;
    refresh_link_state(ipmp, rtnl);
    if let Some(m) = member {
        changed |= 1 << m.id();
    }
    notify_changed(ipmp, changed, rtnl);
    Ok(())
}

/// Tells listeners about each member id set in `ids`: a MEMBER_CHANGED
/// event of the family, and an RTM_NEWLINK of the member (its
/// IFLA_INFO_SLAVE_DATA) and of the group (its state and active count),
/// as bonding does for its slaves, so that `ip monitor link`, NetworkManager
/// and networkd see failovers.
fn notify_changed(ipmp: &IpmpDev, ids: u32, rtnl: &Rtnl<'_>) {
    let Some(table) = ipmp.group().members_rtnl(rtnl) else {
        return;
    };
    for m in table.iter().filter(|m| ids & (1 << m.id()) != 0) {
        genl_msgs::notify_member(m, uapi::EVENT_MEMBER_CHANGED, rtnl);
        m.dev()
            .notify_lower_state(m.dev().is_usable(), table.is_active(m.id()), rtnl);
    }
    if ids != 0 {
        ipmp.netdev().notify_info_data(rtnl);
    }
}

/// Recomputes what the group device derives from its members: carrier
/// (on while any member is active), TSO limits (the smallest), the room
/// senders leave (the largest) and MTU: the smallest member MTU (also
/// the ceiling for `ip link set itops0 mtu`), or the administrator's MTU
/// if that is smaller.
pub(crate) fn refresh_link_state(ipmp: &IpmpDev, rtnl: &Rtnl<'_>) {
    let group_dev = ipmp.netdev();
    let group = ipmp.group();
    let table = group.members_rtnl(rtnl);
    let carrier = table.is_some_and(|t| !t.active_ids().is_empty());
    group_dev.set_carrier(carrier);

    // The group's super-frames must fit every member: the smallest TSO
    // limits among them.
    let tso = table.and_then(|t| {
        t.iter()
            .map(|m| m.dev().tso_limits())
            .reduce(|(size, segs), (s, n)| (size.min(s), segs.min(n)))
    });
    if let Some((size, segs)) = tso {
        if tso != Some(group_dev.tso_limits()) {
            group_dev.set_tso_limits(size, segs, rtnl);
        }
    }

    // Frames built for the group go out through a member unchanged in
    // size (all members are Ethernet): leave the room the hungriest
    // member's driver asks for, so it need not reallocate each frame.
    let room = table.map_or((0, 0), |members| {
        members
            .iter()
            .map(|m| m.dev().needed_room())
            .fold((0, 0), |(head, tail), (h, t)| (head.max(h), tail.max(t)))
    });
    if room != group_dev.needed_room() {
        group_dev.set_needed_room(room.0, room.1, rtnl);
    }

    let min_mtu = table.and_then(|t| t.iter().map(|m| m.dev().mtu()).min());
    let ceiling = min_mtu.unwrap_or(MAX_MTU_NO_MEMBERS);
    group_dev.set_max_mtu(ceiling, rtnl);
    let admin = group.admin_mtu();
    let mtu = match (min_mtu, admin) {
        (Some(min), 0) => min,
        (_, admin) if admin != 0 => admin.min(ceiling),
        _ => return,
    };
    if group_dev.mtu() != mtu {
        if let Err(e) = group_dev.set_mtu(mtu, rtnl) {
            pr_warn!(
                "{}: cannot follow member MTU {}: {:?}\n",
                group_dev.name(),
                mtu,
                e
            );
        }
    }
}

/// `ndo_change_mtu` for an administrator's request (the group's own
/// changes, from `refresh_link_state`, only store the value): `mtu`
/// passed the core's checks (at most the smallest member MTU). It is kept
/// as a ceiling across member events; setting the ceiling itself means
/// "follow the members" again.
pub(crate) fn change_mtu(ipmp: &IpmpDev, mtu: u32, rtnl: &Rtnl<'_>) {
    let group = ipmp.group();
    let members_min = group
        .members_rtnl(rtnl)
        .and_then(|t| t.iter().map(|m| m.dev().mtu()).min());
    let ceiling = members_min.unwrap_or(MAX_MTU_NO_MEMBERS);
    let admin = if mtu >= ceiling { 0 } else { mtu };
    group.set_admin_mtu(admin, rtnl);
    ipmp.netdev().write_mtu(mtu);
}

/// What `ethtool itops0` reports: the sum of the speeds of the active
/// members whose speed is known, full duplex only if all of them are;
/// `None` without such a member.
pub(crate) fn link_speed(ipmp: &IpmpDev, rtnl: &Rtnl<'_>) -> Option<LinkSpeed> {
    let table = ipmp.group().members_rtnl(rtnl)?;
    table
        .iter()
        .filter(|m| table.is_active(m.id()))
        .filter_map(|m| m.dev().link_speed(rtnl))
        .reduce(|sum, link| LinkSpeed {
            speed_mbps: sum.speed_mbps.saturating_add(link.speed_mbps),
            full_duplex: sum.full_duplex && link.full_duplex,
        })
}
