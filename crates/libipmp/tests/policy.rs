//! The active-set and nominee rules of ipmp.ko (kmod/policy.rs).

use libipmp::kernel_logic::policy::{active_mask, nominate, positions, MemberState};
use libipmp::uapi::*;

fn up(flags: u32) -> MemberState {
    MemberState {
        usable: true,
        flags,
    }
}

fn down(flags: u32) -> MemberState {
    MemberState {
        usable: false,
        flags,
    }
}

fn active(states: &[MemberState], policy: u8) -> Vec<usize> {
    positions(active_mask(states, policy)).collect()
}

#[test]
fn without_a_daemon_standbys_wait_while_a_primary_works() {
    // The group of the Oracle Solaris 11.4 IPMP documentation: net0, net1
    // active, net2 standby.
    let group = [up(0), up(0), up(MEMBER_F_STANDBY)];
    assert_eq!(active(&group, POLICY_KERNEL), vec![0, 1]);
    // net0 loses its link: net1 still carries traffic, the standby waits.
    let group = [down(0), up(0), up(MEMBER_F_STANDBY)];
    assert_eq!(active(&group, POLICY_KERNEL), vec![1]);
    // Both primaries gone: the standby steps in.
    let group = [down(0), down(0), up(MEMBER_F_STANDBY)];
    assert_eq!(active(&group, POLICY_KERNEL), vec![2]);
    // A failed or offline primary counts as gone too.
    let group = [
        up(MEMBER_F_FAILED),
        up(MEMBER_F_OFFLINE),
        up(MEMBER_F_STANDBY),
    ];
    assert_eq!(active(&group, POLICY_KERNEL), vec![2]);
}

#[test]
fn under_a_daemon_inactive_decides_and_standby_is_a_label() {
    // in.mpathd activated the standby after net0 failed (Figure 2).
    let group = [up(MEMBER_F_FAILED), up(0), up(MEMBER_F_STANDBY)];
    assert_eq!(active(&group, POLICY_DAEMON), vec![1, 2]);
    // FAILBACK=no: repaired net0 stays inactive.
    let group = [up(MEMBER_F_INACTIVE), up(0), up(MEMBER_F_STANDBY)];
    assert_eq!(active(&group, POLICY_DAEMON), vec![1, 2]);
}

#[test]
fn carrier_loss_removes_a_member_whatever_the_flags_say() {
    for policy in [POLICY_KERNEL, POLICY_DAEMON] {
        let group = [down(0), up(0)];
        assert_eq!(active(&group, policy), vec![1], "policy {policy}");
    }
}

#[test]
fn inactive_failed_and_offline_each_exclude() {
    for flag in [MEMBER_F_INACTIVE, MEMBER_F_FAILED, MEMBER_F_OFFLINE] {
        for policy in [POLICY_KERNEL, POLICY_DAEMON] {
            assert_eq!(
                active(&[up(flag), up(0)], policy),
                vec![1],
                "flag {flag:#x}"
            );
        }
    }
    assert!(active(&[], POLICY_KERNEL).is_empty());
}

#[test]
fn a_nominee_keeps_its_role_while_active() {
    assert_eq!(nominate(Some(2), 0b1110), Some(2));
    // It left the active set: the first active member takes over.
    assert_eq!(nominate(Some(0), 0b0110), Some(1));
    assert_eq!(nominate(None, 0b1000), Some(3));
    assert_eq!(nominate(Some(1), 0), None);
    // Out-of-range previous positions are ignored, never a panic.
    assert_eq!(nominate(Some(99), 0b1), Some(0));
}
