#!/usr/bin/env bash
# A member that appears after boot joins its group: the packaged udev
# rule (packaging/udev/90-ipmp-hotplug.rules, pointed at this build's
# ipmpadm) runs `ipmpadm hotplug` for each new interface. /etc/ipmp names
# net0, net1 and a standby net2 with test addresses; net2 does not exist
# when the group is applied. Created later, it joins as a standby with
# its test address, and nothing else changes (a data address removed by
# hand stays removed); an interface no file names is left alone; with the
# group deleted, a configured member appearing changes nothing.
. ../lib.sh
load_ipmp
pgrep -x systemd-udevd >/dev/null || pgrep -x udevd >/dev/null || fail "no udevd in the guest"
sed "s|/usr/sbin/ipmpadm|$REPO/target/debug/ipmpadm|" "$REPO/packaging/udev/90-ipmp-hotplug.rules" \
    > /etc/udev/rules.d/90-ipmp-hotplug.rules
leave_clean() {
    rm -f /etc/udev/rules.d/90-ipmp-hotplug.rules /etc/ipmp/itops0.conf /run/systemd/network/10-ipmp-members.network
    udevadm control --reload
}
at_exit leave_clean
udevadm control --reload
mkdir -p /etc/ipmp
cat > /etc/ipmp/itops0.conf <<'EOC'
member net0
member net1
standby net2
address 192.168.10.5/24
address 192.168.10.6/24
test-address net0 192.168.10.10/24
test-address net1 192.168.10.11/24
test-address net2 192.168.10.12/24
EOC
sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
for i in 0 1; do veth "net$i" "sw-net$i"; done
host router 192.168.10.1/24
switch sw0 sw-net0 sw-net1 router-sw
out=$(ipmpadm apply 2>&1)
case $out in *"warning: "*net2*) ok "apply without net2: $(grep -c . <<<"$out") lines, net2 skipped with a warning" ;;
    *) fail "apply without net2 gave no warning: $out" ;; esac
expect_eq "$(members_of itops0)" "net0 net1" "the group runs with the members present"
ip addr del 192.168.10.6/24 dev itops0

# plug N: netN appears, its other end a port of the switch.
plug() {
    veth "net$1" "sw-net$1"
    ip link set "sw-net$1" netns switch
    sw link set "sw-net$1" master sw0
    sw link set "sw-net$1" up
}
# net2 appears: udev runs ipmpadm hotplug net2.
t0=$EPOCHREALTIME
plug 2
wait_for 20 "net2 joined itops0" output_is "net0 net1 net2" members_of itops0
ok "net2 joined $(ms_between "$t0" "$EPOCHREALTIME") ms after it was created"
wait_for 5 "net2's test address" output_is "192.168.10.12/24" bash -c "ip -br -4 addr show dev net2 | awk '{print \$3}'"
expect_eq "$(kflags net2) $(active_of net2)" "-s-- no" "net2 joined as a standby, kept inactive"
expect_eq "$(ip -br -4 addr show dev itops0 | awk '{print $3, $4}' | xargs)" "192.168.10.5/24" \
    "nothing else changed: the data address removed by hand stays removed"
expect_eq "$(ipmpadm hotplug net2)" "" "hotplug again: nothing to do, nothing said"
expect_eq "$(ipmpadm -j hotplug net2)" "[]" "hotplug -j with nothing to do"

# An interface no file names is left alone.
veth net9 sw-net9
udevadm settle -t 10
expect_eq "$(master_of net9)" none "net9, named nowhere, is left alone"
expect_eq "$(ipmpadm hotplug net9)" "" "hotplug of an unnamed interface says nothing"
ip link del net9

# The group deleted: a configured member appearing changes nothing.
ip link del net2
ipmpadm delete-ipmp --force itops0
plug 2
udevadm settle -t 10
link_exists itops0 && fail "hotplug created itops0"
expect_eq "$(master_of net2)" none "net2 left alone while itops0 does not exist"
expect_eq "$(ipmpadm hotplug net2)" "net2: itops0 does not exist yet (ipmpadm apply creates it)" \
    "hotplug says why it did nothing"
# And apply creates it with every member.
ipmpadm apply >/dev/null 2>&1
expect_eq "$(members_of itops0)" "net0 net1 net2" "apply: the group with every member"
