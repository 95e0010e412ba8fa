//! The command line: global options shared by every command, and one struct per command.
//! The doc comments here are the `--help` text.

use std::path::PathBuf;
use std::time::Duration;

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
    #[arg(long, global = true, value_name = "REGION", value_parser = parse_region)]
    pub region: Option<String>,

    /// Send every AWS call to this endpoint (a local stand-in); AWS_ENDPOINT_URL also works.
    #[arg(long, global = true, value_name = "URL", value_parser = parse_endpoint)]
    pub endpoint_url: Option<String>,

    /// When to colour outcomes: auto colours only at a terminal and not when NO_COLOR is set.
    #[arg(long, global = true, value_name = "WHEN", value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// At a terminal, unless NO_COLOR is set or TERM is dumb.
    Auto,
    /// Always, even into a pipe or a file (and whatever NO_COLOR says).
    Always,
    /// Never.
    Never,
}

impl ColorWhen {
    /// The choice when it is not left to the terminal.
    pub fn forced(self) -> Option<bool> {
        match self {
            ColorWhen::Auto => None,
            ColorWhen::Always => Some(true),
            ColorWhen::Never => Some(false),
        }
    }
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
    /// Record a role's approval of a phase (Security Lead, CTO, ...), bound to its last run.
    Approve(ApproveArgs),
    /// Accept an item's failure until a date: it shows as WAIVED and does not fail the gate.
    Waive(WaiveArgs),
    /// Withdraw a waiver.
    Unwaive(UnwaiveArgs),
    /// Open a new deployment (lead, date): the last one's record is archived, the next starts
    /// clean.
    Open(OpenArgs),
    /// Show the history of the state: every sign-off, approval, waiver and run, with who, when
    /// and from which host.
    Log(LogArgs),
    /// Prove the history was not edited by hand and that the state is what it records.
    Verify,
    /// Check a checklist file and report every problem in it with file:line:column.
    Lint,
    /// List the fields a verifier kind offers to `expect:`, with their types.
    Fields(FieldsArgs),
    /// Render the whole checklist from the record (every phase, ticked from the state and each
    /// phase's last run), as Markdown in the source document's shape or as HTML; no AWS calls.
    Report(ReportArgs),
    /// Compare two `run --format json` reports: what failed, was fixed, signed, waived, added
    /// or removed. Exits 0 when nothing got worse, 1 when something did, 2 when a report cannot
    /// be read or the two are of different phases.
    Diff(DiffArgs),
    /// Explain an item: what it checks, the AWS calls and IAM actions, what it last observed,
    /// how to fix it; for a manual item, who signed it.
    Explain(ExplainArgs),
    /// Print the least-privilege, read-only IAM policy that the selected checks need.
    IamPolicy(IamPolicyArgs),
    /// Print a shell completion script: barkcheck completions bash > /etc/bash_completion.d/...
    Completions(CompletionsArgs),
    /// Print the man page, roff: barkcheck man | man -l -
    Man(ManArgs),
    /// Print the JSON Schema of the checklist format, for an editor's YAML support.
    Schema,
    /// Turn a Markdown checklist (`- [ ]` boxes under headings) into a checklist file.
    Import(ImportArgs),
}

/// Which items of a phase to run; with none of these, the whole phase.
#[derive(Debug, Default, Clone, Args)]
#[command(next_help_heading = "Selection (values of one flag add up; different flags narrow)")]
pub struct Selection {
    /// Only this section or numbered step, by id. Repeatable.
    #[arg(long = "section", value_name = "ID")]
    pub sections: Vec<String>,
    /// Only this item and its sub-items, by id. Repeatable.
    #[arg(long = "item", value_name = "ID")]
    pub items: Vec<String>,
    /// Only items with this tag (and their sub-items). Repeatable.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Leave out this item (with its sub-items) or section. Repeatable.
    #[arg(long = "skip", value_name = "ID")]
    pub skip: Vec<String>,
    /// Only automated items (those with a `verify:` block).
    #[arg(long)]
    pub only_automated: bool,
}

