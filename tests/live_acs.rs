//! Live probes against real ACS peers on 127.0.0.1: Digest and Basic endpoints (Python, verifying
//! Digest independently), TLS with valid / expired / not-yet-valid / wrong-host / unknown-issuer /
//! self-signed certificates (rcgen), plain HTTP on a TLS port and the reverse, a closed port, a port
//! that never answers, and a DNS responder answering NXDOMAIN, SERVFAIL, REFUSED or nothing.

mod live_support;

use std::time::{Duration, Instant};

use cwmp_doctor::live::{EmulatedDevice, LiveStatus::*, LiveTarget, run};
use live_support::*;

fn with_acs(url: String) -> LiveTarget {
    LiveTarget {
        acs_url: Some(url),
        ..target()
    }
}

fn device() -> EmulatedDevice {
    EmulatedDevice {
        oui: "00D09E".into(),
        product_class: "IGD".into(),
        serial: "CWMPDOCTOR01".into(),
    }
}

#[test]
fn healthy_https_acs_and_connection_request() {
    if !have_python("healthy_https_acs_and_connection_request") {
        return;
    }
    let (cert, key) = pki().files("valid");
    let dns = dns_server();
    let acs = auth_server(
        "acs",
        &[
            "--password",
            ACS_PASSWORD,
            "--qop",
            "auth,auth-int",
            "--cert",
            &cert,
            "--key",
            &key,
        ],
    );
    let cr = auth_server(
        "cr",
        &["--user", "acs", "--password", CR_PASSWORD, "--path", "/cr"],
    );
    let t = LiveTarget {
        acs_url: Some(format!("https://acs.test:{}/acs", acs.port)),
        cpe_url: Some(format!("http://127.0.0.1:{}/cr", cr.port)),
        dns_server: Some(format!("127.0.0.1:{}", dns.port).parse().unwrap()),
        emulate_inform: Some(device()),
        ..target()
    };
    let start = Instant::now();
    let r = run(&t);
    let took = start.elapsed();
    eprintln!(
        "healthy loopback run (DNS, ping, TLS 1.3, Digest, Inform, connection request): {took:?}"
    );
    for v in &r.verdicts {
        eprintln!(
            "  {:<24} {:<5} {:<10} {}",
            v.id,
            v.status.as_str(),
            v.mode,
            v.summary
        );
    }
    expect_ping(&r, "wan.ping");
    expect_ping(&r, "acs.ping");
    for id in [
        "acs.dns",
        "acs.connect",
        "acs.tls",
        "cwmp.url",
        "cwmp.credentials",
        "session.inform-response",
        "cr.connect",
        "cr.challenge",
        "cr.auth",
    ] {
        expect(&r, id, Pass, "pass");
    }
    let dns_v = verdict(&r, "acs.dns");
    assert_eq!(
        dns_v.summary,
        format!("acs.test resolved by 127.0.0.1:{}: 127.0.0.1", dns.port)
    );
    assert!(
        verdict(&r, "acs.tls")
            .evidence
            .iter()
            .any(|e| e.text.contains("issuer CN=cwmp-doctor test CA"))
    );
    assert!(
        verdict(&r, "cwmp.url")
            .summary
            .contains("405 to GET: the ACS takes only POST, it is alive")
    );
    assert!(
        verdict(&r, "session.inform-response")
            .summary
            .contains("may have created a device record on the ACS")
    );
    let inform = r.attempts[0]
        .acs
        .as_ref()
        .and_then(|a| a.http.as_ref())
        .unwrap();
    assert!(
        inform
            .steps
            .last()
            .unwrap()
            .request
            .contains("ending the session"),
        "{inform:#?}"
    );
    assert!(
        took < Duration::from_secs(3),
        "a healthy loopback run took {took:?}"
    );
    no_secrets(&t, &r);
}

#[test]
fn wrong_acs_password_is_rejected() {
    if !have_python("wrong_acs_password_is_rejected") {
        return;
    }
    let acs = auth_server("acs", &["--password", "the-right-one"]);
    let t = LiveTarget {
        emulate_inform: Some(device()),
        ..with_acs(format!("http://127.0.0.1:{}/acs", acs.port))
    };
    let r = run(&t);
    expect(&r, "acs.dns", Skip, "ip-literal");
    expect(&r, "acs.tls", Skip, "plain-http");
    expect(&r, "cwmp.url", Pass, "pass");
    expect(&r, "cwmp.credentials", Fail, "rejected");
    expect(&r, "session.inform-response", Fail, "unauthorized");
    assert!(
        verdict(&r, "cwmp.credentials")
            .summary
            .contains("user \"cpe\"")
    );
    no_secrets(&t, &r);
}

