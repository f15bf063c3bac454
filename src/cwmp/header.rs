//! SOAP Header → [`SoapHeader`]: the CWMP header elements and their `mustUnderstand` rules.
//!
//! Takes the Header element; gives ID, HoldRequests, SessionTimeout, SupportedCWMPVersions,
//! UseCWMPVersion and NoMoreRequests, and the CWMP namespace they are in. The rules are those of
//! `cwmp-1-2.xsd` … `cwmp-1-4.xsd` as summarised in tr069-facts.md §1: `cwmp:ID` carries
//! `soap:mustUnderstand="1"`; `NoMoreRequests` is deprecated and in no schema.
//!
//! Invariants: header elements are matched by local name in any namespace (case-insensitively,
//! with a quirk); unknown header elements are ignored, as SOAP allows when mustUnderstand is 0.

use super::model::SoapHeader;
use super::quirk::Quirk;
use super::read::{Cx, Id};
use super::tree::Ns;
use super::{SOAP11_ENVELOPE_NS, SOAP12_ENVELOPE_NS};

/// The header elements read, with their schema spelling.
const KNOWN: [&str; 6] = [
    "ID",
    "HoldRequests",
    "SessionTimeout",
    "SupportedCWMPVersions",
    "UseCWMPVersion",
    "NoMoreRequests",
];

/// Reads the CWMP header elements; also gives the CWMP namespace they use.
pub(crate) fn read(cx: &mut Cx, header: Id) -> (SoapHeader, Option<String>) {
    let mut h = SoapHeader::default();
    let mut ns = None;
    let doc = cx.doc;
    for child in doc.children(header) {
        let el = cx.el(child);
        let Some(name) = KNOWN.iter().find(|k| k.eq_ignore_ascii_case(el.local())) else {
            continue;
        };
        if *name != el.local() {
            let found = el.local().to_string();
            cx.quirks.push(Quirk::NameCase {
                found,
                expected: name.to_string(),
            });
        }
        ns = ns.or_else(|| cx.doc.uri(el.ns).map(str::to_string));
        let text = cx.text(child);
        match *name {
            "ID" => {
                h.id = Some(text);
                h.id_must_understand = must_understand(cx, child);
                if h.id_must_understand.as_deref() != Some("1") {
                    let value = h.id_must_understand.clone();
                    cx.quirks.push(Quirk::IdMustUnderstand { value });
                }
            }
            "HoldRequests" => h.hold_requests = cx.boolean(name, &text),
            "SessionTimeout" => h.session_timeout = cx.number(name, &text, "an unsignedInt"),
            "SupportedCWMPVersions" => h.supported_versions = Some(text),
            "UseCWMPVersion" => h.use_version = Some(text),
            _ => {
                cx.quirks.push(Quirk::NoMoreRequestsHeader);
                h.no_more_requests = cx.boolean(name, &text);
            }
        }
    }
    (h, ns)
}

/// The `mustUnderstand` attribute value; one outside the SOAP namespace is a quirk.
fn must_understand(cx: &mut Cx, id: Id) -> Option<String> {
    let attr = cx.attr(id, "mustUnderstand")?;
    let uri = cx.doc.uri(attr.ns);
    let soap =
        matches!(uri, Some(SOAP11_ENVELOPE_NS | SOAP12_ENVELOPE_NS)) || attr.ns == Ns::Undeclared;
    if !soap {
        let prefix = attr.qname.split_once(':').map(|(p, _)| p.to_string());
        cx.quirks.push(Quirk::MustUnderstandNamespace { prefix });
    }
    Some(attr.value.trim().to_string())
}

#[cfg(test)]
mod tests {
    use crate::cwmp::tests::INFORM;
    use crate::cwmp::{Body, Envelope, Quirk, SoapOutcome, parse_envelope};

    fn parse(xml: &str) -> Envelope {
        match parse_envelope(xml.as_bytes()) {
            SoapOutcome::Envelope(e) => *e,
            other => panic!("not an envelope: {other:?}"),
        }
    }

    #[test]
    fn all_header_elements() {
        let xml = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2"><s:Header><cwmp:ID s:mustUnderstand="1">a&amp;b</cwmp:ID><cwmp:HoldRequests s:mustUnderstand="1">0</cwmp:HoldRequests><cwmp:SessionTimeout s:mustUnderstand="0">60</cwmp:SessionTimeout><cwmp:SupportedCWMPVersions s:mustUnderstand="0">1.0,1.1,1.2,1.3,1.4</cwmp:SupportedCWMPVersions><cwmp:UseCWMPVersion s:mustUnderstand="1">1.4</cwmp:UseCWMPVersion><cwmp:NoMoreRequests>1</cwmp:NoMoreRequests></s:Header><s:Body/></s:Envelope>"#;
        let env = parse(xml);
        let h = &env.header;
        assert_eq!(h.id.as_deref(), Some("a&b"));
        assert_eq!(h.hold_requests, Some(false));
        assert_eq!(h.session_timeout, Some(60));
        assert_eq!(h.supported_versions.as_deref(), Some("1.0,1.1,1.2,1.3,1.4"));
        assert_eq!(h.use_version.as_deref(), Some("1.4"));
        assert_eq!(h.no_more_requests, Some(true));
        assert_eq!(env.body, Body::Empty);
        assert_eq!(env.cwmp_ns.as_deref(), Some("urn:dslforum-org:cwmp-1-2"));
        assert_eq!(env.quirks, vec![Quirk::NoMoreRequestsHeader]);
    }

    #[test]
    fn must_understand_quirks() {
        let env = parse(&INFORM.replace("soap:mustUnderstand=\"1\"", "cwmp:mustUnderstand=\"1\""));
        assert_eq!(
            env.quirks,
            vec![Quirk::MustUnderstandNamespace {
                prefix: Some("cwmp".into())
            }]
        );
        let env = parse(&INFORM.replace("soap:mustUnderstand=\"1\"", "soap:mustUnderstand=\"\""));
        assert_eq!(env.header.id_must_understand.as_deref(), Some(""));
        assert_eq!(
            env.quirks,
            vec![Quirk::IdMustUnderstand {
                value: Some(String::new())
            }]
        );
        let env = parse(&INFORM.replace(" soap:mustUnderstand=\"1\"", ""));
        assert_eq!(env.quirks, vec![Quirk::IdMustUnderstand { value: None }]);
    }
}
