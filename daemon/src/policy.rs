//! Keeping the configured number of active members (the original's rules).
//!
//! Terms: a member is *running* (functioning), *failed* (by link or
//! probes) or *offline* (by the administrator). It is *active* when it is
//! running and not *inactive*. The group wants as many active members as
//! it has non-standby members (its *target*).
//!
//! | event | rule |
//! |---|---|
//! | an active member fails or goes offline | activate a running inactive member, standbys first |
//! | a standby starts running (repair, online) | active if the group is short of its target, else inactive |
//! | a non-standby is repaired or onlined, FAILBACK=yes | active; if that exceeds the target, an active standby goes inactive |
//! | the same with FAILBACK=no | inactive if the target is met (it takes the standby's place), else active |
//! | ...but after a whole-group failure, or when the daemon starts | as FAILBACK=yes |
//! | offline | refused if already offline, or if no other member is running |
//! | online | refused unless offline; then running or failed by its link |
//!
//! Pure state and rules, no IO: the daemon turns the resulting flags into
//! MEMBER_SET requests. The four figures of the Oracle Solaris 11.4 IPMP
//! documentation are the tests.

use std::fmt;

/// A member's condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Functioning.
    Running,
    /// Failed (link or probes).
    Failed,
    /// Offlined by the administrator.
    Offline,
}

/// One member as the policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Interface name.
    pub name: String,
    /// Configured as a standby.
    pub standby: bool,
    /// Its condition.
    pub state: State,
    /// Kept from carrying traffic by the policy.
    pub inactive: bool,
}

impl Member {
    /// A running, non-standby member.
    pub fn new(name: &str, standby: bool) -> Self {
        Self {
            name: name.to_string(),
            standby,
            state: State::Running,
            inactive: false,
        }
    }

    /// Running and not inactive.
    pub fn active(&self) -> bool {
        self.state == State::Running && !self.inactive
    }
}

/// Why an administrative request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No member of that name.
    NoSuchMember(String),
    /// Offline asked for an offline member.
    AlreadyOffline(String),
    /// Offline would leave the group without a functioning member.
    MinimumRedundancy(String),
    /// Online asked for a member that is not offline.
    NotOffline(String),
    /// Online asked for a member offlined for a duplicate hardware
    /// address (member, the member it duplicates).
    DuplicateHwaddr(String, String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NoSuchMember(n) => write!(f, "{n} is not in an IPMP group"),
            Refusal::AlreadyOffline(n) => write!(f, "{n} is already offline"),
            Refusal::MinimumRedundancy(n) => write!(
                f,
                "cannot offline {n}: no other functioning interfaces are in its IPMP group"
            ),
            Refusal::NotOffline(n) => write!(f, "{n} is not offline"),
            Refusal::DuplicateHwaddr(n, other) => write!(
                f,
                "cannot online {n}: its hardware address duplicates that of {other}"
            ),
        }
    }
}

impl std::error::Error for Refusal {}

/// A group's members and its FAILBACK setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Members, in join order.
    pub members: Vec<Member>,
    /// FAILBACK from the configuration.
    pub failback: bool,
    /// Every member failed at once; the next repairs fail back whatever
    /// FAILBACK says.
    group_failed: bool,
}

impl Group {
    /// A group as the daemon finds it when it starts: every running
    /// non-standby active, standbys only to make up the target.
    pub fn start(members: Vec<Member>, failback: bool) -> Self {
        let mut g = Self {
            members,
            failback,
            group_failed: false,
        };
        for m in &mut g.members {
            m.inactive = m.standby;
        }
        g.fill_up();
        g
    }

    /// How many active members the group wants: one per non-standby
    /// member, and at least one (a group of standbys still carries
    /// traffic, as in the original's phyint_standby_refresh_inactive()).
    pub fn target(&self) -> usize {
        self.members.iter().filter(|m| !m.standby).count().max(1)
    }

    /// How many are active.
    pub fn active_count(&self) -> usize {
        self.members.iter().filter(|m| m.active()).count()
    }

    fn index(&self, name: &str) -> Result<usize, Refusal> {
        self.members
            .iter()
            .position(|m| m.name == name)
            .ok_or_else(|| Refusal::NoSuchMember(name.to_string()))
    }

