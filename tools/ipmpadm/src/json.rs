//! What `ipmpadm -j` and `if_mpadm -j` print: the kernel's groups,
//! members and events, the persistent configuration, and `apply`'s
//! changes, in one vocabulary with `ipmpstat -j`: the same keys for the
//! same things (`group` is the IPMP interface, `groupname` its group name,
//! `interface` a member, `state`, `link`, `active`), words for states and
//! policies, booleans for flags. The schemas are docs/json/*.schema.json.

use crate::persist::{GroupConfig, Prefixed};
use crate::plan::Step;
use libipmp::netlink::{BindingInfo, Client, GroupInfo, MemberInfo};
use libipmp::uapi::*;
use serde::Serialize;
use std::net::IpAddr;

/// A group (docs/json/ipmpadm-group.schema.json).
#[derive(Debug, Serialize)]
pub struct Group {
    /// The IPMP interface.
    pub group: String,
    /// Its interface index.
    pub ifindex: u32,
    /// The group name.
    pub groupname: String,
    /// `ok`, `degraded` or `failed`.
    pub state: &'static str,
    /// `kernel` or `daemon`.
    pub policy: &'static str,
    /// Announcements per moved data address.
    pub announce_count: u32,
    /// Milliseconds between them.
    pub announce_interval_ms: u32,
    /// Members in join order.
    pub members: Vec<Member>,
    /// Data addresses and the member each is bound to.
    pub addresses: Vec<Address>,
}

/// A member (docs/json/ipmpadm-member.schema.json).
#[derive(Debug, Serialize)]
pub struct Member {
    /// The member interface.
    pub interface: String,
    /// Its interface index.
    pub ifindex: u32,
    /// Its IPMP interface; null when that is already gone (an event).
    pub group: Option<String>,
    /// Carries data traffic.
    pub active: bool,
    /// `up` (carrier) or `down`.
    pub link: &'static str,
    /// `ok`, `failed` or `offline`.
    pub state: &'static str,
    /// Configured standby.
    pub standby: bool,
    /// Functioning but kept out of use.
    pub inactive: bool,
    /// Failure detection declared it failed.
    pub failed: bool,
    /// Administratively out of use.
    pub offline: bool,
    /// Nominee roles: `v4-multicast`, `v4-broadcast`, `v6-multicast`.
    pub nominee: Vec<&'static str>,
    /// The group's data addresses bound to it.
    pub addresses: Vec<IpAddr>,
    /// Packets it received.
    pub rx_packets: u64,
    /// Packets it sent.
    pub tx_packets: u64,
}

/// A data address (as an `ipmpstat -a` row's ADDRESS and INBOUND).
#[derive(Debug, Serialize)]
pub struct Address {
    /// The address.
    pub address: IpAddr,
    /// The member it is bound to; null while unbound.
    pub inbound: Option<String>,
}

/// A kernel event (docs/json/ipmpadm-event.schema.json).
#[derive(Debug, Serialize)]
pub struct Event {
    /// `added`, `removed` or `changed`.
    pub event: &'static str,
    /// The member as it is after the event.
    pub member: Member,
}

impl Member {
    /// The member `m` of the IPMP interface `group`.
    pub fn new(m: &MemberInfo, group: Option<String>) -> Self {
        Self {
            interface: m.ifname.clone(),
            ifindex: m.ifindex,
            group,
            active: m.active,
            link: if m.carrier { "up" } else { "down" },
            state: m.state_word(),
            standby: m.has(MEMBER_F_STANDBY),
            inactive: m.has(MEMBER_F_INACTIVE),
            failed: m.has(MEMBER_F_FAILED),
            offline: m.has(MEMBER_F_OFFLINE),
            nominee: m.nominee_words(),
            addresses: m.addresses.clone(),
            rx_packets: m.rx_packets,
            tx_packets: m.tx_packets,
        }
    }
}

impl Group {
    /// Group `g` with its members and bindings (as the kernel gave them).
    pub fn new(g: &GroupInfo, members: &[MemberInfo], bindings: &[BindingInfo]) -> Self {
        Self {
            group: g.ifname.clone(),
            ifindex: g.ifindex,
            groupname: g.name.clone(),
            state: g.state_word(),
            policy: g.policy_word(),
            announce_count: g.announce_count,
            announce_interval_ms: g.announce_interval_ms,
            members: members
                .iter()
                .map(|m| Member::new(m, Some(g.ifname.clone())))
                .collect(),
            addresses: bindings
                .iter()
                .map(|b| Address {
                    address: b.address,
                    inbound: b
                        .member_ifindex
                        .and_then(|i| members.iter().find(|m| m.ifindex == i))
                        .map(|m| m.ifname.clone()),
                })
                .collect(),
        }
    }
}

