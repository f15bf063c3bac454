//! Verdicts on the ACS's HTTP answers: `cwmp.url` (the URL is usable and scheme and port agree with
//! what answers) and `cwmp.credentials` (the ACS accepts the CWMP username and password).
//!
//! Takes: an [`AcsProbe`] (URL, connection, TLS and HTTP results of one attempt). Gives: the two
//! verdicts, pure functions of the probe. TR-069 §3.4.4 / tr069-facts.md §2: an ACS answers non-POST
//! methods with 405 (alive); a 401 after credentials means they were rejected; without TLS an ACS must
//! use Digest, so a Basic challenge over plain HTTP is worth a warning.

use std::time::Duration;

use super::acs_http::{CredentialState, HttpOutcome, HttpStep, SoapSummary};
use super::attempt::AcsProbe;
use super::auth::Scheme;
use super::clock::{ms, secs};
use super::tls::TlsOutcome;
use super::{LiveEvidence, LiveStatus, LiveVerdict};

/// A request and its answer on one line, for evidence.
pub(crate) fn describe_step(s: &HttpStep, timeout: Duration) -> String {
    let answer = match &s.outcome {
        HttpOutcome::Answer(a) => {
            let mut t = a.status_line();
            if let Some(allow) = &a.allow {
                t.push_str(&format!(", Allow: {allow}"));
            }
            if let Some(c) = &a.challenge {
                t.push_str(&format!(", WWW-Authenticate: {}", c.describe()));
            }
            if let Some(l) = &a.location {
                t.push_str(&format!(", Location: {l}"));
            }
            if let Some(r) = &a.retry_after {
                t.push_str(&format!(", Retry-After: {r}"));
            }
            match &a.body.soap {
                SoapSummary::Empty => {}
                SoapSummary::Rpc { name, fault_code: Some(c), .. } => t.push_str(&format!(" [{name} {c}]")),
                SoapSummary::Rpc { name, .. } => t.push_str(&format!(" [{name}]")),
                SoapSummary::EmptyBody => t.push_str(" [empty SOAP Body]"),
                SoapSummary::NotSoap(r) => t.push_str(&format!(" [not SOAP: {r}]")),
                SoapSummary::Malformed(m) => t.push_str(&format!(" [malformed XML: {m}]")),
            }
            if a.body.truncated {
                t.push_str(&format!(" (body cut at {} bytes)", a.body.bytes));
            }
            t
        }
        HttpOutcome::TimedOut => format!("no answer within {}", secs(timeout)),
        HttpOutcome::Reset => "connection reset".to_string(),
        HttpOutcome::Closed => "connection closed before an answer".to_string(),
        HttpOutcome::NotHttp(e) => format!("not HTTP: {e}"),
        HttpOutcome::Error(e) => e.clone(),
    };
    format!("{} → {answer} ({})", s.request, ms(s.elapsed))
}

/// Why no HTTP exchange took place.
fn why_no_http(p: &AcsProbe) -> String {
    if p.parsed.is_err() {
        "the ACS URL is unusable (see cwmp.url)".to_string()
    } else if !p.connects.iter().any(|c| c.connected()) {
        if p.connects.is_empty() { "no address for the ACS (see acs.dns)" } else { "no TCP connection to the ACS (see acs.connect)" }.to_string()
    } else {
        "the TLS handshake did not complete (see acs.tls)".to_string()
    }
}

