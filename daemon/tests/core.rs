//! The sans-IO core under a fake clock: every rule of failure detection,
//! repair and keeping the configured number of active members, with exact
//! counts and times.

#![allow(clippy::unwrap_used)]

mod sim;

use libipmp::control::{MemberState, ProbeState};
use libipmp::uapi::*;
use mpathd::config::Config;
use mpathd::core::{Admin, Input, MemberReport};
use mpathd::instance::Family;
use sim::*;

const FDT: u64 = 10 * SEC;
const INTERVAL: u64 = FDT / 7;

/// The group of the Oracle Solaris 11.4 IPMP documentation, settled:
/// quiet period over, RTTs known.
fn settled(config: Config) -> Sim {
    let mut s = Sim::itops0(config);
    s.run_for(60 * SEC);
    s
}

#[test]
fn figure_1_two_active_members_and_a_standby() {
    let s = settled(Config::default());
    assert_eq!([s.role(1), s.role(2), s.role(3)], ["----", "----", "is--"]);
    let snap = s.core.snapshot();
    assert_eq!(snap.groups[0].fdt_ms, Some(10_000));
    assert!(snap.members.iter().all(|m| m.probe == ProbeState::Ok));
    assert_eq!(
        snap.members
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>(),
        ["net0", "net1", "net2"]
    );
}

#[test]
fn probes_leave_every_fdt_over_7_with_jitter() {
    let mut s = settled(Config::default());
    let start = s.now;
    s.run_for(70 * SEC);
    let times: Vec<u64> = s
        .sends
        .iter()
        .filter(|(t, i, _)| *t >= start && *i == 1)
        .map(|(t, _, _)| *t)
        .collect();
    // 70 s / (10 s / 7) = 49 rounds.
    assert!((48..=50).contains(&times.len()), "{} probes", times.len());
    for w in times.windows(2) {
        let gap = w[1] - w[0];
        assert!(
            (INTERVAL / 2..=INTERVAL * 3 / 2).contains(&gap),
            "gap {gap} µs outside [I/2, 3I/2]"
        );
    }
}

#[test]
fn four_lost_probes_do_not_fail_a_member_five_do() {
    let mut s = settled(Config::default());
    s.drop_next.insert(1, 4);
    let t = s.now;
    s.run_for(FDT * 2);
    assert_eq!(s.losses_of("net0", t), 4);
    assert!(!s.failed(1));

    s.drop_next.insert(1, 5);
    let t = s.now;
    let took = s.run_until_pred(FDT * 2, |s| s.failed(1));
    assert!(took.is_some(), "five losses fail net0");
    assert_eq!(s.losses_of("net0", t), 5);
    assert!(s.logged("IP interface failure detected on net0 of group itops0"));
}

#[test]
fn a_blackholed_member_fails_within_the_fdt_and_the_standby_takes_over() {
    let mut s = settled(Config::default());
    s.blackholed.insert(1);
    let took = s
        .run_until_pred(2 * FDT, |s| s.failed(1))
        .expect("net0 fails");
    assert!(took <= FDT, "detected in {took} µs, FDT is {FDT}");
    assert!(took >= 4 * INTERVAL, "not before five probes: {took} µs");
    // Figure 2: net0 failed, the standby active.
    assert_eq!([s.role(1), s.role(2), s.role(3)], ["--F-", "----", "-s--"]);
    assert!(
        !s.failed(2) && !s.failed(3),
        "a member failure, not the group's"
    );
    let snap = s.core.snapshot();
    assert_eq!(snap.members[0].probe, ProbeState::Failed);
    assert_eq!(snap.members[0].state, MemberState::Failed);
}

#[test]
fn nine_replies_do_not_repair_ten_do_and_failback_restores_figure_1() {
    let mut s = settled(Config::default());
    s.blackholed.insert(1);
    s.run_until_pred(2 * FDT, |s| s.failed(1)).expect("fails");
    s.run_for(INTERVAL);
    s.blackholed.remove(&1);
    let t = s.now;
    let took = s
        .run_until_pred(3 * FDT, |s| !s.failed(1))
        .expect("repaired");
    assert_eq!(
        s.acks_of("net0", t),
        10,
        "repaired by the 10th reply, not the 9th"
    );
    assert!(took <= 2 * FDT, "repair took {took} µs");
    assert!(s.logged("IP interface repair detected on net0 of group itops0"));
    assert_eq!([s.role(1), s.role(2), s.role(3)], ["----", "----", "is--"]);
}

