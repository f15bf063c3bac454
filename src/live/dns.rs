//! The DNS probe (`acs.dns`): resolve the ACS host with hickory-resolver, not getaddrinfo, so the
//! answer code (NXDOMAIN, SERVFAIL, REFUSED), a silent resolver and every address are visible.
//!
//! Takes: a host name, the resolver to ask (`--dns-server`, UDP; otherwise the servers of
//! `/etc/resolv.conf`) and the step budget. Gives: [`DnsResult`] — one A and one AAAA query, asked
//! concurrently, each with its outcome and time — and the `acs.dns` verdict. RFC 1035 §4.1.1 for the
//! response codes.
//!
//! The name is asked as absolute (a trailing dot), without search domains and without `/etc/hosts`:
//! the router resolves the URL's host as written, through DNS. Nothing is cached between attempts.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use hickory_resolver::Resolver;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError, NoRecords};
use hickory_resolver::proto::rr::RecordType;

use super::clock::{Budget, ms, now, secs};
use super::{LiveEvidence, LiveStatus, LiveVerdict};
use crate::time::Timestamp;

/// What the resolver said about one host.
#[derive(Clone, Debug, PartialEq)]
pub struct DnsResult {
    pub host: String,
    /// The resolver asked: `127.0.0.1:5353 (--dns-server)` or the system's servers.
    pub resolver: String,
    /// The A and the AAAA query.
    pub queries: Vec<DnsQuery>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DnsQuery {
    /// `A` or `AAAA`.
    pub rtype: &'static str,
    pub outcome: DnsOutcome,
    pub elapsed: Duration,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DnsOutcome {
    Addresses(Vec<IpAddr>),
    /// NOERROR without a record of the type asked.
    NoRecords,
    /// An error response code: `NXDOMAIN`, `SERVFAIL`, `REFUSED` …
    Code(String),
    /// No answer within the step budget.
    Timeout,
    /// Anything else (socket error, ICMP port unreachable, unreadable resolver configuration).
    Error(String),
}

impl DnsResult {
    /// Every address found, A first.
    pub fn addresses(&self) -> Vec<IpAddr> {
        self.queries
            .iter()
            .flat_map(|q| match &q.outcome {
                DnsOutcome::Addresses(a) => a.clone(),
                _ => Vec::new(),
            })
            .collect()
    }
}

/// Resolves `host` (A and AAAA, concurrently) within the budget.
pub(crate) async fn resolve(host: &str, server: Option<SocketAddr>, budget: &Budget) -> DnsResult {
    let (resolver, label) = match build(server, budget.step()) {
        Ok(r) => r,
        Err(e) => {
            let failed = |rtype| DnsQuery {
                rtype,
                outcome: DnsOutcome::Error(e.clone()),
                elapsed: Duration::ZERO,
                at: now(),
            };
            return DnsResult {
                host: host.to_string(),
                resolver: "none".to_string(),
                queries: vec![failed("A"), failed("AAAA")],
            };
        }
    };
    let name = if host.ends_with('.') {
        host.to_string()
    } else {
        format!("{host}.")
    };
    let query = |rtype: RecordType, label: &'static str| {
        let (resolver, name) = (&resolver, name.as_str());
        async move {
            let start = Instant::now();
            let outcome = match budget.run(resolver.lookup(name, rtype)).await {
                None => DnsOutcome::Timeout,
                Some(Ok(lookup)) => {
                    let addrs: Vec<IpAddr> = lookup
                        .answers()
                        .iter()
                        .filter_map(|r| r.data.ip_addr())
                        .collect();
                    if addrs.is_empty() {
                        DnsOutcome::NoRecords
                    } else {
                        DnsOutcome::Addresses(addrs)
                    }
                }
                Some(Err(e)) => classify(&e),
            };
            DnsQuery {
                rtype: label,
                outcome,
                elapsed: start.elapsed(),
                at: now(),
            }
        }
    };
    let (a, aaaa) = tokio::join!(query(RecordType::A, "A"), query(RecordType::AAAA, "AAAA"));
    DnsResult {
        host: host.to_string(),
        resolver: label,
        queries: vec![a, aaaa],
    }
}

/// A resolver that asks `server` over UDP, or the system's servers; one try each, no hosts file.
fn build(
    server: Option<SocketAddr>,
    timeout: Duration,
) -> Result<(Resolver<TokioRuntimeProvider>, String), String> {
    let (config, mut opts, label) = match server {
        Some(sa) => {
            let mut udp = ConnectionConfig::udp();
            udp.port = sa.port();
            let ns = NameServerConfig::new(sa.ip(), true, vec![udp]);
            let config = ResolverConfig::from_name_servers(vec![ns]);
            (config, ResolverOpts::default(), sa.to_string())
        }
        None => {
            let (config, opts) = hickory_resolver::system_conf::read_system_conf()
                .map_err(|e| format!("cannot read the system resolver configuration: {e}"))?;
            let servers: Vec<String> = config
                .name_servers()
                .iter()
                .map(|ns| match ns.connections.first() {
                    Some(c) => SocketAddr::new(ns.ip, c.port).to_string(),
                    None => ns.ip.to_string(),
                })
                .collect();
            let label = format!("{} (system resolver)", servers.join(", "));
            (config, opts, label)
        }
    };
    opts.timeout = timeout;
    opts.attempts = 1;
    opts.use_hosts_file = ResolveHosts::Never;
    opts.cache_size = 0;
    let resolver = Resolver::builder_with_config(config, TokioRuntimeProvider::default())
        .with_options(opts)
        .build()
        .map_err(|e| format!("cannot set up the resolver: {e}"))?;
    Ok((resolver, label))
}

fn classify(e: &NetError) -> DnsOutcome {
    match e {
        NetError::Dns(DnsError::NoRecordsFound(NoRecords { response_code, .. })) => {
            match u16::from(*response_code) {
                0 => DnsOutcome::NoRecords,
                code => DnsOutcome::Code(rcode_name(code)),
            }
        }
        NetError::Dns(DnsError::ResponseCode(code)) => {
            DnsOutcome::Code(rcode_name(u16::from(*code)))
        }
        NetError::Timeout => DnsOutcome::Timeout,
        other => DnsOutcome::Error(other.to_string()),
    }
}

/// The mnemonic of a DNS response code (RFC 1035 §4.1.1, RFC 6895).
fn rcode_name(code: u16) -> String {
    match code {
        0 => "NOERROR".into(),
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED".into(),
        n => format!("RCODE {n}"),
    }
}

/// Judges the lookup of the ACS host.
pub(crate) fn verdict(r: &DnsResult, timeout: Duration) -> LiveVerdict {
    let evidence: Vec<LiveEvidence> = r
        .queries
        .iter()
        .map(|q| {
            LiveEvidence::new(
                q.at,
                format!(
                    "{} {} via {}: {} ({})",
                    q.rtype,
                    r.host,
                    r.resolver,
                    outcome_text(&q.outcome, timeout),
                    ms(q.elapsed)
                ),
            )
        })
        .collect();
    let addrs = r.addresses();
    let head = format!("{} resolved by {}", r.host, r.resolver);
    let codes: Vec<&str> = r
        .queries
        .iter()
        .filter_map(|q| match &q.outcome {
            DnsOutcome::Code(c) => Some(c.as_str()),
            _ => None,
        })
        .collect();
    let any = |o: fn(&DnsOutcome) -> bool| r.queries.iter().any(|q| o(&q.outcome));
    let (status, mode, summary) = if !addrs.is_empty() {
        let list: Vec<String> = addrs.iter().map(IpAddr::to_string).collect();
        (
            LiveStatus::Pass,
            "pass",
            format!("{head}: {}", list.join(", ")),
        )
    } else if let Some(code) = ["NXDOMAIN", "SERVFAIL", "REFUSED"]
        .into_iter()
        .find(|c| codes.contains(c))
    {
        let mode = match code {
            "NXDOMAIN" => "nxdomain",
            "SERVFAIL" => "servfail",
            _ => "refused",
        };
        (LiveStatus::Fail, mode, format!("{head}: {code}"))
    } else if let Some(code) = codes.first() {
        (LiveStatus::Fail, "error-code", format!("{head}: {code}"))
    } else if any(|o| matches!(o, DnsOutcome::NoRecords)) {
        (
            LiveStatus::Fail,
            "no-address",
            format!("{head}: NOERROR but no A or AAAA record"),
        )
    } else if let Some(e) = r.queries.iter().find_map(|q| match &q.outcome {
        DnsOutcome::Error(e) => Some(e),
        _ => None,
    }) {
        (
            LiveStatus::Fail,
            "no-answer",
            format!("{} not resolved: {e}", r.host),
        )
    } else {
        (
            LiveStatus::Fail,
            "no-answer",
            format!("{head}: no answer within {}", secs(timeout)),
        )
    };
    LiveVerdict::new("acs.dns", status, mode, summary).with(evidence)
}

fn outcome_text(o: &DnsOutcome, timeout: Duration) -> String {
    match o {
        DnsOutcome::Addresses(a) => {
            let list: Vec<String> = a.iter().map(IpAddr::to_string).collect();
            format!("NOERROR, {}", list.join(", "))
        }
        DnsOutcome::NoRecords => "NOERROR, no record".to_string(),
        DnsOutcome::Code(c) => c.clone(),
        DnsOutcome::Timeout => format!("no answer within {}", secs(timeout)),
        DnsOutcome::Error(e) => e.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(a: DnsOutcome, aaaa: DnsOutcome) -> DnsResult {
        let q = |rtype, outcome| DnsQuery {
            rtype,
            outcome,
            elapsed: Duration::from_millis(3),
            at: Timestamp::new(1_700_000_000, 0),
        };
        DnsResult {
            host: "acs.isp.example".into(),
            resolver: "127.0.0.1:5353".into(),
            queries: vec![q("A", a), q("AAAA", aaaa)],
        }
    }

    fn judged(a: DnsOutcome, aaaa: DnsOutcome) -> (LiveStatus, &'static str, String) {
        let v = verdict(&result(a, aaaa), Duration::from_secs(2));
        (v.status, v.mode, v.summary)
    }

    #[test]
    fn any_address_passes() {
        let (s, m, summary) = judged(
            DnsOutcome::Addresses(vec!["192.0.2.1".parse().unwrap()]),
            DnsOutcome::NoRecords,
        );
        assert_eq!((s, m), (LiveStatus::Pass, "pass"));
        assert_eq!(
            summary,
            "acs.isp.example resolved by 127.0.0.1:5353: 192.0.2.1"
        );
    }

    #[test]
    fn answer_codes_pick_the_mode() {
        let code = |c: &str| DnsOutcome::Code(c.into());
        assert_eq!(
            judged(code("NXDOMAIN"), code("NXDOMAIN")).2,
            "acs.isp.example resolved by 127.0.0.1:5353: NXDOMAIN"
        );
        assert_eq!(judged(code("NXDOMAIN"), code("NXDOMAIN")).1, "nxdomain");
        assert_eq!(judged(code("SERVFAIL"), DnsOutcome::Timeout).1, "servfail");
        assert_eq!(judged(code("REFUSED"), code("REFUSED")).1, "refused");
        assert_eq!(judged(code("FORMERR"), code("FORMERR")).1, "error-code");
        assert_eq!(
            judged(DnsOutcome::NoRecords, DnsOutcome::NoRecords).1,
            "no-address"
        );
        let silent = judged(DnsOutcome::Timeout, DnsOutcome::Timeout);
        assert_eq!((silent.0, silent.1), (LiveStatus::Fail, "no-answer"));
        assert!(silent.2.ends_with("no answer within 2 s"), "{}", silent.2);
        assert_eq!(
            judged(
                DnsOutcome::Error("connection refused".into()),
                DnsOutcome::Timeout
            )
            .1,
            "no-answer"
        );
    }

    #[test]
    fn rcode_names() {
        assert_eq!(rcode_name(3), "NXDOMAIN");
        assert_eq!(rcode_name(2), "SERVFAIL");
        assert_eq!(rcode_name(9), "RCODE 9");
    }
}
