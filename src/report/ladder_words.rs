//! The words of the ladder diagrams: arrow labels, key fields, connection events and outcomes.
//!
//! Takes: one HTTP message, or a CWMP session or connection request with its outcome. Gives: short
//! strings for [`super::ladder`] — "POST /acs", "401 Unauthorized"; the key fields R&D looks for first
//! (EventCodes of an Inform, FaultCode and its meaning, the Status of a SetParameterValuesResponse, the
//! challenge scheme of a 401, the scheme of an Authorization, "empty" for TR-069 §3.7.1.4's empty POST
//! and empty response); and the outcome caption (TR-069 §3.7.1.4 "unsuccessful session").
//!
//! Every string taken from the capture is clipped to [`MAX_FIELD`] characters, and an Inform's
//! EventCodes to [`MAX_EVENTS`], so a hostile message cannot make a ladder row arbitrarily long.
//! Authorization values are never shown: only their scheme.

use crate::apps::http::{Ending, StartLine};
use crate::cwmp::{Rpc, RpcDetail, SoapOutcome, fault_meaning};
use crate::facts::{Facts, Message};
use crate::report::ladder::{ConnKind, End, Side};
use crate::sessions::connreq::{ConnRequest, CrFailure, CrState};
use crate::sessions::cwmp::{CwmpSession, Outcome};
use crate::sessions::cwmp_table::Failure;

/// Longest string taken from the capture, in characters.
pub const MAX_FIELD: usize = 60;
/// EventCodes listed per Inform.
pub const MAX_EVENTS: usize = 6;

/// `s` cut to `max` characters, with "…" when cut; control characters become spaces.
pub fn clip(s: &str, max: usize) -> String {
    let clean = |c: char| if c.is_control() { ' ' } else { c };
    if s.chars().count() <= max {
        return s.chars().map(clean).collect();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).map(clean).collect();
    out.push('…');
    out
}

/// The start line, short: "POST /acs", "401 Unauthorized".
pub fn http_label(m: &Message) -> String {
    match &m.http.start {
        StartLine::Request { method, target, .. } => clip(&format!("{method} {target}"), MAX_FIELD),
        StartLine::Response { status, reason, .. } => {
            clip(format!("{status} {reason}").trim_end(), MAX_FIELD)
        }
    }
}

fn scheme(value: &str) -> String {
    clip(value.split_whitespace().next().unwrap_or(""), 20)
}

fn fault_text(code: Option<u32>) -> String {
    match code {
        Some(c) => match fault_meaning(c) {
            Some(meaning) => format!("FaultCode {c} {meaning}"),
            None => format!("FaultCode {c}"),
        },
        None => "Fault without FaultCode".into(),
    }
}

fn rpc_fields(rpc: &Rpc, out: &mut Vec<String>) {
    let status = |s: &Option<u32>, out: &mut Vec<String>| {
        if let Some(s) = s {
            out.push(format!("Status {s}"));
        }
    };
    match &rpc.detail {
        RpcDetail::Inform(inform) => {
            let mut codes: Vec<String> = inform
                .events
                .iter()
                .take(MAX_EVENTS)
                .map(|e| clip(&e.code, 30))
                .collect();
            if inform.events.len() > MAX_EVENTS {
                codes.push(format!("+{} more", inform.events.len() - MAX_EVENTS));
            }
            if codes.is_empty() {
                out.push("no EventCode".into());
            } else {
                out.push(codes.join(", "));
            }
            if let Some(n) = inform.retry_count.filter(|&n| n > 0) {
                out.push(format!("RetryCount {n}"));
            }
        }
        RpcDetail::Fault(f) => {
            out.push(fault_text(f.code));
            if !f.param_faults.is_empty() {
                out.push(format!("{} parameter fault(s)", f.param_faults.len()));
            }
        }
        RpcDetail::SetParameterValuesResponse { status: s }
        | RpcDetail::AddObjectResponse { status: s, .. }
        | RpcDetail::DeleteObjectResponse { status: s }
        | RpcDetail::DownloadResponse { status: s }
        | RpcDetail::UploadResponse { status: s } => status(s, out),
        RpcDetail::TransferComplete { fault_code, .. }
        | RpcDetail::AutonomousTransferComplete { fault_code, .. } => {
            if let Some(c) = fault_code.filter(|&c| c != 0) {
                out.push(fault_text(Some(c)));
            }
        }
        RpcDetail::SetParameterValues { params, .. } => {
            out.push(format!("{} parameter(s)", params.len()));
        }
        RpcDetail::GetParameterValues { names } => out.push(format!("{} name(s)", names.len())),
        _ => {}
    }
}

