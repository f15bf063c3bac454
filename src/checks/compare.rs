//! FAQ Module I step 5 and Module II step V, the comparison test: `compare.baseline`.
//!
//! Takes: this capture's facts and sessions and a baseline capture's (`--baseline good.pcap`: a working
//! router, another firmware, a competitor's device), with the baseline's own first failing check. Gives:
//! the first point, in this capture's frame order, where the exchange departs from the working one, with
//! the message of each capture (see [`compare_align`](super::compare_align) for what is compared).
//!
//! Invariants: a baseline that fails a check itself is not a working capture, so nothing is blamed on
//! this one (warn, naming the baseline's failure); a side whose CWMP runs inside TLS cannot be compared
//! (skip); a capture with no CWMP session at all is compared at the transport (its unanswered SYN, reset
//! or failed DNS answer against the baseline's handshake or answer). Only departures that plausibly
//! explain a failure fail the check; other differences between two working captures warn.

use super::compare_align::{Departure, Level, Side, departures};
use crate::checks::{Baseline, Ctx, Evidence, Verdict};
use crate::facts::Facts;
use crate::flows::At;
use crate::sessions::Sessions;

pub const BASELINE_MODES: &[&str] = &[
    "pass",
    "departs",
    "differs",
    "no-baseline",
    "baseline-empty",
    "baseline-fails",
    "tls-hidden",
];

/// CWMP hidden inside TLS: no session seen, yet TLS carried application data.
fn tls_hidden(facts: &Facts, sessions: &Sessions) -> bool {
    sessions.cwmp.is_empty()
        && facts
            .tls
            .iter()
            .any(|t| t.facts.application_data.iter().any(Option::is_some))
}

fn at(source: &str, at: At, text: impl Into<String>) -> Evidence {
    Evidence {
        source: source.to_string(),
        frame: Some(at.frame),
        time: Some(at.ts),
        text: text.into(),
        filter: Some(format!("frame.number == {}", at.frame)),
        conn: None,
    }
}

/// Where a capture without any CWMP session failed below HTTP: a failed DNS answer, an unanswered
/// SYN, a reset.
fn transport_failure(ctx: &Ctx<'_>) -> Option<Evidence> {
    let dns = ctx.facts.dns.iter().find(|d| {
        d.msg.response && (d.msg.rcode != 0 || !d.msg.answers.iter().any(|a| a.addr.is_some()))
    });
    if let Some(d) = dns {
        let q = d.msg.questions.first().map_or("", |(q, _)| q.as_str());
        return Some(at(
            ctx.source,
            d.at,
            format!("DNS answer for {q}: {} with no address", d.msg.rcode_name),
        ));
    }
    let mut conns: Vec<_> = ctx.acs_conns().collect();
    if conns.is_empty() {
        conns = ctx.facts.conns.iter().collect();
    }
    conns.iter().find_map(|c| {
        if let Some(r) = &c.rst {
            let who = if r.from_client {
                "the CPE"
            } else {
                "the server"
            };
            Some(at(
                ctx.source,
                r.at,
                format!("{} → {}: reset by {who}", c.client, c.server),
            ))
        } else if c.syn_ack.is_none() && c.syn_count > 0 {
            c.syn_first.map(|s| {
                at(
                    ctx.source,
                    s,
                    format!(
                        "{} → {}: SYN unanswered ({} sent)",
                        c.client, c.server, c.syn_count
                    ),
                )
            })
        } else {
            None
        }
    })
}

/// The baseline's counterpart of a transport failure: its DNS answer, else the handshake of its first
/// CWMP session's connection.
fn transport_counterpart(b: &Baseline<'_>, dns: bool) -> Option<Evidence> {
    if dns
        && let Some(d) = b
            .facts
            .dns
            .iter()
            .find(|d| d.msg.response && d.msg.answers.iter().any(|a| a.addr.is_some()))
    {
        let q = d.msg.questions.first().map_or("", |(q, _)| q.as_str());
        return Some(at(
            b.source,
            d.at,
            format!("DNS answer for {q} with an address"),
        ));
    }
    let s = b.sessions.cwmp.first()?;
    let m = &b.facts.messages[s.first_message()?];
    let c = b.facts.conn(m.http.conn)?;
    let when = c.syn_ack.or(c.established).unwrap_or(m.at());
    Some(at(
        b.source,
        when,
        format!("{} → {}: handshake answered (SYN-ACK)", c.server, c.client),
    ))
}

fn evidence(source: &str, facts: &Facts, index: usize, what: &str, ctx: &Ctx<'_>) -> Evidence {
    let mut e = Evidence::message(ctx, &facts.messages[index], what);
    e.source = source.to_string();
    e
}

