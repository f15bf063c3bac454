//! FAQ Module II steps I–III, the connection request: `cr.precondition` and `cr.connect` (in
//! `cr_precondition` and `cr_connect`), `cr.inform`, `cr.challenge`, `cr.auth`.
//!
//! Takes: the connection requests (ACS→CPE GETs run through the table in `sessions::connreq`), grouped
//! per device ([`cr_devices`]). Gives: each device's verdicts citing the GETs and their answers and the
//! `6 CONNECTION REQUEST` Inform that followed (TR-069 §3.2.2: GET → 401 Digest → GET with credentials →
//! 200/204, then a session within 30 s, tr069-facts §8); the worst device is reported, so one router's
//! success never hides another's failure.
//!
//! Invariants: the delay to the session is measured from the accepted GET and is never negative (real
//! CPEs open the session before they answer); a session later than 30 s is a warning, not a pass.

use crate::checks::auth::made_with_password;
pub use crate::checks::cr_connect::{CONNECT_MODES, connect};
use crate::checks::cr_devices::{CrDevice, cr_devices, judge_devices};
pub use crate::checks::cr_precondition::{PRECONDITION_MODES, precondition};
use crate::checks::evidence::{duration, header};
use crate::checks::{Ctx, Evidence, Verdict};
use crate::flows::At;
use crate::sessions::connreq::{ConnRequest, CrFailure, CrState};
use crate::sessions::cwmp::CwmpSession;
use crate::sessions::cwmp_table::State;
use crate::sessions::exchange::{RESPONSE_TIMEOUT_SECS, Silence};

pub const INFORM_MODES: &[&str] = &[
    "pass",
    "late",
    "no-session",
    "no-response",
    "capture-ended",
    "not-accepted",
    "no-evidence",
];
pub const CHALLENGE_MODES: &[&str] = &[
    "pass",
    "unauthenticated-accepted",
    "basic-challenge",
    "no-answer",
    "error-status",
    "preemptive",
    "udp",
    "no-evidence",
];
pub const AUTH_MODES: &[&str] = &[
    "pass",
    "rejected",
    "wrong-password",
    "reference-password",
    "busy",
    "no-answer",
    "no-credentials",
    "not-needed",
    "udp",
    "no-evidence",
];

/// tr069-facts §8: the session a connection request triggers starts within 30 s.
const CR_SESSION_SECS: f64 = 30.0;

fn hit_evidence(ctx: &Ctx<'_>, cr: &ConnRequest, i: usize) -> Vec<Evidence> {
    let h = &cr.hits[i];
    let req = ctx.msg(h.request);
    let mut out = vec![Evidence::message(
        ctx,
        req,
        &header(ctx, req, "Authorization").unwrap_or_default(),
    )];
    if let Some(r) = h.response {
        let m = ctx.msg(r);
        out.push(Evidence::message(
            ctx,
            m,
            &header(ctx, m, "WWW-Authenticate").unwrap_or_default(),
        ));
    }
    out
}

/// The skip of a step no connection request got to: none in the capture, or the ACS tried and never
/// reached the router (then cr.connect has the reason, and this says so rather than "none").
fn no_request(ctx: &Ctx<'_>, devices: &[CrDevice<'_>]) -> Verdict {
    let tried = ctx
        .facts
        .conns
        .iter()
        .any(|c| devices.iter().any(|d| d.targets.contains(&c.server)));
    if tried {
        Verdict::skip(
            "no-evidence",
            "no connection request reached the router (see cr.connect)",
        )
    } else {
        Verdict::skip("no-evidence", "no connection request in the capture")
    }
}

pub fn inform(ctx: &Ctx<'_>) -> Verdict {
    if let Some(v) = crate::checks::udp_cr::inform(ctx) {
        return v;
    }
    let devices = cr_devices(ctx);
    judge_devices(&devices, |d| inform_for(ctx, d)).unwrap_or_else(|| no_request(ctx, &devices))
}

/// `cr.inform` for one device: the session its last accepted connection request triggered, timed from
/// the accepted GET (TR-069 wants the 200/204 first, but real CPEs open the session before answering).
fn inform_for(ctx: &Ctx<'_>, d: &CrDevice<'_>) -> Option<Verdict> {
    if d.crs.is_empty() {
        return None;
    }
    let Some(cr) = d
        .crs
        .iter()
        .rev()
        .find(|c| matches!(c.state(), CrState::Accepted { .. }))
    else {
        return Some(Verdict::skip(
            "not-accepted",
            "no connection request was accepted, so no session is expected",
        ));
    };
    let last = cr.hits.len() - 1;
    let asked = ctx.msg(cr.hits[last].request).at();
    let answered = cr.hits[last].response.map(|r| ctx.msg(r).at());
    let ev = hit_evidence(ctx, cr, last);
    let session = cr.session.map(|i| &ctx.sessions.cwmp[i]);
    let mut v = triggered(ctx, session, asked, "connection request", ev);
    let early = session
        .and_then(|s| s.inform(ctx.facts))
        .zip(answered)
        .is_some_and(|(inf, ans)| inf.http.first.frame < ans.frame);
    if early {
        v.summary
            .push_str(" (the router began the session before answering the GET)");
    }
    Some(v)
}

