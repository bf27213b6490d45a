// SPDX-License-Identifier: GPL-2.0
/*
 * Source address rotation for IPMP interfaces: cgroup connect4/connect6
 * programs, attached by in.mpathd to the root cgroup.
 *
 * A socket that connects (TCP, or UDP's connect()) without having bound a
 * source, to a destination whose route leaves by an IPMP interface, is
 * bound to that interface's next data address in turn (bpf_bind() with
 * port 0: the kernel picks the port as for an unbound socket). Incoming
 * traffic then spreads over the members the addresses are bound to, as
 * the Oracle Solaris 11.4 IPMP documentation describes for source address
 * selection.
 *
 * Everything the programs know is in maps kept by in.mpathd:
 *   routes4, routes6  longest-prefix tries mirrored from the main routing
 *                     table (and the local table's own addresses): prefix
 *                     -> ifindex of the IPMP interface the route leaves
 *                     by, or 0 for any other interface;
 *   groups            ifindex -> the interface's usable data addresses;
 *   next              ifindex -> rotation counters, one per family;
 *   given             address -> connections given it (ipmpstat -a);
 *   self              the network namespace the daemon serves.
 * Anything not found leaves the kernel's own choice in place: the
 * programs always let the connect() proceed.
 *
 * A cgroup's programs see the sockets of every network namespace, while
 * in.mpathd serves one (each namespace has its own daemon, interface
 * indexes and addresses): a program only acts on sockets of its daemon's
 * namespace. It learns which by its netns cookie, taken from the first
 * connect() to a marker (a loopback address and port the daemon draws at
 * random and writes into `self`), which the daemon makes right after
 * attaching; until then it does nothing.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/socket.h>

/* <sys/socket.h> is not for the BPF target. */
#define AF_INET 2
#define AF_INET6 10

#define SEC(name) __attribute__((section(name), used))
#define ROT_MAX 16

/* The legacy map definition layout (no BTF needed to load). */
struct map_def {
	__u32 type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 map_flags;
};

static void *(*map_lookup)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;
static long (*map_update)(void *map, const void *key, const void *value,
			  __u64 flags) = (void *)BPF_FUNC_map_update_elem;
static long (*sock_bind)(void *ctx, void *addr, int len) = (void *)BPF_FUNC_bind;
static __u64 (*netns_cookie)(void *ctx) = (void *)BPF_FUNC_get_netns_cookie;

struct lpm4 {
	__u32 prefixlen;
	__u32 addr;
};

struct lpm6 {
	__u32 prefixlen;
	__u32 addr[4];
};

struct group {
	__u32 n4;
	__u32 n6;
	__u32 addr4[ROT_MAX];
	__u32 addr6[ROT_MAX][4];
};

struct next {
	__u64 v4;
	__u64 v6;
};

struct self {
	__u64 cookie;
	__u32 marker_ip4;
	__u32 marker_port;
};

struct given_key {
	__u32 family;
	__u32 addr[4];
};

struct map_def routes4 SEC("maps") = {
	.type = BPF_MAP_TYPE_LPM_TRIE,
	.key_size = sizeof(struct lpm4),
	.value_size = sizeof(__u32),
	.max_entries = 65536,
	.map_flags = BPF_F_NO_PREALLOC,
};

struct map_def routes6 SEC("maps") = {
	.type = BPF_MAP_TYPE_LPM_TRIE,
	.key_size = sizeof(struct lpm6),
	.value_size = sizeof(__u32),
	.max_entries = 65536,
	.map_flags = BPF_F_NO_PREALLOC,
};

struct map_def groups SEC("maps") = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct group),
	.max_entries = 256,
};

struct map_def next SEC("maps") = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct next),
	.max_entries = 256,
};

struct map_def given SEC("maps") = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(struct given_key),
	.value_size = sizeof(__u64),
	.max_entries = 8192,
};

struct map_def self SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct self),
	.max_entries = 1,
};

/* Whether the socket is in the daemon's network namespace (see the top). */
static inline __attribute__((always_inline)) int ours(struct bpf_sock_addr *ctx, int v4)
{
	__u32 zero = 0;
	struct self *s = map_lookup(&self, &zero);
	__u64 cookie;

	if (!s)
		return 0;
	cookie = netns_cookie(ctx);
	if (s->cookie)
		return s->cookie == cookie;
	if (v4 && s->marker_port && ctx->user_ip4 == s->marker_ip4 &&
	    ctx->user_port == s->marker_port)
		s->cookie = cookie;
	return 0;
}

