// SPDX-License-Identifier: GPL-2.0
//! The generic netlink family `ipmp` as the kernel sees it: its policy,
//! operations and multicast group tables, its registration, and the C
//! callbacks, each of which hands a safe request or dump (`genl_wire`) to
//! its command in `genl`.
//!
//! Mutating commands are `GENL_UNS_ADMIN_PERM`: CAP_NET_ADMIN in the user
//! namespace that owns the requester's network namespace, so root of a
//! container manages the groups of its own namespace and no other
//! (devices are only looked up there), and a user namespace alone grants
//! nothing.

use crate::bindings::raw;
use crate::bindings::OpsTable;
use crate::genl;
use crate::genl_wire::{self, FAMILY, MCGRPS};
use crate::uapi::*;
use core::ffi::c_int;
use kernel::{error::to_result, prelude::*};

const N_ATTRS: usize = A_MAX as usize + 1;

pub(crate) const fn policy(kind: u32, len: u16) -> raw::nla_policy {
    // SAFETY: all-zero is a valid policy entry (NLA_UNSPEC, no limits).
    let mut p: raw::nla_policy = unsafe { core::mem::zeroed() };
    p.type_ = kind as u8;
    p.len = len;
    p
}

/// Input policy. Attributes only the kernel sends are rejected on input.
static POLICY: OpsTable<[raw::nla_policy; N_ATTRS]> = OpsTable::new({
    let mut p = [policy(raw::NLA_UNSPEC, 0); N_ATTRS];
    p[A_IFINDEX as usize] = policy(raw::NLA_U32, 0);
    p[A_IFNAME as usize] = policy(raw::NLA_REJECT, 0);
    p[A_GROUP_IFINDEX as usize] = policy(raw::NLA_U32, 0);
    p[A_GROUP_NAME as usize] = policy(raw::NLA_NUL_STRING, GROUP_NAME_MAX as u16);
    p[A_GROUP_STATE as usize] = policy(raw::NLA_REJECT, 0);
    p[A_POLICY as usize] = policy(raw::NLA_U8, 0);
    p[A_ANNOUNCE_COUNT as usize] = policy(raw::NLA_U32, 0);
    p[A_ANNOUNCE_INTERVAL as usize] = policy(raw::NLA_U32, 0);
    p[A_MEMBERS as usize] = policy(raw::NLA_REJECT, 0);
    p[A_FLAGS as usize] = policy(raw::NLA_U32, 0);
    p[A_FLAGS_MASK as usize] = policy(raw::NLA_U32, 0);
    p[A_CARRIER as usize] = policy(raw::NLA_REJECT, 0);
    p[A_ACTIVE as usize] = policy(raw::NLA_REJECT, 0);
    p[A_NOMINEE as usize] = policy(raw::NLA_REJECT, 0);
    p[A_EVENT as usize] = policy(raw::NLA_REJECT, 0);
    p[A_ADDRESSES as usize] = policy(raw::NLA_REJECT, 0);
    p[A_ADDRESS as usize] = policy(raw::NLA_REJECT, 0);
    p[A_RX_PACKETS as usize] = policy(raw::NLA_REJECT, 0);
    p[A_TX_PACKETS as usize] = policy(raw::NLA_REJECT, 0);
    p[A_PAD as usize] = policy(raw::NLA_REJECT, 0);
    p
});

const fn op(
    cmd: u8,
    doit: Option<unsafe extern "C" fn(*mut raw::sk_buff, *mut raw::genl_info) -> c_int>,
    dumpit: Option<unsafe extern "C" fn(*mut raw::sk_buff, *mut raw::netlink_callback) -> c_int>,
    admin: bool,
) -> raw::genl_small_ops {
    // SAFETY: all-zero is a valid op (no callbacks, no flags).
    let mut o: raw::genl_small_ops = unsafe { core::mem::zeroed() };
    o.cmd = cmd;
    o.doit = doit;
    o.dumpit = dumpit;
    o.flags = if admin {
        raw::GENL_UNS_ADMIN_PERM as u8
    } else {
        0
    };
    o
}

