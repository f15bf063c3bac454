//! IPv4/IPv6 and the transport above them: TCP, UDP, ICMP, ICMPv6.
//!
//! Takes: the bytes where an IP header starts, and the [`Encap`] the link layer found.
//! Gives: an [`IpPacket`] borrowing its payload from those bytes, or [`Decoded::Malformed`].
//! Follows: RFC 791 (IPv4: IHL, options, total length), RFC 8200 (IPv6 and its extension
//! headers), RFC 9293 (TCP data offset and options), RFC 768 (UDP); sliced with etherparse's
//! lax slices, which fall back to the captured length when a packet is cut short.
//!
//! Invariants: no allocation; the IPv4 total length (or IPv6 payload length) trims link
//! padding; a snaplen-cut packet gives the bytes captured (`payload` shorter than the headers
//! say), never an error, unless the transport header itself is cut.

use etherparse::{LaxIpSlice, TcpSlice, UdpSlice, err};

use super::{Decoded, Encap, IpPacket, TcpFlags, TcpSegment, Transport, UdpDatagram, icmp};

const ICMP: u8 = 1;
const TCP: u8 = 6;
const UDP: u8 = 17;
const ICMPV6: u8 = 58;

pub(super) fn decode(data: &[u8], encap: Encap) -> Decoded<'_> {
    use err::ip::HeaderError;
    use err::ip::LaxHeaderSliceError as E;
    let ip = match LaxIpSlice::from_slice(data) {
        Ok((ip, None)) => ip,
        // An IPv6 extension header (or IPv4 authentication header) cut short or invalid: the
        // transport cannot be found.
        Ok((LaxIpSlice::Ipv4(_), Some(_))) => {
            return malformed("ipv4", "authentication header cut short or invalid");
        }
        Ok((LaxIpSlice::Ipv6(_), Some(_))) => {
            return malformed("ipv6", "extension header cut short or invalid");
        }
        Err(E::Len(_)) => return malformed("ip", "IP header cut short"),
        Err(E::Content(HeaderError::UnsupportedIpVersion { .. })) => {
            return malformed("ip", "IP version is neither 4 nor 6");
        }
        Err(E::Content(HeaderError::Ipv4HeaderLengthSmallerThanHeader { .. })) => {
            return malformed("ipv4", "IPv4 header length below 20 bytes");
        }
    };
    let (ttl, v6) = match &ip {
        LaxIpSlice::Ipv4(v4) => (v4.header().ttl(), false),
        LaxIpSlice::Ipv6(v6) => (v6.header().hop_limit(), true),
    };
    // What the IP header announces beyond the captured bytes: with the transport header whole, all of
    // it is transport payload cut by the snapshot length. (Link padding makes `data` longer, never
    // shorter; an IPv6 jumbogram's payload length 0 announces nothing.)
    let announced = match &ip {
        LaxIpSlice::Ipv4(v4) => usize::from(v4.header().total_len()),
        LaxIpSlice::Ipv6(v6) => 40 + usize::from(v6.header().payload_length()),
    };
    let cut = u32::try_from(announced.saturating_sub(data.len())).unwrap_or(u32::MAX);
    let payload = ip.payload();
    let protocol = payload.ip_number.0;
    let transport = if payload.fragmented {
        Transport::Other { protocol }
    } else {
        match transport(protocol, payload.payload, v6, cut) {
            Ok(t) => t,
            Err(layer) => return malformed(layer, "header cut short"),
        }
    };
    Decoded::Ip(IpPacket {
        src: ip.source_addr(),
        dst: ip.destination_addr(),
        ttl,
        fragment: payload.fragmented,
        transport,
        encap,
    })
}

fn malformed(layer: &'static str, reason: &'static str) -> Decoded<'static> {
    Decoded::Malformed { layer, reason }
}

