//! Certificate verification for the live TLS probe: record the whole chain, verify it as a router
//! would (webpki, the Mozilla roots plus any `trust_roots`, the URL's host), and say why it fails.
//!
//! Takes: the chain a server presents during the rustls handshake. Gives: [`RecordingVerifier`],
//! which keeps the chain and the strict verifier's result and lets the handshake finish either way (so
//! version and cipher are known even for a bad certificate; the handshake signatures are still
//! checked); [`strict_config`] for connections that carry credentials; [`CertSummary`] (subject,
//! issuer, validity, SANs, read with x509-parser) and [`CertProblem`] (expired, not yet valid, unknown
//! issuer or self-signed, wrong host). RFC 5280 (fields), RFC 6125 (host names), TR-069 §3.3 (the
//! CPE checks the ACS certificate against the host of ManagementServer.URL).

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme,
};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::time::Timestamp;

/// Certificates kept from one chain (a real chain has 2–4).
const MAX_CHAIN: usize = 10;

/// One certificate of the server's chain, as the report shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertSummary {
    /// RFC 4514 text, e.g. `CN=acs.isp.example, O=ISP`.
    pub subject: String,
    pub issuer: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub dns_names: Vec<String>,
    pub ip_addrs: Vec<IpAddr>,
    /// Subject equals issuer.
    pub self_issued: bool,
}

impl CertSummary {
    pub fn from_der(der: &[u8]) -> Result<CertSummary, String> {
        let (_, cert) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
        let (dns_names, ip_addrs) = crate::apps::tls::subject_alt_names(&cert);
        let validity = cert.validity();
        Ok(CertSummary {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            not_before: Timestamp::new(validity.not_before.timestamp(), 0),
            not_after: Timestamp::new(validity.not_after.timestamp(), 0),
            dns_names,
            ip_addrs,
            self_issued: cert.subject() == cert.issuer(),
        })
    }

    /// `subject CN=acs.test; issuer CN=Test CA; valid 2025-01-01T00:00:00Z → …; SAN acs.test, 127.0.0.1`.
    pub fn describe(&self) -> String {
        let mut sans: Vec<String> = self.dns_names.clone();
        sans.extend(self.ip_addrs.iter().map(IpAddr::to_string));
        let sans = if sans.is_empty() {
            "none".to_string()
        } else {
            sans.join(", ")
        };
        format!(
            "subject {}; issuer {}; valid {} → {}; SAN {sans}",
            self.subject,
            self.issuer,
            date(self.not_before),
            date(self.not_after)
        )
    }
}

/// A certificate time without the (always zero) fraction: `2025-01-01T00:00:00Z`.
pub(crate) fn date(t: Timestamp) -> String {
    t.to_string().replace(".000000Z", "Z")
}

/// Why a chain does not verify for the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertProblem {
    Expired {
        not_after: Option<Timestamp>,
    },
    NotYetValid {
        not_before: Option<Timestamp>,
    },
    /// No path to a trusted root; `self_signed` when the server sent a lone self-issued certificate.
    UnknownIssuer {
        self_signed: bool,
    },
    WrongHost {
        expected: String,
        presented: Vec<String>,
    },
    Other(String),
}

impl CertProblem {
    /// Reads a rustls verification error, with the chain for context.
    pub(crate) fn from_error(e: &Error, chain: &[CertSummary], host: &str) -> CertProblem {
        let leaf = chain.first();
        let secs = |t: &UnixTime| Timestamp::new(t.as_secs() as i64, 0);
        let Error::InvalidCertificate(ce) = e else {
            return CertProblem::Other(e.to_string());
        };
        match ce {
            CertificateError::Expired => CertProblem::Expired {
                not_after: leaf.map(|c| c.not_after),
            },
            CertificateError::ExpiredContext { not_after, .. } => CertProblem::Expired {
                not_after: Some(secs(not_after)),
            },
            CertificateError::NotValidYet => CertProblem::NotYetValid {
                not_before: leaf.map(|c| c.not_before),
            },
            CertificateError::NotValidYetContext { not_before, .. } => CertProblem::NotYetValid {
                not_before: Some(secs(not_before)),
            },
            CertificateError::UnknownIssuer => CertProblem::UnknownIssuer {
                self_signed: chain.len() == 1 && leaf.is_some_and(|c| c.self_issued),
            },
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                let mut presented: Vec<String> =
                    leaf.map(|c| c.dns_names.clone()).unwrap_or_default();
                presented.extend(
                    leaf.iter()
                        .flat_map(|c| c.ip_addrs.iter().map(IpAddr::to_string)),
                );
                CertProblem::WrongHost {
                    expected: host.to_string(),
                    presented,
                }
            }
            other => CertProblem::Other(format!("{other:?}")),
        }
    }

    /// The `acs.tls` catalog mode.
    pub fn mode(&self) -> &'static str {
        match self {
            CertProblem::Expired { .. } => "expired",
            CertProblem::NotYetValid { .. } => "not-yet-valid",
            CertProblem::UnknownIssuer { self_signed: true } => "self-signed",
            CertProblem::UnknownIssuer { self_signed: false } => "unknown-issuer",
            CertProblem::WrongHost { .. } => "wrong-host",
            CertProblem::Other(_) => "invalid-certificate",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            CertProblem::Expired { not_after: Some(t) } => {
                format!("certificate expired on {}", date(*t))
            }
            CertProblem::Expired { not_after: None } => "certificate expired".to_string(),
            CertProblem::NotYetValid {
                not_before: Some(t),
            } => format!("certificate not valid before {}", date(*t)),
            CertProblem::NotYetValid { not_before: None } => {
                "certificate not yet valid".to_string()
            }
            CertProblem::UnknownIssuer { self_signed: true } => {
                "certificate is self-signed (not issued by a trusted CA)".to_string()
            }
            CertProblem::UnknownIssuer { self_signed: false } => {
                "certificate issued by an unknown CA (no path to a trusted root)".to_string()
            }
            CertProblem::WrongHost {
                expected,
                presented,
            } if presented.is_empty() => {
                format!("certificate names no host (no SAN), not {expected}")
            }
            CertProblem::WrongHost {
                expected,
                presented,
            } => format!(
                "certificate is for {}, not {expected}",
                presented.join(", ")
            ),
            CertProblem::Other(e) => format!("certificate rejected: {e}"),
        }
    }
}

