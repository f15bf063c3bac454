//! FAQ Module I step 3, the registration exchange: `session.inform`, `session.inform-response`,
//! `session.complete`.
//!
//! Takes: the CWMP sessions (their exchanges, the transitions of the session table, how each ended) and
//! the TCP/TLS facts for how far a router got when it sent no Inform. Gives: verdicts on each device's
//! last session (a capture may hold several devices), citing the Inform, the answer or what came
//! instead, and the frame where the session ended. TR-069 §3.7.1 (sessions), §3.4 (HTTP), Amd 6 §3.4.6
//! (the ACS ends with 204).

use std::net::IpAddr;

use crate::checks::{Ctx, Evidence, Status, Verdict};
use crate::cwmp::{Quirk, SoapOutcome, fault_meaning};
use crate::facts::Message;
use crate::sessions::cwmp::{CwmpSession, Outcome};
use crate::sessions::cwmp_table::{Failure, State};
use crate::sessions::exchange::Silence;

pub const INFORM_MODES: &[&str] = &[
    "pass",
    "no-inform",
    "connected-no-request",
    "malformed",
    "incomplete-inform",
    "no-evidence",
];
pub const INFORM_RESPONSE_MODES: &[&str] = &[
    "pass",
    "http-error",
    "soap-fault",
    "not-soap",
    "malformed",
    "timeout",
    "reset",
    "closed",
    "unauthorized",
    "namespace-mismatch",
    "no-evidence",
    "capture-ended",
];
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
];

/// The last session of each device (CPE address) that `keep` accepts, in order of the devices.
fn last_per_cpe<'s>(ctx: &Ctx<'s>, keep: impl Fn(&CwmpSession) -> bool) -> Vec<&'s CwmpSession> {
    let mut cpes: Vec<IpAddr> = Vec::new();
    for s in &ctx.sessions.cwmp {
        if !cpes.contains(&s.cpe) {
            cpes.push(s.cpe);
        }
    }
    cpes.iter()
        .filter_map(|cpe| {
            ctx.sessions
                .cwmp
                .iter()
                .rev()
                .find(|s| s.cpe == *cpe && keep(s))
        })
        .collect()
}

/// The worst of the devices' verdicts; with several devices, each summary names its device.
fn worst(mut verdicts: Vec<(IpAddr, Verdict)>) -> Option<Verdict> {
    let several = verdicts.len() > 1;
    verdicts.sort_by_key(|(_, v)| std::cmp::Reverse(v.status));
    let (cpe, mut v) = verdicts.into_iter().next()?;
    if several {
        v.summary = format!("CPE {cpe}: {}", v.summary);
    }
    Some(v)
}

fn acknowledged(s: &CwmpSession) -> bool {
    s.steps.iter().any(|st| st.to == State::CpeTurn)
}

fn events(m: &Message) -> Vec<String> {
    m.envelope()
        .and_then(|e| e.inform())
        .map(|i| i.events.iter().map(|e| e.code.clone()).collect())
        .unwrap_or_default()
}

pub fn inform(ctx: &Ctx<'_>) -> Verdict {
    let judged: Vec<(IpAddr, Verdict)> = last_per_cpe(ctx, |s| !s.informs.is_empty())
        .into_iter()
        .map(|s| {
            (
                s.cpe,
                judge_inform(
                    ctx,
                    s.inform(ctx.facts).expect("kept sessions have an Inform"),
                    acknowledged(s),
                ),
            )
        })
        .collect();
    worst(judged).unwrap_or_else(|| no_inform(ctx))
}

