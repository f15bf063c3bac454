//! FAQ Module II step IV, the configuration: `config.apply`.
//!
//! Takes: the ACS's RPCs in the CWMP sessions and the router's answers in its next POST, and the
//! TransferComplete calls that report downloads. Gives: each configuration RPC with its outcome —
//! SetParameterValues Status 0 (applied) or 1 (committed, applies later: the FAQ's "Status=1 means
//! success", TR-069 cwmp-1-2.xsd), AddObject/DeleteObject, Download with its TransferComplete FaultStruct,
//! Reboot, FactoryReset — or the Fault with its code, meaning and every SetParameterValuesFault.
//! Values of parameters whose names say Password, Passphrase, PreSharedKey or Secret are redacted.

use crate::checks::{Ctx, Evidence, Verdict};
use crate::cwmp::{RpcDetail, fault_meaning};
use crate::facts::Message;
use crate::sessions::exchange::{Req, Resp};

pub const APPLY_MODES: &[&str] = &[
    "pass",
    "fault",
    "transfer-failed",
    "no-answer",
    "key-not-kept",
    "no-evidence",
];

/// RPCs that change the router.
const CONFIG_RPCS: &[&str] = &[
    "SetParameterValues",
    "SetParameterAttributes",
    "AddObject",
    "DeleteObject",
    "Download",
    "ScheduleDownload",
    "Upload",
    "Reboot",
    "FactoryReset",
    "ScheduleInform",
    "ChangeDUState",
];

/// Whether a parameter's value is a secret, by its name.
pub fn secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["password", "passphrase", "presharedkey", "secret"]
        .iter()
        .any(|s| n.contains(s))
}

fn value_text(ctx: &Ctx<'_>, name: &str, value: &str) -> String {
    if secret_name(name) && !ctx.config.show_secrets {
        "«redacted»".into()
    } else {
        format!("{value:?}")
    }
}

/// "9007 Invalid parameter value", with the FaultString when it adds something to the code's meaning.
fn fault_text(code: Option<u32>, string: Option<&str>) -> String {
    let meaning = code.and_then(fault_meaning);
    let code_text = code.map_or("no FaultCode".to_string(), |c| {
        format!("{c} {}", meaning.unwrap_or("unknown code"))
    });
    match string
        .map(str::trim)
        .filter(|s| !s.is_empty() && !meaning.is_some_and(|m| m.eq_ignore_ascii_case(s)))
    {
        Some(s) => format!("{code_text} ({s:?})"),
        None => code_text,
    }
}

/// What the request asked for, in a few words.
fn request_text(ctx: &Ctx<'_>, m: &Message) -> String {
    let rpc = m.envelope().and_then(|e| e.rpc());
    match rpc.map(|r| &r.detail) {
        Some(RpcDetail::SetParameterValues { params, .. }) => {
            let shown: Vec<String> = params
                .iter()
                .take(4)
                .map(|p| format!("{} = {}", p.name, value_text(ctx, &p.name, &p.value)))
                .collect();
            let more = if params.len() > 4 {
                format!(" (+{} more)", params.len() - 4)
            } else {
                String::new()
            };
            format!("SetParameterValues {}{more}", shown.join(", "))
        }
        Some(RpcDetail::AddObject { object_name, .. }) => {
            format!("AddObject {}", object_name.as_deref().unwrap_or("?"))
        }
        Some(RpcDetail::DeleteObject { object_name, .. }) => {
            format!("DeleteObject {}", object_name.as_deref().unwrap_or("?"))
        }
        Some(RpcDetail::Download { file_type, url, .. }) => {
            format!(
                "Download {} from {}",
                file_type.as_deref().unwrap_or("?"),
                url.as_deref().unwrap_or("?")
            )
        }
        _ => rpc.map_or(String::new(), |r| r.name.to_string()),
    }
}

