// SPDX-License-Identifier: GPL-2.0
//! RCU read-side guard and an RCU-published owning pointer.
//!
//! The 6.12 `kernel` crate has no RCU abstraction; this is the minimum the
//! module needs. Writers replace the published value under RTNL and wait a
//! grace period (`synchronize_net()`) before the old value can be reused or
//! freed; readers dereference it inside an [`RcuGuard`] and may not keep the
//! reference beyond it.

use crate::bindings::raw;
use crate::rtnl::Rtnl;
use core::{
    cell::UnsafeCell,
    ffi::c_void,
    marker::PhantomData,
    ops::{Deref, DerefMut},
};
use kernel::prelude::*;
use kernel::types::Opaque;

/// An RCU read-side critical section: entered by `new()` and left on
/// drop, or one the caller is already in (`in_section()`).
pub(crate) struct RcuGuard {
    /// Whether drop leaves the section (`new()` entered it).
    entered: bool,
    /// Not `Send`: the critical section belongs to this CPU/thread.
    _not_send: PhantomData<*mut ()>,
}

impl RcuGuard {
    /// Enters a read-side critical section (`rcu_read_lock()`).
    pub(crate) fn new() -> Self {
        // SAFETY: `rcu_read_lock()` may be called in any context and nests.
        unsafe { raw::ipmp_rcu_read_lock() };
        Self {
            entered: true,
            _not_send: PhantomData,
        }
    }

    /// Evidence of the read-side section the caller is in, without entering
    /// another: for the fast path, whose callers (`__dev_queue_xmit()`
    /// under `rcu_read_lock_bh()`, the receive path under
    /// `rcu_read_lock()`) already hold one. Saves two calls per packet.
    ///
    /// # Safety
    /// The caller is inside an RCU read-side critical section (any flavour:
    /// since 5.0 they are one) that lasts longer than the guard.
    pub(crate) unsafe fn in_section() -> Self {
        Self {
            entered: false,
            _not_send: PhantomData,
        }
    }
}

impl Drop for RcuGuard {
    fn drop(&mut self) {
        if self.entered {
            // SAFETY: paired with the `rcu_read_lock()` of `new()`, on the
            // same thread since the guard is not `Send`.
            unsafe { raw::ipmp_rcu_read_unlock() };
        }
    }
}

/// A `T` with the `rcu_head` that lets it be freed after a grace period
/// without anyone waiting for one ([`RcuBox::replace_deferred`]);
/// dereferences to the `T`.
#[repr(C)]
pub(crate) struct RcuNode<T> {
    /// First field: the callback's `rcu_head` pointer is the node's.
    head: Opaque<raw::callback_head>,
    value: T,
}

impl<T> RcuNode<T> {
    /// `value` in a new node.
    pub(crate) fn new_boxed(value: T) -> Result<KBox<Self>> {
        Ok(KBox::new(
            Self {
                head: Opaque::uninit(),
                value,
            },
            GFP_KERNEL,
        )?)
    }
}

impl<T> Deref for RcuNode<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for RcuNode<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

/// Frees a node whose grace period has ended (`call_rcu()` callback).
///
/// # Safety
/// `head` is the `head` of an `RcuNode<T>` from `KBox::into_raw` that
/// nothing else owns or can reach any more.
unsafe extern "C" fn free_node<T>(head: *mut raw::callback_head) {
    // CAST: `head` is the first field of the `#[repr(C)]` node, and
    // `Opaque<callback_head>` has the layout of `callback_head`.
    // SAFETY: the node came from `KBox::into_raw` and is ours (caller).
    drop(unsafe { KBox::from_raw(head.cast::<RcuNode<T>>()) });
}

/// Waits for every RCU callback this module queued (`rcu_barrier()`):
/// dropped last at module exit, so that no callback runs once the
/// module's code is gone.
pub(crate) struct Barrier;

impl Drop for Barrier {
    fn drop(&mut self) {
        // SAFETY: module exit, process context; sleeps until every queued
        // callback has run.
        unsafe { raw::rcu_barrier() };
    }
}

/// An optional `KBox<RcuNode<T>>` published with `rcu_assign_pointer()`.
///
/// # Invariants
/// `ptr` is null or comes from `KBox::into_raw` and is owned by this value.
/// It is only replaced under RTNL.
pub(crate) struct RcuBox<T> {
    ptr: UnsafeCell<*mut RcuNode<T>>,
}

// SAFETY: readers only get `&T` (so `T: Sync`), and the box may be replaced
// and dropped from another thread than the one that made it (so `T: Send`).
unsafe impl<T: Send + Sync> Sync for RcuBox<T> {}
// SAFETY: as above; the value owns its `T`.
unsafe impl<T: Send + Sync> Send for RcuBox<T> {}

impl<T> RcuBox<T> {
    /// An empty (null) pointer.
    pub(crate) const fn empty() -> Self {
        // INVARIANT: null is allowed.
        Self {
            ptr: UnsafeCell::new(core::ptr::null_mut()),
        }
    }

    fn slot(&self) -> *mut *mut c_void {
        // CAST: `*mut RcuNode<T>` and `*mut c_void` have the same layout.
        self.ptr.get().cast()
    }

