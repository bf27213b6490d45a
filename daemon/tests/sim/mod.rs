//! A simulated network around the sans-IO core: a fake clock, a fake
//! kernel that applies the flags the core writes, and targets that answer
//! probes unless a member's path is black-holed.

#![allow(dead_code)]

use libipmp::uapi::*;
use mpathd::config::Config;
use mpathd::core::{
    Action, Admin, Binding, Core, Input, Level, MemberReport, Router, TestAddresses,
};
use mpathd::instance::Family;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

pub const GROUP: u32 = 10;
pub const SEC: u64 = 1_000_000;
pub const MS: u64 = 1_000;

/// A member of the fake kernel.
#[derive(Debug, Clone)]
pub struct KMember {
    pub ifindex: u32,
    pub name: String,
    pub flags: u32,
    pub carrier: bool,
    pub hwaddr: [u8; 6],
}

pub struct Sim {
    pub now: u64,
    pub core: Core,
    pub kernel: BTreeMap<u32, KMember>,
    /// Members whose probes (both directions) are dropped.
    pub blackholed: BTreeSet<u32>,
    /// Families whose probes are dropped on every member.
    pub blackholed_family: BTreeSet<Family>,
    /// Drop this many more probes of a member, then answer again.
    pub drop_next: BTreeMap<u32, u32>,
    /// Members on a LAN of their own: the only targets that answer them.
    pub lan_of: BTreeMap<u32, Vec<IpAddr>>,
    /// Round trip of every answered probe.
    pub rtt: u64,
    /// Round trip of probes to particular targets.
    pub rtt_of: BTreeMap<IpAddr, u64>,
    pending: Vec<(u64, Input)>,
    pub logs: Vec<(u64, Level, String)>,
    /// (time, member, acked)
    pub results: Vec<(u64, String, bool)>,
    /// (time, ifindex, family)
    pub sends: Vec<(u64, u32, Family)>,
    pub flag_writes: Vec<(u64, u32, u32, u32)>,
    pub targets: Vec<IpAddr>,
    pub iterations: u64,
    /// The IPMP interface's data addresses and the member each is bound
    /// to (the fake kernel binds them to active members, as ipmp.ko).
    pub bound: BTreeMap<IpAddr, Option<u32>>,
    /// (time, from, to) of every transitive probe sent.
    pub transitive_sends: Vec<(u64, u32, u32)>,
}

pub fn v4(s: &str) -> IpAddr {
    s.parse().expect("an address")
}

/// Routers reached through the group's IPMP interface.
pub fn via_group(addrs: &[IpAddr]) -> Vec<Router> {
    addrs
        .iter()
        .map(|&addr| Router {
            addr,
            ifindex: GROUP,
        })
        .collect()
}

impl Sim {
    pub fn new(config: Config) -> Self {
        Self {
            now: 0,
            core: Core::new(config, 42),
            kernel: BTreeMap::new(),
            blackholed: BTreeSet::new(),
            lan_of: BTreeMap::new(),
            blackholed_family: BTreeSet::new(),
            drop_next: BTreeMap::new(),
            rtt: MS,
            rtt_of: BTreeMap::new(),
            pending: Vec::new(),
            logs: Vec::new(),
            results: Vec::new(),
            sends: Vec::new(),
            flag_writes: Vec::new(),
            targets: vec![v4("192.168.10.1")],
            iterations: 0,
            bound: BTreeMap::new(),
            transitive_sends: Vec::new(),
        }
    }

    /// The group of the Oracle Solaris 11.4 IPMP documentation without
    /// test addresses, TRANSITIVE_PROBING=yes at
    /// this FDT: net0 (1) and net1 (2) active, net2 (3) standby, data
    /// addresses 192.168.10.5 and .6, router 192.168.10.1.
    pub fn transitive_itops0(fdt_ms: u32) -> Self {
        let config = Config {
            transitive_probing: true,
            failure_detection_time_ms: fdt_ms,
            ..Config::default()
        };
        let mut sim = Self::new(config);
        sim.input(Input::Routers(via_group(&[v4("192.168.10.1")])));
        sim.add_member(1, "net0", false, false);
        sim.add_member(2, "net1", false, false);
        sim.add_member(3, "net2", true, false);
        for a in ["192.168.10.5", "192.168.10.6"] {
            sim.bound.insert(v4(a), None);
        }
        sim.rebind();
        sim
    }

