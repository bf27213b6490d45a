//! What the kernel module and userspace share.
//!
//! - [`uapi`]: the generic netlink family `ipmp` (commands, attributes,
//!   flags), compiled from `kmod/uapi.rs` itself so the two cannot drift.
//! - [`netlink`]: the client of that family.
//! - [`rtnl`]: creating/deleting IPMP interfaces and attaching members.
//! - [`control`]: in.mpathd's control protocol (ipmpstat, ipmpadm).
//! - [`kernel_logic`]: the kernel module's pure logic (active set and
//!   nominees, flow table, frame parsing and rewriting), compiled here
//!   from the module's own files so that `cargo test` exercises exactly
//!   the code that runs in the kernel.

#[path = "../../../kmod/uapi.rs"]
pub mod uapi;

pub mod control;
pub mod netlink;
pub mod persist;
pub mod routing;
pub mod rtnl;

/// Netlink messages laid out by hand, as the kernel sends them, for the
/// parsers' tests.
#[cfg(test)]
pub(crate) mod wire {
    /// One attribute: length, type, payload, padding to 4 bytes.
    pub fn attr(kind: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = ((4 + payload.len()) as u16).to_ne_bytes().to_vec();
        v.extend_from_slice(&kind.to_ne_bytes());
        v.extend_from_slice(payload);
        while !v.len().is_multiple_of(4) {
            v.push(0);
        }
        v
    }
}

/// The kernel module's pure-logic files, as the module compiles them.
pub mod kernel_logic {
    #[path = "../../../../kmod/binding.rs"]
    pub mod binding;
    #[path = "../../../../kmod/flowtab.rs"]
    pub mod flowtab;
    #[path = "../../../../kmod/frames.rs"]
    pub mod frames;
    #[path = "../../../../kmod/policy.rs"]
    pub mod policy;
}
