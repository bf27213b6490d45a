//! The command lines of `ipmpadm` and `if_mpadm`, apart from the programs
//! so that the man page check and the shell completions use the very same
//! definitions.

use clap::{Parser, Subcommand, ValueEnum};

/// Administer IPMP groups.
///
/// An IPMP group is a network interface of kind `ipmp` (itops0 below) over
/// member interfaces on one LAN. `create-ipmp` makes one, `add` and
/// `remove` manage its members, `standby`, `offline` and `online` change a
/// member's role (offline/online go through in.mpathd, which refuses to
/// offline the last functioning member). `show` and `monitor` print the
/// kernel's view; `set-member` writes member flags directly (for tests and
/// recovery: the daemon owns them).
#[derive(Parser, Debug)]
#[command(name = "ipmpadm", bin_name = "ipmpadm", version)]
pub struct Cli {
    /// Print JSON (one line; docs/json has a schema for each command's
    /// output). Commands that change a member print it as it is
    /// afterwards, commands that change a group print the group;
    /// delete-ipmp refuses -j.
    #[arg(short, long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    /// What to do.
    pub command: Command,
}

/// The subcommands (their documentation is the help text).
#[allow(missing_docs)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create an IPMP interface and bring it up (like `ip link add NAME
    /// type ipmp`).
    #[command(alias = "create")]
    CreateIpmp {
        /// Interface name of the new group, e.g. itops0.
        name: String,
        /// Group name shown by ipmpstat (default: the interface name).
        #[arg(long)]
        group_name: Option<String>,
    },
    /// Delete an IPMP interface. Refused while it has members, unless
    /// --force (which releases them).
    #[command(alias = "delete")]
    DeleteIpmp {
        /// The IPMP interface.
        name: String,
        /// Release the members and delete anyway.
        #[arg(long)]
        force: bool,
    },
    /// Add interfaces to a group (and bring them up). Refused for an
    /// interface that already belongs to another group, bridge, bond or
    /// team, unless --force.
    Add {
        /// The IPMP interface.
        group: String,
        /// Interfaces to add.
        #[arg(required = true)]
        interfaces: Vec<String>,
        /// Add them as standbys.
        #[arg(long)]
        standby: bool,
        /// Move interfaces that belong to another master.
        #[arg(long)]
        force: bool,
    },
    /// Remove interfaces from a group.
    Remove {
        /// The IPMP interface.
        group: String,
        /// Interfaces to remove.
        #[arg(required = true)]
        interfaces: Vec<String>,
    },
    /// Make a member a standby (on) or an ordinary member (off).
    Standby {
        /// The member.
        interface: String,
        /// on or off.
        state: OnOff,
    },
    /// Take a member out of use (if_mpadm -d). Refused when no other
    /// member of its group is functioning.
    Offline {
        /// The member.
        interface: String,
    },
    /// Bring an offline member back (if_mpadm -r).
    Online {
        /// The member.
        interface: String,
    },
    /// Show groups and their members as the kernel sees them.
    Show {
        /// Only this group (its interface name).
        group: Option<String>,
    },
    /// Set flags of a member directly in the kernel.
    SetMember {
        /// The member interface.
        interface: String,
        /// Standby: kept for when an active member is lost.
        #[arg(long)]
        standby: Option<OnOff>,
        /// Inactive: functioning but carrying no data traffic.
        #[arg(long)]
        inactive: Option<OnOff>,
        /// Failed: failure detection declared it failed.
        #[arg(long)]
        failed: Option<OnOff>,
        /// Offline: administratively out of use.
        #[arg(long)]
        offline: Option<OnOff>,
    },
    /// Change settings of a group.
    SetGroup {
        /// The group interface.
        group: String,
        /// Group name shown by ipmpstat (1 to 31 printable characters).
        #[arg(long)]
        name: Option<String>,
        /// Who applies the standby rule: the kernel, or a daemon.
        #[arg(long)]
        policy: Option<Policy>,
        /// How many times a moved data address is announced (0 to 100).
        #[arg(long)]
        announce_count: Option<u32>,
        /// Milliseconds between announcements (1 to 60000).
        #[arg(long)]
        announce_interval: Option<u32>,
    },
    /// Print the kernel's events as they happen, until interrupted.
    Monitor,
    /// Make the system match the persistent configuration (ipmp(5)):
    /// every file is checked first, and nothing is changed if one has an
    /// error. Creates IPMP interfaces, sets group names, adds and removes
    /// members, sets standby, brings links up, adds and removes data and
    /// test addresses; prints one line per change and nothing when the
    /// system already matches. Groups and interfaces no file describes are
    /// left alone.
    Apply {
        /// Only print what would change.
        #[arg(short = 'n', long)]
        dry_run: bool,
        /// The configuration directory.
        #[arg(short, long, default_value = crate::persist::CONFIG_DIR, value_name = "DIR")]
        dir: std::path::PathBuf,
        /// Files to apply instead of DIR/*.conf.
        files: Vec<std::path::PathBuf>,
    },
    /// Join INTERFACE to its group as the configuration describes it
    /// (standby, test addresses), and change nothing else: for udev, when
    /// an interface appears after boot. Does nothing for an interface no
    /// file names, or whose IPMP interface does not exist yet.
    Hotplug {
        /// The interface that appeared.
        interface: String,
        /// The configuration directory.
        #[arg(short, long, default_value = crate::persist::CONFIG_DIR, value_name = "DIR")]
        dir: std::path::PathBuf,
    },
    /// Check the persistent configuration without changing anything.
    CheckConfig {
        /// The configuration directory.
        #[arg(short, long, default_value = crate::persist::CONFIG_DIR, value_name = "DIR")]
        dir: std::path::PathBuf,
        /// Files to check instead of DIR/*.conf.
        files: Vec<std::path::PathBuf>,
    },
    /// Print IPMP interfaces as they are now, in the configuration file
    /// format (save with `ipmpadm show-config itops0 >
    /// /etc/ipmp/itops0.conf`).
    ShowConfig {
        /// Only these IPMP interfaces.
        groups: Vec<String>,
    },
}

/// A switch.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

/// Who applies the standby rule.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Policy {
    Kernel,
    Daemon,
}

/// Take an IPMP group member offline (-d) or bring it back online (-r).
///
/// Offlining moves the member's data addresses to the other members,
/// activates a standby if one is needed, and stops probing on it. It is
/// refused when no other member of the group is functioning. Asks
/// in.mpathd; when the daemon is not running, the kernel's state is
/// checked and changed directly.
#[derive(Parser, Debug)]
#[command(name = "if_mpadm", bin_name = "if_mpadm", version)]
#[command(group(clap::ArgGroup::new("action").required(true).args(["detach", "reattach"])))]
pub struct IfMpadmCli {
    /// Offline INTERFACE (detach it from its group's traffic).
    #[arg(short = 'd', value_name = "INTERFACE")]
    pub detach: Option<String>,
    /// Bring INTERFACE back online (reattach it).
    #[arg(short = 'r', value_name = "INTERFACE")]
    pub reattach: Option<String>,
    /// Print the member as it is afterwards, in JSON (as `ipmpadm -j
    /// offline` does).
    #[arg(short = 'j', long = "json")]
    pub json: bool,
}
