//! The few rtnetlink requests the tools make: create and delete an IPMP
//! interface, bring it up, attach or detach a member, add and remove
//! addresses — what `ip link add NAME type ipmp`, `ip link set DEV master
//! NAME`, `ip link set DEV nomaster` and `ip addr add|del` do, with the
//! kernel's extack message on refusal.

use crate::netlink::{kernel_err, nl_err, Error};
use neli::{
    consts::{
        nl::NlmF,
        rtnl::{Arphrd, Ifa, IfaF, Iff, Ifla, IflaInfo, RtAddrFamily, RtScope, Rta, Rtm, Rtn},
        socket::NlFamily,
    },
    nl::{NlPayload, Nlmsghdr, NlmsghdrBuilder},
    rtnl::{Ifaddrmsg, IfaddrmsgBuilder, Ifinfomsg, IfinfomsgBuilder, RtattrBuilder, Rtmsg},
    socket::synchronous::NlSocketHandle,
    types::{Buffer, RtBuffer},
    utils::Groups,
};

/// A route netlink socket for link requests.
pub struct Links {
    sock: NlSocketHandle,
    seq: std::cell::Cell<u32>,
}

fn attr(kind: Ifla, payload: Vec<u8>) -> Result<neli::rtnl::Rtattr<Ifla, Buffer>, Error> {
    RtattrBuilder::default()
        .rta_type(kind)
        .rta_payload(Buffer::from(payload))
        .build()
        .map_err(nl_err)
}

fn addr_attr(kind: Ifa, payload: Vec<u8>) -> Result<neli::rtnl::Rtattr<Ifa, Buffer>, Error> {
    RtattrBuilder::default()
        .rta_type(kind)
        .rta_payload(Buffer::from(payload))
        .build()
        .map_err(nl_err)
}

/// `IFA_F_NOPREFIXROUTE` (in the 32-bit `IFA_FLAGS` attribute).
const IFA_F_NOPREFIXROUTE: u32 = 0x200;

fn c_string(s: &str) -> Vec<u8> {
    s.bytes().chain(std::iter::once(0)).collect()
}

impl Links {
    /// Opens the socket.
    pub fn connect() -> Result<Self, Error> {
        let sock =
            NlSocketHandle::connect(NlFamily::Route, None, Groups::empty()).map_err(nl_err)?;
        sock.enable_ext_ack(true).map_err(nl_err)?;
        Ok(Self {
            sock,
            seq: std::cell::Cell::new(1),
        })
    }

    fn request(
        &self,
        kind: Rtm,
        flags: NlmF,
        ifindex: i32,
        up: Option<bool>,
        attrs: Vec<neli::rtnl::Rtattr<Ifla, Buffer>>,
    ) -> Result<(), Error> {
        let mut rtattrs = RtBuffer::new();
        for a in attrs {
            rtattrs.push(a);
        }
        let (flags_on, change) = match up {
            Some(true) => (Iff::UP, Iff::UP),
            Some(false) => (Iff::empty(), Iff::UP),
            None => (Iff::empty(), Iff::empty()),
        };
        let info: Ifinfomsg = IfinfomsgBuilder::default()
            .ifi_family(RtAddrFamily::Unspecified)
            .ifi_type(Arphrd::from(0))
            .ifi_index(ifindex)
            .ifi_flags(flags_on)
            .ifi_change(change)
            .rtattrs(rtattrs)
            .build()
            .map_err(nl_err)?;
        self.transact(kind, flags, info)
    }