/// `cr.inform`'s verdict on the session a connection request (`what`, answered or sent at `asked`)
/// should have triggered: its Inform with `6 CONNECTION REQUEST` and how long after it came, whether
/// the ACS answered it — or, without one, whether the capture went on long enough to expect it.
pub(super) fn triggered(
    ctx: &Ctx<'_>,
    session: Option<&CwmpSession>,
    asked: At,
    what: &str,
    mut ev: Vec<Evidence>,
) -> Verdict {
    let Some(s) = session else {
        let left = ctx
            .facts
            .capture
            .last_ts
            .map_or(0.0, |t| t.seconds_since(asked.ts));
        if left < RESPONSE_TIMEOUT_SECS {
            return Verdict::warn(
                "capture-ended",
                format!("no 6 CONNECTION REQUEST Inform yet, but the capture ends {left:.0} s after the {what}"),
            )
            .with(ev);
        }
        return Verdict::fail(
            "no-session",
            format!("no Inform with 6 CONNECTION REQUEST followed the {what}"),
        )
        .with(ev);
    };
    let inform = s
        .inform(ctx.facts)
        .expect("a triggered session has an Inform");
    let secs = inform.http.first.ts.seconds_since(asked.ts).max(0.0);
    let after = duration(secs);
    ev.push(Evidence::message(
        ctx,
        inform,
        &format!("{after} after the {what}"),
    ));
    let answered = s.steps.iter().any(|st| st.to == State::CpeTurn);
    if answered && secs > CR_SESSION_SECS {
        // tr069-facts §8: the session starts within 30 s; after that the ACS may already retry.
        Verdict::warn(
            "late",
            format!(
                "the Inform with 6 CONNECTION REQUEST came late, {after} after the {what} (it should start within 30 s; the ACS may already have retried)"
            ),
        )
        .with(ev)
    } else if answered {
        Verdict::pass(format!(
            "the {what} was followed {after} later by an Inform with 6 CONNECTION REQUEST that got its InformResponse"
        ))
        .with(ev)
    } else {
        Verdict::fail(
            "no-response",
            "the 6 CONNECTION REQUEST Inform got no InformResponse (see the session checks)",
        )
        .with(ev)
    }
}

pub fn challenge(ctx: &Ctx<'_>) -> Verdict {
    if let Some(v) = crate::checks::udp_cr::challenge(ctx) {
        return v;
    }
    let devices = cr_devices(ctx);
    judge_devices(&devices, |d| challenge_for(ctx, d)).unwrap_or_else(|| no_request(ctx, &devices))
}

fn challenge_for(ctx: &Ctx<'_>, d: &CrDevice<'_>) -> Option<Verdict> {
    // The challenge shows on the latest attempt that began without credentials (an ACS retrying with
    // credentials on a new connection starts an attempt that has none to show).
    let cr = *d
        .crs
        .iter()
        .rev()
        .find(|c| !c.hits[0].authorized)
        .or(d.crs.last())?;

    let first = &cr.hits[0];
    let ev = hit_evidence(ctx, cr, 0);
    let note = format!(
        " (recognised as a connection request because {})",
        cr.recognised_by
    );
    if first.authorized {
        return Some(
            Verdict::skip(
                "preemptive",
                "the ACS sent credentials with its first GET: no challenge was needed",
            )
            .with(ev),
        );
    }
    let v = match (first.status, first.silence) {
        (Some(401), _) => {
            let scheme = first
                .response
                .and_then(|r| ctx.msg(r).http.header("WWW-Authenticate"))
                .and_then(|v| v.split_whitespace().next())
                .unwrap_or("")
                .to_string();
            if scheme.eq_ignore_ascii_case("digest") {
                Verdict::pass("the router challenged the unauthenticated GET with 401 Digest")
                    .with(ev)
            } else {
                Verdict::warn(
                    "basic-challenge",
                    format!("the router challenged with {scheme:?}; TR-069 requires Digest"),
                )
                .with(ev)
            }
        }
        (Some(s @ (200 | 204)), _) => Verdict::warn(
            "unauthenticated-accepted",
            format!("the router accepted a connection request without credentials ({s}){note}"),
        )
        .with(ev),
        (Some(s), _) => Verdict::fail(
            "error-status",
            format!("the router answered the connection request with {s}"),
        )
        .with(ev),
        (None, silence) => no_answer(ctx, silence, "the connection request", ev),
    };
    Some(v)
}

pub fn auth(ctx: &Ctx<'_>) -> Verdict {
    if let Some(v) = crate::checks::udp_cr::auth(ctx) {
        return v;
    }
    let devices = cr_devices(ctx);
    judge_devices(&devices, |d| Some(auth_for(ctx, d.crs.last()?)))
        .unwrap_or_else(|| no_request(ctx, &devices))
}

