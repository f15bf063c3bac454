//! The application layer's side of the TCP table: which connections to follow, and what their streams
//! turn into.
//!
//! Takes: first payloads (to classify by content, never by port) and reassembled deliveries. Gives:
//! [`Message`]s with their SOAP reading, TLS handshake facts per connection, and HTTP problems.
//! Bodies are handed to the [`SoapStage`] as soon as a message completes and dropped once read, so memory
//! holds only the messages' compact readings; while open, they are stored within the pass's [`HttpBudget`]. A body that was not
//! stored whole is not parsed: its reading says why it was not kept, not what a cut XML document looks
//! like.

use crate::apps::dns::DnsMessage;
use crate::apps::dns_tcp::{DnsTcpStream, looks_like_dns_tcp};
use crate::apps::http::{HttpBudget, HttpConn, HttpEvent, HttpMessage, looks_like_start};
use crate::apps::tls::{TlsConn, looks_like_tls};
use crate::cwmp::SoapOutcome;
use crate::facts::{Datagram, HttpProblem, Message, TlsSession};
use crate::flows::{AppKind, ConnFacts, Delivery, Interest, RoleSource, StreamSink};

use super::soap_stage::{Reading, SoapStage};

/// Most TLS handshakes kept for the checks.
pub const MAX_TLS_SESSIONS: usize = 4096;

/// Most DNS-over-TCP messages kept (beyond it they count as dropped items, like TLS handshakes).
pub const MAX_TCP_DNS: usize = 4096;

/// Per-connection application state.
#[derive(Default)]
pub enum App {
    #[default]
    Unset,
    Http(Box<HttpConn>),
    /// TLS, and the plain HTTP a server may answer a ClientHello with (an https URL to an HTTP port).
    Tls(Box<TlsConn>, Option<Box<HttpConn>>),
    /// DNS over TCP: the client's and the server's directions.
    Dns(Box<[DnsTcpStream; 2]>),
}

/// Collects what the followed connections say.
#[derive(Default)]
pub struct Streams {
    pub messages: Vec<Message>,
    pub http_problems: Vec<HttpProblem>,
    pub tls: Vec<TlsSession>,
    /// TLS handshakes not kept (beyond [`MAX_TLS_SESSIONS`]).
    pub tls_dropped: u64,
    /// DNS messages read from TCP connections, at most [`MAX_TCP_DNS`].
    pub dns: Vec<Datagram<DnsMessage>>,
    pub dns_dropped: u64,
    /// What the open HTTP messages store, and how often it was full.
    pub http_budget: HttpBudget,
    events: Vec<HttpEvent>,
    soap: SoapStage,
}

/// A request line needs the method and a space; a status line `HTTP/1.`: a fragment shorter than that
/// is not enough to start following a connection.
fn starts_request(payload: &[u8]) -> bool {
    payload.len() >= 4 && looks_like_start(payload, true) && payload.contains(&b' ')
}

fn starts_response(payload: &[u8]) -> bool {
    payload.starts_with(b"HTTP/1.")
}

impl Streams {
    fn take_events(&mut self, conn: u32) {
        for ev in std::mem::take(&mut self.events) {
            match ev {
                HttpEvent::Message(m) => self.add_message(*m),
                HttpEvent::Problem { at, reason } => {
                    self.http_problems.push(HttpProblem { conn, at, reason })
                }
            }
        }
    }

    fn add_message(&mut self, mut http: HttpMessage) {
        let body = std::mem::take(&mut http.body);
        let slot = self.messages.len();
        // An empty or cut body has its reading at once; a whole one goes to the SOAP stage, and its
        // message waits with an empty reading until the stage gives it back.
        let (soap, excerpt) = if http.body_len == 0 {
            (SoapOutcome::Empty, None)
        } else if let Some(cut) = http.body_cut {
            let reason = cut.describe();
            (
                SoapOutcome::NotSoap {
                    reason: reason.clone(),
                },
                Some(reason),
            )
        } else {
            let coding = http
                .header("Content-Encoding")
                .filter(|c| !c.eq_ignore_ascii_case("identity"))
                .map(str::to_string);
            self.soap.submit(slot, body, coding);
            (SoapOutcome::Empty, None)
        };
        // Only the headers the checks and reports read are kept (memory grows with the messages, not
        // with their sizes).
        http.headers.retain(|(name, _)| {
            crate::facts::KEPT_HEADERS
                .iter()
                .any(|k| name.eq_ignore_ascii_case(k))
        });
        http.headers.shrink_to_fit();
        self.messages.push(Message {
            index: slot,
            http,
            soap,
            excerpt,
        });
        let ready: Vec<(usize, Reading)> = self.soap.drain().collect();
        self.put(ready);
    }

