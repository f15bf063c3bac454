//! Output side of the capture generator: a classic pcap writer and the frame builders.
//!
//! Takes: endpoints, TCP flags and payloads from the traffic sources. Gives: Ethernet/IPv4/TCP and
//! Ethernet/IPv4/UDP frames built with etherparse's `PacketBuilder` (lengths and checksums computed by
//! the crate, so tshark sees well-formed packets), written as pcap records (LINKTYPE_ETHERNET,
//! microsecond time stamps, little-endian) through one buffered writer.
//!
//! Invariants: time stamps never go backwards (every source writes through [`Gen`], which owns the
//! clock); a TCP flow's sequence and acknowledgment numbers follow from the bytes it has sent, so
//! every connection reassembles without gaps.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use etherparse::{IpHeaders, Ipv4Header, PacketBuilder, TcpHeader, TcpOptionElement};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, RngExt, SeedableRng};

/// 2025-11-21T10:00:00Z: where the capture's clock starts.
const START_SECS: u64 = 1_763_719_200;
/// Random bytes the payloads are sliced from (generating fresh bytes per frame would dominate the run).
const POOL: usize = 4 << 20;
/// Largest TCP payload per segment: an Ethernet MSS of 1460 minus 12 bytes of time stamp option.
pub const MSS: usize = 1448;

/// One side of a connection or datagram exchange.
#[derive(Clone, Copy, Debug)]
pub struct Endpoint {
    pub mac: [u8; 6],
    pub ip: [u8; 4],
    pub port: u16,
}

/// TCP flags of one segment.
#[derive(Clone, Copy, Default)]
pub struct Flags {
    pub syn: bool,
    pub ack: bool,
    pub psh: bool,
    pub fin: bool,
}

pub const SYN: Flags = Flags {
    syn: true,
    ack: false,
    psh: false,
    fin: false,
};
pub const SYN_ACK: Flags = Flags {
    syn: true,
    ack: true,
    psh: false,
    fin: false,
};
pub const ACK: Flags = Flags {
    syn: false,
    ack: true,
    psh: false,
    fin: false,
};
pub const PSH_ACK: Flags = Flags {
    syn: false,
    ack: true,
    psh: true,
    fin: false,
};
pub const FIN_ACK: Flags = Flags {
    syn: false,
    ack: true,
    psh: false,
    fin: true,
};

/// A TCP connection's addressing and sequence state; direction 0 is the client.
pub struct TcpFlow {
    pub ends: [Endpoint; 2],
    next_seq: [u32; 2],
    ts_val: [u32; 2],
}

impl TcpFlow {
    pub fn new(client: Endpoint, server: Endpoint, rng: &mut Xoshiro256PlusPlus) -> TcpFlow {
        TcpFlow {
            ends: [client, server],
            next_seq: [rng.random(), rng.random()],
            ts_val: [rng.random(), rng.random()],
        }
    }
}

/// The writer, the clock, the random source and the counters every source shares.
pub struct Gen {
    out: BufWriter<File>,
    pub rng: Xoshiro256PlusPlus,
    /// Microseconds since [`START_SECS`].
    pub clock_us: u64,
    pub frames: u64,
    pub bytes: u64,
    pool: Vec<u8>,
    frame: Vec<u8>,
}

