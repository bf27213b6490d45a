// SPDX-License-Identifier: GPL-2.0
/* See ipmp_helpers.h: one-line wrappers of static-inline kernel helpers. */
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/rcupdate.h>
#include <linux/rtnetlink.h>
#include <linux/inetdevice.h>
#include <linux/skbuff.h>
#include <net/addrconf.h>

#include "ipmp_helpers.h"

void *ipmp_netdev_priv(const struct net_device *dev)
{
	return netdev_priv(dev);
}

/*
 * Bitfields: lockless transmit, no qdisc (members have their own), per-CPU
 * tstats allocated by the core, and no moving to another namespace (the
 * members would stay behind), as for bonding.
 */
void ipmp_netdev_setup_bits(struct net_device *dev)
{
	dev->lltx = true;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->netns_immutable = true;
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
}

bool ipmp_netif_running(const struct net_device *dev)
{
	return netif_running(dev);
}

bool ipmp_netif_carrier_ok(const struct net_device *dev)
{
	return netif_carrier_ok(dev);
}

void ipmp_eth_hw_addr_random(struct net_device *dev)
{
	eth_hw_addr_random(dev);
}

struct net_device *ipmp_notifier_info_to_dev(void *info)
{
	return netdev_notifier_info_to_dev(info);
}

void ipmp_assert_rtnl(void)
{
	ASSERT_RTNL();
}

int ipmp_nla_len(const struct nlattr *nla)
{
	return nla_len(nla);
}

const void *ipmp_nla_data(const struct nlattr *nla)
{
	return nla_data(nla);
}

void ipmp_rcu_read_lock(void)
{
	rcu_read_lock();
}

void ipmp_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

void *ipmp_rcu_dereference(void *const *slot)
{
	return rcu_dereference(*(void __rcu *const *)slot);
}

void *ipmp_rtnl_dereference(void *const *slot)
{
	return rtnl_dereference(*(void __rcu *const *)slot);
}

void ipmp_rcu_assign_pointer(void **slot, void *val)
{
	rcu_assign_pointer(*(void __rcu **)slot, val);
}

u32 ipmp_skb_get_hash(struct sk_buff *skb)
{
	return skb_get_hash(skb);
}

int ipmp_skb_cow_head(struct sk_buff *skb)
{
	return skb_cow_head(skb, 0);
}

void ipmp_skb_set_dev(struct sk_buff *skb, struct net_device *dev)
{
	skb->dev = dev;
}

int ipmp_dev_queue_xmit(struct sk_buff *skb)
{
	return dev_queue_xmit(skb);
}

void ipmp_kfree_skb(struct sk_buff *skb)
{
	dev_kfree_skb_any(skb);
}

void ipmp_tx_ok(struct net_device *dev, unsigned int len)
{
	dev_sw_netstats_tx_add(dev, 1, len);
}

void ipmp_tx_dropped(struct net_device *dev)
{
	dev_core_stats_tx_dropped_inc(dev);
}

void ipmp_rx_counted(struct net_device *dev, unsigned int len)
{
	dev_sw_netstats_rx_add(dev, len);
}

struct sk_buff *ipmp_skb_share_check(struct sk_buff *skb)
{
	return skb_share_check(skb, GFP_ATOMIC);
}

/* The rx_handler_data of the device a frame arrived on (receive path, RCU). */
void *ipmp_rx_handler_data(const struct sk_buff *skb)
{
	return rcu_dereference(skb->dev->rx_handler_data);
}

bool ipmp_pskb_may_pull(struct sk_buff *skb, unsigned int len)
{
	return pskb_may_pull(skb, len);
}

unsigned int ipmp_skb_headlen(const struct sk_buff *skb)
{
	return skb_headlen(skb);
}

unsigned char *ipmp_skb_mac_header(const struct sk_buff *skb)
{
	return skb_mac_header(skb);
}

unsigned char *ipmp_skb_data(const struct sk_buff *skb)
{
	return skb->data;
}

u16 ipmp_skb_protocol(const struct sk_buff *skb)
{
	return ntohs(skb->protocol);
}

u8 ipmp_skb_pkt_type(const struct sk_buff *skb)
{
	return skb->pkt_type;
}

void ipmp_skb_set_pkt_type(struct sk_buff *skb, u8 type)
{
	skb->pkt_type = type;
}

int ipmp_skb_ensure_writable(struct sk_buff *skb, unsigned int len)
{
	return skb_ensure_writable(skb, len);
}

/* Is @addr one of @dev's own IPv4 addresses? Caller holds RCU. */
bool ipmp_dev_has_addr4(struct net_device *dev, __be32 addr)
{
	const struct in_device *in_dev = __in_dev_get_rcu(dev);
	const struct in_ifaddr *ifa;

	if (!in_dev)
		return false;
	in_dev_for_each_ifa_rcu(ifa, in_dev)
		if (ifa->ifa_local == addr)
			return true;
	return false;
}

/*
 * Is @addr one of @dev's own IPv6 addresses, of any scope (strict), tentative
 * ones included (so that duplicate address detection reaches the member)?
 */
bool ipmp_dev_has_addr6(struct net_device *dev, const struct in6_addr *addr)
{
	return ipv6_chk_addr_and_flags(dev_net(dev), addr, dev, false, 1, 0);
}

u32 ipmp_now_secs(void)
{
	return (u32)(jiffies / HZ);
}
