//! Which device (CPE) each CWMP connection belongs to.
//!
//! Takes: the capture's CWMP exchanges ([`Exchange`]) and their messages. Gives: a [`Device`] for every
//! connection that carried them. TR-069 §3.7.2.1 (Inform's DeviceId: OUI, ProductClass, SerialNumber),
//! §3.4.4 (the CWMP username), §3.7.2.4 (the session cookie).
//!
//! Why: several routers behind one carrier-grade NAT reach the ACS from one address, so an address is
//! not a device. A device is its Inform DeviceId; a connection without a readable Inform is tied to a
//! device by the session cookie the ACS set for it or the username it authenticates with, else by its
//! address when only one device was seen there, else it stays an address of its own.
//!
//! Invariants: a connection with an Inform carrying a DeviceId is that device's (its first such
//! Inform's); a connection is never given a device that was not seen at its own client address.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

use crate::checks::auth::auth_user;
use crate::facts::{Facts, Message};
use crate::sessions::exchange::Exchange;

/// A device: its Inform DeviceId ("OUI-ProductClass-SerialNumber") or, without one, its address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Device {
    Id(String),
    Addr(IpAddr),
}

impl Device {
    /// How reports name the device: "00259E-HG8245-RV0000000002 at 203.0.113.50", or the address.
    pub fn label(&self, addr: IpAddr) -> String {
        match self {
            Device::Id(id) => format!("{id} at {addr}"),
            Device::Addr(a) => a.to_string(),
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Id(id) => f.write_str(id),
            Device::Addr(a) => write!(f, "{a}"),
        }
    }
}

/// The DeviceId of an Inform, when it names one (a serial number at least).
pub fn inform_device(m: &Message) -> Option<Device> {
    let id = &m.envelope()?.inform()?.device_id;
    let serial = id
        .serial_number
        .as_deref()
        .filter(|s| !s.trim().is_empty())?;
    let part = |p: &Option<String>| p.as_deref().unwrap_or("").trim().to_string();
    Some(Device::Id(format!(
        "{}-{}-{}",
        part(&id.oui),
        part(&id.product_class),
        serial.trim()
    )))
}

/// The cookies a `Cookie` header sends, or a `Set-Cookie` sets, as `name=value` pairs.
fn cookie_pairs(value: &str, set: bool) -> Vec<String> {
    let pairs: Vec<&str> = if set {
        value.split(';').take(1).collect()
    } else {
        value.split(';').collect()
    };
    pairs
        .into_iter()
        .map(str::trim)
        .filter(|p| p.contains('='))
        .map(str::to_string)
        .collect()
}

/// What one exchange tells about its connection's device.
#[derive(Clone, Debug, Default)]
pub struct Tie {
    pub conn: u32,
    /// The connection's client address.
    pub addr: Option<IpAddr>,
    /// The DeviceId of the request, when it is an Inform naming one.
    pub device: Option<Device>,
    /// The username of the request's Authorization.
    pub user: Option<String>,
    /// Cookies the request sent (`name=value`).
    pub sent: Vec<String>,
    /// Cookies the response set (`name=value`).
    pub set: Vec<String>,
}

/// The device of every connection that carries `exchanges`.
pub fn conn_devices(facts: &Facts, exchanges: &[Exchange]) -> HashMap<u32, Device> {
    let ties: Vec<Tie> = exchanges.iter().map(|ex| tie(facts, ex)).collect();
    assign(&ties)
}

/// Keeps the one device a key was seen with; a key seen with two devices ties nothing (`None`).
fn note<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Option<Device>>, k: K, d: &Device) {
    let e = map.entry(k).or_insert_with(|| Some(d.clone()));
    if e.as_ref() != Some(d) {
        *e = None;
    }
}

/// Gives each connection of `ties` (in exchange order) its device: the first DeviceId an Inform on it
/// names; else the device whose cookie it sends or whose username it authenticates with (a 401's
/// connection is tied by the username of its authenticated retry); else the one device seen at its
/// address; else its address.
pub fn assign(ties: &[Tie]) -> HashMap<u32, Device> {
    let mut by_conn: HashMap<u32, Device> = HashMap::new();
    for t in ties {
        if let Some(d) = &t.device {
            by_conn.entry(t.conn).or_insert_with(|| d.clone());
        }
    }
    let mut users: HashMap<&str, Option<Device>> = HashMap::new();
    let mut cookies: HashMap<&str, Option<Device>> = HashMap::new();
    let mut at_addr: HashMap<IpAddr, Option<Device>> = HashMap::new();
    for t in ties {
        let Some(d) = by_conn.get(&t.conn) else {
            continue;
        };
        if let Some(u) = &t.user {
            note(&mut users, u.as_str(), d);
        }
        for c in t.sent.iter().chain(&t.set) {
            note(&mut cookies, c.as_str(), d);
        }
        if let Some(a) = t.addr {
            note(&mut at_addr, a, d);
        }
    }
    let mut tied: HashMap<u32, Device> = HashMap::new();
    for t in ties.iter().filter(|t| !by_conn.contains_key(&t.conn)) {
        let found = t
            .sent
            .iter()
            .find_map(|c| cookies.get(c.as_str()).cloned().flatten())
            .or_else(|| {
                t.user
                    .as_deref()
                    .and_then(|u| users.get(u).cloned().flatten())
            });
        if let Some(d) = found {
            tied.entry(t.conn).or_insert(d);
        }
    }
    by_conn.extend(tied);
    for t in ties {
        let Some(addr) = t.addr else {
            continue;
        };
        by_conn.entry(t.conn).or_insert_with(|| {
            at_addr
                .get(&addr)
                .cloned()
                .flatten()
                .unwrap_or(Device::Addr(addr))
        });
    }
    by_conn
}

