//! ipmpstat: display IPMP state. See `ipmpstat --help`.

use clap::error::ErrorKind;
use clap::Parser;
use ipmpstat::cli::Cli;
use ipmpstat::modes::{self, Mode};
use ipmpstat::ofmt::{Cell, Human};
use ipmpstat::select::select;
use ipmpstat::{gather, json_row, render, Style};
use libipmp::control::{self, AskError, ProbeState};
use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;

const USAGE: &str = "usage: ipmpstat [-n] [-o <field> [-P]] [-j] -a|-g|-i|-p|-t

  output modes:\t -a  display IPMP data address information
\t\t -g  display IPMP group information
\t\t -i  display IPMP-related IP interface information
\t\t -p  display IPMP probe information
\t\t -t  display IPMP target information

       options:\t -n  display IP addresses numerically
\t\t -o  display only the specified fields, in order
\t\t -P  display using parsable output mode
\t\t -j  display as JSON";

fn die(message: &str) -> ExitCode {
    eprintln!("ipmpstat: {message}");
    ExitCode::FAILURE
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            ErrorKind::UnknownArgument => {
                let arg = e
                    .get(clap::error::ContextKind::InvalidArg)
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                eprintln!(
                    "ipmpstat: illegal option -- {}",
                    arg.trim_start_matches('-')
                );
                return usage();
            }
            ErrorKind::InvalidValue | ErrorKind::NoEquals => {
                eprintln!("ipmpstat: option requires an argument -- o");
                return usage();
            }
            _ => return usage(),
        },
    };
    let modes = [
        (cli.addresses, Mode::Address),
        (cli.groups, Mode::Group),
        (cli.interfaces, Mode::Interface),
        (cli.probes, Mode::Probe),
        (cli.targets, Mode::Target),
    ];
    let count: u32 = modes.iter().map(|(n, _)| u32::from(*n)).sum();
    if cli.prometheus {
        if count > 0 || cli.json || cli.parseable || cli.fields.is_some() {
            return die("--prometheus takes no output mode, -o, -P or -j");
        }
        return prometheus(cli.textfile.as_deref());
    }
    if count > 1 {
        return die("only one output format may be specified");
    }
    let Some(mode) = modes.iter().find(|(n, _)| *n > 0).map(|(_, m)| *m) else {
        return usage();
    };
    if cli.json && cli.parseable {
        return die("-j and -P cannot be used together");
    }
    let selection = match select(mode, cli.fields.as_deref(), cli.parseable) {
        Ok(s) => s,
        Err(e) => return die(&e),
    };
    // JSON without -o: every field.
    let fields = if cli.json && cli.fields.is_none() {
        (0..mode.fields().len()).collect()
    } else {
        selection.fields
    };
    for w in &selection.warnings {
        eprintln!("ipmpstat: warning: {w}");
    }
    let style = if cli.json {
        Style::Json
    } else if cli.parseable {
        Style::Parseable
    } else {
        Style::Human
    };
    let numeric = cli.numeric;
    let resolve = move |a: &IpAddr| -> String {
        if numeric {
            return a.to_string();
        }
        dns_lookup::lookup_addr(a).unwrap_or_else(|_| a.to_string())
    };
    let snapshot = match gather::daemon() {
        Ok(s) => Some(s),
        Err(AskError::NoDaemon)
            if matches!(mode, Mode::Group | Mode::Interface | Mode::Address) =>
        {
            eprintln!(
                "ipmpstat: warning: {}; showing the kernel's view",
                AskError::NoDaemon
            );
            None
        }
        Err(e) => return die(&e.to_string()),
    };
    if mode == Mode::Probe {
        return probes(&fields, style, snapshot, &resolve);
    }
    let model = match gather::model(snapshot.as_ref()) {
        Ok(m) => m,
        Err(e) => return die(&e),
    };
    let rows = modes::rows(mode, &model, &resolve);
    let mut out = std::io::stdout().lock();
    for line in render(mode, &fields, style, &rows) {
        if writeln!(out, "{line}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// `--prometheus`: the kernel's view, and the daemon's when it answers.
fn prometheus(textfile: Option<&std::path::Path>) -> ExitCode {
    let snapshot = match gather::daemon() {
        Ok(s) => Some(s),
        Err(AskError::NoDaemon) => None,
        Err(e) => return die(&e.to_string()),
    };
    let model = match gather::model(snapshot.as_ref()) {
        Ok(m) => m,
        Err(e) => return die(&e),
    };
    let text = ipmpstat::metrics::render(&model);
    match textfile {
        Some(path) => match ipmpstat::metrics::write_atomically(path, &text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => die(&format!("{}: {e}", path.display())),
        },
        None => {
            if std::io::stdout().lock().write_all(text.as_bytes()).is_err() {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
    }
}

fn monotonic_us() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).map_or(0, |t| {
        t.tv_sec() as u64 * 1_000_000 + t.tv_nsec() as u64 / 1000
    })
}

fn probes(
    fields: &[usize],
    style: Style,
    snapshot: Option<libipmp::control::Snapshot>,
    resolve: &dyn Fn(&IpAddr) -> String,
) -> ExitCode {
    let Some(snapshot) = snapshot else {
        return die(&AskError::NoDaemon.to_string());
    };
    if snapshot
        .members
        .iter()
        .all(|m| m.probe == ProbeState::Disabled)
    {
        return die("probe-based failure detection is disabled");
    }
    let start = monotonic_us();
    let stream = match control::probe_stream() {
        Ok(s) => s,
        Err(e) => return die(&e.to_string()),
    };
    let all = Mode::Probe.fields();
    let chosen: Vec<_> = fields.iter().map(|&i| all[i]).collect();
    let mut human = Human::default();
    let mut out = std::io::stdout().lock();
    for event in stream {
        let event = match event {
            Ok(e) => e,
            Err(e) => return die(&e.to_string()),
        };
        let row = modes::probe_row(&event, start, resolve);
        let cells: Vec<&Cell> = fields.iter().map(|&i| &row[i]).collect();
        let lines = match style {
            Style::Human => human.lines(&chosen, &cells),
            Style::Parseable => vec![ipmpstat::ofmt::parseable_row(&cells)],
            Style::Json => vec![json_row(Mode::Probe, fields, &row).to_string()],
        };
        for line in lines {
            if writeln!(out, "{line}").is_err() || out.flush().is_err() {
                return ExitCode::SUCCESS;
            }
        }
    }
    die("in.mpathd went away")
}
