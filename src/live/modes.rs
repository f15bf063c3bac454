//! The modes the live verdicts can give, per check, and the hints of the modes the catalog does not
//! have yet.
//!
//! Takes: nothing (data). Gives: [`MODES`] — for every check id the probes judge, every mode its
//! verdict can carry — and [`NEW_HINTS`] — `(id, mode, hint)` for each live-only mode, in the
//! catalog's voice, to be added to `checks/catalog.toml`. A test ties both to the catalog: every mode
//! in [`MODES`] is `pass`, a catalog hint of that check, or in [`NEW_HINTS`].

/// Every `(check id, modes)` a live verdict can give.
pub const MODES: &[(&str, &[&str])] = &[
    (
        "wan.ping",
        &[
            "pass",
            "partial-loss",
            "unanswered",
            "unresolved",
            "no-privilege",
            "blocked",
        ],
    ),
    (
        "acs.dns",
        &[
            "pass",
            "nxdomain",
            "servfail",
            "refused",
            "error-code",
            "no-address",
            "no-answer",
            "ip-literal",
            "blocked",
        ],
    ),
    (
        "acs.ping",
        &[
            "pass",
            "partial-loss",
            "unanswered-tcp-ok",
            "unanswered",
            "no-privilege",
            "blocked",
        ],
    ),
    (
        "acs.connect",
        &[
            "pass",
            "some-addresses",
            "refused",
            "syn-unanswered",
            "unreachable",
            "blocked",
        ],
    ),
    (
        "acs.tls",
        &[
            "pass",
            "plain-http",
            "expired",
            "not-yet-valid",
            "self-signed",
            "unknown-issuer",
            "wrong-host",
            "invalid-certificate",
            "fatal-alert",
            "not-tls",
            "incomplete",
            "blocked",
        ],
    ),
    (
        "cwmp.url",
        &[
            "pass",
            "invalid-url",
            "tls-to-http",
            "http-to-tls",
            "no-answer",
            "redirect",
            "not-found",
            "blocked",
        ],
    ),
    (
        "cwmp.credentials",
        &[
            "pass",
            "rejected",
            "basic-over-http",
            "not-challenged",
            "needs-credentials",
            "unverified-tls",
            "unsupported-challenge",
            "blocked",
        ],
    ),
    (
        "session.inform-response",
        &[
            "pass",
            "unauthorized",
            "soap-fault",
            "http-error",
            "redirect",
            "wrong-rpc",
            "malformed",
            "not-soap",
            "timeout",
            "reset",
            "closed",
            "needs-credentials",
            "unverified-tls",
            "blocked",
        ],
    ),
    (
        "retest.attempts",
        &[
            "pass",
            "some-failed",
            "all-failed",
            "too-few",
            "intermittent",
        ],
    ),
    (
        "cr.connect",
        &[
            "pass",
            "refused",
            "syn-unanswered",
            "unreachable",
            "invalid-url",
            "unresolved",
            "blocked",
        ],
    ),
    (
        "cr.challenge",
        &[
            "pass",
            "basic-challenge",
            "unauthenticated-accepted",
            "error-status",
            "not-http",
            "no-answer",
            "blocked",
        ],
    ),
    (
        "cr.auth",
        &[
            "pass",
            "rejected",
            "busy",
            "error-status",
            "no-answer",
            "not-needed",
            "needs-credentials",
            "blocked",
        ],
    ),
];

const BLOCKED: &str =
    "An earlier step failed, so this one was not tried. Fix the first failure and run again.";

