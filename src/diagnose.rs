//! The pipeline as plain function calls (DESIGN.md §2): capture → facts → sessions → checks → report.
//!
//! Takes: a capture input, the reference values, and what to run (the check ids, a baseline capture of a
//! working registration, a progress callback). Gives: the [`Report`] and the facts it was built from (the
//! evidence capture needs them). `Err` only when a capture cannot be read at all (exit 2); everything a
//! capture shows, broken or not, is in the report.

use crate::capture::{CaptureError, Input};
use crate::checks::{Baseline, Ctx, run_all};
use crate::config::Config;
use crate::facts::Facts;
use crate::report::{self, Report};
use crate::{engine, sessions};

/// What to run besides the defaults.
#[derive(Default)]
pub struct Options<'a> {
    /// Run only these checks.
    pub only: &'a [String],
    /// A capture of a working registration to compare with (FAQ I.5, II.V).
    pub baseline: Option<&'a Input>,
    /// Called with the bytes of the capture read so far.
    pub progress: Option<Box<dyn FnMut(u64) + Send + 'a>>,
}

/// A diagnosis: the report and the facts it rests on.
pub struct Diagnosis {
    pub report: Report,
    pub facts: Facts,
}

/// Diagnoses one capture.
pub fn diagnose_capture(
    input: &Input,
    config: &Config,
    opts: Options<'_>,
) -> Result<Diagnosis, CaptureError> {
    let facts = match opts.progress {
        Some(progress) => engine::analyze_with_progress(input, progress)?,
        None => engine::analyze(input)?,
    };
    let baseline_facts = opts.baseline.map(engine::analyze).transpose()?;
    let baseline_sessions = baseline_facts.as_ref().map(sessions::build);
    let baseline_name = opts.baseline.map(Input::source_name).unwrap_or_default();
    let sessions = sessions::build(&facts);
    let source = input.source_name();
    let mut ctx = Ctx::new(&facts, &sessions, config, &source);
    if let (Some(facts), Some(sessions)) = (&baseline_facts, &baseline_sessions) {
        ctx.baseline = Some(Baseline {
            source: &baseline_name,
            facts,
            sessions,
        });
    }
    let results = run_all(&ctx, opts.only);
    let report = report::build(&ctx, results);
    drop(ctx);
    Ok(Diagnosis { report, facts })
}
