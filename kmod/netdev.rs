// SPDX-License-Identifier: GPL-2.0
//! Safe views of `struct net_device` and `struct netlink_ext_ack`.
//!
//! The logic files (`group`, `xmit`, `notifier`) work with `&NetDev` and
//! never with raw pointers. What a method needs (RTNL, a live device) is
//! in its signature or in the type's invariants.

use crate::binding::{Addr, MAX_ADDRS};
use crate::bindings::raw;
use crate::rcu::RcuGuard;
use crate::rtnl::Rtnl;
use core::{
    ffi::c_void,
    fmt,
    marker::PhantomData,
    ptr::{addr_of, NonNull},
};
use kernel::{error::to_result, prelude::*, str::CStr, types::Opaque};

/// Length of an Ethernet hardware address.
pub(crate) const ETH_ALEN: usize = 6;

/// A registered (or registering) network device.
///
/// # Invariants
/// The wrapped `net_device` stays allocated for as long as a `&NetDev` to
/// it exists: callers obtain one from a kernel callback that guarantees
/// this, or from a member entry whose device is released (under RTNL,
/// followed by a grace period) before the kernel frees it.
#[repr(transparent)]
pub(crate) struct NetDev(Opaque<raw::net_device>);

/// Signature of an rx_handler.
pub(crate) type RxHandler =
    unsafe extern "C" fn(*mut *mut raw::sk_buff) -> raw::rx_handler_result_t;

