//! Strings that nearly every message repeats — header names, SOAP and CWMP namespaces, RPC names —
//! borrowed from a static table instead of allocated once per message: a capture holds tens of
//! thousands of messages, and each allocation costs memory and time to free.

use std::borrow::Cow;

/// `s` borrowed from `known` when it is there, spelled exactly so; an owned copy otherwise.
pub fn known_or_owned<'k>(
    known: impl IntoIterator<Item = &'k &'static str>,
    s: &str,
) -> Cow<'static, str> {
    match known.into_iter().find(|k| **k == s) {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_string_is_borrowed_and_any_other_owned() {
        const KNOWN: &[&str] = &["Host", "Content-Type"];
        assert!(matches!(
            known_or_owned(KNOWN, "Host"),
            Cow::Borrowed("Host")
        ));
        assert!(matches!(known_or_owned(KNOWN, "host"), Cow::Owned(s) if s == "host"));
        assert!(matches!(known_or_owned(KNOWN, "X-Other"), Cow::Owned(_)));
    }
}
