//! What ipmpstat shows, independent of where it came from: the kernel's
//! groups, members and data addresses, merged with in.mpathd's view
//! (probe state, FDT, targets) when the daemon answers. The golden tests
//! build these by hand from the figures of the Oracle Solaris 11.4 IPMP
//! documentation.

use libipmp::control::{InstanceView, MemberState, ProbeState};
use std::net::IpAddr;

/// LINK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Carrier.
    Up,
    /// No carrier, or administratively down.
    Down,
}

/// A member (underlying interface).
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// Interface name.
    pub name: String,
    /// Carries data traffic.
    pub active: bool,
    /// The inactive flag.
    pub inactive: bool,
    /// Configured standby.
    pub standby: bool,
    /// IPv4 multicast nominee.
    pub v4_multicast: bool,
    /// IPv4 broadcast nominee.
    pub v4_broadcast: bool,
    /// IPv6 multicast nominee.
    pub v6_multicast: bool,
    /// Down: offline, or administratively down (flag `d`).
    pub down: bool,
    /// Offlined for a duplicate hardware address (flag `h`); unknown
    /// without the daemon.
    pub hwaddr_dup: Option<bool>,
    /// LINK.
    pub link: Link,
    /// PROBE; unknown without the daemon.
    pub probe: Option<ProbeState>,
    /// STATE.
    pub state: MemberState,
    /// Probing per family, from the daemon.
    pub probing: Option<Vec<InstanceView>>,
    /// Failures the daemon detected on it (unknown without the daemon).
    pub failures: Option<u64>,
    /// Repairs the daemon detected on it.
    pub repairs: Option<u64>,
}

/// A data address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The address.
    pub addr: IpAddr,
    /// Usable (the IPMP interface is up).
    pub up: bool,
    /// The member it is bound to.
    pub inbound: Option<String>,
    /// New connections given it as their source (in.mpathd's source
    /// address rotation): `None` without the daemon, `Some(None)` while
    /// rotation is off.
    pub connections: Option<Option<u64>>,
}

/// A group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The IPMP interface.
    pub ifname: String,
    /// The group name.
    pub name: String,
    /// ok / degraded / failed.
    pub state: &'static str,
    /// Effective FDT: `Some(None)` when nothing probes, `None` when
    /// unknown (no daemon).
    pub fdt_ms: Option<Option<u64>>,
    /// Whether the IPMP interface does IPv6 (else no `M` nominee).
    pub ipv6: bool,
    /// Members in join order.
    pub members: Vec<Member>,
    /// Data addresses.
    pub addresses: Vec<Address>,
}

/// Everything, in the kernel's group order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Model {
    /// Groups.
    pub groups: Vec<Group>,
    /// Whether in.mpathd answered.
    pub daemon: bool,
}