impl Selection {
    pub fn filter(&self) -> crate::checklist::select::Filter {
        crate::checklist::select::Filter {
            sections: self.sections.clone(),
            items: self.items.clone(),
            tags: self.tags.clone(),
            skip: self.skip.clone(),
            only_automated: self.only_automated,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table grouped by section, then a summary.
    Table,
    /// One JSON document with a record per item (docs/report-json.md).
    Json,
    /// JUnit XML for CI test reports: a testsuite per section, a testcase per item.
    Junit,
    /// Markdown for a pull-request comment or $GITHUB_STEP_SUMMARY.
    Markdown,
    /// One self-contained HTML page, readable without a server.
    Html,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The phase to verify: pre-deploy, deploy, post-deploy, rollback, ...
    #[arg(long, value_name = "PHASE")]
    pub phase: String,

    /// How to print the result, and the format of an --output whose name does not say.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Write the result to this file (repeatable). The format is FORMAT: when given
    /// (junit:out.xml), else the extension's (.xml junit, .json json, .md markdown, .html
    /// html, .txt table), else --format. With outputs, stdout shows only the verdict line.
    #[arg(long = "output", value_name = "[FORMAT:]PATH", value_parser = parse_output)]
    pub outputs: Vec<Output>,

    /// Seconds one attempt of one AWS call may take before it counts as timed out (each call
    /// is tried up to 3 times).
    #[arg(long, value_name = "SECONDS", default_value_t = 15.0)]
    pub timeout: f64,

    /// The most AWS requests in flight to one service at a time. Lower it when AWS throttles a
    /// run; throttled calls are retried and the whole run slows down meanwhile.
    #[arg(long, value_name = "N", default_value_t = crate::verify::DEFAULT_MAX_CONCURRENCY,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub max_concurrency: u16,

    /// Let `command` checks run their programs (like `npm audit --json`); without it they are
    /// SKIPPED, since a checklist could name any program.
    #[arg(long)]
    pub allow_commands: bool,

    /// How long a `command` check's program may run before it is killed, unless the check sets
    /// its own `timeout` [default: 300].
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub command_timeout: Option<Duration>,

    /// How long connecting to a database, and each of its queries, may take [default: 10].
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub database_timeout: Option<Duration>,

    /// Resolve every name a probe uses (dns, http, tls, websocket) through this DNS server
    /// only, not the system resolver: IP or IP:PORT.
    #[arg(long, value_name = "IP[:PORT]", env = "BARKCHECK_DNS_SERVER")]
    pub dns_server: Option<String>,

    /// Trust the CA certificates in this PEM file too, besides the system's, when probing TLS
    /// endpoints (a private or test CA).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// The longest a probe waits for a connection, a handshake or an answer, in seconds.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_probe_seconds)]
    pub probe_timeout: std::time::Duration,
    /// Check this target of the --vars file's `targets:` (an account and region, with its
    /// profile and variables); repeatable. Targets are checked concurrently, each in a process
    /// of its own with the state of an environment named after it.
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,

    /// Check every target of the --vars file.
    #[arg(long, conflicts_with = "targets")]
    pub all_targets: bool,

    #[command(flatten)]
    pub selection: Selection,

    /// Every manual item must be signed, blocking or not (a waiver still counts).
    #[arg(long, conflicts_with = "no_manual")]
    pub require_signed: bool,

    /// Judge automated items only: manual items and approvals show SKIPPED ("not judged") and
    /// do not gate. Such a run is not recorded.
    #[arg(long)]
    pub no_manual: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The item's id, as shown by `run` and `status`.
    pub item: String,
}

#[derive(Debug, Args)]
pub struct IamPolicyArgs {
    /// Only the checks of this phase [default: every phase].
    #[arg(long, value_name = "PHASE")]
    pub phase: Option<String>,

    #[command(flatten)]
    pub selection: Selection,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A command's own page, like `run` [default: the page of barkcheck itself].
    pub command: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The Markdown checklist.
    pub file: PathBuf,
    /// Write the checklist here instead of to stdout; an existing file is replaced.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
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
    #[arg(long, value_name = "NAME", value_parser = parse_words)]
    pub by: String,
    /// What was checked, where the evidence is, a ticket.
    #[arg(long, value_name = "TEXT", value_parser = parse_words)]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct UnsignArgs {
    /// The item's id.
    pub item: String,
    /// Who withdraws it [default: $USER].
    #[arg(long, value_name = "NAME", value_parser = parse_words)]
    pub by: Option<String>,
    /// Why, for the history.
    #[arg(long, value_name = "TEXT", value_parser = parse_words)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct WaiveArgs {
    /// The item's id.
    pub item: String,
    /// Why the failure is accepted.
    #[arg(long, value_name = "TEXT", value_parser = parse_words)]
    pub reason: String,
    /// When the waiver ends: 2026-12-31 (the end of that day, UTC), 2026-12-31T18:00:00+01:00,
    /// or 2026-12-31T18:00[Europe/Paris].
    #[arg(long, value_name = "DATE")]
    pub until: String,
    /// Who accepts it.
    #[arg(long, value_name = "NAME", value_parser = parse_words)]
    pub by: String,
    /// A ticket that tracks the fix.
    #[arg(long, value_name = "REF", value_parser = parse_words)]
    pub ticket: Option<String>,
}

#[derive(Debug, Args)]
pub struct UnwaiveArgs {
    /// The item's id.
    pub item: String,
    /// Who withdraws it [default: $USER].
    #[arg(long, value_name = "NAME", value_parser = parse_words)]
    pub by: Option<String>,
    /// Why, for the history.
    #[arg(long, value_name = "TEXT", value_parser = parse_words)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The deployment lead.
    #[arg(long, value_name = "NAME", value_parser = parse_words)]
    pub lead: String,
    /// The deployment date, YYYY-MM-DD [default: today, UTC].
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// Who opens it [default: the lead].
    #[arg(long, value_name = "NAME", value_parser = parse_words)]
    pub by: Option<String>,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only entries about this item.
    #[arg(long, value_name = "ITEM")]
    pub item: Option<String>,
    /// Only the last N entries.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

#[derive(Debug, Args)]
pub struct WalkArgs {
    /// The phase to walk.
    #[arg(long, value_name = "PHASE")]
    pub phase: String,
    /// Who signs [default: $USER].
    #[arg(long, value_name = "NAME", value_parser = parse_words)]
    pub by: Option<String>,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The role, as the checklist names it: "Security Lead", "CTO", ...
    #[arg(long, value_name = "ROLE")]
    pub role: String,
    /// Who approves.
    #[arg(long, value_name = "NAME", value_parser = parse_words)]
    pub by: String,
    /// The phase approved; needed when the role approves more than one phase.
    #[arg(long, value_name = "PHASE")]
    pub phase: Option<String>,
    /// A note kept with the approval.
    #[arg(long, value_name = "TEXT", value_parser = parse_words)]
    pub note: Option<String>,
}

/// A report file asked for with `--output`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The format named by a `FORMAT:` prefix, if any.
    pub format: Option<Format>,
    pub path: PathBuf,
}

impl Output {
    /// The output's format: its prefix, else its extension, else `fallback` (--format).
    pub fn format_or(&self, fallback: Format) -> Format {
        let by_extension = match self.path.extension().and_then(|e| e.to_str()) {
            Some("xml") => Some(Format::Junit),
            Some("json") => Some(Format::Json),
            Some("md") => Some(Format::Markdown),
            Some("html" | "htm") => Some(Format::Html),
            Some("txt") => Some(Format::Table),
            _ => None,
        };
        self.format.or(by_extension).unwrap_or(fallback)
    }
}

/// The formats `barkcheck report` renders the whole checklist in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocumentFormat {
    /// The source document's shape: parts, sections, numbered steps, ticked boxes, sign-offs.
    Markdown,
    /// One self-contained HTML page with every phase.
    Html,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The format of the document.
    #[arg(long, value_enum, default_value_t = DocumentFormat::Markdown)]
    pub format: DocumentFormat,
    /// Write it to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier report (`barkcheck run --format json`).
    pub old: PathBuf,
    /// The later report.
    pub new: PathBuf,
    /// How to print the changes.
    #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
}

/// The formats `barkcheck diff` prints in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// A table of the changes, then a summary line.
    Table,
    /// One JSON document (docs/report-json.md).
    Json,
    /// Markdown for a pull-request comment.
    Markdown,
}