#[test]
fn credentials_an_acs_echoes_back_are_redacted() {
    if !have_python("credentials_an_acs_echoes_back_are_redacted") {
        return;
    }
    use base64::Engine;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("cpe:{ACS_PASSWORD}"));
    for auth in ["basic", "digest"] {
        // The ACS knows another password: it rejects ours and quotes what it got in the 401 body.
        let acs = auth_server(
            "acs",
            &[
                "--auth",
                auth,
                "--password",
                "another",
                "--echo-authorization",
            ],
        );
        let t = with_acs(format!("http://127.0.0.1:{}/acs", acs.port));
        let r = run(&t);
        expect(&r, "cwmp.credentials", Fail, "rejected");
        no_secrets(&t, &r);
        let all = format!("{r:?}");
        assert!(
            all.contains("bad credentials «redacted»"),
            "{auth}: the echo is shown, redacted: {all}"
        );
        assert!(!all.contains(&token), "{auth}: the Basic token leaked");
    }
}

#[test]
fn credentials_by_scheme_and_transport() {
    if !have_python("credentials_by_scheme_and_transport") {
        return;
    }
    let basic = auth_server("acs", &["--auth", "basic", "--password", ACS_PASSWORD]);
    let t = with_acs(format!("http://127.0.0.1:{}/acs", basic.port));
    let r = run(&t);
    expect(&r, "cwmp.credentials", Warn, "basic-over-http");
    no_secrets(&t, &r);

    let (cert, key) = pki().files("valid");
    let basic_tls = auth_server(
        "acs",
        &[
            "--auth",
            "basic",
            "--password",
            ACS_PASSWORD,
            "--cert",
            &cert,
            "--key",
            &key,
        ],
    );
    let r = run(&with_acs(format!(
        "https://127.0.0.1:{}/acs",
        basic_tls.port
    )));
    expect(&r, "acs.tls", Pass, "pass");
    expect(&r, "cwmp.credentials", Pass, "pass");

    let digest = auth_server("acs", &["--password", ACS_PASSWORD]);
    let anonymous = LiveTarget {
        acs_username: None,
        acs_password: None,
        ..with_acs(format!("http://127.0.0.1:{}/acs", digest.port))
    };
    expect(
        &run(&anonymous),
        "cwmp.credentials",
        Skip,
        "needs-credentials",
    );

    let open = auth_server("acs", &["--auth", "none"]);
    expect(
        &run(&with_acs(format!("http://127.0.0.1:{}/acs", open.port))),
        "cwmp.credentials",
        Pass,
        "pass",
    );
}

#[test]
fn certificate_problems_are_named_and_credentials_withheld() {
    if !have_python("certificate_problems_are_named_and_credentials_withheld") {
        return;
    }
    for (name, mode) in [
        ("expired", "expired"),
        ("notyet", "not-yet-valid"),
        ("wronghost", "wrong-host"),
        ("unknown", "unknown-issuer"),
        ("selfsigned", "self-signed"),
    ] {
        let (cert, key) = pki().files(name);
        let acs = auth_server(
            "acs",
            &["--password", ACS_PASSWORD, "--cert", &cert, "--key", &key],
        );
        let t = with_acs(format!("https://127.0.0.1:{}/acs", acs.port));
        let r = run(&t);
        expect(&r, "acs.tls", Fail, mode);
        let tls = verdict(&r, "acs.tls");
        assert!(
            tls.evidence
                .iter()
                .any(|e| e.text.starts_with("certificate 1: subject CN=")),
            "{name}: chain not recorded: {tls:#?}"
        );
        assert!(
            tls.summary.starts_with("TLS 1."),
            "{name}: version not recorded: {}",
            tls.summary
        );
        expect(&r, "cwmp.url", Pass, "pass");
        expect(&r, "cwmp.credentials", Skip, "unverified-tls");
        no_secrets(&t, &r);
    }
}

