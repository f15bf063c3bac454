//! `session.complete` (FAQ I.3): the session ran to the ACS's empty 204 — or where it broke off, a
//! cookie the router did not return, Set-Cookie attributes echoed back, a later `1 BOOT`.

use crate::checks::{Ctx, Evidence, Status, Verdict};
use crate::facts::Message;
use crate::sessions::cwmp::{CwmpSession, Outcome};
use crate::sessions::cwmp_table::Failure;
use crate::sessions::exchange::{Req, Resp};

use super::*;

/// Inform EventCodes that say the restart was asked for (tr069-facts.md §3).
const REQUESTED_RESTART: &[&str] = &[
    "M Reboot",
    "M Download",
    "M ScheduleDownload",
    "7 TRANSFER COMPLETE",
];

/// ACS RPCs after which the router restarts.
const RESTARTING_RPCS: &[&str] = &["Reboot", "FactoryReset", "Download", "ScheduleDownload"];

pub const COMPLETE_MODES: &[&str] = &[
    "pass",
    "reset",
    "closed",
    "http-error",
    "unauthorized",
    "cookie-not-returned",
    "timeout",
    "fault",
    "unexpected",
    "empty-200",
    "cookie-attributes",
    "rebooted",
    "abandoned",
    "no-evidence",
    "capture-ended",
    "redirect",
];

/// Every device is judged: one whose sessions never reached the InformResponse counts as a skip, so a
/// second router stuck before its session could end is not hidden behind one that completed.
pub fn complete(ctx: &Ctx<'_>) -> Verdict {
    let judged: Vec<(String, Verdict)> = last_per_cpe(ctx, acknowledged)
        .into_iter()
        .map(|(cpe, s)| match s {
            Some(s) => (cpe, judge_complete(ctx, s)),
            None => (
                cpe,
                Verdict::skip("no-evidence", "no session reached the InformResponse"),
            ),
        })
        .collect();
    worst(judged).unwrap_or_else(|| {
        Verdict::skip(
            "no-evidence",
            ctx.no_cwmp("no session in the capture", "the session's end"),
        )
    })
}

/// A Cookie header that repeats Set-Cookie attributes (failure signature S8).
fn echoes_attributes(cookie: &str) -> bool {
    cookie
        .split(';')
        .map(|p| p.trim().to_ascii_lowercase())
        .any(|p| {
            ["path=", "domain=", "expires=", "max-age="]
                .iter()
                .any(|a| p.starts_with(a))
                || p == "httponly"
                || p == "secure"
        })
}

fn judge_complete(ctx: &Ctx<'_>, s: &CwmpSession) -> Verdict {
    // The RPCs of the session: the ACS's requests, and the router's own (TransferComplete …); a
    // request sent again after a Fault 8005 is counted, not listed twice.
    let mut rpcs: Vec<String> = Vec::new();
    let mut last: Option<(&str, usize)> = None;
    for e in &s.exchanges {
        let name = match (&e.req, &e.resp) {
            (Req::CpeRequest(n), _) | (_, Resp::AcsRequest(n)) => n.as_str(),
            _ => continue,
        };
        let by_router = matches!(e.req, Req::CpeRequest(_));
        let label = |n: usize| {
            let who = if by_router { "the router's " } else { "" };
            if n == 1 {
                format!("{who}{name}")
            } else {
                format!("{who}{name} ×{n}")
            }
        };
        match last {
            Some((prev, n)) if prev == name => {
                *rpcs.last_mut().expect("pushed with last") = label(n + 1);
                last = Some((name, n + 1));
            }
            _ => {
                rpcs.push(label(1));
                last = Some((name, 1));
            }
        }
    }
    match &s.outcome {
        Outcome::Completed { end } => {
            let end_msg = ctx.msg(*end);
            let end_ev = Evidence::message(ctx, end_msg, "empty response: the session ends");
            let list = if rpcs.is_empty() {
                "no RPCs".to_string()
            } else {
                rpcs.join(", ")
            };
            if let Some(m) = s
                .exchanges
                .iter()
                .map(|e| ctx.msg(e.request))
                .find(|m| m.http.header("Cookie").is_some_and(echoes_attributes))
            {
                let cookie = m.http.header("Cookie").unwrap_or("");
                return Verdict::warn(
                    "cookie-attributes",
                    format!(
                        "the router echoes Set-Cookie attributes in its Cookie header: {cookie:?}"
                    ),
                )
                .with([
                    Evidence::message(ctx, m, &format!("Cookie: {cookie}")),
                    end_ev,
                ]);
            }
            if let Some((earlier_end, later)) = later_boot(ctx, s) {
                return Verdict::warn(
                    "rebooted",
                    "a later Inform carries 1 BOOT: the router restarted after an earlier session",
                )
                .with([
                    Evidence::message(ctx, earlier_end, "the earlier session"),
                    Evidence::message(
                        ctx,
                        later,
                        &format!("EventCodes: {}", events(later).join(", ")),
                    ),
                ]);
            }

            if end_msg.http.status() == Some(200) {
                return Verdict::warn("empty-200", format!("the session ran to its end ({list}) but the ACS ended it with 200 and an empty body, not 204"))
                    .with([end_ev]);
            }
            Verdict::pass(format!(
                "the session ran to its end: {list}; the ACS ended it with 204"
            ))
            .with([end_ev])
        }
        Outcome::Open { state } => Verdict::skip(
            "capture-ended",
            format!("the capture ends mid-session ({})", state.describe()),
        ),
        Outcome::Failed {
            failure,
            exchange,
            state,
        } => {
            let ev = exchange_evidence(ctx, s, *exchange);
            let at = state.describe();
            match failure {
                Failure::HttpStatus(code) => {
                    if let Some(v) = cookie_not_returned(ctx, s, *exchange) {
                        return v;
                    }
                    Verdict::fail(
                        "http-error",
                        format!("the ACS answered mid-session with HTTP {code} ({at})"),
                    )
                    .with(ev)
                }
                Failure::AuthRejected { .. } | Failure::ChallengeUnanswered { .. } => {
                    Verdict::fail(
                        "unauthorized",
                        format!("the ACS rejected the router mid-session (401, {at})"),
                    )
                    .with(ev)
                }
                Failure::Fault { code } => Verdict::fail(
                    "fault",
                    format!("the ACS sent {} mid-session ({at})", fault_text(*code)),
                )
                .with(ev),
                Failure::NoAnswer(silence) => {
                    let (mode, text) = silence_mode(silence);
                    let status = if mode == "capture-ended" {
                        Status::Skip
                    } else {
                        Status::Fail
                    };
                    // A session the capture's end cut short did not break off: it is unfinished.
                    let summary = if status == Status::Skip {
                        format!("the session is unfinished when the capture ends ({at})")
                    } else {
                        format!("the session broke off {at}: {text}")
                    };
                    Verdict::new(status, mode, summary)
                        .with(ev)
                        .with(silence_evidence(ctx, silence))
                }
                Failure::Abandoned(silence) => {
                    let (_, text) = silence_mode(silence);
                    Verdict::fail("abandoned", format!("the session stopped {at}: {text}"))
                        .with(silence_evidence(ctx, silence))
                }
                Failure::RedirectNotFollowed { .. } => Verdict::fail(
                    "redirect",
                    format!("the session stopped {at}: {}", failure.describe()),
                )
                .with(ev),
                Failure::Superseded => Verdict::fail(
                    "abandoned",
                    format!("the router started a new session {at}"),
                ),
                Failure::NotSoap { .. } | Failure::Unexpected { .. } => {
                    let what = match failure {
                        Failure::Unexpected { what, .. } => what.clone(),
                        _ => "a message that is not SOAP".into(),
                    };
                    Verdict::fail("unexpected", format!("{what} came {at}")).with(ev)
                }
            }
        }
    }
}

