//! What changed between two run reports (`barkcheck run --format json`) of one phase: items
//! newly failing, erroring, pending, waived, signed or skipped, items fixed, items added or
//! removed, approvals given or lost; and whether anything got worse, which `barkcheck diff`
//! turns into its exit code.
//!
//! Only items that stand for themselves are compared (leaves, and parents with a check of their
//! own), as in the run's counts: a parent that sums up its sub-items would report each change
//! twice.

use std::fmt::Write;

use comfy_table::Cell;
use serde::Serialize;

use crate::checklist::plain;
use crate::verify::Outcome;

use super::json::{DocumentApproval, DocumentItem, RunDocument};
use super::markdown::{code, md_line, md_plain};

/// The version of the diff document's shape (`--format json`), bumped on any change.
pub const DIFF_SCHEMA_VERSION: u32 = 1;

/// How an item or approval changed, named by where it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    NewlyFailing,
    NewlyErroring,
    NewlyPending,
    NewlyWaived,
    Fixed,
    NewlySigned,
    NewlySkipped,
    Added,
    Removed,
    Approved,
    ApprovalLost,
}

impl Change {
    fn words(self) -> &'static str {
        match self {
            Change::NewlyFailing => "newly failing",
            Change::NewlyErroring => "newly erroring",
            Change::NewlyPending => "newly pending",
            Change::NewlyWaived => "newly waived",
            Change::Fixed => "fixed",
            Change::NewlySigned => "newly signed",
            Change::NewlySkipped => "newly skipped",
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Approved => "approved",
            Change::ApprovalLost => "approval lost",
        }
    }
}

/// One changed item or approval.
#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    pub change: Change,
    /// The item's id, or `approval:ROLE` for an approval.
    pub id: String,
    pub text: String,
    pub section: String,
    /// The outcome before; None for an added item.
    pub old: Option<Outcome>,
    /// The outcome now; None for a removed item.
    pub new: Option<Outcome>,
    /// Whether this change makes the gate worse.
    pub worse: bool,
    /// What the later report says about it, in a line (the evidence, the signer, the waiver).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// The changes between two reports.
#[derive(Debug, Serialize)]
pub struct Diff {
    /// The version of this document's shape (docs/report-json.md).
    pub schema: u32,
    pub checklist: String,
    pub phase: String,
    pub old: Side,
    pub new: Side,
    pub changes: Vec<Changed>,
    /// Items and approvals whose outcome did not change.
    pub unchanged: usize,
    pub worse: bool,
}

/// One of the two reports compared.
#[derive(Debug, Serialize)]
pub struct Side {
    pub environment: String,
    pub started: jiff::Timestamp,
    pub readiness: String,
}

/// How bad an outcome is for the gate; a change to a higher rank is a change for the worse.
fn rank(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Pass | Outcome::Signed | Outcome::Skipped => 0,
        Outcome::Waived => 1,
        Outcome::Pending => 2,
        Outcome::Fail => 3,
        Outcome::Error => 4,
    }
}

/// The change an item's move from `old` to `new` is, named by where it ended.
fn classify(new: Outcome) -> Change {
    match new {
        Outcome::Fail => Change::NewlyFailing,
        Outcome::Error => Change::NewlyErroring,
        Outcome::Pending => Change::NewlyPending,
        Outcome::Waived => Change::NewlyWaived,
        Outcome::Pass => Change::Fixed,
        Outcome::Signed => Change::NewlySigned,
        Outcome::Skipped => Change::NewlySkipped,
    }
}

/// Compares two reports of the same phase; reports of different phases or checklists are
/// refused, different environments allowed (staging against production).
pub fn diff(old: &RunDocument, new: &RunDocument) -> anyhow::Result<Diff> {
    if old.checklist != new.checklist {
        anyhow::bail!(
            "the reports are of different checklists (\"{}\" and \"{}\")",
            old.checklist,
            new.checklist
        );
    }
    if old.phase != new.phase {
        anyhow::bail!(
            "the reports are of different phases ({} and {}); compare runs of one phase",
            old.phase,
            new.phase
        );
    }
    let mut changes = Vec::new();
    let mut unchanged = 0;
    let before = old.counted();
    let after = new.counted();
    for item in &after {
        match before.iter().find(|b| b.id == item.id) {
            // TODO: evidence that changed under an unchanged outcome (a FAIL whose observed
            // value moved) is not reported; only outcomes are compared.
            Some(was) if was.outcome == item.outcome => unchanged += 1,
            Some(was) => changes.push(Changed {
                change: classify(item.outcome),
                worse: rank(item.outcome) > rank(was.outcome),
                old: Some(was.outcome),
                ..changed(item)
            }),
            None => changes.push(Changed {
                change: Change::Added,
                worse: rank(item.outcome) > 0,
                old: None,
                ..changed(item)
            }),
        }
    }
    for item in before
        .iter()
        .filter(|b| !after.iter().any(|a| a.id == b.id))
    {
        changes.push(Changed {
            change: Change::Removed,
            id: item.id.clone(),
            text: item.text.clone(),
            section: item.section.clone(),
            old: Some(item.outcome),
            new: None,
            worse: false,
            detail: String::new(),
        });
    }

    let approvals_before = old.approvals_by_role();
    for ((section, role), approval) in new.approvals_by_role() {
        let was = approvals_before.get(&(section.clone(), role.clone()));
        let was_approved = was.is_some_and(|a| a.outcome == Outcome::Signed);
        let is_approved = approval.outcome == Outcome::Signed;
        let same_approver = was.is_some_and(|a| a.by == approval.by && a.at == approval.at);
        if was_approved == is_approved && (same_approver || !is_approved) {
            unchanged += 1;
            continue;
        }
        changes.push(Changed {
            change: if is_approved {
                Change::Approved
            } else {
                Change::ApprovalLost
            },
            id: format!("approval:{role}"),
            text: format!("{role} (approval)"),
            section,
            old: was.map(|a| a.outcome),
            new: Some(approval.outcome),
            worse: was_approved && !is_approved,
            detail: approval_detail(approval),
        });
    }
    changes.sort_by(|a, b| (a.change, &a.section).cmp(&(b.change, &b.section)));
    let worse = changes.iter().any(|c| c.worse);
    let side = |d: &RunDocument| Side {
        environment: d.environment.clone(),
        started: d.started,
        readiness: d.readiness.clone(),
    };
    Ok(Diff {
        schema: DIFF_SCHEMA_VERSION,
        checklist: new.checklist.clone(),
        phase: new.phase.clone(),
        old: side(old),
        new: side(new),
        changes,
        unchanged,
        worse,
    })
}

