//! XML bytes → the element tree, driving quick-xml's `NsReader` with hard caps.
//!
//! Takes the UTF-8 body (BOM already removed); gives a [`Doc`] (the elements read so far, even
//! when parsing stopped) and the first well-formedness error, if any (XML 1.0 §2.1, §2.8, §3;
//! Namespaces in XML §5). The SOAP meaning is read from the tree by `envelope.rs`.
//!
//! Invariants:
//! - Bounded work: nesting ≤ [`MAX_DEPTH`], elements ≤ [`MAX_ELEMENTS`], text per element ≤
//!   [`MAX_TEXT`] bytes, attributes per element ≤ [`MAX_ATTRIBUTES`]; exceeding a cap is an error
//!   at the offending offset. The loop is iterative; nothing recurses.
//! - quick-xml reports mismatched and unmatched end tags itself (`check_end_names`, on by
//!   default) but **not** end of input inside an open element, a missing or second root element,
//!   text outside the root, undeclared entities or bad element names: this module checks those.
//! - Undeclared prefixes are not errors (real stacks send them): the node gets
//!   [`Ns::Undeclared`] and a [`Quirk::UndeclaredPrefix`].
//! - Element text is the unescaped character data directly inside the element; whitespace-only
//!   text before any other content is dropped (scalars are trimmed anyway).

use std::collections::HashMap;

use quick_xml::NsReader;
use quick_xml::XmlVersion;
use quick_xml::errors::{Error, IllFormedError};
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::ResolveResult;

use super::quirk::{Quirk, Quirks};
use super::tree::{Attr, Doc, Element, Ns, XmlError, is_blank, is_forbidden_control, name_problem};

pub(crate) const MAX_DEPTH: usize = 64;
pub(crate) const MAX_ELEMENTS: usize = 200_000;
pub(crate) const MAX_TEXT: usize = 1 << 20;
pub(crate) const MAX_ATTRIBUTES: usize = 256;
/// Longest error message kept (messages quote names from the input).
pub(crate) const MAX_MESSAGE: usize = 200;

/// Builds the tree of `xml`; `base` is added to every offset (the length of a removed BOM).
pub(crate) fn build(xml: &[u8], base: u64, quirks: &mut Quirks) -> (Doc, Option<XmlError>) {
    let mut builder = Builder {
        base,
        ..Builder::default()
    };
    let error = builder.run(xml, quirks).err();
    (builder.doc, error)
}

#[derive(Default)]
struct Builder {
    doc: Doc,
    interned: HashMap<String, u32>,
    stack: Vec<usize>,
    root_closed: bool,
    seen_decl: bool,
    seen_doctype: bool,
    base: u64,
}

impl Builder {
    fn run(&mut self, xml: &[u8], quirks: &mut Quirks) -> Result<(), XmlError> {
        let mut reader = NsReader::from_reader(xml);
        // Also rejects `--` inside comments, which XML 1.0 forbids.
        reader.config_mut().enable_all_checks(true);
        loop {
            let at = reader.buffer_position();
            let event = reader
                .read_event()
                .map_err(|e| self.reader_error(&reader, at, &e))?;
            match event {
                Event::Start(e) => self.open(&reader, &e, at, quirks, true)?,
                Event::Empty(e) => self.open(&reader, &e, at, quirks, false)?,
                Event::End(_) => {
                    self.stack.pop();
                    self.root_closed = self.stack.is_empty();
                }
                Event::Text(t) => self.text(&t, &t.xml10_content(), at, quirks)?,
                Event::CData(c) => self.text(&c, &c.xml10_content(), at, quirks)?,
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
                Event::Eof => return self.finish(xml.len()),
            }
        }
    }

