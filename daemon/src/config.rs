//! `/etc/default/mpathd`: the daemon's configuration file.
//!
//! Same keys, units, defaults, warnings and clamping as the original
//! (illumos `mpd_main.c`), plus an explicit probe target list:
//!
//! | key | default | |
//! |---|---|---|
//! | `FAILURE_DETECTION_TIME` | 10000 | ms; not a positive number → default, with a warning; below 100 → 100, with a warning |
//! | `FAILBACK` | yes | `yes`/`no`, case-insensitive; anything else → warning, default kept |
//! | `TRACK_INTERFACES_ONLY_WITH_GROUPS` | yes | same grammar as `FAILBACK` |
//! | `PROBE_TARGETS` | (none) | addresses to probe instead of discovered routers/hosts, separated by spaces or commas |
//! | `SOURCE_ADDRESS_ROTATION` | yes | same grammar as `FAILBACK`: new connections through an IPMP interface take its data addresses in turn as their source |
//! | `TRANSITIVE_PROBING` | no | same grammar as `FAILBACK`: groups without IPv4 test addresses are probed without them (one member probes from a data address, the others through it) |
//!
//! Keys are case-insensitive; `#` starts a comment line; a key given twice
//! takes its last value (the original read the first; a warning says so).
//!
//! Where this reads stricter than the original, on purpose: the original
//! parsed numbers with `strtol()`, so `10s` meant 10 ms (then clamped to
//! 100); here a value that is not a whole number is refused with a warning
//! and the default kept. The original matched `yes`/`no` as prefixes
//! (`nonsense` meant no); here the whole word must match. Unknown keys
//! are reported instead of silently ignored.
//!
//! Two kinds of warning: a line that could not be understood (not
//! `KEY=value`, an unknown key, a value of the wrong form) makes the file
//! *malformed*; a value taken but adjusted (a key given twice, a detection
//! time below the minimum) is a note. At start-up both are logged and the
//! daemon runs with what could be read (as the original did). On SIGHUP a
//! malformed file is refused as a whole and the running settings are kept:
//! a typo in a live edit must not silently put a default in force.

use std::fmt;
use std::net::IpAddr;

/// Every key the file may set.
pub const KEYS: [&str; 6] = [
    "FAILURE_DETECTION_TIME",
    "FAILBACK",
    "TRACK_INTERFACES_ONLY_WITH_GROUPS",
    "PROBE_TARGETS",
    "SOURCE_ADDRESS_ROTATION",
    "TRANSITIVE_PROBING",
];

/// Default failure detection time, in milliseconds.
pub const DEFAULT_FDT_MS: u32 = 10_000;
/// Smallest failure detection time, in milliseconds.
pub const MIN_FDT_MS: u32 = 100;

/// The daemon's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// FAILURE_DETECTION_TIME, in milliseconds.
    pub failure_detection_time_ms: u32,
    /// FAILBACK.
    pub failback: bool,
    /// TRACK_INTERFACES_ONLY_WITH_GROUPS.
    pub track_interfaces_only_with_groups: bool,
    /// PROBE_TARGETS: explicit probe targets (empty: discover them).
    pub probe_targets: Vec<IpAddr>,
    /// SOURCE_ADDRESS_ROTATION.
    pub source_address_rotation: bool,
    /// TRANSITIVE_PROBING (Solaris 11's `config/transitive-probing`).
    pub transitive_probing: bool,
    /// Per IPMP interface, its own explicit probe targets (ipmp(5)
    /// `probe-target` lines, read from /etc/ipmp); they replace
    /// PROBE_TARGETS for that group.
    pub group_targets: std::collections::BTreeMap<String, Vec<IpAddr>>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            failure_detection_time_ms: DEFAULT_FDT_MS,
            failback: true,
            track_interfaces_only_with_groups: true,
            probe_targets: Vec::new(),
            source_address_rotation: true,
            transitive_probing: false,
            group_targets: std::collections::BTreeMap::new(),
        }
    }
}

impl Config {
    /// The probe interval: FDT / 7, so that five consecutive losses fit in
    /// one failure detection time with two probes outstanding (the
    /// original's `NUM_PROBE_FAILS + 2`).
    pub fn probe_interval_ms(&self) -> u32 {
        self.failure_detection_time_ms / 7
    }
}

/// Something in the file that was not taken as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong and what is used instead (the original's wording
    /// where it had one).
    pub message: String,
    /// Whether the line could not be understood at all (see the module
    /// documentation), rather than understood and adjusted.
    pub malformed: bool,
}