#[test]
fn scheme_and_port_disagree() {
    if !have_python("scheme_and_port_disagree") {
        return;
    }
    let plain = fixed_reply(
        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    );
    let r = run(&with_acs(format!("https://127.0.0.1:{plain}/acs")));
    expect(&r, "acs.tls", Fail, "not-tls");
    expect(&r, "cwmp.url", Fail, "tls-to-http");
    assert!(
        verdict(&r, "acs.tls")
            .summary
            .contains("\"HTTP/1.1 400 Bad Request\"")
    );

    let (cert, key) = pki().files("valid");
    let tls = auth_server(
        "acs",
        &["--password", ACS_PASSWORD, "--cert", &cert, "--key", &key],
    );
    let r = run(&with_acs(format!("http://127.0.0.1:{}/acs", tls.port)));
    expect(&r, "acs.tls", Skip, "plain-http");
    expect(&r, "cwmp.url", Fail, "http-to-tls");
}

#[test]
fn closed_and_silent_ports() {
    let closed = closed_port();
    let r = run(&with_acs(format!("https://127.0.0.1:{closed}/acs")));
    expect(&r, "acs.connect", Fail, "refused");
    expect(&r, "acs.tls", Skip, "blocked");
    expect(&r, "cwmp.url", Skip, "blocked");
    expect(&r, "cwmp.credentials", Skip, "blocked");

    let silent = silent_listener();
    let port = silent.local_addr().unwrap().port();
    let quick = |url: String| LiveTarget {
        timeout: Duration::from_millis(600),
        ..with_acs(url)
    };
    let r = run(&quick(format!("https://127.0.0.1:{port}/acs")));
    expect(&r, "acs.connect", Pass, "pass");
    expect(&r, "acs.tls", Fail, "incomplete");
    let r = run(&quick(format!("http://127.0.0.1:{port}/acs")));
    expect(&r, "cwmp.url", Fail, "no-answer");
    expect(&r, "cwmp.credentials", Skip, "blocked");
}

#[test]
fn dns_answer_codes() {
    if !have_python("dns_answer_codes") {
        return;
    }
    let dns = dns_server();
    let resolver = format!("127.0.0.1:{}", dns.port);
    for (host, mode, code) in [
        ("nx.acs.test", "nxdomain", "NXDOMAIN"),
        ("servfail.acs.test", "servfail", "SERVFAIL"),
        ("refused.acs.test", "refused", "REFUSED"),
        ("silent.acs.test", "no-answer", "no answer within 1 s"),
    ] {
        let t = LiveTarget {
            dns_server: Some(resolver.parse().unwrap()),
            timeout: Duration::from_secs(1),
            ..with_acs(format!("http://{host}:7547/acs"))
        };
        let r = run(&t);
        expect(&r, "acs.dns", Fail, mode);
        assert_eq!(
            verdict(&r, "acs.dns").summary,
            format!("{host} resolved by {resolver}: {code}")
        );
        expect(&r, "acs.connect", Skip, "blocked");
        expect(&r, "acs.ping", Skip, "blocked");
    }
}

#[test]
fn inform_answers_are_judged() {
    if !have_python("inform_answers_are_judged") {
        return;
    }
    for (answer, status, mode) in [
        ("fault", Fail, "soap-fault"),
        ("html", Fail, "not-soap"),
        ("500", Fail, "http-error"),
        ("malformed", Fail, "malformed"),
        ("hang", Fail, "timeout"),
        ("response", Pass, "pass"),
    ] {
        let acs = auth_server(
            "acs",
            &["--password", ACS_PASSWORD, "--inform-answer", answer],
        );
        let t = LiveTarget {
            emulate_inform: Some(device()),
            timeout: Duration::from_secs(1),
            ..with_acs(format!("http://127.0.0.1:{}/acs", acs.port))
        };
        let r = run(&t);
        expect(&r, "session.inform-response", status, mode);
        let v = verdict(&r, "session.inform-response");
        assert!(v.summary.ends_with("(OUI 00D09E, ProductClass IGD, serial CWMPDOCTOR01, 0 BOOTSTRAP) may have created a device record on the ACS"), "{answer}: {}", v.summary);
        if answer == "fault" {
            assert!(v.summary.contains("SOAP Fault 8002"), "{}", v.summary);
        }
        if answer == "hang" {
            expect(&r, "cwmp.credentials", Skip, "blocked");
        } else {
            expect(&r, "cwmp.credentials", Pass, "pass");
        }
        no_secrets(&t, &r);
    }
}
