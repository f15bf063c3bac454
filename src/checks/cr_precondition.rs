//! FAQ Module II step I, `cr.precondition`: a registration completed and the router reported a
//! ConnectionRequestURL the ACS can reach — judged per device, the worst reported.
//!
//! Takes: the completed CWMP sessions, the ConnectionRequestURLs of the Informs, the STUN bindings
//! (TR-111) and the TCP connections. Gives: per device, a pass, or a warning when the URL names an
//! address the ACS cannot reach from outside (RFC 1918, CGN, loopback, link-local) or differs from the
//! router's source address (NAT). A private URL is no problem when the ACS is seen reaching it or sits
//! in the same private block (a lab or a management VLAN): then it is only noted.

use crate::checks::devices::{group_by_device, worst};
use crate::checks::{Ctx, Evidence, Verdict};
use crate::sessions::cwmp::{CwmpSession, Outcome};
use crate::sessions::device::inform_device;
use crate::sessions::url::Reach;

pub const PRECONDITION_MODES: &[&str] = &[
    "pass",
    "no-registration",
    "no-url",
    "unreachable-host",
    "nat",
    "no-evidence",
];

pub fn precondition(ctx: &Ctx<'_>) -> Verdict {
    let sessions = &ctx.sessions.cwmp;
    if sessions.is_empty() && ctx.sessions.conn_requests.is_empty() {
        return Verdict::skip(
            "no-evidence",
            "no registration and no connection request in the capture",
        );
    }
    if !sessions
        .iter()
        .any(|s| matches!(s.outcome, Outcome::Completed { .. }))
    {
        // Without a connection request to judge, Module I already says what went wrong.
        if ctx.sessions.conn_requests.is_empty() && ctx.facts.udp_conn_requests.is_empty() {
            return Verdict::skip(
                "no-evidence",
                "no connection request in the capture, and no registration completed (see Module I)",
            );
        }
        return Verdict::fail(
            "no-registration",
            "no registration completed in the capture: the ACS cannot reach a router it does not know",
        );
    }
    // Each device's last completed registration, judged on its own; the worst is reported.
    let groups = group_by_device(
        sessions
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Completed { .. }))
            .collect(),
        |s| s.device.clone(),
    );
    let single = groups.len() == 1;
    let judged = groups
        .into_iter()
        .filter_map(|(_, ss)| {
            let done = *ss.last()?;
            Some((
                done.device.label(done.cpe),
                precondition_for(ctx, done, single),
            ))
        })
        .collect();
    worst(judged).expect("a registration completed")
}

/// `cr.precondition` for the device of `done`, its last completed registration (`single`: it is the
/// capture's only registered device, so a URL from an Inform without DeviceId may still be its own).
fn precondition_for(ctx: &Ctx<'_>, done: &CwmpSession, single: bool) -> Verdict {
    let end = match done.outcome {
        Outcome::Completed { end } => ctx.msg(end),
        _ => unreachable!("only completed sessions are judged"),
    };
    let done_ev = Evidence::message(ctx, end, "registration completed");
    // The URL the registered device reported: by its DeviceId first (routers behind one NAT address
    // share the address), then by its address.
    let urls = || ctx.sessions.cr_urls.iter().rev();
    let Some(url) = urls()
        .find(|u| inform_device(ctx.msg(u.message)).as_ref() == Some(&done.device))
        .or_else(|| urls().find(|u| ctx.msg(u.message).http.src.ip() == done.cpe))
        .or(ctx.sessions.cr_urls.last().filter(|_| single))
    else {
        let unread = done
            .informs
            .iter()
            .all(|&i| ctx.msg(i).envelope().and_then(|e| e.inform()).is_none());
        if unread && !done.informs.is_empty() {
            return Verdict::skip(
                "no-evidence",
                "a session completed, but its Inform could not be read (see session.inform): the ConnectionRequestURL is not known",
            )
            .with([done_ev]);
        }
        if done.informs.is_empty() {
            return Verdict::skip(
                "no-evidence",
                "a session completed, but the capture began after its Inform: the ConnectionRequestURL is not in it",
            )
            .with([done_ev]);
        }
        return Verdict::warn(
            "no-url",
            "a registration completed but no Inform reported a ConnectionRequestURL",
        )
        .with([done_ev]);
    };
    let url_ev = Evidence::message(
        ctx,
        ctx.msg(url.message),
        &format!("ConnectionRequestURL = {}", url.url),
    );
    // Behind NAT, a STUN binding with CONNECTION-REQUEST-BINDING (TR-111) lets the ACS reach the router
    // over UDP anyway.
    let behind_nat =
        url.reach().is_some_and(|r| r != Reach::Public) || url.ip.is_some_and(|ip| ip != done.cpe);
    if behind_nat && let Some(b) = crate::checks::udp_cr::stun_binding(ctx, done.cpe) {
        let mapped = b
            .msg
            .xor_mapped_address
            .or(b.msg.mapped_address)
            .map(|a| format!(" ({a})"))
            .unwrap_or_default();
        return Verdict::pass(format!(
            "registration completed; the ConnectionRequestURL {} is behind NAT, but the router keeps a STUN binding{mapped} for UDP connection requests (TR-111)",
            url.url
        ))
        .with([done_ev, url_ev, Evidence::at(ctx, b.at, format!("STUN binding request {} → {} with CONNECTION-REQUEST-BINDING", b.src, b.dst))]);
    }
    let acs = done.acs.ip();
    let reached = ctx
        .facts
        .conns
        .iter()
        .find(|c| Some(c.server) == url.target() && c.client.ip() == acs && c.handshake_done());
    match url.reach() {
        Some(reach) if reach != Reach::Public && (reached.is_some() || same_block(acs, url.ip)) => {
            // The ACS sits inside the router's network (a lab, an operator's management VLAN): the
            // private URL is reachable from there, so it is not a problem, only worth a note.
            let how = match reached {
                Some(c) => format!("the ACS {acs} reached it (TCP connection {} → {})", c.client, c.server),
                None => format!("the ACS {acs} is in the same private network"),
            };
            Verdict::pass(format!(
                "registration completed; the ConnectionRequestURL {} names {}, and {how}",
                url.url,
                reach.describe()
            ))
            .with([done_ev, url_ev])
        }
        Some(reach) if reach != Reach::Public => Verdict::warn(
            "unreachable-host",
            format!("the ConnectionRequestURL {} names {}: the ACS cannot reach it from outside", url.url, reach.describe()),
        )
        .with([done_ev, url_ev]),
        Some(_) if url.ip != Some(done.cpe) => Verdict::warn(
            "nat",
            format!("the ConnectionRequestURL host {} is not the router's source address {}: NAT between them", url.host, done.cpe),
        )
        .with([done_ev, url_ev]),
        _ => Verdict::pass(format!("registration completed; ConnectionRequestURL {}", url.url)).with([done_ev, url_ev]),
    }
}