fn cite(ctx: &Ctx<'_>, b: &Baseline<'_>, d: &Departure) -> Vec<Evidence> {
    let mut ev = Vec::new();
    if let Some(i) = d.ours {
        ev.push(evidence(ctx.source, ctx.facts, i, "this capture", ctx));
    }
    if let Some(i) = d.good {
        ev.push(evidence(b.source, b.facts, i, "the working capture", ctx));
    }
    ev
}

pub fn baseline(ctx: &Ctx<'_>) -> Verdict {
    let Some(b) = &ctx.baseline else {
        return Verdict::skip(
            "no-baseline",
            "needs --baseline good.pcap (a capture of a working registration)",
        );
    };
    let source = b.source;
    if let Some((id, summary)) = &b.failure {
        return Verdict::warn(
            "baseline-fails",
            format!(
                "the baseline {source} is not a working capture: its check {id} fails ({summary}); \
                 departures from it are not this capture's fault"
            ),
        );
    }
    if tls_hidden(b.facts, b.sessions) || tls_hidden(ctx.facts, ctx.sessions) {
        let which = if tls_hidden(b.facts, b.sessions) {
            format!("the baseline {source}")
        } else {
            "this capture".to_string()
        };
        return Verdict::skip(
            "tls-hidden",
            format!(
                "TLS: contents not visible — the CWMP exchange of {which} is encrypted, nothing to compare"
            ),
        );
    }
    if b.sessions.cwmp.is_empty() && b.sessions.conn_requests.is_empty() {
        return Verdict::skip(
            "baseline-empty",
            format!("the baseline {source} holds no CWMP exchange"),
        );
    }
    let ours = Side {
        facts: ctx.facts,
        sessions: ctx.sessions,
    };
    let good = Side {
        facts: b.facts,
        sessions: b.sessions,
    };
    let found = departures(&ours, &good);
    let fail = found.iter().find(|d| d.level == Level::Fail);
    let note = found.iter().find(|d| d.level == Level::Note);
    let Some(first) = fail.or(note) else {
        let n = b.sessions.cwmp.len() + b.sessions.conn_requests.len();
        return Verdict::pass(format!(
            "the exchange follows the working capture {source} ({n} exchange{})",
            if n == 1 { "" } else { "s" }
        ));
    };
    let mut summary = format!("departs from {source}: {}", first.what);
    let mut ev = Vec::new();
    if first.ours.is_none()
        && ctx.sessions.cwmp.is_empty()
        && let Some(e) = transport_failure(ctx)
    {
        summary.push_str(&format!("; it fails below HTTP: {}", e.text));
        let dns = e.text.starts_with("DNS");
        ev.push(e);
        ev.extend(transport_counterpart(b, dns));
    }
    ev.extend(cite(ctx, b, first));
    if first.level == Level::Fail {
        if let Some(n) = note.filter(|n| n.order < first.order) {
            summary.push_str(&format!(" (earlier, not a failure: {})", n.what));
        }
        Verdict::fail("departs", summary).with(ev)
    } else {
        let summary = format!(
            "differs from {source} only as two working captures may: {}",
            first.what
        );
        Verdict::warn("differs", summary).with(ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    use crate::checks::fixture_support::load;

    #[test]
    fn tls_hides_cwmp_only_when_no_session_is_seen() {
        let (f, s) = load("healthy-tls12");
        assert!(tls_hidden(&f, &s));
        let (f, s) = load("healthy-bootstrap");
        assert!(!tls_hidden(&f, &s));
    }

    #[test]
    fn a_capture_failing_below_http_names_its_failure() {
        let config = Config::default();
        for (name, want) in [
            ("acs-connect-syn-unanswered", "SYN unanswered"),
            ("acs-connect-rst", "reset by"),
            ("acs-dns-nxdomain", "NXDOMAIN"),
        ] {
            let (f, s) = load(name);
            let ctx = Ctx::new(&f, &s, &config, name);
            let e = transport_failure(&ctx).expect(name);
            assert!(e.text.contains(want), "{name}: {}", e.text);
            assert_eq!(e.source, name);
        }
    }

    #[test]
    fn a_failing_baseline_warns_and_names_its_failure() {
        let config = Config::default();
        let ((f, s), (bf, bs)) = (load("healthy-bootstrap"), load("healthy-periodic"));
        let mut ctx = Ctx::new(&f, &s, &config, "ours");
        ctx.baseline = Some(Baseline {
            source: "good",
            facts: &bf,
            sessions: &bs,
            failure: Some(("session.complete", "the ACS answered 400".into())),
        });
        let v = baseline(&ctx);
        assert_eq!(
            (v.status, v.mode),
            (crate::checks::Status::Warn, "baseline-fails")
        );
        assert!(
            v.summary.contains("its check session.complete fails"),
            "{}",
            v.summary
        );
    }
}
