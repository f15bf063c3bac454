//! CWMP sessions (CPE→ACS) rebuilt from the capture's HTTP exchanges.
//!
//! Takes: [`Facts`] (messages and connections). Gives: [`CwmpSession`]s in order of their first request —
//! each with its exchanges, the transitions the table in [`crate::sessions::cwmp_table`] made, its
//! Informs, the authentication challenges it met, and how it ended.
//!
//! Rules (TR-069 §3.4, §3.7.1):
//! - CWMP is recognised by content: a connection is CWMP when one of its messages is a CWMP envelope (or a
//!   malformed Inform); other POST-only connections between the same CPE and ACS belong to it too (a CPE
//!   may continue a session, or answer a challenge, on a new TCP connection).
//! - A session begins at an Inform. An Inform that repeats a challenged Inform with credentials continues
//!   the session; any other Inform before the session ended supersedes it.
//! - A 401 leaves the state as it was before the challenged request; a 401 to a request that carried
//!   credentials ends the session (TR-069 §3.4.4).
//! - A body-less POST without credentials, answered by a 401 when no session is under way (or before
//!   its Inform), is libcurl's authentication probe ([`Req::AuthProbe`]): it opens the session the next
//!   Inform starts, on that connection or a new one (tr069-facts.md §2, §11).
//! - A redirect leaves the state unchanged and moves the session to the request that follows it at the
//!   `Location` ([`crate::sessions::redirect`]); a redirect never followed ends the session.
//! - Other requests without an Inform before them in the capture form a session marked `joined`.
//! - Sessions are per device ([`crate::sessions::device`]), not per address: two routers behind one NAT
//!   address never share a session, and a session continues on a new TCP connection only when that
//!   connection is the same device's (its DeviceId, session cookie or username; its address only when
//!   one device was seen there).

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};

use crate::facts::{Facts, Message};
use crate::sessions::cwmp_table::{Event, Failure, State, step};
use crate::sessions::device::{Device, conn_devices};
use crate::sessions::exchange::{
    Exchange, RESPONSE_TIMEOUT_SECS, Req, Resp, Silence, exchanges_of,
};
use crate::sessions::redirect::{Pending, is_auth_probe};

/// One transition the table made, for evidence and ladders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Index into the session's `exchanges`.
    pub exchange: usize,
    pub from: State,
    pub to: State,
}

/// How a session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The ACS's empty response (message index) ended it.
    Completed { end: usize },
    /// It failed in `state`; `exchange` (index into `exchanges`) is where, when an exchange shows it.
    Failed {
        failure: Failure,
        state: State,
        exchange: Option<usize>,
    },
    /// The capture ended less than 30 s after the session's last message: its end is not in the capture.
    Open { state: State },
}

impl Outcome {
    /// The capture ended while the session was still going: open, or waiting for an answer when the
    /// capture (or the file) ends. Not a failed session — its end is simply not in the capture.
    pub fn cut_by_capture_end(&self) -> bool {
        matches!(
            self,
            Outcome::Open { .. }
                | Outcome::Failed {
                    failure: Failure::NoAnswer(Silence::CaptureEnded),
                    ..
                }
        )
    }
}

/// One CWMP session.
#[derive(Clone, Debug)]
pub struct CwmpSession {
    /// The device's address (its first connection's).
    pub cpe: IpAddr,
    /// The device: its Inform DeviceId, or its address without one.
    pub device: Device,
    pub acs: SocketAddr,
    /// TCP connections the session used, in order.
    pub conns: Vec<u32>,
    pub exchanges: Vec<Exchange>,
    pub steps: Vec<Step>,
    /// Message indices of every Inform POST of the session (a challenged one and its repetition).
    pub informs: Vec<usize>,
    /// Message indices of the 401 responses the session met.
    pub challenges: Vec<usize>,
    /// Message indices of the 3xx responses that moved the session (followed or not).
    pub redirects: Vec<usize>,
    /// The capture began after the session's Inform.
    pub joined: bool,
    pub outcome: Outcome,
}

impl CwmpSession {
    /// The last Inform the CPE sent in this session (the one that counts).
    pub fn inform<'f>(&self, facts: &'f Facts) -> Option<&'f Message> {
        self.informs.last().map(|&i| &facts.messages[i])
    }

    pub fn completed(&self) -> bool {
        matches!(self.outcome, Outcome::Completed { .. })
    }

    /// The first message of the session.
    pub fn first_message(&self) -> Option<usize> {
        self.exchanges.first().map(|e| e.request)
    }

    /// The frames the session spans: where its first message starts, where its last one completes.
    pub fn span(&self, facts: &Facts) -> (u64, u64) {
        let first = self
            .first_message()
            .map_or(0, |m| facts.messages[m].http.first.frame);
        let last = self
            .exchanges
            .iter()
            .map(|e| facts.messages[e.response.unwrap_or(e.request)].at().frame)
            .max()
            .unwrap_or(first);
        (first, last)
    }
}

