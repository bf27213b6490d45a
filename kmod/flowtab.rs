// SPDX-License-Identifier: GPL-2.0
//! Per-connection spreading: the flow table.
//!
//! A transmitted packet's flow hash (equal for all packets of one
//! connection) says which member the flow was given. A new flow is given
//! the next active member in round-robin order; a flow whose member left
//! the active set is given another the same way. Hence, at any number of
//! concurrent flows:
//! - all packets of a flow leave by one member while it stays active (no
//!   reordering within a connection);
//! - when the active set changes, only the flows of members that left it
//!   move; flows never move to a member that joins (it gets new flows);
//! - flows are spread evenly: consecutive new flows go to different
//!   members, whatever their hashes (a plain `hash % n` is only even on
//!   average, and uneven for a few dozen flows).
//!
//! Two levels keep that true from one flow to hundreds of thousands:
//! - *entries*: a set-associative table (`BUCKETS` x `WAYS`) remembering
//!   each flow by its hash, so that up to a few thousand flows get exact
//!   round robin;
//! - *slots*: when a flow's bucket has no free way, the flow is remembered
//!   by a slot (`SLOTS`, chosen by other bits of the hash), shared with the
//!   other flows that land there. A slot is given a member in round-robin
//!   order when it is first used, so slots, and with them flows, are
//!   spread evenly.
//!
//! Nothing in use is ever evicted: an entry or slot is reused only after
//! `IDLE_SECS` without a packet. A flow idle that long may come back on
//! another member; nothing of it is in flight by then, so nothing is
//! reordered. A flow is looked up in its entry first, then its slot, and
//! a slot in use keeps its flows even when ways free up later, so a flow
//! never switches level while it is active.
//!
//! Words are written without locks from any CPU by compare-and-swap: two
//! CPUs placing flows at once agree on the winner's member. A packet
//! writes nothing unless it places a flow or refreshes a last-use second
//! (at most once a second per entry or slot), and the round-robin counter
//! is written once per new flow, not per packet.
//!
//! Memory per group: `BUCKETS * WAYS * 8 + SLOTS * 4` bytes
//! ([`MEMORY_BYTES`], 288 KiB), allocated with the group.
//!
//! Pure logic on core types: compiled into ipmp.ko and unit-tested in
//! userspace by `crates/libipmp`.

use core::ops::Deref;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

/// Number of buckets of entries (a power of two).
pub const BUCKETS: usize = 1024;
/// Entries per bucket.
pub const WAYS: usize = 4;
/// Number of entries.
pub const ENTRIES: usize = BUCKETS * WAYS;
/// Number of slots (a power of two).
pub const SLOTS: usize = 65536;
/// Seconds without a packet after which an entry or slot may be reused.
pub const IDLE_SECS: u32 = 60;
/// Bytes of entries and slots per group.
pub const MEMORY_BYTES: usize = ENTRIES * 8 + SLOTS * 4;

/// Seconds are kept modulo 2^24 (194 days): ages are computed modulo that.
const SECS_MASK: u32 = 0xff_ffff;

fn age(then: u32, now: u32) -> u32 {
    now.wrapping_sub(then) & SECS_MASK
}

/// Entry layout: flow hash (bits 0-31), member id + 1 (bits 32-39; 0 means
/// empty), last use in seconds modulo 2^24 (bits 40-63).
fn pack_entry(hash: u32, member: u8, now: u32) -> u64 {
    u64::from(hash) | (u64::from(member) + 1) << 32 | u64::from(now & SECS_MASK) << 40
}

fn entry_hash(e: u64) -> u32 {
    e as u32
}

fn entry_member(e: u64) -> Option<u8> {
    (((e >> 32) & 0xff) as u8).checked_sub(1)
}

fn entry_secs(e: u64) -> u32 {
    (e >> 40) as u32
}

/// Slot layout: member id + 1 (bits 0-7; 0 means empty), last use in
/// seconds modulo 2^24 (bits 8-31).
fn pack_slot(member: u8, now: u32) -> u32 {
    (u32::from(member) + 1) | (now & SECS_MASK) << 8
}

fn slot_member(s: u32) -> Option<u8> {
    (s as u8).checked_sub(1)
}

fn slot_secs(s: u32) -> u32 {
    s >> 8
}

