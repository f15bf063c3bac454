//! SOAP Fault → [`Fault`], and the meaning of each CWMP fault code.
//!
//! Takes the `Fault` element of the Body; gives `faultcode`/`faultstring` and the CWMP detail
//! `detail/cwmp:Fault{FaultCode, FaultString, SetParameterValuesFault*}`. Codes and names follow
//! `cwmp-1-2.xsd`/`cwmp-1-4.xsd` as listed in tr069-facts.md §5: ACS faults 8000–8006 (there is
//! no 8007), CPE faults 9000–9032, vendor ranges 8800–8899 and 9800–9899.
//!
//! Invariants: `faultcode` is kept as written (`Client`, `SOAP-ENV:Client` …); a CWMP `Fault`
//! written directly in the Body (without the SOAP Fault around it) is read the same way.

use super::model::{Fault, ParamFault};
use super::quirk::Quirk;
use super::read::{Cx, Id};

/// Reads a SOAP Fault; also gives the namespace of its `detail/Fault` element.
pub(crate) fn read(cx: &mut Cx, id: Id) -> (Fault, Option<String>) {
    let mut fault = Fault {
        soap_faultcode: cx.child_text(id, "faultcode"),
        soap_faultstring: cx.child_text(id, "faultstring"),
        ..Fault::default()
    };
    let detail = match cx.child(id, "detail").and_then(|d| cx.child(d, "Fault")) {
        Some(d) => d,
        // Some stacks put the CWMP fault straight into the Body.
        None if cx.doc.children(id).any(|c| cx.local(c) == "FaultCode") => id,
        None => {
            cx.quirks.push(Quirk::FaultWithoutCwmpDetail);
            return (fault, None);
        }
    };
    let ns = cx.doc.uri(cx.el(detail).ns).map(str::to_string);
    fault.code = cx.child_u32(detail, "FaultCode");
    fault.string = cx.child_text(detail, "FaultString");
    for item in cx.children_named(detail, "SetParameterValuesFault") {
        fault.param_faults.push(ParamFault {
            name: cx.child_text(item, "ParameterName").unwrap_or_default(),
            code: cx.child_u32(item, "FaultCode"),
            string: cx.child_text(item, "FaultString"),
        });
    }
    (fault, ns)
}

