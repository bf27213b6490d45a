// SPDX-License-Identifier: GPL-2.0
/*
 * iproute2 link-type plugin for IPMP group devices and their members:
 *
 *   ip link add itops0 type ipmp [group_name NAME] [policy kernel|daemon]
 *                                [announce_count N] [announce_interval MS]
 *   ip link set itops0 type ipmp ...
 *   ip link set net2 type ipmp_slave standby on|off
 *   ip link help type ipmp | ipmp_slave
 *   ip [-j] -d link show
 *
 * `ip` dlopens <libdir>/link_<kind>.so (or $IP_LIB_DIR/link_<kind>.so) and
 * looks up <kind>_link_util; this file is installed as link_ipmp.so and
 * link_ipmp_slave.so (a link to it). The helpers it calls (addattr*,
 * print_color_*, open_json_object, get_u32 ...) are the `ip` binary's own
 * exported symbols, so output follows iproute2's text and JSON styles.
 *
 * iproute2 installs no headers for plugins: the few declarations needed are
 * below, with the layout of `struct link_util` of iproute2 6.1 (Debian 12),
 * unchanged in the fields used here from 5.x to 6.x. The attribute numbers
 * are those of kmod/uapi.rs (IFLA_IPMP_*), checked by tests/netlink.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* --- iproute2 6.1 (ip/ip_common.h, include/json_print.h, utils.h) --- */
struct link_util {
	struct link_util *next;
	const char *id;
	int maxattr;
	int (*parse_opt)(struct link_util *, int, char **, struct nlmsghdr *);
	void (*print_opt)(struct link_util *, FILE *, struct rtattr *[]);
	void (*print_xstats)(struct link_util *, FILE *, struct rtattr *);
	void (*print_help)(struct link_util *, int, char **, FILE *);
	int (*parse_ifla_xstats)(struct link_util *, int, char **);
	int (*print_ifla_xstats)(struct nlmsghdr *, void *);
};

enum { PRINT_FP = 1, PRINT_JSON = 2, PRINT_ANY = 4 };
enum { COLOR_NONE = 6 };

int print_color_string(int t, int color, const char *key, const char *fmt,
		       const char *value);
int print_color_uint(int t, int color, const char *key, const char *fmt,
		     unsigned int value);
int print_color_bool(int t, int color, const char *key, const char *fmt,
		     bool value);
bool is_json_context(void);
void open_json_array(int type, const char *delim);
void close_json_array(int type, const char *delim);
bool matches(const char *prefix, const char *string);
int get_u32(uint32_t *val, const char *arg, int base);
void invarg(const char *msg, const char *arg) __attribute__((noreturn));
void missarg(const char *key) __attribute__((noreturn));
void incomplete_command(void) __attribute__((noreturn));
int addattr8(struct nlmsghdr *n, int maxlen, int type, uint8_t data);
int addattr32(struct nlmsghdr *n, int maxlen, int type, uint32_t data);
int addattr_l(struct nlmsghdr *n, int maxlen, int type, const void *data,
	      int alen);

/* --- kmod/uapi.rs --- */
enum {
	IFLA_IPMP_UNSPEC,
	IFLA_IPMP_GROUP_NAME,
	IFLA_IPMP_POLICY,
	IFLA_IPMP_ANNOUNCE_COUNT,
	IFLA_IPMP_ANNOUNCE_INTERVAL,
	IFLA_IPMP_STATE,
	IFLA_IPMP_MEMBERS,
	IFLA_IPMP_ACTIVE_MEMBERS,
	__IFLA_IPMP_MAX,
};
#define IFLA_IPMP_MAX (__IFLA_IPMP_MAX - 1)

