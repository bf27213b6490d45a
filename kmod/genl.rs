// SPDX-License-Identifier: GPL-2.0
//! The generic netlink family `ipmp` (interface defined in `uapi`).
//!
//! Handlers take RTNL themselves (generic netlink does not hold it; the
//! family has `parallel_ops`), look devices up in the requester's network
//! namespace, and refuse with an extack message. Mutating commands are
//! `GENL_ADMIN_PERM` (CAP_NET_ADMIN in the namespace). Events go to the
//! `events` multicast group of the namespace the group device is in.

use crate::binding::Addr;
use crate::bindings::raw;
use crate::group::{self, IpmpDev};
use crate::link::{self, OpsTable};
use crate::netdev::{ExtAck, NetDev};
use crate::rtnl::{self, Rtnl};
use crate::table::{Member, MemberTable};
use crate::uapi::*;
use core::ffi::c_int;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::sync::Arc;
use kernel::{error::to_result, prelude::*};

const N_ATTRS: usize = A_MAX as usize + 1;

const fn policy(kind: u32, len: u16) -> raw::nla_policy {
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

const fn name16(s: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && i < 15 {
        out[i] = b[i];
        i += 1;
    }
    out
}

static MCGRPS: OpsTable<[raw::genl_multicast_group; 1]> =
    OpsTable::new([raw::genl_multicast_group {
        name: name16(GENL_MCGRP_EVENTS),
        flags: 0,
    }]);

static FAMILY: OpsTable<raw::genl_family> = OpsTable::new(raw::genl_family {
    name: name16(GENL_NAME),
    version: GENL_VERSION as u32,
    maxattr: A_MAX as u32,
    n_small_ops: 5,
    n_mcgrps: 1,
    // SAFETY: all-zero is the valid default for the other fields (no
    // pre/post hooks, no private data; `id` etc. filled at registration).
    ..unsafe { core::mem::zeroed() }
});

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
// Building messages
// ---------------------------------------------------------------------------

/// A message being filled in some skb.
struct Writer {
    skb: *mut raw::sk_buff,
}

impl Writer {
    fn put(&mut self, attr: u16, data: &[u8]) -> Result {
        let len = c_int::try_from(data.len()).map_err(|_| EINVAL)?;
        // SAFETY: `skb` is a message skb we are filling; `data` is valid
        // for `len` bytes; nla_put() fails with -EMSGSIZE when it is full.
        to_result(unsafe { raw::nla_put(self.skb, c_int::from(attr), len, data.as_ptr().cast()) })
    }

    fn u8(&mut self, attr: u16, v: u8) -> Result {
        self.put(attr, &[v])
    }

    fn u32(&mut self, attr: u16, v: u32) -> Result {
        self.put(attr, &v.to_ne_bytes())
    }

    /// A u64, preceded by an `A_PAD` attribute where needed so that its
    /// payload is 8-byte aligned (`nla_put_u64_64bit()`).
    fn u64(&mut self, attr: u16, v: u64) -> Result {
        let bytes = v.to_ne_bytes();
        // SAFETY: `skb` is a message skb we are filling; `bytes` is valid
        // for 8 bytes; nla_put_64bit() fails with -EMSGSIZE when it is full.
        to_result(unsafe {
            raw::nla_put_64bit(
                self.skb,
                c_int::from(attr),
                8,
                bytes.as_ptr().cast(),
                c_int::from(A_PAD),
            )
        })
    }

    fn addr(&mut self, attr: u16, a: &Addr) -> Result {
        match a {
            Addr::V4(a) => self.put(attr, a),
            Addr::V6(a) => self.put(attr, a),
        }
    }

    /// A NUL-terminated string attribute.
    fn string(&mut self, attr: u16, s: &[u8]) -> Result {
        let mut buf = [0u8; 33];
        let n = s.len().min(buf.len() - 1);
        buf.get_mut(..n)
            .ok_or(EINVAL)?
            .copy_from_slice(s.get(..n).ok_or(EINVAL)?);
        self.put(attr, buf.get(..=n).ok_or(EINVAL)?)
    }

    fn nest(&mut self, attr: u16, fill: impl FnOnce(&mut Self) -> Result) -> Result {
        // SAFETY: as in `put`.
        let start = unsafe { raw::ipmp_nla_nest_start(self.skb, c_int::from(attr)) };
        if start.is_null() {
            return Err(ENOSPC);
        }
        fill(self)?;
        // SAFETY: `start` was returned by the nest start on this skb.
        unsafe { raw::ipmp_nla_nest_end(self.skb, start) };
        Ok(())
    }
}

fn fill_group(w: &mut Writer, ipmp: &IpmpDev, rtnl: &Rtnl<'_>) -> Result {
    let dev = ipmp.netdev();
    let group = ipmp.group();
    let table = group.members_rtnl(rtnl);
    w.u32(A_IFINDEX, dev.ifindex() as u32)?;
    w.string(A_IFNAME, dev.name().as_bytes())?;
    w.string(
        A_GROUP_NAME,
        group.name(rtnl).unwrap_or(dev.name().as_bytes()),
    )?;
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
fn group_state(table: Option<&MemberTable>) -> u8 {
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

fn fill_member(w: &mut Writer, member: &Member, table: Option<&MemberTable>) -> Result {
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

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

/// The attributes of a request.
struct Attrs(*mut *mut raw::nlattr);

impl Attrs {
    fn get(&self, attr: u16) -> Option<&[u8]> {
        if self.0.is_null() {
            return None;
        }
        // SAFETY: the core parsed the request into an array of `A_MAX + 1`
        // entries, NULL where absent, and `attr <= A_MAX`.
        let nla = unsafe { *self.0.add(usize::from(attr).min(A_MAX as usize)) };
        if nla.is_null() {
            return None;
        }
        // SAFETY: a parsed, policy-validated attribute of the request,
        // alive for the request.
        unsafe {
            let len = usize::try_from(raw::ipmp_nla_len(nla)).ok()?;
            Some(core::slice::from_raw_parts(
                raw::ipmp_nla_data(nla).cast::<u8>(),
                len,
            ))
        }
    }

    fn u32(&self, attr: u16) -> Option<u32> {
        Some(u32::from_ne_bytes(
            self.get(attr)?.get(..4)?.try_into().ok()?,
        ))
    }

    fn u8(&self, attr: u16) -> Option<u8> {
        self.get(attr)?.first().copied()
    }

    /// A NUL_STRING attribute without its NUL.
    fn string(&self, attr: u16) -> Option<&[u8]> {
        let s = self.get(attr)?;
        Some(s.split(|&b| b == 0).next().unwrap_or(s))
    }
}

/// What a doit handler gets.
struct Request {
    info: *mut raw::genl_info,
    attrs: Attrs,
    extack: ExtAck,
}

impl Request {
    /// # Safety
    /// `info` is the genl_info of the request being handled.
    unsafe fn new(info: *mut raw::genl_info) -> Self {
        // SAFETY: valid for the request (caller).
        let (attrs, extack) = unsafe { ((*info).attrs, (*info).extack) };
        // SAFETY: the request's own extack, ours for the handler's duration.
        let extack = unsafe { ExtAck::from_raw(extack) };
        Self {
            info,
            attrs: Attrs(attrs),
            extack,
        }
    }

    fn net(&self) -> *mut raw::net {
        // SAFETY: valid request.
        unsafe { raw::ipmp_genl_info_net(self.info) }
    }

    fn required_u32(&mut self, attr: u16, what: &str) -> Result<u32> {
        match self.attrs.u32(attr) {
            Some(v) => Ok(v),
            None => {
                self.extack.set(format_args!("missing attribute: {what}"));
                Err(EINVAL)
            }
        }
    }

    /// The device with `ifindex` in the requester's namespace.
    fn device<'s>(&mut self, ifindex: u32, _rtnl: &Rtnl<'s>) -> Result<&'s NetDev> {
        let idx = c_int::try_from(ifindex).map_err(|_| EINVAL)?;
        // SAFETY: RTNL held (token), valid namespace of the request.
        let dev = unsafe { raw::__dev_get_by_index(self.net(), idx) };
        if dev.is_null() {
            self.extack
                .set(format_args!("no interface with index {ifindex}"));
            return Err(ENODEV);
        }
        // SAFETY: a registered device is not freed before RTNL is released,
        // after the section 's.
        Ok(unsafe { NetDev::from_raw(dev) })
    }

    /// Replies with one object filled by `fill`.
    fn reply(&mut self, cmd: u8, fill: impl FnOnce(&mut Writer) -> Result) -> Result {
        let msg = Message::new()?;
        // SAFETY: valid request and a fresh message skb.
        let hdr = unsafe { raw::ipmp_genlmsg_put_reply(msg.0, self.info, FAMILY.as_ptr(), cmd) };
        if hdr.is_null() {
            return Err(ENOMEM);
        }
        fill(&mut Writer { skb: msg.0 })?;
        // SAFETY: `hdr` belongs to this message.
        unsafe { raw::ipmp_genlmsg_end(msg.0, hdr) };
        let skb = msg.into_raw();
        // SAFETY: consumes the message in all cases.
        to_result(unsafe { raw::ipmp_genlmsg_reply(skb, self.info) })
    }
}

/// A message skb we own until it is sent.
struct Message(*mut raw::sk_buff);

impl Message {
    fn new() -> Result<Self> {
        // SAFETY: allocation, process context.
        let skb = unsafe { raw::ipmp_genlmsg_new() };
        if skb.is_null() {
            return Err(ENOMEM);
        }
        Ok(Self(skb))
    }

    fn into_raw(self) -> *mut raw::sk_buff {
        let skb = self.0;
        core::mem::forget(self);
        skb
    }
}

impl Drop for Message {
    fn drop(&mut self) {
        // SAFETY: still ours (not sent).
        unsafe { raw::ipmp_nlmsg_free(self.0) };
    }
}

/// Runs a doit handler body and turns its result into an errno.
///
/// # Safety
/// `info` is the genl_info of the request being handled.
unsafe fn doit(
    info: *mut raw::genl_info,
    f: impl for<'s> FnOnce(&mut Request, &mut Rtnl<'s>) -> Result,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    let mut req = unsafe { Request::new(info) };
    match rtnl::with_lock(|rtnl| f(&mut req, rtnl)).and_then(|r| r) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

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
    link::member_of(dev, rtnl).ok_or_else(|| {
        req.extack
            .set(format_args!("{} is not in an IPMP group", dev.name()));
        EINVAL
    })
}

/// # Safety
/// Generic netlink doit callback.
unsafe extern "C" fn group_get_doit(_skb: *mut raw::sk_buff, info: *mut raw::genl_info) -> c_int {
    // SAFETY: called by generic netlink for a request.
    unsafe {
        doit(info, |req, rtnl| {
            let ifindex = req.required_u32(A_IFINDEX, "IFINDEX")?;
            let ipmp = ipmp_device(req, ifindex, rtnl)?;
            req.reply(CMD_GROUP_GET, |w| fill_group(w, ipmp, rtnl))
        })
    }
}

/// # Safety
/// Generic netlink doit callback.
unsafe extern "C" fn group_set_doit(_skb: *mut raw::sk_buff, info: *mut raw::genl_info) -> c_int {
    // SAFETY: called by generic netlink for a request.
    unsafe {
        doit(info, |req, rtnl| {
            let ifindex = req.required_u32(A_IFINDEX, "IFINDEX")?;
            let ipmp = ipmp_device(req, ifindex, rtnl)?;
            let group = ipmp.group();
            // Validate everything before changing anything.
            let policy = req.attrs.u8(A_POLICY);
            if policy.is_some_and(|p| p != POLICY_KERNEL && p != POLICY_DAEMON) {
                req.extack
                    .set(format_args!("POLICY must be 0 (kernel) or 1 (daemon)"));
                return Err(EINVAL);
            }
            let count = req.attrs.u32(A_ANNOUNCE_COUNT);
            if count.is_some_and(|c| c > ANNOUNCE_COUNT_MAX) {
                req.extack.set(format_args!(
                    "ANNOUNCE_COUNT is at most {ANNOUNCE_COUNT_MAX}"
                ));
                return Err(ERANGE);
            }
            let interval = req.attrs.u32(A_ANNOUNCE_INTERVAL);
            if interval.is_some_and(|i| i == 0 || i > ANNOUNCE_INTERVAL_MAX) {
                req.extack.set(format_args!(
                    "ANNOUNCE_INTERVAL is 1 to {ANNOUNCE_INTERVAL_MAX} ms"
                ));
                return Err(ERANGE);
            }
            let mut name = [0u8; GROUP_NAME_MAX];
            let name_len = match req.attrs.string(A_GROUP_NAME) {
                Some(n)
                    if n.is_empty()
                        || n.len() > GROUP_NAME_MAX
                        || !n.iter().all(|b| b.is_ascii_graphic()) =>
                {
                    req.extack.set(format_args!(
                        "GROUP_NAME is 1 to {GROUP_NAME_MAX} printable characters"
                    ));
                    return Err(EINVAL);
                }
                Some(n) => {
                    name.get_mut(..n.len()).ok_or(EINVAL)?.copy_from_slice(n);
                    Some(n.len())
                }
                None => None,
            };
            if let Some(len) = name_len {
                group.set_name(name.get(..len).ok_or(EINVAL)?, rtnl);
            }
            if let Some(c) = count {
                group.set_announce_count(c);
            }
            if let Some(i) = interval {
                group.set_announce_interval_ms(i);
            }
            if let Some(p) = policy {
                group::set_policy(ipmp, p, rtnl)?;
            }
            Ok(())
        })
    }
}

/// # Safety
/// Generic netlink doit callback.
unsafe extern "C" fn member_get_doit(_skb: *mut raw::sk_buff, info: *mut raw::genl_info) -> c_int {
    // SAFETY: called by generic netlink for a request.
    unsafe {
        doit(info, |req, rtnl| {
            let ifindex = req.required_u32(A_IFINDEX, "IFINDEX")?;
            let member = member_device(req, ifindex, rtnl)?;
            let table = member.group().group().members_rtnl(rtnl);
            req.reply(CMD_MEMBER_GET, |w| fill_member(w, &member, table))
        })
    }
}

/// # Safety
/// Generic netlink doit callback.
unsafe extern "C" fn member_set_doit(_skb: *mut raw::sk_buff, info: *mut raw::genl_info) -> c_int {
    // SAFETY: called by generic netlink for a request.
    unsafe {
        doit(info, |req, rtnl| {
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
            group::set_member_flags(member.group(), &member, flags, mask, rtnl)
        })
    }
}

// ---------------------------------------------------------------------------
// Dumps
// ---------------------------------------------------------------------------

/// Walks the ipmp devices of a namespace (RTNL held).
fn ipmp_devices<'s>(net: *mut raw::net, _rtnl: &Rtnl<'s>) -> impl Iterator<Item = &'s IpmpDev> {
    // SAFETY: RTNL held for the section 's, so the device list is stable
    // and every device on it stays allocated.
    let mut next = unsafe { raw::ipmp_first_netdev(net) };
    core::iter::from_fn(move || {
        while !next.is_null() {
            // SAFETY: a device on the list (see above).
            let dev = unsafe { NetDev::from_raw(next) };
            // SAFETY: as above.
            next = unsafe { raw::ipmp_next_netdev(next) };
            if let Some(ipmp) = IpmpDev::from_netdev(dev) {
                return Some(ipmp);
            }
        }
        None
    })
}

