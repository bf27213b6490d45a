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
pub mod rtnl;

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