/// What a CWMP fault code means (schema wording), or `None` for a code no schema defines.
pub fn fault_meaning(code: u32) -> Option<&'static str> {
    Some(match code {
        8000 => "Method not supported",
        8001 => "Request denied (no reason specified)",
        8002 => "Internal error",
        8003 => "Invalid arguments",
        8004 => "Resources exceeded",
        8005 => "Retry request",
        8006 => "ACS version incompatible with CPE",
        8800..=8899 | 9800..=9899 => "vendor-specific fault",
        9000 => "Method not supported",
        9001 => "Request denied (no reason specified)",
        9002 => "Internal error",
        9003 => "Invalid arguments",
        9004 => "Resources exceeded",
        9005 => "Invalid parameter name",
        9006 => "Invalid parameter type",
        9007 => "Invalid parameter value",
        9008 => "Attempt to set a non-writable parameter",
        9009 => "Notification request rejected",
        9010 => "File transfer failure",
        9011 => "Upload failure",
        9012 => "File transfer server authentication failure",
        9013 => "Unsupported protocol for file transfer",
        9014 => "File transfer failure: unable to join multicast group",
        9015 => "File transfer failure: unable to contact file server",
        9016 => "File transfer failure: unable to access file",
        9017 => "File transfer failure: unable to complete download",
        9018 => "File transfer failure: file corrupted",
        9019 => "File transfer failure: file authentication failure",
        9020 => "File transfer failure: unable to complete download within specified time windows",
        9021 => "Cancelation of file transfer not permitted in current transfer state",
        9022 => "Invalid UUID Format",
        9023 => "Unknown Execution Environment",
        9024 => "Disabled Execution Environment",
        9025 => "Deployment Unit to Execution Environment Mismatch",
        9026 => "Duplicate Deployment Unit",
        9027 => "System Resources Exceeded",
        9028 => "Unknown Deployment Unit",
        9029 => "Invalid Deployment Unit State",
        9030 => "Invalid Deployment Unit Update – Downgrade not permitted",
        9031 => "Invalid Deployment Unit Update – Version not specified",
        9032 => "Invalid Deployment Unit Update – Version already exists",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cwmp::tests::{SOAP_OPEN, envelope};
    use crate::cwmp::{Body, RpcDetail, SoapOutcome, parse_envelope};

    fn fault_of(rpc_xml: &str) -> Fault {
        match envelope(rpc_xml).body {
            Body::Rpc(r) => match r.detail {
                RpcDetail::Fault(f) => f,
                other => panic!("not a fault: {other:?}"),
            },
            Body::Empty => panic!("empty body"),
        }
    }

    #[test]
    fn fault_with_two_set_parameter_values_faults() {
        let f = fault_of(
            "<soapenv:Fault><faultcode>Client</faultcode><faultstring>CWMP fault</faultstring><detail><cwmp:Fault><FaultCode>9003</FaultCode><FaultString>Invalid arguments</FaultString><SetParameterValuesFault><ParameterName>Device.Time.LocalTimeZone</ParameterName><FaultCode>9007</FaultCode><FaultString>Not a valid time zone value</FaultString></SetParameterValuesFault><SetParameterValuesFault><ParameterName>Device.Time.NTPServer1</ParameterName><FaultCode>9008</FaultCode><FaultString>read-only</FaultString></SetParameterValuesFault></cwmp:Fault></detail></soapenv:Fault>",
        );
        assert_eq!(f.soap_faultcode.as_deref(), Some("Client"));
        assert_eq!(f.soap_faultstring.as_deref(), Some("CWMP fault"));
        assert_eq!(
            (f.code, f.string.as_deref()),
            (Some(9003), Some("Invalid arguments"))
        );
        assert_eq!(
            f.param_faults,
            vec![
                ParamFault {
                    name: "Device.Time.LocalTimeZone".into(),
                    code: Some(9007),
                    string: Some("Not a valid time zone value".into())
                },
                ParamFault {
                    name: "Device.Time.NTPServer1".into(),
                    code: Some(9008),
                    string: Some("read-only".into())
                },
            ]
        );
    }

    #[test]
    fn acs_fault_8005_and_the_detail_namespace() {
        let xml = format!(
            "{SOAP_OPEN}<soapenv:Body><soapenv:Fault><faultcode>Server</faultcode><faultstring>CWMP fault</faultstring><detail><c:Fault xmlns:c=\"urn:dslforum-org:cwmp-1-2\"><FaultCode>8005</FaultCode><FaultString>Retry request</FaultString></c:Fault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
        );
        let SoapOutcome::Envelope(env) = parse_envelope(xml.as_bytes()) else {
            panic!("not an envelope")
        };
        assert_eq!(env.cwmp_ns.as_deref(), Some("urn:dslforum-org:cwmp-1-2"));
        let Body::Rpc(rpc) = env.body else {
            panic!("no rpc")
        };
        assert_eq!(
            (&*rpc.name, rpc.ns.as_deref()),
            ("Fault", Some("http://schemas.xmlsoap.org/soap/envelope/"))
        );
        assert!(matches!(
            rpc.detail,
            RpcDetail::Fault(Fault {
                code: Some(8005),
                ..
            })
        ));
    }

    #[test]
    fn fault_without_cwmp_detail_and_bare_cwmp_fault() {
        let env = envelope(
            "<soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>HTTP Error: 401 Unauthorized</faultstring></soapenv:Fault>",
        );
        assert!(env.quirks.contains(&Quirk::FaultWithoutCwmpDetail));
        let f = fault_of(
            "<cwmp:Fault><FaultCode>9000</FaultCode><FaultString>Method not supported</FaultString></cwmp:Fault>",
        );
        assert_eq!(f.code, Some(9000));
    }

    #[test]
    fn meanings() {
        assert_eq!(fault_meaning(8005), Some("Retry request"));
        assert_eq!(
            fault_meaning(8006),
            Some("ACS version incompatible with CPE")
        );
        assert_eq!(fault_meaning(8007), None);
        assert_eq!(fault_meaning(8850), Some("vendor-specific fault"));
        assert_eq!(fault_meaning(9005), Some("Invalid parameter name"));
        assert_eq!(
            fault_meaning(9032),
            Some("Invalid Deployment Unit Update – Version already exists")
        );
        assert_eq!(fault_meaning(9033), None);
        assert_eq!(fault_meaning(9899), Some("vendor-specific fault"));
        assert_eq!(fault_meaning(0), None);
    }
}