/// Whether any warning makes the file malformed.
pub fn is_malformed(warnings: &[Warning]) -> bool {
    warnings.iter().any(|w| w.malformed)
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Parses the file's text. Never fails: every problem becomes a warning
/// and the setting keeps its default, as the original does.
pub fn parse(text: &str) -> (Config, Vec<Warning>) {
    let mut config = Config::default();
    let mut warnings = Vec::new();
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut warn = |kind: Kind, message: String| {
            warnings.push(Warning {
                line,
                message,
                malformed: kind == Kind::Malformed,
            });
        };
        let Some((key, value)) = trimmed.split_once('=') else {
            warn(
                Kind::Malformed,
                format!("ignoring \"{trimmed}\": expected KEY=value"),
            );
            continue;
        };
        let key = key.trim().to_ascii_uppercase();
        let value = value.trim();
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
            warn(
                Kind::Note,
                format!("{key} is also set on line {first}; the last value wins"),
            );
        }
        seen.push((key.clone(), line));
        match key.as_str() {
            "FAILURE_DETECTION_TIME" => {
                config.failure_detection_time_ms = match value.parse::<i64>() {
                    Ok(ms) if ms <= 0 => {
                        warn(Kind::Malformed, format!(
                            "Invalid failure detection time {value}, assuming default {DEFAULT_FDT_MS}"
                        ));
                        DEFAULT_FDT_MS
                    }
                    Ok(ms) if ms < i64::from(MIN_FDT_MS) => {
                        warn(Kind::Note, format!(
                            "Too small failure detection time of {value}, assuming minimum {MIN_FDT_MS}"
                        ));
                        MIN_FDT_MS
                    }
                    Ok(ms) => u32::try_from(ms).unwrap_or_else(|_| {
                        warn(Kind::Malformed, format!(
                            "Invalid failure detection time {value}, assuming default {DEFAULT_FDT_MS}"
                        ));
                        DEFAULT_FDT_MS
                    }),
                    Err(_) => {
                        warn(Kind::Malformed, format!(
                            "Invalid failure detection time {value}, assuming default {DEFAULT_FDT_MS} \
                             (a whole number of milliseconds is expected)"
                        ));
                        DEFAULT_FDT_MS
                    }
                };
            }
            "FAILBACK" => match yes_no(value) {
                Some(v) => config.failback = v,
                None => {
                    warn(
                        Kind::Malformed,
                        format!("Invalid value for FAILBACK {value}"),
                    );
                    config.failback = true;
                }
            },
            "TRACK_INTERFACES_ONLY_WITH_GROUPS" => match yes_no(value) {
                Some(v) => config.track_interfaces_only_with_groups = v,
                None => {
                    warn(
                        Kind::Malformed,
                        format!("Invalid value for TRACK_INTERFACES_ONLY_WITH_GROUPS {value}"),
                    );
                    config.track_interfaces_only_with_groups = true;
                }
            },
            "SOURCE_ADDRESS_ROTATION" => match yes_no(value) {
                Some(v) => config.source_address_rotation = v,
                None => {
                    warn(
                        Kind::Malformed,
                        format!("Invalid value for SOURCE_ADDRESS_ROTATION {value}"),
                    );
                    config.source_address_rotation = true;
                }
            },
            "TRANSITIVE_PROBING" => match yes_no(value) {
                Some(v) => config.transitive_probing = v,
                None => {
                    warn(
                        Kind::Malformed,
                        format!("Invalid value for TRANSITIVE_PROBING {value}"),
                    );
                    config.transitive_probing = false;
                }
            },
            "PROBE_TARGETS" => {
                config.probe_targets.clear();
                for word in value.split([' ', ',', '\t']).filter(|w| !w.is_empty()) {
                    match word.parse::<IpAddr>() {
                        Ok(addr) => config.probe_targets.push(addr),
                        Err(_) => warn(
                            Kind::Malformed,
                            format!("Invalid probe target {word}, ignored"),
                        ),
                    }
                }
            }
            _ => warn(Kind::Malformed, format!("unknown key {key}, ignored")),
        }
    }
    (config, warnings)
}

#[derive(PartialEq, Eq)]
enum Kind {
    Malformed,
    Note,
}

