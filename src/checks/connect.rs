//! FAQ Module I step 1, the TCP connection to the ACS: `acs.connect` (RFC 9293 §3.5).
//!
//! Takes: the TCP connections to the ACS's endpoints and the ICMP errors about them. Gives: a verdict
//! citing the SYNs (and their retransmissions), the SYN-ACK, the RST or the ICMP error that answered them;
//! per device (its DeviceId, else its client address), the worst device reported.

use crate::checks::devices::{group_by_device, worst};
use crate::checks::{Ctx, Evidence, Verdict};
use crate::flows::ConnFacts;

pub const CONNECT_MODES: &[&str] = &[
    "pass",
    "syn-unanswered",
    "refused",
    "unreachable",
    "no-evidence",
];

/// Each device's connections are judged on their own (an ACS-side capture holds many routers, and
/// one whose SYNs go unanswered must show), and the worst device is reported.
pub fn connect(ctx: &Ctx<'_>) -> Verdict {
    let conns: Vec<&ConnFacts> = ctx.acs_conns().collect();
    let judged: Vec<(String, Verdict)> =
        group_by_device(conns, |c| ctx.sessions.device_of_conn(c.id, c.client.ip()))
            .into_iter()
            .map(|(d, mine)| (d.label(mine[0].client.ip()), judge(ctx, &mine)))
            .collect();
    worst(judged).unwrap_or_else(|| {
        Verdict::skip(
            "no-evidence",
            "no TCP connection attempt to the ACS in the capture",
        )
    })
}

/// One device's connection attempts, oldest first (never empty).
fn judge(ctx: &Ctx<'_>, conns: &[&ConnFacts]) -> Verdict {
    if let Some(c) = conns.iter().find(|c| c.handshake_done()) {
        let mut v = Verdict::pass(format!(
            "TCP handshake {} → {} completed",
            c.client, c.server
        ));
        v.evidence.extend(handshake_evidence(ctx, c));
        let failed = conns.iter().filter(|c| !c.handshake_done()).count();
        if failed > 0 {
            v.summary.push_str(&match failed {
                1 => " (1 other attempt failed)".to_string(),
                n => format!(" ({n} other attempts failed)"),
            });
        }
        return v;
    }
    let Some(last) = conns.last() else {
        return Verdict::skip("no-evidence", "no TCP connection attempt");
    };
    if let Some(err) = ctx.facts.icmp_errors.iter().find(|e| {
        e.original
            .as_ref()
            .is_some_and(|o| ctx.roles.is_acs_ip(o.dst) && o.dst_port == Some(last.server.port()))
    }) {
        return Verdict::fail(
            "unreachable",
            format!(
                "{} reported the ACS {}: {}",
                err.from,
                last.server,
                err.describe()
            ),
        )
        .with(handshake_evidence(ctx, last))
        .with([Evidence::at(
            ctx,
            err.at,
            format!("ICMP {} from {}", err.describe(), err.from),
        )]);
    }
    if let Some(rst) = last.rst.filter(|r| !r.from_client) {
        return Verdict::fail(
            "refused",
            format!("the ACS {} refused the connection (RST)", last.server),
        )
        .with(handshake_evidence(ctx, last))
        .with([Evidence::in_conn(
            ctx,
            last.id,
            rst.at,
            format!("RST {} → {}", last.server, last.client),
        )]);
    }
    let syns: u32 = conns.iter().map(|c| c.syn_count).sum();
    let attempts = match conns.len() {
        1 => "1 connection attempt".to_string(),
        n => format!("{n} connection attempts"),
    };
    Verdict::fail(
        "syn-unanswered",
        format!(
            "{syns} SYN{} to the ACS {} unanswered ({attempts})",
            if syns == 1 { "" } else { "s" },
            last.server,
        ),
    )
    .with(
        conns
            .iter()
            .take(3)
            .flat_map(|c| handshake_evidence(ctx, c)),
    )
}

/// The SYNs (first, last, retransmissions) and the SYN-ACK of a connection.
pub fn handshake_evidence(ctx: &Ctx<'_>, c: &ConnFacts) -> Vec<Evidence> {
    let mut out = Vec::new();
    if let Some(first) = c.syn_first {
        let retrans = c.syn_count.saturating_sub(1);
        let extra = if retrans > 0 {
            format!(" ({retrans} retransmissions)")
        } else {
            String::new()
        };
        out.push(Evidence::in_conn(
            ctx,
            c.id,
            first,
            format!("SYN {} → {}{extra}", c.client, c.server),
        ));
    }
    if let Some(last) = c.syn_last.filter(|l| Some(*l) != c.syn_first) {
        out.push(Evidence::in_conn(
            ctx,
            c.id,
            last,
            "last SYN retransmission",
        ));
    }
    if let Some(sa) = c.syn_ack {
        out.push(Evidence::in_conn(
            ctx,
            c.id,
            sa,
            format!("SYN-ACK {} → {}", c.server, c.client),
        ));
    }
    out
}
