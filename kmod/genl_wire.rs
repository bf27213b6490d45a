// SPDX-License-Identifier: GPL-2.0
//! Generic netlink messages, safely: a [`Writer`] that adds attributes to
//! a message, the [`Attrs`] of a request, a [`Request`] (lookup in the
//! requester's namespace, extack, reply), a [`Dump`] (objects put until
//! the skb is full, positions kept between calls, parts flagged
//! NLM_F_DUMP_INTR when groups changed in between), and multicast events.
//! The commands themselves are in `genl`; the C callbacks in
//! `genl_family`.

use crate::binding::Addr;
use crate::bindings::raw;
use crate::bindings::OpsTable;
use crate::ipmpdev::IpmpDev;
use crate::netdev::{ExtAck, NetDev};
use crate::rtnl::{self, Rtnl};
use crate::uapi::*;
use core::ffi::c_int;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{error::to_result, prelude::*};

/// A message being filled in some skb.
pub(crate) struct Writer {
    skb: *mut raw::sk_buff,
}

impl Writer {
    /// A writer of attributes at the tail of `skb`.
    ///
    /// # Safety
    /// `skb` is a netlink message skb being filled, alive and not written
    /// by anyone else while the writer lives.
    pub(crate) unsafe fn for_skb(skb: *mut raw::sk_buff) -> Self {
        Self { skb }
    }

    fn put(&mut self, attr: u16, data: &[u8]) -> Result {
        let len = c_int::try_from(data.len()).map_err(|_| EINVAL)?;
        // SAFETY: `skb` is a message skb we are filling; `data` is valid
        // for `len` bytes; nla_put() fails with -EMSGSIZE when it is full.
        to_result(unsafe { raw::nla_put(self.skb, c_int::from(attr), len, data.as_ptr().cast()) })
    }

    pub(crate) fn u8(&mut self, attr: u16, v: u8) -> Result {
        self.put(attr, &[v])
    }

    pub(crate) fn u32(&mut self, attr: u16, v: u32) -> Result {
        self.put(attr, &v.to_ne_bytes())
    }

