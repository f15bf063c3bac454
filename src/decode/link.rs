//! Link layers: Ethernet with VLAN tags, Linux cooked v1/v2, BSD null and OpenBSD loopback.
//!
//! Takes: a frame's bytes and its link type.
//! Gives: the EtherType and payload handed on to IP or PPPoE, with the [`Encap`] facts (MACs,
//! VLAN ids) filled in.
//! Follows: IEEE 802.3 / Ethernet II; IEEE 802.1Q (0x8100) and 802.1ad (0x88a8, and the
//! pre-standard 0x9100) tags; tcpdump.org's LINKTYPE_LINUX_SLL/SLL2, LINKTYPE_NULL and
//! LINKTYPE_LOOP definitions.
//!
//! Invariants: every VLAN tag consumes 4 bytes, so the tag loop ends; the null link's family is
//! in the capturing host's byte order, recognised in either order as Wireshark does (a value
//! with its upper 16 bits set was written by a host of the other order).

use etherparse::{Ethernet2Slice, SingleVlanSlice};

use super::{Decoded, Encap, ip, pppoe};

const IPV4: u16 = 0x0800;
const IPV6: u16 = 0x86dd;
const VLAN_8021Q: u16 = 0x8100;
const VLAN_8021AD: u16 = 0x88a8;
const VLAN_QINQ_OLD: u16 = 0x9100;
const PPPOE_DISCOVERY: u16 = 0x8863;
const PPPOE_SESSION: u16 = 0x8864;

fn malformed(layer: &'static str, reason: &'static str) -> Decoded<'static> {
    Decoded::Malformed { layer, reason }
}

pub(super) fn ethernet(data: &[u8]) -> Decoded<'_> {
    let Ok(eth) = Ethernet2Slice::from_slice_without_fcs(data) else {
        return malformed("ethernet", "shorter than an Ethernet header");
    };
    let encap = Encap {
        src_mac: Some(eth.source()),
        dst_mac: Some(eth.destination()),
        ..Encap::default()
    };
    ether_type(eth.ether_type().0, eth.payload_slice(), encap)
}

/// Follows VLAN tags to the protocol the EtherType names.
pub(super) fn ether_type(mut ether_type: u16, mut payload: &[u8], mut encap: Encap) -> Decoded<'_> {
    let mut tags = 0;
    loop {
        match ether_type {
            VLAN_8021Q | VLAN_8021AD | VLAN_QINQ_OLD => {
                let Ok(tag) = SingleVlanSlice::from_slice(payload) else {
                    return malformed("vlan", "VLAN tag cut short");
                };
                if let Some(slot) = encap.vlans.get_mut(tags) {
                    *slot = Some(tag.vlan_identifier().value());
                }
                tags += 1;
                ether_type = tag.ether_type().0;
                payload = tag.payload_slice();
            }
            IPV4 | IPV6 => return ip::decode(payload, encap),
            PPPOE_DISCOVERY => return pppoe::discovery(payload, encap),
            PPPOE_SESSION => return pppoe::session(payload, encap),
            other => return Decoded::NotIp { ether_type: other },
        }
    }
}

/// Linux cooked capture v1: packet type, ARPHRD type, address length, 8 address bytes,
/// protocol.
pub(super) fn sll(data: &[u8]) -> Decoded<'_> {
    if data.len() < 16 {
        return malformed("sll", "shorter than a Linux cooked header");
    }
    let addr_len = u16::from_be_bytes([data[4], data[5]]);
    let protocol = u16::from_be_bytes([data[14], data[15]]);
    cooked(protocol, addr_len, &data[6..14], &data[16..])
}

/// Linux cooked capture v2: protocol, reserved, interface index, ARPHRD type, packet type,
/// address length, 8 address bytes.
pub(super) fn sll2(data: &[u8]) -> Decoded<'_> {
    if data.len() < 20 {
        return malformed("sll2", "shorter than a Linux cooked v2 header");
    }
    let protocol = u16::from_be_bytes([data[0], data[1]]);
    cooked(protocol, u16::from(data[11]), &data[12..20], &data[20..])
}

fn cooked<'a>(protocol: u16, addr_len: u16, addr: &[u8], payload: &'a [u8]) -> Decoded<'a> {
    let mut encap = Encap::default();
    if addr_len == 6 {
        encap.src_mac = addr.get(..6).and_then(|a| a.try_into().ok());
    }
    // Below 0x0600 the protocol is one of Linux's pseudo types (802.3 frame, 802.2 LLC, CAN, …),
    // not an EtherType; `ether_type` reports it as not IP.
    ether_type(protocol, payload, encap)
}

