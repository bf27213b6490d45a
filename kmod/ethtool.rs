// SPDX-License-Identifier: GPL-2.0
//! `ethtool itops0`: the group's driver, link state, and speed and duplex
//! as the sum of what its active members offer (as bonding reports it).
//!
//! The callbacks run under RTNL (ethtool's ioctl and netlink paths take
//! it), which `__ethtool_get_link_ksettings()` on the members requires.

use crate::bindings::raw;
use crate::bindings::OpsTable;
use crate::ipmpdev::IpmpDev;
use crate::membership;
use crate::rtnl::Rtnl;
use core::ffi::c_int;
use kernel::prelude::*;

static ETHTOOL_OPS: OpsTable<raw::ethtool_ops> = OpsTable::new(raw::ethtool_ops {
    get_drvinfo: Some(get_drvinfo),
    get_link: Some(raw::ethtool_op_get_link),
    get_link_ksettings: Some(get_link_ksettings),
    // SAFETY: all-zero is the valid "not supported" value for every other
    // field (NULL callbacks, no capabilities).
    ..unsafe { core::mem::zeroed() }
});

/// The ethtool operations of every group device.
pub(crate) fn ops() -> *const raw::ethtool_ops {
    ETHTOOL_OPS.as_ptr()
}

/// Kernel callback.
///
/// # Safety
/// Only ethtool calls this, on a live ipmp device, with a zeroed
/// `ethtool_drvinfo` it owns.
unsafe extern "C" fn get_drvinfo(_dev: *mut raw::net_device, info: *mut raw::ethtool_drvinfo) {
    // SAFETY: a valid, exclusively ours `ethtool_drvinfo` for the call.
    let Some(info) = (unsafe { info.as_mut() }) else {
        return;
    };
    // Zeroed by ethtool: copying fewer bytes than the field leaves a NUL.
    for (dst, src) in info.driver.iter_mut().zip(b"ipmp") {
        *dst = *src as _;
    }
}

/// Kernel callback.
///
/// # Safety
/// Only ethtool calls this, under RTNL, on a live ipmp device, with an
/// `ethtool_link_ksettings` it owns.
unsafe extern "C" fn get_link_ksettings(
    dev: *mut raw::net_device,
    cmd: *mut raw::ethtool_link_ksettings,
) -> c_int {
    // SAFETY: our live device, under RTNL (see the module comment); the
    // settings are ours to fill for the call.
    let (ipmp, rtnl, cmd) = unsafe { (IpmpDev::from_raw(dev), Rtnl::enter(), cmd.as_mut()) };
    let (Some(rtnl), Some(cmd)) = (rtnl, cmd) else {
        return EBUSY.to_errno();
    };
    let (speed, duplex) = match membership::link_speed(ipmp, &rtnl) {
        Some(link) => (
            link.speed_mbps,
            if link.full_duplex {
                raw::DUPLEX_FULL
            } else {
                raw::DUPLEX_HALF
            },
        ),
        None => (raw::SPEED_UNKNOWN as u32, raw::DUPLEX_UNKNOWN),
    };
    cmd.base.speed = speed;
    cmd.base.duplex = duplex as u8;
    cmd.base.port = raw::PORT_OTHER as u8;
    cmd.base.autoneg = raw::AUTONEG_DISABLE as u8;
    0
}
