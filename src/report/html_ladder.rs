//! The ladders of the HTML report: one inline SVG per CWMP session and connection request.
//!
//! Takes: a [`Report`]. Gives: a `<section>` with a `<figure class="ladder">` per ladder — the title,
//! an SVG with the CPE and ACS boxes and lifelines, one `<line class="arrow">` per HTTP message (solid
//! for requests, dashed for responses, its head a separate `<path class="head">`) with the label above
//! it and the key fields below, the frame number and time in the left gutter, TCP events as a mark on
//! the sender's lifeline with a note, the failed row on a red band and drawn in red, and the outcome
//! under the figure. Tests count `.arrow` elements: exactly one per message drawn.
//!
//! Text is escaped with [`esc`] and clipped so it stays between the lifelines; the full text of every
//! row is in its `<title>` (a tooltip on screen).

use std::fmt::Write;

use crate::report::Report;
use crate::report::html::esc;
use crate::report::ladder::{Arrow, ConnEvent, ConnKind, End, Kind, Ladder, Row, Side, rel_text};
use crate::report::ladder_words::clip;

const WIDTH: i64 = 960;
const CPE_X: i64 = 200;
const ACS_X: i64 = 860;
const BOX_W: i64 = 180;
const BOX_H: i64 = 40;
/// Where the first row starts.
const TOP: i64 = 64;
/// Gutter: the failure mark, the frame number and the time (right-aligned).
const MARK_X: i64 = 6;
const FRAME_X: i64 = 66;
const TIME_X: i64 = 126;
/// Characters of a label and of the key fields that fit between the lifelines.
const LABEL_CHARS: usize = 86;
const DETAIL_CHARS: usize = 100;

fn x_of(side: Side) -> i64 {
    match side {
        Side::Cpe => CPE_X,
        Side::Acs => ACS_X,
    }
}

/// Text anchored next to `side`'s lifeline, towards the other one.
fn beside(side: Side) -> (i64, &'static str) {
    match side {
        Side::Cpe => (CPE_X + 12, "start"),
        Side::Acs => (ACS_X - 12, "end"),
    }
}

fn gutter(out: &mut String, y: i64, frame: u64, rel_us: i64, failed: bool) {
    if failed {
        let _ = writeln!(
            out,
            "<text class=\"failed\" x=\"{MARK_X}\" y=\"{y}\">✗</text>"
        );
    }
    let _ = writeln!(
        out,
        "<text class=\"gutter\" x=\"{FRAME_X}\" y=\"{y}\" text-anchor=\"end\">#{frame}</text>\
         <text class=\"gutter\" x=\"{TIME_X}\" y=\"{y}\" text-anchor=\"end\">{}</text>",
        rel_text(rel_us)
    );
}

/// An arrow row; returns its height.
fn arrow(out: &mut String, a: &Arrow, top: i64) -> i64 {
    let height = if a.detail.is_empty() { 30 } else { 42 };
    let y = top + 20;
    let failed = if a.failed { " failed" } else { "" };
    let kind = if a.request { "req" } else { "resp" };
    if a.failed {
        let _ = writeln!(
            out,
            "<rect class=\"band\" x=\"0\" y=\"{top}\" width=\"{WIDTH}\" height=\"{height}\"/>"
        );
    }
    let full = std::iter::once(a.label())
        .chain(a.detail.iter().cloned())
        .collect::<Vec<_>>()
        .join(" · ");
    let _ = writeln!(
        out,
        "<g class=\"row{failed}\"><title>frame {} {}: {}</title>",
        a.frame,
        rel_text(a.rel_us),
        esc(&full)
    );
    gutter(out, y + 4, a.frame, a.rel_us, a.failed);
    let (from, to) = (x_of(a.from), x_of(a.from.other()));
    let dir = if to > from { 1 } else { -1 };
    let tip = to - dir * 10;
    let _ = writeln!(
        out,
        "<line class=\"arrow {kind}{failed}\" x1=\"{from}\" y1=\"{y}\" x2=\"{tip}\" y2=\"{y}\"/>\
         <path class=\"head {kind}{failed}\" d=\"M{to},{y} l{},-5 v10 z\"/>",
        -dir * 10
    );
    let (tx, anchor) = beside(a.from);
    let http = clip(&a.http, if a.rpc.is_some() { 45 } else { LABEL_CHARS });
    let rpc = a
        .rpc
        .as_ref()
        .map(|r| {
            format!(
                " <tspan class=\"rpc\">{}</tspan>",
                esc(&clip(r, LABEL_CHARS - 45))
            )
        })
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<text class=\"label\" x=\"{tx}\" y=\"{}\" text-anchor=\"{anchor}\">{}{rpc}</text>",
        y - 6,
        esc(&http)
    );
    if !a.detail.is_empty() {
        let _ = writeln!(
            out,
            "<text class=\"detail\" x=\"{tx}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
            y + 15,
            esc(&clip(&a.detail.join(" · "), DETAIL_CHARS))
        );
    }
    out.push_str("</g>\n");
    height
}

