//! Probe replies: any datagram a raw ICMP or ICMPv6 socket can deliver is
//! parsed without panicking, and only a well-formed echo reply to our
//! identifier, with our payload marker, gives a sequence number, the one
//! it carries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpathd::instance::Family;
use mpathd::shell::icmp::parse_reply;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let ident = 0x4d50;
    let family = if first & 1 == 0 {
        Family::V4
    } else {
        Family::V6
    };
    if let Some(seq) = parse_reply(family, rest, ident) {
        let icmp = match family {
            Family::V4 => &rest[usize::from(rest[0] & 0x0f) * 4..],
            Family::V6 => rest,
        };
        assert_eq!(icmp[0], if family == Family::V4 { 0 } else { 129 });
        assert_eq!(u16::from_be_bytes([icmp[4], icmp[5]]), ident);
        assert_eq!(u16::from_be_bytes([icmp[6], icmp[7]]), seq);
    }
});
