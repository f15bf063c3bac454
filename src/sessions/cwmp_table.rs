//! The CWMP session state machine (TR-069 §3.7.1, the CPE→ACS session), as one transition table.
//!
//! Takes: the current [`State`] and one event — the CPE's POST ([`Req`]) or the ACS's answer ([`Resp`]).
//! Gives: the next state, or the [`Failure`] that ended the session.
//!
//! The table is the whole protocol: a session opens with an Inform answered by an InformResponse; the
//! CPE then sends its own requests (each answered by the ACS) and an empty POST; the ACS then sends its
//! RPCs in HTTP responses, each answered by the CPE's next POST, and ends with an empty response
//! (TR-069 §3.7.1.4). Authentication challenges and redirects are not transitions: the session runner
//! keeps the state as it was before the challenged request, which the CPE must repeat (TR-069 §3.4.4),
//! or the redirected one, which the CPE repeats at the `Location` (tr069-facts.md §2 "Redirects"). The
//! one challenged request the table sees is libcurl's authentication probe ([`Req::AuthProbe`]): a
//! body-less POST before the Inform that leaves the session where it was, before its Inform.

use crate::sessions::exchange::{Req, Resp, Silence};

/// Where a session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// No Inform yet.
    Idle,
    /// The Inform was sent; the InformResponse is awaited.
    InformSent,
    /// The ACS accepted the Inform: the CPE sends its own requests, then the empty POST.
    CpeTurn,
    /// A CPE request (TransferComplete, GetRPCMethods …) awaits the ACS's answer.
    CpeRequestSent,
    /// The CPE has no more requests: the ACS sends an RPC or the empty response that ends the session.
    AcsTurn,
    /// The ACS sent an RPC; the CPE's answer comes in its next POST.
    AcsRequestSent,
    /// The ACS sent its empty response: the session ended normally.
    Done,
    /// The session ended unsuccessfully.
    Failed,
}

impl State {
    /// Human wording for reports: "waiting for the InformResponse" …
    pub fn describe(self) -> &'static str {
        match self {
            State::Idle => "at the Inform",
            State::InformSent => "waiting for the InformResponse",
            State::CpeTurn => "after the InformResponse (CPE requests / empty POST)",
            State::CpeRequestSent => "waiting for the ACS to answer a CPE request",
            State::AcsTurn => "waiting for the ACS's next RPC or the empty 204",
            State::AcsRequestSent => "waiting for the CPE to answer an ACS RPC",
            State::Done => "after the session ended",
            State::Failed => "after the session failed",
        }
    }

    pub fn terminal(self) -> bool {
        matches!(self, State::Done | State::Failed)
    }
}

/// Why a session ended unsuccessfully (TR-069 §3.7.1.4 "unsuccessful session").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// 401 again after the CPE sent credentials.
    AuthRejected { scheme: String },
    /// 401 and the CPE never repeated the request with credentials.
    ChallengeUnanswered { scheme: String },
    /// A SOAP Fault from the ACS (other than 8005 on a CPE request).
    Fault { code: Option<u32> },
    /// An HTTP error status.
    HttpStatus(u16),
    /// A 200 that is not SOAP, or malformed XML.
    NotSoap { malformed: bool },
    /// No answer: reset, close, timeout, or the capture ended.
    NoAnswer(Silence),
    /// A message the session state does not allow (e.g. an InformResponse after the empty POST).
    Unexpected { what: String, state: State },
    /// The CPE began a new session (a new Inform) before this one ended.
    Superseded,
    /// The ACS redirected a request (3xx) and the CPE did not repeat it at the `Location` (or there was
    /// no `Location` to follow).
    RedirectNotFollowed {
        status: u16,
        location: Option<String>,
    },
    /// Neither side went on: the connection was closed or reset, or nothing happened for 30 s, between
    /// messages (e.g. the CPE closed after the InformResponse instead of sending its empty POST).
    Abandoned(Silence),
}

impl Failure {
    /// In words, for reports and ladders: "the ACS answered HTTP 503", "no answer: the ACS reset the
    /// connection (frame 17)".
    pub fn describe(&self) -> String {
        match self {
            Failure::AuthRejected { scheme } => {
                format!("the ACS rejected the {scheme} credentials (401 after Authorization)")
            }
            Failure::ChallengeUnanswered { scheme } => {
                format!("the ACS asked for {scheme} credentials and the CPE did not send them")
            }
            Failure::Fault { code } => {
                let what = match code.map(|c| (c, crate::cwmp::fault_meaning(c))) {
                    Some((c, Some(meaning))) => format!("FaultCode {c} {meaning}"),
                    Some((c, None)) => format!("FaultCode {c}"),
                    None => "Fault without FaultCode".into(),
                };
                format!("the ACS answered with a Fault: {what}")
            }
            Failure::HttpStatus(s) => format!("the ACS answered HTTP {s}"),
            Failure::NotSoap { malformed: true } => "the ACS answered with malformed XML".into(),
            Failure::NotSoap { malformed: false } => {
                "the ACS answered with a body that is not SOAP".into()
            }
            Failure::NoAnswer(s) => format!("no answer: {}", s.describe()),
            Failure::Unexpected { what, .. } => {
                format!("{what} came where the session state does not allow it")
            }
            Failure::Superseded => {
                "the CPE began a new session (a new Inform) before this one ended".into()
            }
            Failure::RedirectNotFollowed {
                status,
                location: Some(to),
            } => format!(
                "the ACS redirected ({status}) to {to} and the router did not follow the redirect"
            ),
            Failure::RedirectNotFollowed {
                status,
                location: None,
            } => format!(
                "the ACS redirected ({status}) without a Location: the router cannot follow it"
            ),
            Failure::Abandoned(s) => format!("neither side went on: {}", s.describe()),
        }
    }
}

