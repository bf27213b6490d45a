// SPDX-License-Identifier: GPL-2.0
//! The interface between ipmp.ko and userspace: plain constants, no kernel
//! types, so that `crates/libipmp` compiles this very file (`#[path]`) and
//! the two sides cannot drift.
//!
//! # Member flags
//! A member's flags (`MEMBER_F_*`) are set from userspace, normally by
//! in.mpathd. The kernel adds what it observes itself (carrier) and
//! derives from both whether the member is *active*, i.e. carries data
//! traffic:
//!
//! ```text
//! active = up with carrier && !FAILED && !OFFLINE && !INACTIVE
//!          && (policy is DAEMON || !STANDBY || no other member could be active)
//! ```
//!
//! Under `POLICY_KERNEL` (the default, with no daemon) the kernel keeps
//! standbys inactive while any non-standby member is usable. Under
//! `POLICY_DAEMON` the daemon decides with `MEMBER_F_INACTIVE`, and
//! `MEMBER_F_STANDBY` is only the administrator's label for it.

/// The member is a standby: kept for when an active member is lost.
pub const MEMBER_F_STANDBY: u32 = 1 << 0;
/// The member functions but must not carry data traffic.
pub const MEMBER_F_INACTIVE: u32 = 1 << 1;
/// Failure detection declared the member failed.
pub const MEMBER_F_FAILED: u32 = 1 << 2;
/// The administrator took the member out of use (`if_mpadm -d`).
pub const MEMBER_F_OFFLINE: u32 = 1 << 3;
/// Every flag userspace may set.
pub const MEMBER_F_ALL: u32 = MEMBER_F_STANDBY | MEMBER_F_INACTIVE | MEMBER_F_FAILED | MEMBER_F_OFFLINE;

/// The kernel applies the standby rule itself (no daemon manages the group).
pub const POLICY_KERNEL: u8 = 0;
/// A daemon manages the group through `MEMBER_F_INACTIVE`.
pub const POLICY_DAEMON: u8 = 1;

/// Nominee roles: the member that sends and receives a family's broadcast
/// or multicast traffic for the group (one each, as `ipmpstat -i` flags
/// `m`, `b`, `M`).
pub const NOMINEE_V4_MULTICAST: u32 = 1 << 0;
/// IPv4 broadcast nominee (`b`).
pub const NOMINEE_V4_BROADCAST: u32 = 1 << 1;
/// IPv6 multicast nominee (`M`).
pub const NOMINEE_V6_MULTICAST: u32 = 1 << 2;
