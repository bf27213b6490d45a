//! The IO shell around [`crate::core`]: one main loop owns the core and
//! performs its actions; threads only wait on blocking sources (kernel
//! events, probe sockets, the control socket, signals) and forward what
//! they get over one channel. Every second the loop also re-reads the
//! kernel's groups and members, the interfaces' addresses and the routing
//! table, so that nothing missed (an event lost to a full socket buffer,
//! an address added) stays missed for long.
//!
//! Kernel state is the source of truth: at start the daemon adopts the
//! flags it finds (no traffic moves), and it leaves them as they are when
//! it exits.

pub mod control;
pub mod icmp;
pub mod log;
pub mod system;

use crate::config::{self, Config};
use crate::core::{Action, Core, Input, Level, MemberReport, ANONYMOUS};
use crate::instance::Family;
use control::ControlMsg;
use icmp::{ProbeSocket, Reply};
use libipmp::control::{ProbeEvent, Request, Response};
use libipmp::netlink::{Client, Event, GroupInfo, GroupSettings, MemberInfo};
use libipmp::uapi::{EVENT_MEMBER_REMOVED, POLICY_DAEMON};
use log::Logger;
use nix::sys::signal::{SigSet, Signal};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// How often the kernel, addresses and routes are read again.
const RESCAN: Duration = Duration::from_secs(1);

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
}

/// What the threads tell the main loop.
enum Msg {
    Kernel(Event),
    KernelLost(String),
    Reply(Reply),
    Control(ControlMsg),
    Signal(Signal),
}

struct Shell {
    opts: Options,
    log: Logger,
    core: Core,
    client: Option<Client>,
    /// Whether the kernel event thread runs (one at most).
    events_alive: std::sync::Arc<std::sync::atomic::AtomicBool>,
    tx: Sender<Msg>,
    start: Instant,
    ident: u16,
    /// Members (and anonymous interfaces) the core knows: ifindex → name.
    known: BTreeMap<u32, String>,
    groups: BTreeMap<u32, GroupInfo>,
    sockets: HashMap<(u32, Family), ProbeSocket>,
    subscribers: Vec<std::sync::mpsc::SyncSender<ProbeEvent>>,
    /// New members arrived: read the addresses and routes once the queued
    /// messages are handled (once per batch, not once per member: a burst
    /// of joins must not make the daemon fall behind).
    addresses_due: bool,
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
    let (tx, rx) = channel::<Msg>();
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
        subscribers: Vec::new(),
        addresses_due: false,
        opts,
    };
    shell.connect(true)?;
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
    notify_ready();
    shell.log.log(
        Level::Info,
        &format!(
            "started: failure detection time {} ms, FAILBACK={}",
            shell.core.config().failure_detection_time_ms,
            if shell.core.config().failback {
                "yes"
            } else {
                "no"
            }
        ),
    );
    let mut next_scan = Instant::now() + RESCAN;
    loop {
        let now = Instant::now();
        let mut wait = next_scan.saturating_duration_since(now);
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
        if std::mem::take(&mut shell.addresses_due) {
            shell.addresses();
        }
        let now = Instant::now();
        if now >= next_scan {
            shell.rescan(false);
            next_scan = now + RESCAN;
        }
        let t = shell.clock(now);
        if shell.core.next_deadline().is_some_and(|d| d <= t) {
            let actions = shell.core.tick(t);
            shell.perform(actions);
        }
    }
    shell.cleanup();
    Ok(())
}

/// CLOCK_MONOTONIC in µs.
fn monotonic_us() -> Option<u64> {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).ok()?;
    Some(t.tv_sec() as u64 * 1_000_000 + t.tv_nsec() as u64 / 1000)
}

/// Tells systemd (Type=notify) that the daemon is up, if it asked.
fn notify_ready() {
    if let Some(path) = std::env::var_os("NOTIFY_SOCKET") {
        if let Ok(sock) = std::os::unix::net::UnixDatagram::unbound() {
            let _ = sock.send_to(b"READY=1", path);
        }
    }
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
        self.addresses();
    }

    fn addresses(&mut self) {
        let all = system::addresses();
        self.feed(Input::LocalAddresses(all.iter().map(|a| a.addr).collect()));
        self.feed(Input::Routers(system::routers()));
        let members: Vec<(u32, String)> = self.known.iter().map(|(i, n)| (*i, n.clone())).collect();
        for (ifindex, name) in members {
            let addresses = system::test_addresses(&all, &name);
            self.feed(Input::TestAddresses { ifindex, addresses });
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
        Ok(())
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
                self.addresses_due |= new;
            }
            Msg::KernelLost(e) => {
                self.log
                    .log(Level::Error, &format!("lost the kernel event stream: {e}"));
                self.client = None;
            }
            Msg::Reply(r) => {
                let at = self.clock(r.at);
                let actions = self.core.handle(
                    at,
                    Input::Reply {
                        ifindex: r.ifindex,
                        family: r.family,
                        seq: r.seq,
                        from: r.from,
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
        let (response, actions) = self.core.answer(now, req);
        self.perform(actions);
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
                } => self.probe(ifindex, family, src, dst, seq),
                Action::CloseProbes { ifindex } => {
                    self.sockets.retain(|(i, _), _| *i != ifindex);
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
