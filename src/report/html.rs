//! The HTML report: one self-contained page a support engineer attaches to an R&D ticket.
//!
//! Takes: a [`Report`]. Gives: one HTML5 document with no external script, font, style or image — the
//! capture, the verdict with the first failure and its hint, the assumptions and notes, the check
//! table under the FAQ's module and step headings ([`super::html_checks`]), an inline SVG ladder per
//! session and connection request ([`super::html_ladder`]) and the HTTP message table. It needs no
//! JavaScript, reads on a laptop screen and prints (colours kept, rows not split).
//!
//! Every string from the report goes through [`esc`]: the capture is attacker-controlled, so a
//! `<script>` in a SOAP value must render as text. A Content-Security-Policy forbidding scripts and
//! every external load backs that up.

use crate::checks::Status;
use crate::checks::catalog::catalog;
use crate::report::{MAX_MESSAGE_ROWS, Report, html_checks, html_ladder};

/// The page's style sheet, inlined.
const CSS: &str = include_str!("html.css");

/// Text for HTML content and attribute values: `& < > " '` escaped, control characters (which XML, and
/// so the inline SVG, cannot hold) replaced.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The CSS class and the word of a status.
pub fn status_class(s: Status) -> &'static str {
    s.as_str()
}

fn verdict(out: &mut String, report: &Report) {
    let v = report.verdict();
    out.push_str(&format!(
        "<section class=\"verdict {}\">\n",
        status_class(v)
    ));
    match report.first_failure() {
        Some(f) => {
            let faq = catalog().get(f.id).map(|e| e.faq.as_str()).unwrap_or("");
            out.push_str(&format!(
                "<h2>Verdict: FAIL</h2>\n<p>First failure: <a href=\"#check-{id}\"><code>{id}</code></a> \
                 (FAQ {faq}) — {}</p>\n",
                esc(&f.summary),
                id = esc(f.id),
                faq = esc(faq)
            ));
            if let Some(h) = &f.hint {
                out.push_str(&format!("<p><strong>Next:</strong> {}</p>\n", esc(h)));
            }
        }
        None if report.caveat.is_some() => out.push_str(&format!(
            "<h2>Verdict: NOT JUDGED</h2>\n<p>No check failed, but {}</p>\n",
            esc(report.caveat.as_deref().unwrap_or_default())
        )),
        None => {
            let word = if v == Status::Warn {
                "PASS with warnings"
            } else {
                "PASS"
            };
            let line = report.no_failure_line();
            out.push_str(&format!(
                "<h2>Verdict: {word}</h2>\n<p>{}{}.</p>\n",
                line[..1].to_uppercase(),
                esc(&line[1..])
            ));
            for c in report.warned() {
                out.push_str(&format!(
                    "<p>Warning: <a href=\"#check-{id}\"><code>{id}</code></a> — {}</p>\n",
                    esc(&c.summary),
                    id = esc(c.id)
                ));
            }
        }
    }
    out.push_str("</section>\n");
}

/// Links to the sections: a long check table would otherwise hide the ladders.
fn contents(out: &mut String, report: &Report) {
    out.push_str("<nav><a href=\"#checks\">Checks</a>");
    if !report.ladders.is_empty() {
        out.push_str(&format!(
            " · <a href=\"#ladders\">Ladders ({})</a>",
            report.ladders.len()
        ));
    }
    if !report.messages.is_empty() {
        out.push_str(&format!(
            " · <a href=\"#messages\">HTTP messages ({})</a>",
            report.messages.len()
        ));
    }
    out.push_str("</nav>\n");
}

fn notes(out: &mut String, report: &Report) {
    if report.assumptions.is_empty() && report.notes.is_empty() {
        return;
    }
    out.push_str("<section>\n<h2>Assumptions and notes</h2>\n<ul class=\"plain\">\n");
    for a in &report.assumptions {
        out.push_str(&format!("<li>Assumed: {}</li>\n", esc(a)));
    }
    for n in &report.notes {
        out.push_str(&format!("<li>Note: {}</li>\n", esc(n)));
    }
    out.push_str("</ul>\n</section>\n");
}