fn changed(item: &DocumentItem) -> Changed {
    let result = crate::runner::ItemResult {
        id: item.id.clone(),
        text: item.text.clone(),
        section: item.section.clone(),
        section_id: String::new(),
        depth: 0,
        parent: item.parent.clone(),
        outcome: item.outcome,
        automated: item.automated,
        blocking: item.blocking,
        not_run: false,
        evidence: item.evidence.clone(),
    };
    Changed {
        change: Change::Added,
        id: item.id.clone(),
        text: item.text.clone(),
        section: item.section.clone(),
        old: None,
        new: Some(item.outcome),
        worse: false,
        detail: super::evidence_lines(&result).join("; "),
    }
}

fn approval_detail(approval: &DocumentApproval) -> String {
    if let Some(why) = &approval.invalidated {
        return why.clone();
    }
    match (&approval.by, approval.at) {
        (Some(by), Some(at)) if approval.outcome == Outcome::Signed => {
            format!("approved by {by}, {}", at.strftime("%Y-%m-%d %H:%M UTC"))
        }
        _ => String::new(),
    }
}

fn outcome_text(outcome: Option<Outcome>) -> &'static str {
    outcome.map_or("—", Outcome::label)
}

/// The last line: how many changes, and whether the gate got worse.
fn summary(diff: &Diff) -> String {
    let verdict = if diff.worse {
        "something got worse"
    } else {
        "nothing got worse"
    };
    format!(
        "{}: {} changed, {} unchanged; {verdict} ({} → {})",
        diff.phase,
        diff.changes.len(),
        diff.unchanged,
        diff.old.readiness,
        diff.new.readiness
    )
}

pub fn table(diff: &Diff) -> String {
    let mut out = String::new();
    if !diff.changes.is_empty() {
        let mut table = super::new_table(&["Change", "Item", "Before → now", "Detail"]);
        for c in &diff.changes {
            let mark = if c.worse { " ▼" } else { "" };
            table.add_row(vec![
                Cell::new(format!("{}{mark}", c.change.words())),
                Cell::new(format!(
                    "{}\n  {}\n  {}",
                    plain(&c.text),
                    c.id,
                    plain(&c.section)
                )),
                Cell::new(format!("{} → {}", outcome_text(c.old), outcome_text(c.new))),
                Cell::new(&c.detail),
            ]);
        }
        let _ = writeln!(out, "{table}");
    }
    out.push_str(&summary(diff));
    out
}

pub fn json(diff: &Diff) -> String {
    serde_json::to_string_pretty(diff).expect("a diff always encodes")
}

pub fn markdown(diff: &Diff) -> String {
    let icon = if diff.worse { "❌" } else { "✅" };
    let mut out = format!(
        "## {icon} barkcheck diff: {} — {}\n\n",
        md_plain(&diff.phase),
        if diff.worse {
            "something got worse"
        } else {
            "nothing got worse"
        }
    );
    let _ = writeln!(
        out,
        "{} ({}, {}) → {} ({}, {})\n",
        diff.old.started.strftime("%Y-%m-%d %H:%M UTC"),
        md_plain(&diff.old.environment),
        md_plain(&diff.old.readiness),
        diff.new.started.strftime("%Y-%m-%d %H:%M UTC"),
        md_plain(&diff.new.environment),
        md_plain(&diff.new.readiness),
    );
    let mut kinds: Vec<Change> = diff.changes.iter().map(|c| c.change).collect();
    kinds.dedup();
    for kind in kinds {
        let list: Vec<&Changed> = diff.changes.iter().filter(|c| c.change == kind).collect();
        let _ = writeln!(out, "### {} ({})\n", capitalised(kind.words()), list.len());
        for c in list {
            let _ = write!(
                out,
                "- {} {} — {} → {}",
                code(&c.id),
                md_line(&c.text),
                outcome_text(c.old),
                outcome_text(c.new)
            );
            if !c.detail.is_empty() {
                let _ = write!(out, ": {}", md_plain(&c.detail));
            }
            out.push('\n');
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}", md_plain(&summary(diff)));
    out
}

fn capitalised(words: &str) -> String {
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_to_a_worse_rank_is_worse_and_waiving_a_failure_is_not() {
        assert!(rank(Outcome::Fail) > rank(Outcome::Pass));
        assert!(rank(Outcome::Error) > rank(Outcome::Fail));
        assert!(rank(Outcome::Waived) < rank(Outcome::Fail));
        assert!(rank(Outcome::Waived) > rank(Outcome::Pass));
        assert_eq!(rank(Outcome::Signed), rank(Outcome::Pass));
    }
}