/// The crypto provider for every live TLS connection (ring; no C toolchain beyond `cc`).
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn roots(extra: &[Vec<u8>]) -> Result<Arc<RootCertStore>, String> {
    let mut store = RootCertStore::empty();
    store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for (i, der) in extra.iter().enumerate() {
        store
            .add(CertificateDer::from(der.clone()))
            .map_err(|e| format!("trusted CA certificate {} unusable: {e}", i + 1))?;
    }
    Ok(Arc::new(store))
}

/// What a [`RecordingVerifier`] saw in the last handshake.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub chain: Vec<CertificateDer<'static>>,
    /// The strict verifier's result.
    pub verdict: Result<(), Error>,
}

/// Verifies like a router, records the chain and the result, and accepts the chain regardless.
#[derive(Debug)]
pub(crate) struct RecordingVerifier {
    strict: Arc<WebPkiServerVerifier>,
    provider: Arc<CryptoProvider>,
    seen: Mutex<Option<Seen>>,
}

impl RecordingVerifier {
    pub fn seen(&self) -> Option<Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let verdict = self
            .strict
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map(|_| ());
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .take(MAX_CHAIN)
            .map(|c| c.clone().into_owned())
            .collect();
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(Seen { chain, verdict });
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A client config that records every chain (for the TLS probe and unauthenticated requests).
pub(crate) fn recording_config(
    extra: &[Vec<u8>],
) -> Result<(ClientConfig, Arc<RecordingVerifier>), String> {
    let provider = provider();
    let strict = WebPkiServerVerifier::builder_with_provider(roots(extra)?, provider.clone())
        .build()
        .map_err(|e| e.to_string())?;
    let verifier = Arc::new(RecordingVerifier {
        strict,
        provider: provider.clone(),
        seen: Mutex::new(None),
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    Ok((config, verifier))
}

/// A client config that refuses any certificate a router would refuse (for credentials).
pub(crate) fn strict_config(extra: &[Vec<u8>]) -> Result<ClientConfig, String> {
    Ok(ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots(extra)?)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(self_issued: bool) -> CertSummary {
        CertSummary {
            subject: "CN=acs.test".into(),
            issuer: ["CN=Test CA", "CN=acs.test"][usize::from(self_issued)].into(),
            not_before: Timestamp::new(1_600_000_000, 0),
            not_after: Timestamp::new(1_700_000_000, 0),
            dns_names: vec!["acs.test".into()],
            ip_addrs: vec!["127.0.0.1".parse().unwrap()],
            self_issued,
        }
    }

    #[test]
    fn errors_map_to_modes() {
        let chain = [leaf(false)];
        let p = |ce| CertProblem::from_error(&Error::InvalidCertificate(ce), &chain, "other.test");
        assert_eq!(p(CertificateError::Expired).mode(), "expired");
        assert_eq!(
            p(CertificateError::Expired).describe(),
            "certificate expired on 2023-11-14T22:13:20Z"
        );
        assert_eq!(p(CertificateError::NotValidYet).mode(), "not-yet-valid");
        assert_eq!(p(CertificateError::UnknownIssuer).mode(), "unknown-issuer");
        let wrong = p(CertificateError::NotValidForName);
        assert_eq!(wrong.mode(), "wrong-host");
        assert_eq!(
            wrong.describe(),
            "certificate is for acs.test, 127.0.0.1, not other.test"
        );
        assert_eq!(
            p(CertificateError::BadSignature).mode(),
            "invalid-certificate"
        );
        let lone = CertProblem::from_error(
            &Error::InvalidCertificate(CertificateError::UnknownIssuer),
            &[leaf(true)],
            "acs.test",
        );
        assert_eq!(lone.mode(), "self-signed");
    }

    #[test]
    fn summary_describes_the_certificate() {
        assert_eq!(
            leaf(false).describe(),
            "subject CN=acs.test; issuer CN=Test CA; valid 2020-09-13T12:26:40Z → 2023-11-14T22:13:20Z; SAN acs.test, 127.0.0.1"
        );
        assert!(CertSummary::from_der(b"not a certificate").is_err());
    }

    #[test]
    fn configs_build_and_bad_extra_roots_are_named() {
        assert!(recording_config(&[]).is_ok());
        assert!(strict_config(&[]).is_ok());
        let err = strict_config(&[b"junk".to_vec()]).unwrap_err();
        assert!(
            err.starts_with("trusted CA certificate 1 unusable"),
            "{err}"
        );
    }
}