fn judge_inform(ctx: &Ctx<'_>, m: &Message, acknowledged: bool) -> Verdict {
    if let SoapOutcome::Malformed {
        offset,
        line,
        column,
        message,
        ..
    } = &m.soap
    {
        return Verdict::fail(
            "malformed",
            format!("the Inform is not well-formed XML: {message} (line {line}, column {column})"),
        )
        .with([Evidence::message(
            ctx,
            m,
            &format!("body byte {offset}: {message}"),
        )]);
    }
    let Some(env) = m.envelope() else {
        return Verdict::fail("malformed", "the Inform could not be read")
            .with([Evidence::message(ctx, m, "")]);
    };
    let Some(inf) = env.inform() else {
        return Verdict::fail("malformed", "the Inform could not be read")
            .with([Evidence::message(ctx, m, "")]);
    };
    let d = &inf.device_id;
    let device = format!(
        "{} {}-{}-{}",
        d.manufacturer.as_deref().unwrap_or("?"),
        d.oui.as_deref().unwrap_or("?"),
        d.product_class.as_deref().unwrap_or(""),
        d.serial_number.as_deref().unwrap_or("?")
    );
    let ns = env.cwmp_ns.as_deref().unwrap_or("no CWMP namespace");
    let retry = inf
        .retry_count
        .map_or("RetryCount missing".to_string(), |r| {
            format!("RetryCount {r}")
        });
    let detail = format!("{device}; events {}; {ns}; {retry}", events(m).join(", "));
    let ev = Evidence::message(ctx, m, &detail);
    // XML 1.0 forbids most control characters (S12): lenient ACSes read past them, strict ones reject
    // the Inform. Either way the router's XML is not well-formed.
    if let Some(Quirk::ControlCharacter {
        element,
        code,
        offset,
    }) = env
        .quirks
        .iter()
        .find(|q| matches!(q, Quirk::ControlCharacter { .. }))
    {
        let what = format!(
            "control character U+{code:04X} in <{element}> at body byte {offset}: not well-formed XML 1.0"
        );
        let summary = if acknowledged {
            format!("the Inform carries a {what} (this ACS accepted it; strict ones reject it)")
        } else {
            format!("the Inform is not well-formed: {what}")
        };
        let status = if acknowledged {
            Status::Warn
        } else {
            Status::Fail
        };
        return Verdict::new(status, "malformed", summary).with([ev]);
    }

    if !inf.problems.is_empty() {
        return Verdict::warn(
            "incomplete-inform",
            format!(
                "the Inform lacks what TR-069 requires: {}",
                inf.problems.join("; ")
            ),
        )
        .with([ev]);
    }
    Verdict::pass(format!("Inform from {device}: {}", events(m).join(", "))).with([ev])
}

/// No Inform at all: say how far the router got.
fn no_inform(ctx: &Ctx<'_>) -> Verdict {
    if ctx.sessions.cwmp.iter().any(|s| s.joined) {
        return Verdict::skip(
            "no-evidence",
            "the capture starts after the Inform (mid-session)",
        );
    }
    let conns: Vec<_> = ctx.acs_conns().collect();
    if conns.is_empty() {
        return if ctx.roles.acs.is_empty() {
            Verdict::skip(
                "no-evidence",
                "no traffic between the router and an ACS in the capture",
            )
        } else {
            Verdict::fail(
                "no-inform",
                "no Inform: the router never opened a connection to the ACS",
            )
        };
    }
    if let Some(c) = conns.iter().find(|c| c.handshake_done() && c.bytes[0] == 0) {
        let end = c.fin[0].or(c.rst.map(|r| r.at)).unwrap_or(c.last);
        return Verdict::fail(
            "connected-no-request",
            format!("no Inform: the router connected to {} and closed the connection without sending anything", c.server),
        )
        .with(crate::checks::transport::handshake_evidence(ctx, c))
        .with([Evidence::at(ctx, end, format!("the router closes {} → {}", c.client, c.server))]);
    }
    let tls = ctx
        .facts
        .tls
        .iter()
        .find(|t| conns.iter().any(|c| c.id == t.conn));
    if let Some(t) = tls {
        if t.facts.application_data.iter().any(Option::is_some) {
            return Verdict::skip(
                "no-evidence",
                "the session runs over TLS: its contents are not visible in the capture",
            );
        }
        return Verdict::fail(
            "no-inform",
            "no Inform: the TLS handshake with the ACS did not complete (see acs.tls)",
        );
    }
    if conns.iter().all(|c| !c.handshake_done()) {
        return Verdict::fail(
            "no-inform",
            "no Inform: the TCP connection to the ACS never opened (see acs.connect)",
        )
        .with(
            conns
                .iter()
                .take(2)
                .flat_map(|c| crate::checks::transport::handshake_evidence(ctx, c)),
        );
    }
    Verdict::fail(
        "no-inform",
        "no Inform: the router's requests to the ACS carry no Inform",
    )
}

/// The catalog mode of a silence, and the silence in words.
fn silence_mode(s: &Silence) -> (&'static str, String) {
    let mode = match s {
        Silence::Reset { .. } => "reset",
        Silence::Closed { .. } => "closed",
        Silence::TimedOut { .. } => "timeout",
        Silence::CaptureEnded => "capture-ended",
    };
    (mode, s.describe())
}

