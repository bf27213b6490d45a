// SPDX-License-Identifier: GPL-2.0
//! Evidence of holding the RTNL lock, and data that only RTNL guards.
//!
//! All control-path state of the module (membership, the spare member
//! table) changes under RTNL. Functions that need it take a `&Rtnl<'_>` (to
//! read) or `&mut Rtnl<'_>` (to mutate an [`RtnlCell`]), so the contract is in
//! the signature rather than in a comment, and `Rtnl::assume_held` checks it
//! at run time with `ASSERT_RTNL()`.

use crate::bindings::raw;
use core::{cell::UnsafeCell, marker::PhantomData};

/// Proof that the current context holds RTNL, for the critical section
/// `'s`.
///
/// Two kinds of references come with it. Net devices looked up under RTNL
/// stay registered (and allocated) until RTNL is released, so they may be
/// held for the whole section `'s` (`&'s NetDev`), independently of the
/// token. Data that RTNL holders replace and free (member tables, group
/// settings) is borrowed from the token itself, so that a `&mut Rtnl` (to
/// replace it) cannot coexist with a reference into it.
///
/// # Invariants
/// RTNL is held for as long as the value lives (at least `'s`), and at
/// most one `Rtnl` exists per RTNL critical section.
pub(crate) struct Rtnl<'s> {
    /// Not `Send`: RTNL is held by this thread.
    _not_send: PhantomData<*mut ()>,
    _section: PhantomData<&'s ()>,
}

impl Rtnl<'_> {
    /// Returns the evidence for a callback the kernel documents as running
    /// under RTNL (ndo_init/uninit, ndo_add/del_slave, netdevice notifiers,
    /// rtnl_link_ops callbacks).
    ///
    /// # Safety
    /// The caller holds RTNL for the lifetime of the returned value and
    /// creates no other `Rtnl` while it lives.
    pub(crate) unsafe fn assume_held() -> Self {
        // SAFETY: `ASSERT_RTNL()` only reads the lock state; it warns (and
        // lockdep reports) if the caller broke the contract above.
        unsafe { raw::ipmp_assert_rtnl() };
        // INVARIANT: the caller guarantees RTNL is held and the token unique.
        Self {
            _not_send: PhantomData,
            _section: PhantomData,
        }
    }
}

/// A value only read or written under RTNL.
pub(crate) struct RtnlCell<T>(UnsafeCell<T>);

// SAFETY: every access goes through an `Rtnl` token, and RTNL serialises all
// such accesses across threads, so sharing the cell is like sharing a mutex.
unsafe impl<T: Send> Sync for RtnlCell<T> {}

impl<T> RtnlCell<T> {
    /// Wraps `value`.
    pub(crate) const fn new(value: T) -> Self {
        Self(UnsafeCell::new(value))
    }

    /// Shared access.
    pub(crate) fn get<'a>(&'a self, _rtnl: &'a Rtnl<'_>) -> &'a T {
        // SAFETY: RTNL is held (the token's invariant) so no other thread
        // writes the cell, and writers on this thread need the token
        // mutably, which the shared borrow here excludes.
        unsafe { &*self.0.get() }
    }

    /// Mutable access; the exclusive borrow of the unique token rules out
    /// any other access for as long as the reference lives.
    pub(crate) fn get_mut<'a>(&'a self, _rtnl: &'a mut Rtnl<'_>) -> &'a mut T {
        // SAFETY: RTNL is held (the token's invariant) so no other thread
        // accesses the cell, and this thread's token is borrowed mutably, so
        // no other reference obtained through it is alive.
        unsafe { &mut *self.0.get() }
    }
}

/// Takes RTNL (`rtnl_lock()`), runs `f` with the evidence, releases it.
/// For generic netlink handlers, which the core does not call under RTNL.
/// Sleeps: process context only, without RTNL held.
pub(crate) fn with_lock<R>(f: impl for<'s> FnOnce(&mut Rtnl<'s>) -> R) -> R {
    // SAFETY: callers are process-context handlers not holding RTNL.
    unsafe { raw::rtnl_lock() };
    // SAFETY: RTNL is held until the unlock below, which comes after the
    // token's last use (`f` cannot keep it: it only borrows it); this is the
    // only token of the section.
    let result = f(&mut unsafe { Rtnl::assume_held() });
    // SAFETY: paired with the `rtnl_lock()` above.
    unsafe { raw::rtnl_unlock() };
    result
}
