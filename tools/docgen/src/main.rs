//! `ipmp-docgen completions DIR`: writes bash and zsh completions for
//! every program (DIR/bash/NAME, DIR/zsh/_NAME), generated from the same
//! command-line definitions the programs parse with.

use clap_complete::{generate_to, Shell};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [verb, dir] = args.as_slice() else {
        eprintln!("usage: ipmp-docgen completions DIR");
        return ExitCode::from(2);
    };
    if verb != "completions" {
        eprintln!("usage: ipmp-docgen completions DIR");
        return ExitCode::from(2);
    }
    for (name, mut cmd) in ipmp_docgen::programs() {
        for (shell, sub) in [(Shell::Bash, "bash"), (Shell::Zsh, "zsh")] {
            let out = PathBuf::from(dir).join(sub);
            if let Err(e) = std::fs::create_dir_all(&out)
                .and_then(|()| generate_to(shell, &mut cmd, name, &out).map(|_| ()))
            {
                eprintln!("ipmp-docgen: {}: {e}", out.display());
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