/// What the exchange's request and response tell about the device.
fn tie(facts: &Facts, ex: &Exchange) -> Tie {
    let req = &facts.messages[ex.request];
    Tie {
        conn: ex.conn,
        addr: facts.conn(ex.conn).map(|c| c.client.ip()),
        device: inform_device(req),
        user: req.http.header("Authorization").and_then(auth_user),
        sent: req
            .http
            .header("Cookie")
            .map(|v| cookie_pairs(v, false))
            .unwrap_or_default(),
        set: ex
            .response
            .and_then(|r| facts.messages[r].http.header("Set-Cookie"))
            .map(|v| cookie_pairs(v, true))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_is_named_by_its_id_and_address() {
        let ip = IpAddr::from([203, 0, 113, 50]);
        assert_eq!(
            Device::Id("00259E-HG8245-RV02".into()).label(ip),
            "00259E-HG8245-RV02 at 203.0.113.50"
        );
        assert_eq!(Device::Addr(ip).label(ip), "203.0.113.50");
    }

    #[test]
    fn cookies_are_read_as_name_value_pairs() {
        assert_eq!(
            cookie_pairs("sid=abc; Path=/; HttpOnly", true),
            vec!["sid=abc".to_string()]
        );
        assert_eq!(
            cookie_pairs("sid=abc; lang=en", false),
            vec!["sid=abc".to_string(), "lang=en".to_string()]
        );
        assert!(cookie_pairs("garbage", false).is_empty());
    }

    const NAT: [u8; 4] = [203, 0, 113, 50];

    fn id(sn: &str) -> Device {
        Device::Id(format!("00259E-HG8245-{sn}"))
    }

    fn on(conn: u32, addr: [u8; 4]) -> Tie {
        Tie {
            conn,
            addr: Some(IpAddr::from(addr)),
            ..Tie::default()
        }
    }

    #[test]
    fn two_devices_behind_one_address_keep_their_connections() {
        let ties = [
            Tie {
                device: Some(id("RV02")),
                ..on(1, NAT)
            },
            Tie {
                device: Some(id("RV01")),
                ..on(2, NAT)
            },
            // The empty POST on a third connection carries nothing: the address has two devices.
            on(3, NAT),
        ];
        let got = assign(&ties);
        assert_eq!(got[&1], id("RV02"));
        assert_eq!(got[&2], id("RV01"));
        assert_eq!(got[&3], Device::Addr(IpAddr::from(NAT)));
    }

    #[test]
    fn a_connection_without_an_inform_is_tied_by_cookie_username_or_a_lone_device() {
        let ties = [
            Tie {
                device: Some(id("RV01")),
                set: vec!["sid=one".into()],
                user: Some("user-one".into()),
                ..on(1, NAT)
            },
            Tie {
                device: Some(id("RV02")),
                set: vec!["sid=two".into()],
                user: Some("user-two".into()),
                ..on(2, NAT)
            },
            Tie {
                sent: vec!["sid=two".into()],
                ..on(3, NAT)
            },
            Tie {
                user: Some("user-one".into()),
                ..on(4, NAT)
            },
            Tie {
                device: Some(id("SOLO")),
                ..on(5, [192, 0, 2, 9])
            },
            on(6, [192, 0, 2, 9]),
        ];
        let got = assign(&ties);
        assert_eq!(got[&3], id("RV02"), "by the session cookie");
        assert_eq!(got[&4], id("RV01"), "by the username of its retry");
        assert_eq!(got[&6], id("SOLO"), "the only device at its address");
    }

    #[test]
    fn a_key_two_devices_share_ties_nothing() {
        let ties = [
            Tie {
                device: Some(id("RV01")),
                user: Some("shared".into()),
                ..on(1, NAT)
            },
            Tie {
                device: Some(id("RV02")),
                user: Some("shared".into()),
                ..on(2, NAT)
            },
            Tie {
                user: Some("shared".into()),
                ..on(3, NAT)
            },
        ];
        assert_eq!(assign(&ties)[&3], Device::Addr(IpAddr::from(NAT)));
    }

    #[test]
    fn the_review_capture_gives_each_router_its_own_session() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/review-cgnat-two-cpes-one-address-one-wrong-password/capture.pcap");
        let facts = crate::engine::analyze(&crate::capture::Input::File(path)).expect("readable");
        let s = crate::sessions::build(&facts);
        let shape: Vec<(String, usize, bool)> = s
            .cwmp
            .iter()
            .map(|x| (x.device.to_string(), x.conns.len(), x.completed()))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("00259E-HG8245-RV0000000002".to_string(), 1, false),
                ("00259E-HG8245-RV0000000001".to_string(), 1, true),
            ]
        );
        assert!(s.cwmp.iter().all(|x| x.cpe == IpAddr::from(NAT)));
        assert_eq!(s.of_cpe(IpAddr::from(NAT)).count(), 2);
        assert_eq!(s.of_device(&s.cwmp[1].device).count(), 1);
    }
}
