//! `ipmpadm apply`: what must change for the system to match the files.
//!
//! [`plan`] compares the configuration with a [`Live`] picture of the
//! system and returns the steps, in an order that never leaves a member
//! in two groups: every release first, then per group creation, name,
//! joins, roles, links up, addresses. A system that already matches gives
//! no step (apply is idempotent); members and groups no file describes are
//! left alone. [`Live::from_config`] and [`Live::apply`] let the tests run
//! a plan against a model of the system and check that it converges.

use crate::persist::{GroupConfig, Prefixed};
use std::collections::BTreeMap;
use std::fmt;

/// One interface as the system has it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LiveLink {
    /// Administratively up.
    pub up: bool,
    /// Its master's name, if any.
    pub master: Option<String>,
    /// Whether it is an IPMP interface.
    pub is_ipmp: bool,
    /// IPMP interface: its group name.
    pub group_name: Option<String>,
    /// IPMP interface: its members in join order.
    pub members: Vec<String>,
    /// Member: the kernel's standby flag.
    pub standby: bool,
    /// Its addresses except IPv6 link-local ones (which the kernel makes).
    pub addresses: Vec<Prefixed>,
}

/// The system: every interface by name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Live {
    /// Interfaces by name.
    pub links: BTreeMap<String, LiveLink>,
}

/// One change. (`group`: an IPMP interface; `member`, `link`: an
/// interface; `test`: a test address, added with `noprefixroute`.)
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Create the IPMP interface.
    Create { group: String },
    /// Set its group name.
    GroupName { group: String, name: String },
    /// Take a member out of its group.
    Release { group: String, member: String },
    /// Make an interface a member.
    Join { group: String, member: String },
    /// Standby on or off.
    Standby { member: String, on: bool },
    /// Bring an interface up.
    Up { link: String },
    /// Add an address (test addresses with `noprefixroute`).
    AddAddress {
        link: String,
        addr: Prefixed,
        test: bool,
    },
    /// Remove an address.
    DelAddress { link: String, addr: Prefixed },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Create { group } => write!(f, "{group}: created"),
            Step::GroupName { group, name } => write!(f, "{group}: group name set to {name}"),
            Step::Release { group, member } => write!(f, "{group}: {member} removed"),
            Step::Join { group, member } => write!(f, "{group}: {member} added"),
            Step::Standby { member, on: true } => write!(f, "{member}: standby"),
            Step::Standby { member, on: false } => write!(f, "{member}: no longer standby"),
            Step::Up { link } => write!(f, "{link}: up"),
            Step::AddAddress { link, addr, test } => write!(
                f,
                "{link}: {} {addr} added",
                if *test { "test address" } else { "address" }
            ),
            Step::DelAddress { link, addr } => write!(f, "{link}: address {addr} removed"),
        }
    }
}

