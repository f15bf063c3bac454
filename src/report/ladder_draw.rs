//! One ladder: the rows of a CWMP session or a connection request, and the row where it failed.
//!
//! Takes: the [`Facts`] and one [`CwmpSession`] or [`ConnRequest`]. Gives: its [`Ladder`] — every HTTP
//! message of its exchanges as an [`Arrow`] in frame order, the TCP events around them (a connection
//! opened mid-session; after the last message on a connection, its first FIN and its RST, when they
//! come before the session moves to another connection; the reset or close that ended it), the failed
//! row marked, cut to [`MAX_ROWS`](super::ladder::MAX_ROWS).
//!
//! Where it failed (TR-069 §3.7.1.4, §3.2.2): the response that ended the session; for "no answer" or
//! "abandoned", the RST or FIN when one ended it, otherwise the request left unanswered; for a challenge
//! never answered, the 401.

use crate::facts::{Facts, Message};
use crate::flows::ConnFacts;
use crate::report::ladder::{Arrow, ConnEvent, ConnKind, Kind, Ladder, Row, Side, cap_rows};
use crate::report::ladder_words as words;
use crate::sessions::connreq::{ConnRequest, CrFailure};
use crate::sessions::cwmp::{CwmpSession, Outcome};
use crate::sessions::cwmp_table::Failure;
use crate::sessions::exchange::{Req, Silence};
use crate::time::Timestamp;

/// The row to mark as the failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Message(usize),
    Frame(u64),
    Nothing,
}

fn silence_target(silence: &Silence, otherwise: Option<usize>) -> Target {
    match silence {
        Silence::Reset { at, .. } | Silence::Closed { at, .. } => Target::Frame(at.frame),
        Silence::CaptureEnded | Silence::TimedOut { .. } => {
            otherwise.map_or(Target::Nothing, Target::Message)
        }
    }
}

pub(crate) fn session_ladder(facts: &Facts, s: &CwmpSession, number: usize) -> Ladder {
    let mut msgs: Vec<usize> = s
        .exchanges
        .iter()
        .flat_map(|e| std::iter::once(e.request).chain(e.response))
        .collect();
    msgs.sort_by_key(|&i| facts.messages[i].at().frame);
    let last = msgs.last().copied();
    let (target, silence) = match &s.outcome {
        // Cut by the end of the capture: nothing failed, no row is marked.
        o if o.cut_by_capture_end() => (Target::Nothing, None),
        Outcome::Failed {
            failure, exchange, ..
        } => {
            let ex = exchange.and_then(|i| s.exchanges.get(i));
            match failure {
                Failure::NoAnswer(sil) | Failure::Abandoned(sil) => (
                    silence_target(sil, ex.map(|e| e.request).or(last)),
                    Some(*sil),
                ),
                Failure::ChallengeUnanswered { .. } => (
                    s.challenges
                        .last()
                        .copied()
                        .or(last)
                        .map_or(Target::Nothing, Target::Message),
                    None,
                ),
                _ => (
                    ex.map(|e| e.response.unwrap_or(e.request))
                        .or(last)
                        .map_or(Target::Nothing, Target::Message),
                    None,
                ),
            }
        }
        _ => (Target::Nothing, None),
    };
    let cpe = match s.conns.as_slice() {
        [one] => facts.conn(*one).map(|c| c.client.to_string()),
        _ => None,
    };
    let (end, caption) = words::session_outcome(facts, s);
    let (start, mut rows) = draw(facts, &msgs, Side::Cpe, true, silence, target);
    mark_probes(facts, s, &mut rows);
    Ladder {
        kind: Kind::Session,
        number,
        title: format!("CWMP session {number}"),
        cpe: cpe.unwrap_or_else(|| s.cpe.to_string()),
        acs: s.acs.to_string(),
        start,
        rows,
        end,
        caption,
    }
}

/// libcurl's authentication probe is drawn as what it is, not as the session's empty POST.
fn mark_probes(facts: &Facts, s: &CwmpSession, rows: &mut [Row]) {
    let probes: Vec<u64> = s
        .exchanges
        .iter()
        .filter(|e| e.req == Req::AuthProbe)
        .map(|e| facts.messages[e.request].at().frame)
        .collect();
    for row in rows {
        if let Row::Arrow(a) = row
            && a.request
            && probes.contains(&a.frame)
        {
            a.detail.retain(|d| d != "empty");
            a.detail.insert(0, "auth probe (no body)".into());
        }
    }
}

