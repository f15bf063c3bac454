//! Running `cwmp-doctor check`: reference values and secrets from flags and the environment, the
//! capture and/or live probes through [`crate::diagnose`], the evidence capture, and the report in the
//! chosen format on standard output or in a file. The only I/O of a check run happens here.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::capture::Input;
use crate::checks::Status;
use crate::checks::catalog::catalog;
use crate::cli::args::CheckArgs;
use crate::cli::{ColorChoice, EXIT_FAILED, EXIT_OK, print_out, render};
use crate::config::Config;
use crate::live::{EmulatedDevice, LiveTarget};

/// Standard input kept in a temporary file, removed when dropped.
struct Spooled {
    path: PathBuf,
}

impl Drop for Spooled {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn spool_stdin() -> Result<Spooled, String> {
    let path = std::env::temp_dir().join(format!("cwmp-doctor-stdin-{}.cap", std::process::id()));
    let spooled = Spooled { path };
    let mut file = std::fs::File::create(&spooled.path).map_err(|e| {
        format!(
            "{}: cannot keep standard input: {e}",
            spooled.path.display()
        )
    })?;
    std::io::copy(&mut std::io::stdin().lock(), &mut file)
        .map_err(|e| format!("stdin: cannot read: {e}"))?;
    Ok(spooled)
}

/// Captures smaller than this are read without a progress bar.
const PROGRESS_MIN_BYTES: u64 = 64 << 20;

/// A byte progress bar on stderr for a capture file, only when stderr is a terminal and the capture is
/// large enough for the wait to be noticed.
fn progress_bar(input: &Input) -> Option<indicatif::ProgressBar> {
    let Input::File(path) = input else {
        return None;
    };
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let len = std::fs::metadata(path).ok()?.len();
    // A capture read in well under a second needs no bar (≈ 1 GiB/s on one core: benches/README.md).
    if len < PROGRESS_MIN_BYTES {
        return None;
    }
    let pb = indicatif::ProgressBar::with_draw_target(
        Some(len),
        indicatif::ProgressDrawTarget::stderr(),
    );
    let style = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta} reading the capture",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    pb.set_style(style);
    Some(pb)
}

/// A secret from its flag or its environment variable.
fn secret(
    value: Option<String>,
    env: Option<String>,
    flag: &str,
) -> Result<Option<String>, String> {
    match (value, env) {
        (Some(v), _) => Ok(Some(v)),
        (None, Some(var)) => std::env::var(&var)
            .map(Some)
            .map_err(|_| format!("--{flag}-env {var}: the environment variable is not set")),
        (None, None) => Ok(None),
    }
}

/// What `--live` probes, from the flags and the reference values.
fn live_target(args: &CheckArgs, config: &Config) -> Result<LiveTarget, String> {
    let dns_server = match &args.dns_server {
        None => None,
        Some(s) => Some(
            s.parse::<std::net::SocketAddr>()
                .or_else(|_| {
                    s.parse::<std::net::IpAddr>()
                        .map(|ip| std::net::SocketAddr::new(ip, 53))
                })
                .map_err(|_| format!("--dns-server {s}: not an address or address:port"))?,
        ),
    };
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 600.0) {
        return Err(format!(
            "--timeout {}: give seconds between 0 and 600",
            args.timeout
        ));
    }
    let mut trust_roots = Vec::new();
    for path in &args.ca_file {
        trust_roots.extend(read_certificates(path)?);
    }
    let emulate_inform = args.emulate_inform.then(|| EmulatedDevice {
        oui: args.oui.clone().unwrap_or_default(),
        product_class: args.product_class.clone(),
        serial: args.serial.clone().unwrap_or_default(),
    });
    Ok(LiveTarget {
        acs_url: config.acs_url.clone(),
        acs_username: config.acs_username.clone(),
        acs_password: config.acs_password.clone(),
        cpe_url: config.cpe_url.clone(),
        cr_username: config.cr_username.clone(),
        cr_password: config.cr_password.clone(),
        wan_target: config
            .wan_target
            .clone()
            .unwrap_or_else(|| "8.8.8.8".into()),
        dns_server,
        timeout: std::time::Duration::from_secs_f64(args.timeout),
        repeat: args.repeat.max(1),
        emulate_inform,
        trust_roots,
    })
}

/// The certificates of a PEM or DER file, as DER.
fn read_certificates(path: &PathBuf) -> Result<Vec<Vec<u8>>, String> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("--ca-file {name}: {e}"))?;
    if !bytes.starts_with(b"-----BEGIN") {
        return Ok(vec![bytes]);
    }
    let certs: Vec<Vec<u8>> = x509_parser::pem::Pem::iter_from_buffer(&bytes)
        .filter_map(Result::ok)
        .filter(|p| p.label == "CERTIFICATE")
        .map(|p| p.contents)
        .collect();
    if certs.is_empty() {
        return Err(format!("--ca-file {name}: no CERTIFICATE in the PEM file"));
    }
    Ok(certs)
}

