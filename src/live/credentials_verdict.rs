//! The verdict on the CWMP credentials (`cwmp.credentials`): the ACS accepts the username and
//! password the router is configured with.
//!
//! Takes: an [`AcsProbe`]. Gives: the verdict, a pure function of the probe. TR-069 §3.4.4 /
//! tr069-facts.md §2: a 401 after credentials means they were rejected; an ACS that asks for none
//! passes; without TLS an ACS must use Digest, so Basic over plain HTTP is worth a warning; an ACS
//! that does not challenge an empty POST may check credentials only on an Inform.

use std::time::Duration;

use super::acs_answer::{HttpOutcome, HttpStep};
use super::acs_http::CredentialState;
use super::acs_verdict::{describe_step, why_no_http};
use super::attempt::AcsProbe;
use super::auth::Scheme;
use super::{LiveEvidence, LiveStatus, LiveVerdict};

pub(crate) fn verdict(p: &AcsProbe, timeout: Duration) -> LiveVerdict {
    let v =
        |status, mode, summary: String| LiveVerdict::new("cwmp.credentials", status, mode, summary);
    let Some(http) = &p.http else {
        return v(
            LiveStatus::Skip,
            "blocked",
            format!("credentials not tried: {}", why_no_http(p)),
        );
    };
    let posts: Vec<&HttpStep> = http
        .steps
        .iter()
        .filter(|s| s.request.starts_with("POST") && !s.request.contains("ending the session"))
        .collect();
    let evidence: Vec<LiveEvidence> = posts
        .iter()
        .map(|s| LiveEvidence::new(s.at, describe_step(s, timeout)))
        .collect();
    let last = posts.last().map(|s| &s.outcome);
    let plain = p.parsed.as_ref().is_ok_and(|u| u.scheme == "http");
    let (status, mode, summary) = match (&http.credentials, last) {
        (CredentialState::NotReached, _) => (
            LiveStatus::Skip,
            "blocked",
            "credentials not tried: the ACS gave no HTTP answer (see cwmp.url)".to_string(),
        ),
        (CredentialState::NotChallenged, Some(HttpOutcome::Answer(a)))
            if (200..300).contains(&a.status) =>
        {
            (
                LiveStatus::Pass,
                "pass",
                format!(
                    "the ACS asked for no credentials (POST answered {})",
                    a.status_line()
                ),
            )
        }
        (CredentialState::NotChallenged, Some(HttpOutcome::Answer(a))) => (
            LiveStatus::Skip,
            "not-challenged",
            format!(
                "the ACS answered the POST with {} without asking for credentials; some ACSes check them only on an Inform",
                a.status_line()
            ),
        ),
        (CredentialState::NotChallenged, _) => (
            LiveStatus::Skip,
            "blocked",
            "the POST got no answer".to_string(),
        ),
        (CredentialState::NeedsCredentials(c), _) => (
            LiveStatus::Skip,
            "needs-credentials",
            format!(
                "the ACS demands credentials ({}); give --acs-username and --acs-password to test them",
                c.describe()
            ),
        ),
        (CredentialState::UnverifiedTls(c), _) => (
            LiveStatus::Skip,
            "unverified-tls",
            format!(
                "credentials not sent: the ACS asks for them ({}) but its certificate failed verification (see acs.tls)",
                c.describe()
            ),
        ),
        (CredentialState::Unusable(e), _) => (
            LiveStatus::Fail,
            "unsupported-challenge",
            format!("the ACS's challenge cannot be answered: {e}"),
        ),
        (CredentialState::Sent { user, challenge }, Some(HttpOutcome::Answer(a))) => {
            let scheme = if challenge.scheme == Scheme::Basic {
                "Basic"
            } else {
                "Digest"
            };
            let realm = challenge
                .realm
                .as_ref()
                .map(|r| format!(" (realm {r:?})"))
                .unwrap_or_default();
            let how = format!("{scheme} credentials of user {user:?}{realm}");
            if a.status == 401 {
                (
                    LiveStatus::Fail,
                    "rejected",
                    format!("the ACS rejected the {how} (401 after Authorization)"),
                )
            } else if challenge.scheme == Scheme::Basic && plain {
                (
                    LiveStatus::Warn,
                    "basic-over-http",
                    format!(
                        "the ACS accepted the {how} ({}), but over plain HTTP: the password crossed the network in clear text",
                        a.status_line()
                    ),
                )
            } else {
                (
                    LiveStatus::Pass,
                    "pass",
                    format!(
                        "the ACS accepted the {how}: POST answered {}",
                        a.status_line()
                    ),
                )
            }
        }
        (CredentialState::Sent { .. }, _) => (
            LiveStatus::Skip,
            "blocked",
            "the authenticated POST got no answer (see session checks)".to_string(),
        ),
    };
    v(status, mode, summary).with(evidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::acs_verdict::tests::{T, answer, digest, probe, step};
    use crate::live::auth::pick;

    #[test]
    fn credential_verdicts() {
        let posts = |last: HttpOutcome| {
            vec![
                step(
                    "POST /acs (empty, no credentials)",
                    answer(401, Some(r#"Digest realm="acs", nonce="n""#)),
                ),
                step(
                    "POST /acs (empty, Digest credentials of user \"cpe\")",
                    last,
                ),
            ]
        };
        let sent = || CredentialState::Sent {
            user: "cpe".into(),
            challenge: digest(),
        };
        let ok = verdict(
            &probe("http://acs.test/acs", posts(answer(204, None)), sent()),
            T,
        );
        assert_eq!((ok.status, ok.mode), (LiveStatus::Pass, "pass"));
        assert_eq!(
            ok.summary,
            "the ACS accepted the Digest credentials of user \"cpe\" (realm \"acs\"): POST answered 204"
        );
        let no = verdict(
            &probe("http://acs.test/acs", posts(answer(401, None)), sent()),
            T,
        );
        assert_eq!((no.status, no.mode), (LiveStatus::Fail, "rejected"));
        let basic = CredentialState::Sent {
            user: "cpe".into(),
            challenge: pick(&[r#"Basic realm="acs""#]).unwrap(),
        };
        assert_eq!(
            verdict(
                &probe(
                    "http://acs.test/acs",
                    posts(answer(200, None)),
                    basic.clone()
                ),
                T
            )
            .mode,
            "basic-over-http"
        );
        assert_eq!(
            verdict(
                &probe("https://acs.test/acs", posts(answer(200, None)), basic),
                T
            )
            .mode,
            "pass"
        );
        let state = |c| {
            verdict(
                &probe("http://acs.test/acs", posts(answer(401, None)), c),
                T,
            )
            .mode
        };
        assert_eq!(
            state(CredentialState::NeedsCredentials(digest())),
            "needs-credentials"
        );
        assert_eq!(
            state(CredentialState::UnverifiedTls(digest())),
            "unverified-tls"
        );
        assert_eq!(
            state(CredentialState::Unusable("Bearer".into())),
            "unsupported-challenge"
        );
        let unasked = |status| {
            verdict(
                &probe(
                    "http://acs.test/acs",
                    vec![step(
                        "POST /acs (empty, no credentials)",
                        answer(status, None),
                    )],
                    CredentialState::NotChallenged,
                ),
                T,
            )
        };
        assert_eq!(
            (unasked(204).status, unasked(204).mode),
            (LiveStatus::Pass, "pass")
        );
        assert_eq!(
            (unasked(400).status, unasked(400).mode),
            (LiveStatus::Skip, "not-challenged")
        );
    }
}
