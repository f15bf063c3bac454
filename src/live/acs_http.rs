//! The ACS HTTP probe (`cwmp.url`, `cwmp.credentials`, `session.inform-response`): what the ACS
//! answers at the configured URL, with reqwest over rustls.
//!
//! Takes: the parsed ACS URL, the address that accepted TCP, whether its certificate verified, the
//! target (credentials, emulated device) and the step budget. Gives: [`AcsHttp`] — every request made
//! and its answer (status, Allow, challenge, a summary of the body), whether credentials were sent,
//! and for an `http://` URL whose port does not answer HTTP, whether it answers TLS.
//!
//! The exchange, on one connection where the server allows it (TR-069 §3.4.4: answer a 401 on the
//! same connection): `GET` (an ACS answering 405 with `Allow: POST` is alive), then a `POST` —
//! empty, or with `--emulate-inform` the BOOTSTRAP Inform a CPE sends first — without credentials;
//! a 401 is answered once with the scheme it asks for (again once more if the nonce was `stale`).
//! After an InformResponse the session is ended the way a CPE ends it, with an empty POST.
//!
//! Invariants: redirects are not followed (a 30x is reported); bodies are read to at most
//! [`ACS_BODY_CAP`] bytes and kept only as a [`BodySummary`] (an ACS's RPCs can carry passwords);
//! `Authorization` values are marked sensitive and never stored; cookies are kept only by name.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderValue};
use reqwest::{Client, RequestBuilder, Response};
use url::{Host, Position, Url};

use super::auth::{Authorizer, Challenge, Scheme, pick};
use super::clock::{Budget, now};
use super::inform;
use super::tls::{self, TlsOutcome};
use super::tls_verify::{recording_config, strict_config};
use super::LiveTarget;
use crate::cwmp::{RpcDetail, SoapOutcome, parse_envelope};
use crate::time::Timestamp;

/// Bytes of an ACS answer's body read, at most.
pub(crate) const ACS_BODY_CAP: usize = 16 * 1024;

#[derive(Clone, Debug, PartialEq)]
pub struct AcsHttp {
    pub steps: Vec<HttpStep>,
    pub credentials: CredentialState,
    /// For an `http://` URL whose port did not answer HTTP: what a TLS handshake there got.
    pub tls_on_http_port: Option<String>,
    /// The emulated Inform was posted.
    pub inform_sent: bool,
}

/// What became of the credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialState {
    /// The exchange stopped before a POST was answered.
    NotReached,
    /// The POST was answered without a challenge.
    NotChallenged,
    /// Challenged, but no `--acs-username` was given.
    NeedsCredentials(Challenge),
    /// Challenged over TLS whose certificate did not verify: nothing was sent.
    UnverifiedTls(Challenge),
    /// A 401 without a usable challenge, or a scheme TR-069 does not use.
    Unusable(String),
    /// Sent, as this user, answering this challenge.
    Sent { user: String, challenge: Challenge },
}

#[derive(Clone, Debug, PartialEq)]
pub struct HttpStep {
    /// `POST /acs (Inform, Digest credentials of user "cpe")`.
    pub request: String,
    pub outcome: HttpOutcome,
    pub elapsed: Duration,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq)]
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
        format!("{} {}", self.status, self.reason).trim_end().to_string()
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
    Rpc { name: String, cwmp_ns: Option<String>, fault_code: Option<u32>, fault_string: Option<String> },
    EmptyBody,
    NotSoap(String),
    Malformed(String),
}

/// Where and how to talk to the ACS.
pub(crate) struct AcsCtx<'a> {
    pub url: &'a Url,
    pub addr: SocketAddr,
    /// `Some(verified)` for https.
    pub tls_verified: Option<bool>,
    pub target: &'a LiveTarget,
    pub budget: &'a Budget,
}

