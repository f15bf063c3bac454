//! The two hello messages of a TLS handshake, turned into facts (RFC 5246 §7.4.1, RFC 8446 §4.1; the
//! SSLv2-compatible ClientHello of RFC 5246 Appendix E.2), and the names the report prints for versions
//! and alerts.
//!
//! Takes: a parsed ClientHello or ServerHello from `tls-parser` (or the body of an SSLv2-style hello,
//! which `tls-parser` does not read: it is a few fixed fields, read here). Gives: [`ClientHello`] and
//! [`ServerHello`] — what was offered and what was chosen, including the `supported_versions` extension
//! (43) that carries the real version in TLS 1.3, where both legacy version fields say 1.2.
//!
//! Invariant: GREASE values (RFC 8701) are never reported as versions.

use tls_parser::{
    TlsClientHelloContents, TlsExtension, TlsServerHelloContents,
    parse_tls_client_hello_extensions, parse_tls_server_hello_extensions,
};

use crate::flows::At;

/// TLS 1.3 protocol version (RFC 8446 §4.2.1).
pub const TLS13: u16 = 0x0304;

/// The ServerHello random that marks a HelloRetryRequest (RFC 8446 §4.1.3: SHA-256 of the text
/// "HelloRetryRequest").
pub(super) const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

/// What the client offered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// The record that completed the message.
    pub at: At,
    /// Server Name Indication (extension 0), the host the client wants; TR-069 Amd 6 says the ACS URL host.
    pub sni: Option<String>,
    /// The version field of the message (0x0303 for TLS 1.2 and for 1.3 clients alike).
    pub legacy_version: u16,
    /// The `supported_versions` extension (43), in the client's order, without GREASE values.
    pub supported_versions: Vec<u16>,
    /// Application protocols offered (extension 16).
    pub alpn: Vec<String>,
    pub cipher_suites: usize,
    /// The hello came in the SSLv2-compatible form (RFC 5246 Appendix E.2): an old client stack.
    pub sslv2_format: bool,
}

impl ClientHello {
    /// The highest version offered.
    pub fn max_version(&self) -> u16 {
        self.supported_versions
            .iter()
            .copied()
            .max()
            .unwrap_or(self.legacy_version)
    }
}

/// What the server chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    pub at: At,
    /// The version field of the message.
    pub legacy_version: u16,
    /// The negotiated version: the `supported_versions` extension when present (TLS 1.3), else the
    /// version field.
    pub version: u16,
    pub cipher_suite: u16,
    /// IANA name of the cipher suite, when known.
    pub cipher_name: Option<&'static str>,
    pub alpn: Option<String>,
    /// This is a HelloRetryRequest (TLS 1.3): the client must send a second ClientHello.
    pub hello_retry: bool,
}

/// GREASE values look like 0x?A?A with both bytes equal (RFC 8701 §2).
fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub(super) fn client_hello(ch: &TlsClientHelloContents<'_>, at: At) -> ClientHello {
    let mut hello = ClientHello {
        at,
        sni: None,
        legacy_version: ch.version.0,
        supported_versions: Vec::new(),
        alpn: Vec::new(),
        cipher_suites: ch.ciphers.len(),
        sslv2_format: false,
    };
    // A malformed extension ends the list: the extensions before it are still facts.
    let exts = ch
        .ext
        .and_then(|e| parse_tls_client_hello_extensions(e).ok())
        .map(|(_, v)| v)
        .unwrap_or_default();
    for ext in exts {
        match ext {
            TlsExtension::SNI(names) => {
                // Name type 0 is host_name, the only type defined (RFC 6066 §3).
                hello.sni = names.iter().find(|(t, _)| t.0 == 0).map(|(_, n)| text(n));
            }
            TlsExtension::SupportedVersions(vs) => {
                hello.supported_versions =
                    vs.iter().map(|v| v.0).filter(|&v| !is_grease(v)).collect();
            }
            TlsExtension::ALPN(protos) => hello.alpn = protos.iter().map(|p| text(p)).collect(),
            _ => {}
        }
    }
    hello
}

pub(super) fn server_hello(sh: &TlsServerHelloContents<'_>, at: At) -> ServerHello {
    let mut hello = ServerHello {
        at,
        legacy_version: sh.version.0,
        version: sh.version.0,
        cipher_suite: sh.cipher.0,
        cipher_name: sh.cipher.get_ciphersuite().map(|c| c.name),
        alpn: None,
        hello_retry: sh.random == HELLO_RETRY_RANDOM,
    };
    let exts = sh
        .ext
        .and_then(|e| parse_tls_server_hello_extensions(e).ok())
        .map(|(_, v)| v)
        .unwrap_or_default();
    for ext in exts {
        match ext {
            // The server's supported_versions holds exactly the selected version (RFC 8446 §4.2.1).
            TlsExtension::SupportedVersions(vs) => {
                if let Some(v) = vs.first() {
                    hello.version = v.0;
                }
            }
            TlsExtension::ALPN(protos) => hello.alpn = protos.first().map(|p| text(p)),
            _ => {}
        }
    }
    hello
}