/// Runs `check`; `Err` is the one-line reason it could not run (exit 2).
/// An output file (`--output`, `--evidence-pcap`) that is one of the inputs (`--pcap`, `--baseline`) would
/// be emptied before it is read: the capture R&D needs would be lost. Compared by file identity, so
/// another spelling of the same path (or a hard link) is caught too.
fn refuse_overwriting_inputs(args: &CheckArgs) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let id = |p: &std::path::Path| std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()));
    let inputs = [("--pcap", &args.pcap), ("--baseline", &args.baseline)];
    let outputs = [
        ("--output", &args.output),
        ("--evidence-pcap", &args.evidence_pcap),
    ];
    for (out_flag, out) in outputs.iter().filter_map(|(f, p)| Some((f, p.as_deref()?))) {
        for (in_flag, input) in inputs.iter().filter_map(|(f, p)| Some((f, p.as_deref()?))) {
            if input.as_os_str() != "-" && id(out).is_some() && id(out) == id(input) {
                return Err(format!(
                    "{}: {out_flag} is the {in_flag} file; writing it would destroy the capture — choose another file",
                    out.display()
                ));
            }
        }
    }
    if let (Some(a), Some(b)) = (&args.output, &args.evidence_pcap)
        && (a == b || id(a).is_some() && id(a) == id(b))
    {
        return Err(format!(
            "{}: --output and --evidence-pcap name the same file",
            a.display()
        ));
    }
    Ok(())
}

pub fn run(args: CheckArgs) -> Result<u8, String> {
    for id in &args.only {
        if catalog().get(id).is_none() {
            return Err(format!(
                "--only {id}: no such check (see `cwmp-doctor checks`)"
            ));
        }
    }
    let config = Config {
        acs_url: args.acs_url.clone(),
        acs_username: args.acs_username.clone(),
        acs_password: secret(
            args.acs_password.clone(),
            args.acs_password_env.clone(),
            "acs-password",
        )?,
        cpe_url: args.cpe_url.clone(),
        cr_username: args.cr_username.clone(),
        cr_password: secret(
            args.cr_password.clone(),
            args.cr_password_env.clone(),
            "cr-password",
        )?,
        wan_target: args.wan_target.clone(),
        show_secrets: args.show_secrets,
    };
    let live = if args.live {
        Some(live_target(&args, &config)?)
    } else {
        None
    };
    if args.pcap.is_none() && live.is_none() {
        return Err(
            "nothing to diagnose: give --pcap FILE (- for standard input), --live, or both".into(),
        );
    }
    refuse_overwriting_inputs(&args)?;
    let mut input = args.pcap.as_ref().map(|p| {
        if p.as_os_str() == "-" {
            Input::Stdin
        } else {
            Input::File(p.clone())
        }
    });
    // The evidence capture reads the capture a second time: standard input is kept in a file first.
    let spooled = match (&input, &args.evidence_pcap) {
        (Some(Input::Stdin), Some(_)) => Some(spool_stdin()?),
        _ => None,
    };
    if let Some(s) = &spooled {
        input = Some(Input::File(s.path.clone()));
    }
    let baseline = args.baseline.clone().map(Input::File);
    let progress = input.as_ref().and_then(progress_bar);
    let opts = crate::diagnose::Options {
        only: &args.only,
        baseline: baseline.as_ref(),
        progress: progress
            .clone()
            .map(|pb| Box::new(move |n| pb.set_position(n)) as Box<dyn FnMut(u64) + Send>),
        live: live.as_ref(),
        evidence: args.evidence_pcap.is_some(),
    };
    let diagnosis =
        crate::diagnose::diagnose(input.as_ref(), &config, opts).map_err(|e| e.to_string())?;
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    let mut report = diagnosis.report;
    if let Some(s) = &spooled {
        report.rename_source(&s.path.display().to_string(), &Input::Stdin.source_name());
    }
    if let (Some(path), Some((selection, link_types)), Some(input)) =
        (&args.evidence_pcap, &diagnosis.evidence, &input)
    {
        let mut written = crate::evidence_pcap::write(input, selection, link_types, path)?;
        if spooled.is_some() {
            written.file = path.display().to_string();
        }
        report.evidence_capture = Some(written);
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    // `colored` decides by itself from the terminal and CLICOLOR; the choice made here must win.
    colored::control::set_override(color);
    let text = render(&report, args.format, color);
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| format!("{}: cannot write the report: {e}", path.display()))?,
        None => {
            print_out(&text);
        }
    }
    Ok(if report.verdict() == Status::Fail {
        EXIT_FAILED
    } else {
        EXIT_OK
    })
}
