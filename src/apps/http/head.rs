//! HTTP/1.1 message heads: start line and header fields (with `httparse`), and body framing.
//!
//! Takes: the bytes of one complete head (through the empty line). Gives: the [`StartLine`] and the
//! header fields, or a reason it cannot be parsed; and the body [`Framing`] per RFC 9112 §6.3.
//! Parsing is as lenient as real CPEs need (no space after the colon, odd spacing in the start line,
//! invalid header lines skipped) and never allocates more than the head's size.

use std::collections::VecDeque;

use crate::apps::http::message::{FieldName, Framing, StartLine, field_name};

/// Header fields parsed per message.
const MAX_FIELDS: usize = 128;

pub type Head = (StartLine, Vec<(FieldName, String)>);

fn fields(raw: &[httparse::Header<'_>]) -> Vec<(FieldName, String)> {
    raw.iter()
        .filter(|h| !h.name.is_empty())
        .map(|h| {
            let value = String::from_utf8_lossy(h.value).trim().to_string();
            (field_name(h.name), value)
        })
        .collect()
}

pub fn parse_request(head: &[u8]) -> Result<Head, String> {
    let mut raw = [httparse::EMPTY_HEADER; MAX_FIELDS];
    let mut req = httparse::Request::new(&mut raw);
    let mut config = httparse::ParserConfig::default();
    config
        .ignore_invalid_headers_in_requests(true)
        .allow_multiple_spaces_in_request_line_delimiters(true);
    match config.parse_request(&mut req, head) {
        Ok(httparse::Status::Complete(_)) => Ok((
            StartLine::Request {
                method: req.method.unwrap_or_default().to_string(),
                target: req.path.unwrap_or_default().to_string(),
                version: req.version.unwrap_or(1),
            },
            fields(req.headers),
        )),
        Ok(httparse::Status::Partial) => Err("request head ends early".into()),
        Err(e) => Err(format!("unparseable request head: {e}")),
    }
}

pub fn parse_response(head: &[u8]) -> Result<Head, String> {
    let mut raw = [httparse::EMPTY_HEADER; MAX_FIELDS];
    let mut resp = httparse::Response::new(&mut raw);
    let mut config = httparse::ParserConfig::default();
    config
        .ignore_invalid_headers_in_responses(true)
        .allow_spaces_after_header_name_in_responses(true)
        .allow_obsolete_multiline_headers_in_responses(true)
        .allow_multiple_spaces_in_response_status_delimiters(true);
    match config.parse_response(&mut resp, head) {
        Ok(httparse::Status::Complete(_)) => Ok((
            StartLine::Response {
                status: resp.code.unwrap_or_default(),
                reason: resp.reason.unwrap_or_default().to_string(),
                version: resp.version.unwrap_or(1),
            },
            fields(resp.headers),
        )),
        Ok(httparse::Status::Partial) => Err("response head ends early".into()),
        Err(e) => Err(format!("unparseable response head: {e}")),
    }
}

/// RFC 9112 §6.3: how long the body is. Responses consume the oldest outstanding request method.
pub fn framing(
    start: &StartLine,
    headers: &[(FieldName, String)],
    methods: &mut VecDeque<String>,
) -> Result<Framing, String> {
    fn value<'h>(
        headers: &'h [(FieldName, String)],
        name: &'h str,
    ) -> impl Iterator<Item = &'h String> + 'h {
        headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
    let chunked = value(headers, "transfer-encoding")
        .flat_map(|v| v.split(','))
        .last()
        .is_some_and(|c| c.trim().eq_ignore_ascii_case("chunked"));
    let mut lengths = value(headers, "content-length")
        .flat_map(|v| v.split(','))
        .map(|v| v.trim());
    let length = match lengths.next() {
        None => None,
        Some(first) => {
            let n: u64 = first
                .parse()
                .map_err(|_| format!("invalid Content-Length {first:?}"))?;
            if lengths.any(|other| other != first) {
                return Err("conflicting Content-Length values".into());
            }
            Some(n)
        }
    };
    let body_by_headers = if chunked {
        Framing::Chunked
    } else {
        length.map_or(Framing::None, Framing::ContentLength)
    };
    match start {
        StartLine::Request { .. } => Ok(body_by_headers),
        StartLine::Response { status, .. } => {
            // 101 switches protocols (RFC 9110 §15.2.2); other 1xx are interim and keep the request.
            if *status == 101 {
                methods.pop_front();
                return Ok(Framing::Tunnel);
            }
            if (100..200).contains(status) {
                return Ok(Framing::None);
            }
            let method = methods.pop_front();
            // A 2xx to CONNECT opens a tunnel (RFC 9110 §9.3.6): what follows is not this message's body.
            if method.as_deref() == Some("CONNECT") && (200..300).contains(status) {
                return Ok(Framing::Tunnel);
            }
            if method.as_deref() == Some("HEAD") || *status == 204 || *status == 304 {
                Ok(Framing::None)
            } else if body_by_headers == Framing::None {
                Ok(Framing::UntilClose)
            } else {
                Ok(body_by_headers)
            }
        }
    }
}
