//! What the daemon reads from the system besides ipmp.ko and rtnetlink's
//! routes: addresses of interfaces (test addresses, this host's own),
//! hardware addresses, the members' reverse-path filter setting, and (for
//! the anonymous group) the list of multicast-capable interfaces.

use crate::core::TestAddresses;
use nix::ifaddrs::getifaddrs;
use std::net::{IpAddr, Ipv6Addr};

/// Interface flags from `/sys/class/net/*/flags`.
const IFF_UP: u32 = 0x1;
const IFF_LOOPBACK: u32 = 0x8;
const IFF_MULTICAST: u32 = 0x1000;

/// One address of one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfAddress {
    /// Interface name.
    pub ifname: String,
    /// The address.
    pub addr: IpAddr,
    /// Its prefix length.
    pub prefix: u8,
}

/// Every address of every interface.
pub fn addresses() -> Vec<IfAddress> {
    let Ok(list) = getifaddrs() else {
        return Vec::new();
    };
    list.filter_map(|ifa| {
        let addr = ifa.address?;
        let mask = ifa.netmask;
        if let Some(sin) = addr.as_sockaddr_in() {
            let prefix = mask
                .and_then(|m| {
                    m.as_sockaddr_in()
                        .map(|m| u32::from(m.ip()).count_ones() as u8)
                })
                .unwrap_or(32);
            Some(IfAddress {
                ifname: ifa.interface_name,
                addr: IpAddr::V4(sin.ip()),
                prefix,
            })
        } else if let Some(sin6) = addr.as_sockaddr_in6() {
            let prefix = mask
                .and_then(|m| {
                    m.as_sockaddr_in6()
                        .map(|m| u128::from(m.ip()).count_ones() as u8)
                })
                .unwrap_or(128);
            Some(IfAddress {
                ifname: ifa.interface_name,
                addr: IpAddr::V6(sin6.ip()),
                prefix,
            })
        } else {
            None
        }
    })
    .collect()
}

/// A member's test addresses: its first IPv4 address, and its IPv6
/// link-local address (the original's rule: IPv6 probes only from the
/// link-local address).
pub fn test_addresses(all: &[IfAddress], ifname: &str) -> TestAddresses {
    let mine = || all.iter().filter(move |a| a.ifname == ifname);
    TestAddresses {
        v4: mine()
            .find(|a| a.addr.is_ipv4())
            .map(|a| (a.addr, a.prefix)),
        v6: mine()
            .find(|a| matches!(a.addr, IpAddr::V6(v6) if is_link_local(&v6)))
            .map(|a| a.addr),
    }
}

/// fe80::/10.
pub fn is_link_local(a: &Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

/// What [`rp_filter_loosen`] did about strict filtering (the text says
/// which setting made it strict).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpFilter {
    /// Set the member's to 2 (loose).
    Loosened(String),
    /// Written, but it did not take (read back otherwise).
    Unchanged(String),
}

/// Loosens strict reverse-path filtering on a member: the effective
/// setting is the larger of `net.ipv4.conf.all.rp_filter` and the
/// member's own, so strict (1) becomes loose (2) by raising the member's.
/// `Ok(None)`: not strict, nothing to do; `Err(why)`: the write failed.
pub fn rp_filter_loosen(member: &str) -> Result<Option<RpFilter>, String> {
    let read = |scope: &str| -> Option<u32> {
        std::fs::read_to_string(format!("/proc/sys/net/ipv4/conf/{scope}/rp_filter"))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    let (all, own) = (read("all").unwrap_or(0), read(member).unwrap_or(0));
    if all.max(own) != 1 {
        return Ok(None);
    }
    let why = if all == 1 {
        "net.ipv4.conf.all.rp_filter=1 (strict)".to_string()
    } else {
        format!("net.ipv4.conf.{member}.rp_filter=1 (strict)")
    };
    let path = format!("/proc/sys/net/ipv4/conf/{member}/rp_filter");
    std::fs::write(&path, "2").map_err(|e| format!("{why}, and {path} cannot be written ({e})"))?;
    Ok(Some(if read(member) == Some(2) {
        RpFilter::Loosened(why)
    } else {
        RpFilter::Unchanged(why)
    }))
}

/// An interface's hardware address from sysfs (zero if unknown).
pub fn hwaddr(ifname: &str) -> [u8; 6] {
    let mut mac = [0u8; 6];
    if let Ok(text) = std::fs::read_to_string(format!("/sys/class/net/{ifname}/address")) {
        for (b, part) in mac.iter_mut().zip(text.trim().split(':')) {
            *b = u8::from_str_radix(part, 16).unwrap_or(0);
        }
    }
    mac
}

/// The hardware address of `addr` in the kernel's ARP table on `ifname`,
/// if resolved (`/proc/net/arp`: IP address, HW type, flags, HW address,
/// mask, device; flag 0x2 is ATF_COM, complete).
pub fn arp_entry(ifname: &str, addr: std::net::Ipv4Addr) -> Option<[u8; 6]> {
    let text = std::fs::read_to_string("/proc/net/arp").ok()?;
    parse_arp_entry(&text, ifname, addr)
}

fn parse_arp_entry(text: &str, ifname: &str, addr: std::net::Ipv4Addr) -> Option<[u8; 6]> {
    text.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [ip, _, flags, hw, _, dev] = f.as_slice() else {
            return None;
        };
        let complete = u32::from_str_radix(flags.trim_start_matches("0x"), 16).ok()? & 0x2 != 0;
        if *dev != ifname || ip.parse::<std::net::Ipv4Addr>().ok()? != addr || !complete {
            return None;
        }
        let mut mac = [0u8; 6];
        let mut parts = hw.split(':');
        for b in &mut mac {
            *b = u8::from_str_radix(parts.next()?, 16).ok()?;
        }
        Some(mac)
    })
}

