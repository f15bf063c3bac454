//! One direction of an HTTP/1.1 connection: reassembled bytes in, messages out (RFC 9112).
//!
//! Takes: the in-order [`Delivery`] events of one TCP direction. Gives: [`HttpEvent`]s — every message
//! with its framing resolved (Content-Length, chunked, no body, until close; §6.3), or a finding when a
//! head cannot be parsed. Heads are parsed with `httparse`; bodies are de-chunked by [`chunked`].
//!
//! Invariants:
//! - Memory is bounded: a head may not exceed [`MAX_HEAD`] bytes, a chunk-size or trailer line
//!   [`MAX_LINE`], a stored body [`MAX_BODY`] (longer bodies are counted, not stored) — a hostile
//!   Content-Length costs nothing until bytes really arrive. All directions of a pass together store at
//!   most their [`HttpBudget`]: beyond the bodies' share a body is counted, not stored, and says why
//!   ([`BodyCut`]); a head that would overfill the budget is given up as a finding.
//! - `charged` is what the direction holds (the capacity of its line and of the body being stored),
//!   brought up to date after every delivery; a direction at rest between messages holds nothing.
//! - After a gap or an unparseable head the direction re-synchronises at the next delivery that starts
//!   like a message, as Wireshark does; bytes in between are not turned into messages.
//! - A message's `last` frame is the *trigger* frame of the delivery that completed it.

mod chunked;

use crate::apps::http::budget::{self, HttpBudget};
use crate::apps::http::head::{framing, parse_request, parse_response};
use crate::apps::http::message::{BodyCut, Ending, Framing, HttpMessage, StartLine};
use crate::apps::http::start::{looks_like_start, preview, take_through_blank_line};
use crate::flows::{At, Delivery};
use chunked::Chunk;

/// Largest message head (start line and header fields) kept.
pub const MAX_HEAD: usize = 64 * 1024;
/// Largest chunk-size or trailer line.
pub const MAX_LINE: usize = 4096;
/// Largest body stored per message.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// What a direction produces.
#[derive(Debug)]
pub enum HttpEvent {
    Message(Box<HttpMessage>),
    /// A message head that could not be parsed, or bytes that are not HTTP where a message should start;
    /// the direction re-synchronises afterwards.
    Problem {
        at: At,
        reason: String,
    },
}

#[derive(Debug)]
enum State {
    /// Between messages.
    Idle,
    /// Reading a head into `line`.
    Head,
    Length(u64),
    Chunked(Chunk),
    UntilClose,
    /// Lost sync: waiting for a delivery that starts like a message.
    Resync,
    /// The connection became a tunnel (CONNECT, Upgrade): nothing more is HTTP.
    Tunnel,
}

/// A message whose head is parsed and whose body is being read.
#[derive(Debug)]
struct Building {
    msg: HttpMessage,
    damaged: bool,
}

/// Parser state of one direction.
#[derive(Debug)]
pub struct HttpDirection {
    /// This direction carries requests (the TCP client's side).
    requests: bool,
    state: State,
    line: Vec<u8>,
    head_first: Option<At>,
    building: Option<Building>,
    /// Bytes that are not HTTP were reported once already.
    reported_not_http: bool,
    /// What this direction is charged to the pass's [`HttpBudget`].
    charged: usize,
}

/// What the parser needs to know about its connection for one delivery.
pub struct Ctx<'a> {
    pub conn: u32,
    pub src: std::net::SocketAddr,
    pub dst: std::net::SocketAddr,
    /// Methods of requests still awaiting a final response (the response side reads it: HEAD has no body).
    pub methods: &'a mut std::collections::VecDeque<String>,
    /// What all open messages of the pass may store.
    pub budget: &'a mut HttpBudget,
}

impl HttpDirection {
    pub fn new(requests: bool) -> Self {
        HttpDirection {
            requests,
            state: State::Idle,
            line: Vec::new(),
            head_first: None,
            building: None,
            reported_not_http: false,
            charged: 0,
        }
    }

    /// Bytes this direction holds: its line and the body being stored.
    fn held(&self) -> usize {
        self.line.capacity() + self.building.as_ref().map_or(0, |b| b.msg.body.capacity())
    }

    fn settle(&mut self, budget: &mut HttpBudget) {
        let held = self.held();
        budget.settle(&mut self.charged, held);
    }

