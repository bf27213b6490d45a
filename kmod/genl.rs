// SPDX-License-Identifier: GPL-2.0
//! The commands of the generic netlink family `ipmp` (interface in
//! `uapi`): what each request changes or answers, each object's
//! attributes, dumps, and events.
//!
//! Handlers run with RTNL, taken by `genl_wire` (generic netlink does not
//! hold it; the family has `parallel_ops`), look devices up in the
//! requester's network namespace only, and refuse with an extack message.
//! Events go to the `events` multicast group of the namespace the group
//! device is in. The C side is in `genl_family` and `genl_wire`.

use crate::genl_msgs::{fill_group, fill_member};
use crate::genl_wire::{Dump, Request};
use crate::group_settings::{self, GroupSettings};
use crate::ipmpdev::IpmpDev;
use crate::membership;
use crate::rtnl::Rtnl;
use crate::rxhandler;
use crate::table::{Member, MemberTable};
use crate::uapi::*;
use kernel::prelude::*;
use kernel::sync::Arc;

fn ipmp_device<'s>(req: &mut Request, ifindex: u32, rtnl: &Rtnl<'s>) -> Result<&'s IpmpDev> {
    let dev = req.device(ifindex, rtnl)?;
    IpmpDev::from_netdev(dev).ok_or_else(|| {
        req.extack
            .set(format_args!("{} is not an IPMP interface", dev.name()));
        EINVAL
    })
}

fn member_device(req: &mut Request, ifindex: u32, rtnl: &Rtnl<'_>) -> Result<Arc<Member>> {
    let dev = req.device(ifindex, rtnl)?;
    rxhandler::member_of(dev, rtnl).ok_or_else(|| {
        req.extack
            .set(format_args!("{} is not in an IPMP group", dev.name()));
        EINVAL
    })
}

/// GROUP_GET of one group.
pub(crate) fn group_get(req: &mut Request, rtnl: &mut Rtnl<'_>) -> Result {
    let ifindex = req.required_u32(A_IFINDEX, "IFINDEX")?;
    let ipmp = ipmp_device(req, ifindex, rtnl)?;
    req.reply(CMD_GROUP_GET, |w| fill_group(w, ipmp, rtnl))
}

/// GROUP_SET: name, announcements, policy; all checked before any is
/// changed.
pub(crate) fn group_set(req: &mut Request, rtnl: &mut Rtnl<'_>) -> Result {
    let ifindex = req.required_u32(A_IFINDEX, "IFINDEX")?;
    let ipmp = ipmp_device(req, ifindex, rtnl)?;
    let settings = GroupSettings::parse(&req.attrs, &group_settings::GENL, &mut req.extack)?;
    settings.apply(ipmp, rtnl)
}

/// MEMBER_GET of one member.
pub(crate) fn member_get(req: &mut Request, rtnl: &mut Rtnl<'_>) -> Result {
    let ifindex = req.required_u32(A_IFINDEX, "IFINDEX")?;
    let member = member_device(req, ifindex, rtnl)?;
    let table = member.group().group().members_rtnl(rtnl);
    req.reply(CMD_MEMBER_GET, |w| fill_member(w, &member, table))
}

/// MEMBER_SET: a member's flags.
pub(crate) fn member_set(req: &mut Request, rtnl: &mut Rtnl<'_>) -> Result {
    let ifindex = req.required_u32(A_IFINDEX, "IFINDEX")?;
    let flags = req.required_u32(A_FLAGS, "FLAGS")?;
    let mask = req.required_u32(A_FLAGS_MASK, "FLAGS_MASK")?;
    if (flags | mask) & !MEMBER_F_ALL != 0 {
        req.extack.set(format_args!(
            "unknown member flag bits {:#x}",
            (flags | mask) & !MEMBER_F_ALL
        ));
        return Err(EINVAL);
    }
    let member = member_device(req, ifindex, rtnl)?;
    membership::set_member_flags(member.group(), &member, flags, mask, rtnl)
}

/// GROUP_GET dump: every group of the namespace.
pub(crate) fn group_dump(dump: &mut Dump<'_>, rtnl: &Rtnl<'_>) {
    let skip = dump.position(0);
    for (i, ipmp) in dump.groups(rtnl).enumerate().skip(skip) {
        if !dump.put(CMD_GROUP_GET, |w| fill_group(w, ipmp, rtnl)) {
            break;
        }
        dump.set_position(0, i + 1);
    }
}

/// Runs a dump of per-group objects (members, bindings) over the groups
/// of the namespace, or the one named by GROUP_IFINDEX. `emit` puts the
/// objects of one group from position `skip` on and returns how many it
/// put, or `Err(put)` if the skb filled up (the dump then resumes there).
fn dump_per_group<'s>(
    dump: &mut Dump<'_>,
    rtnl: &Rtnl<'s>,
    emit: impl Fn(&mut Dump<'_>, &'s IpmpDev, usize) -> Result<usize, usize>,
) {
    let only = dump.attrs.u32(A_GROUP_IFINDEX);
    let skip_groups = dump.position(0);
    let groups = dump
        .groups(rtnl)
        .filter(|g| only.map_or(true, |i| g.netdev().ifindex() as u32 == i))
        .enumerate()
        .skip(skip_groups);
    for (gi, ipmp) in groups {
        let skip = dump.position(1);
        match emit(dump, ipmp, skip) {
            Ok(_) => {
                dump.set_position(0, gi + 1);
                dump.set_position(1, 0);
            }
            Err(done) => {
                dump.set_position(1, skip + done);
                return;
            }
        }
    }
}

/// MEMBER_GET dump: the members of every group (or of one).
pub(crate) fn member_dump(dump: &mut Dump<'_>, rtnl: &Rtnl<'_>) {
    dump_per_group(dump, rtnl, |dump, ipmp, skip| {
        let table = ipmp.group().members_rtnl(rtnl);
        let members = table.into_iter().flat_map(MemberTable::iter).skip(skip);
        let mut put = 0;
        for m in members {
            if !dump.put(CMD_MEMBER_GET, |w| fill_member(w, m, table)) {
                return Err(put);
            }
            put += 1;
        }
        Ok(put)
    })
}

/// BINDING_GET dump: every data address of every group (or of one), and
/// the member it is bound to.
pub(crate) fn binding_dump(dump: &mut Dump<'_>, rtnl: &Rtnl<'_>) {
    dump_per_group(dump, rtnl, |dump, ipmp, skip| {
        let table = ipmp.group().members_rtnl(rtnl);
        let bindings = table.map_or(&[][..], MemberTable::bindings);
        let mut put = 0;
        for b in bindings.iter().skip(skip) {
            let member = b.member.and_then(|id| table.and_then(|t| t.member(id)));
            let ok = dump.put(CMD_BINDING_GET, |w| {
                w.u32(A_GROUP_IFINDEX, ipmp.netdev().ifindex() as u32)?;
                w.addr(A_ADDRESS, &b.addr)?;
                match member {
                    Some(m) => w.u32(A_IFINDEX, m.dev().ifindex() as u32),
                    None => Ok(()),
                }
            });
            if !ok {
                return Err(put);
            }
            put += 1;
        }
        Ok(put)
    })
}
