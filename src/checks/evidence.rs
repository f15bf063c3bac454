//! Evidence: what a verdict points at, so an engineer can verify it in Wireshark.
//!
//! Takes: messages, connections and frames. Gives: [`Evidence`] items — the capture (or "live"), the
//! frame number (1-based, as Wireshark shows it), its time, and the decisive excerpt (a status line, a
//! header, an EventCode, a FaultCode with its meaning). Authorization values are redacted here, at the
//! source of every excerpt, unless the report shows secrets.

use crate::checks::Ctx;
use crate::facts::Message;
use crate::flows::At;
use crate::time::Timestamp;

/// One piece of evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// The capture file name, `live`, or the baseline capture's name.
    pub source: String,
    pub frame: Option<u64>,
    pub time: Option<Timestamp>,
    pub text: String,
    /// A Wireshark display filter that shows it (`frame.number == 14`, `tcp.stream eq 3`).
    pub filter: Option<String>,
    /// The TCP connection it belongs to (Wireshark's `tcp.stream`), when it belongs to one.
    pub conn: Option<u32>,
}

impl Evidence {
    /// Evidence at a frame of the capture under diagnosis.
    pub fn at(ctx: &Ctx<'_>, at: At, text: impl Into<String>) -> Evidence {
        Evidence {
            source: ctx.source.to_string(),
            frame: Some(at.frame),
            time: Some(at.ts),
            text: text.into(),
            filter: Some(format!("frame.number == {}", at.frame)),
            conn: None,
        }
    }

    /// Evidence at a frame of TCP connection `conn`: the filter shows the whole connection (connection
    /// ids are Wireshark's `tcp.stream` numbers).
    pub fn in_conn(ctx: &Ctx<'_>, conn: u32, at: At, text: impl Into<String>) -> Evidence {
        Evidence {
            filter: Some(format!("tcp.stream eq {conn}")),
            conn: Some(conn),
            ..Evidence::at(ctx, at, text)
        }
    }

    /// Evidence without a frame (an absence, a count, a configured value).
    pub fn note(ctx: &Ctx<'_>, text: impl Into<String>) -> Evidence {
        Evidence {
            source: ctx.source.to_string(),
            frame: None,
            time: None,
            text: text.into(),
            filter: None,
            conn: None,
        }
    }

    /// A message: its frame, its first line (`POST /acs` → `Inform`, `401 Unauthorized`) and `detail`.
    pub fn message(ctx: &Ctx<'_>, m: &Message, detail: &str) -> Evidence {
        let mut text = format!("{} → {}: {}", m.http.src, m.http.dst, line(m));
        if let Some(rpc) = m.rpc() {
            text.push_str(&format!(" [{rpc}]"));
        }
        if !detail.is_empty() {
            text.push_str(" — ");
            text.push_str(detail);
        }
        Evidence::in_conn(ctx, m.http.conn, m.at(), text)
    }
}

/// The start line of a message as Wireshark's Info column shows it.
pub fn line(m: &Message) -> String {
    use crate::apps::http::StartLine;
    match &m.http.start {
        StartLine::Request { method, target, .. } => format!("{method} {target}"),
        StartLine::Response { status, reason, .. } => {
            format!("{status} {reason}").trim_end().to_string()
        }
    }
}

/// A header as evidence text, `Name: value`, with credentials redacted unless secrets are shown.
pub fn header(ctx: &Ctx<'_>, m: &Message, name: &str) -> Option<String> {
    let value = m.http.header(name)?;
    Some(format!("{name}: {}", ctx.redact_header(name, value)))
}

/// A duration for a summary: milliseconds below a second ("4 ms"), else seconds ("12.3 s").
pub fn duration(secs: f64) -> String {
    if secs < 1.0 {
        format!("{:.0} ms", secs * 1000.0)
    } else {
        format!("{secs:.1} s")
    }
}
