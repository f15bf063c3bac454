//! The SOAP stage: the bytes of one HTTP body → a CWMP envelope model, or a finding saying what
//! is wrong and where.
//!
//! Takes one HTTP body (after transfer/content decoding); gives a [`SoapOutcome`]:
//! [`SoapOutcome::Envelope`] (header, RPC arguments and [`Quirk`]s), [`SoapOutcome::Empty`] (the
//! empty POST / empty response), [`SoapOutcome::NotSoap`] (HTML error page, JSON, text, other XML)
//! or [`SoapOutcome::Malformed`] (byte offset, line, column, message, and the RPC seen before the
//! error). Follows TR-069 §3.5 / SOAP 1.1 and the `cwmp-1-0` … `cwmp-1-4` schemas, as summarised
//! in tr069-facts.md §1 (envelope, header), §3 (event codes), §5 (faults), §6 (RPCs), §7 (Inform).
//!
//! The stage is split by layer: `sniff` (is it XML at all?), `build`, `attrs` and `text`
//! (quick-xml `Reader` and `NamespaceResolver` → bounded element tree `tree`, well-formedness),
//! `envelope` and `header` (Envelope, Header, Body), `rpc`, `params`, `inform`, `fault` (RPC
//! arguments), `read` (typed lookups), `quirk`, `model`.
//!
//! Invariants:
//! - [`parse_envelope`] is total over `&[u8]`: it never panics, recurses or allocates beyond a
//!   bound proportional to the input (nesting ≤ 64, elements ≤ 200 000, text per element ≤ 1 MiB,
//!   quirks ≤ 32); exceeding a cap is reported as `Malformed` at the offending offset.
//! - Namespaces are matched by URI, never by prefix. A prefix that was never declared (gSOAP's
//!   `SOAP-ENV:` without `xmlns`) falls back to the local name and leaves a quirk.
//! - Only UTF-8 is read (a UTF-8 BOM is skipped); DTD entities are never expanded.

mod attrs;
mod build;
mod envelope;
mod fault;
mod header;
mod inform;
mod model;
mod params;
mod quirk;
mod read;
mod rpc;
mod sniff;
mod text;
mod tree;

pub use fault::fault_meaning;
pub use model::{
    Body, DeviceId, Envelope, Event, Fault, Inform, Name, ParamFault, ParamValue, Rpc, RpcDetail,
    SoapHeader, SoapOutcome,
};
pub use quirk::{MAX_QUIRKS, Quirk};

use quirk::Quirks;
use sniff::Sniff;
use tree::XmlError;

/// The SOAP 1.1 envelope namespace, which TR-069 uses.
pub const SOAP11_ENVELOPE_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The SOAP 1.2 envelope namespace (accepted with [`Quirk::Soap12Envelope`]).
pub const SOAP12_ENVELOPE_NS: &str = "http://www.w3.org/2003/05/soap-envelope";

/// Parses one HTTP body as a SOAP/CWMP message. Total: any input gives an outcome.
pub fn parse_envelope(body: &[u8]) -> SoapOutcome {
    let start = match sniff::sniff(body) {
        Sniff::Empty => return SoapOutcome::Empty,
        Sniff::NotXml(reason) => return SoapOutcome::NotSoap { reason },
        Sniff::Xml { start } => start,
    };
    let xml = &body[start..];
    // Parse the valid UTF-8 prefix so that an RPC seen before a bad byte can still be named.
    let (valid, bad_byte) = match std::str::from_utf8(xml) {
        Ok(s) => (s, None),
        Err(e) => {
            let prefix = &xml[..e.valid_up_to()];
            let valid = std::str::from_utf8(prefix).unwrap_or_default();
            (valid, Some(e.valid_up_to()))
        }
    };
    let mut quirks = Quirks::default();
    let (doc, error) = build::build(valid, start as u64, &mut quirks);
    let utf8_error = bad_byte.map(|at| {
        let declared = sniff::declared_encoding(xml)
            .map(|enc| {
                format!(" (the XML declaration says encoding=\"{enc}\"; only UTF-8 is read)")
            })
            .unwrap_or_default();
        let message = format!("byte 0x{:02X} is not valid UTF-8{declared}", xml[at]);
        XmlError {
            offset: (start + at) as u64,
            message,
        }
    });
    let error = match (error, utf8_error) {
        (Some(e), Some(u)) if e.offset < u.offset => Some(e),
        (_, Some(u)) => Some(u),
        (e, None) => e,
    };
    let Some(error) = error else {
        return envelope::interpret(&doc, quirks);
    };
    if doc
        .elements
        .first()
        .is_some_and(|root| root.local().eq_ignore_ascii_case("html"))
    {
        let reason = "HTML page, not SOAP (and not well-formed XML)".to_string();
        return SoapOutcome::NotSoap { reason };
    }
    let (line, column) = line_column(body, error.offset);
    SoapOutcome::Malformed {
        offset: error.offset,
        line,
        column,
        message: error.message,
        rpc_hint: envelope::rpc_hint(&doc),
    }
}

