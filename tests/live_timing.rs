//! The live probes' time bounds: a run against targets that never answer ends within about one
//! `timeout` (the probes run concurrently and each chain stops at its first timeout), and `--repeat`
//! runs the whole set again and says how each attempt went.

mod live_support;

use std::time::{Duration, Instant};

use cwmp_doctor::live::{LiveStatus::*, LiveTarget, run};
use live_support::*;

#[test]
fn an_all_unreachable_run_ends_within_the_timeout() {
    let acs = syn_blackhole();
    let cpe = silent_listener();
    let timeout = Duration::from_secs(1);
    let t = LiveTarget {
        acs_url: Some(format!("https://127.0.0.1:{}/acs", acs.port)),
        cpe_url: Some(format!(
            "http://127.0.0.1:{}/cr",
            cpe.local_addr().unwrap().port()
        )),
        // Loopback: the tests send nothing off the machine (some sandboxes even answer pings to
        // TEST-NET addresses); the unanswered-echo verdicts are unit-tested in src/live/icmp.rs.
        wan_target: "127.0.0.1".into(),
        timeout,
        ..target()
    };
    let start = Instant::now();
    let r = run(&t);
    let took = start.elapsed();
    eprintln!("all-unreachable run, timeout {timeout:?}: {took:?}");
    for v in &r.verdicts {
        eprintln!(
            "  {:<16} {:<5} {:<14} {}",
            v.id,
            v.status.as_str(),
            v.mode,
            v.summary
        );
    }
    assert!(
        took < timeout + Duration::from_millis(700),
        "took {took:?} with a {timeout:?} timeout"
    );
    expect(&r, "acs.connect", Fail, "syn-unanswered");
    expect(&r, "acs.tls", Skip, "blocked");
    expect(&r, "cwmp.url", Skip, "blocked");
    expect(&r, "cr.challenge", Fail, "no-answer");
    expect_ping(&r, "wan.ping");
    no_secrets(&t, &r);
}

#[test]
fn a_silent_resolver_costs_one_timeout() {
    if !have_python("a_silent_resolver_costs_one_timeout") {
        return;
    }
    let dns = dns_server();
    let timeout = Duration::from_secs(1);
    let t = LiveTarget {
        acs_url: Some("https://silent.acs.test/acs".into()),
        wan_target: "silent.example".into(),
        dns_server: Some(format!("127.0.0.1:{}", dns.port).parse().unwrap()),
        timeout,
        ..target()
    };
    let start = Instant::now();
    let r = run(&t);
    let took = start.elapsed();
    eprintln!("silent resolver, timeout {timeout:?}: {took:?}");
    assert!(took < timeout + Duration::from_millis(500), "took {took:?}");
    expect(&r, "acs.dns", Fail, "no-answer");
    expect(&r, "wan.ping", Fail, "unresolved");
}

#[test]
fn repeat_runs_every_probe_again() {
    let closed = closed_port();
    let t = LiveTarget {
        acs_url: Some(format!("http://127.0.0.1:{closed}/acs")),
        repeat: 3,
        ..target()
    };
    let r = run(&t);
    assert_eq!(r.attempts.len(), 3);
    assert_eq!(
        r.attempts.iter().map(|a| a.number).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    expect(&r, "acs.connect", Fail, "refused");
    expect(&r, "retest.attempts", Fail, "all-failed");
    let connect = verdict(&r, "acs.connect");
    assert!(
        connect.summary.ends_with("(the same in all 3 attempts)"),
        "{}",
        connect.summary
    );
    for n in 1..=3 {
        assert!(
            connect.evidence.iter().any(|e| e
                .text
                .starts_with(&format!("attempt {n}: TCP 127.0.0.1:{closed}: refused"))),
            "{connect:#?}"
        );
    }
    let retest = verdict(&r, "retest.attempts");
    assert_eq!(retest.evidence.len(), 3);
    assert!(
        retest.evidence[0].text.contains("failed: acs.connect"),
        "{retest:#?}"
    );
    let ids: Vec<&str> = r.verdicts.iter().map(|v| v.id).collect();
    assert_eq!(
        ids,
        [
            "wan.ping",
            "acs.dns",
            "acs.ping",
            "acs.connect",
            "acs.tls",
            "cwmp.url",
            "cwmp.credentials",
            "retest.attempts"
        ]
    );
}