fn yes_no(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("yes") {
        Some(true)
    } else if value.eq_ignore_ascii_case("no") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(w: &[Warning]) -> Vec<String> {
        w.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn an_empty_file_gives_the_original_defaults() {
        let (c, w) = parse("");
        assert_eq!(c, Config::default());
        assert_eq!(c.failure_detection_time_ms, 10_000);
        assert!(c.failback && c.track_interfaces_only_with_groups);
        assert_eq!(c.probe_interval_ms(), 1428, "FDT/7");
        assert!(w.is_empty());
    }

    #[test]
    fn the_shipped_file_parses_cleanly() {
        let text = "#\n# Time taken by mpathd to detect a NIC failure in ms.\n\
                    FAILURE_DETECTION_TIME=10000\n#\nFAILBACK=yes\n\
                    TRACK_INTERFACES_ONLY_WITH_GROUPS=yes\n";
        assert_eq!(parse(text), (Config::default(), vec![]));
    }

    #[test]
    fn keys_and_yes_no_are_case_insensitive() {
        let (c, w) = parse(
            "failure_detection_time = 2000\nFailBack=NO\ntrack_interfaces_only_with_groups=No",
        );
        assert_eq!(c.failure_detection_time_ms, 2000);
        assert!(!c.failback);
        assert!(!c.track_interfaces_only_with_groups);
        assert!(w.is_empty());
    }

    #[test]
    fn invalid_fdt_warns_and_keeps_the_default() {
        for bad in ["0", "-5", "ten", "10s", "99999999999"] {
            let (c, w) = parse(&format!("FAILURE_DETECTION_TIME={bad}"));
            assert_eq!(c.failure_detection_time_ms, 10_000, "{bad}");
            assert_eq!(w.len(), 1, "{bad}");
            assert!(
                w[0].message.starts_with(&format!(
                    "Invalid failure detection time {bad}, assuming default 10000"
                )),
                "{w:?}"
            );
            assert_eq!(w[0].line, 1);
        }
    }

    #[test]
    fn fdt_below_100_is_raised_to_100_with_a_warning() {
        let (c, w) = parse("\n\nFAILURE_DETECTION_TIME=50");
        assert_eq!(c.failure_detection_time_ms, 100);
        assert_eq!(
            messages(&w),
            vec!["line 3: Too small failure detection time of 50, assuming minimum 100"]
        );
        let (c, w) = parse("FAILURE_DETECTION_TIME=100");
        assert_eq!(c.failure_detection_time_ms, 100);
        assert!(w.is_empty());
        assert_eq!(c.probe_interval_ms(), 14);
    }

    #[test]
    fn invalid_failback_warns_and_keeps_yes() {
        let (c, w) = parse("FAILBACK=maybe\nTRACK_INTERFACES_ONLY_WITH_GROUPS=nonsense");
        assert!(c.failback);
        assert!(c.track_interfaces_only_with_groups);
        assert_eq!(
            messages(&w),
            vec![
                "line 1: Invalid value for FAILBACK maybe",
                "line 2: Invalid value for TRACK_INTERFACES_ONLY_WITH_GROUPS nonsense"
            ]
        );
    }

    #[test]
    fn explicit_probe_targets() {
        let (c, w) = parse("PROBE_TARGETS=192.0.2.1, 192.0.2.254 fe80::1\tbogus");
        assert_eq!(
            c.probe_targets,
            vec![
                "192.0.2.1".parse::<IpAddr>().unwrap(),
                "192.0.2.254".parse().unwrap(),
                "fe80::1".parse().unwrap()
            ]
        );
        assert_eq!(
            messages(&w),
            vec!["line 1: Invalid probe target bogus, ignored"]
        );
    }

    #[test]
    fn unknown_keys_malformed_lines_and_repeats_are_reported() {
        let (c, w) = parse("FDT=5\njust words\nFAILBACK=no\nFAILBACK=yes");
        assert!(c.failback, "the last value wins");
        assert_eq!(
            messages(&w),
            vec![
                "line 1: unknown key FDT, ignored",
                "line 2: ignoring \"just words\": expected KEY=value",
                "line 4: FAILBACK is also set on line 3; the last value wins"
            ]
        );
    }

    #[test]
    fn lines_not_understood_make_the_file_malformed_adjusted_values_do_not() {
        for text in [
            "FDT=5",
            "just words",
            "FAILURE_DETECTION_TIME=1O000",
            "FAILURE_DETECTION_TIME=-1",
            "FAILBACK=maybe",
            "TRACK_INTERFACES_ONLY_WITH_GROUPS=1",
            "PROBE_TARGETS=192.0.2.1 nowhere",
        ] {
            let (_, w) = parse(text);
            assert!(is_malformed(&w), "{text:?} is malformed: {w:?}");
        }
        for text in [
            "",
            "# comment only",
            "FAILURE_DETECTION_TIME=50",
            "FAILBACK=no\nFAILBACK=yes",
            "failback = NO",
        ] {
            let (_, w) = parse(text);
            assert!(!is_malformed(&w), "{text:?} is well-formed: {w:?}");
        }
    }
}
