//! The persistent configuration, ipmp(5): one file per IPMP interface,
//! `/etc/ipmp/IFNAME.conf`, read by `ipmpadm apply` at boot and written by
//! `ipmpadm show-config`.
//!
//! ```text
//! # /etc/ipmp/itops0.conf
//! group itops0
//! member net0
//! member net1
//! standby net2
//! address 192.168.10.5/24
//! test-address net0 192.168.10.10/24
//! probe-target 192.168.10.1
//! ```
//!
//! Parsing checks everything that can be checked without looking at the
//! system, and reports every problem with its file and line, so that a
//! broken file is refused before anything is changed.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Where the files live.
pub const CONFIG_DIR: &str = "/etc/ipmp";
/// The files' suffix.
pub const SUFFIX: &str = ".conf";
/// Every keyword a file may use.
pub const KEYWORDS: [&str; 6] = [
    "group",
    "member",
    "standby",
    "address",
    "test-address",
    "probe-target",
];
/// Longest interface name Linux accepts (IFNAMSIZ - 1).
const IFNAMSIZ_MAX: usize = 15;

/// An address with its prefix length, as `ip addr` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prefixed {
    /// The address.
    pub addr: IpAddr,
    /// Its prefix length.
    pub prefix: u8,
}

impl Prefixed {
    /// Whether `other` is in the same subnet (same family, same network
    /// under the shorter of the two prefixes).
    pub fn same_subnet(&self, other: &Prefixed) -> bool {
        let prefix = self.prefix.min(other.prefix);
        match (self.addr, other.addr) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                u32::from(a) & mask == u32::from(b) & mask
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                u128::from(a) & mask == u128::from(b) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for Prefixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl std::str::FromStr for Prefixed {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let Some((addr, prefix)) = s.split_once('/') else {
            return Err(format!(
                "{s}: an address with its prefix length is expected, e.g. 192.0.2.5/24"
            ));
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{addr}: not an IPv4 or IPv6 address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix
            .parse::<u8>()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| format!("{prefix}: not a prefix length (0 to {max})"))?;
        Ok(Self { addr, prefix })
    }
}

/// One member as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberConfig {
    /// Its interface name.
    pub name: String,
    /// `standby` rather than `member`.
    pub standby: bool,
    /// Its test addresses.
    pub test_addresses: Vec<Prefixed>,
}

/// One file: an IPMP interface and everything about it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupConfig {
    /// The IPMP interface (the file's name).
    pub ifname: String,
    /// `group NAME`, when given.
    pub group_name: Option<String>,
    /// Members in file order.
    pub members: Vec<MemberConfig>,
    /// Data addresses.
    pub addresses: Vec<Prefixed>,
    /// Explicit probe targets.
    pub probe_targets: Vec<IpAddr>,
    /// The file it came from.
    pub path: PathBuf,
}

impl GroupConfig {
    /// The group name in force (the interface name by default).
    pub fn effective_group_name(&self) -> &str {
        self.group_name.as_deref().unwrap_or(&self.ifname)
    }

    /// The member called `name`.
    pub fn member(&self, name: &str) -> Option<&MemberConfig> {
        self.members.iter().find(|m| m.name == name)
    }
}

/// A problem in a file, at a line (0: the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, or 0 for the whole file.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
        }
    }
}

/// Whether `name` is a name Linux accepts for an interface.
pub fn valid_ifname(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= IFNAMSIZ_MAX
        && name != "."
        && name != ".."
        && !name
            .bytes()
            .any(|b| b == b'/' || b == b':' || b.is_ascii_whitespace() || b == 0)
}

/// The IPMP interface a file describes: its name without `.conf`.
pub fn ifname_of(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    name.strip_suffix(SUFFIX).map(str::to_owned)
}