/// BSD address families that mean IP: AF_INET, and AF_INET6 as NetBSD/OpenBSD (24), FreeBSD
/// (28) and macOS (30) number it.
fn is_ip_family(family: u32) -> bool {
    matches!(family, 2 | 24 | 28 | 30)
}

/// LINKTYPE_NULL (host byte order) or, with `network_order`, LINKTYPE_LOOP.
pub(super) fn null(data: &[u8], network_order: bool) -> Decoded<'_> {
    let Some(word) = data.get(..4).and_then(|w| <[u8; 4]>::try_from(w).ok()) else {
        return malformed("null", "shorter than a loopback header");
    };
    let family = if network_order {
        u32::from_be_bytes(word)
    } else {
        let le = u32::from_le_bytes(word);
        if le & 0xffff_0000 == 0 {
            le
        } else {
            u32::from_be_bytes(word)
        }
    };
    if is_ip_family(family) {
        ip::decode(&data[4..], Encap::default())
    } else {
        Decoded::NotIp { ether_type: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testdata::*;
    use super::super::{Transport, decode};
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    const A: [u8; 4] = [192, 0, 2, 1];
    const B: [u8; 4] = [198, 51, 100, 20];

    fn syn() -> Vec<u8> {
        ipv4(6, A, B, &tcp(50001, 7547, 0x02, &[]))
    }

    fn ip_of(d: Decoded<'_>) -> super::super::IpPacket<'_> {
        match d {
            Decoded::Ip(ip) => ip,
            other => panic!("not IP: {other:?}"),
        }
    }

    #[test]
    fn ethernet_ipv4_tcp_with_padding_trimmed() {
        let frame = eth(IPV4, &ipv4(6, A, B, &tcp(50001, 7547, 0x18, b"GET ")));
        assert_eq!(frame.len(), 60, "padded to the Ethernet minimum");
        let ip = ip_of(decode(1, &frame));
        assert_eq!(ip.src, IpAddr::V4(Ipv4Addr::from(A)));
        assert_eq!(ip.encap.src_mac, Some(MAC_B));
        assert_eq!(ip.encap.dst_mac, Some(MAC_A));
        assert_eq!(
            (ip.encap.vlans, ip.encap.pppoe_session),
            ([None, None], None)
        );
        let Transport::Tcp(seg) = ip.transport else {
            panic!("not TCP")
        };
        assert_eq!(seg.payload, b"GET ");
    }

    #[test]
    fn vlan_and_qinq_tags_are_recorded_outer_first() {
        let tag = |tpid: u16, id: u16, inner: u16| {
            cat(&[&tpid.to_be_bytes(), &id.to_be_bytes(), &inner.to_be_bytes()])
        };
        // 802.1Q: the first tag's TPID is the Ethernet type, then TCI and the inner type.
        let q = eth(
            VLAN_8021Q,
            &cat(&[&100u16.to_be_bytes(), &IPV4.to_be_bytes(), &syn()]),
        );
        assert_eq!(ip_of(decode(1, &q)).encap.vlans, [Some(100), None]);
        for outer in [VLAN_8021AD, VLAN_QINQ_OLD] {
            let inner = cat(&[&tag(VLAN_8021Q, 100, IPV4)[2..], &syn()]);
            let frame = eth(
                outer,
                &cat(&[&0x20c8u16.to_be_bytes(), &VLAN_8021Q.to_be_bytes(), &inner]),
            );
            // PCP 1 in the outer TCI must not leak into the id: 0x20c8 → VLAN 200.
            assert_eq!(ip_of(decode(1, &frame)).encap.vlans, [Some(200), Some(100)]);
        }
        let three = eth(
            VLAN_8021AD,
            &cat(&[
                &[0, 1],
                &tag(VLAN_8021Q, 2, VLAN_8021Q)[..],
                &[0, 3],
                &IPV4.to_be_bytes(),
                &syn(),
            ]),
        );
        let ip = ip_of(decode(1, &three));
        assert_eq!(ip.encap.vlans, [Some(1), Some(2)]);
        assert!(matches!(ip.transport, Transport::Tcp(_)));
    }

    #[test]
    fn other_ethernet_payloads_are_not_ip() {
        assert_eq!(
            decode(1, &eth(0x0806, &[0; 28])),
            Decoded::NotIp { ether_type: 0x0806 }
        );
        assert_eq!(
            decode(1, &eth(0x88cc, &[])),
            Decoded::NotIp { ether_type: 0x88cc }
        );
        // IEEE 802.3 with LLC: the field is a length.
        assert_eq!(
            decode(1, &eth(38, &[0x42; 38])),
            Decoded::NotIp { ether_type: 38 }
        );
    }

    #[test]
    fn short_frames_are_malformed_at_their_layer() {
        assert_eq!(
            decode(1, &MAC_A),
            Decoded::Malformed {
                layer: "ethernet",
                reason: "shorter than an Ethernet header"
            }
        );
        let cut = cat(&[&MAC_A, &MAC_B, &VLAN_8021Q.to_be_bytes(), &[0, 100]]);
        assert!(matches!(
            decode(1, &cut),
            Decoded::Malformed { layer: "vlan", .. }
        ));
        assert!(matches!(
            decode(113, &[0; 15]),
            Decoded::Malformed { layer: "sll", .. }
        ));
        assert!(matches!(
            decode(276, &[0; 19]),
            Decoded::Malformed { layer: "sll2", .. }
        ));
        assert!(matches!(
            decode(0, &[2, 0, 0]),
            Decoded::Malformed { layer: "null", .. }
        ));
    }

    #[test]
    fn linux_cooked_v1_and_v2() {
        // v1: outgoing (4), ARPHRD_ETHER (1), address length 6, address + 2 pad, IPv4.
        let v1 = cat(&[
            &[0, 4, 0, 1, 0, 6],
            &MAC_B,
            &[0, 0],
            &IPV4.to_be_bytes(),
            &syn(),
        ]);
        let ip = ip_of(decode(113, &v1));
        assert_eq!((ip.encap.src_mac, ip.encap.dst_mac), (Some(MAC_B), None));
        // v2: IPv6, reserved, ifindex 2, ARPHRD_PPP (512), incoming (0), address length 0.
        let v6 = ipv6(17, V6_A, V6_B, &udp(546, 547, b"x"));
        let v2 = cat(&[
            &IPV6.to_be_bytes(),
            &[0, 0],
            &[0, 0, 0, 2],
            &[2, 0, 0, 0],
            &[0; 8],
            &v6,
        ]);
        let ip = ip_of(decode(276, &v2));
        assert_eq!(ip.encap.src_mac, None);
        assert!(matches!(ip.transport, Transport::Udp(u) if u.dst_port == 547));
        // Linux pseudo protocol 0x0004 (802.2 LLC) on a v1 header.
        let llc = cat(&[&[0, 0, 0, 1, 0, 6], &MAC_B, &[0, 0], &[0, 4], &[0x42; 10]]);
        assert_eq!(decode(113, &llc), Decoded::NotIp { ether_type: 4 });
    }

    #[test]
    fn bsd_null_reads_the_family_in_either_byte_order() {
        let v6 = ipv6(6, V6_A, V6_B, &tcp(1, 2, 0x10, &[]));
        for (family, packet) in [
            ([2, 0, 0, 0], syn()),
            ([0, 0, 0, 2], syn()),
            ([30, 0, 0, 0], v6.clone()),
            ([0, 0, 0, 24], v6.clone()),
            ([28, 0, 0, 0], v6.clone()),
        ] {
            ip_of(decode(0, &cat(&[&family, &packet])));
        }
        assert_eq!(
            decode(0, &cat(&[&[7, 0, 0, 0], &syn()])),
            Decoded::NotIp { ether_type: 0 }
        );
        // OpenBSD loop: network order only.
        ip_of(decode(108, &cat(&[&[0, 0, 0, 2], &syn()])));
        assert_eq!(
            decode(108, &cat(&[&[2, 0, 0, 0], &syn()])),
            Decoded::NotIp { ether_type: 0 }
        );
    }

    #[test]
    fn raw_ip_link_types_and_unsupported_ones() {
        for link_type in [101, 12, 14, 228] {
            assert_eq!(ip_of(decode(link_type, &syn())).encap, Encap::default());
        }
        ip_of(decode(229, &ipv6(59, V6_A, V6_B, &[])));
        assert_eq!(decode(105, &syn()), Decoded::Unsupported { link_type: 105 });
    }
}
