//! Reference values the engineer gives on the command line (DESIGN.md §3): the ACS URL and credentials
//! the router should use, the connection-request endpoint and credentials. Without `--live` they are
//! only compared with what the capture shows; nothing is sent on the network.

/// What the router is supposed to be configured with.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub acs_url: Option<String>,
    pub acs_username: Option<String>,
    pub acs_password: Option<String>,
    pub cpe_url: Option<String>,
    pub cr_username: Option<String>,
    pub cr_password: Option<String>,
    /// The public address `wan.ping` judges (default: any public address the capture pings).
    pub wan_target: Option<String>,
    /// Print passwords and Authorization values instead of redacting them.
    pub show_secrets: bool,
}

/// A URL split into the parts the checks compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlParts {
    pub scheme: String,
    pub host: String,
    pub ip: Option<std::net::IpAddr>,
    pub port: u16,
    pub path: String,
}

impl UrlParts {
    pub fn parse(url: &str) -> Option<UrlParts> {
        let u = url::Url::parse(url.trim()).ok()?;
        let host = match u.host()? {
            url::Host::Domain(d) => d.to_ascii_lowercase(),
            url::Host::Ipv4(a) => a.to_string(),
            url::Host::Ipv6(a) => a.to_string(),
        };
        Some(UrlParts {
            scheme: u.scheme().to_string(),
            ip: host.parse().ok(),
            port: u.port_or_known_default()?,
            path: match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_string(),
            },
            host,
        })
    }

    /// `scheme://host[:port]/path[?query]`, brackets around IPv6 hosts, the port only when it is not
    /// the scheme's default (as the engineer would write the URL on the router's page).
    pub fn display(&self) -> String {
        let host = match self.ip {
            Some(std::net::IpAddr::V6(_)) => format!("[{}]", self.host),
            _ => self.host.clone(),
        };
        let default = matches!(
            (self.scheme.as_str(), self.port),
            ("http", 80) | ("https", 443)
        );
        let port = if default {
            String::new()
        } else {
            format!(":{}", self.port)
        };
        format!("{}://{host}{port}{}", self.scheme, self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parts_fill_the_default_port_and_keep_the_path() {
        let u = UrlParts::parse("https://ACS.isp.example/acs").unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.host.as_str(), u.port, u.path.as_str()),
            ("https", "acs.isp.example", 443, "/acs")
        );
        assert_eq!(u.display(), "https://acs.isp.example/acs");
        let v6 = UrlParts::parse("http://[2001:db8::1]:7547/").unwrap();
        assert_eq!(v6.display(), "http://[2001:db8::1]:7547/");
        let q = UrlParts::parse("http://acs.isp.example:80/acs?x=1").unwrap();
        assert_eq!(
            (q.path.as_str(), q.display()),
            ("/acs?x=1", "http://acs.isp.example/acs?x=1".into())
        );
        assert!(UrlParts::parse("acs.isp.example").is_none());
    }
}
