//! Parameter and object RPCs → [`RpcDetail`]: Set/GetParameterValues, GetParameterNames,
//! Set/GetParameterAttributes, AddObject, DeleteObject and their responses.
//!
//! Takes the RPC element (already known not to be one of the RPCs `rpc.rs` handles); gives its
//! arguments, or [`RpcDetail::Other`] for any RPC not modelled. Argument names follow
//! `cwmp-1-2.xsd` (tr069-facts.md §6); `Status` 1 in a response is success (committed, applied
//! later), not an error.
//!
//! Invariants: lists are SOAP-encoded arrays whose `arrayType` is checked by `read.rs`; counts
//! (`GetParameterNamesResponse`, `SetParameterAttributes`) count the structs actually present.

use super::model::RpcDetail;
use super::read::{Cx, Id};
use super::rpc::status;

pub(crate) fn read(cx: &mut Cx, id: Id) -> RpcDetail {
    match cx.local(id) {
        "SetParameterValues" => RpcDetail::SetParameterValues {
            params: list(cx, id).map(|l| cx.param_values(l)).unwrap_or_default(),
            parameter_key: cx.child_text(id, "ParameterKey"),
        },
        "SetParameterValuesResponse" => RpcDetail::SetParameterValuesResponse {
            status: status(cx, id),
        },
        "GetParameterValues" => RpcDetail::GetParameterValues {
            names: names(cx, id),
        },
        "GetParameterValuesResponse" => RpcDetail::GetParameterValuesResponse {
            params: list(cx, id).map(|l| cx.param_values(l)).unwrap_or_default(),
        },
        "GetParameterNames" => RpcDetail::GetParameterNames {
            path: cx.child_text(id, "ParameterPath"),
            next_level: cx.child_bool(id, "NextLevel"),
        },
        "GetParameterNamesResponse" => RpcDetail::GetParameterNamesResponse {
            count: list(cx, id).map_or(0, |l| cx.items(l, "ParameterInfoStruct").len()),
        },
        "SetParameterAttributes" => RpcDetail::SetParameterAttributes {
            count: list(cx, id).map_or(0, |l| cx.items(l, "SetParameterAttributesStruct").len()),
        },
        "GetParameterAttributes" => RpcDetail::GetParameterAttributes {
            names: names(cx, id),
        },
        "AddObject" => RpcDetail::AddObject {
            object_name: cx.child_text(id, "ObjectName"),
            parameter_key: cx.child_text(id, "ParameterKey"),
        },
        "AddObjectResponse" => RpcDetail::AddObjectResponse {
            instance: cx.child_u32(id, "InstanceNumber"),
            status: status(cx, id),
        },
        "DeleteObject" => RpcDetail::DeleteObject {
            object_name: cx.child_text(id, "ObjectName"),
            parameter_key: cx.child_text(id, "ParameterKey"),
        },
        "DeleteObjectResponse" => RpcDetail::DeleteObjectResponse {
            status: status(cx, id),
        },
        _ => RpcDetail::Other,
    }
}

fn list(cx: &mut Cx, id: Id) -> Option<Id> {
    cx.child(id, "ParameterList")
}

