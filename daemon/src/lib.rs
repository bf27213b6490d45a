//! in.mpathd: failure detection, repair and active/standby policy for IPMP
//! groups, pushing member state to ipmp.ko.
//!
//! Built as a sans-IO core (`core`, fed events and the time, returning
//! actions; with the configuration file, the active/standby policy, link
//! flap damping, the adaptive FDT and the probe arithmetic) wrapped in a
//! thin IO shell (`shell`: sockets, threads, the control socket).

pub mod cli;
pub mod config;
pub mod core;
pub mod fdt;
pub mod flap;
pub mod instance;
pub mod policy;
pub mod probe;
pub mod rotation;
pub mod shell;
