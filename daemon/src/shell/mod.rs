//! The IO shell around [`crate::core`]: one main loop owns the core and
//! performs its actions; threads only wait on blocking sources (kernel
//! events, rtnetlink notifications, probe sockets, the control socket,
//! signals) and forward what they get over one bounded channel.
//!
//! Event-driven: ipmp.ko's generic netlink events say when members change;
//! rtnetlink's link, address and route notifications say when to read the
//! interfaces, the addresses or the routing tables again (once per batch
//! of notifications, so a burst costs one read). A full re-read every
//! [`SAFETY_NET`], and at once when a notification socket overflowed, is
//! only the safety net.
//!
//! Kernel state is the source of truth: at start the daemon adopts the
//! flags it finds (no traffic moves), and it leaves them as they are when
//! it exits.

pub mod admission;
pub mod control;
pub mod icmp;
pub mod link;
pub mod lock;
pub mod log;
pub mod rotation;
pub mod system;
pub mod transitive;

use crate::config::{self, Config};
use crate::core::{Action, Binding, Core, Input, Level, MemberReport, Router, ANONYMOUS};
use crate::instance::Family;
use control::ControlMsg;
use icmp::{ProbeSocket, Reply};
use libipmp::control::{ProbeEvent, Request, Response, SourceGiven};
use libipmp::netlink::{Client, Event, GroupInfo, GroupSettings, MemberInfo};
use libipmp::rtnl::Topic;
use libipmp::uapi::{EVENT_MEMBER_REMOVED, POLICY_DAEMON};
use log::Logger;
use nix::sys::signal::{SigSet, Signal};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};
use system::RpFilter;

/// How often everything is read again although no notification said so.
const SAFETY_NET: Duration = Duration::from_secs(30);
/// Messages queued for the main loop before the threads wait (each
/// thread's own socket buffer then holds what arrives meanwhile).
const MAIN_QUEUE: usize = 4096;

/// How the daemon was started.
#[derive(Debug, Clone)]
pub struct Options {
    /// Debug log to stderr.
    pub debug: bool,
    /// Keep running while there is no IPMP group, waiting for one.
    pub adopt: bool,
    /// The configuration file.
    pub config_path: PathBuf,
    /// The persistent IPMP configuration (per-group probe targets).
    pub ipmp_dir: PathBuf,
    /// The control socket.
    pub socket_path: PathBuf,
    /// Where the one-daemon-per-network-namespace lock lives.
    pub lock_dir: PathBuf,
}

/// What the threads tell the main loop.
enum Msg {
    Kernel(Event),
    KernelLost(String),
    /// rtnetlink notifications arrived about these topics.
    System(Vec<Topic>),
    /// rtnetlink notifications were lost (a full socket buffer).
    SystemLost(String),
    Reply(Reply),
    Transitive(link::TransitiveReply),
    Control(ControlMsg),
    Signal(Signal),
}

/// What must be read again once the queued messages are handled.
#[derive(Debug, Default, Clone, Copy)]
struct Due {
    /// Everything: the kernel's groups and members, interfaces,
    /// addresses, routes.
    all: bool,
    /// Addresses (and so test addresses).
    addresses: bool,
    /// The routing tables' next hops.
    routes: bool,
    /// The kernel's bindings of data addresses to members.
    bindings: bool,
}

struct Shell {
    opts: Options,
    log: Logger,
    core: Core,
    client: Option<Client>,
    /// Whether the kernel event thread runs (one at most).
    events_alive: std::sync::Arc<std::sync::atomic::AtomicBool>,
    tx: SyncSender<Msg>,
    start: Instant,
    ident: u16,
    /// Members (and anonymous interfaces) the core knows: ifindex → name.
    known: BTreeMap<u32, String>,
    groups: BTreeMap<u32, GroupInfo>,
    sockets: HashMap<(u32, Family), ProbeSocket>,
    /// Transitive probing's sockets.
    transitive: transitive::TransitiveIo,
    subscribers: Vec<SyncSender<ProbeEvent>>,
    /// What to read again after this batch of messages (once per batch,
    /// not once per message: a burst of joins or route changes must not
    /// make the daemon fall behind).
    due: Due,
    /// Members whose rp_filter setting was checked (ifindex): checked
    /// once per member, when its IPv4 test address is first seen.
    rp_filter_checked: BTreeSet<u32>,
    /// The last STATUS= line sent to systemd, and when it was made.
    status: (String, Option<Instant>),
    /// Source address rotation's programs, while they run.
    rotation: Option<rotation::Rotation>,
    /// Why rotation could not start (said once; tried again on reload).
    rotation_failed: Option<String>,
    /// Groups with more usable addresses than rotation takes, and how
    /// many it leaves out (said when that changes).
    rotation_left_out: BTreeMap<u32, usize>,
}

