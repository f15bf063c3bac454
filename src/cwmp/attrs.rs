//! Start-tag attributes and namespace names → the tree's [`Attr`] list and [`Ns`] values.
//!
//! Takes one start tag from quick-xml and the namespace scopes in force (its
//! `NamespaceResolver`); gives the tag's attributes, appended to [`Doc::attrs`](super::tree::Doc)
//! with their values normalised (XML 1.0 §3.3.3) and their namespaces (Namespaces in XML §5: an
//! unprefixed attribute is in no namespace), and the [`Ns`] of any resolved name, interning
//! each namespace URI once per document. This is the attribute half of `build.rs`'s builder.
//!
//! Invariants:
//! - Namespace scopes are kept in quick-xml's `NamespaceResolver` as its `NsReader` keeps them
//!   (same bindings, same errors), except that only a start tag whose attribute text contains
//!   `xmlns` opens a scope: the others declare nothing, so reading their attributes for the
//!   resolver and opening an empty scope would change no resolution. The resolver's level then
//!   counts declaring ancestors only, far below its limit (`u16::MAX`) under `MAX_DEPTH`.
//! - Namespace declarations (`xmlns`, `xmlns:p`) are scopes, not attributes of the tree.
//! - At most [`MAX_ATTRIBUTES`] per element and values of at most [`MAX_TEXT`] bytes; beyond,
//!   an error at the tag's offset.
//! - What is read, and every error and its message, is what quick-xml's checked attribute
//!   iterator gives. Most tags are read with its unchecked iterator instead, which does not
//!   allocate the list of names it checks for repeats: that path takes a tag only while it has
//!   at most [`FAST_ATTRIBUTES`] attributes, no error and no repeated name — exactly the tags on
//!   which the two iterators agree (the checked one tests a name before reading its value) —
//!   and anything else is read again, from its first attribute, by the checked iterator. What the
//!   abandoned pass added is removed. The quirks it pushed are pushed again in the same order
//!   when the second pass reads the whole tag ([`Quirks`] keeps one of each); when that pass
//!   stops at an error, the outcome is `Malformed`, which carries no quirks.

use std::borrow::Cow;

use quick_xml::errors::Error;
use quick_xml::events::BytesStart;
use quick_xml::events::attributes::Attribute;
use quick_xml::name::{NamespaceResolver, QName, ResolveResult};
use quick_xml::{Reader, XmlVersion};

use super::build::{Builder, MAX_ATTRIBUTES, MAX_TEXT};
use super::quirk::{Quirk, Quirks};
use super::tree::{Attr, Ns, XmlError, borrow_from, is_blank};

/// Most attributes a tag may have to be read by the unchecked iterator (a CWMP element has
/// none or one; the Envelope a few namespace declarations).
pub(crate) const FAST_ATTRIBUTES: usize = 8;
/// Resolutions that stay valid while no namespace scope opens or closes.
#[derive(Default)]
pub(super) struct Resolved<'a> {
    /// The namespace of unprefixed element names.
    unprefixed: Option<Ns>,
    /// The last attribute prefix resolved to a declared namespace (or none), and its namespace.
    attribute: Option<(Cow<'a, str>, Ns)>,
}

/// Up to this many distinct namespace URIs are looked up by a scan (a SOAP message has a
/// handful); beyond it, a map keeps hostile input with thousands of URIs linear.
const SCANNED_URIS: usize = 8;

impl<'a> Builder<'a> {
    /// Opens the namespace scope of a start tag that may declare namespaces, with
    /// `NamespaceResolver::push` as `NsReader` does; says whether it opened one.
    pub(super) fn enter(
        &mut self,
        reader: &Reader<&[u8]>,
        scopes: &mut NamespaceResolver,
        start: &BytesStart,
        at: u64,
    ) -> Result<bool, XmlError> {
        let raw = start.attributes_raw().as_bytes();
        if !raw.windows(5).any(|w| w == b"xmlns") {
            return Ok(false);
        }
        self.resolved = Resolved::default();
        scopes
            .push(start)
            .map_err(|e| self.reader_error(reader, at, &Error::Namespace(e)))?;
        Ok(true)
    }

    /// Closes the scope opened by [`Self::enter`].
    pub(super) fn close_scope(&mut self, scopes: &mut NamespaceResolver) {
        self.resolved = Resolved::default();
        scopes.pop();
    }

    /// The namespace of an element name. An unprefixed name resolves to the default namespace
    /// in scope, the same for every element until a scope opens or closes.
    pub(super) fn element_ns(
        &mut self,
        scopes: &NamespaceResolver,
        name: QName,
        quirks: &mut Quirks,
    ) -> Ns {
        let unprefixed = !name.0.contains(':');
        if let (true, Some(ns)) = (unprefixed, self.resolved.unprefixed) {
            return ns;
        }
        let ns = self.ns(scopes.resolve_element(name).0, quirks);
        if unprefixed {
            self.resolved.unprefixed = Some(ns);
        }
        ns
    }

