//! HTTP authentication for the live probes: read a server's challenge and answer it.
//!
//! Takes: `WWW-Authenticate` values of a 401. Gives: [`Challenge`] — scheme, realm, qop, algorithm,
//! stale (for the report) — and an [`Authorizer`] that computes `Authorization` values: Digest
//! (RFC 7616, through the `digest_auth` crate: MD5/SHA-256, `-sess`, qop auth/auth-int, nonce count)
//! or Basic (RFC 7617) when that is what the server asks for. TR-069 §3.4.4–3.4.5 / tr069-facts.md §2
//! (ACS auth) and §8.1 (connection requests must use Digest).
//!
//! Invariant: no password and no `Authorization` value is kept in any struct here; the value
//! [`Authorizer::header`] returns goes straight onto the request and is never logged or reported.

use std::borrow::Cow;

use base64::Engine;
use digest_auth::{AuthContext, HttpMethod, WwwAuthenticateHeader};

/// The authentication scheme a server asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scheme {
    Digest,
    Basic,
    /// Anything else (`Negotiate`, `Bearer` …), as written.
    Other(String),
}

/// One challenge, as the report describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: Scheme,
    pub realm: Option<String>,
    pub qop: Option<String>,
    pub algorithm: Option<String>,
    /// Digest `stale=true`: the nonce expired, the credentials themselves were fine.
    pub stale: bool,
    /// The header value (nonces and realm only; servers put no secret in a challenge).
    pub raw: String,
}

impl Challenge {
    /// `Digest (realm "GenieACS", qop "auth,auth-int", algorithm MD5)`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(r) = &self.realm {
            parts.push(format!("realm {r:?}"));
        }
        if let Some(q) = &self.qop {
            parts.push(format!("qop {q:?}"));
        }
        if let Some(a) = &self.algorithm {
            parts.push(format!("algorithm {a}"));
        }
        let scheme = match &self.scheme {
            Scheme::Digest => "Digest",
            Scheme::Basic => "Basic",
            Scheme::Other(s) => s.as_str(),
        };
        if parts.is_empty() {
            scheme.to_string()
        } else {
            format!("{scheme} ({})", parts.join(", "))
        }
    }
}

/// The challenge to answer among a 401's `WWW-Authenticate` values: Digest first, then Basic, then
/// whatever came first. `None` when there is none.
pub(crate) fn pick(values: &[&str]) -> Option<Challenge> {
    let all: Vec<Challenge> = values
        .iter()
        .filter(|v| !v.trim().is_empty())
        .map(|v| parse(v))
        .collect();
    let find = |s: Scheme| all.iter().find(|c| c.scheme == s).cloned();
    find(Scheme::Digest)
        .or_else(|| find(Scheme::Basic))
        .or_else(|| all.first().cloned())
}

fn parse(value: &str) -> Challenge {
    let value = value.trim();
    let (scheme, params) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
    let scheme = if scheme.eq_ignore_ascii_case("digest") {
        Scheme::Digest
    } else if scheme.eq_ignore_ascii_case("basic") {
        Scheme::Basic
    } else {
        Scheme::Other(scheme.chars().take(40).collect())
    };
    Challenge {
        scheme,
        realm: param(params, "realm"),
        qop: param(params, "qop"),
        algorithm: param(params, "algorithm"),
        stale: param(params, "stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
        raw: value.chars().take(512).collect(),
    }
}

/// The value of `name` in an auth-param list (`a="x, y", b=z`), quotes removed.
fn param(params: &str, name: &str) -> Option<String> {
    let mut rest = params;
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let key = key.trim().trim_start_matches(',').trim();
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        if key.eq_ignore_ascii_case(name) {
            return Some(value.to_string());
        }
        rest = next.trim_start().trim_start_matches(',');
    }
    None
}

/// Computes `Authorization` values for one challenge (keeps the Digest nonce count).
#[derive(Debug)]
pub(crate) struct Authorizer {
    digest: Option<WwwAuthenticateHeader>,
}

