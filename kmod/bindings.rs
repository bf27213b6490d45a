// SPDX-License-Identifier: GPL-2.0
//! Raw bindings to the kernel APIs the module uses.
//!
//! The 6.12 `kernel` crate has no net_device, rtnl_link_ops or notifier
//! bindings, so Kbuild runs bindgen over `bindings_helper.h` (with the
//! kernel's own bindgen flags and `bindgen_allowlist`) into
//! `bindings_generated.rs`. Nothing outside the wrapper layer (`netdev`,
//! `skb`, `rcu`, `rtnl`, the C adapters in `link` and `notifier`) touches
//! these items directly.

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