    /// Binds the data addresses as ipmp.ko does (an address stays on its
    /// member while that is active; others go to the least loaded active
    /// member) and tells the core, as the daemon's shell does after the
    /// kernel's event.
    pub fn rebind(&mut self) {
        if self.bound.is_empty() {
            return;
        }
        let active: Vec<u32> = self
            .kernel
            .values()
            .filter(|k| {
                k.carrier && k.flags & (MEMBER_F_INACTIVE | MEMBER_F_FAILED | MEMBER_F_OFFLINE) == 0
            })
            .map(|k| k.ifindex)
            .collect();
        let addrs: Vec<IpAddr> = self.bound.keys().copied().collect();
        for a in &addrs {
            if self.bound[a].is_some_and(|m| !active.contains(&m)) {
                self.bound.insert(*a, None);
            }
        }
        for a in &addrs {
            if self.bound[a].is_none() {
                let least = active
                    .iter()
                    .copied()
                    .min_by_key(|m| self.bound.values().filter(|b| **b == Some(*m)).count());
                self.bound.insert(*a, least);
            }
        }
        let bindings = self
            .bound
            .iter()
            .map(|(addr, member)| Binding {
                group: GROUP,
                addr: *addr,
                prefix: 24,
                member: *member,
            })
            .collect();
        self.pending.push((self.now, Input::Bindings(bindings)));
    }

    /// The group of the Oracle Solaris 11.4 IPMP documentation: net0 (1)
    /// and net1 (2) active, net2 (3) standby,
    /// each with an IPv4 test address, router 192.168.10.1 as target.
    pub fn itops0(config: Config) -> Self {
        let mut sim = Self::new(config);
        sim.input(Input::Routers(via_group(&[v4("192.168.10.1")])));
        sim.add_member(1, "net0", false, true);
        sim.add_member(2, "net1", false, true);
        sim.add_member(3, "net2", true, true);
        sim
    }

    pub fn kernel_member(&mut self, ifindex: u32, name: &str, standby: bool) -> KMember {
        KMember {
            ifindex,
            name: name.into(),
            flags: if standby { MEMBER_F_STANDBY } else { 0 },
            carrier: true,
            hwaddr: [2, 0, 0, 0, 0, ifindex as u8],
        }
    }

    pub fn report(&self, ifindex: u32) -> MemberReport {
        let k = &self.kernel[&ifindex];
        MemberReport {
            ifindex,
            name: k.name.clone(),
            group_ifindex: GROUP,
            group_ifname: "itops0".into(),
            group_name: "itops0".into(),
            flags: k.flags,
            carrier: k.carrier,
            hwaddr: k.hwaddr,
        }
    }

    pub fn add_member(&mut self, ifindex: u32, name: &str, standby: bool, test_address: bool) {
        let k = self.kernel_member(ifindex, name, standby);
        self.kernel.insert(ifindex, k);
        let report = self.report(ifindex);
        self.input(Input::Member {
            report,
            adopt: false,
        });
        if test_address {
            self.set_test_address(ifindex, Some(v4(&format!("192.168.10.{}", 10 + ifindex))));
        }
    }

    /// A member with an IPv4 test address and the IPv6 link-local
    /// fe80::IFINDEX.
    pub fn add_dual_stack_member(&mut self, ifindex: u32, name: &str) {
        let k = self.kernel_member(ifindex, name, false);
        self.kernel.insert(ifindex, k);
        let report = self.report(ifindex);
        self.input(Input::Member {
            report,
            adopt: false,
        });
        self.input(Input::TestAddresses {
            ifindex,
            addresses: TestAddresses {
                v4: Some((v4(&format!("192.168.10.{}", 10 + ifindex)), 24)),
                v6: Some(v4(&format!("fe80::{ifindex}"))),
            },
        });
    }