    fn open(
        &mut self,
        reader: &NsReader<&[u8]>,
        start: &BytesStart,
        at: u64,
        quirks: &mut Quirks,
        has_end: bool,
    ) -> Result<(), XmlError> {
        let qname = start.name().as_ref().to_string();
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
        if let Some(problem) = name_problem(&qname) {
            return Err(self.error(at, format!("invalid element name <{qname}>: {problem}")));
        }
        let (resolved, _) = reader.resolver().resolve_element(start.name());
        let ns = self.ns(resolved, quirks);
        let mut attrs = Vec::new();
        for (n, attr) in start.attributes().enumerate() {
            if n >= MAX_ATTRIBUTES {
                return Err(self.error(
                    at,
                    format!("more than {MAX_ATTRIBUTES} attributes on <{qname}> (cap)"),
                ));
            }
            let attr = attr.map_err(|e| self.error(at, format!("in <{qname}>: {e}")))?;
            if attr.key.as_namespace_binding().is_some() {
                continue;
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
            let (resolved, _) = reader.resolver().resolve_attribute(attr.key);
            let ns = self.ns(resolved, quirks);
            let qname = attr.key.as_ref().to_string();
            attrs.push(Attr {
                qname,
                ns,
                value: value.into_owned(),
            });
        }
        let id = self.doc.elements.len();
        let children = Vec::new();
        let text = String::new();
        self.doc.elements.push(Element {
            qname,
            ns,
            attrs,
            text,
            children,
        });
        if let Some(&parent) = self.stack.last() {
            self.doc.elements[parent].children.push(id);
        }
        if has_end {
            self.stack.push(id);
        } else {
            self.root_closed = self.stack.is_empty();
        }
        Ok(())
    }

    fn ns(&mut self, resolved: ResolveResult, quirks: &mut Quirks) -> Ns {
        match resolved {
            ResolveResult::Unbound => Ns::None,
            ResolveResult::Unknown(prefix) => {
                quirks.push(Quirk::UndeclaredPrefix { prefix });
                Ns::Undeclared
            }
            ResolveResult::Bound(uri) => {
                if let Some(&i) = self.interned.get(uri.0) {
                    return Ns::Uri(i);
                }
                // URIs come from xmlns declarations, at most 128 in scope per element and
                // MAX_ELEMENTS elements, so the index fits in u32.
                let i = self.doc.uris.len() as u32;
                self.doc.uris.push(uri.0.to_string());
                self.interned.insert(uri.0.to_string(), i);
                Ns::Uri(i)
            }
        }
    }

    /// `raw` is the text as read (for the size check before any copy), `text` the unescaped form.
    fn text(
        &mut self,
        raw: &str,
        text: &str,
        at: u64,
        quirks: &mut Quirks,
    ) -> Result<(), XmlError> {
        let Some(&top) = self.stack.last() else {
            if is_blank(raw) {
                return Ok(());
            }
            let place = if self.root_closed { "after" } else { "before" };
            return Err(self.error(at, format!("text {place} the root element")));
        };
        let element = &self.doc.elements[top];
        if element.text.is_empty() && is_blank(raw) {
            return Ok(());
        }
        if element.text.len().saturating_add(raw.len()) > MAX_TEXT {
            return Err(self.error(
                at,
                format!(
                    "text of <{}> longer than {MAX_TEXT} bytes (cap)",
                    element.qname
                ),
            ));
        }
        if let Some((pos, c)) = text.char_indices().find(|&(_, c)| is_forbidden_control(c)) {
            let offset = self.base + at + pos as u64;
            let element = element.qname.clone();
            quirks.push(Quirk::ControlCharacter {
                element,
                code: c as u32,
                offset,
            });
        }
        self.doc.elements[top].text.push_str(text);
        Ok(())
    }

    fn reference(&mut self, r: &BytesRef, at: u64, quirks: &mut Quirks) -> Result<(), XmlError> {
        let name: &str = r;
        let expanded = match r.resolve_char_ref() {
            Ok(Some(c)) => c.to_string(),
            Err(e) => return Err(self.error(at, format!("&{name};: {e}"))),
            Ok(None) => match resolve_predefined_entity(name) {
                Some(s) => s.to_string(),
                // Entities declared in a DTD are never expanded: that is what keeps
                // billion-laughs style input harmless.
                None if self.seen_doctype => {
                    quirks.push(Quirk::UnexpandedEntity {
                        name: name.to_string(),
                    });
                    format!("&{name};")
                }
                None => return Err(self.error(at, format!("undeclared entity &{name};"))),
            },
        };
        self.text(&expanded, &expanded, at, quirks)
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
            Some(&open) => Err(self.error(
                len as u64,
                format!(
                    "end of input inside <{}> ({} element(s) not closed)",
                    self.doc.elements[open].qname,
                    self.stack.len()
                ),
            )),
        }
    }

    fn reader_error(&self, reader: &NsReader<&[u8]>, at: u64, e: &Error) -> XmlError {
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
    fn error(&self, offset: u64, message: impl Into<String>) -> XmlError {
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
mod tests {
    use super::*;

    fn parse(xml: &str) -> (Doc, Option<XmlError>, Vec<Quirk>) {
        let mut q = Quirks::default();
        let (doc, err) = build(xml.as_bytes(), 0, &mut q);
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
        assert_eq!(doc.elements[0].children, vec![1, 2]);
        assert_eq!(doc.elements[1].text, "x < y<z>");
        assert_eq!(doc.elements[1].attrs[0].value, "v & w");
        assert_eq!(doc.elements[2].ns, Ns::None);
    }

    #[test]
    fn char_references_and_crlf_are_normalised() {
        let (doc, err, _) = parse("<a>&#65;&#x42;\r\nc</a>");
        assert_eq!(err, None);
        assert_eq!(doc.elements[0].text, "AB\nc");
    }

    #[test]
    fn undeclared_prefix_is_a_quirk_not_an_error() {
        let (doc, err, quirks) = parse("<SOAP-ENV:Envelope><x xsi:type='t'/></SOAP-ENV:Envelope>");
        assert_eq!(err, None);
        assert_eq!(doc.elements[0].ns, Ns::Undeclared);
        assert_eq!(doc.elements[1].attrs[0].ns, Ns::Undeclared);
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
    fn control_characters_become_one_quirk() {
        let (doc, err, quirks) = parse("<a>x\u{1}y\u{2}</a>");
        assert_eq!(err, None);
        assert_eq!(doc.elements[0].text, "x\u{1}y\u{2}");
        assert_eq!(quirks.len(), 1);
        assert!(matches!(
            quirks[0],
            Quirk::ControlCharacter {
                code: 1,
                offset: 4,
                ..
            }
        ));
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
        let (_, err) = build(b"<a></b>", 3, &mut q);
        assert_eq!(err.map(|e| e.offset), Some(6));
    }
}
