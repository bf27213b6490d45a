//! Source address rotation: what the connect4/connect6 programs
//! (`bpf/rotate.bpf.c`) must know, computed from the system's addresses
//! and routes. Pure: the shell's `rotation` module reads the system and
//! writes the result into the programs' maps.
//!
//! - Each IPMP interface's sources: its addresses of global scope that are
//!   not tentative, deprecated or duplicate, in address order, at most
//!   [`MAX_SOURCES`] per family. Test addresses live on the members, so
//!   they are never among them.
//! - The routes: every prefix of the main routing table, marked with the
//!   IPMP interface its route leaves by (the lowest metric's, the first
//!   next hop's for a multipath route), or 0 for another interface, a
//!   blackhole, unreachable or prohibit route; and the local table's own
//!   addresses, marked 0 (a connection to this host keeps the kernel's
//!   source). Other tables (policy routing) are not mirrored.

use libipmp::routing::{
    Address, Route, IFA_F_UNFIT, RTN_LOCAL, RTN_UNICAST, SCOPE_GLOBAL, TABLE_LOCAL, TABLE_MAIN,
};
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Most sources per family of one IPMP interface (`ROT_MAX` in the BPF
/// program).
pub const MAX_SOURCES: usize = 16;

/// The sources of one IPMP interface.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    /// IPv4 data addresses, in order.
    pub v4: Vec<Ipv4Addr>,
    /// IPv6 data addresses, in order.
    pub v6: Vec<Ipv6Addr>,
    /// Usable addresses left out beyond [`MAX_SOURCES`].
    pub left_out: usize,
}

/// A routing prefix and the IPMP interface it leaves by (0: another).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prefix {
    /// The prefix's address.
    pub dst: IpAddr,
    /// Its length.
    pub len: u8,
}

/// Everything the programs' maps hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// By IPMP interface index.
    pub sources: BTreeMap<u32, Sources>,
    /// Each prefix and the IPMP interface it leaves by, or 0.
    pub routes: BTreeMap<Prefix, u32>,
}

/// Whether `a` can be a new connection's source.
fn usable(a: &Address) -> bool {
    a.scope == SCOPE_GLOBAL && a.flags & IFA_F_UNFIT == 0
}

