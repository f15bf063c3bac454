//! `cwmp.credentials` (FAQ I.2): the ACS accepted the router's CWMP credentials, or asked for none — or
//! rejected them, never got them, got Basic where it demands Digest, or (with `--acs-password`) got a
//! Digest made from another password. Challenges after the InformResponse are session.complete's. Judged
//! per device; the worst device is reported.

use crate::checks::auth::{auth_user, made_with_password};
use crate::checks::devices::{group_by_device, worst};
use crate::checks::evidence::header;
use crate::checks::{Ctx, Evidence, Verdict};
use crate::facts::Message;
use crate::sessions::cwmp::{CwmpSession, Outcome};
use crate::sessions::cwmp_table::{Failure, State};

pub const CREDENTIALS_MODES: &[&str] = &[
    "pass",
    "rejected",
    "unanswered-challenge",
    "basic-for-digest",
    "wrong-password",
    "reference-password",
    "acs-record",
    "wrong-username",
    "new-connection-loop",
    "no-evidence",
];

/// Each device's credentials are judged on its own sessions (on an ACS-side capture one router with a
/// wrong password must not hide behind the others), and the worst device is reported.
pub fn credentials(ctx: &Ctx<'_>) -> Verdict {
    let sessions: Vec<&CwmpSession> = ctx.sessions.cwmp.iter().collect();
    let judged: Vec<(String, Verdict)> = group_by_device(sessions, |s| &s.device)
        .into_iter()
        .map(|(d, mine)| (d.label(mine[0].cpe), judge(ctx, &mine)))
        .collect();
    worst(judged).unwrap_or_else(|| {
        Verdict::skip(
            "no-evidence",
            ctx.no_cwmp(
                "no CWMP exchange in the capture",
                "whether the ACS accepts the credentials",
            ),
        )
    })
}

/// One device's sessions (never empty).
fn judge(ctx: &Ctx<'_>, sessions: &[&CwmpSession]) -> Verdict {
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
        let status = answer.and_then(|a| a.http.status());
        let told = status
            .map(|s| format!("; the ACS answered {s}"))
            .unwrap_or_default();
        // An ACS that accepts the router's Digest shares its password: only the reference value the
        // engineer gave differs, and the router needs no change.
        let mode = if status.is_some_and(|s| (200..300).contains(&s)) {
            "reference-password"
        } else {
            "wrong-password"
        };
        return Verdict::fail(
            mode,
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
        // With --acs-password the Digest was recomputed: when the router did use that password, the
        // router is right and the ACS's record for the device is what differs.
        if let Some(password) = &ctx.config.acs_password
            && made_with_password(req, password) == Some(true)
        {
            return Verdict::fail(
                "acs-record",
                format!("the ACS rejected the router's {used} credentials (401 after Authorization), although they were made with the --acs-password given: the ACS's record for this device differs"),
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
