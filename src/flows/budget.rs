//! The out-of-order bytes all connections of one pass may hold together.
//!
//! Takes: what each [`crate::flows::assembler::Assembler`] holds and releases while it waits for a hole to
//! be filled. Gives: whether the pass is over budget, so the assembler adding bytes gives up its hole the
//! way it does at its own [`crate::flows::assembler::PENDING_LIMIT`], and how often that happened.
//! Follows DESIGN.md §6 (peak memory ≤ 64 MiB whatever the capture's size): the per-connection limit alone
//! lets the [`crate::flows::table::MAX_LIVE`] connections of a hostile capture hold 32 GiB.
//!
//! Invariants:
//! - One budget per pass (owned by the [`crate::flows::FlowTable`]), never process-global: passes run in
//!   parallel threads.
//! - `used` is the sum of what every live assembler was charged, so it is 0 once every connection was
//!   flushed or dropped at the end of the pass (checked in debug builds).

/// Out-of-order bytes (with their bookkeeping, [`SEGMENT_OVERHEAD`] per segment) all connections hold
/// together: a quarter of the 64 MiB target, so that with the HTTP budget and the tables the whole pass
/// stays under it. Thousands of ordinary connections with a hole each fit (a hole is usually filled
/// within a few segments).
pub const PENDING_BUDGET: usize = 16 * 1024 * 1024;

/// What a waiting segment costs beyond its payload: its entry in the queue and its allocation. Charged so
/// that a capture of one-byte segments cannot hold fifty times the budget.
pub const SEGMENT_OVERHEAD: usize = 64;

/// Out-of-order bytes held by all connections of one pass.
#[derive(Debug)]
pub struct PendingBudget {
    limit: usize,
    used: usize,
    /// Holes given up early because the budget was full.
    pub gaps: u64,
}

impl Default for PendingBudget {
    fn default() -> Self {
        PendingBudget::new(PENDING_BUDGET)
    }
}

impl PendingBudget {
    pub fn new(limit: usize) -> Self {
        PendingBudget {
            limit,
            used: 0,
            gaps: 0,
        }
    }

    /// Bytes charged now.
    pub fn used(&self) -> usize {
        self.used
    }

    /// True when the connections hold more than the limit.
    pub fn over(&self) -> bool {
        self.used > self.limit
    }

    pub(crate) fn charge(&mut self, cost: usize) {
        self.used += cost;
    }

    pub(crate) fn release(&mut self, cost: usize) {
        debug_assert!(
            cost <= self.used,
            "released {cost} of {} charged",
            self.used
        );
        self.used = self.used.saturating_sub(cost);
    }
}

/// What one waiting segment of `len` bytes costs.
pub fn segment_cost(len: usize) -> usize {
    len + SEGMENT_OVERHEAD
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_over_only_beyond_its_limit_and_returns_to_zero() {
        let mut b = PendingBudget::new(2 * segment_cost(10));
        b.charge(segment_cost(10));
        b.charge(segment_cost(10));
        assert!(!b.over());
        b.charge(segment_cost(1));
        assert!(b.over());
        b.release(segment_cost(1));
        b.release(2 * segment_cost(10));
        assert_eq!(b.used(), 0);
    }
}
