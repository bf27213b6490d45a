//! Adaptive failure detection time (the original's rule, with the
//! departures listed in in.mpathd(8)).
//!
//! When a probe target answers so slowly that its conservative RTT
//! exceeds the probe interval, the configured FDT cannot be met: the
//! group's effective probe interval becomes twice that CRTT and its FDT
//! seven intervals, and the change is logged. Once every target is fast
//! again (CRTT below a quarter of the interval) and the last raise is at
//! least a minute old, the FDT is halved, never below the configured one.
//! `ipmpstat -g` shows the effective value.

/// How much slower than the interval a target must be before lowering.
pub const LOWER_TRIGGER: u64 = 4;
/// Factor of each raise and each lowering.
pub const MULTIPLE: u64 = 2;
/// How long after a raise before lowering is considered.
pub const SETTLING_MS: u64 = 60_000;
/// The FDT is never raised above this many times the configured one: one
/// slow or rate-limiting target must not stretch detection to minutes.
pub const MAX_FACTOR: u64 = 10;

/// A change of the effective FDT, to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Raised to this many ms.
    Raised(u64),
    /// Raised to the ceiling, [`MAX_FACTOR`] × the configured FDT, although
    /// the target would have needed `wanted` ms.
    Capped {
        /// The FDT now in force.
        ms: u64,
        /// What the target's round trip asked for.
        wanted: u64,
    },
    /// Lowered to this many ms.
    Lowered(u64),
}

/// The effective FDT of one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdaptiveFdt {
    configured_ms: u64,
    current_ms: u64,
    last_raise_ms: Option<u64>,
}

impl AdaptiveFdt {
    /// Starts at the configured FDT.
    pub fn new(configured_ms: u64) -> Self {
        Self {
            configured_ms,
            current_ms: configured_ms,
            last_raise_ms: None,
        }
    }

    /// The effective FDT.
    pub fn current_ms(&self) -> u64 {
        self.current_ms
    }

    /// The effective probe interval (FDT / 7).
    pub fn probe_interval_ms(&self) -> u64 {
        self.current_ms / 7
    }

    /// A new configured FDT (SIGHUP): taken at once.
    pub fn reconfigure(&mut self, configured_ms: u64) {
        *self = Self::new(configured_ms);
    }

    /// The ceiling of raises.
    pub fn limit_ms(&self) -> u64 {
        self.configured_ms.saturating_mul(MAX_FACTOR)
    }

    /// A target's CRTT was updated at `now`; raises the FDT if that target
    /// is slower than the probe interval (to twice its CRTT per interval),
    /// never above [`AdaptiveFdt::limit_ms`]. At the ceiling nothing more
    /// is reported until the FDT has come down again.
    pub fn target_crtt(&mut self, crtt_ms: u64, now_ms: u64) -> Option<Change> {
        if crtt_ms <= self.probe_interval_ms() || self.current_ms >= self.limit_ms() {
            return None;
        }
        let wanted = crtt_ms.saturating_mul(MULTIPLE).saturating_mul(7);
        self.current_ms = wanted.min(self.limit_ms());
        self.last_raise_ms = Some(now_ms);
        Some(if wanted > self.current_ms {
            Change::Capped {
                ms: self.current_ms,
                wanted,
            }
        } else {
            Change::Raised(self.current_ms)
        })
    }

    /// Considers lowering, given every target's CRTT at `now`.
    pub fn maybe_lower(&mut self, crtts_ms: &[u64], now_ms: u64) -> Option<Change> {
        if self.current_ms <= self.configured_ms {
            return None;
        }
        let settled = self
            .last_raise_ms
            .is_none_or(|t| now_ms.saturating_sub(t) >= SETTLING_MS);
        let fast = crtts_ms
            .iter()
            .all(|&c| c < self.probe_interval_ms() / LOWER_TRIGGER);
        if !settled || !fast || crtts_ms.is_empty() {
            return None;
        }
        self.current_ms = (self.current_ms / MULTIPLE).max(self.configured_ms);
        Some(Change::Lowered(self.current_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raises_stop_at_ten_times_the_configured_fdt() {
        let mut f = AdaptiveFdt::new(1_000);
        // A target taking 30 s would want 420 s.
        assert_eq!(
            f.target_crtt(30_000, 0),
            Some(Change::Capped {
                ms: 10_000,
                wanted: 420_000
            })
        );
        assert_eq!(f.current_ms(), 10_000);
        assert_eq!(f.target_crtt(60_000, 1), None, "said once");
        assert_eq!(f.current_ms(), 10_000);
    }

    #[test]
    fn a_target_slower_than_the_interval_raises_the_fdt() {
        let mut f = AdaptiveFdt::new(10_000);
        assert_eq!(f.probe_interval_ms(), 1428);
        assert_eq!(f.target_crtt(1428, 0), None, "exactly the interval is fine");
        assert_eq!(f.target_crtt(2000, 5), Some(Change::Raised(28_000)));
        assert_eq!(f.probe_interval_ms(), 4000, "interval = 2 x CRTT");
    }

    #[test]
    fn it_comes_back_down_by_halves_once_targets_are_fast_and_settled() {
        let mut f = AdaptiveFdt::new(10_000);
        f.target_crtt(2000, 0);
        // Fast targets (< 4000 / 4 = 1000 ms), but within the minute.
        assert_eq!(f.maybe_lower(&[100, 200], 59_999), None);
        assert_eq!(
            f.maybe_lower(&[100, 200], 60_000),
            Some(Change::Lowered(14_000))
        );
        // One target not fast enough (interval 2000 → needs < 500).
        assert_eq!(f.maybe_lower(&[100, 600], 70_000), None);
        assert_eq!(
            f.maybe_lower(&[100, 200], 70_000),
            Some(Change::Lowered(10_000))
        );
        assert_eq!(
            f.maybe_lower(&[1], 80_000),
            None,
            "never below the configured FDT"
        );
        assert_eq!(f.current_ms(), 10_000);
    }

    #[test]
    fn reconfiguring_restarts_from_the_new_value() {
        let mut f = AdaptiveFdt::new(10_000);
        f.target_crtt(5000, 0);
        f.reconfigure(1000);
        assert_eq!((f.current_ms(), f.probe_interval_ms()), (1000, 142));
    }
}
