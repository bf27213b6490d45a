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
pub const MEMBER_F_ALL: u32 =
    MEMBER_F_STANDBY | MEMBER_F_INACTIVE | MEMBER_F_FAILED | MEMBER_F_OFFLINE;

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

// ---------------------------------------------------------------------------
// Generic netlink family `ipmp`
// ---------------------------------------------------------------------------
//
// Commands and their attributes (one flat attribute space):
//
// ```text
// GROUP_GET   do:   IFINDEX (of the group)          -> one group
//             dump: -                               -> every group of the netns
//     group:  IFINDEX u32, IFNAME string, GROUP_NAME string,
//             GROUP_STATE u8 (GROUP_STATE_*), POLICY u8 (POLICY_*),
//             ANNOUNCE_COUNT u32, ANNOUNCE_INTERVAL u32 (ms),
//             MEMBERS nest { IFINDEX u32 ... } in join order
// GROUP_SET   IFINDEX + any of GROUP_NAME, POLICY, ANNOUNCE_COUNT,
//             ANNOUNCE_INTERVAL                     (CAP_NET_ADMIN)
// MEMBER_GET  do:   IFINDEX (of the member)         -> one member
//             dump: [GROUP_IFINDEX]                 -> members, by group
//     member: IFINDEX u32, IFNAME string, GROUP_IFINDEX u32,
//             FLAGS u32 (MEMBER_F_*), CARRIER u8 (up with carrier),
//             ACTIVE u8, NOMINEE u32 (NOMINEE_*),
//             ADDRESSES nest { ADDRESS binary (4 or 16 bytes) ... }: the
//             group's data addresses bound to this member
//             RX_PACKETS u64, TX_PACKETS u64 (the member device's counters)
// BINDING_GET dump: [GROUP_IFINDEX]                 -> every data address:
//     binding: GROUP_IFINDEX u32, ADDRESS binary (4 or 16 bytes),
//             IFINDEX u32 of the member it is bound to (absent: unbound)
// MEMBER_SET  IFINDEX + FLAGS + FLAGS_MASK: set the flags in FLAGS_MASK to
//             their values in FLAGS; unknown bits are refused (CAP_NET_ADMIN)
// EVENT       multicast on group "events": a member object plus
//             EVENT u8 (EVENT_*), sent when a member joins, leaves, or its
//             carrier, flags, activity, nominee roles or bound addresses
//             change
// ```
//
// Mutating commands need CAP_NET_ADMIN in the device's network namespace;
// every attribute has a strict policy; errors carry an extack message.

/// Family name.
pub const GENL_NAME: &str = "ipmp";
/// Family version.
pub const GENL_VERSION: u8 = 1;
/// Name of the multicast group carrying events.
pub const GENL_MCGRP_EVENTS: &str = "events";

/// Get one group, or dump all.
pub const CMD_GROUP_GET: u8 = 1;
/// Change a group's settings.
pub const CMD_GROUP_SET: u8 = 2;
/// Get one member, or dump members.
pub const CMD_MEMBER_GET: u8 = 3;
/// Change a member's flags.
pub const CMD_MEMBER_SET: u8 = 4;
/// A change notification (multicast).
pub const CMD_EVENT: u8 = 5;
/// Dump the data-address bindings.
pub const CMD_BINDING_GET: u8 = 6;

/// Interface index (of the group or member the message is about).
pub const A_IFINDEX: u16 = 1;
/// Interface name.
pub const A_IFNAME: u16 = 2;
/// The group's interface index (in member objects).
pub const A_GROUP_IFINDEX: u16 = 3;
/// The group's name (`ipmpstat -g` GROUPNAME); defaults to its interface name.
pub const A_GROUP_NAME: u16 = 4;
/// `GROUP_STATE_*`.
pub const A_GROUP_STATE: u16 = 5;
/// `POLICY_*`.
pub const A_POLICY: u16 = 6;
/// How many times a moved data address is announced.
pub const A_ANNOUNCE_COUNT: u16 = 7;
/// Milliseconds between announcements.
pub const A_ANNOUNCE_INTERVAL: u16 = 8;
/// Nest of `A_IFINDEX`: the members, in join order.
pub const A_MEMBERS: u16 = 9;
/// `MEMBER_F_*`.
pub const A_FLAGS: u16 = 10;
/// Which `MEMBER_F_*` a MEMBER_SET changes.
pub const A_FLAGS_MASK: u16 = 11;
/// 1 if the member is up with carrier.
pub const A_CARRIER: u16 = 12;
/// 1 if the member carries data traffic.
pub const A_ACTIVE: u16 = 13;
/// `NOMINEE_*` roles the member holds.
pub const A_NOMINEE: u16 = 14;
/// `EVENT_*`.
pub const A_EVENT: u16 = 15;
/// Nest of `A_ADDRESS`: the data addresses bound to the member.
pub const A_ADDRESSES: u16 = 16;
/// An IPv4 (4 bytes) or IPv6 (16 bytes) address, network order.
pub const A_ADDRESS: u16 = 17;
/// Packets the member received (its device counter), u64.
pub const A_RX_PACKETS: u16 = 18;
/// Packets the member sent (its device counter), u64.
pub const A_TX_PACKETS: u16 = 19;
/// Padding before a u64 attribute (so its payload is 8-byte aligned);
/// carries nothing.
pub const A_PAD: u16 = 20;
/// Highest attribute.
pub const A_MAX: u16 = 20;

