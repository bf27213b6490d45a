// SPDX-License-Identifier: GPL-2.0
//! An IPMP group: the private state of an `ipmp` net device and its
//! member table.
//!
//! # Locking
//! - Membership changes (add, remove, release on unregister) happen under
//!   RTNL only; the functions take an [`Rtnl`] token.
//! - The member table is published with RCU ([`RcuBox`]). Readers (the
//!   transmit path; later the receive path) take an [`RcuGuard`] and see a
//!   consistent snapshot. A writer fills the *spare* table, publishes it,
//!   waits a grace period, and keeps the old one as the next spare: after
//!   `ndo_init` no membership change allocates, so removal cannot fail.
//! - A [`Member`] is reference counted: one reference per table that lists
//!   it, one held by the member device's rx_handler_data. The device it
//!   points to is valid while it is a member: it is released at
//!   NETDEV_UNREGISTER, before the kernel can free it.

use crate::bindings::raw;
use crate::link;
use crate::netdev::{ExtAck, NetDev};
use crate::rcu::{RcuBox, RcuGuard};
use crate::rtnl::{Rtnl, RtnlCell};
use crate::rx;
use core::ptr::NonNull;
use kernel::{prelude::*, sync::Arc};

/// Most members one group takes. Tables are fixed arrays so that the
/// control path never allocates after a group is created.
pub(crate) const MAX_MEMBERS: usize = 32;

/// Default MTU ceiling of a group without members.
const MAX_MTU_NO_MEMBERS: u32 = 65535;

/// An underlying interface in a group.
///
/// # Invariants
/// `dev` is the member device and `group` its group's device; both stay
/// valid while the member is in the group's table or registered as the
/// member's rx_handler_data (see the module documentation).
pub(crate) struct Member {
    dev: NonNull<raw::net_device>,
    group: NonNull<raw::net_device>,
}

// SAFETY: the pointers refer to net devices, which the kernel lets any
// thread use; the validity rules above do not depend on the thread.
unsafe impl Send for Member {}
// SAFETY: `Member` has no interior mutability of its own; shared access is
// only to the devices, which are designed for concurrent use.
unsafe impl Sync for Member {}

impl Member {
    /// The member device.
    pub(crate) fn dev(&self) -> &NetDev {
        // SAFETY: valid while `self` is reachable (type invariant).
        unsafe { NetDev::from_raw(self.dev.as_ptr()) }
    }

    /// The group device.
    pub(crate) fn group(&self) -> &IpmpDev {
        // SAFETY: valid while `self` is reachable (type invariant), and it
        // is an ipmp device since only `add_member` creates members.
        unsafe { IpmpDev::from_raw(self.group.as_ptr()) }
    }
}

/// A snapshot of a group's members, in the order they were added.
pub(crate) struct MemberTable {
    len: usize,
    slots: [Option<Arc<Member>>; MAX_MEMBERS],
}

impl MemberTable {
    fn new_boxed() -> Result<KBox<Self>> {
        Ok(KBox::new(
            Self {
                len: 0,
                slots: [const { None }; MAX_MEMBERS],
            },
            GFP_KERNEL,
        )?)
    }

    /// The members.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Arc<Member>> {
        self.slots.iter().take(self.len).flatten()
    }

    /// How many members.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn clear(&mut self) {
        for slot in self.slots.iter_mut() {
            *slot = None;
        }
        self.len = 0;
    }

    fn push(&mut self, member: Arc<Member>) -> Result {
        let slot = self.slots.get_mut(self.len).ok_or(ENOSPC)?;
        *slot = Some(member);
        self.len += 1;
        Ok(())
    }

    /// Removes `dev`'s entry, keeping the order of the others.
    fn remove(&mut self, dev: &NetDev) {
        let Some(pos) = self.iter().position(|m| m.dev() == dev) else {
            return;
        };
        if let Some(tail) = self.slots.get_mut(pos..self.len) {
            tail.rotate_left(1);
            if let Some(last) = tail.last_mut() {
                *last = None;
            }
            self.len -= 1;
        }
    }

    fn find(&self, dev: &NetDev) -> Option<&Arc<Member>> {
        self.iter().find(|m| m.dev() == dev)
    }
}