/// The key fields of a message. `cwmp`: the message belongs to a CWMP session, so its body is read as
/// SOAP (a connection request's body is not).
pub fn key_fields(m: &Message, cwmp: bool) -> Vec<String> {
    let mut out = Vec::new();
    let status = m.http.status();
    // Only a POST and a 2xx carry CWMP: a 401's or a 404's body says nothing about the session.
    let carries_cwmp = cwmp
        && (m.http.method() == Some("POST") || status.is_some_and(|s| (200..300).contains(&s)));
    if carries_cwmp {
        match &m.soap {
            SoapOutcome::Empty => out.push("empty".into()),
            SoapOutcome::Envelope(e) => match e.rpc() {
                None => out.push("empty".into()),
                Some(rpc) => rpc_fields(rpc, &mut out),
            },
            SoapOutcome::Malformed { line, column, .. } => {
                out.push(format!("malformed XML (line {line}, column {column})"))
            }
            SoapOutcome::NotSoap { .. } if m.http.body_cut.is_some() => {
                out.push("body not kept".into())
            }
            SoapOutcome::NotSoap { .. } => out.push("not SOAP".into()),
        }
    }
    if let Some(auth) = m.http.header("Authorization") {
        out.push(format!("auth {}", scheme(auth)));
    }
    if status == Some(401) {
        let schemes: Vec<String> = m
            .http
            .headers_named("WWW-Authenticate")
            .take(3)
            .map(scheme)
            .collect();
        out.push(if schemes.is_empty() {
            "challenge without WWW-Authenticate".into()
        } else {
            format!("challenge {}", schemes.join("/"))
        });
    }
    if let (Some(300..=399), Some(to)) = (status, m.http.header("Location")) {
        out.push(format!("to {}", clip(to, MAX_FIELD)));
    }
    match m.http.ending {
        Ending::Complete => {}
        Ending::ResetEarly { .. } => out.push("cut by a reset".into()),
        Ending::ClosedEarly { .. } => out.push("cut by a close".into()),
        Ending::Incomplete => out.push("incomplete".into()),
    }
    out
}

/// "RST from the ACS", "FIN from the CPE".
pub fn conn_text(kind: ConnKind, by: Side) -> String {
    let what = match kind {
        ConnKind::Opened => "new TCP connection",
        ConnKind::Fin => "FIN",
        ConnKind::Reset => "RST",
    };
    format!("{what} from the {}", by.name())
}

/// A failure in words, clipped: its strings (an auth scheme, a message description) come from the
/// capture.
fn failure_text(f: &Failure) -> String {
    clip(&f.describe(), 200)
}

/// How a CWMP session ended, in words.
pub fn session_outcome(facts: &Facts, s: &CwmpSession) -> (End, String) {
    let joined = if s.joined {
        "joined mid-session (the capture begins after its Inform); "
    } else {
        ""
    };
    let (end, text) = match &s.outcome {
        Outcome::Completed { end } => {
            let m = &facts.messages[*end];
            let text = match m.http.status() {
                Some(204) => format!(
                    "completed: the ACS ended the session with 204 (frame {})",
                    m.at().frame
                ),
                status => format!(
                    "completed: the ACS ended the session with {} and an empty body, not 204 (frame {})",
                    status.unwrap_or(0),
                    m.at().frame
                ),
            };
            (End::Completed, text)
        }
        Outcome::Failed { state, .. } if s.outcome.cut_by_capture_end() => (
            End::Open,
            format!(
                "cut by the capture end: unfinished when the capture ends ({})",
                state.describe()
            ),
        ),
        Outcome::Failed { failure, state, .. } => (
            End::Failed,
            format!("failed {}: {}", state.describe(), failure_text(failure)),
        ),
        Outcome::Open { state } => (
            End::Open,
            format!("open when the capture ends ({})", state.describe()),
        ),
    };
    (end, format!("{joined}{}{text}", redirects(facts, s)))
}