#[derive(Debug, Args)]
pub struct FieldsArgs {
    /// The verifier kind, like rds_instance; without it, every kind.
    pub kind: Option<String>,
}

fn parse_probe_seconds(text: &str) -> Result<std::time::Duration, String> {
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

/// `[FORMAT:]PATH`: a prefix that looks like a format name must be one.
fn parse_output(text: &str) -> Result<Output, String> {
    if text.trim().is_empty() {
        return Err("--output needs a file name".into());
    }
    if let Some((prefix, path)) = text.split_once(':') {
        // A one-letter prefix is a Windows drive (C:\...), not a format.
        let looks_like_format = prefix.len() > 1 && prefix.chars().all(|c| c.is_ascii_alphabetic());
        if looks_like_format {
            let format = Format::from_str(prefix, true).map_err(|_| {
                let names: Vec<String> = Format::value_variants()
                    .iter()
                    .filter_map(|f| f.to_possible_value())
                    .map(|v| v.get_name().to_string())
                    .collect();
                format!(
                    "`{prefix}` is not a format ({}); write ./{text} for a file of that name",
                    names.join(", ")
                )
            })?;
            if path.is_empty() {
                return Err(format!("`{text}` names no file after the format"));
            }
            return Ok(Output {
                format: Some(format),
                path: PathBuf::from(path),
            });
        }
    }
    Ok(Output {
        format: None,
        path: PathBuf::from(text),
    })
}

fn parse_region(text: &str) -> Result<String, String> {
    let ok = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!("`{text}` is not a region like us-east-1"))
    }
}

