//! The few rtnetlink requests the tools make: create and delete an IPMP
//! interface, bring it up, attach or detach a member, add and remove
//! addresses — what `ip link add NAME type ipmp`, `ip link set DEV master
//! NAME`, `ip link set DEV nomaster` and `ip addr add|del` do, with the
//! kernel's extack message on refusal.

use crate::netlink::{kernel_err, nl_err, Error};
use neli::{
    consts::{
        nl::NlmF,
        rtnl::{Arphrd, Ifa, IfaF, Iff, Ifla, IflaInfo, RtAddrFamily, RtScope, Rtm},
        socket::NlFamily,
    },
    nl::{NlPayload, Nlmsghdr, NlmsghdrBuilder},
    rtnl::{Ifaddrmsg, IfaddrmsgBuilder, Ifinfomsg, IfinfomsgBuilder, RtattrBuilder},
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
