//! ICMP without privilege, for real: the test re-runs itself as user `nobody` with every capability
//! dropped (`setpriv`), and the `wan.ping` verdict must be a skip that names exactly what is missing
//! (or a pass, where `net.ipv4.ping_group_range` lets `nobody` ping).

use std::process::Command;
use std::time::Duration;

use cwmp_doctor::live::{IcmpPrivilege, LiveStatus, LiveTarget, run};

#[test]
fn unprivileged_ping_is_a_skip_that_names_what_is_missing() {
    let me = IcmpPrivilege::current();
    let setpriv = Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if me.euid != 0 || !setpriv {
        eprintln!(
            "skipped: needs root and setpriv to become an unprivileged user (euid {}, setpriv {setpriv})",
            me.euid
        );
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
        ])
        .arg(exe)
        .args(["--exact", "as_nobody", "--ignored", "--nocapture"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the unprivileged run failed");
    assert!(
        stdout.contains("wan.ping: "),
        "the unprivileged run printed no verdict"
    );
}

#[test]
#[ignore = "run as user nobody by unprivileged_ping_is_a_skip_that_names_what_is_missing"]
fn as_nobody() {
    let t = LiveTarget {
        wan_target: "127.0.0.1".into(),
        timeout: Duration::from_secs(1),
        ..LiveTarget::default()
    };
    let r = run(&t);
    let v = r.verdicts.iter().find(|v| v.id == "wan.ping").unwrap();
    println!("wan.ping: {} {} {}", v.status.as_str(), v.mode, v.summary);
    let me = IcmpPrivilege::current();
    assert_eq!(me.euid, 65534);
    match me.missing() {
        Some(_) => {
            assert_eq!((v.status, v.mode), (LiveStatus::Skip, "no-privilege"));
            assert!(v.summary.starts_with("cannot send ICMP echo: not root (euid 65534), CAP_NET_RAW not in the effective capabilities, and net.ipv4.ping_group_range"), "{}", v.summary);
            assert!(
                v.summary.contains("does not cover gid 65534"),
                "{}",
                v.summary
            );
        }
        None => assert_eq!((v.status, v.mode), (LiveStatus::Pass, "pass")),
    }
}
