//! The bulk traffic of the benchmark capture: what a WAN link carries besides CWMP.
//!
//! Takes: the shared [`Gen`] (clock, writer, random bytes). Gives: traffic sources that each write one
//! frame per [`Source::step`]:
//! - [`Download`]: a long TCP transfer (an FTP data connection) in 1448-byte segments, the receiver
//!   acknowledging every second segment; optionally joined mid-stream (no handshake in the capture);
//! - [`Tls`]: a short HTTPS connection on port 443 — a real TLS 1.3 handshake (recorded from OpenSSL)
//!   followed by application-data records of random bytes, then FINs;
//! - [`Dns`]: DNS queries and their answers (built with hickory-proto);
//! - [`Rtp`]: a two-way RTP-like voice stream, 200-byte UDP datagrams.
//!
//! Invariant: none of it is HTTP, so the diagnosis finds exactly the CWMP sessions' messages.

use std::io;

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use rand::RngExt;

use crate::wire::{ACK, Endpoint, FIN_ACK, Flags, Gen, MSS, PSH_ACK, SYN, SYN_ACK, TcpFlow};

/// Something that writes frames into the capture.
pub trait Source {
    /// Relative share of the frames while the source is active.
    fn weight(&self) -> u32;
    /// Writes one frame; false once the source has nothing more to send.
    fn step(&mut self, g: &mut Gen) -> io::Result<bool>;
}

/// A long one-way TCP transfer: an active-mode FTP data connection, opened by the FTP server from port 20
/// (direction 0, which sends the file) to the client (direction 1, which acknowledges every second
/// segment). Port 20 is dissected by tshark as `ftp-data`: random bytes on a port nobody claims would
/// run tshark's heuristic dissectors, and one that mistakes them for a length-prefixed protocol (Thrift)
/// makes it reassemble the rest of the connection, slowing it down quadratically.
pub struct Download {
    flow: TcpFlow,
    /// Frames of the three-way handshake still to write.
    opening: u8,
    left: u64,
    unacked: u8,
    /// Frames of the close still to write.
    closing: u8,
}

impl Download {
    /// A transfer of `bytes`; `mid_stream` starts it in the middle, as a capture started during it.
    pub fn new(
        ftp_server: Endpoint,
        client: Endpoint,
        bytes: u64,
        mid_stream: bool,
        g: &mut Gen,
    ) -> Self {
        Download {
            flow: TcpFlow::new(ftp_server, client, &mut g.rng),
            opening: if mid_stream { 0 } else { 3 },
            left: bytes,
            unacked: 0,
            closing: 3,
        }
    }
}

impl Source for Download {
    fn weight(&self) -> u32 {
        16
    }

    fn step(&mut self, g: &mut Gen) -> io::Result<bool> {
        let f = &mut self.flow;
        if self.opening > 0 {
            let (dir, flags) = [(0, ACK), (1, SYN_ACK), (0, SYN)][usize::from(self.opening - 1)];
            self.opening -= 1;
            g.tcp(f, dir, flags, &[])?;
        } else if self.left > 0 && self.unacked < 2 {
            let n = self.left.min(MSS as u64);
            self.left -= n;
            self.unacked += 1;
            let flags = if self.left == 0 { PSH_ACK } else { ACK };
            g.tcp_random(f, 0, flags, n as usize)?;
        } else if self.unacked > 0 {
            self.unacked = 0;
            g.tcp(f, 1, ACK, &[])?;
        } else {
            let (dir, flags) =
                [(0, ACK), (1, FIN_ACK), (0, FIN_ACK)][usize::from(self.closing - 1)];
            self.closing -= 1;
            g.tcp(f, dir, flags, &[])?;
            return Ok(self.closing > 0);
        }
        Ok(true)
    }
}

/// One segment of a scripted connection: direction, flags, and its bytes of that direction's stream.
struct Act {
    dir: usize,
    flags: Flags,
    bytes: std::ops::Range<usize>,
}

/// A short HTTPS connection, scripted in full when it starts.
pub struct Tls {
    flow: TcpFlow,
    streams: [Vec<u8>; 2],
    acts: Vec<Act>,
    next: usize,
}

impl Tls {
    /// `handshake`: the recorded ClientHello, server flight and client Finished flight, in that order.
    pub fn new(client: Endpoint, server: Endpoint, handshake: &[&[u8]; 3], g: &mut Gen) -> Self {
        let mut t = Tls {
            flow: TcpFlow::new(client, server, &mut g.rng),
            streams: [Vec::new(), Vec::new()],
            acts: Vec::new(),
            next: 0,
        };
        t.bare(0, SYN);
        t.bare(1, SYN_ACK);
        t.bare(0, ACK);
        for (dir, flight) in [0, 1, 0].into_iter().zip(handshake) {
            t.send(dir, flight);
        }
        for _ in 0..g.rng.random_range(1..=4) {
            let request = Tls::records(g.rng.random_range(200..=700), g);
            t.send(0, &request);
            let response = Tls::records(g.rng.random_range(2_000..=60_000), g);
            t.send(1, &response);
        }
        let alert = Tls::records(19, g);
        t.send(0, &alert);
        t.bare(1, FIN_ACK);
        t.bare(0, FIN_ACK);
        t.bare(1, ACK);
        t
    }

    fn bare(&mut self, dir: usize, flags: Flags) {
        let at = self.streams[dir].len();
        self.acts.push(Act {
            dir,
            flags,
            bytes: at..at,
        });
    }

