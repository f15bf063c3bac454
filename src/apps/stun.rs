//! STUN messages as TR-069 devices use them for UDP connection requests (TR-111 Part 2 = TR-069 Annex G,
//! over classic STUN, RFC 3489 §11; RFC 5389 §6 and §15 for the magic cookie and XOR-MAPPED-ADDRESS), for
//! the `cr.precondition` check: does the CPE keep a public binding the ACS can reach, and where is it.
//!
//! Takes: one UDP payload. Gives: a [`StunMessage`] — class and method, transaction id, the mapped address
//! (plain and XOR form), the TR-111 CONNECTION-REQUEST-BINDING (0xC001) and BINDING-CHANGE (0xC002)
//! attributes, USERNAME and ERROR-CODE — or `None` when the payload is not STUN.
//!
//! Hand-written: a 20-byte header and a list of type-length-value attributes, a few fields of which are
//! read; no crate covers the classic RFC 3489 form and the TR-111 attributes together.
//!
//! Recognition: the two top bits of the type are 0, the length field matches the payload and is a
//! multiple of 4; without the RFC 5389 cookie only the RFC 3489 methods (Binding, Shared Secret) count.
//! Attributes are padded to 4 bytes (RFC 3489's attributes are all multiples of 4 already).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// RFC 5389 §6.
pub const MAGIC_COOKIE: u32 = 0x2112_A442;
/// The value of CONNECTION-REQUEST-BINDING: 20 bytes, with the trailing space (tr069-facts §8.2).
pub const TR111_BINDING: &[u8; 20] = b"dslforum.org/TR-111 ";

const MAPPED_ADDRESS: u16 = 0x0001;
const USERNAME: u16 = 0x0006;
const ERROR_CODE: u16 = 0x0009;
const XOR_MAPPED_ADDRESS: u16 = 0x0020;
/// The pre-RFC 5389 draft code point some classic servers still send.
const XOR_MAPPED_ADDRESS_OLD: u16 = 0x8020;
const CONNECTION_REQUEST_BINDING: u16 = 0xC001;
const BINDING_CHANGE: u16 = 0xC002;

/// One STUN message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StunMessage {
    /// The message type field: class bits 0x0110, method in the rest (0x0001 Binding request, 0x0101
    /// Binding success response, 0x0111 Binding error response).
    pub class_method: u16,
    pub is_request: bool,
    /// A success or error response.
    pub is_response: bool,
    /// The 16 bytes after the length: an RFC 3489 transaction id, or the RFC 5389 cookie and 12-byte id.
    pub transaction_id: [u8; 16],
    /// The RFC 5389 magic cookie is present.
    pub rfc5389: bool,
    /// MAPPED-ADDRESS (0x0001).
    pub mapped_address: Option<SocketAddr>,
    /// XOR-MAPPED-ADDRESS (0x0020, or the draft's 0x8020), decoded. NATs with a STUN "ALG" rewrite the
    /// plain form but not this one.
    pub xor_mapped_address: Option<SocketAddr>,
    /// CONNECTION-REQUEST-BINDING (0xC001) holding `dslforum.org/TR-111 `: the CPE asks for UDP connection
    /// requests on this binding.
    pub connection_request_binding: bool,
    /// BINDING-CHANGE (0xC002): the CPE says its binding changed.
    pub binding_change: bool,
    pub username: Option<String>,
    /// ERROR-CODE (0x0009): code (class × 100 + number) and reason.
    pub error: Option<(u16, String)>,
    /// Attributes that could not be read as their type says.
    pub problems: Vec<String>,
}

impl StunMessage {
    /// The public address the server saw: the XOR form when present (NATs do not rewrite it), else the
    /// plain one.
    pub fn public_address(&self) -> Option<SocketAddr> {
        self.xor_mapped_address.or(self.mapped_address)
    }
}