#[test]
fn failback_no_leaves_the_repaired_member_inactive() {
    let mut s = settled(Config {
        failback: false,
        ..Config::default()
    });
    s.outage(1, FDT);
    assert_eq!([s.role(1), s.role(2), s.role(3)], ["i---", "----", "-s--"]);
}

#[test]
fn figures_3_and_4_standby_fails_an_active_is_offlined_the_standby_returns() {
    let mut s = settled(Config::default());
    s.blackholed.insert(3);
    s.run_until_pred(2 * FDT, |s| s.failed(3))
        .expect("net2 fails");
    s.admin(Admin::Offline("net1".into()))
        .expect("net0 still works");
    // Figure 3.
    assert_eq!([s.role(1), s.role(2), s.role(3)], ["----", "---O", "isF-"]);
    let snap = s.core.snapshot();
    assert_eq!(snap.members[1].state, MemberState::Offline);
    assert_eq!(snap.members[2].state, MemberState::Failed);
    // Figure 4.
    s.blackholed.remove(&3);
    s.run_until_pred(3 * FDT, |s| !s.failed(3))
        .expect("net2 repaired");
    assert_eq!([s.role(1), s.role(2), s.role(3)], ["----", "---O", "-s--"]);
}

#[test]
fn offline_is_refused_without_another_functioning_member_and_online_restores() {
    let mut s = settled(Config::default());
    s.blackholed.insert(3);
    s.run_until_pred(2 * FDT, |s| s.failed(3))
        .expect("net2 fails");
    s.admin(Admin::Offline("net1".into())).unwrap();
    assert_eq!(
        s.admin(Admin::Offline("net1".into())).unwrap_err(),
        "net1 is already offline"
    );
    let before = s.flag_writes.len();
    assert_eq!(
        s.admin(Admin::Offline("net0".into())).unwrap_err(),
        "cannot offline net0: no other functioning interfaces are in its IPMP group"
    );
    assert_eq!(s.flag_writes.len(), before, "a refusal writes nothing");
    assert_eq!(
        s.admin(Admin::Online("net0".into())).unwrap_err(),
        "net0 is not offline"
    );
    assert_eq!(
        s.admin(Admin::Offline("eth9".into())).unwrap_err(),
        "eth9 is not in an IPMP group"
    );
    s.admin(Admin::Online("net1".into())).unwrap();
    assert_eq!(s.role(2), "----");
}

#[test]
fn lost_probes_are_ignored_in_the_quiet_period_until_the_first_reply() {
    let mut s = Sim::new(Config::default());
    s.input(Input::Routers(via_group(&[v4("192.168.10.1")])));
    s.blackholed.insert(1);
    s.add_member(1, "net0", false, true);
    s.add_member(2, "net1", false, true);
    let took = s
        .run_until_pred(60 * SEC, |s| s.failed(1))
        .expect("fails at last");
    assert!(
        took > 40 * SEC && took <= 40 * SEC + FDT,
        "failed after {took} µs"
    );
}

#[test]
fn a_reply_ends_the_quiet_period() {
    let mut s = Sim::new(Config::default());
    s.input(Input::Routers(via_group(&[v4("192.168.10.1")])));
    s.add_member(1, "net0", false, true);
    s.add_member(2, "net1", false, true);
    s.run_for(3 * SEC);
    s.blackholed.insert(1);
    let took = s.run_until_pred(20 * SEC, |s| s.failed(1)).expect("fails");
    assert!(took <= FDT, "{took}");
}

#[test]
fn when_no_member_hears_a_reply_the_whole_group_fails() {
    let mut s = settled(Config::default());
    for m in [1, 2, 3] {
        s.blackholed.insert(m);
    }
    s.run_until_pred(2 * FDT, |s| s.failed(1) && s.failed(2) && s.failed(3))
        .expect("all fail");
    assert!(s.logged("All IP interfaces in group itops0 are now unusable"));
    assert_eq!(
        s.core.snapshot().groups[0].state,
        libipmp::control::GroupState::Failed
    );
    // After a group failure, the first repaired member is active whatever
    // FAILBACK says.
    s.blackholed.remove(&2);
    s.run_until_pred(3 * FDT, |s| !s.failed(2))
        .expect("net1 repaired");
    assert!(s.logged("At least 1 IP interface (net1) in group itops0 is now usable"));
    assert_eq!(s.role(2), "----");
}

