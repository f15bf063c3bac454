//! FAQ Module I step 3, the registration exchange: `session.inform`, `session.inform-response`,
//! `session.complete`.
//!
//! Takes: the CWMP sessions (their exchanges, the transitions of the session table, how each ended) and
//! the TCP/TLS facts for how far a router got when it sent no Inform. Gives: verdicts on each device's
//! last session (a capture may hold several devices), citing the Inform, the answer or what came
//! instead, and the frame where the session ended. TR-069 §3.7.1 (sessions), §3.4 (HTTP), Amd 6 §3.4.6
//! (the ACS ends with 204).

mod answer;
mod complete;
mod inform;

pub use answer::{INFORM_RESPONSE_MODES, inform_response};
pub use complete::{COMPLETE_MODES, complete};
pub use inform::{INFORM_MODES, inform};

use std::collections::HashMap;

use crate::checks::devices::worst;
use crate::checks::{Ctx, Evidence};
use crate::cwmp::fault_meaning;
use crate::facts::Message;
use crate::sessions::cwmp::CwmpSession;
use crate::sessions::cwmp_table::State;
use crate::sessions::device::Device;
use crate::sessions::exchange::Silence;

/// `cwmp-1-3` and `cwmp-1-4`: namespaces some stacks (icwmp) send although no BBF schema defines them —
/// CWMP 1.3 and 1.4 keep `cwmp-1-2` (tr069-facts.md "read first" 2); GenieACS rejects `cwmp-1-4` with 400.
pub(super) fn unofficial_namespace(ns: &str) -> bool {
    matches!(
        ns,
        "urn:dslforum-org:cwmp-1-3" | "urn:dslforum-org:cwmp-1-4"
    )
}

/// Every device (its DeviceId, or its address without one), named for reports, with its last session
/// that `keep` accepts, if any, in order of the devices' first sessions. One pass: an ACS-side capture
/// holds thousands of devices.
fn last_per_cpe<'s>(
    ctx: &Ctx<'s>,
    keep: impl Fn(&CwmpSession) -> bool,
) -> Vec<(String, Option<&'s CwmpSession>)> {
    let mut slot_of: HashMap<&'s Device, usize> = HashMap::new();
    let mut last: Vec<(String, Option<&'s CwmpSession>)> = Vec::new();
    for s in &ctx.sessions.cwmp {
        let slot = *slot_of.entry(&s.device).or_insert_with(|| {
            last.push((s.device.label(s.cpe), None));
            last.len() - 1
        });
        if keep(s) {
            last[slot].1 = Some(s);
        }
    }
    last
}

fn acknowledged(s: &CwmpSession) -> bool {
    s.steps.iter().any(|st| st.to == State::CpeTurn)
}

fn events(m: &Message) -> Vec<String> {
    m.envelope()
        .and_then(|e| e.inform())
        .map(|i| i.events.iter().map(|e| e.code.clone()).collect())
        .unwrap_or_default()
}

/// The catalog mode of a silence, and the silence in words.
fn silence_mode(s: &Silence) -> (&'static str, String) {
    let mode = match s {
        Silence::Reset { .. } => "reset",
        Silence::Closed { .. } => "closed",
        Silence::TimedOut { .. } => "timeout",
        Silence::CaptureEnded => "capture-ended",
    };
    (mode, s.describe())
}

fn who(by_cpe: bool) -> &'static str {
    if by_cpe { "router" } else { "ACS" }
}

fn silence_evidence(ctx: &Ctx<'_>, s: &Silence) -> Vec<Evidence> {
    match s {
        Silence::Reset { at, by_cpe } => vec![Evidence::at(
            ctx,
            *at,
            format!("RST from the {}", who(*by_cpe)),
        )],
        Silence::Closed { at, by_cpe } => vec![Evidence::at(
            ctx,
            *at,
            format!("FIN from the {}", who(*by_cpe)),
        )],
        _ => Vec::new(),
    }
}

/// What answered the request of exchange `i` of `s`, as evidence.
fn exchange_evidence(ctx: &Ctx<'_>, s: &CwmpSession, i: Option<usize>) -> Vec<Evidence> {
    let Some(ex) = i.and_then(|i| s.exchanges.get(i)) else {
        return Vec::new();
    };
    let mut out = vec![Evidence::message(ctx, ctx.msg(ex.request), "")];
    if let Some(r) = ex.response {
        let m = ctx.msg(r);
        let detail = if m.http.complete() {
            m.excerpt
                .clone()
                .map(|e| format!("body: {e}"))
                .unwrap_or_default()
        } else {
            format!(
                "incomplete: cut after {} body bytes ({})",
                m.http.body_len,
                m.http.ending.describe()
            )
        };
        out.push(Evidence::message(ctx, m, &detail));
    }
    out
}

fn fault_text(code: Option<u32>) -> String {
    match code {
        Some(c) => format!("Fault {c} ({})", fault_meaning(c).unwrap_or("unknown code")),
        None => "a SOAP Fault without a CWMP FaultCode".into(),
    }
}
