//! The CWMP session builder on captures of real stacks' quirks (sessions::cwmp, DESIGN.md §2): libcurl's
//! body-less Digest probe opens the session its Inform starts, a followed redirect is one session at the
//! `Location`, an unfollowed one fails it. Each case is a fixture under `fixtures/review-*`.

use cwmp_doctor::capture::Input;
use cwmp_doctor::facts::Facts;
use cwmp_doctor::sessions::cwmp::{CwmpSession, Outcome, build_sessions};
use cwmp_doctor::sessions::cwmp_table::{Failure, State};
use cwmp_doctor::sessions::exchange::Req;

fn sessions_of(fixture: &str) -> (Facts, Vec<CwmpSession>) {
    let path = format!(
        "{}/fixtures/{fixture}/capture.pcap",
        env!("CARGO_MANIFEST_DIR")
    );
    let facts = cwmp_doctor::engine::analyze(&Input::File(path.into())).expect("fixture reads");
    let sessions = build_sessions(&facts);
    (facts, sessions)
}

fn frame(facts: &Facts, index: usize) -> u64 {
    facts.messages[index].at().frame
}

#[test]
fn libcurl_probe_belongs_to_the_session_its_inform_starts() {
    for fixture in [
        "review-curl-digest-probe-expect-100",
        "review-curl-digest-probe-no-expect",
    ] {
        let (facts, s) = sessions_of(fixture);
        assert_eq!(s.len(), 1, "{fixture}");
        let s = &s[0];
        assert!(!s.joined && s.completed(), "{fixture}: {:?}", s.outcome);
        assert_eq!(s.exchanges[0].req, Req::AuthProbe);
        assert_eq!(frame(&facts, s.exchanges[0].request), 4);
        assert_eq!(
            s.challenges
                .iter()
                .map(|&c| frame(&facts, c))
                .collect::<Vec<_>>(),
            [6]
        );
        assert_eq!(s.steps[0].from, State::Idle);
        assert_eq!(s.steps[0].to, State::Idle);
    }
}

#[test]
fn libcurl_probe_closed_by_the_acs_continues_on_a_new_connection() {
    let (_, s) = sessions_of("review-curl-digest-probe-new-connection");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].conns.len(), 2);
    assert_eq!(s[0].exchanges[0].req, Req::AuthProbe);
    assert!(!s[0].joined && s[0].completed());
}

#[test]
fn a_followed_redirect_is_one_session_at_the_location() {
    let (facts, s) = sessions_of("review-inform-307-redirect");
    assert_eq!(s.len(), 1);
    let s = &s[0];
    assert!(s.completed(), "{:?}", s.outcome);
    assert_eq!(s.acs.port(), 8080);
    assert_eq!(s.conns.len(), 2);
    assert_eq!(
        s.redirects
            .iter()
            .map(|&r| frame(&facts, r))
            .collect::<Vec<_>>(),
        [8]
    );
    assert_eq!(s.informs.len(), 2);
}

#[test]
fn a_redirect_never_followed_fails_the_session() {
    let (_, s) = sessions_of("review-inform-302-redirect-not-followed");
    assert_eq!(s.len(), 1);
    match &s[0].outcome {
        Outcome::Failed {
            failure: Failure::RedirectNotFollowed { status, location },
            state,
            ..
        } => {
            assert_eq!(*status, 302);
            assert_eq!(
                location.as_deref(),
                Some("http://acs.example.net:8080/cwmp")
            );
            assert_eq!(*state, State::Idle);
        }
        other => panic!("{other:?}"),
    }
}
