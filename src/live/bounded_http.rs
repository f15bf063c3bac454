//! One HTTP/1.1 request and a bounded read of its answer, for peers that may answer with anything
//! (a CPE's port 7547 is a classic attack target: hostile Content-Length, endless headers, binary).
//!
//! Takes: a connected stream, the request bytes, a read cap and the step budget. Gives: [`RawOutcome`]
//! — the status line and headers (parsed with httparse, at most [`MAX_HEADERS`] lines, values clipped
//! to [`MAX_VALUE`] characters), or reset / closed / timeout / not HTTP / oversized. RFC 9112 §2–§6.
//!
//! Invariants: never more than `cap` bytes are read in all; the body is read only as far as a
//! Content-Length allows *and* the cap allows, so the connection can be reused for the next request
//! when (and only when) the whole body was read; nothing is trusted to size an allocation.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::clock::Budget;

/// Header lines kept from one answer.
pub(crate) const MAX_HEADERS: usize = 32;
/// Characters kept of one header value.
pub(crate) const MAX_VALUE: usize = 512;

/// A parsed answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawAnswer {
    pub status: u16,
    pub reason: String,
    /// `(name, value)` in order; values clipped.
    pub headers: Vec<(String, String)>,
    /// Bytes read for this answer (head and the part of the body read).
    pub bytes_read: usize,
    /// The body was read to its Content-Length and the server keeps the connection open.
    pub reusable: bool,
}

impl RawAnswer {
    /// Every value of header `name` (case-insensitive).
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// `401 Unauthorized`.
    pub fn status_line(&self) -> String {
        format!("{} {}", self.status, self.reason)
            .trim_end()
            .to_string()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawOutcome {
    Answer(RawAnswer),
    TimedOut,
    /// Connection reset by the peer.
    Reset,
    /// Closed before any byte of an answer.
    Closed,
    /// The peer answered with something that is not HTTP: its first line.
    NotHttp(String),
    /// The head did not end within the cap.
    Oversized(usize),
    Error(String),
}

/// Sends `request` and reads the answer, at most `cap` bytes, within the budget.
pub(crate) async fn exchange<S>(
    stream: &mut S,
    request: &[u8],
    cap: usize,
    budget: &Budget,
) -> RawOutcome
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let work = async {
        if let Err(e) = stream.write_all(request).await {
            return io_outcome(&e);
        }
        read_answer(stream, cap).await
    };
    budget.run(work).await.unwrap_or(RawOutcome::TimedOut)
}

async fn read_answer<S: AsyncRead + Unpin>(stream: &mut S, cap: usize) -> RawOutcome {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        if buf.len() >= cap {
            return RawOutcome::Oversized(cap);
        }
        let room = chunk.len().min(cap - buf.len());
        match stream.read(&mut chunk[..room]).await {
            Ok(0) if buf.is_empty() => return RawOutcome::Closed,
            Ok(0) => {
                return RawOutcome::NotHttp(format!(
                    "{} (closed before the end of the header)",
                    excerpt(&buf)
                ));
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => return io_outcome(&e),
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut resp = httparse::Response::new(&mut headers);
        let head_len = match resp.parse(&buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => continue,
            Err(httparse::Error::TooManyHeaders) => {
                return RawOutcome::NotHttp(format!(
                    "{} (more than {MAX_HEADERS} header lines)",
                    excerpt(&buf)
                ));
            }
            Err(_) => return RawOutcome::NotHttp(excerpt(&buf)),
        };
        let mut answer = RawAnswer {
            status: resp.code.unwrap_or(0),
            reason: resp.reason.unwrap_or("").chars().take(MAX_VALUE).collect(),
            headers: resp
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_string(),
                        String::from_utf8_lossy(h.value)
                            .chars()
                            .take(MAX_VALUE)
                            .collect(),
                    )
                })
                .collect(),
            bytes_read: 0,
            reusable: false,
        };
        let close = answer
            .headers_named("connection")
            .iter()
            .any(|v| v.eq_ignore_ascii_case("close"));
        let length = answer
            .headers_named("content-length")
            .first()
            .and_then(|v| v.trim().parse::<usize>().ok());
        let http11 = resp.version == Some(1);
        let complete = match length {
            Some(len) if len <= cap - head_len => read_body(stream, &mut buf, head_len + len).await,
            _ => false,
        };
        answer.bytes_read = buf.len();
        answer.reusable = complete && http11 && !close;
        return RawOutcome::Answer(answer);
    }
}

