//! Rendering results for people and machines; the only code that writes to stdout.

pub mod progress;
mod table;

pub use table::{new_table, phase_table, phase_table_styled, status_table};

use std::io::{IsTerminal, Write};

use crate::runner::PhaseReport;

/// A reader that went away (`barkcheck run | head`) is not an error of barkcheck's.
fn tolerate_closed_pipe(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// The version of the JSON report's shape; bumped on any change a consumer could notice.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Prints a phase report as a table and a summary.
pub fn print_table(report: &PhaseReport) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    tolerate_closed_pipe(writeln!(out, "{}", phase_table(report)))
}

/// Prints a phase report as a table with its outcomes coloured when `colour` is on.
pub fn print_table_styled(report: &PhaseReport, colour: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    tolerate_closed_pipe(writeln!(out, "{}", phase_table_styled(report, colour)))
}

/// Whether to colour what goes to stdout: as `forced` (`--color always|never`), else only at a
/// terminal, and not when NO_COLOR is set to anything (the NO_COLOR convention) or TERM is `dumb`.
pub fn colour_stdout(forced: Option<bool>) -> bool {
    if let Some(forced) = forced {
        return forced;
    }
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    std::io::stdout().is_terminal() && !no_color && !dumb
}

/// Prints a phase report as one JSON document.
pub fn print_json(report: &PhaseReport) -> std::io::Result<()> {
    let document = serde_json::json!({
        "schema": JSON_SCHEMA_VERSION,
        "checklist": report.checklist,
        "phase": report.phase,
        "environment": report.environment,
        "started": report.started,
        "readiness": report.readiness(),
        "summary": table::counts(report).into_iter()
            .map(|(o, n)| (o.label().to_string(), serde_json::json!(n)))
            .collect::<serde_json::Map<_, _>>(),
        "items": report.items,
        "approvals": report.approvals,
        "warnings": report.warnings,
        "deployment": report.deployment,
    });
    let mut out = std::io::stdout().lock();
    let text = serde_json::to_string_pretty(&document)?;
    tolerate_closed_pipe(writeln!(out, "{text}"))
}

/// Prints text that a command produced for people (status, confirmations).
pub fn print_text(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    tolerate_closed_pipe(writeln!(out, "{text}"))
}

/// Writes a question without ending the line, for interactive commands.
pub fn prompt(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    write!(out, "{text}")?;
    out.flush()
}