    /// The published value, for a reader inside an RCU critical section.
    pub(crate) fn read<'a>(&'a self, _rcu: &'a RcuGuard) -> Option<&'a T> {
        let p = rcu_dereference(self.slot()).cast::<RcuNode<T>>();
        // SAFETY: by the type invariant `p` is null or a live `KBox`; a writer
        // that replaces it frees it after a grace period, which cannot end
        // while the guard (borrowed for 'a) is alive.
        unsafe { p.as_ref() }.map(|n| &n.value)
    }

    /// The published value, for the writer side holding RTNL.
    pub(crate) fn read_rtnl<'a>(&'a self, _rtnl: &'a Rtnl<'_>) -> Option<&'a T> {
        // SAFETY: valid slot; `rtnl_dereference()` checks RTNL with lockdep.
        let p = unsafe { raw::ipmp_rtnl_dereference(self.slot()) }.cast::<RcuNode<T>>();
        // SAFETY: only an RTNL holder replaces the value, and this thread
        // holds RTNL while 'a lasts, so the box stays alive.
        unsafe { p.as_ref() }.map(|n| &n.value)
    }

    /// Publishes `new`, waits until no reader can still see the old value,
    /// and hands the old value back to the caller, who now owns it alone.
    ///
    /// Sleeps (`synchronize_net()`): control path only.
    pub(crate) fn replace(
        &self,
        new: Option<KBox<RcuNode<T>>>,
        _rtnl: &mut Rtnl<'_>,
    ) -> Option<KBox<RcuNode<T>>> {
        let old = self.publish(new);
        if old.is_null() {
            return None;
        }
        // SAFETY: plain function call; RTNL holders may sleep.
        unsafe { raw::synchronize_net() };
        // SAFETY: `old` came from `KBox::into_raw` (type invariant), is no
        // longer published, and the grace period above ended every reader
        // that could have seen it.
        Some(unsafe { KBox::from_raw(old) })
    }

    /// Publishes `new` and frees the old value once no reader can still
    /// see it, without waiting for that (`call_rcu()`). Readers may meet
    /// either value until then; a caller that needs them gone waits for a
    /// grace period of its own.
    pub(crate) fn replace_deferred(&self, new: Option<KBox<RcuNode<T>>>, _rtnl: &mut Rtnl<'_>)
    where
        T: Send,
    {
        let old = self.publish(new);
        if !old.is_null() {
            // SAFETY: `old` came from `KBox::into_raw` and is no longer
            // published; its `head` is ours to queue, and `free_node`
            // frees it after the grace period, when no reader can see it.
            // `rcu_barrier()` at module exit waits for the callback.
            unsafe {
                raw::call_rcu(
                    core::ptr::addr_of_mut!((*old).head).cast(),
                    Some(free_node::<T>),
                )
            };
        }
    }

    /// Publishes `new` (RTNL held by the caller) and returns the old pointer.
    fn publish(&self, new: Option<KBox<RcuNode<T>>>) -> *mut RcuNode<T> {
        let new_ptr = new.map_or(core::ptr::null_mut(), KBox::into_raw);
        // SAFETY: callers hold RTNL (all of them take the token), so this
        // thread is the only writer; reading the slot without a barrier is
        // then allowed.
        let old = unsafe { *self.ptr.get() };
        // SAFETY: valid slot; `rcu_assign_pointer()` orders the
        // initialisation of `*new_ptr` before its publication.
        // INVARIANT: `new_ptr` is null or from `KBox::into_raw`.
        unsafe { raw::ipmp_rcu_assign_pointer(self.slot(), new_ptr.cast()) };
        old
    }
}

impl<T> Drop for RcuBox<T> {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        if !p.is_null() {
            // SAFETY: we own `p` (type invariant), and `&mut self` means no
            // reader borrows from this box any more.
            drop(unsafe { KBox::from_raw(p) });
        }
    }
}

/// Seconds of kernel uptime (from jiffies), for the flow table's ages on
/// the fast path.
pub(crate) fn now_secs() -> u32 {
    // SAFETY: reads jiffies; callable in any context.
    unsafe { raw::ipmp_now_secs() }
}

/// `rcu_dereference()` of `slot`, a valid pointer-sized location, inside
/// a read-side section. Kernels that check RCU usage (`CONFIG_PROVE_RCU`)
/// get the C macro with its lockdep check; others get what it compiles to,
/// `READ_ONCE()`, without a call on the fast path.
#[cfg(CONFIG_PROVE_RCU)]
fn rcu_dereference(slot: *mut *mut c_void) -> *mut c_void {
    // SAFETY: a valid slot (callers are this file's, on their own slots).
    unsafe { raw::ipmp_rcu_dereference(slot) }
}

#[cfg(not(CONFIG_PROVE_RCU))]
fn rcu_dereference(slot: *mut *mut c_void) -> *mut c_void {
    // SAFETY: a valid, aligned slot (callers are this file's, on their
    // own slots); a volatile read is `READ_ONCE()`, and no architecture
    // Rust-for-Linux supports needs a barrier after it for dependent loads.
    unsafe { slot.read_volatile() }
}
