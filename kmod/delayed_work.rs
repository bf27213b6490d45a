// SPDX-License-Identifier: GPL-2.0
//! The delayed work items embedded in a group (`struct delayed_work` on
//! the system workqueue), and the C callbacks that find their group
//! again. What the works do is in `work`.
//!
//! The work items live in the group device's private area ([`Group`]'s
//! `work`), so a callback gets from its `work_struct` to the group by
//! subtracting the field offsets (`container_of`). They are initialised in
//! `ndo_init` and disabled (cancelled, and never queued again) in
//! `ndo_uninit`, so no callback runs once the group is being freed.

use crate::bindings::raw;
use crate::group::{Group, IpmpDev};
use crate::ipmpdev::GroupDevSlot;
use crate::work;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::types::Opaque;

/// The deferred work of one group.
pub(crate) struct GroupWork {
    /// The group device; set in `init` (before any scheduling), cleared
    /// when the works are disabled.
    pub(crate) dev: GroupDevSlot,
    pub(crate) sync: DelayedWork,
    pub(crate) announce: DelayedWork,
    /// Announcement rounds still to send.
    pub(crate) announce_left: AtomicU32,
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

    /// Prepares the works of `ipmp`'s group (`ndo_init`).
    ///
    /// # Safety
    /// Called from `ipmp`'s `ndo_init`, whose `ndo_uninit` calls
    /// [`Self::disable`].
    pub(crate) unsafe fn init(ipmp: &IpmpDev) {
        let w = &ipmp.group().work;
        // SAFETY: `w` is in `ipmp`'s private area; its `ndo_uninit` calls
        // `disable` (caller), which clears the slot and then waits for the
        // works, the slot's only users; nothing schedules them before
        // `ndo_init` returns.
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

/// Which of a group's works a [`DelayedWork`] is: the callback it runs.
#[derive(Clone, Copy)]
pub(crate) enum Job {
    /// Re-read the group's addresses (`work::sync`).
    SyncAddresses,
    /// One round of announcements (`work::announce`).
    Announce,
}

/// A delayed work of a group.
///
/// # Invariants
/// Once `ready`, `work` is initialised with the callback of its `Job`,
/// and the value is the `GroupWork` field of that job inside a `Group`
/// that lives until `disable` has returned.
pub(crate) struct DelayedWork {
    work: Opaque<raw::delayed_work>,
    ready: AtomicBool,
}

impl DelayedWork {
    /// Not usable until `init`.
    pub(crate) const fn new() -> Self {
        Self {
            work: Opaque::uninit(),
            ready: AtomicBool::new(false),
        }
    }

    /// Initialises the work to run `job` (`ndo_init`).
    ///
    /// # Safety
    /// `self` is the `job` field of the `GroupWork` of a `Group` in a
    /// registered (or registering) ipmp device, whose `ndo_uninit` calls
    /// [`Self::disable`]; nothing can schedule it concurrently.
    pub(crate) unsafe fn init(&self, job: Job) {
        let callback = match job {
            Job::SyncAddresses => sync_addresses_fn,
            Job::Announce => announce_fn,
        };
        // SAFETY: not scheduled yet (caller), so initialising is exclusive.
        unsafe { raw::ipmp_init_delayed_work(self.work.get(), Some(callback)) };
        // INVARIANT: initialised with the job's callback; the caller
        // guarantees where `self` lives and that `disable` comes.
        self.ready.store(true, Ordering::Release);
    }

    /// Queues the work to run in `ms` milliseconds (or moves it there if
    /// queued already); nothing before `init` or once disabled.
    pub(crate) fn schedule_ms(&self, ms: u32) {
        if self.ready.load(Ordering::Acquire) {
            // SAFETY: initialised (invariant); queueing a disabled work is
            // a no-op; safe in any context.
            unsafe { raw::ipmp_schedule_work_ms(self.work.get(), ms) };
        }
    }

    /// Cancels the work, waits for a running callback to finish, and makes
    /// any later queueing a no-op (`disable_delayed_work_sync()`): after
    /// this the group may be freed. Sleeps. Nothing before `init`.
    pub(crate) fn disable(&self) {
        if self.ready.load(Ordering::Acquire) {
            // SAFETY: initialised (invariant). The callbacks retry rather
            // than wait for RTNL, so waiting for them under RTNL cannot
            // deadlock.
            unsafe { raw::disable_delayed_work_sync(self.work.get()) };
        }
    }
}

/// The group whose `field` work (offset in `GroupWork`) `work` is.
///
/// # Safety
/// `work` is the `work_struct` of that delayed work of a live `Group`.
unsafe fn group_of(work: *mut raw::work_struct, field: usize) -> &'static Group {
    // CAST: a `delayed_work` starts with its `work_struct`, `Opaque<T>` has
    // `T`'s layout and is the first field of `DelayedWork`
    // (offset_of!(DelayedWork, work) is added to be exact).
    let offset =
        core::mem::offset_of!(Group, work) + field + core::mem::offset_of!(DelayedWork, work);
    // SAFETY: by the caller's guarantee the group is `offset` bytes before
    // `work`, and it lives while its works run (disabled before it is
    // freed).
    unsafe { &*work.cast::<u8>().sub(offset).cast::<Group>() }
}

/// Kernel callback of `Job::SyncAddresses`.
///
/// # Safety
/// Only the workqueue calls this, for a work initialised by `init`.
unsafe extern "C" fn sync_addresses_fn(work: *mut raw::work_struct) {
    // SAFETY: the workqueue runs the `sync` work of a live group (type
    // invariant of `DelayedWork`).
    work::sync_addresses(unsafe { group_of(work, GroupWork::SYNC_OFFSET) });
}

/// Kernel callback of `Job::Announce`.
///
/// # Safety
/// Only the workqueue calls this, for a work initialised by `init`.
unsafe extern "C" fn announce_fn(work: *mut raw::work_struct) {
    // SAFETY: as above, for the `announce` work.
    work::announce(unsafe { group_of(work, GroupWork::ANNOUNCE_OFFSET) });
}
