//! The evidence capture (`--evidence-pcap FILE`): a small capture R&D can open instead of the original.
//!
//! Takes: the report (the frames its evidence cites and the TCP connections they belong to), the facts
//! (where those connections begin and end, the DNS queries) and the original capture. Gives: a capture
//! holding the cited frames, the query of every cited DNS answer, and for every TCP connection a cited
//! frame belongs to: all its frames when it has at most [`WHOLE_CONN_FRAMES`], else its handshake, its
//! teardown and the segments of the cited messages (so Wireshark can reassemble them) — in the original
//! link type and time stamps, and the map from original frame numbers to the evidence capture's.
//!
//! Invariants: a frame cited without its connection (evidence built at a bare frame) still brings its
//! connection: the first of the two reads settles which connection holds it by its addresses. This is
//! the one output that reads the capture again: the frames to keep are known only once the checks ran.

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

/// What the evidence capture holds, in words for the reports.
pub const WHAT_IT_HOLDS: &str = "the cited frames, the DNS lookups they belong to, and every frame of \
     their TCP connections (handshake, teardown and the segments of the cited messages only, for a \
     connection longer than 200 frames)";

/// A connection is copied whole up to this many frames; a longer one keeps its handshake, its teardown
/// and the segments of the cited messages (so a 10 000-frame download does not bloat the ticket).
pub const WHOLE_CONN_FRAMES: u64 = 200;

/// A connection that may be copied: its endpoints, frame span, handshake and teardown frames, and the
/// frame spans of the cited messages it carries.
#[derive(Clone, Debug)]
pub struct SelConn {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub first: u64,
    pub last: u64,
    pub edges: BTreeSet<u64>,
    pub spans: Vec<(u64, u64)>,
    /// Copied whole: at most [`WHOLE_CONN_FRAMES`] frames (the engine counted them).
    pub whole: bool,
}

impl SelConn {
    fn holds(&self, a: SocketAddr, b: SocketAddr, number: u64) -> bool {
        ((a, b) == (self.client, self.server) || (a, b) == (self.server, self.client))
            && (self.first..=self.last).contains(&number)
    }

    /// Whether a frame of this connection is copied: any when it is copied whole, else its handshake,
    /// its teardown and the segments of its cited messages.
    fn keeps(&self, number: u64) -> bool {
        self.whole
            || self.edges.contains(&number)
            || self.spans.iter().any(|&(s, e)| (s..=e).contains(&number))
    }
}

/// What to copy: single frames (evidence outside TCP: DNS, ICMP, STUN) and the cited TCP connections.
/// Evidence at a TCP frame carries its connection ([`crate::checks::Evidence::in_conn`]), so no frame
/// has to be matched to a connection by reading the capture again.
#[derive(Debug, Default)]
pub struct Selection {
    pub frames: BTreeSet<u64>,
    pub conns: Vec<SelConn>,
}

/// The frames and connections the report's evidence cites (evidence from a baseline capture excluded),
/// with the query of every cited DNS answer.
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
    let cited = sel.frames.clone();
    sel.frames.extend(dns_queries(facts, &cited));
    let mut spans: std::collections::BTreeMap<u32, Vec<(u64, u64)>> = Default::default();
    for m in facts
        .messages
        .iter()
        .filter(|m| conn_ids.contains(&m.http.conn) && cited.contains(&m.at().frame))
    {
        spans
            .entry(m.http.conn)
            .or_default()
            .push((m.http.first.frame, m.http.last.frame));
    }
    for c in conn_ids.iter().filter_map(|id| facts.conn(*id)) {
        let conn = SelConn {
            client: c.client,
            server: c.server,
            first: c.first.frame,
            last: c.last.frame,
            edges: teardown_and_handshake(c).into_iter().collect(),
            spans: spans.remove(&c.id).unwrap_or_default(),
            whole: u64::from(c.frames) <= WHOLE_CONN_FRAMES,
        };
        sel.frames.extend(&conn.edges);
        sel.conns.push(conn);
    }
    sel
}

/// The whole lookup behind a cited DNS message: every query and answer between the same two addresses
/// for the same name (the A and AAAA lookups of a host go together; an answer needs its query).
fn dns_queries(facts: &Facts, cited: &BTreeSet<u64>) -> Vec<u64> {
    let name = |d: &crate::facts::Datagram<crate::apps::dns::DnsMessage>| {
        d.msg.questions.first().map(|(n, _)| n.to_ascii_lowercase())
    };
    let lookups: Vec<_> = facts
        .dns
        .iter()
        .filter(|d| cited.contains(&d.at.frame))
        .filter_map(|d| Some((d.src, d.dst, name(d)?)))
        .collect();
    facts
        .dns
        .iter()
        .filter(|d| {
            let n = name(d);
            lookups.iter().any(|(a, b, l)| {
                ((d.src, d.dst) == (*a, *b) || (d.src, d.dst) == (*b, *a)) && n.as_ref() == Some(l)
            })
        })
        .map(|d| d.at.frame)
        .collect()
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

fn tcp_endpoints(link_type: u32, data: &[u8]) -> Option<(SocketAddr, SocketAddr)> {
    let Decoded::Ip(p) = decode(link_type, data) else {
        return None;
    };
    let Transport::Tcp(seg) = p.transport else {
        return None;
    };
    Some((
        SocketAddr::new(p.src, seg.src_port),
        SocketAddr::new(p.dst, seg.dst_port),
    ))
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
                || in_conns(&sel.conns, f.number, f.link_type, f.data))
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

/// Whether a frame is a TCP segment of a connection to copy: any of a whole one; the handshake,
/// teardown and cited messages' segments of a long one.
fn in_conns(conns: &[SelConn], number: u64, link_type: u32, data: &[u8]) -> bool {
    if conns.is_empty() {
        return false;
    }
    let Some((a, b)) = tcp_endpoints(link_type, data) else {
        return false;
    };
    conns
        .iter()
        .any(|c| c.holds(a, b, number) && c.keeps(number))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Input;

    fn conn(whole: bool) -> SelConn {
        SelConn {
            client: "203.0.113.7:40000".parse().unwrap(),
            server: "198.51.100.20:7547".parse().unwrap(),
            first: 10,
            last: 900,
            edges: [10, 11, 12, 899, 900].into_iter().collect(),
            spans: vec![(40, 43)],
            whole,
        }
    }

    #[test]
    fn a_long_connection_keeps_its_edges_and_cited_messages_only() {
        let c = conn(false);
        let kept: Vec<u64> = (1..=1000).filter(|&n| c.keeps(n)).collect();
        assert_eq!(kept, [10, 11, 12, 40, 41, 42, 43, 899, 900]);
        assert!((10..=900).all(|n| conn(true).keeps(n)));
        let (cpe, acs) = (c.client, c.server);
        assert!(c.holds(acs, cpe, 500) && !c.holds(acs, cpe, 901));
        assert!(!c.holds(cpe, "198.51.100.20:80".parse().unwrap(), 500));
    }

    /// Whether a connection is copied whole comes from the engine's frame count, not from reading
    /// the capture again: the short connection of frames 1–8 counts 8 frames.
    #[test]
    fn a_short_connection_is_copied_whole_by_the_engines_count() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/review-retest-503-fast/capture.pcap");
        let facts = crate::engine::analyze(&Input::File(path)).expect("readable");
        let c = facts
            .conns
            .iter()
            .find(|c| c.first.frame == 1)
            .expect("a connection at frame 1");
        assert_eq!((c.first.frame, c.last.frame, c.frames), (1, 8, 8));
        assert!(u64::from(c.frames) <= WHOLE_CONN_FRAMES);
    }
}
