//! Redirects of a CWMP session: where a 3xx sends the CPE, and whether a later request went there.
//!
//! Takes: the redirected request and the ACS's 3xx response (its `Location`). Gives: a [`Pending`]
//! redirect that the session runner keeps until a request [`Pending::followed_by`] it, or until the
//! session ends without one ([`Pending::failure`]).
//!
//! Rules (tr069-facts.md §2 "Redirects": 301/302/307 are followed for the rest of the session, on a new
//! connection when the host or port changes; ManagementServer.URL is not changed):
//! - A relative `Location` is resolved against the redirected request's URL (`Host` and target).
//! - A request follows the redirect when it goes to the Location's host (the `Host` header, or the
//!   connection's address for an IP literal), port and path, within [`FOLLOW_WITHIN_SECS`] of the 3xx.
//! - A redirected Inform is followed by an Inform of the same device (DeviceId OUI and serial number),
//!   or first by libcurl's body-less authentication probe at the Location.

use std::net::SocketAddr;

use crate::apps::http::StartLine;
use crate::facts::Message;
use crate::sessions::cwmp_table::Failure;
use crate::time::Timestamp;

/// How long after the 3xx the CPE's request at the Location still belongs to the redirected session:
/// the CPE's own response timeout (TR-069 §3.7.1.4), as no redirect waits longer than a session step.
pub const FOLLOW_WITHIN_SECS: f64 = 30.0;

/// A redirect the CPE has not followed yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub status: u16,
    /// The `Location` as the ACS wrote it.
    pub location: String,
    host: String,
    port: u16,
    path: String,
    at: Timestamp,
    /// The redirected Inform's device (OUI, serial number); `None` when another request was redirected.
    device: Option<Device>,
}

type Device = (Option<String>, Option<String>);

fn device(m: &Message) -> Option<Device> {
    let inform = m.envelope()?.inform()?;
    let id = &inform.device_id;
    Some((id.oui.clone(), id.serial_number.clone()))
}

/// The request's path, from its origin-form or absolute-form target, without the query.
fn path_of(m: &Message) -> &str {
    let StartLine::Request { target, .. } = &m.http.start else {
        return "";
    };
    let path = target.split('?').next().unwrap_or("");
    match path.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => path,
    }
}

/// The `Host` header's host, lower case, without port or IPv6 brackets.
fn host_of(m: &Message) -> Option<String> {
    let host = m.http.header("Host")?.trim();
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    Some(name.to_ascii_lowercase())
}

impl Pending {
    /// The redirect `response` gives `request`, sent to `server`; `None` when its Location is not an
    /// HTTP(S) URL the CPE could follow.
    pub fn new(
        status: u16,
        location: &str,
        request: &Message,
        response: &Message,
        server: SocketAddr,
    ) -> Option<Pending> {
        let host = host_of(request).unwrap_or_else(|| server.ip().to_string());
        let base = url::Url::parse(&format!("http://{host}:{}/", server.port())).ok()?;
        let base = base.join(path_of(request)).ok()?;
        let to = base.join(location.trim()).ok()?;
        if !matches!(to.scheme(), "http" | "https") {
            return None;
        }
        Some(Pending {
            status,
            location: location.trim().to_string(),
            host: to.host_str()?.trim_matches(['[', ']']).to_ascii_lowercase(),
            port: to.port_or_known_default()?,
            path: to.path().to_string(),
            at: response.at().ts,
            device: device(request),
        })
    }

    /// True when `request`, sent to `server`, repeats the redirected request at the Location.
    pub fn followed_by(&self, request: &Message, server: SocketAddr) -> bool {
        let waited = request.http.first.ts.seconds_since(self.at);
        let host_ok = match self.host.parse::<std::net::IpAddr>() {
            Ok(ip) => ip == server.ip(),
            Err(_) => host_of(request).is_none_or(|h| h == self.host),
        };
        let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
        let what_ok = match &self.device {
            None => true,
            Some(d) => device(request).is_some_and(|r| &r == d) || is_auth_probe(request),
        };
        (0.0..=FOLLOW_WITHIN_SECS).contains(&waited)
            && host_ok
            && server.port() == self.port
            && same(path_of(request), &self.path)
            && what_ok
    }

    /// The failure of a session whose redirect was never followed.
    pub fn failure(self) -> Failure {
        Failure::RedirectNotFollowed {
            status: self.status,
            location: Some(self.location),
        }
    }
}

