//! From probe results to the report's verdicts: judge one attempt, then merge the attempts.
//!
//! Takes: [`LiveAttempt`]s. Gives: per attempt, one [`LiveVerdict`] per check the probes have
//! evidence for, in catalog order (DESIGN.md §1); over all attempts, one verdict per check whose
//! status is the worst any attempt got (fail > warn > pass > skip), whose summary says how each
//! attempt went, and whose evidence is every attempt's, prefixed with its number; with more than one
//! attempt, `retest.attempts` (FAQ step I.4: retest three times, then hand the evidence to R&D).
//!
//! An attempt "failed" when one of its registration checks (FAQ module I: every check but `cr.*`)
//! failed; the connection-request checks are module II and do not count for `retest.attempts`.

use super::attempt::LiveAttempt;
use super::clock::secs;
use super::{LiveEvidence, LiveReport, LiveStatus, LiveTarget, LiveVerdict};
use super::{acs_verdict, cr_verdict, credentials_verdict, dns, icmp, inform, tcp, tls};

/// One attempt's verdicts, in catalog order.
pub(crate) fn judge(a: &LiveAttempt, target: &LiveTarget) -> Vec<LiveVerdict> {
    let t = target.timeout;
    let skip = |id, mode, why: String| LiveVerdict::new(id, LiveStatus::Skip, mode, why);
    let mut v = vec![icmp::verdict("wan.ping", &a.wan, None)];
    if let Some(p) = &a.acs {
        let no_address = "no address for the ACS (see acs.dns)".to_string();
        v.push(match (&p.parsed, &p.dns) {
            (Ok(u), _) if u.ip.is_some() => skip(
                "acs.dns",
                "ip-literal",
                format!(
                    "the ACS URL uses the address {}: no DNS lookup needed",
                    u.host
                ),
            ),
            (_, Some(d)) => dns::verdict(d, t),
            _ => skip(
                "acs.dns",
                "blocked",
                "the ACS URL is unusable (see cwmp.url)".into(),
            ),
        });
        let tcp_ok = p.connects.iter().any(|c| c.connected());
        v.push(match &p.ping {
            Some(r) => icmp::verdict("acs.ping", r, Some(tcp_ok)),
            None => skip("acs.ping", "blocked", no_address.clone()),
        });
        v.push(match p.connects.is_empty() {
            true => skip("acs.connect", "blocked", no_address),
            false => tcp::verdict("acs.connect", "the ACS", &p.connects, t),
        });
        v.push(match (&p.parsed, &p.tls) {
            (Ok(u), _) if u.scheme == "http" => skip(
                "acs.tls",
                "plain-http",
                format!("{} is plain http: no TLS", p.url),
            ),
            (_, Some(r)) => tls::verdict(r, t),
            _ => skip(
                "acs.tls",
                "blocked",
                "no TCP connection to the ACS (see acs.connect)".into(),
            ),
        });
        v.push(acs_verdict::url_verdict(p, t));
        v.push(credentials_verdict::verdict(p, t));
        if let Some(device) = &target.emulate_inform {
            v.push(match &p.http {
                Some(h) => inform::verdict(h, device, t),
                None => skip(
                    "session.inform-response",
                    "blocked",
                    "the Inform was not sent: no HTTP exchange with the ACS".into(),
                ),
            });
        }
    }
    if let Some(c) = &a.cr {
        v.extend(cr_verdict::verdicts(c, t));
    }
    v
}

/// Merges the attempts' verdicts; adds `retest.attempts` when there is more than one attempt.
pub(crate) fn combine(attempts: &[LiveAttempt]) -> Vec<LiveVerdict> {
    let Some(first) = attempts.first() else {
        return Vec::new();
    };
    if attempts.len() == 1 {
        return first.verdicts.clone();
    }
    let mut merged: Vec<LiveVerdict> = first
        .verdicts
        .iter()
        .map(|v| merge(v.id, attempts))
        .collect();
    let at = merged
        .iter()
        .position(|v| v.id.starts_with("cr."))
        .unwrap_or(merged.len());
    merged.insert(at, retest(attempts));
    merged
}

