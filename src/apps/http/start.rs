//! Where an HTTP message may begin in a byte stream, and the lines of a head read from it (RFC 9112
//! §2.2, §3).
//!
//! Takes: bytes of one direction of a TCP connection. Gives: whether they can start a request or a
//! response (by content, never by port), a printable preview of bytes that are not HTTP, and line
//! accumulation for heads, chunk-size lines and trailers.
//!
//! Invariant: without a line end in sight, a line grows to at most [`MAX_HEAD`] + 1 bytes; callers check
//! the length after every call.

use crate::apps::http::MAX_HEAD;

/// Request methods recognised at the start of a message (RFC 9110 §9 and the WebDAV ones seen in the
/// wild).
const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE", "PROPFIND",
    "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK",
];

/// The first bytes of a stream as evidence: hex, and the printable text when it is text.
pub fn preview(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(8)];
    let hex: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
    let text: String = head
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    format!("{} ({text:?})", hex.join(" "))
}

/// Whether `bytes` can be the beginning of a request (`request`) or response start line. A short
/// fragment that is a prefix of a method or of `HTTP/` counts: the rest may be in the next segment.
pub fn looks_like_start(bytes: &[u8], request: bool) -> bool {
    let prefix_of = |word: &[u8]| {
        let n = bytes.len().min(word.len());
        bytes[..n] == word[..n]
    };
    if request {
        METHODS.iter().any(|m| {
            let word = m.as_bytes();
            prefix_of(word) && (bytes.len() <= word.len() || bytes[word.len()] == b' ')
        })
    } else {
        prefix_of(b"HTTP/1.")
    }
}

/// Appends `bytes` to `line` up to and including the first empty line (`\r\n\r\n` or `\n\n`); returns
/// the bytes used and whether the head is complete.
pub(super) fn take_through_blank_line(line: &mut Vec<u8>, bytes: &[u8]) -> (usize, bool) {
    let mut used = 0;
    while used < bytes.len() {
        let (n, done) = take_line(line, &bytes[used..]);
        used += n;
        if !done {
            break;
        }
        if line.ends_with(b"\r\n\r\n") || line.ends_with(b"\n\n") || line == b"\r\n" {
            return (used, true);
        }
        if line.len() > MAX_HEAD {
            break;
        }
    }
    (used, false)
}

/// Appends `bytes` to `line` up to and including the next `\n`; returns the bytes used and whether a
/// line end was reached.
pub(super) fn take_line(line: &mut Vec<u8>, bytes: &[u8]) -> (usize, bool) {
    match bytes.iter().position(|&b| b == b'\n') {
        Some(i) => {
            line.extend_from_slice(&bytes[..=i]);
            (i + 1, true)
        }
        None => {
            let room = (MAX_HEAD + 1).saturating_sub(line.len());
            line.extend_from_slice(&bytes[..bytes.len().min(room)]);
            (bytes.len(), false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fragment_of_a_method_or_status_line_may_start_a_message() {
        assert!(looks_like_start(b"PO", true));
        assert!(looks_like_start(b"POST /acs", true));
        assert!(!looks_like_start(b"POSTX", true));
        assert!(looks_like_start(b"HTTP/1.1 200", false));
        assert!(!looks_like_start(b"\x16\x03\x01", false));
        assert_eq!(preview(b"\x16\x03A"), "16 03 41 (\"..A\")");
    }

    #[test]
    fn lines_are_taken_through_their_end_and_an_endless_one_is_bounded() {
        let mut line = Vec::new();
        assert_eq!(take_line(&mut line, b"ab\r\ncd"), (4, true));
        assert_eq!(line, b"ab\r\n");
        let mut head = Vec::new();
        assert_eq!(
            take_through_blank_line(&mut head, b"GET / HTTP/1.1\r\n\r\nrest"),
            (18, true)
        );
        let mut endless = Vec::new();
        let (used, done) = take_line(&mut endless, &vec![b'a'; 2 * MAX_HEAD]);
        assert_eq!(
            (used, done, endless.len()),
            (2 * MAX_HEAD, false, MAX_HEAD + 1)
        );
    }
}
