//! XML bytes → the element tree, driving quick-xml's `Reader` and `NamespaceResolver` with hard
//! caps.
//!
//! Takes the UTF-8 body (BOM already removed); gives a [`Doc`] (the elements read so far, even
//! when parsing stopped) and the first well-formedness error, if any (XML 1.0 §2.1, §2.8, §3;
//! Namespaces in XML §5). The SOAP meaning is read from the tree by `envelope.rs`.
//!
//! Invariants:
//! - Bounded work: nesting ≤ [`MAX_DEPTH`], elements ≤ [`MAX_ELEMENTS`], text per element ≤
//!   [`MAX_TEXT`] bytes, attributes per element ≤ [`MAX_ATTRIBUTES`]; exceeding a cap is an error
//!   at the offending offset. The loop is iterative; nothing recurses.
//! - Namespace scopes are kept in quick-xml's `NamespaceResolver` as its `NsReader` keeps them,
//!   with the same bindings and errors (see `attrs.rs`).
//! - quick-xml reports mismatched and unmatched end tags itself (`check_end_names`, on by
//!   default) but **not** end of input inside an open element, a missing or second root element,
//!   text outside the root, undeclared entities or bad element names: this module checks those.
//! - Undeclared prefixes are not errors (real stacks send them): the node gets
//!   [`Ns::Undeclared`](super::tree::Ns::Undeclared) and a [`Quirk::UndeclaredPrefix`].
//! - Element text is the unescaped character data directly inside the element (see `text.rs`).
//! - Names, attribute values and single-chunk texts that need no unescaping are borrowed from the
//!   input, not copied: a typical element costs no heap allocation (only the tree's few `Vec`s
//!   grow), which is what keeps a 25 KB Inform with 148 parameters cheap.

use std::borrow::Cow;
use std::collections::HashMap;
use std::num::NonZeroU32;

use quick_xml::Reader;
use quick_xml::errors::{Error, IllFormedError};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::NamespaceResolver;

use super::attrs::Resolved;
use super::quirk::{Quirk, Quirks};
use super::text::Raw;
use super::tree::{Doc, Element, XmlError, borrow_from, name_problem};

pub(crate) const MAX_DEPTH: usize = 64;
pub(crate) const MAX_ELEMENTS: usize = 200_000;
pub(crate) const MAX_TEXT: usize = 1 << 20;
pub(crate) const MAX_ATTRIBUTES: usize = 256;
/// Longest error message kept (messages quote names from the input).
pub(crate) const MAX_MESSAGE: usize = 200;

/// Builds the tree of `xml`; `base` is added to every offset (the length of a removed BOM).
pub(crate) fn build<'a>(
    xml: &'a str,
    base: u64,
    quirks: &mut Quirks,
) -> (Doc<'a>, Option<XmlError>) {
    // A CWMP body has about one element per 40 bytes; reserving for one per 32 (within the
    // caps) saves the growth copies without holding much more than the elements need.
    let doc = Doc {
        elements: Vec::with_capacity((xml.len() / 32).min(MAX_ELEMENTS)),
        attrs: Vec::with_capacity((xml.len() / 128).min(MAX_ELEMENTS)),
        uris: Vec::new(),
    };
    let mut builder = Builder {
        src: xml,
        doc,
        interned: HashMap::new(),
        resolved: Resolved::default(),
        stack: Vec::new(),
        root_closed: false,
        seen_decl: false,
        seen_doctype: false,
        base,
    };
    let error = builder.run(quirks).err();
    (builder.doc, error)
}

/// An element whose end tag has not been read: its index, its last child so far, and whether
/// it opened a namespace scope.
pub(super) struct Open {
    pub(super) id: usize,
    last_child: Option<NonZeroU32>,
    scoped: bool,
}

/// The tree being built. Attributes and namespaces are read in `attrs.rs`, character data and
/// references in `text.rs`.
pub(super) struct Builder<'a> {
    pub(super) src: &'a str,
    pub(super) doc: Doc<'a>,
    /// Namespace URI → index in `doc.uris`, once there are too many to scan.
    pub(super) interned: HashMap<String, u32>,
    pub(super) resolved: Resolved<'a>,
    pub(super) stack: Vec<Open>,
    pub(super) root_closed: bool,
    seen_decl: bool,
    pub(super) seen_doctype: bool,
    pub(super) base: u64,
}

