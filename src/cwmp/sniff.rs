//! First look at an HTTP body, before any XML parsing: empty, XML, or something else.
//!
//! Takes the raw body bytes; gives a [`Sniff`] saying how to go on. Non-XML bodies become a
//! `NotSoap` reason here (what the thing is, with a short excerpt), because an ACS or proxy that
//! answers with an HTML error page or JSON is a finding, not a parse error (DESIGN.md §1,
//! `session.inform-response`: "non-SOAP or malformed body").
//!
//! Invariants: looks at no more than [`LOOKAHEAD`] bytes beyond the leading whitespace; excerpts
//! are at most [`EXCERPT`] characters with control characters escaped.

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
/// How far into the body the HTML title and XML declaration are searched.
const LOOKAHEAD: usize = 4096;
/// Longest excerpt quoted in a reason.
const EXCERPT: usize = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sniff {
    /// Nothing but whitespace (after an optional BOM).
    Empty,
    /// Looks like XML; `start` is where the XML begins (after a UTF-8 BOM, if any).
    Xml { start: usize },
    /// Not XML: why.
    NotXml(String),
}

pub(crate) fn sniff(body: &[u8]) -> Sniff {
    if body.starts_with(b"\xFF\xFE") || body.starts_with(b"\xFE\xFF") {
        return Sniff::NotXml("UTF-16 encoded body (byte-order mark); only UTF-8 is read".into());
    }
    let start = if body.starts_with(UTF8_BOM) {
        UTF8_BOM.len()
    } else {
        0
    };
    let rest = &body[start..];
    let Some(first) = rest.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Sniff::Empty;
    };
    let head = &rest[first..rest.len().min(first + LOOKAHEAD)];
    match head[0] {
        b'{' | b'[' => Sniff::NotXml(format!("JSON, not XML: {}", excerpt(head))),
        b'<' if is_html(head) => Sniff::NotXml(html_reason(head)),
        b'<' => Sniff::Xml { start },
        _ => Sniff::NotXml(format!("plain text, not XML: {}", excerpt(head))),
    }
}

/// The encoding named in an XML declaration at the start of `xml`, if any.
pub(crate) fn declared_encoding(xml: &[u8]) -> Option<String> {
    let head = &xml[..xml.len().min(LOOKAHEAD)];
    let head = trim_start(head);
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = find(head, b"?>")?;
    let decl = String::from_utf8_lossy(&head[..end]);
    let after = &decl[decl.find("encoding")? + "encoding".len()..];
    let after = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &after[1..];
    Some(value[..value.find(quote)?].to_string())
}

/// An HTML page: `<!DOCTYPE html …>` or an `<html` root (any case), possibly after comments.
/// Compares in place (no lower-cased copy of the head): it runs on every body.
pub(crate) fn is_html(head: &[u8]) -> bool {
    let opens = |at: &[u8], tag: &[u8]| {
        at.get(..tag.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(tag))
    };
    let mut at = head;
    loop {
        if opens(at, b"<!doctype html") || opens(at, b"<html") {
            return true;
        }
        if !at.starts_with(b"<!--") {
            return false;
        }
        at = match find(at, b"-->") {
            Some(end) => trim_start(&at[end + 3..]),
            None => return false,
        };
    }
}

fn html_reason(head: &[u8]) -> String {
    let lower = head.to_ascii_lowercase();
    let title = find(&lower, b"<title").and_then(|open| {
        let from = open + find(&lower[open..], b">")? + 1;
        let to = from + find(&lower[from..], b"</title")?;
        let words = String::from_utf8_lossy(&head[from..to]);
        Some(words.split_whitespace().collect::<Vec<_>>().join(" "))
    });
    match title {
        Some(t) if !t.is_empty() => format!("HTML page, not SOAP (title \"{}\")", clip(&t)),
        _ => format!("HTML page, not SOAP: {}", excerpt(head)),
    }
}

fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(EXCERPT * 4)]);
    format!("\"{}\"", clip(&text))
}

fn clip(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(EXCERPT)
        .flat_map(char::escape_default)
        .collect();
    if text.chars().nth(EXCERPT).is_some() {
        out.push('…');
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let n = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_whitespace() {
        assert_eq!(sniff(b""), Sniff::Empty);
        assert_eq!(sniff(b" \r\n\t "), Sniff::Empty);
        assert_eq!(sniff(b"\xEF\xBB\xBF\n"), Sniff::Empty);
    }

    #[test]
    fn xml_start_skips_the_bom_only() {
        assert_eq!(sniff(b"\xEF\xBB\xBF<a/>"), Sniff::Xml { start: 3 });
        assert_eq!(sniff(b"\n <a/>"), Sniff::Xml { start: 0 });
    }

    #[test]
    fn html_json_text_and_utf16() {
        let html = b"<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.0 Draft//EN\">\n<HTML><HEAD>\n<TITLE>Error 401--Unauthorized</TITLE>";
        assert_eq!(
            sniff(html),
            Sniff::NotXml("HTML page, not SOAP (title \"Error 401--Unauthorized\")".into())
        );
        assert!(
            matches!(sniff(b"<!-- x --><html><body>hi"), Sniff::NotXml(r) if r.starts_with("HTML page"))
        );
        assert_eq!(
            sniff(b"{\"error\":\"bad\"}"),
            Sniff::NotXml("JSON, not XML: \"{\\\"error\\\":\\\"bad\\\"}\"".into())
        );
        assert!(
            matches!(sniff(b"Bad Request\n"), Sniff::NotXml(r) if r == "plain text, not XML: \"Bad Request\\n\"")
        );
        assert!(matches!(sniff(b"\xFF\xFE<\0"), Sniff::NotXml(r) if r.starts_with("UTF-16")));
    }

    #[test]
    fn html_is_recognised_in_any_case_after_comments() {
        assert!(is_html(b"<!-- a -->\n <!--b--><HtMl lang=en>"));
        assert!(is_html(b"<!DocType Html>"));
        assert!(!is_html(b"<!-- a --><soap:Envelope/>"));
        assert!(!is_html(b"<!-- never closed <html>"));
        assert!(!is_html(b"<htm"));
        assert!(!is_html(b""));
    }

    #[test]
    fn long_excerpts_are_clipped() {
        let text = "x".repeat(500);
        let Sniff::NotXml(reason) = sniff(text.as_bytes()) else {
            panic!("not text")
        };
        assert!(reason.ends_with("…\""), "{reason}");
        assert!(reason.len() < 100);
    }

    #[test]
    fn declared_encoding_is_read_from_the_declaration() {
        assert_eq!(
            declared_encoding(b"<?xml version=\"1.0\" encoding = 'ISO-8859-1'?><a/>"),
            Some("ISO-8859-1".into())
        );
        assert_eq!(declared_encoding(b"<?xml version=\"1.0\"?><a/>"), None);
        assert_eq!(declared_encoding(b"<a/>"), None);
    }
}
