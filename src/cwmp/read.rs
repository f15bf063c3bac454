//! Typed reading of the element tree: child lookup, trimmed scalars, numbers, booleans and
//! SOAP-encoded arrays, each deviation recorded as a quirk.
//!
//! Takes a [`Doc`] built by `tree.rs`; gives the scalars and lists the RPC readers need. RPC
//! children are matched by local name in any namespace: the schemas make them unqualified
//! (`elementFormDefault="unqualified"`, tr069-facts.md §1) but stacks that qualify them, or put
//! them in a default namespace, are accepted.
//!
//! Invariants: lookups are exact first and fall back to a case-insensitive match only with a
//! [`Quirk::NameCase`]; nothing here recurses below the element it is given. Texts are read as
//! slices of the tree; a `String` is made only for what goes into the model or a quirk.

use super::model::ParamValue;
use super::quirk::{Quirk, Quirks};
use super::tree::{Attr, Doc, Element, local_part};

pub(crate) type Id = usize;

/// A reading context: the tree plus the quirks list being filled.
pub(crate) struct Cx<'a> {
    pub doc: &'a Doc<'a>,
    pub quirks: &'a mut Quirks,
}

impl<'a> Cx<'a> {
    pub(crate) fn el(&self, id: Id) -> &'a Element<'a> {
        &self.doc.elements[id]
    }

