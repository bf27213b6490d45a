//! The programs' command lines, taken from the very definitions the
//! programs parse with, for the shell completions and the man page check.

use clap::CommandFactory;

/// Every installed program: its name and its command line.
pub fn programs() -> Vec<(&'static str, clap::Command)> {
    vec![
        ("in.mpathd", mpathd::cli::Cli::command()),
        ("ipmpstat", ipmpstat::cli::Cli::command()),
        ("ipmpadm", ipmpadm::cli::Cli::command()),
        ("if_mpadm", ipmpadm::cli::IfMpadmCli::command()),
    ]
}

/// What a man page must mention for `cmd`: each option as the page writes
/// it in roff (`\-a`, `\-\-dry\-run`), and each subcommand (with its own
/// options), clap's automatic `--help`/`--version` aside.
pub fn must_mention(cmd: &clap::Command) -> Vec<String> {
    let mut out = Vec::new();
    for arg in cmd.get_arguments() {
        let id = arg.get_id().as_str();
        if id == "help" || id == "version" && arg.get_long() == Some("version") {
            continue;
        }
        if let Some(short) = arg.get_short() {
            out.push(format!("\\-{short}"));
        }
        if let Some(long) = arg.get_long() {
            out.push(format!("\\-\\-{}", long.replace('-', "\\-")));
        }
    }
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        out.push(sub.get_name().replace('-', "\\-"));
        out.extend(must_mention(sub));
    }
    out.dedup();
    out
}