/// Parses one file's text. `path` names the file (its name gives the IPMP
/// interface). Every problem is reported, each with its line.
pub fn parse(path: &Path, text: &str) -> Result<GroupConfig, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut problem = |line: usize, message: String| {
        problems.push(Problem {
            path: path.to_owned(),
            line,
            message,
        });
    };
    let ifname = ifname_of(path).unwrap_or_default();
    if !valid_ifname(&ifname) {
        problem(
            0,
            format!(
                "the file name must be IFNAME{SUFFIX}, with IFNAME a valid interface name of at most {IFNAMSIZ_MAX} characters"
            ),
        );
    }
    let mut config = GroupConfig {
        ifname,
        path: path.to_owned(),
        ..GroupConfig::default()
    };
    // Where each interface was first named, to report repeats.
    let mut named: Vec<(String, usize)> = Vec::new();
    let mut group_line = None;
    // Test addresses are checked against the members once all are read.
    let mut tests: Vec<(usize, String, Prefixed)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let words: Vec<&str> = content.split_whitespace().collect();
        let (keyword, args) = words.split_first().map_or(("", &[][..]), |(k, a)| (*k, a));
        let expect = |n: usize, usage: &str| -> Result<(), String> {
            if args.len() == n {
                Ok(())
            } else {
                Err(format!("usage: {usage}"))
            }
        };
        let result: Result<(), String> = match keyword {
            "group" => expect(1, "group NAME").and_then(|()| {
                if let Some(first) = group_line {
                    return Err(format!("group is already given on line {first}"));
                }
                let name = args[0];
                if name.len() > 31 || name.bytes().any(|b| !(b.is_ascii_graphic())) {
                    return Err(format!("{name}: a group name is at most 31 printable characters"));
                }
                group_line = Some(line);
                config.group_name = Some(name.to_owned());
                Ok(())
            }),
            "member" | "standby" => expect(1, &format!("{keyword} IFNAME")).and_then(|()| {
                let name = args[0];
                if !valid_ifname(name) {
                    return Err(format!("{name}: not a valid interface name"));
                }
                if name == config.ifname {
                    return Err(format!("{name} cannot be a member of itself"));
                }
                if let Some((_, first)) = named.iter().find(|(n, _)| n == name) {
                    return Err(format!("{name} is already listed on line {first}"));
                }
                named.push((name.to_owned(), line));
                config.members.push(MemberConfig {
                    name: name.to_owned(),
                    standby: keyword == "standby",
                    test_addresses: Vec::new(),
                });
                Ok(())
            }),
            "address" => expect(1, "address ADDRESS/PREFIX").and_then(|()| {
                let a: Prefixed = args[0].parse()?;
                if config.addresses.contains(&a) {
                    return Err(format!("{a} is listed twice"));
                }
                config.addresses.push(a);
                Ok(())
            }),
            "test-address" => expect(2, "test-address IFNAME ADDRESS/PREFIX").and_then(|()| {
                let a: Prefixed = args[1].parse()?;
                tests.push((line, args[0].to_owned(), a));
                Ok(())
            }),
            "probe-target" => expect(1, "probe-target ADDRESS").and_then(|()| {
                let a: IpAddr = args[0]
                    .parse()
                    .map_err(|_| format!("{}: not an IPv4 or IPv6 address", args[0]))?;
                if !config.probe_targets.contains(&a) {
                    config.probe_targets.push(a);
                }
                Ok(())
            }),
            other => Err(format!(
                "unknown keyword \"{other}\" (expected group, member, standby, address, test-address or probe-target)"
            )),
        };
        if let Err(message) = result {
            problem(line, message);
        }
    }
    let mut all_tests: Vec<Prefixed> = Vec::new();
    for (line, name, addr) in tests {
        if all_tests.contains(&addr) {
            problem(line, format!("{addr} is listed twice"));
            continue;
        }
        if config.addresses.iter().any(|a| a.addr == addr.addr) {
            problem(line, format!("{} is also a data address", addr.addr));
            continue;
        }
        all_tests.push(addr);
        match config.members.iter_mut().find(|m| m.name == name) {
            Some(m) => m.test_addresses.push(addr),
            None => problem(
                line,
                format!(
                    "{name} is not a member of {} (add a member or standby line)",
                    config.ifname
                ),
            ),
        }
    }
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(problems)
    }
}

