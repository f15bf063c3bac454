//! Connection ids number TCP connections as Wireshark's `tcp.stream` does, so a report can hand R&D a
//! display filter (`tcp.stream eq 3`) that shows the connection. Held against tshark on every fixture
//! and corpus capture; skipped, with the reason printed, without tshark.
mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use cwmp_doctor::capture::Input;
use cwmp_doctor::engine::analyze;

fn captures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [root.join("fixtures"), root.join("../shared/corpus/pcap")] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(
                    ["capture.pcap", "capture.pcapng"]
                        .iter()
                        .map(|n| p.join(n))
                        .filter(|c| c.exists()),
                );
            } else if p.extension().is_some_and(|x| x == "pcap") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// tshark's `tcp.stream` of each frame.
fn tshark_streams(capture: &Path) -> HashMap<u64, u32> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(capture)
        .args([
            "-Y",
            "tcp",
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "tcp.stream",
        ])
        .output()
        .expect("tshark runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?))
        })
        .collect()
}

#[test]
fn connection_ids_are_tsharks_tcp_stream_numbers() {
    if !common::tshark_available() {
        eprintln!("SKIPPED: tshark is not installed");
        return;
    }
    let mut mismatches = Vec::new();
    for capture in captures() {
        let Ok(facts) = analyze(&Input::File(capture.clone())) else {
            continue;
        };
        let streams = tshark_streams(&capture);
        for c in &facts.conns {
            if let Some(&s) = streams.get(&c.first.frame)
                && s != c.id
            {
                mismatches.push(format!(
                    "{}: connection first seen in frame {} is ours {} / tshark {s}",
                    capture.display(),
                    c.first.frame,
                    c.id
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