/// The router's answer, judged: `Ok(text)` for success, `Err((mode, text))` for failure.
fn judge_answer(answer: &Message) -> Result<String, (&'static str, String)> {
    let Some(rpc) = answer.envelope().and_then(|e| e.rpc()) else {
        return Err((
            "no-answer",
            "the router answered with no RPC response".into(),
        ));
    };
    let status = |s: &Option<u32>| match s {
        Some(0) => "Status 0 (applied)".to_string(),
        Some(1) => "Status 1 (committed, applies later — success)".to_string(),
        Some(n) => format!("Status {n}"),
        None => "no Status".to_string(),
    };
    match &rpc.detail {
        RpcDetail::Fault(f) => {
            let mut text = format!("Fault {}", fault_text(f.code, f.string.as_deref()));
            for pf in &f.param_faults {
                text.push_str(&format!(
                    "; {}: {}",
                    pf.name,
                    fault_text(pf.code, pf.string.as_deref())
                ));
            }
            Err(("fault", text))
        }
        RpcDetail::SetParameterValuesResponse { status: s }
        | RpcDetail::DeleteObjectResponse { status: s } => Ok(status(s)),
        RpcDetail::AddObjectResponse {
            instance,
            status: s,
        } => Ok(format!(
            "instance {}, {}",
            instance.map_or("?".into(), |i| i.to_string()),
            status(s)
        )),
        RpcDetail::DownloadResponse { status: Some(1) } => {
            Ok("Status 1 (the download runs; TransferComplete reports it)".into())
        }
        RpcDetail::DownloadResponse { status: s } => Ok(status(s)),
        _ => Ok(rpc.name.to_string()),
    }
}

pub fn apply(ctx: &Ctx<'_>) -> Verdict {
    let mut done: Vec<Evidence> = Vec::new();
    let mut failed: Option<(&'static str, String, Vec<Evidence>)> = None;
    let mut keyed: Vec<Keyed<'_>> = Vec::new();
    for (si, s) in ctx.sessions.cwmp.iter().enumerate() {
        for (i, ex) in s.exchanges.iter().enumerate() {
            // A TransferComplete the ACS answered with a Fault (8005: retry) is sent again; the
            // retry is the one that counts.
            let refused = ex
                .response
                .is_some_and(|r| ctx.msg(r).rpc() == Some("Fault"));
            if let Req::CpeRequest(name) = &ex.req
                && name == "TransferComplete"
                && !refused
            {
                let m = ctx.msg(ex.request);
                if let Some(RpcDetail::TransferComplete {
                    fault_code,
                    fault_string,
                    command_key,
                    ..
                }) = m.envelope().and_then(|e| e.rpc()).map(|r| &r.detail)
                {
                    let key = command_key.clone().unwrap_or_default();
                    match fault_code {
                        Some(c) if *c != 0 => {
                            let text = format!(
                                "TransferComplete (CommandKey {key:?}) reports FaultCode {}",
                                fault_text(Some(*c), fault_string.as_deref())
                            );
                            failed.get_or_insert((
                                "transfer-failed",
                                text.clone(),
                                vec![Evidence::message(ctx, m, &text)],
                            ));
                        }
                        _ => done.push(Evidence::message(
                            ctx,
                            m,
                            "TransferComplete FaultCode 0: the download succeeded",
                        )),
                    }
                }
            }
            let Resp::AcsRequest(name) = &ex.resp else {
                continue;
            };
            if !CONFIG_RPCS.contains(&name.as_str()) {
                continue;
            }
            let request = ctx.msg(ex.response.expect("an ACS request travels in a response"));
            let asked = request_text(ctx, request);
            let answer = s
                .exchanges
                .get(i + 1)
                .filter(|n| matches!(n.req, Req::CpeAnswer(_)))
                .map(|n| ctx.msg(n.request));
            match answer.map(judge_answer) {
                Some(Ok(text)) => {
                    let answer = answer.expect("some");
                    if let Some(key) = parameter_key(request) {
                        keyed.push(Keyed {
                            session: si,
                            key,
                            request,
                            answer,
                        });
                    }
                    done.push(Evidence::message(ctx, answer, &format!("{asked} → {text}")));
                }
                Some(Err((mode, text))) => {
                    let ev = vec![
                        Evidence::message(ctx, request, &asked),
                        Evidence::message(ctx, answer.expect("some"), &text),
                    ];
                    failed.get_or_insert((mode, format!("{name} failed: {text}"), ev));
                }
                None => {
                    failed.get_or_insert((
                        "no-answer",
                        format!("{name} got no answer: the session ended first"),
                        vec![Evidence::message(ctx, request, &asked)],
                    ));
                }
            }
        }
    }
    if let Some((mode, summary, ev)) = failed {
        return Verdict::fail(mode, summary).with(ev).with(done);
    }
    if let Some(v) = key_not_kept(ctx, &keyed) {
        return v.with(done);
    }
    if done.is_empty() {
        return Verdict::skip(
            "no-evidence",
            ctx.no_cwmp(
                "no configuration RPC in the capture",
                "the configuration RPCs",
            ),
        );
    }
    let n = done.len();
    Verdict::pass(format!(
        "{n} configuration RPC{} succeeded",
        if n == 1 { "" } else { "s" }
    ))
    .with(done)
}

/// A change the router said it made, with the ParameterKey the ACS gave it.
struct Keyed<'f> {
    session: usize,
    key: &'f str,
    request: &'f Message,
    answer: &'f Message,
}

