//! An HTTP/1.1 message rebuilt from a TCP stream (RFC 9112), with the frames that carried it.
//!
//! Takes: nothing (a plain model). Gives: [`HttpMessage`] — start line, headers in wire order, the body
//! after de-chunking (bounded), how the body was delimited, and whether the message ended normally.
//! `last.frame` is the frame that completes the message, as Wireshark reports `http.request` /
//! `http.response` frames.

use std::borrow::Cow;
use std::net::SocketAddr;

use crate::flows::At;

/// The first line of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartLine {
    Request {
        method: String,
        target: String,
        /// Minor version: 1 for HTTP/1.1, 0 for HTTP/1.0.
        version: u8,
    },
    Response {
        status: u16,
        reason: String,
        version: u8,
    },
}

/// How the message body was delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body by the rules (a request without Content-Length, 1xx/204/304, a response to HEAD).
    None,
    ContentLength(u64),
    Chunked,
    /// A response without length: the body runs to the close of the connection.
    UntilClose,
    /// A 2xx to CONNECT or a 101: the connection carries another protocol from here on.
    Tunnel,
}

/// How the message ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Every byte the framing promises was captured.
    Complete,
    /// The connection closed (FIN) before the body was complete; `at` is the FIN.
    ClosedEarly { at: At },
    /// The connection was reset before the body was complete.
    ResetEarly { at: At },
    /// The capture lost bytes of this message (a reassembly gap), or it was still open at the end of the
    /// capture.
    Incomplete,
}

impl Ending {
    /// In words, for evidence: "reset in frame 18".
    pub fn describe(&self) -> String {
        match self {
            Ending::Complete => "complete".into(),
            Ending::ClosedEarly { at } => format!("closed in frame {}", at.frame),
            Ending::ResetEarly { at } => format!("reset in frame {}", at.frame),
            Ending::Incomplete => "bytes missing from the capture".into(),
        }
    }
}

/// Why a body was not stored whole (its bytes were counted, not kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyCut {
    /// Longer than [`crate::apps::http::MAX_BODY`].
    TooLong,
    /// The open messages of the capture together held their share of the HTTP memory budget
    /// ([`crate::apps::http::budget::BODY_SHARE`]).
    Budget,
}

impl BodyCut {
    /// In words, for the SOAP reading and evidence: "body not kept: longer than 4 MiB".
    pub fn describe(&self) -> String {
        use crate::apps::http::{MAX_BODY, budget::BODY_SHARE};
        match self {
            BodyCut::TooLong => format!("body not kept: longer than {} MiB", MAX_BODY >> 20),
            BodyCut::Budget => format!(
                "body not kept: more than {} MiB of HTTP bodies were open at once",
                BODY_SHARE >> 20
            ),
        }
    }
}

/// One reconstructed HTTP message.
#[derive(Clone, Debug)]
pub struct HttpMessage {
    /// The TCP connection (see [`crate::flows::ConnFacts::id`]).
    pub conn: u32,
    /// Sent by the TCP client (the side that opened the connection).
    pub from_client: bool,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// The frame carrying the first byte of the start line.
    pub first: At,
    /// The frame that completed the message (or the last frame that carried part of it).
    pub last: At,
    pub start: StartLine,
    /// Header fields in wire order; names as sent, values trimmed.
    pub headers: Vec<(FieldName, String)>,
    /// The body after de-chunking, at most [`crate::apps::http::MAX_BODY`] bytes of it.
    pub body: Vec<u8>,
    /// Body bytes the message carried (may exceed `body.len()` when cut).
    pub body_len: u64,
    /// Why the body was not stored whole, if it was not: `body` is then its first bytes only.
    pub body_cut: Option<BodyCut>,
    pub framing: Framing,
    pub ending: Ending,
}

/// A header name as sent. The common ones are borrowed from [`COMMON_FIELDS`] rather than allocated
/// for every message: a capture holds tens of thousands of messages, each with a handful of them.
pub type FieldName = Cow<'static, str>;

/// Header names as most clients and servers spell them.
pub const COMMON_FIELDS: &[&str] = &[
    "Host",
    "Content-Type",
    "Content-Length",
    "Content-Encoding",
    "Transfer-Encoding",
    "Connection",
    "Authorization",
    "WWW-Authenticate",
    "Proxy-Authorization",
    "Cookie",
    "Set-Cookie",
    "SOAPAction",
    "SOAPServer",
    "User-Agent",
    "Server",
    "Date",
    "Location",
    "Retry-After",
    "Accept",
    "Accept-Encoding",
    "Keep-Alive",
    "Cache-Control",
    "Expect",
];

/// `name` as a [`FieldName`]: borrowed when it is spelled as in [`COMMON_FIELDS`], owned otherwise
/// (a report shows a header as the capture spells it).
pub fn field_name(name: &str) -> FieldName {
    crate::interned::known_or_owned(COMMON_FIELDS, name)
}

impl HttpMessage {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header, in wire order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    /// The response status, for responses.
    pub fn status(&self) -> Option<u16> {
        match self.start {
            StartLine::Response { status, .. } => Some(status),
            StartLine::Request { .. } => None,
        }
    }

    /// The request method, for requests.
    pub fn method(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The DESIGN.md §3 `http` field: "POST /acs" for requests, "401" for responses.
    pub fn summary(&self) -> String {
        match &self.start {
            StartLine::Request { method, target, .. } => format!("{method} {target}"),
            StartLine::Response { status, .. } => status.to_string(),
        }
    }

    pub fn complete(&self) -> bool {
        self.ending == Ending::Complete
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn msg(start: StartLine, headers: &[(&str, &str)]) -> HttpMessage {
        let at = At {
            frame: 1,
            ts: Timestamp::default(),
        };
        HttpMessage {
            conn: 0,
            from_client: true,
            src: "10.0.0.1:1".parse().unwrap(),
            dst: "10.0.0.2:2".parse().unwrap(),
            first: at,
            last: at,
            start,
            headers: headers
                .iter()
                .map(|(n, v)| (field_name(n), v.to_string()))
                .collect(),
            body: Vec::new(),
            body_len: 0,
            body_cut: None,
            framing: Framing::None,
            ending: Ending::Complete,
        }
    }

    #[test]
    fn header_lookup_ignores_case_and_keeps_every_value() {
        let m = msg(
            StartLine::Response {
                status: 200,
                reason: "OK".into(),
                version: 1,
            },
            &[("Set-Cookie", "a=1"), ("set-cookie", "b=2")],
        );
        assert_eq!(m.header("SET-COOKIE"), Some("a=1"));
        assert_eq!(
            m.headers_named("Set-Cookie").collect::<Vec<_>>(),
            ["a=1", "b=2"]
        );
        assert_eq!(m.summary(), "200");
        assert_eq!(m.status(), Some(200));
    }

    #[test]
    fn request_summary_is_method_and_target() {
        let m = msg(
            StartLine::Request {
                method: "POST".into(),
                target: "/acs".into(),
                version: 1,
            },
            &[],
        );
        assert_eq!(m.summary(), "POST /acs");
        assert!(m.is_request());
        assert_eq!(m.method(), Some("POST"));
    }
}