/// A TCP event row; returns its height.
fn event(out: &mut String, e: &ConnEvent, top: i64) -> i64 {
    let height = 24;
    let y = top + 12;
    let failed = if e.failed { " failed" } else { "" };
    if e.failed {
        let _ = writeln!(
            out,
            "<rect class=\"band\" x=\"0\" y=\"{top}\" width=\"{WIDTH}\" height=\"{height}\"/>"
        );
    }
    let _ = writeln!(
        out,
        "<g class=\"conn{failed}\"><title>frame {}: {}</title>",
        e.frame,
        esc(&e.text)
    );
    gutter(out, y + 4, e.frame, e.rel_us, e.failed);
    let x = x_of(e.by);
    let mark = match e.kind {
        ConnKind::Reset => format!("M{},{} l10,10 m0,-10 l-10,10", x - 5, y - 5),
        ConnKind::Fin => format!("M{},{y} h12", x - 6),
        ConnKind::Opened => format!("M{},{y} a5,5 0 1,0 10,0 a5,5 0 1,0 -10,0", x - 5),
    };
    let _ = writeln!(out, "<path class=\"mark{failed}\" d=\"{mark}\"/>");
    let (tx, anchor) = beside(e.by);
    let _ = writeln!(
        out,
        "<text class=\"event{failed}\" x=\"{tx}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>\n</g>",
        y + 4,
        esc(&clip(&e.text, LABEL_CHARS))
    );
    height
}

fn participant(out: &mut String, side: Side, addr: &str) {
    let x = x_of(side);
    let _ = writeln!(
        out,
        "<rect class=\"box\" x=\"{}\" y=\"8\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"4\"/>\
         <text class=\"who\" x=\"{x}\" y=\"24\" text-anchor=\"middle\">{}</text>\
         <text class=\"addr\" x=\"{x}\" y=\"40\" text-anchor=\"middle\">{}</text>",
        x - BOX_W / 2,
        side.name(),
        esc(&clip(addr, 32))
    );
}

/// One ladder's SVG.
pub fn svg(l: &Ladder) -> String {
    let mut body = String::new();
    let mut y = TOP;
    for row in &l.rows {
        y += match row {
            Row::Arrow(a) => arrow(&mut body, a, y),
            Row::Conn(e) => event(&mut body, e, y),
            Row::Omitted(n) => {
                let _ = writeln!(
                    body,
                    "<text class=\"omitted\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">… {n} more rows not drawn …</text>",
                    (CPE_X + ACS_X) / 2,
                    y + 16
                );
                24
            }
        };
    }
    let height = y + 12;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{}\">\n",
        esc(&format!("Ladder of {}", l.title))
    );
    for side in [Side::Cpe, Side::Acs] {
        let x = x_of(side);
        let _ = writeln!(
            out,
            "<line class=\"life\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>",
            8 + BOX_H,
            height - 4
        );
    }
    participant(&mut out, Side::Cpe, &l.cpe);
    participant(&mut out, Side::Acs, &l.acs);
    out.push_str(&body);
    out.push_str("</svg>\n");
    out
}

fn end_class(end: End) -> &'static str {
    match end {
        End::Completed => "completed",
        End::Failed => "failed",
        End::Open => "open",
    }
}

/// The ladders section (empty when the capture has no session).
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    if report.ladders.is_empty() {
        return out;
    }
    out.push_str("<section id=\"ladders\">\n<h2>Ladders</h2>\n");
    if report.ladders_omitted > 0 {
        let _ = writeln!(
            out,
            "<p class=\"counts\">{} more sessions or connection requests are not drawn: the failed ones \
             and the last ones are shown.</p>",
            report.ladders_omitted
        );
    }
    for l in &report.ladders {
        let _ = writeln!(
            out,
            "<figure class=\"ladder\" id=\"{}-{}\">\n<figcaption><strong>{}</strong> · started {}</figcaption>",
            match l.kind {
                Kind::Session => "session",
                Kind::ConnRequest => "connection-request",
            },
            l.number,
            esc(&l.title),
            l.start
        );
        out.push_str(&svg(l));
        let _ = writeln!(
            out,
            "<p class=\"outcome {}\">Outcome: {}</p>\n</figure>",
            end_class(l.end),
            esc(&l.caption)
        );
    }
    out.push_str("</section>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn ladder() -> Ladder {
        let arrow = |from: Side, frame: u64, failed: bool| {
            Row::Arrow(Arrow {
                from,
                request: from == Side::Cpe,
                frame,
                rel_us: 0,
                http: "POST /<script>alert(1)</script>".into(),
                rpc: Some("Inform\"onload=\"x".into()),
                detail: vec!["<b>0 BOOTSTRAP</b> & more".into()],
                failed,
            })
        };
        Ladder {
            kind: Kind::Session,
            number: 1,
            title: "CWMP session 1".into(),
            cpe: "<img src=x>".into(),
            acs: "10.0.0.2:7547".into(),
            start: Timestamp::default(),
            rows: vec![
                arrow(Side::Cpe, 1, false),
                arrow(Side::Acs, 2, false),
                Row::Omitted(5),
                Row::Conn(ConnEvent {
                    by: Side::Acs,
                    kind: ConnKind::Reset,
                    frame: 9,
                    rel_us: 0,
                    text: "RST from the ACS".into(),
                    failed: false,
                }),
                arrow(Side::Acs, 10, true),
            ],
            end: End::Failed,
            caption: "failed <i>".into(),
        }
    }

    #[test]
    fn one_arrow_element_per_message_and_the_failure_in_red() {
        let svg = svg(&ladder());
        assert_eq!(svg.matches("<line class=\"arrow ").count(), 3);
        assert_eq!(svg.matches("class=\"arrow resp failed\"").count(), 1);
        assert_eq!(svg.matches("class=\"band\"").count(), 1);
        assert!(svg.contains("✗"));
        assert!(svg.contains("5 more rows not drawn"));
    }

    #[test]
    fn capture_strings_are_text_not_markup() {
        let svg = svg(&ladder());
        assert!(!svg.contains("<script") && !svg.contains("<img") && !svg.contains("<b>"));
        assert!(!svg.contains("\"onload"));
        assert!(svg.contains("POST /&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("&lt;b&gt;0 BOOTSTRAP&lt;/b&gt; &amp; more"));
    }
}
