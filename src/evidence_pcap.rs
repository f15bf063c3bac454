//! The evidence capture (`--evidence-pcap FILE`): a small capture R&D can open instead of the original.
//!
//! Takes: the report (the frames its evidence cites and the TCP connections they belong to), the facts
//! (where those connections begin and end) and the original capture. Gives: a capture holding the cited
//! frames and every frame of the cited connections — handshake, the segments that carry the cited messages
//! (so Wireshark can reassemble them), teardown — in the original link type and time stamps, and the map
//! from original frame numbers to the evidence capture's. This is the one output that reads the capture a
//! second time: the frames to keep are known only once the checks have run.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;

use crate::capture::{CaptureWriter, Input, read_frames};
use crate::decode::{Decoded, Transport, decode};
use crate::facts::Facts;
use crate::flows::ConnFacts;
use crate::report::Report;

/// What was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceCapture {
    pub file: String,
    /// (original frame number, frame number in the evidence capture), for every frame written.
    pub frames: Vec<(u64, u64)>,
}

impl EvidenceCapture {
    /// The evidence capture's frame number for an original one.
    pub fn map(&self, original: u64) -> Option<u64> {
        self.frames
            .binary_search_by_key(&original, |(o, _)| *o)
            .ok()
            .map(|i| self.frames[i].1)
    }
}

/// What to copy: single frames, and connections (both endpoints and their frame span).
#[derive(Debug, Default)]
pub struct Selection {
    pub frames: BTreeSet<u64>,
    pub conns: Vec<(SocketAddr, SocketAddr, u64, u64)>,
}

/// The frames and connections the report's evidence cites (evidence from a baseline capture excluded).
pub fn select(report: &Report, facts: &Facts) -> Selection {
    let mut sel = Selection::default();
    let mut conn_ids: BTreeSet<u32> = BTreeSet::new();
    for e in report
        .checks
        .iter()
        .flat_map(|c| &c.evidence)
        .filter(|e| e.source == report.source)
    {
        sel.frames.extend(e.frame);
        conn_ids.extend(e.conn);
    }
    for c in conn_ids.iter().filter_map(|id| facts.conn(*id)) {
        sel.conns
            .push((c.client, c.server, c.first.frame, c.last.frame));
        sel.frames.extend(teardown_and_handshake(c));
    }
    sel
}

fn teardown_and_handshake(c: &ConnFacts) -> Vec<u64> {
    [
        c.syn_first,
        c.syn_last,
        c.syn_ack,
        c.established,
        c.fin[0],
        c.fin[1],
        c.rst.map(|r| r.at),
    ]
    .into_iter()
    .flatten()
    .map(|a| a.frame)
    .collect()
}

/// Copies the selected frames of `input` to `path`.
pub fn write(
    input: &Input,
    sel: &Selection,
    link_types: &[u32],
    path: &Path,
) -> Result<EvidenceCapture, String> {
    let name = path.display().to_string();
    let file = std::fs::File::create(path)
        .map_err(|e| format!("{name}: cannot create the evidence capture: {e}"))?;
    let mut writer = CaptureWriter::new(std::io::BufWriter::new(file), link_types);
    let mut frames = Vec::new();
    let mut failure: Option<std::io::Error> = None;
    read_frames(input, |f| {
        if failure.is_some()
            || !(sel.frames.contains(&f.number)
                || in_selected_conn(sel, f.number, f.link_type, f.data))
        {
            return;
        }
        match writer.push(f) {
            Ok(()) => frames.push((f.number, frames.len() as u64 + 1)),
            Err(e) => failure = Some(e),
        }
    })
    .map_err(|e| e.to_string())?;
    if let Some(e) = failure {
        return Err(format!("{name}: cannot write the evidence capture: {e}"));
    }
    writer
        .finish()
        .map_err(|e| format!("{name}: cannot write the evidence capture: {e}"))?;
    Ok(EvidenceCapture { file: name, frames })
}

/// Whether a frame is a TCP segment of a selected connection, within its span.
fn in_selected_conn(sel: &Selection, number: u64, link_type: u32, data: &[u8]) -> bool {
    if sel.conns.is_empty() {
        return false;
    }
    let Decoded::Ip(p) = decode(link_type, data) else {
        return false;
    };
    let Transport::Tcp(seg) = p.transport else {
        return false;
    };
    let (a, b) = (
        SocketAddr::new(p.src, seg.src_port),
        SocketAddr::new(p.dst, seg.dst_port),
    );
    sel.conns.iter().any(|&(c, s, first, last)| {
        ((a, b) == (c, s) || (a, b) == (s, c)) && (first..=last).contains(&number)
    })
}