fn merge(id: &'static str, attempts: &[LiveAttempt]) -> LiveVerdict {
    let per: Vec<(u32, &LiveVerdict)> = attempts
        .iter()
        .filter_map(|a| {
            a.verdicts
                .iter()
                .find(|v| v.id == id)
                .map(|v| (a.number, v))
        })
        .collect();
    let Some(&(worst_n, worst)) =
        per.iter()
            .fold(None::<&(u32, &LiveVerdict)>, |best, x| match best {
                Some(b) if b.1.status.severity() >= x.1.status.severity() => Some(b),
                _ => Some(x),
            })
    else {
        return LiveVerdict::new(
            id,
            LiveStatus::Skip,
            "blocked",
            "no attempt judged this check",
        );
    };
    let same = per
        .iter()
        .all(|(_, v)| v.status == worst.status && v.mode == worst.mode);
    let summary = if same {
        format!("{} (the same in all {} attempts)", worst.summary, per.len())
    } else {
        let each: Vec<String> = per
            .iter()
            .map(|(n, v)| format!("{n} {}", v.status.as_str()))
            .collect();
        format!(
            "{} (attempt {worst_n}; attempts: {})",
            worst.summary,
            each.join(", ")
        )
    };
    let evidence = per.iter().flat_map(|(n, v)| {
        v.evidence
            .iter()
            .map(move |e| LiveEvidence::new(e.time, format!("attempt {n}: {}", e.text)))
    });
    LiveVerdict::new(id, worst.status, worst.mode, summary).with(evidence)
}

/// `retest.attempts`: how the registration checks went in each attempt.
fn retest(attempts: &[LiveAttempt]) -> LiveVerdict {
    let failed: Vec<Vec<&str>> = attempts
        .iter()
        .map(|a| {
            a.verdicts
                .iter()
                .filter(|v| v.status == LiveStatus::Fail && !v.id.starts_with("cr."))
                .map(|v| v.id)
                .collect()
        })
        .collect();
    let evidence = attempts.iter().zip(&failed).map(|(a, f)| {
        let how = if f.is_empty() {
            "passed".to_string()
        } else {
            format!("failed: {}", f.join(", "))
        };
        LiveEvidence::new(
            a.started,
            format!("attempt {} ({}): {how}", a.number, secs_text(a)),
        )
    });
    let n = attempts.len();
    let ok: Vec<bool> = failed.iter().map(Vec::is_empty).collect();
    let bad: Vec<String> = attempts
        .iter()
        .zip(&ok)
        .filter(|(_, ok)| !**ok)
        .map(|(a, _)| a.number.to_string())
        .collect();
    let (status, mode, summary) = if ok.iter().all(|&o| o) {
        (LiveStatus::Pass, "pass", format!("all {n} attempts passed"))
    } else if ok.last() == Some(&true) {
        (
            LiveStatus::Warn,
            "some-failed",
            format!(
                "attempt {} failed, the last of {n} passed: intermittent",
                bad.join(", ")
            ),
        )
    } else if ok.iter().all(|&o| !o) && n >= 3 {
        (
            LiveStatus::Fail,
            "all-failed",
            format!("all {n} attempts failed"),
        )
    } else if ok.iter().all(|&o| !o) {
        (
            LiveStatus::Warn,
            "too-few",
            "both attempts failed; the FAQ asks for three before escalating".to_string(),
        )
    } else {
        (
            LiveStatus::Fail,
            "intermittent",
            format!(
                "the last attempt failed although an earlier one passed (failed: {})",
                bad.join(", ")
            ),
        )
    };
    LiveVerdict::new("retest.attempts", status, mode, summary).with(evidence)
}

fn secs_text(a: &LiveAttempt) -> String {
    secs(std::time::Duration::from_millis(
        a.elapsed.as_millis() as u64
    ))
}

