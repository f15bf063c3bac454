//! The TCP connection table: segments in, per-connection facts and reassembled streams out.
//!
//! Takes: decoded TCP segments with their frame. Gives: calls to a [`StreamSink`] — once per connection
//! when its first payload arrives (the sink decides, by content, whether the connection is worth
//! following), then every in-order [`Delivery`] of followed connections, then the close — and, at the end,
//! the [`ConnFacts`] of every connection the checks may need.
//!
//! Invariants (bounded memory whatever the capture holds):
//! - A connection the sink declines keeps no stream state: its later segments cost one hash lookup and a
//!   few counter updates, with no allocation (the path gigabytes of bulk traffic take).
//! - At most [`MAX_LIVE`] connections are live; beyond that the idlest are retired first.
//! - Out-of-order bytes of all connections together are bounded by the table's [`PendingBudget`]; every
//!   stream is flushed or released before it is dropped, so the budget is back at 0 when the pass ends.
//! - Retired connections are kept as facts only when they can matter to a check — they carried HTTP or TLS,
//!   or never carried payload (refused, unanswered, opened and closed empty) — and at most
//!   [`MAX_ARCHIVED`] of them; the rest are counted in [`TableStats`].
//! - Connection ids number every TCP connection in order of first appearance, as Wireshark's `tcp.stream`
//!   does; a SYN on a closed connection's ports starts a new connection (port reuse).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, SocketAddr};

use crate::decode::TcpSegment;
use crate::flows::PendingBudget;
use crate::flows::assembler::{Assembler, Delivery};
use crate::flows::conn::{AppKind, At, ConnFacts};
use crate::flows::watch::Watch;

/// Live connections held at once.
pub const MAX_LIVE: usize = 65_536;
/// Retired connections whose facts are kept for the checks.
pub const MAX_ARCHIVED: usize = 50_000;

/// What the sink wants done with a connection after seeing its first payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interest {
    /// Reassemble both directions and deliver them.
    Follow(AppKind),
    /// Not ours to read yet (a mid-stream start that did not look like a message boundary): ask again at
    /// the next payload.
    Undecided,
    /// Not followed: keep only the TCP facts.
    Ignore,
}

/// The application layer's side of the table.
pub trait StreamSink {
    /// Per-connection application state.
    type App: Default;
    /// The first payload of a connection (or of a still-undecided one), from the client when `from_client`.
    fn classify(&mut self, conn: &mut ConnFacts, payload: &[u8], from_client: bool) -> Interest;
    /// In-order bytes, gaps and FINs of a followed connection.
    fn deliver(
        &mut self,
        conn: &ConnFacts,
        app: &mut Self::App,
        from_client: bool,
        d: Delivery<'_>,
    );
    /// The connection is over (both FINs, a RST, or the end of the capture); `trigger` is the frame that
    /// ended it (for the end of the capture, the last frame).
    fn close(&mut self, conn: &ConnFacts, app: &mut Self::App, trigger: u64);
}

/// Counters for what the table could not keep.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableStats {
    pub connections: u64,
    /// Connections retired early because the live table was full.
    pub evicted: u64,
    /// Retired connections whose facts were not kept (the archive was full).
    pub facts_dropped: u64,
    /// Holes given up early because the connections together held
    /// [`crate::flows::budget::PENDING_BUDGET`] out-of-order bytes.
    pub budget_gaps: u64,
}

/// Both endpoints, the lower one first, so both directions find the same entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key(SocketAddr, SocketAddr);

impl Key {
    fn of(a: SocketAddr, b: SocketAddr) -> Key {
        if a <= b { Key(a, b) } else { Key(b, a) }
    }
}

/// Every segment hashes its key, so the key goes to the (keyed, DoS-resistant) hasher as one 36-byte
/// write: the derived `Hash` makes a dozen small writes (enum tags, octets, port), and SipHash pays per
/// write. Equal keys give equal bytes (an IPv4 address is written as its IPv6-mapped form).
impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut bytes = [0u8; 36];
        for (chunk, addr) in bytes.chunks_exact_mut(18).zip([self.0, self.1]) {
            let ip = match addr.ip() {
                IpAddr::V4(v4) => v4.to_ipv6_mapped(),
                IpAddr::V6(v6) => v6,
            };
            chunk[..16].copy_from_slice(&ip.octets());
            chunk[16..].copy_from_slice(&addr.port().to_be_bytes());
        }
        state.write(&bytes);
    }
}

