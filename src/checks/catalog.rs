//! The check catalog (DESIGN.md §1): the FAQ's modules and steps as data.
//!
//! Takes: `checks/catalog.toml`, compiled into the binary. Gives: the [`Catalog`] — every check's id,
//! FAQ module and step, title, what it verifies, and the hint for each failure mode — in report order.
//! The file is parsed once; a malformed catalog is a build defect caught by the unit tests, so parsing
//! panics with the parser's message rather than returning an error every caller would have to carry.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

const CATALOG_TOML: &str = include_str!("../../checks/catalog.toml");

/// One check as the catalog describes it.
#[derive(Debug, Deserialize)]
pub struct Entry {
    pub id: String,
    pub module: u8,
    pub step: u8,
    /// The FAQ step it automates, e.g. "I.3" or "II.III".
    pub faq: String,
    pub title: String,
    pub verifies: String,
    /// Its evidence lies in TCP payload (HTTP, SOAP, TLS handshakes): a capture whose snap length
    /// cut that payload cannot judge it (see [`super::snapcut`]).
    #[serde(default)]
    pub reads_payload: bool,
    /// What `--live` alone needs to probe it; none: only a capture shows it.
    #[serde(default)]
    pub live: Option<String>,
    /// What to do next, per mode (`pass` has none).
    #[serde(default)]
    pub hints: BTreeMap<String, String>,
}

/// A FAQ step heading.
#[derive(Debug, Deserialize)]
pub struct Step {
    pub module: u8,
    pub step: u8,
    pub title: String,
}

/// A FAQ module heading.
#[derive(Debug, Deserialize)]
pub struct Module {
    pub module: u8,
    pub title: String,
}

#[derive(Debug, Deserialize)]
pub struct Catalog {
    #[serde(rename = "check")]
    pub checks: Vec<Entry>,
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
    #[serde(rename = "module")]
    pub modules: Vec<Module>,
}

impl Catalog {
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.checks.iter().find(|c| c.id == id)
    }

    pub fn step_title(&self, module: u8, step: u8) -> &str {
        self.steps
            .iter()
            .find(|s| s.module == module && s.step == step)
            .map_or("", |s| s.title.as_str())
    }

    pub fn module_title(&self, module: u8) -> &str {
        self.modules
            .iter()
            .find(|m| m.module == module)
            .map_or("", |m| m.title.as_str())
    }
}

/// The catalog compiled into the binary.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        toml::from_str(CATALOG_TOML).expect("checks/catalog.toml is valid (unit-tested)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DESIGN.md §1, in report order.
    const DESIGN_ORDER: [&str; 20] = [
        "wan.dial",
        "wan.ping",
        "acs.dns",
        "acs.ping",
        "acs.connect",
        "acs.tls",
        "cwmp.url",
        "cwmp.credentials",
        "cwmp.bootstrap",
        "session.inform",
        "session.inform-response",
        "session.complete",
        "retest.attempts",
        "compare.baseline",
        "cr.precondition",
        "cr.connect",
        "cr.inform",
        "cr.challenge",
        "cr.auth",
        "config.apply",
    ];

    #[test]
    fn catalog_lists_the_twenty_design_checks_in_order_with_faq_steps() {
        let ids: Vec<&str> = catalog().checks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, DESIGN_ORDER);
        let mut last = (0, 0);
        for c in &catalog().checks {
            assert!((c.module, c.step) >= last, "{} is out of FAQ order", c.id);
            last = (c.module, c.step);
            assert!(
                !c.title.is_empty() && !c.verifies.is_empty(),
                "{} needs a title and text",
                c.id
            );
            assert!(
                c.hints.values().all(|h| h.len() > 20),
                "{} has an empty hint",
                c.id
            );
            assert!(
                !catalog().step_title(c.module, c.step).is_empty(),
                "{}: its FAQ step has no heading",
                c.id
            );
            assert!(
                !catalog().module_title(c.module).is_empty(),
                "{}: its FAQ module has no heading",
                c.id
            );
        }
    }
}
