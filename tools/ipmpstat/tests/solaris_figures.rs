//! Golden tests: the `ipmpstat` tables of the Oracle Solaris 11.4 IPMP
//! documentation ("IPMP Support in Oracle Solaris"), typed from that
//! document, against this ipmpstat's rendering of the situation each
//! figure describes.
//!
//! The document's spacing is not the program's (the document re-flowed
//! it), so rows are compared field by field; the exact column layout is
//! checked separately against the original's widths. One deliberate
//! difference: in Figures 3 and 4 the offlined net1 no longer holds the
//! IPv4 multicast/broadcast nominee roles (`--mb-d-` in the document):
//! they moved to the active net0 (`--mb---`), and net1 shows `-----d-`
//! (ipmpstat(8), DIFFERENCES FROM SOLARIS).

#![allow(clippy::unwrap_used)]

use ipmpstat::model::{Group, Link, Member, Model};
use ipmpstat::modes::{rows, Mode};
use ipmpstat::{render, Style};
use libipmp::control::{MemberState, ProbeState};

/// A member as a figure describes it.
fn m(name: &str, active: bool, inactive: bool, standby: bool, failed: bool) -> Member {
    Member {
        name: name.into(),
        active,
        inactive,
        standby,
        v4_multicast: false,
        v4_broadcast: false,
        v6_multicast: false,
        down: false,
        hwaddr_dup: Some(false),
        link: Link::Up,
        probe: Some(if failed {
            ProbeState::Failed
        } else {
            ProbeState::Ok
        }),
        state: if failed {
            MemberState::Failed
        } else {
            MemberState::Ok
        },
        probing: None,
        failures: None,
        repairs: None,
    }
}

fn nominee(mut member: Member) -> Member {
    member.v4_multicast = true;
    member.v4_broadcast = true;
    member
}

fn offline(mut member: Member) -> Member {
    member.down = true;
    member.state = MemberState::Offline;
    member
}

/// itops0 with members in join order (net1 joined first, so it lists
/// first and is the nominee), FDT 10 s.
fn itops0(state: &'static str, members: Vec<Member>) -> Model {
    Model {
        groups: vec![Group {
            ifname: "itops0".into(),
            name: "itops0".into(),
            state,
            fdt_ms: Some(Some(10_000)),
            ipv6: false,
            members,
            addresses: vec![],
        }],
        daemon: true,
    }
}

fn shown(mode: Mode, model: &Model) -> Vec<Vec<String>> {
    let resolve = |a: &std::net::IpAddr| a.to_string();
    let r = rows(mode, model, &resolve);
    let lines = render(mode, &mode.default_fields(), Style::Human, &r);
    lines
        .iter()
        .skip(1) // the header
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// The document's rows, as typed from it.
fn seed(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .filter(|r| !r.is_empty())
        .collect()
}

fn figure_1() -> Model {
    itops0(
        "ok",
        vec![
            nominee(m("net1", true, false, false, false)),
            m("net0", true, false, false, false),
            m("net2", false, true, true, false),
        ],
    )
}

#[test]
fn figure_1_group() {
    assert_eq!(
        shown(Mode::Group, &figure_1()),
        seed("itops0    itops0        ok        10.00s     net1 net0 (net2)")
    );
}

#[test]
fn figure_1_interfaces() {
    assert_eq!(
        shown(Mode::Interface, &figure_1()),
        seed(
            "net0        yes        itops0    -------    up          ok        ok
             net1        yes        itops0    --mb---    up          ok        ok
             net2        no         itops0    is-----    up          ok        ok"
        )
    );
}

#[test]
fn figure_2_net0_failed_the_standby_active() {
    let model = itops0(
        "degraded",
        vec![
            nominee(m("net1", true, false, false, false)),
            m("net0", false, false, false, true),
            m("net2", true, false, true, false),
        ],
    );
    assert_eq!(
        shown(Mode::Interface, &model),
        seed(
            "net0        no         itops0    -------    up          failed    failed
             net1        yes        itops0    --mb---    up          ok        ok
             net2        yes        itops0    -s-----    up          ok        ok"
        )
    );
}

#[test]
fn figure_3_standby_failed_net1_offline() {
    let model = itops0(
        "degraded",
        vec![
            offline(m("net1", false, false, false, false)),
            nominee(m("net0", true, false, false, false)),
            m("net2", false, true, true, true),
        ],
    );
    // The document prints net1 as --mb-d-; see the module comment.
    assert_eq!(
        shown(Mode::Interface, &model),
        seed(
            "net0        yes        itops0    --mb---     up          ok        ok
             net1        no         itops0    -----d-     up          ok        offline
             net2        no         itops0    is-----     up          failed    failed"
        )
    );
    // The failed standby is unusable, not merely inactive: in brackets.
    // (The document shows -g for Figure 1 only; this follows its rule.)
    assert_eq!(
        shown(Mode::Group, &model),
        seed("itops0    itops0        degraded  10.00s     net0 [net1 net2]")
    );
}

#[test]
fn figure_4_net2_repaired_and_active() {
    let model = itops0(
        "degraded",
        vec![
            offline(m("net1", false, false, false, false)),
            nominee(m("net0", true, false, false, false)),
            m("net2", true, false, true, false),
        ],
    );
    assert_eq!(
        shown(Mode::Interface, &model),
        seed(
            "net0        yes        itops0    --mb---     up          ok        ok
             net1        no         itops0    -----d-     up          ok        offline
             net2        yes        itops0    -s-----     up          ok        ok"
        )
    );
}

#[test]
fn failback_no_net0_repaired_but_inactive() {
    let model = itops0(
        "ok",
        vec![
            nominee(m("net1", true, false, false, false)),
            m("net0", false, true, false, false),
            m("net2", true, false, true, false),
        ],
    );
    assert_eq!(
        shown(Mode::Interface, &model),
        seed(
            "net0        no         itops0    i------    up          ok        ok
             net1        yes        itops0    --mb---    up          ok        ok
             net2        yes        itops0    -s-----    up          ok        ok"
        )
    );
}

#[test]
fn columns_have_the_original_widths() {
    let resolve = |a: &std::net::IpAddr| a.to_string();
    let model = figure_1();
    let g = render(
        Mode::Group,
        &Mode::Group.default_fields(),
        Style::Human,
        &rows(Mode::Group, &model, &resolve),
    );
    assert_eq!(
        g,
        vec![
            "GROUP       GROUPNAME   STATE     FDT       INTERFACES",
            "itops0      itops0      ok        10.00s    net1 net0 (net2)",
        ]
    );
    let i = render(
        Mode::Interface,
        &Mode::Interface.default_fields(),
        Style::Human,
        &rows(Mode::Interface, &model, &resolve),
    );
    assert_eq!(
        i[..2],
        [
            "INTERFACE   ACTIVE  GROUP       FLAGS     LINK      PROBE     STATE",
            "net0        yes     itops0      -------   up        ok        ok",
        ]
    );
}
