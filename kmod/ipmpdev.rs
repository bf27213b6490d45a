// SPDX-License-Identifier: GPL-2.0
//! The `ipmp` net device as a type: a `NetDev` whose private area holds a
//! [`Group`], and a pointer to one that member entries keep.

use crate::bindings::raw;
use crate::group::Group;
use crate::link;
use crate::netdev::NetDev;
use core::{
    ptr::NonNull,
    sync::atomic::{AtomicPtr, Ordering},
};

/// An `ipmp` net device.
///
/// # Invariants
/// The device's `rtnl_link_ops` are this module's, so its private area
/// holds a `Group` written by `link::setup`.
#[repr(transparent)]
pub(crate) struct IpmpDev(NetDev);

impl IpmpDev {
    /// # Safety
    /// `ptr` is a live device created through this module's link ops.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut raw::net_device) -> &'a IpmpDev {
        // CAST: transparent wrapper of `NetDev`, itself of the C struct.
        // SAFETY: live (caller) and ours (caller), which is the invariant.
        unsafe { &*ptr.cast::<IpmpDev>() }
    }

    /// `dev` as an ipmp device, if it is one.
    pub(crate) fn from_netdev(dev: &NetDev) -> Option<&IpmpDev> {
        // SAFETY: live device; `rtnl_link_ops` is set before registration
        // and never changes afterwards.
        let ops = unsafe { (*dev.as_raw()).rtnl_link_ops };
        // SAFETY: it is ours (checked) and live for the borrow of `dev`.
        (core::ptr::eq(ops, link::link_ops())).then(|| unsafe { IpmpDev::from_raw(dev.as_raw()) })
    }

    /// The underlying net device.
    pub(crate) fn netdev(&self) -> &NetDev {
        &self.0
    }

    /// The group state.
    pub(crate) fn group(&self) -> &Group {
        // SAFETY: live ipmp device (invariant); `netdev_priv()` is its
        // private area, which holds an initialised `Group` and lives as
        // long as the device.
        unsafe { &*raw::ipmp_netdev_priv(self.0.as_raw()).cast::<Group>() }
    }
}

/// A pointer to an ipmp device, kept by the entries of its members.
///
/// # Invariants
/// Points to an ipmp device that stays allocated while the value is used:
/// whoever creates one releases it (drops every member entry that holds
/// it from the tables and the rx_handler) before the device is freed.
pub(crate) struct IpmpDevPtr(NonNull<raw::net_device>);

// SAFETY: a pointer to a net device, which any thread may use; its
// validity does not depend on the thread.
unsafe impl Send for IpmpDevPtr {}
// SAFETY: as above; the value is never written after creation.
unsafe impl Sync for IpmpDevPtr {}

impl IpmpDevPtr {
    /// # Safety
    /// `dev` stays allocated for as long as the value (or anything holding
    /// it) can be used; see the type's invariants.
    pub(crate) unsafe fn new(dev: &IpmpDev) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self(NonNull::from(dev.netdev()).cast())
    }

    /// The device.
    pub(crate) fn get(&self) -> &IpmpDev {
        // SAFETY: allocated while `self` is usable (invariant), and an ipmp
        // device (it was one at creation; the kind never changes).
        unsafe { IpmpDev::from_raw(self.0.as_ptr()) }
    }
}

/// The device of a group, for its deferred work: set when the group is
/// initialised, cleared when it is torn down.
///
/// # Invariants
/// While set, it points to a live ipmp device; it is cleared in
/// `ndo_uninit`, and a reference obtained from it is only used by the
/// group's works, which `ndo_uninit` waits for after clearing it.
pub(crate) struct GroupDevSlot(AtomicPtr<raw::net_device>);

impl GroupDevSlot {
    /// Empty.
    pub(crate) const fn empty() -> Self {
        Self(AtomicPtr::new(core::ptr::null_mut()))
    }

    /// Sets the group's device (`ndo_init`).
    ///
    /// # Safety
    /// `dev` is the device whose private area holds this slot; its
    /// `ndo_uninit` calls [`Self::clear`] and then waits for every user.
    pub(crate) unsafe fn set(&self, dev: &IpmpDev) {
        // INVARIANT: guaranteed by the caller.
        self.0.store(dev.netdev().as_raw(), Ordering::Release);
    }

    /// Clears it; whether it was set.
    pub(crate) fn clear(&self) -> bool {
        !self
            .0
            .swap(core::ptr::null_mut(), Ordering::AcqRel)
            .is_null()
    }

    /// The device, if set.
    pub(crate) fn get(&self) -> Option<&IpmpDev> {
        let dev = self.0.load(Ordering::Acquire);
        // SAFETY: a set slot points to a live ipmp device (invariant).
        (!dev.is_null()).then(|| unsafe { IpmpDev::from_raw(dev) })
    }
}
