//! The sans-IO core of in.mpathd: a deterministic state machine fed with
//! [`Input`]s and the time, returning [`Action`]s. It owns every rule of
//! failure detection, repair and keeping the configured number of active
//! members; the IO shell (sockets, threads, signals) only translates.
//! Nothing here sleeps, reads a clock or touches the system.
//!
//! Timers are not separate actions: after every call the shell asks
//! [`Core::next_deadline`] and calls [`Core::tick`] when it is reached.
//!
//! Who owns which kernel flag: INACTIVE, FAILED and OFFLINE are the
//! daemon's, re-asserted if anyone else changes them; STANDBY is the
//! administrator's: a change seen in the kernel is taken as an admin
//! request, and the daemon writes it only when asked over its socket.
//! An OFFLINE set or cleared by someone else is likewise taken as an
//! offline/online request.

use crate::config::Config;
use crate::fdt::{AdaptiveFdt, Change};
use crate::flap::{LinkHistory, Repair};
use crate::instance::{Family, Instance, Outcome, Via, TRANSITIVE_TARGET};
use crate::policy::{self, Refusal, State};
use crate::probe::Verdict;
use libipmp::control::{
    GroupState, GroupView, LinkState, MemberState, MemberView, ProbeEvent, ProbeState, Request,
    Response, Snapshot,
};
use libipmp::uapi::{MEMBER_F_FAILED, MEMBER_F_INACTIVE, MEMBER_F_OFFLINE, MEMBER_F_STANDBY};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Kernel flags the daemon decides.
pub const OWNED_FLAGS: u32 = MEMBER_F_INACTIVE | MEMBER_F_FAILED | MEMBER_F_OFFLINE;

/// The anonymous group's pseudo interface index (members tracked for
/// failure detection only, TRACK_INTERFACES_ONLY_WITH_GROUPS=no).
pub const ANONYMOUS: u32 = 0;

/// A member as the shell finds it in the kernel (or, for the anonymous
/// group, in the interface list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberReport {
    /// Interface index.
    pub ifindex: u32,
    /// Interface name.
    pub name: String,
    /// Its IPMP interface's index ([`ANONYMOUS`] for none).
    pub group_ifindex: u32,
    /// Its IPMP interface's name.
    pub group_ifname: String,
    /// Its group name.
    pub group_name: String,
    /// `MEMBER_F_*` as the kernel has them.
    pub flags: u32,
    /// Up with carrier.
    pub carrier: bool,
    /// Hardware address.
    pub hwaddr: [u8; 6],
}

/// A member's test addresses, as found on the interface.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TestAddresses {
    /// An IPv4 address on the member itself, with its prefix length.
    pub v4: Option<(IpAddr, u8)>,
    /// The member's IPv6 link-local address.
    pub v6: Option<IpAddr>,
}

/// A next hop of the routing tables: a router, and the interface the
/// route leaves by. Only routers reached through a group's own link (its
/// IPMP interface or one of its members) are probe targets of its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Router {
    /// The router's address.
    pub addr: IpAddr,
    /// The route's output interface.
    pub ifindex: u32,
}

/// A data address of an IPMP interface and the member it is bound to
/// (the kernel's binding, `ipmpstat -a` INBOUND).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Binding {
    /// The IPMP interface.
    pub group: u32,
    /// The address.
    pub addr: IpAddr,
    /// Its prefix length.
    pub prefix: u8,
    /// The member it is bound to, if any.
    pub member: Option<u32>,
}

/// How long a member may be without a test address before that is logged
/// (the original's TESTADDR_CONF_TIME: a script may add the member first
/// and its test address a moment later).
pub const TEST_ADDRESS_GRACE_US: u64 = 20_000_000;

/// An administrative request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admin {
    /// `if_mpadm -d`.
    Offline(String),
    /// `if_mpadm -r`.
    Online(String),
    /// Standby on or off.
    Standby(String, bool),
}

/// What the core is told.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A member exists with this state (kernel event or dump). `adopt`:
    /// found when the daemon started, so its kernel flags are kept.
    Member {
        /// What the kernel says.
        report: MemberReport,
        /// Found at start-up rather than joining now.
        adopt: bool,
    },
    /// Every member found when the daemon starts: their kernel flags are
    /// kept (roles are normalised once, over the whole group, so a
    /// restart moves no traffic).
    Adopt(Vec<MemberReport>),
    /// A member left its group or went away.
    MemberGone {
        /// Its interface index.
        ifindex: u32,
    },
    /// A member's test addresses.
    TestAddresses {
        /// The member.
        ifindex: u32,
        /// Its addresses.
        addresses: TestAddresses,
    },
    /// The routers of the routing tables (next hops), all families, with
    /// the interface each route leaves by.
    Routers(Vec<Router>),
    /// Every address of this host (never a probe target).
    LocalAddresses(Vec<IpAddr>),
    /// The data addresses of every IPMP interface and their bindings.
    Bindings(Vec<Binding>),
    /// An echo reply arrived on a member.
    Reply {
        /// The member it arrived on.
        ifindex: u32,
        /// Its family.
        family: Family,
        /// Its sequence number.
        seq: u16,
        /// Who answered.
        from: IpAddr,
    },
    /// A transitive probe's answer came back to the member that sent it.
    TransitiveReply {
        /// The member that sent the probe.
        ifindex: u32,
        /// Its sequence number.
        seq: u16,
    },
    /// The configuration file was read again.
    Reload(Config),
}

/// Log severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Failures and repairs (the original's `logerr`).
    Error,
    /// Warnings (configuration).
    Warning,
    /// State changes worth a line.
    Info,
    /// Only with `-d`.
    Debug,
}

/// What the core asks the shell to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Put the group under the daemon (group policy `daemon`).
    TakeGroup {
        /// The IPMP interface.
        ifindex: u32,
    },
    /// Write member flags to the kernel.
    SetFlags {
        /// The member.
        ifindex: u32,
        /// New values.
        flags: u32,
        /// Which flags to write.
        mask: u32,
    },
    /// Send an echo request.
    Probe {
        /// Through this member.
        ifindex: u32,
        /// Family.
        family: Family,
        /// From this test address.
        src: IpAddr,
        /// To this target (or the all-hosts group).
        dst: IpAddr,
        /// Sequence number.
        seq: u16,
        /// `src` is a data address of this IPMP interface (transitive
        /// probing's prober): the probe is sent on the member as a
        /// link-layer frame and answered to the IPMP interface.
        data_source: Option<u32>,
    },
    /// Send a transitive (link-layer) probe from one member to another.
    TransitiveProbe {
        /// The member probed.
        ifindex: u32,
        /// The member it goes to (the prober).
        to: u32,
        /// That member's hardware address.
        to_hwaddr: [u8; 6],
        /// Sequence number.
        seq: u16,
    },
    /// Close the member's probe sockets (it left, or lost its address).
    CloseProbes {
        /// The member.
        ifindex: u32,
    },
    /// Log a line.
    Log(Level, String),
    /// A probe result for `ipmpstat -p` subscribers.
    ProbeResult(ProbeEvent),
}

#[derive(Debug)]
struct Member {
    ifindex: u32,
    name: String,
    group: u32,
    kernel_flags: u32,
    pushed: Option<u32>,
    carrier: bool,
    hwaddr: [u8; 6],
    link_failed: bool,
    flaps: LinkHistory,
    repair_at: Option<u64>,
    failed: bool,
    /// Found failed at start with its link up: stays failed until probes
    /// decide, or until this time passes with no target to probe.
    held_until: Option<u64>,
    admin_offline: bool,
    duplicate_of: Option<String>,
    /// STANDBY/OFFLINE bits the daemon wrote whose echo (a kernel event
    /// showing them) has not arrived yet, and the values written: older
    /// events still queued must not be taken for an administrator's change.
    awaiting: u32,
    awaited: u32,
    v4: Instance,
    v6: Instance,
    /// When having no test address at all is to be logged.
    test_address_due: Option<u64>,
    /// "No test address configured" was logged (info), or "Test address
    /// ... is not unique" (error): the return of a usable test address is
    /// then logged too, at the same level.
    test_address_message: Option<Level>,
    /// Transitive probing: the member's transitive probes reached the
    /// failure count while the prober was not known to be fine (its own
    /// probes were failing too): not held against the member until the
    /// prober is seen answering and a later transitive probe is lost too.
    pending: Option<Pending>,
    /// Failures and repairs detected since the member joined (metrics).
    failures: u64,
    repairs: u64,
}

/// A transitive failure waiting for proof that the prober was fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    /// When the prober was last seen answering since the failure count
    /// was reached.
    prober_fine_at: Option<u64>,
}

impl Member {
    fn instances(&self) -> [&Instance; 2] {
        [&self.v4, &self.v6]
    }

