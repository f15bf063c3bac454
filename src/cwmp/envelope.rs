//! Element tree → SOAP envelope: Envelope, Header (the CWMP header elements) and Body.
//!
//! Takes a well-formed [`Doc`]; gives a [`SoapOutcome`] (`Envelope` or `NotSoap`). Follows SOAP 1.1
//! §4 and TR-069 §3.5 header rules as summarised in tr069-facts.md §1: the envelope namespace
//! is `http://schemas.xmlsoap.org/soap/envelope/`, `cwmp:ID` carries `mustUnderstand="1"`,
//! `NoMoreRequests` is deprecated.
//!
//! Invariants: namespaces are compared by URI, never by prefix; an element whose prefix was
//! undeclared is matched by its local name (the tree already recorded the quirk). Only fixed paths
//! are walked (Envelope → Header/Body → RPC), so work is linear in the children visited.

use super::header;
use super::model::{Body, Envelope, Rpc, SoapHeader, SoapOutcome, intern};
use super::quirk::{QUOTE, Quirk, Quirks};
use super::read::{Cx, Id};
use super::rpc::{self, KNOWN_RPCS};
use super::tree::{Doc, Ns};
use super::{
    SOAP11_ENVELOPE_NS, SOAP12_ENVELOPE_NS, is_cwmp_namespace, is_standard_cwmp_namespace,
};

/// Reads the SOAP envelope of a well-formed document.
pub(crate) fn interpret(doc: &Doc, mut quirks: Quirks) -> SoapOutcome {
    let Some(root) = doc.elements.first() else {
        return SoapOutcome::NotSoap {
            reason: "XML without any element".into(),
        };
    };
    if root.local() != "Envelope" {
        return SoapOutcome::NotSoap {
            reason: not_envelope(doc),
        };
    }
    let soap_ns = doc.uri(root.ns).unwrap_or_default().to_string();
    match (root.ns, soap_ns.as_str()) {
        (_, SOAP11_ENVELOPE_NS) | (Ns::Undeclared, _) => {}
        (_, SOAP12_ENVELOPE_NS) => quirks.push(Quirk::Soap12Envelope),
        (_, "") => quirks.push(Quirk::NotSoapNamespace { namespace: None }),
        (_, other) => quirks.push(Quirk::NotSoapNamespace {
            namespace: Some(other.to_string()),
        }),
    }
    let mut cx = Cx {
        doc,
        quirks: &mut quirks,
    };
    let (header, header_ns) = match cx.child(0, "Header") {
        Some(h) => header::read(&mut cx, h),
        None => (SoapHeader::default(), None),
    };
    let mut cwmp_ns = None;
    let body = match cx.child(0, "Body") {
        None => {
            cx.quirks.push(Quirk::MissingBody);
            Body::Empty
        }
        Some(b) => {
            let mut children = doc.children(b);
            match children.next() {
                None => Body::Empty,
                Some(first) => {
                    let rest = children.count();
                    if rest > 0 {
                        cx.quirks.push(Quirk::ExtraBodyElements { count: rest + 1 });
                    }
                    let (rpc, ns) = read_rpc(&mut cx, first);
                    cwmp_ns = ns;
                    Body::Rpc(rpc)
                }
            }
        }
    };
    if let (Some(h), Some(r)) = (&header_ns, &cwmp_ns)
        && h != r
    {
        cx.quirks.push(Quirk::MixedCwmpNamespaces {
            header: h.clone(),
            rpc: r.clone(),
        });
    }
    let cwmp_ns = cwmp_ns.or(header_ns);
    if let Some(ns) = cwmp_ns
        .as_ref()
        .filter(|ns| !is_standard_cwmp_namespace(ns))
    {
        quirks.push(Quirk::NonStandardCwmpNamespace {
            namespace: ns.clone(),
        });
    }
    let quirks = quirks.into_vec();
    SoapOutcome::Envelope(Box::new(Envelope {
        soap_ns: intern(&soap_ns),
        cwmp_ns: cwmp_ns.as_deref().map(intern),
        header,
        body,
        quirks,
    }))
}

