//! The whole checklist rendered back as Markdown in the source document's shape, ticked from
//! the record: `##` parts, `###` sections, numbered steps, nested `- [ ]` / `- [x]` boxes,
//! the role sign-off lines, and under each box an indented note with its evidence. Meant to be
//! committed next to the deployment it records.
//!
//! The checklist model keeps each section's part (`##`) and title (`###`), but phases regroup
//! the document: a part's sections may sit in several phases (Deployment Execution holds a
//! section of pre-deploy, deploy and post-deploy). Parts are written in the order they first
//! appear, each with all its sections, and the parts that hold only sign-offs close the
//! document, as in the source.

use std::collections::HashMap;
use std::fmt::Write;

use crate::checklist::{Checklist, Item, Phase, Section};
use crate::runner::{ApprovalResult, ItemResult, PhaseReport};
use crate::state::State;
use crate::verify::Outcome;

use super::markdown::{cell, md_line, md_plain};
use super::table::verdict_words;

/// The blank the source document leaves for a name or a date.
const BLANK_NAME: &str = "_________________";
const BLANK_DATE: &str = "_______";

/// Renders `checklist` with every phase's recorded report (`reports`, in phase order).
pub fn checklist_markdown(checklist: &Checklist, state: &State, reports: &[PhaseReport]) -> String {
    let results: HashMap<&str, &ItemResult> = reports
        .iter()
        .flat_map(|r| r.items.iter().map(|i| (i.id.as_str(), i)))
        .collect();
    let approvals: HashMap<(&str, &str), &ApprovalResult> = reports
        .iter()
        .flat_map(|r| {
            r.approvals
                .iter()
                .map(move |a| ((r.phase.as_str(), a.role.as_str()), a))
        })
        .collect();

    let mut out = String::new();
    header(&mut out, checklist, state, reports);

    for part in parts(checklist) {
        out.push_str("---\n\n");
        if let Some(title) = part.title {
            let _ = writeln!(out, "## {}\n", md_line(title));
        }
        for (phase, section) in part.sections {
            let heading = if part.title.is_some() { "###" } else { "##" };
            if let Some(title) = &section.title {
                let _ = writeln!(out, "{heading} {}\n", md_line(title));
            } else if part.title.is_none() {
                let _ = writeln!(out, "{heading} {}\n", md_line(&section.id));
            }
            notes(&mut out, section.notes.as_deref(), "");
            items(&mut out, &section.items, "", &results);
            if !section.items.is_empty() {
                out.push('\n');
            }
            for (number, step) in section.sections.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{}. {}\n",
                    number + 1,
                    md_line(step.title.as_deref().unwrap_or(&step.id))
                );
                notes(&mut out, step.notes.as_deref(), "   ");
                items(&mut out, &step.items, "   ", &results);
                out.push('\n');
            }
            for role in &section.approvals {
                sign_off(
                    &mut out,
                    approvals.get(&(phase.id.as_str(), role.as_str())),
                    role,
                );
            }
            if !section.approvals.is_empty() {
                out.push('\n');
            }
        }
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// The document's header with the deployment record, then the verdict of each phase.
fn header(out: &mut String, checklist: &Checklist, state: &State, reports: &[PhaseReport]) {
    let _ = writeln!(out, "# {}\n", md_line(&checklist.name));
    if let Some(version) = &checklist.version {
        let _ = writeln!(out, "**Version**: {}\n", md_plain(version));
    }
    let _ = writeln!(
        out,
        "**Target Environment**: {}\n",
        md_plain(&state.environment)
    );
    let (date, lead) = match &state.deployment {
        Some(d) => (md_plain(&d.date), md_plain(&d.lead)),
        None => (BLANK_NAME.to_string(), BLANK_NAME.to_string()),
    };
    let _ = writeln!(out, "**Deployment Date**: {date}\n");
    let _ = writeln!(out, "**Deployment Lead**: {lead}\n");
    out.push_str(
        "_Rendered by barkcheck from the record: manual items as signed now, automated items as \
         each phase's last run found them._\n\n",
    );
    out.push_str("| Phase | Last run | Verdict | Counts |\n|---|---|---|---|\n");
    for report in reports {
        let last_run = state
            .runs
            .get(&report.phase)
            .map(|r| r.at.strftime("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "never".into());
        let counts: Vec<String> = super::table::counts(report)
            .iter()
            .rev()
            .map(|(o, n)| format!("{n} {}", o.label()))
            .collect();
        let _ = writeln!(
            out,
            "| {} ({}) | {last_run} | {} | {} |",
            cell(&report.phase),
            cell(&report.phase_title),
            verdict_words(report.readiness()),
            counts.join(", ")
        );
    }
    out.push('\n');
}

/// A `##` part and its sections from every phase; `title` is None for a section without a part,
/// which then stands as a part of its own.
struct Part<'a> {
    title: Option<&'a str>,
    sections: Vec<(&'a Phase, &'a Section)>,
}

fn parts(checklist: &Checklist) -> Vec<Part<'_>> {
    let mut parts: Vec<Part<'_>> = Vec::new();
    for phase in &checklist.phases {
        for section in &phase.sections {
            let existing = section
                .part
                .as_deref()
                .and_then(|t| parts.iter_mut().find(|p| p.title == Some(t)));
            match existing {
                Some(part) => part.sections.push((phase, section)),
                None => parts.push(Part {
                    title: section.part.as_deref(),
                    sections: vec![(phase, section)],
                }),
            }
        }
    }
    // Sign-offs close the document: a part of nothing but approvals goes last.
    let only_sign_offs = |p: &Part<'_>| {
        p.sections
            .iter()
            .all(|(_, s)| !s.approvals.is_empty() && s.items.is_empty() && s.sections.is_empty())
    };
    let (sign_offs, mut rest): (Vec<Part<'_>>, Vec<Part<'_>>) =
        parts.into_iter().partition(only_sign_offs);
    rest.extend(sign_offs);
    rest
}

