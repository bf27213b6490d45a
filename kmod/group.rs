// SPDX-License-Identifier: GPL-2.0
//! An IPMP group: the private state of an `ipmp` net device and its
//! member table.
//!
//! # Locking
//! - Membership changes (add, remove, release on unregister) happen under
//!   RTNL only; the functions take an [`Rtnl`] token.
//! - The member table is published with RCU ([`RcuBox`]). Readers (the
//!   transmit path; later the receive path) take an [`RcuGuard`] and see a
//!   consistent snapshot. A writer fills the *spare* table, publishes it,
//!   waits a grace period, and keeps the old one as the next spare: after
//!   `ndo_init` no membership change allocates, so removal cannot fail.
//! - A [`Member`] is reference counted: one reference per table that lists
//!   it, one held by the member device's rx_handler_data. The device it
//!   points to is valid while it is a member: it is released at
//!   NETDEV_UNREGISTER, before the kernel can free it.

use crate::binding::Addr;
use crate::delayed_work::GroupWork;
use crate::flowtab::FlowTable;
use crate::genl;
use crate::link;
use crate::netdev::{self, ExtAck, LinkSpeed, NetDev};
use crate::policy::MAX_MEMBERS;
use crate::rcu::{RcuBox, RcuGuard};
use crate::rtnl::{Rtnl, RtnlCell};
use crate::rxfilter;
use crate::table::{Member, MemberTable};
use crate::uapi;

pub(crate) use crate::ipmpdev::IpmpDev;
use core::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use kernel::prelude::*;

/// Default MTU ceiling of a group without members.
const MAX_MTU_NO_MEMBERS: u32 = 65535;

/// The private area of an `ipmp` net device.
pub(crate) struct Group {
    /// Published member table; null before `ndo_init` and after
    /// `ndo_uninit`.
    members: RcuBox<MemberTable>,
    /// The unpublished table the next change is built in.
    spare: RtnlCell<Option<KBox<MemberTable>>>,
    /// Flow to member assignments; allocated in `ndo_init`, freed with
    /// the tables in `ndo_uninit` (after a grace period).
    flows: RcuBox<FlowTable>,
    /// `uapi::POLICY_*`: who applies the standby rule.
    policy: AtomicU8,
    /// The group name (`ipmpstat -g` GROUPNAME); empty: the interface name.
    name: RtnlCell<([u8; uapi::GROUP_NAME_MAX], usize)>,
    /// How many times, and how many ms apart, a moved address is announced.
    announce_count: AtomicU32,
    announce_interval_ms: AtomicU32,
    /// The MTU an administrator set on the group (`ip link set itops0
    /// mtu N`), kept across member events as a ceiling; 0: follow the
    /// smallest member MTU. Under RTNL.
    admin_mtu: AtomicU32,
    /// Address syncing and announcements.
    pub(crate) work: GroupWork,
}

impl Group {
    /// An empty group, before `ndo_init`.
    pub(crate) const fn new() -> Self {
        Self {
            members: RcuBox::empty(),
            spare: RtnlCell::new(None),
            flows: RcuBox::empty(),
            policy: AtomicU8::new(uapi::POLICY_KERNEL),
            name: RtnlCell::new(([0; uapi::GROUP_NAME_MAX], 0)),
            announce_count: AtomicU32::new(uapi::ANNOUNCE_COUNT_DEFAULT),
            announce_interval_ms: AtomicU32::new(uapi::ANNOUNCE_INTERVAL_DEFAULT),
            admin_mtu: AtomicU32::new(0),
            work: GroupWork::new(),
        }
    }

    /// Allocates the two member tables (`ndo_init`).
    pub(crate) fn init(&self, rtnl: &mut Rtnl<'_>) -> Result {
        let published = MemberTable::new_boxed()?;
        let spare = MemberTable::new_boxed()?;
        let flows = KBox::new(FlowTable::new(), GFP_KERNEL)?;
        *self.spare.get_mut(rtnl) = Some(spare);
        let _ = self.members.replace(Some(published), rtnl);
        let _ = self.flows.replace(Some(flows), rtnl);
        genl::bump_generation(rtnl);
        Ok(())
    }