    /// The namespace of an attribute name: none without a prefix (Namespaces in XML §6.2); the
    /// last prefix resolved is remembered until a scope opens or closes (`xsi:type` on every
    /// Value). Undeclared prefixes are resolved each time, so that each gets its quirk.
    fn attribute_ns(&mut self, scopes: &NamespaceResolver, key: QName, quirks: &mut Quirks) -> Ns {
        let Some(colon) = key.0.find(':') else {
            return Ns::None;
        };
        let prefix = &key.0[..colon];
        if let Some((last, ns)) = &self.resolved.attribute
            && last == prefix
        {
            return *ns;
        }
        let ns = self.ns(scopes.resolve_attribute(key).0, quirks);
        if ns != Ns::Undeclared {
            self.resolved.attribute = Some((borrow_from(self.src, prefix), ns));
        }
        ns
    }

    /// Appends the attributes of `start` (named `qname`, at offset `at`) to the tree.
    pub(super) fn attributes(
        &mut self,
        scopes: &NamespaceResolver,
        start: &BytesStart,
        qname: &str,
        at: u64,
        quirks: &mut Quirks,
    ) -> Result<(), XmlError> {
        // Both iterators give nothing for blank attribute text: not creating one saves its
        // setup on the elements without attributes, nearly all of them.
        if is_blank(start.attributes_raw()) {
            return Ok(());
        }
        let first = self.doc.attrs.len();
        if self.attributes_unchecked(scopes, start, qname, at, quirks)? {
            return Ok(());
        }
        self.doc.attrs.truncate(first);
        for (n, attr) in start.attributes().enumerate() {
            if n >= MAX_ATTRIBUTES {
                return Err(self.error(
                    at,
                    format!("more than {MAX_ATTRIBUTES} attributes on <{qname}> (cap)"),
                ));
            }
            let attr = attr.map_err(|e| self.error(at, format!("in <{qname}>: {e}")))?;
            self.attribute(scopes, &attr, qname, at, quirks)?;
        }
        Ok(())
    }

    /// The unchecked pass: `Ok(false)` when the tag has to be read by the checked iterator.
    fn attributes_unchecked(
        &mut self,
        scopes: &NamespaceResolver,
        start: &BytesStart,
        qname: &str,
        at: u64,
        quirks: &mut Quirks,
    ) -> Result<bool, XmlError> {
        let mut names = [""; FAST_ATTRIBUTES];
        let mut attributes = start.attributes();
        for (n, attr) in attributes.with_checks(false).enumerate() {
            let Ok(attr) = attr else {
                return Ok(false);
            };
            if n >= FAST_ATTRIBUTES || names[..n].contains(&attr.key.0) {
                return Ok(false);
            }
            names[n] = attr.key.0;
            self.attribute(scopes, &attr, qname, at, quirks)?;
        }
        Ok(true)
    }

