//! Baseline for the benchmark (benches/README.md): the bare pcap-parser read loop over a capture.
//!
//! Usage: `bare_read FILE`. Takes: a classic pcap or pcapng file. Gives: on stdout, the frames read and
//! the sum of their captured lengths — the floor any analysis that reads the file with pcap-parser
//! stands on. The loop is pcap-parser's documented one (`create_reader`, then `next` / `consume` /
//! `refill`), with the buffer size the capture stage starts with, and it touches every frame's bytes
//! (`black_box`) so that nothing is optimised away.

use std::fs::File;
use std::hint::black_box;
use std::process::ExitCode;

use pcap_parser::{PcapBlockOwned, PcapError, create_reader};

/// The buffer size `cwmp_doctor::capture` starts with.
const BUFFER: usize = cwmp_doctor::capture::INITIAL_BUFFER;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: bare_read FILE");
        return ExitCode::from(2);
    };
    match read(&path) {
        Ok((frames, bytes)) => {
            println!("found frames={frames} captured_bytes={bytes}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bare_read: {path}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read(path: &str) -> Result<(u64, u64), String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let mut reader = create_reader(BUFFER, file).map_err(|e| format!("{e:?}"))?;
    let (mut frames, mut bytes) = (0u64, 0u64);
    loop {
        match reader.next() {
            Ok((len, block)) => {
                let data = match block {
                    PcapBlockOwned::Legacy(b) => Some(b.data),
                    PcapBlockOwned::NG(pcap_parser::Block::EnhancedPacket(b)) => Some(b.data),
                    _ => None,
                };
                if let Some(data) = data {
                    frames += 1;
                    bytes += black_box(data).len() as u64;
                }
                reader.consume(len);
            }
            Err(PcapError::Eof) => return Ok((frames, bytes)),
            Err(PcapError::Incomplete(_)) => reader.refill().map_err(|e| format!("{e:?}"))?,
            Err(e) => return Err(format!("after frame {frames}: {e:?}")),
        }
    }
}
