//! The emulated Inform (`--emulate-inform`, `session.inform-response`): the BOOTSTRAP Inform a CPE
//! sends on first contact, and the judgement of the ACS's answer to it.
//!
//! Takes: the DeviceId from the flags (`--oui`, `--product-class`, `--serial`) and the ACS exchange.
//! Gives: [`envelope`] — a `cwmp-1-0` SOAP 1.1 envelope (TR-069 §3.7.1.1 / tr069-facts.md §1, §7:
//! DeviceId, one EventStruct `0 BOOTSTRAP`, MaxEnvelopes 1, CurrentTime, RetryCount 0, an empty
//! ParameterList) — and [`verdict`]: InformResponse passes; 401 after credentials, HTTP 4xx/5xx, a
//! SOAP Fault, another message, a non-SOAP or malformed body, silence, reset or close fail.
//!
//! Every summary says plainly that the Inform may have created a device record on the ACS: it is a
//! real first contact for a device with that OUI and serial number.

use std::time::Duration;

use super::LiveStatus::{Fail, Pass, Warn};
use super::acs_answer::{HttpAnswer, HttpOutcome, SoapSummary};
use super::acs_http::{AcsHttp, CredentialState};
use super::acs_verdict::describe_step;
use super::clock::secs;
use super::{EmulatedDevice, LiveEvidence, LiveStatus, LiveVerdict};
use crate::cwmp::fault_meaning;
use crate::time::Timestamp;

/// The BOOTSTRAP Inform for `device`, stamped `time`.
pub(crate) fn envelope(device: &EmulatedDevice, time: Timestamp) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            "\n",
            r#"<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:soap-enc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cwmp="urn:dslforum-org:cwmp-1-0">"#,
            r#"<soap-env:Header><cwmp:ID soap-env:mustUnderstand="1">cwmp-doctor-1</cwmp:ID></soap-env:Header>"#,
            r#"<soap-env:Body><cwmp:Inform>"#,
            r#"<DeviceId><Manufacturer>cwmp-doctor</Manufacturer><OUI>{oui}</OUI><ProductClass>{pc}</ProductClass><SerialNumber>{sn}</SerialNumber></DeviceId>"#,
            r#"<Event soap-enc:arrayType="cwmp:EventStruct[1]"><EventStruct><EventCode>0 BOOTSTRAP</EventCode><CommandKey></CommandKey></EventStruct></Event>"#,
            r#"<MaxEnvelopes>1</MaxEnvelopes><CurrentTime>{time}</CurrentTime><RetryCount>0</RetryCount>"#,
            r#"<ParameterList soap-enc:arrayType="cwmp:ParameterValueStruct[0]"></ParameterList>"#,
            r#"</cwmp:Inform></soap-env:Body></soap-env:Envelope>"#,
            "\n"
        ),
        oui = escape(&device.oui),
        pc = escape(&device.product_class),
        sn = escape(&device.serial),
        time = time,
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Judges the ACS's answer to the emulated Inform.
pub(crate) fn verdict(http: &AcsHttp, device: &EmulatedDevice, timeout: Duration) -> LiveVerdict {
    let record = format!(
        "the test Inform (OUI {}, ProductClass {}, serial {}, 0 BOOTSTRAP) may have created a device record on the ACS",
        device.oui, device.product_class, device.serial
    );
    let skip = |mode, why: String| {
        LiveVerdict::new("session.inform-response", LiveStatus::Skip, mode, why)
    };
    if !http.inform_sent {
        return skip(
            "blocked",
            "the Inform was not sent: the ACS URL gave no HTTP answer (see cwmp.url)".into(),
        );
    }
    let informs: Vec<_> = http
        .steps
        .iter()
        .filter(|s| s.request.contains("(Inform,"))
        .collect();
    let evidence: Vec<LiveEvidence> = informs
        .iter()
        .map(|s| LiveEvidence::new(s.at, describe_step(s, timeout)))
        .collect();
    let Some(last) = informs.last() else {
        return skip("blocked", "the Inform was not sent".into());
    };
    let (status, mode, what) = match (&last.outcome, &http.credentials) {
        (HttpOutcome::Answer(a), CredentialState::NeedsCredentials(c)) if a.status == 401 => {
            let why = format!(
                "the ACS demands credentials for the Inform ({}); give --acs-username and \
                 --acs-password; {record}",
                c.describe()
            );
            return skip("needs-credentials", why).with(evidence);
        }
        (HttpOutcome::Answer(a), CredentialState::UnverifiedTls(_)) if a.status == 401 => {
            let why = format!(
                "credentials not sent: the ACS certificate failed verification (see acs.tls); \
                 {record}"
            );
            return skip("unverified-tls", why).with(evidence);
        }
        (HttpOutcome::Answer(a), CredentialState::Sent { .. }) if a.status == 401 => {
            let why = "the ACS rejected the credentials (401 after Authorization)";
            (Fail, "unauthorized", why.to_string())
        }
        (HttpOutcome::Answer(a), _) if a.status == 401 => {
            let why = "the ACS demands credentials but gives no usable challenge";
            (Fail, "unauthorized", why.to_string())
        }
        (HttpOutcome::Answer(a), _) => judge_answer(a),
        (other, _) => judge_failure(other, timeout),
    };
    let mut evidence = evidence;
    if let Some(end) = http
        .steps
        .last()
        .filter(|s| s.request.contains("ending the session"))
    {
        evidence.push(LiveEvidence::new(end.at, describe_step(end, timeout)));
    }
    LiveVerdict::new(
        "session.inform-response",
        status,
        mode,
        format!("{what}; {record}"),
    )
    .with(evidence)
}

