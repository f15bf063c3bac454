//! `--baseline good.pcap` (FAQ I.5 and II.V) through the binary: a capture against itself passes; failing
//! captures against a healthy one report the first departure, with a frame from each capture, each
//! evidence item naming its capture.

use std::process::Command;

use serde_json::Value;

const GOOD: &str = "fixtures/healthy-bootstrap/capture.pcap";

fn compare(capture: &str) -> Value {
    compare_with(capture, GOOD)
}

/// The `compare.baseline` result of `capture` (a fixture folder's capture) against `baseline`.
fn compare_with(capture: &str, baseline: &str) -> Value {
    let path = |p: &str| {
        if p.ends_with(".pcap") || p.ends_with(".pcapng") {
            p.to_string()
        } else {
            format!("fixtures/{p}/capture.pcap")
        }
    };
    let (capture, baseline) = (path(capture), path(baseline));
    let out = Command::new(env!("CARGO_BIN_EXE_cwmp-doctor"))
        .args([
            "check",
            "--pcap",
            &capture,
            "--baseline",
            &baseline,
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

/// The frames the evidence cites, in order.
fn frames(check: &Value) -> Vec<u64> {
    check["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["frame"].as_u64().unwrap_or(0))
        .collect()
}

fn summary(check: &Value) -> &str {
    check["summary"].as_str().unwrap()
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
        summary.contains(
            "session 1, message 4: HTTP status class is 4xx, the working capture has 2xx"
        ),
        "{summary}"
    );
    assert_eq!(
        sources(&c),
        [
            "cwmp-credentials-wrong-digest-password",
            "healthy-bootstrap"
        ]
    );
    assert_eq!(
        frames(&c),
        [21, 22],
        "the 401 here, the InformResponse there"
    );
}

#[test]
fn an_acs_error_and_a_configuration_fault_are_where_they_depart() {
    let c = compare("fixtures/session-inform-response-500/capture.pcap");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("HTTP status class is 5xx"),
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
    assert_eq!(
        sources(&c),
        [
            "acs-connect-syn-unanswered",
            "healthy-bootstrap",
            "healthy-bootstrap"
        ]
    );
    assert_eq!(
        frames(&c),
        [3, 4, 9],
        "the first unanswered SYN here, the SYN-ACK and the Inform there"
    );
    assert!(
        c["summary"].as_str().unwrap().contains("SYN unanswered"),
        "{c}"
    );
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

#[test]
fn the_cpe_request_that_departs_is_cited_before_the_acs_answer_to_it() {
    let c = compare_with(
        "session-complete-cookie-attributes-echoed",
        "healthy-acs-port-80",
    );
    assert_eq!(c["status"], "fail", "{c}");
    assert!(
        summary(&c).contains("Cookie attributes echoed is path, the working capture has none"),
        "{c}"
    );
    assert_eq!(frames(&c), [24, 24]);

    let c = compare("fixtures/cwmp-credentials-basic-where-digest/capture.pcap");
    assert_eq!(c["status"], "fail", "{c}");
    assert!(
        summary(&c).contains("message 3: Authorization is basic, the working capture has digest"),
        "{c}"
    );
    assert_eq!(
        frames(&c),
        [18, 18],
        "the Basic Authorization, not the 401 (#21)"
    );

    let c = compare("fixtures/session-complete-400-cookie-not-returned/capture.pcap");
    assert_eq!(c["status"], "fail", "{c}");
    assert!(
        summary(&c).contains("Cookie is absent, the working capture has present"),
        "{c}"
    );
    assert_eq!(
        frames(&c)[0],
        38,
        "the POST without the cookie, not the 400 (#42)"
    );
}

#[test]
fn scapy_pairs_depart_at_the_missing_cookie_and_the_missing_soapaction() {
    let dir = "fixtures/compare-baseline-cookie-not-returned";
    let c = compare_with(
        &format!("{dir}/capture.pcap"),
        &format!("{dir}/baseline.pcap"),
    );
    assert_eq!(c["status"], "fail", "{c}");
    assert!(summary(&c).contains("message 3: Cookie is absent"), "{c}");
    assert_eq!(
        frames(&c),
        [6, 6],
        "the empty POST without Cookie, not the 400 (#7)"
    );

    let dir = "fixtures/compare-baseline-soapaction-missing";
    let c = compare_with(
        &format!("{dir}/capture.pcap"),
        &format!("{dir}/baseline.pcap"),
    );
    assert_eq!(c["status"], "fail", "{c}");
    assert!(
        summary(&c).contains("message 1: SOAPAction is absent"),
        "{c}"
    );
    assert_eq!(frames(&c), [4, 4], "the Inform, not the 400 (#5)");
}

#[test]
fn connection_requests_are_compared_too() {
    let c = compare_with("cr-auth-wrong-password", "healthy-connection-request");
    assert_eq!(c["status"], "fail", "{c}");
    assert!(
        summary(&c).contains(
            "connection request 1, message 4: HTTP status class is 4xx, the working capture has 2xx"
        ),
        "{c}"
    );
    assert_eq!(frames(&c), [37, 37]);

    let c = compare_with(
        "cr-challenge-unauthenticated-accepted",
        "healthy-connection-request",
    );
    assert_eq!(c["status"], "fail", "{c}");
    assert!(
        summary(&c).contains(
            "connection request 1, message 2: HTTP status class is 2xx, the working capture has 4xx"
        ),
        "{c}"
    );
    assert_eq!(frames(&c), [34, 34]);
}

#[test]
fn cwmp_inside_tls_on_either_side_is_skipped() {
    for (capture, baseline) in [
        ("healthy-tls12", "healthy-acs-port-80"),
        ("healthy-acs-port-80", "healthy-tls12"),
    ] {
        let c = compare_with(capture, baseline);
        assert_eq!(c["status"], "skip", "{capture} vs {baseline}: {c}");
        assert!(summary(&c).contains("TLS: contents not visible"), "{c}");
    }
}

#[test]
fn a_failed_dns_answer_is_cited_against_the_baseline_answer() {
    let c = compare_with("acs-dns-nxdomain", "acs-dns-ok");
    assert_eq!(c["status"], "fail", "{c}");
    assert!(summary(&c).contains("DNS answer for"), "{c}");
    let ev = c["evidence"].as_array().unwrap();
    assert!(ev[0]["text"].as_str().unwrap().contains("NXDOMAIN"), "{c}");
    assert!(
        ev[1]["text"].as_str().unwrap().contains("with an address"),
        "{c}"
    );
    assert_eq!(sources(&c)[..2], ["acs-dns-nxdomain", "acs-dns-ok"]);
}

#[test]
fn a_baseline_that_fails_its_own_checks_is_not_a_reference() {
    let c = compare_with(
        "healthy-bootstrap",
        "cwmp-credentials-wrong-digest-password",
    );
    assert_eq!(c["status"], "warn", "{c}");
    assert_eq!(c["mode"], "baseline-fails");
    assert!(
        summary(&c).contains("is not a working capture: its check cwmp.credentials fails"),
        "{c}"
    );
}

#[test]
fn differences_between_two_working_captures_only_warn_at_the_first_one() {
    let c = compare_with("healthy-acs-port-80", "healthy-acs-port-10301");
    assert_eq!(c["status"], "warn", "{c}");
    assert_eq!(c["mode"], "differs");

    let c = compare_with("healthy-periodic", "healthy-bootstrap");
    assert_eq!(c["status"], "warn", "{c}");
    assert!(
        summary(&c).contains(
            "message 3: EventCodes is 2 PERIODIC, the working capture has 0 BOOTSTRAP, 1 BOOT"
        ),
        "the Inform (message 3 after the answered challenge), not a later RPC: {c}"
    );
}
