//! UDP connection requests (TR-069 Annex G, formerly TR-111 Part 2) and the STUN bindings that make them
//! possible, as evidence for the `cr.*` checks.
//!
//! Takes: the UDP connection requests and STUN messages of the capture. Gives: whether a router keeps a
//! STUN binding with CONNECTION-REQUEST-BINDING (so an ACS can reach it behind NAT), and whether a UDP
//! connection request's signature was made with a given password: `sig` = HMAC-SHA1 keyed with the
//! ConnectionRequestPassword over `ts‖id‖un‖cn` (tr069-facts.md §8.2), computed with the `hmac` and `sha1`
//! crates.

use std::net::IpAddr;

use hmac::{Hmac, KeyInit, Mac};

use crate::apps::stun::StunMessage;
use crate::apps::udp_cr::UdpConnectionRequest;
use crate::checks::{Ctx, Evidence, Verdict};
use crate::facts::Datagram;

/// The first STUN binding request from `cpe` asking for UDP connection requests.
pub fn stun_binding<'f>(ctx: &Ctx<'f>, cpe: IpAddr) -> Option<&'f Datagram<StunMessage>> {
    ctx.facts
        .stun
        .iter()
        .find(|d| d.src.ip() == cpe && d.msg.is_request && d.msg.connection_request_binding)
}

/// Whether the request's signature was made with `password`; `None` when a field is missing.
pub fn signed_with(cr: &UdpConnectionRequest, password: &str) -> Option<bool> {
    let text: String = [&cr.ts, &cr.id, &cr.un, &cr.cn]
        .iter()
        .map(|f| f.as_deref())
        .collect::<Option<Vec<&str>>>()?
        .concat();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(password.as_bytes()).ok()?;
    mac.update(text.as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Some(cr.sig.as_ref()?.expose().eq_ignore_ascii_case(&expected))
}

/// The connection requests went over UDP: the checks judge them here when no HTTP one was seen.
fn udp_only<'f>(ctx: &Ctx<'f>) -> Option<&'f Datagram<UdpConnectionRequest>> {
    if !ctx.sessions.conn_requests.is_empty() {
        return None;
    }
    // An ACS sends each UDP request several times (GenieACS: 3); the first of the last burst counts.
    let last = ctx.facts.udp_conn_requests.last()?;
    ctx.facts
        .udp_conn_requests
        .iter()
        .find(|d| d.msg.id == last.msg.id && d.dst == last.dst)
}

fn request_evidence(ctx: &Ctx<'_>, d: &Datagram<UdpConnectionRequest>) -> Evidence {
    let user = d.msg.un.as_deref().unwrap_or("?");
    Evidence::at(
        ctx,
        d.at,
        format!(
            "UDP connection request {} → {} (un={user}, id={})",
            d.src,
            d.dst,
            d.msg.id.as_deref().unwrap_or("?")
        ),
    )
}

/// `cr.connect` for a UDP request: no TCP connection exists to judge.
pub fn connect(ctx: &Ctx<'_>) -> Option<Verdict> {
    let d = udp_only(ctx)?;
    Some(
        Verdict::skip(
            "udp",
            "the connection request went over UDP (TR-111): no TCP connection to judge",
        )
        .with([request_evidence(ctx, d)]),
    )
}

/// `cr.challenge` for a UDP request: it is signed, not challenged.
pub fn challenge(ctx: &Ctx<'_>) -> Option<Verdict> {
    let d = udp_only(ctx)?;
    let mut v = Verdict::skip(
        "udp",
        "a UDP connection request is signed (HMAC-SHA1), not challenged",
    );
    if !d.msg.problems.is_empty() {
        v = Verdict::warn(
            "udp",
            format!(
                "the UDP connection request does not follow TR-069 Annex G: {}",
                d.msg.problems.join("; ")
            ),
        );
    }
    Some(v.with([request_evidence(ctx, d)]))
}

/// `cr.auth` for a UDP request: the signature against `--cr-password`, when given.
pub fn auth(ctx: &Ctx<'_>) -> Option<Verdict> {
    let d = udp_only(ctx)?;
    let ev = [request_evidence(ctx, d)];
    Some(
        match ctx
            .config
            .cr_password
            .as_deref()
            .map(|p| signed_with(&d.msg, p))
        {
            Some(Some(true)) => {
                Verdict::pass("the UDP connection request is signed with the configured password")
                    .with(ev)
            }
            Some(Some(false)) => Verdict::fail(
                "wrong-password",
                "the UDP connection request is signed with another password than --cr-password",
            )
            .with(ev),
            _ => Verdict::skip(
                "udp",
                "a signed UDP connection request: give --cr-password to check its signature",
            )
            .with(ev),
        },
    )
}

/// `cr.inform` for a UDP request: the session with `6 CONNECTION REQUEST` that followed it.
pub fn inform(ctx: &Ctx<'_>) -> Option<Verdict> {
    let d = udp_only(ctx)?;
    let ev = vec![request_evidence(ctx, d)];
    let session = ctx.sessions.of_cpe(d.dst.ip()).find(|s| {
        s.first_message()
            .is_some_and(|i| ctx.msg(i).at().frame > d.at.frame)
            && s.inform(ctx.facts)
                .and_then(|m| m.envelope()?.inform())
                .is_some_and(|i| i.events.iter().any(|e| e.code.starts_with("6 ")))
    });
    Some(super::connreq::triggered(
        ctx,
        session,
        d.at,
        "UDP connection request",
        ev,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::udp_cr::Secret;

    fn request(sig: &str) -> UdpConnectionRequest {
        UdpConnectionRequest {
            method: "GET".into(),
            host: Some("203.0.113.7".into()),
            port: Some(7547),
            ts: Some("1120673700".into()),
            id: Some("1234".into()),
            un: Some("0060b9-1234".into()),
            cn: Some("XTGRWIPC6D3IPXS3".into()),
            sig: Some(Secret::new(sig)),
            problems: Vec::new(),
        }
    }

    #[test]
    fn the_signature_is_hmac_sha1_of_ts_id_un_cn_keyed_with_the_password() {
        // HMAC-SHA1("pw", "11206737001234" + "0060b9-1234" + "XTGRWIPC6D3IPXS3"), computed independently
        // with Python's hmac module.
        let good = "77d02240aa732158697bc6d860f4dd6899f895ff";
        assert_eq!(signed_with(&request(good), "pw"), Some(true));
        assert_eq!(
            signed_with(&request(&good.to_uppercase()), "pw"),
            Some(true)
        );
        assert_eq!(signed_with(&request(good), "other"), Some(false));
        assert_eq!(
            signed_with(&request("0000000000000000000000000000000000000000"), "pw"),
            Some(false)
        );
        let mut missing = request(good);
        missing.cn = None;
        assert_eq!(signed_with(&missing, "pw"), None);
    }
}
