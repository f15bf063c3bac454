//! The benchmark's subject (benches/README.md): the full diagnosis path over a capture.
//!
//! Usage: `diagnose FILE`. Takes: a capture. Gives: on stdout what the diagnosis found —
//! `found frames=… http_requests=… http_messages=… cwmp_sessions=…`, in the order and with the names of
//! the generator's `expect` line, so `benches/run.sh` can prove the work was done.
//! A second line, `heap allocations=… peak_bytes=…`, counts the heap allocations the diagnosis made and
//! the most heap it held at once (a counting allocator wraps the system one; a relaxed atomic add per
//! call costs nothing measurable next to the allocation).
//! The library is called in-process (`engine::analyze`, then `sessions::build`): the stages whose
//! allocations matter. `benches/run.sh` times the whole CLI (`cwmp-doctor check`, checks and report
//! included) separately.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use cwmp_doctor::apps::http::StartLine;
use cwmp_doctor::capture::Input;

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

/// What the diagnosis found.
struct Found {
    frames: u64,
    requests: u64,
    messages: u64,
    sessions: u64,
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: diagnose FILE");
        return ExitCode::from(2);
    };
    match library(&path) {
        Ok(f) => {
            println!(
                "found frames={} http_requests={} http_messages={} cwmp_sessions={}",
                f.frames, f.requests, f.messages, f.sessions
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
        frames: facts.capture.frames,
        requests: requests as u64,
        messages: facts.messages.len() as u64,
        sessions: sessions.cwmp.len() as u64,
    })
}
