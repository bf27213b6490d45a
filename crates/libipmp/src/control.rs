//! The control protocol of in.mpathd: JSON, one object per line, over the
//! Unix stream socket [`SOCKET_PATH`].
//!
//! A client writes one [`Request`]; the daemon answers with one
//! [`Response`] line, except for [`Request::Probes`], which is answered
//! with one [`ProbeEvent`] line per probe result until the client goes
//! away. Requests that change state are accepted only from peers with
//! uid 0 in the daemon's user namespace (checked with SO_PEERCRED).

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Where in.mpathd listens.
pub const SOCKET_PATH: &str = "/run/ipmp/mpathd.sock";

/// Environment variable that overrides [`SOCKET_PATH`] (tests, several
/// daemons on one host).
pub const SOCKET_ENV: &str = "IPMP_MPATHD_SOCKET";

/// The socket path to use: [`SOCKET_ENV`] if set, else [`SOCKET_PATH`].
pub fn socket_path() -> std::path::PathBuf {
    std::env::var_os(SOCKET_ENV)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| SOCKET_PATH.into())
}

/// What a client asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Request {
    /// Everything the daemon knows: groups, members, targets, statistics.
    Snapshot,
    /// Stream probe results (`ipmpstat -p`).
    Probes,
    /// Read the configuration files again, as on SIGHUP (`ipmpadm apply`
    /// asks for it).
    Reload,
    /// Take a member out of use (`if_mpadm -d`).
    Offline {
        /// The member.
        interface: String,
    },
    /// Bring an offline member back (`if_mpadm -r`).
    Online {
        /// The member.
        interface: String,
    },
    /// Make a member a standby, or an ordinary member again.
    Standby {
        /// The member.
        interface: String,
        /// Standby or not.
        on: bool,
    },
}

impl Request {
    /// Reads one request line as the daemon receives it (surrounding
    /// white space ignored); the error is the answer's message.
    pub fn parse(line: &str) -> Result<Request, String> {
        serde_json::from_str(line.trim()).map_err(|e| format!("malformed request: {e}"))
    }

    /// Whether the request changes state (and so needs privilege).
    pub fn is_privileged(&self) -> bool {
        !matches!(self, Request::Snapshot | Request::Probes)
    }
}

/// The daemon's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Response {
    /// Done; for [`Request::Snapshot`] with the snapshot.
    Ok {
        /// The snapshot, when one was asked for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snapshot: Option<Snapshot>,
    },
    /// Refused or failed, with the reason (the original's wording where
    /// it had one).
    Error {
        /// Why.
        message: String,
    },
}

/// Group state as `ipmpstat -g` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupState {
    /// Every member usable.
    Ok,
    /// Some members unusable.
    Degraded,
    /// No member usable (or no members).
    Failed,
}

/// One IPMP group as the daemon sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupView {
    /// Interface index of the IPMP interface (0: the anonymous group).
    pub ifindex: u32,
    /// Its interface name.
    pub ifname: String,
    /// The group name.
    pub name: String,
    /// ok / degraded / failed.
    pub state: GroupState,
    /// The effective failure detection time, when any member probes.
    pub fdt_ms: Option<u64>,
    /// The configured failure detection time.
    pub configured_fdt_ms: u64,
    /// The group's own explicit probe targets (ipmp(5) `probe-target`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configured_targets: Vec<std::net::IpAddr>,
}

/// Link state (`ipmpstat -i` LINK).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkState {
    /// Carrier.
    Up,
    /// No carrier.
    Down,
    /// The driver does not report carrier.
    Unknown,
}

/// Probe state (`ipmpstat -i` PROBE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeState {
    /// Probes are answered.
    Ok,
    /// Probes say the member failed.
    Failed,
    /// Probing, but no verdict yet (no targets, or no answer yet).
    Unknown,
    /// Not probing: no (unique) test address.
    Disabled,
}

/// Member state (`ipmpstat -i` STATE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemberState {
    /// Functioning.
    Ok,
    /// Failed by link or probes.
    Failed,
    /// Offline (by the administrator, or for a duplicate hardware address).
    Offline,
    /// Not known yet.
    Unknown,
}

/// How targets were chosen (`ipmpstat -t` MODE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetMode {
    /// Routers from the routing table.
    Routes,
    /// Hosts that answered an all-hosts multicast echo.
    Multicast,
    /// PROBE_TARGETS from the configuration.
    Explicit,
    /// Transitive probing: link-layer probes to the member that probes
    /// the targets from a data address (TRANSITIVE_PROBING=yes).
    Transitive,
    /// No probing in this family.
    Disabled,
}

