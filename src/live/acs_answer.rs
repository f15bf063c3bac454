//! One HTTP request to the ACS and its answer, read within bounds and summarised.
//!
//! Takes: a reqwest request and the step budget. Gives: [`HttpStep`] — the request's label, its
//! outcome ([`HttpOutcome`]: an answer, timeout, reset, close, not HTTP) and when — and the
//! `name=value` of the cookies set, for the next request of the session only. RFC 9110 (status,
//! Allow, WWW-Authenticate, Location, Retry-After); the body goes through the capture pipeline's SOAP
//! stage (`crate::cwmp`) and is kept only as a [`BodySummary`].
//!
//! Invariants: at most [`ACS_BODY_CAP`] bytes of a body are read (hyper bounds the head: at most 64
//! header lines, its buffer limit for their size); a body is never kept (an ACS's RPCs can carry
//! passwords), nor a cookie's value.

use std::time::{Duration, Instant};

use reqwest::header;
use reqwest::{RequestBuilder, Response};

use super::auth::{Challenge, pick};
use super::clock::{Budget, now};
use crate::cwmp::{RpcDetail, SoapOutcome, parse_envelope};
use crate::time::Timestamp;

/// Bytes of an ACS answer's body read, at most.
pub(crate) const ACS_BODY_CAP: usize = 16 * 1024;

#[derive(Clone, Debug, PartialEq)]
pub struct HttpStep {
    /// `POST /acs (Inform, Digest credentials of user "cpe")`.
    pub request: String,
    pub outcome: HttpOutcome,
    pub elapsed: Duration,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "a handful per attempt, matched by value in the verdicts; a Box adds only noise"
)]
pub enum HttpOutcome {
    Answer(HttpAnswer),
    TimedOut,
    Reset,
    /// Closed before a complete answer.
    Closed,
    /// The answer is not HTTP (the parser's words).
    NotHttp(String),
    Error(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct HttpAnswer {
    pub status: u16,
    pub reason: String,
    pub allow: Option<String>,
    pub challenge: Option<Challenge>,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub retry_after: Option<String>,
    /// Names of the cookies set (values are session credentials: not kept).
    pub cookies: Vec<String>,
    pub body: BodySummary,
}

impl HttpAnswer {
    pub fn status_line(&self) -> String {
        format!("{} {}", self.status, self.reason)
            .trim_end()
            .to_string()
    }
}

/// What a body was, without its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodySummary {
    pub bytes: usize,
    /// More than [`ACS_BODY_CAP`] bytes: the rest was not read.
    pub truncated: bool,
    pub soap: SoapSummary,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SoapSummary {
    Empty,
    /// A SOAP envelope: its first Body element, and a Fault's code and string.
    Rpc {
        name: String,
        cwmp_ns: Option<String>,
        fault_code: Option<u32>,
        fault_string: Option<String>,
    },
    EmptyBody,
    NotSoap(String),
    Malformed(String),
}

/// Sends a request within the budget; gives the step and the `name=value` of the cookies set.
pub(crate) async fn send(
    rb: RequestBuilder,
    request: String,
    budget: &Budget,
) -> (HttpStep, Vec<String>) {
    let start = Instant::now();
    let work = async {
        let resp = rb
            .timeout(budget.step())
            .send()
            .await
            .map_err(|e| classify(&e))?;
        read(resp).await
    };
    let (outcome, cookies) = match budget.run(work).await {
        None => (HttpOutcome::TimedOut, Vec::new()),
        Some(Err(o)) => (o, Vec::new()),
        Some(Ok((answer, cookies))) => (HttpOutcome::Answer(answer), cookies),
    };
    (
        HttpStep {
            request,
            outcome,
            elapsed: start.elapsed(),
            at: now(),
        },
        cookies,
    )
}

async fn read(mut resp: Response) -> Result<(HttpAnswer, Vec<String>), HttpOutcome> {
    let h = resp.headers();
    let one = |name: header::HeaderName| {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(256).collect::<String>())
    };
    let challenges: Vec<&str> = h
        .get_all(header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let cookies: Vec<String> = h
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next().map(|c| c.trim().to_string()))
        .take(8)
        .collect();
    let mut answer = HttpAnswer {
        status: resp.status().as_u16(),
        reason: resp.status().canonical_reason().unwrap_or("").to_string(),
        allow: one(header::ALLOW),
        challenge: if resp.status().as_u16() == 401 {
            pick(&challenges)
        } else {
            None
        },
        content_type: one(header::CONTENT_TYPE),
        location: one(header::LOCATION),
        retry_after: one(header::RETRY_AFTER),
        cookies: cookies
            .iter()
            .map(|c| c.split('=').next().unwrap_or("").to_string())
            .collect(),
        body: BodySummary {
            bytes: 0,
            truncated: false,
            soap: SoapSummary::Empty,
        },
    };
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| classify(&e))? {
        let room = ACS_BODY_CAP - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if chunk.len() > room {
            answer.body.truncated = true;
            break;
        }
    }
    answer.body.bytes = body.len();
    answer.body.soap = summarize(&body);
    Ok((answer, cookies))
}

