//! Builds the [`Model`] from ipmp.ko (generic netlink) and in.mpathd
//! (its control socket). The kernel is the source of truth for groups,
//! members, roles and bindings; the daemon adds probe state, FDT,
//! duplicate-address offlines and targets. Without the daemon, the
//! fields only it knows are shown as `?`.

use crate::model::{Address, Group, Link, Member, Model};
use libipmp::control::{self, AskError, MemberState, Snapshot};
use libipmp::netlink::Client;
use libipmp::uapi::*;

const IFF_UP: u32 = 0x1;

fn admin_up(ifname: &str) -> bool {
    std::fs::read_to_string(format!("/sys/class/net/{ifname}/flags"))
        .ok()
        .and_then(|t| u32::from_str_radix(t.trim().trim_start_matches("0x"), 16).ok())
        .is_some_and(|f| f & IFF_UP != 0)
}

fn does_ipv6(ifname: &str) -> bool {
    std::fs::read_to_string(format!("/proc/sys/net/ipv6/conf/{ifname}/disable_ipv6"))
        .is_ok_and(|t| t.trim() == "0")
}

/// The daemon's snapshot, or why there is none.
pub fn daemon() -> Result<Snapshot, AskError> {
    control::snapshot()
}

/// Reads the kernel's state and merges `snapshot` into it.
pub fn model(snapshot: Option<&Snapshot>) -> Result<Model, String> {
    let client = Client::connect().map_err(|e| e.to_string())?;
    let groups = client.groups().map_err(|e| e.to_string())?;
    let members = client.members(None).map_err(|e| e.to_string())?;
    let bindings = client.bindings(None).map_err(|e| e.to_string())?;
    let mut model = Model {
        groups: Vec::new(),
        daemon: snapshot.is_some(),
    };
    for g in &groups {
        let view = snapshot.and_then(|s| s.groups.iter().find(|v| v.ifindex == g.ifindex));
        let up = admin_up(&g.ifname);
        let mut group = Group {
            ifname: g.ifname.clone(),
            name: g.name.clone(),
            state: g.state_word(),
            fdt_ms: snapshot.map(|_| view.and_then(|v| v.fdt_ms)),
            ipv6: does_ipv6(&g.ifname),
            members: Vec::new(),
            addresses: Vec::new(),
        };
        for &index in &g.members {
            let Some(k) = members.iter().find(|m| m.ifindex == index) else {
                continue;
            };
            let d = snapshot.and_then(|s| s.members.iter().find(|m| m.ifindex == index));
            let offline = k.flags & MEMBER_F_OFFLINE != 0;
            group.members.push(Member {
                name: k.ifname.clone(),
                active: k.active,
                // Under the kernel's own policy (no daemon) a spare
                // standby is kept out without the inactive flag: it is
                // inactive all the same.
                inactive: k.flags & MEMBER_F_INACTIVE != 0
                    || (k.flags & MEMBER_F_STANDBY != 0
                        && !k.active
                        && k.carrier
                        && k.flags & (MEMBER_F_FAILED | MEMBER_F_OFFLINE) == 0),
                standby: k.flags & MEMBER_F_STANDBY != 0,
                v4_multicast: k.nominee & NOMINEE_V4_MULTICAST != 0,
                v4_broadcast: k.nominee & NOMINEE_V4_BROADCAST != 0,
                v6_multicast: k.nominee & NOMINEE_V6_MULTICAST != 0,
                down: offline || !admin_up(&k.ifname),
                hwaddr_dup: snapshot.map(|_| d.is_some_and(|d| d.duplicate_hwaddr)),
                link: if k.carrier { Link::Up } else { Link::Down },
                probe: snapshot.and(d.map(|d| d.probe)),
                state: if offline {
                    MemberState::Offline
                } else if k.flags & MEMBER_F_FAILED != 0 {
                    MemberState::Failed
                } else {
                    MemberState::Ok
                },
                probing: d.map(|d| d.instances.clone()),
                failures: d.map(|d| d.failures),
                repairs: d.map(|d| d.repairs),
            });
        }
        for b in bindings.iter().filter(|b| b.group_ifindex == g.ifindex) {
            let given = snapshot.map(|s| {
                s.sources_given.as_ref().map(|given| {
                    given
                        .iter()
                        .find(|g| g.address == b.address)
                        .map_or(0, |g| g.connections)
                })
            });
            group.addresses.push(Address {
                addr: b.address,
                up,
                connections: given,
                inbound: b.member_ifindex.and_then(|i| {
                    members
                        .iter()
                        .find(|m| m.ifindex == i)
                        .map(|m| m.ifname.clone())
                }),
            });
        }
        model.groups.push(group);
    }
    // The anonymous group (TRACK_INTERFACES_ONLY_WITH_GROUPS=no): only the
    // daemon knows it.
    if let Some(s) = snapshot {
        let anonymous: Vec<_> = s.members.iter().filter(|m| m.group.is_empty()).collect();
        if !anonymous.is_empty() {
            model.groups.push(Group {
                ifname: String::new(),
                name: String::new(),
                state: "ok",
                fdt_ms: Some(
                    s.groups
                        .iter()
                        .find(|g| g.ifindex == 0)
                        .and_then(|g| g.fdt_ms),
                ),
                ipv6: false,
                members: anonymous
                    .iter()
                    .map(|d| Member {
                        name: d.name.clone(),
                        active: d.active,
                        inactive: false,
                        standby: false,
                        v4_multicast: false,
                        v4_broadcast: false,
                        v6_multicast: false,
                        down: false,
                        hwaddr_dup: Some(false),
                        link: if d.link == libipmp::control::LinkState::Up {
                            Link::Up
                        } else {
                            Link::Down
                        },
                        probe: Some(d.probe),
                        state: d.state,
                        probing: Some(d.instances.clone()),
                        failures: Some(d.failures),
                        repairs: Some(d.repairs),
                    })
                    .collect(),
                addresses: Vec::new(),
            });
        }
    }
    Ok(model)
}
