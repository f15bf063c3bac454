//! TLS handshakes seen in a capture: what each side offered, chose and sent in the clear, and where the
//! handshake stopped (RFC 5246 for TLS ≤ 1.2, RFC 8446 for TLS 1.3).
//!
//! Takes: the reassembled streams of a TCP connection recognised as TLS by [`looks_like_tls`]. Gives:
//! [`TlsFacts`] — the hellos, the server's certificates (visible up to TLS 1.2 only), the milestones the
//! `acs.tls` and `cwmp.url` checks judge (end of the server's flight, the client's Finished, the first
//! application data each way), alerts, a plaintext answer where TLS was expected, and problems.
//! Records and handshake messages are decoded with `tls-parser`, certificates with `x509-parser`.
//!
//! How records are read depends on the record type, whether this side already sent its ChangeCipherSpec,
//! and the negotiated version — one table, in `track::Tracker::record`:
//! - Handshake records are read until the side's ChangeCipherSpec (≤ 1.2). In TLS 1.3 everything after
//!   the ServerHello travels as application-data records, so there is nothing more to read.
//! - Alert records are readable until the side's ChangeCipherSpec (≤ 1.2); after it they are noted as
//!   encrypted. In TLS 1.3 an encrypted alert is an application-data record, so an alert record is always
//!   in the clear (OpenSSL sends "unknown CA" that way after the server's flight).
//! - TLS 1.3 milestones are inferred from the order of encrypted records: the server's flight is its
//!   records before the client's first encrypted record, which is the client's Finished; what follows is
//!   application data — the server's first record after it may be a NewSessionTicket, which the outer
//!   record type does not distinguish.
//!
//! Invariants: memory is bounded per direction by one record ([`record::MAX_RECORD`]) and one handshake
//! message ([`MAX_HANDSHAKE`]); alerts and problems are capped at [`MAX_LISTED`] each. A direction whose
//! handshake cannot be followed (oversized message, bytes lost inside it) still reports its records.

mod cert;
mod conn;
mod hello;
mod record;
mod track;

pub use cert::{CertInfo, cert_problems, names_of, subject_alt_names};
pub use conn::TlsConn;
pub use hello::{ClientHello, ServerHello, TLS13, alert_name, version_name};
pub use record::MAX_RECORD;

use record::HEADER;

use crate::flows::At;

/// Largest handshake message reassembled (a certificate chain with room to spare).
pub const MAX_HANDSHAKE: usize = 256 * 1024;
/// Most alerts, and most problems, kept per connection.
pub const MAX_LISTED: usize = 32;

/// An alert record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsAlert {
    pub at: At,
    pub from_client: bool,
    /// 1 warning, 2 fatal; 0 when encrypted.
    pub level: u8,
    /// The description code; 0 and meaningless when encrypted.
    pub description: u8,
    /// The description's name (`unknown_ca`), or `encrypted`.
    pub name: &'static str,
    /// Sent after the sender's ChangeCipherSpec: its contents are not visible.
    pub encrypted: bool,
}

/// What the capture shows of one TLS connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsFacts {
    /// The client's hello (the second one after a HelloRetryRequest).
    pub client_hello: Option<ClientHello>,
    pub server_hello: Option<ServerHello>,
    /// The server sent a HelloRetryRequest (TLS 1.3).
    pub hello_retry: Option<At>,
    /// The server's chain, leaf first (TLS ≤ 1.2; encrypted in 1.3).
    pub certificates: Vec<CertInfo>,
    /// The server asked for a client certificate (TLS ≤ 1.2).
    pub client_cert_requested: Option<At>,
    /// ServerHelloDone (≤ 1.2), the server's Finished of an abbreviated handshake, or the last record of
    /// the server's first encrypted flight (1.3).
    pub server_flight_end: Option<At>,
    /// The client's ChangeCipherSpec (≤ 1.2) or its first encrypted record after the ServerHello (1.3).
    pub client_finished: Option<At>,
    /// First application-data record from the client (`[0]`) and from the server (`[1]`).
    pub application_data: [Option<At>; 2],
    pub alerts: Vec<TlsAlert>,
    /// Bytes that are not TLS where TLS was expected: when, whether the client sent them, the first line.
    pub plaintext_reply: Option<(At, bool, String)>,
    pub problems: Vec<(At, String)>,
}

impl TlsFacts {
    /// The version the server chose, when its hello was seen.
    pub fn version(&self) -> Option<u16> {
        self.server_hello.as_ref().map(|s| s.version)
    }

    fn problem(&mut self, at: At, what: String) {
        if self.problems.len() < MAX_LISTED {
            self.problems.push((at, what));
        }
    }
}

/// A record header that can start a record in the middle of a stream: content type 20–24 (24 is
/// heartbeat), version 3.0–3.4, a length TLS allows.
pub(super) fn plausible_header(b: &[u8]) -> bool {
    matches!(b.first(), Some(20..=24))
        && b.get(1).is_none_or(|&major| major == 3)
        && b.get(2).is_none_or(|&minor| minor <= 4)
        && (b.len() < HEADER || usize::from(u16::from_be_bytes([b[3], b[4]])) <= MAX_RECORD)
}

/// The first bytes of an SSLv2-compatible ClientHello: 2-byte length with the high bit set, type 1,
/// version 2.0 or 3.x (RFC 5246 Appendix E.2). Short input is judged on what is there.
fn sslv2_hello_start(b: &[u8]) -> bool {
    let len_ok = b.len() < 2 || usize::from(u16::from_be_bytes([b[0] & 0x7f, b[1]])) >= 9;
    let version_ok = match (b.get(3), b.get(4)) {
        (Some(0), v) => v.is_none_or(|&v| v == 2),
        (Some(3), v) => v.is_none_or(|&v| v <= 4),
        (None, _) => true,
        _ => false,
    };
    b.first().is_some_and(|&b0| b0 & 0x80 != 0)
        && len_ok
        && b.get(2).is_none_or(|&t| t == 1)
        && version_ok
}

/// Whether the first bytes of a stream are TLS: a record header with content type 20–23 and version
/// 0x0300–0x0304, or an SSLv2-style ClientHello. A fragment shorter than a header counts when it is the
/// start of one: the rest may be in the next segment.
pub fn looks_like_tls(first_bytes: &[u8]) -> bool {
    let record = matches!(first_bytes.first(), Some(20..=23)) && plausible_header(first_bytes);
    record || sslv2_hello_start(first_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_bytes_decide_tls_or_plain() {
        assert!(looks_like_tls(&[22, 3, 1, 2, 0]));
        assert!(looks_like_tls(&[22]));
        assert!(!looks_like_tls(&[22, 3, 5]));
        assert!(!looks_like_tls(&[24, 3, 3, 0, 1]));
        assert!(!looks_like_tls(&[23, 3, 3, 0xff, 0xff]));
        assert!(!looks_like_tls(b"POST /acs HTTP/1.1"));
        assert!(!looks_like_tls(b""));
        assert!(looks_like_tls(&[0x80, 0x2e, 1, 3, 1]));
        assert!(!looks_like_tls(&[0x80, 0x2e, 2, 3, 1]));
        assert!(!looks_like_tls(&[0x80, 0x2e, 1, 4, 1]));
    }
}
