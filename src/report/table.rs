//! The terminal table of a phase run and of `status`, built with comfy-table.

use std::collections::BTreeMap;
use std::fmt::Write;

use comfy_table::{
    Attribute, Cell, Color, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED,
};

use crate::checklist::{Checklist, plain};
use crate::runner::{PhaseReport, Readiness, section_label};
use crate::state::State;
use crate::verify::Outcome;

/// The width used when stdout is not a terminal, wide enough for evidence to stay readable.
const DEFAULT_WIDTH: u16 = 140;

pub fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if table.width().is_none() {
        table.set_width(DEFAULT_WIDTH);
    }
    table.set_header(header.iter().map(Cell::new));
    table
}

/// How many counted items ended in each outcome, approvals included.
pub fn counts(report: &PhaseReport) -> BTreeMap<Outcome, usize> {
    let mut counts = BTreeMap::new();
    for item in report.counted() {
        *counts.entry(item.outcome).or_insert(0) += 1;
    }
    for approval in &report.approvals {
        *counts.entry(approval.outcome).or_insert(0) += 1;
    }
    counts
}

/// The verdict in words, as the last line of the table and the only line of a run whose
/// reports go to files.
pub fn verdict_words(readiness: Readiness) -> &'static str {
    match readiness {
        Readiness::Ready => "READY",
        Readiness::NotReady => "NOT READY",
        Readiness::Unverified => "NOT VERIFIED (some items could not be checked)",
    }
}

/// `pre-deploy: NOT READY — 3 FAIL, 12 PENDING, 30 PASS`
pub fn verdict_line(report: &PhaseReport) -> String {
    let parts: Vec<String> = counts(report)
        .iter()
        .rev()
        .map(|(o, n)| format!("{n} {}", o.label()))
        .collect();
    format!(
        "{}: {} — {}",
        report.phase,
        verdict_words(report.readiness()),
        parts.join(", ")
    )
}

/// An outcome's cell, coloured when `colour` is on: green for PASS and SIGNED, red for FAIL,
/// bold magenta for ERROR (it is not a failure: barkcheck could not tell), yellow for PENDING.
fn outcome_cell(outcome: Outcome, colour: bool) -> Cell {
    let cell = Cell::new(outcome.label());
    if !colour {
        return cell;
    }
    let cell = match outcome {
        Outcome::Pass | Outcome::Signed => cell.fg(Color::Green),
        Outcome::Fail => cell.fg(Color::Red),
        Outcome::Error => cell.fg(Color::Magenta),
        Outcome::Pending => cell.fg(Color::Yellow),
        Outcome::Waived => cell.fg(Color::Cyan),
        Outcome::Skipped => cell.fg(Color::DarkGrey),
    };
    cell.add_attribute(Attribute::Bold)
}

/// The table of a phase run, grouped by section, and its summary.
pub fn phase_table(report: &PhaseReport) -> String {
    phase_table_styled(report, false)
}

/// The table of a phase run with its outcomes coloured when `colour` is on.
pub fn phase_table_styled(report: &PhaseReport, colour: bool) -> String {
    let mut table = new_table(&["Outcome", "Item", "Evidence"]);
    if colour {
        // comfy-table styles only at a terminal by itself; `--color always` styles anywhere.
        table.enforce_styling();
    }
    let mut section = None;
    for item in &report.items {
        if section.as_ref() != Some(&item.section) {
            section = Some(item.section.clone());
            table.add_row(vec![
                Cell::new(""),
                Cell::new(format!("▸ {}", plain(&item.section))),
                Cell::new(""),
            ]);
        }
        let indent = "  ".repeat(item.depth);
        let blocking = if item.blocking { "" } else { " (non-blocking)" };
        table.add_row(vec![
            outcome_cell(item.outcome, colour),
            Cell::new(format!(
                "{indent}{}{blocking}\n{indent}  {}",
                plain(&item.text),
                item.id
            )),
            Cell::new(super::evidence_lines(item).join("\n")),
        ]);
    }
    for approval in &report.approvals {
        if section.as_ref() != Some(&approval.section) {
            section = Some(approval.section.clone());
            table.add_row(vec![
                Cell::new(""),
                Cell::new(format!("▸ {}", approval.section)),
                Cell::new(""),
            ]);
        }
        let mut detail = match (&approval.by, approval.at) {
            _ if approval.outcome == Outcome::Skipped => approval.note.clone().unwrap_or_default(),
            (Some(by), Some(at)) => {
                format!("approved by {by}, {}", at.strftime("%Y-%m-%d %H:%M UTC"))
            }
            _ => format!("barkcheck approve --role \"{}\" --by NAME", approval.role),
        };
        if let Some(why) = &approval.invalidated {
            detail = format!("{detail}\n{why}");
        }
        table.add_row(vec![
            outcome_cell(approval.outcome, colour),
            Cell::new(format!("{} (approval)", approval.role)),
            Cell::new(detail),
        ]);
    }

    let mut out = format!(
        "{} — phase {} ({})\n",
        report.checklist, report.phase, report.phase_title
    );
    if let Some(d) = &report.deployment {
        let _ = writeln!(
            out,
            "deployment of {} (lead {}), environment {}",
            d.date, d.lead, report.environment
        );
    }
    let _ = writeln!(out, "{table}");
    for warning in &report.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    let _ = write!(out, "{}", verdict_line(report));
    out
}