impl<'a> Builder<'a> {
    fn run(&mut self, quirks: &mut Quirks) -> Result<(), XmlError> {
        let mut reader = Reader::from_reader(self.src.as_bytes());
        // Also rejects `--` inside comments, which XML 1.0 forbids.
        reader.config_mut().enable_all_checks(true);
        let mut scopes = NamespaceResolver::default();
        loop {
            let at = reader.buffer_position();
            let event = reader
                .read_event()
                .map_err(|e| self.reader_error(&reader, at, &e))?;
            match event {
                Event::Start(e) => {
                    let scoped = self.enter(&reader, &mut scopes, &e, at)?;
                    self.open(&scopes, &e, at, quirks, Some(scoped))?;
                }
                Event::Empty(e) => {
                    let scoped = self.enter(&reader, &mut scopes, &e, at)?;
                    self.open(&scopes, &e, at, quirks, None)?;
                    if scoped {
                        self.close_scope(&mut scopes);
                    }
                }
                Event::End(_) => {
                    if self.stack.pop().is_some_and(|open| open.scoped) {
                        self.close_scope(&mut scopes);
                    }
                    self.root_closed = self.stack.is_empty();
                }
                Event::Text(t) => self.text(Raw::of(&t), || t.xml10_content(), at, quirks)?,
                Event::CData(c) => self.text(Raw::of(&c), || c.xml10_content(), at, quirks)?,
                Event::GeneralRef(r) => self.reference(&r, at, quirks)?,
                Event::Decl(_) => self.declaration(at, quirks)?,
                Event::DocType(_) => {
                    if !self.doc.elements.is_empty() {
                        return Err(self.error(at, "DOCTYPE declaration after the root element"));
                    }
                    self.seen_doctype = true;
                    quirks.push(Quirk::DocType);
                }
                Event::PI(_) | Event::Comment(_) => {}
                Event::Eof => return self.finish(self.src.len()),
            }
        }
    }

