//! FAQ Module I step 1, reaching the ACS by name and by ping: `acs.dns` (RFC 1035) and `acs.ping`.
//!
//! Takes: the DNS messages and ICMP echo flows of the capture, and the roles (the ACS's names and
//! addresses). Gives: verdicts citing the query and its answer code, the echo requests and replies.

use crate::checks::{Ctx, Evidence, Verdict};

pub const DNS_MODES: &[&str] = &[
    "pass",
    "nxdomain",
    "servfail",
    "refused",
    "no-answer",
    "no-address",
    "ip-literal",
    "no-evidence",
];
pub const ACS_PING_MODES: &[&str] = &["pass", "unanswered-tcp-ok", "unanswered", "no-evidence"];

pub fn dns(ctx: &Ctx<'_>) -> Verdict {
    let hosts = &ctx.roles.acs_hosts;
    if hosts.is_empty() {
        return match &ctx.roles.acs_url {
            Some(u) if u.ip.is_some() => Verdict::skip(
                "ip-literal",
                format!(
                    "the ACS URL uses the address {}: no DNS lookup needed",
                    u.host
                ),
            ),
            _ => Verdict::skip(
                "no-evidence",
                "the ACS host name is unknown (no Host header, no --acs-url)",
            ),
        };
    }
    let asks = |names: &[(String, u16)]| {
        names.iter().any(|(q, _)| {
            hosts
                .iter()
                .any(|h| q.trim_end_matches('.').eq_ignore_ascii_case(h))
        })
    };
    let lookups: Vec<_> = ctx
        .facts
        .dns
        .iter()
        .filter(|d| asks(&d.msg.questions))
        .collect();
    let names = hosts.join(", ");
    if lookups.is_empty() {
        return Verdict::skip(
            "no-evidence",
            format!("no DNS lookup of {names} in the capture"),
        );
    }
    let queries: Vec<_> = lookups.iter().filter(|d| !d.msg.response).collect();
    let answers: Vec<_> = lookups.iter().filter(|d| d.msg.response).collect();
    if let Some(ok) = answers
        .iter()
        .find(|d| d.msg.rcode == 0 && d.msg.answers.iter().any(|a| a.addr.is_some()))
    {
        let addrs: Vec<String> = ok
            .msg
            .answers
            .iter()
            .filter_map(|a| a.addr)
            .map(|a| a.to_string())
            .collect();
        let mut v = Verdict::pass(format!("{names} resolves to {}", addrs.join(", ")));
        if let Some(q) = queries.iter().find(|q| q.msg.id == ok.msg.id) {
            v.evidence.push(Evidence::at(
                ctx,
                q.at,
                format!("DNS query {} → {}", q.src, q.dst),
            ));
        }
        v.evidence.push(Evidence::at(
            ctx,
            ok.at,
            format!("DNS answer {}: {}", ok.msg.rcode_name, addrs.join(", ")),
        ));
        return v;
    }
    let Some(last) = answers.last() else {
        let first = queries
            .first()
            .expect("lookups without answers are queries");
        return Verdict::fail(
            "no-answer",
            format!("{} DNS queries for {names} got no answer", queries.len()),
        )
        .with([Evidence::at(
            ctx,
            first.at,
            format!("DNS query {} → {}, no answer", first.src, first.dst),
        )]);
    };
    let mode = match last.msg.rcode_name {
        "NXDOMAIN" => "nxdomain",
        "SERVFAIL" => "servfail",
        "REFUSED" => "refused",
        _ if last.msg.rcode == 0 => "no-address",
        _ => "servfail",
    };
    Verdict::fail(
        mode,
        format!("DNS lookup of {names} failed: {}", last.msg.rcode_name),
    )
    .with([Evidence::at(
        ctx,
        last.at,
        format!("DNS answer from {}: {}", last.src, last.msg.rcode_name),
    )])
}

pub fn acs_ping(ctx: &Ctx<'_>) -> Verdict {
    let flows: Vec<_> = ctx
        .facts
        .echo
        .iter()
        .filter(|f| ctx.roles.is_acs_ip(f.dst))
        .collect();
    if let Some(f) = flows.iter().find(|f| f.replies > 0) {
        return Verdict::pass(format!(
            "the ACS {} answered {}/{} echo requests",
            f.dst, f.replies, f.requests
        ))
        .with([Evidence::at(
            ctx,
            f.first_reply.expect("answered"),
            format!("echo reply {} → {}", f.dst, f.src),
        )]);
    }
    let Some(f) = flows.first() else {
        return Verdict::skip("no-evidence", "no ping to the ACS in the capture");
    };
    let ev = Evidence::at(
        ctx,
        f.first_request,
        format!(
            "echo request {} → {} ({} sent, none answered)",
            f.src, f.dst, f.requests
        ),
    );
    match ctx.acs_conns().find(|c| c.handshake_done()) {
        Some(c) => Verdict::warn(
            "unanswered-tcp-ok",
            format!("the ACS {} ignores ping, but TCP to it works", f.dst),
        )
        .with([
            ev,
            Evidence::at(
                ctx,
                c.established.unwrap_or(c.first),
                format!("TCP {} → {} established", c.client, c.server),
            ),
        ]),
        None => Verdict::fail(
            "unanswered",
            format!(
                "{} echo requests to the ACS {} unanswered",
                f.requests, f.dst
            ),
        )
        .with([ev]),
    }
}
