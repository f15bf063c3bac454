//! What the record at the front of the buffer claims, and what the reader does about it.
//!
//! Takes: the reader's buffered bytes when pcap-parser asks for more than it holds, or fails.
//! Gives: a grown buffer, a skipped block, or the reason reading stops, in words that name the
//! frame ("record of frame 1234 claims 4294967295 bytes").
//! Follows: the record header layouts (pcap §5: captured length at offset 8; pcapng §3.1: block
//! type and total length at offsets 0 and 4, in the section's byte order).
//!
//! Invariants:
//! - The buffer grows only to hold a record whose claimed length is within [`MAX_RECORD`] (a
//!   legacy record within [`super::MAX_PACKET`], Wireshark's limit), never on a hostile length.
//! - A pcapng block without packets larger than that is consumed as it streams past.
//! - When the whole claimed record is buffered and the parser still asks for more, the record
//!   is malformed: each call consumes, reads, or stops, so reading always ends.

use pcap_parser::traits::PcapReaderIterator;

use super::header::Format;
use super::pcapng::Pending;
use super::stream::Run;
use super::{Frame, MAX_RECORD};

/// Headroom kept above the largest buffered record: pcap-parser reports "buffer too small" when
/// a record would fill its buffer exactly.
pub(super) const SLACK: usize = 4096;

/// What the record at the front of the buffer is, from its first bytes.
pub(super) enum Next {
    /// A packet record of this total length.
    Packet(u64),
    /// A pcapng block; see [`Pending`].
    Block(Pending),
}

impl Next {
    pub fn len(&self) -> u64 {
        match self {
            Next::Packet(len) => *len,
            Next::Block(p) => p.len,
        }
    }
}