/// The non-empty ParameterKey of a SetParameterValues, AddObject or DeleteObject.
fn parameter_key(request: &Message) -> Option<&str> {
    match &request.envelope()?.rpc()?.detail {
        RpcDetail::SetParameterValues { parameter_key, .. }
        | RpcDetail::AddObject { parameter_key, .. }
        | RpcDetail::DeleteObject { parameter_key, .. } => {
            parameter_key.as_deref().filter(|k| !k.is_empty())
        }
        _ => None,
    }
}

/// The router sets `ManagementServer.ParameterKey` to the key of the last change it applied successfully
/// (tr069-facts.md §6), so the next Inform that reports it shows whether that change survived — a
/// Status 1 change followed by a reboot that lost it is the FAQ II.IV "configuration did not take effect".
fn key_not_kept(ctx: &Ctx<'_>, keyed: &[Keyed<'_>]) -> Option<Verdict> {
    let sessions = &ctx.sessions.cwmp;
    keyed.iter().enumerate().find_map(|(n, k)| {
        let device = &sessions[k.session].device;
        // Only the device's last keyed change before the Inform is expected to show.
        let next_change = keyed[n + 1..]
            .iter()
            .find(|o| &sessions[o.session].device == device)
            .map_or(usize::MAX, |o| o.session);
        // The sessions after this change and before the device's next one (none when the next change
        // is in the same session: it supersedes this one).
        let later = sessions.get(k.session + 1..next_change.min(sessions.len()));
        let (inform, reported) = later
            .unwrap_or_default()
            .iter()
            .filter(|s| &s.device == device)
            .filter_map(|s| s.inform(ctx.facts))
            .find_map(|m| {
                let params = &m.envelope()?.inform()?.params;
                let p = params.iter().find(|p| p.name.ends_with("ManagementServer.ParameterKey"))?;
                Some((m, p.value.as_str()))
            })?;
        (reported != k.key).then(|| {
            let text = format!(
                "the router reported success for {} (ParameterKey {:?}) but its next Inform reports ParameterKey {reported:?}: the change may not have taken effect",
                k.request.rpc().unwrap_or("the change"),
                k.key
            );
            Verdict::warn("key-not-kept", text).with([
                Evidence::message(ctx, k.request, &format!("ParameterKey {:?}", k.key)),
                Evidence::message(ctx, k.answer, "success"),
                Evidence::message(ctx, inform, &format!("ManagementServer.ParameterKey = {reported:?}")),
            ])
        })
    })
}
