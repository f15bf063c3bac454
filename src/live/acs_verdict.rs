//! The verdict on the ACS URL (`cwmp.url`): it is usable, and its scheme and port agree with what
//! answers there; and the evidence line of an HTTP step, shared by the ACS verdicts.
//!
//! Takes: an [`AcsProbe`] (URL, connection, TLS and HTTP results of one attempt). Gives: the verdict,
//! a pure function of the probe. tr069-facts.md §2 and §9: an ACS answers non-POST methods with 405
//! (alive, not broken); TLS on an `http://` port or plain HTTP on an `https://` port is the mismatch a
//! router cannot get past; a redirect is followed by routers for one session only.

use std::time::Duration;

use super::acs_answer::{HttpOutcome, HttpStep, SoapSummary};
use super::attempt::AcsProbe;
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
                SoapSummary::Rpc {
                    name,
                    fault_code: Some(c),
                    ..
                } => t.push_str(&format!(" [{name} {c}]")),
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
pub(crate) fn why_no_http(p: &AcsProbe) -> String {
    if p.parsed.is_err() {
        "the ACS URL is unusable (see cwmp.url)".to_string()
    } else if !p.connects.iter().any(|c| c.connected()) {
        if p.connects.is_empty() {
            "no address for the ACS (see acs.dns)"
        } else {
            "no TCP connection to the ACS (see acs.connect)"
        }
        .to_string()
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
        let ev = p.tls.iter().map(|t| {
            LiveEvidence::new(
                t.at,
                format!("TLS ClientHello to {} answered with {line:?}", t.addr),
            )
        });
        return v(
            LiveStatus::Fail,
            "tls-to-http",
            format!(
                "{url} asks for TLS, but port {} answers plain HTTP",
                parsed.port
            ),
        )
        .with(ev);
    }
    let Some(http) = &p.http else {
        return v(
            LiveStatus::Skip,
            "blocked",
            format!("{url} not tried: {}", why_no_http(p)),
        );
    };
    let evidence: Vec<LiveEvidence> = http
        .steps
        .iter()
        .map(|s| LiveEvidence::new(s.at, describe_step(s, timeout)))
        .collect();
    if let Some(tls) = &http.tls_on_http_port {
        return v(
            LiveStatus::Fail,
            "http-to-tls",
            format!(
                "{url} asks for plain HTTP, but port {} speaks TLS: {tls}",
                parsed.port
            ),
        )
        .with(evidence);
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
    let seen: Vec<String> = answers
        .iter()
        .map(|(s, st)| format!("{} → {st}", verb(s)))
        .collect();
    let (status, mode, summary) = if answers.is_empty() {
        let first = http
            .steps
            .first()
            .map(|s| describe_step(s, timeout))
            .unwrap_or_default();
        (
            LiveStatus::Fail,
            "no-answer",
            format!("{url} accepted the connection but gave no HTTP answer: {first}"),
        )
    } else if let Some((s, st)) = answers.iter().find(|(_, st)| (300..400).contains(st)) {
        let to = match &s.outcome {
            HttpOutcome::Answer(a) => a
                .location
                .clone()
                .map(|l| format!(" to {l}"))
                .unwrap_or_default(),
            _ => String::new(),
        };
        (
            LiveStatus::Warn,
            "redirect",
            format!("{url} redirects ({} {st}){to}", verb(s)),
        )
    } else if answers.iter().all(|(_, st)| *st == 404) {
        (
            LiveStatus::Warn,
            "not-found",
            format!(
                "{url} answers 404 Not Found: wrong path? ({})",
                seen.join(", ")
            ),
        )
    } else {
        let alive = answers.iter().any(|(s, st)| *st == 405 && verb(s) == "GET");
        let note = if alive {
            " (405 to GET: the ACS takes only POST, it is alive)"
        } else {
            ""
        };
        (
            LiveStatus::Pass,
            "pass",
            format!("{url} answers HTTP: {}{note}", seen.join(", ")),
        )
    };
    v(status, mode, summary).with(evidence)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::live::acs_answer::{BodySummary, HttpAnswer};
    use crate::live::acs_http::AcsHttp;
    use crate::live::acs_http::CredentialState;
    use crate::live::attempt::parse_acs_url;
    use crate::live::auth::{Challenge, pick};
    use crate::live::tcp::{ConnectOutcome, ConnectResult};
    use crate::time::Timestamp;

    pub(crate) const T: Duration = Duration::from_secs(2);

    pub(crate) fn answer(status: u16, www: Option<&str>) -> HttpOutcome {
        HttpOutcome::Answer(HttpAnswer {
            status,
            reason: String::new(),
            allow: (status == 405).then(|| "POST".to_string()),
            challenge: www.and_then(|w| pick(&[w])),
            content_type: None,
            location: (status == 302).then(|| "https://acs2.test/acs".to_string()),
            retry_after: None,
            cookies: vec![],
            body: BodySummary {
                bytes: 0,
                truncated: false,
                soap: SoapSummary::Empty,
            },
        })
    }

    pub(crate) fn step(request: &str, outcome: HttpOutcome) -> HttpStep {
        HttpStep {
            request: request.into(),
            outcome,
            elapsed: Duration::ZERO,
            at: Timestamp::new(0, 0),
        }
    }

    pub(crate) fn probe(url: &str, steps: Vec<HttpStep>, credentials: CredentialState) -> AcsProbe {
        AcsProbe {
            url: url.into(),
            parsed: parse_acs_url(url),
            dns: None,
            ping: None,
            connects: vec![ConnectResult {
                addr: "127.0.0.1:80".parse().unwrap(),
                outcome: ConnectOutcome::Connected(Duration::ZERO),
                at: Timestamp::new(0, 0),
            }],
            tls: None,
            http: Some(AcsHttp {
                steps,
                credentials,
                tls_on_http_port: None,
                inform_sent: false,
            }),
        }
    }

    pub(crate) fn digest() -> Challenge {
        pick(&[r#"Digest realm="acs", nonce="n""#]).unwrap()
    }

    #[test]
    fn url_verdicts() {
        let alive = probe(
            "http://acs.test/acs",
            vec![
                step("GET /acs", answer(405, None)),
                step("POST /acs (empty, no credentials)", answer(401, None)),
            ],
            CredentialState::NotReached,
        );
        let v = url_verdict(&alive, T);
        assert_eq!((v.status, v.mode), (LiveStatus::Pass, "pass"));
        assert_eq!(
            v.summary,
            "http://acs.test/acs answers HTTP: GET → 405, POST → 401 (405 to GET: the ACS takes only POST, it is alive)"
        );
        assert_eq!(v.evidence[0].text, "GET /acs → 405, Allow: POST (0.00 ms)");
        let lost = probe(
            "http://acs.test/x",
            vec![
                step("GET /x", answer(404, None)),
                step("POST /x (empty, no credentials)", answer(404, None)),
            ],
            CredentialState::NotChallenged,
        );
        assert_eq!(url_verdict(&lost, T).mode, "not-found");
        let moved = probe(
            "http://acs.test/acs",
            vec![step("GET /acs", answer(302, None))],
            CredentialState::NotReached,
        );
        assert!(
            url_verdict(&moved, T)
                .summary
                .ends_with("redirects (GET 302) to https://acs2.test/acs")
        );
        let silent = probe(
            "http://acs.test/acs",
            vec![step("GET /acs", HttpOutcome::TimedOut)],
            CredentialState::NotReached,
        );
        assert_eq!(url_verdict(&silent, T).mode, "no-answer");
        let mut tls_port = probe(
            "http://acs.test:443/acs",
            vec![step("GET /acs", HttpOutcome::Closed)],
            CredentialState::NotReached,
        );
        tls_port.http.as_mut().unwrap().tls_on_http_port =
            Some("a TLS 1.3 handshake completed".into());
        assert_eq!(url_verdict(&tls_port, T).mode, "http-to-tls");
        let bad = AcsProbe {
            parsed: Err("\"acs\" is not a URL".into()),
            http: None,
            ..lost
        };
        assert_eq!(url_verdict(&bad, T).mode, "invalid-url");
    }
}