static OPS: OpsTable<[raw::genl_small_ops; 5]> = OpsTable::new([
    op(
        CMD_GROUP_GET,
        Some(group_get_doit),
        Some(group_get_dumpit),
        false,
    ),
    op(CMD_GROUP_SET, Some(group_set_doit), None, true),
    op(
        CMD_MEMBER_GET,
        Some(member_get_doit),
        Some(member_get_dumpit),
        false,
    ),
    op(CMD_MEMBER_SET, Some(member_set_doit), None, true),
    op(CMD_BINDING_GET, None, Some(binding_get_dumpit), false),
]);

/// The registered family; unregistered on drop.
pub(crate) struct Registration(());

impl Registration {
    /// Registers the family.
    pub(crate) fn new(module: &'static ThisModule) -> Result<Self> {
        let family = FAMILY.as_ptr();
        // SAFETY: module init runs once, before registration; nothing else
        // looks at the static yet, so writing its fields is exclusive.
        unsafe {
            (*family).policy = POLICY.as_ptr().cast();
            (*family).small_ops = OPS.as_ptr().cast();
            (*family).mcgrps = MCGRPS.as_ptr().cast();
            (*family).module = module.as_ptr().cast();
            raw::ipmp_genl_family_set_flags(family);
        }
        // SAFETY: a fully initialised static family that outlives the
        // registration.
        to_result(unsafe { raw::genl_register_family(family) })?;
        Ok(Self(()))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: registered in `new`; waits for running handlers.
        unsafe { raw::genl_unregister_family(FAMILY.as_ptr()) };
    }
}

// ---------------------------------------------------------------------------
// C callbacks
// ---------------------------------------------------------------------------

/// # Safety
/// Generic netlink doit callback.
unsafe extern "C" fn group_get_doit(_skb: *mut raw::sk_buff, info: *mut raw::genl_info) -> c_int {
    // SAFETY: called by generic netlink for a request.
    unsafe { genl_wire::doit(info, genl::group_get) }
}

/// # Safety
/// Generic netlink doit callback.
unsafe extern "C" fn group_set_doit(_skb: *mut raw::sk_buff, info: *mut raw::genl_info) -> c_int {
    // SAFETY: called by generic netlink for a request.
    unsafe { genl_wire::doit(info, genl::group_set) }
}

/// # Safety
/// Generic netlink doit callback.
unsafe extern "C" fn member_get_doit(_skb: *mut raw::sk_buff, info: *mut raw::genl_info) -> c_int {
    // SAFETY: called by generic netlink for a request.
    unsafe { genl_wire::doit(info, genl::member_get) }
}

/// # Safety
/// Generic netlink doit callback.
unsafe extern "C" fn member_set_doit(_skb: *mut raw::sk_buff, info: *mut raw::genl_info) -> c_int {
    // SAFETY: called by generic netlink for a request.
    unsafe { genl_wire::doit(info, genl::member_set) }
}

/// # Safety
/// Generic netlink dumpit callback.
unsafe extern "C" fn group_get_dumpit(
    skb: *mut raw::sk_buff,
    cb: *mut raw::netlink_callback,
) -> c_int {
    // SAFETY: called by generic netlink for a dump.
    unsafe { genl_wire::dumpit(skb, cb, genl::group_dump) }
}

/// # Safety
/// Generic netlink dumpit callback.
unsafe extern "C" fn member_get_dumpit(
    skb: *mut raw::sk_buff,
    cb: *mut raw::netlink_callback,
) -> c_int {
    // SAFETY: called by generic netlink for a dump.
    unsafe { genl_wire::dumpit(skb, cb, genl::member_dump) }
}

/// # Safety
/// Generic netlink dumpit callback.
unsafe extern "C" fn binding_get_dumpit(
    skb: *mut raw::sk_buff,
    cb: *mut raw::netlink_callback,
) -> c_int {
    // SAFETY: called by generic netlink for a dump.
    unsafe { genl_wire::dumpit(skb, cb, genl::binding_dump) }
}
