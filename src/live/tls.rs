//! The TLS probe (`acs.tls`): a rustls handshake with the ACS as a router would make it (SNI = the
//! URL's host, certificate checked against that host), recording what a capture of TLS 1.3 hides.
//!
//! Takes: a connected TCP stream, the URL's host, extra trusted roots and the step budget. Gives:
//! [`TlsResult`] — outcome (completed, fatal alert, plain text instead of TLS, closed, timeout),
//! version, cipher suite, the whole chain and why it fails verification — and the `acs.tls` verdict.
//! TR-069 §3.3 / tr069-facts.md §9; RFC 8446 §6 (alerts).
//!
//! The first bytes the server sends are kept (at most [`PEEK`]): when they are not a TLS record, the
//! port speaks something else, usually plain HTTP (`HTTP/1.1 400 Bad Request`), and that is the
//! finding rather than rustls's "corrupt message".

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::bounded_http::excerpt;
use super::clock::{Budget, now, secs};
use super::tls_verify::{CertProblem, CertSummary, recording_config};
use super::{LiveEvidence, LiveStatus, LiveVerdict};
use crate::apps::tls::{alert_name, looks_like_tls, version_name};
use crate::time::Timestamp;

/// Bytes of the server's first answer kept to tell TLS from plain text.
const PEEK: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub struct TlsResult {
    pub addr: SocketAddr,
    /// The name sent in SNI and checked against the certificate (the URL's host).
    pub server_name: String,
    pub outcome: TlsOutcome,
    /// `TLS 1.3`, once negotiated.
    pub version: Option<String>,
    /// e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: Option<String>,
    /// The chain as the server sent it, leaf first.
    pub chain: Vec<CertSummary>,
    /// Certificates of the chain that could not be read, and why.
    pub unreadable: Vec<String>,
    /// Why the chain fails verification for `server_name`; `None` when it verified or none was seen.
    pub problem: Option<CertProblem>,
    pub elapsed: Duration,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TlsOutcome {
    Completed,
    /// The server sent a fatal alert: its name (`handshake_failure`, `protocol_version` …).
    Alert(String),
    /// The server answered with something that is not TLS: its first line.
    NotTls(String),
    /// The connection was closed or reset during the handshake.
    Closed(String),
    TimedOut,
    Error(String),
}

impl TlsResult {
    /// The handshake completed and the certificate verified: credentials may be sent.
    pub fn verified(&self) -> bool {
        self.outcome == TlsOutcome::Completed && self.problem.is_none() && !self.chain.is_empty()
    }
}

/// Copies the first [`PEEK`] bytes read from `inner` into `seen`.
struct Peek<S> {
    inner: S,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Peek<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            let new = &buf.filled()[before..];
            let room = PEEK.saturating_sub(seen.len());
            seen.extend_from_slice(&new[..new.len().min(room)]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Peek<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Runs a TLS handshake over `stream` for `host` within the budget.
pub(crate) async fn handshake(
    stream: TcpStream,
    host: &str,
    trust_roots: &[Vec<u8>],
    budget: &Budget,
) -> TlsResult {
    let addr = stream
        .peer_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    let start = Instant::now();
    let mut result = TlsResult {
        addr,
        server_name: host.to_string(),
        outcome: TlsOutcome::TimedOut,
        version: None,
        cipher: None,
        chain: Vec::new(),
        unreadable: Vec::new(),
        problem: None,
        elapsed: Duration::ZERO,
        at: now(),
    };
    let (config, verifier) = match recording_config(trust_roots) {
        Ok(c) => c,
        Err(e) => {
            result.outcome = TlsOutcome::Error(e);
            return result;
        }
    };
    let name = match ServerName::try_from(host.to_string()) {
        Ok(n) => n,
        Err(e) => {
            result.outcome =
                TlsOutcome::Error(format!("{host:?} cannot be a TLS server name: {e}"));
            return result;
        }
    };
    let seen = Arc::new(Mutex::new(Vec::new()));
    let io = Peek {
        inner: stream,
        seen: seen.clone(),
    };
    let connected = budget
        .run(TlsConnector::from(Arc::new(config)).connect(name, io))
        .await;
    result.elapsed = start.elapsed();
    result.at = now();
    let first = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
    result.outcome = match connected {
        None if !first.is_empty() && !looks_like_tls(&first) => TlsOutcome::NotTls(excerpt(&first)),
        None => TlsOutcome::TimedOut,
        Some(Ok(tls)) => {
            let (_, conn) = tls.get_ref();
            result.version = conn
                .protocol_version()
                .map(|v| version_name(u16::from(v)).to_string());
            result.cipher = conn
                .negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite()));
            TlsOutcome::Completed
        }
        Some(Err(e)) => classify(&e, &first),
    };
    if let Some(s) = verifier.seen() {
        for der in &s.chain {
            match CertSummary::from_der(der) {
                Ok(c) => result.chain.push(c),
                Err(e) => result.unreadable.push(e),
            }
        }
        result.problem = s
            .verdict
            .err()
            .map(|e| CertProblem::from_error(&e, &result.chain, host));
    }
    result
}

fn classify(e: &io::Error, first: &[u8]) -> TlsOutcome {
    if !first.is_empty() && !looks_like_tls(first) {
        return TlsOutcome::NotTls(excerpt(first));
    }
    if let Some(rustls::Error::AlertReceived(alert)) =
        e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>())
    {
        return TlsOutcome::Alert(alert_name(u8::from(*alert)).to_string());
    }
    match e.kind() {
        io::ErrorKind::UnexpectedEof => TlsOutcome::Closed("closed by the server".into()),
        io::ErrorKind::ConnectionReset => TlsOutcome::Closed("reset by the server".into()),
        _ => TlsOutcome::Error(e.to_string()),
    }
}

