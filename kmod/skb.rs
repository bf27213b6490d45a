// SPDX-License-Identifier: GPL-2.0
//! An owned socket buffer.

use crate::bindings::raw;
use crate::netdev::{NetDev, ETH_ALEN};
use core::{marker::PhantomData, ptr::NonNull};
use kernel::prelude::*;

/// Ethernet header length.
const ETH_HLEN: u32 = 14;

/// An `sk_buff` this code owns: dropped (freed) unless handed on.
///
/// # Invariants
/// `0` is a valid skb owned by this value.
pub(crate) struct SkBuff(NonNull<raw::sk_buff>);

impl SkBuff {
    /// # Safety
    /// `ptr` is a valid skb whose ownership passes to the returned value
    /// (as for the skb given to `ndo_start_xmit`).
    pub(crate) unsafe fn from_raw(ptr: *mut raw::sk_buff) -> Option<Self> {
        // INVARIANT: valid and owned, by the caller's guarantee.
        NonNull::new(ptr).map(Self)
    }

    fn as_raw(&self) -> *mut raw::sk_buff {
        self.0.as_ptr()
    }

    /// Total length in bytes (`skb->len`, from the MAC header on transmit).
    pub(crate) fn len(&self) -> u32 {
        // SAFETY: valid skb (invariant).
        unsafe { (*self.as_raw()).len }
    }

    /// The flow hash (`skb_get_hash()`): equal for all packets of one
    /// connection, computed once and cached in the skb.
    pub(crate) fn flow_hash(&mut self) -> u32 {
        // SAFETY: valid skb that we own exclusively (invariant).
        unsafe { raw::ipmp_skb_get_hash(self.as_raw()) }
    }

    /// Overwrites the Ethernet source address, unsharing the header first
    /// if a clone (e.g. a packet socket tap) still looks at it.
    pub(crate) fn set_eth_source(&mut self, addr: &[u8; ETH_ALEN]) -> Result {
        // SAFETY: valid, exclusively owned skb; `skb_cow_head()` makes the
        // header writable and private or fails with -ENOMEM.
        let ret = unsafe { raw::ipmp_skb_cow_head(self.as_raw()) };
        if ret != 0 {
            return Err(ENOMEM);
        }
        // The header must be in the linear part (`skb->len` counts paged
        // data too); read after the cow, which may reallocate the head.
        // SAFETY: valid skb.
        if unsafe { raw::ipmp_skb_headlen(self.as_raw()) } < ETH_HLEN {
            return Err(EINVAL);
        }
        // SAFETY: on transmit `data` points to the Ethernet header, whose
        // ETH_HLEN bytes are linear (checked above) and writable (cow
        // above); the source address is at offset 6.
        unsafe {
            let src = (*self.as_raw()).data.add(ETH_ALEN);
            core::ptr::copy_nonoverlapping(addr.as_ptr(), src, ETH_ALEN);
        }
        Ok(())
    }

    /// The linear head of the frame (from the Ethernet header on transmit).
    pub(crate) fn head(&self) -> &[u8] {
        // SAFETY: valid skb; `data` points to `skb_headlen()` readable bytes
        // that stay put while we hold `&self` (nothing reallocates them
        // without `&mut self`).
        unsafe {
            let len = raw::ipmp_skb_headlen(self.as_raw()) as usize;
            core::slice::from_raw_parts(raw::ipmp_skb_data(self.as_raw()), len)
        }
    }

    /// The first `len` bytes of the frame, made linear, private and
    /// writable (`skb_ensure_writable()`).
    pub(crate) fn writable(&mut self, len: u32) -> Result<&mut [u8]> {
        if len > self.len() {
            return Err(EINVAL);
        }
        // SAFETY: valid, exclusively owned skb.
        let ret = unsafe { raw::ipmp_skb_ensure_writable(self.as_raw(), len) };
        if ret != 0 {
            return Err(ENOMEM);
        }
        // SAFETY: after a successful `skb_ensure_writable(len)` the first
        // `len` bytes at `data` are linear, private and writable, and stay
        // so while we hold `&mut self`.
        Ok(unsafe {
            core::slice::from_raw_parts_mut(raw::ipmp_skb_data(self.as_raw()), len as usize)
        })
    }

    /// Queues the packet for transmission on `dev`; true if the lower
    /// device accepted it (`net_xmit_eval()` of the result is 0).
    pub(crate) fn transmit_via(self, dev: &NetDev) -> bool {
        let skb = self.as_raw();
        core::mem::forget(self);
        // SAFETY: we own `skb` (forgotten above, so not freed twice) and
        // pass that ownership to dev_queue_xmit(), which consumes it in all
        // cases; `dev` is live while the caller holds its reference.
        let rc = unsafe {
            raw::ipmp_skb_set_dev(skb, dev.as_raw());
            raw::ipmp_dev_queue_xmit(skb)
        };
        rc == 0 || rc == raw::NET_XMIT_CN as i32
    }
}

