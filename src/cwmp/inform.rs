//! Inform element → [`Inform`], with every schema violation written as a problem sentence.
//!
//! Takes the `cwmp:Inform` element; gives DeviceId, events, MaxEnvelopes, CurrentTime,
//! RetryCount, ParameterList and `problems`. The rules are those of `cwmp-1-2.xsd`
//! (`DeviceIdStruct`, `EventStruct`, `EventCodeType` patterns, the 64-event limit) as listed in
//! tr069-facts.md §3 and §7; the diagnosis reports the problems under `session.inform`.
//!
//! Invariants: problems are plain sentences naming the field (e.g. "DeviceId.OUI missing");
//! values quoted in them are clipped to [`QUOTE`] characters.

use super::model::{DeviceId, Event, Inform};
use super::quirk::QUOTE;
use super::read::{Cx, Id};

/// Most EventStructs one Inform may carry.
const MAX_EVENTS: usize = 64;

pub(crate) fn read(cx: &mut Cx, id: Id) -> Inform {
    let mut problems = Vec::new();
    let device_id = match cx.child(id, "DeviceId") {
        Some(d) => device_id(cx, d, &mut problems),
        None => {
            problems.push("DeviceId missing".to_string());
            DeviceId::default()
        }
    };
    let events = events(cx, id, &mut problems);
    let max_envelopes = unsigned(cx, id, "MaxEnvelopes", &mut problems);
    let current_time = cx.child_text(id, "CurrentTime");
    match &current_time {
        None => problems.push("CurrentTime missing".into()),
        Some(t) if !looks_like_date_time(t) => {
            problems.push(format!("CurrentTime '{}' is not an xs:dateTime", clip(t)));
        }
        Some(_) => {}
    }
    let retry_count = unsigned(cx, id, "RetryCount", &mut problems);
    let params = match cx.child(id, "ParameterList") {
        Some(list) => cx.param_values(list),
        None => {
            problems.push("ParameterList missing".into());
            Vec::new()
        }
    };
    Inform {
        device_id,
        events,
        max_envelopes,
        current_time,
        retry_count,
        params,
        problems,
    }
}

fn device_id(cx: &mut Cx, id: Id, problems: &mut Vec<String>) -> DeviceId {
    let mut field = |name: &str, may_be_empty: bool| {
        let value = cx.child_text(id, name);
        match &value {
            None => problems.push(format!("DeviceId.{name} missing")),
            Some(v) if v.is_empty() && !may_be_empty => {
                problems.push(format!("DeviceId.{name} empty"))
            }
            Some(v) if v.chars().count() > 64 => {
                problems.push(format!("DeviceId.{name} longer than 64 characters"));
            }
            Some(_) => {}
        }
        value
    };
    let manufacturer = field("Manufacturer", false);
    let oui = field("OUI", false);
    let product_class = field("ProductClass", true);
    let serial_number = field("SerialNumber", false);
    if let Some(o) = oui.as_deref().filter(|o| !o.is_empty()) {
        let ok = o.len() == 6
            && o.bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b));
        if !ok {
            problems.push(format!("OUI '{}' is not 6 upper-case hex digits", clip(o)));
        }
    }
    DeviceId {
        manufacturer,
        oui,
        product_class,
        serial_number,
    }
}

fn events(cx: &mut Cx, id: Id, problems: &mut Vec<String>) -> Vec<Event> {
    let Some(list) = cx.child(id, "Event") else {
        problems.push("Event missing".into());
        return Vec::new();
    };
    let items = cx.items(list, "EventStruct");
    if items.is_empty() {
        problems.push("no EventStruct".into());
    }
    if items.len() > MAX_EVENTS {
        problems.push(format!(
            "{} EventStructs; the schema allows {MAX_EVENTS}",
            items.len()
        ));
    }
    let mut events = Vec::with_capacity(items.len());
    for (n, item) in items.into_iter().enumerate() {
        let code = cx.child_text(item, "EventCode").unwrap_or_default();
        if code.is_empty() {
            problems.push(format!("EventStruct {} has no EventCode", n + 1));
        } else if !event_code_ok(&code) || code.chars().count() > 64 {
            problems.push(format!(
                "EventCode '{}' does not match the schema",
                clip(&code)
            ));
        }
        let command_key = cx.child_text(item, "CommandKey");
        if command_key.as_ref().is_some_and(|k| k.chars().count() > 32) {
            problems.push(format!(
                "CommandKey of '{}' longer than 32 characters",
                clip(&code)
            ));
        }
        events.push(Event { code, command_key });
    }
    events
}

fn unsigned(cx: &mut Cx, id: Id, name: &str, problems: &mut Vec<String>) -> Option<u32> {
    let Some(text) = cx.child_text(id, name) else {
        problems.push(format!("{name} missing"));
        return None;
    };
    let value = text.parse().ok();
    if value.is_none() {
        problems.push(format!("{name} '{}' is not an unsignedInt", clip(&text)));
    }
    value
}

