//! The command line (DESIGN.md §3): `check`, `checks`, `explain`, and the exit-code policy.
//!
//! Takes: the process arguments and environment. Gives: what to print and the exit status —
//! 0 no check failed, 1 at least one check failed, 2 could not run (bad usage, an unreadable or invalid
//! capture: one line naming the file and what is wrong, on stderr, nothing on stdout).

use std::io::Write;

use clap::{Parser, Subcommand, ValueEnum};

use crate::checks::catalog::catalog;
use crate::report::{self, Report};

mod args;
mod check;

pub use args::CheckArgs;

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

/// Runs the command line; returns the exit status.
pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Checks => {
            let mut out = String::new();
            let faq_width = catalog()
                .checks
                .iter()
                .map(|c| c.faq.len())
                .max()
                .unwrap_or(0);
            for c in &catalog().checks {
                out.push_str(&format!("{:<25} {:<faq_width$} {}\n", c.id, c.faq, c.title));
            }
            print_out(&out)
        }
        Command::Explain { id } => explain(&id),
        Command::Check(args) => match check::run(*args) {
            Ok(code) => code,
            Err(message) => {
                eprintln!("cwmp-doctor: {message}");
                EXIT_ERROR
            }
        },
    }
}

pub(crate) fn print_out(text: &str) -> u8 {
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

/// The report in the requested format.
pub fn render(report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Text => report::text::render(report, color),
        Format::Json => report::json::render(report),
        Format::Markdown => report::markdown::render(report),
        Format::Html => report::html::render(report),
    }
}