/// The private area of an `ipmp` net device.
pub(crate) struct Group {
    /// Published member table; null before `ndo_init` and after
    /// `ndo_uninit`.
    members: RcuBox<MemberTable>,
    /// The unpublished table the next change is built in.
    spare: RtnlCell<Option<KBox<MemberTable>>>,
}

impl Group {
    /// An empty group, before `ndo_init`.
    pub(crate) const fn new() -> Self {
        Self {
            members: RcuBox::empty(),
            spare: RtnlCell::new(None),
        }
    }

    /// Allocates the two member tables (`ndo_init`).
    pub(crate) fn init(&self, rtnl: &mut Rtnl) -> Result {
        let published = MemberTable::new_boxed()?;
        let spare = MemberTable::new_boxed()?;
        *self.spare.get_mut(rtnl) = Some(spare);
        let _ = self.members.replace(Some(published), rtnl);
        Ok(())
    }

    /// Frees the tables (`ndo_uninit`, after every member was released).
    pub(crate) fn destroy(&self, rtnl: &mut Rtnl) {
        drop(self.members.replace(None, rtnl));
        drop(self.spare.get_mut(rtnl).take());
    }

    /// The members, for a reader under RCU.
    pub(crate) fn members<'a>(
        &'a self,
        rcu: &'a RcuGuard,
    ) -> impl Iterator<Item = &'a Arc<Member>> {
        self.members
            .read(rcu)
            .into_iter()
            .flat_map(MemberTable::iter)
    }

    /// The member table, for the writer side.
    pub(crate) fn members_rtnl<'a>(&'a self, rtnl: &'a Rtnl) -> Option<&'a MemberTable> {
        self.members.read_rtnl(rtnl)
    }

    /// Publishes a copy of the current table changed by `edit`.
    fn update(&self, rtnl: &mut Rtnl, edit: impl FnOnce(&mut MemberTable) -> Result) -> Result {
        let mut next = self.spare.get_mut(rtnl).take().ok_or(ENODEV)?;
        next.clear();
        if let Some(current) = self.members.read_rtnl(rtnl) {
            for m in current.iter() {
                // Cannot fail: `next` has the same capacity as `current`.
                next.push(m.clone())?;
            }
        }
        if let Err(e) = edit(&mut next) {
            next.clear();
            *self.spare.get_mut(rtnl) = Some(next);
            return Err(e);
        }
        let mut old = self.members.replace(Some(next), rtnl);
        if let Some(old) = old.as_mut() {
            // Readers are gone (grace period in `replace`); this drops the
            // table's references, possibly the last one of a removed member.
            old.clear();
        }
        *self.spare.get_mut(rtnl) = old;
        Ok(())
    }
}

/// An `ipmp` net device.
///
/// # Invariants
/// The device's `rtnl_link_ops` are this module's, so its private area
/// holds a `Group` written by `link::setup`.
#[repr(transparent)]
pub(crate) struct IpmpDev(NetDev);

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
        // SAFETY: it is ours (checked) and live for the borrow of `dev`.
        (core::ptr::eq(ops, link::link_ops())).then(|| unsafe { IpmpDev::from_raw(dev.as_raw()) })
    }

    /// The underlying net device.
    pub(crate) fn netdev(&self) -> &NetDev {
        &self.0
    }

    /// The group state.
    pub(crate) fn group(&self) -> &Group {
        // SAFETY: live ipmp device (invariant); `netdev_priv()` is its
        // private area, which holds an initialised `Group` and lives as
        // long as the device.
        unsafe { &*raw::ipmp_netdev_priv(self.0.as_raw()).cast::<Group>() }
    }
}