/// A body-less POST without credentials: what libcurl sends first when told to use Digest.
pub fn is_auth_probe(m: &Message) -> bool {
    m.http.method() == Some("POST")
        && m.http.header("Authorization").is_none()
        && matches!(m.soap, crate::cwmp::SoapOutcome::Empty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::http::{Ending, Framing, HttpMessage, field_name};
    use crate::flows::At;

    const ACS: &str = "198.51.100.60:7547";
    const MOVED: &str = "198.51.100.60:8080";

    fn inform(serial: &str) -> String {
        format!(
            r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap:Body><cwmp:Inform><DeviceId><Manufacturer>Huawei</Manufacturer><OUI>00259E</OUI><ProductClass>HG</ProductClass><SerialNumber>{serial}</SerialNumber></DeviceId><Event/><MaxEnvelopes>1</MaxEnvelopes><CurrentTime>2026-11-21T06:34:13Z</CurrentTime><RetryCount>0</RetryCount><ParameterList/></cwmp:Inform></soap:Body></soap:Envelope>"#
        )
    }

    fn message(start: StartLine, host: &str, body: &str, secs: i64) -> Message {
        let at = At {
            frame: 1,
            ts: Timestamp { secs, nanos: 0 },
        };
        Message {
            index: 0,
            http: HttpMessage {
                conn: 0,
                from_client: true,
                src: "203.0.113.50:40000".parse().unwrap(),
                dst: ACS.parse().unwrap(),
                first: at,
                last: at,
                start,
                headers: vec![(field_name("Host"), host.to_string())],
                body: Vec::new(),
                body_len: body.len() as u64,
                body_cut: None,
                framing: Framing::None,
                ending: Ending::Complete,
            },
            soap: crate::cwmp::parse_envelope(body.as_bytes()),
            excerpt: None,
        }
    }

    fn post(target: &str, host: &str, body: &str, secs: i64) -> Message {
        let start = StartLine::Request {
            method: "POST".into(),
            target: target.into(),
            version: 1,
        };
        message(start, host, body, secs)
    }

    fn redirect(secs: i64) -> Message {
        let start = StartLine::Response {
            status: 307,
            reason: "Temporary Redirect".into(),
            version: 1,
        };
        message(start, "", "", secs)
    }

    fn pending(location: &str) -> Pending {
        let req = post("/acs", "acs.example.net:7547", &inform("S1"), 100);
        Pending::new(307, location, &req, &redirect(100), ACS.parse().unwrap())
            .expect("an http location")
    }

    #[test]
    fn the_same_device_informing_at_the_location_follows_the_redirect() {
        let p = pending("http://acs.example.net:8080/cwmp");
        let moved = MOVED.parse().unwrap();
        let follow = post("/cwmp", "acs.example.net:8080", &inform("S1"), 101);
        assert!(p.followed_by(&follow, moved));
        let probe = post("/cwmp", "acs.example.net:8080", "", 101);
        assert!(
            p.followed_by(&probe, moved),
            "libcurl probes the new location"
        );
        let other_device = post("/cwmp", "acs.example.net:8080", &inform("S2"), 101);
        assert!(!p.followed_by(&other_device, moved));
        let old_place = post("/acs", "acs.example.net:7547", &inform("S1"), 101);
        assert!(!p.followed_by(&old_place, ACS.parse().unwrap()));
        let other_path = post("/acs", "acs.example.net:8080", &inform("S1"), 101);
        assert!(!p.followed_by(&other_path, moved));
        let too_late = post("/cwmp", "acs.example.net:8080", &inform("S1"), 140);
        assert!(!p.followed_by(&too_late, moved));
    }

    #[test]
    fn a_relative_location_keeps_host_and_port() {
        let p = pending("/cwmp2");
        let follow = post("/cwmp2", "acs.example.net:7547", &inform("S1"), 100);
        assert!(p.followed_by(&follow, ACS.parse().unwrap()));
        let absolute_form = post(
            "http://acs.example.net:7547/cwmp2",
            "acs.example.net:7547",
            &inform("S1"),
            100,
        );
        assert!(p.followed_by(&absolute_form, ACS.parse().unwrap()));
    }

    #[test]
    fn an_ip_location_is_matched_against_the_connection() {
        let p = pending("http://198.51.100.60:8080/cwmp");
        let follow = post("/cwmp", "198.51.100.60:8080", &inform("S1"), 100);
        assert!(p.followed_by(&follow, MOVED.parse().unwrap()));
        assert!(!p.followed_by(&follow, "198.51.100.61:8080".parse().unwrap()));
    }

    #[test]
    fn a_location_that_cannot_be_followed_gives_nothing() {
        let req = post("/acs", "acs.example.net:7547", &inform("S1"), 100);
        let r = redirect(100);
        assert!(Pending::new(302, "ftp://x/y", &req, &r, ACS.parse().unwrap()).is_none());
        assert!(Pending::new(302, "http://[::1", &req, &r, ACS.parse().unwrap()).is_none());
        let p = pending("http://acs.example.net:8080/cwmp");
        assert_eq!(
            p.failure(),
            Failure::RedirectNotFollowed {
                status: 307,
                location: Some("http://acs.example.net:8080/cwmp".into())
            }
        );
    }
}