/// True when the message is CWMP by content.
fn is_cwmp(m: &Message) -> bool {
    use crate::cwmp::SoapOutcome;
    match &m.soap {
        SoapOutcome::Envelope(e) => e.cwmp_ns.is_some(),
        SoapOutcome::Malformed { rpc_hint, .. } => rpc_hint.as_deref() == Some("Inform"),
        _ => false,
    }
}

/// The CWMP exchanges of the capture, in order of their requests.
pub fn cwmp_exchanges(facts: &Facts) -> Vec<Exchange> {
    let mut by_conn: HashMap<u32, Vec<usize>> = HashMap::new();
    for m in &facts.messages {
        by_conn.entry(m.http.conn).or_default().push(m.index);
    }
    let cwmp_pairs: HashSet<(IpAddr, SocketAddr)> = by_conn
        .iter()
        .filter(|(_, msgs)| msgs.iter().any(|&i| is_cwmp(&facts.messages[i])))
        .filter_map(|(id, _)| facts.conn(*id).map(|c| (c.client.ip(), c.server)))
        .collect();
    let mut out = Vec::new();
    for (id, msgs) in &by_conn {
        let Some(conn) = facts.conn(*id) else {
            continue;
        };
        let cwmp = msgs.iter().any(|&i| is_cwmp(&facts.messages[i]));
        let same_pair_posts = cwmp_pairs.contains(&(conn.client.ip(), conn.server))
            && msgs
                .iter()
                .all(|&i| facts.messages[i].http.method().is_none_or(|m| m == "POST"));
        if cwmp || same_pair_posts {
            out.extend(exchanges_of(facts, conn, msgs));
        }
    }
    out.sort_by_key(|e| facts.messages[e.request].http.first.frame);
    out
}

/// Rebuilds every CWMP session of the capture.
pub fn build_sessions(facts: &Facts) -> Vec<CwmpSession> {
    let exchanges = cwmp_exchanges(facts);
    let devices = conn_devices(facts, &exchanges);
    let mut runner = Runner {
        facts,
        sessions: Vec::new(),
        open: HashMap::new(),
    };
    for ex in exchanges {
        let Some(device) = devices.get(&ex.conn).cloned() else {
            continue;
        };
        runner.exchange(device, ex);
    }
    let open: Vec<usize> = runner.open.values().map(|o| o.session).collect();
    for s in open {
        runner.finish(s);
    }
    runner.sessions
}

/// A session still running, per (device, ACS endpoint).
struct Open {
    session: usize,
    state: State,
    /// A 401 waits for the request to be repeated with credentials: the scheme it demanded.
    challenge: Option<String>,
    /// A 3xx waits for the request to be repeated at its Location.
    redirect: Option<Pending>,
}

/// What one open session is kept under: the device, the address it talks from and the ACS endpoint. The
/// address is part of it because two routers may report one DeviceId (cloned serial numbers, or a
/// generator's replays) and must not run each other's sessions; a router that comes back from a new
/// address starts a new session anyway.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    device: Device,
    cpe: IpAddr,
    acs: SocketAddr,
}

struct Runner<'f> {
    facts: &'f Facts,
    sessions: Vec<CwmpSession>,
    open: HashMap<Key, Open>,
}