fn who(by_cpe: bool) -> &'static str {
    if by_cpe { "router" } else { "ACS" }
}

fn silence_evidence(ctx: &Ctx<'_>, s: &Silence) -> Vec<Evidence> {
    match s {
        Silence::Reset { at, by_cpe } => vec![Evidence::at(
            ctx,
            *at,
            format!("RST from the {}", who(*by_cpe)),
        )],
        Silence::Closed { at, by_cpe } => vec![Evidence::at(
            ctx,
            *at,
            format!("FIN from the {}", who(*by_cpe)),
        )],
        _ => Vec::new(),
    }
}

/// What answered the request of exchange `i` of `s`, as evidence.
fn exchange_evidence(ctx: &Ctx<'_>, s: &CwmpSession, i: Option<usize>) -> Vec<Evidence> {
    let Some(ex) = i.and_then(|i| s.exchanges.get(i)) else {
        return Vec::new();
    };
    let mut out = vec![Evidence::message(ctx, ctx.msg(ex.request), "")];
    if let Some(r) = ex.response {
        let m = ctx.msg(r);
        let detail = if m.http.complete() {
            m.excerpt
                .clone()
                .map(|e| format!("body: {e}"))
                .unwrap_or_default()
        } else {
            format!(
                "incomplete: cut after {} body bytes ({})",
                m.http.body_len,
                m.http.ending.describe()
            )
        };
        out.push(Evidence::message(ctx, m, &detail));
    }
    out
}

fn fault_text(code: Option<u32>) -> String {
    match code {
        Some(c) => format!("Fault {c} ({})", fault_meaning(c).unwrap_or("unknown code")),
        None => "a SOAP Fault without a CWMP FaultCode".into(),
    }
}

pub fn inform_response(ctx: &Ctx<'_>) -> Verdict {
    let judged: Vec<(IpAddr, Verdict)> = last_per_cpe(ctx, |s| !s.informs.is_empty())
        .into_iter()
        .map(|s| (s.cpe, judge_inform_response(ctx, s)))
        .collect();
    worst(judged).unwrap_or_else(|| {
        Verdict::skip(
            "no-evidence",
            ctx.no_cwmp("no Inform was sent", "the ACS's answer"),
        )
    })
}

