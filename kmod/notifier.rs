// SPDX-License-Identifier: GPL-2.0
//! Netdevice notifier: follows what happens to member devices.
//!
//! - NETDEV_UNREGISTER: the member leaves its group (before the kernel
//!   frees it; this is what keeps `Member::dev` valid).
//! - NETDEV_UP/DOWN/CHANGE (carrier): the active set and nominees are
//!   recomputed at once (no round trip to userspace), then the group's
//!   carrier; NETDEV_CHANGEMTU: the group's MTU.
//! - NETDEV_CHANGEADDR: a member's MAC changed. The addresses bound to it
//!   are re-announced at once (the usual announcement rounds), so peers do
//!   not keep sending to the old MAC until their neighbour entries expire.
//! - NETDEV_PRE_TYPE_CHANGE: refused; members stay Ethernet.
//!
//! And events of the group device itself: NETDEV_UNREGISTER, when the
//! members give back the group's addresses before the core empties its
//! lists; NETDEV_PRECHANGEUPPER, where devices that cannot work above a
//! group are refused (`upper`).

use crate::binding::Addr;
use crate::bindings::raw;
use crate::bindings::OpsTable;
use crate::ipmpdev::IpmpDev;
use crate::membership;
use crate::netdev::{ExtAck, NetDev};
use crate::rcu::RcuGuard;
use crate::rtnl::Rtnl;
use crate::rxfilter;
use crate::rxhandler;
use crate::upper;
use core::ffi::{c_int, c_void};
use kernel::{error::to_result, prelude::*};

static NOTIFIER: OpsTable<raw::notifier_block> = OpsTable::new(raw::notifier_block {
    notifier_call: Some(netdev_event),
    // SAFETY: all-zero is the valid initial state (no next, priority 0).
    ..unsafe { core::mem::zeroed() }
});

/// The registered notifier; unregistered on drop.
pub(crate) struct Registration(());

impl Registration {
    /// Registers the netdevice notifier.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: a static block that outlives the registration. The kernel
        // replays REGISTER/UP events for existing devices, which we ignore
        // since no device is a member yet.
        to_result(unsafe { raw::register_netdevice_notifier(NOTIFIER.as_ptr()) })?;
        Ok(Self(()))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: registered in `new`.
        unsafe { raw::unregister_netdevice_notifier(NOTIFIER.as_ptr()) };
    }
}

/// What the notifier does with one event for one member.
enum Action {
    /// The member goes away.
    Release,
    /// Its state changed: active set, nominees, carrier, MTU.
    Refresh,
    /// Its MTU changed.
    Mtu,
    /// Its hardware address changed.
    Reannounce,
    Refuse,
    Nothing,
}

fn action(event: u32) -> Action {
    match event {
        raw::netdev_cmd_NETDEV_UNREGISTER => Action::Release,
        raw::netdev_cmd_NETDEV_UP | raw::netdev_cmd_NETDEV_DOWN | raw::netdev_cmd_NETDEV_CHANGE => {
            Action::Refresh
        }
        raw::netdev_cmd_NETDEV_CHANGEMTU => Action::Mtu,
        raw::netdev_cmd_NETDEV_CHANGEADDR => Action::Reannounce,
        raw::netdev_cmd_NETDEV_PRE_TYPE_CHANGE => Action::Refuse,
        _ => Action::Nothing,
    }
}

/// Kernel callback.
///
/// # Safety
/// Only the netdevice notifier chain calls this, under RTNL.
unsafe extern "C" fn netdev_event(
    _nb: *mut raw::notifier_block,
    event: usize,
    info: *mut c_void,
) -> c_int {
    // SAFETY: netdevice notifiers receive a `netdev_notifier_info` whose
    // device is live for the duration of the call, and run under RTNL.
    let (dev, rtnl) = unsafe {
        (
            NetDev::from_raw(raw::ipmp_notifier_info_to_dev(info)),
            Rtnl::enter(),
        )
    };
    // An event caused by the module's own call under RTNL (linking a
    // member, the group's MTU): it holds the section's token, and nothing
    // here needs doing for such events.
    let Some(mut rtnl) = rtnl else {
        return raw::NOTIFY_DONE as c_int;
    };
    let Ok(event) = u32::try_from(event) else {
        return raw::NOTIFY_DONE as c_int;
    };
    if let Some(ipmp) = IpmpDev::from_netdev(dev) {
        match event {
            raw::netdev_cmd_NETDEV_UNREGISTER => rxfilter::group_unregistering(ipmp, &rtnl),
            raw::netdev_cmd_NETDEV_PRECHANGEUPPER => {
                let mut linking = false;
                // SAFETY: PRECHANGEUPPER comes with a
                // `netdev_notifier_changeupper_info` whose upper device is
                // live for the call, as is the request's extack (or NULL).
                let (upper, mut extack) = unsafe {
                    (
                        NetDev::from_raw(raw::ipmp_changeupper_upper(info, &mut linking)),
                        ExtAck::from_raw(raw::ipmp_notifier_info_extack(info)),
                    )
                };
                if linking {
                    if let Err(e) = upper::check_upper(upper, &mut extack) {
                        return notifier_from_errno(e);
                    }
                }
            }
            _ => {}
        }
        return raw::NOTIFY_DONE as c_int;
    }
    let Some(member) = rxhandler::member_of(dev, &rtnl) else {
        return raw::NOTIFY_DONE as c_int;
    };
    let group_dev: *mut raw::net_device = member.group().netdev().as_raw();
    // SAFETY: the group of a member is live while the member is in it,
    // which it is until `remove_member` below, under the RTNL we hold.
    let ipmp = unsafe { IpmpDev::from_raw(group_dev) };
    match action(event) {
        Action::Release => {
            let _ = membership::remove_member(ipmp, dev, &mut rtnl);
        }
        Action::Refresh => {
            if let Err(e) = membership::refresh_active_set(ipmp, Some(&member), &mut rtnl) {
                pr_warn!(
                    "{}: cannot update the active set: {:?}\n",
                    ipmp.netdev().name(),
                    e
                );
            }
        }
        Action::Mtu => membership::refresh_link_state(ipmp, &rtnl),
        Action::Reannounce => {
            let group = ipmp.group();
            let bound = group.members_rtnl(&rtnl).is_some_and(|table| {
                let id = Some(member.id());
                table.bindings().iter().any(|b| b.member == id)
            });
            if bound {
                group.work.start_announcing(group.announce_count());
            }
        }
        Action::Refuse => return notifier_from_errno(EBUSY),
        Action::Nothing => {}
    }
    raw::NOTIFY_DONE as c_int
}

