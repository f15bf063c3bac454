//! Writing frames back out: the evidence capture R&D opens instead of a 2 GB original.
//!
//! Takes: frames as the reader gave them (original bytes, lengths, link types, nanosecond times). Gives:
//! a classic pcap (libpcap nanosecond format, magic `a1b23c4d`) when every frame has one link type, or a
//! pcapng with one Interface Description Block per link type (`if_tsresol` 9) otherwise — both readable by
//! tshark and Wireshark. Follows the libpcap file format and draft-ietf-opsawg-pcapng §4.1–4.3.

use std::io::{self, Write};

use crate::capture::Frame;

/// Largest snapshot length written in headers (Wireshark's maximum packet size).
const SNAPLEN: u32 = 262_144;

/// A capture being written; frames are buffered by the caller's order of `push`.
pub struct CaptureWriter<W: Write> {
    out: W,
    /// Link types in order of first use; `None` until the format is chosen.
    link_types: Vec<u32>,
    pcapng: bool,
    started: bool,
}

impl<W: Write> CaptureWriter<W> {
    /// `link_types`: every link type the frames will carry. One → classic pcap, several → pcapng.
    pub fn new(out: W, link_types: &[u32]) -> Self {
        let mut distinct: Vec<u32> = Vec::new();
        for l in link_types {
            if !distinct.contains(l) {
                distinct.push(*l);
            }
        }
        CaptureWriter {
            out,
            pcapng: distinct.len() > 1,
            link_types: distinct,
            started: false,
        }
    }

    fn start(&mut self) -> io::Result<()> {
        self.started = true;
        if !self.pcapng {
            let link = self.link_types.first().copied().unwrap_or(1);
            let mut h = Vec::with_capacity(24);
            h.extend_from_slice(&0xa1b2_3c4du32.to_le_bytes());
            h.extend_from_slice(&2u16.to_le_bytes());
            h.extend_from_slice(&4u16.to_le_bytes());
            h.extend_from_slice(&0i32.to_le_bytes());
            h.extend_from_slice(&0u32.to_le_bytes());
            h.extend_from_slice(&SNAPLEN.to_le_bytes());
            h.extend_from_slice(&link.to_le_bytes());
            return self.out.write_all(&h);
        }
        // Section Header Block: byte-order magic, version 1.0, section length unknown (-1).
        let mut shb = Vec::new();
        shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        self.block(0x0a0d_0d0a, &shb)?;
        for link in self.link_types.clone() {
            // Interface Description Block with if_tsresol = 9 (nanoseconds), then opt_endofopt.
            let mut idb = Vec::new();
            idb.extend_from_slice(&(link as u16).to_le_bytes());
            idb.extend_from_slice(&0u16.to_le_bytes());
            idb.extend_from_slice(&SNAPLEN.to_le_bytes());
            idb.extend_from_slice(&9u16.to_le_bytes());
            idb.extend_from_slice(&1u16.to_le_bytes());
            idb.extend_from_slice(&[9, 0, 0, 0]);
            idb.extend_from_slice(&[0, 0, 0, 0]);
            self.block(1, &idb)?;
        }
        Ok(())
    }

    /// One pcapng block: type, total length, body (padded to 4 bytes), total length again.
    fn block(&mut self, kind: u32, body: &[u8]) -> io::Result<()> {
        let pad = (4 - body.len() % 4) % 4;
        let total = (12 + body.len() + pad) as u32;
        self.out.write_all(&kind.to_le_bytes())?;
        self.out.write_all(&total.to_le_bytes())?;
        self.out.write_all(body)?;
        self.out.write_all(&[0u8; 3][..pad])?;
        self.out.write_all(&total.to_le_bytes())
    }

