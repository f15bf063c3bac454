//! The ladders in the Markdown report: one Mermaid `sequenceDiagram` per CWMP session and connection
//! request (GitLab, GitHub and Jira render them; the source stays readable where they do not).
//!
//! Takes: a [`Report`]. Gives: a `## Ladders` section — per ladder a heading, a fenced `mermaid` block
//! with the participants `CPE` and `ACS` (aliased to their addresses), one `->>` (request) or `-->>`
//! (response) per HTTP message labelled `[frame] +time label · key fields`, a `Note over` per TCP event,
//! the failed row inside a red `rect` with a note, and the outcome under the block.
//!
//! Mermaid's sequence grammar (`sequenceDiagram.jison`) ends a message at `#`, `;` or a newline, reads
//! `%%` as a comment, and its entity pre-pass rewrites `#name;`, so every string from the capture goes
//! through [`mermaid_text`]: those characters, and `<`, `>`, `&`, quotes, `:`, `` ` ``, `{`, `}`, `\`,
//! become numeric entity codes (`#35;`), which Mermaid renders as the character itself. Escaping `:` also
//! keeps Mermaid's `style…:…#…;` pre-pass from eating an entity's `;`.

use crate::report::Report;
use crate::report::ladder::{End, Ladder, Row, rel_text};

/// A string as Mermaid message, note or alias text: one line, no character Mermaid reads as syntax.
pub fn mermaid_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '#' | ';' | '<' | '>' | '&' | '"' | '\'' | ':' | '%' | '`' | '{' | '}' | '\\' => {
                out.push_str(&format!("#{};", u32::from(c)))
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text for the Markdown around the diagrams: no HTML, no line breaks.
fn md_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn end_word(end: End) -> &'static str {
    match end {
        End::Completed => "completed",
        End::Failed => "failed",
        End::Open => "open",
    }
}

/// The failed row: a red band and a note under it.
fn failed_block(out: &mut String, line: &str) {
    out.push_str("    rect rgba(255, 0, 0, 0.12)\n");
    out.push_str(line);
    out.push_str("    Note over CPE,ACS: ✗ failed here\n    end\n");
}

/// One ladder's `sequenceDiagram`.
pub fn diagram(l: &Ladder) -> String {
    let mut out = String::from("sequenceDiagram\n");
    out.push_str(&format!(
        "    participant CPE as CPE {}\n    participant ACS as ACS {}\n",
        mermaid_text(&l.cpe),
        mermaid_text(&l.acs)
    ));
    for row in &l.rows {
        match row {
            Row::Arrow(a) => {
                let (from, to) = (a.from, a.from.other());
                let arrow = if a.request { "->>" } else { "-->>" };
                let text = std::iter::once(a.label())
                    .chain(a.detail.iter().cloned())
                    .collect::<Vec<_>>()
                    .join(" · ");
                let line = format!(
                    "    {}{arrow}{}: [{}] {} {}\n",
                    from.name(),
                    to.name(),
                    a.frame,
                    rel_text(a.rel_us),
                    mermaid_text(&text)
                );
                if a.failed {
                    failed_block(&mut out, &line);
                } else {
                    out.push_str(&line);
                }
            }
            Row::Conn(e) => {
                let line = format!(
                    "    Note over {}: [{}] {} {}\n",
                    e.by.name(),
                    e.frame,
                    rel_text(e.rel_us),
                    mermaid_text(&e.text)
                );
                if e.failed {
                    failed_block(&mut out, &line);
                } else {
                    out.push_str(&line);
                }
            }
            Row::Omitted(n) => out.push_str(&format!(
                "    Note over CPE,ACS: … {n} more rows not drawn …\n"
            )),
        }
    }
    out
}

/// The ladders section of the Markdown report (empty when the capture has no session).
pub fn render(report: &Report) -> String {
    if report.ladders.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n## Ladders\n");
    if report.ladders_omitted > 0 {
        out.push_str(&format!(
            "\n{} more sessions or connection requests are not drawn: the failed ones and the last ones are shown.\n",
            report.ladders_omitted
        ));
    }
    for l in &report.ladders {
        out.push_str(&format!(
            "\n### {} — {} ({})\n\n```mermaid\n{}```\n\n**Outcome:** {}\n",
            l.title,
            end_word(l.end),
            l.start,
            diagram(l),
            md_text(&l.caption)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ladder::{Arrow, ConnEvent, ConnKind, Kind, Side};
    use crate::time::Timestamp;

    /// `t` without its `#digits;` entity codes; panics on a `#` that does not start one.
    fn strip_entities(t: &str) -> String {
        let mut out = String::new();
        let mut rest = t;
        while let Some(i) = rest.find('#') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let digits = after.chars().take_while(char::is_ascii_digit).count();
            assert!(
                digits > 0 && after[digits..].starts_with(';'),
                "bare # in {t}"
            );
            rest = &after[digits + 1..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn mermaid_text_leaves_no_syntax_character() {
        let hostile = "a;b#c<script>alert(\"x\")</script> %%{init} `end` 50% : \\n\nnext";
        let t = mermaid_text(hostile);
        let plain = strip_entities(&t);
        for c in ['#', ';', '<', '>', '"', '%', ':', '`', '{', '}', '\\', '\n'] {
            assert!(!plain.contains(c), "{c:?} left unescaped in {t}");
        }
        assert!(t.starts_with("a#59;b#35;c#60;script#62;"));
    }

    fn ladder(rows: Vec<Row>) -> Ladder {
        Ladder {
            kind: Kind::Session,
            number: 1,
            title: "CWMP session 1".into(),
            cpe: "10.0.0.1".into(),
            acs: "[2001:db8::1]:7547".into(),
            start: Timestamp::default(),
            rows,
            end: End::Failed,
            caption: "failed".into(),
        }
    }

    #[test]
    fn a_failed_row_is_in_a_red_rect_and_participants_are_escaped() {
        let rows = vec![
            Row::Arrow(Arrow {
                from: Side::Cpe,
                request: true,
                frame: 8,
                rel_us: 0,
                http: "POST /acs".into(),
                rpc: Some("Inform".into()),
                detail: vec!["0 BOOTSTRAP".into()],
                failed: false,
            }),
            Row::Conn(ConnEvent {
                by: Side::Acs,
                kind: ConnKind::Reset,
                frame: 9,
                rel_us: 1500,
                text: "RST from the ACS".into(),
                failed: true,
            }),
        ];
        let d = diagram(&ladder(rows));
        assert!(d.contains("participant ACS as ACS [2001#58;db8#58;#58;1]#58;7547\n"));
        assert!(d.contains("    CPE->>ACS: [8] +0.000s POST /acs Inform · 0 BOOTSTRAP\n"));
        assert!(d.contains(
            "    rect rgba(255, 0, 0, 0.12)\n    Note over ACS: [9] +0.001s RST from the ACS\n    Note over CPE,ACS: ✗ failed here\n    end\n"
        ));
    }
}
