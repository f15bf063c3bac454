//! The ladders in the terminal report: one sngrep-like diagram per CWMP session and connection request.
//!
//! Takes: a [`Report`] and whether to colour. Gives: text that fits 80 columns — per ladder a title,
//! the CPE and ACS columns with their addresses, one arrow per HTTP message (solid `─` for requests,
//! dashed `╌` for responses, the label near its sender), key fields on the arrow or below it, the frame
//! number and the time since the first message in the left gutter, TCP events in brackets on the
//! sender's side, `✗` after the row where it failed, and the outcome below.
//!
//! Layout: a 19-column gutter, the CPE lifeline at column 19, a 56-column lane, the ACS lifeline at
//! column 76, then the failure mark: 79 columns. Widths are display widths (wide characters count
//! twice), so a label from the capture cannot push a lifeline out of place.

use colored::Colorize;
use textwrap::core::display_width;

use crate::report::Report;
use crate::report::ladder::{Arrow, ConnEvent, End, Ladder, Row, Side, rel_text};

/// Digits of a frame number in the gutter (up to 99,999,999 frames; beyond, the last digits).
const FRAME: usize = 8;
/// The frame number, the time (9, see [`rel_text`]) and their separators.
const GUTTER: usize = FRAME + 1 + 9 + 1;
/// Columns between the two lifelines.
const LANE: usize = 56;
/// Longest label on an arrow: the lane less the arrow's ends and at least one dash.
const LABEL: usize = LANE - 5;
/// Lines of key fields under an arrow whose fields do not fit on it.
const DETAIL_LINES: usize = 3;

/// `s` cut to `width` display columns, with "…" when cut.
fn fit(s: &str, width: usize) -> String {
    if display_width(s) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if display_width(&out) + display_width(c.encode_utf8(&mut [0; 4])) + 1 > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// `s` followed by spaces up to `width` display columns.
fn pad(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(display_width(s))))
}

fn gutter(frame: Option<u64>, rel_us: Option<i64>) -> String {
    let mut frame = frame.map(|f| f.to_string()).unwrap_or_default();
    if frame.len() > FRAME {
        frame = format!("…{}", &frame[frame.len() - (FRAME - 1)..]);
    }
    let time = rel_us.map(rel_text).unwrap_or_default();
    format!("{frame:>FRAME$} {time:>9} ")
}

fn lane(content: &str) -> String {
    format!("│{}│", pad(&fit(content, LANE), LANE))
}

fn arrow_line(a: &Arrow, text: &str) -> String {
    let text = fit(text, LABEL);
    let dash = if a.request { "─" } else { "╌" };
    let fill = dash.repeat(LANE - 4 - display_width(&text));
    match a.from {
        Side::Cpe => format!("├{dash} {text} {fill}>│"),
        Side::Acs => format!("│<{fill} {text} {dash}┤"),
    }
}

fn arrow_rows(a: &Arrow) -> Vec<String> {
    let label = a.label();
    let inline = std::iter::once(label.clone())
        .chain(a.detail.iter().cloned())
        .collect::<Vec<_>>()
        .join(" · ");
    let mark = if a.failed { " ✗" } else { "" };
    let first = gutter(Some(a.frame), Some(a.rel_us));
    if display_width(&inline) <= LABEL {
        return vec![format!("{first}{}{mark}", arrow_line(a, &inline))];
    }
    let mut lines = vec![format!("{first}{}{mark}", arrow_line(a, &label))];
    let detail = a.detail.join(" · ");
    let wrapped = textwrap::wrap(&detail, LANE - 6);
    for (n, piece) in wrapped.iter().enumerate().take(DETAIL_LINES) {
        let piece = if n + 1 == DETAIL_LINES && wrapped.len() > DETAIL_LINES {
            format!("{piece} …")
        } else {
            piece.to_string()
        };
        let content = match a.from {
            Side::Cpe => format!("   {piece}"),
            Side::Acs => format!("{}   ", pad_left(&piece, LANE - 3)),
        };
        lines.push(format!("{}{}", gutter(None, None), lane(&content)));
    }
    lines
}

