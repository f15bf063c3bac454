//! The alignment behind `compare.baseline` (FAQ I.5 and II.V): two captures' exchanges, side by side.
//!
//! Takes: the facts and sessions of the capture under diagnosis and of a baseline (a working
//! registration). Gives: every [`Departure`] found, each naming the message of this capture that departs
//! and its counterpart in the baseline. CWMP sessions are paired in order, then connection requests
//! (ACS→CPE GETs) in order; within a pair, messages are compared one by one, in order, feature by
//! feature: method or status, RPC, authentication scheme, cookie presence (and Set-Cookie attributes
//! echoed back in a Cookie), SOAPAction presence, Content-Type family, EventCodes, CWMP namespace, fault
//! code. Values that legitimately differ between two working routers (cookie values, nonces, times,
//! ports, User-Agent, CommandKeys) are never compared.
//!
//! Invariants: a departure is [`Level::Fail`] only when it plausibly explains a failure — a change of
//! HTTP status class or method, authentication missing or added, a Fault, a cookie not returned or
//! returned with its attributes, SOAPAction or Content-Type changed, a namespace change, a message cut
//! short, an exchange missing while the session did not complete. Everything else (EventCodes, which RPCs
//! the ACS chose to send when both sessions complete) is [`Level::Note`].

use crate::facts::{Facts, Message};
use crate::sessions::Sessions;
use crate::sessions::connreq::ConnRequest;
use crate::sessions::cwmp::{CwmpSession, Outcome};

/// How much a departure weighs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Note,
    Fail,
}

/// One difference found: the departing message here (`ours`) and its counterpart there (`good`), as
/// indices into each side's messages.
#[derive(Clone, Debug)]
pub struct Departure {
    pub level: Level,
    pub what: String,
    pub ours: Option<usize>,
    pub good: Option<usize>,
    /// Frame order key in this capture (a missing exchange sorts after everything it follows).
    pub order: u64,
}

/// One named feature of a message, and how much a difference in it weighs.
struct Feature {
    name: &'static str,
    value: String,
    level: Level,
}

fn feat(name: &'static str, value: impl Into<String>, level: Level) -> Feature {
    Feature {
        name,
        value: value.into(),
        level,
    }
}

/// Cookie attributes a client must not send back (RFC 6265 §4.2: a Cookie header holds name=value pairs
/// only); an ACS that matches the header strictly loses the session.
const COOKIE_ATTRIBUTES: &[&str] = &[
    "path", "domain", "expires", "max-age", "secure", "httponly", "samesite", "version",
];

/// The Set-Cookie attributes a Cookie header echoes, lower case, sorted (`none` when it echoes none).
fn echoed_attributes(cookie: &str) -> String {
    let mut found: Vec<String> = cookie
        .split(';')
        .filter_map(|p| {
            let name = p.split('=').next()?.trim().to_ascii_lowercase();
            COOKIE_ATTRIBUTES.contains(&name.as_str()).then_some(name)
        })
        .collect();
    found.sort();
    found.dedup();
    if found.is_empty() {
        "none".into()
    } else {
        found.join(", ")
    }
}

/// Features that describe a message's body: compared only between messages carrying the same RPC.
const BODY_FEATURES: &[&str] = &["SOAPAction", "Content-Type", "EventCodes", "CWMP namespace"];

fn presence(m: &Message, header: &str) -> &'static str {
    if m.http.header(header).is_some() {
        "present"
    } else {
        "absent"
    }
}

