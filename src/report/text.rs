//! The terminal report: what a first-line engineer reads.
//!
//! Takes: a [`Report`] and whether to colour. Gives: text that fits 80 columns — the verdict and the
//! first failure with its hint first (the likely root cause), then the FAQ's modules and steps as
//! headings with each check's status, summary, evidence (frame numbers to open in Wireshark) and, for
//! failures and warnings, what to do next; then the ladder of each session ([`super::text_ladder`]),
//! and the counts; the assumptions and notes (what could not be read) right under the verdict. Colour only marks statuses and headings, so the text reads the same
//! without it.

use colored::{ColoredString, Colorize};

use crate::checks::catalog::catalog;
use crate::checks::{CheckResult, Status};
use crate::report::Report;

/// Report width: readable in an 80-column terminal.
pub const WIDTH: usize = 80;

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, s: &str, f: impl Fn(&str) -> ColoredString) -> String {
        if self.color {
            f(s).to_string()
        } else {
            s.to_string()
        }
    }

    fn status(&self, st: Status) -> String {
        let tag = match st {
            Status::Pass => "pass",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Skip => "skip",
        };
        let tag = format!("[{tag}]");
        match st {
            Status::Pass => self.paint(&tag, |s| s.green()),
            Status::Warn => self.paint(&tag, |s| s.yellow().bold()),
            Status::Fail => self.paint(&tag, |s| s.red().bold()),
            Status::Skip => self.paint(&tag, |s| s.dimmed()),
        }
    }

    fn heading(&self, s: &str) -> String {
        self.paint(s, |s| s.bold())
    }
}

/// Wraps `text` to the report width with a first-line and a continuation indent.
fn wrap(text: &str, first: &str, rest: &str) -> String {
    let opts = textwrap::Options::new(WIDTH)
        .initial_indent(first)
        .subsequent_indent(rest);
    textwrap::fill(text, opts)
}

pub fn render(report: &Report, color: bool) -> String {
    let p = Painter { color };
    let mut out = String::new();
    let line = |out: &mut String, s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    let mut title = format!("cwmp-doctor — {}", report.source);
    if let Some(c) = &report.capture {
        title.push_str(&format!(" ({}, {} frames)", c.format, c.frames));
    }
    line(&mut out, wrap(&title, "", "  "));
    if let Some(c) = &report.capture
        && let (Some(a), Some(b)) = (c.first, c.last)
    {
        line(&mut out, format!("  {a} → {b}"));
    }
    line(&mut out, String::new());
    match report.first_failure() {
        Some(f) => {
            let entry = catalog().get(f.id);
            let faq = entry.map(|e| e.faq.as_str()).unwrap_or("");
            line(
                &mut out,
                p.heading(&format!(
                    "Verdict: {} — first failure: {} (FAQ {faq})",
                    p.paint("FAIL", |s| s.red().bold()),
                    f.id
                )),
            );
            line(&mut out, wrap(&f.summary, "  ", "  "));
            if let Some(h) = &f.hint {
                line(&mut out, wrap(&format!("Next: {h}"), "  ", "        "));
            }
        }
        None if report.caveat.is_some() => {
            let word = p.paint("NOT JUDGED", |s| s.yellow().bold());
            line(
                &mut out,
                p.heading(&format!("Verdict: {word} — no check failed, but")),
            );
            let caveat = report.caveat.as_deref().unwrap_or_default();
            line(&mut out, wrap(caveat, "  ", "  "));
        }
        None => {
            let v = report.verdict();
            let word = if v == Status::Warn {
                p.paint("PASS with warnings", |s| s.yellow().bold())
            } else {
                p.paint("PASS", |s| s.green().bold())
            };
            line(
                &mut out,
                p.heading(&format!("Verdict: {word} — {}", report.no_failure_line())),
            );
            // A warning is something to act on (a lost change, an open connection request): it is
            // named on the first screen, not left for the reader to find below.
            for c in report.warned() {
                line(
                    &mut out,
                    wrap(&format!("Warning: {} — {}", c.id, c.summary), "  ", "    "),
                );
            }
        }
    }
    for a in &report.assumptions {
        line(
            &mut out,
            wrap(&format!("Assumed: {a}"), "  ", "           "),
        );
    }
    // What the pass could not read (a truncated file, a snap length, a budget) bears on every verdict
    // below, so it is said before them.
    for n in &report.notes {
        line(&mut out, wrap(&format!("Note: {n}"), "  ", "        "));
    }
    let mut module = 0;
    let mut step = 0;
    for c in &report.checks {
        if c.module != module {
            module = c.module;
            step = 0;
            line(&mut out, String::new());
            line(&mut out, p.heading(catalog().module_title(module)));
        }
        if c.step != step {
            step = c.step;
            line(
                &mut out,
                p.heading(&format!(
                    " Step {}. {}",
                    step_label(module, step),
                    catalog().step_title(module, step)
                )),
            );
        }
        check(&mut out, &p, c, &report.source);
    }
    out.push_str(&crate::report::text_ladder::render(report, color));
    line(&mut out, String::new());
    line(
        &mut out,
        format!(
            "{} pass, {} warn, {} fail, {} skip",
            report.count(Status::Pass),
            report.count(Status::Warn),
            report.count(Status::Fail),
            report.count(Status::Skip)
        ),
    );
    if let Some(e) = &report.evidence_capture {
        line(
            &mut out,
            wrap(
                &format!("Evidence capture: {} ({} frames)", e.file, e.frames.len()),
                "",
                "  ",
            ),
        );
        let map: Vec<String> = cited_frames(report)
            .into_iter()
            .filter_map(|o| e.map(o).map(|n| format!("#{o}→{n}")))
            .collect();
        if !map.is_empty() {
            line(
                &mut out,
                wrap(
                    &format!("cited frames, original→evidence: {}", map.join(" ")),
                    "  ",
                    "  ",
                ),
            );
        }
    }
    out
}