    /// Frees the tables (`ndo_uninit`, after every member was released).
    pub(crate) fn destroy(&self, rtnl: &mut Rtnl<'_>) {
        genl::bump_generation(rtnl);
        drop(self.members.replace(None, rtnl));
        drop(self.spare.get_mut(rtnl).take());
        drop(self.flows.replace(None, rtnl));
    }

    /// The published member table, for a reader under RCU.
    pub(crate) fn table<'a>(&'a self, rcu: &'a RcuGuard) -> Option<&'a MemberTable> {
        self.members.read(rcu)
    }

    /// The flow table, for a reader under RCU.
    pub(crate) fn flows<'a>(&'a self, rcu: &'a RcuGuard) -> Option<&'a FlowTable> {
        self.flows.read(rcu)
    }

    /// `uapi::POLICY_*`.
    pub(crate) fn policy(&self) -> u8 {
        self.policy.load(Ordering::Relaxed)
    }

    /// The group name set from userspace, if any.
    pub(crate) fn name<'a>(&'a self, rtnl: &'a Rtnl<'_>) -> Option<&'a [u8]> {
        let (name, len) = self.name.get(rtnl);
        name.get(..*len).filter(|n| !n.is_empty())
    }

    /// Sets the group name (at most `uapi::GROUP_NAME_MAX` bytes).
    pub(crate) fn set_name(&self, new: &[u8], rtnl: &mut Rtnl<'_>) {
        genl::bump_generation(rtnl);
        let (name, len) = self.name.get_mut(rtnl);
        let n = new.len().min(name.len());
        if let (Some(dst), Some(src)) = (name.get_mut(..n), new.get(..n)) {
            dst.copy_from_slice(src);
            *len = n;
        }
    }

    /// Announcements per move.
    pub(crate) fn announce_count(&self) -> u32 {
        self.announce_count.load(Ordering::Relaxed)
    }

    /// Milliseconds between announcements.
    pub(crate) fn announce_interval_ms(&self) -> u32 {
        self.announce_interval_ms.load(Ordering::Relaxed)
    }

    /// Sets the announcements per move.
    pub(crate) fn set_announce_count(&self, count: u32) {
        self.announce_count.store(count, Ordering::Relaxed);
    }

    /// Sets the milliseconds between announcements.
    pub(crate) fn set_announce_interval_ms(&self, ms: u32) {
        self.announce_interval_ms.store(ms, Ordering::Relaxed);
    }

    /// The member table, for the writer side.
    pub(crate) fn members_rtnl<'a>(&'a self, rtnl: &'a Rtnl<'_>) -> Option<&'a MemberTable> {
        self.members.read_rtnl(rtnl)
    }

    /// Publishes a copy of the current table changed by `edit`, with the
    /// active set and nominees recomputed.
    ///
    /// Returns the ids of the members whose activity or nominee roles
    /// changed (a bit per id).
    fn update(
        &self,
        rtnl: &mut Rtnl<'_>,
        edit: impl FnOnce(&mut MemberTable) -> Result,
    ) -> Result<u32> {
        let mut next = self.spare.get_mut(rtnl).take().ok_or(ENODEV)?;
        next.clear();
        let current = self.members.read_rtnl(rtnl);
        if let Some(current) = current {
            next.copy_from(current);
        }
        if let Err(e) = edit(&mut next) {
            next.clear();
            *self.spare.get_mut(rtnl) = Some(next);
            return Err(e);
        }
        let announce = next.recompute(self.policy(), current);
        let mut changed = next.iter().fold(0u32, |acc, m| {
            let id = m.id();
            let before = current.map(|c| (c.is_active(id), c.roles_of(id)));
            if before == Some((next.is_active(id), next.roles_of(id))) {
                acc
            } else {
                acc | 1 << id
            }
        });
        // Members that gained or lost a bound address changed too.
        for b in next.bindings() {
            let was = current.and_then(|c| c.bindings().iter().find(|o| o.addr == b.addr));
            let was = was.and_then(|o| o.member);
            if was != b.member {
                for id in [was, b.member].into_iter().flatten() {
                    changed |= 1u32.checked_shl(u32::from(id)).unwrap_or(0);
                }
            }
        }
        genl::bump_generation(rtnl);
        let mut old = self.members.replace(Some(next), rtnl);
        if let Some(old) = old.as_mut() {
            // Readers are gone (grace period in `replace`); this drops the
            // table's references, possibly the last one of a removed member.
            old.clear();
        }
        *self.spare.get_mut(rtnl) = old;
        if announce {
            self.work.start_announcing(self.announce_count());
        }
        Ok(changed)
    }
}

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

    let member = link::attach_member(dev, ipmp, id, rtnl).inspect_err(|_| {
        extack.set(format_args!(
            "{}: cannot register the receive handler",
            dev.name()
        ));
    })?;
    if let Err(e) = dev.link_master(group_dev, extack, rtnl) {
        link::detach_member(dev, rtnl);
        return Err(e);
    }
    if let Err(e) = rxfilter::join_flags(ipmp, &member, rtnl) {
        extack.set(format_args!(
            "{}: cannot take {}'s promiscuous/all-multicast state",
            dev.name(),
            group_dev.name()
        ));
        dev.unlink_master(group_dev, rtnl);
        link::detach_member(dev, rtnl);
        return Err(e);
    }
    let added = member.clone();
    let changed = match ipmp.group().update(rtnl, |t| t.push(member)) {
        Ok(changed) => changed,
        Err(e) => {
            rxfilter::leave(ipmp, &added, rtnl);
            dev.unlink_master(group_dev, rtnl);
            link::detach_member(dev, rtnl);
            return Err(e);
        }
    };
    rxfilter::join_lists(ipmp, &added);
    if netdev::net_ratelimit() {
        pr_info!("{}: {} joined the group\n", group_dev.name(), dev.name());
    }
    refresh_link_state(ipmp, rtnl);
    genl::notify_member(&added, uapi::EVENT_MEMBER_ADDED, rtnl);
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
    if link::member_of(dev, rtnl).is_none() {
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
        genl::notify_member(m, uapi::EVENT_MEMBER_REMOVED, rtnl);
    }
    notify_changed(ipmp, changed, rtnl);
    if let Some(m) = &leaving {
        rxfilter::leave(ipmp, m, rtnl);
    }
    dev.unlink_master(ipmp.netdev(), rtnl);
    link::detach_member(dev, rtnl);
    // Its id may be reused by the next member, which must start without
    // this one's flows. Readers that still saw the old id went away with
    // the grace period of `update`.
    if let (Some(id), Some(flows)) = (id, group.flows.read_rtnl(rtnl)) {
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

/// Sets who applies the standby rule (`uapi::POLICY_*`).
pub(crate) fn set_policy(ipmp: &IpmpDev, policy: u8, rtnl: &mut Rtnl<'_>) -> Result {
    ipmp.group().policy.store(policy, Ordering::Relaxed);
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

/// Sends a MEMBER_CHANGED event for each member id set in `ids`.
fn notify_changed(ipmp: &IpmpDev, ids: u32, rtnl: &Rtnl<'_>) {
    let Some(table) = ipmp.group().members_rtnl(rtnl) else {
        return;
    };
    for m in table.iter().filter(|m| ids & (1 << m.id()) != 0) {
        genl::notify_member(m, uapi::EVENT_MEMBER_CHANGED, rtnl);
    }
}

/// Recomputes what the group device derives from its members: carrier
/// (on while any member is active), TSO limits (the smallest) and MTU: the smallest member MTU (also
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

    let min_mtu = table.and_then(|t| t.iter().map(|m| m.dev().mtu()).min());
    let ceiling = min_mtu.unwrap_or(MAX_MTU_NO_MEMBERS);
    group_dev.set_max_mtu(ceiling, rtnl);
    let admin = group.admin_mtu.load(Ordering::Relaxed);
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
    group.admin_mtu.store(admin, Ordering::Relaxed);
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