/// The plan for the IPMP interfaces `groups`.
pub fn plan(groups: &BTreeSet<u32>, addresses: &[Address], routes: &[Route]) -> Plan {
    let mut sources: BTreeMap<u32, Sources> =
        groups.iter().map(|&g| (g, Sources::default())).collect();
    for a in addresses.iter().filter(|a| usable(a)) {
        let Some(s) = sources.get_mut(&a.ifindex) else {
            continue;
        };
        match a.addr {
            IpAddr::V4(v4) if !s.v4.contains(&v4) => s.v4.push(v4),
            IpAddr::V6(v6) if !s.v6.contains(&v6) => s.v6.push(v6),
            _ => {}
        }
    }
    for s in sources.values_mut() {
        s.v4.sort();
        s.v6.sort();
        s.left_out =
            s.v4.len().saturating_sub(MAX_SOURCES) + s.v6.len().saturating_sub(MAX_SOURCES);
        s.v4.truncate(MAX_SOURCES);
        s.v6.truncate(MAX_SOURCES);
    }
    // Of routes to one prefix, the lowest metric is the one used.
    let mut chosen: BTreeMap<Prefix, (u32, u32)> = BTreeMap::new();
    for r in routes {
        let prefix = Prefix {
            dst: r.dst,
            len: r.prefix,
        };
        let group = match (r.table, r.kind) {
            (TABLE_MAIN, RTN_UNICAST) => r.oif.filter(|i| groups.contains(i)).unwrap_or(0),
            (TABLE_MAIN, _) => 0,
            (TABLE_LOCAL, RTN_LOCAL) => 0,
            _ => continue,
        };
        let metric = if r.table == TABLE_LOCAL { 0 } else { r.metric };
        match chosen.get(&prefix) {
            Some(&(m, _)) if m <= metric => {}
            _ => {
                chosen.insert(prefix, (metric, group));
            }
        }
    }
    Plan {
        sources,
        routes: chosen.into_iter().map(|(p, (_, g))| (p, g)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libipmp::routing::{IFA_F_DEPRECATED, IFA_F_TENTATIVE};

    fn addr(ifindex: u32, a: &str, scope: u8, flags: u32) -> Address {
        Address {
            ifindex,
            addr: a.parse().expect("test address"),
            prefix: 24,
            scope,
            flags,
        }
    }

    fn route(dst: &str, len: u8, table: u32, kind: u8, oif: Option<u32>, metric: u32) -> Route {
        Route {
            dst: dst.parse().expect("test prefix"),
            prefix: len,
            table,
            kind,
            oif,
            metric,
        }
    }

    #[test]
    fn sources_are_the_groups_usable_global_addresses_in_order() {
        let groups = BTreeSet::from([10]);
        let p = plan(
            &groups,
            &[
                addr(10, "192.0.2.12", 0, 0),
                addr(10, "192.0.2.11", 0, 0),
                addr(10, "2001:db8::2", 0, 0),
                addr(10, "fe80::1", 253, 0),
                addr(10, "2001:db8::9", 0, IFA_F_TENTATIVE),
                addr(10, "2001:db8::8", 0, IFA_F_DEPRECATED),
                addr(10, "127.0.0.2", 254, 0),
                // A member's test address and another interface's.
                addr(3, "192.0.2.50", 0, 0),
                addr(4, "198.51.100.1", 0, 0),
            ],
            &[],
        );
        let s = &p.sources[&10];
        assert_eq!(
            s.v4,
            vec![
                "192.0.2.11".parse::<Ipv4Addr>().expect("v4"),
                "192.0.2.12".parse().expect("v4")
            ]
        );
        assert_eq!(s.v6, vec!["2001:db8::2".parse::<Ipv6Addr>().expect("v6")]);
        assert_eq!(p.sources.len(), 1);
    }

    #[test]
    fn at_most_sixteen_sources_per_family() {
        let groups = BTreeSet::from([10]);
        let many: Vec<Address> = (1..=20)
            .map(|i| addr(10, &format!("192.0.2.{i}"), 0, 0))
            .collect();
        let p = plan(&groups, &many, &[]);
        assert_eq!(p.sources[&10].v4.len(), MAX_SOURCES);
        assert_eq!(p.sources[&10].left_out, 4);
    }

    #[test]
    fn routes_are_marked_with_the_ipmp_interface_they_leave_by() {
        let groups = BTreeSet::from([10]);
        let p = plan(
            &groups,
            &[],
            &[
                route("0.0.0.0", 0, TABLE_MAIN, RTN_UNICAST, Some(10), 0),
                route("192.0.2.0", 24, TABLE_MAIN, RTN_UNICAST, Some(10), 0),
                route("198.51.100.0", 24, TABLE_MAIN, RTN_UNICAST, Some(4), 0),
                // The same prefix by the group at a worse metric.
                route("198.51.100.0", 24, TABLE_MAIN, RTN_UNICAST, Some(10), 100),
                route("203.0.113.0", 24, TABLE_MAIN, 6, None, 0),
                route("192.0.2.11", 32, TABLE_LOCAL, RTN_LOCAL, Some(10), 0),
                route("192.0.2.255", 32, TABLE_LOCAL, 3, Some(10), 0),
                route("10.9.0.0", 16, 100, RTN_UNICAST, Some(10), 0),
            ],
        );
        let at = |dst: &str, len| {
            p.routes
                .get(&Prefix {
                    dst: dst.parse().expect("prefix"),
                    len,
                })
                .copied()
        };
        assert_eq!(at("0.0.0.0", 0), Some(10));
        assert_eq!(at("192.0.2.0", 24), Some(10));
        assert_eq!(at("198.51.100.0", 24), Some(0));
        assert_eq!(at("203.0.113.0", 24), Some(0));
        assert_eq!(at("192.0.2.11", 32), Some(0));
        assert_eq!(at("192.0.2.255", 32), None);
        assert_eq!(at("10.9.0.0", 16), None);
    }
}
