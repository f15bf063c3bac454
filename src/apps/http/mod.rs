//! HTTP/1.1 over TCP, recognised by content on any port (RFC 9112).
//!
//! Takes: the reassembled streams of a TCP connection. Gives: [`HttpEvent`]s — every request and response
//! in order with the frames that carried and completed it, and findings for heads that cannot be parsed.
//! A connection holds one parser per direction and the queue of request methods that tells the response
//! side whether a body may follow (HEAD).

pub mod budget;
pub mod coding;
mod head;
mod message;
mod start;
mod stream;

use std::collections::VecDeque;

pub use budget::HttpBudget;
pub use message::{BodyCut, Ending, Framing, HttpMessage, StartLine, field_name};
pub use start::{looks_like_start, preview};
pub use stream::{HttpEvent, MAX_BODY, MAX_HEAD};

use crate::flows::{At, ConnFacts, Delivery};
use stream::{Ctx, HttpDirection};

/// Both directions of one HTTP connection.
#[derive(Debug)]
pub struct HttpConn {
    dirs: [HttpDirection; 2],
    methods: VecDeque<String>,
}

impl Default for HttpConn {
    fn default() -> Self {
        HttpConn {
            dirs: [HttpDirection::new(true), HttpDirection::new(false)],
            methods: VecDeque::new(),
        }
    }
}

impl HttpConn {
    /// One delivery of direction `from_client`; what the open messages store is charged to `budget`.
    pub fn deliver(
        &mut self,
        conn: &ConnFacts,
        from_client: bool,
        d: Delivery<'_>,
        budget: &mut HttpBudget,
        out: &mut Vec<HttpEvent>,
    ) {
        let (src, dst) = if from_client {
            (conn.client, conn.server)
        } else {
            (conn.server, conn.client)
        };
        let mut ctx = Ctx {
            conn: conn.id,
            src,
            dst,
            methods: &mut self.methods,
            budget,
        };
        let before = out.len();
        self.dirs[usize::from(!from_client)].deliver(d, &mut ctx, out);
        let tunnel = out[before..]
            .iter()
            .any(|e| matches!(e, HttpEvent::Message(m) if m.framing == Framing::Tunnel));
        if tunnel {
            self.dirs[usize::from(from_client)].enter_tunnel();
        }
    }

