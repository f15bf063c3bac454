//! `session.inform-response` (FAQ I.3): the ACS answered the Inform with an InformResponse, in the
//! router's CWMP namespace — or what came instead (an HTTP error, a SOAP Fault, not SOAP, silence).

use crate::checks::{Ctx, Evidence, Status, Verdict};
use crate::facts::Message;
use crate::sessions::cwmp::{CwmpSession, Outcome};
use crate::sessions::cwmp_table::{Failure, State};
use crate::sessions::exchange::RESPONSE_TIMEOUT_SECS;

use super::*;

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
    "late",
    "redirect",
    "no-evidence",
    "capture-ended",
];

pub fn inform_response(ctx: &Ctx<'_>) -> Verdict {
    let judged: Vec<(String, Verdict)> = last_per_cpe(ctx, |s| !s.informs.is_empty())
        .into_iter()
        .filter_map(|(name, s)| Some((name, s?)))
        .map(|(name, s)| (name, judge_inform_response(ctx, s)))
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
        let waited = r.at().ts.seconds_since(req.at().ts);
        if waited >= RESPONSE_TIMEOUT_SECS {
            // TR-069 lets the CPE count a request unanswered for 30 s as failed (tr069-facts.md §2);
            // this router waited longer, others in the fleet will not.
            let carried_on = s.steps.iter().any(|st| st.from == State::CpeTurn);
            let took = crate::checks::evidence::duration(waited);
            let v = if carried_on {
                Verdict::warn(
                    "late",
                    format!(
                        "the ACS answered the Inform only after {took}, beyond the 30 s a router may wait; this one waited"
                    ),
                )
            } else {
                Verdict::fail(
                    "late",
                    format!(
                        "the ACS answered the Inform only after {took}, beyond the 30 s a router may wait, and the router gave up"
                    ),
                )
            };
            return v.with(evidence);
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
            let ns = exchange
                .map(|i| ctx.msg(s.exchanges[i].request))
                .and_then(|m| m.envelope().and_then(|e| e.cwmp_ns.clone()))
                .filter(|ns| *code == 400 && unofficial_namespace(ns))
                .map(|ns| format!("; the Inform uses {ns}, a namespace no BBF schema defines (CWMP 1.3 and 1.4 keep cwmp-1-2; GenieACS answers it with 400)"))
                .unwrap_or_default();
            Verdict::fail("http-error", format!("the ACS answered the Inform with HTTP {reason}{retry}{ns}")).with(ev)
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
        Failure::RedirectNotFollowed { .. } => Verdict::fail("redirect", format!("no InformResponse: {}", failure.describe())).with(ev),
        Failure::Unexpected { what, .. } => {
            Verdict::fail("not-soap", format!("the ACS answered the Inform with {what} instead of an InformResponse")).with(ev)
        }
    }
}