    /// Sends one request and waits for its acknowledgement (or the
    /// kernel's error, with its extack message).
    fn transact<P>(&self, kind: Rtm, flags: NlmF, payload: P) -> Result<(), Error>
    where
        P: neli::Size + neli::ToBytes + neli::FromBytesWithInput<Input = usize>,
    {
        let seq = self.seq.get();
        self.seq.set(seq.wrapping_add(1));
        let msg = NlmsghdrBuilder::default()
            .nl_type(kind)
            .nl_flags(flags | NlmF::REQUEST | NlmF::ACK)
            .nl_seq(seq)
            .nl_payload(NlPayload::Payload(payload))
            .build()
            .map_err(nl_err)?;
        self.sock.send(&msg).map_err(nl_err)?;
        loop {
            let (replies, _) = self.sock.recv::<Rtm, P>().map_err(nl_err)?;
            for reply in replies {
                let reply: Nlmsghdr<Rtm, P> = reply.map_err(nl_err)?;
                if *reply.nl_seq() != seq {
                    continue;
                }
                match reply.nl_payload() {
                    NlPayload::Err(e) => return Err(kernel_err(e)),
                    _ => return Ok(()),
                }
            }
        }
    }

    /// `ip link add NAME type ipmp` (the module loads on demand).
    pub fn create_ipmp(&self, name: &str) -> Result<(), Error> {
        let kind = RtattrBuilder::default()
            .rta_type(IflaInfo::Kind)
            .rta_payload(Buffer::from(b"ipmp".to_vec()))
            .build()
            .map_err(nl_err)?;
        let linkinfo = RtattrBuilder::default()
            .rta_type(Ifla::Linkinfo)
            .rta_payload(Buffer::new())
            .build()
            .map_err(nl_err)?
            .nest(&kind)
            .map_err(nl_err)?;
        self.request(
            Rtm::Newlink,
            NlmF::CREATE | NlmF::EXCL,
            0,
            None,
            vec![attr(Ifla::Ifname, c_string(name))?, linkinfo],
        )
    }

    /// `ip link del` by index.
    pub fn delete(&self, ifindex: u32) -> Result<(), Error> {
        self.request(Rtm::Dellink, NlmF::empty(), ifindex as i32, None, vec![])
    }

    /// `ip link set up|down`.
    pub fn set_up(&self, ifindex: u32, up: bool) -> Result<(), Error> {
        self.request(
            Rtm::Newlink,
            NlmF::empty(),
            ifindex as i32,
            Some(up),
            vec![],
        )
    }

    /// `ip link set DEV master MASTER`, or `nomaster` with 0.
    pub fn set_master(&self, ifindex: u32, master: u32) -> Result<(), Error> {
        self.request(
            Rtm::Newlink,
            NlmF::empty(),
            ifindex as i32,
            None,
            vec![attr(Ifla::Master, master.to_ne_bytes().to_vec())?],
        )
    }

    /// `ip addr add ADDR/PREFIX dev DEV` (IPv4 with `brd +`), with
    /// `noprefixroute` when asked: test addresses get no subnet route of
    /// their own, so data traffic never leaves by a member directly.
    pub fn add_address(
        &self,
        ifindex: u32,
        addr: std::net::IpAddr,
        prefix: u8,
        noprefixroute: bool,
    ) -> Result<(), Error> {
        let mut attrs = vec![
            addr_attr(Ifa::Local, octets(addr))?,
            addr_attr(Ifa::Address, octets(addr))?,
        ];
        if let std::net::IpAddr::V4(v4) = addr {
            if prefix < 31 {
                let host = u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
                let brd = std::net::Ipv4Addr::from(u32::from(v4) | host);
                attrs.push(addr_attr(Ifa::Broadcast, brd.octets().to_vec())?);
            }
        }
        if noprefixroute {
            attrs.push(addr_attr(
                Ifa::Flags,
                IFA_F_NOPREFIXROUTE.to_ne_bytes().to_vec(),
            )?);
        }
        self.addr_request(
            Rtm::Newaddr,
            NlmF::CREATE | NlmF::EXCL,
            ifindex,
            addr,
            prefix,
            attrs,
        )
    }

    /// `ip addr del ADDR/PREFIX dev DEV`.
    pub fn del_address(
        &self,
        ifindex: u32,
        addr: std::net::IpAddr,
        prefix: u8,
    ) -> Result<(), Error> {
        let attrs = vec![addr_attr(Ifa::Local, octets(addr))?];
        self.addr_request(Rtm::Deladdr, NlmF::empty(), ifindex, addr, prefix, attrs)
    }