/// The word for a kernel event kind.
pub fn event_word(kind: u8) -> &'static str {
    match kind {
        EVENT_MEMBER_ADDED => "added",
        EVENT_MEMBER_REMOVED => "removed",
        EVENT_MEMBER_CHANGED => "changed",
        _ => "unknown",
    }
}

/// A configuration file, as `show-config -j` and `check-config -j` print
/// it (docs/json/ipmpadm-config.schema.json).
#[derive(Debug, Serialize)]
pub struct Config {
    /// The IPMP interface.
    pub group: String,
    /// The group name (the interface name unless the file sets one).
    pub groupname: String,
    /// Members in the file's order.
    pub members: Vec<ConfigMember>,
    /// Data addresses with their prefix lengths.
    pub addresses: Vec<String>,
    /// Probe targets given in the file (`targets`).
    pub probe_targets: Vec<IpAddr>,
    /// The file it was read from; null for `show-config`, which describes
    /// the running system.
    pub file: Option<String>,
}

/// A member in a configuration file.
#[derive(Debug, Serialize)]
pub struct ConfigMember {
    /// The member interface.
    pub interface: String,
    /// Configured standby.
    pub standby: bool,
    /// Its test addresses with their prefix lengths.
    pub test_addresses: Vec<String>,
}

fn prefixed(list: &[Prefixed]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

impl Config {
    /// `c`; `from_file` says whether it was read from `c.path`.
    pub fn new(c: &GroupConfig, from_file: bool) -> Self {
        Self {
            group: c.ifname.clone(),
            groupname: c.effective_group_name().to_string(),
            members: c
                .members
                .iter()
                .map(|m| ConfigMember {
                    interface: m.name.clone(),
                    standby: m.standby,
                    test_addresses: prefixed(&m.test_addresses),
                })
                .collect(),
            addresses: prefixed(&c.addresses),
            probe_targets: c.probe_targets.clone(),
            file: from_file.then(|| c.path.display().to_string()),
        }
    }
}

/// One change made (or, with `apply -n`, to be made) by `apply`
/// (docs/json/ipmpadm-apply.schema.json).
#[derive(Debug, Serialize)]
pub struct Change {
    /// What: `create`, `groupname`, `remove`, `add`, `standby`, `up`,
    /// `add-address`, `remove-address`.
    pub action: &'static str,
    /// The interface changed: the IPMP interface for `create`,
    /// `groupname`, `add` and `remove`, else the member or link.
    pub interface: String,
    /// The member added or removed, the new group name, the address
    /// (with its prefix length), or `on`/`off` for `standby`; null for
    /// `create` and `up`.
    pub value: Option<String>,
    /// Whether an added address is a test address.
    pub test: bool,
    /// The line `apply` prints for it without -j.
    pub text: String,
}

impl Change {
    /// `step` as JSON.
    pub fn new(step: &Step) -> Self {
        let (action, interface, value, test) = match step {
            Step::Create { group } => ("create", group, None, false),
            Step::GroupName { group, name } => ("groupname", group, Some(name.clone()), false),
            Step::Release { group, member } => ("remove", group, Some(member.clone()), false),
            Step::Join { group, member } => ("add", group, Some(member.clone()), false),
            Step::Standby { member, on } => (
                "standby",
                member,
                Some(if *on { "on" } else { "off" }.to_string()),
                false,
            ),
            Step::Up { link } => ("up", link, None, false),
            Step::AddAddress { link, addr, test } => {
                ("add-address", link, Some(addr.to_string()), *test)
            }
            Step::DelAddress { link, addr } => {
                ("remove-address", link, Some(addr.to_string()), false)
            }
        };
        Self {
            action,
            interface: interface.clone(),
            value,
            test,
            text: step.to_string(),
        }
    }
}

/// Prints `value` as one line of JSON; the error is the message to show.
pub fn print<T: Serialize>(value: &T) -> Result<(), String> {
    let text = serde_json::to_string(value).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

/// The group on IPMP interface `index` as the kernel has it now.
pub fn group_now(client: &Client, index: u32) -> Result<Group, String> {
    let g = client.group(index).map_err(|e| e.to_string())?;
    let members = client.members(Some(index)).map_err(|e| e.to_string())?;
    let bindings = client.bindings(Some(index)).map_err(|e| e.to_string())?;
    Ok(Group::new(&g, &members, &bindings))
}

/// The member `index` as the kernel has it now.
pub fn member_now(client: &Client, index: u32) -> Result<Member, String> {
    let m = client.member(index).map_err(|e| e.to_string())?;
    Ok(Member::new(&m, group_name(m.group_ifindex)))
}

/// The interface name of group `index`, if it still exists.
pub fn group_name(index: u32) -> Option<String> {
    nix::net::if_::if_indextoname(index)
        .ok()
        .map(|n| n.to_string_lossy().into_owned())
}
