/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Thin wrappers for kernel static-inline functions and macros that bindgen
 * cannot turn into callable symbols. No logic lives here: each wrapper is one
 * call, and the Rust side (kmod/netdev.rs, skb.rs, rcu.rs) documents the
 * contracts.
 */
#ifndef IPMP_HELPERS_H
#define IPMP_HELPERS_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/netlink.h>
#include <net/genetlink.h>

void *ipmp_netdev_priv(const struct net_device *dev);
void ipmp_netdev_setup_bits(struct net_device *dev);
bool ipmp_netif_running(const struct net_device *dev);
bool ipmp_netif_carrier_ok(const struct net_device *dev);
void ipmp_eth_hw_addr_random(struct net_device *dev);
void ipmp_dev_hold(struct net_device *dev);
void ipmp_dev_put(struct net_device *dev);
struct net_device *ipmp_notifier_info_to_dev(void *info);
struct netlink_ext_ack *ipmp_notifier_info_extack(void *info);
struct net_device *ipmp_changeupper_upper(void *info, bool *linking);
void ipmp_assert_rtnl(void);
void *ipmp_current_task(void);
int ipmp_nla_len(const struct nlattr *nla);
void ipmp_netif_addr_lock_bh(struct net_device *dev);
int ipmp_vlan_vid_add(struct net_device *dev, __be16 proto, u16 vid);
void ipmp_vlan_vid_del(struct net_device *dev, __be16 proto, u16 vid);
int ipmp_vlan_vids_add_by_dev(struct net_device *dev, const struct net_device *by_dev);
void ipmp_vlan_vids_del_by_dev(struct net_device *dev, const struct net_device *by_dev);
void ipmp_netif_addr_unlock_bh(struct net_device *dev);
const void *ipmp_nla_data(const struct nlattr *nla);

void ipmp_rcu_read_lock(void);
void ipmp_rcu_read_unlock(void);
void *ipmp_rcu_dereference(void *const *slot);
void *ipmp_rtnl_dereference(void *const *slot);
void ipmp_rcu_assign_pointer(void **slot, void *val);

u32 ipmp_skb_get_hash(struct sk_buff *skb);
int ipmp_skb_cow_head(struct sk_buff *skb);
void ipmp_skb_set_dev(struct sk_buff *skb, struct net_device *dev);
int ipmp_dev_queue_xmit(struct sk_buff *skb);
void ipmp_kfree_skb(struct sk_buff *skb);
void ipmp_tx_ok(struct net_device *dev, unsigned int len);
void ipmp_tx_dropped(struct net_device *dev);

struct sk_buff *ipmp_skb_share_check(struct sk_buff *skb);
void *ipmp_rx_handler_data(const struct sk_buff *skb);
unsigned int ipmp_skb_headlen(const struct sk_buff *skb);
struct ipmp_rx_meta {
	u16 protocol; /* host order */
	u8 pkt_type;
	u8 eth_dst[6];
	u8 eth_src[6];
};
void ipmp_rx_meta(const struct sk_buff *skb, struct ipmp_rx_meta *out);
const u8 *ipmp_rx_pull(struct sk_buff *skb, unsigned int len);
void ipmp_rx_redirect(struct sk_buff *skb, struct net_device *dev);
unsigned char *ipmp_skb_data(const struct sk_buff *skb);
void ipmp_skb_set_pkt_type(struct sk_buff *skb, u8 type);
int ipmp_skb_ensure_writable(struct sk_buff *skb, unsigned int len);

bool ipmp_dev_has_addr4(struct net_device *dev, __be32 addr);
struct list_head *ipmp_upper_list(struct net_device *dev);
bool ipmp_dev_has_addr6(struct net_device *dev, const struct in6_addr *addr);
u32 ipmp_now_secs(void);

/* rtnetlink link info */
void ipmp_member_state_changed(struct net_device *dev, bool link_up, bool tx_enabled);
void ipmp_info_data_changed(struct net_device *dev);

/* generic netlink */
void ipmp_genl_family_set_flags(struct genl_family *family);
struct sk_buff *ipmp_genlmsg_new(void);
void ipmp_nlmsg_free(struct sk_buff *skb);
void *ipmp_genlmsg_put_reply(struct sk_buff *skb, struct genl_info *info,
			     const struct genl_family *family, u8 cmd);
void *ipmp_genlmsg_put_dump(struct sk_buff *skb, struct netlink_callback *cb,
			    const struct genl_family *family, u8 cmd);
void ipmp_genlmsg_end(struct sk_buff *skb, void *hdr);
void ipmp_genlmsg_cancel(struct sk_buff *skb, void *hdr);
int ipmp_genlmsg_reply(struct sk_buff *skb, struct genl_info *info);
int ipmp_genlmsg_multicast(const struct genl_family *family, struct net *net,
			   struct sk_buff *skb);
struct nlattr *ipmp_nla_nest_start(struct sk_buff *skb, int type);
void ipmp_nla_nest_end(struct sk_buff *skb, struct nlattr *start);
int ipmp_skb_len(const struct sk_buff *skb);
struct net *ipmp_genl_info_net(const struct genl_info *info);
struct net *ipmp_dump_net(const struct netlink_callback *cb);
long *ipmp_dump_args(struct netlink_callback *cb);
void ipmp_dump_set_seq(struct netlink_callback *cb, unsigned int seq);
void ipmp_genl_dump_check_consistent(struct netlink_callback *cb, void *hdr);
struct nlattr **ipmp_dump_attrs(struct netlink_callback *cb);
struct net *ipmp_dev_net(const struct net_device *dev);
struct net_device *ipmp_first_netdev(struct net *net);
struct net_device *ipmp_next_netdev(struct net_device *dev);


/* data addresses and deferred work */
struct ipmp_addr {
	u8 family; /* AF_INET or AF_INET6 */
	u8 addr[16];
};
int ipmp_dev_addrs(struct net_device *dev, struct ipmp_addr *out, int max);
struct net_device *ipmp_ifa4_dev(void *ifa);
struct net_device *ipmp_ifa6_dev(void *ifa);
void ipmp_ifa6_addr(void *ifa, u8 out[16]);
void ipmp_init_delayed_work(struct delayed_work *dw, work_func_t fn);
void ipmp_schedule_work_ms(struct delayed_work *dw, unsigned int ms);

#endif
