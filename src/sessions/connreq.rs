//! Connection requests (ACS→CPE HTTP GETs to the ConnectionRequestURL, TR-069 §3.2.2), as one transition
//! table, and the CWMP session each one should trigger.
//!
//! Takes: [`Facts`] and the CWMP sessions. Gives: [`ConnRequest`]s — the GETs of one attempt with their
//! answers, the path through the table (GET → 401 Digest → GET with credentials → 200/204) and the
//! session whose Inform carries `6 CONNECTION REQUEST` that followed.
//!
//! A GET is a connection request when it goes to a CPE — an address that opens CWMP sessions in the
//! capture, or the host and port of a ConnectionRequestURL an Inform reported — or, with nothing else to
//! go on, to the IANA CWMP port 7547 with no body (the report says so). Any port works: the URL decides.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};

use crate::facts::{Facts, Message};
use crate::sessions::CpeIndex;
use crate::sessions::cwmp::CwmpSession;
use crate::sessions::exchange::{RESPONSE_TIMEOUT_SECS, Silence};
use crate::sessions::url::CrUrl;

/// Where an attempt is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrState {
    Start,
    /// A GET without credentials was sent.
    Sent,
    /// The CPE challenged it (401).
    Challenged,
    /// A GET with credentials was sent.
    AuthSent,
    /// The CPE accepted (200/204); `authenticated` says whether credentials were checked.
    Accepted {
        authenticated: bool,
    },
    Failed,
}

/// Why an attempt failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CrFailure {
    /// 401 again after credentials: wrong ConnectionRequestUsername/Password.
    Rejected,
    /// 503: the CPE is busy or rate-limits connection requests.
    Busy,
    /// Another status.
    HttpStatus(u16),
    /// No answer: reset, close, timeout, capture end.
    NoAnswer(Silence),
    /// Challenged, and the ACS never sent credentials.
    ChallengeUnanswered,
}

/// One GET of an attempt and its answer.
#[derive(Clone, Debug)]
pub struct CrHit {
    pub request: usize,
    pub response: Option<usize>,
    pub authorized: bool,
    pub status: Option<u16>,
    pub silence: Option<Silence>,
}

/// One connection-request attempt.
#[derive(Clone, Debug)]
pub struct ConnRequest {
    pub acs: IpAddr,
    pub cpe: SocketAddr,
    pub hits: Vec<CrHit>,
    pub states: Vec<CrState>,
    pub failure: Option<CrFailure>,
    /// How the GET was recognised as a connection request.
    pub recognised_by: &'static str,
    /// Index of the CWMP session with `6 CONNECTION REQUEST` that followed an accepted request.
    pub session: Option<usize>,
}

impl ConnRequest {
    pub fn state(&self) -> CrState {
        *self.states.last().unwrap_or(&CrState::Start)
    }
}

/// The transition table: `Err` ends the attempt with that failure.
pub fn cr_step(state: CrState, event: CrEvent) -> Result<CrState, CrFailure> {
    use CrEvent::*;
    use CrState::*;
    match (state, event) {
        // A GET (re)starts the exchange; the CPE must challenge one without credentials (TR-069 §3.2.2).
        (_, Get { authorized: false }) => Ok(Sent),
        (_, Get { authorized: true }) => Ok(AuthSent),
        (Sent, Answer(401)) => Ok(Challenged),
        (Sent, Answer(200 | 204)) => Ok(Accepted {
            authenticated: false,
        }),
        (AuthSent, Answer(200 | 204)) => Ok(Accepted {
            authenticated: true,
        }),
        (AuthSent, Answer(401)) => Err(CrFailure::Rejected),
        (_, Answer(503)) => Err(CrFailure::Busy),
        (_, Answer(status)) => Err(CrFailure::HttpStatus(status)),
        (_, Silent(s)) => Err(CrFailure::NoAnswer(s)),
    }
}

/// What happens in an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrEvent {
    Get { authorized: bool },
    Answer(u16),
    Silent(Silence),
}

/// Why a GET counts as a connection request, or `None`.
fn recognise(
    m: &Message,
    cpes: &HashSet<IpAddr>,
    url_targets: &HashSet<SocketAddr>,
) -> Option<&'static str> {
    if m.http.method() != Some("GET") || !m.http.from_client {
        return None;
    }
    if url_targets.contains(&m.http.dst) {
        return Some("its destination is the ConnectionRequestURL an Inform reported");
    }
    if cpes.contains(&m.http.dst.ip()) {
        return Some("its destination is a CPE that opens CWMP sessions in this capture");
    }
    (m.http.dst.port() == 7547 && m.http.body_len == 0)
        .then_some("it is a GET without body to port 7547, the IANA CWMP port (no Inform in the capture confirms it)")
}

