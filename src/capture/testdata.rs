//! Test helpers: capture files built byte by byte, and a collector for what the reader gives.

use super::{CaptureError, CaptureInfo, Frame};
use crate::time::Timestamp;

/// A frame copied out of the reader's buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owned {
    pub number: u64,
    pub ts: Timestamp,
    pub link_type: u32,
    pub interface: u32,
    pub data: Vec<u8>,
    pub orig_len: u32,
}

fn u16b(v: u16, be: bool) -> [u8; 2] {
    if be { v.to_be_bytes() } else { v.to_le_bytes() }
}

fn u32b(v: u32, be: bool) -> [u8; 4] {
    if be { v.to_be_bytes() } else { v.to_le_bytes() }
}

/// A legacy pcap file header.
pub fn pcap_header(be: bool, nanos: bool, link_type: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(u32b(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }, be));
    out.extend(u16b(2, be));
    out.extend(u16b(4, be));
    out.extend([0; 8]);
    out.extend(u32b(65535, be));
    out.extend(u32b(link_type, be));
    out
}

/// A legacy pcap record whose captured length field says `caplen`.
pub fn pcap_record(be: bool, secs: u32, frac: u32, caplen: u32, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [secs, frac, caplen, data.len() as u32 + 4] {
        out.extend(u32b(v, be));
    }
    out.extend_from_slice(data);
    out
}

/// A legacy pcap file with one record per `(secs, frac, data)`.
pub fn pcap(be: bool, nanos: bool, link_type: u32, records: &[(u32, u32, &[u8])]) -> Vec<u8> {
    let mut out = pcap_header(be, nanos, link_type);
    for (secs, frac, data) in records {
        out.extend(pcap_record(be, *secs, *frac, data.len() as u32, data));
    }
    out
}

/// A pcapng block: type, length, body padded to 32 bits, length.
pub fn block(be: bool, block_type: u32, body: &[u8]) -> Vec<u8> {
    let pad = (4 - body.len() % 4) % 4;
    let len = (body.len() + pad + 12) as u32;
    let mut out = Vec::new();
    out.extend(u32b(block_type, be));
    out.extend(u32b(len, be));
    out.extend_from_slice(body);
    out.extend(std::iter::repeat_n(0, pad));
    out.extend(u32b(len, be));
    out
}

pub fn shb(be: bool) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u32b(0x1A2B_3C4D, be));
    body.extend(u16b(1, be));
    body.extend(u16b(0, be));
    body.extend(if be {
        (-1i64).to_be_bytes()
    } else {
        (-1i64).to_le_bytes()
    });
    block(be, 0x0A0D_0D0A, &body)
}

/// An interface description block with optional `if_tsresol` and `if_tsoffset`.
pub fn idb(be: bool, link_type: u16, tsresol: Option<u8>, tsoffset: Option<i64>) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u16b(link_type, be));
    body.extend([0, 0]);
    body.extend(u32b(0, be));
    if let Some(r) = tsresol {
        body.extend(u16b(9, be));
        body.extend(u16b(1, be));
        body.extend([r, 0, 0, 0]);
    }
    if let Some(o) = tsoffset {
        body.extend(u16b(14, be));
        body.extend(u16b(8, be));
        body.extend(if be { o.to_be_bytes() } else { o.to_le_bytes() });
    }
    if tsresol.is_some() || tsoffset.is_some() {
        body.extend([0; 4]);
    }
    block(be, 1, &body)
}

/// An enhanced packet block; `ticks` in the interface's time units.
pub fn epb(be: bool, if_id: u32, ticks: u64, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    let len = data.len() as u32;
    for v in [if_id, (ticks >> 32) as u32, ticks as u32, len, len + 4] {
        body.extend(u32b(v, be));
    }
    body.extend_from_slice(data);
    block(be, 6, &body)
}

pub fn spb(be: bool, data: &[u8]) -> Vec<u8> {
    let mut body = u32b(data.len() as u32, be).to_vec();
    body.extend_from_slice(data);
    block(be, 3, &body)
}

pub fn opb(be: bool, if_id: u16, ticks: u64, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u16b(if_id, be));
    body.extend(u16b(0, be));
    let len = data.len() as u32;
    for v in [(ticks >> 32) as u32, ticks as u32, len, len] {
        body.extend(u32b(v, be));
    }
    body.extend_from_slice(data);
    block(be, 2, &body)
}

/// A reader that hands out at most `chunk` bytes per read, as a pipe may.
pub struct Trickle<'a> {
    pub data: &'a [u8],
    pub chunk: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.chunk).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Reads `bytes` with the given initial buffer size and collects every frame.
pub fn collect_with(
    bytes: &[u8],
    chunk: usize,
    capacity: usize,
) -> (Result<CaptureInfo, CaptureError>, Vec<Owned>) {
    let mut frames = Vec::new();
    let reader = Trickle { data: bytes, chunk };
    let result = super::stream::read("test.pcap", reader, capacity, |f: &Frame<'_>| {
        frames.push(Owned {
            number: f.number,
            ts: f.ts,
            link_type: f.link_type,
            interface: f.interface,
            data: f.data.to_vec(),
            orig_len: f.orig_len,
        })
    });
    (result, frames)
}

/// Reads `bytes` in one piece with the default buffer.
pub fn collect(bytes: &[u8]) -> (Result<CaptureInfo, CaptureError>, Vec<Owned>) {
    collect_with(bytes, usize::MAX, super::INITIAL_BUFFER)
}