#[test]
fn a_group_failure_is_declared_at_once_not_member_by_member() {
    let mut s = settled(Config::default());
    for m in [1, 2, 3] {
        s.blackholed.insert(m);
    }
    s.run_until_pred(2 * FDT, |s| s.failed(1) || s.failed(2) || s.failed(3))
        .expect("something fails");
    assert!(
        s.failed(1) && s.failed(2) && s.failed(3),
        "the first member to reach five losses fails the group: {:?}",
        [s.role(1), s.role(2), s.role(3)]
    );
}

#[test]
fn with_both_families_probing_both_must_fail() {
    let mut s = Sim::new(Config::default());
    s.targets = vec![v4("192.168.10.1"), "fe80::1".parse().unwrap()];
    s.input(Input::Routers(via_group(&[
        v4("192.168.10.1"),
        "fe80::1".parse().unwrap(),
    ])));
    s.add_dual_stack_member(1, "net0");
    s.add_dual_stack_member(2, "net1");
    s.run_for(60 * SEC);
    s.blackholed_family.insert(Family::V4);
    s.run_for(3 * FDT);
    assert!(!s.failed(1) && !s.failed(2), "IPv6 still answers");
    s.blackholed.insert(1);
    s.run_until_pred(2 * FDT, |s| s.failed(1))
        .expect("both families lost on net0");
    assert!(!s.failed(2));
}

#[test]
fn link_failure_is_immediate_and_repair_without_probes_is_immediate() {
    let mut s = Sim::new(Config::default());
    s.add_member(1, "net0", false, false);
    s.add_member(2, "net1", false, false);
    s.add_member(3, "net2", true, false);
    s.carrier(1, false);
    assert!(s.failed(1));
    assert!(s.logged("The link has gone down on net0"));
    assert_eq!(s.role(3), "-s--", "the standby replaces net0 at once");
    s.run_for(SEC);
    s.carrier(1, true);
    assert!(
        !s.failed(1),
        "no test address: repaired as soon as the link is up"
    );
    assert_eq!(s.role(3), "is--");
    let snap = s.core.snapshot();
    assert_eq!(snap.members[0].probe, ProbeState::Disabled);
    assert_eq!(snap.groups[0].fdt_ms, None, "nothing probes: no FDT");
}

#[test]
fn a_flapping_link_is_repaired_only_once_stable() {
    let mut s = Sim::new(Config::default());
    s.add_member(1, "net0", false, false);
    s.add_member(2, "net1", false, false);
    for _ in 0..2 {
        s.carrier(1, false);
        s.run_for(5 * SEC);
        s.carrier(1, true);
        assert!(!s.failed(1));
        s.run_for(5 * SEC);
    }
    let first_up = 5 * SEC;
    s.carrier(1, false);
    s.run_for(5 * SEC);
    s.carrier(1, true);
    assert!(s.failed(1), "third link-up in a minute: repair waits");
    s.run_until_pred(120 * SEC, |s| !s.failed(1))
        .expect("repaired");
    assert!(
        s.now >= first_up + 60 * SEC && s.now <= first_up + 60 * SEC + 20 * MS,
        "repaired at {} µs, the first up of the window ages out at {}",
        s.now,
        first_up + 60 * SEC
    );
}

#[test]
fn link_down_on_a_probed_member_needs_ten_replies_after_the_link_returns() {
    let mut s = settled(Config::default());
    s.carrier(1, false);
    assert!(s.failed(1));
    s.run_for(SEC);
    s.carrier(1, true);
    assert!(s.failed(1), "probes must prove the repair");
    let t = s.now;
    s.run_until_pred(3 * FDT, |s| !s.failed(1))
        .expect("repaired");
    assert_eq!(s.acks_of("net0", t), 10);
}

#[test]
fn a_slow_target_raises_the_fdt_and_it_comes_back_down() {
    let mut s = settled(Config::default());
    s.rtt = 2 * SEC;
    s.run_until_pred(30 * SEC, |s| {
        s.core.snapshot().groups[0].fdt_ms > Some(10_000)
    })
    .expect("raised");
    assert!(s.logged("Cannot meet requested failure detection time of 10000 ms"));
    let raised = s.core.snapshot().groups[0].fdt_ms.unwrap();
    // Late replies teach the estimate until its CRTT passes the 1428 ms
    // interval; the interval becomes twice that CRTT.
    assert!(raised >= 2 * 1428 * 7, "{raised}");
    s.run_for(5 * 60 * SEC);
    assert!(
        !s.logged("IP interface failure detected"),
        "slow answers at the raised FDT are not losses"
    );
    s.rtt = MS;
    s.run_until_pred(30 * 60 * SEC, |s| {
        s.core.snapshot().groups[0].fdt_ms == Some(10_000)
    })
    .expect("back to the configured FDT");
    assert!(s.logged("Improved failure detection time"));
}

