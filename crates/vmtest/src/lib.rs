//! Reading the guest's side of a VM test run.
//!
//! The guest harness (`tests/virtme/guest-run.sh`) frames each scenario
//! with marker lines:
//!
//! ```text
//! @@ipmp-test begin NAME
//! ...scenario output...
//! @@ipmp-test dmesg
//! ...the kernel log written while the scenario ran...
//! @@ipmp-test end NAME status=N teardown=ok|fail ms=DURATION
//! ```
//!
//! [`LogParser`] turns that stream into one [`Outcome`] per scenario. A
//! scenario passes only if it exited 0, its teardown (unloading the module,
//! removing what it left behind) succeeded, and the kernel log holds no
//! report of a kernel problem ([`kernel_reports`]). A scenario that began
//! but never ended (the guest crashed or hung) fails.

/// Prefix of every marker line.
pub const MARKER: &str = "@@ipmp-test ";

/// Substrings of kernel log lines that mean the kernel found a problem:
/// warnings, bugs, oopses, sanitizer and lockdep reports, leaks, stuck
/// reference counts.
const KERNEL_REPORT_PATTERNS: &[&str] = &[
    "WARNING:",
    "BUG:",
    "Oops",
    "kernel BUG",
    "general protection fault",
    "Call Trace:",
    "KASAN:",
    "UBSAN:",
    "KFENCE:",
    "possible circular locking dependency",
    "possible recursive locking",
    "inconsistent lock state",
    "suspicious RCU usage",
    "unreferenced object",
    "refcount_t:",
    "unregister_netdevice: waiting for",
    "rcu_preempt detected stalls",
    "rcu: INFO:",
    "list_add corruption",
    "list_del corruption",
    "Kernel panic",
];

/// The lines of `dmesg` that report a kernel problem.
pub fn kernel_reports<'a>(dmesg: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    dmesg
        .into_iter()
        .filter(|line| KERNEL_REPORT_PATTERNS.iter().any(|p| line.contains(p)))
        .map(str::to_owned)
        .collect()
}

/// Why a scenario did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The scenario script exited non-zero.
    Status(i32),
    /// Unloading the module or cleaning up after the scenario failed.
    Teardown,
    /// The kernel logged a problem while the scenario ran.
    KernelReport(Vec<String>),
    /// The scenario began but its end marker never came (crash or hang).
    Unfinished,
    /// The scenario was asked for but never began.
    NotRun,
    /// The end marker could not be read.
    BadMarker(String),
}

/// The result of one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Scenario name (its file name without `.sh`).
    pub name: String,
    /// What the scenario printed.
    pub output: Vec<String>,
    /// The kernel log while it ran.
    pub dmesg: Vec<String>,
    /// Every reason it failed; empty if it passed.
    pub failures: Vec<Failure>,
    /// How long it ran in the guest, teardown included, if reported.
    pub millis: Option<u64>,
}

impl Outcome {
    /// Whether the scenario passed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    fn not_run(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            output: Vec::new(),
            dmesg: Vec::new(),
            failures: vec![Failure::NotRun],
            millis: None,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Section {
    Output,
    Dmesg,
}

/// Incremental parser of the guest's output.
#[derive(Debug, Default)]
pub struct LogParser {
    current: Option<(Outcome, Section)>,
    finished: Vec<String>,
}

impl LogParser {
    /// A parser at the start of the stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one line; returns the outcome of a scenario that just ended.
    pub fn feed(&mut self, line: &str) -> Option<Outcome> {
        let line = line.trim_end_matches(['\r', '\n']);
        let Some(marker) = line.strip_prefix(MARKER) else {
            if let Some((outcome, section)) = self.current.as_mut() {
                match section {
                    Section::Output => outcome.output.push(line.to_owned()),
                    Section::Dmesg => outcome.dmesg.push(line.to_owned()),
                }
            }
            return None;
        };
        let mut words = marker.split_whitespace();
        match words.next() {
            Some("begin") => {
                let name = words.next().unwrap_or("?").to_owned();
                // A begin while another scenario is open: the previous one
                // never ended properly.
                let unfinished = self.take_unfinished();
                self.current = Some((
                    Outcome {
                        name,
                        output: Vec::new(),
                        dmesg: Vec::new(),
                        failures: Vec::new(),
                        millis: None,
                    },
                    Section::Output,
                ));
                unfinished
            }
            Some("dmesg") => {
                if let Some((_, section)) = self.current.as_mut() {
                    *section = Section::Dmesg;
                }
                None
            }
            Some("end") => {
                let (mut outcome, _) = self.current.take()?;
                let _name = words.next();
                let mut status = None;
                let mut teardown = None;
                for word in words {
                    match word.split_once('=') {
                        Some(("status", v)) => status = v.parse::<i32>().ok(),
                        Some(("teardown", v)) => teardown = Some(v == "ok"),
                        Some(("ms", v)) => outcome.millis = v.parse().ok(),
                        _ => {}
                    }
                }
                match (status, teardown) {
                    (Some(status), Some(teardown)) => {
                        if status != 0 {
                            outcome.failures.push(Failure::Status(status));
                        }
                        if !teardown {
                            outcome.failures.push(Failure::Teardown);
                        }
                    }
                    _ => outcome.failures.push(Failure::BadMarker(line.to_owned())),
                }
                let reports = kernel_reports(outcome.dmesg.iter().map(String::as_str));
                if !reports.is_empty() {
                    outcome.failures.push(Failure::KernelReport(reports));
                }
                self.finished.push(outcome.name.clone());
                Some(outcome)
            }
            _ => None,
        }
    }