/// Longest group name, without its NUL.
pub const GROUP_NAME_MAX: usize = 31;

/// All members function.
pub const GROUP_STATE_OK: u8 = 0;
/// Some, not all, members function.
pub const GROUP_STATE_DEGRADED: u8 = 1;
/// No member functions (or there is none).
pub const GROUP_STATE_FAILED: u8 = 2;

/// A member joined its group.
pub const EVENT_MEMBER_ADDED: u8 = 1;
/// A member left its group.
pub const EVENT_MEMBER_REMOVED: u8 = 2;
/// A member's carrier, flags, activity, roles or bound addresses changed.
pub const EVENT_MEMBER_CHANGED: u8 = 3;

/// Default number of announcements of a moved address.
pub const ANNOUNCE_COUNT_DEFAULT: u32 = 3;
/// Default milliseconds between announcements.
pub const ANNOUNCE_INTERVAL_DEFAULT: u32 = 500;
/// Most announcements of one move.
pub const ANNOUNCE_COUNT_MAX: u32 = 100;
/// Longest interval between announcements, in milliseconds.
pub const ANNOUNCE_INTERVAL_MAX: u32 = 60_000;

// ---------------------------------------------------------------------------
// rtnetlink link info: `ip -d link show`, `ip link add/set ... type ipmp`
// ---------------------------------------------------------------------------
//
// IFLA_INFO_DATA of an ipmp device (`IFLA_IPMP_*`) and IFLA_INFO_SLAVE_DATA
// of its members (`IFLA_IPMP_SLAVE_*`). Settable: the group's name, policy
// and announcements (newlink and changelink), a member's standby flag
// (slave_changelink); the rest is reported only and refused on input.
// A change of a member's state is announced with an RTM_NEWLINK of the
// member (NETDEV_CHANGELOWERSTATE, as bonding does) and of the group
// (NETDEV_CHANGEINFODATA).

/// The group name, string of at most `GROUP_NAME_MAX` bytes.
pub const IFLA_IPMP_GROUP_NAME: u16 = 1;
/// `POLICY_*`, u8.
pub const IFLA_IPMP_POLICY: u16 = 2;
/// Announcements of a moved data address, u32.
pub const IFLA_IPMP_ANNOUNCE_COUNT: u16 = 3;
/// Milliseconds between announcements, u32.
pub const IFLA_IPMP_ANNOUNCE_INTERVAL: u16 = 4;
/// `GROUP_STATE_*`, u8 (reported only).
pub const IFLA_IPMP_STATE: u16 = 5;
/// Members, u32 (reported only).
pub const IFLA_IPMP_MEMBERS: u16 = 6;
/// Members carrying data traffic, u32 (reported only).
pub const IFLA_IPMP_ACTIVE_MEMBERS: u16 = 7;
/// Highest group attribute.
pub const IFLA_IPMP_MAX: u16 = 7;

/// 1 if the member is a standby, u8 (settable).
pub const IFLA_IPMP_SLAVE_STANDBY: u16 = 1;
/// 1 if the member is kept from carrying data traffic, u8.
pub const IFLA_IPMP_SLAVE_INACTIVE: u16 = 2;
/// 1 if failure detection declared the member failed, u8.
pub const IFLA_IPMP_SLAVE_FAILED: u16 = 3;
/// 1 if the administrator took the member offline, u8.
pub const IFLA_IPMP_SLAVE_OFFLINE: u16 = 4;
/// 1 if the member carries data traffic, u8.
pub const IFLA_IPMP_SLAVE_ACTIVE: u16 = 5;
/// `NOMINEE_*` roles the member holds, u32.
pub const IFLA_IPMP_SLAVE_NOMINEE: u16 = 6;
/// Data addresses of the group bound to the member, u32.
pub const IFLA_IPMP_SLAVE_ADDRESSES: u16 = 7;
/// 1 if the member is up with carrier, u8.
pub const IFLA_IPMP_SLAVE_LINK: u16 = 8;
/// Highest member attribute.
pub const IFLA_IPMP_SLAVE_MAX: u16 = 8;