#[test]
fn sighup_with_a_new_fdt_takes_effect_without_a_flag_change() {
    let mut s = settled(Config::default());
    let writes = s.flag_writes.len();
    s.input(Input::Reload(Config {
        failure_detection_time_ms: 1000,
        ..Config::default()
    }));
    let start = s.now;
    s.run_for(10 * SEC);
    let sent = s
        .sends
        .iter()
        .filter(|(t, i, _)| *t >= start && *i == 1)
        .count();
    // 10 s at 1000 ms / 7 = 142 ms per probe: about 70.
    assert!((65..=72).contains(&sent), "{sent} probes");
    assert_eq!(s.flag_writes.len(), writes, "no flag written");
    assert_eq!(s.core.snapshot().groups[0].fdt_ms, Some(1000));
    s.blackholed.insert(1);
    let took = s.run_until_pred(5 * SEC, |s| s.failed(1)).expect("fails");
    assert!(took <= SEC, "{took}");
}

#[test]
fn a_restarted_daemon_keeps_failback_no_roles() {
    let mut s = settled(Config {
        failback: false,
        ..Config::default()
    });
    s.outage(1, FDT);
    assert_eq!([s.role(1), s.role(2), s.role(3)], ["i---", "----", "-s--"]);
    let mut fresh = s.restarted(Config {
        failback: false,
        ..Config::default()
    });
    fresh.run_for(30 * SEC);
    assert!(fresh.flag_writes.is_empty(), "{:?}", fresh.flag_writes);
}

#[test]
fn an_adopted_failed_member_without_probes_is_repaired_within_an_fdt() {
    let mut s = Sim::new(Config::default());
    for (i, name) in [(1, "net0"), (2, "net1")] {
        let mut k = s.kernel_member(i, name, false);
        if i == 1 {
            k.flags |= MEMBER_F_FAILED;
        }
        s.kernel.insert(i, k);
    }
    let reports = [1, 2].map(|i| s.report(i)).to_vec();
    s.input(Input::Adopt(reports));
    assert!(s.failed(1), "kept failed while probes could still decide");
    let took = s
        .run_until_pred(2 * FDT, |s| !s.failed(1))
        .expect("repaired");
    assert!(took <= FDT + 10 * MS, "{took}");
}

#[test]
fn an_ipv6_instance_without_targets_does_not_stop_an_ipv4_failure() {
    let mut s = Sim::new(Config::default());
    s.input(Input::Routers(via_group(&[v4("192.168.10.1")])));
    // Nobody answers ff02::1 on this LAN.
    s.add_dual_stack_member(1, "net0");
    s.add_dual_stack_member(2, "net1");
    s.run_for(60 * SEC);
    s.blackholed.insert(1);
    s.run_until_pred(2 * FDT, |s| s.failed(1))
        .expect("net0 fails by IPv4 alone");
}

#[test]
fn online_with_the_link_down_still_needs_ten_replies() {
    let mut s = settled(Config::default());
    s.admin(Admin::Offline("net0".into())).unwrap();
    s.carrier(1, false);
    s.admin(Admin::Online("net0".into())).unwrap();
    assert!(s.failed(1));
    s.run_for(SEC);
    s.carrier(1, true);
    assert!(
        s.failed(1),
        "the link alone does not repair a probed member"
    );
    let t = s.now;
    s.run_until_pred(3 * FDT, |s| !s.failed(1))
        .expect("repaired by probes");
    assert_eq!(s.acks_of("net0", t), 10);
}

#[test]
fn a_quick_offline_online_is_not_undone_by_the_stale_echo() {
    let mut s = settled(Config::default());
    // Both requests before the kernel's events of the first arrive.
    s.admin(Admin::Offline("net1".into())).unwrap();
    s.admin(Admin::Online("net1".into())).unwrap();
    s.run_for(SEC);
    assert_eq!(s.role(2), "----", "net1 stays online");
}

