// SPDX-License-Identifier: GPL-2.0
//! The `ipmp` link kind: `rtnl_link_ops`, `net_device_ops` and the C-ABI
//! adapters that turn the kernel's callbacks into calls of safe functions.
//!
//! Every adapter runs in a context the kernel documents: `setup` from
//! `alloc_netdev()` (RTNL held for rtnetlink-created devices, device not
//! yet registered), `ndo_init`/`ndo_uninit`/`ndo_add_slave`/`ndo_del_slave`
//! under RTNL, `ndo_change_rx_flags` under RTNL, `ndo_set_rx_mode` with
//! the device's address-list lock held (BHs off, RTNL not always held),
//! `ndo_start_xmit` in softirq or process context with BHs off
//! and under `rcu_read_lock_bh()`.

use crate::bindings::{raw, OpsTable};
use crate::ethtool;
use crate::genl_family::policy;
use crate::genl_wire::{Attrs, Writer};
use crate::group::Group;
use crate::group_settings::{self, GroupSettings};
use crate::ipmpdev::{self, IpmpDev};
use crate::link_info;
use crate::membership;
use crate::netdev::{AddrListsLocked, ExtAck, NetDev, ETH_ALEN};
use crate::rcu::RcuGuard;
use crate::rtnl::Rtnl;
use crate::rxfilter;
use crate::rxhandler;
use crate::skb::SkBuff;
use crate::uapi::*;
use crate::work;
use crate::xmit;
use core::ffi::c_int;
use kernel::{error::to_result, prelude::*};

static NETDEV_OPS: OpsTable<raw::net_device_ops> = OpsTable::new(raw::net_device_ops {
    ndo_init: Some(ndo_init),
    ndo_uninit: Some(ndo_uninit),
    ndo_start_xmit: Some(ndo_start_xmit),
    ndo_add_slave: Some(ndo_add_slave),
    ndo_del_slave: Some(ndo_del_slave),
    ndo_get_stats64: Some(raw::dev_get_tstats64),
    ndo_set_mac_address: Some(raw::eth_mac_addr),
    ndo_set_rx_mode: Some(ndo_set_rx_mode),
    ndo_change_mtu: Some(ndo_change_mtu),
    ndo_vlan_rx_add_vid: Some(ndo_vlan_rx_add_vid),
    ndo_vlan_rx_kill_vid: Some(ndo_vlan_rx_kill_vid),
    ndo_change_rx_flags: Some(ndo_change_rx_flags),
    ndo_validate_addr: Some(raw::eth_validate_addr),
    // SAFETY: all-zero is the valid "no callback" value for every other
    // field (NULL function pointers).
    ..unsafe { core::mem::zeroed() }
});

/// IFLA_INFO_DATA of `ip link add|set ... type ipmp`: the settings; what
/// is only reported is refused.
static LINK_POLICY: OpsTable<[raw::nla_policy; IFLA_IPMP_MAX as usize + 1]> = OpsTable::new({
    let mut p = [policy(raw::NLA_UNSPEC, 0); IFLA_IPMP_MAX as usize + 1];
    p[IFLA_IPMP_GROUP_NAME as usize] = policy(raw::NLA_NUL_STRING, GROUP_NAME_MAX as u16);
    p[IFLA_IPMP_POLICY as usize] = policy(raw::NLA_U8, 0);
    p[IFLA_IPMP_ANNOUNCE_COUNT as usize] = policy(raw::NLA_U32, 0);
    p[IFLA_IPMP_ANNOUNCE_INTERVAL as usize] = policy(raw::NLA_U32, 0);
    p[IFLA_IPMP_STATE as usize] = policy(raw::NLA_REJECT, 0);
    p[IFLA_IPMP_MEMBERS as usize] = policy(raw::NLA_REJECT, 0);
    p[IFLA_IPMP_ACTIVE_MEMBERS as usize] = policy(raw::NLA_REJECT, 0);
    p
});

/// IFLA_INFO_SLAVE_DATA of `ip link set net0 type ipmp_slave ...`: the
/// standby flag; the rest is the kernel's or in.mpathd's.
static SLAVE_POLICY: OpsTable<[raw::nla_policy; IFLA_IPMP_SLAVE_MAX as usize + 1]> =
    OpsTable::new({
        let mut p = [policy(raw::NLA_REJECT, 0); IFLA_IPMP_SLAVE_MAX as usize + 1];
        p[0] = policy(raw::NLA_UNSPEC, 0);
        p[IFLA_IPMP_SLAVE_STANDBY as usize] = policy(raw::NLA_U8, 0);
        p
    });