/// What a body is, through the SOAP stage of the capture pipeline.
pub(crate) fn summarize(body: &[u8]) -> SoapSummary {
    match parse_envelope(body) {
        SoapOutcome::Empty => SoapSummary::Empty,
        SoapOutcome::NotSoap { reason } => {
            SoapSummary::NotSoap(crate::secrets::redact_echoes(&reason))
        }
        SoapOutcome::Malformed {
            line,
            column,
            message,
            ..
        } => SoapSummary::Malformed(format!("line {line}, column {column}: {message}")),
        SoapOutcome::Envelope(env) => match env.rpc() {
            None => SoapSummary::EmptyBody,
            Some(rpc) => {
                let fault = match &rpc.detail {
                    RpcDetail::Fault(f) => Some(f),
                    _ => None,
                };
                SoapSummary::Rpc {
                    name: rpc.name.to_string(),
                    cwmp_ns: env.cwmp_ns.as_deref().map(str::to_string),
                    fault_code: fault.and_then(|f| f.code),
                    fault_string: fault
                        .and_then(|f| f.string.clone().or_else(|| f.soap_faultstring.clone())),
                }
            }
        },
    }
}

fn classify(e: &reqwest::Error) -> HttpOutcome {
    if e.is_timeout() {
        return HttpOutcome::TimedOut;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe => return HttpOutcome::Reset,
                std::io::ErrorKind::UnexpectedEof => return HttpOutcome::Closed,
                _ => {}
            }
        }
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            if h.is_incomplete_message() {
                return HttpOutcome::Closed;
            }
            if h.is_parse() || h.is_parse_status() {
                return HttpOutcome::NotHttp(h.to_string());
            }
        }
        source = s.source();
    }
    HttpOutcome::Error(chain(e))
}

/// An error and its causes: `error sending request: connection closed before message completed`.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_summarized_not_kept() {
        let ir = br#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap:Body><cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse></soap:Body></soap:Envelope>"#;
        assert!(matches!(summarize(ir), SoapSummary::Rpc { name, .. } if name == "InformResponse"));
        let fault = br#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap:Body><soap:Fault><faultcode>Client</faultcode><faultstring>CWMP fault</faultstring><detail><cwmp:Fault><FaultCode>8003</FaultCode><FaultString>Invalid arguments</FaultString></cwmp:Fault></detail></soap:Fault></soap:Body></soap:Envelope>"#;
        assert_eq!(
            summarize(fault),
            SoapSummary::Rpc {
                name: "Fault".into(),
                cwmp_ns: Some("urn:dslforum-org:cwmp-1-0".into()),
                fault_code: Some(8003),
                fault_string: Some("Invalid arguments".into())
            }
        );
        assert!(matches!(
            summarize(b"<html><body>Bad gateway</body></html>"),
            SoapSummary::NotSoap(_)
        ));
        assert!(matches!(summarize(b"<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>"), SoapSummary::Malformed(_)));
        assert_eq!(summarize(b""), SoapSummary::Empty);
    }

    #[test]
    fn error_chains_read_as_one_line() {
        let inner = std::io::Error::other("connection closed before message completed");
        let outer = std::io::Error::other(inner);
        assert_eq!(chain(&outer), "connection closed before message completed");
    }
}
