//! The report: one value every output format is a pure function of (hyperfine's `export/` style).
//!
//! Takes: the check results, the facts (for the capture summary and the message list) and the roles.
//! Gives: [`Report`] — verdict, first failure, every check in catalog order with its evidence and hint,
//! every HTTP message in frame order (DESIGN.md §3 JSON schema 1), what was assumed, what the pass
//! could not read or keep, and the ladder diagrams of the sessions ([`ladder`]). Secrets given on the
//! command line are scrubbed from every string here, so no renderer can leak them.

pub mod html;
mod html_checks;
pub mod html_ladder;
pub mod json;
pub mod ladder;
mod ladder_draw;
mod ladder_words;
pub mod markdown;
pub mod markdown_ladder;
pub mod text;
pub mod text_ladder;

use std::net::SocketAddr;

use crate::checks::{CheckResult, Ctx, Status};
use crate::facts::Facts;
use crate::time::Timestamp;

/// HTTP messages the HTML and Markdown reports list; JSON lists them all (DESIGN.md §3), and a report
/// attached to a ticket stays readable on an ACS-side capture of thousands of sessions.
pub const MAX_MESSAGE_ROWS: usize = 1000;

/// JSON schema version (DESIGN.md §3).
pub const SCHEMA: u32 = 1;

/// One row of the message list.
#[derive(Clone, Debug, PartialEq, Eq)]
/// Addresses and the RPC name are kept as values, not text: a report of an ACS-side capture has tens
/// of thousands of rows, and each string is an allocation held until the report is written.
pub struct MessageRow {
    pub frame: u64,
    pub time: Timestamp,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// "POST /acs" for requests, "401" for responses.
    pub http: String,
    /// The SOAP body's first element's local name.
    pub rpc: Option<crate::cwmp::Name>,
    /// The message did not end normally (cut by a reset, a close, a gap, or the end of the capture).
    pub complete: bool,
}

/// What the capture file is.
#[derive(Clone, Debug)]
pub struct CaptureSummary {
    pub format: String,
    pub frames: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
}

/// The whole report.
#[derive(Clone, Debug)]
pub struct Report {
    /// The capture's name (or "live").
    pub source: String,
    pub capture: Option<CaptureSummary>,
    pub checks: Vec<CheckResult>,
    pub messages: Vec<MessageRow>,
    /// What was assumed to tell the CPE from the ACS.
    pub assumptions: Vec<String>,
    /// What could not be read or kept (a truncated file, full tables, undecoded frames).
    pub notes: Vec<String>,
    /// Why "no check failed" does not mean the registration works: the capture could not show it (its
    /// snap length cut the CWMP messages). The verdict lines say so instead of a bare PASS.
    pub caveat: Option<String>,
    /// The trimmed capture written for R&D (`--evidence-pcap`), with its frame map.
    pub evidence_capture: Option<crate::evidence_pcap::EvidenceCapture>,
    /// Ladder diagrams of the CWMP sessions and connection requests, the most relevant ones.
    pub ladders: Vec<ladder::Ladder>,
    /// Sessions and connection requests not drawn (beyond [`ladder::MAX_LADDERS`]).
    pub ladders_omitted: usize,
}

impl Report {
    /// `fail` when a check failed, `warn` when one warned, otherwise `pass`.
    pub fn verdict(&self) -> Status {
        if self.checks.iter().any(|c| c.status == Status::Fail) {
            Status::Fail
        } else if self.checks.iter().any(|c| c.status == Status::Warn) {
            Status::Warn
        } else {
            Status::Pass
        }
    }

