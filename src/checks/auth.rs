//! HTTP authentication as the capture shows it (RFC 7616 Digest, RFC 7617 Basic; TR-069 §3.4.4): the
//! parameters of an Authorization value (for display, the `response` redacted by the caller), its user,
//! and whether it was made with a given password — the Digest recomputed with the `digest_auth` crate
//! from the captured nonce, cnonce and nc.

use base64::Engine;

use crate::facts::Message;

/// Digest parameters of an Authorization value, for display (the `response` is redacted by the caller).
pub fn digest_params(value: &str) -> Vec<(String, String)> {
    match digest_auth::AuthorizationHeader::parse(value) {
        Ok(h) => {
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
        Err(_) => vec![("unparseable".into(), String::new())],
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
    digest_auth::AuthorizationHeader::parse(value)
        .ok()
        .map(|h| h.username)
}

/// Whether the credentials in `request`'s Authorization were made with `password`; `None` when the
/// header cannot be checked.
pub fn made_with_password(request: &Message, password: &str) -> Option<bool> {
    let value = request.http.header("Authorization")?;
    if let Some((_, sent)) = basic_credentials(value) {
        return Some(sent == password);
    }
    let mut h = digest_auth::AuthorizationHeader::parse(value).ok()?;
    if h.qop == Some(digest_auth::Qop::AUTH_INT) {
        // auth-int hashes the body, which the report no longer holds.
        return None;
    }
    let captured = std::mem::take(&mut h.response);
    let method = request.http.method().unwrap_or("POST").to_string();
    let context = digest_auth::AuthContext::new_with_method(
        h.username.clone(),
        password,
        h.uri.clone(),
        None::<&[u8]>,
        digest_auth::HttpMethod::from(method),
    );
    h.digest(&context);
    Some(h.response.eq_ignore_ascii_case(&captured))
}
