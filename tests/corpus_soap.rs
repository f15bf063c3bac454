//! The SOAP stage against the real-world corpus (`../shared/corpus`, read-only, never copied).
//!
//! Takes every `xml/*.xml`, `xml/*.txt` and `http/*.http` file and the table in `PROVENANCE.md`;
//! checks that each parses (an Envelope, or `Malformed` where the table says NOT-wf) and that the
//! RPC names, event codes, fault codes and CWMP namespace equal the table's. Where this parser
//! reads a file differently from the table, the difference is listed in [`NOT_WF`] or
//! [`FAULT_OVERRIDES`] with the reason. Skips, with a printed reason, when the corpus is absent.
mod common;
use common::corpus;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use cwmp_doctor::cwmp::{Body, Envelope, Quirk, RpcDetail, SoapOutcome, parse_envelope};

/// One row of PROVENANCE.md's per-file tables.
#[derive(Debug)]
struct Row {
    wf: String,
    ns: String,
    rpcs: Vec<String>,
    faults: Vec<u32>,
    events: Vec<String>,
}

/// How the files the table marks NOT-wf come out, and why.
enum NotWf {
    /// Not well-formed: `Malformed` with this RPC hint.
    Malformed(&'static str),
    /// Well-formed XML whose only fault is an undeclared prefix (not namespace-well-formed):
    /// accepted as an Envelope with a [`Quirk::UndeclaredPrefix`] for it.
    UndeclaredPrefix(&'static str),
}

const NOT_WF: &[(&str, NotWf)] = &[
    // Two envelopes back to back (an ACS template): the second root element is the error.
    (
        "xml/miniacs-SetParameterValue.xml",
        NotWf::Malformed("SetParameterValues"),
    ),
    ("xml/miniacs-AddObject.xml", NotWf::UndeclaredPrefix("xsi")),
    (
        "xml/miniacs-DeleteObject.xml",
        NotWf::UndeclaredPrefix("xsi"),
    ),
    (
        "xml/miniacs-DiagPing-181.xml",
        NotWf::UndeclaredPrefix("xsi"),
    ),
    // Truncated inside <EventCod.
    ("xml/rscwmp-bogus_inform_1.xml", NotWf::Malformed("Inform")),
    // HTML-transcription damage (`</ Value="Value">`), and no Envelope at all.
    (
        "xml/mhils-avm-fritzbox7170-inform-malformed.txt",
        NotWf::Malformed("Inform"),
    ),
    // gSOAP writes SOAP-ENV: without declaring it.
    (
        "http/tr69c-gsoap-401-digest.http",
        NotWf::UndeclaredPrefix("SOAP-ENV"),
    ),
];

/// Files whose fault codes this parser reads where the table's column is blank: SimulaTR69
/// writes `<FaultStruct>0</FaultStruct>` (text instead of FaultCode/FaultString), read as code 0
/// (success) with a [`Quirk::TextInsteadOfStruct`].
const FAULT_OVERRIDES: &[(&str, &[u32])] = &[
    (
        "xml/simulatr69-autonomous_transfer_complete_request.xml",
        &[0],
    ),
    ("xml/simulatr69-transfer_complete_success_request.xml", &[0]),
];

fn list(cell: &str, sep: char) -> Vec<String> {
    cell.split(sep)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn table(dir: &Path) -> BTreeMap<String, Row> {
    let text = fs::read_to_string(dir.join("PROVENANCE.md")).expect("PROVENANCE.md");
    let mut rows = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| l.starts_with("| `xml/") || l.starts_with("| `http/"))
    {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        assert_eq!(cells.len(), 14, "unexpected table row: {line}");
        let row = Row {
            wf: cells[6].to_string(),
            ns: cells[7].to_string(),
            rpcs: list(cells[9], ','),
            faults: list(cells[10], ',')
                .iter()
                .map(|f| f.parse().expect("fault code"))
                .collect(),
            events: list(cells[11], ';'),
        };
        rows.insert(cells[1].trim_matches('`').to_string(), row);
    }
    rows
}

fn files(dir: &Path, sub: &str, exts: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir.join(sub))
        .expect("corpus dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| exts.iter().any(|x| n.ends_with(x)))
        .map(|n| format!("{sub}/{n}"))
        .collect();
    names.sort();
    names
}

fn expect_envelope(outcome: SoapOutcome, what: &str) -> Envelope {
    match outcome {
        SoapOutcome::Envelope(e) => *e,
        other => panic!("{what}: expected an Envelope, got {other:?}"),
    }
}

/// What one envelope shows: RPC name, event codes, fault codes (CWMP code, then the distinct
/// SetParameterValuesFault codes; or a TransferComplete's FaultStruct code).
fn summary(env: &Envelope) -> (String, Vec<String>, Vec<u32>) {
    let Body::Rpc(rpc) = &env.body else {
        return (String::new(), vec![], vec![]);
    };
    let mut faults = Vec::new();
    let mut events = Vec::new();
    match &rpc.detail {
        RpcDetail::Inform(i) => events = i.events.iter().map(|e| e.code.clone()).collect(),
        RpcDetail::Fault(f) => {
            faults.extend(f.code);
            faults.extend(f.param_faults.iter().filter_map(|p| p.code));
        }
        RpcDetail::TransferComplete { fault_code, .. }
        | RpcDetail::AutonomousTransferComplete { fault_code, .. } => faults.extend(*fault_code),
        _ => {}
    }
    dedup(&mut faults);
    (rpc.name.to_string(), events, faults)
}

fn dedup<T: PartialEq>(items: &mut Vec<T>) {
    let mut kept: Vec<T> = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        if !kept.contains(&item) {
            kept.push(item);
        }
    }
    *items = kept;
}

/// Asserts one envelope against its table row.
fn check_envelope(file: &str, env: &Envelope, row: &Row) {
    for quirk in &env.quirks {
        println!("{file}: quirk: {quirk}");
    }
    let (name, events, faults) = summary(env);
    assert_eq!(row.rpcs, vec![name], "{file}: RPC");
    assert_eq!(row.events, events, "{file}: events");
    let expected = FAULT_OVERRIDES
        .iter()
        .find(|(f, _)| *f == file)
        .map_or(row.faults.clone(), |(_, c)| c.to_vec());
    assert_eq!(expected, faults, "{file}: faults");
    let ns = (!row.ns.is_empty()).then(|| row.ns.clone());
    assert_eq!(
        env.cwmp_ns.as_deref(),
        ns.as_deref(),
        "{file}: CWMP namespace"
    );
}

/// Each `<…Envelope …>` … `</…Envelope>` in `text`, by matching the closing tag's exact name.
fn envelopes(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find("Envelope") {
        let at = from + pos;
        from = at + "Envelope".len();
        let Some(open) = text[..at].rfind('<') else {
            continue;
        };
        let qname = &text[open + 1..from];
        let follows = text[from..].chars().next();
        let is_start = !qname.contains(|c: char| c.is_whitespace() || "/<>".contains(c))
            && matches!(follows, Some(c) if c.is_whitespace() || c == '>');
        if !is_start {
            continue;
        }
        let close = format!("</{qname}>");
        if let Some(end) = text[from..].find(&close) {
            let end = from + end + close.len();
            found.push(&text[open..end]);
            from = end;
        }
    }
    found
}

/// Splits a transcript into (start line, body) per HTTP message; a message starts at a line
/// beginning with a method or `HTTP/1.1`.
fn messages(text: &str) -> Vec<(&str, &str)> {
    let mut starts: Vec<usize> = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with("POST ") || line.starts_with("GET ") || line.starts_with("HTTP/1.") {
            starts.push(at);
        }
        at += line.len();
    }
    starts.push(text.len());
    starts
        .windows(2)
        .map(|w| {
            let msg = &text[w[0]..w[1]];
            let start_line = msg.lines().next().unwrap_or_default();
            let body = split_head(msg).map_or("", |(_, b)| b);
            (start_line, body)
        })
        .collect()
}