/// Reads the configuration file: its settings and warnings, or why it
/// could not be read. A missing file means the defaults.
/// Every group's own probe targets from the ipmp(5) files in `dir`, and
/// the files' problems (a missing directory is no problem: no targets).
fn read_group_targets(
    dir: &std::path::Path,
) -> (BTreeMap<String, Vec<std::net::IpAddr>>, Vec<String>) {
    use libipmp::persist;
    let mut targets = BTreeMap::new();
    let mut problems = Vec::new();
    if !dir.is_dir() {
        return (targets, problems);
    }
    match persist::load(dir, &[]) {
        Ok(files) => {
            for (path, text) in files {
                match persist::parse(&path, &text) {
                    Ok(c) if !c.probe_targets.is_empty() => {
                        targets.insert(c.ifname, c.probe_targets);
                    }
                    Ok(_) => {}
                    Err(p) => problems.extend(p.iter().map(ToString::to_string)),
                }
            }
        }
        Err(p) => problems.push(p.to_string()),
    }
    (targets, problems)
}

fn read_config(path: &std::path::Path) -> Result<(Config, Vec<config::Warning>), String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(config::parse(&text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((Config::default(), Vec::new())),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(opts: Options) -> Result<(), String> {
    let log = Logger::new(opts.debug);
    // One daemon per network namespace, and never on another's socket:
    // both checked before anything is touched.
    let lock = lock::DaemonLock::take(&lock::lock_path(&opts.lock_dir))?;
    if control::in_use(&opts.socket_path) {
        return Err(format!(
            "another in.mpathd is listening on {} (see --socket); exiting",
            opts.socket_path.display()
        ));
    }
    let (mut config, warnings) = read_config(&opts.config_path)?;
    for w in &warnings {
        log.log(
            Level::Warning,
            &format!("{}: {w}", opts.config_path.display()),
        );
    }
    let (targets, problems) = read_group_targets(&opts.ipmp_dir);
    for p in &problems {
        log.log(Level::Warning, p);
    }
    config.group_targets = targets;
    // Signals are taken by a thread with sigwait; every thread inherits
    // the mask, so none is interrupted by them.
    let mut signals = SigSet::empty();
    for s in [Signal::SIGHUP, Signal::SIGTERM, Signal::SIGINT] {
        signals.add(s);
    }
    signals
        .thread_block()
        .map_err(|e| format!("cannot block signals: {e}"))?;
    let (tx, rx) = sync_channel::<Msg>(MAIN_QUEUE);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        ^ u64::from(std::process::id());
    let mut shell = Shell {
        log,
        core: Core::new(config, seed),
        client: None,
        events_alive: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
        tx: tx.clone(),
        start: Instant::now(),
        ident: (std::process::id() & 0xffff) as u16,
        known: BTreeMap::new(),
        groups: BTreeMap::new(),
        sockets: HashMap::new(),
        transitive: transitive::TransitiveIo::default(),
        subscribers: Vec::new(),
        due: Due::default(),
        rp_filter_checked: BTreeSet::new(),
        status: (String::new(), None),
        rotation: None,
        rotation_failed: None,
        rotation_left_out: BTreeMap::new(),
        opts,
    };
    shell.connect(true)?;
    watch_system(tx.clone()).map_err(|e| format!("cannot watch rtnetlink: {e}"))?;
    {
        let tx = tx.clone();
        control::listen(&shell.opts.socket_path, move |m| {
            tx.send(Msg::Control(m)).is_ok()
        })
        .map_err(|e| format!("cannot listen on {}: {e}", shell.opts.socket_path.display()))?;
    }
    {
        let tx = tx.clone();
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || loop {
                match signals.wait() {
                    Ok(sig) => {
                        if tx.send(Msg::Signal(sig)).is_err() {
                            return;
                        }
                    }
                    Err(_) => return,
                }
            })
            .map_err(|e| e.to_string())?;
    }
    shell.rescan(true);
    if !shell.opts.adopt && shell.known.is_empty() {
        shell.log.log(
            Level::Error,
            "no IPMP group to track; exiting (in.mpathd -a waits for groups)",
        );
        shell.cleanup();
        return Ok(());
    }
    shell.rotation_setup();
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
    shell.update_status();
    let mut watchdog_us = 0;
    let watchdog = sd_notify::watchdog_enabled(false, &mut watchdog_us)
        .then(|| Duration::from_micros(watchdog_us / 2).max(Duration::from_millis(100)));
    shell.log.log(
        Level::Info,
        &format!(
            "started: failure detection time {} ms, FAILBACK={}; lock {}",
            shell.core.config().failure_detection_time_ms,
            if shell.core.config().failback {
                "yes"
            } else {
                "no"
            },
            lock.path().display()
        ),
    );
    let mut next_scan = Instant::now() + SAFETY_NET;
    let mut next_watchdog = Instant::now();
    loop {
        let now = Instant::now();
        if watchdog.is_some() && now >= next_watchdog {
            // From the main loop itself: a loop that stops turning stops
            // the pings, and systemd restarts the daemon.
            let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]);
            next_watchdog = now + watchdog.unwrap_or(SAFETY_NET);
        }
        let mut wait = next_scan.saturating_duration_since(now);
        if watchdog.is_some() {
            wait = wait.min(next_watchdog.saturating_duration_since(now));
        }
        if let Some(d) = shell.core.next_deadline() {
            wait = wait.min(Duration::from_micros(d.saturating_sub(shell.clock(now))));
        }
        let first = match rx.recv_timeout(wait) {
            Ok(msg) => Some(msg),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        // Everything already queued (replies above all) is handled before
        // the timers run, so that a reply that arrived in time is never
        // counted lost for having waited in the queue.
        let mut exit = false;
        for msg in first
            .into_iter()
            .chain(std::iter::from_fn(|| rx.try_recv().ok()))
        {
            match msg {
                Msg::Signal(Signal::SIGHUP) => {
                    let _ = shell.reload();
                }
                Msg::Signal(sig) => {
                    shell.log.log(
                        Level::Info,
                        &format!("{sig}: exiting; kernel state left as it is"),
                    );
                    exit = true;
                    break;
                }
                msg => shell.message(msg),
            }
        }
        if exit {
            break;
        }
        let now = Instant::now();
        let mut due = std::mem::take(&mut shell.due);
        if now >= next_scan {
            due.all = true;
        }
        if due.all {
            shell.rescan(false);
            next_scan = now + SAFETY_NET;
        } else {
            if due.routes {
                shell.routes();
            }
            if due.addresses {
                shell.addresses();
            } else if due.bindings {
                shell.bindings();
            }
        }
        if due.all || due.routes || due.addresses {
            shell.refresh_rotation();
        }
        let t = shell.clock(now);
        if shell.core.next_deadline().is_some_and(|d| d <= t) {
            let actions = shell.core.tick(t);
            shell.perform(actions);
        }
        shell.update_status();
    }
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
    shell.cleanup();
    drop(lock);
    Ok(())
}

