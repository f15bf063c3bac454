//! Capture timestamps.
//!
//! Takes: seconds and nanoseconds since the Unix epoch, as the capture stores them (pcap µs or ns,
//! pcapng `if_tsresol`/`if_tsoffset` already applied by the reader).
//! Gives: an ordered [`Timestamp`] with the arithmetic the checks need (elapsed seconds) and the
//! RFC 3339 UTC text the reports print (`2025-11-21T10:00:01.234567Z`, microseconds as Wireshark
//! shows them).

use std::fmt;

/// A point in time, UTC, nanosecond resolution. Ordering is chronological.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z (negative before it).
    pub secs: i64,
    /// Nanoseconds within the second, always `< 1_000_000_000`.
    pub nanos: u32,
}

impl Timestamp {
    pub const fn new(secs: i64, nanos: u32) -> Self {
        Timestamp {
            secs: secs + (nanos / 1_000_000_000) as i64,
            nanos: nanos % 1_000_000_000,
        }
    }

    /// Seconds from `earlier` to `self` (negative when `earlier` is later).
    pub fn seconds_since(self, earlier: Timestamp) -> f64 {
        (self.secs - earlier.secs) as f64 + (self.nanos as f64 - earlier.nanos as f64) / 1e9
    }

    /// Unix seconds as a float (for comparisons against certificate validity and the like).
    pub fn as_secs_f64(self) -> f64 {
        self.secs as f64 + self.nanos as f64 / 1e9
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with microseconds: `2025-11-21T10:00:01.234567Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.secs.div_euclid(86_400);
        let sod = self.secs.rem_euclid(86_400);
        let (y, mo, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
            sod / 3600,
            (sod / 60) % 60,
            sod % 60,
            self.nanos / 1000
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_epoch_and_a_known_date() {
        assert_eq!(
            Timestamp::new(0, 0).to_string(),
            "1970-01-01T00:00:00.000000Z"
        );
        // 2022-04-25 16:11:42.628310 UTC: the first frame of the magma capture.
        assert_eq!(
            Timestamp::new(1_650_903_102, 628_310_000).to_string(),
            "2022-04-25T16:11:42.628310Z"
        );
    }

    #[test]
    fn normalises_nanosecond_overflow_and_measures_elapsed_time() {
        let t = Timestamp::new(10, 1_500_000_000);
        assert_eq!((t.secs, t.nanos), (11, 500_000_000));
        assert!((t.seconds_since(Timestamp::new(10, 0)) - 1.5).abs() < 1e-9);
    }

    #[test]
    fn formats_dates_before_the_epoch() {
        assert_eq!(
            Timestamp::new(-1, 0).to_string(),
            "1969-12-31T23:59:59.000000Z"
        );
    }
}