/// Changes of any group's membership, state or bindings, counted (never
/// 0, which the core takes for "no generation yet").
static GENERATION: AtomicU32 = AtomicU32::new(1);

/// Something a dump shows changed (under RTNL): dumps in progress are
/// flagged inconsistent from their next part on.
pub(crate) fn bump_generation(_rtnl: &Rtnl<'_>) {
    let next = GENERATION.load(Ordering::Relaxed).wrapping_add(1).max(1);
    GENERATION.store(next, Ordering::Relaxed);
}

fn generation(_rtnl: &Rtnl<'_>) -> u32 {
    GENERATION.load(Ordering::Relaxed)
}

/// Runs a dump: `emit` adds objects through `put`, which returns false
/// once the skb is full; `args` keeps the position between calls.
///
/// # Safety
/// Generic netlink dumpit arguments.
unsafe fn dumpit(
    skb: *mut raw::sk_buff,
    cb: *mut raw::netlink_callback,
    emit: impl for<'s> FnOnce(&mut Dump<'_>, *mut raw::net, &Rtnl<'s>),
) -> c_int {
    // SAFETY: valid callback of the running dump.
    let (net, args) = unsafe { (raw::ipmp_dump_net(cb), raw::ipmp_dump_args(cb)) };
    // SAFETY: `args` is the callback's `long args[6]`, ours between calls.
    let args = unsafe { core::slice::from_raw_parts_mut(args, 2) };
    let mut dump = Dump { skb, cb, args };
    let _ = rtnl::with_lock(|rtnl| {
        // Under RTNL, which every change of the generation holds: a part
        // of the dump made at another generation than the previous part
        // is flagged NLM_F_DUMP_INTR, and the reader dumps again.
        // SAFETY: valid callback of the running dump.
        unsafe { raw::ipmp_dump_set_seq(cb, generation(rtnl)) };
        emit(&mut dump, net, rtnl)
    });
    // SAFETY: valid skb.
    unsafe { raw::ipmp_skb_len(skb) }
}

