//! in.mpathd: the IPMP daemon. See `in.mpathd --help`.

use clap::Parser;
use mpathd::cli::Cli;
use mpathd::shell::{run, Options};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let opts = Options {
        debug: cli.debug,
        adopt: cli.adopt,
        config_path: cli.config,
        ipmp_dir: cli.config_dir,
        socket_path: cli.socket.unwrap_or_else(libipmp::control::socket_path),
        lock_dir: mpathd::shell::lock::RUNTIME_DIR.into(),
    };
    match run(opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("in.mpathd: {e}");
            ExitCode::FAILURE
        }
    }
}
