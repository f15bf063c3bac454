//! ConnectionRequestURLs reported by the CPE in its Informs (TR-069 §3.2.2, TR-181 ManagementServer).
//!
//! Takes: the messages of the capture. Gives: [`CrUrl`]s — each URL with its host, port and path, where
//! it was reported, and whether the host is one the ACS can reach (RFC 1918 private, RFC 6598 carrier-grade
//! NAT 100.64/10, loopback, link-local and unique-local addresses cannot be reached from the Internet).
//!
//! A URL whose host is a name is reached at the address the name resolves to: a DNS answer for it in the
//! capture, else the address the router sends its Informs from (a dynamic-DNS name points there). The
//! URL's `ip` stays `None` (the router did not report an address); `resolved` holds that address.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};

use crate::facts::Facts;

/// A ConnectionRequestURL as the CPE reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrUrl {
    pub url: String,
    /// The Inform that reported it (message index).
    pub message: usize,
    pub host: String,
    pub ip: Option<IpAddr>,
    /// For a host name: the address it resolves to (DNS answer in the capture, else the Inform's source).
    pub resolved: Option<IpAddr>,
    pub port: u16,
    pub path: String,
    pub scheme: String,
}

/// Address classes that the ACS cannot reach from outside the CPE's network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    Public,
    Private,
    CarrierNat,
    Loopback,
    LinkLocal,
    Unspecified,
}

impl Reach {
    pub fn of(ip: IpAddr) -> Reach {
        match ip {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                if v4.is_loopback() {
                    Reach::Loopback
                } else if v4.is_private() {
                    Reach::Private
                } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
                    Reach::CarrierNat
                } else if v4.is_link_local() {
                    Reach::LinkLocal
                } else if v4.is_unspecified() {
                    Reach::Unspecified
                } else {
                    Reach::Public
                }
            }
            IpAddr::V6(v6) => {
                let seg0 = v6.segments()[0];
                if v6.is_loopback() {
                    Reach::Loopback
                } else if v6.is_unspecified() {
                    Reach::Unspecified
                } else if (seg0 & 0xffc0) == 0xfe80 {
                    Reach::LinkLocal
                } else if (seg0 & 0xfe00) == 0xfc00 {
                    Reach::Private
                } else if let Some(v4) = v6.to_ipv4_mapped() {
                    Reach::of(IpAddr::V4(v4))
                } else {
                    Reach::Public
                }
            }
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Reach::Public => "a public address",
            Reach::Private => "a private (RFC 1918 / ULA) address",
            Reach::CarrierNat => "a carrier-grade NAT address (100.64.0.0/10)",
            Reach::Loopback => "a loopback address",
            Reach::LinkLocal => "a link-local address",
            Reach::Unspecified => "the unspecified address",
        }
    }
}

impl CrUrl {
    pub fn parse(url: &str, message: usize) -> Option<CrUrl> {
        let parsed = url::Url::parse(url.trim()).ok()?;
        let host = match parsed.host()? {
            url::Host::Domain(d) => d.to_string(),
            url::Host::Ipv4(a) => a.to_string(),
            url::Host::Ipv6(a) => a.to_string(),
        };
        Some(CrUrl {
            url: url.trim().to_string(),
            message,
            ip: host.parse().ok(),
            resolved: None,
            port: parsed.port_or_known_default()?,
            path: parsed.path().to_string(),
            scheme: parsed.scheme().to_string(),
            host,
        })
    }

    /// The endpoint a connection request to this URL goes to: its address, or where its name resolves.
    pub fn target(&self) -> Option<SocketAddr> {
        Some(SocketAddr::new(self.ip.or(self.resolved)?, self.port))
    }

    pub fn reach(&self) -> Option<Reach> {
        self.ip.map(Reach::of)
    }
}

/// Every distinct ConnectionRequestURL the Informs of the capture report, in order.
pub fn cr_urls(facts: &Facts) -> Vec<CrUrl> {
    let mut out: Vec<CrUrl> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for m in &facts.messages {
        let Some(inform) = m.envelope().and_then(|e| e.inform()) else {
            continue;
        };
        for p in &inform.params {
            if p.name.ends_with("ManagementServer.ConnectionRequestURL")
                && !seen.contains(p.value.trim())
                && let Some(mut u) = CrUrl::parse(&p.value, m.index)
            {
                if u.ip.is_none() {
                    u.resolved = Some(resolve(facts, &u.host).unwrap_or(m.http.src.ip()));
                }
                seen.insert(u.url.clone());
                out.push(u);
            }
        }
    }
    out
}

/// The address the capture's last DNS answer for `host` gives (following the answer section, so a
/// CNAME chain ends at its A/AAAA record).
fn resolve(facts: &Facts, host: &str) -> Option<IpAddr> {
    facts.dns.iter().rev().find_map(|d| {
        let asked = d
            .msg
            .questions
            .iter()
            .any(|(q, _)| q.eq_ignore_ascii_case(host));
        (d.msg.response && asked)
            .then(|| d.msg.answers.iter().find_map(|a| a.addr))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_port_and_path() {
        let u = CrUrl::parse("http://203.0.113.7:7547/cr-8f3a", 3).unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("203.0.113.7", 7547, "/cr-8f3a")
        );
        assert_eq!(u.target(), Some("203.0.113.7:7547".parse().unwrap()));
        assert_eq!(u.reach(), Some(Reach::Public));
        let v6 = CrUrl::parse("http://[2001:db8::7]:30005/", 0).unwrap();
        assert_eq!(v6.ip, Some("2001:db8::7".parse().unwrap()));
        assert_eq!(CrUrl::parse("http://cpe.example/", 0).unwrap().port, 80);
        assert!(CrUrl::parse("not a url", 0).is_none());
    }

    #[test]
    fn a_host_name_is_reached_where_it_resolves() {
        let mut u = CrUrl::parse("http://cpe-sn0001.dyn.isp.example:7547/cr-8f3a", 0).unwrap();
        assert_eq!((u.ip, u.target()), (None, None));
        u.resolved = Some("203.0.113.7".parse().unwrap());
        assert_eq!(u.target(), Some("203.0.113.7:7547".parse().unwrap()));
        assert_eq!(u.reach(), None, "a name is not judged as an address class");
    }

    #[test]
    fn a_host_name_without_dns_resolves_to_the_informs_source() {
        let path = "fixtures/review-cr-hostname-syn-unanswered/capture.pcap";
        let facts = crate::engine::analyze(&crate::capture::Input::File(path.into())).unwrap();
        let urls = cr_urls(&facts);
        assert_eq!(urls.len(), 1);
        assert_eq!(urls[0].target(), Some("203.0.113.7:7547".parse().unwrap()));
    }

    #[test]
    fn classifies_unreachable_hosts() {
        let cases = [
            ("192.168.1.1", Reach::Private),
            ("10.24.34.7", Reach::Private),
            ("100.64.3.4", Reach::CarrierNat),
            ("100.128.0.1", Reach::Public),
            ("127.0.0.1", Reach::Loopback),
            ("169.254.1.1", Reach::LinkLocal),
            ("fe80::1", Reach::LinkLocal),
            ("fd00::1", Reach::Private),
            ("::ffff:192.168.0.1", Reach::Private),
            ("198.51.100.20", Reach::Public),
        ];
        for (ip, reach) in cases {
            assert_eq!(Reach::of(ip.parse().unwrap()), reach, "{ip}");
        }
    }
}