struct Dump<'a> {
    skb: *mut raw::sk_buff,
    cb: *mut raw::netlink_callback,
    args: &'a mut [isize],
}

impl Dump<'_> {
    /// Adds one object; false if it did not fit (the dump resumes there).
    fn put(&mut self, cmd: u8, fill: impl FnOnce(&mut Writer) -> Result) -> bool {
        // SAFETY: valid dump skb and callback.
        let hdr = unsafe { raw::ipmp_genlmsg_put_dump(self.skb, self.cb, FAMILY.as_ptr(), cmd) };
        if hdr.is_null() {
            return false;
        }
        // SAFETY: `hdr` was just put into this dump's skb.
        unsafe { raw::ipmp_genl_dump_check_consistent(self.cb, hdr) };
        if fill(&mut Writer { skb: self.skb }).is_err() {
            // SAFETY: `hdr` belongs to this skb; drops the partial object.
            unsafe { raw::ipmp_genlmsg_cancel(self.skb, hdr) };
            return false;
        }
        // SAFETY: as above.
        unsafe { raw::ipmp_genlmsg_end(self.skb, hdr) };
        true
    }
}

/// # Safety
/// Generic netlink dumpit callback.
unsafe extern "C" fn group_get_dumpit(
    skb: *mut raw::sk_buff,
    cb: *mut raw::netlink_callback,
) -> c_int {
    // SAFETY: called by generic netlink for a dump.
    unsafe {
        dumpit(skb, cb, |dump, net, rtnl| {
            let skip = usize::try_from(dump.args[0]).unwrap_or(0);
            for (i, ipmp) in ipmp_devices(net, rtnl).enumerate().skip(skip) {
                if !dump.put(CMD_GROUP_GET, |w| fill_group(w, ipmp, rtnl)) {
                    break;
                }
                dump.args[0] = (i + 1) as isize;
            }
        })
    }
}

