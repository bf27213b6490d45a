//! `if_mpadm`: the original's command to take a member of an IPMP group
//! offline (`-d`) and bring it back (`-r`), with its refusals.

use clap::Parser;
use ipmpadm::admin::{apply, Change};
use ipmpadm::cli::IfMpadmCli as Cli;
use std::process::ExitCode;

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
