//! The file header: the first bytes of a capture, read completely before pcap-parser starts.
//!
//! Takes: the start of the input stream.
//! Gives: the header bytes (to be replayed to pcap-parser) and the [`Format`] they announce, or
//! the [`CaptureError`] that says why this is no capture.
//! Follows: the pcap file header (draft-ietf-opsawg-pcap §4) and the pcapng Section Header Block
//! (draft-ietf-opsawg-pcapng §4.1).
//!
//! Invariants: a pipe may deliver the header in pieces and pcap-parser would take a short first
//! read for a bad header, so this module reads until the header is complete; it reads at most
//! [`MAX_RECORD`] bytes, however long the section header claims to be.

use std::io::{self, Read};

use super::legacy::{self, Legacy};
use super::pcapng::{self, Pcapng};
use super::{CaptureError, MAX_RECORD};

/// The container, as announced by the magic number.
pub(super) enum Format {
    /// Legacy pcap; `None` until pcap-parser hands over the file header.
    Legacy(Option<Legacy>),
    Ng(Pcapng),
}

/// Retries reads interrupted by a signal, which pcap-parser would take for a read error.
pub(super) struct Retry<R>(pub R);

impl<R: Read> Read for Retry<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.0.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                result => return result,
            }
        }
    }
}

/// Reads until `buf` holds `want` bytes or the stream ends.
fn fill_to(reader: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> io::Result<()> {
    while buf.len() < want {
        let start = buf.len();
        buf.resize(want, 0);
        let got = reader.read(&mut buf[start..]);
        buf.truncate(start + *got.as_ref().unwrap_or(&0));
        if got? == 0 {
            break;
        }
    }
    Ok(())
}

/// Reads the file header completely and recognises the format.
pub(super) fn file_header(
    file: &str,
    reader: &mut impl Read,
) -> Result<(Vec<u8>, Format), CaptureError> {
    let read_error = |error| CaptureError::Read {
        file: file.to_string(),
        error,
    };
    let truncated = |format, got: usize, need: usize| CaptureError::TruncatedHeader {
        file: file.to_string(),
        format,
        got: got as u64,
        need: need as u64,
    };
    let mut prefix = Vec::with_capacity(legacy::FILE_HEADER_LEN);
    fill_to(reader, &mut prefix, legacy::FILE_HEADER_LEN).map_err(read_error)?;
    let magic = match prefix.get(..4) {
        _ if prefix.is_empty() => return Err(CaptureError::Empty { file: file.into() }),
        Some(m) => u32::from_le_bytes([m[0], m[1], m[2], m[3]]),
        None => 0,
    };
    if legacy::is_magic(magic) {
        if prefix.len() < legacy::FILE_HEADER_LEN {
            return Err(truncated(
                "pcap file",
                prefix.len(),
                legacy::FILE_HEADER_LEN,
            ));
        }
        return Ok((prefix, Format::Legacy(None)));
    }
    if magic != pcapng::SHB {
        prefix.truncate(4);
        return Err(CaptureError::NotCapture {
            file: file.into(),
            first_bytes: prefix,
        });
    }
    let Some(big_endian) = pcapng::section_big_endian(&prefix) else {
        if prefix.len() < 12 {
            return Err(truncated("pcapng section", prefix.len(), 12));
        }
        return Err(CaptureError::BadHeader {
            file: file.into(),
            reason: format!(
                "pcapng section header has an unknown byte-order magic {:02x?}",
                &prefix[8..12]
            ),
        });
    };
    let len_bytes = [prefix[4], prefix[5], prefix[6], prefix[7]];
    let len = if big_endian {
        u32::from_be_bytes(len_bytes)
    } else {
        u32::from_le_bytes(len_bytes)
    };
    if len < 28 || len % 4 != 0 || u64::from(len) > MAX_RECORD {
        return Err(CaptureError::BadHeader {
            file: file.into(),
            reason: format!("pcapng section header claims an invalid length of {len} bytes"),
        });
    }
    let len = len as usize;
    fill_to(reader, &mut prefix, len).map_err(read_error)?;
    if prefix.len() < len {
        return Err(truncated("pcapng section", prefix.len(), len));
    }
    Ok((prefix, Format::Ng(Pcapng::default())))
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{collect, pcap, pcap_header, shb};
    use std::io::{self, Read};

    /// Interrupts every other read, and fails instead of reporting the end of the data.
    struct Flaky<'a> {
        data: &'a [u8],
        interrupt: bool,
    }

    impl Read for Flaky<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.interrupt = !self.interrupt;
            if self.interrupt {
                return Err(io::ErrorKind::Interrupted.into());
            }
            if self.data.is_empty() {
                return Err(io::Error::other("disk on fire"));
            }
            let n = buf.len().min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn error_of(bytes: &[u8]) -> String {
        match collect(bytes).0 {
            Err(e) => e.to_string(),
            Ok(info) => panic!("read as a capture: {info:?}"),
        }
    }

    #[test]
    fn a_capture_with_no_packets_is_read_as_such() {
        for bytes in [pcap_header(true, true, 1), shb(false)] {
            let (info, frames) = collect(&bytes);
            let info = info.unwrap();
            assert_eq!((info.frames, info.truncated, frames.len()), (0, None, 0));
            assert_eq!((info.bytes_read, info.first_ts), (bytes.len() as u64, None));
        }
    }

    #[test]
    fn interrupted_reads_are_retried_and_read_errors_reported() {
        let header = pcap_header(false, false, 1);
        let flaky = Flaky {
            data: &header,
            interrupt: false,
        };
        let err = super::super::read_frames_from("f.pcap", flaky, |_| {}).unwrap_err();
        assert_eq!(
            err.to_string(),
            "f.pcap: cannot read: read error after the file header"
        );
        let two = pcap(false, false, 1, &[(1, 0, &[0; 60]), (2, 0, &[0; 60])]);
        let flaky = Flaky {
            data: &two,
            interrupt: false,
        };
        let mut frames = 0;
        let info = super::super::read_frames_from("f.pcap", flaky, |_| frames += 1).unwrap();
        let t = info.truncated.unwrap();
        assert_eq!(
            (frames, t.after_frame, t.reason.as_str()),
            (2, 2, "read error")
        );
    }

    #[test]
    fn empty_input_is_an_error() {
        assert_eq!(error_of(b""), "test.pcap: empty file");
    }

    #[test]
    fn text_is_not_a_capture() {
        assert_eq!(
            error_of(b"<?xml version=\"1.0\"?>"),
            "test.pcap: not a pcap or pcapng capture (starts with 3c 3f 78 6d)"
        );
        assert_eq!(
            error_of(b"\n"),
            "test.pcap: not a pcap or pcapng capture (starts with 0a)"
        );
    }

    #[test]
    fn a_file_cut_inside_the_file_header_is_an_error() {
        assert_eq!(
            error_of(&pcap_header(false, false, 1)[..10]),
            "test.pcap: file ends inside the pcap file header (10 of 24 bytes)"
        );
        let section = shb(true);
        assert_eq!(
            error_of(&section[..section.len() - 1]),
            "test.pcap: file ends inside the pcapng section header (27 of 28 bytes)"
        );
        assert_eq!(
            error_of(&section[..6]),
            "test.pcap: file ends inside the pcapng section header (6 of 12 bytes)"
        );
    }

    #[test]
    fn a_damaged_section_header_is_an_error() {
        let mut bad_order = shb(false);
        bad_order[8..12].copy_from_slice(&[1, 2, 3, 4]);
        assert!(error_of(&bad_order).contains("unknown byte-order magic"));
        let mut huge = shb(false);
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            error_of(&huge),
            "test.pcap: pcapng section header claims an invalid length of 4294967295 bytes"
        );
    }
}
