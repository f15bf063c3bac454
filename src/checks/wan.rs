//! FAQ Module I step 1, the WAN: `wan.dial` (PPPoE discovery, PPP authentication, DHCP) and `wan.ping`.
//!
//! Takes: the capture's PPPoE/PPP frames, DHCP messages and ICMP echo flows. Gives: verdicts with the
//! frames of the decisive packets. PPPoE follows RFC 2516 (PADI → PADO → PADR → PADS, PADT), PPP
//! authentication RFC 1334 (PAP) and RFC 1994 (CHAP), DHCP RFC 2131.

use std::net::IpAddr;

use crate::apps::dhcp::DhcpMessage;
use crate::checks::{Ctx, Evidence, Verdict};
use crate::decode::{PppControl, PppoeDiscovery};
use crate::facts::{Datagram, WanEvent};
use crate::flows::At;
use crate::sessions::url::Reach;

pub const DIAL_MODES: &[&str] = &[
    "pass",
    "padi-unanswered",
    "pads-missing",
    "pppoe-error",
    "ppp-auth",
    "padt",
    "dhcp-no-offer",
    "dhcp-nak",
    "dhcp-incomplete",
    "no-evidence",
];
pub const PING_MODES: &[&str] = &["pass", "unanswered", "no-evidence"];

const PADI: u8 = 0x09;
const PADO: u8 = 0x07;
const PADR: u8 = 0x19;
const PADS: u8 = 0x65;
const PADT: u8 = 0xa7;
const PAP: u16 = 0xc023;
const CHAP: u16 = 0xc223;

pub fn dial(ctx: &Ctx<'_>) -> Verdict {
    let pppoe: Vec<(At, &PppoeDiscovery)> = ctx
        .facts
        .wan
        .iter()
        .filter_map(|e| match e {
            WanEvent::Pppoe { at, frame } => Some((*at, frame)),
            WanEvent::Ppp { .. } => None,
        })
        .collect();
    let ppp: Vec<(At, &PppControl)> = ctx
        .facts
        .wan
        .iter()
        .filter_map(|e| match e {
            WanEvent::Ppp { at, frame } => Some((*at, frame)),
            WanEvent::Pppoe { .. } => None,
        })
        .collect();
    let dhcp = wan_dhcp(ctx);
    let mut verdicts = Vec::new();
    if !pppoe.is_empty() || !ppp.is_empty() {
        verdicts.push(judge_pppoe(ctx, &pppoe, &ppp));
    }
    if !dhcp.is_empty() {
        verdicts.push(judge_dhcp(ctx, &dhcp));
    }
    // The WAN is up when either way of dialling reached its end.
    let best = verdicts
        .iter()
        .position(|v| v.status == crate::checks::Status::Pass);
    match best.or(if verdicts.is_empty() { None } else { Some(0) }) {
        Some(i) => verdicts.swap_remove(i),
        None => Verdict::skip("no-evidence", "no PPPoE or DHCP exchange in the capture"),
    }
}

fn pppoe_name(code: u8) -> &'static str {
    match code {
        PADI => "PADI",
        PADO => "PADO",
        PADR => "PADR",
        PADS => "PADS",
        PADT => "PADT",
        _ => "PPPoE discovery",
    }
}