/// Finds the member entry of a device that is in some group.
pub(crate) fn member_of<'a>(dev: &'a NetDev, rtnl: &'a Rtnl) -> Option<&'a Member> {
    let data = dev.rx_handler_data(rx::handle_frame, rtnl)?;
    // SAFETY: our rx_handler's data is always an `Arc<Member>` turned raw in
    // `add_member`, released only after the handler is unregistered under
    // RTNL, which we hold for 'a.
    unsafe { data.cast::<Member>().as_ref() }
}

/// `ip link set DEV master GROUP`: makes `dev` a member of `ipmp`.
///
/// Refusals leave everything as it was and say why in `extack`.
pub(crate) fn add_member(
    ipmp: &IpmpDev,
    dev: &NetDev,
    extack: &mut ExtAck,
    rtnl: &mut Rtnl,
) -> Result {
    let group_dev = ipmp.netdev();
    if dev == group_dev {
        extack.set(format_args!("{} cannot be a member of itself", dev.name()));
        return Err(EINVAL);
    }
    if IpmpDev::from_netdev(dev).is_some() {
        extack.set(format_args!(
            "{} is an IPMP interface: IPMP groups cannot be nested",
            dev.name()
        ));
        return Err(EINVAL);
    }
    if dev.is_loopback() {
        extack.set(format_args!(
            "{} is a loopback device: IPMP members must be Ethernet",
            dev.name()
        ));
        return Err(EINVAL);
    }
    if !dev.is_ethernet() {
        extack.set(format_args!(
            "{} is not Ethernet (link type {}): IPMP members must be Ethernet",
            dev.name(),
            dev.link_type()
        ));
        return Err(EINVAL);
    }
    if let Some(master) = dev.master(rtnl) {
        if IpmpDev::from_netdev(master).is_some() {
            extack.set(format_args!(
                "{} is already a member of IPMP group {}",
                dev.name(),
                master.name()
            ));
        } else {
            extack.set(format_args!(
                "{} is already enslaved to {}",
                dev.name(),
                master.name()
            ));
        }
        return Err(EBUSY);
    }
    if dev.rx_handler_busy(rtnl) {
        extack.set(format_args!(
            "{} is in use by another rx handler (e.g. macvlan)",
            dev.name()
        ));
        return Err(EBUSY);
    }
    let count = ipmp.group().members_rtnl(rtnl).map_or(0, MemberTable::len);
    if count >= MAX_MEMBERS {
        extack.set(format_args!(
            "{} is full ({} members)",
            group_dev.name(),
            MAX_MEMBERS
        ));
        return Err(ENOSPC);
    }

    // INVARIANT: both devices are live here; the member is released at
    // NETDEV_UNREGISTER of `dev` or in `ndo_uninit` of the group.
    let member = Arc::new(
        Member {
            dev: NonNull::new(dev.as_raw()).ok_or(EINVAL)?,
            group: NonNull::new(group_dev.as_raw()).ok_or(EINVAL)?,
        },
        GFP_KERNEL,
    )?;
    let handler_ref = Arc::into_raw(member.clone()).cast_mut().cast();
    if let Err(e) = dev.register_rx_handler(rx::handle_frame, handler_ref, rtnl) {
        // SAFETY: the handler was not registered, so we still own this
        // reference from `into_raw` above.
        drop(unsafe { Arc::from_raw(handler_ref.cast::<Member>()) });
        extack.set(format_args!(
            "{}: cannot register the receive handler",
            dev.name()
        ));
        return Err(e);
    }
    if let Err(e) = dev.link_master(group_dev, extack, rtnl) {
        unregister_handler(dev, handler_ref, rtnl);
        return Err(e);
    }
    if let Err(e) = ipmp.group().update(rtnl, |t| t.push(member)) {
        dev.unlink_master(group_dev, rtnl);
        unregister_handler(dev, handler_ref, rtnl);
        return Err(e);
    }
    pr_info!("{}: {} joined the group\n", group_dev.name(), dev.name());
    refresh_link_state(ipmp, rtnl);
    Ok(())
}