    fn addr_request(
        &self,
        kind: Rtm,
        flags: NlmF,
        ifindex: u32,
        addr: std::net::IpAddr,
        prefix: u8,
        attrs: Vec<neli::rtnl::Rtattr<Ifa, Buffer>>,
    ) -> Result<(), Error> {
        let mut rtattrs = RtBuffer::new();
        for a in attrs {
            rtattrs.push(a);
        }
        let msg: Ifaddrmsg = IfaddrmsgBuilder::default()
            .ifa_family(if addr.is_ipv4() {
                RtAddrFamily::Inet
            } else {
                RtAddrFamily::Inet6
            })
            .ifa_prefixlen(prefix)
            .ifa_flags(IfaF::empty())
            .ifa_scope(RtScope::Universe)
            .ifa_index(ifindex)
            .rtattrs(rtattrs)
            .build()
            .map_err(nl_err)?;
        self.transact(kind, flags, msg)
    }
}

fn octets(addr: std::net::IpAddr) -> Vec<u8> {
    match addr {
        std::net::IpAddr::V4(a) => a.octets().to_vec(),
        std::net::IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// One next hop of a route: where in.mpathd looks for probe targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NextHop {
    /// The router.
    pub gateway: std::net::IpAddr,
    /// The interface the route leaves by.
    pub ifindex: u32,
    /// The routing table holding the route.
    pub table: u32,
}

/// The `rtnexthop` header of each next hop in `RTA_MULTIPATH`.
const RTNEXTHOP_LEN: usize = 8;
/// `RTA_GATEWAY`.
const RTA_GATEWAY: u16 = 5;

/// Every unicast route's next hops (gateway and output interface), in
/// every routing table of both families: what `ip route show table all`
/// lists with a `via`.
pub fn next_hops() -> Result<Vec<NextHop>, Error> {
    let routes =
        crate::routing::dump(Rtm::Getroute, crate::routing::route_dump_request, |route| {
            Some(route_next_hops(route))
        })?;
    let mut out: Vec<NextHop> = routes.into_iter().flatten().collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// The next hops of one route message (`RTA_GATEWAY` with `RTA_OIF`, or
/// each hop of `RTA_MULTIPATH`); none for routes that are not unicast or
/// have no gateway.
pub fn route_next_hops(route: &Rtmsg) -> Vec<NextHop> {
    if *route.rtm_type() != Rtn::Unicast {
        return Vec::new();
    }
    let attrs = route.rtattrs().get_attr_handle();
    let table = attrs
        .get_attr_payload_as::<u32>(Rta::Table)
        .unwrap_or_else(|_| u32::from(u8::from(*route.rtm_table())));
    let address = |bytes: &[u8]| -> Option<std::net::IpAddr> {
        match bytes.len() {
            4 => <[u8; 4]>::try_from(bytes).ok().map(std::net::IpAddr::from),
            16 => <[u8; 16]>::try_from(bytes).ok().map(std::net::IpAddr::from),
            _ => None,
        }
    };
    let mut out = Vec::new();
    let gateway = attrs
        .get_attribute(Rta::Gateway)
        .and_then(|a| address(a.rta_payload().as_ref()));
    let oif = attrs.get_attr_payload_as::<u32>(Rta::Oif).ok();
    if let (Some(gateway), Some(ifindex)) = (gateway, oif) {
        out.push(NextHop {
            gateway,
            ifindex,
            table,
        });
    }
    if let Some(multipath) = attrs.get_attribute(Rta::Multipath) {
        for (ifindex, attrs) in multipath_hops(multipath.rta_payload().as_ref()) {
            let gateway = netlink_attrs(attrs)
                .find(|(kind, _)| *kind == RTA_GATEWAY)
                .and_then(|(_, payload)| address(payload));
            if let Some(gateway) = gateway {
                out.push(NextHop {
                    gateway,
                    ifindex,
                    table,
                });
            }
        }
    }
    out
}

/// The hops of an `RTA_MULTIPATH` payload: each `rtnexthop` (length,
/// flags, hops, ifindex) followed by its own attributes.
fn multipath_hops(mut bytes: &[u8]) -> impl Iterator<Item = (u32, &[u8])> {
    std::iter::from_fn(move || {
        let len = usize::from(u16::from_ne_bytes([*bytes.first()?, *bytes.get(1)?]));
        if len < RTNEXTHOP_LEN || len > bytes.len() {
            return None;
        }
        let ifindex = u32::from_ne_bytes(bytes.get(4..8)?.try_into().ok()?);
        let attrs = bytes.get(RTNEXTHOP_LEN..len)?;
        bytes = bytes.get(align4(len)..).unwrap_or(&[]);
        Some((ifindex, attrs))
    })
}

fn align4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

/// Route attributes (type, payload) in a byte run, as the kernel lays
/// them out: a 4-byte header (length, type), the payload, padding to 4.
fn netlink_attrs(mut bytes: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let len = usize::from(u16::from_ne_bytes([*bytes.first()?, *bytes.get(1)?]));
        let kind = u16::from_ne_bytes([*bytes.get(2)?, *bytes.get(3)?]);
        if len < 4 || len > bytes.len() {
            return None;
        }
        let payload = bytes.get(4..len)?;
        bytes = bytes.get(align4(len)..).unwrap_or(&[]);
        Some((kind, payload))
    })
}