static LINK_OPS: OpsTable<raw::rtnl_link_ops> = OpsTable::new(raw::rtnl_link_ops {
    kind: ipmpdev::KIND.as_ptr().cast(),
    priv_size: core::mem::size_of::<Group>(),
    setup: Some(setup),
    validate: Some(validate),
    maxtype: IFLA_IPMP_MAX as u32,
    policy: LINK_POLICY.as_ptr().cast_const().cast(),
    newlink: Some(newlink),
    changelink: Some(changelink),
    get_size: Some(get_size),
    fill_info: Some(fill_info),
    slave_maxtype: IFLA_IPMP_SLAVE_MAX as u32,
    slave_policy: SLAVE_POLICY.as_ptr().cast_const().cast(),
    slave_changelink: Some(slave_changelink),
    get_slave_size: Some(get_slave_size),
    fill_slave_info: Some(fill_slave_info),
    // SAFETY: all-zero is the valid default for every other field (NULL
    // callbacks, empty list head filled at registration).
    ..unsafe { core::mem::zeroed() }
});

/// The registered link kind; dropping it deletes every ipmp device.
pub(crate) struct Registration(());

impl Registration {
    /// Registers the `ipmp` link kind.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: the ops table is a static that lives as long as the
        // module and is unregistered in `drop`.
        to_result(unsafe { raw::rtnl_link_register(LINK_OPS.as_ptr()) })?;
        Ok(Self(()))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: registered in `new`. This deletes all devices of the kind
        // in every namespace (their `ndo_uninit` releases the members) and
        // waits until none of our callbacks can run any more.
        unsafe { raw::rtnl_link_unregister(LINK_OPS.as_ptr()) };
    }
}

/// `rtnl_link_ops::setup`: called by `alloc_netdev()` on zeroed memory.
///
/// # Safety
/// Only `alloc_netdev()` calls this, on a freshly allocated device.
unsafe extern "C" fn setup(dev: *mut raw::net_device) {
    // SAFETY: a freshly allocated, unregistered net_device that nothing
    // else uses yet.
    unsafe {
        raw::ether_setup(dev);
        (*dev).netdev_ops = NETDEV_OPS.as_ptr();
        (*dev).ethtool_ops = ethtool::ops();
        (*dev).needs_free_netdev = true;
        (*dev).flags |= raw::net_device_flags_IFF_MASTER;
        (*dev).max_mtu = 65535;
        raw::ipmp_netdev_setup_bits(dev);
        raw::ipmp_eth_hw_addr_random(dev);
        // The private area is `priv_size` bytes reserved for a `Group`
        // (suitably aligned by alloc_netdev: NETDEV_ALIGN).
        raw::ipmp_netdev_priv(dev)
            .cast::<Group>()
            .write(Group::new());
    }
}

/// `rtnl_link_ops::validate`: checks the attributes of `ip link add`
/// before anything is allocated.
///
/// # Safety
/// Only rtnetlink calls this, with its parsed attribute table and extack.
unsafe extern "C" fn validate(
    tb: *mut *mut raw::nlattr,
    data: *mut *mut raw::nlattr,
    extack: *mut raw::netlink_ext_ack,
) -> c_int {
    // SAFETY: rtnetlink passes its parsed attribute table (IFLA_MAX + 1
    // entries, absent ones NULL), IFLA_INFO_DATA parsed against
    // LINK_POLICY (IFLA_IPMP_MAX + 1 entries) or NULL, and the request's
    // extack or NULL.
    let (address, data, mut extack) = unsafe {
        (
            *tb.add(raw::IFLA_ADDRESS as usize),
            Attrs::from_raw(data, IFLA_IPMP_MAX),
            ExtAck::from_raw(extack),
        )
    };
    if let Err(e) = GroupSettings::parse(&data, &group_settings::LINK, &mut extack) {
        return e.to_errno();
    }
    if address.is_null() {
        return 0;
    }
    // SAFETY: a non-NULL entry is a validated attribute of the request.
    let (len, data) = unsafe {
        (
            raw::ipmp_nla_len(address),
            raw::ipmp_nla_data(address).cast::<u8>(),
        )
    };
    if usize::try_from(len) != Ok(ETH_ALEN) {
        extack.set(format_args!(
            "an IPMP interface needs a 6-byte Ethernet address"
        ));
        return EINVAL.to_errno();
    }
    let mut mac = [0u8; ETH_ALEN];
    // SAFETY: the attribute holds `len` == 6 bytes of payload.
    unsafe { core::ptr::copy_nonoverlapping(data, mac.as_mut_ptr(), ETH_ALEN) };
    if mac[0] & 1 != 0 || mac == [0; ETH_ALEN] {
        extack.set(format_args!(
            "an IPMP interface needs a unicast, non-zero MAC address"
        ));
        return -(raw::EADDRNOTAVAIL as c_int);
    }
    0
}

