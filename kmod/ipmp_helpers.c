// SPDX-License-Identifier: GPL-2.0
/* See ipmp_helpers.h: one-line wrappers of static-inline kernel helpers. */
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/rcupdate.h>
#include <linux/rtnetlink.h>
#include <linux/inetdevice.h>
#include <linux/skbuff.h>
#include <net/addrconf.h>
#include <net/genetlink.h>

#include "ipmp_helpers.h"

void *ipmp_netdev_priv(const struct net_device *dev)
{
	return netdev_priv(dev);
}

/*
 * Bitfields: lockless transmit, no qdisc (members have their own), per-CPU
 * tstats allocated by the core, and no moving to another namespace (the
 * members would stay behind), as for bonding. IFF_UNICAST_FLT: secondary
 * unicast addresses are passed on to the members' filters (ndo_set_rx_mode)
 * instead of making the group promiscuous.
 */
/*
 * What the group device offers the stack: scatter-gather, any checksum
 * offload and software GSO, as bonding and team do. A member lacking one
 * of them gets the work done in its own dev_queue_xmit()
 * (validate_xmit_skb), so no feature needs to be computed from the
 * members; without them every TCP segment was built and checksummed in
 * software above the group (measured: TCP at half the raw veth's rate).
 */
#define IPMP_FEATURES (NETIF_F_HW_CSUM | NETIF_F_SG | NETIF_F_FRAGLIST | \
		       NETIF_F_GSO_SOFTWARE | NETIF_F_HIGHDMA)
/*
 * VLANs on the group: tags travel out of band (a member without tag
 * offload gets them inserted by the core), so the group's frame rewrites
 * see untagged frames; VLAN ids are passed on to the members' filters
 * (ndo_vlan_rx_add_vid).
 */
#define IPMP_VLAN_FEATURES (NETIF_F_HW_VLAN_CTAG_TX | NETIF_F_HW_VLAN_CTAG_RX | \
			    NETIF_F_HW_VLAN_CTAG_FILTER | NETIF_F_HW_VLAN_STAG_TX | \
			    NETIF_F_HW_VLAN_STAG_RX | NETIF_F_HW_VLAN_STAG_FILTER)