/// `acs` and `url` are in one private or carrier-grade NAT block (10/8, 172.16/12, 192.168/16,
/// 100.64/10, fc00::/7), so the ACS reaches the URL without crossing NAT.
fn same_block(acs: std::net::IpAddr, url: Option<std::net::IpAddr>) -> bool {
    use std::net::IpAddr::{V4, V6};
    let Some(url) = url else { return false };
    let reach = Reach::of(url);
    if !matches!(reach, Reach::Private | Reach::CarrierNat) || Reach::of(acs) != reach {
        return false;
    }
    match (acs, url) {
        (V4(a), V4(u)) => {
            let (a, u) = (a.octets(), u.octets());
            match u[0] {
                10 => a[0] == 10,
                172 => a[0] == 172 && (a[1] & 0xf0) == (u[1] & 0xf0),
                192 => a[..2] == u[..2],
                _ => a[0] == u[0] && (a[1] & 0xc0) == (u[1] & 0xc0),
            }
        }
        (V6(_), V6(_)) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::checks::fixture_support::on_fixture;

    #[test]
    fn private_blocks_are_compared_by_their_range() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        assert!(same_block(ip("10.255.255.35"), Some(ip("10.24.34.7"))));
        assert!(same_block(ip("172.20.0.1"), Some(ip("172.31.9.9"))));
        assert!(!same_block(ip("172.32.0.1"), Some(ip("172.31.9.9"))));
        assert!(!same_block(ip("10.0.0.1"), Some(ip("192.168.1.2"))));
        assert!(!same_block(ip("198.51.100.20"), Some(ip("192.168.1.2"))));
        assert!(same_block(ip("100.64.0.1"), Some(ip("100.127.3.4"))));
        assert!(
            !same_block(ip("127.0.0.1"), Some(ip("127.0.0.1"))),
            "loopback is never reachable"
        );
        assert!(!same_block(ip("10.0.0.1"), None));
    }

    #[test]
    fn a_private_url_the_public_acs_cannot_reach_still_warns() {
        let v = on_fixture("cr-precondition-url-private", precondition);
        assert_eq!((v.status, v.mode), (Status::Warn, "unreachable-host"));
    }

    #[test]
    fn each_device_is_judged_and_a_host_name_url_is_not_nat() {
        let v = on_fixture("review-cr-two-cpes-one-fails", precondition);
        assert_eq!(v.status, Status::Pass);
        assert!(v.summary.contains("all 2 devices pass"), "{}", v.summary);
        let h = on_fixture("review-cr-hostname-ok", precondition);
        assert_eq!(h.status, Status::Pass, "{}", h.summary);
    }
}
