// SPDX-License-Identifier: GPL-2.0
//! Evidence of holding the RTNL lock, and data that only RTNL guards.
//!
//! All control-path state of the module (membership, the spare member
//! table) changes under RTNL. Functions that need it take a `&Rtnl` (to
//! read) or `&mut Rtnl` (to mutate an [`RtnlCell`]), so the contract is in
//! the signature rather than in a comment, and `Rtnl::assume_held` checks it
//! at run time with `ASSERT_RTNL()`.

use crate::bindings::raw;
use core::{cell::UnsafeCell, marker::PhantomData};

/// Proof that the current context holds RTNL.
///
/// # Invariants
/// RTNL is held for as long as the value lives, and at most one `Rtnl`
/// exists per RTNL critical section.
pub(crate) struct Rtnl {
    /// Not `Send`: RTNL is held by this thread.
    _not_send: PhantomData<*mut ()>,
}

impl Rtnl {
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

    /// Mutable access; the exclusive borrow of the unique token rules out
    /// any other access for as long as the reference lives.
    pub(crate) fn get_mut<'a>(&'a self, _rtnl: &'a mut Rtnl) -> &'a mut T {
        // SAFETY: RTNL is held (the token's invariant) so no other thread
        // accesses the cell, and this thread's token is borrowed mutably, so
        // no other reference obtained through it is alive.
        unsafe { &mut *self.0.get() }
    }
}