    /// Appends one attribute read from the tag (a namespace declaration is skipped).
    fn attribute(
        &mut self,
        scopes: &NamespaceResolver,
        attr: &Attribute,
        qname: &str,
        at: u64,
        quirks: &mut Quirks,
    ) -> Result<(), XmlError> {
        if attr.key.as_namespace_binding().is_some() {
            return Ok(());
        }
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| {
                let key = attr.key.as_ref();
                self.error(at, format!("attribute {key} of <{qname}>: {e}"))
            })?;
        if value.len() > MAX_TEXT {
            return Err(self.error(
                at,
                format!("attribute value in <{qname}> longer than {MAX_TEXT} bytes (cap)"),
            ));
        }
        let ns = self.attribute_ns(scopes, attr.key, quirks);
        let value = match value {
            Cow::Borrowed(v) => borrow_from(self.src, v),
            Cow::Owned(v) => Cow::Owned(v),
        };
        self.doc.attrs.push(Attr {
            qname: borrow_from(self.src, attr.key.0),
            ns,
            value,
        });
        Ok(())
    }

    /// The [`Ns`] of a resolved name; an undeclared prefix is a quirk.
    pub(super) fn ns(&mut self, resolved: ResolveResult, quirks: &mut Quirks) -> Ns {
        match resolved {
            ResolveResult::Unbound => Ns::None,
            ResolveResult::Unknown(prefix) => {
                quirks.push(Quirk::UndeclaredPrefix { prefix });
                Ns::Undeclared
            }
            ResolveResult::Bound(uri) => Ns::Uri(self.intern(uri.0)),
        }
    }

    fn intern(&mut self, uri: &str) -> u32 {
        let uris = &mut self.doc.uris;
        // URIs come from xmlns declarations, at most 128 in scope per element and
        // MAX_ELEMENTS elements, so the index fits in u32.
        let known = if uris.len() <= SCANNED_URIS {
            uris.iter().position(|u| u == uri).map(|i| i as u32)
        } else {
            self.interned.get(uri).copied()
        };
        if let Some(i) = known {
            return i;
        }
        let i = uris.len() as u32;
        uris.push(uri.to_string());
        if uris.len() > SCANNED_URIS {
            if self.interned.is_empty() {
                let all = uris.iter().enumerate();
                self.interned = all.map(|(n, u)| (u.clone(), n as u32)).collect();
            } else {
                self.interned.insert(uri.to_string(), i);
            }
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cwmp::build::tests::parse;

    fn tag(attributes: &[String]) -> String {
        format!("<r {}/>", attributes.join(" "))
    }

    #[test]
    fn both_passes_read_the_same_attributes() {
        for count in [1, FAST_ATTRIBUTES, FAST_ATTRIBUTES + 1, 40] {
            let attributes: Vec<_> = (0..count).map(|n| format!("p{n}:a{n}='v{n}'")).collect();
            let xml = tag(&attributes);
            let (doc, err, quirks) = parse(&xml);
            assert_eq!(err, None);
            let read: Vec<_> = doc
                .attrs(0)
                .iter()
                .map(|a| (&*a.qname, &*a.value))
                .collect();
            let expected: Vec<_> = (0..count)
                .map(|n| (format!("p{n}:a{n}"), format!("v{n}")))
                .collect();
            let expected: Vec<_> = expected
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert_eq!(read, expected, "{count} attributes");
            let prefixes: Vec<_> = quirks
                .iter()
                .map(|q| match q {
                    Quirk::UndeclaredPrefix { prefix } => prefix.clone(),
                    other => panic!("{other:?}"),
                })
                .collect();
            let wanted: Vec<_> = (0..count.min(crate::cwmp::MAX_QUIRKS))
                .map(|n| format!("p{n}"))
                .collect();
            assert_eq!(
                prefixes, wanted,
                "one quirk per prefix, in order ({count} attributes)"
            );
        }
    }

    #[test]
    fn repeated_names_are_reported_by_the_checked_iterator() {
        let message = |xml: &str| parse(xml).1.map(|e| (e.offset, e.message));
        let duplicated =
            "in <r>: position 8: duplicated attribute, previous declaration at position 2";
        assert_eq!(message("<r a='1' a=2/>"), Some((0, duplicated.to_string())));
        assert_eq!(
            message("<r a='1' a='2'/>"),
            Some((0, duplicated.to_string()))
        );
        let mut nine: Vec<_> = (0..FAST_ATTRIBUTES).map(|n| format!("a{n}='v'")).collect();
        nine.push("a0='w'".into());
        let e = message(&tag(&nine)).expect("an error");
        assert!(e.1.contains("duplicated attribute"), "{}", e.1);
        assert_eq!(
            message("<r xmlns:p='u' xmlns:p='v'/>").map(|e| e.1),
            Some(
                "in <r>: position 14: duplicated attribute, previous declaration at position 2"
                    .into()
            )
        );
    }

    #[test]
    fn declarations_are_not_attributes_and_values_are_normalised() {
        let (doc, err, _) = parse("<r xmlns:x='urn:x' x:a='1&amp;2' b='c\td'/>");
        assert_eq!(err, None);
        let attrs = doc.attrs(0);
        assert_eq!(attrs.len(), 2);
        assert_eq!(
            (attrs[0].value.as_ref(), doc.uri(attrs[0].ns)),
            ("1&2", Some("urn:x"))
        );
        assert_eq!((attrs[1].value.as_ref(), attrs[1].ns), ("c d", Ns::None));
    }

    #[test]
    fn remembered_prefixes_are_forgotten_when_a_scope_closes() {
        let xml = "<r xmlns:p='urn:1'><a p:x='1'/><b xmlns:p='urn:2' p:x='2'/><c p:x='3'/><d xmlns:p=''><e p:x='4'/></d><f p:x='5' x='6'/></r>";
        let (doc, err, quirks) = parse(xml);
        assert_eq!(err, None);
        let attr_uri = |id: usize| doc.attrs(id).first().and_then(|a| doc.uri(a.ns));
        let read: Vec<_> = [1, 2, 3, 5, 6].into_iter().map(attr_uri).collect();
        assert_eq!(
            read,
            [
                Some("urn:1"),
                Some("urn:2"),
                Some("urn:1"),
                None,
                Some("urn:1")
            ]
        );
        assert_eq!(doc.attrs(5)[0].ns, Ns::Undeclared);
        assert_eq!(doc.attrs(6)[1].ns, Ns::None);
        assert_eq!(quirks, vec![Quirk::UndeclaredPrefix { prefix: "p".into() }]);
    }

    #[test]
    fn many_namespace_uris_are_interned_once_each() {
        let decls: String = (0..20)
            .map(|n| format!("<p:e{n} xmlns:p='urn:{n}'/>"))
            .collect();
        let xml = format!("<r>{decls}{decls}<q:x xmlns:q='urn:3'/></r>");
        let (doc, err, _) = parse(&xml);
        assert_eq!(err, None);
        assert_eq!(doc.uris.len(), 20);
        assert_eq!(doc.elements[1].ns, doc.elements[21].ns);
        assert_eq!(doc.elements[41].ns, Ns::Uri(3));
        assert_eq!(doc.uri(doc.elements[40].ns), Some("urn:19"));
    }
}
