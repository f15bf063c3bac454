//! The features of one HTTP message that `compare.baseline` compares (FAQ I.5 and II.V), and how much a
//! difference in each weighs.
//!
//! Takes: a [`Message`]. Gives: its features in comparison order — how the message ended, method or
//! status, RPC, Authorization / WWW-Authenticate scheme, Cookie presence and the Set-Cookie attributes a
//! Cookie echoes (RFC 6265 §4.2), Set-Cookie presence, SOAPAction presence, Content-Type family,
//! EventCodes, CWMP namespace, FaultCode — and [`differ`], every feature in which two messages differ.
//!
//! Invariants: values that legitimately differ between two working routers (cookie values, nonces,
//! times, ports, User-Agent, CommandKeys) are never features; a Fault or a non-SOAP body weighs
//! [`Level::Fail`] on whichever side it is.

use crate::facts::Message;

/// How much a departure weighs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Note,
    Fail,
}

/// One named feature of a message, and how much a difference in it weighs.
pub struct Feature {
    name: &'static str,
    value: String,
    level: Level,
}

pub fn feat(name: &'static str, value: impl Into<String>, level: Level) -> Feature {
    Feature {
        name,
        value: value.into(),
        level,
    }
}

/// Cookie attributes a client must not send back (RFC 6265 §4.2: a Cookie header holds name=value pairs
/// only); an ACS that matches the header strictly loses the session.
const COOKIE_ATTRIBUTES: &[&str] = &[
    "path", "domain", "expires", "max-age", "secure", "httponly", "samesite", "version",
];

/// The Set-Cookie attributes a Cookie header echoes, lower case, sorted (`none` when it echoes none).
fn echoed_attributes(cookie: &str) -> String {
    let mut found: Vec<String> = cookie
        .split(';')
        .filter_map(|p| {
            let name = p.split('=').next()?.trim().to_ascii_lowercase();
            COOKIE_ATTRIBUTES.contains(&name.as_str()).then_some(name)
        })
        .collect();
    found.sort();
    found.dedup();
    if found.is_empty() {
        "none".into()
    } else {
        found.join(", ")
    }
}

/// Features that describe a message's body: compared only between messages carrying the same RPC.
pub const BODY_FEATURES: &[&str] = &["SOAPAction", "Content-Type", "EventCodes", "CWMP namespace"];

fn presence(m: &Message, header: &str) -> &'static str {
    if m.http.header(header).is_some() {
        "present"
    } else {
        "absent"
    }
}

/// The features of a message, in the order they are compared.
pub fn features(m: &Message, choice: Level) -> Vec<Feature> {
    use Level::{Fail, Note};
    let scheme = |h: &str| {
        m.http
            .header(h)
            .and_then(|v| v.split_whitespace().next())
            .unwrap_or("none")
            .to_ascii_lowercase()
    };
    let ending = match m.http.ending.describe().as_str() {
        "complete" => "complete",
        _ => "cut short",
    };
    let mut out = vec![feat("message", ending, Fail)];
    match (m.http.method(), m.http.status()) {
        (Some(method), _) => out.push(feat("HTTP method", method, Fail)),
        (None, Some(status)) => {
            out.push(feat(
                "HTTP status class",
                format!("{}xx", status / 100),
                Fail,
            ));
            out.push(feat("HTTP status", status.to_string(), Note));
        }
        (None, None) => out.push(feat("HTTP", m.http.summary(), Fail)),
    }
    let rpc = m.rpc().map(String::from).unwrap_or_else(|| {
        if m.is_empty_body() {
            "empty".into()
        } else {
            "not SOAP".into()
        }
    });
    let rpc_level = if rpc == "Fault" || rpc == "not SOAP" {
        Fail
    } else {
        choice
    };
    out.push(feat("RPC", rpc, rpc_level));
    if m.http.is_request() {
        out.push(feat("Authorization", scheme("Authorization"), Fail));
        out.push(feat("Cookie", presence(m, "Cookie"), Fail));
        let echoed = m
            .http
            .header("Cookie")
            .map_or("none".into(), echoed_attributes);
        out.push(feat("Cookie attributes echoed", echoed, Fail));
        if !m.is_empty_body() {
            out.push(feat("SOAPAction", presence(m, "SOAPAction"), Fail));
        }
    } else {
        out.push(feat("WWW-Authenticate", scheme("WWW-Authenticate"), Fail));
        out.push(feat("Set-Cookie", presence(m, "Set-Cookie"), Note));
    }
    if !m.is_empty_body() {
        let family = m
            .http
            .header("Content-Type")
            .and_then(|v| v.split(';').next())
            .map_or("none".into(), |v| v.trim().to_ascii_lowercase());
        out.push(feat("Content-Type", family, Fail));
    }
    if let Some(inform) = m.envelope().and_then(|e| e.inform()) {
        let mut codes: Vec<String> = inform
            .events
            .iter()
            .map(|e| e.code.trim().to_string())
            .collect();
        codes.sort();
        out.push(feat("EventCodes", codes.join(", "), Note));
    }
    if let Some(ns) = m.envelope().and_then(|e| e.cwmp_ns.as_deref()) {
        out.push(feat("CWMP namespace", ns, Fail));
    }
    if let Some(f) = m.envelope().and_then(|e| e.fault()) {
        out.push(feat(
            "FaultCode",
            f.code.map_or("none".into(), |c| c.to_string()),
            Fail,
        ));
    }
    out
}

