//! in.mpathd: failure detection, repair and active/standby policy for IPMP
//! groups, pushing member state to ipmp.ko.
//!
//! Built as a sans-IO core (fed events and the time, returning actions)
//! wrapped in a thin IO shell. So far: the configuration file, the
//! active/standby policy, link flap damping, adaptive FDT and the probe
//! arithmetic.

pub mod cli;
pub mod config;
pub mod core;
pub mod fdt;
pub mod flap;
pub mod instance;
pub mod policy;
pub mod probe;
pub mod shell;
