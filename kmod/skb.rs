// SPDX-License-Identifier: GPL-2.0
//! An owned socket buffer.

use crate::bindings::raw;
use crate::netdev::{NetDev, ETH_ALEN};
use core::ptr::NonNull;
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
        if self.len() < ETH_HLEN {
            return Err(EINVAL);
        }
        // SAFETY: valid, exclusively owned skb; `skb_cow_head()` makes the
        // header writable and private or fails with -ENOMEM.
        let ret = unsafe { raw::ipmp_skb_cow_head(self.as_raw()) };
        if ret != 0 {
            return Err(ENOMEM);
        }
        // SAFETY: on transmit `data` points to the Ethernet header, at least
        // ETH_HLEN bytes long (checked above) and writable (cow above); the
        // source address is at offset 6.
        unsafe {
            let src = (*self.as_raw()).data.add(ETH_ALEN);
            core::ptr::copy_nonoverlapping(addr.as_ptr(), src, ETH_ALEN);
        }
        Ok(())
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
