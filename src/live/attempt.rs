//! One attempt: every probe the target asks for, run concurrently, then judged.
//!
//! Takes: the [`LiveTarget`] and the attempt's number. Gives: [`LiveAttempt`] — the raw results of
//! the three chains and that attempt's own verdicts. The chains run at the same time:
//! WAN ping (`wan_target`, resolved first when it is a name); the ACS (URL → DNS → [ping ∥ connect
//! to every address → TLS for https → HTTP]); the connection request (`cr`). Each chain stops at its
//! first failure, so a dead target costs one step of the budget, not one per step.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use url::{Host, Url};

use super::acs_http::{self, AcsCtx, AcsHttp};
use super::clock::{Budget, now};
use super::cr::{self, CrProbe};
use super::dns::{self, DnsResult};
use super::icmp::{self, PingOutcome, PingResult};
use super::tcp::{self, ConnectResult};
use super::tls::{self, TlsOutcome, TlsResult};
use super::{LiveTarget, LiveVerdict, combine};
use crate::time::Timestamp;

/// Everything one attempt saw.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveAttempt {
    /// 1-based.
    pub number: u32,
    pub started: Timestamp,
    pub elapsed: Duration,
    pub wan: PingResult,
    /// With `acs_url`.
    pub acs: Option<AcsProbe>,
    /// With `cpe_url`.
    pub cr: Option<CrProbe>,
    /// This attempt's verdicts, in catalog order.
    pub verdicts: Vec<LiveVerdict>,
}

/// The ACS chain of one attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct AcsProbe {
    /// The URL without user-info.
    pub url: String,
    pub parsed: Result<AcsUrl, String>,
    /// The lookup of the host (none for an address).
    pub dns: Option<DnsResult>,
    /// Echo to the first address.
    pub ping: Option<PingResult>,
    /// One per address, at the URL's port.
    pub connects: Vec<ConnectResult>,
    /// For https, on the first connected address.
    pub tls: Option<TlsResult>,
    pub http: Option<AcsHttp>,
}

/// The parts of the ACS URL the probes use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcsUrl {
    /// `http` or `https`.
    pub scheme: String,
    /// Name or address, without IPv6 brackets.
    pub host: String,
    /// The URL's port, or the scheme's default.
    pub port: u16,
    /// Path and query.
    pub path: String,
    /// The host, when it is an address.
    pub ip: Option<IpAddr>,
}

/// The URL without user-info (`http://u:p@h/` → `http://h/`), for reports and requests.
pub fn sanitize_url(raw: &str) -> String {
    if let Ok(mut u) = Url::parse(raw) {
        let _ = u.set_username("");
        let _ = u.set_password(None);
        return u.to_string();
    }
    let clipped: String = raw.chars().take(200).collect();
    match clipped.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            match rest[..authority_end].rfind('@') {
                Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                None => clipped,
            }
        }
        None => clipped,
    }
}

/// Reads an ACS URL (TR-069 §3.1: an http or https URL).
pub(crate) fn parse_acs_url(raw: &str) -> Result<AcsUrl, String> {
    let shown = sanitize_url(raw);
    let u = Url::parse(raw).map_err(|e| format!("{shown:?} is not a URL: {e}"))?;
    if u.scheme() != "http" && u.scheme() != "https" {
        return Err(format!(
            "{shown} uses {}://; an ACS URL is http:// or https://",
            u.scheme()
        ));
    }
    let (host, ip) = match u.host() {
        Some(Host::Domain(d)) => (d.to_string(), None),
        Some(Host::Ipv4(a)) => (a.to_string(), Some(IpAddr::V4(a))),
        Some(Host::Ipv6(a)) => (a.to_string(), Some(IpAddr::V6(a))),
        None => return Err(format!("{shown} has no host")),
    };
    Ok(AcsUrl {
        scheme: u.scheme().to_string(),
        host,
        port: u.port_or_known_default().unwrap_or(80),
        path: u[url::Position::BeforePath..url::Position::AfterQuery].to_string(),
        ip,
    })
}

/// Runs attempt `number`.
pub(crate) async fn run_attempt(target: &LiveTarget, number: u32) -> LiveAttempt {
    let started = now();
    let clock = Instant::now();
    let budget = Budget::new(target.timeout);
    // Distinct echo identifiers per probe and attempt, so that concurrent pings never take each
    // other's replies.
    let ident = (std::process::id() as u16).wrapping_add((number as u16).wrapping_mul(2));
    let acs = async {
        match &target.acs_url {
            Some(url) => Some(acs_chain(target, url, ident.wrapping_add(1), &budget).await),
            None => None,
        }
    };
    let cr = async {
        match &target.cpe_url {
            Some(url) => Some(cr::probe(target, url, &budget).await),
            None => None,
        }
    };
    let (wan, acs, cr) = tokio::join!(wan_chain(target, ident, &budget), acs, cr);
    let mut attempt = LiveAttempt {
        number,
        started,
        elapsed: Duration::ZERO,
        wan,
        acs,
        cr,
        verdicts: Vec::new(),
    };
    attempt.elapsed = clock.elapsed();
    attempt.verdicts = combine::judge(&attempt, target);
    attempt
}

