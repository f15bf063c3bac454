//! FAQ Module I step 4: `retest.attempts` (repeat the test three times; if all fail, hand the capture to
//! R&D).
//!
//! Takes: the CWMP sessions and the failed connection attempts to the ACS, each an attempt; the Informs'
//! RetryCount. Gives, per device (the worst one reported): every attempt with its outcome, and the waits
//! between failed attempts measured against the TR-069 §3.2.1.1 back-off (tr069-facts.md §4: the n-th
//! retry waits at least m·(k/1000)^(n−1) seconds, m = 5, k = 2000 by default, n capped at 10).

use std::net::IpAddr;

use crate::checks::devices::{group_by_device, worst};
use crate::checks::{Ctx, Evidence, Verdict};
use crate::flows::At;
use crate::sessions::cwmp::{CwmpSession, Outcome};
use crate::sessions::cwmp_table::State;
use crate::sessions::device::Device;

pub const ATTEMPTS_MODES: &[&str] = &[
    "pass",
    "all-failed",
    "some-failed",
    "too-few",
    "fast-retry",
    "no-evidence",
];

/// CWMPRetryMinimumWaitInterval and CWMPRetryIntervalMultiplier defaults (TR-181 ManagementServer).
const RETRY_MIN_WAIT: f64 = 5.0;
const RETRY_MULTIPLIER: f64 = 2.0;

/// The shortest wait TR-069 allows before retry number `n` (1-based) with the default parameters.
pub fn min_retry_wait(n: u32) -> f64 {
    RETRY_MIN_WAIT * RETRY_MULTIPLIER.powi(n.clamp(1, 10) as i32 - 1)
}

/// One registration attempt.
#[derive(Debug)]
struct Attempt {
    /// The device that made it, and the address it came from.
    device: Device,
    cpe: IpAddr,
    start: At,
    end: At,
    ok: bool,
    retry_count: Option<u32>,
    what: String,
}

fn session_attempt(ctx: &Ctx<'_>, s: &CwmpSession) -> Option<Attempt> {
    let first = ctx.msg(s.first_message()?);
    let last = s
        .exchanges
        .last()
        .map(|e| ctx.msg(e.response.unwrap_or(e.request)))?;
    let answered = s.steps.iter().any(|st| st.to == State::CpeTurn);
    let ok = answered && matches!(s.outcome, Outcome::Completed { .. } | Outcome::Open { .. });
    let retry_count = s
        .inform(ctx.facts)
        .and_then(|m| m.envelope()?.inform()?.retry_count);
    let what = match &s.outcome {
        Outcome::Completed { .. } => "session completed".to_string(),
        Outcome::Open { state } => format!(
            "session still open at the end of the capture ({})",
            state.describe()
        ),
        Outcome::Failed { failure, state, .. } => {
            format!(
                "session failed {}: {}",
                state.describe(),
                failure.describe()
            )
        }
    };
    Some(Attempt {
        device: s.device.clone(),
        cpe: s.cpe,
        start: first.http.first,
        end: last.at(),
        ok,
        retry_count,
        what,
    })
}

fn collect_attempts(ctx: &Ctx<'_>) -> Vec<Attempt> {
    let mut out: Vec<Attempt> = ctx
        .sessions
        .cwmp
        .iter()
        .filter(|s| !s.joined)
        .filter_map(|s| session_attempt(ctx, s))
        .collect();
    // A connection to the ACS that never carried HTTP is an attempt that failed before any Inform.
    let in_sessions: std::collections::HashSet<u32> = ctx
        .sessions
        .cwmp
        .iter()
        .flat_map(|s| s.conns.iter().copied())
        .collect();
    for c in ctx
        .acs_conns()
        .filter(|c| !in_sessions.contains(&c.id) && c.app != crate::flows::AppKind::Tls)
    {
        let how = if c.rst.is_some_and(|r| !r.from_client) {
            "connection refused (RST)"
        } else if !c.handshake_done() {
            "SYNs unanswered"
        } else {
            "connection closed without a request"
        };
        out.push(Attempt {
            device: ctx.sessions.device_of_conn(c.id, c.client.ip()),
            cpe: c.client.ip(),
            start: c.first,
            end: c.last,
            ok: false,
            retry_count: None,
            what: format!("{} → {}: {how}", c.client, c.server),
        });
    }
    out.sort_by_key(|a| a.start.frame);
    out
}

/// Each device's attempts judged on their own (another router's retry is not this one's), and the
/// worst device reported.
pub fn attempts(ctx: &Ctx<'_>) -> Verdict {
    let judged: Vec<(String, Verdict)> =
        group_by_device(collect_attempts(ctx), |a| a.device.clone())
            .into_iter()
            .map(|(d, all)| (d.label(all[0].cpe), judge(ctx, &all)))
            .collect();
    worst(judged).unwrap_or_else(|| {
        Verdict::skip(
            "no-evidence",
            ctx.no_cwmp(
                "no registration attempt in the capture",
                "the attempts' outcomes",
            ),
        )
    })
}