/// The kernel's `notifier_from_errno()`: stops the chain with `e`.
fn notifier_from_errno(e: Error) -> c_int {
    (raw::NOTIFY_STOP_MASK | e.to_errno().unsigned_abs()) as c_int
}

// ---------------------------------------------------------------------------
// Address notifiers: a group's data addresses, or a member's own, changed.
// ---------------------------------------------------------------------------

static INETADDR: OpsTable<raw::notifier_block> = OpsTable::new(raw::notifier_block {
    notifier_call: Some(inetaddr_event),
    // SAFETY: all-zero is the valid initial state.
    ..unsafe { core::mem::zeroed() }
});

static INET6ADDR: OpsTable<raw::notifier_block> = OpsTable::new(raw::notifier_block {
    notifier_call: Some(inet6addr_event),
    // SAFETY: all-zero is the valid initial state.
    ..unsafe { core::mem::zeroed() }
});

/// The registered IPv4 and IPv6 address notifiers.
pub(crate) struct AddrRegistration(());

impl AddrRegistration {
    /// Registers both.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: static blocks that outlive the registrations.
        to_result(unsafe { raw::register_inetaddr_notifier(INETADDR.as_ptr()) })?;
        // SAFETY: as above.
        if let Err(e) = to_result(unsafe { raw::register_inet6addr_notifier(INET6ADDR.as_ptr()) }) {
            // SAFETY: registered just above.
            unsafe { raw::unregister_inetaddr_notifier(INETADDR.as_ptr()) };
            return Err(e);
        }
        Ok(Self(()))
    }
}

impl Drop for AddrRegistration {
    fn drop(&mut self) {
        // SAFETY: both registered in `new`.
        unsafe {
            raw::unregister_inet6addr_notifier(INET6ADDR.as_ptr());
            raw::unregister_inetaddr_notifier(INETADDR.as_ptr());
        }
    }
}

/// An address of `dev` was added (`added`: the address) or removed. If
/// `dev` is a group, its data addresses are synced; if a member, its entry
/// records the kind of an added address at once (the receive path looks
/// for it from now on: a probe may follow immediately) and its group's
/// sync rereads what its members own later.
fn address_changed(dev: *mut raw::net_device, added: Option<Addr>) {
    if dev.is_null() {
        return;
    }
    // SAFETY: the address's device is live during the notification.
    let dev = unsafe { NetDev::from_raw(dev) };
    if let Some(ipmp) = IpmpDev::from_netdev(dev) {
        ipmp.group().work.schedule_sync();
        return;
    }
    let rcu = RcuGuard::new();
    if let Some(member) = rxhandler::member_of_rcu(dev, &rcu) {
        if let Some(addr) = added {
            member.add_own(&addr);
        }
        member.group().group().work.schedule_sync();
    }
}

/// The address of an event: `Some` for an added one.
fn added(event: usize, addr: impl FnOnce() -> Addr) -> Option<Addr> {
    (event == raw::netdev_cmd_NETDEV_UP as usize).then(addr)
}

/// Kernel callback.
///
/// # Safety
/// Only the IPv4 address notifier chain calls this, with an `in_ifaddr`.
unsafe extern "C" fn inetaddr_event(
    _nb: *mut raw::notifier_block,
    event: usize,
    ifa: *mut c_void,
) -> c_int {
    // Any IPv4 address makes IPv4 looked for: its value does not matter.
    let added = added(event, || Addr::V4([0; 4]));
    // SAFETY: a live `in_ifaddr` during the notification.
    address_changed(unsafe { raw::ipmp_ifa4_dev(ifa) }, added);
    raw::NOTIFY_DONE as c_int
}

/// Kernel callback.
///
/// # Safety
/// Only the IPv6 address notifier chain calls this (possibly in atomic
/// context: it only records and schedules), with an `inet6_ifaddr`.
unsafe extern "C" fn inet6addr_event(
    _nb: *mut raw::notifier_block,
    event: usize,
    ifa: *mut c_void,
) -> c_int {
    let added = added(event, || {
        let mut addr = [0u8; 16];
        // SAFETY: a live `inet6_ifaddr` during the notification; `addr`
        // holds 16 bytes.
        unsafe { raw::ipmp_ifa6_addr(ifa, addr.as_mut_ptr()) };
        Addr::V6(addr)
    });
    // SAFETY: a live `inet6_ifaddr` during the notification.
    address_changed(unsafe { raw::ipmp_ifa6_dev(ifa) }, added);
    raw::NOTIFY_DONE as c_int
}
