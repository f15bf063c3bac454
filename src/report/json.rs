//! The JSON report (DESIGN.md §3, schema 1): what CI pipelines and other programs read.
//!
//! Takes: a [`Report`]. Gives: pretty-printed JSON with `schema`, `verdict`, `first_failure`, `checks`
//! (all of them, in catalog order, each with `id`, `module`, `step`, `title`, `status`, `summary`,
//! `evidence` and `hint`) and `messages` (every HTTP message in frame order). Fields beyond the contract
//! (`source`, `capture`, `assumptions`, `notes`, `evidence_pcap`, `mode`, `filter`, `complete`) may be
//! added to; none is removed.
//!
//! The document is serialised straight from borrowed views of the report: no intermediate JSON tree, so a
//! capture with tens of thousands of messages costs only the output text.

use std::net::SocketAddr;

use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};

use crate::checks::{CheckResult, Evidence};
use crate::report::{MessageRow, Report, SCHEMA};
use crate::time::Timestamp;

/// A time as its RFC 3339 text, written without an intermediate `String`.
struct Time(Timestamp);

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

#[derive(Serialize)]
struct EvidenceView<'a> {
    source: &'a str,
    frame: Option<u64>,
    time: Option<Time>,
    text: &'a str,
    filter: Option<&'a str>,
}

#[derive(Serialize)]
struct CheckView<'a> {
    id: &'a str,
    module: u8,
    step: u8,
    title: &'a str,
    status: &'a str,
    mode: &'a str,
    summary: &'a str,
    evidence: Vec<EvidenceView<'a>>,
    hint: Option<&'a str>,
    filter: Option<&'a str>,
}

#[derive(Serialize)]
struct MessageView<'a> {
    frame: u64,
    time: Time,
    /// serde writes an address as `ip:port` (`[v6]:port`) in JSON, as `Display` does.
    src: SocketAddr,
    dst: SocketAddr,
    http: &'a str,
    rpc: Option<&'a str>,
    complete: bool,
}

/// Every message, serialised one by one.
struct Messages<'a>(&'a [MessageRow]);

impl Serialize for Messages<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for m in self.0 {
            seq.serialize_element(&MessageView {
                frame: m.frame,
                time: Time(m.time),
                src: m.src,
                dst: m.dst,
                http: &m.http,
                rpc: m.rpc.as_deref(),
                complete: m.complete,
            })?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct CaptureView<'a> {
    format: &'a str,
    frames: u64,
    first: Option<Time>,
    last: Option<Time>,
}

#[derive(Serialize)]
struct FrameMap {
    original: u64,
    evidence: u64,
}

#[derive(Serialize)]
struct EvidencePcapView<'a> {
    file: &'a str,
    frames: Vec<FrameMap>,
}

#[derive(Serialize)]
struct Document<'a> {
    schema: u32,
    source: &'a str,
    verdict: &'a str,
    first_failure: Option<&'a str>,
    /// Why "pass" means nothing here (the capture could not show the CWMP exchange); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    caveat: Option<&'a str>,
    capture: Option<CaptureView<'a>>,
    assumptions: &'a [String],
    notes: &'a [String],
    evidence_pcap: Option<EvidencePcapView<'a>>,
    checks: Vec<CheckView<'a>>,
    messages: Messages<'a>,
}

fn evidence(e: &Evidence) -> EvidenceView<'_> {
    EvidenceView {
        source: &e.source,
        frame: e.frame,
        time: e.time.map(Time),
        text: &e.text,
        filter: e.filter.as_deref(),
    }
}

fn check(c: &CheckResult) -> CheckView<'_> {
    CheckView {
        id: c.id,
        module: c.module,
        step: c.step,
        title: &c.title,
        status: c.status.as_str(),
        mode: c.mode,
        summary: &c.summary,
        evidence: c.evidence.iter().map(evidence).collect(),
        hint: c.hint.as_deref(),
        filter: c.filter.as_deref(),
    }
}

pub fn render(report: &Report) -> String {
    let doc = Document {
        schema: SCHEMA,
        source: &report.source,
        verdict: report.verdict().as_str(),
        first_failure: report.first_failure().map(|c| c.id),
        caveat: report.caveat.as_deref(),
        capture: report.capture.as_ref().map(|c| CaptureView {
            format: &c.format,
            frames: c.frames,
            first: c.first.map(Time),
            last: c.last.map(Time),
        }),
        assumptions: &report.assumptions,
        notes: &report.notes,
        evidence_pcap: report.evidence_capture.as_ref().map(|e| EvidencePcapView {
            file: &e.file,
            frames: e
                .frames
                .iter()
                .map(|&(original, evidence)| FrameMap { original, evidence })
                .collect(),
        }),
        checks: report.checks.iter().map(check).collect(),
        messages: Messages(&report.messages),
    };
    let mut out = serde_json::to_string_pretty(&doc).expect("the report serialises");
    out.push('\n');
    out
}
