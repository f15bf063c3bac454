//! PPPoE discovery and session frames, and the PPP inside a session.
//!
//! Takes: the bytes after an EtherType 0x8863 (discovery) or 0x8864 (session), and the
//! [`Encap`] the link layer found.
//! Gives: [`PppoeDiscovery`] with its tags, an IP packet for PPP IPv4/IPv6, or [`PppControl`]
//! with the code and text of LCP, PAP, CHAP, IPCP, … packets.
//! Follows: RFC 2516 §4 (header: version/type, code, session id, length) and §5 + Appendix A
//! (discovery stages and tags); RFC 1661 §2 and §6.5 (PPP protocol field, compressed to one
//! byte when odd), §5 (control packet: code, identifier, length); RFC 1334 §2.2 (PAP) and
//! RFC 1994 §4 (CHAP).
//!
//! Invariants: fields are read only within both the captured bytes and the lengths the headers
//! claim (the PPPoE length trims Ethernet padding); texts are copied lossily as UTF-8 and only
//! from this slow path; a PAP password is never copied.

use super::{Decoded, Encap, PppControl, PppoeDiscovery, ip};

const PPP_IPV4: u16 = 0x0021;
const PPP_IPV6: u16 = 0x0057;
const LCP: u16 = 0xc021;
const PAP: u16 = 0xc023;
const CHAP: u16 = 0xc223;

const TAG_END_OF_LIST: u16 = 0x0000;
const TAG_SERVICE_NAME: u16 = 0x0101;
const TAG_AC_NAME: u16 = 0x0102;
const TAG_ERRORS: [(u16, &str); 3] = [
    (0x0201, "Service-Name-Error"),
    (0x0202, "AC-System-Error"),
    (0x0203, "Generic-Error"),
];

fn malformed(layer: &'static str, reason: &'static str) -> Decoded<'static> {
    Decoded::Malformed { layer, reason }
}

fn be16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The PPPoE header's code, session id and payload, cut to the header's length.
fn header(data: &[u8]) -> Option<(u8, u16, &[u8])> {
    let code = *data.get(1)?;
    let session_id = be16(data, 2)?;
    let len = usize::from(be16(data, 4)?);
    let payload = &data[6..];
    Some((code, session_id, &payload[..len.min(payload.len())]))
}

pub(super) fn discovery(data: &[u8], encap: Encap) -> Decoded<'static> {
    let Some((code, session_id, mut tags)) = header(data) else {
        return malformed("pppoe", "PPPoE header cut short");
    };
    let mut found = PppoeDiscovery {
        code,
        session_id,
        src_mac: encap.src_mac.unwrap_or_default(),
        dst_mac: encap.dst_mac.unwrap_or_default(),
        service_name: None,
        ac_name: None,
        error: None,
    };
    // Each tag: type, length, value. A tag cut short ends the list (what came before stands).
    while let (Some(tag), Some(len)) = (be16(tags, 0), be16(tags, 2)) {
        let Some(value) = tags.get(4..4 + usize::from(len)) else {
            break;
        };
        tags = &tags[4 + value.len()..];
        match tag {
            TAG_END_OF_LIST => break,
            TAG_SERVICE_NAME => {
                found.service_name.get_or_insert_with(|| text(value));
            }
            TAG_AC_NAME => {
                found.ac_name.get_or_insert_with(|| text(value));
            }
            _ => {
                if let Some((_, name)) = TAG_ERRORS.iter().find(|(t, _)| *t == tag) {
                    found.error.get_or_insert_with(|| match value {
                        [] => name.to_string(),
                        _ => format!("{name}: {}", text(value)),
                    });
                }
            }
        }
    }
    Decoded::PppoeDiscovery(found)
}

pub(super) fn session(data: &[u8], mut encap: Encap) -> Decoded<'_> {
    let Some((_, session_id, ppp)) = header(data) else {
        return malformed("pppoe", "PPPoE header cut short");
    };
    encap.pppoe_session = Some(session_id);
    // Protocol-Field-Compression: a protocol field whose first byte is odd is one byte long.
    let (protocol, body) = match ppp {
        [first, rest @ ..] if first & 1 == 1 => (u16::from(*first), rest),
        [high, low, rest @ ..] => (u16::from_be_bytes([*high, *low]), rest),
        _ => return malformed("ppp", "PPP protocol field cut short"),
    };
    match protocol {
        PPP_IPV4 | PPP_IPV6 => ip::decode(body, encap),
        _ => control(session_id, protocol, body),
    }
}

