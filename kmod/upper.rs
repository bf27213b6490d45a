// SPDX-License-Identifier: GPL-2.0
//! Devices stacked on a group.
//!
//! A group sends every frame with one of its members' own MAC addresses
//! as the source, and peers learn those MACs (ARP and neighbour discovery
//! are rewritten to carry them). Devices that need frames to leave with
//! their own MAC, or to arrive at it, cannot work above that: they are
//! refused when they are linked (NETDEV_PRECHANGEUPPER), with a message
//! saying why, instead of being silently broken. VLANs work: they only
//! tag the group's frames.

use crate::bindings::raw;
use crate::netdev::{ExtAck, NetDev};
use kernel::{c_str, prelude::*, str::CStr};

/// Why an upper device of this kind cannot work on a group (the whole
/// extack message: static, so not cut at the 80 bytes of a formatted
/// one); `None` if it can.
fn refusal(kind: &[u8]) -> Option<&'static CStr> {
    match kind {
        b"bridge" => Some(c_str!(
            "a bridge cannot be stacked on an IPMP group: the frames it forwards for \
             other hosts would leave with a member's MAC address as their source"
        )),
        b"macvlan" | b"macvtap" => Some(c_str!(
            "a macvlan cannot be stacked on an IPMP group: peers would never see its MAC \
             address, as the group's frames leave with its members' MAC addresses"
        )),
        b"ipvlan" | b"ipvtap" => Some(c_str!(
            "an ipvlan cannot be stacked on an IPMP group: peers reach the group at its \
             members' MAC addresses, never at the group's own, which an ipvlan shares"
        )),
        _ => None,
    }
}

/// `upper` is about to be linked above the group: refused, with the
/// reason in `extack`, if it cannot work there.
pub(crate) fn check_upper(upper: &NetDev, extack: &mut ExtAck) -> Result {
    match refusal(upper.kind()) {
        Some(why) => {
            extack.set_static(why);
            Err(Error::from_errno(-(raw::EOPNOTSUPP as i32)))
        }
        None => Ok(()),
    }
}