/// `rtnl_link_ops::newlink`: `ip link add NAME type ipmp [settings]`.
/// The settings go in before the device is registered, so that it never
/// exists without them and a refusal leaves nothing behind.
///
/// # Safety
/// Only rtnetlink calls this, under RTNL, with a device it allocated with
/// these ops (not yet registered) and `validate`d attributes.
unsafe extern "C" fn newlink(
    _src_net: *mut raw::net,
    dev: *mut raw::net_device,
    _tb: *mut *mut raw::nlattr,
    data: *mut *mut raw::nlattr,
    extack: *mut raw::netlink_ext_ack,
) -> c_int {
    // SAFETY: IFLA_INFO_DATA parsed against LINK_POLICY (IFLA_IPMP_MAX + 1
    // entries) or NULL; the request's extack or NULL; a device allocated
    // with our ops, so `setup` put a `Group` in its private area.
    let (data, mut extack, ipmp) = unsafe {
        (
            Attrs::from_raw(data, IFLA_IPMP_MAX),
            ExtAck::from_raw(extack),
            IpmpDev::from_raw(dev),
        )
    };
    {
        // SAFETY: rtnl_newlink() holds RTNL; the token is dropped before
        // registration, whose ndo_init takes its own.
        let Some(mut rtnl) = (unsafe { Rtnl::enter() }) else {
            return EBUSY.to_errno();
        };
        match GroupSettings::parse(&data, &group_settings::LINK, &mut extack) {
            Ok(settings) => settings.apply_unregistered(ipmp.group(), &mut rtnl),
            Err(e) => return e.to_errno(),
        }
    }
    // SAFETY: an allocated, unregistered device, under RTNL; on failure
    // rtnetlink frees it.
    unsafe { raw::register_netdevice(dev) }
}

/// `rtnl_link_ops::changelink`: `ip link set NAME type ipmp [settings]`.
///
/// # Safety
/// Only rtnetlink calls this, under RTNL, on a live ipmp device.
unsafe extern "C" fn changelink(
    dev: *mut raw::net_device,
    _tb: *mut *mut raw::nlattr,
    data: *mut *mut raw::nlattr,
    extack: *mut raw::netlink_ext_ack,
) -> c_int {
    // SAFETY: IFLA_INFO_DATA parsed against LINK_POLICY or NULL; the
    // request's extack or NULL.
    let (data, mut extack) = unsafe {
        (
            Attrs::from_raw(data, IFLA_IPMP_MAX),
            ExtAck::from_raw(extack),
        )
    };
    // SAFETY: our live device, under RTNL (rtnl_setlink/rtnl_newlink).
    unsafe {
        with_rtnl(dev, |ipmp, rtnl| {
            link_info::changelink(ipmp, &data, &mut extack, rtnl)
        })
    }
}

/// `rtnl_link_ops::get_size`: room for `fill_info`.
extern "C" fn get_size(_dev: *const raw::net_device) -> usize {
    link_info::INFO_SIZE
}

