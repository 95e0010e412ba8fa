//! Rendering results for people and machines: the terminal table, the JSON document, JUnit XML,
//! Markdown and HTML of a run, the whole checklist as a document, and the diff of two runs.
//! The only code that writes to stdout and that writes report files; it makes no AWS calls.

pub mod diff;
pub mod document;
mod html;
pub mod json;
mod junit;
mod markdown;
pub mod progress;
mod table;

pub use html::html_page;
pub use json::JSON_SCHEMA_VERSION;
pub use table::{new_table, phase_table, phase_table_styled, status_table, verdict_line};

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Context;

use crate::cli::Format;
use crate::runner::{ItemResult, PhaseReport};
use crate::verify::Outcome;

/// A reader that went away (`barkcheck run | head`) is not an error of barkcheck's.
fn tolerate_closed_pipe(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// A phase report in one format, ending with a newline.
pub fn render(format: Format, report: &PhaseReport) -> String {
    let mut text = match format {
        Format::Table => phase_table(report),
        Format::Json => json::document_text(report),
        Format::Junit => junit::junit(report),
        Format::Markdown => markdown::run_summary(report),
        Format::Html => html_page(
            &format!("{} — {}", report.checklist, report.phase),
            std::slice::from_ref(report),
        ),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
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

/// Prints text that a command produced (a report, status, confirmations).
pub fn print_text(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let text = text.strip_suffix('\n').unwrap_or(text);
    tolerate_closed_pipe(writeln!(out, "{text}"))
}

/// Writes a question without ending the line, for interactive commands.
pub fn prompt(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    write!(out, "{text}")?;
    out.flush()
}

/// Writes a report file, creating its directory (CI jobs often name `reports/...`).
pub fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create directory {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Appends to the file GitHub Actions shows as the job's summary (`$GITHUB_STEP_SUMMARY`).
pub fn append_file(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot append to {}", path.display()))
}

/// The Markdown of a run, as appended to `$GITHUB_STEP_SUMMARY`.
pub fn step_summary(report: &PhaseReport) -> String {
    render(Format::Markdown, report)
}

/// The evidence of an item in a few lines of plain text, the same in every format.
pub fn evidence_lines(item: &ItemResult) -> Vec<String> {
    let e = &item.evidence;
    let mut lines: Vec<String> = Vec::new();
    let failing = |lines: &mut Vec<String>| {
        for c in e.comparisons.iter().filter(|c| !c.ok) {
            lines.push(format!(
                "{}: expected {}, observed {}",
                c.field, c.expected, c.observed
            ));
        }
    };
    match item.outcome {
        Outcome::Pass => {
            let shown: Vec<String> = e
                .comparisons
                .iter()
                .map(|c| format!("{} {}", c.field, c.expected))
                .collect();
            let resource = e.resource.clone().unwrap_or_default();
            lines.push(format!("{resource}: {}", shown.join(", ")));
        }
        Outcome::Fail | Outcome::Error => {
            if let Some(resource) = &e.resource {
                lines.push(resource.clone());
            }
            failing(&mut lines);
        }
        Outcome::Signed => {
            let at = e
                .signed_at
                .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default();
            let by = e.signed_by.as_deref().unwrap_or("?");
            lines.push(format!("signed by {by}, {at}"));
        }
        Outcome::Waived => {
            if let Some(w) = &e.waiver {
                let ticket = w
                    .ticket
                    .as_ref()
                    .map(|t| format!(" [{t}]"))
                    .unwrap_or_default();
                lines.push(format!(
                    "waived by {} until {}: {}{ticket}",
                    w.by, w.until, w.reason
                ));
            }
            failing(&mut lines);
        }
        Outcome::Pending | Outcome::Skipped => {}
    }
    if let Some(message) = &e.message {
        lines.push(message.clone());
    }
    if let Some(note) = &e.note {
        lines.push(format!("note: {note}"));
    }
    if let Some(fix) = &e.fix {
        lines.push(format!("fix: {fix}"));
    }
    lines.retain(|l| !l.trim().is_empty());
    lines
}

/// The counted items of a report grouped by section, sections in the order they first appear.
pub fn by_section(report: &PhaseReport) -> Vec<(&str, Vec<&ItemResult>)> {
    let mut groups: Vec<(&str, Vec<&ItemResult>)> = Vec::new();
    for item in report.counted() {
        match groups.iter_mut().find(|(label, _)| *label == item.section) {
            Some((_, items)) => items.push(item),
            None => groups.push((item.section.as_str(), vec![item])),
        }
    }
    groups
}

/// The outcomes in the order reports list them: the ones needing attention first.
pub const OUTCOMES_WORST_FIRST: [Outcome; 7] = [
    Outcome::Error,
    Outcome::Fail,
    Outcome::Pending,
    Outcome::Waived,
    Outcome::Skipped,
    Outcome::Signed,
    Outcome::Pass,
];
