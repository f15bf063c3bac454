//! FAQ Module I step 1, TLS with the ACS: `acs.tls` (RFC 8446/5246, RFC 6125).
//!
//! Takes: the TLS handshake facts of the connections to the ACS (by endpoint or SNI). Gives: a verdict
//! citing the ClientHello (SNI), the ServerHello (version, cipher), the certificate and its problems at
//! capture time, the fatal alert, or the router closing after the server's flight.

use crate::apps::tls::{CertInfo, TLS13, cert_problems, version_name};
use crate::checks::{Ctx, Evidence, Verdict};
use crate::facts::TlsSession;
use crate::flows::ConnFacts;

pub const TLS_MODES: &[&str] = &[
    "pass",
    "fatal-alert",
    "expired",
    "not-yet-valid",
    "wrong-host",
    "no-sni",
    "self-signed",
    "client-abort",
    "accepted-invalid",
    "not-tls",
    "incomplete",
    "tls13-hidden",
    "plain-http",
    "no-evidence",
];

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

fn cert_evidence(ctx: &Ctx<'_>, conn: u32, cert: &CertInfo, problems: &[String]) -> Evidence {
    let mut text = format!(
        "certificate {} issued by {}, valid {} – {}",
        cert.subject, cert.issuer, cert.not_before, cert.not_after
    );
    if !problems.is_empty() {
        text.push_str(&format!(": {}", problems.join("; ")));
    }
    Evidence::in_conn(ctx, conn, cert.at, text)
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
        evidence.push(Evidence::in_conn(
            ctx,
            conn.id,
            h.at,
            format!("ClientHello {} → {}{sni}", conn.client, conn.server),
        ));
    }
    if let Some(s) = &f.server_hello {
        let cipher = s.cipher_name.unwrap_or("unknown cipher");
        evidence.push(Evidence::in_conn(
            ctx,
            conn.id,
            s.at,
            format!("ServerHello {}, {cipher}", version_name(s.version)),
        ));
    }
    if let Some(c) = leaf {
        evidence.push(cert_evidence(ctx, conn.id, c, &problems));
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
        .with([Evidence::in_conn(ctx, conn.id, *at, line.clone())]);
    }
    let version = f.version().map(version_name).unwrap_or("TLS");
    // The router's first FIN or RST, whichever came first.
    let client_rst = conn.rst.filter(|r| r.from_client).map(|r| r.at);
    let client_quit = [client_rst, conn.fin[0]]
        .into_iter()
        .flatten()
        .min_by_key(|a| a.frame);
    // An ACS's alert that answers the router's own FIN or RST is a consequence: the router quitting is
    // the event (judged below), not the alert.
    let after_quit = |a: &&crate::apps::tls::TlsAlert| {
        !a.from_client && client_quit.is_some_and(|q| q.frame < a.at.frame)
    };
    if let Some(a) = f
        .alerts
        .iter()
        .find(|a| a.level == 2 && !a.encrypted)
        .filter(|a| !after_quit(a))
    {
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
            .with([Evidence::in_conn(
                ctx,
                conn.id,
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
        let Some(host) = host else {
            // Without SNI (an IP-literal ACS URL) nothing says which name the certificate must carry,
            // and a router that checks the name against the URL's host fails (tr069-facts.md §9).
            let names = leaf
                .map(|c| {
                    format!(
                        " (the certificate is for {})",
                        crate::apps::tls::names_of(c)
                    )
                })
                .unwrap_or_default();
            return Verdict::warn(
                "no-sni",
                format!("{version} handshake completed, but the router sent no SNI{names}: an IP-literal ACS URL cannot match a certificate issued for a name"),
            )
            .with(evidence);
        };
        return Verdict::pass(format!(
            "{version} handshake completed; the ACS certificate is valid for {host}"
        ))
        .with(evidence);
    }
    // The router quit after the ACS's flight: before its Finished (it did not accept the certificate),
    // or after the Finished without a request — OpenSSL clients often check the host name only then.
    if let Some(quit) = client_quit
        && (f.client_finished.is_some()
            || f.server_flight_end
                .is_some_and(|flight| quit.frame > flight.frame))
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
        let what = if f.client_finished.is_some() {
            format!("finished the {version} handshake but closed without a request")
        } else {
            "closed the connection after the ACS's certificate".to_string()
        };
        let how = if Some(quit) == client_rst {
            "RST"
        } else {
            "FIN"
        };
        return Verdict::fail(mode, format!("the router {what}{why}"))
            .with(evidence)
            .with([Evidence::in_conn(
                ctx,
                conn.id,
                quit,
                format!("{how} closes {} → {}", conn.client, conn.server),
            )]);
    }
    if f.version() == Some(TLS13) {
        return Verdict::skip(
            "tls13-hidden",
            "TLS 1.3 handshake not seen to complete; its certificate is encrypted",
        )
        .with(evidence);
    }
    let (mode, why) = match problems.first() {
        Some(p) => (cert_mode(&problems), format!("; the certificate is {p}")),
        None => ("incomplete", String::new()),
    };
    Verdict::fail(
        mode,
        format!(
            "the {version} handshake with {} did not complete{why}",
            conn.server
        ),
    )
    .with(evidence)
}
