//! Probe arithmetic of probe-based failure detection: round-trip time
//! estimation per target, when an unanswered probe counts as lost, and how
//! many losses fail a member and how many replies repair it.
//!
//! Pure functions and small state types with no clock of their own: time
//! is passed in (microseconds), so that every rule is unit-tested with
//! exact numbers (the original's counts and times, in.mpathd(8)).

/// Consecutive lost probes that fail a member (the original's
/// `NUM_PROBE_FAILS`).
pub const PROBES_TO_FAIL: u32 = 5;
/// Consecutive answered probes that repair a failed member
/// (`NUM_PROBE_REPAIRS`).
pub const PROBES_TO_REPAIR: u32 = 10;

/// Round-trip time estimate of one target (Jacobson/Karels, as TCP's RTO
/// in RFC 6298 and the original's `tg_rtt_sa`/`tg_rtt_sd`): smoothed RTT
/// with gain 1/8, mean deviation with gain 1/4. Kept scaled (×8, ×4) like
/// the original, so that integer arithmetic neither stalls nor drifts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RttEstimate {
    /// (8 × smoothed RTT, 4 × mean deviation), in microseconds; none
    /// before the first reply.
    scaled: Option<(u64, u64)>,
}

impl RttEstimate {
    /// Folds in one measured round-trip time.
    pub fn sample(&mut self, rtt_us: u64) {
        self.scaled = Some(match self.scaled {
            None => (rtt_us * 8, rtt_us * 2),
            Some((sa, sd)) => {
                let srtt = sa / 8;
                let err = rtt_us.abs_diff(srtt);
                let sa = if rtt_us >= srtt { sa + err } else { sa - err };
                let sd = sd - sd / 4 + err;
                (sa, sd)
            }
        });
    }

    /// The smoothed RTT, if known.
    pub fn smoothed_us(&self) -> Option<u64> {
        self.scaled.map(|(sa, _)| sa / 8)
    }

    /// The mean deviation, if known.
    pub fn deviation_us(&self) -> Option<u64> {
        self.scaled.map(|(_, sd)| sd / 4)
    }

    /// The conservative RTT: smoothed RTT + 4 × mean deviation, if known.
    pub fn conservative_us(&self) -> Option<u64> {
        self.scaled.map(|(sa, sd)| sa / 8 + sd)
    }

    /// How long to wait for a reply before a probe to this target counts
    /// as lost: the conservative RTT, or the probe interval while no RTT
    /// is known.
    pub fn loss_timeout_us(&self, probe_interval_us: u64) -> u64 {
        self.conservative_us().unwrap_or(probe_interval_us)
    }
}

/// Round trips remembered per target to tell sustained slowness from an
/// outlier.
pub const RECENT_RTTS: usize = 5;
/// Of the [`RECENT_RTTS`] last round trips, how many must exceed the probe
/// interval before the failure detection time is raised.
pub const SLOW_TO_RAISE: usize = 3;

/// A target's last round trips, newest last.
///
/// The original raised the FDT as soon as one target's conservative RTT
/// (smoothed RTT + 4 × deviation) exceeded the probe interval. One late
/// reply (a router answering ICMP from its slow path, a host busy for a
/// moment) lifts the deviation term for a dozen samples, so a single
/// outlier could multiply detection time. Here the raise also needs most
/// of the recent replies ([`SLOW_TO_RAISE`] of [`RECENT_RTTS`]) to have
/// really taken longer than the interval: the target is slow, not unlucky.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecentRtts {
    samples: [u64; RECENT_RTTS],
    len: usize,
}

impl RecentRtts {
    /// Remembers one round trip, forgetting the oldest.
    pub fn push(&mut self, rtt_us: u64) {
        if self.len == RECENT_RTTS {
            self.samples.rotate_left(1);
            self.samples[RECENT_RTTS - 1] = rtt_us;
        } else {
            self.samples[self.len] = rtt_us;
            self.len += 1;
        }
    }

    /// Whether at least [`SLOW_TO_RAISE`] of the remembered round trips
    /// exceeded `interval_us`.
    pub fn mostly_slower_than(&self, interval_us: u64) -> bool {
        self.samples[..self.len]
            .iter()
            .filter(|&&rtt| rtt > interval_us)
            .count()
            >= SLOW_TO_RAISE
    }
}

/// What a probe result changes for its member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing to report.
    Unchanged,
    /// The member reached `PROBES_TO_FAIL` consecutive losses.
    Failed,
    /// A failed member reached `PROBES_TO_REPAIR` consecutive replies.
    Repaired,
}

/// Consecutive probe results of one member (one address family).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProbeRun {
    losses: u32,
    replies: u32,
    failed: bool,
}

impl ProbeRun {
    /// A member probing from a known state.
    pub fn new(failed: bool) -> Self {
        Self {
            losses: 0,
            replies: 0,
            failed,
        }
    }

    /// Whether this run has declared the member failed.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Consecutive losses so far.
    pub fn losses(&self) -> u32 {
        self.losses
    }