    pub fn deliver(&mut self, d: Delivery<'_>, ctx: &mut Ctx<'_>, out: &mut Vec<HttpEvent>) {
        match d {
            Delivery::Data {
                bytes,
                frame,
                ts,
                trigger,
            } => {
                let carried = At { frame, ts };
                let trig = At { frame: trigger, ts };
                if matches!(self.state, State::Resync) && looks_like_start(bytes, self.requests) {
                    self.state = State::Idle;
                }
                self.bytes(bytes, carried, trig, ctx, out);
            }
            Delivery::Gap { len, .. } => self.gap(len, out),
            Delivery::Fin { frame, ts } => self.end(Some(At { frame, ts }), false, out),
        }
        self.settle(ctx.budget);
    }

    /// The other direction switched the connection to another protocol.
    pub fn enter_tunnel(&mut self) {
        self.state = State::Tunnel;
    }

    /// The connection ended without a FIN in this direction (reset, or the end of the capture).
    pub fn close(&mut self, reset: Option<At>, budget: &mut HttpBudget, out: &mut Vec<HttpEvent>) {
        self.end(reset, true, out);
        self.settle(budget);
    }

    fn bytes(
        &mut self,
        mut bytes: &[u8],
        carried: At,
        trig: At,
        ctx: &mut Ctx<'_>,
        out: &mut Vec<HttpEvent>,
    ) {
        while !bytes.is_empty() {
            match &mut self.state {
                State::Resync | State::Tunnel => return,
                State::Idle => {
                    let skip = bytes
                        .iter()
                        .take_while(|b| matches!(b, b'\r' | b'\n'))
                        .count();
                    bytes = &bytes[skip..];
                    if bytes.is_empty() {
                        return;
                    }
                    if !looks_like_start(bytes, self.requests) {
                        if !self.reported_not_http {
                            // Once per direction: the decisive evidence of a TLS/HTTP mismatch (TLS
                            // bytes answering a plain request), not every resynchronisation after it.
                            self.reported_not_http = true;
                            let side = if self.requests { "request" } else { "reply" };
                            let reason =
                                format!("not HTTP: the {side} starts with {}", preview(bytes));
                            out.push(HttpEvent::Problem { at: trig, reason });
                        }
                        self.state = State::Resync;
                        return;
                    }
                    self.state = State::Head;
                    self.line = Vec::new();
                    self.head_first = Some(carried);
                }
                State::Head => {
                    let (used, done) = take_through_blank_line(&mut self.line, bytes);
                    bytes = &bytes[used..];
                    self.settle(ctx.budget);
                    if done {
                        self.head_done(carried, trig, ctx, out);
                    } else if self.line.len() > MAX_HEAD {
                        self.bad_head(
                            trig,
                            format!("message head longer than {MAX_HEAD} bytes"),
                            out,
                        );
                    } else if ctx.budget.over() {
                        ctx.budget.heads_dropped += 1;
                        let reason = format!(
                            "message head not kept: more than {} MiB of HTTP messages were open at once",
                            budget::HTTP_BUDGET >> 20
                        );
                        self.bad_head(trig, reason, out);
                    }
                }
                State::Length(rem) => {
                    let n = (*rem).min(bytes.len() as u64) as usize;
                    *rem -= n as u64;
                    let finished = *rem == 0;
                    self.store(&bytes[..n], carried, ctx.budget);
                    bytes = &bytes[n..];
                    if finished {
                        self.finish(trig, Ending::Complete, out);
                    }
                }
                State::UntilClose => {
                    self.store(bytes, carried, ctx.budget);
                    return;
                }
                State::Chunked(_) => bytes = self.chunked(bytes, carried, trig, ctx.budget, out),
            }
        }
    }

    /// Parses the head in `line` and picks the body framing (RFC 9112 §6.3).
    fn head_done(&mut self, carried: At, trig: At, ctx: &mut Ctx<'_>, out: &mut Vec<HttpEvent>) {
        let first = self.head_first.take().unwrap_or(carried);
        let parsed = if self.requests {
            parse_request(&self.line)
        } else {
            parse_response(&self.line)
        };
        self.line = Vec::new();
        let (start, headers) = match parsed {
            Ok(h) => h,
            Err(reason) => return self.bad_head(trig, reason, out),
        };
        let framing = match framing(&start, &headers, ctx.methods) {
            Ok(f) => f,
            Err(reason) => return self.bad_head(trig, reason, out),
        };
        if let StartLine::Request { method, .. } = &start
            && ctx.methods.len() < 64
        {
            ctx.methods.push_back(method.clone());
        }
        let msg = HttpMessage {
            conn: ctx.conn,
            from_client: self.requests,
            src: ctx.src,
            dst: ctx.dst,
            first,
            last: carried,
            start,
            headers,
            body: Vec::new(),
            body_len: 0,
            body_cut: None,
            framing,
            ending: Ending::Incomplete,
        };
        self.building = Some(Building {
            msg,
            damaged: false,
        });
        self.state = match framing {
            Framing::None | Framing::ContentLength(0) => {
                return self.finish(trig, Ending::Complete, out);
            }
            Framing::ContentLength(n) => State::Length(n),
            Framing::Chunked => State::Chunked(Chunk::Size),
            Framing::UntilClose => State::UntilClose,
            Framing::Tunnel => {
                self.finish(trig, Ending::Complete, out);
                State::Tunnel
            }
        };
    }

