//! Time for the live probes: the budget that bounds every step, and wall-clock timestamps.
//!
//! Takes: the `--timeout` of the target. Gives: [`Budget`] — each step gets `timeout`, but never more
//! than what is left of the attempt's deadline (2 × `timeout` after it started), so a slow peer that
//! answers each step just in time cannot stretch an attempt without bound; [`now`] — the UTC time a
//! probe saw something, as the report's [`Timestamp`]; [`ms`] — durations as evidence text.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::time::Timestamp;

/// The time left for the steps of one attempt.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Budget {
    step: Duration,
    deadline: Instant,
}

impl Budget {
    /// A budget of `timeout` per step and 2 × `timeout` in all, starting now.
    pub fn new(timeout: Duration) -> Budget {
        Budget {
            step: timeout,
            deadline: Instant::now() + timeout.saturating_mul(2),
        }
    }

    /// The configured per-step timeout (for "no answer within …" texts).
    pub fn timeout(&self) -> Duration {
        self.step
    }

    /// What the next step may take: the per-step timeout, clipped to the attempt's deadline.
    pub fn step(&self) -> Duration {
        self.step
            .min(self.deadline.saturating_duration_since(Instant::now()))
    }

    /// Runs `fut` within [`Budget::step`]; `None` when it ran out of time.
    pub async fn run<F: Future>(&self, fut: F) -> Option<F::Output> {
        tokio::time::timeout(self.step(), fut).await.ok()
    }
}

/// The current UTC time as a report timestamp.
pub(crate) fn now() -> Timestamp {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::new(since.as_secs() as i64, since.subsec_nanos())
}

/// A duration as evidence text: `0.42 ms`, `12.3 ms`, `1.50 s`.
pub(crate) fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// A timeout as text: `2 s`, `0.5 s`.
pub(crate) fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_never_exceeds_the_deadline() {
        let b = Budget {
            step: Duration::from_secs(5),
            deadline: Instant::now() + Duration::from_millis(100),
        };
        assert!(b.step() <= Duration::from_millis(100));
        let spent = Budget {
            step: Duration::from_secs(5),
            deadline: Instant::now(),
        };
        assert_eq!(spent.step(), Duration::ZERO);
        assert_eq!(
            Budget::new(Duration::from_secs(2)).step(),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(ms(Duration::from_micros(420)), "0.42 ms");
        assert_eq!(ms(Duration::from_micros(12_340)), "12.3 ms");
        assert_eq!(ms(Duration::from_millis(1500)), "1.50 s");
        assert_eq!(secs(Duration::from_secs(2)), "2 s");
        assert_eq!(secs(Duration::from_millis(500)), "0.5 s");
    }

    #[test]
    fn now_is_after_2024() {
        assert!(now().secs > 1_700_000_000);
    }
}