impl Runner<'_> {
    fn exchange(&mut self, device: Device, mut ex: Exchange) {
        let conn = self
            .facts
            .conn(ex.conn)
            .expect("exchange of a known connection");
        let ip = conn.client.ip();
        let key = Key {
            device,
            cpe: ip,
            acs: conn.server,
        };
        let request = &self.facts.messages[ex.request];
        let followed = self.follow_redirect(key.clone(), request);
        let before_inform = self.open.get(&key).is_none_or(|o| o.state == State::Idle);
        if before_inform && is_auth_probe(request) && matches!(ex.resp, Resp::Unauthorized { .. }) {
            ex.req = Req::AuthProbe;
        }
        if let Req::Inform { authorized, .. } = ex.req {
            let continues = followed
                || self.open.get(&key).is_some_and(|o| {
                    o.redirect.is_none()
                        && ((o.challenge.is_some() && authorized) || o.state == State::Idle)
                });
            if !continues {
                if let Some(o) = self.open.remove(&key) {
                    let failure = match (o.redirect, o.challenge) {
                        (Some(redirect), _) => redirect.failure(),
                        (None, Some(scheme)) => Failure::ChallengeUnanswered { scheme },
                        (None, None) => Failure::Superseded,
                    };
                    self.fail(o.session, failure, o.state, None);
                }
                self.start(key.clone(), false);
            }
        } else if !self.open.contains_key(&key) {
            self.start(key.clone(), ex.req != Req::AuthProbe);
        }
        let open = self.open.get_mut(&key).expect("opened above");
        let s = &mut self.sessions[open.session];
        if !s.conns.contains(&ex.conn) {
            s.conns.push(ex.conn);
        }
        if matches!(ex.req, Req::Inform { .. }) {
            s.informs.push(ex.request);
        }
        let index = s.exchanges.len();
        let from = open.state;
        // `Err` carries the state the session failed in.
        let result: Result<State, (Failure, State)> = match (&ex.req, &ex.resp) {
            (Req::AuthProbe, Resp::Unauthorized { scheme }) => {
                open.challenge = Some(scheme.clone());
                step(from, Event::Req(&ex.req)).map_err(|f| (f, from))
            }
            (_, Resp::Unauthorized { scheme })
                if self.facts.messages[ex.request]
                    .http
                    .header("Authorization")
                    .is_some() =>
            {
                Err((
                    Failure::AuthRejected {
                        scheme: scheme.clone(),
                    },
                    from,
                ))
            }
            (_, Resp::Unauthorized { scheme }) => {
                open.challenge = Some(scheme.clone());
                Ok(from)
            }
            (_, Resp::Redirect { status, location }) => {
                let response = ex.response.map(|r| &self.facts.messages[r]);
                s.redirects.extend(ex.response);
                let pending = location.as_deref().zip(response).and_then(|(to, r)| {
                    Pending::new(
                        *status,
                        to,
                        &self.facts.messages[ex.request],
                        r,
                        conn.server,
                    )
                });
                match pending {
                    Some(p) => {
                        open.redirect = Some(p);
                        Ok(from)
                    }
                    None => Err((
                        Failure::RedirectNotFollowed {
                            status: *status,
                            location: location.clone(),
                        },
                        from,
                    )),
                }
            }
            // A missing answer is owed by whoever the request made the session wait for: after the
            // CPE's POST (an Inform, its own request, the answer to an ACS RPC) that is the ACS, so
            // the session stopped in the state the request led to, not the one before it.
            (req, resp @ Resp::Missing(_)) => match step(from, Event::Req(req)) {
                Ok(mid) => step(mid, Event::Resp(resp)).map_err(|f| (f, mid)),
                Err(f) => Err((f, from)),
            },
            (req, resp) => step(from, Event::Req(req))
                .and_then(|mid| step(mid, Event::Resp(resp)))
                .map_err(|f| (f, from)),
        };
        if let Some(r) = ex.response
            && matches!(ex.resp, Resp::Unauthorized { .. })
        {
            s.challenges.push(r);
        }
        if !matches!(ex.resp, Resp::Unauthorized { .. }) {
            open.challenge = None;
        }
        s.exchanges.push(ex);
        match result {
            Ok(to) => {
                s.steps.push(Step {
                    exchange: index,
                    from,
                    to,
                });
                open.state = to;
                if to == State::Done {
                    let end = s.exchanges[index]
                        .response
                        .expect("Done follows a response");
                    s.outcome = Outcome::Completed { end };
                    self.open.remove(&key);
                }
            }
            Err((failure, state)) => {
                s.steps.push(Step {
                    exchange: index,
                    from,
                    to: State::Failed,
                });
                let session = open.session;
                self.open.remove(&key);
                self.fail(session, failure, state, Some(index));
            }
        }
    }

    fn start(&mut self, key: Key, joined: bool) {
        self.sessions.push(CwmpSession {
            cpe: key.cpe,
            device: key.device.clone(),
            acs: key.acs,
            conns: Vec::new(),
            exchanges: Vec::new(),
            steps: Vec::new(),
            informs: Vec::new(),
            challenges: Vec::new(),
            redirects: Vec::new(),
            joined,
            outcome: Outcome::Open { state: State::Idle },
        });
        // A session joined mid-way is taken to be wherever its first request puts it.
        let state = if joined { State::CpeTurn } else { State::Idle };
        self.open.insert(
            key,
            Open {
                session: self.sessions.len() - 1,
                state,
                challenge: None,
                redirect: None,
            },
        );
    }

    /// Moves the session whose pending redirect `request` (sent to `key`) follows to `key`. True when
    /// one was moved: the request continues that session.
    fn follow_redirect(&mut self, key: Key, request: &Message) -> bool {
        let from = self.open.iter().find_map(|(k, o)| {
            let p = o.redirect.as_ref()?;
            (k.device == key.device && k.cpe == key.cpe && p.followed_by(request, key.acs))
                .then(|| k.clone())
        });
        let Some(from) = from else {
            return false;
        };
        let mut moved = self.open.remove(&from).expect("found above");
        moved.redirect = None;
        if let Some(other) = self.open.remove(&key) {
            self.fail(other.session, Failure::Superseded, other.state, None);
        }
        self.sessions[moved.session].acs = key.acs;
        self.open.insert(key, moved);
        true
    }

    fn fail(&mut self, session: usize, failure: Failure, state: State, exchange: Option<usize>) {
        self.sessions[session].outcome = Outcome::Failed {
            failure,
            state,
            exchange,
        };
    }

    /// The capture holds no more of this session: decide how it stopped.
    fn finish(&mut self, session: usize) {
        let key = {
            let s = &self.sessions[session];
            Key {
                device: s.device.clone(),
                cpe: s.cpe,
                acs: s.acs,
            }
        };
        let Some(o) = self.open.remove(&key) else {
            return;
        };
        if let Some(scheme) = o.challenge {
            return self.fail(
                session,
                Failure::ChallengeUnanswered { scheme },
                o.state,
                None,
            );
        }
        if let Some(redirect) = o.redirect {
            return self.fail(session, redirect.failure(), o.state, None);
        }
        let s = &self.sessions[session];
        let Some(last) = s.exchanges.last() else {
            return;
        };
        let last_msg = &self.facts.messages[last.response.unwrap_or(last.request)];
        let conn = self.facts.conn(last.conn).expect("known connection");
        let after = |frame: u64| frame > last_msg.at().frame;
        let how = if let Some(r) = conn.rst.filter(|r| after(r.at.frame)) {
            Some(Silence::Reset {
                at: r.at,
                by_cpe: r.from_client,
            })
        } else if let Some((at, by_cpe)) = [(conn.fin[0], true), (conn.fin[1], false)]
            .into_iter()
            .filter_map(|(f, by)| f.filter(|a| after(a.frame)).map(|a| (a, by)))
            .min_by_key(|(a, _)| a.frame)
        {
            Some(Silence::Closed { at, by_cpe })
        } else {
            let end = self.facts.capture.last_ts.unwrap_or(last_msg.at().ts);
            let waited = end.seconds_since(last_msg.at().ts);
            (waited >= RESPONSE_TIMEOUT_SECS).then_some(Silence::TimedOut {
                waited_secs: waited as u32,
            })
        };
        match how {
            Some(how) => self.fail(session, Failure::Abandoned(how), o.state, None),
            None => self.sessions[session].outcome = Outcome::Open { state: o.state },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Input;
    use crate::flows::At;

    /// The facts of a fixture capture (tests run from the package root).
    pub(crate) fn fixture(name: &str) -> Facts {
        let path = format!("fixtures/{name}/capture.pcap");
        crate::engine::analyze(&Input::File(path.into())).expect("fixture readable")
    }

    #[test]
    fn only_an_open_session_or_one_waiting_at_the_capture_end_is_cut_by_it() {
        let failed = |failure| Outcome::Failed {
            failure,
            state: State::AcsTurn,
            exchange: None,
        };
        let at = At::test(9);
        assert!(
            Outcome::Open {
                state: State::CpeTurn
            }
            .cut_by_capture_end()
        );
        assert!(failed(Failure::NoAnswer(Silence::CaptureEnded)).cut_by_capture_end());
        let reset = Silence::Reset { at, by_cpe: false };
        assert!(!failed(Failure::NoAnswer(reset)).cut_by_capture_end());
        let timed_out = Silence::TimedOut { waited_secs: 31 };
        assert!(!failed(Failure::NoAnswer(timed_out)).cut_by_capture_end());
        assert!(!failed(Failure::Abandoned(Silence::CaptureEnded)).cut_by_capture_end());
        assert!(!Outcome::Completed { end: 3 }.cut_by_capture_end());
    }

    #[test]
    fn a_missing_answer_to_a_cpe_post_is_owed_by_the_acs() {
        // #12 is the CPE's GetParameterValuesResponse POST; the file ends inside the ACS's answer.
        let facts = fixture("review-capture-cut-mid-session");
        let sessions = build_sessions(&facts);
        let [s] = &sessions[..] else {
            panic!("one session: {sessions:?}")
        };
        assert!(s.outcome.cut_by_capture_end());
        let Outcome::Failed { state, .. } = &s.outcome else {
            panic!("{:?}", s.outcome)
        };
        assert_eq!(*state, State::AcsTurn);
        assert!(state.describe().contains("waiting for the ACS"));
    }
}
