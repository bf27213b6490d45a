// SPDX-License-Identifier: GPL-2.0
//! Members and the member table: who is in a group, who is active, who is
//! nominated for broadcast and multicast.
//!
//! A [`MemberTable`] is an immutable snapshot once published (see
//! `group`): readers on the fast path find everything they need in it
//! without locks. Slots are indexed by member id (`0..MAX_MEMBERS`, stable
//! while the member stays, reused after it leaves), so the flow table can
//! name members by a byte.

use crate::binding::{self, Addr, Binding, MAX_ADDRS};
use crate::frames::{OwnKinds, Role};
use crate::ipmpdev::{IpmpDev, IpmpDevRef};
use crate::netdev::{DevRef, NetDev};
use crate::policy::{self, MemberState, MAX_MEMBERS};
use crate::rcu::RcuNode;
use crate::uapi;
use core::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use kernel::{prelude::*, sync::Arc};

/// An underlying interface in a group.
pub(crate) struct Member {
    /// The member device, held for as long as the entry lives.
    dev: DevRef,
    /// The group's device, likewise.
    group: IpmpDevRef,
    id: u8,
    /// `uapi::MEMBER_F_*`: written under RTNL, read anywhere.
    flags: AtomicU32,
    /// `IFF_PROMISC`/`IFF_ALLMULTI`: the counts this member's device holds
    /// for the group (see `rxfilter`); written under RTNL.
    rx_flags: AtomicU32,
    /// `OwnKinds` bits: which of the member's own addresses the receive
    /// path must look for (`membership::refresh_own_kinds`).
    own: AtomicU8,
}

impl Member {
    /// A member entry for `dev` in `group`, with id `id`.
    pub(crate) fn new(dev: &NetDev, group: &IpmpDev, id: u8) -> Self {
        Self {
            dev: DevRef::new(dev),
            group: IpmpDevRef::new(group),
            id,
            flags: AtomicU32::new(0),
            rx_flags: AtomicU32::new(0),
            own: AtomicU8::new(OwnKinds::ALL.bits()),
        }
    }

    /// The member device.
    pub(crate) fn dev(&self) -> &NetDev {
        self.dev.get()
    }

    /// The group device.
    pub(crate) fn group(&self) -> &IpmpDev {
        self.group.get()
    }

    /// The member's id within its group.
    pub(crate) fn id(&self) -> u8 {
        self.id
    }

    /// `uapi::MEMBER_F_*` flags.
    pub(crate) fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// Sets the flags in `mask` to their values in `flags`.
    pub(crate) fn set_flags(&self, flags: u32, mask: u32) {
        let mask = mask & uapi::MEMBER_F_ALL;
        let old = self.flags();
        self.flags
            .store((old & !mask) | (flags & mask), Ordering::Relaxed);
    }

    /// The `IFF_PROMISC`/`IFF_ALLMULTI` counts held on the member's device
    /// for the group.
    pub(crate) fn rx_flags(&self) -> u32 {
        self.rx_flags.load(Ordering::Relaxed)
    }

    /// Records the counts held for the group (under RTNL).
    pub(crate) fn set_rx_flags(&self, flags: u32) {
        self.rx_flags.store(flags, Ordering::Relaxed);
    }

    /// The kinds of address the member owns (all of them until it is
    /// known: see `membership::refresh_own_kinds`).
    pub(crate) fn own_kinds(&self) -> OwnKinds {
        OwnKinds::from_bits(self.own.load(Ordering::Relaxed))
    }

    /// Records the kinds of address the member owns, read from its lists.
    pub(crate) fn set_own_kinds(&self, kinds: OwnKinds) {
        self.own.store(kinds.bits(), Ordering::Relaxed);
    }

    /// An address was added to the member: from now on it is looked for,
    /// in any context (the IPv6 chain may run in softirq).
    pub(crate) fn add_own(&self, addr: &Addr) {
        self.own
            .fetch_or(OwnKinds::NONE.with(addr).bits(), Ordering::Relaxed);
    }

    /// Up with carrier and neither failed nor offline (it may still be
    /// inactive): what counts for the group state.
    pub(crate) fn functioning(&self) -> bool {
        self.dev().is_usable()
            && self.flags() & (uapi::MEMBER_F_FAILED | uapi::MEMBER_F_OFFLINE) == 0
    }