enum Streams {
    /// No payload yet, or undecided: the streams are reassembled and held (see [`Watch`]).
    Watching(Box<Watch>),
    Following(Box<[Assembler; 2]>),
    Ignored,
}

impl Streams {
    /// Stops following or watching: what waits out of order goes back to the budget.
    fn forget(&mut self, budget: &mut PendingBudget) {
        match self {
            Streams::Watching(w) => w.release(budget),
            Streams::Following(asm) => asm.iter_mut().for_each(|a| a.release(budget)),
            Streams::Ignored => {}
        }
        *self = Streams::Ignored;
    }
}

struct Live<A> {
    facts: ConnFacts,
    streams: Streams,
    app: A,
    /// Payload segments examined while undecided; a mid-stream connection is given up after a few.
    looks: u8,
    /// The sink was told the connection closed.
    done: bool,
}

/// Payload segments a mid-stream connection may show before it is ignored.
const MAX_LOOKS: u8 = 16;
/// Bytes a connection whose start was captured may show before it is ignored: enough for any request
/// method and its space, `HTTP/1.`, or a TLS record header.
const MAX_UNDECIDED: usize = 16;

/// Every frame looks its connection up here: foldhash is several times faster than the default SipHash
/// and, seeded per process, still keeps a crafted capture from choosing colliding keys.
type LiveMap<A> = HashMap<Key, Live<A>, foldhash::fast::RandomState>;

pub struct FlowTable<A> {
    live: LiveMap<A>,
    archive: Vec<ConnFacts>,
    next_id: u32,
    budget: PendingBudget,
    pub stats: TableStats,
}

impl<A: Default> Default for FlowTable<A> {
    fn default() -> Self {
        FlowTable {
            live: LiveMap::default(),
            archive: Vec::new(),
            next_id: 0,
            budget: PendingBudget::default(),
            stats: TableStats::default(),
        }
    }
}

impl<A: Default> FlowTable<A> {
    /// A table whose connections may hold `limit` out-of-order bytes together (tests use small ones).
    pub fn with_pending_budget(limit: usize) -> Self {
        FlowTable {
            budget: PendingBudget::new(limit),
            ..FlowTable::default()
        }
    }