/// Reads until `buf` holds `want` bytes; false when the peer stops first.
async fn read_body<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut Vec<u8>, want: usize) -> bool {
    let mut chunk = [0u8; 1024];
    while buf.len() < want {
        let room = chunk.len().min(want - buf.len());
        match stream.read(&mut chunk[..room]).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    true
}

fn io_outcome(e: &io::Error) -> RawOutcome {
    match e.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => RawOutcome::Reset,
        io::ErrorKind::UnexpectedEof => RawOutcome::Closed,
        _ => RawOutcome::Error(e.to_string()),
    }
}

/// The first line of what a peer sent, printable: at most 60 characters, other bytes as `\xNN`, with
/// anything that looks like our credentials echoed back redacted ([`crate::secrets::redact_echoes`]).
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    // Redacted before it is cut, so a token cut in half cannot slip through.
    let line = crate::secrets::redact_echoes(&printable_line(bytes));
    match line.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line,
    }
}

/// The first line, printable: other bytes as `\xNN`.
fn printable_line(bytes: &[u8]) -> String {
    let line = bytes
        .split(|&b| b == b'\r' || b == b'\n')
        .next()
        .unwrap_or(&[]);
    let mut out = String::new();
    for &b in line {
        if (0x20..0x7f).contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn answer_to(reply: impl Into<Vec<u8>>, cap: usize) -> RawOutcome {
        let reply = reply.into();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (mut client, mut server) = tokio::io::duplex(64 * 1024);
            let serve = async move {
                let mut req = [0u8; 64];
                let _ = server.read(&mut req).await;
                let _ = server.write_all(&reply).await;
            };
            let budget = Budget::new(Duration::from_millis(500));
            let (outcome, ()) = tokio::join!(
                exchange(&mut client, b"GET / HTTP/1.1\r\n\r\n", cap, &budget),
                serve
            );
            outcome
        })
    }

    #[test]
    fn reads_a_challenge_and_its_body() {
        let RawOutcome::Answer(a) = answer_to(&b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"cpe\", nonce=\"n\"\r\nContent-Length: 2\r\n\r\nno"[..], 4096) else {
            panic!("no answer");
        };
        assert_eq!(a.status_line(), "401 Unauthorized");
        assert_eq!(
            a.headers_named("www-authenticate"),
            vec!["Digest realm=\"cpe\", nonce=\"n\""]
        );
        assert!(a.reusable);
    }

    #[test]
    fn hostile_answers_stay_bounded() {
        let huge = b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\nxx";
        let RawOutcome::Answer(a) = answer_to(&huge[..], 4096) else {
            panic!("no answer")
        };
        assert!(!a.reusable && a.bytes_read < 4096);
        let endless = format!("HTTP/1.1 200 OK\r\n{}", "X-A: b\r\n".repeat(2000));
        assert!(matches!(
            answer_to(endless, 4096),
            RawOutcome::NotHttp(_) | RawOutcome::Oversized(4096)
        ));
        let long_value = format!("HTTP/1.1 200 OK\r\nX: {}", "a".repeat(8000));
        assert_eq!(answer_to(long_value, 4096), RawOutcome::Oversized(4096));
        assert_eq!(
            answer_to(&b"\x16\x03\x01\x00\x05hello"[..], 4096),
            RawOutcome::NotHttp("\\x16\\x03\\x01\\x00\\x05hello".into())
        );
        assert_eq!(answer_to(Vec::new(), 4096), RawOutcome::Closed);
    }

    #[test]
    fn silence_is_a_timeout() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let outcome = rt.block_on(async {
            let (mut client, _server) = tokio::io::duplex(1024);
            exchange(
                &mut client,
                b"GET / HTTP/1.1\r\n\r\n",
                4096,
                &Budget::new(Duration::from_millis(50)),
            )
            .await
        });
        assert_eq!(outcome, RawOutcome::TimedOut);
    }

    #[test]
    fn excerpts_are_printable_and_short() {
        assert_eq!(
            excerpt(b"HTTP/1.1 400 Bad Request\r\nX"),
            "HTTP/1.1 400 Bad Request"
        );
        assert_eq!(excerpt(&[0x15, 0x03, 0x03]), "\\x15\\x03\\x03");
        assert!(excerpt(&[b'a'; 100]).ends_with('…'));
    }
}