    fn state(&self) -> MemberState {
        MemberState {
            usable: self.dev().is_usable(),
            flags: self.flags(),
        }
    }
}

/// The `uapi::NOMINEE_*` bit of a role.
pub(crate) fn role_bit(role: Role) -> u32 {
    match role {
        Role::V4Multicast => uapi::NOMINEE_V4_MULTICAST,
        Role::V4Broadcast => uapi::NOMINEE_V4_BROADCAST,
        Role::V6Multicast => uapi::NOMINEE_V6_MULTICAST,
    }
}

/// A snapshot of a group's members.
pub(crate) struct MemberTable {
    /// Members by id.
    by_id: [Option<Arc<Member>>; MAX_MEMBERS],
    /// Ids in the order the members joined (the first `len` entries).
    order: [u8; MAX_MEMBERS],
    len: usize,
    /// Active ids, in join order (the first `n_active` entries).
    active: [u8; MAX_MEMBERS],
    n_active: usize,
    /// Nominee id per [`Role`].
    nominees: [Option<u8>; 3],
    /// The group's data addresses and their members (the first
    /// `n_bindings` entries).
    bindings: [Binding; MAX_ADDRS],
    n_bindings: usize,
}

impl MemberTable {
    /// An empty table, boxed (it is too large for the stack of some
    /// callers).
    pub(crate) fn new_boxed() -> Result<KBox<RcuNode<Self>>> {
        RcuNode::new_boxed(Self {
            by_id: [const { None }; MAX_MEMBERS],
            order: [0; MAX_MEMBERS],
            len: 0,
            active: [0; MAX_MEMBERS],
            n_active: 0,
            nominees: [None; 3],
            bindings: [Binding::default(); MAX_ADDRS],
            n_bindings: 0,
        })
    }