    /// Appends one frame with its original time, lengths and bytes.
    pub fn push(&mut self, f: &Frame<'_>) -> io::Result<()> {
        if !self.started {
            self.start()?;
        }
        let caplen = f.data.len() as u32;
        if !self.pcapng {
            let mut h = Vec::with_capacity(16);
            h.extend_from_slice(&(f.ts.secs.clamp(0, u32::MAX as i64) as u32).to_le_bytes());
            h.extend_from_slice(&f.ts.nanos.to_le_bytes());
            h.extend_from_slice(&caplen.to_le_bytes());
            h.extend_from_slice(&f.orig_len.max(caplen).to_le_bytes());
            self.out.write_all(&h)?;
            return self.out.write_all(f.data);
        }
        let interface = self
            .link_types
            .iter()
            .position(|l| *l == f.link_type)
            .unwrap_or(0) as u32;
        let ns = (f.ts.secs.max(0) as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(u64::from(f.ts.nanos));
        let mut epb = Vec::with_capacity(20 + f.data.len());
        epb.extend_from_slice(&interface.to_le_bytes());
        epb.extend_from_slice(&((ns >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ns as u32).to_le_bytes());
        epb.extend_from_slice(&caplen.to_le_bytes());
        epb.extend_from_slice(&f.orig_len.max(caplen).to_le_bytes());
        epb.extend_from_slice(f.data);
        self.block(6, &epb)
    }

    /// Writes the header of an empty capture if no frame came, and flushes.
    pub fn finish(mut self) -> io::Result<W> {
        if !self.started {
            self.start()?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{CaptureFormat, read_frames_from};
    use crate::time::Timestamp;

    fn frame(number: u64, link_type: u32, data: &[u8]) -> Frame<'_> {
        Frame {
            number,
            ts: Timestamp::new(1_650_903_102, 628_310_123 + number as u32),
            link_type,
            interface: 0,
            data,
            orig_len: data.len() as u32 + 10,
        }
    }

    /// (number, link type, bytes, time, original length) of a frame read back.
    type ReadBack = (u64, u32, Vec<u8>, Timestamp, u32);

    fn read_back(bytes: Vec<u8>) -> (CaptureFormat, Vec<ReadBack>) {
        let mut seen = Vec::new();
        let info = read_frames_from("written", bytes.as_slice(), |f| {
            seen.push((f.number, f.link_type, f.data.to_vec(), f.ts, f.orig_len))
        })
        .expect("what we write reads back");
        assert!(info.truncated.is_none());
        (info.format, seen)
    }

    #[test]
    fn one_link_type_writes_a_nanosecond_pcap_that_reads_back_exactly() {
        let mut w = CaptureWriter::new(Vec::new(), &[1, 1]);
        w.push(&frame(7, 1, b"first")).unwrap();
        w.push(&frame(9, 1, b"second frame")).unwrap();
        let (format, seen) = read_back(w.finish().unwrap());
        assert_eq!(
            format,
            CaptureFormat::Pcap {
                big_endian: false,
                nanosecond: true
            }
        );
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[1].2, b"second frame");
        assert_eq!(seen[1].3, Timestamp::new(1_650_903_102, 628_310_132));
        assert_eq!(seen[1].4, 22);
    }

    #[test]
    fn several_link_types_write_a_pcapng_with_one_interface_each() {
        let mut w = CaptureWriter::new(Vec::new(), &[1, 113]);
        w.push(&frame(1, 113, b"cooked")).unwrap();
        w.push(&frame(2, 1, b"ether")).unwrap();
        let (format, seen) = read_back(w.finish().unwrap());
        assert!(
            matches!(format, CaptureFormat::PcapNg { interfaces: 2, .. }),
            "{format:?}"
        );
        assert_eq!((seen[0].1, seen[1].1), (113, 1));
        assert_eq!(seen[0].3, Timestamp::new(1_650_903_102, 628_310_124));
    }

    #[test]
    fn an_empty_evidence_capture_still_has_a_header() {
        let w = CaptureWriter::new(Vec::new(), &[1]);
        let (_, seen) = read_back(w.finish().unwrap());
        assert!(seen.is_empty());
    }
}
