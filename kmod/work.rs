// SPDX-License-Identifier: GPL-2.0
//! A group's deferred work: syncing its data addresses into the member
//! table after address events, and announcing bindings.
//!
//! Both are delayed works on the system workqueue, embedded in the group's
//! private area and disabled (synchronously: cancelled, and never queued
//! again) in `ndo_uninit`, so the device outlives them. They need RTNL but must not block on it: the
//! canceller holds RTNL while waiting for them, so they `rtnl_trylock()`
//! and retry a millisecond later, as bonding's works do.

use crate::binding::{Addr, MAX_ADDRS};
use crate::bindings::raw;
use crate::group::{self, Group, IpmpDev};
use crate::rtnl::{self, Rtnl};
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use kernel::types::Opaque;

/// The deferred work of one group.
pub(crate) struct GroupWork {
    /// The group device; set in `init` (before any scheduling).
    dev: AtomicPtr<raw::net_device>,
    sync: Opaque<raw::delayed_work>,
    announce: Opaque<raw::delayed_work>,
    /// Announcement rounds still to send.
    announce_left: AtomicU32,
}

impl GroupWork {
    /// Not yet usable: `init` must run first.
    pub(crate) const fn new() -> Self {
        Self {
            dev: AtomicPtr::new(core::ptr::null_mut()),
            sync: Opaque::uninit(),
            announce: Opaque::uninit(),
            announce_left: AtomicU32::new(0),
        }
    }

    /// Prepares the works for `dev` (`ndo_init`).
    pub(crate) fn init(&self, dev: &IpmpDev) {
        self.dev.store(dev.netdev().as_raw(), Ordering::Relaxed);
        // SAFETY: the works are not scheduled yet (nothing can schedule them
        // before `ndo_init` returns), so initialising them is exclusive.
        unsafe {
            raw::ipmp_init_delayed_work(self.sync.get(), Some(sync_fn));
            raw::ipmp_init_delayed_work(self.announce.get(), Some(announce_fn));
        }
    }

    /// Disables both works and waits for them (`ndo_uninit`).
    pub(crate) fn disable(&self) {
        // From here on `schedule_*` do nothing. (No address event can come
        // after the group's NETDEV_UNREGISTER, which precedes `ndo_uninit`;
        // this is a second line of defence.)
        if self
            .dev
            .swap(core::ptr::null_mut(), Ordering::AcqRel)
            .is_null()
        {
            return; // never initialised
        }
        self.announce_left.store(0, Ordering::Relaxed);
        // Disabled, not only cancelled: an address notifier (which may run
        // without RTNL) that saw `dev` before the swap above may still
        // queue a work; on a disabled work that does nothing, so none can
        // run after the group is freed.
        // SAFETY: initialised works; the functions below retry rather than
        // wait for RTNL, so waiting for them under RTNL cannot deadlock.
        unsafe {
            raw::disable_delayed_work_sync(self.sync.get());
            raw::disable_delayed_work_sync(self.announce.get());
        }
    }

    /// Schedules an address sync.
    pub(crate) fn schedule_sync(&self) {
        if !self.dev.load(Ordering::Relaxed).is_null() {
            // SAFETY: initialised work; safe in any context.
            unsafe { raw::ipmp_schedule_work_ms(self.sync.get(), 0) };
        }
    }

    /// Starts `count` announcement rounds (restarting any in progress).
    pub(crate) fn start_announcing(&self, count: u32) {
        if count == 0 || self.dev.load(Ordering::Relaxed).is_null() {
            return;
        }
        self.announce_left.store(count, Ordering::Relaxed);
        // SAFETY: initialised work; safe in any context.
        unsafe { raw::ipmp_schedule_work_ms(self.announce.get(), 0) };
    }
}

