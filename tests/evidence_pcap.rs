//! `--evidence-pcap`: the trimmed capture holds the frames the report cites and their connections, in the
//! original link type and time stamps, and tshark reads it back frame for frame as the report's map says.
//! Skipped, with the reason printed, without tshark.
mod common;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn tshark_rows(capture: &Path) -> Vec<String> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(capture)
        .args([
            "-T",
            "fields",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.len",
            "-e",
            "tcp.srcport",
            "-e",
            "tcp.seq_raw",
            "-e",
            "tcp.len",
        ])
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark reads {}: {}",
        capture.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect()
}

fn check(capture: &Path, smaller: bool) -> Vec<usize> {
    let fixture = capture.display().to_string();
    let tag = capture
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir =
        std::env::temp_dir().join(format!("cwmp-doctor-evidence-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let evidence = dir.join("evidence.pcap");
    let out = Command::new(env!("CARGO_BIN_EXE_cwmp-doctor"))
        .arg("check")
        .arg("--pcap")
        .arg(capture)
        .args(["--format", "json", "--evidence-pcap"])
        .arg(&evidence)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let map: Vec<(usize, usize)> = report["evidence_pcap"]["frames"]
        .as_array()
        .expect("the report maps the evidence capture's frames")
        .iter()
        .map(|f| {
            (
                f["original"].as_u64().unwrap() as usize,
                f["evidence"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    let original = tshark_rows(capture);
    let trimmed = tshark_rows(&evidence);
    assert_eq!(
        trimmed.len(),
        map.len(),
        "{fixture}: every written frame is mapped"
    );
    if smaller {
        assert!(
            trimmed.len() * 4 < original.len(),
            "{fixture}: {} of {} frames kept",
            trimmed.len(),
            original.len()
        );
    }
    for (o, e) in &map {
        assert_eq!(
            original[o - 1],
            trimmed[e - 1],
            "{fixture}: original frame {o} is evidence frame {e}"
        );
    }
    let cited: Vec<u64> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            c["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|e| e["frame"].as_u64())
        })
        .collect();
    for f in cited {
        assert!(
            map.iter().any(|(o, _)| *o as u64 == f),
            "{fixture}: cited frame {f} is in the evidence capture"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
    map.iter().map(|(o, _)| *o).collect()
}

#[test]
fn evidence_capture_reads_back_in_tshark_as_mapped() {
    if !common::tshark_available() {
        eprintln!("SKIPPED: tshark is not installed");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for fixture in [
        "tcp-rst-mid-response",
        "tcp-interleaved-connections",
        "link-pppoe-session",
    ] {
        check(
            &root.join("fixtures").join(fixture).join("capture.pcap"),
            false,
        );
    }
    // Every frame of the attempts' short connections (handshake, Inform, 503, teardown), retries
    // included: the retest evidence is the whole of each attempt.
    let fast = check(
        &root.join("fixtures/review-retest-503-fast/capture.pcap"),
        false,
    );
    assert_eq!(fast, (1..=32).collect::<Vec<_>>());
    // A cited DNS answer brings its lookup: both queries and both answers.
    let dns = check(&root.join("fixtures/acs-dns-nxdomain/capture.pcap"), false);
    assert_eq!(dns, [3, 4, 5, 6]);
    // A WAN capture full of unrelated traffic: the evidence capture keeps only the CWMP part.
    let noisy = root.join("../shared/corpus/pcap/ctf-snakectf2024-router-wan.pcap");
    if noisy.exists() {
        check(&noisy, true);
    } else {
        eprintln!("SKIPPED the corpus part: {} is absent", noisy.display());
    }
}
