//! in.mpathd: the IPMP daemon. See `in.mpathd --help`.

use clap::Parser;
use mpathd::shell::{run, Options};
use std::path::PathBuf;
use std::process::ExitCode;

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
struct Cli {
    /// Debug: log everything, including debug lines, to stderr instead
    /// of syslog.
    #[arg(short = 'd')]
    debug: bool,

    /// Adopt mode: keep running while no IPMP group exists (or ipmp.ko is
    /// not loaded yet) and take over groups as they appear. Without it,
    /// in.mpathd exits when there is nothing to track. Use it from init
    /// systems.
    #[arg(short = 'a')]
    adopt: bool,

    /// Configuration file.
    #[arg(
        short = 'f',
        value_name = "FILE",
        default_value = "/etc/default/mpathd"
    )]
    config: PathBuf,

    /// Control socket (also settable with IPMP_MPATHD_SOCKET).
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let opts = Options {
        debug: cli.debug,
        adopt: cli.adopt,
        config_path: cli.config,
        socket_path: cli.socket.unwrap_or_else(libipmp::control::socket_path),
    };
    match run(opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("in.mpathd: {e}");
            ExitCode::FAILURE
        }
    }
}
