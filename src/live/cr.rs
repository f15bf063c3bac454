//! The connection-request probe (`cr.connect`, `cr.challenge`, `cr.auth`): do what an ACS does to
//! wake a CPE — an HTTP GET to its ConnectionRequestURL, first without credentials, then answering
//! the challenge.
//!
//! Takes: the CR URL and credentials of the target, the resolver and the step budget. Gives:
//! [`CrProbe`] — connect outcome, the unauthenticated GET's answer and challenge, the authenticated
//! GET's answer (or why it was not sent) — and the three verdicts. TR-069 §3.2.2 / tr069-facts.md
//! §8.1: the CPE must answer 401 with a Digest challenge, then 200 or 204; 503 = busy/rate-limited.
//!
//! Port 7547 is a classic attack target and may answer with anything, so this probe does not use an
//! HTTP client: it writes its own two requests and reads at most [`CPE_READ_CAP`] bytes of each answer
//! through `bounded_http`. The authenticated GET reuses the connection when the first answer allows
//! it (some CPEs bind the nonce to the connection), otherwise it opens a new one.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use url::{Host, Url};

use super::auth::{Authorizer, Challenge, Scheme, pick};
use super::bounded_http::{RawOutcome, exchange};
use super::clock::{Budget, ms, now, secs};
use super::dns::{self, DnsResult};
use super::tcp::{self, ConnectResult};
use super::{LiveEvidence, LiveStatus, LiveTarget, LiveVerdict};
use crate::time::Timestamp;

/// Bytes read from the CPE per answer, at most.
pub(crate) const CPE_READ_CAP: usize = 4096;

