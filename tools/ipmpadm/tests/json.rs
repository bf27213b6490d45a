//! `ipmpadm -j`'s vocabulary: the kernel's numbers become the words and
//! booleans of `ipmpstat -j`. Expected objects are written by hand.

use ipmpadm::json::{Change, Config, Event, Group, Member};
use ipmpadm::persist::{GroupConfig, MemberConfig, Prefixed};
use ipmpadm::plan::Step;
use libipmp::netlink::{BindingInfo, GroupInfo, MemberInfo};
use libipmp::uapi::*;
use serde_json::json;
use std::net::IpAddr;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("an address")
}

fn kernel() -> (GroupInfo, Vec<MemberInfo>, Vec<BindingInfo>) {
    let group = GroupInfo {
        ifindex: 2,
        ifname: "itops0".into(),
        name: "web".into(),
        state: GROUP_STATE_DEGRADED,
        policy: POLICY_DAEMON,
        announce_count: 3,
        announce_interval_ms: 500,
        members: vec![3, 4, 5],
    };
    let members = vec![
        MemberInfo {
            ifindex: 3,
            ifname: "net0".into(),
            group_ifindex: 2,
            flags: 0,
            carrier: true,
            active: true,
            nominee: NOMINEE_V4_MULTICAST | NOMINEE_V6_MULTICAST,
            addresses: vec![ip("192.168.10.5")],
            rx_packets: 10,
            tx_packets: 20,
        },
        MemberInfo {
            ifindex: 4,
            ifname: "net1".into(),
            group_ifindex: 2,
            flags: MEMBER_F_FAILED | MEMBER_F_OFFLINE,
            carrier: false,
            ..MemberInfo::default()
        },
        MemberInfo {
            ifindex: 5,
            ifname: "net2".into(),
            group_ifindex: 2,
            flags: MEMBER_F_STANDBY | MEMBER_F_INACTIVE,
            carrier: true,
            ..MemberInfo::default()
        },
    ];
    let bindings = vec![
        BindingInfo {
            group_ifindex: 2,
            address: ip("192.168.10.5"),
            member_ifindex: Some(3),
        },
        BindingInfo {
            group_ifindex: 2,
            address: ip("2001:db8::5"),
            member_ifindex: None,
        },
    ];
    (group, members, bindings)
}

#[test]
fn a_group_in_words_and_booleans() {
    let (g, m, b) = kernel();
    let v = serde_json::to_value(Group::new(&g, &m, &b)).expect("serialisable");
    let net2 = json!({
        "interface": "net2", "ifindex": 5, "group": "itops0", "active": false,
        "link": "up", "state": "ok", "standby": true, "inactive": true,
        "failed": false, "offline": false, "nominee": [], "addresses": [],
        "rx_packets": 0, "tx_packets": 0
    });
    assert_eq!(
        v,
        json!({
            "group": "itops0", "ifindex": 2, "groupname": "web",
            "state": "degraded", "policy": "daemon",
            "announce_count": 3, "announce_interval_ms": 500,
            "members": [
                {"interface": "net0", "ifindex": 3, "group": "itops0", "active": true,
                 "link": "up", "state": "ok", "standby": false, "inactive": false,
                 "failed": false, "offline": false,
                 "nominee": ["v4-multicast", "v6-multicast"],
                 "addresses": ["192.168.10.5"], "rx_packets": 10, "tx_packets": 20},
                {"interface": "net1", "ifindex": 4, "group": "itops0", "active": false,
                 "link": "down", "state": "offline", "standby": false, "inactive": false,
                 "failed": true, "offline": true, "nominee": [], "addresses": [],
                 "rx_packets": 0, "tx_packets": 0},
                net2
            ],
            "addresses": [
                {"address": "192.168.10.5", "inbound": "net0"},
                {"address": "2001:db8::5", "inbound": null}
            ]
        })
    );
}

#[test]
fn group_states_and_policies_are_words() {
    let (mut g, m, b) = kernel();
    for (state, word) in [
        (GROUP_STATE_OK, "ok"),
        (GROUP_STATE_DEGRADED, "degraded"),
        (GROUP_STATE_FAILED, "failed"),
    ] {
        g.state = state;
        assert_eq!(Group::new(&g, &m, &b).state, word);
    }
    g.policy = POLICY_KERNEL;
    assert_eq!(Group::new(&g, &m, &b).policy, "kernel");
}

