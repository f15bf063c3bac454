//! Body child → [`RpcDetail`]: dispatch on the RPC's local name, and the readers for the
//! session-level and file-transfer RPCs.
//!
//! Takes the element of the first Body child; gives its arguments. Argument names follow
//! `cwmp-1-2.xsd` (tr069-facts.md §6): InformResponse, GetRPCMethods(Response), Download(Response),
//! Upload(Response), TransferComplete, AutonomousTransferComplete, Reboot, FactoryReset,
//! ScheduleInform. The Inform, Fault and parameter RPCs have their own files.
//!
//! Invariants: the RPC name is matched exactly (a misspelt RPC is `Other`); a missing argument is
//! `None`, never an error; the second value returned is the CWMP namespace seen inside a SOAP
//! Fault's detail (the only RPC whose own element is not in the CWMP namespace).

use super::fault;
use super::inform;
use super::model::RpcDetail;
use super::params;
use super::quirk::Quirk;
use super::read::{Cx, Id};

/// The CWMP method names (both directions) of `cwmp-1-2.xsd`, used to recognise a bare RPC.
pub(crate) const KNOWN_RPCS: &[&str] = &[
    "Inform",
    "InformResponse",
    "GetRPCMethods",
    "GetRPCMethodsResponse",
    "SetParameterValues",
    "SetParameterValuesResponse",
    "GetParameterValues",
    "GetParameterValuesResponse",
    "GetParameterNames",
    "GetParameterNamesResponse",
    "SetParameterAttributes",
    "SetParameterAttributesResponse",
    "GetParameterAttributes",
    "GetParameterAttributesResponse",
    "AddObject",
    "AddObjectResponse",
    "DeleteObject",
    "DeleteObjectResponse",
    "Download",
    "DownloadResponse",
    "Upload",
    "UploadResponse",
    "Reboot",
    "RebootResponse",
    "FactoryReset",
    "FactoryResetResponse",
    "ScheduleInform",
    "ScheduleInformResponse",
    "TransferComplete",
    "TransferCompleteResponse",
    "AutonomousTransferComplete",
    "AutonomousTransferCompleteResponse",
    "ScheduleDownload",
    "ChangeDUState",
    "DUStateChangeComplete",
    "AutonomousDUStateChangeComplete",
    "RequestDownload",
    "Kicked",
    "GetQueuedTransfers",
    "GetAllQueuedTransfers",
    "CancelTransfer",
    "SetVouchers",
    "GetOptions",
];

/// Reads the arguments of the RPC element `id`.
pub(crate) fn read(cx: &mut Cx, id: Id) -> (RpcDetail, Option<String>) {
    let detail = match cx.local(id) {
        "Fault" => {
            let (fault, ns) = fault::read(cx, id);
            return (RpcDetail::Fault(fault), ns);
        }
        "Inform" => RpcDetail::Inform(Box::new(inform::read(cx, id))),
        "InformResponse" => RpcDetail::InformResponse {
            max_envelopes: cx.child_u32(id, "MaxEnvelopes"),
        },
        "GetRPCMethods" => RpcDetail::GetRPCMethods,
        "GetRPCMethodsResponse" => RpcDetail::GetRPCMethodsResponse {
            methods: cx
                .child(id, "MethodList")
                .map(|l| cx.strings(l))
                .unwrap_or_default(),
        },
        "Download" => RpcDetail::Download {
            command_key: cx.child_text(id, "CommandKey"),
            file_type: cx.child_text(id, "FileType"),
            url: cx.child_text(id, "URL"),
            file_size: cx.child_u64(id, "FileSize"),
            target_file: cx.child_text(id, "TargetFileName"),
            delay: cx.child_u32(id, "DelaySeconds"),
        },
        "DownloadResponse" => RpcDetail::DownloadResponse {
            status: status(cx, id),
        },
        "Upload" => RpcDetail::Upload {
            command_key: cx.child_text(id, "CommandKey"),
            file_type: cx.child_text(id, "FileType"),
            url: cx.child_text(id, "URL"),
        },
        "UploadResponse" => RpcDetail::UploadResponse {
            status: status(cx, id),
        },
        "TransferComplete" => {
            let (fault_code, fault_string) = fault_struct(cx, id);
            RpcDetail::TransferComplete {
                command_key: cx.child_text(id, "CommandKey"),
                fault_code,
                fault_string,
                start: cx.child_text(id, "StartTime"),
                complete: cx.child_text(id, "CompleteTime"),
            }
        }
        "AutonomousTransferComplete" => {
            let (fault_code, fault_string) = fault_struct(cx, id);
            RpcDetail::AutonomousTransferComplete {
                fault_code,
                fault_string,
            }
        }
        "Reboot" => RpcDetail::Reboot {
            command_key: cx.child_text(id, "CommandKey"),
        },
        "FactoryReset" => RpcDetail::FactoryReset,
        "ScheduleInform" => RpcDetail::ScheduleInform {
            delay: cx.child_u32(id, "DelaySeconds"),
            command_key: cx.child_text(id, "CommandKey"),
        },
        _ => params::read(cx, id),
    };
    (detail, None)
}

