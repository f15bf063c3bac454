//! The element tree the SOAP stage reads, and the XML character and name rules it enforces.
//!
//! Takes nothing (plain data, filled by `build.rs`); gives [`Doc`]: every element in document
//! order with its namespace, attributes, text and children, plus the namespace URIs used. The
//! rules follow XML 1.0 §2.2 (characters), §2.3 (names) and Namespaces in XML §5.
//!
//! The tree borrows from the body it was built from (it lives only inside `parse_envelope`):
//! names, attribute values and texts are slices of the input unless unescaping, normalisation or
//! several text chunks made a new string. Children are linked first-child/next-sibling and the
//! attributes of all elements share one list, so an element costs no allocation of its own.
//!
//! Invariants: index 0 of [`Doc::elements`] is the root; child and sibling links always point
//! forward (to an index > 0, so they fit a `NonZeroU32`); [`Element::attrs`] is a valid range of
//! [`Doc::attrs`]; [`Ns::Uri`] indices are valid in [`Doc::uris`].

use std::borrow::Cow;
use std::num::NonZeroU32;
use std::ops::Range;

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
pub(crate) struct Attr<'a> {
    pub qname: Cow<'a, str>,
    pub ns: Ns,
    pub value: Cow<'a, str>,
}

#[derive(Debug, Clone)]
pub(crate) struct Element<'a> {
    /// The name as written, prefix included.
    pub qname: Cow<'a, str>,
    pub ns: Ns,
    /// This element's attributes in [`Doc::attrs`].
    pub attrs: Range<u32>,
    pub text: Cow<'a, str>,
    pub first_child: Option<NonZeroU32>,
    pub next_sibling: Option<NonZeroU32>,
}

impl Element<'_> {
    pub(crate) fn local(&self) -> &str {
        local_part(&self.qname)
    }
}

/// The part of `qname` after its first `:` (all of it without one). A byte loop: names are
/// short, and it is called for every child compared by the readers.
pub(crate) fn local_part(qname: &str) -> &str {
    match qname.bytes().position(|b| b == b':') {
        Some(colon) => qname.get(colon + 1..).unwrap_or_default(),
        None => qname,
    }
}

/// The elements in document order; index 0 is the root.
#[derive(Debug, Clone, Default)]
pub(crate) struct Doc<'a> {
    pub elements: Vec<Element<'a>>,
    pub attrs: Vec<Attr<'a>>,
    pub uris: Vec<String>,
}

impl<'a> Doc<'a> {
    pub(crate) fn uri(&self, ns: Ns) -> Option<&str> {
        match ns {
            Ns::Uri(i) => self.uris.get(i as usize).map(String::as_str),
            Ns::None | Ns::Undeclared => None,
        }
    }

    /// The child elements of `id`, in document order.
    pub(crate) fn children(&self, id: usize) -> Children<'_, 'a> {
        Children {
            doc: self,
            next: self.elements[id].first_child,
        }
    }

    pub(crate) fn has_children(&self, id: usize) -> bool {
        self.elements[id].first_child.is_some()
    }

    pub(crate) fn attrs(&self, id: usize) -> &[Attr<'a>] {
        let range = &self.elements[id].attrs;
        &self.attrs[range.start as usize..range.end as usize]
    }
}

/// Iterator over the children of one element (see [`Doc::children`]).
#[derive(Clone)]
pub(crate) struct Children<'d, 'a> {
    doc: &'d Doc<'a>,
    next: Option<NonZeroU32>,
}

impl Iterator for Children<'_, '_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let id = self.next?.get() as usize;
        self.next = self.doc.elements[id].next_sibling;
        Some(id)
    }
}