/// A PPP control packet: code, identifier, length, data (RFC 1661 §5).
fn control(session_id: u16, protocol: u16, packet: &[u8]) -> Decoded<'static> {
    let Some(&code) = packet.first() else {
        return malformed("ppp", "PPP packet without a code");
    };
    // The data within the packet's own length; for non-control protocols there is no length
    // and nothing is read beyond the code.
    let data = match be16(packet, 2) {
        Some(len) if usize::from(len) >= 4 => &packet[4..usize::from(len).min(packet.len())],
        _ => &[][..],
    };
    let mut found = PppControl {
        session_id,
        protocol,
        code,
        message: None,
        name: None,
    };
    match (protocol, code) {
        // Authenticate-Request: Peer-ID length, Peer-ID, Password length, Password.
        (PAP, 1) => found.name = counted(data).map(|(peer, _)| text(peer)),
        // Authenticate-Ack / -Nak: Msg-Length, Message.
        (PAP, 2 | 3) => found.message = counted(data).map(|(msg, _)| text(msg)),
        // Challenge / Response: Value-Size, Value, Name (the rest).
        (CHAP, 1 | 2) => found.name = counted(data).map(|(_, name)| text(name)),
        // Success / Failure: Message (the rest).
        (CHAP, 3 | 4) | (LCP, 5 | 6) if !data.is_empty() => found.message = Some(text(data)),
        _ => {}
    }
    Decoded::PppControl(found)
}

