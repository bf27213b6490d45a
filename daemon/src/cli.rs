//! in.mpathd's command line, apart from the program so that the man page
//! check and the shell completions use the very same definition.

use clap::Parser;
use std::path::PathBuf;

/// in.mpathd — IP multipathing daemon: failure detection, repair and
/// active/standby policy for IPMP groups.
///
/// Watches every member of every IPMP interface (kind `ipmp`): link state
/// from the kernel, and ICMP/ICMPv6 probes from each member's test address
/// to targets on its subnet. Failed members stop carrying traffic, standbys
/// replace them, repaired members come back (FAILBACK). State is kept in
/// ipmp.ko: the daemon adopts what it finds when it starts, and leaves it
/// as it is when it stops (SIGTERM). SIGHUP re-reads the configuration in
/// place. `ipmpstat` and `ipmpadm` talk to it over a Unix socket.
#[derive(Debug, Parser)]
#[command(name = "in.mpathd", bin_name = "in.mpathd", version)]
pub struct Cli {
    /// Debug: log everything, including debug lines, to stderr instead
    /// of syslog.
    #[arg(short = 'd')]
    pub debug: bool,

    /// Adopt mode: keep running while no IPMP group exists (or ipmp.ko is
    /// not loaded yet) and take over groups as they appear. Without it,
    /// in.mpathd exits when there is nothing to track. Use it from init
    /// systems.
    #[arg(short = 'a')]
    pub adopt: bool,

    /// Configuration file.
    #[arg(
        short = 'f',
        value_name = "FILE",
        default_value = "/etc/default/mpathd"
    )]
    pub config: PathBuf,

    /// The persistent IPMP configuration (ipmp(5)): each group's
    /// `probe-target` lines are read from DIR/*.conf.
    #[arg(long, value_name = "DIR", default_value = libipmp::persist::CONFIG_DIR)]
    pub config_dir: PathBuf,

    /// Control socket (also settable with IPMP_MPATHD_SOCKET).
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
}
