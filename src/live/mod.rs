//! Live probes (`check --live`): the FAQ's network steps, run from the engineer's machine.
//!
//! Takes: a [`LiveTarget`] built by the CLI (ACS URL and credentials, connection-request URL and
//! credentials, ping target, resolver, timeout, repeat count, optional emulated device).
//! Gives: a [`LiveReport`]: the raw results of every attempt ([`LiveAttempt`]) and one
//! [`LiveVerdict`] per catalog check the probes have evidence for, combining all attempts, each with
//! a mode that picks its hint in `checks/catalog.toml` (the modes are listed in [`MODES`]).
//!
//! One file per probe: `icmp` (echo with surge-ping, ICMP privilege), `dns` (hickory-resolver),
//! `tcp` (connect), `tls` (rustls handshake; `tls_verify` records the chain and why it fails),
//! `acs_http` (the exchange with the ACS over reqwest; `acs_answer` reads each answer within bounds;
//! `auth` answers Digest/Basic challenges through `digest_auth`; `inform` builds the BOOTSTRAP Inform
//! and judges the answer; `acs_verdict` judges the URL and the credentials), `cr` (the connection
//! request over the bounded reader of `bounded_http`; `cr_verdict` judges it). `attempt` runs one
//! attempt, `combine` judges attempts and merges them, `modes` lists the modes and new hints.
//! Protocol rules followed: TR-069 §3.2.2 (connection request), §3.3 (TLS), §3.4.4–3.4.5 (HTTP
//! authentication), §3.7.1 (Inform), as summarised in tr069-facts.md §2, §8 and §9.
//!
//! Invariants:
//! - [`run`] never panics on network trouble: every failure is data in the attempt and a verdict.
//! - Nothing is sent anywhere but to the hosts the target names (and the resolver that serves them).
//! - Every network operation is bounded by `timeout`, and an attempt by 2 × `timeout`. The probe
//!   chains (WAN ping; ACS: DNS → ping ∥ connect → TLS → HTTP; connection request) run concurrently
//!   and a chain stops at its first failure, so unreachable targets cost about one timeout.
//! - Reads are bounded: at most [`cr::CPE_READ_CAP`] bytes from the CPE and
//!   [`acs_answer::ACS_BODY_CAP`] bytes of an ACS body; a Content-Length is never trusted.
//! - Secrets never enter a report: passwords, Authorization values and URL user-info appear in no
//!   [`LiveReport`] text and in no `Debug` output (bodies are kept only as summaries).
//! - Credentials are sent only over plain HTTP (as the URL asks) or over TLS whose certificate
//!   verified; an unverified certificate stops the chain before any credential leaves.

mod acs_answer;
mod acs_http;
mod acs_verdict;
mod attempt;
mod auth;
mod bounded_http;
mod clock;
mod combine;
mod cr;
mod cr_verdict;
mod credentials_verdict;
mod dns;
mod icmp;
mod inform;
mod modes;
mod tcp;
mod tls;
mod tls_verify;

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use crate::time::Timestamp;

pub use acs_answer::{BodySummary, HttpAnswer, HttpOutcome, HttpStep, SoapSummary};
pub use acs_http::{AcsHttp, CredentialState};
pub use attempt::{AcsProbe, AcsUrl, LiveAttempt, sanitize_url};
pub use auth::{Challenge, Scheme};
pub use bounded_http::{RawAnswer, RawOutcome};
pub use cr::{CrProbe, CrStep};
pub use dns::{DnsOutcome, DnsQuery, DnsResult};
pub use icmp::{IcmpPrivilege, PingOutcome, PingResult};
pub use modes::MODES;
pub use tcp::{ConnectOutcome, ConnectResult};
pub use tls::{TlsOutcome, TlsResult};
pub use tls_verify::{CertProblem, CertSummary};