/// A one-byte length, that many bytes, and the rest.
fn counted(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&len, rest) = data.split_first()?;
    let len = usize::from(len);
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::super::testdata::*;
    use super::super::{Transport, decode};
    use super::*;

    /// A PPPoE header (version/type 0x11) with the given code and session, then `payload`.
    fn pppoe(code: u8, session: u16, payload: &[u8]) -> Vec<u8> {
        let len = (payload.len() as u16).to_be_bytes();
        cat(&[&[0x11, code], &session.to_be_bytes(), &len, payload])
    }

    fn tag(tag_type: u16, value: &[u8]) -> Vec<u8> {
        cat(&[
            &tag_type.to_be_bytes(),
            &(value.len() as u16).to_be_bytes(),
            value,
        ])
    }

    fn discovery_of(frame: &[u8]) -> PppoeDiscovery {
        match decode(1, frame) {
            Decoded::PppoeDiscovery(d) => d,
            other => panic!("not discovery: {other:?}"),
        }
    }

    fn control_of(ppp: &[u8]) -> PppControl {
        match decode(1, &eth(0x8864, &pppoe(0, 0x0a0b, ppp))) {
            Decoded::PppControl(c) => c,
            other => panic!("not PPP control: {other:?}"),
        }
    }

    #[test]
    fn discovery_stages_and_their_tags() {
        let host_uniq = tag(0x0103, &[1, 2, 3, 4]);
        let padi = discovery_of(&eth(
            0x8863,
            &pppoe(0x09, 0, &cat(&[&tag(0x0101, b""), &host_uniq])),
        ));
        assert_eq!((padi.code, padi.session_id), (0x09, 0));
        assert_eq!((padi.src_mac, padi.dst_mac), (MAC_B, MAC_A));
        assert_eq!(padi.service_name.as_deref(), Some(""));
        assert_eq!((padi.ac_name, padi.error), (None, None));
        let pado_tags = cat(&[
            &tag(0x0102, b"BRAS-01"),
            &tag(0x0101, b"internet"),
            &tag(0, b""),
        ]);
        let pado = discovery_of(&eth(0x8863, &pppoe(0x07, 0, &pado_tags)));
        assert_eq!(pado.ac_name.as_deref(), Some("BRAS-01"));
        assert_eq!(pado.service_name.as_deref(), Some("internet"));
        for (code, session) in [(0x19, 0), (0x65, 0x1234), (0xa7, 0x1234)] {
            let d = discovery_of(&eth(0x8863, &pppoe(code, session, &[])));
            assert_eq!((d.code, d.session_id), (code, session));
        }
    }

    #[test]
    fn discovery_error_tags_are_reported() {
        let refused = cat(&[&tag(0x0201, b""), &tag(0x0203, b"second error")]);
        let pads = discovery_of(&eth(0x8863, &pppoe(0x65, 0, &refused)));
        assert_eq!(pads.error.as_deref(), Some("Service-Name-Error"));
        let busy = tag(0x0202, b"too many sessions");
        let pado = discovery_of(&eth(0x8863, &pppoe(0x07, 0, &busy)));
        assert_eq!(
            pado.error.as_deref(),
            Some("AC-System-Error: too many sessions")
        );
        // A tag running past the PPPoE length ends the list; what came before stands.
        let mut cut = pppoe(
            0x07,
            0,
            &cat(&[&tag(0x0102, b"AC"), &tag(0x0101, b"internet")]),
        );
        cut[5] -= 3;
        let d = discovery_of(&eth(0x8863, &cut));
        assert_eq!((d.ac_name.as_deref(), d.service_name), (Some("AC"), None));
    }

    #[test]
    fn session_frames_carry_ipv4_and_ipv6() {
        let v4 = ipv4(
            6,
            [100, 64, 0, 2],
            [198, 51, 100, 20],
            &tcp(50000, 7547, 0x02, &[]),
        );
        for ppp in [cat(&[&[0x00, 0x21], &v4]), cat(&[&[0x21], &v4])] {
            let frame = eth(0x8864, &pppoe(0, 0x0a0b, &ppp));
            let Decoded::Ip(ip) = decode(1, &frame) else {
                panic!("not IP")
            };
            assert_eq!(ip.encap.pppoe_session, Some(0x0a0b));
            assert!(matches!(ip.transport, Transport::Tcp(t) if t.dst_port == 7547));
        }
        let v6 = ipv6(17, V6_A, V6_B, &udp(546, 547, b"solicit"));
        let frame = eth(0x8864, &pppoe(0, 1, &cat(&[&[0x00, 0x57], &v6])));
        assert!(matches!(decode(1, &frame), Decoded::Ip(ip) if ip.dst.is_ipv6()));
    }

    #[test]
    fn the_pppoe_length_trims_ethernet_padding() {
        // A CHAP Failure whose own length (40) claims more than the PPPoE length covers (12):
        // the Ethernet padding after it must not be read as message text.
        let failure = cat(&[&[0xc2, 0x23, 4, 2, 0, 40], b"E=691 R=0"]);
        let frame = eth(0x8864, &pppoe(0, 7, &failure[..12]));
        assert_eq!(frame.len(), 60);
        let Decoded::PppControl(c) = decode(1, &frame) else {
            panic!("not PPP control")
        };
        assert_eq!(c.message.as_deref(), Some("E=691 "));
    }

    #[test]
    fn pap_request_names_the_account_and_never_the_password() {
        let request = cat(&[&[0xc0, 0x23, 1, 1, 0, 19], &[5], b"alice", &[7], b"secret1"]);
        let c = control_of(&request);
        assert_eq!((c.protocol, c.code), (PAP, 1));
        assert_eq!(c.name.as_deref(), Some("alice"));
        assert_eq!(c.message, None);
        assert!(!format!("{c:?}").contains("secret1"));
    }

    #[test]
    fn pap_and_chap_failures_keep_their_text() {
        let nak = cat(&[&[0xc0, 0x23, 3, 1, 0, 27], &[22], b"Authentication failure"]);
        let c = control_of(&nak);
        assert_eq!(
            (c.code, c.message.as_deref()),
            (3, Some("Authentication failure"))
        );
        let failure = cat(&[&[0xc2, 0x23, 4, 2, 0, 20], b"E=691 R=0 V=3 x"]);
        let c = control_of(&failure);
        assert_eq!((c.protocol, c.code), (CHAP, 4));
        assert_eq!(c.message.as_deref(), Some("E=691 R=0 V=3 x"));
        let challenge = cat(&[&[0xc2, 0x23, 1, 2, 0, 13], &[2, 0xaa, 0xbb], b"BRAS"]);
        assert_eq!(control_of(&challenge).name.as_deref(), Some("BRAS"));
        let terminate = cat(&[&[0xc0, 0x21, 5, 3, 0, 16], b"User request"]);
        assert_eq!(
            control_of(&terminate).message.as_deref(),
            Some("User request")
        );
        let ipcp = control_of(&[0x80, 0x21, 1, 1, 0, 10, 3, 6, 0, 0, 0, 0]);
        assert_eq!((ipcp.protocol, ipcp.code, ipcp.name), (0x8021, 1, None));
    }

    #[test]
    fn cut_headers_are_malformed() {
        let unpadded = cat(&[&MAC_A, &MAC_B, &[0x88, 0x63, 0x11, 0x09, 0]]);
        assert!(matches!(
            decode(1, &unpadded),
            Decoded::Malformed { layer: "pppoe", .. }
        ));
        let no_protocol = eth(0x8864, &pppoe(0, 1, &[0xc0]));
        assert!(matches!(
            decode(1, &no_protocol),
            Decoded::Malformed { layer: "ppp", .. }
        ));
        let no_code = eth(0x8864, &pppoe(0, 1, &[0xc0, 0x21]));
        assert!(matches!(
            decode(1, &no_code),
            Decoded::Malformed { layer: "ppp", .. }
        ));
        // A PAP request whose peer-id length runs past the packet gives no name.
        let bad = control_of(&[0xc0, 0x23, 1, 1, 0, 7, 9, b'a']);
        assert_eq!(bad.name, None);
    }
}
