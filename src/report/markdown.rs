//! The Markdown report: what is pasted into an R&D ticket (GitLab, GitHub, Jira render it).
//!
//! Takes: a [`Report`]. Gives: Markdown — the verdict and first failure with its hint, a table of every
//! check (id, FAQ step, status, summary), then the evidence of every check that did not simply pass,
//! with frame numbers and times, then a Mermaid ladder per session ([`super::markdown_ladder`]), then
//! the capture's first [`MAX_MESSAGE_ROWS`] HTTP messages. Table cells are escaped so a summary with `|` cannot break the
//! table.

use crate::checks::Status;
use crate::checks::catalog::catalog;
use crate::report::{MAX_MESSAGE_ROWS, Report};

fn cell(s: &str) -> String {
    cell_text(s).replace('|', "\\|")
}

/// Text from the capture in a list item: Markdown and HTML it carries must not render.
fn cell_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' | '*' | '_' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "✅ pass",
        Status::Warn => "⚠️ warn",
        Status::Fail => "❌ **fail**",
        Status::Skip => "➖ skip",
    }
}

pub fn render(report: &Report) -> String {
    let mut out = format!("# cwmp-doctor report: `{}`\n\n", report.source);
    if let Some(c) = &report.capture {
        out.push_str(&format!("Capture: {}, {} frames", c.format, c.frames));
        if let (Some(a), Some(b)) = (c.first, c.last) {
            out.push_str(&format!(", {a} → {b}"));
        }
        out.push_str("\n\n");
    }
    match report.first_failure() {
        Some(f) => {
            let faq = catalog().get(f.id).map(|e| e.faq.as_str()).unwrap_or("");
            out.push_str(&format!(
                "**Verdict: FAIL** — first failure `{}` (FAQ {faq}): {}\n\n",
                f.id,
                cell_text(&f.summary)
            ));
            if let Some(h) = &f.hint {
                out.push_str(&format!("> **Next:** {h}\n\n"));
            }
        }
        None if report.caveat.is_some() => out.push_str(&format!(
            "**Verdict: NOT JUDGED** — no check failed, but {}\n\n",
            cell_text(report.caveat.as_deref().unwrap_or_default())
        )),
        None => {
            let word = if report.verdict() == Status::Warn {
                "PASS with warnings"
            } else {
                "PASS"
            };
            out.push_str(&format!(
                "**Verdict: {word}** — {}\n\n",
                report.no_failure_line()
            ));
            for c in report.warned() {
                out.push_str(&format!("- ⚠️ `{}`: {}\n", c.id, cell_text(&c.summary)));
            }
            if report.verdict() == Status::Warn {
                out.push('\n');
            }
        }
    }
    for a in &report.assumptions {
        out.push_str(&format!("- Assumed: {}\n", cell_text(a)));
    }
    for n in &report.notes {
        out.push_str(&format!("- Note: {}\n", cell_text(n)));
    }
    if !report.assumptions.is_empty() || !report.notes.is_empty() {
        out.push('\n');
    }
    out.push_str("## Checks\n\n| Check | FAQ | Status | Summary |\n|---|---|---|---|\n");
    for c in &report.checks {
        let faq = catalog().get(c.id).map(|e| e.faq.as_str()).unwrap_or("");
        out.push_str(&format!(
            "| `{}` {} | {faq} | {} | {} |\n",
            c.id,
            cell(&c.title),
            status_word(c.status),
            cell(&c.summary)
        ));
    }
    out.push_str("\n## Evidence\n");
    for c in report
        .checks
        .iter()
        .filter(|c| c.status != Status::Skip && !c.evidence.is_empty())
    {
        out.push_str(&format!(
            "\n### `{}` — {} ({})\n\n{}\n\n",
            c.id,
            c.title,
            c.status.as_str(),
            cell_text(&c.summary)
        ));
        for e in &c.evidence {
            let mut filter = e
                .filter
                .as_ref()
                .map(|f| format!(" — `{f}`"))
                .unwrap_or_default();
            if e.source != report.source {
                filter.push_str(&format!(" in `{}`", cell(&e.source)));
            }
            let text = cell_text(&e.text);
            match (e.frame, e.time) {
                (Some(f), Some(t)) => out.push_str(&format!("- frame {f} ({t}): {text}{filter}\n")),
                (Some(f), None) => out.push_str(&format!("- frame {f}: {text}{filter}\n")),
                _ => out.push_str(&format!("- {text}\n")),
            }
        }
        if matches!(c.status, Status::Fail | Status::Warn)
            && let Some(h) = &c.hint
        {
            out.push_str(&format!("\n**Next:** {h}\n"));
        }
        if let Some(f) = &c.filter {
            out.push_str(&format!("\nWireshark display filter: `{f}`\n"));
        }
    }
    if let Some(e) = &report.evidence_capture {
        out.push_str(&format!(
            "\n## Evidence capture\n\n`{}` holds {} frames of the original: {}.\n\n| Original frame | Evidence capture frame |\n|---|---|\n",
            cell(&e.file),
            e.frames.len(),
            crate::evidence_pcap::WHAT_IT_HOLDS
        ));
        for o in crate::report::text::cited_frames(report) {
            if let Some(n) = e.map(o) {
                out.push_str(&format!("| {o} | {n} |\n"));
            }
        }
    }
    out.push_str(&crate::report::markdown_ladder::render(report));
    if !report.messages.is_empty() {
        out.push_str("\n## HTTP messages\n\n| Frame | Time | Source | Destination | HTTP | RPC |\n|---|---|---|---|---|---|\n");
        for m in report.messages.iter().take(MAX_MESSAGE_ROWS) {
            let http = if m.complete {
                cell(&m.http)
            } else {
                format!("{} (incomplete)", cell(&m.http))
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {http} | {} |\n",
                m.frame,
                m.time,
                m.src,
                m.dst,
                m.rpc.as_deref().unwrap_or("")
            ));
        }
        if report.messages.len() > MAX_MESSAGE_ROWS {
            out.push_str(&format!(
                "\n… {} more messages (see `--format json`)\n",
                report.messages.len() - MAX_MESSAGE_ROWS
            ));
        }
    }
    out
}