/// Reads a STUN message; `None` when `payload` is not one.
pub fn parse_stun(payload: &[u8]) -> Option<StunMessage> {
    let header = payload.get(..20)?;
    let class_method = u16::from_be_bytes([header[0], header[1]]);
    let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if class_method & 0xC000 != 0 || len != payload.len() - 20 || len % 4 != 0 {
        return None;
    }
    let transaction_id: [u8; 16] = header[4..20].try_into().ok()?;
    let rfc5389 = header[4..8] == MAGIC_COOKIE.to_be_bytes();
    let method = class_method & !0x0110;
    if !rfc5389 && !matches!(method, 0x0001 | 0x0002) {
        return None;
    }
    let class = (class_method >> 7 & 0b10) | (class_method >> 4 & 0b01);
    let mut m = StunMessage {
        class_method,
        is_request: class == 0,
        is_response: class >= 2,
        transaction_id,
        rfc5389,
        mapped_address: None,
        xor_mapped_address: None,
        connection_request_binding: false,
        binding_change: false,
        username: None,
        error: None,
        problems: Vec::new(),
    };
    let mut rest = &payload[20..];
    while rest.len() >= 4 {
        let kind = u16::from_be_bytes([rest[0], rest[1]]);
        let alen = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
        let Some(value) = rest.get(4..4 + alen) else {
            m.problems
                .push(format!("attribute 0x{kind:04x} runs past the message"));
            break;
        };
        m.attribute(kind, value);
        rest = rest.get(4 + alen.next_multiple_of(4)..).unwrap_or_default();
    }
    Some(m)
}

impl StunMessage {
    fn attribute(&mut self, kind: u16, value: &[u8]) {
        match kind {
            MAPPED_ADDRESS => {
                self.mapped_address = address(value, None);
                self.note_bad(kind, self.mapped_address.is_none());
            }
            XOR_MAPPED_ADDRESS | XOR_MAPPED_ADDRESS_OLD => {
                self.xor_mapped_address = address(value, Some(&self.transaction_id));
                self.note_bad(kind, self.xor_mapped_address.is_none());
            }
            USERNAME => self.username = Some(String::from_utf8_lossy(value).into_owned()),
            ERROR_CODE if value.len() >= 4 => {
                let code = u16::from(value[2] & 0x07) * 100 + u16::from(value[3]);
                self.error = Some((code, String::from_utf8_lossy(&value[4..]).into_owned()));
            }
            ERROR_CODE => self.note_bad(kind, true),
            CONNECTION_REQUEST_BINDING => {
                self.connection_request_binding = value == TR111_BINDING;
                if !self.connection_request_binding {
                    let shown = String::from_utf8_lossy(value);
                    self.problems.push(format!(
                        "CONNECTION-REQUEST-BINDING holds {shown:?}, not \"dslforum.org/TR-111 \""
                    ));
                }
            }
            BINDING_CHANGE => self.binding_change = true,
            _ => {}
        }
    }

    fn note_bad(&mut self, kind: u16, bad: bool) {
        if bad {
            self.problems
                .push(format!("attribute 0x{kind:04x} is malformed"));
        }
    }
}

