//! Server certificates seen in a TLS ≤ 1.2 handshake, and what is wrong with them for a given host and
//! time (RFC 5280 for the fields, RFC 6125 §6.4 for matching a host name).
//!
//! Takes: one DER certificate from a Certificate handshake message, parsed with `x509-parser`.
//! Gives: [`CertInfo`] — names, validity as [`Timestamp`]s, SAN DNS names and IP addresses, whether it is
//! self-signed or a CA — and [`cert_problems`], the findings the `acs.tls` check reports.
//!
//! Host matching follows RFC 6125 as browsers and curl apply it: case-insensitive, a trailing dot ignored;
//! a wildcard only as the whole left-most label, matching exactly one label, and never with fewer than two
//! labels after it; the subject CN is consulted only when the certificate has no DNS name in its SAN; an
//! IP address host matches only an IP address SAN.

use std::net::IpAddr;

use x509_parser::error::X509Error;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::flows::At;
use crate::time::Timestamp;

/// One certificate of the server's chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// The record that completed the Certificate message.
    pub at: At,
    /// Distinguished names as RFC 4514 text (`CN=acs.example.test`).
    pub subject: String,
    pub issuer: String,
    pub common_name: Option<String>,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub dns_names: Vec<String>,
    pub ip_addrs: Vec<IpAddr>,
    /// Issuer equals subject and, when `x509-parser` can check the algorithm, the signature verifies
    /// with the certificate's own key.
    pub self_signed: bool,
    pub is_ca: bool,
}

impl CertInfo {
    /// Reads a DER certificate; the error says why it could not be read.
    pub fn from_der(der: &[u8], at: At) -> Result<CertInfo, String> {
        let (_, cert) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
        let (dns_names, ip_addrs) = subject_alt_names(&cert);
        let common_name = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_string);
        let same_name = cert.subject().as_raw() == cert.issuer().as_raw();
        // A signature check needs the algorithm to be one `ring` knows; otherwise the names decide.
        let self_signed = same_name
            && match cert.verify_signature(None) {
                Ok(()) => true,
                Err(X509Error::SignatureUnsupportedAlgorithm) => true,
                Err(_) => false,
            };
        let validity = cert.validity();
        Ok(CertInfo {
            at,
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            common_name,
            not_before: Timestamp::new(validity.not_before.timestamp(), 0),
            not_after: Timestamp::new(validity.not_after.timestamp(), 0),
            dns_names,
            ip_addrs,
            self_signed,
            is_ca: cert.is_ca(),
        })
    }
}

/// The DNS names and IP addresses of a certificate's subjectAltName (RFC 5280 §4.2.1.6); shared with
/// the live TLS probe so a capture and a probe read a certificate alike.
pub fn subject_alt_names(cert: &X509Certificate<'_>) -> (Vec<String>, Vec<IpAddr>) {
    let mut dns_names = Vec::new();
    let mut ip_addrs = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(n) => dns_names.push(n.to_string()),
                GeneralName::IPAddress(b) => ip_addrs.extend(ip_from_san(b)),
                _ => {}
            }
        }
    }
    (dns_names, ip_addrs)
}

fn ip_from_san(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => <[u8; 4]>::try_from(b).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(b).ok().map(IpAddr::from),
        _ => None,
    }
}

/// What is wrong with `cert` for a connection to `host` at capture time `at`; empty when nothing is.
/// `host` is the host part of the URL (an IPv6 literal may keep its brackets).
pub fn cert_problems(cert: &CertInfo, at: Timestamp, host: Option<&str>) -> Vec<String> {
    let mut problems = Vec::new();
    if at > cert.not_after {
        problems.push(format!(
            "expired: valid until {}, the capture is from {at}",
            cert.not_after
        ));
    }
    if at < cert.not_before {
        problems.push(format!(
            "not yet valid: valid from {}, the capture is from {at} (is the CPE clock set?)",
            cert.not_before
        ));
    }
    if let Some(host) = host
        && !host_matches(cert, host)
    {
        problems.push(format!("issued for {}, not for {host}", names_of(cert)));
    }
    if cert.self_signed {
        problems.push(format!("self-signed ({})", cert.subject));
    }
    problems
}

/// The names a certificate is valid for, for the message.
pub fn names_of(cert: &CertInfo) -> String {
    let mut names: Vec<String> = cert.dns_names.clone();
    names.extend(cert.ip_addrs.iter().map(ToString::to_string));
    if cert.dns_names.is_empty()
        && let Some(cn) = &cert.common_name
    {
        names.push(format!("CN {cn}"));
    }
    if names.is_empty() {
        "no name".into()
    } else {
        names.join(", ")
    }
}

fn host_matches(cert: &CertInfo, host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return cert.ip_addrs.contains(&ip);
    }
    if cert.dns_names.is_empty() {
        return cert
            .common_name
            .as_deref()
            .is_some_and(|cn| name_matches(cn, host));
    }
    cert.dns_names.iter().any(|n| name_matches(n, host))
}

