//! FAQ Module I step 1, reaching the ACS: `acs.dns`, `acs.ping`, `acs.connect`, `acs.tls`.
//!
//! Takes: DNS messages, ICMP echo flows and errors, TCP connection facts and TLS handshake facts, and the
//! roles (which endpoints are the ACS). Gives: verdicts citing the query and answer, the SYNs and what
//! answered them, the TLS records and the certificate (RFC 1035, RFC 9293, RFC 8446/5246, RFC 6125).

use crate::apps::tls::{CertInfo, TLS13, cert_problems, version_name};
use crate::checks::{Ctx, Evidence, Verdict};
use crate::facts::TlsSession;
use crate::flows::ConnFacts;

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
pub const CONNECT_MODES: &[&str] = &[
    "pass",
    "syn-unanswered",
    "refused",
    "unreachable",
    "no-evidence",
];
pub const TLS_MODES: &[&str] = &[
    "pass",
    "fatal-alert",
    "expired",
    "not-yet-valid",
    "wrong-host",
    "self-signed",
    "client-abort",
    "accepted-invalid",
    "not-tls",
    "incomplete",
    "tls13-hidden",
    "plain-http",
    "no-evidence",
];

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

pub fn connect(ctx: &Ctx<'_>) -> Verdict {
    let conns: Vec<&ConnFacts> = ctx.acs_conns().collect();
    if conns.is_empty() {
        return Verdict::skip(
            "no-evidence",
            "no TCP connection attempt to the ACS in the capture",
        );
    }
    if let Some(c) = conns.iter().find(|c| c.handshake_done()) {
        let mut v = Verdict::pass(format!(
            "TCP handshake {} → {} completed",
            c.client, c.server
        ));
        v.evidence.extend(handshake_evidence(ctx, c));
        let failed = conns.iter().filter(|c| !c.handshake_done()).count();
        if failed > 0 {
            v.summary
                .push_str(&format!(" ({failed} other attempts failed)"));
        }
        return v;
    }
    let last = conns.last().expect("non-empty");
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
        .with([Evidence::at(
            ctx,
            rst.at,
            format!("RST {} → {}", last.server, last.client),
        )]);
    }
    let syns: u32 = conns.iter().map(|c| c.syn_count).sum();
    Verdict::fail(
        "syn-unanswered",
        format!(
            "{syns} SYNs to the ACS {} unanswered ({} connection attempts)",
            last.server,
            conns.len()
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

/// The TLS handshakes with the ACS.
fn acs_tls<'f>(ctx: &Ctx<'f>) -> Vec<(&'f TlsSession, &'f ConnFacts)> {
    ctx.facts
        .tls
        .iter()
        .filter_map(|t| ctx.facts.conn(t.conn).map(|c| (t, c)))
        .filter(|(t, c)| {
            ctx.roles.is_acs(c.server)
                || t.facts
                    .client_hello
                    .as_ref()
                    .and_then(|h| h.sni.as_deref())
                    .is_some_and(|sni| {
                        ctx.roles
                            .acs_hosts
                            .iter()
                            .any(|h| h.eq_ignore_ascii_case(sni))
                    })
        })
        .collect()
}

/// The certificate problem a mode names, from the most specific to the least.
fn cert_mode(problems: &[String]) -> &'static str {
    let has = |p: &str| problems.iter().any(|x| x.starts_with(p));
    if has("expired") {
        "expired"
    } else if has("not yet valid") {
        "not-yet-valid"
    } else if has("issued for") {
        "wrong-host"
    } else if has("self-signed") {
        "self-signed"
    } else {
        "incomplete"
    }
}

fn cert_evidence(ctx: &Ctx<'_>, cert: &CertInfo, problems: &[String]) -> Evidence {
    let mut text = format!(
        "certificate {} issued by {}, valid {} – {}",
        cert.subject, cert.issuer, cert.not_before, cert.not_after
    );
    if !problems.is_empty() {
        text.push_str(&format!(": {}", problems.join("; ")));
    }
    Evidence::at(ctx, cert.at, text)
}

