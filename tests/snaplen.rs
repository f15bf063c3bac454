//! A capture cut by its snap length (`tcpdump -s 160`, fixture `review-snaplen-160`): the pcapng form of
//! the same frames (Enhanced Packet Blocks whose captured length is below the original length) gives the
//! same facts as the pcap form, and no report format shows a bare PASS.

use std::path::PathBuf;

use cwmp_doctor::capture::Input;
use cwmp_doctor::config::Config;
use cwmp_doctor::diagnose::{Options, diagnose};
use cwmp_doctor::engine::analyze_reader;
use cwmp_doctor::facts::SnapCut;
use cwmp_doctor::report::{html, json, markdown, text};

const CAPTURE: &str = "fixtures/review-snaplen-160/capture.pcap";

/// (seconds, microseconds, captured bytes, original length) of each record of a little-endian
/// microsecond pcap.
fn pcap_records(bytes: &[u8]) -> Vec<(u32, u32, &[u8], u32)> {
    let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!(word(0), 0xa1b2_c3d4, "little-endian microsecond pcap");
    let (mut at, mut out) = (24, Vec::new());
    while at + 16 <= bytes.len() {
        let (caplen, orig) = (word(at + 8) as usize, word(at + 12));
        out.push((
            word(at),
            word(at + 4),
            &bytes[at + 16..at + 16 + caplen],
            orig,
        ));
        at += 16 + caplen;
    }
    out
}

fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let len = (12 + body.len().div_ceil(4) * 4) as u32;
    let mut b = [kind.to_le_bytes(), len.to_le_bytes()].concat();
    b.extend_from_slice(body);
    b.resize(len as usize - 4, 0);
    b.extend_from_slice(&len.to_le_bytes());
    b
}

/// The same frames as a pcapng: one Ethernet interface (snaplen 160, microseconds), one EPB per frame.
fn as_pcapng(bytes: &[u8]) -> Vec<u8> {
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend([1, 0, 0, 0]); // version 1.0
    shb.extend(u64::MAX.to_le_bytes()); // section length unknown
    let mut idb = vec![1, 0, 0, 0];
    idb.extend(160u32.to_le_bytes());
    let mut out = [block(0x0a0d_0d0a, &shb), block(1, &idb)].concat();
    for (secs, micros, data, orig) in pcap_records(bytes) {
        let ticks = u64::from(secs) * 1_000_000 + u64::from(micros);
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend(((ticks >> 32) as u32).to_le_bytes());
        epb.extend((ticks as u32).to_le_bytes());
        epb.extend((data.len() as u32).to_le_bytes());
        epb.extend(orig.to_le_bytes());
        epb.extend_from_slice(data);
        out.extend(block(6, &epb));
    }
    out
}

#[test]
fn pcap_and_pcapng_epb_see_the_same_snap_length_cut() {
    let bytes = std::fs::read(CAPTURE).expect("fixture present");
    let want = Some(SnapCut {
        frames: 7,
        first: 4,
        snaplen: 160,
        tcp_payload_frames: 7,
    });
    for (name, data) in [("pcap", bytes.clone()), ("pcapng", as_pcapng(&bytes))] {
        let facts = analyze_reader(name, &data[..]).expect("readable");
        assert_eq!(facts.capture.frames, 26, "{name}");
        assert_eq!(facts.limits.snap_cut, want, "{name}");
        // Cut bytes are stepped over, not waited for: nothing is out of order or lost, and both
        // connections saw their handshake and the router's FIN.
        assert_eq!(facts.conns.len(), 2, "{name}");
        for c in &facts.conns {
            assert!(c.handshake_done() && c.fin[0].is_some(), "{name}");
            for s in c.streams {
                assert_eq!((s.gaps, s.out_of_order), (0, 0), "{name}");
            }
        }
        let cut: u32 = facts.conns.iter().map(|c| c.snap_cut).sum();
        assert_eq!(cut, 7, "{name}");
        // The first connection's client sent 3487 bytes on the wire (tshark: Seq=3488 at its FIN).
        assert_eq!(facts.conns[0].bytes[0], 3487, "{name}");
    }
}

#[test]
fn no_report_format_shows_a_bare_pass() {
    let report = diagnose(
        Some(&Input::File(PathBuf::from(CAPTURE))),
        &Config::default(),
        Options::default(),
    )
    .expect("diagnosed")
    .report;
    assert!(report.caveat.as_deref().unwrap().contains("snap length"));
    let t = text::render(&report, false);
    assert!(
        t.contains("Verdict: NOT JUDGED") && !t.contains("Verdict: PASS"),
        "{t}"
    );
    let m = markdown::render(&report);
    assert!(m.contains("**Verdict: NOT JUDGED**") && !m.contains("**Verdict: PASS"));
    let h = html::render(&report);
    assert!(h.contains("<h2>Verdict: NOT JUDGED</h2>") && !h.contains("<h2>Verdict: PASS"));
    let j: serde_json::Value = serde_json::from_str(&json::render(&report)).unwrap();
    assert!(j["caveat"].as_str().unwrap().contains("tcpdump -s 0"));
    assert!(
        j["notes"][0]
            .as_str()
            .unwrap()
            .contains("160 bytes; first #4")
    );
}
