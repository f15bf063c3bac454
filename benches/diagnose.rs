//! The benchmark's subject (benches/README.md): the full diagnosis path over a capture.
//!
//! Usage: `diagnose FILE`. Takes: a capture. Gives: on stdout what the diagnosis found —
//! `found frames=… http_requests=… http_messages=… cwmp_sessions=…`, in the order and with the names of
//! the generator's `expect` line, so `benches/run.sh` can prove the work was done.
//! A second line, `heap allocations=… peak_bytes=…`, counts the heap allocations the diagnosis made and
//! the most heap it held at once (a counting allocator wraps the system one; a relaxed atomic add per
//! call costs nothing measurable next to the allocation).
//! By default the library is called in-process (`engine::analyze`, then `sessions::build`); the one line
//! marked below switches to timing the `cwmp-doctor check --pcap FILE --format json` binary instead.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use cwmp_doctor::apps::http::StartLine;
use cwmp_doctor::capture::Input;

/// ▶ THE SWITCH: `None` runs the library in-process; `Some(path)` runs that CLI binary
/// (`Some("target/release/cwmp-doctor")`) once `cwmp-doctor check` exists.
const CLI: Option<&str> = None;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

struct Counting;

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes as u64, Relaxed) + bytes as u64;
    PEAK.fetch_max(live, Relaxed);
}

// SAFETY: every call is forwarded unchanged to the system allocator; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        grew(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as u64, Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        LIVE.fetch_sub(layout.size() as u64, Relaxed);
        grew(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// What the diagnosis found; `None` where the source does not say.
struct Found {
    frames: Option<u64>,
    requests: u64,
    messages: u64,
    sessions: u64,
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: diagnose FILE");
        return ExitCode::from(2);
    };
    let found = match CLI {
        None => library(&path),
        Some(bin) => cli(bin, &path),
    };
    match found {
        Ok(f) => {
            let frames = f.frames.map_or("n/a".to_string(), |n| n.to_string());
            println!(
                "found frames={frames} http_requests={} http_messages={} cwmp_sessions={}",
                f.requests, f.messages, f.sessions
            );
            println!(
                "heap allocations={} peak_bytes={}",
                ALLOCATIONS.load(Relaxed),
                PEAK.load(Relaxed)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("diagnose: {path}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn library(path: &str) -> Result<Found, String> {
    let facts = cwmp_doctor::engine::analyze(&Input::File(PathBuf::from(path)))
        .map_err(|e| e.to_string())?;
    let sessions = cwmp_doctor::sessions::build(&facts);
    let requests = facts
        .messages
        .iter()
        .filter(|m| matches!(m.http.start, StartLine::Request { .. }))
        .count();
    Ok(Found {
        frames: Some(facts.capture.frames),
        requests: requests as u64,
        messages: facts.messages.len() as u64,
        sessions: sessions.cwmp.len() as u64,
    })
}

/// Runs the CLI and reads its JSON report (DESIGN.md §3, schema 1): `messages[].http` is a request's
/// method and target or a response's status code; a CWMP session starts at each Inform request. The
/// frame count is read from `capture.frames` if the report carries it.
fn cli(bin: &str, path: &str) -> Result<Found, String> {
    let out = Command::new(bin)
        .args(["check", "--pcap", path, "--format", "json"])
        .output()
        .map_err(|e| format!("{bin}: {e}"))?;
    // Exit 1 means a check failed: the report is still complete.
    if !matches!(out.status.code(), Some(0 | 1)) {
        return Err(format!(
            "{bin} exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("{bin}: not JSON: {e}"))?;
    let messages = report["messages"]
        .as_array()
        .ok_or_else(|| format!("{bin}: the report has no messages"))?;
    let is_request = |m: &serde_json::Value| {
        m["http"]
            .as_str()
            .is_some_and(|h| !h.starts_with(|c: char| c.is_ascii_digit()))
    };
    let requests = messages.iter().filter(|m| is_request(m));
    Ok(Found {
        frames: report["capture"]["frames"].as_u64(),
        requests: requests.clone().count() as u64,
        messages: messages.len() as u64,
        sessions: requests.filter(|m| m["rpc"] == "Inform").count() as u64,
    })
}