    /// Activates running inactive members, standbys first, while the
    /// group is short of its target.
    fn fill_up(&mut self) {
        while self.active_count() < self.target() {
            let spare = self
                .members
                .iter()
                .position(|m| m.state == State::Running && m.inactive && m.standby)
                .or_else(|| {
                    self.members
                        .iter()
                        .position(|m| m.state == State::Running && m.inactive)
                });
            match spare {
                Some(i) => self.members[i].inactive = false,
                None => return,
            }
        }
    }

    /// Deactivates active standbys (last joined first) while the group
    /// has more active members than its target.
    fn trim(&mut self) {
        while self.active_count() > self.target() {
            match self.members.iter().rposition(|m| m.active() && m.standby) {
                Some(i) => self.members[i].inactive = true,
                None => return,
            }
        }
    }

    /// `name` failed (link down, or probes lost).
    pub fn failed(&mut self, name: &str) -> Result<(), Refusal> {
        let i = self.index(name)?;
        if self.members[i].state == State::Running {
            self.members[i].state = State::Failed;
        }
        if self.members.iter().all(|m| m.state != State::Running) {
            self.group_failed = true;
        }
        self.fill_up();
        Ok(())
    }

    /// `name` was repaired (link up and, when probed, enough replies).
    pub fn repaired(&mut self, name: &str) -> Result<(), Refusal> {
        let i = self.index(name)?;
        if self.members[i].state != State::Failed {
            return Ok(());
        }
        self.members[i].state = State::Running;
        self.rejoin(i);
        Ok(())
    }

    /// A member starts running again: the standby, FAILBACK and
    /// group-failure rules decide whether it carries traffic.
    fn rejoin(&mut self, i: usize) {
        let failback = self.failback || self.group_failed;
        self.group_failed = false;
        let short = self.active_count() < self.target();
        let m = &mut self.members[i];
        m.inactive = if m.standby || !failback {
            !short
        } else {
            false
        };
        self.trim();
        self.fill_up();
    }

    /// A group rebuilt from the kernel's flags when the daemon restarts:
    /// members keep the roles they have, unless the rules say the group
    /// is short of (or over) its target, so a restart moves no traffic
    /// that the rules would not move anyway.
    pub fn adopt(members: Vec<Member>, failback: bool) -> Self {
        let mut g = Self {
            members,
            failback,
            group_failed: false,
        };
        g.group_failed =
            !g.members.is_empty() && g.members.iter().all(|m| m.state != State::Running);
        g.trim();
        g.fill_up();
        g
    }

    /// A member joined (appended in join order). A standby starts
    /// inactive unless the group is short; any other member is active.
    pub fn add(&mut self, mut member: Member) {
        member.inactive = member.standby;
        let running = member.state == State::Running;
        self.members.push(member);
        if running {
            let i = self.members.len() - 1;
            self.rejoin_initial(i);
        }
    }

    /// A member left the group.
    pub fn remove(&mut self, name: &str) {
        self.members.retain(|m| m.name != name);
        self.fill_up();
        self.trim();
    }

    /// `name` becomes a standby (`on`) or an ordinary member again.
    pub fn set_standby(&mut self, name: &str, on: bool) -> Result<(), Refusal> {
        let i = self.index(name)?;
        if self.members[i].standby == on {
            return Ok(());
        }
        self.members[i].standby = on;
        if !on && self.members[i].state == State::Running {
            self.members[i].inactive = false;
        }
        self.trim();
        self.fill_up();
        Ok(())
    }

    /// Offlines `name` without the redundancy check: for a duplicate
    /// hardware address, where carrying traffic would be worse.
    pub fn force_offline(&mut self, name: &str) -> Result<(), Refusal> {
        let i = self.index(name)?;
        self.members[i].state = State::Offline;
        self.fill_up();
        Ok(())
    }

    /// Whether every member is unusable after a whole-group failure.
    pub fn group_failed(&self) -> bool {
        self.group_failed
    }

    /// Marks the group as failed as a whole (every member failed at
    /// once): the next repairs fail back whatever FAILBACK says.
    pub fn set_group_failed(&mut self) {
        self.group_failed = true;
    }