    /// The members, in join order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Arc<Member>> {
        self.order
            .iter()
            .take(self.len)
            .filter_map(|&id| self.member(id))
    }

    /// The member with id `id`.
    pub(crate) fn member(&self, id: u8) -> Option<&Arc<Member>> {
        self.by_id.get(usize::from(id))?.as_ref()
    }

    /// How many members.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The ids of the active members, in join order.
    pub(crate) fn active_ids(&self) -> &[u8] {
        self.active.get(..self.n_active).unwrap_or(&[])
    }

    /// Whether member `id` is active.
    pub(crate) fn is_active(&self, id: u8) -> bool {
        self.active_ids().contains(&id)
    }

    /// The nominee for `role`.
    pub(crate) fn nominee(&self, role: Role) -> Option<&Arc<Member>> {
        self.nominees[role as usize].and_then(|id| self.member(id))
    }

    /// The `uapi::NOMINEE_*` roles member `id` holds.
    pub(crate) fn roles_of(&self, id: u8) -> u32 {
        Role::ALL
            .iter()
            .filter(|&&r| self.nominees[r as usize] == Some(id))
            .fold(0, |acc, &r| acc | role_bit(r))
    }

    /// Becomes a copy of `other`.
    pub(crate) fn copy_from(&mut self, other: &MemberTable) {
        self.by_id.clone_from(&other.by_id);
        self.order = other.order;
        self.len = other.len;
        self.active = other.active;
        self.n_active = other.n_active;
        self.nominees = other.nominees;
        self.bindings = other.bindings;
        self.n_bindings = other.n_bindings;
    }

    /// Whether the table says the same as `other`: the same member
    /// entries in the same order, active set, nominees and bindings (what
    /// readers see; publishing it again would change nothing).
    pub(crate) fn same_as(&self, other: &MemberTable) -> bool {
        let same_members = self
            .by_id
            .iter()
            .zip(&other.by_id)
            .all(|(a, b)| match (a, b) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            });
        same_members
            && self.order.get(..self.len) == other.order.get(..other.len)
            && self.active_ids() == other.active_ids()
            && self.nominees == other.nominees
            && self.bindings() == other.bindings()
    }

    /// Drops every member reference.
    pub(crate) fn clear(&mut self) {
        for slot in self.by_id.iter_mut() {
            *slot = None;
        }
        self.len = 0;
        self.n_active = 0;
        self.nominees = [None; 3];
        self.n_bindings = 0;
    }

    /// The bindings of the group's data addresses.
    pub(crate) fn bindings(&self) -> &[Binding] {
        self.bindings.get(..self.n_bindings).unwrap_or(&[])
    }

    /// The member `addr` is bound to.
    pub(crate) fn bound_member(&self, addr: Addr) -> Option<&Arc<Member>> {
        let binding = self.bindings().iter().find(|b| b.addr == addr)?;
        self.member(binding.member?)
    }

    /// Replaces the data addresses, keeping the bindings of those that
    /// stay (at most `MAX_ADDRS`; the rest stay unbound and unannounced).
    pub(crate) fn set_addresses(&mut self, addrs: &[Addr]) {
        let mut next = [Binding::default(); MAX_ADDRS];
        let mut n = 0;
        for (slot, &addr) in next.iter_mut().zip(addrs) {
            let member = self
                .bindings()
                .iter()
                .find(|b| b.addr == addr)
                .and_then(|b| b.member);
            *slot = Binding { addr, member };
            n += 1;
        }
        self.bindings = next;
        self.n_bindings = n;
    }

    /// The lowest id no member uses.
    pub(crate) fn free_id(&self) -> Option<u8> {
        let id = self.by_id.iter().position(Option::is_none)?;
        u8::try_from(id).ok()
    }

    /// Appends `member` (whose id must be free).
    pub(crate) fn push(&mut self, member: Arc<Member>) -> Result {
        let id = member.id();
        let slot = self.by_id.get_mut(usize::from(id)).ok_or(ENOSPC)?;
        if slot.is_some() {
            return Err(EEXIST);
        }
        let pos = self.order.get_mut(self.len).ok_or(ENOSPC)?;
        *pos = id;
        *slot = Some(member);
        self.len += 1;
        Ok(())
    }

    /// Removes `dev`'s entry, keeping the order of the others.
    pub(crate) fn remove(&mut self, dev: &NetDev) -> Option<u8> {
        let pos = self.iter().position(|m| m.dev() == dev)?;
        let id = *self.order.get(pos)?;
        if let Some(tail) = self.order.get_mut(pos..self.len) {
            tail.rotate_left(1);
        }
        self.len -= 1;
        if let Some(slot) = self.by_id.get_mut(usize::from(id)) {
            *slot = None;
        }
        Some(id)
    }

    /// The entry of `dev`, if it is a member.
    pub(crate) fn find(&self, dev: &NetDev) -> Option<&Arc<Member>> {
        self.iter().find(|m| m.dev() == dev)
    }

    /// Recomputes the active set, the nominees and the address bindings
    /// from the members' current state, keeping the nominees of `previous`
    /// where they stay active. Returns whether an address was bound anew
    /// or moved, or the broadcast or IPv6 multicast nominee moved (and so
    /// the group's addresses must be announced).
    pub(crate) fn recompute(&mut self, policy: u8, previous: Option<&MemberTable>) -> bool {
        let mut states = [MemberState::default(); MAX_MEMBERS];
        for (state, member) in states.iter_mut().zip(self.iter()) {
            *state = member.state();
        }
        let mask = policy::active_mask(states.get(..self.len).unwrap_or(&[]), policy);
        self.n_active = 0;
        for pos in policy::positions(mask) {
            if let (Some(&id), Some(slot)) =
                (self.order.get(pos), self.active.get_mut(self.n_active))
            {
                *slot = id;
                self.n_active += 1;
            }
        }
        for role in Role::ALL {
            // Nominees are chosen by join position; carry the previous one
            // over by id.
            let prev_pos = previous
                .and_then(|p| p.nominees[role as usize])
                .and_then(|id| self.order.iter().take(self.len).position(|&o| o == id));
            self.nominees[role as usize] =
                policy::nominate(prev_pos, mask).and_then(|pos| self.order.get(pos).copied());
        }
        // The broadcast and IPv6 multicast nominees send the group's ARP
        // and neighbour discovery for addresses that are not bound (those
        // of VLANs on the group): peers learned the nominee's MAC for
        // them, so a nominee that moves must be announced like a moved
        // binding.
        let nominee_moved = previous.is_some_and(|p| {
            [Role::V4Broadcast, Role::V6Multicast].iter().any(|&role| {
                let before = p.nominees[role as usize];
                before.is_some() && before != self.nominees[role as usize]
            })
        });
        let active = self.active;
        let n_active = self.n_active;
        let bindings = self.bindings.get_mut(..self.n_bindings).unwrap_or(&mut []);
        binding::rebind(bindings, active.get(..n_active).unwrap_or(&[])) != 0 || nominee_moved
    }
}
