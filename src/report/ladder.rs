//! Ladder diagrams of the CWMP sessions and connection requests: the model every renderer draws.
//!
//! Takes: the [`Facts`] and the [`Sessions`]. Gives: [`Ladder`]s — one per CWMP session (TR-069
//! §3.7.1) and per connection request (TR-069 §3.2.2), with the CPE and the ACS as the two columns, one
//! [`Arrow`] per HTTP message (method or status, RPC, key fields, frame number, time since the ladder's
//! first message), the TCP events that matter ([`ConnEvent`]: a new connection mid-session, the FIN or
//! RST that closed one), the row where it failed, and the outcome as a caption. One ladder is drawn in
//! [`super::ladder_draw`], its wording lives in [`super::ladder_words`].
//!
//! Invariants:
//! - Rows are in frame order. Every message of the session or connection request is one arrow, unless
//!   the ladder has more than [`MAX_ROWS`] rows: then the first rows and the last [`TAIL_ROWS`] are kept
//!   with one [`Row::Omitted`] between them — a failure ends a session, so it stays in view.
//! - At most [`MAX_LADDERS`] ladders, the most relevant: the first failed one, the other failed ones
//!   latest first, then the rest latest first. They are drawn in capture order; `omitted` counts the rest.
//! - At most one row is marked failed, and only in a ladder that ended [`End::Failed`].
//! - Strings are the capture's, unescaped and clipped to a bounded length: each renderer escapes them.

use crate::facts::Facts;
use crate::report::ladder_draw::{cr_ladder, session_ladder};
use crate::sessions::Sessions;
use crate::sessions::cwmp::Outcome;
use crate::time::Timestamp;

/// Rows drawn per ladder (arrows and connection events) before the middle is left out.
pub const MAX_ROWS: usize = 60;
/// Rows kept at the end of a ladder that is cut.
pub const TAIL_ROWS: usize = 10;
/// Ladders drawn per report.
pub const MAX_LADDERS: usize = 20;

/// A column of the ladder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Cpe,
    Acs,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Cpe => "CPE",
            Side::Acs => "ACS",
        }
    }

    pub fn other(self) -> Side {
        match self {
            Side::Cpe => Side::Acs,
            Side::Acs => Side::Cpe,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A CWMP session, CPE → ACS.
    Session,
    /// A connection request, ACS → CPE.
    ConnRequest,
}

/// How the session or connection request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Completed,
    Failed,
    /// The capture ends before the session does.
    Open,
}

/// One HTTP message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrow {
    pub from: Side,
    /// A request (drawn solid) or a response (drawn dashed).
    pub request: bool,
    /// The frame that completes the message (as tshark's `http.request`/`http.response` frames).
    pub frame: u64,
    /// Microseconds since the ladder's first message.
    pub rel_us: i64,
    /// "POST /acs", "401 Unauthorized".
    pub http: String,
    /// The SOAP body's first element's local name.
    pub rpc: Option<String>,
    /// Key fields: EventCodes, FaultCode and meaning, Status, challenge scheme, "empty" …
    pub detail: Vec<String>,
    pub failed: bool,
}

impl Arrow {
    /// Method or status, then the RPC: "POST /acs Inform".
    pub fn label(&self) -> String {
        match &self.rpc {
            Some(rpc) => format!("{} {rpc}", self.http),
            None => self.http.clone(),
        }
    }
}

/// What happened to a TCP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnKind {
    /// A connection opened mid-session.
    Opened,
    Fin,
    Reset,
}

/// A TCP event on one side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnEvent {
    pub by: Side,
    pub kind: ConnKind,
    pub frame: u64,
    pub rel_us: i64,
    /// "RST from the ACS", "new TCP connection (port 52958)".
    pub text: String,
    pub failed: bool,
}

/// One row of a ladder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    Arrow(Arrow),
    Conn(ConnEvent),
    /// Rows left out to keep the ladder short.
    Omitted(usize),
}

impl Row {
    pub(crate) fn frame(&self) -> u64 {
        match self {
            Row::Arrow(a) => a.frame,
            Row::Conn(c) => c.frame,
            Row::Omitted(_) => 0,
        }
    }

    pub fn failed(&self) -> bool {
        match self {
            Row::Arrow(a) => a.failed,
            Row::Conn(c) => c.failed,
            Row::Omitted(_) => false,
        }
    }
}

