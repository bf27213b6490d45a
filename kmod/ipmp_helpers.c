// SPDX-License-Identifier: GPL-2.0
/* See ipmp_helpers.h: one-line wrappers of static-inline kernel helpers. */
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/rcupdate.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>

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
