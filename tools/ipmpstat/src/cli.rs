//! ipmpstat's command line, apart from the program so that the man page
//! check and the shell completions use the very same definition.

use clap::{ArgAction, Parser};

const FIELDS_HELP: &str = "\
FIELDS (-o; case-insensitive; `all` for every field)
  -g  GROUP (IPMP interface) GROUPNAME STATE (ok, degraded, failed)
      FDT (failure detection time in force; -- when nothing probes)
      INTERFACES (active members, (inactive), [unusable])
  -i  INTERFACE ACTIVE (yes, no) GROUP FLAGS LINK (up, down)
      PROBE (ok, failed, unknown, disabled) STATE (ok, failed, offline)
      FLAGS, 7 characters: i inactive, s standby, m IPv4 multicast,
      b IPv4 broadcast, M IPv6 multicast nominee, d down or offline,
      h offlined for a duplicate hardware address
  -a  ADDRESS STATE (up, down) GROUP INBOUND (the member it is bound to)
      OUTBOUND (the members that send for it) CONNS (new connections given
      it as their source by in.mpathd's source address rotation; not shown
      unless asked for with -o)
  -t  INTERFACE MODE (routes, multicast, explicit, transitive, disabled)
      TESTADDR TARGETS (in firing order; <net0>: probed transitively
      through net0)
  -p  TIME (probe sent, since ipmpstat started) INTERFACE PROBE (number)
      NETRTT (round trip to the reply's arrival) RTT (to its processing)
      RTTAVG TARGET RTTDEV (not shown by default)

OUTPUT
  Columns with a header; -- for an empty field, ? for one that cannot
  be determined (fields only in.mpathd knows, when it is not running).
  -P: fields joined by ':' with ':' and '\\' escaped by '\\' when more
  than one field is selected; needs -o; no header.
  -j: JSON: an array of objects (-p: one object per line) whose keys are
  the selected field names in lower case and whose values are the
  strings shown (ACTIVE a boolean), null for an empty field; the words
  of ipmpadm -j; schemas in /usr/share/ipmp/json/ipmpstat-MODE.schema.json.

EXIT STATUS
  0 on success, 1 on any error (usage, no daemon for -t and -p, no
  kernel module).";

/// Display IPMP state: groups, their member interfaces, data addresses,
/// probe targets and probes, as Solaris ipmpstat does.
///
/// Exactly one of -a, -g, -i, -p, -t selects what to show. Groups,
/// members, roles and addresses come from the ipmp kernel module; probe
/// state, the failure detection time and targets from in.mpathd. -p
/// prints probes as in.mpathd reports them, until interrupted.
#[derive(Parser, Debug)]
#[command(
    name = "ipmpstat",
    bin_name = "ipmpstat",
    version,
    disable_help_flag = true,
    after_long_help = FIELDS_HELP
)]
pub struct Cli {
    /// Display data addresses.
    #[arg(short = 'a', action = ArgAction::Count)]
    pub addresses: u8,
    /// Display groups.
    #[arg(short = 'g', action = ArgAction::Count)]
    pub groups: u8,
    /// Display member interfaces.
    #[arg(short = 'i', action = ArgAction::Count)]
    pub interfaces: u8,
    /// Display probes as they complete, until interrupted.
    #[arg(short = 'p', action = ArgAction::Count)]
    pub probes: u8,
    /// Display probe targets.
    #[arg(short = 't', action = ArgAction::Count)]
    pub targets: u8,
    /// Display IP addresses numerically (no name lookups).
    #[arg(short = 'n')]
    pub numeric: bool,
    /// Display only these fields, in this order (comma-separated, or `all`).
    #[arg(short = 'o', value_name = "FIELD[,...]")]
    pub fields: Option<String>,
    /// Parseable output: no header, fields separated by ':' (needs -o).
    #[arg(short = 'P')]
    pub parseable: bool,
    /// JSON output.
    #[arg(short = 'j', long = "json")]
    pub json: bool,
    /// Print everything in Prometheus's text exposition format instead of
    /// a table (for node_exporter's textfile collector).
    #[arg(long = "prometheus")]
    pub prometheus: bool,
    /// With --prometheus: write FILE atomically instead of printing.
    #[arg(long = "textfile", value_name = "FILE", requires = "prometheus")]
    pub textfile: Option<std::path::PathBuf>,
    /// Print help (--help for the fields and formats).
    #[arg(short = 'h', long = "help", action = ArgAction::Help)]
    pub help: Option<bool>,
}