/// `part` as a slice of `src` when its bytes lie inside `src` (quick-xml hands out names and
/// values as slices of the input it reads, but only for as long as the event lives); otherwise a
/// copy. Only addresses are compared: the result is always sliced safely out of `src`.
pub(crate) fn borrow_from<'a>(src: &'a str, part: &str) -> Cow<'a, str> {
    let start = (part.as_ptr() as usize).wrapping_sub(src.as_ptr() as usize);
    match start
        .checked_add(part.len())
        .and_then(|end| src.get(start..end))
    {
        Some(s) if s.as_ptr() == part.as_ptr() => Cow::Borrowed(s),
        _ => Cow::Owned(part.to_string()),
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

/// The first [forbidden control](is_forbidden_control) character of `s` and its byte index.
/// Scans bytes: only a byte below 0x20 or the lead byte 0xEF (of U+FFFE, U+FFFF) can start one.
pub(crate) fn first_forbidden_control(s: &str) -> Option<(usize, char)> {
    // A pass without early exit compiles to vector code; almost every text ends here.
    let candidate = |b: u8| b < 0x20 || b == 0xEF;
    if !s.bytes().fold(false, |seen, b| seen | candidate(b)) {
        return None;
    }
    let mut from = 0;
    while let Some(i) = s.as_bytes()[from..].iter().position(|&b| candidate(b)) {
        let at = from + i;
        let c = s.get(at..)?.chars().next()?;
        if is_forbidden_control(c) {
            return Some((at, c));
        }
        from = at + 1;
    }
    None
}

/// Why `qname` is not an XML name (a subset of XML 1.0 §2.3 that catches real damage: empty
/// names, a leading digit or punctuation, markup characters, stray colons). Works on bytes in
/// one pass: in UTF-8 a byte below 0x80 is always a whole ASCII character, and only ASCII is
/// checked.
pub(crate) fn name_problem(qname: &str) -> Option<&'static str> {
    let first = *qname.as_bytes().first()?;
    if first.is_ascii_digit() || matches!(first, b'-' | b'.' | b':') {
        return Some("starts with a character a name cannot start with");
    }
    let (mut bad, mut colons) = (false, 0usize);
    for &b in qname.as_bytes() {
        bad |= !NAME_BYTE[b as usize];
        colons += usize::from(b == b':');
    }
    if bad {
        return Some("contains a character not allowed in names");
    }
    if colons > 1 || qname.ends_with(':') {
        return Some("misplaced ':'");
    }
    None
}

