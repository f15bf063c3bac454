//! FAQ Module II step I, `cr.connect`: the ACS opened a TCP connection to the ConnectionRequestURL —
//! judged per device, with every attempt cited.
//!
//! Takes: the devices connection requests go to ([`cr_devices`]) and the TCP connections of the capture.
//! Gives: per device, a pass when the first attempt connected, a warning naming the attempts that failed
//! before one connected (failure signature S18: the first connection request fails, a retry succeeds),
//! or a failure citing every attempt (SYNs unanswered, RST); the worst device is reported.

use crate::checks::connect::handshake_evidence;
use crate::checks::cr_devices::{CrDevice, cr_devices, judge_devices};
use crate::checks::{Ctx, Evidence, Verdict};
use crate::flows::ConnFacts;

pub const CONNECT_MODES: &[&str] = &[
    "pass",
    "retried",
    "syn-unanswered",
    "behind-nat",
    "refused",
    "udp",
    "no-evidence",
];

pub fn connect(ctx: &Ctx<'_>) -> Verdict {
    if let Some(v) = crate::checks::udp_cr::connect(ctx) {
        return v;
    }
    judge_devices(&cr_devices(ctx), |d| connect_device(ctx, d))
        .unwrap_or_else(|| Verdict::skip("no-evidence", "no connection request in the capture"))
}

/// How one attempt that did not connect ended, in words.
fn failed_attempt(c: &ConnFacts) -> String {
    match c.rst.filter(|r| !r.from_client) {
        Some(_) => "RST".to_string(),
        None if c.syn_count == 1 => "1 SYN unanswered".to_string(),
        None => format!("{} SYNs unanswered", c.syn_count),
    }
}

/// An attempt's evidence: its SYNs, the SYN-ACK, and the router's RST.
fn attempt_evidence(ctx: &Ctx<'_>, c: &ConnFacts) -> Vec<Evidence> {
    let mut ev = handshake_evidence(ctx, c);
    if let Some(rst) = c.rst.filter(|r| !r.from_client && !c.handshake_done()) {
        ev.push(Evidence::in_conn(
            ctx,
            c.id,
            rst.at,
            format!("RST {} → {}", c.server, c.client),
        ));
    }
    ev
}

fn connect_device(ctx: &Ctx<'_>, d: &CrDevice<'_>) -> Option<Verdict> {
    let conns: Vec<&ConnFacts> = ctx
        .facts
        .conns
        .iter()
        .filter(|c| d.targets.contains(&c.server))
        .collect();
    let last = *conns.last()?;
    if let Some(k) = conns.iter().position(|c| c.handshake_done()) {
        let c = conns[k];
        let done = format!(
            "the ACS {} connected to the router's {}",
            c.client.ip(),
            c.server
        );
        if k == 0 {
            return Some(Verdict::pass(done).with(handshake_evidence(ctx, c)));
        }
        let failed: Vec<String> = conns[..k].iter().map(|c| failed_attempt(c)).collect();
        let mut ev: Vec<Evidence> = conns[..k]
            .iter()
            .flat_map(|c| attempt_evidence(ctx, c))
            .collect();
        ev.extend(handshake_evidence(ctx, c));
        return Some(
            Verdict::warn(
                "retried",
                format!(
                    "{done} only on attempt {}: the earlier {} failed ({}) and the ACS had to retry",
                    k + 1,
                    if k == 1 { "attempt" } else { "attempts" },
                    failed.join("; ")
                ),
            )
            .with(ev),
        );
    }
    let ev: Vec<Evidence> = conns
        .iter()
        .flat_map(|c| attempt_evidence(ctx, c))
        .collect();
    let attempts = if conns.len() > 1 {
        let each: Vec<String> = conns.iter().map(|c| failed_attempt(c)).collect();
        format!("; all {} attempts failed: {}", conns.len(), each.join("; "))
    } else {
        String::new()
    };
    if last.rst.is_some_and(|r| !r.from_client) {
        return Some(
            Verdict::fail(
                "refused",
                format!(
                    "the router refused the ACS's connection to {} (RST){attempts}",
                    last.server
                ),
            )
            .with(ev),
        );
    }
    let syns: u32 = conns.iter().map(|c| c.syn_count).sum();
    // SYNs to a private or carrier-NAT address the router does not send from: the root cause is the
    // URL the router reported (cr.precondition), not a firewall — say so where the reader looks first.
    let reach = crate::sessions::url::Reach::of(last.server.ip());
    let behind_nat =
        reach != crate::sessions::url::Reach::Public && !ctx.roles.cpes.contains(&last.server.ip());
    let why = if behind_nat {
        format!(
            "; {} is {} the ACS cannot route to: the router is behind NAT and reports its inside address (see cr.precondition)",
            last.server.ip(),
            reach.describe()
        )
    } else {
        String::new()
    };
    Some(
        Verdict::fail(
            if behind_nat {
                "behind-nat"
            } else {
                "syn-unanswered"
            },
            format!(
                "{syns} SYNs unanswered: the ACS {} never reached the router's {}{why}{attempts}",
                last.client.ip(),
                last.server
            ),
        )
        .with(ev),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::checks::fixture_support::on_fixture;

    fn frames(v: &Verdict) -> Vec<u64> {
        v.evidence.iter().filter_map(|e| e.frame).collect()
    }

    #[test]
    fn the_failed_router_is_named_whichever_comes_first() {
        for case in [
            "review-cr-two-cpes-one-fails",
            "review-cr-two-cpes-fail-first",
        ] {
            let v = on_fixture(case, connect);
            assert_eq!((v.status, v.mode), (Status::Fail, "syn-unanswered"));
            assert!(
                v.summary.starts_with(
                    "CPE 00259E-HG8245-SN0002 at 203.0.113.8 (1 of 2 devices fail): 4 SYNs unanswered"
                ),
                "{case}: {}",
                v.summary
            );
        }
    }

    #[test]
    fn a_host_name_url_is_reached_at_the_routers_address() {
        let v = on_fixture("review-cr-hostname-syn-unanswered", connect);
        assert_eq!((v.status, v.mode), (Status::Fail, "syn-unanswered"));
        assert!(v.summary.contains("203.0.113.7:7547"), "{}", v.summary);
        assert_eq!(
            on_fixture("review-cr-hostname-ok", connect).status,
            Status::Pass
        );
    }

    #[test]
    fn a_retry_that_succeeds_names_the_failed_attempts() {
        let v = on_fixture("review-cr-retry-succeeds", connect);
        assert_eq!((v.status, v.mode), (Status::Warn, "retried"));
        assert!(
            v.summary.contains("attempt 3") && v.summary.contains("3 SYNs unanswered; RST"),
            "{}",
            v.summary
        );
        // The first attempt's SYN and last retransmission, the second's SYN and RST, then the handshake.
        assert_eq!(frames(&v), vec![15, 17, 18, 19, 20, 21]);
    }

    #[test]
    fn every_failed_attempt_is_cited() {
        let v = on_fixture("review-cr-retry-all-fail", connect);
        assert_eq!((v.status, v.mode), (Status::Fail, "refused"));
        assert!(v.summary.contains("all 3 attempts failed"), "{}", v.summary);
        assert_eq!(frames(&v), vec![15, 17, 18, 20, 21, 22]);
    }
}
