//! DNS messages over UDP (RFC 1035 §4.1; response codes from the IANA DNS RCODE registry), for the
//! `acs.dns` check: did the ACS host name resolve, to what, and if not, why.
//!
//! Takes: one UDP payload. Gives: a [`DnsMessage`] — id, query/response, response code and its name,
//! questions, and the answer section's addresses, CNAME targets and TTLs — or `None` when the payload is
//! not a DNS message.
//!
//! Parsing is `hickory-proto`'s (the Hickory DNS project's wire format, with name compression and the EDNS
//! extended response code), built without default features: no resolver, no DNSSEC, no I/O. It is already
//! in the dependency tree through `dhcproto`, so DNS costs no further crate.
//!
//! A response cut short by the capture's snap length keeps its header, its questions and the answers
//! before the cut, with `complete: false`; the response code is the fact that matters and it is in the
//! header. A payload whose questions cannot be read is not DNS.

use std::net::IpAddr;

use hickory_proto::op::{Header, Message, Query};
use hickory_proto::rr::{RData, Record};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};

const HEADER_LEN: usize = 12;
/// The smallest question: the root name (1 byte), type and class.
const MIN_QUESTION: usize = 5;

/// One DNS message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsMessage {
    pub id: u16,
    pub response: bool,
    /// The response code, with the EDNS extension bits when the message carries an OPT record.
    pub rcode: u16,
    /// Its mnemonic: NOERROR, NXDOMAIN, SERVFAIL, REFUSED, …
    pub rcode_name: &'static str,
    /// The TC bit: the answer did not fit and the client should ask again over TCP.
    pub truncated: bool,
    /// (name without the trailing dot, query type).
    pub questions: Vec<(String, u16)>,
    pub answers: Vec<DnsAnswer>,
    /// Every section was read; false when the payload ended early (answers kept up to the cut).
    pub complete: bool,
}

/// One record of the answer section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsAnswer {
    pub name: String,
    pub rtype: u16,
    /// The address of an A or AAAA record.
    pub addr: Option<IpAddr>,
    /// The target of a CNAME record.
    pub target: Option<String>,
    pub ttl: u32,
}

/// Reads a DNS message; `None` when `payload` is not one.
pub fn parse_dns(payload: &[u8]) -> Option<DnsMessage> {
    if payload.len() < HEADER_LEN {
        return None;
    }
    let qdcount = usize::from(u16::from_be_bytes([payload[4], payload[5]]));
    // A header promising more questions than the payload can hold is not DNS; checking first also keeps
    // the parser from reserving room for 65535 questions.
    if qdcount == 0 || qdcount * MIN_QUESTION > payload.len() - HEADER_LEN {
        return None;
    }
    match Message::from_vec(payload) {
        Ok(m) => Some(DnsMessage {
            id: m.metadata.id,
            response: m.metadata.message_type == hickory_proto::op::MessageType::Response,
            rcode: m.metadata.response_code.into(),
            rcode_name: rcode_name(m.metadata.response_code.into()),
            truncated: m.metadata.truncation,
            questions: m.queries.iter().map(question).collect(),
            answers: m.answers.iter().map(answer).collect(),
            complete: true,
        }),
        Err(_) => partial(payload),
    }
}

/// The header, the questions and the answers that precede the point where reading failed.
fn partial(payload: &[u8]) -> Option<DnsMessage> {
    let mut d = BinDecoder::new(payload);
    let header = Header::read(&mut d).ok()?;
    let mut questions = Vec::new();
    for _ in 0..header.counts.queries {
        questions.push(question(&Query::read(&mut d).ok()?));
    }
    let mut answers = Vec::new();
    for _ in 0..header.counts.answers {
        match Record::read(&mut d) {
            Ok(r) => answers.push(answer(&r)),
            Err(_) => break,
        }
    }
    let m = header.metadata;
    Some(DnsMessage {
        id: m.id,
        response: m.message_type == hickory_proto::op::MessageType::Response,
        rcode: m.response_code.into(),
        rcode_name: rcode_name(m.response_code.into()),
        truncated: m.truncation,
        questions,
        answers,
        complete: false,
    })
}