void ipmp_netdev_setup_bits(struct net_device *dev)
{
	dev->hw_features = IPMP_FEATURES;
	dev->features |= IPMP_FEATURES | IPMP_VLAN_FEATURES;
	dev->vlan_features = IPMP_FEATURES;
	dev->lltx = true;
	dev->priv_flags |= IFF_NO_QUEUE | IFF_UNICAST_FLT;
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

struct netlink_ext_ack *ipmp_notifier_info_extack(void *info)
{
	return netdev_notifier_info_to_extack(info);
}

/* NETDEV_PRECHANGEUPPER/CHANGEUPPER: the upper device, and whether it is
 * being linked (or unlinked). */
struct net_device *ipmp_changeupper_upper(void *info, bool *linking)
{
	struct netdev_notifier_changeupper_info *cu = info;

	*linking = cu->linking;
	return cu->upper_dev;
}

void ipmp_assert_rtnl(void)
{
	ASSERT_RTNL();
}

void *ipmp_current_task(void)
{
	return current;
}

/* VLAN ids (stubs when the kernel has no 802.1Q support). */
int ipmp_vlan_vid_add(struct net_device *dev, __be16 proto, u16 vid)
{
	return vlan_vid_add(dev, proto, vid);
}

void ipmp_vlan_vid_del(struct net_device *dev, __be16 proto, u16 vid)
{
	vlan_vid_del(dev, proto, vid);
}

int ipmp_vlan_vids_add_by_dev(struct net_device *dev, const struct net_device *by_dev)
{
	return vlan_vids_add_by_dev(dev, by_dev);
}

void ipmp_vlan_vids_del_by_dev(struct net_device *dev, const struct net_device *by_dev)
{
	vlan_vids_del_by_dev(dev, by_dev);
}

void ipmp_netif_addr_lock_bh(struct net_device *dev)
{
	netif_addr_lock_bh(dev);
}

void ipmp_netif_addr_unlock_bh(struct net_device *dev)
{
	netif_addr_unlock_bh(dev);
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

struct sk_buff *ipmp_skb_share_check(struct sk_buff *skb)
{
	return skb_share_check(skb, GFP_ATOMIC);
}

/* The rx_handler_data of the device a frame arrived on (receive path, RCU). */
void *ipmp_rx_handler_data(const struct sk_buff *skb)
{
	return rcu_dereference(skb->dev->rx_handler_data);
}

unsigned int ipmp_skb_headlen(const struct sk_buff *skb)
{
	return skb_headlen(skb);
}

/*
 * What the rx_handler reads of every received frame, in one call rather
 * than one per field (the fields are bitfields and inline accessors that
 * Rust cannot reach directly).
 */
void ipmp_rx_meta(const struct sk_buff *skb, struct ipmp_rx_meta *out)
{
	const struct ethhdr *eth = eth_hdr(skb);

	out->protocol = ntohs(skb->protocol);
	out->pkt_type = skb->pkt_type;
	memcpy(out->eth_dst, eth->h_dest, ETH_ALEN);
	memcpy(out->eth_src, eth->h_source, ETH_ALEN);
}

/* The first @len bytes at skb->data made linear, or NULL if shorter. */
const u8 *ipmp_rx_pull(struct sk_buff *skb, unsigned int len)
{
	return pskb_may_pull(skb, len) ? skb->data : NULL;
}

/* Counts a frame on the group device and hands it over. */
void ipmp_rx_redirect(struct sk_buff *skb, struct net_device *dev)
{
	dev_sw_netstats_rx_add(dev, skb->len);
	skb->dev = dev;
}

unsigned char *ipmp_skb_data(const struct sk_buff *skb)
{
	return skb->data;
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
/* The head of dev's upper-device list: where netdev_upper_get_next_dev_rcu()
 * starts (netdev_for_each_upper_dev_rcu). */
struct list_head *ipmp_upper_list(struct net_device *dev)
{
	return &dev->adj_list.upper;
}

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

/* generic netlink: bitfields of the family, and the inline message helpers */

void ipmp_genl_family_set_flags(struct genl_family *family)
{
	family->netnsok = true;
	family->parallel_ops = true;
}

struct sk_buff *ipmp_genlmsg_new(void)
{
	return genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
}

void ipmp_nlmsg_free(struct sk_buff *skb)
{
	nlmsg_free(skb);
}

void *ipmp_genlmsg_put_reply(struct sk_buff *skb, struct genl_info *info,
			     const struct genl_family *family, u8 cmd)
{
	return genlmsg_put(skb, info->snd_portid, info->snd_seq, family, 0, cmd);
}

void *ipmp_genlmsg_put_dump(struct sk_buff *skb, struct netlink_callback *cb,
			    const struct genl_family *family, u8 cmd)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			   family, NLM_F_MULTI, cmd);
}

void ipmp_genlmsg_end(struct sk_buff *skb, void *hdr)
{
	genlmsg_end(skb, hdr);
}

void ipmp_genlmsg_cancel(struct sk_buff *skb, void *hdr)
{
	genlmsg_cancel(skb, hdr);
}

int ipmp_genlmsg_reply(struct sk_buff *skb, struct genl_info *info)
{
	return genlmsg_reply(skb, info);
}

int ipmp_genlmsg_multicast(const struct genl_family *family, struct net *net,
			   struct sk_buff *skb)
{
	return genlmsg_multicast_netns(family, net, skb, 0, 0, GFP_KERNEL);
}

struct nlattr *ipmp_nla_nest_start(struct sk_buff *skb, int type)
{
	return nla_nest_start(skb, type);
}

void ipmp_nla_nest_end(struct sk_buff *skb, struct nlattr *start)
{
	nla_nest_end(skb, start);
}

int ipmp_skb_len(const struct sk_buff *skb)
{
	return skb->len;
}

struct net *ipmp_genl_info_net(const struct genl_info *info)
{
	return genl_info_net(info);
}

struct net *ipmp_dump_net(const struct netlink_callback *cb)
{
	return sock_net(cb->skb->sk);
}

/* The generation a dump is consistent with (NLM_F_DUMP_INTR otherwise). */
void ipmp_dump_set_seq(struct netlink_callback *cb, unsigned int seq)
{
	cb->seq = seq;
}

void ipmp_genl_dump_check_consistent(struct netlink_callback *cb, void *hdr)
{
	genl_dump_check_consistent(cb, hdr);
}

long *ipmp_dump_args(struct netlink_callback *cb)
{
	return cb->args;
}

struct nlattr **ipmp_dump_attrs(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->attrs;
}

struct net *ipmp_dev_net(const struct net_device *dev)
{
	return dev_net(dev);
}

/* Walk a namespace's devices; caller holds RTNL. */
struct net_device *ipmp_first_netdev(struct net *net)
{
	return first_net_device(net);
}

struct net_device *ipmp_next_netdev(struct net_device *dev)
{
	return next_net_device(dev);
}

/* The group's addresses, IPv4 then IPv6; caller holds RTNL. */
int ipmp_dev_addrs(struct net_device *dev, struct ipmp_addr *out, int max)
{
	const struct in_device *in_dev = __in_dev_get_rtnl(dev);
	struct inet6_dev *idev = __in6_dev_get(dev);
	const struct in_ifaddr *ifa;
	const struct inet6_ifaddr *ifp;
	int n = 0;

	if (in_dev) {
		in_dev_for_each_ifa_rtnl(ifa, in_dev) {
			if (n == max)
				return n;
			out[n].family = AF_INET;
			memcpy(out[n].addr, &ifa->ifa_local, 4);
			n++;
		}
	}
	if (idev) {
		read_lock_bh(&idev->lock);
		list_for_each_entry(ifp, &idev->addr_list, if_list) {
			if (n == max)
				break;
			out[n].family = AF_INET6;
			memcpy(out[n].addr, &ifp->addr, 16);
			n++;
		}
		read_unlock_bh(&idev->lock);
	}
	return n;
}

struct net_device *ipmp_ifa4_dev(void *ifa)
{
	return ((struct in_ifaddr *)ifa)->ifa_dev->dev;
}

struct net_device *ipmp_ifa6_dev(void *ifa)
{
	return ((struct inet6_ifaddr *)ifa)->idev->dev;
}

void ipmp_ifa6_addr(void *ifa, u8 out[16])
{
	memcpy(out, &((struct inet6_ifaddr *)ifa)->addr, 16);
}

void ipmp_init_delayed_work(struct delayed_work *dw, work_func_t fn)
{
	INIT_DELAYED_WORK(dw, fn);
}

void ipmp_schedule_work_ms(struct delayed_work *dw, unsigned int ms)
{
	mod_delayed_work(system_wq, dw, msecs_to_jiffies(ms));
}

void ipmp_dev_hold(struct net_device *dev)
{
	dev_hold(dev);
}

void ipmp_dev_put(struct net_device *dev)
{
	dev_put(dev);
}

/* rtnetlink link info: an RTM_NEWLINK for a member whose state in its group
 * changed (bonding's bond_lower_state_changed()), and for a group whose
 * reported data changed. */
void ipmp_member_state_changed(struct net_device *dev, bool link_up, bool tx_enabled)
{
	struct netdev_lag_lower_state_info info = {
		.link_up = link_up,
		.tx_enabled = tx_enabled,
	};

	netdev_lower_state_changed(dev, &info);
}

void ipmp_info_data_changed(struct net_device *dev)
{
	call_netdevice_notifiers(NETDEV_CHANGEINFODATA, dev);
}