fn event_row(e: &ConnEvent) -> String {
    let text = format!("[{}]", fit(&e.text, LANE - 4));
    let content = match e.by {
        Side::Cpe => format!(" {text}"),
        Side::Acs => format!("{} ", pad_left(&text, LANE - 1)),
    };
    let mark = if e.failed { " ✗" } else { "" };
    format!(
        "{}{}{mark}",
        gutter(Some(e.frame), Some(e.rel_us)),
        lane(&content)
    )
}

fn pad_left(s: &str, width: usize) -> String {
    format!("{}{s}", " ".repeat(width.saturating_sub(display_width(s))))
}

/// The column heads: "CPE addr" over the left lifeline, "ACS addr" ending over the right one.
fn heads(l: &Ladder) -> Vec<String> {
    let left = format!("CPE {}", l.cpe);
    let right = format!("ACS {}", l.acs);
    let head = format!("{:>FRAME$} {:>9} ", "frame", "time");
    let span = LANE + 2;
    if display_width(&left) + 1 + display_width(&right) <= span {
        let gap = span - display_width(&left) - display_width(&right);
        vec![format!("{head}{left}{}{right}", " ".repeat(gap))]
    } else {
        vec![
            format!("{head}{}", fit(&left, span)),
            format!(
                "{}{}",
                " ".repeat(GUTTER),
                pad_left(&fit(&right, span), span)
            ),
        ]
    }
}

/// One ladder, as lines without colour, each paired with whether it marks the failure.
fn ladder_lines(l: &Ladder) -> Vec<(String, bool)> {
    let mut lines: Vec<(String, bool)> = heads(l).into_iter().map(|s| (s, false)).collect();
    lines.push((format!("{}{}", gutter(None, None), lane("")), false));
    for row in &l.rows {
        match row {
            Row::Arrow(a) => lines.extend(arrow_rows(a).into_iter().map(|s| (s, a.failed))),
            Row::Conn(e) => lines.push((event_row(e), e.failed)),
            Row::Omitted(n) => {
                let text = format!("… {n} more rows not drawn …");
                let left = (LANE.saturating_sub(display_width(&text))) / 2;
                let content = format!("{}{text}", " ".repeat(left));
                lines.push((format!("{}{}", gutter(None, None), lane(&content)), false));
            }
        }
    }
    lines
}

