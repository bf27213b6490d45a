//! Keeping NetworkManager and systemd-networkd off the members: `apply`
//! lists the interfaces its configurations name (IPMP interfaces and
//! members) in runtime snippets, so that neither runs DHCP on a member,
//! removes its test address or takes it down. The IPMP interfaces
//! themselves are matched by kind in the packaged snippets
//! (packaging/NetworkManager, packaging/systemd/network); members can be
//! any NIC, so only the configuration knows them.

use crate::persist::GroupConfig;
use std::path::Path;

/// NetworkManager's runtime configuration snippet.
pub const NM_FILE: &str = "/run/NetworkManager/conf.d/91-ipmp-members.conf";
/// systemd-networkd's runtime network file.
pub const NETWORKD_FILE: &str = "/run/systemd/network/10-ipmp-members.network";

/// Every interface the configurations name, IPMP interfaces first, each
/// once, in file order.
pub fn interfaces(configs: &[GroupConfig]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let names = configs.iter().map(|c| &c.ifname).chain(
        configs
            .iter()
            .flat_map(|c| c.members.iter().map(|m| &m.name)),
    );
    for name in names {
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    out
}

const HEADER: &str = "# Written by `ipmpadm apply` from /etc/ipmp (ipmp(5)): the IPMP\n\
                      # interfaces and members, which ipmpadm and in.mpathd manage.\n";

/// The NetworkManager snippet for `names`.
pub fn nm_snippet(names: &[String]) -> String {
    let list: Vec<String> = names
        .iter()
        .map(|n| format!("interface-name:{n}"))
        .collect();
    format!("{HEADER}[keyfile]\nunmanaged-devices+={}\n", list.join(";"))
}

/// The systemd-networkd network file for `names`.
pub fn networkd_snippet(names: &[String]) -> String {
    format!(
        "{HEADER}[Match]\nName={}\n\n[Link]\nUnmanaged=yes\n",
        names.join(" ")
    )
}

/// A network manager that may be installed here.
struct Manager {
    /// Its program: the snippet is written only where it is installed.
    binary: &'static str,
    /// The runtime snippet.
    file: &'static str,
    /// The snippet's text for the interfaces.
    render: fn(&[String]) -> String,
    /// How a running one is told to read it.
    reload: &'static [&'static str],
}

const MANAGERS: [Manager; 2] = [
    Manager {
        binary: "/usr/sbin/NetworkManager",
        file: NM_FILE,
        render: nm_snippet,
        reload: &["nmcli", "general", "reload", "conf"],
    },
    Manager {
        binary: "/lib/systemd/systemd-networkd",
        file: NETWORKD_FILE,
        render: networkd_snippet,
        reload: &["networkctl", "reload"],
    },
];

/// Writes (or, with no interface, removes) the snippets of the network
/// managers installed here, and has the running ones read them again.
/// Returns what was written, one line each.
pub fn update(configs: &[GroupConfig]) -> Vec<String> {
    let names = interfaces(configs);
    let mut done = Vec::new();
    for m in &MANAGERS {
        if !Path::new(m.binary).exists() {
            continue;
        }
        let path = Path::new(m.file);
        let written = if names.is_empty() {
            std::fs::remove_file(path).is_ok()
        } else {
            let text = (m.render)(&names);
            if std::fs::read_to_string(path).ok().as_deref() == Some(text.as_str()) {
                false
            } else {
                path.parent().map(std::fs::create_dir_all);
                std::fs::write(path, text).is_ok()
            }
        };
        if written {
            // Not running is fine: it reads the file when it starts.
            let _ = std::process::Command::new(m.reload[0])
                .args(&m.reload[1..])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
            done.push(format!("{}: {} unmanaged", m.file, names.join(" ")));
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::parse;

    fn configs() -> Vec<GroupConfig> {
        vec![
            parse(
                Path::new("/etc/ipmp/itops0.conf"),
                "member net0\nmember net1\nstandby net2\n",
            )
            .expect("valid"),
            parse(Path::new("/etc/ipmp/itops1.conf"), "member net3\n").expect("valid"),
        ]
    }

    #[test]
    fn every_named_interface_once() {
        assert_eq!(
            interfaces(&configs()),
            ["itops0", "itops1", "net0", "net1", "net2", "net3"]
        );
    }

    #[test]
    fn snippets_in_each_managers_syntax() {
        let names = interfaces(&configs()[1..]);
        assert_eq!(
            nm_snippet(&names).lines().skip(2).collect::<Vec<_>>(),
            [
                "[keyfile]",
                "unmanaged-devices+=interface-name:itops1;interface-name:net3"
            ]
        );
        assert_eq!(
            networkd_snippet(&names).lines().skip(2).collect::<Vec<_>>(),
            ["[Match]", "Name=itops1 net3", "", "[Link]", "Unmanaged=yes"]
        );
    }
}