    /// The first failed check in catalog order: the likely root cause.
    pub fn first_failure(&self) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.status == Status::Fail)
    }

    /// Names the capture `new` wherever the report says `old` (the file standard input was kept in).
    pub fn rename_source(&mut self, old: &str, new: &str) {
        if self.source == old {
            self.source = new.to_string();
        }
        let evidence = self.checks.iter_mut().flat_map(|c| c.evidence.iter_mut());
        for e in evidence.filter(|e| e.source == old) {
            e.source = new.to_string();
        }
    }

    /// The checks that warned, in catalog order.
    pub fn warned(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| c.status == Status::Warn)
    }

    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }

    /// "no check failed (3 passed, 1 warned, 16 skipped)": a PASS made mostly of skips must say so.
    pub fn no_failure_line(&self) -> String {
        let parts: Vec<String> = [
            (Status::Pass, "passed"),
            (Status::Warn, "warned"),
            (Status::Skip, "skipped"),
        ]
        .iter()
        .map(|&(s, word)| (self.count(s), word))
        .filter(|&(n, _)| n > 0)
        .map(|(n, word)| format!("{n} {word}"))
        .collect();
        format!("no check failed ({})", parts.join(", "))
    }

    /// Replaces every occurrence of each secret in every string of the report.
    pub fn scrub(&mut self, secrets: &[&str]) {
        let secrets: Vec<&str> = secrets.iter().copied().filter(|s| s.len() >= 3).collect();
        if secrets.is_empty() {
            return;
        }
        let clean = |s: &mut String| {
            for secret in &secrets {
                if s.contains(secret) {
                    *s = s.replace(secret, "«redacted»");
                }
            }
        };
        for c in &mut self.checks {
            clean(&mut c.summary);
            c.hint.iter_mut().for_each(clean);
            c.evidence.iter_mut().for_each(|e| clean(&mut e.text));
        }
        self.assumptions.iter_mut().for_each(clean);
        self.notes.iter_mut().for_each(clean);
        for m in &mut self.messages {
            clean(&mut m.http);
        }
        for l in &mut self.ladders {
            l.for_each_text(&clean);
        }
    }
}

/// The capture's snapshot length cut frames: their headers (and TCP flags) are read, the bytes after the
/// cut are not in the file.
pub fn snap_cut_note(c: &crate::facts::SnapCut) -> String {
    let frames = match c.frames {
        1 => "1 frame was".to_string(),
        n => format!("{n} frames were"),
    };
    format!(
        "{frames} cut by the capture's snap length ({} bytes; first #{}): HTTP bodies and SOAP are not \
         visible — capture again with `tcpdump -s 0`",
        c.snaplen, c.first
    )
}

/// The snap length cut TCP payload and no CWMP session could be read: nothing failed because nothing
/// could be judged.
fn caveat(ctx: &Ctx<'_>) -> Option<String> {
    let c = ctx
        .facts
        .limits
        .snap_cut
        .filter(|c| c.tcp_payload_frames > 0)?;
    ctx.sessions.cwmp.is_empty().then(|| {
        format!(
            "the CWMP exchange could not be read: {} frames were cut by the capture's snap length ({} \
             bytes; first #{}) — capture again with `tcpdump -s 0`",
            c.tcp_payload_frames, c.snaplen, c.first
        )
    })
}

/// What the pass could not read or keep, in words.
fn notes(facts: &Facts) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(t) = &facts.capture.truncated {
        out.push(format!(
            "the capture is truncated: {t}; everything before it was read"
        ));
    }
    let l = &facts.limits;
    if let Some(c) = &l.snap_cut {
        out.push(snap_cut_note(c));
    }
    // Bytes lost inside the HTTP/TLS connections that were followed (the capturing machine dropped
    // packets): messages with a hole are marked incomplete, and the checks will not judge their content.
    let lost = facts
        .conns
        .iter()
        .filter(|c| {
            matches!(
                c.app,
                crate::flows::AppKind::Http | crate::flows::AppKind::Tls
            )
        })
        .flat_map(|c| c.streams.iter())
        .filter(|s| s.gaps > 0);
    let (holes, bytes, first) = lost.fold((0u64, 0u64, None::<u64>), |(h, b, f), s| {
        let f = match (f, s.first_gap_frame) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        (h + u64::from(s.gaps), b + s.gap_bytes, f)
    });
    if holes > 0 {
        let at = first
            .map(|f| format!(" (first before #{f})"))
            .unwrap_or_default();
        out.push(format!(
            "the capture lost {bytes} bytes in {holes} place{} of the HTTP/TLS connections{at}: the \
             messages around them are incomplete and their content is not judged",
            if holes == 1 { "" } else { "s" }
        ));
    }
    if l.table.evicted > 0 {
        out.push(format!(
            "{} idle TCP connections were retired early (connection table full)",
            l.table.evicted
        ));
    }
    if l.table.facts_dropped > 0 || l.dropped_items > 0 {
        out.push(format!(
            "{} connections and {} other items were not kept (memory limits)",
            l.table.facts_dropped, l.dropped_items
        ));
    }
    if l.table.budget_gaps > 0 {
        out.push(format!(
            "{} times the TCP connections together held {} MiB of out-of-order data: the connection adding \
             more gave up waiting for its missing bytes (memory limit; counted as gaps)",
            l.table.budget_gaps,
            crate::flows::budget::PENDING_BUDGET >> 20
        ));
    }
    if l.http_bodies_cut > 0 {
        out.push(format!(
            "{} HTTP bodies were not kept whole: more than {} MiB of HTTP bodies were open at once \
             (memory limit; their messages say \"body not kept\")",
            l.http_bodies_cut,
            crate::apps::http::budget::BODY_SHARE >> 20
        ));
    }
    if l.http_heads_dropped > 0 {
        out.push(format!(
            "{} HTTP message heads were given up: more than {} MiB of HTTP messages were open at once \
             (memory limit)",
            l.http_heads_dropped,
            crate::apps::http::budget::HTTP_BUDGET >> 20
        ));
    }
    if l.unsupported_frames > 0 {
        out.push(format!(
            "{} frames have a link type that is not decoded",
            l.unsupported_frames
        ));
    }
    if l.malformed_frames > 0 {
        out.push(format!(
            "{} frames could not be decoded (bad headers)",
            l.malformed_frames
        ));
    }
    if l.ip_fragments > 0 {
        out.push(format!(
            "{} IP fragments were not reassembled",
            l.ip_fragments
        ));
    }
    out
}