fn auth_for(ctx: &Ctx<'_>, cr: &ConnRequest) -> Verdict {
    let Some(i) = cr.hits.iter().position(|h| h.authorized) else {
        return match (&cr.failure, cr.state()) {
            (Some(CrFailure::ChallengeUnanswered), _) => Verdict::fail(
                "no-credentials",
                "the router challenged the request and the ACS never sent credentials",
            )
            .with(hit_evidence(ctx, cr, 0)),
            (
                _,
                CrState::Accepted {
                    authenticated: false,
                },
            ) => Verdict::skip(
                "not-needed",
                "the router accepted the request without credentials (see cr.challenge)",
            ),
            _ => Verdict::skip(
                "no-evidence",
                "no authenticated connection request in the capture",
            ),
        };
    };
    let h = &cr.hits[i];
    let ev = hit_evidence(ctx, cr, i);
    if let Some(password) = &ctx.config.cr_password
        && made_with_password(ctx.msg(h.request), password) == Some(false)
    {
        // A router that accepts the ACS's Digest shares its password: only the reference value differs.
        let (mode, told) = match h.status {
            Some(s @ (200 | 204)) => ("reference-password", format!("; the router answered {s}")),
            _ => ("wrong-password", String::new()),
        };
        return Verdict::fail(
            mode,
            format!("the ACS's Digest was made with another password than --cr-password{told}"),
        )
        .with(ev);
    }
    match (h.status, h.silence) {
        (Some(s @ (200 | 204)), _) => Verdict::pass(format!(
            "the router accepted the authenticated connection request ({s})"
        ))
        .with(ev),
        (Some(401), _) => Verdict::fail(
            "rejected",
            "the router rejected the ACS's credentials (401 again)",
        )
        .with(ev),
        (Some(503), _) => {
            Verdict::fail("busy", "the router answered 503: busy or rate-limited").with(ev)
        }
        (Some(s), _) => Verdict::fail(
            "rejected",
            format!("the router answered the authenticated request with {s}"),
        )
        .with(ev),
        (None, silence) => no_answer(ctx, silence, "the authenticated request", ev),
    }
}

/// The router did not answer `what`: a skip when the capture simply ends, else a failure saying how.
fn no_answer(
    ctx: &Ctx<'_>,
    silence: Option<Silence>,
    what: &str,
    mut ev: Vec<Evidence>,
) -> Verdict {
    match silence {
        Some(Silence::CaptureEnded) => {
            Verdict::skip("no-evidence", "the capture ends before the router answered")
        }
        Some(s) => {
            if let Silence::Reset { at, .. } | Silence::Closed { at, .. } = s {
                ev.push(Evidence::at(ctx, at, s.describe()));
            }
            Verdict::fail(
                "no-answer",
                format!("the router did not answer {what}: {}", s.describe()),
            )
            .with(ev)
        }
        None => Verdict::fail("no-answer", format!("the router did not answer {what}")).with(ev),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::capture::Input;
    use crate::checks::Status;
    use crate::config::Config;

    use crate::checks::fixture_support::on_fixture;

    #[test]
    fn a_session_40_s_after_the_request_is_late() {
        let v = on_fixture("review-cr-inform-40s-late", inform);
        assert_eq!((v.status, v.mode), (Status::Warn, "late"));
        assert!(v.summary.contains("40.1 s"), "{}", v.summary);
    }

    #[test]
    fn a_prompt_session_passes_and_is_timed_from_the_accepted_get() {
        let v = on_fixture("review-cr-hostname-ok", inform);
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert!(v.summary.contains("100 ms later"), "{}", v.summary);
    }

    #[test]
    fn a_router_without_a_get_does_not_hide_behind_the_other() {
        for case in [
            "review-cr-two-cpes-one-fails",
            "review-cr-two-cpes-fail-first",
        ] {
            for check in [inform, challenge, auth] {
                let v = on_fixture(case, check);
                assert_eq!(v.status, Status::Pass, "{case}: {}", v.summary);
                assert!(
                    v.summary
                        .starts_with("CPE 00259E-HG8245-SN0001 at 203.0.113.7 (the one of 2"),
                    "{case}: {}",
                    v.summary
                );
            }
        }
    }

    #[test]
    fn the_snakectf_session_opened_before_the_204_is_not_negative() {
        let path = "../shared/corpus/pcap/ctf-snakectf2024-router-wan.pcap";
        if !std::path::Path::new(path).exists() {
            eprintln!("skipped: {path} is absent");
            return;
        }
        let facts = crate::engine::analyze(&Input::File(path.into())).expect("readable");
        let sessions = crate::sessions::build(&facts);
        let config = Config::default();
        let ctx = Ctx::new(&facts, &sessions, &config, "snakectf");
        let v = inform(&ctx);
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert!(v.summary.contains("65 ms later"), "{}", v.summary);
        assert!(
            v.summary.contains("before answering the GET"),
            "{}",
            v.summary
        );
        let p = precondition(&ctx);
        assert_eq!(p.status, Status::Pass, "{}", p.summary);
        assert!(p.summary.contains("reached it"), "{}", p.summary);
    }
}
