//! The streaming read loop around pcap-parser's `PcapReaderIterator`.
//!
//! Takes: any `Read` stream (file, pipe) and a callback.
//! Gives: every frame to the callback, then the [`CaptureInfo`].
//! Follows: pcap-parser's contract for its circular buffer (`next`, `consume`, `refill`, `grow`),
//! with the checks it leaves to its caller.
//!
//! Invariants:
//! - The file header is read first, completely (see [`super::header`]), and replayed to
//!   pcap-parser ahead of the rest of the stream.
//! - Before the buffer grows, the length the next record claims is read from its header: a
//!   record claiming more than [`MAX_RECORD`] (or a legacy record above [`MAX_PACKET`]) stops
//!   reading, so a hostile length never becomes an allocation. A pcapng block that carries no
//!   packet may be larger: it is consumed as it streams past, without being buffered.
//! - Every pass through the loop consumes bytes, reads bytes, or stops: when the whole claimed
//!   record is buffered and the parser still asks for more, the record is malformed.

use std::io::{Cursor, Read};

use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError, create_reader};

use super::header::{Format, Retry, file_header};
use super::legacy::Legacy;
use super::pcapng::{Pending, Record};
use super::{CaptureError, CaptureFormat, CaptureInfo, Frame, MAX_PACKET, MAX_RECORD, Truncation};

/// Headroom kept above the largest buffered record: pcap-parser reports "buffer too small" when
/// a record would fill its buffer exactly.
const SLACK: usize = 4096;

/// What the record at the front of the buffer is, from its first bytes.
enum Next {
    /// A packet record of this total length.
    Packet(u64),
    /// A pcapng block; see [`Pending`].
    Block(Pending),
}

impl Next {
    fn len(&self) -> u64 {
        match self {
            Next::Packet(len) => *len,
            Next::Block(p) => p.len,
        }
    }
}

/// What one call of the parser led to, owned so the reader can be used again.
enum Step {
    Consume(usize),
    More,
    End,
    CutShort,
    Stop(String),
    Malformed,
}

struct Run<F> {
    info: CaptureInfo,
    format: Format,
    capacity: usize,
    on_frame: F,
}

