#!/usr/bin/env bash
# JSON that scripts can rely on: every ipmpadm and if_mpadm command's -j
# output, the event stream and every ipmpstat mode, as real use produces
# them, validated against the published schemas (docs/json) with a
# maintained validator; the values say what happened (words and
# booleans), and ipmpadm and ipmpstat agree where they name the same thing.
. ../lib.sh
load_ipmp
CHECK="python3 $REPO/tests/json/check-schemas.py"
OUT=/tmp/json
mkdir -p $OUT
# valid SCHEMA FILE [--lines|--all-fields]: FILE validates against SCHEMA.
valid() {
    local out
    out=$($CHECK "${@:3}" "$1" "$2" 2>&1) || fail "$2 against $1: $out"
    ok "$(basename "$2"): $out"
}

sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
for i in 0 1 2; do veth "net$i" "sw-net$i"; done
host router 192.168.10.1/24
switch sw0 sw-net0 sw-net1 sw-net2 router-sw
events_start

# --- apply: the configuration, checked, planned and applied --------------
mkdir -p /tmp/ipmp.d
cat > /tmp/ipmp.d/itops0.conf <<'EOF'
group web
member net0
member net1
standby net2
address 192.168.10.5/24
test-address net0 192.168.10.10/24
EOF
ipmpadm -j check-config -d /tmp/ipmp.d > $OUT/check.json
valid ipmpadm-config $OUT/check.json
expect_eq "$(jq -c '.[0] | [.group, .groupname, .file, [.members[] | .standby]]' $OUT/check.json)" \
    '["itops0","web","/tmp/ipmp.d/itops0.conf",[false,false,true]]' "check-config -j: the file as read"
ipmpadm -j apply -n -d /tmp/ipmp.d > $OUT/plan.json
valid ipmpadm-apply $OUT/plan.json
expect_eq "$(jq -r '.[0] | "\(.action) \(.interface)"' $OUT/plan.json)" "create itops0" "apply -n -j: creating comes first"
link_exists itops0 && fail "apply -n created itops0"
ipmpadm -j apply -d /tmp/ipmp.d > $OUT/apply.json
valid ipmpadm-apply $OUT/apply.json
expect_eq "$(jq -c '[.[].action]' $OUT/apply.json)" "$(jq -c '[.[].action]' $OUT/plan.json)" \
    "apply -j did what apply -n -j said it would"
expect_eq "$(jq -c '[.[] | select(.action == "add-address") | [.interface, .value, .test]]' $OUT/apply.json)" \
    '[["net0","192.168.10.10/24",true],["itops0","192.168.10.5/24",false]]' "apply -j: the addresses added"
expect_eq "$(ipmpadm -j apply -d /tmp/ipmp.d)" "[]" "apply -j with nothing to do: an empty list"

# --- the kernel's view ------------------------------------------------------
ipmpadm -j show > $OUT/show.json
valid ipmpadm-groups $OUT/show.json
expect_eq "$(jq -c '.[0] | [.group, .groupname, .state, .policy]' $OUT/show.json)" \
    '["itops0","web","ok","kernel"]' "show -j: words for state and policy"
expect_eq "$(jq -c '[.[0].members[] | [.interface, .active, .standby, .link, .state]]' $OUT/show.json)" \
    '[["net0",true,false,"up","ok"],["net1",true,false,"up","ok"],["net2",false,true,"up","ok"]]' \
    "show -j: members with booleans and words"
expect_eq "$(jq -c '.[0].members[0].nominee' $OUT/show.json)" '["v4-multicast","v4-broadcast","v6-multicast"]' \
    "the first member holds every nominee role, by name"
expect_eq "$(jq -r '.[0].addresses[] | select(.address == "192.168.10.5") | .inbound' $OUT/show.json)" \
    "$(jq -r '.[0].members[] | select(.addresses | index("192.168.10.5")) | .interface' $OUT/show.json)" \
    "a data address's inbound member is the member it is bound to"

# --- every command that changes something prints the result ----------------
ipmpadm -j set-group itops0 --announce-count 4 --announce-interval 300 > $OUT/set-group.json
valid ipmpadm-group $OUT/set-group.json
expect_eq "$(jq -r '"\(.announce_count) \(.announce_interval_ms)"' $OUT/set-group.json)" "4 300" "set-group -j: the group after"
ipmpadm -j standby net1 on > $OUT/standby.json
valid ipmpadm-member $OUT/standby.json
expect_eq "$(jq -r '"\(.interface) \(.standby)"' $OUT/standby.json)" "net1 true" "standby -j: the member after"
ipmpadm -j standby net1 off > /dev/null
ipmpadm -j offline net1 > $OUT/offline.json
valid ipmpadm-member $OUT/offline.json
expect_eq "$(jq -r '"\(.state) \(.offline) \(.active)"' $OUT/offline.json)" "offline true false" "offline -j"
if_mpadm -j -r net1 > $OUT/if_mpadm-r.json
valid ipmpadm-member $OUT/if_mpadm-r.json
expect_eq "$(jq -r '"\(.state) \(.offline)"' $OUT/if_mpadm-r.json)" "ok false" "if_mpadm -j -r"
if_mpadm -j -d net1 > $OUT/if_mpadm-d.json
valid ipmpadm-member $OUT/if_mpadm-d.json
ipmpadm -j online net1 > $OUT/online.json
valid ipmpadm-member $OUT/online.json
expect_eq "$(jq -r .state $OUT/online.json)" ok "online -j"
ipmpadm -j set-member net0 --failed on > $OUT/set-member.json
valid ipmpadm-member $OUT/set-member.json
expect_eq "$(jq -r '"\(.state) \(.failed) \(.nominee | length)"' $OUT/set-member.json)" "failed true 0" \
    "set-member -j: failed, its nominee roles gone"
