//! `ipmpadm apply`, `check-config` and `show-config`: the persistent
//! configuration read, checked, applied, and the live state written back
//! in its format.

use crate::persist::{self, GroupConfig, Problem};
use crate::plan::{self, Live, Step};
use crate::system;
use crate::unmanaged;
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

/// The message for a plan that cannot be carried out.
fn refusal(conflicts: Vec<plan::Conflict>) -> String {
    let lines: Vec<String> = conflicts.iter().map(ToString::to_string).collect();
    format!("{}\nnothing was changed", lines.join("\n"))
}

/// `ipmpadm apply`: `report` is given each step once it is done (with
/// `dry_run`, each step that would be done, in order). Returns the
/// network managers' snippets it wrote (see [`crate::unmanaged`]).
pub fn apply(
    dir: &Path,
    files: &[PathBuf],
    dry_run: bool,
    report: &mut dyn FnMut(&Step),
) -> Result<Vec<String>, String> {
    let configs = load_checked(dir, files)?;
    let _lock = lock()?;
    let mut live = system::read_live()?;
    let mut warnings = Vec::new();
    let steps = plan::plan(&configs, &live, &mut warnings).map_err(refusal)?;
    for w in &warnings {
        eprintln!("ipmpadm: warning: {w}");
    }
    if dry_run {
        for s in &steps {
            report(s);
            live.apply(s);
        }
        return Ok(Vec::new());
    }
    let links = libipmp::rtnl::Links::connect().map_err(|e| e.to_string())?;
    for s in &steps {
        system::execute(&links, s).map_err(|e| format!("{s}: {e}"))?;
        report(s);
    }
    // Only files from the configuration directory describe the whole
    // system's members.
    let notes = if files.is_empty() {
        unmanaged::update(&configs)
    } else {
        Vec::new()
    };
    // in.mpathd reads the probe targets from the files: tell it.
    match control::ask(&Request::Reload) {
        Ok(Response::Ok { .. }) | Err(AskError::NoDaemon) => Ok(notes),
        Ok(Response::Error { message }) => Err(format!("in.mpathd: {message}")),
        Err(e) => Err(e.to_string()),
    }
}

/// Where `apply` and `hotplug` serialise: a udev event for a member can
/// come while ipmp-apply.service is applying at boot.
const LOCK: &str = "/run/ipmp/apply.lock";

/// Waits for the other `apply` or `hotplug`; held until dropped.
fn lock() -> Result<nix::fcntl::Flock<std::fs::File>, String> {
    let path = Path::new(LOCK);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| format!("{LOCK}: {e}"))?;
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| format!("{LOCK}: {e}"))
}

/// What `hotplug` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hotplug {
    /// No configuration names the interface: nothing to do.
    NotConfigured,
    /// Its IPMP interface does not exist yet (`apply` creates it with
    /// its members at boot).
    GroupAbsent(String),
    /// It is already in its group as configured.
    InPlace(String),
    /// It joined its group.
    Joined(String),
}

/// `ipmpadm hotplug IFNAME` (udev, when an interface appears): if a
/// configuration names `ifname` as a member and its IPMP interface
/// exists, `ifname` joins it with its standby flag and test addresses,
/// and nothing else is changed. `report` is given each step done.
pub fn hotplug(dir: &Path, ifname: &str, report: &mut dyn FnMut(&Step)) -> Result<Hotplug, String> {
    let configs = load_checked(dir, &[])?;
    let Some(config) = configs.iter().find(|c| c.member(ifname).is_some()) else {
        return Ok(Hotplug::NotConfigured);
    };
    let group = config.ifname.clone();
    let _lock = lock()?;
    let live = system::read_live()?;
    if !live.links.get(&group).is_some_and(|l| l.is_ipmp) {
        return Ok(Hotplug::GroupAbsent(group));
    }
    let steps =
        plan::plan(std::slice::from_ref(config), &live, &mut Vec::new()).map_err(refusal)?;
    let steps = plan::member_steps(&steps, ifname);
    if steps.is_empty() {
        return Ok(Hotplug::InPlace(group));
    }
    let links = libipmp::rtnl::Links::connect().map_err(|e| e.to_string())?;
    for s in &steps {
        system::execute(&links, s).map_err(|e| format!("{s}: {e}"))?;
        report(s);
    }
    Ok(Hotplug::Joined(group))
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