/// HTTP findings on the connections between the router and the ACS (not the router's other traffic).
fn cwmp_http_problems(ctx: &Ctx<'_>) -> Vec<String> {
    ctx.facts
        .http_problems
        .iter()
        .filter(|p| {
            ctx.facts.conn(p.conn).is_some_and(|c| {
                ctx.roles.is_acs(c.server) || ctx.roles.cpes.contains(&c.server.ip())
            })
        })
        .take(5)
        .map(|p| format!("frame {}: {}", p.at.frame, p.reason))
        .collect()
}

fn capture_summary(facts: &Facts) -> CaptureSummary {
    use crate::capture::CaptureFormat;
    let format = match facts.capture.format {
        CaptureFormat::Pcap {
            big_endian,
            nanosecond,
        } => format!(
            "pcap{}{}",
            if big_endian { ", big-endian" } else { "" },
            if nanosecond { ", ns" } else { "" }
        ),
        CaptureFormat::PcapNg {
            sections,
            interfaces,
        } => format!("pcapng, {sections} section(s), {interfaces} interface(s)"),
    };
    CaptureSummary {
        format,
        frames: facts.capture.frames,
        first: facts.capture.first_ts,
        last: facts.capture.last_ts,
    }
}

fn message_rows(facts: &Facts) -> Vec<MessageRow> {
    facts
        .messages
        .iter()
        .map(|m| MessageRow {
            frame: m.http.last.frame,
            time: m.http.last.ts,
            src: m.http.src,
            dst: m.http.dst,
            http: m.http.summary(),
            rpc: m.envelope().and_then(|e| e.rpc()).map(|r| r.name.clone()),
            complete: m.http.complete(),
        })
        .collect()
}

/// Builds the report of a capture diagnosis.
pub fn build(ctx: &Ctx<'_>, checks: Vec<CheckResult>) -> Report {
    let (ladders, ladders_omitted) = ladder::build(ctx.facts, ctx.sessions);
    let mut report = Report {
        source: ctx.source.to_string(),
        capture: Some(capture_summary(ctx.facts)),
        checks,
        messages: message_rows(ctx.facts),
        assumptions: ctx.roles.assumptions.clone(),
        notes: notes(ctx.facts),
        caveat: caveat(ctx),
        evidence_capture: None,
        ladders,
        ladders_omitted,
    };
    report.notes.extend(cwmp_http_problems(ctx));
    if report.caveat.is_none() && report.count(Status::Skip) == report.checks.len() {
        report.caveat = Some(format!(
            "nothing could be judged: the capture ({} frames, {} HTTP messages) holds no CWMP exchange and \
             none of the FAQ's network steps — capture on the router's WAN side or at the ACS while the \
             router tries to register",
            ctx.facts.capture.frames,
            report.messages.len()
        ));
    }
    report
}

/// Builds the report of a live-only run (no capture): the probes' verdicts and what was probed.
pub fn build_live(checks: Vec<CheckResult>, probed: Vec<String>) -> Report {
    let nothing = checks.iter().all(|c| c.status == Status::Skip);
    Report {
        source: "live".into(),
        capture: None,
        checks,
        messages: Vec::new(),
        assumptions: Vec::new(),
        notes: probed,
        caveat: nothing
            .then(|| "no probe could judge anything (see each check's reason)".to_string()),
        evidence_capture: None,
        ladders: Vec::new(),
        ladders_omitted: 0,
    }
}
