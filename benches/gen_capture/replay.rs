//! Recorded TCP connections replayed on new addresses: the CWMP sessions of the benchmark capture.
//!
//! Takes: a real capture of one TCP connection (the fixtures `http-port-7547` and `http-large-inform`: a
//! Python CPE and ACS talking CWMP on loopback; `src/apps/testdata/tls13.pcap`: OpenSSL on loopback).
//! Gives: [`Template`]s — the connection's frames with their IPv4 and TCP headers as recorded — and
//! [`Replay`]s that write a template's frames again with another CPE address, port and MAC, and shifted
//! sequence numbers, so each replay is a connection of its own that reassembles exactly as the original.
//!
//! Invariant: payloads, segmentation, flags, windows and TCP options are the recorded ones; only
//! addresses, ports, sequence/acknowledgment numbers (by a constant per direction) and the checksums
//! change.

use std::io;

use etherparse::{Ethernet2Header, Ipv4Header, TcpHeader};
use pcap_parser::PcapCapture;
use rand::RngExt;

use crate::wire::{Endpoint, Gen};

/// One recorded frame.
struct Recorded {
    from_client: bool,
    ip: Ipv4Header,
    tcp: TcpHeader,
    payload: Vec<u8>,
}

/// A recorded connection.
pub struct Template {
    frames: Vec<Recorded>,
    /// Initial sequence numbers, client then server.
    isn: [u32; 2],
    /// HTTP requests and responses the connection carries (read from its bytes with httparse).
    pub requests: u64,
    pub responses: u64,
}

fn bad(name: &str, what: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{name}: {what}"))
}

impl Template {
    /// Reads a classic pcap (Ethernet) holding one TCP connection whose handshake was captured.
    pub fn load(name: &str, pcap: &[u8]) -> io::Result<Template> {
        let capture = PcapCapture::from_file(pcap).map_err(|e| bad(name, format!("{e:?}")))?;
        let mut frames = Vec::new();
        let mut client_port = None;
        let mut isn = [None, None];
        for block in &capture.blocks {
            let (_, rest) = Ethernet2Header::from_slice(block.data).map_err(|e| bad(name, e))?;
            let (ip, rest) = Ipv4Header::from_slice(rest).map_err(|e| bad(name, e))?;
            let (tcp, rest) = TcpHeader::from_slice(rest).map_err(|e| bad(name, e))?;
            let len = usize::from(ip.total_len) - ip.header_len() - tcp.header_len();
            let client = *client_port.get_or_insert(tcp.source_port);
            let from_client = tcp.source_port == client;
            if tcp.syn {
                isn[usize::from(!from_client)] = Some(tcp.sequence_number);
            }
            frames.push(Recorded {
                from_client,
                ip,
                tcp,
                payload: rest
                    .get(..len)
                    .ok_or_else(|| bad(name, "cut frame"))?
                    .to_vec(),
            });
        }
        let (Some(c), Some(s)) = (isn[0], isn[1]) else {
            return Err(bad(name, "no three-way handshake"));
        };
        let stream = |client: bool| -> Vec<u8> {
            frames
                .iter()
                .filter(|f| f.from_client == client)
                .flat_map(|f| f.payload.iter().copied())
                .collect()
        };
        let requests = count_messages(&stream(true), true);
        let responses = count_messages(&stream(false), false);
        Ok(Template {
            frames,
            isn: [c, s],
            requests,
            responses,
        })
    }

    /// The non-empty payloads, in order, with their direction (true: from the client).
    pub fn payloads(&self) -> impl Iterator<Item = (bool, &[u8])> {
        self.frames
            .iter()
            .filter(|f| !f.payload.is_empty())
            .map(|f| (f.from_client, f.payload.as_slice()))
    }
}

/// HTTP/1.1 messages in one direction's bytes: heads parsed by httparse, bodies skipped by
/// Content-Length (the recorded sessions use no chunked bodies). Stops at bytes that are not a head.
fn count_messages(mut stream: &[u8], requests: bool) -> u64 {
    let mut count = 0;
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let parsed = if requests {
            httparse::Request::new(&mut headers).parse(stream)
        } else {
            httparse::Response::new(&mut headers).parse(stream)
        };
        let Ok(httparse::Status::Complete(head)) = parsed else {
            return count;
        };
        let body: usize = headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
            .unwrap_or(0);
        count += 1;
        stream = stream.get(head + body..).unwrap_or_default();
    }
}

/// A template being written again as a new connection; direction 0 is the client.
pub struct Replay<'t> {
    template: &'t Template,
    next: usize,
    ends: [Endpoint; 2],
    shift: [u32; 2],
}

impl<'t> Replay<'t> {
    pub fn new(template: &'t Template, client: Endpoint, server: Endpoint, g: &mut Gen) -> Self {
        let isn: [u32; 2] = [g.rng.random(), g.rng.random()];
        Replay {
            template,
            next: 0,
            ends: [client, server],
            shift: [
                isn[0].wrapping_sub(template.isn[0]),
                isn[1].wrapping_sub(template.isn[1]),
            ],
        }
    }

    /// Writes the next recorded frame; false once the last one is written.
    pub fn step(&mut self, g: &mut Gen) -> io::Result<bool> {
        let Some(f) = self.template.frames.get(self.next) else {
            return Ok(false);
        };
        self.next += 1;
        let dir = usize::from(!f.from_client);
        let (me, peer) = (self.ends[dir], self.ends[1 - dir]);
        let mut ip = f.ip.clone();
        ip.source = me.ip;
        ip.destination = peer.ip;
        let mut tcp = f.tcp.clone();
        tcp.source_port = me.port;
        tcp.destination_port = peer.port;
        tcp.sequence_number = tcp.sequence_number.wrapping_add(self.shift[dir]);
        if tcp.ack {
            tcp.acknowledgment_number = tcp.acknowledgment_number.wrapping_add(self.shift[1 - dir]);
        }
        g.tcp_frame(me.mac, peer.mac, ip, tcp, &f.payload)?;
        Ok(self.next < self.template.frames.len())
    }
}