/// The ladders section of the text report (empty when the capture has no session).
pub fn render(report: &Report, color: bool) -> String {
    if report.ladders.is_empty() {
        return String::new();
    }
    let paint = |s: &str, f: fn(&str) -> colored::ColoredString| {
        if color {
            f(s).to_string()
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    out.push('\n');
    out.push_str(&paint(
        "Ladders — CWMP sessions and connection requests",
        |s| s.bold(),
    ));
    out.push('\n');
    if report.ladders_omitted > 0 {
        let note = format!(
            "{} more not drawn: the failed ones and the last ones are shown.",
            report.ladders_omitted
        );
        out.push_str(&textwrap::fill(&note, 80));
        out.push('\n');
    }
    for l in &report.ladders {
        out.push('\n');
        let title = format!("{} — started {}", l.title, l.start);
        out.push_str(&paint(&fit(&title, 80), |s| s.bold()));
        out.push('\n');
        for (line, failed) in ladder_lines(l) {
            out.push_str(&if failed {
                paint(&line, |s| s.red().bold())
            } else {
                line
            });
            out.push('\n');
        }
        let caption = textwrap::fill(
            &format!("Outcome: {}", l.caption),
            textwrap::Options::new(80).subsequent_indent("         "),
        );
        let caption = match l.end {
            End::Failed => paint(&caption, |s| s.red().bold()),
            End::Completed => paint(&caption, |s| s.green()),
            End::Open => paint(&caption, |s| s.yellow()),
        };
        out.push_str(&caption);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ladder::{ConnEvent, ConnKind, Kind};
    use crate::time::Timestamp;

    fn arrow(from: Side, http: &str, detail: &[&str], failed: bool) -> Row {
        Row::Arrow(Arrow {
            from,
            request: from == Side::Cpe,
            frame: 123_456,
            rel_us: 999_999_999,
            http: http.into(),
            rpc: Some("SetParameterValuesResponse".into()),
            detail: detail.iter().map(|d| d.to_string()).collect(),
            failed,
        })
    }

    /// A ladder with everything that could push a line past 80 columns.
    fn crowded() -> Ladder {
        let wide = "POST /ａｃｓ/设备管理/".repeat(5);
        let long = "0 BOOTSTRAP, 1 BOOT, 2 PERIODIC, 4 VALUE CHANGE, M Reboot, M Download";
        Ladder {
            kind: Kind::Session,
            number: 1,
            title: "CWMP session 1".into(),
            cpe: "[2001:db8:1234:5678:9abc:def0:1234:5678]:65535".into(),
            acs: "[2001:db8:ffff:eeee:dddd:cccc:bbbb:aaaa]:7547".into(),
            start: Timestamp::default(),
            rows: vec![
                arrow(Side::Cpe, &wide, &[long, long, long, long], false),
                arrow(Side::Acs, "200 OK", &[long], false),
                Row::Omitted(1234),
                Row::Conn(ConnEvent {
                    by: Side::Acs,
                    kind: ConnKind::Reset,
                    frame: 9_999_999,
                    rel_us: 1,
                    text: "RST from the ACS ".repeat(10),
                    failed: true,
                }),
                Row::Conn(ConnEvent {
                    by: Side::Cpe,
                    kind: ConnKind::Opened,
                    frame: 1,
                    rel_us: 1,
                    text: "new TCP connection (port 1)".into(),
                    failed: false,
                }),
            ],
            end: End::Failed,
            caption: "failed ".repeat(40),
        }
    }

    fn report(ladders: Vec<Ladder>) -> Report {
        Report {
            source: "t.pcap".into(),
            capture: None,
            checks: Vec::new(),
            messages: Vec::new(),
            assumptions: Vec::new(),
            notes: Vec::new(),
            ladders,
            ladders_omitted: 7,
            caveat: None,
            evidence_capture: None,
        }
    }

    #[test]
    fn every_line_fits_80_columns() {
        let text = render(&report(vec![crowded()]), false);
        for line in text.lines() {
            assert!(
                display_width(line) <= 80,
                "{} columns: {line}",
                display_width(line)
            );
        }
        assert!(text.contains("… 1234 more rows not drawn …"));
        assert!(text.contains("7 more not drawn"));
    }

    #[test]
    fn lifelines_stay_in_their_columns() {
        for (line, _) in ladder_lines(&crowded()).iter().skip(2) {
            let cols: Vec<char> = line.chars().collect();
            let at = |w: usize| {
                let mut width = 0;
                cols.iter()
                    .find(|c| {
                        let here = width;
                        width += display_width(c.encode_utf8(&mut [0; 4]));
                        here == w
                    })
                    .copied()
            };
            assert!(matches!(at(GUTTER), Some('│' | '├')), "{line}");
            assert!(matches!(at(GUTTER + LANE + 1), Some('│' | '┤')), "{line}");
        }
    }

    #[test]
    fn only_the_failed_row_carries_the_mark() {
        let lines = ladder_lines(&crowded());
        let marked: Vec<&(String, bool)> =
            lines.iter().filter(|(l, _)| l.ends_with(" ✗")).collect();
        assert_eq!(marked.len(), 1);
        assert!(marked[0].1 && marked[0].0.contains("[RST from the ACS"));
    }
}