impl Gen {
    /// Creates the file and writes the pcap file header (snaplen 262144, Ethernet).
    pub fn create(path: &str, seed: u64) -> io::Result<Gen> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        let mut header = Vec::with_capacity(24);
        header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        header.extend_from_slice(&2u16.to_le_bytes());
        header.extend_from_slice(&4u16.to_le_bytes());
        header.extend_from_slice(&[0; 8]);
        header.extend_from_slice(&262_144u32.to_le_bytes());
        header.extend_from_slice(&1u32.to_le_bytes());
        out.write_all(&header)?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut pool = vec![0; POOL];
        rng.fill_bytes(&mut pool);
        Ok(Gen {
            out,
            rng,
            clock_us: 0,
            frames: 0,
            bytes: header.len() as u64,
            pool,
            frame: Vec::with_capacity(2048),
        })
    }

    /// Moves the clock forward by a few microseconds (the gap between two captured frames).
    pub fn tick(&mut self) {
        self.clock_us += self.rng.random_range(2..=40);
    }

    /// A random stretch of the pool, `len` bytes long.
    fn random_span(&mut self, len: usize) -> std::ops::Range<usize> {
        let start = self.rng.random_range(0..=POOL - len.min(POOL));
        start..start + len.min(POOL)
    }

    /// Appends `len` random bytes to `buf`.
    pub fn append_random(&mut self, buf: &mut Vec<u8>, len: usize) {
        let span = self.random_span(len);
        buf.extend_from_slice(&self.pool[span]);
    }

    /// Writes one TCP segment of `flow` from direction `dir` carrying `payload`.
    pub fn tcp(
        &mut self,
        flow: &mut TcpFlow,
        dir: usize,
        flags: Flags,
        payload: &[u8],
    ) -> io::Result<()> {
        let (me, peer) = (flow.ends[dir], flow.ends[1 - dir]);
        let mut tcp = TcpHeader::new(me.port, peer.port, flow.next_seq[dir], 502);
        tcp.syn = flags.syn;
        tcp.ack = flags.ack;
        tcp.psh = flags.psh;
        tcp.fin = flags.fin;
        if flags.ack {
            tcp.acknowledgment_number = flow.next_seq[1 - dir];
        }
        let echo = if flags.ack { flow.ts_val[1 - dir] } else { 0 };
        let ts = TcpOptionElement::Timestamp(flow.ts_val[dir], echo);
        let options: &[TcpOptionElement] = if flags.syn {
            &[
                TcpOptionElement::MaximumSegmentSize(1460),
                TcpOptionElement::SelectiveAcknowledgementPermitted,
                ts,
                TcpOptionElement::Noop,
                TcpOptionElement::WindowScale(7),
            ]
        } else {
            &[TcpOptionElement::Noop, TcpOptionElement::Noop, ts]
        };
        tcp.set_options(options).map_err(io::Error::other)?;
        flow.next_seq[dir] = flow.next_seq[dir]
            .wrapping_add(payload.len() as u32)
            .wrapping_add(u32::from(flags.syn) + u32::from(flags.fin));
        flow.ts_val[dir] = flow.ts_val[dir].wrapping_add(1);
        let ip = Ipv4Header::new(0, 64, etherparse::IpNumber::TCP, me.ip, peer.ip)
            .map_err(io::Error::other)?;
        self.tcp_frame(me.mac, peer.mac, ip, tcp, payload)
    }

    /// Writes a TCP segment of `flow` whose payload is `len` random bytes.
    pub fn tcp_random(
        &mut self,
        flow: &mut TcpFlow,
        dir: usize,
        flags: Flags,
        len: usize,
    ) -> io::Result<()> {
        let span = self.random_span(len);
        // The pool is lent out for the write so that no bytes are copied.
        let pool = std::mem::take(&mut self.pool);
        let written = self.tcp(flow, dir, flags, &pool[span]);
        self.pool = pool;
        written
    }

    /// Writes a TCP frame from ready headers (lengths and checksums are recomputed).
    pub fn tcp_frame(
        &mut self,
        src_mac: [u8; 6],
        dst_mac: [u8; 6],
        ip: Ipv4Header,
        tcp: TcpHeader,
        payload: &[u8],
    ) -> io::Result<()> {
        let builder = PacketBuilder::ethernet2(src_mac, dst_mac)
            .ip(IpHeaders::Ipv4(ip, Default::default()))
            .tcp_header(tcp);
        self.frame.clear();
        builder
            .write(&mut self.frame, payload)
            .map_err(io::Error::other)?;
        self.record()
    }

    /// Writes one UDP datagram.
    pub fn udp(&mut self, src: Endpoint, dst: Endpoint, payload: &[u8]) -> io::Result<()> {
        let builder = PacketBuilder::ethernet2(src.mac, dst.mac)
            .ipv4(src.ip, dst.ip, 64)
            .udp(src.port, dst.port);
        self.frame.clear();
        builder
            .write(&mut self.frame, payload)
            .map_err(io::Error::other)?;
        self.record()
    }

    fn record(&mut self) -> io::Result<()> {
        let secs = START_SECS + self.clock_us / 1_000_000;
        let micros = self.clock_us % 1_000_000;
        let len = self.frame.len() as u32;
        let mut header = [0u8; 16];
        header[0..4].copy_from_slice(&(secs as u32).to_le_bytes());
        header[4..8].copy_from_slice(&(micros as u32).to_le_bytes());
        header[8..12].copy_from_slice(&len.to_le_bytes());
        header[12..16].copy_from_slice(&len.to_le_bytes());
        self.out.write_all(&header)?;
        self.out.write_all(&self.frame)?;
        self.frames += 1;
        self.bytes += 16 + u64::from(len);
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}