fn names(cx: &mut Cx, id: Id) -> Vec<String> {
    cx.child(id, "ParameterNames")
        .map(|l| cx.strings(l))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use crate::cwmp::tests::{envelope, rpc};
    use crate::cwmp::{ParamValue, Quirk, RpcDetail};

    fn pv(name: &str, value: &str, xsi_type: Option<&str>) -> ParamValue {
        ParamValue {
            name: name.into(),
            value: value.into(),
            xsi_type: xsi_type.map(Into::into),
        }
    }

    #[test]
    fn set_parameter_values_with_key_and_types() {
        let spv = rpc(
            r#"<cwmp:SetParameterValues><ParameterList soapenc:arrayType="cwmp:ParameterValueStruct[2]"><ParameterValueStruct><Name>Device.WiFi.SSID.1.SSID</Name><Value xsi:type="xsd:string">home &amp; garden</Value></ParameterValueStruct><ParameterValueStruct><Name>Device.ManagementServer.PeriodicInformInterval</Name><Value xsi:type="xsd:unsignedInt">300</Value></ParameterValueStruct></ParameterList><ParameterKey>key-1</ParameterKey></cwmp:SetParameterValues>"#,
        );
        assert_eq!(
            spv,
            RpcDetail::SetParameterValues {
                params: vec![
                    pv(
                        "Device.WiFi.SSID.1.SSID",
                        "home & garden",
                        Some("xsd:string")
                    ),
                    pv(
                        "Device.ManagementServer.PeriodicInformInterval",
                        "300",
                        Some("xsd:unsignedInt")
                    ),
                ],
                parameter_key: Some("key-1".into()),
            }
        );
    }

    #[test]
    fn set_parameter_values_response_status_zero_and_one() {
        for status in [0, 1] {
            let xml = format!(
                "<cwmp:SetParameterValuesResponse><Status>{status}</Status></cwmp:SetParameterValuesResponse>"
            );
            assert_eq!(
                rpc(&xml),
                RpcDetail::SetParameterValuesResponse {
                    status: Some(status)
                }
            );
        }
    }

    #[test]
    fn get_parameter_values_both_directions() {
        let gpv = rpc(
            r#"<cwmp:GetParameterValues><ParameterNames soapenc:arrayType="xsd:string[2]"><string>Device.DeviceInfo.</string><string>Device.ManagementServer.URL</string></ParameterNames></cwmp:GetParameterValues>"#,
        );
        assert_eq!(
            gpv,
            RpcDetail::GetParameterValues {
                names: vec![
                    "Device.DeviceInfo.".into(),
                    "Device.ManagementServer.URL".into()
                ]
            }
        );
        let resp = rpc(
            r#"<cwmp:GetParameterValuesResponse><ParameterList soapenc:arrayType="cwmp:ParameterValueStruct[1]"><ParameterValueStruct><Name>Device.ManagementServer.URL</Name><Value xsi:type="xsd:string"><![CDATA[https://acs.example/acs?a=1&b=2]]></Value></ParameterValueStruct></ParameterList></cwmp:GetParameterValuesResponse>"#,
        );
        assert_eq!(
            resp,
            RpcDetail::GetParameterValuesResponse {
                params: vec![pv(
                    "Device.ManagementServer.URL",
                    "https://acs.example/acs?a=1&b=2",
                    Some("xsd:string")
                )]
            }
        );
    }

    #[test]
    fn get_parameter_names_both_directions() {
        let gpn = rpc(
            "<cwmp:GetParameterNames><ParameterPath>Device.</ParameterPath><NextLevel>false</NextLevel></cwmp:GetParameterNames>",
        );
        assert_eq!(
            gpn,
            RpcDetail::GetParameterNames {
                path: Some("Device.".into()),
                next_level: Some(false)
            }
        );
        let resp = rpc(
            r#"<cwmp:GetParameterNamesResponse><ParameterList soapenc:arrayType="cwmp:ParameterInfoStruct[2]"><ParameterInfoStruct><Name>Device.</Name><Writable>0</Writable></ParameterInfoStruct><ParameterInfoStruct><Name>Device.DeviceInfo.</Name><Writable>0</Writable></ParameterInfoStruct></ParameterList></cwmp:GetParameterNamesResponse>"#,
        );
        assert_eq!(resp, RpcDetail::GetParameterNamesResponse { count: 2 });
    }

    #[test]
    fn parameter_attributes() {
        let spa = rpc(
            r#"<cwmp:SetParameterAttributes><ParameterList soapenc:arrayType="cwmp:SetParameterAttributesStruct[1]"><SetParameterAttributesStruct><Name>Device.DeviceInfo.SoftwareVersion</Name><NotificationChange>1</NotificationChange><Notification>2</Notification><AccessListChange>0</AccessListChange><AccessList/></SetParameterAttributesStruct></ParameterList></cwmp:SetParameterAttributes>"#,
        );
        assert_eq!(spa, RpcDetail::SetParameterAttributes { count: 1 });
        let gpa = rpc(
            "<cwmp:GetParameterAttributes><ParameterNames><string>Device.DeviceInfo.</string></ParameterNames></cwmp:GetParameterAttributes>",
        );
        assert_eq!(
            gpa,
            RpcDetail::GetParameterAttributes {
                names: vec!["Device.DeviceInfo.".into()]
            }
        );
        assert_eq!(
            rpc("<cwmp:SetParameterAttributesResponse/>"),
            RpcDetail::Other
        );
    }

    #[test]
    fn add_and_delete_object_both_directions() {
        let add = rpc(
            "<cwmp:AddObject><ObjectName>Device.NAT.PortMapping.</ObjectName><ParameterKey>pk</ParameterKey></cwmp:AddObject>",
        );
        assert_eq!(
            add,
            RpcDetail::AddObject {
                object_name: Some("Device.NAT.PortMapping.".into()),
                parameter_key: Some("pk".into())
            }
        );
        let resp = rpc(
            "<cwmp:AddObjectResponse><InstanceNumber>3</InstanceNumber><Status>1</Status></cwmp:AddObjectResponse>",
        );
        assert_eq!(
            resp,
            RpcDetail::AddObjectResponse {
                instance: Some(3),
                status: Some(1)
            }
        );
        let del = rpc(
            "<cwmp:DeleteObject><ObjectName>Device.NAT.PortMapping.3.</ObjectName><ParameterKey></ParameterKey></cwmp:DeleteObject>",
        );
        assert_eq!(
            del,
            RpcDetail::DeleteObject {
                object_name: Some("Device.NAT.PortMapping.3.".into()),
                parameter_key: Some(String::new())
            }
        );
        let resp = rpc("<cwmp:DeleteObjectResponse><Status>0</Status></cwmp:DeleteObjectResponse>");
        assert_eq!(resp, RpcDetail::DeleteObjectResponse { status: Some(0) });
    }

    #[test]
    fn misnamed_items_are_counted_with_a_quirk() {
        let env = envelope(
            r#"<cwmp:SetParameterAttributes><ParameterList soapenc:arrayType="SetParameterAttributesStruct[1]"><ParameterAttributeStruct><Name>Device.WiFi.SSID.1.</Name></ParameterAttributeStruct></ParameterList></cwmp:SetParameterAttributes>"#,
        );
        let crate::cwmp::Body::Rpc(r) = &env.body else {
            panic!("no rpc")
        };
        assert_eq!(r.detail, RpcDetail::SetParameterAttributes { count: 1 });
        assert_eq!(
            env.quirks[0].to_string(),
            "items of <ParameterList> are <ParameterAttributeStruct>; the schema names them <SetParameterAttributesStruct>"
        );
    }

    #[test]
    fn lower_case_struct_members_are_read_with_a_quirk() {
        let env = envelope(
            "<cwmp:SetParameterValues><ParameterList><ParameterValueStruct><name>A.B</name><value>1</value></ParameterValueStruct></ParameterList></cwmp:SetParameterValues>",
        );
        assert!(env.quirks.contains(&Quirk::NameCase {
            found: "name".into(),
            expected: "Name".into()
        }));
        let crate::cwmp::Body::Rpc(r) = env.body else {
            panic!("no rpc")
        };
        assert_eq!(
            r.detail,
            RpcDetail::SetParameterValues {
                params: vec![pv("A.B", "1", None)],
                parameter_key: None
            }
        );
    }
}
