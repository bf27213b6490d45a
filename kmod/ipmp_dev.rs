// SPDX-License-Identifier: GPL-2.0
//! IPMP for Linux: IP network multipathing group devices.
//!
//! `ip link add itops0 type ipmp` creates a group device;
//! `ip link set net0 master itops0` makes an Ethernet device one of its
//! members. Members keep their own MAC addresses and may carry their own
//! (test) addresses; the group device carries the data addresses.
//!
//! Layout: `link` (link kind and device ops), `group` (membership and
//! publication of the RCU member table), `table` (members, active set,
//! nominees), `xmit`/`rx` (fast path), `notifier` (member device
//! events), `rxfilter` (the group's receive filter on its members),
//! `upper` (devices stacked on a group), `ethtool`; pure
//! logic shared with userspace tests: `policy`, `flowtab`, `frames`,
//! `uapi`; the thin safe layer over the raw `bindings`: `netdev`, `skb`,
//! `rcu`, `rtnl`.

use kernel::prelude::*;

#[allow(unreachable_pub)]
mod binding;
mod bindings;
mod delayed_work;
mod ethtool;
#[allow(unreachable_pub)]
mod flowtab;
#[allow(unreachable_pub)]
mod frames;
mod genl;
mod genl_family;
mod genl_msgs;
mod genl_wire;
mod group;
mod group_priv;
mod group_settings;
mod ipmpdev;
mod link;
mod link_info;
mod membership;
mod netdev;
mod notifier;
#[allow(unreachable_pub)]
mod policy;
mod rcu;
mod rtnl;
mod rx;
mod rxfilter;
mod rxhandler;
mod skb;
mod table;
#[allow(unreachable_pub, dead_code)]
mod uapi;
mod upper;
mod work;
mod xmit;

module! {
    type: IpmpModule,
    name: "ipmp",
    author: "IPMP for Linux developers",
    description: "IP network multipathing (IPMP) group devices",
    license: "GPL",
    alias: ["rtnl-link-ipmp"],
}

struct IpmpModule {
    // Dropped in declaration order: first the link kind (deleting every
    // group and releasing its members), then the notifier, then the
    // generic netlink family (which events need until then).
    _link: link::Registration,
    _addr_notifier: notifier::AddrRegistration,
    _notifier: notifier::Registration,
    _genl: genl_family::Registration,
    // Last: waits for the RCU callbacks that free replaced tables.
    _rcu_barrier: rcu::Barrier,
}

impl kernel::Module for IpmpModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let genl = genl_family::Registration::new(module)?;
        let notifier = notifier::Registration::new()?;
        let addr_notifier = notifier::AddrRegistration::new()?;
        let link = link::Registration::new()?;
        pr_info!("loaded: link kind \"ipmp\", generic netlink family \"ipmp\"\n");
        Ok(Self {
            _link: link,
            _addr_notifier: addr_notifier,
            _notifier: notifier,
            _rcu_barrier: rcu::Barrier,
            _genl: genl,
        })
    }
}
