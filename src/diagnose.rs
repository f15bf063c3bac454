//! The pipeline as plain function calls (DESIGN.md §2): capture → facts → sessions → checks → report,
//! and live probes → verdicts, combined per check.
//!
//! Takes: a capture input and/or a live target, the reference values, and what to run (the check ids,
//! a baseline capture of a working registration, a progress callback). Gives: the [`Report`] and the facts
//! it was built from (the evidence capture needs them). `Err` only when a capture cannot be read at all
//! (exit 2); everything a capture shows, broken or not, and everything the probes saw, is in the report.

use crate::capture::{CaptureError, Input};
use crate::checks::{Baseline, Ctx, run_all};
use crate::config::Config;
use crate::evidence_pcap::Selection;
use crate::live::{LiveReport, LiveTarget};
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
    /// Probe the network now (`--live`).
    pub live: Option<&'a LiveTarget>,
    /// Work out what `--evidence-pcap` must copy.
    pub evidence: bool,
}

/// A diagnosis: the report, and (when asked for) what the evidence capture must copy and the capture's
/// link types. The facts themselves are dropped before the report is rendered: on a big capture they
/// are most of the memory.
pub struct Diagnosis {
    pub report: Report,
    pub evidence: Option<(Selection, Vec<u32>)>,
}

/// Diagnoses a capture, the live network, or both.
pub fn diagnose(
    input: Option<&Input>,
    config: &Config,
    opts: Options<'_>,
) -> Result<Diagnosis, CaptureError> {
    let probed: Option<LiveReport> = opts.live.map(crate::live::run);
    let Some(input) = input else {
        let results = run_all(None, opts.only, probed.as_ref());
        let mut report =
            report::build_live(results, opts.live.map(describe_target).unwrap_or_default());
        scrub(&mut report, config);
        return Ok(Diagnosis {
            report,
            evidence: None,
        });
    };
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
    let reference = Config::default();
    if let (Some(facts), Some(sessions)) = (&baseline_facts, &baseline_sessions) {
        ctx.baseline = Some(Baseline {
            source: &baseline_name,
            facts,
            sessions,
            failure: judge_baseline(facts, sessions, &reference, &baseline_name),
        });
    }
    let results = run_all(Some(&ctx), opts.only, probed.as_ref());
    let mut report = report::build(&ctx, results);
    if let Some(target) = opts.live {
        report.notes.extend(describe_target(target));
    }
    scrub(&mut report, config);
    drop(ctx);
    let evidence = opts.evidence.then(|| {
        (
            crate::evidence_pcap::select(&report, &facts),
            facts.capture.link_types.clone(),
        )
    });
    Ok(Diagnosis { report, evidence })
}

/// A baseline is judged by the same checks before it serves as the reference (FAQ I.5: the comparison
/// needs a *working* capture). The command line's reference values describe the capture under
/// diagnosis, not the baseline's router, so the baseline is judged without them.
fn judge_baseline(
    facts: &crate::facts::Facts,
    sessions: &sessions::Sessions,
    config: &Config,
    source: &str,
) -> Option<(&'static str, String)> {
    let ctx = Ctx::new(facts, sessions, config, source);
    run_all(Some(&ctx), &[], None)
        .into_iter()
        .find(|r| r.status == crate::checks::Status::Fail)
        .map(|r| (r.id, r.summary))
}

/// Passwords given on the command line never reach an output.
fn scrub(report: &mut Report, config: &Config) {
    if !config.show_secrets {
        let secrets: Vec<&str> = [&config.acs_password, &config.cr_password]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        report.scrub(&secrets);
    }
}

/// What the live run probed, in words for the report (no passwords).
fn describe_target(t: &LiveTarget) -> Vec<String> {
    let mut out = vec![format!(
        "live probes from this machine: {} attempt{}, {} s timeout per probe",
        t.repeat.max(1),
        if t.repeat > 1 { "s" } else { "" },
        t.timeout.as_secs_f32()
    )];
    if let Some(url) = &t.acs_url {
        out.push(format!("live: ACS URL {}", crate::live::sanitize_url(url)));
    }
    if let Some(url) = &t.cpe_url {
        out.push(format!(
            "live: ConnectionRequestURL {}",
            crate::live::sanitize_url(url)
        ));
    }
    out
}
