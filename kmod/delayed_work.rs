// SPDX-License-Identifier: GPL-2.0
//! A delayed work item embedded in a group (`struct delayed_work` on the
//! system workqueue), and the C callbacks that find their group again.
//!
//! The work items live in the group device's private area ([`Group`]'s
//! `work`), so a callback gets from its `work_struct` to the group by
//! subtracting the field offsets (`container_of`). They are initialised in
//! `ndo_init` and disabled (cancelled, and never queued again) in
//! `ndo_uninit`, so no callback runs once the group is being freed.

use crate::bindings::raw;
use crate::group::Group;
use crate::work::{self, GroupWork};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::types::Opaque;

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