/// One ladder diagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ladder {
    pub kind: Kind,
    /// 1-based among the capture's sessions (or connection requests), drawn or not.
    pub number: usize,
    /// "CWMP session 2", "Connection request 1".
    pub title: String,
    /// The CPE's address (with its port when it is the same in every message).
    pub cpe: String,
    pub acs: String,
    /// When the first message completed.
    pub start: Timestamp,
    pub rows: Vec<Row>,
    pub end: End,
    /// The outcome in words.
    pub caption: String,
}

impl Ladder {
    /// Arrows drawn (one per HTTP message shown).
    pub fn arrows(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r, Row::Arrow(_)))
            .count()
    }

    /// Every string of the ladder, for scrubbing secrets.
    pub fn for_each_text(&mut self, mut f: impl FnMut(&mut String)) {
        f(&mut self.title);
        f(&mut self.caption);
        for row in &mut self.rows {
            match row {
                Row::Arrow(a) => {
                    f(&mut a.http);
                    a.rpc.iter_mut().for_each(&mut f);
                    a.detail.iter_mut().for_each(&mut f);
                }
                Row::Conn(c) => f(&mut c.text),
                Row::Omitted(_) => {}
            }
        }
    }
}

/// Time since the ladder's first message as the renderers print it, at most 9 characters: `+0.012s`,
/// `+999.999s`, then `+16m40s`, `+27h46m`, `+4166d15h`, `+>9999d`.
pub fn rel_text(us: i64) -> String {
    let sign = if us < 0 { "-" } else { "+" };
    let us = us.unsigned_abs();
    let secs = us / 1_000_000;
    if secs < 1000 {
        format!("{sign}{secs}.{:03}s", us % 1_000_000 / 1000)
    } else if secs < 6000 {
        format!("{sign}{}m{:02}s", secs / 60, secs % 60)
    } else if secs < 360_000 {
        format!("{sign}{}h{:02}m", secs / 3600, secs / 60 % 60)
    } else if secs < 864_000_000 {
        format!("{sign}{}d{:02}h", secs / 86_400, secs / 3600 % 24)
    } else {
        // Beyond 27 years: bogus timestamps, not a session's pace.
        format!("{sign}>9999d")
    }
}

/// The ladders of a capture, most relevant first kept, and how many were left out.
pub fn build(facts: &Facts, sessions: &Sessions) -> (Vec<Ladder>, usize) {
    let frame = |i: usize| facts.messages[i].at().frame;
    let mut all: Vec<(u64, bool, Which)> = Vec::new();
    for (i, s) in sessions.cwmp.iter().enumerate() {
        if let Some(first) = s.first_message() {
            let failed =
                matches!(s.outcome, Outcome::Failed { .. }) && !s.outcome.cut_by_capture_end();
            all.push((frame(first), failed, Which::Session(i)));
        }
    }
    for (i, cr) in sessions.conn_requests.iter().enumerate() {
        if let Some(hit) = cr.hits.first() {
            all.push((frame(hit.request), cr.failure.is_some(), Which::Cr(i)));
        }
    }
    all.sort_by_key(|(f, _, _)| *f);
    let failed: Vec<bool> = all.iter().map(|(_, f, _)| *f).collect();
    let chosen = select(&failed, MAX_LADDERS);
    let ladders = chosen
        .iter()
        .map(|&i| match all[i].2 {
            Which::Session(s) => session_ladder(facts, &sessions.cwmp[s], s + 1),
            Which::Cr(c) => cr_ladder(facts, &sessions.conn_requests[c], c + 1),
        })
        .collect();
    (ladders, all.len() - chosen.len())
}

#[derive(Clone, Copy)]
enum Which {
    Session(usize),
    Cr(usize),
}

/// Indices (in capture order) of the ladders to draw: the first failed, the other failed latest first,
/// then the others latest first, at most `max`.
fn select(failed: &[bool], max: usize) -> Vec<usize> {
    let first_failed = failed.iter().position(|&f| f);
    let latest_failed = (0..failed.len()).rev().filter(|&i| failed[i]);
    let latest_others = (0..failed.len()).rev().filter(|&i| !failed[i]);
    let mut chosen: Vec<usize> = Vec::new();
    for i in first_failed
        .into_iter()
        .chain(latest_failed)
        .chain(latest_others)
    {
        if chosen.len() == max {
            break;
        }
        if !chosen.contains(&i) {
            chosen.push(i);
        }
    }
    chosen.sort_unstable();
    chosen
}

