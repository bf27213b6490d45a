//! Per-connection spreading (kmod/flowtab.rs), from one flow to 100 000.

use libipmp::kernel_logic::flowtab::{FlowTable, BUCKETS, ENTRIES, IDLE_SECS, SLOTS, WAYS};
use std::sync::atomic::{AtomicU32, AtomicU64};

type Table = FlowTable<Vec<AtomicU64>, Vec<AtomicU32>>;

fn table() -> Table {
    let entries = (0..ENTRIES).map(|_| AtomicU64::new(0)).collect();
    let slots = (0..SLOTS).map(|_| AtomicU32::new(0)).collect();
    FlowTable::new(entries, slots).expect("zeroed storage of the right sizes")
}

/// Flow hashes as the kernel makes them: well mixed, distinct 32-bit
/// values.
fn hashes(n: usize, seed: u32) -> Vec<u32> {
    let mut x = seed;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        // xorshift32
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        if seen.insert(x) {
            out.push(x);
        }
    }
    out
}

fn assign_at(table: &Table, flows: &[u32], active: &[u8], now: u32) -> Vec<u8> {
    flows
        .iter()
        .map(|&h| table.pick(h, now, active).expect("an active member"))
        .collect()
}

fn assign(table: &Table, flows: &[u32], active: &[u8]) -> Vec<u8> {
    assign_at(table, flows, active, 100)
}

fn counts(chosen: &[u8], active: &[u8]) -> Vec<usize> {
    active
        .iter()
        .map(|m| chosen.iter().filter(|c| *c == m).count())
        .collect()
}

#[test]
fn storage_of_the_wrong_size_or_not_zeroed_is_refused() {
    let entries = || (0..ENTRIES).map(|_| AtomicU64::new(0)).collect::<Vec<_>>();
    let slots = || (0..SLOTS).map(|_| AtomicU32::new(0)).collect::<Vec<_>>();
    assert!(FlowTable::new(entries(), slots()).is_some());
    assert!(FlowTable::new(Vec::<AtomicU64>::new(), slots()).is_none());
    let dirty = slots();
    dirty[5].store(1, std::sync::atomic::Ordering::Relaxed);
    assert!(FlowTable::new(entries(), dirty).is_none());
}

#[test]
fn no_active_member_no_choice() {
    assert_eq!(table().pick(42, 0, &[]), None);
}

/// Every flow keeps its member over three rounds, in a different order
/// each round, at every scale the issue names; no flow ever sees two
/// members while they stay active.
#[test]
fn every_flow_keeps_its_member_at_any_number_of_flows() {
    for n in [64, 2_000, 20_000, 100_000] {
        let t = table();
        let flows = hashes(n, 7 + n as u32);
        let active = [0, 1, 2];
        let first = assign(&t, &flows, &active);
        // Second round backwards, third interleaved.
        let mut rev: Vec<(usize, u32)> = flows.iter().copied().enumerate().collect();
        rev.reverse();
        for (i, h) in &rev {
            assert_eq!(
                t.pick(*h, 101, &active),
                Some(first[*i]),
                "{n} flows, round 2"
            );
        }
        for (i, h) in flows.iter().enumerate().filter(|(i, _)| i % 2 == 1) {
            assert_eq!(
                t.pick(*h, 102, &active),
                Some(first[i]),
                "{n} flows, round 3"
            );
        }
        for (i, h) in flows.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
            assert_eq!(
                t.pick(*h, 102, &active),
                Some(first[i]),
                "{n} flows, round 3"
            );
        }
    }
}

#[test]
fn few_flows_are_spread_in_exact_round_robin() {
    for members in 2..=4u8 {
        let t = table();
        let active: Vec<u8> = (0..members).collect();
        let c = counts(
            &assign(&t, &hashes(64, 99 + u32::from(members)), &active),
            &active,
        );
        let (lo, hi) = (c.iter().min().unwrap(), c.iter().max().unwrap());
        assert!(hi - lo <= 1, "{members} members: {c:?}");
    }
}

#[test]
fn many_flows_are_spread_within_five_percent() {
    for n in [1_000, 2_000, 20_000, 100_000] {
        for members in [2u8, 3, 4] {
            let t = table();
            let active: Vec<u8> = (0..members).collect();
            let c = counts(&assign(&t, &hashes(n, 1234 + n as u32), &active), &active);
            let even = n as f64 / f64::from(members);
            for (m, k) in c.iter().enumerate() {
                let off = (*k as f64 - even).abs() / even;
                assert!(off <= 0.05, "{n} flows, member {m} of {members}: {c:?}");
            }
        }
    }
}

