//! Capture stage: reads a pcap or pcapng capture frame by frame.
//!
//! Takes: a capture file or stdin (`--pcap -`), any `Read` stream.
//! Gives: one [`Frame`] per packet record, in file order, to a callback, then a [`CaptureInfo`]
//! saying what was read and, if the file is damaged, where reading stopped and why.
//! Follows: the pcap format (draft-ietf-opsawg-pcap) and pcapng (draft-ietf-opsawg-pcapng);
//! frame numbering and time stamps as Wireshark shows them (DESIGN.md §2, "frame numbers travel
//! with the data").
//!
//! Invariants:
//! - Streaming with a bounded buffer: pcap-parser's circular buffer starts at
//!   [`INITIAL_BUFFER`] bytes and grows only to hold one record, never beyond [`MAX_RECORD`].
//!   Memory does not grow with the capture's size.
//! - `Frame::number` is 1-based and counts every record Wireshark numbers, across all sections:
//!   legacy pcap records, pcapng Enhanced, Simple and Obsolete Packet Blocks, and also pcapng
//!   systemd-journal and custom blocks, which Wireshark shows as frames but which carry no packet
//!   (they take a number and are not passed to the callback).
//! - `Err` only when there is no capture to read (cannot open, empty, not a capture, damaged file
//!   header). Damage after the file header is data: every frame before it is delivered and
//!   [`CaptureInfo::truncated`] says where and why reading stopped.
//! - No input panics, loops forever or makes the reader allocate more than [`MAX_RECORD`].

mod bounds;
mod error;
mod header;
mod interface;
mod legacy;
mod pcapng;
mod stream;
#[cfg(test)]
mod testdata;
pub mod write;

use std::fmt;
use std::path::PathBuf;

pub use error::CaptureError;
pub use write::CaptureWriter;

use crate::time::Timestamp;

/// Initial size of the read buffer; a record larger than this grows the buffer.
pub const INITIAL_BUFFER: usize = 64 * 1024;
/// Largest packet accepted, as Wireshark's `WTAP_MAX_PACKET_SIZE_STANDARD`: a legacy record
/// claiming more stops reading, as it does in Wireshark.
pub const MAX_PACKET: u64 = 256 * 1024;
/// Largest record ever buffered: a maximal packet plus its record header and pcapng options.
/// pcapng blocks that carry no packet (name resolution, statistics, TLS secrets, …) may be
/// larger; they are skipped as they stream past without being buffered.
pub const MAX_RECORD: u64 = MAX_PACKET + 64 * 1024;

/// Where the capture comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A capture file, named as the user gave it.
    File(PathBuf),
    /// Standard input (`--pcap -`), e.g. `tcpdump -w - | cwmp-doctor check --pcap -`.
    Stdin,
}

impl Input {
    /// The name reports use for this input: the path as given, or `stdin`.
    pub fn source_name(&self) -> String {
        match self {
            Input::File(path) => path.display().to_string(),
            Input::Stdin => "stdin".to_string(),
        }
    }
}

/// One captured packet, borrowed from the reader's buffer for the duration of the callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// 1-based frame number exactly as Wireshark shows it (see the module invariants).
    pub number: u64,
    /// Capture time. pcapng `if_tsresol` (10^-n and 2^-n) and `if_tsoffset` are applied and the
    /// fraction is truncated to nanoseconds, as Wireshark does. A pcapng Simple Packet Block has
    /// no time stamp: it carries the previous packet's time (the epoch if it is the first).
    pub ts: Timestamp,
    /// pcap `LINKTYPE_*` of this frame's interface (1 Ethernet, 113 Linux cooked, …).
    pub link_type: u32,
    /// pcapng interface: a running index over all Interface Description Blocks of the file, so
    /// that interface 0 of the second section is not confused with interface 0 of the first.
    /// Always 0 for legacy pcap. (tshark 4.0 shows the section-local id in `frame.interface_id`.)
    pub interface: u32,
    /// Captured bytes (at most the snapshot length; possibly fewer than `orig_len`).
    pub data: &'a [u8],
    /// Length of the packet on the wire.
    pub orig_len: u32,
}

/// Container format and its variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic libpcap file. `nanosecond` for magic `a1b23c4d`; the "modified" (Kuznetzov)
    /// variant `a1b2cd34` reads as little-endian microseconds.
    Pcap { big_endian: bool, nanosecond: bool },
    /// pcapng: number of sections and of interfaces (summed over sections) seen while reading.
    PcapNg { sections: u32, interfaces: u32 },
}

/// Why and where reading stopped before the end of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Truncation {
    /// The last frame number read completely (0 if none).
    pub after_frame: u64,
    /// Byte offset in the file of the record that could not be read.
    pub at_byte: u64,
    /// What is wrong, e.g. "record of frame 1234 claims 4294967295 bytes".
    pub reason: String,
}

impl fmt::Display for Truncation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "reading stopped after frame {} at byte {}: {}",
            self.after_frame, self.at_byte, self.reason
        )
    }
}

