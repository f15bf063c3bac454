//! What every check reads: the facts, the sessions, the reference values, and the roles derived from them.
//!
//! Takes: [`Facts`], [`Sessions`] and the [`Config`]. Gives: [`Ctx`] with [`Roles`] — which addresses are
//! the CPE and the ACS, the ACS host names, and in words what was assumed to decide that (DESIGN.md
//! issue "roles": the CPE is the side that POSTs Informs; without an Inform, the configured ACS URL, DNS
//! names and connection attempts decide, and the report says so).

use std::net::{IpAddr, SocketAddr};

use super::set::OrderedSet;

use crate::config::{Config, UrlParts};
use crate::facts::{Facts, Message};
use crate::flows::{AppKind, ConnFacts};
use crate::sessions::Sessions;

/// The IANA port for CWMP (TR-069 §3.2.2; tr069-facts.md §10), used only as a last resort to guess the ACS.
pub const CWMP_PORT: u16 = 7547;

/// Who is who in the capture.
#[derive(Clone, Debug, Default)]
pub struct Roles {
    pub cpes: OrderedSet<IpAddr>,
    /// ACS endpoints: servers of CWMP sessions, or the configured URL's address and port.
    pub acs: OrderedSet<SocketAddr>,
    /// ACS host names (configured URL, Host headers, TLS SNI), lower case.
    pub acs_hosts: OrderedSet<String>,
    /// The configured ACS URL (`--acs-url`), or one the router received by DHCP option 43.
    pub acs_url: Option<UrlParts>,
    /// What was assumed, in words, for the report.
    pub assumptions: Vec<String>,
}

impl Roles {
    pub fn is_acs(&self, addr: SocketAddr) -> bool {
        self.acs.contains(&addr)
    }
    pub fn is_acs_ip(&self, ip: IpAddr) -> bool {
        self.acs.iter().any(|a| a.ip() == ip)
    }
}

/// A capture of a working registration to compare with (`--baseline`, FAQ I.5 and II.V).
pub struct Baseline<'a> {
    pub source: &'a str,
    pub facts: &'a Facts,
    pub sessions: &'a Sessions,
    /// The baseline's own first failing check and its summary: a baseline that fails is no reference.
    pub failure: Option<(&'static str, String)>,
}

/// Everything a check may read.
pub struct Ctx<'a> {
    pub facts: &'a Facts,
    pub sessions: &'a Sessions,
    pub config: &'a Config,
    pub roles: Roles,
    /// The capture's name for evidence.
    pub source: &'a str,
    pub baseline: Option<Baseline<'a>>,
}

/// The first few of `items`, comma-separated, and how many more there are: an ACS-side capture can
/// hold thousands of devices, which no assumption line should list.
fn first_few<T: std::fmt::Display>(items: &[T]) -> String {
    const SHOWN: usize = 5;
    let mut out = items
        .iter()
        .take(SHOWN)
        .map(T::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        out.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    out
}

/// The host part of a Host header (`acs.example:7547` → `acs.example`, `[::1]:80` → `::1`).
fn host_of(header: &str) -> String {
    let h = header.trim();
    if let Some(rest) = h.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("").to_string();
    }
    h.rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(h, |(host, _)| host)
        .to_ascii_lowercase()
}