    /// The connection is over: messages still open end as reset or incomplete, and what they stored
    /// goes back to `budget`.
    pub fn close(&mut self, conn: &ConnFacts, budget: &mut HttpBudget, out: &mut Vec<HttpEvent>) {
        let reset: Option<At> = conn.rst.map(|r| r.at);
        for dir in &mut self.dirs {
            dir.close(reset, budget, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::TcpFlags;
    use crate::flows::At;
    use crate::time::Timestamp;

    fn conn() -> ConnFacts {
        let flags = TcpFlags {
            syn: true,
            ..Default::default()
        };
        ConnFacts::new(
            7,
            "203.0.113.7:50001".parse().unwrap(),
            "198.51.100.20:7547".parse().unwrap(),
            flags,
            At::test(1),
        )
    }

    /// Feeds (from_client, bytes, frame) deliveries; `None` bytes = a FIN, `Some(b"")` never used.
    struct Feed {
        c: ConnFacts,
        http: HttpConn,
        budget: HttpBudget,
        out: Vec<HttpEvent>,
    }

    impl Feed {
        fn new() -> Feed {
            Feed {
                c: conn(),
                http: HttpConn::default(),
                budget: HttpBudget::default(),
                out: Vec::new(),
            }
        }
        fn data(&mut self, from_client: bool, bytes: &str, frame: u64) -> &mut Feed {
            self.data_triggered(from_client, bytes, frame, frame)
        }
        fn data_triggered(
            &mut self,
            from_client: bool,
            bytes: &str,
            frame: u64,
            trigger: u64,
        ) -> &mut Feed {
            let d = Delivery::Data {
                bytes: bytes.as_bytes(),
                frame,
                ts: Timestamp::new(frame as i64, 0),
                trigger,
            };
            self.http
                .deliver(&self.c, from_client, d, &mut self.budget, &mut self.out);
            self
        }
        fn gap(&mut self, from_client: bool, len: u64, frame: u64) -> &mut Feed {
            self.http.deliver(
                &self.c,
                from_client,
                Delivery::Gap { len, frame },
                &mut self.budget,
                &mut self.out,
            );
            self
        }
        fn close(&mut self) {
            self.http.close(&self.c, &mut self.budget, &mut self.out);
            assert_eq!(self.budget.used(), 0, "a closed connection holds nothing");
        }
        fn fin(&mut self, from_client: bool, frame: u64) -> &mut Feed {
            let d = Delivery::Fin {
                frame,
                ts: Timestamp::new(frame as i64, 0),
            };
            self.http
                .deliver(&self.c, from_client, d, &mut self.budget, &mut self.out);
            self
        }
        fn messages(&self) -> Vec<&HttpMessage> {
            self.out
                .iter()
                .filter_map(|e| match e {
                    HttpEvent::Message(m) => Some(&**m),
                    HttpEvent::Problem { .. } => None,
                })
                .collect()
        }
        /// (summary, first frame, last frame, body, complete) of each message.
        fn seen(&self) -> Vec<(String, u64, u64, String, bool)> {
            self.messages()
                .iter()
                .map(|m| {
                    (
                        m.summary(),
                        m.first.frame,
                        m.last.frame,
                        String::from_utf8_lossy(&m.body).into_owned(),
                        m.complete(),
                    )
                })
                .collect()
        }
    }

    fn s(
        summary: &str,
        first: u64,
        last: u64,
        body: &str,
        complete: bool,
    ) -> (String, u64, u64, String, bool) {
        (summary.into(), first, last, body.into(), complete)
    }

    #[test]
    fn request_with_content_length_split_over_segments_completes_at_its_last_byte() {
        let mut f = Feed::new();
        f.data(true, "POST /acs HTTP/1.1\r\nHost: acs\r\nContent-Le", 4)
            .data(true, "ngth: 10\r\n\r\n01234", 5)
            .data(true, "56789", 6);
        assert_eq!(f.seen(), vec![s("POST /acs", 4, 6, "0123456789", true)]);
        let m = f.messages()[0];
        assert_eq!(m.header("content-length"), Some("10"));
        assert_eq!(m.framing, Framing::ContentLength(10));
        assert_eq!((m.src.port(), m.dst.port(), m.conn), (50001, 7547, 7));
    }

    #[test]
    fn header_without_a_space_after_the_colon_is_read() {
        let mut f = Feed::new();
        f.data(
            true,
            "POST / HTTP/1.1\r\nHost:192.88.99.142\r\nContent-Length:0\r\n\r\n",
            3,
        );
        let m = f.messages()[0];
        assert_eq!(m.header("Host"), Some("192.88.99.142"));
        assert_eq!(m.framing, Framing::ContentLength(0));
        assert!(m.complete());
    }

    #[test]
    fn keep_alive_exchanges_and_two_requests_in_one_segment_are_all_found() {
        let mut f = Feed::new();
        f.data(true, "POST /a HTTP/1.1\r\nContent-Length: 1\r\n\r\nxPOST /b HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 4)
            .data(false, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 5)
            .data(false, "HTTP/1.1 204 No Content\r\n\r\n", 6);
        assert_eq!(
            f.seen(),
            vec![
                s("POST /a", 4, 4, "x", true),
                s("POST /b", 4, 4, "", true),
                s("200", 5, 5, "ok", true),
                s("204", 6, 6, "", true),
            ]
        );
    }

    #[test]
    fn chunked_body_is_dechunked_across_segments_and_ends_at_the_last_chunk() {
        let mut f = Feed::new();
        f.data(
            true,
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
            4,
        )
        .data(true, "lo\r\n6;ext=1\r\n world\r", 5)
        .data(true, "\n0\r\nX-Trailer: 1\r\n\r\n", 6);
        assert_eq!(f.seen(), vec![s("POST /", 4, 6, "hello world", true)]);
        assert_eq!(f.messages()[0].framing, Framing::Chunked);
    }

    #[test]
    fn response_to_head_and_204_have_no_body_and_1xx_does_not_take_the_request() {
        let mut f = Feed::new();
        f.data(true, "HEAD / HTTP/1.1\r\n\r\n", 2)
            .data(false, "HTTP/1.1 100 Continue\r\n\r\n", 3)
            .data(false, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", 4)
            .data(
                false,
                "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
                5,
            );
        let got: Vec<_> = f.seen().into_iter().map(|m| (m.0, m.2, m.4)).collect();
        assert_eq!(
            got,
            vec![
                ("HEAD /".into(), 2, true),
                ("100".into(), 3, true),
                ("200".into(), 4, true),
                ("204".into(), 5, true),
            ]
        );
    }

    #[test]
    fn response_without_length_runs_until_the_fin() {
        let mut f = Feed::new();
        f.data(true, "GET / HTTP/1.0\r\n\r\n", 2)
            .data(false, "HTTP/1.0 200 OK\r\n\r\n<html>", 3)
            .data(false, "</html>", 4)
            .fin(false, 5);
        assert_eq!(f.seen()[1], s("200", 3, 5, "<html></html>", true));
        assert_eq!(f.messages()[1].framing, Framing::UntilClose);
    }

    #[test]
    fn body_cut_by_a_fin_or_a_reset_says_so() {
        let mut f = Feed::new();
        f.data(true, "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc", 2)
            .fin(true, 3);
        assert_eq!(
            f.messages()[0].ending,
            Ending::ClosedEarly { at: At::test(3) }
        );

        let mut f = Feed::new();
        f.c.rst = Some(crate::flows::Reset {
            at: At::test(9),
            from_client: false,
        });
        f.data(
            false,
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc",
            8,
        );
        f.close();
        assert_eq!(
            f.messages()[0].ending,
            Ending::ResetEarly { at: At::test(9) }
        );
        assert_eq!(f.messages()[0].last.frame, 8);
    }

    #[test]
    fn gap_inside_a_sized_body_keeps_framing_and_the_next_message_is_found() {
        let mut f = Feed::new();
        f.data(true, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", 2)
            .gap(true, 4, 3)
            .data(true, "hij", 3)
            .data(true, "POST /next HTTP/1.1\r\n\r\n", 4);
        let seen = f.seen();
        assert_eq!(seen[0], s("POST /", 2, 3, "abchij", false));
        assert_eq!(f.messages()[0].body_len, 10);
        assert_eq!(seen[1], s("POST /next", 4, 4, "", true));
    }

    #[test]
    fn gap_in_a_head_resynchronises_at_the_next_message_start() {
        let mut f = Feed::new();
        f.data(true, "POST / HTTP/1.1\r\nHost: a", 2)
            .gap(true, 50, 3)
            .data(true, "rest of a lost body", 3)
            .data(true, "GET /again HTTP/1.1\r\n\r\n", 4);
        assert_eq!(f.seen(), vec![s("GET /again", 4, 4, "", true)]);
    }

    #[test]
    fn completing_frame_is_the_trigger_frame_of_reassembly() {
        let mut f = Feed::new();
        f.data_triggered(
            true,
            "POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nab",
            10,
            11,
        )
        .data_triggered(true, "cd", 9, 11);
        assert_eq!(f.seen(), vec![s("POST /", 10, 11, "abcd", true)]);
    }

    #[test]
    fn hostile_content_length_and_endless_head_stay_bounded() {
        let mut f = Feed::new();
        f.data(
            true,
            "POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n",
            2,
        );
        let chunk = "a".repeat(1 << 20);
        for i in 0..6 {
            f.data(true, &chunk, 3 + i);
        }
        f.close();
        let m = f.messages()[0];
        assert_eq!(m.body_cut, Some(BodyCut::TooLong));
        assert_eq!(m.body.len(), MAX_BODY);
        assert_eq!(m.body_len, 6 << 20);

        let mut f = Feed::new();
        f.data(true, "GET / HTTP/1.1\r\n", 2);
        for i in 0..100 {
            f.data(true, &format!("X-Pad-{i}: {}\r\n", "b".repeat(1000)), 3 + i);
        }
        assert!(matches!(f.out[0], HttpEvent::Problem { .. }));
        assert!(f.messages().is_empty());
    }

    #[test]
    fn unparseable_head_is_a_finding_not_a_message() {
        let mut f = Feed::new();
        f.data(false, "HTTP/1.1 abc Broken\r\n\r\n", 2);
        assert!(f.messages().is_empty());
        match &f.out[0] {
            HttpEvent::Problem { at, reason } => {
                assert_eq!(at.frame, 2);
                assert!(reason.contains("response"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_connect_tunnel_stops_http_parsing_in_both_directions() {
        let mut f = Feed::new();
        f.data(
            true,
            "CONNECT acs.example:443 HTTP/1.1\r\nHost: acs.example:443\r\n\r\n",
            2,
        )
        .data(false, "HTTP/1.1 200 Connection established\r\n\r\n", 3)
        .data(true, "\x16\x03\x01\x02\x00\x01", 4)
        .data(false, "\x16\x03\x03\x00\x7a\x02", 5);
        assert_eq!(
            f.seen(),
            vec![
                s("CONNECT acs.example:443", 2, 2, "", true),
                s("200", 3, 3, "", true)
            ]
        );
        assert_eq!(f.messages()[1].framing, Framing::Tunnel);
        assert_eq!(f.out.len(), 2, "no 'not HTTP' finding inside the tunnel");
    }

    #[test]
    fn non_http_bytes_are_not_messages_and_are_reported_once() {
        let mut f = Feed::new();
        f.data(true, "POST / HTTP/1.1\r\n\r\n", 2)
            .data(false, "\x15\x03\x03\x00\x02\x02\x32", 3)
            .data(false, "more", 4);
        assert_eq!(f.messages().len(), 1);
        let problems: Vec<(u64, String)> = f
            .out
            .iter()
            .filter_map(|e| match e {
                HttpEvent::Problem { at, reason } => Some((at.frame, reason.clone())),
                HttpEvent::Message(_) => None,
            })
            .collect();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, 3);
        assert!(
            problems[0]
                .1
                .starts_with("not HTTP: the reply starts with 15 03 03"),
            "{}",
            problems[0].1
        );
    }
}