/// `EventCodeType` patterns: `\d+( \S+)+`, `M \S+`, `X \S+ .+` (`M X_\S+` and `X <OUI> .+` are
/// special cases of the last two).
fn event_code_ok(code: &str) -> bool {
    let word = |w: &str| !w.is_empty() && !w.contains(char::is_whitespace);
    if let Some(method) = code.strip_prefix("M ") {
        return word(method);
    }
    if let Some(vendor) = code.strip_prefix("X ") {
        return vendor
            .split_once(' ')
            .is_some_and(|(oui, rest)| word(oui) && !rest.is_empty());
    }
    let digits = code.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &code[digits..];
    digits > 0 && rest.starts_with(' ') && rest[1..].split(' ').all(word)
}

/// `YYYY-MM-DDThh:mm:ss` at the start (fractions and zone are not checked).
fn looks_like_date_time(t: &str) -> bool {
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    b.len() >= 19
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
}

fn clip(s: &str) -> String {
    s.chars().take(QUOTE).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cwmp::tests::rpc;
    use crate::cwmp::{ParamValue, RpcDetail};

    const GOOD: &str = r#"<cwmp:Inform><DeviceId><Manufacturer>ACME</Manufacturer><OUI>00147F</OUI><ProductClass></ProductClass><SerialNumber>SN1</SerialNumber></DeviceId><Event soapenc:arrayType="cwmp:EventStruct[2]"><EventStruct><EventCode>1 BOOT</EventCode><CommandKey/></EventStruct><EventStruct><EventCode>M Reboot</EventCode><CommandKey>rb-7</CommandKey></EventStruct></Event><MaxEnvelopes>1</MaxEnvelopes><CurrentTime>0001-01-03T03:04:05</CurrentTime><RetryCount>2</RetryCount><ParameterList soapenc:arrayType="cwmp:ParameterValueStruct[1]"><ParameterValueStruct><Name>Device.ManagementServer.ConnectionRequestURL</Name><Value xsi:type="xsd:string">http://192.0.2.1:7547/cr</Value></ParameterValueStruct></ParameterList></cwmp:Inform>"#;

    fn inform(xml: &str) -> Inform {
        match rpc(xml) {
            RpcDetail::Inform(i) => *i,
            other => panic!("not an Inform: {other:?}"),
        }
    }

    #[test]
    fn a_complete_inform() {
        let i = inform(GOOD);
        assert_eq!(i.problems, Vec::<String>::new());
        assert_eq!(i.device_id.oui.as_deref(), Some("00147F"));
        assert_eq!(i.device_id.product_class.as_deref(), Some(""));
        assert_eq!(
            i.events,
            vec![
                Event {
                    code: "1 BOOT".into(),
                    command_key: Some(String::new())
                },
                Event {
                    code: "M Reboot".into(),
                    command_key: Some("rb-7".into())
                },
            ]
        );
        assert_eq!((i.max_envelopes, i.retry_count), (Some(1), Some(2)));
        assert_eq!(i.current_time.as_deref(), Some("0001-01-03T03:04:05"));
        assert_eq!(
            i.params,
            vec![ParamValue {
                name: "Device.ManagementServer.ConnectionRequestURL".into(),
                value: "http://192.0.2.1:7547/cr".into(),
                xsi_type: Some("xsd:string".into()),
            }]
        );
    }

    #[test]
    fn problems_name_the_field() {
        let i = inform(
            "<cwmp:Inform><DeviceId><Manufacturer>ACME</Manufacturer><OUI>abc</OUI><SerialNumber></SerialNumber></DeviceId><Event/><MaxEnvelopes>x</MaxEnvelopes><CurrentTime>yesterday</CurrentTime></cwmp:Inform>",
        );
        assert_eq!(
            i.problems,
            vec![
                "DeviceId.ProductClass missing",
                "DeviceId.SerialNumber empty",
                "OUI 'abc' is not 6 upper-case hex digits",
                "no EventStruct",
                "MaxEnvelopes 'x' is not an unsignedInt",
                "CurrentTime 'yesterday' is not an xs:dateTime",
                "RetryCount missing",
                "ParameterList missing",
            ]
        );
        let i = inform("<cwmp:Inform/>");
        assert_eq!(
            i.problems[..2],
            ["DeviceId missing".to_string(), "Event missing".to_string()]
        );
    }

    #[test]
    fn event_code_patterns() {
        for ok in [
            "0 BOOTSTRAP",
            "6 CONNECTION REQUEST",
            "M Reboot",
            "M X_ACME_Frob",
            "X 00147F Thing happened",
            "14 HEARTBEAT",
        ] {
            assert!(event_code_ok(ok), "{ok}");
        }
        for bad in [
            "BOOT",
            "1",
            "1  BOOT",
            "M ",
            "M two words",
            "X 00147F",
            "-1 BOOT",
        ] {
            assert!(!event_code_ok(bad), "{bad}");
        }
    }

    #[test]
    fn more_than_64_events_is_a_problem() {
        let events = "<EventStruct><EventCode>4 VALUE CHANGE</EventCode></EventStruct>".repeat(65);
        let i = inform(&format!(
            "<cwmp:Inform><Event>{events}</Event></cwmp:Inform>"
        ));
        assert_eq!(i.events.len(), 65);
        assert!(
            i.problems
                .contains(&"65 EventStructs; the schema allows 64".to_string())
        );
    }
}
