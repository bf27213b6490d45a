// SPDX-License-Identifier: GPL-2.0
//! Per-connection spreading: the flow table.
//!
//! A transmitted packet's flow hash (equal for all packets of one
//! connection) is looked up in a small set-associative table that
//! remembers which member the flow was given. A new flow, or one whose
//! member is no longer active, is given the next active member in
//! round-robin order. Hence:
//! - all packets of a flow leave by one member while it stays active (no
//!   reordering within a connection);
//! - when the active set changes, only the flows of members that left it
//!   move; flows never move to a member that joins (it gets new flows);
//! - flows are spread evenly: consecutive new flows go to different
//!   members, whatever their hashes (a plain `hash % n` is only even on
//!   average, and uneven for a few dozen flows).
//!
//! The table is fixed-size (`BUCKETS` x `WAYS` entries); when a bucket is
//! full the least recently used entry is replaced, so under more than
//! about a thousand concurrent flows some flows get re-spread.
//!
//! Entries are single `AtomicU64` words, written without locks from any
//! CPU. Two CPUs may race to place the same new flow; the loser's first
//! packet may then leave by another member once, which is harmless.
//!
//! Pure logic on core types: compiled into ipmp.ko and unit-tested in
//! userspace by `crates/libipmp`.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

/// Number of buckets (a power of two).
pub const BUCKETS: usize = 256;
/// Entries per bucket.
pub const WAYS: usize = 4;

/// Entry layout: flow hash (bits 0-31), member id + 1 (bits 32-39; 0 means
/// empty), last use in seconds modulo 2^24 (bits 40-63).
fn pack(hash: u32, member: u8, now: u32) -> u64 {
    u64::from(hash) | (u64::from(member) + 1) << 32 | (u64::from(now) & 0xff_ffff) << 40
}

fn entry_hash(e: u64) -> u32 {
    e as u32
}

fn entry_member(e: u64) -> Option<u8> {
    let m = ((e >> 32) & 0xff) as u8;
    m.checked_sub(1)
}

fn entry_age(e: u64, now: u32) -> u32 {
    (now.wrapping_sub((e >> 40) as u32)) & 0xff_ffff
}

/// The flow table of one group.
pub struct FlowTable {
    entries: [[AtomicU64; WAYS]; BUCKETS],
    next: AtomicU32,
}

impl FlowTable {
    /// An empty table.
    pub const fn new() -> Self {
        Self {
            entries: [const { [const { AtomicU64::new(0) }; WAYS] }; BUCKETS],
            next: AtomicU32::new(0),
        }
    }

    /// The member (an index into `active`'s values) for a packet of flow
    /// `hash` at time `now` (seconds), given the active members' ids in
    /// `active`; `None` if there is no active member.
    pub fn pick(&self, hash: u32, now: u32, active: &[u8]) -> Option<u8> {
        if active.is_empty() {
            return None;
        }
        let bucket = &self.entries[hash as usize % BUCKETS];
        let mut slot = None;
        for (i, entry) in bucket.iter().enumerate() {
            let e = entry.load(Relaxed);
            if entry_hash(e) == hash {
                if let Some(member) = entry_member(e) {
                    if active.contains(&member) {
                        // Refresh the age at most once a second.
                        if entry_age(e, now) != 0 {
                            entry.store(pack(hash, member, now), Relaxed);
                        }
                        return Some(member);
                    }
                    // Its member left the active set: re-place it here.
                    slot = Some(i);
                    break;
                }
            }
        }
        let slot = slot.unwrap_or_else(|| Self::victim(bucket, now));
        let turn = self.next.fetch_add(1, Relaxed) as usize;
        let member = active[turn % active.len()];
        bucket[slot].store(pack(hash, member, now), Relaxed);
        Some(member)
    }

    /// The way to overwrite in a full bucket: an empty one, else the
    /// least recently used.
    fn victim(bucket: &[AtomicU64; WAYS], now: u32) -> usize {
        let mut best = 0;
        let mut best_age = 0;
        for (i, entry) in bucket.iter().enumerate() {
            let e = entry.load(Relaxed);
            if entry_member(e).is_none() {
                return i;
            }
            let age = entry_age(e, now);
            if age > best_age {
                best = i;
                best_age = age;
            }
        }
        best
    }

    /// Forgets every flow of member `id` (it left the group: its id may be
    /// reused by a new member, which must not inherit its flows).
    pub fn forget_member(&self, id: u8) {
        for entry in self.entries.iter().flatten() {
            let e = entry.load(Relaxed);
            if entry_member(e) == Some(id) {
                let _ = entry.compare_exchange(e, 0, Relaxed, Relaxed);
            }
        }
    }
}

impl Default for FlowTable {
    fn default() -> Self {
        Self::new()
    }
}
