//! FAQ Module I step 5 and Module II step V, the comparison test: `compare.baseline`.
//!
//! Takes: this capture's CWMP sessions and a baseline capture's (`--baseline good.pcap`: a working router,
//! another firmware, a competitor's device). Gives: the first point where this exchange departs from the
//! working one, with the frames of both — sessions aligned in order, then their exchanges message by
//! message: method, status, RPC, CWMP namespace, authentication scheme, cookies, fault code, EventCodes,
//! and how the session ended. Differences in what an exchange *does* (a different status, RPC, fault, an
//! exchange more or less) fail the check; differences in what it *says* (EventCodes, cookie or
//! authentication headers) alone only warn: two healthy routers rarely send identical Informs.

use crate::checks::{Baseline, Ctx, Evidence, Verdict};
use crate::facts::{Facts, Message};
use crate::sessions::cwmp::{CwmpSession, Outcome};

pub const BASELINE_MODES: &[&str] = &["pass", "departs", "no-baseline", "baseline-empty"];

/// One side of the comparison: a capture's name, facts and sessions.
struct Side<'a> {
    source: &'a str,
    facts: &'a Facts,
    sessions: &'a [CwmpSession],
}

/// A difference found, structural (what the exchange does) or not (what it says).
struct Departure {
    structural: bool,
    what: String,
    ours: Option<usize>,
    good: Option<usize>,
}

