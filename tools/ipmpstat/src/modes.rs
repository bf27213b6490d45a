//! The five output modes: their fields (names and widths as in the
//! original) and the cells of each row.

use crate::model::{Group, Link, Member, Model};
use crate::ofmt::{Cell, Field};
use libipmp::control::{MemberState, ProbeEvent, ProbeState, TargetMode};
use std::net::IpAddr;

/// An output mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `-a`: data addresses.
    Address,
    /// `-g`: groups.
    Group,
    /// `-i`: members.
    Interface,
    /// `-p`: probes.
    Probe,
    /// `-t`: probe targets.
    Target,
}

const fn f(name: &'static str, width: usize) -> Field {
    Field { name, width }
}

const ADDRESS: &[Field] = &[
    f("ADDRESS", 26),
    f("STATE", 7),
    f("GROUP", 12),
    f("INBOUND", 12),
    f("OUTBOUND", 23),
    f("CONNS", 8),
];
const GROUP: &[Field] = &[
    f("GROUP", 12),
    f("GROUPNAME", 12),
    f("STATE", 10),
    f("FDT", 10),
    f("INTERFACES", 30),
];
const INTERFACE: &[Field] = &[
    f("INTERFACE", 12),
    f("ACTIVE", 8),
    f("GROUP", 12),
    f("FLAGS", 10),
    f("LINK", 10),
    f("PROBE", 10),
    f("STATE", 10),
];
const PROBE: &[Field] = &[
    f("TIME", 10),
    f("INTERFACE", 12),
    f("PROBE", 7),
    f("NETRTT", 10),
    f("RTT", 10),
    f("RTTAVG", 10),
    f("TARGET", 20),
    f("RTTDEV", 10),
];
const TARGET: &[Field] = &[
    f("INTERFACE", 12),
    f("MODE", 10),
    f("TESTADDR", 20),
    f("TARGETS", 38),
];

impl Mode {
    /// Every field of the mode, in order.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Mode::Address => ADDRESS,
            Mode::Group => GROUP,
            Mode::Interface => INTERFACE,
            Mode::Probe => PROBE,
            Mode::Target => TARGET,
        }
    }

    /// The fields shown without `-o`: in order, while they fit 80
    /// columns (every field but `-p`'s RTTDEV).
    pub fn default_fields(self) -> Vec<usize> {
        let mut total = 0;
        let mut out = Vec::new();
        for (i, field) in self.fields().iter().enumerate() {
            total += field.width;
            if total > 80 {
                break;
            }
            out.push(i);
        }
        out
    }
}

/// How addresses are printed (`-n`: numerically; else names when known).
pub type Resolve<'a> = &'a dyn Fn(&IpAddr) -> String;

fn probe_word(p: Option<ProbeState>) -> Cell {
    match p {
        None => Cell::Unknown,
        Some(ProbeState::Ok) => Cell::text("ok"),
        Some(ProbeState::Failed) => Cell::text("failed"),
        Some(ProbeState::Unknown) => Cell::text("unknown"),
        Some(ProbeState::Disabled) => Cell::text("disabled"),
    }
}

fn state_word(s: MemberState) -> &'static str {
    match s {
        MemberState::Ok => "ok",
        MemberState::Failed => "failed",
        MemberState::Offline => "offline",
        MemberState::Unknown => "unknown",
    }
}

/// The 7 flag characters of `-i` FLAGS.
pub fn flags(g: &Group, m: &Member) -> Cell {
    let mut f = ['-'; 7];
    let set = |f: &mut [char; 7], i: usize, on: bool, c: char| {
        if on {
            f[i] = c;
        }
    };
    set(&mut f, 0, m.inactive, 'i');
    set(&mut f, 1, m.standby, 's');
    set(&mut f, 2, m.v4_multicast, 'm');
    set(&mut f, 3, m.v4_broadcast, 'b');
    set(&mut f, 4, m.v6_multicast && g.ipv6, 'M');
    set(&mut f, 5, m.down, 'd');
    set(&mut f, 6, m.hwaddr_dup == Some(true), 'h');
    Cell::text(f.iter().collect::<String>())
}

/// `-g` INTERFACES: active members, then inactive ones that are usable in
/// `( )`, then the unusable ones (failed or offline, an inactive standby
/// that failed included) in `[ ]`, each list in join order.
pub fn interfaces(g: &Group) -> Cell {
    let mut active = Vec::new();
    let mut inactive = Vec::new();
    let mut unusable = Vec::new();
    for m in &g.members {
        let usable = !matches!(m.state, MemberState::Failed | MemberState::Offline);
        if m.active {
            active.push(m.name.as_str());
        } else if m.inactive && usable {
            inactive.push(m.name.as_str());
        } else {
            unusable.push(m.name.as_str());
        }
    }
    let mut out = active.join(" ");
    if !inactive.is_empty() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&format!("({})", inactive.join(" ")));
    }
    if !unusable.is_empty() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&format!("[{}]", unusable.join(" ")));
    }
    Cell::text(out)
}