/// Checks the files together: an interface in two groups is an error; two
/// groups with data addresses in one subnet is a warning (the Oracle
/// Solaris rule of one IPMP group per subnet:
/// the kernel could not tell which group should answer).
pub fn check_together(configs: &[GroupConfig]) -> (Vec<Problem>, Vec<Problem>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for (i, a) in configs.iter().enumerate() {
        for b in configs.iter().skip(i + 1) {
            if a.ifname == b.ifname {
                errors.push(Problem {
                    path: b.path.clone(),
                    line: 0,
                    message: format!("{} is also described by {}", b.ifname, a.path.display()),
                });
            }
            for m in &b.members {
                if a.member(&m.name).is_some() {
                    errors.push(Problem {
                        path: b.path.clone(),
                        line: 0,
                        message: format!(
                            "{} is also a member of {} ({}): an interface belongs to one group",
                            m.name,
                            a.ifname,
                            a.path.display()
                        ),
                    });
                }
            }
            if a.effective_group_name() == b.effective_group_name() {
                errors.push(Problem {
                    path: b.path.clone(),
                    line: 0,
                    message: format!(
                        "group name {} is also used by {}",
                        b.effective_group_name(),
                        a.ifname
                    ),
                });
            }
            for x in &a.addresses {
                if let Some(y) = b.addresses.iter().find(|y| x.same_subnet(y)) {
                    warnings.push(Problem {
                        path: b.path.clone(),
                        line: 0,
                        message: format!(
                            "{} ({}) and {} ({}) are in the same subnet: IPMP groups must not share a subnet's data addresses",
                            y, b.ifname, x, a.ifname
                        ),
                    });
                }
            }
        }
    }
    (errors, warnings)
}

/// Writes a configuration in the file format (what `show-config` prints
/// and `parse` reads back to the same value).
pub fn render(config: &GroupConfig) -> String {
    let mut out = format!("# {}: IPMP interface (ipmp(5))\n", config.ifname);
    if let Some(name) = &config.group_name {
        out += &format!("group {name}\n");
    }
    for m in &config.members {
        out += &format!(
            "{} {}\n",
            if m.standby { "standby" } else { "member" },
            m.name
        );
    }
    for a in &config.addresses {
        out += &format!("address {a}\n");
    }
    for m in &config.members {
        for a in &m.test_addresses {
            out += &format!("test-address {} {a}\n", m.name);
        }
    }
    for t in &config.probe_targets {
        out += &format!("probe-target {t}\n");
    }
    out
}

