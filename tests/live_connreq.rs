//! Live connection-request probes against real CPE endpoints on 127.0.0.1: Digest (Python, verified
//! independently) answering 200 or 204, Basic, no authentication, 503 and a reset after
//! authentication, a closed port, a silent port, and ports answering something that is not HTTP.

mod live_support;

use std::time::{Duration, Instant};

use cwmp_doctor::live::{LiveTarget, run};
use live_support::*;

fn with_cpe(port: u16) -> LiveTarget {
    LiveTarget {
        cpe_url: Some(format!("http://127.0.0.1:{port}/cr")),
        ..target()
    }
}

fn modes(t: &LiveTarget) -> Vec<(String, &'static str)> {
    let r = run(t);
    no_secrets(t, &r);
    r.verdicts
        .iter()
        .filter(|v| v.id.starts_with("cr."))
        .map(|v| (format!("{} {}", v.id, v.status.as_str()), v.mode))
        .collect()
}

fn expect_cr(t: &LiveTarget, challenge: (&str, &str), auth: (&str, &str)) {
    let got = modes(t);
    let want = vec![
        ("cr.connect pass".to_string(), "pass"),
        (format!("cr.challenge {}", challenge.0), challenge.1),
        (format!("cr.auth {}", auth.0), auth.1),
    ];
    assert_eq!(got, want);
}

fn cr_server(extra: &[&str]) -> live_support::Peer {
    let mut args = vec!["--user", "acs", "--password", CR_PASSWORD, "--path", "/cr"];
    args.extend_from_slice(extra);
    auth_server("cr", &args)
}

#[test]
fn digest_endpoints() {
    if !have_python("digest_endpoints") {
        return;
    }
    let ok = cr_server(&[]);
    expect_cr(&with_cpe(ok.port), ("pass", "pass"), ("pass", "pass"));
    let no_content = cr_server(&["--cr-status", "204"]);
    expect_cr(
        &with_cpe(no_content.port),
        ("pass", "pass"),
        ("pass", "pass"),
    );
    let wrong = LiveTarget {
        cr_password: Some("not-the-password".into()),
        ..with_cpe(ok.port)
    };
    expect_cr(&wrong, ("pass", "pass"), ("fail", "rejected"));
    let anonymous = LiveTarget {
        cr_username: None,
        cr_password: None,
        ..with_cpe(ok.port)
    };
    expect_cr(&anonymous, ("pass", "pass"), ("skip", "needs-credentials"));
    let busy = cr_server(&["--after-auth", "busy"]);
    expect_cr(&with_cpe(busy.port), ("pass", "pass"), ("fail", "busy"));
    let reset = cr_server(&["--after-auth", "reset"]);
    expect_cr(
        &with_cpe(reset.port),
        ("pass", "pass"),
        ("fail", "no-answer"),
    );
}

#[test]
fn weak_or_missing_authentication() {
    if !have_python("weak_or_missing_authentication") {
        return;
    }
    let basic = cr_server(&["--auth", "basic"]);
    expect_cr(
        &with_cpe(basic.port),
        ("warn", "basic-challenge"),
        ("pass", "pass"),
    );
    let open = cr_server(&["--auth", "none"]);
    expect_cr(
        &with_cpe(open.port),
        ("warn", "unauthenticated-accepted"),
        ("skip", "not-needed"),
    );
    let wrong_path = LiveTarget {
        cpe_url: Some(format!("http://127.0.0.1:{}/other", open.port)),
        ..target()
    };
    expect_cr(&wrong_path, ("fail", "error-status"), ("skip", "blocked"));
}

#[test]
fn unreachable_and_hostile_ports() {
    let closed = closed_port();
    let got = modes(&with_cpe(closed));
    assert_eq!(got[0], ("cr.connect fail".to_string(), "refused"));
    assert_eq!(got[1].1, "blocked");

    let filtered = syn_blackhole();
    let got = modes(&LiveTarget {
        timeout: Duration::from_millis(500),
        ..with_cpe(filtered.port)
    });
    assert_eq!(got[0], ("cr.connect fail".to_string(), "syn-unanswered"));

    let silent = silent_listener();
    let t = LiveTarget {
        timeout: Duration::from_millis(500),
        ..with_cpe(silent.local_addr().unwrap().port())
    };
    let start = Instant::now();
    expect_cr(&t, ("fail", "no-answer"), ("skip", "blocked"));
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "silent CPE took {:?}",
        start.elapsed()
    );

    let ssh = fixed_reply(b"SSH-2.0-OpenSSH_8.9\r\n".to_vec());
    expect_cr(&with_cpe(ssh), ("fail", "not-http"), ("skip", "blocked"));

    // A hostile answer: endless headers and a huge Content-Length; the probe reads at most 4 KiB.
    let mut flood = b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 99999999999\r\n".to_vec();
    flood.extend(
        b"X-Flood: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
            .repeat(20_000),
    );
    let hostile = fixed_reply(flood);
    expect_cr(
        &with_cpe(hostile),
        ("fail", "not-http"),
        ("skip", "blocked"),
    );

    let https = LiveTarget {
        cpe_url: Some("https://127.0.0.1:7547/cr".into()),
        ..target()
    };
    assert_eq!(
        modes(&https)[0],
        ("cr.connect fail".to_string(), "invalid-url")
    );
}
