//! Data-address binding (kmod/binding.rs).

use libipmp::kernel_logic::binding::{rebind, Addr, Binding};

fn v4(last: u8) -> Binding {
    Binding {
        addr: Addr::V4([192, 0, 2, last]),
        member: None,
    }
}

fn v6(last: u8) -> Binding {
    let mut a = [0u8; 16];
    a[0] = 0x20;
    a[1] = 0x01;
    a[15] = last;
    Binding {
        addr: Addr::V6(a),
        member: None,
    }
}

fn members(b: &[Binding]) -> Vec<Option<u8>> {
    b.iter().map(|b| b.member).collect()
}

fn counts(b: &[Binding], ids: &[u8]) -> Vec<usize> {
    ids.iter()
        .map(|&m| b.iter().filter(|b| b.member == Some(m)).count())
        .collect()
}

#[test]
fn new_addresses_go_to_the_least_loaded_member() {
    let mut b = vec![v4(10), v4(11), v4(12)];
    let changed = rebind(&mut b, &[0, 1]);
    assert_eq!(members(&b), vec![Some(0), Some(1), Some(0)]);
    assert_eq!(changed, 0b111, "every first binding is announced");
    b.push(v4(13));
    let changed = rebind(&mut b, &[0, 1]);
    assert_eq!(b[3].member, Some(1));
    assert_eq!(changed, 0b1000, "only the new address is announced");
}

#[test]
fn a_lost_member_s_addresses_move_to_the_others() {
    let mut b = vec![v4(10), v4(11), v4(12), v4(13)];
    rebind(&mut b, &[0, 1, 2]);
    let before = members(&b);
    let changed = rebind(&mut b, &[0, 2]);
    for (i, (old, new)) in before.iter().zip(members(&b)).enumerate() {
        if *old == Some(1) {
            assert!(new == Some(0) || new == Some(2));
            assert_ne!(changed & (1 << i), 0, "a move is announced");
        } else {
            assert_eq!(*old, new, "a binding to a remaining member is kept");
        }
    }
    let c = counts(&b, &[0, 2]);
    assert!(c[0].abs_diff(c[1]) <= 1, "{c:?}");
}

#[test]
fn a_returning_member_takes_its_share() {
    let mut b: Vec<_> = (10..16).map(v4).collect();
    rebind(&mut b, &[0]);
    assert_eq!(counts(&b, &[0]), vec![6]);
    rebind(&mut b, &[0, 1]);
    assert_eq!(counts(&b, &[0, 1]), vec![3, 3]);
    rebind(&mut b, &[0, 1, 2]);
    assert_eq!(counts(&b, &[0, 1, 2]), vec![2, 2, 2]);
}

#[test]
fn families_are_balanced_separately() {
    let mut b = vec![v4(10), v6(10), v4(11), v6(11)];
    rebind(&mut b, &[0, 1]);
    assert_ne!(
        b[0].member, b[2].member,
        "two IPv4 addresses on two members"
    );
    assert_ne!(
        b[1].member, b[3].member,
        "two IPv6 addresses on two members"
    );
}

#[test]
fn with_no_active_member_everything_is_unbound() {
    let mut b = vec![v4(10), v6(10)];
    rebind(&mut b, &[0]);
    assert_eq!(rebind(&mut b, &[]), 0);
    assert_eq!(members(&b), vec![None, None]);
    // ...and is bound again, and announced, when a member comes back.
    assert_eq!(rebind(&mut b, &[3]), 0b11);
    assert_eq!(members(&b), vec![Some(3), Some(3)]);
}

#[test]
fn nothing_changes_nothing_is_announced() {
    let mut b: Vec<_> = (10..20).map(v4).collect();
    rebind(&mut b, &[0, 1, 2]);
    let before = members(&b);
    assert_eq!(rebind(&mut b, &[0, 1, 2]), 0);
    assert_eq!(members(&b), before);
}