/// The next hops in one datagram of route messages as the kernel sends
/// them (a dump's reply or a multicast notification); messages that do
/// not parse are skipped. (The fuzz target `rtnl_routes` runs this.)
pub fn parse_route_datagram(bytes: &[u8]) -> Vec<NextHop> {
    use neli::FromBytesWithInput;
    let mut cursor = std::io::Cursor::new(bytes);
    let Ok(buffer) =
        neli::types::NlBuffer::<Rtm, Rtmsg>::from_bytes_with_input(&mut cursor, bytes.len())
    else {
        return Vec::new();
    };
    buffer
        .iter()
        .filter_map(|m| match m.nl_payload() {
            NlPayload::Payload(route) => Some(route_next_hops(route)),
            _ => None,
        })
        .flatten()
        .collect()
}

/// What an rtnetlink notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// A link appeared, changed or went away.
    Link,
    /// An address was added or removed.
    Address,
    /// A route was added or removed.
    Route,
}

/// The topic of a message type (RTM_NEWLINK, RTM_DELADDR, ...), if it is
/// one of the three.
pub fn topic(nl_type: u16) -> Option<Topic> {
    match nl_type {
        16 | 17 => Some(Topic::Link),
        20 | 21 => Some(Topic::Address),
        24 | 25 => Some(Topic::Route),
        _ => None,
    }
}

/// rtnetlink multicast groups: links, IPv4 and IPv6 addresses and routes.
const WATCHED_GROUPS: [u32; 5] = [1, 5, 7, 9, 11];

/// A subscription to rtnetlink's link, address and route notifications.
pub struct Watch {
    sock: NlSocketHandle,
}

impl Watch {
    /// Joins the groups.
    pub fn subscribe() -> Result<Self, Error> {
        let sock =
            NlSocketHandle::connect(NlFamily::Route, None, Groups::new_groups(&WATCHED_GROUPS))
                .map_err(nl_err)?;
        Ok(Self { sock })
    }

    /// Blocks for the next datagram of notifications; returns the topics
    /// it touched (each once). An error (a full socket buffer: events were
    /// lost) means everything must be read again.
    pub fn next(&self) -> Result<Vec<Topic>, Error> {
        let (messages, _) = self.sock.recv::<u16, Buffer>().map_err(nl_err)?;
        let mut topics = Vec::new();
        for m in messages {
            let Ok(m) = m else { continue };
            if let Some(t) = topic(*m.nl_type()) {
                if !topics.contains(&t) {
                    topics.push(t);
                }
            }
        }
        Ok(topics)
    }
}

