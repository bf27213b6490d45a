//! `ipmpadm`: administer IPMP groups: create and delete IPMP interfaces,
//! add and remove members, standby, offline/online (through in.mpathd,
//! with its refusals), announcement settings; and the kernel's view,
//! raw member flags and events for diagnosis.

use clap::Parser;
use ipmpadm::admin::{apply, ifindex, Change};
use ipmpadm::cli::{Cli, Command, OnOff, Policy};
use ipmpadm::configure::{self, Hotplug};
use ipmpadm::json;
use libipmp::netlink::{BindingInfo, Client, Events, GroupInfo, GroupSettings, MemberInfo};
use libipmp::rtnl::Links;
use libipmp::uapi::*;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ipmpadm: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The master an interface is attached to, from sysfs.
fn master_of(name: &str) -> Option<String> {
    std::fs::read_link(format!("/sys/class/net/{name}/master"))
        .ok()
        .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
}

/// `-j` for commands that print nothing: refused before anything is done.
fn refuse_json(cli: &Cli, what: &str) -> Result<(), Box<dyn std::error::Error>> {
    if cli.json {
        return Err(format!("-j: {what} prints nothing (use `ipmpadm -j show`)").into());
    }
    Ok(())
}

fn run(cli: &Cli) -> Result<(), Box<dyn std::error::Error>> {
    match &cli.command {
        Command::CreateIpmp { name, group_name } => {
            let links = Links::connect()?;
            links.create_ipmp(name)?;
            let index = ifindex(name)?;
            let settings = GroupSettings {
                name: group_name.clone(),
                ..GroupSettings::default()
            };
            let configured = (|| -> Result<(), Box<dyn std::error::Error>> {
                if settings != GroupSettings::default() {
                    Client::connect()?.set_group(index, &settings)?;
                }
                links.set_up(index, true)?;
                Ok(())
            })();
            if let Err(e) = configured {
                // Nothing half-configured is left behind.
                let _ = links.delete(index);
                return Err(e);
            }
            if cli.json {
                json::print(&json::group_now(&Client::connect()?, index)?)?;
            }
        }
        Command::DeleteIpmp { name, force } => {
            refuse_json(cli, "delete-ipmp")?;
            let index = ifindex(name)?;
            let group = Client::connect()?
                .group(index)
                .map_err(|_| format!("{name} is not an IPMP interface"))?;
            if !group.members.is_empty() && !force {
                return Err(format!(
                    "{name} still has {} member(s); remove them first or use --force",
                    group.members.len()
                )
                .into());
            }
            Links::connect()?.delete(index)?;
        }
        Command::Add {
            group,
            interfaces,
            standby,
            force,
        } => {
            let gindex = ifindex(group)?;
            let client = Client::connect()?;
            client
                .group(gindex)
                .map_err(|_| format!("{group} is not an IPMP interface"))?;
            // Check every interface before changing anything.
            let mut indexes = Vec::new();
            for name in interfaces {
                let index = ifindex(name)?;
                if let Some(master) = master_of(name) {
                    if master == *group {
                        return Err(format!("{name} is already in {group}").into());
                    }
                    if !force {
                        let what = if client.group(ifindex(&master)?).is_ok() {
                            "a member of the IPMP group"
                        } else {
                            "attached to"
                        };
                        return Err(
                            format!("{name} is {what} {master}; use --force to move it").into()
                        );
                    }
                }
                indexes.push(index);
            }
            let links = Links::connect()?;
            for (name, index) in interfaces.iter().zip(indexes) {
                links
                    .set_master(index, gindex)
                    .map_err(|e| format!("cannot add {name} to {group}: {e}"))?;
                if *standby {
                    client.set_member_flags(index, MEMBER_F_STANDBY, MEMBER_F_STANDBY)?;
                }
                links.set_up(index, true)?;
            }
            if cli.json {
                json::print(&json::group_now(&client, gindex)?)?;
            }
        }
        Command::Remove { group, interfaces } => {
            // Every interface is checked before any is removed.
            let gindex = ifindex(group)?;
            let mut indexes = Vec::new();
            for name in interfaces {
                let index = ifindex(name)?;
                if master_of(name).as_deref() != Some(group.as_str()) {
                    return Err(format!("{name} is not in {group}").into());
                }
                indexes.push(index);
            }
            let links = Links::connect()?;
            for index in indexes {
                links.set_master(index, 0)?;
            }
            if cli.json {
                json::print(&json::group_now(&Client::connect()?, gindex)?)?;
            }
        }
        Command::Standby { interface, state } => {
            apply(interface, Change::Standby(matches!(state, OnOff::On)))?;
            print_member(cli, interface)?;
        }
        Command::Offline { interface } => {
            apply(interface, Change::Offline)?;
            print_member(cli, interface)?;
        }
        Command::Online { interface } => {
            apply(interface, Change::Online)?;
            print_member(cli, interface)?;
        }
        Command::Show { group } => {
            let client = Client::connect()?;
            let groups = match group {
                Some(g) => vec![client
                    .group(ifindex(g)?)
                    .map_err(|_| format!("{g} is not an IPMP interface"))?],
                None => client.groups()?,
            };
            let mut out = Vec::new();
            for g in groups {
                let members = client.members(Some(g.ifindex))?;
                let bindings = client.bindings(Some(g.ifindex))?;
                out.push((g, members, bindings));
            }
            if cli.json {
                let groups: Vec<_> = out
                    .iter()
                    .map(|(g, m, b)| json::Group::new(g, m, b))
                    .collect();
                json::print(&groups)?;
            } else {
                out.iter().for_each(|(g, m, b)| print_group(g, m, b));
            }
        }
        Command::SetMember {
            interface,
            standby,
            inactive,
            failed,
            offline,
        } => {
            let (mut flags, mut mask) = (0, 0);
            for (value, bit) in [
                (standby, MEMBER_F_STANDBY),
                (inactive, MEMBER_F_INACTIVE),
                (failed, MEMBER_F_FAILED),
                (offline, MEMBER_F_OFFLINE),
            ] {
                if let Some(v) = value {
                    mask |= bit;
                    if matches!(v, OnOff::On) {
                        flags |= bit;
                    }
                }
            }
            if mask == 0 {
                return Err(
                    "nothing to set: give --standby, --inactive, --failed or --offline".into(),
                );
            }
            let client = Client::connect()?;
            let index = ifindex(interface)?;
            client.set_member_flags(index, flags, mask)?;
            if cli.json {
                json::print(&json::member_now(&client, index)?)?;
            }
        }
        Command::SetGroup {
            group,
            name,
            policy,
            announce_count,
            announce_interval,
        } => {
            let settings = GroupSettings {
                name: name.clone(),
                policy: policy.map(|p| match p {
                    Policy::Kernel => POLICY_KERNEL,
                    Policy::Daemon => POLICY_DAEMON,
                }),
                announce_count: *announce_count,
                announce_interval_ms: *announce_interval,
            };
            if settings == GroupSettings::default() {
                return Err("nothing to set: give --name, --policy, --announce-count or --announce-interval".into());
            }
            let client = Client::connect()?;
            let index = ifindex(group)?;
            client.set_group(index, &settings)?;
            if cli.json {
                json::print(&json::group_now(&client, index)?)?;
            }
        }
        Command::Apply {
            dry_run,
            dir,
            files,
        } => {
            let mut changes = Vec::new();
            let result = configure::apply(dir, files, *dry_run, &mut |step| {
                if cli.json {
                    changes.push(json::Change::new(step));
                } else if *dry_run {
                    println!("would do: {step}");
                } else {
                    println!("{step}");
                }
            });
            // What was done is printed even when a later step failed.
            if cli.json {
                json::print(&changes)?;
            }
            for note in result? {
                if !cli.json {
                    println!("{note}");
                }
            }
        }
        Command::Hotplug { interface, dir } => {
            let mut changes = Vec::new();
            let result = configure::hotplug(dir, interface, &mut |step| {
                if cli.json {
                    changes.push(json::Change::new(step));
                } else {
                    println!("{step}");
                }
            });
            if cli.json {
                json::print(&changes)?;
            }
            match result? {
                Hotplug::GroupAbsent(group) if !cli.json => {
                    println!("{interface}: {group} does not exist yet (ipmpadm apply creates it)");
                }
                _ => {}
            }
        }
        Command::CheckConfig { dir, files } => {
            let configs = configure::load_checked(dir, files)?;
            if cli.json {
                let configs: Vec<_> = configs.iter().map(|c| json::Config::new(c, true)).collect();
                json::print(&configs)?;
            } else {
                println!(
                    "{} file{} checked, no error",
                    configs.len(),
                    if configs.len() == 1 { "" } else { "s" }
                );
            }
        }
        Command::ShowConfig { groups } => {
            let configs = configure::live_configs(groups)?;
            if cli.json {
                let configs: Vec<_> = configs
                    .iter()
                    .map(|c| json::Config::new(c, false))
                    .collect();
                json::print(&configs)?;
            } else {
                print!("{}", configure::render(&configs));
            }
        }
        Command::Monitor => {
            let mut events = Events::subscribe()?;
            let mut out = std::io::stdout().lock();
            while let Some(event) = events.next_event() {
                let event = event?;
                let kind = json::event_word(event.kind);
                let line = if cli.json {
                    let member = json::Member::new(
                        &event.member,
                        json::group_name(event.member.group_ifindex),
                    );
                    serde_json::to_string(&json::Event {
                        event: kind,
                        member,
                    })?
                } else {
                    format!("{kind} {}", member_line(&event.member))
                };
                // A reader that went away ends the monitor quietly.
                if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

/// With -j: the member as it is after an administrative change.
fn print_member(cli: &Cli, name: &str) -> Result<(), Box<dyn std::error::Error>> {
    if cli.json {
        json::print(&json::member_now(&Client::connect()?, ifindex(name)?)?)?;
    }
    Ok(())
}

fn print_group(g: &GroupInfo, members: &[MemberInfo], bindings: &[BindingInfo]) {
    println!(
        "{}: group {} state {} policy {} announce {}x{}ms",
        g.ifname,
        g.name,
        g.state_word(),
        g.policy_word(),
        g.announce_count,
        g.announce_interval_ms
    );
    for m in members {
        println!("    {}", member_line(m));
    }
    for b in bindings {
        let to = b
            .member_ifindex
            .and_then(|i| members.iter().find(|m| m.ifindex == i))
            .map_or("unbound", |m| m.ifname.as_str());
        println!("    address {} -> {}", b.address, to);
    }
}

fn member_line(m: &MemberInfo) -> String {
    let flags: Vec<&str> = [
        (MEMBER_F_STANDBY, "standby"),
        (MEMBER_F_INACTIVE, "inactive"),
        (MEMBER_F_FAILED, "failed"),
        (MEMBER_F_OFFLINE, "offline"),
    ]
    .iter()
    .filter(|(bit, _)| m.flags & bit != 0)
    .map(|(_, name)| *name)
    .collect();
    let roles = m.nominee_words();
    let addrs: Vec<String> = m.addresses.iter().map(|a| a.to_string()).collect();
    format!(
        "{} flags {} carrier {} active {} nominee {} addresses {}",
        m.ifname,
        if flags.is_empty() {
            "-".to_string()
        } else {
            flags.join(",")
        },
        if m.carrier { "up" } else { "down" },
        if m.active { "yes" } else { "no" },
        if roles.is_empty() {
            "-".to_string()
        } else {
            roles.join(",")
        },
        if addrs.is_empty() {
            "-".to_string()
        } else {
            addrs.join(",")
        },
    )
}
