//! Probing of one member in one address family (the original's
//! `phyint_instance`): its test address, its targets in firing order, the
//! probes in flight, and the run of consecutive results.
//!
//! Time is passed in (µs on a monotonic clock) and randomness too, so that
//! every rule is exact under test. The instance reports what happened as
//! [`Outcome`]s; the core decides what they mean for the member and the
//! group.

use crate::probe::{next_probe_at_us, ProbeRun, RecentRtts, RttEstimate, Verdict, PROBES_TO_FAIL};
use libipmp::control::{InstanceView, TargetMode, TargetView};
use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Most targets probed per instance (the original's MAX_PROBE_TARGETS).
pub const MAX_TARGETS: usize = 5;
/// Lost probes are ignored for this long after probing starts, until the
/// first reply (a switch port may still be in spanning-tree listening).
pub const QUIET_PERIOD_US: u64 = 40_000_000;
/// A router dropped for not answering is tried again after this long.
pub const DEAD_ROUTER_RETRY_US: u64 = 60_000_000;
/// Probes at most in flight; a third send counts the oldest as lost.
pub const MAX_OUTSTANDING: usize = 2;
/// The shortest wait for a reply. On a LAN the CRTT is well under a
/// millisecond, and a reply delayed by scheduling alone must not count as
/// lost; the original, counting in whole milliseconds, treated such a CRTT
/// as unknown and waited a whole probe interval.
pub const MIN_LOSS_TIMEOUT_US: u64 = 10_000;
/// Targets that must remain before a slow one may be dropped (the
/// original's MIN_PROBE_TARGETS).
pub const MIN_TARGETS: usize = 2;
/// A target is exceptionally slow when every other one answers within
/// the probe interval divided by this (the original's EXCEPTION_FACTOR).
pub const EXCEPTION_FACTOR: u64 = 5;
/// Lost probes remembered so that a late reply still feeds the RTT
/// estimate (which is how a slow target raises the FDT).
const RECENTLY_LOST: usize = 8;

/// The target of transitive probes, never shown: they go to a member
/// ([`Instance::via`]), not to an address.
pub const TRANSITIVE_TARGET: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

/// The member that transitive probes go to (the group's prober).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// Its interface index.
    pub ifindex: u32,
    /// Its name.
    pub name: String,
    /// Its hardware address (the probes' destination).
    pub hwaddr: [u8; 6],
}

/// An address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4 (ICMP).
    V4,
    /// IPv6 (ICMPv6).
    V6,
}

impl Family {
    /// "ipv4" / "ipv6".
    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "ipv4",
            Family::V6 => "ipv6",
        }
    }

    /// The all-hosts multicast address probed to discover host targets.
    pub fn all_hosts(self) -> IpAddr {
        match self {
            Family::V4 => IpAddr::V4(Ipv4Addr::new(224, 0, 0, 1)),
            Family::V6 => IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1)),
        }
    }

    /// The family of an address.
    pub fn of(addr: &IpAddr) -> Self {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }
}

/// A probe target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Its address.
    pub addr: IpAddr,
    /// Its round-trip time estimate.
    pub rtt: RttEstimate,
    /// Consecutive probes it left unanswered.
    pub losses: u32,
    /// A router from the routing table (else a host or an explicit one).
    pub router: bool,
    /// Replies it has given. The first one's round trip includes address
    /// resolution (ARP/ND) and is not taken into the estimate.
    pub replies: u64,
    /// Its last round trips (sustained slowness raises the FDT).
    pub recent: RecentRtts,
}