pub(crate) fn cr_ladder(facts: &Facts, cr: &ConnRequest, number: usize) -> Ladder {
    let msgs: Vec<usize> = cr
        .hits
        .iter()
        .flat_map(|h| std::iter::once(h.request).chain(h.response))
        .collect();
    let last = cr.hits.last();
    let (target, silence) = match (&cr.failure, last) {
        (Some(CrFailure::NoAnswer(sil)), Some(h)) => {
            (silence_target(sil, Some(h.request)), Some(*sil))
        }
        (Some(_), Some(h)) => (Target::Message(h.response.unwrap_or(h.request)), None),
        _ => (Target::Nothing, None),
    };
    let conns: Vec<u32> = msgs.iter().map(|&i| facts.messages[i].http.conn).collect();
    let acs = match conns.as_slice() {
        [first, rest @ ..] if rest.iter().all(|c| c == first) => {
            facts.conn(*first).map(|c| c.client.to_string())
        }
        _ => None,
    };
    let (end, caption) = words::cr_outcome(cr);
    let (start, rows) = draw(facts, &msgs, Side::Acs, false, silence, target);
    Ladder {
        kind: Kind::ConnRequest,
        number,
        title: format!("Connection request {number}"),
        cpe: cr.cpe.to_string(),
        acs: acs.unwrap_or_else(|| cr.acs.to_string()),
        start,
        rows,
        end,
        caption,
    }
}

/// The rows of a ladder: `msgs` (indices in frame order, not empty) with the connection events around
/// them, the `target` marked failed, cut to [`MAX_ROWS`].
fn draw(
    facts: &Facts,
    msgs: &[usize],
    client: Side,
    cwmp: bool,
    silence: Option<Silence>,
    target: Target,
) -> (Timestamp, Vec<Row>) {
    let message = |i: usize| &facts.messages[i];
    let start = msgs
        .first()
        .map(|&i| message(i).at().ts)
        .unwrap_or_default();
    let rel = |ts: Timestamp| {
        (ts.secs - start.secs) * 1_000_000 + (i64::from(ts.nanos) - i64::from(start.nanos)) / 1000
    };
    let mut rows: Vec<Row> = msgs
        .iter()
        .map(|&i| {
            Row::Arrow(arrow(
                message(i),
                client,
                cwmp,
                rel,
                target == Target::Message(i),
            ))
        })
        .collect();
    let segments: Vec<&[usize]> = msgs
        .chunk_by(|&a, &b| message(a).http.conn == message(b).http.conn)
        .collect();
    let mut seen: Vec<u32> = Vec::new();
    for (k, seg) in segments.iter().enumerate() {
        let id = message(seg[0]).http.conn;
        let Some(conn) = facts.conn(id) else {
            continue;
        };
        if k > 0 && !seen.contains(&id) {
            let at = conn.syn_first.unwrap_or(conn.first);
            rows.push(Row::Conn(ConnEvent {
                by: client,
                kind: ConnKind::Opened,
                frame: at.frame,
                rel_us: rel(at.ts),
                text: format!("new TCP connection (port {})", conn.client.port()),
                failed: false,
            }));
        }
        seen.push(id);
        let after = seg.last().map_or(0, |&i| message(i).at().frame);
        let before = segments.get(k + 1).map(|s| message(s[0]).http.first.frame);
        rows.extend(closes(conn, client, after, before, rel).map(Row::Conn));
    }
    if let Some(Silence::Reset { at, by_cpe } | Silence::Closed { at, by_cpe }) = silence
        && !rows.iter().any(|r| r.frame() == at.frame)
    {
        let by = if by_cpe { Side::Cpe } else { Side::Acs };
        let kind = match silence {
            Some(Silence::Reset { .. }) => ConnKind::Reset,
            _ => ConnKind::Fin,
        };
        rows.push(Row::Conn(ConnEvent {
            by,
            kind,
            frame: at.frame,
            rel_us: rel(at.ts),
            text: words::conn_text(kind, by),
            failed: false,
        }));
    }
    // Stable: a FIN in the frame that completes a message comes after the message's arrow.
    rows.sort_by_key(Row::frame);
    if let Target::Frame(f) = target {
        let hit = rows.iter_mut().find_map(|r| match r {
            Row::Conn(c) if c.frame == f => Some(c),
            _ => None,
        });
        if let Some(c) = hit {
            c.failed = true;
        }
    }
    (start, cap_rows(rows))
}

fn arrow(
    m: &Message,
    client: Side,
    cwmp: bool,
    rel: impl Fn(Timestamp) -> i64,
    failed: bool,
) -> Arrow {
    Arrow {
        from: if m.http.from_client {
            client
        } else {
            client.other()
        },
        request: m.http.is_request(),
        frame: m.at().frame,
        rel_us: rel(m.at().ts),
        http: words::http_label(m),
        rpc: m.rpc().map(|r| words::clip(r, words::MAX_FIELD)),
        detail: words::key_fields(m, cwmp),
        failed,
    }
}

