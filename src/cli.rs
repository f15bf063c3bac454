//! The command line (DESIGN.md §3): `check`, `checks`, `explain`, and the exit-code policy.
//!
//! Takes: the process arguments and environment. Gives: what to print and the exit status —
//! 0 no check failed, 1 at least one check failed, 2 could not run (bad usage, an unreadable or invalid
//! capture: one line naming the file and what is wrong, on stderr, nothing on stdout).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::capture::Input;
use crate::checks::Status;
use crate::checks::catalog::catalog;
use crate::config::Config;
use crate::report::{self, Report};

/// Exit statuses.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "cwmp-doctor",
    version,
    about = "Diagnose why a router (CPE) fails to register with its TR-069 ACS, or to take a connection request or a configuration.",
    long_about = "Diagnose why a router (CPE) fails to register with its TR-069 ACS, or to take a connection \
request or a configuration. Follows the ACS-registration FAQ step by step and prints a pass/fail report in \
which every verdict cites its evidence (frame numbers to open in Wireshark).",
    after_help = "Examples:\n  cwmp-doctor check --pcap capture.pcap\n  cwmp-doctor check --pcap capture.pcap --format json > report.json\n  cwmp-doctor check --pcap capture.pcap --acs-url http://acs.isp.example:7547/acs --acs-username U --acs-password-env PW\n  cwmp-doctor checks\n  cwmp-doctor explain cwmp.credentials\n\nExit status: 0 no check failed, 1 a check failed, 2 could not run."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Diagnose a capture and print the report.
    #[command(
        after_help = "Examples:\n  cwmp-doctor check --pcap capture.pcap\n  tcpdump -w - -i eth0 port 7547 | cwmp-doctor check --pcap -\n  cwmp-doctor check --pcap capture.pcap --format markdown --output report.md\n  cwmp-doctor check --pcap capture.pcap --format html --output report.html\n  cwmp-doctor check --pcap capture.pcap --acs-url https://acs.isp.example/acs --acs-password-env ACS_PW --only cwmp.credentials"
    )]
    Check(Box<CheckArgs>),
    /// List the checks in report order.
    Checks,
    /// Explain a check: what it verifies, its FAQ step, what to do when it fails.
    Explain {
        /// A check id, e.g. cwmp.credentials.
        id: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
    /// One self-contained HTML page (no external resources, no JavaScript).
    Html,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The capture to diagnose (pcap or pcapng; `-` reads standard input).
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// The ACS URL the router should use (reference value: compared with the capture).
    #[arg(long, value_name = "URL")]
    pub acs_url: Option<String>,
    /// The CWMP username the router should use.
    #[arg(long, value_name = "USER")]
    pub acs_username: Option<String>,
    /// The CWMP password the router should use (prefer --acs-password-env: arguments are visible to other users).
    #[arg(long, value_name = "PASSWORD", conflicts_with = "acs_password_env")]
    pub acs_password: Option<String>,
    /// Read the CWMP password from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub acs_password_env: Option<String>,
    /// The router's ConnectionRequestURL.
    #[arg(long, value_name = "URL")]
    pub cpe_url: Option<String>,
    /// The connection-request username.
    #[arg(long, value_name = "USER")]
    pub cr_username: Option<String>,
    /// The connection-request password.
    #[arg(long, value_name = "PASSWORD", conflicts_with = "cr_password_env")]
    pub cr_password: Option<String>,
    /// Read the connection-request password from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub cr_password_env: Option<String>,
    /// The public address the WAN ping is judged against.
    #[arg(long, value_name = "HOST")]
    pub wan_target: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Colour the text report (NO_COLOR is honoured in auto mode).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Run only these checks (comma-separated ids); the others are reported as skipped.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Show passwords and Authorization values instead of redacting them.
    #[arg(long)]
    pub show_secrets: bool,
    /// A capture of a working registration to compare with (FAQ step 5).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the frames the report cites, with their connections, to a small capture for R&D.
    #[arg(long, value_name = "FILE")]
    pub evidence_pcap: Option<PathBuf>,
}

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

