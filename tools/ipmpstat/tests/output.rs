//! ipmpstat's modes and output styles on hand-built state: -a, -t, -p
//! rows, -o selection, -P escaping, -j objects, `?` without the daemon.

#![allow(clippy::unwrap_used)]

use ipmpstat::model::{Address, Group, Link, Member, Model};
use ipmpstat::modes::{probe_row, rows, Mode};
use ipmpstat::select::select;
use ipmpstat::{render, Style};
use libipmp::control::{InstanceView, MemberState, ProbeEvent, ProbeState, TargetMode, TargetView};

fn member(name: &str, active: bool) -> Member {
    Member {
        name: name.into(),
        active,
        inactive: !active,
        standby: false,
        v4_multicast: false,
        v4_broadcast: false,
        v6_multicast: active,
        down: false,
        hwaddr_dup: Some(false),
        link: Link::Up,
        probe: Some(ProbeState::Ok),
        state: MemberState::Ok,
        probing: Some(vec![
            InstanceView {
                family: "ipv4".into(),
                mode: TargetMode::Routes,
                test_address: Some("192.168.10.10".parse().unwrap()),
                data_address: false,
                via: None,
                disabled_reason: None,
                targets: vec![TargetView {
                    address: "192.168.10.1".parse().unwrap(),
                    rtt_us: Some(500),
                    crtt_us: Some(900),
                    losses: 0,
                }],
                sent: 5,
                acked: 5,
                lost: 0,
            },
            InstanceView {
                family: "ipv6".into(),
                mode: TargetMode::Multicast,
                test_address: Some("fe80::1".parse().unwrap()),
                data_address: false,
                via: None,
                disabled_reason: None,
                targets: vec![
                    TargetView {
                        address: "fe80::a".parse().unwrap(),
                        rtt_us: None,
                        crtt_us: None,
                        losses: 0,
                    },
                    TargetView {
                        address: "fe80::b".parse().unwrap(),
                        rtt_us: None,
                        crtt_us: None,
                        losses: 0,
                    },
                ],
                sent: 5,
                acked: 5,
                lost: 0,
            },
        ]),
        failures: Some(1),
        repairs: Some(1),
    }
}

fn model() -> Model {
    Model {
        groups: vec![Group {
            ifname: "itops0".into(),
            name: "web".into(),
            state: "ok",
            fdt_ms: Some(None),
            ipv6: true,
            members: vec![
                member("net1", true),
                member("net0", true),
                member("net2", false),
            ],
            addresses: vec![
                Address {
                    addr: "192.168.10.5".parse().unwrap(),
                    up: true,
                    inbound: Some("net1".into()),
                    connections: Some(Some(17)),
                },
                Address {
                    addr: "2001:db8::5".parse().unwrap(),
                    up: false,
                    inbound: Some("net0".into()),
                    connections: Some(Some(0)),
                },
            ],
        }],
        daemon: true,
    }
}

fn out(mode: Mode, o: Option<&str>, style: Style, model: &Model) -> Vec<String> {
    let resolve = |a: &std::net::IpAddr| a.to_string();
    let fields = select(mode, o, style == Style::Parseable).unwrap().fields;
    render(mode, &fields, style, &rows(mode, model, &resolve))
}

#[test]
fn addresses_show_their_inbound_member_and_the_active_members() {
    assert_eq!(
        out(Mode::Address, None, Style::Human, &model()),
        vec![
            "ADDRESS                   STATE  GROUP       INBOUND     OUTBOUND",
            "192.168.10.5              up     itops0      net1        net1 net0",
            "2001:db8::5               down   itops0      --          --",
        ]
    );
}

