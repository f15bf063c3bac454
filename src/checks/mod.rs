//! The FAQ checks: pure functions from facts to verdicts (DESIGN.md §1).
//!
//! Takes: [`Ctx`] — the capture's facts, its sessions, the reference values from the command line and
//! the roles derived from them. Gives: one [`CheckResult`] per catalog entry, in catalog order, each with
//! a status, a one-line summary, evidence (frames, times, the decisive excerpt) and the catalog's hint
//! for its mode. Checks do no I/O and read no clock.

mod attempts;
pub(crate) mod auth;
mod bootstrap;
pub mod catalog;
mod combine;
mod compare;
mod compare_align;
mod compare_features;
mod config_rpc;
mod connect;
mod connreq;
mod cr_connect;
mod cr_devices;
mod cr_precondition;
mod credentials;
mod ctx;
mod devices;
mod evidence;
#[cfg(test)]
mod fixture_support;
mod reach;
mod retest;
mod session;
mod set;
pub mod snapcut;
mod tls;
mod udp_cr;
mod url;
mod wan;

pub use ctx::{Baseline, Ctx, Roles};
pub use evidence::Evidence;

use serde::Serialize;

use crate::live::LiveReport;

/// The verdict of one check (DESIGN.md §1 "Statuses").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Skip,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// What a check function decides: status, the catalog mode that picks the hint, the one-line summary
/// and the evidence.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub status: Status,
    /// Key into the catalog entry's hints (`"pass"` for a plain pass).
    pub mode: &'static str,
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

impl Verdict {
    pub fn new(status: Status, mode: &'static str, summary: impl Into<String>) -> Verdict {
        Verdict {
            status,
            mode,
            summary: summary.into(),
            evidence: Vec::new(),
        }
    }
    pub fn pass(summary: impl Into<String>) -> Verdict {
        Verdict::new(Status::Pass, "pass", summary)
    }
    pub fn fail(mode: &'static str, summary: impl Into<String>) -> Verdict {
        Verdict::new(Status::Fail, mode, summary)
    }
    pub fn warn(mode: &'static str, summary: impl Into<String>) -> Verdict {
        Verdict::new(Status::Warn, mode, summary)
    }
    pub fn skip(mode: &'static str, summary: impl Into<String>) -> Verdict {
        Verdict::new(Status::Skip, mode, summary)
    }
    pub fn with(mut self, evidence: impl IntoIterator<Item = Evidence>) -> Verdict {
        self.evidence.extend(evidence);
        self
    }
}

/// A check's verdict with its catalog data, as the report shows it.
#[derive(Clone, Debug)]
pub struct CheckResult {
    pub id: &'static str,
    pub module: u8,
    pub step: u8,
    pub title: String,
    pub status: Status,
    pub mode: &'static str,
    pub summary: String,
    pub evidence: Vec<Evidence>,
    pub hint: Option<String>,
    /// A Wireshark display filter showing every frame the evidence cites.
    pub filter: Option<String>,
}

/// `frame.number in {12 14}`: Wireshark's set membership over the frames the evidence cites.
/// Only frames of the capture under diagnosis (`source`) count: a baseline's frame numbers are its own.
fn frames_filter(evidence: &[Evidence], source: &str) -> Option<String> {
    let mut frames: Vec<u64> = evidence
        .iter()
        .filter(|e| e.source == source)
        .filter_map(|e| e.frame)
        .collect();
    frames.sort_unstable();
    frames.dedup();
    match frames.as_slice() {
        [] => None,
        [one] => Some(format!("frame.number == {one}")),
        many => {
            let list: Vec<String> = many.iter().map(u64::to_string).collect();
            Some(format!("frame.number in {{{}}}", list.join(" ")))
        }
    }
}