fn judge_inform_response(ctx: &Ctx<'_>, s: &CwmpSession) -> Verdict {
    if let Some(step) = s.steps.iter().find(|st| st.to == State::CpeTurn) {
        let ex = &s.exchanges[step.exchange];
        let r = ctx.msg(ex.response.expect("an InformResponse is a response"));
        let req = ctx.msg(ex.request);
        let ns = |m: &Message| {
            m.envelope()
                .and_then(|e| e.cwmp_ns.clone())
                .unwrap_or_default()
        };
        let (asked, answered) = (ns(req), ns(r));
        let evidence = [
            Evidence::message(ctx, req, &format!("namespace {asked}")),
            Evidence::message(ctx, r, &format!("namespace {answered}")),
        ];
        if asked != answered && !asked.is_empty() && !answered.is_empty() {
            // S10: an ACS that hard-codes its CWMP version answers in another namespace.
            let carried_on = s.steps.iter().any(|st| st.from == State::CpeTurn);
            let short = |n: &str| n.rsplit(':').next().unwrap_or(n).to_string();
            return if carried_on {
                Verdict::warn(
                    "namespace-mismatch",
                    format!(
                        "the ACS answered the {} Inform in {}; the router carried on",
                        short(&asked),
                        short(&answered)
                    ),
                )
                .with(evidence)
            } else {
                Verdict::fail(
                    "namespace-mismatch",
                    format!(
                        "the ACS answered the {} Inform in {} and the router gave up",
                        short(&asked),
                        short(&answered)
                    ),
                )
                .with(evidence)
            };
        }
        return Verdict::pass("the ACS answered the Inform with an InformResponse").with(evidence);
    }

    let (failure, exchange) = match &s.outcome {
        Outcome::Failed {
            failure, exchange, ..
        } => (failure, *exchange),
        Outcome::Open { .. } => {
            return Verdict::skip(
                "capture-ended",
                "the capture ends before the ACS answered the Inform",
            );
        }
        Outcome::Completed { .. } => {
            return Verdict::fail("not-soap", "the session ended without an InformResponse");
        }
    };
    let ev = exchange_evidence(ctx, s, exchange);
    let status_of = |i: Option<usize>| i.and_then(|i| s.exchanges[i].response).map(|r| ctx.msg(r));
    match failure {
        Failure::AuthRejected { .. } | Failure::ChallengeUnanswered { .. } => {
            Verdict::fail("unauthorized", "no InformResponse: the ACS never accepted the router's credentials (see cwmp.credentials)").with(ev)
        }
        Failure::HttpStatus(code) => {
            let r = status_of(exchange);
            let retry = r.and_then(|r| r.http.header("Retry-After")).map(|v| format!(", Retry-After {v}")).unwrap_or_default();
            let reason = r.map(crate::checks::evidence::line).unwrap_or_else(|| code.to_string());
            Verdict::fail("http-error", format!("the ACS answered the Inform with HTTP {reason}{retry}")).with(ev)
        }
        Failure::Fault { code } => Verdict::fail("soap-fault", format!("the ACS answered the Inform with {}", fault_text(*code))).with(ev),
        Failure::NotSoap { malformed: true } => Verdict::fail("malformed", "the ACS's answer to the Inform is not well-formed XML").with(ev),
        Failure::NotSoap { malformed: false } => {
            let what = status_of(exchange).and_then(|r| r.excerpt.clone()).unwrap_or_default();
            Verdict::fail("not-soap", format!("the ACS answered the Inform with something that is not SOAP: {what:.60}")).with(ev)
        }
        Failure::NoAnswer(silence) | Failure::Abandoned(silence) => {
            let (mode, text) = silence_mode(silence);
            let v = Verdict::new(
                if mode == "capture-ended" { Status::Skip } else { Status::Fail },
                mode,
                format!("no InformResponse: {text}"),
            );
            v.with(ev).with(silence_evidence(ctx, silence))
        }
        Failure::Superseded => Verdict::fail("timeout", "no InformResponse before the router sent a new Inform").with(ev),
        Failure::Unexpected { what, .. } => {
            Verdict::fail("not-soap", format!("the ACS answered the Inform with {what} instead of an InformResponse")).with(ev)
        }
    }
}

pub fn complete(ctx: &Ctx<'_>) -> Verdict {
    let judged: Vec<(IpAddr, Verdict)> = last_per_cpe(ctx, acknowledged)
        .into_iter()
        .map(|s| (s.cpe, judge_complete(ctx, s)))
        .collect();
    worst(judged).unwrap_or_else(|| {
        Verdict::skip(
            "no-evidence",
            if ctx.sessions.cwmp.is_empty() {
                ctx.no_cwmp("no session in the capture", "the session's end")
            } else {
                "no session reached the InformResponse".into()
            },
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
    let rpcs: Vec<String> = s
        .exchanges
        .iter()
        .filter_map(|e| e.response.and_then(|r| ctx.msg(r).rpc().map(String::from)))
        .filter(|r| r != "InformResponse")
        .collect();
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
                    Verdict::new(status, mode, format!("the session broke off {at}: {text}"))
                        .with(ev)
                        .with(silence_evidence(ctx, silence))
                }
                Failure::Abandoned(silence) => {
                    let (_, text) = silence_mode(silence);
                    Verdict::fail("abandoned", format!("the session stopped {at}: {text}"))
                        .with(silence_evidence(ctx, silence))
                }
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

/// A session that reached its InformResponse followed by an Inform from the same device carrying `1 BOOT`:
/// the router restarted in between (after a Reboot RPC, a firmware download, or a crash).
fn later_boot<'f>(ctx: &Ctx<'f>, s: &CwmpSession) -> Option<(&'f Message, &'f Message)> {
    let mine: Vec<&CwmpSession> = ctx
        .sessions
        .cwmp
        .iter()
        .filter(|o| o.cpe == s.cpe)
        .collect();
    mine.iter().enumerate().find_map(|(i, later)| {
        let inform = later.inform(ctx.facts)?;
        if !events(inform).iter().any(|e| e.trim() == "1 BOOT") {
            return None;
        }
        let earlier = mine[..i].iter().rev().find(|e| acknowledged(e))?;
        let end = earlier
            .exchanges
            .last()
            .map(|e| ctx.msg(e.response.unwrap_or(e.request)))?;
        Some((end, inform))
    })
}