fn name_text(n: &hickory_proto::rr::Name) -> String {
    let s = n.to_string();
    match s.strip_suffix('.') {
        Some(bare) if !bare.is_empty() => bare.to_string(),
        _ => s,
    }
}

fn question(q: &Query) -> (String, u16) {
    (name_text(q.name()), q.query_type().into())
}

fn answer(r: &Record) -> DnsAnswer {
    let (addr, target) = match &r.data {
        RData::A(a) => (Some(IpAddr::V4(a.0)), None),
        RData::AAAA(a) => (Some(IpAddr::V6(a.0)), None),
        RData::CNAME(c) => (None, Some(name_text(&c.0))),
        _ => (None, None),
    };
    DnsAnswer {
        name: name_text(&r.name),
        rtype: r.record_type().into(),
        addr,
        target,
        ttl: r.ttl,
    }
}

/// The mnemonic of a response code (IANA "DNS RCODEs"; 16 is BADVERS in an OPT record).
pub fn rcode_name(rcode: u16) -> &'static str {
    match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        11 => "DSOTYPENI",
        16 => "BADVERS",
        17 => "BADKEY",
        18 => "BADTIME",
        19 => "BADMODE",
        20 => "BADNAME",
        21 => "BADALG",
        22 => "BADTRUNC",
        23 => "BADCOOKIE",
        _ => "UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::test_support::{corpus_pcap, hex, packets};

    // Built with scapy 2.8.0 `DNS(...)` (see testdata/README.md); names are not compressed by scapy.
    const QUERY: &str = "1a2b0100000100000000000003616373076578616d706c6504746573740000010001";
    const CNAME_A: &str = "1a2b8180000100020000000003616373076578616d706c650474657374000001000103616373076578616d706c65047465737400000500010000012c0011026c62076578616d706c65047465737400026c62076578616d706c65047465737400000100010000003c0004c000020a";
    const AAAA: &str = "2b3c8180000100010000000003616373076578616d706c65047465737400001c000103616373076578616d706c65047465737400001c000100000078001020010db8000000000000000000000010";
    const NXDOMAIN: &str = "3c4d8183000100000000000003616373076578616d706c6504746573740000010001";
    const SERVFAIL: &str = "3c4d8182000100000000000003616373076578616d706c6504746573740000010001";
    const REFUSED: &str = "3c4d8185000100000000000003616373076578616d706c6504746573740000010001";

    fn parse(h: &str) -> DnsMessage {
        parse_dns(&hex(h)).expect("a DNS message")
    }

    #[test]
    fn query_has_its_question_and_no_answers() {
        let m = parse(QUERY);
        assert_eq!((m.id, m.response, m.rcode_name), (0x1a2b, false, "NOERROR"));
        assert_eq!(m.questions, vec![("acs.example.test".to_string(), 1)]);
        assert!(m.answers.is_empty() && m.complete);
    }

    #[test]
    fn noerror_with_a_cname_chain_and_an_address() {
        let m = parse(CNAME_A);
        assert!(m.response && m.complete);
        assert_eq!((m.rcode, m.rcode_name), (0, "NOERROR"));
        assert_eq!(
            m.answers,
            vec![
                DnsAnswer {
                    name: "acs.example.test".into(),
                    rtype: 5,
                    addr: None,
                    target: Some("lb.example.test".into()),
                    ttl: 300
                },
                DnsAnswer {
                    name: "lb.example.test".into(),
                    rtype: 1,
                    addr: Some("192.0.2.10".parse().unwrap()),
                    target: None,
                    ttl: 60
                },
            ]
        );
    }

    #[test]
    fn aaaa_answer() {
        let m = parse(AAAA);
        assert_eq!(m.questions, vec![("acs.example.test".to_string(), 28)]);
        assert_eq!(m.answers[0].addr, Some("2001:db8::10".parse().unwrap()));
        assert_eq!(m.answers[0].ttl, 120);
    }

    #[test]
    fn failure_codes_are_named() {
        for (h, code, name) in [
            (NXDOMAIN, 3, "NXDOMAIN"),
            (SERVFAIL, 2, "SERVFAIL"),
            (REFUSED, 5, "REFUSED"),
        ] {
            let m = parse(h);
            assert_eq!((m.rcode, m.rcode_name, m.response), (code, name, true));
            assert!(m.answers.is_empty());
        }
        assert_eq!(rcode_name(99), "UNKNOWN");
    }

    #[test]
    fn truncated_response_keeps_the_answers_before_the_cut() {
        let full = hex(CNAME_A);
        let m = parse_dns(&full[..full.len() - 3]).expect("header and question survive");
        assert!(!m.complete);
        assert_eq!(m.questions.len(), 1);
        assert_eq!(m.answers.len(), 1, "the CNAME before the cut");
        assert_eq!(m.answers[0].target.as_deref(), Some("lb.example.test"));
    }

    #[test]
    fn garbage_is_not_dns() {
        assert_eq!(parse_dns(b""), None);
        assert_eq!(parse_dns(b"GET / HTTP/1.1\r\n\r\n"), None);
        assert_eq!(parse_dns(&[0xff; 12]), None);
        let mut no_question = hex(NXDOMAIN);
        no_question[5] = 0;
        assert_eq!(parse_dns(&no_question), None);
    }

    #[test]
    fn every_single_byte_corruption_is_safe() {
        for h in [CNAME_A, AAAA] {
            let full = hex(h);
            for i in 0..full.len() {
                for flip in [0x01, 0x40, 0xc0, 0xff] {
                    let mut bad = full.clone();
                    bad[i] ^= flip;
                    if let Some(m) = parse_dns(&bad) {
                        assert!(m.questions.len() <= 1 && m.answers.len() <= 2, "byte {i}");
                    }
                }
            }
        }
    }

    #[test]
    fn every_truncation_of_every_sample_is_safe() {
        for h in [QUERY, CNAME_A, AAAA, NXDOMAIN, SERVFAIL, REFUSED] {
            let full = hex(h);
            for n in 0..full.len() {
                if let Some(m) = parse_dns(&full[..n]) {
                    assert!(!m.complete, "{h} cut at {n} claims to be complete");
                }
            }
        }
    }

    /// Every DNS-over-UDP packet of the corpus WAN capture parses completely, and the counts agree with
    /// tshark (`udp.port==53`: 205 queries; responses by `dns.flags.rcode`: 180 NOERROR, 13 NXDOMAIN; 239
    /// A, 27 AAAA and 95 CNAME records).
    #[test]
    fn corpus_wan_capture_agrees_with_tshark() {
        let Some(pcap) = corpus_pcap("ctf-snakectf2024-router-wan.pcap") else {
            return;
        };
        let cap = pcap_parser::PcapCapture::from_file(&pcap).unwrap();
        let (mut queries, mut codes) = (0, std::collections::BTreeMap::new());
        let (mut v4, mut v6, mut cnames) = (0, 0, 0);
        for p in packets(&cap) {
            if p.tcp.is_some() || (p.src.port() != 53 && p.dst.port() != 53) {
                continue;
            }
            let m = parse_dns(p.payload).unwrap_or_else(|| panic!("frame {} is DNS", p.at.frame));
            assert!(m.complete, "frame {}", p.at.frame);
            for a in &m.answers {
                match (a.addr, &a.target) {
                    (Some(IpAddr::V4(_)), _) => v4 += 1,
                    (Some(IpAddr::V6(_)), _) => v6 += 1,
                    (None, Some(_)) => cnames += 1,
                    _ => {}
                }
            }
            if m.response {
                *codes.entry(m.rcode_name).or_insert(0) += 1;
            } else {
                queries += 1;
            }
        }
        assert_eq!(queries, 205);
        assert_eq!(
            (v4, v6, cnames),
            (239, 27, 95),
            "tshark's dns.a, dns.aaaa, dns.cname"
        );
        assert_eq!(
            codes.into_iter().collect::<Vec<_>>(),
            vec![("NOERROR", 180), ("NXDOMAIN", 13)]
        );
    }
}