enum {
	IFLA_IPMP_SLAVE_UNSPEC,
	IFLA_IPMP_SLAVE_STANDBY,
	IFLA_IPMP_SLAVE_INACTIVE,
	IFLA_IPMP_SLAVE_FAILED,
	IFLA_IPMP_SLAVE_OFFLINE,
	IFLA_IPMP_SLAVE_ACTIVE,
	IFLA_IPMP_SLAVE_NOMINEE,
	IFLA_IPMP_SLAVE_ADDRESSES,
	IFLA_IPMP_SLAVE_LINK,
	__IFLA_IPMP_SLAVE_MAX,
};
#define IFLA_IPMP_SLAVE_MAX (__IFLA_IPMP_SLAVE_MAX - 1)

#define GROUP_NAME_MAX 31
#define ANNOUNCE_COUNT_MAX 100
#define ANNOUNCE_INTERVAL_MAX 60000
#define NOMINEE_V4_MULTICAST (1u << 0)
#define NOMINEE_V4_BROADCAST (1u << 1)
#define NOMINEE_V6_MULTICAST (1u << 2)

/* The room `ip` gives a request (its `struct iplink_req` buffer is larger;
 * bonding's plugin uses the same bound). */
#define REQ_ROOM 1024

static const char *const policy_names[] = { "kernel", "daemon" };
static const char *const state_names[] = { "ok", "degraded", "failed" };

static const char *name_of(const char *const *names, size_t n, unsigned int v)
{
	return v < n ? names[v] : "unknown";
}

static uint8_t rta_u8(const struct rtattr *rta)
{
	return *(const uint8_t *)RTA_DATA(rta);
}

static uint32_t rta_u32(const struct rtattr *rta)
{
	uint32_t v;

	memcpy(&v, RTA_DATA(rta), sizeof(v));
	return v;
}

static void ipmp_explain(FILE *f)
{
	fprintf(f,
		"Usage: ... ipmp [ group_name NAME ] [ policy { kernel | daemon } ]\n"
		"                [ announce_count COUNT ] [ announce_interval MS ]\n"
		"\n"
		"NAME: the group name ipmpstat shows, 1 to %d printable characters\n"
		"      (default: the interface name)\n"
		"policy: kernel (default): the kernel keeps standbys inactive while\n"
		"        another member works; daemon: in.mpathd decides (it sets this\n"
		"        on the groups it manages)\n"
		"COUNT: announcements of a data address moved between members, 0 to %d\n"
		"       (default 3)\n"
		"MS: milliseconds between them, 1 to %d (default 500)\n",
		GROUP_NAME_MAX, ANNOUNCE_COUNT_MAX, ANNOUNCE_INTERVAL_MAX);
}

static void ipmp_slave_explain(FILE *f)
{
	fprintf(f,
		"Usage: ... ipmp_slave [ standby { on | off } ]\n"
		"\n"
		"standby on: the member carries data traffic only when an active member\n"
		"            is lost (the FAILBACK and standby rules of in.mpathd(8))\n");
}

static int ipmp_parse_opt(struct link_util *lu, int argc, char **argv,
			  struct nlmsghdr *n)
{
	uint32_t v;

	while (argc > 0) {
		if (matches(*argv, "group_name") == 0) {
			size_t len;

			if (--argc <= 0)
				missarg("group_name");
			argv++;
			len = strlen(*argv);
			if (len == 0 || len > GROUP_NAME_MAX)
				invarg("group_name is 1 to 31 characters", *argv);
			addattr_l(n, REQ_ROOM, IFLA_IPMP_GROUP_NAME, *argv, len + 1);
		} else if (matches(*argv, "policy") == 0) {
			if (--argc <= 0)
				missarg("policy");
			argv++;
			if (strcmp(*argv, "kernel") == 0)
				addattr8(n, REQ_ROOM, IFLA_IPMP_POLICY, 0);
			else if (strcmp(*argv, "daemon") == 0)
				addattr8(n, REQ_ROOM, IFLA_IPMP_POLICY, 1);
			else
				invarg("policy is \"kernel\" or \"daemon\"", *argv);
		} else if (matches(*argv, "announce_count") == 0) {
			if (--argc <= 0)
				missarg("announce_count");
			argv++;
			if (get_u32(&v, *argv, 0) || v > ANNOUNCE_COUNT_MAX)
				invarg("announce_count is 0 to 100", *argv);
			addattr32(n, REQ_ROOM, IFLA_IPMP_ANNOUNCE_COUNT, v);
		} else if (matches(*argv, "announce_interval") == 0) {
			if (--argc <= 0)
				missarg("announce_interval");
			argv++;
			if (get_u32(&v, *argv, 0) || v == 0 ||
			    v > ANNOUNCE_INTERVAL_MAX)
				invarg("announce_interval is 1 to 60000 ms", *argv);
			addattr32(n, REQ_ROOM, IFLA_IPMP_ANNOUNCE_INTERVAL, v);
		} else if (matches(*argv, "help") == 0) {
			ipmp_explain(stdout);
			return -1;
		} else {
			fprintf(stderr, "ipmp: unknown option \"%s\"\n", *argv);
			ipmp_explain(stderr);
			return -1;
		}
		argc--;
		argv++;
	}
	return 0;
}

