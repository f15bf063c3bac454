//! Shared helpers of the live-probe tests: real peers on 127.0.0.1, started and stopped by the
//! tests, and certificates generated with rcgen.
//!
//! Peers: `tests/live_servers/auth_server.py` (ACS / connection-request endpoints demanding Digest or
//! Basic, Digest verified with Python's hashlib, optional TLS with Python's ssl) and
//! `dns_server.py` (UDP, NXDOMAIN / SERVFAIL / REFUSED / silence by name), each printing its free
//! port; plain Rust listeners for a closed port, a port whose SYNs go unanswered, a port that accepts
//! and never answers, and a port that answers fixed bytes. Every child process is killed when its [`Peer`] drops.

#![allow(
    dead_code,
    reason = "each test file uses a different subset of the helpers"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use cwmp_doctor::live::{LiveReport, LiveStatus, LiveTarget, LiveVerdict};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    date_time_ymd,
};

pub const ACS_PASSWORD: &str = "s3cret-acs-pw";
pub const CR_PASSWORD: &str = "s3cret-cr-pw";

/// A child process serving on `port`; killed on drop.
pub struct Peer {
    child: Child,
    pub port: u16,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `python3` runs; prints why the test is skipped when it does not.
pub fn have_python(test: &str) -> bool {
    let ok = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("{test}: skipped: python3 is not on PATH (the peers are Python scripts)");
    }
    ok
}

/// Starts `tests/live_servers/<script>` with `args`; waits for the port it prints.
pub fn spawn(script: &str, args: &[&str]) -> Peer {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/live_servers")
        .join(script);
    let mut child = Command::new("python3")
        .arg(&path)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start python3");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read port");
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{script} printed {line:?}, not a port"));
    Peer { child, port }
}

/// An ACS (`role` acs) or CR endpoint (`role` cr) with `extra` arguments.
pub fn auth_server(role: &str, extra: &[&str]) -> Peer {
    let mut args = vec!["--role", role];
    args.extend_from_slice(extra);
    spawn("auth_server.py", &args)
}

/// The DNS responder.
pub fn dns_server() -> Peer {
    spawn("dns_server.py", &[])
}

/// A port nothing listens on.
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A listener that completes handshakes (the kernel's backlog) and never answers; keep it alive.
pub fn silent_listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap()
}

/// A port whose SYNs go unanswered: a listener with a backlog of 0 whose accept queue is already
/// full (Linux then drops new SYNs, as a filtering firewall would). Keep the value alive.
pub struct SynBlackhole {
    _listener: socket2::Socket,
    _filler: TcpStream,
    pub port: u16,
}

pub fn syn_blackhole() -> SynBlackhole {
    use socket2::{Domain, Socket, Type};
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener
        .bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    listener.listen(0).unwrap();
    let port = listener.local_addr().unwrap().as_socket().unwrap().port();
    let filler = TcpStream::connect(("127.0.0.1", port)).unwrap();
    SynBlackhole {
        _listener: listener,
        _filler: filler,
        port,
    }
}

/// A listener that answers every connection with `reply` after reading what the client sent, then
/// closes (nginx answering a TLS ClientHello with a 400, an SSH daemon on port 7547 …).
pub fn fixed_reply(reply: Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            serve_fixed(conn, &reply);
        }
    });
    port
}

fn serve_fixed(mut conn: TcpStream, reply: &[u8]) {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(300)));
    let mut buf = [0u8; 2048];
    let _ = conn.read(&mut buf);
    let _ = conn.write_all(reply);
}

/// Test certificates: a test CA, leaves it signed (valid, expired, not yet valid, wrong host), a
/// leaf of another CA, and a self-signed leaf; PEM files for the Python servers.
pub struct Pki {
    pub dir: PathBuf,
    pub ca_der: Vec<u8>,
}

impl Pki {
    /// `(cert, key)` paths of leaf `name`.
    pub fn files(&self, name: &str) -> (String, String) {
        let p = |ext: &str| {
            self.dir
                .join(format!("{name}.{ext}"))
                .to_string_lossy()
                .into_owned()
        };
        (p("crt"), p("key"))
    }
}

