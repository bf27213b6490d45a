//! `ipmpstat --prometheus` on hand-built state: the families, their
//! labels and values, escaping, and what is left out without in.mpathd.

#![allow(clippy::unwrap_used)]

use ipmpstat::metrics::{render, write_atomically};
use ipmpstat::model::{Address, Group, Link, Member, Model};
use libipmp::control::{InstanceView, MemberState, ProbeState, TargetMode, TargetView};

fn member(name: &str, active: bool, state: MemberState) -> Member {
    Member {
        name: name.into(),
        active,
        inactive: !active && state == MemberState::Ok,
        standby: name == "net2",
        v4_multicast: false,
        v4_broadcast: false,
        v6_multicast: false,
        down: false,
        hwaddr_dup: Some(false),
        link: Link::Up,
        probe: Some(if state == MemberState::Failed {
            ProbeState::Failed
        } else {
            ProbeState::Ok
        }),
        state,
        probing: None,
        failures: Some(u64::from(state == MemberState::Failed)),
        repairs: Some(0),
    }
}

fn model() -> Model {
    let mut net0 = member("net0", true, MemberState::Ok);
    net0.probing = Some(vec![InstanceView {
        family: "ipv4".into(),
        mode: TargetMode::Routes,
        test_address: Some("192.168.10.5".parse().unwrap()),
        data_address: true,
        via: None,
        disabled_reason: None,
        targets: vec![TargetView {
            address: "192.168.10.1".parse().unwrap(),
            rtt_us: Some(1500),
            crtt_us: Some(4000),
            losses: 0,
        }],
        sent: 40,
        acked: 38,
        lost: 2,
    }]);
    let mut net1 = member("net1", false, MemberState::Failed);
    net1.probing = Some(vec![InstanceView {
        family: "ipv4".into(),
        mode: TargetMode::Transitive,
        test_address: None,
        data_address: false,
        via: Some("net0".into()),
        disabled_reason: None,
        targets: Vec::new(),
        sent: 40,
        acked: 30,
        lost: 10,
    }]);
    Model {
        groups: vec![Group {
            ifname: "itops0".into(),
            name: "web \"front\"".into(),
            state: "degraded",
            fdt_ms: Some(Some(10_000)),
            ipv6: false,
            members: vec![net0, net1, member("net2", true, MemberState::Ok)],
            addresses: vec![
                Address {
                    addr: "192.168.10.5".parse().unwrap(),
                    up: true,
                    inbound: Some("net0".into()),
                    connections: Some(Some(12)),
                },
                Address {
                    addr: "192.168.10.6".parse().unwrap(),
                    up: true,
                    inbound: Some("net2".into()),
                    connections: Some(Some(7)),
                },
            ],
        }],
        daemon: true,
    }
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn every_family_has_help_and_type_before_its_samples() {
    let text = render(&model());
    let mut declared = Vec::new();
    for line in lines(&text) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(["gauge", "counter"].contains(&kind), "{line}");
            assert!(
                !kind.eq("counter") || name.ends_with("_total"),
                "counters end in _total: {line}"
            );
            declared.push(name.to_string());
        } else if !line.starts_with("# HELP ") {
            let name = line.split(['{', ' ']).next().unwrap();
            assert_eq!(declared.last().map(String::as_str), Some(name), "{line}");
        }
    }
    assert_eq!(
        declared.len(),
        declared
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        "each family once"
    );
}

#[test]
fn states_are_one_series_per_state() {
    let text = render(&model());
    let l = lines(&text);
    for want in [
        "ipmp_daemon_up 1",
        "ipmp_group_info{group=\"itops0\",groupname=\"web \\\"front\\\"\"} 1",
        "ipmp_group_state{group=\"itops0\",state=\"ok\"} 0",
        "ipmp_group_state{group=\"itops0\",state=\"degraded\"} 1",
        "ipmp_group_state{group=\"itops0\",state=\"failed\"} 0",
        "ipmp_group_fdt_seconds{group=\"itops0\"} 10",
        "ipmp_group_members{group=\"itops0\"} 3",
        "ipmp_group_active_members{group=\"itops0\"} 2",
        "ipmp_member_state{group=\"itops0\",interface=\"net1\",state=\"failed\"} 1",
        "ipmp_member_state{group=\"itops0\",interface=\"net1\",state=\"ok\"} 0",
        "ipmp_member_probe_state{group=\"itops0\",interface=\"net1\",state=\"failed\"} 1",
        "ipmp_member_active{group=\"itops0\",interface=\"net1\"} 0",
        "ipmp_member_standby{group=\"itops0\",interface=\"net2\"} 1",
        "ipmp_member_bound_addresses{group=\"itops0\",interface=\"net0\"} 1",
        "ipmp_member_bound_addresses{group=\"itops0\",interface=\"net1\"} 0",
        "ipmp_member_failures_total{group=\"itops0\",interface=\"net1\"} 1",
        "ipmp_probes_sent_total{group=\"itops0\",interface=\"net0\",family=\"ipv4\"} 40",
        "ipmp_probes_lost_total{group=\"itops0\",interface=\"net1\",family=\"ipv4\"} 10",
        "ipmp_member_transitive{group=\"itops0\",interface=\"net1\",via=\"net0\"} 1",
        "ipmp_probe_target_rtt_seconds{group=\"itops0\",interface=\"net0\",family=\"ipv4\",target=\"192.168.10.1\"} 0.0015",
        "ipmp_probe_target_crtt_seconds{group=\"itops0\",interface=\"net0\",family=\"ipv4\",target=\"192.168.10.1\"} 0.004",
        "ipmp_address_up{group=\"itops0\",address=\"192.168.10.6\",inbound=\"net2\"} 1",
        "ipmp_address_connections_total{group=\"itops0\",address=\"192.168.10.5\"} 12",
    ] {
        assert!(l.contains(&want), "missing: {want}\n{text}");
    }
}

#[test]
fn without_the_daemon_only_the_kernels_view() {
    let mut m = model();
    m.daemon = false;
    m.groups[0].fdt_ms = None;
    for x in &mut m.groups[0].members {
        x.probe = None;
        x.probing = None;
        x.failures = None;
        x.repairs = None;
    }
    for a in &mut m.groups[0].addresses {
        a.connections = None;
    }
    let text = render(&m);
    assert!(lines(&text).contains(&"ipmp_daemon_up 0"));
    for absent in [
        "ipmp_group_fdt_seconds",
        "ipmp_member_probe_state",
        "ipmp_member_failures_total",
        "ipmp_probes_sent_total",
        "ipmp_address_connections_total",
    ] {
        assert!(!text.contains(absent), "{absent} without the daemon");
    }
    assert!(
        text.contains("ipmp_member_state{group=\"itops0\",interface=\"net1\",state=\"failed\"} 1")
    );
}

#[test]
fn the_textfile_is_replaced_whole() {
    let dir = std::env::temp_dir().join(format!("ipmpstat-metrics-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ipmp.prom");
    std::fs::write(&path, "old").unwrap();
    write_atomically(&path, "new\n").unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(left.len(), 1, "no temporary file left");
    assert!(write_atomically(&dir.join("missing/ipmp.prom"), "x").is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
