//! `cwmp-doctor check --live` through the binary: probes against real listeners on 127.0.0.1, alone and
//! combined with a capture, with each evidence item saying where it comes from and no password in any
//! output.

use std::net::TcpListener;
use std::process::Command;

use serde_json::Value;

/// A port on 127.0.0.1 where nothing listens (bound, then released).
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn run(args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cwmp-doctor"))
        .arg("check")
        .args(args)
        .args(["--format", "json"])
        .env("ACS_PW", "s3cret-acs-pw")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        json,
        stdout + &String::from_utf8_lossy(&out.stderr),
    )
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

#[test]
fn live_only_run_against_a_closed_port_fails_acs_connect_with_live_evidence() {
    let url = format!("http://127.0.0.1:{}/acs", closed_port());
    let (code, report, all) = run(&[
        "--live",
        "--wan-target",
        "127.0.0.1",
        "--acs-url",
        &url,
        "--acs-username",
        "cpe",
        "--acs-password-env",
        "ACS_PW",
        "--timeout",
        "1",
    ]);
    assert_eq!(code, 1, "{all}");
    assert_eq!(report["first_failure"], "acs.connect");
    let c = check(&report, "acs.connect");
    assert_eq!(c["status"], "fail");
    assert_eq!(c["mode"], "refused");
    assert!(
        c["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["source"] == "live" && e["frame"].is_null())
    );
    assert_eq!(
        check(&report, "session.inform")["status"],
        "skip",
        "a capture check without a capture skips"
    );
    assert!(!all.contains("s3cret-acs-pw"), "the password leaked: {all}");
}

#[test]
fn capture_and_live_together_name_both_sources() {
    let url = format!("http://127.0.0.1:{}/acs", closed_port());
    let pcap = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/http-port-7547/capture.pcap"
    );
    let (code, report, all) = run(&[
        "--pcap",
        pcap,
        "--live",
        "--wan-target",
        "127.0.0.1",
        "--acs-url",
        &url,
        "--timeout",
        "1",
    ]);
    assert_eq!(code, 1, "{all}");
    let c = check(&report, "acs.connect");
    assert_eq!(
        c["status"], "fail",
        "the network now fails though the capture shows it working"
    );
    let summary = c["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("capture: ") && summary.contains("; live: "),
        "{summary}"
    );
    let sources: Vec<&str> = c["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["source"].as_str())
        .collect();
    assert!(
        sources.contains(&"live") && sources.iter().any(|s| s.ends_with("capture.pcap")),
        "{sources:?}"
    );
    assert_eq!(
        check(&report, "session.inform")["status"],
        "pass",
        "capture-only checks keep their verdict"
    );
}

#[test]
fn live_flags_without_live_are_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_cwmp-doctor"))
        .args(["check", "--pcap", "x.pcap", "--repeat", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
