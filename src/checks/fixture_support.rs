//! Test support: a fixture capture read through the real engine and session builder, for the checks'
//! unit tests (fixtures/<case>/capture.pcap, paths relative to the repository as `cargo test` runs).

use crate::capture::Input;
use crate::checks::{Ctx, Verdict};
use crate::config::Config;
use crate::facts::Facts;
use crate::sessions::Sessions;

/// The facts and sessions of `fixtures/<case>/capture.pcap`.
pub(crate) fn load(case: &str) -> (Facts, Sessions) {
    let path = format!("fixtures/{case}/capture.pcap");
    let facts = crate::engine::analyze(&Input::File(path.into())).expect("fixture readable");
    let sessions = crate::sessions::build(&facts);
    (facts, sessions)
}

/// Runs `check` on a fixture capture with no reference values.
pub(crate) fn on_fixture(case: &str, check: fn(&Ctx<'_>) -> Verdict) -> Verdict {
    let (facts, sessions) = load(case);
    let config = Config::default();
    check(&Ctx::new(&facts, &sessions, &config, case))
}
