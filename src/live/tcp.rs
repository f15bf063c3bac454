//! The TCP connect probe (`acs.connect`, `cr.connect`): a handshake to each address, refused vs
//! timed out vs unreachable, and the time it took.
//!
//! Takes: socket addresses and the step budget. Gives: one [`ConnectResult`] per address (all tried
//! concurrently) and the first connected stream, in address order, for the TLS/HTTP steps that
//! follow; and the connect verdict. RFC 9293 §3.5 (a RST answering a SYN = refused); an ICMP
//! host/network unreachable surfaces as `EHOSTUNREACH`/`ENETUNREACH`.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use super::clock::{Budget, ms, now, secs};
use super::{LiveEvidence, LiveStatus, LiveVerdict};
use crate::time::Timestamp;

#[derive(Clone, Debug, PartialEq)]
pub struct ConnectResult {
    pub addr: SocketAddr,
    pub outcome: ConnectOutcome,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ConnectOutcome {
    /// Handshake completed, in this time.
    Connected(Duration),
    /// RST to the SYN, after this time.
    Refused(Duration),
    /// No answer within the budget.
    TimedOut,
    /// An ICMP error or no route: the OS's words.
    Unreachable(String),
    Error(String),
}

impl ConnectResult {
    pub fn connected(&self) -> bool {
        matches!(self.outcome, ConnectOutcome::Connected(_))
    }

    /// `connected in 0.21 ms`, `refused (RST) after 0.05 ms` …
    pub fn outcome_text(&self, timeout: Duration) -> String {
        match &self.outcome {
            ConnectOutcome::Connected(t) => format!("connected in {}", ms(*t)),
            ConnectOutcome::Refused(t) => format!("refused (RST) after {}", ms(*t)),
            ConnectOutcome::TimedOut => format!("no answer to the SYN within {}", secs(timeout)),
            ConnectOutcome::Unreachable(e) => format!("unreachable: {e}"),
            ConnectOutcome::Error(e) => format!("error: {e}"),
        }
    }

    /// `TCP 127.0.0.1:7547: connected in 0.21 ms`.
    pub fn describe(&self, timeout: Duration) -> String {
        format!("TCP {}: {}", self.addr, self.outcome_text(timeout))
    }
}

/// Connects to `addr` within the budget.
pub(crate) async fn connect(
    addr: SocketAddr,
    budget: &Budget,
) -> (ConnectResult, Option<TcpStream>) {
    let start = Instant::now();
    let (outcome, stream) = match budget.run(TcpStream::connect(addr)).await {
        None => (ConnectOutcome::TimedOut, None),
        Some(Ok(s)) => (ConnectOutcome::Connected(start.elapsed()), Some(s)),
        Some(Err(e)) => (classify(&e, start.elapsed()), None),
    };
    let result = ConnectResult {
        addr,
        outcome,
        at: now(),
    };
    (result, stream)
}

fn classify(e: &io::Error, after: Duration) -> ConnectOutcome {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => ConnectOutcome::Refused(after),
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            ConnectOutcome::Unreachable(e.to_string())
        }
        io::ErrorKind::TimedOut => ConnectOutcome::TimedOut,
        _ => ConnectOutcome::Error(e.to_string()),
    }
}

/// Connects to every address at once; keeps the first connected stream in address order.
pub(crate) async fn connect_all(
    addrs: &[SocketAddr],
    budget: &Budget,
) -> (Vec<ConnectResult>, Option<(SocketAddr, TcpStream)>) {
    let tasks: Vec<_> = addrs
        .iter()
        .map(|&addr| {
            let budget = *budget;
            tokio::spawn(async move { connect(addr, &budget).await })
        })
        .collect();
    let mut results = Vec::new();
    let mut first = None;
    for (task, &addr) in tasks.into_iter().zip(addrs) {
        let (result, stream) = match task.await {
            Ok(done) => done,
            Err(e) => {
                let failed = ConnectOutcome::Error(format!("probe task failed: {e}"));
                let r = ConnectResult {
                    addr,
                    outcome: failed,
                    at: now(),
                };
                (r, None)
            }
        };
        if first.is_none() {
            first = stream.map(|s| (addr, s));
        }
        results.push(result);
    }
    (results, first)
}

