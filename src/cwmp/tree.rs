//! The element tree the SOAP stage reads, and the XML character and name rules it enforces.
//!
//! Takes nothing (plain data, filled by `build.rs`); gives [`Doc`]: every element in document
//! order with its namespace, attributes, text and children, plus the namespace URIs used. The
//! rules follow XML 1.0 §2.2 (characters), §2.3 (names) and Namespaces in XML §5.
//!
//! Invariants: index 0 of [`Doc::elements`] is the root; child indices always point forward;
//! [`Ns::Uri`] indices are valid in [`Doc::uris`].

/// Where an element or attribute name lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ns {
    /// Unprefixed, with no default namespace in scope.
    None,
    /// Index into [`Doc::uris`].
    Uri(u32),
    /// The prefix was never declared; the name was kept by its local part.
    Undeclared,
}

#[derive(Debug, Clone)]
pub(crate) struct Attr {
    pub qname: String,
    pub ns: Ns,
    pub value: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Element {
    /// The name as written, prefix included.
    pub qname: String,
    pub ns: Ns,
    pub attrs: Vec<Attr>,
    pub text: String,
    pub children: Vec<usize>,
}

impl Element {
    pub(crate) fn local(&self) -> &str {
        local_part(&self.qname)
    }
}

pub(crate) fn local_part(qname: &str) -> &str {
    qname.split_once(':').map_or(qname, |(_, local)| local)
}

/// The elements in document order; index 0 is the root.
#[derive(Debug, Clone, Default)]
pub(crate) struct Doc {
    pub elements: Vec<Element>,
    pub uris: Vec<String>,
}

impl Doc {
    pub(crate) fn uri(&self, ns: Ns) -> Option<&str> {
        match ns {
            Ns::Uri(i) => self.uris.get(i as usize).map(String::as_str),
            Ns::None | Ns::Undeclared => None,
        }
    }
}

/// A well-formedness error: absolute byte offset in the body and a plain-words message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct XmlError {
    pub offset: u64,
    pub message: String,
}

pub(crate) fn is_blank(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

pub(crate) fn is_forbidden_control(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
}

/// Why `qname` is not an XML name (a subset of XML 1.0 §2.3 that catches real damage: empty
/// names, a leading digit or punctuation, markup characters, stray colons).
pub(crate) fn name_problem(qname: &str) -> Option<&'static str> {
    let first = qname.chars().next()?;
    if first.is_ascii_digit() || matches!(first, '-' | '.' | ':') {
        return Some("starts with a character a name cannot start with");
    }
    if qname
        .chars()
        .any(|c| c.is_ascii() && !(c.is_ascii_alphanumeric() || "_-.:".contains(c)))
    {
        return Some("contains a character not allowed in names");
    }
    if qname.matches(':').count() > 1 || qname.ends_with(':') {
        return Some("misplaced ':'");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name_problem("soap:Envelope"), None);
        assert_eq!(name_problem("X_ACME-Frob.2"), None);
        assert_eq!(name_problem("Élément"), None);
        assert!(name_problem("1a").is_some());
        assert!(name_problem(" Value=\"Value\"").is_some());
        assert!(name_problem("a:b:c").is_some());
        assert!(name_problem("a:").is_some());
    }

    #[test]
    fn characters() {
        assert!(is_blank(" \t\r\n"));
        assert!(!is_blank("\u{a0}"));
        assert!(is_forbidden_control('\u{1}'));
        assert!(!is_forbidden_control('\t'));
        assert!(is_forbidden_control('\u{FFFF}'));
    }

    #[test]
    fn namespace_lookup_and_local_names() {
        let doc = Doc {
            elements: Vec::new(),
            uris: vec!["urn:x".into()],
        };
        assert_eq!(doc.uri(Ns::Uri(0)), Some("urn:x"));
        assert_eq!(doc.uri(Ns::Uri(1)), None);
        assert_eq!(doc.uri(Ns::Undeclared), None);
        assert_eq!(local_part("SOAP-ENV:Body"), "Body");
        assert_eq!(local_part("Body"), "Body");
    }
}
