//! ICMP and ICMPv6 messages, and the datagram an ICMP error quotes.
//!
//! Takes: the bytes of an ICMP or ICMPv6 message (after the IP header).
//! Gives: an [`IcmpMessage`]: echo id and sequence, or for destination-unreachable and
//! time-exceeded errors the [`OriginalDatagram`] they are about (addresses, protocol, ports).
//! Follows: RFC 792 (ICMP types 0, 3, 8, 11) and RFC 4443 (ICMPv6 types 1, 3, 128, 129); the
//! quote holds the original IP header and at least 8 bytes of its payload (RFC 792), as much as
//! fits (RFC 4443 §2.4), or less when the capture cut it.
//!
//! Invariants: no allocation; a quote too short for an IP header gives `original: None`, one
//! too short for the ports gives `src_port: None`.

use etherparse::{Icmpv4Slice, Icmpv6Slice, LaxIpSlice};

use super::{IcmpKind, IcmpMessage, OriginalDatagram};

/// Protocols whose first 4 bytes are source and destination port: TCP, UDP, SCTP, UDP-Lite.
const PORTED: [u8; 4] = [6, 17, 132, 136];

/// ICMP types per version: echo reply, echo request, unreachable, time exceeded.
struct Types {
    echo_reply: u8,
    echo_request: u8,
    unreachable: u8,
    time_exceeded: u8,
}

const V4: Types = Types {
    echo_reply: 0,
    echo_request: 8,
    unreachable: 3,
    time_exceeded: 11,
};
const V6: Types = Types {
    echo_reply: 129,
    echo_request: 128,
    unreachable: 1,
    time_exceeded: 3,
};

pub(super) fn v4(data: &[u8]) -> Option<IcmpMessage<'_>> {
    let icmp = Icmpv4Slice::from_slice(data).ok()?;
    Some(message(
        false,
        icmp.type_u8(),
        icmp.code_u8(),
        icmp.bytes5to8(),
        icmp.payload(),
    ))
}

pub(super) fn v6(data: &[u8]) -> Option<IcmpMessage<'_>> {
    let icmp = Icmpv6Slice::from_slice(data).ok()?;
    Some(message(
        true,
        icmp.type_u8(),
        icmp.code_u8(),
        icmp.bytes5to8(),
        icmp.payload(),
    ))
}

fn message(v6: bool, icmp_type: u8, code: u8, rest: [u8; 4], payload: &[u8]) -> IcmpMessage<'_> {
    let types = if v6 { &V6 } else { &V4 };
    let id = u16::from_be_bytes([rest[0], rest[1]]);
    let seq = u16::from_be_bytes([rest[2], rest[3]]);
    let kind = match icmp_type {
        t if t == types.echo_request => IcmpKind::EchoRequest { id, seq },
        t if t == types.echo_reply => IcmpKind::EchoReply { id, seq },
        t if t == types.unreachable => IcmpKind::Unreachable {
            original: original(payload),
        },
        t if t == types.time_exceeded => IcmpKind::TimeExceeded {
            original: original(payload),
        },
        _ => IcmpKind::Other,
    };
    IcmpMessage {
        v6,
        icmp_type,
        code,
        kind,
        payload,
    }
}

/// The quoted IP header and, for a first fragment of a ported protocol, its ports.
fn original(quote: &[u8]) -> Option<OriginalDatagram> {
    let (ip, _) = LaxIpSlice::from_slice(quote).ok()?;
    let first_fragment = match &ip {
        LaxIpSlice::Ipv4(v4) => v4.header().fragments_offset().value() == 0,
        LaxIpSlice::Ipv6(v6) => !v6.is_payload_fragmented(),
    };
    let payload = ip.payload();
    let protocol = payload.ip_number.0;
    let ports = match payload.payload {
        [a, b, c, d, ..] if first_fragment && PORTED.contains(&protocol) => {
            Some((u16::from_be_bytes([*a, *b]), u16::from_be_bytes([*c, *d])))
        }
        _ => None,
    };
    Some(OriginalDatagram {
        src: ip.source_addr(),
        dst: ip.destination_addr(),
        protocol,
        src_port: ports.map(|p| p.0),
        dst_port: ports.map(|p| p.1),
    })
}

#[cfg(test)]
mod tests {
    use super::super::testdata::*;
    use super::super::{Decoded, Transport, decode};
    use super::*;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    const CPE: [u8; 4] = [192, 0, 2, 1];
    const ACS: [u8; 4] = [198, 51, 100, 20];
    const ROUTER: [u8; 4] = [203, 0, 113, 1];

