//! `if_mpadm`: the original's command to take a member of an IPMP group
//! offline (`-d`) and bring it back (`-r`), with its refusals.

use clap::Parser;
use ipmpadm::admin::{apply, ifindex, Change};
use ipmpadm::cli::IfMpadmCli as Cli;
use ipmpadm::json;
use libipmp::netlink::Client;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (name, change) = match (&cli.detach, &cli.reattach) {
        (Some(n), None) => (n, Change::Offline),
        (None, Some(n)) => (n, Change::Online),
        _ => {
            eprintln!("Usage: if_mpadm [-j] [-d | -r] <interface_name>");
            return ExitCode::from(2);
        }
    };
    let done = apply(name, change).and_then(|()| {
        if !cli.json {
            return Ok(());
        }
        let client = Client::connect().map_err(|e| e.to_string())?;
        let index = ifindex(name)?;
        json::print(&json::member_now(&client, index)?)
    });
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("if_mpadm: {e}");
            ExitCode::FAILURE
        }
    }
}