    /// A probe got its reply.
    pub fn reply(&mut self) -> Verdict {
        self.losses = 0;
        self.replies = self.replies.saturating_add(1);
        if self.failed && self.replies >= PROBES_TO_REPAIR {
            self.failed = false;
            return Verdict::Repaired;
        }
        Verdict::Unchanged
    }

    /// A probe was lost.
    pub fn loss(&mut self) -> Verdict {
        self.replies = 0;
        self.losses = self.losses.saturating_add(1);
        if !self.failed && self.losses >= PROBES_TO_FAIL {
            self.failed = true;
            return Verdict::Failed;
        }
        Verdict::Unchanged
    }
}

/// When the next probe leaves: at a point between 0.5 and 1.0 of the
/// probe interval after `base` (the original's jitter, which keeps members
/// and hosts from probing in lockstep). `random` is a uniform value in
/// [0, 1) supplied by the caller (the core stays deterministic).
pub fn next_probe_at_us(base_us: u64, probe_interval_us: u64, random: f64) -> u64 {
    let r = random.clamp(0.0, 0.999_999);
    base_us + probe_interval_us / 2 + (probe_interval_us as f64 * 0.5 * r) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_outlier_is_not_sustained_slowness() {
        let mut r = RecentRtts::default();
        for rtt in [1_000, 300_000, 1_000, 1_000, 2_000] {
            r.push(rtt);
        }
        assert!(!r.mostly_slower_than(142_000));
        r.push(400_000);
        r.push(500_000);
        assert!(!r.mostly_slower_than(142_000), "two of the last five");
        r.push(600_000);
        assert!(r.mostly_slower_than(142_000), "three of the last five");
        for _ in 0..3 {
            r.push(1_000);
        }
        assert!(!r.mostly_slower_than(142_000), "the old ones are forgotten");
    }

    #[test]
    fn five_losses_fail_four_do_not() {
        let mut run = ProbeRun::new(false);
        for _ in 0..4 {
            assert_eq!(run.loss(), Verdict::Unchanged);
        }
        assert!(!run.failed());
        assert_eq!(run.loss(), Verdict::Failed);
        assert!(run.failed());
        // Further losses report nothing new.
        assert_eq!(run.loss(), Verdict::Unchanged);
    }

    #[test]
    fn a_reply_resets_the_loss_count() {
        let mut run = ProbeRun::new(false);
        for _ in 0..4 {
            run.loss();
        }
        run.reply();
        for _ in 0..4 {
            assert_eq!(run.loss(), Verdict::Unchanged);
        }
        assert_eq!(run.losses(), 4);
    }

    #[test]
    fn ten_replies_repair_nine_do_not() {
        let mut run = ProbeRun::new(true);
        for _ in 0..9 {
            assert_eq!(run.reply(), Verdict::Unchanged);
        }
        assert!(run.failed());
        assert_eq!(run.reply(), Verdict::Repaired);
        assert!(!run.failed());
    }

    #[test]
    fn a_loss_restarts_the_repair_count() {
        let mut run = ProbeRun::new(true);
        for _ in 0..9 {
            run.reply();
        }
        run.loss();
        for _ in 0..9 {
            assert_eq!(run.reply(), Verdict::Unchanged);
        }
        assert_eq!(run.reply(), Verdict::Repaired);
    }

    #[test]
    fn crtt_arithmetic() {
        let mut e = RttEstimate::default();
        assert_eq!(e.conservative_us(), None);
        assert_eq!(
            e.loss_timeout_us(1_428_000),
            1_428_000,
            "no RTT yet: the probe interval"
        );
        e.sample(1000);
        // First sample: srtt = R, dev = R/2, crtt = R + 4 R/2 = 3R.
        assert_eq!(
            (e.smoothed_us(), e.conservative_us()),
            (Some(1000), Some(3000))
        );
        e.sample(2000);
        // err = 1000: srtt = 1000 + 1000/8 = 1125; dev = 500 + (1000 - 500)/4 = 625.
        assert_eq!(
            (e.smoothed_us(), e.conservative_us()),
            (Some(1125), Some(1125 + 2500))
        );
        e.sample(1125);
        // err = 0: srtt unchanged; 4 dev = 2500 - 2500/4 = 1875.
        assert_eq!(e.conservative_us(), Some(1125 + 1875));
        assert_eq!(e.loss_timeout_us(1_428_000), 3000);
    }

    #[test]
    fn steady_rtt_converges_to_a_tight_bound() {
        let mut e = RttEstimate::default();
        for _ in 0..100 {
            e.sample(800);
        }
        assert_eq!(e.smoothed_us(), Some(800));
        assert!(e.conservative_us().is_some_and(|c| c < 810), "{e:?}");
    }

    #[test]
    fn probes_leave_in_the_second_half_of_the_interval() {
        assert_eq!(next_probe_at_us(0, 1_428_000, 0.0), 714_000);
        assert_eq!(next_probe_at_us(10, 1000, 0.5), 10 + 500 + 250);
        assert!(next_probe_at_us(0, 1000, 1.0) < 1000);
        assert_eq!(
            next_probe_at_us(0, 1000, -3.0),
            500,
            "out-of-range randomness is clamped"
        );
    }
}