/// "redirected (307, frame 8) to http://acs.example.net:8080/cwmp; " for each 3xx the session met.
fn redirects(facts: &Facts, s: &CwmpSession) -> String {
    s.redirects
        .iter()
        .map(|&r| {
            let m = &facts.messages[r];
            let to = m.http.header("Location").map_or_else(
                || "nowhere (no Location)".to_string(),
                |l| clip(l.trim(), MAX_FIELD),
            );
            format!(
                "redirected ({}, frame {}) to {to}; ",
                m.http.status().unwrap_or(0),
                m.at().frame
            )
        })
        .collect()
}

/// How a connection request ended, in words.
pub fn cr_outcome(cr: &ConnRequest) -> (End, String) {
    let failure = match &cr.failure {
        Some(CrFailure::Rejected) => {
            "the CPE rejected the credentials (401 after Authorization)".into()
        }
        Some(CrFailure::Busy) => {
            "the CPE answered 503 (busy, or it limits connection requests)".into()
        }
        Some(CrFailure::HttpStatus(s)) => format!("the CPE answered HTTP {s}"),
        Some(CrFailure::NoAnswer(s)) => format!("no answer: {}", s.describe()),
        Some(CrFailure::ChallengeUnanswered) => {
            "the CPE asked for credentials and the ACS did not send them".into()
        }
        None => String::new(),
    };
    if cr.failure.is_some() {
        return (End::Failed, format!("failed: {failure}"));
    }
    let CrState::Accepted { authenticated } = cr.state() else {
        return (End::Open, "open when the capture ends".into());
    };
    let status = cr.hits.last().and_then(|h| h.status).unwrap_or(0);
    let how = if authenticated {
        "after authentication"
    } else {
        "without asking for credentials"
    };
    let then = match cr.session {
        Some(i) => format!("CWMP session {} followed with 6 CONNECTION REQUEST", i + 1),
        None => "no CWMP session with 6 CONNECTION REQUEST followed".into(),
    };
    (End::Completed, format!("accepted ({status}) {how}; {then}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::exchange::Silence;

    #[test]
    fn a_session_cut_by_the_end_of_the_file_is_not_marked_failed() {
        let path = "fixtures/review-capture-cut-mid-session/capture.pcap";
        let facts = crate::engine::analyze(&crate::capture::Input::File(path.into())).unwrap();
        let sessions = crate::sessions::build(&facts);
        let (end, text) = session_outcome(&facts, &sessions.cwmp[0]);
        assert_eq!(end, End::Open);
        assert_eq!(
            text,
            "cut by the capture end: unfinished when the capture ends (waiting for the ACS's next \
             RPC or the empty 204)"
        );
        let ladder = crate::report::ladder_draw::session_ladder(&facts, &sessions.cwmp[0], 1);
        let marked = ladder.rows.iter().any(|r| match r {
            crate::report::ladder::Row::Arrow(a) => a.failed,
            crate::report::ladder::Row::Conn(c) => c.failed,
            _ => false,
        });
        assert!(!marked, "{:?}", ladder.rows);
    }

    #[test]
    fn clip_bounds_length_and_removes_control_characters() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("a\nb\tc", 10), "a b c");
        let long = "x".repeat(500);
        let clipped = clip(&long, MAX_FIELD);
        assert_eq!(clipped.chars().count(), MAX_FIELD);
        assert!(clipped.ends_with('…'));
    }

    #[test]
    fn failure_words_name_the_side_and_the_frame() {
        let at = crate::flows::At {
            frame: 17,
            ts: crate::time::Timestamp::default(),
        };
        let f = Failure::NoAnswer(Silence::Reset { at, by_cpe: false });
        assert_eq!(
            failure_text(&f),
            "no answer: the ACS reset the connection (frame 17)"
        );
        assert_eq!(
            failure_text(&Failure::Fault { code: Some(8003) }),
            "the ACS answered with a Fault: FaultCode 8003 Invalid arguments"
        );
        assert_eq!(conn_text(ConnKind::Fin, Side::Cpe), "FIN from the CPE");
    }
}