/// The `Status` of a response: 0 (done) or 1 (committed, applied later); others are quirks.
pub(crate) fn status(cx: &mut Cx, id: Id) -> Option<u32> {
    let status = cx.child_u32(id, "Status")?;
    if status > 1 {
        cx.invalid("Status", &status.to_string(), "0 or 1");
    }
    Some(status)
}

/// `FaultStruct{FaultCode, FaultString}` of (Autonomous)TransferComplete. A FaultStruct holding
/// a bare number (SimulaTR69 writes `<FaultStruct>0</FaultStruct>`) is read as the code.
fn fault_struct(cx: &mut Cx, id: Id) -> (Option<u32>, Option<String>) {
    let Some(fs) = cx.child(id, "FaultStruct") else {
        return (None, None);
    };
    if !cx.doc.has_children(fs) {
        let text = cx.text(fs);
        if text.is_empty() {
            return (None, None);
        }
        cx.quirks.push(Quirk::TextInsteadOfStruct {
            element: "FaultStruct".into(),
            text: text.clone(),
        });
        return (cx.number("FaultStruct", &text, "an unsignedInt"), None);
    }
    (
        cx.child_u32(fs, "FaultCode"),
        cx.child_text(fs, "FaultString"),
    )
}

#[cfg(test)]
mod tests {
    use crate::cwmp::tests::{envelope, rpc};
    use crate::cwmp::{Quirk, RpcDetail};

    #[test]
    fn inform_response_and_rpc_methods() {
        assert_eq!(
            rpc("<cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse>"),
            RpcDetail::InformResponse {
                max_envelopes: Some(1)
            }
        );
        assert_eq!(rpc("<cwmp:GetRPCMethods/>"), RpcDetail::GetRPCMethods);
        let methods = rpc(
            r#"<cwmp:GetRPCMethodsResponse><MethodList soapenc:arrayType="xsd:string[2]"><string>Inform</string><string>TransferComplete</string></MethodList></cwmp:GetRPCMethodsResponse>"#,
        );
        assert_eq!(
            methods,
            RpcDetail::GetRPCMethodsResponse {
                methods: vec!["Inform".into(), "TransferComplete".into()]
            }
        );
    }

    #[test]
    fn download_and_upload_both_directions() {
        let d = rpc(
            "<cwmp:Download><CommandKey>fw1</CommandKey><FileType>1 Firmware Upgrade Image</FileType><URL>http://fs/fw.bin</URL><Username>u</Username><Password>secret</Password><FileSize>184258350</FileSize><TargetFileName>fw.bin</TargetFileName><DelaySeconds>0</DelaySeconds></cwmp:Download>",
        );
        assert_eq!(
            d,
            RpcDetail::Download {
                command_key: Some("fw1".into()),
                file_type: Some("1 Firmware Upgrade Image".into()),
                url: Some("http://fs/fw.bin".into()),
                file_size: Some(184_258_350),
                target_file: Some("fw.bin".into()),
                delay: Some(0),
            }
        );
        let r = rpc(
            "<cwmp:DownloadResponse><Status>1</Status><StartTime>0001-01-01T00:00:00Z</StartTime></cwmp:DownloadResponse>",
        );
        assert_eq!(r, RpcDetail::DownloadResponse { status: Some(1) });
        let u = rpc(
            "<cwmp:Upload><CommandKey>k</CommandKey><FileType>1 Vendor Configuration File</FileType><URL>ftp://x/</URL></cwmp:Upload>",
        );
        assert_eq!(
            u,
            RpcDetail::Upload {
                command_key: Some("k".into()),
                file_type: Some("1 Vendor Configuration File".into()),
                url: Some("ftp://x/".into()),
            }
        );
        assert_eq!(
            rpc("<cwmp:UploadResponse><Status>0</Status></cwmp:UploadResponse>"),
            RpcDetail::UploadResponse { status: Some(0) }
        );
    }

