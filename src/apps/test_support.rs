//! Test helpers shared by the application parsers: hex literals, and the TCP streams of a small pcap
//! replayed through the real flow table.
//!
//! Takes: pcap files from `src/apps/testdata/` (Ethernet link type, as tcpdump writes them on Linux `lo`).
//! Gives: bytes, and deliveries to a [`StreamSink`] with frame numbers as Wireshark counts them.

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

/// Replays every TCP segment of `pcap` through a [`FlowTable`]; returns the facts of each connection.
pub fn replay_tcp<S: StreamSink>(pcap: &[u8], sink: &mut S) -> Vec<ConnFacts> {
    let cap = PcapCapture::from_file(pcap).expect("test pcap parses");
    let mut table = FlowTable::<S::App>::default();
    let mut frame = 0;
    for block in &cap.blocks {
        frame += 1;
        let at = At {
            frame,
            ts: Timestamp::new(i64::from(block.ts_sec), block.ts_usec * 1000),
        };
        let Ok(p) = SlicedPacket::from_ethernet(block.data) else {
            continue;
        };
        let (Some(NetSlice::Ipv4(ip)), Some(TransportSlice::Tcp(tcp))) = (p.net, p.transport)
        else {
            continue;
        };
        let src = SocketAddr::new(ip.header().source_addr().into(), tcp.source_port());
        let dst = SocketAddr::new(
            ip.header().destination_addr().into(),
            tcp.destination_port(),
        );
        let seg = TcpSegment {
            src_port: tcp.source_port(),
            dst_port: tcp.destination_port(),
            seq: tcp.sequence_number(),
            ack: tcp.acknowledgment_number(),
            flags: TcpFlags {
                syn: tcp.syn(),
                ack: tcp.ack(),
                fin: tcp.fin(),
                rst: tcp.rst(),
                psh: tcp.psh(),
            },
            window: tcp.window_size(),
            payload: tcp.payload(),
        };
        table.segment(src, dst, &seg, at, sink);
    }
    table.finish(frame, sink).0
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