/// Named features of a message.
type Features = Vec<(&'static str, String)>;

/// The features of a message compared: what it does (structural), then what it says.
fn features(m: &Message) -> (Features, Features) {
    let scheme = |h: &str| {
        m.http
            .header(h)
            .and_then(|v| v.split_whitespace().next())
            .unwrap_or("none")
            .to_ascii_lowercase()
    };
    let rpc = m.rpc().map(String::from).unwrap_or_else(|| {
        if m.is_empty_body() {
            "empty".into()
        } else {
            "not SOAP".into()
        }
    });
    let mut structural = vec![
        ("message", m.http.ending.describe()),
        (
            "HTTP",
            m.http
                .method()
                .map_or_else(|| m.http.summary(), String::from),
        ),
        ("RPC", rpc),
    ];
    if let Some(f) = m.envelope().and_then(|e| e.fault()) {
        structural.push(("FaultCode", f.code.map_or("none".into(), |c| c.to_string())));
    }
    if let Some(ns) = m.envelope().and_then(|e| e.cwmp_ns.as_deref()) {
        structural.push(("CWMP namespace", ns.to_string()));
    }
    let mut said = vec![
        (
            "authentication",
            if m.http.is_request() {
                scheme("Authorization")
            } else {
                scheme("WWW-Authenticate")
            },
        ),
        (
            "cookie",
            if m.http.is_request() {
                presence(m, "Cookie")
            } else {
                presence(m, "Set-Cookie")
            },
        ),
    ];
    if let Some(inform) = m.envelope().and_then(|e| e.inform()) {
        let mut codes: Vec<String> = inform
            .events
            .iter()
            .map(|e| e.code.trim().to_string())
            .collect();
        codes.sort();
        said.push(("EventCodes", codes.join(", ")));
    }
    (structural, said)
}

fn presence(m: &Message, header: &str) -> String {
    if m.http.header(header).is_some() {
        "present".into()
    } else {
        "absent".into()
    }
}

fn outcome_word(o: &Outcome) -> String {
    match o {
        Outcome::Completed { .. } => "ran to its end".into(),
        Outcome::Open { state } => format!("was still open ({})", state.describe()),
        Outcome::Failed { failure, state, .. } => {
            format!("failed {} ({})", state.describe(), failure.describe())
        }
    }
}

/// The first departure of `ours` from `good`, session by session, message by message.
fn first_departure(ours: &Side<'_>, good: &Side<'_>) -> Option<Departure> {
    let mut said: Option<Departure> = None;
    for (n, good_s) in good.sessions.iter().enumerate() {
        let Some(our_s) = ours.sessions.get(n) else {
            return Some(Departure {
                structural: true,
                what: format!(
                    "session {}: the working capture has one (its first message is given), this one has {}",
                    n + 1,
                    if ours.sessions.is_empty() {
                        "no CWMP session at all".to_string()
                    } else {
                        format!("only {}", ours.sessions.len())
                    }
                ),
                ours: None,
                good: good_s.first_message(),
            });
        };
        let (a, b) = (messages(our_s), messages(good_s));
        for (i, (&mo, &mg)) in a.iter().zip(&b).enumerate() {
            let (our_m, good_m) = (&ours.facts.messages[mo], &good.facts.messages[mg]);
            let ((our_struct, our_said), (good_struct, good_said)) =
                (features(our_m), features(good_m));
            let label = format!("session {}, message {}", n + 1, i + 1);
            if let Some(d) = differ(&our_struct, &good_struct) {
                return Some(Departure {
                    structural: true,
                    what: format!("{label}: {d}"),
                    ours: Some(mo),
                    good: Some(mg),
                });
            }
            if said.is_none()
                && let Some(d) = differ(&our_said, &good_said)
            {
                said = Some(Departure {
                    structural: false,
                    what: format!("{label}: {d}"),
                    ours: Some(mo),
                    good: Some(mg),
                });
            }
        }
        if a.len() != b.len() || outcome_word(&our_s.outcome) != outcome_word(&good_s.outcome) {
            let k = a.len().min(b.len());
            return Some(Departure {
                structural: true,
                what: format!(
                    "session {}: after {k} messages the working session {} ({} messages), this one {} ({} messages)",
                    n + 1,
                    outcome_word(&good_s.outcome),
                    b.len(),
                    outcome_word(&our_s.outcome),
                    a.len()
                ),
                ours: a.get(k).or(a.last()).copied(),
                good: b.get(k).or(b.last()).copied(),
            });
        }
    }
    said
}

/// The messages of a session in order: each request, then its response.
fn messages(s: &CwmpSession) -> Vec<usize> {
    s.exchanges
        .iter()
        .flat_map(|e| [Some(e.request), e.response])
        .flatten()
        .collect()
}

fn differ(ours: &[(&'static str, String)], good: &[(&'static str, String)]) -> Option<String> {
    for (name, g) in good {
        let o = ours
            .iter()
            .find(|(n, _)| n == name)
            .map_or("none", |(_, v)| v.as_str());
        if o != g {
            return Some(format!("{name} is {o}, the working capture has {g}"));
        }
    }
    ours.iter()
        .find(|(n, _)| !good.iter().any(|(g, _)| g == n))
        .map(|(name, o)| format!("{name} is {o}, the working capture has none"))
}

fn evidence(ctx: &Ctx<'_>, side: &Side<'_>, index: usize, what: &str) -> Evidence {
    let mut e = Evidence::message(ctx, &side.facts.messages[index], what);
    e.source = side.source.to_string();
    e
}

pub fn baseline(ctx: &Ctx<'_>) -> Verdict {
    let Some(Baseline {
        source,
        facts,
        sessions,
    }) = &ctx.baseline
    else {
        return Verdict::skip(
            "no-baseline",
            "needs --baseline good.pcap (a capture of a working registration)",
        );
    };
    if sessions.cwmp.is_empty() {
        return Verdict::skip(
            "baseline-empty",
            format!("the baseline {source} holds no CWMP exchange"),
        );
    }
    let good = Side {
        source,
        facts,
        sessions: &sessions.cwmp,
    };
    let ours = Side {
        source: ctx.source,
        facts: ctx.facts,
        sessions: &ctx.sessions.cwmp,
    };
    let Some(d) = first_departure(&ours, &good) else {
        let n = good.sessions.len();
        return Verdict::pass(format!(
            "the exchange follows the working capture {source} ({n} session{})",
            if n == 1 { "" } else { "s" }
        ));
    };
    let mut ev: Vec<Evidence> = Vec::new();
    if let Some(i) = d.ours {
        ev.push(evidence(ctx, &ours, i, "this capture"));
    }
    if let Some(i) = d.good {
        ev.push(evidence(ctx, &good, i, "the working capture"));
    }
    let summary = format!("departs from {source}: {}", d.what);
    if d.structural {
        Verdict::fail("departs", summary).with(ev)
    } else {
        Verdict::warn("departs", summary).with(ev)
    }
}