/// What to probe; built by the CLI from its flags. `Default` gives the documented defaults
/// (`wan_target` 8.8.8.8, `timeout` 5 s, `repeat` 1) and nothing else.
#[derive(Clone)]
pub struct LiveTarget {
    pub acs_url: Option<String>,
    pub acs_username: Option<String>,
    pub acs_password: Option<String>,
    pub cpe_url: Option<String>,
    pub cr_username: Option<String>,
    pub cr_password: Option<String>,
    /// Host or address to ping for `wan.ping` (`--wan-target`, default 8.8.8.8).
    pub wan_target: String,
    /// Resolver to ask over UDP (`--dns-server`); `None` = the system's (`/etc/resolv.conf`).
    pub dns_server: Option<SocketAddr>,
    /// Bound on each probe step (`--timeout`).
    pub timeout: Duration,
    /// How many times the whole set runs (`--repeat`, FAQ step I.4); 0 counts as 1.
    pub repeat: u32,
    /// `--emulate-inform`: post a BOOTSTRAP Inform as this device.
    pub emulate_inform: Option<EmulatedDevice>,
    /// Extra trusted CA certificates (DER) besides the webpki (Mozilla) roots, e.g. an operator's
    /// private CA the routers are provisioned with.
    pub trust_roots: Vec<Vec<u8>>,
}

/// The DeviceId of an emulated Inform (`--oui`, `--product-class`, `--serial`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmulatedDevice {
    pub oui: String,
    pub product_class: String,
    pub serial: String,
}

impl Default for LiveTarget {
    fn default() -> Self {
        LiveTarget {
            acs_url: None,
            acs_username: None,
            acs_password: None,
            cpe_url: None,
            cr_username: None,
            cr_password: None,
            wan_target: "8.8.8.8".to_string(),
            dns_server: None,
            timeout: Duration::from_secs(5),
            repeat: 1,
            emulate_inform: None,
            trust_roots: Vec::new(),
        }
    }
}

impl fmt::Debug for LiveTarget {
    /// Passwords print as `<redacted>`; URLs lose any user-info.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |p: &Option<String>| p.as_ref().map(|_| "<redacted>");
        f.debug_struct("LiveTarget")
            .field(
                "acs_url",
                &self.acs_url.as_deref().map(attempt::sanitize_url),
            )
            .field("acs_username", &self.acs_username)
            .field("acs_password", &redact(&self.acs_password))
            .field(
                "cpe_url",
                &self.cpe_url.as_deref().map(attempt::sanitize_url),
            )
            .field("cr_username", &self.cr_username)
            .field("cr_password", &redact(&self.cr_password))
            .field("wan_target", &self.wan_target)
            .field("dns_server", &self.dns_server)
            .field("timeout", &self.timeout)
            .field("repeat", &self.repeat)
            .field("emulate_inform", &self.emulate_inform)
            .field("trust_roots", &self.trust_roots.len())
            .finish()
    }
}

/// Everything the probes saw, and the verdicts.
#[derive(Clone, Debug)]
pub struct LiveReport {
    /// One per `--repeat`, in order.
    pub attempts: Vec<LiveAttempt>,
    /// One per check id the probes have evidence for, in catalog order, combining all attempts.
    pub verdicts: Vec<LiveVerdict>,
}

/// The status of a live verdict (DESIGN.md §1 "Statuses").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LiveStatus {
    Pass,
    Warn,
    Fail,
    Skip,
}

impl LiveStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LiveStatus::Pass => "pass",
            LiveStatus::Warn => "warn",
            LiveStatus::Fail => "fail",
            LiveStatus::Skip => "skip",
        }
    }

    /// Order used to combine attempts: a fail outweighs a warn, a warn a pass, a pass a skip.
    pub(crate) fn severity(self) -> u8 {
        match self {
            LiveStatus::Skip => 0,
            LiveStatus::Pass => 1,
            LiveStatus::Warn => 2,
            LiveStatus::Fail => 3,
        }
    }
}