#[test]
fn a_renamed_member_keeps_its_policy() {
    let mut s = settled(Config::default());
    s.kernel.get_mut(&1).unwrap().name = "uplink0".into();
    let r = s.report(1);
    s.input(Input::Member {
        report: r,
        adopt: false,
    });
    s.blackholed.insert(1);
    s.run_until_pred(2 * FDT, |s| s.failed(1))
        .expect("fails under its new name");
    assert_eq!(s.role(3), "-s--", "the standby replaces it");
    assert!(s.logged("IP interface failure detected on uplink0 of group itops0"));
}

#[test]
fn a_restarted_daemon_adopts_the_kernel_state_without_writing() {
    let mut s = settled(Config::default());
    s.blackholed.insert(1);
    s.run_until_pred(2 * FDT, |s| s.failed(1)).expect("fails");
    // A new daemon finds the kernel as the old one left it.
    let mut fresh = s.restarted(Config::default());
    fresh.run_for(30 * SEC);
    assert!(fresh.flag_writes.is_empty(), "{:?}", fresh.flag_writes);
    // And it still repairs net0 by probes.
    fresh.blackholed.remove(&1);
    fresh
        .run_until_pred(3 * FDT, |s| !s.failed(1))
        .expect("repaired");
    assert_eq!(
        [fresh.role(1), fresh.role(2), fresh.role(3)],
        ["----", "----", "is--"]
    );
}

#[test]
fn a_duplicate_hardware_address_offlines_the_later_member_until_it_changes() {
    let mut s = settled(Config::default());
    s.kernel.get_mut(&3).unwrap().hwaddr = s.kernel[&1].hwaddr;
    let r = s.report(3);
    s.input(Input::Member {
        report: r,
        adopt: false,
    });
    assert_eq!(s.role(3), "is-O");
    assert!(s.logged(
        "IP interface net2 has a hardware address which is not unique in group itops0; offlining"
    ));
    let snap = s.core.snapshot();
    assert!(snap.members[2].duplicate_hwaddr);
    assert_eq!(
        s.admin(Admin::Online("net2".into())).unwrap_err(),
        "cannot online net2: its hardware address duplicates that of net0"
    );
    s.kernel.get_mut(&3).unwrap().hwaddr = [2, 0, 0, 0, 0, 9];
    let r = s.report(3);
    s.input(Input::Member {
        report: r,
        adopt: false,
    });
    assert_eq!(s.role(3), "is--");
    assert!(!s.core.snapshot().members[2].duplicate_hwaddr);
    assert!(
        s.logged("IP interface net2 now has a unique hardware address in group itops0; onlining")
    );
}

#[test]
fn a_test_address_shared_by_two_members_disables_probing_on_them() {
    let mut s = settled(Config::default());
    s.set_test_address(2, Some(v4("192.168.10.11")));
    let snap = s.core.snapshot();
    assert_eq!(snap.members[0].probe, ProbeState::Disabled);
    assert_eq!(snap.members[1].probe, ProbeState::Disabled);
    assert_eq!(
        snap.members[0].instances[0].disabled_reason.as_deref(),
        Some("test address 192.168.10.11 is also on net1")
    );
    assert_eq!(snap.members[2].probe, ProbeState::Ok);
}

#[test]
fn standby_changes_from_the_kernel_and_from_admin_requests() {
    let mut s = settled(Config::default());
    s.admin(Admin::Standby("net2".into(), false)).unwrap();
    assert_eq!(s.role(3), "----");
    // ipmpadm set-member net0 --standby on, behind the daemon's back.
    s.kernel.get_mut(&1).unwrap().flags |= MEMBER_F_STANDBY;
    let r = s.report(1);
    s.input(Input::Member {
        report: r,
        adopt: false,
    });
    assert_eq!(s.role(1), "is--");
}

#[test]
fn a_flag_written_by_someone_else_is_written_back() {
    let mut s = settled(Config::default());
    s.kernel.get_mut(&3).unwrap().flags &= !MEMBER_F_INACTIVE;
    let r = s.report(3);
    s.input(Input::Member {
        report: r,
        adopt: false,
    });
    assert_eq!(s.role(3), "is--");
}

#[test]
fn a_member_leaving_shrinks_the_target_so_the_standby_stays_inactive() {
    let mut s = settled(Config::default());
    s.input(Input::MemberGone { ifindex: 1 });
    assert_eq!(s.role(3), "is--", "net1 alone meets the new target of one");
    assert_eq!(s.core.snapshot().members.len(), 2);
    s.input(Input::MemberGone { ifindex: 2 });
    assert_eq!(
        s.role(3),
        "-s--",
        "a group keeps at least one active member"
    );
}