/// A probe target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetView {
    /// Its address.
    pub address: IpAddr,
    /// Smoothed RTT, µs, once known.
    pub rtt_us: Option<u64>,
    /// Conservative RTT (smoothed + 4 × deviation), µs, once known.
    pub crtt_us: Option<u64>,
    /// Consecutive probes it has not answered.
    pub losses: u32,
}

/// Probing of one member in one address family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceView {
    /// "ipv4" or "ipv6".
    pub family: String,
    /// How targets were chosen.
    pub mode: TargetMode,
    /// The test address, if any (for the member that probes for a group
    /// without test addresses, the data address it probes from).
    pub test_address: Option<IpAddr>,
    /// The probe source is a data address of the group bound to this
    /// member, not a test address (transitive probing).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub data_address: bool,
    /// Transitive mode: the member the link-layer probes go to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// Why probing is disabled, if it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// Targets in firing order.
    pub targets: Vec<TargetView>,
    /// Probes sent.
    pub sent: u64,
    /// Probes answered.
    pub acked: u64,
    /// Probes lost.
    pub lost: u64,
}

/// One member (underlying interface) as the daemon sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    /// Interface index.
    pub ifindex: u32,
    /// Interface name.
    pub name: String,
    /// Interface name of its IPMP interface ("" in the anonymous group).
    pub group: String,
    /// Carries data traffic.
    pub active: bool,
    /// Kept inactive by the policy.
    pub inactive: bool,
    /// Configured standby.
    pub standby: bool,
    /// Offlined because another member has the same hardware address.
    pub duplicate_hwaddr: bool,
    /// LINK.
    pub link: LinkState,
    /// PROBE.
    pub probe: ProbeState,
    /// STATE.
    pub state: MemberState,
    /// Probing per address family.
    pub instances: Vec<InstanceView>,
    /// Failures detected on the member since the daemon began tracking it.
    #[serde(default)]
    pub failures: u64,
    /// Repairs detected on the member since the daemon began tracking it.
    #[serde(default)]
    pub repairs: u64,
}

/// Everything `ipmpstat` asks the daemon for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Groups, by interface index.
    pub groups: Vec<GroupView>,
    /// Members, grouped, in join order.
    pub members: Vec<MemberView>,
    /// Source address rotation: how many new connections each data
    /// address was given as their source since the daemon attached its
    /// programs; `None` while rotation is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources_given: Option<Vec<SourceGiven>>,
}

/// One data address and the connections given it as their source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceGiven {
    /// The address.
    pub address: IpAddr,
    /// Connections given it.
    pub connections: u64,
}

