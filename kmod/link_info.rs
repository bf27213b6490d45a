// SPDX-License-Identifier: GPL-2.0
//! What rtnetlink says of a group and its members, and what it changes
//! there: IFLA_INFO_DATA of an ipmp device (`ip -d link show itops0`,
//! `ip link add|set itops0 type ipmp ...`) and IFLA_INFO_SLAVE_DATA of a
//! member (`ip -d link show net0`, `ip link set net0 type ipmp_slave
//! standby on`). The attributes are `uapi::IFLA_IPMP_*`.
//!
//! The fill functions run inside any RTNL section, the module's own
//! included (a member's state change is announced from within it), so
//! they read what they report under RCU and hold no token.

use crate::genl_msgs::group_state;
use crate::genl_wire::{Attrs, Writer};
use crate::group_settings::{self, GroupSettings};
use crate::ipmpdev::IpmpDev;
use crate::membership;
use crate::netdev::{ExtAck, NetDev};
use crate::rcu::RcuGuard;
use crate::rtnl::Rtnl;
use crate::rxhandler;
use crate::table::{Member, MemberTable};
use crate::uapi::*;
use kernel::prelude::*;

/// Room an attribute with `payload` bytes takes (`nla_total_size()`).
const fn nla_total(payload: usize) -> usize {
    4 + ((payload + 3) & !3)
}

/// Room `fill_info` needs (`rtnl_link_ops::get_size`).
pub(crate) const INFO_SIZE: usize =
    nla_total(GROUP_NAME_MAX + 1) + 2 * nla_total(1) + 4 * nla_total(4);

/// Room `fill_slave_info` needs (`rtnl_link_ops::get_slave_size`).
pub(crate) const SLAVE_INFO_SIZE: usize = 6 * nla_total(1) + 2 * nla_total(4);

/// The group's settings and state.
pub(crate) fn fill_info(w: &mut Writer, ipmp: &IpmpDev, rcu: &RcuGuard) -> Result {
    let group = ipmp.group();
    let table = group.table(rcu);
    match group.name() {
        Some(name) => w.string(IFLA_IPMP_GROUP_NAME, name.as_bytes())?,
        None => w.string(IFLA_IPMP_GROUP_NAME, ipmp.netdev().name().as_bytes())?,
    }
    w.u8(IFLA_IPMP_POLICY, group.policy())?;
    w.u32(IFLA_IPMP_ANNOUNCE_COUNT, group.announce_count())?;
    w.u32(IFLA_IPMP_ANNOUNCE_INTERVAL, group.announce_interval_ms())?;
    w.u8(IFLA_IPMP_STATE, group_state(table))?;
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    w.u32(IFLA_IPMP_MEMBERS, table.map_or(0, |t| count(t.len())))?;
    w.u32(
        IFLA_IPMP_ACTIVE_MEMBERS,
        table.map_or(0, |t| count(t.active_ids().len())),
    )
}

/// A member's flags, activity, roles and bound addresses.
pub(crate) fn fill_slave_info(
    w: &mut Writer,
    member: &Member,
    table: Option<&MemberTable>,
) -> Result {
    let flags = member.flags();
    let flag = |f: u32| u8::from(flags & f != 0);
    w.u8(IFLA_IPMP_SLAVE_STANDBY, flag(MEMBER_F_STANDBY))?;
    w.u8(IFLA_IPMP_SLAVE_INACTIVE, flag(MEMBER_F_INACTIVE))?;
    w.u8(IFLA_IPMP_SLAVE_FAILED, flag(MEMBER_F_FAILED))?;
    w.u8(IFLA_IPMP_SLAVE_OFFLINE, flag(MEMBER_F_OFFLINE))?;
    w.u8(IFLA_IPMP_SLAVE_LINK, u8::from(member.dev().is_usable()))?;
    w.u8(
        IFLA_IPMP_SLAVE_ACTIVE,
        u8::from(table.is_some_and(|t| t.is_active(member.id()))),
    )?;
    w.u32(
        IFLA_IPMP_SLAVE_NOMINEE,
        table.map_or(0, |t| t.roles_of(member.id())),
    )?;
    let bound = table.map_or(0, |t| {
        t.bindings()
            .iter()
            .filter(|b| b.member == Some(member.id()))
            .count()
    });
    w.u32(
        IFLA_IPMP_SLAVE_ADDRESSES,
        u32::try_from(bound).unwrap_or(u32::MAX),
    )
}

/// `ip link set itops0 type ipmp ...`: all settings checked, then applied.
pub(crate) fn changelink(
    ipmp: &IpmpDev,
    attrs: &Attrs,
    extack: &mut ExtAck,
    rtnl: &mut Rtnl<'_>,
) -> Result {
    GroupSettings::parse(attrs, &group_settings::LINK, extack)?.apply(ipmp, rtnl)
}

/// `ip link set net0 type ipmp_slave standby on|off`: the administrator's
/// standby flag, as `ipmpadm set-member --standby` sets it (in.mpathd
/// hears of it through the family's event).
pub(crate) fn slave_changelink(
    slave: &NetDev,
    attrs: &Attrs,
    extack: &mut ExtAck,
    rtnl: &mut Rtnl<'_>,
) -> Result {
    let Some(member) = rxhandler::member_of(slave, rtnl) else {
        extack.set(format_args!("{} is not in an IPMP group", slave.name()));
        return Err(EINVAL);
    };
    let Some(standby) = attrs.u8(IFLA_IPMP_SLAVE_STANDBY) else {
        return Ok(());
    };
    let flags = match standby {
        0 => 0,
        1 => MEMBER_F_STANDBY,
        _ => {
            extack.set(format_args!("standby is on (1) or off (0)"));
            return Err(EINVAL);
        }
    };
    membership::set_member_flags(member.group(), &member, flags, MEMBER_F_STANDBY, rtnl)
}
