// SPDX-License-Identifier: GPL-2.0
//! A group's deferred work: syncing its data addresses into the member
//! table after address events (and its members' own addresses into their
//! entries), and announcing bindings.
//!
//! Both are delayed works on the system workqueue (`delayed_work`'s
//! `GroupWork`), embedded in the group's private area and disabled
//! (synchronously) in `ndo_uninit`, so the device outlives them. They need RTNL but must not
//! block on it: the disabler holds RTNL while waiting for them, so they
//! `rtnl_trylock()` and retry a millisecond later, as bonding's works do.

use crate::binding::{Addr, MAX_ADDRS};
use crate::delayed_work::{DelayedWork, GroupJobs, GroupWork};
use crate::ipmpdev::IpmpDev;
use crate::membership;
use crate::rtnl::{self, Rtnl};
use core::sync::atomic::Ordering;

/// Runs `f` under RTNL, or reschedules `work` if RTNL is busy.
fn with_rtnl_or_retry(work: &DelayedWork, f: impl FnOnce(&mut Rtnl<'_>)) {
    if rtnl::try_with_lock(f).is_none() {
        work.schedule_ms(1);
    }
}

/// The jobs of a group's works.
pub(crate) struct Jobs;

impl GroupJobs for Jobs {
    fn sync_addresses(w: &GroupWork) {
        sync_addresses(w);
    }

    fn announce(w: &GroupWork) {
        announce(w);
    }
}

/// The group device of `w`, unless the works are being disabled.
fn group_dev(w: &GroupWork) -> Option<&IpmpDev> {
    w.dev().and_then(IpmpDev::from_netdev)
}

/// The address sync: rereads the group's addresses under RTNL and binds
/// them, and which kinds of address its members own.
fn sync_addresses(w: &GroupWork) {
    with_rtnl_or_retry(&w.sync, |rtnl| {
        let Some(ipmp) = group_dev(w) else {
            return; // being disabled
        };
        let mut addrs = [Addr::default(); MAX_ADDRS];
        let n = ipmp.netdev().ip_addresses(&mut addrs, rtnl);
        membership::set_addresses(ipmp, addrs.get(..n).unwrap_or(&[]), rtnl);
        membership::refresh_own_kinds(ipmp, rtnl);
    });
}

/// One announcement round.
fn announce(w: &GroupWork) {
    if w.announce_left.load(Ordering::Relaxed) == 0 {
        return;
    }
    with_rtnl_or_retry(&w.announce, |rtnl| {
        let Some(ipmp) = group_dev(w) else {
            return; // being disabled
        };
        if ipmp.netdev().is_running() {
            // Gratuitous ARP for every IPv4 address and unsolicited
            // neighbour advertisements for every IPv6 address of the group;
            // the transmit path sends each through its bound member, with
            // that member's MAC.
            ipmp.netdev().notify_peers(rtnl);
        }
        let left = w.announce_left.load(Ordering::Relaxed).saturating_sub(1);
        w.announce_left.store(left, Ordering::Relaxed);
        if left > 0 {
            w.announce.schedule_ms(ipmp.group().announce_interval_ms());
        }
    });
}