impl NetDev {
    /// # Safety
    /// `ptr` points to a `net_device` that stays allocated for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut raw::net_device) -> &'a NetDev {
        // CAST: `NetDev` is a transparent wrapper of the C struct.
        // SAFETY: non-null and live for 'a by the caller's guarantee.
        // INVARIANT: ditto.
        unsafe { &*ptr.cast::<NetDev>() }
    }

    /// The raw pointer, for the wrapper layer.
    pub(crate) fn as_raw(&self) -> *mut raw::net_device {
        self.0.get()
    }

    /// The interface name, copied (a rename may change it concurrently;
    /// the copy is for messages).
    pub(crate) fn name(&self) -> DevName {
        let mut out = DevName([0; 16]);
        // SAFETY: the device is live (type invariant); `name` is a
        // fixed-size array inside it, read bytewise like `%s` would.
        let name = unsafe { addr_of!((*self.as_raw()).name) }.cast::<u8>();
        for (i, b) in out.0.iter_mut().enumerate().take(15) {
            // SAFETY: `i < 15 < IFNAMSIZ`, within the array.
            *b = unsafe { name.add(i).read_volatile() };
            if *b == 0 {
                break;
            }
        }
        out
    }

    /// The interface index.
    pub(crate) fn ifindex(&self) -> i32 {
        // SAFETY: live device; ifindex is set once at registration.
        unsafe { (*self.as_raw()).ifindex }
    }

    /// The network namespace the device is in.
    pub(crate) fn net(&self) -> *mut raw::net {
        // SAFETY: live device.
        unsafe { raw::ipmp_dev_net(self.as_raw()) }
    }

    /// Current MTU.
    pub(crate) fn mtu(&self) -> u32 {
        // SAFETY: live device; `READ_ONCE(dev->mtu)` equivalent.
        unsafe { addr_of!((*self.as_raw()).mtu).read_volatile() }
    }

    /// `IFF_*` interface flags.
    pub(crate) fn flags(&self) -> u32 {
        // SAFETY: live device; a racy read of flags, as the kernel does.
        unsafe { addr_of!((*self.as_raw()).flags).read_volatile() }
    }

    /// `ARPHRD_*` link type.
    pub(crate) fn link_type(&self) -> u16 {
        // SAFETY: live device; `type` changes only under RTNL with
        // NETDEV_PRE_TYPE_CHANGE, which a group refuses for its members.
        unsafe { (*self.as_raw()).type_ }
    }

    /// Hardware address length.
    pub(crate) fn addr_len(&self) -> u8 {
        // SAFETY: live device.
        unsafe { (*self.as_raw()).addr_len }
    }

    /// The `rtnl_link_ops` kind (`bridge`, `macvlan`, `vlan`...), empty
    /// for a device without one (a physical NIC).
    pub(crate) fn kind(&self) -> &[u8] {
        // SAFETY: live device; `rtnl_link_ops` is set before registration
        // and never changes afterwards; when set, it is a static table of
        // a loaded module (which cannot unload while it has devices),
        // whose `kind` is a NUL-terminated static string.
        unsafe {
            let ops = (*self.as_raw()).rtnl_link_ops;
            if ops.is_null() || (*ops).kind.is_null() {
                return &[];
            }
            CStr::from_char_ptr((*ops).kind).as_bytes()
        }
    }

    /// The link speed in Mb/s and whether it is full duplex, as the
    /// driver reports them to ethtool; `None` if unknown.
    pub(crate) fn link_speed(&self, _rtnl: &Rtnl<'_>) -> Option<LinkSpeed> {
        // SAFETY: all-zero is a valid `ethtool_link_ksettings` (plain C
        // data: integers and bitmaps).
        let mut ks: raw::ethtool_link_ksettings = unsafe { core::mem::zeroed() };
        // SAFETY: live device, RTNL held as the function asserts; `ks` is
        // ours for the call.
        if unsafe { raw::__ethtool_get_link_ksettings(self.as_raw(), &mut ks) } != 0 {
            return None;
        }
        let speed = ks.base.speed;
        (speed != 0 && speed != raw::SPEED_UNKNOWN as u32).then_some(LinkSpeed {
            speed_mbps: speed,
            full_duplex: u32::from(ks.base.duplex) == raw::DUPLEX_FULL,
        })
    }

    /// Whether this is an Ethernet device (type and address length).
    pub(crate) fn is_ethernet(&self) -> bool {
        self.link_type() == raw::ARPHRD_ETHER as u16 && usize::from(self.addr_len()) == ETH_ALEN
    }

    /// Whether this is a loopback device.
    pub(crate) fn is_loopback(&self) -> bool {
        self.flags() & raw::net_device_flags_IFF_LOOPBACK != 0
    }

    /// The Ethernet hardware address.
    pub(crate) fn hw_addr(&self) -> [u8; ETH_ALEN] {
        let mut out = [0u8; ETH_ALEN];
        // SAFETY: live device; `dev_addr` points to at least `addr_len`
        // bytes, and callers only ask Ethernet devices (addr_len 6).
        let src = unsafe { (*self.as_raw()).dev_addr };
        if !src.is_null() && usize::from(self.addr_len()) >= ETH_ALEN {
            // SAFETY: 6 readable bytes as checked above; `out` is distinct.
            unsafe { core::ptr::copy_nonoverlapping(src, out.as_mut_ptr(), ETH_ALEN) };
        }
        out
    }

    /// Administratively up (`netif_running()`).
    pub(crate) fn is_running(&self) -> bool {
        // SAFETY: live device; a test_bit on its state.
        unsafe { raw::ipmp_netif_running(self.as_raw()) }
    }

    /// Has carrier (`netif_carrier_ok()`).
    pub(crate) fn has_carrier(&self) -> bool {
        // SAFETY: live device; a test_bit on its state.
        unsafe { raw::ipmp_netif_carrier_ok(self.as_raw()) }
    }

    /// Up and with carrier: able to carry traffic.
    pub(crate) fn is_usable(&self) -> bool {
        self.is_running() && self.has_carrier()
    }

    /// Turns carrier on or off (emits the usual link events on change).
    pub(crate) fn set_carrier(&self, on: bool) {
        // SAFETY: live device; both functions may be called in any context
        // and are no-ops when the state does not change.
        unsafe {
            if on {
                raw::netif_carrier_on(self.as_raw())
            } else {
                raw::netif_carrier_off(self.as_raw())
            }
        }
    }

    /// Sets the MTU ceiling the core enforces for `ip link set mtu`.
    pub(crate) fn set_max_mtu(&self, max: u32, _rtnl: &Rtnl<'_>) {
        // SAFETY: live device; `max_mtu` is read by dev_set_mtu() under
        // RTNL, which we hold.
        unsafe { (*self.as_raw()).max_mtu = max };
    }

    /// Stores the MTU (`WRITE_ONCE(dev->mtu, mtu)`): what `ndo_change_mtu`
    /// must do, called by `dev_set_mtu()` under RTNL.
    pub(crate) fn write_mtu(&self, mtu: u32) {
        // SAFETY: live device; an aligned u32 written once, as lockless
        // readers read it once (READ_ONCE).
        unsafe { core::ptr::addr_of_mut!((*self.as_raw()).mtu).write_volatile(mtu) };
    }

    /// `dev_set_mtu()`: validates against min/max and notifies.
    pub(crate) fn set_mtu(&self, mtu: u32, _rtnl: &Rtnl<'_>) -> Result {
        let mtu = i32::try_from(mtu).map_err(|_| EINVAL)?;
        // SAFETY: live device, RTNL held as dev_set_mtu() requires.
        to_result(unsafe { raw::dev_set_mtu(self.as_raw(), mtu) })
    }

    /// The largest TSO super-frame the device takes, and the most
    /// segments in one (`tso_max_size`, `tso_max_segs`).
    pub(crate) fn tso_limits(&self) -> (u32, u16) {
        // SAFETY: live device; plain reads of values set by its driver
        // (under RTNL, which the writers hold).
        unsafe { ((*self.as_raw()).tso_max_size, (*self.as_raw()).tso_max_segs) }
    }

    /// Sets the TSO limits (lowering `gso_max_size` to match if needed).
    pub(crate) fn set_tso_limits(&self, size: u32, segs: u16, _rtnl: &Rtnl<'_>) {
        // SAFETY: live device, RTNL held as the functions require.
        unsafe {
            raw::netif_set_tso_max_size(self.as_raw(), size);
            raw::netif_set_tso_max_segs(self.as_raw(), u32::from(segs));
        }
    }

    /// Extra head and tail room the device's driver asks senders to leave
    /// (`needed_headroom`, `needed_tailroom`).
    pub(crate) fn needed_room(&self) -> (u16, u16) {
        // SAFETY: live device; plain reads of values its driver sets.
        unsafe {
            (
                (*self.as_raw()).needed_headroom,
                (*self.as_raw()).needed_tailroom,
            )
        }
    }

    /// Sets the extra room senders leave (the stack reads it without
    /// locks, as `LL_RESERVED_SPACE()` does; writers hold RTNL).
    pub(crate) fn set_needed_room(&self, head: u16, tail: u16, _rtnl: &Rtnl<'_>) {
        // SAFETY: live device; single aligned stores that lockless
        // readers may see before or after, both valid sizes.
        unsafe {
            core::ptr::addr_of_mut!((*self.as_raw()).needed_headroom).write_volatile(head);
            core::ptr::addr_of_mut!((*self.as_raw()).needed_tailroom).write_volatile(tail);
        }
    }

    /// The master (upper) device this one is enslaved to, if any.
    pub(crate) fn master<'s>(&self, _rtnl: &Rtnl<'s>) -> Option<&'s NetDev> {
        // SAFETY: live device, RTNL held as the function requires.
        let m = unsafe { raw::netdev_master_upper_dev_get(self.as_raw()) };
        // SAFETY: a registered device is not freed before RTNL is released,
        // which is after the section 's.
        (!m.is_null()).then(|| unsafe { NetDev::from_raw(m) })
    }

    /// Whether some rx_handler (bridge, bond, team, macvlan, ipmp…) is
    /// already registered on this device.
    pub(crate) fn rx_handler_busy(&self, _rtnl: &Rtnl<'_>) -> bool {
        // SAFETY: live device, RTNL held as the function requires.
        unsafe { raw::netdev_is_rx_handler_busy(self.as_raw()) }
    }

    /// Registers `handler` with `data` as this device's rx_handler.
    pub(crate) fn register_rx_handler(
        &self,
        handler: RxHandler,
        data: *mut c_void,
        _rtnl: &Rtnl<'_>,
    ) -> Result {
        // SAFETY: live device, RTNL held; `handler` is a valid function for
        // the module's lifetime and the caller keeps `data` alive until
        // `unregister_rx_handler()` returns.
        to_result(unsafe { raw::netdev_rx_handler_register(self.as_raw(), Some(handler), data) })
    }

    /// Unregisters the rx_handler; on return (it calls `synchronize_net()`)
    /// no CPU runs the handler with the old data any more.
    pub(crate) fn unregister_rx_handler(&self, _rtnl: &Rtnl<'_>) {
        // SAFETY: live device, RTNL held.
        unsafe { raw::netdev_rx_handler_unregister(self.as_raw()) }
    }

    /// The rx_handler data if `handler` is this device's rx_handler.
    pub(crate) fn rx_handler_data(
        &self,
        handler: RxHandler,
        _rtnl: &Rtnl<'_>,
    ) -> Option<*mut c_void> {
        let dev = self.as_raw();
        // SAFETY: live device; both fields are `__rcu` pointers that only
        // change under RTNL, which we hold, so `rtnl_dereference()` applies.
        // CAST: a function pointer slot read as a data pointer of the same size.
        let (h, data) = unsafe {
            (
                raw::ipmp_rtnl_dereference(addr_of!((*dev).rx_handler).cast()),
                raw::ipmp_rtnl_dereference(addr_of!((*dev).rx_handler_data).cast()),
            )
        };
        (h == handler as *mut c_void).then_some(data)
    }

    /// The rx_handler data if `handler` is this device's rx_handler, read
    /// inside an RCU read-side section (the data stays valid until it
    /// ends).
    pub(crate) fn rx_handler_data_rcu(
        &self,
        handler: RxHandler,
        _rcu: &RcuGuard,
    ) -> Option<*mut c_void> {
        let dev = self.as_raw();
        // SAFETY: live device; both fields are `__rcu` pointers, read with
        // `rcu_dereference()` inside the guard's section.
        // CAST: a function pointer slot read as a data pointer of the same size.
        let (h, data) = unsafe {
            (
                raw::ipmp_rcu_dereference(addr_of!((*dev).rx_handler).cast()),
                raw::ipmp_rcu_dereference(addr_of!((*dev).rx_handler_data).cast()),
            )
        };
        (h == handler as *mut c_void).then_some(data)
    }

    /// Makes `master` this device's master upper device.
    pub(crate) fn link_master(
        &self,
        master: &NetDev,
        extack: &mut ExtAck,
        _rtnl: &Rtnl<'_>,
    ) -> Result {
        // SAFETY: both devices live, RTNL held; extack may be null.
        to_result(unsafe {
            raw::netdev_master_upper_dev_link(
                self.as_raw(),
                master.as_raw(),
                core::ptr::null_mut(),
                core::ptr::null_mut(),
                extack.as_raw(),
            )
        })
    }

    /// Undoes `link_master()`.
    pub(crate) fn unlink_master(&self, master: &NetDev, _rtnl: &Rtnl<'_>) {
        // SAFETY: both devices live, linked, RTNL held.
        unsafe { raw::netdev_upper_dev_unlink(self.as_raw(), master.as_raw()) }
    }

    /// Whether `addr` is one of this device's IPv4 addresses (under RCU,
    /// which every receive path holds).
    pub(crate) fn has_ipv4_addr(&self, addr: [u8; 4]) -> bool {
        // SAFETY: live device; the helper walks its in_device under RCU
        // (held by the caller's context); the address is in network order.
        unsafe { raw::ipmp_dev_has_addr4(self.as_raw(), u32::from_ne_bytes(addr)) }
    }

    /// Whether `addr` is an IPv4 address of a VLAN device stacked directly
    /// on this one.
    pub(crate) fn vlan_has_ipv4_addr(&self, addr: [u8; 4], _rcu: &RcuGuard) -> bool {
        let dev = self.as_raw();
        // SAFETY: live device; the list head lives in it.
        let mut iter = unsafe { raw::ipmp_upper_list(dev) };
        loop {
            // SAFETY: live device, under RCU (the guard) as the function
            // requires; `iter` is its list head or the position it returned.
            let upper = unsafe { raw::netdev_upper_get_next_dev_rcu(dev, &mut iter) };
            if upper.is_null() {
                return false;
            }
            // SAFETY: an upper device found under RCU is not freed before
            // the read-side section ends, which outlives this borrow.
            let upper = unsafe { NetDev::from_raw(upper) };
            if upper.kind() == b"vlan" && upper.has_ipv4_addr(addr) {
                return true;
            }
        }
    }

    /// Whether `addr` is one of this device's IPv6 addresses, of any
    /// scope, tentative ones included.
    pub(crate) fn has_ipv6_addr(&self, addr: &[u8; 16]) -> bool {
        // CAST: `in6_addr` is 16 bytes in network order, like `addr`.
        let a = core::ptr::from_ref(addr).cast::<raw::in6_addr>();
        // SAFETY: live device, valid 16-byte address for the call.
        unsafe { raw::ipmp_dev_has_addr6(self.as_raw(), a) }
    }

    /// The device's IPv4 and IPv6 addresses, into `out`; how many (at
    /// most `out.len()`).
    pub(crate) fn ip_addresses(&self, out: &mut [Addr], _rtnl: &Rtnl<'_>) -> usize {
        let mut raw_addrs = [raw::ipmp_addr::default(); MAX_ADDRS];
        let max = out.len().min(MAX_ADDRS);
        // SAFETY: live device, RTNL held as the helper requires; the buffer
        // holds `max` entries.
        let n = unsafe { raw::ipmp_dev_addrs(self.as_raw(), raw_addrs.as_mut_ptr(), max as i32) };
        let n = usize::try_from(n).unwrap_or(0).min(max);
        for (slot, a) in out.iter_mut().zip(raw_addrs.iter().take(n)) {
            *slot = match u32::from(a.family) {
                raw::AF_INET => Addr::V4([a.addr[0], a.addr[1], a.addr[2], a.addr[3]]),
                _ => Addr::V6(a.addr),
            };
        }
        n
    }

    /// Sends gratuitous ARP for every IPv4 address and unsolicited
    /// neighbour advertisements for every IPv6 address of the device (and
    /// of VLANs on it): `__netdev_notify_peers()`.
    pub(crate) fn notify_peers(&self, _rtnl: &Rtnl<'_>) {
        // SAFETY: live device, RTNL held as the function requires.
        unsafe { raw::__netdev_notify_peers(self.as_raw()) };
    }

    /// Announces a change of this lower device's state under its master
    /// (NETDEV_CHANGELOWERSTATE): rtnetlink sends an RTM_NEWLINK with its
    /// IFLA_INFO_SLAVE_DATA (`ip monitor link`), and LAG-aware listeners
    /// learn whether it is up and transmitting.
    pub(crate) fn notify_lower_state(&self, link_up: bool, tx_enabled: bool, _rtnl: &Rtnl<'_>) {
        // SAFETY: live device, RTNL held as netdev_lower_state_changed()
        // requires.
        unsafe { raw::ipmp_member_state_changed(self.as_raw(), link_up, tx_enabled) };
    }

    /// Announces a change of the device's IFLA_INFO_DATA
    /// (NETDEV_CHANGEINFODATA): rtnetlink sends an RTM_NEWLINK.
    pub(crate) fn notify_info_data(&self, _rtnl: &Rtnl<'_>) {
        // SAFETY: live device, RTNL held as the notifier chain requires.
        unsafe { raw::ipmp_info_data_changed(self.as_raw()) };
    }

    /// The device's received and transmitted packet counters
    /// (`dev_get_stats()`).
    pub(crate) fn packet_counts(&self) -> (u64, u64) {
        let mut stats = raw::rtnl_link_stats64::default();
        // SAFETY: live device; `stats` is a valid buffer the call fills.
        unsafe { raw::dev_get_stats(self.as_raw(), &mut stats) };
        (stats.rx_packets, stats.tx_packets)
    }

    /// Changes the device's promiscuity count by `inc` (+1 or -1;
    /// `dev_set_promiscuity()`): the device is promiscuous while the count
    /// is above zero.
    pub(crate) fn change_promiscuity(&self, inc: i32, _rtnl: &Rtnl<'_>) -> Result {
        // SAFETY: live device, RTNL held as the function requires.
        to_result(unsafe { raw::dev_set_promiscuity(self.as_raw(), inc) })
    }

    /// Changes the device's all-multicast count by `inc`
    /// (`dev_set_allmulti()`).
    pub(crate) fn change_allmulti(&self, inc: i32, _rtnl: &Rtnl<'_>) -> Result {
        // SAFETY: live device, RTNL held as the function requires.
        to_result(unsafe { raw::dev_set_allmulti(self.as_raw(), inc) })
    }

    /// Runs `f` with this device's address-list lock held
    /// (`netif_addr_lock_bh()`; bottom halves off meanwhile, so `f` must
    /// not sleep).
    pub(crate) fn with_addr_lists_locked<R>(&self, f: impl FnOnce(&AddrListsLocked<'_>) -> R) -> R {
        // SAFETY: live device; the lock is released below, after `f`,
        // which only borrows the evidence.
        unsafe { raw::ipmp_netif_addr_lock_bh(self.as_raw()) };
        // SAFETY: the lock was just taken and is held until the unlock.
        let result = f(&unsafe { AddrListsLocked::assume_held(self) });
        // SAFETY: paired with the lock above.
        unsafe { raw::ipmp_netif_addr_unlock_bh(self.as_raw()) };
        result
    }

    /// Adds the unicast and multicast addresses of the locked upper
    /// device to this device's lists (each counted once per upper device,
    /// `dev_uc_sync_multiple()`/`dev_mc_sync_multiple()`), and removes
    /// those the upper device dropped since the last sync. The driver
    /// programs its receive filter from the result.
    pub(crate) fn sync_addr_lists_from(&self, upper: &AddrListsLocked<'_>) -> Result {
        // SAFETY: both devices live; the upper device's address lock is
        // held (the evidence), as both functions require of `from`; they
        // take this device's lock themselves, nested per device level.
        to_result(unsafe { raw::dev_uc_sync_multiple(self.as_raw(), upper.dev.as_raw()) })?;
        // SAFETY: as above.
        to_result(unsafe { raw::dev_mc_sync_multiple(self.as_raw(), upper.dev.as_raw()) })
    }

    /// Adds VLAN `vid` of ethertype `proto` (network order) to this
    /// device's VLAN filter (`vlan_vid_add()`; counted per user).
    pub(crate) fn vlan_vid_add(&self, proto: u16, vid: u16, _rtnl: &Rtnl<'_>) -> Result {
        // SAFETY: live device, RTNL held as the function requires.
        to_result(unsafe { raw::ipmp_vlan_vid_add(self.as_raw(), proto, vid) })
    }

    /// Drops one use of VLAN `vid` from this device's filter.
    pub(crate) fn vlan_vid_del(&self, proto: u16, vid: u16, _rtnl: &Rtnl<'_>) {
        // SAFETY: live device, RTNL held as the function requires.
        unsafe { raw::ipmp_vlan_vid_del(self.as_raw(), proto, vid) }
    }

    /// Adds every VLAN id of `upper`'s filter to this device's.
    pub(crate) fn vlan_vids_add_from(&self, upper: &NetDev, _rtnl: &Rtnl<'_>) -> Result {
        // SAFETY: both devices live, RTNL held as the function requires.
        to_result(unsafe { raw::ipmp_vlan_vids_add_by_dev(self.as_raw(), upper.as_raw()) })
    }

    /// Drops from this device's filter one use of each of `upper`'s VLAN
    /// ids.
    pub(crate) fn vlan_vids_del_from(&self, upper: &NetDev, _rtnl: &Rtnl<'_>) {
        // SAFETY: both devices live, RTNL held as the function requires.
        unsafe { raw::ipmp_vlan_vids_del_by_dev(self.as_raw(), upper.as_raw()) }
    }

    /// Removes from this device's lists every address synced from
    /// `upper` (`dev_uc_unsync()`/`dev_mc_unsync()`). Takes both locks.
    pub(crate) fn unsync_addr_lists_from(&self, upper: &NetDev) {
        // SAFETY: both devices live; the functions take the upper
        // device's address lock (with BHs off) and then this one's.
        unsafe {
            raw::dev_uc_unsync(self.as_raw(), upper.as_raw());
            raw::dev_mc_unsync(self.as_raw(), upper.as_raw());
        }
    }

    /// Counts one transmitted packet of `len` bytes (per-CPU tstats).
    pub(crate) fn count_tx(&self, len: u32) {
        // SAFETY: live device whose `pcpu_stat_type` is TSTATS, so the core
        // allocated `tstats`; the helper is per-CPU and IRQ-safe.
        unsafe { raw::ipmp_tx_ok(self.as_raw(), len) }
    }

    /// Counts one dropped transmit (core stats, shown by `ip -s link`).
    pub(crate) fn count_tx_dropped(&self) {
        // SAFETY: live device; the helper allocates core stats lazily and
        // is safe in any context.
        unsafe { raw::ipmp_tx_dropped(self.as_raw()) }
    }
}

