//! One direction of a TCP connection turned back into a byte stream.
//!
//! Takes: segments as they appear in the capture (sequence number, payload, the frame that carried them,
//! SYN/FIN flags). Gives: [`Delivery`] events in stream order — bytes with the frame that carried them and
//! the frame whose arrival made them deliverable, gaps where the capture lost bytes, and the FIN.
//! Follows RFC 9293 §3.4 sequence-number arithmetic (comparisons modulo 2^32).
//!
//! Invariants:
//! - Bytes are delivered exactly once, in sequence order; a byte already delivered is never delivered again
//!   (retransmissions and the old part of overlapping segments are dropped: the first copy wins, as in
//!   Wireshark).
//! - Out-of-order data waits in `pending`, whose size is bounded by [`PENDING_LIMIT`] bytes per direction
//!   and by the pass's [`PendingBudget`] for all connections together. A hole is given up — reported as
//!   a [`Delivery::Gap`], delivery resuming after it — when either is exceeded (the direction adding bytes
//!   gives up its holes until both hold again), the stream ends or it is reset. ACKs beyond a hole are not trusted to mean "lost": captures
//!   recorded by multi-queue NICs or merged from two interfaces show an ACK before the segment it
//!   acknowledges. Data released past a given-up hole keeps its own frame as trigger, so the messages
//!   it completes get the frames they arrived in, whenever the hole is given up.
//! - What `pending` holds is charged to the budget while it waits and released when it is delivered,
//!   given up or dropped ([`Assembler::release`]): `charged` is always the cost of `pending`.
//! - `trigger` is the frame being processed when bytes become deliverable: the frame that completes a
//!   message, as Wireshark reports it (`tcp.reassemble_out_of_order`).

use crate::flows::At;
use crate::flows::budget::{PendingBudget, segment_cost};
use crate::time::Timestamp;

/// Most out-of-order bytes one direction holds while waiting for a hole to be filled.
pub const PENDING_LIMIT: usize = 256 * 1024;

/// What the reassembler hands to the application parser, in stream order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]

pub enum Delivery<'a> {
    /// In-order bytes. `frame` carried them; `trigger` is the frame whose arrival released them.
    Data {
        bytes: &'a [u8],
        frame: u64,
        ts: Timestamp,
        trigger: u64,
    },
    /// `len` bytes that the capture does not hold (lost, or not captured); `frame` is the first frame after
    /// the hole.
    Gap { len: u64, frame: u64 },
    /// The sender's FIN, once every byte before it was delivered.
    Fin { frame: u64, ts: Timestamp },
}

#[cfg(test)]
impl<'a> Delivery<'a> {
    /// In-order bytes carried and released by frame `frame`, at `frame` seconds: a tests' shorthand.
    pub fn test_data(bytes: &'a [u8], frame: u64) -> Self {
        Delivery::Data {
            bytes,
            frame,
            ts: crate::time::Timestamp::new(frame as i64, 0),
            trigger: frame,
        }
    }
}

/// A segment that arrived ahead of a hole.
#[derive(Debug)]
struct Pending {
    seq: u32,
    data: Vec<u8>,
    /// Bytes after `data` that the snapshot length cut.
    cut: u32,
    frame: u64,
    ts: Timestamp,
}

/// Counters a connection reports as facts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StreamStats {
    /// Bytes delivered in order.
    pub delivered: u64,
    /// Segments whose every byte had been delivered already.
    pub retransmissions: u32,
    /// Segments that arrived ahead of a hole.
    pub out_of_order: u32,
    /// Segments that repeated part of the delivered stream and carried new bytes too.
    pub overlaps: u32,
    /// Holes reported, and the bytes they covered.
    pub gaps: u32,
    pub gap_bytes: u64,
    /// The first frame after the first hole, for evidence.
    pub first_gap_frame: Option<u64>,
    /// Segments cut by the capture's snapshot length, and the bytes cut (not counted as gaps: the
    /// capture saw them go, it only did not keep them).
    pub snap_cuts: u32,
    pub snap_cut_bytes: u64,
}

/// One direction of a TCP connection.
#[derive(Debug, Default)]
pub struct Assembler {
    /// The sequence number of the next byte to deliver; `None` until a SYN or the first segment sets it.
    next: Option<u32>,
    /// The capture did not show this direction's SYN: delivery started mid-stream.
    pub start_missed: bool,
    pending: Vec<Pending>,
    pending_bytes: usize,
    /// What `pending` costs the pass's budget.
    charged: usize,
    /// Sequence number the FIN occupies, once seen, and its frame.
    fin: Option<(u32, u64, Timestamp)>,
    fin_delivered: bool,
    pub stats: StreamStats,
}