/// Members of a group in display order: by name (the original printed
/// its internal list, newest first; a sorted list reads better and is
/// stable).
fn sorted(g: &Group) -> Vec<&Member> {
    let mut v: Vec<&Member> = g.members.iter().collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

/// The rows of a table mode (not `-p`), every field in order.
pub fn rows(mode: Mode, model: &Model, resolve: Resolve<'_>) -> Vec<Vec<Cell>> {
    let mut out = Vec::new();
    for g in &model.groups {
        match mode {
            Mode::Group => out.push(vec![
                Cell::text(&g.ifname),
                Cell::text(&g.name),
                Cell::text(g.state),
                match g.fdt_ms {
                    None => Cell::Unknown,
                    Some(None) => Cell::Empty,
                    Some(Some(ms)) => Cell::text(format!("{:.2}s", ms as f32 / 1000.0)),
                },
                interfaces(g),
            ]),
            Mode::Interface => {
                for m in sorted(g) {
                    out.push(vec![
                        Cell::text(&m.name),
                        Cell::YesNo(m.active),
                        Cell::text(&g.ifname),
                        flags(g, m),
                        Cell::text(match m.link {
                            Link::Up => "up",
                            Link::Down => "down",
                        }),
                        probe_word(m.probe),
                        Cell::text(state_word(m.state)),
                    ]);
                }
            }
            Mode::Address => {
                for a in &g.addresses {
                    let inbound = if a.up { a.inbound.clone() } else { None };
                    let outbound: Vec<&str> = g
                        .members
                        .iter()
                        .filter(|m| m.active)
                        .map(|m| m.name.as_str())
                        .collect();
                    out.push(vec![
                        Cell::text(resolve(&a.addr)),
                        Cell::text(if a.up { "up" } else { "down" }),
                        Cell::text(&g.ifname),
                        inbound.clone().map_or(Cell::Empty, Cell::text),
                        if inbound.is_some() {
                            Cell::text(outbound.join(" "))
                        } else {
                            Cell::Empty
                        },
                        match a.connections {
                            None => Cell::Unknown,
                            Some(None) => Cell::Empty,
                            Some(Some(n)) => Cell::text(n.to_string()),
                        },
                    ]);
                }
            }
            Mode::Target => {
                for m in sorted(g) {
                    let instances = m.probing.clone().unwrap_or_default();
                    let mode_of = |family: &str| {
                        instances
                            .iter()
                            .find(|i| i.family == family)
                            .filter(|i| i.mode != TargetMode::Disabled)
                    };
                    let (v4, v6) = (mode_of("ipv4"), mode_of("ipv6"));
                    let mut shown = Vec::new();
                    if v4.is_some() || v6.is_none() {
                        shown.push(v4);
                    }
                    if v6.is_some() {
                        shown.push(v6);
                    }
                    for inst in shown {
                        out.push(match inst {
                            None => vec![
                                Cell::text(&m.name),
                                Cell::text("disabled"),
                                Cell::Empty,
                                Cell::Empty,
                            ],
                            // Transitive probing shows the member probed
                            // through, in angle brackets, as TESTADDR and
                            // TARGETS (the original's `<net1>`).
                            Some(i) if i.mode == TargetMode::Transitive => {
                                let via =
                                    Cell::text(format!("<{}>", i.via.as_deref().unwrap_or("?")));
                                vec![
                                    Cell::text(&m.name),
                                    Cell::text("transitive"),
                                    via.clone(),
                                    via,
                                ]
                            }
                            Some(i) => vec![
                                Cell::text(&m.name),
                                Cell::text(match i.mode {
                                    TargetMode::Routes => "routes",
                                    TargetMode::Multicast => "multicast",
                                    TargetMode::Explicit => "explicit",
                                    TargetMode::Transitive => "transitive",
                                    TargetMode::Disabled => "disabled",
                                }),
                                i.test_address
                                    .map_or(Cell::Empty, |a| Cell::text(resolve(&a))),
                                Cell::text(
                                    i.targets
                                        .iter()
                                        .map(|t| resolve(&t.address))
                                        .collect::<Vec<_>>()
                                        .join(" "),
                                ),
                            ],
                        });
                    }
                }
            }
            Mode::Probe => {}
        }
    }
    out
}

fn ms(us: Option<u64>) -> Cell {
    us.map_or(Cell::Empty, |us| {
        Cell::text(format!("{:.2}ms", us as f32 / 1000.0))
    })
}

/// One `-p` row; `start_monotonic_us` is when ipmpstat started.
pub fn probe_row(e: &ProbeEvent, start_monotonic_us: u64, resolve: Resolve<'_>) -> Vec<Cell> {
    let time = e.sent_monotonic_us.map_or(Cell::Unknown, |sent| {
        let secs = (sent as f64 - start_monotonic_us as f64) / 1e6;
        Cell::text(format!("{:.2}s", secs as f32))
    });
    vec![
        time,
        Cell::text(&e.interface),
        Cell::text(e.seq.to_string()),
        if e.acked { ms(e.rtt_us) } else { Cell::Empty },
        if e.acked {
            ms(e.processed_rtt_us.or(e.rtt_us))
        } else {
            Cell::Empty
        },
        ms(e.rtt_avg_us.filter(|&v| v > 0)),
        match &e.via {
            Some(via) => Cell::text(format!("<{via}>")),
            None => Cell::text(resolve(&e.target)),
        },
        ms(e.rtt_dev_us.filter(|&v| v > 0)),
    ]
}
