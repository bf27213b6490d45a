//! Client of the `ipmp` generic netlink family (see [`crate::uapi`]).

use crate::uapi::*;
use neli::{
    attr::Attribute,
    consts::{
        nl::{NlmF, NlmsgerrAttr},
        socket::NlFamily,
    },
    err::RouterError,
    genl::{AttrTypeBuilder, Genlmsghdr, GenlmsghdrBuilder, NlattrBuilder, NoUserHeader},
    nl::{NlPayload, Nlmsghdr, NlmsghdrBuilder},
    router::synchronous::{NlRouter, NlRouterReceiverHandle},
    socket::synchronous::NlSocketHandle,
    types::{Buffer, GenlBuffer},
    utils::Groups,
};
use std::fmt;

type Msg = Genlmsghdr<u8, u16>;

/// What can go wrong talking to ipmp.ko.
#[derive(Debug)]
pub enum Error {
    /// The family is not registered: the module is not loaded.
    NoModule,
    /// The kernel refused the request.
    Kernel {
        /// The errno (positive).
        errno: i32,
        /// The kernel's extack message, if it gave one.
        message: Option<String>,
    },
    /// The socket or the message encoding failed.
    Netlink(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoModule => write!(f, "the ipmp kernel module is not loaded"),
            Error::Kernel {
                message: Some(m), ..
            } => write!(f, "{m}"),
            Error::Kernel { errno, .. } => {
                write!(f, "{}", std::io::Error::from_raw_os_error(*errno))
            }
            Error::Netlink(m) => write!(f, "netlink: {m}"),
        }
    }
}

impl std::error::Error for Error {}

/// How many times a dump is made before giving up while groups keep
/// changing under it.
const DUMP_ATTEMPTS: usize = 10;

pub(crate) fn nl_err(e: impl fmt::Display) -> Error {
    Error::Netlink(e.to_string())
}

fn router_err<T, P>(e: RouterError<T, P>) -> Error
where
    T: fmt::Debug,
    P: fmt::Debug,
{
    match e {
        RouterError::Nlmsgerr(err) => {
            let message = err
                .ext_ack()
                .iter()
                .find(|a| *a.nla_type().nla_type() == NlmsgerrAttr::Msg)
                .and_then(|a| {
                    let bytes = a.nla_payload().as_ref();
                    let s = String::from_utf8_lossy(bytes);
                    let s = s.trim_end_matches('\0').to_string();
                    (!s.is_empty()).then_some(s)
                });
            Error::Kernel {
                errno: -*err.error(),
                message,
            }
        }
        other => Error::Netlink(format!("{other:?}")),
    }
}

/// The kernel's error reply, with its extack message.
pub(crate) fn kernel_err<P>(err: &neli::err::Nlmsgerr<P>) -> Error {
    let message = err
        .ext_ack()
        .iter()
        .find(|a| *a.nla_type().nla_type() == NlmsgerrAttr::Msg)
        .and_then(|a| {
            let s = String::from_utf8_lossy(a.nla_payload().as_ref());
            let s = s.trim_end_matches('\0').to_string();
            (!s.is_empty()).then_some(s)
        });
    Error::Kernel {
        errno: -*err.error(),
        message,
    }
}

/// A group as the kernel reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupInfo {
    /// Interface index of the group device.
    pub ifindex: u32,
    /// Its interface name.
    pub ifname: String,
    /// The group name (defaults to the interface name).
    pub name: String,
    /// `GROUP_STATE_*`.
    pub state: u8,
    /// `POLICY_*`.
    pub policy: u8,
    /// Announcements per moved address.
    pub announce_count: u32,
    /// Milliseconds between announcements.
    pub announce_interval_ms: u32,
    /// Member interface indexes, in join order.
    pub members: Vec<u32>,
}

/// A member as the kernel reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberInfo {
    /// Interface index of the member.
    pub ifindex: u32,
    /// Its interface name.
    pub ifname: String,
    /// Interface index of its group.
    pub group_ifindex: u32,
    /// `MEMBER_F_*`.
    pub flags: u32,
    /// Up with carrier.
    pub carrier: bool,
    /// Carries data traffic.
    pub active: bool,
    /// `NOMINEE_*` roles.
    pub nominee: u32,
    /// The group's data addresses bound to this member.
    pub addresses: Vec<std::net::IpAddr>,
    /// Packets the member device received.
    pub rx_packets: u64,
    /// Packets the member device sent.
    pub tx_packets: u64,
}

