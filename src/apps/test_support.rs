//! Test helpers shared by the application parsers: hex literals, the packets of a pcap, and its TCP
//! streams replayed through the real flow table.
//!
//! Takes: pcap files from `src/apps/testdata/` (Ethernet link type, as tcpdump writes them on Linux `lo`)
//! or from the shared corpus (Ethernet, 802.1Q, PPPoE). Gives: bytes, packets and deliveries to a
//! [`StreamSink`], with frame numbers as Wireshark counts them. The decode stage is another engineer's;
//! this is only enough of it for tests.

use std::net::SocketAddr;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_parser::PcapCapture;

use crate::decode::{TcpFlags, TcpSegment};
use crate::flows::{At, ConnFacts, FlowTable, StreamSink};
use crate::time::Timestamp;

/// Bytes from hex text; spaces and newlines are ignored.
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).expect("hex digit"))
        .collect()
}

/// The IP packet inside an Ethernet frame, through any 802.1Q tags and a PPPoE session (RFC 2516,
/// PPP protocol 0x0021 = IPv4, 0x0057 = IPv6): the corpus WAN capture is PPPoE over VLAN.
fn ip_of_ethernet(frame: &[u8]) -> Option<&[u8]> {
    let mut ether_type = u16::from_be_bytes([*frame.get(12)?, *frame.get(13)?]);
    let mut rest = frame.get(14..)?;
    while ether_type == 0x8100 || ether_type == 0x88a8 {
        ether_type = u16::from_be_bytes([*rest.get(2)?, *rest.get(3)?]);
        rest = rest.get(4..)?;
    }
    match ether_type {
        0x0800 | 0x86dd => Some(rest),
        0x8864 => match u16::from_be_bytes([*rest.get(6)?, *rest.get(7)?]) {
            0x0021 | 0x0057 => rest.get(8..),
            _ => None,
        },
        _ => None,
    }
}

/// One TCP or UDP packet of a capture.
pub struct Packet<'a> {
    pub at: At,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// A TCP segment, or `None` for UDP.
    pub tcp: Option<TcpSegment<'a>>,
    pub payload: &'a [u8],
}

/// Every TCP and UDP packet of an Ethernet pcap, numbered as Wireshark numbers frames.
pub fn packets<'a>(cap: &PcapCapture<'a>) -> Vec<Packet<'a>> {
    let mut out = Vec::new();
    for (i, block) in cap.blocks.iter().enumerate() {
        let at = At {
            frame: i as u64 + 1,
            ts: Timestamp::new(i64::from(block.ts_sec), block.ts_usec * 1000),
        };
        let Some(Ok(p)) = ip_of_ethernet(block.data).map(SlicedPacket::from_ip) else {
            continue;
        };
        let (src_ip, dst_ip) = match &p.net {
            Some(NetSlice::Ipv4(ip)) => (
                ip.header().source_addr().into(),
                ip.header().destination_addr().into(),
            ),
            Some(NetSlice::Ipv6(ip)) => (
                ip.header().source_addr().into(),
                ip.header().destination_addr().into(),
            ),
            _ => continue,
        };
        let (sport, dport, tcp, payload) = match &p.transport {
            Some(TransportSlice::Tcp(t)) => {
                let seg = TcpSegment {
                    src_port: t.source_port(),
                    dst_port: t.destination_port(),
                    seq: t.sequence_number(),
                    ack: t.acknowledgment_number(),
                    flags: TcpFlags {
                        syn: t.syn(),
                        ack: t.ack(),
                        fin: t.fin(),
                        rst: t.rst(),
                        psh: t.psh(),
                    },
                    window: t.window_size(),
                    payload: t.payload(),
                    cut: 0,
                };
                (
                    t.source_port(),
                    t.destination_port(),
                    Some(seg),
                    t.payload(),
                )
            }
            Some(TransportSlice::Udp(u)) => {
                (u.source_port(), u.destination_port(), None, u.payload())
            }
            _ => continue,
        };
        out.push(Packet {
            at,
            src: SocketAddr::new(src_ip, sport),
            dst: SocketAddr::new(dst_ip, dport),
            tcp,
            payload,
        });
    }
    out
}

/// Replays every TCP segment of `pcap` through a [`FlowTable`]; returns the facts of each connection.
pub fn replay_tcp<S: StreamSink>(pcap: &[u8], sink: &mut S) -> Vec<ConnFacts> {
    let cap = PcapCapture::from_file(pcap).expect("test pcap parses");
    let mut table = FlowTable::<S::App>::default();
    for p in packets(&cap) {
        if let Some(seg) = &p.tcp {
            table.segment(p.src, p.dst, seg, p.at, sink);
        }
    }
    table.finish(cap.blocks.len() as u64, sink).0
}

/// The corpus capture `name` from `../shared/corpus/pcap` (relative to the repository root), or `None`
/// with a printed reason when the corpus is not there.
pub fn corpus_pcap(name: &str) -> Option<Vec<u8>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/pcap")
        .join(name);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) => {
            println!("skipped: {} not readable ({e})", path.display());
            None
        }
    }
}

/// One TCP payload of a test capture.
pub struct Payload {
    pub from_client: bool,
    pub bytes: Vec<u8>,
    pub frame: u64,
    pub ts: Timestamp,
}

/// The TCP payloads of a single-connection loopback capture, in frame order; the client is the sender
/// of the first packet (the SYN). Retransmissions are not expected in these captures.
pub fn tcp_payloads(pcap: &[u8]) -> Vec<Payload> {
    let cap = PcapCapture::from_file(pcap).expect("test pcap parses");
    let mut client_port = None;
    let mut out = Vec::new();
    for (i, block) in cap.blocks.iter().enumerate() {
        let Ok(p) = SlicedPacket::from_ethernet(block.data) else {
            continue;
        };
        let Some(TransportSlice::Tcp(tcp)) = p.transport else {
            continue;
        };
        let client = *client_port.get_or_insert(tcp.source_port());
        if !tcp.payload().is_empty() {
            out.push(Payload {
                from_client: tcp.source_port() == client,
                bytes: tcp.payload().to_vec(),
                frame: i as u64 + 1,
                ts: Timestamp::new(i64::from(block.ts_sec), block.ts_usec * 1000),
            });
        }
    }
    out
}
