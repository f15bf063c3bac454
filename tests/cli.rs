//! The command line's contracts (DESIGN.md §3) through the binary: `checks` and `explain`, the exit-code
//! policy with one-line errors, colour only when asked or on a terminal, and secrets that never reach
//! any output format unless `--show-secrets`.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cwmp-doctor"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const CREDENTIALS: &str = "fixtures/cwmp-credentials-digest-other-password/capture.pcap";
/// The Digest `response` the router sent in that capture, and the password given as a reference value.
const DIGEST_RESPONSE: &str = "605cbb9e6dd6cbf165c5c4b127afd1da";
const PASSWORD: &str = "Vq7-acs-4411";

#[test]
fn checks_lists_the_catalog_in_report_order() {
    let o = run(&["checks"]);
    assert!(o.status.success());
    let (out, _) = text(&o);
    let ids: Vec<&str> = out
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ids.len(), 20);
    assert_eq!((ids[0], ids[19]), ("wan.dial", "config.apply"));
}

#[test]
fn explain_prints_the_faq_step_and_hints_and_an_unknown_id_is_exit_2() {
    let (out, _) = text(&run(&["explain", "cwmp.credentials"]));
    assert!(
        out.contains("FAQ step I.2") && out.contains("Verifies:") && out.contains("rejected:"),
        "{out}"
    );
    let o = run(&["explain", "no.such"]);
    assert_eq!(o.status.code(), Some(2));
    let (out, err) = text(&o);
    assert!(
        out.is_empty() && err.lines().count() == 1 && err.contains("no.such"),
        "{err}"
    );
}

#[test]
fn an_output_that_is_an_input_is_refused_and_the_capture_left_whole() {
    let dir = std::env::temp_dir().join(format!("cwmp-doctor-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cap = dir.join("capture.pcap");
    std::fs::copy("fixtures/healthy-bootstrap/capture.pcap", &cap).unwrap();
    let before = std::fs::read(&cap).unwrap();
    let same = dir.join(".").join("capture.pcap");
    let (cap, same) = (cap.to_str().unwrap(), same.to_str().unwrap());
    let good = "fixtures/healthy-periodic/capture.pcap";
    for args in [
        vec!["check", "--pcap", cap, "--evidence-pcap", cap],
        vec!["check", "--pcap", cap, "--output", same],
        vec![
            "check",
            "--pcap",
            good,
            "--baseline",
            cap,
            "--evidence-pcap",
            cap,
        ],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(text(&o).1.contains("would destroy the capture"), "{args:?}");
        assert_eq!(
            std::fs::read(cap).unwrap(),
            before,
            "{args:?}: the capture is untouched"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn could_not_run_is_exit_2_with_one_line_naming_the_file() {
    for (args, needle) in [
        (
            vec!["check", "--pcap", "fixtures/missing.pcap"],
            "fixtures/missing.pcap",
        ),
        (vec!["check", "--pcap", "Cargo.toml"], "Cargo.toml"),
        (vec!["check"], "--pcap"),
        (vec!["check", "--pcap", "x", "--only", "no.such"], "no.such"),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let (out, err) = text(&o);
        assert!(out.is_empty(), "{args:?}: nothing on stdout");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn a_failed_check_is_exit_1_and_a_healthy_capture_exit_0() {
    assert_eq!(
        run(&["check", "--pcap", CREDENTIALS]).status.code(),
        Some(1)
    );
    assert_eq!(
        run(&["check", "--pcap", "fixtures/healthy-bootstrap/capture.pcap"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let piped = run(&["check", "--pcap", CREDENTIALS]);
    assert!(!text(&piped).0.contains('\u{1b}'), "no colour when piped");
    let forced = run(&["check", "--pcap", CREDENTIALS, "--color", "always"]);
    assert!(text(&forced).0.contains('\u{1b}'), "--color always colours");
    let never = Command::new(env!("CARGO_BIN_EXE_cwmp-doctor"))
        .args(["check", "--pcap", CREDENTIALS, "--color", "never"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&never.stdout).contains('\u{1b}'));
}

#[test]
fn secrets_are_redacted_in_every_format_unless_show_secrets() {
    let base = [
        "check",
        "--pcap",
        CREDENTIALS,
        "--acs-username",
        "50C7BF-2176345001234",
        "--acs-password",
        PASSWORD,
    ];
    for format in ["text", "json", "markdown", "html"] {
        let mut args = base.to_vec();
        args.extend(["--format", format]);
        let (out, err) = text(&run(&args));
        for secret in [DIGEST_RESPONSE, PASSWORD] {
            assert!(
                !out.contains(secret) && !err.contains(secret),
                "{format} leaks {secret}"
            );
        }
        assert!(out.contains("redacted"), "{format} says what it redacted");
    }
    let mut args = base.to_vec();
    args.extend(["--format", "json", "--show-secrets"]);
    assert!(
        text(&run(&args)).0.contains(DIGEST_RESPONSE),
        "--show-secrets shows the Digest response"
    );
}

#[test]
fn a_truncated_capture_is_diagnosed_and_says_where_it_stopped() {
    let o = run(&[
        "check",
        "--pcap",
        "fixtures/capture-truncated-mid-record/capture.pcap",
        "--format",
        "json",
    ]);
    assert_ne!(o.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("truncated") && notes.contains("after frame"),
        "{notes}"
    );
}