/// The features of a message, in the order they are compared.
fn features(m: &Message, choice: Level) -> Vec<Feature> {
    use Level::{Fail, Note};
    let scheme = |h: &str| {
        m.http
            .header(h)
            .and_then(|v| v.split_whitespace().next())
            .unwrap_or("none")
            .to_ascii_lowercase()
    };
    let ending = match m.http.ending.describe().as_str() {
        "complete" => "complete",
        _ => "cut short",
    };
    let mut out = vec![feat("message", ending, Fail)];
    match (m.http.method(), m.http.status()) {
        (Some(method), _) => out.push(feat("HTTP method", method, Fail)),
        (None, Some(status)) => {
            out.push(feat(
                "HTTP status class",
                format!("{}xx", status / 100),
                Fail,
            ));
            out.push(feat("HTTP status", status.to_string(), Note));
        }
        (None, None) => out.push(feat("HTTP", m.http.summary(), Fail)),
    }
    let rpc = m.rpc().map(String::from).unwrap_or_else(|| {
        if m.is_empty_body() {
            "empty".into()
        } else {
            "not SOAP".into()
        }
    });
    let rpc_level = if rpc == "Fault" || rpc == "not SOAP" {
        Fail
    } else {
        choice
    };
    out.push(feat("RPC", rpc, rpc_level));
    if m.http.is_request() {
        out.push(feat("Authorization", scheme("Authorization"), Fail));
        out.push(feat("Cookie", presence(m, "Cookie"), Fail));
        let echoed = m
            .http
            .header("Cookie")
            .map_or("none".into(), echoed_attributes);
        out.push(feat("Cookie attributes echoed", echoed, Fail));
        if !m.is_empty_body() {
            out.push(feat("SOAPAction", presence(m, "SOAPAction"), Fail));
        }
    } else {
        out.push(feat("WWW-Authenticate", scheme("WWW-Authenticate"), Fail));
        out.push(feat("Set-Cookie", presence(m, "Set-Cookie"), Note));
    }
    if !m.is_empty_body() {
        let family = m
            .http
            .header("Content-Type")
            .and_then(|v| v.split(';').next())
            .map_or("none".into(), |v| v.trim().to_ascii_lowercase());
        out.push(feat("Content-Type", family, Fail));
    }
    if let Some(inform) = m.envelope().and_then(|e| e.inform()) {
        let mut codes: Vec<String> = inform
            .events
            .iter()
            .map(|e| e.code.trim().to_string())
            .collect();
        codes.sort();
        out.push(feat("EventCodes", codes.join(", "), Note));
    }
    if let Some(ns) = m.envelope().and_then(|e| e.cwmp_ns.as_deref()) {
        out.push(feat("CWMP namespace", ns, Fail));
    }
    if let Some(f) = m.envelope().and_then(|e| e.fault()) {
        out.push(feat(
            "FaultCode",
            f.code.map_or("none".into(), |c| c.to_string()),
            Fail,
        ));
    }
    out
}

/// Every feature in which `ours` differs from `good`, in comparison order, each weighed by the heavier
/// of the two sides' weights (a Fault weighs on whichever side it is). A feature only one side has
/// compares against `none`.
fn differ(ours: &[Feature], good: &[Feature]) -> Vec<(Level, &'static str, String)> {
    let find = |list: &[Feature], name: &str| {
        list.iter()
            .find(|f| f.name == name)
            .map(|f| (f.value.clone(), f.level))
    };
    let mut out: Vec<(Level, &'static str, String)> = Vec::new();
    for f in good.iter().chain(ours) {
        if out.iter().any(|(_, n, _)| *n == f.name) {
            continue;
        }
        let (o, ol) = find(ours, f.name).unwrap_or(("none".into(), Level::Note));
        let (g, gl) = find(good, f.name).unwrap_or(("none".into(), Level::Note));
        if o != g {
            out.push((
                ol.max(gl),
                f.name,
                format!("{} is {o}, the working capture has {g}", f.name),
            ));
        }
    }
    out
}

/// One side: its facts and sessions.
pub struct Side<'a> {
    pub facts: &'a Facts,
    pub sessions: &'a Sessions,
}