fn judge_pppoe(
    ctx: &Ctx<'_>,
    pppoe: &[(At, &PppoeDiscovery)],
    ppp: &[(At, &PppControl)],
) -> Verdict {
    let ev = |at: At, d: &PppoeDiscovery| {
        let mut text = format!("{} session 0x{:04x}", pppoe_name(d.code), d.session_id);
        if let Some(ac) = &d.ac_name {
            text.push_str(&format!(", AC-Name {ac:?}"));
        }
        if let Some(e) = &d.error {
            text.push_str(&format!(", error tag {e:?}"));
        }
        Evidence::at(ctx, at, text)
    };
    if let Some((at, d)) = pppoe.iter().find(|(_, d)| d.error.is_some()) {
        let what = d.error.clone().unwrap_or_default();
        return Verdict::fail(
            "pppoe-error",
            format!(
                "the access concentrator answered {} with an error: {what}",
                pppoe_name(d.code)
            ),
        )
        .with([ev(*at, d)]);
    }
    if let Some((at, c)) = ppp.iter().find(|(_, c)| auth_failed(c)) {
        let reason = c.message.clone().unwrap_or_default();
        let proto = if c.protocol == PAP { "PAP" } else { "CHAP" };
        return Verdict::fail(
            "ppp-auth",
            format!("PPP {proto} authentication failed {reason:?}").replace(" \"\"", ""),
        )
        .with([Evidence::at(ctx, *at, format!("{proto} failure: {reason}"))]);
    }
    let last_pads = pppoe.iter().rposition(|(_, d)| d.code == PADS);
    let count = |code: u8| pppoe.iter().filter(|(_, d)| d.code == code).count();
    let Some(pads_i) = last_pads else {
        if pppoe.iter().any(|(_, d)| d.code == PADO) {
            let (at, d) = pppoe
                .iter()
                .rev()
                .find(|(_, d)| d.code == PADR || d.code == PADO)
                .expect("PADO exists");
            return Verdict::fail(
                "pads-missing",
                format!(
                    "PPPoE offer received but no PADS ({} PADR sent)",
                    count(PADR)
                ),
            )
            .with([ev(*at, d)]);
        }
        if let Some((at, d)) = pppoe.iter().find(|(_, d)| d.code == PADI) {
            return Verdict::fail(
                "padi-unanswered",
                format!("{} PADI sent, no PADO answered", count(PADI)),
            )
            .with([ev(*at, d)]);
        }
        return match ppp.iter().find(|(_, c)| auth_succeeded(c)) {
            Some((at, _)) => Verdict::pass(
                "PPP authentication succeeded (the PPPoE discovery is not in the capture)",
            )
            .with([Evidence::at(ctx, *at, "PPP authentication success")]),
            None => Verdict::skip(
                "no-evidence",
                "PPP frames but no PPPoE discovery or authentication outcome",
            ),
        };
    };
    let (pads_at, pads) = pppoe[pads_i];
    let traffic = ctx.facts.pppoe_traffic;
    let padt = pppoe[pads_i..].iter().find(|(_, d)| d.code == PADT);
    if let Some((padt_at, d)) = padt {
        let carried =
            traffic.is_some_and(|t| t.first.frame > pads_at.frame && t.first.frame < padt_at.frame);
        if !carried {
            return Verdict::fail(
                "padt",
                format!(
                    "PPPoE session 0x{:04x} torn down (PADT) before it carried traffic",
                    pads.session_id
                ),
            )
            .with([ev(pads_at, pads), ev(*padt_at, d)]);
        }
    }
    let mut v = Verdict::pass(format!(
        "PPPoE session 0x{:04x} established (PADS)",
        pads.session_id
    ))
    .with([ev(pads_at, pads)]);
    if let Some(t) = traffic.filter(|t| t.first.frame > pads_at.frame) {
        v.evidence.push(Evidence::at(
            ctx,
            t.first,
            format!("first of {} IP frames over the PPPoE session", t.frames),
        ));
    }
    v
}

fn auth_failed(c: &PppControl) -> bool {
    (c.protocol == PAP && c.code == 3) || (c.protocol == CHAP && c.code == 4)
}

fn auth_succeeded(c: &PppControl) -> bool {
    (c.protocol == PAP && c.code == 2) || (c.protocol == CHAP && c.code == 3)
}

/// DHCP messages of the router's WAN: those marked as a CWMP device (option 60 `dslforum.org`), those
/// handing a CPE its address, or all of them when the capture does not tell which host is the CPE.
fn wan_dhcp<'f>(ctx: &Ctx<'f>) -> Vec<&'f Datagram<DhcpMessage>> {
    let cpes = &ctx.roles.cpes;
    let marked = |m: &DhcpMessage| {
        m.vendor_class
            .as_deref()
            .is_some_and(|v| v.contains("dslforum"))
            || [m.your_ip, m.requested_ip]
                .iter()
                .flatten()
                .any(|ip| cpes.contains(&IpAddr::V4(*ip)))
    };
    let xids: std::collections::HashSet<u32> = ctx
        .facts
        .dhcp
        .iter()
        .filter(|d| marked(&d.msg))
        .map(|d| d.msg.xid)
        .collect();
    ctx.facts
        .dhcp
        .iter()
        .filter(|d| cpes.is_empty() || xids.contains(&d.msg.xid))
        .collect()
}