    /// Appends `bytes` to direction `dir`'s stream in MSS-sized segments; the peer acknowledges every
    /// second segment and the last.
    fn send(&mut self, dir: usize, bytes: &[u8]) {
        let start = self.streams[dir].len();
        self.streams[dir].extend_from_slice(bytes);
        let end = self.streams[dir].len();
        let mut at = start;
        let mut segments = 0;
        while at < end {
            let to = (at + MSS).min(end);
            let flags = if to == end { PSH_ACK } else { ACK };
            self.acts.push(Act {
                dir,
                flags,
                bytes: at..to,
            });
            at = to;
            segments += 1;
            if segments % 2 == 0 || at == end {
                self.bare(1 - dir, ACK);
            }
        }
    }

    /// Application-data records (TLS 1.3 framing, at most 16 KiB each) of random bytes, `len` in all.
    fn records(len: usize, g: &mut Gen) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + len / 16_384 * 5 + 5);
        let mut left = len;
        while left > 0 {
            let n = left.min(16_384);
            out.extend_from_slice(&[0x17, 0x03, 0x03]);
            out.extend_from_slice(&(n as u16).to_be_bytes());
            g.append_random(&mut out, n);
            left -= n;
        }
        out
    }
}

impl Source for Tls {
    fn weight(&self) -> u32 {
        5
    }

    fn step(&mut self, g: &mut Gen) -> io::Result<bool> {
        let Some(act) = self.acts.get(self.next) else {
            return Ok(false);
        };
        self.next += 1;
        g.tcp(
            &mut self.flow,
            act.dir,
            act.flags,
            &self.streams[act.dir][act.bytes.clone()],
        )?;
        Ok(self.next < self.acts.len())
    }
}

/// DNS lookups from one client to its resolver: a query, then its answer.
pub struct Dns {
    client: Endpoint,
    resolver: Endpoint,
    /// Query and answer bytes per name (the id is rewritten per lookup).
    lookups: Vec<(Vec<u8>, Vec<u8>)>,
    pending: Option<(usize, u16)>,
}

impl Dns {
    pub fn new(client: Endpoint, resolver: Endpoint) -> io::Result<Self> {
        let names = [
            "acs.isp.example.net.",
            "www.example.com.",
            "cdn.example.org.",
            "time.example.net.",
        ];
        let mut lookups = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let name = Name::from_ascii(name).map_err(io::Error::other)?;
            let mut query = Message::new(0, MessageType::Query, OpCode::Query);
            query.metadata.recursion_desired = true;
            query.add_query(Query::query(name.clone(), RecordType::A));
            let mut answer = query.clone();
            answer.metadata.message_type = MessageType::Response;
            answer.metadata.recursion_available = true;
            let address = A::new(203, 0, 113, 100 + i as u8);
            answer.add_answer(Record::from_rdata(name, 300, RData::A(address)));
            lookups.push((
                query.to_vec().map_err(io::Error::other)?,
                answer.to_vec().map_err(io::Error::other)?,
            ));
        }
        Ok(Dns {
            client,
            resolver,
            lookups,
            pending: None,
        })
    }
}

impl Source for Dns {
    fn weight(&self) -> u32 {
        2
    }

    fn step(&mut self, g: &mut Gen) -> io::Result<bool> {
        let (which, id, answer) = match self.pending.take() {
            Some((which, id)) => (which, id, true),
            None => {
                let which = g.rng.random_range(0..self.lookups.len());
                let id: u16 = g.rng.random();
                self.client.port = g.rng.random_range(32_768..=60_999);
                self.pending = Some((which, id));
                (which, id, false)
            }
        };
        let pair = &mut self.lookups[which];
        let bytes = if answer { &mut pair.1 } else { &mut pair.0 };
        bytes[..2].copy_from_slice(&id.to_be_bytes());
        if answer {
            g.udp(self.resolver, self.client, bytes)?;
        } else {
            g.udp(self.client, self.resolver, bytes)?;
        }
        Ok(true)
    }
}

/// A two-way voice stream: 20 ms of G.711 per datagram (12-byte RTP header, 188 bytes of payload).
pub struct Rtp {
    ends: [Endpoint; 2],
    seq: [u16; 2],
    stamp: [u32; 2],
    ssrc: [u32; 2],
    turn: usize,
    datagram: Vec<u8>,
}

impl Rtp {
    pub fn new(a: Endpoint, b: Endpoint, g: &mut Gen) -> Self {
        Rtp {
            ends: [a, b],
            seq: [g.rng.random(), g.rng.random()],
            stamp: [g.rng.random(), g.rng.random()],
            ssrc: [g.rng.random(), g.rng.random()],
            turn: 0,
            datagram: Vec::with_capacity(200),
        }
    }
}

impl Source for Rtp {
    fn weight(&self) -> u32 {
        14
    }

    fn step(&mut self, g: &mut Gen) -> io::Result<bool> {
        let d = self.turn;
        self.turn = 1 - d;
        self.seq[d] = self.seq[d].wrapping_add(1);
        self.stamp[d] = self.stamp[d].wrapping_add(160);
        let mut datagram = std::mem::take(&mut self.datagram);
        datagram.clear();
        datagram.extend_from_slice(&[0x80, 0x00]);
        datagram.extend_from_slice(&self.seq[d].to_be_bytes());
        datagram.extend_from_slice(&self.stamp[d].to_be_bytes());
        datagram.extend_from_slice(&self.ssrc[d].to_be_bytes());
        g.append_random(&mut datagram, 188);
        let written = g.udp(self.ends[d], self.ends[1 - d], &datagram);
        self.datagram = datagram;
        written.map(|()| true)
    }
}