/// Runs the exchange with the ACS.
pub(crate) async fn probe(ctx: &AcsCtx<'_>) -> AcsHttp {
    let mut out = AcsHttp { steps: Vec::new(), credentials: CredentialState::NotReached, tls_on_http_port: None, inform_sent: false };
    let client = match client(ctx) {
        Ok(c) => c,
        Err(e) => {
            out.steps.push(HttpStep { request: "HTTP client".into(), outcome: HttpOutcome::Error(e), elapsed: Duration::ZERO, at: now() });
            return out;
        }
    };
    let path = &ctx.url[Position::BeforePath..Position::AfterQuery];
    let get = send(client.get(ctx.url.clone()), format!("GET {path}"), ctx.budget).await.0;
    let get_failed = !matches!(get.outcome, HttpOutcome::Answer(_));
    out.steps.push(get);
    if get_failed {
        if ctx.tls_verified.is_none() {
            out.tls_on_http_port = tls_answer(ctx).await;
        }
        return out;
    }
    let body = match &ctx.target.emulate_inform {
        Some(device) => inform::envelope(device, now()),
        None => String::new(),
    };
    let what = if body.is_empty() { "empty" } else { "Inform" };
    out.inform_sent = !body.is_empty();
    let post = |auth: Option<&str>, cookie: Option<&str>, body: &str| {
        let mut rb = client.post(ctx.url.clone()).body(body.to_string());
        if !body.is_empty() {
            rb = rb.header(header::CONTENT_TYPE, "text/xml; charset=\"utf-8\"").header("SOAPAction", "");
        }
        if let Some(a) = auth.and_then(|a| HeaderValue::from_str(a).ok()) {
            let mut a = a;
            a.set_sensitive(true);
            rb = rb.header(header::AUTHORIZATION, a);
        }
        if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(c).ok()) {
            rb = rb.header(header::COOKIE, c);
        }
        rb
    };
    let (first, mut cookies) = send(post(None, None, &body), format!("POST {path} ({what}, no credentials)"), ctx.budget).await;
    let challenge = match &first.outcome {
        HttpOutcome::Answer(a) if a.status == 401 => Some(a.challenge.clone()),
        HttpOutcome::Answer(_) => None,
        _ => {
            out.steps.push(first);
            return out;
        }
    };
    out.steps.push(first);
    let mut auth_for_close = None;
    match challenge {
        None => out.credentials = CredentialState::NotChallenged,
        Some(None) => out.credentials = CredentialState::Unusable("the 401 carries no WWW-Authenticate challenge".into()),
        Some(Some(ch)) => {
            let Some(user) = ctx.target.acs_username.as_deref() else {
                out.credentials = CredentialState::NeedsCredentials(ch);
                return out;
            };
            if ctx.tls_verified == Some(false) {
                out.credentials = CredentialState::UnverifiedTls(ch);
                return out;
            }
            let password = ctx.target.acs_password.as_deref().unwrap_or("");
            let mut ch = ch;
            for round in 0..2 {
                let mut authorizer = match Authorizer::for_challenge(&ch) {
                    Ok(a) => a,
                    Err(e) => {
                        out.credentials = CredentialState::Unusable(e);
                        return out;
                    }
                };
                let Ok(value) = authorizer.header(user, password, "POST", path, Some(body.as_bytes())) else {
                    out.credentials = CredentialState::Unusable(format!("cannot answer the challenge {}", ch.describe()));
                    return out;
                };
                let scheme = if ch.scheme == Scheme::Basic { "Basic" } else { "Digest" };
                let label = format!("POST {path} ({what}, {scheme} credentials of user {user:?})");
                let (step, set) = send(post(Some(&value), None, &body), label, ctx.budget).await;
                cookies.extend(set);
                out.credentials = CredentialState::Sent { user: user.to_string(), challenge: ch.clone() };
                let stale = match &step.outcome {
                    HttpOutcome::Answer(a) if a.status == 401 => a.challenge.clone().filter(|c| c.stale && round == 0),
                    _ => None,
                };
                out.steps.push(step);
                match stale {
                    Some(fresh) => ch = fresh,
                    None => {
                        auth_for_close = Some((authorizer, user));
                        break;
                    }
                }
            }
        }
    }
    let informed = out.inform_sent && out.steps.last().is_some_and(|s| matches!(&s.outcome, HttpOutcome::Answer(a) if matches!(&a.body.soap, SoapSummary::Rpc { name, .. } if name == "InformResponse")));
    if informed {
        let auth = auth_for_close.and_then(|(mut a, user)| a.header(user, ctx.target.acs_password.as_deref().unwrap_or(""), "POST", path, Some(b"")).ok());
        let cookie = (!cookies.is_empty()).then(|| cookies.join("; "));
        let (step, _) = send(post(auth.as_deref(), cookie.as_deref(), ""), format!("POST {path} (empty, ending the session)"), ctx.budget).await;
        out.steps.push(step);
    }
    out
}