    /// Adds the element of a start tag (`scoped`: whether it opened a namespace scope) or of an
    /// empty-element tag (`None`).
    fn open(
        &mut self,
        scopes: &NamespaceResolver,
        start: &BytesStart,
        at: u64,
        quirks: &mut Quirks,
        scoped: Option<bool>,
    ) -> Result<(), XmlError> {
        let qname: &str = start.name().0;
        if self.root_closed {
            return Err(self.error(
                at,
                format!("element <{qname}> after the end of the root element"),
            ));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.error(
                at,
                format!("elements nested deeper than {MAX_DEPTH} levels (cap)"),
            ));
        }
        if self.doc.elements.len() >= MAX_ELEMENTS {
            return Err(self.error(at, format!("more than {MAX_ELEMENTS} elements (cap)")));
        }
        if let Some(problem) = name_problem(qname) {
            return Err(self.error(at, format!("invalid element name <{qname}>: {problem}")));
        }
        let ns = self.element_ns(scopes, start.name(), quirks);
        // At most MAX_ATTRIBUTES per element and MAX_ELEMENTS elements: fits in u32.
        let first_attr = self.doc.attrs.len() as u32;
        self.attributes(scopes, start, qname, at, quirks)?;
        let id = self.doc.elements.len();
        self.doc.elements.push(Element {
            qname: borrow_from(self.src, qname),
            ns,
            attrs: first_attr..self.doc.attrs.len() as u32,
            text: Cow::Borrowed(""),
            first_child: None,
            next_sibling: None,
        });
        // Only the root has index 0, and the root is nobody's child or sibling.
        let link = NonZeroU32::new(id as u32);
        if let Some(parent) = self.stack.last_mut() {
            match parent.last_child {
                Some(prev) => self.doc.elements[prev.get() as usize].next_sibling = link,
                None => self.doc.elements[parent.id].first_child = link,
            }
            parent.last_child = link;
        }
        match scoped {
            Some(scoped) => self.stack.push(Open {
                id,
                last_child: None,
                scoped,
            }),
            None => self.root_closed = self.stack.is_empty(),
        }
        Ok(())
    }

    fn declaration(&mut self, at: u64, quirks: &mut Quirks) -> Result<(), XmlError> {
        if self.seen_decl || !self.doc.elements.is_empty() || self.seen_doctype {
            return Err(self.error(at, "XML declaration in the middle of the document"));
        }
        self.seen_decl = true;
        if at > 0 {
            quirks.push(Quirk::DeclarationNotAtStart {
                offset: self.base + at,
            });
        }
        Ok(())
    }

    fn finish(&self, len: usize) -> Result<(), XmlError> {
        match self.stack.last() {
            None if self.doc.elements.is_empty() => Err(self.error(
                len as u64,
                "end of input before any element (no root element)",
            )),
            None => Ok(()),
            Some(open) => Err(self.error(
                len as u64,
                format!(
                    "end of input inside <{}> ({} element(s) not closed)",
                    self.doc.elements[open.id].qname,
                    self.stack.len()
                ),
            )),
        }
    }

    pub(super) fn reader_error(&self, reader: &Reader<&[u8]>, at: u64, e: &Error) -> XmlError {
        // quick-xml points syntax and well-formedness errors at the offending markup; the
        // other kinds (namespace, attribute) belong to the event that started at `at`.
        let offset = match e {
            Error::Syntax(_) | Error::IllFormed(_) => reader.error_position(),
            _ => at,
        };
        let message = match e {
            Error::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
                format!("end tag </{found}> does not match the open element <{expected}>")
            }
            Error::IllFormed(IllFormedError::UnmatchedEndTag(tag)) => {
                format!("end tag </{tag}> has no matching start tag")
            }
            Error::Syntax(s) => s.to_string(),
            Error::IllFormed(i) => i.to_string(),
            other => other.to_string(),
        };
        self.error(offset, message)
    }

    /// The error at `offset`; the message is clipped to [`MAX_MESSAGE`] characters because it
    /// may quote names from the input.
    pub(super) fn error(&self, offset: u64, message: impl Into<String>) -> XmlError {
        let mut message = message.into();
        if let Some((cut, _)) = message.char_indices().nth(MAX_MESSAGE) {
            message.truncate(cut);
            message.push('…');
        }
        XmlError {
            offset: self.base + offset,
            message,
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::cwmp::tree::Ns;

    /// The tree of `xml`, the error that stopped it and the quirks met (also for `attrs`' tests).
    pub(in crate::cwmp) fn parse(xml: &str) -> (Doc<'_>, Option<XmlError>, Vec<Quirk>) {
        let mut q = Quirks::default();
        let (doc, err) = build(xml, 0, &mut q);
        (doc, err, q.into_vec())
    }

    #[test]
    fn builds_elements_namespaces_and_text() {
        let (doc, err, quirks) =
            parse(r#"<a:r xmlns:a="urn:x"><b k="v &amp; w">x &lt; y<![CDATA[<z>]]></b><c/></a:r>"#);
        assert_eq!(err, None);
        assert!(quirks.is_empty());
        assert_eq!(doc.elements.len(), 3);
        assert_eq!(doc.uri(doc.elements[0].ns), Some("urn:x"));
        assert_eq!(doc.elements[0].local(), "r");
        assert_eq!(doc.children(0).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(doc.elements[1].text, "x < y<z>");
        assert_eq!(doc.attrs(1)[0].value, "v & w");
        assert_eq!(doc.elements[2].ns, Ns::None);
    }

    #[test]
    fn namespace_scopes_close_with_their_element() {
        let xml = "<r xmlns='urn:r'><a xmlns:p='urn:p'><p:x/><b xmlns='urn:b'><y/></b><z/></a><p:w/><v k='xmlns'/></r>";
        let (doc, err, quirks) = parse(xml);
        assert_eq!(err, None);
        let uri = |id: usize| doc.uri(doc.elements[id].ns);
        let names: Vec<_> = (0..doc.elements.len())
            .map(|id| (doc.elements[id].local(), uri(id)))
            .collect();
        assert_eq!(
            names,
            [
                ("r", Some("urn:r")),
                ("a", Some("urn:r")),
                ("x", Some("urn:p")),
                ("b", Some("urn:b")),
                ("y", Some("urn:b")),
                ("z", Some("urn:r")),
                ("w", None),
                ("v", Some("urn:r")),
            ]
        );
        assert_eq!(quirks, vec![Quirk::UndeclaredPrefix { prefix: "p".into() }]);
    }

    #[test]
    fn undeclared_prefix_is_a_quirk_not_an_error() {
        let (doc, err, quirks) = parse("<SOAP-ENV:Envelope><x xsi:type='t'/></SOAP-ENV:Envelope>");
        assert_eq!(err, None);
        assert_eq!(doc.elements[0].ns, Ns::Undeclared);
        assert_eq!(doc.attrs(1)[0].ns, Ns::Undeclared);
        assert!(quirks.contains(&Quirk::UndeclaredPrefix {
            prefix: "SOAP-ENV".into()
        }));
        assert!(quirks.contains(&Quirk::UndeclaredPrefix {
            prefix: "xsi".into()
        }));
    }

    #[test]
    fn well_formedness_errors_with_offsets() {
        let many_attrs: String = (0..=MAX_ATTRIBUTES).map(|n| format!(" a{n}='v'")).collect();
        let many_attrs = format!("<r{many_attrs}/>");
        let cases: &[(&str, u64, &str)] = &[
            (
                "<a><b></a>",
                6,
                "end tag </a> does not match the open element <b>",
            ),
            ("<a/></b>", 4, "end tag </b> has no matching start tag"),
            (
                "<a><b>text",
                10,
                "end of input inside <b> (2 element(s) not closed)",
            ),
            (
                "<!-- c -->",
                10,
                "end of input before any element (no root element)",
            ),
            (
                "<a/>\n<a/>",
                5,
                "element <a> after the end of the root element",
            ),
            ("<a/>junk", 4, "text after the root element"),
            ("<a><!-- never closed", 3, "comment not closed"),
            ("<a><!-- a -- b --></a>", 10, "`--`"),
            ("<a b=1/>", 0, "attribute value must be enclosed"),
            ("<a b='1' b='2'/>", 0, "duplicated attribute"),
            ("<a>AT&T</a>", 5, "not closed"),
            ("<a>&nbsp;</a>", 3, "undeclared entity &nbsp;"),
            ("<a>&#0;</a>", 3, "not permitted"),
            ("<1a/>", 0, "invalid element name <1a>"),
            ("<a></ b=\"c\">", 3, "does not match"),
            (
                "<a><?xml version='1.0'?></a>",
                3,
                "XML declaration in the middle",
            ),
            (&many_attrs, 0, "more than 256 attributes on <r> (cap)"),
            (
                &format!("<{}:x:y/>", "n".repeat(500)),
                0,
                "invalid element name <nnn",
            ),
        ];
        for &(xml, offset, fragment) in cases {
            let e = parse(xml).1.unwrap_or_else(|| panic!("no error for {xml}"));
            assert!(
                e.message.chars().count() <= MAX_MESSAGE + 1,
                "{}",
                e.message
            );
            assert!(e.message.contains(fragment), "{xml}: {}", e.message);
            assert_eq!(e.offset, offset, "{xml}: {}", e.message);
        }
    }

    #[test]
    fn declaration_placement() {
        let (_, err, quirks) = parse("\n<?xml version='1.0'?><a/>");
        assert_eq!(err, None);
        assert_eq!(quirks, vec![Quirk::DeclarationNotAtStart { offset: 1 }]);
    }

    #[test]
    fn base_offset_is_added() {
        let mut q = Quirks::default();
        let (_, err) = build("<a></b>", 3, &mut q);
        assert_eq!(err.map(|e| e.offset), Some(6));
    }
}