/// Judges connection attempts for `id` (`acs.connect` or `cr.connect`); `what` names the peer.
pub(crate) fn verdict(
    id: &'static str,
    what: &str,
    results: &[ConnectResult],
    timeout: Duration,
) -> LiveVerdict {
    let evidence: Vec<LiveEvidence> = results
        .iter()
        .map(|r| LiveEvidence::new(r.at, r.describe(timeout)))
        .collect();
    let ok: Vec<&ConnectResult> = results.iter().filter(|r| r.connected()).collect();
    let failed: Vec<&ConnectResult> = results.iter().filter(|r| !r.connected()).collect();
    let line =
        |r: &ConnectResult| format!("TCP to {what} at {}: {}", r.addr, r.outcome_text(timeout));
    let (status, mode, summary) = match (ok.first(), failed.first()) {
        (Some(c), None) => (LiveStatus::Pass, "pass", line(c)),
        (Some(c), Some(f)) => (
            LiveStatus::Warn,
            "some-addresses",
            format!(
                "{what} answers on {} of {} addresses: {}; {}",
                ok.len(),
                results.len(),
                line(c),
                line(f)
            ),
        ),
        (None, Some(f)) => {
            let any = |p: fn(&ConnectOutcome) -> bool| failed.iter().find(|r| p(&r.outcome));
            let (mode, r) = if let Some(r) = any(|o| matches!(o, ConnectOutcome::Refused(_))) {
                ("refused", r)
            } else if let Some(r) = any(|o| matches!(o, ConnectOutcome::TimedOut)) {
                ("syn-unanswered", r)
            } else {
                ("unreachable", f)
            };
            (LiveStatus::Fail, mode, line(r))
        }
        (None, None) => (
            LiveStatus::Skip,
            "blocked",
            format!("no address of {what} to connect to"),
        ),
    };
    LiveVerdict::new(id, status, mode, summary).with(evidence)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(port: u16, outcome: ConnectOutcome) -> ConnectResult {
        ConnectResult {
            addr: SocketAddr::from(([192, 0, 2, 1], port)),
            outcome,
            at: Timestamp::new(1_700_000_000, 0),
        }
    }

    #[test]
    fn verdicts_by_outcome() {
        let t = Duration::from_secs(2);
        let ok = r(443, ConnectOutcome::Connected(Duration::from_micros(300)));
        let v = verdict("acs.connect", "the ACS", std::slice::from_ref(&ok), t);
        assert_eq!((v.status, v.mode), (LiveStatus::Pass, "pass"));
        assert_eq!(
            v.summary,
            "TCP to the ACS at 192.0.2.1:443: connected in 0.30 ms"
        );
        let refused = r(443, ConnectOutcome::Refused(Duration::ZERO));
        assert_eq!(
            verdict("acs.connect", "the ACS", std::slice::from_ref(&refused), t).mode,
            "refused"
        );
        let silent = r(443, ConnectOutcome::TimedOut);
        let v = verdict("cr.connect", "the CPE", std::slice::from_ref(&silent), t);
        assert_eq!((v.status, v.mode), (LiveStatus::Fail, "syn-unanswered"));
        assert!(
            v.summary.ends_with("no answer to the SYN within 2 s"),
            "{}",
            v.summary
        );
        let unreach = r(443, ConnectOutcome::Unreachable("No route to host".into()));
        assert_eq!(
            verdict("acs.connect", "the ACS", &[unreach], t).mode,
            "unreachable"
        );
        let mixed = verdict("acs.connect", "the ACS", &[ok, silent], t);
        assert_eq!(
            (mixed.status, mixed.mode),
            (LiveStatus::Warn, "some-addresses")
        );
        assert_eq!(
            verdict("acs.connect", "the ACS", &[], t).status,
            LiveStatus::Skip
        );
    }

    #[test]
    fn io_errors_are_classified() {
        let e = |k| io::Error::new(k, "x");
        assert!(matches!(
            classify(&e(io::ErrorKind::ConnectionRefused), Duration::ZERO),
            ConnectOutcome::Refused(_)
        ));
        assert!(matches!(
            classify(&e(io::ErrorKind::HostUnreachable), Duration::ZERO),
            ConnectOutcome::Unreachable(_)
        ));
        assert!(matches!(
            classify(&e(io::ErrorKind::PermissionDenied), Duration::ZERO),
            ConnectOutcome::Error(_)
        ));
    }

    #[test]
    fn refused_and_accepted_on_loopback() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let budget = Budget::new(Duration::from_secs(2));
        let (results, first) = rt.block_on(connect_all(&[closed, open], &budget));
        assert!(
            matches!(results[0].outcome, ConnectOutcome::Refused(_)),
            "{results:?}"
        );
        assert!(results[1].connected(), "{results:?}");
        assert_eq!(first.map(|(a, _)| a), Some(open));
    }
}