/// Signed distance from `b` to `a` in sequence space (RFC 9293: comparisons modulo 2^32).
fn seq_diff(a: u32, b: u32) -> i64 {
    i64::from(a.wrapping_sub(b) as i32)
}

impl Assembler {
    /// A SYN fixes the stream origin: the first data byte is `isn + 1`. A retransmitted SYN with the same
    /// ISN changes nothing; a SYN with a new ISN before any data restarts the stream (port reuse).
    pub fn syn(&mut self, isn: u32) {
        let origin = isn.wrapping_add(1);
        if self.stats.delivered == 0 && self.pending.is_empty() {
            self.next = Some(origin);
            self.start_missed = false;
        }
    }

    /// True once this direction delivered its FIN.
    pub fn finished(&self) -> bool {
        self.fin_delivered
    }

    /// Feeds one segment; calls `out` for every delivery it makes possible, in order. Out-of-order bytes
    /// are charged to `budget`.
    pub fn segment(
        &mut self,
        seq: u32,
        payload: &[u8],
        fin: bool,
        at: At,
        budget: &mut PendingBudget,
        out: &mut dyn FnMut(Delivery<'_>),
    ) {
        self.segment_cut(seq, payload, 0, fin, at, budget, out);
    }

    /// The same for a segment whose last `cut` payload bytes were not captured (the capture's snapshot
    /// length): they still occupy sequence space, so they are reported as a [`Delivery::Gap`] at once —
    /// the sender did send them, nothing later will fill them, and waiting for them would hold every
    /// following segment as out of order.
    #[allow(clippy::too_many_arguments)]
    pub fn segment_cut(
        &mut self,
        seq: u32,
        payload: &[u8],
        cut: u32,
        fin: bool,
        at: At,
        budget: &mut PendingBudget,
        out: &mut dyn FnMut(Delivery<'_>),
    ) {
        let At { frame, ts } = at;
        let next = *self.next.get_or_insert_with(|| {
            self.start_missed = true;
            seq
        });
        let on_wire = (payload.len() as u32).saturating_add(cut);
        if fin && self.fin.is_none() {
            self.fin = Some((seq.wrapping_add(on_wire), frame, ts));
        }
        if on_wire > 0 {
            let d = seq_diff(seq, next);
            let len = i64::from(on_wire);
            if d + len <= 0 {
                self.stats.retransmissions += 1;
            } else if d <= 0 {
                if d < 0 {
                    self.stats.overlaps += 1;
                }
                let fresh = payload.get((-d) as usize..).unwrap_or_default();
                self.deliver(fresh, frame, ts, frame, out);
                self.skip_cut(seq.wrapping_add(on_wire), frame, out);
                self.drain(Some(frame), budget, out);
            } else {
                self.stats.out_of_order += 1;
                self.hold(seq, payload, cut, at, budget);
                if self.pending_bytes > PENDING_LIMIT {
                    self.skip_hole(budget, out);
                }
                if budget.over() && !self.pending.is_empty() {
                    budget.gaps += 1;
                    while budget.over() && !self.pending.is_empty() {
                        self.skip_hole(budget, out);
                    }
                }
            }
        }
        self.deliver_fin_if_due(out);
    }

    /// Steps over the bytes a snapshot length cut from a segment ending at `end`, when the stream has not
    /// passed them yet: a gap in the stream, counted apart from lost bytes.
    fn skip_cut(&mut self, end: u32, frame: u64, out: &mut dyn FnMut(Delivery<'_>)) {
        let next = self.next.expect("origin set");
        let hole = seq_diff(end, next);
        if hole > 0 {
            self.stats.snap_cuts += 1;
            self.stats.snap_cut_bytes += hole as u64;
            self.next = Some(end);
            out(Delivery::Gap {
                len: hole as u64,
                frame,
            });
        }
    }

    /// The connection was reset or the capture ended: report any hole and deliver what waits behind it.
    pub fn flush(
        &mut self,
        trigger: u64,
        budget: &mut PendingBudget,
        out: &mut dyn FnMut(Delivery<'_>),
    ) {
        while !self.pending.is_empty() {
            self.skip_hole(budget, out);
        }
        if let (Some((fin_seq, _, _)), Some(next)) = (self.fin, self.next) {
            let hole = seq_diff(fin_seq, next);
            if hole > 0 && !self.fin_delivered {
                self.report_gap(hole as u64, trigger, out);
                self.next = Some(fin_seq);
            }
        }
        self.deliver_fin_if_due(out);
    }

    fn deliver(
        &mut self,
        bytes: &[u8],
        frame: u64,
        ts: Timestamp,
        trigger: u64,
        out: &mut dyn FnMut(Delivery<'_>),
    ) {
        if bytes.is_empty() {
            return;
        }
        let next = self.next.expect("deliver after the origin is set");
        self.next = Some(next.wrapping_add(bytes.len() as u32));
        self.stats.delivered += bytes.len() as u64;
        out(Delivery::Data {
            bytes,
            frame,
            ts,
            trigger,
        });
    }

    /// Delivers waiting segments that the stream has now reached; `trigger` is the frame that filled the
    /// hole, or `None` when a hole was given up (each segment then triggers itself).
    fn drain(
        &mut self,
        trigger: Option<u64>,
        budget: &mut PendingBudget,
        out: &mut dyn FnMut(Delivery<'_>),
    ) {
        while let Some(first) = self.pending.first() {
            let next = self.next.expect("origin set");
            let d = seq_diff(first.seq, next);
            if d > 0 {
                break;
            }
            let p = self.pending.remove(0);
            self.pending_bytes -= p.data.len();
            self.charged -= segment_cost(p.data.len());
            budget.release(segment_cost(p.data.len()));
            let skip = (-d) as usize;
            if skip < p.data.len() {
                self.deliver(
                    &p.data[skip..],
                    p.frame,
                    p.ts,
                    trigger.unwrap_or(p.frame),
                    out,
                );
            }
            let end = p.seq.wrapping_add(p.data.len() as u32).wrapping_add(p.cut);
            self.skip_cut(end, p.frame, out);
        }
    }

    /// Keeps an early segment, ordered by sequence number; an exact duplicate is dropped (first copy wins).
    fn hold(&mut self, seq: u32, payload: &[u8], cut: u32, at: At, budget: &mut PendingBudget) {
        let At { frame, ts } = at;
        let next = self.next.expect("origin set");
        let key = seq_diff(seq, next);
        let at = self
            .pending
            .partition_point(|p| seq_diff(p.seq, next) < key);
        if let Some(same) = self.pending.get(at)
            && same.seq == seq
            && same.data.len() + same.cut as usize >= payload.len() + cut as usize
        {
            self.stats.retransmissions += 1;
            return;
        }
        self.pending_bytes += payload.len();
        self.charged += segment_cost(payload.len());
        budget.charge(segment_cost(payload.len()));
        self.pending.insert(
            at,
            Pending {
                seq,
                data: payload.to_vec(),
                cut,
                frame,
                ts,
            },
        );
    }

    /// Gives up on the hole before the first waiting segment: reports it and resumes there.
    fn skip_hole(&mut self, budget: &mut PendingBudget, out: &mut dyn FnMut(Delivery<'_>)) {
        let Some((first_seq, first_frame)) = self.pending.first().map(|p| (p.seq, p.frame)) else {
            return;
        };
        let next = self.next.expect("origin set");
        let hole = seq_diff(first_seq, next);
        if hole > 0 {
            self.report_gap(hole as u64, first_frame, out);
            self.next = Some(first_seq);
        }
        self.drain(None, budget, out);
    }

    /// The direction is dropped without being flushed (a connection not followed): what waits is
    /// forgotten and given back to the budget.
    pub fn release(&mut self, budget: &mut PendingBudget) {
        budget.release(self.charged);
        self.charged = 0;
        self.pending = Vec::new();
        self.pending_bytes = 0;
    }

    fn report_gap(&mut self, len: u64, frame: u64, out: &mut dyn FnMut(Delivery<'_>)) {
        self.stats.gaps += 1;
        self.stats.gap_bytes += len;
        self.stats.first_gap_frame.get_or_insert(frame);
        out(Delivery::Gap { len, frame });
    }

    fn deliver_fin_if_due(&mut self, out: &mut dyn FnMut(Delivery<'_>)) {
        if self.fin_delivered {
            return;
        }
        if let (Some((fin_seq, frame, ts)), Some(next)) = (self.fin, self.next)
            && seq_diff(fin_seq, next) <= 0
            && self.pending.is_empty()
        {
            self.fin_delivered = true;
            out(Delivery::Fin { frame, ts });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::At;

    /// What a test sees: text for data (with carrying and triggering frames), gaps and FINs.
    #[derive(Debug, PartialEq, Eq)]
    enum Seen {
        Data(String, u64, u64),
        Gap(u64, u64),
        Fin(u64),
    }

    /// Feeds (seq, payload, fin, frame) segments after a SYN with ISN 999 (first byte is seq 1000).
    fn run(segments: &[(u32, &str, bool, u64)]) -> (Vec<Seen>, Assembler) {
        run_within(&mut PendingBudget::default(), segments)
    }

    fn run_within(
        budget: &mut PendingBudget,
        segments: &[(u32, &str, bool, u64)],
    ) -> (Vec<Seen>, Assembler) {
        let mut a = Assembler::default();
        a.syn(999);
        let mut seen = Vec::new();
        for &(seq, data, fin, frame) in segments {
            a.segment(
                seq,
                data.as_bytes(),
                fin,
                At::test(frame),
                budget,
                &mut |d| seen.push(seen_of(d)),
            );
        }
        (seen, a)
    }

    fn seen_of(d: Delivery<'_>) -> Seen {
        match d {
            Delivery::Data {
                bytes,
                frame,
                trigger,
                ..
            } => Seen::Data(String::from_utf8_lossy(bytes).into(), frame, trigger),
            Delivery::Gap { len, frame } => Seen::Gap(len, frame),
            Delivery::Fin { frame, .. } => Seen::Fin(frame),
        }
    }

    fn data(s: &str, frame: u64, trigger: u64) -> Seen {
        Seen::Data(s.into(), frame, trigger)
    }

    /// Feeds (seq, captured payload, bytes cut after it, fin, frame) segments after a SYN with ISN 999.
    fn run_cut(segments: &[(u32, &str, u32, bool, u64)]) -> (Vec<Seen>, Assembler) {
        let (mut a, mut budget, mut seen) =
            (Assembler::default(), PendingBudget::default(), vec![]);
        a.syn(999);
        for &(seq, data, cut, fin, frame) in segments {
            a.segment_cut(
                seq,
                data.as_bytes(),
                cut,
                fin,
                At::test(frame),
                &mut budget,
                &mut |d| seen.push(seen_of(d)),
            );
        }
        a.flush(99, &mut budget, &mut |d| seen.push(seen_of(d)));
        assert_eq!(budget.used(), 0);
        (seen, a)
    }

    #[test]
    fn snap_cut_bytes_are_a_gap_at_once_and_the_stream_goes_on() {
        // "POST" + 6 cut, then "next" + 2 cut right behind, then a whole segment and the FIN after it.
        let (seen, a) = run_cut(&[
            (1000, "POST", 6, false, 4),
            (1010, "next", 2, false, 5),
            (1016, "tail", 0, true, 6),
        ]);
        assert_eq!(
            seen,
            vec![
                data("POST", 4, 4),
                Seen::Gap(6, 4),
                data("next", 5, 5),
                Seen::Gap(2, 5),
                data("tail", 6, 6),
                Seen::Fin(6),
            ]
        );
        let st = a.stats;
        assert_eq!((st.snap_cuts, st.snap_cut_bytes, st.gaps), (2, 8, 0));
        assert_eq!((st.out_of_order, st.retransmissions), (0, 0));
    }

    #[test]
    fn a_cut_segment_out_of_order_or_retransmitted_is_not_counted_twice() {
        // The cut segment arrives ahead of "ab", waits, and is released with its cut; its
        // retransmission (cut the same way) is recognised as such.
        let (seen, a) = run_cut(&[
            (1002, "cd", 4, false, 5),
            (1000, "ab", 0, false, 6),
            (1002, "cd", 4, false, 7),
            (1008, "", 0, true, 8),
        ]);
        assert_eq!(
            seen,
            vec![
                data("ab", 6, 6),
                data("cd", 5, 6),
                Seen::Gap(4, 5),
                Seen::Fin(8),
            ]
        );
        assert_eq!((a.stats.snap_cuts, a.stats.retransmissions), (1, 1));
    }

    #[test]
    fn a_fin_on_a_cut_segment_follows_its_whole_length() {
        let (seen, _) = run_cut(&[(1000, "GET", 20, true, 3)]);
        assert_eq!(
            seen,
            vec![data("GET", 3, 3), Seen::Gap(20, 3), Seen::Fin(3)]
        );
    }

    #[test]
    fn in_order_segments_are_delivered_as_they_come() {
        let (seen, a) = run(&[(1000, "abc", false, 4), (1003, "def", false, 5)]);
        assert_eq!(seen, vec![data("abc", 4, 4), data("def", 5, 5)]);
        assert_eq!(a.stats.delivered, 6);
    }

    #[test]
    fn out_of_order_segment_waits_and_the_filling_frame_triggers_both() {
        let (seen, a) = run(&[(1003, "def", false, 4), (1000, "abc", false, 5)]);
        assert_eq!(seen, vec![data("abc", 5, 5), data("def", 4, 5)]);
        assert_eq!(a.stats.out_of_order, 1);
    }

    #[test]
    fn exact_retransmission_is_dropped() {
        let (seen, a) = run(&[(1000, "abc", false, 4), (1000, "abc", false, 5)]);
        assert_eq!(seen, vec![data("abc", 4, 4)]);
        assert_eq!(a.stats.retransmissions, 1);
    }

    #[test]
    fn overlapping_segment_delivers_only_its_new_bytes_and_the_first_copy_wins() {
        let (seen, a) = run(&[(1000, "abc", false, 4), (1001, "XYZdef", false, 5)]);
        assert_eq!(seen, vec![data("abc", 4, 4), data("Zdef", 5, 5)]);
        assert_eq!(a.stats.overlaps, 1);
    }

    #[test]
    fn overlapping_waiting_segments_are_trimmed_when_drained() {
        let (seen, _) = run(&[
            (1003, "defg", false, 4),
            (1005, "FGhi", false, 5),
            (1000, "abc", false, 6),
        ]);
        assert_eq!(
            seen,
            vec![data("abc", 6, 6), data("defg", 4, 6), data("hi", 5, 6)]
        );
    }

    #[test]
    fn duplicate_waiting_segment_is_kept_once() {
        let (seen, a) = run(&[
            (1003, "def", false, 4),
            (1003, "def", false, 5),
            (1000, "abc", false, 6),
        ]);
        assert_eq!(seen, vec![data("abc", 6, 6), data("def", 4, 6)]);
        assert_eq!(a.stats.retransmissions, 1);
    }

    #[test]
    fn fin_is_delivered_after_the_bytes_before_it() {
        let (seen, a) = run(&[(1003, "def", true, 4), (1000, "abc", false, 5)]);
        assert_eq!(
            seen,
            vec![data("abc", 5, 5), data("def", 4, 5), Seen::Fin(4)]
        );
        assert!(a.finished());
    }

    #[test]
    fn bare_fin_in_order_is_delivered_once() {
        let (seen, _) = run(&[
            (1000, "abc", false, 4),
            (1003, "", true, 5),
            (1003, "", true, 6),
        ]);
        assert_eq!(seen, vec![data("abc", 4, 4), Seen::Fin(5)]);
    }

    #[test]
    fn flush_reports_a_hole_and_delivers_what_waited_behind_it() {
        let mut budget = PendingBudget::default();
        let (mut seen, mut a) = run_within(
            &mut budget,
            &[(1000, "abc", false, 4), (1006, "ghi", false, 5)],
        );
        a.flush(9, &mut budget, &mut |d| seen.push(seen_of(d)));
        assert_eq!(
            seen,
            vec![data("abc", 4, 4), Seen::Gap(3, 5), data("ghi", 5, 5)]
        );
        assert_eq!(a.stats.gaps, 1);
        assert_eq!(a.stats.gap_bytes, 3);
        assert_eq!(a.stats.first_gap_frame, Some(5));
    }

    #[test]
    fn a_hole_that_is_never_filled_is_skipped_once_the_pending_limit_is_hit() {
        let chunk = "x".repeat(64 * 1024);
        let mut segs = vec![(1000u32, "a", false, 4u64)];
        for i in 0..5u32 {
            segs.push((
                1002 + i * chunk.len() as u32,
                chunk.as_str(),
                false,
                5 + u64::from(i),
            ));
        }
        let (seen, a) = run(&segs);
        assert_eq!(seen[0], data("a", 4, 4));
        assert_eq!(seen[1], Seen::Gap(1, 5));
        let after_gap: usize = seen[2..]
            .iter()
            .map(|s| match s {
                Seen::Data(t, _, _) => t.len(),
                _ => 0,
            })
            .sum();
        assert_eq!(after_gap, 5 * chunk.len());
        assert!(a.pending_bytes <= PENDING_LIMIT);
    }

    #[test]
    fn sequence_numbers_wrap_around() {
        let mut a = Assembler::default();
        let budget = &mut PendingBudget::default();
        a.syn(u32::MAX - 2);
        let mut got = Vec::new();
        a.segment(u32::MAX - 1, b"ab", false, At::test(1), budget, &mut |d| {
            if let Delivery::Data { bytes, .. } = d {
                got.extend_from_slice(bytes)
            }
        });
        a.segment(0, b"cd", false, At::test(2), budget, &mut |d| {
            if let Delivery::Data { bytes, .. } = d {
                got.extend_from_slice(bytes)
            }
        });
        assert_eq!(got, b"abcd");
    }

    #[test]
    fn stream_without_syn_starts_at_the_first_segment_and_says_so() {
        let mut a = Assembler::default();
        let budget = &mut PendingBudget::default();
        let mut got = Vec::new();
        a.segment(5000, b"HTTP/1.1", false, At::test(7), budget, &mut |d| {
            if let Delivery::Data { bytes, .. } = d {
                got.extend_from_slice(bytes)
            }
        });
        assert!(a.start_missed);
        assert_eq!(got, b"HTTP/1.1");
    }

    #[test]
    fn retransmitted_syn_with_the_same_isn_keeps_the_origin() {
        let mut a = Assembler::default();
        let budget = &mut PendingBudget::default();
        a.syn(10);
        a.syn(10);
        let mut got = Vec::new();
        a.segment(11, b"x", false, At::test(3), budget, &mut |d| {
            if let Delivery::Data { bytes, .. } = d {
                got.extend_from_slice(bytes)
            }
        });
        assert_eq!(got, b"x");
    }

    #[test]
    fn the_direction_that_fills_the_pass_budget_gives_up_its_hole_and_the_others_keep_waiting() {
        let mut budget = PendingBudget::new(3 * segment_cost(4) - 1);
        let (seen_a, mut a) = run_within(
            &mut budget,
            &[
                (1000, "ab", false, 1),
                (1004, "efgh", false, 2),
                (1008, "ijkl", false, 3),
            ],
        );
        assert_eq!(seen_a, vec![data("ab", 1, 1)], "within the budget: waiting");
        let (seen_b, mut b) = run_within(
            &mut budget,
            &[(1000, "AB", false, 4), (1004, "EFGH", false, 5)],
        );
        assert_eq!(
            seen_b,
            vec![data("AB", 4, 4), Seen::Gap(2, 5), data("EFGH", 5, 5)],
            "the segment that overfills the budget is delivered after a gap"
        );
        assert_eq!(budget.gaps, 1);
        assert_eq!(b.stats.gaps, 1);
        assert_eq!(a.stats.gaps, 0);
        assert_eq!(budget.used(), 2 * segment_cost(4));
        let mut later = Vec::new();
        a.segment(1002, b"cd", false, At::test(6), &mut budget, &mut |d| {
            later.push(seen_of(d))
        });
        assert_eq!(
            later,
            vec![data("cd", 6, 6), data("efgh", 2, 6), data("ijkl", 3, 6)],
            "the other direction's hole is still filled when its bytes come"
        );
        assert_eq!(budget.used(), 0);
        b.flush(7, &mut budget, &mut |_| {});
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn waiting_bytes_return_to_the_budget_when_delivered_given_up_or_released() {
        let mut budget = PendingBudget::default();
        let (_, mut a) = run_within(
            &mut budget,
            &[(1003, "def", false, 4), (1009, "jkl", false, 5)],
        );
        assert_eq!(budget.used(), 2 * segment_cost(3));
        a.segment(1000, b"abc", false, At::test(6), &mut budget, &mut |_| {});
        assert_eq!(budget.used(), segment_cost(3), "delivered: released");
        a.flush(7, &mut budget, &mut |_| {});
        assert_eq!(budget.used(), 0, "given up at the end: released");
        let (_, mut c) = run_within(&mut budget, &[(1003, "def", false, 8)]);
        assert_eq!(budget.used(), segment_cost(3));
        c.release(&mut budget);
        assert_eq!(budget.used(), 0, "dropped: released");
        assert_eq!(budget.gaps, 0);
    }
}
