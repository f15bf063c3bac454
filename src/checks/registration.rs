//! FAQ Module I step 2, the router's CWMP configuration: `cwmp.url`, `cwmp.credentials`, `cwmp.bootstrap`.
//!
//! Takes: the CWMP sessions (their Informs, challenges and Authorization headers), HTTP/TLS mismatch
//! findings, and the reference values (`--acs-url`, `--acs-username`, `--acs-password`). Gives: verdicts
//! citing the request line, the challenge, the credentials' scheme and user (never the password or the
//! Digest response), and the Inform's EventCodes. HTTP authentication follows TR-069 §3.4.4 and
//! RFC 7616/7617; a Digest response is recomputed with the `digest_auth` crate to tell whether the router
//! used the configured password.

use base64::Engine;

use crate::checks::evidence::header;
use crate::checks::{Ctx, Evidence, Verdict};
use crate::facts::Message;
use crate::sessions::cwmp::Outcome;
use crate::sessions::cwmp_table::{Failure, State};
use crate::sessions::exchange::Silence;

pub const URL_MODES: &[&str] = &[
    "pass",
    "mismatch",
    "http-to-tls",
    "tls-to-http",
    "seen",
    "no-evidence",
];
pub const CREDENTIALS_MODES: &[&str] = &[
    "pass",
    "rejected",
    "unanswered-challenge",
    "basic-for-digest",
    "wrong-password",
    "wrong-username",
    "new-connection-loop",
    "no-evidence",
];
pub const BOOTSTRAP_MODES: &[&str] = &[
    "pass",
    "not-first-contact",
    "bootstrap-unacknowledged",
    "no-evidence",
];

/// Digest parameters of an Authorization value, for display (the `response` is redacted by the caller).
pub fn digest_params(value: &str) -> Vec<(String, String)> {
    match digest_auth::AuthorizationHeader::parse(value) {
        Ok(h) => {
            let mut v = vec![
                ("username".to_string(), h.username),
                ("realm".into(), h.realm),
                ("nonce".into(), h.nonce),
                ("uri".into(), h.uri),
                ("algorithm".into(), h.algorithm.to_string()),
                ("response".into(), h.response),
            ];
            if let Some(q) = h.qop {
                v.push(("qop".into(), q.to_string()));
                v.push(("nc".into(), format!("{:08x}", h.nc)));
            }
            if let Some(c) = h.cnonce {
                v.push(("cnonce".into(), c));
            }
            v
        }
        Err(_) => vec![("unparseable".into(), String::new())],
    }
}

/// Basic credentials (RFC 7617): the user and the password of `Basic base64(user:password)`.
fn basic_credentials(value: &str) -> Option<(String, String)> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8_lossy(&decoded).into_owned();
    Some(match text.split_once(':') {
        Some((u, p)) => (u.to_string(), p.to_string()),
        None => (text, String::new()),
    })
}

/// The user name an Authorization value carries (Digest `username=`, or Basic's `user:` part).
pub fn auth_user(value: &str) -> Option<String> {
    if let Some((user, _)) = basic_credentials(value) {
        return Some(user);
    }
    digest_auth::AuthorizationHeader::parse(value)
        .ok()
        .map(|h| h.username)
}

/// Whether the credentials in `request`'s Authorization were made with `password`; `None` when the
/// header cannot be checked.
pub fn made_with_password(request: &Message, password: &str) -> Option<bool> {
    let value = request.http.header("Authorization")?;
    if let Some((_, sent)) = basic_credentials(value) {
        return Some(sent == password);
    }
    let mut h = digest_auth::AuthorizationHeader::parse(value).ok()?;
    if h.qop == Some(digest_auth::Qop::AUTH_INT) {
        // auth-int hashes the body, which the report no longer holds.
        return None;
    }
    let captured = std::mem::take(&mut h.response);
    let method = request.http.method().unwrap_or("POST").to_string();
    let context = digest_auth::AuthContext::new_with_method(
        h.username.clone(),
        password,
        h.uri.clone(),
        None::<&[u8]>,
        digest_auth::HttpMethod::from(method),
    );
    h.digest(&context);
    Some(h.response.eq_ignore_ascii_case(&captured))
}

