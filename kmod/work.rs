// SPDX-License-Identifier: GPL-2.0
//! A group's deferred work: syncing its data addresses into the member
//! table after address events, and announcing bindings.
//!
//! Both are delayed works on the system workqueue ([`DelayedWork`]),
//! embedded in the group's private area and disabled (synchronously) in
//! `ndo_uninit`, so the device outlives them. They need RTNL but must not
//! block on it: the disabler holds RTNL while waiting for them, so they
//! `rtnl_trylock()` and retry a millisecond later, as bonding's works do.

use crate::binding::{Addr, MAX_ADDRS};
use crate::delayed_work::{DelayedWork, Job};
use crate::group::{self, Group, IpmpDev};
use crate::ipmpdev::GroupDevSlot;
use crate::rtnl::{self, Rtnl};
use core::sync::atomic::{AtomicU32, Ordering};

/// The deferred work of one group.
pub(crate) struct GroupWork {
    /// The group device; set in `init` (before any scheduling), cleared
    /// when the works are disabled.
    dev: GroupDevSlot,
    sync: DelayedWork,
    announce: DelayedWork,
    /// Announcement rounds still to send.
    announce_left: AtomicU32,
}

impl GroupWork {
    /// Where the address sync work is, for `delayed_work`'s callbacks.
    pub(crate) const SYNC_OFFSET: usize = core::mem::offset_of!(GroupWork, sync);
    /// Where the announcement work is.
    pub(crate) const ANNOUNCE_OFFSET: usize = core::mem::offset_of!(GroupWork, announce);

    /// Not yet usable: `init` must run first.
    pub(crate) const fn new() -> Self {
        Self {
            dev: GroupDevSlot::empty(),
            sync: DelayedWork::new(),
            announce: DelayedWork::new(),
            announce_left: AtomicU32::new(0),
        }
    }

    /// Prepares the works of `ipmp`, whose group this is (`ndo_init`).
    pub(crate) fn init(ipmp: &IpmpDev) {
        let w = &ipmp.group().work;
        // SAFETY: `w` is in `ipmp`'s private area; its `ndo_uninit` calls
        // `disable`, which clears the slot and then waits for the works,
        // the slot's only users; nothing schedules them before `ndo_init`
        // returns.
        unsafe {
            w.dev.set(ipmp);
            w.sync.init(Job::SyncAddresses);
            w.announce.init(Job::Announce);
        }
    }

    /// Disables both works and waits for them (`ndo_uninit`).
    pub(crate) fn disable(&self) {
        // From here on the works do nothing when they run. (No address
        // event can come after the group's NETDEV_UNREGISTER, which
        // precedes `ndo_uninit`; a notifier racing it finds the works
        // disabled.)
        if !self.dev.clear() {
            return; // never initialised
        }
        self.announce_left.store(0, Ordering::Relaxed);
        self.sync.disable();
        self.announce.disable();
    }

    /// Schedules an address sync.
    pub(crate) fn schedule_sync(&self) {
        self.sync.schedule_ms(0);
    }

    /// Starts `count` announcement rounds (restarting any in progress).
    pub(crate) fn start_announcing(&self, count: u32) {
        if count == 0 {
            return;
        }
        self.announce_left.store(count, Ordering::Relaxed);
        self.announce.schedule_ms(0);
    }
}

/// Runs `f` under RTNL, or reschedules `work` if RTNL is busy.
fn with_rtnl_or_retry(work: &DelayedWork, f: impl FnOnce(&mut Rtnl<'_>)) {
    if rtnl::try_with_lock(f).is_none() {
        work.schedule_ms(1);
    }
}

/// The address sync: rereads the group's addresses under RTNL and binds
/// them.
pub(crate) fn sync_addresses(group: &Group) {
    let w = &group.work;
    with_rtnl_or_retry(&w.sync, |rtnl| {
        let Some(ipmp) = w.dev.get() else {
            return; // being disabled
        };
        let mut addrs = [Addr::default(); MAX_ADDRS];
        let n = ipmp.netdev().ip_addresses(&mut addrs, rtnl);
        group::set_addresses(ipmp, addrs.get(..n).unwrap_or(&[]), rtnl);
    });
}

/// One announcement round.
pub(crate) fn announce(group: &Group) {
    let w = &group.work;
    if w.announce_left.load(Ordering::Relaxed) == 0 {
        return;
    }
    with_rtnl_or_retry(&w.announce, |rtnl| {
        let Some(ipmp) = w.dev.get() else {
            return; // being disabled
        };
        if ipmp.netdev().is_running() {
            // Gratuitous ARP for every IPv4 address and unsolicited
            // neighbour advertisements for every IPv6 address of the group;
            // the transmit path sends each through its bound member, with
            // that member's MAC.
            ipmp.netdev().notify_peers(rtnl);
        }
        let left = w.announce_left.load(Ordering::Relaxed).saturating_sub(1);
        w.announce_left.store(left, Ordering::Relaxed);
        if left > 0 {
            w.announce.schedule_ms(group.announce_interval_ms());
        }
    });
}
