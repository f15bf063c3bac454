//! Verdicts on the connection request (`cr.connect`, `cr.challenge`, `cr.auth`).
//!
//! Takes: a [`CrProbe`] of one attempt. Gives: the three verdicts in catalog order, pure functions of
//! the probe. TR-069 §3.2.2 / tr069-facts.md §8.1: the unauthenticated GET must get 401 with a Digest
//! challenge (200/204 = the CPE accepts anyone; Basic = weaker than the spec requires); the
//! authenticated GET must get 200 or 204 (401 again = wrong ConnectionRequestUsername/Password, 503 =
//! busy or rate-limited, reset or silence = no answer).

use std::time::Duration;

use super::auth::Scheme;
use super::bounded_http::RawOutcome;
use super::clock::{ms, secs};
use super::cr::{CrProbe, CrStep};
use super::tcp;
use super::{LiveEvidence, LiveStatus, LiveVerdict};

/// A request and its answer on one line, for evidence.
fn describe(s: &CrStep, timeout: Duration) -> String {
    let answer = match &s.outcome {
        RawOutcome::Answer(a) => {
            let ch = s
                .challenge
                .as_ref()
                .map(|c| format!(", WWW-Authenticate: {}", c.describe()))
                .unwrap_or_default();
            format!(
                "{}{ch} ({} bytes read, {})",
                a.status_line(),
                a.bytes_read,
                ms(s.elapsed)
            )
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
    let blocked =
        |id, why: &str| LiveVerdict::new(id, LiveStatus::Skip, "blocked", why.to_string());
    let connect = match (&p.problem, &p.connect) {
        (Some((mode, why)), _) => {
            LiveVerdict::new("cr.connect", LiveStatus::Fail, mode, why.clone())
                .with([LiveEvidence::new(p.at, why.clone())])
        }
        (None, Some(c)) => tcp::verdict("cr.connect", "the CPE", std::slice::from_ref(c), timeout),
        (None, None) => blocked("cr.connect", "no connection attempted"),
    };
    let Some(first) = &p.challenge else {
        let why = "no connection to the CPE";
        return vec![
            connect,
            blocked("cr.challenge", why),
            blocked("cr.auth", why),
        ];
    };
    let first_ev = LiveEvidence::new(first.at, describe(first, timeout));
    let (status, mode, summary) = match (&first.outcome, &first.challenge) {
        (RawOutcome::Answer(a), Some(c)) if a.status == 401 && c.scheme == Scheme::Digest => (
            LiveStatus::Pass,
            "pass",
            format!(
                "the CPE answered the unauthenticated GET with 401 and a {} challenge",
                c.describe()
            ),
        ),
        (RawOutcome::Answer(a), Some(c)) if a.status == 401 && c.scheme == Scheme::Basic => (
            LiveStatus::Warn,
            "basic-challenge",
            format!("the CPE challenges with {} instead of Digest", c.describe()),
        ),
        (RawOutcome::Answer(a), _) if matches!(a.status, 200 | 204) => (
            LiveStatus::Warn,
            "unauthenticated-accepted",
            format!(
                "the CPE accepted an unauthenticated request ({})",
                a.status_line()
            ),
        ),
        (RawOutcome::Answer(a), c) => {
            let ch = c
                .as_ref()
                .map(|c| format!(" with a {} challenge", c.describe()))
                .unwrap_or_default();
            (
                LiveStatus::Fail,
                "error-status",
                format!(
                    "the CPE answered the unauthenticated GET with {}{ch}",
                    a.status_line()
                ),
            )
        }
        (RawOutcome::NotHttp(_) | RawOutcome::Oversized(_), _) => (
            LiveStatus::Fail,
            "not-http",
            format!(
                "the CPE's port did not answer in HTTP: {}",
                describe(first, timeout)
            ),
        ),
        _ => (
            LiveStatus::Fail,
            "no-answer",
            format!(
                "the CPE did not answer the connection request: {}",
                describe(first, timeout)
            ),
        ),
    };
    let challenge =
        LiveVerdict::new("cr.challenge", status, mode, summary).with([first_ev.clone()]);
    let auth = match (&p.auth, &p.auth_skipped) {
        (_, Some((mode, why))) => LiveVerdict::new(
            "cr.auth",
            LiveStatus::Skip,
            mode,
            format!("no authenticated GET: {why}"),
        ),
        (Some(s), None) => {
            let ev = LiveEvidence::new(s.at, describe(s, timeout));
            let (status, mode, summary) = match &s.outcome {
                RawOutcome::Answer(a) if matches!(a.status, 200 | 204) => (
                    LiveStatus::Pass,
                    "pass",
                    format!("the CPE accepted the credentials: {}", a.status_line()),
                ),
                RawOutcome::Answer(a) if a.status == 401 => (
                    LiveStatus::Fail,
                    "rejected",
                    "the CPE rejected the credentials (401 again)".to_string(),
                ),
                RawOutcome::Answer(a) if a.status == 503 => (
                    LiveStatus::Fail,
                    "busy",
                    "the CPE answered 503: busy or rate-limiting connection requests".to_string(),
                ),
                RawOutcome::Answer(a) => (
                    LiveStatus::Fail,
                    "error-status",
                    format!(
                        "the CPE answered the authenticated GET with {}",
                        a.status_line()
                    ),
                ),
                RawOutcome::NotHttp(_) | RawOutcome::Oversized(_) => {
                    (LiveStatus::Fail, "error-status", describe(s, timeout))
                }
                _ => (
                    LiveStatus::Fail,
                    "no-answer",
                    format!(
                        "the CPE did not answer the authenticated GET: {}",
                        describe(s, timeout)
                    ),
                ),
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
    use crate::live::auth::pick;
    use crate::live::bounded_http::RawAnswer;
    use crate::live::tcp::ConnectResult;
    use crate::time::Timestamp;
    use std::net::SocketAddr;

    fn answer(status: u16, www: Option<&str>) -> RawOutcome {
        let headers = www
            .map(|w| vec![("WWW-Authenticate".to_string(), w.to_string())])
            .unwrap_or_default();
        RawOutcome::Answer(RawAnswer {
            status,
            reason: String::new(),
            headers,
            bytes_read: 60,
            reusable: true,
        })
    }

    fn s(outcome: RawOutcome) -> CrStep {
        let challenge = match &outcome {
            RawOutcome::Answer(a) => pick(&a.headers_named("www-authenticate")),
            _ => None,
        };
        CrStep {
            request: "GET /cr".into(),
            outcome,
            challenge,
            elapsed: Duration::ZERO,
            at: Timestamp::new(1_700_000_000, 0),
        }
    }

    fn probe(
        first: RawOutcome,
        auth: Option<RawOutcome>,
        skipped: Option<(&'static str, String)>,
    ) -> Vec<(LiveStatus, &'static str)> {
        let p = CrProbe {
            url: "http://192.0.2.7:7547/cr".into(),
            at: Timestamp::new(1_700_000_000, 0),
            problem: None,
            dns: None,
            connect: Some(ConnectResult {
                addr: SocketAddr::from(([192, 0, 2, 7], 7547)),
                outcome: tcp::ConnectOutcome::Connected(Duration::ZERO),
                at: Timestamp::new(0, 0),
            }),
            challenge: Some(s(first)),
            auth: auth.map(s),
            auth_skipped: skipped,
        };
        verdicts(&p, Duration::from_secs(2))
            .into_iter()
            .map(|v| (v.status, v.mode))
            .collect()
    }

    const DIGEST: Option<&str> = Some(r#"Digest realm="cpe", nonce="n", qop="auth""#);

    #[test]
    fn digest_challenge_then_200_passes() {
        let v = probe(answer(401, DIGEST), Some(answer(200, None)), None);
        assert_eq!(v, vec![(LiveStatus::Pass, "pass"); 3]);
    }

    #[test]
    fn failures_of_the_authenticated_get() {
        assert_eq!(
            probe(answer(401, DIGEST), Some(answer(401, DIGEST)), None)[2],
            (LiveStatus::Fail, "rejected")
        );
        assert_eq!(
            probe(answer(401, DIGEST), Some(answer(503, None)), None)[2],
            (LiveStatus::Fail, "busy")
        );
        assert_eq!(
            probe(answer(401, DIGEST), Some(RawOutcome::Reset), None)[2],
            (LiveStatus::Fail, "no-answer")
        );
        assert_eq!(
            probe(answer(401, DIGEST), Some(RawOutcome::TimedOut), None)[2],
            (LiveStatus::Fail, "no-answer")
        );
    }

    #[test]
    fn deviations_of_the_challenge() {
        let basic = probe(
            answer(401, Some(r#"Basic realm="cpe""#)),
            Some(answer(204, None)),
            None,
        );
        assert_eq!(basic[1], (LiveStatus::Warn, "basic-challenge"));
        let open = probe(
            answer(204, None),
            None,
            Some(("not-needed", "accepted".into())),
        );
        assert_eq!(
            &open[1..],
            &[
                (LiveStatus::Warn, "unauthenticated-accepted"),
                (LiveStatus::Skip, "not-needed")
            ]
        );
        assert_eq!(
            probe(answer(404, None), None, Some(("blocked", "404".into())))[1],
            (LiveStatus::Fail, "error-status")
        );
        assert_eq!(
            probe(RawOutcome::NotHttp("SSH-2.0".into()), None, None)[1],
            (LiveStatus::Fail, "not-http")
        );
        assert_eq!(
            probe(RawOutcome::TimedOut, None, None)[1],
            (LiveStatus::Fail, "no-answer")
        );
        assert_eq!(
            probe(
                answer(401, DIGEST),
                None,
                Some(("needs-credentials", "no --cr-username given".into()))
            )[2],
            (LiveStatus::Skip, "needs-credentials")
        );
    }
}