/// Splits an HTTP message at the first blank line.
fn split_head(msg: &str) -> Option<(&str, &str)> {
    let crlf = msg.find("\r\n\r\n").map(|p| (p, 4));
    let lf = msg.find("\n\n").map(|p| (p, 2));
    let (p, n) = [crlf, lf].into_iter().flatten().min()?;
    Some((&msg[..p], &msg[p + n..]))
}

/// Decodes a chunked body (sizes in hex, each chunk followed by CRLF, ended by a 0 chunk).
fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").expect("chunk size line");
        let size = usize::from_str_radix(size.trim(), 16).expect("hex chunk size");
        if size == 0 {
            return out;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].strip_prefix("\r\n").expect("CRLF after chunk");
    }
}

#[test]
fn every_xml_file_matches_provenance() {
    let Some(dir) = corpus() else { return };
    let rows = table(&dir);
    let names = files(&dir, "xml", &[".xml", ".txt"]);
    assert!(names.len() >= 70, "only {} xml files", names.len());
    let (mut envelopes_seen, mut malformed) = (0, 0);
    for file in &names {
        let row = rows
            .get(file)
            .unwrap_or_else(|| panic!("{file} is not in PROVENANCE.md"));
        let bytes = fs::read(dir.join(file)).expect("read");
        let outcome = parse_envelope(&bytes);
        match NOT_WF.iter().find(|(f, _)| f == file) {
            None => {
                assert_eq!(
                    row.wf, "wf",
                    "{file}: table says {} but no NOT_WF entry",
                    row.wf
                );
                check_envelope(file, &expect_envelope(outcome, file), row);
                envelopes_seen += 1;
            }
            Some((_, expect)) => {
                assert_eq!(row.wf, "NOT-wf", "{file}");
                match expect {
                    NotWf::UndeclaredPrefix(prefix) => {
                        let env = expect_envelope(outcome, file);
                        let quirk = Quirk::UndeclaredPrefix {
                            prefix: prefix.to_string(),
                        };
                        assert!(env.quirks.contains(&quirk), "{file}: {:?}", env.quirks);
                        check_envelope(file, &env, row);
                        envelopes_seen += 1;
                    }
                    NotWf::Malformed(hint) => {
                        let SoapOutcome::Malformed {
                            rpc_hint,
                            message,
                            line,
                            column,
                            ..
                        } = outcome
                        else {
                            panic!("{file}: expected Malformed, got {outcome:?}");
                        };
                        println!("{file}: malformed at {line}:{column}: {message}");
                        assert_eq!(rpc_hint.as_deref(), Some(*hint), "{file}");
                        // Templates with several envelopes: each one on its own is an RPC.
                        let text = String::from_utf8_lossy(&bytes);
                        let parts = envelopes(&text);
                        let rpcs: Vec<String> = if parts.len() > 1 {
                            parts
                                .iter()
                                .map(|p| {
                                    summary(&expect_envelope(parse_envelope(p.as_bytes()), file)).0
                                })
                                .collect()
                        } else {
                            vec![hint.to_string()]
                        };
                        assert_eq!(rpcs, row.rpcs, "{file}");
                        malformed += 1;
                    }
                }
            }
        }
    }
    println!(
        "{} xml files: {envelopes_seen} envelopes, {malformed} malformed",
        names.len()
    );
    assert_eq!(envelopes_seen + malformed, names.len());
}