fn parse_endpoint(text: &str) -> Result<String, String> {
    let rest = text
        .strip_prefix("http://")
        .or_else(|| text.strip_prefix("https://"));
    match rest {
        Some(host)
            if !host.is_empty()
                && !host.starts_with('/')
                && !host.contains(char::is_whitespace) =>
        {
            Ok(text.to_string())
        }
        _ => Err(format!("`{text}` is not a URL like http://127.0.0.1:4566")),
    }
}

/// Refuses control characters (terminal escapes among them) in names and notes that tables
/// and logs will show.
pub fn parse_words(text: &str) -> Result<String, String> {
    match text.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!("control character {:?} is not allowed here", c)),
        None => Ok(text.to_string()),
    }
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds.is_finite() => Ok(Duration::from_secs_f64(seconds)),
        _ => Err(format!(
            "`{text}` is not a number of seconds greater than 0"
        )),
    }
}

/// Every `--var NAME=VALUE` of a command line, wherever it stands, in order; later values of a
/// name win when they are applied. Arguments after `--` are not flags.
pub fn var_flags(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<(String, String)> {
    let mut vars = Vec::new();
    let mut args = args.map(|a| a.to_string_lossy().into_owned());
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--" => break,
            "--var" => args.next(),
            other => other.strip_prefix("--var=").map(str::to_string),
        };
        if let Some(Ok(pair)) = value.as_deref().map(parse_var) {
            vars.push(pair);
        }
    }
    vars
}

#[cfg(test)]
mod var_flag_tests {
    use super::var_flags;

    #[test]
    fn every_var_flag_counts_before_and_after_the_command() {
        let line = [
            "--var",
            "a=1",
            "run",
            "--var=b=2",
            "--vars",
            "f.yaml",
            "--var",
            "a=3",
        ];
        let found = var_flags(line.iter().map(Into::into));
        let expected =
            [("a", "1"), ("b", "2"), ("a", "3")].map(|(n, v)| (n.to_string(), v.to_string()));
        assert_eq!(found, expected);
        let after_dashes = var_flags(["--", "--var", "x=1"].iter().map(Into::into));
        assert!(after_dashes.is_empty());
    }
}