impl PartialEq for NetDev {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self, other)
    }
}

/// Evidence that a device's address-list lock (`addr_list_lock`) is held.
///
/// # Invariants
/// `dev`'s address-list lock is held, by this thread, for as long as the
/// value lives.
pub(crate) struct AddrListsLocked<'a> {
    dev: &'a NetDev,
    /// Not `Send`: the lock is held by this thread.
    _not_send: PhantomData<*mut ()>,
}

impl<'a> AddrListsLocked<'a> {
    /// # Safety
    /// The caller holds `dev`'s address-list lock for the lifetime of the
    /// returned value (as the core does around `ndo_set_rx_mode`).
    pub(crate) unsafe fn assume_held(dev: &'a NetDev) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self {
            dev,
            _not_send: PhantomData,
        }
    }
}

/// A link's speed and duplex.
#[derive(Clone, Copy)]
pub(crate) struct LinkSpeed {
    /// Megabits per second.
    pub(crate) speed_mbps: u32,
    /// Full (not half) duplex.
    pub(crate) full_duplex: bool,
}

/// A counted reference to a device, kept by member entries (see
/// `table::Member`): the device cannot be freed while the value lives, so
/// [`DevRef::get`] is valid for as long as the value is, whatever happens
/// to the device meanwhile (unregistered, moved to another namespace).
///
/// # Invariants
/// Points to a device on which the value holds one reference
/// (`dev_hold`), released when the value is dropped.
pub(crate) struct DevRef(NonNull<raw::net_device>);

