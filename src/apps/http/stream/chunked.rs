//! Chunked transfer coding of one message body (RFC 9112 §7.1): chunk-size lines, chunk data, the CRLF
//! after each chunk, and the trailer section.
//!
//! Takes: body bytes of a message framed as chunked. Gives: the de-chunked data, stored like any body
//! (within [`crate::apps::http::MAX_BODY`] and the pass's budget), and the message's end at the empty
//! line after the last chunk, or a finding when a line cannot be read.
//!
//! Invariant: a chunk-size or trailer line longer than [`MAX_LINE`] ends the message as damaged.

use super::{HttpDirection, HttpEvent, MAX_LINE, State};
use crate::apps::http::HttpBudget;
use crate::apps::http::message::Ending;
use crate::apps::http::start::take_line;
use crate::flows::At;

/// Where in a chunked body the direction is.
#[derive(Debug)]
pub(super) enum Chunk {
    /// Reading a chunk-size line.
    Size,
    /// Chunk data bytes still to come.
    Data(u64),
    /// The CRLF after chunk data.
    DataEnd,
    /// Trailer fields after the last chunk, until an empty line.
    Trailer,
}

impl HttpDirection {
    /// Consumes chunked-body bytes; returns what is left after the message ended (or nothing).
    pub(super) fn chunked<'b>(
        &mut self,
        bytes: &'b [u8],
        carried: At,
        trig: At,
        budget: &mut HttpBudget,
        out: &mut Vec<HttpEvent>,
    ) -> &'b [u8] {
        let State::Chunked(phase) = &mut self.state else {
            return bytes;
        };
        match phase {
            Chunk::Size => {
                let (used, done) = take_line(&mut self.line, bytes);
                if done {
                    match httparse::parse_chunk_size(&self.line) {
                        Ok(httparse::Status::Complete((_, 0))) => *phase = Chunk::Trailer,
                        Ok(httparse::Status::Complete((_, n))) => *phase = Chunk::Data(n),
                        _ => {
                            let reason = format!(
                                "bad chunk size line {:?}",
                                String::from_utf8_lossy(&self.line)
                            );
                            self.finish_damaged(trig, reason, out);
                            return &[];
                        }
                    }
                    self.line.clear();
                } else if self.line.len() > MAX_LINE {
                    self.finish_damaged(trig, "chunk size line too long".into(), out);
                    return &[];
                }
                &bytes[used..]
            }
            Chunk::Data(rem) => {
                let n = (*rem).min(bytes.len() as u64) as usize;
                *rem -= n as u64;
                if *rem == 0 {
                    *phase = Chunk::DataEnd;
                }
                self.store(&bytes[..n], carried, budget);
                &bytes[n..]
            }
            Chunk::DataEnd => {
                let (used, done) = take_line(&mut self.line, bytes);
                if done {
                    self.line.clear();
                    *phase = Chunk::Size;
                }
                &bytes[used..]
            }
            Chunk::Trailer => {
                let (used, done) = take_line(&mut self.line, bytes);
                if done {
                    let blank = self.line.iter().all(|b| matches!(b, b'\r' | b'\n'));
                    self.line.clear();
                    if blank {
                        self.finish(trig, Ending::Complete, out);
                    }
                } else if self.line.len() > MAX_LINE {
                    self.finish_damaged(trig, "chunked trailer line too long".into(), out);
                    return &[];
                }
                &bytes[used..]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Ctx;
    use super::*;
    use crate::apps::http::HttpMessage;
    use crate::flows::Delivery;
    use crate::time::Timestamp;

    /// Feeds `pieces` to a request direction; returns its messages and findings.
    fn feed(pieces: &[&[u8]]) -> (Vec<HttpMessage>, Vec<String>) {
        let mut dir = HttpDirection::new(true);
        let mut budget = HttpBudget::default();
        let mut methods = Default::default();
        let mut out = Vec::new();
        for (i, bytes) in pieces.iter().enumerate() {
            let mut ctx = Ctx {
                conn: 0,
                src: "192.0.2.1:1".parse().unwrap(),
                dst: "192.0.2.2:7547".parse().unwrap(),
                methods: &mut methods,
                budget: &mut budget,
            };
            let frame = i as u64 + 1;
            let d = Delivery::Data {
                bytes,
                frame,
                ts: Timestamp::default(),
                trigger: frame,
            };
            dir.deliver(d, &mut ctx, &mut out);
        }
        dir.close(None, &mut budget, &mut out);
        assert_eq!(budget.used(), 0);
        let mut messages = Vec::new();
        let mut problems = Vec::new();
        for e in out {
            match e {
                HttpEvent::Message(m) => messages.push(*m),
                HttpEvent::Problem { reason, .. } => problems.push(reason),
            }
        }
        (messages, problems)
    }

    const HEAD: &[u8] = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";

    #[test]
    fn chunks_split_anywhere_are_joined_and_the_message_ends_after_the_trailer() {
        let (m, p) = feed(&[
            HEAD,
            b"3\r\nab",
            b"c\r\n2\r",
            b"\nde\r\n0\r\nX: 1\r\n",
            b"\r\n",
        ]);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!((m[0].body.as_slice(), m[0].last.frame), (&b"abcde"[..], 5));
        assert!(m[0].complete());
    }

    #[test]
    fn a_bad_or_endless_chunk_size_line_is_a_finding_and_the_message_is_incomplete() {
        let (m, p) = feed(&[HEAD, b"zz\r\n"]);
        assert_eq!(p, vec!["bad chunk size line \"zz\\r\\n\"".to_string()]);
        assert!(!m[0].complete());
        let long = vec![b'1'; MAX_LINE + 10];
        let (m, p) = feed(&[HEAD, &long]);
        assert_eq!(p, vec!["chunk size line too long".to_string()]);
        assert!(!m[0].complete());
    }
}
