// SPDX-License-Identifier: GPL-2.0
//! Receive path: the rx_handler registered on every member.
//!
//! For now every frame continues up the member's own stack
//! (`RX_HANDLER_PASS`); delivery of data traffic to the group device
//! comes with the fast-path work. Registering the handler already marks
//! the member as taken (no bridge, bond or other group can claim it) and
//! carries the member entry as rx_handler_data.

use crate::bindings::raw;

/// The rx_handler of a member.
///
/// # Safety
/// Called by the core's receive path with a valid `*pskb`.
pub(crate) unsafe extern "C" fn handle_frame(
    _pskb: *mut *mut raw::sk_buff,
) -> raw::rx_handler_result_t {
    raw::rx_handler_result_RX_HANDLER_PASS
}
