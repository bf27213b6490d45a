//! The live system for `apply` and `show-config`: read into a
//! [`Live`](crate::plan::Live), and changed one [`Step`] at a time.

use crate::admin::{self, ifindex, Change};
use crate::persist::Prefixed;
use crate::plan::{Live, LiveLink, Step};
use libipmp::netlink::{Client, GroupSettings};
use libipmp::rtnl::Links;
use libipmp::uapi::MEMBER_F_STANDBY;
use std::net::IpAddr;
use std::path::Path;

const IFF_UP: u32 = 0x1;

fn sysfs(name: &str, file: &str) -> Option<String> {
    std::fs::read_to_string(Path::new("/sys/class/net").join(name).join(file))
        .ok()
        .map(|s| s.trim().to_owned())
}

fn prefix_len(mask: &nix::sys::socket::SockaddrStorage) -> Option<u8> {
    if let Some(m) = mask.as_sockaddr_in() {
        return u8::try_from(u32::from(m.ip()).count_ones()).ok();
    }
    mask.as_sockaddr_in6()
        .and_then(|m| u8::try_from(u128::from(m.ip()).count_ones()).ok())
}

/// Reads every interface, the IPMP groups (if ipmp.ko is loaded) and the
/// addresses.
pub fn read_live() -> Result<Live, String> {
    let mut live = Live::default();
    let dir = std::fs::read_dir("/sys/class/net").map_err(|e| format!("/sys/class/net: {e}"))?;
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let flags = sysfs(&name, "flags")
            .and_then(|f| u32::from_str_radix(f.trim_start_matches("0x"), 16).ok())
            .unwrap_or(0);
        let master = std::fs::read_link(entry.path().join("master"))
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
        live.links.insert(
            name,
            LiveLink {
                up: flags & IFF_UP != 0,
                master,
                ..LiveLink::default()
            },
        );
    }
    // No module loaded: no group.
    if let Ok(client) = Client::connect() {
        let groups = client.groups().map_err(|e| e.to_string())?;
        let members = client.members(None).map_err(|e| e.to_string())?;
        for g in groups {
            let names: Vec<String> = g
                .members
                .iter()
                .filter_map(|i| members.iter().find(|m| m.ifindex == *i))
                .map(|m| m.ifname.clone())
                .collect();
            if let Some(l) = live.links.get_mut(&g.ifname) {
                l.is_ipmp = true;
                l.group_name = Some(g.name);
                l.members = names;
            }
        }
        for m in members {
            if let Some(l) = live.links.get_mut(&m.ifname) {
                l.standby = m.flags & MEMBER_F_STANDBY != 0;
            }
        }
    }
    let addrs = nix::ifaddrs::getifaddrs().map_err(|e| format!("getifaddrs: {e}"))?;
    for ifa in addrs {
        let (Some(addr), Some(mask)) = (ifa.address, ifa.netmask) else {
            continue;
        };
        let ip = if let Some(a) = addr.as_sockaddr_in() {
            IpAddr::V4(a.ip())
        } else if let Some(a) = addr.as_sockaddr_in6() {
            let ip = a.ip();
            if ip.segments()[0] & 0xffc0 == 0xfe80 {
                continue; // link-local: the kernel's, not configured
            }
            IpAddr::V6(ip)
        } else {
            continue;
        };
        let Some(prefix) = prefix_len(&mask) else {
            continue;
        };
        if let Some(l) = live.links.get_mut(&ifa.interface_name) {
            let p = Prefixed { addr: ip, prefix };
            if !l.addresses.contains(&p) {
                l.addresses.push(p);
            }
        }
    }
    Ok(live)
}

/// Performs one step.
pub fn execute(links: &Links, step: &Step) -> Result<(), String> {
    let err = |e: libipmp::netlink::Error| e.to_string();
    match step {
        Step::Create { group } => links.create_ipmp(group).map_err(err),
        Step::GroupName { group, name } => {
            let client = Client::connect().map_err(err)?;
            let settings = GroupSettings {
                name: Some(name.clone()),
                ..GroupSettings::default()
            };
            client.set_group(ifindex(group)?, &settings).map_err(err)
        }
        Step::Release { member, .. } => links.set_master(ifindex(member)?, 0).map_err(err),
        Step::Join { group, member } => links
            .set_master(ifindex(member)?, ifindex(group)?)
            .map_err(err),
        Step::Standby { member, on } => admin::apply(member, Change::Standby(*on)),
        Step::Up { link } => links.set_up(ifindex(link)?, true).map_err(err),
        Step::AddAddress { link, addr, test } => links
            .add_address(ifindex(link)?, addr.addr, addr.prefix, *test)
            .map_err(err),
        Step::DelAddress { link, addr } => links
            .del_address(ifindex(link)?, addr.addr, addr.prefix)
            .map_err(err),
    }
}
