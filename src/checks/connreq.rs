//! FAQ Module II steps I–III, the connection request: `cr.precondition`, `cr.connect`, `cr.inform`,
//! `cr.challenge`, `cr.auth`.
//!
//! Takes: the completed registrations, the ConnectionRequestURLs the Informs reported, the connection
//! requests (ACS→CPE GETs run through the table in `sessions::connreq`) and the TCP connections to the
//! router. Gives: verdicts citing the Inform that reported the URL, the SYNs, the GETs and their answers,
//! and the `6 CONNECTION REQUEST` Inform that followed (TR-069 §3.2.2: GET → 401 Digest → GET with
//! credentials → 200/204, then a session within 30 s).

use crate::checks::auth::made_with_password;
use crate::checks::connect::handshake_evidence;
use crate::checks::evidence::{duration, header};
use crate::checks::{Ctx, Evidence, Verdict};
use crate::config::UrlParts;
use crate::flows::At;
use crate::flows::ConnFacts;
use crate::sessions::connreq::{ConnRequest, CrFailure, CrState};
use crate::sessions::cwmp::{CwmpSession, Outcome};
use crate::sessions::cwmp_table::State;
use crate::sessions::device::inform_device;
use crate::sessions::exchange::{RESPONSE_TIMEOUT_SECS, Silence};
use crate::sessions::url::Reach;