    /// A member starting to run when it joins or the daemon starts: as
    /// FAILBACK=yes (the original applies FAILBACK=no only to repairs and
    /// onlining, and not while the daemon starts).
    fn rejoin_initial(&mut self, i: usize) {
        let failback = self.failback;
        self.failback = true;
        self.rejoin(i);
        self.failback = failback;
    }

    /// A member was renamed.
    pub fn rename(&mut self, old: &str, new: &str) {
        for m in &mut self.members {
            if m.name == old {
                m.name = new.to_string();
            }
        }
    }

    /// The member of that name.
    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }

    /// `if_mpadm -d`: takes `name` out of use.
    pub fn offline(&mut self, name: &str) -> Result<(), Refusal> {
        let i = self.index(name)?;
        if self.members[i].state == State::Offline {
            return Err(Refusal::AlreadyOffline(name.to_string()));
        }
        let others = self
            .members
            .iter()
            .enumerate()
            .filter(|&(j, m)| j != i && m.state == State::Running)
            .count();
        if others == 0 {
            return Err(Refusal::MinimumRedundancy(name.to_string()));
        }
        self.members[i].state = State::Offline;
        self.fill_up();
        Ok(())
    }

    /// `if_mpadm -r`: brings `name` back; `link_up` says whether it can
    /// run at once (else it is failed until repaired).
    pub fn online(&mut self, name: &str, link_up: bool) -> Result<(), Refusal> {
        let i = self.index(name)?;
        if self.members[i].state != State::Offline {
            return Err(Refusal::NotOffline(name.to_string()));
        }
        if link_up {
            self.members[i].state = State::Running;
            self.rejoin(i);
        } else {
            self.members[i].state = State::Failed;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The group of the Oracle Solaris 11.4 IPMP documentation: net0, net1
    /// active, net2 standby.
    fn itops0(failback: bool) -> Group {
        Group::start(
            vec![
                Member::new("net0", false),
                Member::new("net1", false),
                Member::new("net2", true),
            ],
            failback,
        )
    }

    /// Each member as (ACTIVE, state, inactive flag), like `ipmpstat -i`.
    fn view(g: &Group) -> Vec<(&str, bool, State, bool)> {
        g.members
            .iter()
            .map(|m| (m.name.as_str(), m.active(), m.state, m.inactive))
            .collect()
    }

    use State::*;

    #[test]
    fn figure_1_two_active_one_standby() {
        let g = itops0(true);
        assert_eq!(
            view(&g),
            vec![
                ("net0", true, Running, false),
                ("net1", true, Running, false),
                ("net2", false, Running, true),
            ]
        );
    }

    #[test]
    fn figure_2_a_failed_active_is_replaced_by_the_standby_and_fails_back() {
        let mut g = itops0(true);
        g.failed("net0").unwrap();
        assert_eq!(
            view(&g),
            vec![
                ("net0", false, Failed, false),
                ("net1", true, Running, false),
                ("net2", true, Running, false),
            ]
        );
        g.repaired("net0").unwrap();
        assert_eq!(
            view(&g),
            view(&itops0(true)),
            "net0 active again, net2 back to standby"
        );
    }

    #[test]
    fn figure_3_standby_failure_then_offline_leaves_one_active() {
        let mut g = itops0(true);
        g.failed("net2").unwrap();
        g.offline("net1").unwrap();
        assert_eq!(
            view(&g),
            vec![
                ("net0", true, Running, false),
                ("net1", false, Offline, false),
                ("net2", false, Failed, true),
            ]
        );
    }

    #[test]
    fn figure_4_the_repaired_standby_makes_up_the_count() {
        let mut g = itops0(true);
        g.failed("net2").unwrap();
        g.offline("net1").unwrap();
        g.repaired("net2").unwrap();
        assert_eq!(
            view(&g),
            vec![
                ("net0", true, Running, false),
                ("net1", false, Offline, false),
                ("net2", true, Running, false),
            ]
        );
    }

    #[test]
    fn failback_no_the_repaired_member_takes_the_standby_place() {
        let mut g = itops0(false);
        g.failed("net0").unwrap();
        g.repaired("net0").unwrap();
        assert_eq!(
            view(&g),
            vec![
                ("net0", false, Running, true),
                ("net1", true, Running, false),
                ("net2", true, Running, false),
            ]
        );
    }

    #[test]
    fn failback_no_still_fails_back_after_a_group_failure() {
        let mut g = itops0(false);
        for m in ["net0", "net1", "net2"] {
            g.failed(m).unwrap();
        }
        assert_eq!(g.active_count(), 0);
        g.repaired("net0").unwrap();
        assert!(
            g.members[0].active(),
            "first repair after a group failure is active"
        );
        g.repaired("net1").unwrap();
        assert!(g.members[1].active(), "short of the target: active");
    }

    #[test]
    fn offline_refusals_and_acceptance() {
        let mut g = itops0(true);
        g.offline("net1").unwrap();
        assert_eq!(
            g.offline("net1").unwrap_err().to_string(),
            "net1 is already offline"
        );
        g.failed("net2").unwrap();
        assert_eq!(
            g.offline("net0").unwrap_err().to_string(),
            "cannot offline net0: no other functioning interfaces are in its IPMP group"
        );
        assert!(g.members[0].active(), "a refused offline changes nothing");
        assert_eq!(
            g.online("net0", true).unwrap_err().to_string(),
            "net0 is not offline"
        );
        assert_eq!(
            g.offline("net9").unwrap_err().to_string(),
            "net9 is not in an IPMP group"
        );
    }

    #[test]
    fn online_with_the_link_down_stays_failed_until_repaired() {
        let mut g = itops0(true);
        g.offline("net0").unwrap();
        assert!(
            g.members[2].active(),
            "the standby replaced the offline member"
        );
        g.online("net0", false).unwrap();
        assert_eq!(g.members[0].state, Failed);
        g.repaired("net0").unwrap();
        assert_eq!(view(&g), view(&itops0(true)));
    }

    #[test]
    fn adopting_the_kernel_state_keeps_the_roles_it_finds() {
        // FAILBACK=no left net0 inactive and the standby active; a
        // restarted daemon must not swap them back.
        let mut net0 = Member::new("net0", false);
        net0.inactive = true;
        let net1 = Member::new("net1", false);
        let net2 = Member::new("net2", true);
        let g = Group::adopt(vec![net0, net1, net2], false);
        assert_eq!(
            view(&g),
            vec![
                ("net0", false, Running, true),
                ("net1", true, Running, false),
                ("net2", true, Running, false),
            ]
        );
    }

    #[test]
    fn adopting_a_group_short_of_its_target_fills_it_up() {
        let mut net2 = Member::new("net2", true);
        net2.inactive = true;
        let mut net0 = Member::new("net0", false);
        net0.state = Failed;
        let g = Group::adopt(vec![net0, Member::new("net1", false), net2], true);
        assert!(g.members[2].active(), "the standby replaces failed net0");
    }

    #[test]
    fn joining_members_and_standby_changes() {
        let mut g = Group::start(vec![Member::new("net0", false)], true);
        g.add(Member::new("net1", false));
        g.add(Member::new("net2", true));
        assert_eq!(view(&g), view(&itops0(true)));
        g.set_standby("net2", false).unwrap();
        assert!(g.members[2].active(), "an ordinary member is active");
        g.set_standby("net0", true).unwrap();
        assert_eq!(
            view(&g),
            vec![
                ("net0", false, Running, true),
                ("net1", true, Running, false),
                ("net2", true, Running, false),
            ],
            "a new standby steps back when the others meet the target"
        );
        g.remove("net1");
        assert!(!g.members[0].active(), "net2 alone meets the target");
        g.remove("net2");
        assert!(
            g.members[0].active(),
            "a group of standbys still keeps one active"
        );
    }

    #[test]
    fn a_forced_offline_ignores_redundancy() {
        let mut g = Group::start(vec![Member::new("a", false)], true);
        assert!(g.offline("a").is_err());
        g.force_offline("a").unwrap();
        assert_eq!(g.members[0].state, Offline);
    }

    #[test]
    fn a_group_without_standby_simply_loses_capacity() {
        let mut g = Group::start(vec![Member::new("a", false), Member::new("b", false)], true);
        g.failed("a").unwrap();
        assert_eq!(g.active_count(), 1);
        g.repaired("a").unwrap();
        assert_eq!(g.active_count(), 2);
    }
}