impl<F: FnMut(&Frame<'_>)> Run<F> {
    pub fn next_record(&self, data: &[u8]) -> Option<Next> {
        match &self.format {
            Format::Legacy(Some(legacy)) => legacy.claimed_len(data).map(Next::Packet),
            Format::Legacy(None) => None,
            Format::Ng(ng) => ng.pending(data).map(|p| {
                if p.is_packet() {
                    Next::Packet(p.len)
                } else {
                    Next::Block(p)
                }
            }),
        }
    }

    fn describe(&self, data: &[u8]) -> String {
        let number = self.info.frames + 1;
        match self.next_record(data) {
            Some(Next::Packet(_)) | None => format!("record of frame {number}"),
            Some(Next::Block(p)) => format!(
                "pcapng block of type {:#x} after frame {}",
                p.block_type, self.info.frames
            ),
        }
    }

    /// Why the record at the front of the buffer cannot be parsed; `overrun` when the parser
    /// asked for more bytes than the record claims.
    pub fn malformed(&self, data: &[u8], overrun: bool) -> String {
        let what = self.describe(data);
        match self.next_record(data) {
            // Every pcapng block has 12 bytes of type and lengths and a 32-bit aligned size
            // (pcapng §3.1).
            Some(Next::Block(p)) if p.len < 12 || p.len % 4 != 0 => {
                format!("{what} claims an invalid length of {} bytes", p.len)
            }
            Some(next) if overrun => {
                format!(
                    "{what} is malformed: its fields overrun its {} bytes",
                    next.len()
                )
            }
            _ => format!("{what} is malformed"),
        }
    }

    /// The parser needs more bytes than are buffered: grow the buffer if the record fits,
    /// skip it if it is a large block without packets, stop if it is hostile or malformed.
    pub fn more(&mut self, pcap: &mut dyn PcapReaderIterator, offset: u64) -> Result<(), String> {
        let data = pcap.data();
        if let Some(next) = self.next_record(data) {
            let len = next.len();
            if len <= data.len() as u64 {
                return Err(self.malformed(data, true));
            }
            let hostile = match (&next, &self.format) {
                (Next::Packet(_), Format::Legacy(Some(legacy))) => legacy.too_big(len),
                _ => len > MAX_RECORD,
            };
            if hostile {
                let number = self.info.frames + 1;
                return match (next, &self.format) {
                    (Next::Block(p), _) if !p.must_buffer() => self.skip(pcap, p, offset),
                    (Next::Block(p), _) => Err(format!(
                        "pcapng block of type {:#x} after frame {} claims {len} bytes",
                        p.block_type, self.info.frames
                    )),
                    (Next::Packet(_), Format::Legacy(Some(legacy))) => {
                        Err(too_big(number, len - legacy.record_header_len()))
                    }
                    (Next::Packet(_), _) => Err(too_big(number, len)),
                };
            }
            let need = len as usize + SLACK;
            if need > self.capacity {
                pcap.grow(need);
                self.capacity = need;
            }
        }
        if pcap.data().len() >= self.capacity {
            return Err(format!(
                "{} does not fit the buffer",
                self.describe(pcap.data())
            ));
        }
        pcap.refill().map_err(|_| "read error".to_string())
    }

    /// Consumes a block too large to buffer as it streams past.
    fn skip(
        &mut self,
        pcap: &mut dyn PcapReaderIterator,
        p: Pending,
        offset: u64,
    ) -> Result<(), String> {
        let mut remaining = p.len;
        loop {
            let n = remaining.min(pcap.data().len() as u64);
            pcap.consume(n as usize);
            remaining -= n;
            if remaining == 0 {
                break;
            }
            pcap.refill().map_err(|_| "read error".to_string())?;
            if pcap.data().is_empty() {
                return Err(format!(
                    "file ends inside a pcapng block of type {:#x} ({} of {} bytes)",
                    p.block_type,
                    p.len - remaining,
                    p.len
                ));
            }
        }
        if p.is_numbered() {
            self.info.frames += 1;
        }
        self.info.bytes_read = offset + p.len;
        Ok(())
    }

    pub fn cut_short(&self, data: &[u8]) -> String {
        let have = data.len();
        match self.next_record(data) {
            Some(next) => format!(
                "file ends inside the {} ({have} of {} bytes)",
                self.describe(data),
                next.len()
            ),
            None => format!("file ends inside a record header ({have} bytes)"),
        }
    }
}

pub(super) fn too_big(number: u64, len: u64) -> String {
    format!("record of frame {number} claims {len} bytes")
}

#[cfg(test)]
mod tests {
    use super::super::testdata::*;
    use super::super::{INITIAL_BUFFER, MAX_PACKET};
    use super::*;

    const ETH: &[u8] = &[0xab; 60];

    #[test]
    fn a_hostile_record_length_stops_reading() {
        let mut bytes = pcap(true, false, 1, &[(1, 0, ETH)]);
        bytes.extend(pcap_record(true, 2, 0, u32::MAX, ETH));
        let (info, frames) = collect(&bytes);
        let t = info.unwrap().truncated.unwrap();
        assert_eq!(frames.len(), 1);
        assert_eq!(t.reason, "record of frame 2 claims 4294967295 bytes");
        assert_eq!((t.after_frame, t.at_byte), (1, 100));
    }

    #[test]
    fn a_legacy_record_above_wiresharks_limit_stops_reading() {
        let max = vec![0u8; MAX_PACKET as usize];
        let over = vec![0u8; MAX_PACKET as usize + 1];
        let (ok, frames) = collect(&pcap(false, true, 1, &[(1, 0, &max)]));
        assert_eq!((ok.unwrap().truncated, frames.len()), (None, 1));
        let (info, frames) = collect(&pcap(false, true, 1, &[(1, 0, ETH), (1, 0, &over)]));
        assert_eq!(frames.len(), 1);
        assert_eq!(
            info.unwrap().truncated.unwrap().reason,
            "record of frame 2 claims 262145 bytes"
        );
    }

