//! `cwmp.url` (FAQ I.2): the URL the router uses — scheme, host, port, path — against `--acs-url`, and
//! the HTTP/TLS mismatches that show a wrong scheme (plain HTTP answered with TLS, TLS answered in plain
//! HTTP, plain HTTP dropped by a TLS port).

use crate::checks::{Ctx, Evidence, Verdict};
use crate::sessions::cwmp::Outcome;
use crate::sessions::cwmp_table::Failure;
use crate::sessions::exchange::Silence;

pub const URL_MODES: &[&str] = &[
    "pass",
    "mismatch",
    "http-to-tls",
    "tls-to-http",
    "seen",
    "no-evidence",
];

pub fn url(ctx: &Ctx<'_>) -> Verdict {
    let mismatch = mismatch_findings(ctx);
    if let Some(v) = mismatch {
        return v;
    }
    // A redirected session's first Inform went to the URL the router is configured with; the later ones
    // to where the ACS moved it for that session (tr069-facts.md §2 "Redirects").
    let session = ctx.sessions.cwmp.iter().find(|s| !s.informs.is_empty());
    let Some((session, inform)) = session.and_then(|s| {
        Some((
            s,
            ctx.msg(
                *s.informs
                    .first()
                    .filter(|_| !s.redirects.is_empty())
                    .or(s.informs.last())?,
            ),
        ))
    }) else {
        return Verdict::skip(
            "no-evidence",
            ctx.no_cwmp(
                "no CWMP request in the capture: the URL the router uses is not visible",
                "the URL path the router uses",
            ),
        );
    };
    let target = match &inform.http.start {
        crate::apps::http::StartLine::Request { target, .. } => target.clone(),
        _ => String::new(),
    };
    let host = inform.http.header("Host").unwrap_or("").to_string();
    // The Host header may omit the port; the connection shows it (80, plain HTTP's default, unwritten).
    let host_port = if inform.http.dst.port() == 80
        || host
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
    {
        host.clone()
    } else {
        format!("{host}:{}", inform.http.dst.port())
    };
    let seen_url = if target.starts_with("http") {
        target.clone()
    } else {
        format!("http://{host_port}{target}")
    };

    let ev = Evidence::message(ctx, inform, &format!("Host: {host}"));
    let moved = moved_to(ctx, session);
    let Some(want) = &ctx.roles.acs_url else {
        return Verdict::pass(format!(
            "the router uses {seen_url} (no --acs-url to compare with){}",
            moved.text
        ))
        .with([ev])
        .with(moved.evidence);
    };
    // What differs, and whether it matters: a different scheme, port, server or path reaches another
    // service (fail); the same address under another name, or a path differing only by a trailing
    // slash, usually reaches the same one but is not what was configured (warn).
    let mut diffs = Vec::new();
    let mut minor = Vec::new();
    if want.scheme != "http" {
        diffs.push(format!("scheme http instead of {}", want.scheme));
    }
    if inform.http.dst.port() != want.port {
        diffs.push(format!(
            "port {} instead of {}",
            inform.http.dst.port(),
            want.port
        ));
    }
    let seen_host = host
        .rsplit_once(':')
        .map_or(host.as_str(), |(h, _)| h)
        .trim_matches(['[', ']'])
        .to_ascii_lowercase();
    let same_address = want.ip == Some(inform.http.dst.ip())
        || ctx.roles.is_acs_ip(inform.http.dst.ip())
            && want.ip.is_none()
            && seen_host.parse::<std::net::IpAddr>().is_ok();
    if seen_host != want.host {
        let text = format!("host {seen_host} instead of {}", want.host);
        if same_address {
            minor.push(format!("{text} (the same address)"));
        } else {
            diffs.push(text);
        }
    }
    let path = target
        .strip_prefix("http://")
        .map_or(target.as_str(), |rest| {
            rest.find('/').map_or("/", |i| &rest[i..])
        });
    if path != want.path {
        let text = format!("path {path} instead of {}", want.path);
        if path.trim_end_matches('/') == want.path.trim_end_matches('/') {
            minor.push(text);
        } else {
            diffs.push(text);
        }
    }
    if diffs.is_empty() && minor.is_empty() {
        Verdict::pass(format!(
            "the router uses {seen_url}, the configured URL{}",
            moved.text
        ))
        .with([ev])
        .with(moved.evidence)
    } else if diffs.is_empty() {
        Verdict::warn(
            "mismatch",
            format!(
                "the router uses {seen_url}, not quite {}: {}{}",
                want.display(),
                minor.join(", "),
                moved.text
            ),
        )
        .with([ev])
        .with(moved.evidence)
    } else {
        diffs.extend(minor);
        Verdict::fail(
            "mismatch",
            format!(
                "the router's ACS URL differs from {}: {}{}",
                want.display(),
                diffs.join(", "),
                moved.text
            ),
        )
        .with([ev])
        .with(moved.evidence)
    }
}