    /// Black-holes the member's path until it is failed, then opens it
    /// until it is repaired (each within a generous limit).
    pub fn outage(&mut self, ifindex: u32, fdt: u64) {
        self.blackholed.insert(ifindex);
        self.run_until_pred(2 * fdt, |s| s.failed(ifindex))
            .expect("fails");
        self.blackholed.remove(&ifindex);
        self.run_until_pred(3 * fdt, |s| !s.failed(ifindex))
            .expect("repaired");
    }

    /// A new daemon with `config` over this kernel: it adopts every
    /// member, learns the router and the members' test addresses.
    pub fn restarted(&self, config: Config) -> Sim {
        let mut fresh = Sim::new(config);
        fresh.kernel = self.kernel.clone();
        fresh.blackholed = self.blackholed.clone();
        fresh.input(Input::Routers(via_group(&[v4("192.168.10.1")])));
        let ids: Vec<u32> = fresh.kernel.keys().copied().collect();
        let reports = ids.iter().map(|&i| fresh.report(i)).collect();
        fresh.input(Input::Adopt(reports));
        for i in ids {
            fresh.set_test_address(i, Some(v4(&format!("192.168.10.{}", 10 + i))));
        }
        fresh
    }

    pub fn set_test_address(&mut self, ifindex: u32, addr: Option<IpAddr>) {
        self.input(Input::TestAddresses {
            ifindex,
            addresses: TestAddresses {
                v4: addr.map(|a| (a, 24)),
                v6: None,
            },
        });
    }

    pub fn input(&mut self, input: Input) {
        let actions = self.core.handle(self.now, input);
        self.apply(actions);
    }

    pub fn admin(&mut self, request: Admin) -> Result<(), String> {
        let (r, actions) = self.core.admin(self.now, request);
        self.apply(actions);
        r
    }

    /// Carrier change on a member, as the kernel reports it.
    pub fn carrier(&mut self, ifindex: u32, up: bool) {
        if let Some(k) = self.kernel.get_mut(&ifindex) {
            k.carrier = up;
        }
        self.rebind();
        let report = self.report(ifindex);
        self.input(Input::Member {
            report,
            adopt: false,
        });
    }