static void ipmp_print_opt(struct link_util *lu, FILE *f, struct rtattr *tb[])
{
	if (!tb)
		return;
	if (tb[IFLA_IPMP_GROUP_NAME])
		print_color_string(PRINT_ANY, COLOR_NONE, "group_name",
				   "group_name %s ",
				   RTA_DATA(tb[IFLA_IPMP_GROUP_NAME]));
	if (tb[IFLA_IPMP_POLICY])
		print_color_string(PRINT_ANY, COLOR_NONE, "policy", "policy %s ",
				   name_of(policy_names, 2,
					   rta_u8(tb[IFLA_IPMP_POLICY])));
	if (tb[IFLA_IPMP_ANNOUNCE_COUNT])
		print_color_uint(PRINT_ANY, COLOR_NONE, "announce_count",
				 "announce_count %u ",
				 rta_u32(tb[IFLA_IPMP_ANNOUNCE_COUNT]));
	if (tb[IFLA_IPMP_ANNOUNCE_INTERVAL])
		print_color_uint(PRINT_ANY, COLOR_NONE, "announce_interval",
				 "announce_interval %u ",
				 rta_u32(tb[IFLA_IPMP_ANNOUNCE_INTERVAL]));
	if (tb[IFLA_IPMP_STATE])
		print_color_string(PRINT_ANY, COLOR_NONE, "state", "state %s ",
				   name_of(state_names, 3,
					   rta_u8(tb[IFLA_IPMP_STATE])));
	if (tb[IFLA_IPMP_MEMBERS])
		print_color_uint(PRINT_ANY, COLOR_NONE, "members", "members %u ",
				 rta_u32(tb[IFLA_IPMP_MEMBERS]));
	if (tb[IFLA_IPMP_ACTIVE_MEMBERS])
		print_color_uint(PRINT_ANY, COLOR_NONE, "active_members",
				 "active_members %u ",
				 rta_u32(tb[IFLA_IPMP_ACTIVE_MEMBERS]));
}

static void ipmp_print_help(struct link_util *lu, int argc, char **argv,
			    FILE *f)
{
	ipmp_explain(f);
}

static int ipmp_slave_parse_opt(struct link_util *lu, int argc, char **argv,
				struct nlmsghdr *n)
{
	while (argc > 0) {
		if (matches(*argv, "standby") == 0) {
			if (--argc <= 0)
				missarg("standby");
			argv++;
			if (strcmp(*argv, "on") == 0)
				addattr8(n, REQ_ROOM, IFLA_IPMP_SLAVE_STANDBY, 1);
			else if (strcmp(*argv, "off") == 0)
				addattr8(n, REQ_ROOM, IFLA_IPMP_SLAVE_STANDBY, 0);
			else
				invarg("standby is \"on\" or \"off\"", *argv);
		} else if (matches(*argv, "help") == 0) {
			ipmp_slave_explain(stdout);
			return -1;
		} else {
			fprintf(stderr, "ipmp_slave: unknown option \"%s\"\n",
				*argv);
			ipmp_slave_explain(stderr);
			return -1;
		}
		argc--;
		argv++;
	}
	return 0;
}

