// SPDX-License-Identifier: GPL-2.0
//! Raw bindings to the kernel APIs the module uses.
//!
//! The 6.12 `kernel` crate has no net_device, rtnl_link_ops or notifier
//! bindings, so Kbuild runs bindgen over `bindings_helper.h` (with the
//! kernel's own bindgen flags and `bindgen_allowlist`) into
//! `bindings_generated.rs`. Nothing outside the wrapper layer (`netdev`,
//! `skb`, `rcu`, `rtnl`, the C adapters in `link` and `notifier`) touches
//! these items directly.

use core::cell::UnsafeCell;

#[allow(
    dead_code,
    improper_ctypes,
    missing_docs,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    clippy::all,
    clippy::undocumented_unsafe_blocks
)]
pub(crate) mod raw {
    use kernel::ffi;

    // `rust/bindgen_parameters` blocklists these so that they map to the
    // pointer-sized Rust integers, exactly as the kernel crate does.
    type __kernel_size_t = usize;
    type __kernel_ssize_t = isize;
    type __kernel_ptrdiff_t = isize;

    include!("bindings_generated.rs");
}

/// A C operations table in a `static`.
///
/// The kernel writes into `rtnl_link_ops` (its list head) while registering
/// it, so the table must be mutable memory; Rust code never touches it
/// after start-up.
#[repr(transparent)]
pub(crate) struct OpsTable<T>(UnsafeCell<T>);

// SAFETY: Rust never reads or writes the contents after module init; the
// kernel serialises its own accesses (registration under RTNL/its locks).
unsafe impl<T> Sync for OpsTable<T> {}

impl<T> OpsTable<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(UnsafeCell::new(value))
    }

    pub(crate) const fn as_ptr(&self) -> *mut T {
        self.0.get()
    }
}