#[test]
fn addresses_show_the_connections_rotation_gave_them_when_asked() {
    assert_eq!(
        out(Mode::Address, Some("address,conns"), Style::Human, &model()),
        vec![
            "ADDRESS                   CONNS",
            "192.168.10.5              17",
            "2001:db8::5               0",
        ]
    );
    let mut m = model();
    m.groups[0].addresses[0].connections = Some(None);
    m.groups[0].addresses[1].connections = None;
    let j = out(Mode::Address, Some("address,conns"), Style::Json, &m);
    assert_eq!(
        j,
        vec![r#"[{"address":"192.168.10.5","conns":null},{"address":"2001:db8::5","conns":"?"}]"#]
    );
}

#[test]
fn targets_one_row_per_probing_family_in_firing_order() {
    assert_eq!(
        out(Mode::Target, None, Style::Human, &model())[..3],
        [
            "INTERFACE   MODE      TESTADDR            TARGETS",
            "net0        routes    192.168.10.10       192.168.10.1",
            "net0        multicast fe80::1             fe80::a fe80::b",
        ]
    );
    let mut m = model();
    m.groups[0].members[0].probing = None;
    assert!(out(Mode::Target, None, Style::Human, &m)
        .contains(&"net1        disabled  --                  --".to_string()));
}

#[test]
fn group_without_probing_shows_an_empty_fdt_and_the_v6_nominee_flag() {
    let g = out(Mode::Group, None, Style::Human, &model());
    assert_eq!(
        g[1],
        "itops0      web         ok        --        net1 net0 (net2)"
    );
    let i = out(
        Mode::Interface,
        Some("interface,flags"),
        Style::Human,
        &model(),
    );
    assert_eq!(i[1], "net0        ----M--");
    let mut m = model();
    m.groups[0].ipv6 = false;
    let i = out(Mode::Interface, Some("interface,flags"), Style::Human, &m);
    assert_eq!(
        i[1], "net0        -------",
        "no M without IPv6 on the group"
    );
}

#[test]
fn parseable_output_escapes_colons_and_backslashes() {
    assert_eq!(
        out(
            Mode::Target,
            Some("interface,testaddr,targets"),
            Style::Parseable,
            &model()
        )[1],
        "net0:fe80\\:\\:1:fe80\\:\\:a fe80\\:\\:b"
    );
    assert_eq!(
        out(Mode::Target, Some("testaddr"), Style::Parseable, &model())[1],
        "fe80::1",
        "one field: no escaping"
    );
    assert_eq!(
        out(
            Mode::Group,
            Some("group,fdt,state"),
            Style::Parseable,
            &model()
        ),
        vec!["itops0::ok"],
        "an empty field is empty, no header"
    );
}

#[test]
fn json_rows_are_objects_of_the_selected_fields() {
    let j = out(
        Mode::Interface,
        Some("INTERFACE,active,probe"),
        Style::Json,
        &model(),
    );
    let v: serde_json::Value = serde_json::from_str(&j[0]).unwrap();
    assert_eq!(
        v[0],
        serde_json::json!({"interface": "net0", "active": true, "probe": "ok"})
    );
    let p = out(Mode::Interface, Some("active"), Style::Parseable, &model());
    assert_eq!(p[0], "yes", "a boolean in JSON, yes/no in text");
    let g = out(Mode::Group, Some("fdt"), Style::Json, &model());
    let v: serde_json::Value = serde_json::from_str(&g[0]).unwrap();
    assert_eq!(v[0]["fdt"], serde_json::Value::Null, "empty is null");
}

#[test]
fn without_the_daemon_its_fields_are_unknown() {
    let mut m = model();
    m.daemon = false;
    m.groups[0].fdt_ms = None;
    for member in &mut m.groups[0].members {
        member.probe = None;
        member.hwaddr_dup = None;
    }
    assert_eq!(
        out(Mode::Group, None, Style::Human, &m)[1],
        "itops0      web         ok        ?         net1 net0 (net2)"
    );
    assert_eq!(
        out(
            Mode::Interface,
            Some("interface,probe"),
            Style::Parseable,
            &m
        )[0],
        "net0:?"
    );
}

#[test]
fn probe_rows_time_rtts_and_lost_probes() {
    let resolve = |a: &std::net::IpAddr| a.to_string();
    let acked = ProbeEvent {
        time_us: 0,
        sent_us: 0,
        sent_monotonic_us: Some(5_250_000),
        interface: "net0".into(),
        family: "ipv4".into(),
        seq: 42,
        target: "192.168.10.1".parse().unwrap(),
        via: None,
        acked: true,
        rtt_us: Some(830),
        processed_rtt_us: Some(1_120),
        rtt_avg_us: Some(790),
        rtt_dev_us: Some(60),
    };
    let fields = select(Mode::Probe, Some("all"), false).unwrap().fields;
    let row = probe_row(&acked, 1_000_000, &resolve);
    let lines = render(Mode::Probe, &fields, Style::Human, &[row]);
    assert_eq!(
        lines,
        vec![
            "TIME      INTERFACE   PROBE  NETRTT    RTT       RTTAVG    TARGET              RTTDEV",
            "4.25s     net0        42     0.83ms    1.12ms    0.79ms    192.168.10.1        0.06ms",
        ]
    );
    let lost = ProbeEvent {
        acked: false,
        rtt_us: None,
        processed_rtt_us: None,
        ..acked
    };
    let row = probe_row(&lost, 6_000_000, &resolve);
    let lines = render(Mode::Probe, &fields, Style::Human, &[row]);
    assert_eq!(
        lines[1],
        "-0.75s    net0        42     --        --        0.79ms    192.168.10.1        0.06ms",
        "a lost probe has no RTTs, but the target's averages"
    );
}

#[test]
fn transitive_probing_shows_the_prober_in_angle_brackets() {
    let mut m = model();
    let prober = &mut m.groups[0].members[0];
    prober.probing = Some(vec![InstanceView {
        family: "ipv4".into(),
        mode: TargetMode::Routes,
        test_address: Some("192.168.10.5".parse().unwrap()),
        data_address: true,
        via: None,
        disabled_reason: None,
        targets: vec![TargetView {
            address: "192.168.10.1".parse().unwrap(),
            rtt_us: Some(500),
            crtt_us: Some(900),
            losses: 0,
        }],
        sent: 5,
        acked: 5,
        lost: 0,
    }]);
    for i in [1, 2] {
        m.groups[0].members[i].probing = Some(vec![InstanceView {
            family: "ipv4".into(),
            mode: TargetMode::Transitive,
            test_address: None,
            data_address: false,
            via: Some("net1".into()),
            disabled_reason: None,
            targets: Vec::new(),
            sent: 5,
            acked: 5,
            lost: 0,
        }]);
    }
    assert_eq!(
        out(Mode::Target, None, Style::Human, &m),
        vec![
            "INTERFACE   MODE      TESTADDR            TARGETS",
            "net0        transitive <net1>             <net1>",
            "net1        routes    192.168.10.5        192.168.10.1",
            "net2        transitive <net1>             <net1>",
        ]
    );
    assert_eq!(
        out(
            Mode::Target,
            Some("interface,mode,testaddr,targets"),
            Style::Parseable,
            &m
        )[0],
        "net0:transitive:<net1>:<net1>"
    );
    let j = out(Mode::Target, None, Style::Json, &m);
    assert!(
        j[0].contains(
            r#"{"interface":"net2","mode":"transitive","testaddr":"<net1>","targets":"<net1>"}"#
        ),
        "{j:?}"
    );
    let e = ProbeEvent {
        time_us: 0,
        sent_us: 0,
        sent_monotonic_us: Some(2_000_000),
        interface: "net0".into(),
        family: "ipv4".into(),
        seq: 3,
        target: "0.0.0.0".parse().unwrap(),
        via: Some("net1".into()),
        acked: true,
        rtt_us: Some(400),
        processed_rtt_us: Some(450),
        rtt_avg_us: Some(400),
        rtt_dev_us: None,
    };
    let resolve = |a: &std::net::IpAddr| a.to_string();
    let fields = select(Mode::Probe, Some("interface,probe,target"), false)
        .unwrap()
        .fields;
    let lines = render(
        Mode::Probe,
        &fields,
        Style::Human,
        &[probe_row(&e, 1_000_000, &resolve)],
    );
    assert_eq!(lines[1], "net0        3      <net1>");
}