/// `(check id, mode, hint)` for the live-only modes.
pub const NEW_HINTS: &[(&str, &str, &str)] = &[
    (
        "wan.ping",
        "partial-loss",
        "Some echo requests to the public address were lost: the line drops packets. Check the WAN line quality (errors on the DSL/fibre status page) and retest.",
    ),
    (
        "wan.ping",
        "unresolved",
        "The ping target's name did not resolve. Check DNS, or give --wan-target as an address (8.8.8.8).",
    ),
    (
        "wan.ping",
        "no-privilege",
        "cwmp-doctor may not send ICMP echo here: run it as root, give it CAP_NET_RAW (setcap cap_net_raw+ep), or add your group to net.ipv4.ping_group_range. The other checks do not need it.",
    ),
    ("wan.ping", "blocked", BLOCKED),
    (
        "acs.dns",
        "error-code",
        "The DNS server answered the lookup of the ACS host name with an error code (given). Check the DNS server the router uses, or try another one.",
    ),
    ("acs.dns", "blocked", BLOCKED),
    (
        "acs.ping",
        "partial-loss",
        "Some echo requests to the ACS were lost: the path drops packets. Retest; if it persists, check the route to the ACS.",
    ),
    (
        "acs.ping",
        "no-privilege",
        "cwmp-doctor may not send ICMP echo here: run it as root, give it CAP_NET_RAW (setcap cap_net_raw+ep), or add your group to net.ipv4.ping_group_range. The other checks do not need it.",
    ),
    ("acs.ping", "blocked", BLOCKED),
    (
        "acs.connect",
        "some-addresses",
        "The ACS answers on some of its addresses only. A router that picks a failing address cannot register: check the failing addresses (DNS records, IPv6 route, firewall).",
    ),
    ("acs.connect", "blocked", BLOCKED),
    (
        "acs.tls",
        "unknown-issuer",
        "The ACS certificate was issued by a CA that is not trusted (a private CA, or the ACS does not send its intermediate certificates). Serve the full chain from the ACS, or load the CA into the router.",
    ),
    (
        "acs.tls",
        "invalid-certificate",
        "The ACS certificate is not valid for another reason (given: bad signature, wrong key usage …). Reissue the ACS certificate.",
    ),
    ("acs.tls", "blocked", BLOCKED),
    (
        "cwmp.url",
        "invalid-url",
        "The ACS URL cannot be used (reason given). An ACS URL is http:// or https://, a host, an optional port and a path: correct it on the router's CWMP page and in --acs-url.",
    ),
    (
        "cwmp.url",
        "no-answer",
        "The ACS accepted the connection but never answered the HTTP request (or answered something that is not HTTP). Check the ACS service (it may be hung) and any proxy or load balancer in front of it.",
    ),
    (
        "cwmp.url",
        "redirect",
        "The ACS URL redirects to another URL (given). Routers follow a redirect for one session only: put the final URL on the router's CWMP page.",
    ),
    (
        "cwmp.url",
        "not-found",
        "The server at the ACS URL answers 404 Not Found: the path is probably wrong. Check the path against the ACS's CWMP listener.",
    ),
    ("cwmp.url", "blocked", BLOCKED),
    (
        "cwmp.credentials",
        "basic-over-http",
        "The ACS accepts Basic authentication over plain HTTP: the password crosses the network in clear text, and TR-069 requires Digest without TLS. Enable Digest on the ACS, or use HTTPS.",
    ),
    (
        "cwmp.credentials",
        "not-challenged",
        "The ACS did not ask for credentials on an empty POST; it may check them only with an Inform. Run again with --emulate-inform (this may create a device record on the ACS).",
    ),
    (
        "cwmp.credentials",
        "needs-credentials",
        "The ACS demands credentials. Give --acs-username and --acs-password (or --acs-password-env) as set on the router's CWMP page to test them.",
    ),
    (
        "cwmp.credentials",
        "unverified-tls",
        "The credentials were not sent because the ACS certificate failed verification (see acs.tls): a router would not send them either. Fix the certificate first.",
    ),
    (
        "cwmp.credentials",
        "unsupported-challenge",
        "The ACS asks for an authentication the router cannot give (no challenge, or a scheme other than Digest and Basic). Check the ACS's authentication settings for CPEs.",
    ),
    ("cwmp.credentials", "blocked", BLOCKED),
    (
        "session.inform-response",
        "redirect",
        "The ACS redirects the Inform to another URL (given). Routers follow it for that session only: put the final URL on the router's CWMP page.",
    ),
    (
        "session.inform-response",
        "wrong-rpc",
        "The ACS answered the Inform with another message than an InformResponse (named). Check the ACS logs: it may not have recognised the Inform.",
    ),
    (
        "session.inform-response",
        "needs-credentials",
        "The ACS demands credentials for the Inform. Give --acs-username and --acs-password to test the session.",
    ),
    (
        "session.inform-response",
        "unverified-tls",
        "The Inform was not authenticated because the ACS certificate failed verification (see acs.tls). Fix the certificate first.",
    ),
    ("session.inform-response", "blocked", BLOCKED),
    (
        "retest.attempts",
        "intermittent",
        "The last attempt failed although an earlier one passed: the problem comes and goes. Compare the attempts' evidence and retest; escalate with this report if it persists.",
    ),
    (
        "cr.connect",
        "unreachable",
        "An ICMP error or a missing route says the router's address cannot be reached from here. Check the route to the router's WAN address.",
    ),
    (
        "cr.connect",
        "invalid-url",
        "The ConnectionRequestURL cannot be used (reason given): it must be http://address:port/path. Check the URL the router reports (its Inform) and --cpe-url.",
    ),
    (
        "cr.connect",
        "unresolved",
        "The ConnectionRequestURL's host name did not resolve. Routers normally report an address; check the URL and DNS.",
    ),
    ("cr.connect", "blocked", BLOCKED),
    (
        "cr.challenge",
        "not-http",
        "The connection-request port answered with something that is not HTTP (quoted). Another service listens on this port: check the ConnectionRequestURL's port and the router's port forwarding.",
    ),
    ("cr.challenge", "blocked", BLOCKED),
    (
        "cr.auth",
        "error-status",
        "The router answered the authenticated connection request with an unexpected status (given). Check the connection-request path and the router's log.",
    ),
    (
        "cr.auth",
        "needs-credentials",
        "The router demands credentials for connection requests. Give --cr-username and --cr-password (or --cr-password-env), the ConnectionRequestUsername/Password set on the ACS, to test them.",
    ),
    ("cr.auth", "blocked", BLOCKED),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashMap};

    /// Catalog hints per check id, read from `checks/catalog.toml`.
    fn catalog() -> HashMap<String, BTreeSet<String>> {
        let text = include_str!("../../checks/catalog.toml");
        let doc: toml::Table = toml::from_str(text).expect("catalog.toml parses");
        let checks = doc["check"].as_array().expect("[[check]] array");
        checks
            .iter()
            .map(|c| {
                let id = c["id"].as_str().unwrap_or("").to_string();
                let hints = c
                    .get("hints")
                    .and_then(|h| h.as_table())
                    .map(|t| t.keys().cloned().collect())
                    .unwrap_or_default();
                (id, hints)
            })
            .collect()
    }

    #[test]
    fn every_mode_has_a_hint() {
        let cat = catalog();
        for (id, modes) in MODES {
            let hints = cat
                .get(*id)
                .unwrap_or_else(|| panic!("{id} is not a catalog id"));
            for mode in *modes {
                let new = NEW_HINTS.iter().any(|(i, m, _)| i == id && m == mode);
                assert!(
                    *mode == "pass" || hints.contains(*mode) || new,
                    "{id}/{mode} has no hint"
                );
            }
        }
    }

    #[test]
    fn new_hints_are_used_and_listed_once() {
        let cat = catalog();
        let mut seen = BTreeSet::new();
        for (id, mode, hint) in NEW_HINTS {
            assert!(seen.insert((id, mode)), "{id}/{mode} listed twice");
            assert!(
                MODES.iter().any(|(i, m)| i == id && m.contains(mode)),
                "{id}/{mode} is never given"
            );
            assert!(
                !hint.is_empty() && hint.ends_with('.'),
                "{id}/{mode}: a hint is a sentence"
            );
            let _ = cat.get(*id).expect("catalog id");
        }
    }
}
