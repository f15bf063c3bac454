//! Every fixture folder (`fixtures/<case>/capture.* + expect.toml`) through the real binary: the exit
//! status, the first failure, the status of every check the expectation lists, summary substrings, and
//! the engine's message count and RPCs. Adding a case needs no Rust: a folder with a capture and an
//! `expect.toml` (see fixtures/README.md).
mod common;
use common::fixture_dirs;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
fn capture_of(dir: &Path) -> PathBuf {
    ["capture.pcap", "capture.pcapng"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{}: no capture.pcap or capture.pcapng", dir.display()))
}

/// Runs one fixture; returns what differs from its expectation.
fn check_fixture(dir: &Path) -> Vec<String> {
    let expect: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.join("expect.toml")).unwrap())
            .unwrap_or_else(|e| panic!("{}/expect.toml: {e}", dir.display()));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cwmp-doctor"));
    cmd.arg("check")
        .arg("--pcap")
        .arg(capture_of(dir))
        .args(["--format", "json"]);
    if let Some(args) = expect.get("args").and_then(|a| a.as_array()) {
        cmd.args(args.iter().filter_map(|a| a.as_str()));
    }
    let out = cmd.output().expect("the binary runs");
    let mut problems = Vec::new();
    let code = out.status.code().unwrap_or(-1);
    if let Some(want) = expect.get("exit").and_then(|v| v.as_integer())
        && i64::from(code) != want
    {
        problems.push(format!(
            "exit {code}, expected {want}; stderr: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    if code == 2 {
        if !out.stdout.is_empty() {
            problems.push("exit 2 must print nothing on stdout".into());
        }
        let err = String::from_utf8_lossy(&out.stderr);
        if err.lines().count() != 1 {
            problems.push(format!("exit 2 must print one line on stderr, got {err:?}"));
        }
        return problems;
    }
    let report: Value = match serde_json::from_slice(&out.stdout) {
        Ok(v) => v,
        Err(e) => {
            return vec![format!(
                "stdout is not JSON ({e}); stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )];
        }
    };
    let checks = report["checks"].as_array().cloned().unwrap_or_default();
    let find = |id: &str| checks.iter().find(|c| c["id"] == id);
    if let Some(want) = expect.get("first_failure").and_then(|v| v.as_str()) {
        let got = report["first_failure"].as_str().unwrap_or("none");
        if got != want {
            let summary = find(got)
                .map(|c| c["summary"].to_string())
                .unwrap_or_default();
            problems.push(format!("first_failure {got} ({summary}), expected {want}"));
        }
    }
    if let Some(statuses) = expect.get("status").and_then(|v| v.as_table()) {
        for (id, want) in statuses {
            let Some(c) = find(id) else {
                problems.push(format!("{id}: no such check in the report"));
                continue;
            };
            let got = c["status"].as_str().unwrap_or("");
            if Some(got) != want.as_str() {
                problems.push(format!("{id}: {got} ({}), expected {}", c["summary"], want));
            }
        }
    }
    if let Some(summaries) = expect.get("summary").and_then(|v| v.as_table()) {
        for (id, wants) in summaries {
            let summary = find(id)
                .and_then(|c| c["summary"].as_str())
                .unwrap_or("")
                .to_lowercase();
            for w in wants
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|w| w.as_str())
            {
                if !summary.contains(&w.to_lowercase()) {
                    problems.push(format!("{id}: summary {summary:?} lacks {w:?}"));
                }
            }
        }
    }
    if let Some(engine) = expect.get("engine").and_then(|v| v.as_table()) {
        let messages: Vec<&Value> = report["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["complete"] == true)
            .collect();
        if let Some(n) = engine.get("http_messages").and_then(|v| v.as_integer())
            && messages.len() as i64 != n
        {
            problems.push(format!(
                "{} complete HTTP messages, expected {n}",
                messages.len()
            ));
        }
        if let Some(rpcs) = engine.get("rpcs").and_then(|v| v.as_array()) {
            let got: Vec<&str> = messages
                .iter()
                .map(|m| m["rpc"].as_str().unwrap_or(""))
                .collect();
            let want: Vec<&str> = rpcs.iter().filter_map(|r| r.as_str()).collect();
            if got != want {
                problems.push(format!("rpcs {got:?}, expected {want:?}"));
            }
        }
        if let Some(t) = engine.get("truncated").and_then(|v| v.as_bool()) {
            let noted = report["notes"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|n| n.as_str().is_some_and(|s| s.contains("truncated")));
            if noted != t {
                problems.push(format!("truncation noted: {noted}, expected {t}"));
            }
        }
        if let Some(t) = engine.get("snap_cut").and_then(|v| v.as_bool()) {
            let noted = report["notes"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|n| n.as_str().is_some_and(|s| s.contains("snap length")));
            if noted != t {
                problems.push(format!("snap-length cut noted: {noted}, expected {t}"));
            }
        }
    }
    problems
}

#[test]
fn every_fixture_gives_its_expected_report() {
    let mut failures = Vec::new();
    let dirs = fixture_dirs();
    assert!(!dirs.is_empty(), "no fixtures found");
    for dir in &dirs {
        let problems = check_fixture(dir);
        if !problems.is_empty() {
            let name = dir.file_name().unwrap().to_string_lossy();
            failures.push(format!("{name}:\n  {}", problems.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n")
    );
    eprintln!("{} fixtures give their expected reports", dirs.len());
}
