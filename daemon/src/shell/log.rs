//! Where in.mpathd's lines go: syslog (and so the journal) normally,
//! stderr with `-d`, which also shows debug lines.

use crate::core::Level;
use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::time::Instant;

/// The daemon's logger.
pub struct Logger {
    debug: bool,
    syslog: Option<UnixDatagram>,
    start: Instant,
}

impl Logger {
    /// With `debug`, everything goes to stderr; else to /dev/log, or to
    /// stderr when there is no syslog socket (a container, a test VM).
    pub fn new(debug: bool) -> Self {
        let syslog = if debug {
            None
        } else {
            UnixDatagram::unbound()
                .and_then(|s| s.connect("/dev/log").map(|()| s))
                .ok()
        };
        Self {
            debug,
            syslog,
            start: Instant::now(),
        }
    }

    /// Logs one line.
    pub fn log(&self, level: Level, message: &str) {
        if level == Level::Debug && !self.debug {
            return;
        }
        if let Some(sock) = &self.syslog {
            // RFC 3164 without timestamp and host: the local syslog daemon
            // (or journald) adds them. Facility daemon (3).
            let severity = match level {
                Level::Error => 3,
                Level::Warning => 4,
                Level::Info => 6,
                Level::Debug => 7,
            };
            let line = format!(
                "<{}>in.mpathd[{}]: {message}",
                3 * 8 + severity,
                std::process::id()
            );
            if sock.send(line.as_bytes()).is_ok() {
                return;
            }
        }
        let t = self.start.elapsed();
        let _ = writeln!(
            std::io::stderr(),
            "{:>6}.{:03} in.mpathd: {message}",
            t.as_secs(),
            t.subsec_millis()
        );
    }
}
