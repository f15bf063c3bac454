//! pcapng: sections, interfaces and packet blocks.
//!
//! Takes: pcap-parser's pcapng `Block`s in file order (it parses each block in its section's
//! byte order).
//! Gives: a [`Record`] per block: a [`Frame`] for Enhanced, Simple and Obsolete Packet Blocks,
//! a bare frame number for the blocks Wireshark numbers without a packet, interface changes.
//! Follows: draft-ietf-opsawg-pcapng §4.1 (SHB), §4.2 (IDB, options `if_tsresol` and
//! `if_tsoffset`), §4.3 (EPB), §4.4 (SPB), Appendix A (OPB); Wireshark's `pcapng.c` for what it
//! numbers and for the interface checks it makes.
//!
//! Invariants:
//! - Interface ids restart at 0 in every section; [`Frame::interface`] is a running index over
//!   the whole file. A packet naming an interface its section has not declared stops reading,
//!   as in Wireshark ("interface index 3 is not less than section interface count 1").
//! - Time stamps are computed per interface (see [`super::interface`]).
//! - At most [`MAX_INTERFACES`] interfaces per section are kept, so memory stays bounded.

use pcap_parser::pcapng::{
    Block, EnhancedPacketBlock, InterfaceDescriptionBlock, SimplePacketBlock, UnknownBlock,
};

use super::Frame;
use super::interface::Interface;
use crate::time::Timestamp;

/// Block types, as numbers in the section's byte order.
pub(super) const SHB: u32 = 0x0A0D_0D0A;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
const IDB: u32 = 1;
const OPB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
const SJE: u32 = 9;
const CUSTOM: u32 = 0x0000_0BAD;
const CUSTOM_NO_COPY: u32 = 0x4000_0BAD;
/// More interfaces than this in one section is taken for a damaged file.
pub(super) const MAX_INTERFACES: usize = 65_536;

/// What one block means for the reader.
pub(super) enum Record<'a> {
    /// A packet; it takes the next frame number. `timed` is false for a Simple Packet Block,
    /// which has no time stamp of its own.
    Packet { frame: Frame<'a>, timed: bool },
    /// A block Wireshark shows as a frame although it carries no packet (systemd journal entry,
    /// custom block): it takes the next frame number.
    Numbered,
    /// A new interface with this link type.
    Interface(u32),
    /// A new section, or a block without packets (statistics, name resolution, secrets, …).
    Nothing,
}

/// The block the buffer starts with, from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Pending {
    pub block_type: u32,
    pub len: u64,
}

impl Pending {
    /// A block whose contents the reader needs: it must fit in the buffer.
    pub fn must_buffer(&self) -> bool {
        matches!(self.block_type, SHB | IDB | OPB | SPB | EPB)
    }

    /// A block holding a packet.
    pub fn is_packet(&self) -> bool {
        matches!(self.block_type, OPB | SPB | EPB)
    }

    /// A block Wireshark numbers as a frame.
    pub fn is_numbered(&self) -> bool {
        matches!(
            self.block_type,
            OPB | SPB | EPB | SJE | CUSTOM | CUSTOM_NO_COPY
        )
    }
}

/// State across blocks: the current section's byte order and interfaces.
#[derive(Debug, Default)]
pub(super) struct Pcapng {
    big_endian: bool,
    interfaces: Vec<Interface>,
    pub sections: u32,
    pub interfaces_seen: u32,
    /// Time of the last packet, given to Simple Packet Blocks, which have none.
    last_ts: Timestamp,
}

fn u32_at(data: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let bytes: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(bytes)
    } else {
        u32::from_le_bytes(bytes)
    })
}

/// Byte order of a section header starting at `data`: `Some(true)` for big-endian, `None`
/// when the byte-order magic is missing or unknown.
pub(super) fn section_big_endian(data: &[u8]) -> Option<bool> {
    match u32_at(data, 8, false)? {
        BYTE_ORDER_MAGIC => Some(false),
        magic if magic == BYTE_ORDER_MAGIC.swap_bytes() => Some(true),
        _ => None,
    }
}