/// RFC 6125 §6.4.3 matching of one presented name against the host.
fn name_matches(pattern: &str, host: &str) -> bool {
    let norm = |s: &str| s.trim_end_matches('.').to_ascii_lowercase();
    let (pattern, host) = (norm(pattern), norm(host));
    if pattern.is_empty() || host.is_empty() {
        return false;
    }
    match pattern.strip_prefix("*.") {
        None => !pattern.contains('*') && pattern == host,
        Some(suffix) => {
            if suffix.contains('*') || suffix.split('.').count() < 2 {
                return false;
            }
            host.split_once('.')
                .is_some_and(|(first, rest)| !first.is_empty() && rest == suffix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEAF: &[u8] = include_bytes!("../testdata/cert-leaf.der");
    const EXPIRED: &[u8] = include_bytes!("../testdata/cert-expired.der");
    const SELF_SIGNED: &[u8] = include_bytes!("../testdata/cert-selfsigned.der");
    const CA: &[u8] = include_bytes!("../testdata/cert-ca.der");

    fn at() -> At {
        At {
            frame: 6,
            ts: Timestamp::new(0, 0),
        }
    }

    /// 2026-11-22, the day after the test certificates were made and captured.
    fn capture_time() -> Timestamp {
        Timestamp::new(1_795_300_000, 0)
    }

    fn cert(der: &[u8]) -> CertInfo {
        CertInfo::from_der(der, at()).expect("test certificate parses")
    }

    #[test]
    fn leaf_fields_are_read() {
        let c = cert(LEAF);
        assert_eq!(c.subject, "CN=acs.example.test");
        assert_eq!(c.issuer, "CN=Test ACS Root CA");
        assert_eq!(c.common_name.as_deref(), Some("acs.example.test"));
        assert_eq!(c.dns_names, vec!["acs.example.test", "*.cwmp.example.test"]);
        assert_eq!(c.ip_addrs, vec!["192.0.2.10".parse::<IpAddr>().unwrap()]);
        assert_eq!(c.not_before.to_string(), "2025-01-01T00:00:00.000000Z");
        assert_eq!(c.not_after.to_string(), "2035-01-01T00:00:00.000000Z");
        assert!(!c.self_signed && !c.is_ca);
        assert!(cert_problems(&c, capture_time(), Some("acs.example.test")).is_empty());
    }

    #[test]
    fn ca_and_self_signed_certificates_are_recognised() {
        let ca = cert(CA);
        assert!(ca.is_ca && ca.self_signed);
        // `openssl req -x509` marks its certificates CA:TRUE, as many ACS quick-start guides leave them.
        let s = cert(SELF_SIGNED);
        assert!(s.self_signed && s.is_ca);
        assert_eq!(
            cert_problems(&s, capture_time(), Some("acs.example.test")),
            vec!["self-signed (CN=acs.example.test)"]
        );
    }

    #[test]
    fn issuer_named_like_the_subject_but_not_self_signed_fails_the_signature_check() {
        // The leaf's signature is the CA's: with the subject renamed to the issuer it must not verify.
        let mut forged = LEAF.to_vec();
        let from = b"acs.example.test";
        let pos = forged.windows(from.len()).position(|w| w == from).unwrap();
        forged[pos..pos + from.len()].copy_from_slice(b"Test ACS Root CA");
        let c = cert(&forged);
        assert_eq!(c.subject, c.issuer);
        assert!(!c.self_signed);
    }

    #[test]
    fn expired_and_not_yet_valid() {
        let e = cert(EXPIRED);
        let p = cert_problems(&e, capture_time(), None);
        assert_eq!(p.len(), 1);
        assert!(
            p[0].starts_with("expired: valid until 2021-01-01T00:00:00"),
            "{p:?}"
        );
        // A CPE whose clock says 1970 sees the valid leaf as not yet valid.
        let p = cert_problems(&cert(LEAF), Timestamp::new(86_400, 0), None);
        assert_eq!(p.len(), 1);
        assert!(
            p[0].starts_with("not yet valid: valid from 2025-01-01"),
            "{p:?}"
        );
    }

    #[test]
    fn host_names_wildcards_and_ip_addresses() {
        let c = cert(LEAF);
        let ok = |h: &str| cert_problems(&c, capture_time(), Some(h)).is_empty();
        assert!(ok("ACS.Example.Test."));
        assert!(ok("eu.cwmp.example.test"));
        assert!(!ok("a.eu.cwmp.example.test"), "a wildcard covers one label");
        assert!(
            !ok("cwmp.example.test"),
            "a wildcard does not match the bare suffix"
        );
        assert!(ok("192.0.2.10"));
        assert!(!ok("192.0.2.11"));
        assert!(!ok("other.example.test"));
        let p = cert_problems(&c, capture_time(), Some("198.51.100.20"));
        assert_eq!(
            p,
            vec![
                "issued for acs.example.test, *.cwmp.example.test, 192.0.2.10, not for 198.51.100.20"
            ]
        );
    }

    #[test]
    fn name_matching_rules() {
        assert!(name_matches("*.example.com", "www.example.com"));
        assert!(
            !name_matches("*.com", "example.com"),
            "too few labels after the wildcard"
        );
        assert!(
            !name_matches("w*.example.com", "www.example.com"),
            "partial wildcards are refused"
        );
        assert!(!name_matches("www.*.com", "www.example.com"));
        assert!(!name_matches("", "example.com"));
        let mut c = cert(SELF_SIGNED);
        c.dns_names.clear();
        assert!(
            host_matches(&c, "acs.example.test"),
            "CN used when the SAN has no DNS name"
        );
        c.dns_names.push("other.example.test".into());
        assert!(
            !host_matches(&c, "acs.example.test"),
            "CN ignored when the SAN has DNS names"
        );
        c.ip_addrs.push("2001:db8::1".parse().unwrap());
        assert!(host_matches(&c, "[2001:db8::1]"));
    }

    #[test]
    fn garbage_and_truncated_certificates_are_errors() {
        assert!(CertInfo::from_der(b"not a certificate", at()).is_err());
        for n in 0..LEAF.len() {
            assert!(CertInfo::from_der(&LEAF[..n], at()).is_err(), "prefix {n}");
        }
    }
}
