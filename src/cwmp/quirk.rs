//! Non-fatal deviations found while reading a SOAP/CWMP message, and the bounded list that
//! collects them.
//!
//! Takes observations from the tree builder and the envelope/RPC readers; gives [`Quirk`]s with
//! a plain-words `Display` for the report. What counts as a deviation follows TR-069 §3.5 and the
//! `cwmp-1-x.xsd` schemas (tr069-facts.md §1, §11).
//!
//! Invariants: a [`Quirks`] list never holds two equal quirks, never more than [`MAX_QUIRKS`],
//! records at most one [`Quirk::ControlCharacter`] (the first), and clips every string taken
//! from the message to [`QUOTE`] characters, so hostile input cannot make it grow with the
//! input size.

use std::fmt;

/// Upper bound on the quirks kept for one message.
pub const MAX_QUIRKS: usize = 32;
/// Longest string (name, value, namespace) a quirk quotes from the message.
pub const QUOTE: usize = 64;

/// A deviation from SOAP 1.1 / TR-069 that did not stop parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Quirk {
    /// A namespace prefix used without an `xmlns:` declaration (gSOAP writes `SOAP-ENV:` this
    /// way); the element or attribute was matched by its local name.
    UndeclaredPrefix { prefix: String },
    /// The Envelope uses the SOAP 1.2 namespace; TR-069 uses SOAP 1.1.
    Soap12Envelope,
    /// The Envelope is in no namespace or in a namespace that is not SOAP's.
    NotSoapNamespace { namespace: Option<String> },
    /// The Envelope has no Body element.
    MissingBody,
    /// The Body has more than one child element; only the first is read.
    ExtraBodyElements { count: usize },
    /// A CWMP namespace other than `urn:dslforum-org:cwmp-1-0` … `-1-2` (e.g. icwmp's `cwmp-1-4`,
    /// which no BBF schema defines and GenieACS rejects with HTTP 400), or a non-CWMP URI.
    NonStandardCwmpNamespace { namespace: String },
    /// The header and the RPC use different CWMP namespaces.
    MixedCwmpNamespaces { header: String, rpc: String },
    /// `cwmp:ID` without `mustUnderstand="1"` (the schema fixes it to "1").
    IdMustUnderstand { value: Option<String> },
    /// A `mustUnderstand` attribute outside the SOAP envelope namespace (e.g. `cwmp:mustUnderstand`).
    MustUnderstandNamespace { prefix: Option<String> },
    /// The deprecated `NoMoreRequests` header (removed in Amd 2; in no XSD).
    NoMoreRequestsHeader,
    /// An XML 1.0 forbidden control character in character data (strict parsers reject it).
    ControlCharacter {
        element: String,
        code: u32,
        offset: u64,
    },
    /// A SOAP-encoded array whose `arrayType` count differs from its number of items.
    ArrayCountMismatch {
        element: String,
        declared: String,
        actual: usize,
    },
    /// A SOAP-encoded array whose `arrayType` names another item type than the items present.
    ArrayTypeMismatch {
        element: String,
        declared: String,
        actual: String,
    },
    /// An array whose items are not named as the schema says (miniACS writes
    /// `ParameterAttributeStruct` in SetParameterAttributes); they are read all the same.
    ItemName {
        element: String,
        expected: String,
        found: String,
    },
    /// An element whose name differs from the schema's only in letter case (`name` for `Name`).
    NameCase { found: String, expected: String },
    /// An element that holds child elements where the schema expects text.
    ElementInsteadOfText { element: String },
    /// An element that holds text where the schema expects a structure (e.g. `<FaultStruct>0`).
    TextInsteadOfStruct { element: String, text: String },
    /// A scalar whose text does not parse as its schema type.
    InvalidValue {
        element: String,
        value: String,
        expected: &'static str,
    },
    /// A SOAP Fault without `detail/cwmp:Fault` (no CWMP fault code).
    FaultWithoutCwmpDetail,
    /// A `<!DOCTYPE …>` declaration: SOAP 1.1 forbids it, and its entities are not expanded.
    DocType,
    /// An entity reference that was left as written because DTD entities are never expanded.
    UnexpandedEntity { name: String },
    /// The XML declaration is preceded by whitespace (it must be the first thing in the body).
    DeclarationNotAtStart { offset: u64 },
}