/// Every feature in which `ours` differs from `good`, in comparison order, each weighed by the heavier
/// of the two sides' weights (a Fault weighs on whichever side it is). A feature only one side has
/// compares against `none`.
pub fn differ(ours: &[Feature], good: &[Feature]) -> Vec<(Level, &'static str, String)> {
    let find = |list: &[Feature], name: &str| {
        list.iter()
            .find(|f| f.name == name)
            .map(|f| (f.value.clone(), f.level))
    };
    let mut out: Vec<(Level, &'static str, String)> = Vec::new();
    for f in good.iter().chain(ours) {
        if out.iter().any(|(_, n, _)| *n == f.name) {
            continue;
        }
        let (o, ol) = find(ours, f.name).unwrap_or(("none".into(), Level::Note));
        let (g, gl) = find(good, f.name).unwrap_or(("none".into(), Level::Note));
        if o != g {
            out.push((
                ol.max(gl),
                f.name,
                format!("{} is {o}, the working capture has {g}", f.name),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_cookie_attributes_are_found_and_names_are_not() {
        assert_eq!(echoed_attributes("JSESSIONID=abc"), "none");
        assert_eq!(echoed_attributes("JSESSIONID=abc; Path=/"), "path");
        assert_eq!(
            echoed_attributes("a=1; path=/; Domain=x; Secure"),
            "domain, path, secure"
        );
        assert_eq!(echoed_attributes("pathname=1; b=2"), "none");
    }

    #[test]
    fn the_first_differing_feature_is_reported_with_its_weight() {
        let good = vec![
            feat("HTTP method", "POST", Level::Fail),
            feat("EventCodes", "1 BOOT", Level::Note),
        ];
        let note = vec![
            feat("HTTP method", "POST", Level::Fail),
            feat("EventCodes", "2 PERIODIC", Level::Note),
        ];
        let found = differ(&note, &good);
        assert_eq!(found.len(), 1);
        let (level, _, what) = &found[0];
        assert_eq!(*level, Level::Note);
        assert_eq!(
            what,
            "EventCodes is 2 PERIODIC, the working capture has 1 BOOT"
        );
        let missing = vec![feat("HTTP method", "POST", Level::Fail)];
        let found = differ(&missing, &good);
        assert_eq!(
            found[0].2,
            "EventCodes is none, the working capture has 1 BOOT"
        );
        let fault = vec![
            feat("HTTP method", "POST", Level::Fail),
            feat("EventCodes", "1 BOOT", Level::Note),
            feat("RPC", "Fault", Level::Fail),
        ];
        let ok = vec![
            feat("HTTP method", "POST", Level::Fail),
            feat("EventCodes", "1 BOOT", Level::Note),
            feat("RPC", "SetParameterValuesResponse", Level::Note),
        ];
        let found = differ(&fault, &ok);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].0, found[0].1),
            (Level::Fail, "RPC"),
            "a Fault weighs on either side"
        );
        assert!(differ(&good, &good).is_empty());
    }
}
