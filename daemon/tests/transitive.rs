//! Transitive probing (TRANSITIVE_PROBING=yes) under a fake clock: one
//! member probes the targets from a data address bound to it, the others
//! send link-layer probes to it; black holes anywhere are found within
//! the FDT, the prober's own included, and nobody is blamed for another's.

#![allow(clippy::unwrap_used)]

mod sim;

use libipmp::control::{ProbeState, TargetMode};
use mpathd::config::Config;
use mpathd::core::Admin;
use sim::*;

const FDT_MS: u32 = 1000;
const FDT: u64 = FDT_MS as u64 * MS;

/// The transitive group, settled (quiet period over, RTTs known).
fn settled() -> Sim {
    let mut s = Sim::transitive_itops0(FDT_MS);
    s.run_for(45 * SEC);
    s
}

/// The member probing from a data address, and its source.
fn prober(s: &Sim) -> Option<(String, std::net::IpAddr)> {
    s.core.snapshot().members.iter().find_map(|m| {
        let v4 = m.instances.iter().find(|i| i.family == "ipv4")?;
        v4.data_address
            .then(|| (m.name.clone(), v4.test_address.unwrap()))
    })
}

/// `ipmpstat -t` MODE and the member probed through, per member.
fn modes(s: &Sim) -> Vec<(String, TargetMode, Option<String>)> {
    s.core
        .snapshot()
        .members
        .iter()
        .map(|m| {
            let v4 = m.instances.iter().find(|i| i.family == "ipv4").unwrap();
            (m.name.clone(), v4.mode, v4.via.clone())
        })
        .collect()
}

fn probe_state(s: &Sim, name: &str) -> ProbeState {
    s.core
        .snapshot()
        .members
        .iter()
        .find(|m| m.name == name)
        .unwrap()
        .probe
}

/// Black-holes `ifindex` and returns how long until it is failed.
fn time_to_fail(s: &mut Sim, ifindex: u32) -> u64 {
    s.blackholed.insert(ifindex);
    let t = s
        .run_until_pred(3 * FDT, |s| s.failed(ifindex))
        .expect("failed");
    eprintln!("member {ifindex} failed after {} ms", t / MS);
    t
}

/// Opens `ifindex` again and returns how long until it is repaired.
fn time_to_repair(s: &mut Sim, ifindex: u32) -> u64 {
    s.blackholed.remove(&ifindex);
    let t = s
        .run_until_pred(4 * FDT, |s| !s.failed(ifindex))
        .expect("repaired");
    eprintln!("member {ifindex} repaired after {} ms", t / MS);
    t
}

#[test]
fn one_member_probes_from_a_bound_data_address_and_the_others_through_it() {
    let s = settled();
    let (name, src) = prober(&s).expect("a prober");
    assert_eq!(name, "net0");
    assert_eq!(s.bound[&src], Some(1), "its source is bound to it");
    let via = Some("net0".to_string());
    assert_eq!(
        modes(&s),
        vec![
            ("net0".into(), TargetMode::Routes, None),
            ("net1".into(), TargetMode::Transitive, via.clone()),
            ("net2".into(), TargetMode::Transitive, via),
        ]
    );
    for n in ["net0", "net1", "net2"] {
        assert_eq!(probe_state(&s, n), ProbeState::Ok, "{n}");
    }
    assert_eq!(s.core.snapshot().groups[0].fdt_ms, Some(1000));
    // Transitive probes leave at the probe interval, as ICMP probes do.
    let since = s.now - 10 * SEC;
    let from_net1 = s
        .transitive_sends
        .iter()
        .filter(|(t, from, to)| *t >= since && *from == 2 && *to == 1)
        .count();
    assert!((60..=80).contains(&from_net1), "{from_net1} in 10 s");
    assert!(s.logged("net0 probes from data address 192.168.10.5"));
}

#[test]
fn a_black_holed_active_member_fails_within_the_fdt_and_is_repaired() {
    let mut s = settled();
    let t = time_to_fail(&mut s, 2);
    assert!(t <= FDT * 11 / 10, "failed after {t} µs");
    assert_eq!(s.role(2), "--F-");
    assert_eq!(s.role(3), "-s--", "the standby took its place");
    assert!(!s.failed(1) && !s.failed(3), "nobody else blamed");
    assert_eq!(prober(&s).unwrap().0, "net0", "probing stays");
    assert!(
        s.bound.values().all(|m| *m != Some(2)),
        "its addresses moved: {:?}",
        s.bound
    );
    let t = time_to_repair(&mut s, 2);
    assert!(t <= 2 * FDT * 11 / 10, "repaired after {t} µs");
    assert_eq!([s.role(1), s.role(2), s.role(3)], ["----", "----", "is--"]);
}

#[test]
fn a_black_holed_standby_fails_within_the_fdt_while_carrying_nothing() {
    let mut s = settled();
    let t = time_to_fail(&mut s, 3);
    assert!(t <= FDT * 11 / 10, "failed after {t} µs");
    assert_eq!([s.role(1), s.role(2), s.role(3)], ["----", "----", "isF-"]);
    assert_eq!(probe_state(&s, "net2"), ProbeState::Failed);
    let t = time_to_repair(&mut s, 3);
    assert!(t <= 2 * FDT * 11 / 10, "repaired after {t} µs");
    assert_eq!(s.role(3), "is--");
}

