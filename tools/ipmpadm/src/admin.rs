//! Offline, online and standby: asked of in.mpathd, which applies the
//! original's rules for keeping the configured number of active members
//! and answers with the original's refusals.
//! With no daemon running, the same checks are made here against the
//! kernel's state and the flag is written directly, so that an
//! administrator can still take a NIC out for service.

use libipmp::control::{self, AskError, Request, Response};
use libipmp::netlink::Client;
use libipmp::uapi::{MEMBER_F_FAILED, MEMBER_F_OFFLINE, MEMBER_F_STANDBY};

/// An administrative change of one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `if_mpadm -d`.
    Offline,
    /// `if_mpadm -r`.
    Online,
    /// Standby on or off.
    Standby(bool),
}

/// The interface index of `name`, or the message to show.
pub fn ifindex(name: &str) -> Result<u32, String> {
    nix::net::if_::if_nametoindex(name).map_err(|_| format!("{name}: no such interface"))
}

/// Applies `change` to member `name`; the error is the message to show.
pub fn apply(name: &str, change: Change) -> Result<(), String> {
    let request = match change {
        Change::Offline => Request::Offline {
            interface: name.to_string(),
        },
        Change::Online => Request::Online {
            interface: name.to_string(),
        },
        Change::Standby(on) => Request::Standby {
            interface: name.to_string(),
            on,
        },
    };
    match control::ask(&request) {
        Ok(Response::Ok { .. }) => Ok(()),
        Ok(Response::Error { message }) => Err(message),
        Err(AskError::NoDaemon) => without_daemon(name, change),
        Err(e) => Err(e.to_string()),
    }
}

/// The same rules, against the kernel's state, when no daemon runs.
fn without_daemon(name: &str, change: Change) -> Result<(), String> {
    let client = Client::connect().map_err(|e| e.to_string())?;
    let index = ifindex(name)?;
    let me = client
        .member(index)
        .map_err(|_| format!("{name} is not in an IPMP group"))?;
    let (flags, mask) = match change {
        Change::Offline => {
            if me.flags & MEMBER_F_OFFLINE != 0 {
                return Err(format!("{name} is already offline"));
            }
            let others = client
                .members(Some(me.group_ifindex))
                .map_err(|e| e.to_string())?;
            let functioning = others.iter().any(|m| {
                m.ifindex != index
                    && m.carrier
                    && m.flags & (MEMBER_F_FAILED | MEMBER_F_OFFLINE) == 0
            });
            if !functioning {
                return Err(format!(
                    "cannot offline {name}: no other functioning interfaces are in its IPMP group"
                ));
            }
            (MEMBER_F_OFFLINE, MEMBER_F_OFFLINE)
        }
        Change::Online => {
            if me.flags & MEMBER_F_OFFLINE == 0 {
                return Err(format!("{name} is not offline"));
            }
            (0, MEMBER_F_OFFLINE)
        }
        Change::Standby(on) => (if on { MEMBER_F_STANDBY } else { 0 }, MEMBER_F_STANDBY),
    };
    client
        .set_member_flags(index, flags, mask)
        .map_err(|e| e.to_string())
}
