//! The registration attempts `retest.attempts` judges (FAQ Module I step 4), at whatever layer they fail.
//!
//! Takes: the CWMP sessions, the TCP connections to the ACS and their TLS handshakes. Gives: one
//! [`Attempt`] per connection the CPE opened to the ACS that began a registration — a CWMP session, a
//! refused or unanswered connection, a TLS handshake ended by an alert or an abort, a connection closed
//! without a request — with where it began (its SYN), where it failed (the failing response, the reset,
//! the close, the alert) and the frames that prove both.
//!
//! Invariants: an attempt's `start` is its first connection's first frame when that connection carried
//! nothing before the session, so the wait between attempts runs from one failure to the next SYN
//! (TR-069 §3.2.1.1 counts the back-off from the failure); `end` is never before `start`.

use std::collections::HashSet;
use std::net::IpAddr;

use crate::checks::{Ctx, Evidence};
use crate::flows::{AppKind, At, ConnFacts};
use crate::sessions::cwmp::{CwmpSession, Outcome};
use crate::sessions::cwmp_table::{Failure, State};
use crate::sessions::device::Device;
use crate::sessions::exchange::Silence;

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The ACS accepted the Inform.
    Ok,
    Failed,
    /// The capture (or the file) ended before the Inform was answered: neither ok nor failed.
    Unfinished,
    /// A TLS session that carried application data: its outcome is encrypted.
    Hidden,
}

/// A frame an attempt's evidence cites: a whole message, or a frame of a connection.
#[derive(Clone, Copy, Debug)]
pub enum Cite {
    Message(usize),
    Frame(u32, At),
}

impl Cite {
    pub fn at(self, ctx: &Ctx<'_>) -> At {
        match self {
            Cite::Message(i) => ctx.msg(i).at(),
            Cite::Frame(_, at) => at,
        }
    }

    /// Evidence at this frame: `text` after the message's first line, or alone at a connection's frame.
    pub fn evidence(self, ctx: &Ctx<'_>, text: &str) -> Evidence {
        match self {
            Cite::Message(i) => Evidence::message(ctx, ctx.msg(i), text),
            Cite::Frame(conn, at) => Evidence::in_conn(ctx, conn, at, text),
        }
    }
}

/// One registration attempt.
#[derive(Debug)]
pub struct Attempt {
    /// The device that made it, and the address it came from.
    pub device: Device,
    pub cpe: IpAddr,
    /// Its first frame (the SYN of its connection when captured).
    pub start: At,
    /// Where it ended: the failure when it failed.
    pub end: At,
    pub ended: Ended,
    pub retry_count: Option<u32>,
    pub what: String,
    /// The frame that shows the attempt (the Inform, or the connection's first frame).
    pub cite: Cite,
    /// The frame that shows its failure (the failing response, the reset, the close, the alert).
    pub failure: Option<Cite>,
}

fn session_attempt(ctx: &Ctx<'_>, s: &CwmpSession) -> Option<Attempt> {
    let first = s.first_message()?;
    let last = s
        .exchanges
        .last()
        .map(|e| e.response.unwrap_or(e.request))?;
    let answered = s.steps.iter().any(|st| st.to == State::CpeTurn);
    let cut = s.outcome.cut_by_capture_end();
    let ended = match (answered, &s.outcome) {
        (true, Outcome::Completed { .. }) => Ended::Ok,
        (true, _) if cut => Ended::Ok,
        (false, _) if cut => Ended::Unfinished,
        _ => Ended::Failed,
    };
    let inform = s.informs.first().copied();
    let retry_count = s
        .inform(ctx.facts)
        .and_then(|m| m.envelope()?.inform()?.retry_count);
    let what = match &s.outcome {
        Outcome::Completed { .. } => "session completed".to_string(),
        Outcome::Open { state } | Outcome::Failed { state, .. } if cut => format!(
            "session unfinished when the capture ends ({})",
            state.describe()
        ),
        Outcome::Open { state } => format!(
            "session still open at the end of the capture ({})",
            state.describe()
        ),
        Outcome::Failed { failure, state, .. } => {
            format!(
                "session failed {}: {}",
                state.describe(),
                failure.describe()
            )
        }
    };
    let first_msg = ctx.msg(first);
    // The SYN of the session's first connection, when that connection carried nothing before it.
    let start = s
        .conns
        .first()
        .and_then(|&id| ctx.facts.conn(id))
        .filter(|c| {
            c.first_payload
                .is_none_or(|p| p.frame >= first_msg.http.first.frame)
        })
        .map_or(first_msg.http.first, |c| c.first);
    let failure = (ended == Ended::Failed)
        .then(|| failure_cite(ctx, s))
        .flatten();
    let end = failure.map_or(ctx.msg(last).at(), |f| f.at(ctx));
    Some(Attempt {
        device: s.device.clone(),
        cpe: s.cpe,
        start,
        end,
        ended,
        retry_count,
        what,
        cite: Cite::Message(inform.unwrap_or(first)),
        failure,
    })
}

