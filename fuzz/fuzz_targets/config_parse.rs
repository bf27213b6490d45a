//! /etc/default/mpathd: any text parses without panicking, into settings
//! the daemon can run with; a well-formed file reads back the same when
//! its settings are written out again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpathd::config::{is_malformed, parse, MIN_FDT_MS};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (config, warnings) = parse(text);
    assert!(config.failure_detection_time_ms >= MIN_FDT_MS);
    assert!(config.probe_interval_ms() > 0);
    let lines = text.lines().count();
    for w in &warnings {
        assert!(
            w.line >= 1 && w.line <= lines,
            "warning on line {} of {lines}",
            w.line
        );
    }
    if !is_malformed(&warnings) {
        let targets: Vec<String> = config
            .probe_targets
            .iter()
            .map(ToString::to_string)
            .collect();
        let rendered = format!(
            "FAILURE_DETECTION_TIME={}\nFAILBACK={}\nTRACK_INTERFACES_ONLY_WITH_GROUPS={}\nPROBE_TARGETS={}\n",
            config.failure_detection_time_ms,
            if config.failback { "yes" } else { "no" },
            if config.track_interfaces_only_with_groups { "yes" } else { "no" },
            targets.join(" "),
        );
        let (again, notes) = parse(&rendered);
        assert_eq!(again, config);
        assert!(notes.is_empty(), "{notes:?}");
    }
});
