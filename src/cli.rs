//! The command line: global options shared by every command, and one struct per command.
//! The doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit codes, as written in `--help` and the README.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  the phase is ready: every blocking item passed, was signed or skipped, every role approved
  1  not ready: an item failed or is pending, or a role has not approved
  2  bad input or usage: the checklist, a flag, the state file
  3  some item could not be verified (an API error, a denied call, a timeout)";

/// barkcheck turns a production deployment checklist into a gate: it verifies what a machine
/// can decide (AWS, with evidence) and records what people sign.
#[derive(Debug, Parser)]
#[command(name = "barkcheck", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options that every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// The checklist file; without it, the bundled BarkBase production checklist.
    #[arg(long, global = true, value_name = "FILE")]
    pub checklist: Option<PathBuf>,

    /// Set a checklist variable, overriding its default and any --vars file. Repeatable.
    #[arg(long = "var", global = true, value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,

    /// A YAML file of variable values for one environment, like env/prod.yaml.
    #[arg(long = "vars", global = true, value_name = "FILE")]
    pub vars_file: Option<PathBuf>,

    /// The environment's name, which picks the default state file [default: the --vars file's
    /// name, or "default"].
    #[arg(long = "env", global = true, value_name = "NAME")]
    pub environment: Option<String>,

    /// The state file of sign-offs and approvals [default:
    /// .barkcheck/CHECKLIST.ENVIRONMENT.state.json].
    #[arg(long, global = true, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// The AWS profile to use from the shared config files.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// The AWS region [default: the standard chain, then the checklist's `region` variable].
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,

    /// Send every AWS call to this endpoint (a local stand-in); AWS_ENDPOINT_URL also works.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Verify a phase: run its automated checks and show every item with its evidence.
    Run(RunArgs),
    /// Show progress per phase and section from the state file, without calling AWS.
    Status(StatusArgs),
    /// Record that a manual item is done.
    Sign(SignArgs),
    /// Withdraw the sign-off of a manual item.
    Unsign(UnsignArgs),
    /// Go through a phase's pending manual items one by one at a terminal and sign them.
    Walk(WalkArgs),
    /// Record a role's approval of a phase (Security Lead, CTO, ...).
    Approve(ApproveArgs),
    /// Check a checklist file and report every problem in it with file:line:column.
    Lint,
    /// List the fields a verifier kind offers to `expect:`, with their types.
    Fields(FieldsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table grouped by section, then a summary.
    Table,
    /// One JSON document with a record per item.
    Json,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The phase to verify: pre-deploy, deploy, post-deploy, rollback, ...
    #[arg(long, value_name = "PHASE")]
    pub phase: String,

    /// How to print the result.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Resolve every name a probe uses (dns, http, tls, websocket) through this DNS server
    /// only, not the system resolver: IP or IP:PORT.
    #[arg(long, value_name = "IP[:PORT]", env = "BARKCHECK_DNS_SERVER")]
    pub dns_server: Option<String>,

    /// Trust the CA certificates in this PEM file too, besides the system's, when probing TLS
    /// endpoints (a private or test CA).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// The longest a probe waits for a connection, a handshake or an answer, in seconds.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_seconds)]
    pub probe_timeout: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Only this phase.
    #[arg(long, value_name = "PHASE")]
    pub phase: Option<String>,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The item's id, as shown by `run` and `status`.
    pub item: String,
    /// Who vouches for it.
    #[arg(long, value_name = "NAME")]
    pub by: String,
    /// What was checked, where the evidence is, a ticket.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct UnsignArgs {
    /// The item's id.
    pub item: String,
}

#[derive(Debug, Args)]
pub struct WalkArgs {
    /// The phase to walk.
    #[arg(long, value_name = "PHASE")]
    pub phase: String,
    /// Who signs [default: $USER].
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The role, as the checklist names it: "Security Lead", "CTO", ...
    #[arg(long, value_name = "ROLE")]
    pub role: String,
    /// Who approves.
    #[arg(long, value_name = "NAME")]
    pub by: String,
    /// The phase approved; needed when the role approves more than one phase.
    #[arg(long, value_name = "PHASE")]
    pub phase: Option<String>,
    /// A note kept with the approval.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct FieldsArgs {
    /// The verifier kind, like rds_instance; without it, every kind.
    pub kind: Option<String>,
}

fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds <= 300.0 => {
            Ok(std::time::Duration::from_secs_f64(seconds))
        }
        _ => Err(format!("`{text}` is not a number of seconds from 0 to 300")),
    }
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("`{text}` is not NAME=VALUE")),
    }
}