#[test]
fn multicast_discovery_finds_up_to_five_hosts_and_never_itself() {
    let mut s = Sim::new(Config::default());
    s.targets = (1..=7)
        .map(|i| v4(&format!("192.168.10.{}", 100 + i)))
        .collect();
    s.targets.push(v4("192.168.10.12"));
    s.input(Input::LocalAddresses(vec![
        v4("192.168.10.11"),
        v4("192.168.10.12"),
    ]));
    s.add_member(1, "net0", false, true);
    s.add_member(2, "net1", false, true);
    s.run_for(10 * SEC);
    let snap = s.core.snapshot();
    let t = &snap.members[0].instances[0];
    assert_eq!(t.mode, libipmp::control::TargetMode::Multicast);
    assert_eq!(t.targets.len(), 5);
    assert!(t.targets.iter().all(|t| t.address != v4("192.168.10.12")));
}

#[test]
fn explicit_targets_win_over_routers() {
    let mut s = Sim::itops0(Config {
        probe_targets: vec![v4("192.168.10.50")],
        ..Config::default()
    });
    s.targets = vec![v4("192.168.10.50")];
    s.run_for(10 * SEC);
    let snap = s.core.snapshot();
    assert_eq!(
        snap.members[0].instances[0].mode,
        libipmp::control::TargetMode::Explicit
    );
    assert_eq!(
        snap.members[0].instances[0].targets[0].address,
        v4("192.168.10.50")
    );
    assert_eq!(snap.members[0].probe, ProbeState::Ok);
}

#[test]
fn a_groups_own_targets_win_over_probe_targets_and_are_shown() {
    let mut s = Sim::itops0(Config {
        probe_targets: vec![v4("192.168.10.50")],
        group_targets: [("itops0".to_string(), vec![v4("192.168.10.60")])].into(),
        ..Config::default()
    });
    s.targets = vec![v4("192.168.10.60")];
    s.run_for(10 * SEC);
    let snap = s.core.snapshot();
    assert_eq!(
        snap.members[0].instances[0].targets[0].address,
        v4("192.168.10.60")
    );
    assert_eq!(snap.members[0].probe, ProbeState::Ok);
    assert_eq!(snap.groups[0].configured_targets, vec![v4("192.168.10.60")]);
    // Another group's targets change nothing here.
    let mut other = Sim::itops0(Config {
        group_targets: [("itops9".to_string(), vec![v4("192.168.10.60")])].into(),
        ..Config::default()
    });
    other.targets = vec![v4("192.168.10.1")];
    other.input(Input::Routers(via_group(&[v4("192.168.10.1")])));
    other.run_for(10 * SEC);
    let snap = other.core.snapshot();
    assert_eq!(
        snap.members[0].instances[0].targets[0].address,
        v4("192.168.10.1")
    );
    assert!(snap.groups[0].configured_targets.is_empty());
}

#[test]
fn members_on_different_lans_are_warned_about_once() {
    // net1 sits on another LAN: its hosts are not net0's.
    let mut s = Sim::new(Config::default());
    s.targets = vec![v4("192.168.10.20")];
    s.lan_of.insert(2, vec![v4("192.168.10.30")]);
    s.add_member(1, "net0", false, true);
    s.add_member(2, "net1", false, true);
    s.run_for(30 * SEC);
    let warnings: Vec<&str> = s
        .logs
        .iter()
        .filter(|(_, level, _)| *level == mpathd::core::Level::Warning)
        .map(|(_, _, line)| line.as_str())
        .collect();
    assert_eq!(
        warnings,
        vec![
            "net1 and net0 of group itops0 reach disjoint ipv4 probe targets \
             (net1: 192.168.10.30; net0: 192.168.10.20): they are on different LANs, \
             but all members of an IPMP group must share one link"
        ]
    );
    // On one LAN: no warning.
    let mut same = Sim::new(Config::default());
    same.targets = vec![v4("192.168.10.20")];
    same.add_member(1, "net0", false, true);
    same.add_member(2, "net1", false, true);
    same.run_for(30 * SEC);
    assert!(!same
        .logs
        .iter()
        .any(|(_, level, _)| *level == mpathd::core::Level::Warning));
}

