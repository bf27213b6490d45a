// SPDX-License-Identifier: GPL-2.0
//! An IPMP group: the private state of an `ipmp` net device and its
//! member table. What changes it (membership, flags, addresses) is in
//! `membership`.
//!
//! # Locking
//! - Membership changes (add, remove, release on unregister) happen under
//!   RTNL only; the functions take an [`Rtnl`] token.
//! - The member table is published with RCU ([`RcuBox`]). Readers (the
//!   transmit and receive paths) hold an [`RcuGuard`] and see a
//!   consistent snapshot. A writer fills a new table, publishes it and
//!   has the old one freed after a grace period (`call_rcu()`), without
//!   waiting; if it cannot allocate, it fills the *spare* table instead,
//!   publishes it, waits a grace period, and keeps the old one as the next
//!   spare, so that removal never fails for want of memory. A change that
//!   leaves what readers see as it was publishes nothing.
//! - A `Member` is reference counted: one reference per table that lists
//!   it, one held by the member device's rx_handler_data. It holds a
//!   reference on its device and on the group device, so both outlive it;
//!   it is released at the member's NETDEV_UNREGISTER (and in the group's
//!   `ndo_uninit`), before the kernel waits for the devices' references.

use crate::delayed_work::GroupWork;
use crate::flowtab::{self, FlowTable};
use crate::genl_wire;
use crate::rcu::{RcuBox, RcuGuard, RcuNode};
use crate::rtnl::{Rtnl, RtnlCell};
use crate::table::MemberTable;
use crate::uapi;

use core::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use kernel::prelude::*;

/// A group's flow table, over kvmalloc'd storage (`flowtab::MEMORY_BYTES`).
pub(crate) type Flows = FlowTable<KVVec<AtomicU64>, KVVec<AtomicU32>>;

// What docs/design.md states a group's flow table costs.
const _: () = assert!(flowtab::MEMORY_BYTES == 288 * 1024);

/// An empty flow table.
fn new_flows() -> Result<KBox<RcuNode<Flows>>> {
    let mut entries = KVVec::with_capacity(flowtab::ENTRIES, GFP_KERNEL)?;
    for _ in 0..flowtab::ENTRIES {
        entries.push(AtomicU64::new(0), GFP_KERNEL)?;
    }
    let mut slots = KVVec::with_capacity(flowtab::SLOTS, GFP_KERNEL)?;
    for _ in 0..flowtab::SLOTS {
        slots.push(AtomicU32::new(0), GFP_KERNEL)?;
    }
    let flows = FlowTable::new(entries, slots).ok_or(EINVAL)?;
    RcuNode::new_boxed(flows)
}

/// The private area of an `ipmp` net device.
pub(crate) struct Group {
    /// Published member table; null before `ndo_init` and after
    /// `ndo_uninit`.
    members: RcuBox<MemberTable>,
    /// The unpublished table the next change is built in.
    spare: RtnlCell<Option<KBox<RcuNode<MemberTable>>>>,
    /// Flow to member assignments; allocated in `ndo_init`, freed with
    /// the tables in `ndo_uninit` (after a grace period).
    flows: RcuBox<Flows>,
    /// `uapi::POLICY_*`: who applies the standby rule.
    policy: AtomicU8,
    /// The group name (`ipmpstat -g` GROUPNAME); empty: the interface name.
    name: GroupName,
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

/// A group name, readable without RTNL's token: bytes in atomics.
/// Written only under RTNL (`write` takes the token) and read under RTNL
/// (netlink replies and rtnetlink's fill callbacks), so a reader never
/// sees half of a change.
struct GroupName {
    bytes: [AtomicU8; uapi::GROUP_NAME_MAX],
    len: AtomicUsize,
}

/// A copy of a group name.
#[derive(Clone, Copy)]
pub(crate) struct NameBuf {
    bytes: [u8; uapi::GROUP_NAME_MAX],
    len: usize,
}

impl NameBuf {
    /// The name's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

impl GroupName {
    const fn new() -> Self {
        Self {
            bytes: [const { AtomicU8::new(0) }; uapi::GROUP_NAME_MAX],
            len: AtomicUsize::new(0),
        }
    }

    fn read(&self) -> NameBuf {
        let mut out = NameBuf {
            bytes: [0; uapi::GROUP_NAME_MAX],
            len: self.len.load(Ordering::Relaxed).min(uapi::GROUP_NAME_MAX),
        };
        for (dst, src) in out.bytes.iter_mut().zip(&self.bytes) {
            *dst = src.load(Ordering::Relaxed);
        }
        out
    }