/// Judges an HTTP answer to the Inform (other than a 401).
fn judge_answer(a: &HttpAnswer) -> (LiveStatus, &'static str, String) {
    let line = a.status_line();
    match &a.body.soap {
        SoapSummary::Rpc {
            name,
            fault_code,
            fault_string,
            ..
        } if name == "Fault" => {
            let code = fault_code.map(|c| format!(" {c}")).unwrap_or_default();
            let meaning = fault_code.and_then(fault_meaning);
            let meaning = meaning.map(|m| format!(" ({m})")).unwrap_or_default();
            let text = fault_string.as_ref().map(|s| format!(": {s:?}"));
            let text = text.unwrap_or_default();
            let what = format!("the ACS answered the Inform with SOAP Fault{code}{meaning}{text}");
            (Fail, "soap-fault", what)
        }
        _ if a.status >= 400 => {
            let what = format!("the ACS answered the Inform with HTTP {line}");
            (Fail, "http-error", what)
        }
        _ if (300..400).contains(&a.status) => {
            let to = a.location.as_ref().map(|l| format!(" to {l}"));
            let what = format!(
                "the ACS redirects the Inform{} ({line})",
                to.unwrap_or_default()
            );
            (Warn, "redirect", what)
        }
        SoapSummary::Rpc { name, .. } if name == "InformResponse" => {
            let what = format!("the ACS answered the Inform with an InformResponse ({line})");
            (Pass, "pass", what)
        }
        SoapSummary::Rpc { name, .. } => {
            let what = format!("the ACS answered the Inform with {name}, not an InformResponse");
            (Fail, "wrong-rpc", what)
        }
        SoapSummary::Malformed(m) => {
            let what = format!("the ACS's answer to the Inform is not well-formed XML: {m}");
            (Fail, "malformed", what)
        }
        SoapSummary::NotSoap(r) => {
            let what = format!("the ACS answered the Inform with something that is not SOAP: {r}");
            (Fail, "not-soap", what)
        }
        SoapSummary::Empty | SoapSummary::EmptyBody => {
            let what = format!("the ACS answered the Inform with {line} and no InformResponse");
            (Fail, "not-soap", what)
        }
    }
}

