//! The few rtnetlink requests the tools make: create and delete an IPMP
//! interface, bring it up, and attach or detach a member — what
//! `ip link add NAME type ipmp`, `ip link set DEV master NAME` and
//! `ip link set DEV nomaster` do, with the kernel's extack message on
//! refusal.

use crate::netlink::{kernel_err, nl_err, Error};
use neli::{
    consts::{
        nl::NlmF,
        rtnl::{Arphrd, Iff, Ifla, IflaInfo, RtAddrFamily, Rtm},
        socket::NlFamily,
    },
    nl::{NlPayload, Nlmsghdr, NlmsghdrBuilder},
    rtnl::{Ifinfomsg, IfinfomsgBuilder, RtattrBuilder},
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
        let seq = self.seq.get();
        self.seq.set(seq.wrapping_add(1));
        let msg = NlmsghdrBuilder::default()
            .nl_type(kind)
            .nl_flags(flags | NlmF::REQUEST | NlmF::ACK)
            .nl_seq(seq)
            .nl_payload(NlPayload::Payload(info))
            .build()
            .map_err(nl_err)?;
        self.sock.send(&msg).map_err(nl_err)?;
        loop {
            let (replies, _) = self.sock.recv::<Rtm, Ifinfomsg>().map_err(nl_err)?;
            for reply in replies {
                let reply: Nlmsghdr<Rtm, Ifinfomsg> = reply.map_err(nl_err)?;
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
}