    fn take_unfinished(&mut self) -> Option<Outcome> {
        let (mut outcome, _) = self.current.take()?;
        let reports = kernel_reports(outcome.dmesg.iter().map(String::as_str));
        outcome.failures.push(Failure::Unfinished);
        if !reports.is_empty() {
            outcome.failures.push(Failure::KernelReport(reports));
        }
        self.finished.push(outcome.name.clone());
        Some(outcome)
    }

    /// Ends the stream: the scenario still open (if any) is unfinished,
    /// and every expected scenario that never began is reported as not run.
    pub fn finish(mut self, expected: &[String]) -> Vec<Outcome> {
        let mut rest: Vec<Outcome> = self.take_unfinished().into_iter().collect();
        for name in expected {
            if !self.finished.contains(name) {
                rest.push(Outcome::not_run(name));
            }
        }
        rest
    }
}

impl Outcome {
    /// The lines that say why a failed scenario failed: its `FAIL:`
    /// assertions or, when a command failed under `set -e` without one,
    /// the last lines it printed before the logs its exit handler appends
    /// (sections that begin with a `--- NAME ---` line).
    pub fn cause(&self) -> Vec<&str> {
        if self.passed() {
            return Vec::new();
        }
        let fails: Vec<&str> = self
            .output
            .iter()
            .map(String::as_str)
            .filter(|l| l.contains("FAIL:"))
            .collect();
        if !fails.is_empty() {
            return fails;
        }
        let own = self
            .output
            .iter()
            .position(|l| l.starts_with("--- ") && l.ends_with(" ---"))
            .unwrap_or(self.output.len());
        self.output[own.saturating_sub(3)..own]
            .iter()
            .map(String::as_str)
            .collect()
    }
}

/// The closing line of a run, in the form CI reads.
pub fn summary_line(outcomes: &[Outcome]) -> String {
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    format!("{} passed, {} failed", passed, outcomes.len() - passed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(log: &str, expected: &[&str]) -> Vec<Outcome> {
        let mut parser = LogParser::new();
        let mut outcomes: Vec<Outcome> = log.lines().filter_map(|l| parser.feed(l)).collect();
        let expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        outcomes.extend(parser.finish(&expected));
        outcomes
    }

    #[test]
    fn a_clean_scenario_passes_and_keeps_its_output() {
        let log = "booting\n@@ipmp-test begin create\nok: created\n@@ipmp-test dmesg\n[ 1.0] ipmp: loaded\n@@ipmp-test end create status=0 teardown=ok ms=1234\n";
        let out = run(log, &["create"]);
        assert_eq!(out.len(), 1);
        assert!(out[0].passed(), "{:?}", out[0].failures);
        assert_eq!(out[0].millis, Some(1234));
        assert_eq!(out[0].output, vec!["ok: created"]);
        assert_eq!(out[0].dmesg, vec!["[ 1.0] ipmp: loaded"]);
    }

    #[test]
    fn the_cause_of_a_failure_is_its_failed_assertion_or_its_last_lines() {
        let log = "@@ipmp-test begin a\nok: one\nok: two\nFAIL: three went wrong\n@@ipmp-test dmesg\n@@ipmp-test end a status=1 teardown=ok\n\
                   @@ipmp-test begin b\nok: one\nok: two\nok: three\nip: RTNETLINK answers: File exists\n--- in.mpathd log ---\nstarted\n@@ipmp-test dmesg\n@@ipmp-test end b status=2 teardown=ok\n\
                   @@ipmp-test begin c\nFAIL: not a failure\n@@ipmp-test dmesg\n@@ipmp-test end c status=0 teardown=ok\n";
        let out = run(log, &["a", "b", "c"]);
        assert_eq!(out[0].cause(), vec!["FAIL: three went wrong"]);
        assert_eq!(
            out[1].cause(),
            vec!["ok: two", "ok: three", "ip: RTNETLINK answers: File exists"]
        );
        assert!(out[2].cause().is_empty());
    }

    #[test]
    fn non_zero_status_and_failed_teardown_both_fail() {
        let log =
            "@@ipmp-test begin a\n@@ipmp-test dmesg\n@@ipmp-test end a status=3 teardown=fail\n";
        let out = run(log, &["a"]);
        assert_eq!(out[0].failures, vec![Failure::Status(3), Failure::Teardown]);
    }

    #[test]
    fn a_kernel_warning_fails_an_otherwise_green_scenario() {
        let log = "@@ipmp-test begin a\n@@ipmp-test dmesg\n[ 2.1] WARNING: CPU: 0 PID: 1 at net/core/dev.c:1 x\n[ 2.1] Call Trace:\n@@ipmp-test end a status=0 teardown=ok\n";
        let out = run(log, &["a"]);
        assert_eq!(out[0].failures.len(), 1);
        match &out[0].failures[0] {
            Failure::KernelReport(lines) => assert_eq!(lines.len(), 2),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn lockdep_kasan_and_leak_reports_are_recognised() {
        let dmesg = [
            "[ 1] WARNING: possible circular locking dependency detected",
            "[ 2] BUG: KASAN: slab-use-after-free in ipmp_xmit",
            "[ 3] unreferenced object 0xffff888 (size 64):",
            "[ 4] unregister_netdevice: waiting for net0 to become free. Usage count = 2",
            "[ 5] ipmp: itops0: net0 joined the group",
        ];
        assert_eq!(kernel_reports(dmesg).len(), 4);
    }

    #[test]
    fn output_that_merely_mentions_warning_is_not_in_dmesg() {
        // Only the dmesg section is scanned: a scenario may print the word.
        let log = "@@ipmp-test begin a\nexpecting no WARNING: here\n@@ipmp-test dmesg\n@@ipmp-test end a status=0 teardown=ok\n";
        assert!(run(log, &["a"])[0].passed());
    }

    #[test]
    fn a_crash_mid_scenario_fails_it_and_the_rest_are_not_run() {
        let log = "@@ipmp-test begin a\n@@ipmp-test dmesg\n@@ipmp-test end a status=0 teardown=ok\n@@ipmp-test begin b\nhalf a line";
        let out = run(log, &["a", "b", "c"]);
        let verdicts: Vec<_> = out
            .iter()
            .map(|o| (o.name.as_str(), o.failures.clone()))
            .collect();
        assert_eq!(
            verdicts,
            vec![
                ("a", vec![]),
                ("b", vec![Failure::Unfinished]),
                ("c", vec![Failure::NotRun])
            ]
        );
        assert_eq!(summary_line(&out), "1 passed, 2 failed");
    }

    #[test]
    fn a_begin_without_end_is_closed_by_the_next_begin() {
        let log = "@@ipmp-test begin a\n@@ipmp-test begin b\n@@ipmp-test dmesg\n@@ipmp-test end b status=0 teardown=ok\n";
        let out = run(log, &["a", "b"]);
        assert_eq!(out[0].name, "a");
        assert_eq!(out[0].failures, vec![Failure::Unfinished]);
        assert!(out[1].passed());
    }

    #[test]
    fn a_garbled_end_marker_fails() {
        let log = "@@ipmp-test begin a\n@@ipmp-test end a status=x\n";
        assert!(matches!(
            run(log, &["a"])[0].failures[0],
            Failure::BadMarker(_)
        ));
    }

    #[test]
    fn carriage_returns_from_the_console_are_ignored() {
        let log = "@@ipmp-test begin a\r\nline\r\n@@ipmp-test dmesg\r\n@@ipmp-test end a status=0 teardown=ok\r\n";
        let out = run(log, &["a"]);
        assert!(out[0].passed());
        assert_eq!(out[0].output, vec!["line"]);
    }
}