/// Keeps the first and the last rows of a long ladder, with the count of those left out between them.
pub(crate) fn cap_rows(mut rows: Vec<Row>) -> Vec<Row> {
    if rows.len() <= MAX_ROWS {
        return rows;
    }
    let head = MAX_ROWS - TAIL_ROWS;
    let tail = rows.split_off(rows.len() - TAIL_ROWS);
    let omitted = rows.len() - head;
    rows.truncate(head);
    rows.push(Row::Omitted(omitted));
    rows.extend(tail);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_text_fits_the_gutter() {
        assert_eq!(rel_text(0), "+0.000s");
        assert_eq!(rel_text(1_234_567), "+1.234s");
        assert_eq!(rel_text(-1500), "-0.001s");
        assert_eq!(rel_text(999_999_999), "+999.999s");
        assert_eq!(rel_text(1_000_000_000), "+16m40s");
        assert_eq!(rel_text(100_000_000_000), "+27h46m");
        assert_eq!(rel_text(360_000_000_000_000), "+4166d16h");
        assert_eq!(rel_text(i64::MIN), "->9999d");
        for us in [
            0,
            999_999_999,
            5_999_999_999,
            359_999_999_999,
            i64::MAX,
            i64::MIN,
            -1,
        ] {
            assert!(rel_text(us).chars().count() <= 9, "{}", rel_text(us));
        }
    }

    #[test]
    fn selection_keeps_the_first_failure_then_the_latest() {
        let mut failed = vec![false; 30];
        failed[2] = true;
        failed[5] = true;
        failed[6] = true;
        let chosen = select(&failed, 5);
        assert_eq!(chosen, vec![2, 5, 6, 28, 29]);
        assert_eq!(select(&failed, 100).len(), 30);
        assert_eq!(select(&[], MAX_LADDERS), Vec::<usize>::new());
        let many = vec![true; 50];
        let chosen = select(&many, MAX_LADDERS);
        assert_eq!(chosen.len(), MAX_LADDERS);
        assert_eq!(chosen[0], 0, "the first failure is always drawn");
        assert_eq!(chosen[MAX_LADDERS - 1], 49);
    }

    #[test]
    fn long_ladders_keep_their_head_and_tail() {
        let rows: Vec<Row> = (1..=100)
            .map(|f| {
                Row::Conn(ConnEvent {
                    by: Side::Cpe,
                    kind: ConnKind::Fin,
                    frame: f,
                    rel_us: 0,
                    text: String::new(),
                    failed: f == 100,
                })
            })
            .collect();
        let cut = cap_rows(rows);
        assert_eq!(cut.len(), MAX_ROWS + 1);
        assert_eq!(cut[MAX_ROWS - TAIL_ROWS], Row::Omitted(40));
        assert_eq!(cut[MAX_ROWS - TAIL_ROWS - 1].frame(), 50);
        assert_eq!(cut[MAX_ROWS - TAIL_ROWS + 1].frame(), 91);
        assert!(
            cut[MAX_ROWS].failed(),
            "the failure at the end stays in view"
        );
        let short: Vec<Row> = cut.into_iter().take(MAX_ROWS).collect();
        assert_eq!(cap_rows(short.clone()), short);
    }

    #[test]
    fn report_scrubbing_reaches_every_ladder_string() {
        let secret = "hunter2";
        let ladder = Ladder {
            kind: Kind::Session,
            number: 1,
            title: format!("t {secret}"),
            cpe: "c".into(),
            acs: "a".into(),
            start: Timestamp::default(),
            rows: vec![
                Row::Arrow(Arrow {
                    from: Side::Cpe,
                    request: true,
                    frame: 1,
                    rel_us: 0,
                    http: format!("GET /cr?pw={secret}"),
                    rpc: Some(secret.into()),
                    detail: vec![secret.into()],
                    failed: false,
                }),
                Row::Conn(ConnEvent {
                    by: Side::Acs,
                    kind: ConnKind::Fin,
                    frame: 2,
                    rel_us: 0,
                    text: secret.into(),
                    failed: false,
                }),
            ],
            end: End::Completed,
            caption: secret.into(),
        };
        let mut report = crate::report::Report {
            source: "s".into(),
            capture: None,
            checks: Vec::new(),
            messages: Vec::new(),
            assumptions: Vec::new(),
            notes: Vec::new(),
            ladders: vec![ladder],
            ladders_omitted: 0,
            caveat: None,
            evidence_capture: None,
        };
        report.scrub(&[secret]);
        let debug = format!("{:?}", report.ladders);
        assert!(!debug.contains(secret), "{debug}");
        assert!(debug.contains("«redacted»"));
    }
}
