//! HTTP exchanges of a CWMP session and what each side's message means in the session.
//!
//! Takes: the messages of the capture and the TCP connections. Gives: [`Exchange`]s — each request with
//! its response (paired in order per connection: CWMP forbids pipelining, TR-069 §3.4.6) or what came
//! instead of one — and the [`Req`]/[`Resp`] kinds the session transition table reads.

use crate::cwmp::{RpcDetail, SoapOutcome};
use crate::facts::{Facts, Message};
use crate::flows::{At, ConnFacts};

/// TR-069 §3.7.1.4 (T3714): the CPE gives up waiting for an HTTP response after 30 seconds.
pub const RESPONSE_TIMEOUT_SECS: f64 = 30.0;

/// What the CPE's POST carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Req {
    /// An Inform (also a malformed body whose first Body element was an Inform).
    Inform { authorized: bool, malformed: bool },
    /// The empty POST: the CPE has no more requests (TR-069 §3.7.1.4).
    Empty,
    /// A request of the CPE's own (TransferComplete, GetRPCMethods, …).
    CpeRequest(String),
    /// The CPE's answer to an ACS request: `…Response` or a Fault.
    CpeAnswer(String),
    /// Not SOAP, malformed, or not a POST.
    Other(String),
    /// A body-less POST sent before the Inform only to be challenged (libcurl's `--digest` probe,
    /// easycwmp and OpenWrt-derived stacks): the session runner names it so when the ACS answers it with
    /// a 401 and no session is under way; [`req_kind`] never gives it.
    AuthProbe,
}

/// What the ACS answered, or what happened instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resp {
    /// 401 with the challenge scheme (`Digest`, `Basic`, or empty).
    Unauthorized {
        scheme: String,
    },
    InformResponse,
    /// An RPC the ACS asks the CPE to run (GetParameterValues, SetParameterValues, …).
    AcsRequest(String),
    /// The ACS's answer to a CPE request (TransferCompleteResponse, …).
    AcsAnswer(String),
    /// A SOAP Fault with its CWMP FaultCode.
    Fault {
        code: Option<u32>,
    },
    /// An empty response: 204, or 200 with no body (a deviation: TR-069 §3.4.6 wants 204).
    Empty {
        status: u16,
    },
    /// A redirect (3xx) and its `Location`: the session continues at the new location.
    Redirect {
        status: u16,
        location: Option<String>,
    },
    /// Another HTTP error status (400, 403, 500, 503 …).
    HttpError {
        status: u16,
    },
    /// A 200 whose body is not SOAP, or malformed XML.
    NotSoap {
        malformed: bool,
    },
    /// No response: the connection was reset or closed, the capture ended, or nothing for 30 s.
    Missing(Silence),
}

/// Why no response came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Silence {
    Reset {
        at: At,
        by_cpe: bool,
    },
    Closed {
        at: At,
        by_cpe: bool,
    },
    /// The capture ends less than 30 s after the request.
    CaptureEnded,
    /// At least 30 s passed without an answer.
    TimedOut {
        waited_secs: u32,
    },
}

impl Silence {
    /// In words: "the ACS reset the connection (frame 17)", "nothing for 31 s".
    pub fn describe(&self) -> String {
        let side = |by_cpe: bool| if by_cpe { "CPE" } else { "ACS" };
        match self {
            Silence::Reset { at, by_cpe } => {
                format!(
                    "the {} reset the connection (frame {})",
                    side(*by_cpe),
                    at.frame
                )
            }
            Silence::Closed { at, by_cpe } => {
                format!(
                    "the {} closed the connection (frame {})",
                    side(*by_cpe),
                    at.frame
                )
            }
            Silence::CaptureEnded => "the capture ends".into(),
            Silence::TimedOut { waited_secs } => format!("nothing for {waited_secs} s"),
        }
    }
}

/// One request and its response (or what happened instead).
#[derive(Clone, Debug)]
pub struct Exchange {
    pub conn: u32,
    /// Index of the request in `Facts::messages`.
    pub request: usize,
    /// Index of the response in `Facts::messages`.
    pub response: Option<usize>,
    pub req: Req,
    pub resp: Resp,
}

