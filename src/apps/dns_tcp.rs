//! DNS over TCP (RFC 7766 §8, RFC 1035 §4.2.2): each message follows a two-byte length, in both
//! directions of one connection. A resolver falls back to TCP when a UDP answer is truncated, and some
//! routers ask over TCP outright.
//!
//! Takes: one direction's in-order bytes of a TCP connection to or from port 53. Gives: each DNS message
//! read whole, with the frame that completed it, through [`super::dns::parse_dns`].
//!
//! Invariants: at most one message (64 KiB + 2) is buffered per direction; a gap in the stream loses the
//! framing, so what follows it is dropped rather than misread.

use crate::apps::dns::{DnsMessage, parse_dns};
use crate::flows::{At, Delivery};

/// One direction of a DNS-over-TCP connection.
#[derive(Default)]
pub struct DnsTcpStream {
    buf: Vec<u8>,
    /// A gap broke the framing: nothing more is read.
    lost: bool,
}

impl DnsTcpStream {
    /// Takes a delivery; gives the messages it completed, each with its completing frame.
    pub fn deliver(&mut self, d: Delivery<'_>) -> Vec<(At, DnsMessage)> {
        let mut out = Vec::new();
        match d {
            Delivery::Data {
                bytes, frame, ts, ..
            } if !self.lost => {
                self.buf.extend_from_slice(bytes);
                while self.buf.len() >= 2 {
                    let len = usize::from(u16::from_be_bytes([self.buf[0], self.buf[1]]));
                    if self.buf.len() < 2 + len {
                        break;
                    }
                    if let Some(m) = parse_dns(&self.buf[2..2 + len]) {
                        out.push((At { frame, ts }, m));
                    }
                    self.buf.drain(..2 + len);
                }
            }
            Delivery::Gap { .. } => {
                self.lost = true;
                self.buf = Vec::new();
            }
            _ => {}
        }
        out
    }
}

/// Whether a connection's first payload reads as DNS over TCP: port 53 on either side (DNS has no
/// magic bytes; tshark decides by the port too) and a length prefix that can hold a DNS header.
pub fn looks_like_dns_tcp(ports: [u16; 2], payload: &[u8]) -> bool {
    ports.contains(&53)
        && payload.len() >= 2
        && usize::from(u16::from_be_bytes([payload[0], payload[1]])) >= 12
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A query for `acs.example` (type A) with its two-byte length.
    fn framed_query(id: u16) -> Vec<u8> {
        let mut m = id.to_be_bytes().to_vec();
        m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
        m.extend_from_slice(b"\x03acs\x07example\x00\x00\x01\x00\x01");
        let mut framed = (m.len() as u16).to_be_bytes().to_vec();
        framed.extend(m);
        framed
    }

    fn data(bytes: &[u8], frame: u64) -> Delivery<'_> {
        Delivery::test_data(bytes, frame)
    }

    #[test]
    fn messages_split_and_joined_across_segments_are_read_at_their_last_frame() {
        let mut two = framed_query(7);
        two.extend(framed_query(8));
        let mut s = DnsTcpStream::default();
        assert!(s.deliver(data(&two[..5], 4)).is_empty());
        let got = s.deliver(data(&two[5..], 6));
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0.frame, 6);
        assert_eq!(got[0].1.id, 7);
        assert_eq!(got[1].1.id, 8);
    }

    #[test]
    fn a_gap_stops_the_reading_instead_of_misframing() {
        let q = framed_query(9);
        let mut s = DnsTcpStream::default();
        assert!(s.deliver(data(&q[..3], 4)).is_empty());
        s.deliver(Delivery::Gap { len: 10, frame: 5 });
        assert!(s.deliver(data(&q, 6)).is_empty());
    }

    #[test]
    fn port_53_and_a_header_sized_length_make_dns() {
        assert!(looks_like_dns_tcp([40000, 53], &framed_query(1)));
        assert!(!looks_like_dns_tcp([40000, 80], &framed_query(1)));
        assert!(!looks_like_dns_tcp([53, 40000], b"\x00\x02ab"));
    }
}