#[test]
fn when_a_member_leaves_only_its_flows_move_even_under_20000_flows() {
    for n in [200, 20_000] {
        let t = table();
        let flows = hashes(n, 3);
        let before = assign(&t, &flows, &[0, 1, 2]);
        let after = assign(&t, &flows, &[0, 2]);
        for (b, a) in before.iter().zip(&after) {
            if *b == 1 {
                assert_ne!(*a, 1);
            } else {
                assert_eq!(a, b, "{n} flows: a flow of a remaining member moved");
            }
        }
        // They spread over both remaining members, evenly.
        let moved: Vec<u8> = before
            .iter()
            .zip(&after)
            .filter(|(b, _)| **b == 1)
            .map(|(_, a)| *a)
            .collect();
        let c = counts(&moved, &[0, 2]);
        assert!(c[0] > 0 && c[1] > 0, "{n} flows: {c:?}");
        if n >= 20_000 {
            let even = moved.len() as f64 / 2.0;
            assert!((c[0] as f64 - even).abs() / even <= 0.05, "{c:?}");
        }
        // And stay there.
        assert_eq!(assign(&t, &flows, &[0, 2]), after);
    }
}

#[test]
fn a_joining_member_takes_no_flow_and_gets_new_ones() {
    for n in [100, 20_000] {
        let t = table();
        let old = hashes(n, 11);
        let before = assign(&t, &old, &[0, 2]);
        assert_eq!(
            assign(&t, &old, &[0, 1, 2]),
            before,
            "{n}: an old flow moved"
        );
        let new = hashes(90, 12345 + n as u32);
        let fresh = assign(&t, &new, &[0, 1, 2]);
        let ones = fresh.iter().filter(|&&m| m == 1).count();
        if n < ENTRIES / 2 {
            // Free ways: exact round robin over the three.
            assert_eq!(ones, 30, "{n}");
        } else {
            // Most new flows share slots with old ones; the fresh slots go
            // round robin, so the newcomer still gets some.
            assert!(ones > 0, "{n}");
        }
    }
}

#[test]
fn a_forgotten_member_id_starts_without_flows() {
    for n in [50, 20_000] {
        let t = table();
        let flows = hashes(n, 5);
        let before = assign(&t, &flows, &[0, 1]);
        t.forget_member(1);
        // A new member that reuses id 1 joins later; the old flows of id 1
        // are re-spread instead of silently following the id, and those of
        // member 0 stay.
        let after = assign(&t, &flows, &[0, 1]);
        for (b, a) in before.iter().zip(&after) {
            if *b == 0 {
                assert_eq!(*a, 0, "{n}");
            }
        }
        let c = counts(&after, &[0, 1]);
        assert!(c[1] > 0, "{n}: {c:?}");
    }
}

#[test]
fn a_full_bucket_keeps_every_live_flow_and_places_the_next_in_a_slot() {
    let t = table();
    let active = [0, 1, 2];
    // WAYS + 3 flows in one bucket.
    let flows: Vec<u32> = (0..WAYS as u32 + 3)
        .map(|i| 7 + (i << 10) * BUCKETS as u32)
        .collect();
    let first: Vec<_> = flows.iter().map(|&h| t.pick(h, 10, &active)).collect();
    for s in 11..20 {
        let again: Vec<_> = flows.iter().map(|&h| t.pick(h, s, &active)).collect();
        assert_eq!(again, first);
    }
}

#[test]
fn only_a_flow_idle_for_idle_secs_may_be_placed_again() {
    let t = table();
    let flows = hashes(30_000, 77);
    let active = [0, 1, 2];
    let first = assign_at(&t, &flows, &active, 1000);
    // Just under the idle time: nothing moves.
    assert_eq!(assign_at(&t, &flows, &active, 1000 + IDLE_SECS - 1), first);
    // Kept alive by traffic, nothing moves however long it runs.
    let mut now = 1000 + IDLE_SECS - 1;
    for _ in 0..5 {
        now += IDLE_SECS - 1;
        assert_eq!(assign_at(&t, &flows, &active, now), first);
    }
    // After a silence of IDLE_SECS the flows are placed afresh, still
    // evenly.
    let later = assign_at(&t, &flows, &active, now + IDLE_SECS);
    let c = counts(&later, &active);
    let even = flows.len() as f64 / 3.0;
    assert!(
        c.iter().all(|k| (*k as f64 - even).abs() / even <= 0.05),
        "{c:?}"
    );
}

#[test]
fn seconds_wrap_without_losing_flows() {
    let t = table();
    let flows = hashes(5_000, 9);
    let first = assign_at(&t, &flows, &[0, 1], 0xff_fff0);
    assert_eq!(assign_at(&t, &flows, &[0, 1], 0x0100_0005), first);
}