/// The RPC a broken document was carrying: the first Body child, or a bare CWMP root element.
pub(crate) fn rpc_hint(doc: &Doc) -> Option<String> {
    let root = doc.elements.first()?;
    if root.local() == "Envelope" {
        let body = doc
            .children(0)
            .find(|&c| doc.elements[c].local() == "Body")?;
        let first = doc.children(body).next()?;
        return Some(doc.elements[first].local().to_string());
    }
    is_bare_rpc(doc).then(|| root.local().to_string())
}

/// A root element in a CWMP namespace, or with a CWMP method name (transcribed messages).
fn is_bare_rpc(doc: &Doc) -> bool {
    let root = &doc.elements[0];
    doc.uri(root.ns).is_some_and(is_cwmp_namespace) || KNOWN_RPCS.contains(&root.local())
}

fn not_envelope(doc: &Doc) -> String {
    let root = &doc.elements[0];
    let clip = |s: &str| s.chars().take(QUOTE).collect::<String>();
    if root.local().eq_ignore_ascii_case("html") {
        return "XHTML page, not SOAP".into();
    }
    let ns = doc
        .uri(root.ns)
        .map(|u| format!(" in namespace '{}'", clip(u)))
        .unwrap_or_default();
    if is_bare_rpc(doc) {
        format!("bare <{}>{ns} without a SOAP Envelope", clip(&root.qname))
    } else {
        format!(
            "XML whose root element is <{}>{ns}, not a SOAP Envelope",
            clip(&root.qname)
        )
    }
}

/// Reads the first Body child; also gives the CWMP namespace it shows.
fn read_rpc(cx: &mut Cx, id: Id) -> (Rpc, Option<String>) {
    let el = cx.el(id);
    let ns = cx.doc.uri(el.ns).map(str::to_string);
    let (detail, detail_ns) = rpc::read(cx, id);
    // A SOAP Fault lives in the envelope namespace; its CWMP namespace is the detail's.
    let soap_fault = el.local() == "Fault" && !ns.as_deref().is_some_and(is_cwmp_namespace);
    let cwmp_ns = if soap_fault { detail_ns } else { ns.clone() };
    (
        Rpc {
            name: intern(el.local()),
            ns: ns.as_deref().map(intern),
            detail,
        },
        cwmp_ns,
    )
}

#[cfg(test)]
mod tests {
    use crate::cwmp::tests::envelope;
    use crate::cwmp::{Body, Envelope, Quirk, RpcDetail, SoapOutcome, parse_envelope};

    fn parse(xml: &str) -> Envelope {
        match parse_envelope(xml.as_bytes()) {
            SoapOutcome::Envelope(e) => *e,
            other => panic!("not an envelope: {other:?}"),
        }
    }

    fn rpc_name(env: &Envelope) -> &str {
        match &env.body {
            Body::Rpc(r) => &r.name,
            Body::Empty => "",
        }
    }

    #[test]
    fn any_prefix_and_every_cwmp_namespace() {
        for prefix in ["soap", "soapenv", "SOAP-ENV", "s", "env"] {
            for minor in 0..=4 {
                let cwmp = format!("urn:dslforum-org:cwmp-1-{minor}");
                let xml = format!(
                    r#"<{prefix}:Envelope xmlns:{prefix}="http://schemas.xmlsoap.org/soap/envelope/" xmlns:c="{cwmp}"><{prefix}:Header><c:ID {prefix}:mustUnderstand="1">7</c:ID></{prefix}:Header><{prefix}:Body><c:InformResponse><MaxEnvelopes>1</MaxEnvelopes></c:InformResponse></{prefix}:Body></{prefix}:Envelope>"#
                );
                let env = parse(&xml);
                assert_eq!(env.soap_ns, "http://schemas.xmlsoap.org/soap/envelope/");
                assert_eq!(env.cwmp_ns.as_deref(), Some(cwmp.as_str()));
                assert_eq!(env.header.id.as_deref(), Some("7"));
                let Body::Rpc(rpc) = &env.body else {
                    panic!("no rpc")
                };
                assert_eq!(rpc.ns.as_deref(), Some(cwmp.as_str()));
                assert_eq!(
                    rpc.detail,
                    RpcDetail::InformResponse {
                        max_envelopes: Some(1)
                    }
                );
                let expected = if minor <= 2 {
                    vec![]
                } else {
                    vec![Quirk::NonStandardCwmpNamespace {
                        namespace: cwmp.clone(),
                    }]
                };
                assert_eq!(env.quirks, expected, "{prefix} {cwmp}");
            }
        }
    }

