//! pcapng interfaces: link type, snapshot length, and how their time stamps read.
//!
//! Takes: an Interface Description Block (pcap-parser's parse, options as raw values) and the
//! byte order of its section.
//! Gives: an [`Interface`] that turns a packet's 64-bit time stamp into a [`Timestamp`].
//! Follows: draft-ietf-opsawg-pcapng §4.2, options `if_tsresol` (code 9: 10^-n, or 2^-n when
//! the top bit is set; 10^-6 when absent) and `if_tsoffset` (code 14: signed seconds added to
//! every time stamp); Wireshark's conversion, which truncates the fraction to nanoseconds.
//!
//! Invariants: computed here rather than with pcap-parser's helpers, which reject every 2^-n
//! resolution, read `if_tsoffset` little-endian in big-endian sections and cut seconds to 32
//! bits; the arithmetic is exact (u128) for every resolution up to 10^-38 and 2^-127, and a
//! resolution finer than that leaves only the offset.

use pcap_parser::pcapng::{InterfaceDescriptionBlock, OptionCode};

use crate::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Interface {
    /// Running index over all interfaces of the file.
    pub global: u32,
    pub link_type: u32,
    /// 0 when unlimited.
    pub snaplen: u32,
    /// Time stamp units per second; `None` for a resolution too fine to compute with.
    pub units_per_sec: Option<u128>,
    pub offset_secs: i64,
}

/// Units per second of an `if_tsresol` value: 10^n, or 2^n when the top bit is set.
pub(super) fn units_per_sec(tsresol: u8) -> Option<u128> {
    let exponent = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 == 0 {
        10u128.checked_pow(exponent)
    } else {
        2u128.checked_pow(exponent)
    }
}

impl Interface {
    pub fn from_idb(idb: &InterfaceDescriptionBlock<'_>, global: u32, big_endian: bool) -> Self {
        // The first occurrence of each option counts; the parser already dropped any options
        // after a damaged one.
        let mut tsresol = None;
        let mut offset_secs = None;
        for option in &idb.options {
            let value = option.value();
            if option.code == OptionCode::IfTsresol && tsresol.is_none() && option.len >= 1 {
                tsresol = value.first().copied();
            }
            if option.code == OptionCode::IfTsoffset && offset_secs.is_none() && option.len == 8 {
                let bytes = value.get(..8).and_then(|v| <[u8; 8]>::try_from(v).ok());
                offset_secs = bytes.map(|b| {
                    if big_endian {
                        i64::from_be_bytes(b)
                    } else {
                        i64::from_le_bytes(b)
                    }
                });
            }
        }
        Interface {
            global,
            link_type: u32::from(idb.linktype.0 as u16),
            snaplen: idb.snaplen,
            units_per_sec: units_per_sec(tsresol.unwrap_or(6)),
            offset_secs: offset_secs.unwrap_or(0),
        }
    }

    pub fn timestamp(&self, ts_high: u32, ts_low: u32) -> Timestamp {
        let ticks = (u64::from(ts_high) << 32) | u64::from(ts_low);
        let (secs, nanos) = match self.units_per_sec {
            Some(units) => {
                let ticks = u128::from(ticks);
                // The remainder is below 2^64, so multiplying by 10^9 cannot overflow.
                let nanos = (ticks % units) * 1_000_000_000 / units;
                ((ticks / units) as i128, nanos as u32)
            }
            None => (0, 0),
        };
        let secs = (secs + i128::from(self.offset_secs)).clamp(i64::MIN.into(), i64::MAX.into());
        Timestamp::new(secs as i64, nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pcap_parser::Linktype;
    use pcap_parser::pcapng::PcapNGOption;
    use std::borrow::Cow;

    fn option(code: OptionCode, value: &[u8]) -> PcapNGOption<'_> {
        PcapNGOption {
            code,
            len: value.len() as u16,
            value: Cow::Borrowed(value),
        }
    }

    fn idb(options: Vec<PcapNGOption<'_>>) -> InterfaceDescriptionBlock<'_> {
        InterfaceDescriptionBlock {
            block_type: 1,
            block_len1: 0,
            linktype: Linktype(113),
            reserved: 0,
            snaplen: 262_144,
            options,
            block_len2: 0,
            if_tsresol: 0,
            if_tsoffset: 0,
        }
    }

    fn iface(units_per_sec: Option<u128>, offset_secs: i64) -> Interface {
        Interface {
            global: 0,
            link_type: 1,
            snaplen: 0,
            units_per_sec,
            offset_secs,
        }
    }

    #[test]
    fn options_are_read_in_the_section_byte_order_first_one_winning() {
        let offset = (-3600i64).to_be_bytes();
        let later = 5i64.to_be_bytes();
        let block = idb(vec![
            option(OptionCode::IfTsresol, &[0x80 | 20]),
            option(OptionCode::IfTsoffset, &offset),
            option(OptionCode::IfTsresol, &[3]),
            option(OptionCode::IfTsoffset, &later),
        ]);
        let i = Interface::from_idb(&block, 4, true);
        assert_eq!((i.global, i.link_type, i.snaplen), (4, 113, 262_144));
        assert_eq!((i.units_per_sec, i.offset_secs), (Some(1 << 20), -3600));
        let default = Interface::from_idb(&idb(Vec::new()), 0, false);
        assert_eq!(
            (default.units_per_sec, default.offset_secs),
            (Some(1_000_000), 0)
        );
    }

    #[test]
    fn resolutions_and_offsets_compute_exactly() {
        assert_eq!(units_per_sec(6), Some(1_000_000));
        assert_eq!(units_per_sec(0x80 | 10), Some(1024));
        assert_eq!(units_per_sec(38), Some(10u128.pow(38)));
        assert_eq!(units_per_sec(39), None);
        // 2^-20 s: 1 tick is 953.67 ns, truncated as Wireshark does.
        assert_eq!(
            iface(Some(1 << 20), 0).timestamp(0, 1),
            Timestamp::new(0, 953)
        );
        assert_eq!(
            iface(Some(1), i64::MAX).timestamp(u32::MAX, u32::MAX).secs,
            i64::MAX
        );
        assert_eq!(
            iface(Some(1024), -10).timestamp(0, 1024 + 512),
            Timestamp::new(-9, 500_000_000)
        );
        assert_eq!(iface(None, 3).timestamp(1, 1), Timestamp::new(3, 0));
        let huge = iface(units_per_sec(0x80 | 127), 0).timestamp(u32::MAX, u32::MAX);
        assert_eq!(huge.secs, 0);
    }
}