#[test]
fn every_http_file_matches_provenance() {
    let Some(dir) = corpus() else { return };
    let rows = table(&dir);
    let names = files(&dir, "http", &[".http"]);
    assert!(names.len() >= 20, "only {} http files", names.len());
    for file in &names {
        let row = rows
            .get(file)
            .unwrap_or_else(|| panic!("{file} is not in PROVENANCE.md"));
        let text = String::from_utf8(fs::read(dir.join(file)).expect("read")).expect("UTF-8");
        let msgs = messages(&text);
        if msgs.len() > 1 {
            check_transcript(file, &text, &msgs, row);
            continue;
        }
        let (head, body) = split_head(&text).unwrap_or_else(|| panic!("{file}: no blank line"));
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body)
        } else {
            body.to_string()
        };
        let outcome = parse_envelope(body.as_bytes());
        if row.rpcs.is_empty() {
            assert_eq!(outcome, SoapOutcome::Empty, "{file}");
            continue;
        }
        let env = expect_envelope(outcome, file);
        if let Some((_, NotWf::UndeclaredPrefix(prefix))) = NOT_WF.iter().find(|(f, _)| f == file) {
            assert!(
                env.quirks.contains(&Quirk::UndeclaredPrefix {
                    prefix: prefix.to_string()
                }),
                "{file}"
            );
        } else {
            assert_ne!(
                row.wf, "NOT-wf",
                "{file}: table says NOT-wf but no NOT_WF entry"
            );
        }
        check_envelope(file, &env, row);
    }
}

