//! Writes the benchmark capture (benches/README.md): WAN-like bulk traffic with a complete CWMP session
//! every ~300 frames.
//!
//! Usage: `gen_capture OUT.pcap SIZE [--bulk-only]` — SIZE in bytes, or with a K/M/G suffix (binary:
//! `256M`, `1G`). `--bulk-only` writes only the downloads and the RTP stream (no CWMP, TLS or DNS): the
//! traffic that must cost the diagnosis no allocation at all.
//! Takes: nothing but its arguments; the recorded sessions are compiled in. Gives: a classic pcap file
//! (Ethernet, microseconds) of at least SIZE bytes, and on stdout the numbers a diagnosis must find:
//! `expect frames=… http_requests=… http_messages=… cwmp_sessions=…`.
//!
//! Invariants: the output depends on SIZE only (fixed seed, seeded Xoshiro256++); time stamps increase;
//! every CWMP session is complete (the sessions still open when SIZE is reached are written to their end),
//! each on its own TCP connection from its own CPE address (100.64.0.0/10, as carrier-grade NAT hands out);
//! nothing else in the file is HTTP.

mod bulk;
mod replay;
mod wire;

use std::io;
use std::process::ExitCode;
use std::time::Instant;

use rand::RngExt;

use bulk::{Dns, Download, Rtp, Source, Tls};
use replay::{Replay, Template};
use wire::{Endpoint, Gen};

const SEED: u64 = 0x7547_2025_1121;
/// Real CWMP sessions (fixtures/README.md: a Python CPE and ACS on loopback, recorded with tcpdump).
const SESSIONS: [(&str, &[u8]); 2] = [
    (
        "http-port-7547",
        include_bytes!("../../fixtures/http-port-7547/capture.pcap"),
    ),
    (
        "http-large-inform",
        include_bytes!("../../fixtures/http-large-inform/capture.pcap"),
    ),
];
/// A real TLS 1.3 handshake (src/apps/testdata/README.md: OpenSSL s_client/s_server on loopback).
const TLS13: &[u8] = include_bytes!("../../src/apps/testdata/tls13.pcap");

/// The ISP's router: every remote end is reached through it.
const ROUTER_MAC: [u8; 6] = [0x00, 0x00, 0x5e, 0x00, 0x01, 0x01];
const ACS: Endpoint = Endpoint {
    mac: ROUTER_MAC,
    ip: [198, 51, 100, 20],
    port: 7547,
};
/// Frames between two CWMP session starts.
const SESSION_GAP: std::ops::RangeInclusive<u64> = 250..=350;
/// A session's share of the frames while it runs, against the bulk sources' (90 in all).
const SESSION_WEIGHT: u32 = 20;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Download,
    Tls,
    Dns,
    Rtp,
}

/// A local host (192.0.2.0/24) with its own MAC.
fn host(n: u8, port: u16) -> Endpoint {
    Endpoint {
        mac: [0x02, 0x00, 0x00, 0x00, 0x02, n],
        ip: [192, 0, 2, n],
        port,
    }
}

/// A remote server (203.0.113.0/24).
fn remote(n: u8, port: u16) -> Endpoint {
    Endpoint {
        mac: ROUTER_MAC,
        ip: [203, 0, 113, n],
        port,
    }
}

/// The CPE of session `n`: its own address in 100.64.0.0/10, MAC and source port.
fn cpe(n: u64) -> Endpoint {
    let a = (n + 1) as u32;
    Endpoint {
        mac: [
            0x02,
            0xcb,
            (a >> 24) as u8,
            (a >> 16) as u8,
            (a >> 8) as u8,
            a as u8,
        ],
        ip: [100, 64 + ((a >> 16) & 0x3f) as u8, (a >> 8) as u8, a as u8],
        port: 49_152 + (n % 16_000) as u16,
    }
}

/// Starts new bulk connections as old ones end.
struct Spawner<'t> {
    next_port: u16,
    handshake: [&'t [u8]; 3],
}

impl Spawner<'_> {
    fn port(&mut self) -> u16 {
        self.next_port = if self.next_port >= 60_999 {
            32_768
        } else {
            self.next_port + 1
        };
        self.next_port
    }

    fn spawn(&mut self, kind: Kind, slot: u8, g: &mut Gen) -> io::Result<Box<dyn Source>> {
        Ok(match kind {
            Kind::Download => {
                let bytes = g.rng.random_range(8u64 << 20..=128 << 20);
                let (ftp_server, client) = (remote(10 + slot, 20), host(10 + slot, self.port()));
                Box::new(Download::new(ftp_server, client, bytes, false, g))
            }
            Kind::Tls => {
                let server = remote(50 + g.rng.random_range(0..20), 443);
                Box::new(Tls::new(
                    host(20 + slot, self.port()),
                    server,
                    &self.handshake,
                    g,
                ))
            }
            Kind::Dns => Box::new(Dns::new(host(30, 0), remote(53, 53))?),
            Kind::Rtp => Box::new(Rtp::new(host(40, 16_384), remote(40, 30_000), g)),
        })
    }
}