/// A data address and the member it is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingInfo {
    /// Interface index of the group.
    pub group_ifindex: u32,
    /// The data address.
    pub address: std::net::IpAddr,
    /// Interface index of its member; `None` while unbound.
    pub member_ifindex: Option<u32>,
}

// The words every tool prints for the kernel's numbers: ipmpstat's STATE
// words, and the names of the YNL spec (docs/netlink/ipmp.yaml) and the
// iproute2 plugin for policies and nominee roles.

impl GroupInfo {
    /// `ok`, `degraded` or `failed` (ipmpstat -g STATE).
    pub fn state_word(&self) -> &'static str {
        match self.state {
            GROUP_STATE_OK => "ok",
            GROUP_STATE_DEGRADED => "degraded",
            _ => "failed",
        }
    }

    /// `kernel` or `daemon`: who applies the standby rule.
    pub fn policy_word(&self) -> &'static str {
        if self.policy == POLICY_DAEMON {
            "daemon"
        } else {
            "kernel"
        }
    }
}

/// The nominee roles, as (bit, word), in ipmpstat's flag order (m, b, M).
pub const NOMINEE_WORDS: [(u32, &str); 3] = [
    (NOMINEE_V4_MULTICAST, "v4-multicast"),
    (NOMINEE_V4_BROADCAST, "v4-broadcast"),
    (NOMINEE_V6_MULTICAST, "v6-multicast"),
];

impl MemberInfo {
    /// Whether `MEMBER_F_*` bit `flag` is set.
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// `offline`, `failed` or `ok` (ipmpstat -i STATE: offline wins).
    pub fn state_word(&self) -> &'static str {
        if self.has(MEMBER_F_OFFLINE) {
            "offline"
        } else if self.has(MEMBER_F_FAILED) {
            "failed"
        } else {
            "ok"
        }
    }

    /// The nominee roles it holds, as words.
    pub fn nominee_words(&self) -> Vec<&'static str> {
        NOMINEE_WORDS
            .iter()
            .filter(|(bit, _)| self.nominee & bit != 0)
            .map(|(_, word)| *word)
            .collect()
    }
}

/// A kernel event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `EVENT_*`.
    pub kind: u8,
    /// The member, as it is after the event.
    pub member: MemberInfo,
}

/// Changes to a group's settings; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupSettings {
    /// New group name.
    pub name: Option<String>,
    /// New `POLICY_*`.
    pub policy: Option<u8>,
    /// New announcement count.
    pub announce_count: Option<u32>,
    /// New announcement interval (ms).
    pub announce_interval_ms: Option<u32>,
}

enum Value<'a> {
    U8(u8),
    U32(u32),
    Str(&'a str),
}

/// A connection to the `ipmp` family.
///
/// Requests go through a plain socket rather than neli's router: the
/// router's typed replies lose the kernel's extack message (neli 0.7.5),
/// which is what tells the user why a request was refused.
pub struct Client {
    sock: NlSocketHandle,
    family: u16,
    seq: std::cell::Cell<u32>,
}

impl Client {
    /// Connects and resolves the family.
    pub fn connect() -> Result<Self, Error> {
        let family = {
            let (router, _) =
                NlRouter::connect(NlFamily::Generic, None, Groups::empty()).map_err(nl_err)?;
            router
                .resolve_genl_family(GENL_NAME)
                .map_err(|_| Error::NoModule)?
        };
        let sock =
            NlSocketHandle::connect(NlFamily::Generic, None, Groups::empty()).map_err(nl_err)?;
        sock.enable_ext_ack(true).map_err(nl_err)?;
        Ok(Self {
            sock,
            family,
            seq: std::cell::Cell::new(1),
        })
    }