#[test]
fn a_router_reached_by_one_member_only_is_warned_about() {
    let mut s = Sim::new(Config::default());
    s.targets = vec![v4("192.168.10.1"), v4("192.168.10.2")];
    s.lan_of.insert(2, vec![v4("192.168.10.2")]);
    s.input(Input::Routers(via_group(&[
        v4("192.168.10.1"),
        v4("192.168.10.2"),
    ])));
    s.add_member(1, "net0", false, true);
    s.add_member(2, "net1", false, true);
    s.run_for(60 * SEC);
    assert!(!s.failed(2), "net1 still reaches one router");
    assert!(
        s.logs.iter().any(|(_, level, line)| *level == mpathd::core::Level::Warning
            && line == "net1 ipv4: probe target 192.168.10.1 answers through net0 but not through net1: \
                        are they on the same LAN? (all members of an IPMP group must share one link)"),
        "{:#?}",
        s.logs
    );
}

#[test]
fn a_dead_router_among_live_ones_is_dropped_not_the_member() {
    let mut s = Sim::new(Config::default());
    s.targets = vec![v4("192.168.10.1")];
    s.input(Input::Routers(via_group(&[
        v4("192.168.10.1"),
        v4("192.168.10.2"),
    ])));
    s.add_member(1, "net0", false, true);
    s.add_member(2, "net1", false, true);
    s.run_for(60 * SEC);
    assert!(!s.failed(1));
    let snap = s.core.snapshot();
    assert_eq!(snap.members[0].instances[0].targets.len(), 1);
    assert!(s.logged("probe target 192.168.10.2 stopped answering"));
}

#[test]
fn the_anonymous_group_detects_but_writes_nothing() {
    let mut s = Sim::new(Config {
        track_interfaces_only_with_groups: false,
        ..Config::default()
    });
    let k = s.kernel_member(7, "eth7", false);
    s.kernel.insert(7, k);
    let mut report: MemberReport = s.report(7);
    report.group_ifindex = 0;
    report.group_ifname = String::new();
    report.group_name = String::new();
    s.input(Input::Member {
        report: report.clone(),
        adopt: true,
    });
    report.carrier = false;
    s.input(Input::Member {
        report,
        adopt: false,
    });
    assert!(s.logged("IP interface failure detected on eth7"));
    assert!(s.flag_writes.is_empty());
    assert_eq!(s.core.snapshot().members[0].state, MemberState::Failed);
}

#[test]
fn one_slow_target_among_fast_ones_is_dropped_instead_of_raising_the_fdt() {
    let routers: Vec<_> = (1..=3).map(|i| v4(&format!("192.168.10.{i}"))).collect();
    let mut s = Sim::new(Config::default());
    s.targets = routers.clone();
    s.input(Input::Routers(via_group(&routers)));
    s.add_member(1, "net0", false, true);
    s.add_member(2, "net1", false, true);
    s.run_for(60 * SEC);
    s.rtt_of.insert(v4("192.168.10.2"), 3 * SEC);
    s.run_for(60 * SEC);
    assert!(s.logged("probe target 192.168.10.2 is much slower than the others; dropped"));
    assert_eq!(
        s.core.snapshot().groups[0].fdt_ms,
        Some(10_000),
        "the FDT stays"
    );
    assert!(!s.failed(1) && !s.failed(2));
}

/// Probe targets of `ifindex` in `family` (0 ipv4, 1 ipv6).
fn targets_of(s: &Sim, ifindex: u32, family: usize) -> Vec<std::net::IpAddr> {
    let snap = s.core.snapshot();
    let m = snap
        .members
        .iter()
        .find(|m| m.ifindex == ifindex)
        .expect("member");
    m.instances[family]
        .targets
        .iter()
        .map(|t| t.address)
        .collect()
}

#[test]
fn only_routers_on_the_groups_link_are_targets() {
    use mpathd::core::Router;
    let mut s = Sim::new(Config::default());
    s.targets = vec![v4("192.168.10.1"), "fe80::1".parse().unwrap()];
    s.input(Input::Routers(vec![
        // Through the IPMP interface: a target.
        Router {
            addr: v4("192.168.10.1"),
            ifindex: GROUP,
        },
        // On the test subnet, but routed through another interface.
        Router {
            addr: v4("192.168.10.254"),
            ifindex: 99,
        },
        // A link-local next hop of a member: a target of every member.
        Router {
            addr: "fe80::1".parse().unwrap(),
            ifindex: 2,
        },
        // A link-local next hop of another interface (another LAN).
        Router {
            addr: "fe80::99".parse().unwrap(),
            ifindex: 99,
        },
    ]));
    s.add_dual_stack_member(1, "net0");
    s.add_dual_stack_member(2, "net1");
    s.run_for(5 * SEC);
    for m in [1, 2] {
        assert_eq!(targets_of(&s, m, 0), vec![v4("192.168.10.1")]);
        assert_eq!(
            targets_of(&s, m, 1),
            vec!["fe80::1".parse::<std::net::IpAddr>().unwrap()]
        );
    }
}

