//! Route messages (a routing-table dump's reply, or a notification) as
//! in.mpathd reads their next hops: any bytes parse without panicking,
//! and every next hop found is read from the message, not invented: its
//! gateway's bytes are in it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use libipmp::rtnl::{parse_route_datagram, topic};

fuzz_target!(|data: &[u8]| {
    for hop in parse_route_datagram(data) {
        let octets = match hop.gateway {
            std::net::IpAddr::V4(a) => a.octets().to_vec(),
            std::net::IpAddr::V6(a) => a.octets().to_vec(),
        };
        assert!(data.windows(octets.len()).any(|w| w == octets.as_slice()));
    }
    if data.len() >= 6 {
        let _ = topic(u16::from_ne_bytes([data[4], data[5]]));
    }
});