/// The transport above IP; `Err` names the layer whose header is cut short or invalid.
fn transport(protocol: u8, data: &[u8], v6: bool, cut: u32) -> Result<Transport<'_>, &'static str> {
    Ok(match protocol {
        TCP => {
            let tcp = TcpSlice::from_slice(data).map_err(|_| "tcp")?;
            Transport::Tcp(TcpSegment {
                src_port: tcp.source_port(),
                dst_port: tcp.destination_port(),
                seq: tcp.sequence_number(),
                ack: tcp.acknowledgment_number(),
                flags: TcpFlags {
                    syn: tcp.syn(),
                    ack: tcp.ack(),
                    fin: tcp.fin(),
                    rst: tcp.rst(),
                    psh: tcp.psh(),
                },
                window: tcp.window_size(),
                payload: tcp.payload(),
                cut,
            })
        }
        UDP => {
            let udp = UdpSlice::from_slice_lax(data).map_err(|_| "udp")?;
            Transport::Udp(UdpDatagram {
                src_port: udp.source_port(),
                dst_port: udp.destination_port(),
                payload: udp.payload(),
            })
        }
        // ICMP is read by the IP version, not the number alone: ICMPv6 in IPv4 is nonsense.
        ICMP if !v6 => Transport::Icmp(icmp::v4(data).ok_or("icmp")?),
        ICMPV6 if v6 => Transport::Icmp(icmp::v6(data).ok_or("icmpv6")?),
        other => Transport::Other { protocol: other },
    })
}

#[cfg(test)]
mod tests {
    use super::super::testdata::*;
    use super::*;
    use std::net::{IpAddr, Ipv6Addr};

    const A: [u8; 4] = [10, 24, 34, 7];
    const B: [u8; 4] = [10, 255, 255, 35];