/// One event of the session: a request from the CPE or a response from the ACS.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    Req(&'a Req),
    Resp(&'a Resp),
}

/// The transition table. `Err` ends the session with that failure.
pub fn step(state: State, event: Event<'_>) -> Result<State, Failure> {
    use Event::{Req as Q, Resp as R};
    use State::*;
    match (state, event) {
        // TR-069 §3.7.1.1: every session begins with an Inform, answered by an InformResponse.
        (Idle, Q(Req::Inform { .. })) => Ok(InformSent),
        (InformSent, R(Resp::InformResponse)) => Ok(CpeTurn),
        // libcurl's `--digest` probe: a body-less POST, challenged, before the Inform it authenticates.
        (Idle, Q(Req::AuthProbe)) => Ok(Idle),
        // The CPE's own requests come first, each answered by the ACS, then the empty POST.
        (CpeTurn, Q(Req::CpeRequest(_))) => Ok(CpeRequestSent),
        (CpeRequestSent, R(Resp::AcsAnswer(_))) => Ok(CpeTurn),
        // Fault 8005 "Retry request" on a CPE request does not end the session (TR-069 §3.7.1.4).
        (CpeRequestSent, R(Resp::Fault { code: Some(8005) })) => Ok(CpeTurn),
        (CpeTurn, Q(Req::Empty)) => Ok(AcsTurn),
        // The ACS's RPCs travel in responses; the CPE answers each in its next POST.
        (AcsTurn, R(Resp::AcsRequest(_))) => Ok(AcsRequestSent),
        (AcsRequestSent, Q(Req::CpeAnswer(_))) => Ok(AcsTurn),
        // The empty response ends the session (204; 200 with no body is a tolerated deviation).
        (AcsTurn, R(Resp::Empty { .. })) => Ok(Done),
        // Everything else ends the session, for the reason the event gives.
        (_, R(Resp::Fault { code })) => Err(Failure::Fault { code: *code }),
        (_, R(Resp::HttpError { status })) => Err(Failure::HttpStatus(*status)),
        (_, R(Resp::NotSoap { malformed })) => Err(Failure::NotSoap {
            malformed: *malformed,
        }),
        (_, R(Resp::Missing(silence))) => Err(Failure::NoAnswer(*silence)),
        (state, event) => Err(Failure::Unexpected {
            what: describe_event(event),
            state,
        }),
    }
}