    fn write(&self, new: &[u8], _rtnl: &mut Rtnl<'_>) {
        let n = new.len().min(uapi::GROUP_NAME_MAX);
        for (dst, src) in self.bytes.iter().zip(new.iter().take(n)) {
            dst.store(*src, Ordering::Relaxed);
        }
        self.len.store(n, Ordering::Relaxed);
    }
}

impl Group {
    /// An empty group, before `ndo_init`.
    pub(crate) const fn new() -> Self {
        Self {
            members: RcuBox::empty(),
            spare: RtnlCell::new(None),
            flows: RcuBox::empty(),
            policy: AtomicU8::new(uapi::POLICY_KERNEL),
            name: GroupName::new(),
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
        let flows = new_flows()?;
        *self.spare.get_mut(rtnl) = Some(spare);
        let _ = self.members.replace(Some(published), rtnl);
        let _ = self.flows.replace(Some(flows), rtnl);
        genl_wire::bump_generation(rtnl);
        Ok(())
    }

    /// Frees the tables (`ndo_uninit`, after every member was released).
    pub(crate) fn destroy(&self, rtnl: &mut Rtnl<'_>) {
        genl_wire::bump_generation(rtnl);
        drop(self.members.replace(None, rtnl));
        drop(self.spare.get_mut(rtnl).take());
        drop(self.flows.replace(None, rtnl));
    }

    /// The published member table, for a reader under RCU.
    pub(crate) fn table<'a>(&'a self, rcu: &'a RcuGuard) -> Option<&'a MemberTable> {
        self.members.read(rcu)
    }

    /// The flow table, for a reader under RCU.
    pub(crate) fn flows<'a>(&'a self, rcu: &'a RcuGuard) -> Option<&'a Flows> {
        self.flows.read(rcu)
    }

    /// The flow table, for the writer side.
    pub(crate) fn flows_rtnl<'a>(&'a self, rtnl: &'a Rtnl<'_>) -> Option<&'a Flows> {
        self.flows.read_rtnl(rtnl)
    }

    /// `uapi::POLICY_*`.
    pub(crate) fn policy(&self) -> u8 {
        self.policy.load(Ordering::Relaxed)
    }

    /// Sets who applies the standby rule (under RTNL; `membership`
    /// recomputes the active set).
    pub(crate) fn set_policy(&self, policy: u8, _rtnl: &Rtnl<'_>) {
        self.policy.store(policy, Ordering::Relaxed);
    }

    /// The group name set from userspace, if any (a copy: also read by
    /// rtnetlink's fill callbacks, which may run inside the module's own
    /// RTNL section and so get no token).
    pub(crate) fn name(&self) -> Option<NameBuf> {
        let name = self.name.read();
        (!name.as_bytes().is_empty()).then_some(name)
    }

    /// Sets the group name (at most `uapi::GROUP_NAME_MAX` bytes).
    pub(crate) fn set_name(&self, new: &[u8], rtnl: &mut Rtnl<'_>) {
        genl_wire::bump_generation(rtnl);
        self.name.write(new, rtnl);
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

    /// A table `update` built but did not publish: freed, or back to
    /// being the spare.
    fn unused(&self, mut table: KBox<RcuNode<MemberTable>>, fresh: bool, rtnl: &mut Rtnl<'_>) {
        if !fresh {
            table.clear();
            *self.spare.get_mut(rtnl) = Some(table);
        }
    }

    /// The administrator's MTU ceiling; 0: follow the members.
    pub(crate) fn admin_mtu(&self) -> u32 {
        self.admin_mtu.load(Ordering::Relaxed)
    }

    /// Sets the administrator's MTU ceiling (under RTNL).
    pub(crate) fn set_admin_mtu(&self, mtu: u32, _rtnl: &Rtnl<'_>) {
        self.admin_mtu.store(mtu, Ordering::Relaxed);
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
    pub(crate) fn update(
        &self,
        rtnl: &mut Rtnl<'_>,
        edit: impl FnOnce(&mut MemberTable) -> Result,
    ) -> Result<u32> {
        // A new table, freed after a grace period without waiting for one;
        // without memory, the spare, published with a wait (so that
        // removing a member cannot fail).
        let (mut next, deferred) = match MemberTable::new_boxed() {
            Ok(fresh) => (fresh, true),
            Err(_) => (self.spare.get_mut(rtnl).take().ok_or(ENODEV)?, false),
        };
        next.clear();
        let current = self.members.read_rtnl(rtnl);
        if let Some(current) = current {
            next.copy_from(current);
        }
        if let Err(e) = edit(&mut next) {
            self.unused(next, deferred, rtnl);
            return Err(e);
        }
        let announce = next.recompute(self.policy(), current);
        if current.is_some_and(|c| next.same_as(c)) {
            // Nothing readers see changed (a flag or carrier change that
            // moves no member in or out of the active set, an address
            // event that binds nothing anew): no publish, no grace period.
            // (Member flags, which dumps show, may have changed.)
            genl_wire::bump_generation(rtnl);
            self.unused(next, deferred, rtnl);
            return Ok(0);
        }
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
        genl_wire::bump_generation(rtnl);
        if deferred {
            // The old table (and with it the last reference to a removed
            // member) goes after the grace period; callers that need its
            // readers gone wait for one themselves (removal does, in
            // `rxhandler::detach_member`).
            self.members.replace_deferred(Some(next), rtnl);
        } else {
            let mut old = self.members.replace(Some(next), rtnl);
            if let Some(old) = old.as_mut() {
                // Readers are gone (grace period in `replace`); this drops
                // the table's references.
                old.clear();
            }
            *self.spare.get_mut(rtnl) = old;
        }
        if announce {
            self.work.start_announcing(self.announce_count());
        }
        Ok(changed)
    }
}