/// Reads `dir`/*.conf (sorted by name), or the given files.
pub fn load(dir: &Path, files: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, Problem> {
    let paths = if files.is_empty() {
        let entries = std::fs::read_dir(dir).map_err(|e| Problem {
            path: dir.to_owned(),
            line: 0,
            message: e.to_string(),
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "conf") && p.is_file())
            .collect();
        paths.sort();
        paths
    } else {
        files.to_vec()
    };
    paths
        .into_iter()
        .map(|p| match std::fs::read_to_string(&p) {
            Ok(text) => Ok((p, text)),
            Err(e) => Err(Problem {
                path: p,
                line: 0,
                message: e.to_string(),
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "# the seed's group\ngroup itops0\nmember net0\nmember net1\nstandby net2\n\
                        address 192.168.10.5/24\ntest-address net0 192.168.10.10/24\n\
                        test-address net1 192.168.10.11/24\ntest-address net2 192.168.10.12/24\n\
                        probe-target 192.168.10.1\n";

    fn path(name: &str) -> PathBuf {
        PathBuf::from(format!("/etc/ipmp/{name}"))
    }

    fn errors(name: &str, text: &str) -> Vec<String> {
        parse(&path(name), text)
            .expect_err("an invalid file")
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn the_seed_setup_parses() {
        let c = parse(&path("itops0.conf"), SEED).expect("valid");
        assert_eq!(c.ifname, "itops0");
        assert_eq!(c.effective_group_name(), "itops0");
        let roles: Vec<(&str, bool, usize)> = c
            .members
            .iter()
            .map(|m| (m.name.as_str(), m.standby, m.test_addresses.len()))
            .collect();
        assert_eq!(
            roles,
            vec![("net0", false, 1), ("net1", false, 1), ("net2", true, 1)]
        );
        assert_eq!(c.addresses, vec!["192.168.10.5/24".parse().unwrap()]);
        assert_eq!(
            c.probe_targets,
            vec!["192.168.10.1".parse::<IpAddr>().unwrap()]
        );
    }

    #[test]
    fn render_reads_back_to_the_same_configuration() {
        let c = parse(&path("itops0.conf"), SEED).expect("valid");
        let again = parse(&path("itops0.conf"), &render(&c)).expect("rendered text is valid");
        assert_eq!(again, c);
        assert_eq!(render(&again), render(&c));
    }

    #[test]
    fn each_error_names_its_file_and_line() {
        let text = "member net0\nmembers net1\nmember\nmember net0\naddress 192.168.10.5\n\
                    address 300.1.1.1/24\naddress 2001:db8::1/129\ntest-address net9 192.0.2.9/24\n\
                    group a\ngroup b\nprobe-target nowhere\nmember this-name-is-too-long\n";
        assert_eq!(
            errors("itops0.conf", text),
            vec![
                "/etc/ipmp/itops0.conf:2: unknown keyword \"members\" (expected group, member, standby, address, test-address or probe-target)",
                "/etc/ipmp/itops0.conf:3: usage: member IFNAME",
                "/etc/ipmp/itops0.conf:4: net0 is already listed on line 1",
                "/etc/ipmp/itops0.conf:5: 192.168.10.5: an address with its prefix length is expected, e.g. 192.0.2.5/24",
                "/etc/ipmp/itops0.conf:6: 300.1.1.1: not an IPv4 or IPv6 address",
                "/etc/ipmp/itops0.conf:7: 129: not a prefix length (0 to 128)",
                "/etc/ipmp/itops0.conf:10: group is already given on line 9",
                "/etc/ipmp/itops0.conf:11: nowhere: not an IPv4 or IPv6 address",
                "/etc/ipmp/itops0.conf:12: this-name-is-too-long: not a valid interface name",
                "/etc/ipmp/itops0.conf:8: net9 is not a member of itops0 (add a member or standby line)",
            ]
        );
    }

    #[test]
    fn the_file_name_must_be_an_interface_name() {
        assert_eq!(
            errors("a-much-too-long-name.conf", "member net0\n"),
            vec!["/etc/ipmp/a-much-too-long-name.conf: the file name must be IFNAME.conf, with IFNAME a valid interface name of at most 15 characters"]
        );
        assert_eq!(
            errors("itops0.conf", "member itops0\n"),
            vec!["/etc/ipmp/itops0.conf:1: itops0 cannot be a member of itself"]
        );
    }

    #[test]
    fn a_test_address_may_not_be_a_data_address_or_repeated() {
        let text =
            "member net0\nmember net1\naddress 192.0.2.5/24\ntest-address net0 192.0.2.5/24\n\
                    test-address net0 192.0.2.10/24\ntest-address net1 192.0.2.10/24\n";
        assert_eq!(
            errors("itops0.conf", text),
            vec![
                "/etc/ipmp/itops0.conf:4: 192.0.2.5 is also a data address",
                "/etc/ipmp/itops0.conf:6: 192.0.2.10/24 is listed twice",
            ]
        );
    }

    #[test]
    fn comments_and_blank_lines_are_ignored() {
        let c = parse(
            &path("itops1.conf"),
            "\n  # nothing\nmember net5   # the first\n\n",
        )
        .expect("valid");
        assert_eq!(c.members.len(), 1);
    }

    #[test]
    fn files_are_checked_together() {
        let a = parse(&path("itops0.conf"), "member net0\naddress 192.0.2.5/24\n").expect("valid");
        let b = parse(
            &path("itops1.conf"),
            "group itops0\nmember net0\naddress 192.0.2.77/25\n",
        )
        .expect("valid");
        let (errors, warnings) = check_together(&[a, b]);
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            vec![
                "/etc/ipmp/itops1.conf: net0 is also a member of itops0 (/etc/ipmp/itops0.conf): an interface belongs to one group",
                "/etc/ipmp/itops1.conf: group name itops0 is also used by itops0",
            ]
        );
        let warnings: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            warnings,
            vec!["/etc/ipmp/itops1.conf: 192.0.2.77/25 (itops1) and 192.0.2.5/24 (itops0) are in the same subnet: IPMP groups must not share a subnet's data addresses"]
        );
    }

    #[test]
    fn subnets() {
        let p = |s: &str| s.parse::<Prefixed>().unwrap();
        assert!(p("192.0.2.5/24").same_subnet(&p("192.0.2.200/24")));
        assert!(!p("192.0.2.5/24").same_subnet(&p("192.0.3.5/24")));
        assert!(p("2001:db8::1/64").same_subnet(&p("2001:db8::ffff/64")));
        assert!(!p("2001:db8::1/64").same_subnet(&p("192.0.2.5/24")));
        assert!(p("10.0.0.1/0").same_subnet(&p("192.0.2.5/24")));
    }
}