/// Unregisters our rx_handler from `dev` and drops the reference it held.
fn unregister_handler(dev: &NetDev, handler_ref: *mut core::ffi::c_void, rtnl: &Rtnl) {
    dev.unregister_rx_handler(rtnl);
    // SAFETY: `handler_ref` is the `Arc::into_raw` reference given to the
    // handler, which no CPU runs any more (`unregister_rx_handler()` waited
    // for a grace period), so we own it again.
    drop(unsafe { Arc::from_raw(handler_ref.cast::<Member>()) });
}

/// Removes `dev` from `ipmp` (`nomaster`, member unregistration) and
/// updates the group's carrier and MTU. `ENOENT` if `dev` is not a member.
pub(crate) fn remove_member(ipmp: &IpmpDev, dev: &NetDev, rtnl: &mut Rtnl) -> Result {
    detach_member(ipmp, dev, rtnl)?;
    refresh_link_state(ipmp, rtnl);
    Ok(())
}

/// Takes `dev` out of the group. Cannot fail for a member: the spare table
/// exists (no allocation) and only shrinks.
fn detach_member(ipmp: &IpmpDev, dev: &NetDev, rtnl: &mut Rtnl) -> Result {
    let group = ipmp.group();
    if group.members_rtnl(rtnl).and_then(|t| t.find(dev)).is_none() {
        return Err(ENOENT);
    }
    let handler_ref = dev.rx_handler_data(rx::handle_frame, rtnl).ok_or(ENOENT)?;
    // Unpublish first, so that no reader picks the member while it is
    // being detached.
    group.update(rtnl, |t| {
        t.remove(dev);
        Ok(())
    })?;
    dev.unlink_master(ipmp.netdev(), rtnl);
    unregister_handler(dev, handler_ref, rtnl);
    pr_info!("{}: {} left the group\n", ipmp.netdev().name(), dev.name());
    Ok(())
}

/// Removes every member (the group device is going away: its carrier and
/// MTU no longer matter, and changing them would notify about a device
/// that is being unregistered).
pub(crate) fn remove_all_members(ipmp: &IpmpDev, rtnl: &mut Rtnl) {
    loop {
        let first = ipmp
            .group()
            .members_rtnl(rtnl)
            .and_then(|t| t.iter().next())
            .map(|m| m.dev.as_ptr());
        let Some(dev) = first else { break };
        // SAFETY: a member device is live while it is in the table, and it
        // cannot leave it before we release it here under RTNL.
        let dev = unsafe { NetDev::from_raw(dev) };
        if detach_member(ipmp, dev, rtnl).is_err() {
            break;
        }
    }
}

/// Recomputes what the group device derives from its members: carrier
/// (on while any member is up with carrier) and MTU (the smallest member
/// MTU, also the ceiling for `ip link set itops0 mtu`).
pub(crate) fn refresh_link_state(ipmp: &IpmpDev, rtnl: &Rtnl) {
    let group_dev = ipmp.netdev();
    let table = ipmp.group().members_rtnl(rtnl);
    let carrier = table.is_some_and(|t| t.iter().any(|m| m.dev().is_usable()));
    group_dev.set_carrier(carrier);

    let min_mtu = table.and_then(|t| t.iter().map(|m| m.dev().mtu()).min());
    match min_mtu {
        Some(mtu) => {
            group_dev.set_max_mtu(mtu, rtnl);
            if group_dev.mtu() != mtu {
                if let Err(e) = group_dev.set_mtu(mtu, rtnl) {
                    pr_warn!(
                        "{}: cannot follow member MTU {}: {:?}\n",
                        group_dev.name(),
                        mtu,
                        e
                    );
                }
            }
        }
        None => group_dev.set_max_mtu(MAX_MTU_NO_MEMBERS, rtnl),
    }
}