    /// Stores body bytes within [`MAX_BODY`] and the budget; once a body is cut, its further bytes are
    /// only counted.
    fn store(&mut self, bytes: &[u8], carried: At, budget: &mut HttpBudget) {
        self.settle(budget);
        let line = self.line.capacity();
        let Some(b) = &mut self.building else {
            return;
        };
        b.msg.last = carried;
        b.msg.body_len += bytes.len() as u64;
        if b.msg.body_cut.is_some() {
            return;
        }
        let body = &mut b.msg.body;
        let too_long = body.len() + bytes.len() > MAX_BODY;
        if !budget::store(body, bytes, MAX_BODY, budget, &mut self.charged, line) {
            b.msg.body_cut = Some(BodyCut::Budget);
            budget.bodies_cut += 1;
        } else if too_long {
            b.msg.body_cut = Some(BodyCut::TooLong);
        }
    }

    /// Emits the message being built and returns to `Idle`.
    fn finish(&mut self, trig: At, ending: Ending, out: &mut Vec<HttpEvent>) {
        if let Some(mut b) = self.building.take() {
            b.msg.last = trig;
            b.msg.ending = if b.damaged && ending == Ending::Complete {
                Ending::Incomplete
            } else {
                ending
            };
            out.push(HttpEvent::Message(Box::new(b.msg)));
        }
        self.state = State::Idle;
        self.line = Vec::new();
    }

    fn finish_damaged(&mut self, trig: At, reason: String, out: &mut Vec<HttpEvent>) {
        out.push(HttpEvent::Problem { at: trig, reason });
        self.finish(trig, Ending::Incomplete, out);
        self.state = State::Resync;
    }

    fn bad_head(&mut self, at: At, reason: String, out: &mut Vec<HttpEvent>) {
        out.push(HttpEvent::Problem { at, reason });
        self.line = Vec::new();
        self.head_first = None;
        self.state = State::Resync;
    }

    /// The capture lost `len` bytes of this direction.
    fn gap(&mut self, len: u64, out: &mut Vec<HttpEvent>) {
        match &mut self.state {
            // A gap inside a body of known length: count the lost bytes and keep the message framed.
            State::Length(rem) if len < *rem => {
                *rem -= len;
                if let Some(b) = &mut self.building {
                    b.damaged = true;
                    b.msg.body_len += len;
                }
            }
            State::Idle | State::Resync => self.state = State::Resync,
            State::Tunnel => {}

            _ => {
                let last = self.building.as_ref().map(|b| b.msg.last);
                if let Some(at) = last {
                    self.finish(at, Ending::Incomplete, out);
                }
                self.line = Vec::new();
                self.head_first = None;
                self.state = State::Resync;
            }
        }
    }

    /// The direction ended: by a FIN (`reset == false`, `at` = the FIN) or a reset/the end of the capture.
    fn end(&mut self, at: Option<At>, reset: bool, out: &mut Vec<HttpEvent>) {
        let Some(b) = &self.building else {
            // A head still being read is dropped with the connection.
            self.line = Vec::new();
            self.head_first = None;
            self.state = State::Resync;
            return;
        };
        let at_or_last = at.unwrap_or(b.msg.last);
        let ending = match (&self.state, at, reset) {
            (State::UntilClose, Some(_), false) => Ending::Complete,
            (_, Some(at), false) => Ending::ClosedEarly { at },
            (_, Some(at), true) => Ending::ResetEarly { at },
            (_, None, _) => Ending::Incomplete,
        };
        let last = if ending == Ending::Complete {
            at_or_last
        } else {
            b.msg.last
        };
        self.finish(last, ending, out);
        self.state = State::Resync;
    }
}
