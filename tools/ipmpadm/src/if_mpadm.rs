//! `if_mpadm`: the original's command to take a member of an IPMP group
//! offline (`-d`) and bring it back (`-r`), with its refusals.

use clap::Parser;
use ipmpadm::admin::{apply, Change};
use std::process::ExitCode;

/// Take an IPMP group member offline (-d) or bring it back online (-r).
///
/// Offlining moves the member's data addresses to the other members,
/// activates a standby if one is needed, and stops probing on it. It is
/// refused when no other member of the group is functioning. Asks
/// in.mpathd; when the daemon is not running, the kernel's state is
/// checked and changed directly.
#[derive(Parser, Debug)]
#[command(name = "if_mpadm", bin_name = "if_mpadm", version)]
#[command(group(clap::ArgGroup::new("action").required(true).args(["detach", "reattach"])))]
struct Cli {
    /// Offline INTERFACE (detach it from its group's traffic).
    #[arg(short = 'd', value_name = "INTERFACE")]
    detach: Option<String>,
    /// Bring INTERFACE back online (reattach it).
    #[arg(short = 'r', value_name = "INTERFACE")]
    reattach: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (name, change) = match (&cli.detach, &cli.reattach) {
        (Some(n), None) => (n, Change::Offline),
        (None, Some(n)) => (n, Change::Online),
        _ => {
            eprintln!("Usage: if_mpadm [-d | -r] <interface_name>");
            return ExitCode::from(2);
        }
    };
    match apply(name, change) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("if_mpadm: {e}");
            ExitCode::FAILURE
        }
    }
}