    #[test]
    fn frames_bigger_than_the_buffer_grow_it() {
        let big = vec![7u8; 100 * 1024];
        let bytes = pcap(false, false, 1, &[(1, 0, ETH), (2, 0, &big), (3, 0, ETH)]);
        let (info, frames) = collect(&bytes);
        assert_eq!(info.unwrap().truncated, None);
        assert_eq!(frames[1].data, big);
        let small = vec![9u8; 1000];
        let bytes = pcap(false, false, 1, &[(1, 0, &small), (2, 0, &small)]);
        let (info, frames) = collect_with(&bytes, 333, 256);
        assert_eq!(info.unwrap().bytes_read, bytes.len() as u64);
        assert_eq!(frames.len(), 2);
        assert!(frames.iter().all(|f| f.data == small));
    }

    #[test]
    fn a_packet_overrunning_its_block_stops_reading() {
        let mut bytes = shb(false);
        bytes.extend(idb(false, 1, None, None));
        bytes.extend(epb(false, 0, 1, ETH));
        let mut bad = epb(false, 0, 2, ETH);
        bad[20..24].copy_from_slice(&1000u32.to_le_bytes()); // captured length > block
        bytes.extend(bad);
        let (info, frames) = collect(&bytes);
        assert_eq!(frames.len(), 1);
        let t = info.unwrap().truncated.unwrap();
        assert!(
            t.reason.starts_with("record of frame 2 is malformed"),
            "{}",
            t.reason
        );
    }

    #[test]
    fn trailing_garbage_stops_reading_after_the_last_frame() {
        let mut bytes = shb(false);
        bytes.extend(idb(false, 1, None, None));
        bytes.extend(epb(false, 0, 1, ETH));
        let end = bytes.len() as u64;
        bytes.extend([0u8; 16]);
        let (info, frames) = collect(&bytes);
        let info = info.unwrap();
        assert_eq!((frames.len(), info.bytes_read), (1, end));
        let t = info.truncated.unwrap();
        assert_eq!((t.after_frame, t.at_byte), (1, end));
        assert_eq!(
            t.reason,
            "pcapng block of type 0x0 after frame 1 claims an invalid length of 0 bytes"
        );
    }

    #[test]
    fn large_blocks_without_packets_stream_past() {
        let names = block(false, 4, &vec![b'a'; 600 * 1024]); // name resolution block
        let journal = block(false, 9, &vec![b'j'; 400 * 1024]); // numbered, no packet
        let mut bytes = shb(false);
        bytes.extend(idb(false, 1, None, None));
        bytes.extend(epb(false, 0, 1, ETH));
        bytes.extend(&names);
        bytes.extend(&journal);
        bytes.extend(epb(false, 0, 2, ETH));
        let (info, frames) = collect_with(&bytes, 5000, INITIAL_BUFFER);
        let info = info.unwrap();
        assert_eq!(info.truncated, None);
        assert_eq!(info.bytes_read, bytes.len() as u64);
        assert_eq!(frames.iter().map(|f| f.number).collect::<Vec<_>>(), [1, 3]);
        let cut = bytes.len() - journal.len() - 100;
        let (info, frames) = collect(&bytes[..cut]);
        assert_eq!(frames.len(), 1);
        let t = info.unwrap().truncated.unwrap();
        assert!(
            t.reason
                .starts_with("file ends inside a pcapng block of type 0x4")
        );
    }

    #[test]
    fn an_oversized_interface_block_stops_reading() {
        let mut bytes = shb(false);
        bytes.extend(idb(false, 1, None, None));
        bytes.extend(epb(false, 0, 1, ETH));
        bytes.extend(block(false, 1, &vec![0; MAX_RECORD as usize]));
        let (info, frames) = collect(&bytes);
        assert_eq!(frames.len(), 1);
        let reason = info.unwrap().truncated.unwrap().reason;
        assert_eq!(
            reason,
            "pcapng block of type 0x1 after frame 1 claims 327692 bytes"
        );
    }
}
