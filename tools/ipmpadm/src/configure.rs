//! `ipmpadm apply`, `check-config` and `show-config`: the persistent
//! configuration read, checked, applied, and the live state written back
//! in its format.

use crate::persist::{self, GroupConfig, Problem};
use crate::plan::{self, Live, Step};
use crate::system;
use libipmp::control::{self, AskError, Request, Response};
use std::path::{Path, PathBuf};

/// Reads and checks every file; prints the warnings; the error lists every
/// problem (one per line, FILE:LINE: message).
pub fn load_checked(dir: &Path, files: &[PathBuf]) -> Result<Vec<GroupConfig>, String> {
    let texts = persist::load(dir, files).map_err(|p| p.to_string())?;
    let mut problems: Vec<Problem> = Vec::new();
    let mut configs = Vec::new();
    for (path, text) in &texts {
        match persist::parse(path, text) {
            Ok(c) => configs.push(c),
            Err(p) => problems.extend(p),
        }
    }
    let (errors, warnings) = persist::check_together(&configs);
    problems.extend(errors);
    for w in warnings {
        eprintln!("ipmpadm: warning: {w}");
    }
    if problems.is_empty() {
        Ok(configs)
    } else {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        Err(format!(
            "{}\nnothing was changed ({} error{})",
            lines.join("\n"),
            lines.len(),
            if lines.len() == 1 { "" } else { "s" }
        ))
    }
}

/// `ipmpadm apply`: `report` is given each step once it is done (with
/// `dry_run`, each step that would be done, in order).
pub fn apply(
    dir: &Path,
    files: &[PathBuf],
    dry_run: bool,
    report: &mut dyn FnMut(&Step),
) -> Result<(), String> {
    let configs = load_checked(dir, files)?;
    let mut live = system::read_live()?;
    let mut warnings = Vec::new();
    let steps = plan::plan(&configs, &live, &mut warnings).map_err(|conflicts| {
        let lines: Vec<String> = conflicts.iter().map(ToString::to_string).collect();
        format!("{}\nnothing was changed", lines.join("\n"))
    })?;
    for w in &warnings {
        eprintln!("ipmpadm: warning: {w}");
    }
    if dry_run {
        for s in &steps {
            report(s);
            live.apply(s);
        }
        return Ok(());
    }
    let links = libipmp::rtnl::Links::connect().map_err(|e| e.to_string())?;
    for s in &steps {
        system::execute(&links, s).map_err(|e| format!("{s}: {e}"))?;
        report(s);
    }
    // in.mpathd reads the probe targets from the files: tell it.
    match control::ask(&Request::Reload) {
        Ok(Response::Ok { .. }) | Err(AskError::NoDaemon) => Ok(()),
        Ok(Response::Error { message }) => Err(format!("in.mpathd: {message}")),
        Err(e) => Err(e.to_string()),
    }
}

/// `ipmpadm show-config`: the IPMP interfaces (all, or `groups`) as
/// configurations, with the probe targets in.mpathd was given for them
/// (if it runs).
pub fn live_configs(groups: &[String]) -> Result<Vec<GroupConfig>, String> {
    let live: Live = system::read_live()?;
    let mut configs = live.to_configs();
    for g in groups {
        if !configs.iter().any(|c| &c.ifname == g) {
            return Err(format!("{g} is not an IPMP interface"));
        }
    }
    configs.retain(|c| groups.is_empty() || groups.contains(&c.ifname));
    if let Ok(snapshot) = control::snapshot() {
        for c in &mut configs {
            if let Some(g) = snapshot.groups.iter().find(|g| g.ifname == c.ifname) {
                c.probe_targets = g.configured_targets.clone();
            }
        }
    }
    Ok(configs)
}

/// `configs` in the file format, separated by empty lines.
pub fn render(configs: &[GroupConfig]) -> String {
    configs
        .iter()
        .map(persist::render)
        .collect::<Vec<_>>()
        .join("\n")
}