    fn icmp_of(d: Decoded<'_>) -> IcmpMessage<'_> {
        match d {
            Decoded::Ip(ip) => match ip.transport {
                Transport::Icmp(m) => m,
                other => panic!("not ICMP: {other:?}"),
            },
            other => panic!("not IP: {other:?}"),
        }
    }

    #[test]
    fn echo_request_and_reply_carry_id_and_sequence() {
        let request = ipv4(
            1,
            CPE,
            ACS,
            &[8, 0, 0, 0, 0x12, 0x34, 0, 7, b'p', b'i', b'n', b'g'],
        );
        let m = icmp_of(decode(101, &request));
        assert_eq!((m.v6, m.icmp_type, m.code), (false, 8, 0));
        assert_eq!(m.kind, IcmpKind::EchoRequest { id: 0x1234, seq: 7 });
        assert_eq!(m.payload, b"ping");
        let reply = ipv6(58, V6_B, V6_A, &[129, 0, 0, 0, 0, 1, 0, 2]);
        let m = icmp_of(decode(101, &reply));
        assert_eq!(
            (m.v6, m.kind),
            (true, IcmpKind::EchoReply { id: 1, seq: 2 })
        );
        // ICMPv6 numbers inside IPv4 (and the reverse) are not ICMP.
        let odd = ipv4(58, CPE, ACS, &[128, 0, 0, 0, 0, 1, 0, 2]);
        assert!(
            matches!(decode(101, &odd), Decoded::Ip(ip) if ip.transport == Transport::Other { protocol: 58 })
        );
    }

    #[test]
    fn port_unreachable_names_the_datagram_it_is_about() {
        // The router answers the CPE's UDP datagram (CPE:50000 → ACS:3478) with 3/3; the quote
        // is the original IP header and the first 8 bytes of UDP.
        let original = ipv4(17, CPE, ACS, &udp(50000, 3478, &[0; 20]));
        let error = ipv4(
            1,
            ROUTER,
            CPE,
            &cat(&[&[3, 3, 0, 0, 0, 0, 0, 0], &original[..28]]),
        );
        let m = icmp_of(decode(101, &error));
        assert_eq!(m.code, 3);
        assert_eq!(
            m.kind,
            IcmpKind::Unreachable {
                original: Some(OriginalDatagram {
                    src: IpAddr::V4(Ipv4Addr::from(CPE)),
                    dst: IpAddr::V4(Ipv4Addr::from(ACS)),
                    protocol: 17,
                    src_port: Some(50000),
                    dst_port: Some(3478),
                })
            }
        );
    }

    #[test]
    fn ipv6_time_exceeded_quotes_a_tcp_segment() {
        let original = ipv6(6, V6_A, V6_B, &tcp(40000, 7547, 0x02, &[]));
        let error = ipv6(
            58,
            V6_B,
            V6_A,
            &cat(&[&[3, 0, 0, 0, 0, 0, 0, 0], &original]),
        );
        let m = icmp_of(decode(101, &error));
        let IcmpKind::TimeExceeded { original: Some(o) } = m.kind else {
            panic!("{:?}", m.kind)
        };
        assert_eq!(o.src, IpAddr::V6(Ipv6Addr::from(V6_A)));
        assert_eq!(
            (o.protocol, o.src_port, o.dst_port),
            (6, Some(40000), Some(7547))
        );
    }

    #[test]
    fn short_quotes_give_what_they_hold() {
        let original = ipv4(6, CPE, ACS, &tcp(40000, 7547, 0x02, &[]));
        let header_only = ipv4(
            1,
            ROUTER,
            CPE,
            &cat(&[&[11, 0, 0, 0, 0, 0, 0, 0], &original[..22]]),
        );
        let IcmpKind::TimeExceeded { original: Some(o) } = icmp_of(decode(101, &header_only)).kind
        else {
            panic!("no original")
        };
        assert_eq!((o.protocol, o.src_port, o.dst_port), (6, None, None));
        let too_short = ipv4(
            1,
            ROUTER,
            CPE,
            &cat(&[&[3, 1, 0, 0, 0, 0, 0, 0], &original[..12]]),
        );
        assert_eq!(
            icmp_of(decode(101, &too_short)).kind,
            IcmpKind::Unreachable { original: None }
        );
        let redirect = ipv4(1, ROUTER, CPE, &[5, 1, 0, 0, 10, 0, 0, 1]);
        assert_eq!(icmp_of(decode(101, &redirect)).kind, IcmpKind::Other);
    }
}
