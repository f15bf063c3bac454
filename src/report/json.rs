//! The JSON report (DESIGN.md §3, schema 1): what CI pipelines and other programs read.
//!
//! Takes: a [`Report`]. Gives: pretty-printed JSON with `schema`, `verdict`, `first_failure`, `checks`
//! (all of them, in catalog order, each with `id`, `module`, `step`, `title`, `status`, `summary`,
//! `evidence` and `hint`) and `messages` (every HTTP message in frame order). Fields beyond the contract
//! (`source`, `capture`, `assumptions`, `notes`, `mode`, `complete`) may be added to; none is removed.

use serde_json::{Value, json};

use crate::report::{Report, SCHEMA};

pub fn render(report: &Report) -> String {
    let checks: Vec<Value> = report
        .checks
        .iter()
        .map(|c| {
            let evidence: Vec<Value> = c
                .evidence
                .iter()
                .map(|e| {
                    json!({
                        "source": e.source,
                        "frame": e.frame,
                        "time": e.time.map(|t| t.to_string()),
                        "text": e.text,
                        "filter": e.filter,
                    })
                })
                .collect();
            json!({
                "id": c.id,
                "module": c.module,
                "step": c.step,
                "title": c.title,
                "status": c.status.as_str(),
                "mode": c.mode,
                "summary": c.summary,
                "evidence": evidence,
                "hint": c.hint,
                "filter": c.filter,
            })
        })
        .collect();
    let messages: Vec<Value> = report
        .messages
        .iter()
        .map(|m| {
            json!({
                "frame": m.frame,
                "time": m.time.to_string(),
                "src": m.src,
                "dst": m.dst,
                "http": m.http,
                "rpc": m.rpc,
                "complete": m.complete,
            })
        })
        .collect();
    let capture = report.capture.as_ref().map(|c| {
        json!({
            "format": c.format,
            "frames": c.frames,
            "first": c.first.map(|t| t.to_string()),
            "last": c.last.map(|t| t.to_string()),
        })
    });
    let evidence_pcap = report.evidence_capture.as_ref().map(|e| {
        let frames: Vec<Value> = e
            .frames
            .iter()
            .map(|(o, n)| json!({"original": o, "evidence": n}))
            .collect();
        json!({"file": e.file, "frames": frames})
    });
    let doc = json!({
        "schema": SCHEMA,
        "source": report.source,
        "verdict": report.verdict().as_str(),
        "first_failure": report.first_failure().map(|c| c.id),
        "capture": capture,
        "assumptions": report.assumptions,
        "notes": report.notes,
        "evidence_pcap": evidence_pcap,
        "checks": checks,
        "messages": messages,
    });
    let mut out = serde_json::to_string_pretty(&doc).expect("a JSON value serialises");
    out.push('\n');
    out
}
