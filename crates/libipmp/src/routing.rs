//! The host's addresses (with their flags) and routes as rtnetlink dumps
//! them: what in.mpathd mirrors into the source-address rotation maps.

use crate::netlink::{kernel_err, nl_err, Error};
use neli::{
    consts::{
        nl::NlmF,
        rtnl::{Ifa, IfaF, RtAddrFamily, RtScope, RtTable, Rta, Rtm, Rtn, Rtprot},
        socket::NlFamily,
    },
    nl::{NlPayload, Nlmsghdr, NlmsghdrBuilder},
    rtnl::{Ifaddrmsg, IfaddrmsgBuilder, Rtmsg, RtmsgBuilder},
    socket::synchronous::NlSocketHandle,
    types::RtBuffer,
    utils::Groups,
};
use std::net::IpAddr;

/// `IFA_F_*` flags that make an address unfit as a new connection's
/// source: still in duplicate address detection, deprecated, or found
/// duplicate.
pub const IFA_F_UNFIT: u32 = IFA_F_TENTATIVE | IFA_F_DEPRECATED | IFA_F_DADFAILED;
/// `IFA_F_DADFAILED`.
pub const IFA_F_DADFAILED: u32 = 0x08;
/// `IFA_F_DEPRECATED`.
pub const IFA_F_DEPRECATED: u32 = 0x20;
/// `IFA_F_TENTATIVE`.
pub const IFA_F_TENTATIVE: u32 = 0x40;

/// `RT_SCOPE_UNIVERSE`: a global address.
pub const SCOPE_GLOBAL: u8 = 0;
/// The main routing table (`RT_TABLE_MAIN`).
pub const TABLE_MAIN: u32 = 254;
/// The local routing table (`RT_TABLE_LOCAL`).
pub const TABLE_LOCAL: u32 = 255;

/// One address of one interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Address {
    /// The interface.
    pub ifindex: u32,
    /// The address (`IFA_LOCAL`, or `IFA_ADDRESS` where there is none).
    pub addr: IpAddr,
    /// Its prefix length.
    pub prefix: u8,
    /// `RT_SCOPE_*`.
    pub scope: u8,
    /// `IFA_F_*` (the 32-bit `IFA_FLAGS` where the kernel sends it).
    pub flags: u32,
}

/// One route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The destination prefix (the unspecified address for a default
    /// route).
    pub dst: IpAddr,
    /// Its length.
    pub prefix: u8,
    /// The routing table.
    pub table: u32,
    /// `RTN_*` (1 unicast, 2 local, 6 blackhole, ...).
    pub kind: u8,
    /// The interface it leaves by (the first next hop's for a multipath
    /// route); none for routes that leave by no interface.
    pub oif: Option<u32>,
    /// Its metric (`RTA_PRIORITY`): of routes to the same prefix, the
    /// lowest is used.
    pub metric: u32,
}

/// `RTN_UNICAST`.
pub const RTN_UNICAST: u8 = 1;
/// `RTN_LOCAL`.
pub const RTN_LOCAL: u8 = 2;

fn ip(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// Sends a dump request for each family and collects what `parse` makes
/// of the replies.
pub(crate) fn dump<P, T>(
    kind: Rtm,
    request: impl Fn(RtAddrFamily) -> Result<P, Error>,
    parse: impl Fn(&P) -> Option<T>,
) -> Result<Vec<T>, Error>
where
    P: neli::Size + neli::ToBytes + neli::FromBytesWithInput<Input = usize>,
{
    let sock = NlSocketHandle::connect(NlFamily::Route, None, Groups::empty()).map_err(nl_err)?;
    let mut out = Vec::new();
    for (seq, family) in [(1, RtAddrFamily::Inet), (2, RtAddrFamily::Inet6)] {
        let msg = NlmsghdrBuilder::default()
            .nl_type(kind)
            .nl_flags(NlmF::REQUEST | NlmF::DUMP)
            .nl_seq(seq)
            .nl_payload(NlPayload::Payload(request(family)?))
            .build()
            .map_err(nl_err)?;
        sock.send(&msg).map_err(nl_err)?;
        'dump: loop {
            let (replies, _) = sock.recv::<Rtm, P>().map_err(nl_err)?;
            for reply in replies {
                let reply: Nlmsghdr<Rtm, P> = reply.map_err(nl_err)?;
                match reply.nl_payload() {
                    NlPayload::Payload(p) => out.extend(parse(p)),
                    NlPayload::Err(e) => return Err(kernel_err(e)),
                    _ => break 'dump,
                }
            }
        }
    }
    Ok(out)
}

