//! The check table of the HTML report.
//!
//! Takes: a [`Report`]. Gives: a `<section>` with one table — the FAQ's modules and steps as heading
//! rows (Module II numbers its steps I–V, as the FAQ does), one row per check with its status badge,
//! id (an anchor the verdict links to), title, summary, evidence (frame numbers and times, as Wireshark
//! shows them) and, for failures and warnings, the hint — then the counts.

use crate::checks::catalog::catalog;
use crate::checks::{CheckResult, Status};
use crate::report::Report;
use crate::report::html::{esc, status_class};
use crate::report::text::step_label;

/// Evidence items listed per check; the JSON report has them all.
const MAX_EVIDENCE: usize = 20;

fn check_row(out: &mut String, c: &CheckResult) {
    let class = status_class(c.status);
    out.push_str(&format!(
        "<tr class=\"{class}\" id=\"check-{id}\"><td class=\"status\"><span class=\"badge {class}\">{class}</span></td>\
         <td class=\"check\"><code>{id}</code><br>{}</td>\n<td><p class=\"summary\">{}</p>\n",
        esc(&c.title),
        esc(&c.summary),
        id = esc(c.id)
    ));
    if !c.evidence.is_empty() {
        out.push_str("<ul class=\"evidence\">\n");
        for e in c.evidence.iter().take(MAX_EVIDENCE) {
            let at = match (e.frame, e.time) {
                (Some(f), Some(t)) => {
                    format!("<span class=\"frame\">#{f}</span> {} ", esc(&t.to_string()))
                }
                (Some(f), None) => format!("<span class=\"frame\">#{f}</span> "),
                _ => String::new(),
            };
            out.push_str(&format!("<li>{at}{}</li>\n", esc(&e.text)));
        }
        if c.evidence.len() > MAX_EVIDENCE {
            out.push_str(&format!(
                "<li>… {} more (see <code>--format json</code>)</li>\n",
                c.evidence.len() - MAX_EVIDENCE
            ));
        }
        out.push_str("</ul>\n");
    }
    if matches!(c.status, Status::Fail | Status::Warn)
        && let Some(h) = &c.hint
    {
        out.push_str(&format!(
            "<p class=\"hint\"><strong>Next:</strong> {}</p>\n",
            esc(h)
        ));
    }
    out.push_str("</td></tr>\n");
}

/// The checks section.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    out.push_str("<section id=\"checks\">\n<h2>Checks</h2>\n<table class=\"checks\">\n");
    let (mut module, mut step) = (0, 0);
    for c in &report.checks {
        if c.module != module {
            (module, step) = (c.module, 0);
            out.push_str(&format!(
                "<tr class=\"module\"><th colspan=\"3\">{}</th></tr>\n",
                esc(catalog().module_title(module))
            ));
        }
        if c.step != step {
            step = c.step;
            out.push_str(&format!(
                "<tr class=\"step\"><th colspan=\"3\">Step {}. {}</th></tr>\n",
                step_label(module, step),
                esc(catalog().step_title(module, step))
            ));
        }
        check_row(&mut out, c);
    }
    out.push_str("</table>\n");
    out.push_str(&format!(
        "<p class=\"counts\">{} pass, {} warn, {} fail, {} skip</p>\n</section>\n",
        report.count(Status::Pass),
        report.count(Status::Warn),
        report.count(Status::Fail),
        report.count(Status::Skip)
    ));
    out
}