    fn packet(d: Decoded<'_>) -> IpPacket<'_> {
        match d {
            Decoded::Ip(ip) => ip,
            other => panic!("not IP: {other:?}"),
        }
    }

    #[test]
    fn ipv4_options_and_tcp_options_are_skipped() {
        // IHL 6: one 4-byte option word (NOP NOP NOP EOL).
        let mut v4 = ipv4(6, A, B, &[]);
        v4[0] = 0x46;
        v4.extend([1, 1, 1, 0]);
        // TCP data offset 8: 12 bytes of options (MSS, SACK-permitted, window scale, NOPs).
        let mut seg = tcp(8080, 40000, 0x12, &[]);
        seg[12] = 8 << 4;
        seg.extend([2, 4, 5, 0xb4, 4, 2, 3, 3, 7, 1, 1, 1]);
        seg.extend(b"HTTP/1.1 204");
        let total = (v4.len() + seg.len()) as u16;
        v4[2..4].copy_from_slice(&total.to_be_bytes());
        let bytes = cat(&[&v4, &seg]);
        let ip = packet(decode(&bytes, Encap::default()));
        assert_eq!((ip.ttl, ip.fragment), (64, false));
        let Transport::Tcp(t) = ip.transport else {
            panic!("not TCP")
        };
        assert_eq!(
            (t.src_port, t.dst_port, t.seq, t.ack, t.window),
            (8080, 40000, 1000, 2000, 8192)
        );
        let f = t.flags;
        assert!(f.syn && f.ack && !f.fin && !f.rst && !f.psh);
        assert_eq!(t.payload, b"HTTP/1.1 204");
    }

    #[test]
    fn ipv6_extension_headers_are_followed_to_udp() {
        // Hop-by-hop options (next: UDP, length 0 → 8 bytes, PadN).
        let hop_by_hop = [17, 0, 1, 4, 0, 0, 0, 0];
        let v6 = ipv6(
            0,
            V6_A,
            V6_B,
            &cat(&[&hop_by_hop, &udp(5353, 5353, b"dns")]),
        );
        let ip = packet(decode(&v6, Encap::default()));
        assert_eq!(ip.dst, IpAddr::V6(Ipv6Addr::from(V6_B)));
        assert_eq!(ip.ttl, 255);
        let Transport::Udp(u) = ip.transport else {
            panic!("not UDP")
        };
        assert_eq!((u.src_port, u.payload), (5353, &b"dns"[..]));
        let cut = &v6[..44];
        assert_eq!(
            decode(cut, Encap::default()),
            Decoded::Malformed {
                layer: "ipv6",
                reason: "extension header cut short or invalid"
            }
        );
    }

    #[test]
    fn a_snaplen_cut_segment_keeps_the_captured_payload() {
        let body = vec![b'x'; 1400];
        let full = ipv4(6, A, B, &tcp(40000, 7547, 0x18, &body));
        let ip = packet(decode(&full[..96], Encap::default()));
        let Transport::Tcp(t) = ip.transport else {
            panic!("not TCP")
        };
        assert_eq!((t.payload.len(), t.cut), (56, 1344));
        let whole = packet(decode(&full, Encap::default()));
        assert!(matches!(whole.transport, Transport::Tcp(t) if t.cut == 0));
        let udp_cut = ipv4(17, A, B, &udp(68, 67, &[1; 300]));
        let ip = packet(decode(&udp_cut[..100], Encap::default()));
        assert!(matches!(ip.transport, Transport::Udp(u) if u.payload.len() == 72));
    }

    #[test]
    fn a_cut_transport_header_is_malformed() {
        let full = ipv4(6, A, B, &tcp(1, 2, 0x10, &[]));
        assert_eq!(
            decode(&full[..30], Encap::default()),
            Decoded::Malformed {
                layer: "tcp",
                reason: "header cut short"
            }
        );
        let full = ipv4(17, A, B, &udp(1, 2, &[]));
        assert!(matches!(
            decode(&full[..24], Encap::default()),
            Decoded::Malformed { layer: "udp", .. }
        ));
        let full = ipv4(1, A, B, &[8, 0, 0, 0]);
        assert!(matches!(
            decode(&full, Encap::default()),
            Decoded::Malformed { layer: "icmp", .. }
        ));
    }

    #[test]
    fn bad_ip_headers_are_malformed() {
        let mut short_ihl = ipv4(6, A, B, &[]);
        short_ihl[0] = 0x44;
        assert!(matches!(
            decode(&short_ihl, Encap::default()),
            Decoded::Malformed { layer: "ipv4", .. }
        ));
        assert!(matches!(
            decode(&[0x55; 20], Encap::default()),
            Decoded::Malformed { layer: "ip", .. }
        ));
        assert!(matches!(
            decode(&[], Encap::default()),
            Decoded::Malformed { layer: "ip", .. }
        ));
        assert!(matches!(
            decode(&[0x45, 0, 0], Encap::default()),
            Decoded::Malformed { layer: "ip", .. }
        ));
    }

    #[test]
    fn fragments_are_not_decoded_past_ip() {
        let mut first = ipv4(6, A, B, &tcp(1, 2, 0x10, &[0; 16]));
        first[6] = 0x20; // more fragments
        let ip = packet(decode(&first, Encap::default()));
        assert_eq!(
            (ip.fragment, ip.transport),
            (true, Transport::Other { protocol: 6 })
        );
        let mut later = ipv4(17, A, B, &[0; 16]);
        later[6..8].copy_from_slice(&[0, 185]); // offset 185 × 8, last fragment
        assert!(packet(decode(&later, Encap::default())).fragment);
        // IPv6 fragment header: next UDP, offset 1 (× 8), no more fragments.
        let frag = [17, 0, 0, 8, 0, 0, 0, 1];
        let v6 = ipv6(44, V6_A, V6_B, &cat(&[&frag, &[0; 8]]));
        let ip = packet(decode(&v6, Encap::default()));
        assert_eq!(
            (ip.fragment, ip.transport),
            (true, Transport::Other { protocol: 17 })
        );
    }

    #[test]
    fn a_zero_total_length_falls_back_to_the_captured_length() {
        // Segmentation offload writes 0 into the IPv4 total length of captured super-packets.
        let mut v4 = ipv4(6, A, B, &tcp(1, 2, 0x10, b"big"));
        v4[2..4].copy_from_slice(&[0, 0]);
        let ip = packet(decode(&v4, Encap::default()));
        assert!(matches!(ip.transport, Transport::Tcp(t) if t.payload == b"big"));
        assert_eq!(
            packet(decode(&ipv4(47, A, B, &[0; 4]), Encap::default())).transport,
            Transport::Other { protocol: 47 }
        );
    }
}