/// Finds every connection-request attempt and links accepted ones to the session they triggered.
pub fn build_conn_requests(
    facts: &Facts,
    sessions: &[CwmpSession],
    by_cpe: &CpeIndex,
    urls: &[CrUrl],
) -> Vec<ConnRequest> {
    let cpes: HashSet<IpAddr> = sessions.iter().map(|s| s.cpe).collect();
    let url_targets: HashSet<SocketAddr> = urls.iter().filter_map(CrUrl::target).collect();
    let mut out: Vec<ConnRequest> = Vec::new();
    let msgs = &facts.messages;
    for m in msgs {
        let Some(why) = recognise(m, &cpes, &url_targets) else {
            continue;
        };
        let response = answer_to(facts, m);
        let authorized = m.http.header("Authorization").is_some();
        let status = response.map(|r| msgs[r].http.status().unwrap_or(0));
        let silence = match response {
            Some(_) => None,
            None => Some(silence_after(facts, m)),
        };
        let hit = CrHit {
            request: m.index,
            response,
            authorized,
            status,
            silence,
        };
        let continues = out.last().filter(|cr| {
            let last = &msgs[cr.hits.last().expect("non-empty").request];
            cr.acs == m.http.src.ip()
                && cr.cpe == m.http.dst
                && matches!(cr.state(), CrState::Sent | CrState::Challenged)
                && m.at().ts.seconds_since(last.at().ts) < RESPONSE_TIMEOUT_SECS
        });
        if continues.is_none() {
            out.push(ConnRequest {
                acs: m.http.src.ip(),
                cpe: m.http.dst,
                hits: Vec::new(),
                states: vec![CrState::Start],
                failure: None,
                recognised_by: why,
                session: None,
            });
        }
        let cr = out.last_mut().expect("pushed above");
        apply(cr, &hit);
        cr.hits.push(hit);
    }
    for cr in &mut out {
        if cr.state() == CrState::Challenged {
            cr.failure = Some(CrFailure::ChallengeUnanswered);
        }
        if let CrState::Accepted { .. } = cr.state() {
            // From the accepted GET, not its answer: TR-069 wants the 200/204 first, but real CPEs (and
            // the corpus's CTF capture) open the session before answering.
            let asked = cr.hits.last().map(|h| msgs[h.request].at());
            cr.session = asked
                .and_then(|at| triggered_session(facts, sessions, by_cpe, cr.cpe.ip(), at.frame));
        }
    }
    out
}

fn apply(cr: &mut ConnRequest, hit: &CrHit) {
    let mut state = cr.state();
    let events = [
        Some(CrEvent::Get {
            authorized: hit.authorized,
        }),
        hit.status.map(CrEvent::Answer),
        hit.silence.map(CrEvent::Silent),
    ];
    for ev in events.into_iter().flatten() {
        match cr_step(state, ev) {
            Ok(next) => {
                state = next;
                cr.states.push(next);
            }
            Err(f) => {
                cr.failure = Some(f);
                cr.states.push(CrState::Failed);
                return;
            }
        }
    }
}

/// The response to a request: the next final response on the same connection after it.
fn answer_to(facts: &Facts, req: &Message) -> Option<usize> {
    let same_conn = |m: &&Message| m.http.conn == req.http.conn;
    let requests_before = facts.messages[..req.index]
        .iter()
        .filter(same_conn)
        .filter(|m| m.http.is_request())
        .count();
    facts
        .messages
        .iter()
        .filter(same_conn)
        .filter(|m| m.http.status().is_some_and(|s| s >= 200))
        .nth(requests_before)
        .map(|m| m.index)
}

fn silence_after(facts: &Facts, req: &Message) -> Silence {
    let conn = facts.conn(req.http.conn);
    let after = |frame: u64| frame > req.at().frame;
    if let Some(r) = conn.and_then(|c| c.rst).filter(|r| after(r.at.frame)) {
        return Silence::Reset {
            at: r.at,
            by_cpe: !r.from_client,
        };
    }
    if let Some(at) = conn.and_then(|c| c.fin[1]).filter(|a| after(a.frame)) {
        return Silence::Closed { at, by_cpe: true };
    }
    let end = facts.capture.last_ts.unwrap_or(req.at().ts);
    let waited = end.seconds_since(req.at().ts);
    if waited >= RESPONSE_TIMEOUT_SECS {
        Silence::TimedOut {
            waited_secs: waited as u32,
        }
    } else {
        Silence::CaptureEnded
    }
}

/// The first session from `cpe` that starts after `frame` with an Inform carrying `6 CONNECTION REQUEST`.
fn triggered_session(
    facts: &Facts,
    sessions: &[CwmpSession],
    by_cpe: &CpeIndex,
    cpe: IpAddr,
    frame: u64,
) -> Option<usize> {
    by_cpe.get(cpe).iter().copied().find(|&i| {
        let s = &sessions[i];
        s.first_message()
            .is_some_and(|i| facts.messages[i].at().frame > frame)
            && s.inform(facts).and_then(|m| m.envelope()).is_some_and(|e| {
                e.inform()
                    .is_some_and(|inf| inf.events.iter().any(|ev| ev.code.starts_with("6 ")))
            })
    })
}