    fn put(&mut self, readings: Vec<(usize, Reading)>) {
        for (slot, r) in readings {
            let m = &mut self.messages[slot];
            m.soap = r.soap;
            m.excerpt = r.excerpt;
        }
    }

    /// Puts the last readings in, orders the messages by their completing frame (as Wireshark lists
    /// them) and numbers them.
    pub fn finish(mut self) -> Self {
        let last = std::mem::take(&mut self.soap).finish();
        self.put(last);
        self.messages.sort_by_key(|m| (m.http.last.frame, m.index));
        for (i, m) in self.messages.iter_mut().enumerate() {
            m.index = i;
        }
        self
    }
}

impl StreamSink for Streams {
    type App = App;

    fn classify(&mut self, conn: &mut ConnFacts, payload: &[u8], from_client: bool) -> Interest {
        let guessed = conn.roles == RoleSource::FirstSender;
        if starts_request(payload) {
            if !from_client && guessed {
                conn.swap_roles(RoleSource::Content);
            }
            Interest::Follow(AppKind::Http)
        } else if starts_response(payload) {
            if from_client && guessed {
                conn.swap_roles(RoleSource::Content);
            }
            Interest::Follow(AppKind::Http)
        } else if looks_like_tls(payload) && !conn.start_missed {
            Interest::Follow(AppKind::Tls)
        } else if looks_like_dns_tcp([conn.client.port(), conn.server.port()], payload)
            && !conn.start_missed
        {
            Interest::Follow(AppKind::Dns)
        } else if conn.start_missed
            || looks_like_start(payload, true)
            || looks_like_start(payload, false)
        {
            // Too few bytes to tell yet (a request line written a few bytes per segment), or a
            // connection joined mid-stream that may reach a message boundary later.
            Interest::Undecided
        } else {
            Interest::Ignore
        }
    }

    fn deliver(&mut self, conn: &ConnFacts, app: &mut App, from_client: bool, d: Delivery<'_>) {
        if let App::Unset = app {
            *app = match conn.app {
                AppKind::Tls => App::Tls(Box::default(), None),
                AppKind::Dns => App::Dns(Box::default()),
                _ => App::Http(Box::default()),
            };
        }
        match app {
            App::Http(h) => {
                h.deliver(
                    conn,
                    from_client,
                    d,
                    &mut self.http_budget,
                    &mut self.events,
                );
                if !self.events.is_empty() {
                    self.take_events(conn.id);
                }
            }
            App::Tls(t, plain) => {
                let http_reply =
                    matches!(d, Delivery::Data { bytes, .. } if bytes.starts_with(b"HTTP/1."));
                if !from_client && plain.is_none() && http_reply {
                    *plain = Some(Box::default());
                }
                if let Some(h) = plain
                    && !from_client
                {
                    h.deliver(conn, false, d, &mut self.http_budget, &mut self.events);
                    self.take_events(conn.id);
                }
                t.deliver(from_client, d);
            }
            App::Dns(dirs) => {
                let (src, dst) = if from_client {
                    (conn.client, conn.server)
                } else {
                    (conn.server, conn.client)
                };
                for (at, msg) in dirs[usize::from(!from_client)].deliver(d) {
                    if self.dns.len() < MAX_TCP_DNS {
                        self.dns.push(Datagram { at, src, dst, msg });
                    } else {
                        self.dns_dropped += 1;
                    }
                }
            }
            App::Unset => {}
        }
    }

    fn close(&mut self, conn: &ConnFacts, app: &mut App, _trigger: u64) {
        match std::mem::take(app) {
            App::Http(mut h) => {
                h.close(conn, &mut self.http_budget, &mut self.events);
                self.take_events(conn.id);
            }
            App::Tls(t, plain) => {
                if let Some(mut h) = plain {
                    h.close(conn, &mut self.http_budget, &mut self.events);
                    self.take_events(conn.id);
                }
                // A capture may hold any number of HTTPS connections: the handshakes kept are bounded.
                if self.tls.len() < MAX_TLS_SESSIONS {
                    self.tls.push(TlsSession {
                        conn: conn.id,
                        facts: t.facts().clone(),
                    });
                } else {
                    self.tls_dropped += 1;
                }
            }

            App::Dns(_) => {}
            App::Unset => {}
        }
    }
}
