//! The HTML report in a real browser: Debian's chromium, headless.
//!
//! Takes: fixture captures (a healthy session, a response cut by a reset) rendered with
//! `--format html`'s renderer, and one of them with hostile strings (`<script>`, an `<img onerror>`)
//! put where capture strings go. Gives: failures if the DOM chromium builds lacks the ladder SVG, has
//! other than one `.arrow` element per HTTP message, lacks the failure mark of a failed session, or
//! holds an element made from a capture string; it also takes a screenshot of each page
//! (`target/tmp/html_render/*.png`) to look at. Skipped, with the reason printed, when chromium is not
//! installed (`apt-get install -y chromium`; `.ci/run` installs it).
//!
//! Chromium runs with a fresh profile, no network-bound background services, and a time limit.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cwmp_doctor::capture::Input;
use cwmp_doctor::config::Config;
use cwmp_doctor::diagnose::{Options, diagnose};
use cwmp_doctor::report::ladder::Row;
use cwmp_doctor::report::{Report, html};

const CHROMIUM: &str = "chromium";
/// Longest a chromium run may take.
const LIMIT: Duration = Duration::from_secs(90);

fn chromium_present() -> bool {
    let found = Command::new(CHROMIUM)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        eprintln!("skipped: {CHROMIUM} is not installed (apt-get install -y chromium)");
    }
    found
}

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html_render");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs headless chromium on `page` with `args`; returns its standard output.
fn chromium(page: &Path, args: &[&str]) -> String {
    let profile = out_dir().join(format!(
        "profile-{}-{}",
        std::process::id(),
        page.file_stem().unwrap().to_string_lossy()
    ));
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            panic!("chromium took more than {LIMIT:?} on {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_dir_all(&profile);
    reader.join().unwrap()
}

/// The start tags of the DOM chromium printed: (name, class attribute).
fn tags(dom: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for piece in dom.split('<').skip(1) {
        let Some(head) = piece.split('>').next() else {
            continue;
        };
        if head.starts_with(['/', '!']) {
            continue;
        }
        let name: String = head
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let class = head
            .split_once("class=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map_or(String::new(), |(c, _)| c.to_string());
        out.push((name.to_ascii_lowercase(), class));
    }
    out
}

fn with_class<'t>(
    tags: &'t [(String, String)],
    class: &'t str,
) -> impl Iterator<Item = &'t (String, String)> {
    tags.iter()
        .filter(move |(_, c)| c.split_whitespace().any(|t| t == class))
}

fn report_of(fixture: &str) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(fixture)
        .join("capture.pcap");
    diagnose(
        Some(&Input::File(path)),
        &Config::default(),
        Options::default(),
    )
    .unwrap()
    .report
}

/// Renders `report`, loads it in chromium, checks the ladders against the report; returns the DOM.
fn render_and_check(name: &str, report: &Report) -> String {
    let page = out_dir().join(format!("{name}.html"));
    std::fs::write(&page, html::render(report)).unwrap();
    let dom = chromium(&page, &["--dump-dom"]);
    let tags = tags(&dom);
    assert!(dom.contains("Verdict:"), "{name}: no verdict in the DOM");

    let svgs = tags.iter().filter(|(n, _)| n == "svg").count();
    assert_eq!(svgs, report.ladders.len(), "{name}: one SVG per ladder");
    let arrows: Vec<_> = with_class(&tags, "arrow").collect();
    let drawn: usize = report.ladders.iter().map(|l| l.arrows()).sum();
    assert_eq!(arrows.len(), drawn, "{name}: one arrow per message drawn");
    assert_eq!(
        arrows.len(),
        report.messages.len(),
        "{name}: every message is drawn"
    );
    assert!(arrows.iter().all(|(n, _)| n == "line"));

    let failed_rows = report
        .ladders
        .iter()
        .flat_map(|l| &l.rows)
        .filter(|r| r.failed())
        .count();
    let failed_arrows = with_class(&tags, "arrow")
        .filter(|(_, c)| c.contains("failed"))
        .count();
    let failed_marks = with_class(&tags, "mark")
        .filter(|(_, c)| c.contains("failed"))
        .count();
    assert_eq!(
        failed_arrows + failed_marks,
        failed_rows,
        "{name}: failures drawn in red"
    );

    let png = out_dir().join(format!("{name}.png"));
    let _ = std::fs::remove_file(&png);
    chromium(
        &page,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,2400",
        ],
    );
    let bytes = std::fs::read(&png).unwrap_or_default();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
        "{name}: no screenshot"
    );
    eprintln!("screenshot: {}", png.display());
    dom
}

#[test]
fn healthy_session_renders_one_arrow_per_message() {
    if !chromium_present() {
        return;
    }
    render_and_check("http-port-7547", &report_of("http-port-7547"));
}

#[test]
fn failed_session_renders_the_failure() {
    if !chromium_present() {
        return;
    }
    let report = report_of("tcp-rst-mid-response");
    assert!(report.ladders[0].rows.iter().any(Row::failed));
    let dom = render_and_check("tcp-rst-mid-response", &report);
    assert!(dom.contains("✗"));
}

#[test]
fn capture_strings_stay_text_in_the_browser() {
    if !chromium_present() {
        return;
    }
    let evil = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>";
    let mut report = report_of("tcp-rst-mid-response");
    report.checks[0].summary = evil.to_string();
    report.assumptions.push(evil.to_string());
    for l in &mut report.ladders {
        l.cpe = evil.to_string();
        for row in &mut l.rows {
            if let Row::Arrow(a) = row {
                a.detail.push(evil.to_string());
                a.rpc = Some(evil.to_string());
            }
        }
    }
    let dom = render_and_check("hostile", &report);
    let tags = tags(&dom);
    assert!(
        !tags.iter().any(|(n, _)| n == "script" || n == "img"),
        "an element came from the capture"
    );
    assert!(!dom.contains("pwned</title>"));
    assert!(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"));
}