/// The bytes [`name_problem`] accepts in a name: ASCII letters, digits, `_-.:`, and every byte
/// of a non-ASCII character.
const NAME_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] =
            !c.is_ascii() || c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b':');
        b += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> (Doc<'_>, Option<XmlError>) {
        let mut quirks = crate::cwmp::quirk::Quirks::default();
        crate::cwmp::build::build(xml, 0, &mut quirks)
    }

    #[test]
    fn children_are_linked_in_document_order() {
        let (doc, err) = parse("<r><a><x/><y>1</y></a><b/>t<c><z/></c></r>");
        assert_eq!(err, None);
        let kids = |id| doc.children(id).collect::<Vec<_>>();
        assert_eq!(kids(0), vec![1, 4, 5]);
        assert_eq!(kids(1), vec![2, 3]);
        assert_eq!((kids(2), kids(4)), (vec![], vec![]));
        assert_eq!(kids(5), vec![6]);
        assert!(doc.has_children(5) && !doc.has_children(6));
        assert_eq!(doc.elements[0].text, "t");
    }

    #[test]
    fn plain_names_values_and_texts_are_borrowed_from_the_input() {
        let (doc, err) = parse(
            "<a:r xmlns:a='urn:x' k='v' e='&amp;'><b>plain</b><c>x&amp;y</c><d>a\r\nb</d></a:r>",
        );
        assert_eq!(err, None);
        let root = &doc.elements[0];
        assert!(matches!(root.qname, Cow::Borrowed("a:r")));
        let attrs = doc.attrs(0);
        assert_eq!(attrs.len(), 2, "the xmlns declaration is not an attribute");
        assert!(matches!(attrs[0].qname, Cow::Borrowed("k")));
        assert!(matches!(attrs[0].value, Cow::Borrowed("v")));
        assert!(matches!(&attrs[1].value, Cow::Owned(v) if v == "&"));
        assert!(matches!(doc.elements[1].text, Cow::Borrowed("plain")));
        assert!(matches!(&doc.elements[2].text, Cow::Owned(t) if t == "x&y"));
        assert!(matches!(&doc.elements[3].text, Cow::Owned(t) if t == "a\nb"));
    }

    #[test]
    fn names() {
        assert_eq!(name_problem("soap:Envelope"), None);
        assert_eq!(name_problem("X_ACME-Frob.2"), None);
        assert_eq!(name_problem("Élément"), None);
        assert!(name_problem("1a").is_some());
        assert!(name_problem(" Value=\"Value\"").is_some());
        assert!(name_problem("a:b:c").is_some());
        assert!(name_problem("a:").is_some());
        assert_eq!(
            name_problem(""),
            None,
            "quick-xml reports empty names itself"
        );
        assert_eq!(
            name_problem("a b:c:d"),
            Some("contains a character not allowed in names")
        );
        assert_eq!(
            name_problem(":a"),
            Some("starts with a character a name cannot start with")
        );
        assert_eq!(name_problem("ab:é:"), Some("misplaced ':'"));
        for b in 0..=127u8 {
            let name = format!("a{}", b as char);
            let allowed = b.is_ascii_alphanumeric() || "_-.:".contains(b as char);
            assert_eq!(name_problem(&name).is_none(), allowed && b != b':', "{b}");
        }
    }

    #[test]
    fn characters() {
        assert!(is_blank(" \t\r\n"));
        assert!(!is_blank("\u{a0}"));
        assert!(is_forbidden_control('\u{1}'));
        assert!(!is_forbidden_control('\t'));
        assert!(is_forbidden_control('\u{FFFF}'));
        assert_eq!(
            first_forbidden_control("ab\tc\u{FFFD}d\u{1F}"),
            Some((8, '\u{1F}'))
        );
        assert_eq!(first_forbidden_control("é\u{FFFE}"), Some((2, '\u{FFFE}')));
        assert_eq!(first_forbidden_control("\u{FFEF}\r\n\u{EFFF}"), None);
        for c in [
            '\0', '\u{1}', '\u{B}', '\t', 'A', '\u{FFFE}', '\u{FFFF}', '\u{FEFF}',
        ] {
            let s = format!("é{c}x");
            let slow = s.char_indices().find(|&(_, c)| is_forbidden_control(c));
            assert_eq!(first_forbidden_control(&s), slow, "{c:?}");
        }
    }

    #[test]
    fn slices_of_the_source_are_borrowed_others_copied() {
        let src = "<a>héllo</a>";
        assert!(matches!(
            borrow_from(src, &src[3..9]),
            Cow::Borrowed("héllo")
        ));
        assert!(matches!(borrow_from(src, &src[13..]), Cow::Borrowed("")));
        let copy = String::from("héllo");
        assert!(matches!(borrow_from(src, &copy), Cow::Owned(s) if s == "héllo"));
        assert!(matches!(borrow_from(&src[3..], &src[..4]), Cow::Owned(s) if s == "<a>h"));
    }

    #[test]
    fn namespace_lookup_and_local_names() {
        let doc = Doc {
            uris: vec!["urn:x".into()],
            ..Doc::default()
        };
        assert_eq!(doc.uri(Ns::Uri(0)), Some("urn:x"));
        assert_eq!(doc.uri(Ns::Uri(1)), None);
        assert_eq!(doc.uri(Ns::Undeclared), None);
        assert_eq!(local_part("SOAP-ENV:Body"), "Body");
        assert_eq!(local_part("Body"), "Body");
        assert_eq!(local_part("a:b:c"), "b:c");
        assert_eq!(local_part("é:"), "");
    }
}
