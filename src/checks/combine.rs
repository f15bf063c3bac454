//! One verdict per check from two sources: what the capture showed and what the live probes saw now.
//!
//! Takes: the capture verdict (when a capture was given) and the live verdict (when `--live` probed that
//! check). Gives: one verdict that says which evidence is which — evidence from the probes has source
//! `live` and no frame; with both, the worse status wins (a network that fails now fails the check even
//! if the capture shows it working, and the reverse) and the summary names both sources.

use crate::checks::{Evidence, Status, Verdict};
use crate::live::{LiveStatus, LiveVerdict};

/// A live verdict in the checks' terms.
pub fn from_live(v: &LiveVerdict) -> Verdict {
    let status = match v.status {
        LiveStatus::Pass => Status::Pass,
        LiveStatus::Warn => Status::Warn,
        LiveStatus::Fail => Status::Fail,
        LiveStatus::Skip => Status::Skip,
    };
    Verdict::new(status, v.mode, v.summary.clone()).with(v.evidence.iter().map(|e| Evidence {
        source: "live".into(),
        frame: None,
        time: Some(e.time),
        text: e.text.clone(),
        filter: None,
        conn: None,
    }))
}

/// The skip of a check that `--live` alone did not probe, saying what would let it judge: the ACS
/// probes need `--acs-url`, the connection-request probes `--cpe-url`, and the router's own traffic
/// (its Informs, sessions, configuration) can only be seen in a capture.
pub fn not_probed(id: &str) -> Verdict {
    let needs = crate::checks::catalog::catalog()
        .get(id)
        .and_then(|e| e.live.as_deref())
        .unwrap_or("needs a capture (--pcap): a live probe cannot see the router's own traffic");
    Verdict::skip("not-probed", format!("not probed: {needs}"))
}

/// How bad a status is, to pick the worse of two.
fn severity(s: Status) -> u8 {
    match s {
        Status::Skip => 0,
        Status::Pass => 1,
        Status::Warn => 2,
        Status::Fail => 3,
    }
}

/// The combined verdict of a check.
pub fn combine(capture: Option<Verdict>, live: Option<Verdict>) -> Verdict {
    match (capture, live) {
        (Some(c), None) => c,
        (None, Some(l)) => l,
        (None, None) => Verdict::skip(
            "not-probed",
            "no capture given (--pcap) and not probed live",
        ),
        (Some(c), Some(l)) if c.status == Status::Skip => Verdict {
            summary: format!("live: {} (capture: {})", l.summary, c.summary),
            ..l
        },
        (Some(c), Some(l)) if l.status == Status::Skip => Verdict {
            summary: format!("capture: {} (live: {})", c.summary, l.summary),
            ..c
        },
        (Some(c), Some(l)) => {
            let summary = format!("capture: {}; live: {}", c.summary, l.summary);
            let (worse, other) = if severity(l.status) > severity(c.status) {
                (l, c)
            } else {
                (c, l)
            };
            let mut v = Verdict::new(worse.status, worse.mode, summary);
            v.evidence = worse.evidence;
            v.evidence.extend(other.evidence);
            v
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn live(status: LiveStatus, mode: &'static str) -> Verdict {
        from_live(&LiveVerdict {
            id: "acs.connect",
            status,
            mode,
            summary: "probe".into(),
            evidence: vec![crate::live::LiveEvidence {
                time: Timestamp::new(1, 0),
                text: "connect refused".into(),
            }],
        })
    }

    #[test]
    fn live_evidence_says_it_is_live_and_has_no_frame() {
        let v = live(LiveStatus::Fail, "refused");
        assert_eq!((v.status, v.mode), (Status::Fail, "refused"));
        assert_eq!(v.evidence[0].source, "live");
        assert_eq!(v.evidence[0].frame, None);
    }

    #[test]
    fn the_worse_source_decides_and_both_are_named() {
        let capture = Verdict::pass("TCP handshake completed");
        let v = combine(Some(capture), Some(live(LiveStatus::Fail, "refused")));
        assert_eq!((v.status, v.mode), (Status::Fail, "refused"));
        assert_eq!(v.summary, "capture: TCP handshake completed; live: probe");
        assert_eq!(v.evidence.len(), 1);
    }

    #[test]
    fn a_skip_on_one_side_yields_to_the_other() {
        let v = combine(
            Some(Verdict::skip("no-evidence", "nothing in the capture")),
            Some(live(LiveStatus::Pass, "pass")),
        );
        assert_eq!(v.status, Status::Pass);
        assert!(v.summary.starts_with("live: probe"));
        let v = combine(
            Some(Verdict::fail("refused", "RST")),
            Some(live(LiveStatus::Skip, "blocked")),
        );
        assert_eq!((v.status, v.mode), (Status::Fail, "refused"));
        assert_eq!(combine(None, None).status, Status::Skip);
    }

    #[test]
    fn a_check_live_did_not_probe_says_which_option_would_let_it_judge() {
        let why = |id| not_probed(id).summary;
        assert!(why("acs.connect").contains("--acs-url"));
        assert!(why("cwmp.credentials").contains("--acs-username"));
        assert!(why("session.inform-response").contains("--emulate-inform"));
        assert!(why("cr.auth").contains("--cpe-url"));
        assert!(why("session.complete").contains("needs a capture"));
        assert_eq!(not_probed("wan.dial").status, Status::Skip);
    }
}