/// A (XOR-)MAPPED-ADDRESS value: reserved byte, family (1 IPv4, 2 IPv6), port, address. The XOR form is
/// masked with the first bytes of the transaction id field (the cookie, then the id, RFC 5389 §15.2).
fn address(v: &[u8], xor: Option<&[u8; 16]>) -> Option<SocketAddr> {
    let mask = xor.copied().unwrap_or([0; 16]);
    let port = u16::from_be_bytes([v.get(2)? ^ mask[0], v.get(3)? ^ mask[1]]);
    let ip = match (v.get(1)?, v.len()) {
        (1, 8) => {
            let b: [u8; 4] = std::array::from_fn(|i| v[4 + i] ^ mask[i]);
            IpAddr::V4(Ipv4Addr::from(b))
        }
        (2, 20) => {
            let b: [u8; 16] = std::array::from_fn(|i| v[4 + i] ^ mask[i]);
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::test_support::hex;

    /// RFC 5769 §2.2, "Sample IPv4 Response": XOR-MAPPED-ADDRESS 192.0.2.1:32853, software, integrity,
    /// fingerprint.
    const RFC5769_RESPONSE: &str = "0101003c 2112a442 b7e7a701 bc34d686 fa87dfae
        8022000b 74657374 20766563 746f7220 00200008 0001a147 e112a643
        00080014 2b91f599 fd9e9011 6c7ad5a6 24cbb0ab 1fe9f1d6 80280004 c07d4c96";

    /// A classic (RFC 3489) Binding request from a TR-111 CPE: USERNAME, CONNECTION-REQUEST-BINDING and
    /// BINDING-CHANGE, laid out as icwmp's `stun.c` sends it.
    fn tr111_request() -> Vec<u8> {
        let mut attrs = hex("0006 0008");
        attrs.extend(b"cpe-0001");
        attrs.extend(hex("c001 0014"));
        attrs.extend(TR111_BINDING);
        attrs.extend(hex("c002 0000"));
        let mut m = hex("0001");
        m.extend((attrs.len() as u16).to_be_bytes());
        m.extend(hex("0123456789abcdef0123456789abcdef"));
        m.extend(attrs);
        m
    }

    /// The classic Binding response to it: MAPPED-ADDRESS 203.0.113.7:50001.
    fn classic_response() -> Vec<u8> {
        hex("0101 000c 0123456789abcdef0123456789abcdef 0001 0008 0001 c351 cb007107")
    }

    #[test]
    fn rfc5769_response_with_xor_mapped_address() {
        let m = parse_stun(&hex(RFC5769_RESPONSE)).unwrap();
        assert!(m.is_response && !m.is_request && m.rfc5389);
        assert_eq!(m.class_method, 0x0101);
        assert_eq!(
            m.xor_mapped_address,
            Some("192.0.2.1:32853".parse().unwrap())
        );
        assert_eq!(m.public_address(), m.xor_mapped_address);
        assert_eq!(m.problems, Vec::<String>::new());
    }

    #[test]
    fn tr111_binding_request_with_connection_request_binding() {
        let m = parse_stun(&tr111_request()).unwrap();
        assert!(m.is_request && !m.rfc5389);
        assert!(m.connection_request_binding && m.binding_change);
        assert_eq!(m.username.as_deref(), Some("cpe-0001"));
        assert_eq!(
            m.transaction_id,
            hex("0123456789abcdef0123456789abcdef")[..]
        );
    }

    #[test]
    fn classic_response_with_mapped_address() {
        let m = parse_stun(&classic_response()).unwrap();
        assert!(m.is_response);
        assert_eq!(m.mapped_address, Some("203.0.113.7:50001".parse().unwrap()));
        assert_eq!(m.public_address(), m.mapped_address);
    }

    #[test]
    fn wrong_binding_text_and_error_code_are_reported() {
        let mut b = tr111_request();
        let at = b.windows(3).position(|w| w == b"TR-").unwrap();
        b[at..at + 3].copy_from_slice(b"XX-");
        let m = parse_stun(&b).unwrap();
        assert!(!m.connection_request_binding);
        assert_eq!(m.problems.len(), 1);
        let err =
            hex("0111 0010 2112a442 000000000000000000000000 0009 000c 00000401 556e6175 74686f72");
        let m = parse_stun(&err).unwrap();
        assert_eq!(m.error, Some((401, "Unauthor".into())));
    }

    #[test]
    fn not_stun() {
        assert_eq!(
            parse_stun(b"GET http://10.0.0.1:7547?ts=1 HTTP/1.1\r\n\r\n"),
            None
        );
        assert_eq!(
            parse_stun(&hex("0003 0000 0123456789abcdef0123456789abcdef")),
            None,
            "no such classic method"
        );
        assert_eq!(
            parse_stun(&hex("0001 0004 0123456789abcdef0123456789abcdef")),
            None,
            "length past the end"
        );
        assert_eq!(
            parse_stun(&hex("c001 0000 0123456789abcdef0123456789abcdef")),
            None,
            "top bits set"
        );
    }

    #[test]
    fn attribute_past_the_end_and_every_truncation_are_safe() {
        let m = parse_stun(&hex("0001 0004 0123456789abcdef0123456789abcdef 0006 0010")).unwrap();
        assert_eq!(m.problems, vec!["attribute 0x0006 runs past the message"]);
        for msg in [hex(RFC5769_RESPONSE), tr111_request(), classic_response()] {
            for n in 0..msg.len() {
                assert_eq!(
                    parse_stun(&msg[..n]),
                    None,
                    "a cut message has the wrong length field"
                );
            }
        }
    }
}