pub const PRECONDITION_MODES: &[&str] = &[
    "pass",
    "no-registration",
    "no-url",
    "unreachable-host",
    "nat",
    "no-evidence",
];
pub const CONNECT_MODES: &[&str] = &["pass", "syn-unanswered", "refused", "udp", "no-evidence"];
pub const INFORM_MODES: &[&str] = &[
    "pass",
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

pub fn precondition(ctx: &Ctx<'_>) -> Verdict {
    let sessions = &ctx.sessions.cwmp;
    if sessions.is_empty() && ctx.sessions.conn_requests.is_empty() {
        return Verdict::skip(
            "no-evidence",
            "no registration and no connection request in the capture",
        );
    }
    let Some(done) = sessions
        .iter()
        .rev()
        .find(|s| matches!(s.outcome, Outcome::Completed { .. }))
    else {
        // Without a connection request to judge, Module I already says what went wrong.
        if ctx.sessions.conn_requests.is_empty() && ctx.facts.udp_conn_requests.is_empty() {
            return Verdict::skip(
                "no-evidence",
                "no connection request in the capture, and no registration completed (see Module I)",
            );
        }
        return Verdict::fail(
            "no-registration",
            "no registration completed in the capture: the ACS cannot reach a router it does not know",
        );
    };
    let end = match done.outcome {
        Outcome::Completed { end } => ctx.msg(end),
        _ => unreachable!("matched above"),
    };
    let done_ev = Evidence::message(ctx, end, "registration completed");
    // The URL the registered device reported: by its DeviceId first (routers behind one NAT address
    // share the address), then by its address.
    let urls = || ctx.sessions.cr_urls.iter().rev();
    let Some(url) = urls()
        .find(|u| inform_device(ctx.msg(u.message)).as_ref() == Some(&done.device))
        .or_else(|| urls().find(|u| ctx.msg(u.message).http.src.ip() == done.cpe))
        .or(ctx.sessions.cr_urls.last())
    else {
        if done.informs.is_empty() {
            return Verdict::skip(
                "no-evidence",
                "a session completed, but the capture began after its Inform: the ConnectionRequestURL is not in it",
            )
            .with([done_ev]);
        }
        return Verdict::warn(
            "no-url",
            "a registration completed but no Inform reported a ConnectionRequestURL",
        )
        .with([done_ev]);
    };
    let url_ev = Evidence::message(
        ctx,
        ctx.msg(url.message),
        &format!("ConnectionRequestURL = {}", url.url),
    );
    // Behind NAT, a STUN binding with CONNECTION-REQUEST-BINDING (TR-111) lets the ACS reach the router
    // over UDP anyway.
    let behind_nat =
        url.reach().is_some_and(|r| r != Reach::Public) || url.ip.is_some_and(|ip| ip != done.cpe);
    if behind_nat && let Some(b) = crate::checks::udp_cr::stun_binding(ctx, done.cpe) {
        let mapped = b
            .msg
            .xor_mapped_address
            .or(b.msg.mapped_address)
            .map(|a| format!(" ({a})"))
            .unwrap_or_default();
        return Verdict::pass(format!(
            "registration completed; the ConnectionRequestURL {} is behind NAT, but the router keeps a STUN binding{mapped} for UDP connection requests (TR-111)",
            url.url
        ))
        .with([done_ev, url_ev, Evidence::at(ctx, b.at, format!("STUN binding request {} → {} with CONNECTION-REQUEST-BINDING", b.src, b.dst))]);
    }
    match url.reach() {
        Some(reach) if reach != Reach::Public => Verdict::warn(
            "unreachable-host",
            format!("the ConnectionRequestURL {} names {}: the ACS cannot reach it from outside", url.url, reach.describe()),
        )
        .with([done_ev, url_ev]),
        Some(_) if url.ip != Some(done.cpe) => Verdict::warn(
            "nat",
            format!("the ConnectionRequestURL host {} is not the router's source address {}: NAT between them", url.host, done.cpe),
        )
        .with([done_ev, url_ev]),
        _ => Verdict::pass(format!("registration completed; ConnectionRequestURL {}", url.url)).with([done_ev, url_ev]),
    }
}

/// Endpoints connection requests go to: the reported URLs, the GETs seen, and `--cpe-url`.
fn cr_targets(ctx: &Ctx<'_>) -> Vec<std::net::SocketAddr> {
    let mut out: Vec<std::net::SocketAddr> = ctx
        .sessions
        .cr_urls
        .iter()
        .filter_map(|u| u.ip.map(|ip| std::net::SocketAddr::new(ip, u.port)))
        .collect();
    out.extend(ctx.sessions.conn_requests.iter().map(|c| c.cpe));
    if let Some(u) = ctx.config.cpe_url.as_deref().and_then(UrlParts::parse)
        && let Some(ip) = u.ip
    {
        out.push(std::net::SocketAddr::new(ip, u.port));
    }
    out.sort();
    out.dedup();
    out
}

pub fn connect(ctx: &Ctx<'_>) -> Verdict {
    if let Some(v) = crate::checks::udp_cr::connect(ctx) {
        return v;
    }
    let targets = cr_targets(ctx);
    let conns: Vec<&ConnFacts> = ctx
        .facts
        .conns
        .iter()
        .filter(|c| targets.contains(&c.server))
        .collect();
    let Some(last) = conns.last() else {
        return Verdict::skip("no-evidence", "no connection request in the capture");
    };
    if let Some(c) = conns.iter().find(|c| c.handshake_done()) {
        return Verdict::pass(format!(
            "the ACS {} connected to the router's {}",
            c.client.ip(),
            c.server
        ))
        .with(handshake_evidence(ctx, c));
    }
    if let Some(rst) = last.rst.filter(|r| !r.from_client) {
        return Verdict::fail(
            "refused",
            format!(
                "the router refused the ACS's connection to {} (RST)",
                last.server
            ),
        )
        .with(handshake_evidence(ctx, last))
        .with([Evidence::at(
            ctx,
            rst.at,
            format!("RST {} → {}", last.server, last.client),
        )]);
    }
    let syns: u32 = conns.iter().map(|c| c.syn_count).sum();
    Verdict::fail(
        "syn-unanswered",
        format!("{syns} SYNs from the ACS to {} unanswered", last.server),
    )
    .with(handshake_evidence(ctx, last))
}

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

pub fn inform(ctx: &Ctx<'_>) -> Verdict {
    if let Some(v) = crate::checks::udp_cr::inform(ctx) {
        return v;
    }
    let crs = &ctx.sessions.conn_requests;
    if crs.is_empty() {
        return Verdict::skip("no-evidence", "no connection request in the capture");
    }
    let Some(cr) = crs
        .iter()
        .rev()
        .find(|c| matches!(c.state(), CrState::Accepted { .. }))
    else {
        return Verdict::skip(
            "not-accepted",
            "no connection request was accepted, so no session is expected",
        );
    };
    let last = cr.hits.len() - 1;
    let accepted = ctx
        .msg(cr.hits[last].response.expect("accepted has a response"))
        .at();
    let ev = hit_evidence(ctx, cr, last);
    let session = cr.session.map(|i| &ctx.sessions.cwmp[i]);
    triggered(ctx, session, accepted, "connection request", ev)
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
    let after = duration(inform.http.first.ts.seconds_since(asked.ts));
    ev.push(Evidence::message(
        ctx,
        inform,
        &format!("{after} after the {what}"),
    ));
    if s.steps.iter().any(|st| st.to == State::CpeTurn) {
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
    // The challenge shows on the latest attempt that began without credentials (an ACS retrying with
    // credentials on a new connection starts an attempt that has none to show).
    let crs = &ctx.sessions.conn_requests;
    let Some(cr) = crs
        .iter()
        .rev()
        .find(|c| !c.hits[0].authorized)
        .or(crs.last())
    else {
        return Verdict::skip("no-evidence", "no connection request in the capture");
    };

    let first = &cr.hits[0];
    let ev = hit_evidence(ctx, cr, 0);
    let note = format!(
        " (recognised as a connection request because {})",
        cr.recognised_by
    );
    if first.authorized {
        return Verdict::skip(
            "preemptive",
            "the ACS sent credentials with its first GET: no challenge was needed",
        )
        .with(ev);
    }
    match (first.status, first.silence) {
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
    }
}

pub fn auth(ctx: &Ctx<'_>) -> Verdict {
    if let Some(v) = crate::checks::udp_cr::auth(ctx) {
        return v;
    }
    let Some(cr) = ctx.sessions.conn_requests.last() else {
        return Verdict::skip("no-evidence", "no connection request in the capture");
    };
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