// SAFETY: a counted reference to a net device, which any thread may use
// and release; its validity does not depend on the thread.
unsafe impl Send for DevRef {}
// SAFETY: as above; the value is never written after creation.
unsafe impl Sync for DevRef {}

impl DevRef {
    /// A new reference to `dev`.
    pub(crate) fn new(dev: &NetDev) -> Self {
        // SAFETY: `dev` is live for the borrow; the reference taken keeps
        // it allocated afterwards.
        unsafe { raw::ipmp_dev_hold(dev.as_raw()) };
        // INVARIANT: we hold the reference just taken.
        Self(NonNull::from(dev).cast())
    }

    /// The device.
    pub(crate) fn get(&self) -> &NetDev {
        // SAFETY: allocated while we hold our reference (invariant).
        unsafe { NetDev::from_raw(self.0.as_ptr()) }
    }
}

impl Drop for DevRef {
    fn drop(&mut self) {
        // SAFETY: the reference taken in `new` (invariant), given back once.
        unsafe { raw::ipmp_dev_put(self.0.as_ptr()) };
    }
}

/// A copied interface name, printable with `{}`.
pub(crate) struct DevName([u8; 16]);

impl DevName {
    /// The name's bytes, without the NUL.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(self.0.len());
        self.0.get(..len).unwrap_or(&[])
    }
}

