//! `ipmpstat --prometheus`: what ipmpstat shows, in Prometheus's text
//! exposition format (version 0.0.4), for node_exporter's textfile
//! collector (`--textfile FILE` writes it atomically; the
//! ipmp-metrics.timer unit does so every 15 s).
//!
//! One family per quantity, labelled by `group` (the IPMP interface),
//! `interface` (the member), `family` (ipv4, ipv6), `target`, `address`;
//! states are one series per possible state with the value 1 for the one
//! in force (as node_exporter's systemd collector does), so that a query
//! can alert on `ipmp_member_state{state="failed"} == 1`. What only
//! in.mpathd knows is left out when it does not answer, and
//! `ipmp_daemon_up` says so.

use crate::model::{Link, Model};
use libipmp::control::{MemberState, ProbeState, TargetMode};
use std::fmt::Write;

/// A label value, escaped as the format wants (`\`, `"`, newline).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Samples of one metric family, written once all are gathered.
struct Family {
    name: &'static str,
    kind: &'static str,
    help: &'static str,
    samples: Vec<(Vec<(&'static str, String)>, f64)>,
}

impl Family {
    fn new(name: &'static str, kind: &'static str, help: &'static str) -> Self {
        Self {
            name,
            kind,
            help,
            samples: Vec::new(),
        }
    }

    fn add(&mut self, labels: &[(&'static str, &str)], value: f64) {
        let labels = labels.iter().map(|(k, v)| (*k, (*v).to_string())).collect();
        self.samples.push((labels, value));
    }

    fn write(&self, out: &mut String) {
        if self.samples.is_empty() {
            return;
        }
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} {}", self.name, self.kind);
        for (labels, value) in &self.samples {
            let labels: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = if labels.is_empty() {
                writeln!(out, "{} {value}", self.name)
            } else {
                writeln!(out, "{}{{{}}} {value}", self.name, labels.join(","))
            };
        }
    }
}

fn flag(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// The whole exposition.
pub fn render(model: &Model) -> String {
    let mut daemon = Family::new(
        "ipmp_daemon_up",
        "gauge",
        "Whether in.mpathd answered (probe state, FDT, targets and counters need it).",
    );
    daemon.add(&[], flag(model.daemon));
    let mut group_state = Family::new(
        "ipmp_group_state",
        "gauge",
        "The group's state: 1 for the state in force (ok, degraded, failed).",
    );
    let mut group_info = Family::new(
        "ipmp_group_info",
        "gauge",
        "The group's name (groupname) for its IPMP interface (group); always 1.",
    );
    let mut fdt = Family::new(
        "ipmp_group_fdt_seconds",
        "gauge",
        "The failure detection time in force (absent when nothing probes).",
    );
    let mut members = Family::new("ipmp_group_members", "gauge", "Members of the group.");
    let mut active_members = Family::new(
        "ipmp_group_active_members",
        "gauge",
        "Members carrying data traffic.",
    );
    let mut active = Family::new(
        "ipmp_member_active",
        "gauge",
        "1 if the member carries data traffic.",
    );
    let mut standby = Family::new(
        "ipmp_member_standby",
        "gauge",
        "1 if the member is configured as a standby.",
    );
    let mut inactive = Family::new(
        "ipmp_member_inactive",
        "gauge",
        "1 if the member functions but is kept from carrying data traffic.",
    );
    let mut link = Family::new(
        "ipmp_member_link_up",
        "gauge",
        "1 if the member is up with carrier.",
    );
    let mut state = Family::new(
        "ipmp_member_state",
        "gauge",
        "The member's state: 1 for the state in force (ok, failed, offline).",
    );
    let mut probe = Family::new(
        "ipmp_member_probe_state",
        "gauge",
        "Probe-based failure detection of the member: 1 for the state in force (ok, failed, unknown, disabled).",
    );
    let mut bound = Family::new(
        "ipmp_member_bound_addresses",
        "gauge",
        "Data addresses of the group bound to the member (inbound traffic for them arrives on it).",
    );
    let mut failures = Family::new(
        "ipmp_member_failures_total",
        "counter",
        "Failures in.mpathd detected on the member since it started tracking it.",
    );
    let mut repairs = Family::new(
        "ipmp_member_repairs_total",
        "counter",
        "Repairs in.mpathd detected on the member since it started tracking it.",
    );
    let mut sent = Family::new(
        "ipmp_probes_sent_total",
        "counter",
        "Probes sent by the member, per address family.",
    );
    let mut acked = Family::new("ipmp_probes_answered_total", "counter", "Probes answered.");
    let mut lost = Family::new("ipmp_probes_lost_total", "counter", "Probes lost.");
    let mut transitive = Family::new(
        "ipmp_member_transitive",
        "gauge",
        "1 if the member is probed transitively, through the member in label via.",
    );
    let mut rtt = Family::new(
        "ipmp_probe_target_rtt_seconds",
        "gauge",
        "Smoothed round-trip time of a probe target.",
    );
    let mut crtt = Family::new(
        "ipmp_probe_target_crtt_seconds",
        "gauge",
        "Conservative round-trip time (smoothed + 4 x deviation) of a probe target: a probe waits this long.",
    );
    let mut address = Family::new(
        "ipmp_address_up",
        "gauge",
        "1 if the data address is up; label inbound is the member it is bound to (empty: unbound).",
    );
    let mut conns = Family::new(
        "ipmp_address_connections_total",
        "counter",
        "New connections given the address as their source by in.mpathd's source address rotation.",
    );

    for g in &model.groups {
        if g.ifname.is_empty() {
            // The anonymous group has no IPMP interface to label by.
            continue;
        }
        let gl = g.ifname.as_str();
        group_info.add(&[("group", gl), ("groupname", &g.name)], 1.0);
        for s in ["ok", "degraded", "failed"] {
            group_state.add(&[("group", gl), ("state", s)], flag(g.state == s));
        }
        if let Some(Some(ms)) = g.fdt_ms {
            fdt.add(&[("group", gl)], ms as f64 / 1000.0);
        }
        members.add(&[("group", gl)], g.members.len() as f64);
        active_members.add(
            &[("group", gl)],
            g.members.iter().filter(|m| m.active).count() as f64,
        );
        for m in &g.members {
            let ml = [("group", gl), ("interface", m.name.as_str())];
            active.add(&ml, flag(m.active));
            standby.add(&ml, flag(m.standby));
            inactive.add(&ml, flag(m.inactive));
            link.add(&ml, flag(m.link == Link::Up));
            for (s, v) in [
                ("ok", MemberState::Ok),
                ("failed", MemberState::Failed),
                ("offline", MemberState::Offline),
            ] {
                state.add(&[ml[0], ml[1], ("state", s)], flag(m.state == v));
            }
            if let Some(p) = m.probe {
                for (s, v) in [
                    ("ok", ProbeState::Ok),
                    ("failed", ProbeState::Failed),
                    ("unknown", ProbeState::Unknown),
                    ("disabled", ProbeState::Disabled),
                ] {
                    probe.add(&[ml[0], ml[1], ("state", s)], flag(p == v));
                }
            }
            let held = g
                .addresses
                .iter()
                .filter(|a| a.inbound.as_deref() == Some(m.name.as_str()))
                .count();
            bound.add(&ml, held as f64);
            if let Some(n) = m.failures {
                failures.add(&ml, n as f64);
            }
            if let Some(n) = m.repairs {
                repairs.add(&ml, n as f64);
            }
            for i in m.probing.iter().flatten() {
                if i.mode == TargetMode::Disabled {
                    continue;
                }
                let fl = [ml[0], ml[1], ("family", i.family.as_str())];
                sent.add(&fl, i.sent as f64);
                acked.add(&fl, i.acked as f64);
                lost.add(&fl, i.lost as f64);
                if let Some(via) = &i.via {
                    transitive.add(&[ml[0], ml[1], ("via", via.as_str())], 1.0);
                }
                for t in &i.targets {
                    let target = t.address.to_string();
                    let tl = [fl[0], fl[1], fl[2], ("target", target.as_str())];
                    if let Some(us) = t.rtt_us {
                        rtt.add(&tl, us as f64 / 1e6);
                    }
                    if let Some(us) = t.crtt_us {
                        crtt.add(&tl, us as f64 / 1e6);
                    }
                }
            }
        }
        for a in &g.addresses {
            let addr = a.addr.to_string();
            let inbound = a.inbound.clone().unwrap_or_default();
            address.add(
                &[("group", gl), ("address", &addr), ("inbound", &inbound)],
                flag(a.up),
            );
            if let Some(Some(n)) = a.connections {
                conns.add(&[("group", gl), ("address", &addr)], n as f64);
            }
        }
    }
    let mut out = String::new();
    for f in [
        &daemon,
        &group_info,
        &group_state,
        &fdt,
        &members,
        &active_members,
        &active,
        &standby,
        &inactive,
        &link,
        &state,
        &probe,
        &bound,
        &failures,
        &repairs,
        &sent,
        &acked,
        &lost,
        &transitive,
        &rtt,
        &crtt,
        &address,
        &conns,
    ] {
        f.write(&mut out);
    }
    out
}

/// Writes `text` to `path` atomically (a temporary file beside it, then a
/// rename), as node_exporter's textfile collector wants: it must never
/// read half a file.
pub fn write_atomically(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other(format!("{}: not a file name", path.display())))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}", std::process::id()));
    let tmp = dir.map_or_else(|| tmp_name.clone().into(), |d| d.join(&tmp_name));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
