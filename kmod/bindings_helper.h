/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel headers the module's bindgen run reads. */
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_arp.h>
#include <linux/netdevice.h>
#include <linux/notifier.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <net/rtnetlink.h>
#include <linux/in6.h>
#include <linux/inetdevice.h>
#include <linux/workqueue.h>
#include <net/addrconf.h>

#include "ipmp_helpers.h"
