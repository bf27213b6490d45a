#!/usr/bin/env bash
# ifupdown, Debian's default: an IPMP interface described in
# interfaces(5) with ipmp-* options (packaging/ifupdown/ipmp installed as
# the if-pre-up.d and if-post-down.d hooks). `ifup itops0` builds the
# group: members, the standby, test addresses, the group name, then
# ifupdown's own data address; ipmpstat shows it; `ifdown itops0` removes
# it and the test addresses, releasing the members. A missing member is
# skipped with a warning; a member that cannot be added (it belongs to a
# bridge) makes ifup fail with the reason and nothing is left behind; a
# malformed ipmp-test-addresses is refused before anything is done.
. ../lib.sh
load_ipmp
command -v ifup >/dev/null || fail "ifupdown is not installed (scripts/setup.sh)"
for phase in if-pre-up.d if-post-down.d; do
    mkdir -p /etc/network/$phase
    sed "s|^IPMPADM=.*|IPMPADM=$REPO/target/debug/ipmpadm|" "$REPO/packaging/ifupdown/ipmp" > /etc/network/$phase/ipmp
    chmod 755 /etc/network/$phase/ipmp
    at_exit "rm -f /etc/network/$phase/ipmp"
done
mkdir -p /run/network
sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
for i in 0 1 2 3; do veth "net$i" "sw-net$i"; done
host router 192.168.10.1/24
switch sw0 sw-net0 sw-net1 sw-net2 router-sw
IFS= read -r -d '' STANZA <<'EOC' || true
auto itops0
iface itops0 inet static
    address 192.168.10.5/24
    ipmp-members net0 net1
    ipmp-standby net2
    ipmp-group-name web
    ipmp-test-addresses net0=192.168.10.10/24 net1=192.168.10.11/24 net2=192.168.10.12/24
EOC
echo "$STANZA" > /tmp/interfaces
IF=(-i /tmp/interfaces --state-dir /run/network)

ifup "${IF[@]}" itops0 > /tmp/ifup.log 2>&1 || { cat /tmp/ifup.log; fail "ifup itops0 failed"; }
ok "ifup itops0"
expect_eq "$(ipmpstat -g -o group,groupname,state,interfaces 2>/dev/null | tail -1 | xargs)" \
    "itops0 web ok net0 net1 (net2)" "ipmpstat -g: the group, its name, members and the standby"
for i in 0 1 2; do
    expect_eq "$(ip -br -4 addr show dev "net$i" | awk '{print $3}')" "192.168.10.1$i/24" "net$i's test address"
    expect_eq "$(ip -4 route show dev "net$i" | grep -c proto)" 0 "net$i's test address has no prefix route"
done
expect_eq "$(ip -br -4 addr show dev itops0 | awk '{print $3}')" "192.168.10.5/24" "ifupdown's data address on itops0"
expect_eq "$(kflags net2) $(active_of net2)" "-s-- no" "net2 a standby, kept inactive"
ping -c 1 -W 2 -I itops0 192.168.10.1 >/dev/null || fail "no ping through itops0"
ok "the router answers through itops0"

ifdown "${IF[@]}" itops0 > /tmp/ifdown.log 2>&1 || { cat /tmp/ifdown.log; fail "ifdown itops0 failed"; }
link_exists itops0 && fail "itops0 still exists after ifdown"
for i in 0 1 2; do
    expect_eq "$(ip -br -4 addr show dev "net$i" | awk '{print $3}')" "" "net$i's test address removed"
    expect_eq "$(master_of "net$i")" none "net$i released"
done

# A member that does not exist is skipped with a warning.
sed 's/ipmp-standby net2/ipmp-standby net2 net7/' /tmp/interfaces > /tmp/interfaces.missing
ifup -i /tmp/interfaces.missing --state-dir /run/network itops0 > /tmp/ifup.log 2>&1 ||
    { cat /tmp/ifup.log; fail "ifup with a missing member failed"; }
grep -q "ipmp: itops0: net7 does not exist: skipped" /tmp/ifup.log || fail "no warning for net7: $(cat /tmp/ifup.log)"
expect_eq "$(members_of itops0)" "net0 net1 net2" "the group built without net7"
ifdown -i /tmp/interfaces.missing --state-dir /run/network itops0 >/dev/null 2>&1
link_exists itops0 && fail "itops0 still exists after the second ifdown"

# A member that belongs to a bridge: ifup fails, nothing is left.
ip link add br9 type bridge
ip link set net3 master br9
sed 's/ipmp-members net0 net1/ipmp-members net0 net3/' /tmp/interfaces > /tmp/interfaces.bridge
if ifup -i /tmp/interfaces.bridge --state-dir /run/network itops0 > /tmp/ifup.log 2>&1; then
    fail "ifup with a bridge port as member succeeded"
fi
grep -q "net3 is attached to br9; use --force to move it" /tmp/ifup.log || fail "ifup's reason: $(cat /tmp/ifup.log)"
ok "ifup refused: $(grep -m1 'net3 is attached' /tmp/ifup.log)"
link_exists itops0 && fail "a failed ifup left itops0 behind"
expect_eq "$(ip -br -4 addr show dev net0 | awk '{print $3}')" "" "a failed ifup left no test address"
expect_eq "$(master_of net0)" none "a failed ifup left net0 released"
expect_eq "$(master_of net3)" br9 "net3 still in its bridge"

# A malformed ipmp-test-addresses is refused before anything is done.
sed 's/net1=192.168.10.11\/24/net1:192.168.10.11/' /tmp/interfaces > /tmp/interfaces.bad
if ifup -i /tmp/interfaces.bad --state-dir /run/network itops0 > /tmp/ifup.log 2>&1; then
    fail "ifup with a malformed ipmp-test-addresses succeeded"
fi
grep -q 'ipmp-test-addresses: "net1:192.168.10.11" is not MEMBER=ADDRESS/PREFIX' /tmp/ifup.log ||
    fail "no reason given: $(cat /tmp/ifup.log)"
ok "malformed ipmp-test-addresses refused"
link_exists itops0 && fail "a refused ifup created itops0"
ok "nothing created"
ip link del br9
ip link del net3