pub(crate) fn url_verdict(p: &AcsProbe, timeout: Duration) -> LiveVerdict {
    let v = |status, mode, summary: String| LiveVerdict::new("cwmp.url", status, mode, summary);
    let url = &p.url;
    let parsed = match &p.parsed {
        Ok(u) => u,
        Err(e) => return v(LiveStatus::Fail, "invalid-url", e.clone()),
    };
    if let Some(TlsOutcome::NotTls(line)) = p.tls.as_ref().map(|t| &t.outcome) {
        let ev = p.tls.iter().map(|t| LiveEvidence::new(t.at, format!("TLS ClientHello to {} answered with {line:?}", t.addr)));
        return v(LiveStatus::Fail, "tls-to-http", format!("{url} asks for TLS, but port {} answers plain HTTP", parsed.port)).with(ev);
    }
    let Some(http) = &p.http else {
        return v(LiveStatus::Skip, "blocked", format!("{url} not tried: {}", why_no_http(p)));
    };
    let evidence: Vec<LiveEvidence> = http.steps.iter().map(|s| LiveEvidence::new(s.at, describe_step(s, timeout))).collect();
    if let Some(tls) = &http.tls_on_http_port {
        return v(LiveStatus::Fail, "http-to-tls", format!("{url} asks for plain HTTP, but port {} speaks TLS: {tls}", parsed.port)).with(evidence);
    }
    let answers: Vec<(&HttpStep, u16)> = http
        .steps
        .iter()
        .filter_map(|s| match &s.outcome {
            HttpOutcome::Answer(a) => Some((s, a.status)),
            _ => None,
        })
        .collect();
    let verb = |s: &HttpStep| s.request.split(' ').next().unwrap_or("").to_string();
    let seen: Vec<String> = answers.iter().map(|(s, st)| format!("{} → {st}", verb(s))).collect();
    let (status, mode, summary) = if answers.is_empty() {
        let first = http.steps.first().map(|s| describe_step(s, timeout)).unwrap_or_default();
        (LiveStatus::Fail, "no-answer", format!("{url} accepted the connection but gave no HTTP answer: {first}"))
    } else if let Some((s, st)) = answers.iter().find(|(_, st)| (300..400).contains(st)) {
        let to = match &s.outcome {
            HttpOutcome::Answer(a) => a.location.clone().map(|l| format!(" to {l}")).unwrap_or_default(),
            _ => String::new(),
        };
        (LiveStatus::Warn, "redirect", format!("{url} redirects ({} {st}){to}", verb(s)))
    } else if answers.iter().all(|(_, st)| *st == 404) {
        (LiveStatus::Warn, "not-found", format!("{url} answers 404 Not Found: wrong path? ({})", seen.join(", ")))
    } else {
        let alive = answers.iter().any(|(s, st)| *st == 405 && verb(s) == "GET");
        let note = if alive { " (405 to GET: the ACS takes only POST, it is alive)" } else { "" };
        (LiveStatus::Pass, "pass", format!("{url} answers HTTP: {}{note}", seen.join(", ")))
    };
    v(status, mode, summary).with(evidence)
}

pub(crate) fn credentials_verdict(p: &AcsProbe, timeout: Duration) -> LiveVerdict {
    let v = |status, mode, summary: String| LiveVerdict::new("cwmp.credentials", status, mode, summary);
    let Some(http) = &p.http else {
        return v(LiveStatus::Skip, "blocked", format!("credentials not tried: {}", why_no_http(p)));
    };
    let posts: Vec<&HttpStep> = http.steps.iter().filter(|s| s.request.starts_with("POST") && !s.request.contains("ending the session")).collect();
    let evidence: Vec<LiveEvidence> = posts.iter().map(|s| LiveEvidence::new(s.at, describe_step(s, timeout))).collect();
    let last = posts.last().map(|s| &s.outcome);
    let plain = p.parsed.as_ref().is_ok_and(|u| u.scheme == "http");
    let (status, mode, summary) = match (&http.credentials, last) {
        (CredentialState::NotReached, _) => (LiveStatus::Skip, "blocked", "credentials not tried: the ACS gave no HTTP answer (see cwmp.url)".to_string()),
        (CredentialState::NotChallenged, Some(HttpOutcome::Answer(a))) if (200..300).contains(&a.status) => {
            (LiveStatus::Pass, "pass", format!("the ACS asked for no credentials (POST answered {})", a.status_line()))
        }
        (CredentialState::NotChallenged, Some(HttpOutcome::Answer(a))) => (
            LiveStatus::Skip,
            "not-challenged",
            format!("the ACS answered the POST with {} without asking for credentials; some ACSes check them only on an Inform", a.status_line()),
        ),
        (CredentialState::NotChallenged, _) => (LiveStatus::Skip, "blocked", "the POST got no answer".to_string()),
        (CredentialState::NeedsCredentials(c), _) => (
            LiveStatus::Skip,
            "needs-credentials",
            format!("the ACS demands credentials ({}); give --acs-username and --acs-password to test them", c.describe()),
        ),
        (CredentialState::UnverifiedTls(c), _) => (
            LiveStatus::Skip,
            "unverified-tls",
            format!("credentials not sent: the ACS asks for them ({}) but its certificate failed verification (see acs.tls)", c.describe()),
        ),
        (CredentialState::Unusable(e), _) => (LiveStatus::Fail, "unsupported-challenge", format!("the ACS's challenge cannot be answered: {e}")),
        (CredentialState::Sent { user, challenge }, Some(HttpOutcome::Answer(a))) => {
            let how = format!("{} credentials of user {user:?}", challenge.describe());
            if a.status == 401 {
                (LiveStatus::Fail, "rejected", format!("the ACS rejected the {how} (401 after Authorization)"))
            } else if challenge.scheme == Scheme::Basic && plain {
                (LiveStatus::Warn, "basic-over-http", format!("the ACS accepted the {how} ({}), but over plain HTTP: the password crossed the network in clear text", a.status_line()))
            } else {
                (LiveStatus::Pass, "pass", format!("the ACS accepted the {how}: POST answered {}", a.status_line()))
            }
        }
        (CredentialState::Sent { .. }, _) => (LiveStatus::Skip, "blocked", "the authenticated POST got no answer (see session checks)".to_string()),
    };
    v(status, mode, summary).with(evidence)
}
