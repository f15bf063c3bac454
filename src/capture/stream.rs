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
//! - When the parser asks for more bytes, [`super::bounds`] decides from the length the record
//!   claims: grow the buffer, skip the block, or stop. A hostile length never becomes an
//!   allocation, and every pass through the loop consumes bytes, reads bytes, or stops.
//! - Frame numbers, first/last time stamps and link types are counted here, once per record.

use std::io::{Cursor, Read};

use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError, create_reader};

use super::bounds::{SLACK, too_big};
use super::header::{Format, Retry, file_header};
use super::legacy::Legacy;
use super::pcapng::Record;
use super::{CaptureError, CaptureFormat, CaptureInfo, Frame, MAX_PACKET, Truncation};

/// What one call of the parser led to, owned so the reader can be used again.
enum Step {
    Consume(usize),
    More,
    End,
    CutShort,
    Stop(String),
    Malformed,
}

/// One read of a capture: what was found so far and the reader's buffer size.
pub(super) struct Run<F> {
    pub info: CaptureInfo,
    pub format: Format,
    /// Size of pcap-parser's buffer, which it does not expose.
    pub capacity: usize,
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
    let mut pcap =
        create_reader(capacity, Cursor::new(prefix).chain(reader)).map_err(|e| match e {
            // pcap-parser reads once more behind the header and drops the io::Error.
            PcapError::ReadError => CaptureError::Read {
                file: file.into(),
                error: std::io::Error::other("read error after the file header"),
            },
            e => CaptureError::BadHeader {
                file: file.into(),
                reason: format!("invalid capture file header: {e}"),
            },
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
}
