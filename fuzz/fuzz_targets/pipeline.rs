//! Any bytes as a capture through the whole diagnosis: engine, sessions, every check, every renderer.
#![no_main]

use cwmp_doctor::checks::{Ctx, run_all};
use cwmp_doctor::config::Config;
use cwmp_doctor::engine::analyze_reader;
use cwmp_doctor::report::{self, json, markdown, text};
use cwmp_doctor::sessions;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(facts) = analyze_reader("fuzz", data) else { return };
    let sessions = sessions::build(&facts);
    let config = Config::default();
    let ctx = Ctx::new(&facts, &sessions, &config, "fuzz");
    let results = run_all(Some(&ctx), &[], None);
    let r = report::build(&ctx, results);
    let _ = (text::render(&r, false), json::render(&r), markdown::render(&r), report::html::render(&r));
});
