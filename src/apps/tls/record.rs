//! One direction of a TLS connection cut into records (RFC 8446 §5.1, RFC 5246 §6.2).
//!
//! Takes: the in-order [`Delivery`] events of one TCP direction. Gives: [`Unit`]s — every complete record
//! (type, version, body, and the frame that completed it), an SSLv2-compatible hello when the stream opens
//! with one, the first line of the stream when it is not TLS at all, and problems (bad headers, gaps).
//!
//! Transitions of a direction ([`Framing`]):
//! - `Start` → `Records` when the first bytes look like a record header or an SSLv2 hello, else `Plain`.
//! - `Records` → `Lost` on an impossible record header or a gap that does not end inside the current
//!   record; `Lost` → `Records` at the next delivery that starts with a plausible header (senders usually
//!   start a segment with a record), as Wireshark re-synchronises.
//! - `Plain` keeps the first line (at most [`MAX_LINE`] bytes) and ignores the rest.
//!
//! Invariants: the buffer never holds more than one record ([`MAX_RECORD`] body bytes plus the header);
//! a gap inside a record's body is filled with zeros and the record is marked `damaged`, so its length
//! still frames the stream but its contents are not read.

use super::{looks_like_tls, plausible_header};
use crate::flows::{At, Delivery};
use crate::time::Timestamp;

/// Largest record body accepted: 2^14 plus the 2048 bytes of expansion TLS 1.2 allows (RFC 5246 §6.2.3).
pub const MAX_RECORD: usize = (1 << 14) + 2048;
/// Longest first line kept from a stream that is not TLS.
pub const MAX_LINE: usize = 200;
pub(super) const HEADER: usize = 5;

/// What a direction yields.
#[derive(Debug, PartialEq, Eq)]
pub enum Unit<'a> {
    Record {
        ctype: u8,
        version: u16,
        body: &'a [u8],
        at: At,
        /// Part of the body was lost in the capture (filled with zeros).
        damaged: bool,
    },
    /// The body of an SSLv2-compatible ClientHello (after its 2-byte length).
    Sslv2Hello {
        body: &'a [u8],
        at: At,
    },
    /// The stream is not TLS: its first line so far, and the frame that carried its first byte.
    Plain {
        line: String,
        at: At,
    },
    Problem {
        at: At,
        what: String,
    },
}

#[derive(Debug, Default, PartialEq, Eq)]
enum Framing {
    #[default]
    Start,
    /// Inside an SSLv2-compatible hello at the start of the stream.
    Sslv2,
    Records,
    Lost,
    Plain,
}

/// The record layer of one direction.
#[derive(Debug, Default)]
pub struct RecordReader {
    framing: Framing,
    buf: Vec<u8>,
    damaged: bool,
    /// Time of the last bytes seen, for problems reported at a gap (which carries no time).
    last_ts: Timestamp,
    /// The first line of a non-TLS stream, its first frame, and whether it is complete.
    line: Vec<u8>,
    line_at: Option<At>,
    line_done: bool,
}

