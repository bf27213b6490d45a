// SPDX-License-Identifier: GPL-2.0
//! Which members carry traffic: the active set and the broadcast/multicast
//! nominees, derived from each member's state (see `uapi` for the rule).
//!
//! Pure logic on plain values (no kernel types): compiled into ipmp.ko and
//! unit-tested in userspace by `crates/libipmp`.

use crate::uapi::{
    MEMBER_F_FAILED, MEMBER_F_INACTIVE, MEMBER_F_OFFLINE, MEMBER_F_STANDBY, POLICY_DAEMON,
};

/// Most members one group takes; also the width of the masks below.
pub const MAX_MEMBERS: usize = 32;

/// What the active-set rule needs to know of one member.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemberState {
    /// Up with carrier.
    pub usable: bool,
    /// `MEMBER_F_*` flags set from userspace.
    pub flags: u32,
}

impl MemberState {
    /// Could carry data traffic, leaving the standby rule aside.
    fn eligible(&self) -> bool {
        self.usable && self.flags & (MEMBER_F_FAILED | MEMBER_F_OFFLINE | MEMBER_F_INACTIVE) == 0
    }

    fn standby(&self) -> bool {
        self.flags & MEMBER_F_STANDBY != 0
    }
}

/// The active members of a group as a bit mask over member positions.
pub fn active_mask(states: &[MemberState], policy: u8) -> u32 {
    let eligible = states.iter().take(MAX_MEMBERS).map(MemberState::eligible);
    let primaries_up = states
        .iter()
        .take(MAX_MEMBERS)
        .any(|s| s.eligible() && !s.standby());
    let mut mask = 0;
    for (i, (state, eligible)) in states.iter().zip(eligible).enumerate() {
        let standby_held_back = policy != POLICY_DAEMON && state.standby() && primaries_up;
        if eligible && !standby_held_back {
            mask |= 1 << i;
        }
    }
    mask
}

/// The nominee after a change: the previous one while it stays active (so
/// that receivers do not see the role move needlessly), else the first
/// active member.
pub fn nominate(previous: Option<usize>, active: u32) -> Option<usize> {
    match previous {
        Some(p) if p < MAX_MEMBERS && active & (1 << p) != 0 => Some(p),
        _ if active == 0 => None,
        _ => Some(active.trailing_zeros() as usize),
    }
}

/// Positions of the set bits of `mask`, lowest first.
pub fn positions(mask: u32) -> impl Iterator<Item = usize> {
    (0..MAX_MEMBERS).filter(move |i| mask & (1 << i) != 0)
}