impl Pcapng {
    /// The block the buffer starts with, once its first 8 bytes (12 for a section header) are
    /// buffered.
    pub fn pending(&self, data: &[u8]) -> Option<Pending> {
        let raw_type = u32_at(data, 0, false)?;
        let big_endian = if raw_type == SHB {
            section_big_endian(data)?
        } else {
            self.big_endian
        };
        Some(Pending {
            block_type: u32_at(data, 0, big_endian)?,
            len: u64::from(u32_at(data, 4, big_endian)?),
        })
    }

    /// Interprets one block; `number` is the frame number it takes if it is numbered.
    /// `Err` says why the file cannot be read further.
    pub fn record<'a>(&mut self, number: u64, block: &Block<'a>) -> Result<Record<'a>, String> {
        match block {
            Block::SectionHeader(shb) => {
                self.big_endian = shb.big_endian();
                self.interfaces.clear();
                self.sections += 1;
                Ok(Record::Nothing)
            }
            Block::InterfaceDescription(idb) => self.interface(idb),
            Block::EnhancedPacket(epb) => self.enhanced(number, epb),
            Block::SimplePacket(spb) => self.simple(number, spb),
            Block::Unknown(unknown) => self.unknown(number, unknown),
            Block::SystemdJournalExport(_) | Block::Custom(_) => Ok(Record::Numbered),
            _ => Ok(Record::Nothing),
        }
    }

    fn interface(
        &mut self,
        idb: &InterfaceDescriptionBlock<'_>,
    ) -> Result<Record<'static>, String> {
        if self.interfaces.len() >= MAX_INTERFACES {
            return Err(format!(
                "section {} declares more than {MAX_INTERFACES} interfaces",
                self.sections
            ));
        }
        let iface = Interface::from_idb(idb, self.interfaces_seen, self.big_endian);
        self.interfaces.push(iface);
        self.interfaces_seen = self.interfaces_seen.saturating_add(1);
        Ok(Record::Interface(iface.link_type))
    }

    fn lookup(&self, number: u64, if_id: u32, block: &str) -> Result<Interface, String> {
        self.interfaces.get(if_id as usize).copied().ok_or_else(|| {
            format!(
                "frame {number} ({block}) names interface {if_id}, but its section declares {}",
                self.interfaces.len()
            )
        })
    }

    fn packet<'a>(
        &mut self,
        number: u64,
        iface: Interface,
        ts: Option<Timestamp>,
        data: &'a [u8],
        orig_len: u32,
    ) -> Record<'a> {
        let timed = ts.is_some();
        let ts = ts.unwrap_or(self.last_ts);
        self.last_ts = ts;
        let frame = Frame {
            number,
            ts,
            link_type: iface.link_type,
            interface: iface.global,
            data,
            orig_len,
        };
        Record::Packet { frame, timed }
    }

    fn enhanced<'a>(
        &mut self,
        number: u64,
        epb: &EnhancedPacketBlock<'a>,
    ) -> Result<Record<'a>, String> {
        let iface = self.lookup(number, epb.if_id, "enhanced packet block")?;
        let data: &'a [u8] = epb.data;
        let data = &data[..data.len().min(epb.caplen as usize)];
        let ts = iface.timestamp(epb.ts_high, epb.ts_low);
        Ok(self.packet(number, iface, Some(ts), data, epb.origlen))
    }

    fn simple<'a>(
        &mut self,
        number: u64,
        spb: &SimplePacketBlock<'a>,
    ) -> Result<Record<'a>, String> {
        let iface = self.lookup(number, 0, "simple packet block")?;
        // The block holds the packet and padding; it is cut to the original length and to the
        // interface's snapshot length (pcapng §4.4).
        let mut len = spb.data.len().min(spb.origlen as usize);
        if iface.snaplen > 0 {
            len = len.min(iface.snaplen as usize);
        }
        let data: &'a [u8] = spb.data;
        Ok(self.packet(number, iface, None, &data[..len], spb.origlen))
    }

    /// Obsolete Packet Block (pcapng Appendix A), which pcap-parser leaves unparsed.
    fn unknown<'a>(&mut self, number: u64, block: &UnknownBlock<'a>) -> Result<Record<'a>, String> {
        let native_type = if self.big_endian {
            block.block_type.swap_bytes()
        } else {
            block.block_type
        };
        if native_type != OPB {
            return Ok(Record::Nothing);
        }
        let body: &'a [u8] = block.data;
        let malformed = || format!("frame {number} (obsolete packet block) is malformed");
        let word = |at| u32_at(body, at, self.big_endian).ok_or_else(malformed);
        let id: [u8; 2] = body
            .get(..2)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(malformed)?;
        let if_id = u32::from(if self.big_endian {
            u16::from_be_bytes(id)
        } else {
            u16::from_le_bytes(id)
        });
        let (ts_high, ts_low, caplen, orig_len) = (word(4)?, word(8)?, word(12)?, word(16)?);
        let data = body
            .get(20..)
            .and_then(|rest| rest.get(..caplen as usize))
            .ok_or_else(malformed)?;
        let iface = self.lookup(number, if_id, "obsolete packet block")?;
        let ts = iface.timestamp(ts_high, ts_low);
        Ok(self.packet(number, iface, Some(ts), data, orig_len))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testdata::*;
    use super::super::{CaptureFormat, Truncation};
    use super::*;

    const ETH: &[u8] = &[0xee; 42];
    const RAW: &[u8] = &[0x45; 20];

    #[test]
    fn two_interfaces_with_their_own_link_type_resolution_and_offset() {
        let mut bytes = shb(false);
        bytes.extend(idb(false, 1, Some(0x80 | 20), Some(100))); // 2^-20 s, +100 s
        bytes.extend(idb(false, 101, Some(9), None)); // 10^-9 s
        bytes.extend(epb(false, 0, (1_700_000_000 << 20) + 123_456, ETH));
        bytes.extend(epb(false, 1, 1_700_000_000_123_456_789, RAW));
        bytes.extend(epb(false, 0, (1_700_000_000 << 20) + 1, ETH));
        let (info, frames) = collect(&bytes);
        let info = info.unwrap();
        // Values tshark 4.0 shows for the same blocks (frame.time_epoch).
        let times: Vec<_> = frames.iter().map(|f| (f.ts.secs, f.ts.nanos)).collect();
        assert_eq!(
            times,
            [
                (1_700_000_100, 117_736_816),
                (1_700_000_000, 123_456_789),
                (1_700_000_100, 953)
            ]
        );
        assert_eq!(
            frames.iter().map(|f| f.link_type).collect::<Vec<_>>(),
            [1, 101, 1]
        );
        assert_eq!(
            frames.iter().map(|f| f.interface).collect::<Vec<_>>(),
            [0, 1, 0]
        );
        assert_eq!(frames[1].data, RAW);
        assert_eq!(frames[1].orig_len, 24);
        assert_eq!(info.link_types, [1, 101]);
        assert_eq!(
            info.format,
            CaptureFormat::PcapNg {
                sections: 1,
                interfaces: 2
            }
        );
        assert_eq!(
            info.first_ts,
            Some(Timestamp::new(1_700_000_000, 123_456_789))
        );
        assert_eq!(
            info.last_ts,
            Some(Timestamp::new(1_700_000_100, 117_736_816))
        );
    }

    #[test]
    fn sections_restart_interface_ids_and_may_change_byte_order() {
        let mut bytes = shb(false);
        bytes.extend(idb(false, 1, None, None));
        bytes.extend(epb(false, 0, 1_000_000, ETH));
        bytes.extend(shb(true));
        bytes.extend(idb(true, 113, None, Some(-1)));
        bytes.extend(idb(true, 1, Some(3), None));
        bytes.extend(epb(true, 1, 7_000, ETH));
        bytes.extend(epb(true, 0, 2_000_000, RAW));
        let (info, frames) = collect(&bytes);
        let info = info.unwrap();
        assert_eq!(info.truncated, None);
        let seen: Vec<_> = frames
            .iter()
            .map(|f| (f.number, f.interface, f.link_type, f.ts.secs))
            .collect();
        assert_eq!(seen, [(1, 0, 1, 1), (2, 2, 1, 7), (3, 1, 113, 1)]);
        assert_eq!(info.link_types, [1, 113]);
        assert_eq!(
            info.format,
            CaptureFormat::PcapNg {
                sections: 2,
                interfaces: 3
            }
        );
    }

    #[test]
    fn numbers_every_record_wireshark_numbers() {
        let mut bytes = shb(false);
        bytes.extend(idb(false, 1, None, None));
        bytes.extend(idb(false, 1, Some(9), None));
        bytes.extend(epb(false, 0, 1, ETH));
        bytes.extend(block(false, SJE, b"MESSAGE=hi\n"));
        bytes.extend(block(false, CUSTOM, &[0, 0, 0x30, 0x39, 1, 2]));
        bytes.extend(block(false, 5, &[0; 16])); // interface statistics: not a frame
        bytes.extend(block(false, 4, &[0; 4])); // name resolution: not a frame
        bytes.extend(spb(false, ETH));
        bytes.extend(opb(false, 1, 5, ETH));
        let (info, frames) = collect(&bytes);
        let info = info.unwrap();
        // As tshark numbers the same file: the journal entry and the custom block are 2 and 3.
        let numbers: Vec<_> = frames.iter().map(|f| f.number).collect();
        assert_eq!(numbers, [1, 4, 5]);
        assert_eq!(info.frames, 5);
        // The simple packet block has no time: it keeps the previous one and is not counted in
        // first/last; the obsolete packet block uses its interface's 10^-9 resolution.
        assert_eq!(
            (frames[1].ts, frames[1].interface),
            (Timestamp::new(0, 1000), 0)
        );
        assert_eq!(
            (frames[2].ts, frames[2].interface),
            (Timestamp::new(0, 5), 1)
        );
        assert_eq!(info.first_ts, Some(Timestamp::new(0, 5)));
    }

    #[test]
    fn simple_packets_are_cut_to_the_snapshot_length() {
        let mut iface = idb(false, 1, None, None);
        iface[12..16].copy_from_slice(&20u32.to_le_bytes()); // snaplen 20
        let mut bytes = shb(false);
        bytes.extend(iface);
        bytes.extend(spb(false, ETH));
        let (_, frames) = collect(&bytes);
        assert_eq!((frames[0].data.len(), frames[0].orig_len), (20, 42));
    }

    #[test]
    fn a_packet_on_an_undeclared_interface_stops_reading() {
        let mut bytes = shb(false);
        bytes.extend(idb(false, 1, None, None));
        bytes.extend(epb(false, 0, 1, ETH));
        let at = bytes.len() as u64;
        bytes.extend(epb(false, 3, 2, ETH));
        bytes.extend(epb(false, 0, 3, ETH));
        let (info, frames) = collect(&bytes);
        assert_eq!(frames.len(), 1);
        assert_eq!(
            info.unwrap().truncated,
            Some(Truncation {
                after_frame: 1,
                at_byte: at,
                reason: "frame 2 (enhanced packet block) names interface 3, but its section \
                         declares 1"
                    .into()
            })
        );
        let mut no_iface = shb(false);
        no_iface.extend(spb(false, ETH));
        let (info, _) = collect(&no_iface);
        assert!(
            info.unwrap()
                .truncated
                .unwrap()
                .reason
                .contains("declares 0")
        );
    }

    #[test]
    fn too_many_interfaces_in_a_section_stop_reading() {
        let mut bytes = shb(false);
        let one = idb(false, 1, None, None);
        for _ in 0..=MAX_INTERFACES {
            bytes.extend_from_slice(&one);
        }
        let (info, _) = collect(&bytes);
        let info = info.unwrap();
        assert_eq!(info.link_types, [1]);
        let reason = info.truncated.unwrap().reason;
        assert_eq!(reason, "section 1 declares more than 65536 interfaces");
    }
}