/// Every IPv4 and IPv6 address of every interface (`ip addr show`).
pub fn addresses() -> Result<Vec<Address>, Error> {
    dump(
        Rtm::Getaddr,
        |family| {
            IfaddrmsgBuilder::default()
                .ifa_family(family)
                .ifa_prefixlen(0)
                .ifa_flags(IfaF::empty())
                .ifa_scope(RtScope::Universe)
                .ifa_index(0)
                .rtattrs(RtBuffer::new())
                .build()
                .map_err(nl_err)
        },
        parse_address,
    )
}

fn parse_address(msg: &Ifaddrmsg) -> Option<Address> {
    let attrs = msg.rtattrs().get_attr_handle();
    let addr = attrs
        .get_attribute(Ifa::Local)
        .or_else(|| attrs.get_attribute(Ifa::Address))
        .and_then(|a| ip(a.rta_payload().as_ref()))?;
    let flags = attrs
        .get_attr_payload_as::<u32>(Ifa::Flags)
        .unwrap_or_else(|_| u32::from(msg.ifa_flags().bits()));
    Some(Address {
        ifindex: *msg.ifa_index(),
        addr,
        prefix: *msg.ifa_prefixlen(),
        scope: u8::from(*msg.ifa_scope()),
        flags,
    })
}

/// Every route of every table, both families (`ip route show table
/// all`), cached clones excepted.
pub fn routes() -> Result<Vec<Route>, Error> {
    dump(Rtm::Getroute, route_dump_request, parse_route)
}

/// The request for a dump of every table's routes of `family`.
pub(crate) fn route_dump_request(family: RtAddrFamily) -> Result<Rtmsg, Error> {
    RtmsgBuilder::default()
        .rtm_family(family)
        .rtm_dst_len(0)
        .rtm_src_len(0)
        .rtm_tos(0)
        .rtm_table(RtTable::Unspec)
        .rtm_protocol(Rtprot::Unspec)
        .rtm_scope(RtScope::Universe)
        .rtm_type(Rtn::Unspec)
        .build()
        .map_err(nl_err)
}

fn parse_route(msg: &Rtmsg) -> Option<Route> {
    let attrs = msg.rtattrs().get_attr_handle();
    let table = attrs
        .get_attr_payload_as::<u32>(Rta::Table)
        .unwrap_or_else(|_| u32::from(u8::from(*msg.rtm_table())));
    let unspecified = match msg.rtm_family() {
        RtAddrFamily::Inet => IpAddr::from([0u8; 4]),
        RtAddrFamily::Inet6 => IpAddr::from([0u8; 16]),
        _ => return None,
    };
    let dst = match attrs.get_attribute(Rta::Dst) {
        Some(a) => ip(a.rta_payload().as_ref())?,
        None => unspecified,
    };
    let oif = attrs.get_attr_payload_as::<u32>(Rta::Oif).ok().or_else(|| {
        let hops = attrs.get_attribute(Rta::Multipath)?;
        let first = hops.rta_payload().as_ref().get(4..8)?;
        Some(u32::from_ne_bytes(first.try_into().ok()?))
    });
    Some(Route {
        dst,
        prefix: *msg.rtm_dst_len(),
        table,
        kind: u8::from(*msg.rtm_type()),
        oif,
        metric: attrs.get_attr_payload_as::<u32>(Rta::Priority).unwrap_or(0),
    })
}