impl RecordReader {
    /// Feeds one delivery; calls `out` for every unit it completes.
    pub fn deliver(&mut self, d: Delivery<'_>, out: &mut dyn FnMut(Unit<'_>)) {
        match d {
            Delivery::Data {
                bytes, ts, trigger, ..
            } => self.data(bytes, At { frame: trigger, ts }, out),
            Delivery::Gap { len, frame } => self.gap(len, frame, out),
            Delivery::Fin { frame, ts } => self.fin(At { frame, ts }, out),
        }
    }

    fn data(&mut self, mut bytes: &[u8], at: At, out: &mut dyn FnMut(Unit<'_>)) {
        if bytes.is_empty() {
            return;
        }
        self.last_ts = at.ts;
        if self.framing == Framing::Start {
            self.framing = if !looks_like_tls(bytes) {
                Framing::Plain
            } else if bytes[0] & 0x80 != 0 {
                Framing::Sslv2
            } else {
                Framing::Records
            };
        }
        if self.framing == Framing::Sslv2 {
            match self.sslv2(bytes, at, out) {
                Some(rest) => {
                    bytes = rest;
                    self.framing = Framing::Records;
                }
                None => return,
            }
        }
        if self.framing == Framing::Lost && plausible_header(bytes) && bytes.len() >= HEADER {
            self.framing = Framing::Records;
            self.buf.clear();
            self.damaged = false;
        }
        match self.framing {
            Framing::Records => self.records(bytes, at, out),
            Framing::Plain => self.plain(bytes, at, out),
            Framing::Start | Framing::Sslv2 | Framing::Lost => {}
        }
    }

    /// Reads an SSLv2 hello at the start of the stream; returns the bytes after it. A hello split over
    /// segments waits in `buf` (it is at most 32 KiB by its 15-bit length).
    fn sslv2<'b>(
        &mut self,
        bytes: &'b [u8],
        at: At,
        out: &mut dyn FnMut(Unit<'_>),
    ) -> Option<&'b [u8]> {
        let take = bytes.len().min(2 + 0x7fff - self.buf.len());
        self.buf.extend_from_slice(&bytes[..take]);
        if self.buf.len() < 2 {
            return None;
        }
        let len = 2 + usize::from(u16::from_be_bytes([self.buf[0] & 0x7f, self.buf[1]]));
        if self.buf.len() < len {
            return None;
        }
        let used = take - (self.buf.len() - len);
        out(Unit::Sslv2Hello {
            body: &self.buf[2..len],
            at,
        });
        self.buf.clear();
        Some(&bytes[used..])
    }

    fn records(&mut self, mut bytes: &[u8], at: At, out: &mut dyn FnMut(Unit<'_>)) {
        while !bytes.is_empty() {
            let want = match self.record_len() {
                Some(len) => HEADER + len - self.buf.len(),
                None => HEADER - self.buf.len(),
            };
            let n = want.min(bytes.len());
            self.buf.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if self.buf.len() == HEADER && !plausible_header(&self.buf) {
                out(Unit::Problem {
                    at,
                    what: format!(
                        "not a TLS record header: {:02x?}; stopped reading until a record starts a segment",
                        self.buf
                    ),
                });
                self.framing = Framing::Lost;
                self.buf.clear();
                return;
            }
            self.emit_if_complete(at, out);
        }
    }

    /// The body length of the record in `buf`, once its header is complete.
    fn record_len(&self) -> Option<usize> {
        (self.buf.len() >= HEADER)
            .then(|| usize::from(u16::from_be_bytes([self.buf[3], self.buf[4]])))
    }

    fn emit_if_complete(&mut self, at: At, out: &mut dyn FnMut(Unit<'_>)) {
        if self
            .record_len()
            .is_some_and(|len| self.buf.len() == HEADER + len)
        {
            out(Unit::Record {
                ctype: self.buf[0],
                version: u16::from_be_bytes([self.buf[1], self.buf[2]]),
                body: &self.buf[HEADER..],
                at,
                damaged: self.damaged,
            });
            self.buf.clear();
            self.damaged = false;
        }
    }

    fn gap(&mut self, len: u64, frame: u64, out: &mut dyn FnMut(Unit<'_>)) {
        let at = At {
            frame,
            ts: self.last_ts,
        };
        match self.framing {
            Framing::Records => {
                let room = self.record_len().map(|l| HEADER + l - self.buf.len());
                match room {
                    Some(room) if len <= room as u64 => {
                        self.buf.resize(self.buf.len() + len as usize, 0);
                        self.damaged = true;
                        out(Unit::Problem {
                            at,
                            what: format!("{len} bytes lost inside a record before frame {frame}"),
                        });
                        self.emit_if_complete(at, out);
                    }
                    _ => {
                        self.framing = Framing::Lost;
                        self.buf.clear();
                        self.damaged = false;
                        out(Unit::Problem {
                            at,
                            what: format!(
                                "{len} bytes lost before frame {frame}: record boundaries unknown until a record starts a segment"
                            ),
                        });
                    }
                }
            }
            Framing::Start | Framing::Sslv2 | Framing::Lost => {
                self.framing = Framing::Lost;
                self.buf.clear();
            }
            Framing::Plain => self.line_done = true,
        }
    }

    fn fin(&mut self, at: At, out: &mut dyn FnMut(Unit<'_>)) {
        if self.framing == Framing::Records && !self.buf.is_empty() {
            let expected = self.record_len().map_or(HEADER, |l| HEADER + l);
            out(Unit::Problem {
                at,
                what: format!(
                    "the stream ended inside a record ({} of {expected} bytes)",
                    self.buf.len()
                ),
            });
            self.buf.clear();
        }
        self.line_done = true;
    }

    /// Keeps the first line of a non-TLS stream and reports it after every delivery that extends it.
    fn plain(&mut self, bytes: &[u8], at: At, out: &mut dyn FnMut(Unit<'_>)) {
        if self.line_done {
            return;
        }
        let first = *self.line_at.get_or_insert(at);
        let room = MAX_LINE - self.line.len();
        let end = bytes.iter().position(|&b| b == b'\n');
        let take = end.unwrap_or(bytes.len()).min(room);
        self.line.extend_from_slice(&bytes[..take]);
        self.line_done = end.is_some() || self.line.len() == MAX_LINE;
        let line: String = String::from_utf8_lossy(&self.line)
            .trim_end_matches('\r')
            .chars()
            .map(|c| if c.is_control() { '.' } else { c })
            .collect();
        out(Unit::Plain { line, at: first });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Eq)]
    enum Seen {
        Record(u8, usize, u64, bool),
        Sslv2(usize, u64),
        Plain(String, u64),
        Problem(u64),
    }

    fn feed(r: &mut RecordReader, seen: &mut Vec<Seen>, d: Delivery<'_>) {
        r.deliver(d, &mut |u| {
            seen.push(match u {
                Unit::Record {
                    ctype,
                    body,
                    at,
                    damaged,
                    ..
                } => Seen::Record(ctype, body.len(), at.frame, damaged),
                Unit::Sslv2Hello { body, at } => Seen::Sslv2(body.len(), at.frame),
                Unit::Plain { line, at } => Seen::Plain(line, at.frame),
                Unit::Problem { at, .. } => Seen::Problem(at.frame),
            })
        });
    }

    fn data(bytes: &[u8], frame: u64) -> Delivery<'_> {
        Delivery::test_data(bytes, frame)
    }

    fn run(parts: &[(&[u8], u64)]) -> Vec<Seen> {
        let mut r = RecordReader::default();
        let mut seen = Vec::new();
        for &(b, f) in parts {
            feed(&mut r, &mut seen, data(b, f));
        }
        seen
    }

    #[test]
    fn several_records_in_one_segment_and_one_record_over_three() {
        let two = [22, 3, 3, 0, 2, 1, 2, 20, 3, 3, 0, 1, 1];
        assert_eq!(
            run(&[(&two, 4)]),
            vec![Seen::Record(22, 2, 4, false), Seen::Record(20, 1, 4, false)]
        );
        let rec = [23, 3, 3, 0, 4, 9, 9, 9, 9];
        assert_eq!(
            run(&[(&rec[..2], 5), (&rec[2..6], 6), (&rec[6..], 7)]),
            vec![Seen::Record(23, 4, 7, false)]
        );
    }

    #[test]
    fn plain_reply_keeps_its_first_line_across_segments() {
        let seen = run(&[
            (b"HTTP/1.1 400 Bad", 6),
            (b" Request\r\nServer: x\r\n", 7),
            (b"more", 8),
        ]);
        assert_eq!(
            seen,
            vec![
                Seen::Plain("HTTP/1.1 400 Bad".into(), 6),
                Seen::Plain("HTTP/1.1 400 Bad Request".into(), 6),
            ]
        );
    }

    #[test]
    fn sslv2_hello_then_records() {
        let mut hello = vec![0x80, 0x0b, 1, 3, 1, 0, 0, 0, 0, 0, 2, 0xaa, 0xbb];
        hello.extend([22, 3, 1, 0, 1, 7]);
        assert_eq!(
            run(&[(&hello[..4], 3), (&hello[4..], 4)]),
            vec![Seen::Sslv2(11, 4), Seen::Record(22, 1, 4, false)]
        );
    }

    #[test]
    fn gap_inside_a_record_damages_it_and_framing_continues() {
        let mut r = RecordReader::default();
        let mut seen = Vec::new();
        feed(&mut r, &mut seen, data(&[23, 3, 3, 0, 6, 1, 2], 4));
        feed(&mut r, &mut seen, Delivery::Gap { len: 2, frame: 6 });
        feed(&mut r, &mut seen, data(&[5, 6, 21, 3, 3, 0, 2, 2, 40], 6));
        assert_eq!(
            seen,
            vec![
                Seen::Problem(6),
                Seen::Record(23, 6, 6, true),
                Seen::Record(21, 2, 6, false)
            ]
        );
    }

    #[test]
    fn gap_past_a_record_resynchronises_at_a_segment_that_starts_a_record() {
        let mut r = RecordReader::default();
        let mut seen = Vec::new();
        feed(&mut r, &mut seen, data(&[23, 3, 3, 0, 2, 1], 4));
        feed(&mut r, &mut seen, Delivery::Gap { len: 50, frame: 7 });
        feed(&mut r, &mut seen, data(&[0x99, 0x98], 7));
        feed(&mut r, &mut seen, data(&[21, 3, 3, 0, 2, 1, 0], 8));
        assert_eq!(seen, vec![Seen::Problem(7), Seen::Record(21, 2, 8, false)]);
    }

    #[test]
    fn impossible_header_midstream_is_a_problem_and_fin_inside_a_record_too() {
        assert_eq!(
            run(&[(&[22, 3, 3, 0, 1, 1, 0x47, 0x45, 0x54, 0x20, 0x2f], 4)]),
            vec![Seen::Record(22, 1, 4, false), Seen::Problem(4)]
        );
        let mut r = RecordReader::default();
        let mut seen = Vec::new();
        feed(&mut r, &mut seen, data(&[22, 3, 3, 1, 0, 1], 4));
        let ts = Timestamp::new(5, 0);
        feed(&mut r, &mut seen, Delivery::Fin { frame: 5, ts });
        assert_eq!(seen, vec![Seen::Problem(5)]);
    }
}