/// Frames the checks' evidence cites, in order.
pub fn cited_frames(report: &Report) -> Vec<u64> {
    let mut frames: Vec<u64> = report
        .checks
        .iter()
        .flat_map(|c| &c.evidence)
        .filter(|e| e.source == report.source)
        .filter_map(|e| e.frame)
        .collect();
    frames.sort_unstable();
    frames.dedup();
    frames
}

/// Module I numbers its steps 1–5, Module II I–V, as the FAQ does.
pub(crate) fn step_label(module: u8, step: u8) -> String {
    if module == 2 {
        ["I", "II", "III", "IV", "V"]
            .get(usize::from(step.saturating_sub(1)))
            .unwrap_or(&"?")
            .to_string()
    } else {
        step.to_string()
    }
}

fn check(out: &mut String, p: &Painter, c: &CheckResult, source: &str) {
    out.push_str(&format!(
        "  {} {:<24} {}\n",
        p.status(c.status),
        c.id,
        c.title
    ));
    out.push_str(&wrap(&c.summary, "         ", "         "));
    out.push('\n');
    let shown = if c.status == Status::Pass { 2 } else { 6 };
    for e in c.evidence.iter().take(shown) {
        let mut at = match (e.frame, e.time) {
            (Some(f), Some(t)) => format!("#{f} {} ", clock(&t.to_string())),
            (Some(f), None) => format!("#{f} "),
            _ => String::new(),
        };
        // Evidence from another capture (the baseline) names it: its frame numbers are its own.
        if e.source != source {
            at = format!("[{}] {at}", e.source);
        }
        out.push_str(&wrap(
            &format!("{at}{}", e.text),
            "           ",
            "             ",
        ));
        out.push('\n');
    }
    if c.evidence.len() > shown {
        out.push_str(&format!(
            "           … {} more (see --format json)\n",
            c.evidence.len() - shown
        ));
    }
    if matches!(c.status, Status::Fail | Status::Warn)
        && let Some(h) = &c.hint
    {
        out.push_str(&wrap(&format!("→ {h}"), "         ", "           "));
        out.push('\n');
    }
    if matches!(c.status, Status::Fail | Status::Warn)
        && let Some(f) = &c.filter
    {
        out.push_str(&wrap(
            &format!("Wireshark: {f}"),
            "         ",
            "           ",
        ));
        out.push('\n');
    }
}

/// The time of day of an RFC 3339 timestamp (`10:00:01.234567`), enough to find a frame.
fn clock(rfc3339: &str) -> String {
    rfc3339
        .split('T')
        .nth(1)
        .map(|t| t.trim_end_matches('Z').to_string())
        .unwrap_or_default()
}