pub fn url(ctx: &Ctx<'_>) -> Verdict {
    let mismatch = mismatch_findings(ctx);
    if let Some(v) = mismatch {
        return v;
    }
    let Some(inform) = ctx.sessions.cwmp.iter().find_map(|s| s.inform(ctx.facts)) else {
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
    // The Host header may omit the port; the connection shows it.
    let host_port = if host
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
    let Some(want) = &ctx.roles.acs_url else {
        return Verdict::pass(format!(
            "the router uses {seen_url} (no --acs-url to compare with)"
        ))
        .with([ev]);
    };
    let mut diffs = Vec::new();
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
    let host_ok = seen_host == want.host
        || want.ip == Some(inform.http.dst.ip())
        || ctx.roles.is_acs_ip(inform.http.dst.ip())
            && want.ip.is_none()
            && seen_host.parse::<std::net::IpAddr>().is_ok();
    if !host_ok {
        diffs.push(format!("host {seen_host} instead of {}", want.host));
    }
    let path = target.split('?').next().unwrap_or("");
    let path = path
        .strip_prefix("http://")
        .map_or(path, |rest| rest.find('/').map_or("/", |i| &rest[i..]));
    if path.trim_end_matches('/') != want.path.trim_end_matches('/') {
        diffs.push(format!("path {path} instead of {}", want.path));
    }
    if diffs.is_empty() {
        Verdict::pass(format!(
            "the router uses the configured URL {}",
            want.display()
        ))
        .with([ev])
    } else {
        Verdict::fail(
            "mismatch",
            format!(
                "the router's ACS URL differs from {}: {}",
                want.display(),
                diffs.join(", ")
            ),
        )
        .with([ev])
    }
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
                .with([Evidence::at(ctx, p.at, p.reason.clone())]),
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
                .with([Evidence::at(
                    ctx,
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
                .with([Evidence::message(ctx, req, "plain HTTP"), Evidence::at(ctx, *at, "the server closes the connection")]),
            );
        }
    }
    None
}

pub fn credentials(ctx: &Ctx<'_>) -> Verdict {
    let sessions = &ctx.sessions.cwmp;
    if sessions.is_empty() {
        return Verdict::skip(
            "no-evidence",
            ctx.no_cwmp(
                "no CWMP exchange in the capture",
                "whether the ACS accepts the credentials",
            ),
        );
    }
    let requests: Vec<&Message> = sessions
        .iter()
        .flat_map(|s| s.exchanges.iter().map(|e| ctx.msg(e.request)))
        .collect();
    let authorized: Vec<&Message> = requests
        .iter()
        .copied()
        .filter(|m| m.http.header("Authorization").is_some())
        .collect();
    let challenge = sessions
        .iter()
        .flat_map(|s| &s.challenges)
        .map(|&i| ctx.msg(i))
        .next();
    let challenge_ev = challenge.map(|c| {
        Evidence::message(
            ctx,
            c,
            &header(ctx, c, "WWW-Authenticate").unwrap_or_default(),
        )
    });
    let auth_ev = |m: &Message| {
        Evidence::message(ctx, m, &header(ctx, m, "Authorization").unwrap_or_default())
    };
    let demanded = challenge
        .and_then(|c| c.http.header("WWW-Authenticate"))
        .and_then(|v| v.split_whitespace().next())
        .unwrap_or("");
    if let Some(user) = &ctx.config.acs_username
        && let Some(m) = authorized.iter().find(|m| {
            m.http
                .header("Authorization")
                .and_then(auth_user)
                .is_some_and(|u| &u != user)
        })
    {
        let sent = m
            .http
            .header("Authorization")
            .and_then(auth_user)
            .unwrap_or_default();
        return Verdict::fail(
            "wrong-username",
            format!("the router sends the username {sent:?}, not {user:?}"),
        )
        .with([auth_ev(m)]);
    }
    if let Some(password) = &ctx.config.acs_password
        && let Some(m) = authorized
            .iter()
            .find(|m| made_with_password(m, password) == Some(false))
    {
        let answer = sessions
            .iter()
            .flat_map(|s| &s.exchanges)
            .find(|e| e.request == m.index)
            .and_then(|e| e.response)
            .map(|r| ctx.msg(r));
        let told = answer
            .and_then(|a| a.http.status())
            .map(|s| format!("; the ACS answered {s}"))
            .unwrap_or_default();
        return Verdict::fail(
            "wrong-password",
            format!(
                "the router's credentials were made with another password than --acs-password{told}"
            ),
        )
        .with([auth_ev(m)])
        .with(answer.map(|a| Evidence::message(ctx, a, "")));
    }
    // A challenge after the InformResponse is the session's trouble (session.complete), not the
    // registration's credentials.
    let at_login = |state: &State| matches!(state, State::Idle | State::InformSent);
    let rejected = sessions.iter().find_map(|s| match &s.outcome {
        Outcome::Failed {
            failure: Failure::AuthRejected { scheme },
            exchange: Some(i),
            state,
        } if at_login(state) => Some((s, *i, scheme.clone())),
        _ => None,
    });
    if let Some((s, i, scheme)) = rejected {
        let ex = &s.exchanges[i];
        let req = ctx.msg(ex.request);
        let used = req
            .http
            .header("Authorization")
            .and_then(|v| v.split_whitespace().next())
            .unwrap_or("")
            .to_string();
        let mut evidence: Vec<Evidence> = challenge_ev.into_iter().collect();
        evidence.push(auth_ev(req));
        if let Some(r) = ex.response {
            evidence.push(Evidence::message(
                ctx,
                ctx.msg(r),
                &header(ctx, ctx.msg(r), "WWW-Authenticate").unwrap_or_default(),
            ));
        }
        if !scheme.is_empty() && !used.eq_ignore_ascii_case(&scheme) {
            return Verdict::fail(
                "basic-for-digest",
                format!("the ACS demands {scheme} (401) and the router offered {used}"),
            )
            .with(evidence);
        }
        let new_conn = s
            .challenges
            .iter()
            .any(|&c| ctx.msg(c).http.conn != req.http.conn);
        let rejections = sessions
            .iter()
            .filter(|s| {
                matches!(
                    s.outcome,
                    Outcome::Failed {
                        failure: Failure::AuthRejected { .. },
                        ..
                    }
                )
            })
            .count();
        if new_conn && rejections > 1 {
            return Verdict::fail(
                "new-connection-loop",
                format!("the router answers each {scheme} challenge on a new TCP connection and the ACS rejects it there (401, {rejections} times)"),
            )
            .with(evidence);
        }
        return Verdict::fail(
            "rejected",
            format!("the ACS rejected the router's {used} credentials (401 after Authorization)"),
        )
        .with(evidence);
    }
    let unanswered = sessions.iter().find(|s| {
        matches!(
            &s.outcome,
            Outcome::Failed {
                failure: Failure::ChallengeUnanswered { .. },
                state,
                ..
            } if at_login(state)
        )
    });
    if let Some(s) = unanswered {
        let c = ctx.msg(*s.challenges.last().expect("a challenge was met"));
        return Verdict::fail(
            "unanswered-challenge",
            format!("the ACS demanded {demanded} credentials (401) and the router never sent any"),
        )
        .with([Evidence::message(
            ctx,
            c,
            &header(ctx, c, "WWW-Authenticate").unwrap_or_default(),
        )]);
    }
    let accepted = sessions.iter().flat_map(|s| &s.exchanges).find(|e| {
        ctx.msg(e.request).http.header("Authorization").is_some()
            && e.response
                .is_some_and(|r| ctx.msg(r).http.status() != Some(401))
    });
    match (accepted, challenge) {
        (Some(e), _) => {
            let req = ctx.msg(e.request);
            let value = req.http.header("Authorization").unwrap_or("");
            let scheme = value.split_whitespace().next().unwrap_or("");
            let user = auth_user(value)
                .map(|u| format!(" of user {u:?}"))
                .unwrap_or_default();
            let verified = match &ctx.config.acs_password {
                Some(p) if made_with_password(req, p) == Some(true) => {
                    " (made with the configured password)"
                }
                _ => "",
            };
            Verdict::pass(format!(
                "the ACS accepted the {scheme} credentials{user}{verified}"
            ))
            .with(challenge_ev)
            .with([auth_ev(req)])
        }
        (None, None)
            if sessions.iter().any(|s| {
                s.steps
                    .iter()
                    .any(|st| st.to == crate::sessions::cwmp_table::State::CpeTurn)
            }) =>
        {
            Verdict::pass("the ACS asked for no credentials")
        }
        (None, Some(c)) => Verdict::skip(
            "no-evidence",
            "the ACS challenged the router (401) and never answered its next request: whether it accepts the credentials is not known",
        )
        .with([Evidence::message(ctx, c, "")]),

        (None, None) => Verdict::skip(
            "no-evidence",
            "no answer from the ACS tells whether credentials were needed",
        ),
    }
}

pub fn bootstrap(ctx: &Ctx<'_>) -> Verdict {
    let informs: Vec<(&Message, bool)> = ctx
        .sessions
        .cwmp
        .iter()
        .flat_map(|s| {
            let acknowledged = s
                .steps
                .iter()
                .any(|st| st.to == crate::sessions::cwmp_table::State::CpeTurn);
            s.informs.iter().map(move |&i| (i, acknowledged))
        })
        .map(|(i, ack)| (ctx.msg(i), ack))
        .collect();
    if informs.is_empty() {
        return Verdict::skip(
            "no-evidence",
            ctx.no_cwmp("no Inform in the capture", "the Inform's events"),
        );
    }
    let events = |m: &Message| -> Vec<String> {
        m.envelope()
            .and_then(|e| e.inform())
            .map(|i| i.events.iter().map(|e| e.code.clone()).collect())
            .unwrap_or_default()
    };
    let bootstraps: Vec<&(&Message, bool)> = informs
        .iter()
        .filter(|(m, _)| events(m).iter().any(|c| c.trim() == "0 BOOTSTRAP"))
        .collect();
    let ev =
        |m: &Message| Evidence::message(ctx, m, &format!("EventCodes: {}", events(m).join(", ")));
    if let Some((m, _)) = bootstraps.iter().find(|(_, ack)| *ack) {
        return Verdict::pass("an Inform carries 0 BOOTSTRAP: the CWMP settings took effect")
            .with([ev(m)]);
    }
    if bootstraps.len() >= 2 {
        return Verdict::warn(
            "bootstrap-unacknowledged",
            format!(
                "0 BOOTSTRAP sent {} times and never acknowledged by an InformResponse",
                bootstraps.len()
            ),
        )
        .with(bootstraps.iter().take(3).map(|(m, _)| ev(m)));
    }
    if let Some((m, _)) = bootstraps.first() {
        return Verdict::pass(
            "an Inform carries 0 BOOTSTRAP: the CWMP settings took effect (not yet acknowledged)",
        )
        .with([ev(m)]);
    }
    let (m, _) = informs[0];
    Verdict::new(
        crate::checks::Status::Pass,
        "not-first-contact",
        format!(
            "not the first contact: the Informs carry {}",
            events(m).join(", ")
        ),
    )
    .with([ev(m)])
}