pub fn tls(ctx: &Ctx<'_>) -> Verdict {
    let sessions = acs_tls(ctx);
    let Some((t, conn)) = sessions.last() else {
        let plain = ctx
            .roles
            .acs_url
            .as_ref()
            .is_some_and(|u| u.scheme == "http")
            || !ctx.sessions.cwmp.is_empty();
        return if plain {
            Verdict::skip(
                "plain-http",
                "the router speaks plain HTTP to the ACS: no TLS",
            )
        } else {
            Verdict::skip(
                "no-evidence",
                "no TLS handshake with the ACS in the capture",
            )
        };
    };
    let f = &t.facts;
    let host = ctx
        .roles
        .acs_url
        .as_ref()
        .map(|u| u.host.clone())
        .or_else(|| f.client_hello.as_ref().and_then(|h| h.sni.clone()));
    let leaf = f.certificates.first();
    let problems = leaf
        .map(|c| cert_problems(c, c.at.ts, host.as_deref()))
        .unwrap_or_default();
    let mut evidence = Vec::new();
    if let Some(h) = &f.client_hello {
        let sni = h
            .sni
            .as_deref()
            .map(|s| format!(", SNI {s}"))
            .unwrap_or_default();
        evidence.push(Evidence::at(
            ctx,
            h.at,
            format!("ClientHello {} → {}{sni}", conn.client, conn.server),
        ));
    }
    if let Some(s) = &f.server_hello {
        let cipher = s.cipher_name.unwrap_or("unknown cipher");
        evidence.push(Evidence::at(
            ctx,
            s.at,
            format!("ServerHello {}, {cipher}", version_name(s.version)),
        ));
    }
    if let Some(c) = leaf {
        evidence.push(cert_evidence(ctx, c, &problems));
    }
    if let Some((at, from_client, line)) = &f.plaintext_reply {
        let who = if *from_client {
            "the router"
        } else {
            "the server"
        };
        // The port speaks plain HTTP: the URL's scheme is the root cause, which cwmp.url reports.
        return Verdict::skip(
            "not-tls",
            format!("{who} answered the TLS handshake in plain text ({line:?}): no TLS to judge, see cwmp.url"),
        )
        .with(evidence)
        .with([Evidence::at(ctx, *at, line.clone())]);
    }
    let version = f.version().map(version_name).unwrap_or("TLS");
    if let Some(a) = f.alerts.iter().find(|a| a.level == 2 && !a.encrypted) {
        let who = if a.from_client {
            "the router"
        } else {
            "the ACS"
        };
        let mode = if problems.is_empty() {
            "fatal-alert"
        } else {
            cert_mode(&problems)
        };
        let mut summary = format!(
            "{who} ended the {version} handshake with the fatal alert {} ({})",
            a.name, a.description
        );
        if !problems.is_empty() {
            summary.push_str(&format!("; the certificate is {}", problems[0]));
        }
        return Verdict::fail(mode, summary)
            .with(evidence)
            .with([Evidence::at(
                ctx,
                a.at,
                format!("TLS alert {} (fatal) from {who}", a.name),
            )]);
    }
    let complete = f.application_data.iter().any(Option::is_some);
    if complete {
        if f.version() == Some(TLS13) && leaf.is_none() {
            return Verdict::pass(format!(
                "{version} handshake completed (the certificate is encrypted: not judged)"
            ))
            .with(evidence);
        }
        if !problems.is_empty() {
            return Verdict::warn(
                "accepted-invalid",
                format!(
                    "{version} handshake completed although the certificate is {}",
                    problems.join("; ")
                ),
            )
            .with(evidence);
        }
        return Verdict::pass(format!(
            "{version} handshake completed; the ACS certificate is valid for {}",
            host.unwrap_or_default()
        ))
        .with(evidence);
    }
    let client_quit = conn
        .rst
        .map(|r| (r.at, r.from_client))
        .filter(|(_, c)| *c)
        .map(|(a, _)| a)
        .or(conn.fin[0]);
    if let (Some(flight), Some(quit)) = (f.server_flight_end, client_quit)
        && f.client_finished.is_none()
        && quit.frame > flight.frame
    {
        let mode = if problems.is_empty() {
            "client-abort"
        } else {
            cert_mode(&problems)
        };
        let why = problems
            .first()
            .map(|p| format!(": the certificate is {p}"))
            .unwrap_or_default();
        return Verdict::fail(
            mode,
            format!("the router closed the connection after the ACS's certificate{why}"),
        )
        .with(evidence)
        .with([Evidence::at(
            ctx,
            quit,
            format!(
                "{} closes {} → {}",
                if conn.rst.is_some() { "RST" } else { "FIN" },
                conn.client,
                conn.server
            ),
        )]);
    }
    if f.version() == Some(TLS13) {
        return Verdict::skip(
            "tls13-hidden",
            "TLS 1.3 handshake not seen to complete; its certificate is encrypted",
        )
        .with(evidence);
    }
    Verdict::fail(
        "incomplete",
        format!(
            "the {version} handshake with {} did not complete",
            conn.server
        ),
    )
    .with(evidence)
}
