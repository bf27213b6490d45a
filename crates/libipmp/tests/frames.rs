//! Frame classification and rewriting of ipmp.ko (kmod/frames.rs).

use libipmp::kernel_logic::binding::Addr;
use libipmp::kernel_logic::frames::*;

const GROUP_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x10];
const MEMBER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];

fn eth(dst: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = dst.to_vec();
    f.extend_from_slice(&GROUP_MAC);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn arp(op: u16, sender: [u8; 4], target: [u8; 4]) -> Vec<u8> {
    let mut a = vec![0, 1, 0x08, 0x00, 6, 4];
    a.extend_from_slice(&op.to_be_bytes());
    a.extend_from_slice(&GROUP_MAC);
    a.extend_from_slice(&sender);
    a.extend_from_slice(&[0; 6]);
    a.extend_from_slice(&target);
    a
}

fn ipv4(dst: [u8; 4]) -> Vec<u8> {
    let mut h = vec![0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1];
    h.extend_from_slice(&dst);
    h
}

/// Internet checksum of ICMPv6 with its pseudo-header (reference).
fn icmpv6_checksum(src: &[u8; 16], dst: &[u8; 16], icmp: &[u8]) -> u16 {
    let mut data = Vec::new();
    data.extend_from_slice(src);
    data.extend_from_slice(dst);
    data.extend_from_slice(&(icmp.len() as u32).to_be_bytes());
    data.extend_from_slice(&[0, 0, 0, 58]);
    data.extend_from_slice(icmp);
    if data.len() % 2 == 1 {
        data.push(0);
    }
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

const LL_SRC: [u8; 16] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const TARGET: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a,
];

/// An IPv6 neighbour advertisement or solicitation (`kind` 136/135) for
/// TARGET with one link-layer address option carrying GROUP_MAC, and a
/// correct checksum.
fn ndisc(kind: u8, dst: [u8; 16]) -> Vec<u8> {
    let opt = if kind == 136 { 2 } else { 1 };
    let mut icmp = vec![kind, 0, 0, 0, 0x60, 0, 0, 0];
    icmp.extend_from_slice(&TARGET);
    icmp.extend_from_slice(&[opt, 1]);
    icmp.extend_from_slice(&GROUP_MAC);
    let c = icmpv6_checksum(&LL_SRC, &dst, &icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    let mut ip6 = vec![0x60, 0, 0, 0];
    ip6.extend_from_slice(&(icmp.len() as u16).to_be_bytes());
    ip6.extend_from_slice(&[58, 255]);
    ip6.extend_from_slice(&LL_SRC);
    ip6.extend_from_slice(&dst);
    ip6.extend_from_slice(&icmp);
    ip6
}

const ALL_NODES: [u8; 16] = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

#[test]
fn unicast_data_is_spread_per_flow() {
    let f = eth(MEMBER_MAC, ETH_P_IP, &ipv4([192, 0, 2, 2]));
    assert_eq!(tx_path(&f), TxPath::Flow);
}

#[test]
fn broadcast_and_multicast_go_to_the_nominee_of_their_family() {
    let bcast = eth([0xff; 6], ETH_P_IP, &ipv4([192, 0, 2, 255]));
    assert_eq!(tx_path(&bcast), TxPath::Nominee(Role::V4Broadcast));
    let mcast = eth([0x01, 0, 0x5e, 0, 0, 1], ETH_P_IP, &ipv4([224, 0, 0, 1]));
    assert_eq!(tx_path(&mcast), TxPath::Nominee(Role::V4Multicast));
    let mut udp6 = ndisc(136, ALL_NODES);
    udp6[6] = 17; // not ICMPv6: plain multicast data
    let v6 = eth([0x33, 0x33, 0, 0, 0, 1], ETH_P_IPV6, &udp6);
    assert_eq!(tx_path(&v6), TxPath::Nominee(Role::V6Multicast));
    let lldp = eth([0x01, 0x80, 0xc2, 0, 0, 0x0e], 0x88cc, &[0; 32]);
    assert_eq!(tx_path(&lldp), TxPath::Nominee(Role::V4Broadcast));
}

#[test]
fn arp_and_neighbour_discovery_are_recognised() {
    let req = eth(
        [0xff; 6],
        ETH_P_ARP,
        &arp(1, [192, 0, 2, 10], [192, 0, 2, 2]),
    );
    assert_eq!(
        tx_path(&req),
        TxPath::Arp {
            sender: [192, 0, 2, 10]
        }
    );
    let na = eth([0x33, 0x33, 0, 0, 0, 1], ETH_P_IPV6, &ndisc(136, ALL_NODES));
    assert_eq!(tx_path(&na), TxPath::Ndisc { addr: Some(TARGET) });
    let ns = eth([0x33, 0x33, 0, 0, 0, 1], ETH_P_IPV6, &ndisc(135, ALL_NODES));
    assert_eq!(
        tx_path(&ns),
        TxPath::Ndisc { addr: Some(LL_SRC) },
        "a solicitation speaks for its source"
    );
    let mut dad = ndisc(135, ALL_NODES);
    dad[8..24].fill(0);
    let dad = eth([0x33, 0x33, 0, 0, 0, 1], ETH_P_IPV6, &dad);
    assert_eq!(
        tx_path(&dad),
        TxPath::Ndisc { addr: None },
        "duplicate address detection"
    );
    // Truncated ARP is just a frame.
    let short = eth([0xff; 6], ETH_P_ARP, &[0, 1, 8, 0, 6]);
    assert_eq!(tx_path(&short), TxPath::Nominee(Role::V4Broadcast));
    // Too short for an Ethernet header: spread as a flow, never a panic.
    assert_eq!(tx_path(&[1, 2, 3]), TxPath::Flow);
}

#[test]
fn arp_sender_hardware_address_is_rewritten() {
    let mut f = eth(
        [0xff; 6],
        ETH_P_ARP,
        &arp(2, [192, 0, 2, 10], [192, 0, 2, 2]),
    );
    assert!(rewrite_arp_sender(&mut f, &MEMBER_MAC));
    assert_eq!(&f[22..28], &MEMBER_MAC);
    assert_eq!(&f[28..32], &[192, 0, 2, 10], "sender IP untouched");
    assert!(!rewrite_arp_sender(&mut [0u8; 20], &MEMBER_MAC));
}

#[test]
fn ndisc_link_layer_option_is_rewritten_with_a_valid_checksum() {
    for kind in [135u8, 136] {
        let mut f = eth(
            [0x33, 0x33, 0, 0, 0, 1],
            ETH_P_IPV6,
            &ndisc(kind, ALL_NODES),
        );
        assert!(rewrite_ndisc_lladdr(&mut f, &MEMBER_MAC));
        let icmp = &f[ETH_HLEN + IPV6_HLEN..];
        assert_eq!(&icmp[26..32], &MEMBER_MAC, "option rewritten (type {kind})");
        let mut zeroed = icmp.to_vec();
        zeroed[2] = 0;
        zeroed[3] = 0;
        let want = icmpv6_checksum(&LL_SRC, &ALL_NODES, &zeroed);
        assert_eq!(
            u16::from_be_bytes([icmp[2], icmp[3]]),
            want,
            "checksum (type {kind})"
        );
    }
}

#[test]
fn malformed_ndisc_options_are_refused_not_overrun() {
    let mut ip6 = ndisc(136, ALL_NODES);
    let opt_len_at = IPV6_HLEN + 24 + 1;
    ip6[opt_len_at] = 0; // zero-length option: would loop forever
    let mut f = eth([0x33, 0x33, 0, 0, 0, 1], ETH_P_IPV6, &ip6);
    assert!(!rewrite_ndisc_lladdr(&mut f, &MEMBER_MAC));
    ip6[opt_len_at] = 9; // runs past the end
    let mut f = eth([0x33, 0x33, 0, 0, 0, 1], ETH_P_IPV6, &ip6);
    rewrite_ndisc_lladdr(&mut f, &MEMBER_MAC);
    ip6[4] = 0xff; // payload length past the frame
    let mut f = eth([0x33, 0x33, 0, 0, 0, 1], ETH_P_IPV6, &ip6);
    assert!(!rewrite_ndisc_lladdr(&mut f, &MEMBER_MAC));
}

#[test]
fn checksum_replace_matches_a_full_recomputation() {
    let data = [0x12u8, 0x34, 0xab, 0xcd, 0xff, 0xff, 0x00, 0x01];
    let sum = |d: &[u8]| {
        let mut s: u32 = d
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
            .sum();
        while s > 0xffff {
            s = (s & 0xffff) + (s >> 16);
        }
        !(s as u16)
    };
    let mut changed = data;
    changed[2..6].copy_from_slice(&[0x00, 0x00, 0x80, 0x01]);
    assert_eq!(
        checksum_replace(sum(&data), &data[2..6], &changed[2..6]),
        sum(&changed)
    );
}

#[test]
fn received_packets_name_their_candidate_own_addresses() {
    let all = OwnKinds::ALL;
    let a = arp(1, [192, 0, 2, 2], [192, 0, 2, 21]);
    assert_eq!(
        own_candidates(ETH_P_ARP, &a, all),
        OwnCandidates::V4([192, 0, 2, 21])
    );
    assert_eq!(
        own_candidates(ETH_P_IP, &ipv4([192, 0, 2, 21]), all),
        OwnCandidates::V4([192, 0, 2, 21])
    );
    // A multicast destination is nobody's own address; the target is.
    let ns = ndisc(135, ALL_NODES);
    assert_eq!(
        own_candidates(ETH_P_IPV6, &ns, all),
        OwnCandidates::V6(None, Some(TARGET))
    );
    let mut udp6 = ndisc(135, TARGET);
    udp6[6] = 17;
    assert_eq!(
        own_candidates(ETH_P_IPV6, &udp6, all),
        OwnCandidates::V6(Some(TARGET), None)
    );
    assert_eq!(
        own_candidates(ETH_P_IP, &[0x45; 10], all),
        OwnCandidates::None
    );
    assert_eq!(own_candidates(0x88cc, &[0; 64], all), OwnCandidates::None);
    assert_eq!(own_candidates_len(ETH_P_ARP, all), 28);
}

#[test]
fn a_member_without_test_addresses_costs_data_packets_no_lookup() {
    let link_local = {
        let mut a = [0u8; 16];
        a[0] = 0xfe;
        a[1] = 0x80;
        a[15] = 7;
        a
    };
    // Only a link-local IPv6 address: IPv4 is never looked up, nor a
    // global IPv6 destination; link-local ones are.
    let own = OwnKinds::of(&[Addr::V6(link_local)]);
    assert_eq!(own, OwnKinds::NONE);
    assert_eq!(own_candidates_len(ETH_P_IP, own), 0);
    assert_eq!(own_candidates_len(ETH_P_ARP, own), 0);
    assert_eq!(
        own_candidates(ETH_P_IP, &ipv4([192, 0, 2, 21]), own),
        OwnCandidates::None
    );
    let mut udp6 = ndisc(135, TARGET);
    udp6[6] = 17;
    assert_eq!(own_candidates(ETH_P_IPV6, &udp6, own), OwnCandidates::None);
    let to_ll = ndisc(135, link_local);
    assert_eq!(
        own_candidates(ETH_P_IPV6, &to_ll, own),
        OwnCandidates::V6(Some(link_local), None)
    );
    // A neighbour solicitation for a global target is not the member's.
    assert_eq!(
        own_candidates(ETH_P_IPV6, &ndisc(135, ALL_NODES), own),
        OwnCandidates::None
    );
    // An IPv4 test address makes IPv4 looked up, and only IPv4.
    let v4 = own.with(&Addr::V4([192, 0, 2, 21]));
    assert_eq!(
        own_candidates(ETH_P_IP, &ipv4([192, 0, 2, 21]), v4),
        OwnCandidates::V4([192, 0, 2, 21])
    );
    assert_eq!(own_candidates(ETH_P_IPV6, &udp6, v4), OwnCandidates::None);
    // A global IPv6 test address makes global destinations looked up.
    let v6 = OwnKinds::of(&[Addr::V6(TARGET)]);
    assert_eq!(
        own_candidates(ETH_P_IPV6, &udp6, v6),
        OwnCandidates::V6(Some(TARGET), None)
    );
    assert_eq!(OwnKinds::from_bits(v6.bits() | v4.bits()), OwnKinds::ALL);
}

#[test]
fn the_receive_rule() {
    use Arrival::*;
    use RxVerdict::*;
    // (for_member, active, arrival, nominee, to_group_mac) -> verdict
    let table = [
        ((true, false, ToMember, false, false), Member), // probe reply on an inactive member
        ((true, true, Multi, true, false), Member),      // ARP for a test address
        ((false, false, ToMember, false, false), Exact), // data on an inactive member
        ((false, false, Multi, true, false), Exact),
        ((false, true, ToMember, false, false), Group), // data on an active member
        ((false, true, Multi, true, false), Group),     // broadcast on the nominee
        ((false, true, Multi, false, false), Exact),    // ...and on the others
        ((false, true, ToOther, false, true), Group),   // sent to the group's own MAC
        ((false, true, ToOther, false, false), Member), // someone else's: the member drops it
        ((false, true, Reflected, true, false), Exact), // the group's own, flooded back
        ((false, false, Reflected, false, false), Exact),
        ((true, true, Reflected, true, false), Member), // a member's DAD for its own address
    ];
    for ((m, a, arr, n, g), want) in table {
        assert_eq!(rx_verdict(m, a, arr, n, g), want, "{:?}", (m, a, arr, n, g));
    }
    assert_eq!(rx_role(ETH_P_IP, true), Role::V4Broadcast);
    assert_eq!(rx_role(ETH_P_IP, false), Role::V4Multicast);
    assert_eq!(rx_role(ETH_P_ARP, true), Role::V4Broadcast);
    assert_eq!(rx_role(ETH_P_IPV6, false), Role::V6Multicast);
}