ipmpadm set-member net0 --failed off
ipmpadm -j create-ipmp itops1 > $OUT/create.json
valid ipmpadm-group $OUT/create.json
expect_eq "$(jq -c '[.group, .groupname, .state, .members]' $OUT/create.json)" '["itops1","itops1","failed",[]]' \
    "create-ipmp -j: the new group"
ipmpadm remove itops0 net2
ipmpadm -j add itops1 net2 > $OUT/add.json
valid ipmpadm-group $OUT/add.json
expect_eq "$(jq -c '[.members[] | [.interface, .group]]' $OUT/add.json)" '[["net2","itops1"]]' "add -j: the group after"
ipmpadm -j remove itops1 net2 > $OUT/remove.json
valid ipmpadm-group $OUT/remove.json
expect_eq "$(jq -c .members $OUT/remove.json)" "[]" "remove -j: the group after"
expect_fail_code 1 "-j: delete-ipmp prints nothing" ipmpadm -j delete-ipmp itops1
link_exists itops1 || fail "a refused delete-ipmp -j deleted itops1"
ipmpadm delete-ipmp itops1
ipmpadm add itops0 net2 --standby
ipmpadm -j show-config > $OUT/show-config.json
valid ipmpadm-config $OUT/show-config.json
expect_eq "$(jq -c '.[0] | [.group, .groupname, .addresses, .file]' $OUT/show-config.json)" \
    '["itops0","web",["192.168.10.5/24"],null]' "show-config -j: the running system"

# --- events ---------------------------------------------------------------------
sed 's/^[^ ]* //' /tmp/events > $OUT/events.jsonl
valid ipmpadm-event $OUT/events.jsonl --lines
expect_eq "$(jq -r .event $OUT/events.jsonl | sort -u | xargs)" "added changed removed" "monitor -j: every kind of event"
expect_eq "$(jq -s -c '[.[] | select(.event == "removed" and .member.interface == "net2") | .member.group]' $OUT/events.jsonl)" \
    '["itops0","itops1"]' "each removed event names the group left"

# --- ipmpstat, without and with in.mpathd, agreeing with ipmpadm ---------------------
ip route add default via 192.168.10.1 dev itops0
for m in g i a; do
    ipmpstat -n -j -$m > $OUT/ipmpstat-$m.json 2>/dev/null
    valid ipmpstat-$m $OUT/ipmpstat-$m.json --all-fields
done
expect_eq "$(jq -r '.[0].fdt' $OUT/ipmpstat-g.json)" "?" "FDT unknown without in.mpathd"
echo "FAILURE_DETECTION_TIME=1000" > /tmp/mpathd.conf
mpathd_start -f /tmp/mpathd.conf
wait_for 10 "net0 probes answered" mview_is net0 probe ok
for m in g i a t; do
    ipmpstat -n -j -$m > $OUT/ipmpstat-$m.json
    valid ipmpstat-$m $OUT/ipmpstat-$m.json --all-fields
done
timeout 3 ipmpstat -n -j -p > $OUT/ipmpstat-p.jsonl || true
valid ipmpstat-p $OUT/ipmpstat-p.jsonl --lines --all-fields
ipmpadm -j show > $OUT/show.json
expect_eq "$(jq -c '[.[] | .members[] | {interface, active, group, link, state}] | sort_by(.interface)' $OUT/show.json)" \
    "$(jq -c '[.[] | {interface, active, group, link, state}] | sort_by(.interface)' $OUT/ipmpstat-i.json)" \
    "ipmpstat -j -i and ipmpadm -j show: same keys, same values"
expect_eq "$(jq -c '[.[] | {group, groupname, state}]' $OUT/show.json)" \
    "$(jq -c '[.[] | {group, groupname, state}]' $OUT/ipmpstat-g.json)" "ipmpstat -j -g and ipmpadm -j show agree"
expect_eq "$(jq -c '[.[] | .addresses[] | {address, inbound}] | sort_by(.address)' $OUT/show.json)" \
    "$(jq -c '[.[] | {address, inbound}] | sort_by(.address)' $OUT/ipmpstat-a.json)" "ipmpstat -j -a and ipmpadm -j show agree"
