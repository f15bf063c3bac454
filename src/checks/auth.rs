//! HTTP authentication as the capture shows it (RFC 7616 Digest, RFC 7617 Basic; TR-069 §3.4.4): the
//! parameters of an Authorization value (for display, the `response` redacted by the caller), its user,
//! and whether it was made with a given password — the Digest recomputed with the `digest_auth` crate
//! from the captured nonce, cnonce and nc.

use base64::Engine;

use crate::facts::Message;

/// Digest parameters of an Authorization value, for display (the `response` is redacted by the caller).
pub fn digest_params(value: &str) -> Vec<(String, String)> {
    match parse_digest(value) {
        Some(h) => {
            let mut v = vec![
                ("username".to_string(), h.username),
                ("realm".into(), h.realm),
                ("nonce".into(), h.nonce),
                ("uri".into(), h.uri),
                ("algorithm".into(), h.algorithm.to_string()),
                ("response".into(), h.response),
            ];
            if let Some(q) = h.qop {
                v.push(("qop".into(), q.to_string()));
                v.push(("nc".into(), format!("{:08x}", h.nc)));
            }
            if let Some(c) = h.cnonce {
                v.push(("cnonce".into(), c));
            }
            v
        }
        None => vec![("unparseable".into(), String::new())],
    }
}

/// Basic credentials (RFC 7617): the user and the password of `Basic base64(user:password)`.
fn basic_credentials(value: &str) -> Option<(String, String)> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8_lossy(&decoded).into_owned();
    Some(match text.split_once(':') {
        Some((u, p)) => (u.to_string(), p.to_string()),
        None => (text, String::new()),
    })
}

/// The user name an Authorization value carries (Digest `username=`, or Basic's `user:` part).
pub fn auth_user(value: &str) -> Option<String> {
    if let Some((user, _)) = basic_credentials(value) {
        return Some(user);
    }
    parse_digest(value).map(|h| h.username)
}

/// Whether the credentials in `request`'s Authorization were made with `password`; `None` when the
/// header cannot be checked.
pub fn made_with_password(request: &Message, password: &str) -> Option<bool> {
    let value = request.http.header("Authorization")?;
    value_made_with(value, request.http.method().unwrap_or("POST"), password)
}

/// Whether an Authorization value sent with `method` was made with `password`.
fn value_made_with(value: &str, method: &str, password: &str) -> Option<bool> {
    if let Some((_, sent)) = basic_credentials(value) {
        return Some(sent == password);
    }
    let mut h = parse_digest(value)?;
    if h.qop == Some(digest_auth::Qop::AUTH_INT) {
        // auth-int hashes the body, which the report no longer holds.
        return None;
    }
    let captured = std::mem::take(&mut h.response);
    let context = digest_auth::AuthContext::new_with_method(
        h.username.clone(),
        password,
        h.uri.clone(),
        None::<&[u8]>,
        digest_auth::HttpMethod::from(method.to_string()),
    );
    h.digest(&context);
    Some(h.response.eq_ignore_ascii_case(&captured))
}

/// A Digest Authorization value, parsed by `digest_auth`. Its parser slices the text by character
/// count as if it were bytes, and so panics on non-ASCII input (found by the `pipeline` fuzz target):
/// only ASCII values reach it; anything else is not a Digest value anyway (RFC 7616 §3.4 quotes
/// ASCII).
fn parse_digest(value: &str) -> Option<digest_auth::AuthorizationHeader> {
    if !value.is_ascii() {
        return None;
    }
    digest_auth::AuthorizationHeader::parse(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2617 §3.5's worked example.
    const RFC2617: &str = r#"Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41""#;

    #[test]
    fn the_rfc_2617_digest_is_recomputed_from_its_password() {
        assert_eq!(
            value_made_with(RFC2617, "GET", "Circle Of Life"),
            Some(true)
        );
        assert_eq!(
            value_made_with(RFC2617, "GET", "circle of life"),
            Some(false)
        );
        assert_eq!(auth_user(RFC2617).as_deref(), Some("Mufasa"));
        let shown = digest_params(RFC2617);
        assert!(
            shown.contains(&("nc".to_string(), "00000001".to_string())),
            "{shown:?}"
        );
    }

    #[test]
    fn basic_credentials_give_their_user_and_password() {
        // "cpe:s3cret"
        assert_eq!(auth_user("Basic Y3BlOnMzY3JldA==").as_deref(), Some("cpe"));
        assert_eq!(
            value_made_with("Basic Y3BlOnMzY3JldA==", "POST", "s3cret"),
            Some(true)
        );
        assert_eq!(
            value_made_with("Basic Y3BlOnMzY3JldA==", "POST", "other"),
            Some(false)
        );
    }

    #[test]
    fn non_ascii_or_garbage_values_are_unparseable_not_a_panic() {
        // The fuzz target's crash: a multi-byte character ahead of `=` made digest_auth slice mid-character.
        for value in [
            "Digest é=\"x\"",
            "Digest ünïcödé",
            "Digest",
            "Basic ###",
            "Digest a=\"",
            "",
        ] {
            let _ = (
                auth_user(value),
                digest_params(value),
                value_made_with(value, "POST", "pw"),
            );
        }
        assert_eq!(
            digest_params("Digest é=\"x\""),
            vec![("unparseable".to_string(), String::new())]
        );
    }
}