    /// Sends a request and collects the replies' payloads until the
    /// kernel's acknowledgement, end of dump, or error.
    fn request(&self, cmd: u8, flags: NlmF, attrs: &[(u16, Value<'_>)]) -> Result<Vec<Msg>, Error> {
        self.request_flagged(cmd, flags, attrs).map(|(out, _)| out)
    }

    /// [`Self::request`], also telling whether the kernel flagged a dump
    /// inconsistent (`NLM_F_DUMP_INTR`: groups changed while it was
    /// being made).
    fn request_flagged(
        &self,
        cmd: u8,
        flags: NlmF,
        attrs: &[(u16, Value<'_>)],
    ) -> Result<(Vec<Msg>, bool), Error> {
        let mut buf = GenlBuffer::<u16, Buffer>::new();
        for (kind, value) in attrs {
            let bytes = match value {
                Value::U8(v) => vec![*v],
                Value::U32(v) => v.to_ne_bytes().to_vec(),
                Value::Str(v) => v.bytes().chain(std::iter::once(0)).collect(),
            };
            let attr = NlattrBuilder::default()
                .nla_type(
                    AttrTypeBuilder::default()
                        .nla_type(*kind)
                        .build()
                        .map_err(nl_err)?,
                )
                .nla_payload(Buffer::from(bytes))
                .build()
                .map_err(nl_err)?;
            buf.push(attr);
        }
        let msg = GenlmsghdrBuilder::<u8, u16, NoUserHeader>::default()
            .cmd(cmd)
            .version(GENL_VERSION)
            .attrs(buf)
            .build()
            .map_err(nl_err)?;
        let seq = self.seq.get();
        self.seq.set(seq.wrapping_add(1));
        let msg = NlmsghdrBuilder::default()
            .nl_type(self.family)
            .nl_flags(flags | NlmF::REQUEST | NlmF::ACK)
            .nl_seq(seq)
            .nl_payload(NlPayload::Payload(msg))
            .build()
            .map_err(nl_err)?;
        self.sock.send(&msg).map_err(nl_err)?;
        let mut out = Vec::new();
        let mut interrupted = false;
        loop {
            let (replies, _) = self.sock.recv::<u16, Msg>().map_err(nl_err)?;
            for reply in replies {
                let reply: Nlmsghdr<u16, Msg> = reply.map_err(nl_err)?;
                if *reply.nl_seq() != seq {
                    continue;
                }
                interrupted |= reply.nl_flags().contains(NlmF::DUMP_INTR);
                match reply.nl_payload() {
                    NlPayload::Payload(p) => out.push(p.clone()),
                    NlPayload::Err(e) => return Err(kernel_err(e)),
                    NlPayload::DumpExtAck(e) if *e.error() != 0 => return Err(kernel_err(e)),
                    NlPayload::Ack(_) | NlPayload::DumpExtAck(_) => return Ok((out, interrupted)),
                    NlPayload::Empty => return Ok((out, interrupted)),
                }
            }
        }
    }

    fn collect<T>(
        &self,
        replies: Vec<Msg>,
        parse: impl Fn(&Msg) -> Result<T, Error>,
    ) -> Result<Vec<T>, Error> {
        replies.iter().map(parse).collect()
    }

    /// One object by interface index (a GET request).
    fn get_one<T>(
        &self,
        cmd: u8,
        ifindex: u32,
        parse: impl Fn(&Msg) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let replies = self.request(cmd, NlmF::ACK, &[(A_IFINDEX, Value::U32(ifindex))])?;
        self.collect(replies, parse)?
            .pop()
            .ok_or_else(|| nl_err("no reply"))
    }

    /// A dump, of every group or of the one with `group_ifindex`; made
    /// again while the kernel flags it inconsistent.
    fn dump<T>(
        &self,
        cmd: u8,
        group_ifindex: Option<u32>,
        parse: impl Fn(&Msg) -> Result<T, Error>,
    ) -> Result<Vec<T>, Error> {
        let attrs: Vec<_> = group_ifindex
            .map(|g| (A_GROUP_IFINDEX, Value::U32(g)))
            .into_iter()
            .collect();
        // A dump spans several datagrams; one made while groups changed
        // is flagged by the kernel and made again.
        for _ in 0..DUMP_ATTEMPTS {
            let (replies, interrupted) = self.request_flagged(cmd, NlmF::DUMP, &attrs)?;
            if !interrupted {
                return self.collect(replies, parse);
            }
        }
        Err(nl_err(format!(
            "the IPMP groups kept changing during {DUMP_ATTEMPTS} dumps in a row; try again"
        )))
    }

    /// Every group of the network namespace.
    pub fn groups(&self) -> Result<Vec<GroupInfo>, Error> {
        self.dump(CMD_GROUP_GET, None, parse_group)
    }

    /// One group, by interface index.
    pub fn group(&self, ifindex: u32) -> Result<GroupInfo, Error> {
        self.get_one(CMD_GROUP_GET, ifindex, parse_group)
    }

    /// The members of every group, or of one.
    pub fn members(&self, group_ifindex: Option<u32>) -> Result<Vec<MemberInfo>, Error> {
        self.dump(CMD_MEMBER_GET, group_ifindex, parse_member)
    }

    /// One member, by interface index.
    pub fn member(&self, ifindex: u32) -> Result<MemberInfo, Error> {
        self.get_one(CMD_MEMBER_GET, ifindex, parse_member)
    }

    /// The data-address bindings of every group, or of one.
    pub fn bindings(&self, group_ifindex: Option<u32>) -> Result<Vec<BindingInfo>, Error> {
        self.dump(CMD_BINDING_GET, group_ifindex, parse_binding)
    }

    /// Sets the member flags in `mask` to their values in `flags`.
    pub fn set_member_flags(&self, ifindex: u32, flags: u32, mask: u32) -> Result<(), Error> {
        let recv = self.request(
            CMD_MEMBER_SET,
            NlmF::ACK,
            &[
                (A_IFINDEX, Value::U32(ifindex)),
                (A_FLAGS, Value::U32(flags)),
                (A_FLAGS_MASK, Value::U32(mask)),
            ],
        )?;
        self.collect(recv, |_| Ok(())).map(drop)
    }

    /// Changes a group's settings.
    pub fn set_group(&self, ifindex: u32, settings: &GroupSettings) -> Result<(), Error> {
        let mut attrs = vec![(A_IFINDEX, Value::U32(ifindex))];
        if let Some(name) = &settings.name {
            attrs.push((A_GROUP_NAME, Value::Str(name)));
        }
        if let Some(p) = settings.policy {
            attrs.push((A_POLICY, Value::U8(p)));
        }
        if let Some(c) = settings.announce_count {
            attrs.push((A_ANNOUNCE_COUNT, Value::U32(c)));
        }
        if let Some(i) = settings.announce_interval_ms {
            attrs.push((A_ANNOUNCE_INTERVAL, Value::U32(i)));
        }
        let recv = self.request(CMD_GROUP_SET, NlmF::ACK, &attrs)?;
        self.collect(recv, |_| Ok(())).map(drop)
    }
}

/// The events in one datagram from the `events` multicast group, as the
/// kernel sends them; messages of other commands are skipped, malformed
/// ones give an error. What [`Events::next_event`] does, on bytes (the
/// fuzz target `kernel_event` runs it).
pub fn parse_event_datagram(bytes: &[u8]) -> Vec<Result<Event, Error>> {
    use neli::FromBytesWithInput;
    let mut cursor = std::io::Cursor::new(bytes);
    let buffer =
        match neli::types::NlBuffer::<u16, Msg>::from_bytes_with_input(&mut cursor, bytes.len()) {
            Ok(b) => b,
            Err(e) => return vec![Err(nl_err(e))],
        };
    buffer
        .iter()
        .filter_map(|m| match m.nl_payload() {
            NlPayload::Payload(p) if *p.cmd() == CMD_EVENT => Some(event(p)),
            _ => None,
        })
        .collect()
}

fn event(payload: &Msg) -> Result<Event, Error> {
    parse_member(payload).and_then(|member| {
        let kind = attr_u8(payload, A_EVENT)?;
        Ok(Event { kind, member })
    })
}

/// A subscription to the kernel's events.
pub struct Events {
    _router: NlRouter,
    multicast: NlRouterReceiverHandle<u16, Msg>,
}

impl Events {
    /// Joins the `events` multicast group.
    pub fn subscribe() -> Result<Self, Error> {
        let (router, multicast) =
            NlRouter::connect(NlFamily::Generic, None, Groups::empty()).map_err(nl_err)?;
        let id = router
            .resolve_nl_mcast_group(GENL_NAME, GENL_MCGRP_EVENTS)
            .map_err(|_| Error::NoModule)?;
        router
            .add_mcast_membership(Groups::new_groups(&[id]))
            .map_err(nl_err)?;
        Ok(Self {
            _router: router,
            multicast,
        })
    }

    /// The next event (blocks).
    pub fn next_event(&mut self) -> Option<Result<Event, Error>> {
        loop {
            let msg = match self.multicast.next_typed::<u16, Msg>()? {
                Ok(m) => m,
                Err(e) => return Some(Err(router_err(e))),
            };
            let Some(payload) = msg.get_payload() else {
                continue;
            };
            if *payload.cmd() != CMD_EVENT {
                continue;
            }
            return Some(event(payload));
        }
    }
}

fn attr_u32(msg: &Msg, kind: u16) -> Result<u32, Error> {
    msg.attrs()
        .get_attr_handle()
        .get_attr_payload_as::<u32>(kind)
        .map_err(nl_err)
}

fn attr_u64(msg: &Msg, kind: u16) -> Result<u64, Error> {
    msg.attrs()
        .get_attr_handle()
        .get_attr_payload_as::<u64>(kind)
        .map_err(nl_err)
}

fn parse_address(bytes: &[u8]) -> Option<std::net::IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        Some(std::net::IpAddr::from(v4))
    } else {
        <[u8; 16]>::try_from(bytes).ok().map(std::net::IpAddr::from)
    }
}

fn parse_binding(msg: &Msg) -> Result<BindingInfo, Error> {
    let handle = msg.attrs().get_attr_handle();
    let address = handle
        .get_attribute(A_ADDRESS)
        .and_then(|a| parse_address(a.nla_payload().as_ref()))
        .ok_or_else(|| nl_err("binding without an address"))?;
    Ok(BindingInfo {
        group_ifindex: attr_u32(msg, A_GROUP_IFINDEX)?,
        address,
        member_ifindex: attr_u32(msg, A_IFINDEX).ok(),
    })
}

fn attr_u8(msg: &Msg, kind: u16) -> Result<u8, Error> {
    msg.attrs()
        .get_attr_handle()
        .get_attr_payload_as::<u8>(kind)
        .map_err(nl_err)
}

fn attr_string(msg: &Msg, kind: u16) -> Result<String, Error> {
    let handle = msg.attrs().get_attr_handle();
    let attr = handle
        .get_attribute(kind)
        .ok_or_else(|| nl_err(format!("attribute {kind} missing")))?;
    let bytes = attr.nla_payload().as_ref();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    Ok(String::from_utf8_lossy(&bytes[..end]).into_owned())
}

fn parse_group(msg: &Msg) -> Result<GroupInfo, Error> {
    let handle = msg.attrs().get_attr_handle();
    let mut members = Vec::new();
    if let Some(nest) = handle.get_attribute(A_MEMBERS) {
        let inner = nest.get_attr_handle::<u16>().map_err(nl_err)?;
        for a in inner.iter() {
            if *a.nla_type().nla_type() == A_IFINDEX {
                members.push(a.get_payload_as::<u32>().map_err(nl_err)?);
            }
        }
    }
    Ok(GroupInfo {
        ifindex: attr_u32(msg, A_IFINDEX)?,
        ifname: attr_string(msg, A_IFNAME)?,
        name: attr_string(msg, A_GROUP_NAME)?,
        state: attr_u8(msg, A_GROUP_STATE)?,
        policy: attr_u8(msg, A_POLICY)?,
        announce_count: attr_u32(msg, A_ANNOUNCE_COUNT)?,
        announce_interval_ms: attr_u32(msg, A_ANNOUNCE_INTERVAL)?,
        members,
    })
}

fn parse_member(msg: &Msg) -> Result<MemberInfo, Error> {
    let handle = msg.attrs().get_attr_handle();
    let mut addresses = Vec::new();
    if let Some(nest) = handle.get_attribute(A_ADDRESSES) {
        let inner = nest.get_attr_handle::<u16>().map_err(nl_err)?;
        addresses.extend(
            inner
                .iter()
                .filter_map(|a| parse_address(a.nla_payload().as_ref())),
        );
    }
    Ok(MemberInfo {
        addresses,
        rx_packets: attr_u64(msg, A_RX_PACKETS)?,
        tx_packets: attr_u64(msg, A_TX_PACKETS)?,
        ifindex: attr_u32(msg, A_IFINDEX)?,
        ifname: attr_string(msg, A_IFNAME)?,
        group_ifindex: attr_u32(msg, A_GROUP_IFINDEX)?,
        flags: attr_u32(msg, A_FLAGS)?,
        carrier: attr_u8(msg, A_CARRIER)? != 0,
        active: attr_u8(msg, A_ACTIVE)? != 0,
        nominee: attr_u32(msg, A_NOMINEE)?,
    })
}

#[cfg(test)]
mod event_tests {
    use super::*;

    use crate::wire::attr;

    /// An event message laid out as the kernel sends it.
    pub(crate) fn event_message(kind: u8, ifindex: u32, name: &str) -> Vec<u8> {
        let mut name = name.as_bytes().to_vec();
        name.push(0);
        let attrs = [
            attr(A_EVENT, &[kind]),
            attr(A_IFINDEX, &ifindex.to_ne_bytes()),
            attr(A_IFNAME, &name),
            attr(A_GROUP_IFINDEX, &7u32.to_ne_bytes()),
            attr(A_FLAGS, &1u32.to_ne_bytes()),
            attr(A_CARRIER, &[1]),
            attr(A_ACTIVE, &[0]),
            attr(A_NOMINEE, &0u32.to_ne_bytes()),
            // nla_put_u64_64bit(): an empty A_PAD aligns the u64 payload
            attr(A_PAD, &[]),
            attr(A_RX_PACKETS, &5u64.to_ne_bytes()),
            attr(A_PAD, &[]),
            attr(A_TX_PACKETS, &6u64.to_ne_bytes()),
        ]
        .concat();
        let len = 16 + 4 + attrs.len();
        let mut m = (len as u32).to_ne_bytes().to_vec();
        m.extend_from_slice(&0x1cu16.to_ne_bytes()); // the family's id
        m.extend_from_slice(&[0; 10]); // flags, seq, pid
        m.extend_from_slice(&[CMD_EVENT, GENL_VERSION, 0, 0]);
        m.extend_from_slice(&attrs);
        m
    }

    #[test]
    fn events_are_read_from_the_kernels_bytes() {
        let bytes = [
            event_message(EVENT_MEMBER_CHANGED, 3, "net0"),
            event_message(EVENT_MEMBER_REMOVED, 4, "net1"),
        ]
        .concat();
        let events: Vec<Event> = parse_event_datagram(&bytes)
            .into_iter()
            .map(|e| e.expect("an event"))
            .collect();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].kind, EVENT_MEMBER_CHANGED);
        assert_eq!(events[0].member.ifname, "net0");
        assert_eq!(events[0].member.group_ifindex, 7);
        assert!(events[0].member.carrier && !events[0].member.active);
        assert_eq!(events[1].member.ifindex, 4);
    }

    #[test]
    fn malformed_events_are_errors_not_panics() {
        let good = event_message(EVENT_MEMBER_ADDED, 3, "net0");
        for cut in [0, 3, 16, 20, 27, good.len() - 1] {
            for e in parse_event_datagram(&good[..cut]) {
                assert!(e.is_err() || cut == good.len(), "cut at {cut}");
            }
        }
        // An attribute missing: an error naming it.
        let mut short = good.clone();
        short.truncate(good.len() - 24);
        let len = short.len() as u32;
        short[..4].copy_from_slice(&len.to_ne_bytes());
        assert!(parse_event_datagram(&short).iter().all(Result::is_err));
    }
}