impl Target {
    fn new(addr: IpAddr, router: bool) -> Self {
        Self {
            addr,
            rtt: RttEstimate::default(),
            losses: 0,
            router,
            replies: 0,
            recent: RecentRtts::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sent {
    seq: u16,
    target: IpAddr,
    at: u64,
    deadline: u64,
}

/// What happened, for the core to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Send an echo request with this sequence number to `dst`.
    Send {
        /// Destination (a target, or the all-hosts group).
        dst: IpAddr,
        /// Sequence number.
        seq: u16,
    },
    /// A probe got its answer or was lost.
    Result {
        /// Its sequence number.
        seq: u16,
        /// When it was sent.
        sent_at: u64,
        /// Its target.
        target: IpAddr,
        /// Answered.
        acked: bool,
        /// Round trip, for answered probes.
        rtt_us: Option<u64>,
        /// What the result did to the run (losses in the quiet period
        /// are not counted and report `Unchanged`).
        verdict: Verdict,
    },
    /// A late answer to a probe already counted lost: only the target's
    /// RTT estimate learnt from it.
    LateReply {
        /// The target.
        target: IpAddr,
    },
    /// A host answered the all-hosts probe and became a target.
    TargetAdded(IpAddr),
    /// A target stopped answering while others still did, and was
    /// dropped (a router until [`DEAD_ROUTER_RETRY_US`] has passed).
    TargetDropped(IpAddr),
    /// Nothing to probe: no router on the test subnet and no host answered
    /// the all-hosts probe. Reported once until a target is found.
    NoTargets,
}

/// Probing of one member in one family.
#[derive(Debug, Clone)]
pub struct Instance {
    /// The family.
    pub family: Family,
    /// The test address and its prefix length (for the member that
    /// probes for a group without test addresses: a data address bound
    /// to it, see [`Instance::data_source`]).
    pub test_addr: Option<(IpAddr, u8)>,
    /// `test_addr` is one of the group's data addresses, bound to this
    /// member (transitive probing's prober).
    pub data_source: bool,
    /// Transitive probing: link-layer probes go to this member instead of
    /// ICMP to targets.
    pub via: Option<Via>,
    /// Why probing is off although there is a test address.
    pub disabled_reason: Option<String>,
    /// How the targets were chosen.
    pub mode: TargetMode,
    /// Targets in firing order.
    pub targets: Vec<Target>,
    next_target: usize,
    /// Consecutive results.
    pub run: ProbeRun,
    started_at: Option<u64>,
    got_reply: bool,
    base: u64,
    next_send: u64,
    next_seq: u16,
    outstanding: VecDeque<Sent>,
    discovery: Option<Sent>,
    recently_lost: VecDeque<Sent>,
    /// When the current run of losses began (the first lost probe's send
    /// time); `None` after a reply.
    pub failing_since: Option<u64>,
    /// When the last answer arrived.
    pub last_reply: Option<u64>,
    /// When the last answered probe was sent.
    pub last_acked_sent: Option<u64>,
    dead_routers: Vec<(IpAddr, u64)>,
    /// [`Outcome::NoTargets`] was reported and no target has been found
    /// since.
    no_targets_reported: bool,
    sent: u64,
    acked: u64,
    lost: u64,
}

impl Instance {
    /// An instance with no test address yet; `failed` is the member's
    /// state as found (a failed member needs the repair count of replies).
    pub fn new(family: Family, failed: bool) -> Self {
        Self {
            family,
            test_addr: None,
            data_source: false,
            via: None,
            disabled_reason: None,
            mode: TargetMode::Disabled,
            targets: Vec::new(),
            next_target: 0,
            run: ProbeRun::new(failed),
            started_at: None,
            got_reply: false,
            base: 0,
            next_send: 0,
            next_seq: 1,
            outstanding: VecDeque::new(),
            discovery: None,
            recently_lost: VecDeque::new(),
            failing_since: None,
            last_reply: None,
            last_acked_sent: None,
            dead_routers: Vec::new(),
            no_targets_reported: false,
            sent: 0,
            acked: 0,
            lost: 0,
        }
    }

    /// Has a usable test address, or a member to probe through (probing
    /// is possible).
    pub fn capable(&self) -> bool {
        (self.test_addr.is_some() || self.via.is_some()) && self.disabled_reason.is_none()
    }

    /// Probes transitively (through [`Instance::via`]).
    pub fn transitive(&self) -> bool {
        self.via.is_some()
    }

    /// Capable and has somewhere to send probes.
    pub fn has_targets(&self) -> bool {
        self.capable() && !self.targets.is_empty()
    }

    /// Probing is running (timers armed).
    pub fn running(&self) -> bool {
        self.started_at.is_some()
    }

    /// Starts probing at `now`: the first probe leaves at a random point
    /// of the first interval, so that members do not probe in step; the
    /// quiet period begins.
    pub fn start(&mut self, now: u64, interval_us: u64, random: f64) {
        self.started_at = Some(now);
        self.got_reply = false;
        self.base = now + (interval_us as f64 * random.clamp(0.0, 1.0)) as u64;
        self.next_send = self.base;
        self.outstanding.clear();
        self.discovery = None;
        self.failing_since = None;
    }

    /// Stops probing (link down, offline, test address gone); probes in
    /// flight are forgotten.
    pub fn stop(&mut self) {
        self.started_at = None;
        self.outstanding.clear();
        self.discovery = None;
        self.failing_since = None;
    }

    /// Starts the run over: failed (the link went down, so a repair must
    /// be proven by probes) or not (onlined, or no targets to prove it).
    pub fn reset_run(&mut self, failed: bool) {
        self.run = ProbeRun::new(failed);
        self.failing_since = None;
    }

    /// The earliest time at which [`Instance::tick`] has work.
    pub fn next_deadline(&self) -> Option<u64> {
        self.started_at?;
        let mut t = self.next_send;
        for s in self.outstanding.iter().chain(self.discovery.iter()) {
            t = t.min(s.deadline);
        }
        Some(t)
    }

    /// Chooses the targets: the explicit list if it has addresses of this
    /// family, else routers on the test subnet (minus dead ones), else the
    /// hosts found by multicast. Targets that stay keep their RTT state.
    pub fn choose_targets(&mut self, explicit: &[IpAddr], routers: &[IpAddr], now: u64) {
        if !self.capable() {
            self.mode = TargetMode::Disabled;
            self.targets.clear();
            return;
        }
        if self.transitive() {
            if self.mode != TargetMode::Transitive || self.targets.len() != 1 {
                self.targets = vec![Target::new(TRANSITIVE_TARGET, false)];
            }
            self.mode = TargetMode::Transitive;
            self.next_target = 0;
            self.no_targets_reported = false;
            return;
        }
        if self.mode == TargetMode::Transitive {
            self.targets.clear();
        }
        self.dead_routers.retain(|&(_, until)| until > now);
        let explicit: Vec<IpAddr> = explicit
            .iter()
            .filter(|a| Family::of(a) == self.family)
            .copied()
            .collect();
        let routers: Vec<IpAddr> = routers
            .iter()
            .filter(|a| Family::of(a) == self.family && self.on_test_subnet(a))
            .filter(|a| !self.dead_routers.iter().any(|(d, _)| d == *a))
            .copied()
            .collect();
        let (mode, wanted, router) = if !explicit.is_empty() {
            (TargetMode::Explicit, explicit, false)
        } else if !routers.is_empty() {
            (TargetMode::Routes, routers, true)
        } else {
            let hosts = if self.mode == TargetMode::Multicast {
                self.targets.iter().map(|t| t.addr).collect()
            } else {
                Vec::new()
            };
            (TargetMode::Multicast, hosts, false)
        };
        let old = std::mem::take(&mut self.targets);
        for addr in wanted.into_iter().take(MAX_TARGETS) {
            if self.targets.iter().any(|t| t.addr == addr) {
                continue;
            }
            let kept = old.iter().find(|t| t.addr == addr).cloned();
            let mut t = kept.unwrap_or_else(|| Target::new(addr, router));
            t.router = router;
            self.targets.push(t);
        }
        self.mode = mode;
        if !self.targets.is_empty() {
            self.no_targets_reported = false;
        }
        if self.next_target >= self.targets.len() {
            self.next_target = 0;
        }
    }

    fn on_test_subnet(&self, addr: &IpAddr) -> bool {
        match (self.test_addr, addr) {
            (Some((IpAddr::V4(test), prefix)), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(prefix.min(32)))
                    .unwrap_or(0);
                u32::from(test) & mask == u32::from(*a) & mask
            }
            // IPv6 test addresses are link-local: routers reachable on the
            // link are those with link-local next hops.
            (Some((IpAddr::V6(_), _)), IpAddr::V6(a)) => a.segments()[0] & 0xffc0 == 0xfe80,
            _ => false,
        }
    }

    fn take_seq(&mut self) -> u16 {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        seq
    }

    /// Does what is due at `now`: counts timed-out probes as lost and
    /// sends the next probe when its time has come.
    pub fn tick(&mut self, now: u64, interval_us: u64, random: f64, out: &mut Vec<Outcome>) {
        if self.started_at.is_none() {
            return;
        }
        // Timeouts differ between probes (a failed member waits a whole
        // interval, and the interval changes with the FDT), so a later
        // probe may expire first: take every expired one, in send order.
        let (expired, waiting): (VecDeque<Sent>, VecDeque<Sent>) =
            std::mem::take(&mut self.outstanding)
                .into_iter()
                .partition(|s| s.deadline <= now);
        self.outstanding = waiting;
        for s in expired {
            self.lose(s, now, out);
        }
        if self.discovery.is_some_and(|d| d.deadline <= now) {
            self.discovery = None;
            if self.targets.is_empty() && !self.no_targets_reported {
                self.no_targets_reported = true;
                out.push(Outcome::NoTargets);
            }
        }
        if now < self.next_send {
            return;
        }
        if self.targets.is_empty() {
            self.discover(now, interval_us, out);
        } else {
            if self.outstanding.len() >= MAX_OUTSTANDING {
                if let Some(oldest) = self.outstanding.pop_front() {
                    self.lose(oldest, now, out);
                }
            }
            // Dropping a target above may have emptied the list.
            if let Some(target) = self
                .targets
                .get(self.next_target % self.targets.len().max(1))
            {
                let dst = target.addr;
                // A failed member learns no RTT (see reply()), so its
                // estimate may be stale: wait a whole interval.
                let timeout = if self.run.failed() {
                    interval_us
                } else {
                    target
                        .rtt
                        .loss_timeout_us(interval_us)
                        .max(MIN_LOSS_TIMEOUT_US)
                };
                self.next_target = (self.next_target + 1) % self.targets.len();
                let seq = self.take_seq();
                self.outstanding.push_back(Sent {
                    seq,
                    target: dst,
                    at: now,
                    deadline: now + timeout,
                });
                self.sent += 1;
                out.push(Outcome::Send { dst, seq });
            }
            // One host target is no resilience: look for more; and a
            // failed member's hosts may be gone for good: look for others.
            if self.mode == TargetMode::Multicast && (self.targets.len() == 1 || self.run.failed())
            {
                self.discover(now, interval_us, out);
            }
        }
        self.base += interval_us;
        if self.base + interval_us < now {
            // Missed rounds (the daemon was not scheduled): re-anchor.
            self.base = now;
        }
        self.next_send = next_probe_at_us(self.base, interval_us, random).max(now + 1);
    }

    fn discover(&mut self, now: u64, interval_us: u64, out: &mut Vec<Outcome>) {
        if self.mode != TargetMode::Multicast || self.discovery.is_some() {
            return;
        }
        let seq = self.take_seq();
        let dst = self.family.all_hosts();
        self.discovery = Some(Sent {
            seq,
            target: dst,
            at: now,
            deadline: now + interval_us,
        });
        out.push(Outcome::Send { dst, seq });
    }

    fn in_quiet_period(&self, now: u64) -> bool {
        !self.got_reply
            && self
                .started_at
                .is_some_and(|s| now < s.saturating_add(QUIET_PERIOD_US))
    }

    fn lose(&mut self, s: Sent, now: u64, out: &mut Vec<Outcome>) {
        self.lost += 1;
        self.recently_lost.push_back(s);
        if self.recently_lost.len() > RECENTLY_LOST {
            self.recently_lost.pop_front();
        }
        let Some(ti) = self.targets.iter().position(|t| t.addr == s.target) else {
            return;
        };
        self.targets[ti].losses = self.targets[ti].losses.saturating_add(1);
        let verdict = if self.in_quiet_period(now) {
            Verdict::Unchanged
        } else {
            self.failing_since.get_or_insert(s.at);
            self.run.loss()
        };
        out.push(Outcome::Result {
            seq: s.seq,
            sent_at: s.at,
            target: s.target,
            acked: false,
            rtt_us: None,
            verdict,
        });
        // A target that misses PROBES_TO_FAIL in a row while others still
        // answer is the target's problem, not the member's.
        if self.targets[ti].losses >= PROBES_TO_FAIL
            && self.run.losses() < PROBES_TO_FAIL
            && self.targets.len() > 1
            && !self.in_quiet_period(now)
        {
            let t = self.targets.remove(ti);
            if t.router {
                self.dead_routers.push((t.addr, now + DEAD_ROUTER_RETRY_US));
            }
            if self.next_target >= self.targets.len() {
                self.next_target = 0;
            }
            out.push(Outcome::TargetDropped(t.addr));
        }
    }

    /// An echo reply with sequence number `seq` from `from` arrived at
    /// `now`. `local` says whether an address is this host's own (such
    /// replies to the all-hosts probe are not targets).
    pub fn reply(
        &mut self,
        now: u64,
        seq: u16,
        from: IpAddr,
        local: impl Fn(&IpAddr) -> bool,
        out: &mut Vec<Outcome>,
    ) {
        if self.started_at.is_none() {
            return;
        }
        if let Some(d) = self.discovery {
            if d.seq == seq {
                let new = self.mode == TargetMode::Multicast
                    && !self.targets.iter().any(|t| t.addr == from)
                    && Family::of(&from) == self.family
                    && !local(&from);
                if new && self.targets.len() < MAX_TARGETS {
                    self.no_targets_reported = false;
                    self.targets.push(Target::new(from, false));
                    out.push(Outcome::TargetAdded(from));
                } else if new {
                    // Full: a responder replaces a host that stopped
                    // answering (while the member is failed, nobody can
                    // tell which hosts are gone otherwise).
                    if let Some(i) = self.targets.iter().position(|t| t.losses >= PROBES_TO_FAIL) {
                        let old = std::mem::replace(&mut self.targets[i], Target::new(from, false));
                        out.push(Outcome::TargetDropped(old.addr));
                        out.push(Outcome::TargetAdded(from));
                    }
                }
                return;
            }
        }
        if let Some(i) = self
            .outstanding
            .iter()
            .position(|s| s.seq == seq && s.target == from)
        {
            let Some(s) = self.outstanding.remove(i) else {
                return;
            };
            // Probes are answered in order; an older one still waiting
            // was overtaken and is lost.
            while self.outstanding.front().is_some_and(|o| o.at < s.at) {
                if let Some(o) = self.outstanding.pop_front() {
                    self.lose(o, now, out);
                }
            }
            let rtt = now.saturating_sub(s.at);
            self.acked += 1;
            self.got_reply = true;
            self.last_reply = Some(now);
            self.last_acked_sent = Some(s.at);
            self.failing_since = None;
            let failed = self.run.failed();
            if let Some(t) = self.targets.iter_mut().find(|t| t.addr == from) {
                t.losses = 0;
                // While failed, and on a target's first answer, replies may
                // have queued behind address resolution: they would teach
                // the estimate nonsense.
                if !failed && t.replies > 0 {
                    t.rtt.sample(rtt);
                    t.recent.push(rtt);
                }
                t.replies += 1;
            }
            let verdict = self.run.reply();
            out.push(Outcome::Result {
                seq,
                sent_at: s.at,
                target: from,
                acked: true,
                rtt_us: Some(rtt),
                verdict,
            });
            return;
        }
        if let Some(i) = self
            .recently_lost
            .iter()
            .position(|s| s.seq == seq && s.target == from)
        {
            let Some(s) = self.recently_lost.remove(i) else {
                return;
            };
            if let Some(t) = self.targets.iter_mut().find(|t| t.addr == from) {
                if !self.run.failed() && t.replies > 0 {
                    let rtt = now.saturating_sub(s.at);
                    t.rtt.sample(rtt);
                    t.recent.push(rtt);
                    out.push(Outcome::LateReply { target: from });
                }
                t.replies += 1;
            }
        }
    }

    /// Drops `addr` if it is the one slow target among fast ones: at
    /// least [`MIN_TARGETS`] others remain, and each answers within the
    /// interval / [`EXCEPTION_FACTOR`]. A router is kept out for
    /// [`DEAD_ROUTER_RETRY_US`]; a host is forgotten and another sought.
    pub fn drop_if_exceptionally_slow(
        &mut self,
        addr: &IpAddr,
        interval_us: u64,
        now: u64,
    ) -> bool {
        let others: Vec<&Target> = self.targets.iter().filter(|t| t.addr != *addr).collect();
        if others.len() < MIN_TARGETS
            || !others.iter().all(|t| {
                t.rtt
                    .conservative_us()
                    .is_some_and(|c| c < interval_us / EXCEPTION_FACTOR)
            })
        {
            return false;
        }
        let Some(i) = self.targets.iter().position(|t| t.addr == *addr) else {
            return false;
        };
        let t = self.targets.remove(i);
        if t.router {
            self.dead_routers.push((t.addr, now + DEAD_ROUTER_RETRY_US));
        }
        if self.next_target >= self.targets.len() {
            self.next_target = 0;
        }
        true
    }

    /// The RTT estimate of a target.
    pub fn target(&self, addr: &IpAddr) -> Option<&Target> {
        self.targets.iter().find(|t| t.addr == *addr)
    }

    /// What `ipmpstat -t` shows of this instance.
    pub fn view(&self) -> InstanceView {
        InstanceView {
            family: self.family.name().to_string(),
            mode: if self.capable() {
                self.mode
            } else {
                TargetMode::Disabled
            },
            test_address: self.test_addr.map(|(a, _)| a),
            data_address: self.data_source && self.test_addr.is_some(),
            via: self.via.as_ref().map(|v| v.name.clone()),
            disabled_reason: self.disabled_reason.clone(),
            targets: self
                .targets
                .iter()
                .filter(|_| !self.transitive())
                .map(|t| TargetView {
                    address: t.addr,
                    rtt_us: t.rtt.smoothed_us(),
                    crtt_us: t.rtt.conservative_us(),
                    losses: t.losses,
                })
                .collect(),
            sent: self.sent,
            acked: self.acked,
            lost: self.lost,
        }
    }
}