/// Where a failed session failed: the failing response, the reset or close, or (a time-out) the last
/// frame of its last connection.
fn failure_cite(ctx: &Ctx<'_>, s: &CwmpSession) -> Option<Cite> {
    let Outcome::Failed {
        failure, exchange, ..
    } = &s.outcome
    else {
        return None;
    };
    let conn = exchange
        .and_then(|i| s.exchanges.get(i))
        .map(|e| e.conn)
        .or(s.conns.last().copied())?;
    match failure {
        Failure::NoAnswer(silence) | Failure::Abandoned(silence) => match silence {
            Silence::Reset { at, .. } | Silence::Closed { at, .. } => Some(Cite::Frame(conn, *at)),
            Silence::TimedOut { .. } | Silence::CaptureEnded => {
                ctx.facts.conn(conn).map(|c| Cite::Frame(conn, c.last))
            }
        },
        _ => exchange
            .and_then(|i| s.exchanges.get(i))
            .and_then(|e| e.response)
            .map(Cite::Message),
    }
}

/// A connection to the ACS that carried no CWMP session: refused, unanswered, closed without a request.
fn tcp_attempt(ctx: &Ctx<'_>, c: &ConnFacts) -> Attempt {
    let (how, failure) = if let Some(r) = c.rst.filter(|r| !r.from_client) {
        ("connection refused (RST)", r.at)
    } else if !c.handshake_done() {
        ("SYNs unanswered", c.syn_last.unwrap_or(c.last))
    } else {
        ("connection closed without a request", c.last)
    };
    conn_attempt(ctx, c, how, failure, Ended::Failed)
}

/// A TLS connection to the ACS: failed when an alert or an abort ended the handshake, hidden when
/// application data flowed (the CWMP session inside cannot be judged).
fn tls_attempt(ctx: &Ctx<'_>, c: &ConnFacts) -> Attempt {
    let tls = ctx
        .facts
        .tls
        .iter()
        .find(|t| t.conn == c.id)
        .map(|t| &t.facts);
    let alert = tls.and_then(|t| t.alerts.iter().find(|a| a.level == 2 || a.encrypted));
    let data = tls.is_some_and(|t| t.application_data.iter().all(Option::is_some));
    match alert {
        Some(a) if !data || !a.encrypted => {
            let side = if a.from_client { "CPE" } else { "ACS" };
            let how = format!("TLS handshake ended by the {side}'s alert {}", a.name);
            conn_attempt(ctx, c, &how, a.at, Ended::Failed)
        }
        _ if data => conn_attempt(
            ctx,
            c,
            "TLS session: its CWMP exchange is encrypted, the outcome cannot be seen",
            c.last,
            Ended::Hidden,
        ),
        _ => {
            let end = c
                .rst
                .map(|r| r.at)
                .or(c.fin[0])
                .or(c.fin[1])
                .unwrap_or(c.last);
            conn_attempt(ctx, c, "TLS handshake not completed", end, Ended::Failed)
        }
    }
}

fn conn_attempt(ctx: &Ctx<'_>, c: &ConnFacts, how: &str, end: At, ended: Ended) -> Attempt {
    Attempt {
        device: ctx.sessions.device_of_conn(c.id, c.client.ip()),
        cpe: c.client.ip(),
        start: c.first,
        end,
        ended,
        retry_count: None,
        what: format!("{} → {}: {how}", c.client, c.server),
        cite: Cite::Frame(c.id, c.first),
        failure: (ended == Ended::Failed).then_some(Cite::Frame(c.id, end)),
    }
}

/// Every attempt in the capture, oldest first.
pub fn collect(ctx: &Ctx<'_>) -> Vec<Attempt> {
    let mut out: Vec<Attempt> = ctx
        .sessions
        .cwmp
        .iter()
        .filter(|s| !s.joined)
        .filter_map(|s| session_attempt(ctx, s))
        .collect();
    let in_sessions: HashSet<u32> = ctx
        .sessions
        .cwmp
        .iter()
        .flat_map(|s| s.conns.iter().copied())
        .collect();
    for c in ctx.acs_conns().filter(|c| !in_sessions.contains(&c.id)) {
        out.push(if c.app == AppKind::Tls {
            tls_attempt(ctx, c)
        } else {
            tcp_attempt(ctx, c)
        });
    }
    out.sort_by_key(|a| a.start.frame);
    out
}
