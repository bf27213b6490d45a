// SPDX-License-Identifier: GPL-2.0
//! The group state in an ipmp device's private area: [`IpmpDev::group`].
//!
//! Apart from `ipmpdev` so that the device type sits below the group
//! state (member entries point back to their group device) and this
//! accessor above both.

use crate::group::Group;
use crate::ipmpdev::IpmpDev;

impl IpmpDev {
    /// The group state.
    pub(crate) fn group(&self) -> &Group {
        let dev = self.netdev().as_raw();
        // SAFETY: live ipmp device (type invariant); its private area
        // (`netdev_priv()`, which is `dev->priv`: read here without a
        // call, as the transmit and receive paths ask for it per packet)
        // holds an initialised `Group` (`link::setup`) and lives as long as
        // the device.
        unsafe { &*core::ptr::addr_of!((*dev).priv_).cast::<Group>() }
    }
}
