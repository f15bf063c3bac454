//! `cwmp-doctor`: a thin main. Parsing, running and the exit-code policy live in [`cwmp_doctor::cli`].

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    ExitCode::from(cwmp_doctor::cli::run(cwmp_doctor::cli::Cli::parse()))
}