    fn apply(&mut self, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::SetFlags {
                    ifindex,
                    flags,
                    mask,
                } => {
                    self.flag_writes.push((self.now, ifindex, flags, mask));
                    let report = if let Some(k) = self.kernel.get_mut(&ifindex) {
                        k.flags = (k.flags & !mask) | (flags & mask);
                        true
                    } else {
                        false
                    };
                    if report {
                        self.rebind();
                        // The kernel's event echoes the change back.
                        let r = self.report(ifindex);
                        self.pending.push((
                            self.now,
                            Input::Member {
                                report: r,
                                adopt: false,
                            },
                        ));
                    }
                }
                Action::Probe {
                    ifindex,
                    family,
                    dst,
                    seq,
                    ..
                } => {
                    self.sends.push((self.now, ifindex, family));
                    let mut dropped = self.blackholed.contains(&ifindex)
                        || self.blackholed_family.contains(&family)
                        || !self.kernel.get(&ifindex).is_some_and(|k| k.carrier);
                    if let Some(n) = self.drop_next.get_mut(&ifindex) {
                        if *n > 0 {
                            *n -= 1;
                            dropped = true;
                        }
                    }
                    if dropped {
                        continue;
                    }
                    let reachable = self.lan_of.get(&ifindex).unwrap_or(&self.targets);
                    let responders: Vec<IpAddr> = if dst.is_multicast() {
                        reachable.clone()
                    } else if reachable.contains(&dst) {
                        vec![dst]
                    } else {
                        vec![]
                    };
                    for from in responders {
                        let rtt = self.rtt_of.get(&from).copied().unwrap_or(self.rtt);
                        self.pending.push((
                            self.now + rtt,
                            Input::Reply {
                                ifindex,
                                family,
                                seq,
                                from,
                            },
                        ));
                    }
                }
                Action::TransitiveProbe {
                    ifindex, to, seq, ..
                } => {
                    self.transitive_sends.push((self.now, ifindex, to));
                    let up = |i: u32| {
                        !self.blackholed.contains(&i)
                            && self.kernel.get(&i).is_some_and(|k| k.carrier)
                    };
                    let mut dropped = !up(ifindex) || !up(to);
                    if let Some(n) = self.drop_next.get_mut(&ifindex) {
                        if *n > 0 {
                            *n -= 1;
                            dropped = true;
                        }
                    }
                    if !dropped {
                        self.pending
                            .push((self.now + self.rtt, Input::TransitiveReply { ifindex, seq }));
                    }
                }
                Action::Log(level, line) => self.logs.push((self.now, level, line)),
                Action::ProbeResult(e) => self.results.push((self.now, e.interface, e.acked)),
                Action::TakeGroup { .. } | Action::CloseProbes { .. } => {}
            }
        }
    }

    /// Runs the clock to `until` (absolute µs).
    pub fn run_until(&mut self, until: u64) {
        loop {
            let next_reply = self.pending.iter().map(|(t, _)| *t).min();
            let next = match (self.core.next_deadline(), next_reply) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => match a.or(b) {
                    Some(t) => t,
                    None => break,
                },
            };
            if next > until {
                break;
            }
            self.now = self.now.max(next);
            // A core whose deadline does not move when its time has come
            // would spin the daemon's main loop: fail instead of hanging.
            self.iterations += 1;
            assert!(
                self.iterations < 10_000_000,
                "the core's deadline does not advance at {}",
                self.now
            );
            if let Some(i) = self.pending.iter().position(|(t, _)| *t <= self.now) {
                let (_, input) = self.pending.remove(i);
                self.input(input);
                continue;
            }
            let actions = self.core.tick(self.now);
            self.apply(actions);
        }
        self.now = until;
    }

    pub fn run_for(&mut self, d: u64) {
        self.run_until(self.now + d);
    }

    /// Runs until `pred` holds, at most `limit`; returns the time taken.
    pub fn run_until_pred(
        &mut self,
        limit: u64,
        mut pred: impl FnMut(&Sim) -> bool,
    ) -> Option<u64> {
        let start = self.now;
        while self.now < start + limit {
            let step = (self.now + 10 * MS).min(start + limit);
            self.run_until(step);
            if pred(self) {
                return Some(self.now - start);
            }
        }
        None
    }

    pub fn flags(&self, ifindex: u32) -> u32 {
        self.kernel[&ifindex].flags
    }

    pub fn failed(&self, ifindex: u32) -> bool {
        self.flags(ifindex) & MEMBER_F_FAILED != 0
    }

    /// `ipmpstat -i`-like flag string of the member (i, s, h).
    pub fn role(&self, ifindex: u32) -> String {
        let f = self.flags(ifindex);
        let mut s = String::new();
        s.push(if f & MEMBER_F_INACTIVE != 0 { 'i' } else { '-' });
        s.push(if f & MEMBER_F_STANDBY != 0 { 's' } else { '-' });
        s.push(if f & MEMBER_F_FAILED != 0 { 'F' } else { '-' });
        s.push(if f & MEMBER_F_OFFLINE != 0 { 'O' } else { '-' });
        s
    }

    pub fn losses_of(&self, name: &str, since: u64) -> usize {
        self.results
            .iter()
            .filter(|(t, n, acked)| *t >= since && n == name && !acked)
            .count()
    }

    pub fn acks_of(&self, name: &str, since: u64) -> usize {
        self.results
            .iter()
            .filter(|(t, n, acked)| *t >= since && n == name && *acked)
            .count()
    }

    pub fn logged(&self, text: &str) -> bool {
        self.logs.iter().any(|(_, _, l)| l.contains(text))
    }
}
