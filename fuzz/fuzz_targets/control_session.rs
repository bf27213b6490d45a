//! The control-socket protocol, end to end without the socket: each input
//! line is read as in.mpathd reads a request, answered by the daemon's
//! core (a group of three members, one a standby, with the kernel's flags
//! fed back as the kernel would), and the answer is read back as ipmpstat
//! and ipmpadm read it. Nothing may panic; every answer must serialise and
//! parse back to itself; the core's refusals must leave a group with a
//! working member (the original's rule: the last one cannot go offline).
#![no_main]

use libfuzzer_sys::fuzz_target;
use libipmp::control::{parse_answer, Request, Response};
use libipmp::uapi::{MEMBER_F_OFFLINE, MEMBER_F_STANDBY};
use mpathd::config::Config;
use mpathd::core::{Action, Core, Input, MemberReport};

const GROUP: u32 = 10;

fn report(ifindex: u32, flags: u32) -> MemberReport {
    MemberReport {
        ifindex,
        name: format!("net{}", ifindex - 1),
        group_ifindex: GROUP,
        group_ifname: "itops0".into(),
        group_name: "itops0".into(),
        flags,
        carrier: true,
        hwaddr: [2, 0, 0, 0, 0, ifindex as u8],
    }
}

/// Applies the flag writes in `actions` as the kernel would, and tells the
/// core, as the kernel's events would.
fn kernel(core: &mut Core, flags: &mut [u32; 3], now: u64, actions: Vec<Action>) {
    let mut pending = actions;
    for _ in 0..8 {
        let mut next = Vec::new();
        for action in pending {
            if let Action::SetFlags {
                ifindex,
                flags: set,
                mask,
            } = action
            {
                let Some(slot) = usize::try_from(ifindex)
                    .ok()
                    .and_then(|i| flags.get_mut(i - 1))
                else {
                    continue;
                };
                *slot = (*slot & !mask) | (set & mask);
                let input = Input::Member {
                    report: report(ifindex, *slot),
                    adopt: false,
                };
                next.extend(core.handle(now, input));
            }
        }
        if next.is_empty() {
            return;
        }
        pending = next;
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut core = Core::new(Config::default(), 1);
    let mut flags = [0, 0, MEMBER_F_STANDBY];
    let mut now = 0;
    for ifindex in 1..=3 {
        let input = Input::Member {
            report: report(ifindex, flags[ifindex as usize - 1]),
            adopt: false,
        };
        let actions = core.handle(now, input);
        kernel(&mut core, &mut flags, now, actions);
    }
    for line in text.lines().take(64) {
        now += 1_000;
        let response = match Request::parse(line) {
            Ok(request) => {
                let text = serde_json::to_string(&request).expect("a request serialises");
                assert_eq!(Request::parse(&text).as_ref(), Ok(&request));
                let (response, actions) = core.answer(now, request);
                kernel(&mut core, &mut flags, now, actions);
                response
            }
            Err(message) => Response::Error { message },
        };
        let text = serde_json::to_string(&response).expect("an answer serialises");
        let back: Response = parse_answer(&text).expect("an answer parses back");
        assert_eq!(back, response);
        assert!(
            flags.iter().any(|f| f & MEMBER_F_OFFLINE == 0),
            "every member offline: {flags:?}"
        );
        // What clients read from the daemon must never panic them either.
        let _ = parse_answer::<Response>(line);
        let _ = parse_answer::<libipmp::control::ProbeEvent>(line);
    }
});