/// Reads the body of an SSLv2-compatible ClientHello (after the 2-byte length): msg_type 1, version,
/// cipher_spec_length, session_id_length, challenge_length, then the lists (RFC 5246 Appendix E.2).
pub(super) fn sslv2_client_hello(body: &[u8], at: At) -> Option<ClientHello> {
    if body.len() < 9 || body[0] != 1 {
        return None;
    }
    let be = |i: usize| u16::from_be_bytes([body[i], body[i + 1]]);
    let (version, spec_len, sid_len, challenge_len) = (be(1), be(3), be(5), be(7));
    let declared = 9 + usize::from(spec_len) + usize::from(sid_len) + usize::from(challenge_len);
    if declared != body.len() || spec_len % 3 != 0 {
        return None;
    }
    Some(ClientHello {
        at,
        sni: None,
        legacy_version: version,
        supported_versions: Vec::new(),
        alpn: Vec::new(),
        cipher_suites: usize::from(spec_len / 3),
        sslv2_format: true,
    })
}

/// The name of a protocol version, as Wireshark prints it.
pub fn version_name(v: u16) -> &'static str {
    match v {
        0x0002 => "SSL 2.0",
        0x0300 => "SSL 3.0",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        _ => "unknown version",
    }
}

/// The name of an alert description (IANA TLS Alerts registry, RFC 8446 §6).
pub fn alert_name(code: u8) -> &'static str {
    match code {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        121 => "ech_required",
        _ => "unknown_alert",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::test_support::hex;
    use crate::time::Timestamp;
    use tls_parser::{TlsMessage, TlsMessageHandshake, parse_tls_message_handshake};

    fn at() -> At {
        At {
            frame: 4,
            ts: Timestamp::new(1, 0),
        }
    }

    /// A TLS 1.3 ClientHello built by hand: GREASE version first, SNI, ALPN h2 + http/1.1, 3 suites.
    fn client_hello_13() -> Vec<u8> {
        let mut body = hex("0303");
        body.extend([0u8; 32]); // random
        body.extend(hex("00 0006 1301 1302 0035 01 00")); // no session id, 3 suites, null compression
        let sni = hex("0000 0015 0013 00 0010") // ext 0, list, host_name, name length 16
            .into_iter()
            .chain(*b"acs.example.test")
            .collect::<Vec<_>>();
        let alpn = hex("0010 000e 000c 02 6832 08 687474702f312e31");
        let versions = hex("002b 0007 06 3a3a 0304 0303");
        let exts: Vec<u8> = [sni, alpn, versions].concat();
        body.extend((exts.len() as u16).to_be_bytes());
        body.extend(exts);
        let mut msg = vec![1, 0, (body.len() >> 8) as u8, body.len() as u8];
        msg.extend(body);
        msg
    }

    #[test]
    fn client_hello_reports_sni_alpn_and_versions_without_grease() {
        let raw = client_hello_13();
        let Ok((_, TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)))) =
            parse_tls_message_handshake(&raw)
        else {
            panic!("not parsed");
        };
        let h = client_hello(&ch, at());
        assert_eq!(h.sni.as_deref(), Some("acs.example.test"));
        assert_eq!(h.alpn, vec!["h2", "http/1.1"]);
        assert_eq!(h.supported_versions, vec![0x0304, 0x0303]);
        assert_eq!((h.legacy_version, h.max_version()), (0x0303, TLS13));
        assert_eq!(h.cipher_suites, 3);
        assert!(!h.sslv2_format);
    }

    #[test]
    fn sslv2_hello_fields_are_read_and_lengths_must_agree() {
        // RFC 5246 E.2 layout: type 1, version 3.1, 2 cipher specs, no session id, 16-byte challenge.
        let mut body = hex("01 0301 0006 0000 0010 000039 00002f");
        body.extend([0x55u8; 16]);
        let h = sslv2_client_hello(&body, at()).expect("valid");
        assert_eq!(
            (h.legacy_version, h.cipher_suites, h.sslv2_format),
            (0x0301, 2, true)
        );
        assert_eq!(sslv2_client_hello(&body[..body.len() - 1], at()), None);
        assert_eq!(
            sslv2_client_hello(&hex("02 0301 0006 0000 0010"), at()),
            None
        );
    }

    #[test]
    fn names_follow_the_registries() {
        assert_eq!(alert_name(48), "unknown_ca");
        assert_eq!(alert_name(112), "unrecognized_name");
        assert_eq!(alert_name(200), "unknown_alert");
        assert_eq!(version_name(0x0304), "TLS 1.3");
        assert!(is_grease(0x3a3a) && !is_grease(0x0a1a) && !is_grease(0x0304));
        let rfc8446 = hex("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C");
        assert_eq!(HELLO_RETRY_RANDOM[..], rfc8446[..]);
    }
}
