//! Per-connection spreading (kmod/flowtab.rs).

use libipmp::kernel_logic::flowtab::{FlowTable, BUCKETS, WAYS};

/// Flow hashes as the kernel makes them: well mixed 32-bit values.
fn hashes(n: usize, seed: u32) -> Vec<u32> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            // xorshift32
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        })
        .collect()
}

fn assign(table: &FlowTable, flows: &[u32], active: &[u8]) -> Vec<u8> {
    flows
        .iter()
        .map(|&h| table.pick(h, 100, active).expect("an active member"))
        .collect()
}

#[test]
fn every_packet_of_a_flow_leaves_by_the_same_member() {
    let table = FlowTable::new();
    let flows = hashes(64, 7);
    let first = assign(&table, &flows, &[0, 1, 2]);
    for _ in 0..10 {
        assert_eq!(assign(&table, &flows, &[0, 1, 2]), first);
    }
}

#[test]
fn sixty_four_flows_spread_within_a_quarter_of_even() {
    for members in 2..=4u8 {
        let table = FlowTable::new();
        let active: Vec<u8> = (0..members).collect();
        let chosen = assign(&table, &hashes(64, 99 + u32::from(members)), &active);
        let even = 64.0 / f64::from(members);
        for m in &active {
            let n = chosen.iter().filter(|c| *c == m).count() as f64;
            assert!(
                (n - even).abs() <= even * 0.25,
                "member {m} of {members} got {n} flows, even is {even}"
            );
        }
    }
}

#[test]
fn when_a_member_leaves_only_its_flows_move() {
    let table = FlowTable::new();
    let flows = hashes(200, 3);
    let before = assign(&table, &flows, &[0, 1, 2]);
    let after = assign(&table, &flows, &[0, 2]);
    for (b, a) in before.iter().zip(&after) {
        if *b == 1 {
            assert_ne!(*a, 1);
        } else {
            assert_eq!(a, b, "a flow of a remaining member moved");
        }
    }
    // They spread over both remaining members, not all onto one.
    let moved: Vec<_> = before
        .iter()
        .zip(&after)
        .filter(|(b, _)| **b == 1)
        .map(|(_, a)| *a)
        .collect();
    assert!(moved.contains(&0) && moved.contains(&2), "{moved:?}");
}

#[test]
fn a_returning_member_gets_new_flows_and_takes_no_old_ones() {
    let table = FlowTable::new();
    let old = hashes(100, 11);
    let before = assign(&table, &old, &[0, 2]);
    assert_eq!(assign(&table, &old, &[0, 1, 2]), before);
    let new = hashes(90, 12345);
    let fresh = assign(&table, &new, &[0, 1, 2]);
    assert_eq!(fresh.iter().filter(|&&m| m == 1).count(), 30);
}

#[test]
fn no_active_member_no_choice() {
    assert_eq!(FlowTable::new().pick(42, 0, &[]), None);
}

#[test]
fn a_forgotten_member_id_starts_without_flows() {
    let table = FlowTable::new();
    let flows = hashes(50, 5);
    let before = assign(&table, &flows, &[0, 1]);
    table.forget_member(1);
    // A new member that reuses id 1 joins later; the old flows of id 1 are
    // re-spread instead of silently following the id.
    let after = assign(&table, &flows, &[0, 1]);
    for (b, a) in before.iter().zip(&after) {
        if *b == 0 {
            assert_eq!(*a, 0);
        }
    }
}

#[test]
fn a_full_bucket_replaces_its_least_recently_used_flow() {
    let table = FlowTable::new();
    // WAYS + 1 flows in one bucket.
    let flows: Vec<u32> = (0..=WAYS as u32).map(|i| 7 + i * BUCKETS as u32).collect();
    for (t, &h) in flows.iter().take(WAYS).enumerate() {
        table.pick(h, t as u32, &[0, 1, 2]);
    }
    // Refresh all but the first, later.
    let kept: Vec<_> = flows[1..WAYS]
        .iter()
        .map(|&h| table.pick(h, 50, &[0, 1, 2]))
        .collect();
    table.pick(flows[WAYS], 60, &[0, 1, 2]);
    // The refreshed flows kept their members.
    for (&h, k) in flows[1..WAYS].iter().zip(kept) {
        assert_eq!(table.pick(h, 61, &[0, 1, 2]), k);
    }
}
