//! The real-world corpus (`../shared/corpus`, see its PROVENANCE.md) through the engine: every capture
//! end to end without a panic, every `.http` transcript through the HTTP parser, and the quirks the
//! provenance lists (headers without a space, `cwmp:ID` = null, a namespace switch mid-session, Basic auth
//! on every POST, sessions ended by 200 with an empty body). Skipped, with the reason printed, when the
//! corpus folder is absent.
mod common;
use common::corpus;

use std::path::{Path, PathBuf};

use cwmp_doctor::apps::http::{HttpBudget, HttpConn, HttpEvent, HttpMessage};
use cwmp_doctor::capture::Input;
use cwmp_doctor::checks::{Ctx, Status, run_all};
use cwmp_doctor::config::Config;
use cwmp_doctor::cwmp::{SoapOutcome, parse_envelope};
use cwmp_doctor::decode::TcpFlags;
use cwmp_doctor::engine::analyze;
use cwmp_doctor::flows::{At, ConnFacts, Delivery};
use cwmp_doctor::sessions::{self, cwmp::Outcome};
use cwmp_doctor::time::Timestamp;

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    v
}

#[test]
fn every_corpus_capture_gets_a_full_report() {
    let Some(corpus) = corpus() else { return };
    let captures = files(&corpus.join("pcap"), "pcap");
    assert!(captures.len() >= 3);
    for path in captures {
        let facts = analyze(&Input::File(path.clone())).expect("a real capture is readable");
        let sessions = sessions::build(&facts);
        let config = Config::default();
        let ctx = Ctx::new(&facts, &sessions, &config, "corpus");
        let results = run_all(Some(&ctx), &[], None);
        assert_eq!(results.len(), 20, "{}", path.display());
        assert!(facts.capture.truncated.is_none(), "{}", path.display());
    }
}

fn magma() -> Option<(cwmp_doctor::facts::Facts, sessions::Sessions)> {
    let path = corpus()?.join("pcap/magma-baicells-qrtb-enodebd.pcap");
    let facts = analyze(&Input::File(path)).unwrap();
    let s = sessions::build(&facts);
    Some((facts, s))
}

#[test]
fn magma_three_healthy_periodic_sessions_report_no_failure() {
    let Some((facts, s)) = magma() else { return };
    assert_eq!(facts.messages.len(), 34, "tshark finds 34 HTTP messages");
    assert_eq!(s.cwmp.len(), 3);
    assert!(
        s.cwmp
            .iter()
            .all(|x| matches!(x.outcome, Outcome::Completed { .. }))
    );
    let config = Config::default();
    let ctx = Ctx::new(&facts, &s, &config, "magma");
    let results = run_all(Some(&ctx), &[], None);
    let failed: Vec<_> = results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .map(|r| (r.id, r.summary.clone()))
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    let config_apply = results.iter().find(|r| r.id == "config.apply").unwrap();
    assert_eq!(config_apply.status, Status::Pass);
    assert!(
        config_apply
            .evidence
            .iter()
            .any(|e| e.text.contains("Status 0")),
        "{config_apply:?}"
    );
}

#[test]
fn magma_quirks_headers_without_space_null_id_basic_on_every_post_200_empty_end() {
    let Some((facts, s)) = magma() else { return };
    let inform = &facts.messages[0];
    assert_eq!(
        inform.http.header("Host"),
        Some("192.88.99.142"),
        "Host:192.88.99.142 without a space"
    );
    let posts: Vec<&HttpMessage> = facts
        .messages
        .iter()
        .map(|m| &m.http)
        .filter(|m| m.method() == Some("POST"))
        .collect();
    assert!(
        posts.iter().all(|m| m
            .header("Authorization")
            .is_some_and(|a| a.starts_with("Basic "))),
        "Basic on every POST"
    );
    let null_id = facts
        .messages
        .iter()
        .filter(|m| !m.http.is_request())
        .filter_map(|m| m.envelope())
        .any(|e| e.header.id.as_deref() == Some("null"));
    assert!(null_id, "the ACS answers cwmp:ID = null");
    for x in &s.cwmp {
        let Outcome::Completed { end } = x.outcome else {
            panic!()
        };
        assert_eq!(
            facts.messages[end].http.status(),
            Some(200),
            "ended by 200 with an empty body"
        );
        assert_eq!(facts.messages[end].http.body_len, 0);
    }
}