/// Starts the thread that waits for rtnetlink's link, address and route
/// notifications.
fn watch_system(tx: SyncSender<Msg>) -> Result<(), String> {
    let watch = libipmp::rtnl::Watch::subscribe().map_err(|e| e.to_string())?;
    std::thread::Builder::new()
        .name("rtnetlink".into())
        .spawn(move || loop {
            let msg = match watch.next() {
                Ok(topics) if topics.is_empty() => continue,
                Ok(topics) => Msg::System(topics),
                Err(e) => {
                    // Lost notifications (ENOBUFS); the socket stays
                    // usable. Never spin on a socket that keeps failing.
                    std::thread::sleep(Duration::from_millis(100));
                    Msg::SystemLost(e.to_string())
                }
            };
            if tx.send(msg).is_err() {
                return;
            }
        })
        .map(drop)
        .map_err(|e| e.to_string())
}

/// CLOCK_MONOTONIC in µs.
fn monotonic_us() -> Option<u64> {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).ok()?;
    Some(t.tv_sec() as u64 * 1_000_000 + t.tv_nsec() as u64 / 1000)
}

impl Shell {
    fn clock(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.start).as_micros() as u64
    }

    fn now(&self) -> u64 {
        self.clock(Instant::now())
    }

    fn cleanup(&mut self) {
        self.sockets.clear();
        let _ = std::fs::remove_file(&self.opts.socket_path);
    }

    /// Connects to ipmp.ko and subscribes to its events. At start without
    /// `-a` a missing module is an error; otherwise retried at each scan.
    fn connect(&mut self, first: bool) -> Result<(), String> {
        if self.client.is_some() {
            return Ok(());
        }
        let client = match Client::connect() {
            Ok(c) => c,
            Err(e) if first && !self.opts.adopt => return Err(e.to_string()),
            Err(e) => {
                if first {
                    self.log
                        .log(Level::Warning, &format!("{e}; waiting for it"));
                }
                return Ok(());
            }
        };
        use std::sync::atomic::Ordering;
        if !self.events_alive.load(Ordering::SeqCst) {
            let tx = self.tx.clone();
            let events = libipmp::netlink::Events::subscribe().map_err(|e| e.to_string())?;
            let alive = std::sync::Arc::clone(&self.events_alive);
            alive.store(true, Ordering::SeqCst);
            std::thread::Builder::new()
                .name("kernel-events".into())
                .spawn(move || {
                    let mut events = events;
                    let why = loop {
                        match events.next_event() {
                            Some(Ok(ev)) => {
                                if tx.send(Msg::Kernel(ev)).is_err() {
                                    break String::new();
                                }
                            }
                            // An event lost to a full buffer: the next
                            // rescan makes up for it.
                            Some(Err(e)) => break e.to_string(),
                            None => break "event socket closed".into(),
                        }
                    };
                    alive.store(false, Ordering::SeqCst);
                    let _ = tx.send(Msg::KernelLost(why));
                })
                .map_err(|e| e.to_string())?;
        }
        self.client = Some(client);
        Ok(())
    }

    fn report(&self, m: &MemberInfo) -> MemberReport {
        let g = self.groups.get(&m.group_ifindex);
        MemberReport {
            ifindex: m.ifindex,
            name: m.ifname.clone(),
            group_ifindex: m.group_ifindex,
            group_ifname: g.map_or_else(String::new, |g| g.ifname.clone()),
            group_name: g.map_or_else(String::new, |g| g.name.clone()),
            flags: m.flags,
            carrier: m.carrier,
            hwaddr: system::hwaddr(&m.ifname),
        }
    }

    fn feed(&mut self, input: Input) {
        let now = self.now();
        let actions = self.core.handle(now, input);
        self.perform(actions);
    }

    /// Reads everything again: kernel groups and members (first time:
    /// adopting their flags), anonymous interfaces, addresses, routers.
    fn rescan(&mut self, adopt: bool) {
        if let Err(e) = self.connect(false) {
            self.log.log(Level::Debug, &e);
        }
        let mut seen: BTreeMap<u32, MemberReport> = BTreeMap::new();
        if let Some(client) = &self.client {
            match (client.groups(), client.members(None)) {
                (Ok(groups), Ok(members)) => {
                    self.groups = groups.into_iter().map(|g| (g.ifindex, g)).collect();
                    for m in &members {
                        seen.insert(m.ifindex, self.report(m));
                    }
                }
                (Err(e), _) | (_, Err(e)) => {
                    self.log
                        .log(Level::Error, &format!("cannot read ipmp state: {e}"));
                    self.client = None;
                    return;
                }
            }
        }
        if !self.core.config().track_interfaces_only_with_groups {
            let mut skip: Vec<String> = self.groups.values().map(|g| g.ifname.clone()).collect();
            skip.extend(seen.values().map(|r| r.name.clone()));
            for p in system::plain_interfaces(&skip) {
                seen.insert(
                    p.ifindex,
                    MemberReport {
                        ifindex: p.ifindex,
                        hwaddr: system::hwaddr(&p.name),
                        name: p.name,
                        group_ifindex: ANONYMOUS,
                        group_ifname: String::new(),
                        group_name: String::new(),
                        flags: 0,
                        carrier: p.carrier,
                    },
                );
            }
        }
        let gone: Vec<u32> = self
            .known
            .keys()
            .filter(|i| !seen.contains_key(i))
            .copied()
            .collect();
        for ifindex in gone {
            self.known.remove(&ifindex);
            self.feed(Input::MemberGone { ifindex });
        }
        if adopt {
            // Members found at start keep their kernel flags, and the
            // group's roles are checked once all of them are known.
            for (ifindex, report) in &seen {
                self.known.insert(*ifindex, report.name.clone());
            }
            self.feed(Input::Adopt(seen.into_values().collect()));
        } else {
            for (ifindex, report) in seen {
                self.known.insert(ifindex, report.name.clone());
                self.feed(Input::Member {
                    report,
                    adopt: false,
                });
            }
        }
        self.routes();
        self.addresses();
    }

    /// Reads every address again: this host's own (never probe targets)
    /// and each member's test addresses.
    fn addresses(&mut self) {
        let all = system::addresses();
        self.feed(Input::LocalAddresses(all.iter().map(|a| a.addr).collect()));
        let members: Vec<(u32, String)> = self.known.iter().map(|(i, n)| (*i, n.clone())).collect();
        for (ifindex, name) in members {
            let addresses = system::test_addresses(&all, &name);
            if addresses.v4.is_some() && self.rp_filter_checked.insert(ifindex) {
                self.check_rp_filter(&name);
            }
            self.feed(Input::TestAddresses { ifindex, addresses });
        }
        self.bindings_with(&all);
    }

    /// Reads the kernel's bindings of data addresses to members again
    /// (transitive probing's prober probes from one bound to it).
    fn bindings(&mut self) {
        if self.core.config().transitive_probing {
            let all = system::addresses();
            self.bindings_with(&all);
        }
    }

    fn bindings_with(&mut self, all: &[system::IfAddress]) {
        if !self.core.config().transitive_probing {
            return;
        }
        let Some(client) = &self.client else {
            return;
        };
        let found = match client.bindings(None) {
            Ok(b) => b,
            Err(e) => {
                self.log
                    .log(Level::Debug, &format!("cannot read bindings: {e}"));
                return;
            }
        };
        let bindings = found
            .into_iter()
            .map(|b| {
                let ifname = self.groups.get(&b.group_ifindex).map(|g| g.ifname.as_str());
                let prefix = all
                    .iter()
                    .find(|a| Some(a.ifname.as_str()) == ifname && a.addr == b.address)
                    .map_or(if b.address.is_ipv4() { 32 } else { 128 }, |a| a.prefix);
                Binding {
                    group: b.group_ifindex,
                    addr: b.address,
                    prefix,
                    member: b.member_ifindex,
                }
            })
            .collect();
        self.feed(Input::Bindings(bindings));
    }

    /// Reads the routing tables' next hops again.
    fn routes(&mut self) {
        match libipmp::rtnl::next_hops() {
            Ok(hops) => {
                let routers = hops
                    .into_iter()
                    .map(|h| Router {
                        addr: h.gateway,
                        ifindex: h.ifindex,
                    })
                    .collect();
                self.feed(Input::Routers(routers));
            }
            Err(e) => self.log.log(
                Level::Error,
                &format!("cannot read the routing tables: {e}"),
            ),
        }
    }

    /// Strict reverse-path filtering drops the replies to a member's test
    /// address (they arrive on the member while the route back to the
    /// target leaves by the IPMP interface). The member carries no data
    /// traffic of its own, so loose mode (2) there loses nothing: set it,
    /// or say exactly what to set.
    fn check_rp_filter(&mut self, member: &str) {
        match system::rp_filter_loosen(member) {
            Ok(None) => {}
            Ok(Some(RpFilter::Loosened(why))) => self.log.log(
                Level::Info,
                &format!(
                    "{member}: {why} would drop probe replies to its test address; \
                     net.ipv4.conf.{member}.rp_filter set to 2 (loose: the member carries no \
                     data traffic of its own)"
                ),
            ),
            Ok(Some(RpFilter::Unchanged(why))) => self.log.log(
                Level::Warning,
                &format!(
                    "{member}: {why} would drop probe replies to its test address; \
                     set net.ipv4.conf.{member}.rp_filter=2 (loose) for it"
                ),
            ),
            Err(why) => self.log.log(
                Level::Error,
                &format!(
                    "{member}: {why}: probe replies to its test address will be dropped; \
                     set net.ipv4.conf.{member}.rp_filter=2 (loose)"
                ),
            ),
        }
    }

    /// Tells systemd what the daemon watches (`systemctl status`), when
    /// that changed; looked at every few seconds at most.
    fn update_status(&mut self) {
        const EVERY: Duration = Duration::from_secs(2);
        if self.status.1.is_some_and(|t| t.elapsed() < EVERY) {
            return;
        }
        self.status.1 = Some(Instant::now());
        let snapshot = self.core.snapshot();
        let groups = snapshot
            .groups
            .iter()
            .filter(|g| g.ifindex != ANONYMOUS)
            .count();
        let failed = snapshot
            .members
            .iter()
            .filter(|m| m.state == libipmp::control::MemberState::Failed)
            .count();
        let status = format!(
            "tracking {groups} group(s), {} interface(s), {failed} failed",
            snapshot.members.len()
        );
        if status != self.status.0 {
            let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Status(&status)]);
            self.status.0 = status;
        }
    }

    /// SIGHUP (or a reload request): reads both configurations again. A
    /// malformed file is refused as a whole and the settings in force are
    /// kept; the error says so.
    fn reload(&mut self) -> Result<(), String> {
        let path = self.opts.config_path.display().to_string();
        let (mut config, warnings) = read_config(&self.opts.config_path)
            .map_err(|e| self.refuse(format!("SIGHUP: {e}; keeping the previous settings")))?;
        for w in &warnings {
            self.log.log(Level::Warning, &format!("{path}: {w}"));
        }
        if config::is_malformed(&warnings) {
            return Err(self.refuse(format!(
                "SIGHUP: {path} is malformed (see the lines above); keeping the previous settings"
            )));
        }
        let (targets, problems) = read_group_targets(&self.opts.ipmp_dir);
        for p in &problems {
            self.log.log(Level::Warning, p);
        }
        if !problems.is_empty() {
            return Err(self.refuse(format!(
                "SIGHUP: {} has errors (see the lines above); keeping the previous settings",
                self.opts.ipmp_dir.display()
            )));
        }
        config.group_targets = targets;
        self.log
            .log(Level::Info, &format!("SIGHUP: re-read {path}"));
        self.feed(Input::Reload(config));
        self.rescan(false);
        self.rotation_failed = None;
        self.rotation_setup();
        Ok(())
    }

    /// Starts or stops source address rotation as the configuration says;
    /// says once why it cannot run (connections then keep the kernel's
    /// choice of source).
    fn rotation_setup(&mut self) {
        if !self.core.config().source_address_rotation {
            if self.rotation.take().is_some() {
                self.log.log(
                    Level::Info,
                    "source address rotation off (SOURCE_ADDRESS_ROTATION=no)",
                );
            }
            return;
        }
        if self.rotation.is_some() || self.rotation_failed.is_some() {
            return;
        }
        let started = rotation::cgroup2_root()
            .ok_or_else(|| "no cgroup v2 file system is mounted".to_string())
            .and_then(|root| rotation::Rotation::start(&root).map(|r| (r, root)));
        match started {
            Ok((r, root)) => {
                self.log.log(
                    Level::Info,
                    &format!(
                        "source address rotation on (connect4/connect6 programs on {})",
                        root.display()
                    ),
                );
                self.rotation = Some(r);
                self.refresh_rotation();
            }
            Err(e) => {
                self.log.log(
                    Level::Warning,
                    &format!(
                        "source address rotation off: {e}; connections take the kernel's choice of source"
                    ),
                );
                self.rotation_failed = Some(e);
            }
        }
    }

    /// Writes the IPMP interfaces' data addresses and the routes into the
    /// rotation programs' maps again.
    fn refresh_rotation(&mut self) {
        let Some(r) = self.rotation.as_mut() else {
            return;
        };
        let groups: BTreeSet<u32> = self.groups.keys().copied().collect();
        let read = libipmp::routing::addresses().and_then(|a| Ok((a, libipmp::routing::routes()?)));
        let result = match read {
            Ok((addresses, routes)) => {
                let plan = crate::rotation::plan(&groups, &addresses, &routes);
                let left_out: BTreeMap<u32, usize> = plan
                    .sources
                    .iter()
                    .filter(|(_, s)| s.left_out > 0)
                    .map(|(g, s)| (*g, s.left_out))
                    .collect();
                for (g, n) in &left_out {
                    if self.rotation_left_out.get(g) != Some(n) {
                        let name = self.groups.get(g).map_or("?", |i| i.ifname.as_str());
                        self.log.log(
                            Level::Warning,
                            &format!(
                                "source address rotation: {name} has {n} usable address(es) beyond the first {} of a family; rotation does not give them",
                                crate::rotation::MAX_SOURCES
                            ),
                        );
                    }
                }
                self.rotation_left_out = left_out;
                r.apply(&plan)
            }
            Err(e) => Err(format!("cannot read addresses and routes: {e}")),
        };
        if let Err(e) = result {
            self.log
                .log(Level::Error, &format!("source address rotation: {e}"));
        }
    }

    /// Logs a refused reload; returns the message for the requester.
    fn refuse(&self, message: String) -> String {
        self.log.log(Level::Error, &message);
        message
    }

    fn message(&mut self, msg: Msg) {
        match msg {
            Msg::Kernel(ev) => {
                if ev.kind == EVENT_MEMBER_REMOVED {
                    if self.known.remove(&ev.member.ifindex).is_some() {
                        self.feed(Input::MemberGone {
                            ifindex: ev.member.ifindex,
                        });
                    }
                    return;
                }
                if !self.groups.contains_key(&ev.member.group_ifindex) {
                    match self
                        .client
                        .as_ref()
                        .map(|c| c.group(ev.member.group_ifindex))
                    {
                        Some(Ok(g)) => {
                            self.groups.insert(g.ifindex, g);
                        }
                        // The group went away since the event was sent (its
                        // members' removal events are queued behind this
                        // one); the next scan settles anything missed.
                        _ => {
                            self.log.log(
                                Level::Debug,
                                &format!(
                                    "event for {} of a group that is gone ({}); skipped",
                                    ev.member.ifname, ev.member.group_ifindex
                                ),
                            );
                            return;
                        }
                    }
                }
                let report = self.report(&ev.member);
                let new = self
                    .known
                    .insert(report.ifindex, report.name.clone())
                    .is_none();
                self.feed(Input::Member {
                    report,
                    adopt: false,
                });
                // A new member: its addresses (and routes through it) are
                // read once the batch is handled; bindings may have moved.
                self.due.addresses |= new;
                self.due.routes |= new;
                self.due.bindings = true;
            }
            Msg::System(topics) => {
                for t in topics {
                    match t {
                        // Interfaces of the anonymous group, hardware
                        // addresses, renames: the kernel view again.
                        Topic::Link => self.due.all = true,
                        Topic::Address => self.due.addresses = true,
                        Topic::Route => self.due.routes = true,
                    }
                }
            }
            Msg::SystemLost(e) => {
                self.log.log(
                    Level::Warning,
                    &format!("rtnetlink notifications lost ({e}); reading everything again"),
                );
                self.due.all = true;
            }
            Msg::KernelLost(e) => {
                self.log
                    .log(Level::Error, &format!("lost the kernel event stream: {e}"));
                self.client = None;
                self.due.all = true;
            }
            Msg::Reply(r) => {
                let at = self.clock(r.at);
                // Answers heard on an IPMP interface are its prober's.
                let ifindex = self.transitive.prober_of(r.ifindex).unwrap_or(r.ifindex);
                let actions = self.core.handle(
                    at,
                    Input::Reply {
                        ifindex,
                        family: r.family,
                        seq: r.seq,
                        from: r.from,
                    },
                );
                self.perform(actions);
            }
            Msg::Transitive(r) => {
                let at = self.clock(r.at);
                let actions = self.core.handle(
                    at,
                    Input::TransitiveReply {
                        ifindex: r.ifindex,
                        seq: r.seq,
                    },
                );
                self.perform(actions);
            }
            Msg::Control(ControlMsg::Subscribe(tx, answer)) => {
                let response = self.request(Request::Probes);
                if matches!(response, Response::Ok { .. }) {
                    self.subscribers.push(tx);
                }
                let _ = answer.send(response);
            }
            Msg::Control(ControlMsg::Request(req, reply)) => {
                let response = self.request(req);
                let _ = reply.send(response);
            }
            Msg::Signal(_) => {}
        }
    }

    fn request(&mut self, req: Request) -> Response {
        if req == Request::Reload {
            if let Err(message) = self.reload() {
                return Response::Error { message };
            }
        }
        let now = self.now();
        let (mut response, actions) = self.core.answer(now, req);
        self.perform(actions);
        if let (Response::Ok { snapshot: Some(s) }, Some(r)) = (&mut response, &self.rotation) {
            s.sources_given = Some(
                r.given()
                    .into_iter()
                    .map(|(address, connections)| SourceGiven {
                        address,
                        connections,
                    })
                    .collect(),
            );
        }
        response
    }

    fn perform(&mut self, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::TakeGroup { ifindex } => {
                    let settings = GroupSettings {
                        policy: Some(POLICY_DAEMON),
                        ..GroupSettings::default()
                    };
                    if let Some(c) = &self.client {
                        if let Err(e) = c.set_group(ifindex, &settings) {
                            self.log.log(
                                Level::Error,
                                &format!("cannot take over group {ifindex}: {e}"),
                            );
                        }
                    }
                }
                Action::SetFlags {
                    ifindex,
                    flags,
                    mask,
                } => {
                    if let Some(c) = &self.client {
                        if let Err(e) = c.set_member_flags(ifindex, flags, mask) {
                            let name = self.known.get(&ifindex).cloned().unwrap_or_default();
                            self.log
                                .log(Level::Error, &format!("cannot set flags of {name}: {e}"));
                        }
                    }
                }
                Action::Probe {
                    ifindex,
                    family,
                    src,
                    dst,
                    seq,
                    data_source: None,
                } => self.probe(ifindex, family, src, dst, seq),
                Action::Probe {
                    ifindex,
                    src,
                    dst,
                    seq,
                    data_source: Some(group),
                    ..
                } => self.data_probe(ifindex, group, src, dst, seq),
                Action::TransitiveProbe {
                    ifindex,
                    to,
                    to_hwaddr,
                    seq,
                } => self.transitive_probe(ifindex, to, to_hwaddr, seq),
                Action::CloseProbes { ifindex } => {
                    self.sockets.retain(|(i, _), _| *i != ifindex);
                    self.transitive.close(ifindex);
                }
                Action::Log(level, line) => self.log.log(level, &line),
                Action::ProbeResult(mut event) => {
                    if self.subscribers.is_empty() {
                        continue;
                    }
                    // Times a client can use: the send time on the system's
                    // monotonic clock, and the round trip to now.
                    let now = self.now();
                    let since_sent = now.saturating_sub(event.sent_us);
                    event.sent_monotonic_us = monotonic_us().map(|m| m.saturating_sub(since_sent));
                    if event.acked {
                        event.processed_rtt_us = Some(since_sent);
                    }
                    // A subscriber that cannot keep up is dropped rather
                    // than buffered without bound.
                    self.subscribers
                        .retain(|s| s.try_send(event.clone()).is_ok());
                }
            }
        }
    }

    /// The prober's probe from data address `src`, sent on member
    /// `ifindex` and answered to IPMP interface `group`.
    fn data_probe(
        &mut self,
        ifindex: u32,
        group: u32,
        src: std::net::IpAddr,
        dst: std::net::IpAddr,
        seq: u16,
    ) {
        let (std::net::IpAddr::V4(src), std::net::IpAddr::V4(dst)) = (src, dst) else {
            return;
        };
        let Some(name) = self.known.get(&ifindex).cloned() else {
            return;
        };
        let Some(gname) = self.groups.get(&group).map(|g| g.ifname.clone()) else {
            return;
        };
        let tx = self.tx.clone();
        let sent = self.transitive.data_probe(
            (ifindex, &name),
            (group, &gname),
            src,
            dst,
            seq,
            self.ident,
            move |r| tx.send(Msg::Reply(r)).is_ok(),
        );
        if let Err(e) = sent {
            self.log.log(
                Level::Debug,
                &format!("{name}: probe {seq} from {src} to {dst} not sent: {e}"),
            );
        }
    }

    /// A transitive probe from member `ifindex` to member `to`.
    fn transitive_probe(&mut self, ifindex: u32, to: u32, to_hwaddr: [u8; 6], seq: u16) {
        let (Some(name), Some(to_name)) = (
            self.known.get(&ifindex).cloned(),
            self.known.get(&to).cloned(),
        ) else {
            return;
        };
        let tx = self.tx.clone();
        let sent = self.transitive.probe(
            (ifindex, &name),
            (to, &to_name),
            to_hwaddr,
            seq,
            self.ident,
            move |r| tx.send(Msg::Transitive(r)).is_ok(),
        );
        if let Err(e) = sent {
            self.log.log(
                Level::Debug,
                &format!("{name}: transitive probe {seq} to {to_name} not sent: {e}"),
            );
        }
    }

    fn probe(
        &mut self,
        ifindex: u32,
        family: Family,
        src: std::net::IpAddr,
        dst: std::net::IpAddr,
        seq: u16,
    ) {
        let key = (ifindex, family);
        if self.sockets.get(&key).is_some_and(|s| s.src() != src) {
            self.sockets.remove(&key);
        }
        if !self.sockets.contains_key(&key) {
            let Some(name) = self.known.get(&ifindex).cloned() else {
                return;
            };
            let tx = self.tx.clone();
            match ProbeSocket::open(&name, ifindex, family, src, self.ident, move |r| {
                tx.send(Msg::Reply(r)).is_ok()
            }) {
                Ok(s) => {
                    self.sockets.insert(key, s);
                }
                Err(e) => {
                    // An IPv6 address still in duplicate address detection
                    // cannot be bound yet: the next probe tries again.
                    self.log.log(
                        Level::Debug,
                        &format!(
                            "{name}: cannot open {} probe socket from {src}: {e}",
                            family.name()
                        ),
                    );
                    return;
                }
            }
        }
        if let Some(s) = self.sockets.get(&key) {
            if let Err(e) = s.send(dst, seq, ifindex) {
                let name = self.known.get(&ifindex).cloned().unwrap_or_default();
                self.log.log(
                    Level::Debug,
                    &format!("{name}: probe {seq} to {dst} not sent: {e}"),
                );
            }
        }
    }
}