#[test]
fn a_black_holed_prober_fails_alone_and_probing_moves() {
    let mut s = settled();
    let since = s.now;
    let t = time_to_fail(&mut s, 1);
    assert!(t <= FDT * 11 / 10, "failed after {t} µs");
    // Everyone's transitive probes were lost too; nobody else is blamed,
    // at any moment.
    let others_failed = s
        .flag_writes
        .iter()
        .any(|(at, i, f, _)| *at >= since && *i != 1 && f & libipmp::uapi::MEMBER_F_FAILED != 0);
    assert!(!others_failed, "{:?}", s.flag_writes);
    s.run_for(FDT);
    let (name, src) = prober(&s).expect("a new prober");
    assert_ne!(name, "net0");
    assert_ne!(s.bound[&src], Some(1));
    assert!(modes(&s).iter().any(|(n, m, via)| n == "net0"
        && *m == TargetMode::Transitive
        && via.as_deref() == Some(&name)));
    assert!(!s.failed(2) && !s.failed(3));
    // Repaired through the new prober, and probing stays where it is.
    let t = time_to_repair(&mut s, 1);
    assert!(t <= 2 * FDT * 11 / 10, "repaired after {t} µs");
    assert_eq!(prober(&s).unwrap().0, name);
}

#[test]
fn targets_that_stop_answering_fail_the_whole_group() {
    let mut s = settled();
    s.blackholed_family.insert(mpathd::instance::Family::V4);
    s.run_until_pred(3 * FDT, |s| s.failed(1) && s.failed(2) && s.failed(3))
        .expect("the group failed");
    assert!(s.logged("All IP interfaces in group itops0 are now unusable"));
    s.blackholed_family.clear();
    s.run_until_pred(6 * FDT, |s| !s.failed(1) && !s.failed(2) && !s.failed(3))
        .expect("the group repaired");
}

#[test]
fn a_lone_loss_of_the_prober_blames_nobody() {
    let mut s = settled();
    // The prober misses two probes: a transitive failure reached in that
    // time would be held until the prober answers again.
    s.drop_next.insert(1, 2);
    s.run_for(5 * FDT);
    for i in [1, 2, 3] {
        assert!(!s.failed(i), "{i}");
    }
}

#[test]
fn offlining_the_prober_moves_probing() {
    let mut s = settled();
    s.admin(Admin::Offline("net0".into())).unwrap();
    s.run_for(FDT);
    let (name, src) = prober(&s).expect("a prober");
    assert_ne!(name, "net0");
    assert_eq!(s.bound[&src].map(|i| s.kernel[&i].name.clone()), Some(name));
    assert_eq!(
        probe_state(&s, "net0"),
        ProbeState::Ok,
        "keeps its last verdict"
    );
}

#[test]
fn without_the_setting_there_is_no_probing() {
    let mut s = Sim::transitive_itops0(FDT_MS);
    let config = Config {
        failure_detection_time_ms: FDT_MS,
        ..Config::default()
    };
    s.input(mpathd::core::Input::Reload(config));
    s.run_for(10 * SEC);
    assert!(prober(&s).is_none());
    assert!(modes(&s).iter().all(|(_, m, _)| *m == TargetMode::Disabled));
    assert!(s.transitive_sends.iter().all(|(t, _, _)| *t < SEC));
}

#[test]
fn a_group_with_test_addresses_keeps_using_them() {
    let mut s = Sim::transitive_itops0(FDT_MS);
    s.set_test_address(1, Some(v4("192.168.10.11")));
    s.run_for(45 * SEC);
    assert!(prober(&s).is_none());
    let m = modes(&s);
    assert_eq!(m[0], ("net0".into(), TargetMode::Routes, None));
    assert_eq!(m[1].1, TargetMode::Disabled);
}

#[test]
fn address_notifications_do_not_restart_the_probers_count() {
    let mut s = settled();
    s.blackholed.insert(1);
    s.run_for(FDT / 2);
    // The shell reads every member's addresses again after any address
    // notification: the prober has none of its own.
    s.set_test_address(1, None);
    s.set_test_address(2, None);
    let t = s.run_until_pred(3 * FDT, |s| s.failed(1)).expect("failed");
    assert!(
        t + FDT / 2 <= FDT * 11 / 10,
        "failed {} ms after the cut",
        (t + FDT / 2) / MS
    );
}

#[test]
fn a_test_address_added_later_ends_transitive_probing() {
    let mut s = settled();
    s.set_test_address(2, Some(v4("192.168.10.12")));
    s.run_for(SEC);
    assert!(prober(&s).is_none());
    let m = modes(&s);
    assert_eq!(m[1], ("net1".into(), TargetMode::Routes, None));
    assert_eq!(m[0].1, TargetMode::Disabled);
    assert_eq!(m[2].1, TargetMode::Disabled);
}
