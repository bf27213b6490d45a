// SPDX-License-Identifier: GPL-2.0
//! What the generic netlink family says of groups and members: their
//! attributes (shared by replies, dumps and events) and the events
//! multicast when members come, go or change.

use crate::genl_wire::{self, Writer};
use crate::ipmpdev::IpmpDev;
use crate::rtnl::Rtnl;
use crate::table::{Member, MemberTable};
use crate::uapi::*;
use kernel::prelude::*;

pub(crate) fn fill_group(w: &mut Writer, ipmp: &IpmpDev, rtnl: &Rtnl<'_>) -> Result {
    let dev = ipmp.netdev();
    let group = ipmp.group();
    let table = group.members_rtnl(rtnl);
    w.u32(A_IFINDEX, dev.ifindex() as u32)?;
    w.string(A_IFNAME, dev.name().as_bytes())?;
    match group.name() {
        Some(name) => w.string(A_GROUP_NAME, name.as_bytes())?,
        None => w.string(A_GROUP_NAME, dev.name().as_bytes())?,
    }
    w.u8(A_GROUP_STATE, group_state(table))?;
    w.u8(A_POLICY, group.policy())?;
    w.u32(A_ANNOUNCE_COUNT, group.announce_count())?;
    w.u32(A_ANNOUNCE_INTERVAL, group.announce_interval_ms())?;
    w.nest(A_MEMBERS, |w| {
        for m in table.into_iter().flat_map(MemberTable::iter) {
            w.u32(A_IFINDEX, m.dev().ifindex() as u32)?;
        }
        Ok(())
    })
}

/// ok: every member functions; degraded: some; failed: none (or no member).
pub(crate) fn group_state(table: Option<&MemberTable>) -> u8 {
    let (mut all, mut working) = (0, 0);
    for m in table.into_iter().flat_map(MemberTable::iter) {
        all += 1;
        if m.functioning() {
            working += 1;
        }
    }
    match working {
        0 => GROUP_STATE_FAILED,
        w if w == all => GROUP_STATE_OK,
        _ => GROUP_STATE_DEGRADED,
    }
}

pub(crate) fn fill_member(w: &mut Writer, member: &Member, table: Option<&MemberTable>) -> Result {
    let dev = member.dev();
    w.u32(A_IFINDEX, dev.ifindex() as u32)?;
    w.string(A_IFNAME, dev.name().as_bytes())?;
    w.u32(A_GROUP_IFINDEX, member.group().netdev().ifindex() as u32)?;
    w.u32(A_FLAGS, member.flags())?;
    w.u8(A_CARRIER, u8::from(dev.is_usable()))?;
    w.u8(
        A_ACTIVE,
        u8::from(table.is_some_and(|t| t.is_active(member.id()))),
    )?;
    w.u32(A_NOMINEE, table.map_or(0, |t| t.roles_of(member.id())))?;
    w.nest(A_ADDRESSES, |w| {
        let bound = table
            .into_iter()
            .flat_map(|t| t.bindings().iter())
            .filter(|b| b.member == Some(member.id()));
        for b in bound {
            w.addr(A_ADDRESS, &b.addr)?;
        }
        Ok(())
    })?;
    let (rx, tx) = dev.packet_counts();
    w.u64(A_RX_PACKETS, rx)?;
    w.u64(A_TX_PACKETS, tx)
}

/// Multicasts `event` about `member` to the group device's namespace.
pub(crate) fn notify_member(member: &Member, event: u8, rtnl: &Rtnl<'_>) {
    let table = member.group().group().members_rtnl(rtnl);
    genl_wire::multicast(member.group().netdev(), CMD_EVENT, |w| {
        fill_member(w, member, table)?;
        w.u8(A_EVENT, event)
    });
}