/// A whole session: every envelope parses; together they show the table's RPCs, events and
/// faults; every non-SOAP body (the ACS's HTML 401 page) is `NotSoap`, every empty one `Empty`.
fn check_transcript(file: &str, text: &str, msgs: &[(&str, &str)], row: &Row) {
    let (mut rpcs, mut events, mut faults) = (Vec::new(), Vec::new(), Vec::new());
    for part in envelopes(text) {
        let (name, ev, fc) = summary(&expect_envelope(parse_envelope(part.as_bytes()), file));
        rpcs.push(name);
        events.extend(ev);
        faults.extend(fc);
    }
    for v in [&mut rpcs, &mut events] {
        dedup(v);
    }
    dedup(&mut faults);
    assert_eq!(
        (rpcs, events, faults),
        (row.rpcs.clone(), row.events.clone(), row.faults.clone()),
        "{file}"
    );
    let mut html = 0;
    for (start, body) in msgs {
        match parse_envelope(body.as_bytes()) {
            SoapOutcome::Envelope(_) => {}
            SoapOutcome::Empty => assert!(body.trim().is_empty(), "{file}: {start}"),
            SoapOutcome::NotSoap { reason } => {
                assert!(
                    start.contains(" 401 ") && reason.starts_with("HTML page"),
                    "{file}: {start}: {reason}"
                );
                html += 1;
            }
            other => panic!("{file}: {start}: {other:?}"),
        }
    }
    assert_eq!(html, 1, "{file}: one HTML 401 page expected");
}

#[test]
fn avm_inform_is_malformed_with_the_inform_hint() {
    let Some(dir) = corpus() else { return };
    let bytes =
        fs::read(dir.join("xml/mhils-avm-fritzbox7170-inform-malformed.txt")).expect("read");
    let SoapOutcome::Malformed {
        rpc_hint, message, ..
    } = parse_envelope(&bytes)
    else {
        panic!("AVM file is not Malformed");
    };
    assert_eq!(rpc_hint.as_deref(), Some("Inform"));
    assert!(message.contains("does not match"), "{message}");
}

#[test]
fn every_truncation_of_a_real_inform_and_fault_returns() {
    let Some(dir) = corpus() else { return };
    for file in [
        "xml/perlcwmp-st780-Inform.xml",
        "xml/simulatr69-fault_set_parameter_values_response.xml",
    ] {
        let bytes = fs::read(dir.join(file)).expect("read");
        // Every prefix shorter than the whole root element (trailing whitespace excluded).
        for end in 0..bytes.trim_ascii_end().len() {
            match parse_envelope(&bytes[..end]) {
                SoapOutcome::Empty | SoapOutcome::Malformed { .. } => {}
                other => panic!("{file}: prefix of {end} bytes gave {other:?}"),
            }
        }
        assert!(
            matches!(parse_envelope(&bytes), SoapOutcome::Envelope(_)),
            "{file}"
        );
    }
}

/// The gSOAP client logs (the magma log holds Python dict dumps, no XML).
#[test]
fn every_envelope_in_the_raw_logs_returns() {
    let Some(dir) = corpus() else { return };
    for file in ["raw/tr69c-gsoap-RECV.log", "raw/tr69c-gsoap-SENT.log"] {
        let bytes = fs::read(dir.join(file)).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for part in envelopes(&text) {
            let kind = match parse_envelope(part.as_bytes()) {
                SoapOutcome::Envelope(_) => "envelope",
                SoapOutcome::Malformed { message, .. } => {
                    println!("{file}: malformed envelope: {message}");
                    "malformed"
                }
                SoapOutcome::NotSoap { .. } => "not-soap",
                SoapOutcome::Empty => "empty",
            };
            *counts.entry(kind).or_default() += 1;
        }
        println!("{file}: {counts:?}");
        assert!(
            counts.get("envelope").copied().unwrap_or(0) > 0,
            "{file}: no envelope parsed"
        );
    }
}