#[test]
fn a_failed_member_is_failed_and_offline_wins() {
    let (_, m, _) = kernel();
    let mut failed = m[0].clone();
    failed.flags = MEMBER_F_FAILED;
    assert_eq!(Member::new(&failed, None).state, "failed");
    assert_eq!(Member::new(&m[1], None).state, "offline");
}

#[test]
fn an_event_for_a_group_already_gone() {
    let (_, m, _) = kernel();
    let v = serde_json::to_value(Event {
        event: ipmpadm::json::event_word(EVENT_MEMBER_REMOVED),
        member: Member::new(&m[2], None),
    })
    .expect("serialisable");
    assert_eq!(v["event"], "removed");
    assert_eq!(v["member"]["group"], serde_json::Value::Null);
    assert_eq!(ipmpadm::json::event_word(EVENT_MEMBER_ADDED), "added");
    assert_eq!(ipmpadm::json::event_word(EVENT_MEMBER_CHANGED), "changed");
}

#[test]
fn apply_steps_as_changes() {
    let addr = Prefixed {
        addr: ip("192.168.10.10"),
        prefix: 24,
    };
    let cases = [
        (
            Step::Create {
                group: "itops0".into(),
            },
            json!({"action": "create", "interface": "itops0", "value": null, "test": false, "text": "itops0: created"}),
        ),
        (
            Step::GroupName {
                group: "itops0".into(),
                name: "web".into(),
            },
            json!({"action": "groupname", "interface": "itops0", "value": "web", "test": false, "text": "itops0: group name set to web"}),
        ),
        (
            Step::Join {
                group: "itops0".into(),
                member: "net0".into(),
            },
            json!({"action": "add", "interface": "itops0", "value": "net0", "test": false, "text": "itops0: net0 added"}),
        ),
        (
            Step::Release {
                group: "itops0".into(),
                member: "net3".into(),
            },
            json!({"action": "remove", "interface": "itops0", "value": "net3", "test": false, "text": "itops0: net3 removed"}),
        ),
        (
            Step::Standby {
                member: "net2".into(),
                on: false,
            },
            json!({"action": "standby", "interface": "net2", "value": "off", "test": false, "text": "net2: no longer standby"}),
        ),
        (
            Step::Up {
                link: "net0".into(),
            },
            json!({"action": "up", "interface": "net0", "value": null, "test": false, "text": "net0: up"}),
        ),
        (
            Step::AddAddress {
                link: "net0".into(),
                addr,
                test: true,
            },
            json!({"action": "add-address", "interface": "net0", "value": "192.168.10.10/24", "test": true, "text": "net0: test address 192.168.10.10/24 added"}),
        ),
        (
            Step::DelAddress {
                link: "itops0".into(),
                addr,
            },
            json!({"action": "remove-address", "interface": "itops0", "value": "192.168.10.10/24", "test": false, "text": "itops0: address 192.168.10.10/24 removed"}),
        ),
    ];
    for (step, want) in cases {
        assert_eq!(
            serde_json::to_value(Change::new(&step)).expect("serialisable"),
            want
        );
    }
}

#[test]
fn a_configuration_with_its_file_or_none() {
    let c = GroupConfig {
        ifname: "itops0".into(),
        group_name: None,
        members: vec![MemberConfig {
            name: "net0".into(),
            standby: true,
            test_addresses: vec![Prefixed {
                addr: ip("192.168.10.10"),
                prefix: 24,
            }],
        }],
        addresses: vec![],
        probe_targets: vec![ip("192.168.10.1")],
        path: "/etc/ipmp/itops0.conf".into(),
    };
    let want = json!({
        "group": "itops0", "groupname": "itops0",
        "members": [{"interface": "net0", "standby": true, "test_addresses": ["192.168.10.10/24"]}],
        "addresses": [], "probe_targets": ["192.168.10.1"], "file": "/etc/ipmp/itops0.conf"
    });
    assert_eq!(
        serde_json::to_value(Config::new(&c, true)).expect("serialisable"),
        want
    );
    let mut live = want.clone();
    live["file"] = serde_json::Value::Null;
    assert_eq!(
        serde_json::to_value(Config::new(&c, false)).expect("serialisable"),
        live
    );
}