/// The first FIN and the RST of `conn` from frame `after` (the segment's last message) on, and before
/// frame `before` (the next segment's first message).
fn closes(
    conn: &ConnFacts,
    client: Side,
    after: u64,
    before: Option<u64>,
    rel: impl Fn(Timestamp) -> i64,
) -> impl Iterator<Item = ConnEvent> {
    let within = |f: u64| f >= after && before.is_none_or(|b| f < b);
    let fin = [(conn.fin[0], client), (conn.fin[1], client.other())]
        .into_iter()
        .filter_map(|(at, by)| {
            at.filter(|a| within(a.frame))
                .map(|a| (a, by, ConnKind::Fin))
        })
        .min_by_key(|(a, _, _)| a.frame);
    let rst = conn.rst.filter(|r| within(r.at.frame)).map(|r| {
        let by = if r.from_client {
            client
        } else {
            client.other()
        };
        (r.at, by, ConnKind::Reset)
    });
    fin.into_iter()
        .chain(rst)
        .map(move |(at, by, kind)| ConnEvent {
            by,
            kind,
            frame: at.frame,
            rel_us: rel(at.ts),
            text: words::conn_text(kind, by),
            failed: false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Input;
    use crate::report::ladder::{End, build};
    use crate::sessions::Sessions;

    fn fixture(name: &str) -> (Facts, Sessions) {
        let path = format!(
            "{}/fixtures/{name}/capture.pcap",
            env!("CARGO_MANIFEST_DIR")
        );
        let facts = crate::engine::analyze(&Input::File(path.into())).expect("fixture reads");
        let sessions = crate::sessions::build(&facts);
        (facts, sessions)
    }

    #[test]
    fn libcurl_probe_is_drawn_as_a_probe_and_a_followed_redirect_is_not_a_failure() {
        let (facts, sessions) = fixture("review-curl-digest-probe-no-expect");
        let (ladders, _) = build(&facts, &sessions);
        let probe = ladders[0].rows.iter().find_map(|r| match r {
            Row::Arrow(a) if a.frame == 4 => Some(a),
            _ => None,
        });
        let probe = probe.expect("the probe's row");
        assert_eq!(
            probe.detail.first().map(String::as_str),
            Some("auth probe (no body)")
        );
        assert!(!probe.detail.iter().any(|d| d == "empty"));

        let (facts, sessions) = fixture("review-inform-307-redirect");
        let (ladders, _) = build(&facts, &sessions);
        assert_eq!(ladders.len(), 1);
        assert_eq!(ladders[0].end, End::Completed);
        assert!(!ladders[0].rows.iter().any(Row::failed));
        assert!(
            ladders[0]
                .caption
                .contains("redirected (307, frame 8) to http://acs.example.net:8080/cwmp")
        );
    }

    #[test]
    fn a_completed_session_has_one_arrow_per_message_and_no_failure() {
        let (facts, sessions) = fixture("http-port-7547");
        let (ladders, omitted) = build(&facts, &sessions);
        assert_eq!((ladders.len(), omitted), (1, 0));
        let l = &ladders[0];
        assert_eq!(l.end, End::Completed);
        assert_eq!(l.arrows(), facts.messages.len());
        assert!(!l.rows.iter().any(Row::failed));
        assert_eq!(
            (l.cpe.as_str(), l.acs.as_str()),
            ("127.0.0.10:52957", "127.0.0.20:7547")
        );
        let frames: Vec<u64> = l.rows.iter().map(Row::frame).collect();
        assert!(frames.is_sorted(), "{frames:?}");
        let Row::Arrow(first) = &l.rows[0] else {
            panic!("the ladder starts with a message")
        };
        assert_eq!(
            (first.from, first.rel_us, first.label().as_str()),
            (Side::Cpe, 0, "POST /acs Inform")
        );
        assert_eq!(first.detail, ["0 BOOTSTRAP, 1 BOOT"]);
    }

    #[test]
    fn a_failed_session_marks_where_it_failed() {
        let (facts, sessions) = fixture("tcp-rst-mid-response");
        let (ladders, _) = build(&facts, &sessions);
        let l = &ladders[0];
        assert_eq!(l.end, End::Failed);
        // The reset that cut the response ends the session: it is the failure; the cut response is
        // marked as cut.
        let failed: Vec<&Row> = l.rows.iter().filter(|r| r.failed()).collect();
        assert_eq!(failed.len(), 1);
        let Row::Conn(reset) = failed[0] else {
            panic!("the reset is the failure: {failed:?}")
        };
        assert_eq!(
            (reset.frame, reset.by, reset.kind),
            (18, Side::Acs, ConnKind::Reset)
        );
        let cut = l.rows.iter().find_map(|r| match r {
            Row::Arrow(a) if a.frame == 16 => Some(a),
            _ => None,
        });
        let cut = cut.expect("the cut response is drawn");
        assert_eq!((cut.from, cut.request), (Side::Acs, false));
        assert!(
            cut.detail.iter().any(|d| d == "cut by a reset"),
            "{:?}",
            cut.detail
        );
        assert!(l.caption.starts_with("failed"), "{}", l.caption);
    }
}