/// The test PKI, generated once per test binary.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("live-pki-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (ca_params, ca_key) = ca("cwmp-doctor test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::from_params(&ca_params, &ca_key);
        let (other_params, other_key) = ca("some other CA");
        let other = Issuer::from_params(&other_params, &other_key);
        let write = |name: &str, pem: String, key: &KeyPair| {
            std::fs::write(dir.join(format!("{name}.crt")), pem).unwrap();
            std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).unwrap();
        };
        let leaf = |names: &[&str], from: (i32, i32)| {
            let mut p =
                CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                    .unwrap();
            p.distinguished_name.push(DnType::CommonName, names[0]);
            p.not_before = date_time_ymd(from.0, 1, 1);
            p.not_after = date_time_ymd(from.1, 1, 1);
            (p, KeyPair::generate().unwrap())
        };
        for (name, names, years, signer) in [
            (
                "valid",
                &["acs.test", "127.0.0.1"][..],
                (2024, 2090),
                &issuer,
            ),
            (
                "expired",
                &["acs.test", "127.0.0.1"][..],
                (2019, 2021),
                &issuer,
            ),
            (
                "notyet",
                &["acs.test", "127.0.0.1"][..],
                (2089, 2090),
                &issuer,
            ),
            ("wronghost", &["other.example"][..], (2024, 2090), &issuer),
            (
                "unknown",
                &["acs.test", "127.0.0.1"][..],
                (2024, 2090),
                &other,
            ),
        ] {
            let (p, key) = leaf(names, years);
            write(name, p.signed_by(&key, signer).unwrap().pem(), &key);
        }
        let (p, key) = leaf(&["acs.test", "127.0.0.1"], (2024, 2090));
        write("selfsigned", p.self_signed(&key).unwrap().pem(), &key);
        Pki {
            dir,
            ca_der: ca_cert.der().to_vec(),
        }
    })
}

fn ca(name: &str) -> (CertificateParams, KeyPair) {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    (p, KeyPair::generate().unwrap())
}

/// A target with the test defaults: short timeout, ping 127.0.0.1, credentials set.
pub fn target() -> LiveTarget {
    LiveTarget {
        wan_target: "127.0.0.1".into(),
        timeout: Duration::from_secs(2),
        acs_username: Some("cpe".into()),
        acs_password: Some(ACS_PASSWORD.into()),
        cr_username: Some("acs".into()),
        cr_password: Some(CR_PASSWORD.into()),
        trust_roots: vec![pki().ca_der.clone()],
        ..LiveTarget::default()
    }
}

/// The verdict of `id`; panics with the report when absent.
pub fn verdict<'a>(r: &'a LiveReport, id: &str) -> &'a LiveVerdict {
    r.verdicts
        .iter()
        .find(|v| v.id == id)
        .unwrap_or_else(|| panic!("no {id} verdict in {:#?}", r.verdicts))
}

/// Asserts the status and mode of `id`, printing the verdict when they differ.
pub fn expect(r: &LiveReport, id: &str, status: LiveStatus, mode: &str) {
    let v = verdict(r, id);
    assert_eq!((v.status, v.mode), (status, mode), "{id}: {v:#?}");
}

/// Asserts that no password appears anywhere in the report or the target's Debug output.
pub fn no_secrets(t: &LiveTarget, r: &LiveReport) {
    let mut texts = vec![format!("{t:?}"), format!("{r:?}"), format!("{r:#?}")];
    for v in &r.verdicts {
        texts.push(v.summary.clone());
        texts.extend(v.evidence.iter().map(|e| e.text.clone()));
    }
    for text in texts {
        for secret in [ACS_PASSWORD, CR_PASSWORD] {
            assert!(!text.contains(secret), "{secret} leaked into: {text}");
        }
        assert!(
            !text.contains("Authorization: Digest") && !text.contains("Authorization: Basic"),
            "an Authorization value leaked: {text}"
        );
    }
}

/// The ICMP assertion: pass when this process may ping, otherwise a skip that names what is missing.
pub fn expect_ping(r: &LiveReport, id: &str) {
    match cwmp_doctor::live::IcmpPrivilege::current().missing() {
        None => expect(r, id, LiveStatus::Pass, "pass"),
        Some(why) => {
            eprintln!(
                "{id}: ICMP assertions reduced to the skip: this process may not ping ({why})"
            );
            expect(r, id, LiveStatus::Skip, "no-privilege");
        }
    }
}