/// What was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureInfo {
    /// The file name as given, or `stdin`.
    pub source: String,
    pub format: CaptureFormat,
    /// Frames numbered, i.e. the last frame number (see the module invariants).
    pub frames: u64,
    /// Bytes of complete records read: the file size when the file was read to its end,
    /// `truncated.at_byte` otherwise.
    pub bytes_read: u64,
    /// Earliest packet time stamp (as capinfos' "First packet time").
    pub first_ts: Option<Timestamp>,
    /// Latest packet time stamp (as capinfos' "Last packet time").
    pub last_ts: Option<Timestamp>,
    /// Link types of the file header or of the pcapng interfaces, distinct, in order of first
    /// appearance.
    pub link_types: Vec<u32>,
    /// `Some` when reading stopped before the end of the file.
    pub truncated: Option<Truncation>,
}

/// Reads a capture file, or stdin, frame by frame; see [`read_frames_from`].
pub fn read_frames(
    input: &Input,
    on_frame: impl FnMut(&Frame<'_>),
) -> Result<CaptureInfo, CaptureError> {
    read_frames_from(&input.source_name(), input.open()?, on_frame)
}

impl Input {
    /// Opens the input for reading. `Stdin` rather than `StdinLock`: the reader must be `Send`, and
    /// reads come in large chunks, so taking the lock per read costs nothing.
    pub fn open(&self) -> Result<Box<dyn std::io::Read + Send>, CaptureError> {
        match self {
            Input::File(path) => std::fs::File::open(path)
                .map(|f| Box::new(f) as Box<dyn std::io::Read + Send>)
                .map_err(|error| CaptureError::Open {
                    file: self.source_name(),
                    error,
                }),
            Input::Stdin => Ok(Box::new(std::io::stdin())),
        }
    }
}

/// A reader that reports how many bytes it has read, for a progress bar.
pub struct Counting<R, F> {
    inner: R,
    read: u64,
    report: F,
}

impl<R: std::io::Read, F: FnMut(u64)> Counting<R, F> {
    pub fn new(inner: R, report: F) -> Self {
        Counting {
            inner,
            read: 0,
            report,
        }
    }
}

impl<R: std::io::Read, F: FnMut(u64)> std::io::Read for Counting<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        (self.report)(self.read);
        Ok(n)
    }
}

/// Reads a capture from any stream, calling `on_frame` for every packet in file order.
///
/// `source_name` names the input in errors and in [`CaptureInfo::source`].
pub fn read_frames_from<R: std::io::Read + Send>(
    source_name: &str,
    reader: R,
    on_frame: impl FnMut(&Frame<'_>),
) -> Result<CaptureInfo, CaptureError> {
    stream::read(source_name, reader, INITIAL_BUFFER, on_frame)
}

#[cfg(test)]
mod tests {
    use super::testdata::{collect, pcap};
    use super::*;

    const ETH: &[u8] = &[0x11; 54];

    #[test]
    fn both_byte_orders_and_time_units_read_alike() {
        for big_endian in [false, true] {
            for nanosecond in [false, true] {
                let frac = if nanosecond { 628_310_123 } else { 628_310 };
                let bytes = pcap(big_endian, nanosecond, 113, &[(1_650_903_102, frac, ETH)]);
                let (info, frames) = collect(&bytes);
                let info = info.unwrap();
                assert_eq!(
                    info.format,
                    CaptureFormat::Pcap {
                        big_endian,
                        nanosecond
                    }
                );
                assert_eq!((info.frames, info.bytes_read), (1, bytes.len() as u64));
                assert_eq!(info.link_types, [113]);
                let f = &frames[0];
                assert_eq!((f.number, f.link_type, f.interface), (1, 113, 0));
                assert_eq!((f.data.as_slice(), f.orig_len), (ETH, 58));
                let nanos = if nanosecond { 628_310_123 } else { 628_310_000 };
                assert_eq!(f.ts, Timestamp::new(1_650_903_102, nanos));
                assert_eq!(info.first_ts, Some(f.ts));
            }
        }
    }

    #[test]
    fn reads_a_file_by_name_and_names_it_in_errors() {
        let dir = std::env::temp_dir().join(format!("cwmp-doctor-capture-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("two.pcap");
        std::fs::write(&path, pcap(false, false, 1, &[(1, 0, ETH), (2, 0, ETH)])).unwrap();
        let mut numbers = Vec::new();
        let info = read_frames(&Input::File(path.clone()), |f| numbers.push(f.number)).unwrap();
        assert_eq!(numbers, [1, 2]);
        assert_eq!(info.source, path.display().to_string());
        let missing = Input::File(dir.join("missing.pcap"));
        let err = read_frames(&missing, |_| {}).unwrap_err();
        assert!(
            err.to_string().contains("missing.pcap: cannot open: "),
            "{err}"
        );
        let err = read_frames(&Input::File(dir.clone()), |_| {}).unwrap_err();
        assert!(err.to_string().contains(": cannot read: "), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(Input::Stdin.source_name(), "stdin");
    }
}