/// One device's attempts, oldest first (never empty).
fn judge(ctx: &Ctx<'_>, all: &[Attempt]) -> Verdict {
    let Some(last) = all.last() else {
        return Verdict::skip("no-evidence", "no registration attempt");
    };
    let evidence = attempt_evidence(ctx, all);
    let failed = all.iter().filter(|a| !a.ok).count();
    let trend = retry_trend(all);
    let fast = fast_retry(all);
    if last.ok {
        if let Some(text) = fast {
            return Verdict::warn("fast-retry", text).with(evidence);
        }
        if failed > 0 {
            return Verdict::warn(
                "some-failed",
                format!(
                    "{failed} of {} attempts failed before the last one succeeded{trend}",
                    all.len()
                ),
            )
            .with(evidence);
        }
        let n = all.len();
        return Verdict::pass(if n == 1 {
            "the registration attempt succeeded".to_string()
        } else {
            format!("all {n} attempts succeeded")
        })
        .with(evidence);
    }
    if failed == all.len() && all.len() >= 3 {
        // The FAQ's step 4: three failures mean R&D; say what they need.
        let mut summary = format!(
            "{} attempts, all failed{trend}: hand the case to R&D with this report (--format html or markdown), \
             the capture (or --evidence-pcap's), and the router's model, firmware version and CWMP settings",
            all.len()
        );
        if let Some(text) = fast {
            summary.push_str(&format!("; also {text}"));
        }
        return Verdict::fail("all-failed", summary).with(evidence);
    }
    if let Some(text) = fast {
        return Verdict::warn("fast-retry", text).with(evidence);
    }
    Verdict::warn(
        "too-few",
        format!(
            "the last attempt failed ({failed} failed of {}{trend}); the FAQ asks for three attempts before escalating",
            all.len()
        ),
    )
    .with(evidence)
}

/// Every attempt: its outcome and RetryCount, and for a retry, how long after the previous failure it
/// came against the back-off TR-069 allows.
fn attempt_evidence(ctx: &Ctx<'_>, all: &[Attempt]) -> Vec<Evidence> {
    all.iter()
        .enumerate()
        .map(|(i, a)| {
            let retry = a.retry_count.map(|r| format!(", RetryCount {r}")).unwrap_or_default();
            let outcome = if a.ok { "ok" } else { "failed" };
            let mut text = format!("attempt {} ({outcome}{retry}): {}", i + 1, a.what);
            if let Some(prev) = i.checked_sub(1).map(|p| &all[p]).filter(|p| !p.ok) {
                let n = a.retry_count.filter(|r| *r > 0).unwrap_or(i as u32);
                let waited = a.start.ts.seconds_since(prev.end.ts);
                text.push_str(&format!(
                    "; came {waited:.1} s after attempt {} failed (TR-069 back-off for retry {n}: at least {:.0} s)",
                    i,
                    min_retry_wait(n)
                ));
            }
            Evidence::at(ctx, a.start, text)
        })
        .collect()
}

/// ", RetryCount 0 → 1 → 2" when the attempts report it; a count that does not grow over failed
/// attempts is named (the router should report each retry).
fn retry_trend(all: &[Attempt]) -> String {
    let counts: Vec<u32> = all.iter().filter_map(|a| a.retry_count).collect();
    if counts.len() < 2 {
        return String::new();
    }
    let list: Vec<String> = counts.iter().map(u32::to_string).collect();
    let stuck = all
        .windows(2)
        .any(|w| !w[0].ok && w[0].retry_count.is_some() && w[1].retry_count <= w[0].retry_count);
    let note = if stuck {
        " (it does not grow after a failure)"
    } else {
        ""
    };
    format!(", RetryCount {}{note}", list.join(" → "))
}

/// The first retry that came sooner than the back-off allows, in words.
fn fast_retry(all: &[Attempt]) -> Option<String> {
    all.windows(2).enumerate().find_map(|(i, w)| {
        let (prev, next) = (&w[0], &w[1]);
        if prev.ok {
            return None;
        }
        let n = next.retry_count.filter(|r| *r > 0).unwrap_or(i as u32 + 1);
        let waited = next.start.ts.seconds_since(prev.end.ts);
        let min = min_retry_wait(n);
        (waited < min).then(|| format!("retry {n} came {waited:.1} s after the failure; TR-069's back-off asks for at least {min:.0} s"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_table_matches_tr069_defaults() {
        let table: Vec<f64> = (1..=11).map(min_retry_wait).collect();
        assert_eq!(
            table,
            [
                5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 640.0, 1280.0, 2560.0, 2560.0
            ]
        );
    }

    /// Two routers behind one NAT address: the second router's Inform is not the first one's retry.
    #[test]
    fn another_device_behind_the_same_address_is_not_a_retry() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/review-cgnat-two-cpes-one-address-one-wrong-password/capture.pcap");
        let facts = crate::engine::analyze(&crate::capture::Input::File(path)).expect("readable");
        let sessions = crate::sessions::build(&facts);
        let config = crate::config::Config::default();
        let ctx = Ctx::new(&facts, &sessions, &config, "capture.pcap");
        let v = attempts(&ctx);
        assert_eq!(v.mode, "too-few", "{}", v.summary);
        assert!(
            v.summary.starts_with(
                "CPE 00259E-HG8245-RV0000000002 at 203.0.113.50 (1 of 2 devices warn)"
            ),
            "{}",
            v.summary
        );
        assert_eq!(v.evidence.len(), 1, "only RV…02's own attempt");
    }
}