    /// Feeds one TCP segment from `src` to `dst`, carried by frame `at`.
    pub fn segment<S: StreamSink<App = A>>(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        seg: &TcpSegment<'_>,
        at: At,
        sink: &mut S,
    ) {
        let key = Key::of(src, dst);
        let reuse = seg.flags.syn && !seg.flags.ack && self.live.get(&key).is_some_and(|l| l.done);
        if reuse {
            let old = self.live.remove(&key).expect("checked above");
            self.retire(old, at.frame, sink);
        }
        if self.live.len() >= MAX_LIVE && !self.live.contains_key(&key) {
            self.evict_idlest(at.frame, sink);
        }
        // One hash lookup for the segments of a known connection (the path bulk traffic takes).
        let live = match self.live.entry(key) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let facts = ConnFacts::new(self.next_id, src, dst, seg.flags, at);
                self.next_id += 1;
                self.stats.connections += 1;
                e.insert(Live {
                    facts,
                    streams: Streams::Watching(Box::default()),
                    app: A::default(),
                    looks: 0,
                    done: false,
                })
            }
        };
        Self::feed(live, src, seg, at, &mut self.budget, sink);
        if live.facts.closed() && !live.done {
            // The entry stays live so that the last ACKs and retransmitted FINs land on this connection
            // instead of opening a phantom one; it is retired on port reuse, eviction or the end.
            Self::close(live, at.frame, &mut self.budget, sink);
        }
    }

    /// The capture ended: flush and close every live connection; returns the facts of every kept
    /// connection, in order of first appearance.
    pub fn finish<S: StreamSink<App = A>>(
        mut self,
        last_frame: u64,
        sink: &mut S,
    ) -> (Vec<ConnFacts>, TableStats) {
        let mut rest: Vec<Live<A>> = self.live.drain().map(|(_, l)| l).collect();
        rest.sort_by_key(|l| l.facts.id);
        for l in rest {
            self.retire(l, last_frame, sink);
        }
        debug_assert_eq!(
            self.budget.used(),
            0,
            "every stream was flushed or released"
        );
        self.stats.budget_gaps = self.budget.gaps;
        self.archive.sort_by_key(|f| f.id);
        (self.archive, self.stats)
    }

    fn feed<S: StreamSink<App = A>>(
        live: &mut Live<A>,
        src: SocketAddr,
        seg: &TcpSegment<'_>,
        at: At,
        budget: &mut PendingBudget,
        sink: &mut S,
    ) {
        let dir = live.facts.dir_of(src);
        live.facts
            .observe(dir, seg.flags, seg.payload.len() + seg.cut as usize, at);
        if seg.cut > 0 {
            live.facts.snap_cut += 1;
        }
        match &mut live.streams {
            Streams::Ignored => {}
            Streams::Watching(watch) => {
                if seg.flags.syn {
                    watch.syn(dir, seg.seq);
                } else {
                    watch.segment(
                        dir,
                        seg.seq,
                        seg.payload,
                        seg.cut,
                        seg.flags.fin,
                        at,
                        budget,
                    );
                    if !watch.prefix(dir).is_empty() {
                        Self::decide(live, dir, budget, sink);
                    }
                }
            }
            Streams::Following(asm) => {
                let from_client = dir == 0;
                let a = &mut asm[dir];
                if seg.flags.syn {
                    a.syn(seg.seq);
                } else {
                    let (facts, app) = (&live.facts, &mut live.app);
                    a.segment_cut(
                        seg.seq,
                        seg.payload,
                        seg.cut,
                        seg.flags.fin,
                        at,
                        budget,
                        &mut |d| sink.deliver(facts, app, from_client, d),
                    );
                }
            }
        }
        if seg.flags.rst
            && let Streams::Following(asm) = &mut live.streams
        {
            let (facts, app) = (&live.facts, &mut live.app);
            for (i, a) in asm.iter_mut().enumerate() {
                a.flush(at.frame, budget, &mut |d| {
                    sink.deliver(facts, app, i == 0, d)
                });
            }
        }
        if let Streams::Following(asm) = &live.streams {
            live.facts.streams = [asm[0].stats, asm[1].stats];
        }
    }

    /// Asks the sink about the bytes direction `dir` has delivered so far; switches the connection to
    /// following (replaying what was held), keeps watching, or ignores it.
    fn decide<S: StreamSink<App = A>>(
        live: &mut Live<A>,
        dir: usize,
        budget: &mut PendingBudget,
        sink: &mut S,
    ) {
        let Streams::Watching(watch) = &mut live.streams else {
            return;
        };
        let before = live.facts.client;
        let interest = sink.classify(&mut live.facts, watch.prefix(dir), dir == 0);
        live.looks = live.looks.saturating_add(1);
        match interest {
            Interest::Follow(kind) => {
                live.facts.app = kind;
                let Streams::Watching(mut watch) =
                    std::mem::replace(&mut live.streams, Streams::Ignored)
                else {
                    unreachable!("matched above")
                };
                if live.facts.client != before {
                    watch.swap();
                }
                let (facts, app) = (&live.facts, &mut live.app);
                let asm = watch.replay(&mut |i, d| sink.deliver(facts, app, i == 0, d));
                live.streams = Streams::Following(Box::new(asm));
            }
            Interest::Undecided if live.facts.start_missed && live.looks < MAX_LOOKS => {
                watch.restart(dir, budget)
            }
            Interest::Undecided
                if !live.facts.start_missed && watch.prefix(dir).len() < MAX_UNDECIDED => {}
            _ => {
                if live.facts.app == AppKind::None {
                    live.facts.app = AppKind::Other;
                }
                live.streams.forget(budget);
            }
        }
    }

    /// Flushes a followed connection's streams and tells the sink it closed.
    fn close<S: StreamSink<App = A>>(
        l: &mut Live<A>,
        trigger: u64,
        budget: &mut PendingBudget,
        sink: &mut S,
    ) {
        l.done = true;
        if let Streams::Following(asm) = &mut l.streams {
            let (facts, app) = (&l.facts, &mut l.app);
            for (i, a) in asm.iter_mut().enumerate() {
                a.flush(trigger, budget, &mut |d| {
                    sink.deliver(facts, app, i == 0, d)
                });
            }
            l.facts.streams = [asm[0].stats, asm[1].stats];
            sink.close(&l.facts, &mut l.app, trigger);
        }
        l.streams.forget(budget);
    }

    /// Closes a connection if still open, and keeps its facts if they can matter to a check.
    fn retire<S: StreamSink<App = A>>(&mut self, mut l: Live<A>, trigger: u64, sink: &mut S) {
        if !l.done {
            Self::close(&mut l, trigger, &mut self.budget, sink);
        }
        let attempted = l.facts.syn_count > 0 || l.facts.syn_ack.is_some();
        let matters = match l.facts.app {
            AppKind::Http | AppKind::Tls => true,
            AppKind::None | AppKind::Dns => attempted,
            AppKind::Other => false,
        };
        if !matters {
            return;
        }
        if self.archive.len() < MAX_ARCHIVED {
            self.archive.push(l.facts);
        } else {
            self.stats.facts_dropped += 1;
        }
    }

    /// Retires the least recently active eighth of the live table (amortises the scan).
    fn evict_idlest<S: StreamSink<App = A>>(&mut self, trigger: u64, sink: &mut S) {
        let mut by_age: Vec<(u64, Key)> = self
            .live
            .iter()
            .map(|(k, l)| (l.facts.last.frame, *k))
            .collect();
        by_age.sort_unstable_by_key(|(frame, _)| *frame);
        for (_, key) in by_age.into_iter().take(MAX_LIVE / 8) {
            if let Some(l) = self.live.remove(&key) {
                self.stats.evicted += 1;
                self.retire(l, trigger, sink);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::TcpFlags;
    use crate::time::Timestamp;

    /// Follows connections whose payload starts like HTTP; records what it is told.
    #[derive(Default)]
    struct Recorder {
        text: HashMap<(u32, bool), String>,
        closed: Vec<(u32, u64)>,
        classified: u32,
    }

    impl StreamSink for Recorder {
        type App = ();
        fn classify(&mut self, c: &mut ConnFacts, payload: &[u8], from_client: bool) -> Interest {
            self.classified += 1;
            if payload.starts_with(b"GET ")
                && !from_client
                && c.roles == crate::flows::RoleSource::FirstSender
            {
                c.swap_roles(crate::flows::RoleSource::Content);
            }
            if payload.starts_with(b"GET ") || payload.starts_with(b"HTTP/") {
                Interest::Follow(AppKind::Http)
            } else if payload.starts_with(b"?") {
                Interest::Undecided
            } else {
                Interest::Ignore
            }
        }
        fn deliver(&mut self, c: &ConnFacts, _: &mut (), from_client: bool, d: Delivery<'_>) {
            let t = self.text.entry((c.id, from_client)).or_default();
            match d {
                Delivery::Data { bytes, .. } => t.push_str(&String::from_utf8_lossy(bytes)),
                Delivery::Gap { len, .. } => t.push_str(&format!("<gap {len}>")),
                Delivery::Fin { .. } => t.push_str("<fin>"),
            }
        }
        fn close(&mut self, c: &ConnFacts, _: &mut (), trigger: u64) {
            self.closed.push((c.id, trigger));
        }
    }

    const CLI: &str = "10.0.0.1:40000";
    const SRV: &str = "10.0.0.2:7547";

    struct Run {
        table: FlowTable<()>,
        sink: Recorder,
        frame: u64,
    }

    impl Run {
        fn new() -> Run {
            Run::within(crate::flows::budget::PENDING_BUDGET)
        }
        fn within(budget: usize) -> Run {
            Run {
                table: FlowTable::with_pending_budget(budget),
                sink: Recorder::default(),
                frame: 0,
            }
        }
        /// One segment; `flags` is a string of S A F R.
        fn seg(&mut self, from: &str, to: &str, flags: &str, seq: u32, payload: &str) -> &mut Run {
            self.frame += 1;
            let seg = TcpSegment {
                src_port: 0,
                dst_port: 0,
                seq,
                ack: 0,
                flags: TcpFlags {
                    syn: flags.contains('S'),
                    ack: flags.contains('A'),
                    fin: flags.contains('F'),
                    rst: flags.contains('R'),
                    psh: false,
                },
                window: 0,
                payload: payload.as_bytes(),
                cut: 0,
            };
            let at = At {
                frame: self.frame,
                ts: Timestamp::new(self.frame as i64, 0),
            };
            self.table.segment(
                from.parse().unwrap(),
                to.parse().unwrap(),
                &seg,
                at,
                &mut self.sink,
            );
            self
        }
        fn finish(self) -> (Vec<ConnFacts>, TableStats, Recorder) {
            let mut sink = self.sink;
            let (facts, stats) = self.table.finish(self.frame, &mut sink);
            (facts, stats, sink)
        }
    }

    fn handshake(r: &mut Run) {
        r.seg(CLI, SRV, "S", 99, "")
            .seg(SRV, CLI, "SA", 499, "")
            .seg(CLI, SRV, "A", 100, "");
    }

    #[test]
    fn followed_connection_delivers_both_directions_and_closes_at_the_second_fin() {
        let mut r = Run::new();
        handshake(&mut r);
        r.seg(CLI, SRV, "A", 100, "GET / HTTP/1.1\r\n\r\n");
        r.seg(SRV, CLI, "AF", 500, "HTTP/1.1 204 No Content\r\n\r\n");
        r.seg(CLI, SRV, "AF", 118, "");
        r.seg(SRV, CLI, "A", 528, "");
        let (facts, stats, sink) = r.finish();
        assert_eq!(sink.text[&(0, true)], "GET / HTTP/1.1\r\n\r\n<fin>");
        assert_eq!(
            sink.text[&(0, false)],
            "HTTP/1.1 204 No Content\r\n\r\n<fin>"
        );
        assert_eq!(sink.closed, vec![(0, 6)]);
        assert_eq!(
            stats.connections, 1,
            "the last ACK must not open a phantom connection"
        );
        assert_eq!(facts.len(), 1);
        assert_eq!(facts[0].app, AppKind::Http);
        assert_eq!(facts[0].established.map(|a| a.frame), Some(3));
    }

    #[test]
    fn ignored_connection_keeps_no_stream_and_no_archived_facts() {
        let mut r = Run::new();
        handshake(&mut r);
        r.seg(CLI, SRV, "A", 100, "SSH-2.0-OpenSSH\r\n");
        r.seg(CLI, SRV, "A", 117, "GET / HTTP/1.1\r\n\r\n");
        let (facts, stats, sink) = r.finish();
        assert!(sink.text.is_empty());
        assert_eq!(
            sink.classified, 1,
            "an ignored connection is not classified again"
        );
        assert!(facts.is_empty());
        assert_eq!(stats.connections, 1);
    }

    #[test]
    fn unanswered_syns_and_refused_connections_are_kept_as_facts() {
        let mut r = Run::new();
        r.seg(CLI, SRV, "S", 99, "").seg(CLI, SRV, "S", 99, "");
        r.seg("10.0.0.1:40001", SRV, "S", 7, "")
            .seg(SRV, "10.0.0.1:40001", "RA", 0, "");
        let (facts, _, _) = r.finish();
        assert_eq!(facts.len(), 2);
        assert_eq!(facts[0].syn_count, 2);
        assert!(facts[0].syn_ack.is_none());
        let rst = facts[1].rst.expect("refused");
        assert!(!rst.from_client);
        assert_eq!(rst.at.frame, 4);
    }

    #[test]
    fn a_syn_on_a_closed_connections_ports_starts_a_new_connection() {
        let mut r = Run::new();
        handshake(&mut r);
        r.seg(CLI, SRV, "AR", 100, "");
        handshake(&mut r);
        let (facts, stats, _) = r.finish();
        assert_eq!(stats.connections, 2);
        assert_eq!(facts.iter().map(|f| f.id).collect::<Vec<_>>(), vec![0, 1]);
    }

    #[test]
    fn reset_flushes_waiting_data_with_a_gap_and_closes() {
        let mut r = Run::new();
        handshake(&mut r);
        r.seg(CLI, SRV, "A", 100, "GET /a");
        r.seg(CLI, SRV, "A", 110, "tail");
        r.seg(SRV, CLI, "R", 500, "");
        let (_, _, sink) = r.finish();
        assert_eq!(sink.text[&(0, true)], "GET /a<gap 4>tail");
        assert_eq!(sink.closed, vec![(0, 6)]);
    }

    #[test]
    fn mid_stream_connection_is_followed_from_the_first_message_boundary() {
        let mut r = Run::new();
        r.seg(
            SRV,
            CLI,
            "A",
            900,
            "?body of a message whose start was missed",
        );
        r.seg(CLI, SRV, "A", 5000, "GET /next HTTP/1.1\r\n\r\n");
        let (facts, _, sink) = r.finish();
        assert_eq!(sink.text[&(0, true)], "GET /next HTTP/1.1\r\n\r\n");
        assert!(facts[0].start_missed);
    }

    #[test]
    fn an_ipv4_address_and_its_ipv6_mapped_form_are_different_connections() {
        // They hash alike (the key is hashed in IPv6-mapped form) but are not equal.
        let mut r = Run::new();
        r.seg("192.0.2.1:40000", "192.0.2.2:80", "S", 1, "");
        r.seg(
            "[::ffff:192.0.2.1]:40000",
            "[::ffff:192.0.2.2]:80",
            "S",
            1,
            "",
        );
        r.seg("192.0.2.2:80", "192.0.2.1:40000", "SA", 9, "");
        let (facts, stats, _) = r.finish();
        assert_eq!(stats.connections, 2);
        assert!(facts[0].syn_ack.is_some());
        assert!(facts[1].syn_ack.is_none());
    }

    #[test]
    fn a_full_live_table_retires_the_idlest_connections_and_stays_bounded() {
        let mut r = Run::new();
        for i in 0..(MAX_LIVE + 10) {
            let port = 1024 + (i % 60_000);
            let host = i / 60_000;
            r.seg(&format!("10.1.0.{host}:{port}"), SRV, "S", 1, "");
        }
        assert!(r.table.live.len() <= MAX_LIVE);
        let (facts, stats, _) = r.finish();
        assert!(stats.evicted > 0);
        assert_eq!(stats.connections, (MAX_LIVE + 10) as u64);
        assert_eq!(facts.len() as u64 + stats.facts_dropped, stats.connections);
        assert!(facts.len() <= MAX_ARCHIVED);
    }

    #[test]
    fn connections_overfilling_the_pass_budget_give_up_their_holes_and_the_budget_returns_to_zero()
    {
        use crate::flows::budget::segment_cost;
        let limit = 4 * segment_cost(100);
        let mut r = Run::within(limit);
        let chunk = "x".repeat(100);
        // A connection still watched (nothing in order yet) holds bytes too, and forgets them at its
        // reset.
        r.seg("10.0.0.9:40000", SRV, "S", 99, "");
        r.seg("10.0.0.9:40000", SRV, "A", 110, &chunk);
        assert_eq!(r.table.budget.used(), segment_cost(100));
        r.seg(SRV, "10.0.0.9:40000", "R", 0, "");
        assert_eq!(r.table.budget.used(), 0);
        for c in 0..3u16 {
            let cli = format!("10.0.0.1:{}", 40000 + c);
            r.seg(&cli, SRV, "S", 99, "");
            r.seg(&cli, SRV, "A", 100, "GET / HTTP/1.1\r\n");
            for k in 0..2u32 {
                r.seg(&cli, SRV, "A", 126 + k * 100, &chunk);
                assert!(r.table.budget.used() <= limit, "{}", r.table.budget.used());
            }
        }
        assert_eq!(r.table.budget.used(), limit);
        let (_, stats, sink) = r.finish();
        assert_eq!(
            stats.budget_gaps, 1,
            "the third connection's first waiting segment overfills the budget; its second then comes in order"
        );
        assert_eq!(
            sink.text[&(3, true)],
            format!("GET / HTTP/1.1\r\n<gap 10>{chunk}{chunk}")
        );
        assert_eq!(
            sink.text[&(1, true)],
            format!("GET / HTTP/1.1\r\n<gap 10>{chunk}{chunk}"),
            "a connection within the budget gives its hole up only at the end"
        );
    }
}