impl fmt::Display for Quirk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UndeclaredPrefix { prefix } => write!(
                f,
                "namespace prefix '{prefix}' is used without an xmlns declaration (matched by local name; strict parsers reject this)"
            ),
            Self::Soap12Envelope => {
                f.write_str("SOAP 1.2 envelope namespace; TR-069 requires SOAP 1.1")
            }
            Self::NotSoapNamespace {
                namespace: Some(ns),
            } => {
                write!(
                    f,
                    "Envelope is in namespace '{ns}', not the SOAP 1.1 envelope namespace"
                )
            }
            Self::NotSoapNamespace { namespace: None } => {
                f.write_str("Envelope is in no namespace (no SOAP envelope namespace declared)")
            }
            Self::MissingBody => f.write_str("Envelope has no Body element"),
            Self::ExtraBodyElements { count } => {
                write!(f, "Body has {count} child elements; only the first is read")
            }
            Self::NonStandardCwmpNamespace { namespace } => write!(
                f,
                "CWMP namespace '{namespace}' is not one a BBF schema defines (cwmp-1-0 … cwmp-1-2; CWMP 1.3/1.4 keep cwmp-1-2); some ACSes reject it"
            ),
            Self::MixedCwmpNamespaces { header, rpc } => {
                write!(
                    f,
                    "header uses CWMP namespace '{header}' but the RPC uses '{rpc}'"
                )
            }
            Self::IdMustUnderstand { value: Some(v) } => {
                write!(
                    f,
                    "cwmp:ID has mustUnderstand=\"{v}\"; the schema requires \"1\""
                )
            }
            Self::IdMustUnderstand { value: None } => {
                f.write_str("cwmp:ID has no mustUnderstand attribute; the schema requires \"1\"")
            }
            Self::MustUnderstandNamespace { prefix } => write!(
                f,
                "mustUnderstand attribute is {}, not in the SOAP envelope namespace",
                prefix
                    .as_deref()
                    .map_or("unqualified".to_string(), |p| format!("'{p}:'"))
            ),
            Self::NoMoreRequestsHeader => f.write_str(
                "NoMoreRequests header: deprecated since TR-069 Amendment 2 and in no CWMP schema",
            ),
            Self::ControlCharacter {
                element,
                code,
                offset,
            } => write!(
                f,
                "control character U+{code:04X} in <{element}> near byte {offset} (not allowed in XML 1.0)"
            ),
            Self::ArrayCountMismatch {
                element,
                declared,
                actual,
            } => write!(
                f,
                "<{element}> declares arrayType \"{declared}\" but holds {actual} item(s)"
            ),
            Self::ArrayTypeMismatch {
                element,
                declared,
                actual,
            } => write!(
                f,
                "<{element}> declares arrayType \"{declared}\" but its items are <{actual}>"
            ),
            Self::ItemName {
                element,
                expected,
                found,
            } => write!(
                f,
                "items of <{element}> are <{found}>; the schema names them <{expected}>"
            ),
            Self::NameCase { found, expected } => {
                write!(
                    f,
                    "element <{found}> should be <{expected}> (names are case-sensitive)"
                )
            }
            Self::ElementInsteadOfText { element } => {
                write!(f, "<{element}> holds child elements where text is expected")
            }
            Self::TextInsteadOfStruct { element, text } => {
                write!(
                    f,
                    "<{element}> holds text \"{text}\" where a structure is expected"
                )
            }
            Self::InvalidValue {
                element,
                value,
                expected,
            } => {
                write!(f, "<{element}> value \"{value}\" is not {expected}")
            }
            Self::FaultWithoutCwmpDetail => {
                f.write_str("SOAP Fault without detail/cwmp:Fault (no CWMP fault code)")
            }
            Self::DocType => {
                f.write_str("DOCTYPE declaration: SOAP forbids it; its entities are not expanded")
            }
            Self::UnexpandedEntity { name } => {
                write!(
                    f,
                    "entity reference &{name}; left unexpanded (DTD entities are not processed)"
                )
            }
            Self::DeclarationNotAtStart { offset } => write!(
                f,
                "XML declaration at byte {offset}, not at the start of the body"
            ),
        }
    }
}