    #[test]
    fn default_namespace_form() {
        let env = parse(
            r#"<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Header><ID xmlns="urn:dslforum-org:cwmp-1-1" mustUnderstand="1">9</ID></Header><Body><GetRPCMethods xmlns="urn:dslforum-org:cwmp-1-1"/></Body></Envelope>"#,
        );
        assert_eq!(env.cwmp_ns.as_deref(), Some("urn:dslforum-org:cwmp-1-1"));
        assert_eq!(rpc_name(&env), "GetRPCMethods");
        assert_eq!(env.header.id_must_understand.as_deref(), Some("1"));
        // An unqualified attribute is in no namespace, so not the SOAP mustUnderstand.
        assert_eq!(
            env.quirks,
            vec![Quirk::MustUnderstandNamespace { prefix: None }]
        );
    }

    #[test]
    fn empty_body_forms() {
        for body in ["<soapenv:Body/>", "<soapenv:Body>\n  </soapenv:Body>"] {
            let xml = format!("{}{body}</soapenv:Envelope>", crate::cwmp::tests::SOAP_OPEN);
            let env = parse(&xml);
            assert_eq!(env.body, Body::Empty);
            assert_eq!(env.cwmp_ns.as_deref(), Some("urn:dslforum-org:cwmp-1-0"));
        }
        let env = parse(r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"/>"#);
        assert_eq!(
            (env.body, env.quirks),
            (Body::Empty, vec![Quirk::MissingBody])
        );
    }

    #[test]
    fn gsoap_undeclared_prefix() {
        let env = parse(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SOAP-ENV:Envelope><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode><faultstring>HTTP Error: 401 Unauthorized</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>",
        );
        assert_eq!(env.soap_ns, "");
        assert_eq!(env.cwmp_ns, None);
        assert_eq!(rpc_name(&env), "Fault");
        assert_eq!(
            env.quirks,
            vec![
                Quirk::UndeclaredPrefix {
                    prefix: "SOAP-ENV".into()
                },
                Quirk::FaultWithoutCwmpDetail
            ]
        );
        let Body::Rpc(rpc) = env.body else {
            panic!("no rpc")
        };
        let RpcDetail::Fault(f) = rpc.detail else {
            panic!("not a fault")
        };
        assert_eq!(f.soap_faultcode.as_deref(), Some("SOAP-ENV:Client"));
    }

    #[test]
    fn soap12_and_foreign_envelope_namespaces() {
        let env = parse(
            r#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>"#,
        );
        assert_eq!(env.quirks, vec![Quirk::Soap12Envelope]);
        let env = parse("<Envelope><Body/></Envelope>");
        assert_eq!(
            env.quirks,
            vec![Quirk::NotSoapNamespace { namespace: None }]
        );
    }

    #[test]
    fn mixed_namespaces_and_extra_body_children() {
        let env = envelope(
            r#"<c:Reboot xmlns:c="urn:dslforum-org:cwmp-1-2"><CommandKey/></c:Reboot><c:Other xmlns:c="urn:x"/>"#,
        );
        assert_eq!(
            env.quirks,
            vec![
                Quirk::ExtraBodyElements { count: 2 },
                Quirk::MixedCwmpNamespaces {
                    header: "urn:dslforum-org:cwmp-1-0".into(),
                    rpc: "urn:dslforum-org:cwmp-1-2".into()
                },
            ]
        );
        assert_eq!(env.cwmp_ns.as_deref(), Some("urn:dslforum-org:cwmp-1-2"));
    }

    #[test]
    fn unqualified_rpc_has_no_namespace() {
        let env = envelope("<Inform><DeviceId/></Inform>");
        let Body::Rpc(rpc) = &env.body else {
            panic!("no rpc")
        };
        assert_eq!((&*rpc.name, rpc.ns.as_deref()), ("Inform", None));
        assert_eq!(env.cwmp_ns.as_deref(), Some("urn:dslforum-org:cwmp-1-0"));
    }
}