fn frame(facts: &Facts, index: usize) -> u64 {
    facts.messages[index].at().frame
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

/// A message of an exchange: its 1-based position in the whole exchange, and its index.
type Positioned = (usize, usize);

/// The messages of a session in order (each request, then its response), numbered in the session, less
/// the Digest challenges that were answered: whether an ACS challenges first is its own choice, and the
/// retry that follows is compared instead (its Authorization against the baseline's).
fn session_messages(facts: &Facts, s: &CwmpSession) -> Vec<Positioned> {
    let mut out = Vec::new();
    let mut pos = 0;
    for (i, e) in s.exchanges.iter().enumerate() {
        let challenged = e.response.is_some_and(|r| {
            facts.messages[r].http.status() == Some(401)
                && facts.messages[e.request]
                    .http
                    .header("Authorization")
                    .is_none()
        });
        let retried = i + 1 < s.exchanges.len();
        for m in [Some(e.request), e.response].into_iter().flatten() {
            pos += 1;
            if !(challenged && retried) {
                out.push((pos, m));
            }
        }
    }
    out
}

/// The messages of a connection request in order, numbered: every GET counts, challenges included,
/// since a CPE must challenge every connection request (TR-069 §3.2.2).
fn cr_messages(c: &ConnRequest) -> Vec<Positioned> {
    c.hits
        .iter()
        .flat_map(|h| [Some(h.request), h.response])
        .flatten()
        .enumerate()
        .map(|(i, m)| (i + 1, m))
        .collect()
}

/// How to weigh a pair of exchanges.
#[derive(Clone, Copy)]
struct Weigh {
    /// An RPC difference (which RPCs the ACS sends is its choice when both sessions complete).
    choice: Level,
    /// The answers come from the ACS: one that accepts what the baseline's ACS challenged, or accepts
    /// without the Authorization the baseline sent, made a choice, not a failure. A CPE answering a
    /// connection request must challenge, so its answers are weighed strictly.
    acs_answers: bool,
}

/// Compares two message lists pairwise; `label` names the exchange.
fn compare_messages(
    ours: (&Facts, &[Positioned]),
    good: (&Facts, &[Positioned]),
    label: &str,
    weigh: Weigh,
    out: &mut Vec<Departure>,
) {
    let mut cookie_set = false;
    let status = |facts: &Facts, list: &[Positioned], k: usize| {
        list.get(k)
            .and_then(|&(_, m)| facts.messages[m].http.status())
    };
    for (i, (&(pos, mo), &(_, mg))) in ours.1.iter().zip(good.1).enumerate() {
        let (a, b) = (&ours.0.messages[mo], &good.0.messages[mg]);
        // The answer to this exchange here: the next message for a request, the message itself else.
        let answer = status(ours.0, ours.1, if a.http.is_request() { i + 1 } else { i });
        let mut found = differ(&features(a, weigh.choice), &features(b, weigh.choice));
        // Another RPC is another message: its body and the headers that describe it are not comparable.
        if found.iter().any(|d| d.1 == "RPC") {
            found.retain(|d| !BODY_FEATURES.contains(&d.1));
        }
        for (level, name, _) in &mut found {
            let relaxed = match *name {
                // A cookie is owed back only when this ACS set one (RFC 6265); one sent unasked is harmless.
                "Cookie" => !(cookie_set && a.http.header("Cookie").is_none()),
                // Credentials explain a failure only when they were refused.
                "Authorization" | "WWW-Authenticate" => weigh.acs_answers && answer != Some(401),
                "HTTP status class" => {
                    weigh.acs_answers && answer.is_some_and(|s| (200..300).contains(&s))
                }
                _ => false,
            };
            if relaxed {
                *level = Level::Note;
            }
        }
        cookie_set |= a.http.header("Set-Cookie").is_some();
        let first = found.iter().find(|d| d.0 == Level::Fail).or(found.first());
        if let Some((level, _, d)) = first {
            out.push(Departure {
                level: *level,
                what: format!("{label}, message {pos}: {d}"),
                ours: Some(mo),
                good: Some(mg),
                order: frame(ours.0, mo),
            });
        }
    }
}

/// Every departure of `ours` from `good`, sorted by frame in this capture.
pub fn departures(ours: &Side<'_>, good: &Side<'_>) -> Vec<Departure> {
    let mut out = Vec::new();
    let (os, gs) = (&ours.sessions.cwmp, &good.sessions.cwmp);
    for (n, good_s) in gs.iter().enumerate() {
        let label = format!("session {}", n + 1);
        let Some(our_s) = os.get(n) else {
            out.push(Departure {
                level: Level::Fail,
                what: format!(
                    "{label}: the working capture has one (its first message is given), this one has {}",
                    if os.is_empty() {
                        "no CWMP session at all".to_string()
                    } else {
                        format!("only {}", os.len())
                    }
                ),
                ours: None,
                good: good_s.first_message(),
                order: u64::MAX,
            });
            break;
        };
        let both_complete = matches!(our_s.outcome, Outcome::Completed { .. })
            && matches!(good_s.outcome, Outcome::Completed { .. });
        // Which RPCs the ACS sends is its choice: between two completed sessions it is no failure.
        let choice = if both_complete {
            Level::Note
        } else {
            Level::Fail
        };
        let (a, b) = (
            session_messages(ours.facts, our_s),
            session_messages(good.facts, good_s),
        );
        let weigh = Weigh {
            choice,
            acs_answers: true,
        };
        compare_messages((ours.facts, &a), (good.facts, &b), &label, weigh, &mut out);
        if a.len() != b.len() || outcome_word(&our_s.outcome) != outcome_word(&good_s.outcome) {
            let k = a.len().min(b.len());
            let here = a.get(k).or(a.last()).map(|&(_, m)| m);
            out.push(Departure {
                level: choice,
                what: format!(
                    "{label}: after {k} messages the working session {} ({} messages), this one {} ({} messages)",
                    outcome_word(&good_s.outcome),
                    b.len(),
                    outcome_word(&our_s.outcome),
                    a.len()
                ),
                ours: here,
                good: b.get(k).or(b.last()).map(|&(_, m)| m),
                order: here.map_or(u64::MAX, |m| frame(ours.facts, m)),
            });
        }
    }
    connection_requests(ours, good, &mut out);
    out.sort_by_key(|d| d.order);
    out
}

/// Connection requests (FAQ II.V), paired in order: each GET and its answer.
fn connection_requests(ours: &Side<'_>, good: &Side<'_>, out: &mut Vec<Departure>) {
    let (oc, gc) = (&ours.sessions.conn_requests, &good.sessions.conn_requests);
    for (n, good_c) in gc.iter().enumerate() {
        let label = format!("connection request {}", n + 1);
        let b = cr_messages(good_c);
        let Some(our_c) = oc.get(n) else {
            out.push(Departure {
                level: Level::Fail,
                what: format!(
                    "{label}: the working capture has one (its GET is given), this one has {}",
                    if oc.is_empty() {
                        "none".to_string()
                    } else {
                        format!("only {}", oc.len())
                    }
                ),
                ours: None,
                good: b.first().map(|&(_, m)| m),
                order: u64::MAX,
            });
            return;
        };
        let a = cr_messages(our_c);
        let weigh = Weigh {
            choice: Level::Fail,
            acs_answers: false,
        };
        compare_messages((ours.facts, &a), (good.facts, &b), &label, weigh, out);
        if a.len() != b.len() {
            let k = a.len().min(b.len());
            let here = a.get(k).or(a.last()).map(|&(_, m)| m);
            out.push(Departure {
                level: Level::Fail,
                what: format!(
                    "{label}: the working one has {} messages, this one {}",
                    b.len(),
                    a.len()
                ),
                ours: here,
                good: b.get(k).or(b.last()).map(|&(_, m)| m),
                order: here.map_or(u64::MAX, |m| frame(ours.facts, m)),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_cookie_attributes_are_found_and_names_are_not() {
        assert_eq!(echoed_attributes("JSESSIONID=abc"), "none");
        assert_eq!(echoed_attributes("JSESSIONID=abc; Path=/"), "path");
        assert_eq!(
            echoed_attributes("a=1; path=/; Domain=x; Secure"),
            "domain, path, secure"
        );
        assert_eq!(echoed_attributes("pathname=1; b=2"), "none");
    }

    #[test]
    fn the_first_differing_feature_is_reported_with_its_weight() {
        let good = vec![
            feat("HTTP method", "POST", Level::Fail),
            feat("EventCodes", "1 BOOT", Level::Note),
        ];
        let note = vec![
            feat("HTTP method", "POST", Level::Fail),
            feat("EventCodes", "2 PERIODIC", Level::Note),
        ];
        let found = differ(&note, &good);
        assert_eq!(found.len(), 1);
        let (level, _, what) = &found[0];
        assert_eq!(*level, Level::Note);
        assert_eq!(
            what,
            "EventCodes is 2 PERIODIC, the working capture has 1 BOOT"
        );
        let missing = vec![feat("HTTP method", "POST", Level::Fail)];
        let found = differ(&missing, &good);
        assert_eq!(
            found[0].2,
            "EventCodes is none, the working capture has 1 BOOT"
        );
        let fault = vec![
            feat("HTTP method", "POST", Level::Fail),
            feat("EventCodes", "1 BOOT", Level::Note),
            feat("RPC", "Fault", Level::Fail),
        ];
        let ok = vec![
            feat("HTTP method", "POST", Level::Fail),
            feat("EventCodes", "1 BOOT", Level::Note),
            feat("RPC", "SetParameterValuesResponse", Level::Note),
        ];
        let found = differ(&fault, &ok);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].0, found[0].1),
            (Level::Fail, "RPC"),
            "a Fault weighs on either side"
        );
        assert!(differ(&good, &good).is_empty());
    }
}
