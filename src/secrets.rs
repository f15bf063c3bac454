//! Secrets in free text: what a peer wrote back (an error page, a body excerpt) may quote the
//! Authorization it received. DESIGN.md §3: Authorization values (the Digest `response` too) never reach
//! an output. Takes a line of a peer's words; gives it with credential-looking tokens redacted.

/// A peer may echo the Authorization it got in an error page (a live ACS, or an ACS in a capture). Those
/// credentials must not reach a report that way: a Basic token (base64 of `user:password`) and a Digest `response` (32, 64 or 128 hex digits:
/// MD5, SHA-256, SHA-512-256 …) in a peer's words are replaced by «redacted».
pub fn redact_echoes(line: &str) -> String {
    use base64::Engine;
    let token_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find(token_char) {
        out.push_str(&rest[..start]);
        let len = rest[start..]
            .find(|c| !token_char(c))
            .unwrap_or(rest.len() - start);
        let token = &rest[start..start + len];
        let hex =
            matches!(token.len(), 32 | 64 | 128) && token.chars().all(|c| c.is_ascii_hexdigit());
        let basic = token.len() >= 8
            && base64::engine::general_purpose::STANDARD
                .decode(token)
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .is_some_and(|d| d.contains(':') && !d.contains(char::is_control));
        out.push_str(if hex || basic { "«redacted»" } else { token });
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_credentials_are_redacted_and_ordinary_words_kept() {
        assert_eq!(
            redact_echoes("Authorization: Basic dTpTM2NyZXRBY3NQdyE= rejected"),
            "Authorization: Basic «redacted» rejected"
        );
        assert_eq!(
            redact_echoes("bad response 0123456789abcdef0123456789abcdef"),
            "bad response «redacted»"
        );
        let plain = "401 Unauthorized: Basic authentication required, nonce 1a2b";
        assert_eq!(redact_echoes(plain), plain);
    }
}