/// Runs a dump of per-group objects (members, bindings) over the groups
/// of the namespace, or the one named by GROUP_IFINDEX. `emit` puts the
/// objects of one group from position `skip` on and returns how many it
/// put, or `None` if the skb filled up (the dump then resumes there).
///
/// # Safety
/// Generic netlink dumpit arguments.
unsafe fn dump_per_group(
    skb: *mut raw::sk_buff,
    cb: *mut raw::netlink_callback,
    emit: impl for<'s> Fn(&mut Dump<'_>, &'s IpmpDev, &Rtnl<'s>, usize) -> Result<usize, usize>,
) -> c_int {
    // SAFETY: called by generic netlink for a dump (caller).
    let attrs = Attrs(unsafe { raw::ipmp_dump_attrs(cb) });
    let only = attrs.u32(A_GROUP_IFINDEX);
    // SAFETY: as above.
    unsafe {
        dumpit(skb, cb, |dump, net, rtnl| {
            let skip_groups = usize::try_from(dump.args[0]).unwrap_or(0);
            let groups = ipmp_devices(net, rtnl)
                .filter(|g| only.map_or(true, |i| g.netdev().ifindex() as u32 == i))
                .enumerate()
                .skip(skip_groups);
            for (gi, ipmp) in groups {
                let skip = usize::try_from(dump.args[1]).unwrap_or(0);
                match emit(dump, ipmp, rtnl, skip) {
                    Ok(_) => {
                        dump.args[0] = (gi + 1) as isize;
                        dump.args[1] = 0;
                    }
                    Err(done) => {
                        dump.args[1] = (skip + done) as isize;
                        return;
                    }
                }
            }
        })
    }
}

