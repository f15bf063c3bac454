//! Classic libpcap files: the file header and packet records.
//!
//! Takes: pcap-parser's `PcapHeader` and `LegacyPcapBlock`s (it does the byte order).
//! Gives: the [`CaptureFormat`] and link type from the header, and a [`Frame`] per record.
//! Follows: draft-ietf-opsawg-pcap §4 (file header) and §5 (packet record), libpcap's magic
//! numbers (`a1b2c3d4` µs, `a1b23c4d` ns, `a1b2cd34` modified), as Wireshark's `libpcap.c`.
//!
//! Invariants: the link type keeps only its low 26 bits (the upper bits carry FCS information,
//! libpcap's `LT_LINKTYPE`); the time stamp fraction may exceed one second in damaged files and
//! then carries into the seconds instead of wrapping.

use pcap_parser::{LegacyPcapBlock, PcapHeader};

use super::{CaptureFormat, Frame, MAX_PACKET};
use crate::time::Timestamp;

/// Magic numbers as read little-endian from the first four bytes.
const MAGICS_LE: [u32; 3] = [0xa1b2_c3d4, 0xa1b2_3c4d, 0xa1b2_cd34];
const MAGICS_BE: [u32; 2] = [0xd4c3_b2a1, 0x4d3c_b2a1];
/// Size of the file header.
pub(super) const FILE_HEADER_LEN: usize = 24;

/// True if `magic` (the first four bytes, read little-endian) opens a pcap file pcap-parser reads.
pub(super) fn is_magic(magic: u32) -> bool {
    MAGICS_LE.contains(&magic) || MAGICS_BE.contains(&magic)
}

/// What the file header says about every record.
#[derive(Clone, Copy, Debug)]
pub(super) struct Legacy {
    pub big_endian: bool,
    nanosecond: bool,
    modified: bool,
    pub link_type: u32,
}

impl Legacy {
    pub fn from_header(header: &PcapHeader) -> Self {
        Legacy {
            big_endian: header.is_bigendian(),
            nanosecond: header.is_nanosecond_precision(),
            modified: header.is_modified_format(),
            link_type: (header.network.0 as u32) & 0x03FF_FFFF,
        }
    }

    pub fn format(&self) -> CaptureFormat {
        CaptureFormat::Pcap {
            big_endian: self.big_endian,
            nanosecond: self.nanosecond,
        }
    }

    /// Size of a record header: 16 bytes, 24 in the modified format.
    pub fn record_header_len(&self) -> u64 {
        if self.modified { 24 } else { 16 }
    }

    /// Total length (header and data) the record starting at `data` claims, once its header is
    /// buffered: what the reader must hold to parse it.
    pub fn claimed_len(&self, data: &[u8]) -> Option<u64> {
        let field: [u8; 4] = data.get(8..12)?.try_into().ok()?;
        let caplen = if self.big_endian {
            u32::from_be_bytes(field)
        } else {
            u32::from_le_bytes(field)
        };
        Some(self.record_header_len() + u64::from(caplen))
    }

    /// Whether a record of `claimed_len` total bytes is too big to read (Wireshark's limit).
    pub fn too_big(&self, claimed_len: u64) -> bool {
        claimed_len - self.record_header_len() > MAX_PACKET
    }

    pub fn frame<'a>(&self, number: u64, record: &LegacyPcapBlock<'a>) -> Frame<'a> {
        let scale: u64 = if self.nanosecond { 1 } else { 1000 };
        let nanos = u64::from(record.ts_usec) * scale;
        let secs = i64::from(record.ts_sec) + (nanos / 1_000_000_000) as i64;
        Frame {
            number,
            ts: Timestamp::new(secs, (nanos % 1_000_000_000) as u32),
            link_type: self.link_type,
            interface: 0,
            data: record.data,
            orig_len: record.origlen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pcap_parser::Linktype;

    fn header(magic: u32, network: i32) -> PcapHeader {
        PcapHeader {
            magic_number: magic,
            network: Linktype(network),
            ..PcapHeader::new()
        }
    }

    #[test]
    fn reads_byte_order_and_time_unit_from_the_magic() {
        let le_us = Legacy::from_header(&header(0xa1b2_c3d4, 1));
        assert_eq!(
            le_us.format(),
            CaptureFormat::Pcap {
                big_endian: false,
                nanosecond: false
            }
        );
        let be_ns = Legacy::from_header(&header(0x4d3c_b2a1, 1));
        assert_eq!(
            be_ns.format(),
            CaptureFormat::Pcap {
                big_endian: true,
                nanosecond: true
            }
        );
        assert_eq!(
            Legacy::from_header(&header(0xa1b2_cd34, 1)).record_header_len(),
            24
        );
        assert!(is_magic(0xa1b2_3c4d) && is_magic(0xd4c3_b2a1) && !is_magic(0x0a0d_0d0a));
    }

    #[test]
    fn masks_fcs_bits_out_of_the_link_type() {
        // Bit 28 set: "FCS length present" (4 bytes of FCS per frame), link type Ethernet.
        let legacy = Legacy::from_header(&header(0xa1b2_c3d4, 1 | (0x4 << 28)));
        assert_eq!(legacy.link_type, 1);
    }

    #[test]
    fn converts_micro_and_nanosecond_fractions() {
        let record = LegacyPcapBlock {
            ts_sec: 1_650_903_102,
            ts_usec: 628_310,
            caplen: 2,
            origlen: 60,
            data: &[1, 2],
        };
        let us = Legacy::from_header(&header(0xa1b2_c3d4, 1)).frame(7, &record);
        assert_eq!(us.ts.to_string(), "2022-04-25T16:11:42.628310Z");
        assert_eq!((us.number, us.orig_len, us.data), (7, 60, &[1u8, 2][..]));
        let ns = Legacy::from_header(&header(0xa1b2_3c4d, 1)).frame(1, &record);
        assert_eq!((ns.ts.secs, ns.ts.nanos), (1_650_903_102, 628_310));
    }

    #[test]
    fn carries_an_oversized_fraction_into_the_seconds() {
        let record = LegacyPcapBlock {
            ts_sec: u32::MAX,
            ts_usec: u32::MAX,
            caplen: 0,
            origlen: 0,
            data: &[],
        };
        let frame = Legacy::from_header(&header(0xa1b2_c3d4, 1)).frame(1, &record);
        // 4294967295 µs = 4294 s + 967295 µs.
        assert_eq!(frame.ts.secs, i64::from(u32::MAX) + 4294);
        assert_eq!(frame.ts.nanos, 967_295_000);
    }

    #[test]
    fn reads_the_claimed_length_in_the_file_byte_order() {
        let le = Legacy::from_header(&header(0xa1b2_c3d4, 1));
        let be = Legacy::from_header(&header(0xd4c3_b2a1, 1));
        let mut rec = [0u8; 12];
        rec[8..12].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(le.claimed_len(&rec), Some(16 + 0xffff_ffff));
        assert!(le.too_big(16 + 0xffff_ffff));
        rec[8..12].copy_from_slice(&[0, 0, 1, 0]);
        assert_eq!(be.claimed_len(&rec), Some(16 + 256));
        assert!(!be.too_big(16 + 256));
        assert_eq!(be.claimed_len(&rec[..11]), None);
    }
}