    fn instance_mut(&mut self, family: Family) -> &mut Instance {
        match family {
            Family::V4 => &mut self.v4,
            Family::V6 => &mut self.v6,
        }
    }

    fn offline(&self) -> bool {
        self.admin_offline || self.duplicate_of.is_some()
    }

    fn probing(&self) -> bool {
        self.instances().iter().any(|i| i.has_targets())
    }

    /// Failed by probes: some family probes (has a test address and
    /// targets) and every probing family has reached the failure count
    /// (the original's rule: both, when both probe). A family with nothing to
    /// probe (say IPv6, whose link-local test address every member has,
    /// on a LAN where nobody answers ff02::1) has no say.
    fn probe_failed(&self) -> bool {
        let probing: Vec<&Instance> = self
            .instances()
            .into_iter()
            .filter(|i| i.has_targets())
            .collect();
        !probing.is_empty()
            && probing
                .iter()
                .all(|i| i.run.failed() && !(i.transitive() && self.pending.is_some()))
    }

    fn last_reply(&self) -> Option<u64> {
        self.instances().iter().filter_map(|i| i.last_reply).max()
    }

    /// When the last ICMP probe was answered (transitive ones prove only
    /// the path to the prober).
    fn last_icmp_reply(&self) -> Option<u64> {
        self.instances()
            .iter()
            .filter(|i| !i.transitive())
            .filter_map(|i| i.last_reply)
            .max()
    }

    fn failing_since(&self) -> Option<u64> {
        self.instances()
            .iter()
            .filter(|i| i.has_targets())
            .filter_map(|i| i.failing_since)
            .min()
    }
}

#[derive(Debug)]
struct Group {
    ifname: String,
    name: String,
    policy: policy::Group,
    fdt: AdaptiveFdt,
    all_failed: bool,
    /// Transitive probing: the member that probes the targets from a data
    /// address bound to it; the others probe through it.
    prober: Option<u32>,
}

/// The daemon's state.
#[derive(Debug)]
pub struct Core {
    config: Config,
    groups: BTreeMap<u32, Group>,
    members: BTreeMap<u32, Member>,
    routers: Vec<Router>,
    local: Vec<IpAddr>,
    bindings: Vec<Binding>,
    rng: u64,
    /// Member pairs (and family) already warned about for reaching
    /// disjoint targets.
    lan_warnings: std::collections::BTreeSet<(u32, u32, u8)>,
}