fn messages(out: &mut String, report: &Report) {
    if report.messages.is_empty() {
        return;
    }
    out.push_str(&format!(
        "<section id=\"messages\">\n<h2>HTTP messages ({})</h2>\n<table class=\"messages\">\n<thead><tr><th>Frame</th>\
         <th>Time</th><th>Source</th><th>Destination</th><th>HTTP</th><th>RPC</th></tr></thead>\n<tbody>\n",
        report.messages.len()
    ));
    for m in report.messages.iter().take(MAX_MESSAGE_ROWS) {
        let (class, note) = if m.complete {
            ("", "")
        } else {
            (" class=\"incomplete\"", " (incomplete)")
        };
        out.push_str(&format!(
            "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"http\">{}{note}</td><td>{}</td></tr>\n",
            m.frame,
            esc(&m.time.to_string()),
            esc(&m.src.to_string()),
            esc(&m.dst.to_string()),
            esc(&m.http),
            esc(m.rpc.as_deref().unwrap_or(""))
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    if report.messages.len() > MAX_MESSAGE_ROWS {
        out.push_str(&format!(
            "<p class=\"counts\">… {} more messages (see <code>--format json</code>)</p>\n",
            report.messages.len() - MAX_MESSAGE_ROWS
        ));
    }
    out.push_str("</section>\n");
}

/// The evidence capture (`--evidence-pcap`): its file and where each cited frame is in it.
fn evidence_capture(out: &mut String, report: &Report) {
    let Some(e) = &report.evidence_capture else {
        return;
    };
    out.push_str(&format!(
        "<section id=\"evidence-capture\">\n<h2>Evidence capture</h2>\n<p><code>{}</code> holds {} frames of the original: {}.</p>\n\
         <table>\n<thead><tr><th>Original frame</th><th>Evidence capture frame</th></tr></thead>\n<tbody>\n",
        esc(&e.file),
        e.frames.len(),
        crate::evidence_pcap::WHAT_IT_HOLDS
    ));
    for o in crate::report::text::cited_frames(report) {
        if let Some(n) = e.map(o) {
            out.push_str(&format!("<tr><td>{o}</td><td>{n}</td></tr>\n"));
        }
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// The whole page.
pub fn render(report: &Report) -> String {
    let mut out =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
    );
    out.push_str(&format!(
        "<title>cwmp-doctor: {} — {}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n",
        esc(&report.source),
        report.verdict().as_str().to_uppercase()
    ));
    out.push_str(&format!(
        "<header>\n<h1>cwmp-doctor report</h1>\n<p class=\"meta\"><code>{}</code>",
        esc(&report.source)
    ));
    if let Some(c) = &report.capture {
        out.push_str(&format!(" · {}, {} frames", esc(&c.format), c.frames));
        if let (Some(a), Some(b)) = (c.first, c.last) {
            out.push_str(&format!(" · {a} → {b}"));
        }
    }
    out.push_str("</p>\n</header>\n");
    verdict(&mut out, report);
    contents(&mut out, report);
    notes(&mut out, report);
    out.push_str(&html_checks::render(report));
    evidence_capture(&mut out, report);
    out.push_str(&html_ladder::render(report));
    messages(&mut out, report);
    out.push_str(&format!(
        "<footer>cwmp-doctor {} · frame numbers are Wireshark's (1-based)</footer>\n</main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{CheckResult, Evidence};
    use crate::report::MessageRow;
    use crate::time::Timestamp;

    /// A report whose every string is hostile.
    fn hostile() -> Report {
        let evil = "<script>alert('x')</script>\"&";
        Report {
            source: evil.into(),
            capture: None,
            checks: vec![CheckResult {
                id: "session.inform",
                module: 1,
                step: 3,
                title: evil.into(),
                status: Status::Fail,
                mode: "fail",
                summary: evil.into(),
                evidence: vec![Evidence {
                    source: evil.into(),
                    frame: Some(3),
                    time: Some(Timestamp::default()),
                    text: evil.into(),
                    filter: Some(evil.into()),
                    conn: None,
                }],
                hint: Some(evil.into()),
                filter: Some(evil.into()),
            }],
            messages: vec![MessageRow {
                frame: 3,
                time: Timestamp::default(),
                src: "192.0.2.1:7547".parse().unwrap(),
                dst: "192.0.2.2:50000".parse().unwrap(),
                http: evil.into(),
                rpc: Some(evil.into()),
                complete: false,
            }],
            assumptions: vec![evil.into()],
            notes: vec![evil.into()],
            ladders: Vec::new(),
            ladders_omitted: 0,
            caveat: None,
            evidence_capture: None,
        }
    }

    #[test]
    fn esc_escapes_markup_quotes_and_controls() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>\u{0}\n"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\u{FFFD} "
        );
    }

    #[test]
    fn no_string_from_the_capture_becomes_markup() {
        let page = render(&hostile());
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("alert('x')"));
        assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;"));
        assert!(page.contains("Content-Security-Policy"));
    }

    #[test]
    fn the_page_is_self_contained() {
        let page = render(&hostile());
        for external in ["src=", "href=\"http", "@import", "url(", "<link"] {
            assert!(!page.contains(external), "{external} in the page");
        }
    }

    #[test]
    fn the_evidence_capture_maps_each_cited_frame() {
        let mut report = hostile();
        report.evidence_capture = Some(crate::evidence_pcap::EvidenceCapture {
            file: "<ev>.pcap".into(),
            frames: vec![(1, 1), (3, 2)],
        });
        let page = render(&report);
        assert!(
            page.contains("<code>&lt;ev&gt;.pcap</code> holds 2 frames"),
            "{page}"
        );
        assert!(page.contains("<tr><td>3</td><td>2</td></tr>"), "{page}");
        assert!(
            !page.contains("<tr><td>1</td>"),
            "only cited frames are listed"
        );
    }
}