/// The judgement of one check from live evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveVerdict {
    /// Catalog id (`acs.tls`, `cr.auth` …).
    pub id: &'static str,
    pub status: LiveStatus,
    /// A hint key of that check in the catalog (`pass` for a plain pass); see [`MODES`].
    pub mode: &'static str,
    /// One line, e.g. `acs.isp.example resolved by 127.0.0.1:5353: NXDOMAIN`.
    pub summary: String,
    pub evidence: Vec<LiveEvidence>,
}

impl LiveVerdict {
    pub(crate) fn new(
        id: &'static str,
        status: LiveStatus,
        mode: &'static str,
        summary: impl Into<String>,
    ) -> LiveVerdict {
        LiveVerdict {
            id,
            status,
            mode,
            summary: summary.into(),
            evidence: Vec::new(),
        }
    }

    pub(crate) fn with(mut self, evidence: impl IntoIterator<Item = LiveEvidence>) -> LiveVerdict {
        self.evidence.extend(evidence);
        self
    }
}

/// One thing a probe saw, and when (UTC).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveEvidence {
    pub time: Timestamp,
    pub text: String,
}

impl LiveEvidence {
    pub(crate) fn new(time: Timestamp, text: impl Into<String>) -> LiveEvidence {
        LiveEvidence {
            time,
            text: text.into(),
        }
    }
}

/// Runs every probe the target asks for, `repeat` times, and judges them. Blocking: builds its own
/// single-threaded tokio runtime (all probes are I/O-bound and run concurrently on it); called from
/// inside another tokio runtime, it runs on a thread of its own rather than nesting runtimes.
pub fn run(target: &LiveTarget) -> LiveReport {
    if tokio::runtime::Handle::try_current().is_ok() {
        return std::thread::scope(|s| s.spawn(|| run_here(target)).join())
            .unwrap_or_else(|_| combine::cannot_run(target, "the probe thread failed"));
    }
    run_here(target)
}

fn run_here(target: &LiveTarget) -> LiveReport {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return combine::cannot_run(target, &format!("cannot start the probes: {e}")),
    };
    let attempts: Vec<LiveAttempt> = (1..=target.repeat.max(1))
        .map(|n| runtime.block_on(attempt::run_attempt(target, n)))
        .collect();
    let verdicts = combine::combine(&attempts);
    LiveReport { attempts, verdicts }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_passwords_and_user_info() {
        let t = LiveTarget {
            acs_url: Some("https://cpe:url-pw@acs.test/acs".into()),
            acs_username: Some("cpe".into()),
            acs_password: Some("acs-pw".into()),
            cr_password: Some("cr-pw".into()),
            ..LiveTarget::default()
        };
        let text = format!("{t:?} {t:#?}");
        for secret in ["url-pw", "acs-pw", "cr-pw"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(
            text.contains("https://acs.test/acs") && text.contains("<redacted>"),
            "{text}"
        );
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let t = LiveTarget::default();
        assert_eq!(
            (t.wan_target.as_str(), t.timeout, t.repeat),
            ("8.8.8.8", Duration::from_secs(5), 1)
        );
        assert!(t.acs_url.is_none() && t.cpe_url.is_none() && t.emulate_inform.is_none());
    }

    #[test]
    fn runs_inside_an_async_runtime_too() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let target = LiveTarget {
            cpe_url: Some("ftp://192.0.2.7/".into()),
            wan_target: String::new(),
            ..LiveTarget::default()
        };
        let report = rt.block_on(async { run(&target) });
        assert_eq!(report.attempts.len(), 1);
        let modes: Vec<&str> = report.verdicts.iter().map(|v| v.mode).collect();
        assert_eq!(modes, ["unresolved", "invalid-url", "blocked", "blocked"]);
    }

    #[test]
    fn severity_orders_fail_over_warn_over_pass_over_skip() {
        let order = [
            LiveStatus::Skip,
            LiveStatus::Pass,
            LiveStatus::Warn,
            LiveStatus::Fail,
        ];
        assert!(order.windows(2).all(|w| w[0].severity() < w[1].severity()));
        assert_eq!(LiveStatus::Warn.as_str(), "warn");
    }
}