/// The counts behind one row of `status`.
#[derive(Default)]
struct SectionProgress {
    label: String,
    signed: usize,
    manual: usize,
    /// Last-run outcomes of the automated items.
    outcomes: BTreeMap<Outcome, usize>,
    automated: usize,
}

/// Progress per phase and section from the state alone.
pub fn status_table(checklist: &Checklist, state: &State, only: Option<&str>) -> String {
    let mut out = String::new();
    for phase in checklist
        .phases
        .iter()
        .filter(|p| only.is_none_or(|o| o == p.id))
    {
        let last_run = state.runs.get(&phase.id);
        let mut table = new_table(&["Section", "Manual signed", "Automated (last run)"]);
        let entries = phase.entries();
        let parents: std::collections::HashSet<usize> =
            entries.iter().filter_map(|e| e.parent).collect();
        let mut rows: Vec<SectionProgress> = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let is_parent = parents.contains(&i);
            let label = section_label(entry);
            if rows.last().is_none_or(|r| r.label != label) {
                rows.push(SectionProgress {
                    label,
                    ..SectionProgress::default()
                });
            }
            let row = rows.last_mut().expect("a row was just pushed");
            if entry.item.check.is_some() {
                row.automated += 1;
                if let Some(outcome) = last_run.and_then(|r| r.outcomes.get(&entry.item.id)) {
                    *row.outcomes.entry(*outcome).or_insert(0) += 1;
                }
            } else if !is_parent {
                row.manual += 1;
                let signed = state
                    .signoffs
                    .get(&entry.item.id)
                    .is_some_and(|s| s.digest == entry.item.digest);
                row.signed += usize::from(signed);
            }
        }
        for SectionProgress {
            label,
            signed,
            manual,
            outcomes,
            automated,
        } in rows
        {
            let manual_text = if manual == 0 {
                "-".to_string()
            } else {
                format!("{signed}/{manual}")
            };
            let automated_text = if automated == 0 {
                "-".to_string()
            } else if outcomes.is_empty() {
                format!("{automated} not run yet")
            } else {
                let parts: Vec<String> = outcomes
                    .iter()
                    .map(|(o, n)| format!("{n} {}", o.label()))
                    .collect();
                let noun = if automated == 1 { "check" } else { "checks" };
                format!("{automated} {noun}: {}", parts.join(", "))
            };
            table.add_row(vec![
                Cell::new(plain(&label)),
                Cell::new(manual_text),
                Cell::new(automated_text),
            ]);
        }
        let approvals: Vec<(String, bool)> = phase
            .approvals()
            .map(|(_, role)| {
                let done = state
                    .approvals
                    .get(&phase.id)
                    .is_some_and(|r| r.contains_key(role));
                (role.to_string(), done)
            })
            .collect();
        let _ = writeln!(out, "phase {} ({})", phase.id, phase.title);
        if let Some(run) = last_run {
            let _ = writeln!(out, "last run: {}", run.at.strftime("%Y-%m-%d %H:%M UTC"));
        }
        let _ = writeln!(out, "{table}");
        if !approvals.is_empty() {
            let done = approvals.iter().filter(|(_, d)| *d).count();
            let list: Vec<String> = approvals
                .iter()
                .map(|(role, d)| format!("{role} {}", if *d { "✓" } else { "…" }))
                .collect();
            let _ = writeln!(
                out,
                "approvals {done}/{}: {}",
                approvals.len(),
                list.join(", ")
            );
        }
        out.push('\n');
    }
    out.trim_end().to_string()
}
