//! The TR-111 UDP connection request (TR-069 Annex G §G.2.2, tr069-facts §8.2): the ACS wakes a CPE behind
//! NAT with one UDP datagram holding an HTTP/1.1 GET whose target is an absolute URI
//! `http://host:port?ts=…&id=…&un=…&cn=…&sig=…`, sent to the binding the CPE keeps open with STUN.
//!
//! Takes: one UDP payload. Gives: an [`UdpConnectionRequest`] — the address it names, the five fields
//! (the signature kept as a [`Secret`], never printed by `Debug`) and problems with the form — or `None`
//! when the payload is not an HTTP GET with an absolute `http` URI.
//!
//! The request head is parsed with `httparse`, the URI with `url` (percent-decoding the query as
//! GenieACS and icwmp encode it). `sig` is HMAC-SHA1 over ts‖id‖un‖cn with the ConnectionRequestPassword:
//! it is a credential-derived value, so reports must not show it.

use std::fmt;

/// The fields a UDP connection request must carry (TR-069 Annex G).
const FIELDS: [&str; 5] = ["ts", "id", "un", "cn", "sig"];
const MAX_HEADERS: usize = 32;

/// A value that must not appear in reports or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    /// The value itself, for verification only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Secret(<{} characters redacted>)",
            self.0.chars().count()
        )
    }
}

/// One UDP connection request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UdpConnectionRequest {
    pub method: String,
    /// The host and port of the absolute URI (the port defaults to 80 when absent, as the annex allows).
    pub host: Option<String>,
    pub port: Option<u16>,
    /// Unix seconds, as sent.
    pub ts: Option<String>,
    /// Message id; the CPE drops a repeated one.
    pub id: Option<String>,
    /// ConnectionRequestUsername.
    pub un: Option<String>,
    /// Client nonce.
    pub cn: Option<String>,
    /// HMAC-SHA1 signature, 40 hex characters.
    pub sig: Option<Secret>,
    /// What does not follow the annex: missing fields, wrong method or version, a body, a bad signature form.
    pub problems: Vec<String>,
}

impl UdpConnectionRequest {
    /// `ts` as Unix seconds, when it is a number.
    pub fn ts_secs(&self) -> Option<u64> {
        self.ts.as_deref()?.parse().ok()
    }
}

/// Reads a UDP connection request; `None` when `payload` is not one.
pub fn parse_udp_connection_request(payload: &[u8]) -> Option<UdpConnectionRequest> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(payload) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => return None,
    };
    let uri = url::Url::parse(req.path?).ok()?;
    if uri.scheme() != "http" {
        return None;
    }
    let method = req.method?.to_string();
    let mut cr = UdpConnectionRequest {
        problems: Vec::new(),
        host: uri.host_str().map(str::to_string),
        port: uri.port_or_known_default(),
        ts: None,
        id: None,
        un: None,
        cn: None,
        sig: None,
        method,
    };
    for (k, v) in uri.query_pairs() {
        let v = v.into_owned();
        match k.as_ref() {
            "ts" => cr.ts = Some(v),
            "id" => cr.id = Some(v),
            "un" => cr.un = Some(v),
            "cn" => cr.cn = Some(v),
            "sig" => cr.sig = Some(Secret(v)),
            _ => {}
        }
    }
    cr.check(req.version, payload.len() - head_len);
    Some(cr)
}

impl UdpConnectionRequest {
    fn check(&mut self, version: Option<u8>, body_len: usize) {
        if self.method != "GET" {
            self.problems
                .push(format!("method {} (the annex requires GET)", self.method));
        }
        if version != Some(1) {
            self.problems.push("not HTTP/1.1".into());
        }
        if body_len > 0 {
            self.problems
                .push(format!("{body_len} bytes after the head (no body allowed)"));
        }
        let missing = [
            self.ts.is_none(),
            self.id.is_none(),
            self.un.is_none(),
            self.cn.is_none(),
            self.sig.is_none(),
        ];
        for (name, _) in FIELDS.iter().zip(missing).filter(|(_, m)| *m) {
            self.problems.push(format!("no {name} field"));
        }
        if self.ts.is_some() && self.ts_secs().is_none() {
            self.problems.push("ts is not a number of seconds".into());
        }
        if let Some(sig) = &self.sig
            && !(sig.0.len() == 40 && sig.0.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            self.problems
                .push("sig is not 40 hex characters (HMAC-SHA1)".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A datagram in the form GenieACS builds (`udpConnectionRequest` in lib/connection-request.ts).
    const GENIEACS: &[u8] = b"GET http://203.0.113.7:7547?ts=1700000000&id=17&un=cpe%40isp&cn=XTGRWIPC6TBBNRPY&sig=2b7c4b3e8a1f7a07c1b8bd5a9a8f3c4d5e6f7081 HTTP/1.1\r\nHost: 203.0.113.7:7547\r\n\r\n";

    #[test]
    fn genieacs_request_is_read_field_by_field() {
        let cr = parse_udp_connection_request(GENIEACS).unwrap();
        assert_eq!(cr.method, "GET");
        assert_eq!(
            (cr.host.as_deref(), cr.port),
            (Some("203.0.113.7"), Some(7547))
        );
        assert_eq!(cr.ts_secs(), Some(1_700_000_000));
        assert_eq!(cr.id.as_deref(), Some("17"));
        assert_eq!(cr.un.as_deref(), Some("cpe@isp"));
        assert_eq!(cr.cn.as_deref(), Some("XTGRWIPC6TBBNRPY"));
        assert_eq!(
            cr.sig.as_ref().map(Secret::expose),
            Some("2b7c4b3e8a1f7a07c1b8bd5a9a8f3c4d5e6f7081")
        );
        assert_eq!(cr.problems, Vec::<String>::new());
    }

    #[test]
    fn debug_output_never_shows_the_signature() {
        let cr = parse_udp_connection_request(GENIEACS).unwrap();
        let shown = format!("{cr:?}");
        assert!(!shown.contains("2b7c4b3e"), "{shown}");
        assert!(shown.contains("Secret(<40 characters redacted>)"));
    }

    #[test]
    fn default_port_missing_fields_and_a_body_are_problems_not_failures() {
        let cr = parse_udp_connection_request(
            b"POST http://cpe.example?ts=x&un=u&sig=abc HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi",
        )
        .unwrap();
        assert_eq!(
            (cr.host.as_deref(), cr.port),
            (Some("cpe.example"), Some(80))
        );
        assert_eq!(
            cr.problems,
            vec![
                "method POST (the annex requires GET)",
                "not HTTP/1.1",
                "2 bytes after the head (no body allowed)",
                "no id field",
                "no cn field",
                "ts is not a number of seconds",
                "sig is not 40 hex characters (HMAC-SHA1)",
            ]
        );
    }

    #[test]
    fn not_a_udp_connection_request() {
        assert!(parse_udp_connection_request(b"GET /path?ts=1 HTTP/1.1\r\n\r\n").is_none());
        assert!(parse_udp_connection_request(b"GET https://h:1?ts=1 HTTP/1.1\r\n\r\n").is_none());
        assert!(parse_udp_connection_request(&[0, 1, 0, 8, 0x21, 0x12, 0xa4, 0x42]).is_none());
        for n in 0..GENIEACS.len() {
            assert!(
                parse_udp_connection_request(&GENIEACS[..n]).is_none(),
                "cut at {n}"
            );
        }
    }
}
