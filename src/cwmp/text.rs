//! Character data and references → element text.
//!
//! Takes the text, CDATA and reference events of quick-xml's reader; gives the text of the
//! element they are in: CDATA as is, line ends normalised (XML 1.0 §2.11), character references
//! and the five predefined entities expanded (§4.1, §4.6), control characters that XML 1.0 §2.2
//! forbids kept but reported as a [`Quirk::ControlCharacter`]. This is the text half of
//! `build.rs`'s builder.
//!
//! Invariants:
//! - Text outside the root element is an error unless it is whitespace; whitespace-only text
//!   before any other content of an element is dropped (scalars are trimmed anyway).
//! - An element's text is at most [`MAX_TEXT`] bytes, checked on the text as read before any
//!   copy; beyond, an error at the chunk's offset.
//! - One chunk that needs no unescaping stays a slice of the input; a second chunk makes the
//!   text an owned string. Entities declared in a DTD are never expanded.

use std::borrow::Cow;

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::BytesRef;

use super::build::{Builder, MAX_TEXT};
use super::quirk::{Quirk, Quirks};
use super::tree::{XmlError, first_forbidden_control, is_blank};

/// What the text checks need of a text chunk as read (before unescaping).
#[derive(Clone, Copy)]
pub(super) struct Raw {
    len: usize,
    blank: bool,
}

impl Raw {
    pub(super) fn of(raw: &str) -> Self {
        Raw {
            len: raw.len(),
            blank: is_blank(raw),
        }
    }
}

impl<'a> Builder<'a> {
    /// `raw` describes the text as read (for the checks before any copy), `unescape` gives the
    /// unescaped form; it is not called for the whitespace between elements, which is dropped.
    pub(super) fn text(
        &mut self,
        raw: Raw,
        unescape: impl FnOnce() -> Cow<'a, str>,
        at: u64,
        quirks: &mut Quirks,
    ) -> Result<(), XmlError> {
        let Some(top) = self.stack.last().map(|open| open.id) else {
            if raw.blank {
                return Ok(());
            }
            let place = if self.root_closed { "after" } else { "before" };
            return Err(self.error(at, format!("text {place} the root element")));
        };
        let element = &self.doc.elements[top];
        if element.text.is_empty() && raw.blank {
            return Ok(());
        }
        if element.text.len().saturating_add(raw.len) > MAX_TEXT {
            return Err(self.error(
                at,
                format!(
                    "text of <{}> longer than {MAX_TEXT} bytes (cap)",
                    element.qname
                ),
            ));
        }
        let text = unescape();
        if let Some((pos, c)) = first_forbidden_control(&text) {
            let offset = self.base + at + pos as u64;
            let element = element.qname.to_string();
            quirks.push(Quirk::ControlCharacter {
                element,
                code: c as u32,
                offset,
            });
        }
        let kept = &mut self.doc.elements[top].text;
        if kept.is_empty() {
            *kept = text;
        } else {
            kept.to_mut().push_str(&text);
        }
        Ok(())
    }

    pub(super) fn reference(
        &mut self,
        r: &BytesRef,
        at: u64,
        quirks: &mut Quirks,
    ) -> Result<(), XmlError> {
        let name: &str = r;
        let expanded: Cow<'a, str> = match r.resolve_char_ref() {
            Ok(Some(c)) => Cow::Owned(c.to_string()),
            Err(e) => return Err(self.error(at, format!("&{name};: {e}"))),
            Ok(None) => match resolve_predefined_entity(name) {
                Some(s) => Cow::Borrowed(s),
                // Entities declared in a DTD are never expanded: that is what keeps
                // billion-laughs style input harmless.
                None if self.seen_doctype => {
                    quirks.push(Quirk::UnexpandedEntity {
                        name: name.to_string(),
                    });
                    Cow::Owned(format!("&{name};"))
                }
                None => return Err(self.error(at, format!("undeclared entity &{name};"))),
            },
        };
        self.text(Raw::of(&expanded), || expanded, at, quirks)
    }
}

#[cfg(test)]
mod tests {
    use crate::cwmp::build::build;
    use crate::cwmp::quirk::{Quirk, Quirks};
    use crate::cwmp::tree::Doc;

    fn parse(xml: &str) -> (Doc<'_>, Option<String>, Vec<Quirk>) {
        let mut q = Quirks::default();
        let (doc, err) = build(xml, 0, &mut q);
        (doc, err.map(|e| e.message), q.into_vec())
    }

    #[test]
    fn char_references_and_crlf_are_normalised() {
        let (doc, err, _) = parse("<a>&#65;&#x42;\r\nc</a>");
        assert_eq!(err, None);
        assert_eq!(doc.elements[0].text, "AB\nc");
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
    fn chunks_are_joined_and_leading_whitespace_dropped() {
        let (doc, err, _) = parse("<a>\n <b/> x <![CDATA[<y>]]>&amp;<c/>z\n</a>");
        assert_eq!(err, None);
        assert_eq!(doc.elements[0].text, " x <y>&z\n");
        let (doc, _, _) = parse("<a>&#32;<b/>&#32;x&#32;</a>");
        assert_eq!(
            doc.elements[0].text, "x ",
            "blank chunks are dropped while the text is empty, references included"
        );
    }

    #[test]
    fn dtd_entities_are_left_as_written() {
        let (doc, err, quirks) = parse("<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>");
        assert_eq!(err, None);
        assert_eq!(doc.elements[0].text, "&e;");
        assert!(quirks.contains(&Quirk::UnexpandedEntity { name: "e".into() }));
        let (_, err, _) = parse("<a>&e;</a>");
        assert_eq!(err.as_deref(), Some("undeclared entity &e;"));
    }
}