/// Where the ACS's redirects moved a session: words for the summary and the 3xx as evidence.
struct Moved {
    text: String,
    evidence: Vec<Evidence>,
}

fn moved_to(ctx: &Ctx<'_>, s: &crate::sessions::cwmp::CwmpSession) -> Moved {
    let mut text = String::new();
    let mut evidence = Vec::new();
    for &r in &s.redirects {
        let m = ctx.msg(r);
        let to = m.http.header("Location").unwrap_or("").trim();
        text.push_str(&format!(
            "; the ACS moved the router to {to:.80} for this session ({} redirect)",
            m.http.status().unwrap_or(0)
        ));
        evidence.push(Evidence::message(ctx, m, &format!("Location: {to:.80}")));
    }
    Moved { text, evidence }
}

/// Plain HTTP answered with TLS, or TLS answered with plain HTTP, on a connection to the ACS.
fn mismatch_findings(ctx: &Ctx<'_>) -> Option<Verdict> {
    for p in &ctx.facts.http_problems {
        let Some(conn) = ctx.facts.conn(p.conn) else {
            continue;
        };
        let tls_reply = p
            .reason
            .starts_with("not HTTP: the reply starts with 15 03")
            || p.reason
                .starts_with("not HTTP: the reply starts with 16 03");
        if tls_reply && ctx.roles.is_acs(conn.server) {
            return Some(
                Verdict::fail(
                    "http-to-tls",
                    format!(
                        "the router sent plain HTTP to {}, which answered with TLS",
                        conn.server
                    ),
                )
                .with([Evidence::in_conn(ctx, p.conn, p.at, p.reason.clone())]),
            );
        }
    }
    for t in &ctx.facts.tls {
        let Some(conn) = ctx.facts.conn(t.conn) else {
            continue;
        };
        if let Some((at, false, line)) = &t.facts.plaintext_reply
            && (ctx.roles.is_acs(conn.server) || ctx.roles.acs.is_empty())
        {
            return Some(
                Verdict::fail(
                    "tls-to-http",
                    format!(
                        "the router spoke TLS to {}, which answered in plain HTTP",
                        conn.server
                    ),
                )
                .with([Evidence::in_conn(
                    ctx,
                    conn.id,
                    *at,
                    format!("reply to the ClientHello: {line:?}"),
                )]),
            );
        }
    }
    // A plain-HTTP Inform to a port conventionally TLS (443, 8443) dropped by the server without a byte
    // of HTTP is what a TLS listener does with it (S2). The port alone proves nothing; the silence does.
    for s in &ctx.sessions.cwmp {
        if let Outcome::Failed {
            failure:
                Failure::NoAnswer(
                    Silence::Reset { at, by_cpe: false } | Silence::Closed { at, by_cpe: false },
                ),
            exchange: Some(0),
            ..
        } = &s.outcome
            && matches!(s.acs.port(), 443 | 8443)
            && s.exchanges[0].response.is_none()
        {
            let req = ctx.msg(s.exchanges[0].request);
            return Some(
                Verdict::fail(
                    "http-to-tls",
                    format!("the router sent plain HTTP to {}, a TLS port, which dropped it without an HTTP answer", s.acs),
                )
                .with([Evidence::message(ctx, req, "plain HTTP"), Evidence::in_conn(ctx, req.http.conn, *at, "the server closes the connection")]),
            );
        }
    }
    None
}