/// Why the system cannot be made to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict(pub String);

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The steps from `live` to `configs`, or every conflict found (nothing
/// is done then). Interfaces missing from the system are conflicts too,
/// except members: a NIC that is absent at boot must not keep the rest of
/// its group down, so it is reported in `warnings` and skipped.
pub fn plan(
    configs: &[GroupConfig],
    live: &Live,
    warnings: &mut Vec<String>,
) -> Result<Vec<Step>, Vec<Conflict>> {
    let mut steps = Vec::new();
    let mut conflicts = Vec::new();
    // Releases first, across all groups, so that an interface can move
    // from one group to another in one apply.
    let mut released: Vec<&str> = Vec::new();
    for c in configs {
        if let Some(link) = live.links.get(&c.ifname).filter(|l| l.is_ipmp) {
            for m in &link.members {
                if c.member(m).is_none() {
                    steps.push(Step::Release {
                        group: c.ifname.clone(),
                        member: m.clone(),
                    });
                    released.push(m);
                }
            }
        }
    }
    for c in configs {
        let group = &c.ifname;
        let link = live.links.get(group);
        match link {
            Some(l) if !l.is_ipmp => {
                conflicts.push(Conflict(format!(
                    "{group} exists and is not an IPMP interface"
                )));
                continue;
            }
            Some(_) => {}
            None => steps.push(Step::Create {
                group: group.clone(),
            }),
        }
        let live_name = link.and_then(|l| l.group_name.as_deref()).unwrap_or(group);
        if live_name != c.effective_group_name() {
            steps.push(Step::GroupName {
                group: group.clone(),
                name: c.effective_group_name().to_owned(),
            });
        }
        for m in &c.members {
            let Some(ml) = live.links.get(&m.name) else {
                warnings.push(format!("{group}: {} does not exist; skipped", m.name));
                continue;
            };
            let joined = ml.master.as_deref() == Some(group.as_str())
                && !released.contains(&m.name.as_str());
            if !joined {
                match ml.master.as_deref() {
                    Some(other) if other != group && !released.contains(&m.name.as_str()) => {
                        conflicts.push(Conflict(format!(
                            "{} belongs to {other}; release it first (ip link set {} nomaster)",
                            m.name, m.name
                        )));
                        continue;
                    }
                    _ => steps.push(Step::Join {
                        group: group.clone(),
                        member: m.name.clone(),
                    }),
                }
            }
            let standby_now = joined && ml.standby;
            if m.standby != standby_now {
                steps.push(Step::Standby {
                    member: m.name.clone(),
                    on: m.standby,
                });
            }
            if !ml.up {
                steps.push(Step::Up {
                    link: m.name.clone(),
                });
            }
            converge_addresses(&m.name, &ml.addresses, &m.test_addresses, true, &mut steps);
        }
        if !link.is_some_and(|l| l.up) {
            steps.push(Step::Up {
                link: group.clone(),
            });
        }
        let have = link.map_or(&[][..], |l| &l.addresses[..]);
        converge_addresses(group, have, &c.addresses, false, &mut steps);
    }
    if conflicts.is_empty() {
        Ok(steps)
    } else {
        Err(conflicts)
    }
}

fn converge_addresses(
    link: &str,
    have: &[Prefixed],
    want: &[Prefixed],
    test: bool,
    steps: &mut Vec<Step>,
) {
    for a in have.iter().filter(|a| !want.contains(a)) {
        steps.push(Step::DelAddress {
            link: link.to_owned(),
            addr: *a,
        });
    }
    for a in want.iter().filter(|a| !have.contains(a)) {
        steps.push(Step::AddAddress {
            link: link.to_owned(),
            addr: *a,
            test,
        });
    }
}

impl Live {
    /// What `show-config` prints: each IPMP interface as a configuration.
    pub fn to_configs(&self) -> Vec<GroupConfig> {
        self.links
            .iter()
            .filter(|(_, l)| l.is_ipmp)
            .map(|(name, l)| GroupConfig {
                ifname: name.clone(),
                group_name: l.group_name.clone().filter(|g| g != name),
                members: l
                    .members
                    .iter()
                    .map(|m| {
                        let ml = self.links.get(m);
                        crate::persist::MemberConfig {
                            name: m.clone(),
                            standby: ml.is_some_and(|l| l.standby),
                            test_addresses: ml.map(|l| l.addresses.clone()).unwrap_or_default(),
                        }
                    })
                    .collect(),
                addresses: l.addresses.clone(),
                probe_targets: Vec::new(),
                path: std::path::PathBuf::from(format!(
                    "{}/{name}{}",
                    crate::persist::CONFIG_DIR,
                    crate::persist::SUFFIX
                )),
            })
            .collect()
    }

    /// The model's effect of a step (for tests and dry runs).
    pub fn apply(&mut self, step: &Step) {
        match step {
            Step::Create { group } => {
                self.links.insert(
                    group.clone(),
                    LiveLink {
                        is_ipmp: true,
                        ..LiveLink::default()
                    },
                );
            }
            Step::GroupName { group, name } => {
                if let Some(l) = self.links.get_mut(group) {
                    l.group_name = Some(name.clone());
                }
            }
            Step::Release { group, member } => {
                if let Some(l) = self.links.get_mut(group) {
                    l.members.retain(|m| m != member);
                }
                if let Some(m) = self.links.get_mut(member) {
                    m.master = None;
                    m.standby = false;
                }
            }
            Step::Join { group, member } => {
                if let Some(l) = self.links.get_mut(group) {
                    l.members.push(member.clone());
                }
                if let Some(m) = self.links.get_mut(member) {
                    m.master = Some(group.clone());
                    m.standby = false;
                }
            }
            Step::Standby { member, on } => {
                if let Some(m) = self.links.get_mut(member) {
                    m.standby = *on;
                }
            }
            Step::Up { link } => {
                if let Some(l) = self.links.get_mut(link) {
                    l.up = true;
                }
            }
            Step::AddAddress { link, addr, .. } => {
                if let Some(l) = self.links.get_mut(link) {
                    l.addresses.push(*addr);
                }
            }
            Step::DelAddress { link, addr } => {
                if let Some(l) = self.links.get_mut(link) {
                    l.addresses.retain(|a| a != addr);
                }
            }
        }
    }
}

/// The steps of `steps` that concern interface `member` alone: joining,
/// standby, bringing it up and its test addresses (what `ipmpadm
/// hotplug` does when a configured member appears).
pub fn member_steps(steps: &[Step], member: &str) -> Vec<Step> {
    steps
        .iter()
        .filter(|s| match s {
            Step::Join { member: m, .. } | Step::Standby { member: m, .. } => m == member,
            Step::Up { link } | Step::AddAddress { link, .. } | Step::DelAddress { link, .. } => {
                link == member
            }
            Step::Create { .. } | Step::GroupName { .. } | Step::Release { .. } => false,
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::parse;
    use std::path::Path;

    fn config(name: &str, text: &str) -> GroupConfig {
        parse(Path::new(&format!("/etc/ipmp/{name}.conf")), text).expect("valid")
    }

    fn nics(names: &[&str]) -> Live {
        let mut live = Live::default();
        for n in names {
            live.links.insert((*n).into(), LiveLink::default());
        }
        live
    }

    const SEED: &str = "member net0\nmember net1\nstandby net2\naddress 192.168.10.5/24\n\
                        test-address net0 192.168.10.10/24\ntest-address net1 192.168.10.11/24\n\
                        test-address net2 192.168.10.12/24\n";

    fn converge(configs: &[GroupConfig], live: &mut Live) -> Vec<String> {
        let steps = plan(configs, live, &mut Vec::new()).expect("no conflict");
        for s in &steps {
            live.apply(s);
        }
        steps.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn from_nothing_to_the_seed_setup_then_nothing_more() {
        let configs = [config("itops0", SEED)];
        let mut live = nics(&["net0", "net1", "net2"]);
        let first = converge(&configs, &mut live);
        assert_eq!(
            first,
            vec![
                "itops0: created",
                "itops0: net0 added",
                "net0: up",
                "net0: test address 192.168.10.10/24 added",
                "itops0: net1 added",
                "net1: up",
                "net1: test address 192.168.10.11/24 added",
                "itops0: net2 added",
                "net2: standby",
                "net2: up",
                "net2: test address 192.168.10.12/24 added",
                "itops0: up",
                "itops0: address 192.168.10.5/24 added",
            ]
        );
        assert!(converge(&configs, &mut live).is_empty(), "idempotent");
    }

    #[test]
    fn an_edit_touches_only_what_changed() {
        let mut live = nics(&["net0", "net1", "net2", "net3"]);
        converge(&[config("itops0", SEED)], &mut live);
        let edited = SEED
            .replace("standby net2", "member net2")
            .replace("member net1\n", "")
            .replace("test-address net1 192.168.10.11/24\n", "")
            + "member net3\naddress 192.168.10.6/24\n";
        let steps = converge(&[config("itops0", &edited)], &mut live);
        assert_eq!(
            steps,
            vec![
                "itops0: net1 removed",
                "net2: no longer standby",
                "itops0: net3 added",
                "net3: up",
                "itops0: address 192.168.10.6/24 added",
            ]
        );
        assert!(converge(&[config("itops0", &edited)], &mut live).is_empty());
    }

    #[test]
    fn a_member_moves_between_groups_in_one_apply() {
        let mut live = nics(&["net0", "net1"]);
        converge(&[config("itops0", "member net0\nmember net1\n")], &mut live);
        let configs = [
            config("itops0", "member net0\n"),
            config("itops1", "member net1\n"),
        ];
        let steps = converge(&configs, &mut live);
        assert_eq!(steps[0], "itops0: net1 removed", "released before it joins");
        assert!(steps.contains(&"itops1: net1 added".to_string()));
        assert!(converge(&configs, &mut live).is_empty());
    }

    #[test]
    fn conflicts_are_refused_and_missing_members_skipped() {
        let mut live = nics(&["net0", "eth9"]);
        if let Some(l) = live.links.get_mut("net0") {
            l.master = Some("br0".into());
        }
        live.links.insert("itops1".into(), LiveLink::default());
        let configs = [
            config("itops0", "member net0\nmember net7\n"),
            config("itops1", "member eth9\n"),
        ];
        let mut warnings = Vec::new();
        let conflicts = plan(&configs, &live, &mut warnings).expect_err("conflicts");
        let conflicts: Vec<String> = conflicts.iter().map(ToString::to_string).collect();
        assert_eq!(
            conflicts,
            vec![
                "net0 belongs to br0; release it first (ip link set net0 nomaster)",
                "itops1 exists and is not an IPMP interface",
            ]
        );
        assert_eq!(warnings, vec!["itops0: net7 does not exist; skipped"]);
    }

    #[test]
    fn show_config_of_the_result_is_the_configuration() {
        let c = config("itops0", &format!("group ipmp0\n{SEED}"));
        let mut live = nics(&["net0", "net1", "net2"]);
        converge(std::slice::from_ref(&c), &mut live);
        let shown = live.to_configs();
        assert_eq!(shown.len(), 1);
        assert_eq!(
            crate::persist::render(&shown[0]),
            crate::persist::render(&c)
        );
    }

    #[test]
    fn a_member_that_appears_later_joins_alone() {
        let configs = [config("itops0", SEED)];
        // Applied at boot without net2: the group runs with net0 and net1.
        let mut live = nics(&["net0", "net1"]);
        let mut warnings = Vec::new();
        for s in plan(&configs, &live, &mut warnings).expect("no conflict") {
            live.apply(&s);
        }
        assert_eq!(warnings.len(), 1, "net2 missing: {warnings:?}");
        // Someone also removed the data address meanwhile: hotplug leaves
        // that to `apply`.
        live.links
            .get_mut("itops0")
            .expect("group")
            .addresses
            .clear();
        live.links.insert("net2".into(), LiveLink::default());
        let steps = plan(&configs, &live, &mut Vec::new()).expect("no conflict");
        let shown: Vec<String> = member_steps(&steps, "net2")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            vec![
                "itops0: net2 added",
                "net2: standby",
                "net2: up",
                "net2: test address 192.168.10.12/24 added",
            ]
        );
        assert!(member_steps(&steps, "net0").is_empty());
    }
}
