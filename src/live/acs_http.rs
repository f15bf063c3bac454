//! The ACS HTTP probe (`cwmp.url`, `cwmp.credentials`, `session.inform-response`): what the ACS
//! answers at the configured URL, with reqwest over rustls.
//!
//! Takes: the parsed ACS URL, the address that accepted TCP, whether its certificate verified, the
//! target (credentials, emulated device) and the step budget. Gives: [`AcsHttp`] — every request made
//! and its answer (read by `acs_answer`), whether credentials were sent, and for an `http://` URL
//! whose port does not answer HTTP, whether it answers TLS.
//!
//! The exchange, on one connection where the server allows it (TR-069 §3.4.4: answer a 401 on the
//! same connection): `GET` (an ACS answering 405 with `Allow: POST` is alive), then a `POST` —
//! empty, or with `--emulate-inform` the BOOTSTRAP Inform a CPE sends first — without credentials;
//! a 401 is answered once with the scheme it asks for (again once more if the nonce was `stale`).
//! After an InformResponse the session is ended the way a CPE ends it, with an empty POST.
//!
//! Invariants: redirects are not followed (a 30x is reported); credentials go only over plain HTTP or
//! a connection whose certificate verified (the strict rustls config; the recording one otherwise);
//! `Authorization` values are marked sensitive and never stored; cookies are echoed but not kept.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::Client;
use reqwest::header::{self, HeaderValue};
use url::{Host, Position, Url};

use super::LiveTarget;
use super::acs_answer::{HttpOutcome, HttpStep, SoapSummary, chain, send};
use super::auth::{Authorizer, Challenge, Scheme};
use super::clock::{Budget, now};
use super::inform;
use super::tls::{self, TlsOutcome};
use super::tls_verify::{recording_config, strict_config};

#[derive(Clone, Debug, PartialEq)]
pub struct AcsHttp {
    pub steps: Vec<HttpStep>,
    pub credentials: CredentialState,
    /// For an `http://` URL whose port did not answer HTTP: what a TLS handshake there got.
    pub tls_on_http_port: Option<String>,
    /// The emulated Inform was posted.
    pub inform_sent: bool,
}

/// What became of the credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialState {
    /// The exchange stopped before a POST was answered.
    NotReached,
    /// The POST was answered without a challenge.
    NotChallenged,
    /// Challenged, but no `--acs-username` was given.
    NeedsCredentials(Challenge),
    /// Challenged over TLS whose certificate did not verify: nothing was sent.
    UnverifiedTls(Challenge),
    /// A 401 without a usable challenge, or a scheme TR-069 does not use.
    Unusable(String),
    /// Sent, as this user, answering this challenge.
    Sent { user: String, challenge: Challenge },
}

/// Where and how to talk to the ACS.
pub(crate) struct AcsCtx<'a> {
    pub url: &'a Url,
    pub addr: SocketAddr,
    /// `Some(verified)` for https.
    pub tls_verified: Option<bool>,
    pub target: &'a LiveTarget,
    pub budget: &'a Budget,
}

