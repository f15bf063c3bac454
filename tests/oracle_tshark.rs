//! The oracle: for every fixture capture (and the real corpus captures), the HTTP messages the engine
//! rebuilds complete in exactly the frames where tshark's HTTP dissector completes them
//! (`tshark -o tcp.reassemble_out_of_order:TRUE -r F -Y 'http.request || http.response'`).
//!
//! A fixture may tune tshark where tshark 4.0 cannot see what is on the wire, in its `expect.toml`:
//! `[oracle] decode_as = ["tcp.port==7547,http"]` (its HTTP heuristic needs a whole request line in the
//! first segment) and `out_of_order = false` (with out-of-order reassembly on, tshark waits forever
//! behind a hole), and `snaplen_cut = true` for a capture whose frames were cut by the snap length: tshark
//! then also reports messages whose bytes it never saw (flagged "[Packet size limited during capture]",
//! `_ws.short`), which no reassembly can rebuild, so only the messages completed in frames tshark saw whole
//! are compared. Only messages that completed are compared: tshark never shows an unfinished one.
//! Skipped, with the reason printed, when tshark is not installed.
mod common;
use common::{fixture_dirs, tshark_available};

use std::path::{Path, PathBuf};
use std::process::Command;

use cwmp_doctor::capture::Input;
use cwmp_doctor::engine::analyze;

#[derive(Default)]
struct OracleOptions {
    decode_as: Vec<String>,
    out_of_order: bool,
    snaplen_cut: bool,
}

fn options(dir: &Path) -> OracleOptions {
    let mut o = OracleOptions {
        out_of_order: true,
        ..Default::default()
    };
    let Ok(text) = std::fs::read_to_string(dir.join("expect.toml")) else {
        return o;
    };
    let doc: toml::Table = toml::from_str(&text).expect("expect.toml parses");
    if let Some(oracle) = doc.get("oracle").and_then(|v| v.as_table()) {
        if let Some(list) = oracle.get("decode_as").and_then(|v| v.as_array()) {
            o.decode_as = list
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect();
        }
        if let Some(ooo) = oracle.get("out_of_order").and_then(|v| v.as_bool()) {
            o.out_of_order = ooo;
        }
        if let Some(cut) = oracle.get("snaplen_cut").and_then(|v| v.as_bool()) {
            o.snaplen_cut = cut;
        }
    }
    o
}

fn tshark_frames(capture: &Path, o: &OracleOptions) -> Vec<u64> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-o").arg(format!(
        "tcp.reassemble_out_of_order:{}",
        if o.out_of_order { "TRUE" } else { "FALSE" }
    ));
    for d in &o.decode_as {
        cmd.arg("-d").arg(d);
    }
    cmd.arg("-r").arg(capture);
    let filter = if o.snaplen_cut {
        "(http.request || http.response) && !_ws.short"
    } else {
        "http.request || http.response"
    };
    cmd.args(["-Y", filter, "-T", "fields", "-e", "frame.number"]);
    let out = cmd.output().expect("tshark runs");
    // tshark exits 2 on a cut file after printing what it read: the frames it printed still count.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

fn our_frames(capture: &Path) -> Vec<u64> {
    let facts = analyze(&Input::File(capture.to_path_buf())).expect("the capture is readable");
    facts
        .messages
        .iter()
        .filter(|m| m.http.complete())
        .map(|m| m.http.last.frame)
        .collect()
}

fn captures_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    out.sort();
    out
}

fn expects_exit_2(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("expect.toml"))
        .ok()
        .and_then(|t| toml::from_str::<toml::Table>(&t).ok())
        .and_then(|d| d.get("exit").and_then(|v| v.as_integer()))
        == Some(2)
}

#[test]
fn http_messages_match_tshark_on_every_fixture() {
    if !tshark_available() {
        eprintln!("SKIPPED: tshark is not installed (apt-get install -y tshark)");
        return;
    }
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for dir in fixture_dirs() {
        if expects_exit_2(&dir) {
            continue;
        }
        let o = options(&dir);
        for capture in captures_in(&dir) {
            compared += 1;
            let (ours, theirs) = (our_frames(&capture), tshark_frames(&capture, &o));
            if ours != theirs {
                mismatches.push(format!(
                    "{}:\n  ours   {ours:?}\n  tshark {theirs:?}",
                    capture.display()
                ));
            }
        }
    }
    assert!(compared > 0, "no fixture captures found");
    assert!(
        mismatches.is_empty(),
        "{} of {compared} captures differ from tshark:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    eprintln!("{compared} fixture captures agree with tshark");
}

#[test]
fn http_messages_match_tshark_on_the_real_corpus_captures() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/pcap");
    if !corpus.is_dir() {
        eprintln!("SKIPPED: {} is absent", corpus.display());
        return;
    }
    if !tshark_available() {
        eprintln!("SKIPPED: tshark is not installed (apt-get install -y tshark)");
        return;
    }
    for capture in captures_in(&corpus) {
        let (ours, theirs) = (
            our_frames(&capture),
            tshark_frames(
                &capture,
                &OracleOptions {
                    out_of_order: true,
                    ..Default::default()
                },
            ),
        );
        assert_eq!(ours, theirs, "{}", capture.display());
    }
}