impl<'a> Ctx<'a> {
    pub fn new(
        facts: &'a Facts,
        sessions: &'a Sessions,
        config: &'a Config,
        source: &'a str,
    ) -> Ctx<'a> {
        let roles = derive_roles(facts, sessions, config);
        Ctx {
            facts,
            sessions,
            config,
            roles,
            source,
            baseline: None,
        }
    }

    /// A header value as it may be shown: credentials redacted unless `--show-secrets`.
    pub fn redact_header(&self, name: &str, value: &str) -> String {
        let secret = name.eq_ignore_ascii_case("authorization")
            || name.eq_ignore_ascii_case("proxy-authorization");
        if !secret || self.config.show_secrets {
            return value.to_string();
        }
        let scheme = value.split_whitespace().next().unwrap_or("");
        if scheme.eq_ignore_ascii_case("digest") {
            // Digest parameters other than `response` are not secret and are what R&D compares.
            let params = crate::checks::auth::digest_params(value);
            let shown: Vec<String> = params
                .iter()
                .map(|(k, v)| {
                    if k.eq_ignore_ascii_case("response") {
                        format!("{k}=«redacted»")
                    } else {
                        format!("{k}=\"{v}\"")
                    }
                })
                .collect();
            format!("Digest {}", shown.join(", "))
        } else {
            format!("{scheme} «redacted»")
        }
    }

    /// TCP connections from a CPE to an ACS endpoint, in order.
    pub fn acs_conns(&self) -> impl Iterator<Item = &'a ConnFacts> + '_ {
        self.facts
            .conns
            .iter()
            .filter(|c| self.roles.is_acs(c.server))
    }

    pub fn msg(&self, index: usize) -> &'a Message {
        &self.facts.messages[index]
    }

    /// Why a check that reads CWMP messages finds none: the exchange may run over TLS, whose contents a
    /// capture does not show.
    /// `plain` says what is missing; `hidden` what TLS hides, when it does.
    pub fn no_cwmp(&self, plain: &str, hidden: &str) -> String {
        let tls_with_data = self.facts.tls.iter().any(|t| {
            t.facts.application_data.iter().any(Option::is_some)
                && self
                    .facts
                    .conn(t.conn)
                    .is_some_and(|c| self.roles.is_acs(c.server))
        });
        if self.sessions.cwmp.is_empty() && tls_with_data {
            format!(
                "TLS: the CWMP exchange is encrypted, {hidden} cannot be seen in a capture (use --live)"
            )
        } else {
            plain.to_string()
        }
    }
}

fn derive_roles(facts: &Facts, sessions: &Sessions, config: &Config) -> Roles {
    let mut r = Roles::default();
    for s in &sessions.cwmp {
        r.cpes.insert(s.cpe);
        r.acs.insert(s.acs);
        if let Some(host) = s.inform(facts).and_then(|m| m.http.header("Host")) {
            let host = host_of(host);
            if host.parse::<IpAddr>().is_err() && !host.is_empty() {
                r.acs_hosts.insert(host);
            }
        }
    }
    if !sessions.cwmp.is_empty() {
        let (cpe, sends) = if r.cpes.len() == 1 {
            ("CPE", "it sends")
        } else {
            ("CPEs", "they send")
        };
        let (acs, answers) = if r.acs.len() == 1 {
            ("ACS", "it answers")
        } else {
            ("ACS endpoints", "they answer")
        };
        r.assumptions.push(format!(
            "{cpe} {} ({sends} the Informs); {acs} {} ({answers} them)",
            first_few(&r.cpes),
            first_few(&r.acs)
        ));
    }
    r.acs_url = config
        .acs_url
        .as_deref()
        .and_then(UrlParts::parse)
        .or_else(|| {
            let from_dhcp = facts.dhcp.iter().find_map(|d| d.msg.acs_url.as_deref())?;
            r.assumptions.push(format!(
                "ACS URL {from_dhcp} (from DHCP option 43 in the capture)"
            ));
            UrlParts::parse(from_dhcp)
        });
    if let Some(url) = r.acs_url.clone() {
        let ips: Vec<IpAddr> = match url.ip {
            Some(ip) => vec![ip],
            None => {
                r.acs_hosts.insert(url.host.clone());
                dns_addresses(facts, &url.host)
            }
        };
        for ip in ips {
            r.acs.insert(SocketAddr::new(ip, url.port));
        }
    }
    if r.acs_hosts.is_empty() && r.acs.is_empty() {
        guess_acs_host(facts, &mut r);
    }
    if r.acs.is_empty() {
        // A guessed ACS name leads to the addresses its lookups gave and the TLS it was used in.
        let hosts = r.acs_hosts.clone();
        for host in hosts.iter() {
            let ips = dns_addresses(facts, host);
            for c in facts
                .conns
                .iter()
                .filter(|c| ips.contains(&c.server.ip()) && c.syn_count > 0)
            {
                r.acs.insert(c.server);
            }
            for t in &facts.tls {
                let sni = t.facts.client_hello.as_ref().and_then(|h| h.sni.as_deref());
                if sni.is_some_and(|s| s.eq_ignore_ascii_case(host))
                    && let Some(c) = facts.conn(t.conn)
                {
                    r.acs.insert(c.server);
                }
            }
        }
    }
    if r.acs.is_empty() {
        // A capture with TLS to one server only, and nothing else naming the ACS: that server.
        let mut servers: OrderedSet<SocketAddr> = OrderedSet::default();
        for t in &facts.tls {
            if let Some(c) = facts.conn(t.conn) {
                servers.insert(c.server);
            }
        }
        if let [only] = &servers[..] {
            r.acs.insert(*only);
            r.assumptions.push(format!(
                "ACS assumed to be {only}: no Inform and no --acs-url, and it is the only TLS server in the capture"
            ));
        }
    }
    if r.acs.is_empty() && facts.limits.snap_cut.is_some() {
        // The snapshot length cut the HTTP messages: the servers of the HTTP connections whose payload
        // was cut are the best evidence left of where the router registers.
        let cut: Vec<SocketAddr> = facts
            .conns
            .iter()
            .filter(|c| c.app == AppKind::Http && c.snap_cut > 0 && c.syn_count > 0)
            .map(|c| c.server)
            .collect();
        for c in &cut {
            r.acs.insert(*c);
        }
        if let Some(first) = cut.first() {
            r.assumptions.push(format!(
                "ACS assumed to be {first}: the capture's snap length cut the HTTP messages, and it is the \
                 server of the HTTP connections they travel in"
            ));
        }
    }
    if r.acs.is_empty() {
        // No Inform and no URL: the only evidence left is a connection attempt to the CWMP port.

        let guessed: Vec<SocketAddr> = facts
            .conns
            .iter()
            .filter(|c| c.server.port() == CWMP_PORT && c.syn_count > 0)
            .map(|c| c.server)
            .collect();
        for g in &guessed {
            r.acs.insert(*g);
        }
        if let Some(first) = guessed.first() {
            r.assumptions.push(format!(
                "ACS assumed to be {first}: no Inform and no --acs-url, and it is where the capture's connection attempts to the CWMP port {CWMP_PORT} go"
            ));
        }
    }
    if r.cpes.is_empty() {
        for c in facts.conns.iter().filter(|c| r.acs.contains(&c.server)) {
            r.cpes.insert(c.client.ip());
        }
        if !r.cpes.is_empty() {
            r.assumptions.push(
                "CPE taken to be the host that connects to the ACS (no Inform in the capture)"
                    .into(),
            );
        }
    }
    r
}