impl Core {
    /// A core with this configuration and random seed.
    pub fn new(config: Config, seed: u64) -> Self {
        Self {
            config,
            groups: BTreeMap::new(),
            members: BTreeMap::new(),
            routers: Vec::new(),
            local: Vec::new(),
            bindings: Vec::new(),
            rng: seed | 1,
            lan_warnings: std::collections::BTreeSet::new(),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A uniform value in [0, 1) (xorshift64*: jitter needs spread, not
    /// secrecy, and a seeded generator keeps tests exact).
    fn random(&mut self) -> f64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (r >> 11) as f64 / (1u64 << 53) as f64
    }

    fn interval_us(&self, group: u32) -> u64 {
        let fdt = self
            .groups
            .get(&group)
            .map_or(u64::from(self.config.failure_detection_time_ms), |g| {
                g.fdt.current_ms()
            });
        fdt * 1000 / 7
    }

    fn group_label(&self, group: u32) -> String {
        self.groups
            .get(&group)
            .map_or_else(String::new, |g| g.name.clone())
    }

    /// "on net0 of group itops0", or "on net0" in the anonymous group.
    fn on(&self, m: &Member) -> String {
        if m.group == ANONYMOUS {
            format!("on {}", m.name)
        } else {
            format!("on {} of group {}", m.name, self.group_label(m.group))
        }
    }

    /// Handles one input at `now` (µs, monotonic).
    pub fn handle(&mut self, now: u64, input: Input) -> Vec<Action> {
        let mut out = Vec::new();
        match input {
            Input::Member { report, adopt } => {
                let group = report.group_ifindex;
                self.member_report(now, report, adopt, &mut out);
                if adopt {
                    self.normalise_adopted(group);
                }
            }
            Input::Adopt(reports) => {
                let groups: Vec<u32> = reports.iter().map(|r| r.group_ifindex).collect();
                for r in reports {
                    self.member_report(now, r, true, &mut out);
                }
                for g in groups {
                    self.normalise_adopted(g);
                }
                let ids: Vec<u32> = self.members.keys().copied().collect();
                for id in ids {
                    self.evaluate(now, id, &mut out);
                }
            }
            Input::MemberGone { ifindex } => self.member_gone(now, ifindex, &mut out),
            Input::TestAddresses { ifindex, addresses } => {
                self.test_addresses(now, ifindex, addresses, &mut out)
            }
            Input::Routers(routers) => {
                self.routers = routers;
                self.choose_all_targets(now);
            }
            Input::LocalAddresses(local) => self.local = local,
            Input::Bindings(bindings) => self.bindings = bindings,
            Input::Reply {
                ifindex,
                family,
                seq,
                from,
            } => self.reply(now, ifindex, family, seq, from, &mut out),
            Input::TransitiveReply { ifindex, seq } => {
                self.transitive_reply(now, ifindex, seq, &mut out)
            }
            Input::Reload(config) => self.reload(now, config, &mut out),
        }
        self.plan_transitive(now, &mut out);
        self.sync_flags(&mut out);
        out
    }

    /// An administrative request at `now`: done, or refused with the
    /// reason the user sees.
    pub fn admin(&mut self, now: u64, request: Admin) -> (Result<(), String>, Vec<Action>) {
        let mut out = Vec::new();
        let result = match request {
            Admin::Offline(name) => self.offline(&name, &mut out),
            Admin::Online(name) => self.online(now, &name, &mut out),
            Admin::Standby(name, on) => self.standby(&name, on, &mut out),
        };
        self.plan_transitive(now, &mut out);
        self.sync_flags(&mut out);
        (result.map_err(|e| e.to_string()), out)
    }

    /// A control-socket request at `now` (privilege already checked): the
    /// answer, and what to do. For [`Request::Probes`] an `Ok` answer means
    /// the caller may subscribe.
    pub fn answer(&mut self, now: u64, request: Request) -> (Response, Vec<Action>) {
        let admin = match request {
            Request::Snapshot => {
                let snapshot = Some(self.snapshot());
                return (Response::Ok { snapshot }, Vec::new());
            }
            Request::Probes => {
                let probing = self
                    .snapshot()
                    .members
                    .iter()
                    .any(|m| m.probe != ProbeState::Disabled);
                let response = if probing {
                    Response::Ok { snapshot: None }
                } else {
                    Response::Error {
                        message: "probe-based failure detection is disabled".into(),
                    }
                };
                return (response, Vec::new());
            }
            // The shell reads the files and feeds `Input::Reload` first.
            Request::Reload => return (Response::Ok { snapshot: None }, Vec::new()),
            Request::Offline { interface } => Admin::Offline(interface),
            Request::Online { interface } => Admin::Online(interface),
            Request::Standby { interface, on } => Admin::Standby(interface, on),
        };
        let (result, actions) = self.admin(now, admin);
        let response = match result {
            Ok(()) => Response::Ok { snapshot: None },
            Err(message) => Response::Error { message },
        };
        (response, actions)
    }

    /// The earliest time at which [`Core::tick`] has work.
    pub fn next_deadline(&self) -> Option<u64> {
        self.members
            .values()
            .flat_map(|m| {
                m.instances()
                    .into_iter()
                    .filter_map(|i| i.next_deadline())
                    .chain(m.repair_at)
                    .chain(m.held_until)
                    .chain(m.test_address_due)
            })
            .min()
    }

    /// Runs what is due at `now`: probes, losses, delayed repairs.
    pub fn tick(&mut self, now: u64) -> Vec<Action> {
        let mut out = Vec::new();
        let ids: Vec<u32> = self.members.keys().copied().collect();
        for ifindex in ids {
            self.delayed_repair(now, ifindex, &mut out);
            let held_over = self
                .members
                .get(&ifindex)
                .and_then(|m| m.held_until)
                .is_some_and(|t| t <= now);
            if held_over {
                self.evaluate(now, ifindex, &mut out);
            }
            self.test_address_overdue(now, ifindex, &mut out);
            for family in [Family::V4, Family::V6] {
                let interval = match self.members.get(&ifindex) {
                    Some(m) => self.interval_us(m.group),
                    None => continue,
                };
                let random = self.random();
                let mut outcomes = Vec::new();
                if let Some(m) = self.members.get_mut(&ifindex) {
                    m.instance_mut(family)
                        .tick(now, interval, random, &mut outcomes);
                }
                self.outcomes(now, ifindex, family, outcomes, &mut out);
            }
        }
        self.plan_transitive(now, &mut out);
        self.sync_flags(&mut out);
        out
    }

    fn member_report(&mut self, now: u64, r: MemberReport, adopt: bool, out: &mut Vec<Action>) {
        if let Some(m) = self.members.get(&r.ifindex) {
            if m.group != r.group_ifindex {
                // Moved to another group: leave the old one first.
                self.member_gone(now, r.ifindex, out);
            }
        }
        if !self.groups.contains_key(&r.group_ifindex) {
            self.groups.insert(
                r.group_ifindex,
                Group {
                    ifname: r.group_ifname.clone(),
                    name: r.group_name.clone(),
                    policy: policy::Group::start(Vec::new(), self.config.failback),
                    fdt: AdaptiveFdt::new(u64::from(self.config.failure_detection_time_ms)),
                    all_failed: false,
                    prober: None,
                },
            );
            if r.group_ifindex != ANONYMOUS {
                out.push(Action::TakeGroup {
                    ifindex: r.group_ifindex,
                });
            }
        }
        if let Some(g) = self.groups.get_mut(&r.group_ifindex) {
            g.name.clone_from(&r.group_name);
            g.ifname.clone_from(&r.group_ifname);
        }
        if self.members.contains_key(&r.ifindex) {
            self.member_changed(now, r, out);
        } else {
            self.member_joined(now, r, adopt, out);
        }
        self.check_duplicates(now, out);
    }

    fn member_joined(&mut self, now: u64, r: MemberReport, adopt: bool, out: &mut Vec<Action>) {
        let offline = adopt && r.flags & MEMBER_F_OFFLINE != 0;
        let failed = !r.carrier || (adopt && r.flags & MEMBER_F_FAILED != 0);
        let m = Member {
            ifindex: r.ifindex,
            name: r.name.clone(),
            group: r.group_ifindex,
            kernel_flags: r.flags,
            pushed: None,
            carrier: r.carrier,
            hwaddr: r.hwaddr,
            link_failed: !r.carrier,
            flaps: LinkHistory::default(),
            repair_at: None,
            failed,
            held_until: (adopt && failed && r.carrier)
                .then(|| now + u64::from(self.config.failure_detection_time_ms) * 1000),
            admin_offline: offline,
            duplicate_of: None,
            awaiting: 0,
            awaited: 0,
            v4: Instance::new(Family::V4, failed),
            v6: Instance::new(Family::V6, failed),
            test_address_due: Some(now + TEST_ADDRESS_GRACE_US),
            test_address_message: None,
            pending: None,
            failures: 0,
            repairs: 0,
        };
        let mut pm = policy::Member::new(&r.name, r.flags & MEMBER_F_STANDBY != 0);
        pm.state = if offline {
            State::Offline
        } else if failed {
            State::Failed
        } else {
            State::Running
        };
        let label = self.on(&m);
        out.push(Action::Log(
            Level::Info,
            format!(
                "{} {label}{}",
                if adopt { "adopted" } else { "tracking" },
                if failed { " (failed)" } else { "" }
            ),
        ));
        self.members.insert(r.ifindex, m);
        if let Some(g) = self.groups.get_mut(&r.group_ifindex) {
            if adopt {
                // Taken as the kernel has it; normalise_adopted() applies
                // the rules once the whole group is known.
                pm.inactive = r.flags & MEMBER_F_INACTIVE != 0;
                g.policy.members.push(pm);
            } else {
                g.policy.add(pm);
            }
        }
        self.refresh_group_state(r.group_ifindex, out);
        self.evaluate(now, r.ifindex, out);
    }

    /// Applies the standby rules once to a group rebuilt from the kernel.
    fn normalise_adopted(&mut self, group: u32) {
        if let Some(g) = self.groups.get_mut(&group) {
            let members = std::mem::take(&mut g.policy.members);
            g.policy = policy::Group::adopt(members, self.config.failback);
        }
    }

    fn member_changed(&mut self, now: u64, r: MemberReport, out: &mut Vec<Action>) {
        let Some(m) = self.members.get_mut(&r.ifindex) else {
            return;
        };
        let before = m.kernel_flags;
        m.kernel_flags = r.flags;
        m.hwaddr = r.hwaddr;
        // STANDBY/OFFLINE changes that are echoes of our own writes, or
        // stale events from before them, are not the administrator's.
        let mut ours = 0;
        for bit in [MEMBER_F_STANDBY, MEMBER_F_OFFLINE] {
            if m.awaiting & bit != 0 {
                ours |= bit;
                if r.flags & bit == m.awaited & bit {
                    m.awaiting &= !bit;
                }
            }
        }
        if m.name != r.name {
            let old = std::mem::replace(&mut m.name, r.name.clone());
            let group = m.group;
            if let Some(g) = self.groups.get_mut(&group) {
                g.policy.rename(&old, &r.name);
            }
        }
        let Some(m) = self.members.get_mut(&r.ifindex) else {
            return;
        };
        // Someone else wrote one of our flags: believe the kernel, so
        // that the next sync writes ours back.
        if m.pushed.is_some_and(|p| p != r.flags & OWNED_FLAGS) {
            m.pushed = Some(r.flags & OWNED_FLAGS);
        }
        let carrier_changed = m.carrier != r.carrier;
        let name = m.name.clone();
        if carrier_changed {
            self.link_change(now, r.ifindex, r.carrier, out);
        }
        let changed = (before ^ r.flags) & !ours;
        if changed & MEMBER_F_STANDBY != 0 {
            let on = r.flags & MEMBER_F_STANDBY != 0;
            if let Err(e) = self.standby(&name, on, out) {
                out.push(Action::Log(Level::Debug, e.to_string()));
            }
        }
        if changed & MEMBER_F_OFFLINE != 0 {
            let offline = r.flags & MEMBER_F_OFFLINE != 0;
            let ours = self.members.get(&r.ifindex).is_some_and(|m| m.offline());
            if offline && !ours {
                self.force_offline(r.ifindex, out);
            } else if !offline && ours {
                let is_admin = self
                    .members
                    .get(&r.ifindex)
                    .is_some_and(|m| m.duplicate_of.is_none());
                if is_admin {
                    let _ = self.online(now, &name, out);
                }
            }
        }
        self.evaluate(now, r.ifindex, out);
    }

    fn member_gone(&mut self, now: u64, ifindex: u32, out: &mut Vec<Action>) {
        let Some(m) = self.members.remove(&ifindex) else {
            return;
        };
        out.push(Action::CloseProbes { ifindex });
        out.push(Action::Log(
            Level::Info,
            format!("no longer tracking {}", m.name),
        ));
        if let Some(g) = self.groups.get_mut(&m.group) {
            g.policy.remove(&m.name);
        }
        if !self.members.values().any(|o| o.group == m.group) {
            self.groups.remove(&m.group);
        } else {
            self.refresh_group_state(m.group, out);
        }
        self.check_duplicates(now, out);
        self.check_test_addresses(out);
        self.refresh_all(now, out);
    }

    /// After a change that may enable or disable probing elsewhere: pick
    /// targets, start or stop probing, and re-evaluate every member.
    fn refresh_all(&mut self, now: u64, out: &mut Vec<Action>) {
        self.choose_all_targets(now);
        let ids: Vec<u32> = self.members.keys().copied().collect();
        for id in ids {
            self.evaluate(now, id, out);
        }
    }

    fn test_addresses(&mut self, now: u64, ifindex: u32, a: TestAddresses, out: &mut Vec<Action>) {
        let Some(m) = self.members.get_mut(&ifindex) else {
            return;
        };
        let v6 = a.v6.map(|addr| (addr, 64));
        let mut changed = false;
        for (inst, new) in [(&mut m.v4, a.v4), (&mut m.v6, v6)] {
            // The prober's data address is not on the member: only a test
            // address of its own replaces it (and ends transitive probing).
            let own = if inst.data_source {
                None
            } else {
                inst.test_addr
            };
            if own != new {
                inst.test_addr = new;
                inst.data_source = false;
                inst.via = None;
                inst.stop();
                inst.targets.clear();
                changed = true;
            }
        }
        if !changed {
            return;
        }
        out.push(Action::CloseProbes { ifindex });
        self.check_test_addresses(out);
        self.refresh_all(now, out);
    }

    /// Probing is disabled on members whose test address another member
    /// of the group also has.
    fn check_test_addresses(&mut self, out: &mut Vec<Action>) {
        struct Holder {
            ifindex: u32,
            group: u32,
            name: String,
            v4: Option<IpAddr>,
            v6: Option<IpAddr>,
        }
        let holders: Vec<Holder> = self
            .members
            .values()
            .map(|m| Holder {
                ifindex: m.ifindex,
                group: m.group,
                name: m.name.clone(),
                v4: m.v4.test_addr.map(|a| a.0),
                v6: m.v6.test_addr.map(|a| a.0),
            })
            .collect();
        for m in self.members.values_mut() {
            for (family, inst) in [(Family::V4, &mut m.v4), (Family::V6, &mut m.v6)] {
                let mine = inst.test_addr.map(|a| a.0);
                let clash = holders.iter().find(|h| {
                    let theirs = if family == Family::V4 { h.v4 } else { h.v6 };
                    h.ifindex != m.ifindex && h.group == m.group && mine.is_some() && mine == theirs
                });
                let reason = clash
                    .zip(mine)
                    .map(|(h, addr)| format!("test address {addr} is also on {}", h.name));
                if inst.disabled_reason != reason {
                    if let (Some(addr), None) = (mine, &inst.disabled_reason) {
                        out.push(Action::Log(
                            Level::Error,
                            format!(
                                "Test address {addr} is not unique in group; \
                                 disabling probe-based failure detection on {}",
                                m.name
                            ),
                        ));
                        m.test_address_message = Some(Level::Error);
                    }
                    inst.disabled_reason = reason;
                    inst.stop();
                    inst.targets.clear();
                }
            }
            let usable = m.v4.capable() || m.v6.capable();
            if usable {
                m.test_address_due = None;
                if let Some(level) = m.test_address_message.take() {
                    out.push(Action::Log(
                        level,
                        format!(
                            "Test address now configured on interface {}; \
                             enabling probe-based failure detection on it",
                            m.name
                        ),
                    ));
                }
            }
        }
    }

    /// The original's notice, once the grace period is over, for a member
    /// with no test address in either family.
    fn test_address_overdue(&mut self, now: u64, ifindex: u32, out: &mut Vec<Action>) {
        let Some(m) = self.members.get_mut(&ifindex) else {
            return;
        };
        if m.test_address_due.is_none_or(|t| t > now) {
            return;
        }
        m.test_address_due = None;
        let without = m.v4.test_addr.is_none() && m.v6.test_addr.is_none();
        // A group probed transitively needs no test address.
        let transitive = self.config.transitive_probing && m.group != ANONYMOUS;
        if without && !transitive && !m.offline() && m.test_address_message.is_none() {
            out.push(Action::Log(
                Level::Info,
                format!(
                    "No test address configured on interface {}; \
                     disabling probe-based failure detection on it",
                    m.name
                ),
            ));
            m.test_address_message = Some(Level::Info);
        }
    }

    /// The explicit probe targets of group `gid`: its own (ipmp(5)
    /// `probe-target`), else PROBE_TARGETS, else none (discover them).
    fn explicit_targets(&self, gid: u32) -> &[IpAddr] {
        self.groups
            .get(&gid)
            .and_then(|g| self.config.group_targets.get(&g.ifname))
            .unwrap_or(&self.config.probe_targets)
    }

    /// The routers a member may probe: next hops of routes that leave by
    /// its group's link (the IPMP interface or any member; for the
    /// anonymous group, the interface itself), never this host's own
    /// addresses.
    fn routers_on_link(&self, m: &Member) -> Vec<IpAddr> {
        let on_link = |ifindex: u32| {
            ifindex == m.ifindex
                || (m.group != ANONYMOUS
                    && (ifindex == m.group
                        || self
                            .members
                            .get(&ifindex)
                            .is_some_and(|o| o.group == m.group)))
        };
        let mut out: Vec<IpAddr> = self
            .routers
            .iter()
            .filter(|r| on_link(r.ifindex) && !self.local.contains(&r.addr))
            .map(|r| r.addr)
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn choose_all_targets(&mut self, now: u64) {
        let ids: Vec<u32> = self.members.keys().copied().collect();
        let choices: BTreeMap<u32, (Vec<IpAddr>, Vec<IpAddr>)> = self
            .members
            .values()
            .map(|m| {
                (
                    m.ifindex,
                    (
                        self.explicit_targets(m.group).to_vec(),
                        self.routers_on_link(m),
                    ),
                )
            })
            .collect();
        for m in self.members.values_mut() {
            let Some((explicit, routers)) = choices.get(&m.ifindex) else {
                continue;
            };
            m.v4.choose_targets(explicit, routers, now);
            m.v6.choose_targets(explicit, routers, now);
        }
        for ifindex in ids {
            self.start_probing(now, ifindex);
        }
    }

    /// Starts probing on the member's capable instances that should run
    /// and are not running (link up, not offline).
    fn start_probing(&mut self, now: u64, ifindex: u32) {
        let Some(m) = self.members.get(&ifindex) else {
            return;
        };
        let interval = self.interval_us(m.group);
        let should = m.carrier && !m.offline();
        let r4 = self.random();
        let r6 = self.random();
        let Some(m) = self.members.get_mut(&ifindex) else {
            return;
        };
        for (inst, r) in [(&mut m.v4, r4), (&mut m.v6, r6)] {
            if should && inst.capable() && !inst.running() {
                inst.start(now, interval, r);
            } else if !(should && inst.capable()) && inst.running() {
                inst.stop();
            }
        }
    }

    fn link_change(&mut self, now: u64, ifindex: u32, up: bool, out: &mut Vec<Action>) {
        let Some(m) = self.members.get_mut(&ifindex) else {
            return;
        };
        m.carrier = up;
        if up {
            out.push(Action::Log(
                Level::Error,
                format!("The link has come up on {}", m.name),
            ));
            let probed = m.probing();
            // The flap history counts in milliseconds.
            let when = m.flaps.link_up(now / 1000);
            if probed {
                // Probes prove the repair (the runs were failed at link down).
                m.link_failed = false;
            } else {
                m.v4.reset_run(false);
                m.v6.reset_run(false);
                match when {
                    Repair::Now => m.link_failed = false,
                    Repair::At(t_ms) => {
                        m.repair_at = Some(t_ms * 1000);
                        out.push(Action::Log(
                            Level::Info,
                            format!("{} is flapping; repair waits until it is stable", m.name),
                        ));
                    }
                }
            }
        } else {
            out.push(Action::Log(
                Level::Error,
                format!("The link has gone down on {}", m.name),
            ));
            m.link_failed = true;
            m.repair_at = None;
            // Probes answered before the link went down prove nothing
            // about after it comes back.
            for inst in [&mut m.v4, &mut m.v6] {
                if inst.capable() {
                    inst.reset_run(true);
                }
            }
        }
        self.start_probing(now, ifindex);
        self.evaluate(now, ifindex, out);
    }

    fn delayed_repair(&mut self, now: u64, ifindex: u32, out: &mut Vec<Action>) {
        let Some(m) = self.members.get_mut(&ifindex) else {
            return;
        };
        let Some(at) = m.repair_at else {
            return;
        };
        if now < at {
            return;
        }
        m.repair_at = None;
        if !m.carrier {
            return;
        }
        match m.flaps.when_repairable(now / 1000) {
            Repair::Now => m.link_failed = false,
            Repair::At(t_ms) => m.repair_at = Some(t_ms * 1000),
        }
        self.evaluate(now, ifindex, out);
    }

    fn reply(
        &mut self,
        now: u64,
        ifindex: u32,
        family: Family,
        seq: u16,
        from: IpAddr,
        out: &mut Vec<Action>,
    ) {
        let local = self.local.clone();
        let mut outcomes = Vec::new();
        let Some(m) = self.members.get_mut(&ifindex) else {
            return;
        };
        m.instance_mut(family)
            .reply(now, seq, from, |a| local.contains(a), &mut outcomes);
        self.outcomes(now, ifindex, family, outcomes, out);
    }

    fn outcomes(
        &mut self,
        now: u64,
        ifindex: u32,
        family: Family,
        outcomes: Vec<Outcome>,
        out: &mut Vec<Action>,
    ) {
        for o in outcomes {
            let Some(m) = self.members.get(&ifindex) else {
                return;
            };
            let group = m.group;
            match o {
                Outcome::Send { dst, seq } => {
                    let inst = match family {
                        Family::V4 => &m.v4,
                        Family::V6 => &m.v6,
                    };
                    if let Some(via) = &inst.via {
                        out.push(Action::TransitiveProbe {
                            ifindex,
                            to: via.ifindex,
                            to_hwaddr: via.hwaddr,
                            seq,
                        });
                    } else if let Some((src, _)) = inst.test_addr {
                        out.push(Action::Probe {
                            ifindex,
                            family,
                            src,
                            dst,
                            seq,
                            data_source: inst.data_source.then_some(group),
                        });
                    }
                }
                Outcome::Result {
                    seq,
                    sent_at,
                    target,
                    acked,
                    rtt_us,
                    verdict,
                } => {
                    let inst = match family {
                        Family::V4 => &m.v4,
                        Family::V6 => &m.v6,
                    };
                    let est = inst.target(&target).map(|t| t.rtt);
                    let via = inst.via.as_ref().map(|v| v.name.clone());
                    let transitive = via.is_some();
                    out.push(Action::ProbeResult(ProbeEvent {
                        time_us: now,
                        sent_us: sent_at,
                        sent_monotonic_us: None,
                        processed_rtt_us: None,
                        interface: m.name.clone(),
                        family: family.name().to_string(),
                        seq,
                        target,
                        via,
                        acked,
                        rtt_us,
                        rtt_avg_us: est.and_then(|e| e.smoothed_us()),
                        rtt_dev_us: est.and_then(|e| e.deviation_us()),
                    }));
                    if acked {
                        self.adapt_fdt(now, group, ifindex, family, target, out);
                        if !transitive
                            && (est.is_none() || self.first_answer(ifindex, family, target))
                        {
                            self.check_same_link(ifindex, family, out);
                        }
                        if !transitive {
                            self.prober_answered(now, ifindex, out);
                        }
                    } else {
                        let m = &self.members[&ifindex];
                        let inst = m.instances()[family as usize];
                        let to = match &inst.via {
                            Some(v) => format!("transitive probe {seq} to <{}>", v.name),
                            None => format!("probe {seq} to {target}"),
                        };
                        let run = if inst.run.failed() {
                            "failed: needs replies".to_string()
                        } else {
                            format!("{} in a row", inst.run.losses())
                        };
                        out.push(Action::Log(
                            Level::Debug,
                            format!("{} {}: {to} lost ({run})", m.name, family.name()),
                        ));
                    }
                    if transitive
                        && self.transitive_held(now, ifindex, acked, sent_at, verdict, out)
                    {
                        continue;
                    }
                    if verdict != Verdict::Unchanged {
                        self.probe_verdict(now, ifindex, verdict, out);
                    }
                }
                Outcome::LateReply { target } => {
                    self.adapt_fdt(now, group, ifindex, family, target, out);
                }
                Outcome::NoTargets => {
                    let where_ = match family {
                        Family::V4 => "on its subnet",
                        Family::V6 => "on its link",
                    };
                    let file = if group == ANONYMOUS {
                        String::new()
                    } else {
                        format!(
                            ", a probe-target line in /etc/ipmp/{}.conf",
                            self.groups.get(&group).map_or("", |g| g.ifname.as_str())
                        )
                    };
                    let hint = match family {
                        Family::V4 => {
                            " (Linux hosts ignore echo requests to 224.0.0.1 unless \
                             net.ipv4.icmp_echo_ignore_broadcasts=0)"
                        }
                        Family::V6 => "",
                    };
                    out.push(Action::Log(
                        Level::Warning,
                        format!(
                            "No {} probe target for {}: no router {where_} and no host \
                             answered {}{hint}; probe-based failure detection waits for one. \
                             Set PROBE_TARGETS in /etc/default/mpathd{file}, or route through \
                             a router {where_}",
                            family.name(),
                            m.name,
                            family.all_hosts()
                        ),
                    ));
                }
                Outcome::TargetAdded(addr) => {
                    out.push(Action::Log(
                        Level::Info,
                        format!("{} {}: probe target {addr} found", m.name, family.name()),
                    ));
                    self.check_same_link(ifindex, family, out);
                }
                Outcome::TargetDropped(addr) => {
                    out.push(Action::Log(
                        Level::Info,
                        format!(
                            "{} {}: probe target {addr} stopped answering; dropped",
                            m.name,
                            family.name()
                        ),
                    ));
                    if let Some(other) = self.answering_elsewhere(ifindex, family, addr) {
                        let m = &self.members[&ifindex];
                        out.push(Action::Log(
                            Level::Warning,
                            format!(
                                "{} {}: probe target {addr} answers through {other} but not through {}: \
                                 are they on the same LAN? (all members of an IPMP group must share one link)",
                                m.name,
                                family.name(),
                                m.name
                            ),
                        ));
                    }
                }
            }
        }
    }

    /// Whether `target` has answered `ifindex` exactly once so far.
    fn first_answer(&self, ifindex: u32, family: Family, target: IpAddr) -> bool {
        self.members.get(&ifindex).is_some_and(|m| {
            m.instances()[family as usize]
                .target(&target)
                .is_some_and(|t| t.replies == 1)
        })
    }

    /// Another member of `ifindex`'s group that gets answers from `addr`
    /// (probing it with no loss), if any: the Oracle Solaris rule that a
    /// group's members share one LAN is then evidently broken.
    fn answering_elsewhere(&self, ifindex: u32, family: Family, addr: IpAddr) -> Option<String> {
        let me = self.members.get(&ifindex)?;
        self.members
            .values()
            .filter(|o| o.ifindex != ifindex && o.group == me.group)
            .find(|o| {
                o.instances()[family as usize]
                    .target(&addr)
                    .is_some_and(|t| t.replies > 0 && t.losses == 0)
            })
            .map(|o| o.name.clone())
    }

    /// Warns (once per pair) when two members of a group get answers from
    /// disjoint sets of targets of one family: they are on different LANs.
    fn check_same_link(&mut self, ifindex: u32, family: Family, out: &mut Vec<Action>) {
        let answering = |m: &Member| -> Vec<IpAddr> {
            let inst = m.instances()[family as usize];
            if inst.transitive() {
                // Transitive probes reach a member, not targets.
                return Vec::new();
            }
            inst.targets
                .iter()
                .filter(|t| t.replies > 0)
                .map(|t| t.addr)
                .collect()
        };
        let Some(me) = self.members.get(&ifindex) else {
            return;
        };
        let mine = answering(me);
        if mine.is_empty() {
            return;
        }
        let mut warnings = Vec::new();
        for o in self.members.values() {
            if o.ifindex == ifindex || o.group != me.group || o.group == ANONYMOUS {
                continue;
            }
            let theirs = answering(o);
            if theirs.is_empty() || theirs.iter().any(|a| mine.contains(a)) {
                continue;
            }
            let pair = (ifindex.min(o.ifindex), ifindex.max(o.ifindex), family as u8);
            warnings.push((pair, o.name.clone(), theirs));
        }
        for (pair, other, theirs) in warnings {
            if !self.lan_warnings.insert(pair) {
                continue;
            }
            let list = |v: &[IpAddr]| {
                v.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            out.push(Action::Log(
                Level::Warning,
                format!(
                    "{} and {other} of group {} reach disjoint {} probe targets ({}: {}; {other}: {}): \
                     they are on different LANs, but all members of an IPMP group must share one link",
                    me.name,
                    self.groups.get(&me.group).map_or("?", |g| g.name.as_str()),
                    family.name(),
                    me.name,
                    list(&mine),
                    list(&theirs)
                ),
            ));
        }
    }

    /// A target's CRTT changed: raise the group's FDT if the target is
    /// slower than the probe interval, lower it when all are fast again.
    fn adapt_fdt(
        &mut self,
        now: u64,
        group: u32,
        ifindex: u32,
        family: Family,
        target: IpAddr,
        out: &mut Vec<Action>,
    ) {
        let Some(m) = self.members.get(&ifindex) else {
            return;
        };
        let interval = self.interval_us(group);
        let Some((crtt_us, sustained)) =
            m.instances()[family as usize]
                .target(&target)
                .and_then(|t| {
                    let crtt = t.rtt.conservative_us()?;
                    Some((crtt, t.recent.mostly_slower_than(interval)))
                })
        else {
            return;
        };
        let name = m.name.clone();
        // One target much slower than its peers is the target's problem:
        // drop it rather than slow the whole group down.
        if crtt_us > interval {
            let dropped = self.members.get_mut(&ifindex).is_some_and(|m| {
                m.instance_mut(family)
                    .drop_if_exceptionally_slow(&target, interval, now)
            });
            if dropped {
                out.push(Action::Log(
                    Level::Info,
                    format!(
                        "{name} {}: probe target {target} is much slower than the others; dropped",
                        family.name()
                    ),
                ));
                return;
            }
        }
        let crtts: Vec<u64> = self
            .members
            .values()
            .filter(|o| o.group == group && !o.failed)
            .flat_map(|o| o.instances().into_iter().flat_map(|i| i.targets.iter()))
            .filter_map(|t| t.rtt.conservative_us())
            .map(|us| us / 1000)
            .collect();
        let Some(g) = self.groups.get_mut(&group) else {
            return;
        };
        let now_ms = now / 1000;
        // Only sustained slowness raises (see probe::RecentRtts).
        let raise = if sustained {
            g.fdt.target_crtt(crtt_us / 1000, now_ms)
        } else {
            None
        };
        let change = raise.or_else(|| g.fdt.maybe_lower(&crtts, now_ms));
        match change {
            Some(Change::Raised(ms)) => out.push(Action::Log(
                Level::Error,
                format!(
                    "Cannot meet requested failure detection time of {} ms on ({} {}) new failure detection time for group \"{}\" is {ms} ms",
                    self.config.failure_detection_time_ms,
                    family.name(),
                    name,
                    g.name
                ),
            )),
            Some(Change::Capped { ms, wanted }) => out.push(Action::Log(
                Level::Error,
                format!(
                    "Cannot meet requested failure detection time of {} ms on ({} {}) new failure detection time for group \"{}\" is {ms} ms, \
                     the most allowed ({}x the configured time; probe target {target} would need {wanted} ms)",
                    self.config.failure_detection_time_ms,
                    family.name(),
                    name,
                    g.name,
                    crate::fdt::MAX_FACTOR
                ),
            )),
            Some(Change::Lowered(ms)) => out.push(Action::Log(
                Level::Error,
                format!(
                    "Improved failure detection time {ms} ms on ({} {}) for group \"{}\"",
                    family.name(),
                    name,
                    g.name
                ),
            )),
            None => {}
        }
    }

    fn probe_verdict(&mut self, now: u64, ifindex: u32, verdict: Verdict, out: &mut Vec<Action>) {
        let Some(m) = self.members.get(&ifindex) else {
            return;
        };
        if verdict == Verdict::Failed && m.probe_failed() && !m.failed {
            let group = m.group;
            let since = m.failing_since().unwrap_or(now);
            let others: Vec<&Member> = self
                .members
                .values()
                .filter(|o| o.group == group && o.ifindex != ifindex && !o.offline())
                .collect();
            if self.groups.get(&group).and_then(|g| g.prober) == Some(ifindex) {
                // The prober: members whose transitive probes it still
                // answered after its own probes began to fail show that
                // its link works, so the targets are what stopped
                // answering: the whole group has failed, unless another
                // member reaches them by ICMP (its IPv6 link-local test
                // address). Otherwise it alone failed, and probing moves.
                let reached = others.iter().any(|o| {
                    o.v4.via.as_ref().is_some_and(|v| v.ifindex == ifindex)
                        && o.v4.run.losses() == 0
                        && o.v4.last_acked_sent.is_some_and(|t| t >= since)
                });
                let icmp_elsewhere = others
                    .iter()
                    .any(|o| !o.failed && o.last_icmp_reply().is_some_and(|t| t >= since));
                if reached && !icmp_elsewhere {
                    out.push(Action::Log(
                        Level::Debug,
                        format!(
                            "{} failing since {since}: its transitive probes are answered, \
                             so the probe targets stopped answering",
                            m.name
                        ),
                    ));
                    self.group_failure(now, group, out);
                    return;
                }
                self.evaluate(now, ifindex, out);
                return;
            }
            // Someone else is fine if it heard a reply since this member's
            // first loss, or works by link alone.
            let someone_works = others.iter().any(|o| {
                !o.failed
                    && (o.last_reply().is_some_and(|t| t >= since)
                        || (!o.probing() && o.carrier && !o.link_failed))
            });
            if group != ANONYMOUS && !others.is_empty() && !someone_works {
                let seen: Vec<String> = others
                    .iter()
                    .map(|o| {
                        format!(
                            "{} last reply {:?} failed {}",
                            o.name,
                            o.last_reply(),
                            o.failed
                        )
                    })
                    .collect();
                out.push(Action::Log(
                    Level::Debug,
                    format!(
                        "{} failing since {since}: no other member heard a reply since ({})",
                        m.name,
                        seen.join(", ")
                    ),
                ));
                self.group_failure(now, group, out);
                return;
            }
        }
        self.evaluate(now, ifindex, out);
    }

    /// A transitive probe's answer. Not counted while the prober itself is
    /// failed: a path to it then proves nothing about the targets.
    fn transitive_reply(&mut self, now: u64, ifindex: u32, seq: u16, out: &mut Vec<Action>) {
        let Some(via) = self.members.get(&ifindex).and_then(|m| m.v4.via.clone()) else {
            return;
        };
        if self
            .members
            .get(&via.ifindex)
            .is_none_or(|p| p.failed || p.probe_failed())
        {
            return;
        }
        let mut outcomes = Vec::new();
        if let Some(m) = self.members.get_mut(&ifindex) {
            m.v4.reply(now, seq, TRANSITIVE_TARGET, |_| false, &mut outcomes);
        }
        self.outcomes(now, ifindex, Family::V4, outcomes, out);
    }

    /// The prober's own probe was answered: members whose transitive
    /// failure waits for proof that the prober was fine have it now.
    fn prober_answered(&mut self, now: u64, ifindex: u32, out: &mut Vec<Action>) {
        let Some(group) = self.members.get(&ifindex).map(|m| m.group) else {
            return;
        };
        if self.groups.get(&group).and_then(|g| g.prober) != Some(ifindex) {
            return;
        }
        for m in self.members.values_mut() {
            if m.group != group || m.ifindex == ifindex {
                continue;
            }
            if let Some(p) = &mut m.pending {
                if p.prober_fine_at.is_none() {
                    out.push(Action::Log(
                        Level::Debug,
                        format!(
                            "{}: the prober answers again; one more lost transitive probe fails it",
                            m.name
                        ),
                    ));
                }
                p.prober_fine_at = Some(now);
            }
        }
    }

    /// Transitive probing's rule for a member's probe result: losses count
    /// against the member only while the prober is known to be fine
    /// (a black-holed prober loses everyone's transitive probes). Returns
    /// whether the result was taken care of here.
    fn transitive_held(
        &mut self,
        now: u64,
        ifindex: u32,
        acked: bool,
        sent_at: u64,
        verdict: Verdict,
        out: &mut Vec<Action>,
    ) -> bool {
        let prober_fine = |core: &Core, m: &Member| {
            let Some(p) = m.v4.via.as_ref().and_then(|v| core.members.get(&v.ifindex)) else {
                return false;
            };
            let since = m.v4.failing_since.unwrap_or(0);
            p.v4.run.losses() == 0 && p.v4.last_reply.is_some_and(|t| t >= since)
        };
        let Some(m) = self.members.get(&ifindex) else {
            return true;
        };
        let fine = prober_fine(self, m);
        let Some(m) = self.members.get_mut(&ifindex) else {
            return true;
        };
        if acked {
            if m.pending.take().is_some() {
                // The path to the prober works after all: the losses were
                // the prober's.
                let failed = m.failed;
                m.v4.reset_run(failed);
                out.push(Action::Log(
                    Level::Debug,
                    format!(
                        "{}: transitive probes answered again; losses forgiven",
                        m.name
                    ),
                ));
                return true;
            }
            return false;
        }
        if let Some(p) = m.pending {
            if p.prober_fine_at.is_some_and(|t| sent_at >= t) {
                m.pending = None;
                self.probe_verdict(now, ifindex, Verdict::Failed, out);
            }
            return true;
        }
        if verdict == Verdict::Failed && !fine {
            m.pending = Some(Pending {
                prober_fine_at: None,
            });
            out.push(Action::Log(
                Level::Debug,
                format!(
                    "{}: transitive probes lost while the prober's own are failing; held",
                    m.name
                ),
            ));
            return true;
        }
        false
    }

    /// Transitive probing (TRANSITIVE_PROBING=yes, groups without IPv4 test
    /// addresses): one usable active member, the prober, probes the
    /// targets from a data address bound to it; every other member sends
    /// link-layer probes to it. Re-planned after every change; members
    /// whose part changes start their probing over.
    fn plan_transitive(&mut self, now: u64, out: &mut Vec<Action>) {
        // A change of prober re-evaluates members, which may change the
        // plan again (a few rounds at most).
        for _ in 0..3 {
            let gids: Vec<u32> = self
                .groups
                .keys()
                .copied()
                .filter(|g| *g != ANONYMOUS)
                .collect();
            let mut changed = false;
            for gid in gids {
                changed |= self.plan_group(now, gid, out);
            }
            if !changed {
                return;
            }
            self.refresh_all(now, out);
        }
    }

    /// See [`Core::plan_transitive`]; whether anything changed.
    fn plan_group(&mut self, now: u64, gid: u32, out: &mut Vec<Action>) -> bool {
        let Some(g) = self.groups.get(&gid) else {
            return false;
        };
        let in_group: Vec<&Member> = self.members.values().filter(|m| m.group == gid).collect();
        let enabled = self.config.transitive_probing
            && !in_group
                .iter()
                .any(|m| m.v4.test_addr.is_some() && !m.v4.data_source);
        let active = |m: &Member| {
            g.policy
                .members
                .iter()
                .find(|p| p.name == m.name)
                .is_some_and(|p| p.active())
        };
        let bound = |m: &Member| -> Vec<(IpAddr, u8)> {
            self.bindings
                .iter()
                .filter(|b| b.group == gid && b.member == Some(m.ifindex) && b.addr.is_ipv4())
                .map(|b| (b.addr, b.prefix))
                .collect()
        };
        let any_v4 = self
            .bindings
            .iter()
            .find(|b| b.group == gid && b.addr.is_ipv4())
            .map(|b| (b.addr, b.prefix));
        // The prober and its source: the current one while it stays
        // usable and active with the address bound to it (or, while the
        // whole group is failed, whatever it had: nothing is bound then,
        // and it probes for the group's repair); else the first usable
        // active member with an IPv4 data address bound to it.
        let current = g
            .prober
            .and_then(|p| self.members.get(&p))
            .filter(|m| m.group == gid && !m.offline());
        let choice: Option<(u32, (IpAddr, u8))> = if !enabled {
            None
        } else if let Some(p) = current.filter(|p| g.all_failed && p.carrier) {
            p.v4.test_addr.or(any_v4).map(|src| (p.ifindex, src))
        } else {
            let keep = current.filter(|p| !p.failed && active(p) && !bound(p).is_empty());
            let pick = keep.or_else(|| {
                g.policy.members.iter().find_map(|pm| {
                    in_group.iter().copied().find(|m| {
                        m.name == pm.name
                            && !m.offline()
                            && !m.failed
                            && pm.active()
                            && !bound(m).is_empty()
                    })
                })
            });
            pick.and_then(|p| {
                let addrs = bound(p);
                let src =
                    p.v4.test_addr
                        .filter(|s| p.v4.data_source && addrs.contains(s))
                        .or_else(|| addrs.first().copied())?;
                Some((p.ifindex, src))
            })
        };
        let prober = choice.map(|(p, _)| p);
        let via = prober.and_then(|p| self.members.get(&p)).map(|p| Via {
            ifindex: p.ifindex,
            name: p.name.clone(),
            hwaddr: p.hwaddr,
        });
        let before = g.prober;
        let ids: Vec<u32> = in_group.iter().map(|m| m.ifindex).collect();
        let mut changed = false;
        for id in ids {
            let Some(m) = self.members.get_mut(&id) else {
                continue;
            };
            let has_test_address = m.v4.test_addr.is_some() && !m.v4.data_source;
            if has_test_address {
                continue;
            }
            let (test_addr, data_source, via) = match choice {
                Some((p, src)) if p == id => (Some(src), true, None),
                Some(_) => (None, false, via.clone()),
                None => (None, false, None),
            };
            if m.v4.test_addr == test_addr && m.v4.data_source == data_source && m.v4.via == via {
                continue;
            }
            let stopping = test_addr.is_none() && via.is_none();
            m.v4.test_addr = test_addr;
            m.v4.data_source = data_source;
            m.v4.via = via;
            if stopping {
                // Transitive probing ends here: its sockets go too.
                out.push(Action::CloseProbes { ifindex: id });
            }
            m.v4.stop();
            m.v4.targets.clear();
            m.v4.mode = libipmp::control::TargetMode::Disabled;
            let failed = m.failed;
            m.v4.reset_run(failed);
            m.pending = None;
            changed = true;
        }
        if let Some(g) = self.groups.get_mut(&gid) {
            g.prober = prober;
        }
        if before != prober {
            let name = |i: Option<u32>| {
                i.and_then(|i| self.members.get(&i))
                    .map_or_else(|| "none".to_string(), |m| m.name.clone())
            };
            let group = self.group_label(gid);
            let line = match choice {
                Some((_, (src, _))) => format!(
                    "transitive probing in group {group}: {} probes from data address {src}, \
                     the other members through it (was: {})",
                    name(prober),
                    name(before)
                ),
                None if enabled => format!(
                    "transitive probing in group {group}: no usable active member has an IPv4 \
                     data address to probe from; waiting for one (was: {})",
                    name(before)
                ),
                None => format!("transitive probing in group {group} stopped"),
            };
            if enabled || before.is_some() {
                out.push(Action::Log(Level::Info, line));
            }
        }
        let _ = now;
        changed
    }

    /// Nothing in the group answers: every member is failed at once, so
    /// that the repairs that follow fail back (the original's group
    /// failure rule: after it, repairs act as with FAILBACK=yes).
    fn group_failure(&mut self, now: u64, group: u32, out: &mut Vec<Action>) {
        let ids: Vec<u32> = self
            .members
            .values()
            .filter(|m| m.group == group && !m.offline())
            .map(|m| m.ifindex)
            .collect();
        for &id in &ids {
            if let Some(m) = self.members.get_mut(&id) {
                for inst in [&mut m.v4, &mut m.v6] {
                    if inst.capable() {
                        inst.reset_run(true);
                    }
                }
            }
        }
        if let Some(g) = self.groups.get_mut(&group) {
            g.policy.set_group_failed();
        }
        for id in ids {
            self.evaluate(now, id, out);
        }
    }

    /// Recomputes whether the member is failed and applies the policy.
    fn evaluate(&mut self, now: u64, ifindex: u32, out: &mut Vec<Action>) {
        let Some(m) = self.members.get_mut(&ifindex) else {
            return;
        };
        if m.held_until.is_some_and(|t| now >= t) || m.probing() || !m.carrier {
            // Probes (or the link) decide from now on.
            m.held_until = None;
        }
        let failed = m.link_failed || m.probe_failed() || m.held_until.is_some();
        if failed == m.failed {
            return;
        }
        m.failed = failed;
        if failed {
            m.failures += 1;
        } else {
            m.repairs += 1;
        }
        let (name, group) = (m.name.clone(), m.group);
        let label = self.on(&self.members[&ifindex]);
        if let Some(g) = self.groups.get_mut(&group) {
            let r = if failed {
                g.policy.failed(&name)
            } else {
                g.policy.repaired(&name)
            };
            if let Err(e) = r {
                out.push(Action::Log(Level::Debug, e.to_string()));
            }
        }
        let what = if failed { "failure" } else { "repair" };
        out.push(Action::Log(
            Level::Error,
            format!("IP interface {what} detected {label}"),
        ));
        self.refresh_group_state(group, out);
    }

    fn refresh_group_state(&mut self, group: u32, out: &mut Vec<Action>) {
        let Some(g) = self.groups.get_mut(&group) else {
            return;
        };
        let usable: Vec<&str> = g
            .policy
            .members
            .iter()
            .filter(|m| m.state == State::Running)
            .map(|m| m.name.as_str())
            .collect();
        let all_failed = usable.is_empty();
        if all_failed != g.all_failed && group != ANONYMOUS {
            if all_failed {
                out.push(Action::Log(
                    Level::Error,
                    format!("All IP interfaces in group {} are now unusable", g.name),
                ));
            } else {
                out.push(Action::Log(
                    Level::Error,
                    format!(
                        "At least 1 IP interface ({}) in group {} is now usable",
                        usable.first().copied().unwrap_or_default(),
                        g.name
                    ),
                ));
            }
        }
        g.all_failed = all_failed;
    }

    /// Members whose hardware address an earlier member of the group
    /// already has are offlined (flag `h`) until that is no longer so.
    fn check_duplicates(&mut self, now: u64, out: &mut Vec<Action>) {
        let mut changes = Vec::new();
        for (gid, g) in &self.groups {
            if *gid == ANONYMOUS {
                continue;
            }
            let order: Vec<&Member> = g
                .policy
                .members
                .iter()
                .filter_map(|pm| {
                    self.members
                        .values()
                        .find(|m| m.name == pm.name && m.group == *gid)
                })
                .collect();
            for (i, m) in order.iter().enumerate() {
                let first = order[..i]
                    .iter()
                    .find(|o| o.hwaddr == m.hwaddr && m.hwaddr != [0; 6])
                    .map(|o| o.name.clone());
                if first != m.duplicate_of {
                    changes.push((m.ifindex, first));
                }
            }
        }
        for (ifindex, dup) in changes {
            let Some(m) = self.members.get_mut(&ifindex) else {
                continue;
            };
            let was_offline = m.offline();
            m.duplicate_of.clone_from(&dup);
            let name = m.name.clone();
            let gid = m.group;
            let group = self.group_label(gid);
            match dup {
                Some(other) => {
                    out.push(Action::Log(
                        Level::Error,
                        format!(
                            "IP interface {name} has a hardware address which is not \
                             unique in group {group}; offlining (it duplicates {other}'s)"
                        ),
                    ));
                    if !was_offline {
                        self.force_offline(ifindex, out);
                    }
                }
                None => {
                    out.push(Action::Log(
                        Level::Error,
                        format!(
                            "IP interface {name} now has a unique hardware address in \
                             group {group}; onlining"
                        ),
                    ));
                    let admin = self.members.get(&ifindex).is_some_and(|m| m.admin_offline);
                    if !admin {
                        self.bring_online(now, ifindex, out);
                    }
                }
            }
        }
    }

    fn member_by_name(&self, name: &str) -> Option<u32> {
        self.members
            .values()
            .find(|m| m.name == name)
            .map(|m| m.ifindex)
    }

    fn offline(&mut self, name: &str, out: &mut Vec<Action>) -> Result<(), Refusal> {
        let ifindex = self
            .member_by_name(name)
            .filter(|i| self.members[i].group != ANONYMOUS)
            .ok_or_else(|| Refusal::NoSuchMember(name.to_string()))?;
        let group = self.members[&ifindex].group;
        if self.members[&ifindex].offline() {
            return Err(Refusal::AlreadyOffline(name.to_string()));
        }
        if let Some(g) = self.groups.get_mut(&group) {
            g.policy.offline(name)?;
        }
        if let Some(m) = self.members.get_mut(&ifindex) {
            m.admin_offline = true;
            m.v4.stop();
            m.v6.stop();
        }
        out.push(Action::Log(
            Level::Error,
            format!("{name} has been offlined"),
        ));
        self.refresh_group_state(group, out);
        Ok(())
    }

    /// Offline without the redundancy check (duplicate address, or the
    /// OFFLINE flag set by someone else).
    fn force_offline(&mut self, ifindex: u32, out: &mut Vec<Action>) {
        let Some(m) = self.members.get_mut(&ifindex) else {
            return;
        };
        if m.duplicate_of.is_none() {
            m.admin_offline = true;
        }
        m.v4.stop();
        m.v6.stop();
        let (name, group) = (m.name.clone(), m.group);
        if let Some(g) = self.groups.get_mut(&group) {
            let _ = g.policy.force_offline(&name);
        }
        self.refresh_group_state(group, out);
    }

    fn online(&mut self, now: u64, name: &str, out: &mut Vec<Action>) -> Result<(), Refusal> {
        let ifindex = self
            .member_by_name(name)
            .filter(|i| self.members[i].group != ANONYMOUS)
            .ok_or_else(|| Refusal::NoSuchMember(name.to_string()))?;
        let m = &self.members[&ifindex];
        if let Some(other) = &m.duplicate_of {
            return Err(Refusal::DuplicateHwaddr(name.to_string(), other.clone()));
        }
        if !m.admin_offline {
            return Err(Refusal::NotOffline(name.to_string()));
        }
        if let Some(m) = self.members.get_mut(&ifindex) {
            m.admin_offline = false;
        }
        self.bring_online(now, ifindex, out);
        out.push(Action::Log(
            Level::Error,
            format!("{name} has been onlined"),
        ));
        Ok(())
    }

    fn bring_online(&mut self, now: u64, ifindex: u32, out: &mut Vec<Action>) {
        let Some(m) = self.members.get_mut(&ifindex) else {
            return;
        };
        // Probing starts afresh; the link says whether it can run now.
        // Probing starts afresh; a member whose link is down must prove
        // its repair with probes once the link returns.
        let link_failed = m.link_failed;
        m.v4.reset_run(link_failed);
        m.v6.reset_run(link_failed);
        m.failed = m.link_failed;
        let (name, group, link_up) = (m.name.clone(), m.group, !m.link_failed);
        if let Some(g) = self.groups.get_mut(&group) {
            let _ = g.policy.online(&name, link_up);
        }
        self.start_probing(now, ifindex);
        self.refresh_group_state(group, out);
    }

    fn standby(&mut self, name: &str, on: bool, out: &mut Vec<Action>) -> Result<(), Refusal> {
        let ifindex = self
            .member_by_name(name)
            .filter(|i| self.members[i].group != ANONYMOUS)
            .ok_or_else(|| Refusal::NoSuchMember(name.to_string()))?;
        let m = &self.members[&ifindex];
        let group = m.group;
        let kernel_on = m.kernel_flags & MEMBER_F_STANDBY != 0;
        if let Some(g) = self.groups.get_mut(&group) {
            g.policy.set_standby(name, on)?;
        }
        if kernel_on != on {
            out.push(Action::SetFlags {
                ifindex,
                flags: if on { MEMBER_F_STANDBY } else { 0 },
                mask: MEMBER_F_STANDBY,
            });
            if let Some(m) = self.members.get_mut(&ifindex) {
                let bit = if on { MEMBER_F_STANDBY } else { 0 };
                m.kernel_flags = (m.kernel_flags & !MEMBER_F_STANDBY) | bit;
                m.awaiting |= MEMBER_F_STANDBY;
                m.awaited = (m.awaited & !MEMBER_F_STANDBY) | bit;
            }
        }
        Ok(())
    }

    fn reload(&mut self, now: u64, config: Config, out: &mut Vec<Action>) {
        if config.failure_detection_time_ms != self.config.failure_detection_time_ms {
            out.push(Action::Log(
                Level::Info,
                format!(
                    "failure detection time changed from {} ms to {} ms",
                    self.config.failure_detection_time_ms, config.failure_detection_time_ms
                ),
            ));
            for g in self.groups.values_mut() {
                g.fdt
                    .reconfigure(u64::from(config.failure_detection_time_ms));
            }
        }
        for g in self.groups.values_mut() {
            g.policy.failback = config.failback;
        }
        self.config = config;
        self.choose_all_targets(now);
    }

    /// Writes the flags the policy wants wherever they differ from what
    /// was last written (or seen).
    fn sync_flags(&mut self, out: &mut Vec<Action>) {
        for (gid, g) in &self.groups {
            if *gid == ANONYMOUS {
                continue;
            }
            for pm in &g.policy.members {
                let Some(m) = self
                    .members
                    .values_mut()
                    .find(|m| m.name == pm.name && m.group == *gid)
                else {
                    continue;
                };
                let mut want = 0;
                if pm.inactive {
                    want |= MEMBER_F_INACTIVE;
                }
                if m.failed {
                    want |= MEMBER_F_FAILED;
                }
                if pm.state == State::Offline {
                    want |= MEMBER_F_OFFLINE;
                }
                let have = m.pushed.unwrap_or(m.kernel_flags & OWNED_FLAGS);
                if have != want {
                    out.push(Action::SetFlags {
                        ifindex: m.ifindex,
                        flags: want,
                        mask: OWNED_FLAGS,
                    });
                    if (have ^ want) & MEMBER_F_OFFLINE != 0 {
                        m.awaiting |= MEMBER_F_OFFLINE;
                        m.awaited = (m.awaited & !MEMBER_F_OFFLINE) | (want & MEMBER_F_OFFLINE);
                    }
                }
                m.pushed = Some(want);
            }
        }
    }

    /// What `ipmpstat` shows.
    pub fn snapshot(&self) -> Snapshot {
        let mut groups = Vec::new();
        let mut members = Vec::new();
        for (gid, g) in &self.groups {
            let probing = self
                .members
                .values()
                .any(|m| m.group == *gid && m.instances().iter().any(|i| i.capable()));
            let running = g
                .policy
                .members
                .iter()
                .filter(|m| m.state == State::Running)
                .count();
            groups.push(GroupView {
                ifindex: *gid,
                ifname: g.ifname.clone(),
                name: g.name.clone(),
                state: if running == 0 {
                    GroupState::Failed
                } else if running == g.policy.members.len() {
                    GroupState::Ok
                } else {
                    GroupState::Degraded
                },
                fdt_ms: probing.then(|| g.fdt.current_ms()),
                configured_fdt_ms: u64::from(self.config.failure_detection_time_ms),
                configured_targets: self
                    .config
                    .group_targets
                    .get(&g.ifname)
                    .cloned()
                    .unwrap_or_default(),
            });
            for pm in &g.policy.members {
                let Some(m) = self
                    .members
                    .values()
                    .find(|m| m.name == pm.name && m.group == *gid)
                else {
                    continue;
                };
                let capable: Vec<&Instance> =
                    m.instances().into_iter().filter(|i| i.capable()).collect();
                let probe = if capable.is_empty() {
                    ProbeState::Disabled
                } else if m.probe_failed() {
                    ProbeState::Failed
                } else if !capable
                    .iter()
                    .any(|i| i.has_targets() && i.last_reply.is_some())
                {
                    // (An offline member keeps showing its last verdict,
                    // as Figure 3 of the Oracle Solaris 11.4 IPMP
                    // documentation shows net1.)
                    ProbeState::Unknown
                } else {
                    ProbeState::Ok
                };
                members.push(MemberView {
                    ifindex: m.ifindex,
                    name: m.name.clone(),
                    group: if *gid == ANONYMOUS {
                        String::new()
                    } else {
                        g.ifname.clone()
                    },
                    active: pm.active(),
                    inactive: pm.inactive,
                    standby: pm.standby,
                    duplicate_hwaddr: m.duplicate_of.is_some(),
                    link: if m.carrier {
                        LinkState::Up
                    } else {
                        LinkState::Down
                    },
                    probe,
                    state: match pm.state {
                        State::Offline => MemberState::Offline,
                        State::Failed => MemberState::Failed,
                        State::Running => MemberState::Ok,
                    },
                    instances: m.instances().iter().map(|i| i.view()).collect(),
                    failures: m.failures,
                    repairs: m.repairs,
                });
            }
        }
        Snapshot {
            groups,
            members,
            sources_given: None,
        }
    }
}