fn judge_dhcp(ctx: &Ctx<'_>, dhcp: &[&Datagram<DhcpMessage>]) -> Verdict {
    const DISCOVER: u8 = 1;
    const OFFER: u8 = 2;
    const REQUEST: u8 = 3;
    const ACK: u8 = 5;
    const NAK: u8 = 6;
    let ev = |d: &Datagram<DhcpMessage>, extra: String| {
        Evidence::at(
            ctx,
            d.at,
            format!(
                "DHCP {} xid 0x{:08x}{extra}",
                d.msg.msg_type_name, d.msg.xid
            ),
        )
    };
    let of = |t: u8| dhcp.iter().filter(move |d| d.msg.msg_type == Some(t));
    if let Some(ack) = of(ACK).next_back() {
        let ip = ack.msg.your_ip.map(|i| format!(" {i}")).unwrap_or_default();
        let server = ack
            .msg
            .server_id
            .map(|s| format!(" from {s}"))
            .unwrap_or_default();
        let mut v =
            Verdict::pass(format!("DHCP lease{ip}{server} (ACK)")).with([ev(ack, String::new())]);
        if let Some(url) = dhcp.iter().find_map(|d| d.msg.acs_url.as_ref()) {
            v.evidence.push(Evidence::note(
                ctx,
                format!("DHCP option 43 gives the ACS URL {url}"),
            ));
        }
        return v;
    }
    if let Some(nak) = of(NAK).next_back() {
        let why = nak
            .msg
            .message
            .as_ref()
            .map(|m| format!(": {m:?}"))
            .unwrap_or_default();
        return Verdict::fail(
            "dhcp-nak",
            format!("the DHCP server refused the request (NAK){why}"),
        )
        .with([ev(nak, why)]);
    }
    if of(OFFER).next().is_none() {
        let discovers: Vec<_> = of(DISCOVER).collect();
        if let Some(first) = discovers.first() {
            return Verdict::fail(
                "dhcp-no-offer",
                format!("{} DHCP DISCOVER sent, no OFFER answered", discovers.len()),
            )
            .with([ev(first, String::new())]);
        }
    }
    let last = dhcp.last().expect("non-empty");
    let requested = of(REQUEST).count();
    Verdict::fail(
        "dhcp-incomplete",
        format!(
            "DHCP never reached ACK ({requested} REQUEST sent, last message {})",
            last.msg.msg_type_name
        ),
    )
    .with([ev(last, String::new())])
}

pub fn ping(ctx: &Ctx<'_>) -> Verdict {
    let target: Option<IpAddr> = ctx
        .config
        .wan_target
        .as_deref()
        .and_then(|t| t.parse().ok());
    let flows: Vec<_> = ctx
        .facts
        .echo
        .iter()
        .filter(|f| match target {
            Some(t) => f.dst == t,
            None => Reach::of(f.dst) == Reach::Public && !ctx.roles.is_acs_ip(f.dst),
        })
        .collect();
    if let Some(f) = flows.iter().find(|f| f.replies > 0) {
        let reply = f.first_reply.expect("replies > 0");
        return Verdict::pass(format!(
            "{} answered {}/{} echo requests",
            f.dst, f.replies, f.requests
        ))
        .with([
            Evidence::at(
                ctx,
                f.first_request,
                format!("echo request {} → {}", f.src, f.dst),
            ),
            Evidence::at(ctx, reply, format!("echo reply {} → {}", f.dst, f.src)),
        ]);
    }
    // A router on the path that answers the echo with an ICMP error says where the path ends (ICMP
    // is protocol 1, ICMPv6 58).
    let icmp_error = |f: &&crate::apps::icmp::EchoFlow| {
        ctx.facts.icmp_errors.iter().find(|e| {
            e.original
                .as_ref()
                .is_some_and(|o| o.dst == f.dst && o.src == f.src && matches!(o.protocol, 1 | 58))
        })
    };
    match flows.first() {
        Some(f) => Verdict::fail(
            "unanswered",
            match icmp_error(f) {
                Some(e) => format!(
                    "{} echo requests to {}: {} answered {} (the path ends there)",
                    f.requests,
                    f.dst,
                    e.from,
                    e.describe()
                ),
                None => format!("{} echo requests to {} unanswered", f.requests, f.dst),
            },
        )
        .with([
            Evidence::at(
                ctx,
                f.first_request,
                format!("first echo request {} → {}", f.src, f.dst),
            ),
            Evidence::at(
                ctx,
                f.last_request,
                format!("last echo request, no reply ({} sent)", f.requests),
            ),
        ])
        .with(
            icmp_error(f)
                .map(|e| Evidence::at(ctx, e.at, format!("ICMP {} from {}", e.describe(), e.from))),
        ),
        None => Verdict::skip("no-evidence", "no ping to a public address in the capture"),
    }
}
