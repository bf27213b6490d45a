// SPDX-License-Identifier: GPL-2.0
//! The group state in an ipmp device's private area: [`IpmpDev::group`].
//!
//! Apart from `ipmpdev` so that the device type sits below the group
//! state (member entries point back to their group device) and this
//! accessor above both.

use crate::bindings::raw;
use crate::group::Group;
use crate::ipmpdev::IpmpDev;

impl IpmpDev {
    /// The group state.
    pub(crate) fn group(&self) -> &Group {
        // SAFETY: live ipmp device (type invariant); `netdev_priv()` is
        // its private area, which holds an initialised `Group`
        // (`link::setup`) and lives as long as the device.
        unsafe { &*raw::ipmp_netdev_priv(self.netdev().as_raw()).cast::<Group>() }
    }
}
