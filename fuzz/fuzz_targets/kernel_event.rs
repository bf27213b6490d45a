//! ipmp.ko's events as in.mpathd receives them (a datagram of generic
//! netlink messages from the `events` group): any bytes parse without
//! panicking, into events or errors; an event's member name is read
//! from the message, not invented.
#![no_main]

use libfuzzer_sys::fuzz_target;
use libipmp::netlink::parse_event_datagram;

fuzz_target!(|data: &[u8]| {
    for event in parse_event_datagram(data).into_iter().flatten() {
        // (Bytes that are not UTF-8 are shown as U+FFFD, not found as such.)
        let name = event.member.ifname.as_bytes();
        let shown_as_sent = !event.member.ifname.contains('\u{fffd}');
        assert!(!shown_as_sent || name.is_empty() || data.windows(name.len()).any(|w| w == name));
    }
});