    /// A u64, preceded by an `A_PAD` attribute where needed so that its
    /// payload is 8-byte aligned (`nla_put_u64_64bit()`).
    pub(crate) fn u64(&mut self, attr: u16, v: u64) -> Result {
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

    pub(crate) fn addr(&mut self, attr: u16, a: &Addr) -> Result {
        match a {
            Addr::V4(a) => self.put(attr, a),
            Addr::V6(a) => self.put(attr, a),
        }
    }

    /// A NUL-terminated string attribute.
    pub(crate) fn string(&mut self, attr: u16, s: &[u8]) -> Result {
        let mut buf = [0u8; 33];
        let n = s.len().min(buf.len() - 1);
        buf.get_mut(..n)
            .ok_or(EINVAL)?
            .copy_from_slice(s.get(..n).ok_or(EINVAL)?);
        self.put(attr, buf.get(..=n).ok_or(EINVAL)?)
    }

    pub(crate) fn nest(&mut self, attr: u16, fill: impl FnOnce(&mut Self) -> Result) -> Result {
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

/// The attributes of a request (or of a dump's request), or of a nested
/// attribute set rtnetlink parsed (IFLA_INFO_DATA, IFLA_INFO_SLAVE_DATA).
///
/// # Invariants
/// `table` is NULL, or the core's parsed attribute table of a request
/// being handled: `max + 1` entries, NULL where absent, each validated
/// against the matching policy.
pub(crate) struct Attrs {
    table: *mut *mut raw::nlattr,
    max: u16,
}

impl Attrs {
    /// # Safety
    /// `table` is NULL or a parsed attribute table of `max + 1` entries
    /// that outlives the value.
    pub(crate) unsafe fn from_raw(table: *mut *mut raw::nlattr, max: u16) -> Self {
        // INVARIANT: the caller's guarantee.
        Self { table, max }
    }

    fn get(&self, attr: u16) -> Option<&[u8]> {
        if self.table.is_null() || attr > self.max {
            return None;
        }
        // SAFETY: the core parsed the request into an array of `max + 1`
        // entries, NULL where absent, and `attr <= max`.
        let nla = unsafe { *self.table.add(usize::from(attr)) };
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

    /// A u32 attribute, if present.
    pub(crate) fn u32(&self, attr: u16) -> Option<u32> {
        Some(u32::from_ne_bytes(
            self.get(attr)?.get(..4)?.try_into().ok()?,
        ))
    }

    /// A u8 attribute, if present.
    pub(crate) fn u8(&self, attr: u16) -> Option<u8> {
        self.get(attr)?.first().copied()
    }

    /// A NUL_STRING attribute without its NUL.
    pub(crate) fn string(&self, attr: u16) -> Option<&[u8]> {
        let s = self.get(attr)?;
        Some(s.split(|&b| b == 0).next().unwrap_or(s))
    }
}

/// What a doit handler gets.
pub(crate) struct Request {
    info: *mut raw::genl_info,
    /// The request's attributes.
    pub(crate) attrs: Attrs,
    /// Where refusals are explained.
    pub(crate) extack: ExtAck,
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
            // SAFETY: the family's policy table has `A_MAX + 1` entries,
            // so the core parsed the request into as many.
            attrs: unsafe { Attrs::from_raw(attrs, A_MAX) },
            extack,
        }
    }

    fn net(&self) -> *mut raw::net {
        // SAFETY: valid request.
        unsafe { raw::ipmp_genl_info_net(self.info) }
    }

    /// A u32 attribute the command needs; refused with a message if absent.
    pub(crate) fn required_u32(&mut self, attr: u16, what: &str) -> Result<u32> {
        match self.attrs.u32(attr) {
            Some(v) => Ok(v),
            None => {
                self.extack.set(format_args!("missing attribute: {what}"));
                Err(EINVAL)
            }
        }
    }

    /// The device with `ifindex` in the requester's namespace.
    pub(crate) fn device<'s>(&mut self, ifindex: u32, _rtnl: &Rtnl<'s>) -> Result<&'s NetDev> {
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
    pub(crate) fn reply(&mut self, cmd: u8, fill: impl FnOnce(&mut Writer) -> Result) -> Result {
        let msg = Message::new()?;
        // SAFETY: valid request and a fresh message skb.
        let hdr = unsafe { raw::ipmp_genlmsg_put_reply(msg.0, self.info, family(), cmd) };
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
pub(crate) unsafe fn doit(
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

/// Walks the ipmp devices of a namespace (RTNL held).
fn ipmp_devices<'s>(net: *mut raw::net, _rtnl: &Rtnl<'s>) -> impl Iterator<Item = &'s IpmpDev> {
    // SAFETY: RTNL held for the section 's, so the device list is stable
    // and every device on it stays allocated; `net` is the namespace of
    // the request or dump being handled, alive meanwhile.
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

/// Runs one part of a dump: `emit` adds objects through [`Dump::put`]
/// until the skb is full, and keeps its place with [`Dump::position`].
/// Returns what `dumpit` must (the skb's length: 0 ends the dump).
///
/// # Safety
/// Generic netlink dumpit arguments.
pub(crate) unsafe fn dumpit(
    skb: *mut raw::sk_buff,
    cb: *mut raw::netlink_callback,
    emit: impl for<'s> FnOnce(&mut Dump<'_>, &Rtnl<'s>),
) -> c_int {
    // SAFETY: valid callback of the running dump.
    let (net, args) = unsafe { (raw::ipmp_dump_net(cb), raw::ipmp_dump_args(cb)) };
    // SAFETY: `args` is the callback's `long args[6]`, ours between calls.
    let args = unsafe { core::slice::from_raw_parts_mut(args, 2) };
    // SAFETY: the dump's parsed request attributes (or NULL), parsed
    // against the family's policy of `A_MAX + 1` entries.
    let attrs = unsafe { Attrs::from_raw(raw::ipmp_dump_attrs(cb), A_MAX) };
    let mut dump = Dump {
        skb,
        cb,
        net,
        args,
        attrs,
    };
    let _ = rtnl::with_lock(|rtnl| {
        // Under RTNL, which every change of the generation holds: a part
        // of the dump made at another generation than the previous part
        // is flagged NLM_F_DUMP_INTR, and the reader dumps again.
        // SAFETY: valid callback of the running dump.
        unsafe { raw::ipmp_dump_set_seq(cb, generation(rtnl)) };
        emit(&mut dump, rtnl)
    });
    // SAFETY: valid skb.
    unsafe { raw::ipmp_skb_len(skb) }
}

/// One part of a dump being made.
pub(crate) struct Dump<'a> {
    skb: *mut raw::sk_buff,
    cb: *mut raw::netlink_callback,
    net: *mut raw::net,
    args: &'a mut [isize],
    /// The dump request's attributes (a filter such as GROUP_IFINDEX).
    pub(crate) attrs: Attrs,
}

impl Dump<'_> {
    /// Adds one object; false if it did not fit (the dump resumes there).
    pub(crate) fn put(&mut self, cmd: u8, fill: impl FnOnce(&mut Writer) -> Result) -> bool {
        // SAFETY: valid dump skb and callback.
        let hdr = unsafe { raw::ipmp_genlmsg_put_dump(self.skb, self.cb, family(), cmd) };
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

    /// Where the dump stands (two counters, 0 at the start), kept between
    /// its parts.
    pub(crate) fn position(&self, which: usize) -> usize {
        self.args
            .get(which)
            .and_then(|&v| usize::try_from(v).ok())
            .unwrap_or(0)
    }

    /// Records where the dump stands.
    pub(crate) fn set_position(&mut self, which: usize, value: usize) {
        if let Some(slot) = self.args.get_mut(which) {
            *slot = isize::try_from(value).unwrap_or(isize::MAX);
        }
    }

    /// The ipmp devices of the dump's namespace.
    pub(crate) fn groups<'s>(&self, rtnl: &Rtnl<'s>) -> impl Iterator<Item = &'s IpmpDev> {
        ipmp_devices(self.net, rtnl)
    }
}

