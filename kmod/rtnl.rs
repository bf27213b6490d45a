// SPDX-License-Identifier: GPL-2.0
//! Evidence of holding the RTNL lock, and data that only RTNL guards.
//!
//! All control-path state of the module (membership, the spare member
//! table) changes under RTNL. Functions that need it take a `&Rtnl<'_>` (to
//! read) or `&mut Rtnl<'_>` (to mutate an [`RtnlCell`]), so the contract is in
//! the signature rather than in a comment, and `Rtnl::enter` checks it at
//! run time with `ASSERT_RTNL()`.
//!
//! One token per RTNL section is what makes `&mut Rtnl` exclusive. The
//! module's own calls under RTNL (joining a member, changing the group's
//! MTU) make the kernel call back into the module synchronously (the
//! netdevice notifier, `ndo_change_mtu`), on the same task, in the same
//! section: `enter` knows the task that holds the section's token and
//! gives such a callback none, so a second token cannot exist.

use crate::bindings::raw;
use core::{
    cell::UnsafeCell,
    ffi::c_void,
    marker::PhantomData,
    ptr::null_mut,
    sync::atomic::{AtomicPtr, Ordering},
};
use kernel::prelude::*;

/// The task that holds the token of the current RTNL section, if any.
/// Only read and written under RTNL, which orders the accesses.
static HOLDER: AtomicPtr<c_void> = AtomicPtr::new(null_mut());

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
    /// The evidence for a callback the kernel runs under RTNL
    /// (ndo_init/uninit, ndo_add/del_slave, netdevice notifiers,
    /// rtnl_link_ops callbacks), or `None` if this task's section already
    /// has its token: the callback was triggered by the module's own call
    /// under RTNL, further up this stack.
    ///
    /// # Safety
    /// The caller holds RTNL for the lifetime of the returned value.
    pub(crate) unsafe fn enter() -> Option<Self> {
        // SAFETY: `ASSERT_RTNL()` only reads the lock state; it warns (and
        // lockdep reports) if the caller broke the contract above.
        unsafe { raw::ipmp_assert_rtnl() };
        // SAFETY: reads `current`, valid in any context.
        let me = unsafe { raw::ipmp_current_task() };
        // RTNL (held) serialises every access to HOLDER: a task that finds
        // itself there holds the section's token further up its stack.
        if HOLDER.load(Ordering::Relaxed) == me {
            return None;
        }
        HOLDER.store(me, Ordering::Relaxed);
        // INVARIANT: RTNL is held (caller) and no other token of this
        // section exists: another one would have set HOLDER to this task
        // (sections of other tasks cannot overlap: RTNL is a mutex), and
        // dropping it clears HOLDER.
        Some(Self {
            _not_send: PhantomData,
            _section: PhantomData,
        })
    }
}

impl Drop for Rtnl<'_> {
    fn drop(&mut self) {
        // Still under RTNL (the token's invariant).
        HOLDER.store(null_mut(), Ordering::Relaxed);
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
pub(crate) fn with_lock<R>(f: impl for<'s> FnOnce(&mut Rtnl<'s>) -> R) -> Result<R, Error> {
    // SAFETY: callers are process-context handlers not holding RTNL.
    unsafe { raw::rtnl_lock() };
    // SAFETY: RTNL is held until the unlock below, which comes after the
    // token is dropped (`f` cannot keep it: it only borrows it).
    let result = match unsafe { Rtnl::enter() } {
        Some(mut rtnl) => Ok(f(&mut rtnl)),
        // A section just begun cannot have a token yet.
        None => Err(EBUSY),
    };
    // SAFETY: paired with the `rtnl_lock()` above.
    unsafe { raw::rtnl_unlock() };
    result
}

/// With RTNL taken by `rtnl_trylock()`: runs `f` with the evidence and
/// releases RTNL. `None` if RTNL was busy.
pub(crate) fn try_with_lock<R>(f: impl for<'s> FnOnce(&mut Rtnl<'s>) -> R) -> Option<R> {
    // SAFETY: a plain lock attempt; callers are process-context work.
    if unsafe { raw::rtnl_trylock() } == 0 {
        return None;
    }
    // SAFETY: RTNL is held until the unlock below, after the token is
    // dropped.
    let result = unsafe { Rtnl::enter() }.map(|mut rtnl| f(&mut rtnl));
    // SAFETY: paired with the successful trylock.
    unsafe { raw::rtnl_unlock() };
    result
}
