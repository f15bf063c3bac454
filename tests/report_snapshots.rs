//! Snapshot tests of the text, JSON and Markdown reports: each format a pure function of one report
//! value (hyperfine's `export/` style), held against committed snapshots for captures that exercise a
//! healthy session, a credentials failure, a SOAP fault, a connection-request failure, a configuration
//! fault and a certificate problem. A change to the wording, layout or JSON shape shows up as a diff to
//! review (`INSTA_UPDATE=always cargo test --test report_snapshots`, then read the diff).

use std::path::PathBuf;

use cwmp_doctor::capture::Input;
use cwmp_doctor::config::Config;
use cwmp_doctor::diagnose::{Options, diagnose};
use cwmp_doctor::report::{Report, json, markdown, text};

const FIXTURES: [&str; 6] = [
    "healthy-bootstrap",
    "cwmp-credentials-wrong-digest-password",
    "session-inform-response-fault-8002",
    "cr-auth-wrong-password",
    "config-apply-spv-fault-9007",
    "acs-tls-cert-expired",
];

/// Diagnoses a fixture by its path relative to the repository (stable in the snapshots).
fn report(name: &str) -> Report {
    // `cargo test` runs integration tests from the package root.
    let path = PathBuf::from(format!("fixtures/{name}/capture.pcap"));
    diagnose(
        Some(&Input::File(path)),
        &Config::default(),
        Options::default(),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
    .report
}

#[test]
fn text_reports() {
    for name in FIXTURES {
        insta::assert_snapshot!(format!("{name}.text"), text::render(&report(name), false));
    }
}

#[test]
fn json_reports() {
    for name in FIXTURES {
        insta::assert_snapshot!(format!("{name}.json"), json::render(&report(name)));
    }
}

#[test]
fn markdown_reports() {
    for name in FIXTURES {
        insta::assert_snapshot!(format!("{name}.md"), markdown::render(&report(name)));
    }
}

#[test]
fn text_report_fits_eighty_columns() {
    for name in FIXTURES {
        let t = text::render(&report(name), false);
        for line in t.lines() {
            let width = line.chars().count();
            assert!(width <= 80, "{name}: a line of {width} columns:\n{line}");
        }
    }
}