    #[test]
    fn transfer_complete_with_a_fault_struct() {
        let tc = rpc(
            "<cwmp:TransferComplete><CommandKey>upgrade</CommandKey><FaultStruct><FaultCode>9015</FaultCode><FaultString>Server Not Found</FaultString></FaultStruct><StartTime>2024-06-10T23:04:00Z</StartTime><CompleteTime>2024-06-10T23:05:00Z</CompleteTime></cwmp:TransferComplete>",
        );
        assert_eq!(
            tc,
            RpcDetail::TransferComplete {
                command_key: Some("upgrade".into()),
                fault_code: Some(9015),
                fault_string: Some("Server Not Found".into()),
                start: Some("2024-06-10T23:04:00Z".into()),
                complete: Some("2024-06-10T23:05:00Z".into()),
            }
        );
        let atc = rpc(
            "<cwmp:AutonomousTransferComplete><IsDownload>true</IsDownload><cwmp:FaultStruct><FaultCode>0</FaultCode><FaultString></FaultString></cwmp:FaultStruct></cwmp:AutonomousTransferComplete>",
        );
        assert_eq!(
            atc,
            RpcDetail::AutonomousTransferComplete {
                fault_code: Some(0),
                fault_string: Some(String::new())
            }
        );
    }

    #[test]
    fn fault_struct_as_bare_text_is_read_with_a_quirk() {
        let env = envelope(
            "<cwmp:TransferComplete><CommandKey>k</CommandKey><FaultStruct>0</FaultStruct></cwmp:TransferComplete>",
        );
        assert!(env.quirks.contains(&Quirk::TextInsteadOfStruct {
            element: "FaultStruct".into(),
            text: "0".into()
        }));
        assert!(
            matches!(env.body, crate::cwmp::Body::Rpc(r) if matches!(r.detail, RpcDetail::TransferComplete { fault_code: Some(0), .. }))
        );
    }

    #[test]
    fn reboot_factory_reset_schedule_inform() {
        assert_eq!(
            rpc("<cwmp:Reboot><CommandKey>ReBoot</CommandKey></cwmp:Reboot>"),
            RpcDetail::Reboot {
                command_key: Some("ReBoot".into())
            }
        );
        assert_eq!(rpc("<cwmp:FactoryReset/>"), RpcDetail::FactoryReset);
        assert_eq!(
            rpc(
                "<cwmp:ScheduleInform><DelaySeconds>30</DelaySeconds><CommandKey>si</CommandKey></cwmp:ScheduleInform>"
            ),
            RpcDetail::ScheduleInform {
                delay: Some(30),
                command_key: Some("si".into())
            }
        );
    }

    #[test]
    fn responses_without_arguments_and_unknown_rpcs_are_other() {
        for name in [
            "RebootResponse",
            "FactoryResetResponse",
            "TransferCompleteResponse",
            "X_ACME_Frob",
            "ChangeDUState",
        ] {
            assert_eq!(rpc(&format!("<cwmp:{name}/>")), RpcDetail::Other, "{name}");
        }
    }

    #[test]
    fn status_outside_zero_and_one_is_a_quirk() {
        let env = envelope("<cwmp:DownloadResponse><Status>7</Status></cwmp:DownloadResponse>");
        assert!(
            env.quirks
                .iter()
                .any(|q| q.to_string() == "<Status> value \"7\" is not 0 or 1")
        );
    }
}
