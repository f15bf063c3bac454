//! `session.inform` (FAQ I.3): the router sent a well-formed Inform — or how far it got without one.

use crate::checks::{Ctx, Evidence, Status, Verdict};
use crate::cwmp::{Quirk, SoapOutcome};
use crate::facts::Message;

use super::*;

pub const INFORM_MODES: &[&str] = &[
    "pass",
    "no-inform",
    "connected-no-request",
    "malformed",
    "incomplete-inform",
    "shared-device-id",
    "http10",
    "capture-gap",
    "no-evidence",
];

pub fn inform(ctx: &Ctx<'_>) -> Verdict {
    let judged: Vec<(String, Verdict)> = last_per_cpe(ctx, |s| !s.informs.is_empty())
        .into_iter()
        .filter_map(|(name, s)| Some((name, s?)))
        .map(|(name, s)| {
            (
                name,
                judge_inform(
                    ctx,
                    s.inform(ctx.facts).expect("kept sessions have an Inform"),
                    acknowledged(s),
                ),
            )
        })
        .collect();
    let verdict = worst(judged).unwrap_or_else(|| no_inform(ctx));
    match shared_device_id(ctx) {
        Some(shared) if verdict.status == Status::Pass => shared,
        _ => verdict,
    }
}

/// Two sessions that report one DeviceId from two addresses at the same time: two routers share a
/// serial number (a cloned or badly provisioned batch). The ACS keeps one record for both, so each
/// overwrites the other's settings and a connection request reaches whichever reported last.
fn shared_device_id(ctx: &Ctx<'_>) -> Option<Verdict> {
    use crate::sessions::device::Device;
    use std::collections::HashMap;
    let mut last: HashMap<&str, &crate::sessions::cwmp::CwmpSession> = HashMap::new();
    let span = |s: &crate::sessions::cwmp::CwmpSession| s.span(ctx.facts);
    for s in &ctx.sessions.cwmp {
        let Device::Id(id) = &s.device else { continue };
        if let Some(other) = last.insert(id, s)
            && other.cpe != s.cpe
            && span(s).0 <= span(other).1
        {
            let (a, b) = (other.inform(ctx.facts)?, s.inform(ctx.facts)?);
            return Some(
                Verdict::warn(
                    "shared-device-id",
                    format!(
                        "two routers report the DeviceId {id} at the same time, from {} and {}",
                        other.cpe, s.cpe
                    ),
                )
                .with([
                    Evidence::message(ctx, a, &format!("DeviceId {id}")),
                    Evidence::message(ctx, b, &format!("DeviceId {id}, another address")),
                ]),
            );
        }
    }
    None
}

fn judge_inform(ctx: &Ctx<'_>, m: &Message, acknowledged: bool) -> Verdict {
    // Bytes the capture lost (a gap in the TCP stream) make any XML look broken: that is the capture's
    // fault, not the router's, and nothing can be said about the Inform's content.
    if !m.http.complete() && !matches!(m.soap, SoapOutcome::Envelope(_)) {
        return Verdict::skip(
            "capture-gap",
            format!(
                "the capture lost part of the Inform completed in frame {}: its content cannot be judged — capture again (closer to the router, or with a larger buffer)",
                m.at().frame
            ),
        )
        .with([Evidence::message(ctx, m, "Inform with bytes missing from the capture")]);
    }
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
    if let crate::apps::http::StartLine::Request { version: 0, .. } = m.http.start {
        // TR-069 §3.4: CWMP runs over HTTP/1.1; an HTTP/1.0 client cannot keep the session's
        // connection alive without extensions, and some ACSs refuse it.
        return Verdict::warn(
            "http10",
            "the router sends its Inform over HTTP/1.0; TR-069 requires HTTP/1.1",
        )
        .with([ev]);
    }
    let unofficial = env
        .cwmp_ns
        .as_deref()
        .filter(|ns| unofficial_namespace(ns))
        .map(|ns| format!(" (in {ns}, a namespace no BBF schema defines: some ACSs reject it)"))
        .unwrap_or_default();
    Verdict::pass(format!(
        "Inform from {device}: {}{unofficial}",
        events(m).join(", ")
    ))
    .with([ev])
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
        .with(crate::checks::connect::handshake_evidence(ctx, c))
        .with([Evidence::in_conn(ctx, c.id, end, format!("the router closes {} → {}", c.client, c.server))]);
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
                .flat_map(|c| crate::checks::connect::handshake_evidence(ctx, c)),
        );
    }
    Verdict::fail(
        "no-inform",
        "no Inform: the router's requests to the ACS carry no Inform",
    )
}
