//! `--baseline good.pcap` (FAQ I.5 and II.V) through the binary: a capture against itself passes; failing
//! captures against a healthy one report the first departure, with a frame from each capture, each
//! evidence item naming its capture.

use std::process::Command;

use serde_json::Value;

const GOOD: &str = "fixtures/healthy-bootstrap/capture.pcap";

fn compare(capture: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_cwmp-doctor"))
        .args([
            "check",
            "--pcap",
            capture,
            "--baseline",
            GOOD,
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "compare.baseline")
        .unwrap()
        .clone()
}

/// The capture each evidence item names, by folder.
fn sources(check: &Value) -> Vec<String> {
    check["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["source"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .nth(1)
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[test]
fn a_healthy_capture_against_itself_passes() {
    let c = compare(GOOD);
    assert_eq!(c["status"], "pass", "{c}");
}

#[test]
fn rejected_credentials_depart_at_the_answer_to_the_authenticated_inform() {
    let c = compare("fixtures/cwmp-credentials-wrong-digest-password/capture.pcap");
    assert_eq!(c["status"], "fail");
    let summary = c["summary"].as_str().unwrap();
    assert!(
        summary.contains("session 1, message 4: HTTP is 401, the working capture has 200"),
        "{summary}"
    );
    assert_eq!(
        sources(&c),
        [
            "cwmp-credentials-wrong-digest-password",
            "healthy-bootstrap"
        ]
    );
    let frames: Vec<u64> = c["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["frame"].as_u64().unwrap())
        .collect();
    assert_eq!(frames, [21, 22], "the 401 here, the InformResponse there");
}

#[test]
fn an_acs_error_and_a_configuration_fault_are_where_they_depart() {
    let c = compare("fixtures/session-inform-response-500/capture.pcap");
    assert!(
        c["summary"].as_str().unwrap().contains("HTTP is 500"),
        "{c}"
    );
    let c = compare("fixtures/config-apply-spv-fault-9007/capture.pcap");
    assert_eq!(c["status"], "fail");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("RPC is Fault, the working capture has SetParameterValuesResponse"),
        "{c}"
    );
}

#[test]
fn a_capture_without_any_session_departs_at_the_first_session() {
    let c = compare("fixtures/acs-connect-syn-unanswered/capture.pcap");
    assert_eq!(c["status"], "fail");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("no CWMP session at all"),
        "{c}"
    );
    assert_eq!(sources(&c), ["healthy-bootstrap"]);
}

#[test]
fn an_unreadable_baseline_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_cwmp-doctor"))
        .args(["check", "--pcap", GOOD, "--baseline", "Cargo.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Cargo.toml"));
}