/// `rtnl_link_ops::fill_info`: IFLA_INFO_DATA of `ip -d link show`.
///
/// # Safety
/// Only rtnetlink calls this, while filling a message about our live
/// device (in any RTNL section, the module's own included).
unsafe extern "C" fn fill_info(skb: *mut raw::sk_buff, dev: *const raw::net_device) -> c_int {
    // SAFETY: the message skb rtnetlink is filling, ours until we return;
    // a live device with our ops.
    let (mut w, ipmp) = unsafe { (Writer::for_skb(skb), IpmpDev::from_raw(dev.cast_mut())) };
    let rcu = RcuGuard::new();
    match link_info::fill_info(&mut w, ipmp, &rcu) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `rtnl_link_ops::get_slave_size`: room for `fill_slave_info`.
extern "C" fn get_slave_size(
    _dev: *const raw::net_device,
    _slave: *const raw::net_device,
) -> usize {
    link_info::SLAVE_INFO_SIZE
}

/// `rtnl_link_ops::fill_slave_info`: IFLA_INFO_SLAVE_DATA of a member.
///
/// # Safety
/// Only rtnetlink calls this, while filling a message about a live device
/// whose master is our live device.
unsafe extern "C" fn fill_slave_info(
    skb: *mut raw::sk_buff,
    _dev: *const raw::net_device,
    slave: *const raw::net_device,
) -> c_int {
    // SAFETY: the message skb rtnetlink is filling, ours until we return;
    // a live device.
    let (mut w, slave) = unsafe { (Writer::for_skb(skb), NetDev::from_raw(slave.cast_mut())) };
    let rcu = RcuGuard::new();
    // A device of our group not (or no longer) attached: nothing to say.
    let Some(member) = rxhandler::member_of_rcu(slave, &rcu) else {
        return 0;
    };
    let table = member.group().group().table(&rcu);
    match link_info::fill_slave_info(&mut w, member, table) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `rtnl_link_ops::slave_changelink`: `ip link set net0 type ipmp_slave
/// standby on`.
///
/// # Safety
/// Only rtnetlink calls this, under RTNL, with our live device and a live
/// device whose master it is.
unsafe extern "C" fn slave_changelink(
    dev: *mut raw::net_device,
    slave: *mut raw::net_device,
    _tb: *mut *mut raw::nlattr,
    data: *mut *mut raw::nlattr,
    extack: *mut raw::netlink_ext_ack,
) -> c_int {
    // SAFETY: IFLA_INFO_SLAVE_DATA parsed against SLAVE_POLICY
    // (IFLA_IPMP_SLAVE_MAX + 1 entries) or NULL; the request's extack or
    // NULL; a live device (RTNL held).
    let (data, mut extack, slave) = unsafe {
        (
            Attrs::from_raw(data, IFLA_IPMP_SLAVE_MAX),
            ExtAck::from_raw(extack),
            NetDev::from_raw(slave),
        )
    };
    // SAFETY: our live device, under RTNL (rtnl_setlink/rtnl_newlink).
    unsafe {
        with_rtnl(dev, |_ipmp, rtnl| {
            link_info::slave_changelink(slave, &data, &mut extack, rtnl)
        })
    }
}

/// Runs `f` with the ipmp device and an RTNL token, turning its result
/// into an errno.
///
/// # Safety
/// `dev` is a live ipmp device and the caller holds RTNL.
unsafe fn with_rtnl(
    dev: *mut raw::net_device,
    f: impl FnOnce(&IpmpDev, &mut Rtnl<'_>) -> Result,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    let (ipmp, rtnl) = unsafe { (IpmpDev::from_raw(dev), Rtnl::enter()) };
    // None: called back from the module's own RTNL section (none of these
    // callbacks is, in practice); refused rather than run without evidence.
    let Some(mut rtnl) = rtnl else {
        return EBUSY.to_errno();
    };
    match f(ipmp, &mut rtnl) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Kernel callback.
///
/// # Safety
/// Only `register_netdevice()` calls this, under RTNL, on an ipmp device.
unsafe extern "C" fn ndo_init(dev: *mut raw::net_device) -> c_int {
    // SAFETY: register_netdevice() calls ndo_init under RTNL on our
    // device; this is `ipmp`'s ndo_init, and its ndo_uninit (below)
    // disables the works `GroupWork::init` prepares.
    unsafe {
        with_rtnl(dev, |ipmp, rtnl| {
            ipmp.group().init(rtnl)?;
            ipmp.group().work.init::<work::Jobs>(ipmp.netdev());
            ipmp.netdev().set_carrier(false);
            Ok(())
        })
    }
}

/// Kernel callback.
///
/// # Safety
/// Only `unregister_netdevice()` calls this, under RTNL, on an ipmp device.
unsafe extern "C" fn ndo_uninit(dev: *mut raw::net_device) {
    // SAFETY: unregister_netdevice() calls ndo_uninit under RTNL.
    unsafe {
        with_rtnl(dev, |ipmp, rtnl| {
            ipmp.group().work.disable();
            membership::remove_all_members(ipmp, rtnl);
            ipmp.group().destroy(rtnl);
            Ok(())
        })
    };
}

/// Kernel callback.
///
/// # Safety
/// Only rtnetlink calls this, under RTNL, with two live devices.
unsafe extern "C" fn ndo_add_slave(
    dev: *mut raw::net_device,
    slave: *mut raw::net_device,
    extack: *mut raw::netlink_ext_ack,
) -> c_int {
    // SAFETY: rtnetlink's do_set_master() calls this under RTNL with two
    // live devices and the request's extack (or NULL).
    unsafe {
        with_rtnl(dev, |ipmp, rtnl| {
            let mut extack = ExtAck::from_raw(extack);
            membership::add_member(ipmp, NetDev::from_raw(slave), &mut extack, rtnl)
        })
    }
}

/// Kernel callback.
///
/// # Safety
/// Only rtnetlink calls this, under RTNL, with two live devices.
unsafe extern "C" fn ndo_del_slave(
    dev: *mut raw::net_device,
    slave: *mut raw::net_device,
) -> c_int {
    // SAFETY: called under RTNL with two live devices.
    unsafe {
        with_rtnl(dev, |ipmp, rtnl| {
            membership::remove_member(ipmp, NetDev::from_raw(slave), rtnl)
        })
    }
}

/// Kernel callback.
///
/// # Safety
/// Only the core transmit path calls this, with an skb it hands over.
unsafe extern "C" fn ndo_start_xmit(
    skb: *mut raw::sk_buff,
    dev: *mut raw::net_device,
) -> raw::netdev_tx_t {
    // SAFETY: the core hands us a valid skb (now ours) for our live device.
    if let Some(skb) = unsafe { SkBuff::from_raw(skb) } {
        // SAFETY: `__dev_queue_xmit()` calls this under
        // `rcu_read_lock_bh()`, held until we return.
        let rcu = unsafe { RcuGuard::in_section() };
        // SAFETY: see above.
        xmit::transmit(unsafe { IpmpDev::from_raw(dev) }, skb, &rcu);
    }
    raw::netdev_tx_NETDEV_TX_OK
}

/// Kernel callback.
///
/// # Safety
/// Only `__dev_set_rx_mode()` calls this, on a live ipmp device, with the
/// device's address-list lock held.
unsafe extern "C" fn ndo_set_rx_mode(dev: *mut raw::net_device) {
    // SAFETY: our live device, its address-list lock held by the core for
    // the whole call (dev_set_rx_mode(), dev_uc_add() and the like take it
    // around __dev_set_rx_mode()).
    let (ipmp, locked) = unsafe {
        (
            IpmpDev::from_raw(dev),
            AddrListsLocked::assume_held(NetDev::from_raw(dev)),
        )
    };
    rxfilter::set_rx_mode(ipmp, &locked);
}

/// Kernel callback.
///
/// # Safety
/// Only `dev_change_rx_flags()` calls this, under RTNL, on a live ipmp
/// device whose flags already have their new value.
unsafe extern "C" fn ndo_change_rx_flags(dev: *mut raw::net_device, _change: c_int) {
    // SAFETY: __dev_set_promiscuity() and __dev_set_allmulti() assert RTNL
    // before calling this on our live device.
    unsafe {
        with_rtnl(dev, |ipmp, rtnl| {
            rxfilter::change_rx_flags(ipmp, rtnl);
            Ok(())
        })
    };
}

/// Kernel callback.
///
/// # Safety
/// Only `__dev_set_mtu()` calls this, under RTNL, on a live ipmp device,
/// with an MTU within the device's min/max.
unsafe extern "C" fn ndo_change_mtu(dev: *mut raw::net_device, new_mtu: c_int) -> c_int {
    let Ok(mtu) = u32::try_from(new_mtu) else {
        return EINVAL.to_errno();
    };
    // SAFETY: our live device; dev_set_mtu() runs under RTNL (asserted by
    // its callers).
    let (ipmp, rtnl) = unsafe { (IpmpDev::from_raw(dev), Rtnl::enter()) };
    match rtnl {
        // An administrator's request (`ip link set itops0 mtu N`).
        Some(rtnl) => membership::change_mtu(ipmp, mtu, &rtnl),
        // The group following its members: `refresh_link_state`, up this
        // stack, holds the section's token.
        None => ipmp.netdev().write_mtu(mtu),
    }
    0
}

/// Kernel callback.
///
/// # Safety
/// Only `vlan_vid_add()` calls this, under RTNL, on a live ipmp device.
unsafe extern "C" fn ndo_vlan_rx_add_vid(dev: *mut raw::net_device, proto: u16, vid: u16) -> c_int {
    // SAFETY: vlan_vid_add() asserts RTNL; our live device.
    unsafe { with_rtnl(dev, |ipmp, rtnl| rxfilter::add_vid(ipmp, proto, vid, rtnl)) }
}

/// Kernel callback.
///
/// # Safety
/// Only `vlan_vid_del()` calls this, under RTNL, on a live ipmp device.
unsafe extern "C" fn ndo_vlan_rx_kill_vid(
    dev: *mut raw::net_device,
    proto: u16,
    vid: u16,
) -> c_int {
    // SAFETY: vlan_vid_del() asserts RTNL; our live device.
    unsafe {
        with_rtnl(dev, |ipmp, rtnl| {
            rxfilter::kill_vid(ipmp, proto, vid, rtnl);
            Ok(())
        })
    }
}