/* A 0/1 attribute: "on"/"off" in text, a boolean in JSON. */
static void print_flag(struct rtattr *tb[], int attr, const char *key)
{
	char fmt[32];
	bool on;

	if (!tb[attr])
		return;
	on = rta_u8(tb[attr]) != 0;
	if (is_json_context()) {
		print_color_bool(PRINT_JSON, COLOR_NONE, key, NULL, on);
		return;
	}
	snprintf(fmt, sizeof(fmt), "%s %%s ", key);
	print_color_string(PRINT_FP, COLOR_NONE, NULL, fmt, on ? "on" : "off");
}

static void ipmp_slave_print_opt(struct link_util *lu, FILE *f,
				 struct rtattr *tb[])
{
	static const struct {
		uint32_t bit;
		const char *name;
	} roles[] = {
		{ NOMINEE_V4_MULTICAST, "v4-multicast" },
		{ NOMINEE_V4_BROADCAST, "v4-broadcast" },
		{ NOMINEE_V6_MULTICAST, "v6-multicast" },
	};

	if (!tb)
		return;
	print_flag(tb, IFLA_IPMP_SLAVE_STANDBY, "standby");
	print_flag(tb, IFLA_IPMP_SLAVE_ACTIVE, "active");
	print_flag(tb, IFLA_IPMP_SLAVE_INACTIVE, "inactive");
	print_flag(tb, IFLA_IPMP_SLAVE_FAILED, "failed");
	print_flag(tb, IFLA_IPMP_SLAVE_OFFLINE, "offline");
	if (tb[IFLA_IPMP_SLAVE_LINK])
		print_color_string(PRINT_ANY, COLOR_NONE, "link", "link %s ",
				   rta_u8(tb[IFLA_IPMP_SLAVE_LINK]) ? "up" :
								      "down");
	if (tb[IFLA_IPMP_SLAVE_NOMINEE]) {
		uint32_t bits = rta_u32(tb[IFLA_IPMP_SLAVE_NOMINEE]);
		bool first = true;
		size_t i;

		open_json_array(PRINT_JSON, "nominee");
		print_color_string(PRINT_FP, COLOR_NONE, NULL, "%s", "nominee ");
		for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
			if (!(bits & roles[i].bit))
				continue;
			print_color_string(PRINT_ANY, COLOR_NONE, NULL,
					   first ? "%s" : ",%s", roles[i].name);
			first = false;
		}
		if (first)
			print_color_string(PRINT_FP, COLOR_NONE, NULL, "%s",
					   "none");
		close_json_array(PRINT_JSON, NULL);
		print_color_string(PRINT_FP, COLOR_NONE, NULL, "%s", " ");
	}
	if (tb[IFLA_IPMP_SLAVE_ADDRESSES])
		print_color_uint(PRINT_ANY, COLOR_NONE, "bound_addresses",
				 "bound_addresses %u ",
				 rta_u32(tb[IFLA_IPMP_SLAVE_ADDRESSES]));
}

static void ipmp_slave_print_help(struct link_util *lu, int argc, char **argv,
				  FILE *f)
{
	ipmp_slave_explain(f);
}

struct link_util ipmp_link_util = {
	.id = "ipmp",
	.maxattr = IFLA_IPMP_MAX,
	.parse_opt = ipmp_parse_opt,
	.print_opt = ipmp_print_opt,
	.print_help = ipmp_print_help,
};

struct link_util ipmp_slave_link_util = {
	.id = "ipmp_slave",
	.maxattr = IFLA_IPMP_SLAVE_MAX,
	.parse_opt = ipmp_slave_parse_opt,
	.print_opt = ipmp_slave_print_opt,
	.print_help = ipmp_slave_print_help,
};