#[test]
fn this_hosts_own_addresses_are_never_targets() {
    let mut s = Sim::new(Config::default());
    s.input(Input::LocalAddresses(vec![v4("192.168.10.1")]));
    s.input(Input::Routers(via_group(&[
        v4("192.168.10.1"),
        v4("192.168.10.2"),
    ])));
    s.targets = vec![v4("192.168.10.2")];
    s.add_member(1, "net0", false, true);
    s.run_for(5 * SEC);
    assert_eq!(targets_of(&s, 1, 0), vec![v4("192.168.10.2")]);
}

#[test]
fn a_member_with_nothing_to_probe_is_reported_once_and_shown_without_targets() {
    let mut s = Sim::new(Config::default());
    // No router, and nobody answers 224.0.0.1.
    s.targets = vec![];
    s.add_member(1, "net0", false, true);
    s.run_for(60 * SEC);
    let lines: Vec<&String> = s
        .logs
        .iter()
        .map(|(_, _, l)| l)
        .filter(|l| l.starts_with("No ipv4 probe target for net0"))
        .collect();
    assert_eq!(lines.len(), 1, "once: {lines:?}");
    assert!(
        lines[0].contains("PROBE_TARGETS"),
        "says what to do: {}",
        lines[0]
    );
    assert!(lines[0].contains("/etc/ipmp/itops0.conf"), "{}", lines[0]);
    assert!(targets_of(&s, 1, 0).is_empty());
    // A host that starts answering ends it; losing it again is reported
    // again.
    s.targets = vec![v4("192.168.10.7")];
    s.run_until_pred(30 * SEC, |s| !targets_of(s, 1, 0).is_empty())
        .expect("the host is found");
}

#[test]
fn the_originals_test_address_messages() {
    let mut s = settled(Config::default());
    s.set_test_address(2, Some(v4("192.168.10.11")));
    assert!(s.logged(
        "Test address 192.168.10.11 is not unique in group; \
         disabling probe-based failure detection on net1"
    ));
    s.set_test_address(2, Some(v4("192.168.10.12")));
    assert!(s.logged(
        "Test address now configured on interface net1; \
         enabling probe-based failure detection on it"
    ));
    // A member left without any test address is reported once the grace
    // period (20 s) is over, not before.
    s.add_member(4, "net3", false, false);
    s.run_for(19 * SEC);
    assert!(!s.logged("No test address configured on interface net3"));
    s.run_for(2 * SEC);
    assert!(s.logged(
        "No test address configured on interface net3; \
         disabling probe-based failure detection on it"
    ));
    s.set_test_address(4, Some(v4("192.168.10.14")));
    assert!(s.logged("Test address now configured on interface net3"));
}

#[test]
fn a_few_slow_replies_do_not_raise_the_fdt() {
    let mut s = settled(Config {
        failure_detection_time_ms: 1000,
        ..Config::default()
    });
    // Two replies in a row take three probe intervals.
    s.rtt = 450 * MS;
    s.run_for(300 * MS);
    s.rtt = MS;
    s.run_for(30 * SEC);
    assert!(
        !s.logged("Cannot meet requested failure detection time"),
        "{:?}",
        s.logs
    );
    assert_eq!(s.core.snapshot().groups[0].fdt_ms, Some(1000));
}

#[test]
fn a_very_slow_target_raises_the_fdt_no_further_than_ten_times() {
    let mut s = settled(Config {
        failure_detection_time_ms: 1000,
        ..Config::default()
    });
    // The target slows down step by step; each step's late replies teach
    // the estimate, and the FDT follows, up to its ceiling.
    let mut highest = 0;
    for rtt in [300, 1000, 3000] {
        s.rtt = rtt * MS;
        for _ in 0..120 {
            s.run_for(SEC);
            highest = highest.max(s.core.snapshot().groups[0].fdt_ms.unwrap_or(0));
        }
    }
    assert_eq!(highest, 10_000, "{:?}", s.logs);
    assert!(s.logged("the most allowed (10x the configured time"));
}