/// Judges an Inform that got no HTTP answer.
fn judge_failure(outcome: &HttpOutcome, timeout: Duration) -> (LiveStatus, &'static str, String) {
    let before = "before the ACS answered the Inform";
    match outcome {
        HttpOutcome::TimedOut => {
            let what = format!("the ACS did not answer the Inform within {}", secs(timeout));
            (Fail, "timeout", what)
        }
        HttpOutcome::Reset => (Fail, "reset", format!("the connection was reset {before}")),
        HttpOutcome::NotHttp(e) => {
            let what = format!("the ACS answered the Inform with something that is not HTTP: {e}");
            (Fail, "not-soap", what)
        }
        HttpOutcome::Error(e) => (Fail, "closed", format!("the Inform exchange failed: {e}")),
        HttpOutcome::Closed | HttpOutcome::Answer(_) => (
            Fail,
            "closed",
            format!("the connection was closed {before}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cwmp::{SoapOutcome, parse_envelope};

    fn device() -> EmulatedDevice {
        EmulatedDevice {
            oui: "00D09E".into(),
            product_class: "Router<&>".into(),
            serial: "SN-1".into(),
        }
    }

    #[test]
    fn the_envelope_is_a_bootstrap_inform_the_soap_stage_reads() {
        let xml = envelope(&device(), Timestamp::new(1_700_000_000, 0));
        let SoapOutcome::Envelope(env) = parse_envelope(xml.as_bytes()) else {
            panic!("not an envelope: {xml}")
        };
        assert_eq!(env.cwmp_ns.as_deref(), Some("urn:dslforum-org:cwmp-1-0"));
        assert_eq!(env.header.id.as_deref(), Some("cwmp-doctor-1"));
        let inform = env.inform().expect("an Inform");
        assert_eq!(inform.device_id.oui.as_deref(), Some("00D09E"));
        assert_eq!(inform.device_id.product_class.as_deref(), Some("Router<&>"));
        assert_eq!(inform.device_id.serial_number.as_deref(), Some("SN-1"));
        assert_eq!(
            inform
                .events
                .iter()
                .map(|e| e.code.as_str())
                .collect::<Vec<_>>(),
            vec!["0 BOOTSTRAP"]
        );
        assert!(inform.problems.is_empty(), "{:?}", inform.problems);
        assert!(env.quirks.is_empty(), "{:?}", env.quirks);
    }

    fn answered(status: u16, soap: SoapSummary) -> (LiveStatus, &'static str) {
        let a = HttpAnswer {
            status,
            reason: String::new(),
            allow: None,
            challenge: None,
            content_type: None,
            location: None,
            retry_after: None,
            cookies: vec![],
            body: crate::live::acs_answer::BodySummary {
                bytes: 10,
                truncated: false,
                soap,
            },
        };
        let (status, mode, _) = judge_answer(&a);
        (status, mode)
    }

    fn rpc(name: &str, fault_code: Option<u32>) -> SoapSummary {
        SoapSummary::Rpc {
            name: name.into(),
            cwmp_ns: None,
            fault_code,
            fault_string: None,
        }
    }

    #[test]
    fn answers_to_the_inform() {
        assert_eq!(answered(200, rpc("InformResponse", None)), (Pass, "pass"));
        assert_eq!(
            answered(200, rpc("Fault", Some(8005))),
            (Fail, "soap-fault")
        );
        assert_eq!(
            answered(500, rpc("Fault", Some(8002))),
            (Fail, "soap-fault")
        );
        assert_eq!(answered(503, SoapSummary::Empty), (Fail, "http-error"));
        assert_eq!(answered(302, SoapSummary::Empty), (Warn, "redirect"));
        assert_eq!(
            answered(200, rpc("GetParameterValues", None)),
            (Fail, "wrong-rpc")
        );
        assert_eq!(
            answered(200, SoapSummary::Malformed("line 1".into())),
            (Fail, "malformed")
        );
        assert_eq!(
            answered(200, SoapSummary::NotSoap("HTML".into())),
            (Fail, "not-soap")
        );
        assert_eq!(answered(204, SoapSummary::Empty), (Fail, "not-soap"));
        let t = Duration::from_secs(3);
        assert_eq!(judge_failure(&HttpOutcome::TimedOut, t).1, "timeout");
        assert_eq!(judge_failure(&HttpOutcome::Reset, t).1, "reset");
        assert_eq!(judge_failure(&HttpOutcome::Closed, t).1, "closed");
    }
}
