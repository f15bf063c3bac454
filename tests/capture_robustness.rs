//! Bad input never panics or hangs: damaged captures, damaged frames, and standard input.
//!
//! Takes: the corpus capture `magma-baicells-qrtb-enodebd.pcap` (skipped, with the reason
//! printed, when absent) and a small pcapng built here; deterministic pseudo-random damage.
//! Gives: failures if reading or decoding panics, if a damaged capture is read past its end,
//! or if `--pcap -` (standard input) reads differently from the file.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use cwmp_doctor::capture::{Input, read_frames, read_frames_from};
use cwmp_doctor::decode::decode;

fn magma() -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/pcap/magma-baicells-qrtb-enodebd.pcap");
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            eprintln!("skipped: {}: {e}", path.display());
            None
        }
    }
}

/// A small pcapng: section header, Ethernet interface at 10^-9 s, two packets.
fn pcapng() -> Vec<u8> {
    let block = |t: u32, body: &[u8]| {
        let len = (body.len() + 12) as u32;
        [
            &t.to_le_bytes()[..],
            &len.to_le_bytes(),
            body,
            &len.to_le_bytes(),
        ]
        .concat()
    };
    let mut shb = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
    shb.extend([1, 0, 0, 0]);
    shb.extend((-1i64).to_le_bytes());
    let idb = [1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0];
    let mut epb = vec![0; 20];
    epb[12] = 60;
    epb[16] = 60;
    epb.extend([0x45; 60]);
    let mut bytes = block(0x0A0D_0D0A, &shb);
    bytes.extend(block(1, &idb));
    bytes.extend(block(6, &epb));
    bytes.extend(block(6, &epb));
    bytes
}

/// xorshift64: deterministic damage, the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn read_and_decode(bytes: &[u8]) -> u64 {
    let mut frames = 0;
    if let Ok(info) = read_frames_from("damaged", bytes, |frame| {
        frames += 1;
        decode(frame.link_type, frame.data);
    }) {
        assert_eq!(info.frames, frames);
        assert!(info.bytes_read <= bytes.len() as u64);
    }
    frames
}

#[test]
fn damaged_captures_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut samples = vec![pcapng()];
    samples.extend(magma().map(|b| b[..b.len().min(8192)].to_vec()));
    for original in samples {
        for _ in 0..600 {
            let mut bytes = original.clone();
            for _ in 0..1 + rng.next() % 8 {
                let at = (rng.next() as usize) % bytes.len();
                bytes[at] = rng.next() as u8;
            }
            let cut = (rng.next() as usize) % (bytes.len() + 1);
            read_and_decode(&bytes);
            read_and_decode(&bytes[..cut]);
        }
    }
}

#[test]
fn every_prefix_of_every_frame_decodes_under_every_link_type() {
    let Some(bytes) = magma() else { return };
    let mut frames = Vec::new();
    read_frames_from("magma", &bytes[..], |f| frames.push(f.data.to_vec())).unwrap();
    for frame in &frames {
        for len in 0..frame.len().min(120) {
            for link_type in [0, 1, 12, 14, 101, 108, 113, 228, 229, 276] {
                decode(link_type, &frame[..len]);
                decode(link_type, &frame[14.min(len)..len]);
            }
        }
    }
}

#[test]
fn standard_input_reads_like_the_file() {
    // The child: this test binary again, reading `--pcap -` from the pipe set up below.
    if std::env::var_os("CWMP_DOCTOR_STDIN_CHILD").is_some() {
        let mut numbers = Vec::new();
        let info = read_frames(&Input::Stdin, |f| numbers.push(f.number)).unwrap();
        println!(
            "source={} frames={} last={:?}",
            info.source,
            info.frames,
            numbers.last()
        );
        return;
    }
    let bytes = pcapng();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "standard_input_reads_like_the_file",
            "--nocapture",
        ])
        .env("CWMP_DOCTOR_STDIN_CHILD", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Written in pieces, as a capture tool writes into a pipe.
    for piece in bytes.chunks(7) {
        stdin.write_all(piece).unwrap();
        stdin.flush().unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("source=stdin frames=2 last=Some(2)"),
        "{text}"
    );
}