impl fmt::Display for DevName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(self.0.len());
        for &b in &self.0[..len] {
            f.write_char(if b.is_ascii_graphic() {
                char::from(b)
            } else {
                '?'
            })?;
        }
        Ok(())
    }
}

use core::fmt::Write as _;

/// Whether a networking message may be printed now: the kernel's shared
/// `net_ratelimit()` (a burst of 10 every 5 s, then "N callbacks
/// suppressed"), so that a churn of members cannot flood the kernel log.
pub(crate) fn net_ratelimit() -> bool {
    // SAFETY: `net_ratelimit` takes no arguments and only updates the
    // kernel's own rate-limit state, under its own lock; it may be called
    // from any context.
    unsafe { raw::net_ratelimit() != 0 }
}

/// The extended-ACK of a netlink request, for error messages that
/// `ip` prints after "Error:". May be absent (null) for in-kernel callers.
pub(crate) struct ExtAck(*mut raw::netlink_ext_ack);

impl ExtAck {
    /// # Safety
    /// `ptr` is null or a valid `netlink_ext_ack` for as long as the value
    /// lives, not used by anyone else meanwhile.
    pub(crate) unsafe fn from_raw(ptr: *mut raw::netlink_ext_ack) -> Self {
        Self(ptr)
    }

    fn as_raw(&mut self) -> *mut raw::netlink_ext_ack {
        self.0
    }