/// Where a flow is remembered.
enum Place<'a> {
    Entry(&'a AtomicU64),
    Slot(&'a AtomicU32),
}

/// The flow table of one group, over storage the caller allocates
/// (`ENTRIES` entries and `SLOTS` slots, zeroed).
pub struct FlowTable<E, S> {
    entries: E,
    slots: S,
    next: AtomicU32,
}

impl<E, S> FlowTable<E, S>
where
    E: Deref<Target = [AtomicU64]>,
    S: Deref<Target = [AtomicU32]>,
{
    /// A table over `entries` and `slots`, which must be zeroed and hold
    /// `ENTRIES` and `SLOTS` words; `None` otherwise.
    pub fn new(entries: E, slots: S) -> Option<Self> {
        let zeroed = entries.iter().all(|e| e.load(Relaxed) == 0)
            && slots.iter().all(|s| s.load(Relaxed) == 0);
        (entries.len() == ENTRIES && slots.len() == SLOTS && zeroed).then(|| Self {
            entries,
            slots,
            next: AtomicU32::new(0),
        })
    }

    /// The member (one of `active`'s values) for a packet of flow `hash`
    /// at time `now` (seconds), given the active members' ids in `active`;
    /// `None` if there is no active member.
    pub fn pick(&self, hash: u32, now: u32, active: &[u8]) -> Option<u8> {
        if active.is_empty() {
            return None;
        }
        let first = (hash as usize % BUCKETS) * WAYS;
        let bucket = self.entries.get(first..first + WAYS)?;
        let mut free = None;
        for entry in bucket {
            let e = entry.load(Relaxed);
            match entry_member(e) {
                Some(member) if entry_hash(e) == hash => {
                    if !active.contains(&member) {
                        // Its member left the active set: it moves.
                        return self.place(Place::Entry(entry), hash, now, active);
                    }
                    if age(entry_secs(e), now) != 0 {
                        let _ = entry.compare_exchange(
                            e,
                            pack_entry(hash, member, now),
                            Relaxed,
                            Relaxed,
                        );
                    }
                    return Some(member);
                }
                Some(_) if age(entry_secs(e), now) < IDLE_SECS => {}
                _ => {
                    if free.is_none() {
                        free = Some(entry);
                    }
                }
            }
        }
        let slot = self.slot_of(hash)?;
        let s = slot.load(Relaxed);
        if let Some(member) = slot_member(s) {
            if age(slot_secs(s), now) < IDLE_SECS {
                if !active.contains(&member) {
                    return self.place(Place::Slot(slot), hash, now, active);
                }
                if age(slot_secs(s), now) != 0 {
                    let _ = slot.compare_exchange(s, pack_slot(member, now), Relaxed, Relaxed);
                }
                return Some(member);
            }
        }
        // A new flow (or one idle for `IDLE_SECS`).
        let place = match free {
            Some(entry) => Place::Entry(entry),
            None => Place::Slot(slot),
        };
        self.place(place, hash, now, active)
    }

    /// The slot of flow `hash`: chosen by other bits of the hash than its
    /// bucket, so that the flows of a full bucket spread over many slots.
    fn slot_of(&self, hash: u32) -> Option<&AtomicU32> {
        self.slots.get((hash >> 10) as usize % SLOTS)
    }

    /// Gives flow `hash` the next active member at `place`, or, if another
    /// CPU placed something there first, whatever the winner says (for a
    /// lost entry, the flow's slot decides).
    fn place(&self, place: Place<'_>, hash: u32, now: u32, active: &[u8]) -> Option<u8> {
        let turn = self.next.fetch_add(1, Relaxed) as usize;
        let member = *active.get(turn % active.len().max(1))?;
        Some(match place {
            Place::Entry(entry) => {
                let old = entry.load(Relaxed);
                match entry.compare_exchange(old, pack_entry(hash, member, now), Relaxed, Relaxed) {
                    Ok(_) => member,
                    Err(now_there) => match entry_member(now_there) {
                        Some(m) if entry_hash(now_there) == hash && active.contains(&m) => m,
                        _ => match self.slot_of(hash) {
                            Some(slot) => self.claim_slot(slot, member, now, active),
                            None => member,
                        },
                    },
                }
            }
            Place::Slot(slot) => self.claim_slot(slot, member, now, active),
        })
    }

    /// Sets `slot` to `member` unless another CPU just set it to an active
    /// member, whose choice then stands.
    fn claim_slot(&self, slot: &AtomicU32, member: u8, now: u32, active: &[u8]) -> u8 {
        let old = slot.load(Relaxed);
        if let Some(m) = slot_member(old) {
            if age(slot_secs(old), now) < IDLE_SECS && active.contains(&m) {
                return m;
            }
        }
        match slot.compare_exchange(old, pack_slot(member, now), Relaxed, Relaxed) {
            Ok(_) => member,
            Err(s) => slot_member(s)
                .filter(|m| active.contains(m))
                .unwrap_or(member),
        }
    }

    /// Forgets every flow of member `id` (it left the group: its id may be
    /// reused by a new member, which must not inherit its flows).
    pub fn forget_member(&self, id: u8) {
        for entry in self.entries.iter() {
            let e = entry.load(Relaxed);
            if entry_member(e) == Some(id) {
                let _ = entry.compare_exchange(e, 0, Relaxed, Relaxed);
            }
        }
        for slot in self.slots.iter() {
            let s = slot.load(Relaxed);
            if slot_member(s) == Some(id) {
                let _ = slot.compare_exchange(s, 0, Relaxed, Relaxed);
            }
        }
    }
}