#[derive(Clone, Debug, PartialEq)]
pub struct CrProbe {
    /// The URL without user-info.
    pub url: String,
    /// Why no connection was tried (URL unusable, host unresolved).
    pub problem: Option<(&'static str, String)>,
    pub dns: Option<DnsResult>,
    pub connect: Option<ConnectResult>,
    /// The GET without credentials.
    pub challenge: Option<CrStep>,
    /// The GET answering the challenge.
    pub auth: Option<CrStep>,
    /// Why no authenticated GET was sent: a mode of `cr.auth` and the reason.
    pub auth_skipped: Option<(&'static str, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CrStep {
    /// `GET /tr069 (no credentials)`.
    pub request: String,
    pub outcome: RawOutcome,
    /// The challenge of a 401 answer.
    pub challenge: Option<Challenge>,
    pub elapsed: Duration,
    pub at: Timestamp,
}

impl CrStep {
    fn status(&self) -> Option<u16> {
        match &self.outcome {
            RawOutcome::Answer(a) => Some(a.status),
            _ => None,
        }
    }
}

/// Probes the connection request URL of the target.
pub(crate) async fn probe(target: &LiveTarget, url: &str, budget: &Budget) -> CrProbe {
    let mut p = CrProbe {
        url: super::attempt::sanitize_url(url),
        problem: None,
        dns: None,
        connect: None,
        challenge: None,
        auth: None,
        auth_skipped: None,
    };
    let parsed = match Url::parse(url) {
        Ok(u) if u.scheme() == "http" => u,
        Ok(u) => {
            p.problem = Some(("invalid-url", format!("{} uses {}://; connection requests are plain HTTP (TR-069 §3.2.2)", p.url, u.scheme())));
            return p;
        }
        Err(e) => {
            p.problem = Some(("invalid-url", format!("{:?} is not a URL: {e}", p.url)));
            return p;
        }
    };
    let port = parsed.port_or_known_default().unwrap_or(80);
    let ip = match parsed.host() {
        Some(Host::Ipv4(a)) => Some(IpAddr::V4(a)),
        Some(Host::Ipv6(a)) => Some(IpAddr::V6(a)),
        Some(Host::Domain(name)) => {
            let found = dns::resolve(name, target.dns_server, budget).await;
            let first = found.addresses().first().copied();
            if first.is_none() {
                p.problem = Some(("unresolved", dns::verdict(&found, budget.timeout()).summary));
            }
            p.dns = Some(found);
            first
        }
        None => {
            p.problem = Some(("invalid-url", format!("{} has no host", p.url)));
            None
        }
    };
    let Some(ip) = ip else { return p };
    let addr = SocketAddr::new(ip, port);
    let (connected, stream) = tcp::connect(addr, budget).await;
    p.connect = Some(connected);
    let Some(mut stream) = stream else { return p };

    let path = &parsed[url::Position::BeforePath..url::Position::AfterQuery];
    let host = &parsed[url::Position::BeforeHost..url::Position::BeforePath];
    let request = |auth: Option<&str>| {
        let auth = auth.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: cwmp-doctor\r\n{auth}\r\n").into_bytes()
    };
    let first = step(&mut stream, format!("GET {path} (no credentials)"), &request(None), budget).await;
    let reusable = matches!(&first.outcome, RawOutcome::Answer(a) if a.reusable);
    let challenge = first.challenge.clone();
    let status = first.status();
    p.challenge = Some(first);
    p.auth_skipped = match (status, &challenge) {
        (None, _) => Some(("blocked", "the unauthenticated GET got no answer".to_string())),
        (Some(200 | 204), _) => Some(("not-needed", "the CPE accepted the request without credentials".to_string())),
        (Some(401), None) => Some(("blocked", "the 401 carries no WWW-Authenticate challenge".to_string())),
        (Some(401), Some(_)) if target.cr_username.is_none() => Some(("needs-credentials", "no --cr-username given".to_string())),
        (Some(401), Some(_)) => None,
        (Some(s), _) => Some(("blocked", format!("the CPE answered {s}, not a challenge"))),
    };
    let (Some(ch), None) = (challenge, &p.auth_skipped) else { return p };
    let mut authorizer = match Authorizer::for_challenge(&ch) {
        Ok(a) => a,
        Err(e) => {
            p.auth_skipped = Some(("blocked", e));
            return p;
        }
    };
    let user = target.cr_username.as_deref().unwrap_or("");
    let password = target.cr_password.as_deref().unwrap_or("");
    let header = match authorizer.header(user, password, "GET", path, None) {
        Ok(h) => h,
        Err(e) => {
            p.auth_skipped = Some(("blocked", e));
            return p;
        }
    };
    let label = format!("GET {path} ({} credentials of user {user:?})", scheme_name(&ch.scheme));
    if !reusable {
        let (again, fresh) = tcp::connect(addr, budget).await;
        match fresh {
            Some(s) => stream = s,
            None => {
                let outcome = RawOutcome::Error(format!("cannot reconnect: {}", again.describe(budget.timeout())));
                p.auth = Some(CrStep { request: label, outcome, challenge: None, elapsed: Duration::ZERO, at: now() });
                return p;
            }
        }
    }
    p.auth = Some(step(&mut stream, label, &request(Some(&header)), budget).await);
    p
}

async fn step(stream: &mut tokio::net::TcpStream, request: String, bytes: &[u8], budget: &Budget) -> CrStep {
    let start = Instant::now();
    let outcome = exchange(stream, bytes, CPE_READ_CAP, budget).await;
    let challenge = match &outcome {
        RawOutcome::Answer(a) if a.status == 401 => pick(&a.headers_named("www-authenticate")),
        _ => None,
    };
    CrStep { request, outcome, challenge, elapsed: start.elapsed(), at: now() }
}

fn scheme_name(s: &Scheme) -> &str {
    match s {
        Scheme::Digest => "Digest",
        Scheme::Basic => "Basic",
        Scheme::Other(o) => o,
    }
}

fn describe(s: &CrStep, timeout: Duration) -> String {
    let answer = match &s.outcome {
        RawOutcome::Answer(a) => {
            let ch = s.challenge.as_ref().map(|c| format!(", WWW-Authenticate: {}", c.describe())).unwrap_or_default();
            format!("{}{ch} ({} bytes read, {})", a.status_line(), a.bytes_read, ms(s.elapsed))
        }
        RawOutcome::TimedOut => format!("no answer within {}", secs(timeout)),
        RawOutcome::Reset => "connection reset".to_string(),
        RawOutcome::Closed => "connection closed without an answer".to_string(),
        RawOutcome::NotHttp(x) => format!("not HTTP: {x:?}"),
        RawOutcome::Oversized(cap) => format!("no end of the HTTP header within {cap} bytes"),
        RawOutcome::Error(e) => e.clone(),
    };
    format!("{} → {answer}", s.request)
}

/// The three connection-request verdicts, in catalog order.
pub(crate) fn verdicts(p: &CrProbe, timeout: Duration) -> Vec<LiveVerdict> {
    let blocked = |id, why: &str| LiveVerdict::new(id, LiveStatus::Skip, "blocked", why.to_string());
    let connect = match (&p.problem, &p.connect) {
        (Some((mode, why)), _) => LiveVerdict::new("cr.connect", LiveStatus::Fail, mode, why.clone()).with([LiveEvidence::new(now(), why.clone())]),
        (None, Some(c)) => tcp::verdict("cr.connect", "the CPE", std::slice::from_ref(c), timeout),
        (None, None) => blocked("cr.connect", "no connection attempted"),
    };
    let Some(first) = &p.challenge else {
        let why = "no connection to the CPE";
        return vec![connect, blocked("cr.challenge", why), blocked("cr.auth", why)];
    };
    let first_ev = LiveEvidence::new(first.at, describe(first, timeout));
    let (status, mode, summary) = match (&first.outcome, &first.challenge) {
        (RawOutcome::Answer(a), Some(c)) if a.status == 401 && c.scheme == Scheme::Digest => {
            (LiveStatus::Pass, "pass", format!("the CPE answered the unauthenticated GET with 401 and a {} challenge", c.describe()))
        }
        (RawOutcome::Answer(a), Some(c)) if a.status == 401 && c.scheme == Scheme::Basic => {
            (LiveStatus::Warn, "basic-challenge", format!("the CPE challenges with {} instead of Digest", c.describe()))
        }
        (RawOutcome::Answer(a), _) if matches!(a.status, 200 | 204) => {
            (LiveStatus::Warn, "unauthenticated-accepted", format!("the CPE accepted an unauthenticated request ({})", a.status_line()))
        }
        (RawOutcome::Answer(a), c) => {
            let ch = c.as_ref().map(|c| format!(" with a {} challenge", c.describe())).unwrap_or_default();
            (LiveStatus::Fail, "error-status", format!("the CPE answered the unauthenticated GET with {}{ch}", a.status_line()))
        }
        (RawOutcome::NotHttp(_) | RawOutcome::Oversized(_), _) => (LiveStatus::Fail, "not-http", format!("the CPE's port did not answer in HTTP: {}", describe(first, timeout))),
        _ => (LiveStatus::Fail, "no-answer", format!("the CPE did not answer the connection request: {}", describe(first, timeout))),
    };
    let challenge = LiveVerdict::new("cr.challenge", status, mode, summary).with([first_ev.clone()]);
    let auth = match (&p.auth, &p.auth_skipped) {
        (_, Some((mode, why))) => LiveVerdict::new("cr.auth", LiveStatus::Skip, mode, format!("no authenticated GET: {why}")),
        (Some(s), None) => {
            let ev = LiveEvidence::new(s.at, describe(s, timeout));
            let (status, mode, summary) = match &s.outcome {
                RawOutcome::Answer(a) if matches!(a.status, 200 | 204) => (LiveStatus::Pass, "pass", format!("the CPE accepted the credentials: {}", a.status_line())),
                RawOutcome::Answer(a) if a.status == 401 => (LiveStatus::Fail, "rejected", "the CPE rejected the credentials (401 again)".to_string()),
                RawOutcome::Answer(a) if a.status == 503 => (LiveStatus::Fail, "busy", "the CPE answered 503: busy or rate-limiting connection requests".to_string()),
                RawOutcome::Answer(a) => (LiveStatus::Fail, "error-status", format!("the CPE answered the authenticated GET with {}", a.status_line())),
                RawOutcome::NotHttp(_) | RawOutcome::Oversized(_) => (LiveStatus::Fail, "error-status", describe(s, timeout)),
                _ => (LiveStatus::Fail, "no-answer", format!("the CPE did not answer the authenticated GET: {}", describe(s, timeout))),
            };
            LiveVerdict::new("cr.auth", status, mode, summary).with([first_ev, ev])
        }
        (None, None) => blocked("cr.auth", "no authenticated GET sent"),
    };
    vec![connect, challenge, auth]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::bounded_http::RawAnswer;

    fn answer(status: u16, www: Option<&str>) -> RawOutcome {
        let headers = www.map(|w| vec![("WWW-Authenticate".to_string(), w.to_string())]).unwrap_or_default();
        RawOutcome::Answer(RawAnswer { status, reason: String::new(), headers, bytes_read: 60, reusable: true })
    }

    fn s(outcome: RawOutcome) -> CrStep {
        let challenge = match &outcome {
            RawOutcome::Answer(a) => pick(&a.headers_named("www-authenticate")),
            _ => None,
        };
        CrStep { request: "GET /cr".into(), outcome, challenge, elapsed: Duration::ZERO, at: Timestamp::new(1_700_000_000, 0) }
    }

    fn probe(first: RawOutcome, auth: Option<RawOutcome>, skipped: Option<(&'static str, String)>) -> Vec<(LiveStatus, &'static str)> {
        let p = CrProbe {
            url: "http://192.0.2.7:7547/cr".into(),
            problem: None,
            dns: None,
            connect: Some(ConnectResult { addr: SocketAddr::from(([192, 0, 2, 7], 7547)), outcome: tcp::ConnectOutcome::Connected(Duration::ZERO), at: Timestamp::new(0, 0) }),
            challenge: Some(s(first)),
            auth: auth.map(s),
            auth_skipped: skipped,
        };
        verdicts(&p, Duration::from_secs(2)).into_iter().map(|v| (v.status, v.mode)).collect()
    }

    const DIGEST: Option<&str> = Some(r#"Digest realm="cpe", nonce="n", qop="auth""#);

    #[test]
    fn digest_challenge_then_200_passes() {
        let v = probe(answer(401, DIGEST), Some(answer(200, None)), None);
        assert_eq!(v, vec![(LiveStatus::Pass, "pass"); 3]);
    }

    #[test]
    fn failures_of_the_authenticated_get() {
        assert_eq!(probe(answer(401, DIGEST), Some(answer(401, DIGEST)), None)[2], (LiveStatus::Fail, "rejected"));
        assert_eq!(probe(answer(401, DIGEST), Some(answer(503, None)), None)[2], (LiveStatus::Fail, "busy"));
        assert_eq!(probe(answer(401, DIGEST), Some(RawOutcome::Reset), None)[2], (LiveStatus::Fail, "no-answer"));
        assert_eq!(probe(answer(401, DIGEST), Some(RawOutcome::TimedOut), None)[2], (LiveStatus::Fail, "no-answer"));
    }

    #[test]
    fn deviations_of_the_challenge() {
        let basic = probe(answer(401, Some(r#"Basic realm="cpe""#)), Some(answer(204, None)), None);
        assert_eq!(basic[1], (LiveStatus::Warn, "basic-challenge"));
        let open = probe(answer(204, None), None, Some(("not-needed", "accepted".into())));
        assert_eq!(&open[1..], &[(LiveStatus::Warn, "unauthenticated-accepted"), (LiveStatus::Skip, "not-needed")]);
        assert_eq!(probe(answer(404, None), None, Some(("blocked", "404".into())))[1], (LiveStatus::Fail, "error-status"));
        assert_eq!(probe(RawOutcome::NotHttp("SSH-2.0".into()), None, None)[1], (LiveStatus::Fail, "not-http"));
        assert_eq!(probe(RawOutcome::TimedOut, None, None)[1], (LiveStatus::Fail, "no-answer"));
        assert_eq!(probe(answer(401, DIGEST), None, Some(("needs-credentials", "no --cr-username given".into())))[2], (LiveStatus::Skip, "needs-credentials"));
    }
}