fn describe_event(event: Event<'_>) -> String {
    match event {
        Event::Req(Req::Inform { .. }) => "an Inform".into(),
        Event::Req(Req::Empty) => "an empty POST".into(),
        Event::Req(Req::CpeRequest(n) | Req::CpeAnswer(n)) => format!("a {n} from the CPE"),
        Event::Req(Req::Other(what)) => format!("a request that is {what}"),
        Event::Req(Req::AuthProbe) => "a body-less authentication probe".into(),
        Event::Resp(Resp::InformResponse) => "an InformResponse".into(),
        Event::Resp(Resp::AcsRequest(n) | Resp::AcsAnswer(n)) => format!("a {n} from the ACS"),
        Event::Resp(Resp::Empty { status }) => format!("an empty {status} response"),
        Event::Resp(Resp::Unauthorized { .. }) => "a 401".into(),
        Event::Resp(Resp::Redirect { status, .. }) => format!("a {status} redirect"),
        Event::Resp(other) => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::State::*;
    use super::*;
    use crate::flows::At;
    use crate::time::Timestamp;

    fn inform() -> Req {
        Req::Inform {
            authorized: false,
            malformed: false,
        }
    }

    fn ok(state: State, event: Event<'_>) -> State {
        step(state, event).unwrap_or_else(|f| panic!("{state:?} + {event:?} failed: {f:?}"))
    }

    #[test]
    fn every_allowed_transition_of_a_full_session() {
        assert_eq!(ok(Idle, Event::Req(&inform())), InformSent);
        assert_eq!(ok(InformSent, Event::Resp(&Resp::InformResponse)), CpeTurn);
        assert_eq!(
            ok(
                CpeTurn,
                Event::Req(&Req::CpeRequest("TransferComplete".into()))
            ),
            CpeRequestSent
        );
        assert_eq!(
            ok(
                CpeRequestSent,
                Event::Resp(&Resp::AcsAnswer("TransferCompleteResponse".into()))
            ),
            CpeTurn
        );
        assert_eq!(
            ok(
                CpeRequestSent,
                Event::Resp(&Resp::Fault { code: Some(8005) })
            ),
            CpeTurn
        );
        assert_eq!(ok(CpeTurn, Event::Req(&Req::Empty)), AcsTurn);
        assert_eq!(
            ok(
                AcsTurn,
                Event::Resp(&Resp::AcsRequest("GetParameterValues".into()))
            ),
            AcsRequestSent
        );
        assert_eq!(
            ok(
                AcsRequestSent,
                Event::Req(&Req::CpeAnswer("GetParameterValuesResponse".into()))
            ),
            AcsTurn
        );
        assert_eq!(
            ok(AcsRequestSent, Event::Req(&Req::CpeAnswer("Fault".into()))),
            AcsTurn
        );
        assert_eq!(ok(AcsTurn, Event::Resp(&Resp::Empty { status: 204 })), Done);
        assert_eq!(ok(AcsTurn, Event::Resp(&Resp::Empty { status: 200 })), Done);
    }

    #[test]
    fn an_auth_probe_before_the_inform_leaves_the_session_before_its_inform() {
        assert_eq!(ok(Idle, Event::Req(&Req::AuthProbe)), Idle);
        assert_eq!(ok(Idle, Event::Req(&inform())), InformSent);
        // Once the Inform was sent, a body-less POST is the session's empty POST, never a probe.
        for state in [InformSent, CpeTurn, AcsTurn, Done] {
            match step(state, Event::Req(&Req::AuthProbe)) {
                Err(Failure::Unexpected { state: s, .. }) => assert_eq!(s, state),
                other => panic!("{state:?} + probe gave {other:?}"),
            }
        }
    }

    #[test]
    fn an_unfollowed_redirect_says_so() {
        let f = Failure::RedirectNotFollowed {
            status: 307,
            location: Some("http://acs.example.net:8080/cwmp".into()),
        };
        assert!(f.describe().contains("did not follow the redirect"));
        assert!(f.describe().contains("http://acs.example.net:8080/cwmp"));
        let none = Failure::RedirectNotFollowed {
            status: 302,
            location: None,
        };
        assert!(none.describe().contains("without a Location"));
    }

    #[test]
    fn inform_answers_that_end_the_session() {
        let cases = [
            (
                Resp::Fault { code: Some(8002) },
                Failure::Fault { code: Some(8002) },
            ),
            (Resp::HttpError { status: 500 }, Failure::HttpStatus(500)),
            (
                Resp::NotSoap { malformed: true },
                Failure::NotSoap { malformed: true },
            ),
            (
                Resp::Missing(Silence::TimedOut { waited_secs: 31 }),
                Failure::NoAnswer(Silence::TimedOut { waited_secs: 31 }),
            ),
        ];
        for (resp, failure) in cases {
            assert_eq!(step(InformSent, Event::Resp(&resp)), Err(failure));
        }
    }

    #[test]
    fn a_reset_mid_session_says_who_reset() {
        let at = At {
            frame: 12,
            ts: Timestamp::default(),
        };
        let resp = Resp::Missing(Silence::Reset { at, by_cpe: false });
        assert_eq!(
            step(AcsTurn, Event::Resp(&resp)),
            Err(Failure::NoAnswer(Silence::Reset { at, by_cpe: false }))
        );
    }

    #[test]
    fn fault_on_a_cpe_request_other_than_8005_ends_the_session() {
        assert_eq!(
            step(
                CpeRequestSent,
                Event::Resp(&Resp::Fault { code: Some(8000) })
            ),
            Err(Failure::Fault { code: Some(8000) })
        );
    }

    #[test]
    fn out_of_order_messages_are_unexpected_in_that_state() {
        let gpv = Resp::AcsRequest("GetParameterValues".into());
        let gpv_response = Req::CpeAnswer("GetParameterValuesResponse".into());
        let reboot = Resp::AcsRequest("Reboot".into());
        let cases: Vec<(State, Event<'_>)> = vec![
            (Idle, Event::Req(&Req::Empty)),
            (InformSent, Event::Resp(&Resp::Empty { status: 204 })),
            (InformSent, Event::Resp(&gpv)),
            (CpeTurn, Event::Req(&gpv_response)),
            (AcsTurn, Event::Resp(&Resp::InformResponse)),
            (AcsRequestSent, Event::Req(&Req::Empty)),
            (CpeRequestSent, Event::Resp(&reboot)),
            (Done, Event::Req(&Req::Empty)),
        ];
        for (state, event) in cases {
            match step(state, event) {
                Err(Failure::Unexpected { state: s, .. }) => assert_eq!(s, state),
                other => panic!("{state:?} + {event:?} gave {other:?}"),
            }
        }
    }
}