/// Pairs every request of `conn` with its final response, in order. 1xx responses are skipped.
pub fn exchanges_of(facts: &Facts, conn: &ConnFacts, messages: &[usize]) -> Vec<Exchange> {
    let msgs = &facts.messages;
    let requests: Vec<usize> = messages
        .iter()
        .copied()
        .filter(|&i| msgs[i].http.is_request())
        .collect();
    // A response that began before the connection's first captured request answers a request the
    // capture missed (it joined the connection mid-way): it pairs with nothing.
    let first_request = requests.first().map(|&i| msgs[i].http.first.frame);
    let mut responses = messages
        .iter()
        .copied()
        .filter(|&i| msgs[i].http.status().is_some_and(|s| s >= 200))
        .filter(|&i| first_request.is_some_and(|f| msgs[i].http.first.frame > f));
    let capture_end = facts.capture.last_ts;
    requests
        .iter()
        .enumerate()
        .map(|(n, &request)| {
            let response = responses.next();
            let resp = match response {
                // A response cut short (reset, close, capture end) is no answer: what cut it decides.
                Some(r) if !msgs[r].http.complete() => {
                    let next_request = requests.get(n + 1).map(|&i| msgs[i].http.first);
                    Resp::Missing(silence(conn, &msgs[request], next_request, capture_end))
                }
                Some(r) => resp_kind(&msgs[r]),
                None => {
                    let next_request = requests.get(n + 1).map(|&i| msgs[i].http.first);
                    Resp::Missing(silence(conn, &msgs[request], next_request, capture_end))
                }
            };
            Exchange {
                conn: conn.id,
                request,
                response,
                req: req_kind(&msgs[request]),
                resp,
            }
        })
        .collect()
}

/// What ended the wait for a response to `request`.
fn silence(
    conn: &ConnFacts,
    request: &Message,
    next_request: Option<At>,
    capture_end: Option<crate::time::Timestamp>,
) -> Silence {
    let sent = request.at();
    let after = |a: &At| a.frame > sent.frame;
    if let Some(r) = conn.rst.filter(|r| after(&r.at)) {
        return Silence::Reset {
            at: r.at,
            by_cpe: r.from_client,
        };
    }
    let fins = [
        conn.fin[1].filter(after).map(|a| (a, false)),
        conn.fin[0].filter(after).map(|a| (a, true)),
    ];
    if let Some((at, by_cpe)) = fins.into_iter().flatten().min_by_key(|(a, _)| a.frame) {
        return Silence::Closed { at, by_cpe };
    }
    let until = next_request
        .map(|a| a.ts)
        .or(capture_end)
        .unwrap_or(sent.ts);
    let waited = until.seconds_since(sent.ts);
    if waited >= RESPONSE_TIMEOUT_SECS {
        Silence::TimedOut {
            waited_secs: waited as u32,
        }
    } else {
        Silence::CaptureEnded
    }
}

/// Reads a CPE request.
pub fn req_kind(m: &Message) -> Req {
    let authorized = m.http.header("Authorization").is_some();
    if m.http.method() != Some("POST") {
        return Req::Other(m.http.summary());
    }
    match &m.soap {
        SoapOutcome::Empty => Req::Empty,
        SoapOutcome::Malformed { rpc_hint, .. } if rpc_hint.as_deref() == Some("Inform") => {
            Req::Inform {
                authorized,
                malformed: true,
            }
        }
        SoapOutcome::Malformed { .. } => Req::Other("malformed XML".into()),
        SoapOutcome::NotSoap { .. } if m.http.body_cut.is_some() => {
            Req::Other("body not kept".into())
        }
        SoapOutcome::NotSoap { .. } => Req::Other("not SOAP".into()),
        SoapOutcome::Envelope(_) => match m.rpc() {
            None => Req::Empty,
            Some("Inform") => Req::Inform {
                authorized,
                malformed: false,
            },
            Some(name) if name == "Fault" || name.ends_with("Response") => {
                Req::CpeAnswer(name.into())
            }
            Some(name) => Req::CpeRequest(name.into()),
        },
    }
}

/// Reads an ACS response.
pub fn resp_kind(m: &Message) -> Resp {
    let status = m.http.status().unwrap_or(0);
    match status {
        401 => {
            let scheme = m
                .http
                .header("WWW-Authenticate")
                .and_then(|v| v.split_whitespace().next())
                .unwrap_or("")
                .to_string();
            return Resp::Unauthorized { scheme };
        }
        300..=399 => {
            let location = m.http.header("Location").map(|l| l.trim().to_string());
            return Resp::Redirect { status, location };
        }
        200..=299 => {}
        _ => return Resp::HttpError { status },
    }
    match &m.soap {
        SoapOutcome::Empty => Resp::Empty { status },
        SoapOutcome::Malformed { .. } => Resp::NotSoap { malformed: true },
        SoapOutcome::NotSoap { .. } => Resp::NotSoap { malformed: false },
        SoapOutcome::Envelope(e) => match e.rpc() {
            None => Resp::Empty { status },
            Some(rpc) => match (&rpc.detail, &*rpc.name) {
                (RpcDetail::Fault(f), _) => Resp::Fault { code: f.code },
                (_, "InformResponse") => Resp::InformResponse,
                (_, name) if name.ends_with("Response") => Resp::AcsAnswer(name.into()),
                (_, name) => Resp::AcsRequest(name.into()),
            },
        },
    }
}
