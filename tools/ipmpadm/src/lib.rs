//! What `ipmpadm` and `if_mpadm` share: the administrative requests that
//! go to in.mpathd when it runs, and to the kernel directly when it does
//! not (with the same refusals).

pub mod admin;
pub use libipmp::persist;
pub mod cli;
pub mod configure;
pub mod json;
pub mod plan;
pub mod system;
pub mod unmanaged;
