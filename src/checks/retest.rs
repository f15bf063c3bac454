//! FAQ Module I step 4: `retest.attempts` (repeat the test three times; if all fail, hand the capture to
//! R&D).
//!
//! Takes: the attempts of `attempts.rs` (CWMP sessions, and connections that failed at the TCP or TLS
//! layer) with the Informs' RetryCount. Gives, per device (the worst one reported): every attempt with
//! its outcome, cited at its Inform (or first frame) and at its failure, and the waits from each failure
//! to the next attempt's first frame (its SYN) measured against the TR-069 §3.2.1.1 back-off (tr069-facts.md §4: the n-th
//! retry waits at least m·(k/1000)^(n−1) seconds, m = 5, k = 2000 by default, n capped at 10).

use crate::checks::attempts::{Attempt, Ended, collect};
use crate::checks::devices::{group_by_device, worst};
use crate::checks::{Ctx, Evidence, Verdict};

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

/// Each device's attempts judged on their own (another router's retry is not this one's), and the
/// worst device reported.
pub fn attempts(ctx: &Ctx<'_>) -> Verdict {
    let judged: Vec<(String, Verdict)> = group_by_device(collect(ctx), |a| a.device.clone())
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

/// One device's attempts, oldest first (never empty). An attempt the capture's end cut short is shown
/// but judged neither way.
fn judge(ctx: &Ctx<'_>, every: &[Attempt]) -> Verdict {
    let evidence = attempt_evidence(ctx, every);
    let unfinished = every
        .iter()
        .filter(|a| a.ended == Ended::Unfinished)
        .count();
    let judged = |a: &&Attempt| matches!(a.ended, Ended::Ok | Ended::Failed);
    let all: Vec<&Attempt> = every.iter().filter(judged).collect();
    if every.last().is_some_and(|a| a.ended == Ended::Hidden) {
        // The latest attempt ran inside TLS: whether it registered cannot be seen.
        let summary = if all.is_empty() {
            ctx.no_cwmp(
                "no registration attempt in the capture",
                "the attempts' outcomes",
            )
        } else {
            format!(
                "the last attempt ran over TLS, its outcome cannot be seen in a capture (use --live); {} of {} earlier attempts failed",
                all.iter().filter(|a| a.ended == Ended::Failed).count(),
                all.len()
            )
        };
        return Verdict::skip("no-evidence", summary).with(evidence);
    }
    let Some(&last) = all.last() else {
        let summary = match unfinished {
            0 => "no registration attempt".to_string(),
            1 => "the registration attempt was unfinished when the capture ends: not judged".into(),
            n => format!(
                "all {n} registration attempts were unfinished when the capture ends: not judged"
            ),
        };
        return Verdict::skip("no-evidence", summary).with(evidence);
    };
    let also = match unfinished {
        0 => String::new(),
        n => format!("; {n} more unfinished when the capture ends"),
    };
    let all = &all[..];
    let failed = all.iter().filter(|a| a.ended == Ended::Failed).count();
    let trend = retry_trend(all);
    let fast = fast_retry(all);
    if last.ended == Ended::Ok {
        if let Some(text) = fast {
            return Verdict::warn("fast-retry", text).with(evidence);
        }
        if failed > 0 {
            return Verdict::warn(
                "some-failed",
                format!(
                    "{failed} of {} attempts failed before the last one succeeded{trend}{also}",
                    all.len()
                ),
            )
            .with(evidence);
        }
        let n = all.len();
        return Verdict::pass(if n == 1 {
            format!("the registration attempt succeeded{also}")
        } else {
            format!("all {n} attempts succeeded{also}")
        })
        .with(evidence);
    }
    if failed == all.len() && all.len() >= 3 {
        // The FAQ's step 4: three failures mean R&D; say what they need.
        let mut summary = format!(
            "{} attempts, all failed{trend}{also}: hand the case to R&D with this report (--format html or markdown), \
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
            "the last attempt failed ({failed} failed of {}{trend}{also}); the FAQ asks for three attempts before escalating",
            all.len()
        ),
    )
    .with(evidence)
}

/// Every attempt: its outcome and RetryCount at its Inform (or first frame), for a retry how long after
/// the previous failure its first frame came against the back-off TR-069 allows, and its failure.
fn attempt_evidence(ctx: &Ctx<'_>, all: &[Attempt]) -> Vec<Evidence> {
    let mut out = Vec::new();
    for (i, a) in all.iter().enumerate() {
        let retry = a
            .retry_count
            .map(|r| format!(", RetryCount {r}"))
            .unwrap_or_default();
        let outcome = match a.ended {
            Ended::Ok => "ok",
            Ended::Failed => "failed",
            Ended::Unfinished => "unfinished",
            Ended::Hidden => "outcome hidden",
        };
        let mut text = format!("attempt {} ({outcome}{retry}): {}", i + 1, a.what);
        if let Some(prev) = i
            .checked_sub(1)
            .map(|p| &all[p])
            .filter(|p| p.ended == Ended::Failed)
        {
            let n = a.retry_count.filter(|r| *r > 0).unwrap_or(i as u32);
            text.push_str(&format!(
                "; came {:.1} s after attempt {i} failed (#{}) (TR-069 back-off for retry {n}: at least {:.0} s)",
                waited(prev, a),
                prev.end.frame,
                min_retry_wait(n)
            ));
        }
        out.push(a.cite.evidence(ctx, &text));
        if let Some(f) = a
            .failure
            .filter(|f| f.at(ctx).frame != a.cite.at(ctx).frame)
        {
            out.push(f.evidence(ctx, &format!("attempt {} failed here", i + 1)));
        }
    }
    out
}

/// Seconds from `prev`'s failure to `next`'s first frame.
fn waited(prev: &Attempt, next: &Attempt) -> f64 {
    next.start.ts.seconds_since(prev.end.ts)
}

/// ", RetryCount 0 → 1 → 2" when the attempts report it; a count that does not grow over failed
/// attempts is named (the router should report each retry).
fn retry_trend(all: &[&Attempt]) -> String {
    let counts: Vec<u32> = all.iter().filter_map(|a| a.retry_count).collect();
    if counts.len() < 2 {
        return String::new();
    }
    let list: Vec<String> = counts.iter().map(u32::to_string).collect();
    let stuck = all.windows(2).any(|w| {
        w[0].ended == Ended::Failed
            && w[0].retry_count.is_some()
            && w[1].retry_count <= w[0].retry_count
    });
    let note = if stuck {
        " (it does not grow after a failure)"
    } else {
        ""
    };
    format!(", RetryCount {}{note}", list.join(" → "))
}

/// The first retry that came sooner than the back-off allows, in words.
fn fast_retry(all: &[&Attempt]) -> Option<String> {
    all.windows(2).enumerate().find_map(|(i, w)| {
        let (prev, next) = (w[0], w[1]);
        if prev.ended != Ended::Failed {
            return None;
        }
        let n = next.retry_count.filter(|r| *r > 0).unwrap_or(i as u32 + 1);
        let waited = waited(prev, next);
        let min = min_retry_wait(n);
        (waited < min).then(|| format!("retry {n} came {waited:.1} s after the failure (#{}); TR-069's back-off asks for at least {min:.0} s", prev.end.frame))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Input;
    use crate::config::Config;

    fn verdict_of(name: &str) -> Verdict {
        let path = format!("fixtures/{name}/capture.pcap");
        judged(crate::engine::analyze(&Input::File(path.into())).expect("fixture readable"))
    }

    fn judged(facts: crate::facts::Facts) -> Verdict {
        let sessions = crate::sessions::build(&facts);
        let config = Config::default();
        attempts(&Ctx::new(&facts, &sessions, &config, "test"))
    }

    /// A little-endian pcap fixture ending after its frame `last` (the records that follow dropped).
    fn cut_after(name: &str, last: usize) -> crate::facts::Facts {
        let bytes = std::fs::read(format!("fixtures/{name}/capture.pcap")).expect("fixture");
        assert_eq!(
            bytes[..4],
            [0xd4, 0xc3, 0xb2, 0xa1],
            "little-endian microsecond pcap"
        );
        let mut end = 24;
        for _ in 0..last {
            let caplen = u32::from_le_bytes(bytes[end + 8..end + 12].try_into().unwrap());
            end += 16 + caplen as usize;
        }
        crate::engine::analyze_reader(name, &bytes[..end]).expect("readable")
    }

    #[test]
    fn a_session_cut_by_the_end_of_the_file_is_not_a_failed_attempt() {
        let v = verdict_of("review-capture-cut-mid-session");
        assert_eq!(v.status, crate::checks::Status::Pass, "{}", v.summary);
        let text = &v.evidence[0].text;
        assert!(text.contains("(ok, RetryCount 0)"), "{text}");
        assert!(
            text.contains("unfinished when the capture ends (waiting for the ACS"),
            "{text}"
        );
    }

    #[test]
    fn an_inform_unanswered_when_the_capture_ends_is_judged_neither_way() {
        // The capture ends right after the Inform: nothing failed, nothing succeeded.
        let whole = crate::engine::analyze(&Input::File(
            "fixtures/healthy-bootstrap/capture.pcap".into(),
        ))
        .expect("fixture readable");
        let inform = whole.messages[0].http.last.frame;
        let v = judged(cut_after("healthy-bootstrap", inform as usize));
        assert_eq!(v.status, crate::checks::Status::Skip, "{}", v.summary);
        assert!(
            v.summary.contains("unfinished when the capture ends"),
            "{}",
            v.summary
        );
        assert!(
            v.evidence[0].text.contains("(unfinished"),
            "{}",
            v.evidence[0].text
        );
    }

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
        assert_eq!(v.evidence.len(), 2, "only RV…02's own attempt and its 401");
        assert!(v.evidence[1].text.contains("401"), "{}", v.evidence[1].text);
    }

    /// The wait runs from the failure (the CPE's give-up, frame 6) to the next SYN, not from the Inform.
    #[test]
    fn the_wait_runs_from_the_failure_to_the_next_syn() {
        let v = verdict_of("review-retest-noans-fast");
        assert_eq!(v.mode, "all-failed", "{}", v.summary);
        let second = v
            .evidence
            .iter()
            .find(|e| e.text.contains("attempt 2 (failed"))
            .expect("attempt 2");
        assert!(
            second
                .text
                .contains("came 0.5 s after attempt 1 failed (#6)"),
            "{}",
            second.text
        );
        assert!(v.summary.contains("retry 1 came 0.5 s"), "{}", v.summary);
    }

    /// Each attempt is cited at its completed Inform and at its failing response, with its connection.
    #[test]
    fn attempts_cite_the_informs_and_the_failing_responses() {
        let v = verdict_of("retest-attempts-three-failed");
        let frames: Vec<u64> = v.evidence.iter().filter_map(|e| e.frame).collect();
        assert_eq!(frames, [9, 22, 35, 48, 59, 72], "{:?}", v.evidence);
        assert!(v.evidence.iter().all(|e| e.conn.is_some()));
        assert!(
            v.evidence[1].text.contains("[Fault]"),
            "{}",
            v.evidence[1].text
        );
    }

    /// A TLS handshake ended by an alert is a failed attempt, cited at its SYN and at the alert.
    #[test]
    fn a_tls_alert_is_a_failed_attempt() {
        let v = verdict_of("acs-tls-cert-expired");
        assert_eq!(v.mode, "too-few", "{}", v.summary);
        assert!(
            v.evidence[0]
                .text
                .contains("TLS handshake ended by the CPE's alert"),
            "{}",
            v.evidence[0].text
        );
        assert_eq!(v.evidence[1].frame, Some(10));
    }
}
