//! The connection-request probe (`cr.connect`, `cr.challenge`, `cr.auth`): do what an ACS does to
//! wake a CPE — an HTTP GET to its ConnectionRequestURL, first without credentials, then answering
//! the challenge.
//!
//! Takes: the CR URL and credentials of the target, the resolver and the step budget. Gives:
//! [`CrProbe`] — connect outcome, the unauthenticated GET's answer and challenge, the authenticated
//! GET's answer (or why it was not sent); `cr_verdict` judges it. TR-069 §3.2.2 / tr069-facts.md
//! §8.1: the CPE must answer 401 with a Digest challenge, then 200 or 204; 503 = busy/rate-limited.
//!
//! Port 7547 is a classic attack target and may answer with anything, so this probe does not use an
//! HTTP client: it writes its own two requests and reads at most [`CPE_READ_CAP`] bytes of each answer
//! through `bounded_http`. The authenticated GET reuses the connection when the first answer allows
//! it (some CPEs bind the nonce to the connection), otherwise it opens a new one.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use url::{Host, Url};

use super::LiveTarget;
use super::auth::{Authorizer, Challenge, Scheme, pick};
use super::bounded_http::{RawOutcome, exchange};
use super::clock::{Budget, now};
use super::dns::{self, DnsResult};
use super::tcp::{self, ConnectResult};
use crate::time::Timestamp;

/// Bytes read from the CPE per answer, at most.
pub(crate) const CPE_READ_CAP: usize = 4096;

#[derive(Clone, Debug, PartialEq)]
pub struct CrProbe {
    /// The URL without user-info.
    pub url: String,
    /// When the probe started.
    pub at: Timestamp,
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
    pub(crate) fn status(&self) -> Option<u16> {
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
        at: now(),
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
            p.problem = Some((
                "invalid-url",
                format!(
                    "{} uses {}://; connection requests are plain HTTP (TR-069 §3.2.2)",
                    p.url,
                    u.scheme()
                ),
            ));
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
        let auth = auth
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: cwmp-doctor\r\n{auth}\r\n")
            .into_bytes()
    };
    let first = step(
        &mut stream,
        format!("GET {path} (no credentials)"),
        &request(None),
        budget,
    )
    .await;
    let reusable = matches!(&first.outcome, RawOutcome::Answer(a) if a.reusable);
    let challenge = first.challenge.clone();
    let status = first.status();
    p.challenge = Some(first);
    p.auth_skipped = match (status, &challenge) {
        (None, _) => Some((
            "blocked",
            "the unauthenticated GET got no answer".to_string(),
        )),
        (Some(200 | 204), _) => Some((
            "not-needed",
            "the CPE accepted the request without credentials".to_string(),
        )),
        (Some(401), None) => Some((
            "blocked",
            "the 401 carries no WWW-Authenticate challenge".to_string(),
        )),
        (Some(401), Some(_)) if target.cr_username.is_none() => {
            Some(("needs-credentials", "no --cr-username given".to_string()))
        }
        (Some(401), Some(_)) => None,
        (Some(s), _) => Some(("blocked", format!("the CPE answered {s}, not a challenge"))),
    };
    let (Some(ch), None) = (challenge, &p.auth_skipped) else {
        return p;
    };
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
    let label = format!(
        "GET {path} ({} credentials of user {user:?})",
        scheme_name(&ch.scheme)
    );
    if !reusable {
        let (again, fresh) = tcp::connect(addr, budget).await;
        match fresh {
            Some(s) => stream = s,
            None => {
                let outcome = RawOutcome::Error(format!(
                    "cannot reconnect: {}",
                    again.describe(budget.timeout())
                ));
                p.auth = Some(CrStep {
                    request: label,
                    outcome,
                    challenge: None,
                    elapsed: Duration::ZERO,
                    at: now(),
                });
                return p;
            }
        }
    }
    p.auth = Some(step(&mut stream, label, &request(Some(&header)), budget).await);
    p
}

async fn step(
    stream: &mut tokio::net::TcpStream,
    request: String,
    bytes: &[u8],
    budget: &Budget,
) -> CrStep {
    let start = Instant::now();
    let outcome = exchange(stream, bytes, CPE_READ_CAP, budget).await;
    let challenge = match &outcome {
        RawOutcome::Answer(a) if a.status == 401 => pick(&a.headers_named("www-authenticate")),
        _ => None,
    };
    CrStep {
        request,
        outcome,
        challenge,
        elapsed: start.elapsed(),
        at: now(),
    }
}

fn scheme_name(s: &Scheme) -> &str {
    match s {
        Scheme::Digest => "Digest",
        Scheme::Basic => "Basic",
        Scheme::Other(o) => o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe_url(url: &str) -> CrProbe {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let target = LiveTarget {
            cr_password: Some("s3cret".into()),
            ..LiveTarget::default()
        };
        rt.block_on(probe(&target, url, &Budget::new(Duration::from_secs(1))))
    }

    #[test]
    fn unusable_urls_are_reported_without_a_connection() {
        let https = probe_url("https://192.0.2.7:7547/cr");
        assert_eq!(https.problem.as_ref().map(|p| p.0), Some("invalid-url"));
        assert!(https.problem.unwrap().1.contains("plain HTTP"));
        assert_eq!(https.connect, None);
        let junk = probe_url("192.0.2.7:7547");
        assert_eq!(junk.problem.map(|p| p.0), Some("invalid-url"));
        let userinfo = probe_url("ftp://acs:s3cret@192.0.2.7/");
        assert_eq!(userinfo.url, "ftp://192.0.2.7/");
        assert!(!format!("{userinfo:?}").contains("s3cret"));
    }
}
