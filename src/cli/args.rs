//! The flags of `cwmp-doctor check` (DESIGN.md §3 "Options", issue 4's live flags), with `--help` text.

use std::path::PathBuf;

use clap::Args;

use crate::cli::{ColorChoice, Format};

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
    /// Probe the network now from this machine (ping, DNS, TCP, TLS, the ACS's authentication, the
    /// router's connection request). Nothing is sent without it.
    #[arg(long)]
    pub live: bool,
    /// With --live: the DNS server to ask (address[:port]); default the system's resolvers.
    #[arg(long, value_name = "ADDR", requires = "live")]
    pub dns_server: Option<String>,
    /// With --live: run the probes N times and report each attempt (FAQ step 4: retest three times).
    #[arg(long, value_name = "N", default_value_t = 1, requires = "live")]
    pub repeat: u32,
    /// With --live: the time each probe may take, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 5.0, requires = "live")]
    pub timeout: f64,
    /// With --live: also post a BOOTSTRAP Inform as the device below and judge the InformResponse.
    /// This may create a device record on the ACS.
    #[arg(long, requires_all = ["live", "oui", "serial"])]
    pub emulate_inform: bool,
    /// The OUI of the emulated device (6 upper-case hex digits).
    #[arg(long, value_name = "OUI")]
    pub oui: Option<String>,
    /// The ProductClass of the emulated device.
    #[arg(long, value_name = "CLASS", default_value = "")]
    pub product_class: String,
    /// The SerialNumber of the emulated device.
    #[arg(long, value_name = "SERIAL")]
    pub serial: Option<String>,
    /// With --live: a CA certificate (PEM or DER) to trust besides the system's roots, e.g. the
    /// operator's private CA; may be repeated.
    #[arg(long, value_name = "FILE", requires = "live")]
    pub ca_file: Vec<PathBuf>,
}