impl Authorizer {
    /// An authorizer for `challenge`; an error for a scheme TR-069 does not use or a bad challenge.
    pub fn for_challenge(challenge: &Challenge) -> Result<Authorizer, String> {
        match &challenge.scheme {
            Scheme::Basic => Ok(Authorizer { digest: None }),
            Scheme::Digest => {
                let params = challenge.raw.get("Digest".len()..).unwrap_or("");
                // digest_auth's parser panics on non-ASCII (it slices by character count): an answer
                // from the network may hold anything.
                if !params.is_ascii() {
                    return Err("unusable Digest challenge: it holds non-ASCII characters".into());
                }
                let prompt = digest_auth::parse(params)
                    .map_err(|e| format!("unusable Digest challenge: {e}"))?;
                Ok(Authorizer {
                    digest: Some(prompt),
                })
            }
            Scheme::Other(s) => Err(format!(
                "{s} authentication is not used by TR-069 (Digest or Basic)"
            )),
        }
    }

    /// The `Authorization` value for a request. Secret: set it on the request and drop it.
    pub fn header(
        &mut self,
        user: &str,
        password: &str,
        method: &str,
        uri: &str,
        body: Option<&[u8]>,
    ) -> Result<String, String> {
        match &mut self.digest {
            None => {
                let token =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                Ok(format!("Basic {token}"))
            }
            Some(prompt) => {
                let context = AuthContext::new_with_method(
                    user,
                    password,
                    uri,
                    body,
                    HttpMethod(Cow::Borrowed(method)),
                );
                let answer = prompt
                    .respond(&context)
                    .map_err(|e| format!("cannot answer the Digest challenge: {e}"))?;
                Ok(answer.to_header_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENIEACS: &str =
        r#"Digest realm="GenieACS",qop="auth,auth-int",nonce="abc",algorithm=MD5"#;

    #[test]
    fn challenges_are_read() {
        let c = pick(&[GENIEACS]).unwrap();
        assert_eq!(c.scheme, Scheme::Digest);
        assert_eq!(
            c.describe(),
            r#"Digest (realm "GenieACS", qop "auth,auth-int", algorithm MD5)"#
        );
        let b = pick(&[r#"basic realm="cpe""#]).unwrap();
        assert_eq!((b.scheme, b.realm.as_deref()), (Scheme::Basic, Some("cpe")));
        let both = pick(&[r#"Basic realm="x""#, GENIEACS]).unwrap();
        assert_eq!(both.scheme, Scheme::Digest);
        assert_eq!(
            pick(&["Negotiate"]).unwrap().scheme,
            Scheme::Other("Negotiate".into())
        );
        assert_eq!(pick(&[]), None);
        assert!(
            pick(&[r#"Digest realm="r", nonce="n", stale=TRUE"#])
                .unwrap()
                .stale
        );
    }

    #[test]
    fn digest_answers_count_the_nonce() {
        // The challenge of RFC 2617 §3.5; the server side of the live tests verifies real answers.
        let challenge = pick(&[r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#]).unwrap();
        let mut a = Authorizer::for_challenge(&Challenge {
            qop: None,
            ..challenge.clone()
        })
        .unwrap();
        let value = a
            .header("Mufasa", "Circle Of Life", "GET", "/dir/index.html", None)
            .unwrap();
        assert!(value.starts_with("Digest username=\"Mufasa\""), "{value}");
        assert!(value.contains("nc=00000001"), "{value}");
        let second = a
            .header("Mufasa", "Circle Of Life", "GET", "/dir/index.html", None)
            .unwrap();
        assert!(second.contains("nc=00000002"), "{second}");
    }

    #[test]
    fn basic_and_unsupported_schemes() {
        let mut basic =
            Authorizer::for_challenge(&pick(&[r#"Basic realm="acs""#]).unwrap()).unwrap();
        assert_eq!(
            basic
                .header("Aladdin", "open sesame", "POST", "/", None)
                .unwrap(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        let err = Authorizer::for_challenge(&pick(&["Bearer"]).unwrap()).unwrap_err();
        assert!(
            err.starts_with("Bearer authentication is not used"),
            "{err}"
        );
        assert!(Authorizer::for_challenge(&pick(&["Digest qop=auth"]).unwrap()).is_err());
    }

    #[test]
    fn authorizer_debug_holds_no_password() {
        let mut a = Authorizer::for_challenge(&pick(&[GENIEACS]).unwrap()).unwrap();
        let _ = a
            .header("cpe", "s3cret-pw", "POST", "/acs", Some(b"<x/>"))
            .unwrap();
        assert!(!format!("{a:?}").contains("s3cret-pw"));
    }
}