/// A section's or step's notes as written, line by line (hard line breaks keep them apart).
fn notes(out: &mut String, notes: Option<&str>, indent: &str) {
    let lines: Vec<&str> = notes
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let listed = |l: &str| l.starts_with("- ");
    for (i, line) in lines.iter().enumerate() {
        // A hard break joins lines of text; a list item ends its line by itself.
        let joined = lines
            .get(i + 1)
            .is_some_and(|next| !listed(next) && !listed(line));
        let brk = if joined { "\\" } else { "" };
        let _ = writeln!(out, "{indent}{}{brk}", md_plain(line));
    }
    if !lines.is_empty() {
        out.push('\n');
    }
}

/// The boxes of `list` and their sub-items, each with its evidence below it.
fn items(out: &mut String, list: &[Item], indent: &str, results: &HashMap<&str, &ItemResult>) {
    for item in list {
        let result = results.get(item.id.as_str()).copied();
        let done = result.is_some_and(|r| matches!(r.outcome, Outcome::Pass | Outcome::Signed));
        let _ = writeln!(
            out,
            "{indent}- [{}] {}",
            if done { "x" } else { " " },
            md_line(&item.text)
        );
        let inner = format!("{indent}  ");
        if let Some(note) = result.and_then(evidence_note) {
            let _ = writeln!(out, "{inner}> {note}");
        }
        items(out, &item.items, &inner, results);
    }
}

/// The note under a box: the outcome and its evidence on one line. A parent without a check of
/// its own has none (its sub-items carry it), nor has a manual item nobody signed.
fn evidence_note(result: &ItemResult) -> Option<String> {
    let sums_up = !result.automated
        && result
            .evidence
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("sums up"));
    if sums_up {
        return None;
    }
    let lines = super::evidence_lines(result);
    if lines.is_empty() && result.outcome == Outcome::Pending {
        return None;
    }
    let label = if result.blocking || result.outcome == Outcome::Skipped {
        result.outcome.label().to_string()
    } else {
        format!("{} (non-blocking)", result.outcome.label())
    };
    let mut note = format!("**{label}**");
    if !lines.is_empty() {
        let _ = write!(note, " — {}", md_plain(&lines.join(" · ")));
    }
    Some(note)
}

/// A role's sign-off line, as the source document writes it, filled in when approved.
fn sign_off(out: &mut String, approval: Option<&&ApprovalResult>, role: &str) {
    let approved = approval.filter(|a| a.outcome == Outcome::Signed);
    match approved.and_then(|a| a.by.as_deref().zip(a.at)) {
        Some((by, at)) => {
            let _ = writeln!(
                out,
                "- [x] **{}**: {} Date: {}",
                md_plain(role),
                md_plain(by),
                at.strftime("%Y-%m-%d")
            );
            if let Some(note) = approval.and_then(|a| a.note.as_deref()) {
                let _ = writeln!(out, "  > note: {}", md_plain(note));
            }
        }
        None => {
            let _ = writeln!(
                out,
                "- [ ] **{}**: {BLANK_NAME} Date: {BLANK_DATE}",
                md_plain(role)
            );
            if let Some(why) = approval.and_then(|a| a.invalidated.as_deref()) {
                let _ = writeln!(out, "  > {}", md_plain(why));
            }
        }
    }
}
