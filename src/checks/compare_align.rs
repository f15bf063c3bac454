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
//! HTTP status class or method, credentials that differ and were refused (401), a Fault, a cookie this
//! ACS set and did not get back or got back with its attributes, SOAPAction or Content-Type changed, a
//! namespace change, a message cut short, an exchange missing while the session did not complete.
//! Everything else is [`Level::Note`]: EventCodes, which RPCs the ACS chose to send when both sessions
//! complete, an ACS that accepted what the baseline's ACS challenged. Answered Digest challenges of CWMP
//! sessions are left out of the alignment (whether an ACS challenges is its choice); those of connection
//! requests are kept (a CPE must challenge). Departures sort by this capture's frame numbers, so the first
//! one is the earliest on the wire.

pub use super::compare_features::Level;
use super::compare_features::{BODY_FEATURES, differ, features};
use crate::facts::Facts;
use crate::sessions::Sessions;
use crate::sessions::connreq::ConnRequest;
use crate::sessions::cwmp::{CwmpSession, Outcome};

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

    use crate::checks::fixture_support::load;

    fn between(ours: &str, good: &str) -> Vec<Departure> {
        let ((of, os), (gf, gs)) = (load(ours), load(good));
        departures(
            &Side {
                facts: &of,
                sessions: &os,
            },
            &Side {
                facts: &gf,
                sessions: &gs,
            },
        )
    }

    #[test]
    fn an_answered_challenge_is_left_out_and_positions_keep_counting() {
        let (facts, sessions) = load("healthy-bootstrap");
        let list = session_messages(&facts, &sessions.cwmp[0]);
        assert_eq!(
            list.first().map(|p| p.0),
            Some(3),
            "the 401 exchange is skipped"
        );
        assert!(
            list.iter()
                .all(|&(_, m)| facts.messages[m].http.status() != Some(401))
        );
    }

    #[test]
    fn a_capture_against_itself_has_no_departure() {
        assert!(between("healthy-connection-request", "healthy-connection-request").is_empty());
    }

    #[test]
    fn departures_sort_by_frame_and_the_cookie_comes_before_the_400() {
        let found = between(
            "session-complete-400-cookie-not-returned",
            "healthy-bootstrap",
        );
        assert!(found.windows(2).all(|w| w[0].order <= w[1].order));
        let first_fail = found.iter().find(|d| d.level == Level::Fail).unwrap();
        assert_eq!(first_fail.order, 38, "{}", first_fail.what);
    }

    #[test]
    fn a_missing_connection_request_sorts_last() {
        let found = between("healthy-bootstrap", "healthy-connection-request");
        let last = found.last().unwrap();
        assert_eq!(last.order, u64::MAX);
        assert!(
            last.what.starts_with("connection request 1"),
            "{}",
            last.what
        );
    }
}