/// A byte progress bar on stderr for a capture file, only when stderr is a terminal.
fn progress_bar(input: &Input) -> Option<indicatif::ProgressBar> {
    let Input::File(path) = input else {
        return None;
    };
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let len = std::fs::metadata(path).ok()?.len();
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

/// Runs the command line; returns the exit status.
pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Checks => {
            let mut out = String::new();
            for c in &catalog().checks {
                out.push_str(&format!("{:<25} {:<7} {}\n", c.id, c.faq, c.title));
            }
            print_out(&out)
        }
        Command::Explain { id } => explain(&id),
        Command::Check(args) => match check(*args) {
            Ok(code) => code,
            Err(message) => {
                eprintln!("cwmp-doctor: {message}");
                EXIT_ERROR
            }
        },
    }
}

fn print_out(text: &str) -> u8 {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = stdout.write_all(text.as_bytes());
    EXIT_OK
}

fn explain(id: &str) -> u8 {
    let Some(c) = catalog().get(id) else {
        let ids: Vec<&str> = catalog().checks.iter().map(|c| c.id.as_str()).collect();
        eprintln!(
            "cwmp-doctor: unknown check {id:?}; the checks are: {}",
            ids.join(", ")
        );
        return EXIT_ERROR;
    };
    let mut out = format!(
        "{} — {}\nFAQ step {} ({})\n\n",
        c.id,
        c.title,
        c.faq,
        catalog().step_title(c.module, c.step)
    );
    out.push_str(&textwrap::fill(&format!("Verifies: {}", c.verifies), 80));
    out.push_str("\n\nWhen it does not pass:\n");
    for (mode, hint) in &c.hints {
        out.push_str(&textwrap::fill(
            &format!("{mode}: {hint}"),
            textwrap::Options::new(80)
                .initial_indent("  ")
                .subsequent_indent("    "),
        ));
        out.push('\n');
    }
    print_out(&out)
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

fn check(args: CheckArgs) -> Result<u8, String> {
    for id in &args.only {
        if catalog().get(id).is_none() {
            return Err(format!(
                "--only {id}: no such check (see `cwmp-doctor checks`)"
            ));
        }
    }
    let config = Config {
        acs_url: args.acs_url,
        acs_username: args.acs_username,
        acs_password: secret(args.acs_password, args.acs_password_env, "acs-password")?,
        cpe_url: args.cpe_url,
        cr_username: args.cr_username,
        cr_password: secret(args.cr_password, args.cr_password_env, "cr-password")?,
        wan_target: args.wan_target,
        show_secrets: args.show_secrets,
    };
    let Some(pcap) = args.pcap else {
        return Err("nothing to diagnose: give --pcap FILE (or - for standard input)".into());
    };
    let mut input = if pcap.as_os_str() == "-" {
        Input::Stdin
    } else {
        Input::File(pcap)
    };
    // The evidence capture reads the capture a second time: standard input is kept in a file first.
    let spooled = match (&input, &args.evidence_pcap) {
        (Input::Stdin, Some(_)) => Some(spool_stdin()?),
        _ => None,
    };
    if let Some(s) = &spooled {
        input = Input::File(s.path.clone());
    }
    let baseline = args.baseline.map(Input::File);
    let progress = progress_bar(&input);
    let opts = crate::diagnose::Options {
        only: &args.only,
        baseline: baseline.as_ref(),
        progress: progress
            .clone()
            .map(|pb| Box::new(move |n| pb.set_position(n)) as Box<dyn FnMut(u64) + Send>),
        live: None,
    };
    let diagnosis =
        crate::diagnose::diagnose(Some(&input), &config, opts).map_err(|e| e.to_string())?;
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    let mut report = diagnosis.report;
    if let (Some(path), Some(facts)) = (&args.evidence_pcap, &diagnosis.facts) {
        let selection = crate::evidence_pcap::select(&report, facts);
        let link_types = &facts.capture.link_types;
        let mut written = crate::evidence_pcap::write(&input, &selection, link_types, path)?;
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

/// The report in the requested format.
pub fn render(report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Text => report::text::render(report, color),
        Format::Json => report::json::render(report),
        Format::Markdown => report::markdown::render(report),
        Format::Html => report::html::render(report),
    }
}