fn parse_size(s: &str) -> Option<u64> {
    let (digits, unit) = match s.char_indices().last()? {
        (i, 'K' | 'k') => (&s[..i], 1 << 10),
        (i, 'M' | 'm') => (&s[..i], 1 << 20),
        (i, 'G' | 'g') => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bulk_only = match args.get(2).map(String::as_str) {
        None => Some(false),
        Some("--bulk-only") => Some(true),
        Some(_) => None,
    };
    let (Some(path), Some(size), Some(bulk_only)) = (
        args.first(),
        args.get(1).and_then(|s| parse_size(s)),
        bulk_only,
    ) else {
        eprintln!("usage: gen_capture OUT.pcap SIZE [--bulk-only]   (SIZE: bytes or 256M, 1G, …)");
        return ExitCode::from(2);
    };
    match generate(path, size, bulk_only) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_capture: {path}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn generate(path: &str, size: u64, bulk_only: bool) -> io::Result<()> {
    let started = Instant::now();
    let templates = SESSIONS
        .iter()
        .map(|(name, bytes)| Template::load(name, bytes))
        .collect::<io::Result<Vec<_>>>()?;
    let tls = Template::load("tls13.pcap", TLS13)?;
    let flights: Vec<&[u8]> = tls.payloads().map(|(_, p)| p).take(3).collect();
    let mut spawner = Spawner {
        next_port: 40_000,
        handshake: flights
            .try_into()
            .map_err(|_| io::Error::other("tls13.pcap: fewer than three flights"))?,
    };
    let mut g = Gen::create(path, SEED)?;

    // Two of the four downloads were already running when the capture started.
    let mut slots: Vec<(Kind, Box<dyn Source>)> = Vec::new();
    for slot in 0..4u8 {
        let d = Download::new(
            remote(10 + slot, 20),
            host(10 + slot, spawner.port()),
            64 << 20,
            slot < 2,
            &mut g,
        );
        slots.push((Kind::Download, Box::new(d)));
    }
    for (slot, kind) in [
        (0, Kind::Tls),
        (1, Kind::Tls),
        (0, Kind::Dns),
        (0, Kind::Rtp),
    ] {
        if !bulk_only || kind == Kind::Rtp {
            slots.push((kind, spawner.spawn(kind, slot, &mut g)?));
        }
    }
    let bulk_weight: u32 = slots.iter().map(|(_, s)| s.weight()).sum();

    let mut sessions: Vec<Replay> = Vec::new();
    let (mut started_sessions, mut requests, mut responses) = (0u64, 0u64, 0u64);
    let mut frames_of = [0u64; 5];
    let (mut since, mut gap) = (0, g.rng.random_range(SESSION_GAP));
    if bulk_only {
        gap = u64::MAX;
    }
    while g.bytes < size {
        g.tick();
        if since >= gap {
            let t = &templates[(started_sessions % 2) as usize];
            sessions.push(Replay::new(t, cpe(started_sessions), ACS, &mut g));
            started_sessions += 1;
            requests += t.requests;
            responses += t.responses;
            (since, gap) = (0, g.rng.random_range(SESSION_GAP));
        }
        since += 1;
        let session_weight = SESSION_WEIGHT * sessions.len() as u32;
        let pick = g.rng.random_range(0..bulk_weight + session_weight);
        if pick < session_weight {
            let i = (pick / SESSION_WEIGHT) as usize;
            frames_of[4] += 1;
            if !sessions[i].step(&mut g)? {
                sessions.swap_remove(i);
            }
            continue;
        }
        let mut left = pick - session_weight;
        let i = slots
            .iter()
            .position(|(_, s)| {
                let hit = left < s.weight();
                left = left.saturating_sub(s.weight());
                hit
            })
            .expect("the pick is below the weights' sum");
        let kind = slots[i].0;
        frames_of[kind as usize] += 1;
        if !slots[i].1.step(&mut g)? {
            slots[i].1 = spawner.spawn(kind, i as u8, &mut g)?;
        }
    }
    for mut s in sessions {
        loop {
            g.tick();
            frames_of[4] += 1;
            if !s.step(&mut g)? {
                break;
            }
        }
    }
    let (frames, bytes) = (g.frames, g.bytes);
    g.finish()?;
    println!(
        "wrote {path}: {frames} frames, {bytes} bytes in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    println!(
        "mix: download={} tls={} dns={} rtp={} cwmp={} frames",
        frames_of[0], frames_of[1], frames_of[2], frames_of[3], frames_of[4]
    );
    println!(
        "expect frames={frames} http_requests={requests} http_messages={} cwmp_sessions={started_sessions}",
        requests + responses
    );
    Ok(())
}