impl Quirk {
    /// Clips every string field to [`QUOTE`] characters.
    fn clip(&mut self) {
        let fields: Vec<&mut String> = match self {
            Self::UndeclaredPrefix { prefix: s }
            | Self::NonStandardCwmpNamespace { namespace: s }
            | Self::ElementInsteadOfText { element: s }
            | Self::UnexpandedEntity { name: s }
            | Self::ControlCharacter { element: s, .. } => vec![s],
            Self::NotSoapNamespace { namespace: Some(s) }
            | Self::IdMustUnderstand { value: Some(s) }
            | Self::MustUnderstandNamespace { prefix: Some(s) } => vec![s],
            Self::MixedCwmpNamespaces { header: a, rpc: b }
            | Self::NameCase {
                found: a,
                expected: b,
            }
            | Self::TextInsteadOfStruct {
                element: a,
                text: b,
            }
            | Self::InvalidValue {
                element: a,
                value: b,
                ..
            } => vec![a, b],
            Self::ArrayCountMismatch {
                element: a,
                declared: b,
                ..
            } => vec![a, b],
            Self::ArrayTypeMismatch {
                element: a,
                declared: b,
                actual: c,
            }
            | Self::ItemName {
                element: a,
                expected: b,
                found: c,
            } => vec![a, b, c],
            Self::Soap12Envelope
            | Self::NotSoapNamespace { namespace: None }
            | Self::IdMustUnderstand { value: None }
            | Self::MustUnderstandNamespace { prefix: None }
            | Self::MissingBody
            | Self::ExtraBodyElements { .. }
            | Self::NoMoreRequestsHeader
            | Self::FaultWithoutCwmpDetail
            | Self::DocType
            | Self::DeclarationNotAtStart { .. } => vec![],
        };
        for field in fields {
            if let Some((cut, _)) = field.char_indices().nth(QUOTE) {
                field.truncate(cut);
                field.push('…');
            }
        }
    }
}

/// A bounded, duplicate-free list of quirks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Quirks(Vec<Quirk>);

impl Quirks {
    pub(crate) fn push(&mut self, mut quirk: Quirk) {
        quirk.clip();
        let control = matches!(quirk, Quirk::ControlCharacter { .. });
        let seen = self
            .0
            .iter()
            .any(|q| *q == quirk || (control && matches!(q, Quirk::ControlCharacter { .. })));
        if !seen && self.0.len() < MAX_QUIRKS {
            self.0.push(quirk);
        }
    }

    pub(crate) fn into_vec(self) -> Vec<Quirk> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_dropped_and_the_list_is_capped() {
        let mut q = Quirks::default();
        q.push(Quirk::MissingBody);
        q.push(Quirk::MissingBody);
        assert_eq!(q.clone().into_vec(), vec![Quirk::MissingBody]);
        for count in 0..100 {
            q.push(Quirk::ExtraBodyElements { count });
        }
        assert_eq!(q.into_vec().len(), MAX_QUIRKS);
    }

    #[test]
    fn only_the_first_control_character_is_kept() {
        let mut q = Quirks::default();
        for offset in 0..5 {
            q.push(Quirk::ControlCharacter {
                element: "Value".into(),
                code: 1,
                offset,
            });
        }
        let v = q.into_vec();
        assert_eq!(v.len(), 1);
        assert_eq!(
            v[0].to_string(),
            "control character U+0001 in <Value> near byte 0 (not allowed in XML 1.0)"
        );
    }

    #[test]
    fn strings_from_the_message_are_clipped() {
        let mut q = Quirks::default();
        let element = "é".repeat(1000);
        let value = "v".repeat(1000);
        q.push(Quirk::InvalidValue {
            element,
            value,
            expected: "an unsignedInt",
        });
        let Quirk::InvalidValue { element, value, .. } = &q.into_vec()[0] else {
            panic!()
        };
        assert_eq!(element.chars().count(), QUOTE + 1);
        assert_eq!(value, &format!("{}…", "v".repeat(QUOTE)));
    }

    #[test]
    fn display_names_the_namespace() {
        let q = Quirk::NonStandardCwmpNamespace {
            namespace: "urn:dslforum-org:cwmp-1-4".into(),
        };
        assert!(q.to_string().contains("cwmp-1-4"));
        let q = Quirk::MustUnderstandNamespace {
            prefix: Some("cwmp".into()),
        };
        assert_eq!(
            q.to_string(),
            "mustUnderstand attribute is 'cwmp:', not in the SOAP envelope namespace"
        );
    }
}
