// SPDX-License-Identifier: GPL-2.0
//! The delayed work items embedded in a group (`struct delayed_work` on
//! the system workqueue), and the C callbacks that find their
//! [`GroupWork`] again. What the works do is given by a [`GroupJobs`]
//! implementation (`work`), chosen when they are initialised, so this
//! layer knows nothing of groups.
//!
//! The work items live in the group device's private area, so a callback
//! gets from its `work_struct` to the `GroupWork` by subtracting the field
//! offsets (`container_of`). They are initialised in `ndo_init` and
//! disabled (cancelled, and never queued again) in `ndo_uninit`, so no
//! callback runs once the group is being freed.

use crate::bindings::raw;
use crate::netdev::NetDev;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, Ordering};
use kernel::types::Opaque;

/// What a group's works do when they run.
pub(crate) trait GroupJobs {
    /// The address sync work ([`GroupWork::schedule_sync`]).
    fn sync_addresses(work: &GroupWork);
    /// The announcement work ([`GroupWork::start_announcing`]).
    fn announce(work: &GroupWork);
}

/// The deferred work of one group.
pub(crate) struct GroupWork {
    /// The group device; set in `init` (before any scheduling), cleared
    /// when the works are disabled.
    dev: GroupDevSlot,
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

    /// Prepares the works of the group device `dev`, to run `J`'s jobs
    /// (`ndo_init`).
    ///
    /// # Safety
    /// `self` is in `dev`'s private area; called from `dev`'s `ndo_init`,
    /// whose `ndo_uninit` calls [`Self::disable`].
    pub(crate) unsafe fn init<J: GroupJobs>(&self, dev: &NetDev) {
        // SAFETY: `self` is in `dev`'s private area; its `ndo_uninit` calls
        // `disable` (caller), which clears the slot and then waits for the
        // works, the slot's only users; nothing schedules them before
        // `ndo_init` returns.
        unsafe {
            self.dev.set(dev);
            self.sync.init(sync_addresses_fn::<J>);
            self.announce.init(announce_fn::<J>);
        }
    }

    /// The group device, unless the works are being disabled.
    pub(crate) fn dev(&self) -> Option<&NetDev> {
        self.dev.get()
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

/// A delayed work of a group.
///
/// # Invariants
/// Once `ready`, `work` is initialised with one of this file's callbacks,
/// the one for the `GroupWork` field the value is, in a `GroupWork` that
/// lives until `disable` has returned.
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

    /// Initialises the work to run `callback` (`ndo_init`).
    ///
    /// # Safety
    /// `self` is the field of a `GroupWork` that `callback` expects, in a
    /// registered (or registering) ipmp device whose `ndo_uninit` calls
    /// [`Self::disable`]; nothing can schedule it concurrently.
    unsafe fn init(&self, callback: unsafe extern "C" fn(*mut raw::work_struct)) {
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

/// The `GroupWork` whose `field` work (offset in `GroupWork`) `work` is.
///
/// # Safety
/// `work` is the `work_struct` of that delayed work of a live `GroupWork`.
unsafe fn group_work_of(work: *mut raw::work_struct, field: usize) -> &'static GroupWork {
    // CAST: a `delayed_work` starts with its `work_struct`, `Opaque<T>` has
    // `T`'s layout and is the first field of `DelayedWork`
    // (offset_of!(DelayedWork, work) is added to be exact).
    let offset = field + core::mem::offset_of!(DelayedWork, work);
    // SAFETY: by the caller's guarantee the `GroupWork` is `offset` bytes
    // before `work`, and it lives while its works run (disabled before it
    // is freed).
    unsafe { &*work.cast::<u8>().sub(offset).cast::<GroupWork>() }
}

/// Kernel callback of the address sync work.
///
/// # Safety
/// Only the workqueue calls this, for a `sync` work initialised by `init`.
unsafe extern "C" fn sync_addresses_fn<J: GroupJobs>(work: *mut raw::work_struct) {
    // SAFETY: the workqueue runs the `sync` work of a live `GroupWork`
    // (type invariant of `DelayedWork`).
    J::sync_addresses(unsafe { group_work_of(work, GroupWork::SYNC_OFFSET) });
}

/// Kernel callback of the announcement work.
///
/// # Safety
/// Only the workqueue calls this, for an `announce` work initialised by
/// `init`.
unsafe extern "C" fn announce_fn<J: GroupJobs>(work: *mut raw::work_struct) {
    // SAFETY: as above, for the `announce` work.
    J::announce(unsafe { group_work_of(work, GroupWork::ANNOUNCE_OFFSET) });
}

/// The device of a group, for its deferred work: set when the group is
/// initialised, cleared when it is torn down.
///
/// # Invariants
/// While set, it points to a live device; it is cleared in `ndo_uninit`,
/// and a reference obtained from it is only used by the group's works,
/// which `ndo_uninit` waits for after clearing it.
struct GroupDevSlot(AtomicPtr<raw::net_device>);

impl GroupDevSlot {
    /// Empty.
    const fn empty() -> Self {
        Self(AtomicPtr::new(core::ptr::null_mut()))
    }

    /// Sets the group's device (`ndo_init`).
    ///
    /// # Safety
    /// `dev` is the device whose private area holds this slot; its
    /// `ndo_uninit` calls [`Self::clear`] and then waits for every user.
    unsafe fn set(&self, dev: &NetDev) {
        // INVARIANT: guaranteed by the caller.
        self.0.store(dev.as_raw(), Ordering::Release);
    }

    /// Clears it; whether it was set.
    fn clear(&self) -> bool {
        !self
            .0
            .swap(core::ptr::null_mut(), Ordering::AcqRel)
            .is_null()
    }

    /// The device, if set.
    fn get(&self) -> Option<&NetDev> {
        let dev = self.0.load(Ordering::Acquire);
        // SAFETY: a set slot points to a live device (invariant).
        (!dev.is_null()).then(|| unsafe { NetDev::from_raw(dev) })
    }
}