#[cfg(test)]
mod route_tests {
    use super::*;

    use crate::wire::attr;

    /// A RTM_NEWROUTE message as the kernel sends it.
    fn route_message(kind: u8, attrs: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = attrs.concat();
        let len = 16 + 12 + body.len();
        let mut m = (len as u32).to_ne_bytes().to_vec();
        m.extend_from_slice(&24u16.to_ne_bytes()); // RTM_NEWROUTE
        m.extend_from_slice(&0u16.to_ne_bytes());
        m.extend_from_slice(&[0; 8]); // seq, pid
                                      // family, dst_len, src_len, tos, table, protocol, scope, type
        m.extend_from_slice(&[2, 0, 0, 0, 254, 4, 0, kind]);
        m.extend_from_slice(&0u32.to_ne_bytes()); // flags
        m.extend_from_slice(&body);
        m
    }

    #[test]
    fn a_default_route_gives_its_gateway_and_interface() {
        let m = route_message(
            1,
            &[
                attr(15, &254u32.to_ne_bytes()),
                attr(5, &[192, 168, 10, 1]),
                attr(4, &7u32.to_ne_bytes()),
            ],
        );
        assert_eq!(
            parse_route_datagram(&m),
            vec![NextHop {
                gateway: "192.168.10.1".parse().unwrap(),
                ifindex: 7,
                table: 254
            }]
        );
    }

    #[test]
    fn each_hop_of_a_multipath_route_counts() {
        let hop = |ifindex: u32, gw: [u8; 4]| {
            let attrs = attr(5, &gw);
            let mut h = ((8 + attrs.len()) as u16).to_ne_bytes().to_vec();
            h.extend_from_slice(&[0, 0]);
            h.extend_from_slice(&ifindex.to_ne_bytes());
            h.extend_from_slice(&attrs);
            h
        };
        let mp = [hop(3, [10, 0, 0, 1]), hop(4, [10, 0, 0, 2])].concat();
        let m = route_message(1, &[attr(15, &100u32.to_ne_bytes()), attr(9, &mp)]);
        let hops = parse_route_datagram(&m);
        assert_eq!(hops.len(), 2);
        assert_eq!((hops[0].ifindex, hops[0].table), (3, 100));
        assert_eq!(
            hops[1].gateway,
            "10.0.0.2".parse::<std::net::IpAddr>().unwrap()
        );
    }

    #[test]
    fn local_broadcast_and_gatewayless_routes_give_nothing() {
        let local = route_message(2, &[attr(5, &[10, 0, 0, 1]), attr(4, &1u32.to_ne_bytes())]);
        assert!(parse_route_datagram(&local).is_empty());
        let connected = route_message(1, &[attr(4, &1u32.to_ne_bytes())]);
        assert!(parse_route_datagram(&connected).is_empty());
    }

    #[test]
    fn garbage_gives_nothing() {
        assert!(parse_route_datagram(&[]).is_empty());
        assert!(parse_route_datagram(&[0xff; 40]).is_empty());
        let truncated = route_message(1, &[attr(5, &[10, 0, 0, 1])]);
        assert!(parse_route_datagram(&truncated[..30]).is_empty());
        assert_eq!(multipath_hops(&[8, 0, 0, 0, 1, 0, 0]).count(), 0);
        assert_eq!(multipath_hops(&[2, 0, 0, 0, 1, 0, 0, 0]).count(), 0);
    }

    #[test]
    fn notifications_are_sorted_by_topic() {
        assert_eq!(topic(16), Some(Topic::Link));
        assert_eq!(topic(21), Some(Topic::Address));
        assert_eq!(topic(25), Some(Topic::Route));
        assert_eq!(topic(28), None, "neighbours are not watched");
    }
}