#[test]
fn ctf_namespace_switch_mid_session_keeps_one_session_and_the_connection_request_is_found() {
    let Some(corpus) = corpus() else { return };
    let facts = analyze(&Input::File(
        corpus.join("pcap/ctf-snakectf2024-router-wan.pcap"),
    ))
    .unwrap();
    let s = sessions::build(&facts);
    assert_eq!(s.cwmp.len(), 1);
    let session = &s.cwmp[0];
    let namespaces: Vec<String> = session
        .exchanges
        .iter()
        .flat_map(|e| [Some(e.request), e.response])
        .flatten()
        .filter_map(|i| {
            facts.messages[i]
                .envelope()
                .and_then(|e| e.cwmp_ns.as_deref().map(str::to_string))
        })
        .collect();
    assert!(
        namespaces.contains(&"urn:dslforum-org:cwmp-1-2".to_string()),
        "{namespaces:?}"
    );
    assert!(
        namespaces.contains(&"urn:dslforum-org:cwmp-1-0".to_string()),
        "{namespaces:?}"
    );
    assert!(
        matches!(session.outcome, Outcome::Completed { .. }),
        "{:?}",
        session.outcome
    );
    assert_eq!(s.conn_requests.len(), 1);
    let cr = &s.conn_requests[0];
    assert_eq!(facts.messages[cr.hits[0].request].http.last.frame, 1334);
    assert_eq!(cr.hits[0].status, Some(204));
    assert_eq!(
        cr.session,
        Some(0),
        "the 6 CONNECTION REQUEST session follows"
    );
}

/// Feeds a transcript through an HTTP connection: requests as the client's stream, responses as the
/// server's, in file order (one delivery per message, frame = its position).
fn parse_transcript(bytes: &[u8]) -> Vec<HttpMessage> {
    let flags = TcpFlags {
        syn: true,
        ..Default::default()
    };
    let at = At {
        frame: 1,
        ts: Timestamp::default(),
    };
    let conn = ConnFacts::new(
        0,
        "192.0.2.1:50000".parse().unwrap(),
        "192.0.2.2:7547".parse().unwrap(),
        flags,
        at,
    );
    let starts: Vec<usize> = (0..bytes.len())
        .filter(|&i| {
            (i == 0 || bytes[i - 1] == b'\n')
                && (bytes[i..].starts_with(b"POST ")
                    || bytes[i..].starts_with(b"GET ")
                    || bytes[i..].starts_with(b"HTTP/1."))
        })
        .collect();
    let mut http = HttpConn::default();
    let mut budget = HttpBudget::default();
    let mut out = Vec::new();
    for (n, &s) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(bytes.len());
        let from_client = !bytes[s..].starts_with(b"HTTP/");
        let d = Delivery::Data {
            bytes: &bytes[s..end],
            frame: n as u64 + 1,
            ts: Timestamp::default(),
            trigger: n as u64 + 1,
        };
        http.deliver(&conn, from_client, d, &mut budget, &mut out);
    }
    http.close(&conn, &mut budget, &mut out);
    out.into_iter()
        .filter_map(|e| match e {
            HttpEvent::Message(m) => Some(*m),
            HttpEvent::Problem { .. } => None,
        })
        .collect()
}

#[test]
fn every_corpus_http_transcript_parses_into_messages_whose_bodies_are_soap() {
    let Some(corpus) = corpus() else { return };
    let transcripts = files(&corpus.join("http"), "http");
    assert!(transcripts.len() >= 20);
    for path in transcripts {
        let bytes = std::fs::read(&path).unwrap();
        let msgs = parse_transcript(&bytes);
        assert!(!msgs.is_empty(), "{}: no message", path.display());
        for m in &msgs {
            let soap = parse_envelope(&m.body);
            let name = path.file_name().unwrap().to_string_lossy();
            let html_page = m.header("Content-Type").is_some_and(|c| c.contains("html"));
            assert!(
                matches!(soap, SoapOutcome::Envelope(_) | SoapOutcome::Empty) || html_page,
                "{name}: {} gave {soap:?}",
                m.summary()
            );
        }
    }
}

#[test]
fn chunked_thomson_inform_is_dechunked_into_an_inform() {
    let Some(corpus) = corpus() else { return };
    let bytes = std::fs::read(corpus.join("http/perlcwmp-thomson-inform-chunked.http")).unwrap();
    let msgs = parse_transcript(&bytes);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].framing, cwmp_doctor::apps::http::Framing::Chunked);
    assert!(msgs[0].complete());
    match parse_envelope(&msgs[0].body) {
        SoapOutcome::Envelope(e) => assert!(
            e.inform()
                .is_some_and(|i| i.events.iter().any(|e| e.code == "2 PERIODIC"))
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn avm_fritzbox_inform_is_reported_as_a_malformed_inform() {
    let Some(corpus) = corpus() else { return };
    let bytes =
        std::fs::read(corpus.join("xml/mhils-avm-fritzbox7170-inform-malformed.txt")).unwrap();
    match parse_envelope(&bytes) {
        SoapOutcome::Malformed {
            rpc_hint, message, ..
        } => {
            assert_eq!(rpc_hint.as_deref(), Some("Inform"));
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
}
