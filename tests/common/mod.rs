//! Helpers the integration tests share: where the fixtures and the corpus are, and whether tshark runs.

#![allow(dead_code, reason = "each test binary uses the part it needs")]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether `tshark` is installed and runs.
pub fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The fixture folders (those with an `expect.toml`), sorted; `FIXTURES_DIR` points elsewhere (e.g. at
/// fixtures being made in another checkout).
pub fn fixture_dirs() -> Vec<PathBuf> {
    let root = std::env::var_os("FIXTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"));
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("fixtures/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("expect.toml").exists())
        .collect();
    dirs.sort();
    dirs
}

/// The shared corpus beside the checkout, or `None` (with the reason printed) when it is absent.
pub fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: {} is absent", dir.display());
        None
    }
}
