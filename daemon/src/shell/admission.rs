//! Who may hold a control connection, and who may change state.
//!
//! The control socket is open to every local user (reads are public, as
//! `ip link show` is), so it must not be possible for unprivileged users
//! to crowd out the administrator: connections are counted per uid, the
//! unprivileged ones share a pool of their own, and root has a pool that
//! nobody else can take. Pure bookkeeping, decided at accept() from the
//! peer credentials the kernel recorded at connect().

use std::collections::HashMap;

/// How many connections each kind of client may hold at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections of one unprivileged uid.
    pub per_uid: usize,
    /// Connections of all unprivileged uids together.
    pub unprivileged: usize,
    /// Connections of root (a pool no other uid can use).
    pub privileged: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_uid: 8,
            unprivileged: 64,
            privileged: 32,
        }
    }
}

/// Whether a peer may change state (offline, online, standby, reload).
///
/// The rule, as in.mpathd(8) states it: the peer's effective uid, as the
/// kernel recorded it when the peer called connect() (`SO_PEERCRED`) and
/// as seen from in.mpathd's own user namespace, is 0. The kernel
/// translates that uid into the daemon's namespace, so root of a user
/// namespace created by an ordinary user (`unshare -Ur`) arrives as that
/// user's uid, or as the overflow uid, and is refused. Capability sets are
/// deliberately not consulted: `/proc/PID/status` shows them only relative
/// to the peer's own user namespace, and only as they are when the daemon
/// reads it, after the peer may have exec'd or exited and its pid been
/// reused.
pub fn may_change_state(peer_uid: u32) -> bool {
    peer_uid == 0
}

/// Why a connection was turned away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// This uid already holds its share.
    PerUid {
        /// The uid.
        uid: u32,
        /// Its limit.
        limit: usize,
    },
    /// The pool of its kind is full.
    Pool {
        /// Root's pool, or the unprivileged one.
        privileged: bool,
        /// The pool's size.
        limit: usize,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::PerUid { uid, limit } => write!(
                f,
                "in.mpathd: too many connections from uid {uid} (at most {limit} at once)"
            ),
            Refusal::Pool {
                privileged: true,
                limit,
            } => write!(
                f,
                "in.mpathd: too many connections from root (at most {limit} at once)"
            ),
            Refusal::Pool {
                privileged: false,
                limit,
            } => write!(
                f,
                "in.mpathd: too many unprivileged connections (at most {limit} at once)"
            ),
        }
    }
}

/// Open connections, by uid.
#[derive(Debug, Default)]
pub struct Admission {
    limits: Limits,
    by_uid: HashMap<u32, usize>,
    unprivileged: usize,
    privileged: usize,
}

impl Admission {
    /// Nothing open yet.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// Counts a new connection of `uid`, or says why it is refused.
    pub fn admit(&mut self, uid: u32) -> Result<(), Refusal> {
        if may_change_state(uid) {
            if self.privileged >= self.limits.privileged {
                return Err(Refusal::Pool {
                    privileged: true,
                    limit: self.limits.privileged,
                });
            }
            self.privileged += 1;
            return Ok(());
        }
        let held = self.by_uid.get(&uid).copied().unwrap_or(0);
        if held >= self.limits.per_uid {
            return Err(Refusal::PerUid {
                uid,
                limit: self.limits.per_uid,
            });
        }
        if self.unprivileged >= self.limits.unprivileged {
            return Err(Refusal::Pool {
                privileged: false,
                limit: self.limits.unprivileged,
            });
        }
        self.unprivileged += 1;
        *self.by_uid.entry(uid).or_insert(0) += 1;
        Ok(())
    }

    /// A connection of `uid` admitted earlier has closed.
    pub fn release(&mut self, uid: u32) {
        if may_change_state(uid) {
            self.privileged = self.privileged.saturating_sub(1);
            return;
        }
        if let Some(n) = self.by_uid.get_mut(&uid) {
            *n -= 1;
            if *n == 0 {
                self.by_uid.remove(&uid);
            }
            self.unprivileged = self.unprivileged.saturating_sub(1);
        }
    }

    /// Connections open now (all kinds).
    pub fn open(&self) -> usize {
        self.privileged + self.unprivileged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limits = Limits {
        per_uid: 2,
        unprivileged: 3,
        privileged: 2,
    };

    #[test]
    fn only_uid_0_changes_state() {
        assert!(may_change_state(0));
        assert!(!may_change_state(1000));
        // The overflow uid: what root of an unmapped user namespace is.
        assert!(!may_change_state(65534));
    }

    #[test]
    fn one_uid_cannot_take_more_than_its_share() {
        let mut a = Admission::new(SMALL);
        assert_eq!(a.admit(1000), Ok(()));
        assert_eq!(a.admit(1000), Ok(()));
        assert_eq!(
            a.admit(1000),
            Err(Refusal::PerUid {
                uid: 1000,
                limit: 2
            })
        );
        a.release(1000);
        assert_eq!(a.admit(1000), Ok(()), "a closed connection frees its slot");
    }

    #[test]
    fn unprivileged_users_together_cannot_take_roots_slots() {
        let mut a = Admission::new(SMALL);
        for uid in [1000, 1001, 1002] {
            assert_eq!(a.admit(uid), Ok(()));
        }
        assert_eq!(
            a.admit(1003),
            Err(Refusal::Pool {
                privileged: false,
                limit: 3
            })
        );
        assert_eq!(a.admit(0), Ok(()), "root still gets in");
        assert_eq!(a.admit(0), Ok(()));
        assert!(a.admit(0).is_err(), "root's pool is bounded too");
        assert_eq!(a.open(), 5);
        for uid in [1000, 1001, 1002, 0, 0] {
            a.release(uid);
        }
        assert_eq!(a.open(), 0);
    }

    #[test]
    fn releasing_what_was_never_admitted_changes_nothing() {
        let mut a = Admission::new(SMALL);
        a.release(1000);
        assert_eq!(a.open(), 0);
        assert_eq!(a.admit(1000), Ok(()));
        assert_eq!(a.open(), 1);
    }

    #[test]
    fn refusals_say_who_and_how_many() {
        assert_eq!(
            Refusal::PerUid {
                uid: 65534,
                limit: 8
            }
            .to_string(),
            "in.mpathd: too many connections from uid 65534 (at most 8 at once)"
        );
    }
}