pub(super) fn read<R: Read + Send>(
    file: &str,
    reader: R,
    initial_capacity: usize,
    on_frame: impl FnMut(&Frame<'_>),
) -> Result<CaptureInfo, CaptureError> {
    let mut reader = Retry(reader);
    let (prefix, format) = file_header(file, &mut reader)?;
    let capacity = initial_capacity.max(prefix.len() + SLACK);
    let mut pcap = create_reader(capacity, Cursor::new(prefix).chain(reader)).map_err(|e| {
        CaptureError::BadHeader {
            file: file.into(),
            reason: format!("invalid capture file header: {e}"),
        }
    })?;
    let mut run = Run {
        info: CaptureInfo {
            source: file.to_string(),
            format: CaptureFormat::PcapNg {
                sections: 0,
                interfaces: 0,
            },
            frames: 0,
            bytes_read: 0,
            first_ts: None,
            last_ts: None,
            link_types: Vec::new(),
            truncated: None,
        },
        format,
        capacity,
        on_frame,
    };
    run.read_all(pcap.as_mut());
    if let Format::Ng(ng) = &run.format {
        run.info.format = CaptureFormat::PcapNg {
            sections: ng.sections,
            interfaces: ng.interfaces_seen,
        };
    }
    Ok(run.info)
}

impl<F: FnMut(&Frame<'_>)> Run<F> {
    fn read_all(&mut self, pcap: &mut dyn PcapReaderIterator) {
        loop {
            let offset = pcap.consumed() as u64;
            let step = match pcap.next() {
                Ok((len, block)) => match self.block(block) {
                    Ok(()) => Step::Consume(len),
                    Err(reason) => Step::Stop(reason),
                },
                Err(PcapError::Eof) => Step::End,
                Err(PcapError::Incomplete(_) | PcapError::BufferTooSmall) => Step::More,
                Err(PcapError::UnexpectedEof) => Step::CutShort,
                Err(PcapError::ReadError) => Step::Stop("read error".into()),
                Err(_) => Step::Malformed,
            };
            let stop = match step {
                Step::Consume(len) => {
                    pcap.consume(len);
                    self.info.bytes_read = offset + len as u64;
                    continue;
                }
                Step::End => return,
                Step::More => match self.more(pcap, offset) {
                    Ok(()) => continue,
                    Err(reason) => reason,
                },
                Step::CutShort => self.cut_short(pcap.data()),
                Step::Stop(reason) => reason,
                Step::Malformed => self.malformed(pcap.data(), false),
            };
            self.info.bytes_read = offset;
            self.info.truncated = Some(Truncation {
                after_frame: self.info.frames,
                at_byte: offset,
                reason: stop,
            });
            return;
        }
    }

    fn block(&mut self, block: PcapBlockOwned<'_>) -> Result<(), String> {
        let number = self.info.frames + 1;
        let (frame, timed) = match (&mut self.format, &block) {
            (Format::Legacy(slot), PcapBlockOwned::LegacyHeader(header)) => {
                let legacy = Legacy::from_header(header);
                *slot = Some(legacy);
                self.info.format = legacy.format();
                self.add_link_type(legacy.link_type);
                return Ok(());
            }
            (Format::Legacy(Some(legacy)), PcapBlockOwned::Legacy(record)) => {
                if u64::from(record.caplen) > MAX_PACKET {
                    return Err(too_big(number, record.caplen.into()));
                }
                (legacy.frame(number, record), true)
            }
            (Format::Ng(ng), PcapBlockOwned::NG(block)) => match ng.record(number, block)? {
                Record::Packet { frame, timed } => (frame, timed),
                Record::Numbered => {
                    self.info.frames = number;
                    return Ok(());
                }
                Record::Interface(link_type) => {
                    self.add_link_type(link_type);
                    return Ok(());
                }
                Record::Nothing => return Ok(()),
            },
            _ => return Err("pcap-parser returned a record out of place".into()),
        };
        self.info.frames = number;
        if timed {
            let ts = frame.ts;
            self.info.first_ts = Some(self.info.first_ts.map_or(ts, |t| t.min(ts)));
            self.info.last_ts = Some(self.info.last_ts.map_or(ts, |t| t.max(ts)));
        }
        (self.on_frame)(&frame);
        Ok(())
    }

    fn add_link_type(&mut self, link_type: u32) {
        if !self.info.link_types.contains(&link_type) {
            self.info.link_types.push(link_type);
        }
    }

    fn next_record(&self, data: &[u8]) -> Option<Next> {
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
    fn malformed(&self, data: &[u8], overrun: bool) -> String {
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
    fn more(&mut self, pcap: &mut dyn PcapReaderIterator, offset: u64) -> Result<(), String> {
        let data = pcap.data();
        if let Some(next) = self.next_record(data) {
            let len = next.len();
            if len <= data.len() as u64 {
                let what = self.describe(data);
                return Err(format!(
                    "{what} is malformed: its fields overrun its {len} bytes"
                ));
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

    fn cut_short(&self, data: &[u8]) -> String {
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

fn too_big(number: u64, len: u64) -> String {
    format!("record of frame {number} claims {len} bytes")
}

#[cfg(test)]
mod tests {
    use super::super::INITIAL_BUFFER;
    use super::super::testdata::*;
    use super::*;

    const ETH: &[u8] = &[0xab; 60];

    fn three_frames() -> Vec<u8> {
        pcap(false, false, 1, &[(1, 0, ETH), (2, 0, ETH), (3, 0, ETH)])
    }

    #[test]
    fn a_pipe_delivering_a_few_bytes_at_a_time_reads_like_a_file() {
        let mut ng = shb(false);
        ng.extend(idb(false, 1, None, None));
        ng.extend(epb(false, 0, 5, ETH));
        for bytes in [three_frames(), ng] {
            let (whole, whole_frames) = collect(&bytes);
            for chunk in [1, 3, 7, 100] {
                let (info, frames) = collect_with(&bytes, chunk, INITIAL_BUFFER);
                assert_eq!(info.unwrap(), *whole.as_ref().unwrap(), "chunk {chunk}");
                assert_eq!(frames, whole_frames, "chunk {chunk}");
            }
        }
    }

    #[test]
    fn a_file_cut_inside_a_record_header_keeps_the_frames_before() {
        let bytes = three_frames();
        let cut = 24 + 76 + 76 + 10;
        let (info, frames) = collect(&bytes[..cut]);
        let info = info.unwrap();
        assert_eq!(frames.len(), 2);
        assert_eq!(info.frames, 2);
        assert_eq!(
            info.truncated,
            Some(Truncation {
                after_frame: 2,
                at_byte: 176,
                reason: "file ends inside a record header (10 bytes)".into()
            })
        );
        assert_eq!(info.bytes_read, 176);
    }

    #[test]
    fn a_file_cut_inside_packet_data_keeps_the_frames_before() {
        let bytes = three_frames();
        let (info, frames) = collect(&bytes[..24 + 76 + 50]);
        let t = info.unwrap().truncated.unwrap();
        assert_eq!(frames.len(), 1);
        assert_eq!((t.after_frame, t.at_byte), (1, 100));
        assert_eq!(
            t.reason,
            "file ends inside the record of frame 2 (50 of 76 bytes)"
        );
    }

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