    pub(crate) fn local(&self, id: Id) -> &'a str {
        self.el(id).local()
    }

    /// The children of `id` named `name`, exactly; if none, case-insensitively (with a quirk).
    pub(crate) fn children_named(&mut self, id: Id, name: &str) -> Vec<Id> {
        let doc = self.doc;
        let exact: Vec<Id> = doc
            .children(id)
            .filter(|&k| doc.elements[k].local() == name)
            .collect();
        if !exact.is_empty() {
            return exact;
        }
        let loose: Vec<Id> = doc
            .children(id)
            .filter(|&k| doc.elements[k].local().eq_ignore_ascii_case(name))
            .collect();
        if let Some(&k) = loose.first() {
            self.name_case(k, name);
        }
        loose
    }

    /// The first child of `id` named `name`, as [`Self::children_named`] would find it.
    pub(crate) fn child(&mut self, id: Id, name: &str) -> Option<Id> {
        let doc = self.doc;
        if let Some(k) = doc.children(id).find(|&k| doc.elements[k].local() == name) {
            return Some(k);
        }
        let k = doc
            .children(id)
            .find(|&k| doc.elements[k].local().eq_ignore_ascii_case(name))?;
        self.name_case(k, name);
        Some(k)
    }

    fn name_case(&mut self, found: Id, expected: &str) {
        self.quirks.push(Quirk::NameCase {
            found: self.local(found).to_string(),
            expected: expected.to_string(),
        });
    }

    /// The trimmed text of `id`; an element holding elements instead of text is a quirk.
    pub(crate) fn text_str(&mut self, id: Id) -> &'a str {
        let el = self.el(id);
        let text = el.text.trim();
        if text.is_empty() && el.first_child.is_some() {
            self.quirks.push(Quirk::ElementInsteadOfText {
                element: el.local().to_string(),
            });
        }
        text
    }

    /// [`Self::text_str`] as an owned string, for the model.
    pub(crate) fn text(&mut self, id: Id) -> String {
        self.text_str(id).to_string()
    }

    pub(crate) fn child_text(&mut self, id: Id, name: &str) -> Option<String> {
        let child = self.child(id, name)?;
        Some(self.text(child))
    }

    fn child_str(&mut self, id: Id, name: &str) -> Option<&'a str> {
        let child = self.child(id, name)?;
        Some(self.text_str(child))
    }

    pub(crate) fn child_u32(&mut self, id: Id, name: &str) -> Option<u32> {
        let text = self.child_str(id, name)?;
        self.number(name, text, "an unsignedInt")
    }

    pub(crate) fn child_u64(&mut self, id: Id, name: &str) -> Option<u64> {
        let text = self.child_str(id, name)?;
        self.number(name, text, "an unsignedLong")
    }

    pub(crate) fn child_bool(&mut self, id: Id, name: &str) -> Option<bool> {
        let text = self.child_str(id, name)?;
        self.boolean(name, text)
    }

    /// Parses an `xs:boolean`, or records a quirk naming `element`.
    pub(crate) fn boolean(&mut self, element: &str, text: &str) -> Option<bool> {
        match text {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => {
                self.invalid(element, text, "a boolean (0, 1, true, false)");
                None
            }
        }
    }

    /// Parses `text` as a number, or records a quirk naming `element` and `expected`.
    pub(crate) fn number<T: std::str::FromStr>(
        &mut self,
        element: &str,
        text: &str,
        expected: &'static str,
    ) -> Option<T> {
        let parsed = text.parse().ok();
        if parsed.is_none() {
            self.invalid(element, text, expected);
        }
        parsed
    }

    pub(crate) fn invalid(&mut self, element: &str, value: &str, expected: &'static str) {
        let value = value.to_string();
        self.quirks.push(Quirk::InvalidValue {
            element: element.to_string(),
            value,
            expected,
        });
    }

    /// The first attribute of `id` whose local name is `local`, in any namespace.
    pub(crate) fn attr(&self, id: Id, local: &str) -> Option<&'a Attr<'a>> {
        self.doc
            .attrs(id)
            .iter()
            .find(|a| local_part(&a.qname) == local)
    }

    /// The items of a SOAP-encoded array `list` named `item`, checking its `arrayType`. When no
    /// child has that name, all children are taken as the items (with a quirk), so a stack that
    /// misnames its structs still has them counted and read.
    pub(crate) fn items(&mut self, list: Id, item: &str) -> Vec<Id> {
        let mut items = self.children_named(list, item);
        if items.is_empty() {
            items = self.doc.children(list).collect();
            if let Some(&first) = items.first() {
                self.quirks.push(Quirk::ItemName {
                    element: self.local(list).to_string(),
                    expected: item.to_string(),
                    found: self.local(first).to_string(),
                });
            }
        }
        self.check_array(list, &items);
        items
    }

    /// The text of every child element of `list` (an `xsd:string` array such as ParameterNames;
    /// the item name is not checked because stacks disagree on it).
    pub(crate) fn strings(&mut self, list: Id) -> Vec<String> {
        let items: Vec<Id> = self.doc.children(list).collect();
        self.check_array(list, &items);
        items.into_iter().map(|i| self.text(i)).collect()
    }

    fn check_array(&mut self, list: Id, items: &[Id]) {
        let Some(declared) = self.attr(list, "arrayType").map(|a| a.value.trim()) else {
            return;
        };
        let (kind, count) = declared.split_once('[').unwrap_or((declared, ""));
        if let Ok(n) = count.trim_end_matches(']').trim().parse::<usize>()
            && n != items.len()
        {
            self.quirks.push(Quirk::ArrayCountMismatch {
                element: self.local(list).to_string(),
                declared: declared.to_string(),
                actual: items.len(),
            });
        }
        if let Some(&first) = items.first() {
            let actual = self.local(first);
            // `xsd:string(256)` (the spec's length notation) still names `string`.
            let kind = local_part(kind).split('(').next().unwrap_or_default();
            if kind != actual {
                self.quirks.push(Quirk::ArrayTypeMismatch {
                    element: self.local(list).to_string(),
                    declared: declared.to_string(),
                    actual: actual.to_string(),
                });
            }
        }
    }

    /// The `ParameterValueStruct` items of a ParameterList.
    pub(crate) fn param_values(&mut self, list: Id) -> Vec<ParamValue> {
        let items = self.items(list, "ParameterValueStruct");
        let mut params = Vec::with_capacity(items.len());
        for item in items {
            let name = self.child_text(item, "Name").unwrap_or_default();
            let value_el = self.child(item, "Value");
            let value = value_el.map(|v| self.text(v)).unwrap_or_default();
            let xsi_type = value_el
                .and_then(|v| self.attr(v, "type"))
                .map(|a| a.value.to_string());
            params.push(ParamValue {
                name,
                value,
                xsi_type,
            });
        }
        params
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cwmp::build::build;

    fn with_doc<T>(xml: &str, f: impl FnOnce(&mut Cx) -> T) -> (T, Vec<Quirk>) {
        let mut quirks = Quirks::default();
        let (doc, err) = build(xml, 0, &mut quirks);
        assert_eq!(err, None);
        let out = f(&mut Cx {
            doc: &doc,
            quirks: &mut quirks,
        });
        (out, quirks.into_vec())
    }

    #[test]
    fn scalars_are_trimmed_and_typed() {
        let xml = "<r><A> x </A><N>00</N><B>true</B><Bad>-1</Bad><Flag>yes</Flag></r>";
        let (v, quirks) = with_doc(xml, |cx| {
            (
                cx.child_text(0, "A"),
                cx.child_u32(0, "N"),
                cx.child_bool(0, "B"),
                cx.child_u32(0, "Bad"),
                cx.child_bool(0, "Flag"),
                cx.child_text(0, "Missing"),
            )
        });
        assert_eq!(v, (Some("x".into()), Some(0), Some(true), None, None, None));
        assert_eq!(quirks.len(), 2);
        assert_eq!(
            quirks[0].to_string(),
            "<Bad> value \"-1\" is not an unsignedInt"
        );
    }

    #[test]
    fn case_insensitive_fallback_is_a_quirk() {
        let (v, quirks) = with_doc("<r><name>a</name></r>", |cx| cx.child_text(0, "Name"));
        assert_eq!(v, Some("a".into()));
        assert_eq!(
            quirks,
            vec![Quirk::NameCase {
                found: "name".into(),
                expected: "Name".into()
            }]
        );
    }

    #[test]
    fn element_instead_of_text() {
        let (v, quirks) = with_doc(
            "<r><ObjectName><string>X.</string></ObjectName></r>",
            |cx| cx.child_text(0, "ObjectName"),
        );
        assert_eq!(v, Some(String::new()));
        assert_eq!(
            quirks,
            vec![Quirk::ElementInsteadOfText {
                element: "ObjectName".into()
            }]
        );
    }

    #[test]
    fn array_type_count_and_name_are_checked() {
        let xml = r#"<L xmlns:e="enc" e:arrayType="cwmp:ParameterValueStuct[2]"><ParameterValueStruct><Name>a</Name><Value xmlns:i="xsi" i:type="xsd:int">1</Value></ParameterValueStruct></L>"#;
        let (params, quirks) = with_doc(xml, |cx| cx.param_values(0));
        assert_eq!(params.len(), 1);
        assert_eq!(params[0].xsi_type.as_deref(), Some("xsd:int"));
        assert_eq!(quirks.len(), 2);
        assert!(matches!(
            &quirks[0],
            Quirk::ArrayCountMismatch { actual: 1, .. }
        ));
        assert!(
            matches!(&quirks[1], Quirk::ArrayTypeMismatch { actual, .. } if actual == "ParameterValueStruct")
        );
    }

    #[test]
    fn leading_zero_counts_and_length_notation_match() {
        let xml = r#"<L arrayType="xsd:string(256)[02]"><string>a</string><string>b</string></L>"#;
        let (names, quirks) = with_doc(xml, |cx| cx.strings(0));
        assert_eq!(names, vec!["a", "b"]);
        assert!(quirks.is_empty());
    }
}
