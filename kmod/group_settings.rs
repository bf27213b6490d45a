// SPDX-License-Identifier: GPL-2.0
//! A group's settings as requests carry them: the generic netlink
//! GROUP_SET and rtnetlink's `ip link add|set ... type ipmp`
//! (IFLA_INFO_DATA). All are checked before any is applied, so a refused
//! request changes nothing; each interface names the settings in its own
//! words in the refusal.

use crate::genl_wire::Attrs;
use crate::group::Group;
use crate::ipmpdev::IpmpDev;
use crate::membership;
use crate::netdev::ExtAck;
use crate::rtnl::Rtnl;
use crate::uapi::*;
use kernel::prelude::*;

/// Where a request's settings are and what its user calls them.
pub(crate) struct Vocabulary {
    pub(crate) name: (u16, &'static str),
    pub(crate) policy: (u16, &'static str),
    pub(crate) count: (u16, &'static str),
    pub(crate) interval: (u16, &'static str),
}

/// The generic netlink family's attributes.
pub(crate) const GENL: Vocabulary = Vocabulary {
    name: (A_GROUP_NAME, "GROUP_NAME"),
    policy: (A_POLICY, "POLICY"),
    count: (A_ANNOUNCE_COUNT, "ANNOUNCE_COUNT"),
    interval: (A_ANNOUNCE_INTERVAL, "ANNOUNCE_INTERVAL"),
};

/// IFLA_INFO_DATA, named as `ip link ... type ipmp` spells the options.
pub(crate) const LINK: Vocabulary = Vocabulary {
    name: (IFLA_IPMP_GROUP_NAME, "group_name"),
    policy: (IFLA_IPMP_POLICY, "policy"),
    count: (IFLA_IPMP_ANNOUNCE_COUNT, "announce_count"),
    interval: (IFLA_IPMP_ANNOUNCE_INTERVAL, "announce_interval"),
};

/// Checked settings, each `None` where the request left it alone.
pub(crate) struct GroupSettings {
    name: Option<([u8; GROUP_NAME_MAX], usize)>,
    policy: Option<u8>,
    count: Option<u32>,
    interval: Option<u32>,
}

impl GroupSettings {
    /// Reads and checks the settings of a request; refuses it with a
    /// message naming the first bad one.
    pub(crate) fn parse(attrs: &Attrs, words: &Vocabulary, extack: &mut ExtAck) -> Result<Self> {
        let policy = attrs.u8(words.policy.0);
        if policy.is_some_and(|p| p != POLICY_KERNEL && p != POLICY_DAEMON) {
            extack.set(format_args!(
                "{} must be 0 (kernel) or 1 (daemon)",
                words.policy.1
            ));
            return Err(EINVAL);
        }
        let count = attrs.u32(words.count.0);
        if count.is_some_and(|c| c > ANNOUNCE_COUNT_MAX) {
            extack.set(format_args!(
                "{} is at most {ANNOUNCE_COUNT_MAX}",
                words.count.1
            ));
            return Err(ERANGE);
        }
        let interval = attrs.u32(words.interval.0);
        if interval.is_some_and(|i| i == 0 || i > ANNOUNCE_INTERVAL_MAX) {
            extack.set(format_args!(
                "{} is 1 to {ANNOUNCE_INTERVAL_MAX} ms",
                words.interval.1
            ));
            return Err(ERANGE);
        }
        let name = match attrs.string(words.name.0) {
            Some(n)
                if n.is_empty()
                    || n.len() > GROUP_NAME_MAX
                    || !n.iter().all(|b| b.is_ascii_graphic()) =>
            {
                extack.set(format_args!(
                    "{} is 1 to {GROUP_NAME_MAX} printable characters",
                    words.name.1
                ));
                return Err(EINVAL);
            }
            Some(n) => {
                let mut buf = [0u8; GROUP_NAME_MAX];
                buf.get_mut(..n.len()).ok_or(EINVAL)?.copy_from_slice(n);
                Some((buf, n.len()))
            }
            None => None,
        };
        Ok(Self {
            name,
            policy,
            count,
            interval,
        })
    }

    /// The settings that need no recomputation of the active set.
    fn apply_plain(&self, group: &Group, rtnl: &mut Rtnl<'_>) {
        if let Some((buf, len)) = &self.name {
            group.set_name(buf.get(..*len).unwrap_or(&[]), rtnl);
        }
        if let Some(c) = self.count {
            group.set_announce_count(c);
        }
        if let Some(i) = self.interval {
            group.set_announce_interval_ms(i);
        }
    }

    /// Applies the settings to a group in use.
    pub(crate) fn apply(&self, ipmp: &IpmpDev, rtnl: &mut Rtnl<'_>) -> Result {
        self.apply_plain(ipmp.group(), rtnl);
        match self.policy {
            Some(p) => membership::set_policy(ipmp, p, rtnl),
            None => Ok(()),
        }
    }

    /// Applies the settings to a group not registered yet (`ip link add`):
    /// it has no member, so nothing is recomputed and nothing can fail.
    pub(crate) fn apply_unregistered(&self, group: &Group, rtnl: &mut Rtnl<'_>) {
        self.apply_plain(group, rtnl);
        if let Some(p) = self.policy {
            group.set_policy(p, rtnl);
        }
    }
}
