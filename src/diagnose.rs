//! The pipeline as plain function calls (DESIGN.md §2): capture → facts → sessions → checks → report.
//!
//! Takes: a capture input, the reference values, and optionally the check ids to run. Gives: the
//! [`Report`]. `Err` only when the capture cannot be read at all (exit 2); everything the capture shows,
//! broken or not, is in the report.

use crate::capture::{CaptureError, Input};
use crate::checks::{Ctx, run_all};
use crate::config::Config;
use crate::report::{self, Report};
use crate::{engine, sessions};

/// Diagnoses one capture.
pub fn diagnose_capture(
    input: &Input,
    config: &Config,
    only: &[String],
) -> Result<Report, CaptureError> {
    let facts = engine::analyze(input)?;
    let sessions = sessions::build(&facts);
    let source = input.source_name();
    let ctx = Ctx::new(&facts, &sessions, config, &source);
    let results = run_all(&ctx, only);
    Ok(report::build(&ctx, results))
}
