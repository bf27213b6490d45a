# The VM's virtio-net NICs on the QEMU hub (vmtest adds four, MACs
# 52:54:00:07:00:00-03), found by MAC: their names depend on PCI slots.
# Sourced by lib.sh (scenarios) and guest-run.sh (teardown).

# nic_by_mac MAC: the name of the interface with hardware address MAC.
nic_by_mac() {
    local d
    for d in /sys/class/net/*; do
        [ "$(cat "$d/address")" = "$1" ] && { basename "$d"; return 0; }
    done
    return 1
}

# hub_nic N: the hub NIC with MAC 52:54:00:07:00:0N (N = 0 for a peer,
# 1-3 for members).
hub_nic() { nic_by_mac "52:54:00:07:00:0$1"; }
