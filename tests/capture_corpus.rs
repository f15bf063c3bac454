//! The real-world corpus captures read and decode completely.
//!
//! Takes: `../shared/corpus/pcap/*.pcap` (see the corpus PROVENANCE.md); skipped, with the
//! reason printed, when the folder is absent.
//! Gives: failures if a frame count, link type or time range differs from what capinfos
//! reports, if reading stops early, or if any frame fails to decode as Ethernet.
mod common;

use cwmp_doctor::capture::{CaptureFormat, Input, read_frames};
use cwmp_doctor::decode::{Decoded, Transport, decode};

#[test]
fn corpus_captures_read_to_the_end_and_decode() {
    let Some(dir) = common::corpus().map(|c| c.join("pcap")) else {
        return;
    };
    // (file, frames, first and last packet time as capinfos shows them)
    let expected = [
        (
            "magma-baicells-qrtb-enodebd.pcap",
            170,
            "2022-04-25T16:11:42.628310Z",
        ),
        (
            "ctf-snakectf2024-router-wan.pcap",
            1747,
            "1970-01-01T00:00:00.000000Z",
        ),
    ];
    for (name, frames, first) in expected {
        let path = dir.join(name);
        if !path.exists() {
            eprintln!("skipped: {} is absent", path.display());
            continue;
        }
        let (mut numbers, mut tcp, mut malformed) = (0u64, 0u64, 0u64);
        let info = read_frames(&Input::File(path.clone()), |frame| {
            numbers += 1;
            assert_eq!(frame.number, numbers, "frame numbers run 1, 2, 3, …");
            match decode(frame.link_type, frame.data) {
                Decoded::Ip(ip) if matches!(ip.transport, Transport::Tcp(_)) => tcp += 1,
                Decoded::Malformed { .. } | Decoded::Unsupported { .. } => malformed += 1,
                _ => {}
            }
        })
        .unwrap();
        assert_eq!(info.frames, frames, "{name}");
        assert_eq!(info.link_types, [1], "{name}");
        assert_eq!(info.truncated, None, "{name}");
        assert_eq!(info.bytes_read, std::fs::metadata(&path).unwrap().len());
        assert!(matches!(info.format, CaptureFormat::Pcap { .. }));
        assert_eq!(info.first_ts.unwrap().to_string(), first, "{name}");
        assert_eq!(malformed, 0, "{name}");
        assert!(tcp > 0, "{name}");
        eprintln!(
            "{name}: {frames} frames, {tcp} TCP, last {}",
            info.last_ts.unwrap()
        );
    }
}

#[test]
fn a_corpus_capture_cut_anywhere_keeps_the_frames_before_the_cut() {
    let Some(dir) = common::corpus().map(|c| c.join("pcap")) else {
        return;
    };
    let path = dir.join("magma-baicells-qrtb-enodebd.pcap");
    let Ok(bytes) = std::fs::read(&path) else {
        eprintln!("skipped: {} is absent", path.display());
        return;
    };
    let name = "magma-cut.pcap";
    for cut in [25, 100, 1000, bytes.len() / 2, bytes.len() - 1] {
        let mut frames = 0;
        let info =
            cwmp_doctor::capture::read_frames_from(name, &bytes[..cut], |_| frames += 1).unwrap();
        let t = info.truncated.expect("a cut file is reported as truncated");
        assert_eq!(t.after_frame, frames);
        assert!(
            t.at_byte <= cut as u64 && t.reason.starts_with("file ends inside"),
            "{t}"
        );
    }
}
