//! Source address rotation, the IO side: loads the connect4/connect6
//! programs (`bpf/rotate.bpf.c`, built by clang and embedded), attaches
//! them to the root of the cgroup v2 hierarchy, and writes each
//! [`rotation::Plan`] into their maps.
//!
//! The attachments are BPF links owned by this process: when the daemon
//! exits, however it exits, the kernel detaches the programs, and
//! connections take the kernel's own source again; a restarted daemon
//! attaches afresh (never a second copy).

use crate::rotation::{Plan, Prefix, Sources, MAX_SOURCES};
use aya::maps::lpm_trie::{Key, LpmTrie};
use aya::maps::{Array, HashMap, MapData};
use aya::programs::{CgroupAttachMode, CgroupSockAddr};
use aya::{include_bytes_aligned, Ebpf};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, UdpSocket};
use std::path::{Path, PathBuf};

/// `BPF_NOEXIST`: create, do not replace.
const BPF_NOEXIST: u64 = 1;

/// The programs, as clang built them.
static OBJECT: &[u8] = include_bytes_aligned!(concat!(env!("OUT_DIR"), "/rotate.bpf.o"));

/// `struct group` of the program: counts, then 16 IPv4 and 16 IPv6
/// addresses, in network order.
const GROUP_LEN: usize = 8 + 4 * MAX_SOURCES + 16 * MAX_SOURCES;

/// The loaded, attached programs and their maps.
pub struct Rotation {
    /// Owns the programs and their links (dropping it detaches them).
    _bpf: Ebpf,
    routes4: LpmTrie<MapData, [u8; 4], u32>,
    routes6: LpmTrie<MapData, [u8; 16], u32>,
    groups: HashMap<MapData, u32, [u8; GROUP_LEN]>,
    next: HashMap<MapData, u32, [u64; 2]>,
    given: HashMap<MapData, [u32; 5], u64>,
    /// What the maps hold now.
    written: Plan,
}

/// The mount point of the cgroup v2 hierarchy, from
/// `/proc/self/mountinfo`.
pub fn cgroup2_root() -> Option<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    text.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        let fstype = right.split_whitespace().next()?;
        let mut fields = left.split_whitespace();
        let root = fields.nth(3)?;
        let point = fields.next()?;
        (fstype == "cgroup2" && root == "/").then(|| PathBuf::from(point))
    })
}

fn take<T>(bpf: &mut Ebpf, name: &str) -> Result<T, String>
where
    T: TryFrom<aya::maps::Map, Error = aya::maps::MapError>,
{
    let map = bpf
        .take_map(name)
        .ok_or_else(|| format!("map {name} missing from the program"))?;
    T::try_from(map).map_err(|e| format!("map {name}: {e}"))
}

impl Rotation {
    /// Loads the programs and attaches them to the cgroup at `cgroup`.
    pub fn start(cgroup: &Path) -> Result<Self, String> {
        let mut bpf = Ebpf::load(OBJECT).map_err(|e| format!("cannot load the programs: {e}"))?;
        // Learn this namespace before anything is attached: the marker is
        // written first, the first connect() to it after attaching names
        // the namespace (see the program's comment).
        let marker = marker();
        let mut own: Array<MapData, [u32; 4]> = take(&mut bpf, "self")?;
        own.set(
            0,
            [
                0,
                0,
                u32::from(*marker.ip()).to_be(),
                u32::from(marker.port().to_be()),
            ],
            0,
        )
        .map_err(|e| format!("map self: {e}"))?;
        let dir = std::fs::File::open(cgroup)
            .map_err(|e| format!("cannot open {}: {e}", cgroup.display()))?;
        for name in ["ipmp_connect4", "ipmp_connect6"] {
            let program: &mut CgroupSockAddr = bpf
                .program_mut(name)
                .ok_or_else(|| format!("program {name} missing"))?
                .try_into()
                .map_err(|e| format!("program {name}: {e}"))?;
            program
                .load()
                .map_err(|e| format!("cannot load {name}: {e}"))?;
            program
                .attach(&dir, CgroupAttachMode::Single)
                .map_err(|e| format!("cannot attach {name} to {}: {e}", cgroup.display()))?;
        }
        let probe = UdpSocket::bind("127.0.0.1:0").and_then(|s| s.connect(marker));
        let learnt = own.get(&0, 0).is_ok_and(|v| v[0] != 0 || v[1] != 0);
        if let Err(e) = probe {
            return Err(format!(
                "cannot name this network namespace to the programs: {e}"
            ));
        }
        if !learnt {
            return Err("the programs did not learn this network namespace".into());
        }
        Ok(Self {
            routes4: take(&mut bpf, "routes4")?,
            routes6: take(&mut bpf, "routes6")?,
            groups: take(&mut bpf, "groups")?,
            next: take(&mut bpf, "next")?,
            given: take(&mut bpf, "given")?,
            _bpf: bpf,
            written: Plan::default(),
        })
    }