impl Drop for SkBuff {
    fn drop(&mut self) {
        // SAFETY: we own the skb (invariant); this frees it exactly once.
        unsafe { raw::ipmp_kfree_skb(self.as_raw()) };
    }
}

/// A received skb, seen from an rx_handler: the core owns it, the handler
/// may change it in place.
///
/// # Invariants
/// `skb` is a valid, unshared skb (after `skb_share_check()`), in the
/// receive path of the current CPU for the lifetime `'a`. It is held as a
/// raw pointer, never as a Rust reference: the C helpers change the skb
/// through it. `meta` is what its fields were when it was wrapped.
pub(crate) struct RxSkb<'a> {
    skb: NonNull<raw::sk_buff>,
    meta: raw::ipmp_rx_meta,
    _core: PhantomData<&'a mut raw::sk_buff>,
}

/// `skb->pkt_type` values.
pub(crate) use raw::{PACKET_BROADCAST, PACKET_HOST, PACKET_MULTICAST};

impl<'a> RxSkb<'a> {
    /// Makes `*pskb` unshared and wraps it; `None` if that failed (the skb
    /// was then freed and the handler must report it consumed).
    ///
    /// # Safety
    /// `pskb` is the rx_handler's argument: a valid pointer to a valid skb
    /// pointer whose MAC header was set by `eth_type_trans()`.
    pub(crate) unsafe fn from_handler_arg(pskb: *mut *mut raw::sk_buff) -> Option<Self> {
        // SAFETY: valid by the caller's guarantee; `skb_share_check()` either
        // returns an skb we may modify (the original or a clone, freeing the
        // original) or NULL after freeing it.
        let skb = NonNull::new(unsafe { raw::ipmp_skb_share_check(*pskb) });
        // SAFETY: as above; the core continues with `*pskb`.
        unsafe { *pskb = skb.map_or(core::ptr::null_mut(), NonNull::as_ptr) };
        let skb = skb?;
        let mut meta = raw::ipmp_rx_meta::default();
        // SAFETY: valid skb with its MAC header (14 bytes, linear) set, as
        // the caller guarantees; `meta` is a valid buffer the call fills.
        unsafe { raw::ipmp_rx_meta(skb.as_ptr(), &mut meta) };
        // INVARIANT: non-NULL results are valid and unshared; `meta` was
        // just read from it.
        Some(Self {
            skb,
            meta,
            _core: PhantomData,
        })
    }

    fn as_raw(&self) -> *mut raw::sk_buff {
        self.skb.as_ptr()
    }

    /// The ethertype (host order).
    pub(crate) fn protocol(&self) -> u16 {
        self.meta.protocol
    }

    /// `skb->pkt_type` (`PACKET_*`) as received.
    pub(crate) fn pkt_type(&self) -> u32 {
        u32::from(self.meta.pkt_type)
    }

    /// Marks the frame as addressed to this host.
    pub(crate) fn set_pkt_type_host(&mut self) {
        // SAFETY: valid, unshared skb (invariant).
        unsafe { raw::ipmp_skb_set_pkt_type(self.as_raw(), PACKET_HOST as u8) };
    }

    /// The destination MAC address of the frame.
    pub(crate) fn eth_dst(&self) -> [u8; 6] {
        self.meta.eth_dst
    }

    /// The source MAC address of the frame.
    pub(crate) fn eth_src(&self) -> [u8; 6] {
        self.meta.eth_src
    }

    /// The first `len` bytes from the network header, made linear
    /// (`pskb_may_pull()`); `None` if the packet is shorter.
    pub(crate) fn network_head(&mut self, len: usize) -> Option<&[u8]> {
        let len32 = u32::try_from(len).ok()?;
        // SAFETY: valid, unshared skb that the receive path lets us pull.
        let data = unsafe { raw::ipmp_rx_pull(self.as_raw(), len32) };
        if data.is_null() {
            return None;
        }
        // SAFETY: after a successful pull, `len` bytes at `data` (the
        // network header on receive) are linear and readable while we hold
        // `&mut self`.
        Some(unsafe { core::slice::from_raw_parts(data, len) })
    }

    /// Hands the frame to `dev` (the group): counts it there and changes
    /// `skb->dev`; the handler then returns `RX_HANDLER_ANOTHER`.
    pub(crate) fn redirect_to(&mut self, dev: &NetDev) {
        // SAFETY: valid, unshared skb; `dev` is live for the call.
        unsafe { raw::ipmp_rx_redirect(self.as_raw(), dev.as_raw()) };
    }
}