/// True for `urn:dslforum-org:cwmp-1-N` (any N, including the non-BBF 1-3 and 1-4).
pub fn is_cwmp_namespace(uri: &str) -> bool {
    uri.strip_prefix("urn:dslforum-org:cwmp-1-")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// True for the namespaces a BBF schema defines: cwmp-1-0, cwmp-1-1 and cwmp-1-2 (CWMP 1.3 and
/// 1.4 keep cwmp-1-2; tr069-facts.md §1).
pub fn is_standard_cwmp_namespace(uri: &str) -> bool {
    matches!(
        uri,
        "urn:dslforum-org:cwmp-1-0" | "urn:dslforum-org:cwmp-1-1" | "urn:dslforum-org:cwmp-1-2"
    )
}

/// 1-based line and column (in characters) of byte `offset`; a BOM does not count as a column.
fn line_column(body: &[u8], offset: u64) -> (u32, u32) {
    let upto = &body[..usize::try_from(offset).map_or(body.len(), |o| o.min(body.len()))];
    let line_start = upto.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let line = 1 + upto.iter().filter(|&&b| b == b'\n').count();
    let mut current = &upto[line_start..];
    if line_start == 0 {
        current = current
            .strip_prefix(b"\xEF\xBB\xBF".as_slice())
            .unwrap_or(current);
    }
    let column = 1 + current.iter().filter(|&&b| b & 0xC0 != 0x80).count();
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An envelope start with the usual namespace declarations and an ID header.
    pub(crate) const SOAP_OPEN: &str = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soapenv:Header><cwmp:ID soapenv:mustUnderstand="1">42</cwmp:ID></soapenv:Header>"#;

    /// Parses `rpc_xml` wrapped in [`SOAP_OPEN`] and a Body.
    pub(crate) fn envelope(rpc_xml: &str) -> Envelope {
        let xml = format!("{SOAP_OPEN}<soapenv:Body>{rpc_xml}</soapenv:Body></soapenv:Envelope>");
        match parse_envelope(xml.as_bytes()) {
            SoapOutcome::Envelope(e) => *e,
            other => panic!("not an envelope: {other:?}"),
        }
    }

    /// The RPC arguments of `rpc_xml`, asserting that it produced no quirk.
    pub(crate) fn rpc(rpc_xml: &str) -> RpcDetail {
        let env = envelope(rpc_xml);
        assert_eq!(env.quirks, vec![], "unexpected quirks");
        match env.body {
            Body::Rpc(r) => r.detail,
            Body::Empty => panic!("empty body"),
        }
    }

    pub(crate) const INFORM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soap:Header><cwmp:ID soap:mustUnderstand="1">1</cwmp:ID><cwmp:SessionTimeout>60</cwmp:SessionTimeout></soap:Header>
 <soap:Body>
  <cwmp:Inform>
   <DeviceId><Manufacturer>ACME</Manufacturer><OUI>00147F</OUI><ProductClass>RG</ProductClass><SerialNumber>S1</SerialNumber></DeviceId>
   <Event soapenc:arrayType="cwmp:EventStruct[1]"><EventStruct><EventCode>0 BOOTSTRAP</EventCode><CommandKey></CommandKey></EventStruct></Event>
   <MaxEnvelopes>1</MaxEnvelopes><CurrentTime>2024-01-01T00:00:00Z</CurrentTime><RetryCount>0</RetryCount>
   <ParameterList soapenc:arrayType="cwmp:ParameterValueStruct[1]"><ParameterValueStruct><Name>Device.RootDataModelVersion</Name><Value xsi:type="xsd:string">2.12</Value></ParameterValueStruct></ParameterList>
  </cwmp:Inform>
 </soap:Body>
</soap:Envelope>"#;

    const FAULT: &str = r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>Client</faultcode><faultstring>CWMP fault</faultstring><detail><cwmp:Fault><FaultCode>9003</FaultCode><FaultString>Invalid arguments</FaultString><SetParameterValuesFault><ParameterName>A.B</ParameterName><FaultCode>9007</FaultCode><FaultString>bad</FaultString></SetParameterValuesFault></cwmp:Fault></detail></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>"#;

    fn malformed(body: &[u8]) -> (u64, u32, u32, String, Option<String>) {
        match parse_envelope(body) {
            SoapOutcome::Malformed {
                offset,
                line,
                column,
                message,
                rpc_hint,
            } => (offset, line, column, message, rpc_hint),
            other => panic!("not malformed: {other:?}"),
        }
    }

    fn not_soap(body: &[u8]) -> String {
        match parse_envelope(body) {
            SoapOutcome::NotSoap { reason } => reason,
            other => panic!("not NotSoap: {other:?}"),
        }
    }

    #[test]
    fn empty_file_and_whitespace_are_empty() {
        assert_eq!(parse_envelope(b""), SoapOutcome::Empty);
        assert_eq!(parse_envelope(b"\r\n  \t"), SoapOutcome::Empty);
    }

    #[test]
    fn bom_and_declaration_are_accepted() {
        let body = [b"\xEF\xBB\xBF".as_slice(), INFORM.as_bytes()].concat();
        let SoapOutcome::Envelope(env) = parse_envelope(&body) else {
            panic!("not an envelope")
        };
        assert_eq!(env.quirks, vec![]);
        assert_eq!(env.cwmp_ns.as_deref(), Some("urn:dslforum-org:cwmp-1-2"));
        assert_eq!(env.header.session_timeout, Some(60));
        let Body::Rpc(rpc) = env.body else {
            panic!("no rpc")
        };
        let RpcDetail::Inform(inform) = rpc.detail else {
            panic!("not an Inform")
        };
        assert_eq!(inform.events[0].code, "0 BOOTSTRAP");
        assert_eq!(inform.problems, Vec::<String>::new());
    }

    #[test]
    fn not_soap_says_what_it_is() {
        assert_eq!(
            not_soap(b"<html><body>502 Bad Gateway</body></html>"),
            "HTML page, not SOAP: \"<html><body>502 Bad Gateway</body></html>\""
        );
        let xhtml =
            br#"<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>"#;
        assert_eq!(not_soap(xhtml), "XHTML page, not SOAP");
        let broken = br#"<?xml version="1.0"?><html><body><br></body></html>"#;
        assert_eq!(
            not_soap(broken),
            "HTML page, not SOAP (and not well-formed XML)"
        );
        assert_eq!(
            not_soap(b"<HTML><BODY><BR>oops</BODY></HTML>"),
            "HTML page, not SOAP: \"<HTML><BODY><BR>oops</BODY></HTML>\""
        );
        assert!(not_soap(b"{\"status\":400}").starts_with("JSON"));
        assert_eq!(
            not_soap(br#"<?xml version="1.0"?><error xmlns="urn:x">no</error>"#),
            "XML whose root element is <error> in namespace 'urn:x', not a SOAP Envelope"
        );
        assert_eq!(
            not_soap(br#"<cwmp:Inform xmlns:cwmp="urn:dslforum-org:cwmp-1-0"/>"#),
            "bare <cwmp:Inform> in namespace 'urn:dslforum-org:cwmp-1-0' without a SOAP Envelope"
        );
        let (offset, .., message, _) = malformed(b"<?xml version='1.0'?><!-- only a comment -->");
        assert_eq!(
            (offset, message.as_str()),
            (44, "end of input before any element (no root element)")
        );
    }

    #[test]
    fn malformed_reports_position_message_and_rpc() {
        let body = INFORM.replace("</RetryCount>", "</Retry>");
        let (offset, line, column, message, hint) = malformed(body.as_bytes());
        assert_eq!(offset as usize, INFORM.find("</RetryCount>").unwrap());
        assert_eq!((line, column), (8, 94));
        assert_eq!(
            message,
            "end tag </Retry> does not match the open element <RetryCount>"
        );
        assert_eq!(hint.as_deref(), Some("Inform"));
    }

    #[test]
    fn malformed_before_the_body_has_no_hint() {
        let (offset, line, column, message, hint) =
            malformed(b"<soap:Envelope xmlns:soap='x'>\n  <soap:Header></soap:Header");
        assert_eq!((offset, line, column), (46, 2, 16));
        assert!(message.contains("not closed"), "{message}");
        assert_eq!(hint, None);
    }

    #[test]
    fn garbage_after_the_root_and_unterminated_comment() {
        let body = format!("{INFORM}\n<soap:Envelope/>");
        let (offset, .., message, hint) = malformed(body.as_bytes());
        assert_eq!(offset as usize, INFORM.len() + 1);
        assert_eq!(
            message,
            "element <soap:Envelope> after the end of the root element"
        );
        assert_eq!(hint.as_deref(), Some("Inform"));
        let (offset, .., message, _) = malformed(b"<a><!-- never closed");
        assert_eq!(offset, 3);
        assert!(message.starts_with("comment not closed"));
    }

    #[test]
    fn invalid_utf8_is_malformed_at_the_byte_with_the_rpc_hint() {
        let body = INFORM
            .replace("ACME", "AC\u{e9}ME")
            .replace('\u{e9}', "\u{1}");
        let mut bytes = body.into_bytes();
        let at = bytes.iter().position(|&b| b == 1).unwrap();
        bytes[at] = 0xE9;
        let (offset, .., message, hint) = malformed(&bytes);
        assert_eq!(offset as usize, at);
        assert_eq!(
            message,
            "byte 0xE9 is not valid UTF-8 (the XML declaration says encoding=\"UTF-8\"; only UTF-8 is read)"
        );
        assert_eq!(hint.as_deref(), Some("Inform"));
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_column(b"ab\ncd", 4), (2, 2));
        assert_eq!(line_column("\u{feff}é<".as_bytes(), 5), (1, 2));
        assert_eq!(line_column(b"x", 99), (1, 2));
    }

    #[test]
    fn namespace_predicates() {
        assert!(is_cwmp_namespace("urn:dslforum-org:cwmp-1-4"));
        assert!(!is_cwmp_namespace("urn:dslforum-org:cwmp-1-"));
        assert!(!is_cwmp_namespace(
            "urn:broadband-forum-org:cwmp:xmppConnReq-1-0"
        ));
        assert!(is_standard_cwmp_namespace("urn:dslforum-org:cwmp-1-2"));
        assert!(!is_standard_cwmp_namespace("urn:dslforum-org:cwmp-1-3"));
    }

    #[test]
    fn hostile_deep_nesting_is_capped() {
        let body = "<a>".repeat(100_000);
        let (offset, .., message, _) = malformed(body.as_bytes());
        assert_eq!(offset, 3 * 64);
        assert_eq!(message, "elements nested deeper than 64 levels (cap)");
    }

    #[test]
    fn hostile_element_count_is_capped() {
        let body = format!("<a>{}</a>", "<b/>".repeat(200_000));
        let (offset, .., message, _) = malformed(body.as_bytes());
        assert_eq!(offset, 3 + 4 * 199_999);
        assert_eq!(message, "more than 200000 elements (cap)");
    }

    #[test]
    fn hostile_50_mb_text_node_is_capped() {
        let mut body =
            format!("{SOAP_OPEN}<soapenv:Body><cwmp:Inform><DeviceId><Manufacturer>").into_bytes();
        let text_at = body.len() as u64;
        body.resize(body.len() + 50 * 1024 * 1024, b'A');
        let (offset, .., message, hint) = malformed(&body);
        assert_eq!(offset, text_at);
        assert_eq!(
            message,
            "text of <Manufacturer> longer than 1048576 bytes (cap)"
        );
        assert_eq!(hint.as_deref(), Some("Inform"));
    }

    #[test]
    fn billion_laughs_entities_are_not_expanded() {
        let mut dtd = String::from("<!DOCTYPE soapenv:Envelope [<!ENTITY lol \"lol\">");
        for n in 1..10 {
            let prev = if n == 1 {
                "lol".to_string()
            } else {
                format!("lol{}", n - 1)
            };
            dtd.push_str(&format!(
                "<!ENTITY lol{n} \"{}\">",
                format!("&{prev};").repeat(10)
            ));
        }
        dtd.push(']');
        dtd.push('>');
        let body = format!("{dtd}{}", SOAP_OPEN.replace(">42<", ">&lol9;<"))
            + "<soapenv:Body/></soapenv:Envelope>";
        let SoapOutcome::Envelope(env) = parse_envelope(body.as_bytes()) else {
            panic!("not an envelope")
        };
        assert_eq!(env.header.id.as_deref(), Some("&lol9;"));
        assert_eq!(env.body, Body::Empty);
        assert!(env.quirks.contains(&Quirk::DocType));
        assert!(env.quirks.contains(&Quirk::UnexpandedEntity {
            name: "lol9".into()
        }));
    }

    #[test]
    fn every_truncation_of_an_inform_and_a_fault_returns() {
        for doc in [INFORM, FAULT] {
            let bytes = doc.as_bytes();
            for end in 0..bytes.len() {
                let outcome = parse_envelope(&bytes[..end]);
                let whole_prefix_is_blank = bytes[..end].iter().all(u8::is_ascii_whitespace);
                match outcome {
                    SoapOutcome::Empty => assert!(whole_prefix_is_blank),
                    SoapOutcome::Malformed { offset, .. } => assert!(offset <= end as u64),
                    other => panic!("prefix of {end} bytes gave {other:?}"),
                }
            }
            assert!(matches!(parse_envelope(bytes), SoapOutcome::Envelope(_)));
        }
    }
}
