// SPDX-License-Identifier: GPL-2.0
//! The `ipmp` net device as a type: a `NetDev` whose private area holds a
//! [`Group`], and a pointer to one that member entries keep.

use crate::bindings::raw;
use crate::netdev::{DevRef, NetDev};

/// An `ipmp` net device.
///
/// # Invariants
/// The device's `rtnl_link_ops` are this module's, so its private area
/// holds a `Group` written by `link::setup` (see `group_priv`).
#[repr(transparent)]
pub(crate) struct IpmpDev(NetDev);

/// The link kind's name, `rtnl_link_ops::kind` of this module's ops: a
/// `static`, so its address tells this module's devices from any other's.
pub(crate) static KIND: [u8; 5] = *b"ipmp\0";

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
        if ops.is_null() {
            return None;
        }
        // SAFETY: a registered device's link ops stay registered (their
        // module loaded) while it exists. Only this module's ops carry a
        // pointer to this module's `KIND`.
        let ours = core::ptr::eq(unsafe { (*ops).kind }, KIND.as_ptr().cast());
        // SAFETY: it is ours (checked) and live for the borrow of `dev`.
        ours.then(|| unsafe { IpmpDev::from_raw(dev.as_raw()) })
    }

    /// The underlying net device.
    pub(crate) fn netdev(&self) -> &NetDev {
        &self.0
    }
}

/// A counted reference to an ipmp device, kept by the entries of its
/// members: valid for as long as the value lives (see [`DevRef`]).
///
/// # Invariants
/// The referenced device is an ipmp device.
pub(crate) struct IpmpDevRef(DevRef);

impl IpmpDevRef {
    /// A new reference to `dev`.
    pub(crate) fn new(dev: &IpmpDev) -> Self {
        // INVARIANT: `dev` is an ipmp device.
        Self(DevRef::new(dev.netdev()))
    }

    /// The device.
    pub(crate) fn get(&self) -> &IpmpDev {
        // SAFETY: live while we hold the reference; an ipmp device
        // (invariant; the kind of a device never changes).
        unsafe { IpmpDev::from_raw(self.0.get().as_raw()) }
    }
}