    /// Makes the maps hold `plan`, changing only what differs from what
    /// they hold. Routes are added before the sources that use them are
    /// removed and after the sources they lead to are written, so that a
    /// connection never finds a group without sources it could use.
    pub fn apply(&mut self, plan: &Plan) -> Result<(), String> {
        for (ifindex, s) in &plan.sources {
            if self.written.sources.get(ifindex) != Some(s) {
                self.groups
                    .insert(ifindex, group_value(s), 0)
                    .map_err(|e| format!("map groups: {e}"))?;
            }
            if !self.written.sources.contains_key(ifindex) {
                // A counter already there keeps turning.
                let _ = self.next.insert(ifindex, [0, 0], BPF_NOEXIST);
            }
        }
        for (prefix, &group) in &plan.routes {
            if self.written.routes.get(prefix) != Some(&group) {
                self.insert_route(prefix, group)?;
            }
        }
        let stale: Vec<Prefix> = self
            .written
            .routes
            .keys()
            .filter(|p| !plan.routes.contains_key(p))
            .copied()
            .collect();
        for prefix in &stale {
            self.remove_route(prefix);
        }
        for ifindex in self.written.sources.keys() {
            if !plan.sources.contains_key(ifindex) {
                let _ = self.groups.remove(ifindex);
                let _ = self.next.remove(ifindex);
            }
        }
        self.written = plan.clone();
        Ok(())
    }

    fn insert_route(&mut self, p: &Prefix, group: u32) -> Result<(), String> {
        let len = u32::from(p.len);
        match p.dst {
            IpAddr::V4(a) => self.routes4.insert(&Key::new(len, a.octets()), group, 0),
            IpAddr::V6(a) => self.routes6.insert(&Key::new(len, a.octets()), group, 0),
        }
        .map_err(|e| format!("routes map: {e}"))
    }

    fn remove_route(&mut self, p: &Prefix) {
        let len = u32::from(p.len);
        let _ = match p.dst {
            IpAddr::V4(a) => self.routes4.remove(&Key::new(len, a.octets())),
            IpAddr::V6(a) => self.routes6.remove(&Key::new(len, a.octets())),
        };
    }

    /// How many connections each address was given since the programs
    /// were attached.
    pub fn given(&self) -> BTreeMap<IpAddr, u64> {
        self.given
            .iter()
            .filter_map(Result::ok)
            .filter_map(|(k, n)| given_address(k).map(|a| (a, n)))
            .collect()
    }
}

/// A marker address and port: 127.x.y.z with random x, y, z, and a random
/// port, so that no other namespace's connect() is taken for ours.
fn marker() -> SocketAddrV4 {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
        ^ u64::from(std::process::id()).rotate_left(32);
    let r = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let [_, a, b, c, p0, p1, ..] = r.to_be_bytes();
    let port = u16::from_be_bytes([p0, p1]).max(1024);
    SocketAddrV4::new(Ipv4Addr::new(127, a, b, c.max(1)), port)
}

/// The program's `struct group` for `s`.
fn group_value(s: &Sources) -> [u8; GROUP_LEN] {
    let mut v = [0u8; GROUP_LEN];
    let n4 = s.v4.len().min(MAX_SOURCES) as u32;
    let n6 = s.v6.len().min(MAX_SOURCES) as u32;
    v[0..4].copy_from_slice(&n4.to_ne_bytes());
    v[4..8].copy_from_slice(&n6.to_ne_bytes());
    for (i, a) in s.v4.iter().take(MAX_SOURCES).enumerate() {
        let at = 8 + 4 * i;
        v[at..at + 4].copy_from_slice(&a.octets());
    }
    for (i, a) in s.v6.iter().take(MAX_SOURCES).enumerate() {
        let at = 8 + 4 * MAX_SOURCES + 16 * i;
        v[at..at + 16].copy_from_slice(&a.octets());
    }
    v
}

/// The address of a `given` key (family, then the address's 32-bit words
/// in network order).
fn given_address(k: [u32; 5]) -> Option<IpAddr> {
    let mut bytes = [0u8; 16];
    for (i, w) in k[1..].iter().enumerate() {
        bytes[4 * i..4 * i + 4].copy_from_slice(&w.to_ne_bytes());
    }
    match k[0] {
        2 => Some(IpAddr::V4(Ipv4Addr::new(
            bytes[0], bytes[1], bytes[2], bytes[3],
        ))),
        10 => Some(IpAddr::V6(Ipv6Addr::from(bytes))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_values_lay_out_as_the_program_reads_them() {
        let s = Sources {
            v4: vec![Ipv4Addr::new(192, 0, 2, 11), Ipv4Addr::new(192, 0, 2, 12)],
            v6: vec!["2001:db8::1".parse().expect("v6")],
            left_out: 0,
        };
        let v = group_value(&s);
        assert_eq!(u32::from_ne_bytes([v[0], v[1], v[2], v[3]]), 2);
        assert_eq!(u32::from_ne_bytes([v[4], v[5], v[6], v[7]]), 1);
        assert_eq!(&v[8..12], &[192, 0, 2, 11]);
        assert_eq!(&v[12..16], &[192, 0, 2, 12]);
        let v6 = 8 + 4 * MAX_SOURCES;
        assert_eq!(v[v6], 0x20);
        assert_eq!(v[v6 + 15], 1);
    }

    #[test]
    fn given_keys_name_their_address() {
        let w = u32::from_ne_bytes([192, 0, 2, 11]);
        assert_eq!(
            given_address([2, w, 0, 0, 0]),
            Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11)))
        );
        assert_eq!(given_address([7, w, 0, 0, 0]), None);
    }

    #[test]
    fn markers_are_loopback_addresses_on_unprivileged_ports() {
        let m = marker();
        assert!(m.ip().is_loopback());
        assert!(m.port() >= 1024);
    }
}