/* The IPMP interface a connection leaves by: the one the socket is bound
 * to (SO_BINDTODEVICE), or the one its destination's route leaves by. */
static inline __attribute__((always_inline)) __u32 group_of(__u32 bound_dev_if, __u32 *route)
{
	if (bound_dev_if)
		return bound_dev_if;
	return route ? *route : 0;
}

static inline __attribute__((always_inline)) void count(__u32 family, const __u32 *addr)
{
	struct given_key key;
	__u64 one = 1, *n;

	__builtin_memset(&key, 0, sizeof(key));
	key.family = family;
	key.addr[0] = addr[0];
	if (family == AF_INET6) {
		key.addr[1] = addr[1];
		key.addr[2] = addr[2];
		key.addr[3] = addr[3];
	}
	n = map_lookup(&given, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		map_update(&given, &key, &one, BPF_NOEXIST);
}

/* The group of @ifindex, with the index of its next source of the family
 * (IPv6 if @v6) in *@index; NULL if it has none. */
static inline __attribute__((always_inline)) struct group *next_source(__u32 ifindex, int v6,
								      __u32 *index)
{
	struct group *g = map_lookup(&groups, &ifindex);
	struct next *c = map_lookup(&next, &ifindex);
	__u32 n, i;

	if (!g || !c)
		return 0;
	n = v6 ? g->n6 : g->n4;
	if (n == 0 || n > ROT_MAX)
		return 0;
	i = (__u32)__sync_fetch_and_add(v6 ? &c->v6 : &c->v4, 1) % n;
	/* Always true (n <= ROT_MAX), but the verifier must see the index
	 * bounded: the empty asm keeps the compiler from dropping the test. */
	asm volatile("" : "+r"(i));
	if (i >= ROT_MAX)
		return 0;
	*index = i;
	return g;
}

SEC("cgroup/connect4")
int ipmp_connect4(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct sockaddr_in sa;
	struct lpm4 key = { .prefixlen = 32 };
	struct group *g;
	__u32 ifindex, i;

	if (!ours(ctx, 1))
		return 1;
	if (!sk || sk->src_ip4)
		return 1; /* the application chose its source */
	key.addr = ctx->user_ip4;
	ifindex = group_of(sk->bound_dev_if, map_lookup(&routes4, &key));
	if (!ifindex)
		return 1;
	g = next_source(ifindex, 0, &i);
	if (!g)
		return 1;
	__builtin_memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = g->addr4[i];
	if (sock_bind(ctx, &sa, sizeof(sa)) == 0)
		count(AF_INET, &g->addr4[i]);
	return 1;
}

SEC("cgroup/connect6")
int ipmp_connect6(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct sockaddr_in6 sa;
	struct lpm6 key = { .prefixlen = 128 };
	struct group *g;
	__u32 ifindex, i, first;

	if (!sk || !ours(ctx, 0))
		return 1;
	if (sk->src_ip6[0] | sk->src_ip6[1] | sk->src_ip6[2] | sk->src_ip6[3])
		return 1; /* the application chose its source */
	first = ctx->user_ip6[0];
	/* Link-local and multicast destinations take the kernel's choice;
	 * IPv4-mapped ones leave by IPv4 (not rotated on an IPv6 socket). */
	if ((first & __builtin_bswap32(0xffc00000)) == __builtin_bswap32(0xfe800000) ||
	    (first & __builtin_bswap32(0xff000000)) == __builtin_bswap32(0xff000000))
		return 1;
	if (first == 0 && ctx->user_ip6[1] == 0 &&
	    ctx->user_ip6[2] == __builtin_bswap32(0x0000ffff))
		return 1;
	key.addr[0] = first;
	key.addr[1] = ctx->user_ip6[1];
	key.addr[2] = ctx->user_ip6[2];
	key.addr[3] = ctx->user_ip6[3];
	ifindex = group_of(sk->bound_dev_if, map_lookup(&routes6, &key));
	if (!ifindex)
		return 1;
	g = next_source(ifindex, 1, &i);
	if (!g)
		return 1;
	__builtin_memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	sa.sin6_addr.in6_u.u6_addr32[0] = g->addr6[i][0];
	sa.sin6_addr.in6_u.u6_addr32[1] = g->addr6[i][1];
	sa.sin6_addr.in6_u.u6_addr32[2] = g->addr6[i][2];
	sa.sin6_addr.in6_u.u6_addr32[3] = g->addr6[i][3];
	if (sock_bind(ctx, &sa, sizeof(sa)) == 0)
		count(AF_INET6, g->addr6[i]);
	return 1;
}

char _license[] SEC("license") = "GPL";