async fn wan_chain(target: &LiveTarget, ident: u16, budget: &Budget) -> PingResult {
    let name = target.wan_target.trim();
    if name.is_empty() {
        let outcome = PingOutcome::Unresolved("no ping target given".to_string());
        return PingResult {
            target: String::new(),
            addr: None,
            outcome,
            at: now(),
        };
    }
    if let Ok(ip) = name.parse::<IpAddr>() {
        return icmp::probe(name, ip, ident, budget).await;
    }
    let found = dns::resolve(name, target.dns_server, budget).await;
    match found.addresses().first() {
        Some(&ip) => icmp::probe(name, ip, ident, budget).await,
        None => PingResult {
            target: name.to_string(),
            addr: None,
            outcome: PingOutcome::Unresolved(dns::verdict(&found, budget.timeout()).summary),
            at: now(),
        },
    }
}

async fn acs_chain(target: &LiveTarget, raw: &str, ident: u16, budget: &Budget) -> AcsProbe {
    let mut p = AcsProbe {
        url: sanitize_url(raw),
        parsed: parse_acs_url(raw),
        dns: None,
        ping: None,
        connects: Vec::new(),
        tls: None,
        http: None,
    };
    let Ok(u) = p.parsed.clone() else { return p };
    let addrs = match u.ip {
        Some(ip) => vec![ip],
        None => {
            let found = dns::resolve(&u.host, target.dns_server, budget).await;
            let addrs = found.addresses();
            p.dns = Some(found);
            addrs
        }
    };
    let Some(&first) = addrs.first() else {
        return p;
    };
    let sockets: Vec<SocketAddr> = addrs
        .iter()
        .map(|&ip| SocketAddr::new(ip, u.port))
        .collect();
    let rest = async {
        let (connects, stream) = tcp::connect_all(&sockets, budget).await;
        let Some((addr, stream)) = stream else {
            return (connects, None, None);
        };
        if u.scheme == "https" {
            let r = tls::handshake(stream, &u.host, &target.trust_roots, budget).await;
            let http = match r.outcome {
                TlsOutcome::Completed => {
                    acs_exchange(target, &p.url, addr, Some(r.verified()), budget).await
                }
                _ => None,
            };
            return (connects, Some(r), http);
        }
        drop(stream);
        (
            connects,
            None,
            acs_exchange(target, &p.url, addr, None, budget).await,
        )
    };
    let (ping, (connects, tls, http)) =
        tokio::join!(icmp::probe(&u.host, first, ident, budget), rest);
    p.ping = Some(ping);
    p.connects = connects;
    p.tls = tls;
    p.http = http;
    p
}

async fn acs_exchange(
    target: &LiveTarget,
    url: &str,
    addr: SocketAddr,
    tls_verified: Option<bool>,
    budget: &Budget,
) -> Option<AcsHttp> {
    let url = Url::parse(url).ok()?;
    let ctx = AcsCtx {
        url: &url,
        addr,
        tls_verified,
        target,
        budget,
    };
    Some(acs_http::probe(&ctx).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_never_survives() {
        assert_eq!(
            sanitize_url("https://cpe:s3cret@acs.test:8443/acs"),
            "https://acs.test:8443/acs"
        );
        assert_eq!(
            sanitize_url("http://u:s3cret@bad host/x"),
            "http://bad host/x"
        );
        assert_eq!(sanitize_url("acs.test/acs"), "acs.test/acs");
    }

    #[test]
    fn acs_urls_are_read() {
        let u = parse_acs_url("https://acs.test/cwmp?x=1").unwrap();
        assert_eq!(
            (
                u.scheme.as_str(),
                u.host.as_str(),
                u.port,
                u.path.as_str(),
                u.ip
            ),
            ("https", "acs.test", 443, "/cwmp?x=1", None)
        );
        let v6 = parse_acs_url("http://[2001:db8::1]:7547/").unwrap();
        assert_eq!(
            (v6.host.as_str(), v6.port, v6.ip),
            ("2001:db8::1", 7547, Some("2001:db8::1".parse().unwrap()))
        );
        assert!(
            parse_acs_url("ftp://acs.test/")
                .unwrap_err()
                .contains("ftp://")
        );
        let err = parse_acs_url("acs.test:7547").unwrap_err();
        assert!(
            err.contains("is not a URL") || err.contains("acs.test://"),
            "{err}"
        );
        assert!(!parse_acs_url("http://u:pw@/").unwrap_err().contains("pw"));
    }
}
