//! Link-based repair with flap damping (the original's rule): a member whose
//! link comes back is repaired at once, unless its link came up more than
//! twice in the last 60 s; then the repair waits until that is no longer
//! true, so that a flapping link does not take traffic back and forth.
//!
//! Time is passed in (milliseconds on a monotonic clock).

use std::collections::VecDeque;

/// Link-ups tolerated within [`FLAP_WINDOW_MS`] before repairs wait.
pub const MAX_UPS_PER_WINDOW: usize = 2;
/// The flap window.
pub const FLAP_WINDOW_MS: u64 = 60_000;

/// When a member whose link just came up may be repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// Now.
    Now,
    /// Not before this time (the daemon sets a timer and asks again).
    At(u64),
}

/// The recent link-ups of one member.
#[derive(Debug, Clone, Default)]
pub struct LinkHistory {
    ups: VecDeque<u64>,
}

impl LinkHistory {
    /// Records a link-up at `now` and says when the member may be repaired.
    pub fn link_up(&mut self, now: u64) -> Repair {
        self.ups.push_back(now);
        self.when_repairable(now)
    }

    /// When the member may be repaired, seen at `now` (also what a timer
    /// set from [`Repair::At`] asks when it fires).
    pub fn when_repairable(&mut self, now: u64) -> Repair {
        while self
            .ups
            .front()
            .is_some_and(|&t| now.saturating_sub(t) >= FLAP_WINDOW_MS)
        {
            self.ups.pop_front();
        }
        if self.ups.len() <= MAX_UPS_PER_WINDOW {
            return Repair::Now;
        }
        // Repairable once only MAX_UPS_PER_WINDOW ups remain in the window,
        // i.e. when the extra oldest ones have aged out.
        let excess = self.ups.len() - MAX_UPS_PER_WINDOW;
        match self.ups.get(excess - 1) {
            Some(&t) => Repair::At(t + FLAP_WINDOW_MS),
            None => Repair::Now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_ups_in_a_minute_repair_at_once() {
        let mut h = LinkHistory::default();
        assert_eq!(h.link_up(0), Repair::Now);
        assert_eq!(h.link_up(10_000), Repair::Now);
    }

    #[test]
    fn a_third_up_within_a_minute_waits_until_the_first_ages_out() {
        let mut h = LinkHistory::default();
        h.link_up(0);
        h.link_up(10_000);
        assert_eq!(h.link_up(20_000), Repair::At(60_000));
        // The timer fires: nothing changed meanwhile, repair.
        assert_eq!(h.when_repairable(60_000), Repair::Now);
    }

    #[test]
    fn more_flapping_pushes_the_repair_further() {
        let mut h = LinkHistory::default();
        for t in [0, 5_000, 10_000] {
            h.link_up(t);
        }
        // Four ups: the two oldest must age out.
        assert_eq!(h.link_up(15_000), Repair::At(65_000));
        assert_eq!(h.when_repairable(60_000), Repair::At(65_000));
        assert_eq!(h.when_repairable(65_000), Repair::Now);
    }

    #[test]
    fn ups_spread_over_more_than_a_minute_never_wait() {
        let mut h = LinkHistory::default();
        for i in 0..10 {
            assert_eq!(h.link_up(i * 31_000), Repair::Now, "up {i}");
        }
    }
}