/// # Safety
/// Generic netlink dumpit callback.
unsafe extern "C" fn member_get_dumpit(
    skb: *mut raw::sk_buff,
    cb: *mut raw::netlink_callback,
) -> c_int {
    // SAFETY: called by generic netlink for a dump.
    unsafe {
        dump_per_group(skb, cb, |dump, ipmp, rtnl, skip| {
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
}

/// # Safety
/// Generic netlink dumpit callback.
unsafe extern "C" fn binding_get_dumpit(
    skb: *mut raw::sk_buff,
    cb: *mut raw::netlink_callback,
) -> c_int {
    // SAFETY: called by generic netlink for a dump.
    unsafe {
        dump_per_group(skb, cb, |dump, ipmp, rtnl, skip| {
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
}

// ---------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------

/// Multicasts `event` about `member` to the group device's namespace.
/// Best effort: nobody listening, or no memory, is not an error.
pub(crate) fn notify_member(member: &Member, event: u8, rtnl: &Rtnl<'_>) {
    let Ok(msg) = Message::new() else { return };
    // SAFETY: a fresh message skb; a kernel-originated message has port 0.
    let hdr = unsafe { raw::genlmsg_put(msg.0, 0, 0, FAMILY.as_ptr(), 0, CMD_EVENT) };
    if hdr.is_null() {
        return;
    }
    let table = member.group().group().members_rtnl(rtnl);
    let mut w = Writer { skb: msg.0 };
    if fill_member(&mut w, member, table)
        .and_then(|()| w.u8(A_EVENT, event))
        .is_err()
    {
        return;
    }
    // SAFETY: `hdr` belongs to this message.
    unsafe { raw::ipmp_genlmsg_end(msg.0, hdr) };
    let net = member.group().netdev().net();
    // SAFETY: a registered family with one multicast group; consumes the
    // message whatever the result (-ESRCH when nobody listens).
    let _ = unsafe { raw::ipmp_genlmsg_multicast(FAMILY.as_ptr(), net, msg.into_raw()) };
}
