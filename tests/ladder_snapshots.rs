//! Snapshot tests of the ladder diagrams in each format: the text ladder (80 columns), the Mermaid
//! `sequenceDiagram` of the Markdown report, and the inline SVG of the HTML report.
//!
//! Takes: scenario fixtures (a healthy session, a response cut by a reset, a capture that begins
//! mid-session, IPv6 addresses) and the corpus captures `ctf-snakectf2024-router-wan.pcap` (a connection
//! request and the session it triggers) and `magma-baicells-qrtb-enodebd.pcap` (three sessions) — the
//! corpus ones skipped, with the reason printed, when `../shared/corpus` is absent.
//! Gives: failures when a ladder differs from its committed snapshot under `tests/snapshots/`; review a
//! change with `cargo insta review` (or `INSTA_UPDATE=always cargo test --test ladder_snapshots` and
//! `git diff`).

use std::path::{Path, PathBuf};

use cwmp_doctor::capture::Input;
use cwmp_doctor::config::Config;
use cwmp_doctor::diagnose::{Options, diagnose};
use cwmp_doctor::report::{Report, html_ladder, markdown_ladder, text_ladder};

fn report(path: &Path) -> Report {
    diagnose(
        Some(&Input::File(path.to_path_buf())),
        &Config::default(),
        Options::default(),
    )
    .map(|d| d.report)
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every format's ladders of one capture, each against its snapshot.
fn snapshot_ladders(name: &str, path: &Path) {
    let report = report(path);
    assert!(!report.ladders.is_empty(), "{name}: no ladder");
    insta::assert_snapshot!(format!("{name}.text"), text_ladder::render(&report, false));
    insta::assert_snapshot!(format!("{name}.mermaid"), markdown_ladder::render(&report));
    insta::assert_snapshot!(format!("{name}.svg"), html_ladder::render(&report));
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
        .join("capture.pcap")
}

fn corpus(file: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/pcap")
        .join(file);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: {} is absent", path.display());
        None
    }
}

#[test]
fn healthy_session() {
    snapshot_ladders("http-port-7547", &fixture("http-port-7547"));
}

#[test]
fn response_cut_by_a_reset() {
    snapshot_ladders("tcp-rst-mid-response", &fixture("tcp-rst-mid-response"));
}

#[test]
fn capture_begins_mid_session() {
    snapshot_ladders("tcp-midstream-start", &fixture("tcp-midstream-start"));
}

#[test]
fn ipv6_addresses() {
    snapshot_ladders("http-ipv6-loopback", &fixture("http-ipv6-loopback"));
}

#[test]
fn corpus_connection_request_and_its_session() {
    if let Some(path) = corpus("ctf-snakectf2024-router-wan.pcap") {
        snapshot_ladders("ctf-snakectf2024-router-wan", &path);
    }
}

#[test]
fn corpus_three_periodic_sessions() {
    if let Some(path) = corpus("magma-baicells-qrtb-enodebd.pcap") {
        snapshot_ladders("magma-baicells-qrtb-enodebd", &path);
    }
}