/// One probe result (`ipmpstat -p`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeEvent {
    /// When the result was known, µs since the daemon started.
    pub time_us: u64,
    /// When the probe was sent, µs since the daemon started.
    pub sent_us: u64,
    /// When the probe was sent, on the system's monotonic clock
    /// (CLOCK_MONOTONIC, µs), so that clients can relate it to their own
    /// start (`ipmpstat -p` TIME).
    #[serde(default)]
    pub sent_monotonic_us: Option<u64>,
    /// The member.
    pub interface: String,
    /// "ipv4" or "ipv6".
    pub family: String,
    /// The probe's sequence number.
    pub seq: u16,
    /// The target (transitive probes: unspecified, see `via`).
    pub target: IpAddr,
    /// A transitive probe: the member it went to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// Answered (false: lost).
    pub acked: bool,
    /// Round-trip time to the reply's arrival at the probe socket, µs
    /// (answered probes; `ipmpstat -p` NETRTT).
    pub rtt_us: Option<u64>,
    /// Round-trip time to the daemon's processing of the reply, µs
    /// (`ipmpstat -p` RTT).
    #[serde(default)]
    pub processed_rtt_us: Option<u64>,
    /// The target's smoothed RTT after this probe, µs.
    pub rtt_avg_us: Option<u64>,
    /// The target's RTT deviation after this probe, µs.
    pub rtt_dev_us: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_tagged_by_op() {
        let r: Request =
            serde_json::from_str(r#"{"op":"standby","interface":"net2","on":true}"#).unwrap();
        assert_eq!(
            r,
            Request::Standby {
                interface: "net2".into(),
                on: true
            }
        );
        assert!(r.is_privileged());
        assert!(!Request::Snapshot.is_privileged());
        assert_eq!(
            serde_json::to_string(&Request::Offline {
                interface: "net1".into()
            })
            .unwrap(),
            r#"{"op":"offline","interface":"net1"}"#
        );
    }

    #[test]
    fn an_unknown_op_is_an_error_not_a_default() {
        assert!(serde_json::from_str::<Request>(r#"{"op":"reboot"}"#).is_err());
        assert!(serde_json::from_str::<Request>(r#"{"op":"offline"}"#).is_err());
    }

    #[test]
    fn errors_carry_their_message() {
        let text = serde_json::to_string(&Response::Error {
            message: "net1 is already offline".into(),
        })
        .unwrap();
        assert_eq!(
            text,
            r#"{"result":"error","message":"net1 is already offline"}"#
        );
    }
}

/// Why the daemon could not be asked.
#[derive(Debug)]
pub enum AskError {
    /// Nothing listens on the socket: the daemon is not running.
    NoDaemon,
    /// The exchange failed midway.
    Io(std::io::Error),
    /// The daemon's answer was not understood.
    Protocol(String),
}

impl std::fmt::Display for AskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The original's words.
            AskError::NoDaemon => write!(f, "cannot contact in.mpathd -- is IPMP in use?"),
            AskError::Io(e) => write!(f, "in.mpathd: {e}"),
            AskError::Protocol(e) => write!(f, "in.mpathd answered something unexpected: {e}"),
        }
    }
}

impl std::error::Error for AskError {}

fn connect() -> Result<std::os::unix::net::UnixStream, AskError> {
    let stream =
        std::os::unix::net::UnixStream::connect(socket_path()).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
                AskError::NoDaemon
            }
            _ => AskError::Io(e),
        })?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .map_err(AskError::Io)?;
    Ok(stream)
}

fn send(stream: &mut std::os::unix::net::UnixStream, request: &Request) -> Result<(), AskError> {
    use std::io::Write;
    let mut line = serde_json::to_string(request).map_err(|e| AskError::Protocol(e.to_string()))?;
    line.push('\n');
    stream.write_all(line.as_bytes()).map_err(AskError::Io)
}

fn read_line<T: serde::de::DeserializeOwned>(
    reader: &mut impl std::io::BufRead,
) -> Result<Option<T>, AskError> {
    let mut line = String::new();
    if reader.read_line(&mut line).map_err(AskError::Io)? == 0 {
        return Ok(None);
    }
    parse_answer(&line).map(Some)
}

/// Reads one line of the daemon's answer (a [`Response`], or a
/// [`ProbeEvent`] of a probe stream) as clients do.
pub fn parse_answer<T: serde::de::DeserializeOwned>(line: &str) -> Result<T, AskError> {
    serde_json::from_str(line).map_err(|e| AskError::Protocol(e.to_string()))
}

/// Sends one request and returns the daemon's answer.
pub fn ask(request: &Request) -> Result<Response, AskError> {
    let mut stream = connect()?;
    send(&mut stream, request)?;
    let mut reader = std::io::BufReader::new(stream);
    read_line(&mut reader)?.ok_or_else(|| AskError::Protocol("no answer".into()))
}

/// The daemon's snapshot.
pub fn snapshot() -> Result<Snapshot, AskError> {
    match ask(&Request::Snapshot)? {
        Response::Ok {
            snapshot: Some(s), ..
        } => Ok(s),
        Response::Ok { .. } => Err(AskError::Protocol("no snapshot".into())),
        Response::Error { message } => Err(AskError::Protocol(message)),
    }
}

/// Subscribes to probe results; the iterator ends when the daemon does.
pub fn probe_stream() -> Result<impl Iterator<Item = Result<ProbeEvent, AskError>>, AskError> {
    let mut stream = connect()?;
    stream.set_read_timeout(None).map_err(AskError::Io)?;
    send(&mut stream, &Request::Probes)?;
    let mut reader = std::io::BufReader::new(stream);
    match read_line::<Response>(&mut reader)? {
        Some(Response::Ok { .. }) => {}
        Some(Response::Error { message }) => return Err(AskError::Protocol(message)),
        None => return Err(AskError::Protocol("no answer".into())),
    }
    Ok(std::iter::from_fn(move || {
        read_line(&mut reader).transpose()
    }))
}