type CheckFn = fn(&Ctx<'_>) -> Verdict;

/// Every check: its id, its implementation, and every mode it can return (a unit test ties each to a
/// catalog entry and each mode to a hint).
pub const REGISTRY: [(&str, CheckFn, &[&str]); 20] = [
    ("wan.dial", wan::dial, wan::DIAL_MODES),
    ("wan.ping", wan::ping, wan::PING_MODES),
    ("acs.dns", reach::dns, reach::DNS_MODES),
    ("acs.ping", reach::acs_ping, reach::ACS_PING_MODES),
    ("acs.connect", connect::connect, connect::CONNECT_MODES),
    ("acs.tls", tls::tls, tls::TLS_MODES),
    ("cwmp.url", url::url, url::URL_MODES),
    (
        "cwmp.credentials",
        credentials::credentials,
        credentials::CREDENTIALS_MODES,
    ),
    (
        "cwmp.bootstrap",
        bootstrap::bootstrap,
        bootstrap::BOOTSTRAP_MODES,
    ),
    ("session.inform", session::inform, session::INFORM_MODES),
    (
        "session.inform-response",
        session::inform_response,
        session::INFORM_RESPONSE_MODES,
    ),
    (
        "session.complete",
        session::complete,
        session::COMPLETE_MODES,
    ),
    ("retest.attempts", retest::attempts, retest::ATTEMPTS_MODES),
    (
        "compare.baseline",
        compare::baseline,
        compare::BASELINE_MODES,
    ),
    (
        "cr.precondition",
        connreq::precondition,
        connreq::PRECONDITION_MODES,
    ),
    ("cr.connect", connreq::connect, connreq::CONNECT_MODES),
    ("cr.inform", connreq::inform, connreq::INFORM_MODES),
    ("cr.challenge", connreq::challenge, connreq::CHALLENGE_MODES),
    ("cr.auth", connreq::auth, connreq::AUTH_MODES),
    ("config.apply", config_rpc::apply, config_rpc::APPLY_MODES),
];

/// Runs every check in catalog order (`only`: just these ids, the others skipped as not asked for).
pub fn run_all(
    ctx: Option<&Ctx<'_>>,
    only: &[String],
    live: Option<&LiveReport>,
) -> Vec<CheckResult> {
    let cat = catalog::catalog();
    let mut results: Vec<CheckResult> = cat
        .checks
        .iter()
        .map(|entry| {
            let (id, check, _) = REGISTRY
                .iter()
                .find(|(id, _, _)| *id == entry.id)
                .expect("every catalog id has an implementation (unit-tested)");
            let verdict = if only.is_empty() || only.iter().any(|o| o == id) {
                let probed = live
                    .and_then(|l| l.verdicts.iter().find(|v| v.id == *id))
                    .map(combine::from_live);
                match (ctx, probed) {
                    (None, None) => combine::not_probed(id),
                    (ctx, probed) => combine::combine(ctx.map(|c| check(c)), probed),
                }
            } else {
                Verdict::skip("not-selected", "not selected (--only)")
            };
            CheckResult {
                id,
                module: entry.module,
                step: entry.step,
                title: entry.title.clone(),
                status: verdict.status,
                mode: verdict.mode,
                hint: entry.hints.get(verdict.mode).cloned(),
                filter: frames_filter(&verdict.evidence, ctx.map_or("", |c| c.source)),
                summary: verdict.summary,
                evidence: verdict.evidence,
            }
        })
        .collect();
    if let Some(c) = ctx {
        snapcut::explain_skips(
            c.facts.limits.snap_cut.as_ref(),
            !c.sessions.cwmp.is_empty(),
            &mut results,
        );
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_check_has_exactly_one_implementation_and_every_mode_a_hint() {
        let cat = catalog::catalog();
        for entry in &cat.checks {
            let impls: Vec<_> = REGISTRY
                .iter()
                .filter(|(id, _, _)| *id == entry.id)
                .collect();
            assert_eq!(
                impls.len(),
                1,
                "{} must have exactly one implementation",
                entry.id
            );
            let live: &[&str] = crate::live::MODES
                .iter()
                .find(|(id, _)| *id == entry.id)
                .map_or(&[], |(_, m)| *m);
            for mode in impls[0].2.iter().chain(live) {
                if *mode != "pass" {
                    assert!(
                        entry.hints.contains_key(*mode),
                        "{}: mode {mode} has no hint in the catalog",
                        entry.id
                    );
                }
            }
            for hint in entry.hints.keys() {
                assert!(
                    impls[0].2.contains(&hint.as_str()) || live.contains(&hint.as_str()),
                    "{}: hint {hint} is never used",
                    entry.id
                );
            }
        }
        assert_eq!(REGISTRY.len(), cat.checks.len());
    }
}
