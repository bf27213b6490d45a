// SPDX-License-Identifier: GPL-2.0
//! Data-address binding: each address of the group device is bound to one
//! active member, which answers ARP/neighbour discovery for it with its own
//! MAC, so that inbound traffic spreads over the members (the original's
//! rule: each data address bound to exactly one active member).
//!
//! Rules, per address family:
//! - a binding to a member that stays active is kept;
//! - an unbound address (new, or whose member is no longer active) goes
//!   to the active member with the fewest addresses (ties: first joined);
//! - then addresses move from the most to the least loaded active member
//!   until the counts differ by at most one (a member that becomes active
//!   takes its share);
//! - with no active member, every address is unbound.
//!
//! Pure logic on plain values (no kernel types): compiled into ipmp.ko and
//! unit-tested in userspace by `crates/libipmp`.

/// Most data addresses of one group.
pub const MAX_ADDRS: usize = 64;

/// A data address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addr {
    /// IPv4, network order.
    V4([u8; 4]),
    /// IPv6, network order.
    V6([u8; 16]),
}

impl Default for Addr {
    fn default() -> Self {
        Addr::V4([0; 4])
    }
}

impl Addr {
    fn is_v4(&self) -> bool {
        matches!(self, Addr::V4(_))
    }
}

/// One address and the member id it is bound to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Binding {
    /// The address.
    pub addr: Addr,
    /// The member id, if bound.
    pub member: Option<u8>,
}

/// Applies the rules to `bindings` for the active member ids `active` (in
/// join order). Returns a bit per index of `bindings` whose member changed
/// to another member (a move or a first binding): what must be announced.
pub fn rebind(bindings: &mut [Binding], active: &[u8]) -> u64 {
    let before: [Option<u8>; MAX_ADDRS] = {
        let mut b = [None; MAX_ADDRS];
        for (slot, binding) in b.iter_mut().zip(bindings.iter()) {
            *slot = binding.member;
        }
        b
    };
    for binding in bindings.iter_mut() {
        if binding.member.is_some_and(|m| !active.contains(&m)) {
            binding.member = None;
        }
    }
    for v4 in [true, false] {
        rebind_family(bindings, active, v4);
    }
    let mut changed = 0u64;
    for (i, (binding, old)) in bindings.iter().zip(before.iter()).enumerate().take(64) {
        if binding.member.is_some() && binding.member != *old {
            changed |= 1 << i;
        }
    }
    changed
}

fn load(bindings: &[Binding], member: u8, v4: bool) -> usize {
    bindings
        .iter()
        .filter(|b| b.addr.is_v4() == v4 && b.member == Some(member))
        .count()
}

/// The active member with the fewest (`most` false) or most addresses of
/// the family; ties go to the first (fewest) or last (most) in join order.
fn pick(bindings: &[Binding], active: &[u8], v4: bool, most: bool) -> Option<(u8, usize)> {
    let mut best: Option<(u8, usize)> = None;
    for &m in active {
        let n = load(bindings, m, v4);
        let better = match best {
            None => true,
            Some((_, b)) if most => n >= b,
            Some((_, b)) => n < b,
        };
        if better {
            best = Some((m, n));
        }
    }
    best
}

fn rebind_family(bindings: &mut [Binding], active: &[u8], v4: bool) {
    for i in 0..bindings.len() {
        let unbound = bindings
            .get(i)
            .is_some_and(|b| b.addr.is_v4() == v4 && b.member.is_none());
        if unbound {
            let target = pick(bindings, active, v4, false).map(|(m, _)| m);
            if let Some(b) = bindings.get_mut(i) {
                b.member = target;
            }
        }
    }
    // Each move lowers the spread, so this ends; the bound is a safety net.
    for _ in 0..bindings.len() {
        let (Some((max, nmax)), Some((min, nmin))) = (
            pick(bindings, active, v4, true),
            pick(bindings, active, v4, false),
        ) else {
            return;
        };
        if nmax <= nmin + 1 {
            return;
        }
        // Move the most recently added address of the most loaded member.
        if let Some(b) = bindings
            .iter_mut()
            .rev()
            .find(|b| b.addr.is_v4() == v4 && b.member == Some(max))
        {
            b.member = Some(min);
        }
    }
}