/// The report when the probes cannot start at all: every check they would judge, skipped with why.
pub(crate) fn cannot_run(target: &LiveTarget, why: &str) -> LiveReport {
    let mut ids = vec!["wan.ping"];
    if target.acs_url.is_some() {
        ids.extend([
            "acs.dns",
            "acs.ping",
            "acs.connect",
            "acs.tls",
            "cwmp.url",
            "cwmp.credentials",
        ]);
        if target.emulate_inform.is_some() {
            ids.push("session.inform-response");
        }
    }
    if target.cpe_url.is_some() {
        ids.extend(["cr.connect", "cr.challenge", "cr.auth"]);
    }
    let verdicts = ids
        .into_iter()
        .map(|id| LiveVerdict::new(id, LiveStatus::Skip, "blocked", why.to_string()))
        .collect();
    LiveReport {
        attempts: Vec::new(),
        verdicts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::icmp::{PingOutcome, PingResult};
    use crate::time::Timestamp;
    use std::time::Duration;

    fn attempt(number: u32, verdicts: &[(&'static str, LiveStatus, &'static str)]) -> LiveAttempt {
        LiveAttempt {
            number,
            started: Timestamp::new(1_700_000_000 + i64::from(number), 0),
            elapsed: Duration::from_millis(250),
            wan: PingResult {
                target: "8.8.8.8".into(),
                addr: None,
                outcome: PingOutcome::NoPrivilege("x".into()),
                at: Timestamp::new(0, 0),
            },
            acs: None,
            cr: None,
            verdicts: verdicts
                .iter()
                .map(|&(id, s, m)| {
                    LiveVerdict::new(id, s, m, format!("{id} {m}"))
                        .with([LiveEvidence::new(Timestamp::new(0, 0), "seen")])
                })
                .collect(),
        }
    }

    use LiveStatus::*;

    fn run(outcomes: &[LiveStatus]) -> Vec<LiveVerdict> {
        let attempts: Vec<LiveAttempt> = outcomes
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                attempt(
                    i as u32 + 1,
                    &[
                        ("acs.connect", s, if s == Pass { "pass" } else { "refused" }),
                        ("cr.auth", Pass, "pass"),
                    ],
                )
            })
            .collect();
        combine(&attempts)
    }

    fn retest(outcomes: &[LiveStatus]) -> (LiveStatus, &'static str) {
        let v = run(outcomes)
            .into_iter()
            .find(|v| v.id == "retest.attempts")
            .unwrap();
        (v.status, v.mode)
    }

    #[test]
    fn retest_follows_the_faq() {
        assert_eq!(retest(&[Pass, Pass, Pass]), (Pass, "pass"));
        assert_eq!(retest(&[Fail, Pass, Pass]), (Warn, "some-failed"));
        assert_eq!(retest(&[Fail, Fail, Fail]), (Fail, "all-failed"));
        assert_eq!(retest(&[Fail, Fail]), (Warn, "too-few"));
        assert_eq!(retest(&[Pass, Fail, Fail]), (Fail, "intermittent"));
    }

    #[test]
    fn merged_verdicts_keep_the_worst_and_say_how_each_attempt_went() {
        let v = run(&[Pass, Fail, Pass]);
        assert_eq!(
            v.iter().map(|v| v.id).collect::<Vec<_>>(),
            vec!["acs.connect", "retest.attempts", "cr.auth"]
        );
        assert_eq!((v[0].status, v[0].mode), (Fail, "refused"));
        assert_eq!(
            v[0].summary,
            "acs.connect refused (attempt 2; attempts: 1 pass, 2 fail, 3 pass)"
        );
        assert_eq!(
            v[0].evidence
                .iter()
                .map(|e| e.text.as_str())
                .collect::<Vec<_>>(),
            vec!["attempt 1: seen", "attempt 2: seen", "attempt 3: seen"]
        );
        assert_eq!(v[2].summary, "cr.auth pass (the same in all 3 attempts)");
        assert_eq!(
            v[1].evidence[1].text,
            "attempt 2 (0.25 s): failed: acs.connect"
        );
    }

    #[test]
    fn one_attempt_is_reported_as_judged_and_no_attempt_as_skips() {
        let one = combine(&[attempt(1, &[("acs.connect", Fail, "refused")])]);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].summary, "acs.connect refused");
        let target = LiveTarget {
            cpe_url: Some("http://192.0.2.7:7547/".into()),
            ..LiveTarget::default()
        };
        let report = cannot_run(&target, "cannot start the probes: no runtime");
        assert_eq!(
            report.verdicts.iter().map(|v| v.id).collect::<Vec<_>>(),
            vec!["wan.ping", "cr.connect", "cr.challenge", "cr.auth"]
        );
        assert!(
            report
                .verdicts
                .iter()
                .all(|v| v.status == Skip && v.mode == "blocked")
        );
    }
}