/// Runs the exchange with the ACS.
pub(crate) async fn probe(ctx: &AcsCtx<'_>) -> AcsHttp {
    let mut out = AcsHttp {
        steps: Vec::new(),
        credentials: CredentialState::NotReached,
        tls_on_http_port: None,
        inform_sent: false,
    };
    let client = match client(ctx) {
        Ok(c) => c,
        Err(e) => {
            out.steps.push(HttpStep {
                request: "HTTP client".into(),
                outcome: HttpOutcome::Error(e),
                elapsed: Duration::ZERO,
                at: now(),
            });
            return out;
        }
    };
    let path = &ctx.url[Position::BeforePath..Position::AfterQuery];
    let get = send(
        client.get(ctx.url.clone()),
        format!("GET {path}"),
        ctx.budget,
    )
    .await
    .0;
    let failure = match &get.outcome {
        HttpOutcome::Answer(_) => None,
        other => Some(other.clone()),
    };
    out.steps.push(get);
    if let Some(failure) = failure {
        // Something that is not HTTP answered an http:// URL: is it TLS? (Silence is not worth a
        // second timeout: a TLS server would have closed or answered the plain request.)
        if ctx.tls_verified.is_none() && failure != HttpOutcome::TimedOut {
            out.tls_on_http_port = tls_answer(ctx).await;
        }
        return out;
    }
    let body = match &ctx.target.emulate_inform {
        Some(device) => inform::envelope(device, now()),
        None => String::new(),
    };
    let what = if body.is_empty() { "empty" } else { "Inform" };
    out.inform_sent = !body.is_empty();
    let post = |auth: Option<&str>, cookie: Option<&str>, body: &str| {
        let mut rb = client.post(ctx.url.clone()).body(body.to_string());
        if !body.is_empty() {
            rb = rb
                .header(header::CONTENT_TYPE, "text/xml; charset=\"utf-8\"")
                .header("SOAPAction", "");
        }
        if let Some(a) = auth.and_then(|a| HeaderValue::from_str(a).ok()) {
            let mut a = a;
            a.set_sensitive(true);
            rb = rb.header(header::AUTHORIZATION, a);
        }
        if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(c).ok()) {
            rb = rb.header(header::COOKIE, c);
        }
        rb
    };
    let (first, mut cookies) = send(
        post(None, None, &body),
        format!("POST {path} ({what}, no credentials)"),
        ctx.budget,
    )
    .await;
    let challenge = match &first.outcome {
        HttpOutcome::Answer(a) if a.status == 401 => Some(a.challenge.clone()),
        HttpOutcome::Answer(_) => None,
        _ => {
            out.steps.push(first);
            return out;
        }
    };
    out.steps.push(first);
    let mut auth_for_close = None;
    match challenge {
        None => out.credentials = CredentialState::NotChallenged,
        Some(None) => {
            out.credentials =
                CredentialState::Unusable("the 401 carries no WWW-Authenticate challenge".into())
        }
        Some(Some(ch)) => {
            let Some(user) = ctx.target.acs_username.as_deref() else {
                out.credentials = CredentialState::NeedsCredentials(ch);
                return out;
            };
            if ctx.tls_verified == Some(false) {
                out.credentials = CredentialState::UnverifiedTls(ch);
                return out;
            }
            let password = ctx.target.acs_password.as_deref().unwrap_or("");
            let mut ch = ch;
            for round in 0..2 {
                let mut authorizer = match Authorizer::for_challenge(&ch) {
                    Ok(a) => a,
                    Err(e) => {
                        out.credentials = CredentialState::Unusable(e);
                        return out;
                    }
                };
                let Ok(value) =
                    authorizer.header(user, password, "POST", path, Some(body.as_bytes()))
                else {
                    out.credentials = CredentialState::Unusable(format!(
                        "cannot answer the challenge {}",
                        ch.describe()
                    ));
                    return out;
                };
                let scheme = if ch.scheme == Scheme::Basic {
                    "Basic"
                } else {
                    "Digest"
                };
                let label = format!("POST {path} ({what}, {scheme} credentials of user {user:?})");
                let (step, set) = send(post(Some(&value), None, &body), label, ctx.budget).await;
                cookies.extend(set);
                out.credentials = CredentialState::Sent {
                    user: user.to_string(),
                    challenge: ch.clone(),
                };
                let stale = match &step.outcome {
                    HttpOutcome::Answer(a) if a.status == 401 => {
                        a.challenge.clone().filter(|c| c.stale && round == 0)
                    }
                    _ => None,
                };
                out.steps.push(step);
                match stale {
                    Some(fresh) => ch = fresh,
                    None => {
                        auth_for_close = Some((authorizer, user));
                        break;
                    }
                }
            }
        }
    }
    if out.inform_sent && out.steps.last().is_some_and(is_inform_response) {
        let auth = auth_for_close.and_then(|(mut a, user)| {
            a.header(
                user,
                ctx.target.acs_password.as_deref().unwrap_or(""),
                "POST",
                path,
                Some(b""),
            )
            .ok()
        });
        let cookie = (!cookies.is_empty()).then(|| cookies.join("; "));
        let (step, _) = send(
            post(auth.as_deref(), cookie.as_deref(), ""),
            format!("POST {path} (empty, ending the session)"),
            ctx.budget,
        )
        .await;
        out.steps.push(step);
    }
    out
}

fn is_inform_response(step: &HttpStep) -> bool {
    match &step.outcome {
        HttpOutcome::Answer(a) => {
            matches!(&a.body.soap, SoapSummary::Rpc { name, .. } if name == "InformResponse")
        }
        _ => false,
    }
}

fn client(ctx: &AcsCtx<'_>) -> Result<Client, String> {
    let mut b = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .http1_only()
        .http1_max_headers(64)
        .pool_max_idle_per_host(1)
        .connect_timeout(ctx.budget.timeout())
        .user_agent(concat!("cwmp-doctor/", env!("CARGO_PKG_VERSION")));
    if let Some(Host::Domain(d)) = ctx.url.host() {
        b = b.resolve(d, ctx.addr);
    }
    let roots = &ctx.target.trust_roots;
    b = match ctx.tls_verified {
        Some(false) => b.tls_backend_preconfigured(recording_config(roots)?.0),
        _ => b.tls_backend_preconfigured(strict_config(roots)?),
    };
    b.build()
        .map_err(|e| format!("cannot build the HTTP client: {}", chain(&e)))
}

/// For an `http://` URL that got no HTTP answer: does the port answer a TLS handshake?
async fn tls_answer(ctx: &AcsCtx<'_>) -> Option<String> {
    let (_, stream) = super::tcp::connect(ctx.addr, ctx.budget).await;
    let host = ctx.url.host_str().unwrap_or("").trim_matches(['[', ']']);
    let r = tls::handshake(stream?, host, &ctx.target.trust_roots, ctx.budget).await;
    match &r.outcome {
        TlsOutcome::Completed => Some(format!(
            "a {} handshake completed",
            r.version.as_deref().unwrap_or("TLS")
        )),
        TlsOutcome::Alert(a) => Some(format!("it answered a TLS ClientHello with the alert {a}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unusable_url_host_still_gives_a_client() {
        let url = Url::parse("https://acs.test:8443/acs").unwrap();
        let target = LiveTarget::default();
        let budget = Budget::new(Duration::from_secs(1));
        let ctx = AcsCtx {
            url: &url,
            addr: "127.0.0.1:8443".parse().unwrap(),
            tls_verified: Some(true),
            target: &target,
            budget: &budget,
        };
        assert!(client(&ctx).is_ok());
        let bad_root = LiveTarget {
            trust_roots: vec![b"junk".to_vec()],
            ..LiveTarget::default()
        };
        let ctx = AcsCtx {
            target: &bad_root,
            ..ctx
        };
        assert!(
            client(&ctx)
                .unwrap_err()
                .starts_with("trusted CA certificate 1 unusable")
        );
    }
}