/// An interface that the anonymous group tracks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlainInterface {
    /// Index.
    pub ifindex: u32,
    /// Name.
    pub name: String,
    /// Up with carrier.
    pub carrier: bool,
}

fn read_u32(path: &str, radix: u32) -> Option<u32> {
    let text = std::fs::read_to_string(path).ok()?;
    let t = text.trim();
    let t = t.strip_prefix("0x").unwrap_or(t);
    u32::from_str_radix(t, radix).ok()
}

/// Up, multicast-capable, non-loopback interfaces that are neither an
/// IPMP interface nor anyone's member (`skip` names those).
pub fn plain_interfaces(skip: &[String]) -> Vec<PlainInterface> {
    let Ok(dir) = std::fs::read_dir("/sys/class/net") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if skip.contains(&name) {
            continue;
        }
        let base = format!("/sys/class/net/{name}");
        let Some(flags) = read_u32(&format!("{base}/flags"), 16) else {
            continue;
        };
        if flags & IFF_LOOPBACK != 0 || flags & IFF_MULTICAST == 0 || flags & IFF_UP == 0 {
            continue;
        }
        // Ports of a bridge, bond or team belong to their master.
        if std::path::Path::new(&format!("{base}/master")).exists() {
            continue;
        }
        let Some(ifindex) = read_u32(&format!("{base}/ifindex"), 10) else {
            continue;
        };
        let carrier = read_u32(&format!("{base}/carrier"), 10) == Some(1);
        out.push(PlainInterface {
            ifindex,
            name,
            carrier,
        });
    }
    out.sort_by_key(|p| p.ifindex);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_addresses_take_ipv4_and_the_link_local() {
        let a = |ifname: &str, addr: &str, prefix| IfAddress {
            ifname: ifname.into(),
            addr: addr.parse().unwrap(),
            prefix,
        };
        let all = vec![
            a("itops0", "192.168.10.5", 24),
            a("net0", "2001:db8::5", 64),
            a("net0", "fe80::1:2", 64),
            a("net0", "192.168.10.11", 24),
        ];
        let t = test_addresses(&all, "net0");
        assert_eq!(t.v4, Some(("192.168.10.11".parse().unwrap(), 24)));
        assert_eq!(t.v6, Some("fe80::1:2".parse().unwrap()));
        assert_eq!(test_addresses(&all, "net1"), TestAddresses::default());
    }

    #[test]
    fn arp_entries_are_read_per_device_and_only_when_complete() {
        let text = "IP address       HW type     Flags       HW address            Mask     Device\n\
                    192.168.10.1     0x1         0x2         02:aa:bb:cc:dd:01     *        itops0\n\
                    192.168.10.1     0x1         0x2         02:aa:bb:cc:dd:02     *        eth9\n\
                    192.168.10.7     0x1         0x0         00:00:00:00:00:00     *        itops0\n";
        let a = "192.168.10.1".parse().unwrap();
        assert_eq!(
            parse_arp_entry(text, "itops0", a),
            Some([2, 0xaa, 0xbb, 0xcc, 0xdd, 1])
        );
        assert_eq!(
            parse_arp_entry(text, "eth9", a),
            Some([2, 0xaa, 0xbb, 0xcc, 0xdd, 2])
        );
        assert_eq!(
            parse_arp_entry(text, "itops0", "192.168.10.7".parse().unwrap()),
            None
        );
        assert_eq!(parse_arp_entry(text, "net0", a), None);
    }
}