/// Multicasts one `cmd` message filled by `fill` to the `events` group of
/// `dev`'s namespace. Best effort: nobody listening, or no memory, is not
/// an error.
pub(crate) fn multicast(dev: &NetDev, cmd: u8, fill: impl FnOnce(&mut Writer) -> Result) {
    let Ok(msg) = Message::new() else { return };
    // SAFETY: a fresh message skb; a kernel-originated message has port 0.
    let hdr = unsafe { raw::genlmsg_put(msg.0, 0, 0, family(), 0, cmd) };
    if hdr.is_null() {
        return;
    }
    if fill(&mut Writer { skb: msg.0 }).is_err() {
        return;
    }
    // SAFETY: `hdr` belongs to this message.
    unsafe { raw::ipmp_genlmsg_end(msg.0, hdr) };
    // SAFETY: a registered family with one multicast group; consumes the
    // message whatever the result (-ESRCH when nobody listens).
    let _ = unsafe { raw::ipmp_genlmsg_multicast(family(), dev.net(), msg.into_raw()) };
}

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

pub(crate) static MCGRPS: OpsTable<[raw::genl_multicast_group; 1]> =
    OpsTable::new([raw::genl_multicast_group {
        name: name16(GENL_MCGRP_EVENTS),
        flags: 0,
    }]);

/// The family: fixed fields here; its operations, policy and module are
/// filled in by `genl_family` when it registers it.
pub(crate) static FAMILY: OpsTable<raw::genl_family> = OpsTable::new(raw::genl_family {
    name: name16(GENL_NAME),
    version: GENL_VERSION as u32,
    maxattr: A_MAX as u32,
    n_small_ops: 5,
    n_mcgrps: 1,
    // SAFETY: all-zero is the valid default for the other fields (no
    // pre/post hooks, no private data; `id` etc. filled at registration).
    ..unsafe { core::mem::zeroed() }
});

/// The family, for messages built here.
fn family() -> *const raw::genl_family {
    FAMILY.as_ptr()
}