fn client(ctx: &AcsCtx<'_>) -> Result<Client, String> {
    let mut b = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .http1_only()
        .http1_max_headers(64)
        .pool_max_idle_per_host(1)
        .connect_timeout(ctx.budget.timeout())
        .user_agent(concat!("cwmp-doctor/", env!("CARGO_PKG_VERSION")));
    if let Some(Host::Domain(d)) = ctx.url.host() {
        b = b.resolve(d, ctx.addr);
    }
    let roots = &ctx.target.trust_roots;
    b = match ctx.tls_verified {
        Some(false) => b.tls_backend_preconfigured(recording_config(roots)?.0),
        _ => b.tls_backend_preconfigured(strict_config(roots)?),
    };
    b.build().map_err(|e| format!("cannot build the HTTP client: {}", chain(&e)))
}

/// Sends a request within the budget; gives the step and the `name=value` of the cookies set.
async fn send(rb: RequestBuilder, request: String, budget: &Budget) -> (HttpStep, Vec<String>) {
    let start = Instant::now();
    let work = async {
        let resp = rb.timeout(budget.step()).send().await.map_err(|e| classify(&e))?;
        read(resp).await
    };
    let (outcome, cookies) = match budget.run(work).await {
        None => (HttpOutcome::TimedOut, Vec::new()),
        Some(Err(o)) => (o, Vec::new()),
        Some(Ok((answer, cookies))) => (HttpOutcome::Answer(answer), cookies),
    };
    (HttpStep { request, outcome, elapsed: start.elapsed(), at: now() }, cookies)
}

async fn read(mut resp: Response) -> Result<(HttpAnswer, Vec<String>), HttpOutcome> {
    let h = resp.headers();
    let one = |name: header::HeaderName| h.get(name).and_then(|v| v.to_str().ok()).map(|v| v.chars().take(256).collect::<String>());
    let challenges: Vec<&str> = h.get_all(header::WWW_AUTHENTICATE).iter().filter_map(|v| v.to_str().ok()).collect();
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
        challenge: if resp.status().as_u16() == 401 { pick(&challenges) } else { None },
        content_type: one(header::CONTENT_TYPE),
        location: one(header::LOCATION),
        retry_after: one(header::RETRY_AFTER),
        cookies: cookies.iter().map(|c| c.split('=').next().unwrap_or("").to_string()).collect(),
        body: BodySummary { bytes: 0, truncated: false, soap: SoapSummary::Empty },
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
        SoapOutcome::NotSoap { reason } => SoapSummary::NotSoap(reason),
        SoapOutcome::Malformed { line, column, message, .. } => SoapSummary::Malformed(format!("line {line}, column {column}: {message}")),
        SoapOutcome::Envelope(env) => match env.rpc() {
            None => SoapSummary::EmptyBody,
            Some(rpc) => {
                let fault = match &rpc.detail {
                    RpcDetail::Fault(f) => Some(f),
                    _ => None,
                };
                SoapSummary::Rpc {
                    name: rpc.name.clone(),
                    cwmp_ns: env.cwmp_ns.clone(),
                    fault_code: fault.and_then(|f| f.code),
                    fault_string: fault.and_then(|f| f.string.clone().or_else(|| f.soap_faultstring.clone())),
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
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::BrokenPipe => return HttpOutcome::Reset,
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
fn chain(e: &dyn std::error::Error) -> String {
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

/// For an `http://` URL that got no HTTP answer: does the port answer a TLS handshake?
async fn tls_answer(ctx: &AcsCtx<'_>) -> Option<String> {
    let (_, stream) = super::tcp::connect(ctx.addr, ctx.budget).await;
    let host = ctx.url.host_str().unwrap_or("").trim_matches(['[', ']']);
    let r = tls::handshake(stream?, host, &ctx.target.trust_roots, ctx.budget).await;
    match &r.outcome {
        TlsOutcome::Completed => Some(format!("a {} handshake completed", r.version.as_deref().unwrap_or("TLS"))),
        TlsOutcome::Alert(a) => Some(format!("it answered a TLS ClientHello with the alert {a}")),
        _ => None,
    }
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
            SoapSummary::Rpc { name: "Fault".into(), cwmp_ns: Some("urn:dslforum-org:cwmp-1-0".into()), fault_code: Some(8003), fault_string: Some("Invalid arguments".into()) }
        );
        assert!(matches!(summarize(b"<html><body>Bad gateway</body></html>"), SoapSummary::NotSoap(_)));
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
