//! A connection that is not classified yet: its streams are reassembled and held until the first bytes
//! say what it carries.
//!
//! Takes: segments of a connection whose application protocol is still unknown. Gives: the first bytes of
//! each direction (to classify by content), and, once the connection is to be followed, a replay of
//! everything delivered so far — so a CPE that writes its request line a few bytes per segment
//! ("P", "OS", "T /acs…") is read from its first byte.
//!
//! Invariants: what is held is bounded by the decision rule of the table (a few dozen bytes for a
//! connection whose start was captured, one segment for one whose start was missed) plus the
//! assembler's own bound. Out-of-order bytes are charged to the pass's [`PendingBudget`] like those of a
//! followed connection; a watch is dropped only through [`Watch::release`] or [`Watch::replay`] (which
//! hands the charge over with the assemblers).

use crate::flows::assembler::{Assembler, Delivery};
use crate::flows::{At, PendingBudget};
use crate::time::Timestamp;

/// What was delivered while watching, kept for the replay.
#[derive(Debug)]
enum Held {
    Data {
        start: usize,
        end: usize,
        frame: u64,
        ts: Timestamp,
        trigger: u64,
    },
    Gap {
        len: u64,
        frame: u64,
    },
    Fin {
        frame: u64,
        ts: Timestamp,
    },
}

#[derive(Debug, Default)]
struct Direction {
    asm: Assembler,
    bytes: Vec<u8>,
    held: Vec<Held>,
}

/// Both directions of an unclassified connection.
#[derive(Debug, Default)]
pub struct Watch {
    dirs: [Direction; 2],
}

impl Watch {
    pub fn syn(&mut self, dir: usize, isn: u32) {
        self.dirs[dir].asm.syn(isn);
    }

    /// Reassembles one segment of direction `dir` and holds what it delivers; `cut` payload bytes
    /// after `payload` were not captured (see [`Assembler::segment_cut`]).
    #[allow(clippy::too_many_arguments)]
    pub fn segment(
        &mut self,
        dir: usize,
        seq: u32,
        payload: &[u8],
        cut: u32,
        fin: bool,
        at: At,
        budget: &mut PendingBudget,
    ) {
        let d = &mut self.dirs[dir];
        let (bytes, held) = (&mut d.bytes, &mut d.held);
        d.asm
            .segment_cut(seq, payload, cut, fin, at, budget, &mut |delivery| {
                held.push(match delivery {
                    Delivery::Data {
                        bytes: b,
                        frame,
                        ts,
                        trigger,
                    } => {
                        let start = bytes.len();
                        bytes.extend_from_slice(b);
                        Held::Data {
                            start,
                            end: bytes.len(),
                            frame,
                            ts,
                            trigger,
                        }
                    }
                    Delivery::Gap { len, frame } => Held::Gap { len, frame },
                    Delivery::Fin { frame, ts } => Held::Fin { frame, ts },
                })
            });
    }

    /// The bytes direction `dir` delivered so far.
    pub fn prefix(&self, dir: usize) -> &[u8] {
        &self.dirs[dir].bytes
    }

    /// Forgets direction `dir`: a connection joined mid-stream looks for a message start at its next
    /// segment instead.
    pub fn restart(&mut self, dir: usize, budget: &mut PendingBudget) {
        self.dirs[dir].asm.release(budget);
        self.dirs[dir] = Direction::default();
    }

    /// The connection is not followed: what waits out of order is forgotten and given back to the budget.
    pub fn release(&mut self, budget: &mut PendingBudget) {
        for d in &mut self.dirs {
            d.asm.release(budget);
        }
    }

    /// The client and server were the other way round.
    pub fn swap(&mut self) {
        self.dirs.swap(0, 1);
    }

    /// Replays everything held, direction 0 first, and hands over the assemblers.
    pub fn replay(self, out: &mut dyn FnMut(usize, Delivery<'_>)) -> [Assembler; 2] {
        let [a, b] = self.dirs;
        let mut asm = [Assembler::default(), Assembler::default()];
        for (i, d) in [a, b].into_iter().enumerate() {
            for h in &d.held {
                out(
                    i,
                    match *h {
                        Held::Data {
                            start,
                            end,
                            frame,
                            ts,
                            trigger,
                        } => Delivery::Data {
                            bytes: &d.bytes[start..end],
                            frame,
                            ts,
                            trigger,
                        },
                        Held::Gap { len, frame } => Delivery::Gap { len, frame },
                        Held::Fin { frame, ts } => Delivery::Fin { frame, ts },
                    },
                );
            }
            asm[i] = d.asm;
        }
        asm
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::At;

    #[test]
    fn holds_a_request_line_written_in_pieces_and_replays_it_with_its_frames() {
        let budget = &mut PendingBudget::default();
        let mut w = Watch::default();
        w.syn(0, 99);
        w.segment(0, 100, b"P", 0, false, At::test(4), budget);
        w.segment(0, 101, b"OS", 0, false, At::test(5), budget);
        assert_eq!(w.prefix(0), b"POS");
        let mut seen = Vec::new();
        let asm = w.replay(&mut |dir, d| {
            if let Delivery::Data {
                bytes,
                frame,
                trigger,
                ..
            } = d
            {
                seen.push((dir, bytes.to_vec(), frame, trigger));
            }
        });
        assert_eq!(
            seen,
            vec![(0, b"P".to_vec(), 4, 4), (0, b"OS".to_vec(), 5, 5)]
        );
        assert_eq!(asm[0].stats.delivered, 3);
    }

    #[test]
    fn restart_forgets_a_direction_and_swap_exchanges_them() {
        let budget = &mut PendingBudget::default();
        let mut w = Watch::default();
        w.segment(1, 500, b"body", 0, false, At::test(2), budget);
        w.swap();
        assert_eq!(w.prefix(0), b"body");
        w.restart(0, budget);
        assert!(w.prefix(0).is_empty());
        w.segment(0, 9000, b"GET", 0, false, At::test(3), budget);
        assert_eq!(w.prefix(0), b"GET");
    }

    #[test]
    fn out_of_order_bytes_held_while_watching_return_to_the_budget_when_forgotten() {
        let budget = &mut PendingBudget::default();
        let mut w = Watch::default();
        w.syn(0, 99);
        w.syn(1, 499);
        w.segment(0, 110, b"later", 0, false, At::test(3), budget);
        w.segment(1, 510, b"later", 0, false, At::test(4), budget);
        assert!(w.prefix(0).is_empty(), "waiting behind a hole");
        assert!(budget.used() > 0);
        w.restart(1, budget);
        assert_eq!(
            budget.used(),
            crate::flows::budget::segment_cost(5),
            "one direction forgotten"
        );
        w.release(budget);
        assert_eq!(budget.used(), 0);
    }
}
