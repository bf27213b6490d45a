// SPDX-License-Identifier: GPL-2.0
//! The receive hook on members: this module's rx_handler, which hands each
//! frame to `rx::deliver`, and its registration with a reference to the
//! member entry as the handler's data.

use crate::bindings::raw;
use crate::frames::RxVerdict;
use crate::ipmpdev::IpmpDev;
use crate::netdev::NetDev;
use crate::rcu::RcuGuard;
use crate::rtnl::Rtnl;
use crate::rx;
use crate::skb::RxSkb;
use crate::table::Member;
use kernel::{
    prelude::*,
    sync::{Arc, ArcBorrow},
};

/// The rx_handler of every member: where each frame goes is decided in
/// `rx::deliver`.
///
/// # Safety
/// Only the core receive path calls this, with a valid `*pskb`, on a device
/// whose rx_handler_data is a live `Member` (see [`attach_member`]).
unsafe extern "C" fn rx_handler(pskb: *mut *mut raw::sk_buff) -> raw::rx_handler_result_t {
    // SAFETY: the core gives a valid `pskb`.
    let Some(mut skb) = (unsafe { RxSkb::from_handler_arg(pskb) }) else {
        return raw::rx_handler_result_RX_HANDLER_CONSUMED;
    };
    // SAFETY: the frame's device is a member (the handler is only
    // registered on members); its rx_handler_data is the member entry,
    // kept alive until the handler is unregistered, which waits for this
    // receive path to finish.
    let member = unsafe { &*raw::ipmp_rx_handler_data(*pskb).cast::<Member>() };
    // SAFETY: `__netif_receive_skb_core()` calls rx_handlers under
    // `rcu_read_lock()`, held until we return.
    let rcu = unsafe { RcuGuard::in_section() };
    match rx::deliver(member, &mut skb, &rcu) {
        RxVerdict::Member => raw::rx_handler_result_RX_HANDLER_PASS,
        RxVerdict::Exact => raw::rx_handler_result_RX_HANDLER_EXACT,
        RxVerdict::Group => {
            skb.redirect_to(member.group().netdev());
            raw::rx_handler_result_RX_HANDLER_ANOTHER
        }
    }
}

/// Makes `dev` a member of `ipmp` as far as receiving goes: a member entry
/// with id `id`, and this module's rx_handler on `dev` with a reference
/// to the entry as its data. Undone by [`detach_member`].
pub(crate) fn attach_member(
    dev: &NetDev,
    ipmp: &IpmpDev,
    id: u8,
    rtnl: &Rtnl<'_>,
) -> Result<Arc<Member>> {
    let member = Arc::new(Member::new(dev, ipmp, id), GFP_KERNEL)?;
    let data = Arc::into_raw(member.clone()).cast_mut().cast();
    if let Err(e) = dev.register_rx_handler(rx_handler, data, rtnl) {
        // SAFETY: the handler was not registered, so this reference from
        // `into_raw` above is still ours.
        drop(unsafe { Arc::from_raw(data.cast::<Member>()) });
        return Err(e);
    }
    Ok(member)
}

/// The member entry of `dev` if it is a member of some group (a new
/// reference).
pub(crate) fn member_of(dev: &NetDev, rtnl: &Rtnl<'_>) -> Option<Arc<Member>> {
    let data = dev.rx_handler_data(rx_handler, rtnl)?.cast::<Member>();
    // SAFETY: this module's rx_handler always has an `Arc<Member>` turned
    // raw in `attach_member` as its data, released only after the handler
    // is unregistered under RTNL, which we hold: the borrow is valid for
    // this call, and the conversion takes a reference of our own.
    Some(unsafe { ArcBorrow::from_raw(data) }.into())
}

/// The member entry of `dev` if it is a member of some group, for as
/// long as the RCU read-side section of `rcu` lasts (in any context).
pub(crate) fn member_of_rcu<'a>(dev: &NetDev, rcu: &'a RcuGuard) -> Option<&'a Member> {
    let data = dev.rx_handler_data_rcu(rx_handler, rcu)?.cast::<Member>();
    // SAFETY: this module's rx_handler always has an `Arc<Member>` turned
    // raw in `attach_member` as its data, released only after the handler
    // is unregistered and a grace period has passed, which cannot end
    // while `rcu` is held.
    Some(unsafe { &*data })
}

/// Removes this module's rx_handler from `dev` and drops the reference to
/// the member entry it held; nothing if `dev` has not got it.
pub(crate) fn detach_member(dev: &NetDev, rtnl: &Rtnl<'_>) {
    let Some(data) = dev.rx_handler_data(rx_handler, rtnl) else {
        return;
    };
    dev.unregister_rx_handler(rtnl);
    // SAFETY: `data` is the `Arc::into_raw` reference given to the
    // handler, which no CPU runs any more (`unregister_rx_handler()` waited
    // for a grace period), so it is ours again.
    drop(unsafe { Arc::from_raw(data.cast::<Member>()) });
}