/// The group of a work item.
///
/// # Safety
/// `work` is the `work` field of the `field` delayed work of a live
/// `Group`'s `GroupWork`.
unsafe fn group_of(work: *mut raw::work_struct, field: usize) -> &'static Group {
    // CAST: a `delayed_work` starts with its `work_struct`, and `Opaque<T>`
    // has `T`'s layout.
    let offset = core::mem::offset_of!(Group, work) + field;
    // SAFETY: by the caller's guarantee the group is `offset` bytes before
    // `work` and alive while the work runs (cancelled before it is freed).
    unsafe { &*work.cast::<u8>().sub(offset).cast::<Group>() }
}

/// Runs `f` under RTNL, or reschedules `dw` if RTNL is busy.
fn with_rtnl_or_retry(dw: &Opaque<raw::delayed_work>, f: impl FnOnce(&mut Rtnl<'_>)) {
    if rtnl::try_with_lock(f).is_none() {
        // SAFETY: initialised work (we are running it).
        unsafe { raw::ipmp_schedule_work_ms(dw.get(), 1) };
    }
}

/// Kernel callback: the address sync.
///
/// # Safety
/// Only the workqueue calls this, for the `sync` work of a live group.
unsafe extern "C" fn sync_fn(work: *mut raw::work_struct) {
    // SAFETY: the workqueue runs the `sync` work of a live group.
    let group = unsafe { group_of(work, core::mem::offset_of!(GroupWork, sync)) };
    with_rtnl_or_retry(&group.work.sync, |rtnl| {
        let dev = group.work.dev.load(Ordering::Acquire);
        if dev.is_null() {
            return; // being cancelled
        }
        // SAFETY: set in `init` to the group's own device, which outlives
        // its works.
        let ipmp = unsafe { IpmpDev::from_raw(dev) };
        let mut raw_addrs = [raw::ipmp_addr::default(); MAX_ADDRS];
        // SAFETY: RTNL held; the buffer holds `MAX_ADDRS` entries.
        let n = unsafe { raw::ipmp_dev_addrs(dev, raw_addrs.as_mut_ptr(), MAX_ADDRS as i32) };
        let mut addrs = [Addr::default(); MAX_ADDRS];
        let mut count = 0;
        for a in raw_addrs.iter().take(usize::try_from(n).unwrap_or(0)) {
            let addr = match u32::from(a.family) {
                raw::AF_INET => Addr::V4([a.addr[0], a.addr[1], a.addr[2], a.addr[3]]),
                _ => Addr::V6(a.addr),
            };
            if let Some(slot) = addrs.get_mut(count) {
                *slot = addr;
                count += 1;
            }
        }
        group::set_addresses(ipmp, addrs.get(..count).unwrap_or(&[]), rtnl);
    });
}

/// Kernel callback: one announcement round.
///
/// # Safety
/// Only the workqueue calls this, for the `announce` work of a live group.
unsafe extern "C" fn announce_fn(work: *mut raw::work_struct) {
    // SAFETY: the workqueue runs the `announce` work of a live group.
    let group = unsafe { group_of(work, core::mem::offset_of!(GroupWork, announce)) };
    let w = &group.work;
    if w.announce_left.load(Ordering::Relaxed) == 0 {
        return;
    }
    with_rtnl_or_retry(&w.announce, |_rtnl| {
        let dev = w.dev.load(Ordering::Acquire);
        if dev.is_null() {
            return; // being cancelled
        }
        // SAFETY: the group's own device (see `sync_fn`).
        let ipmp = unsafe { IpmpDev::from_raw(dev) };
        if ipmp.netdev().is_running() {
            // Gratuitous ARP for every IPv4 address and unsolicited
            // neighbour advertisements for every IPv6 address of the group;
            // the transmit path sends each through its bound member, with
            // that member's MAC.
            // SAFETY: RTNL held, live device.
            unsafe { raw::__netdev_notify_peers(dev) };
        }
        let left = w.announce_left.load(Ordering::Relaxed).saturating_sub(1);
        w.announce_left.store(left, Ordering::Relaxed);
        if left > 0 {
            // SAFETY: initialised work.
            unsafe { raw::ipmp_schedule_work_ms(w.announce.get(), group.announce_interval_ms()) };
        }
    });
}