/// Judges the handshake with the ACS.
pub(crate) fn verdict(r: &TlsResult, timeout: Duration) -> LiveVerdict {
    let mut evidence = Vec::new();
    let negotiated = match (&r.version, &r.cipher) {
        (Some(v), Some(c)) => format!("{v}, {c}"),
        (Some(v), None) => v.clone(),
        _ => "nothing negotiated".to_string(),
    };
    evidence.push(LiveEvidence::new(
        r.at,
        format!("TLS with {} (SNI {}): {negotiated}", r.addr, r.server_name),
    ));
    for (i, c) in r.chain.iter().enumerate() {
        evidence.push(LiveEvidence::new(
            r.at,
            format!("certificate {}: {}", i + 1, c.describe()),
        ));
    }
    for e in &r.unreadable {
        evidence.push(LiveEvidence::new(
            r.at,
            format!("unreadable certificate: {e}"),
        ));
    }
    let host = &r.server_name;
    let (status, mode, summary) = match (&r.outcome, &r.problem) {
        (TlsOutcome::Completed, Some(p)) => (
            LiveStatus::Fail,
            p.mode(),
            format!("{negotiated} with {host}, but the {}", p.describe()),
        ),
        (TlsOutcome::Completed, None) => match r.chain.first() {
            Some(leaf) => (
                LiveStatus::Pass,
                "pass",
                format!(
                    "{negotiated} with {host}; certificate {} valid until {}, issued by {}",
                    leaf.subject,
                    super::tls_verify::date(leaf.not_after),
                    leaf.issuer
                ),
            ),
            None => (
                LiveStatus::Fail,
                "invalid-certificate",
                format!("{negotiated} with {host}, but no certificate was seen"),
            ),
        },
        (TlsOutcome::Alert(a), _) => (
            LiveStatus::Fail,
            "fatal-alert",
            format!("{host} ended the handshake with a fatal alert: {a}"),
        ),
        (TlsOutcome::NotTls(line), _) => (
            LiveStatus::Fail,
            "not-tls",
            format!("{host} answered the TLS handshake in plain text: {line:?}"),
        ),
        (TlsOutcome::Closed(how), _) => (
            LiveStatus::Fail,
            "incomplete",
            format!("the TLS handshake with {host} did not complete: {how}"),
        ),
        (TlsOutcome::TimedOut, _) => (
            LiveStatus::Fail,
            "incomplete",
            format!(
                "the TLS handshake with {host} did not complete within {}",
                secs(timeout)
            ),
        ),
        (TlsOutcome::Error(e), _) => (
            LiveStatus::Fail,
            "incomplete",
            format!("the TLS handshake with {host} failed: {e}"),
        ),
    };
    LiveVerdict::new("acs.tls", status, mode, summary).with(evidence)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(outcome: TlsOutcome, problem: Option<CertProblem>) -> TlsResult {
        TlsResult {
            addr: SocketAddr::from(([127, 0, 0, 1], 8443)),
            server_name: "acs.test".into(),
            outcome,
            version: Some("TLS 1.3".into()),
            cipher: Some("TLS13_AES_256_GCM_SHA384".into()),
            chain: vec![CertSummary {
                subject: "CN=acs.test".into(),
                issuer: "CN=Test CA".into(),
                not_before: Timestamp::new(1_600_000_000, 0),
                not_after: Timestamp::new(2_000_000_000, 0),
                dns_names: vec!["acs.test".into()],
                ip_addrs: vec![],
                self_issued: false,
            }],
            unreadable: vec![],
            problem,
            elapsed: Duration::from_millis(2),
            at: Timestamp::new(1_700_000_000, 0),
        }
    }

    #[test]
    fn verdicts_by_outcome() {
        let t = Duration::from_secs(2);
        let ok = verdict(&result(TlsOutcome::Completed, None), t);
        assert_eq!((ok.status, ok.mode), (LiveStatus::Pass, "pass"));
        let expected = "TLS 1.3, TLS13_AES_256_GCM_SHA384 with acs.test; \
                        certificate CN=acs.test valid until 2033-05-18";
        assert!(ok.summary.starts_with(expected), "{}", ok.summary);
        assert_eq!(ok.evidence.len(), 2);
        let expired = verdict(
            &result(
                TlsOutcome::Completed,
                Some(CertProblem::Expired { not_after: None }),
            ),
            t,
        );
        assert_eq!(
            (expired.status, expired.mode),
            (LiveStatus::Fail, "expired")
        );
        assert_eq!(
            verdict(
                &result(TlsOutcome::Alert("protocol_version".into()), None),
                t
            )
            .mode,
            "fatal-alert"
        );
        let plain = verdict(
            &result(TlsOutcome::NotTls("HTTP/1.1 400 Bad Request".into()), None),
            t,
        );
        assert_eq!(plain.mode, "not-tls");
        assert_eq!(
            plain.summary,
            "acs.test answered the TLS handshake in plain text: \"HTTP/1.1 400 Bad Request\""
        );
        assert_eq!(
            verdict(&result(TlsOutcome::TimedOut, None), t).mode,
            "incomplete"
        );
    }

    #[test]
    fn plain_text_first_bytes_beat_the_error() {
        let e = io::Error::new(io::ErrorKind::InvalidData, "corrupt message");
        assert_eq!(
            classify(&e, b"HTTP/1.1 400 Bad Request\r\n"),
            TlsOutcome::NotTls("HTTP/1.1 400 Bad Request".into())
        );
        let alert = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure),
        );
        assert_eq!(
            classify(&alert, &[21, 3, 3, 0, 2, 2, 40]),
            TlsOutcome::Alert("handshake_failure".into())
        );
        assert_eq!(
            classify(&io::Error::from(io::ErrorKind::UnexpectedEof), &[]),
            TlsOutcome::Closed("closed by the server".into())
        );
    }
}