/// Words that ACS host names carry in the field (acs.isp.example, tr069.isp.net, cwmp-dm.example …).
const ACS_NAME_HINTS: &[&str] = &[
    "acs",
    "cwmp",
    "tr069",
    "tr-069",
    "tr69",
    "hdm",
    "devicemanage",
    "dm.",
];

/// Without an Inform or a URL, the ACS name is guessed from what the router looked up or asked TLS for:
/// a name that reads like an ACS, or the only name the capture mentions. The report says which.
fn guess_acs_host(facts: &Facts, r: &mut Roles) {
    let mut names: OrderedSet<String> = OrderedSet::default();
    for d in facts.dns.iter().filter(|d| !d.msg.response) {
        for (q, _) in &d.msg.questions {
            names.insert(q.trim_end_matches('.').to_ascii_lowercase());
        }
    }
    for t in &facts.tls {
        if let Some(sni) = t.facts.client_hello.as_ref().and_then(|h| h.sni.as_deref()) {
            names.insert(sni.to_ascii_lowercase());
        }
    }
    let looks_like_acs: Vec<&String> = names
        .iter()
        .filter(|n| ACS_NAME_HINTS.iter().any(|h| n.contains(h)))
        .collect();
    let (chosen, why) = match (looks_like_acs.as_slice(), &names[..]) {
        ([one], _) => ((*one).clone(), "its name reads like an ACS"),
        (_, [only]) => (
            only.clone(),
            "it is the only host name the capture mentions",
        ),
        _ => return,
    };
    r.assumptions.push(format!(
        "ACS host assumed to be {chosen}: no Inform and no --acs-url, and {why} (give --acs-url to be sure)"
    ));
    r.acs_hosts.insert(chosen);
}

/// Addresses the capture's DNS answers give for `host`.
pub fn dns_addresses(facts: &Facts, host: &str) -> Vec<IpAddr> {
    let mut out = OrderedSet::default();
    for d in facts.dns.iter().filter(|d| d.msg.response) {
        let asked = d
            .msg
            .questions
            .iter()
            .any(|(q, _)| q.trim_end_matches('.').eq_ignore_ascii_case(host));
        if asked {
            for a in d.msg.answers.iter().filter_map(|a| a.addr) {
                out.insert(a);
            }
        }
    }
    out.to_vec()
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn host_header_loses_its_port() {
        assert_eq!(host_of("ACS.Example:7547"), "acs.example");
        assert_eq!(host_of("192.88.99.142"), "192.88.99.142");
        assert_eq!(host_of("[2001:db8::1]:80"), "2001:db8::1");
    }
}