/// A 4xx mid-session after the ACS set a cookie that a later request did not return (S7).
fn cookie_not_returned(ctx: &Ctx<'_>, s: &CwmpSession, failed: Option<usize>) -> Option<Verdict> {
    let failed = failed?;
    let (set_at, set_msg) = s.exchanges[..failed]
        .iter()
        .enumerate()
        .find_map(|(i, e)| {
            let r = ctx.msg(e.response?);
            r.http.header("Set-Cookie").map(|_| (i, r))
        })?;
    let req = ctx.msg(s.exchanges[failed].request);
    let missing = (set_at < failed) && req.http.header("Cookie").is_none();
    if !missing {
        return None;
    }
    let set = set_msg.http.header("Set-Cookie").unwrap_or("");
    let status = s.exchanges[failed]
        .response
        .and_then(|r| ctx.msg(r).http.status())
        .unwrap_or(0);
    Some(
        Verdict::fail(
            "cookie-not-returned",
            format!("the ACS set a session cookie and the router did not return it; the ACS then answered {status}"),
        )

            .with([Evidence::message(ctx, set_msg, &format!("Set-Cookie: {set}")), Evidence::message(ctx, req, "no Cookie header")])
            .with(s.exchanges[failed].response.map(|r| Evidence::message(ctx, ctx.msg(r), ""))),
    )
}

/// A session that reached its InformResponse followed by an Inform from the same device carrying `1 BOOT`
/// that nothing in the capture asked for: the router restarted in between on its own (a crash, a power
/// cut, a watchdog). A restart the ACS requested — `M Reboot`, a firmware `M Download`, `7 TRANSFER
/// COMPLETE`, or a Reboot/FactoryReset/Download RPC in the earlier session (tr069-facts.md §3, §6) — is
/// what config.apply judges.
fn later_boot<'f>(ctx: &Ctx<'f>, s: &CwmpSession) -> Option<(&'f Message, &'f Message)> {
    let mine: Vec<&CwmpSession> = ctx.sessions.of_device(&s.device).collect();
    mine.iter().enumerate().find_map(|(i, later)| {
        let inform = later.inform(ctx.facts)?;
        let codes = events(inform);
        if !codes.iter().any(|e| e.trim() == "1 BOOT")
            || codes.iter().any(|e| REQUESTED_RESTART.contains(&e.trim()))
        {
            return None;
        }
        // Only a session that ended before this one began: two sessions of one DeviceId that overlap
        // are two routers sharing it (session.inform says so), not one that restarted.
        let starts = later.span(ctx.facts).0;
        let earlier = mine[..i]
            .iter()
            .rev()
            .filter(|e| e.span(ctx.facts).1 < starts)
            .find(|e| acknowledged(e))?;
        let asked = earlier
            .exchanges
            .iter()
            .filter_map(|e| e.response)
            .any(|r| {
                ctx.msg(r)
                    .rpc()
                    .is_some_and(|rpc| RESTARTING_RPCS.contains(&rpc))
            });
        if asked {
            return None;
        }
        let end = earlier
            .exchanges
            .last()
            .map(|e| ctx.msg(e.response.unwrap_or(e.request)))?;
        Some((end, inform))
    })
}