    /// Sets a static message (`NL_SET_ERR_MSG()`), of any length.
    pub(crate) fn set_static(&mut self, msg: &'static CStr) {
        // SAFETY: valid or null by the constructor's contract, and ours alone.
        if let Some(ack) = unsafe { self.0.as_mut() } {
            // The string is static: it outlives the request.
            ack._msg = msg.as_char_ptr().cast();
        }
    }

    /// Sets the message, formatted like `NL_SET_ERR_MSG_FMT()` into the
    /// extack's own buffer (truncated to `NETLINK_MAX_FMTMSG_LEN - 1`).
    pub(crate) fn set(&mut self, args: fmt::Arguments<'_>) {
        // SAFETY: valid or null by the constructor's contract, and ours alone.
        let Some(ack) = (unsafe { self.0.as_mut() }) else {
            return;
        };
        let buf = &mut ack._msg_buf;
        let mut w = BufWriter {
            buf: &mut buf[..],
            pos: 0,
        };
        let _ = w.write_fmt(args);
        let end = w.pos;
        if let Some(nul) = buf.get_mut(end) {
            *nul = 0;
            ack._msg = buf.as_ptr();
        }
    }
}

/// Formats into a byte buffer, truncating, keeping room for a NUL.
struct BufWriter<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl fmt::Write for BufWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len().saturating_sub(1 + self.pos);
        let n = s.len().min(room);
        if let (Some(dst), Some(src)) = (
            self.buf.get_mut(self.pos..self.pos + n),
            s.as_bytes().get(..n),
        ) {
            dst.copy_from_slice(src);
            self.pos += n;
        }
        Ok(())
    }
}
